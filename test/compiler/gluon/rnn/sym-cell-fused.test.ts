/**
 * Legacy mx.rnn.FusedRNNCell (compiler/gluon/rnn/sym-cell-fused.ts) and its
 * helpers: the fused unroll over an unshaped sym var against PyTorch's
 * nn.LSTM/GRU/RNN in float64 whose weights are cut from the flat vector in
 * Python by src/operator/rnn-inl.h's layout (gate orders coincide: LSTM
 * i, f, g, o; GRU r, z, n with the reset gate on the recurrent n block);
 * unfuse() with packWeights(unpackWeights(...)) computing the same; the
 * round trip; a Module forward and a short fit of the fused symbol against
 * the unfused one, also in a BucketingModule over two buckets; an MXNet
 * checkpoint's `<prefix>parameters` (written in MXNet's .params format from
 * the fixture's weights) against the fixture's PyTorch reference;
 * saveCheckpoint writing one MXNet RNN node that Module.load reads back;
 * do/loadRnnCheckpoint's unpacked weights; init.FusedRNN; ZoneoutCell
 * (prediction, masks and rates); per-gate unpack/pack; and the Errors.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, init, io, mod, nd, random, rnn, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import type { Symbol } from '../../../../compiler/trace/symbol.js';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';
import { runPython } from '../../../helpers/python-server.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);
const t64 = (a: NDArray) => ({ shape: a.shape, dtype: 'float64', data: flat(a) });

/** PyTorch float64 over a: x, b: the flat vector cut here by rnn-inl.h's layout, c (, d): the begin states [L*D, N, H]. */
const TORCH_PY = `
import torch
mode, H, L, D, ntc = attrs['mode'], attrs['H'], attrs['L'], attrs['D'], attrs['ntc']
G = {'lstm': 4, 'gru': 3, 'rnn_tanh': 1, 'rnn_relu': 1}[mode]
x = torch.tensor(a); p = b.astype(np.float64); I = a.shape[-1]
kw = {} if mode in ('lstm', 'gru') else {'nonlinearity': 'relu' if mode == 'rnn_relu' else 'tanh'}
net = {'lstm': torch.nn.LSTM, 'gru': torch.nn.GRU}.get(mode, torch.nn.RNN)(I, H, num_layers=L, bidirectional=D == 2, batch_first=ntc, **kw).double()
off = [0]
def take(shape):
    n = int(np.prod(shape)); v = p[off[0]:off[0] + n].reshape(shape); off[0] += n
    return torch.tensor(v)
sfx = ['', '_reverse'][:D]
with torch.no_grad():
    for k in range(L):
        for j in range(D):
            getattr(net, 'weight_ih_l%d%s' % (k, sfx[j])).copy_(take((G * H, I if k == 0 else D * H)))
            getattr(net, 'weight_hh_l%d%s' % (k, sfx[j])).copy_(take((G * H, H)))
    for k in range(L):
        for j in range(D):
            getattr(net, 'bias_ih_l%d%s' % (k, sfx[j])).copy_(take((G * H,)))
            getattr(net, 'bias_hh_l%d%s' % (k, sfx[j])).copy_(take((G * H,)))
    assert off[0] == p.size, (off[0], p.size)
    s0 = (torch.tensor(c), torch.tensor(d)) if mode == 'lstm' else torch.tensor(c)
    y, s = net(x, s0)
out = [y.numpy()] + ([t.numpy() for t in s] if mode == 'lstm' else [s.numpy()])
`;

function torchRef(mode: string, H: number, L: number, D: number, ntc: boolean, x: NDArray, p: NDArray, states: NDArray[]): number[][] {
  const [r] = numpyRefs([{ code: TORCH_PY, attrs: { mode, H, L, D, ntc }, inputs: [t64(x), t64(p), ...states.map(t64)] }]);
  assert.equal(r!.error, undefined, r!.error);
  return r!.outs.map((o) => o.data as number[]);
}

/** MXNet's GetRnnParamSize (src/operator/rnn-inl.h). */
const paramSize = (G: number, H: number, L: number, D: number, I: number) => (I + H + 2) * H * G * D + (L - 1) * (D * H + H + 2) * H * G * D;

