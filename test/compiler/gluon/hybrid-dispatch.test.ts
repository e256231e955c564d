/**
 * HybridBlock's one dispatch table (`callStrategy` in compiler/gluon/call-strategy.ts):
 * each row, and that a call takes the path the table names (profiler counters).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, profiler, sym } from 'gluonc';
import { callStrategy } from '../../../compiler/gluon/call-strategy.js';
import { setFusion } from '../../../compiler/engine/program.js';

function dense() {
  const d = new gluon.nn.Dense(2, { inUnits: 3 });
  d.initialize();
  return d;
}

describe('HybridBlock dispatch table', () => {
  it('symbols: trace; arrays, not hybridized: eager', () => {
    const d = dense();
    assert.equal(callStrategy(d, [sym.var('x', { shape: [1, 3] })]), 'trace');
    assert.equal(callStrategy(d, [nd.ones([1, 3])]), 'eager');
    assert.equal(autograd.record(() => callStrategy(d, [nd.ones([1, 3])])), 'eager');
  });

  it('hybridized: deferred under record, compiled outside it, with fusion off, or when an input needs a gradient', () => {
    const d = dense().hybridize();
    const x = nd.ones([1, 3]);
    assert.equal(callStrategy(d, [x]), 'compiled');
    assert.equal(autograd.record(() => callStrategy(d, [x])), 'deferred');
    setFusion(false);
    try {
      assert.equal(autograd.record(() => callStrategy(d, [x])), 'compiled');
    } finally {
      setFusion(true);
    }
    const xg = nd.ones([1, 3]);
    xg.attachGrad();
    assert.equal(autograd.record(() => callStrategy(d, [xg])), 'compiled');
  });

  it('a call takes the strategy the table names', () => {
    const d = dense().hybridize();
    const x = nd.ones([1, 3]);
    profiler.reset();
    const y = autograd.record(() => d.call(x)) as nd.NDArray;
    assert.equal(y._pending, true, 'deferred: the output is pending');
    y.toArray();
    const y2 = d.call(x) as nd.NDArray;
    assert.equal(y2._pending, false, 'compiled: the output is computed');
    const e = dense();
    profiler.reset();
    e.call(x);
    assert.equal(profiler.counters().compiles ?? 0, 0, 'eager: nothing compiled for the block');
  });

  it('an input that is not an array is refused by name (inside a list by its path)', () => {
    assert.throws(() => callStrategy(dense(), [[1, 2, 3]]), /Dense: input 0\[0\] must be an NDArray, got number 1 inside a list: .*\(nd\.array\(\[\.\.\.\]\) makes an array of numbers\)/);
    assert.throws(() => callStrategy(dense(), [new Map()]), /Dense: input 0 must be an NDArray, got Map/);
  });

  it('lists: symbols inside a list trace; arrays inside a list never join the fused step (compiled under record)', () => {
    const d = dense();
    assert.equal(callStrategy(d, [[sym.var('x', { shape: [1, 3] })]]), 'trace');
    assert.equal(callStrategy(d, [[nd.ones([1, 3])]]), 'eager');
    d.hybridize();
    assert.equal(autograd.record(() => callStrategy(d, [nd.ones([1, 3])])), 'deferred');
    assert.equal(autograd.record(() => callStrategy(d, [nd.ones([1, 3]), [nd.ones([1, 3])]])), 'compiled');
  });
});
