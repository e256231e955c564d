/**
 * ONNX files with sequence and optional graph inputs and outputs
 * (compiler/onnx/read-boundary.ts, compiler/gluon/symbol-io.ts): a model
 * written with python's onnx (ConcatFromSequence of a sequence input into a
 * MatMul with a trained weight, an optional bias added when given, a
 * SequenceMap over the items with a tensor input, SequenceLength) gives
 * onnxruntime's outputs (python onnxruntime takes lists and None for them)
 * eagerly and hybridized, for sequences of 2 and 3 items with the bias given
 * and left out; a new length compiles again; gradients through the items and
 * the weight match central finite differences of a float64 copy; misuse fails
 * by name; export writes the items as inputs `<name>_<k>`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd, profiler } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { onnx } from '../../../compiler/onnx/proto.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { loadModel } from '../../../runtime/index.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonJson } from '../../helpers/python-json.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

/** Writes the model (float32 and float64 copies) and runs onnxruntime on each call; prints the outputs as nested lists. */
const SCRIPT = String.raw`
import json, sys
import numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as T
d = json.load(sys.stdin)
def build(elem, npt):
    seq_t = h.make_sequence_type_proto(h.make_tensor_type_proto(elem, None))
    opt_t = h.make_optional_type_proto(h.make_tensor_type_proto(elem, [4]))
    body = h.make_graph([h.make_node('Mul', ['it', 'two'], ['m']), h.make_node('Add', ['m', 't'], ['o'])], 'body',
        [h.make_tensor_value_info('it', elem, ['r', 3]), h.make_tensor_value_info('t', elem, [3])], [h.make_tensor_value_info('o', elem, ['r', 3])],
        initializer=[h.make_tensor('two', elem, [], [2.0])])
    then_b = h.make_graph([h.make_node('OptionalGetElement', ['bias'], ['b']), h.make_node('Add', ['y0', 'b'], ['yb'])], 'then', [], [h.make_tensor_value_info('yb', elem, ['n', 4])])
    else_b = h.make_graph([h.make_node('Identity', ['y0'], ['yi'])], 'else', [], [h.make_tensor_value_info('yi', elem, ['n', 4])])
    nodes = [h.make_node('ConcatFromSequence', ['xs'], ['cat'], axis=0), h.make_node('MatMul', ['cat', 'w'], ['y0']),
        h.make_node('OptionalHasElement', ['bias'], ['has']), h.make_node('If', ['has'], ['y'], then_branch=then_b, else_branch=else_b),
        h.make_node('SequenceMap', ['xs', 't'], ['ys'], body=body), h.make_node('SequenceLength', ['xs'], ['n'])]
    w = (np.arange(12).reshape(3, 4) / 10 - 0.5).astype(npt)
    g = h.make_graph(nodes, 'g', [h.make_value_info('xs', seq_t), h.make_tensor_value_info('t', elem, [3]), h.make_value_info('bias', opt_t)],
        [h.make_tensor_value_info('y', elem, ['n', 4]), h.make_value_info('ys', seq_t), h.make_tensor_value_info('n', T.INT64, [])],
        initializer=[h.make_tensor('w', elem, [3, 4], w.flatten().tolist())])
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 18)], ir_version=9)
    onnx.checker.check_model(m)
    return m
out = {}
for name, elem, npt in [('f32', T.FLOAT, np.float32), ('f64', T.DOUBLE, np.float64)]:
    m = build(elem, npt)
    onnx.save(m, d['dir'] + '/' + name + '.onnx')
    s = ort.InferenceSession(m.SerializeToString())
    res = []
    for c in d['calls']:
        feeds = {'xs': [np.array(x, npt) for x in c['xs']], 't': np.array(c['t'], npt), 'bias': None if c['bias'] is None else np.array(c['bias'], npt)}
        y, ys, n = s.run(None, feeds)
        res.append({'y': y.tolist(), 'ys': [v.tolist() for v in ys], 'n': int(n)})
    out[name] = res
# An optional passed through: y = relu(x), o = b (an optional output, empty when b is).
opt_t = h.make_optional_type_proto(h.make_tensor_type_proto(T.FLOAT, [2]))
g = h.make_graph([h.make_node('Relu', ['x'], ['y']), h.make_node('Identity', ['b'], ['o'])], 'g',
    [h.make_tensor_value_info('x', T.FLOAT, [2]), h.make_value_info('b', opt_t)], [h.make_tensor_value_info('y', T.FLOAT, [2]), h.make_value_info('o', opt_t)])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 18)], ir_version=9)
onnx.checker.check_model(m)
onnx.save(m, d['dir'] + '/opt.onnx')
s = ort.InferenceSession(m.SerializeToString())
x = np.array([-1.5, 2], np.float32)
g = h.make_graph([h.make_node('Identity', ['b'], ['o'])], 'g', [h.make_value_info('b', opt_t)], [h.make_value_info('o', opt_t)])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 18)], ir_version=9), d['dir'] + '/only-opt.onnx')
out['opt'] = [[None if v is None else v.tolist() for v in s.run(None, {'x': x, 'b': b})] for b in [np.array([3, 4], np.float32), None]]
print(json.dumps(out))`;

