import assert from 'node:assert/strict';
import { nd, gluon, init, random, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';

const { rnn, nn } = gluon;

type Mode = 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
const GATES: Record<Mode, number> = { rnn_relu: 1, rnn_tanh: 1, lstm: 4, gru: 3 };

// ---------------------------------------------------------------- float64 reference: straight loops over time

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** b + W·v with W row-major [rows, v.length]. */
function affine(w: Float64Array, b: Float64Array, v: number[]): number[] {
  const cols = v.length;
  const out: number[] = [];
  for (let r = 0; r < b.length; r++) {
    let s = b[r]!;
    for (let c = 0; c < cols; c++) s += w[r * cols + c]! * v[c]!;
    out.push(s);
  }
  return out;
}

/** One step of one cell for one batch row: the gate equations of MXNet/cuDNN. */
function cellStep(mode: Mode, H: number, x: number[], h: number[], c: number[], p: Record<string, Float64Array>, pre: string): [number[], number[]] {
  const gi = affine(p[`${pre}i2h_weight`]!, p[`${pre}i2h_bias`]!, x);
  const gh = affine(p[`${pre}h2h_weight`]!, p[`${pre}h2h_bias`]!, h);
  const nh: number[] = [];
  const nc: number[] = [];
  for (let j = 0; j < H; j++) {
    if (mode === 'rnn_relu') nh.push(Math.max(gi[j]! + gh[j]!, 0));
    else if (mode === 'rnn_tanh') nh.push(Math.tanh(gi[j]! + gh[j]!));
    else if (mode === 'lstm') {
      const g = (k: number): number => gi[k * H + j]! + gh[k * H + j]!;
      const cj = sigmoid(g(1)) * c[j]! + sigmoid(g(0)) * Math.tanh(g(2));
      nc.push(cj);
      nh.push(sigmoid(g(3)) * Math.tanh(cj));
    } else {
      const r = sigmoid(gi[j]! + gh[j]!);
      const z = sigmoid(gi[H + j]! + gh[H + j]!);
      const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
      nh.push((1 - z) * n + z * h[j]!);
    }
  }
  return [nh, nc];
}

/**
 * The multi-layer (bi)directional recurrence. x: [T][N][C] (TNC); states:
 * [h] or [h, c], each [L*D][N][H]. Returns the output [T][N][D*H] and the final states.
 */
function reference(mode: Mode, x: number[][][], p: Record<string, Float64Array>, L: number, D: number, H: number, states: number[][][][]): { out: number[][][]; states: number[][][][] } {
  const T = x.length;
  const N = x[0]!.length;
  const finalH: number[][][] = [];
  const finalC: number[][][] = [];
  let input = x;
  for (let k = 0; k < L; k++) {
    const out: number[][][] = Array.from({ length: T }, () => Array.from({ length: N }, () => [] as number[]));
    for (let d = 0; d < D; d++) {
      const pre = `${d ? 'r' : 'l'}${k}_`;
      const lh: number[][] = [];
      const lc: number[][] = [];
      for (let n = 0; n < N; n++) {
        let h = states[0]![k * D + d]![n]!;
        let c = mode === 'lstm' ? states[1]![k * D + d]![n]! : [];
        for (let j = 0; j < T; j++) {
          const t = d ? T - 1 - j : j;
          [h, c] = cellStep(mode, H, input[t]![n]!, h, c, p, pre);
          out[t]![n]!.push(...h);
        }
        lh.push(h);
        lc.push(c);
      }
      finalH.push(lh);
      finalC.push(lc);
    }
    input = out;
  }
  return { out: input, states: mode === 'lstm' ? [finalH, finalC] : [finalH] };
}

// ---------------------------------------------------------------- helpers

/** A nested array of a flat Float32Array of `shape`. */
function nest(data: ArrayLike<number>, shape: number[]): any {
  if (shape.length === 0) return data[0];
  const step = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nest(Array.prototype.slice.call(data, i * step, (i + 1) * step), shape.slice(1)));
}
const flat = (a: any): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a]);
/** Swaps the first two axes of a nested [A][B][...] array. */
const swap01 = (a: any[][]): any[][] => a[0]!.map((_, j) => a.map((row) => row[j]));

