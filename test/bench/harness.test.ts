/**
 * The benchmark harness's contender order (test/bench/harness.ts
 * `roundOrder`): every round is a permutation, the same in every run, and
 * over a benchmark's rounds no contender always follows the same other one
 * (the rotation it replaced put 'ours' after 'PyTorch 2 threads' every time);
 * and `pairedRatio`, the drift-cancelling ratio the training benchmarks print.
 */
import assert from 'node:assert/strict';
import { pairedRatio, roundOrder } from './harness.js';

describe('bench/harness roundOrder', () => {
  it('draws a permutation per round, reproducibly', () => {
    for (const n of [1, 2, 3, 9]) {
      for (let s = 0; s < 21; s++) {
        const o = roundOrder(s, n);
        assert.deepEqual([...o].sort((a, b) => a - b), Array.from({ length: n }, (_v, i) => i), `round ${s} of ${n}`);
        assert.deepEqual(roundOrder(s, n), o);
      }
    }
  });

  it('gives each of 9 contenders several predecessors over 21 rounds', () => {
    const n = 9;
    const before = Array.from({ length: n }, () => new Set<number>());
    let last = -1;
    for (let s = 0; s < 21; s++) {
      for (const i of roundOrder(s, n)) {
        if (last >= 0) before[i]!.add(last);
        last = i;
      }
    }
    // A rotation gives every contender one predecessor (two counting round boundaries).
    for (let i = 0; i < n; i++) assert.ok(before[i]!.size >= 5, `contender ${i} followed only ${[...before[i]!].join(', ')}`);
  });

  it('does not start every round with the same contender', () => {
    const firsts = new Set(Array.from({ length: 21 }, (_v, s) => roundOrder(s, 9)[0]));
    assert.ok(firsts.size >= 5, `first contenders: ${[...firsts].join(', ')}`);
  });
});

describe('bench/harness pairedRatio', () => {
  const t = (rounds: number[]) => ({ median: NaN, p10: NaN, p90: NaN, samples: rounds.length, iters: 1, rounds });
  it('is the median over rounds of peer / ours in the same round, so a drift shared by both cancels', () => {
    // The machine slows 2x from round 3: ours is 10% faster in every round, though the ratio of medians says 2 / 1.1 = 1.8.
    const ours = t([1, 1, 2, 2, 2]);
    const peer = t([1.1, 1.1, 2.2, 2.2, 2.2]);
    assert.ok(Math.abs(pairedRatio(ours, peer) - 1.1) < 1e-12);
    // Odd and even counts take numpy's median (linear between the two middle ratios).
    assert.ok(Math.abs(pairedRatio(t([1, 1, 1, 1]), t([1, 2, 3, 4])) - 2.5) < 1e-12);
  });
  it('is NaN without rounds on either side', () => {
    assert.ok(Number.isNaN(pairedRatio(t([]), t([1]))));
    assert.ok(Number.isNaN(pairedRatio(undefined, t([1]))));
  });
});
