/**
 * The compile-time benchmark (`npm run bench -- compile`), for models/mlp.ts,
 * models/lenet.ts, models/resnet.ts and models/lstm.ts:
 * (a) trace-to-bytes of the inference artifact, split into trace
 *     (`HybridBlock.trace` and the graph with its initializers, as
 *     `HybridBlock.export` builds it), passes (`runPipeline`, inference mode)
 *     and emit (`emitModel`), at -O0 .. -O3; onnxruntime session creation
 *     from those bytes (`Session.create`) timed separately (target: the
 *     ResNet's trace-to-bytes under 300 ms at the default -O2);
 * (b) the node counts of each model's inference graph and of its training
 *     graph (the fused training step: forward in training mode,
 *     SoftmaxCrossEntropyLoss, gradients and the SGD-momentum update, built
 *     by the CLI's `trainingArtifact`) before and after the pipeline.
 * Invariant: nothing is asserted; every figure is measured in this run, and
 * the split's sum is checked against an end-to-end `exportBytes` in the table.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { random } from 'gluonc';
import { exportBytes, type InputSpec } from '../../compiler/formats/export.js';
import type { HybridBlock } from '../../compiler/gluon/hybrid.js';
import type { Parameter } from '../../compiler/gluon/parameter.js';
import { Graph } from '../../compiler/ir/graph.js';
import { buildManifest, MANIFEST_METADATA_KEY } from '../../compiler/manifest.js';
import { withTrainingMode } from '../../compiler/ops/mode.js';
import { DEFAULT_OPSET, emitModel } from '../../compiler/onnx/emit.js';
import { runPipeline, type PassReport } from '../../compiler/passes/pipeline.js';
import { trainingArtifact } from '../../cli/train-artifact.js';
import { Session } from '../../runtime/session.js';
import lenet, { inputs as lenetInputs } from '../../models/lenet.js';
import lstm, { config as lstmConfig } from '../../models/lstm.js';
import mlp, { inputs as mlpInputs } from '../../models/mlp.js';
import resnet, { inputs as resnetInputs } from '../../models/resnet.js';
import type { BenchRow, BenchTable, Timing } from './harness.js';

interface Model {
  name: string;
  build: () => HybridBlock;
  inputs: Record<string, InputSpec>;
  /** Timed repetitions per level (the LSTM's unrolled graph is slow to build). */
  reps: number;
}

const MODELS: Model[] = [
  { name: 'mlp', build: mlp, inputs: mlpInputs as Record<string, InputSpec>, reps: 15 },
  { name: 'lenet', build: lenet, inputs: lenetInputs as Record<string, InputSpec>, reps: 15 },
  { name: 'resnet', build: resnet, inputs: resnetInputs as Record<string, InputSpec>, reps: 15 },
  // A fixed length as in the earlier rows (the model's inputs leave T symbolic).
  { name: 'lstm', build: lstm, inputs: { x: { shape: ['N', lstmConfig.steps], dtype: 'float32' } }, reps: 5 },
];

const LEVELS = [0, 1, 2, 3] as const;

const now = (): number => performance.now() / 1000;

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Seconds per call over single-call samples. */
function timing(xs: number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p10: quantile(s, 0.1), p90: quantile(s, 0.9), samples: s.length, iters: 1 };
}

/**
 * The inference graph of `block` with its parameters' arrays attached, as
 * `exportBytes` builds it (compiler/formats/export.ts) before the pipeline.
 */
function traceGraph(block: HybridBlock, inputs: Record<string, InputSpec>): Graph {
  const types = Object.entries(inputs).map(([name, s]) => ({ name, dtype: s.dtype ?? 'float32', shape: [...s.shape] }));
  const { outputs, ctx, inputs: vars } = withTrainingMode(false, () => block.trace(types as never));
  const graph = Graph.fromOutputs(
    vars.map((v) => v.value),
    outputs.map((s, i) => ({ name: outputs.length === 1 ? 'output' : `output${i}`, value: s.value })),
  );
  const order = new Map(block.collectParams().keys().map((k, i) => [k, i]));
  graph.params.sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9));
  const byValue = new Map<unknown, Parameter>([...ctx.symbols].map(([p, s]) => [s.value, p]));
  for (const v of graph.params) v.data = byValue.get(v)!.data()._host;
  return graph;
}

