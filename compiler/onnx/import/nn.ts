/**
 * Importers of ONNX's neural-network operators: Conv, ConvTranspose, DeformConv,
 * MaxPool, AveragePool, GlobalAverage/MaxPool, BatchNormalization,
 * LayerNormalization, InstanceNormalization, Gemm, MatMul, Einsum,
 * Softmax/LogSoftmax/Hardmax, GroupNormalization (opset 18's per-group and
 * 21's per-channel scale), LpNormalization, LpPool/GlobalLpPool, and Resize
 * (resize.ts). Dilated pooling (max, average, LpPool) works on strided slices; LpPool is
 * (Σ_window |x|^p)^(1/p), a sum pooling of |x|^p.
 * BatchNormalization keeps the inference semantics it was exported with:
 * the running statistics normalize (`useGlobalStats`), as in PyTorch's
 * `eval()` mode, so an imported network fine-tunes with frozen statistics.
 * Asymmetric padding becomes an explicit `pad` before the operator.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { castTo, normAxis, type Builder, type ImportCtx } from './context.js';
import { resize } from './resize.js';

/** The largest float32, the padding value of max pooling. */
const LOWEST = -3.4028234663852886e38;

const num = (c: ImportCtx, d: Dim | undefined, what: string): number => {
  if (typeof d !== 'number') throw c.refuse(`${what} '${String(d)}' must be a known number`);
  return d;
};

/** Kernel, strides, dilations and begin/end pads of a convolution or pooling node. Example: `const g = geometry(c, x, w.type.shape.slice(2))`. */
export function geometry(c: ImportCtx, x: Value, kernelFallback: Dim[] | null): { kernel: number[]; stride: number[]; dilate: number[]; begin: number[]; end: number[] } {
  const xs = x.type.shape;
  const nd = xs.length - 2;
  if (nd < 1 || nd > 3) throw c.refuse(`data of rank ${xs.length} (gluonc convolves and pools rank 3 to 5)`);
  const kernel = (c.attr.ints('kernel_shape') ?? kernelFallback?.map((d, i) => num(c, d, `kernel dimension ${i}`)))!;
  if (!kernel || kernel.length !== nd) throw c.refuse(`kernel_shape ${JSON.stringify(kernel)} does not have ${nd} entries`);
  const ones = new Array<number>(nd).fill(1);
  const stride = c.attr.ints('strides') ?? ones;
  const dilate = c.attr.ints('dilations') ?? ones;
  const pads = c.attr.ints('pads') ?? new Array<number>(2 * nd).fill(0);
  let begin = pads.slice(0, nd);
  let end = pads.slice(nd);
  const auto = c.attr.str('auto_pad', 'NOTSET');
  if (auto === 'VALID') [begin, end] = [begin.map(() => 0), end.map(() => 0)];
  else if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    begin = [];
    end = [];
    for (let i = 0; i < nd; i++) {
      // With stride 1 the total is (k - 1)·dilation at any size (torch's padding='same'): a symbolic size needs no number.
      const unit = stride[i] === 1 && typeof xs[2 + i] !== 'number';
      const d = unit ? 0 : num(c, xs[2 + i], `spatial dimension ${i} (auto_pad ${auto} with stride ${stride[i]})`);
      const out = Math.ceil(d / stride[i]!);
      const total = unit ? (kernel[i]! - 1) * dilate[i]! : Math.max((out - 1) * stride[i]! + (kernel[i]! - 1) * dilate[i]! + 1 - d, 0);
      const small = Math.floor(total / 2);
      begin.push(auto === 'SAME_UPPER' ? small : total - small);
      end.push(auto === 'SAME_UPPER' ? total - small : small);
    }
  } else if (auto !== 'NOTSET') throw c.refuse(`auto_pad '${auto}'`);
  return { kernel, stride, dilate, begin, end };
}

/** Pads `x` explicitly when begin and end pads differ; returns the data and the symmetric pad left. */
function symmetric(c: ImportCtx, x: Value, begin: number[], end: number[], value: number): { x: Value; pad: number[] } {
  if (begin.every((b, i) => b === end[i])) return { x, pad: begin };
  const width = [0, 0, 0, 0, ...begin.flatMap((b, i) => [b, end[i]!])];
  return { x: c.op('pad', [x], { mode: 'constant', padWidth: width, constantValue: value }), pad: begin.map(() => 0) };
}

