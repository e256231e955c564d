/**
 * The ONNX opsets gluonc exports (13 to 21) and the forms ONNX operators
 * take at each of them. Lowerings write one form (the newest: reduction axes
 * as an input, `Split` with `num_outputs`, `Shape` with `start`/`end`);
 * `legalizeNode` rewrites a node into the form of the target opset where the
 * rewrite is mechanical, and `onnxNeeds` says which opset a node needs, so
 * emitting a node the target opset lacks is a named error instead of a file
 * onnxruntime refuses. What cannot be rewritten node by node (Trilu, DFT,
 * LayerNormalization, Gelu, scatter-adds) is decomposed by the operator's own
 * lowering, which reads `LowerCtx.opset`; each operator's lowest opset is
 * data (`minOpset` in its declaration, default `MIN_OPSET`).
 * Invariant: a legalized node computes what the node it replaces computes.
 */
import type { OnnxAttr } from '../ops/define.js';
import type { DType } from '../../runtime/dtypes.js';

/** The oldest ONNX opset gluonc exports (opset 13 moved `axes` of Squeeze/Unsqueeze/ReduceSum and `split` to inputs). */
export const MIN_OPSET = 13;
/** The newest ONNX opset gluonc exports (onnxruntime 1.30 has no random kernels above 21). */
export const MAX_OPSET = 21;
/**
 * The newest opset a graph is written at, only where its operators need it and none of them is capped lower
 * (`graphOpset` in emit.ts: ONNX's BitCast is opset 26; onnxruntime 1.30 runs up to 26).
 */
export const RAISED_OPSET = 26;

/**
 * Throws unless `opset` is an integer gluonc exports; `where` prefixes the message.
 *
 * ```ts
 * checkOpsetRange(17);   // ok
 * checkOpsetRange(22);   // Error: opset 22 is not supported: gluonc exports ONNX opsets 13 to 21
 * ```
 */
export function checkOpsetRange(opset: number): void {
  if (!Number.isInteger(opset)) throw new Error(`opset must be an integer ONNX opset (${MIN_OPSET} to ${MAX_OPSET}), got ${opset}`);
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new Error(`opset ${opset} is not supported: gluonc exports ONNX opsets ${MIN_OPSET} to ${MAX_OPSET}`);
}

/** One ONNX node before it is written: type, input names, attributes (undefined ones are dropped), output names. */
export interface PendingNode {
  opType: string;
  inputs: string[];
  attrs: Record<string, OnnxAttr | undefined>;
  outputs: string[];
}

/** What `legalizeNode` may use: the values of int64 constants by name, and fresh names. */
export interface LegalizeEnv {
  /** The dtype an ONNX name holds where the emitter knows it. */
  dtypeOf(name: string): DType | undefined;
  /** The values of a 1-D int64 constant, or undefined when `name` is not one. */
  intsOf(name: string): readonly number[] | undefined;
  fresh(hint: string): string;
  ints(values: readonly number[]): string;
}

/** Reductions whose `axes` moved from an attribute to an input at opset 18 (ReduceSum moved at 13). */
const AXES_INPUT_18 = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

/** Default-domain operators introduced after opset 13 up to 21 (and BitCast, 26: see RAISED_OPSET), by the opset that introduced them (checked against python's onnx.defs in the tests). */
export const ONNX_INTRODUCED: Readonly<Record<string, number>> = {
  Trilu: 14,
  HardSwish: 14,
  Bernoulli: 15,
  CastLike: 15,
  Optional: 15,
  OptionalGetElement: 15,
  OptionalHasElement: 15,
  LayerNormalization: 17,
  DFT: 17,
  STFT: 17,
  BlackmanWindow: 17,
  HannWindow: 17,
  HammingWindow: 17,
  MelWeightMatrix: 17,
  SequenceMap: 17,
  GroupNormalization: 18,
  Col2Im: 18,
  CenterCropPad: 18,
  Mish: 18,
  BitwiseAnd: 18,
  BitwiseOr: 18,
  BitwiseXor: 18,
  BitwiseNot: 18,
  DeformConv: 19,
  Gelu: 20,
  AffineGrid: 20,
  GridSample: 16,
  ImageDecoder: 20,
  RegexFullMatch: 20,
  StringConcat: 20,
  StringSplit: 20,
  BitCast: 26,
};

/**
 * Rewrites `n` into the form opset `opset` defines, or returns it unchanged:
 * reduction axes back to an attribute below 18, `Split`'s `num_outputs`
 * dropped below 18 (equal parts by output count, what MXNet's split asks),
 * `Shape` with `start`/`end` as `Shape` + `Slice` below 15.
 *
 * ```ts
 * legalizeNode({ opType: 'ReduceMean', inputs: ['x', 'k0'], attrs: { keepdims: 1 }, outputs: ['y'] }, 17, env);
 * // [{ opType: 'ReduceMean', inputs: ['x'], attrs: { keepdims: 1, axes: [1] }, outputs: ['y'] }]
 * ```
 */
