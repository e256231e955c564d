/**
 * A training artifact: one ONNX graph that runs a whole optimizer step —
 * forward (training mode), loss, gradients and the optimizer's update —
 * built by the one step builder (compiler/autodiff/step.ts) and carrying a
 * manifest, as `export` carries one for inference. `gluonc compile --train`
 * writes it.
 *
 * Inputs, in order: the model's inputs; `label`; `lr` and `t` (0-d float32:
 * the learning rate and the 1-based step count, which Adam's bias
 * correction reads); every parameter under its structural name (`0.weight`,
 * the same names as the inference artifact's initializers, which hold the
 * initial values); every optimizer state `<param>.state<k>` (zeros at the
 * first step; a `multiPrecision` float32 master copy starts as the weight).
 * Outputs: `loss` (the batch mean, 0-d); the forward outputs (training
 * mode) named as the inference artifact names them — `output` for one,
 * `output0`, `output1`, ... (depth first) for several, such as an RNN's
 * `[out, [h, c]]`; `<param>.new` for every updated parameter (and for state
 * a layer updates itself, such as BatchNorm's running statistics) and
 * `<param>.state<k>.new`. Feed the `.new` values back as the next step's
 * inputs. (Parameters are plain inputs, not initializers: onnxruntime-node
 * ignores feeds that override an initializer.) Gradients are of the
 * batch-mean loss, so `rescale` is the optimizer's `rescaleGrad`.
 * Invariants: the loss reads one output (`lossOutput`, default the first
 * leaf); gradients flow from the loss alone, so the other outputs (a final
 * recurrent state a caller feeds to the next batch, d2l's truncated BPTT)
 * are values, never differentiated, and a parameter that only they read is
 * an input without `.new` or optimizer states: the step leaves it as it is,
 * as `Trainer.step(n, { ignoreStaleGrad: true })` skips a parameter that
 * backward did not reach.
 */
import { isFloat, type DType } from '../../runtime/dtypes.js';
import { Session } from '../../runtime/session.js';
import { tensorFromNumbers } from '../../runtime/tensor.js';
import { buildStep, updateScalarDType, type StepWrt } from '../autodiff/step.js';
import { Graph } from '../ir/graph.js';
import type { Dim } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { buildManifest, gluoncVersion, MANIFEST_METADATA_KEY, type ArtifactManifest } from '../manifest.js';
import { withScope } from '../ops/errors.js';
import { withTrainingMode } from '../ops/mode.js';
import { emitModel, graphOpset } from '../onnx/emit.js';
import { collectTraceConstraints } from '../ops/dim-constraints.js';
import { graphConstraints } from '../ops/graph-constraints.js';
import { runPipeline, type PassReport } from '../passes/pipeline.js';
import { Symbol } from '../trace/symbol.js';
import { symOps, variable } from '../trace/sym.js';
import { withTrace } from '../engine/trace-context.js';
import type { FileParameter as Parameter, OptimizerLike as Optimizer, TraceableBlock as HybridBlock } from './block-like.js';
import type { InputSpec } from './export.js';
import { checkOptions, optionKeys } from '../../runtime/check-options.js';
import { plainShape } from '../ops/symbolic-dim.js';
import { outputNames } from '../engine/output-tree.js';
import { formatShape } from '../../runtime/tensor.js';

/** Options of `exportTrainingStep`. */
export interface TrainingStepOptions {
  /** The model's inputs by name, in call order (null: an optional input left out, MXNet's None). */
  inputs: Record<string, InputSpec | null>;
  /** Chooses the loss block and the label's type from the shape of the output the loss reads (and that output's name). */
  loss: (outputShape: Dim[], outputName: string) => { loss: HybridBlock; label: InputSpec };
  /**
   * The output the loss reads, for a model with several (nested) outputs:
   * its index in depth-first order or its artifact name (`'output1'`;
   * a string of digits is an index). Default 0, the first leaf (the `output`
   * of an RNN's `[output, state]`).
   */
  lossOutput?: number | string;
  /** The optimizer whose update rule the step applies. */
  optimizer: Optimizer;
  /** The ONNX opset, 13 to 21 (default 21, or 26 for a graph holding `bitcast`); see the README's opset table. */
  opset?: number;
  /** `-O0` .. `-O3` (default 2). */
  optLevel?: number;
  /** Called with each pass's report. */
  report?: (r: PassReport) => void;
  /** The model file the step is compiled from, recorded as the manifest's `compile.source` (`gluonc compile --train` gives it). */
  source?: string;
}

