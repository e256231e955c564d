/**
 * ai.onnx.preview's FlexAttention imported (compiler/onnx/import/attention.ts, its modifier
 * subgraphs inlined through ImportCtx.applyGraph / read-control.ts inlineGraph): every output
 * against ONNX's reference implementation (onnx.reference.ReferenceEvaluator), eager and
 * hybridized — different K/V lengths and head sizes, GQA with a scale, score_mod (causal mask
 * built from the scores' shape, relative positions, soft cap, a constant mask that leaves a
 * query row no key: NaN there, as the reference gives), prob_mod, ties (equal scores, zero
 * queries), float64, float16 (softmax in float32 by default, or float16) and float32 with a
 * float64 softmax. Gradients in Q, K and V (float64) against central differences of the
 * reference. A hybridized block holding it exports a file onnx.checker passes and
 * onnxruntime runs to the same outputs. Refusals by name, a modifier's own refusal included.
 * Skipped, with a message, without python3's onnx.
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
import sys, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.float64): TensorProto.DOUBLE}
OPSETS = [helper.make_opsetid('', 26), helper.make_opsetid('ai.onnx.preview', 1)]
I = lambda n, v: numpy_helper.from_array(np.array(v), n)

def mod(name, nodes, inits=(), elem=TensorProto.FLOAT, ins=('s',), out='y'):
  """A modifier subgraph (s) -> y over [B, H, L, S] scores of element type elem."""
  return helper.make_graph(nodes, name, [helper.make_tensor_value_info(i, elem, ['B', 'H', 'L', 'S']) for i in ins],
                           [helper.make_tensor_value_info(out, elem, ['B', 'H', 'L', 'S'])], list(inits))

def positions(elem):
  """Nodes giving qi [L, 1] and kj [1, S] (int64) from the scores' shape, as ONNX's own test cases build them."""
  return [helper.make_node('Shape', ['s'], ['sh']), helper.make_node('Gather', ['sh', 'i2'], ['L'], axis=0), helper.make_node('Gather', ['sh', 'i3'], ['S'], axis=0),
          helper.make_node('Range', ['zero', 'L', 'one'], ['lr']), helper.make_node('Range', ['zero', 'S', 'one'], ['sr']),
          helper.make_node('Reshape', ['lr', 'qs'], ['qi']), helper.make_node('Reshape', ['sr', 'ks'], ['kj'])], \
         [I('i2', np.int64(2)), I('i3', np.int64(3)), I('zero', np.int64(0)), I('one', np.int64(1)), I('qs', np.array([-1, 1], np.int64)), I('ks', np.array([1, -1], np.int64))]

def causal(elem, np_t, keep=None):
  nodes, inits = positions(elem)
  nodes += [helper.make_node('GreaterOrEqual', ['qi', 'kj'], ['m'])]
  if keep is not None:
    nodes += [helper.make_node('And', ['m', 'keep'], ['m2'])]; inits += [I('keep', keep)]
  nodes += [helper.make_node('Where', ['m2' if keep is not None else 'm', 's', 'ninf'], ['y'])]
  return mod('causal', nodes, inits + [I('ninf', np_t(-np.inf))], elem)

def relpos(elem, np_t):
  nodes, inits = positions(elem)
  nodes += [helper.make_node('Sub', ['qi', 'kj'], ['d']), helper.make_node('Cast', ['d'], ['df'], to=elem), helper.make_node('Add', ['s', 'df'], ['y'])]
  return mod('relpos', nodes, inits, elem)

def softcap(elem, np_t, cap):
  return mod('softcap', [helper.make_node('Div', ['s', 'c'], ['a']), helper.make_node('Tanh', ['a'], ['b']), helper.make_node('Mul', ['b', 'c'], ['y'])], [I('c', np_t(cap))], elem)

def affine(elem, np_t, a, b):
  return mod('affine', [helper.make_node('Mul', ['s', 'a'], ['t']), helper.make_node('Add', ['t', 'b'], ['y'])], [I('a', np_t(a)), I('b', np_t(b))], elem)

def model(q, k, v, attrs, name='n', op='FlexAttention'):
  node = helper.make_node(op, ['Q', 'K', 'V'], ['Y'], domain='ai.onnx.preview', name=name, **attrs)
  vi = [helper.make_tensor_value_info(n, TYPES[x.dtype], list(x.shape)) for n, x in (('Q', q), ('K', k), ('V', v))]
  return helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info('Y', TYPES[v.dtype], None)]), opset_imports=OPSETS, ir_version=11)

def case(name, q, k, v, attrs, grad=False):
  m = model(q, k, v, attrs)
  ev = ReferenceEvaluator(m)
  feeds = {'Q': q, 'K': k, 'V': v}
  y, = ev.run(None, feeds)
  m.graph.output[0].CopyFrom(helper.make_tensor_value_info('Y', TYPES[y.dtype], list(y.shape)))
  d = f'{out}/{name}'; os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  for i, x in enumerate((q, k, v)): np.save(f'{d}/in{i}.npy', x)
  np.save(f'{d}/out0.npy', y)
  if not grad: return
  R = rs.randn(*y.shape)
  f = lambda fd: float((ev.run(None, fd)[0] * R).sum())
  np.save(f'{d}/r0.npy', R)
  for i, n in enumerate('QKV'):
    x = feeds[n]; g = np.zeros_like(x); e = 1e-6
    for idx in np.ndindex(x.shape):
      a, b = x.copy(), x.copy(); a[idx] += e; b[idx] -= e
      g[idx] = (f({**feeds, n: a}) - f({**feeds, n: b})) / (2 * e)
    np.save(f'{d}/grad{i}.npy', g)

F, D, H16 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16
f32 = lambda *s: rs.randn(*s).astype(np.float32)
f64 = lambda *s: rs.randn(*s)
case('plain', f32(2, 2, 3, 4), f32(2, 2, 5, 4), f32(2, 2, 5, 3), {})
case('gqa_scale', f32(1, 4, 3, 4), f32(1, 2, 4, 4), f32(1, 2, 4, 2), {'scale': 0.2})
# A causal mask and a constant one that leaves query row 0 of every head no key: NaN there, as the reference's softmax gives.
keep = np.ones((1, 1, 4, 4), bool); keep[0, 0, 0, :] = False
case('causal_dead_row', f32(1, 2, 4, 3), f32(1, 2, 4, 3), f32(1, 2, 4, 3), {'score_mod': causal(F, np.float32, keep)})
# Ties: zero queries (every score equal), duplicated keys; prob_mod.
tq = f32(1, 2, 3, 4); tq[0, 0, 1] = 0; tq[0, 1, :] = 0
tk = f32(1, 2, 4, 4); tk[0, :, 2] = tk[0, :, 0]
case('ties_prob_mod', tq, tk, f32(1, 2, 4, 3), {'prob_mod': affine(F, np.float32, 0.5, 0.125)})
case('softcap_prob_mod_f64', f64(1, 2, 3, 4) * 3, f64(1, 2, 4, 4) * 3, f64(1, 2, 4, 2), {'score_mod': softcap(D, np.float64, 2.0), 'prob_mod': affine(D, np.float64, 2.0, -0.1)}, grad=True)
case('gqa_causal_f64', f64(2, 4, 3, 2), f64(2, 2, 3, 2), f64(2, 2, 3, 3), {'score_mod': causal(D, np.float64), 'scale': 0.7}, grad=True)
case('relpos_f64', f64(1, 1, 4, 3), f64(1, 1, 5, 3), f64(1, 1, 5, 2), {'score_mod': relpos(D, np.float64)}, grad=True)
h = lambda *s: f32(*s).astype(np.float16)
case('fp16', h(2, 2, 4, 8), h(2, 2, 6, 8), h(2, 2, 6, 4), {'score_mod': causal(F, np.float32)})
case('fp16_precision16', h(1, 2, 3, 4), h(1, 2, 5, 4), h(1, 2, 5, 4), {'softmax_precision': 10, 'score_mod': softcap(H16, np.float16, 3.0)})
case('f32_precision64', f32(1, 2, 3, 4), f32(1, 2, 5, 4), f32(1, 2, 5, 4), {'softmax_precision': 11, 'score_mod': relpos(D, np.float64)})

def bad(name, qs, ks, vs, attrs, op='FlexAttention'):
  z = lambda s: np.zeros(s, np.float32)
  d = f'{out}/bad_{name}'; os.makedirs(d)
  onnx.save(model(z(qs), z(ks), z(vs), attrs, op=op), f'{d}/model.onnx')
S4 = ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4))
bad('rank3', (1, 3, 4), (1, 5, 4), (1, 5, 4), {})
bad('heads', (1, 3, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), {})
bad('mod_shape', *S4, {'score_mod': mod('rmax', [helper.make_node('ReduceMax', ['s'], ['y'], keepdims=1)])})
bad('mod_inputs', *S4, {'score_mod': mod('two', [helper.make_node('Add', ['s', 't'], ['y'])], ins=('s', 't'))})
bad('mod_unmapped', *S4, {'prob_mod': mod('bits', [helper.make_node('ImageDecoder', ['s'], ['y'])])})
bad('mod_dtype', *S4, {'score_mod': softcap(H16, np.float16, 3.0)})
bad('precision_bf16', *S4, {'softmax_precision': 16})
bad('other_op', *S4, {}, op='FlexDecoding')
bad('mask_mod', *S4, {'mask_mod': causal(F, np.float32)})
`;

/** The arrays `<prefix>0.npy`, `<prefix>1.npy`, ... of `dir`. */
function arrays(dir: string, prefix: string): HostTensor[] {
  const out: HostTensor[] = [];
  for (let i = 0; existsSync(join(dir, `${prefix}${i}.npy`)); i++) out.push(readNpy(join(dir, `${prefix}${i}.npy`)));
  return out;
}

