/**
 * A decoder-only transformer (GPT): token embedding plus learned positions
 * (`nn.LearnedPositionalEmbedding`),
 * `layers` pre-norm blocks (`nn.TransformerEncoderLayer` with `causal: true`:
 * causal self-attention, then a GELU feed-forward network, each with a
 * residual connection), a final LayerNorm and an output
 * layer tied to the token embedding (or a separate Dense, `tied: false`).
 * Input: token ids [N, T] (int32), T at most `context`; output: next-token
 * logits [N, T, vocab] at every position. The causal mask is built inside
 * the graph from T, so one compiled artifact serves every N and T.
 *
 *   gluonc compile models/gpt.ts -o gpt.onnx
 */
import { gluon } from 'gluonc';

const { nn } = gluon;

/** The sizes of a GPT. */
export interface GPTConfig {
  /** Number of token ids. */
  vocab: number;
  /** Width of the residual stream. */
  units: number;
  /** Number of decoder blocks. */
  layers: number;
  /** Attention heads per block (`units` must be a multiple). */
  heads: number;
  /** Width of the feed-forward network (default 4 × units). */
  hidden?: number;
  /** The longest sequence (rows of the learned position table). */
  context: number;
  /** Dropout rate in training (default 0). */
  dropout?: number;
  /** The output layer reuses the token embedding's weight (default true). */
  tied?: boolean;
}

/** The default sizes: the character-level adder of models/examples/train-gpt.ts (vocabulary `0-9 + =`, 13 with padding). */
export const config: GPTConfig = { vocab: 13, units: 64, layers: 2, heads: 4, hidden: 256, context: 16, dropout: 0, tied: true };

/**
 * The GPT: logits [N, T, vocab] for token ids [N, T].
 *
 * ```ts
 * const net = new GPT({ vocab: 13, units: 32, layers: 1, heads: 2, context: 16 });
 * net.initialize(); net.call(nd.array([[1, 2, 3]], { dtype: 'int32' })); // shape [1, 3, 13]
 * ```
 */
export class GPT extends gluon.HybridBlock {
  readonly config: Required<GPTConfig>;
  readonly embedding: InstanceType<typeof nn.Embedding>;
  readonly position: InstanceType<typeof nn.LearnedPositionalEmbedding>;
  readonly drop: InstanceType<typeof nn.Dropout>;
  readonly blocks = new nn.HybridSequential();
  readonly norm: InstanceType<typeof nn.LayerNorm>;
  readonly output: InstanceType<typeof nn.Dense>;

  constructor(c: GPTConfig = config) {
    super();
    for (const k of ['vocab', 'units', 'layers', 'heads', 'context'] as const) {
      if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`GPT: ${k} must be a positive integer, got ${c[k]}`);
    }
    this.config = { hidden: 4 * c.units, dropout: 0, tied: true, ...c };
    const { vocab, units, layers, heads, hidden, context, dropout, tied } = this.config;
    this.embedding = new nn.Embedding(vocab, units);
    this.position = new nn.LearnedPositionalEmbedding(context, units);
    this.drop = new nn.Dropout(dropout);
    // A decoder-only block: pre-norm causal self-attention, then a GELU feed-forward network.
    for (let i = 0; i < layers; i++) this.blocks.add(new nn.TransformerEncoderLayer(units, heads, hidden, { dropout, activation: 'gelu', preNorm: true, causal: true }));
    this.norm = new nn.LayerNorm({ inChannels: units });
    this.output = new nn.Dense(vocab, { flatten: false, useBias: false, inUnits: units });
    if (tied) {
      // One Parameter object under both names: collectParams, files and the trainer see it once, as embedding.weight.
      const shared = new gluon.ParameterDict();
      shared.set('weight', this.embedding.weight);
      this.output.shareParameters(shared);
    }
  }

  override hybridForward(F: gluon.F, tokens: gluon.Tensor): gluon.Tensor {
    // Rows 0..T-1 of the position table added; T > context is an error (also when an artifact runs).
    const x = this.drop.call(this.position.call(this.embedding.call(tokens) as gluon.Tensor)) as gluon.Tensor;
    const h = this.norm.call(this.blocks.call(x)) as gluon.Tensor;
    return this.output.call(h) as gluon.Tensor;
  }
}

/**
 * A fresh, uninitialized GPT with the default sizes (`config`).
 *
 * ```ts
 * const net = build(); net.initialize(); net.call(nd.zeros([2, 12], { dtype: 'int32' })); // shape [2, 12, 13]
 * ```
 */
export default function build(c: GPTConfig = config): GPT {
  return new GPT(c);
}

/** Token ids, any batch and any length up to the context. */
export const inputs = { tokens: { shape: ['N', 'T'], dtype: 'int32' } };
