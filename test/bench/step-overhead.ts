/**
 * Where the fused training step's time goes outside the native run (a
 * diagnostic, not part of `npm run bench`; issue 14). It builds the MNIST
 * MLP (models/mlp.ts) + SoftmaxCrossEntropyLoss + Trainer('sgd', lr 0.1,
 * momentum 0.9) at batch 64 with `setStepThreads(1)`, and times, in one
 * process, blocks of 200 steps alternating between
 * - ours: `autograd.record` + `backward` + `trainer.step` (the fused step);
 * - bare: the same session of the same step graph run by
 *   `Session.runSync` in a plain loop, its new weights (and states, or the
 *   previous weights that stand for increment states) fed back.
 * Mode `phases` (the default) splits each contender's step into the native
 * run (the session's `runSync`) and everything outside it, and counts V8's
 * collections by contender (a
 * collection lands in whichever JavaScript runs when V8 takes it). Mode
 * `stub` replaces the native run by one returning fresh output records over
 * fixed data, so only JavaScript is left: the fastest block's µs per step
 * and the heap bytes allocated per step (run it with a large young
 * generation and `--expose-gc`, so that a full collection before and none
 * during the 1000 steps counted leave only what they allocated).
 *
 * ```sh
 * node --conditions=gluonc-source --import tsx test/bench/step-overhead.ts phases
 * node --expose-gc --min-semi-space-size=256 --max-semi-space-size=256 --conditions=gluonc-source --import tsx test/bench/step-overhead.ts stub
 * ```
 */
import v8 from 'node:v8';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { autograd, gluon, init, nd, random } from 'gluonc';
import build from '../../models/mlp.js';
import { fusedRunners, setStepThreads } from '../../compiler/engine/program.js';
import type { HostTensor } from '../../runtime/tensor.js';

const BATCH = 64;
const BLOCK = 200;

/** Our step and the bare loop over the same session, ready to time. Example: `const { ours, bare } = setup(); ours(); bare();`. */
export function setup(): { ours: () => void; bare: () => void; session: ReturnType<typeof fusedRunners>[number]['session'] } {
  random.seed(1);
  const data = Array.from({ length: 16 }, (_v, i) => ({
    x: nd.array(Float32Array.from({ length: BATCH * 784 }, (_u, j) => Math.sin(i * 7 + j) * 0.5 + 0.5), { shape: [BATCH, 784] }),
    y: nd.array(Float32Array.from({ length: BATCH }, (_u, j) => (i + j * 3) % 10)),
  }));
  setStepThreads(1);
  const net = build();
  net.initialize(new init.Xavier());
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
  let k = 0;
  const ours = (): void => {
    const b = data[k++ % data.length]!;
    const l = autograd.record(() => loss.call(net.call(b.x), b.y)) as nd.NDArray;
    l.backward();
    trainer.step(BATCH);
  };
  for (let i = 0; i < 3; i++) ours();
  const session = fusedRunners().slice(-1)[0]!.session;
  // One step's feeds, copied as the session sees them: the bare loop starts from there.
  const run = session.runSync.bind(session);
  let fed: Record<string, HostTensor> = {};
  Object.assign(session, { runSync: (f: Record<string, HostTensor>) => ((fed = { ...f }), run(f)) });
  ours();
  Reflect.deleteProperty(session, 'runSync');
  // New weights (weightI) feed pI, new states (new_stateI_K) feed stateI_K.
  const back = session.outputs.flatMap(({ name }): [string, string][] => {
    const w = /^weight(\d+)$/.exec(name);
    const st = /^new_state(\d+_\d+)$/.exec(name);
    return w ? [[name, `p${w[1]}`]] : st ? [[name, `state${st[1]}`]] : [];
  });
  const prevOf: Record<string, string> = Object.fromEntries(session.inputs.flatMap(({ name }) => (/^prev\d+$/.test(name) ? [[`p${name.slice(4)}`, name]] : [])));
  let kb = 0;
  const bare = (): void => {
    const b = data[kb++ % data.length]!;
    fed['x0'] = b.x._host;
    fed['x1'] = b.y._host;
    const out = session.runSync(fed);
    for (const [o, f] of back) {
      // An increment state (SGD momentum) is fed as the previous weight (compiler/engine/step-feeds.ts).
      if (f in prevOf) fed[prevOf[f]!] = fed[f]!;
      fed[f] = out[o]!;
    }
  };
  return { ours, bare, session };
}

