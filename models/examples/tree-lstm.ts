/**
 * MXNet's example/gluon/tree_lstm (tree_lstm.py and main.py) in TypeScript:
 * the Child-Sum Tree-LSTM (Tai et al., 2015) over dependency trees, and the
 * distance-angle similarity head, trained with KL divergence against the
 * relatedness score spread over its two nearest integers (main.py's
 * `to_target`), scored by Pearson's r and MSE.
 *
 * As in MXNet, the blocks are plain `Block`s whose `forward` takes the
 * operator backend first (`net.call(nd, lSent, rSent, lTree, rTree)`) and
 * recurses over the tree's children; main.py's loop (a backward per pair,
 * `trainer.step(batchSize)` after every `batchSize` pairs, with `gradReq`
 * 'write', so each step applies the last pair's gradient, divided by the
 * batch size) is kept.
 *
 * Departures: the data are tiny seeded sentence pairs the example draws
 * itself (random dependency trees over a small vocabulary, a relatedness
 * in [1, 5] from their word overlap), not SICK, and the word embedding is a
 * seeded normal matrix instead of GloVe; MXNet's `F._internal._plus` and
 * `_mul` are `F.add` and `F.mul`; checkpoints are not written.
 *
 * ```
 * npx tsx models/examples/tree-lstm.ts            # --epochs 3 --batch-size 4 --lr 0.02 --wd 0.0001 --optimizer adagrad --seed 123
 * ```
 */
import { parseArgs } from 'node:util';
import { autograd as ag, gluon, init, metric as metrics, nd, random } from 'gluonc';
import { isMain, runMain } from './train-loop.js';

const { Block, nn } = gluon;

/** A dependency tree: the word at `idx`, its children. */
export class Tree {
  children: Tree[] = [];
  constructor(readonly idx: number) {}
  addChild(c: Tree): this {
    this.children.push(c);
    return this;
  }
}

type Backend = typeof nd;
type State = [nd.NDArray, nd.NDArray];

/** tree_lstm.py's `ChildSumLSTMCell`. */
export class ChildSumLSTMCell extends Block {
  _hiddenSize: number;
  _inputSize: number;
  i2hWeight: gluon.Parameter;
  hs2hWeight: gluon.Parameter;
  hc2hWeight: gluon.Parameter;
  i2hBias: gluon.Parameter;
  hs2hBias: gluon.Parameter;
  hc2hBias: gluon.Parameter;
  constructor(hiddenSize: number, { inputSize = 0 }: { inputSize?: number } = {}) {
    super();
    this._hiddenSize = hiddenSize;
    this._inputSize = inputSize;
    this.i2hWeight = this.params.get('i2h_weight', { shape: [4 * hiddenSize, inputSize] });
    this.hs2hWeight = this.params.get('hs2h_weight', { shape: [3 * hiddenSize, hiddenSize] });
    this.hc2hWeight = this.params.get('hc2h_weight', { shape: [hiddenSize, hiddenSize] });
    this.i2hBias = this.params.get('i2h_bias', { shape: [4 * hiddenSize], init: 'zeros' });
    this.hs2hBias = this.params.get('hs2h_bias', { shape: [3 * hiddenSize], init: 'zeros' });
    this.hc2hBias = this.params.get('hc2h_bias', { shape: [hiddenSize], init: 'zeros' });
  }

  override forward(F: Backend, inputs: nd.NDArray, tree: Tree): [nd.NDArray, State] {
    const childrenOutputs = tree.children.map((child) => this.forward(F, inputs, child));
    const childrenStates = childrenOutputs.length ? childrenOutputs.map(([, s]) => s) : null;
    return this.nodeForward(F, F.expandDims(inputs.at(tree.idx), { axis: 0 }), childrenStates,
      this.i2hWeight.data(), this.hs2hWeight.data(), this.hc2hWeight.data(),
      this.i2hBias.data(), this.hs2hBias.data(), this.hc2hBias.data());
  }

