/**
 * Every model of models/ (and the custom layer of models/examples) exported
 * at ONNX opsets 13, 17 and 21: each file passes python's
 * `onnx.checker.check_model(full_check=True)`, loads in onnxruntime and
 * gives the eager block's outputs (nd operators, not the exported graph) for
 * the same input, also when read back with `SymbolBlock.imports`. The training artifacts (`--train`) at 13 and 21 pass the
 * checker and one step gives the same loss, outputs and updated parameters
 * at both opsets for the same feeds, and at opset 21 the same loss and
 * updated parameters as one eager step (nd operators, the tape's backward,
 * Trainer.step) with the model file's loss and optimizer (skipped for a
 * graph with a random mask, whose draws differ, and for one that trains no
 * parameter).
 * gluonc and the models are imported dynamically, as one module instance
 * (see test/cli/golden-models.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { gluon } from 'gluonc';
import { Session } from '../../runtime/session.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../runtime/tensor.js';
import type { DType } from '../../runtime/dtypes.js';
import { assertClose } from '../helpers/compare.js';
import { ROOT } from '../helpers/cli.js';
import { checkOnnxFiles } from '../helpers/onnx-checker.js';
import { onnx } from '../../compiler/onnx/proto.js';

const OPSETS = [13, 17, 21];
const TRAIN_OPSETS = [13, 21];
const N = 2;

const FILES = [
  ...readdirSync(join(ROOT, 'models')).filter((f) => !f.startsWith('train-')),
  ...['seed', 'd2l'].flatMap((d) => readdirSync(join(ROOT, 'models', d)).map((f) => join(d, f))),
  'bert/bert.ts', // the model file of models/bert/ (its other files hold the layers)
].filter((f) => f.endsWith('.ts'));

interface Built {
  label: string;
  opset: number;
  train: boolean;
  path?: string;
  bytes?: Uint8Array;
  error?: string;
  checker?: string | null;
  feeds: Record<string, HostTensor>;
  /** The eager block's outputs (inference only). */
  expect?: HostTensor[];
}

/** A deterministic pseudo-random stream (so every opset sees the same feeds). */
function stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Whether an artifact draws random numbers (Dropout in training, random operators): its values differ run to run. */
function hasRandomOp(b: Built): boolean {
  return onnx.ModelProto.decode(b.bytes!).graph!.node!.some((n) => /Dropout|Random|Bernoulli|Multinomial/.test(n.opType!));
}

function feed(name: string, dtype: DType, shape: (number | string)[], r: () => number, intRange?: number): HostTensor {
  const dims = shape.map((d) => (typeof d === 'number' ? d : N));
  const n = dims.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () => (intRange ? Math.floor(r() * intRange) : r() * 2 - 1));
  if (name === 't') values.fill(1);
  return tensorFromNumbers(dtype, dims, values);
}

