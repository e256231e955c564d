/**
 * A Loop decided at run time whose body only appends to the list it carries
 * and reads it near its ends (compiler/onnx/read-loop.ts with
 * read-sequence.ts `ListTail`): SequenceAt at constant positions among its
 * first items and its last ones (before and after this iteration's
 * inserts), SequenceLength; the Loop then carries the list's last rows and
 * its length, its appended items are scan outputs (no copy of the list per
 * iteration: the exported Loop carries values of fixed shapes only), one
 * that starts empty its length only. A read beyond
 * the last 8 items carries the list stacked instead, with the same results.
 * Models made with onnx.helper by python3 and the file torch.onnx.export
 * (dynamo=False) writes of a scripted greedy decoder reading toks[-1] and
 * len(toks), each run by python's onnxruntime (the reference) at several
 * trip counts, eagerly and hybridized; gradients into the input and a
 * parameter against central differences of onnxruntime in float64. Skipped,
 * with a message, without python3's onnx and onnxruntime (torch for its file).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { onnx } from '../../../compiler/onnx/proto.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { loopListCases } from './loop-list-cases.js';

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
def c(name, v, T=F): return nh.from_array(np.array(v, {F: np.float32, D: np.float64, I: np.int64}[T]), name)

# tail: the list starts [xw, 2xw, 3xw]; each iteration reads its items -1 and -3, item 1 and its length, appends
# t = tanh(...), reads the new list's items -1 (t) and -2, appends u = t * d / 2; v mixes d and the new length.
# far (far=1): the list starts with 9 items (x split) and item -9 is read: beyond the last 8, carried stacked.
def tail(T, far=False):
    body = h.make_graph([
        h.make_node('SequenceAt', ['sin', 'neg1'], ['a']), h.make_node('SequenceAt', ['sin', 'neg9' if far else 'neg3'], ['b']), h.make_node('SequenceAt', ['sin', 'one'], ['f']),
        h.make_node('SequenceLength', ['sin'], ['L']), h.make_node('Cast', ['L'], ['Lf'], to=T), h.make_node('Mul', ['Lf', 'hund'], ['l']),
        h.make_node('Mul', ['a', 'half'], ['a2']), h.make_node('Mul', ['b', 'p3'], ['b2']), h.make_node('Mul', ['f', 'p2'], ['f2']),
        h.make_node('Sum', ['a2', 'b2', 'f2', 'v', 'l'], ['pre']), h.make_node('Tanh', ['pre'], ['t']),
        h.make_node('SequenceInsert', ['sin', 't'], ['s1']), h.make_node('SequenceAt', ['s1', 'neg1'], ['cc']), h.make_node('SequenceAt', ['s1', 'neg2'], ['d']),
        h.make_node('Mul', ['cc', 'd'], ['cd']), h.make_node('Mul', ['cd', 'half'], ['u']), h.make_node('SequenceInsert', ['s1', 'u'], ['sout']),
        h.make_node('SequenceLength', ['sout'], ['L2']), h.make_node('Cast', ['L2'], ['L2f'], to=T), h.make_node('Mul', ['L2f', 'hund'], ['l2']),
        h.make_node('Mul', ['v', 'k'], ['vk']), h.make_node('Mul', ['d', 'tenth'], ['dt']), h.make_node('Sum', ['vk', 'dt', 'l2'], ['vo']), h.make_node('Identity', ['ci'], ['co']),
    ], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', T, [3]), svi('sin', T, None)], [vi('co', B, []), vi('vo', T, [3]), svi('sout', T, None)],
        [c('neg1', -1, I), c('neg2', -2, I), c('neg3', -3, I), c('neg9', -9, I), c('one', 1, I), c('half', 0.5, T), c('p3', 0.3, T), c('p2', 0.2, T),
         c('hund', 0.01, T), c('k', 0.9, T), c('tenth', 0.1, T)])
    if far:
        start = [h.make_node('MatMul', ['x', 'W'], ['xw']), h.make_node('SplitToSequence', ['xw'], ['s0'], axis=0, keepdims=0), h.make_node('SequenceAt', ['s0', 'zero'], ['v0'])]
        xs = [vi('m', I, []), vi('x', T, [9, 4])]
    else:
        start = [h.make_node('MatMul', ['x', 'W'], ['xw']), h.make_node('Reshape', ['xw', 'flat'], ['v0']), h.make_node('Add', ['v0', 'v0'], ['x2']), h.make_node('Add', ['x2', 'v0'], ['x3']),
                 h.make_node('SequenceConstruct', ['v0', 'x2', 'x3'], ['s0'])]
        xs = [vi('m', I, []), vi('x', T, [1, 4])]
    return h.make_graph(start + [
        h.make_node('Loop', ['m', '', 'v0', 's0'], ['vf', 'sf'], body=body, name='tail'),
        h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0, new_axis=1), h.make_node('SequenceLength', ['sf'], ['n']), h.make_node('SequenceAt', ['sf', 'neg1o'], ['at']),
    ], 'g', xs, [vi('cat', T, None), vi('n', I, None), vi('at', T, None), vi('vf', T, None)],
        [nh.from_array(rs.randn(4, 3).astype({F: np.float32, D: np.float64}[T]), 'W'), c('neg1o', -1, I), c('zero', 0, I), c('flat', [3], I)])
x = rs.randn(1, 4).astype(np.float32)
save('tail', tail(F), [{'m': np.array(k, np.int64), 'x': x} for k in (0, 1, 4, 9)])
# branch: an If on the iteration's parity (computed at run time) appends t or -t (each branch inserts into the outer
# list); the new list's length and last item are read, then u appended.
thn = h.make_graph([h.make_node('SequenceInsert', ['sin', 't'], ['st'])], 'then', [], [svi('st', F, None)])
els = h.make_graph([h.make_node('Neg', ['t'], ['nt']), h.make_node('SequenceInsert', ['sin', 'nt'], ['se'])], 'else', [], [svi('se', F, None)])
body = h.make_graph([
    h.make_node('SequenceAt', ['sin', 'neg1'], ['a']), h.make_node('Add', ['a', 'v'], ['pre']), h.make_node('Tanh', ['pre'], ['t']),
    h.make_node('Mod', ['it', 'two'], ['par']), h.make_node('Equal', ['par', 'zero'], ['even']), h.make_node('If', ['even'], ['s1'], then_branch=thn, else_branch=els, name='pick'),
    h.make_node('SequenceLength', ['s1'], ['L']), h.make_node('Cast', ['L'], ['Lf'], to=F), h.make_node('SequenceAt', ['s1', 'neg1'], ['b']),
    h.make_node('Mul', ['b', 'Lf'], ['bl']), h.make_node('Mul', ['bl', 'tenth'], ['u']), h.make_node('SequenceInsert', ['s1', 'u'], ['sout']),
    h.make_node('Identity', ['ci'], ['co']), h.make_node('Identity', ['b'], ['vo']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [3]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [3]), svi('sout', F, None)],
    [c('neg1', -1, I), c('two', 2, I), c('zero', 0, I), c('tenth', 0.1)])
g = h.make_graph([h.make_node('SequenceConstruct', ['x'], ['s0']), h.make_node('Loop', ['m', '', 'x', 's0'], ['vf', 'sf'], body=body, name='branch'),
    h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0, new_axis=1), h.make_node('SequenceLength', ['sf'], ['n'])],
    'g', [vi('m', I, []), vi('x', F, [3])], [vi('cat', F, None), vi('n', I, None), vi('vf', F, None)])
save('branch', g, [{'m': np.array(k, np.int64), 'x': rs.randn(3).astype(np.float32)} for k in (0, 1, 6)])
# count: a while loop on the length of a list that starts empty (SequenceEmpty): each iteration appends t = v * (len + 1)
# and reads it back (SequenceAt -1 after the insert); it goes on while the new length is below the limit fed.
body = h.make_graph([
    h.make_node('SequenceLength', ['sin'], ['L']), h.make_node('Cast', ['L'], ['Lf'], to=F), h.make_node('Add', ['Lf', 'onef'], ['L1']),
    h.make_node('Mul', ['v', 'L1'], ['t']), h.make_node('SequenceInsert', ['sin', 't'], ['sout']), h.make_node('SequenceAt', ['sout', 'neg1'], ['b']),
    h.make_node('Mul', ['b', 'tenth'], ['bt']), h.make_node('Add', ['v', 'bt'], ['vo']),
    h.make_node('SequenceLength', ['sout'], ['L2']), h.make_node('Less', ['L2', 'lim'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2]), svi('sin', F, None)], [vi('co', B, []), vi('vo', F, [2]), svi('sout', F, None)],
    [c('neg1', -1, I), c('onef', 1.0), c('tenth', 0.1)])
g = h.make_graph([h.make_node('SequenceEmpty', [], ['s0'], dtype=F), h.make_node('Less', ['zero', 'lim'], ['c0']),
    h.make_node('Loop', ['', 'c0', 'x', 's0'], ['vf', 'sf'], body=body, name='count'),
    h.make_node('SequenceLength', ['sf'], ['n']), h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0, new_axis=1)],
    'g', [vi('lim', I, []), vi('x', F, [2])], [vi('n', I, None), vi('vf', F, None), vi('cat', F, None)], [c('zero', 0, I)])
save('count', g, [{'lim': np.array(k, np.int64), 'x': rs.randn(2).astype(np.float32)} for k in (1, 2, 7)])
x9 = rs.randn(9, 4).astype(np.float32)
save('far', tail(F, True), [{'m': np.array(k, np.int64), 'x': x9} for k in (0, 1, 5)])

# Gradients of Σ cat·r1 + Σ at·r2 + Σ vf·r3 in float64 by central differences through onnxruntime at m = 4.
def fd(f, a, eps=1e-6):
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        p, q = a.copy(), a.copy(); p[i] += eps; q[i] -= eps
        g[i] = (f(p) - f(q)) / (2 * eps)
    return g
for name, far, xv, items in (('tail64', False, x, 11), ('far64', True, x9, 17)):
  g64 = tail(D, far)
  feeds = {'m': np.array(4, np.int64), 'x': xv.astype(np.float64)}
  save(name, g64, [feeds])
  W = nh.to_array(g64.initializer[0])
  r1, r2, r3 = rs.randn(items, 3), rs.randn(3), rs.randn(3)
  for k, r in (('r1', r1), ('r2', r2), ('r3', r3)): np.save(f'{out}/{name}_{k}.npy', r)
  def loss(xa, Wv, w1=1):
    g64.initializer[0].CopyFrom(nh.from_array(Wv, 'W'))
    mm = h.make_model(g64, opset_imports=[h.make_opsetid('', 17)], ir_version=8)
    cat, n, at, vf = ort.InferenceSession(mm.SerializeToString()).run(None, {**feeds, 'x': xa})
    return (cat * r1).sum() * w1 + (at * r2).sum() + (vf * r3).sum()
  np.save(f'{out}/{name}_gx.npy', fd(lambda a: loss(a, W), feeds['x']))
  np.save(f'{out}/{name}_gW.npy', fd(lambda a: loss(feeds['x'], a), W.copy()))
  # Without the list's term (a hybridized loss takes tensors of known shapes: the training step's).
  np.save(f'{out}/{name}_gW0.npy', fd(lambda a: loss(feeds['x'], a, 0), W.copy()))
`;

/** torch.jit.script of a greedy decoder reading its last token and the list's length, exported by the TorchScript exporter. */
const TORCH = String.raw`
import sys, importlib, warnings, numpy as np, torch, onnxruntime as ort
out = sys.argv[1]
warnings.filterwarnings('ignore')
open(f'{out}/greedy_module.py', 'w').write("""
import torch
from typing import List
class Greedy(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)
    def forward(self, x, n: int):
        toks: List[torch.Tensor] = [x]
        for i in range(n):
            toks.append(torch.tanh(self.lin(toks[-1]) + len(toks) * 0.01))
        return torch.cat(toks, 0), toks[-1]
""")
sys.path.insert(0, out)
mod = importlib.import_module('greedy_module')
torch.manual_seed(0)
m = torch.jit.script(mod.Greedy())
torch.onnx.export(m, (torch.randn(1, 3), 4), f'{out}/greedy.onnx', dynamo=False, input_names=['x', 'n'], opset_version=17)
sys.path.remove(out)
del sys.modules['greedy_module']
s = ort.InferenceSession(f'{out}/greedy.onnx')
x = np.random.RandomState(1).randn(1, 3).astype(np.float32)
for j, n in enumerate((0, 1, 7)):
    feeds = {'x': x, 'n': np.array(n, np.int64)}
    for name, v in feeds.items(): np.save(f'{out}/greedy{j}_in_{name}.npy', v)
    got = s.run(None, feeds)
    assert np.allclose(got[0], m(torch.from_numpy(x), n)[0].detach().numpy(), atol=1e-6), n
    for i, y in enumerate(got): np.save(f'{out}/greedy{j}_out{i}.npy', y)
`;

