/**
 * `gluonc compile --train`: the training artifact `<name>.train.onnx`, one
 * graph that runs a whole optimizer step — forward (training mode), loss,
 * gradients and the optimizer's update — built the way the fused training
 * step of compiler/gluon/program.ts builds it.
 *
 * Inputs, in order: the model's inputs; `label`; `lr` and `t` (0-d float32:
 * the learning rate and the 1-based step count, which Adam's bias
 * correction reads); every parameter under its structural name (`0.weight`,
 * the same names as the inference artifact's initializers, which hold the
 * initial values); every optimizer state `<param>.state<k>` (zeros at the
 * first step). Outputs: `loss` (the batch mean, 0-d), `output` (the
 * forward output), `<param>.new` for every updated parameter (and for state
 * a layer updates itself, such as BatchNorm's running statistics) and
 * `<param>.state<k>.new`. Feed the `.new` values back as the next step's
 * inputs. (Parameters are plain inputs, not initializers: onnxruntime-node
 * ignores feeds that override an initializer.)
 *
 * The loss is the model file's `loss` export (a loss block, class or a
 * function returning one), else SoftmaxCrossEntropyLoss when the output is
 * [N, C] with C > 1 (labels: class indices, float32 [N]) and L2Loss
 * otherwise (labels: the output's shape); `labels` overrides the label
 * spec. The optimizer is SGD with momentum 0.9, learning rate 0.01, unless
 * the model file exports `trainer` (`{ optimizer: 'adam', learningRate: 0.001, ... }`).
 * Gradients are of the batch-mean loss, so `rescale` is 1.
 */
import { isFloat, type DType } from '../runtime/dtypes.js';
import { Session } from '../runtime/session.js';
import { gradients } from '../compiler/autodiff/reverse.js';
import { Graph } from '../compiler/ir/graph.js';
import type { Dim } from '../compiler/ir/types.js';
import { Value } from '../compiler/ir/value.js';
import { buildManifest, gluoncVersion, MANIFEST_METADATA_KEY, type ArtifactManifest } from '../compiler/manifest.js';
import { DEFAULT_OPSET, emitModel } from '../compiler/onnx/emit.js';
import { scalarTensor } from '../runtime/tensor.js';
import { withScope } from '../compiler/ops/errors.js';
import { withTrainingMode } from '../compiler/ops/mode.js';
import { runPipeline, type PassReport } from '../compiler/passes/pipeline.js';
import { Symbol } from '../compiler/trace/symbol.js';
import { symOps, variable } from '../compiler/trace/sym.js';
import type { InputSpec } from '../compiler/gluon/export.js';
import { gluon, optimizer as optimizers } from '../compiler/gluon/index.js';
import type { Optimizer } from '../compiler/gluon/optimizer/index.js';
import type { Parameter } from '../compiler/gluon/parameter.js';
import { withTrace } from '../compiler/gluon/trace-context.js';
import { UserError } from './errors.js';

type HybridBlock = InstanceType<typeof gluon.HybridBlock>;

/** The optimizer used when the model file exports no `trainer`. */
export const DEFAULT_TRAINER = { optimizer: 'sgd', learningRate: 0.01, momentum: 0.9 } as const;

/** Options of `trainingArtifact`. */
export interface TrainArtifactOptions {
  inputs: Record<string, InputSpec>;
  /** The model file's `loss` export, if any. */
  loss?: unknown;
  /** The model file's `labels` export, if any. */
  labels?: InputSpec;
  /** The model file's `trainer` export, if any. */
  trainer?: Record<string, unknown>;
  opset?: number;
  optLevel?: number;
  /** Called with each pass's report (for `--report`). */
  report?: (r: PassReport) => void;
  /** Where the model came from (for messages). */
  where: string;
}

/** What `trainingArtifact` built. */
export interface TrainArtifact {
  bytes: Uint8Array;
  manifest: ArtifactManifest;
  /** IR nodes before and after the pass pipeline. */
  nodes: { before: number; after: number };
}

function isLossClass(f: unknown): f is new () => HybridBlock {
  return typeof f === 'function' && f.prototype instanceof gluon.HybridBlock;
}

