/**
 * Nested list inputs to block calls (MXNet 2's HybridBlock `_flatten` /
 * `_regroup`): d2l's `forward(X, state)` with `state = [h, c]`, eager and
 * hybridized, inside a hybridized parent, under autograd, exported; constant
 * (non-tensor) arguments; and `registerChild`. References: the formulas in
 * float64 below, PyTorch (float64 autograd) for the gradients, onnxruntime
 * for the exported artifact.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, exportTrainingStep, gluon, nd, np, optimizer } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { callStrategy } from '../../../compiler/gluon/call-strategy.js';
import { flattenInputs, regroupInputs } from '../../../compiler/gluon/call-inputs.js';
import { isSymbol } from '../../../compiler/trace/symbol.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const vals = (x: unknown): number[] => Array.from((x as NDArray).data() as ArrayLike<number>, Number);
const kind = (v: unknown): string => (Array.isArray(v) ? `[${v.map(kind).join(',')}]` : v === null ? 'null' : v === undefined ? 'undefined' : isSymbol(v) ? 'Symbol' : typeof v === 'object' ? (v as object).constructor.name : typeof v);

const X = [[1, 2, 3], [-1, 0.5, 2]];
const W = [[0.5, -1, 2], [1, 1, -0.25]];
const B = [0.1, -0.2];
// h and c with a zero, a negative and a tie (equal entries), so a swapped h and c shows.
const H = [[0.5, -2], [0, 1.5]];
const C = [[3, 3], [-1, 0.25]];

/** x·Wᵀ + b in float64. */
const affine = (): number[][] => X.map((row) => W.map((wr, j) => wr.reduce((s, w, k) => s + w * row[k]!, B[j]!)));
/** The reference of Dec: y = (x·Wᵀ + b) * h (+ c when given); [y, [tanh(y), 2c or 0]]. */
function decRef(c: number[][] | null): [number[], number[], number[]] {
  const y = affine().map((r, i) => r.map((v, j) => v * H[i]![j]! + (c ? c[i]![j]! : 0)));
  return [y.flat(), y.flat().map(Math.tanh), c ? c.flat().map((v) => 2 * v) : [0, 0, 0, 0]];
}

/** d2l's decoder step in Gluon 2 style: forward(x, state) with state = [h, c] (c may be left out or null). */
class Dec extends gluon.HybridBlock {
  fc = new gluon.nn.Dense(2, { inUnits: 3 });
  seen: string[] = [];
  override forward(x: NDArray, state: (NDArray | null)[]) {
    this.seen.push(kind(state));
    const [h, c] = state;
    let y = np.multiply(this.fc.call(x) as NDArray, h!);
    if (c != null) y = np.add(y, c);
    return [y, [np.tanh(y), c != null ? np.multiply(c, 2) : np.zerosLike(h!)]];
  }
}

function makeDec(): Dec {
  const m = new Dec();
  m.initialize();
  m.fc.weight.setData(nd.array(W));
  m.fc.bias!.setData(nd.array(B));
  return m;
}

function checkOut(out: unknown, c: number[][] | null, what: string): void {
  assert.ok(Array.isArray(out) && out.length === 2 && Array.isArray(out[1]) && out[1].length === 2, `${what}: the output keeps its nesting [y, [h, c]], got ${kind(out)}`);
  const [y, [h2, c2]] = out as [NDArray, [NDArray, NDArray]];
  const [ry, rh, rc] = decRef(c);
  assertClose(vals(y), ry, `${what}: y`, 1e-5, 1e-6);
  assertClose(vals(h2), rh, `${what}: tanh(y)`, 1e-5, 1e-6);
  assertClose(vals(c2), rc, `${what}: 2c`, 1e-5, 1e-6);
}

