/**
 * ai.onnx.ml's SVMClassifier with probability estimates (prob_a/prob_b:
 * Platt scaling and libsvm's pairwise coupling, compiler/onnx/import/
 * ml-svm-coupling.ts) and in its linear form (no support vectors), against
 * onnxruntime 1.30 on models built with onnx.helper: 2, 3 and 5 classes, every
 * kernel, every post transform, eager and hybridized; ties (decisions of
 * exactly 0, tied votes, a linear score of exactly 0.5 or 0 with two classes),
 * decisions that saturate the clip at 1e-7, and pairs that start converged
 * (r = 1/2 everywhere: p stays 1/k); a float64 transcription of onnxruntime's
 * multiclass_probability (numpy) checked against onnxruntime's outputs, then
 * differentiated by central differences for the gradient of sum(r · scores)
 * in the coefficients and rho (parameters); the linear form's gradient
 * against rᵀx; a hybridized model exported (an ONNX Loop, no ai.onnx.ml) and
 * run by onnxruntime to the same scores; refusals by name. Skipped without
 * python3's onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, os, json, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto
out = sys.argv[1]
rs = np.random.RandomState(7)
cases = []
KP = {'LINEAR': [0.0, 0.0, 0.0], 'POLY': [0.5, 0.25, 3.0], 'RBF': [0.3, 0.0, 0.0], 'SIGMOID': [0.2, -0.1, 0.0]}
vi = helper.make_tensor_value_info
f32 = lambda a: [float(v) for v in np.asarray(a, np.float32).ravel()]

def model(attrs, nf, name, xdt=TensorProto.FLOAT):
    attrs = dict(dict(kernel_params=[0.0, 0.0, 0.0]), **attrs)   # onnxruntime requires kernel_params
    node = helper.make_node('SVMClassifier', ['x'], ['label', 'scores'], domain='ai.onnx.ml', **attrs)
    g = helper.make_graph([node], name, [vi('x', xdt, [None, nf])], [vi('label', TensorProto.INT64, None), vi('scores', TensorProto.FLOAT, None)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('ai.onnx.ml', 3)], ir_version=8)

def ort_run(m, x):
    return ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, {'x': x})

def save(name, attrs, x, nf):
    m = model(attrs, nf, name, TensorProto.INT64 if x.dtype == np.int64 else TensorProto.FLOAT)
    d = f'{out}/{name}'
    os.makedirs(d)
    onnx.save(m, f'{d}/model.onnx')
    got = ort_run(m, x)
    np.save(f'{d}/in_x.npy', x)
    for i, v in enumerate(got): np.save(f'{d}/out{i}.npy', v)
    cases.append(name)
    return got

def svc(C, kernel, nf, per=None, post='NONE', scale=1.0):
    per = per or [int(v) for v in rs.randint(1, 4, C)]
    n, P = sum(per), C * (C - 1) // 2
    return dict(coefficients=f32(rs.randn((C - 1) * n) * scale), support_vectors=f32(rs.randn(n * nf)), vectors_per_class=per, kernel_type=kernel, kernel_params=KP[kernel],
                rho=f32(rs.randn(P) * 0.5), classlabels_ints=[int(v) for v in rs.choice(50, C, replace=False)], post_transform=post,
                prob_a=f32(-rs.uniform(0.5, 3, P)), prob_b=f32(rs.randn(P) * 0.3))

# --- probabilities: every kernel and post transform, 2, 3 and 5 classes
POSTS = ['NONE', 'SOFTMAX', 'LOGISTIC', 'SOFTMAX_ZERO', 'PROBIT']
for kk, kernel in enumerate(['LINEAR', 'POLY', 'RBF', 'SIGMOID']):
    for ci, C in enumerate([2, 3, 5]):
        nf = 3
        save(f'proba_{kernel}_{C}_{POSTS[(kk + ci) % 5]}', svc(C, kernel, nf, post=POSTS[(kk + ci) % 5]), rs.randn(13, nf).astype(np.float32), nf)
# every post transform once more on 4 classes (RBF), an int64 input, a 1-D input of one sample
for post in POSTS: save(f'proba_RBF_4_{post}_all', svc(4, 'RBF', 2, post=post), rs.randn(9, 2).astype(np.float32), 2)
save('proba_int64', svc(3, 'LINEAR', 2), rs.randint(-3, 4, (7, 2)).astype(np.int64), 2)
# decisions of exactly 0 (x = 0 with a LINEAR kernel and rho 0: every pair votes for its second class; r = 1 - σ(B)),
# then prob_a = 0 and prob_b = 0: r = 1/2 everywhere, converged before the first sweep (p = 1/k)
a = svc(3, 'LINEAR', 2); a['rho'] = [0.0, 0.0, 0.0]
save('proba_zero_decisions', a, np.zeros((2, 2), np.float32), 2)
a = svc(5, 'RBF', 2); a['prob_a'] = [0.0] * 10; a['prob_b'] = [0.0] * 10
save('proba_converged', a, rs.randn(4, 2).astype(np.float32), 2)
# large decisions (coefficients x 40, prob_a -8): r clipped to 1e-7 or 1 - 1e-7; tied votes (3 classes in a cycle)
a = svc(3, 'RBF', 2, scale=40.0); a['prob_a'] = [-8.0] * 3
save('proba_saturated', a, rs.randn(12, 2).astype(np.float32), 2)
# a cycle: class 0 beats 1, 1 beats 2, 2 beats 0 (one support vector each, x's kernel 1 with each: the decisions are the rho's)
save('proba_vote_tie', dict(coefficients=[0.0] * 6, support_vectors=[0.0, 0.0, 0.0], vectors_per_class=[1, 1, 1], kernel_type='LINEAR', rho=[1.0, -1.0, 1.0],
     classlabels_ints=[7, 8, 9], prob_a=[-1.0, -2.0, -0.5], prob_b=[0.1, -0.2, 0.0]), np.zeros((2, 1), np.float32), 1)

# --- the linear form (no support vectors): scores x . W^T + rho[0]
for C, post, sign in [(2, 'NONE', 'pos'), (2, 'NONE', 'mixed'), (2, 'LOGISTIC', 'mixed'), (3, 'SOFTMAX', 'mixed'), (4, 'NONE', 'pos'), (3, 'PROBIT', 'pos'), (5, 'SOFTMAX_ZERO', 'mixed')]:
    nf = 3
    W = rs.uniform(0, 0.3, (C, nf)) if sign == 'pos' else rs.randn(C, nf)
    x = (rs.uniform(0, 1, (15, nf)) if post == 'PROBIT' else rs.randn(15, nf)).astype(np.float32)
    save(f'linear_{C}_{post}_{sign}', dict(coefficients=f32(W), rho=[0.05 if post == 'PROBIT' else float(np.float32(rs.randn()))], classlabels_ints=[int(v) for v in rs.choice(50, C, replace=False)],
         kernel_type='RBF', post_transform=post), x, nf)
# ties with two classes: scores of exactly 0.5 (weights >= 0) and of exactly 0 (both signs); equal scores (the first label)
save('linear_tie_half', dict(coefficients=[0.5, 0.0, 0.0, 0.5], rho=[0.0], classlabels_ints=[3, 4]), np.array([[1, 0], [0, 1], [1, 1], [0.5, 0.5], [0, 0]], np.float32), 2)
save('linear_tie_zero', dict(coefficients=[1.0, 0.0, 0.0, -1.0], rho=[0.0], classlabels_ints=[3, 4]), np.array([[0, 0], [1, 0], [0, -1], [-1, 1], [0, 2]], np.float32), 2)
save('linear_tie_three', dict(coefficients=[1.0, 0.0, 0.0, 1.0, 1.0, 0.0], rho=[0.0], classlabels_ints=[3, 4, 5]), np.array([[1, 1], [0, 1], [1, 0], [0, 0]], np.float32), 2)
save('linear_proba_2', dict(coefficients=[0.5, 0.0, 0.0, 0.5], rho=[0.0], classlabels_ints=[3, 4], prob_a=[1.0], prob_b=[0.0]), np.array([[1, 0], [0.6, 0.55], [0, 1]], np.float32), 2)

# --- a float64 transcription of onnxruntime's coupling (svmclassifier.cc, ml_common.h), checked against onnxruntime,
# then differentiated by central differences: the gradient of sum(r * scores) in the coefficients and rho
def kern(x, sv, kernel, kp):
    g, c0, d = kp
    if kernel == 'RBF': return np.exp(-g * ((x[:, None, :] - sv[None]) ** 2).sum(-1))
    dot = x @ sv.T
    if kernel == 'LINEAR': return dot
    return (g * dot + c0) ** d if kernel == 'POLY' else np.tanh(g * dot + c0)

def coupling(r, k):
    Q = np.zeros((k, k)); p = np.full(k, 1.0 / k)
    for i in range(k):
        for j in range(k):
            if j != i: Q[i, i] += r[j, i] ** 2; Q[i, j] = -r[j, i] * r[i, j]
    for _ in range(100):
        Qp = Q @ p; pQp = p @ Qp
        if np.abs(Qp - pQp).max() < 0.005 / k: break
        for i in range(k):
            diff = (-Qp[i] + pQp) / Q[i, i]
            p[i] += diff
            pQp = (pQp + diff * (diff * Q[i, i] + 2 * Qp[i])) / (1 + diff) / (1 + diff)
            Qp = (Qp + diff * Q[i]) / (1 + diff); p = p / (1 + diff)
    return p

def reference(a, x, coef, rho):
    C, per = len(a['classlabels_ints']), a['vectors_per_class']
    sv = np.array(a['support_vectors']).reshape(sum(per), -1)
    K = kern(x.astype(np.float64), sv, a['kernel_type'], a['kernel_params'])
    start = np.concatenate([[0], np.cumsum(per)])
    W = coef.reshape(C - 1, -1)
    outp = []
    for n in range(len(x)):
        r, q = np.zeros((C, C)), 0
        for i in range(C):
            for j in range(i + 1, C):
                s = W[j - 1, start[i]:start[i + 1]] @ K[n, start[i]:start[i + 1]] + W[i, start[j]:start[j + 1]] @ K[n, start[j]:start[j + 1]] + rho[q]
                v = min(max(1 / (1 + np.exp(s * a['prob_a'][q] + a['prob_b'][q])), 1e-7), 1 - 1e-7)
                r[i, j], r[j, i] = v, 1 - v
                q += 1
        outp.append(coupling(r, C))
    return np.array(outp)

for name, C, kernel in [('grad_rbf_3', 3, 'RBF'), ('grad_poly_4', 4, 'POLY')]:
    a = svc(C, kernel, 2)
    x = rs.randn(6, 2).astype(np.float32)
    coef, rho = np.array(a['coefficients'], np.float64), np.array(a['rho'], np.float64)
    got = save(name, a, x, 2)[1]
    assert np.abs(reference(a, x, coef, rho) - got).max() < 1e-4, 'the float64 transcription agrees with onnxruntime'
    R = rs.randn(6, C)
    h = 1e-5
    loss = lambda c_, r_: (R * reference(a, x, c_, r_)).sum()
    gc = np.array([(loss(coef + h * e, rho) - loss(coef - h * e, rho)) / (2 * h) for e in np.eye(len(coef))])
    gr = np.array([(loss(coef, rho + h * e) - loss(coef, rho - h * e)) / (2 * h) for e in np.eye(len(rho))])
    d = f'{out}/{name}'
    np.save(f'{d}/r.npy', R.astype(np.float32)); np.save(f'{d}/grad_coef.npy', gc); np.save(f'{d}/grad_rho.npy', gr)

# --- refused
def refuse(name, attrs, nf=1):
    d = f'{out}/refuse_{name}'
    os.makedirs(d)
    onnx.save(model(attrs, nf, name), f'{d}/model.onnx')
refuse('proba_count', dict(coefficients=[1.0, -1.0, 0.5, 0.5, 1.0, -1.0], support_vectors=[1.0, 2.0, 3.0], vectors_per_class=[1, 1, 1], rho=[0.0, 0.0, 0.0], prob_a=[-1.0], prob_b=[0.1], classlabels_ints=[0, 1, 2]))
refuse('proba_uneven', dict(coefficients=[1.0, -1.0], support_vectors=[1.0, 2.0], vectors_per_class=[1, 1], rho=[0.0], prob_a=[-1.0], prob_b=[0.1, 0.2], classlabels_ints=[0, 1]))
refuse('linear_uneven', dict(coefficients=[1.0, -1.0, 0.5], rho=[0.0], classlabels_ints=[0, 1]))
json.dump(cases, open(f'{out}/cases.json', 'w'))
`;

/** The numbers of an NDArray (int64 as numbers). */
function vals(a: nd.NDArray): number[] {
  return tensorToNumbers(a._host);
}

