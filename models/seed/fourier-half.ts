/**
 * d2l exercise 3: the leading half of the Fourier coefficients. For input
 * [N, d] it returns [N, floor(d/2), 2]: coefficients 0 .. floor(d/2)-1 of
 * each example's DFT, real and imaginary parts in the last axis (for real
 * data the rest follow by conjugate symmetry, apart from the Nyquist term
 * of an even d).
 */
import { gluon } from 'gluonc';

/**
 * `fft(x)[:, :floor(d/2), :]`.
 *
 * ```ts
 * new FourierHalf().call(nd.random.uniform(-1, 1, [2, 8])); // shape [2, 4, 2]
 * ```
 */
export class FourierHalf extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    const d = x.shape[x.shape.length - 1];
    if (typeof d !== 'number') throw new Error(`FourierHalf: the last dimension must be known, got '${d}'`);
    return F.sliceAxis(F.fft(x), { axis: -2, begin: 0, end: Math.floor(d / 2) });
  }
}

/** The model: a FourierHalf (no parameters). */
export default function build(): FourierHalf {
  return new FourierHalf();
}

/** Example input: a batch of 16-sample signals. */
export const inputs = { x: { shape: ['N', 16], dtype: 'float32' } };
