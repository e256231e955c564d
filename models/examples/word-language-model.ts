/**
 * MXNet's example/gluon/word_language_model (train.py with model.py's
 * `RNNModel`) in TypeScript: an Embedding, a recurrent layer (rnn_relu,
 * rnn_tanh, lstm or gru) and a Dense decoder, optionally tied to the
 * embedding; truncated back-propagation over `bptt` steps with the state
 * carried and detached, gradients clipped by `clipGlobalNorm`, the learning
 * rate quartered (and the best parameters reloaded) when validation does not
 * improve.
 *
 * Departures: the corpus is a tiny seeded one the example writes itself (a
 * small grammar, `corpus()`), not Penn Treebank; tying is
 * `decoder.shareParameters(encoder.params)` (MXNet 1.x's `params=` keyword is
 * refused by gluonc's constructors, with that advice); the parameters are
 * saved to a temporary safetensors file (`--save`), and MXNet's
 * `trainer._init_optimizer` becomes `trainer.setLearningRate` (plain SGD has
 * no state to reset); `--use-cell` and variational dropout are not ported.
 *
 * ```
 * npx tsx models/examples/word-language-model.ts --tied   # --model lstm --emsize 16 --nhid 16 --nlayers 2 --epochs 8 --batch-size 4 --bptt 8
 * ```
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { isMain, runMain } from './train-loop.js';

const { nn, rnn } = gluon;

type RecurrentLayer = gluon.rnn.RNN | gluon.rnn.LSTM | gluon.rnn.GRU;

/** model.py's `RNNModel`: a model with an encoder, recurrent layer, and a decoder. */
export class RNNModel extends gluon.Block {
  drop: gluon.nn.Dropout;
  encoder: gluon.nn.Embedding;
  rnn: RecurrentLayer;
  decoder: gluon.nn.Dense;
  numHidden: number;
  constructor(mode: string, vocabSize: number, numEmbed: number, numHidden: number, numLayers: number, dropout = 0.5, tieWeights = false) {
    super();
    this.drop = new nn.Dropout(dropout);
    this.encoder = new nn.Embedding(vocabSize, numEmbed, { weightInitializer: new init.Uniform(0.1) });
    if (mode === 'rnn_relu') this.rnn = new rnn.RNN(numHidden, numLayers, { activation: 'relu', dropout, inputSize: numEmbed });
    else if (mode === 'rnn_tanh') this.rnn = new rnn.RNN(numHidden, numLayers, { activation: 'tanh', dropout, inputSize: numEmbed });
    else if (mode === 'lstm') this.rnn = new rnn.LSTM(numHidden, numLayers, { dropout, inputSize: numEmbed });
    else if (mode === 'gru') this.rnn = new rnn.GRU(numHidden, numLayers, { dropout, inputSize: numEmbed });
    else throw new Error(`Invalid mode ${mode}. Options are rnn_relu, rnn_tanh, lstm, and gru`);

    this.decoder = new nn.Dense(vocabSize, { inUnits: numHidden });
    // MXNet: nn.Dense(vocab_size, in_units=num_hidden, params=self.encoder.params)
    if (tieWeights) this.decoder.shareParameters(this.encoder.params);
    this.numHidden = numHidden;
  }

  override forward(inputs: nd.NDArray, hidden: nd.NDArray[]): [nd.NDArray, nd.NDArray[]] {
    const emb = this.drop.call(this.encoder.call(inputs)) as nd.NDArray;
    let output: nd.NDArray;
    [output, hidden] = this.rnn.call(emb, hidden) as [nd.NDArray, nd.NDArray[]];
    output = this.drop.call(output) as nd.NDArray;
    const decoded = this.decoder.call(output.reshape([-1, this.numHidden])) as nd.NDArray;
    return [decoded, hidden];
  }

  beginState(...args: Parameters<RecurrentLayer['beginState']>): nd.NDArray[] {
    return this.rnn.beginState(...args);
  }
}

/**
 * The example's corpus, made up: `n` seeded sentences of a small grammar
 * ("the cat sees a dog ."), each ending in `<eos>` as data.py's Corpus adds;
 * returns the token ids and the dictionary (ids in order of first use).
 */
