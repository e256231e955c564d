/**
 * The operators of dense layers: MXNet's `FullyConnected` (`y = x·Wᵀ + b`,
 * optionally flattening `x` to 2-D first) and `Embedding` (rows of a weight
 * table picked by index; its weight gradient sums `g` rows by index).
 * Invariants: lowerings depend only on input ranks (but for an input known
 * to be empty); float64 stays float64.
 */
import type { DType } from '../../runtime/dtypes.js';
import { isDType } from '../../runtime/dtypes.js';
import { sizeOf } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { compatible, FLOAT_DTYPES, fmt, LETTERS, matmulF64, permute, pick, shapeSlice } from './linalg.js';
import { defineOp, type OpDef, type PositionalOptions, type PositionalRest, type Tx } from './define.js';
import { mulDims } from './dims.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import { clippedIndicesInt64, indexValue } from './indices.js';
import { fromF64, toF64 } from './kernels.js';
import type { GradTensor } from './grad-ops.js';

// ---------------------------------------------------------------- FullyConnected

type FcAttrs = Attrs & { numHidden: number | null; noBias: boolean; flatten: boolean };
/** The options of `FullyConnected`. */
export interface FcOptions {
  numHidden?: number;
  noBias?: boolean;
  flatten?: boolean;
}

interface FcGeom {
  hidden: Dim;
  inUnits: Dim;
  out: Shape;
}

function fcGeom(types: TensorType[], a: FcAttrs): FcGeom {
  const [x, w, b] = types;
  const op = 'FullyConnected';
  if (a.numHidden !== null && (!Number.isInteger(a.numHidden) || a.numHidden < 1)) {
    throw new OpError(op, `numHidden must be a positive integer, got ${JSON.stringify(a.numHidden)}`, types);
  }
  if (b && a.noBias) throw new OpError(op, 'a bias was given but noBias is true (pass noBias: false, or leave the bias out)', types);
  const xs = x!.shape;
  if (!xs.length) throw new OpError(op, 'needs data of rank 1 or more', types);
  const inUnits = a.flatten ? mulDims(xs.slice(1)) : xs[xs.length - 1]!;
  const hidden = a.numHidden ?? w!.shape[0]!;
  const ws = w!.shape;
  if (ws.length !== 2 || !compatible(ws[0]!, hidden) || !compatible(ws[1]!, inUnits)) {
    throw new OpError(op, `weight shape ${fmt(ws)} does not match data shape ${fmt(xs)}: expected [numHidden=${hidden}, ${inUnits}] (${a.flatten ? 'flatten=true: the product of all but axis 0' : 'flatten=false: the last axis'})`, types);
  }
  if (b && (b.shape.length !== 1 || !compatible(b.shape[0]!, hidden))) {
    throw new OpError(op, `bias shape ${fmt(b.shape)} must be [${hidden}] (numHidden)`, types);
  }
  const h = pick(ws[0]!, hidden);
  return { hidden: h, inUnits, out: a.flatten ? [xs[0]!, h] : [...xs.slice(0, -1), h] };
}

type FcSig = (data: Tx, weight: Tx, bias?: Tx | null | FcOptions, ...rest: PositionalRest<FcOptions, ['numHidden', 'noBias', 'flatten']>) => Tx;

/**
 * MXNet `FullyConnected`: `y = x·Wᵀ + b` with weight `[numHidden, inUnits]`.
 * `flatten` (default) collapses all but axis 0 of the data; with
 * `flatten: false` it applies to the last axis.
 * Example: `F.FullyConnected(x, w, b, { numHidden: 10 })`.
 */