describe('imported Loops whose body appends to its list and reads it near its ends: its last rows carried, against onnxruntime', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('loopseqtail', ['onnx', 'onnxruntime'], SCRIPT);
  const { npy, net, sameAsOrt, gradientCase, fusedStepCase } = loopListCases(() => fx.dir);

  /**
   * The shapes of the loop-carried inputs of the exported Loop body of `name` (hybridized, called once with data set
   * 0): a dimension the file does not fix is '?' (a list carried stacked grows along its first).
   */
  function carriedShapes(name: string, keys: string[], dir = fx.dir): string[] {
    const b = net(name, true, dir);
    b.call(...keys.map((k) => new nd.NDArray(npy(`${name}0_in_${k}`, dir))));
    const file = join(dir, `${name}-exported.onnx`);
    b.export(file);
    const graph = onnx.ModelProto.decode(readFileSync(file)).graph!;
    const loops = (graph.node ?? []).filter((n) => n.opType === 'Loop');
    assert.equal(loops.length, 1, `${name}: one Loop`);
    const inputs = loops[0]!.attribute!.find((a) => a.name === 'body')!.g!.input ?? [];
    return inputs.slice(2).map((v) => `[${(v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? String(d.dimValue) : '?')).join(', ')}]`);
  }

  it('items -1 and -3 and item 1 of the list, its length, the new list\'s items -1 and -2 after an insert, two appends: 0, 1, 4, 9 iterations; its Loop carries no list', () => {
    sameAsOrt('tail', ['m', 'x'], [0, 1, 2, 3], 4);
    assert.deepEqual(carriedShapes('tail', ['m', 'x']), ['[3]', '[3, 3]', '[]'], 'v, the last 3 rows, the length');
  });

  it('item -9 of a list of 9 and more (beyond the last 8): the list carried stacked, 0, 1, 5 iterations', () => {
    sameAsOrt('far', ['m', 'x'], [0, 1, 2], 4);
    assert.deepEqual(carriedShapes('far', ['m', 'x']), ['[3]', '[?, 3]'], 'v, the list stacked');
  });

  it('an If computed at run time appending t or -t to the list, its new length and last item read: 0, 1, 6 iterations; its Loop carries no list', () => {
    sameAsOrt('branch', ['m', 'x'], [0, 1, 2], 3);
    assert.deepEqual(carriedShapes('branch', ['m', 'x']), ['[3]', '[1, 3]', '[]']);
  });

  it('a while loop on the length of a list that starts empty, its new last item read: limits 1, 2, 7 as onnxruntime; its Loop carries the length only', () => {
    sameAsOrt('count', ['lim', 'x'], [0, 1, 2], 3);
    assert.deepEqual(carriedShapes('count', ['lim', 'x']), ['[2]', '[]']);
  });

  for (const name of ['tail64', 'far64']) {
    it(`gradients into the input and the parameter W (${name}), as central differences of onnxruntime in float64`, () => gradientCase(name));
  }

  it(`a training step (record, backward, trainer.step: one fused step, the forward Loop keeping each iteration) through tail64: SGD's update as central differences`, () => fusedStepCase('tail64'));

  describe('torch.jit.script of a greedy decoder reading toks[-1] and len(toks), exported with dynamo=False', function () {
    const tx = pythonFixtures('loopseqtailtorch', ['torch', 'onnxruntime'], TORCH);
    it('0, 1 and 7 steps as onnxruntime (and torch); its Loop carries the last token and the length, not the list', () => {
      sameAsOrt('greedy', ['x', 'n'], [0, 1, 2], 2, tx.dir);
      assert.deepEqual(carriedShapes('greedy', ['x', 'n'], tx.dir), ['[1, 1, 3]', '[]']);
    });
  });
});
