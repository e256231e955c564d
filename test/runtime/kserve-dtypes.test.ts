/**
 * KServe v2's datatype names of the integer dtypes int16, uint16, uint32 and
 * uint64 (the protocol's INT16, UINT16, UINT32, UINT64): JSON data decodes
 * into the dtype's typed array at the edges of its range, a value outside it
 * is a 400 naming the element (never wrapped), binary data is taken as the
 * dtype's bytes, and outputs are written back as exact integers (UINT64 past
 * 2^53 too).
 */
import assert from 'node:assert/strict';
import { decodeInferRequest, encodeInferResponse, kserveType } from '../../runtime/kserve.js';
import type { DType } from '../../runtime/dtypes.js';

const CASES: [DType, string, number[], number, string][] = [
  ['int16', 'INT16', [-32768, 0, 32767], 32768, 'Int16Array'],
  ['uint16', 'UINT16', [0, 1, 65535], -1, 'Uint16Array'],
  ['uint32', 'UINT32', [0, 1, 4294967295], 4294967296, 'Uint32Array'],
  ['uint64', 'UINT64', [0, 1, 9007199254740991], -1, 'BigUint64Array'],
];

const request = (datatype: string, data: unknown[]): Buffer =>
  Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [data.length], datatype, data }] }));

describe('KServe datatypes INT16, UINT16, UINT32, UINT64', () => {
  for (const [dtype, name, values, outside, array] of CASES) {
    it(`${name}: JSON data at the edges decodes as ${dtype}; ${outside} is refused; outputs are exact`, () => {
      assert.equal(kserveType(dtype), name);
      const outputs = [{ name: 'y', dtype, shape: [values.length] }];
      const req = decodeInferRequest(request(name, values), undefined, outputs);
      const x = req.feeds['x']!;
      assert.equal(x.dtype, dtype);
      assert.equal(x.data.constructor.name, array);
      assert.deepEqual(Array.from(x.data as ArrayLike<number | bigint>, Number), values);
      assert.throws(() => decodeInferRequest(request(name, [...values, outside]), undefined, outputs), (e: Error) => /input 'x': "data"\[3\]/.test(e.message) && (e as unknown as { status: number }).status === 400);
      // Binary data: the dtype's own little-endian bytes.
      const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [values.length], datatype: name, parameters: { binary_data_size: x.data.byteLength } }] }));
      const bin = decodeInferRequest(Buffer.concat([head, Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength)]), head.length, outputs);
      assert.deepEqual(Array.from(bin.feeds['x']!.data as ArrayLike<number | bigint>, Number), values);
      const { body } = encodeInferResponse('m', req, { y: x });
      assert.match(String(body), new RegExp(`"datatype":"${name}","shape":\\[3\\],"data":\\[${values.join(',')}\\]`));
    });
  }

  it('UINT64 outputs past 2^53 are written as exact integers', () => {
    const y = { dtype: 'uint64' as const, shape: [2], data: BigUint64Array.of(2n ** 64n - 1n, 2n ** 53n + 1n) };
    const { body } = encodeInferResponse('m', { feeds: {}, outputs: ['y'], binary: new Set() }, { y });
    assert.match(String(body), /"data":\[18446744073709551615,9007199254740993\]/);
  });
});
