/**
 * ONNX's LinearAttention (opset 27) imported (compiler/onnx/import/linear-attention.ts):
 * every output against ONNX's reference implementation (onnx.reference.ReferenceEvaluator),
 * eager and hybridized — each update rule (linear, gated, delta, gated_delta), GQA and MQA,
 * decay per head and per key dimension, beta per head and shared, past state (float16 state
 * with float32 activations too), explicit scale, chunk_size, float16, one-token decode, and
 * edges: decay 0 and -30 (a state wiped), beta 0 and 1. Gradients in every float input
 * (query, key, value, decay, beta, past_state) against central differences of a float64
 * numpy recurrence written from the spec's formulas (itself checked against the reference).
 * A hybridized block holding it exports a file onnx.checker passes and onnxruntime runs to
 * the same outputs. Refusals by name. Skipped, with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, os, json, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16}
NAMES = ['query', 'key', 'value', 'past_state', 'decay', 'beta']

def recur64(ins, a):
  """The spec's recurrence in float64 (onnx.defs.get_schema('LinearAttention').doc), head by head."""
  q, k, v = (ins[n].astype(np.float64) for n in ('query', 'key', 'value'))
  hq, hkv, rule = a['q_num_heads'], a['kv_num_heads'], a.get('update_rule', 'gated_delta')
  B, T, _ = q.shape; dk = q.shape[2] // hq; dv = v.shape[2] // hkv; grp = hq // hkv
  S = ins['past_state'].astype(np.float64).copy() if 'past_state' in ins else np.zeros((B, hkv, dk, dv))
  scale = a.get('scale', 0.0) or 1 / np.sqrt(dk)
  o = np.zeros((B, T, hq, dv))
  for t in range(T):
    for h in range(hkv):
      kt, vt = k[:, t, h * dk:(h + 1) * dk], v[:, t, h * dv:(h + 1) * dv]
      if rule.startswith('gated'):
        d = ins['decay'].astype(np.float64)[:, t]
        g = d[:, h:h + 1] if d.shape[1] == hkv else d[:, h * dk:(h + 1) * dk]
        S[:, h] = np.exp(g)[:, :, None] * S[:, h]
      if rule.endswith('delta'):
        bb = ins['beta'].astype(np.float64)[:, t]
        beta = bb[:, h:h + 1] if bb.shape[1] == hkv else bb[:, 0:1]
        vt = beta * (vt - np.einsum('bdm,bd->bm', S[:, h], kt))
      S[:, h] = S[:, h] + kt[:, :, None] * vt[:, None, :]
    for h in range(hq):
      o[:, t, h] = scale * np.einsum('bd,bdm->bm', q[:, t, h * dk:(h + 1) * dk], S[:, h // grp])
  return [o.reshape(B, T, hq * dv), S]

def save(d, m):
  os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')

def case(name, ins, attrs, grad=(), opset=27):
  names = [n if n in ins else '' for n in NAMES]
  while not names[-1]: names.pop()
  node = helper.make_node('LinearAttention', names, ['output', 'present_state'], **attrs)
  vi = [helper.make_tensor_value_info(n, TYPES[ins[n].dtype], list(ins[n].shape)) for n in names if n]
  feeds = {n: ins[n] for n in names if n}
  probe = helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in ('output', 'present_state')]),
                            opset_imports=[helper.make_opsetid('', opset)], ir_version=11)
  ys = ReferenceEvaluator(probe).run(None, feeds)
  # The float64 recurrence agrees with the reference (which computes in float32).
  tol = 2e-2 if ys[0].dtype == np.float16 else 1e-4
  for y, r in zip(ys, recur64(ins, attrs)): assert np.allclose(y.astype(np.float64), r, rtol=tol, atol=tol), name
  m = helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info(o, TYPES[y.dtype], list(y.shape)) for o, y in zip(('output', 'present_state'), ys)]),
                        opset_imports=[helper.make_opsetid('', opset)], ir_version=11)
  d = f'{out}/{name}'
  save(d, m)
  R = [rs.randn(*y.shape).astype(y.dtype) for y in ys]
  f = lambda fd: sum(float((y * r).sum()) for y, r in zip(recur64(fd, attrs), R))
  for k, n in enumerate([n for n in names if n]):
    np.save(f'{d}/in{k}.npy', ins[n])
    if n not in grad: continue
    x = ins[n].astype(np.float64); g = np.zeros_like(x); e = 1e-6
    for idx in np.ndindex(x.shape):
      a, b = x.copy(), x.copy(); a[idx] += e; b[idx] -= e
      g[idx] = (f({**ins, n: a}) - f({**ins, n: b})) / (2 * e)
    np.save(f'{d}/grad{k}.npy', g)
  for k, y in enumerate(ys): np.save(f'{d}/out{k}.npy', y)
  for k, r in enumerate(R): np.save(f'{d}/r{k}.npy', r)

f32 = lambda *s: (0.5 * rs.randn(*s)).astype(np.float32)
ALL = ('query', 'key', 'value', 'past_state', 'decay', 'beta')
H = lambda hq, hkv, **kw: {'q_num_heads': hq, 'kv_num_heads': hkv, **kw}
case('linear', {'query': f32(2, 5, 6), 'key': f32(2, 5, 6), 'value': f32(2, 5, 8)}, H(2, 2, update_rule='linear'), ALL)
case('gated_perdim_past', {'query': f32(1, 4, 6), 'key': f32(1, 4, 6), 'value': f32(1, 4, 4), 'past_state': f32(1, 2, 3, 2), 'decay': -np.abs(f32(1, 4, 6))},
     H(2, 2, update_rule='gated', chunk_size=2), ALL)
case('gated_perhead_gqa', {'query': f32(2, 3, 8), 'key': f32(2, 3, 4), 'value': f32(2, 3, 6), 'decay': -np.abs(f32(2, 3, 2))}, H(4, 2, update_rule='gated'), ALL)
case('delta_beta1_past', {'query': f32(1, 4, 4), 'key': f32(1, 4, 4), 'value': f32(1, 4, 6), 'past_state': f32(1, 2, 2, 3), 'beta': rs.rand(1, 4, 1).astype(np.float32)},
     H(2, 2, update_rule='delta'), ALL)
case('gated_delta_mqa_scale', {'query': f32(1, 3, 9), 'key': f32(1, 3, 3), 'value': f32(1, 3, 2), 'decay': -np.abs(f32(1, 3, 1)), 'beta': rs.rand(1, 3, 1).astype(np.float32)},
     H(3, 1, scale=0.4), ALL)
case('gated_delta_past', {'query': f32(2, 3, 4), 'key': f32(2, 3, 4), 'value': f32(2, 3, 4), 'past_state': f32(2, 2, 2, 2), 'decay': -np.abs(f32(2, 3, 4)),
     'beta': rs.rand(2, 3, 2).astype(np.float32)}, H(2, 2), ALL)
# Edges: decay 0 (no decay) and -30 (the state wiped: exp underflows to ~0), beta exactly 0 (no write) and 1; a one-token decode step.
de = np.zeros((2, 4, 2), np.float32); de[0, 2, :] = -30; de[1, 1, 0] = -30
be = np.ones((2, 4, 2), np.float32); be[0, 1, :] = 0; be[1, 3, 1] = 0
case('edges', {'query': f32(2, 4, 4), 'key': f32(2, 4, 4), 'value': f32(2, 4, 4), 'past_state': f32(2, 2, 2, 2), 'decay': de, 'beta': be}, H(2, 2))
case('decode_t1', {'query': f32(2, 1, 8), 'key': f32(2, 1, 4), 'value': f32(2, 1, 4), 'past_state': f32(2, 2, 2, 2), 'decay': -np.abs(f32(2, 1, 2)),
     'beta': rs.rand(2, 1, 2).astype(np.float32)}, H(4, 2))
case('linear_t1_nopast', {'query': f32(1, 1, 4), 'key': f32(1, 1, 4), 'value': f32(1, 1, 4)}, H(2, 2, update_rule='linear'))
h16 = lambda *s: f32(*s).astype(np.float16)
case('fp16_gqa', {'query': h16(2, 4, 16), 'key': h16(2, 4, 8), 'value': h16(2, 4, 8), 'decay': -np.abs(h16(2, 4, 8)), 'beta': rs.rand(2, 4, 2).astype(np.float16)}, H(4, 2))
case('state16_act32', {'query': f32(1, 3, 4), 'key': f32(1, 3, 4), 'value': f32(1, 3, 4), 'past_state': h16(1, 2, 2, 2), 'decay': -np.abs(f32(1, 3, 2)),
     'beta': rs.rand(1, 3, 2).astype(np.float32)}, H(2, 2))

# Refusals: models only (their nodes are not run).
def bad(name, shapes, attrs, opset=27, dims=None):
  names = [n if n in shapes else '' for n in NAMES]
  while not names[-1]: names.pop()
  node = helper.make_node('LinearAttention', names, ['output', 'present_state'], name='n', **attrs)
  vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shapes[n]) for n in names if n]
  outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ('output', 'present_state')]
  save(f'{out}/bad_{name}', helper.make_model(helper.make_graph([node], 'g', vi, outs), opset_imports=[helper.make_opsetid('', opset)], ir_version=11))
Q = {'query': [1, 2, 4], 'key': [1, 2, 4], 'value': [1, 2, 4]}
bad('rule', Q, H(2, 2, update_rule='mamba'))
bad('gated_no_decay', Q, H(2, 2, update_rule='gated'))
bad('linear_beta', {**Q, 'beta': [1, 2, 2]}, H(2, 2, update_rule='linear'))
bad('heads', {**Q, 'query': [1, 2, 6]}, H(3, 2, update_rule='linear'))
bad('no_heads', Q, {'q_num_heads': 2, 'update_rule': 'linear'})
bad('decay_axis', {**Q, 'decay': [1, 2, 3]}, H(2, 2, update_rule='gated'))
bad('beta_axis', {**Q, 'decay': [1, 2, 2], 'beta': [1, 2, 3]}, H(2, 2))
bad('past_shape', {**Q, 'past_state': [1, 2, 2, 3]}, H(2, 2, update_rule='linear'))
bad('symbolic_t', {'query': [1, 'T', 4], 'key': [1, 'T', 4], 'value': [1, 'T', 4]}, H(2, 2, update_rule='linear'))
bad('opset26', Q, H(2, 2, update_rule='linear'), opset=26)
bad('attr', Q, H(2, 2, update_rule='linear', window=4))
`;

/** The arrays `<prefix>0.npy`, `<prefix>1.npy`, ... of `dir` (null where one is absent, up to the last). */
function arrays(dir: string, prefix: string): (HostTensor | null)[] {
  const ks = readdirSync(dir).filter((f) => new RegExp(`^${prefix}\\d+\\.npy$`).test(f)).map((f) => Number(f.slice(prefix.length, -4)));
  return Array.from({ length: ks.length ? Math.max(...ks) + 1 : 0 }, (_v, i) => (existsSync(join(dir, `${prefix}${i}.npy`)) ? readNpy(join(dir, `${prefix}${i}.npy`)) : null));
}

