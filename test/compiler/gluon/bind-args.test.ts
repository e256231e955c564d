import assert from 'node:assert/strict';
import { bindArgs, isPlainObject } from '../../../compiler/gluon/bind-args.js';

describe('bindArgs: Python-style binding of a constructor\'s positional parameters and its options object', () => {
  const P = ['channels', 'kernelSize', 'strides?'];
  it('binds every split between positions and names to the same values, the rest of the options left', () => {
    const want = [[4, 3, 2], { layout: 'NCHW' }];
    assert.deepEqual(bindArgs('C', P, [4, 3, 2, { layout: 'NCHW' }]), want);
    assert.deepEqual(bindArgs('C', P, [4, 3, { strides: 2, layout: 'NCHW' }]), want);
    assert.deepEqual(bindArgs('C', P, [4, { kernelSize: 3, strides: 2, layout: 'NCHW' }]), want);
    assert.deepEqual(bindArgs('C', P, [{ channels: 4, kernelSize: 3, strides: 2, layout: 'NCHW' }]), want);
    assert.deepEqual(bindArgs('C', P, [4, 3]), [[4, 3, undefined], {}]);
  });
  it('undefined is absent: in a position, as an option value, and trailing', () => {
    assert.deepEqual(bindArgs('C', P, [undefined, 3, { channels: 4 }]), [[4, 3, undefined], {}]);
    assert.deepEqual(bindArgs('C', P, [4, 3, { strides: undefined }]), [[4, 3, undefined], {}]);
    assert.deepEqual(bindArgs('C', P, [4, 3, undefined, undefined]), [[4, 3, undefined], {}]);
    assert.deepEqual(bindArgs('C', P, [4, 3, 2, undefined]), [[4, 3, 2], {}]);
  });
  it('only a plain object is the options object (not an array, an instance, a function)', () => {
    class Box {
      constructor(readonly v: number) {}
    }
    const box = new Box(1);
    assert.deepEqual(bindArgs('X', ['value'], [box]), [[box], {}]);
    assert.deepEqual(bindArgs('X', ['value'], [[1, 2]]), [[[1, 2]], {}]);
    // A null-prototype object is written `{...}` too: the options object.
    assert.deepEqual(bindArgs('X', ['value?'], [Object.assign(Object.create(null), { value: 2 })]), [[2], {}]);
    assert.equal(isPlainObject({}), true);
    assert.equal(isPlainObject(Object.create(null)), true);
    assert.equal(isPlainObject(box), false);
    assert.equal(isPlainObject([1]), false);
    assert.equal(isPlainObject(() => 1), false);
  });
  it('a parameter can claim a plain object as its value', () => {
    const params = { name: 'params', claims: (x: unknown) => isPlainObject(x) && 'w' in x };
    assert.deepEqual(bindArgs('T', [params, 'optimizer?'], [{ w: 1 }]), [[{ w: 1 }, undefined], {}]);
    assert.deepEqual(bindArgs('T', [params, 'optimizer?'], [{ params: { w: 1 }, optimizer: 'sgd' }]), [[{ w: 1 }, 'sgd'], {}]);
  });
  it('errors name the class and the parameter: given twice, missing, too many, unknown with `known`', () => {
    assert.throws(() => bindArgs('Conv2D', P, [4, 3, { kernelSize: 5 }]), /^Error: Conv2D: got multiple values for argument 'kernelSize' \(3 as argument 2 and 5 in the options object\)$/);
    // Equal values too, as Python does.
    assert.throws(() => bindArgs('Conv2D', P, [4, 3, { kernelSize: 3 }]), /got multiple values for argument 'kernelSize'/);
    assert.throws(() => bindArgs('Conv2D', P, [{ channels: 4 }]), /^Error: Conv2D: missing required argument 'kernelSize' \(give it as argument 2 or as \{ kernelSize: \.\.\. \} in the options object\)$/);
    assert.throws(() => bindArgs('Dense', ['units'], [{ unit: 3 }]), /^Error: Dense: missing required argument 'units' \(give it as argument 1 or as \{ units: \.\.\. \} in the options object, which has unit; did you mean 'units' for 'unit'\?\)$/);
    assert.throws(() => bindArgs('Conv2D', P, [4, 3, 2, 1]), /^Error: Conv2D: takes 3 positional arguments \(channels, kernelSize, strides\) then an options object, but 4 positional arguments were given \(argument 4: 1\)$/);
    assert.throws(() => bindArgs('ELU', ['alpha?'], [{ alpah: 1 }], []), /^Error: ELU: unknown option 'alpah' \(valid: alpha\); did you mean 'alpha'\?$/);
    assert.deepEqual(bindArgs('ELU', ['alpha?'], [{ alpha: 1 }], []), [[1], {}]);
    // A long value is cut in the message.
    assert.throws(() => bindArgs('X', [], ['y'.repeat(200)]), (e: Error) => e.message.length < 200 && /argument 1: "yyy.*\.\.\.\)$/.test(e.message));
  });
});
