/**
 * The hybridization benchmark (`npm run bench -- hybridize`):
 * (a) eager vs hybridized per call, for the seed's HybridSequential
 *     (Dense(5) -> NormalizationHybridLayer -> Dense(1)) and a 20-layer MLP
 *     of width 64, at batch 1 and 64 (target: hybridized >= 5x faster than
 *     eager for the 20-layer MLP at batch 1);
 * (b) what a hybridized call costs on top of the graph itself: `net.call`
 *     against a raw onnxruntime-node InferenceSession running the graph
 *     `net.export` wrote (target: within 1.2x of raw).
 * Invariant: every contender's output is checked against another's before
 * it is timed; no figure is asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { nd, gluon, init, random } from 'gluonc';
import { compare, type BenchRow, type BenchTable } from './harness.js';
import { agree } from './peers.js';

type Net = InstanceType<typeof gluon.nn.HybridSequential>;

class NormalizationHybridLayer extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
  }
}

/** The seed's network: Dense(5), NormalizationHybridLayer, Dense(1), on 2 features. */
function seedNet(): { net: Net; features: number } {
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(5), new NormalizationHybridLayer(), new gluon.nn.Dense(1));
  net.initialize(new init.Xavier({ magnitude: 2.24 }));
  return { net, features: 2 };
}

/** 20 Dense layers of width 64 (ReLU between them) on 64 features. */
function mlp20(): { net: Net; features: number } {
  const net = new gluon.nn.HybridSequential();
  for (let i = 0; i < 20; i++) net.add(new gluon.nn.Dense(64, { activation: i < 19 ? 'relu' : undefined, inUnits: 64 }));
  net.initialize(new init.Xavier());
  return { net, features: 64 };
}

const CASES: [string, () => { net: Net; features: number }][] = [
  ['seed HybridSequential', seedNet],
  ['MLP 20x64', mlp20],
];

/** Runs both tables. */
export async function run(): Promise<BenchTable[]> {
  random.seed(1);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-bench-hybridize-'));
  const eagerRows: BenchRow[] = [];
  const rawRows: BenchRow[] = [];
  try {
    for (const [name, make] of CASES) {
      for (const batch of [1, 64]) {
        const label = `${name}, batch ${batch}`;
        const { net, features } = make();
        const x = nd.random.uniform(-1, 1, [batch, features]);

        // Eager vs hybridized: two copies of the same parameters, one hybridized.
        const eager = net.call(x) as nd.NDArray;
        const hybrid = make().net;
        hybrid.collectParams().entries().forEach(([k, p]) => p.setData(net.collectParams().get(k).data()));
        hybrid.hybridize();
        agree(`${label}: hybridized vs eager`, (hybrid.call(x) as nd.NDArray).data() as Float32Array, eager.data() as Float32Array);
        const t = await compare([
          { name: 'hybridized', fn: () => hybrid.call(x) },
          { name: 'eager', fn: () => net.call(x) },
        ]);
        eagerRows.push({ label, ours: t['hybridized'], peers: { eager: t['eager'] } });

        // Hybridized call vs the raw session on the exported graph.
        const file = path.join(dir, `${name.replace(/\W+/g, '-')}-${batch}.onnx`);
        hybrid.export(file);
        const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', executionMode: 'sequential', interOpNumThreads: 1 });
        const feeds = { data: new ort.Tensor('float32', x.data() as Float32Array, [batch, features]) };
        const raw = await session.run(feeds);
        agree(`${label}: raw onnxruntime vs hybridized`, raw['output']!.data as Float32Array, (hybrid.call(x) as nd.NDArray).data() as Float32Array);
        const r = await compare([
          { name: 'hybridized', fn: () => hybrid.call(x) },
          { name: 'raw', fn: () => session.run(feeds), async: true },
        ]);
        rawRows.push({ label, ours: r['hybridized'], peers: { 'raw onnxruntime-node': r['raw'] } });
        await session.release();
        hybrid.clearCache();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    {
      title: 'hybridize: eager vs hybridized, µs per call',
      unit: 'us',
      oursLabel: 'hybridized',
      peers: ['eager'],
      rows: eagerRows,
      notes: [
        'eager: `net.call(x)` with F = nd (one eager operator after another); hybridized: the same network after `hybridize()`, one compiled onnxruntime session per input signature.',
        'Target: hybridized at least 5x faster than eager for the 20-layer MLP at batch 1 (the ratio column).',
      ],
    },
    {
      title: 'hybridize: hybridized call vs raw onnxruntime-node on the exported graph, µs per call',
      unit: 'us',
      oursLabel: 'hybridized',
      peers: ['raw onnxruntime-node'],
      rows: rawRows,
      notes: [
        'raw: `await session.run(feeds)` of an `ort.InferenceSession` created from the `.onnx` file `net.export` wrote (parameters as initializers, as the hybridized prediction session bakes them too).',
        'Target: the hybridized call within 1.2x of raw (ratio column >= 0.83).',
      ],
    },
  ];
}
