/**
 * cli/train-artifact.ts: what a model file's `trainer`, `loss` and `labels`
 * exports decide for `compile --train`. An export of the wrong kind is a
 * one-line UserError naming the export, never a silent default (an
 * `optimizer` that is not a name trained with SGD; a `labels` shape given as
 * a string was spread into letters).
 */
import assert from 'node:assert/strict';
import { gluon, optimizer } from '../../compiler/gluon/index.js';
import { chooseLoss, chooseOptimizer } from '../../cli/train-artifact.js';

const where = "'m.ts'";
const inputs = { x: { shape: ['N', 4] as (string | number)[] } };

describe('cli/train-artifact', () => {
  it("trainer: a name alone is the optimizer with its defaults (as gluon.Trainer(params, 'adam'))", () => {
    const o = chooseOptimizer({ inputs, trainer: 'adam' as unknown as Record<string, unknown>, where });
    assert.ok(o instanceof optimizer.Adam, o.constructor.name);
    assert.ok(chooseOptimizer({ inputs, trainer: { optimizer: 'rmsprop', learningRate: 0.5 }, where }) instanceof optimizer.RMSProp);
    assert.ok(chooseOptimizer({ inputs, where }) instanceof optimizer.SGD);
  });

  it('trainer: an optimizer that is not a name, or a trainer that is neither a name nor an object, is refused by name (it trained with SGD)', () => {
    for (const trainer of [{ optimizer: new optimizer.Adam() }, { optimizer: 42 }, { optimizer: '' }, 42, [1], null]) {
      assert.throws(
        () => chooseOptimizer({ inputs, trainer: trainer as unknown as Record<string, unknown>, where }),
        (e: Error) => e.name === 'UserError' && /^'m\.ts': 'trainer' export: /.test(e.message) && /optimizer/.test(e.message),
        JSON.stringify(trainer),
      );
    }
  });

  it('labels: a spec that is not { shape: [dims], dtype? } is refused by name (a string shape was spread into letters)', () => {
    for (const labels of [{ shape: 'NT' }, { shape: ['N', -1] }, { shape: ['N', 1.5] }, { shape: ['N'], dtype: 'float33' }, 'N', null]) {
      assert.throws(
        () => chooseLoss({ inputs, labels: labels as never, where }, ['N', 3]),
        (e: Error) => e.name === 'UserError' && /^'m\.ts': 'labels' export/.test(e.message),
        JSON.stringify(labels),
      );
    }
    const ok = chooseLoss({ inputs, labels: { shape: ['N', 3], dtype: 'float32' }, loss: new gluon.loss.L2Loss(), where }, ['N', 3]);
    assert.deepEqual(ok.label, { shape: ['N', 3], dtype: 'float32' });
  });
});