export function legalizeNode(n: PendingNode, opset: number, env: LegalizeEnv): PendingNode[] {
  if (opset < 18 && AXES_INPUT_18.has(n.opType) && n.inputs.length > 1) {
    const [x, axesName, ...rest] = n.inputs;
    const attrs = { ...n.attrs };
    if (axesName) {
      const axes = env.intsOf(axesName);
      if (!axes) throw new Error(`${n.opType} with axes computed at run time needs opset 18 (axes as an input), the graph is emitted at opset ${opset}`);
      attrs['axes'] = [...axes];
    }
    return [{ ...n, inputs: [x!, ...rest], attrs }];
  }
  if (opset < 18 && n.opType === 'Split' && n.attrs['num_outputs'] !== undefined) {
    const attrs = { ...n.attrs };
    delete attrs['num_outputs'];
    return [{ ...n, attrs }];
  }
  if (opset < 15 && n.opType === 'Shape' && (n.attrs['start'] !== undefined || n.attrs['end'] !== undefined)) {
    const start = Number(n.attrs['start'] ?? 0);
    const end = n.attrs['end'] === undefined ? Number.MAX_SAFE_INTEGER : Number(n.attrs['end']);
    const full = env.fresh('shape');
    return [
      { opType: 'Shape', inputs: n.inputs, attrs: {}, outputs: [full] },
      { opType: 'Slice', inputs: [full, env.ints([start]), env.ints([end]), env.ints([0])], attrs: {}, outputs: n.outputs },
    ];
  }
  return [n];
}

/**
 * The opset a (legalized) node needs and why, or null when any exported
 * opset runs it: operators introduced after 13, and attributes or inputs
 * added later (scatter reductions, `Pad` axes and `wrap`, pooling dilations,
 * BatchNormalization's training mode, `DFT`'s axis input).
 *
 * ```ts
 * onnxNeeds({ opType: 'ScatterND', inputs: ['d', 'i', 'u'], attrs: { reduction: 'add' }, outputs: ['y'] });
 * // { opset: 16, what: "ONNX ScatterND with reduction='add'" }
 * ```
 */
export function onnxNeeds(n: PendingNode): { opset: number; what: string } | null {
  const has = (k: string) => n.attrs[k] !== undefined;
  const since = ONNX_INTRODUCED[n.opType];
  if (since !== undefined && since > MIN_OPSET) return { opset: since, what: `ONNX ${n.opType}` };
  if ((n.opType === 'ScatterElements' || n.opType === 'ScatterND') && has('reduction') && n.attrs['reduction'] !== 'none') {
    const r = String(n.attrs['reduction']);
    return { opset: r === 'add' || r === 'mul' ? 16 : 18, what: `ONNX ${n.opType} with reduction='${r}'` };
  }
  if (AXES_INPUT_18.has(n.opType) && (n.inputs.length > 1 || has('noop_with_empty_axes'))) return { opset: 18, what: `ONNX ${n.opType} with axes as an input` };
  if (n.opType === 'Split' && has('num_outputs')) return { opset: 18, what: 'ONNX Split with num_outputs' };
  if (n.opType === 'Shape' && (has('start') || has('end'))) return { opset: 15, what: 'ONNX Shape with start/end' };
  if (n.opType === 'Pad' && n.inputs.length > 3 && n.inputs[3]) return { opset: 18, what: 'ONNX Pad with axes' };
  if (n.opType === 'Pad' && n.attrs['mode'] === 'wrap') return { opset: 19, what: "ONNX Pad with mode='wrap'" };
  if (n.opType === 'LpPool' && (has('ceil_mode') || has('dilations'))) return { opset: 18, what: 'ONNX LpPool with ceil_mode/dilations' };
  if (n.opType === 'AveragePool' && has('dilations')) return { opset: 19, what: 'ONNX AveragePool with dilations' };
  if (n.opType === 'Reshape' && has('allowzero')) return { opset: 14, what: 'ONNX Reshape with allowzero' };
  if (n.opType === 'BatchNormalization' && has('training_mode')) return { opset: 14, what: 'ONNX BatchNormalization with training_mode' };
  if ((n.opType === 'RNN' || n.opType === 'LSTM' || n.opType === 'GRU') && has('layout')) return { opset: 14, what: `ONNX ${n.opType} with layout` };
  if (n.opType === 'DFT' && n.inputs.length > 2) return { opset: 20, what: 'ONNX DFT with the axis as an input' };
  if (n.opType === 'Resize' && (has('antialias') || has('axes') || has('keep_aspect_ratio_policy'))) return { opset: 18, what: 'ONNX Resize with antialias/axes/keep_aspect_ratio_policy' };
  return null;
}
