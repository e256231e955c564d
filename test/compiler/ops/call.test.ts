/**
 * Argument parsing of operator calls (compiler/ops/call.ts), the same for
 * `nd` and `sym`: `undefined` where an argument is optional means absent
 * (MXNet's `None`) — an optional input, a positional option, the options
 * object — while a missing required input, an input after an absent one and
 * a stray argument stay errors naming the operator.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import { parseCall } from '../../../compiler/ops/call.js';
import type { OpDef } from '../../../compiler/ops/define.js';

/** x · wᵀ (+ b) in float64, written out here. */
function dense(x: number[][], w: number[][], b?: number[]): number[][] {
  return x.map((row) => w.map((wr, j) => wr.reduce((s, v, k) => s + v * row[k]!, b ? b[j]! : 0)));
}

function close(got: number[][], want: number[][]): void {
  got.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) < 1e-5, `[${i}, ${j}]: ${v} vs ${want[i]![j]}`)));
}

describe('ops/call: undefined means absent', () => {
  const X = [
    [1, -2, 0.5],
    [0, 3, -1],
  ];
  const W = [
    [0.5, 1, -1],
    [2, 0, 0.25],
  ];

  it('FullyConnected(x, w, undefined, { noBias: true }) equals the call without the bias slot, and x·wᵀ', () => {
    const x = nd.array(X);
    const w = nd.array(W);
    const withUndefined = nd.FullyConnected(x, w, undefined, { numHidden: 2, noBias: true }).toArray() as number[][];
    const without = nd.FullyConnected(x, w, { numHidden: 2, noBias: true }).toArray() as number[][];
    assert.deepEqual(withUndefined, without);
    close(withUndefined, dense(X, W));
    // A bias given after all still counts.
    close(nd.FullyConnected(x, w, nd.array([1, -1]), { numHidden: 2 }).toArray() as number[][], dense(X, W, [1, -1]));
  });

  it('Convolution(x, w, undefined, {...}) with noBias, against a direct sum', () => {
    const img = Array.from({ length: 16 }, (_v, i) => (i % 5) - 2);
    const ker = [1, 0, -1, 2, 0, -2, 1, 0, -1];
    const y = nd.Convolution(nd.array(img).reshape([1, 1, 4, 4]), nd.array(ker).reshape([1, 1, 3, 3]), undefined, { kernel: [3, 3], numFilter: 1, noBias: true });
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    const want: number[] = [];
    for (const r of [0, 1]) for (const c of [0, 1]) {
      let s = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += img[(r + i) * 4 + c + j]! * ker[i * 3 + j]!;
      want.push(s);
    }
    assert.deepEqual(Array.from(y.data() as Float32Array), want);
  });

  it('the same for symbols, and for positional options and a trailing options object', () => {
    const s = sym.FullyConnected(sym.var('x', { shape: ['N', 3] }), sym.var('w', { shape: [2, 3] }), undefined, { numHidden: 2, noBias: true });
    assert.deepEqual(s.shape, ['N', 2]);
    const x = nd.array(X);
    assert.deepEqual(nd.sum(x, undefined, true).shape, [1, 1]); // axis undefined: all axes (the default)
    assert.deepEqual((nd.sum(x, undefined, true).toArray() as number[][])[0]![0], X.flat().reduce((a, b) => a + b, 0));
    assert.deepEqual(nd.FullyConnected(x, nd.array(W), nd.array([0, 0]), undefined).shape, [2, 2]);
  });

  it('still refuses a missing required input, a stray argument, and an input after an absent one', () => {
    const x = nd.array(X);
    assert.throws(() => (nd.FullyConnected as (...a: unknown[]) => unknown)(x, undefined, { numHidden: 2, noBias: true }), /FullyConnected.*input 'weight' must be a tensor or a number, got undefined/);
    assert.throws(() => (nd.sum as (...a: unknown[]) => unknown)(x, 0, true, false, 'extra'), /sum.*unexpected argument 5: string "extra"/);
    assert.throws(() => (nd.relu as (...a: unknown[]) => unknown)(x, undefined, 3), /relu.*unexpected argument 3: number 3/);
    // Inputs are positional, so an optional input cannot follow an absent one (no operator has two yet: a declaration made here).
    const def = { name: 'Two', inputs: ['a', 'b?', 'c?'], attrs: { k: 1 } } as unknown as OpDef;
    const isT = (v: unknown): v is string => typeof v === 'string';
    assert.deepEqual(parseCall(def, ['A', undefined, undefined, { k: 2 }], isT), { inputs: ['A'], attrs: { k: 2 } });
    assert.deepEqual(parseCall(def, ['A', 'B', undefined], isT), { inputs: ['A', 'B'], attrs: { k: 1 } });
    assert.throws(() => parseCall(def, ['A', undefined, 'C'], isT), /Two.*input 'c' is given but 'b' before it is absent/);
  });
});