/** The loss block: the file's `loss` export or the default for the output shape. */
function chooseLoss(options: TrainArtifactOptions, outShape: Dim[]): { loss: HybridBlock; label: InputSpec } {
  let loss: unknown = options.loss;
  if (loss !== undefined) {
    if (isLossClass(loss)) loss = new loss();
    else if (typeof loss === 'function' && !(loss instanceof gluon.Block)) loss = (loss as () => unknown)();
    if (!(loss instanceof gluon.HybridBlock)) throw new UserError(`${options.where}: the 'loss' export must be a hybrid loss block (e.g. new gluon.loss.L2Loss()) or a function returning one`);
  }
  const classifier = outShape.length === 2 && typeof outShape[1] === 'number' && outShape[1] > 1;
  if (!loss) loss = classifier ? new gluon.loss.SoftmaxCrossEntropyLoss() : new gluon.loss.L2Loss();
  const sce = loss instanceof gluon.loss.SoftmaxCrossEntropyLoss && (loss as { sparseLabel: boolean }).sparseLabel;
  const label: InputSpec = options.labels ?? { dtype: 'float32', shape: sce ? outShape.slice(0, -1) : [...outShape] };
  return { loss: loss as HybridBlock, label };
}

function chooseOptimizer(options: TrainArtifactOptions): Optimizer {
  const spec = { ...(options.trainer ?? DEFAULT_TRAINER) } as Record<string, unknown>;
  const name = typeof spec['optimizer'] === 'string' ? (spec['optimizer'] as string) : 'sgd';
  delete spec['optimizer'];
  try {
    return optimizers.create(name, spec);
  } catch (e) {
    throw new UserError(`${options.where}: 'trainer' export: ${(e as Error).message}`);
  }
}

const constant = (x: number, dtype: DType): Symbol => new Symbol(Value.constant(scalarTensor(x, dtype)));

/**
 * Builds the training artifact of `block` (initialized; see the module comment).
 *
 * ```ts
 * const { bytes, manifest } = trainingArtifact(net, { inputs: { x: { shape: ['N', 784] } }, where: 'models/mlp.ts' });
 * ```
 */
