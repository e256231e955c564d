/**
 * MXNet's example/gluon/lstm_crf/lstm_crf.py in TypeScript: a BiLSTM-CRF
 * for noun-phrase chunking on the example's two made-up sentences. The
 * forward algorithm (the partition function), the gold path's score and the
 * Viterbi decode are the example's loops over tags, one eager operator at a
 * time, trained with SGD (learning rate 0.01, wd 1e-4) as the example is.
 *
 * ```
 * npx tsx models/examples/lstm-crf.ts              # --epochs 300 --seed 1
 * ```
 */
import { parseArgs } from 'node:util';
import { autograd as ag, gluon, init, nd, random } from 'gluonc';
import { isMain, runMain } from './train-loop.js';

const { Block, nn, rnn } = gluon;

export const START_TAG = '<START>';
export const STOP_TAG = '<STOP>';

// Helper functions to make the code more readable.
function toScalar(x: nd.NDArray): number {
  return Math.trunc(x.asscalar());
}

function argmax(vec: nd.NDArray): number {
  // return the argmax as a number
  const idx = nd.argmax(vec, { axis: 1 });
  return toScalar(idx);
}

/** The sentence's words as their indices. */
export function prepareSequence(seq: string[], word2idx: Record<string, number>): nd.NDArray {
  return nd.array(seq.map((w) => word2idx[w]!));
}

// Compute log sum exp is numerically more stable than multiplying probabilities
function logSumExp(vec: nd.NDArray): nd.NDArray {
  const maxScore = nd.max(vec).asscalar();
  return nd.log(nd.sum(nd.exp(vec.sub(maxScore)))).add(maxScore);
}

/** lstm_crf.py's `BiLSTM_CRF`: Embedding, a bidirectional LSTM, a Dense to tag space and a CRF transition matrix. */
export class BiLSTM_CRF extends Block {
  embeddingDim: number;
  hiddenDim: number;
  vocabSize: number;
  tag2idx: Record<string, number>;
  tagsetSize: number;
  wordEmbeds: gluon.nn.Embedding;
  lstm: gluon.rnn.LSTM;
  hidden2tag: gluon.nn.Dense;
  transitions: gluon.Parameter;
  hidden: nd.NDArray[];

  constructor(vocabSize: number, tag2idx: Record<string, number>, embeddingDim: number, hiddenDim: number) {
    super();
    this.embeddingDim = embeddingDim;
    this.hiddenDim = hiddenDim;
    this.vocabSize = vocabSize;
    this.tag2idx = tag2idx;
    this.tagsetSize = Object.keys(tag2idx).length;

    this.wordEmbeds = new nn.Embedding(vocabSize, embeddingDim);
    this.lstm = new rnn.LSTM(Math.floor(hiddenDim / 2), { numLayers: 1, bidirectional: true });

    // Maps the output of the LSTM into tag space.
    this.hidden2tag = new nn.Dense(this.tagsetSize);

    // Matrix of transition parameters.  Entry i,j is the score of
    // transitioning *to* i *from* j.
    this.transitions = this.params.get('crf_transition_matrix', { shape: [this.tagsetSize, this.tagsetSize] });

    this.hidden = this.initHidden();
  }

  initHidden(): nd.NDArray[] {
    return [nd.random.normal({ shape: [2, 1, Math.floor(this.hiddenDim / 2)] }),
      nd.random.normal({ shape: [2, 1, Math.floor(this.hiddenDim / 2)] })];
  }

  _forwardAlg(feats: nd.NDArray[]): nd.NDArray {
    // Do the forward algorithm to compute the partition function
    const alphas0 = [new Array<number>(this.tagsetSize).fill(-10000)];
    alphas0[0]![this.tag2idx[START_TAG]!] = 0;
    let alphas = nd.array(alphas0);

    // Iterate through the sentence
    for (const feat of feats) {
      const alphasT: nd.NDArray[] = []; // The forward variables at this timestep
      for (let nextTag = 0; nextTag < this.tagsetSize; nextTag++) {
        // broadcast the emission score: it is the same regardless of
        // the previous tag
        const emitScore = feat.at(nextTag).reshape([1, -1]);
        // the ith entry of trans_score is the score of transitioning to
        // next_tag from i
        const transScore = this.transitions.data().at(nextTag).reshape([1, -1]);
        // The ith entry of next_tag_var is the value for the
        // edge (i -> next_tag) before we do log-sum-exp
        const nextTagVar = alphas.add(transScore).add(emitScore);
        // The forward variable for this tag is log-sum-exp of all the
        // scores.
        alphasT.push(logSumExp(nextTagVar));
      }
      // (gluonc's reductions over every axis give shape [], MXNet 1.x's [1]: so stack, not concat.)
      alphas = nd.stack(...alphasT, { axis: 0 }).reshape([1, -1]);
    }
    const terminalVar = alphas.add(this.transitions.data().at(this.tag2idx[STOP_TAG]!));
    const alpha = logSumExp(terminalVar);
    return alpha;
  }

