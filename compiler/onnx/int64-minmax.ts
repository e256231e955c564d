/**
 * onnxruntime 1.30's CPU kernels of `Max`, `Min`, `Clip`, `Sign` and of
 * `ReduceMax`/`ReduceMin` over the whole tensor or a last axis compare int64
 * values wrongly once they leave the int32 range (measured with python
 * onnxruntime 1.30: `ReduceMax([0, 1, 2, 2^31])` is 2, `Max(6356453550,
 * 7885898265)` picks the first; about one random 64-bit case in twenty; the
 * reductions along a leading axis, `Greater`, `Less`, `Where`, `TopK` and
 * `ArgMax` are exact). Every emitted node of those types on int64 inputs is
 * rewritten here into exact ones: `Max`/`Min` into `Where(Greater/Less)`,
 * `Clip` into two `Where`s, `Sign` into `(x > 0) - (x < 0)`,
 * `ReduceMax`/`ReduceMin` into `ArgMax`/`ArgMin` and `GatherElements`
 * per reduced axis (the whole tensor flattened first when no axes are
 * given), then `Squeeze` unless `keepdims` (not TopK of k = 1: onnxruntime's
 * TopK stops the process, SIGFPE, on an empty batch such as [0, 4]). Which names hold int64 is what
 * the emitter knows (`dtypeOf`): IR values, constants, and outputs of
 * dtype-preserving nodes; a node none of whose T-typed inputs is known to
 * be int64 is left as it is.
 *
 * ```ts
 * rewriteInt64MinMax({ opType: 'Max', inputs: ['a', 'b'], attrs: {}, outputs: ['y'] }, env);
 * // [Greater(b, a) -> c, Where(c, b, a) -> y]
 * ```
 */
import type { DType } from '../../runtime/dtypes.js';
import type { PendingNode } from './opset-forms.js';

/** What the rewrite reads of the emitter. */
export interface Int64Env {
  dtypeOf(name: string): DType | undefined;
  /** The values of a 1-D int64 constant, or undefined when `name` is not one. */
  intsOf(name: string): readonly number[] | undefined;
  fresh(hint: string): string;
  ints(values: readonly number[]): string;
}

const REWRITTEN = new Set(['Max', 'Min', 'Clip', 'ReduceMax', 'ReduceMin', 'Sign']);

/**
 * Whether `n` computes on int64: its data input's dtype, or for Max, Min and
 * Clip (one type T over all inputs) any input's, so an int64 bound names the
 * type of a value of unknown dtype (ReduceMax/ReduceMin's second input is
 * their int64 axes, whatever the data).
 */
function isInt64(n: PendingNode, env: Int64Env): boolean {
  const data = n.opType === 'Max' || n.opType === 'Min' || n.opType === 'Clip' ? n.inputs : n.inputs.slice(0, 1);
  return data.some((i) => i && env.dtypeOf(i) === 'int64');
}

