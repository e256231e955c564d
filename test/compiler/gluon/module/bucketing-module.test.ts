/**
 * mod.BucketingModule (compiler/gluon/module/bucketing-module.ts) on MXNet
 * 1.x's lstm_bucketing.py recipe: a tiny LSTM language model (Embedding,
 * rnn.SequentialRNNCell of rnn.LSTMCell, FullyConnected, SoftmaxOutput)
 * fitted over rnn.BucketSentenceIter for 2 epochs equals PyTorch doing the
 * same SGD in float64 from the same weights on the same batch order (the
 * SoftmaxOutput gradient summed over the rows, rescaled by 1 / batch, wd
 * on the weights only); buckets share one set of parameters (an update in
 * one bucket moves another's outputs exactly as a fresh Module with the
 * updated parameters gives them); a bucket seen again trains without
 * compiling; the validation perplexity equals PyTorch's;
 * the checkpoint reads back with Module.load; and the Errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { init, metric, mod, nd, profiler, random, rnn, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import type { Symbol } from '../../../../compiler/trace/symbol.js';
import { assertClose } from '../../../helpers/compare.js';
import { runPython } from '../../../helpers/python-server.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);
const quiet = { info: () => {} };
const V = 7;
const E = 4;
const H = 5;
const B = 2;

/** lstm_bucketing.py's sym_gen over one shared stack. */
function makeSymGen(stack = new rnn.SequentialRNNCell().add(new rnn.LSTMCell(H, { prefix: 'lstm_l0_' })), layout: 'NTC' | 'TNC' = 'NTC') {
  return (seqLen: unknown) => {
    const data = sym.var('data');
    const label = sym.var('softmax_label');
    const embed = sym.Embedding(data, { inputDim: V, outputDim: E, name: 'embed' });
    stack.reset();
    const [outputs] = stack.unroll(seqLen as number, embed, { mergeOutputs: true, layout });
    const pred = sym.FullyConnected(sym.Reshape(outputs, { shape: [-1, H] }), { numHidden: V, name: 'pred' });
    return [sym.SoftmaxOutput(pred, sym.Reshape(label, { shape: [-1] }), { name: 'softmax' }), ['data'], ['softmax_label']] as const;
  };
}

// Lengths 2..5 in two buckets (3, 5); 0 is the invalid label (padding), words 1..6.
const SENTS = [[1, 2, 3], [4, 5], [6, 1, 2, 3, 4], [2, 2, 6, 5], [3, 1], [5, 6, 1], [1, 3, 5, 2, 4], [6, 6, 2, 1, 3]];

function initial(): Record<string, NDArray> {
  random.seed(41);
  const u = (shape: number[], s = 0.5) => nd.random.uniform(-s, s, shape);
  return {
    embed_weight: u([V, E]), lstm_l0_i2h_weight: u([4 * H, E]), lstm_l0_i2h_bias: u([4 * H], 0.1),
    lstm_l0_h2h_weight: u([4 * H, H]), lstm_l0_h2h_bias: u([4 * H], 0.1), pred_weight: u([V, H]), pred_bias: u([V], 0.1),
  };
}

