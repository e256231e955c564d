/**
 * Sequences carried through a `Loop` decided at run time (torch's and
 * keras2onnx's lists built in a loop: beam search, greedy decoding), and
 * sequences whose length is known only when the graph runs
 * (compiler/onnx/read-loop.ts, read-sequence.ts): models made with
 * onnx.helper by python3 and run by python's onnxruntime (the reference),
 * at several trip counts (0, 1 and more) on one block, eagerly and
 * hybridized; a while-loop on a condition computed from the data appending
 * two items per iteration to a sequence that starts with one; gradients
 * into the items (a parameter and the input) equal central differences
 * onnxruntime computes in float64; SplitToSequence along a symbolic axis.
 * Refused by name: items whose shape changes from one iteration to the
 * next, a sequence of run-time length as a graph output. A body that reads
 * the sequence it carries: import-loop-sequence-read.test.ts. Skipped, with a message, without python3's onnx
 * and onnxruntime.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
out = sys.argv[1]
F, D, I, B = TP.FLOAT, TP.DOUBLE, TP.INT64, TP.BOOL
vi = h.make_tensor_value_info
svi = h.make_tensor_sequence_value_info
rs = np.random.RandomState(0)
def save(name, g, runs):
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)], ir_version=8)
    onnx.save(m, f'{out}/{name}.onnx')
    s = ort.InferenceSession(m.SerializeToString())
    for j, feeds in enumerate(runs):
        for k, v in feeds.items(): np.save(f'{out}/{name}{j}_in_{k}.npy', v)
        for i, y in enumerate(s.run(None, feeds)): np.save(f'{out}/{name}{j}_out{i}.npy', y)
    return s

# collect (torch's list.append in a for loop over a run-time count): t = v * (it + 1), v = v / 2; after the loop
# ConcatFromSequence (axis 0), stacked (new_axis, axis 1), SequenceLength, SequenceAt(p) with p a graph input; W a parameter.
def collect(T, name, outs):
    body = h.make_graph([
        h.make_node('Cast', ['it'], ['itf'], to=T), h.make_node('Add', ['itf', 'one'], ['k']),
        h.make_node('Mul', ['v', 'k'], ['t']), h.make_node('Mul', ['v', 'half'], ['vo']),
        h.make_node('SequenceInsert', ['sin', 't'], ['sout']), h.make_node('Identity', ['ci'], ['co']),
    ], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', T, [2, 3]), svi('sin', T, None)], [vi('co', B, []), vi('vo', T, [2, 3]), svi('sout', T, None)],
        [nh.from_array(np.array(1, TP_NP[T]), 'one'), nh.from_array(np.array(0.5, TP_NP[T]), 'half')])
    nodes = [h.make_node('MatMul', ['x', 'W'], ['xw']), h.make_node('SequenceEmpty', [], ['s0'], dtype=T),
             h.make_node('Loop', ['m', '', 'xw', 's0'], ['vf', 'sf'], body=body, name='collect'),
             h.make_node('SequenceLength', ['sf'], ['n'])]
    if 'cat' in outs: nodes += [h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0), h.make_node('ConcatFromSequence', ['sf'], ['stk'], axis=1, new_axis=1), h.make_node('SequenceAt', ['sf', 'p'], ['at'])]
    ins = [vi('m', I, []), vi('x', T, [2, 4])] + ([vi('p', I, [])] if 'cat' in outs else [])
    return h.make_graph(nodes, 'g', ins, [vi(o, I if o == 'n' else T, None) for o in outs], [nh.from_array(rs.randn(4, 3).astype(TP_NP[T]), 'W')])
TP_NP = {F: np.float32, D: np.float64}
x = rs.randn(2, 4).astype(np.float32)
save('collect', collect(F, 'collect', ['cat', 'stk', 'n', 'at', 'vf']), [{'m': np.array(k, np.int64), 'x': x, 'p': np.array(p, np.int64)} for k, p in ((1, 0), (3, -1), (5, 2))])
save('count', collect(F, 'count', ['n', 'vf']), [{'m': np.array(k, np.int64), 'x': x} for k in (0, 1, 4)])

# Gradients of Σ cat·r1 + Σ at·r2 + Σ vf·r3 in float64 by central differences through onnxruntime, m = 3, p = 1.
g64 = collect(D, 'collect64', ['cat', 'stk', 'n', 'at', 'vf'])
s = save('collect64', g64, [{'m': np.array(3, np.int64), 'x': x.astype(np.float64), 'p': np.array(1, np.int64)}])
W = nh.to_array(g64.initializer[0])
r1, r2, r3 = rs.randn(6, 3), rs.randn(2, 3), rs.randn(2, 3)
for k, r in (('r1', r1), ('r2', r2), ('r3', r3)): np.save(f'{out}/collect64_{k}.npy', r)
def loss(xv, Wv):
    m = onnx.load(f'{out}/collect64.onnx'); m.graph.initializer[0].CopyFrom(nh.from_array(Wv, 'W'))
    cat, stk, n, at, vf = ort.InferenceSession(m.SerializeToString()).run(None, {'m': np.array(3, np.int64), 'x': xv, 'p': np.array(1, np.int64)})
    return (cat * r1).sum() + (at * r2).sum() + (vf * r3).sum()
def fd(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        p, q = a.copy(), a.copy(); p[i] += eps; q[i] -= eps
        g[i] = (f(p) - f(q)) / (2 * eps)
    return g
x64 = x.astype(np.float64)
np.save(f'{out}/collect64_gx.npy', fd(lambda a: loss(a, W), x64))
np.save(f'{out}/collect64_gW.npy', fd(lambda a: loss(x64, a), W))

# whiled: while sum(|v|) < 30 (at most m times): appends v and v * 2 (two items per iteration) to a sequence that starts
# with one item (SequenceConstruct of x), v = v * 1.5; ConcatFromSequence along axis 1; SequenceAt at -1; SequenceLength.
body = h.make_graph([
    h.make_node('Mul', ['v', 'two'], ['v2']),
    h.make_node('SequenceInsert', ['sin', 'v'], ['s1']), h.make_node('SequenceInsert', ['s1', 'v2'], ['sout']),
    h.make_node('Mul', ['v', 'k'], ['vo']), h.make_node('Abs', ['vo'], ['a']), h.make_node('ReduceSum', ['a'], ['sa'], keepdims=0),
    h.make_node('Less', ['sa', 'lim'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [2, 3]), svi('sout', F, None)],
    [nh.from_array(np.array(2, np.float32), 'two'), nh.from_array(np.array(1.5, np.float32), 'k'), nh.from_array(np.array(30, np.float32), 'lim')])
g = h.make_graph([
    h.make_node('SequenceConstruct', ['x'], ['s0']),
    h.make_node('Loop', ['m', 'go', 'x', 's0'], ['vf', 'sf'], body=body, name='whiled'),
    h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=1), h.make_node('SequenceAt', ['sf', 'back'], ['at']), h.make_node('SequenceLength', ['sf'], ['n']),
], 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi('cat', F, None), vi('at', F, None), vi('n', I, None)],
    [nh.from_array(np.array(True), 'go'), nh.from_array(np.array(-1, np.int64), 'back')])
save('whiled', g, [{'m': np.array(k, np.int64), 'x': (rs.randn(2, 3) * sc).astype(np.float32)} for k, sc in ((100, 1), (0, 1), (1, 1), (100, 0.01), (100, 100))])

# ragged: appends a carried value that grows by one row each iteration: its items differ in shape, refused by name.
body = h.make_graph([
    h.make_node('Concat', ['v', 'row'], ['vo'], axis=0), h.make_node('SequenceInsert', ['sin', 'vo'], ['sout']), h.make_node('Identity', ['ci'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, None), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, None), svi('sout', F, None)],
    [nh.from_array(np.ones((1, 3), np.float32), 'row')])
g = h.make_graph([h.make_node('SequenceEmpty', [], ['s0'], dtype=F), h.make_node('Loop', ['m', '', 'x', 's0'], ['vf', 'sf'], body=body, name='ragged'),
    h.make_node('SequenceLength', ['sf'], ['n'])], 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi('n', I, None)])
save('ragged', g, [])

# splits: SplitToSequence along a symbolic axis: pieces of 1 (kept and squeezed), then ConcatFromSequence and SequenceAt;
# listed sizes [1, 2] of a symbolic axis (that many pieces: their total must be the axis's size when it runs).
g = h.make_graph([
    h.make_node('SplitToSequence', ['x'], ['sk'], axis=1), h.make_node('SplitToSequence', ['x'], ['sq'], axis=1, keepdims=0),
    h.make_node('SequenceAt', ['sk', 'p'], ['a']), h.make_node('ConcatFromSequence', ['sq'], ['c'], axis=0),
    h.make_node('SequenceLength', ['sq'], ['n']), h.make_node('SplitToSequence', ['x', 'sizes'], ['s12'], axis=1), h.make_node('SequenceAt', ['s12', 'one'], ['b']),
], 'g', [vi('x', F, [2, 'T']), vi('p', I, [])], [vi('a', F, None), vi('c', F, None), vi('n', I, None), vi('b', F, None)],
    [nh.from_array(np.array([1, 2], np.int64), 'sizes'), nh.from_array(np.array(1, np.int64), 'one')])
save('splits', g, [{'x': rs.randn(2, 3).astype(np.float32), 'p': np.array(-1, np.int64)}, {'x': rs.randn(2, 3).astype(np.float32), 'p': np.array(1, np.int64)}])
np.save(f'{out}/splits_bad_x.npy', rs.randn(2, 4).astype(np.float32))

# catonly: the collected sequence concatenated and stacked, without SequenceAt (0 iterations: onnxruntime fails the run).
onnx.save(h.make_model(collect(F, 'catonly', ['cat', 'stk', 'n']), opset_imports=[h.make_opsetid('', 17)], ir_version=8), f'{out}/catonly.onnx')

# seqout: the collected sequence itself as a graph output (its length known only when it runs): refused by name.
g = collect(F, 'seqout', ['n'])
g.output.append(svi('sf', F, None))
save('seqout', g, [])
`;

describe('imported sequences in a Loop decided at run time, and sequences of run-time length, against onnxruntime', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('loopseq', ['onnx', 'onnxruntime'], SCRIPT);
  const npy = (f: string): HostTensor => readNpy(join(fx.dir, `${f}.npy`));
  const arr = (f: string) => new nd.NDArray(npy(f));
  const net = (name: string, hybrid: boolean) => {
    const b = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
    if (hybrid) b.hybridize();
    return b;
  };

  /** Runs `name` on each data set `runs` (one block each way), every output as onnxruntime's. */
  function sameAsOrt(name: string, keys: string[], runs: number[], outs: number): void {
    for (const hybrid of [false, true]) {
      const b = net(name, hybrid);
      for (const j of runs) {
        const got = b.call(...keys.map((k) => arr(`${name}${j}_in_${k}`)));
        const list = (Array.isArray(got) ? got : [got]) as nd.NDArray[];
        assert.equal(list.length, outs);
        list.forEach((y, i) => {
          const want = npy(`${name}${j}_out${i}`);
          const how = `${name} run ${j} output ${i} (${hybrid ? 'hybridized' : 'eager'})`;
          assert.deepEqual(y.shape, want.shape, `${how} shape`);
          assertClose(tensorToNumbers(y._host), tensorToNumbers(want), how);
        });
      }
    }
  }

  it('a list appended to in a loop over a run-time count: ConcatFromSequence, stacked, SequenceLength, SequenceAt at a position fed at run time; counts 1, 3, 5 on one block', () => {
    sameAsOrt('collect', ['m', 'x', 'p'], [0, 1, 2], 5);
  });

  it('0, 1 and 4 iterations: the length and the loop-carried tensor', () => sameAsOrt('count', ['m', 'x'], [0, 1, 2], 2));

  it('0 iterations: concatenating the empty sequence gives an empty tensor (onnxruntime fails the run); SequenceAt fails, naming take', () => {
    const m0 = nd.array([0], { dtype: 'int64' }).reshape([]);
    for (const hybrid of [false, true]) {
      const [cat, stk, n] = net('catonly', hybrid).call(m0, arr('collect0_in_x'), arr('collect0_in_p')) as nd.NDArray[];
      assert.deepEqual([cat!.shape, stk!.shape, n!.item()], [[0, 3], [2, 0, 3], 0]);
    }
    assert.throws(() => net('collect', false).call(m0, arr('collect0_in_x'), arr('collect0_in_p')), /take: axis 0 is empty/);
    assert.throws(() => net('collect', true).call(m0, arr('collect0_in_x'), arr('collect0_in_p')), /Gather|indices/);
  });

  it('a while-loop on a condition computed from the data, two items per iteration after one initial item: 0, 1, 3, 35 iterations', () => {
    sameAsOrt('whiled', ['m', 'x'], [0, 1, 2, 3, 4], 3);
  });

  it('gradients into the items: the input and the parameter W, as central differences of onnxruntime in float64', () => {
    for (const hybrid of [false, true]) {
      const b = net('collect64', hybrid);
      const x = arr('collect640_in_x');
      x.attachGrad();
      autograd.record(() => {
        const [cat, , , at, vf] = b.call(arr('collect640_in_m'), x, arr('collect640_in_p')) as nd.NDArray[];
        return nd.add(nd.add(nd.sum(nd.mul(cat!, arr('collect64_r1'))), nd.sum(nd.mul(at!, arr('collect64_r2')))), nd.sum(nd.mul(vf!, arr('collect64_r3'))));
      }).backward();
      const how = hybrid ? 'hybridized' : 'eager';
      assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(npy('collect64_gx')), `dx (${how})`, 1e-6, 1e-7);
      assertClose(tensorToNumbers(b.collectParams().get('W').grad()._host), tensorToNumbers(npy('collect64_gW')), `dW (${how})`, 1e-6, 1e-7);
    }
  });

  it('SplitToSequence along a symbolic axis: pieces of 1 kept or squeezed, listed sizes; sizes that do not add up fail the call', () => {
    sameAsOrt('splits', ['x', 'p'], [0, 1], 4);
    for (const hybrid of [false, true]) {
      assert.throws(() => net('splits', hybrid).call(arr('splits_bad_x'), arr('splits0_in_p')), /reshape|Reshape/);
    }
  });

  it('refuses, naming the node, items whose shape changes, and a sequence of run-time length as an output', () => {
    const m = nd.array([2], { dtype: 'int64' }).reshape([]);
    const x = nd.ones([2, 3]);
    assert.throws(() => net('ragged', false).call(m, x), /'Loop' \(node 'ragged'\) has no gluonc equivalent: its body appends float32\[\(\(ragged:0\.0\)\+1\), 3\] items to the sequence 's0', whose shape can change from one iteration to the next/);
    assert.throws(() => net('seqout', false).call(m, nd.ones([2, 4])), /graph output 'sf' is a sequence whose length is known only when the graph runs \(appended to in Loop 'collect', which runs as an ONNX Loop: its trip count M \('m'\) is computed at run time; float32\[\(collect iterations\), 2, 3\], its items stacked\)/);
  });
});