/** `n` in exact int64 nodes, or `[n]` when it is not one onnxruntime gets wrong. */
export function rewriteInt64MinMax(n: PendingNode, env: Int64Env): PendingNode[] {
  if (!REWRITTEN.has(n.opType) || !isInt64(n, env)) return [n];
  const out: PendingNode[] = [];
  const node = (opType: string, inputs: string[], attrs: PendingNode['attrs'] = {}, outputs = [env.fresh(`i64${opType}`)]): string => {
    out.push({ opType, inputs, attrs, outputs });
    return outputs[0]!;
  };
  // other where `cmp(other, x)`, else x: Greater gives max(x, other), Less min(x, other).
  const pick = (cmp: 'Greater' | 'Less', x: string, other: string, to?: string): string => node('Where', [node(cmp, [other, x]), other, x], {}, to ? [to] : undefined);
  const y = n.outputs[0]!;
  if (n.opType === 'Sign') {
    // (x > 0) - (x < 0), against zeros of x's own shape.
    const x = n.inputs[0]!;
    const zero = node('Sub', [x, x]);
    const as64 = (b: string) => node('Cast', [b], { to: 7 });
    node('Sub', [as64(node('Greater', [x, zero])), as64(node('Less', [x, zero]))], {}, [y]);
    return out;
  }
  if (n.opType === 'Max' || n.opType === 'Min') {
    const cmp = n.opType === 'Max' ? 'Greater' : 'Less';
    const ins = n.inputs;
    if (ins.length === 1) node('Identity', [ins[0]!], {}, [y]);
    let acc = ins[0]!;
    for (let i = 1; i < ins.length; i++) acc = pick(cmp, acc, ins[i]!, i === ins.length - 1 ? y : undefined);
    return out;
  }
  if (n.opType === 'Clip') {
    const [x, lo, hi] = n.inputs;
    if (!lo && !hi) return [{ ...n, opType: 'Identity', inputs: [x!], attrs: {} }];
    // max(x, lo), then min(., hi): ONNX's Clip.
    const low = lo ? pick('Greater', x!, lo, hi ? undefined : y) : x!;
    if (hi) pick('Less', low, hi, y);
    return out;
  }
  // ReduceMax / ReduceMin: axes from the input (opset 18) or the attribute.
  const [x, axesName] = n.inputs;
  const keep = Number(n.attrs['keepdims'] ?? 1) === 1;
  const largest = n.opType === 'ReduceMax' ? 1 : 0;
  const axes = axesName ? env.intsOf(axesName) : (n.attrs['axes'] as number[] | undefined);
  if (axesName && !axes) return [n]; // axes computed at run time: left to onnxruntime
  const top = (v: string, axis: number, to?: string) => node('GatherElements', [v, node(largest ? 'ArgMax' : 'ArgMin', [v], { axis, keepdims: 1 })], { axis }, [to ?? env.fresh('i64Reduce')]);
  if (!axes || axes.length === 0) {
    if (axes && Number(n.attrs['noop_with_empty_axes'] ?? 0) === 1) return [{ opType: 'Identity', inputs: [x!], attrs: {}, outputs: [y] }];
    const flat = top(node('Reshape', [x!, env.ints([-1])]), 0);
    if (!keep) node('Reshape', [flat, env.ints([])], {}, [y]);
    else node('Reshape', [flat, node('ConstantOfShape', [node('Shape', [node('Shape', [x!])])], { value: { tensor: { dtype: 'int64', shape: [1], data: new BigInt64Array([1n]) } } })], {}, [y]);
    return out;
  }
  let v = x!;
  axes.forEach((a, i) => (v = top(v, a, keep && i === axes.length - 1 ? y : undefined)));
  if (!keep) node('Squeeze', [v, env.ints(axes)], {}, [y]);
  return out;
}

/**
 * The dtype of output `k` of an emitted node from its inputs' (undefined
 * when the node is not one whose output dtype follows its inputs simply).
 *
 * ```ts
 * outputDType({ opType: 'Unsqueeze', inputs: ['a', 'k1'], attrs: {}, outputs: ['b'] }, 0, dtypeOf); // dtypeOf('a')
 * ```
 */
export function outputDType(n: PendingNode, k: number, dtypeOf: (name: string) => DType | undefined, castTo: (code: number) => DType | undefined): DType | undefined {
  if (INT64_OUT.has(n.opType) || (n.opType === 'TopK' && k === 1)) return 'int64';
  if (BOOL_OUT.has(n.opType)) return 'bool';
  if (n.opType === 'Cast' && typeof n.attrs['to'] === 'number') return castTo(n.attrs['to']);
  if (n.opType === 'Where' || n.opType === 'CastLike') return dtypeOf(n.inputs[1]!); // Where's x, CastLike's target
  if (SAME_AS_FIRST.has(n.opType)) return dtypeOf(n.inputs[0]!);
  return undefined;
}

const INT64_OUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero']);
const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const SAME_AS_FIRST = new Set([
  'Identity', 'Neg', 'Abs', 'Add', 'Sub', 'Mul', 'Div', 'Mod', 'Max', 'Min', 'Clip', 'Sum', 'Relu', 'Sign',
  'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Flatten', 'Expand', 'Tile', 'Slice', 'Gather', 'GatherElements', 'GatherND',
  'Concat', 'Split', 'Pad', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd', 'CumSum', 'TopK', 'ScatterElements', 'ScatterND', 'Range',
]);
