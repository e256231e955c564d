/**
 * Importers of ONNX's random operators onto gluonc's `randomUniformLike`
 * and `randomNormalLike` (compiler/ops/random.ts): RandomUniformLike,
 * RandomNormalLike, RandomUniform and RandomNormal (a constant of the
 * `shape` attribute as the shape source), and Bernoulli (1 where a uniform
 * draw in [0, 1) is below the probability: an output of 1 with probability p,
 * as ONNX's spec says). A `seed` attribute becomes the operator's seed
 * (truncated to an integer); without one each import draws one from gluonc's
 * seed stream. Multinomial ([batch, classes] unnormalized log-probabilities)
 * samples from their softmax with `sampleMultinomial` (compiler/ops/
 * multinomial.ts), `sample_size` draws per row, int32 or int64.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Attrs } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';
import { castTo, dtypeOf, type Builder, type ImportCtx } from './context.js';

/** The seed and dtype attributes: `dtype` given, else `dflt` (null: the like input's). */
function common(c: ImportCtx, dflt: string | null): Attrs {
  const seed = c.attr.has('seed') ? Math.trunc(c.attr.float('seed', 0)) : null;
  const dtype = c.attr.has('dtype') ? dtypeOf(c, c.attr.int('dtype', 1), 'attribute dtype') : dflt;
  if (dtype !== null && dtype !== 'float32' && dtype !== 'float64') throw c.refuse(`dtype ${dtype} (gluonc draws float32 or float64)`);
  return { seed, dtype };
}

/** The like input of RandomUniform/RandomNormal: a constant of the `shape` attribute. */
function shapeSource(c: ImportCtx): Value {
  const shape = c.attr.ints('shape');
  if (!shape || shape.some((d) => !Number.isInteger(d) || d < 0)) throw c.refuse(`the shape attribute ${JSON.stringify(shape)} is not a list of dimensions`);
  return c.constant(tensorFromNumbers('float32', shape, new Array(shape.reduce((p, d) => p * d, 1)).fill(0)));
}

const uniform = (c: ImportCtx, like: Value, dflt: string | null) =>
  c.op('randomUniformLike', [like], { low: c.attr.float('low', 0), high: c.attr.float('high', 1), ...common(c, dflt) });
const normal = (c: ImportCtx, like: Value, dflt: string | null) =>
  c.op('randomNormalLike', [like], { loc: c.attr.float('mean', 0), scale: c.attr.float('scale', 1), ...common(c, dflt) });

/** Bernoulli: cast(u < p) with u uniform in [0, 1), in the dtype given (default: the input's). */
const bernoulli: Builder = (c) => {
  const p = c.input(0);
  const out = c.attr.has('dtype') ? dtypeOf(c, c.attr.int('dtype', 1), 'attribute dtype') : p.type.dtype;
  const seed = c.attr.has('seed') ? Math.trunc(c.attr.float('seed', 0)) : null;
  const u = c.op('randomUniformLike', [p], { low: 0, high: 1, seed, dtype: p.type.dtype === 'float64' ? 'float64' : 'float32' });
  return [castTo(c, c.op('lesser', [u, castTo(c, p, u.type.dtype)]), out)];
};

/** Multinomial: `sample_size` class indices per row of softmax(input), in the dtype given (int32 by default). */
const multinomial: Builder = (c) => {
  const x = c.input(0);
  if (x.type.shape.length !== 2) throw c.refuse(`input of rank ${x.type.shape.length} (ONNX's Multinomial takes [batch_size, class_size])`);
  const dtype = dtypeOf(c, c.attr.int('dtype', 6), 'attribute dtype');
  if (dtype !== 'int32' && dtype !== 'int64') throw c.refuse(`dtype ${dtype} (ONNX's Multinomial gives int32 or int64)`);
  const size = c.attr.int('sample_size', 1);
  if (!Number.isInteger(size) || size < 1) throw c.refuse(`sample_size ${size} (a positive integer)`);
  const seed = c.attr.has('seed') ? Math.trunc(c.attr.float('seed', 0)) : null;
  const p = c.op('softmax', [x.type.dtype === 'float64' || x.type.dtype === 'float32' ? x : castTo(c, x, 'float32')], { axis: 1 });
  return [c.op('sampleMultinomial', [p], { shape: [size], dtype, seed })];
};

/** ONNX's random operators and their builders. */
export const RANDOM_IMPORTS: Readonly<Record<string, Builder>> = {
  RandomUniformLike: (c) => [uniform(c, c.input(0), null)],
  RandomNormalLike: (c) => [normal(c, c.input(0), null)],
  RandomUniform: (c) => [uniform(c, shapeSource(c), 'float32')],
  RandomNormal: (c) => [normal(c, shapeSource(c), 'float32')],
  Bernoulli: bernoulli,
  Multinomial: multinomial,
};
