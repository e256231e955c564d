/**
 * Short runs of the examples (one or two epochs on a subset of the digits):
 * the loop runs, the curve is written, the saved parameters and the
 * exported artifact give the trained block's outputs, the scripts run from
 * the command line, and the artifact answers KServe v2 requests. The
 * accuracies of the full runs are in README.md; no threshold here.
 * The `--device cuda` paths run where onnxruntime-node's CUDA provider is
 * installed and are skipped, with the reason in the title, elsewhere.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { CUDA_INSTALL_COMMAND, CUDA_INSTALL_HINT, CUDA_MISSING, loadModel } from 'gluonc/runtime';
import { profiler } from 'gluonc';
import { cudaProviderInstalled } from '../../runtime/ort.js';
import { loadMnist } from '../../models/data/mnist.js';
import buildLenet from '../../models/lenet.js';
import buildMlp from '../../models/mlp.js';
import { train as trainMlp } from '../../models/train-mnist.js';
import { train as trainLenet } from '../../models/train-lenet.js';
import { main as customLayerMain, train as trainCustom } from '../../models/examples/custom-layer.js';
import { digitRequest } from '../../models/examples/digit-request.js';
import { ROOT } from '../helpers/cli.js';
import { startServeProcess } from '../helpers/serve-process.js';

const CUDA = cudaProviderInstalled();
const NO_CUDA = `skipped: onnxruntime-node's CUDA provider is not installed (${CUDA_INSTALL_COMMAND})`;

/** Skips the running test where CUDA is missing, saying why in its title. */
function needsCuda(ctx: Mocha.Context): void {
  if (CUDA) return;
  ctx.test!.title += ` (${NO_CUDA})`;
  ctx.skip();
}

/** Runs where CUDA is missing (the error path); skipped where it is installed. */
function needsNoCuda(ctx: Mocha.Context): void {
  if (!CUDA) return;
  ctx.test!.title += ' (skipped: the CUDA provider is installed here)';
  ctx.skip();
}

