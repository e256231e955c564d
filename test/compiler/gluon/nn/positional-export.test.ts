/**
 * An exported positional encoding run past its table: nn.PositionalEncoding,
 * nn.LearnedPositionalEmbedding and d2l's PositionalEncoding (a stored `P`
 * sliced up to `X.shape[1]`) exported with a symbolic length `T` record
 * `T <= maxLen` in the manifest, so `loadModel`, `SymbolBlock.imports` and
 * the training artifact refuse a longer run with an Error naming the length
 * and the table's size, as the eager call does (not onnxruntime's Gather
 * message, and not a silent answer past `maxLen`). Within `maxLen` the
 * artifact computes what the eager call does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportTrainingStep, gluon, nd, optimizer } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { PositionalEncoding as D2lPositionalEncoding } from '../../../../models/d2l/transformer.js';
import { assertClose } from '../../../helpers/compare.js';

const { nn } = gluon;
const input = (t: number) => Float32Array.from({ length: 2 * t * 8 }, (_v, i) => Math.sin(i * 0.7));

describe('positional encodings exported with a symbolic length refuse a run past maxLen by name', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-posexp-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const layers: [string, () => gluon.HybridBlock, RegExp, RegExp][] = [
    ['nn.PositionalEncoding', () => new nn.PositionalEncoding(8, { maxLen: 16 }), /PositionalEncoding in block '.*' needs T <= 16: positions 0\.\.T-1 of a table of maxLen = 16 rows/, /has 20 positions, more than maxLen = 16/],
    [
      'nn.LearnedPositionalEmbedding',
      () => {
        const b = new nn.LearnedPositionalEmbedding(16, 8);
        b.initialize();
        return b;
      },
      /LearnedPositionalEmbedding in block '.*' needs T <= 16: positions 0\.\.T-1 of a table of maxLen = 16 rows/,
      /has 20 positions, more than maxLen = 16/,
    ],
    // d2l's own layer: its slice P[:, :X.shape[1], :] is rows arange(0, T) of P's 16 when exported.
    ["d2l's PositionalEncoding (P[:, :X.shape[1], :])", () => new D2lPositionalEncoding(8, 0, 16), /slice in block '.*' needs T <= 16: a slice up to another tensor's size takes rows 0\.\.T-1 of axis 1, which has 16/, /add: shapes \[2, 20, 8\] and \[1, 16, 8\] do not broadcast/],
  ];

  for (const [what, make, refused, eager] of layers) {
    it(`${what}: loadModel, SymbolBlock.imports and the eager call`, async () => {
      const block = make();
      const file = path.join(dir, `${what.replace(/\W+/g, '_')}.onnx`);
      const { manifest } = block.export(file, { inputs: { x: { shape: ['N', 'T', 8] } } });
      assert.deepEqual(manifest.constraints?.map((c) => [c.dim, c.cmp, c.value]), [['T', '<=', 16]]);
      const model = await loadModel(file);
      try {
        for (const t of [1, 16]) {
          const got = Object.values(model.runSync({ x: { data: input(t), shape: [2, t, 8] } }))[0]!;
          const want = block.call(nd.array(input(t)).reshape([2, t, 8])) as nd.NDArray;
          assertClose(Array.from(got.data as Float32Array), Array.from(want.data() as Float32Array), `T = ${t}`, 1e-5, 1e-5);
        }
        assert.throws(() => model.runSync({ x: { data: input(20), shape: [2, 20, 8] } }), (e: Error) => /input 'x' float32\[2, 20, 8\] \(N = 2, T = 20\) does not fit the model/.test(e.message) && refused.test(e.message));
      } finally {
        await model.close();
      }
      const back = gluon.SymbolBlock.imports(file);
      for (const hybrid of [false, true]) {
        back.hybridize(hybrid);
        assert.throws(() => back.call(nd.zeros([2, 20, 8])), (e: Error) => /the input sizes \(N = 2, T = 20\) do not fit/.test(e.message) && refused.test(e.message), `SymbolBlock, hybridized ${hybrid}`);
        assert.deepEqual((back.call(nd.zeros([2, 16, 8])) as nd.NDArray).shape, [2, 16, 8]);
      }
      assert.throws(() => block.call(nd.zeros([2, 20, 8])), eager, 'eager');
    });
  }

  it('two tables in one net keep the smaller bound; a training artifact carries it too', () => {
    class Two extends gluon.HybridBlock {
      a = new nn.PositionalEncoding(8, { maxLen: 32 });
      b = new nn.LearnedPositionalEmbedding(12, 8);
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return this.b.call(this.a.call(x));
      }
    }
    const net = new Two();
    net.initialize();
    const { manifest } = net.export(path.join(dir, 'two.onnx'), { inputs: { x: { shape: ['N', 'T', 8] } } });
    assert.deepEqual(manifest.constraints?.map((c) => [c.dim, c.cmp, c.value]), [['T', '<=', 12]]);
    const step = exportTrainingStep(net, {
      inputs: { x: { shape: ['N', 'T', 8] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
    });
    assert.deepEqual(step.manifest.constraints?.map((c) => [c.dim, c.cmp, c.value]), [['T', '<=', 12]]);
  });
});