  _getLstmFeatures(sentence: nd.NDArray): nd.NDArray[] {
    this.hidden = this.initHidden();
    const length = sentence.shape[0]!;
    const embeds = (this.wordEmbeds.call(sentence) as nd.NDArray).reshape([length, 1, -1]);
    let lstmOut: nd.NDArray;
    [lstmOut, this.hidden] = this.lstm.call(embeds, this.hidden) as [nd.NDArray, nd.NDArray[]];
    lstmOut = lstmOut.reshape([length, this.hiddenDim]);
    const lstmFeats = this.hidden2tag.call(lstmOut) as nd.NDArray;
    return nd.split(lstmFeats, { numOutputs: length, axis: 0, squeezeAxis: true }) as nd.NDArray[];
  }

  _scoreSentence(feats: nd.NDArray[], tags: nd.NDArray): nd.NDArray {
    // Gives the score of a provided tag sequence
    let score = nd.array([0]);
    tags = nd.concat(nd.array([this.tag2idx[START_TAG]!]), tags, { dim: 0 });
    feats.forEach((feat, i) => {
      score = score.add(this.transitions.data().at(toScalar(tags.at(i + 1))).at(toScalar(tags.at(i))))
        .add(feat.at(toScalar(tags.at(i + 1))));
    });
    score = score.add(this.transitions.data().at(this.tag2idx[STOP_TAG]!).at(toScalar(tags.at(tags.shape[0]! - 1))));
    return score;
  }

  _viterbiDecode(feats: nd.NDArray[]): [nd.NDArray, number[]] {
    const backpointers: number[][] = [];

    // Initialize the viterbi variables in log space
    // (MXNet's `vvars[0, START] = 0`: gluonc has no item assignment, so the row is built first.)
    const init0 = new Array<number>(this.tagsetSize).fill(-10000);
    init0[this.tag2idx[START_TAG]!] = 0;
    let vvars = nd.array([init0]);

    for (const feat of feats) {
      const bptrsT: number[] = []; // holds the backpointers for this step
      const viterbivarsT: nd.NDArray[] = []; // holds the viterbi variables for this step

      for (let nextTag = 0; nextTag < this.tagsetSize; nextTag++) {
        // next_tag_var[i] holds the viterbi variable for tag i at the
        // previous step, plus the score of transitioning
        // from tag i to next_tag.
        // We don't include the emission scores here because the max
        // does not depend on them (we add them in below)
        const nextTagVar = vvars.add(this.transitions.data().at(nextTag));
        const bestTagId = argmax(nextTagVar);
        bptrsT.push(bestTagId);
        viterbivarsT.push(nextTagVar.at(0).at(bestTagId));
      }
      // Now add in the emission scores, and assign vvars to the set
      // of viterbi variables we just computed
      vvars = nd.stack(...viterbivarsT, { axis: 0 }).add(feat).reshape([1, -1]);
      backpointers.push(bptrsT);
    }

    // Transition to STOP_TAG
    const terminalVar = vvars.add(this.transitions.data().at(this.tag2idx[STOP_TAG]!));
    let bestTagId = argmax(terminalVar);
    const pathScore = terminalVar.at(0).at(bestTagId);

    // Follow the back pointers to decode the best path.
    const bestPath = [bestTagId];
    for (const bptrsT of [...backpointers].reverse()) {
      bestTagId = bptrsT[bestTagId]!;
      bestPath.push(bestTagId);
    }
    // Pop off the start tag (we dont want to return that to the caller)
    const start = bestPath.pop();
    if (start !== this.tag2idx[START_TAG]) throw new Error('lstm-crf: the Viterbi path does not begin at the start tag'); // Sanity check
    bestPath.reverse();
    return [pathScore, bestPath];
  }

