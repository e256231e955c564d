/**
 * MXNet's export format as a block: `<prefix>-symbol.json` (read by
 * `formats/mxnet-symbol-file.ts`) plus its `<prefix>-0000.params`
 * (`arg:`/`aux:` names). MXNet's operators are
 * gluonc's (`FullyConnected`, `Convolution`, `BatchNorm`, `Pooling`,
 * `Activation`, `Flatten`, `Concat`, `Reshape`, ...; snake_case names map to
 * camelCase, `elemwise_*` and the `_*_scalar` forms to the arithmetic
 * operators), so `hybridForward` replays the nodes through `F`: the block
 * runs eagerly, hybridized, inside a parent, and exports to ONNX.
 * Invariants: the graph is checked when read (every input refers to an
 * earlier node, heads exist, every operator and attribute is one gluonc
 * runs), so a file gluonc cannot run fails at `imports` with an error naming
 * the file, the node and the operator or attribute, never with wrong numbers.
 * Parameters keep MXNet's names (`dense0_weight`, `batchnorm0_running_mean`);
 * BatchNorm's moving statistics are not differentiable.
 */
import fs from 'node:fs';
import type { HostTensor } from '../../runtime/tensor.js';
import type { AttrValue } from '../ir/node.js';
import { takesInputs } from '../ops/infer.js';
import { isTrainingMode } from '../ops/mode.js';
import { getOp, hasOp } from '../ops/registry.js';
import { isSymbol, namedCall } from '../trace/symbol.js';
import { HybridBlock } from './hybrid.js';
import { canonicalMxnetNames } from '../formats/mxnet-names.js';
import { camel, parameterShape, parseMxnetAttr, parseMxnetSymbol, targetOf, type MxnetGraph, type MxnetNode } from '../formats/mxnet-symbol-file.js';
import { readMxnetOp } from '../formats/mxnet-ops.js';
import { movingStatistics } from './nn/norm.js';
import { deferredZeros, mxnetShapeStep, rnnStep } from './mxnet-rnn-read.js';
import { deferredAxes, deferredZerosAxes } from '../formats/mxnet-deferred.js';
import { plainShape } from '../ops/symbolic-dim.js';
import { readTensorFile } from '../formats/params-file.js';
import type { F, Tensor } from '../engine/tensor.js';

export { parseMxnetAttr, parseMxnetSymbol, type MxnetGraph, type MxnetNode };

/** Attributes MXNet records that do not change the numbers (kernel tuning, bookkeeping). */
const IGNORED = new Set(['workspace', 'cudnn_tune', 'cudnn_off', 'num_args', 'ctx_group', 'lr_mult', 'wd_mult']);

/**
 * Training heads: their input after the first is a label. A label that is one
 * of the block's inputs (`softmax_label` named in `inputNames`) reaches the
 * head operator (compiler/ops/heads.ts), so the block trains with MXNet's
 * head gradient; otherwise it is not an input at all and the head computes
 * its inference view.
 */
const LABELLED = new Set(['SoftmaxOutput', 'Softmax', 'LinearRegressionOutput', 'LogisticRegressionOutput', 'MAERegressionOutput', 'SVMOutput']);
/** Training heads gluonc has no operator for, whose inference output is their data (svm_output-inl.h). */
const PASS_HEADS = new Set(['SVMOutput']);

/** Operators that pass their first input through at inference. */
const IDENTITY = new Set(['_copy', 'identity', '_CrossDeviceCopy']);

/** MXNet's Initializer by name suffix (python/mxnet/initializer.py, `__call__`): biases, betas and means 0, gamma and variances 1. */
export function initByName(name: string): 'zeros' | 'ones' | undefined {
  if (/(bias|beta|(running|moving)_mean)$/.test(name)) return 'zeros';
  return /(gamma|(running|moving)_var)$/.test(name) ? 'ones' : undefined;
}

/** What the replay calls for one node. */
type Step = (F: F, inputs: Tensor[]) => Tensor | Tensor[];

