/**
 * ONNX's `ai.onnx.preview.training` optimizers imported (Adagrad, Adam,
 * Momentum in its standard and Nesterov modes, one tensor and several; and
 * Gradient, against the derivative by hand) against
 * a float64 numpy implementation of the update formulas of ONNX's operator
 * spec (onnx/defs/training/defs.cc), written out below: at T = 0 (no bias
 * correction, beta taken as 1 in Momentum) and T > 0, with the spec's
 * defaults where an attribute is left out; eager and hybridized. Skipped,
 * with a message, without python3's numpy and onnx.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gluon, nd } from 'gluonc';
import { onnx, readModel, valueInfo } from '../../../compiler/onnx/index.js';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { foreignModel } from './foreign-model.js';

const SCRIPT = String.raw`
import sys, os, json, numpy as np, onnx
from onnx import helper, TensorProto
out = sys.argv[1]
rs = np.random.RandomState(0)
D = 'ai.onnx.preview.training'

def adagrad(r, t, x, g, h, norm_coefficient=0.0, epsilon=1e-6, decay_factor=0.0):
    r = r / (1 + t * decay_factor)
    gr = norm_coefficient * x + g
    h_new = h + gr * gr
    return [x - r * gr / (np.sqrt(h_new) + epsilon), h_new]

def adam(r, t, x, g, v, h, alpha=0.9, beta=0.999, epsilon=1e-6, norm_coefficient=0.0, norm_coefficient_post=0.0):
    gr = norm_coefficient * x + g
    v_new = alpha * v + (1 - alpha) * gr
    h_new = beta * h + (1 - beta) * gr * gr
    ra = r * np.sqrt(1 - beta ** t) / (1 - alpha ** t) if t > 0 else r
    return [(1 - norm_coefficient_post) * (x - ra * (v_new / (np.sqrt(h_new) + epsilon))), v_new, h_new]

def momentum(r, t, x, g, v, alpha, beta, norm_coefficient, mode):
    gr = norm_coefficient * x + g
    b = beta if t > 0 else 1.0
    v_new = alpha * v + b * gr
    x_new = x - r * (gr + alpha * v_new) if mode == 'nesterov' else x - r * v_new
    return [x_new, v_new]

f32 = lambda v: float(np.float32(v))
cases = [
  ('adagrad', 'Adagrad', adagrad, 'XGH', dict(decay_factor=0.1, epsilon=1e-5, norm_coefficient=0.001)),
  ('adagrad_defaults', 'Adagrad', adagrad, 'XGH', dict()),
  ('adam', 'Adam', adam, 'XGVH', dict(alpha=0.95, beta=0.1, epsilon=1e-7, norm_coefficient=0.001, norm_coefficient_post=0.01)),
  ('adam_defaults', 'Adam', adam, 'XGVH', dict()),
  ('momentum', 'Momentum', momentum, 'XGV', dict(alpha=0.95, beta=0.1, norm_coefficient=0.001, mode='standard')),
  ('nesterov', 'Momentum', momentum, 'XGV', dict(alpha=0.95, beta=0.9, norm_coefficient=0.01, mode='nesterov')),
]
for name, op, f, letters, attrs in cases:
  k = len(letters)
  for n in (1, 2):
    for t in (0, 3):
      tag = f'{name}_n{n}_t{t}'
      os.makedirs(f'{out}/{tag}')
      shapes = [[2, 3], [4]][:n]
      # the state tensors (H, V) are squares of gradients or averages of them: positive where a square root is taken
      groups = [[rs.randn(*s).astype(np.float32) if j < 2 else np.abs(rs.randn(*s)).astype(np.float32) for s in shapes] for j in range(k)]
      r = np.float32(0.1)
      feeds = [r, np.int64(t)] + [a for grp in groups for a in grp]
      for i, a in enumerate(feeds): np.save(f'{out}/{tag}/in_{i}.npy', np.asarray(a))
      a64 = {kk: (f32(v) if isinstance(v, float) else v) for kk, v in attrs.items()}
      outs = [f(float(r), t, *[grp[i].astype(np.float64) for grp in groups], **a64) for i in range(n)]
      for j in range(k - 1):
        for i in range(n): np.save(f'{out}/{tag}/out_{j * n + i}.npy', outs[i][j])
      names = ['R', 'T'] + [f'{c}{i}' for c in letters for i in range(n)]
      ins = [helper.make_tensor_value_info('R', TensorProto.FLOAT, []), helper.make_tensor_value_info('T', TensorProto.INT64, [])]
      ins += [helper.make_tensor_value_info(nm, TensorProto.FLOAT, list(a.shape)) for nm, a in zip(names[2:], feeds[2:])]
      onames = [f'o{j}_{i}' for j in range(k - 1) for i in range(n)]
      outs_vi = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in onames]
      node = helper.make_node(op, names, onames, domain=D, **attrs)
      m = helper.make_model(helper.make_graph([node], 'g', ins, outs_vi), opset_imports=[helper.make_opsetid(D, 1)], ir_version=7)
      onnx.save(m, f'{out}/{tag}/model.onnx')
`;

describe('imported ai.onnx.preview.training optimizers: Adagrad, Adam, Momentum against the spec\'s formulas', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('training', ['numpy', 'onnx'], SCRIPT);

  it('every case, one tensor and two, T = 0 and T > 0, eager and hybridized', () => {
    const tags = readdirSync(fx.dir).sort();
    assert.equal(tags.length, 24);
    for (const tag of tags) {
      const dir = join(fx.dir, tag);
      const files = readdirSync(dir);
      const count = (p: string) => files.filter((f) => f.startsWith(p)).length;
      const ins = Array.from({ length: count('in_') }, (_, i) => new nd.NDArray(readNpy(join(dir, `in_${i}.npy`))));
      const want = Array.from({ length: count('out_') }, (_, i) => tensorToNumbers(readNpy(join(dir, `out_${i}.npy`))));
      for (const hybrid of [false, true]) {
        const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const got = net.call(...ins);
        const list = (Array.isArray(got) ? got : [got]) as nd.NDArray[];
        assert.equal(list.length, want.length, `${tag}: outputs`);
        list.forEach((o, i) => assertClose(o.data() as Float32Array, want[i]!, `${tag} ${hybrid ? 'hybridized' : 'eager'} output ${i}`, 1e-5, 1e-6));
      }
    }
  });

  it('Gradient: d(y)/d(xs) of the graph read so far, against the derivative by hand, eager and hybridized', () => {
    // d = (a + b) * a * sin(b): dd/da = (2a + b) sin(b), dd/db = a sin(b) + (a + b) a cos(b).
    const D = 'ai.onnx.preview.training';
    const bytes = onnx.ModelProto.encode({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 12 }, { domain: D, version: 1 }],
      graph: {
        name: 'g',
        node: [
          { opType: 'Add', input: ['a', 'b'], output: ['c'] },
          { opType: 'Mul', input: ['c', 'a'], output: ['e'] },
          { opType: 'Sin', input: ['b'], output: ['s'] },
          { opType: 'Mul', input: ['e', 's'], output: ['d'] },
          { opType: 'Gradient', domain: D, input: ['a', 'b'], output: ['da', 'db'], attribute: [{ name: 'xs', type: 8, strings: ['a', 'b'].map((x) => new TextEncoder().encode(x)) }, { name: 'y', type: 3, s: new TextEncoder().encode('d') }] },
        ],
        input: ['a', 'b'].map((n) => valueInfo(n, { dtype: 'float64', shape: [3] })),
        output: ['d', 'da', 'db'].map((n) => valueInfo(n, { dtype: 'float64', shape: [3] })),
      },
    }).finish();
    const [a, b] = [[0.5, -1.25, 2], [0.3, 1.7, -0.9]];
    const want = [a.map((x, i) => (x + b[i]!) * x * Math.sin(b[i]!)), a.map((x, i) => (2 * x + b[i]!) * Math.sin(b[i]!)), a.map((x, i) => x * Math.sin(b[i]!) + (x + b[i]!) * x * Math.cos(b[i]!))];
    for (const hybrid of [false, true]) {
      const net = new SymbolBlock(readModel(bytes).graph, null, 'gradient');
      if (hybrid) net.hybridize();
      const outs = net.call(nd.array(a, { dtype: 'float64' }), nd.array(b, { dtype: 'float64' })) as nd.NDArray[];
      outs.forEach((o, k) => assertClose(o.data() as Float64Array, want[k]!, `${hybrid ? 'hybridized' : 'eager'} output ${k}`, 1e-12, 1e-12));
    }
  });

  it('refuses an unknown mode, a wrong input count and other operators of the domain, by name', () => {
    const D = 'ai.onnx.preview.training';
    const model = (node: object, nIn: number) => {
      const bytes = foreignModel([node], Array.from({ length: nIn }, (_, i) => [`i${i}`, [2]] as [string, number[]]), [['y', { dtype: 'float32' }]]);
      return bytes;
    };
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => `i${i}`);
    assert.throws(() => readModel(model({ opType: 'Momentum', domain: D, input: inputs(5), output: ['y', 'v'], attribute: [{ name: 'mode', type: 3, s: new TextEncoder().encode('heavy'), }, { name: 'alpha', type: 1, f: 0.9 }, { name: 'beta', type: 1, f: 1 }, { name: 'norm_coefficient', type: 1, f: 0 }] }, 5)), /ONNX operator 'Momentum' \(node '#0'\) has no gluonc equivalent: mode 'heavy'/);
    assert.throws(() => readModel(model({ opType: 'Adagrad', domain: D, input: inputs(6), output: ['y', 'h'] }, 6)), /ONNX operator 'Adagrad' .*6 inputs: R, T and 3 groups of tensors, each of the same count/);
    assert.throws(() => readModel(model({ opType: 'Sgd', domain: D, input: inputs(1), output: ['y'] }, 1)), /ONNX operator 'ai\.onnx\.preview\.training\.Sgd' \(node '#0'\) has no gluonc equivalent: only Adagrad, Adam, Momentum, Gradient of its domain are mapped/);
    assert.throws(() => readModel(model({ opType: 'Gradient', domain: D, input: inputs(1), output: ['y'], attribute: [{ name: 'xs', type: 8, strings: [new TextEncoder().encode('i0')] }, { name: 'y', type: 3, s: new TextEncoder().encode('nowhere') }] }, 1)), /'nowhere'/);
    assert.throws(() => readModel(model({ opType: 'Relu', domain: 'com.example', input: inputs(1), output: ['y'] }, 1)), /ONNX operator 'com\.example\.Relu' \(node '#0'\) has no gluonc equivalent: operators of other domains are not mapped/);
  });
});
