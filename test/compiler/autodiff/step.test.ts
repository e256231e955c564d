/**
 * The one training-step builder (compiler/autodiff/step.ts), checked on
 * small graphs against float64 formulas derived by hand: the loss
 * L = sum((w·x - y)²) has dL/dw = 2·x·(w·x - y) (per element), and an SGD
 * rule w' = w - lr·(rescale·g + wd·w) written against F.
 */
import assert from 'node:assert/strict';
import { buildStep, compileGraph, Symbol, type UpdateRule } from 'gluonc/compiler';
import { sym } from 'gluonc';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from 'gluonc/runtime';

const t = (shape: number[], v: number[]): HostTensor => tensorFromNumbers('float32', shape, v);
const close = (a: number[], b: number[], tol = 1e-5) => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `element ${i}: ${x} vs ${b[i]}`));
};

// A plain SGD rule: w' = w - lr·(rescale·g + wd·w); its one state counts steps: s' = s + t.
const sgd: UpdateRule = {
  update(F, { weight, grad, states, lr, wd, t: step, rescale }) {
    const g = F.add(F.mul(grad, rescale), F.mul(weight, wd));
    return { weight: F.sub(weight, F.mul(g, lr)), states: [F.add(states[0]!, step)] };
  },
};

function lossGraph() {
  const x = sym.var('x', { shape: [3] });
  const y = sym.var('y', { shape: [3] });
  const w = sym.var('w', { shape: [3] });
  const d = x.mul(w).sub(y) as Symbol;
  const loss = d.mul(d).sum() as Symbol;
  return { x, y, w, loss };
}

const X = [0.5, -2, 3];
const Y = [1, 0.25, -1];
const W = [0.3, -0.7, 0];

