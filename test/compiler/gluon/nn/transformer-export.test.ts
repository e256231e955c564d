/**
 * The attention layers compiled with symbolic batch and sequence length:
 * `export` and `gluonc compile` give one artifact (the causal mask built in
 * the graph, not an input) that runs at several N and T and equals the
 * block run eagerly.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, init, nd, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { assertClose } from '../../../helpers/compare.js';
import { gluonc, ROOT } from '../../../helpers/cli.js';
import { TinyGpt } from '../../../fixtures/attention/tiny-gpt.js';

const { nn } = gluon;

/** A model file for the CLI: the fixture's TinyGpt with the test's trained parameters. */
const modelFile = (sinusoidal: boolean) => `
import { TinyGpt } from ${JSON.stringify(join(ROOT, 'test', 'fixtures', 'attention', 'tiny-gpt.ts'))};
export { inputs } from ${JSON.stringify(join(ROOT, 'test', 'fixtures', 'attention', 'tiny-gpt.ts'))};
export default () => new TinyGpt(${sinusoidal});
export const params = 'tiny-gpt.params';
`;

const tokens = (n: number, t: number) => nd.array(Array.from({ length: n * t }, (_v, i) => (i * 7 + 3) % 11), { shape: [n, t] }).astype('int32');
const SIZES: [number, number][] = [[1, 1], [2, 5], [3, 16], [1, 9]];

async function checkArtifact(file: string, input: string, block: gluon.HybridBlock, make: (n: number, t: number) => nd.NDArray[], names: string[]) {
  const model = await loadModel(file);
  try {
    assert.deepEqual(model.inputs.map((i) => i.name), names);
    assert.ok(model.inputs.every((i) => i.shape.some((d) => typeof d === 'string')), `${input}: symbolic input dims ${JSON.stringify(model.inputs)}`);
    for (const [n, t] of SIZES) {
      const xs = make(n, t);
      const want = block.call(...xs) as nd.NDArray;
      const feeds = Object.fromEntries(xs.map((x, i) => [names[i]!, { data: x.data(), shape: x.shape }]));
      const out = Object.values(await model.run(feeds as never))[0]!;
      assert.deepEqual(out.shape, want.shape, `${input} N=${n} T=${t} shape`);
      assertClose(Array.from(out.data as Float32Array), Array.from(want.data() as Float32Array), `${input} N=${n} T=${t}`, 1e-4, 1e-5);
    }
  } finally {
    await model.close();
  }
}

