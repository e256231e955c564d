/**
 * The eager benchmark (`npm run bench -- eager`): what one `nd` call costs
 * against the peers.
 * (a) per-operator overhead on tiny tensors: `nd` vs @tensorflow/tfjs on its
 *     cpu and wasm backends;
 * (b) float32 matmul GFLOP/s through `nd.dot` vs a raw onnxruntime-node
 *     InferenceSession doing the same MatMul, and vs tfjs;
 * (c) the kernel/session crossover of the eager path (`setKernelThreshold`);
 * (d) eager autograd training of the MLP against PyTorch's eager step at 1
 *     and 2 threads (eager-train.ts).
 * The contenders of one row are timed interleaved (harness `compare`), so
 * load from other processes falls on all of them alike.
 * Invariant: every path's result is checked against another's before it is
 * timed, so a table never times a wrong answer; no figure is asserted.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { nd, type NDArray } from 'gluonc';
import { onnx, valueInfo, type OnnxTypes } from '../../compiler/onnx/proto.js';
import { KERNEL_MAX_ELEMENTS, setKernelThreshold } from '../../compiler/ops/execute.js';
import { Session } from '../../runtime/session.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { compare, type BenchRow, type BenchTable, type Contender, type Timing } from './harness.js';
import { eagerTraining } from './eager-train.js';
import { agree, useTf } from './peers.js';

type NdOp = (...args: unknown[]) => NDArray;
/** `nd` operators looked up by name at run time: some families are still being written. */
const ndOps = nd as unknown as Record<string, NdOp | undefined>;

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A one-node float32 ONNX model built directly with onnx-proto (no gluonc code in the path). */
function oneNodeModel(opType: string, inputs: Record<string, (number | string)[]>, outShape: (number | string)[]): Uint8Array {
  const model: OnnxTypes.IModelProto = {
    irVersion: 10,
    producerName: 'bench',
    opsetImport: [{ domain: '', version: 21 }],
    graph: {
      name: opType,
      node: [{ opType, input: Object.keys(inputs), output: ['y'] }],
      input: Object.entries(inputs).map(([n, shape]) => valueInfo(n, { dtype: 'float32', shape })),
      output: [valueInfo('y', { dtype: 'float32', shape: outShape })],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

const f32 = (shape: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', shape, data });

// ---------------------------------------------------------------- (a) tiny ops

interface TinyCase {
  label: string;
  ours: (ops: Record<string, NdOp | undefined>, a: NDArray, b: NDArray) => NDArray;
  tf: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
  needs: string;
}

const TINY: TinyCase[] = [
  { label: 'add [4]+[4]', needs: 'add', ours: (o, a, b) => o.add!(a, b), tf: (a, b) => tf.add(a, b) },
  { label: 'relu [4]', needs: 'relu', ours: (o, a) => o.relu!(a), tf: (a) => tf.relu(a) },
  { label: 'sum [4] (all axes)', needs: 'sum', ours: (o, a) => o.sum!(a), tf: (a) => tf.sum(a) },
  { label: 'reshape [4]->[2,2]', needs: 'reshape', ours: (o, a) => o.reshape!(a, [2, 2]), tf: (a) => tf.reshape(a, [2, 2]) },
];

// Short samples: on a busy machine a sample shorter than a scheduler slice is usually not preempted.
const TINY_OPTS = { warmupMs: 50, sampleMs: 0.5, samples: 101, budgetMs: 300, minSamples: 21 };

/** The built package (dist/), as users import it; null when it has not been built. */
async function importBuilt(): Promise<{ nd: typeof nd } | null> {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'compiler', 'gluon', 'index.js');
  if (!existsSync(file)) return null;
  return (await import(pathToFileURL(file).href)) as { nd: typeof nd };
}

async function tinyOps(): Promise<BenchTable> {
  const x = values(4, 1);
  const y = values(4, 2);
  const a = nd.array(x);
  const b = nd.array(y);
  // tfjs tensors per backend, each used only while its backend is active (no data moves between backends).
  const tfIn: Record<string, [tf.Tensor, tf.Tensor]> = {};
  for (const backend of ['cpu', 'wasm'] as const) {
    await useTf(backend);
    tfIn[backend] = [tf.tensor1d(x), tf.tensor1d(y)];
  }
  // Users run the built JavaScript (dist/, made by npm install and by `npm run bench`); the TypeScript
  // sources run through tsx carry its per-function wrappers, so they are a second column.
  const built = await importBuilt();
  const ba = built?.nd.array(x);
  const bb = built?.nd.array(y);
  const rows: BenchRow[] = [];
  for (const c of TINY) {
    const row: BenchRow = { label: c.label, ours: null, peers: {} };
    const contenders: Contender[] = [];
    let want: Float32Array | undefined;
    if (ndOps[c.needs]) {
      try {
        want = Float32Array.from(c.ours(ndOps, a, b).data() as Float32Array);
        if (built) {
          const bo = built.nd as unknown as Record<string, NdOp | undefined>;
          agree(`${c.label} built`, Float32Array.from(c.ours(bo, ba as never, bb as never).data() as Float32Array), want, 0);
          contenders.push({ name: 'ours', fn: () => c.ours(bo, ba as never, bb as never) });
          contenders.push({ name: 'ours from sources (tsx)', fn: () => c.ours(ndOps, a, b) });
        } else contenders.push({ name: 'ours', fn: () => c.ours(ndOps, a, b) });
      } catch (e) {
        row.note = `ours failed: ${String((e as Error).message).split('\n')[0]!.slice(0, 60)}`;
      }
    } else row.note = `nd.${c.needs} not available yet`;
    for (const backend of ['cpu', 'wasm'] as const) {
      const [ta, tb] = tfIn[backend]!;
      const before = () => tf.setBackend(backend);
      await before();
      const got = tf.tidy(() => c.tf(ta, tb).dataSync() as Float32Array);
      if (want) agree(`${c.label} tfjs-${backend}`, got, want, 1e-6);
      contenders.push({
        name: `tfjs-${backend} op+dataSync`,
        before,
        fn: () => {
          const t = c.tf(ta, tb);
          t.dataSync();
          t.dispose();
        },
      });
      contenders.push({ name: `tfjs-${backend} op only`, before, fn: () => c.tf(ta, tb).dispose() });
    }
    const t = await compare(contenders, TINY_OPTS);
    row.ours = t.ours;
    for (const k of Object.keys(t)) if (k !== 'ours') row.peers[k] = t[k];
    rows.push(row);
  }
  for (const backend of ['cpu', 'wasm'] as const) {
    await useTf(backend);
    tf.dispose(tfIn[backend]!);
  }
  return {
    title: '(a) per-call overhead on tiny float32 tensors',
    unit: 'us',
    peers: ['tfjs-cpu op+dataSync', 'tfjs-wasm op+dataSync', 'tfjs-cpu op only', 'tfjs-wasm op only', 'ours from sources (tsx)'],
    rows,
    notes: [
      `ours: nd.<op> on NDArrays of the built package (dist/, what users run; synchronous, and the result is a host array, so it is always materialized); with ${KERNEL_MAX_ELEMENTS} elements or fewer it runs the TypeScript kernel. "ours from sources (tsx)": the same code run from the TypeScript sources through tsx, whose per-function wrappers add overhead.`,
      'tfjs "op+dataSync": tf.<op> + dataSync() + dispose() (materialized like ours: the fair comparison); tfjs "op only": tf.<op> + dispose(), values never read back (less work than ours does; shown for reference).',
      `tfjs ${tf.version_core} in prod mode (tf.enableProdMode(): no debug checks). The wasm backend runs single-threaded in Node (WASM_HAS_MULTITHREAD_SUPPORT=${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}), SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'on' : 'off'}.`,
    ],
  };
}

// ---------------------------------------------------------------- (b) matmul

const MATMUL_SIZES = [128, 256, 512];
const MM_OPTS = { warmupMs: 50, sampleMs: 1, samples: 61, budgetMs: 600, minSamples: 21 };
/** tfjs-cpu's matmul is about 100 times slower: a few samples, timed on their own. */
const MM_SLOW_OPTS = { warmupMs: 0, sampleMs: 1, samples: 3, budgetMs: 0, minSamples: 3 };

async function matmul(): Promise<BenchTable> {
  const rows: BenchRow[] = [];
  const flops: Record<string, number> = {};
  const peers = ['raw ORT default', 'raw ORT threads=1', 'Session threads=0 (what-if)', 'tfjs-cpu', 'tfjs-wasm'];
  const notes: string[] = [];
  const dot = ndOps.dot;
  for (const n of MATMUL_SIZES) {
    const label = `${n}x${n} @ ${n}x${n}`;
    flops[label] = 2 * n * n * n;
    const xa = values(n * n, 10 + n);
    const xb = values(n * n, 20 + n);
    const row: BenchRow = { label, ours: null, peers: {} };
    const contenders: Contender[] = [];
    const slow: Contender[] = [];
    const bytes = oneNodeModel('MatMul', { a: [n, n], b: [n, n] }, [n, n]);
    // Raw onnxruntime-node with default session options (intra-op threads chosen by onnxruntime).
    const feeds = { a: new ort.Tensor('float32', xa, [n, n]), b: new ort.Tensor('float32', xb, [n, n]) };
    const raw = await ort.InferenceSession.create(bytes);
    const want = (await raw.run(feeds)).y!.data as Float32Array;
    contenders.push({ name: 'raw ORT default', async: true, fn: () => raw.run(feeds) });
    const raw1 = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    agree(`${label} raw ORT threads=1`, (await raw1.run(feeds)).y!.data as Float32Array, want, 1e-4);
    contenders.push({ name: 'raw ORT threads=1', async: true, fn: () => raw1.run(feeds) });
    // What eager would get from a default-threaded session through our synchronous wrapper.
    const s0 = Session.create(bytes, { threads: 0 });
    const hostFeeds = { a: f32([n, n], xa), b: f32([n, n], xb) };
    agree(`${label} Session threads=0`, s0.runSync(hostFeeds).y!.data as Float32Array, want, 1e-4);
    contenders.push({ name: 'Session threads=0 (what-if)', fn: () => s0.runSync(hostFeeds) });
    if (dot) {
      const a = nd.array(xa, { shape: [n, n] });
      const b = nd.array(xb, { shape: [n, n] });
      try {
        agree(`${label} nd.dot`, dot(a, b).data() as Float32Array, want, 1e-4);
        contenders.push({ name: 'ours', fn: () => dot(a, b) });
      } catch (e) {
        row.note = `nd.dot failed: ${String((e as Error).message).split('\n')[0]!.slice(0, 80)}`;
      }
    } else row.note = 'nd.dot not available yet';
    const tfTensors: tf.Tensor[] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      const before = () => tf.setBackend(backend);
      await useTf(backend);
      const ta = tf.tensor2d(xa, [n, n]);
      const tb = tf.tensor2d(xb, [n, n]);
      tfTensors.push(ta, tb);
      agree(`${label} tfjs-${backend}`, tf.tidy(() => tf.matMul(ta, tb).dataSync() as Float32Array), want, 1e-3);
      const c: Contender = {
        name: `tfjs-${backend}`,
        before,
        fn: () => {
          const t = tf.matMul(ta, tb);
          t.dataSync();
          t.dispose();
        },
      };
      if (backend === 'cpu') slow.push(c);
      else contenders.push(c);
    }
    const t = { ...(await compare(contenders, MM_OPTS)), ...(await compare(slow, MM_SLOW_OPTS)) };
    row.ours = t.ours;
    for (const p of peers) row.peers[p] = t[p];
    await raw.release();
    await raw1.release();
    s0.close();
    for (const [i, backend] of (['cpu', 'wasm'] as const).entries()) {
      await useTf(backend);
      tf.dispose(tfTensors.slice(2 * i, 2 * i + 2));
    }
    rows.push(row);
  }
  if (!dot) notes.push('ours is n/a: nd.dot is not in the operator list yet (compiler/ops/linalg.ts is being written).');
  notes.push(
    'ours: nd.dot(a, b) on float32 NDArrays (eager session path: cached one-node session, synchronous binding run, output materialized; one intra-op thread below THREADED_MIN_ELEMENTS input elements in all, the default thread count with spinning off from there, so 512x512 runs threaded).',
    "raw ORT default: ort.InferenceSession.create(bytes) from 'onnxruntime-node' with default options (onnxruntime picks the intra-op threads), `await session.run(feeds)` with feeds made once; raw ORT threads=1: the same with { intraOpNumThreads: 1 }.",
    'Session threads=0 (what-if): the same MatMul model through runtime/session.ts Session.create(bytes, { threads: 0 }).runSync — what the eager path would get if execute.ts let onnxruntime choose the thread count.',
    'tfjs: tf.matMul + dataSync() + dispose(); tfjs-cpu is timed after the others (3 samples), every other column of a row interleaved.',
  );
  return {
    title: '(b) float32 matmul throughput',
    unit: 'GFLOP/s',
    flops,
    peers,
    ratioPeers: ['raw ORT default', 'raw ORT threads=1', 'tfjs-cpu', 'tfjs-wasm'],
    rows,
    notes,
  };
}

// ---------------------------------------------------------------- (c) crossover

const SIZES = [16, 256, 512, 1024, 2048, 4096, 8192, 16384, 65536];
const X_OPTS = { warmupMs: 30, sampleMs: 0.5, samples: 41, budgetMs: 150, minSamples: 15 };

interface CrossCase {
  name: 'add' | 'relu';
  onnxOp: string;
  arity: number;
}

const CROSS: CrossCase[] = [
  { name: 'add', onnxOp: 'Add', arity: 2 },
  { name: 'relu', onnxOp: 'Relu', arity: 1 },
];

/** The smallest measured size from which the session is faster at every larger size, or undefined. */
function crossover(points: { size: number; kernel: Timing; session: Timing }[]): number | undefined {
  let from: number | undefined;
  for (const p of points) {
    if (p.session.median < p.kernel.median) from ??= p.size;
    else from = undefined;
  }
  return from;
}

async function kernelVsSession(): Promise<BenchTable> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const old = setKernelThreshold(KERNEL_MAX_ELEMENTS);
  try {
    for (const c of CROSS) {
      const op = ndOps[c.name]!;
      const points: { size: number; kernel: Timing; session: Timing }[] = [];
      const model = oneNodeModel(c.onnxOp, Object.fromEntries(Array.from({ length: c.arity }, (_x, i) => [`x${i}`, ['n']])), ['n']);
      const s1 = Session.create(model, { threads: 1 });
      const s0 = Session.create(model, { threads: 0 });
      for (const size of SIZES) {
        const xs = Array.from({ length: c.arity }, (_x, i) => values(size, 100 + i));
        const arrays = xs.map((x) => nd.array(x));
        const call = () => op(...arrays);
        setKernelThreshold(Infinity);
        const viaKernel = call().data() as Float32Array;
        setKernelThreshold(0);
        const viaSession = call().data() as Float32Array;
        agree(`${c.name} ${size} kernel vs session`, viaKernel, viaSession, 1e-6);
        const feeds = Object.fromEntries(xs.map((x, i) => [`x${i}`, f32([size], x)]));
        const t = await compare(
          [
            { name: 'kernel', before: () => setKernelThreshold(Infinity), fn: call },
            { name: 'session', before: () => setKernelThreshold(0), fn: call },
            { name: 'direct1', fn: () => s1.runSync(feeds) },
            { name: 'direct0', fn: () => s0.runSync(feeds) },
          ],
          X_OPTS,
        );
        setKernelThreshold(KERNEL_MAX_ELEMENTS);
        const kernel = t.kernel!;
        const session = t.session!;
        points.push({ size, kernel, session });
        rows.push({
          label: `${c.name} [${size}]`,
          ours: kernel,
          peers: { session, 'Session threads=1 (direct)': t.direct1, 'Session threads=0 (what-if)': t.direct0 },
          note: session.median < kernel.median ? 'session faster' : 'kernel faster',
        });
      }
      s1.close();
      s0.close();
      const from = crossover(points);
      const lastKernel = [...points].reverse().find((p) => p.kernel.median <= p.session.median)?.size;
      notes.push(
        from === undefined
          ? `${c.name}: the kernel is faster at every measured size (up to ${SIZES.at(-1)} elements).`
          : `${c.name}: the session is faster from ${from} elements on${lastKernel !== undefined ? ` (the kernel still wins at ${lastKernel})` : ' (at every measured size)'}; KERNEL_MAX_ELEMENTS is ${KERNEL_MAX_ELEMENTS}.`,
      );
    }
  } finally {
    setKernelThreshold(old);
  }
  notes.push(
    'kernel: nd.<op> with setKernelThreshold(Infinity) (the TypeScript kernel); session: nd.<op> with setKernelThreshold(0) (the cached one-node session, intraOpNumThreads 1, synchronous run). Both include the full nd call (argument parsing, type rule, result NDArray).',
    'Session threads=1/threads=0 (direct): the same one-node model called through runtime/session.ts runSync without the nd front end, with 1 intra-op thread (as eager does now) and with onnxruntime choosing (what-if).',
  );
  return {
    title: '(c) eager kernel/session crossover (float32, 1-D)',
    unit: 'us',
    oursLabel: 'kernel',
    peers: ['session', 'Session threads=1 (direct)', 'Session threads=0 (what-if)'],
    ratioPeers: ['session'],
    rows,
    notes,
  };
}

/** Runs the three eager benchmarks (about 25 s on a 2-core machine). */
export async function run(): Promise<BenchTable[]> {
  tf.enableProdMode();
  const tables: BenchTable[] = [];
  tables.push(await tinyOps());
  tables.push(await matmul());
  tables.push(await kernelVsSession());
  tables.push(await eagerTraining());
  return tables;
}

