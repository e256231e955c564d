/**
 * A word-level LSTM language model (hybridized: MXNet could not compile
 * recurrent layers; gluonc lowers them to ONNX's LSTM operator): embedding,
 * a two-layer LSTM and a dense decoder giving next-word logits at every
 * position. Input: word indices [N, T] (float32, as Gluon's Embedding takes
 * them); N and T stay symbolic, so one artifact (and one training artifact,
 * `--train`) takes any batch and any sequence length.
 */
import { gluon } from 'gluonc';

const { nn, rnn } = gluon;

/** The vocabulary size, layer widths, and the sequence length the benchmarks use. */
export const config = { vocab: 1000, embed: 64, hidden: 128, layers: 2, steps: 35 };

/** Embedding → LSTM → Dense, batch-major (layout NTC). */
export class LanguageModel extends gluon.HybridBlock {
  readonly embedding = new nn.Embedding(config.vocab, config.embed);
  readonly lstm = new rnn.LSTM(config.hidden, config.layers, { layout: 'NTC', inputSize: config.embed });
  readonly decoder = new nn.Dense(config.vocab, { flatten: false, inUnits: config.hidden });

  override hybridForward(_F: gluon.F, words: gluon.Tensor): gluon.Tensor {
    const h = this.lstm.call(this.embedding.call(words)) as gluon.Tensor;
    return this.decoder.call(h) as gluon.Tensor;
  }
}

/**
 * A fresh, uninitialized language model.
 *
 * ```ts
 * const lm = build(); lm.initialize(); lm.call(nd.zeros([2, 35])); // shape [2, 35, 1000]
 * ```
 */
export default function build(): LanguageModel {
  return new LanguageModel();
}

/**
 * Word indices [N, T], both symbolic: the artifact runs at any length, and
 * `gluonc compile models/lstm.ts --train` gives a training step for any
 * length too (the LSTM's gradient is a loop over time, not unrolled).
 */
export const inputs = { x: { shape: ['N', 'T'], dtype: 'float32' } };