  nodeForward(F: Backend, inputs: nd.NDArray, childrenStates: State[] | null,
    i2hWeight: nd.NDArray, hs2hWeight: nd.NDArray, hc2hWeight: nd.NDArray,
    i2hBias: nd.NDArray, hs2hBias: nd.NDArray, hc2hBias: nd.NDArray): [nd.NDArray, State] {
    // notation: N for batch size, C for hidden state dimensions, K for number of children.

    // FC for i, f, u, o gates (N, 4*C), from input to hidden
    const i2h = F.FullyConnected(inputs, i2hWeight, i2hBias, { numHidden: this._hiddenSize * 4 });
    const i2hSlices = F.split(i2h, { numOutputs: 4 }); // (N, C)*4
    let i2hIuo = F.concat(...[0, 2, 3].map((i) => i2hSlices[i]!), { dim: 1 }); // (N, C*3)
    let hs: nd.NDArray;
    let cs: nd.NDArray | undefined;
    let forgetGates: nd.NDArray | undefined;
    if (childrenStates) {
      // sum of children states
      hs = F.addN(...childrenStates.map((state) => state[0])); // (N, C)
      // concatenation of children hidden states
      const hc = F.concat(...childrenStates.map((state) => F.expandDims(state[0], { axis: 1 })), { dim: 1 }); // (N, K, C)
      // concatenation of children cell states
      cs = F.concat(...childrenStates.map((state) => F.expandDims(state[1], { axis: 1 })), { dim: 1 }); // (N, K, C)

      // calculate activation for forget gate. addition in f_act is done with broadcast
      const i2hFSlice = i2hSlices[1]!;
      const fAct = i2hFSlice.add(hc2hBias).add(F.dot(hc, hc2hWeight)); // (N, K, C)
      forgetGates = F.Activation(fAct, { actType: 'sigmoid' }); // (N, K, C)
    } else {
      // for leaf nodes, summation of children hidden states are zeros.
      hs = F.zerosLike(i2hSlices[0]!);
    }

    // FC for i, u, o gates, from summation of children states to hidden state
    const hs2hIuo = F.FullyConnected(hs, hs2hWeight, hs2hBias, { numHidden: this._hiddenSize * 3 });
    i2hIuo = i2hIuo.add(hs2hIuo);

    const iuoActSlices = F.SliceChannel(i2hIuo, { numOutputs: 3 }); // (N, C)*3
    const [iAct, uAct, oAct] = [iuoActSlices[0]!, iuoActSlices[1]!, iuoActSlices[2]!]; // (N, C) each

    // calculate gate outputs
    const inGate = F.Activation(iAct, { actType: 'sigmoid' });
    const inTransform = F.Activation(uAct, { actType: 'tanh' });
    const outGate = F.Activation(oAct, { actType: 'sigmoid' });

    // calculate cell state and hidden state
    let nextC = inGate.mul(inTransform);
    if (childrenStates) nextC = F.add(F.sum(forgetGates!.mul(cs!), { axis: 1 }), nextC);
    const nextH = F.mul(outGate, F.Activation(nextC, { actType: 'tanh' }));

    return [nextH, [nextH, nextC]];
  }
}

/** module for distance-angle similarity */
export class Similarity extends nn.Block {
  wh: gluon.nn.Dense;
  wp: gluon.nn.Dense;
  constructor(simHiddenSize: number, rnnHiddenSize: number, numClasses: number) {
    super();
    this.wh = new nn.Dense(simHiddenSize, { inUnits: 2 * rnnHiddenSize });
    this.wp = new nn.Dense(numClasses, { inUnits: simHiddenSize });
  }
  override forward(F: Backend, lvec: nd.NDArray, rvec: nd.NDArray): nd.NDArray {
    // lvec and rvec will be tree_lstm cell states at roots
    const multDist = F.broadcastMul(lvec, rvec);
    const absDist = F.abs(F.add(lvec, rvec.neg()));
    const vecDist = F.concat(multDist, absDist, { dim: 1 });
    return F.logSoftmax(this.wp.call(F.sigmoid(this.wh.call(vecDist) as nd.NDArray)) as nd.NDArray);
  }
}

