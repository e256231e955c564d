import assert from 'node:assert/strict';
import { formatValues } from '../../runtime/format-values.js';
import { allocate, type DType } from '../../runtime/dtypes.js';
import { toHalf } from '../../runtime/half.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { runPython } from '../helpers/python-server.js';

/** numpy's str() of each array (MXNet prints str(asnumpy())), computed by python3. */
function numpyStr(cases: { dtype: string; shape: number[]; data: (number | string | boolean | null)[] }[]): string[] {
  const script = String.raw`
import json, sys
import numpy as np
out = []
for c in json.load(sys.stdin):
    vals = [float('nan') if v is None else (float(v) if c['dtype'].startswith('float') and isinstance(v, str) else (int(v) if isinstance(v, str) else v)) for v in c['data']]
    out.append(str(np.array(vals, dtype=c['dtype']).reshape(c['shape'])))
print(json.dumps(out))
`;
  const r = runPython(script, { input: JSON.stringify(cases) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

function tensor(dtype: DType, shape: number[], values: (number | bigint | boolean)[]): HostTensor {
  const data = allocate(dtype, values.length);
  values.forEach((v, i) => {
    if (dtype === 'int64') (data as BigInt64Array)[i] = BigInt(v as number | bigint);
    else if (dtype === 'float16') (data as Uint16Array)[i] = toHalf(v as number);
    else (data as Float32Array)[i] = Number(v);
  });
  return { dtype, shape, data };
}

/** A deterministic pseudo-random stream (so the test is repeatable). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('formatValues (numpy str(), as MXNet prints NDArrays)', () => {
  it('matches numpy on floats, ints and bools: widths, scientific switch, NaN/Inf, -0, wrapping and summarization', () => {
    const r = lcg(3);
    const rand = (n: number, scale = 1) => Array.from({ length: n }, () => (r() - 0.5) * scale);
    const cases: [DType, number[], (number | bigint | boolean)[]][] = [
      ['float32', [2, 2], [1, 2.5, 3, 4]],
      ['float32', [3], [0.1, 0.2, 0.3]],
      ['float32', [4], [NaN, Infinity, -1e-9, 1e10]],
      ['float32', [3], [NaN, -Infinity, 2]],
      ['float32', [2], [NaN, NaN]],
      ['float32', [3], [-0, 0, 1]],
      ['float32', [3], [0, 0, 0]],
      ['float32', [2], [1e8, 1]], // max >= 1e8
      ['float32', [2], [99999999, 1]],
      ['float32', [2], [1e-4, 1]], // min < 1e-4 is strict
      ['float32', [2], [9.9e-5, 1]],
      ['float32', [2], [1, 1000]], // ratio > 1000 is strict
      ['float32', [2], [1, 1000.5]],
      ['float32', [3], [1 / 3, 2 / 3, -1 / 7]],
      ['float32', [2], [123456.789, 0.5]],
      ['float32', [2, 3], rand(6, 10)],
      ['float32', [2, 3, 4], rand(24, 200)],
      ['float32', [30], rand(30, 1)], // wraps at 75 columns
      ['float32', [3, 20], rand(60, 100)],
      ['float32', [1001], Array.from({ length: 1001 }, (_v, i) => i / 7)], // summarized
      ['float32', [2, 600], rand(1200, 5)],
      ['float32', [20, 60], rand(1200, 5)],
      ['float32', [0, 3], []],
      ['float32', [], [2.5]],
      ['float64', [3], [0.1 + 0.2, 1 / 3, 1e-3]],
      ['float64', [2], [1.123456789123, 2]],
      ['float16', [3], [0.1, 1000, -2.5]],
      ['int32', [5], [1, -20, 300, 0, 7]],
      ['int32', [2, 2], [-1, 2, 3, -40000]],
      ['int32', [40], Array.from({ length: 40 }, (_v, i) => i * i - 100)],
      ['int64', [2], [2n ** 60n + 1n, -3n]],
      ['uint8', [3], [0, 255, 7]],
      ['int8', [3], [-128, 127, 0]],
      ['bool', [3], [true, false, true]],
      ['bool', [2, 2], [false, false, true, false]],
    ];
    const want = numpyStr(cases.map(([dtype, shape, values]) => ({
      dtype,
      shape,
      data: values.map((v) => (typeof v === 'bigint' ? String(v) : Object.is(v, -0) ? '-0.0' : typeof v === 'number' && Number.isNaN(v) ? null : typeof v === 'number' && !Number.isFinite(v) ? String(v > 0 ? 'inf' : '-inf') : dtype === 'float32' && typeof v === 'number' ? String(Math.fround(v)) : v)),
    })));
    cases.forEach(([dtype, shape, values], k) => {
      if (shape.length === 0) return; // numpy's str of a 0-d array is Python's float text; ours keeps numpy's element form
      assert.equal(formatValues(tensor(dtype, shape, values)), want[k], `case ${k}: ${dtype} [${shape.join(', ')}]`);
    });
    assert.equal(formatValues(tensor('float32', [], [2.5])), '2.5');
  });
});
