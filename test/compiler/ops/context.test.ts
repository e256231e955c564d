/**
 * The one execution context (compiler/ops/context.ts): `withContext` sets
 * fields for a call and restores exactly those fields however it exits
 * (null values included), keeping what the call updated for good with
 * `updateContext` (the pending fused step).
 */
import assert from 'node:assert/strict';
import { getContext, updateContext, withContext } from '../../../compiler/ops/context.js';

describe('ops context', () => {
  it('withContext applies its fields inside and restores them after, leaving the others as they are', () => {
    const before = getContext();
    const inside = withContext({ recording: true, scopes: ['net'] }, () => getContext());
    assert.equal(inside.recording, true);
    assert.deepEqual(inside.scopes, ['net']);
    assert.equal(inside.training, before.training);
    assert.equal(inside.device, before.device);
    const after = getContext();
    assert.equal(after.recording, before.recording);
    assert.equal(after.scopes, before.scopes);
  });

  it('a field set to null is applied and restored (a trace cleared for a nested call)', () => {
    const trace = { name: 'outer' };
    withContext({ trace }, () => {
      assert.equal(getContext().trace, trace);
      withContext({ trace: null }, () => assert.equal(getContext().trace, null));
      assert.equal(getContext().trace, trace, 'the outer trace is back');
    });
    assert.equal(getContext().trace, null);
  });

  it('what the call updated for good stays: only the fields withContext set are restored', () => {
    const step = { pending: true };
    withContext({ training: true }, () => updateContext({ pendingStep: step }));
    assert.equal(getContext().pendingStep, step, 'pendingStep set inside survives the return');
    assert.equal(getContext().training, false);
    updateContext({ pendingStep: null });
    assert.equal(getContext().pendingStep, null);
  });

  it('restores the fields when fn throws, and updateContext returns the previous context', () => {
    assert.throws(() => withContext({ recording: true, training: true }, () => { throw new Error('boom'); }), /boom/);
    assert.equal(getContext().recording, false);
    assert.equal(getContext().training, false);
    const old = updateContext({ training: true });
    assert.equal(old.training, false);
    assert.equal(getContext().training, true);
    updateContext(old);
    assert.equal(getContext().training, false);
  });
});