/** putting the whole model together */
export class SimilarityTreeLSTM extends nn.Block {
  embed: gluon.nn.Embedding;
  childsumtreelstm: ChildSumLSTMCell;
  similarity: Similarity;
  constructor(simHiddenSize: number, rnnHiddenSize: number, embedInSize: number, embedDim: number, numClasses: number) {
    super();
    this.embed = new nn.Embedding(embedInSize, embedDim);
    this.childsumtreelstm = new ChildSumLSTMCell(rnnHiddenSize, { inputSize: embedDim });
    this.similarity = new Similarity(simHiddenSize, rnnHiddenSize, numClasses);
  }
  override forward(F: Backend, lInputs: nd.NDArray, rInputs: nd.NDArray, lTree: Tree, rTree: Tree): nd.NDArray {
    lInputs = this.embed.call(lInputs) as nd.NDArray;
    rInputs = this.embed.call(rInputs) as nd.NDArray;
    const lstate = (this.childsumtreelstm.call(F, lInputs, lTree) as [nd.NDArray, State])[1][1];
    const rstate = (this.childsumtreelstm.call(F, rInputs, rTree) as [nd.NDArray, State])[1][1];
    return this.similarity.call(F, lstate, rstate) as nd.NDArray;
  }
}

/** One example: the two sentences (word ids), their trees and the relatedness in [1, 5]. */
export interface Pair {
  lSent: nd.NDArray;
  rSent: nd.NDArray;
  lTree: Tree;
  rTree: Tree;
  label: number;
}

/** A random dependency tree over `n` words: each word after the root hangs from an earlier one. */
export function randomTree(n: number, draw: () => number): Tree {
  const nodes = Array.from({ length: n }, (_, i) => new Tree(i));
  for (let i = 1; i < n; i++) nodes[Math.floor(draw() * i)]!.addChild(nodes[i]!);
  return nodes[0]!;
}

/**
 * `n` seeded sentence pairs over `vocab` words (3 to 6 words each); the
 * right sentence shares a random share of the left's words, and the label
 * is 1 + 4 × the share of shared words.
 */
export function sickLike(n: number, vocab: number): Pair[] {
  const draw = (): number => nd.random.uniform(0, 1, [1]).data()[0] as number;
  const pairs: Pair[] = [];
  for (let k = 0; k < n; k++) {
    const len = 3 + Math.floor(draw() * 4);
    const left = Array.from({ length: len }, () => Math.floor(draw() * vocab));
    const keep = draw();
    const right = left.map((w) => (draw() < keep ? w : Math.floor(draw() * vocab)));
    const shared = right.filter((w, i) => w === left[i]).length / len;
    pairs.push({ lSent: nd.array(left), rSent: nd.array(right), lTree: randomTree(len, draw), rTree: randomTree(len, draw), label: 1 + 4 * shared });
  }
  return pairs;
}

/** main.py's `to_target`: the score spread over its two nearest integers' classes. */
export function toTarget(x: number, numClasses = 5): nd.NDArray {
  const target = new Array<number>(numClasses).fill(0);
  const ceil = Math.ceil(x);
  const floor = Math.floor(x);
  if (ceil === floor) target[floor - 1] = 1;
  else {
    target[floor - 1] = ceil - x;
    target[ceil - 1] = x - floor;
  }
  return nd.array([target]);
}

/** main.py's `to_score`: the expected class (1..5) of each row of log-probabilities. */
export function toScore(x: nd.NDArray): nd.NDArray[] {
  const levels = nd.arange(1, 6);
  return [nd.sum(levels.mul(nd.exp(x)), { axis: 1 }).reshape([-1, 1])];
}

/** main.py's flags (sizes scaled down). */
export interface TreeLstmOptions {
  batchSize?: number;
  epochs?: number;
  lr?: number;
  wd?: number;
  optimizer?: string;
  seed?: number;
  log?: (line: string) => void;
}