describe('attention layers compiled with symbolic N and T', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gluonc-attention-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('MultiHeadAttention with a mask input: export runs at several N, Tq, Tk', async () => {
    random.seed(1);
    const att = new nn.MultiHeadAttention(8, 4);
    att.initialize(new init.Xavier());
    const file = join(dir, 'att.onnx');
    att.export(file, { inputs: { q: { shape: ['N', 'T', 8] }, k: { shape: ['N', 'S', 8] }, v: { shape: ['N', 'S', 8] }, mask: { shape: ['N', 'T', 'S'] } } });
    const make = (n: number, t: number) => {
      const s = t + 2;
      const mask = nd.array(Array.from({ length: n * t * s }, (_v, i) => (i % 3 === 0 ? 0 : 1)), { shape: [n, t, s] });
      return [nd.random.uniform(-1, 1, [n, t, 8]), nd.random.uniform(-1, 1, [n, s, 8]), nd.random.uniform(-1, 1, [n, s, 8]), mask];
    };
    await checkArtifact(file, 'MultiHeadAttention', att, make, ['q', 'k', 'v', 'mask']);
  });

  it('TransformerEncoderLayer (causal + key padding input): eager, hybridized and the artifact agree at several N and T, fully-masked rows included', async () => {
    random.seed(4);
    const enc = new nn.TransformerEncoderLayer(8, 2, 16, { causal: true });
    enc.initialize(new init.Xavier());
    const file = join(dir, 'enc.onnx');
    enc.export(file, { inputs: { x: { shape: ['N', 'T', 8] }, mask: { shape: ['N', 1, 'T'] } } });
    // Sample 0 pads its first key: with the causal mask, query 0 has no key at all (its attention output is out_bias).
    const make = (n: number, t: number) => {
      const mask = nd.array(Array.from({ length: n * t }, (_v, i) => (i % t === 0 && i < t ? 0 : i % t < t - (i / t | 0) ? 1 : 0)), { shape: [n, 1, t] });
      return [nd.random.uniform(-1, 1, [n, t, 8]), mask];
    };
    for (const hybrid of [false, true]) {
      enc.hybridize(hybrid);
      await checkArtifact(file, `TransformerEncoderLayer (hybrid ${hybrid})`, enc, make, ['x', 'mask']);
    }
    const model = await loadModel(file);
    try {
      const [x, mask] = make(2, 4) as [nd.NDArray, nd.NDArray];
      const out = Object.values(await model.run({ x: { data: x.data(), shape: x.shape }, mask: { data: mask.data(), shape: mask.shape } } as never))[0]!;
      assert.ok(Array.from(out.data as Float32Array).every(Number.isFinite), 'no NaN from the fully-masked row');
      const bad = nd.ones([2, 1, 3]);
      await assert.rejects(model.run({ x: { data: x.data(), shape: x.shape }, mask: { data: bad.data(), shape: bad.shape } } as never), /input 'mask': expected float32 \[N, 1, T\], got shape \[2, 1, 3\]: dimension 2 \('T'\) is 3 but input 'x' has T = 4/);
    } finally {
      await model.close();
    }
  });

  it('TransformerDecoderLayer: export with symbolic target and memory lengths', async () => {
    random.seed(2);
    const dec = new nn.TransformerDecoderLayer(8, 2, 16, { preNorm: true });
    dec.initialize(new init.Xavier());
    const file = join(dir, 'dec.onnx');
    dec.export(file, { inputs: { x: { shape: ['N', 'T', 8] }, memory: { shape: ['N', 'S', 8] } } });
    await checkArtifact(file, 'TransformerDecoderLayer', dec, (n, t) => [nd.random.uniform(-1, 1, [n, t, 8]), nd.random.uniform(-1, 1, [n, 3, 8])], ['x', 'memory']);
  });

  it('gluonc compile of a tiny causal GPT (learned and sinusoidal positions) equals the block at several N and T', async () => {
    for (const sinusoidal of [false, true]) {
      random.seed(3);
      const net = new TinyGpt(sinusoidal);
      net.initialize(new init.Xavier());
      net.call(tokens(1, 2));
      net.saveParameters(join(dir, 'tiny-gpt.params'));
      writeFileSync(join(dir, 'tiny-gpt.ts'), modelFile(sinusoidal));
      const r = gluonc(['compile', 'tiny-gpt.ts', '-o', 'tiny-gpt.onnx'], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /inputs tokens int32 \[N, T\]; outputs \S+ float32 \[N, T, 11\]/);
      await checkArtifact(join(dir, 'tiny-gpt.onnx'), `TinyGpt (sinusoidal ${sinusoidal})`, net, (n, t) => [tokens(n, t)], ['tokens']);
      // Past maxLen (learned 16, sinusoidal 32) the run is refused before it starts, naming both (not onnxruntime's Gather message, nor an answer).
      const maxLen = sinusoidal ? 32 : 16;
      const model = await loadModel(join(dir, 'tiny-gpt.onnx'));
      const long = tokens(1, maxLen + 1);
      await assert.rejects(model.run({ tokens: { data: long.data(), shape: long.shape } } as never), new RegExp(`\\(N = 1, T = ${maxLen + 1}\\) does not fit the model .*: ${sinusoidal ? 'PositionalEncoding' : 'LearnedPositionalEmbedding'} in block 'TinyGpt/positions' needs T <= ${maxLen}: positions 0\\.\\.T-1 of a table of maxLen = ${maxLen} rows$`));
      await model.close();
    }
  });
});
