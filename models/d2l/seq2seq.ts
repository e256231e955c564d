/**
 * d2l's seq2seq training (MXNet edition, 10.7), ported literally:
 * `EncoderDecoder`, `MaskedSoftmaxCELoss` (the Transformer chapter's, in
 * ./transformer.ts: a `SoftmaxCrossEntropyLoss` weighted by
 * `npx.sequenceMask`), `trainSeq2seq` (teacher forcing with `<bos>`
 * prepended, `gradClipping`, the step scaled by the number of valid
 * tokens), `predictSeq2seq` (greedy, stopping at `<eos>`), `truncatePad` and
 * `bleu`. MXNet's `ctx=device` arguments are left out.
 */
import { autograd, gluon, init, np, type nd } from 'gluonc';
import { Seq2SeqDecoder, Seq2SeqEncoder } from './rnn-concise.js';
import { gradClipping } from './rnn-scratch.js';
import { MaskedSoftmaxCELoss } from './transformer.js';

export { MaskedSoftmaxCELoss };
type A = nd.NDArray;

/** d2l's `EncoderDecoder`: the encoder's outputs become the decoder's state. */
export class EncoderDecoder extends gluon.Block {
  constructor(readonly encoder: Seq2SeqEncoder, readonly decoder: Seq2SeqDecoder) {
    super();
  }
  override forward(encX: A, decX: A, ..._args: A[]): [A, A[]] {
    const encOutputs = this.encoder.call(encX) as [A, A[]];
    const decState = this.decoder.initState(encOutputs);
    return this.decoder.call(decX, decState) as [A, A[]];
  }
}

/** A vocabulary as the book's `Vocab` is read here: token to index (`<unk>` for unknown) and back. */
export class Vocab {
  readonly idxToToken: string[];
  private readonly tokenToIdx: Map<string, number>;
  constructor(tokens: string[], reserved = ['<pad>', '<bos>', '<eos>']) {
    this.idxToToken = ['<unk>', ...reserved, ...[...new Set(tokens)].filter((t) => t !== '<unk>' && !reserved.includes(t)).sort()];
    this.tokenToIdx = new Map(this.idxToToken.map((t, i) => [t, i]));
  }
  get length(): number {
    return this.idxToToken.length;
  }
  /** `vocab[token]` / `vocab[tokens]`. */
  idx(token: string): number {
    return this.tokenToIdx.get(token) ?? 0;
  }
  toTokens(indices: number[]): string[] {
    return indices.map((i) => this.idxToToken[i]!);
  }
}

/** d2l's `truncate_pad`. */
export function truncatePad(line: number[], numSteps: number, paddingToken: number): number[] {
  if (line.length > numSteps) return line.slice(0, numSteps); // Truncate
  return [...line, ...new Array<number>(numSteps - line.length).fill(paddingToken)]; // Pad
}

/** One batch as d2l's `load_data_nmt` yields it: `[X, X_valid_len, Y, Y_valid_len]`. */
export type Batch = [A, A, A, A];

/**
 * d2l's `train_seq2seq`: Xavier initialization, Adam, the masked loss; per
 * epoch returns the loss per token (the book's animator's values).
 */
export function trainSeq2seq(net: EncoderDecoder, dataIter: () => Iterable<Batch>, lr: number, numEpochs: number, tgtVocab: Vocab): number[] {
  net.initialize(new init.Xavier(), { forceReinit: true });
  const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: lr });
  const loss = new MaskedSoftmaxCELoss();
  const losses: number[] = [];
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    let lSum = 0; // Sum of training loss, no. of tokens
    let tokens = 0;
    for (const batch of dataIter()) {
      const [X, X_valid_len, Y, Y_valid_len] = batch;
      const bos = np.array(new Array<number>(Y.shape[0]!).fill(tgtVocab.idx('<bos>'))).reshape(-1, 1);
      const decInput = np.concatenate([bos, Y.slice({ begin: [null, 0], end: [null, -1] })], 1); // Teacher forcing
      let l!: A;
      autograd.record(() => {
        const [Y_hat] = net.call(X, decInput, X_valid_len) as [A, A[]];
        l = loss.call(Y_hat, Y, Y_valid_len) as A;
      });
      l.backward();
      gradClipping(net, 1);
      const numTokens = Y_valid_len.sum().item();
      trainer.step(numTokens);
      lSum += l.sum().item();
      tokens += numTokens;
    }
    losses.push(lSum / tokens);
  }
  return losses;
}

