/**
 * ONNX's max-pooling indices and their inverse, for imported networks that
 * pool with indices and unpool by them (SegNet, ENet; PyTorch's
 * `max_pool2d(return_indices=True)` with `max_unpool2d`):
 * - `maxPoolIndices`: MaxPool's Indices output, the flat position in the
 *   whole input (row-major over N, C and the spatial axes; `storageOrder` 1:
 *   column-major spatial axes) of each window's maximum;
 * - `maxUnpool`: ONNX's MaxUnpool, zeros with each value written at its index.
 * Invariants: pads are ONNX's begins then ends; spatial sizes are known
 * numbers; onnxruntime's MaxUnpool has no float64 kernel, so float64 runs in
 * float32. Gradients: none for the indices (integers); maxUnpool's data
 * gradient reads the output gradient back at the indices (`take`), for
 * windows that do not overlap (stride >= kernel; else refused by name).
 */
import type { DType } from '../../runtime/dtypes.js';
import { formatShape } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Shape, TensorType } from '../ir/types.js';
import { inFloat32, spatial } from './conv.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';

const FLOATS: readonly DType[] = ['float32', 'float64', 'float16'];

type UnpoolA = Attrs & { kernel: number[]; stride: number[] | null; dilate?: number[] | null; pad: number[] | null; ceilMode?: boolean; storageOrder?: number };

/** The options of `maxPoolIndices` and `maxUnpool` (`pad`: one entry per spatial axis for both sides, or ONNX's begins then ends). */
export interface UnpoolOptions {
  kernel: number[];
  stride?: number[];
  pad?: number[];
  /** maxPoolIndices only. */
  dilate?: number[];
  ceilMode?: boolean;
  storageOrder?: 0 | 1;
}

/** Kernel, strides, dilations and begin+end pads, checked against data of type `x`. */
function geom(op: string, x: TensorType, a: UnpoolA, types: TensorType[]): { nd: number; kernel: number[]; stride: number[]; dilate: number[]; pads: number[]; sizes: number[] } {
  const nd = x.shape.length - 2;
  if (nd < 1 || nd > 3) throw new OpError(op, `needs data of rank 3, 4 or 5 (N, C, spatial...), got ${formatShape(x.shape)}`, types);
  if (!FLOATS.includes(x.dtype)) throw new OpError(op, `data must be float32, float64 or float16, got ${x.dtype}`, types);
  const sizes = x.shape.slice(2);
  if (!sizes.every((d): d is number => typeof d === 'number')) throw new OpError(op, `needs known spatial sizes, got ${formatShape(x.shape)}`, types);
  if (a.kernel === null || a.kernel === undefined) throw new OpError(op, 'needs a kernel', types);
  const kernel = spatial(op, 'kernel', a.kernel, nd, 1, 1, types);
  const stride = spatial(op, 'stride', a.stride, nd, 1, 1, types);
  const dilate = spatial(op, 'dilate', a.dilate ?? null, nd, 1, 1, types);
  const p = a.pad;
  const both = Array.isArray(p) && p.length === 2 * nd ? null : spatial(op, 'pad', p, nd, 0, 0, types);
  const pads = both ? [...both, ...both] : (p as number[]);
  if (!pads.every((v) => Number.isInteger(v) && v >= 0)) throw new OpError(op, `option 'pad' must be non-negative integers, got ${JSON.stringify(p)}`, types);
  return { nd, kernel, stride, dilate, pads, sizes };
}

type IndicesSig = (data: Tx, options: UnpoolOptions) => Tx;

/**
 * ONNX MaxPool's Indices output: where each window's maximum is, as a flat
 * int64 position in the whole input (unpadded), shaped like the pooled output.
 *
 * ```ts
 * const idx = nd.maxPoolIndices(x, { kernel: [2, 2], stride: [2, 2] }); // with nd.Pooling(x, { poolType: 'max', ... })
 * ```
 */
