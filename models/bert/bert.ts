/**
 * GluonNLP 0.x's BERT (gluonnlp/model/bert.py), ported as Gluon 1.x
 * HybridBlocks: `BERTModel` (word and token-type embeddings, the
 * `BERTEncoder`, the pooler `Dense(units, tanh)` over the first token and,
 * optionally, the next-sentence `classifier`) and `BERTClassifier` (dropout
 * and a Dense over the pooled output, for fine-tuning). Attribute names are
 * GluonNLP's, so parameters are named as in its `.params` files:
 * `word_embed.0.weight`, `token_type_embed.0.weight`, `encoder.position_weight`,
 * `encoder.layer_norm.gamma`, `encoder.transformer_cells.0.attention_cell.proj_query.weight`,
 * `pooler.weight`, `classifier.weight`, the masked-LM decoder's
 * `decoder.0.weight`, `decoder.2.gamma`, `decoder.3.bias` (its output weight
 * is `word_embed.0.weight`, tied) (a BERTClassifier's: `bert.` before
 * them, `classifier.0.weight` or, with dropout, `classifier.1.weight`).
 *
 *   gluonc compile models/bert/bert.ts -o bert.onnx   # the tiny classifier, any N and T <= 64
 */
import { gluon, nd } from 'gluonc';
import { BERTEncoder, type BERTEncoderOptions } from './transformer.js';

const { nn } = gluon;
type T = gluon.Tensor;

/** The sizes of a BERT (GluonNLP's `bert_hparams`, camelCase). */
export interface BERTConfig extends BERTEncoderOptions {
  /** Word pieces in the vocabulary. */
  vocabSize: number;
  /** Token types (segments); default 2. */
  tokenTypeVocabSize?: number;
  /** Width of the embeddings (default `units`). */
  embedSize?: number;
}

/** GluonNLP's predefined sizes (`bert_12_768_12`, `bert_24_1024_16`; vocabulary of book_corpus_wiki_en_uncased) and a tiny one for tests. */
export const bertHparams = {
  bert_12_768_12: { numLayers: 12, units: 768, hiddenSize: 3072, maxLength: 512, numHeads: 12, dropout: 0.1, embedSize: 768, tokenTypeVocabSize: 2, vocabSize: 30522 },
  bert_24_1024_16: { numLayers: 24, units: 1024, hiddenSize: 4096, maxLength: 512, numHeads: 16, dropout: 0.1, embedSize: 1024, tokenTypeVocabSize: 2, vocabSize: 30522 },
  tiny: { numLayers: 2, units: 32, hiddenSize: 64, maxLength: 64, numHeads: 4, dropout: 0, embedSize: 32, tokenTypeVocabSize: 2, vocabSize: 100 },
} satisfies Record<string, BERTConfig>;

/** Options of `BERTModel` besides its encoder. */
export interface BERTModelOptions {
  vocabSize: number;
  tokenTypeVocabSize?: number;
  units: number;
  embedSize?: number;
  usePooler?: boolean;
  useClassifier?: boolean;
  useDecoder?: boolean;
  useTokenTypeEmbed?: boolean;
}

/** An embedding as GluonNLP builds it: a HybridSequential holding one Embedding (so its weight is `<name>.0.weight`). */
function embed(vocab: number, size: number): InstanceType<typeof nn.HybridSequential> {
  const s = new nn.HybridSequential();
  s.add(new nn.Embedding(vocab, size));
  return s;
}

const where = (shape: number[], flat: number) => {
  const at: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(flat % shape[k]!);
    flat = Math.floor(flat / shape[k]!);
  }
  return `[${at.join(', ')}]`;
};

/**
 * The checks of a call with arrays (eagerly, or a hybridized block called
 * with NDArrays; an exported artifact does not check): ids and types [N, T]
 * with values in [0, vocab) and [0, types) (MXNet's Embedding would clip
 * them to the last row, silently), valid lengths [N] in [0, T] (softmax's
 * length and SequenceMask would read a longer one as T), masked positions
 * [N, M] in [0, T), given exactly when the model has its decoder.
 */