/** Emits `graph` with a manifest, as `exportBytes` does. */
function emit(graph: Graph, level: number): Uint8Array {
  const io = (name: string, t: { dtype: string; shape: (number | string)[] }) => ({ name, dtype: t.dtype, shape: [...t.shape] });
  const manifest = buildManifest({
    inputs: graph.inputs.map((v) => io(v.name, v.type)) as never,
    outputs: graph.outputs.map((o) => io(o.name, o.value.type)) as never,
    params: graph.params.map((v) => v.name),
    compile: { opset: DEFAULT_OPSET, optLevel: level },
  });
  return emitModel(graph, { opset: DEFAULT_OPSET, metadata: { [MANIFEST_METADATA_KEY]: JSON.stringify(manifest) }, graphName: 'bench' });
}

interface Split {
  trace: number[];
  passes: number[];
  emit: number[];
  total: number[];
  session: number[];
  e2e: number[];
  nodes: [number, number];
  bytes: number;
  /** Milliseconds per pass name, summed over one run (the last). */
  passMs: Map<string, number>;
}

function measure(m: Model, net: HybridBlock, level: number): Split {
  const s: Split = { trace: [], passes: [], emit: [], total: [], session: [], e2e: [], nodes: [0, 0], bytes: 0, passMs: new Map() };
  // One untimed round warms the JIT for this level's passes.
  for (let r = -1; r < m.reps; r++) {
    const t0 = now();
    const g = traceGraph(net, m.inputs);
    const t1 = now();
    const before = g.nodes.length;
    const report: PassReport[] = [];
    const { graph } = runPipeline(g, { level, mode: 'inference', report: (x) => report.push(x) });
    const t2 = now();
    const bytes = emit(graph, level);
    const t3 = now();
    Session.create(bytes).close();
    const t4 = now();
    // The public path end to end (exportBytes without its onnxruntime check), as a cross-check of the split.
    exportBytes(net, { inputs: m.inputs, compile: { optLevel: level }, check: false });
    const t5 = now();
    if (r < 0) continue;
    s.trace.push(t1 - t0);
    s.passes.push(t2 - t1);
    s.emit.push(t3 - t2);
    s.total.push(t3 - t0);
    s.session.push(t4 - t3);
    s.e2e.push(t5 - t4);
    s.nodes = [before, graph.nodes.length];
    s.bytes = bytes.length;
    s.passMs = new Map();
    for (const x of report) s.passMs.set(x.pass, (s.passMs.get(x.pass) ?? 0) + x.ms);
  }
  return s;
}

/** The training graph at `level`: node counts and the time of the build and of the passes alone. */
function training(net: HybridBlock, m: Model, level: number): { before: number; after: number; buildMs: number; passMs: number; sessionMs: number } {
  const report: PassReport[] = [];
  const t0 = now();
  const t = trainingArtifact(net, { inputs: m.inputs, optLevel: level, report: (r) => report.push(r), where: m.name });
  const t1 = now();
  // trainingArtifact loads its bytes in onnxruntime once as a check; time that load again on its own.
  Session.create(t.bytes).close();
  const t2 = now();
  return { before: t.nodes.before, after: t.nodes.after, buildMs: (t1 - t0) * 1000, passMs: report.reduce((a, r) => a + r.ms, 0), sessionMs: (t2 - t1) * 1000 };
}

/**
 * The first compile in a fresh process (cold JIT; module loading excluded):
 * this file re-run as a child with `--cold <model>`, which prints the split
 * of one -O2 trace-to-bytes as JSON.
 */
function cold(m: Model): { trace: number; passes: number; emit: number; session: number } | null {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--cold', m.name], { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) return null;
  return JSON.parse(line) as { trace: number; passes: number; emit: number; session: number };
}

function coldChild(name: string): void {
  const m = MODELS.find((x) => x.name === name)!;
  random.seed(0);
  const net = m.build();
  net.initialize();
  const t0 = now();
  const g = traceGraph(net, m.inputs);
  const t1 = now();
  const { graph } = runPipeline(g, { level: 2, mode: 'inference' });
  const t2 = now();
  const bytes = emit(graph, 2);
  const t3 = now();
  Session.create(bytes).close();
  const t4 = now();
  console.log(JSON.stringify({ trace: t1 - t0, passes: t2 - t1, emit: t3 - t2, session: t4 - t3 }));
}

const ms = (x: number): string => `${(x * 1000).toFixed(1)} ms`;

