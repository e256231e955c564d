/**
 * MultiBoxTarget lowered to ONNX (compiler/ops/box-lower.ts' lowerMultiBoxTarget):
 * a traced call (symbolic batch, anchors and label rows) gives the eager kernel's
 * three outputs bit for bit and agrees with numpy's transcription of MXNet's loop
 * (cases/multibox.ts' TARGET_REF) on fixed samples — IoU ties between anchors, a
 * gt with no anchor above the threshold and one overlapping none, padding rows,
 * all-padding batch items, hard negatives with tied background probabilities,
 * negativeMiningRatio -1 — and random ones; sizes 0; a hybridized block calling
 * F.contrib.MultiBoxTarget exports a checker-clean file that python's onnxruntime
 * runs to the eager outputs; an SSD-style step with the targets inside the
 * hybridized block trains as one fused session run and matches the eager step.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { autograd, gluon, nd, sym } from 'gluonc';
import type { DType } from '../../../runtime/dtypes.js';
import { counters, reset } from '../../../runtime/profiler.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { seedNote } from '../../helpers/seed.js';
import { cases } from './cases/multibox.js';
import { rand } from './sample.js';
import { runPython } from '../../helpers/python-server.js';

interface Call {
  label: string;
  anchors: number[];
  /** [B, M, 5] rows. */
  labels: number[][][];
  /** [B, C, N]. */
  cls: number[];
  classes: number;
  opts?: Record<string, unknown>;
  dtype?: DType;
}

const flat = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number>, Number);
const N_OF = (c: Call) => c.anchors.length / 4;

function arrays(c: Call): [nd.NDArray, nd.NDArray, nd.NDArray] {
  const [b, m, n] = [c.labels.length, c.labels[0]?.length ?? 0, N_OF(c)];
  const dtype = c.dtype ?? 'float32';
  return [
    nd.array(c.anchors, { shape: [1, n, 4], dtype }),
    nd.array(c.labels.flat(2), { shape: [b, m, 5], dtype }),
    nd.array(c.cls, { shape: [b, c.classes, n], dtype }),
  ];
}

/** The traced call (batch, N and M symbolic) run by onnxruntime. */
function traced(c: Call): nd.NDArray[] {
  const [a, l, p] = arrays(c);
  const dtype = c.dtype ?? 'float32';
  const vars = [sym.var('a', { shape: [1, 'N', 4], dtype }), sym.var('l', { shape: ['B', 'M', 5], dtype }), sym.var('p', { shape: ['B', c.classes, 'N'], dtype })] as const;
  return (sym.contrib.MultiBoxTarget(...vars, ...(c.opts ? [c.opts] : [])) as unknown as sym.Symbol[]).map((s) => s.eval({ a, l, p }) as nd.NDArray);
}

/** The traced call's outputs and the eager kernel's. */
function both(c: Call): [nd.NDArray[], nd.NDArray[]] {
  return [traced(c), nd.contrib.MultiBoxTarget(...arrays(c), ...(c.opts ? [c.opts] : [])) as nd.NDArray[]];
}

const NAMES = ['locTarget', 'locMask', 'clsTarget'];

/** Bit for bit, naming the output and its first differing element. */
function assertSame(got: nd.NDArray[], want: nd.NDArray[], what: string): void {
  got.forEach((g, o) => {
    assert.deepEqual(g.shape, want[o]!.shape, `${what} ${NAMES[o]}: shape`);
    assert.equal(g.dtype, want[o]!.dtype, `${what} ${NAMES[o]}: dtype`);
    const [x, y] = [flat(g), flat(want[o]!)];
    const i = x.findIndex((v, k) => !Object.is(v, y[k]));
    assert.equal(i, -1, `${what} ${NAMES[o]}: element ${i} is ${x[i]}, the kernel gives ${y[i]} (${seedNote()})`);
  });
}