export function checkBertInputs(who: string, bert: BERTModel, inputs: unknown, tokenTypes: unknown, validLength: unknown, maskedPositions?: unknown): void {
  if (!(inputs instanceof nd.NDArray)) return;
  const fail = (why: string): never => {
    throw new Error(`${who}: ${why}`);
  };
  if (inputs.ndim !== 2) fail(`inputs (token ids) must be [N, T], got shape [${inputs.shape.join(', ')}]`);
  const [N, T] = inputs.shape as [number, number];
  const inRange = (x: nd.NDArray, name: string, hi: number, table: string) => {
    if (x.dtype === 'bool') fail(`${name} must be integer (or float) ids, got dtype bool`);
    const v = values(x);
    for (let i = 0; i < v.length; i++) {
      const id = Number(v[i]);
      if (!(id >= 0 && id < hi)) fail(`${name} ${id} at ${where(x.shape as number[], i)} is outside [0, ${hi}) (${table}); MXNet's Embedding would silently use row ${id >= hi ? hi - 1 : 0}`);
    }
  };
  inRange(inputs, 'token id', bert.vocabSize, `vocabSize ${bert.vocabSize}`);
  if (bert.useTokenTypeEmbed) {
    if (!(tokenTypes instanceof nd.NDArray) || tokenTypes.shape.join() !== inputs.shape.join()) {
      fail(`token_types must be an NDArray of the inputs' shape [${N}, ${T}], got ${tokenTypes instanceof nd.NDArray ? `shape [${tokenTypes.shape.join(', ')}]` : String(tokenTypes)}`);
    }
    inRange(tokenTypes as nd.NDArray, 'token type', bert.tokenTypeVocabSize, `tokenTypeVocabSize ${bert.tokenTypeVocabSize}`);
  }
  if (T > bert.encoder.maxLength) fail(`sequence length T = ${T} is more than maxLength ${bert.encoder.maxLength} (rows of encoder.position_weight)`);
  if (validLength !== undefined && validLength !== null) {
    if (!(validLength instanceof nd.NDArray) || validLength.shape.join() !== String(N)) {
      fail(`valid_length must be an NDArray of shape [${N}] (one length per sample), got ${validLength instanceof nd.NDArray ? `shape [${validLength.shape.join(', ')}]` : String(validLength)}`);
    }
    const lens = values(validLength as nd.NDArray);
    for (let i = 0; i < N; i++) {
      const l = Number(lens[i]);
      if (!(l >= 0 && l <= T && Number.isInteger(l))) fail(`valid_length ${l} of sample ${i} is not an integer in [0, T = ${T}]`);
    }
  }
  checkMaskedPositions(fail, bert, N, T, maskedPositions);
}

/** An array's values as numbers or bigints (float16's data() holds the raw bits: read through float32). */
const values = (x: nd.NDArray) => (x.dtype === 'float16' ? x.astype('float32') : x).data() as ArrayLike<number | bigint>;

/**
 * masked_positions [N, M] of integers in [0, T) (GluonNLP casts them to
 * int32; gather_nd would read another sample's row, or past the batch, for
 * one outside), given exactly when the model has its decoder.
 */
function checkMaskedPositions(fail: (why: string) => never, bert: BERTModel, N: number, T: number, mp: unknown): void {
  if (mp === undefined || mp === null) {
    if (bert.decoder) fail('masked_positions [N, M] is required for decoding the masked language model (useDecoder: true); GluonNLP: model(inputs, token_types, valid_length, masked_positions)');
    return;
  }
  if (!bert.decoder) fail('masked_positions is given but the model has no masked-LM decoder (build it with useDecoder: true)');
  if (!(mp instanceof nd.NDArray)) fail(`masked_positions must be an NDArray [N, M], got ${String(mp)}`);
  const m = mp as nd.NDArray;
  if (m.ndim !== 2 || m.shape[0] !== N) fail(`masked_positions must be [N = ${N}, M] (the masked positions of each sample), got shape [${m.shape.join(', ')}]`);
  if (m.dtype === 'bool') fail('masked_positions must be integer (or float) positions, got dtype bool');
  const v = values(m);
  for (let i = 0; i < v.length; i++) {
    const at = Number(v[i]);
    if (!(at >= 0 && at < T && Number.isInteger(at))) fail(`masked position ${at} at ${where(m.shape as number[], i)} is not an integer in [0, T = ${T})`);
  }
}

