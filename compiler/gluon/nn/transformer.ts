/**
 * Transformer encoder and decoder layers (Vaswani et al. 2017), with the
 * arithmetic of `torch.nn.TransformerEncoderLayer`/`TransformerDecoderLayer`
 * (d2l.ai's `TransformerEncoderBlock` is the post-norm case):
 * post-norm `x = norm(x + dropout(sublayer(x)))`, pre-norm
 * `x = x + dropout(sublayer(norm(x)))`; the feed-forward sublayer is
 * `ffn2(dropout(activation(ffn1(x))))`.
 * Invariants: child blocks are named `attention` (`selfAttention` and
 * `crossAttention` in the decoder), `ffn1`, `ffn2`, `norm1`, `norm2`
 * (`norm3`), so parameter names are e.g. `attention.query_weight`,
 * `ffn1.weight`, `norm1.gamma`; the causal mask is built inside the graph
 * from the input's length (symbolic when traced), never fed.
 */
import { optionKeys } from '../../../runtime/check-options.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { HybridBlock } from '../hybrid.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { checkAttentionMask, combineMasks, MultiHeadAttention } from './attention.js';
import { boolOption, layerError, shapeText } from './basic.js';
import { Dense } from './dense.js';
import { LayerNorm } from './norm.js';
import { plainShape } from '../../ops/symbolic-dim.js';

/** Options shared by the encoder and decoder layers. */
export interface TransformerLayerOptions {
  /** Dropout after each sublayer, inside the feed-forward sublayer and on the attention weights (default 0.1, as PyTorch). */
  dropout?: number;
  /** The feed-forward activation (default 'relu'; 'gelu' is the exact, erf-based one). */
  activation?: 'relu' | 'gelu';
  /** Normalize before each sublayer (GPT-2 style) instead of after the residual sum (default false). */
  preNorm?: boolean;
  /** LayerNorm's epsilon (default 1e-5). */
  layerNormEps?: number;
}

/** Options of TransformerEncoderLayer. */
export interface TransformerEncoderLayerOptions extends TransformerLayerOptions {
  /** Each position attends only to itself and earlier ones (a decoder-only/GPT block; default false). */
  causal?: boolean;
}

/** Options of TransformerDecoderLayer. */
export interface TransformerDecoderLayerOptions extends TransformerLayerOptions {
  /** Causal self-attention (default true). */
  causal?: boolean;
}

/** The options the transformer layers accept (encoder and decoder alike). */
export const TRANSFORMER_OPTIONS = optionKeys<TransformerEncoderLayerOptions & TransformerDecoderLayerOptions>({ dropout: true, activation: true, preNorm: true, layerNormEps: true, causal: true });

/**
 * The arguments of a transformer layer: `units`, `numHeads`, `hiddenSize`
 * positionally or by name, then options.
 *
 * ```ts
 * const a: TransformerArgs<TransformerLayerOptions> = [64, { numHeads: 4, hiddenSize: 256 }];
 * ```
 */
export type TransformerArgs<O> = KwArgs<['units', 'numHeads', 'hiddenSize'], [units: number, numHeads: number, hiddenSize: number], O>;

