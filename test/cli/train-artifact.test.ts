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
    // Each refusal names what it got (every message ends with the same example, which mentions 'optimizer' too).
    const bad: [unknown, string][] = [
      [{ optimizer: new optimizer.Adam() }, "optimizer must be an optimizer's name, got an object of class Adam;"],
      [{ optimizer: 42 }, "optimizer must be an optimizer's name, got 42;"],
      [{ optimizer: '' }, "optimizer must be an optimizer's name, got \"\";"],
      [42, 'got a number;'],
      [[1], 'got a list;'],
      [null, 'got null;'],
    ];
    for (const [trainer, got] of bad) {
      assert.throws(
        () => chooseOptimizer({ inputs, trainer: trainer as unknown as Record<string, unknown>, where }),
        (e: Error) => e.name === 'UserError' && e.message.startsWith(`'m.ts': 'trainer' export: ${got} export an optimizer name`),
        JSON.stringify(trainer),
      );
    }
  });

  it('labels: a spec that is not { shape: [dims], dtype? } is refused by name (a string shape was spread into letters)', () => {
    const shapeRule = "needs a shape: a list of non-negative integers and symbolic names, got";
    const bad: [unknown, string][] = [
      [{ shape: 'NT' }, `${shapeRule} "NT"`],
      [{ shape: ['N', -1] }, `${shapeRule} ["N",-1]`],
      [{ shape: ['N', 1.5] }, `${shapeRule} ["N",1.5]`],
      [{ shape: ['N'], dtype: 'float33' }, 'has an unknown dtype "float33"'],
      ['N', 'must be an object, got "N"'],
      [null, 'must be an object, got null'],
    ];
    for (const [labels, why] of bad) {
      assert.throws(
        () => chooseLoss({ inputs, labels: labels as never, where }, ['N', 3]),
        (e: Error) => e.name === 'UserError' && e.message.startsWith(`'m.ts': 'labels' export ${why}`),
        JSON.stringify(labels),
      );
    }
    const ok = chooseLoss({ inputs, labels: { shape: ['N', 3], dtype: 'float32' }, loss: new gluon.loss.L2Loss(), where }, ['N', 3]);
    assert.deepEqual(ok.label, { shape: ['N', 3], dtype: 'float32' });
  });
});