/** Compiles one node into a call of gluonc's operators, or throws naming what gluonc cannot run. */
function stepOf(node: MxnetNode, where: string, owner: object): Step {
  const { op, name } = node;
  const at = `${where}: node '${name}' (MXNet operator '${op}')`;
  // Every path reads its inputs by position: a node given too few or too many is refused here, by count, before any operator sees it.
  const arity = (min: number, max: number, names: string): void => {
    const n = node.inputs.length;
    if (n >= min && n <= max) return;
    throw new Error(`${at}: ${takesInputs(min, max, names)}, the file gives it ${n}`);
  };
  if (IDENTITY.has(op)) return arity(1, 1, 'data'), (_F, [x]) => x!;
  if (op === 'RNN') return rnnStep(node, at, owner);
  if (op === '_zeros' || op === 'zeros') arity(0, 0, 'none');
  if (op === 'SwapAxis' || op === 'swapaxes') arity(1, 1, 'data');
  const shaped = mxnetShapeStep(node, at);
  if (shaped) return shaped;
  // `x op scalar` and the reversed `_r*` forms (mxnet-ops.ts lists them with their operator).
  const read = readMxnetOp(op);
  if (read?.scalar) {
    const s = parseMxnetAttr(node.attrs.scalar ?? '');
    if (typeof s !== 'number') throw new Error(`${at}: attribute 'scalar' must be a number, got ${JSON.stringify(node.attrs.scalar)}`);
    arity(1, 1, 'data');
    const fn = (F: F) => (F as unknown as Record<string, (a: Tensor | number, b: Tensor | number) => Tensor>)[read.op]!;
    return read.scalar === 'right' ? (F, [x]) => fn(F)(x!, s) : (F, [x]) => fn(F)(s, x!);
  }
  if (op === 'add_n' || op === 'ElementWiseSum') return arity(1, Infinity, 'args'), (F, ins) => ins.reduce((a, b) => F.add(a, b));
  if (PASS_HEADS.has(op)) return arity(1, 2, 'data, label'), (_F, [x]) => x!;
  // `Softmax` is SoftmaxOutput's name before 2016 (softmax_output-inl.h, DeprecatedSoftmaxProp).
  const target = op === 'Softmax' ? 'SoftmaxOutput' : targetOf(op);
  if (!hasOp(target)) throw new Error(`${at}: gluonc has no such operator`);
  const def = getOp(target);
  arity(def.minInputs, def.maxInputs, def.inputs.join(', '));
  const declared = def.attrs ?? {};
  const opts: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(node.attrs)) {
    if (k.startsWith('__') || IGNORED.has(k)) continue;
    const key = camel(k);
    // An attribute gluonc does not know, set to MXNet's "off" (`False`, `None`), changes nothing.
    if (!(key in declared) && (v === 'False' || v === 'None')) continue;
    if (!(key in declared)) throw new Error(`${at}: attribute '${k}' = '${v}' is not one gluonc's ${target} takes (it takes ${Object.keys(declared).join(', ') || 'none'})`);
    // dmlc parses a flag from true/false/1/0 in any case (`squeeze_axis=1` is written '1').
    const flag = typeof declared[key] === 'boolean' ? /^(true|1|false|0)$/i.exec(v.trim()) : null;
    const parsed = flag ? /^(true|1)$/i.test(flag[1]!) : parseMxnetAttr(v);
    if (parsed !== undefined) opts[key] = parsed;
  }
  return (F, ins) => {
    const fn = (F as unknown as Record<string, (...a: unknown[]) => Tensor | Tensor[]>)[target]!;
    return fn(...ins, opts);
  };
}

/**
 * A block computing an MXNet symbol graph, with the graph's parameters
 * (MXNet's names) as its own.
 *
 * ```ts
 * const net = gluon.SymbolBlock.imports('model-symbol.json', ['data'], 'model-0000.params');
 * net.call(nd.ones([1, 3, 32, 32]));
 * net.hybridize(); net.export('model.onnx');
 * ```
 */
export class MxnetSymbolBlock extends HybridBlock {
  /** The parsed graph. */
  readonly graph: MxnetGraph;
  /** The names of the graph's inputs, in call order. */
  readonly inputNames: readonly string[];
  /** Where the graph came from. */
  readonly source: string;
  private readonly _steps: (Step | null)[];
  private readonly _inputIndex = new Map<number, number>();
  private readonly _labels = new Set<number>();

  /**
   * Reads `symbolFile` and, when given, its parameters from `paramFile` (any
   * `loadParameters` file; MXNet's `arg:`/`aux:` names are matched).
   *
   * ```ts
   * const net = MxnetSymbolBlock.imports('resnet-symbol.json', ['data'], 'resnet-0000.params');
   * ```
   */
  static imports(symbolFile: string, inputNames: string[], paramFile?: string): MxnetSymbolBlock {
    let text: string;
    try {
      text = fs.readFileSync(symbolFile, 'utf8');
    } catch (e) {
      throw new Error(`cannot read '${symbolFile}': ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${symbolFile}: not an MXNet symbol file: invalid JSON (${(e as Error).message})`);
    }
    const shapes = new Map<string, HostTensor>();
    if (paramFile !== undefined) {
      const f = readTensorFile(paramFile);
      const names = f.format !== 'safetensors' ? canonicalMxnetNames(f.tensors.map(([k]) => k)) : f.tensors.map(([k]) => k);
      f.tensors.forEach(([, t], i) => shapes.set(names[i]!, t));
    }
    const block = new MxnetSymbolBlock(parseMxnetSymbol(json, symbolFile), inputNames, symbolFile, shapes);
    if (paramFile !== undefined) block.loadParameters(paramFile);
    return block;
  }

