/**
 * Gradients through the imported Attention, TensorScatter, CumProd, SwiGLU and
 * CausalConvWithState (compiler/onnx/import/attention.ts, scatter.ts, modern.ts): the gradient of
 * `Σ outputs · R` (R fixed random weights) in every float input, eager and
 * hybridized, against central differences of ONNX's reference implementation
 * (onnx.reference.ReferenceEvaluator) in float64: GQA with a bool mask, a
 * fully masked row and softcap; causal with a past (the present key/value
 * outputs too); a float mask with a -inf row and a window; a circular cache
 * update; cumulative products through zeros (exclusive, reverse); SwiGLU;
 * CausalConvWithState with bias and past state, and with a kernel of size 1. Skipped,
 * with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(1)
TYPES = {np.dtype(np.float64): TensorProto.DOUBLE, np.dtype(np.int64): TensorProto.INT64, np.dtype(np.bool_): TensorProto.BOOL}
def case(name, op, opset, inputs, attrs, outs=('y',), consts=(), wrt=()):
  """Saves the model, its inputs, a weight R per output and the central differences of sum(out * R) in each input named in wrt."""
  node = helper.make_node(op, [n for n, _ in inputs] + [n for n, _ in consts], list(outs), **attrs)
  vi = [helper.make_tensor_value_info(n, TYPES[v.dtype], list(v.shape)) for n, v in inputs if n]
  inits = [numpy_helper.from_array(v, n) for n, v in consts]
  feeds = {n: v for n, v in inputs if n}
  names = [o for o in outs if o]
  probe = helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in names], inits),
                            opset_imports=[helper.make_opsetid('', opset)], ir_version=11)
  ev = ReferenceEvaluator(probe)
  ys = ev.run(None, feeds)
  m = helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info(o, TYPES[y.dtype], list(y.shape)) for o, y in zip(names, ys)], inits),
                        opset_imports=[helper.make_opsetid('', opset)], ir_version=11)
  d = f'{out}/{name}'; os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  R = [rs.randn(*y.shape) for y in ys]
  f = lambda fd: sum(float((y * r).sum()) for y, r in zip(ev.run(None, fd), R))
  for k, (n, v) in enumerate([(n, v) for n, v in inputs if n]):
    np.save(f'{d}/in{k}.npy', v)
    if n not in wrt: continue
    g = np.zeros_like(v); e = 1e-6
    for idx in np.ndindex(v.shape):
      a, b = v.copy(), v.copy(); a[idx] += e; b[idx] -= e
      g[idx] = (f({**feeds, n: a}) - f({**feeds, n: b})) / (2 * e)
    np.save(f'{d}/grad{k}.npy', g)
  for k, r in enumerate(R): np.save(f'{d}/r{k}.npy', r)
f64 = lambda *s: rs.randn(*s)
A = 'Attention'
bm = rs.rand(1, 1, 3, 4) > 0.4; bm[0, 0, 1, :] = False
case('att_gqa_bool_dead_row', A, 23, [('q', f64(1, 4, 3, 4)), ('k', f64(1, 2, 4, 4)), ('v', f64(1, 2, 4, 3)), ('m', bm)], {'softcap': 1.5}, wrt=('q', 'k', 'v'))
case('att3_causal_past', A, 23, [('q', f64(1, 2, 4)), ('k', f64(1, 2, 4)), ('v', f64(1, 2, 4)), ('', None), ('pk', f64(1, 2, 2, 2)), ('pv', f64(1, 2, 2, 2))],
     {'is_causal': 1, 'q_num_heads': 2, 'kv_num_heads': 2}, ('y', 'pk_out', 'pv_out'), wrt=('q', 'k', 'v', 'pk', 'pv'))
fm = f64(3, 5); fm[0, :] = -np.inf
case('att_floatmask_window', A, 25, [('q', f64(1, 1, 3, 2)), ('k', f64(1, 1, 5, 2)), ('v', f64(1, 1, 5, 2)), ('m', fm)], {'left_window_size': 2, 'right_window_size': 1},
     wrt=('q', 'k', 'v', 'm'))
case('ts_circular', 'TensorScatter', 24, [('c', f64(2, 4, 2)), ('u', f64(2, 3, 2)), ('w', np.array([2, 5], np.int64))], {'mode': 'circular', 'axis': 1}, wrt=('c', 'u'))
x = np.array([[1.5, 0, -2, 0.5, 3], [-1, 2, 0, 0, -0.5]])
case('cp_zeros', 'CumProd', 26, [('x', x)], {'exclusive': 1}, consts=[('axis', np.array(1, np.int64))], wrt=('x',))
case('cp_reverse', 'CumProd', 26, [('x', x)], {'reverse': 1}, consts=[('axis', np.array(-1, np.int64))], wrt=('x',))
case('swiglu', 'SwiGLU', 28, [('a', f64(2, 5)), ('b', f64(2, 5))], {'alpha': 0.7}, wrt=('a', 'b'))
# No activation: the reference computes SiLU in float32 (float64 is outside CausalConvWithState's types), too coarse for differences; SwiGLU covers x * sigmoid(x).
case('ccs_past_bias', 'CausalConvWithState', 27, [('x', f64(1, 2, 3)), ('w', f64(2, 1, 3)), ('b', f64(2)), ('p', f64(1, 2, 2))], {}, ('y', 'state'),
     wrt=('x', 'w', 'b', 'p'))
# A kernel of size 1: no state (present_state [B, C, 0]).
case('ccs_kernel_one', 'CausalConvWithState', 27, [('x', f64(2, 3, 4)), ('w', f64(3, 1, 1)), ('b', f64(3))], {}, ('y', 'state'), wrt=('x', 'w', 'b'))
`;

describe("imported Attention, TensorScatter, CumProd: gradients equal central differences of ONNX's reference", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('attention-grad', ['onnx'], SCRIPT);

  it('every case and float input, eager and hybridized', () => {
    const cases = readdirSync(fx.dir).sort();
    assert.equal(cases.length, 9);
    for (const k of cases) {
      const dir = join(fx.dir, k);
      const count = (p: string) => readdirSync(dir).filter((f) => new RegExp(`^${p}\\d+\\.npy$`).test(f)).length;
      const weights = Array.from({ length: count('r') }, (_v, i) => new nd.NDArray(readNpy(join(dir, `r${i}.npy`))));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const xs = Array.from({ length: count('in') }, (_v, i) => new nd.NDArray(readNpy(join(dir, `in${i}.npy`))));
        const wrt = xs.map((_x, i) => existsSync(join(dir, `grad${i}.npy`)));
        xs.forEach((x, i) => wrt[i] && x.attachGrad());
        autograd.record(() => {
          const got = net.call(...xs) as nd.NDArray | nd.NDArray[];
          const ys = Array.isArray(got) ? got : [got];
          return ys.map((y, i) => nd.sum(nd.mul(y, weights[i]!))).reduce((a, b) => nd.add(a, b));
        }).backward();
        xs.forEach((x, i) => {
          if (!wrt[i]) return;
          const g = tensorToNumbers(x.grad._host);
          const what = `${k}: gradient of input ${i} (${hybrid ? 'hybridized' : 'eager'})`;
          assert.ok(g.every(Number.isFinite), `${what} is not finite`);
          assertClose(g, tensorToNumbers(readNpy(join(dir, `grad${i}.npy`))), what, 1e-5, 1e-6);
        });
      }
    }
  });
});