export const FullyConnected: OpDef<FcSig, FcAttrs> = defineOp<FcSig, FcAttrs>({
  name: 'FullyConnected',
  inputs: ['data', 'weight', 'bias?'],
  params: ['weight', 'bias'],
  attrs: { numHidden: null, noBias: false, flatten: true },
  positional: ['numHidden', 'noBias', 'flatten'],
  infer: (types, a) => [{ dtype: commonDType('FullyConnected', types, FLOAT_DTYPES), shape: fcGeom(types, a).out }],
  solve: (types, a) => {
    const xs = types[0]!.shape;
    const inUnits = a.flatten ? mulDims(xs.slice(1)) : xs[xs.length - 1]!;
    const ws = types[1]!.shape;
    const hidden = a.numHidden ?? ws[0]!;
    const w = ws.includes(0) && ws.length === 2 ? [ws[0] === 0 ? hidden : ws[0]!, ws[1] === 0 ? inUnits : ws[1]!] : undefined;
    const b = types[2]?.shape.includes(0) ? [hidden !== 0 ? hidden : (w?.[0] ?? 0)] : undefined;
    return [undefined, w, b];
  },
  lower: (c, a) => {
    const [x, w, b] = c.inputs;
    const rank = c.inTypes[0]!.shape.length;
    if (a.flatten || rank === 2) {
      const flat = rank === 2 ? x! : c.emit('Flatten', [x!], { axis: 1 })[0]!;
      return void c.emit('Gemm', b ? [flat, w!, b] : [flat, w!], { transB: 1 }, c.outputs);
    }
    const [wt] = c.emit('Transpose', [w!], { perm: [1, 0] });
    // An input known to be empty ([2, 0, 4]) gets no bias (its output is empty too): onnxruntime 1.30's
    // MatMulAddFusion rewrites MatMul+Add of a static shape with a 0 into a Reshape that reads the 0 as "copy" and fails.
    if (!b || c.inTypes[0]!.shape.includes(0)) return void c.emit('MatMul', [x!, wt!], {}, c.outputs);
    const [y] = c.emit('MatMul', [x!, wt!]);
    c.emit('Add', [y!, b], {}, c.outputs);
  },
  kernel: ([x, w, b], _a, [out]) => {
    const [h, k] = w!.shape as [number, number];
    const m = sizeOf(x!.shape) / Math.max(k, 1);
    const wt = permute(toF64(w!), [h, k], [1, 0]);
    const y = matmulF64(toF64(x!), wt, 1, m, k, h);
    if (b) {
      const bv = toF64(b);
      for (let i = 0; i < y.length; i++) y[i]! += bv[i % h]!;
    }
    return [fromF64(out!, y)];
  },
  // dx = g·W (reshaped like the data), dW = gᵀ·x over every row, db = the sum of g's rows.
  grad: (F, { inputs: [x, w, b], inTypes, attrs }, [g]) => {
    if (!g) return [null, null, ...(b ? [null] : [])];
    const xs = inTypes[0]!.shape;
    const rank = xs.length;
    let dx: GradTensor;
    let dw: GradTensor;
    if (rank === 2) {
      dx = F.dot(g, w!);
      dw = F.dot(g, x!, { transposeA: true });
    } else if ((attrs as FcAttrs).flatten) {
      // Back to the data's shape: literal sizes after the batch axis, or the data's own shape.
      const rest = xs.slice(1);
      const dflat = F.dot(g, w!);
      dx = rest.every((d) => typeof d === 'number') ? F.reshape(dflat, [0, ...(rest as number[])]) : F.reshapeLike(dflat, x!);
      dw = F.dot(g, F.reshape(x!, [0, -1]), { transposeA: true });
    } else {
      dx = F.dot(g, w!);
      const rows = (t: GradTensor) => F.reshape(t, { shape: [-1, 0], reverse: true });
      dw = F.dot(rows(g), rows(x!), { transposeA: true });
    }
    const grads: (GradTensor | null)[] = [dx, dw];
    if (b) grads.push(F.sum(g, { axis: -1, exclude: true }));
    return grads;
  },
});

// ---------------------------------------------------------------- Embedding

type EmbAttrs = Attrs & { inputDim: number | null; outputDim: number | null; dtype: string; sparseGrad: boolean };

const INDEX_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8'];