const conv: Builder = (c) => {
  const [x0, w, b] = [c.input(0), c.input(1), c.optInput(2)];
  const g = geometry(c, x0, w.type.shape.slice(2));
  const { x, pad } = symmetric(c, x0, g.begin, g.end, 0);
  const numFilter = num(c, w.type.shape[0], 'the number of filters');
  const attrs = { kernel: g.kernel, stride: g.stride, dilate: g.dilate, pad, numFilter, numGroup: c.attr.int('group', 1), noBias: !b };
  return [c.op('Convolution', b ? [x, w, b] : [x, w], attrs)];
};

/**
 * DeformConv (opset 19) onto ModulatedDeformableConvolution (2-D); an absent
 * mask is ones, asymmetric pads an explicit zero `pad` first (a tap in the
 * padding reads 0 either way).
 */
const deformConv: Builder = (c) => {
  const [x0, w, off, b, m] = [c.input(0), c.input(1), c.input(2), c.optInput(3), c.optInput(4)];
  if (x0.type.shape.length !== 4) throw c.refuse(`input of rank ${x0.type.shape.length} (gluonc's deformable convolution is 2-D: [N, C, H, W])`);
  const g = geometry(c, x0, w.type.shape.slice(2));
  const { x, pad } = symmetric(c, x0, g.begin, g.end, 0);
  const numFilter = num(c, w.type.shape[0], 'the number of filters');
  const offsets = num(c, off.type.shape[1], 'the offset channels');
  const mask = m ?? c.op('onesLike', [c.op('sliceAxis', [off], { axis: 1, begin: 0, end: offsets / 2 })]);
  const attrs = { kernel: g.kernel, stride: g.stride, dilate: g.dilate, pad, numFilter, numGroup: c.attr.int('group', 1), numDeformableGroup: c.attr.int('offset_group', 1), noBias: !b };
  return [c.op('ModulatedDeformableConvolution', b ? [x, off, mask, w, b] : [x, off, mask, w], attrs)];
};

const convTranspose: Builder = (c) => {
  const [x, w, b] = [c.input(0), c.input(1), c.optInput(2)];
  const auto = c.attr.str('auto_pad', 'NOTSET');
  const outShape = c.attr.ints('output_shape');
  const kernel = (c.attr.ints('kernel_shape') ?? w.type.shape.slice(2).map((d, i) => num(c, d, `kernel dimension ${i}`)));
  const nd = kernel.length;
  const stride = c.attr.ints('strides') ?? kernel.map(() => 1);
  const dilate = c.attr.ints('dilations') ?? kernel.map(() => 1);
  const outPad = c.attr.ints('output_padding') ?? kernel.map(() => 0);
  let begin: number[];
  let adj = [...outPad];
  const crop: (number | null)[] = kernel.map(() => null);
  if (outShape || auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    // ONNX's total padding for the requested size, begin side per auto_pad; MXNet pads p on both sides and adds adj
    // at the end (< stride); a size one short is cut off at the end.
    begin = [];
    adj = [];
    for (let i = 0; i < nd; i++) {
      const d = num(c, x.type.shape[2 + i], `spatial dimension ${i}`);
      const out = outShape ? outShape[outShape.length - nd + i]! : d * stride[i]!;
      const kEff = (kernel[i]! - 1) * dilate[i]! + 1;
      const total = stride[i]! * (d - 1) + outPad[i]! + kEff - out;
      const p = Math.max(auto === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2), 0);
      const a = out - (stride[i]! * (d - 1) + kEff - 2 * p);
      if (a >= stride[i]! || a < -1) throw c.refuse(`output size ${out} on spatial axis ${i} needs padding gluonc's Deconvolution cannot express`);
      begin.push(p);
      adj.push(Math.max(a, 0));
      if (a < 0) crop[i] = out;
    }
  } else {
    if (auto !== 'NOTSET' && auto !== 'VALID') throw c.refuse(`auto_pad '${auto}'`);
    const pads = auto === 'VALID' ? new Array<number>(2 * nd).fill(0) : c.attr.ints('pads') ?? new Array<number>(2 * nd).fill(0);
    begin = pads.slice(0, nd);
    if (!begin.every((p, i) => p === pads[nd + i])) throw c.refuse(`asymmetric pads ${JSON.stringify(pads)}`);
  }
  const g = { kernel, stride, dilate };
  const group = c.attr.int('group', 1);
  const numFilter = num(c, w.type.shape[1], 'the filters per group') * group;
  const attrs = { kernel: g.kernel, stride: g.stride, dilate: g.dilate, pad: begin, adj, numFilter, numGroup: group, noBias: !b };
  const y = c.op('Deconvolution', b ? [x, w, b] : [x, w], attrs);
  if (crop.every((e) => e === null)) return [y];
  const none = [null, null];
  return [c.op('slice', [y], { begin: [...none, ...crop.map(() => null)], end: [...none, ...crop], step: [...none, ...crop.map(() => null)] } as never)];
};

