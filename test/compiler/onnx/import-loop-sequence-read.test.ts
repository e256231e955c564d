/**
 * A Loop decided at run time whose body reads the sequence it carries
 * (compiler/onnx/read-loop.ts: the items carried stacked, a loop-carried
 * tensor whose first dimension grows): greedy decoders as torch.jit.script
 * exports them, SequenceAt(seq, -1) for the last item, at a position fed at
 * run time, SequenceLength, ConcatFromSequence (concatenated and stacked) of
 * the list so far, appending at the back or inserting at the front; models
 * made with onnx.helper by python3 and the files torch.onnx.export
 * (dynamo=False) writes of scripted modules (a for loop over a count, a
 * while loop on the list's length and last item), each run by python's
 * onnxruntime (the reference) at trip counts 0, 1 and several on one block,
 * eagerly and hybridized, and exported (loadModel at another count). A
 * list that starts empty: its items' shape from the body read with it
 * empty, or from the file's declaration; a read of an item of it when the
 * body runs fails the call naming the Loop, as onnxruntime's run fails.
 * Refused by name: items of another shape, an empty start whose items'
 * shape is unknown (erasing and inserting at a position:
 * import-loop-sequence-edit.test.ts). Gradients
 * through a list inserted into at the back, or at the front, as central
 * differences of onnxruntime in float64 (one inserted into at both ends:
 * import-loop-sequence-edit.test.ts). A run-time If choosing between two
 * sequences of run-time length. Skipped, with a message, without python3's onnx and
 * onnxruntime (torch for its files).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
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
        try:
            for i, y in enumerate(s.run(None, feeds)): np.save(f'{out}/{name}{j}_out{i}.npy', y)
        except Exception as e:
            open(f'{out}/{name}{j}_error.txt', 'w').write(str(e))
def c(name, v, T=F): return nh.from_array(np.array(v, {F: np.float32, D: np.float64, I: np.int64}[T]), name)

# decode (a greedy decoder's list): the list starts with x; each iteration reads its last item (SequenceAt -1), the item
# at p (fed at run time, captured), the list so far concatenated (axis 0, squares summed) and stacked (new_axis, axis 1, averaged)
# and its length, and appends (or, front=1, inserts at position 0) tanh of their mix with the carried v; v = v * 0.9.
def decode(T, front=False):
    at = 'zero' if front else 'neg1'
    body = h.make_graph([
        h.make_node('SequenceAt', ['sin', at], ['last']), h.make_node('SequenceAt', ['sin', 'p'], ['first']),
        h.make_node('ConcatFromSequence', ['sin'], ['mem'], axis=0), h.make_node('Mul', ['mem', 'mem'], ['mm']), h.make_node('ReduceSum', ['mm', 'ax0'], ['ms'], keepdims=1),
        h.make_node('ConcatFromSequence', ['sin'], ['stk'], axis=1, new_axis=1), h.make_node('ReduceMean', ['stk'], ['sm'], axes=[1], keepdims=0),
        h.make_node('SequenceLength', ['sin'], ['len']), h.make_node('Cast', ['len'], ['lf'], to=T),
        h.make_node('Mul', ['last', 'half'], ['a']), h.make_node('Mul', ['ms', 'tenth'], ['b']), h.make_node('Mul', ['lf', 'tenth'], ['d']),
        h.make_node('Mul', ['first', 'fifth'], ['e']), h.make_node('Sum', ['a', 'b', 'd', 'e', 'sm', 'v'], ['pre']), h.make_node('Tanh', ['pre'], ['t']),
        h.make_node('SequenceInsert', ['sin', 't'] + (['zero'] if front else []), ['sout']),
        h.make_node('Mul', ['v', 'k'], ['vo']), h.make_node('Identity', ['ci'], ['co']),
    ], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', T, [2, 3]), svi('sin', T, None)], [vi('co', B, []), vi('vo', T, [2, 3]), svi('sout', T, None)],
        [c('neg1', -1, I), c('zero', 0, I), c('ax0', [0], I), c('half', 0.5, T), c('tenth', 0.1, T), c('fifth', 0.2, T), c('k', 0.9, T)])
    g = h.make_graph([
        h.make_node('MatMul', ['x', 'W'], ['xw']), h.make_node('SequenceConstruct', ['xw'], ['s0']),
        h.make_node('Loop', ['m', '', 'xw', 's0'], ['vf', 'sf'], body=body, name='decode'),
        h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0), h.make_node('SequenceLength', ['sf'], ['n']), h.make_node('SequenceAt', ['sf', 'neg1o'], ['at']),
    ], 'g', [vi('m', I, []), vi('x', T, [2, 4]), vi('p', I, [])], [vi('cat', T, None), vi('n', I, None), vi('at', T, None), vi('vf', T, None)],
        [nh.from_array(rs.randn(4, 3).astype({F: np.float32, D: np.float64}[T]), 'W'), c('neg1o', -1, I)])
    return g
x = rs.randn(2, 4).astype(np.float32)
runs = [{'m': np.array(k, np.int64), 'x': x, 'p': np.array(p, np.int64)} for k, p in ((0, 0), (1, -1), (4, 0), (6, -1))]
save('decode', decode(F), runs)
save('front', decode(F, True), runs)

# Gradients of Σ cat·r1 + Σ at·r2 + Σ vf·r3 in float64 by central differences through onnxruntime, m = 4, p = -1.
def fd(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        p, q = a.copy(), a.copy(); p[i] += eps; q[i] -= eps
        g[i] = (f(p) - f(q)) / (2 * eps)
    return g
for name, front in (('decode64', False), ('front64', True)):
  g64 = decode(D, front)
  feeds = {'m': np.array(4, np.int64), 'x': x.astype(np.float64), 'p': np.array(-1, np.int64)}
  save(name, g64, [feeds])
  W = nh.to_array(g64.initializer[0])
  r1, r2, r3 = rs.randn(10, 3), rs.randn(2, 3), rs.randn(2, 3)
  for k, r in (('r1', r1), ('r2', r2), ('r3', r3)): np.save(f'{out}/{name}_{k}.npy', r)
  def loss(xv, Wv):
    g64.initializer[0].CopyFrom(nh.from_array(Wv, 'W'))
    m = h.make_model(g64, opset_imports=[h.make_opsetid('', 17)], ir_version=8)
    cat, n, at, vf = ort.InferenceSession(m.SerializeToString()).run(None, {**feeds, 'x': xv})
    return (cat * r1).sum() + (at * r2).sum() + (vf * r3).sum()
  np.save(f'{out}/{name}_gx.npy', fd(lambda a: loss(a, W), feeds['x']))
  np.save(f'{out}/{name}_gW.npy', fd(lambda a: loss(feeds['x'], a), W.copy()))

# mixed: the body inserts at the back and at the front (its last item read, and the new last one after the insert:
# v = v + it / 2): read.
body = h.make_graph([
    h.make_node('SequenceAt', ['sin', 'neg1'], ['last']), h.make_node('Mul', ['last', 'half'], ['lh']), h.make_node('Add', ['lh', 'v'], ['t']),
    h.make_node('SequenceInsert', ['sin', 't'], ['s1']), h.make_node('Neg', ['t'], ['nt']), h.make_node('SequenceInsert', ['s1', 'nt', 'zero'], ['sout']),
    h.make_node('SequenceAt', ['s1', 'neg1'], ['new']), h.make_node('Mul', ['new', 'half'], ['nh']), h.make_node('Add', ['v', 'nh'], ['vo']),
    h.make_node('Identity', ['ci'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [2, 3]), svi('sout', F, None)],
    [c('neg1', -1, I), c('zero', 0, I), c('half', 0.5)])
g = h.make_graph([h.make_node('SequenceConstruct', ['x'], ['s0']), h.make_node('Loop', ['m', '', 'x', 's0'], ['vf', 'sf'], body=body, name='mixed'),
    h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0)], 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi('cat', F, None), vi('vf', F, None)])
save('mixed', g, [{'m': np.array(k, np.int64), 'x': rs.randn(2, 3).astype(np.float32)} for k in (0, 1, 3)])

# readlen: the list starts empty (SequenceEmpty); the body reads only its length: t = v * len, v = v + t / 2, appended.
# Its items' shape comes from reading the body with it empty. cat: the list concatenated (not at 0 iterations).
def readlen(outs):
    body = h.make_graph([
        h.make_node('SequenceLength', ['sin'], ['len']), h.make_node('Cast', ['len'], ['lf'], to=F), h.make_node('Add', ['lf', 'one'], ['l1']),
        h.make_node('Mul', ['v', 'l1'], ['t']), h.make_node('Mul', ['t', 'half'], ['t2']), h.make_node('Add', ['v', 't2'], ['vo']),
        h.make_node('SequenceInsert', ['sin', 't'], ['sout']), h.make_node('Identity', ['ci'], ['co']),
    ], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [2, 3]), svi('sout', F, None)],
        [c('one', 1), c('half', 0.5)])
    nodes = [h.make_node('SequenceEmpty', [], ['s0'], dtype=F), h.make_node('Loop', ['m', '', 'x', 's0'], ['vf', 'sf'], body=body, name='readlen'),
             h.make_node('SequenceLength', ['sf'], ['n'])] + ([h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0)] if 'cat' in outs else [])
    return h.make_graph(nodes, 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi(o, I if o == 'n' else F, None) for o in outs])
xs = rs.randn(2, 3).astype(np.float32)
save('readlen', readlen(['n', 'vf']), [{'m': np.array(k, np.int64), 'x': xs} for k in (0, 1, 3)])
save('readlencat', readlen(['cat']), [{'m': np.array(k, np.int64), 'x': xs} for k in (1, 3)])

# emptyat: the list starts empty and the body reads its last item: onnxruntime fails the run unless it runs 0 times.
# The items' shape comes from the body input's declaration ([2, 3]); without one (emptyat_nodecl) it is refused.
def emptyat(decl):
    body = h.make_graph([
        h.make_node('SequenceLength', ['sin'], ['len']), h.make_node('SequenceAt', ['sin', 'neg1'], ['last']),
        h.make_node('Add', ['last', 'v'], ['t']), h.make_node('SequenceInsert', ['sin', 't'], ['sout']),
        h.make_node('Identity', ['ci'], ['co']), h.make_node('Identity', ['v'], ['vo']),
    ], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3]), svi('sin', F, decl)], [vi('co', B, []), vi('vo', F, [2, 3]), svi('sout', F, None)],
        [c('neg1', -1, I)])
    return h.make_graph([h.make_node('SequenceEmpty', [], ['s0'], dtype=F), h.make_node('Loop', ['m', '', 'x', 's0'], ['vf', 'sf'], body=body, name='emptyat'),
        h.make_node('SequenceLength', ['sf'], ['n'])], 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi('n', I, None), vi('vf', F, None)])
save('emptyat', emptyat([2, 3]), [{'m': np.array(k, np.int64), 'x': xs} for k in (0, 2)])
save('emptyat_nodecl', emptyat(None), [])

# Refused: a body that reads the list and appends items of another shape than the list's (erasing from it and inserting
# in its middle: import-loop-sequence-edit.test.ts).
def refused(name, nodes, inits=[]):
    body = h.make_graph([h.make_node('SequenceAt', ['sin', 'neg1'], ['last']), h.make_node('Add', ['last', 'v'], ['t'])] + nodes + [
        h.make_node('Identity', ['ci'], ['co']), h.make_node('Identity', ['v'], ['vo'])],
        'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [2, 3]), svi('sout', F, None)],
        [c('neg1', -1, I), c('one', 1, I)] + inits)
    g = h.make_graph([h.make_node('SequenceConstruct', ['x'], ['s0']), h.make_node('Loop', ['m', '', 'x', 's0'], ['vf', 'sf'], body=body, name=name),
        h.make_node('SequenceLength', ['sf'], ['n'])], 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi('n', I, None)])
    save(name, g, [])
refused('ragged', [h.make_node('Concat', ['t', 't'], ['tt'], axis=0), h.make_node('SequenceInsert', ['sin', 'tt'], ['sout'], name='grow')])

# pick: an If on a condition fed at run time choosing between two sequences of run-time length (x split along its
# symbolic axis T, and 2x split so); the chosen one concatenated, its length and its last item. pickodd: the else_branch
# gives a sequence of 2 (x split along its fixed axis): refused by name.
def pick(odd):
    thn = h.make_graph([h.make_node('SplitToSequence', ['x'], ['st'], axis=1, keepdims=0)], 'then', [], [svi('st', F, None)])
    els = h.make_graph([h.make_node('Mul', ['x', 'two'], ['x2']), h.make_node('SplitToSequence', ['x2'], ['se'], axis=0 if odd else 1, keepdims=0)], 'else', [], [svi('se', F, None)])
    return h.make_graph([h.make_node('If', ['c'], ['s'], then_branch=thn, else_branch=els, name='pick'),
        h.make_node('ConcatFromSequence', ['s'], ['cat'], axis=0), h.make_node('SequenceLength', ['s'], ['n']), h.make_node('SequenceAt', ['s', 'neg1'], ['at'])],
        'g', [vi('c', B, []), vi('x', F, [2, 'T'])], [vi('cat', F, None), vi('n', I, None), vi('at', F, None)], [c('two', 2), c('neg1', -1, I)])
save('pick', pick(False), [{'c': np.array(b), 'x': rs.randn(2, t).astype(np.float32)} for b, t in ((True, 3), (False, 3), (False, 5), (True, 1))])
save('pickodd', pick(True), [])
`;

/**
 * torch.jit.script of a decoder whose list of states is read (last, all, length) and appended to, and of a while
 * loop on the list's length and its last item's size, exported by the TorchScript exporter.
 */