  /**
   * A block for `graph` whose inputs are the null nodes named `inputNames`;
   * `known` gives parameter shapes and dtypes (otherwise `__shape__`/`__dtype__`
   * attributes, else they come with `loadParameters`).
   */
  constructor(graph: MxnetGraph, inputNames: readonly string[], source = 'an MXNet symbol', known: Map<string, HostTensor> = new Map()) {
    super();
    this.graph = graph;
    this.inputNames = [...inputNames];
    this.source = source;
    if (!Array.isArray(inputNames) || inputNames.length === 0 || !inputNames.every((n) => typeof n === 'string')) {
      throw new Error(`${source}: the input names must be a non-empty list of strings, got ${JSON.stringify(inputNames)}`);
    }
    const nullNames = new Map<string, number>();
    graph.nodes.forEach((n, i) => {
      if (n.op !== 'null') return;
      if (nullNames.has(n.name)) throw new Error(`${source}: two variables are named '${n.name}'`);
      nullNames.set(n.name, i);
    });
    inputNames.forEach((name, k) => {
      const i = nullNames.get(name);
      if (i === undefined) throw new Error(`${source}: input '${name}' is not a variable of the graph (its variables: ${[...nullNames.keys()].join(', ')})`);
      this._inputIndex.set(i, k);
    });
    // BatchNorm's moving statistics (its inputs 3 and 4) are auxiliary states; a training head's label is not used.
    const aux = new Set<number>();
    for (const n of graph.nodes) {
      if (n.op === 'BatchNorm') n.inputs.slice(3, 5).forEach(([j]) => aux.add(j));
      if (LABELLED.has(n.op)) n.inputs.slice(1).forEach(([j]) => this._markLabel(graph, j));
    }
    // Without a file, a parameter's shape is what its first consumer tells (0s solved by the first call).
    const hint = new Map<number, number[]>();
    for (const n of graph.nodes) {
      n.inputs.forEach(([j], k) => {
        const s = hint.has(j) ? undefined : parameterShape(n, k);
        if (s) hint.set(j, s);
      });
    }
    graph.nodes.forEach((n, i) => {
      if (n.op !== 'null' || this._inputIndex.has(i) || this._labels.has(i)) return;
      const t = known.get(n.name);
      const declared = n.attrs.__shape__ !== undefined ? parseMxnetAttr(n.attrs.__shape__) : undefined;
      const shape = t ? [...t.shape] : Array.isArray(declared) && declared.every((d) => (d as number) > 0) ? (declared as number[]) : hint.get(i) ?? [];
      this.params.get(n.name, {
        shape, dtype: t?.dtype ?? 'float32', allowDeferredInit: true, init: initByName(n.name),
        differentiable: !aux.has(i), gradReq: aux.has(i) ? 'null' : 'write',
      });
    });
    this._steps = graph.nodes.map((n) => (n.op === 'null' ? null : stepOf(n, source, this)));
  }

  /**
   * A head's label input `j`: read when it is computed from the block's
   * inputs (`Reshape(softmax_label)` with the label an input, as
   * lstm_bucketing.py builds it); otherwise it and every node it is
   * computed from are the unused label (none becomes a parameter).
   */
  private _markLabel(graph: MxnetGraph, j: number): void {
    const closure = new Set<number>();
    const stack = [j];
    while (stack.length) {
      const k = stack.pop()!;
      if (closure.has(k)) continue;
      if (this._inputIndex.has(k)) return;
      closure.add(k);
      stack.push(...graph.nodes[k]!.inputs.map(([i]) => i));
    }
    for (const k of closure) this._labels.add(k);
  }

  /** MXNet's SymbolBlock has no prefix: its parameters keep the graph's names (`conv0_weight`) when exported again. */
  override _alias(): string {
    return '';
  }

  /** Replays the graph's nodes through `F`. */
  /** `export`'s input names: the ones it was read with (MXNet's export saves the input symbols). Example: `net.exportNames(1)`. */
  exportNames(count: number): string[] | null {
    return count === this.inputNames.length ? [...this.inputNames] : null;
  }