const PAD = [-1, -1, -1, -1, -1];
// Anchors: 0 and 1 identical (IoU ties between anchors), 2 overlapping both, 3 and 4 far off, 5 a unit-corner box.
const ANCH = [0, 0, 0.4, 0.4, 0, 0, 0.4, 0.4, 0.2, 0.2, 0.6, 0.6, 0.6, 0.6, 1, 1, 0.7, 0, 1, 0.3, 0, 0.7, 0.3, 1];
/** Background logits equal over anchors `tied` (tied background probabilities), distinct elsewhere. */
function logits(b: number, n: number, classes: number, tied: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < b; i++) for (let k = 0; k < classes; k++) for (let j = 0; j < n; j++) out.push(tied.includes(j) ? (k === 0 ? 0.25 : 0.5) : Math.sin(1 + i * 7 + k * 3 + j));
  return out;
}

const FIXED: Call[] = [
  { label: 'defaults (ratio -1): identical anchors 0 and 1 tie for a gt (IoU 0.25), anchor 0 takes it', anchors: ANCH, labels: [[[1, 0, 0, 0.2, 0.2], PAD]], cls: logits(1, 6, 3, []), classes: 3 },
  {
    label: 'a gt with no anchor above the threshold still takes its best anchor; a gt overlapping none is unmatched',
    anchors: ANCH,
    labels: [[[0, 0.5, 0.5, 0.9, 0.9], [2, 0.62, 0.05, 0.68, 0.1], [1, 0.05, 0.05, 0.3, 0.3]]],
    cls: logits(1, 6, 3, []),
    classes: 3,
    opts: { negativeMiningRatio: 3 },
  },
  {
    label: 'padding rows, a class -1 row before valid-looking rows (all after it padding), an all-padding image',
    anchors: ANCH,
    labels: [[[0, 0, 0, 0.3, 0.4], PAD, PAD, PAD], [PAD, PAD, PAD, PAD], [[1, 0.6, 0.6, 1, 1], [0, 0, 0.7, 0.3, 1], PAD, PAD]],
    cls: logits(3, 6, 2, []),
    classes: 2,
    opts: { ignoreLabel: -2 },
  },
  {
    label: 'an all-padding image with hard negative mining: every anchor ignoreLabel',
    anchors: ANCH,
    labels: [[PAD, PAD], [[0, 0.2, 0.2, 0.6, 0.6], PAD]],
    cls: logits(2, 6, 3, []),
    classes: 3,
    opts: { negativeMiningRatio: 2 },
  },
  {
    label: 'hard negatives with tied background probabilities: the lower anchors first',
    anchors: ANCH,
    labels: [[[0, 0.6, 0.6, 1, 1], PAD]],
    cls: logits(1, 6, 3, [1, 2, 4, 5]),
    classes: 3,
    opts: { negativeMiningRatio: 2, negativeMiningThresh: 0.5 },
  },
  {
    label: 'negativeMiningThresh 0.1 excludes anchor 2 (IoU 1/7) though its background probability is the lowest',
    anchors: ANCH,
    labels: [[[0, 0, 0, 0.4, 0.4], PAD]],
    cls: [-1, 0, -2, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    classes: 2,
    opts: { negativeMiningRatio: 1, negativeMiningThresh: 0.1 },
  },
  {
    label: 'negativeMiningRatio 10: capped by the anchors left',
    anchors: ANCH,
    labels: [[[0, 0, 0, 0.4, 0.4], PAD]],
    cls: logits(1, 6, 2, [3, 4]),
    classes: 2,
    opts: { negativeMiningRatio: 10 },
  },
  {
    label: 'overlapThreshold 0 (no threshold stage), variances',
    anchors: ANCH,
    labels: [[[0, 0.1, 0.1, 0.5, 0.5], [1, 0.55, 0.6, 1, 0.95]]],
    cls: logits(1, 6, 3, []),
    classes: 3,
    opts: { overlapThreshold: 0, variances: [0.2, 0.1, 0.3, 0.4], negativeMiningRatio: 1 },
  },
  {
    label: 'two gts on one pair of tied anchors: the greedy order takes the larger IoU first',
    anchors: ANCH,
    labels: [[[0, 0, 0, 0.4, 0.38], [1, 0, 0, 0.4, 0.4], [1, 0.2, 0.2, 0.6, 0.6]]],
    cls: logits(1, 6, 3, [3, 4, 5]),
    classes: 3,
    opts: { overlapThreshold: 0.3, negativeMiningRatio: 1 },
  },
];

/** Anchors and gts on a 0.1 grid (IoU ties), 0–M gts per image, logits on a 0.5 grid (tied probabilities). */
function random(b: number, n: number, m: number, classes: number, opts: Record<string, unknown>, label: string): Call {
  const g = (lo: number, hi: number) => Math.round((lo + rand() * (hi - lo)) * 10) / 10;
  const anchors: number[] = [];
  for (let j = 0; j < n; j++) {
    const [x, y] = [g(0, 0.8), g(0, 0.8)];
    anchors.push(x, y, x + g(0.1, 0.4), y + g(0.1, 0.4));
  }
  const labels = Array.from({ length: b }, () => {
    const k = Math.floor(rand() * (m + 1));
    return Array.from({ length: m }, (_v, r) => {
      if (r >= k) return PAD;
      const [x, y] = [g(0, 0.7), g(0, 0.7)];
      return [Math.floor(rand() * (classes - 1)), x, y, x + g(0.1, 0.3), y + g(0.1, 0.3)];
    });
  });
  const cls = Array.from({ length: b * classes * n }, () => Math.round(rand() * 4) / 2);
  return { label: `random ${label}`, anchors, labels, cls, classes, opts };
}

const RANDOM: Call[] = [
  random(3, 40, 4, 4, {}, 'defaults'),
  random(3, 40, 4, 4, { negativeMiningRatio: 3 }, 'ratio 3'),
  random(4, 30, 5, 3, { negativeMiningRatio: 2, negativeMiningThresh: 0.3, overlapThreshold: 0.4 }, 'ratio 2, thresholds 0.3 and 0.4'),
  random(2, 50, 3, 5, { overlapThreshold: 0, negativeMiningRatio: 1.5, ignoreLabel: -3 }, 'no threshold stage, ratio 1.5'),
];

describe("MultiBoxTarget lowered to ONNX: the kernel's targets, bit for bit", function () {
  this.timeout(300_000);
  const dir = scratchDir('gluonc-mbtarget-');

  class Targets extends gluon.HybridBlock {
    constructor(readonly opts: Record<string, unknown>) {
      super();
    }
    override hybridForward(F: gluon.F, anchors: gluon.Tensor, labels: gluon.Tensor, clsPred: gluon.Tensor): gluon.Tensor[] {
      return F.contrib.MultiBoxTarget(anchors, labels, clsPred, this.opts) as unknown as gluon.Tensor[];
    }
  }

  for (const c of [...FIXED, ...RANDOM]) {
    it(`${c.label}: traced equals the eager kernel`, () => {
      const [traced, eager] = both(c);
      assertSame(traced, eager, c.label);
    });
  }

  it('the fixed samples hold what MXNet gives', () => {
    const clsT = (c: Call) => both(c)[0][2]!.toArray() as number[][];
    // Anchor 0 (not its twin 1) takes the gt; everything else a negative (ratio -1).
    assert.deepEqual(clsT(FIXED[0]!), [[2, 0, 0, 0, 0, 0]]);
    // gt 0's best anchor 3 (IoU 0.09 / 0.23 < 0.5) first, then gt 2's anchor 0 (0.0625 / 0.16; twin 1 ties), gt 1 overlaps no
    // anchor; 2 × 3 > 4 others: all negative.
    assert.deepEqual(clsT(FIXED[1]!), [[2, 0, 0, 1, 0, 0]]);
    // The second image has no gt: ignoreLabel everywhere, even without mining.
    assert.deepEqual(clsT(FIXED[2]!)[1], [-2, -2, -2, -2, -2, -2]);
    assert.deepEqual(clsT(FIXED[3]!)[0], [-1, -1, -1, -1, -1, -1]);
    // One positive (anchor 3), two negatives among the tied anchors 1, 2, 4, 5 with the lowest background probability: 1 and 2.
    assert.deepEqual(clsT(FIXED[4]!), [[-1, 0, 0, 1, -1, -1]]);
    // Anchors 0 and 1 positive (IoU 1); two negatives among 3, 4, 5 (background logits 1 over 0 tie): 3 and 4; anchor 2's IoU is not < 0.1.
    assert.deepEqual(clsT(FIXED[5]!), [[1, 1, -1, 0, 0, -1]]);
    assert.deepEqual(clsT(FIXED[6]!), [[1, 1, 0, 0, 0, 0]]);
  });

  it("numpy's transcription of MXNet's loop agrees", () => {
    const calls = [...FIXED, ...RANDOM];
    const ref = cases.find((k) => k.op === 'MultiBoxTarget')!.ref!;
    const jobs = calls.map((c) => {
      const [a, l, p] = arrays(c);
      return { code: ref, inputs: [a, l, p].map((x) => ({ shape: x.shape, dtype: 'float64', data: flat(x) })), attrs: c.opts ?? {} };
    });
    numpyRefs(jobs).forEach((r, k) => {
      const c = calls[k]!;
      assert.ok(!r.error, `${c.label}: numpy failed: ${r.error}`);
      const [traced] = both(c);
      traced.forEach((t, o) => {
        assert.deepEqual(t.shape, r.outs[o]!.shape, `${c.label} ${NAMES[o]}: shape vs numpy`);
        // float32 results are numpy's float64 rounded once (log: libm's against onnxruntime's).
        assertClose(flat(t), r.outs[o]!.data, `${c.label} ${NAMES[o]} vs numpy (${seedNote()})`, 1e-6, 1e-7);
      });
    });
  });

  it('what the kernel refuses by value is an Error eagerly; compiled, a padding row is one of class -1 and the negatives are at most the candidates', () => {
    const c: Call = { label: '', anchors: ANCH, labels: [[[0, 0, 0, 0.4, 0.4], PAD]], cls: logits(1, 6, 2, []), classes: 2, opts: { negativeMiningRatio: 10, negativeMiningThresh: 0.1 } };
    assert.throws(() => nd.contrib.MultiBoxTarget(...arrays(c), c.opts), /MultiBoxTarget: image 0: 4 negatives wanted but only 3 anchors have IoU < negativeMiningThresh 0.1/);
    // Positives 0 and 1; 4 wanted, the 3 candidates (anchor 2's IoU 1/7 is not < 0.1) all negative.
    assert.deepEqual(traced(c)[2]!.toArray(), [[1, 1, -1, 0, 0, 0]]);
    const bad: Call = { ...c, labels: [[[0, 0, 0, 0.4, 0.4], [-1, 0.2, -1, -1, -1]]], opts: {} };
    assert.throws(() => nd.contrib.MultiBoxTarget(...arrays(bad)), /MultiBoxTarget: label row 1 of image 0 has class -1 \(padding\) but coordinate 0 is 0.2/);
    assert.deepEqual(traced(bad)[2]!.toArray(), [[1, 1, 0, 0, 0, 0]]);
  });

  it("NaN and infinite coordinates, zero-area boxes, NaN and infinite logits: the kernel's targets", () => {
    const [N, I] = [NaN, Infinity];
    // Anchor 1 NaN, anchor 3 zero area, anchor 4 infinite; gt 1 NaN, gt 2 a point on anchor 3 (a zero union: IoU 0).
    const anchors = [0, 0, 0.4, 0.4, N, 0, 0.4, 0.4, 0.2, 0.2, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0, 0, I, 1, 0.6, 0.6, 1, 1];
    const labels = [[[0, 0, 0, 0.3, 0.3], [1, N, 0.1, 0.5, 0.5], [2, 0.5, 0.5, 0.5, 0.5], [N, 0.6, 0.6, 0.9, 1]]];
    const cls = [0.5, N, 0.5, 0.5, I, 0.1, 0, 0, 0, 0.2, 0, 0.3];
    for (const opts of [{}, { negativeMiningRatio: 3 }, { overlapThreshold: 0, negativeMiningRatio: 1 }]) {
      assertSame(...both({ label: '', anchors, labels, cls, classes: 2, opts }), `non-finite ${JSON.stringify(opts)}`);
    }
  });

  it('one traced graph at several sizes; batch 0, no label rows, no anchors', () => {
    const c = random(2, 12, 3, 3, { negativeMiningRatio: 3 }, '');
    const vars = [sym.var('a', { shape: [1, 'N', 4] }), sym.var('l', { shape: ['B', 'M', 5] }), sym.var('p', { shape: ['B', 3, 'N'] })] as const;
    const ys = sym.contrib.MultiBoxTarget(...vars, { negativeMiningRatio: 3 }) as unknown as sym.Symbol[];
    const [a, l, p] = arrays(c);
    const cases0: [string, nd.NDArray, nd.NDArray, nd.NDArray][] = [
      ['full', a, l, p],
      ['batch 0', a, nd.zeros([0, 3, 5]), nd.zeros([0, 3, 12])],
      ['no label rows', a, nd.zeros([2, 0, 5]), p],
      ['no anchors', nd.zeros([1, 0, 4]), l, nd.zeros([2, 3, 0])],
    ];
    for (const [what, x, y, z] of cases0) {
      const traced = ys.map((s) => s.eval({ a: x, l: y, p: z }) as nd.NDArray);
      assertSame(traced, nd.contrib.MultiBoxTarget(x, y, z, { negativeMiningRatio: 3 }) as nd.NDArray[], what);
    }
  });

  it("an unknown class count (ReduceMax/ReduceSum in place of the unrolled softmax), written at opsets 13 and 21: the kernel's targets", () => {
    const c = random(3, 40, 4, 4, { negativeMiningRatio: 3 }, 'symbolic C');
    const [a, l, p] = arrays(c);
    const eager = nd.contrib.MultiBoxTarget(a, l, p, c.opts) as nd.NDArray[];
    const vars = [sym.var('a', { shape: [1, 'N', 4] }), sym.var('l', { shape: ['B', 'M', 5] }), sym.var('p', { shape: ['B', 'C', 'N'] })] as const;
    assertSame((sym.contrib.MultiBoxTarget(...vars, c.opts) as unknown as sym.Symbol[]).map((s) => s.eval({ a, l, p }) as nd.NDArray), eager, 'symbolic C');
    for (const opset of [13, 21]) {
      const net = new Targets(c.opts!);
      net.hybridize();
      net.call(a, l, p);
      const file = path.join(dir(), `targets-${opset}.onnx`);
      net.export(file, { opset, inputs: { anchors: { shape: [1, 'N', 4] }, labels: { shape: ['B', 'M', 5] }, clsPred: { shape: ['B', 'C', 'N'] } } });
      assert.deepEqual(checkOnnxFiles([file]), [null], `opset ${opset}`);
    }
  });

  it("float64: masks and classes exact, offsets the kernel's but for the last bit of log (onnxruntime's against V8's)", () => {
    const c = { ...random(3, 30, 4, 3, { negativeMiningRatio: 3 }, 'float64'), dtype: 'float64' as DType };
    const [traced, eager] = both(c);
    assertSame(traced.slice(1), eager.slice(1), 'float64');
    const [t, e] = [flat(traced[0]!), flat(eager[0]!)];
    t.forEach((v, k) => assert.ok(Math.abs(v - e[k]!) <= 4 * Number.EPSILON * Math.max(1, Math.abs(e[k]!)), `locTarget ${k}: ${v} vs ${e[k]}`));
  });

  it("a hybridized block calling F.contrib.MultiBoxTarget exports a checker-clean file; python's onnxruntime gives the eager targets", () => {
    const c = random(3, 40, 4, 4, { negativeMiningRatio: 3, overlapThreshold: 0.4 }, 'export');
    const ins = arrays(c);
    const eager = new Targets(c.opts!).call(...ins) as unknown as nd.NDArray[];
    const net = new Targets(c.opts!);
    net.hybridize();
    reset();
    assertSame(net.call(...ins) as unknown as nd.NDArray[], eager, 'hybridized');
    assert.deepEqual([counters().compiles, counters().kernelOps], [1, 0], 'one compiled graph, no kernel run');
    const onnx = path.join(dir(), 'targets.onnx');
    net.export(onnx, { inputs: { anchors: { shape: [1, 40, 4] }, labels: { shape: ['B', 'M', 5] }, clsPred: { shape: ['B', 4, 40] } } });
    assert.deepEqual(checkOnnxFiles([onnx]), [null]);
    const io = path.join(dir(), 'io.json');
    writeFileSync(io, JSON.stringify(ins.map((x) => ({ data: flat(x), shape: x.shape }))));
    const script = String.raw`
import json, sys
import numpy as np, onnxruntime as ort
io = json.load(open(sys.argv[2]))
s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])
feeds = {i.name: np.array(x['data'], np.float32).reshape(x['shape']) for i, x in zip(s.get_inputs(), io)}
print(json.dumps([o.astype(np.float64).reshape(-1).tolist() for o in s.run(None, feeds)]))
`;
    const r = runPython(script, { args: [onnx, io] });
    assert.equal(r.status, 0, r.stderr);
    const outs = JSON.parse(r.stdout) as number[][];
    assert.equal(outs.length, 3);
    outs.forEach((o, k) => {
      const want = flat(eager[k]!);
      const i = o.findIndex((v, j) => !Object.is(v, want[j]));
      assert.equal(i, -1, `onnxruntime (python) ${NAMES[k]} element ${i}: ${o[i]}, eager ${want[i]}`);
    });
    const clsT = flat(eager[2]!);
    assert.ok([-1, 0].every((v) => clsT.includes(v)) && clsT.some((v) => v > 0), 'positives, negatives and ignored anchors');
  });

  it("an MXNet training symbol (MultiBoxPrior + _contrib_MultiBoxTarget, symbol_builder.py's targets) hybridizes: the eager targets, one graph", () => {
    const node = (op: string, name: string, inputs: number[], attrs?: Record<string, string>) => ({ op, name, inputs: inputs.map((i) => [i, 0, 0]), ...(attrs ? { attrs } : {}) });
    const json = {
      nodes: [
        node('null', 'data', []),
        node('_contrib_MultiBoxPrior', 'anchors', [0], { sizes: '(0.3, 0.5)', ratios: '(1, 2, 0.5)', clip: 'False', steps: '(-1, -1)', offsets: '(0.5, 0.5)' }),
        node('null', 'label', []),
        node('null', 'cls_preds', []),
        node('_contrib_MultiBoxTarget', 'multibox_target', [1, 2, 3], { overlap_threshold: '0.5', ignore_label: '-1', negative_mining_ratio: '3', minimum_negative_samples: '0', negative_mining_thresh: '0.5', variances: '(0.1, 0.1, 0.2, 0.2)' }),
      ],
      arg_nodes: [0, 2, 3],
      node_row_ptr: [0, 1, 2, 3, 4, 7],
      heads: [[4, 0, 0], [4, 1, 0], [4, 2, 0]],
      attrs: { mxnet_version: ['int', 10901] },
    };
    const file = path.join(dir(), 'ssd-train-symbol.json');
    writeFileSync(file, JSON.stringify(json));
    // 4 × 5 pixels, 4 anchors each: N 80; 3 classes with the background.
    const n = 80;
    const data = nd.zeros([2, 8, 4, 5]);
    const label = nd.array([0, 0.1, 0.1, 0.45, 0.5, 1, 0.5, 0.4, 0.9, 0.95, ...PAD, 2, 0.3, 0.2, 0.7, 0.6, ...PAD, ...PAD], { shape: [2, 3, 5] });
    const clsPreds = nd.array(Array.from({ length: 2 * 3 * n }, () => Math.round(rand() * 8) / 4), { shape: [2, 3, n] });
    const eager = gluon.SymbolBlock.imports(file, ['data', 'label', 'cls_preds']).call(data, label, clsPreds) as unknown as nd.NDArray[];
    const net = gluon.SymbolBlock.imports(file, ['data', 'label', 'cls_preds']);
    net.hybridize();
    reset();
    assertSame(net.call(data, label, clsPreds) as unknown as nd.NDArray[], eager, 'hybridized training symbol');
    assert.deepEqual([counters().compiles, counters().kernelOps], [1, 0], 'one compiled graph, no kernel run');
    const clsT = flat(eager[2]!);
    assert.ok(clsT.filter((v) => v > 0).length >= 3 && clsT.filter((v) => v === 0).length >= 9, 'positives and their 3x negatives');
  });

  it('an SSD-style step with the targets inside the hybridized block: one fused session run, the eager loss and gradients', () => {
    const [B, C, N, F] = [2, 3, 24, 5];
    class Ssd extends gluon.HybridBlock {
      cls = new gluon.nn.Dense(C * N, { inUnits: F });
      loc = new gluon.nn.Dense(4 * N, { inUnits: F });
      constructor() {
        super();
        this.registerChild(this.cls, 'cls');
        this.registerChild(this.loc, 'loc');
      }
      override hybridForward(Fn: gluon.F, x: gluon.Tensor, anchors: gluon.Tensor, labels: gluon.Tensor): gluon.Tensor {
        const clsPred = Fn.reshape(this.cls.call(x) as gluon.Tensor, [0, C, N]);
        const locPred = this.loc.call(x) as gluon.Tensor;
        const [locT, locM, clsT] = Fn.contrib.MultiBoxTarget(anchors, labels, clsPred, { negativeMiningRatio: 3 }) as unknown as gluon.Tensor[];
        // Softmax cross-entropy on the non-ignored anchors, L1 on the matched offsets (MXNet's SSD losses).
        const logp = Fn.logSoftmax(Fn.transpose(clsPred, [0, 2, 1]), { axis: -1 });
        const keep = Fn.greaterEqual(clsT!, 0);
        const ce = Fn.neg(Fn.sum(Fn.pick(logp, Fn.relu(clsT!), { axis: -1 }).mul(keep)));
        return Fn.add(ce, Fn.sum(Fn.abs(Fn.sub(locPred, locT!).mul(locM!))));
      }
    }
    const c = { ...random(B, N, 3, C, {}, 'ssd'), labels: [[[0, 0.1, 0.1, 0.4, 0.4], [1, 0.5, 0.5, 0.9, 0.8], PAD], [[1, 0.2, 0.3, 0.6, 0.7], PAD, PAD]] };
    const [anchors, labels] = arrays(c);
    const x = nd.array(Array.from({ length: B * F }, (_v, i) => Math.sin(i + 1)), { shape: [B, F] });
    const results: { losses: number[]; weights: number[] }[] = [];
    for (const hybrid of [false, true]) {
      const net = new Ssd();
      net.initialize();
      net.cls.weight.setData(nd.array(Array.from({ length: C * N * F }, (_v, i) => Math.cos(i) * 0.3), { shape: [C * N, F] }));
      net.loc.weight.setData(nd.array(Array.from({ length: 4 * N * F }, (_v, i) => Math.sin(2 * i) * 0.3), { shape: [4 * N, F] }));
      if (hybrid) net.hybridize();
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05 });
      const losses: number[] = [];
      for (let step = 0; step < 3; step++) {
        if (hybrid && step === 2) reset();
        const loss = autograd.record(() => net.call(x, anchors, labels) as nd.NDArray);
        loss.backward();
        trainer.step(1);
        losses.push(flat(loss)[0]!);
        if (hybrid && step === 2) assert.deepEqual([counters().sessionRuns, counters().kernelOps], [1, 0], 'one session run per step, no kernel');
      }
      results.push({ losses, weights: [...flat(net.cls.weight.data()), ...flat(net.loc.weight.data())] });
    }
    const [eager, hybrid] = results as [{ losses: number[]; weights: number[] }, { losses: number[]; weights: number[] }];
    assert.ok(eager.losses[2]! < eager.losses[0]!, `the loss falls: ${eager.losses.join(', ')}`);
    assertClose(hybrid.losses, eager.losses, 'losses, hybridized vs eager', 1e-5, 1e-5);
    assertClose(hybrid.weights, eager.weights, 'weights after 3 steps, hybridized vs eager', 1e-5, 1e-6);
  });
});
