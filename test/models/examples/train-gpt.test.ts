/**
 * A short run of models/examples/train-gpt.ts (a one-layer, 16-unit GPT,
 * 2-digit problems, 30 steps): the loss goes down, the three files are
 * written, the saved parameters and the artifact give the trained block's
 * logits, generation runs (the compiled block step and the artifact step
 * generate the same tokens), `gluonc serve` answers int32 token batches with
 * the block's logits and the add-client's greedy loop over HTTP gives the
 * local greedy answer; the script runs from the command line. The full
 * run's accuracy is recorded in test/bench/RESULTS.md; no threshold here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import build, { config } from '../../../models/gpt.js';
import { addViaServer, nextToken, tokenRequest } from '../../../models/examples/add-client.js';
import { decodeSum, encodePrompt, VOCAB } from '../../../models/examples/addition-data.js';
import { artifactStep, generate, netStep } from '../../../models/examples/gpt-generate.js';
import { gptFlags, TINY, trainGpt, type TrainGptResult } from '../../../models/examples/train-gpt.js';
import { ROOT } from '../../helpers/cli.js';
import { startServeProcess } from '../../helpers/serve-process.js';

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

const int32 = (ids: number[], n = 1) => nd.array(Int32Array.from(ids), { shape: [n, ids.length / n], dtype: 'int32' });

describe('models/examples/train-gpt (tiny: 1 layer, 16 units, 2-digit problems, 30 steps)', function () {
  this.timeout(120_000);
  let dir: string;
  let out: string;
  let r: TrainGptResult;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gluonc-gpt-example-'));
    out = join(dir, 'adder');
    r = await trainGpt({ ...TINY, steps: 30, evalEvery: 10, learningRate: 0.01, out, quiet: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the training loss goes down; one curve point per evaluation; accuracies in [0, 1]', () => {
    assert.deepEqual(r.history.map((h) => h.step), [10, 20, 30]);
    assert.ok(r.history.every((h) => Number.isFinite(h.loss) && h.heldOutAccuracy >= 0 && h.heldOutAccuracy <= 1));
    // Chance is ln(13) ≈ 2.56 per answer token; 30 steps at lr 0.01 learn the digit distribution at least.
    assert.ok(r.history[2]!.loss < r.history[0]!.loss, `loss ${r.history.map((h) => h.loss.toFixed(3)).join(' -> ')}`);
    assert.ok(r.accuracy >= 0 && r.accuracy <= 1);
    assert.equal(r.samples.length, 4);
    assert.match(r.samples[0]!, /^\d\d\+\d\d=/);
  });

  it('writes the parameters, the artifact and the curve (two polylines of three points)', () => {
    assert.deepEqual(r.files, [`${out}.params`, `${out}.onnx`, `${out}-curve.svg`]);
    for (const f of r.files) assert.ok(existsSync(f), f);
    const svg = readFileSync(`${out}-curve.svg`, 'utf8');
    const lines = [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)].map((m) => m[1]!.trim().split(/\s+/).length);
    assert.deepEqual(lines, [3, 3]);
  });

  it('the artifact ([N, T] int32) and the saved parameters give the trained block\'s logits', async () => {
    const ids = [1, 2, 10, 3, 4, 11, 0, 4, 6, 7, 8, 10];
    const expected = (r.net.call(int32(ids, 2)) as nd.NDArray).data() as Float32Array;
    const model = await loadModel(`${out}.onnx`);
    try {
      assert.deepEqual(model.inputs, [{ name: 'tokens', dtype: 'int32', shape: ['N', 'T'] }]);
      const y = Object.values(await model.run({ tokens: { data: Int32Array.from(ids), shape: [2, 6] } }))[0]!;
      assert.deepEqual(y.shape, [2, 6, VOCAB.length]);
      assertClose(y.data as Float32Array, expected, 'artifact');
    } finally {
      await model.close();
    }
    const fresh = build({ ...config, ...TINY.model, vocab: VOCAB.length, context: 8 });
    fresh.loadParameters(`${out}.params`);
    assertClose((fresh.call(int32(ids, 2)) as nd.NDArray).data() as Float32Array, expected, 'loaded parameters');
  });

  it('generation: greedy from the compiled block step and from the artifact agree; sampling is seeded', async () => {
    const prompts = Int32Array.from([...encodePrompt(12, 34, 2), ...encodePrompt(99, 1, 2), ...encodePrompt(5, 50, 2)]);
    const fromNet = await generate(netStep(r.net), prompts, 3, 6, { maxNew: 3 });
    const model = await loadModel(`${out}.onnx`);
    try {
      const fromArtifact = await generate(artifactStep(model), prompts, 3, 6, { maxNew: 3 });
      assert.deepEqual(Array.from(fromArtifact), Array.from(fromNet));
    } finally {
      await model.close();
    }
    // Greedy by hand: the argmax of the block's last logits, appended, three times.
    let seq = Array.from(prompts.subarray(0, 6));
    for (let i = 0; i < 3; i++) {
      const y = (r.net.call(int32(seq)) as nd.NDArray).data() as Float32Array;
      const last = Array.from(y.subarray((seq.length - 1) * 13, seq.length * 13));
      seq = [...seq, last.indexOf(Math.max(...last))];
    }
    assert.deepEqual(Array.from(fromNet.subarray(0, 9)), seq);
    const s1 = await generate(netStep(r.net), prompts, 3, 6, { maxNew: 3, sample: true, topK: 4, temperature: 1.5, seed: 9 });
    const s2 = await generate(netStep(r.net), prompts, 3, 6, { maxNew: 3, sample: true, topK: 4, temperature: 1.5, seed: 9 });
    assert.deepEqual(Array.from(s1), Array.from(s2));
  });

  it('gluonc serve answers int32 token batches with the block\'s logits; the add-client\'s HTTP greedy loop gives the local answer', async () => {
    const child = await startServeProcess(`${out}.onnx`, ['--no-batching']);
    try {
      const ids = encodePrompt(12, 34, 2);
      const res = await fetch(`${child.url}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tokenRequest(ids)) });
      assert.equal(res.status, 200);
      const reply = (await res.json()) as { model_name: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[] };
      assert.equal(reply.model_name, 'adder');
      assert.deepEqual(reply.outputs[0]!.shape, [1, 6, 13]);
      assert.equal(reply.outputs[0]!.datatype, 'FP32');
      const local = (r.net.call(int32(ids)) as nd.NDArray).data() as Float32Array;
      assertClose(reply.outputs[0]!.data, local, 'served logits');
      assert.equal(nextToken(reply), Array.from(local.subarray(5 * 13)).indexOf(Math.max(...local.subarray(5 * 13))));
      const viaHttp = await addViaServer(child.url, 12, 34, { digits: 2 });
      const greedy = await generate(netStep(r.net), Int32Array.from(ids), 1, 6, { maxNew: 3 });
      assert.deepEqual(viaHttp.tokens, Array.from(greedy.subarray(6)));
      assert.equal(viaHttp.sum, decodeSum(greedy.subarray(6)));
      // A float batch for the int32 input is refused with a 4xx naming it; the server keeps running.
      const bad = await fetch(`${child.url}/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'tokens', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }) });
      assert.ok(bad.status >= 400 && bad.status < 500, `status ${bad.status}`);
      assert.match(((await bad.json()) as { error: string }).error, /tokens/);
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  });

  it('runs from the command line with --tiny; a bad flag is one line naming it, exit 1', () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', join(ROOT, 'models/examples/train-gpt.ts'), ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
        timeout: 100_000,
      });
    const ok = run(['--tiny', '--out', join(dir, 'cli')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /held-out exact match \d+\.\d\d% \(greedy, 32 unseen 2-digit problems\)/);
    assert.ok(existsSync(join(dir, 'cli.onnx')));
    const bad = run(['--steps', 'many']);
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), "train-gpt: --steps must be an integer ≥ 1, got 'many'");
    assert.deepEqual(gptFlags(['--tiny', '--steps', '5', '--order', 'reversed']).steps, 5);
    assert.throws(() => gptFlags(['--order', 'sideways']), /--order must be plain or reversed, got 'sideways'/);
  });
});
