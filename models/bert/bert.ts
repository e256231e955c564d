/**
 * GluonNLP 0.x's BERT (gluonnlp/model/bert.py), ported as Gluon 1.x
 * HybridBlocks: `BERTModel` (word and token-type embeddings, the
 * `BERTEncoder`, the pooler `Dense(units, tanh)` over the first token and,
 * optionally, the next-sentence `classifier`) and `BERTClassifier` (dropout
 * and a Dense over the pooled output, for fine-tuning). Attribute names are
 * GluonNLP's, so parameters are named as in its `.params` files:
 * `word_embed.0.weight`, `token_type_embed.0.weight`, `encoder.position_weight`,
 * `encoder.layer_norm.gamma`, `encoder.transformer_cells.0.attention_cell.proj_query.weight`,
 * `pooler.weight`, `classifier.weight` (a BERTClassifier's: `bert.` before
 * them, `classifier.0.weight` or, with dropout, `classifier.1.weight`).
 * The masked-LM decoder (`use_decoder`) is not ported.
 *
 *   gluonc compile models/bert/bert.ts -o bert.onnx   # the tiny classifier, any N and T <= 64
 */
import { gluon } from 'gluonc';
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

/**
 * GluonNLP's `BERTModel(encoder, vocab_size, token_type_vocab_size, units,
 * embed_size, use_pooler, use_decoder, use_classifier, use_token_type_embed)`.
 * Called as `bert.call(inputs [N, T] int32, tokenTypes [N, T], validLength [N]?)`;
 * returns the sequence encoding [N, T, units], then (with the pooler) the
 * pooled first token [N, units], then (with the classifier) the
 * next-sentence scores [N, 2] — one tensor alone, else an array, as GluonNLP.
 */
export class BERTModel extends gluon.HybridBlock {
  readonly units: number;
  readonly usePooler: boolean;
  readonly useClassifier: boolean;
  readonly useTokenTypeEmbed: boolean;
  readonly encoder: BERTEncoder;
  readonly word_embed: InstanceType<typeof nn.HybridSequential>;
  readonly token_type_embed?: InstanceType<typeof nn.HybridSequential>;
  readonly pooler?: InstanceType<typeof nn.Dense>;
  readonly classifier?: InstanceType<typeof nn.Dense>;

  constructor(encoder: BERTEncoder, o: BERTModelOptions) {
    super();
    if (o.useDecoder) throw new Error('BERTModel: useDecoder (the masked language model decoder) is not ported; build with useDecoder: false and load GluonNLP parameters with { ignoreExtra: true }');
    this.units = o.units;
    this.usePooler = o.usePooler ?? true;
    this.useClassifier = o.useClassifier ?? false;
    this.useTokenTypeEmbed = o.useTokenTypeEmbed ?? true;
    if (this.useClassifier && !this.usePooler) throw new Error('BERTModel: Cannot use classifier if use_pooler is False');
    const embedSize = o.embedSize ?? o.units;
    this.encoder = encoder;
    this.word_embed = embed(o.vocabSize, embedSize);
    if (this.useTokenTypeEmbed) this.token_type_embed = embed(o.tokenTypeVocabSize ?? 2, embedSize);
    if (this.usePooler) {
      this.pooler = new nn.Dense(o.units, { flatten: false, activation: 'tanh', inUnits: o.units });
      if (this.useClassifier) this.classifier = new nn.Dense(2, { inUnits: o.units });
    }
  }

  override hybridForward(F: gluon.F, inputs: T, tokenTypes: T, validLength?: T): T | T[] {
    let embedding = this.word_embed.call(inputs) as T;
    if (this.token_type_embed) embedding = F.add(embedding, this.token_type_embed.call(tokenTypes) as T);
    const seq = this.encoder.call(embedding, validLength) as T;
    const outputs = [seq];
    if (this.pooler) {
      // The first token's encoding: sequence.slice(begin=(0, 0, 0), end=(None, 1, None)).reshape((-1, units)).
      const first = F.reshape(F.slice(seq, { begin: [0, 0, 0], end: [null, 1, null] }), [-1, this.units]);
      const pooled = this.pooler.call(first) as T;
      outputs.push(pooled);
      if (this.classifier) outputs.push(this.classifier.call(pooled) as T);
    }
    return outputs.length > 1 ? outputs : outputs[0]!;
  }
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
    this.bert = bert;
    if (dropout) this.classifier.add(new nn.Dropout(dropout));
    this.classifier.add(new nn.Dense(numClasses, { inUnits: bert.units }));
  }

  override hybridForward(_F: gluon.F, inputs: T, tokenTypes: T, validLength?: T): T {
    const outs = this.bert.call(inputs, tokenTypes, validLength) as T[];
    return this.classifier.call(outs[1]!) as T;
  }
}

/**
 * A BERTModel of the given sizes (GluonNLP's `get_model('bert_12_768_12', use_decoder=False, use_classifier=False)`
 * is `bertModel(bertHparams.bert_12_768_12)`).
 *
 * ```ts
 * const bert = bertModel(bertHparams.tiny); bert.initialize();
 * ```
 */
export function bertModel(c: BERTConfig, o: { usePooler?: boolean; useClassifier?: boolean; useTokenTypeEmbed?: boolean } = {}): BERTModel {
  const encoder = new BERTEncoder(c);
  return new BERTModel(encoder, { vocabSize: c.vocabSize, tokenTypeVocabSize: c.tokenTypeVocabSize, units: c.units, embedSize: c.embedSize, ...o });
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
