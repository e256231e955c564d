/**
 * Pooling's declared output size over a symbolic input size (compiler/ops/pool.ts) against the size
 * onnxruntime returns and eager computes, for every H from the smallest the kernel takes to 13, in both
 * conventions, with strides and pads on either side of s = k - p (where 'full' drops the windows that would
 * start in the end padding: onnxruntime's and PyTorch's ceil_mode rule). The declared expression is evaluated
 * by the runtime's own reader of size expressions (runtime/dim-expr.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { evalDim, parseDim } from '../../../runtime/dim-expr.js';

const CASES: [number, number, number][] = [
  [2, 2, 1], // s > k - p: the 'full' drop applies
  [3, 2, 1],
  [3, 3, 1],
  [2, 3, 0],
  [3, 2, 0],
  [4, 3, 2],
];

describe('Pooling: the declared output size over a symbolic H equals the size the run returns', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-pool-shape-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const convention of ['valid', 'full'] as const) {
    for (const [k, s, p] of CASES) {
      it(`${convention}, kernel ${k}, stride ${s}, pad ${p}`, async () => {
        const mk = () => {
          const n = new gluon.nn.HybridSequential();
          n.add(new gluon.nn.MaxPool2D({ poolSize: [k, 1], strides: [s, 1], padding: [p, 0], ceilMode: convention === 'full' }));
          n.initialize();
          return n;
        };
        const net = mk();
        net.hybridize();
        net.call(nd.zeros([1, 1, 8, 1]));
        const file = path.join(dir, `${convention}-${k}-${s}-${p}.onnx`);
        net.export(file, { inputs: { data: { shape: [1, 1, 'H', 1] } } } as never);
        const m = await loadModel(file);
        try {
          const declared = m.outputs[0]!.shape[2]!;
          const expr = typeof declared === 'string' ? parseDim(declared) : null;
          for (let H = Math.max(1, k - 2 * p); H <= 13; H++) {
            const got = Object.values(await m.run({ data: { data: new Float32Array(H), shape: [1, 1, H, 1] } } as never))[0] as { shape: number[] };
            const eager = (mk().call(nd.zeros([1, 1, H, 1])) as nd.NDArray).shape[2];
            const want = typeof declared === 'number' ? declared : evalDim(expr!, new Map([['H', H]]));
            assert.equal(got.shape[2], eager, `H = ${H}: onnxruntime ${got.shape[2]}, eager ${eager}`);
            assert.equal(want, got.shape[2], `H = ${H}: declared ${declared} = ${want}, run ${got.shape[2]}`);
          }
        } finally {
          await m.close();
        }
      });
    }
  }
});
