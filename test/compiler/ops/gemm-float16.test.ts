/**
 * float16 `linalgGemm` (it was refused while `dot`, `batchDot` and `einsum`
 * took float16): computed in float32 and rounded once, as the other float16
 * operators (`float16InFloat32`; onnxruntime's CPU Gemm has no float16).
 * The output and the gradients of A, B and C are compared with numpy float64
 * on the same float16 values, eagerly (small: TypeScript kernels; large: a
 * one-node session) and hybridized, for every transpose combination.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs, type NumpyJob } from '../../helpers/numpy.js';

type NDArray = nd.NDArray;

const f64 = (a: NDArray) => ({ shape: a.shape, dtype: 'float64', data: Array.from(a.astype('float64').data() as Float64Array) });

describe('float16 linalgGemm (float32 arithmetic, rounded once)', () => {
  it('output and gradients of A, B, C match numpy float64 of the same float16 values: eager small and large, hybridized', function () {
    this.timeout(60000);
    random.seed(12);
    const jobs: NumpyJob[] = [];
    const runs: { what: string; outs: NDArray[]; job: number }[] = [];
    const opts = { alpha: 0.7, beta: -1.3 };
    for (const [m, k, n] of [[3, 4, 5], [40, 30, 60]] as const) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = nd.random.uniform(-2, 2, transposeA ? [k, m] : [m, k]).astype('float16');
          const b = nd.random.uniform(-2, 2, transposeB ? [n, k] : [k, n]).astype('float16');
          const c = nd.random.uniform(-2, 2, [m, n]).astype('float16');
          const head = nd.random.uniform(-1, 1, [m, n]).astype('float16');
          const o = { ...opts, transposeA, transposeB };
          const tA = transposeA ? '.T' : '';
          const tB = transposeB ? '.T' : '';
          // dA = alpha·g·op(B)ᵀ (transposed back when A was), dB likewise, dC = beta·g.
          jobs.push({
            code: `opA = a${tA}\nopB = b${tB}\ng = d\ndA = 0.7 * g @ opB.T\ndB = 0.7 * opA.T @ g\nout = [0.7 * opA @ opB - 1.3 * c, dA${tA}, dB${tB}, -1.3 * g]`,
            inputs: [f64(a), f64(b), f64(c), f64(head)],
          });
          const job = jobs.length - 1;
          for (const hybrid of [false, true]) {
            if (hybrid && m === 40) continue;
            class Gemm extends gluon.HybridBlock {
              override hybridForward(F: gluon.F, x: gluon.Tensor, y: gluon.Tensor, z: gluon.Tensor) {
                return F.linalgGemm(x, y, z, o);
              }
            }
            const block = new Gemm();
            if (hybrid) block.hybridize();
            const [ga, gb, gc] = [a.copy(), b.copy(), c.copy()];
            for (const g of [ga, gb, gc]) g.attachGrad();
            const out = autograd.record(() => block.call(ga, gb, gc) as NDArray);
            out.backward(head);
            runs.push({ what: `${m}x${k}x${n} transposeA=${transposeA} transposeB=${transposeB} ${hybrid ? 'hybridized' : 'eager'}`, outs: [out, ga.grad!, gb.grad!, gc.grad!], job });
          }
        }
      }
    }
    const refs = numpyRefs(jobs);
    for (const r of runs) {
      const ref = refs[r.job]!;
      assert.equal(ref.error, undefined, ref.error);
      ['output', 'dA', 'dB', 'dC'].forEach((name, i) => {
        const y = r.outs[i]!;
        assert.equal(y.dtype, 'float16', `${r.what} ${name}: dtype`);
        assert.deepEqual(y.shape, ref.outs[i]!.shape, `${r.what} ${name}: shape`);
        // Rounded once to float16 (relative step 2^-10 ≈ 1e-3); the gradients' products are float16 dots (float32 accumulation).
        assertClose(y.astype('float64').data() as Float64Array, ref.outs[i]!.data, `${r.what} ${name}`, 2e-3, 2e-3);
      });
    }
  });
});
