/**
 * BitShift of uint8 imported (float64 arithmetic: x·2^s wrapped to 8 bits,
 * floor(x / 2^s)) against numpy's `left_shift`/`right_shift` on uint8, with
 * the kinks: shifts 0, 7, 8 and 9, values 0, 1, 128 and 255, and a broadcast
 * shift; eager and hybridized. Skipped, with a message, without python3's numpy.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { onnx, readModel, valueInfo } from '../../../compiler/onnx/index.js';

const X = [0, 1, 2, 3, 127, 128, 200, 255];
const S = [0, 1, 7, 8, 9, 3, 1, 4];

function model(direction: string, sShape: number[]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 11 }],
    graph: {
      name: 'g',
      node: [{ opType: 'BitShift', input: ['x', 's'], output: ['y'], name: 'b', attribute: [{ name: 'direction', type: 3, s: new TextEncoder().encode(direction) }] }],
      input: [valueInfo('x', { dtype: 'uint8', shape: [8] }), valueInfo('s', { dtype: 'uint8', shape: sShape })],
      output: [valueInfo('y', { dtype: 'uint8', shape: [8] })],
    },
  }).finish();
}

describe('imported BitShift of uint8: numpy\'s left_shift and right_shift', () => {
  let ref: Record<string, number[]> = {};
  before(function () {
    const py = `import json, numpy as np
x = np.array(${JSON.stringify(X)}, np.uint8); s = np.array(${JSON.stringify(S)}, np.uint8)
print(json.dumps({'LEFT': np.left_shift(x, s).tolist(), 'RIGHT': np.right_shift(x, s).tolist(), 'LEFT3': np.left_shift(x, np.uint8(3)).tolist(), 'RIGHT3': np.right_shift(x, np.uint8(3)).tolist()}))`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log('    (skipped: python3 with numpy is needed for the references)');
      this.skip();
    }
    ref = JSON.parse(r.stdout) as Record<string, number[]>;
  });

  for (const direction of ['LEFT', 'RIGHT']) {
    it(`${direction}: per-element and broadcast shifts, eager and hybridized`, () => {
      const x = nd.array(X, { dtype: 'uint8' });
      for (const [s, key] of [[nd.array(S, { dtype: 'uint8' }), direction], [nd.array([3], { dtype: 'uint8' }), `${direction}3`]] as const) {
        for (const hybrid of [false, true]) {
          const net = new SymbolBlock(readModel(model(direction, s.shape)).graph, null, 'bitshift');
          if (hybrid) net.hybridize();
          const y = net.call(x, s) as nd.NDArray;
          assert.equal(y.dtype, 'uint8');
          assert.deepEqual(Array.from(y.data() as Uint8Array), ref[key], `${key} ${hybrid ? 'hybridized' : 'eager'}`);
        }
      }
    });
  }

  it('refuses an unknown direction by name', () => {
    assert.throws(() => readModel(model('UP', [8])), /ONNX operator 'BitShift' \(node 'b'\) has no gluonc equivalent: direction 'UP'/);
  });
});