/**
 * GluonNLP's `BERTModel(encoder, vocab_size, token_type_vocab_size, units,
 * embed_size, use_pooler, use_decoder, use_classifier, use_token_type_embed)`
 * with GluonNLP's defaults (pooler, classifier and decoder on).
 * Called as `bert.call(inputs [N, T] int32, tokenTypes [N, T], validLength [N]?,
 * maskedPositions [N, M]?)` (the positions exactly when it has the decoder; a
 * null validLength before them is the full length, GluonNLP's `None`);
 * returns the sequence encoding [N, T, units] (with the encoder's
 * `outputAllEncodings`, the list of every layer's), then (with its
 * `outputAttention`) the list of every layer's attention weights
 * [N, heads, T, T], then (with the pooler) the pooled first token
 * [N, units] of the last layer, then (with the classifier) the
 * next-sentence scores [N, 2], then (with the decoder) the masked-LM scores
 * [N, M, vocabSize] at each sample's masked positions — one output alone,
 * else an array, as GluonNLP.
 *
 * The decoder is GluonNLP's `_get_decoder`: `Dense(units, flatten=False)`,
 * erf `GELU`, `LayerNorm` (the encoder's epsilon), `Dense(vocab_size,
 * flatten=False, params=word_embed.collect_params())`: its weight is the word
 * embedding's Parameter (`decoder.3.weight` in GluonNLP's files is the same
 * array as `word_embed.0.weight`; `collectParams` lists it once, as the
 * latter), with a bias of its own, `decoder.3.bias`.
 */
export class BERTModel extends gluon.HybridBlock {
  readonly units: number;
  readonly vocabSize: number;
  readonly tokenTypeVocabSize: number;
  readonly usePooler: boolean;
  readonly useClassifier: boolean;
  readonly useTokenTypeEmbed: boolean;
  readonly encoder: BERTEncoder;
  readonly word_embed: InstanceType<typeof nn.HybridSequential>;
  readonly token_type_embed?: InstanceType<typeof nn.HybridSequential>;
  readonly pooler?: InstanceType<typeof nn.Dense>;
  readonly classifier?: InstanceType<typeof nn.Dense>;
  readonly decoder?: InstanceType<typeof nn.HybridSequential>;

  constructor(encoder: BERTEncoder, o: BERTModelOptions) {
    super();
    const useDecoder = o.useDecoder ?? true;
    if (!Number.isInteger(o.vocabSize) || o.vocabSize < 1) {
      throw new Error(`BERTModel: vocabSize must be a positive integer (rows of word_embed${useDecoder ? ', outputs of the masked-LM decoder' : ''}), got ${String(o.vocabSize)}`);
    }
    this.units = o.units;
    this.vocabSize = o.vocabSize;
    this.tokenTypeVocabSize = o.tokenTypeVocabSize ?? 2;
    this.usePooler = o.usePooler ?? true;
    this.useClassifier = o.useClassifier ?? true;
    this.useTokenTypeEmbed = o.useTokenTypeEmbed ?? true;
    if (this.useClassifier && !this.usePooler) throw new Error('BERTModel: Cannot use classifier if use_pooler is False');
    const embedSize = o.embedSize ?? o.units;
    this.encoder = encoder;
    this.word_embed = embed(o.vocabSize, embedSize);
    if (this.useTokenTypeEmbed) this.token_type_embed = embed(this.tokenTypeVocabSize, embedSize);
    if (this.usePooler) {
      this.pooler = new nn.Dense(o.units, { flatten: false, activation: 'tanh', inUnits: o.units });
      if (this.useClassifier) this.classifier = new nn.Dense(2, { inUnits: o.units });
    }
    if (useDecoder) {
      if (embedSize !== o.units) throw new Error(`BERTModel: the masked-LM decoder's output layer shares word_embed.0.weight [vocabSize, embedSize], so embedSize (${embedSize}) must equal units (${o.units})`);
      this.decoder = getDecoder(o.units, o.vocabSize, this.word_embed.get<InstanceType<typeof nn.Embedding>>(0), encoder.layerNormEps);
    }
  }