export const maxPoolIndices: OpDef<IndicesSig, UnpoolA> = defineOp<IndicesSig, UnpoolA>({
  name: 'maxPoolIndices',
  inputs: ['data'],
  attrs: { kernel: null, stride: null, dilate: null, pad: null, ceilMode: false, storageOrder: 0 },
  infer: (types, a) => {
    const op = 'maxPoolIndices';
    const g = geom(op, types[0]!, a, types);
    if (a.storageOrder !== 0 && a.storageOrder !== 1) throw new OpError(op, `storageOrder must be 0 (row-major) or 1 (column-major), got ${JSON.stringify(a.storageOrder)}`, types);
    const out: Shape = [types[0]!.shape[0]!, types[0]!.shape[1]!];
    g.sizes.forEach((n, i) => {
      const span = n + g.pads[i]! + g.pads[g.nd + i]! - ((g.kernel[i]! - 1) * g.dilate[i]! + 1);
      if (span < 0) throw new OpError(op, `kernel ${formatShape(g.kernel)} is larger than the padded input along spatial axis ${i}`, types);
      let o = (a.ceilMode ? Math.ceil(span / g.stride[i]!) : Math.floor(span / g.stride[i]!)) + 1;
      // A last window starting in the end padding is dropped (onnxruntime's rule).
      if (a.ceilMode && (o - 1) * g.stride[i]! >= n + g.pads[i]!) o--;
      out.push(o);
    });
    return [{ dtype: 'int64', shape: out }];
  },
  lower: (c, a) => {
    const g = geom('maxPoolIndices', c.inTypes[0]!, a, c.inTypes);
    const attrs = { kernel_shape: g.kernel, strides: g.stride, dilations: g.dilate, pads: g.pads, ceil_mode: a.ceilMode ? 1 : 0, storage_order: a.storageOrder ?? 0 };
    const [, idx] = c.emit('MaxPool', c.inputs, attrs, 2);
    c.emit('Identity', [idx!], {}, c.outputs);
  },
  grad: null,
  noGradReason: 'its output is integer positions',
});

type UnpoolSig = (data: Tx, indices: Tx, options: UnpoolOptions) => Tx;

/**
 * ONNX's MaxUnpool: an output of zeros `[N, C, (in - 1)·stride + kernel - pads]`
 * with each value of `data` written at its flat position in `indices`. (A
 * larger output_shape is not offered: onnxruntime writes the flat positions
 * into it, ONNX's reference keeps their rows and columns.)
 *
 * ```ts
 * const up = nd.maxUnpool(pooled, idx, { kernel: [2, 2], stride: [2, 2] });
 * ```
 */
export const maxUnpool: OpDef<UnpoolSig, UnpoolA> = defineOp<UnpoolSig, UnpoolA>({
  name: 'maxUnpool',
  inputs: ['data', 'indices'],
  attrs: { kernel: null, stride: null, pad: null },
  infer: (types, a) => {
    const op = 'maxUnpool';
    const [x, i] = types as [TensorType, TensorType];
    const g = geom(op, x, a, types);
    if (i.dtype !== 'int64' || i.shape.length !== x.shape.length || !i.shape.every((d, k) => typeof d === 'string' || typeof x.shape[k] === 'string' || d === x.shape[k])) {
      throw new OpError(op, `indices must be int64 of the data's shape ${formatShape(x.shape)}, got ${i.dtype}${formatShape(i.shape)}`, types);
    }
    const dflt = g.sizes.map((n, k) => (n - 1) * g.stride[k]! + g.kernel[k]! - g.pads[k]! - g.pads[g.nd + k]!);
    if (dflt.some((n) => n < 1)) throw new OpError(op, `output size ${formatShape(dflt)} is not positive (pads too large)`, types);
    return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...dflt] }];
  },
  lower: (c, a) => {
    const g = geom('maxUnpool', c.inTypes[0]!, a, c.inTypes);
    const attrs = { kernel_shape: g.kernel, strides: g.stride, pads: g.pads };
    inFloat32(c, [c.inputs[0]!], (ins, outs) => c.emit('MaxUnpool', [ins[0]!, c.inputs[1]!], attrs, outs)[0]!);
  },
  // Each value went to its index: its gradient is the output gradient read back there. Overlapping windows can
  // share an index, and only one of the values written there survives: refused rather than doubled.
  grad: (F, { inputs: [, idx], inTypes, attrs }, [g]) => {
    const geo = geom('maxUnpool', inTypes[0]!, attrs as UnpoolA, inTypes);
    if (geo.stride.some((s, i) => s < geo.kernel[i]!)) {
      throw new OpError('maxUnpool', `cannot differentiate with overlapping windows (stride ${formatShape(geo.stride)} < kernel ${formatShape(geo.kernel)}): a position two windows share keeps one of the values written to it`, inTypes);
    }
    return [g ? F.take(F.reshape(g, [-1]), idx!, { axis: 0 }) : null, null];
  },
});

/** The pooling-index operators, for ops/all.ts. */
export const UNPOOL_OPS = { maxPoolIndices, maxUnpool } as const;
