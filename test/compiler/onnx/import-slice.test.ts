/**
 * A Slice whose starts, ends, axes or steps are computed at run time
 * (compiler/onnx/import/shape.ts, `runtimeSlice`): models made with
 * onnx.helper by python3 whose bounds are graph inputs, run eagerly and
 * hybridized (x's dimensions fixed or symbolic) over a table of bounds (steps of 2, -1, -2, -3, 4, sentinel
 * bounds INT64_MIN/MAX, starts and ends past the axis, negative axes, axes
 * out of order, an empty result, a negative step from a start before the
 * axis, where ONNX's clamping keeps element 0 and numpy's keeps none).
 * References: onnxruntime's outputs; numpy's x[a:b:c] where numpy agrees;
 * the gradient of Σ y ⊙ r is r put at the positions onnxruntime's Slice
 * reads from an array of position numbers (numpy's np.add.at). A step of 0
 * is refused when known and an Error when it runs. Skipped, with a message,
 * without python3's onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, json, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
out = sys.argv[1]
vi = h.make_tensor_value_info
L = np.iinfo(np.int64)
def save(name, nodes, ins, inits=[], xshape=[4, 5]):
    g = h.make_graph(nodes, 'g', [vi('x', TP.FLOAT, xshape)] + [vi(n, TP.INT64, [2]) for n in ins], [vi('y', TP.FLOAT, None)], inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)], ir_version=8)
    onnx.save(m, f'{out}/{name}.onnx')
    return ort.InferenceSession(m.SerializeToString())
x = (np.sin(np.arange(20) * 1.3 + 1) * 3).astype(np.float32).reshape(4, 5)
pos = np.arange(20, dtype=np.float32).reshape(4, 5)
np.save(f'{out}/x.npy', x)
rs = np.random.RandomState(0)
# name: (starts, ends, axes, steps, numpy's slices or None where numpy differs)
cases = {
    'step2_rev': ([0, 4], [4, 0], [0, 1], [2, -1], np.s_[0:4:2, 4:0:-1]),
    'sentinels': ([-1, L.max], [L.min, L.min], [0, -1], [-1, -2], np.s_[::-1, ::-2]),
    'past_axes_swapped': ([1, -100], [100, 3], [1, 0], [3, 1], np.s_[-100:3, 1:100:3]),
    'empty': ([3, 2], [1, 2], [-2, 1], [-1, 1], np.s_[3:1:-1, 2:2]),
    'clamped_neg': ([10, 0], [-10, 5], [0, 1], [-3, 4], np.s_[10:-10:-3, 0:5:4]),
    'before_axis_neg': ([-100, 0], [L.min, 5], [0, 1], [-1, 1], None),
}
s = save('slice', [h.make_node('Slice', ['x', 's', 'e', 'a', 'k'], ['y'], name='sl')], 'seak')
# The same with x's dimensions symbolic (the axis sizes read when it runs).
save('slice_dyn', [h.make_node('Slice', ['x', 's', 'e', 'a', 'k'], ['y'], name='sl')], 'seak', [], ['N', 'C'])
# Known axes [1, 0] (an initializer), run-time starts, ends and steps.
s2 = save('slice_axes', [h.make_node('Slice', ['x', 's', 'e', 'ax', 'k'], ['y'], name='sl')], 'sek', [nh.from_array(np.array([1, 0], np.int64), 'ax')])
for name, (st, en, ax, stp, npsl) in cases.items():
    feeds = dict(s=np.array(st, np.int64), e=np.array(en, np.int64), a=np.array(ax, np.int64), k=np.array(stp, np.int64))
    for k, v in feeds.items(): np.save(f'{out}/{name}_{k}.npy', v)
    y = s.run(None, dict(x=x, **feeds))[0]
    np.save(f'{out}/{name}_y.npy', y)
    if npsl is not None: assert np.array_equal(y, x[npsl]), name
    if npsl is not None: np.save(f'{out}/{name}_ynp.npy', x[npsl])
    # The same slice with the axes known: bounds reordered to axes [1, 0].
    order = [ax.index(1) if 1 in ax else ax.index(-1), ax.index(0) if 0 in ax else ax.index(-2)]
    y2 = s2.run(None, dict(x=x, s=feeds['s'][order], e=feeds['e'][order], k=feeds['k'][order]))[0]
    assert np.array_equal(y, y2), name
    for k in 'sek': np.save(f'{out}/{name}_{k}2.npy', feeds[k][order])
    r = rs.randn(*y.shape).astype(np.float32)
    np.save(f'{out}/{name}_r.npy', r)
    at = s.run(None, dict(x=pos, **feeds))[0].astype(np.int64)
    dx = np.zeros(20, np.float64)
    np.add.at(dx, at.ravel(), r.ravel())
    np.save(f'{out}/{name}_dx.npy', dx.reshape(4, 5).astype(np.float32))
`;

const CASES = ['step2_rev', 'sentinels', 'past_axes_swapped', 'empty', 'clamped_neg', 'before_axis_neg'];

describe('imported Slice with starts, ends, axes or steps computed at run time, against onnxruntime and numpy', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('slice', ['onnx', 'onnxruntime'], SCRIPT);
  const npy = (f: string): HostTensor => readNpy(join(fx.dir, `${f}.npy`));
  const arr = (f: string) => new nd.NDArray(npy(f));

  /** y and dx of `model` (eager and hybridized) for each case, the bounds files `keys` (suffix `suffix`). */
  function check(model: string, keys: string[], suffix: string): void {
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(fx.dir, `${model}.onnx`));
      if (hybrid) net.hybridize();
      for (const name of CASES) {
        const how = `${model} ${name} (${hybrid ? 'hybridized' : 'eager'})`;
        const x = arr('x');
        x.attachGrad();
        let y: nd.NDArray | undefined;
        autograd.record(() => {
          y = net.call(x, ...keys.map((k) => arr(`${name}_${k}${suffix}`))) as nd.NDArray;
          return nd.sum(nd.mul(y, arr(`${name}_r`)));
        }).backward();
        const want = npy(`${name}_y`);
        assert.deepEqual(y!.shape, want.shape, `${how} shape`);
        assertClose(tensorToNumbers(y!._host), tensorToNumbers(want), `${how} y as onnxruntime`);
        if (name !== 'before_axis_neg') assertClose(tensorToNumbers(y!._host), tensorToNumbers(npy(`${name}_ynp`)), `${how} y as numpy`);
        assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(npy(`${name}_dx`)), `${how} dx`);
      }
    }
  }

  it('axes and steps computed at run time: negative steps, sentinels, clamping, an empty result; gradients', () => check('slice', ['s', 'e', 'a', 'k'], ''));
  it('known axes, steps computed at run time: the same slices', () => check('slice_axes', ['s', 'e', 'k'], '2'));
  it("x's dimensions symbolic: the same slices", () => check('slice_dyn', ['s', 'e', 'a', 'k'], ''));

  it('ONNX clamps a negative step\'s start into [0, n - 1]: x[-100::-1] keeps row 0 (numpy: none)', () => {
    const y = gluon.SymbolBlock.imports(join(fx.dir, 'slice.onnx')).call(arr('x'), ...['s', 'e', 'a', 'k'].map((k) => arr(`before_axis_neg_${k}`))) as nd.NDArray;
    assert.deepEqual(y.shape, [1, 5]);
  });

  it('a step of 0 is refused when known and an Error when it runs', () => {
    const src = onnx.ModelProto.decode(readFileSync(join(fx.dir, 'slice_axes.onnx')));
    src.graph!.input = src.graph!.input!.filter((v) => v.name !== 'k');
    src.graph!.initializer!.push({ name: 'k', dataType: onnx.TensorProto.DataType.INT64, dims: [2], int64Data: [1, 0] });
    assert.throws(() => readModel(onnx.ModelProto.encode(src).finish()), /'Slice' \(node 'sl'\) has no gluonc equivalent: step 0 in steps \[1, 0\]/);
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'slice.onnx'));
      if (hybrid) net.hybridize();
      const zero = new nd.NDArray({ dtype: 'int64', shape: [2], data: BigInt64Array.from([1n, 0n]) } as HostTensor);
      assert.throws(() => (net.call(arr('x'), arr('step2_rev_s'), arr('step2_rev_e'), arr('step2_rev_a'), zero) as nd.NDArray).shape, Error);
    }
  });
});