function run(dir: string, hybrid: boolean): nd.NDArray[] {
  const net = SymbolBlock.imports(join(dir, 'model.onnx'));
  if (hybrid) net.hybridize();
  return net.call(new nd.NDArray(readNpy(join(dir, 'in_x.npy')))) as nd.NDArray[];
}

describe('imported SVMClassifier probabilities and linear form: onnxruntime', function () {
  this.timeout(600_000);
  const fx = pythonFixtures('onnxmlsvm', ['onnx', 'onnxruntime'], SCRIPT);

  for (const hybrid of [false, true]) {
    it(`labels and scores equal onnxruntime's (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const all = JSON.parse(readFileSync(join(fx.dir, 'cases.json'), 'utf8')) as string[];
      assert.equal(all.length, 35);
      for (const name of all) {
        const dir = join(fx.dir, name);
        const [label, scores] = run(dir, hybrid);
        const wantLabel = readNpy(join(dir, 'out0.npy'));
        const wantScores = readNpy(join(dir, 'out1.npy'));
        assert.deepEqual(vals(label!), tensorToNumbers(wantLabel), `${name}: labels`);
        assert.deepEqual(scores!.shape, wantScores.shape, `${name}: scores' shape`);
        // PROBIT: onnxruntime's float32 erf⁻¹ approximation cancels near a probability of 0.5 (as import-ml.test.ts).
        const tol = name.includes('PROBIT') ? 1e-4 : 2e-6;
        assertClose(vals(scores!), tensorToNumbers(wantScores), `${name}: scores`, tol, tol);
      }
    });
  }

  it('ties: zero decisions vote for the second class, tied votes take the first label, p stays 1/k where it starts converged', () => {
    // proba_vote_tie: decisions +1 (0 over 1), -1 (2 over 0), +1 (1 over 2): one vote each, the first label.
    assert.deepEqual(vals(run(join(fx.dir, 'proba_vote_tie'), true)[0]!), [7, 7]);
    assert.deepEqual(tensorToNumbers(readNpy(join(fx.dir, 'proba_vote_tie', 'out0.npy'))), [7, 7], 'onnxruntime agrees');
    // proba_converged: r = 1/2 everywhere, so max |Qp - pQp| = 0 before the first sweep.
    assertClose(vals(run(join(fx.dir, 'proba_converged'), false)[1]!), new Array(20).fill(0.2), 'proba_converged', 0, 1e-7);
    // linear_tie_half (all weights >= 0): the second label where the top score is >= 0.5 (x = [1, 0] scores [0.5, 0]).
    assert.deepEqual(vals(run(join(fx.dir, 'linear_tie_half'), false)[0]!), [4, 4, 4, 3, 3]);
    // linear_tie_zero (both signs): the second label where the top score is > 0, else the first highest's.
    assert.deepEqual(vals(run(join(fx.dir, 'linear_tie_zero'), false)[0]!), [3, 4, 4, 3, 3]);
  });

  for (const name of ['grad_rbf_3', 'grad_poly_4']) {
    it(`${name}: the gradient of sum(r · scores) in the coefficients and rho equals a float64 reference's central differences`, () => {
      const dir = join(fx.dir, name);
      const x = new nd.NDArray(readNpy(join(dir, 'in_x.npy')));
      const rt = readNpy(join(dir, 'r.npy'));
      const r = new nd.NDArray(rt);
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const params = net.collectParams();
        assert.deepEqual(params.keys().sort(), ['#0_coefficients', '#0_rho']);
        const l = autograd.record(() => ((net.call(x) as nd.NDArray[])[1]!).mul(r).sum());
        l.backward();
        const tag = `${name} ${hybrid ? 'hybridized' : 'eager'}`;
        assertClose(vals(params.get('#0_coefficients').grad()), tensorToNumbers(readNpy(join(dir, 'grad_coef.npy'))), `${tag}: coefficients`, 2e-3, 2e-4);
        assertClose(vals(params.get('#0_rho').grad()), tensorToNumbers(readNpy(join(dir, 'grad_rho.npy'))), `${tag}: rho`, 2e-3, 2e-4);
      }
    });
  }

  it('the linear form: the gradient of sum(r · scores) in W [classes, features] and rho[0] is rᵀx and sum(r) (float64 sums)', () => {
    const dir = join(fx.dir, 'linear_4_NONE_pos');
    const xt = readNpy(join(dir, 'in_x.npy'));
    const xs = tensorToNumbers(xt);
    const [N, F] = xt.shape as [number, number];
    const rs = Array.from({ length: N * 4 }, (_v, k) => Math.sin(k + 1) / 2);
    const wantW = Array.from({ length: 4 * F }, (_v, k) => {
      let acc = 0;
      for (let n = 0; n < N; n++) acc += Math.fround(rs[n * 4 + Math.floor(k / F)]!) * xs[n * F + (k % F)]!;
      return acc;
    });
    const wantRho = rs.reduce((a, v) => a + Math.fround(v), 0);
    for (const hybrid of [false, true]) {
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      if (hybrid) net.hybridize();
      const params = net.collectParams();
      assert.deepEqual(params.get('#0_coefficients').shape, [4, F]);
      const r = nd.array(rs).reshape([N, 4]);
      const l = autograd.record(() => ((net.call(new nd.NDArray(xt)) as nd.NDArray[])[1]!).mul(r).sum());
      l.backward();
      assertClose(vals(params.get('#0_coefficients').grad()), wantW, `linear W ${hybrid ? 'hybridized' : 'eager'}`, 1e-5, 1e-5);
      assertClose(vals(params.get('#0_rho').grad()), [wantRho], `linear rho ${hybrid ? 'hybridized' : 'eager'}`, 1e-5, 1e-5);
    }
  });

  it('a hybridized classifier with probabilities exports to a file (an ONNX Loop, no ai.onnx.ml) that onnxruntime runs to its scores', async () => {
    for (const name of ['proba_RBF_4_SOFTMAX_all', 'proba_POLY_5_SOFTMAX_ZERO']) {
      const dir = join(fx.dir, name);
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      net.hybridize();
      const t = readNpy(join(dir, 'in_x.npy'));
      net.call(new nd.NDArray(t));
      const out = join(dir, 'exported.onnx');
      net.export(out);
      assert.deepEqual(checkOnnxFiles([out]), [null], name);
      const bytes = readFileSync(out);
      assert.ok(!bytes.includes(Buffer.from('ai.onnx.ml')) && bytes.includes(Buffer.from('Loop')), `${name}: a Loop, no ai.onnx.ml operator`);
      const session = await ort.InferenceSession.create(out);
      try {
        const res = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', t.data as Float32Array, t.shape as number[]) });
        const got = Array.from(res[session.outputNames[1]!]!.data as Float32Array);
        assertClose(got, tensorToNumbers(readNpy(join(dir, 'out1.npy'))), `${name}: the exported file's scores`, 2e-6, 2e-6);
      } finally {
        await session.release();
      }
    }
  });

  it('refuses by name prob_a/prob_b of the wrong length and a linear form whose coefficients do not split by class', () => {
    const cases: Array<[string, RegExp]> = [
      ['proba_count', /'SVMClassifier' \(node '#0'\) has no gluonc equivalent: 1 prob_a\/prob_b values for 3 pairs of classes/],
      ['proba_uneven', /1 prob_a and 2 prob_b values \(as many of each\)/],
      ['linear_uneven', /3 coefficients for 2 classes \(no support vectors/],
    ];
    for (const [name, re] of cases) assert.throws(() => readModel(readFileSync(join(fx.dir, `refuse_${name}`, 'model.onnx'))), re, name);
  });
});
