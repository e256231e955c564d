/**
 * BitShift of uint8, uint16, uint32 and uint64 imported (a product with, or
 * quotient by, 2^s in the input's dtype) against numpy's `left_shift` and
 * `right_shift` of the same dtype, with the kinks: shifts 0, 1, the width − 1,
 * the width and past it (numpy gives 0 there), values 0, 1, the top bit and
 * the maximum (uint64's past 2^53, read exactly), and a broadcast shift;
 * eager and hybridized. Skipped, with a message, without python3's numpy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { onnx, readModel, valueInfo } from '../../../compiler/onnx/index.js';
import type { DType } from '../../../runtime/dtypes.js';

const DTYPES = ['uint8', 'uint16', 'uint32', 'uint64'] as const;
const BITS = { uint8: 8, uint16: 16, uint32: 32, uint64: 64 };

/** Values and shifts (8 each) at the kinks of a dtype, as bigints. */
function sample(d: keyof typeof BITS): { x: bigint[]; s: bigint[] } {
  const b = BigInt(BITS[d]);
  const top = 2n ** (b - 1n);
  return { x: [0n, 1n, 2n, 3n, top - 1n, top, top + 72n, 2n ** b - 1n], s: [0n, 1n, b - 1n, b, b + 1n, 3n, 1n, 4n] };
}

function model(d: DType, direction: string, sShape: number[]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 11 }],
    graph: {
      name: 'g',
      node: [{ opType: 'BitShift', input: ['x', 's'], output: ['y'], name: 'b', attribute: [{ name: 'direction', type: 3, s: new TextEncoder().encode(direction) }] }],
      input: [valueInfo('x', { dtype: d, shape: [8] }), valueInfo('s', { dtype: d, shape: sShape })],
      output: [valueInfo('y', { dtype: d, shape: [8] })],
    },
  }).finish();
}

function array(d: keyof typeof BITS, v: bigint[]): nd.NDArray {
  return d === 'uint64' ? nd.array(BigUint64Array.from(v) as never, { dtype: d }) : nd.array(v.map(Number), { dtype: d });
}

describe('imported BitShift of the unsigned integers: numpy\'s left_shift and right_shift', () => {
  let ref: Record<string, string[]> = {};
  before(function () {
    const cases = Object.fromEntries(DTYPES.map((d) => [d, { x: sample(d).x.map(String), s: sample(d).s.map(String) }]));
    const py = `import json, numpy as np
out = {}
for d, c in ${JSON.stringify(cases)}.items():
    x = np.array([int(v) for v in c['x']], d); s = np.array([int(v) for v in c['s']], d)
    for k, f in [('LEFT', np.left_shift), ('RIGHT', np.right_shift)]:
        out[d + k] = [str(v) for v in f(x, s).tolist()]
        out[d + k + '3'] = [str(v) for v in f(x, np.array([3], d)).tolist()]
print(json.dumps(out))`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log('    (skipped: python3 with numpy is needed for the references)');
      this.skip();
    }
    ref = JSON.parse(r.stdout) as Record<string, string[]>;
  });

  for (const d of DTYPES) {
    for (const direction of ['LEFT', 'RIGHT']) {
      it(`${d} ${direction}: per-element and broadcast shifts, eager and hybridized`, () => {
        const { x, s } = sample(d);
        for (const [shift, key] of [[array(d, s), `${d}${direction}`], [array(d, [3n]), `${d}${direction}3`]] as const) {
          for (const hybrid of [false, true]) {
            const net = new SymbolBlock(readModel(model(d, direction, shift.shape)).graph, null, 'bitshift');
            if (hybrid) net.hybridize();
            const y = net.call(array(d, x), shift) as nd.NDArray;
            assert.equal(y.dtype, d);
            assert.deepEqual(Array.from(y.data() as ArrayLike<number | bigint>, String), ref[key], `${key} ${hybrid ? 'hybridized' : 'eager'}`);
          }
        }
      });
    }
  }

  it('refuses an unknown direction and a signed or mixed dtype by name', () => {
    assert.throws(() => readModel(model('uint8', 'UP', [8])), /ONNX operator 'BitShift' \(node 'b'\) has no gluonc equivalent: direction 'UP'/);
    assert.throws(() => readModel(model('int16', 'LEFT', [8])), /ONNX operator 'BitShift' \(node 'b'\) has no gluonc equivalent: inputs of dtypes int16 and int16 \(ONNX: one of uint8, uint16, uint32, uint64 for both\)/);
  });
});