/** Tolerance by dtype (float16 outputs: a unit in the last place). */
const tolOf = (dtype: string) => (dtype === 'float16' ? 4e-3 : dtype === 'float64' ? 1e-9 : 1e-5);

describe("imported FlexAttention: ONNX's reference, gradients, export", function () {
  this.timeout(600_000);
  const fx = pythonFixtures('flex-attention', ['onnx', 'onnxruntime'], SCRIPT);
  const cases = () => readdirSync(fx.dir).filter((k) => !k.startsWith('bad_')).sort();

  it('every case, eager and hybridized (NaN exactly where a row has no key)', () => {
    assert.equal(cases().length, 10);
    for (const k of cases()) {
      const inputs = arrays(join(fx.dir, k), 'in').map((t) => new nd.NDArray(t));
      const [want] = arrays(join(fx.dir, k), 'out') as [HostTensor];
      const w = tensorToNumbers(want);
      assert.equal(w.some(Number.isNaN), k === 'causal_dead_row', `${k}: the reference's NaN rows`);
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(fx.dir, k, 'model.onnx'));
        if (hybrid) net.hybridize();
        const y = net.call(...inputs) as nd.NDArray;
        const what = `${k} ${hybrid ? 'hybridized' : 'eager'}`;
        assert.equal(y._host.dtype, want.dtype, what);
        assert.deepEqual(y._host.shape, want.shape, what);
        const got = tensorToNumbers(y._host);
        assert.deepEqual(got.map(Number.isNaN), w.map(Number.isNaN), `${what}: NaN where the reference has NaN, nowhere else`);
        assertClose(got, w, what, tolOf(want.dtype), tolOf(want.dtype));
      }
    }
  });

  it('gradients of Q, K and V equal central differences of the reference (float64), eager and hybridized', () => {
    const withGrad = cases().filter((k) => existsSync(join(fx.dir, k, 'grad0.npy')));
    assert.equal(withGrad.length, 3);
    for (const k of withGrad) {
      const dir = join(fx.dir, k);
      const [r] = arrays(dir, 'r').map((t) => new nd.NDArray(t));
      const grads = arrays(dir, 'grad');
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const xs = arrays(dir, 'in').map((t) => new nd.NDArray(t));
        xs.forEach((x) => x.attachGrad());
        autograd.record(() => nd.sum(nd.mul(net.call(...xs) as nd.NDArray, r!))).backward();
        xs.forEach((x, i) => {
          const what = `${k}: gradient of ${'QKV'[i]} (${hybrid ? 'hybridized' : 'eager'})`;
          const g = tensorToNumbers(x.grad._host);
          assert.ok(g.every(Number.isFinite), `${what} is not finite`);
          assertClose(g, tensorToNumbers(grads[i]!), what, 1e-5, 1e-6);
        });
      }
    }
  });

  it('exports again: a hybridized block holding it writes a file onnx.checker passes and onnxruntime runs to the same output', async () => {
    const names = ['gqa_scale', 'causal_dead_row', 'fp16', 'relpos_f64'];
    const files = names.map((k) => {
      const dir = join(fx.dir, k);
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      net.hybridize();
      net.call(...arrays(dir, 'in').map((t) => new nd.NDArray(t)));
      net.export(join(dir, 'exported.onnx'));
      return join(dir, 'exported.onnx');
    });
    assert.deepEqual(checkOnnxFiles(files), files.map(() => null));
    for (const [j, k] of names.entries()) {
      const dir = join(fx.dir, k);
      const session = await ort.InferenceSession.create(readFileSync(files[j]!));
      try {
        const ins = arrays(dir, 'in');
        const res = await session.run(Object.fromEntries(session.inputNames.map((n, i) => [n, new ort.Tensor(ins[i]!.dtype as 'float32', ins[i]!.data as never, ins[i]!.shape as number[])])));
        const [want] = arrays(dir, 'out') as [HostTensor];
        const got = res[session.outputNames[0]!]!;
        assert.deepEqual([...got.dims], want.shape, k);
        assertClose(tensorToNumbers({ dtype: want.dtype, shape: want.shape, data: got.data } as HostTensor), tensorToNumbers(want), `${k} re-exported, in onnxruntime`, tolOf(want.dtype), tolOf(want.dtype));
      } finally {
        await session.release();
      }
    }
  });

  it('refuses what it cannot map by name', () => {
    const op = "ONNX operator 'FlexAttention' \\(node 'n'\\) has no gluonc equivalent: ";
    const why: Record<string, string> = {
      rank3: `${op}Q, K, V of ranks 3, 3, 3 \\(all 4-D`,
      heads: `${op}3 query heads and 2 key/value heads`,
      mod_shape: `${op}its score_mod gives float32\\[1, 1, 1, 1\\] for float32\\[1, 2, 3, 5\\]`,
      mod_inputs: `${op}its score_mod takes 2 input\\(s\\) for 1`,
      mod_unmapped: `${op}its prob_mod does not import: ONNX operator 'ImageDecoder' \\(node 'n/prob_mod/#0'\\) has no gluonc equivalent`,
      mod_dtype: `${op}its score_mod declares input 's' as float16, but it gets float32\\[1, 2, 3, 5\\]`,
      precision_bf16: `${op}softmax_precision: bfloat16`,
      mask_mod: `${op}attribute 'mask_mod' \\(opset \\d+\\) not supported`,
      other_op: "ONNX operator 'ai.onnx.preview.FlexDecoding' \\(node 'n'\\) has no gluonc equivalent: only FlexAttention of its domain are mapped",
    };
    const bad = readdirSync(fx.dir).filter((k) => k.startsWith('bad_')).sort();
    assert.equal(bad.length, Object.keys(why).length);
    for (const k of bad) {
      const re = new RegExp(`^readModel: model bytes: ${why[k.slice(4)]}`);
      assert.throws(() => readModel(readFileSync(join(fx.dir, k, 'model.onnx'))), (e: Error) => (assert.match(e.message, re, k), true));
    }
  });
});