/** Runs both tables. */
export async function run(): Promise<BenchTable[]> {
  const rows: BenchRow[] = [];
  const trainRows: BenchRow[] = [];
  const notes: string[] = [];
  const hot: string[] = [];
  for (const m of MODELS) {
    random.seed(0);
    const net = m.build();
    net.initialize();
    traceGraph(net, m.inputs); // deferred parameter shapes
    const c = cold(m);
    const one = (x: number | undefined): Timing | null => (x === undefined ? null : { median: x, p10: x, p90: x, samples: 1, iters: 1 });
    rows.push({
      label: `${m.name} -O2 cold`,
      ours: c ? one(c.trace + c.passes + c.emit) : null,
      peers: { trace: one(c?.trace), passes: one(c?.passes), emit: one(c?.emit), 'session create': one(c?.session), exportBytes: null },
      note: 'first compile in a fresh process, one run',
    });
    for (const level of LEVELS) {
      const s = measure(m, net, level);
      const e2e = timing(s.e2e);
      rows.push({
        label: `${m.name} -O${level}`,
        ours: timing(s.total),
        peers: { trace: timing(s.trace), passes: timing(s.passes), emit: timing(s.emit), 'session create': timing(s.session), exportBytes: e2e },
        note: `${s.nodes[0]} -> ${s.nodes[1]} nodes, ${(s.bytes / 1024).toFixed(0)} KiB`,
      });
      if (level === 2) {
        const top = [...s.passMs].sort((a, b) => b[1] - a[1]).slice(0, 3);
        hot.push(`${m.name} -O2 slowest passes (one run): ${top.map(([p, t]) => `${p} ${t.toFixed(1)} ms`).join(', ')}`);
      }
    }
    // Training graph: -O0 (nothing runs: the traced size), -O1, -O2 (-O3 adds only inference passes).
    const t0 = training(net, m, 0);
    for (const level of [1, 2] as const) {
      const t = training(net, m, level);
      const one = (x: number): Timing => ({ median: x / 1000, p10: x / 1000, p90: x / 1000, samples: 1, iters: 1 });
      trainRows.push({
        label: `${m.name} train -O${level}`,
        ours: one(t.buildMs),
        peers: { passes: one(t.passMs), 'session create': one(t.sessionMs) },
        note: `${t0.after} -> ${t.after} nodes (${(100 * (1 - t.after / t0.after)).toFixed(0)}% removed)`,
      });
    }
  }
  const resnet = rows.find((r) => r.label === 'resnet -O2')!;
  const resnetCold = rows.find((r) => r.label === 'resnet -O2 cold')!;
  notes.push(
    'trace: `HybridBlock.trace` in prediction mode plus the IR graph with the parameters as initializers (what `export` builds); passes: `runPipeline(graph, { level, mode: \'inference\' })`; emit: `emitModel` with the manifest; trace-to-bytes (first column) = their sum.',
    'session create: `Session.create(bytes)` (onnxruntime, graph optimization `all`), not part of trace-to-bytes. exportBytes: `exportBytes(net, { check: false })` end to end, a cross-check of the split.',
    'Node counts: IR nodes after tracing (trace-time constant folding included) -> after the pipeline.',
    `Target: ResNet trace-to-bytes < 300 ms at -O2: measured ${ms(resnet.ours!.median)} warm (median), ${resnetCold.ours ? ms(resnetCold.ours.median) : 'n/a'} cold — ${resnet.ours!.median < 0.3 && (resnetCold.ours?.median ?? 0) < 0.3 ? 'met' : 'MISSED'}.`,
    'Rows `-O2 cold`: the first compile in a fresh child process (modules already imported, JIT cold), one run; the other rows: warm, after one untimed round per level.',
    ...hot,
  );
  return [
    {
      title: 'compile: inference artifact, trace-to-bytes split, ms',
      unit: 'ms',
      oursLabel: 'trace-to-bytes',
      peers: ['trace', 'passes', 'emit', 'session create', 'exportBytes'],
      ratioPeers: [],
      rows,
      notes,
    },
    {
      title: 'compile: training graph (fused step: forward, SoftmaxCrossEntropyLoss, gradients, SGD momentum 0.9), ms',
      unit: 'ms',
      oursLabel: 'trainingArtifact',
      peers: ['passes', 'session create'],
      ratioPeers: [],
      rows: trainRows,
      notes: [
        'trainingArtifact: cli/train-artifact.ts end to end (trace in training mode, loss, gradients, update, pipeline in training mode, emit, onnxruntime load check), one run each; passes: the pipeline alone; session create: `Session.create` of the training bytes, timed again on its own (it is also inside the first column, as trainingArtifact\'s check).',
        'Node counts: the traced step graph (-O0) -> after the training pipeline. -O3 runs the same training passes as -O2.',
      ],
    },
  ];
}

if (process.argv[2] === '--cold' && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) coldChild(process.argv[3]!);
