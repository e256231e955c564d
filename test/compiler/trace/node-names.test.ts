/**
 * MXNet's node names on symbols (compiler/trace/node-names.ts) and the
 * grouped symbol of getInternals (compiler/trace/symbol.ts). Every expected
 * list is written out here from MXNet's rules, not read from gluonc:
 * - python/mxnet/name.py NameManager.get(name, hint): a given name is
 *   returned as it is (no counter, no check for duplicates); otherwise
 *   '%s%d' % (hint, counter[hint]) and that hint's counter goes up; a new
 *   `with NameManager():` starts every counter at 0;
 * - python/mxnet/symbol/register.py: the hint of a generated operator
 *   function is its own name lower-cased (`FullyConnected` -> fullyconnected,
 *   `slice_axis` -> slice_axis, `split` -> split);
 * - nnvm src/core/symbolic.cc ListOutputNames: a variable's name; else
 *   `<node name>_<output name>`, the output name `output` for a node of one
 *   output, `output<i>` for several;
 * - nnvm GetInternals: DFSVisit over the heads, post order (a node after its
 *   inputs, inputs from the first, every node once), each node's outputs;
 * - python/mxnet/symbol/symbol.py __getitem__: a name matches exactly one
 *   output ("There are multiple outputs with name", "Cannot find output that
 *   matches name").
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';

describe('sym: node names and getInternals', () => {
  it('names nodes as NameManager: given names as they are, automatic ones counted per operator', () => {
    sym.withNameManager(() => {
      const data = sym.var('data');
      const a = sym.FullyConnected(data, { numHidden: 4 });
      const b = sym.FullyConnected(a, { numHidden: 4, name: 'fc1' });   // a given name takes no number
      const c = sym.FullyConnected(b, { numHidden: 4 });
      const r = sym.Activation(c, { actType: 'relu' });
      const l = sym.LeakyReLU(r, { slope: 0.1 });
      const s = sym.sliceAxis(l, { axis: 1, begin: 0, end: 2 });
      assert.deepEqual([data.name, a.name, b.name, c.name, r.name, l.name, s.name],
        ['data', 'fullyconnected0', 'fc1', 'fullyconnected1', 'activation0', 'leakyrelu0', 'slice_axis0']);
      // The parameters an unnamed call creates take its automatic name.
      assert.deepEqual(c.listArguments(), ['data', 'fullyconnected0_weight', 'fullyconnected0_bias', 'fc1_weight', 'fc1_bias', 'fullyconnected1_weight', 'fullyconnected1_bias']);
      assert.deepEqual(c.listOutputs(), ['fullyconnected1_output']);
      assert.deepEqual(data.listOutputs(), ['data']);
      assert.match(String(b), /^<Symbol fc1 float32/);
      // A new name manager counts from 0 again, and the outer one resumes where it was.
      sym.withNameManager(() => assert.equal(sym.FullyConnected(data, { numHidden: 1 }).name, 'fullyconnected0'));
      assert.equal(sym.FullyConnected(data, { numHidden: 1 }).name, 'fullyconnected2');
    });
  });

  it('getInternals lists every node in MXNet\'s order, variables included (the tutorial\'s list)', () => {
    sym.withNameManager(() => {
      const data = sym.var('data');
      const conv = sym.Convolution(data, { kernel: [3, 3], numFilter: 2 });
      const bn = sym.BatchNorm(conv, { name: 'bn' });
      const act = sym.Activation(bn, { actType: 'relu' });
      const pool = sym.Pooling(act, { kernel: [2, 2], stride: [2, 2], poolType: 'max' });
      const flat = sym.Flatten(pool);
      const fc = sym.FullyConnected(flat, { numHidden: 3, name: 'fc1' });
      const out = sym.SoftmaxOutput(fc, { name: 'softmax' });
      const all = out.getInternals();
      assert.ok(Array.isArray(all) && all instanceof sym.SymbolGroup);
      assert.deepEqual(all.listOutputs(), [
        'data', 'convolution0_weight', 'convolution0_bias', 'convolution0_output',
        'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var', 'bn_output',
        'activation0_output', 'pooling0_output', 'flatten0_output',
        'fc1_weight', 'fc1_bias', 'fc1_output', 'softmax_label', 'softmax_output',
      ]);
      assert.deepEqual(out.get_internals().listOutputs(), all.listOutputs());
      // Indexing by name gives the node's own symbol (MXNet's all_layers['flatten0_output']); by position too.
      assert.equal(all.get('flatten0_output').value, flat.value);
      assert.equal(all.get(11).value, flat.value);
      assert.equal(all[11]!.value, flat.value);
      assert.equal(all.get('fc1_weight').name, 'fc1_weight');
      assert.deepEqual(all.get('flatten0_output').listArguments(), ['data', 'convolution0_weight', 'convolution0_bias', 'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var']);
      // getChildren: the node's inputs; a variable has none.
      assert.deepEqual(fc.getChildren()!.listOutputs(), ['flatten0_output', 'fc1_weight', 'fc1_bias']);
      assert.equal(data.getChildren(), null);
      // The internals of an internal symbol are the prefix of the list up to it.
      assert.deepEqual(flat.getInternals().listOutputs(), all.listOutputs().slice(0, 12));
      // Array methods give plain arrays of symbols.
      assert.equal(all.slice(0, 2).constructor, Array);
    });
  });

  it('a shared input is listed once, where the first path reaches it; several heads in order', () => {
    sym.withNameManager(() => {
      const a = sym.var('a');
      const b = sym.var('b');
      const s = sym.FullyConnected(sym.Concat(b, a, { dim: 1, name: 'cat' }), a, { numHidden: 2, noBias: true, name: 'fc' });
      const t = sym.Activation(b, { actType: 'tanh', name: 't' });
      // DFS from fc: cat (b, a), then fc's second input a (visited already), fc; then t's input b (visited), t.
      assert.deepEqual(sym.Group([s, t]).getInternals().listOutputs(), ['b', 'a', 'cat_output', 'fc_output', 't_output']);
      assert.deepEqual(sym.Group([s, t]).listOutputs(), ['fc_output', 't_output']);
      assert.deepEqual(sym.Group([t, s]).getInternals().listOutputs(), ['b', 't_output', 'a', 'cat_output', 'fc_output']);
    });
  });

  it('a node of several outputs names them output0, output1, ...', () => {
    sym.withNameManager(() => {
      const x = sym.var('x', { shape: [2, 6] });
      const parts = sym.split(x, { numOutputs: 3, axis: 1 }) as unknown as sym.Symbol[];
      assert.deepEqual(parts.map((p) => p.listOutputs()[0]), ['split0_output0', 'split0_output1', 'split0_output2']);
      assert.deepEqual(parts[1]!.name, 'split0');
      const y = sym.Concat(parts[0]!, parts[2]!, { dim: 1, name: 'cat' });
      assert.deepEqual(y.getInternals().listOutputs(), ['x', 'split0_output0', 'split0_output1', 'split0_output2', 'cat_output']);
    });
  });

  it('names change nothing that is computed, and a symbol made inside a hybridized block has none', () => {
    sym.withNameManager(() => {
      const x = sym.var('x', { shape: [2, 3] });
      const named = sym.Activation(x, { actType: 'relu', name: 'r' });
      const unnamed = sym.Activation(x, { actType: 'relu' });
      assert.equal(named.name, 'r');
      assert.equal(unnamed.name, 'activation0');
      const v = nd.array([[-1, 0, 2], [3, -4, 0.5]]);
      assert.deepEqual((named.eval({ x: v }) as nd.NDArray).toArray(), [[0, 0, 2], [3, 0, 0.5]]);
      assert.deepEqual((unnamed.eval({ x: v }) as nd.NDArray).toArray(), [[0, 0, 2], [3, 0, 0.5]]);
    });
  });

  it('an unknown output name is an Error with the near names; duplicates are allowed, as MXNet, until indexed by name', () => {
    sym.withNameManager(() => {
      const data = sym.var('data');
      const flat = sym.Flatten(data);
      const fc = sym.FullyConnected(flat, { numHidden: 2, name: 'fc1' });
      const all = fc.getInternals();
      assert.throws(() => all.get('flaten0_output'), /Symbol.get: cannot find output that matches name "flaten0_output" \(did you mean 'flatten0_output'\?\)/);
      assert.throws(() => all.get('fc1'), /cannot find output that matches name "fc1" \(did you mean 'fc1_bias', 'fc1_weight', 'fc1_output'\?\)/);
      assert.throws(() => all.get(5), /Symbol.get: index 5 is out of range \(the symbol has 5 outputs\)/);
      assert.throws(() => fc.get('fc1'), /cannot find output that matches name "fc1"/);
      assert.equal(fc.get('fc1_output'), fc);
      // Two nodes given one name: both listed; a lookup by that name is ambiguous, by position is not.
      const twice = sym.FullyConnected(fc, sym.var('w2'), sym.var('b2'), { numHidden: 2, name: 'fc1' } as never);
      const names = twice.getInternals().listOutputs();
      assert.deepEqual(names, ['data', 'flatten0_output', 'fc1_weight', 'fc1_bias', 'fc1_output', 'w2', 'b2', 'fc1_output']);
      assert.throws(() => twice.getInternals().get('fc1_output'), /there are multiple outputs with name "fc1_output" \(outputs 4, 7/);
      assert.equal(twice.getInternals().get(7).value, twice.value);
      assert.throws(() => sym.FullyConnected(data, { numHidden: 2, name: '' }), /option 'name' must be a non-empty string/);
    });
  });
});
