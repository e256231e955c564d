/**
 * The gradient of an `OnnxLoop` body (compiler/ops/loop.ts), registered
 * with `setLoopBodyGrad`: the body is rebuilt as IR, `gradients` (reverse.ts)
 * differentiates its float carried and scan outputs with respect to its
 * float carried and captured inputs, and the result (zeros where no
 * gradient reaches) is a body again, whose inputs are the body's, one
 * gradient per float carried and scan output, then the residuals: the
 * forward body's values the gradient reads (a tanh's output, a product's
 * factors), which the forward Loop keeps per iteration, so the reverse
 * Loop (`OnnxLoopGrad`, compiler/ops/loop-grad.ts) does not compute them
 * again. Computed again instead: a forward value that is the same in every
 * iteration (made from the captured values and constants only: keeping it
 * would hold one copy per iteration), and one whose shape holds a dimension
 * the body's inputs do not (one that may change from one iteration to the
 * next, which a Loop's stacked outputs cannot hold: the first dimension of
 * a carried value that grows, `grows`).
 * Importing this module registers it.
 */
import type { Node } from '../ir/node.js';
import { Value } from '../ir/value.js';
import { withContext } from '../ops/context.js';
import { decodeBody, encodeBody, floatSlots, setLoopBodyGrad, type BodyRef, type LoopBody } from '../ops/loop.js';
import { Symbol } from '../trace/symbol.js';
import { symOps } from '../trace/sym.js';
import { gradients } from './reverse.js';

/**
 * The body computing one iteration's gradients and the residuals it reads
 * (see the file comment); `what` names the loop in errors.
 *
 * ```ts
 * const { body: gradBody, residuals } = loopBodyGradient(body, 1, "ONNX's Loop (node 'loop0')");
 * ```
 */
export function loopBodyGradient(body: LoopBody, nCarried: number, what: string, grows: number[] = []): { body: LoopBody; residuals: BodyRef[] } {
  const { inputs, outputs, nodes } = decodeBody(body);
  const carriedOut = outputs.slice(1, 1 + nCarried);
  const scanOut = outputs.slice(1 + nCarried);
  const heads = [...floatSlots(carriedOut.map((v) => v.type)).map((i) => carriedOut[i]!), ...floatSlots(scanOut.map((v) => v.type)).map((j) => scanOut[j]!)];
  const headGrads = heads.map((v, i) => Value.input(`g${i}`, v.type));
  const carriedIn = inputs.slice(2, 2 + nCarried);
  const capturedIn = inputs.slice(2 + nCarried);
  const wrt = [...floatSlots(carriedIn.map((v) => v.type)).map((i) => carriedIn[i]!), ...floatSlots(capturedIn.map((v) => v.type)).map((i) => capturedIn[i]!)];
  let grads: (Value | null)[];
  try {
    // In no scope of the caller's: a body node's errors name it (its own scope) alone, the Loop is named around them.
    grads = withContext({ scopes: [] }, () => gradients(heads, wrt, headGrads));
  } catch (e) {
    throw new Error(`OnnxLoop: ${what}: its body cannot be differentiated: ${(e as Error).message}`);
  }
  const outs = grads.map((g, i) => g ?? (symOps.zerosLike(new Symbol(wrt[i]!)) as Symbol).value);
  const forward = new Map<Node, number>(nodes.map((n, j) => [n, j]));
  const fixedDims = new Set(inputs.flatMap((v) => v.type.shape));
  // A growing carried value's first dimension changes from one iteration to the next.
  for (const i of grows) fixedDims.delete(inputs[2 + i]!.type.shape[0]!);
  // Values that change from one iteration to the next: from the iteration number, the condition or a carried value.
  const varying = new Set<Value>(inputs.slice(0, 2 + nCarried));
  for (const n of nodes) if (n.inputs.some((v) => varying.has(v))) n.outputs.forEach((o) => varying.add(o));
  const keepable = (n: Node) => n.outputs.some((o) => varying.has(o)) && n.outputs.every((o) => o.type.shape.every((d) => typeof d === 'number' || fixedDims.has(d)));
  const residuals: BodyRef[] = [];
  const gradBody = encodeBody([...inputs, ...headGrads], outs, (n) => !forward.has(n) || !keepable(n), (v) => {
    const j = v.producer ? forward.get(v.producer) : undefined;
    if (j === undefined) throw new Error(`OnnxLoop: ${what}: the gradient of its body reads '${v.name}', which is no body value`);
    residuals.push(`n${j}.${v.index}`);
  });
  return { body: gradBody, residuals };
}

setLoopBodyGrad(loopBodyGradient);
