/**
 * The ONNX lowerings of boxIou, boxNms (and its gradient boxNmsGrad) and
 * MultiBoxDetection (compiler/ops/box-lower.ts): a traced call gives the eager
 * kernel's result bit for bit (same rows, same order) and numpy's
 * transcription of MXNet's loop (cases/multibox.ts), on random inputs with
 * tied scores and fixed samples at the thresholds, all rows suppressed or
 * filtered, batch dimensions and symbolic N; box_nms trains inside a
 * hybridized block; an MXNet SSD symbol (MultiBoxPrior + MultiBoxDetection)
 * imported, hybridized and exported runs in python's onnxruntime as eagerly,
 * and the file passes onnx.checker.
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


/** Detection rows [id, score, x1, y1, x2, y2]: ids in {0, 1, 2}, scores on a 0.1 grid (many ties), boxes overlapping often. */
function dets(rows: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    const [x, y] = [rand() * 2, rand() * 2];
    out.push(Math.floor(rand() * 3), Math.round(rand() * 10) / 10, x, y, x + 0.2 + rand(), y + 0.2 + rand());
  }
  return out;
}

const OP = { boxIou: sym.contrib.boxIou, boxNms: sym.contrib.boxNms, MultiBoxDetection: sym.contrib.MultiBoxDetection } as Record<string, (...a: unknown[]) => sym.Symbol>;
const EAGER = { boxIou: nd.contrib.boxIou, boxNms: nd.contrib.boxNms, MultiBoxDetection: nd.contrib.MultiBoxDetection } as Record<string, (...a: unknown[]) => nd.NDArray>;

interface Call {
  op: 'boxIou' | 'boxNms' | 'MultiBoxDetection';
  inputs: { shape: number[]; values: number[]; dtype?: DType; symbolic?: (number | string)[] }[];
  opts?: Record<string, unknown>;
  label: string;
}

/** The traced call (symbolic dimensions where given) run by onnxruntime, and the eager kernel's. */
function both(c: Call): [nd.NDArray, nd.NDArray] {
  const arrays = c.inputs.map((i) => nd.array(i.values, { shape: i.shape, dtype: i.dtype ?? 'float32' }));
  const vars = c.inputs.map((i, k) => sym.var(`in${k}`, { shape: i.symbolic ?? i.shape, dtype: i.dtype ?? 'float32' }));
  const args = c.opts ? [c.opts] : [];
  const traced = OP[c.op]!(...vars, ...args).eval(Object.fromEntries(arrays.map((a, k) => [`in${k}`, a]))) as nd.NDArray;
  return [traced, EAGER[c.op]!(...arrays, ...args)];
}

const flat = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number>, Number);

/** Bit for bit (NaN equal, -0 apart from 0), naming the first differing element. */
function assertSame(got: nd.NDArray, want: nd.NDArray, what: string): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  assert.equal(got.dtype, want.dtype, `${what}: dtype`);
  const [g, w] = [flat(got), flat(want)];
  const i = g.findIndex((v, k) => !Object.is(v, w[k]));
  assert.equal(i, -1, `${what}: element ${i} (row ${Math.floor(i / want.shape[want.shape.length - 1]!)}) is ${g[i]}, the kernel gives ${w[i]} (${seedNote()})`);
}

/** Numpy's transcription of MXNet's loop (the operator table's reference) for each call. */
function checkNumpy(calls: Call[]): void {
  const jobs = calls.map((c) => ({
    code: cases.find((k) => k.op === c.op)!.ref!,
    inputs: c.inputs.map((i) => ({ shape: i.shape, dtype: 'float64', data: i.dtype === 'float64' ? i.values : i.values.map(Math.fround) })),
    attrs: c.opts ?? {},
  }));
  numpyRefs(jobs).forEach((r, k) => {
    const c = calls[k]!;
    assert.ok(!r.error, `${c.label}: numpy failed: ${r.error}`);
    const [traced] = both(c);
    assert.deepEqual(traced.shape, r.outs[0]!.shape, `${c.label}: shape vs numpy`);
    // float32 results are numpy's float64 rounded once (MultiBoxDetection's exp: libm's against onnxruntime's).
    assertClose(flat(traced), r.outs[0]!.data, `${c.label} vs numpy (${seedNote()})`, 1e-6, 1e-7);
  });
}