function phases(rounds: number): void {
  const { ours, bare, session } = setup();
  let inRun = 0;
  const run = session.runSync.bind(session);
  Object.assign(session, { runSync: (f: Record<string, HostTensor>) => { const t0 = performance.now(); const o = run(f); inRun += performance.now() - t0; return o; } });
  const t = { stepOutside: 0, run: 0, bare: 0, bareRun: 0 };
  const oursBlock = (): void => {
    for (let i = 0; i < BLOCK; i++) {
      inRun = 0;
      const t0 = performance.now();
      ours();
      t.run += inRun;
      t.stepOutside += performance.now() - t0 - inRun;
    }
  };
  const bareBlock = (): void => {
    for (let i = 0; i < BLOCK; i++) {
      inRun = 0;
      const t0 = performance.now();
      bare();
      t.bare += performance.now() - t0;
      t.bareRun += inRun;
    }
  };
  const warm = performance.now();
  while (performance.now() - warm < 2000) (oursBlock(), bareBlock());
  for (const key of Object.keys(t) as (keyof typeof t)[]) t[key] = 0;
  const windows: [string, number, number][] = [];
  const gcs: { at: number; ms: number; kind: number }[] = [];
  const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => gcs.push({ at: e.startTime, ms: e.duration, kind: (e as PerformanceEntry & { detail: { kind: number } }).detail.kind })));
  obs.observe({ entryTypes: ['gc'] });
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of (r % 2 ? [['bare', bareBlock], ['ours', oursBlock]] : [['ours', oursBlock], ['bare', bareBlock]]) as [string, () => void][]) {
      const t0 = performance.now();
      f();
      windows.push([name, t0, performance.now()]);
    }
  }
  setTimeout(() => {
    obs.disconnect();
    const steps = rounds * BLOCK;
    const us = (ms: number): string => `${((ms / steps) * 1000).toFixed(1)} us`;
    console.log(`ours per step: outside the native run ${us(t.stepOutside)}, native run ${us(t.run)}, total ${us(t.stepOutside + t.run)}`);
    console.log(`bare per step: outside the native run ${us(t.bare - t.bareRun)}, native run ${us(t.bareRun)}, total ${us(t.bare)}`);
    console.log(`bare / ours = ${(t.bare / (t.stepOutside + t.run)).toFixed(3)}`);
    const kinds: Record<number, string> = { 1: 'scavenge', 2: 'minor mark-sweep', 4: 'mark-compact', 8: 'incremental marking', 16: 'weak callbacks' };
    for (const name of ['ours', 'bare']) {
      const by = new Map<string, [number, number]>();
      for (const g of gcs) {
        if (!windows.some(([n, a, b]) => n === name && g.at >= a && g.at < b)) continue;
        const e = by.get(kinds[g.kind] ?? String(g.kind)) ?? [0, 0];
        by.set(kinds[g.kind] ?? String(g.kind), [e[0] + 1, e[1] + g.ms]);
      }
      console.log(`${name} collections: ${[...by].map(([k, [n, ms]]) => `${k} ${n} (${us(ms)} per step)`).join(', ')}`);
    }
  }, 20);
}

function stub(): void {
  const { ours, bare, session } = setup();
  // The native run returns fresh output records (what the binding hands back) over one run's data.
  const native = Reflect.get(session, 'native') as { run: (...a: unknown[]) => Record<string, { type: string; data: unknown; dims: number[]; constructor: new (...a: unknown[]) => unknown }> };
  let fixed: ReturnType<typeof native.run> = {};
  Reflect.set(session, 'native', { dispose: () => {}, run: (...a: unknown[]) => (fixed = native.run(...a)) });
  bare();
  Reflect.set(session, 'native', {
    dispose: () => {},
    run: () => Object.fromEntries(Object.entries(fixed).map(([k, t]) => [k, new t.constructor(t.type, t.data, t.dims)])),
  });
  const best: Record<string, number> = { ours: Infinity, bare: Infinity };
  for (let r = 0; r < 40; r++) {
    for (const [name, f] of [['ours', ours], ['bare', bare]] as [string, () => void][]) {
      const t0 = performance.now();
      for (let i = 0; i < 2000; i++) f();
      if (r >= 2) best[name] = Math.min(best[name]!, ((performance.now() - t0) / 2000) * 1000);
    }
  }
  const bytes: Record<string, number> = {};
  for (const [name, f] of [['ours', ours], ['bare', bare]] as [string, () => void][]) {
    (globalThis as { gc?: () => void }).gc?.();
    const h0 = v8.getHeapStatistics().used_heap_size;
    for (let i = 0; i < 1000; i++) f();
    bytes[name] = (v8.getHeapStatistics().used_heap_size - h0) / 1000;
  }
  console.log(`native run stubbed, fastest block: ours ${best['ours']!.toFixed(2)} us per step, bare ${best['bare']!.toFixed(2)} us (ours - bare ${(best['ours']! - best['bare']!).toFixed(2)} us)`);
  console.log(`heap allocated per step: ours ${Math.round(bytes['ours']!)} bytes, bare ${Math.round(bytes['bare']!)} bytes`);
}

if (process.argv[1]?.endsWith('step-overhead.ts')) {
  if (process.argv[2] === 'stub') stub();
  else phases(Number(process.argv[3] ?? 20));
}
