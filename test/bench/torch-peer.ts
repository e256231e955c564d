/**
 * PyTorch as a benchmark peer: one long-lived `python3` child
 * (torch-peer.py) that trains the same model from the same weights on the
 * same batches with the same optimizer (SGD with momentum, mean softmax
 * cross-entropy) and times its eager steps itself (perf_counter around the
 * steps, so the pipe to it costs nothing). The same peer serves the fused-step
 * benchmarks and the eager-step one: PyTorch's side of both is its eager step.
 * Invariant: nothing is timed before `agree`-style checks by the caller; a
 * machine without torch gets `null` from `startTorch` and the benchmark
 * prints TORCH_SKIPPED instead.
 *
 * ```ts
 * const torch = await startTorch();
 * if (torch) {
 *   await torch.setup({ model: 'mlp', params, batches, xShape: [64, 784], lr: 0.1, momentum: 0.9 });
 *   const loss = await torch.step();
 *   contenders.push(torch.contender('PyTorch 1 thread', 1));
 * }
 * ```
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Contender } from './harness.js';

/** What a benchmark prints when PyTorch is not there. Example: `notes.push(torch ? line : TORCH_SKIPPED)`. */
export const TORCH_SKIPPED = 'PyTorch: skipped (python3 cannot import torch)';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch-peer.py');

/** The model, weights (in our layouts: Dense [out, in], Conv OIHW), batches and optimizer PyTorch trains. Example: `{ model: 'mlp', params, batches, xShape: [64, 784], lr: 0.1, momentum: 0.9 }`. */
export interface TorchSetup {
  /** `mlp` (Dense layers with ReLU between; sizes from the weights) or `lenet` (models/lenet.ts). */
  model: 'mlp' | 'lenet';
  /** Every parameter in the order of our `collectParams()` (weight, bias per layer). */
  params: { name: string; shape: number[]; data: Float32Array }[];
  /** The batches: images of shape `xShape`, class indices of shape [xShape[0]] (as floats). */
  batches: { x: Float32Array; y: Float32Array }[];
  xShape: number[];
  lr: number;
  momentum: number;
}

/** A running PyTorch peer (see the module comment). Example: `const loss = await peer.step(1, 2)`. */
export interface TorchPeer {
  /** The torch version string. */
  readonly version: string;
  /** Loads the model, weights and batches (replacing any earlier setup); the optimizer starts fresh. */
  setup(s: TorchSetup): Promise<void>;
  /** Runs `n` steps on the next batches at `threads` intra-op threads; resolves with the last step's mean loss. */
  step(n?: number, threads?: number): Promise<number>;
  /** Runs `n` steps; resolves with the seconds they took, measured inside python. */
  time(n: number, threads: number): Promise<number>;
  /** The current parameters, in setup order. */
  params(): Promise<Float32Array[]>;
  /** A harness contender timing this peer's steps at `threads` threads (python's own clock). */
  contender(name: string, threads: number): Contender;
  /** Ends the child process. */
  close(): void;
}

class Peer implements TorchPeer {
  version = '';
  private readonly waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-torch-'));
  private exited: Error | null = null;
  private stderr = '';
  private paramCount = 0;

  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (!w) return;
      try {
        const r = JSON.parse(line) as { ok?: unknown; error?: string };
        if (r.error !== undefined) w.reject(new Error(`PyTorch peer: ${r.error}`));
        else w.resolve(r.ok);
      } catch {
        w.reject(new Error(`PyTorch peer: unexpected output '${line.slice(0, 200)}'`));
      }
    });
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    child.on('exit', (code) => {
      this.exited = new Error(`PyTorch peer exited (code ${code}): ${this.stderr.trim().split('\n').pop() ?? ''}`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    });
    child.on('error', (e) => {
      this.exited = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    });
  }

  send(cmd: Record<string, unknown>): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  async setup(s: TorchSetup): Promise<void> {
    s.params.forEach((p, i) => writeFileSync(path.join(this.dir, `${i}.param`), bytes(p.data)));
    const per = s.xShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(s.batches.length * per);
    const y = new Float32Array(s.batches.length * s.xShape[0]!);
    s.batches.forEach((b, i) => {
      if (b.x.length !== per || b.y.length !== s.xShape[0]) throw new Error(`torch peer: batch ${i} does not match x shape [${s.xShape}]`);
      x.set(b.x, i * per);
      y.set(b.y, i * s.xShape[0]!);
    });
    writeFileSync(path.join(this.dir, 'x.bin'), bytes(x));
    writeFileSync(path.join(this.dir, 'y.bin'), bytes(y));
    this.paramCount = s.params.length;
    await this.send({ cmd: 'setup', model: s.model, dir: this.dir, params: s.params.map((p) => [p.name, p.shape]), x_shape: s.xShape, batches: s.batches.length, lr: s.lr, momentum: s.momentum });
  }

  async step(n = 1, threads?: number): Promise<number> {
    return (await this.send({ cmd: 'step', n, threads })) as number;
  }

  async time(n: number, threads: number): Promise<number> {
    return (await this.send({ cmd: 'time', n, threads })) as number;
  }

  async params(): Promise<Float32Array[]> {
    await this.send({ cmd: 'params', dir: this.dir });
    return Array.from({ length: this.paramCount }, (_v, i) => {
      const b = readFileSync(path.join(this.dir, `${i}.out`));
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    });
  }

  contender(name: string, threads: number): Contender {
    return { name, fn: () => this.step(1, threads), async: true, measure: (iters) => this.time(iters, threads) };
  }

  close(): void {
    if (!this.exited) this.child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Starts the PyTorch peer, or resolves with null when `python3` cannot
 * import torch (the caller prints TORCH_SKIPPED). `GLUONC_BENCH_NO_TORCH=1`
 * skips it on purpose.
 *
 * ```ts
 * const torch = await startTorch();
 * ```
 */
export async function startTorch(): Promise<TorchPeer | null> {
  if (process.env['GLUONC_BENCH_NO_TORCH'] === '1') return null;
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn('python3', ['-u', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
  const peer = new Peer(child);
  try {
    const v = (await peer.send({ cmd: 'version' })) as { torch: string };
    peer.version = v.torch;
    return peer;
  } catch {
    peer.close();
    return null;
  }
}