export function corpus(n: number, dictionary: Map<string, number> = new Map()): { ids: nd.NDArray; dictionary: Map<string, number> } {
  const det = ['the', 'a'];
  const noun = ['cat', 'dog', 'bird', 'fish'];
  const verb = ['sees', 'likes', 'chases'];
  const pick = (xs: string[]): string => xs[Math.min(xs.length - 1, Math.floor((nd.random.uniform(0, 1, [1]).data()[0] as number) * xs.length))]!;
  const ids: number[] = [];
  for (let s = 0; s < n; s++) {
    for (const w of [pick(det), pick(noun), pick(verb), pick(det), pick(noun), '.', '<eos>']) {
      if (!dictionary.has(w)) dictionary.set(w, dictionary.size);
      ids.push(dictionary.get(w)!);
    }
  }
  return { ids: nd.array(ids), dictionary };
}

/** Reshape data into (num_example, batch_size). */
export function batchify(data: nd.NDArray, batchSize: number): nd.NDArray {
  const nbatch = Math.floor(data.shape[0]! / batchSize);
  data = data.slice([0], [nbatch * batchSize]);
  return data.reshape([batchSize, nbatch]).T;
}

/** train.py's `get_batch`: `bptt` steps from row `i` and the next tokens, flattened. */
export function getBatch(source: nd.NDArray, i: number, bptt: number): [nd.NDArray, nd.NDArray] {
  const seqLen = Math.min(bptt, source.shape[0]! - 1 - i);
  const data = source.slice([i], [i + seqLen]);
  const target = source.slice([i + 1], [i + 1 + seqLen]);
  return [data, target.reshape([-1])];
}

function detach(hidden: nd.NDArray[]): nd.NDArray[] {
  return hidden.map((h) => h.detach());
}

/**
 * One step of train.py's loop: the state detached, forward and backward
 * under `record`, the gradients clipped to a global norm of
 * `clip × bptt × batchSize`, and `trainer.step(batchSize)`; returns the
 * per-token losses and the new state.
 */
export function trainStep(model: RNNModel, trainer: gluon.Trainer, loss: gluon.loss.SoftmaxCrossEntropyLoss, data: nd.NDArray, target: nd.NDArray,
  hidden: nd.NDArray[], args: { clip: number; bptt: number; batchSize: number }): [nd.NDArray, nd.NDArray[]] {
  hidden = detach(hidden);
  const L = autograd.record(() => {
    let output: nd.NDArray;
    [output, hidden] = model.call(data, hidden) as [nd.NDArray, nd.NDArray[]];
    const l = loss.call(output, target) as nd.NDArray;
    l.backward();
    return l;
  });

  const grads = model.collectParams().values().map((p) => p.grad());
  // Here gradient is for the whole batch.
  // So we multiply max_norm by batch_size and bptt size to balance it.
  gluon.utils.clipGlobalNorm(grads, args.clip * args.bptt * args.batchSize);

  trainer.step(args.batchSize);
  return [L, hidden];
}

/** train.py's flags. */
export interface WordLanguageModelOptions {
  model?: string;
  emsize?: number;
  nhid?: number;
  nlayers?: number;
  lr?: number;
  clip?: number;
  epochs?: number;
  batchSize?: number;
  bptt?: number;
  dropout?: number;
  tied?: boolean;
  logInterval?: number;
  /** Where the best parameters go (default: a temporary folder, removed afterwards). */
  save?: string;
  seed?: number;
  /** Training sentences (validation and test get a quarter each; default 64). */
  sentences?: number;
  log?: (line: string) => void;
}

