/**
 * The gradient of `repeat` by a count read when the graph runs (d2l's
 * `valid_lens.repeat(X.shape[1])` while exporting a training step): the sum
 * over the copies, against PyTorch's `repeat_interleave` backward in float64
 * at several sizes of the symbolic dimensions, for a repeated axis with
 * axes after it, the last axis, the flattened form (axis null) and a count
 * held by an integer tensor.
 */
import assert from 'node:assert/strict';
import { autograd, exportTrainingStep, gluon, nd, optimizer, sym } from 'gluonc';
import { Session, tensorFromNumbers, type HostTensor } from 'gluonc/runtime';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { evalSymbols } from '../../../compiler/compile.js';
import { Symbol } from '../../../compiler/trace/symbol.js';
import { assertClose } from '../../helpers/compare.js';
import { runPython } from '../../helpers/python-server.js';

type Arr = nd.NDArray;

const TORCH = String.raw`
import json, sys, torch
jobs = json.load(sys.stdin)
out = []
for j in jobs:
    x = torch.tensor(j['x'], dtype=torch.float64).reshape(j['xshape']).requires_grad_(True)
    y = torch.repeat_interleave(x, j['count'], dim=j['axis']) if j['axis'] is not None else torch.repeat_interleave(x, j['count'])
    dy = torch.tensor(j['dy'], dtype=torch.float64).reshape(y.shape)
    y.backward(dy)
    out.append({'shape': list(x.grad.shape), 'data': x.grad.reshape(-1).tolist()})
json.dump(out, sys.stdout)
`;

interface Job { x: number[]; xshape: number[]; count: number; axis: number | null; dy: number[] }