describe("imported LinearAttention: ONNX's reference, gradients, export", function () {
  this.timeout(600_000);
  const fx = pythonFixtures('linear-attention', ['onnx', 'onnxruntime'], SCRIPT);
  const cases = () => readdirSync(fx.dir).filter((k) => !k.startsWith('bad_')).sort();

  it('every case and output, eager and hybridized', () => {
    assert.equal(cases().length, 11);
    for (const k of cases()) {
      const inputs = arrays(join(fx.dir, k), 'in').map((t) => new nd.NDArray(t!));
      const want = arrays(join(fx.dir, k), 'out') as HostTensor[];
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(fx.dir, k, 'model.onnx'));
        if (hybrid) net.hybridize();
        const ys = net.call(...inputs) as nd.NDArray[];
        assert.equal(ys.length, 2, k);
        ys.forEach((y, i) => {
          const what = `${k} output ${i} ${hybrid ? 'hybridized' : 'eager'}`;
          assert.equal(y._host.dtype, want[i]!.dtype, what);
          assert.deepEqual(y._host.shape, want[i]!.shape, what);
          const tol = want[i]!.dtype === 'float16' ? 4e-3 : 1e-5;
          assertClose(tensorToNumbers(y._host), tensorToNumbers(want[i]!), what, tol, tol);
        });
      }
    }
  });

  it('gradients of every float input equal central differences of the float64 recurrence, eager and hybridized', () => {
    const withGrad = cases().filter((k) => existsSync(join(fx.dir, k, 'grad0.npy')));
    assert.equal(withGrad.length, 6);
    for (const k of withGrad) {
      const dir = join(fx.dir, k);
      const weights = arrays(dir, 'r').map((t) => new nd.NDArray(t!));
      const grads = arrays(dir, 'grad');
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const xs = arrays(dir, 'in').map((t) => new nd.NDArray(t!));
        xs.forEach((x) => x.attachGrad());
        autograd.record(() => {
          const ys = net.call(...xs) as nd.NDArray[];
          return ys.map((y, i) => nd.sum(nd.mul(y, weights[i]!))).reduce((a, b) => nd.add(a, b));
        }).backward();
        assert.equal(grads.length, xs.length, k);
        xs.forEach((x, i) => {
          const what = `${k}: gradient of input ${i} (${hybrid ? 'hybridized' : 'eager'})`;
          const g = tensorToNumbers(x.grad._host);
          assert.ok(g.every(Number.isFinite), `${what} is not finite`);
          assertClose(g, tensorToNumbers(grads[i]!), what, 2e-3, 2e-4);
        });
      }
    }
  });

  it('exports again: a hybridized block holding it writes a file onnx.checker passes and onnxruntime runs to the same outputs', async () => {
    const files: string[] = [];
    const runs: [string, string][] = [];
    for (const k of ['gated_delta_past', 'gated_perhead_gqa', 'fp16_gqa', 'state16_act32']) {
      const dir = join(fx.dir, k);
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      net.hybridize();
      net.call(...arrays(dir, 'in').map((t) => new nd.NDArray(t!)));
      const file = join(dir, 'exported.onnx');
      net.export(file);
      files.push(file);
      runs.push([k, file]);
    }
    assert.deepEqual(checkOnnxFiles(files), files.map(() => null));
    for (const [k, file] of runs) {
      const dir = join(fx.dir, k);
      const session = await ort.InferenceSession.create(readFileSync(file));
      try {
        const ins = arrays(dir, 'in') as HostTensor[];
        const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, new ort.Tensor(ins[i]!.dtype as 'float32', ins[i]!.data as never, ins[i]!.shape as number[])]));
        const res = await session.run(feeds);
        const want = arrays(dir, 'out') as HostTensor[];
        session.outputNames.forEach((n, i) => {
          const tol = want[i]!.dtype === 'float16' ? 4e-3 : 1e-5;
          const got = res[n]!;
          assert.deepEqual([...got.dims], want[i]!.shape, `${k} re-exported output ${i}`);
          assertClose(tensorToNumbers({ dtype: want[i]!.dtype, shape: [...got.dims], data: got.data } as HostTensor), tensorToNumbers(want[i]!), `${k} re-exported output ${i} in onnxruntime`, tol, tol);
        });
      } finally {
        await session.release();
      }
    }
  });

  it('refuses what it cannot map by name', () => {
    const why: Record<string, string> = {
      rule: "update_rule 'mamba' \\(one of linear, gated, delta, gated_delta\\)",
      gated_no_decay: "update_rule 'gated' requires the decay input",
      linear_beta: "update_rule 'linear' forbids the beta input",
      heads: 'q_num_heads 3 and kv_num_heads 2 \\(q_num_heads must be a positive multiple',
      no_heads: "attribute 'kv_num_heads' of LinearAttention-27 is required but absent",
      decay_axis: "decay's last axis of size 3 \\(kv_num_heads 2 or kv_num_heads × d_k 4\\)",
      beta_axis: "beta's last axis of size 3 \\(kv_num_heads 2 or 1\\)",
      past_shape: 'past_state of shape \\[1, 2, 2, 3\\] \\(it is \\[B, kv_num_heads, d_k, d_v\\] = \\[1, 2, 2, 2\\]\\)',
      symbolic_t: 'a sequence length of symbolic size T: the recurrence is unrolled over a length known when the file is read',
      attr: "attribute 'window' \\(opset \\d+\\) not supported",
      opset26: 'the file imports opset 26; ONNX defines LinearAttention from opset 27',
    };
    const bad = readdirSync(fx.dir).filter((k) => k.startsWith('bad_')).sort();
    assert.equal(bad.length, Object.keys(why).length);
    for (const k of bad) {
      const re = new RegExp(`^readModel: .*ONNX operator 'LinearAttention' \\(node 'n'\\)(?: has no gluonc equivalent)?: ${why[k.slice(4)]}`);
      assert.throws(() => readModel(readFileSync(join(fx.dir, k, 'model.onnx'))), (e: Error) => (assert.match(e.message, re, k), true));
    }
  });
});
