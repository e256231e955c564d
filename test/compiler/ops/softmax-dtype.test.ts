/**
 * softmax and logSoftmax's `dtype` option (MXNet's softmax-inl.h: the output
 * written in `dtype`, computed in the wider type; python/mxnet/ndarray/
 * numpy_extension/_op.py's npx.softmax(data, axis, length, temperature,
 * use_length, dtype)): a float16 input with dtype float32 gives float32
 * values as accurate as float32 (not float16 values widened), and the input
 * gradient keeps the input's dtype. Against PyTorch float64 on the same
 * values, through nd (options and 1.x's positional order), x.softmax, npx
 * (MXNet 2's order), eager small (kernels) and large (sessions), hybridized.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, npx, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

type NDArray = nd.NDArray;
type Float = 'float16' | 'float32' | 'float64';
const f64 = (a: NDArray) => ({ shape: a.shape as number[], dtype: 'float64', data: Array.from(a.astype('float64').data() as Float64Array) });
/** The tolerance of a result held in `d`. */
const TOL: Record<Float, number> = { float16: 2e-3, float32: 2e-6, float64: 1e-12 };

interface Form {
  what: string;
  log: boolean;
  f: (F: gluon.F, x: gluon.Tensor, dtype: Float) => gluon.Tensor;
  /** Whether it also runs in a hybridized block (npx dispatches on symbols too). */
  hybrid: boolean;
}
const FORMS: Form[] = [
  { what: 'F.softmax(x, { axis: 1, dtype })', log: false, f: (F, x, dtype) => F.softmax(x, { axis: 1, dtype }), hybrid: true },
  { what: "F.softmax(x, null, 1, null, dtype) (MXNet 1.x's order)", log: false, f: (F, x, dtype) => F.softmax(x, null, 1, null, dtype), hybrid: true },
  { what: 'F.logSoftmax(x, 1, null, dtype)', log: true, f: (F, x, dtype) => F.logSoftmax(x, 1, null, dtype), hybrid: true },
  { what: 'x.softmax({ axis: 1, dtype })', log: false, f: (_F, x, dtype) => x.softmax({ axis: 1, dtype }), hybrid: true },
  { what: "npx.softmax(x, 1, null, null, false, dtype) (MXNet 2's order)", log: false, f: (_F, x, dtype) => npx.softmax(x, 1, null, null, false, dtype), hybrid: true },
  { what: 'npx.logSoftmax(x, 1, { dtype })', log: true, f: (_F, x, dtype) => npx.logSoftmax(x, 1, { dtype }), hybrid: true },
];
const PAIRS: [Float, Float][] = [['float16', 'float32'], ['float16', 'float64'], ['float32', 'float64'], ['float64', 'float32'], ['float32', 'float16']];

describe("softmax/logSoftmax's dtype option (MXNet's output dtype, computed in the wider type)", () => {
  it('values and input gradients match PyTorch float64 of the same inputs, at the output dtype\'s precision', function () {
    this.timeout(120000);
    random.seed(21);
    const runs: { what: string; out: NDArray; grad: NDArray; job: number; inD: Float; outD: Float }[] = [];
    const jobs: Parameters<typeof numpyRefs>[0] = [];
    for (const [inD, outD] of PAIRS) {
      for (const shape of [[2, 5, 3], [4, 40, 20]]) {   // 30 elements (kernels) and 3200 (one-node sessions)
        const n = shape.reduce((a, b) => a * b, 1);
        const v = Array.from(nd.random.uniform(-4, 4, [n]).data() as Float32Array);
        // Ties along axis 1 (x[0, 0:3, 0] equal) and a large gap (x[1, 0, 0] 20 above its row).
        const s1 = shape[2]!;
        for (let k = 0; k < 3; k++) v[k * s1] = 1.5;
        v[shape[1]! * s1] = 20;
        const x = nd.array(v).reshape(shape).astype(inD);
        const head = nd.random.uniform(-1, 1, shape).astype(outD);
        for (const log of [false, true]) {
          jobs.push({
            code: `import torch\nx = torch.tensor(a, requires_grad=True)\ny = torch.${log ? 'log_softmax' : 'softmax'}(x, 1)\n(y * torch.tensor(b)).sum().backward()\nout = [y.detach().numpy(), x.grad.numpy()]`,
            inputs: [f64(x), f64(head)],
          });
          const job = jobs.length - 1;
          for (const form of FORMS.filter((fm) => fm.log === log)) {
            for (const hybrid of [false, true]) {
              if (hybrid && (!form.hybrid || shape[0] === 4)) continue;
              class Op extends gluon.HybridBlock {
                override hybridForward(F: gluon.F, data: gluon.Tensor) {
                  return form.f(F, data, outD);
                }
              }
              const block = new Op();
              if (hybrid) block.hybridize();
              const xg = x.copy();
              xg.attachGrad();
              const out = autograd.record(() => block.call(xg) as NDArray);
              out.backward(head);
              runs.push({ what: `${form.what} ${inD} -> ${outD} ${hybrid ? 'hybridized' : 'eager'} ${shape.join('x')}`, out, grad: xg.grad!, job, inD, outD });
            }
          }
        }
      }
    }
    const refs = numpyRefs(jobs);
    for (const r of runs) {
      const ref = refs[r.job]!;
      assert.equal(ref.error, undefined, `${r.what}: ${ref.error}`);
      assert.equal(r.out.dtype, r.outD, `${r.what}: output dtype`);
      assert.equal(r.grad.dtype, r.inD, `${r.what}: the input gradient keeps the input's dtype`);
      // Computed in the wider type: the output as accurate as its dtype (a float16 input's float32 softmax has float32's precision).
      const tol = TOL[r.outD];
      assertClose(r.out.astype('float64').data() as Float64Array, ref.outs[0]!.data, `${r.what} output`, tol, tol);
      const gtol = Math.max(TOL[r.inD], TOL[r.outD]) * 5;
      assertClose(r.grad.astype('float64').data() as Float64Array, ref.outs[1]!.data, `${r.what} input gradient`, gtol, gtol);
    }
  });

  it('a dtype that is not a float, or misspelt, is an Error naming the option', () => {
    const x = nd.array([1, 2, 3]);
    assert.throws(() => nd.softmax(x, { dtype: 'int32' as never }), /softmax: option 'dtype' must be 'float16', 'float32', 'float64' or null \(the input's\), got "int32"/);
    assert.throws(() => nd.logSoftmax(x, { dtype: 'float' as never }), /logSoftmax: option 'dtype' must be .* got "float"/);
    assert.throws(() => nd.softmax(x, { dtyp: 'float32' } as never), /softmax: unknown option 'dtyp'.*did you mean 'dtype'/);
    assert.equal(nd.softmax(x, { dtype: null }).dtype, 'float32');
  });
});