export function trainingArtifact(block: HybridBlock, options: TrainArtifactOptions): TrainArtifact {
  const where = options.where;
  const opt = chooseOptimizer(options);
  const inputTypes = Object.entries(options.inputs).map(([name, s]) => ({ name, dtype: s.dtype ?? 'float32', shape: [...s.shape] }));
  const traced = withTrainingMode(true, () => block.trace(inputTypes));
  const { outputs, ctx } = traced;
  if (outputs.length !== 1) throw new UserError(`${where}: --train needs a model with one output, ${block.constructor.name} has ${outputs.length}`);
  const out = outputs[0]!;
  const { loss, label: labelSpec } = chooseLoss(options, out.shape as Dim[]);
  const label = variable('label', { dtype: labelSpec.dtype ?? 'float32', shape: labelSpec.shape });
  const lr = variable('lr', { dtype: 'float32', shape: [] });
  const t = variable('t', { dtype: 'float32', shape: [] });
  let lossVec: Symbol;
  try {
    lossVec = withTrainingMode(true, () => withTrace(ctx, () => withScope(loss.constructor.name, () => loss._traceCall([out, label])))) as Symbol;
  } catch (e) {
    throw new UserError(`${where}: ${loss.constructor.name} on the model's output ${JSON.stringify(out.shape)} and labels ${JSON.stringify(labelSpec.shape)}: ${(e as Error).message}`);
  }
  const lossMean = symOps.mean(lossVec) as Symbol;

  // Parameters in structural order, named by their structural names.
  const order = [...block.collectParams().entries()];
  const params = order.map(([, p]) => p).filter((p) => ctx.symbols.has(p));
  const taken = new Set([...inputTypes.map((x) => x.name), 'label', 'lr', 't', 'loss', 'output']);
  const nameOf = new Map<Parameter, string>();
  for (const p of params) {
    const name = ctx.symbols.get(p)!.value.name;
    if (taken.has(name)) throw new UserError(`${where}: parameter '${name}' has the same name as a training input or output; rename the input`);
    taken.add(name);
    nameOf.set(p, name);
    ctx.symbols.get(p)!.value.data = p.data()._host;
  }
  const trainable = params.filter((p) => p.gradReq !== 'null' && p.differentiable && isFloat(p.dtype));
  const grads = gradients([lossMean.value], trainable.map((p) => ctx.symbols.get(p)!.value), [(symOps.onesLike(lossMean) as Symbol).value]);

  const graphOuts: { name: string; value: Value }[] = [
    { name: 'loss', value: lossMean.value },
    { name: 'output', value: out.value },
  ];
  const stateValues: Value[] = [];
  trainable.forEach((p, i) => {
    const name = nameOf.get(p)!;
    const w = ctx.symbols.get(p)!;
    const g = grads[i] ? new Symbol(grads[i]!) : (symOps.zerosLike(w) as Symbol);
    const cast = (s: Symbol): Symbol => (p.dtype === 'float32' ? s : (symOps.cast(s, { dtype: p.dtype }) as Symbol));
    const lrP = p.lrMult === 1 ? cast(lr) : (symOps.mul(cast(lr), p.lrMult) as Symbol);
    const states = opt.createState(p.data()).map((st, k) => {
      const v = Value.param(`${name}.state${k}`, { dtype: st.dtype, shape: [...st.shape] });
      v.data = st._host;
      stateValues.push(v);
      return new Symbol(v);
    });
    const r = opt.update(symOps, {
      weight: w,
      grad: g,
      states: states,
      lr: lrP,
      wd: constant(opt.wd * p.wdMult, p.dtype),
      t: cast(t),
      rescale: constant(opt.rescaleGrad, p.dtype),
    });
    graphOuts.push({ name: `${name}.new`, value: (r.weight as Symbol).value });
    r.states.forEach((s, k) => graphOuts.push({ name: `${name}.state${k}.new`, value: (s as Symbol).value }));
  });
  for (const [p, s] of ctx.updates) {
    const name = nameOf.get(p) ?? ctx.names.get(p) ?? p.name;
    if (!graphOuts.some((o) => o.name === `${name}.new`)) graphOuts.push({ name: `${name}.new`, value: s.value });
  }

  let graph = Graph.fromOutputs([...traced.inputs.map((s) => s.value), label.value, lr.value, t.value], graphOuts);
  const rank = new Map<Value, number>([...params.map((p, i) => [ctx.symbols.get(p)!.value, i] as const), ...stateValues.map((v, i) => [v, params.length + i] as const)]);
  const before = graph.nodes.length;
  graph = runPipeline(graph, { level: options.optLevel ?? 2, mode: 'training', report: options.report }).graph;
  graph.params.sort((a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9));

  const opset = options.opset ?? DEFAULT_OPSET;
  const io = (v: Value, name = v.name) => ({ name, dtype: v.type.dtype, shape: [...v.type.shape] });
  const manifest = buildManifest({
    inputs: [...graph.inputs.map((v) => io(v)), ...graph.params.map((v) => io(v))],
    outputs: graph.outputs.map((o) => io(o.value, o.name)),
    params: params.map((p) => nameOf.get(p)!),
    compile: {
      opset,
      optLevel: options.optLevel ?? 2,
      train: { loss: loss.constructor.name, optimizer: opt.name, learningRate: opt.learningRate, hyper: opt.hyper },
    },
  });
  const bytes = emitModel(graph, {
    opset,
    paramsAsInputs: true,
    metadata: { [MANIFEST_METADATA_KEY]: JSON.stringify(manifest) },
    producerVersion: gluoncVersion(),
    graphName: `${block.constructor.name}.train`,
  });
  try {
    Session.create(bytes).close();
  } catch (e) {
    throw new Error(`${where}: onnxruntime cannot load the training graph: ${(e as Error).message}`);
  }
  return { bytes, manifest, nodes: { before, after: graph.nodes.length } };
}
