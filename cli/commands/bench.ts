/**
 * `gluonc bench <artifact.onnx> [--batch N] [--iterations N] [--warmup N]
 * [--threads N] [--device cpu|cuda]`: latency percentiles (p50, p90, p99)
 * and throughput of one session run on seeded random inputs (every
 * symbolic dimension = the batch size); sizes the artifact's constraints
 * refuse (a pooling kernel larger than a symbolic H at --batch 1) are
 * refused as `run` refuses them.
 */
import { checkFeeds, formatShape, randomFeeds } from '../../runtime/index.js';
import { checkDevice, openArtifactFile } from '../artifact.js';
import { asUserError, UserError } from '../errors.js';
import { progress } from '../progress.js';

/** Options of `bench`. */
export interface BenchFlags {
  batch: string;
  iterations: string;
  warmup: string;
  threads?: string;
  device: string;
}

/** What `bench` measured (milliseconds per run; samples per second). */
export interface BenchResult {
  batch: number;
  iterations: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  throughput: number;
}

function positive(flag: string, v: string, min = 1): number {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UserError(`bad ${flag} '${v}': expected an integer >= ${min}`);
  return Number(v);
}

/** The q-quantile of sorted values (nearest rank). */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Runs `bench`.
 *
 * ```ts
 * runBench('mlp.onnx', { batch: '32', iterations: '200', warmup: '10', device: 'cpu' }).p50;
 * ```
 */
export function runBench(artifact: string, flags: BenchFlags, log: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): BenchResult {
  const batch = positive('--batch', flags.batch);
  const iterations = positive('--iterations', flags.iterations);
  const warmup = positive('--warmup', flags.warmup, 0);
  const threads = flags.threads === undefined ? undefined : positive('--threads', flags.threads, 0);
  const { session, file } = openArtifactFile(artifact, checkDevice(flags.device), threads);
  try {
    const feeds = randomFeeds(session.inputs, { batch, seed: 0 });
    // Sizes the model's operators cannot take (the manifest's constraints) would time a run whose output is wrong: refused.
    asUserError('', () => checkFeeds(feeds, file.manifest?.inputs ?? session.inputs, `'${artifact}' at --batch ${batch} (every symbolic dimension)`, { constraints: file.manifest?.constraints }));
    const run = () => asUserError(`running '${artifact}' at batch ${batch}`, () => session.runSync(feeds));
    for (let i = 0; i < warmup; i++) run();
    const bar = progress('bench', iterations);
    const times: number[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        const t0 = process.hrtime.bigint();
        run();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (i % 16 === 0) bar.update(i);
      }
    } finally {
      bar.stop();
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((s, x) => s + x, 0) / times.length;
    const r: BenchResult = { batch, iterations, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), mean, throughput: (batch * 1000) / mean };
    const ms = (x: number) => `${x.toFixed(3)} ms`;
    const shapes = session.inputs.map((i) => `${i.name} ${formatShape(feeds[i.name]!.shape)}`).join(', ');
    log(`${artifact} on ${session.device}, batch ${batch} (${shapes}), ${iterations} runs after ${warmup} warm-up`);
    log(`latency  p50 ${ms(r.p50)}  p90 ${ms(r.p90)}  p99 ${ms(r.p99)}  mean ${ms(r.mean)}`);
    log(`throughput ${Math.round(r.throughput).toLocaleString('en-US')} samples/s`);
    return r;
  } finally {
    session.close();
  }
}