describe('models/ at ONNX opsets 13, 17, 21 (onnx.checker full check, onnxruntime, eager outputs)', function () {
  this.timeout(600000);
  const built: Built[] = [];
  const loaded: { label: string; block: gluon.Block; inputs: Record<string, { shape: (number | string)[]; dtype?: DType }>; module: Record<string, unknown>; tokens?: number; feeds?: Record<string, HostTensor> }[] = [];
  /** One eager training step (autograd.record, backward, Trainer.step) of a model with the `--train` artifact's loss and optimizer: the mean loss and every parameter after the step by structural name. */
  let eagerStep: (m: (typeof loaded)[number], feeds: Record<string, HostTensor>) => { loss: number; lr: number; params: Record<string, HostTensor> } = () => ({ loss: 0, lr: 0, params: {} });
  let dir = '';
  /** Reads an artifact back as a block and calls it (the dynamically imported gluonc's SymbolBlock). */
  let reimport: (path: string, feeds: HostTensor[]) => HostTensor[] = () => [];

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'gluonc-opsets-'));
    const { loadModelFile } = await import('../../cli/model-file.js');
    const { exportBytes } = await import('../../compiler/formats/export.js');
    const { asHybrid } = await import('../../compiler/gluon/traced-block.js');
    const { trainingArtifact, chooseLoss, chooseOptimizer } = await import('../../cli/train-artifact.js');
    const { autograd, gluon, init, nd, random } = await import('gluonc');
    const ndOf = (h: HostTensor) => nd.array(tensorToNumbers(h), { shape: h.shape, dtype: h.dtype });
    eagerStep = (m, feeds) => {
      const opts = { inputs: m.inputs, loss: m.module['loss'], labels: m.module['labels'] as never, trainer: m.module['trainer'] as never, where: m.label };
      const params = (m.block as gluon.Block).collectParams();
      for (const [name, p] of params.entries()) if (feeds[name]) p.setData(ndOf(feeds[name]));
      const optimizer = chooseOptimizer(opts);
      const trainer = new gluon.Trainer(params, optimizer);
      const xs = Object.keys(m.inputs).map((k) => ndOf(feeds[k]!));
      let l: InstanceType<typeof nd.NDArray> | undefined;
      autograd.record(() => {
        // The loss reads the first output, depth first (d2l's seq2seq encoder returns [output, [state]]).
        const out = [m.block.call(...xs)].flat(Infinity)[0] as InstanceType<typeof nd.NDArray>;
        l = chooseLoss(opts, out.shape).loss.call(out, ndOf(feeds['label']!)) as InstanceType<typeof nd.NDArray>;
        return l;
      });
      l!.backward();
      // The artifact's gradient is of the mean over the loss's samples (its batch axis, the output's axis 0; d2l's
      // seq2seq encoder puts time there), so the eager step rescales by their count, not by an input's axis 0.
      const losses = tensorToNumbers(l!._host);
      trainer.step(losses.length);
      return {
        loss: losses.reduce((a, b) => a + b, 0) / losses.length,
        lr: optimizer.learningRate,
        params: Object.fromEntries(params.entries().map(([name, p]) => [name, p.data()._host])),
      };
    };
    const { ScaledTanh } = await import('../../models/examples/custom-layer.js');
    reimport = (path, feeds) => {
      const out = gluon.SymbolBlock.imports(path).call(...feeds.map((h) => nd.array(tensorToNumbers(h), { shape: h.shape, dtype: h.dtype }))) as unknown;
      return (Array.isArray(out) ? out : [out]).map((o: { _host: HostTensor }) => o._host);
    };
    const models = loaded;
    for (const f of FILES) {
      const file = await loadModelFile(join(ROOT, 'models', f));
      models.push({ label: `models/${f}`, block: file.block, inputs: file.inputs, module: file.module as unknown as Record<string, unknown>, tokens: f === 'lstm.ts' ? 1000 : f === 'bert/bert.ts' ? 2 : undefined });
    }
    random.seed(3);
    const custom = new gluon.nn.HybridSequential();
    custom.add(new ScaledTanh(8), new gluon.nn.Dense(1));
    custom.initialize(new init.Xavier({ magnitude: 2.24 }));
    custom.call(nd.ones([1, 2]));
    models.push({ label: 'models/examples/custom-layer.ts (ScaledTanh)', block: custom, inputs: { x: { shape: ['N', 2], dtype: 'float32' } }, module: {} });

    for (const m of models) {
      const r = stream(11);
      const feeds = Object.fromEntries(Object.entries(m.inputs).map(([k, s]) => [k, feed(k, s.dtype ?? 'float32', s.shape, r, m.tokens)]));
      m.feeds = feeds;
      const outs = m.block.call(...Object.values(feeds).map((h) => nd.array(tensorToNumbers(h), { shape: h.shape, dtype: h.dtype }))) as unknown;
      const expect = [outs].flat(Infinity).map((o) => (o as { _host: HostTensor })._host); // nested outputs, depth first
      const block = asHybrid(m.block);
      for (const opset of OPSETS) {
        const b: Built = { label: m.label, opset, train: false, feeds, expect };
        try {
          b.bytes = exportBytes(block, { inputs: m.inputs, opset, check: false }).bytes; // the test loads it itself
        } catch (e) {
          b.error = (e as Error).message;
        }
        built.push(b);
      }
      let trainFeeds: Record<string, HostTensor> | undefined;
      for (const opset of TRAIN_OPSETS) {
        const b: Built = { label: m.label, opset, train: true, feeds: {} };
        try {
          const t = trainingArtifact(block, { inputs: m.inputs, loss: m.module['loss'], labels: m.module['labels'] as never, trainer: m.module['trainer'] as never, opset, where: m.label });
          b.bytes = t.bytes;
          if (!trainFeeds) {
            const tr = stream(5);
            const out = t.manifest.outputs.find((o) => o.name === 'output')?.shape ?? [];
            const classes = out.length === 2 && typeof out[1] === 'number' ? out[1] : undefined;
            trainFeeds = Object.fromEntries(t.manifest.inputs.map((i) => [i.name, feeds[i.name] ?? feed(i.name, i.dtype as DType, i.shape, tr, i.name === 'label' ? classes : undefined)]));
          }
          b.feeds = trainFeeds;
        } catch (e) {
          b.error = (e as Error).message;
        }
        built.push(b);
      }
    }
    built.forEach((b, i) => {
      if (!b.bytes) return;
      b.path = join(dir, `${i}.onnx`);
      writeFileSync(b.path, b.bytes);
    });
    const withFile = built.filter((b) => b.path);
    checkOnnxFiles(withFile.map((b) => b.path!)).forEach((msg, i) => (withFile[i]!.checker = msg));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (b: Built): Record<string, HostTensor> => {
    try {
      const s = Session.create(b.bytes!);
      try {
        return s.runSync(b.feeds);
      } finally {
        s.close();
      }
    } catch (e) {
      throw new Error(`${b.label}${b.train ? ' --train' : ''} at opset ${b.opset}: onnxruntime: ${(e as Error).message}`);
    }
  };

  const labels = [...FILES.map((f) => `models/${f}`), 'models/examples/custom-layer.ts (ScaledTanh)'];
  for (const label of labels) {
    for (const opset of OPSETS) {
      it(`${label} at opset ${opset}`, () => {
        const b = built.find((x) => x.label === label && x.opset === opset && !x.train)!;
        assert.ok(!b.error, `${label} opset ${opset}: ${b.error}`);
        assert.equal(b.checker, null, `${label} opset ${opset}: onnx.checker: ${b.checker}`);
        const got = Object.values(run(b));
        assert.equal(got.length, b.expect!.length);
        got.forEach((o, j) => {
          assert.deepEqual(o.shape, b.expect![j]!.shape, `${label} opset ${opset}: output ${j} shape`);
          assertClose(tensorToNumbers(o), tensorToNumbers(b.expect![j]!), `${label} opset ${opset}: output ${j} vs the eager block`, 1e-3, 1e-4);
        });
      });
      // gluonc reads its own artifact back at any opset (SymbolBlock.imports).
      it(`${label} at opset ${opset}: SymbolBlock.imports gives the same outputs`, () => {
        const b = built.find((x) => x.label === label && x.opset === opset && !x.train)!;
        assert.ok(b.path, `${label} opset ${opset}: ${b.error}`);
        reimport(b.path, Object.values(b.feeds)).forEach((o, j) => assertClose(tensorToNumbers(o), tensorToNumbers(b.expect![j]!), `${label} opset ${opset}: output ${j} of SymbolBlock.imports vs the eager block`, 1e-3, 1e-4));
      });
    }
    it(`${label} --train at opsets ${TRAIN_OPSETS.join(' and ')}`, () => {
      const bs = TRAIN_OPSETS.map((opset) => built.find((x) => x.label === label && x.opset === opset && x.train)!);
      for (const b of bs) {
        assert.ok(!b.error, `${label} --train opset ${b.opset}: ${b.error}`);
        assert.equal(b.checker, null, `${label} --train opset ${b.opset}: onnx.checker: ${b.checker}`);
      }
      const [low, high] = bs.map(run) as [Record<string, HostTensor>, Record<string, HostTensor>];
      assert.deepEqual(Object.keys(low).sort(), Object.keys(high).sort());
      // A random mask (Dropout in training) is drawn anew by each artifact: then only the shapes compare.
      const random = bs.some(hasRandomOp);
      for (const k of Object.keys(high)) {
        assert.deepEqual(low[k]!.shape, high[k]!.shape, `${label} --train: ${k} shape`);
        if (!random) assertClose(tensorToNumbers(low[k]!), tensorToNumbers(high[k]!), `${label} --train: ${k} at opset 13 vs 21`, 1e-4, 1e-5);
      }
    });
    // The artifact's step against the eager path (nd operators, the tape's backward, Trainer.step): the same loss and updated parameters.
    it(`${label} --train at opset ${TRAIN_OPSETS.at(-1)} equals one eager training step`, function () {
      const b = built.find((x) => x.label === label && x.opset === TRAIN_OPSETS.at(-1) && x.train)!;
      assert.ok(!b.error, `${label} --train: ${b.error}`);
      if (hasRandomOp(b)) this.skip(); // a random mask differs between the two paths
      const m = loaded.find((x) => x.label === label)!;
      const feeds = { ...b.feeds };
      // Parameters the step trains are inputs of the artifact; a block with none (no parameters, or arrays read
      // through .data() in an eager forward, which become constants) has no step to compare.
      if (!(m.block as gluon.Block).collectParams().keys().some((k) => feeds[k])) this.skip();
      const expect = eagerStep(m, feeds);
      // The first step: the optimizer's learning rate, t = 1, zero optimizer states.
      for (const [k, v] of Object.entries(feeds)) {
        if (k === 'lr') feeds[k] = tensorFromNumbers('float32', [], [expect.lr]);
        else if (k === 't') feeds[k] = tensorFromNumbers('float32', [], [1]);
        else if (/\.state\d+$/.test(k)) feeds[k] = tensorFromNumbers(v.dtype, v.shape, new Array(tensorToNumbers(v).length).fill(0));
      }
      const got = run({ ...b, feeds });
      assertClose(tensorToNumbers(got['loss']!), [expect.loss], `${label} --train: loss vs the eager step`, 1e-3, 1e-5);
      let compared = 0;
      for (const [name, value] of Object.entries(expect.params)) {
        const out = got[`${name}.new`];
        if (!out) continue;
        assert.deepEqual(out.shape, value.shape, `${label} --train: ${name}.new shape`);
        // The updates (new - old), not the new values: an update is small beside its parameter.
        const old = tensorToNumbers(feeds[name]!);
        const delta = (t: HostTensor) => tensorToNumbers(t).map((v, i) => v - old[i]!);
        assertClose(delta(out), delta(value), `${label} --train: ${name}.new - ${name} vs the eager step's update`, 1e-2, 2e-6);
        compared++;
      }
      assert.ok(compared > 0, `${label} --train: no updated parameter to compare`);
    });
  }
});
