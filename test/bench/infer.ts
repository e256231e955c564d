/**
 * The inference benchmark (`npm run bench -- infer`):
 * (a) our exported artifact (`HybridBlock.export` at the default -O2, and at
 *     -O3) against the same network hand-built naively in ONNX with
 *     onnx-proto, as a person would write it (MLP: MatMul + Add + Relu;
 *     LeNet: Conv + Relu + MaxPool, Reshape, MatMul + Add; ResNet:
 *     Conv + BatchNormalization + Relu, Add, GlobalAveragePool, Flatten,
 *     MatMul + Add; no fusions), both in raw onnxruntime-node
 *     (`ort.InferenceSession.create(bytes)` with default options, and with
 *     `intraOpNumThreads: 1`) at batch 1 and 256: latency (median, p90) and
 *     throughput (target: ours no slower than naive, naive/ours >= 1.0);
 * (b) `loadModel(file).run` against a raw `session.run` on our artifact at
 *     batch 1, default options and one thread (target: within 1.05x; the
 *     harness alternates which of the two is timed first each round).
 * Invariant: every contender's output is checked against the naive graph's
 * before it is timed; nothing is asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { nd, random } from 'gluonc';
import type { HybridBlock } from '../../compiler/gluon/hybrid.js';
import { onnx, type OnnxTypes } from '../../compiler/onnx/proto.js';
import { loadModel } from '../../runtime/load-model.js';
import lenet from '../../models/lenet.js';
import mlp from '../../models/mlp.js';
import resnet from '../../models/resnet.js';
import { compare, type BenchRow, type BenchTable, type Timing } from './harness.js';

const F32 = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;
const ATTR = onnx.AttributeProto.AttributeType;

/** Gluon parameters by structural name. */
export type Weights = Map<string, { shape: number[]; data: Float32Array }>;

/** A naive ONNX graph under construction: nodes and initializers by hand. */
class Naive {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly inits: OnnxTypes.ITensorProto[] = [];
  private n = 0;

  constructor(readonly w: Weights) {}

