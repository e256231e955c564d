/**
 * `OnnxLoopGrad`: the gradient of `OnnxLoop` (loop.ts) as one operator
 * whose lowering is a reverse-time ONNX Loop over the forward's iterations
 * whose body reads iteration T - 1 - j's number, loop-carried values and
 * residuals (the body values its gradient reads; Gather) and runs the
 * body's gradient (`gradBody`, made by compiler/autodiff/loop-body.ts,
 * which computes again only what was not kept): the gradients of the
 * float carried values flow from the last iteration to the first, the
 * float captured values' gradients are summed over the iterations. Each
 * iteration's values are the forward's saved ones (`saved`: an `OnnxLoop`
 * with `save`, as the pass save-recurrent-activations makes training
 * graphs), else a first Loop runs the loop again keeping them (a gradient
 * whose forward is not in its graph). A carried value that grows as a list
 * appended to (`grows`) is kept as its length per iteration and read back
 * as the first rows of its final value, or the last (`front`), which the
 * forward gives (`saved`) or the loop run again does; one whose first axis
 * changes otherwise (`ragged`: a list erased from, or inserted into at a
 * position) is computed again at each reverse iteration by a Loop running
 * the body from the loop's inputs that many iterations (the gradient's
 * cost then grows with the square of the iteration count).
 * Inputs: the forward's inputs, then the gradients of its float carried
 * outputs and float scan outputs, then (`saved`) the forward's saved
 * outputs: per iteration each carried value, the number, each residual,
 * then, where carried values grow, the final carried values.
 * Outputs: the gradients of the float carried inputs, then of the float
 * captured inputs.
 * Invariant: `gradBody` takes the body's inputs, those gradients and the
 * `residuals` (one iteration's) and gives the gradients of the float
 * carried and captured inputs, in that order.
 */
import { tensorFromNumbers } from '../../runtime/tensor.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type OpDef, type SubgraphValue, type Tx } from './define.js';
import { OpError } from './errors.js';
import { emitLoop, floatSlots, lowerBody, varyingRows, type BodyRef, type LoopA, type LoopBody } from './loop.js';

/** Attributes: the forward's, the body's gradient and how many gradients it gives. */
export type LoopGradA = LoopA & { gradBody: LoopBody; nGrads: number; saved: boolean };

type Sig = (...args: [...Tx[], object]) => Tx[];

/** The forward's input layout and the float slots. */
function plan(types: TensorType[], a: LoopGradA) {
  const body = a.body as unknown as LoopBody;
  const outTypes = a.outTypes as unknown as TensorType[];
  const k = (a.tripCount ? 1 : 0) + (a.condition ? 1 : 0);
  const nFwd = k + body.inputs.length - 2;
  const carriedF = floatSlots(outTypes.slice(0, a.nCarried));
  const scanF = floatSlots(outTypes.slice(a.nCarried));
  const capturedF = floatSlots(body.inputs.slice(2 + a.nCarried));
  const residuals = (a.residuals ?? []) as BodyRef[];
  const grows = (a.grows ?? []) as number[];
  const front = (a.front ?? []) as number[];
  const ragged = (a.ragged ?? []) as number[];
  // Saved: per iteration each carried value, the number, each residual; then, where some grow, the final carried values.
  const nSaved = a.saved ? a.nCarried + 1 + residuals.length + (grows.length ? a.nCarried : 0) : 0;
  const want = nFwd + carriedF.length + scanF.length + nSaved;
  if (types.length !== want) throw new OpError('OnnxLoopGrad', `takes the loop's ${nFwd} inputs, ${carriedF.length + scanF.length} output gradients${nSaved ? ` and its ${nSaved} saved outputs` : ''}, got ${types.length} inputs`, types);
  return { outTypes, k, nFwd, carriedF, scanF, capturedF, residuals, grows, front, ragged };
}

function infer(types: TensorType[], a: LoopGradA): TensorType[] {
  const { k, carriedF, capturedF } = plan(types, a);
  const body = a.body as unknown as LoopBody;
  const nC = a.nCarried;
  return [...carriedF.map((i) => types[k + i]!), ...capturedF.map((i) => ({ ...body.inputs[2 + nC + i]!, shape: [...types[k + nC + i]!.shape] }))].map((t) => ({ dtype: t.dtype, shape: [...t.shape] }));
}