describe('buildStep: one builder for every training step', () => {
  it('gradients of a loss match 2·x·(w·x - y), with gradReq add accumulating', () => {
    const { x, y, w, loss } = lossGraph();
    const old = sym.var('old', { shape: [3] });
    const { graph, grads } = buildStep({
      inputs: [x.value, y.value, w.value, old.value],
      outputs: [{ name: 'loss', value: loss.value }],
      heads: [loss.value],
      wrt: [{ value: w.value, gradName: 'dw', addTo: old.value }],
    });
    assert.equal(grads.length, 1);
    assert.deepEqual(graph.outputs.map((o) => o.name), ['loss', 'dw']);
    const run = compileGraph(graph, {});
    const r = run({ x: t([3], X), y: t([3], Y), w: t([3], W), old: t([3], [1, 2, 3]) });
    const expected = X.map((xi, i) => 2 * xi * (W[i]! * xi - Y[i]!) + [1, 2, 3][i]!);
    close(tensorToNumbers(r['dw']!), expected);
    close(tensorToNumbers(r['loss']!), [X.reduce((s, xi, i) => s + (W[i]! * xi - Y[i]!) ** 2, 0)]);
  });

  it('with an update rule: new weights and states from the gradient, unread scalars dropped', () => {
    const { x, y, w, loss } = lossGraph();
    const s = sym.var('s', { shape: [3] });
    const lr = sym.var('lr', { shape: [] });
    const wd = sym.var('wd', { shape: [] });
    const step = sym.var('t', { shape: [] });
    const rescale = sym.var('rescale', { shape: [] });
    const unread = sym.var('unread', { shape: [] });
    const { graph, keptOptional } = buildStep({
      inputs: [x.value, y.value, w.value, s.value],
      optionalInputs: () => [lr.value, wd.value, step.value, rescale.value, unread.value],
      outputs: [],
      heads: [loss.value],
      wrt: [{ value: w.value, update: () => ({ states: [s.value], lr: lr.value, wd: wd.value, t: step.value, rescale: rescale.value, weightName: 'w.new', stateNames: ['s.new'] }) }],
      rule: sgd,
    });
    assert.deepEqual(keptOptional.map((v) => v.name), ['lr', 'wd', 't', 'rescale']);
    assert.deepEqual(graph.outputs.map((o) => o.name), ['w.new', 's.new']);
    const run = compileGraph(graph, {});
    const scalar = (v: number) => t([], [v]);
    const r = run({ x: t([3], X), y: t([3], Y), w: t([3], W), s: t([3], [0, 1, 2]), lr: scalar(0.1), wd: scalar(0.01), t: scalar(4), rescale: scalar(0.5) });
    const g = X.map((xi, i) => 2 * xi * (W[i]! * xi - Y[i]!));
    close(tensorToNumbers(r['w.new']!), W.map((wi, i) => wi - 0.1 * (0.5 * g[i]! + 0.01 * wi)));
    close(tensorToNumbers(r['s.new']!), [4, 5, 6]);
  });

  it('an increment state (w\' = w + s\'): with `previous` offered, fed as the previous weight and not output; other rules keep their states', () => {
    // Momentum as MXNet writes it: m' = 0.9·m − lr·rescale·g; w' = w + m'.
    const momentum: UpdateRule = {
      update(F, { weight, grad, states, lr, rescale }) {
        const m = F.sub(F.mul(states[0]!, 0.9), F.mul(grad, F.mul(lr, rescale)));
        return { weight: F.add(weight, m), states: [m] };
      },
    };
    const build = (rule: UpdateRule) => {
      const { x, y, w, loss } = lossGraph();
      const s = sym.var('s', { shape: [3] });
      const [lr, rescale, step, wd] = ['lr', 'rescale', 't', 'wd'].map((n) => sym.var(n, { shape: [] }));
      const asked: number[] = [];
      const prev = sym.var('prev', { shape: [3] });
      const { graph } = buildStep({
        inputs: [x.value, y.value, w.value, s.value, prev.value, lr!.value, rescale!.value, step!.value, wd!.value],
        outputs: [],
        heads: [loss.value],
        wrt: [{ value: w.value, update: () => ({ states: [s.value], lr: lr!.value, wd: wd!.value, t: step!.value, rescale: rescale!.value, weightName: 'w.new', stateNames: ['s.new'], previous: (k) => (asked.push(k), prev.value) }) }],
        rule,
      });
      const reads = (v: { value: unknown }) => graph.nodes.some((n) => n.inputs.includes(v.value as never));
      return { graph, asked, readsState: reads(s), readsPrev: reads(prev) };
    };
    const { graph, asked, readsState, readsPrev } = build(momentum);
    assert.deepEqual(asked, [0]);
    assert.deepEqual(graph.outputs.map((o) => o.name), ['w.new']);
    assert.deepEqual([readsState, readsPrev], [false, true], 'the state is not read, the previous weight is');
    const r = compileGraph(graph, {})({ x: t([3], X), y: t([3], Y), w: t([3], W), s: t([3], [9, 9, 9]), t: t([], [1]), wd: t([], [0]), prev: t([3], [0.5, -0.5, 0.25]), lr: t([], [0.1]), rescale: t([], [0.5]) });
    const g = X.map((xi, i) => 2 * xi * (W[i]! * xi - Y[i]!));
    const m = W.map((wi, i) => 0.9 * (wi - [0.5, -0.5, 0.25][i]!) - 0.1 * 0.5 * g[i]!);
    close(tensorToNumbers(r['w.new']!), W.map((wi, i) => wi + m[i]!));
    // The counting rule's state is not the weight's increment: stored as before.
    const other = build(sgd);
    assert.deepEqual(other.asked, []);
    assert.deepEqual(other.graph.outputs.map((o) => o.name), ['w.new', 's.new']);
    assert.deepEqual([other.readsState, other.readsPrev], [true, false]);
  });

  it("a value no gradient reaches: zeros by default, nothing with missing: 'skip'", () => {
    const { x, y, w, loss } = lossGraph();
    const v = sym.var('v', { shape: [2] });
    const zeros = buildStep({ inputs: [x.value, y.value, w.value, v.value], outputs: [], heads: [loss.value], wrt: [{ value: v.value, gradName: 'dv' }] });
    const r = compileGraph(zeros.graph, {})({ x: t([3], X), y: t([3], Y), w: t([3], W), v: t([2], [5, 6]) });
    assert.deepEqual(tensorToNumbers(r['dv']!), [0, 0]);
    const skip = buildStep({ inputs: [x.value, y.value, w.value, v.value], outputs: [], heads: [loss.value], wrt: [{ value: v.value, gradName: 'dv' }], missing: 'skip' });
    assert.deepEqual(skip.grads, [null]);
    assert.deepEqual(skip.graph.outputs, []);
  });

  it('an update without a rule is refused by name', () => {
    const { x, y, w, loss } = lossGraph();
    const z = sym.var('z', { shape: [] }).value;
    assert.throws(
      () => buildStep({ inputs: [x.value, y.value, w.value], outputs: [], heads: [loss.value], wrt: [{ value: w.value, update: () => ({ states: [], lr: z, wd: z, t: z, rescale: z, weightName: 'w2', stateNames: [] }) }] }),
      /buildStep: 'w' has an update but the step has no update rule/,
    );
  });
});