const TORCH = String.raw`
import sys, os, importlib, warnings, numpy as np, torch, onnxruntime as ort
out = sys.argv[1]
warnings.filterwarnings('ignore')
# torch.jit.script reads the module's source: it is written to a file and imported.
open(f'{out}/dec_module.py', 'w').write("""
import torch
from typing import List
class Dec(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)
    def forward(self, x, n: int):
        toks: List[torch.Tensor] = [x]
        for i in range(n):
            last = toks[-1]
            mem = torch.cat(toks, 0)
            toks.append(torch.tanh(self.lin(last) + mem.sum(0, keepdim=True) * 0.1 + len(toks) * 0.01))
        return torch.cat(toks, 0), toks[-1]
class While(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)
    def forward(self, x, limit: float):
        toks: List[torch.Tensor] = [x]
        while len(toks) < 50 and float(toks[-1].abs().sum()) < limit:
            mem = torch.stack(toks, 0).mean(0)
            toks.append(self.lin(toks[-1]) * 1.3 + mem)
        return torch.stack(toks, 0), torch.tensor(len(toks))
""")
sys.path.insert(0, out)
mod = importlib.import_module('dec_module')
torch.manual_seed(0)
torch.onnx.export(torch.jit.script(mod.Dec()), (torch.randn(1, 3), 4), f'{out}/torchdec.onnx', dynamo=False, input_names=['x', 'n'], opset_version=17)
torch.onnx.export(torch.jit.script(mod.While()), (torch.randn(1, 3), 20.0), f'{out}/torchwhile.onnx', dynamo=False, input_names=['x', 'limit'], opset_version=17)
sys.path.remove(out)
del sys.modules['dec_module']
s = ort.InferenceSession(f'{out}/torchdec.onnx')
x = np.random.RandomState(1).randn(1, 3).astype(np.float32)
for j, k in enumerate((0, 1, 5)):
    feeds = {'x': x, 'n': np.array(k, np.int64)}
    for name, v in feeds.items(): np.save(f'{out}/torchdec{j}_in_{name}.npy', v)
    for i, y in enumerate(s.run(None, feeds)): np.save(f'{out}/torchdec{j}_out{i}.npy', y)
s = ort.InferenceSession(f'{out}/torchwhile.onnx')
for j, lim in enumerate((0.1, 5.0, 50.0)):
    feeds = {'x': x, 'limit': np.array(lim, np.float64)}
    for name, v in feeds.items(): np.save(f'{out}/torchwhile{j}_in_{name}.npy', v)
    for i, y in enumerate(s.run(None, feeds)): np.save(f'{out}/torchwhile{j}_out{i}.npy', y)
`;

