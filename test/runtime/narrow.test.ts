/**
 * ONNX's narrow dtypes (runtime/narrow.ts) against python's onnx and
 * ml_dtypes (test/helpers/narrow-ref.ts): every encoding of every format
 * decodes to the value onnx.numpy_helper gives it (all 65,536 of bfloat16,
 * 256 of each float8, 16 of the 4-bit and 4 of the 2-bit formats), and
 * rounding onto each format equals ONNX's reference Cast on every value, every
 * tie between neighbours and the float32 numbers beside it, overflow, ±0, ±inf
 * and NaN (but float4e2m1 of a NaN with its sign bit set: see there), with `saturate` on and off and float8e8m0's three rounding modes.
 */
import assert from 'node:assert/strict';
import { decodeNarrow, roundHalfEven, roundNarrow, type NarrowRounding } from '../../runtime/narrow.js';
import { FORMATS, narrowRef, sameNumber } from '../helpers/narrow-ref.js';

describe('narrow dtypes: decoding and rounding against onnx / ml_dtypes', () => {
  for (const f of FORMATS) {
    it(`${f}: every encoding decodes as onnx.numpy_helper; rounding equals ONNX's Cast (ties, overflow, NaN/inf)`, function () {
      this.timeout(60_000);
      const ref = narrowRef(f);
      ref.values.forEach((want, code) => assert.ok(sameNumber(decodeNarrow(f, code), want), `${f} 0x${code.toString(16)}: ${decodeNarrow(f, code)} vs onnx ${want}`));
      assert.ok(ref.x.length > 20, `${f}: ${ref.x.length} rounding samples`);
      for (const [key, want] of Object.entries(ref.y)) {
        const [sat, mode] = key.split('/');
        const r: NarrowRounding = { saturate: sat === 'True', roundMode: mode as NarrowRounding['roundMode'] };
        let bad = 0;
        const first: string[] = [];
        ref.x.forEach((x, i) => {
          // ml_dtypes takes a NaN to float4e2m1's -0, but one with its sign bit set to +0: a JS number's NaN has no sign to read.
          if (f === 'float4e2m1' && ref.negNan[i]) return assert.ok(sameNumber(want[i]!, 0), 'ml_dtypes: -NaN to +0');
          const got = roundNarrow(f, x, r);
          if (!sameNumber(got, want[i]!)) {
            bad++;
            if (first.length < 5) first.push(`${x} -> ${got} vs ONNX ${want[i]}`);
          }
        });
        assert.equal(bad, 0, `${f} saturate=${sat} round_mode=${mode}: ${bad} of ${ref.x.length} differ: ${first.join('; ')}`);
      }
    });
  }

  it('rounds half to even', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, 0, -2, -2, 2, 3]);
  });
});