const N_CALLS: Call[] = [];
for (const [label, opts] of [
  ['defaults', {}],
  ['per class', { idIndex: 0 }],
  ['forceSuppress', { idIndex: 0, forceSuppress: true, overlapThresh: 0.3 }],
  ['topk and validThresh at a score', { idIndex: 0, topk: 7, validThresh: 0.5 }],
  ['backgroundId', { idIndex: 0, backgroundId: 1, overlapThresh: 0.2 }],
  ['corner in, center out', { idIndex: 0, outFormat: 'center' }],
  ['center in, corner out', { inFormat: 'center', outFormat: 'corner', overlapThresh: 0.1 }],
  ['overlapThresh 0: any overlap suppresses', { overlapThresh: 0 }],
] as [string, Record<string, unknown>][]) {
  N_CALLS.push({ op: 'boxNms', inputs: [{ shape: [2, 3, 24, 6], values: dets(144), symbolic: ['A', 3, 'N', 6] }], opts, label: `boxNms ${label}, batch [2, 3], symbolic N` });
}
N_CALLS.push(
  { op: 'boxNms', inputs: [{ shape: [30, 6], values: dets(30), dtype: 'float64' }], opts: { idIndex: 0, validThresh: 0.3 }, label: 'boxNms float64, validThresh 0.3 at float64 scores 0.3 (not > 0.3)' },
  { op: 'boxNms', inputs: [{ shape: [30, 6], values: dets(30) }], opts: { idIndex: 0, validThresh: 0.3 }, label: 'boxNms float32, validThresh 0.3: float32 0.3 is above it (as the kernel compares)' },
  { op: 'boxNms', inputs: [{ shape: [16, 7], values: dets(16).flatMap((v, i) => (i % 6 === 5 ? [v, rand()] : [v])) }], opts: { coordStart: 1, scoreIndex: 6, idIndex: 0, overlapThresh: 0.4 }, label: 'boxNms other columns' },
);

// Fixed samples: equal scores in input order; IoU exactly at overlapThresh (kept) and just above it; every row filtered (-1 rows).
const TIES = [0, 0.5, 0, 0, 1, 1, 0, 0.5, 0, 0, 1, 1, 0, 0.5, 3, 3, 4, 4, 0, 0.5, 0, 0, 1, 1];
const AT = [0, 0.9, 0, 0, 1, 2, 0, 0.8, 0, 1, 1, 3, 0, 0.8, 0, 1, 1, 3, 0, 0.7, 0, 0, 1, 2];
const FIXED: Call[] = [
  { op: 'boxNms', inputs: [{ shape: [4, 6], values: TIES }], label: 'boxNms equal scores: rows 0 and 2 kept in input order' },
  { op: 'boxNms', inputs: [{ shape: [4, 6], values: AT }], opts: { overlapThresh: 1 / 3 }, label: 'boxNms IoU exactly 1/3 at overlapThresh 1/3: kept' },
  { op: 'boxNms', inputs: [{ shape: [4, 6], values: AT }], opts: { overlapThresh: 1 / 3 - 1e-9 }, label: 'boxNms IoU 1/3 just above overlapThresh: suppressed' },
  { op: 'boxNms', inputs: [{ shape: [2, 4, 6], values: new Array<number>(48).fill(-1) }], label: 'boxNms rows all -1 (a box_nms output again): all -1' },
  { op: 'boxNms', inputs: [{ shape: [4, 6], values: TIES }], opts: { topk: 0 }, label: 'boxNms topk 0: data unchanged' },
  { op: 'boxIou', inputs: [{ shape: [3, 4], values: [0, 0, 1, 1, 2, 2, 3, 3, 0.5, 0.5, 0.5, 0.5] }, { shape: [4, 4], values: [0, 0, 1, 1, 1, 0, 2, 1, 5, 5, 6, 6, 0.25, 0.25, 0.75, 0.75] }], label: 'boxIou identical, touching, disjoint, zero area' },
  { op: 'boxIou', inputs: [{ shape: [2, 5, 4], values: Array.from({ length: 40 }, () => rand() * 2), symbolic: ['A', 'N', 4] }, { shape: [3, 4], values: Array.from({ length: 12 }, () => rand() * 2) }], label: 'boxIou random, symbolic dims' },
  { op: 'boxIou', inputs: [{ shape: [6, 4], values: Array.from({ length: 24 }, () => rand() * 2), dtype: 'float64' }, { shape: [1, 2, 4], values: Array.from({ length: 8 }, () => rand() * 2), dtype: 'float64' }], opts: { format: 'center' }, label: 'boxIou center, float64' },
];