function polylinePoints(svg: string): number[] {
  const lines = [...svg.matchAll(/<polyline[^>]* points="([^"]*)"/g)];
  return lines.map((m) => m[1]!.trim().split(/\s+/).length);
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-5): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Runs `node --import tsx <script> ...args` from the repository root, as the README's `npx tsx` does. */
function script(file: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', join(ROOT, file), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('models/examples', function () {
  this.timeout(60_000);
  let dir: string;
  let digits: ReturnType<typeof loadMnist>['test'];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gluonc-examples-'));
    digits = loadMnist({ seed: 1 }).test;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('train-mnist (MLP), 2 epochs on 1,024 digits', () => {
    let r: ReturnType<typeof trainMlp>;
    let out: string;
    before(() => {
      out = join(dir, 'mlp');
      r = trainMlp({ epochs: 2, batchSize: 64, out, limit: 1024, testLimit: 256, quiet: true });
    });

    it('runs the loop: one record per epoch, finite loss, accuracy in [0, 1]', () => {
      assert.equal(r.history.length, 2);
      for (const h of r.history) {
        assert.ok(Number.isFinite(h.loss) && h.loss > 0, `loss ${h.loss}`);
        assert.ok(h.heldOutAccuracy >= 0 && h.heldOutAccuracy <= 1);
        assert.ok(h.samplesPerSecond > 0);
      }
      assert.equal(r.accuracy, r.history[1]!.heldOutAccuracy);
      assert.deepEqual(r.files, [`${out}.params`, `${out}.onnx`, `${out}-curve.svg`]);
    });

    it('writes the curve next to the outputs: two polylines of one point per epoch', () => {
      assert.deepEqual(polylinePoints(readFileSync(`${out}-curve.svg`, 'utf8')), [2, 2]);
    });

    it('the exported artifact and the saved parameters give the trained block\'s outputs', async () => {
      const x = nd.sliceAxis(digits.x, { axis: 0, begin: 0, end: 16 });
      const expected = (r.net.call(x) as nd.NDArray).data() as Float32Array;
      const model = await loadModel(`${out}.onnx`);
      try {
        const { output } = await model.run({ x: { data: x.data() as Float32Array, shape: [16, 784] } });
        assertClose(output!.data as Float32Array, expected, 'artifact');
      } finally {
        await model.close();
      }
      const fresh = buildMlp();
      fresh.loadParameters(`${out}.params`);
      assertClose((fresh.call(x) as nd.NDArray).data() as Float32Array, expected, 'loaded parameters');
    });

    it('gluonc serve answers a KServe v2 infer request with a real digit as the block does', async () => {
      const { body, label } = digitRequest(3, [1, 784]);
      assert.equal(label, (digits.y.data() as Float32Array)[3]);
      const child = await startServeProcess(`${out}.onnx`, ['--no-batching']);
      try {
        const res = await fetch(`${child.url}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        assert.equal(res.status, 200);
        const reply = (await res.json()) as { model_name: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[] };
        assert.equal(reply.model_name, 'mlp');
        assert.deepEqual(reply.outputs.map((o) => [o.name, o.shape, o.datatype]), [['output', [1, 10], 'FP32']]);
        const x = nd.array(Float32Array.from(body.inputs[0]!.data), { shape: [1, 784] });
        assertClose(reply.outputs[0]!.data, (r.net.call(x) as nd.NDArray).data() as Float32Array, 'served scores');
      } finally {
        child.proc.kill('SIGTERM');
        await child.exited;
      }
    });
  });

  describe('train-lenet, 1 epoch on 512 digits', () => {
    let r: ReturnType<typeof trainLenet>;
    let out: string;
    before(() => {
      out = join(dir, 'lenet');
      r = trainLenet({ epochs: 1, batchSize: 32, out, curve: join(dir, 'lenet.svg'), limit: 512, testLimit: 128, quiet: true });
    });

    it('runs the loop and writes the curve where --curve says', () => {
      assert.equal(r.history.length, 1);
      assert.ok(Number.isFinite(r.history[0]!.loss));
      assert.deepEqual(polylinePoints(readFileSync(join(dir, 'lenet.svg'), 'utf8')), [1, 1]);
      assert.ok(!existsSync(`${out}-curve.svg`));
    });

    it('the exported artifact takes [N, 1, 28, 28] and gives the trained block\'s outputs; so do the saved parameters', async () => {
      const x = nd.sliceAxis(digits.x, { axis: 0, begin: 0, end: 8 }).reshape([8, 1, 28, 28]);
      const expected = (r.net.call(x) as nd.NDArray).data() as Float32Array;
      const model = await loadModel(`${out}.onnx`);
      try {
        assert.deepEqual(model.inputs, [{ name: 'x', dtype: 'float32', shape: ['N', 1, 28, 28] }]);
        const { output } = await model.run({ x: { data: x.data() as Float32Array, shape: [8, 1, 28, 28] } });
        assertClose(output!.data as Float32Array, expected, 'artifact', 1e-4);
      } finally {
        await model.close();
      }
      const fresh = buildLenet();
      fresh.loadParameters(`${out}.params`);
      assertClose((fresh.call(x) as nd.NDArray).data() as Float32Array, expected, 'loaded parameters', 1e-4);
    });
  });

  describe('custom-layer', () => {
    it('trains ScaledTanh with a Trainer (the loss goes down), exports it, and loadModel gives the block\'s outputs', async () => {
      const { losses } = trainCustom({ epochs: 6, out: join(dir, 'st.onnx'), examples: 256, every: 0 });
      assert.equal(losses.length, 6);
      assert.ok(losses[5]! < losses[0]!, `loss ${losses.join(' -> ')}`);
      const log = console.log;
      const lines: string[] = [];
      console.log = (s: string) => lines.push(s);
      let diff: number;
      try {
        diff = await customLayerMain(['--epochs', '3', '--out', join(dir, 'scaled-tanh.onnx')]);
      } finally {
        console.log = log;
      }
      assert.ok(diff <= 1e-5, `artifact vs block: ${diff}`);
      assert.ok(lines.some((l) => /^L2 loss .* -> .* over 3 epochs; exported /.test(l)), lines.join('\n'));
    });
  });

  describe('from the command line', () => {
    it('train-lenet.ts prints per-epoch lines and the held-out accuracy, and writes its three files', () => {
      const stem = join(dir, 'cli-lenet');
      const r = script('models/train-lenet.ts', ['--epochs', '1', '--limit', '256', '--out', stem]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^epoch 1: loss [\d.]+, train accuracy [\d.]+%, held-out accuracy [\d.]+%/m);
      assert.match(r.stdout, /^held-out accuracy [\d.]+% \(2,000 digits\)/m);
      for (const f of [`${stem}.params`, `${stem}.onnx`, `${stem}-curve.svg`]) assert.ok(existsSync(f), f);
      // stderr is a pipe here, not a terminal: no progress bar at all.
      assert.equal(r.stderr, '');
      assert.match(readFileSync(`${stem}-curve.svg`, 'utf8'), /LeNet on MNIST \(1 epoch\)/);
    });

    it('a bad flag is one line naming it, exit 1', () => {
      const r = script('models/train-mnist.ts', ['--device', 'tpu']);
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim(), "train-mnist: --device must be cpu or cuda, got 'tpu'");
      const e = script('models/train-lenet.ts', ['--epochs', 'ten']);
      assert.equal(e.stderr.trim(), "train-lenet: --epochs must be a positive integer, got 'ten'");
    });

    it('digit-request.ts writes a KServe v2 request for a held-out digit and names its label', () => {
      const r = script('models/examples/digit-request.ts', ['--index', '3', '--shape', '1,1,28,28']);
      assert.equal(r.status, 0, r.stderr);
      const body = JSON.parse(r.stdout) as ReturnType<typeof digitRequest>['body'];
      assert.deepEqual(body.inputs[0]!.shape, [1, 1, 28, 28]);
      assert.equal(body.inputs[0]!.data.length, 784);
      assert.equal(r.stderr.trim(), `held-out digit #3 is a ${(digits.y.data() as Float32Array)[3]}`);
    });
  });

  describe('--device cuda', () => {
    it('training without the CUDA provider fails at start-up with the install instruction', function () {
      needsNoCuda(this);
      profiler.reset();
      assert.throws(() => trainMlp({ epochs: 1, batchSize: 64, out: join(dir, 'cuda-mlp'), limit: 128, testLimit: 64, quiet: true, device: 'cuda' }), (e: Error) => e.message === CUDA_MISSING);
      // Nothing ran before the failure: no operator, no session.
      const c = profiler.counters();
      assert.equal(c.eagerOps + c.sessionsCreated + c.sessionRuns, 0, JSON.stringify(c));
      const r = script('models/train-lenet.ts', ['--device', 'cuda', '--epochs', '1', '--limit', '64', '--out', join(dir, 'cuda-lenet')]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim(), `train-lenet: ${CUDA_MISSING}`);
      assert.equal(r.stdout, '', 'no epoch ran');
      assert.ok(CUDA_MISSING.includes(CUDA_INSTALL_COMMAND));
      // The failure leaves the context as it was: CPU training still works.
      assert.equal(trainMlp({ epochs: 1, batchSize: 64, out: join(dir, 'after-mlp'), limit: 128, testLimit: 64, quiet: true }).history.length, 1);
    });

    it('gluonc serve --device cuda and loadModel({ device: "cuda" }) without the provider fail with the install instruction', async function () {
      needsNoCuda(this);
      const file = join(dir, 'mlp.onnx');
      await assert.rejects(loadModel(file, { device: 'cuda' }), (e: Error) => e.message.includes(CUDA_INSTALL_HINT));
      await assert.rejects(startServeProcess(file, ['--device', 'cuda'], 20_000), (e: Error) => e.message.includes(`${CUDA_MISSING} (or pass --fallback to serve on the CPU)`) && !e.message.includes('fallback: true'));
    });

    it('train-mnist and train-lenet train on CUDA; the artifacts match the blocks on CUDA and on the CPU', async function () {
      needsCuda(this);
      const x = nd.sliceAxis(digits.x, { axis: 0, begin: 0, end: 8 });
      for (const [name, run, shape] of [
        ['mlp', trainMlp, [8, 784]],
        ['lenet', trainLenet, [8, 1, 28, 28]],
      ] as const) {
        const out = join(dir, `gpu-${name}`);
        const r = run({ epochs: 1, batchSize: 32, out, limit: 512, testLimit: 128, quiet: true, device: 'cuda' });
        const input = x.reshape([...shape]);
        const expected = (r.net.call(input) as nd.NDArray).data() as Float32Array;
        for (const device of ['cuda', 'cpu'] as const) {
          const model = await loadModel(`${out}.onnx`, { device });
          try {
            assert.equal(model.device, device);
            const { output } = await model.run({ x: { data: input.data() as Float32Array, shape: [...shape] } });
            assertClose(output!.data as Float32Array, expected, `${name} on ${device}`, 1e-3);
          } finally {
            await model.close();
          }
        }
      }
    });

    it('gluonc serve --device cuda answers a real digit as the CPU does', async function () {
      needsCuda(this);
      const file = join(dir, 'mlp.onnx');
      const { body } = digitRequest(0, [1, 784]);
      const cpu = await loadModel(file);
      const child = await startServeProcess(file, ['--device', 'cuda', '--no-batching']);
      try {
        const reply = (await (await fetch(`${child.url}/infer`, { method: 'POST', body: JSON.stringify(body) })).json()) as { outputs: { data: number[] }[] };
        const { output } = await cpu.run({ x: { data: Float32Array.from(body.inputs[0]!.data), shape: [1, 784] } });
        assertClose(reply.outputs[0]!.data, output!.data as Float32Array, 'served on cuda', 1e-3);
      } finally {
        child.proc.kill('SIGTERM');
        await child.exited;
        await cpu.close();
      }
    });
  });
});