/** d2l's `predict_seq2seq`: greedy decoding from `<bos>` until `<eos>` or `numSteps` tokens. */
export function predictSeq2seq(net: EncoderDecoder, srcSentence: string, srcVocab: Vocab, tgtVocab: Vocab, numSteps: number): string {
  let srcTokens = [...srcSentence.toLowerCase().split(' ').map((t) => srcVocab.idx(t)), srcVocab.idx('<eos>')];
  const encValidLen = np.array([srcTokens.length]);
  srcTokens = truncatePad(srcTokens, numSteps, srcVocab.idx('<pad>'));
  // Add the batch axis
  const encX = np.expandDims(np.array(srcTokens), { axis: 0 });
  const encOutputs = net.encoder.call(encX, encValidLen) as [A, A[]];
  let decState = net.decoder.initState(encOutputs);
  // Add the batch axis
  let decX = np.expandDims(np.array([tgtVocab.idx('<bos>')]), { axis: 0 });
  const outputSeq: number[] = [];
  for (let i = 0; i < numSteps; i++) {
    let Y: A;
    [Y, decState] = net.decoder.call(decX, decState) as [A, A[]];
    // We use the token with the highest prediction likelihood as the input of the decoder at the next time step
    decX = Y.argmax({ axis: 2 });
    const pred = decX.squeeze({ axis: 0 }).astype('int32').item();
    // Once the end-of-sequence token is predicted, the generation of the output sequence is complete
    if (pred === tgtVocab.idx('<eos>')) break;
    outputSeq.push(pred);
  }
  return tgtVocab.toTokens(outputSeq).join(' ');
}

/** d2l's `bleu`: the brevity penalty times the clipped n-gram precisions, weighted by 1/2^n, for n = 1..k. */
export function bleu(predSeq: string, labelSeq: string, k: number): number {
  const predTokens = predSeq.split(' ');
  const labelTokens = labelSeq.split(' ');
  const lenPred = predTokens.length;
  const lenLabel = labelTokens.length;
  // Python raises ZeroDivisionError at n > len_pred (len_pred - n + 1 is 0); a NaN score would hide it.
  if (lenPred < k) throw new Error(`bleu: the prediction has ${lenPred} token(s), fewer than k = ${k}: its ${k}-gram precision divides by 0 (the book's formula raises ZeroDivisionError); use k <= ${lenPred}`);
  let score = Math.exp(Math.min(0, 1 - lenLabel / lenPred));
  for (let n = 1; n <= k; n++) {
    let numMatches = 0;
    const labelSubs = new Map<string, number>();
    for (let i = 0; i < lenLabel - n + 1; i++) {
      const sub = labelTokens.slice(i, i + n).join(' ');
      labelSubs.set(sub, (labelSubs.get(sub) ?? 0) + 1);
    }
    for (let i = 0; i < lenPred - n + 1; i++) {
      const sub = predTokens.slice(i, i + n).join(' ');
      if ((labelSubs.get(sub) ?? 0) > 0) {
        numMatches += 1;
        labelSubs.set(sub, labelSubs.get(sub)! - 1);
      }
    }
    score *= Math.pow(numMatches / (lenPred - n + 1), Math.pow(0.5, n));
  }
  return score;
}

/** The model: d2l's seq2seq (vocabularies of 12, embeddings of 8, 2 GRU layers of 16), `[N, T]` source and target tokens. */
export default function build(): gluon.Block {
  const net = new EncoderDecoder(new Seq2SeqEncoder(12, 8, 16, 2), new Seq2SeqDecoder(12, 8, 16, 2));
  net.initialize();
  return net;
}

/** Example inputs: source and decoder-input token indices [N, T]. */
export const inputs = { encX: { shape: ['N', 'S'], dtype: 'float32' }, decX: { shape: ['N', 'T'], dtype: 'float32' } };
