/**
 * The scalars of a float16 weight's update (learning rate, weight decay,
 * gradient scale, step count) reach its float32 arithmetic unrounded: they
 * were fed as float16 tensors, so lr 0.1 became 0.0999756, wd 0.01 0.0099945
 * and 1/3 0.33325 before the float32 update (and a step count past 2048 lost
 * its low bits). gluonc computes a float16 update in float32 and rounds the
 * results once; its scalars are float32 (PyTorch's float16 updates take lr
 * as a float32 scalar too; MXNet's non-multi-precision `sgd_update` casts
 * them to `half_t`, `static_cast<DType>(param.lr)` in optimizer_op-inl.h, and
 * rounds after every operation). Reference: numpy float32 arithmetic on the
 * float16 weights and gradients, in the update rule's order, rounded to float16.
 */
import assert from 'node:assert/strict';
import { autograd, exportTrainingStep, gluon, nd, optimizer, random } from 'gluonc';
import { Session, tensorFromNumbers, tensorToNumbers } from 'gluonc/runtime';
import { numpyRefs } from '../../helpers/numpy.js';

type NDArray = nd.NDArray;

class Scale extends gluon.HybridBlock {
  w: gluon.Parameter;
  constructor(n: number) {
    super();
    this.w = this.params.get('w', { shape: [n], dtype: 'float16' });
  }
  // The loss sum(w·x): w's gradient is x exactly (float16 values).
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { w: gluon.Tensor }): gluon.Tensor {
    return F.sum(F.broadcastMul(p.w, x));
  }
}

const N = 256;
const STEPS = 4;

/** numpy: the same steps in float32 with float32 scalars, rounded to float16 after each (weights and states). */
const REF = String.raw`
f32, f16 = np.float32, np.float16
lr, wd, r, mom = f32(attrs['lr']), f32(attrs['wd']), f32(1) / f32(attrs['batch']), attrs['momentum']
w = a.astype(f16); m = np.zeros_like(w)
ws = []
for k in range(attrs['steps']):
    g = b[k].astype(f16).astype(f32)
    w32 = w.astype(f32)
    lrG = g * (lr * r)
    if mom == 0:
        new = (f32(1) - lr * wd) * w32 - lrG
    else:
        m32 = (m.astype(f32) * f32(mom) - (lr * wd) * w32) - lrG
        new = w32 + m32
        m = m32.astype(f16)
    w = new.astype(f16)
    ws.append(w)
out = ws
`;