/**
 * Pooling with dilations (gluonc's Pooling has none), over the kernel's
 * offsets of strided slices of the padded input, one spatial axis at a time (ceil_mode pads further at
 * the end; a window that starts in the end padding is dropped, as ONNX and
 * PyTorch do). Max: the maximum of the slices, padded with the lowest float.
 * Average: their sum over zero padding, divided by the same sum of a
 * constant mask counting what the window holds — the real elements, and
 * with count_include_pad the explicit pads too (not ceil_mode's overhang),
 * as onnxruntime counts.
 */
function dilatedPool(c: ImportCtx, x0: Value, g: ReturnType<typeof geometry>, ceil: boolean, poolType: 'max' | 'avg' | 'sum', includePad: boolean): Value {
  const spatial = x0.type.shape.slice(2).map((d, i) => num(c, d, `spatial dimension ${i}`));
  const nd = spatial.length;
  const out = spatial.map((n, i) => {
    const span = n + g.begin[i]! + g.end[i]! - ((g.kernel[i]! - 1) * g.dilate[i]! + 1);
    let o = (ceil ? Math.ceil(span / g.stride[i]!) : Math.floor(span / g.stride[i]!)) + 1;
    if (ceil && (o - 1) * g.stride[i]! >= n + g.begin[i]!) o--;
    return o;
  });
  const extra = spatial.map((n, i) => Math.max(0, (out[i]! - 1) * g.stride[i]! + (g.kernel[i]! - 1) * g.dilate[i]! + 1 - (n + g.begin[i]! + g.end[i]!)));
  const width = [0, 0, 0, 0, ...g.begin.flatMap((b, i) => [b, g.end[i]! + extra[i]!])];
  const max = poolType === 'max';
  const padded = (v: Value) => (width.some((w) => w) ? c.op('pad', [v], { mode: 'constant', padWidth: width, constantValue: max ? LOWEST : 0 }) : v);
  // A window's maximum (sum) is the maximum (sum) over its rows of theirs: axis by axis, the kernel's sizes'
  // sum of slices rather than their product (a 60 x 80 kernel: 140 slices, not 4,800).
  const windows = (x: Value): Value => {
    let v = x;
    for (let i = 0; i < nd; i++) {
      const along = (at: number | null) => [null, null, ...spatial.map((_n, a) => (a === i ? at : null))];
      let acc: Value | null = null;
      for (let j = 0; j < g.kernel[i]!; j++) {
        const begin = j * g.dilate[i]!;
        const w = c.op('slice', [v], { begin: along(begin), end: along(begin + (out[i]! - 1) * g.stride[i]! + 1), step: along(g.stride[i]!) } as never);
        acc = acc ? c.op(max ? 'maximum' : 'add', [acc, w]) : w;
      }
      v = acc!;
    }
    return v;
  };
  const total = windows(padded(x0));
  if (poolType !== 'avg') return total;
  // The divisor per output position: the window sums of a mask of ones over what counts.
  const dtype = x0.type.dtype;
  const counted = includePad ? spatial.map((n, i) => n + g.begin[i]! + g.end[i]!) : spatial;
  const maskWidth = [0, 0, 0, 0, ...spatial.flatMap((_n, i) => (includePad ? [0, extra[i]!] : [g.begin[i]!, g.end[i]! + extra[i]!]))];
  const ones = c.constant(tensorFromNumbers(dtype, [1, 1, ...counted], new Array<number>(counted.reduce((a, b) => a * b, 1)).fill(1)));
  const mask = maskWidth.some((w) => w) ? c.op('pad', [ones], { mode: 'constant', padWidth: maskWidth, constantValue: 0 }) : ones;
  return c.op('div', [total, windows(mask)]);
}