describe('rnn.FusedRNNCell (MXNet 1.x legacy mx.rnn)', () => {
  random.seed(5);
  const [N, T, I, H] = [3, 4, 5, 3];
  const cases: [rnn.FusedRNNCellOptions['mode'], number, boolean, 'NTC' | 'TNC', number][] = [
    ['lstm', 2, true, 'NTC', 4],
    ['gru', 2, false, 'TNC', 3],
    ['rnn_tanh', 1, true, 'NTC', 1],
    ['rnn_relu', 3, false, 'NTC', 1],
  ];
  for (const [mode, L, bi, layout, G] of cases) {
    const D = bi ? 2 : 1;
    it(`${mode}, ${L} layer(s)${bi ? ', bidirectional' : ''}, ${layout}: unroll over an unshaped var equals PyTorch (float64) and the unfused stack with unpacked weights`, () => {
      const cell = new rnn.FusedRNNCell(H, { numLayers: L, mode, bidirectional: bi, getNextState: true });
      const prefix = `${mode}_`;
      const x = nd.random.uniform(-1, 1, layout === 'NTC' ? [N, T, I] : [T, N, I]);
      const p = nd.random.uniform(-0.5, 0.5, [paramSize(G, H, L, D, I)]);
      const states = Array.from({ length: mode === 'lstm' ? 2 : 1 }, () => nd.random.uniform(-0.5, 0.5, [L * D, N, H]));
      const names = states.map((_s, k) => `s${k}`);
      const [y, finals] = cell.unroll(T, sym.var('data'), { layout, mergeOutputs: true, beginState: names.map((n) => sym.var(n)) });
      assert.deepEqual(y.listArguments().sort(), ['data', `${prefix}parameters`, ...names].sort());
      const feeds = { data: x, [`${prefix}parameters`]: p, ...Object.fromEntries(names.map((n, k) => [n, states[k]!])) };
      const ref = torchRef(mode!, H, L, D, layout === 'NTC', x, p, states);
      const got = y.eval(feeds) as NDArray;
      assert.deepEqual(got.shape, layout === 'NTC' ? [N, T, D * H] : [T, N, D * H]);
      assertClose(flat(got), ref[0]!, `${mode} outputs`, 1e-4, 1e-5);
      assert.equal(finals.length, states.length);
      finals.forEach((f, k) => assertClose(flat(f.eval(feeds) as NDArray), ref[1 + k]!, `${mode} final state ${k}`, 1e-4, 1e-5));
      // unfuse(): the same numbers with the unpacked (MXNet per-gate) weights packed into the cells.
      const unpacked = cell.unpackWeights({ [`${prefix}parameters`]: p });
      assert.ok(`${prefix}l0_i2h${mode === 'lstm' ? '_i' : mode === 'gru' ? '_r' : ''}_weight` in unpacked);
      const stack = cell.unfuse();
      const args = stack.packWeights(unpacked);
      const [u] = stack.unroll(T, sym.var('data'), { layout, mergeOutputs: true, beginState: stack.beginState({ func: (n) => sym.var(n) }) });
      // The stack's begin states are per layer (and direction): [N, H] each, cut from the fused [L*D, N, H].
      const per = stack.stateNames.length === 0 ? {} : Object.fromEntries(stack.stateNames.map((n, k) => {
        const [layer, s] = [Math.floor(k / (states.length * D)), k % (states.length * D)];
        const [dir, which] = [Math.floor(s / states.length), s % states.length];
        return [n, states[which]!.sliceAxis(0, layer * D + dir, layer * D + dir + 1).reshape([N, H])];
      }));
      assertClose(flat(u.eval({ data: x, ...args, ...per }) as NDArray), ref[0]!, `${mode} unfused outputs`, 1e-4, 1e-5);
      // packWeights(unpackWeights(x)) is x, bit for bit.
      assert.deepEqual(flat(cell.packWeights(unpacked)[`${prefix}parameters`]!), flat(p));
    });
  }

  it('default zero begin states; mergeOutputs false gives steps; no states without getNextState; the unfused stack names MXNet\'s', () => {
    const cell = new rnn.FusedRNNCell(H, { mode: 'gru', prefix: 'g_' });
    const x = nd.random.uniform(-1, 1, [N, T, I]);
    const p = nd.random.uniform(-0.5, 0.5, [paramSize(3, H, 1, 1, I)]);
    const [steps, states] = cell.unroll(T, sym.var('data'), { mergeOutputs: false });
    assert.equal(states.length, 0);
    assert.equal((steps as Symbol[]).length, T);
    const ref = torchRef('gru', H, 1, 1, true, x, p, [nd.zeros([1, N, H])]);
    const last = (steps as Symbol[])[T - 1]!.eval({ data: x, g_parameters: p }) as NDArray;
    assertClose(flat(last), ref[1]!, 'gru last step = final state', 1e-4, 1e-5);
    assert.deepEqual(cell.stateInfo, [{ shape: [1, 0, H], layout: 'LNC' }]);
    // Block.initialize's initializer is init.FusedRNN's global one: weights from it, biases 0.
    const data = sym.var('data');
    const blk = new gluon.SymbolBlock(cell.unroll(T, data, { mergeOutputs: true })[0], data);
    blk.initialize(new init.Constant(0.5));
    blk.call(x);
    const drawn = cell.unpackWeights({ g_parameters: blk.collectParams().get('g_parameters').data() });
    assert.deepEqual(flat(drawn['g_l0_i2h_r_weight']!), new Array(H * I).fill(0.5));
    assert.deepEqual(flat(drawn['g_l0_h2h_z_bias']!), new Array(H).fill(0));
    const two = new rnn.FusedRNNCell(4, { numLayers: 2, mode: 'lstm', bidirectional: true, dropout: 0.5, prefix: 'f_' });
    const stack = two.unfuse();
    assert.deepEqual(stack.cells.map((c) => c.constructor.name), ['BidirectionalCell', 'DropoutCell', 'BidirectionalCell']);
    const [o] = stack.unroll(2, sym.var('data'), { mergeOutputs: true });
    assert.deepEqual(o.listArguments().filter((n) => n !== 'data').sort(), ['f_l0_h2h_bias', 'f_l0_h2h_weight', 'f_l0_i2h_bias', 'f_l0_i2h_weight', 'f_l1_h2h_bias', 'f_l1_h2h_weight', 'f_l1_i2h_bias', 'f_l1_i2h_weight', 'f_r0_h2h_bias', 'f_r0_h2h_weight', 'f_r0_i2h_bias', 'f_r0_i2h_weight', 'f_r1_h2h_bias', 'f_r1_h2h_weight', 'f_r1_i2h_bias', 'f_r1_i2h_weight']);
    // beginState with a batch size puts it on the fused state's N axis (layout LNC); stateNames are the names it gives next.
    assert.deepEqual(two.stateNames, ['f_begin_state_0', 'f_begin_state_1']);
    const named: string[] = [];
    const [b0] = two.beginState({ batchSize: 7 });
    two.beginState({ func: (n) => (named.push(n), sym.var(n)) });
    assert.deepEqual(named, ['f_begin_state_2', 'f_begin_state_3']);
    assert.deepEqual((b0!.eval({}) as NDArray).shape, [4, 7, 4]);
  });

  it('a Module over the fused symbol: forward and a 3-batch SGD fit equal the unfused stack with packed weights; init.FusedRNN draws the gates', () => {
    const [B, TT, II, HH] = [4, 3, 2, 3];
    const x = nd.random.uniform(-1, 1, [8, TT, II]);
    const yv = nd.random.uniform(-1, 1, [8, TT * 2 * HH]);
    const build = (cell: rnn.BaseRNNCell) => {
      const [out] = cell.unroll(TT, sym.var('data'), { mergeOutputs: true }) as [Symbol, Symbol[]];
      return sym.LinearRegressionOutput(sym.Reshape(out, { shape: [-1, TT * 2 * HH] }), sym.var('lro_label'), { name: 'lro' });
    };
    const fused = new rnn.FusedRNNCell(HH, { numLayers: 2, mode: 'lstm', bidirectional: true, prefix: 'lstm_' });
    const mf = new mod.Module(build(fused), { dataNames: ['data'], labelNames: ['lro_label'], logger: { info: () => {} } });
    mf.bind({ dataShapes: [['data', [B, TT, II]]], labelShapes: [['lro_label', [B, TT * 2 * HH]]] });
    mf.initParams({ initializer: new init.Xavier() });
    const [argsF] = mf.getParams();
    const vec = argsF['lstm_parameters']!;
    assert.deepEqual(vec.shape, [paramSize(4, HH, 2, 2, II)]);
    // init.FusedRNN: biases 0, the LSTM forget gates' (i2h and h2h) 1.0, weights from the global Xavier (not zero).
    const parts = fused.unpackWeights(argsF);
    assert.deepEqual(flat(parts['lstm_r1_i2h_f_bias']!), [1, 1, 1]);
    assert.deepEqual(flat(parts['lstm_l0_h2h_f_bias']!), [1, 1, 1]);
    assert.deepEqual(flat(parts['lstm_l0_i2h_i_bias']!), [0, 0, 0]);
    assert.ok(flat(parts['lstm_r0_i2h_c_weight']!).some((v) => v !== 0));
    const stack = fused.unfuse();
    const mu = new mod.Module(build(stack), { dataNames: ['data'], labelNames: ['lro_label'], logger: { info: () => {} } });
    mu.bind({ dataShapes: [['data', [B, TT, II]]], labelShapes: [['lro_label', [B, TT * 2 * HH]]] });
    mu.initParams({ argParams: stack.packWeights(parts) });
    const batch = { data: [x.sliceAxis(0, 0, B)], label: [yv.sliceAxis(0, 0, B)] };
    mf.forward(batch, { isTrain: false });
    mu.forward(batch, { isTrain: false });
    assertClose(flat(mf.getOutputs()[0]!), flat(mu.getOutputs()[0]!), 'fused vs unfused forward', 1e-5, 1e-6);
    const fit = (m: mod.Module) => m.fit(new io.NDArrayIter(x, yv, { batchSize: B, labelName: 'lro_label' }), { numEpoch: 1, optimizer: 'sgd', optimizerParams: { learning_rate: 0.5 }, evalMetric: 'mse', forceInit: false });
    fit(mf);
    fit(mu);
    const after = stack.packWeights(fused.unpackWeights(mf.getParams()[0]));
    const ref = mu.getParams()[0];
    for (const k of Object.keys(ref).filter((k) => k.startsWith('lstm_'))) assertClose(flat(after[k]!), flat(ref[k]!), `after fit: ${k}`, 1e-4, 1e-5);
    assert.ok(flat(after['lstm_l0_i2h_weight']!).some((v, i) => Math.abs(v - flat(stack.packWeights(parts)['lstm_l0_i2h_weight']!)[i]!) > 1e-4), 'the fit moved the weights');
  });

  it('lstm_bucketing.py with a FusedRNNCell: a BucketingModule over two buckets (the vector sized per bucket from the embedding) trains as the unfused stack does', () => {
    const [V, E, HH, B] = [7, 4, 5, 2];
    const sents = [[1, 2, 3], [4, 5], [6, 1, 2, 3, 4], [2, 2, 6, 5], [3, 1], [5, 6, 1], [1, 3, 5, 2, 4], [6, 6, 2, 1, 3]];
    const symGen = (cell: rnn.BaseRNNCell) => (seqLen: unknown) => {
      const embed = sym.Embedding(sym.var('data'), { inputDim: V, outputDim: E, name: 'embed' });
      cell.reset();
      const [outputs] = cell.unroll(seqLen as number, embed, { mergeOutputs: true }) as [Symbol, Symbol[]];
      const pred = sym.FullyConnected(sym.Reshape(outputs, { shape: [-1, HH] }), { numHidden: V, name: 'pred' });
      return [sym.SoftmaxOutput(pred, sym.Reshape(sym.var('softmax_label'), { shape: [-1] }), { name: 'softmax' }), ['data'], ['softmax_label']] as const;
    };
    const fused = new rnn.FusedRNNCell(HH, { mode: 'lstm', prefix: 'lstm_' });
    const stack = fused.unfuse();
    const u = (shape: number[], sc = 0.5) => nd.random.uniform(-sc, sc, shape);
    const start: Record<string, NDArray> = {
      embed_weight: u([V, E]), lstm_l0_i2h_weight: u([4 * HH, E]), lstm_l0_i2h_bias: u([4 * HH], 0.1),
      lstm_l0_h2h_weight: u([4 * HH, HH]), lstm_l0_h2h_bias: u([4 * HH], 0.1), pred_weight: u([V, HH]), pred_bias: u([V], 0.1),
    };
    const run = (cell: rnn.BaseRNNCell, argParams: Record<string, NDArray>) => {
      const it = new rnn.BucketSentenceIter(sents, B, { buckets: [3, 5], invalidLabel: 0, shuffle: false, log: () => {} });
      const m = new mod.BucketingModule(symGen(cell), { defaultBucketKey: it.defaultBucketKey, logger: { info: () => {} } });
      m.fit(it, { optimizer: 'sgd', optimizerParams: { learning_rate: 0.5 }, argParams, numEpoch: 1 });
      assert.deepEqual(m.bucketKeys.sort(), [3, 5]);
      return m.getParams()[0];
    };
    const fusedStart = fused.packWeights(stack.unpackWeights(start));
    assert.deepEqual(Object.keys(fusedStart).sort(), ['embed_weight', 'lstm_parameters', 'pred_bias', 'pred_weight']);
    const a = run(fused, fusedStart);
    const b = run(stack, start);
    const back = stack.packWeights(fused.unpackWeights(a));
    for (const k of Object.keys(start)) {
      assertClose(flat(back[k]!), flat(b[k]!), `${k} after an epoch: fused vs unfused`, 1e-4, 1e-5);
      assert.ok(flat(b[k]!).some((v, i) => Math.abs(v - flat(start[k]!)[i]!) > 1e-4), `${k} moved`);
    }
  });

  it("saveCheckpoint writes the cell as MXNet's one RNN node over <prefix>parameters; Module.load reads it back to the same outputs", () => {
    const cell = new rnn.FusedRNNCell(4, { numLayers: 2, mode: 'gru', bidirectional: true, prefix: 'gru_' });
    const [out] = cell.unroll(3, sym.var('data'), { mergeOutputs: true });
    const net = sym.LinearRegressionOutput(sym.Reshape(out, { shape: [-1, 24] }), sym.var('lro_label'), { name: 'lro' });
    const m = new mod.Module(net, { labelNames: ['lro_label'], logger: { info: () => {} } });
    m.bind({ dataShapes: [['data', [4, 3, 2]]], labelShapes: [['lro_label', [4, 24]]] });
    m.initParams({ initializer: new init.Xavier() });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mxfused-'));
    const prefix = path.join(dir, 'gru');
    m.saveCheckpoint(prefix, 1);
    const json = JSON.parse(fs.readFileSync(`${prefix}-symbol.json`, 'utf8')) as { nodes: { op: string; name: string; attrs?: Record<string, string>; inputs: number[][] }[] };
    const rnnNodes = json.nodes.filter((n) => n.op === 'RNN');
    assert.equal(rnnNodes.length, 1);
    const node = rnnNodes[0]!;
    assert.match(node.name, /^gru_rnn/);
    assert.deepEqual([node.attrs!['mode'], node.attrs!['num_layers'], node.attrs!['bidirectional'], node.attrs!['state_size']], ['gru', '2', 'True', '4']);
    assert.equal(json.nodes[node.inputs[1]![0]!]!.name, 'gru_parameters');
    assert.equal(json.nodes[node.inputs[2]![0]!]!.op, '_zeros');
    assert.ok(!json.nodes.some((n) => n.op.startsWith('Onnx') || n.op === 'fusedRNNParams'));
    const back = mod.Module.load(prefix, 1, { labelNames: ['lro_label'], logger: { info: () => {} } });
    back.bind({ dataShapes: [['data', [4, 3, 2]]], labelShapes: [['lro_label', [4, 24]]], forTraining: false });
    const x = nd.random.uniform(-1, 1, [4, 3, 2]);
    back.forward({ data: [x] }, { isTrain: false });
    m.forward({ data: [x] }, { isTrain: false });
    assertClose(flat(back.getOutputs()[0]!), flat(m.getOutputs()[0]!), 'read back', 1e-6, 1e-7);
    fs.rmSync(dir, { recursive: true });
  });

  it("cudnn_lstm_bucketing.py's checkpoints: doRnnCheckpoint saves the fused cell's weights unpacked per gate; loadRnnCheckpoint packs them for the unfused stack (same outputs) or the fused cell (the same vector)", () => {
    const cell = new rnn.FusedRNNCell(3, { numLayers: 2, mode: 'lstm', prefix: 'lstm_' });
    const build = (c: rnn.BaseRNNCell) => sym.LinearRegressionOutput(sym.Reshape((c.unroll(4, sym.var('data'), { mergeOutputs: true }) as [Symbol, Symbol[]])[0], { shape: [-1, 12] }), sym.var('lro_label'), { name: 'lro' });
    const m = new mod.Module(build(cell), { labelNames: ['lro_label'], logger: { info: () => {} } });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mxfused-'));
    const prefix = path.join(dir, 'lstm');
    const x = nd.random.uniform(-1, 1, [8, 4, 2]);
    m.fit(new io.NDArrayIter(x, nd.random.uniform(-1, 1, [8, 12]), { batchSize: 4, labelName: 'lro_label' }), { numEpoch: 2, evalMetric: 'mse', epochEndCallback: rnn.doRnnCheckpoint(cell, prefix, 2) });
    assert.ok(!fs.existsSync(`${prefix}-0001.params`) && fs.existsSync(`${prefix}-0002.params`), 'period 2: epoch 2 only');
    const saved = Object.keys(nd.load(`${prefix}-0002.params`) as Record<string, NDArray>);
    assert.ok(saved.includes('arg:lstm_l1_h2h_o_bias') && saved.includes('arg:lstm_l0_i2h_c_weight') && !saved.includes('arg:lstm_parameters'), saved.join(', '));
    const stack = cell.unfuse();
    const [, arg, aux] = rnn.loadRnnCheckpoint(stack, prefix, 2);
    assert.deepEqual(Object.keys(arg).sort(), ['lstm_l0_h2h_bias', 'lstm_l0_h2h_weight', 'lstm_l0_i2h_bias', 'lstm_l0_i2h_weight', 'lstm_l1_h2h_bias', 'lstm_l1_h2h_weight', 'lstm_l1_i2h_bias', 'lstm_l1_i2h_weight']);
    const mu = new mod.Module(build(stack), { labelNames: ['lro_label'], logger: { info: () => {} } });
    mu.bind({ dataShapes: [['data', [8, 4, 2]]], labelShapes: [['lro_label', [8, 12]]], forTraining: false });
    mu.initParams({ argParams: arg, auxParams: aux });
    mu.forward({ data: [x] }, { isTrain: false });
    m.forward({ data: [x] }, { isTrain: false });
    assertClose(flat(mu.getOutputs()[0]!), flat(m.getOutputs()[0]!), 'unfused stack from the checkpoint', 1e-5, 1e-6);
    const [, again] = rnn.loadRnnCheckpoint([cell], prefix, 2);
    assert.deepEqual(flat(again['lstm_parameters']!), flat(m.getParams()[0]['lstm_parameters']!));
    assert.throws(() => rnn.loadRnnCheckpoint({} as never, prefix, 2), /rnn\.loadRnnCheckpoint: cells must be an rnn cell or a list of them/);
    fs.rmSync(dir, { recursive: true });
  });

  it("an MXNet checkpoint's lstm_parameters (the fixture's 2-layer bidirectional LSTM, written as MXNet's .params) loads and runs as the fixture's PyTorch reference", () => {
    const fixtures = path.resolve('test/fixtures/mxnet');
    const c = (JSON.parse(fs.readFileSync(path.join(fixtures, 'rnn-cases.json'), 'utf8')) as Record<string, any>[]).find((e) => e['file'] === 'lstm-2l-bi-ntc-fused.params')!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mxfused-'));
    const file = path.join(dir, 'lstm-0001.params');
    // Python packs the fixture's per-layer matrices as MXNet's RNN operator lays them out and writes MXNet's NDArray list format.
    const py = `
import json, struct, sys
import numpy as np
sys.dont_write_bytecode = True
sys.path.insert(0, ${JSON.stringify(fixtures)})
def read(path):
    b = open(path, 'rb').read(); o = 24
    n = struct.unpack_from('<Q', b, 16)[0]; arrs = []
    for _ in range(n):
        o += 8; nd = struct.unpack_from('<i', b, o)[0]; o += 4
        shape = struct.unpack_from('<%dq' % nd, b, o); o += 8 * nd + 12
        size = int(np.prod(shape)); arrs.append(np.frombuffer(b, '<f4', size, o).reshape(shape)); o += 4 * size
    o += 8; names = []
    for _ in range(n):
        l = struct.unpack_from('<Q', b, o)[0]; o += 8; names.append(b[o:o + l].decode()); o += l
    return dict(zip(names, arrs))
w = read(${JSON.stringify(path.join(fixtures, 'lstm-2l-bi-ntc-fused.params'))})
order = [f'{d}{k}_{g}_{t}' for t in ('weight', 'bias') for k in range(2) for d in 'lr' for g in ('i2h', 'h2h')]
vec = np.concatenate([w[n].reshape(-1) for n in order]).astype('<f4')
from make import write_params
write_params(${JSON.stringify(file)}, [('arg:lstm_parameters', vec)])
`;
    const r = runPython(py);
    assert.equal(r.status, 0, r.stderr);
    const loaded = nd.load(file) as Record<string, NDArray>;
    const cell = new rnn.FusedRNNCell(c['hidden'], { numLayers: 2, mode: 'lstm', bidirectional: true, prefix: 'lstm_', getNextState: true });
    const arr = (e: { shape: number[]; data: number[] }) => nd.array(e.data).reshape(e.shape);
    const inputs = [sym.var('data'), sym.var('h0'), sym.var('c0')];
    const [out, finals] = cell.unroll(c['x'].shape[1], inputs[0]!, { mergeOutputs: true, beginState: inputs.slice(1) });
    const block = new gluon.SymbolBlock(sym.Group([out, ...finals]), inputs);
    block.collectParams().get('lstm_parameters').setData(loaded['arg:lstm_parameters']!);
    const got = block.call(arr(c['x']), arr(c['states'][0]), arr(c['states'][1])) as NDArray[];
    assertClose(flat(got[0]!), c['output'].data, 'fixture output', 1e-4, 1e-5);
    assertClose(flat(got[1]!), c['finalStates'][0].data, 'fixture final h', 1e-4, 1e-5);
    assertClose(flat(got[2]!), c['finalStates'][1].data, 'fixture final c', 1e-4, 1e-5);
    fs.rmSync(dir, { recursive: true });
  });

  it('Errors name the cell and what was wrong', () => {
    const cell = new rnn.FusedRNNCell(4, { mode: 'lstm', prefix: 'e_' });
    assert.throws(() => cell.call(sym.var('x'), []), /FusedRNNCell cannot be stepped/);
    assert.throws(() => new rnn.FusedRNNCell(4, { mode: 'lstmp' as never }), /FusedRNNCell: mode must be one of/);
    assert.throws(() => new rnn.FusedRNNCell(0), /FusedRNNCell: numHidden must be a positive integer/);
    assert.throws(() => new rnn.FusedRNNCell(4, { dropout: 1 }), /FusedRNNCell: dropout must be a number in \[0, 1\)/);
    assert.throws(() => new rnn.FusedRNNCell(4, { numLayer: 2 } as never), /FusedRNNCell/);
    assert.throws(() => cell.unpackWeights({ e_parameters: nd.zeros([7]) }), /FusedRNNCell 'e_'\.unpackWeights: 'e_parameters' of shape \[7\] is not the flat vector/);
    assert.throws(() => cell.unpackWeights({}), /'e_parameters' is missing/);
    assert.throws(() => cell.packWeights({ e_l0_i2h_i_weight: nd.zeros([4, 3]) }), /'e_l0_i2h_f_weight' is missing/);
    assert.throws(() => cell.unroll(2, sym.var('d'), { beginState: [sym.var('h')] }), /FusedRNNCell 'e_'\.unroll: beginState must hold 2 state\(s\) of shape \[1, N, 4\]/);
    assert.throws(() => cell.unroll(2, sym.var('d'), { beginState: [sym.var('h'), nd.zeros([1, 2, 4]) as never] }), /beginState must hold 2 state\(s\)/);
    assert.throws(() => cell.unroll(2, nd.zeros([1, 2, 3]) as never), /FusedRNNCell 'e_'\.unroll: inputs must be a symbol or a list of symbols/);
    // A parameter vector of the wrong length is the operator's Error giving the length asked for.
    const data = sym.var('data');
    const [o] = cell.unroll(2, data, { mergeOutputs: true });
    const block = new gluon.SymbolBlock(o, data);
    block.collectParams().get('e_parameters').setData(nd.zeros([10]));
    assert.throws(() => block.call(nd.zeros([1, 2, 3])), /fusedRNNParams: the parameters must be a vector of 144 values/);
    assert.throws(() => new rnn.ZoneoutCell(cell), /FusedRNNCell doesn't support zoneout\. Please unfuse first/);
    assert.throws(() => new rnn.ZoneoutCell(new rnn.BidirectionalCell(new rnn.GRUCell(2), new rnn.GRUCell(2, { prefix: 'r_' }))), /BidirectionalCell doesn't support zoneout/);
    assert.throws(() => new rnn.ZoneoutCell(new rnn.GRUCell(2), { zoneoutOutputs: 1.5 }), /ZoneoutCell: zoneoutOutputs must be a number in \[0, 1\)/);
    assert.throws(() => new rnn.LSTMCell(2, { prefix: 'q_' }).unpackWeights({ q_i2h_weight: nd.zeros([8, 3]) }), /LSTMCell\.unpackWeights: 'q_i2h_bias' is missing/);
    assert.throws(() => new init.FusedRNN(null, 4, 1, 'lstm').create([7], 'float32', 'x_parameters'), /FusedRNN: parameter 'x_parameters' of shape \[7\] is not the flat vector/);
  });
});

describe('rnn.ZoneoutCell and the per-gate unpackWeights / packWeights', () => {
  random.seed(9);
  it('prediction: the base cell exactly; training: each output is the new one or the previous (zeros before the first), kept at rate p', () => {
    const [N, T, C, H] = [64, 4, 3, 16];
    const base = new rnn.RNNCell(H, { prefix: 'z_' });
    const cell = new rnn.ZoneoutCell(base, { zoneoutOutputs: 0.3 });
    const data = sym.var('data');
    const [zo] = cell.unroll(T, data, { mergeOutputs: true });
    const [bo] = base.unroll(T, data, { mergeOutputs: true });
    const x = nd.random.uniform(-1, 1, [N, T, C]);
    const zb = new gluon.SymbolBlock(zo, data);
    zb.initialize(new init.Xavier());
    const bb = new gluon.SymbolBlock(bo, data, zb.collectParams());
    const want = flat(bb.call(x) as NDArray);
    assertClose(flat(zb.call(x) as NDArray), want, 'prediction is the base cell', 0, 1e-7);
    const got = flat(autograd.record(() => zb.call(x) as NDArray, { trainMode: true }));
    const near = (a: number, b: number) => Math.abs(a - b) <= 1e-6;
    let kept = 0;
    for (let i = 0; i < got.length; i++) {
      const t = Math.floor(i / H) % T;
      const prev = t === 0 ? 0 : got[i - H]!;
      assert.ok(near(got[i]!, want[i]!) || near(got[i]!, prev), `output ${i} is the new value or the previous one`);
      if (!near(got[i]!, want[i]!)) kept++;
    }
    assertClose([kept / got.length], [0.3], 'zoneout rate (4096 draws)', 0, 0.05);
    // States: one step of an LSTM from given states, zoneoutStates only: each new state element or its old one.
    const lstm = new rnn.LSTMCell(H, { prefix: 'zl_' });
    const zs = new rnn.ZoneoutCell(lstm, { zoneoutStates: 0.5 });
    const [, [h1, c1]] = zs.unroll(1, data, { beginState: [sym.var('h0'), sym.var('c0')] });
    const [, [bh, bc]] = lstm.unroll(1, data, { beginState: [sym.var('h0'), sym.var('c0')] });
    const p = Object.fromEntries(['i2h_weight', 'i2h_bias', 'h2h_weight', 'h2h_bias'].map((k) => [`zl_${k}`, nd.random.uniform(-0.5, 0.5, k.endsWith('weight') ? [4 * H, k.startsWith('i') ? C : H] : [4 * H])]));
    const feeds = { data: x.sliceAxis(1, 0, 1), h0: nd.random.uniform(-1, 1, [N, H]), c0: nd.random.uniform(-1, 1, [N, H]), ...p };
    const sb = new gluon.SymbolBlock(sym.Group([h1!, c1!]), [data, sym.var('h0'), sym.var('c0')]);
    for (const [k, v] of Object.entries(p)) sb.collectParams().get(k).setData(v);
    const [gh, gc] = autograd.record(() => sb.call(feeds.data, feeds.h0, feeds.c0) as NDArray[], { trainMode: true }).map(flat);
    const [wh, wc] = [bh!, bc!].map((s) => flat(s.eval(feeds) as NDArray));
    const [oh, oc] = [feeds.h0, feeds.c0].map(flat);
    let zoned = 0;
    gh!.forEach((v, i) => {
      assert.ok(near(v, wh![i]!) || near(v, oh![i]!), `h ${i}: ${v} is neither the new ${wh![i]} nor the old ${oh![i]}`);
      assert.ok(near(gc![i]!, wc![i]!) || near(gc![i]!, oc![i]!), `c ${i}`);
      zoned += Number(!near(v, wh![i]!));
    });
    assertClose([zoned / gh!.length], [0.5], 'state zoneout rate (1024 draws)', 0, 0.08);
  });

  it("LSTMCell's unpackWeights splits i2h/h2h into MXNet's gates i, f, c, o (rows of H) and packWeights restores them; RNNCell's are unchanged", () => {
    const cell = new rnn.LSTMCell(2, { prefix: 'u_' });
    const w = nd.array(Array.from({ length: 8 * 3 }, (_v, i) => i)).reshape([8, 3]);
    const args = { u_i2h_weight: w, u_i2h_bias: nd.arange(0, 8), u_h2h_weight: nd.zeros([8, 2]), u_h2h_bias: nd.ones([8]), other: nd.ones([1]) };
    const un = cell.unpackWeights(args);
    assert.deepEqual(Object.keys(un).sort(), ['other', ...['i2h', 'h2h'].flatMap((g) => ['_i', '_f', '_c', '_o'].flatMap((q) => [`u_${g}${q}_weight`, `u_${g}${q}_bias`]))].sort());
    assert.deepEqual(flat(un['u_i2h_f_weight']!), [6, 7, 8, 9, 10, 11]);
    assert.deepEqual(flat(un['u_i2h_o_bias']!), [6, 7]);
    const back = cell.packWeights(un);
    assert.deepEqual(flat(back['u_i2h_weight']!), flat(w));
    assert.deepEqual(flat(back['u_i2h_bias']!), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.ok('u_i2h_weight' in args, 'args is not changed');
    const r = new rnn.RNNCell(2, { prefix: 'v_' });
    assert.deepEqual(Object.keys(r.unpackWeights({ v_i2h_weight: nd.zeros([2, 3]), v_i2h_bias: nd.zeros([2]), v_h2h_weight: nd.zeros([2, 2]), v_h2h_bias: nd.zeros([2]) })).sort(), ['v_h2h_bias', 'v_h2h_weight', 'v_i2h_bias', 'v_i2h_weight']);
  });
});