/** PyTorch float64: the same model and SGD (MXNet gate order i, f, c, o); SoftmaxOutput's gradient is that of the summed cross entropy, rescaled by 1 / batch. */
const TORCH_LM = String.raw`
import json, sys, torch
a = json.load(sys.stdin)
P = {k: torch.tensor(v, dtype=torch.float64).reshape(a['shapes'][k]).requires_grad_(True) for k, v in a['init'].items()}
H, B, lr, wd = a['H'], a['B'], a['lr'], a['wd']
def forward(data):
    x = P['embed_weight'][data]
    h = torch.zeros(data.shape[0], H, dtype=torch.float64); c = torch.zeros_like(h)
    outs = []
    for t in range(data.shape[1]):
        g = x[:, t] @ P['lstm_l0_i2h_weight'].T + P['lstm_l0_i2h_bias'] + h @ P['lstm_l0_h2h_weight'].T + P['lstm_l0_h2h_bias']
        i, f, cc, o = g.split(H, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(cc)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, 1).reshape(-1, H) @ P['pred_weight'].T + P['pred_bias']
for epoch in range(a['epochs']):
    for data, label in a['batches']:
        d = torch.tensor(data, dtype=torch.int64); l = torch.tensor(label, dtype=torch.int64).reshape(-1)
        for p in P.values(): p.grad = None
        loss = torch.nn.functional.cross_entropy(forward(d), l, reduction='sum') / B
        loss.backward()
        with torch.no_grad():
            for k, p in P.items():
                p -= lr * (p.grad + (wd * p if k.endswith('_weight') else 0))
res = {k: v.detach().reshape(-1).tolist() for k, v in P.items()}
# MXNet's Perplexity(ignore_label=0) over the batches with the final weights: exp of the mean -log p over labels other than 0.
with torch.no_grad():
    nll, n = 0.0, 0
    for data, label in a['batches']:
        l = torch.tensor(label, dtype=torch.int64).reshape(-1)
        lp = torch.log_softmax(forward(torch.tensor(data, dtype=torch.int64)), 1).gather(1, l[:, None])[:, 0]
        nll -= lp[l != 0].sum().item(); n += int((l != 0).sum())
res['ppl'] = [float(torch.exp(torch.tensor(nll / n)))]
print(json.dumps(res))
`;