  override hybridForward(F: F, ...args: unknown[]): Tensor | Tensor[] {
    const params = args.pop() as Record<string, Tensor>;
    const inputs = args as Tensor[];
    if (inputs.length !== this.inputNames.length) {
      throw new Error(`${this.source}: expects ${this.inputNames.length} input(s) (${this.inputNames.join(', ')}), got ${inputs.length}`);
    }
    const values: Tensor[][] = [];
    // Per node, the axes of its outputs MXNet infers later (zeros made with a 1 there; formats/mxnet-deferred.ts), and the zeros they come from.
    const pending: number[][] = [];
    const origin: (string | undefined)[] = [];
    this.graph.nodes.forEach((n, i) => {
      pending.push([]);
      origin.push(undefined);
      const k = this._inputIndex.get(i);
      if (k !== undefined) values.push([inputs[k]!]);
      else if (this._labels.has(i)) values.push([]);
      else if (n.op === 'null') values.push([params[n.name]!]);
      else {
        // A head's label that is not an input is left off (the head's inference view).
        const read = LABELLED.has(n.op) ? n.inputs.filter(([j], m) => m === 0 || !this._labels.has(j)) : n.inputs;
        // A begin state MXNet sizes from the data, read by the RNN operator: the operator makes it (mxnet-rnn-read.ts).
        const ownState = (j: number) => n.op === 'RNN' && deferredZeros(this.graph.nodes[j]!);
        const ins = read.map(([j, o]) => {
          const v = values[j]![o];
          if (!v) throw new Error(`${this.source}: node '${n.name}' uses output ${o} of node '${this.graph.nodes[j]!.name}', which gluonc's operator does not produce`);
          return ownState(j) ? (undefined as unknown as Tensor) : v;
        });
        const zerosAxes = deferredZerosAxes(n);
        if (zerosAxes) [pending[i], origin[i]] = [zerosAxes, n.name];
        else if (read.some(([j]) => pending[j]!.length && !ownState(j))) {
          const from = read.map(([j]) => origin[j]).find((o) => o);
          try {
            pending[i] = deferredAxes(n, read.map(([j], m) => ({ pending: ownState(j) ? [] : pending[j]!, shape: ins[m] ? plainShape(ins[m]!.shape) : [] })));
          } catch (e) {
            throw new Error(`${this.source}: node '${n.name}' reads zeros of an inferred size ('${from}', shape ${this.graph.nodes.find((m) => m.name === from)?.attrs.shape}): ${(e as Error).message}`);
          }
          origin[i] = pending[i]!.length ? from : undefined;
        }
        let out: Tensor | Tensor[];
        try {
          // The node keeps MXNet's name (getInternals, the MXNet writer); the replay uses no automatic names.
          out = namedCall(n.name, () => this._steps[i]!(F, ins));
        } catch (e) {
          // Parameters that do not fit the graph: say which node, and which variables it read.
          const names = n.inputs.map(([j]) => this.graph.nodes[j]!.name).join(', ');
          if (e instanceof Error && !e.message.startsWith(this.source)) e.message = `${this.source}: node '${n.name}' (MXNet operator '${n.op}', inputs ${names}): ${e.message}`;
          throw e;
        }
        values.push(Array.isArray(out) ? out : [out]);
        if (n.op === 'BatchNorm' && isSymbol(out)) this._writeBackMovingStats(F, n, ins);
      }
    });
    this.graph.heads.forEach(([j], h) => {
      if (pending[j]!.length) throw new Error(`${this.source}: output ${h} (node '${this.graph.nodes[j]!.name}') has axes ${pending[j]!.join(', ')} of unknown size: they come from zeros '${origin[j]}' whose 0 MXNet infers, and no operator on the way meets a tensor of that size`);
    });
    const res = this.graph.heads.map(([j, o], h) => {
      const v = values[j]![o];
      if (!v) throw new Error(`${this.source}: output ${h} is output ${o} of node '${this.graph.nodes[j]!.name}', which ${this.graph.nodes[j]!.op === 'null' ? 'a variable (one output) does not have' : "gluonc's operator does not produce"}`);
      return v;
    });
    return res.length === 1 ? res[0]! : res;
  }

  /** Traced in training mode, BatchNorm's new moving statistics become outputs written back after each run (eagerly the operator updates them in place). */
  private _writeBackMovingStats(F: F, n: MxnetNode, ins: Tensor[]): void {
    const attr = (k: string, d: AttrValue) => (n.attrs[k] === undefined ? d : parseMxnetAttr(n.attrs[k]!) ?? d);
    if (!isTrainingMode() || attr('use_global_stats', false) === true) return;
    const targets = n.inputs.slice(3, 5).map(([j]) => this.graph.nodes[j]!);
    if (targets.some((t) => t.op !== 'null' || !this.params.has(t.name))) return;
    const updated = movingStatistics(F, ins[0]!, ins[3]!, ins[4]!, attr('axis', 1) as number, attr('momentum', 0.9) as number);
    targets.forEach((t, k) => this.assignParam(this.params.get(t.name), updated[k]!));
  }
}