function lower(c: LowerCtx, a: LoopGradA): void {
  const { outTypes, k, nFwd, carriedF, scanF, capturedF, residuals, grows, front, ragged } = plan(c.inTypes, a);
  const nC = a.nCarried;
  const ins = c.inputs;
  const captured = ins.slice(k + nC, nFwd);
  const nHeads = carriedF.length + scanF.length;
  const heads = ins.slice(nFwd, nFwd + nHeads);
  const sv = (name: string, t: TensorType): SubgraphValue => ({ name, dtype: t.dtype, shape: t.shape });
  let kept = ins.slice(nFwd + nHeads, nFwd + nHeads + nC + 1 + residuals.length);
  let finals = ins.slice(nFwd + nHeads + nC + 1 + residuals.length);
  // The loop again, keeping what its gradient reads (a forward outside this graph), and its final values.
  if (!a.saved) {
    const all = emitLoop(c, a, true, residuals, outTypes.length + nC + 1 + residuals.length);
    finals = all.slice(0, nC);
    kept = all.slice(outTypes.length);
  }
  const saved = kept.slice(0, nC);
  const iters = kept[nC]!;
  const res = kept.slice(nC + 1);
  const T = c.emit('Squeeze', [c.emit('Shape', [iters])[0]!, c.ints([0])])[0]!;
  const last = c.emit('Sub', [T, c.scalar(1, 'int64')])[0]!;
  // Zeros to sum the captured values' gradients into.
  const zeros = capturedF.map((i) => {
    const t = c.inTypes[k + nC + i]!;
    return c.emit('ConstantOfShape', [c.emit('Shape', [captured[i]!])[0]!], { value: { tensor: tensorFromNumbers(t.dtype, [1], [0]) } })[0]!;
  });
  const yes = c.constant(tensorFromNumbers('bool', [], [1]));
  const body = a.body as unknown as LoopBody;
  // A growing value's gradient grows back (its first dimension as the body's).
  const revIns = [{ dtype: 'int64' as const, shape: [] }, { dtype: 'bool' as const, shape: [] }, ...carriedF.map((i) => (varyingRows(a).includes(i) ? body.inputs[2 + i]! : c.inTypes[k + i]!)), ...capturedF.map((i) => c.inTypes[k + nC + i]!)];
  const rev = c.graph(revIns, (names) => {
    const at = c.emit('Sub', [last, names[0]!])[0]!;
    const pick = (v: string) => c.emit('Gather', [v, at], { axis: 0 })[0]!;
    // A growing value at that iteration: the first rows of its final value (`front`: the last), as many as its length then.
    const rows = (v: string, i: number) => {
      const len = c.emit('Reshape', [pick(v), c.ints([1])])[0]!;
      if (!front.includes(i)) return c.emit('Slice', [finals[i]!, c.ints([0]), len, c.ints([0])])[0]!;
      const from = c.emit('Sub', [c.emit('Gather', [c.emit('Shape', [finals[i]!])[0]!, c.ints([0])], { axis: 0 })[0]!, len])[0]!;
      return c.emit('Slice', [finals[i]!, from, c.ints([Number.MAX_SAFE_INTEGER]), c.ints([0])])[0]!;
    };
    // A ragged value at that iteration: the loop's carried value after its first `at` iterations, run again.
    let again: string[] | null = null;
    const rerun = (i: number) => (again ??= emitLoop(c, a, false, [], outTypes.length, at))[i]!;
    const carriedAt = (v: string, i: number) => (ragged.includes(i) ? rerun(i) : grows.includes(i) ? rows(v, i) : pick(v));
    const gc = names.slice(2, 2 + carriedF.length);
    const acc = names.slice(2 + carriedF.length);
    const grads = lowerBody(c, a.gradBody, [pick(iters), yes, ...saved.map(carriedAt), ...captured, ...gc, ...heads.slice(carriedF.length).map(pick), ...res.map(pick)]);
    const nextGc = grads.slice(0, carriedF.length).map((g) => sv(g.name, g.type));
    const nextAcc = grads.slice(carriedF.length).map((g, i) => sv(c.emit('Add', [acc[i]!, g.name])[0]!, revIns[2 + carriedF.length + i]!));
    return [sv(names[1]!, revIns[1]!), ...nextGc, ...nextAcc];
  });
  c.emit('Loop', [T, '', ...heads.slice(0, carriedF.length), ...zeros], { body: rev }, c.outputs);
}

/**
 * The gradient of `OnnxLoop` (its gradient rule calls it): the loop's
 * inputs, then the gradients of its float carried and scan outputs; gives
 * the gradients of the float carried inputs, then of the float captured ones.
 *
 * ```ts
 * const [dx, dw] = F.OnnxLoopGrad(m, x, w, gy, gys, { ...loopAttrs, gradBody, nGrads: 2 });
 * ```
 */
export const OnnxLoopGrad: OpDef<Sig, LoopGradA> = defineOp<Sig, LoopGradA>({
  name: 'OnnxLoopGrad',
  inputs: ['...inputs'],
  attrs: { body: null, nCarried: 0, tripCount: false, condition: false, outTypes: null, node: '', save: false, residuals: [], grows: [], front: [], ragged: [], gradBody: null, nGrads: 1, saved: false },
  multiOutput: (a: LoopGradA) => a.nGrads,
  dataShape: true,
  infer,
  lower,
  grad: null,
  noGradReason: 'the gradient of a Loop has no gradient of its own (no second derivatives through a Loop)',
} as never);

/** The operator by F name. */
export const LOOP_GRAD_OPS = { OnnxLoopGrad } as const;