function pool(poolType: 'max' | 'avg'): Builder {
  return (c) => {
    const x0 = c.input(0);
    const d0 = x0.type.dtype;
    if (c.outputNames[1]) return [pooled(c, x0, poolType), maxIndices(c, x0)];
    c.attr.ignore('storage_order');   // it orders only the Indices output's positions
    // 8-bit integers are exact in float32 and a maximum picks one of them: pool there, cast back.
    if (poolType === 'max' && (d0 === 'uint8' || d0 === 'int8')) return [castTo(c, pooled(c, castTo(c, x0, 'float32'), poolType), d0)];
    return [pooled(c, x0, poolType)];
  };
}

/** MaxPool's Indices output (gluonc's `maxPoolIndices`). */
function maxIndices(c: ImportCtx, x: Value): Value {
  const g = geometry(c, x, null);
  const options = { kernel: g.kernel, stride: g.stride, dilate: g.dilate, pad: [...g.begin, ...g.end], ceilMode: c.attr.int('ceil_mode', 0) === 1, storageOrder: c.attr.int('storage_order', 0) };
  return c.op('maxPoolIndices', [x], options);
}

/** MaxRoiPool (gluonc's `ROIPooling`, MXNet's: the same Caffe loop in onnxruntime's kernel); forward only, as ROIPooling. */
const maxRoiPool: Builder = (c) => {
  const pooled = c.attr.ints('pooled_shape');
  if (!pooled) throw c.refuse('a MaxRoiPool without pooled_shape');
  return [c.op('ROIPooling', [c.input(0), c.input(1)], { pooledSize: pooled, spatialScale: c.attr.float('spatial_scale', 1) })];
};

/**
 * MaxUnpool (gluonc's `maxUnpool`); an output_shape other than the unpooled size is refused: onnxruntime (as
 * torch's max_unpool) reads the indices as positions in that output, ONNX's reference as positions in the
 * unpooled size padded at the end (onnx/onnx#2726: the definition is ambiguous).
 */
const maxUnpool: Builder = (c) => {
  const [x, idx] = [c.input(0), c.input(1)];
  const g = geometry(c, x, null);
  const y = c.op('maxUnpool', [x, idx], { kernel: g.kernel, stride: g.stride, pad: [...g.begin, ...g.end] });
  const want = c.numbers(2, 'output_shape');
  if (want && want.slice(2).join() !== y.type.shape.slice(2).join()) {
    throw c.refuse(`output_shape [${want.join(', ')}] differs from the unpooled size [${y.type.shape.join(', ')}] (onnxruntime writes the flat indices into the larger output, ONNX's reference keeps their rows and columns)`);
  }
  return [y];
};

/** MaxPool/AveragePool (LpPool: a sum pooling) of x0 with the node's geometry. */
function pooled(c: ImportCtx, x0: Value, poolType: 'max' | 'avg' | 'sum'): Value {
  const g = geometry(c, x0, null);
  const includePad = poolType === 'avg' && c.attr.int('count_include_pad', 0) === 1;
  if (g.dilate.some((d) => d !== 1)) return dilatedPool(c, x0, g, c.attr.int('ceil_mode', 0) === 1, poolType, includePad);
  const asym = !g.begin.every((p, i) => p === g.end[i]);
  const ceil = c.attr.int('ceil_mode', 0) === 1;
  if (asym && poolType === 'avg' && !includePad) {
    // The average of the real elements: the window sums of the zero-padded data over those of padded ones.
    if (ceil) throw c.refuse('asymmetric pads with count_include_pad=0 and ceil_mode=1');
    const plain = { kernel: g.kernel, poolType, stride: g.stride, pad: g.kernel.map(() => 0), poolingConvention: 'valid', countIncludePad: true };
    const padded = (v: Value) => symmetric(c, v, g.begin, g.end, 0).x;
    const sums = c.op('Pooling', [padded(x0)], plain);
    const counts = c.op('Pooling', [padded(c.op('onesLike', [x0]))], plain);
    return c.op('div', [sums, counts]);
  }
  const { x, pad } = symmetric(c, x0, g.begin, g.end, poolType === 'max' ? LOWEST : 0);
  const attrs = {
    kernel: g.kernel, poolType, stride: g.stride, pad,
    poolingConvention: ceil ? 'full' : 'valid', countIncludePad: includePad || poolType === 'max',
  };
  return c.op('Pooling', [x], attrs);
}

