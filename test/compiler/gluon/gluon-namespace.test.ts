/**
 * The `gluon` namespace (compiler/gluon/gluon-namespace.ts): its classes are
 * values and types alike (`const d: gluon.nn.Dense` — `npm test` type-checks
 * this file first, so a class that stops being a type fails the run), it
 * holds what the package promised, and `collectParams()` iterates as the
 * README uses it.
 */
import assert from 'node:assert/strict';
import { gluon, init, nd } from 'gluonc';
import * as nnMod from '../../../compiler/gluon/nn/index.js';
import * as lossMod from '../../../compiler/gluon/loss/index.js';

describe('gluon namespace', () => {
  it('layer, loss, rnn and data classes are usable as types', () => {
    const d: gluon.nn.Dense = new gluon.nn.Dense(3, { inUnits: 2 });
    const seq: gluon.nn.HybridSequential = new gluon.nn.HybridSequential();
    const conv: gluon.nn.Conv2D = new gluon.nn.Conv2D(4, 3);
    const l: gluon.loss.L2Loss = new gluon.loss.L2Loss();
    const lstm: gluon.rnn.LSTM = new gluon.rnn.LSTM(8);
    const ds: gluon.data.ArrayDataset = new gluon.data.ArrayDataset(nd.ones([4, 2]));
    const b: gluon.Block = d;
    const h: gluon.HybridBlock = seq;
    const layers: gluon.nn.Dense[] = [d];
    seq.add(...layers);
    assert.ok(b instanceof gluon.nn.Dense && h instanceof gluon.nn.HybridSequential);
    assert.ok(conv instanceof gluon.HybridBlock && l instanceof gluon.HybridBlock && lstm instanceof gluon.Block);
    assert.equal(ds.length, 4);
  });

  it('holds the blocks, parameters, Trainer and the whole nn and loss folders', () => {
    for (const k of ['Block', 'HybridBlock', 'SymbolBlock', 'Parameter', 'ParameterDict', 'Trainer', 'nn', 'rnn', 'loss', 'data'] as const) {
      assert.ok(gluon[k], `gluon.${k} is missing`);
    }
    assert.deepEqual(Object.keys(gluon.nn).sort(), Object.keys(nnMod).sort());
    assert.equal(gluon.nn.Dense, nnMod.Dense);
    assert.deepEqual(Object.keys(gluon.loss).sort(), Object.keys(lossMod).sort());
  });

  it('collectParams() iterates as [name, Parameter] pairs, in registration order', () => {
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(3, { inUnits: 2 }), new gluon.nn.Dense(1, { inUnits: 3, useBias: false }));
    net.initialize(new init.Xavier());
    const seen: string[] = [];
    for (const [name, p] of net.collectParams()) seen.push(`${name} ${p.shape.join('x')}`);
    assert.deepEqual(seen, ['0.weight 3x2', '0.bias 3', '1.weight 1x3']);
    assert.deepEqual([...net.collectParams()].map(([n]) => n), net.collectParams().keys());
    assert.deepEqual(Object.keys(Object.fromEntries(net.collectParams())), ['0.weight', '0.bias', '1.weight']);
    assert.equal(new Map(net.collectParams()).get('0.bias'), net.collectParams().get('0.bias'));
    const total = net.collectParams().values().reduce((n, p) => n + p.data().size, 0);
    assert.equal(total, 3 * 2 + 3 + 3);
  });
});