  init(name: string, dims: number[], data: Float32Array): string {
    this.inits.push({ name, dims, dataType: F32, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) });
    return name;
  }

  /** A weight as stored by Gluon. */
  param(name: string): string {
    if (!this.inits.some((t) => t.name === name)) {
      const p = this.w.get(name);
      if (!p) throw new Error(`naive graph: no parameter '${name}'`);
      this.init(name, p.shape, p.data);
    }
    return name;
  }

  node(opType: string, input: string[], attribute: OnnxTypes.IAttributeProto[] = []): string {
    const out = `${opType.toLowerCase()}${this.n++}`;
    this.nodes.push({ opType, input, output: [out], attribute });
    return out;
  }

  /** MatMul with the weight transposed offline to [in, out], then Add. */
  dense(x: string, prefix: string, relu: boolean): string {
    const p = this.w.get(`${prefix}.weight`)!;
    const [o, i] = p.shape as [number, number];
    const t = new Float32Array(o * i);
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = p.data[r * i + c]!;
    const wt = this.init(`${prefix}.weight_t`, [i, o], t);
    const y = this.node('Add', [this.node('MatMul', [x, wt]), this.param(`${prefix}.bias`)]);
    return relu ? this.node('Relu', [y]) : y;
  }

  conv(x: string, prefix: string, o: { pad: number; stride?: number; bias: boolean }): string {
    const k = this.w.get(`${prefix}.weight`)!.shape.slice(2);
    const inputs = [x, this.param(`${prefix}.weight`), ...(o.bias ? [this.param(`${prefix}.bias`)] : [])];
    return this.node('Conv', inputs, [
      { name: 'kernel_shape', type: ATTR.INTS, ints: k },
      { name: 'pads', type: ATTR.INTS, ints: [o.pad, o.pad, o.pad, o.pad] },
      { name: 'strides', type: ATTR.INTS, ints: [o.stride ?? 1, o.stride ?? 1] },
    ]);
  }

  batchNorm(x: string, prefix: string): string {
    const ps = ['gamma', 'beta', 'running_mean', 'running_var'].map((s) => this.param(`${prefix}.${s}`));
    return this.node('BatchNormalization', [x, ...ps], [{ name: 'epsilon', type: ATTR.FLOAT, f: 1e-5 }]);
  }

  maxPool(x: string): string {
    return this.node('MaxPool', [x], [
      { name: 'kernel_shape', type: ATTR.INTS, ints: [2, 2] },
      { name: 'strides', type: ATTR.INTS, ints: [2, 2] },
    ]);
  }

  bytes(input: number[], output: string, classes: number): Uint8Array {
    const dims = (s: (number | string)[]) => ({ dim: s.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) });
    const model: OnnxTypes.IModelProto = {
      irVersion: 10,
      producerName: 'naive',
      opsetImport: [{ domain: '', version: 21 }],
      graph: {
        name: 'naive',
        node: [...this.nodes, { opType: 'Identity', input: [output], output: ['output'] }],
        initializer: this.inits,
        input: [{ name: 'x', type: { tensorType: { elemType: F32, shape: dims(['N', ...input]) } } }],
        output: [{ name: 'output', type: { tensorType: { elemType: F32, shape: dims(['N', classes]) } } }],
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

function naiveMlp(w: Weights): Uint8Array {
  const g = new Naive(w);
  const y = g.dense(g.dense(g.dense('x', '0', true), '1', true), '2', false);
  return g.bytes([784], y, 10);
}

function naiveLenet(w: Weights): Uint8Array {
  const g = new Naive(w);
  let x = g.maxPool(g.node('Relu', [g.conv('x', '0', { pad: 2, bias: true })]));
  x = g.maxPool(g.node('Relu', [g.conv(x, '2', { pad: 0, bias: true })]));
  const shape: OnnxTypes.ITensorProto = { name: 'flat_shape', dims: [2], dataType: I64, int64Data: [0, -1] };
  g.inits.push(shape);
  x = g.node('Reshape', [x, 'flat_shape']);
  x = g.dense(g.dense(g.dense(x, '5', true), '6', true), '7', false);
  return g.bytes([1, 28, 28], x, 10);
}

function naiveResnet(w: Weights): Uint8Array {
  const g = new Naive(w);
  let x = g.node('Relu', [g.batchNorm(g.conv('x', '0', { pad: 1, bias: false }), '1')]);
  const blocks: [number, number][] = [[3, 1], [4, 1], [5, 2], [6, 1], [7, 2], [8, 1]];
  for (const [b, stride] of blocks) {
    let y = g.node('Relu', [g.batchNorm(g.conv(x, `${b}.body.0`, { pad: 1, stride, bias: false }), `${b}.body.1`)]);
    y = g.batchNorm(g.conv(y, `${b}.body.3`, { pad: 1, bias: false }), `${b}.body.4`);
    const short = w.has(`${b}.shortcut.0.weight`) ? g.batchNorm(g.conv(x, `${b}.shortcut.0`, { pad: 0, stride, bias: false }), `${b}.shortcut.1`) : x;
    x = g.node('Relu', [g.node('Add', [y, short])]);
  }
  x = g.dense(g.node('Flatten', [g.node('GlobalAveragePool', [x])]), '11', false);
  return g.bytes([3, 32, 32], x, 10);
}

interface Case {
  name: string;
  build: () => HybridBlock;
  input: number[];
  naive: (w: Weights) => Uint8Array;
}

const CASES: Case[] = [
  { name: 'mlp', build: mlp, input: [784], naive: naiveMlp },
  { name: 'lenet', build: lenet, input: [1, 28, 28], naive: naiveLenet },
  { name: 'resnet', build: resnet, input: [3, 32, 32], naive: naiveResnet },
];

const BATCHES = [1, 256];

/**
 * The naive hand-built ONNX bytes of a model of models/ from its Gluon
 * parameters (structural name -> shape and float32 data); input `x`
 * [N, ...], output `output` [N, 10].
 *
 * ```ts
 * const bytes = naiveModel('mlp', new Map(net.collectParams().entries().map(([k, p]) => [k, { shape: p.shape, data: p.data().data() }])));
 * ```
 */
export function naiveModel(name: 'mlp' | 'lenet' | 'resnet', w: Weights): Uint8Array {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`naiveModel: no naive graph for '${name}' (have ${CASES.map((x) => x.name).join(', ')})`);
  return c.naive(w);
}

function agree(what: string, a: Float32Array, b: Float32Array): void {
  let d = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  if (a.length !== b.length || !(d <= 1e-4 * Math.max(1, scale))) throw new Error(`${what}: outputs disagree with the naive graph (max |diff| ${d}, output scale ${scale})`);
}

const rate = (batch: number, t: Timing | undefined): string => (t ? `${Math.round(batch / t.median).toLocaleString('en-US')}` : 'n/a');

/** Runs both tables. */
export async function run(): Promise<BenchTable[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-bench-infer-'));
  const rows: BenchRow[] = [];
  const loadRows: BenchRow[] = [];
  try {
    for (const c of CASES) {
      random.seed(0);
      const net = c.build();
      net.initialize();
      net.call(nd.ones([1, ...c.input]));
      // Non-trivial BatchNorm statistics, so that the check below means something.
      for (const [k, p] of net.collectParams().entries()) {
        if (k.endsWith('running_mean') || k.endsWith('beta')) p.setData(nd.random.uniform(-0.5, 0.5, p.shape));
        if (k.endsWith('running_var') || k.endsWith('gamma')) p.setData(nd.random.uniform(0.5, 1.5, p.shape));
      }
      const w: Weights = new Map(net.collectParams().entries().map(([k, p]) => [k, { shape: [...p.shape], data: p.data().data() as Float32Array }]));
      const files = { o2: path.join(dir, `${c.name}.onnx`), o3: path.join(dir, `${c.name}-O3.onnx`) };
      const spec = { inputs: { x: { shape: ['N', ...c.input] } } };
      const bytes = {
        o2: net.export(files.o2, spec).bytes,
        o3: net.export(files.o3, { ...spec, compile: { optLevel: 3 } }).bytes,
        naive: c.naive(w),
      };
      for (const threads of [0, 1]) {
        const opts: ort.InferenceSession.SessionOptions = threads ? { intraOpNumThreads: threads } : {};
        const s = {
          o2: await ort.InferenceSession.create(bytes.o2, opts),
          o3: await ort.InferenceSession.create(bytes.o3, opts),
          naive: await ort.InferenceSession.create(bytes.naive, opts),
        };
        for (const batch of BATCHES) {
          const x = nd.random.uniform(-1, 1, [batch, ...c.input]).data() as Float32Array;
          const feeds = { x: new ort.Tensor('float32', x, [batch, ...c.input]) };
          const out = async (k: keyof typeof s) => (await s[k].run(feeds))['output']!.data as Float32Array;
          const ref = await out('naive');
          agree(`${c.name} -O2, batch ${batch}`, await out('o2'), ref);
          agree(`${c.name} -O3, batch ${batch}`, await out('o3'), ref);
          const t = await compare(
            [
              { name: 'o2', fn: () => s.o2.run(feeds), async: true },
              { name: 'o3', fn: () => s.o3.run(feeds), async: true },
              { name: 'naive', fn: () => s.naive.run(feeds), async: true },
            ],
            { sampleMs: 2, samples: 101, budgetMs: batch > 1 ? 2500 : 1000, minSamples: 15 },
          );
          rows.push({
            label: `${c.name}, batch ${batch}, ${threads ? '1 thread' : 'default threads'}`,
            ours: t['o2'],
            peers: { 'ours -O3': t['o3'], naive: t['naive'] },
            note: `samples/s: -O2 ${rate(batch, t['o2'])}, -O3 ${rate(batch, t['o3'])}, naive ${rate(batch, t['naive'])}; naive/ours at p10 ${(t['naive']!.p10 / t['o2']!.p10).toFixed(2)}x`,
          });
        }
        await Promise.all(Object.values(s).map((x) => x.release()));
      }

      // loadModel(...).run vs the raw session on the same artifact, batch 1: default threads, then one.
      for (const threads of [0, 1]) {
        const model = await loadModel(files.o2, threads ? { threads } : {});
        const raw = await ort.InferenceSession.create(bytes.o2, threads ? { intraOpNumThreads: threads } : {});
        const x = nd.random.uniform(-1, 1, [1, ...c.input]).data() as Float32Array;
        const feeds = { x: new ort.Tensor('float32', x, [1, ...c.input]) };
        const mine = { x: { data: x, shape: [1, ...c.input] } };
        agree(`${c.name} loadModel`, (await model.run(mine))['output']!.data as Float32Array, (await raw.run(feeds))['output']!.data as Float32Array);
        const t = await compare(
          [
            { name: 'loadModel', fn: () => model.run(mine), async: true },
            { name: 'raw', fn: () => raw.run(feeds), async: true },
          ],
          { sampleMs: 2, samples: 101, budgetMs: 1500, minSamples: 15 },
        );
        loadRows.push({
          label: `${c.name}, batch 1, ${threads ? '1 thread' : 'default threads'}`,
          ours: t['loadModel'],
          peers: { 'raw session.run': t['raw'] },
          note: `at p10 ${(t['raw']!.p10 / t['loadModel']!.p10).toFixed(2)}x; runs inline ${model.stats.inline}, in workers ${model.stats.worker}`,
        });
        await model.close();
        await raw.release();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    {
      title: 'infer: our artifact vs a naive hand-built ONNX graph, raw onnxruntime-node, µs per run',
      unit: 'us',
      oursLabel: 'ours -O2',
      peers: ['ours -O3', 'naive'],
      rows,
      notes: [
        'All three run in raw onnxruntime-node: `await ort.InferenceSession.create(bytes, opts)` then `await session.run({ x })`; opts = {} (default threads) or { intraOpNumThreads: 1 }. ours -O2: `net.export(file)` (the default level); -O3: `compile: { optLevel: 3 }` (BatchNorm and scales folded into weights).',
        'naive: the same weights in a graph written with onnx-proto as a person would (MatMul with the weight transposed offline + Add + Relu; Conv + Relu + MaxPool; Reshape [0, -1]; Conv + BatchNormalization + Relu, Add, GlobalAveragePool, Flatten), no fusions by hand; onnxruntime applies its own optimizations to every graph.',
        'Target: ours never slower than naive: the `naive / ours -O2` column >= 1.0 (it is the brief\'s ours/naive <= 1.0, inverted). Throughput (samples/s) = batch / median latency, in the note, with the ratio of the p10 latencies (the least disturbed by other processes).',
        'Graphs as written: ours -O2 MLP = Gemm(transB) + Relu; LeNet = Conv, Relu, MaxPool, Flatten, Gemm; ResNet = Conv, BatchNormalization, Relu, Add, GlobalAveragePool, Flatten, Gemm; -O3 folds each BatchNorm into its Conv. onnxruntime (graph optimization `all` by default) fuses the naive graphs to about the same kernels, so equal times are the expected result.',
      ],
    },
    {
      title: 'infer: loadModel(file).run vs raw InferenceSession.run on our artifact (-O2), batch 1, µs per run',
      unit: 'us',
      oursLabel: 'loadModel run',
      peers: ['raw session.run'],
      rows: loadRows,
      notes: [
        'loadModel: runtime/load-model.ts with default options (feed validation; `auto` offload) or `{ threads: 1 }`; raw: `ort.InferenceSession.create(bytes)` with default options or `{ intraOpNumThreads: 1 }`, `await session.run({ x: ort.Tensor })`.',
        'Target: loadModel within 1.05x of raw (ratio column >= 0.95). The two are timed in alternating order (round k times loadModel first when k is even, raw first when odd), so neither always runs on a warm cache; at ~25 µs per run compare the p10 ratio in the note too. raw pays one event-loop turn per run (onnxruntime-node\'s `run` resolves from `setImmediate`); loadModel runs inline and resolves at once. `auto` offload moves a run to a worker thread when the recent median exceeds 2 ms, which a loaded machine can trigger (the note counts where runs went).',
      ],
    },
  ];
}
