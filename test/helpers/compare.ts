/** Numeric comparison with tolerances and a message naming the worst element. */
import assert from 'node:assert/strict';

/** Asserts |a - b| <= atol + rtol * |b| elementwise (NaN equals NaN); names the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number | null>, what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} elements, expected ${expected.length}`);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = Number(actual[i]);
    const e = expected[i] === null ? NaN : Number(expected[i]);
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) continue;
    const err = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    assert.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}