const globalPool = (poolType: 'max' | 'avg'): Builder => (c) => [c.op('Pooling', [c.input(0)], { globalPool: true, poolType, kernel: [1] })];

/** |x|^p, and its p-th root (p = 1, 2 exactly; others by pow). */
function lpParts(c: ImportCtx, x: Value, p: number): { powered: Value; root: (v: Value) => Value } {
  if (!Number.isInteger(p) || p < 1) throw c.refuse(`p ${p} (a positive integer)`);
  const d = x.type.dtype;
  const a = c.op('abs', [x]);
  if (p === 1) return { powered: a, root: (v) => v };
  if (p === 2) return { powered: c.op('square', [x]), root: (v) => c.op('sqrt', [v]) };
  return { powered: c.op('pow', [a, c.scalar(p, d)]), root: (v) => c.op('pow', [v, c.scalar(1 / p, d)]) };
}

/** LpPool: (Σ_window |x|^p)^(1/p) over the node's windows (zero padding adds nothing). */
const lpPool: Builder = (c) => {
  const { powered, root } = lpParts(c, c.input(0), c.attr.int('p', 2));
  return [root(pooled(c, powered, 'sum'))];
};

/** GlobalLpPool: (Σ |x|^p)^(1/p) over the spatial axes, kept as 1. */
const globalLpPool: Builder = (c) => {
  const x = c.input(0);
  const { powered, root } = lpParts(c, x, c.attr.int('p', 2));
  return [root(c.op('sum', [powered], { axis: x.type.shape.slice(2).map((_d, i) => i + 2), keepdims: true }))];
};

/** LpNormalization: x / ‖x‖_p along `axis` (p 1 or 2); a zero slice gives zeros, as onnxruntime's. */
const lpNormalization: Builder = (c) => {
  const x = c.input(0);
  const p = c.attr.int('p', 2);
  if (p !== 1 && p !== 2) throw c.refuse(`p ${p} (ONNX's LpNormalization takes 1 or 2)`);
  const axis = normAxis(c, c.attr.int('axis', -1), x.type.shape.length);
  const n = c.op('norm', [x], { ord: p, axis, keepdims: true });
  // Dividing a zero slice by 1 instead of 0 keeps its zeros, and its gradient finite (gluonc's equal gives 0/1 in x's dtype).
  return [c.op('div', [x, c.op('add', [n, c.op('equal', [n, c.scalar(0, x.type.dtype)])])])];
};

/**
 * GroupNormalization: gluonc's GroupNorm, which takes opset 18's per-group
 * scale and bias ([num_groups]) as well as opset 21's per-channel ones ([C]).
 */
const groupNorm: Builder = (c) => {
  const [x, scale, bias] = [c.input(0), c.input(1), c.input(2)];
  if (!c.attr.has('num_groups')) throw c.refuse('attribute num_groups is missing');
  return [c.op('GroupNorm', [x, scale, bias], { numGroups: c.attr.int('num_groups', 1), eps: c.attr.float('epsilon', 1e-5) })];
};

/**
 * BatchNormalization in training mode: batch statistics, and the updated
 * running ones as outputs 1 and 2. Written out functionally, not with
 * gluonc's BatchNorm: eager BatchNorm in training mode updates the running
 * statistics it is given in place (MXNet's auxiliary states), while ONNX
 * returns the updated ones and leaves its inputs as they were.
 */
function batchNormTraining(c: ImportCtx, ins: Value[]): Value[] {
  const [x, gamma, beta, mean, variance] = ins as [Value, Value, Value, Value, Value];
  const d = x.type.dtype;
  const eps = c.attr.float('epsilon', 1e-5);
  const momentum = c.attr.float('momentum', 0.9);
  const axes = x.type.shape.map((_d, i) => i).filter((i) => i !== 1);
  const meanK = c.op('mean', [x], { axis: axes, keepdims: true });
  const varK = c.op('mean', [c.op('square', [c.op('sub', [x, meanK])])], { axis: axes, keepdims: true });
  const perChannel = (v: Value) => c.op('reshape', [v], { shape: [-1, ...axes.slice(1).map(() => 1)] });
  const norm = c.op('div', [c.op('sub', [x, meanK]), c.op('sqrt', [c.op('add', [varK, c.scalar(eps, d)])])]);
  const y = c.op('add', [c.op('mul', [norm, perChannel(gamma)]), perChannel(beta)]);
  const blend = (old: Value, cur: Value) =>
    c.op('add', [c.op('mul', [old, c.scalar(momentum, d)]), c.op('mul', [c.op('reshape', [cur], { shape: [-1] }), c.scalar(1 - momentum, d)])]);
  return [y, blend(mean, meanK), blend(variance, varK)];
}