function torchRefs(jobs: Job[]): { shape: number[]; data: number[] }[] {
  const r = runPython(TORCH, { input: JSON.stringify(jobs) });
  if (r.status !== 0) throw new Error(`python3 torch reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const vals = (n: number, seed: number) => Array.from({ length: n }, (_v, i) => Math.sin(seed + i * 1.7) * 2);
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe('repeat: the gradient by a count read when the graph runs, against torch.repeat_interleave', () => {
  // [what, x's symbolic shape, the axis, the concrete x shapes and counts to run]
  const cases: [string, (string | number)[], number | null, [number[], number][]][] = [
    ['axis 0 of [N, 2] (axes after it)', ['N', 2], 0, [[[2, 2], 3], [[3, 2], 1], [[1, 2], 5]]],
    ['axis 1 of [N, 3] (the last axis)', ['N', 3], 1, [[[2, 3], 4], [[3, 3], 2]]],
    ['axis -1 of [N, 2, 3]', ['N', 2, 3], -1, [[[2, 2, 3], 3]]],
    ["flattened (axis null) [N]: d2l's valid_lens.repeat(X.shape[1])", ['N'], null, [[[2], 4], [[3], 1], [[4], 3]]],
    ['flattened (axis null) [N, 2]', ['N', 2], null, [[[2, 2], 3]]],
  ];

  const jobsOf = (axis: number | null, runs: [number[], number][], base: number) =>
    runs.map(([xs, count], k): Job => ({ x: vals(prod(xs), base + k), xshape: xs, count, axis, dy: vals(prod(xs) * count, base + 10 + k) }));
  const scalarJob: Job = { x: vals(6, 3), xshape: [3, 2], count: 3, axis: 1, dy: vals(18, 4) };
  let refs: { shape: number[]; data: number[] }[][] = [];
  before(function () {
    this.timeout(60_000);
    // One python process for every reference (importing torch takes seconds).
    const all = [...cases.map(([, , axis, runs], c) => jobsOf(axis, runs, 20 * c)), [scalarJob]];
    const flatRefs = torchRefs(all.flat());
    let at = 0;
    refs = all.map((js) => js.map(() => flatRefs[at++]!));
  });

  cases.forEach(([what, shape, axis, runs], c) => {
    it(what, () => {
      const x = sym.var('x', { shape });
      // The count is dimension 1 of y, read when the graph runs (a SymbolicDim while exporting gives the same node).
      const y = sym.var('y', { shape: [1, 'T'] });
      const r = sym.repeat(x, sym.shapeArray(y, { axis: 1 }) as unknown as number, { axis });
      const dy = sym.var('dy', { shape: ['K'] });
      const [gx] = gradients([r.value], [x.value], [sym.reshapeLike(dy, r).value]);
      const jobs = jobsOf(axis, runs, 20 * c);
      jobs.forEach((j, k) => {
        const ref = refs[c]![k]!;
        const [got] = evalSymbols([new Symbol(gx!)], { x: nd.array(j.x).reshape(j.xshape), y: nd.zeros([1, j.count]), dy: nd.array(j.dy) }) as Arr[];
        assert.deepEqual(got!.shape, ref.shape, `x ${JSON.stringify(j.xshape)}, count ${j.count}: shape`);
        assertClose(Array.from(got!.data() as Float32Array), ref.data, `x ${JSON.stringify(j.xshape)}, count ${j.count}`, 1e-5, 1e-5);
        // The eager tape (a number count) gives the same numbers.
        const xe = nd.array(j.x).reshape(j.xshape);
        xe.attachGrad();
        const ye = autograd.record(() => nd.repeat(xe, j.count, { axis }));
        ye.backward(nd.array(j.dy).reshape(ye.shape));
        assertClose(Array.from(xe.grad!.data() as Float32Array), ref.data, `eager x ${JSON.stringify(j.xshape)}, count ${j.count}`, 1e-5, 1e-5);
      });
    });
  });

  it('a count held by an integer tensor (its value, not its shape)', () => {
    const x = sym.var('x', { shape: ['N', 2] });
    const c = sym.var('c', { shape: [], dtype: 'int64' });
    const r = sym.repeat(x, c as unknown as number, 1);
    const dy = sym.var('dy', { shape: ['K'] });
    const [gx] = gradients([r.value], [x.value], [sym.reshapeLike(dy, r).value]);
    const job = scalarJob;
    const ref = refs[cases.length]![0];
    const [got] = evalSymbols([new Symbol(gx!)], { x: nd.array(job.x).reshape(job.xshape), c: nd.array([3], { dtype: 'int64' }).reshape([]), dy: nd.array(job.dy) }) as Arr[];
    assert.deepEqual(got!.shape, ref!.shape);
    assertClose(Array.from(got!.data() as Float32Array), ref!.data, 'count 3 from an int64 scalar', 1e-5, 1e-5);
  });

  it('an exported training step through F.repeat(h, w.shape[1], 1) (T symbolic) updates as the eager Trainer does', () => {
    class Rep extends gluon.HybridBlock {
      fc = new gluon.nn.Dense(2, { inUnits: 3 });
      override hybridForward(F: gluon.F, x: gluon.Tensor, w: gluon.Tensor) {
        return F.repeat(this.fc.call(x), w.shape[1] as number, 1);
      }
    }
    const net = new Rep();
    net.initialize();
    const { bytes } = exportTrainingStep(net, {
      inputs: { x: { shape: ['N', 3] }, w: { shape: ['N', 'T'] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', { learningRate: 1 }),
    });
    const [N, T] = [2, 3];
    const X = vals(N * 3, 1);
    const L = vals(N * 2 * T, 2);
    const f32 = (shape: number[], v: number[]) => tensorFromNumbers('float32', shape, v);
    const feeds: Record<string, HostTensor> = { x: f32([N, 3], X), w: f32([N, T], Array<number>(N * T).fill(0)), label: f32([N, 2 * T], L), lr: f32([], [1]), t: f32([], [1]) };
    for (const [name, p] of net.collectParams()) feeds[name] = f32(p.shape as number[], Array.from(p.data().data() as Float32Array));
    const session = Session.create(bytes);
    try {
      const r = session.runSync(feeds);
      // The eager step (a number count: the rule checked against torch above), from the same weights.
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
      const l2 = new gluon.loss.L2Loss();
      autograd.record(() => l2.call(net.call(nd.array(X).reshape([N, 3]), nd.zeros([N, T])), nd.array(L).reshape([N, 2 * T]))).backward();
      trainer.step(N);
      for (const [name, p] of net.collectParams()) assertClose(Array.from(r[`${name}.new`]!.data as Float32Array), Array.from(p.data().data() as Float32Array), name, 1e-5, 1e-6);
    } finally {
      session.close();
    }
  });
});
