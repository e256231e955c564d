/**
 * float16 through the nn operators (activations, softmax, normalizations,
 * dropout): they refused float16 ("dtype float16 is not supported"), which
 * MXNet takes everywhere. Their lowerings now run in float32 and round once
 * (`float16InFloat32`). Outputs and input gradients are compared with PyTorch
 * float64 on the same float16 values, eagerly (a small tensor: TypeScript
 * kernels; a large one: a one-node onnxruntime session) and hybridized.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

type NDArray = nd.NDArray;

interface Case {
  what: string;
  /** The operator on x (and its float16 parameters, made from `params`). */
  f: (F: gluon.F, x: gluon.Tensor, ...p: gluon.Tensor[]) => gluon.Tensor;
  /** PyTorch on x (and p0, p1, ... as float64 tensors), F = torch.nn.functional. */
  torch: string;
  params?: number[][];
  /** Training mode (BatchNorm's batch statistics). */
  train?: boolean;
}

const C = 4;
const CASES: Case[] = [
  { what: 'relu', f: (F, x) => F.Activation(x, { actType: 'relu' }), torch: 'F.relu(x)' },
  { what: 'sigmoid', f: (F, x) => F.Activation(x, { actType: 'sigmoid' }), torch: 'torch.sigmoid(x)' },
  { what: 'tanh', f: (F, x) => F.Activation(x, { actType: 'tanh' }), torch: 'torch.tanh(x)' },
  { what: 'softrelu', f: (F, x) => F.Activation(x, { actType: 'softrelu' }), torch: 'F.softplus(x)' },
  { what: 'softsign', f: (F, x) => F.Activation(x, { actType: 'softsign' }), torch: 'F.softsign(x)' },
  { what: 'leaky 0.1', f: (F, x) => F.LeakyReLU(x, { actType: 'leaky', slope: 0.1 }), torch: 'F.leaky_relu(x, 0.1)' },
  { what: 'elu', f: (F, x) => F.LeakyReLU(x, { actType: 'elu', slope: 1 }), torch: 'F.elu(x)' },
  { what: 'selu', f: (F, x) => F.LeakyReLU(x, { actType: 'selu' }), torch: 'F.selu(x)' },
  { what: 'gelu', f: (F, x) => F.LeakyReLU(x, { actType: 'gelu' }), torch: 'F.gelu(x)' },
  { what: 'prelu', f: (F, x, g) => F.LeakyReLU(x, g!, { actType: 'prelu' }), torch: 'F.prelu(x, p0)', params: [[0.25, -0.5, 0.125, 2]] },
  { what: 'softmax axis 1', f: (F, x) => F.softmax(x, { axis: 1 }), torch: 'F.softmax(x, 1)' },
  { what: 'logSoftmax', f: (F, x) => F.logSoftmax(x), torch: 'F.log_softmax(x, -1)' },
  {
    what: 'BatchNorm (moving statistics)',
    f: (F, x, g, b, m, v) => F.BatchNorm(x, g!, b!, m!, v!, { fixGamma: false, eps: 1e-3 }),
    torch: 'F.batch_norm(x, p2, p3, p0, p1, False, 0.1, 1e-3)',
    params: [[1.5, 0.5, -1, 2], [0.25, -0.5, 0, 1], [0.1, -0.2, 0.3, 0], [1, 0.5, 2, 0.25]],
  },
  {
    what: 'BatchNorm (batch statistics)',
    f: (F, x, g, b, m, v) => F.BatchNorm(x, g!, b!, m!, v!, { fixGamma: false, eps: 1e-3 }),
    torch: 'F.batch_norm(x, None, None, p0, p1, True, 0.1, 1e-3)',
    params: [[1.5, 0.5, -1, 2], [0.25, -0.5, 0, 1], [0, 0, 0, 0], [1, 1, 1, 1]],
    train: true,
  },
  { what: 'LayerNorm axis 1', f: (F, x, g, b) => F.LayerNorm(x, g!, b!, { axis: 1 }), torch: 'F.layer_norm(x.transpose(1, 2), [4], p0, p1, 1e-5).transpose(1, 2)', params: [[1.5, 0.5, -1, 2], [0.25, -0.5, 0, 1]] },
  { what: 'InstanceNorm', f: (F, x, g, b) => F.InstanceNorm(x, g!, b!, { eps: 1e-3 }), torch: 'F.instance_norm(x, weight=p0, bias=p1, eps=1e-3)', params: [[1.5, 0.5, -1, 2], [0.25, -0.5, 0, 1]] },
  { what: 'GroupNorm 2 groups', f: (F, x, g, b) => F.GroupNorm(x, g!, b!, { numGroups: 2, eps: 1e-5 }), torch: 'F.group_norm(x, 2, p0, p1, 1e-5)', params: [[1.5, 0.5, -1, 2], [0.25, -0.5, 0, 1]] },
];

