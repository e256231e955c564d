/**
 * SymbolicDim (compiler/ops/symbolic-dim.ts) on its own: a boxed name that
 * prints, interpolates and serializes as the name and refuses every numeric
 * use (comparison, arithmetic, Math) with an Error naming the dimension,
 * where it came from and the way out.
 */
import assert from 'node:assert/strict';
import { isSymbolicDim, normalizeDims, plainShape, SymbolicDim, SymbolicDimError } from '../../../compiler/ops/symbolic-dim.js';

const source = {};
const dim = () => new SymbolicDim('N', source, 0, () => "axis 0 of input 'x'");
const named = /symbolic dimension 'N' \(axis 0 of input 'x'\) has no value .*F\.shapeArray\(x, \{ axis: 0 \}\).*F\.where/;

describe('SymbolicDim', () => {
  it('is its name where a string is asked for: String, templates, join, JSON, string methods, valueOf', () => {
    const d = dim();
    assert.equal(String(d), 'N');
    assert.equal(`${d}`, 'N');
    assert.equal([d, 4].join(', '), 'N, 4');
    assert.equal(JSON.stringify([d, 4]), '["N",4]');
    assert.equal(d.valueOf(), 'N');
    assert.equal(d.length, 1);
    assert.equal(d.toLowerCase(), 'n');
    assert.equal(d.dimName, 'N');
    assert.equal(d.axis, 0);
    assert.equal(d.source, source);
  });

  it('throws a SymbolicDimError naming the dimension, its input and the fix on every numeric use', () => {
    const d = dim() as unknown as number;
    const uses: [string, () => unknown][] = [
      ['d > 2', () => d > 2],
      ['d < 2', () => d < 2],
      ['d >= 2', () => d >= 2],
      ['d == 3', () => (d as unknown) == 3],
      ["d == 'N'", () => (d as unknown) == 'N'],
      ['d * 2', () => d * 2],
      ['d + 1', () => d + 1],
      ['d - 1', () => d - 1],
      ["d + ''", () => (d as unknown as string) + ''],
      ['-d', () => -d],
      ['Math.max', () => Math.max(d, 1)],
      ['Number(d)', () => Number(d)],
      ['isFinite', () => isFinite(d)],
    ];
    for (const [what, use] of uses) {
      assert.throws(use, (e: unknown) => e instanceof SymbolicDimError && e.dim === 'N' && named.test(e.message), what);
    }
  });

  it('is no number and no primitive string to checks that do not convert', () => {
    const d = dim();
    assert.equal(Number.isInteger(d), false);
    assert.equal(typeof d, 'object');
    assert.equal((d as unknown) === 'N', false, 'identity with the name is false: compare String(d)');
    assert.equal(isSymbolicDim(d), true);
    assert.equal(isSymbolicDim('N'), false);
  });

  it('normalizeDims and plainShape give the names back, leaving other values as they are', () => {
    const d = dim();
    assert.deepEqual(normalizeDims([d, -1]), ['N', -1]);
    assert.equal(normalizeDims(d), 'N');
    const plain = [2, -1];
    assert.equal(normalizeDims(plain), plain, 'unchanged arrays are returned as they are');
    assert.deepEqual(normalizeDims([[d], 3]), [['N'], 3]);
    assert.deepEqual(plainShape([d, 4]), ['N', 4]);
    assert.deepEqual(plainShape([2, 4]), [2, 4]);
  });
});