describe('imported Loops decided at run time whose body reads the sequence it carries, against onnxruntime', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('loopseqread', ['onnx', 'onnxruntime'], SCRIPT);
  const npy = (f: string): HostTensor => readNpy(join(fx.dir, `${f}.npy`));
  const arr = (f: string) => new nd.NDArray(npy(f));
  const net = (name: string, hybrid: boolean) => {
    const b = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
    if (hybrid) b.hybridize();
    return b;
  };

  /** Runs `name` on each data set `runs` (one block each way), every output as onnxruntime's. */
  function sameAsOrt(name: string, keys: string[], runs: number[], outs: number, dir = fx.dir): void {
    const file = (f: string) => readNpy(join(dir, `${f}.npy`));
    for (const hybrid of [false, true]) {
      const b = gluon.SymbolBlock.imports(join(dir, `${name}.onnx`));
      if (hybrid) b.hybridize();
      for (const j of runs) {
        const got = b.call(...keys.map((k) => new nd.NDArray(file(`${name}${j}_in_${k}`))));
        const list = (Array.isArray(got) ? got : [got]) as nd.NDArray[];
        assert.equal(list.length, outs);
        list.forEach((y, i) => {
          const want = file(`${name}${j}_out${i}`);
          const how = `${name} run ${j} output ${i} (${hybrid ? 'hybridized' : 'eager'})`;
          assert.deepEqual(y.shape, want.shape, `${how} shape`);
          assertClose(tensorToNumbers(y._host), tensorToNumbers(want), how);
        });
      }
    }
  }

  it('a decoder reading its list (SequenceAt -1 and at a position fed at run time, ConcatFromSequence, stacked, SequenceLength) and appending: 0, 1, 4, 6 iterations', () => {
    sameAsOrt('decode', ['m', 'x', 'p'], [0, 1, 2, 3], 4);
  });

  it('exported after a call at 1 iteration, the artifact runs 6 as onnxruntime (loadModel)', async () => {
    const b = net('decode', true);
    b.call(arr('decode1_in_m'), arr('decode1_in_x'), arr('decode1_in_p'));
    const file = join(fx.dir, 'decode-exported.onnx');
    b.export(file);
    const model = await loadModel(file);
    try {
      const out = await model.run({ m: npy('decode3_in_m'), x: npy('decode3_in_x'), p: npy('decode3_in_p') });
      const names = Object.keys(out);
      assert.equal(names.length, 4, `outputs: ${names.join(', ')}`);
      names.forEach((name, i) => {
        assert.deepEqual([...out[name]!.shape], npy(`decode3_out${i}`).shape, `exported ${name} shape`);
        assertClose(tensorToNumbers(out[name]! as HostTensor), tensorToNumbers(npy(`decode3_out${i}`)), `exported ${name}`);
      });
    } finally {
      await model.close();
    }
  });

  it('the same list inserted into at the front (position 0) and read there: 0, 1, 4, 6 iterations', () => {
    sameAsOrt('front', ['m', 'x', 'p'], [0, 1, 2, 3], 4);
  });

  // Its gradient (the list computed again per iteration): import-loop-sequence-edit.test.ts.
  it('a list inserted into at the back and the front, its new last item read after the insert: 0, 1, 3 iterations', () => {
    sameAsOrt('mixed', ['m', 'x'], [0, 1, 2], 2);
  });

  it('a list that starts empty, whose length the body reads: its items\' shape from the body read with it empty; 0, 1, 3 iterations', () => {
    sameAsOrt('readlen', ['m', 'x'], [0, 1, 2], 2);
    sameAsOrt('readlencat', ['m', 'x'], [0, 1], 1);
  });

  // The call fails in onnxruntime's run of the Loop (its Gather of the position), naming the ONNX node, as onnxruntime's run of the file fails.
  it('a list that starts empty whose last item the body reads: its declared items\' shape; 0 iterations as onnxruntime, 2 fail the call as onnxruntime\'s run fails', () => {
    assert.ok(!existsSync(join(fx.dir, 'emptyat0_error.txt')) && existsSync(join(fx.dir, 'emptyat1_error.txt')), 'onnxruntime runs 0 iterations and fails 2');
    sameAsOrt('emptyat', ['m', 'x'], [0], 2);
    for (const hybrid of [false, true]) {
      assert.throws(() => net('emptyat', hybrid).call(arr('emptyat1_in_m'), arr('emptyat1_in_x')), /ONNX node 'emptyat' \(Loop\): OnnxLoop: [^]*indices element out of data bounds, idx=-1/);
    }
  });

  it('refuses, naming the node, items of another shape, an empty start of unknown items', () => {
    const m = nd.array([2], { dtype: 'int64' }).reshape([]);
    const x = nd.ones([2, 3]);
    const loop = `'Loop' \\(node 'ragged'\\) has no gluonc equivalent: its trip count M \\('m'\\) is computed at run time, so it runs as an ONNX Loop, but its body does not import: `;
    assert.throws(() => net('ragged', false).call(m, x), new RegExp(`${loop}ONNX operator 'SequenceInsert' \\(node 'ragged/body/grow'\\) has no gluonc equivalent: inserting a float32\\[4, 3\\] tensor into the sequence 'sin' of float32\\[2, 3\\] items`));
    assert.throws(() => net('emptyat_nodecl', false).call(m, x), /'Loop' \(node 'emptyat'\) has no gluonc equivalent: .*its body reads the loop-carried sequence 's0', which starts empty, and reading the body with it empty fails \(.*SequenceAt.*\), and the file does not declare its items' shape \(body input 'sin'\)/);
  });

  for (const [name, where] of [['decode64', 'appended to at the back'], ['front64', 'inserted into at the front']] as const) {
    it(`gradients into the input and the parameter W through the list read and ${where}, as central differences of onnxruntime in float64`, () => {
      for (const hybrid of [false, true]) {
        const b = net(name, hybrid);
        const x = arr(`${name}0_in_x`);
        x.attachGrad();
        autograd.record(() => {
          const [cat, , at, vf] = b.call(arr(`${name}0_in_m`), x, arr(`${name}0_in_p`)) as nd.NDArray[];
          return nd.add(nd.add(nd.sum(nd.mul(cat!, arr(`${name}_r1`))), nd.sum(nd.mul(at!, arr(`${name}_r2`)))), nd.sum(nd.mul(vf!, arr(`${name}_r3`))));
        }).backward();
        const how = `${name}, ${hybrid ? 'hybridized' : 'eager'}`;
        assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(npy(`${name}_gx`)), `dx (${how})`, 1e-6, 1e-7);
        assertClose(tensorToNumbers(b.collectParams().get('W').grad()._host), tensorToNumbers(npy(`${name}_gW`)), `dW (${how})`, 1e-6, 1e-7);
      }
    });
  }

  it('a run-time If choosing between two sequences of run-time length; one of run-time length and one of 2 are refused by name', () => {
    sameAsOrt('pick', ['c', 'x'], [0, 1, 2, 3], 3);
    assert.throws(() => net('pickodd', false).call(nd.array([1], { dtype: 'bool' }).reshape([]), nd.ones([2, 3])), /'If' \(node 'pick'\) has no gluonc equivalent: its output 0 is a sequence whose length is known only when it runs in the then_branch and a sequence of 2 in the else_branch/);
  });

  describe('torch.jit.script of a decoder reading its list, exported with dynamo=False', function () {
    const tx = pythonFixtures('loopseqtorch', ['torch', 'onnxruntime'], TORCH);
    it('0, 1 and 5 steps: the list concatenated and its last item, as onnxruntime', () => sameAsOrt('torchdec', ['x', 'n'], [0, 1, 2], 2, tx.dir));
    it('a while loop on the list\'s length and its last item: 0, 5 and 31 iterations, the list stacked and its length, as onnxruntime', () => sameAsOrt('torchwhile', ['x', 'limit'], [0, 1, 2], 2, tx.dir));
  });
});
