/**
 * Autoregressive generation for a GPT (models/gpt.ts): greedy decoding and
 * top-k / temperature sampling, one token per step for a whole batch of
 * prompts. The per-token step is compiled: either the hybridized net
 * (`netStep`: a hybridized block returning the last position's logits, one
 * compiled session per length, cached) or an exported artifact with a
 * symbolic length (`artifactStep`: one onnxruntime session for every
 * length). There is no KV cache: each step reruns the prefix, which for the
 * short sequences of the adder costs little.
 */
import { gluon, nd } from 'gluonc';
import type { Model } from 'gluonc/runtime';
import { seededRandom } from './addition-data.js';

/** Next-token logits: given token ids [n, t] (row-major), the logits [n, vocab] at position t-1. */
export type NextLogits = (tokens: Int32Array, n: number, t: number) => Float32Array | Promise<Float32Array>;

/** Options of `generate`. */
export interface GenerateOptions {
  /** Tokens to append to every prompt. */
  maxNew: number;
  /** Sampling temperature (> 0); absent or with `topK` absent and `sample` false: greedy (argmax). */
  temperature?: number;
  /** Sample among the `topK` most likely tokens only (1: greedy). */
  topK?: number;
  /** Sample (from the tempered, top-k-restricted distribution) instead of taking the argmax (default false). */
  sample?: boolean;
  /** Seed of the sampler (default 0). */
  seed?: number;
}

/** A block computing [N, T, vocab] logits, as models/gpt.ts's GPT. */
type LogitsBlock = InstanceType<typeof gluon.HybridBlock>;

/** Wraps a GPT so that the compiled graph returns the last position's logits only. */
class LastLogits extends gluon.HybridBlock {
  constructor(readonly net: LogitsBlock) {
    super();
  }

  override hybridForward(F: gluon.F, tokens: gluon.Tensor): gluon.Tensor {
    const logits = this.net.call(tokens) as gluon.Tensor; // [N, T, V]
    return F.reshape(F.sliceAxis(logits, { axis: 1, begin: -1, end: null }), [0, -1]);
  }
}

/**
 * The compiled per-token step of a GPT block: a hybridized wrapper that
 * returns the last position's logits (compiled once per [n, t], reused).
 *
 * ```ts
 * const step = netStep(net);
 * const out = await generate(step, prompts, 4, 8, { maxNew: 4 });
 * ```
 */
export function netStep(net: LogitsBlock): NextLogits {
  const last = new LastLogits(net);
  last.hybridize();
  return (tokens, n, t) => {
    const y = last.call(nd.array(tokens, { shape: [n, t], dtype: 'int32' })) as nd.NDArray;
    return y.data() as Float32Array;
  };
}

/**
 * The per-token step of an exported GPT artifact (input `tokens` [N, T]
 * int32, first output [N, T, vocab]); one session serves every length.
 *
 * ```ts
 * const model = await loadModel('gpt.onnx');
 * const out = await generate(artifactStep(model), prompts, 4, 8, { maxNew: 4 });
 * ```
 */
export function artifactStep(model: Model): NextLogits {
  const input = model.inputs[0]?.name ?? 'tokens';
  return async (tokens, n, t) => {
    const out = await model.run({ [input]: { data: tokens, shape: [n, t] } });
    const y = Object.values(out)[0]!;
    const vocab = y.shape[2]!;
    const data = y.data as Float32Array;
    const last = new Float32Array(n * vocab);
    for (let i = 0; i < n; i++) last.set(data.subarray((i * t + t - 1) * vocab, (i * t + t) * vocab), i * vocab);
    return last;
  };
}

/**
 * The index chosen from one row of logits: the argmax (greedy), or a draw
 * from `softmax(logits / temperature)` restricted to the `topK` largest.
 *
 * ```ts
 * chooseToken(new Float32Array([0, 3, 1]), {}, Math.random); // 1
 * ```
 */
export function chooseToken(logits: ArrayLike<number>, o: Pick<GenerateOptions, 'temperature' | 'topK' | 'sample'>, rand: () => number): number {
  const v = logits.length;
  const order = Array.from({ length: v }, (_x, i) => i).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const k = Math.min(v, o.topK ?? v);
  if (!o.sample || k === 1) return order[0]!;
  const temperature = o.temperature ?? 1;
  const top = order.slice(0, k);
  const max = logits[top[0]!]!;
  const w = top.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = w.reduce((s, x) => s + x, 0);
  let r = rand() * total;
  for (let j = 0; j < k; j++) {
    r -= w[j]!;
    if (r < 0) return top[j]!;
  }
  return top[k - 1]!;
}

/**
 * Appends `maxNew` tokens to each of `n` prompts of length `t` (row-major
 * `prompts`, [n, t]); returns the sequences [n, t + maxNew].
 *
 * ```ts
 * const seqs = await generate(netStep(net), prompts, 2, 8, { maxNew: 4 });                        // greedy
 * const drawn = await generate(netStep(net), prompts, 2, 8, { maxNew: 4, sample: true, topK: 3, temperature: 0.8, seed: 1 });
 * ```
 */
export async function generate(step: NextLogits, prompts: Int32Array, n: number, t: number, o: GenerateOptions): Promise<Int32Array> {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(t) || t < 1) throw new Error(`generate: n and t must be positive integers, got n=${n}, t=${t}`);
  if (prompts.length !== n * t) throw new Error(`generate: ${prompts.length} prompt tokens do not make [${n}, ${t}]`);
  if (!Number.isInteger(o.maxNew) || o.maxNew < 0) throw new Error(`generate: maxNew must be a non-negative integer, got ${o.maxNew}`);
  if (o.temperature !== undefined && !(o.temperature > 0)) throw new Error(`generate: temperature must be > 0, got ${o.temperature}`);
  if (o.topK !== undefined && (!Number.isInteger(o.topK) || o.topK < 1)) throw new Error(`generate: topK must be a positive integer, got ${o.topK}`);
  const rand = seededRandom(o.seed ?? 0);
  let cur = prompts;
  for (let len = t; len < t + o.maxNew; len++) {
    const logits = await step(cur, n, len);
    const vocab = logits.length / n;
    const next = new Int32Array(n * (len + 1));
    for (let i = 0; i < n; i++) {
      next.set(cur.subarray(i * len, (i + 1) * len), i * (len + 1));
      next[i * (len + 1) + len] = chooseToken(logits.subarray(i * vocab, (i + 1) * vocab), o, rand);
    }
    cur = next;
  }
  return cur;
}
