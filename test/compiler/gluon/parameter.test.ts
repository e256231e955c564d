import assert from 'node:assert/strict';
import { gluon } from 'gluonc';

describe('ParameterDict.get of an existing name (MXNet\'s ParameterDict.get)', () => {
  it('returns the stored parameter when the options agree, filling unknown (0) dimensions', () => {
    const d = new gluon.ParameterDict();
    const w = d.get('w', { shape: [3, 0], allowDeferredInit: true });
    assert.equal(d.get('w', { shape: [3, 4] }), w);
    assert.deepEqual(w.shape, [3, 4], 'the known dimension fills the stored 0');
    assert.equal(d.get('w', { shape: [0, 4], dtype: 'float32' }), w);
    assert.deepEqual(w.shape, [3, 4]);
    assert.equal(d.get('w'), w);
  });

  it('a shape or dtype that contradicts the stored one is an Error naming the parameter', () => {
    const d = new gluon.ParameterDict();
    d.get('w', { shape: [3, 4] });
    assert.throws(() => d.get('w', { shape: [3, 5] }), /Cannot retrieve Parameter 'w': the desired shape \[3, 5\] does not match the stored shape \[3, 4\]/);
    assert.throws(() => d.get('w', { shape: [3] }), /Cannot retrieve Parameter 'w': the desired shape \[3\] does not match the stored shape \[3, 4\]/);
    assert.throws(() => d.get('w', { dtype: 'float64' }), /Cannot retrieve Parameter 'w': the desired dtype float64 does not match the stored dtype float32/);
  });
});