function checkConfig(name: string, units: number, numHeads: number, hiddenSize: number, o: TransformerLayerOptions): void {
  for (const [k, v] of [['units', units], ['numHeads', numHeads], ['hiddenSize', hiddenSize]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${k} must be a positive integer, got ${v}`);
  }
  if (units % numHeads !== 0) throw new Error(`${name}: units (${units}) must be divisible by numHeads (${numHeads})`);
  const act = o.activation ?? 'relu';
  if (act !== 'relu' && act !== 'gelu') throw new Error(`${name}: activation must be 'relu' or 'gelu', got ${JSON.stringify(act)}`);
  const p = o.dropout ?? 0.1;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`${name}: dropout must be in [0, 1), got ${p}`);
}

/** The shared parts: attention-free helpers for residual blocks and the feed-forward sublayer. */
abstract class TransformerLayerBase extends HybridBlock {
  readonly units: number;
  readonly numHeads: number;
  readonly hiddenSize: number;
  readonly dropout: number;
  readonly activation: 'relu' | 'gelu';
  readonly preNorm: boolean;
  readonly causal: boolean;
  /** LayerNorm's epsilon. */
  protected readonly layerNormEps: number;
  // Child fields are `declare`d and assigned in data-flow order (attention, ffn, norms): properties list children.
  declare ffn1: Dense;
  declare ffn2: Dense;

  constructor(args: readonly unknown[], causalDefault: boolean) {
    super();
    const [[units, numHeads, hiddenSize], o] = bindArgs<[number, number, number], TransformerEncoderLayerOptions>(new.target.name, ['units', 'numHeads', 'hiddenSize'], args, TRANSFORMER_OPTIONS);
    this.layerNormEps = o.layerNormEps ?? 1e-5;
    checkConfig(new.target.name, units, numHeads, hiddenSize, o);
    this.units = units;
    this.numHeads = numHeads;
    this.hiddenSize = hiddenSize;
    this.dropout = o.dropout ?? 0.1;
    this.activation = o.activation ?? 'relu';
    this.preNorm = boolOption(new.target.name, 'preNorm', o.preNorm, false);
    this.causal = boolOption(new.target.name, 'causal', o.causal, causalDefault);
  }

  protected makeFeedForward(): void {
    this.ffn1 = new Dense(this.hiddenSize, { flatten: false, inUnits: this.units });
    this.ffn2 = new Dense(this.units, { flatten: false, inUnits: this.hiddenSize });
  }

  protected drop(F: F, x: Tensor): Tensor {
    return this.dropout > 0 ? F.Dropout(x, { p: this.dropout }) : x;
  }

  /** `ffn2(dropout(activation(ffn1(x))))`. */
  protected feedForward(F: F, x: Tensor): Tensor {
    const h = this.ffn1.call(x) as Tensor;
    return this.ffn2.call(this.drop(F, this.activation === 'gelu' ? F.gelu(h) : F.relu(h))) as Tensor;
  }

  /** One residual sublayer, pre- or post-norm. */
  protected residual(F: F, x: Tensor, norm: LayerNorm, sub: (y: Tensor) => Tensor): Tensor {
    if (this.preNorm) return F.add(x, this.drop(F, sub(norm.call(x) as Tensor)));
    return norm.call(F.add(x, this.drop(F, sub(x)))) as Tensor;
  }

  protected checkInput(x: Tensor, what: string): void {
    const last = x.shape[x.ndim - 1];
    if (x.ndim !== 3 || (typeof last === 'number' && last !== this.units)) {
      throw layerError(this, `${what} must have shape [batch, length, ${this.units}], got ${shapeText(x.shape)}`);
    }
  }

  protected describe(): string {
    return `units=${this.units}, heads=${this.numHeads}, hidden=${this.hiddenSize}, dropout=${this.dropout}, activation=${this.activation}, preNorm=${this.preNorm}, causal=${this.causal}`;
  }
}

/**
 * One transformer encoder layer: self-attention, then a position-wise
 * feed-forward network, each with a residual connection and LayerNorm.
 * Called as `layer.call(x, mask?)` with x `[N, T, units]` and a mask
 * broadcastable to `[N, T, T]` (1 = attend; e.g. `[N, 1, T]` for key
 * padding); with `causal: true` a lower-triangular mask is built inside the
 * graph (and combined with the given one), which makes it a decoder-only
 * (GPT) block.
 *
 * ```ts
 * const layer = new nn.TransformerEncoderLayer(64, 4, 256, { dropout: 0.1, activation: 'gelu', preNorm: true, causal: true });
 * layer.initialize();
 * layer.call(nd.random.normal(0, 1, [2, 10, 64])).shape; // [2, 10, 64]
 * ```
 */
export class TransformerEncoderLayer extends TransformerLayerBase {
  declare readonly attention: MultiHeadAttention;
  declare readonly norm1: LayerNorm;
  declare readonly norm2: LayerNorm;

  constructor(...args: TransformerArgs<TransformerEncoderLayerOptions>) {
    super(args, false);
    const [units, numHeads, eps] = [this.units, this.numHeads, this.layerNormEps];
    this.attention = new MultiHeadAttention(units, numHeads, { dropout: this.dropout });
    this.makeFeedForward();
    this.norm1 = new LayerNorm({ inChannels: units, epsilon: eps });
    this.norm2 = new LayerNorm({ inChannels: units, epsilon: eps });
  }

  override hybridForward(F: F, x: Tensor, ...rest: unknown[]): Tensor {
    rest.pop(); // own parameters (none)
    if (rest.length > 1) throw layerError(this, `expects call(x, mask?), got ${rest.length + 1} inputs`);
    this.checkInput(x, 'the input');
    const mask = combineMasks(F, this, x, rest[0] as Tensor | undefined, this.causal);
    const att = (y: Tensor) => (mask === undefined ? this.attention.call(y, y, y) : this.attention.call(y, y, y, mask)) as Tensor;
    const h = this.residual(F, x, this.norm1, att);
    return this.residual(F, h, this.norm2, (y) => this.feedForward(F, y));
  }

  override toString(): string {
    return `TransformerEncoderLayer(${this.describe()})`;
  }
}

/**
 * One transformer decoder layer: causal self-attention, attention over the
 * encoder's output `memory`, then the feed-forward network, each with a
 * residual connection and LayerNorm. Called as
 * `layer.call(x, memory, memoryMask?)` with x `[N, T, units]`, memory
 * `[N, S, units]` and memoryMask broadcastable to `[N, T, S]` (1 = attend).
 *
 * ```ts
 * const dec = new nn.TransformerDecoderLayer(64, 4, 256); // or ({ units: 64, numHeads: 4, hiddenSize: 256 })
 * dec.initialize();
 * dec.call(target, memory, nd.ones([2, 1, 7])).shape; // target's shape
 * ```
 */
export class TransformerDecoderLayer extends TransformerLayerBase {
  declare readonly selfAttention: MultiHeadAttention;
  declare readonly crossAttention: MultiHeadAttention;
  declare readonly norm1: LayerNorm;
  declare readonly norm2: LayerNorm;
  declare readonly norm3: LayerNorm;

  constructor(...args: TransformerArgs<TransformerDecoderLayerOptions>) {
    super(args, true);
    const [units, numHeads, eps] = [this.units, this.numHeads, this.layerNormEps];
    this.selfAttention = new MultiHeadAttention(units, numHeads, { dropout: this.dropout });
    this.crossAttention = new MultiHeadAttention(units, numHeads, { dropout: this.dropout });
    this.makeFeedForward();
    this.norm1 = new LayerNorm({ inChannels: units, epsilon: eps });
    this.norm2 = new LayerNorm({ inChannels: units, epsilon: eps });
    this.norm3 = new LayerNorm({ inChannels: units, epsilon: eps });
  }

  override hybridForward(F: F, x: Tensor, ...rest: unknown[]): Tensor {
    rest.pop(); // own parameters (none)
    if (rest.length < 1 || rest.length > 2) throw layerError(this, `expects call(x, memory, memoryMask?), got ${rest.length + 1} inputs`);
    const [memory, memoryMask] = rest as [Tensor, Tensor | undefined];
    this.checkInput(x, 'the input');
    this.checkInput(memory, 'the memory');
    if (memoryMask !== undefined) checkAttentionMask(this, memoryMask, [plainShape(x.shape)[0]!, plainShape(x.shape)[1]!, plainShape(memory.shape)[1]!]);
    const selfMask = combineMasks(F, this, x, undefined, this.causal);
    const sa = (y: Tensor) => (selfMask === undefined ? this.selfAttention.call(y, y, y) : this.selfAttention.call(y, y, y, selfMask)) as Tensor;
    const ca = (y: Tensor) => (memoryMask === undefined ? this.crossAttention.call(y, memory, memory) : this.crossAttention.call(y, memory, memory, memoryMask)) as Tensor;
    let h = this.residual(F, x, this.norm1, sa);
    h = this.residual(F, h, this.norm2, ca);
    return this.residual(F, h, this.norm3, (y) => this.feedForward(F, y));
  }

  override toString(): string {
    return `TransformerDecoderLayer(${this.describe()})`;
  }
}