const batchNorm: Builder = (c) => {
  if (c.opset < 9 && c.attr.int('spatial', 1) === 0) throw c.refuse('spatial=0 (per-element statistics)');
  // Before opset 7 is_test=0 (the default) normalizes by the batch's statistics: only inference (is_test=1) maps.
  if (c.opset < 7 && c.attr.int('is_test', 0) === 0) throw c.refuse('is_test=0 (the batch statistics of opset 6 training) is not supported');
  const ins = [0, 1, 2, 3, 4].map((i) => c.input(i));
  if (c.attr.int('training_mode', 0) === 1) return batchNormTraining(c, ins);
  if (c.outputNames.slice(1).some((s) => s)) throw c.refuse('its running-statistics outputs without training_mode=1 are not supported');
  const attrs = { eps: c.attr.float('epsilon', 1e-5), momentum: c.attr.float('momentum', 0.9), fixGamma: false, useGlobalStats: true, axis: 1, training: false };
  return [c.op('BatchNorm', ins, attrs)];
};

/** LRN: x / (bias + alpha/size * sum of squares over a window of channels)^beta, the window as a sum pooling. */
const lrn: Builder = (c) => {
  const x = c.input(0);
  if (x.type.shape.length !== 4) throw c.refuse(`data of rank ${x.type.shape.length} (gluonc maps LRN on NCHW)`);
  const size = c.attr.int('size', 0);
  if (size < 1) throw c.refuse(`size ${size}`);
  const d = x.type.dtype;
  const [alpha, beta, bias] = [c.attr.float('alpha', 1e-4), c.attr.float('beta', 0.75), c.attr.float('bias', 1)];
  const sq = c.op('expandDims', [c.op('square', [x])], { axis: 1 });
  const [before, after] = [Math.floor((size - 1) / 2), Math.ceil((size - 1) / 2)];
  const padded = c.op('pad', [sq], { mode: 'constant', padWidth: [0, 0, 0, 0, before, after, 0, 0, 0, 0], constantValue: 0 });
  const sums = c.op('squeeze', [c.op('Pooling', [padded], { kernel: [size, 1, 1], poolType: 'sum', stride: [1, 1, 1], pad: [0, 0, 0] })], { axis: 1 });
  const denom = c.op('pow', [c.op('add', [c.op('mul', [sums, c.scalar(alpha / size, d)]), c.scalar(bias, d)]), c.scalar(beta, d)]);
  return [c.op('div', [x, denom])];
};

/** A per-axis vector shaped to broadcast against rank-`rank` data on axis 1. */
function onAxis1(c: ImportCtx, v: Value, rank: number): Value {
  return c.op('reshape', [v], { shape: [-1, ...new Array<number>(rank - 2).fill(1)] });
}

const instanceNorm: Builder = (c) => {
  const [x, scale, bias] = [c.input(0), c.input(1), c.input(2)];
  const r = x.type.shape.length;
  const axes = Array.from({ length: r - 2 }, (_v, i) => i + 2);
  const d = x.type.dtype;
  const centered = c.op('sub', [x, c.op('mean', [x], { axis: axes, keepdims: true })]);
  const variance = c.op('mean', [c.op('square', [centered])], { axis: axes, keepdims: true });
  const norm = c.op('mul', [centered, c.op('rsqrt', [c.op('add', [variance, c.scalar(c.attr.float('epsilon', 1e-5), d)])])]);
  return [c.op('add', [c.op('mul', [norm, onAxis1(c, scale, r)]), onAxis1(c, bias, r)])];
};

/**
 * LayerNormalization over axes `axis..` (several trailing axes: merged into
 * one first); the optional Mean and InvStdDev outputs (normalized axes kept as 1).
 */