describe('float16 through the nn operators (computed in float32, rounded once)', () => {
  it('outputs and input gradients match PyTorch float64 of the same float16 values: eager small and large, hybridized', function () {
    this.timeout(60000);
    random.seed(16);
    const shapes = [[2, C, 3], [8, C, 80]];   // 24 elements (kernels) and 2560 (one-node sessions)
    const half = (a: NDArray) => a.astype('float16');
    const f64 = (a: NDArray) => ({ shape: a.shape, dtype: 'float64', data: Array.from(a.astype('float64').data() as Float64Array) });
    const runs: { what: string; out: NDArray; grad: NDArray; job: number }[] = [];
    const jobs: Parameters<typeof numpyRefs>[0] = [];
    for (const c of CASES) {
      for (const shape of shapes) {
        const x = half(nd.random.uniform(-3, 3, shape));
        const head = half(nd.random.uniform(-1, 1, shape));
        const params = (c.params ?? []).map((p) => nd.array(p, { dtype: 'float16' }));
        const names = params.map((_p, i) => `p${i} = torch.tensor(${String.fromCharCode(99 + i)})`).join('\n');
        jobs.push({
          code: `import torch\nimport torch.nn.functional as F\nx = torch.tensor(a, requires_grad=True)\n${names}\ny = ${c.torch}\n(y * torch.tensor(b)).sum().backward()\nout = [y.detach().numpy(), x.grad.numpy()]`,
          inputs: [f64(x), f64(head), ...params.map(f64)],
        });
        const job = jobs.length - 1;
        for (const hybrid of [false, true]) {
          if (hybrid && shape === shapes[1]) continue;
          class Op extends gluon.HybridBlock {
            override hybridForward(F: gluon.F, data: gluon.Tensor, ...ps: gluon.Tensor[]) {
              return c.f(F, data, ...ps.slice(0, params.length));
            }
          }
          const block = new Op();
          if (hybrid) block.hybridize();
          const xg = x.copy();
          xg.attachGrad();
          const ps = params.map((p) => p.copy());
          const out = autograd.record(() => block.call(xg, ...ps) as NDArray, { trainMode: c.train === true });
          out.backward(head);
          runs.push({ what: `${c.what} ${hybrid ? 'hybridized' : 'eager'} ${shape.join('x')}`, out, grad: xg.grad!, job });
        }
      }
    }
    const refs = numpyRefs(jobs);
    for (const r of runs) {
      const ref = refs[r.job]!;
      assert.equal(ref.error, undefined, `${r.what}: ${ref.error}`);
      assert.equal(r.out.dtype, 'float16', r.what);
      assert.equal(r.grad.dtype, 'float16', r.what);
      assertClose(r.out.astype('float64').data() as Float64Array, ref.outs[0]!.data, `${r.what} output`, 3e-3, 3e-3);
      assertClose(r.grad.astype('float64').data() as Float64Array, ref.outs[1]!.data, `${r.what} input gradient`, 1e-2, 1e-2);
    }
  });

  // The gradients of take, pick and Embedding scatter-add (indexAdd, scatterAdd) and cumsum had no float16:
  // a float16 model with an Embedding ran forward but failed in backward.
  it('float16 gathers (Embedding, take, pick) differentiate, and cumsum runs, matching PyTorch float64', function () {
    this.timeout(60000);
    random.seed(17);
    const rows = 50;
    const cases: { what: string; f: (F: gluon.F, w: gluon.Tensor, i: gluon.Tensor) => gluon.Tensor; torch: string; idx: (n: number) => NDArray }[] = [
      { what: 'Embedding', f: (F, w, i) => F.Embedding(i, w, { inputDim: rows, outputDim: 48 }), torch: 'F.embedding(torch.tensor(c).long(), x)', idx: (n) => nd.array(Array.from({ length: n }, (_v, k) => (k * 7) % rows), { dtype: 'int32' }) },
      { what: 'take', f: (F, w, i) => F.take(w, i), torch: 'x[torch.tensor(c).long()]', idx: (n) => nd.array(Array.from({ length: n }, (_v, k) => (k * 3) % rows), { dtype: 'int64' }) },
      { what: 'pick', f: (F, w, i) => F.pick(w, i, { axis: 1 }), torch: 'x.gather(1, torch.tensor(c).long().reshape(-1, 1)).reshape(-1)', idx: () => nd.array(Array.from({ length: rows }, (_v, k) => (k * 5) % 48), { dtype: 'float16' }) },
      { what: 'cumsum axis 1', f: (F, w) => F.cumsum(w, { axis: 1 }), torch: 'torch.cumsum(x, 1)', idx: () => nd.zeros([1]) },
    ];
    const f64 = (a: NDArray) => ({ shape: a.shape, dtype: 'float64', data: Array.from(a.astype('float64').data() as Float64Array) });
    const runs = cases.flatMap((c) => [6, 60].map((n) => {
      const w = nd.random.uniform(-1, 1, [rows, 48]).astype('float16');
      const i = c.idx(n);
      const head = nd.random.uniform(-1, 1, (c.f(nd as unknown as gluon.F, w, i) as NDArray).shape).astype('float16');
      return { c, n, w, i, head };
    }));
    const refs = numpyRefs(runs.map(({ c, w, i, head }) => ({
      code: `import torch\nimport torch.nn.functional as F\nx = torch.tensor(a, requires_grad=True)\ny = ${c.torch}\n(y * torch.tensor(b)).sum().backward()\nout = [y.detach().numpy(), x.grad.numpy()]`,
      inputs: [f64(w), f64(head), f64(i)],
    })));
    runs.forEach(({ c, n, w, i, head }, r) => {
      const ref = refs[r]!;
      assert.equal(ref.error, undefined, ref.error);
      for (const hybrid of [false, true]) {
        class Op extends gluon.HybridBlock {
          override hybridForward(F: gluon.F, x: gluon.Tensor, idx: gluon.Tensor) {
            return c.f(F, x, idx);
          }
        }
        const block = new Op();
        if (hybrid) block.hybridize();
        const wg = w.copy();
        wg.attachGrad();
        const out = autograd.record(() => block.call(wg, i) as NDArray);
        out.backward(head);
        const what = `float16 ${c.what} ${n} ${hybrid ? 'hybridized' : 'eager'}`;
        assert.equal(wg.grad!.dtype, 'float16', what);
        assertClose(out.astype('float64').data() as Float64Array, ref.outs[0]!.data, `${what} output`, 3e-3, 3e-3);
        assertClose(wg.grad!.astype('float64').data() as Float64Array, ref.outs[1]!.data, `${what} gradient`, 3e-3, 3e-3);
      }
    });
  });

  it('Dropout keeps or zeroes float16 elements and scales the kept ones by 1 / (1 - p), gradient the same mask', () => {
    random.seed(3);
    for (const shape of [[4, 5], [40, 80]]) {
      const x = nd.random.uniform(0.5, 2, shape).astype('float16');
      x.attachGrad();
      const y = autograd.record(() => nd.Dropout(x, { p: 0.25 }));
      y.backward(nd.onesLike(x));
      const [xv, yv, gv] = [x, y, x.grad!].map((a) => a.astype('float64').data() as Float64Array);
      assert.equal(y.dtype, 'float16');
      for (let i = 0; i < xv!.length; i++) {
        const kept = yv![i] !== 0;
        // float16(x / 0.75) within float16 rounding
        if (kept) assert.ok(Math.abs(yv![i]! - xv![i]! / 0.75) <= 2e-3 * Math.abs(xv![i]! / 0.75), `${shape}: element ${i} ${yv![i]} vs ${xv![i]! / 0.75}`);
        if (kept) assert.ok(Math.abs(gv![i]! - 1 / 0.75) <= 1e-3, `${shape}: gradient ${i} is ${gv![i]}, expected 1 / 0.75`);
        else assert.equal(gv![i], 0, `${shape}: gradient ${i} follows the mask`);
      }
    }
  });
});
