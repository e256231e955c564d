/**
 * Masked softmax and log-softmax with MXNet 2.x semantics (`npx.masked_softmax`,
 * `npx.masked_log_softmax`; apache/mxnet src/operator/nn/softmax-inl.h,
 * `MaskedSoftmax` and `masked_softmax_where`): masked inputs are replaced by
 * the dtype's lowest value, the softmax of `data / temperature` is taken along
 * `axis`, and masked outputs are then set to 0 (softmax) or -inf
 * (log-softmax). A row with no valid position therefore gives all zeros
 * (all -inf), never NaN. The mask (any dtype, non-zero = valid, 1 = attend)
 * broadcasts to the data's shape.
 * Invariant: the output has the data's shape and dtype.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type LowerCtx, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { broadcastShapes, normAxis, sameDim, splitAt } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { broadcastIndex, fromF64, toF64 } from './kernels.js';

type MaskedA = Attrs & { axis: number; temperature: number | null };

type MaskedSig = Method<(data: Tx, mask: Tx, ...rest: PositionalOptions<{ axis?: number; temperature?: number | null }, ['axis', 'temperature']>) => Tx>;

/** The lowest finite value of a float dtype (MXNet's `MinValue<DType>()`). */
function lowest(dtype: string): number {
  return dtype === 'float64' ? -Number.MAX_VALUE : dtype === 'float16' ? -65504 : -3.4028234663852886e38;
}

function maskedInfer(op: string) {
  return (types: TensorType[], a: MaskedA): TensorType[] => {
    const [x, m] = types as [TensorType, TensorType];
    const dtype = commonDType(op, [x], ['float32', 'float64', 'float16']);
    normAxis(op, a.axis, x.shape.length, types);
    if (a.temperature !== null && !(typeof a.temperature === 'number' && a.temperature > 0 && Number.isFinite(a.temperature))) {
      throw new OpError(op, `temperature must be a positive number or null, got ${JSON.stringify(a.temperature)}`, types);
    }
    const b = broadcastShapes(op, [x.shape, m.shape], types);
    if (b.length !== x.shape.length || !b.every((d, i) => sameDim(d, x.shape[i]!))) {
      throw new OpError(op, `mask shape [${m.shape.join(', ')}] must broadcast to the data's shape [${x.shape.join(', ')}]`, types);
    }
    return [{ dtype, shape: [...x.shape] }];
  };
}

function maskedLower(log: boolean) {
  return (c: LowerCtx, a: MaskedA): void => {
    const t = c.inTypes[0]!;
    const d = t.dtype;
    let x = c.inputs[0]!;
    // Divide first, then mask with the lowest value: lowest / temperature would overflow to -inf.
    if (a.temperature !== null && a.temperature !== 1) x = c.emit('Div', [x, c.scalar(a.temperature, d)])[0]!;
    const m = c.inputs[1]!;
    const cond = c.inTypes[1]!.dtype === 'bool' ? m : c.emit('Not', [c.emit('Equal', [m, c.scalar(0, c.inTypes[1]!.dtype)])[0]!])[0]!;
    const [masked] = c.emit('Where', [cond, x, c.scalar(lowest(d), d)]);
    const [y] = c.emit(log ? 'LogSoftmax' : 'Softmax', [masked!], { axis: normAxis('maskedSoftmax', a.axis, t.shape.length) });
    c.emit('Where', [cond, y!, c.scalar(log ? -Infinity : 0, d)], {}, c.outputs);
  };
}

function maskedKernel(log: boolean) {
  return ([x, m]: HostTensor[], a: MaskedA, [out]: TensorType[]): HostTensor[] => {
    const v = toF64(x!);
    const mv = toF64(m!);
    const shape = x!.shape;
    const mi = broadcastIndex(m!.shape, shape);
    const t = a.temperature ?? 1;
    const ax = normAxis('maskedSoftmax', a.axis, shape.length);
    const { outer, n, inner } = splitAt(shape, ax);
    const res = new Float64Array(v.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let mx = -Infinity;
        for (let k = 0; k < n; k++) if (mv[mi[base + k * inner]!]) mx = Math.max(mx, v[base + k * inner]! / t);
        let s = 0;
        for (let k = 0; k < n; k++) if (mv[mi[base + k * inner]!]) s += Math.exp(v[base + k * inner]! / t - mx);
        const ls = Math.log(s);
        for (let k = 0; k < n; k++) {
          const j = base + k * inner;
          if (!mv[mi[j]!]) res[j] = log ? -Infinity : 0;
          else res[j] = log ? v[j]! / t - mx - ls : Math.exp(v[j]! / t - mx) / s;
        }
      }
    }
    return [fromF64(out!, res)];
  };
}

/**
 * Softmax along `axis` over the positions where `mask` is non-zero; masked
 * positions get probability 0 and a row with no valid position gives all 0
 * (MXNet 2.x `npx.masked_softmax`). Example (causal attention weights):
 * `F.maskedSoftmax(scores, F.tril(F.onesLike(scores)), { axis: -1 })`.
 */
export const maskedSoftmax: OpDef<MaskedSig, MaskedA> = defineOp<MaskedSig, MaskedA>({
  name: 'maskedSoftmax',
  inputs: ['data', 'mask'],
  attrs: { axis: -1, temperature: null }, positional: ['axis', 'temperature'],
  method: true,
  infer: maskedInfer('maskedSoftmax'),
  lower: float16InFloat32(maskedLower(false)),
  kernel: maskedKernel(false),
  // y is 0 where masked, so softmax's rule dx = y (g - sum(g y)) / t already gives 0 there.
  grad: (F, { outputs: [y], attrs }, [g]) => {
    if (!g) return [null, null];
    const a = attrs as MaskedA;
    const gy = F.mul(g, y!);
    const dx = F.sub(gy, F.mul(y!, F.sum(gy, { axis: a.axis, keepdims: true })));
    return [a.temperature === null || a.temperature === 1 ? dx : F.div(dx, a.temperature), null];
  },
});

/**
 * Log of the masked softmax: masked positions give -inf (MXNet's
 * `masked_log_softmax`), and their gradient is 0. Example:
 * `F.maskedLogSoftmax(logits, validMask, { axis: -1 })`.
 */
export const maskedLogSoftmax: OpDef<MaskedSig, MaskedA> = defineOp<MaskedSig, MaskedA>({
  name: 'maskedLogSoftmax',
  inputs: ['data', 'mask'],
  attrs: { axis: -1, temperature: null }, positional: ['axis', 'temperature'],
  method: true,
  infer: maskedInfer('maskedLogSoftmax'),
  lower: float16InFloat32(maskedLower(true)),
  kernel: maskedKernel(true),
  // dx = (g - exp(y) sum(g)) / t over valid positions, 0 at masked ones (exp(-inf) = 0 there).
  grad: (F, { inputs: [, mask], outputs: [y], attrs }, [g]) => {
    if (!g) return [null, null];
    const a = attrs as MaskedA;
    const gv = F.where(mask!, g, 0);
    const dx = F.sub(gv, F.mul(F.exp(y!), F.sum(gv, { axis: a.axis, keepdims: true })));
    return [a.temperature === null || a.temperature === 1 ? dx : F.div(dx, a.temperature), null];
  },
});

/** The masked softmax operators, by F name. */
export const MASKED_SOFTMAX_OPS = { maskedSoftmax, maskedLogSoftmax } as const;