describe('block calls with nested list inputs (MXNet 2 _flatten/_regroup)', () => {
  it('flattenInputs / regroupInputs: depth first, absent entries and constants kept, bad leaves named by path', () => {
    const [a, b, c] = [nd.ones([1]), nd.zeros([1]), nd.ones([2])];
    const { flat, format } = flattenInputs('M', [a, [[b, null], c], undefined, 3], true);
    assert.deepEqual(flat, [a, b, undefined, c, undefined]);
    assert.deepEqual(format, ['a', [['a', 'null'], 'a'], 'undefined', { value: 3 }]);
    const back = regroupInputs(flat, format);
    assert.equal(kind(back), '[NDArray,[[NDArray,null],NDArray],undefined,number]');
    assert.equal((back[1] as unknown[][])[0]![0], b);
    assert.equal(back[3], 3);
    // A flat call is returned as it is.
    const plain = [a, b];
    assert.equal(flattenInputs('M', plain, false).flat, plain);
    assert.equal(flattenInputs('M', plain, false).format, null);
    assert.throws(() => flattenInputs('M', [a, [b, 2]], true), /^Error: M: input 1\[1\] must be an NDArray, got number 2 inside a list/);
    assert.throws(() => flattenInputs('M', [a, 2], false), /^Error: M: input 1 must be an NDArray, got number 2: a hybridized block's inputs are arrays/);
    assert.throws(() => flattenInputs('M', [a, { h: b }], true), /^Error: M: input 1 must be an NDArray, got Object, a \(nested\) list of NDArrays, or absent \(null\)$/);
  });

  it('eager and hybridized: forward gets [h, c] (symbols while traced), the output keeps [y, [h, c]], both against the formula', () => {
    const e = makeDec();
    checkOut(e.call(nd.array(X), [nd.array(H), nd.array(C)]), C, 'eager');
    assert.deepEqual(e.seen, ['[NDArray,NDArray]']);
    const m = makeDec().hybridize();
    for (const round of [0, 1]) checkOut(m.call(nd.array(X), [nd.array(H), nd.array(C)]), C, `hybridized, call ${round}`);
    assert.deepEqual(m.seen, ['[Symbol,Symbol]'], 'traced once, on a list of symbols');
    assert.equal(m.cacheSize, 1);
  });

  it('summary and forward hooks see the list; a plain Block takes lists as it always did', () => {
    const m = makeDec().hybridize();
    const log = console.log;
    console.log = () => {};
    let s;
    try {
      s = m.summary(nd.array(X), [nd.array(H), null]);
    } finally {
      console.log = log;
    }
    assert.equal(s.rows[0]!.outputShape, '(2, 3), [(2, 2), None]');
    assert.equal(s.rows.at(-1)!.outputShape, '(2, 2), [(2, 2), (2, 2)]');
    const seen: string[] = [];
    m.registerForwardPreHook((_b, ins) => void seen.push(kind(ins)));
    m.call(nd.array(X), [nd.array(H), nd.array(C)]);
    assert.deepEqual(seen, ['[NDArray,[NDArray,NDArray]]']);
    class PlainDec extends gluon.Block {
      dec = makeDec();
      override forward(x: NDArray, state: NDArray[]) {
        return this.dec.call(x, state);
      }
    }
    checkOut(new PlainDec().call(nd.array(X), [nd.array(H), nd.array(C)]), C, 'plain Block around a hybridized one');
  });

  it('the compiled cache is keyed by the nesting: [h, c], [h], [h, null] are three graphs, never shared wrongly (MXNet 2 raises on a change)', () => {
    const m = makeDec().hybridize();
    const calls: [string, () => unknown, number[][] | null][] = [
      ['[h, c]', () => m.call(nd.array(X), [nd.array(H), nd.array(C)]), C],
      ['[h]', () => m.call(nd.array(X), [nd.array(H)]), null],
      ['[h, null]', () => m.call(nd.array(X), [nd.array(H), null]), null],
    ];
    // Twice over, in an order where a key without the nesting would reuse the first program.
    for (const round of [0, 1]) for (const [name, run, c] of calls) checkOut(run(), c, `${name}, round ${round}`);
    assert.equal(m.cacheSize, 3);
    assert.deepEqual(m.seen, ['[Symbol,Symbol]', '[Symbol]', '[Symbol,null]'], 'each nesting traced once, the absent entry as given');
    // A flat call of the same arrays is another signature again: forward gets a symbol where it destructures a list.
    assert.throws(() => m.call(nd.array(X), nd.array(H), nd.array(C)), /state is not iterable/);
    assert.equal(m.cacheSize, 3, 'the failed trace is not cached');
    checkOut(m.call(nd.array(X), [nd.array(H), nd.array(C)]), C, 'after the failed call');
  });

  it('inside a hybridized parent: the child gets the list of symbols; a constant argument is baked in, as MXNet 2 traces Python values', () => {
    class Scale extends gluon.HybridBlock {
      override forward(x: NDArray, k: number, negate: boolean) {
        return np.multiply(x, negate ? -k : k);
      }
    }
    class Parent extends gluon.HybridBlock {
      dec = makeDec();
      scale = new Scale();
      override forward(x: NDArray, h: NDArray, c: NDArray) {
        const [y, [h2]] = this.dec.call(x, [h, c]) as [NDArray, NDArray[]];
        return np.add(this.scale.call(y, 3, true) as NDArray, h2!);
      }
    }
    const [ry, rh] = decRef(C);
    const want = ry.map((v, i) => -3 * v + rh[i]!);
    for (const hybridize of [false, true]) {
      const p = new Parent();
      if (hybridize) p.hybridize();
      assertClose(vals(p.call(nd.array(X), nd.array(H), nd.array(C))), want, `parent (hybridized: ${hybridize})`, 1e-5, 1e-6);
      assert.deepEqual(p.dec.seen, [hybridize ? '[Symbol,Symbol]' : '[NDArray,NDArray]']);
    }
  });

  it('constants at the top level: passed through when not hybridized, refused hybridized (MXNet 2), and a call of constants only is refused', () => {
    class Scale extends gluon.HybridBlock {
      override forward(x: NDArray, k: number, negate?: boolean) {
        return np.multiply(x, negate ? -k : k);
      }
    }
    const s = new Scale();
    assertClose(vals(s.call(nd.array([1, -2]), 3)), [3, -6], 'eager, a number');
    assertClose(vals(s.call(nd.array([1, -2]), 0.5, true)), [-0.5, 1], 'eager, a number and a boolean');
    assert.equal(callStrategy(s, [nd.ones([2]), 3]), 'eager');
    assert.throws(() => s.call(3, 4), /^Error: Scale: needs an NDArray among its inputs, got only constants \(3, 4\)$/);
    s.hybridize();
    assert.throws(() => s.call(nd.array([1, -2]), 3), /^Error: Scale: input 1 must be an NDArray, got number 3: a hybridized block's inputs are arrays, absent \(null\) or \(nested\) lists of them, as MXNet 2's/);
    assert.throws(() => s.call(nd.array([1, -2]), nd.array([3]), true), /input 2 must be an NDArray, got boolean true/);
    // Not hybridized, a block with deferred parameters infers them through a trace that keeps the constant.
    class Lazy extends gluon.HybridBlock {
      fc = new gluon.nn.Dense(2);
      override forward(x: NDArray, state: NDArray[], k: number) {
        return np.multiply(np.add(this.fc.call(x) as NDArray, state[0]!), k);
      }
    }
    const lazy = new Lazy();
    lazy.initialize();
    lazy.call(nd.ones([2, 5]), [nd.ones([2, 2])], 2);
    assert.deepEqual(lazy.fc.weight.shape, [2, 5]);
    const lazy2 = new Lazy();
    lazy2.initialize();
    lazy2.inferShape(nd.ones([4, 7]), [nd.ones([4, 2])], 2);
    assert.deepEqual(lazy2.fc.weight.shape, [2, 7]);
  });

  it('gradients reach every array inside the list: hybridized equals eager, and both equal PyTorch (float64)', () => {
    const G1 = [[1, -1], [0.5, 2]];
    const G2 = [[0.25, 1], [-1, 3]];
    const G3 = [[2, 0], [1, -0.5]];
    const run = (hybridize: boolean) => {
      const m = makeDec();
      if (hybridize) m.hybridize();
      const [x, h, c] = [nd.array(X), nd.array(H), nd.array(C)];
      for (const a of [x, h, c]) a.attachGrad();
      const loss = autograd.record(() => {
        const [y, [h2, c2]] = m.call(x, [h, c]) as [NDArray, NDArray[]];
        const s = (a: NDArray, g: number[][]) => np.sum(np.multiply(a, nd.array(g)));
        return np.add(np.add(s(y, G1), s(h2!, G2)), s(c2!, G3));
      });
      loss.backward();
      return { x: vals(x.grad), h: vals(h.grad), c: vals(c.grad), w: vals(m.fc.weight.grad()), b: vals(m.fc.bias!.grad()) };
    };
    const eager = run(false);
    const hyb = run(true);
    const f64 = (a: number[][] | number[]) => ({ shape: Array.isArray(a[0]) ? [a.length, (a[0] as number[]).length] : [a.length], dtype: 'float64', data: (a as number[][]).flat() });
    const [ref] = numpyRefs([{
      inputs: [f64(X), f64(H), f64(C), f64(W), f64(B), f64(G1), f64(G2), f64(G3)],
      code: `
import torch
T = lambda v, r=False: torch.tensor(v, dtype=torch.float64, requires_grad=r)
x, hh, cc, w, bb = [T(v, True) for v in (a, b, c, d, e)]
y = (x @ w.T + bb) * hh + cc
L = (y * T(f)).sum() + (torch.tanh(y) * T(g)).sum() + (cc * 2 * T(h)).sum()
L.backward()
out = [v.grad.numpy() for v in (x, hh, cc, w, bb)]`,
    }]);
    assert.ok(!ref!.error, ref!.error);
    const names = ['x', 'h', 'c', 'w', 'b'] as const;
    names.forEach((k, i) => {
      assertClose(eager[k], ref!.outs[i]!.data as number[], `eager d/d${k} vs PyTorch`, 1e-5, 1e-6);
      assertClose(hyb[k], ref!.outs[i]!.data as number[], `hybridized d/d${k} vs PyTorch`, 1e-5, 1e-6);
    });
    // The gradient of c is 1·G1 + tanh'·G2 + 2·G3: nonzero everywhere here, so a missing one shows.
    assert.ok(hyb.c.every((v) => v !== 0));
  });

  it('export of a block called with a list: its arrays are the inputs data0, data1, data2 (MXNet 2), and the artifact runs in loadModel', async () => {
    const m = makeDec().hybridize();
    m.call(nd.array(X), [nd.array(H), nd.array(C)]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-list-'));
    try {
      const file = path.join(dir, 'dec.onnx');
      const r = m.export(file);
      assert.deepEqual(r.manifest.inputs.map((i) => [i.name, i.shape]), [['data0', ['N', 3]], ['data1', ['N', 2]], ['data2', ['N', 2]]]);
      assert.deepEqual(r.manifest.outputs.map((o) => o.name), ['output0', 'output1', 'output2']);
      const model = await loadModel(file);
      const f = (a: number[][]) => ({ data: Float32Array.from(a.flat()), shape: [a.length, a[0]!.length] });
      const out = await model.run({ data0: f(X), data1: f(H), data2: f(C) });
      const [ry, rh, rc] = decRef(C);
      assertClose(Array.from(out['output0']!.data as Float32Array), ry, 'artifact y', 1e-5, 1e-6);
      assertClose(Array.from(out['output1']!.data as Float32Array), rh, 'artifact tanh(y)', 1e-5, 1e-6);
      assertClose(Array.from(out['output2']!.data as Float32Array), rc, 'artifact 2c', 1e-5, 1e-6);
      model.close?.();
      // Named inputs fill the nesting in order; a count that does not fit it is an Error naming it.
      const named = m.export(path.join(dir, 'named.onnx'), { inputs: { x: { shape: ['N', 3] }, h: { shape: ['N', 2] }, c: { shape: ['N', 2] } } });
      assert.deepEqual(named.manifest.inputs.map((i) => i.name), ['x', 'h', 'c']);
      assert.throws(() => m.export(path.join(dir, 'bad.onnx'), { inputs: { x: { shape: ['N', 3] }, h: { shape: ['N', 2] } } }),
        /Dec\.export to '.*bad\.onnx': Dec: 2 inputs given, but the block's last call had 3 arrays nested as \(a,\[a,a\]\); give those arrays in order \(depth first\)/);
      // The training step too: the named inputs fill the nesting of the last call.
      const step = exportTrainingStep(m, {
        inputs: { x: { shape: ['N', 3] }, h: { shape: ['N', 2] }, c: { shape: ['N', 2] } },
        loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
        lossOutput: 0,
        optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
      });
      assert.deepEqual(step.manifest.inputs.slice(0, 6).map((i) => i.name), ['x', 'h', 'c', 'label', 'lr', 't']);
      // MXNet's files: the symbol's data arguments are data0..data2, imported back and called flat.
      m.export(path.join(dir, 'mx'), { format: 'mxnet' });
      const sb = gluon.SymbolBlock.imports(path.join(dir, 'mx-symbol.json'), ['data0', 'data1', 'data2'], path.join(dir, 'mx-0000.params'));
      const back = sb.call(nd.array(X), nd.array(H), nd.array(C)) as NDArray[];
      assertClose(vals(back[0]), ry, 'MXNet files imported: y', 1e-5, 1e-6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Block.registerChild (MXNet register_child)', () => {
  /** Two Dense layers held in an array property, registered as children (MXNet's pattern for a list of blocks). */
  class Stack extends gluon.HybridBlock {
    blks: gluon.nn.Dense[] = [];
    constructor(names?: string[]) {
      super();
      for (let i = 0; i < 2; i++) {
        const b = new gluon.nn.Dense(2, { inUnits: 2 });
        this.blks.push(b);
        this.registerChild(b, names?.[i]);
      }
    }
    override forward(x: NDArray) {
      for (const b of this.blks) x = b.call(x) as NDArray;
      return x;
    }
  }
  const W1 = [[1, -2], [0.5, 3]];
  const W2 = [[-1, 1], [2, 0.25]];
  /** Two affine maps in float64 (biases 1 and -1). */
  const stackRef = (x: number[][]) => {
    const aff = (v: number[][], w: number[][], b: number) => v.map((r) => w.map((wr) => wr[0]! * r[0]! + wr[1]! * r[1]! + b));
    return aff(aff(x, W1, 1), W2, -1).flat();
  };
  const setWeights = (s: Stack) => {
    s.blks[0]!.weight.setData(nd.array(W1));
    s.blks[0]!.bias!.setData(nd.array([1, 1]));
    s.blks[1]!.weight.setData(nd.array(W2));
    s.blks[1]!.bias!.setData(nd.array([-1, -1]));
  };

  it("children, collectParams names ('0.weight'), hybridized forward, summary and printing see registered children", () => {
    const s = new Stack();
    assert.deepEqual(s.children().map(([k]) => k), ['0', '1']);
    assert.deepEqual(s.collectParams().keys(), ['0.weight', '0.bias', '1.weight', '1.bias']);
    s.initialize();
    setWeights(s);
    const x = [[1, 2], [-3, 0.5]];
    assertClose(vals(s.call(nd.array(x))), stackRef(x), 'eager');
    s.hybridize();
    assertClose(vals(s.call(nd.array(x))), stackRef(x), 'hybridized');
    const log = console.log;
    console.log = () => {};
    try {
      const sum = s.summary(nd.array(x));
      assert.deepEqual(sum.rows.map((r) => r.type), ['Input', 'Dense', 'Dense', 'Stack']);
      assert.equal(sum.totalParams, 12);
    } finally {
      console.log = log;
    }
    assert.match(String(s), /^Stack\(\n {2}\(0\): Dense\(.*\n {2}\(1\): Dense\(/);
    const named = new Stack(['enc', 'dec']);
    assert.deepEqual(named.collectParams().keys(), ['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
  });

  it('a child registered after a hybridized call is compiled in at the next call (the structure check)', () => {
    const s = new Stack();
    s.initialize();
    setWeights(s);
    s.hybridize();
    // Made before the call, so that only registerChild announces the change.
    const third = new gluon.nn.Dense(2, { inUnits: 2 });
    third.initialize();
    third.weight.setData(nd.array([[1, 0], [0, -1]]));
    third.bias!.setData(nd.array([0.5, 0.5]));
    const x = [[1, 2], [-3, 0.5]];
    assertClose(vals(s.call(nd.array(x))), stackRef(x), 'two layers');
    s.blks.push(third);
    s.registerChild(third);
    assert.deepEqual(s.collectParams().keys().slice(-2), ['2.weight', '2.bias']);
    const two = stackRef(x);
    const want = [0, 1].flatMap((i) => [two[2 * i]! + 0.5, -two[2 * i + 1]! + 0.5]);
    assertClose(vals(s.call(nd.array(x))), want, 'three layers, hybridized');
  });

  it('saveParameters / loadParameters use the registered names', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-regchild-'));
    try {
      const s = new Stack();
      s.initialize();
      setWeights(s);
      const file = path.join(dir, 's.safetensors');
      s.saveParameters(file);
      // The file's keys (safetensors: an 8-byte header length, then the JSON header).
      const bytes = fs.readFileSync(file);
      const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(header).filter((k) => k !== '__metadata__').sort(), ['0.bias', '0.weight', '1.bias', '1.weight']);
      const t = new Stack();
      t.loadParameters(file);
      const x = [[0.5, -1], [2, 2]];
      assertClose(vals(t.call(nd.array(x))), stackRef(x), 'loaded');
      const u = new Stack(['enc', 'dec']);
      u.loadParameters(file, { allowMissing: true, ignoreExtra: true });
      assert.equal(u.blks[0]!.weight.initialized, false, "'0.weight' is not 'enc.weight': nothing loaded by name");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refusals and replacement; Sequential.registerChild appends as add', () => {
    class Host extends gluon.HybridBlock {
      fc = new gluon.nn.Dense(1, { inUnits: 1 });
    }
    const h = new Host();
    const d = new gluon.nn.Dense(3, { inUnits: 1 });
    assert.throws(() => h.registerChild(d, 'fc'), /^Error: Host\.registerChild: the name 'fc' is the property holding the child Dense; assign this\.fc to replace it/);
    assert.throws(() => h.registerChild(d, 'a.b'), /the name must be a non-empty string without '\.'/);
    assert.throws(() => h.registerChild(3 as never), /^Error: Host\.registerChild: expected a Block, got 3$/);
    class Plain extends gluon.Block {}
    assert.throws(() => h.registerChild(new Plain()), /^Error: Host\.registerChild\('1'\): children of a HybridBlock must also be HybridBlocks, but Plain is not/);
    h.registerChild(d);
    assert.deepEqual(h.children().map(([k, c]) => [k, c]), [['fc', h.fc], ['1', d]]);
    const d2 = new gluon.nn.Dense(4, { inUnits: 1 });
    h.registerChild(d2, '1');
    assert.deepEqual(h.children().map(([k, c]) => [k, c]), [['fc', h.fc], ['1', d2]], 'the same name again replaces (MXNet)');
    // A plain Block takes plain children.
    const b = new gluon.Block();
    b.registerChild(new Plain(), 'p');
    assert.deepEqual(b.children().map(([k]) => k), ['p']);
    const seq = new gluon.nn.HybridSequential();
    seq.registerChild(new gluon.nn.Dense(2, { inUnits: 2 }));
    seq.registerChild(new gluon.nn.Dense(1, { inUnits: 2 }), '1');
    assert.equal(seq.length, 2);
    assert.deepEqual(seq.collectParams().keys(), ['0.weight', '0.bias', '1.weight', '1.bias']);
    assert.throws(() => seq.registerChild(new gluon.nn.Dense(1), 'head'), /HybridSequential\.registerChild: a HybridSequential's children are named by position and run in order, so registerChild\(block\) appends it as child '2'/);
  });
});
