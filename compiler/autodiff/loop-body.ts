/**
 * The gradient of an `OnnxLoop` body (compiler/ops/loop.ts), registered
 * with `setLoopBodyGrad`: the body is rebuilt as IR, `gradients` (reverse.ts)
 * differentiates its float carried and scan outputs with respect to its
 * float carried and captured inputs, and the result (zeros where no
 * gradient reaches) is a body again, whose inputs are the body's then one
 * gradient per float carried and scan output (`OnnxLoopGrad` runs it in a
 * reverse-time Loop, compiler/ops/loop-grad.ts).
 * Importing this module registers it.
 */
import { Value } from '../ir/value.js';
import { decodeBody, encodeBody, floatSlots, setLoopBodyGrad, type LoopBody } from '../ops/loop.js';
import { Symbol } from '../trace/symbol.js';
import { symOps } from '../trace/sym.js';
import { gradients } from './reverse.js';

/**
 * The body computing one iteration's gradients (see the file comment);
 * `what` names the loop in errors.
 *
 * ```ts
 * const gradBody = loopBodyGradient(body, 1, "ONNX's Loop (node 'loop0')");
 * ```
 */
export function loopBodyGradient(body: LoopBody, nCarried: number, what: string): LoopBody {
  const { inputs, outputs } = decodeBody(body);
  const carriedOut = outputs.slice(1, 1 + nCarried);
  const scanOut = outputs.slice(1 + nCarried);
  const heads = [...floatSlots(carriedOut.map((v) => v.type)).map((i) => carriedOut[i]!), ...floatSlots(scanOut.map((v) => v.type)).map((j) => scanOut[j]!)];
  const headGrads = heads.map((v, i) => Value.input(`g${i}`, v.type));
  const carriedIn = inputs.slice(2, 2 + nCarried);
  const capturedIn = inputs.slice(2 + nCarried);
  const wrt = [...floatSlots(carriedIn.map((v) => v.type)).map((i) => carriedIn[i]!), ...floatSlots(capturedIn.map((v) => v.type)).map((i) => capturedIn[i]!)];
  let grads: (Value | null)[];
  try {
    grads = gradients(heads, wrt, headGrads);
  } catch (e) {
    throw new Error(`OnnxLoop: ${what}: its body cannot be differentiated: ${(e as Error).message}`);
  }
  const outs = grads.map((g, i) => g ?? (symOps.zerosLike(new Symbol(wrt[i]!)) as Symbol).value);
  return encodeBody([...inputs, ...headGrads], outs, () => true, (v) => {
    throw new Error(`OnnxLoop: ${what}: the gradient of its body reads '${v.name}', which is no body value`);
  });
}

setLoopBodyGrad(loopBodyGradient);
