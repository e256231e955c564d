/**
 * Sampling class indices from categorical distributions: MXNet's
 * `sample_multinomial` (`nd.random.multinomial`, renamed
 * `_sample_categorical` in later MXNet; src/operator/random/
 * sample_multinomial_op.h), lowered to ONNX's Multinomial.
 *
 * `data` [..., K] holds the probabilities of K classes per distribution;
 * `shape` draws are taken from each, so the output is
 * `data.shape[:-1] + shape` (a 1-d `data` gives `shape`, or [1] when `shape`
 * is empty — MXNet's shape rule). MXNet's kernel builds each distribution's
 * cumulative sums and picks the first class whose sum reaches a uniform draw
 * in [0, 1); here the draw is scaled by the distribution's total first, so
 * unnormalized weights sample as ONNX's Multinomial does and a total that
 * rounds below 1 can never run past the last class; a class of probability 0
 * is never drawn. ONNX's Multinomial takes log-probabilities: the lowering
 * passes `Log(data)`. Like the other random operators, a `seed` is drawn from
 * the operators' seed stream when none is given; eager and compiled runs
 * draw different samples of the same distribution. No gradient (MXNet's
 * `get_prob` output, the log-probability of each draw, is composed by
 * `nd.random.multinomial` from `pick` and `log`, which have theirs).
 */
import { onnxDType, type DType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import { checkNumber } from './nn.js';
import { nextSeed, uniformAt } from './rng.js';

/** Options of `sampleMultinomial` (MXNet's keyword arguments). */
export interface SampleMultinomialOptions {
  /** Draws per distribution, as a shape (default []: one draw). */
  shape?: number[];
  /** The indices' dtype: int32 (MXNet's default), int64, float32 or float64. */
  dtype?: DType;
  /** The draw's seed; drawn from the operators' seed stream when absent. */
  seed?: number | null;
}

type Sig = (data: Tx, options?: SampleMultinomialOptions) => Tx;
type MultinomialAttrs = Attrs & { shape: number[]; dtype: DType; seed: number | null };

const OP = 'sampleMultinomial';
const OUT_DTYPES: DType[] = ['int32', 'int64', 'float32', 'float64'];
const IN_DTYPES: DType[] = ['float32', 'float64', 'float16'];

/** The output shape of `data` and the per-distribution `shape` (MXNet's SampleCategoricalOpShape). */
function outShape(t: TensorType, shape: number[]): TensorType['shape'] {
  if (t.shape.length === 1) return shape.length ? [...shape] : [1];
  return [...t.shape.slice(0, -1), ...shape];
}

/**
 * Draws `shape` class indices from each distribution of `data`'s last axis.
 * Example: `F.sampleMultinomial(probs, { shape: [5] })` — [N, K] probabilities give [N, 5] int32 indices.
 */
export const sampleMultinomial: OpDef<Sig, MultinomialAttrs> = defineOp<Sig, MultinomialAttrs>({
  name: OP,
  inputs: ['data'],
  attrs: { shape: [], dtype: 'int32', seed: null },
  random: true,
  normalize: (a) => (a.seed === null || a.seed === undefined ? { ...a, seed: nextSeed() } : a),
  infer: (types, a) => {
    const t = types[0]!;
    if (!IN_DTYPES.includes(t.dtype)) throw new OpError(OP, `data must hold float probabilities, got ${t.dtype}`, types);
    if (t.shape.length === 0) throw new OpError(OP, 'data must have at least one axis (the classes), got a scalar', types);
    const k = t.shape[t.shape.length - 1];
    if (typeof k !== 'number') throw new OpError(OP, `the number of classes (data's last axis) must be known, got ${k}`, types);
    if (k < 1) throw new OpError(OP, 'data has no classes (its last axis is 0)', types);
    if (!Array.isArray(a.shape) || a.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new OpError(OP, `shape must be a list of non-negative integers, got ${JSON.stringify(a.shape)}`, types);
    }
    if (!OUT_DTYPES.includes(a.dtype)) throw new OpError(OP, `dtype must be one of ${OUT_DTYPES.join(', ')}, got ${a.dtype}`, types);
    checkNumber(OP, 'seed', a.seed, Number.isInteger, 'an integer', types);
    return [{ dtype: a.dtype, shape: outShape(t, a.shape) }];
  },
  lower: (c, a) => {
    const t = c.inTypes[0]!;
    const k = t.shape[t.shape.length - 1] as number;
    const draws = a.shape.reduce((p, d) => p * d, 1);
    let p = c.inputs[0]!;
    // onnxruntime's Multinomial kernel takes float32 only.
    if (t.dtype !== 'float32') p = c.emit('Cast', [p], { to: onnxDType('float32') })[0]!;
    if (t.shape.length !== 2) p = c.emit('Reshape', [p, c.ints([-1, k])])[0]!;
    const logp = c.emit('Log', [p])[0]!;
    const index = a.dtype === 'int64' ? 'int64' : 'int32';
    let out = c.emit('Multinomial', [logp], { sample_size: draws, dtype: onnxDType(index), seed: { float: a.seed! } })[0]!;
    if (a.dtype !== index) out = c.emit('Cast', [out], { to: onnxDType(a.dtype) })[0]!;
    const o = c.outTypes[0]!.shape;
    let target: string;
    if (o.every((d) => typeof d === 'number')) target = c.ints(o as number[]);
    else {
      const lead = c.emit('Slice', [c.emit('Shape', [c.inputs[0]!])[0]!, c.ints([0]), c.ints([-1])])[0]!;
      target = c.emit('Concat', [lead, c.ints(a.shape)], { axis: 0 })[0]!;
    }
    c.emit('Reshape', [out, target], {}, c.outputs);
  },
  kernel: ([data], a, [out]) => {
    const p = toF64(data!);
    const k = data!.shape[data!.shape.length - 1]!;
    const n = k ? p.length / k : 0;
    const m = a.shape.reduce((q, d) => q * d, 1);
    const res = new Float64Array(n * m);
    const cum = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let c = 0; c < k; c++) {
        const v = p[i * k + c]!;
        if (!(v >= 0) || v === Infinity) throw new OpError(OP, `probabilities must be finite and not negative, got ${v} (distribution ${i}, class ${c})`);
        cum[c] = acc += v;
      }
      if (!(acc > 0)) throw new OpError(OP, `the probabilities of distribution ${i} sum to 0`);
      for (let j = 0; j < m; j++) {
        const u = uniformAt(a.seed!, i * m + j) * acc;
        // The first class whose cumulative sum exceeds u (binary search; a class of probability 0 never qualifies).
        let lo = 0;
        let hi = k - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cum[mid]! > u) hi = mid;
          else lo = mid + 1;
        }
        res[i * m + j] = lo;
      }
    }
    return [fromF64(out!, res)];
  },
  grad: null,
  noGradReason: 'its output is a draw of class indices (nd.random.multinomial with getProb returns the differentiable log-probabilities)',
});

/** The family's table. */
export const MULTINOMIAL_OPS = { sampleMultinomial };
