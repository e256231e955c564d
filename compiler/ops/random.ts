/**
 * Random draws shaped like a tensor, as graph operators (MXNet's
 * `random.uniform_like` and `random.normal_like`; ONNX's RandomUniformLike
 * and RandomNormalLike): only the input's shape is read. Like Dropout,
 * `normalize` draws a 31-bit seed from the operators' seed stream when none
 * is given (so `random.seed(n)` repeats them); the TypeScript kernel derives
 * its draws from the seed with a counter-based hash, the ONNX lowering passes
 * the seed to onnxruntime, so eager and compiled runs draw different numbers
 * of the same distribution.
 */
import { onnxDType, type DType } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { fromF64 } from './kernels.js';
import { checkNumber } from './nn.js';
import { nextSeed, uniformAt } from './rng.js';

/** Options of the random operators. */
export interface RandomLikeOptions {
  /** The output's dtype (float32 or float64); null: the input's, which must then be one of them. */
  dtype?: DType | null;
  /** The draw's seed; drawn from the operators' seed stream when absent. */
  seed?: number | null;
}

type RandomAttrs = Attrs & { dtype: DType | null; seed: number | null };

const DTYPES: DType[] = ['float32', 'float64'];

function outType(op: string, types: TensorType[], a: RandomAttrs): TensorType[] {
  const dtype = a.dtype ?? types[0]!.dtype;
  if (!DTYPES.includes(dtype)) {
    throw new OpError(op, a.dtype ? `dtype must be float32 or float64, got ${a.dtype}` : `the input is ${dtype}: give dtype (float32 or float64) for the output`, types);
  }
  checkNumber(op, 'seed', a.seed, Number.isInteger, 'an integer', types);
  return [{ dtype, shape: [...types[0]!.shape] }];
}

const withSeed = <A extends RandomAttrs>(a: A): A => (a.seed === null || a.seed === undefined ? { ...a, seed: nextSeed() } : a);

const NO_GRAD = 'its output is a random draw that does not depend on the values of its input';

type UniformSig = (data: Tx, options?: RandomLikeOptions & { low?: number; high?: number }) => Tx;
type UniformAttrs = RandomAttrs & { low: number; high: number };

/**
 * Uniform draws in [low, high) of the input's shape.
 * Example: `F.randomUniformLike(x, { low: -1, high: 1, seed: 3 })`.
 */
export const randomUniformLike: OpDef<UniformSig, UniformAttrs> = defineOp<UniformSig, UniformAttrs>({
  name: 'randomUniformLike',
  inputs: ['data'],
  attrs: { low: 0, high: 1, dtype: null, seed: null },
  random: true,
  normalize: withSeed,
  infer: (types, a) => {
    const op = 'randomUniformLike';
    checkNumber(op, 'low', a.low, Number.isFinite, 'a finite number', types);
    checkNumber(op, 'high', a.high, (h) => Number.isFinite(h) && h >= a.low, 'a finite number not below low', types);
    return outType(op, types, a);
  },
  lower: (c, a) => {
    const dtype = onnxDType(c.outTypes[0]!.dtype);
    c.emit('RandomUniformLike', [c.inputs[0]!], { dtype, low: { float: a.low }, high: { float: a.high }, seed: { float: a.seed! } }, c.outputs);
  },
  kernel: (_ins, a, [out]) => {
    const n = (out!.shape as number[]).reduce((p, d) => p * d, 1);
    // [low, high) as MXNet and ONNX say: a draw that rounds up to high in the output's dtype (float32 rounds
    // u >= 1 - 2^-25 to 1) is the largest value of that dtype below high instead.
    const top = a.high > a.low ? largestBelow(a.high, out!.dtype) : a.high;
    const round = out!.dtype === 'float32' ? Math.fround : (v: number) => v;
    return [fromF64(out!, Float64Array.from({ length: n }, (_, i) => Math.min(round(a.low + (a.high - a.low) * uniformAt(a.seed!, i)), top)))];
  },
  grad: null,
  noGradReason: NO_GRAD,
});

type NormalSig = (data: Tx, options?: RandomLikeOptions & { loc?: number; scale?: number }) => Tx;
type NormalAttrs = RandomAttrs & { loc: number; scale: number };

/**
 * Normal draws of mean `loc` and standard deviation `scale`, of the input's
 * shape (the kernel: Box-Muller on two hashed uniforms per element).
 * Example: `F.randomNormalLike(x, { loc: 0, scale: 2 })`.
 */
export const randomNormalLike: OpDef<NormalSig, NormalAttrs> = defineOp<NormalSig, NormalAttrs>({
  name: 'randomNormalLike',
  inputs: ['data'],
  attrs: { loc: 0, scale: 1, dtype: null, seed: null },
  random: true,
  normalize: withSeed,
  infer: (types, a) => {
    const op = 'randomNormalLike';
    checkNumber(op, 'loc', a.loc, Number.isFinite, 'a finite number', types);
    checkNumber(op, 'scale', a.scale, (s) => Number.isFinite(s) && s >= 0, 'a finite number, not negative', types);
    return outType(op, types, a);
  },
  lower: (c, a) => {
    const dtype = onnxDType(c.outTypes[0]!.dtype);
    // Scale 0 is the mean exactly: onnxruntime's RandomNormalLike asserts a positive scale (std::normal_distribution) and aborts.
    if (a.scale === 0) c.emit('RandomUniformLike', [c.inputs[0]!], { dtype, low: { float: a.loc }, high: { float: a.loc }, seed: { float: a.seed! } }, c.outputs);
    else c.emit('RandomNormalLike', [c.inputs[0]!], { dtype, mean: { float: a.loc }, scale: { float: a.scale }, seed: { float: a.seed! } }, c.outputs);
  },
  kernel: (_ins, a, [out]) => {
    const n = (out!.shape as number[]).reduce((p, d) => p * d, 1);
    const draw = (i: number) => {
      const u = 1 - uniformAt(a.seed!, 2 * i); // in (0, 1]: the logarithm is finite
      return a.loc + a.scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniformAt(a.seed!, 2 * i + 1));
    };
    return [fromF64(out!, Float64Array.from({ length: n }, (_, i) => draw(i)))];
  },
  grad: null,
  noGradReason: NO_GRAD,
});

/** The family's table. */
export const RANDOM_OPS = { randomUniformLike, randomNormalLike };

/** The largest float32 (for 'float32') or float64 below `x`. Example: `largestBelow(1, 'float32')` is 1 - 2^-24. */
export function largestBelow(x: number, dtype: DType): number {
  const f32 = dtype === 'float32';
  const v = f32 ? Math.fround(x) : x;
  if (v < x) return v; // x is no float32 and rounded down: the nearest below it
  if (v === 0) return f32 ? -(2 ** -149) : -Number.MIN_VALUE;
  // One step down the magnitude's bit pattern for a positive value, up for a negative one.
  if (f32) {
    const f = new Float32Array([v]);
    new Int32Array(f.buffer)[0]! += v > 0 ? -1 : 1;
    return f[0]!;
  }
  const d = new Float64Array([v]);
  new BigInt64Array(d.buffer)[0]! += v > 0 ? -1n : 1n;
  return d[0]!;
}