function paramsF64(layer: gluon.Block): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, p] of layer.collectParams().entries()) out[k] = Float64Array.from(p.data().data() as Float32Array);
  return out;
}

interface Case {
  what: string;
  make: () => InstanceType<typeof rnn.RNN> | InstanceType<typeof rnn.LSTM> | InstanceType<typeof rnn.GRU>;
  mode: Mode;
  /** Two input shapes in the layer's layout. */
  shapes: [number[], number[]];
}

const U = (): init.Initializer => new init.Uniform(0.6);
const opts = (o: Record<string, unknown> = {}) => ({ i2hBiasInitializer: U(), h2hBiasInitializer: U(), ...o });

const CASES: Case[] = [
  { what: 'RNN relu, 1 layer', make: () => new rnn.RNN(4, 1, opts()), mode: 'rnn_relu', shapes: [[5, 2, 3], [1, 3, 3]] },
  { what: 'RNN tanh, 2 layers, bidirectional', make: () => new rnn.RNN(3, 2, opts({ activation: 'tanh', bidirectional: true })), mode: 'rnn_tanh', shapes: [[4, 2, 3], [6, 1, 3]] },
  { what: 'LSTM, 1 layer', make: () => new rnn.LSTM(5, 1, opts()), mode: 'lstm', shapes: [[6, 2, 3], [2, 4, 3]] },
  { what: 'LSTM, 2 layers, bidirectional', make: () => new rnn.LSTM(4, 2, opts({ bidirectional: true })), mode: 'lstm', shapes: [[5, 2, 3], [3, 3, 3]] },
  { what: 'LSTM, 2 layers, NTC', make: () => new rnn.LSTM(3, 2, opts({ layout: 'NTC' })), mode: 'lstm', shapes: [[2, 5, 4], [3, 1, 4]] },
  { what: 'GRU, 1 layer', make: () => new rnn.GRU(4, 1, opts()), mode: 'gru', shapes: [[5, 2, 3], [4, 3, 3]] },
  { what: 'GRU, 2 layers, bidirectional, NTC', make: () => new rnn.GRU(3, 2, opts({ bidirectional: true, layout: 'NTC' })), mode: 'gru', shapes: [[2, 4, 3], [1, 6, 3]] },
];