  override call(...args: unknown[]): unknown {
    checkBertInputs('BERTModel', this, args[0], args[1], args[2], args[3]);
    const [inputs, , validLength, positions] = args;
    if (inputs instanceof nd.NDArray && (validLength === null || validLength === undefined) && positions instanceof nd.NDArray) {
      // GluonNLP's model(inputs, token_types, None, masked_positions): every sample at full length T, the same numbers.
      const [N, T] = inputs.shape as [number, number];
      return super.call(args[0], args[1], nd.full([N], T, { dtype: 'int32' }), positions);
    }
    return super.call(...args);
  }

  override hybridForward(F: gluon.F, inputs: T, tokenTypes: T, validLength?: T, maskedPositions?: T): T | T[] | (T | T[])[] {
    let embedding = this.word_embed.call(inputs) as T;
    if (this.token_type_embed) embedding = F.add(embedding, this.token_type_embed.call(tokenTypes) as T);
    const encoded = this.encoder.call(embedding, validLength) as T | [T | T[], T[]];
    // GluonNLP: `seq_out, attention_out = self._encode_sequence(...)`; with output_all_encodings the heads read the last.
    const [seqOut, attentionOut] = this.encoder.outputAttention || this.encoder.outputAllEncodings ? (encoded as [T | T[], T[]]) : [encoded as T, []];
    const seq = Array.isArray(seqOut) ? seqOut[seqOut.length - 1]! : seqOut;
    const outputs: (T | T[])[] = [seqOut];
    if (attentionOut.length) outputs.push(attentionOut);
    if (this.pooler) {
      // The first token's encoding: sequence.slice(begin=(0, 0, 0), end=(None, 1, None)).reshape((-1, units)).
      const first = F.reshape(F.slice(seq, { begin: [0, 0, 0], end: [null, 1, null] }), [-1, this.units]);
      const pooled = this.pooler.call(first) as T;
      outputs.push(pooled);
      if (this.classifier) outputs.push(this.classifier.call(pooled) as T);
    }
    if (this.decoder) {
      if (maskedPositions === undefined) throw new Error('BERTModel: masked_positions tensor is required for decoding masked language model');
      outputs.push(this.decode(F, seq, maskedPositions));
    } else if (maskedPositions !== undefined) {
      throw new Error('BERTModel: masked_positions is given but the model has no masked-LM decoder (build it with useDecoder: true)');
    }
    return outputs.length > 1 ? outputs : outputs[0]!;
  }

  /**
   * GluonNLP's `_decode`: the encodings at each sample's masked positions
   * [N, M, units] (its `gather_nd` of (sample, position) pairs, here a take
   * of row `sample * T + position` of the sequence as [N * T, units]: the
   * same rows, duplicates included, and their gradients summed), decoded to
   * scores [N, M, vocabSize].
   */
  private decode(F: gluon.F, seq: T, maskedPositions: T): T {
    const positions = F.cast(maskedPositions, { dtype: 'int32' });
    const length = F.cast(F.shapeArray(seq, { axis: 1 }), { dtype: 'int32' });
    const starts = F.broadcastMul(F.contrib.arangeLike(seq, { axis: 0, dtype: 'int32' }), length);
    const rows = F.broadcastAdd(positions, F.reshape(starts, [-1, 1]));
    return this.decoder!.call(F.take(F.reshape(seq, [-1, this.units]), rows)) as T;
  }
}

/** GluonNLP's `_get_decoder`: Dense, GELU, LayerNorm, and a Dense whose weight is `embedding`'s (Gluon 1.x's `params=embed.collect_params()`). */
function getDecoder(units: number, vocabSize: number, embedding: InstanceType<typeof nn.Embedding>, eps: number): InstanceType<typeof nn.HybridSequential> {
  const d = new nn.HybridSequential();
  d.add(new nn.Dense(units, { flatten: false, inUnits: units }));
  d.add(new nn.GELU());
  d.add(new nn.LayerNorm({ inChannels: units, epsilon: eps }));
  const out = new nn.Dense(vocabSize, { flatten: false, inUnits: units });
  out.shareParameters(new gluon.ParameterDict([['weight', embedding.weight]]));
  d.add(out);
  // GluonNLP: assert decoder[3].weight == list(embed.collect_params().values())[0].
  if (out.weight !== embedding.weight) throw new Error('BERTModel: The weights of word embedding are not tied with those of decoder');
  return d;
}