/** MultiBoxDetection's inputs: probabilities on a 0.05 grid (ties), random offsets, random anchors. */
function detection(b: number, c: number, n: number, opts: Record<string, unknown>, label: string, symbolic = false): Call {
  const anchors: number[] = [];
  for (let i = 0; i < n; i++) {
    const [x, y] = [rand() * 0.8, rand() * 0.8];
    anchors.push(x, y, x + 0.1 + rand() * 0.3, y + 0.1 + rand() * 0.3);
  }
  return {
    op: 'MultiBoxDetection',
    inputs: [
      { shape: [b, c, n], values: Array.from({ length: b * c * n }, () => Math.round(rand() * 20) / 20), symbolic: symbolic ? ['B', c, n] : undefined },
      { shape: [b, 4 * n], values: Array.from({ length: b * 4 * n }, () => rand() * 2 - 1), symbolic: symbolic ? ['B', 4 * n] : undefined },
      { shape: [1, n, 4], values: anchors },
    ],
    opts,
    label: `MultiBoxDetection ${label}`,
  };
}
const D_CALLS: Call[] = [
  detection(2, 4, 40, {}, 'defaults, symbolic batch', true),
  detection(2, 4, 40, { threshold: 0.5, nmsThreshold: 0.3, forceSuppress: true }, 'threshold at a probability, forceSuppress'),
  detection(3, 3, 30, { nmsTopk: 6, clip: false }, 'nmsTopk 6 (rows after it: id -1), no clip'),
  detection(2, 5, 20, { backgroundId: 2, variances: [0.2, 0.2, 0.1, 0.1], nmsThreshold: 1 }, 'backgroundId 2, variances, nmsThreshold 1'),
  detection(2, 3, 20, { nmsThreshold: 0 }, 'nmsThreshold 0: valid rows unsorted, no NMS'),
  detection(1, 3, 20, { threshold: 2 }, 'threshold above every probability: all -1'),
  detection(2, 1, 10, {}, 'the background class only: all -1'),
];