const layerNorm: Builder = (c) => {
  const x = c.input(0);
  const xs = x.type.shape;
  const r = xs.length;
  const axis = normAxis(c, c.attr.int('axis', -1), r);
  const eps = c.attr.float('epsilon', 1e-5);
  // The dtype of the mean and inverse deviation: 1 (float32), the default and the one ONNX's reference computes with.
  const stash = c.attr.int('stash_type', 1);
  if (stash !== 1) throw c.refuse(`stash_type ${stash} (only 1, float32, is defined by ONNX's reference)`);
  const trailing = xs.slice(axis).map((d, i) => num(c, d, `normalized dimension ${axis + i}`));
  const n = trailing.reduce((p, d) => p * d, 1);
  const vec = (v: Value) => (v.type.shape.length === 1 && v.type.shape[0] === n ? v : c.op('reshape', [v], { shape: [n] }));
  const scale = vec(c.input(1));
  const bias = c.has(2) ? vec(c.input(2)) : c.constant(tensorFromNumbers(x.type.dtype, [n], new Array<number>(n).fill(0)));
  let y: Value;
  if (axis === r - 1) y = c.op('LayerNorm', [x, scale, bias], { axis: -1, eps });
  else {
    const flat = c.op('reshape', [x], { shape: [...new Array<number>(axis).fill(0), n] });
    const z = c.op('LayerNorm', [flat, scale, bias], { axis: -1, eps });
    y = c.op('reshape', [z], { shape: [...new Array<number>(axis).fill(0), ...trailing] });
  }
  if (!c.outputNames.slice(1).some((s) => s)) return [y];
  const axes = Array.from({ length: r - axis }, (_v, i) => axis + i);
  const mean = c.op('mean', [x], { axis: axes, keepdims: true });
  const variance = c.op('mean', [c.op('square', [c.op('sub', [x, mean])])], { axis: axes, keepdims: true });
  return [y, mean, c.op('rsqrt', [c.op('add', [variance, c.scalar(eps, x.type.dtype)])])];
};

/** Gemm: FullyConnected where it is one (alpha = beta = 1, 1-D bias), else dot, scale and add. */
const gemm: Builder = (c) => {
  const [a, b, bias] = [c.input(0), c.input(1), c.optInput(2)];
  const alpha = c.attr.float('alpha', 1);
  const beta = c.attr.float('beta', 1);
  // Opset 6's broadcast: C broadcast to [M, N] (1) or of that shape already (0); broadcasting C computes both.
  c.attr.ignore('broadcast');
  const transA = c.attr.int('transA', 0) === 1;
  const transB = c.attr.int('transB', 0) === 1;
  if (a.type.shape.length !== 2 || b.type.shape.length !== 2) throw c.refuse(`inputs of rank ${a.type.shape.length} and ${b.type.shape.length} (Gemm takes matrices)`);
  const units = b.type.shape[transB ? 0 : 1]!;
  const vectorBias = !bias || (bias.type.shape.length === 1 && bias.type.shape[0] === units && units !== 1);
  if (!transA && alpha === 1 && (!bias || beta === 1) && vectorBias && typeof units === 'number') {
    const w = transB ? b : c.op('transpose', [b]);
    return [c.op('FullyConnected', bias ? [a, w, bias] : [a, w], { numHidden: units, noBias: !bias, flatten: true })];
  }
  const d = a.type.dtype;
  let y = c.op('dot', [a, b], { transposeA: transA, transposeB: transB });
  if (alpha !== 1) y = c.op('mul', [y, c.scalar(alpha, d)]);
  if (bias && beta !== 0) y = c.op('add', [y, beta === 1 ? bias : c.op('mul', [bias, c.scalar(beta, d)])]);
  return [y];
};

