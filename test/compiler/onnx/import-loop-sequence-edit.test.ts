/**
 * Sequences of run-time length edited at a position (compiler/onnx/read-sequence.ts: the items held stacked, an
 * insert or erase at position p the rows taken in the order it gives): SequenceInsert at a position computed at run
 * time (every one of [-n, n]) and SequenceErase at one (every one of [-n, n - 1]), or without one (a pop at the back),
 * inside a Loop decided at run time whose body reads the list it carries (read-loop.ts), outside one (a SplitToSequence
 * of a symbolic size) and on a sequence of known items whose position is fed; models made with onnx.helper by python3
 * and the file torch.onnx.export (dynamo=False) writes of a scripted module editing its list (insert at i % k, pop(0),
 * del toks[1] under an if, append, insert at -1), each run by python's onnxruntime (the reference) eagerly and
 * hybridized. A position out of range fails the call naming the ONNX node, where onnxruntime's run fails. Skipped, with
 * a message, without python3's onnx and onnxruntime (torch for its file).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { loopListCases } from './loop-list-cases.js';

const SCRIPT = String.raw`
import sys, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
out = sys.argv[1]
F, D, I, I32, B = TP.FLOAT, TP.DOUBLE, TP.INT64, TP.INT32, TP.BOOL
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
def c(name, v, T=F): return nh.from_array(np.array(v, {F: np.float32, D: np.float64, I: np.int64, I32: np.int32}[T]), name)

# edit: the list starts [x, 2x]; each iteration inserts t = tanh(last/2 + first*0.3 + v) at q = (3it mod (2n+1)) - n (every
# position in [-n, n] over the iterations), appends -0.7t, erases at r = ((5it + 1) mod 2(n+2)) - (n+2) (every position in
# [-(n+2), n+1]), and reads the list so far (mean of its concatenation) into v; the list grows by one item per iteration.
def edit(T):
    body = h.make_graph([
        h.make_node('SequenceAt', ['sin', 'neg1'], ['last']), h.make_node('SequenceAt', ['sin', 'zero'], ['first']), h.make_node('SequenceLength', ['sin'], ['n']),
        h.make_node('Mul', ['last', 'half'], ['a']), h.make_node('Mul', ['first', 'p3'], ['b']), h.make_node('Sum', ['a', 'b', 'v'], ['pre']), h.make_node('Tanh', ['pre'], ['t']),
        h.make_node('Mul', ['it', 'three'], ['i3']), h.make_node('Mul', ['n', 'two'], ['n2']), h.make_node('Add', ['n2', 'one'], ['n21']),
        h.make_node('Mod', ['i3', 'n21'], ['qm']), h.make_node('Sub', ['qm', 'n'], ['q']),
        h.make_node('SequenceInsert', ['sin', 't', 'q'], ['s1'], name='ins'), h.make_node('Mul', ['t', 'm07'], ['u']), h.make_node('SequenceInsert', ['s1', 'u'], ['s2']),
        h.make_node('Add', ['n', 'two'], ['n2b']), h.make_node('Mul', ['n2b', 'two'], ['n4']), h.make_node('Mul', ['it', 'five'], ['i5']), h.make_node('Add', ['i5', 'one'], ['i51']),
        h.make_node('Mod', ['i51', 'n4'], ['rm']), h.make_node('Sub', ['rm', 'n2b'], ['r']), h.make_node('SequenceErase', ['s2', 'r'], ['sout'], name='era'),
        h.make_node('ConcatFromSequence', ['sout'], ['cat'], axis=0), h.make_node('ReduceMean', ['cat'], ['cm'], axes=[0], keepdims=0),
        h.make_node('Mul', ['cm', 'tenth'], ['cmt']), h.make_node('Mul', ['v', 'k'], ['vk']), h.make_node('Add', ['vk', 'cmt'], ['vo']), h.make_node('Identity', ['ci'], ['co']),
    ], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', T, [2, 3]), svi('sin', T, None)], [vi('co', B, []), vi('vo', T, [2, 3]), svi('sout', T, None)],
        [c('neg1', -1, I), c('zero', 0, I), c('one', 1, I), c('two', 2, I), c('three', 3, I), c('five', 5, I), c('half', 0.5, T), c('p3', 0.3, T), c('m07', -0.7, T), c('tenth', 0.1, T), c('k', 0.9, T)])
    return h.make_graph([
        h.make_node('MatMul', ['x', 'W'], ['xw']), h.make_node('Add', ['xw', 'xw'], ['x2']), h.make_node('SequenceConstruct', ['xw', 'x2'], ['s0']),
        h.make_node('Loop', ['m', '', 'xw', 's0'], ['vf', 'sf'], body=body, name='edit'),
        h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0), h.make_node('SequenceLength', ['sf'], ['n']), h.make_node('SequenceAt', ['sf', 'neg1o'], ['at']),
    ], 'g', [vi('m', I, []), vi('x', T, [2, 4])], [vi('cat', T, None), vi('n', I, None), vi('at', T, None), vi('vf', T, None)],
        [nh.from_array(rs.randn(4, 3).astype({F: np.float32, D: np.float64}[T]), 'W'), c('neg1o', -1, I)])
x = rs.randn(2, 4).astype(np.float32)
save('edit', edit(F), [{'m': np.array(k, np.int64), 'x': x} for k in (0, 1, 2, 7, 12)])

# mixed: a list inserted into at the back and at the front each iteration (its last item read, and the new last one
# after the insert): each iteration's list is neither the first nor the last rows of the next.
def mixed(T):
    body = h.make_graph([
        h.make_node('SequenceAt', ['sin', 'neg1'], ['last']), h.make_node('Mul', ['last', 'half'], ['lh']), h.make_node('Add', ['lh', 'v'], ['t0']), h.make_node('Tanh', ['t0'], ['t']),
        h.make_node('SequenceInsert', ['sin', 't'], ['s1']), h.make_node('Neg', ['t'], ['nt']), h.make_node('SequenceInsert', ['s1', 'nt', 'zero'], ['sout']),
        h.make_node('SequenceAt', ['s1', 'neg1'], ['new']), h.make_node('Mul', ['new', 'half'], ['nh']), h.make_node('Add', ['v', 'nh'], ['vo']),
        h.make_node('Identity', ['ci'], ['co']),
    ], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', T, [2, 3]), svi('sin', T, None)], [vi('co', B, []), vi('vo', T, [2, 3]), svi('sout', T, None)],
        [c('neg1', -1, I), c('zero', 0, I), c('half', 0.5, T)])
    return h.make_graph([h.make_node('MatMul', ['x', 'W'], ['xw']), h.make_node('SequenceConstruct', ['xw'], ['s0']), h.make_node('Loop', ['m', '', 'xw', 's0'], ['vf', 'sf'], body=body, name='mixed'),
        h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0), h.make_node('SequenceLength', ['sf'], ['n']), h.make_node('SequenceAt', ['sf', 'neg1o'], ['at'])],
        'g', [vi('m', I, []), vi('x', T, [2, 4])], [vi('cat', T, None), vi('n', I, None), vi('at', T, None), vi('vf', T, None)],
        [nh.from_array(rs.randn(4, 3).astype({F: np.float32, D: np.float64}[T]), 'W'), c('neg1o', -1, I)])

# Gradients of Σ cat·r1 + Σ at·r2 + Σ vf·r3 in float64 by central differences through onnxruntime at m iterations.
def fd(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        p, q = a.copy(), a.copy(); p[i] += eps; q[i] -= eps
        g[i] = (f(p) - f(q)) / (2 * eps)
    return g
for name, make, m, rows in (('edit64', edit, 5, 7), ('mixed64', mixed, 3, 7), ('edit64b', edit, 0, 2)):
  g64 = make(D)
  feeds = {'m': np.array(m, np.int64), 'x': x.astype(np.float64)}
  save(name, g64, [feeds])
  W = nh.to_array(g64.initializer[0])
  r1, r2, r3 = rs.randn(2 * rows, 3), rs.randn(2, 3), rs.randn(2, 3)
  for k, r in (('r1', r1), ('r2', r2), ('r3', r3)): np.save(f'{out}/{name}_{k}.npy', r)
  def loss(xv, Wv, w1=1):
    g64.initializer[0].CopyFrom(nh.from_array(Wv, 'W'))
    mm = h.make_model(g64, opset_imports=[h.make_opsetid('', 17)], ir_version=8)
    cat, n, at, vf = ort.InferenceSession(mm.SerializeToString()).run(None, {**feeds, 'x': xv})
    return (cat * r1).sum() * w1 + (at * r2).sum() + (vf * r3).sum()
  np.save(f'{out}/{name}_gx.npy', fd(lambda a: loss(a, W), feeds['x']))
  np.save(f'{out}/{name}_gW.npy', fd(lambda a: loss(feeds['x'], a), W.copy()))
  # Without the list's term (a hybridized loss takes tensors of known shapes: the training step's).
  np.save(f'{out}/{name}_gW0.npy', fd(lambda a: loss(feeds['x'], a, 0), W.copy()))

# fed: positions fed at run time (captured by the body): insert t at p, then erase at e (int32); in range, and out of
# range (onnxruntime fails the run) for the insert and for the erase.
body = h.make_graph([
    h.make_node('SequenceAt', ['sin', 'neg1'], ['last']), h.make_node('Add', ['last', 'v'], ['t']),
    h.make_node('SequenceInsert', ['sin', 't', 'p'], ['s1'], name='ins'), h.make_node('SequenceErase', ['s1', 'e'], ['sout'], name='era'),
    h.make_node('Identity', ['ci'], ['co']), h.make_node('Mul', ['v', 'half'], ['vo']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [2, 3]), svi('sout', F, None)], [c('neg1', -1, I), c('half', 0.5)])
g = h.make_graph([h.make_node('SequenceConstruct', ['x', 'x'], ['s0']), h.make_node('Loop', ['m', '', 'x', 's0'], ['vf', 'sf'], body=body, name='fed'),
    h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0)], 'g', [vi('m', I, []), vi('x', F, [2, 3]), vi('p', I, []), vi('e', I32, [])], [vi('cat', F, None)])
xs = rs.randn(2, 3).astype(np.float32)
save('fed', g, [{'m': np.array(3, np.int64), 'x': xs, 'p': np.array(p, np.int64), 'e': np.array(e, np.int32)} for p, e in ((1, -1), (-2, 0), (2, 2), (0, -3), (-3, 0), (3, 0), (0, 3), (0, -4))])

# pop: a stack of 4 items (x split along its first axis) popped at the back (SequenceErase without a position) after
# reading its last item; 0 to 4 pops as onnxruntime, 5 fail the run (erasing from an empty sequence).
body = h.make_graph([h.make_node('SequenceAt', ['sin', 'neg1'], ['last']), h.make_node('Add', ['v', 'last'], ['vo']),
    h.make_node('SequenceErase', ['sin'], ['sout'], name='pop'), h.make_node('Identity', ['ci'], ['co'])],
    'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [3]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [3]), svi('sout', F, None)], [c('neg1', -1, I)])
g = h.make_graph([h.make_node('SplitToSequence', ['x'], ['s0'], axis=0, keepdims=0), h.make_node('Loop', ['m', '', 'v0', 's0'], ['vf', 'sf'], body=body, name='pop'),
    h.make_node('SequenceLength', ['sf'], ['n'])], 'g', [vi('m', I, []), vi('x', F, [4, 3]), vi('v0', F, [3])], [vi('vf', F, None), vi('n', I, None)])
save('pop', g, [{'m': np.array(k, np.int64), 'x': rs.randn(4, 3).astype(np.float32), 'v0': rs.randn(3).astype(np.float32)} for k in (0, 1, 4, 5)])

# flat: no Loop: x split along its symbolic first axis (a sequence of run-time length), t inserted at p and the item at
# e erased (both fed), concatenated; known: a sequence of 3 items (known length) with a position fed at run time.
g = h.make_graph([h.make_node('SplitToSequence', ['x'], ['s0'], axis=0, keepdims=1), h.make_node('SequenceInsert', ['s0', 't', 'p'], ['s1'], name='ins'),
    h.make_node('SequenceErase', ['s1', 'e'], ['s2'], name='era'), h.make_node('ConcatFromSequence', ['s2'], ['cat'], axis=0), h.make_node('SequenceLength', ['s2'], ['n'])],
    'g', [vi('x', F, ['T', 3]), vi('t', F, [1, 3]), vi('p', I, []), vi('e', I, [])], [vi('cat', F, None), vi('n', I, None)])
t = rs.randn(1, 3).astype(np.float32)
save('flat', g, [{'x': rs.randn(T, 3).astype(np.float32), 't': t, 'p': np.array(p, np.int64), 'e': np.array(e, np.int64)} for T, p, e in ((4, 2, -1), (4, -4, 4), (1, 1, 0), (2, -1, -3), (3, 4, 0), (3, 0, 4))])
g = h.make_graph([h.make_node('SequenceConstruct', ['a', 'b', 'a'], ['s0']), h.make_node('SequenceInsert', ['s0', 'b', 'p'], ['s1'], name='ins'),
    h.make_node('SequenceErase', ['s1', 'e'], ['s2'], name='era'), h.make_node('SequenceAt', ['s2', 'e'], ['at']), h.make_node('ConcatFromSequence', ['s2'], ['cat'], axis=1, new_axis=1)],
    'g', [vi('a', F, [2]), vi('b', F, [2]), vi('p', I, []), vi('e', I, [])], [vi('cat', F, None), vi('at', F, None)])
ab = {'a': rs.randn(2).astype(np.float32), 'b': rs.randn(2).astype(np.float32)}
save('known', g, [{**ab, 'p': np.array(p, np.int64), 'e': np.array(e, np.int64)} for p, e in ((1, 2), (-3, -1), (3, 0), (4, 0))])
`;

/** torch.jit.script of a module editing its list of states in a for loop, exported by the TorchScript exporter. */
const TORCH = String.raw`
import sys, importlib, warnings, numpy as np, torch, onnxruntime as ort
out = sys.argv[1]
warnings.filterwarnings('ignore')
# torch.jit.script reads the module's source: it is written to a file and imported.
open(f'{out}/edit_module.py', 'w').write("""
import torch
from typing import List
class Edit(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)
    def forward(self, x, n: int, k: int):
        toks: List[torch.Tensor] = [x, x * 2, x * 3]
        for i in range(n):
            t = torch.tanh(self.lin(toks[-1]) + toks[0])
            toks.insert(i % k, t)
            toks.pop(0)
            if len(toks) > 3:
                del toks[1]
            toks.append(t * 0.5)
            toks.insert(-1, t + 1)
        return torch.cat(toks, 0), len(toks)
""")
sys.path.insert(0, out)
mod = importlib.import_module('edit_module')
torch.manual_seed(0)
m = torch.jit.script(mod.Edit())
torch.onnx.export(m, (torch.randn(1, 3), 4, 2), f'{out}/torchedit.onnx', dynamo=False, input_names=['x', 'n', 'k'], opset_version=17)
sys.path.remove(out)
del sys.modules['edit_module']
s = ort.InferenceSession(f'{out}/torchedit.onnx')
x = np.random.RandomState(1).randn(1, 3).astype(np.float32)
for j, (n, k) in enumerate(((0, 2), (1, 2), (5, 3), (9, 2))):
    feeds = {'x': x, 'n': np.array(n, np.int64), 'k': np.array(k, np.int64)}
    for name, v in feeds.items(): np.save(f'{out}/torchedit{j}_in_{name}.npy', v)
    got = s.run(None, feeds)
    # The exporter's file computes what the scripted module does.
    want = m(torch.from_numpy(x), n, k)
    assert np.allclose(got[0], want[0].detach().numpy(), atol=1e-6) and int(got[1]) == want[1], (n, k)
    for i, y in enumerate(got): np.save(f'{out}/torchedit{j}_out{i}.npy', y)
`;