/** Runs main.py's training; returns the net and the dev Pearson's r of each epoch. */
export function train(o: TreeLstmOptions = {}): { net: SimilarityTreeLSTM; devR: number[] } {
  const log = o.log ?? ((m: string) => console.log(m));
  const [rnnHiddenSize, simHiddenSize, numClasses] = [12, 8, 5];
  const [vocabSize, embedDim] = [20, 10];
  const batchSize = o.batchSize ?? 4;
  random.seed(o.seed ?? 123);
  const trainData = sickLike(16, vocabSize);
  const devData = sickLike(8, vocabSize);
  const embedding = nd.random.normal(0, 1, [vocabSize, embedDim]);

  // get network
  const net = new SimilarityTreeLSTM(simHiddenSize, rnnHiddenSize, vocabSize, embedDim, numClasses);

  // use pearson correlation and mean-square error for evaluation
  const metric = metrics.create(['pearsonr', 'mse']);

  const test = (dataIter: Pair[], mode: string): number => {
    const preds: nd.NDArray[] = [];
    const labels = [nd.array(dataIter.map((p) => p.label)).reshape([-1, 1])];
    for (const { lTree, lSent, rTree, rSent } of dataIter) preds.push(net.call(nd, lSent, rSent, lTree, rTree) as nd.NDArray);
    const scores = toScore(nd.concat(...preds, { dim: 0 }));
    metric.update(scores, labels);
    const [names, values] = metric.get() as [string[], number[]];
    metric.reset();
    let testR = NaN;
    names.forEach((name, i) => {
      log(`${mode} acc: ${name}=${values[i]!.toFixed(6)}`);
      if (name === 'pearsonr') testR = values[i]!;
    });
    return testR;
  };

  // initialization
  net.collectParams().initialize(new init.Xavier({ magnitude: 2.24 }));
  net.embed.weight.setData(embedding);

  // set up trainer for optimizing the network.
  const trainer = new gluon.Trainer(net.collectParams(), o.optimizer ?? 'adagrad', { learningRate: o.lr ?? 0.02, wd: o.wd ?? 0.0001 });

  const Loss = new gluon.loss.KLDivLoss();
  const devR: number[] = [];
  for (let i = 0; i < (o.epochs ?? 3); i++) {
    // collect predictions and labels for evaluation metrics
    const preds: nd.NDArray[] = [];
    const labels = [nd.array(trainData.map((p) => p.label)).reshape([-1, 1])];
    trainData.forEach(({ lTree, lSent, rTree, rSent, label }, j) => {
      // use autograd to record the forward calculation
      ag.record(() => {
        // forward calculation. the output is log probability
        const z = net.call(nd, lSent, rSent, lTree, rTree) as nd.NDArray;
        // calculate loss
        const loss = Loss.call(z, toTarget(label)) as nd.NDArray;
        // backward calculation for gradients.
        loss.backward();
        preds.push(z);
      });
      // update weight after every batch_size samples
      if ((j + 1) % batchSize === 0) trainer.step(batchSize);
    });

    // translate log-probability to scores, and evaluate
    const scores = toScore(nd.concat(...preds, { dim: 0 }));
    metric.update(scores, labels);
    const [names, values] = metric.get() as [string[], number[]];
    metric.reset();
    names.forEach((name, k) => log(`training acc at epoch ${i}: ${name}=${values[k]!.toFixed(6)}`));
    devR.push(test(devData, 'validation'));
  }
  return { net, devR };
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      'batch-size': { type: 'string', default: '4' }, epochs: { type: 'string', default: '3' }, lr: { type: 'string', default: '0.02' },
      wd: { type: 'string', default: '0.0001' }, optimizer: { type: 'string', default: 'adagrad' }, seed: { type: 'string', default: '123' },
    },
  });
  const num = (name: keyof typeof values): number => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number, got '${values[name]}'`);
    return v;
  };
  train({ batchSize: num('batch-size'), epochs: num('epochs'), lr: num('lr'), wd: num('wd'), optimizer: String(values.optimizer).toLowerCase(), seed: num('seed') });
}

if (isMain(import.meta.url)) runMain('tree-lstm', () => main(process.argv.slice(2)));