/** MatMul with numpy semantics: dot (2-D right side), batchDot (equal batches) or einsum (broadcast). */
const matmul: Builder = (c) => {
  const [a, b] = [c.input(0), c.input(1)];
  const [as, bs] = [a.type.shape, b.type.shape];
  const [ra, rb] = [as.length, bs.length];
  if (!ra || !rb) throw c.refuse('a scalar operand');
  if (rb <= 2 && !(ra === 1 && rb === 1)) return [c.op('dot', [a, b])];
  if (ra === 1) {
    // A vector times a stack of matrices: no ellipsis on the left, so no broadcasting for einsum to do.
    return [c.op('einsum', [a, b], { equation: rb === 1 ? 'j,j->' : 'j,...jk->...k' })];
  }
  if (rb === 1) return [c.op('dot', [a, b])];
  // Stacks of matrices: both promoted to one rank, the batch dimensions broadcast, then batchDot.
  const r = Math.max(ra, rb);
  const lift = (v: Value, k: number): Value => {
    for (let i = 0; i < r - k; i++) v = c.op('expandDims', [v], { axis: 0 });
    return v;
  };
  let [la, lb] = [lift(a, ra), lift(b, rb)];
  const [sa, sb] = [la.type.shape, lb.type.shape];
  const target = sa.slice(0, -2).map((d, i) => (d === 1 ? sb[i]! : d));
  const spread = (v: Value, s: Dim[]): Value => {
    const want = [...target.map((t, i) => (s[i] === t ? 0 : t)), 0, 0];
    if (want.every((d) => d === 0)) return v;
    if (want.some((d) => typeof d !== 'number')) throw c.refuse(`broadcasting batch dimensions [${s.slice(0, -2).join(', ')}] to the symbolic [${target.join(', ')}]`);
    return c.op('broadcastTo', [v], { shape: want as number[] });
  };
  [la, lb] = [spread(la, sa), spread(lb, sb)];
  return [c.op('batchDot', [la, lb])];
};

const einsum: Builder = (c) => {
  const ins = Array.from({ length: c.nInputs }, (_v, i) => c.input(i));
  return [c.op('einsum', ins, { equation: c.attr.str('equation', '').replace(/\s+/g, '') })];
};

/** Softmax and LogSoftmax: one axis from opset 13; before, the trailing axes from `axis` flattened. */
function softmax(op: string): Builder {
  return (c) => {
    const x = c.input(0);
    const r = x.type.shape.length;
    const axis = normAxis(c, c.attr.int('axis', c.opset >= 13 ? -1 : 1), r);
    if (c.opset >= 13 || axis === r - 1) return [c.op(op, [x], { axis })];
    const pre = x.type.shape.slice(0, axis);
    const known = pre.every((d) => typeof d === 'number');
    if (!known && axis !== 1) throw c.refuse(`opset ${c.opset} ${op} over the flattened axes ${axis}.. needs the leading dimensions known`);
    const shape = known ? [(pre as number[]).reduce((p, d) => p * d, 1), -1] : [0, -1];
    const y = c.op(op, [c.op('reshape', [x], { shape })], { axis: -1 });
    return [c.op('reshapeLike', [y, x])];
  };
}

/** Hardmax: one-hot of the first maximum along `axis` (flattened trailing axes before opset 13, as Softmax). */
const hardmax: Builder = (c) => {
  const x = c.input(0);
  const r = x.type.shape.length;
  const axis = normAxis(c, c.attr.int('axis', c.opset >= 13 ? -1 : 1), r);
  if (c.opset < 13 && axis !== r - 1) throw c.refuse(`opset ${c.opset} Hardmax over the flattened axes ${axis}..`);
  const n = num(c, x.type.shape[axis], `dimension ${axis}`);
  const hot = c.op('oneHot', [c.op('argmax', [x], { axis, keepdims: false })], { depth: n, dtype: x.type.dtype });
  if (axis === r - 1) return [hot];
  const perm = Array.from({ length: r - 1 }, (_v, i) => i);
  perm.splice(axis, 0, r - 1);
  return [c.op('transpose', [hot], { axes: perm })];
};

/** The neural-network importers by ONNX operator. */
export const NN_IMPORTS: Record<string, Builder> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  DeformConv: deformConv,
  MaxUnpool: maxUnpool,
  MaxRoiPool: maxRoiPool,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalMaxPool: globalPool('max'),
  GlobalAveragePool: globalPool('avg'),
  LpPool: lpPool,
  GlobalLpPool: globalLpPool,
  LpNormalization: lpNormalization,
  GroupNormalization: groupNorm,
  BatchNormalization: batchNorm,
  InstanceNormalization: instanceNorm,
  LRN: lrn,
  LayerNormalization: layerNorm,
  Gemm: gemm,
  MatMul: matmul,
  Einsum: einsum,
  Softmax: softmax('softmax'),
  LogSoftmax: softmax('logSoftmax'),
  Hardmax: hardmax,
  Resize: resize,
  Upsample: resize,
};
