/**
 * gluon.rnn's random cells: DropoutCell, ZoneoutCell and
 * VariationalDropoutCell. At inference each is its base (or the identity);
 * in training the masks have MXNet's structure (rnn_cell.py: a mask is
 * Dropout(ones_like(t)), so 0 or 1 / (1 - p)): DropoutCell scales or zeroes
 * each element (shared along `axes`); ZoneoutCell's every output and state
 * element is either the new value or the previous one; VariationalDropoutCell's
 * masks are the same at every step and new after a reset. The masks are read
 * back exactly through cells with identity weights (RNNCell with
 * i2h_weight = I or h2h_weight = I, zero biases: out = tanh(x ⊙ m) or
 * tanh(h ⊙ m)), and the rates over many elements are near p. Each runs
 * eagerly, inside a hybridized block, and hybridized itself.
 */
import assert from 'node:assert/strict';
import { nd, gluon, init, autograd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';

const { rnn } = gluon;
type Cell = gluon.rnn.HybridRecurrentCell;
const nums = (x: nd.NDArray) => Array.from(x.data() as ArrayLike<number>);

type Mode = 'eager' | 'in a hybridized block' | 'hybridized';
const MODES: Mode[] = ['eager', 'in a hybridized block', 'hybridized'];

class Unrolled extends gluon.HybridBlock {
  constructor(readonly cell: Cell, readonly T: number) {
    super();
  }
  override hybridForward(_F: gluon.F, x: gluon.Tensor, ...rest: unknown[]): gluon.Tensor[] {
    rest.pop();
    const [out, fin] = this.cell.unroll(this.T, x, rest.length ? { beginState: rest as gluon.Tensor[] } : {});
    return [out as gluon.Tensor, ...fin];
  }
}

/** Unrolls `cell` over `x` [N, T, C] in a mode, in training or prediction; gives [output, ...final states]. */
function run(cell: Cell, mode: Mode, x: nd.NDArray, training: boolean, begin?: nd.NDArray[]): nd.NDArray[] {
  const T = x.shape[1]!;
  const go = (): nd.NDArray[] => {
    if (mode === 'in a hybridized block') {
      const net = new Unrolled(cell, T);
      net.hybridize();
      return net.call(x, ...(begin ?? [])) as nd.NDArray[];
    }
    cell.hybridize(mode === 'hybridized');
    const [o, s] = cell.unroll(T, x, begin ? { beginState: begin } : {}) as [nd.NDArray, nd.NDArray[]];
    return [o, ...s];
  };
  try {
    return autograd.pause(go, { trainMode: training });
  } finally {
    cell.hybridize(false);
  }
}

/** Values at [n, t, c] of an NTC array's flat data. */
const at3 = (v: number[], shape: number[]) => (n: number, t: number, c: number) => v[(n * shape[1]! + t) * shape[2]! + c]!;

/** An RNNCell(H) on H inputs with i2h_weight = I (input) or h2h_weight = I (state), the other weight and the biases 0. */
function identityRnn(H: number, which: 'input' | 'state'): InstanceType<typeof rnn.RNNCell> {
  const cell = new rnn.RNNCell(H, { inputSize: H });
  cell.initialize(new init.Zero());
  const eye = nd.array(Array.from({ length: H }, (_, i) => Array.from({ length: H }, (_, j) => (i === j ? 1 : 0))));
  cell.collectParams().get(which === 'input' ? 'i2h_weight' : 'h2h_weight')!.setData(eye);
  return cell;
}

/** The fraction of `mask` entries that are 0; the others must be 1 / (1 - p). */
function maskRate(mask: number[], p: number, what: string): number {
  let zeros = 0;
  for (const m of mask) {
    if (Math.abs(m) < 1e-3) zeros++;
    else assert.ok(Math.abs(m - 1 / (1 - p)) < 2e-3, `${what}: a mask value is ${m}, not 0 or 1/(1-p) = ${1 / (1 - p)}`);
  }
  return zeros / mask.length;
}

const near = (rate: number, p: number, what: string) => assert.ok(Math.abs(rate - p) < 0.1, `${what}: dropped ${rate}, expected about ${p}`);

describe('DropoutCell', () => {
  for (const mode of MODES) {
    it(`${mode}: the identity at inference; in training each element is dropped (0) or scaled by 1/(1-p), at rate p; axes share the mask`, () => {
      const x = nd.random.uniform(0.5, 1.5, [20, 6, 10]);
      const cell = new rnn.DropoutCell(0.3);
      const [inf] = run(cell, mode, x, false);
      assert.deepEqual(nums(inf!), nums(x), 'prediction: identity');
      const [tr] = run(cell, mode, x, true);
      const ratio = nums(tr!).map((v, i) => v / nums(x)[i]!);
      near(maskRate(ratio, 0.3, 'DropoutCell'), 0.3, 'DropoutCell');
      // axes [1] on the whole NTC tensor (MXNet drops a merged input at once): one mask value along time.
      const shared = new rnn.DropoutCell(0.3, [1]);
      const [ts] = run(shared, mode, x, true);
      const r = at3(nums(ts!).map((v, i) => v / nums(x)[i]!), x.shape);
      for (let n = 0; n < 20; n++) for (let c = 0; c < 10; c++) for (let t = 1; t < 6; t++) assert.ok(Math.abs(r(n, t, c) - r(n, 0, c)) < 1e-4, `axes [1]: [${n}, ${t}, ${c}] as at t = 0`);
    });
  }

  it('stepped over a list, each step draws its own mask; validLength zeroes the steps past each length', () => {
    const cell = new rnn.DropoutCell({ rate: 0.5 });
    const steps = [0, 1, 2].map(() => nd.ones([30, 10]));
    const outs = autograd.pause(() => cell.unroll(3, steps)[0] as nd.NDArray[], { trainMode: true });
    assert.equal(outs.length, 3);
    assert.notDeepEqual(nums(outs[0]!), nums(outs[1]!), 'a new mask at each step');
    const [m] = cell.unroll(3, nd.ones([2, 3, 4]), { validLength: nd.array([1, 3]) }) as [nd.NDArray, nd.NDArray[]];
    assert.deepEqual(m.toArray(), [[[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]], [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]);
  });
});

describe('ZoneoutCell', () => {
  const [N, T, C, H] = [30, 5, 3, 8];
  for (const mode of MODES) {
    it(`${mode}: the base cell at inference; in training each output element is the new one or the previous output (0 at first), at rate zoneoutOutputs`, function () {
      this.timeout(60000);
      const base = new rnn.GRUCell(H, { inputSize: C });
      const cell = new rnn.ZoneoutCell(base, { zoneoutOutputs: 0.4 });
      cell.initialize(new init.Uniform(0.8));
      const x = nd.random.uniform(-1, 1, [N, T, C]);
      // The base cell's own trajectory (zoneoutStates is 0, so the states are the base cell's).
      const [want, wantH] = base.unroll(T, x) as [nd.NDArray, nd.NDArray[]];
      const [inf, infH] = run(cell, mode, x, false);
      assertClose(nums(inf!), nums(want), 'prediction: the base cell', 1e-5, 1e-6);
      assertClose(nums(infH!), nums(wantH[0]!), 'prediction: the base cell\'s state', 1e-5, 1e-6);
      const [tr, trH] = run(cell, mode, x, true);
      assertClose(nums(trH!), nums(wantH[0]!), 'training: the states are the base cell\'s (zoneoutStates 0)', 1e-5, 1e-6);
      const [o, w] = [at3(nums(tr!), tr!.shape), at3(nums(want), want.shape)];
      let kept = 0;
      for (let n = 0; n < N; n++) {
        for (let h = 0; h < H; h++) {
          for (let t = 0; t < T; t++) {
            const prev = t ? o(n, t - 1, h) : 0;
            const isNew = Math.abs(o(n, t, h) - w(n, t, h)) < 1e-5;
            const isPrev = Math.abs(o(n, t, h) - prev) < 1e-5;
            assert.ok(isNew || isPrev, `[${n}, ${t}, ${h}] is ${o(n, t, h)}: neither the new ${w(n, t, h)} nor the previous ${prev}`);
            if (isPrev && !isNew) kept++;
          }
        }
      }
      near(kept / (N * T * H), 0.4, 'zoneoutOutputs');
    });
  }

  for (const hybrid of [false, true]) {
    it(`stepped by call${hybrid ? ', hybridized' : ''}: each state element is the new one or the previous one, at rate zoneoutStates; the output is the new one`, () => {
      const base = new rnn.LSTMCell(H, { inputSize: C });
      const cell = new rnn.ZoneoutCell(base, 0, 0.3);
      cell.initialize(new init.Uniform(0.8));
      if (hybrid) cell.hybridize();
      let states = cell.beginState(N).map((s) => nd.random.uniform(-1, 1, s.shape));
      let kept = 0;
      let total = 0;
      cell.reset();
      for (let t = 0; t < T; t++) {
        const x = nd.random.uniform(-1, 1, [N, C]);
        const [newOut, newStates] = base.call(x, states) as [nd.NDArray, nd.NDArray[]];
        const [out, next] = autograd.pause(() => cell.call(x, states), { trainMode: true }) as [nd.NDArray, nd.NDArray[]];
        assertClose(nums(out), nums(newOut), `step ${t}: the output is the new one (zoneoutOutputs 0)`, 1e-5, 1e-6);
        next.forEach((s, k) => {
          const [v, nv, pv] = [nums(s), nums(newStates[k]!), nums(states[k]!)];
          v.forEach((e, i) => {
            const isNew = Math.abs(e - nv[i]!) < 1e-5;
            assert.ok(isNew || Math.abs(e - pv[i]!) < 1e-5, `step ${t}, state ${k}[${i}]: neither new nor previous`);
            if (!isNew) kept++;
            total++;
          });
        });
        states = next;
      }
      near(kept / total, 0.3, 'zoneoutStates');
    });
  }
});

describe('VariationalDropoutCell', () => {
  const [N, T, H] = [40, 5, 10];
  const P = 0.3;
  for (const mode of MODES) {
    for (const dropStates of [0, P]) {
      const path = dropStates ? 'stepped (state dropout)' : 'whole-sequence (no state dropout)';
      it(`${mode}, ${path}: the base cell at inference; in training one input mask for every step, at rate p; new masks after a reset`, function () {
        this.timeout(60000);
        const base = identityRnn(H, 'input');
        const cell = new rnn.VariationalDropoutCell(base, { dropInputs: P, dropStates });
        const x = nd.random.uniform(0.2, 1, [N, T, H]);
        const [want] = base.unroll(T, x) as [nd.NDArray, nd.NDArray[]];
        const [inf] = run(cell, mode, x, false);
        assertClose(nums(inf!), nums(want), 'prediction: the base cell', 1e-5, 1e-6);
        // out_t = tanh(x_t ⊙ m): the mask, read back at every step.
        const mask = (o: nd.NDArray) => nums(o).map((v, i) => Math.atanh(v) / nums(x)[i]!);
        const m1 = at3(mask(run(cell, mode, x, true)[0]!), x.shape);
        const flat: number[] = [];
        for (let n = 0; n < N; n++) {
          for (let h = 0; h < H; h++) {
            flat.push(m1(n, 0, h));
            for (let t = 1; t < T; t++) assert.ok(Math.abs(m1(n, t, h) - m1(n, 0, h)) < 2e-3, `[${n}, ${t}, ${h}]: mask ${m1(n, t, h)} differs from step 0's ${m1(n, 0, h)}`);
          }
        }
        near(maskRate(flat, P, 'dropInputs'), P, 'dropInputs');
        const m2 = mask(run(cell, mode, x, true)[0]!);
        assert.ok(m2.some((v, i) => Math.abs(v - flat[Math.floor(i / (T * H)) * H + (i % H)]!) > 0.1), 'the next unroll draws a new mask');
      });
    }

    it(`${mode}: dropStates masks the state h fed to each step with one mask for every step`, function () {
      this.timeout(60000);
      const base = identityRnn(H, 'state');
      const cell = new rnn.VariationalDropoutCell(base, 0, P);
      const x = nd.random.uniform(-1, 1, [N, T, H]);
      const h0 = nd.random.uniform(0.2, 1, [N, H]);
      // out_t = tanh(h_{t-1} ⊙ m), h_0 given: m = atanh(out_t) / out_{t-1}; a dropped element stays 0.
      const [out] = run(cell, mode, x, true, [h0]);
      const o = at3(nums(out!), out!.shape);
      const h = nums(h0);
      const flat: number[] = [];
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < H; k++) {
          const m = Math.atanh(o(n, 0, k)) / h[n * H + k]!;
          flat.push(m);
          for (let t = 1; t < T; t++) {
            if (Math.abs(m) < 1e-3) assert.equal(o(n, t, k), 0, `[${n}, ${t}, ${k}]: a dropped state stays 0`);
            else assert.ok(Math.abs(Math.atanh(o(n, t, k)) / o(n, t - 1, k) - m) < 2e-3, `[${n}, ${t}, ${k}]: the state mask differs from step 0's`);
          }
        }
      }
      near(maskRate(flat, P, 'dropStates'), P, 'dropStates');
    });

    it(`${mode}: dropOutputs scales the base outputs by one mask for every step`, function () {
      this.timeout(60000);
      const base = new rnn.LSTMCell(H, { inputSize: 3 });
      const cell = new rnn.VariationalDropoutCell(base, { dropOutputs: P });
      cell.initialize(new init.Uniform(0.8));
      const x = nd.random.uniform(-1, 1, [N, T, 3]);
      const [want] = base.unroll(T, x) as [nd.NDArray, nd.NDArray[]];
      const [out] = run(cell, mode, x, true);
      const r = at3(nums(out!).map((v, i) => v / nums(want)[i]!), out!.shape);
      const flat: number[] = [];
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < H; k++) {
          flat.push(r(n, 0, k));
          for (let t = 1; t < T; t++) assert.ok(Math.abs(r(n, t, k) - r(n, 0, k)) < 2e-3, `[${n}, ${t}, ${k}]: the output mask differs from step 0's`);
        }
      }
      near(maskRate(flat, P, 'dropOutputs'), P, 'dropOutputs');
    });
  }

  for (const hybrid of [false, true]) {
    it(`gradient${hybrid ? ' (in a hybridized block)' : ''}: d Σ out / dx_t = (1 - out_t²) ⊙ m with the one input mask m`, function () {
      this.timeout(60000);
      const base = identityRnn(H, 'input');
      const cell = new rnn.VariationalDropoutCell(base, { dropInputs: P, dropStates: 0.1 });
      const net = new Unrolled(cell, T);
      if (hybrid) net.hybridize();
      const x = nd.random.uniform(0.2, 1, [N, T, H]);
      x.attachGrad();
      let out: nd.NDArray | undefined;
      autograd.record(() => {
        out = (net.call(x) as nd.NDArray[])[0]!;
        nd.sum(out).backward();
      });
      const o = nums(out!);
      const m = o.map((v, i) => Math.atanh(v) / nums(x)[i]!);
      assertClose(nums(x.grad!), o.map((v, i) => (1 - v * v) * m[i]!), 'dx', 1e-3, 1e-4);
    });
  }

  it('stepped by call: masks drawn in training are not reused at inference; reset() draws new ones', () => {
    const base = identityRnn(H, 'input');
    const cell = new rnn.VariationalDropoutCell(base, { dropInputs: 0.5 });
    const x = nd.random.uniform(0.2, 1, [N, H]);
    const st = cell.beginState(N);
    const train = () => nums((autograd.pause(() => cell.call(x, st), { trainMode: true }) as nd.NDArray[])[0]!);
    const a = train();
    assert.deepEqual(train(), a, 'the same mask until reset');
    const [inf] = cell.call(x, st) as nd.NDArray[];
    assertClose(nums(inf!), nums(nd.tanh(x)), 'inference: no mask', 1e-6, 1e-7);
    cell.reset();
    assert.notDeepEqual(train(), a, 'a new mask after reset');
  });
});