describe('gluon.rnn recurrent layers', () => {
  for (const c of CASES) {
    it(`${c.what}: float64 reference, eager and hybridized, with and without states, two input shapes`, () => {
      random.seed(11);
      const layer = c.make();
      layer.initialize(U());
      const ntc = layer.layout === 'NTC';
      const L = layer.numLayers;
      const D = layer.bidirectional ? 2 : 1;
      const H = layer.hiddenSize;
      const xs = c.shapes.map((s) => nd.random.uniform(-1, 1, s));
      const states = xs.map((x) => layer.beginState(x.shape[ntc ? 0 : 1]!).map((s) => nd.random.uniform(-1, 1, s.shape)));
      const run = () => xs.map((x, i) => ({ plain: layer.call(x) as nd.NDArray, withStates: layer.call(x, states[i]) as [nd.NDArray, nd.NDArray[]] }));
      const eager = run();
      layer.hybridize();
      const compiled = run();
      const p = paramsF64(layer);
      xs.forEach((x, i) => {
        const tnc = (a: any) => (ntc ? swap01(a) : a);
        const xin = tnc(nest(x.data() as Float32Array, x.shape)) as number[][][];
        const N = xin[0]!.length;
        const zeros = layer.beginState(N).map((s) => nest(s.data() as Float32Array, s.shape));
        const given = states[i]!.map((s) => nest(s.data() as Float32Array, s.shape));
        const r0 = reference(c.mode, xin, p, L, D, H, zeros);
        const r1 = reference(c.mode, xin, p, L, D, H, given);
        const out0 = flat(tnc(r0.out));
        const out1 = flat(tnc(r1.out));
        const outShape = [...x.shape.slice(0, 2), D * H];
        for (const [how, res] of [['eager', eager[i]!], ['hybridized', compiled[i]!]] as const) {
          const where = `${c.what} ${how} [${x.shape}]`;
          assert.deepEqual(res.plain.shape, outShape, where);
          assertClose(res.plain.data() as Float32Array, out0, `${where} output`);
          const [out, newStates] = res.withStates;
          assert.deepEqual(out.shape, outShape, where);
          assertClose(out.data() as Float32Array, out1, `${where} output from given states`);
          assert.equal(newStates.length, c.mode === 'lstm' ? 2 : 1);
          newStates.forEach((s, k) => {
            assert.deepEqual(s.shape, [L * D, N, H], where);
            assertClose(s.data() as Float32Array, flat(r1.states[k]), `${where} state ${k}`);
          });
        }
      });
    });
  }

  it('has MXNet parameter names and shapes, with the input size inferred at the first call', () => {
    const lstm = new rnn.LSTM(8, 2, { bidirectional: true });
    const shapes = () => Object.fromEntries(lstm.collectParams().entries().map(([k, p]) => [k, p.shape]));
    assert.deepEqual(shapes(), {
      l0_i2h_weight: [32, 0], l0_h2h_weight: [32, 8], l0_i2h_bias: [32], l0_h2h_bias: [32],
      r0_i2h_weight: [32, 0], r0_h2h_weight: [32, 8], r0_i2h_bias: [32], r0_h2h_bias: [32],
      l1_i2h_weight: [32, 16], l1_h2h_weight: [32, 8], l1_i2h_bias: [32], l1_h2h_bias: [32],
      r1_i2h_weight: [32, 16], r1_h2h_weight: [32, 8], r1_i2h_bias: [32], r1_h2h_bias: [32],
    });
    lstm.initialize();
    lstm.call(nd.ones([3, 2, 5]));
    assert.deepEqual(lstm.collectParams().get('l0_i2h_weight').shape, [32, 5]);
    assert.deepEqual(lstm.collectParams().get('r0_i2h_weight').shape, [32, 5]);
    assert.deepEqual(lstm.collectParams().get('l0_i2h_bias').data().toArray(), new Array(32).fill(0));
    assert.deepEqual(new rnn.GRU(6, 1, { inputSize: 3 }).collectParams().get('l0_i2h_weight').shape, [18, 3]);
    assert.deepEqual(new rnn.RNN(6).collectParams().get('l0_h2h_weight').shape, [6, 6]);
    assert.equal(String(lstm), 'LSTM(5 -> 8, TNC, num_layers=2, bidirectional)');
  });

  it('beginState gives zero states [layers * directions, batch, hidden]', () => {
    const [h, c] = new rnn.LSTM(4, 3, { bidirectional: true }).beginState(5);
    assert.deepEqual(h!.shape, [6, 5, 4]);
    assert.deepEqual(c!.shape, [6, 5, 4]);
    assert.deepEqual(new rnn.GRU(4).beginState(2).map((s) => s.shape), [[1, 2, 4]]);
    assert.ok((h!.data() as Float32Array).every((v) => v === 0));
  });

  it('hybridizes inside a HybridSequential with a Dense head', () => {
    random.seed(2);
    const net = new nn.HybridSequential();
    net.add(new rnn.GRU(6, 2, { layout: 'NTC', dropout: 0.3 }), new nn.Dense(2, { flatten: false }));
    net.initialize(new init.Xavier());
    const x = nd.random.uniform(-1, 1, [3, 4, 5]);
    const eager = net.call(x) as nd.NDArray;
    assert.deepEqual(eager.shape, [3, 4, 2]);
    assert.ok(net.collectParams().keys().includes('0.l1_h2h_bias'));
    net.hybridize();
    assertClose(net.call(x).data() as Float32Array, eager.data() as Float32Array, 'GRU + Dense hybridized');
  });

  it('applies dropout between layers only in training mode', () => {
    random.seed(4);
    const layer = new rnn.LSTM(8, 2, { dropout: 0.5 });
    layer.initialize(new init.Uniform(0.5));
    const x = nd.random.uniform(-1, 1, [4, 2, 3]);
    const a = layer.call(x).data() as Float32Array;
    const b = layer.call(x).data() as Float32Array;
    assert.deepEqual(a, b);
    const t = autograd.trainMode(() => layer.call(x)).data() as Float32Array;
    assert.ok(t.some((v, i) => Math.abs(v - a[i]!) > 1e-6), 'training output differs');
    // Not after the last layer (MXNet's dropout sits between layers): one layer trains as it predicts, eager and hybridized.
    for (const hybrid of [false, true]) {
      const one = new rnn.GRU(8, 1, { dropout: 0.5, bidirectional: true });
      one.initialize(new init.Uniform(0.5));
      if (hybrid) one.hybridize();
      assert.deepEqual(autograd.trainMode(() => one.call(x)).data(), one.call(x).data(), `one layer${hybrid ? ', hybridized' : ''}`);
    }
  });

  it('names the block and the shapes on bad inputs and states', () => {
    const lstm = new rnn.LSTM(4, 2);
    lstm.initialize();
    assert.throws(() => lstm.call(nd.ones([3, 4])), /LSTM: expects input of rank 3 \(TNC\), got shape \[3, 4\]/);
    assert.throws(() => lstm.call(nd.ones([3, 2, 5]), [nd.zeros([2, 2, 4])]), /LSTM: expects 2 states \(\[h, c\]\), got 1/);
    assert.throws(
      () => lstm.call(nd.ones([3, 2, 5]), [nd.zeros([2, 3, 4]), nd.zeros([2, 3, 4])]),
      /LSTM: state 0 must have shape \[2, 2, 4\] \(\[layers \* directions, batch, hidden\]\) for input \[3, 2, 5\], got \[2, 3, 4\]/,
    );
    assert.throws(() => new rnn.RNN(4, 1, { activation: 'sigmoid' as 'relu' }), /RNN: activation must be 'relu' or 'tanh'/);
    assert.throws(() => new rnn.GRU(4, 1, { layout: 'TCN' as 'TNC' }), /GRU: invalid layout 'TCN'/);
    assert.throws(() => new rnn.GRU(0), /GRU: hiddenSize must be a positive integer/);
    for (const hybrid of [false, true]) {
      const g = new rnn.GRU(4, 2, { layout: 'NTC', bidirectional: true });
      g.initialize();
      if (hybrid) g.hybridize();
      g.call(nd.ones([2, 3, 5]));
      assert.throws(() => g.call(nd.ones([2, 3, 7])), /^Error: GRU: the input has 7 features \(last axis of \[2, 3, 7\]\) but the layer takes 5 \(l0_i2h_weight is \[12, 5\]\)$/);
    }
  });
});

