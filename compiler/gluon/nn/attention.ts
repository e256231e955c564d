/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017; d2l.ai
 * chapter 11; `torch.nn.MultiheadAttention`'s arithmetic):
 * `out = concat_h(softmax(q_h·k_hᵀ / sqrt(d)) · v_h) · W_oᵀ + b_o` with
 * `q = query·W_qᵀ + b_q` (likewise k, v), `d = units / numHeads`.
 * Invariants: the parameters are this block's own (MXNet-style names
 * `query_weight` … `out_bias`, properties `queryWeight` … `outBias`); the
 * batch and sequence dimensions stay symbolic when traced (reshapes use
 * MXNet's copy code 0, never the input's dimensions); the mask goes through
 * `F.maskedSoftmax`, so a query with no key to attend gives 0, not NaN.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { optionKeys } from '../../../runtime/check-options.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { HybridBlock } from '../hybrid.js';
import { Zero, type Initializer } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { boolOption, layerError, shapeText } from './basic.js';
import { plainShape } from '../../ops/symbolic-dim.js';

/** Options of MultiHeadAttention. */
export interface MultiHeadAttentionOptions {
  /** Dropout on the attention weights in training mode (default 0). */
  dropout?: number;
  /** Learn the four biases (default true). */
  useBias?: boolean;
  /** Features of query, key and value; default `units`; 0 infers each from its input at the first call. */
  inUnits?: number;
  /** The parameters' dtype (default float32). */
  dtype?: DType;
  weightInitializer?: Initializer;
  biasInitializer?: Initializer;
}

type Dim = number | string;

/** True unless two dimensions are known to differ (symbolic names are checked when the graph runs). */
function agree(a: Dim, b: Dim): boolean {
  return a === b || typeof a === 'string' || typeof b === 'string';
}

/** True when dimension `m` of a mask may broadcast against `d`. */
function broadcasts(m: Dim, d: Dim): boolean {
  return m === 1 || agree(m, d);
}

/**
 * Checks that `mask` broadcasts to `target` = `[N, Tq, Tk]` (numpy rules, at
 * most rank 3); the error names the block and both shapes.
 *
 * ```ts
 * checkAttentionMask(this, mask, [N, T, T]);
 * ```
 */
export function checkAttentionMask(block: HybridBlock, mask: Tensor, target: readonly Dim[]): void {
  const ms = plainShape(mask.shape);
  const r = ms.length;
  const ok = r <= 3 && ms.every((d, i) => broadcasts(d, target[3 - r + i]!));
  if (!ok) throw layerError(block, `the mask of shape ${shapeText(ms)} does not broadcast to [batch, query length, key length] = ${shapeText(target)}`);
}

/**
 * The lower-triangular (causal) mask `[T, T]` of a sequence `x` (`[N, T, ...]`),
 * built inside the graph from `x`'s length, so `T` stays symbolic when traced:
 * query `i` attends to keys `0..i`.
 *
 * ```ts
 * const mask = causalMask(F, x); // [[1, 0, 0], [1, 1, 0], [1, 1, 1]] for T = 3
 * ```
 */
export function causalMask(F: F, x: Tensor): Tensor {
  const t = F.shapeArray(x, { axis: 1 });
  return F.tril(F.ones([t, t]));
}

/**
 * `mask` combined with a causal mask of `x` (either may be absent), as a
 * float32 mask broadcastable to `[N, T, T]`; `undefined` when neither is given.
 *
 * ```ts
 * const m = combineMasks(F, this, x, userMask, this.causal);
 * ```
 */
export function combineMasks(F: F, block: HybridBlock, x: Tensor, mask: Tensor | undefined, causal: boolean): Tensor | undefined {
  const xs = plainShape(x.shape);
  if (mask !== undefined) checkAttentionMask(block, mask, [xs[0]!, xs[1]!, xs[1]!]);
  if (!causal) return mask;
  const c = causalMask(F, x);
  if (mask === undefined) return c;
  return F.mul(c, mask.dtype === 'float32' ? mask : F.cast(mask, 'float32'));
}

/** The options `MultiHeadAttention` accepts. */
export const ATTENTION_OPTIONS = optionKeys<MultiHeadAttentionOptions>({ dropout: true, useBias: true, inUnits: true, dtype: true, weightInitializer: true, biasInitializer: true });

/**
 * Multi-head attention with a learned projection of query, key, value and
 * output (each weight `[units, units]`, applied as `x·Wᵀ` like `Dense`).
 * Called as `att.call(query, key, value, mask?)`: query `[N, Tq, inUnits]`,
 * key and value `[N, Tk, inUnits]`, mask (any dtype, 1 = attend) broadcastable
 * to `[N, Tq, Tk]`; returns `[N, Tq, units]`.
 *
 * ```ts
 * const att = new nn.MultiHeadAttention(64, 4, { dropout: 0.1 }); // or ({ units: 64, numHeads: 4, dropout: 0.1 })
 * att.initialize();
 * const y = att.call(x, x, x, nd.tril(nd.ones([T, T]))); // causal self-attention
 * ```
 */
export class MultiHeadAttention extends HybridBlock {
  readonly units: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly queryWeight: Parameter;
  readonly keyWeight: Parameter;
  readonly valueWeight: Parameter;
  readonly outWeight: Parameter;
  readonly queryBias: Parameter | null;
  readonly keyBias: Parameter | null;
  readonly valueBias: Parameter | null;
  readonly outBias: Parameter | null;