interface Call {
  xs: number[][][];
  t: number[];
  bias: number[] | null;
}
const CALLS: Call[] = [
  { xs: [[[1, 2, 3], [0.5, -1, 2]], [[-2, 0.25, 4]]], t: [0.1, 0.2, 0.3], bias: [1, -1, 0.5, 2] },
  { xs: [[[1, 2, 3], [0.5, -1, 2]], [[-2, 0.25, 4]]], t: [0.1, 0.2, 0.3], bias: null },
  { xs: [[[3, 1, -1]], [[0, 1, 2], [2, 2, 2], [-1, 0, 1]], [[5, 4, 3]]], t: [-1, 0, 1], bias: [0, 0, 1, 1] },
];
type Ref = { y: number[][]; ys: number[][][]; n: number };

const arrays = (c: Call, dtype: 'float32' | 'float64'): [NDArray[], NDArray, NDArray | null] => [c.xs.map((x) => nd.array(x, { dtype })), nd.array(c.t, { dtype }), c.bias ? nd.array(c.bias, { dtype }) : null];
const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

describe('compiler/onnx import: sequence and optional graph inputs and outputs', function () {
  this.timeout(120_000);
  const dir = scratchDir('gluonc-onnx-boundary-');
  let ref: { f32: Ref[]; f64: Ref[]; opt: (number[] | null)[][] };
  before(() => {
    ref = pythonJson(SCRIPT, { dir: dir(), calls: CALLS });
  });

  /** Checks one call's outputs ([y, [ys...], n]) against onnxruntime's. */
  const same = (out: unknown, r: Ref, what: string): void => {
    assert.ok(Array.isArray(out) && out.length === 3, `${what}: three outputs`);
    const [y, ys, n] = out as [NDArray, NDArray[], NDArray];
    assertClose(tensorToNumbers(y._host), flat(r.y), `${what} y`, 1e-6, 1e-6);
    assert.ok(Array.isArray(ys), `${what}: the sequence output is a list`);
    assert.equal(ys.length, r.ys.length, `${what}: items of ys`);
    ys.forEach((v, k) => assertClose(tensorToNumbers(v._host), flat(r.ys[k]), `${what} ys[${k}]`, 1e-6, 1e-6));
    assert.equal(n.item(), r.n, `${what} n`);
  };

  it("gives onnxruntime's outputs eagerly and hybridized, for 2 and 3 items, the optional given and left out", () => {
    const net = gluon.SymbolBlock.imports(join(dir(), 'f32.onnx'));
    assert.deepEqual(net.collectParams().keys(), ['w']);
    CALLS.forEach((c, i) => same(net.call(...arrays(c, 'float32')), ref.f32[i]!, `eager call ${i}`));
    net.hybridize();
    profiler.reset();
    CALLS.forEach((c, i) => same(net.call(...arrays(c, 'float32')), ref.f32[i]!, `hybridized call ${i}`));
    const compiles = profiler.counters().compiles;
    assert.equal(compiles, 3, 'one compile per structure (items, optional given or not)');
    same(net.call(...arrays(CALLS[0]!, 'float32')), ref.f32[0]!, 'hybridized, again');
    assert.equal(profiler.counters().compiles, compiles, 'the same structure reuses its compiled graph');
  });

  it('differentiates through the items and the weight: central finite differences of the float64 copy', () => {
    const c = CALLS[2]!;
    const loss = (net: gluon.SymbolBlock, xs: NDArray[], t: NDArray, b: NDArray | null): NDArray => {
      const [y, ys] = net.call(xs, t, b) as [NDArray, NDArray[]];
      // Weights that differ per element, so every entry of each gradient counts.
      const r = (a: NDArray, s: number) => nd.sum(nd.mul(a, nd.sin(nd.add(nd.arange(0, a.size, 1, { dtype: 'float64' }).reshape(a.shape), s))));
      return ys.reduce((acc, v, k) => nd.add(acc, r(v, k + 1)), r(y, 0));
    };
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(dir(), 'f64.onnx'));
      if (hybrid) net.hybridize();
      const [xs, t, b] = arrays(c, 'float64');
      xs.forEach((x) => x.attachGrad());
      const l = autograd.record(() => loss(net, xs, t, b));
      l.backward();
      const eps = 1e-6;
      xs.forEach((x, k) => {
        const base = Array.from(x.data() as Float64Array);
        const fd = base.map((_v, i) => {
          const at = (d: number) => {
            const v = base.slice();
            v[i]! += d;
            const moved = xs.map((y, j) => (j === k ? nd.array(v, { dtype: 'float64' }).reshape(x.shape) : y));
            return loss(net, moved, t, b).item();
          };
          return (at(eps) - at(-eps)) / (2 * eps);
        });
        assertClose(Array.from(x.grad!.data() as Float64Array), fd, `${hybrid ? 'hybridized' : 'eager'} d/d xs[${k}]`, 1e-6, 1e-6);
      });
      const w = net.collectParams().get('w');
      const wGrad = Array.from(w.grad().data() as Float64Array);
      const w0 = Array.from(w.data().data() as Float64Array);
      const fdW = w0.map((_v, i) => {
        const at = (d: number) => {
          const v = w0.slice();
          v[i]! += d;
          w.setData(nd.array(v, { dtype: 'float64' }).reshape([3, 4]));
          return loss(net, xs, t, b).item();
        };
        const g = (at(eps) - at(-eps)) / (2 * eps);
        w.setData(nd.array(w0, { dtype: 'float64' }).reshape([3, 4]));
        return g;
      });
      assertClose(wGrad, fdW, `${hybrid ? 'hybridized' : 'eager'} d/dw`, 1e-6, 1e-6);
    }
  });

  it('gives an empty optional output as null, eagerly and hybridized (onnxruntime gives None)', () => {
    const net = gluon.SymbolBlock.imports(join(dir(), 'opt.onnx'));
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const x = nd.array([-1.5, 2]);
      [nd.array([3, 4]), null].forEach((b, i) => {
        const [y, o] = net.call(x, b) as [NDArray, NDArray | null];
        const [wy, wo] = ref.opt[i]!;
        assert.deepEqual(Array.from(y.data() as Float32Array), wy, `${hybrid ? 'hybridized' : 'eager'} y`);
        if (wo === null) assert.equal(o, null, `${hybrid ? 'hybridized' : 'eager'}: an empty optional output is null`);
        else assert.deepEqual(Array.from(o!.data() as Float32Array), wo, `${hybrid ? 'hybridized' : 'eager'} o`);
      });
    }
    // Only an empty optional out: eagerly null; hybridized there is no tensor to compile.
    const only = gluon.SymbolBlock.imports(join(dir(), 'only-opt.onnx'));
    assert.equal(only.call(null), null);
    only.hybridize();
    assert.throws(() => only.call(null), /SymbolBlock: hybridForward returned no tensor \(only nulls or empty lists: an imported file's empty optionals and sequences\); a compiled graph needs one, so call it without hybridize\(\)/);
    assert.deepEqual(Array.from((only.call(nd.array([1, 2])) as NDArray).data() as Float32Array), [1, 2]);
  });

  it('refuses misuse by name', () => {
    const net = gluon.SymbolBlock.imports(join(dir(), 'f32.onnx'));
    const [xs, t, b] = arrays(CALLS[0]!, 'float32');
    const where = `SymbolBlock \\(${join(dir(), 'f32.onnx').replace(/[/\\.-]/g, (m) => `\\${m}`)}\\)`;
    assert.throws(() => net.call(xs[0]!, t, b), new RegExp(`${where}: input 0 \\('xs'\\) is a sequence: give a list of arrays, got an NDArray float32\\[2, 3\\]`));
    assert.throws(() => net.call([xs[0]!, [xs[1]!]], t), new RegExp(`${where}: input 0 \\('xs'\\) item 1 must be an array, got`));
    assert.throws(() => net.call(xs, [t]), new RegExp(`${where}: input 1 \\('t'\\) is a tensor: give an array, got`));
    assert.throws(() => net.call(null, t), new RegExp(`${where}: input 0 \\('xs'\\) is a sequence and cannot be absent \\(null or undefined\\)`));
    assert.throws(() => net.call(xs, null, b), new RegExp(`${where}: input 1 \\('t'\\) is absent \\(null or undefined\\), but the graph needs it`));
    assert.throws(() => net.call(xs, t, [b!]), new RegExp(`${where}: input 2 \\('bias'\\) is an optional tensor: give an array or null, got`));
    assert.throws(() => net.call([xs[0]!, nd.array([[1, 2, 3]], { dtype: 'int32' })], t), /graph input 'xs' item 1 is declared float32, got int32\[1, 3\]/);
    assert.throws(() => net.call(xs, t, nd.ones([3])), /graph input 'bias': dimension 0 is declared 4, got float32\[3\]/);
    assert.throws(() => net.call(xs, t, b, t), new RegExp(`${where}: expects 3 input\\(s\\) \\(xs: a list of arrays, t: an array, bias: an array or null\\), got 4`));
  });

  it('exports the last call as tensors: a sequence input as inputs <name>_0, <name>_1, ...', async () => {
    const net = gluon.SymbolBlock.imports(join(dir(), 'f32.onnx'));
    net.hybridize();
    const c = CALLS[0]!;
    net.call(...arrays(c, 'float32'));
    const file = join(dir(), 'exported.onnx');
    net.export(file);
    const m = onnx.ModelProto.decode(readFileSync(file));
    assert.deepEqual(m.graph!.input!.map((vi) => vi.name), ['xs_0', 'xs_1', 't', 'bias']);
    const model = await loadModel(file);
    try {
      const x = (v: number[][] | number[]) => ({ data: Float32Array.from(flat(v)), shape: Array.isArray(v[0]) ? [v.length, (v[0] as number[]).length] : [v.length] });
      const out = await model.run({ xs_0: x(c.xs[0]!), xs_1: x(c.xs[1]!), t: x(c.t), bias: x(c.bias!) });
      const names = Object.keys(out);
      assert.equal(names.length, 4, `outputs: ${names.join(', ')}`);
      const r = ref.f32[0]!;
      assertClose(Array.from(out[names[0]!]!.data as Float32Array), flat(r.y), 'exported y', 1e-6, 1e-6);
      assertClose(Array.from(out[names[1]!]!.data as Float32Array), flat(r.ys[0]), 'exported ys[0]', 1e-6, 1e-6);
      assertClose(Array.from(out[names[2]!]!.data as Float32Array), flat(r.ys[1]), 'exported ys[1]', 1e-6, 1e-6);
    } finally {
      await model.close();
    }
  });
});
