/**
 * gluon.nn's containers as d2l's MXNet chapters use them: `class MLP(nn.Block)`
 * (MXNet's gluon.nn re-exports Block, HybridBlock and SymbolBlock) and
 * `for blk in self.net:` over a Sequential (DenseNet's dense block).
 */
import assert from 'node:assert/strict';
import { gluon, np, random } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';

const { nn } = gluon;

describe('gluon.nn: Block, HybridBlock and iteration over a Sequential (d2l MXNet)', () => {
  it('nn.Block, nn.HybridBlock and nn.SymbolBlock are gluon.Block, gluon.HybridBlock and gluon.SymbolBlock', () => {
    assert.equal(nn.Block, gluon.Block);
    assert.equal(nn.HybridBlock, gluon.HybridBlock);
    assert.equal(nn.SymbolBlock, gluon.SymbolBlock);
    class MLP extends nn.Block {
      hidden = new nn.Dense(256, { activation: 'relu' });
      output = new nn.Dense(10);
      override forward(x: NDArray) {
        return this.output.call(this.hidden.call(x));
      }
    }
    random.seed(0);
    const net = new MLP();
    net.initialize();
    assert.deepEqual((net.call(np.random.uniform(0, 1, [2, 20])) as NDArray).shape, [2, 10]);
    assert.deepEqual(net.collectParams().keys(), ['hidden.weight', 'hidden.bias', 'output.weight', 'output.bias']);
  });

  it('a Sequential and a HybridSequential iterate over their children in order', () => {
    for (const net of [new nn.Sequential(), new nn.HybridSequential()]) {
      const a = new nn.Dense(2);
      const b = new nn.Dense(3);
      net.add(a, b);
      assert.deepEqual([...net], [a, b]);
      const seen: gluon.Block[] = [];
      for (const blk of net) seen.push(blk);
      assert.deepEqual(seen, [a, b]);
    }
    assert.deepEqual([...new nn.Sequential()], []);
  });

  it("net.get<nn.Dense>(i) is Python's net[i] with the child's type (net[0].weight), negative from the end", () => {
    const net = new nn.Sequential();
    net.add(new nn.Dense(8, { inUnits: 4 }), new nn.Dense(1, { inUnits: 8 }));
    net.initialize();
    assert.deepEqual(net.get<gluon.nn.Dense>(0).weight.data().shape, [8, 4]);
    assert.equal(net.get<gluon.nn.Dense>(-1), net.get(1));
    assert.throws(() => net.get(2), /Sequential: no child 2 \(it has 2\)/);
  });
});