function torch(input: unknown): Record<string, number[]> {
  const r = runPython(TORCH_LM, { input: JSON.stringify(input) });
  assert.equal(r.status, 0, `python3/torch failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number[]>;
}

const iter = (layout: 'NT' | 'TN' = 'NT') => new rnn.BucketSentenceIter(SENTS, B, { buckets: [3, 5], invalidLabel: 0, shuffle: false, layout, log: () => {} });

describe('mod.BucketingModule', () => {
  it('fit of a tiny LSTM LM over two buckets for 2 epochs equals PyTorch float64 SGD on the same batches; a bucket seen again compiles nothing', () => {
    const start = initial();
    const it = iter();
    const batches = [...it].map((b) => [b.bucketKey, (b.data[0]!.toArray() as number[][]), (b.label[0]!.toArray() as number[][])] as const);
    it.reset();
    assert.deepEqual(batches.map((b) => b[0]), [3, 3, 5, 5], 'both buckets take part');
    const model = new mod.BucketingModule(makeSymGen(), { defaultBucketKey: it.defaultBucketKey, logger: quiet });
    const lines: string[] = [];
    model.logger = { info: (s) => lines.push(s) };
    const compiles: number[] = [];
    const sessions: number[] = [];
    const count = () => {
      compiles.push(profiler.counters().compiles);
      sessions.push(profiler.counters().sessionsCreated);
    };
    profiler.reset();
    model.fit(it, {
      optimizer: 'sgd', optimizerParams: { learning_rate: 0.5, momentum: 0, wd: 0.01 }, argParams: start,
      evalMetric: new metric.Perplexity(0), numEpoch: 2, evalData: iter(),
      // Counted after each epoch's training and after its scoring: [train 0, score 0, train 1, score 1].
      epochEndCallback: count,
      evalEndCallback: count,
    });
    const ref = torch({
      init: Object.fromEntries(Object.entries(start).map(([k, v]) => [k, flat(v)])), shapes: Object.fromEntries(Object.entries(start).map(([k, v]) => [k, v.shape])),
      H, B, lr: 0.5, wd: 0.01, epochs: 2, batches: batches.map(([, d, l]) => [d, l]),
    });
    const [arg] = model.getParams();
    assert.deepEqual(Object.keys(arg).sort(), Object.keys(start).sort());
    for (const k of Object.keys(start)) assertClose(flat(arg[k]!), ref[k]!, `${k} after 2 epochs vs PyTorch`, 1e-4, 1e-5);
    for (const k of Object.keys(start)) assert.ok(flat(arg[k]!).some((v, i) => Math.abs(v - flat(start[k]!)[i]!) > 1e-3), `${k} moved`);
    assert.deepEqual(model.bucketKeys.sort(), [3, 5]);
    assert.match(lines[0]!, /^Epoch\[0\] Train-perplexity=\d+\.\d{6}$/);
    // score over the evaluation iterator (both buckets) with the final weights: MXNet's Perplexity(0) as PyTorch computes it.
    const val = lines.find((l) => l.startsWith('Epoch[1] Validation-perplexity='));
    assert.ok(val, lines.join('\n'));
    assertClose([Number(val.split('=')[1])], ref.ppl!, 'validation perplexity vs PyTorch', 1e-5, 1e-6);
    // Each bucket compiles its training step once; the second epoch's training revisits both buckets and compiles nothing.
    // Scoring compiles each bucket's inference forward, and again after the parameters changed: a prediction session
    // bakes the parameters in and is rebuilt when they change (hybrid.ts, at most 3 times a signature), one per bucket.
    assert.equal(compiles.length, 4);
    assert.ok(compiles[0]! > 0 && compiles[0]! <= 2, `compiles in epoch 0's training: ${compiles[0]}`);
    assert.equal(compiles[2], compiles[1], 'no compile in the second epoch\'s training');
    assert.equal(sessions[2], sessions[1], 'no new session in the second epoch\'s training');
    assert.ok(compiles[1]! - compiles[0]! <= 2 && compiles[3]! - compiles[2]! <= 2, `scoring compiles at most one forward per bucket: ${compiles}`);
  });

  it('buckets share the parameters: an update in bucket 3 moves bucket 5\'s outputs exactly as a fresh Module with the updated parameters gives them', () => {
    const start = initial();
    const symGen = makeSymGen();
    const model = new mod.BucketingModule(symGen, { defaultBucketKey: 5, logger: quiet });
    const it = iter();
    const [b3, , b5] = [...it];
    model.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel });
    model.initParams({ argParams: start });
    model.initOptimizer({ optimizer: 'sgd', optimizerParams: { learning_rate: 0.5 } });
    model.forward(b5!, { isTrain: false });
    const before = flat(model.getOutputs()[0]!);
    model.forward(b3!, { isTrain: true });
    assert.equal(model.currBucketKey, 3);
    model.backward();
    model.update();
    model.forward(b5!, { isTrain: false });
    const after = flat(model.getOutputs()[0]!);
    assert.ok(after.some((v, i) => Math.abs(v - before[i]!) > 1e-6), 'bucket 3\'s update reached bucket 5');
    const [arg] = model.getParams();
    const word = flat(b3!.data[0]!)[0]!;
    assert.ok(Math.abs(flat(arg.embed_weight!)[word * E]! - flat(start.embed_weight!)[word * E]!) > 1e-6, 'bucket 3 changed the shared embedding');
    const [s5, dn, ln] = symGen(5);
    const fresh = new mod.Module(s5, { dataNames: [...dn], labelNames: [...ln!], logger: quiet });
    fresh.bind({ dataShapes: b5!.provideData, labelShapes: b5!.provideLabel, forTraining: false });
    fresh.initParams({ argParams: arg });
    fresh.forward(b5!, { isTrain: false });
    assertClose(after, flat(fresh.getOutputs()[0]!), 'bucket 5 after the update vs a fresh Module', 1e-6, 1e-7);
    // forceRebind starts over from the default bucket, keeping the parameters (MXNet's bind).
    model.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel, forceRebind: true });
    assert.deepEqual(model.bucketKeys, [5]);
    assert.equal(model.optimizerInitialized, false);
    const [again] = model.getParams();
    for (const k of Object.keys(arg)) assert.deepEqual(flat(again[k]!), flat(arg[k]!), `${k} kept by forceRebind`);
  });

  it('time-major batches (layout TN, unroll TNC) train as the batch-major ones: rescale_grad is 1 / the N axis, not the first', () => {
    const fit = (layout: 'NT' | 'TN') => {
      const it = iter(layout);
      const m = new mod.BucketingModule(makeSymGen(undefined, layout === 'NT' ? 'NTC' : 'TNC'), { defaultBucketKey: it.defaultBucketKey, logger: quiet });
      m.fit(it, { optimizerParams: { learning_rate: 0.5 }, argParams: initial(), evalMetric: new metric.Perplexity(0), numEpoch: 1 });
      assert.equal(m.currModule.trainer.optimizer.rescaleGrad, 1 / B);
      return m.getParams()[0];
    };
    const nt = fit('NT');
    const tn = fit('TN');
    for (const k of Object.keys(nt)) assertClose(flat(tn[k]!), flat(nt[k]!), `${k}: TN vs NT`, 1e-5, 1e-6);
  });

  it('saveCheckpoint writes the default bucket\'s symbol and the parameters, read back by Module.load', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bucketing-'));
    const start = initial();
    const model = new mod.BucketingModule(makeSymGen(), { defaultBucketKey: 5, logger: quiet });
    const it = iter();
    model.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel });
    model.initParams({ argParams: start });
    model.saveCheckpoint(path.join(dir, 'lm'), 3);
    const back = mod.Module.load(path.join(dir, 'lm'), 3, { logger: quiet });
    back.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel, forTraining: false });
    const b5 = [...it][2]!;
    back.forward(b5, { isTrain: false });
    model.forward(b5, { isTrain: false });
    assertClose(flat(back.getOutputs()[0]!), flat(model.getOutputs()[0]!), 'the checkpoint\'s outputs', 1e-6, 1e-7);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('Errors: forward before bind, symGen\'s wrong names or form, data shapes its bucket cannot take, a parameter the default bucket lacks', () => {
    const it = iter();
    const [b3] = [...it];
    const model = new mod.BucketingModule(makeSymGen(), { defaultBucketKey: 5, logger: quiet });
    assert.throws(() => model.forward(b3!), /BucketingModule.forward: bind and initParams must be called first/);
    assert.throws(() => model.switchBucket(3, b3!.provideData), /call bind before switching bucket/);
    const wrongNames = (k: unknown) => [makeSymGen()(k)[0], ['x'], ['softmax_label']] as const;
    assert.throws(() => new mod.BucketingModule(wrongNames, { defaultBucketKey: 5 }), /bucket 5: Module: .*dataNames=\["x"\].*'x' is not found/s);
    assert.throws(() => new mod.BucketingModule(((k: unknown) => makeSymGen()(k)[0]) as never, { defaultBucketKey: 5 }), /bucket 5: symGen must return \[symbol, dataNames, labelNames\]/);
    assert.throws(() => new mod.BucketingModule(makeSymGen(), {} as never), /defaultBucketKey is required/);
    assert.throws(() => new mod.BucketingModule(() => { throw new Error('no such length'); }, { defaultBucketKey: 5 }), /bucket 5: symGen\(5\) failed: no such length/);
    assert.throws(() => new mod.BucketingModule(makeSymGen(), { defaultBucketKey: 5, stateNames: ['h0'] }), /stateNames \(h0\) are not supported/);
    model.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel });
    model.initParams({ argParams: initial() });
    assert.throws(() => model.update(), /BucketingModule.update: bind, initParams and initOptimizer must be called first/);
    // A batch that says bucket 3 but holds 4 steps: the bucket's 3-step symbol cannot split it.
    const bad = { data: [nd.ones([B, 4])], label: [nd.ones([B, 4])], bucketKey: 3 };
    assert.throws(() => model.forward(bad, { isTrain: false }), /bucket 3 \(data shapes data \[2, 4\]\).*split/s);
    // A bucket whose symbol reads a parameter the default bucket does not have.
    const extra = (k: unknown) => {
      const [s, d, l] = makeSymGen()(k);
      return [(k as number) === 5 ? s : sym.broadcastMul(s as Symbol, sym.var('scale_weight', { shape: [1] })), d, l] as const;
    };
    const m2 = new mod.BucketingModule(extra, { defaultBucketKey: 5, logger: quiet });
    m2.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel });
    m2.initParams({ argParams: initial() });
    assert.throws(() => m2.forward(b3!), /bucket 3 .*parameter 'scale_weight' is not in the shared module/s);
  });
});