function embGeom(types: TensorType[], a: EmbAttrs): Shape {
  const op = 'Embedding';
  const [x, w] = types;
  for (const k of ['inputDim', 'outputDim'] as const) {
    const v = a[k];
    if (v !== null && (!Number.isInteger(v) || v < 1)) throw new OpError(op, `${k} must be a positive integer, got ${JSON.stringify(v)}`, types);
  }
  if (!isDType(a.dtype)) throw new OpError(op, `dtype ${JSON.stringify(a.dtype)} is not a dtype`, types);
  if (!INDEX_DTYPES.includes(x!.dtype)) throw new OpError(op, `indices of dtype ${x!.dtype} are not supported`, types);
  if (!FLOAT_DTYPES.includes(w!.dtype)) throw new OpError(op, `weight dtype ${w!.dtype} is not supported (supported: ${FLOAT_DTYPES.join(', ')})`, types);
  const ws = w!.shape;
  if (ws.length !== 2 || !compatible(ws[0]!, a.inputDim ?? 0) || !compatible(ws[1]!, a.outputDim ?? 0)) {
    throw new OpError(op, `weight shape ${fmt(ws)} must be [inputDim, outputDim] = [${a.inputDim ?? '?'}, ${a.outputDim ?? '?'}]`, types);
  }
  return [...x!.shape, pick(ws[1]!, a.outputDim ?? 0)];
}

type EmbSig = (data: Tx, weight: Tx, ...rest: PositionalOptions<{ inputDim?: number; outputDim?: number; dtype?: DType; sparseGrad?: boolean }, ['inputDim', 'outputDim', 'dtype', 'sparseGrad']>) => Tx;

/**
 * MXNet `Embedding`: rows of `weight` ([inputDim, outputDim]) picked by the
 * indices in `data` (float or integer; indices are truncated and clipped to
 * [0, inputDim - 1] as MXNet does; NaN selects row 0). Output: `data.shape + [outputDim]`.
 * Example: `F.Embedding(tokens, w, { inputDim: 1000, outputDim: 64 })`.
 */
export const Embedding: OpDef<EmbSig, EmbAttrs> = defineOp<EmbSig, EmbAttrs>({
  name: 'Embedding',
  inputs: ['data', 'weight'],
  params: ['weight'],
  attrs: { inputDim: null, outputDim: null, dtype: 'float32', sparseGrad: false },
  positional: ['inputDim', 'outputDim', 'dtype', 'sparseGrad'],
  infer: (types, a) => [{ dtype: types[1]!.dtype, shape: embGeom(types, a) }],
  solve: (types, a) => {
    const ws = types[1]!.shape;
    if (!ws.includes(0) || ws.length !== 2) return [undefined, undefined];
    return [undefined, [ws[0] === 0 ? a.inputDim ?? 0 : ws[0]!, ws[1] === 0 ? a.outputDim ?? 0 : ws[1]!]];
  },
  lower: (c) => {
    const [x, w] = c.inputs;
    const rows = c.inTypes[1]!.shape[0]!;
    const clipped = clippedIndicesInt64(c, x!, c.inTypes[0]!.dtype, typeof rows === 'number' ? rows : c.emit('Squeeze', [shapeSlice(c, w!, 0, 1)])[0]!);
    c.emit('Gather', [w!, clipped], { axis: 0 }, c.outputs);
  },
  kernel: ([x, w], _a, [out]) => {
    const [rows, dim] = w!.shape as [number, number];
    const idx = toF64(x!);
    const wv = toF64(w!);
    const y = new Float64Array(idx.length * dim);
    for (let i = 0; i < idx.length; i++) {
      const r = Math.min(Math.max(indexValue(idx[i]!), 0), rows - 1);
      y.set(wv.subarray(r * dim, (r + 1) * dim), i * dim);
    }
    return [fromF64(out!, y)];
  },
  // The indices get no gradient (MXNet); the weight's is a scatter-add of g's rows at the clipped
  // indices: (number of indices) x outputDim elements, no one-hot matrix of the vocabulary.
  grad: (F, { inputs: [x, w] }, [g]) => (g ? [null, F.indexAdd(F.zerosLike(w!), x!, g, { axis: 0, mode: 'clip' })] : [null, null]),
});

/** The dense layers' operators by F name. */
export const DENSE_OPS = { FullyConnected, Embedding } as const;