describe('gluon.rnn cells', () => {
  const CELLS = [
    { what: 'RNNCell (tanh)', make: () => new rnn.RNNCell(4, opts()), mode: 'rnn_tanh' as Mode },
    { what: 'RNNCell relu', make: () => new rnn.RNNCell(4, opts({ activation: 'relu' })), mode: 'rnn_relu' as Mode },
    { what: 'LSTMCell', make: () => new rnn.LSTMCell(3, opts()), mode: 'lstm' as Mode },
    { what: 'GRUCell', make: () => new rnn.GRUCell(5, opts()), mode: 'gru' as Mode },
  ];
  for (const c of CELLS) {
    it(`${c.what}: one step against the float64 reference, eager and hybridized, two batch sizes`, () => {
      random.seed(21);
      const cell = c.make();
      cell.initialize(U());
      const H = cell.hiddenSize;
      const xs = [[2, 3], [5, 3]].map((s) => nd.random.uniform(-1, 1, s));
      const states = xs.map((x) => cell.beginState(x.shape[0]!).map((s) => nd.random.uniform(-1, 1, s.shape)));
      const run = () => xs.map((x, i) => cell.call(x, states[i]) as [nd.NDArray, nd.NDArray[]]);
      const eager = run();
      cell.hybridize();
      const compiled = run();
      const p = paramsF64(cell);
      xs.forEach((x, i) => {
        const xin = nest(x.data() as Float32Array, x.shape) as number[][];
        const st = states[i]!.map((s) => nest(s.data() as Float32Array, s.shape) as number[][]);
        const ref = xin.map((row, n) => cellStep(c.mode, H, row, st[0]![n]!, c.mode === 'lstm' ? st[1]![n]! : [], p, ''));
        for (const [how, [out, next]] of [['eager', eager[i]!], ['hybridized', compiled[i]!]] as const) {
          assertClose(out.data() as Float32Array, ref.flatMap((r) => r[0]), `${c.what} ${how} output`);
          assert.equal(next.length, c.mode === 'lstm' ? 2 : 1);
          next.forEach((s, k) => {
            assert.deepEqual(s.shape, [x.shape[0], H]);
            assertClose(s.data() as Float32Array, ref.flatMap((r) => r[k]!), `${c.what} ${how} state ${k}`);
          });
        }
      });
    });
  }

  it('unroll matches the fused layer with the same weights, eagerly and inside a hybridized block', () => {
    random.seed(8);
    const cell = new rnn.LSTMCell(4, opts());
    cell.initialize(U());
    const layer = new rnn.LSTM(4, 1, { layout: 'NTC' });
    layer.initialize();
    const x = nd.random.uniform(-1, 1, [2, 5, 3]);
    layer.call(x);
    const [outputs, [h, c]] = cell.unroll(5, x) as [nd.NDArray, nd.NDArray[]];
    for (const k of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) {
      layer.collectParams().get(`l0_${k}`).setData(cell.collectParams().get(k).data());
    }
    const [fused, [fh, fc]] = layer.call(x, layer.beginState(2)) as [nd.NDArray, nd.NDArray[]];
    assert.deepEqual(outputs.shape, [2, 5, 4]);
    assertClose(outputs.data() as Float32Array, fused.data() as Float32Array, 'unroll outputs');
    assertClose(h!.data() as Float32Array, fh!.data() as Float32Array, 'unroll h');
    assertClose(c!.data() as Float32Array, fc!.data() as Float32Array, 'unroll c');
    const [list] = cell.unroll(5, x, { mergeOutputs: false });
    assert.equal((list as nd.NDArray[]).length, 5);

    class Wrapper extends gluon.HybridBlock {
      cell = cell;
      override hybridForward(_F: gluon.F, xs: gluon.Tensor) {
        return this.cell.unroll(5, xs)[0] as gluon.Tensor;
      }
    }
    const w = new Wrapper();
    assert.deepEqual(w.collectParams().keys(), ['cell.i2h_weight', 'cell.h2h_weight', 'cell.i2h_bias', 'cell.h2h_bias']);
    w.hybridize();
    assertClose(w.call(x).data() as Float32Array, fused.data() as Float32Array, 'unroll in a hybridized block');
  });

  it('names the cell on a missing or wrong state', () => {
    const cell = new rnn.GRUCell(4);
    cell.initialize();
    assert.throws(() => cell.call(nd.ones([2, 3])), /GRUCell: expects call\(x, states\) with \[h\] \(see beginState\(batchSize\)\)/);
    assert.throws(() => cell.call(nd.ones([2, 3]), [nd.zeros([3, 4])]), /GRUCell: state 0 must have shape \[2, 4\]/);
    assert.throws(() => cell.call(nd.ones([2, 3, 1]), cell.beginState(2)), /GRUCell: expects input of rank 2 \(NC\), got shape \[2, 3, 1\]/);
    assert.throws(() => cell.unroll(4, nd.ones([2, 5, 3])), /GRUCell.unroll: expects input of rank 3 \(NTC\) with 4 steps, got shape \[2, 5, 3\]/);
    const lstm = new rnn.LSTMCell(4);
    lstm.initialize();
    assert.throws(() => lstm.unroll(5, nd.ones([5, 3, 2]), { layout: 'NCT' as 'NTC' }), /^Error: LSTMCell\.unroll: invalid layout 'NCT'; must be one of 'NTC' or 'TNC'$/);
    assert.throws(() => lstm.unroll(0, nd.ones([3, 0, 2])), /^Error: LSTMCell\.unroll: length must be a positive integer \(the number of steps\), got 0$/);
    assert.throws(() => lstm.unroll(2.5, nd.ones([3, 2, 2])), /LSTMCell\.unroll: length must be a positive integer \(the number of steps\), got 2\.5/);
    lstm.unroll(2, nd.ones([3, 2, 2]));
    assert.throws(() => lstm.unroll(2, nd.ones([3, 2, 7])), /^Error: LSTMCell: the input has 7 features \(last axis of \[3, 7\]\) but the cell takes 2 \(i2h_weight is \[16, 2\]\)$/);
  });
});