  negLogLikelihood(sentence: nd.NDArray, tags: nd.NDArray): nd.NDArray {
    const feats = this._getLstmFeatures(sentence);
    const forwardScore = this._forwardAlg(feats);
    const goldScore = this._scoreSentence(feats, tags);
    return forwardScore.sub(goldScore);
  }

  override forward(sentence: nd.NDArray): [nd.NDArray, number[]] { // dont confuse this with _forwardAlg above.
    // Get the emission scores from the BiLSTM
    const lstmFeats = this._getLstmFeatures(sentence);

    // Find the best path, given the features.
    return this._viterbiDecode(lstmFeats);
  }
}

// Make up some training data
export const trainingData: [string[], string[]][] = [[
  'the wall street journal reported today that apple corporation made money'.split(' '),
  'B I I I O O O B I O O'.split(' '),
], [
  'georgia tech is a university in georgia'.split(' '),
  'B I O O O O B'.split(' '),
]];

export const EMBEDDING_DIM = 5;
export const HIDDEN_DIM = 4;

/** The example's vocabulary: each word's index in order of first appearance. */
export function wordIndex(data = trainingData): Record<string, number> {
  const word2idx: Record<string, number> = {};
  for (const [sentence] of data) for (const word of sentence) if (!(word in word2idx)) word2idx[word] = Object.keys(word2idx).length;
  return word2idx;
}

export const tag2idx: Record<string, number> = { B: 0, I: 1, O: 2, [START_TAG]: 3, [STOP_TAG]: 4 };

/** Options of `train`. */
export interface LstmCrfOptions {
  epochs?: number;
  seed?: number;
  log?: (line: string) => void;
}

/** The example's script: builds the model, prints its prediction, trains and prints it again; returns the model and the losses per epoch. */
export function train(options: LstmCrfOptions = {}): { model: BiLSTM_CRF; losses: number[] } {
  const log = options.log ?? ((m: string) => console.log(m));
  random.seed(options.seed ?? 1);
  const word2idx = wordIndex();
  const model = new BiLSTM_CRF(Object.keys(word2idx).length, tag2idx, EMBEDDING_DIM, HIDDEN_DIM);
  model.initialize(new init.Xavier({ magnitude: 2.24 }));
  const optimizer = new gluon.Trainer(model.collectParams(), 'sgd', { learningRate: 0.01, wd: 1e-4 });

  // Check predictions before training
  let precheckSent = prepareSequence(trainingData[0]![0], word2idx);
  const show = ([score, path]: [nd.NDArray, number[]]): string => `(${score.toString()}, [${path.join(', ')}])`;
  log(show(model.call(precheckSent) as [nd.NDArray, number[]]));

  const losses: number[] = [];
  for (let epoch = 0; epoch < (options.epochs ?? 300); epoch++) { // again, normally you would NOT do 300 epochs, it is toy data
    let negLogLikelihoodAcc = 0;
    trainingData.forEach(([sentence, tags]) => {
      // Step 1. Get our inputs ready for the network, that is,
      // turn them into arrays of word indices.
      // Remember to use autograd to record the calculation.
      const negLogLikelihood = ag.record(() => {
        const sentenceIn = prepareSequence(sentence, word2idx);
        const targets = nd.array(tags.map((t) => tag2idx[t]!));
        // Step 2. Run our forward pass.
        const nll = model.negLogLikelihood(sentenceIn, targets);
        // Step 3. Compute the loss, gradients, and update the parameters by
        // calling optimizer.step()
        nll.backward();
        return nll;
      });
      optimizer.step(1);
      negLogLikelihoodAcc += negLogLikelihood.mean().asscalar();
    });
    const avg = negLogLikelihoodAcc / trainingData.length;
    losses.push(avg);
    log(`Epoch [${epoch}], Negative Log Likelihood ${avg.toFixed(4)}`);
  }

  // Check predictions after training
  precheckSent = prepareSequence(trainingData[0]![0], word2idx);
  log(show(model.call(precheckSent) as [nd.NDArray, number[]]));
  return { model, losses };
}

function main(argv: string[]): void {
  const { values } = parseArgs({ args: argv, options: { epochs: { type: 'string', default: '300' }, seed: { type: 'string', default: '1' } } });
  const epochs = Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`--epochs must be a non-negative integer, got '${values.epochs}'`);
  train({ epochs, seed: Number(values.seed) });
}

if (isMain(import.meta.url)) runMain('lstm-crf', () => main(process.argv.slice(2)));