/** What `exportTrainingStep` built. */
export interface TrainingStep {
  bytes: Uint8Array;
  manifest: ArtifactManifest;
  /** IR nodes before and after the pass pipeline. */
  nodes: { before: number; after: number };
}

const constant = (x: number, dtype: DType): Symbol => new Symbol(Value.constant(tensorFromNumbers(dtype, [], [x])));

/**
 * Builds the training artifact of an initialized block (see the module comment); nothing is written.
 *
 * ```ts
 * const { bytes, manifest } = exportTrainingStep(net, {
 *   inputs: { x: { shape: ['N', 784] } },
 *   loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
 *   optimizer: optimizer.create('sgd', { learningRate: 0.01 }),
 * });
 * ```
 */
export function exportTrainingStep(block: HybridBlock, options: TrainingStepOptions): TrainingStep {
  checkOptions('exportTrainingStep', options, optionKeys<TrainingStepOptions>({ inputs: true, loss: true, lossOutput: true, optimizer: true, opset: true, optLevel: true, report: true, source: true }));
  const opt = options.optimizer;
  // An input named null is absent (MXNet's None): the block is traced without it and the step has no input for it.
  const inputTypes = Object.entries(options.inputs).map(([name, s]) => (s === null || s === undefined ? null : { name, dtype: s.dtype ?? 'float32', shape: [...s.shape] }));
  const present = inputTypes.filter((x) => x !== null);
  // A block last called with lists is traced with their nesting (its arrays are the inputs named, in order), as export does.
  const [traced, traceNeeds] = collectTraceConstraints(() => withTrainingMode(true, () => block.trace(inputTypes, block.lastFormat ?? null)));
  const { outputs, ctx } = traced;
  const outNames = outputNames(outputs.length);
  // The step's own inputs and outputs take these names; an input named so made an ONNX graph with two values of one name.
  const own = { input: ['label', 'lr', 't'], output: ['loss', ...outNames] };
  for (const { name } of present) {
    const kind = own.input.includes(name) ? 'input' : own.output.includes(name) ? 'output' : null;
    if (kind) throw new Error(`exportTrainingStep: input '${name}' has the name of the training step's own ${kind} '${name}' (its inputs ${own.input.join(', ')}; its outputs ${own.output.join(', ')}); rename the input`);
  }
  const chosen = chooseLossOutput(options.lossOutput, outNames, outputs);
  const out = outputs[chosen]!;
  const { loss, label: labelSpec } = options.loss(plainShape(out.shape), outNames[chosen]!);
  const label = variable('label', { dtype: labelSpec.dtype ?? 'float32', shape: labelSpec.shape });
  const lr = variable('lr', { dtype: 'float32', shape: [] });
  const t = variable('t', { dtype: 'float32', shape: [] });
  let lossVec: Symbol;
  try {
    lossVec = withTrainingMode(true, () => withTrace(ctx, () => withScope(loss.constructor.name, () => loss._traceCall([out, label])))) as Symbol;
  } catch (e) {
    throw new Error(`${loss.constructor.name} on the model's ${outNames[chosen]} ${JSON.stringify(plainShape(out.shape))} and labels ${JSON.stringify(labelSpec.shape)}: ${(e as Error).message}`);
  }
  const lossMean = symOps.mean(lossVec) as Symbol;

  // Parameters in structural order, named by their structural names.
  const params = [...block.collectParams().entries()].map(([, p]) => p).filter((p) => ctx.symbols.has(p));
  const taken = new Set([...present.map((x) => x.name), 'label', 'lr', 't', 'loss', ...outNames]);
  const nameOf = new Map<Parameter, string>();
  for (const p of params) {
    const name = ctx.symbols.get(p)!.value.name;
    if (taken.has(name)) throw new Error(`parameter '${name}' has the same name as a training input or output; rename the input`);
    taken.add(name);
    nameOf.set(p, name);
    ctx.symbols.get(p)!.value.data = p.data()._host;
  }
  // Only what the loss reads is updated: a parameter that only the other outputs reach has no gradient (Trainer.step with ignoreStaleGrad skips it).
  const reached = new Set(Graph.fromOutputs([...traced.inputs.map((s) => s.value), label.value], [{ name: 'loss', value: lossMean.value }]).params);
  const stateValues: Value[] = [];
  const wrt: StepWrt[] = params
    .filter((p) => p.gradReq !== 'null' && p.differentiable && isFloat(p.dtype) && reached.has(ctx.symbols.get(p)!.value))
    .map((p) => ({
      value: ctx.symbols.get(p)!.value,
      update: () => {
        const name = nameOf.get(p)!;
        const sd = updateScalarDType(p.dtype);
        const cast = (s: Symbol): Symbol => (sd === 'float32' ? s : (symOps.cast(s, { dtype: sd }) as Symbol));
        const lrP = p.lrMult === 1 ? cast(lr) : (symOps.mul(cast(lr), p.lrMult) as Symbol);
        const states = opt.createState(p.data()).map((st, k) => {
          const v = Value.param(`${name}.state${k}`, { dtype: st.dtype, shape: [...st.shape] });
          v.data = st._host;
          stateValues.push(v);
          return v;
        });
        return {
          states,
          lr: lrP.value,
          wd: constant(opt.wd * p.wdMult, sd).value,
          t: cast(t).value,
          rescale: constant(opt.rescaleGrad, sd).value,
          weightName: `${name}.new`,
          stateNames: states.map((_s, k) => `${name}.state${k}.new`),
        };
      },
    }));
  const step = buildStep({
    inputs: [...traced.inputs.map((s) => s.value), label.value, lr.value, t.value],
    outputs: [{ name: 'loss', value: lossMean.value }, ...outputs.map((o, i) => ({ name: outNames[i]!, value: o.value }))],
    heads: [lossMean.value],
    wrt,
    rule: opt,
  });
  let graph = step.graph;
  // State a layer updates itself (BatchNorm's running statistics), unless the optimizer updates it.
  const extra = [...ctx.updates]
    .map(([p, s]) => ({ name: `${nameOf.get(p) ?? ctx.names.get(p) ?? p.name}.new`, value: s.value }))
    .filter((o) => !step.outputs.some((x) => x.name === o.name));
  if (extra.length) graph = Graph.fromOutputs(graph.inputs, [...graph.outputs, ...extra]);

  const rank = new Map<Value, number>([...params.map((p, i) => [ctx.symbols.get(p)!.value, i] as const), ...stateValues.map((v, i) => [v, params.length + i] as const)]);
  const before = graph.nodes.length;
  graph = runPipeline(graph, { level: options.optLevel ?? 2, mode: 'training', report: options.report }).graph;
  graph.params.sort((a, b) => (rank.get(a) ?? 1e9) - (rank.get(b) ?? 1e9));

  const opset = options.opset ?? graphOpset(graph);
  const io = (v: Value, name = v.name) => ({ name, dtype: v.type.dtype, shape: [...v.type.shape] });
  const manifest = buildManifest({
    inputs: [...graph.inputs.map((v) => io(v)), ...graph.params.map((v) => io(v))],
    outputs: graph.outputs.map((o) => io(o.value, o.name)),
    params: params.map((p) => nameOf.get(p)!),
    compile: {
      opset,
      optLevel: options.optLevel ?? 2,
      ...(options.source === undefined ? {} : { source: options.source }),
      train: { loss: loss.constructor.name, lossOutput: outNames[chosen]!, optimizer: opt.name, learningRate: opt.learningRate, hyper: opt.hyper },
    },
    // What the operators need of the symbolic sizes (compiler/ops/dim-constraints.ts), as inference artifacts carry it.
    constraints: graphConstraints(graph, traceNeeds),
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
    throw new Error(`onnxruntime cannot load the training graph: ${(e as Error).message}`);
  }
  return { bytes, manifest, nodes: { before, after: graph.nodes.length } };
}

/**
 * The index of the output the loss reads: `given` (an index, a name of
 * `names`, or a string of digits) or 0; an Error listing the outputs otherwise.
 *
 * ```ts
 * chooseLossOutput('output1', ['output0', 'output1'], outs); // 1
 * ```
 */
export function chooseLossOutput(given: unknown, names: string[], outputs: Symbol[]): number {
  if (given === undefined) return 0;
  const list = () => `the model's outputs (depth first): ${names.map((n, i) => `${i} ${n} ${outputs[i]!.dtype} ${formatShape(plainShape(outputs[i]!.shape))}`).join(', ')}`;
  if (typeof given !== 'number' && typeof given !== 'string') throw new Error(`lossOutput must be an output's index or name, got ${typeof given}; ${list()}`);
  const index = typeof given === 'number' ? given : /^\d+$/.test(given) ? Number(given) : names.indexOf(given);
  if (typeof given === 'string' && index < 0) throw new Error(`lossOutput ${JSON.stringify(given)} names no output; ${list()}`);
  if (!Number.isInteger(index) || index < 0 || index >= names.length) {
    throw new Error(`lossOutput ${JSON.stringify(given)} is out of range: ${names.length === 1 ? 'the model has one output, index 0' : `indices 0 to ${names.length - 1}`}; ${list()}`);
  }
  return index;
}