/**
 * GluonNLP's `BERTClassifier(bert, num_classes, dropout)`: dropout (when
 * non-zero) and `Dense(num_classes)` over the pooled output. Called as
 * `net.call(inputs, tokenTypes, validLength?)`; returns scores [N, numClasses].
 */
export class BERTClassifier extends gluon.HybridBlock {
  readonly bert: BERTModel;
  readonly classifier = new nn.HybridSequential();

  constructor(bert: BERTModel, numClasses = 2, dropout = 0) {
    super();
    if (!bert.usePooler) throw new Error('BERTClassifier: the BERTModel needs its pooler (usePooler: true)');
    if (bert.decoder) throw new Error("BERTClassifier: the BERTModel has the masked-LM decoder, which needs masked_positions; build it with useDecoder: false (GluonNLP: get_model(..., use_decoder=False))");
    this.bert = bert;
    if (dropout) this.classifier.add(new nn.Dropout(dropout));
    this.classifier.add(new nn.Dense(numClasses, { inUnits: bert.units }));
  }

  override call(...args: unknown[]): unknown {
    checkBertInputs('BERTClassifier', this.bert, args[0], args[1], args[2]);
    return super.call(...args);
  }

  override hybridForward(_F: gluon.F, inputs: T, tokenTypes: T, validLength?: T): T {
    // The pooled output follows the sequence output and, with outputAttention, the attention weights.
    const outs = this.bert.call(inputs, tokenTypes, validLength) as T[];
    return this.classifier.call(outs[this.bert.encoder.outputAttention ? 2 : 1]!) as T;
  }
}

/**
 * A BERTModel of the given sizes without the next-sentence classifier and
 * the masked-LM decoder unless asked (GluonNLP's `get_model('bert_12_768_12',
 * use_decoder=False, use_classifier=False)`, as its fine-tuning scripts call
 * it, is `bertModel(bertHparams.bert_12_768_12)`; its pre-training model,
 * `get_model('bert_12_768_12')`, is `bertModel(c, { useClassifier: true, useDecoder: true })`;
 * its `output_attention` / `output_all_encodings` are `outputAttention` / `outputAllEncodings`).
 *
 * ```ts
 * const bert = bertModel(bertHparams.tiny); bert.initialize();
 * ```
 */
export function bertModel(c: BERTConfig, o: { usePooler?: boolean; useClassifier?: boolean; useDecoder?: boolean; useTokenTypeEmbed?: boolean; outputAttention?: boolean; outputAllEncodings?: boolean } = {}): BERTModel {
  const { outputAttention, outputAllEncodings, ...heads } = o;
  const encoder = new BERTEncoder({ ...c, outputAttention: outputAttention ?? c.outputAttention, outputAllEncodings: outputAllEncodings ?? c.outputAllEncodings });
  return new BERTModel(encoder, { vocabSize: c.vocabSize, tokenTypeVocabSize: c.tokenTypeVocabSize, units: c.units, embedSize: c.embedSize, useClassifier: false, useDecoder: false, ...heads });
}

/** The tiny classifier (2 classes, dropout 0.1) the CLI compiles: `gluonc compile models/bert/bert.ts`. */
export default function build(c: BERTConfig = bertHparams.tiny): BERTClassifier {
  return new BERTClassifier(bertModel(c), 2, 0.1);
}

/** Token ids and types [N, T] and valid lengths [N]: any batch, any length up to maxLength. */
export const inputs = {
  inputs: { shape: ['N', 'T'], dtype: 'int32' },
  token_types: { shape: ['N', 'T'], dtype: 'int32' },
  valid_length: { shape: ['N'], dtype: 'int32' },
};
