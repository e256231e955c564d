/**
 * `nonzero`: the positions of the nonzero elements, ONNX's `NonZero` (int64
 * `[rank, count]`, row-major order; NaN counts as nonzero). Its output's
 * second dimension depends on the data: a traced graph carries it as the
 * opaque dimension `(nonzero)`, and eagerly the operator always runs at once
 * (`dataShape`). MXNet 2's `npx.nonzero` is its transpose `[count, rank]`,
 * numpy's `np.nonzero` its rows (gluon/np.ts, gluon/npx.ts).
 */
import { isDType } from '../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../runtime/tensor.js';
import { defineOp, type OpDef, type Tx } from './define.js';
import { OpError } from './errors.js';
import { opaque } from './index-ops.js';
import { toF64 } from './kernels.js';

/** The opaque length of a nonzero count (two counts are not known to be equal; onnxruntime checks them when it runs). */
export const NONZERO_COUNT = opaque('nonzero');

/**
 * The indices of `data`'s nonzero elements, one row per axis.
 *
 * ```ts
 * nd.nonzero(nd.array([[0, 3], [5, 0]])); // int64 [[0, 1], [1, 0]]
 * ```
 */
export const nonzero: OpDef<(data: Tx) => Tx> = defineOp<(data: Tx) => Tx>({
  name: 'nonzero',
  inputs: ['data'],
  dataShape: true,
  infer: (types) => {
    const t = types[0]!;
    if (!isDType(t.dtype)) throw new OpError('nonzero', `unsupported dtype ${String(t.dtype)}`, types);
    if (t.shape.length === 0) throw new OpError('nonzero', 'of a 0-d array (numpy deprecates it): reshape it to [1] first', types);
    return [{ dtype: 'int64', shape: [t.shape.length, NONZERO_COUNT] }];
  },
  lower: (c) => void c.emit('NonZero', c.inputs, {}, c.outputs),
  kernel: ([x]) => {
    const shape = x!.shape;
    // float16 bits, bool bytes and int64 (exact for zero) as float64: -0 is zero, NaN is not.
    const d = toF64(x!);
    const hits: number[] = [];
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) hits.push(i);
    const rank = shape.length;
    const out = new Array<number>(rank * hits.length);
    hits.forEach((flat, k) => {
      let rest = flat;
      for (let a = rank - 1; a >= 0; a--) {
        out[a * hits.length + k] = rest % shape[a]!;
        rest = Math.floor(rest / shape[a]!);
      }
    });
    return [tensorFromNumbers('int64', [rank, hits.length], out)];
  },
  grad: null,
  noGradReason: 'its output is integer positions',
});

/** The nonzero operators, for ops/all.ts. */
export const NONZERO_OPS = { nonzero };