  constructor(...args: KwArgs<['units', 'numHeads'], [units: number, numHeads: number], MultiHeadAttentionOptions>) {
    super();
    const [[units, numHeads], options] = bindArgs<[number, number], MultiHeadAttentionOptions>('MultiHeadAttention', ['units', 'numHeads'], args, ATTENTION_OPTIONS);
    if (!Number.isInteger(units) || units <= 0) throw new Error(`MultiHeadAttention: units must be a positive integer, got ${units}`);
    if (!Number.isInteger(numHeads) || numHeads <= 0) throw new Error(`MultiHeadAttention: numHeads must be a positive integer, got ${numHeads}`);
    if (units % numHeads !== 0) throw new Error(`MultiHeadAttention: units (${units}) must be divisible by numHeads (${numHeads})`);
    const dropout = options.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new Error(`MultiHeadAttention: dropout must be in [0, 1), got ${dropout}`);
    const inUnits = options.inUnits ?? units;
    if (!Number.isInteger(inUnits) || inUnits < 0) throw new Error(`MultiHeadAttention: inUnits must be a non-negative integer, got ${inUnits}`);
    this.units = units;
    this.numHeads = numHeads;
    this.dropout = dropout;
    const dtype = options.dtype ?? 'float32';
    const weight = (name: string, inDim: number) =>
      this.params.get(name, { shape: [units, inDim], dtype, init: options.weightInitializer, allowDeferredInit: true });
    const useBias = boolOption('MultiHeadAttention', 'useBias', options.useBias, true);
    const bias = (name: string) =>
      !useBias ? null : this.params.get(name, { shape: [units], dtype, init: options.biasInitializer ?? new Zero(), allowDeferredInit: true });
    this.queryWeight = weight('query_weight', inUnits);
    this.keyWeight = weight('key_weight', inUnits);
    this.valueWeight = weight('value_weight', inUnits);
    this.outWeight = weight('out_weight', units);
    this.queryBias = bias('query_bias');
    this.keyBias = bias('key_bias');
    this.valueBias = bias('value_bias');
    this.outBias = bias('out_bias');
  }

  override hybridForward(F: F, query: Tensor, ...rest: unknown[]): Tensor {
    const p = rest.pop() as Record<string, Tensor>;
    if (rest.length < 2 || rest.length > 3) {
      throw layerError(this, `expects call(query, key, value, mask?), got ${rest.length + 1} inputs`);
    }
    const [key, value, mask] = rest as [Tensor, Tensor, Tensor | undefined];
    const [N, Tq] = this.checkInputs(query, key, value);
    const Tk = plainShape(key.shape)[1]!;
    const H = this.numHeads;
    const d = this.units / H;
    const project = (x: Tensor, w: string, b: string): Tensor => {
      const opts = { numHidden: this.units, noBias: !p[b], flatten: false };
      return p[b] ? F.FullyConnected(x, p[w]!, p[b]!, opts) : F.FullyConnected(x, p[w]!, opts);
    };
    // [N, T, units] -> [N, H, T, d]
    const heads = (x: Tensor): Tensor => F.transpose(F.reshape(x, [0, 0, H, d]), [0, 2, 1, 3]);
    const q = heads(F.mul(project(query, 'query_weight', 'query_bias'), 1 / Math.sqrt(d)));
    const k = heads(project(key, 'key_weight', 'key_bias'));
    const v = heads(project(value, 'value_weight', 'value_bias'));
    const scores = F.batchDot(q, k, { transposeB: true }); // [N, H, Tq, Tk]
    let weights = mask === undefined
      ? F.softmax(scores, { axis: -1 })
      : F.maskedSoftmax(scores, this.headMask(F, mask, [N, Tq, Tk]), { axis: -1 });
    if (this.dropout > 0) weights = F.Dropout(weights, { p: this.dropout });
    const ctx = F.reshape(F.transpose(F.batchDot(weights, v), [0, 2, 1, 3]), [0, 0, this.units]); // [N, Tq, units]
    return project(ctx, 'out_weight', 'out_bias');
  }

  /** The mask checked and given a head axis: `[N, 1, Tq, Tk]` for a rank-3 mask. */
  private headMask(F: F, mask: Tensor, target: Dim[]): Tensor {
    checkAttentionMask(this, mask, target);
    return mask.ndim === 3 ? F.expandDims(mask, 1) : mask;
  }

  /** Checks ranks, batch and lengths; returns `[N, Tq]`. */
  private checkInputs(query: Tensor, key: Tensor, value: Tensor): [Dim, Dim] {
    const all = `query ${shapeText(query.shape)}, key ${shapeText(key.shape)}, value ${shapeText(value.shape)}`;
    if (query.ndim !== 3 || key.ndim !== 3 || value.ndim !== 3) throw layerError(this, `query, key and value must have rank 3 ([batch, length, features]), got ${all}`);
    const [qs, ks, vs] = [query.shape, key.shape, value.shape].map(plainShape) as [Dim[], Dim[], Dim[]];
    if (!(agree(qs[0]!, ks[0]!) && agree(ks[0]!, vs[0]!) && agree(qs[0]!, vs[0]!))) throw layerError(this, `query, key and value must have the same batch size, got ${all}`);
    if (!agree(ks[1]!, vs[1]!)) throw layerError(this, `key and value must have the same length, got ${all}`);
    const w = [this.queryWeight, this.keyWeight, this.valueWeight];
    ['query', 'key', 'value'].forEach((name, i) => {
      const want = w[i]!.shape[1]!;
      const got = [qs, ks, vs][i]![2]!;
      if (want > 0 && !agree(got, want)) throw layerError(this, `${name} must have ${want} features on its last axis, got ${all}`);
    });
    return [qs[0]!, qs[1]!];
  }

  override toString(): string {
    return `MultiHeadAttention(${this.queryWeight.shape[1] || 'None'} -> ${this.units}, heads=${this.numHeads}, dropout=${this.dropout})`;
  }
}
