/**
 * `cumsum`: the cumulative sum along an axis (numpy/MXNet `np.cumsum`; with
 * `axis` null the input is flattened first), optionally exclusive or from the
 * end (ONNX `CumSum`'s attributes).
 * Invariant: the output has the input's dtype (int64 for bool); its gradient is the cumulative
 * sum of the output gradient in the other direction.
 */
import { isFloat, type DType } from '../../runtime/dtypes.js';
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import { defineOp, type Method, type OpDef, type Tx } from './define.js';
import { mulDims, normAxis, splitAt } from './dims.js';
import { commonDType, computeIn } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';

type CumsumA = Attrs & { axis: number | null; exclusive: boolean; reverse: boolean };

type CumsumSig = Method<(data: Tx, axis?: number | null | { axis?: number | null; exclusive?: boolean; reverse?: boolean }, options?: { exclusive?: boolean; reverse?: boolean }) => Tx>;

/** The result keeps the input's dtype (MXNet's CumsumType), int8/uint8 wrapping modulo 2^8; bool counts in int64 (numpy). */
const DTYPES: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'bool'];

function check(types: TensorType[], a: CumsumA): { axis: number } {
  for (const k of ['exclusive', 'reverse'] as const) if (typeof a[k] !== 'boolean') throw new OpError('cumsum', `${k} must be a boolean`, types);
  if (a.axis === null) return { axis: 0 };
  return { axis: normAxis('cumsum', a.axis, types[0]!.shape.length, types) };
}

/**
 * The cumulative sum along `axis` (null: of the flattened input, as numpy).
 * `exclusive` leaves out each element itself; `reverse` sums from the end.
 * Example: `F.cumsum(x, 1)` ([[1, 2, 3]] -> [[1, 3, 6]]).
 */
export const cumsum: OpDef<CumsumSig, CumsumA> = defineOp<CumsumSig, CumsumA>({
  name: 'cumsum',
  inputs: ['data'],
  attrs: { axis: null, exclusive: false, reverse: false },
  positional: ['axis'],
  method: true,
  infer: (types, a) => {
    const d = commonDType('cumsum', types, DTYPES);
    const dtype = d === 'bool' ? 'int64' : d;
    check(types, a);
    const s = types[0]!.shape;
    return [{ dtype, shape: a.axis === null ? [mulDims(s)] : [...s] }];
  },
  // onnxruntime's CumSum has no float16 and no 8-bit kernels: float32 and int32 (the Cast back wraps, as MXNet's int8 sum).
  lower: computeIn<CumsumA>({ float16: 'float32', int8: 'int32', uint8: 'int32', bool: 'int64' }, (c, a) => {
    const { axis } = check(c.inTypes, a);
    const x = a.axis === null ? c.emit('Reshape', [c.inputs[0]!, c.ints([-1])])[0]! : c.inputs[0]!;
    c.emit('CumSum', [x, c.ints([axis])], { exclusive: a.exclusive ? 1 : 0, reverse: a.reverse ? 1 : 0 }, c.outputs);
  }),
  kernel: ([x], a, [out]) => {
    const v = toF64(x!);
    const shape = a.axis === null ? [v.length] : x!.shape;
    const ax = a.axis === null ? 0 : normAxis('cumsum', a.axis, shape.length);
    const { outer, n, inner } = splitAt(shape, ax);
    const res = new Float64Array(v.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) {
          const k = a.reverse ? n - 1 - j : j;
          const at = o * n * inner + k * inner + i;
          if (a.exclusive) {
            res[at] = s;
            s += v[at]!;
          } else {
            s += v[at]!;
            res[at] = s;
          }
        }
      }
    }
    return [fromF64(out!, res)];
  },
  // The adjoint of a cumulative sum is the cumulative sum the other way (same exclusiveness).
  grad: (F, { inputs: [x], inTypes, attrs }, [g]) => {
    if (!g || !isFloat(inTypes[0]!.dtype)) return [null];
    const a = attrs as CumsumA;
    const d = F.cumsum(g, { axis: a.axis === null ? 0 : a.axis, exclusive: a.exclusive, reverse: !a.reverse });
    return [a.axis === null ? F.reshapeLike(d, x!) : d];
  },
});

/** The cumulative operators, by F name. */
export const CUMSUM_OPS = { cumsum } as const;


