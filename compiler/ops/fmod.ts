/**
 * `fmod`: C's (and numpy's `np.fmod`) remainder of a truncated division,
 * `lhs - trunc(lhs / rhs) * rhs` computed exactly (no rounding of the quotient),
 * with the sign of `lhs`: fmod(±0, y) = ±0, fmod(x, ±inf) = x for finite x,
 * NaN for an infinite `lhs`, a zero `rhs` or a NaN. Float dtypes only.
 * ONNX's Mod with `fmod: 1` (onnxruntime's std::fmod) in the compiled graph;
 * eagerly JavaScript's `%`, which ECMAScript defines as the same exact remainder.
 */
import type { DType } from '../../runtime/dtypes.js';
import { binary, binaryGrad } from './elementwise.js';

const FLOATS: DType[] = ['float32', 'float64', 'float16'];

/**
 * The remainder of `lhs / rhs` truncated toward zero, broadcasting. Gradient:
 * d/dlhs = 1, d/drhs = -trunc(lhs / rhs) (the quotient is piecewise constant).
 * Example: `F.fmod(x, 3)`; `nd.fmod(nd.array([-7, 7]), 3)` is `[-1, 1]`.
 */
export const fmod = binary('fmod', 'Mod', (a, b) => a % b, {
  dtypes: FLOATS,
  onnxAttrs: { fmod: 1 },
  grad: binaryGrad((F, a, b, g) => {
    const q = F.div(a, b);
    return [g, F.neg(F.mul(g, F.mul(F.sign(q), F.floor(F.abs(q)))))];
  }),
});

/** The remainder operators, by F name. */
export const FMOD_OPS = { fmod } as const;