describe('imported sequences of run-time length edited at a position (SequenceInsert, SequenceErase), against onnxruntime', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('loopseqedit', ['onnx', 'onnxruntime'], SCRIPT);
  const { npy, net, feeds, sameAsOrt, gradientCase, fusedStepCase } = loopListCases(() => fx.dir);

  /**
   * Each of `runs` fails in onnxruntime, naming the node and the position (`ortIndex`); ours fails the call naming
   * `onnxNode` (the node, or the Loop whose body holds it) and the position the Gather reading it was given.
   */
  function failsAsOrt(name: string, keys: string[], runs: number[], onnxNode: string, ortIndex: RegExp): void {
    for (const j of runs) {
      const file = join(fx.dir, `${name}${j}_error.txt`);
      assert.ok(existsSync(file), `onnxruntime fails ${name} ${j}`);
      assert.match(readFileSync(file, 'utf8'), ortIndex);
      for (const hybrid of [false, true]) {
        assert.throws(() => net(name, hybrid).call(...feeds(name, keys, j)), new RegExp(`ONNX node '${onnxNode}' \\((Loop|SequenceInsert|SequenceErase)\\)[^]*(indices element out of data bounds|out of range for an axis)`), `${name} ${j} (${hybrid ? 'hybridized' : 'eager'})`);
      }
    }
  }

  it('a Loop whose body inserts at every position of [-n, n], appends, erases at every position of [-n, n - 1] and reads the list: 0, 1, 2, 7, 12 iterations', () => {
    sameAsOrt('edit', ['m', 'x'], [0, 1, 2, 3, 4], 4);
  });

  it('positions fed at run time (int64 and int32) inside the Loop; out of range, the call fails naming the node, as onnxruntime\'s run fails', () => {
    sameAsOrt('fed', ['m', 'x', 'p', 'e'], [0, 1, 2, 3], 1);
    failsAsOrt('fed', ['m', 'x', 'p', 'e'], [4, 5], 'fed', /Invalid sequence index \(-?3\)/);
    failsAsOrt('fed', ['m', 'x', 'p', 'e'], [6, 7], 'fed', /Invalid sequence index \(-?[34]\)/);
  });

  it('a stack popped at the back (SequenceErase without a position): 0, 1, 4 pops as onnxruntime; a fifth fails the call as onnxruntime\'s run fails', () => {
    sameAsOrt('pop', ['m', 'x', 'v0'], [0, 1, 2], 2);
    assert.ok(existsSync(join(fx.dir, 'pop3_error.txt')));
    for (const hybrid of [false, true]) assert.throws(() => net('pop', hybrid).call(...feeds('pop', ['m', 'x', 'v0'], 3)), /ONNX node 'pop' \(Loop\)[^]*indices element out of data bounds/);
  });

  it('without a Loop: a SplitToSequence of a symbolic size, and a sequence of known items, edited at positions fed at run time', () => {
    sameAsOrt('flat', ['x', 't', 'p', 'e'], [0, 1, 2, 3], 2);
    failsAsOrt('flat', ['x', 't', 'p', 'e'], [4], 'ins', /Invalid sequence index \(4\)/);
    failsAsOrt('flat', ['x', 't', 'p', 'e'], [5], 'era', /Invalid sequence index \(4\)/);
    sameAsOrt('known', ['a', 'b', 'p', 'e'], [0, 1, 2], 2);
    failsAsOrt('known', ['a', 'b', 'p', 'e'], [3], 'ins', /Invalid sequence index \(4\)/);
  });

  for (const [name, what] of [['edit64', 'inserted into at positions, appended to and erased from (5 iterations)'], ['mixed64', 'inserted into at the back and the front (3 iterations)'], ['edit64b', 'edited, at 0 iterations']] as const) {
    it(`gradients into the input and the parameter W through a list ${what}, as central differences of onnxruntime in float64`, () => gradientCase(name));
  }

  it(`a training step (record, backward, trainer.step: one fused step, the forward Loop keeping each iteration) through edit64: SGD's update as central differences`, () => fusedStepCase('edit64'));

  describe('torch.jit.script of a module editing its list, exported with dynamo=False', function () {
    const tx = pythonFixtures('loopseqedittorch', ['torch', 'onnxruntime'], TORCH);
    it('insert at i % k, pop(0), del toks[1] under an if, append, insert at -1: 0, 1, 5 and 9 steps, as onnxruntime (and torch)', () => sameAsOrt('torchedit', ['x', 'n', 'k'], [0, 1, 2, 3], 2, tx.dir));
  });
});