/** Runs train.py: returns the model, the validation loss of each epoch and the final test loss. */
export function train(o: WordLanguageModelOptions = {}): { model: RNNModel; valLosses: number[]; testLoss: number } {
  const args = {
    model: o.model ?? 'lstm', emsize: o.emsize ?? 16, nhid: o.nhid ?? 16, nlayers: o.nlayers ?? 2, lr: o.lr ?? 1.0, clip: o.clip ?? 0.2,
    epochs: o.epochs ?? 8, batchSize: o.batchSize ?? 4, bptt: o.bptt ?? 8, dropout: o.dropout ?? 0, tied: o.tied ?? false, logInterval: o.logInterval ?? 200,
  };
  const log = o.log ?? ((m: string) => console.log(m));
  random.seed(o.seed ?? 1);

  const sentences = o.sentences ?? 64;
  const train = corpus(sentences);
  const valid = corpus(Math.max(1, sentences >> 2), train.dictionary);
  const test = corpus(Math.max(1, sentences >> 2), train.dictionary);
  const trainData = batchify(train.ids, args.batchSize);
  const valData = batchify(valid.ids, args.batchSize);
  const testData = batchify(test.ids, args.batchSize);

  const ntokens = train.dictionary.size;
  const model = new RNNModel(args.model, ntokens, args.emsize, args.nhid, args.nlayers, args.dropout, args.tied);
  model.collectParams().initialize(new init.Xavier());
  const trainer = new gluon.Trainer(model.collectParams(), 'sgd', { learningRate: args.lr, momentum: 0, wd: 0 });
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();

  const evaluate = (dataSource: nd.NDArray): number => {
    let totalL = 0.0;
    let ntotal = 0;
    let hidden = model.beginState({ batchSize: args.batchSize });
    for (let i = 0; i < dataSource.shape[0]! - 1; i += args.bptt) {
      const [data, target] = getBatch(dataSource, i, args.bptt);
      let output: nd.NDArray;
      [output, hidden] = model.call(data, hidden) as [nd.NDArray, nd.NDArray[]];
      const L = loss.call(output, target) as nd.NDArray;
      totalL += nd.sum(L).asscalar();
      ntotal += L.size;
    }
    return totalL / ntotal;
  };

  const valLosses: number[] = [];
  // Made here, after everything that can throw on bad options, and removed in the finally below.
  const tmp = o.save ? undefined : mkdtempSync(join(tmpdir(), 'gluonc-wlm-'));
  const save = o.save ?? join(tmp!, 'model.params');
  try {
    let bestVal = Infinity;
    for (let epoch = 0; epoch < args.epochs; epoch++) {
      let totalL = 0.0;
      const startTime = Date.now();
      let hidden = model.beginState({ batchSize: args.batchSize });
      for (let ibatch = 0, i = 0; i < trainData.shape[0]! - 1; ibatch++, i += args.bptt) {
        const [data, target] = getBatch(trainData, i, args.bptt);
        let L: nd.NDArray;
        [L, hidden] = trainStep(model, trainer, loss, data, target, hidden, args);
        totalL += nd.sum(L).asscalar();

        if (ibatch % args.logInterval === 0 && ibatch > 0) {
          const curL = totalL / args.bptt / args.batchSize / args.logInterval;
          log(`[Epoch ${epoch} Batch ${ibatch}] loss ${curL.toFixed(2)}, ppl ${Math.exp(curL).toFixed(2)}`);
          totalL = 0.0;
        }
      }

      const valL = evaluate(valData);
      valLosses.push(valL);
      log(`[Epoch ${epoch}] time cost ${((Date.now() - startTime) / 1000).toFixed(2)}s, valid loss ${valL.toFixed(2)}, valid ppl ${Math.exp(valL).toFixed(2)}`);

      if (valL < bestVal) {
        bestVal = valL;
        const testL = evaluate(testData);
        model.saveParameters(save);
        log(`test loss ${testL.toFixed(2)}, test ppl ${Math.exp(testL).toFixed(2)}`);
      } else {
        args.lr = args.lr * 0.25;
        trainer.setLearningRate(args.lr);
        model.loadParameters(save);
      }
    }
    model.loadParameters(save);
    const testL = evaluate(testData);
    log(`Best test loss ${testL.toFixed(2)}, test ppl ${Math.exp(testL).toFixed(2)}`);
    return { model, valLosses, testLoss: testL };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'lstm' }, emsize: { type: 'string', default: '16' }, nhid: { type: 'string', default: '16' },
      nlayers: { type: 'string', default: '2' }, lr: { type: 'string', default: '1.0' }, clip: { type: 'string', default: '0.2' },
      epochs: { type: 'string', default: '8' }, 'batch-size': { type: 'string', default: '4' }, bptt: { type: 'string', default: '8' },
      dropout: { type: 'string', default: '0' }, tied: { type: 'boolean', default: false }, 'log-interval': { type: 'string', default: '200' },
      save: { type: 'string' }, seed: { type: 'string', default: '1' },
    },
  });
  const num = (name: keyof typeof values, min = 0): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number of at least ${min}, got '${values[name]}'`);
    return v;
  };
  train({
    model: values.model, emsize: num('emsize', 1), nhid: num('nhid', 1), nlayers: num('nlayers', 1), lr: num('lr'), clip: num('clip', Number.MIN_VALUE),
    epochs: num('epochs'), batchSize: num('batch-size', 1), bptt: num('bptt', 1), dropout: num('dropout'), tied: values.tied,
    logInterval: num('log-interval', 1), save: values.save, seed: num('seed'),
  });
}

if (isMain(import.meta.url)) runMain('word-language-model', () => main(process.argv.slice(2)));