describe('detection operators lowered to ONNX: the kernels\' rows, bit for bit', function () {
  this.timeout(300_000);
  const dir = scratchDir('gluonc-boxlower-');

  for (const c of [...N_CALLS, ...FIXED, ...D_CALLS]) {
    it(`${c.label}: traced equals the eager kernel`, () => {
      const [traced, eager] = both(c);
      assertSame(traced, eager, c.label);
    });
  }

  it('the fixed samples hold what MXNet gives', () => {
    const rows = (c: Call) => (both(c)[0].toArray() as number[][]).map((r) => r.slice(0, 3));
    assert.deepEqual(rows(FIXED[0]!), [[0, 0.5, 0], [0, 0.5, 3], [-1, -1, -1], [-1, -1, -1]]);
    assert.deepEqual((both(FIXED[1]!)[0].toArray() as number[][]).map((r) => Math.fround(r[1]!)), [0.9, 0.8, 0.8, 0.7].map(Math.fround).map((v, i) => (i === 2 || i === 3 ? -1 : v)));
    // Row 1 (0.8) overlaps row 0 by 1/3: kept at the threshold; row 2 duplicates row 1 (IoU 1); row 3 is row 0's box.
    assert.deepEqual((both(FIXED[2]!)[0].toArray() as number[][]).map((r) => r[1] === -1 ? -1 : Math.fround(r[1]!)), [Math.fround(0.9), -1, -1, -1]);
  });

  it('numpy\'s transcriptions of MXNet\'s loops agree', () => {
    checkNumpy([...N_CALLS, ...FIXED, ...D_CALLS]);
  });

  it('symbolic N: one traced graph runs at several sizes, N 0 included', () => {
    const v = sym.var('d', { shape: ['N', 6] });
    const y = sym.contrib.boxNms(v, { idIndex: 0, topk: 5 });
    for (const n of [0, 1, 9, 40]) {
      const d = nd.array(dets(n), { shape: [n, 6] });
      assertSame(y.eval({ d }) as nd.NDArray, nd.contrib.boxNms(d, { idIndex: 0, topk: 5 }), `N ${n}`);
    }
  });

  it('sizes 0: no batches, no rows, no boxes', () => {
    const d = nd.zeros([0, 4, 6]);
    assertSame(sym.contrib.boxNms(sym.var('d', { shape: ['B', 'N', 6] }), { idIndex: 0 }).eval({ d }) as nd.NDArray, nd.contrib.boxNms(d, { idIndex: 0 }), 'boxNms batch 0');
    const [l, r] = [nd.zeros([2, 0, 4]), nd.ones([3, 4])];
    assertSame(sym.contrib.boxIou(sym.var('l', { shape: [2, 'N', 4] }), sym.var('r', { shape: ['M', 4] })).eval({ l, r }) as nd.NDArray, nd.contrib.boxIou(l, r), 'boxIou [2, 0] × [3]');
    const c = detection(1, 3, 5, {}, 'batch 0');
    const [p, q, a] = [nd.zeros([0, 3, 5]), nd.zeros([0, 20]), nd.array(c.inputs[2]!.values, { shape: [1, 5, 4] })];
    const vars = [sym.var('p', { shape: ['B', 3, 5] }), sym.var('q', { shape: ['B', 20] }), sym.var('a', { shape: [1, 5, 4] })] as const;
    assertSame(sym.contrib.MultiBoxDetection(...vars).eval({ p, q, a }) as nd.NDArray, nd.contrib.MultiBoxDetection(p, q, a), 'MultiBoxDetection batch 0');
  });

  it('NaN and infinite scores, ids and coordinates: the kernel\'s rows', () => {
    const [N, I] = [NaN, Infinity];
    // +inf scores tie (input order), a NaN score is not valid, NaN ids are another class, NaN/inf coordinates.
    const rows = [0, 0.9, 0, 0, 1, 1, 0, I, 0, 0, 1, 1, 0, I, 0.1, 0, 1, 1, 0, N, 0, 0, 1, 1, 0, 0.8, N, 0, 1, 1, 0, 0.7, 0, 0, 1, 1, N, 0.95, 0, 0, 1, 1, N, 0.6, 0, 0, 1, 1, 1, 0.5, 0, -I, 1, I];
    for (const opts of [{}, { idIndex: 0 }, { idIndex: 0, forceSuppress: true }, { inFormat: 'center' as const }]) {
      assertSame(...both({ op: 'boxNms', inputs: [{ shape: [9, 6], values: rows }], opts, label: '' }), `boxNms ${JSON.stringify(opts)}`);
    }
    const boxes = [0, 0, 1, 1, N, 0, 1, 1, 0, 0, I, 1, -I, 0, 1, 1];
    for (const format of ['corner', 'center']) {
      assertSame(...both({ op: 'boxIou', inputs: [{ shape: [4, 4], values: boxes }, { shape: [4, 4], values: boxes }], opts: { format }, label: '' }), `boxIou ${format}`);
    }
    // A NaN probability never wins; NaN, huge and -huge offsets; a zero-area anchor.
    const det: Call['inputs'] = [
      { shape: [1, 4, 4], values: [0.1, N, 0.5, I, 0.3, 0.2, N, 0.9, 0.6, 0.5, 0.4, 0.5, 0.6, N, 0.2, 0.3] },
      { shape: [1, 16], values: [0, 0, 0, 0, N, 0, 0, 0, 0, 0, 50, 0, 0, 0, 0, -800] },
      { shape: [1, 4, 4], values: [0, 0, 0.5, 0.5, 0.1, 0.1, 0.6, 0.6, 0.5, 0.5, 1, 1, 0, 0, 0, 0] },
    ];
    for (const opts of [{}, { clip: false }, { forceSuppress: true }]) assertSame(...both({ op: 'MultiBoxDetection', inputs: det, opts, label: '' }), `MultiBoxDetection ${JSON.stringify(opts)}`);
  });

  it('float64 MultiBoxDetection: the kernel\'s rows but for the last bit of exp (onnxruntime\'s against V8\'s)', () => {
    const c = detection(2, 4, 30, { nmsTopk: 10 }, 'float64');
    c.inputs.forEach((i) => (i.dtype = 'float64'));
    const [traced, eager] = both(c);
    const [t, e] = [flat(traced), flat(eager)];
    // Ids and scores exactly (the same rows in the same order); coordinates within 4 ulps.
    t.forEach((v, k) => assert.ok(k % 6 < 2 ? Object.is(v, e[k]) : Math.abs(v - e[k]!) <= 4 * Number.EPSILON * Math.max(1, Math.abs(e[k]!)), `element ${k}: ${v} vs ${e[k]} (${seedNote()})`));
  });

  it('float16 data: the kernel\'s rows', () => {
    const c: Call = { op: 'boxNms', inputs: [{ shape: [20, 6], values: dets(20), dtype: 'float16' }], opts: { idIndex: 0 }, label: 'float16' };
    const [traced, eager] = both(c);
    assertSame(traced, eager, 'boxNms float16');
  });

  it('boxNmsGrad traced equals its kernel (each output row\'s gradient on its input row)', () => {
    for (const opts of [{}, { idIndex: 0, topk: 4, validThresh: 0.3 }, { idIndex: 0, outFormat: 'center' as const }, { topk: 0 }]) {
      const x = nd.array(dets(36), { shape: [2, 18, 6] });
      const g = nd.array(Array.from({ length: 216 }, () => rand() - 0.5), { shape: [2, 18, 6] });
      const traced = sym.boxNmsGrad(sym.var('x', { shape: ['B', 'N', 6] }), sym.var('g', { shape: ['B', 'N', 6] }), opts).eval({ x, g }) as nd.NDArray;
      assertSame(traced, nd.boxNmsGrad(x, g, opts), `boxNmsGrad ${JSON.stringify(opts)}`);
    }
  });

  it('a hybridized block holding box_nms trains: its gradient is the eager one', () => {
    class Head extends gluon.HybridBlock {
      dense = new gluon.nn.Dense(6, { inUnits: 3 });
      constructor() {
        super();
        this.registerChild(this.dense, 'dense');
      }
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        return F.contrib.boxNms(this.dense.call(x) as gluon.Tensor, { overlapThresh: 0.1, validThresh: -10 });
      }
    }
    const x = nd.array(Array.from({ length: 8 * 3 }, (_v, i) => Math.sin(i + 1)), { shape: [8, 3] });
    const grads: number[][] = [];
    const outs: number[][] = [];
    for (const hybrid of [false, true]) {
      const net = new Head();
      net.initialize();
      // Unit boxes at (w2·x, w3·x): rows [id 0, score, x1, y1, x1 + 1, y1 + 1], overlapping often.
      const [w1, w2, w3] = [[0.3, -0.2, 0.5], [1, 0.5, -0.3], [-0.4, 0.8, 0.2]];
      net.dense.weight.setData(nd.array([0, 0, 0, ...w1, ...w2, ...w3, ...w2, ...w3], { shape: [6, 3] }));
      net.dense.bias!.setData(nd.array([0, 0, 0, 0, 1, 1], { shape: [6] }));
      if (hybrid) net.hybridize();
      for (let step = 0; step < 2; step++) {
        const y = autograd.record(() => {
          const o = net.call(x) as nd.NDArray;
          outs.push(flat(o));
          return nd.sum(nd.square(o));
        });
        y.backward();
      }
      grads.push(flat(net.dense.weight.grad()));
    }
    assert.ok(outs[0]!.some((v) => v === -1) && outs[0]!.some((v) => v !== -1), 'some rows suppressed, some kept');
    assert.ok(grads[0]!.some((v) => Math.abs(v) > 1e-3), 'a nonzero gradient');
    grads[1]!.forEach((v, i) => assert.ok(Math.abs(v - grads[0]![i]!) <= 1e-5 * (1 + Math.abs(v)), `weight gradient ${i}: hybridized ${v}, eager ${grads[0]![i]}`));
  });

  it("an MXNet SSD symbol (MultiBoxPrior + MultiBoxDetection) imported, hybridized and exported: onnxruntime's rows are the eager ones; onnx.checker passes", () => {
    const node = (op: string, name: string, inputs: number[], attrs?: Record<string, string>) => ({ op, name, inputs: inputs.map((i) => [i, 0, 0]), ...(attrs ? { attrs } : {}) });
    const json = {
      nodes: [
        node('null', 'data', []),
        node('_contrib_MultiBoxPrior', 'anchors', [0], { sizes: '(0.3, 0.5)', ratios: '(1, 2, 0.5)', clip: 'False', steps: '(-1, -1)', offsets: '(0.5, 0.5)' }),
        node('null', 'cls_prob', []),
        node('null', 'loc_pred', []),
        node('_contrib_MultiBoxDetection', 'detection', [2, 3, 1], { clip: 'True', threshold: '0.01', background_id: '0', nms_threshold: '0.45', force_suppress: 'False', variances: '(0.1, 0.1, 0.2, 0.2)', nms_topk: '400' }),
      ],
      arg_nodes: [0, 2, 3],
      node_row_ptr: [0, 1, 2, 3, 4, 5],
      heads: [[4, 0, 0]],
      attrs: { mxnet_version: ['int', 10901] },
    };
    const file = path.join(dir(), 'ssd-symbol.json');
    writeFileSync(file, JSON.stringify(json));
    // 4 × 5 pixels, 4 anchors each: N 80; 3 classes with the background.
    const n = 80;
    const data = nd.zeros([2, 8, 4, 5]);
    const probs = nd.array(Array.from({ length: 2 * 3 * n }, () => Math.round(rand() * 20) / 20), { shape: [2, 3, n] });
    const locs = nd.array(Array.from({ length: 2 * 4 * n }, () => rand() * 0.4 - 0.2), { shape: [2, 4 * n] });
    const eagerNet = gluon.SymbolBlock.imports(file, ['data', 'cls_prob', 'loc_pred']);
    const eager = eagerNet.call(data, probs, locs) as nd.NDArray;
    assert.deepEqual(eager.shape, [2, n, 6]);
    const net = gluon.SymbolBlock.imports(file, ['data', 'cls_prob', 'loc_pred']);
    net.hybridize();
    reset();
    assertSame(net.call(data, probs, locs) as nd.NDArray, eager, 'hybridized SSD');
    // One compiled graph, no operator run eagerly.
    assert.deepEqual([counters().compiles, counters().kernelOps], [1, 0]);
    const onnx = path.join(dir(), 'ssd.onnx');
    net.export(onnx);
    assert.deepEqual(checkOnnxFiles([onnx]), [null]);
    const io = path.join(dir(), 'io.json');
    writeFileSync(io, JSON.stringify({ data: flat(data), shape: data.shape, probs: flat(probs), locs: flat(locs) }));
    const script = String.raw`
import json, sys
import numpy as np, onnxruntime as ort
io = json.load(open(sys.argv[2]))
s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])
feeds = dict(zip([i.name for i in s.get_inputs()], [np.array(io['data'], np.float32).reshape(io['shape']), np.array(io['probs'], np.float32).reshape(2, 3, -1), np.array(io['locs'], np.float32).reshape(2, -1)]))
print(json.dumps([[i.name for i in s.get_inputs()], s.run(None, feeds)[0].astype(np.float64).reshape(-1).tolist()]))
`;
    const r = runPython(script, { args: [onnx, io] });
    assert.equal(r.status, 0, r.stderr);
    const [names, rows] = JSON.parse(r.stdout) as [string[], number[]];
    assert.deepEqual(names, ['data', 'cls_prob', 'loc_pred']);
    const want = flat(eager);
    const i = rows.findIndex((v, k) => !Object.is(v, want[k]));
    assert.equal(i, -1, `onnxruntime (python) element ${i}: ${rows[i]}, eager ${want[i]}`);
    assert.ok(want.some((v, k) => k % 6 === 0 && v >= 0) && want.some((v, k) => k % 6 === 0 && v === -1), 'some detections kept, some suppressed or filtered');
  });
});