describe('float16 weights: the update scalars stay float32', () => {
  it('SGD (with weight decay and momentum) equals numpy float32 arithmetic rounded to float16, eager and hybridized', function () {
    this.timeout(60000);
    random.seed(3);
    const w0 = nd.random.uniform(-1, 1, [N]).astype('float16');
    const xs = Array.from({ length: STEPS }, () => nd.random.uniform(-2, 2, [N]).astype('float16'));
    const f64 = (a: NDArray) => Array.from(a.astype('float64').data() as Float64Array);
    for (const momentum of [0, 0.9]) {
      const attrs = { lr: 0.1, wd: 0.01, batch: 3, momentum, steps: STEPS };
      const [ref] = numpyRefs([{ code: REF, attrs, inputs: [{ shape: [N], dtype: 'float64', data: f64(w0) }, { shape: [STEPS, N], dtype: 'float64', data: xs.flatMap(f64) }] }]);
      assert.equal(ref!.error, undefined, ref!.error);
      for (const hybrid of [false, true]) {
        const net = new Scale(N);
        net.initialize();
        net.w.setData(w0.copy());
        if (hybrid) net.hybridize();
        const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: attrs.lr, wd: attrs.wd, momentum });
        xs.forEach((x, k) => {
          autograd.record(() => net.call(x) as NDArray).backward();
          trainer.step(attrs.batch);
          const what = `momentum ${momentum} ${hybrid ? 'hybridized' : 'eager'} step ${k + 1}`;
          const got = f64(net.w.data());
          const want = ref!.outs[k]!.data as number[];
          const off = got.filter((v, i) => v !== want[i]).length;
          assert.equal(net.w.data().dtype, 'float16', what);
          assert.equal(off, 0, `${what}: ${off} of ${N} weights differ from numpy's float32 update (e.g. ${got.find((v, i) => v !== want[i])} vs ${want[got.findIndex((v, i) => v !== want[i])]})`);
        });
      }
    }
  });

  // The training artifact's lr input is float32; it was cast to a float16 weight's dtype before the update.
  it('the training artifact (gluonc compile --train) of a float16 model: the same float32 update', function () {
    this.timeout(60000);
    random.seed(4);
    class Rows extends gluon.HybridBlock {
      w: gluon.Parameter;
      constructor() {
        super();
        this.w = this.params.get('w', { shape: [N], dtype: 'float16' });
      }
      // Per row sum(w·x): with L1Loss against a label far above it, w's gradient is -x (batch of 1).
      override hybridForward(F: gluon.F, x: gluon.Tensor, p: { w: gluon.Tensor }): gluon.Tensor {
        return F.sum(F.broadcastMul(x, p.w), { axis: 1 });
      }
    }
    const net = new Rows();
    net.initialize();
    const w0 = nd.random.uniform(-1, 1, [N]).astype('float16');
    const xs = Array.from({ length: STEPS }, () => nd.random.uniform(-2, 2, [N]).astype('float16'));
    const f64 = (a: NDArray) => Array.from(a.astype('float64').data() as Float64Array);
    for (const momentum of [0, 0.9]) {
      const attrs = { lr: 0.1, wd: 0.01, batch: 1, momentum, steps: STEPS };
      const { bytes, manifest } = exportTrainingStep(net, {
        inputs: { x: { shape: [1, N], dtype: 'float16' } },
        loss: (o) => ({ loss: new gluon.loss.L1Loss(), label: { shape: o, dtype: 'float16' } }),
        optimizer: optimizer.create('sgd', { learningRate: attrs.lr, wd: attrs.wd, momentum }),
      });
      const [ref] = numpyRefs([{ code: REF, attrs, inputs: [{ shape: [N], dtype: 'float64', data: f64(w0) }, { shape: [STEPS, N], dtype: 'float64', data: xs.flatMap((x) => f64(x).map((v) => -v)) }] }]);
      assert.equal(ref!.error, undefined, ref!.error);
      assert.equal(manifest.inputs.find((i) => i.name === 'lr')!.dtype, 'float32');
      const s = Session.create(bytes);
      try {
        const feeds: Record<string, ReturnType<typeof tensorFromNumbers>> = { w: tensorFromNumbers('float16', [N], f64(w0)) };
        const stateNames = manifest.inputs.map((i) => i.name).filter((k) => k.includes('.state'));
        for (const k of stateNames) feeds[k] = tensorFromNumbers('float16', [N], new Array(N).fill(0));
        xs.forEach((x, k) => {
          feeds.x = tensorFromNumbers('float16', [1, N], f64(x));
          feeds.label = tensorFromNumbers('float16', [1], [1e4]);
          feeds.lr = tensorFromNumbers('float32', [], [attrs.lr]);
          feeds.t = tensorFromNumbers('float32', [], [k + 1]);
          const r = s.runSync(feeds);
          feeds.w = r['w.new']!;
          for (const n of stateNames) feeds[n] = r[`${n}.new`]!;
          const got = tensorToNumbers(feeds.w);
          const want = ref!.outs[k]!.data as number[];
          const off = got.filter((v, i) => v !== want[i]).length;
          assert.equal(off, 0, `artifact momentum ${momentum} step ${k + 1}: ${off} of ${N} weights differ from numpy's float32 update`);
        });
      } finally {
        s.close();
      }
    }
  });
});
