/**
 * HybridBlock: a block written once against `F`. Not hybridized, it runs
 * eagerly with `F = nd`; hybridized, it is traced through `F = sym` once per
 * input signature (shapes, dtypes, training mode), compiled to one
 * onnxruntime session, and the session is reused. Parameters are session
 * inputs, fed from their current arrays on every run (no recompilation when
 * they change). The cache is bounded: old signatures are evicted and their
 * sessions released.
 */
import { isFloat } from '../../runtime/dtypes.js';
import { formatShape, sameShape, zerosTensor, type HostTensor } from '../../runtime/tensor.js';
import { buildStep, type StepWrt } from '../autodiff/step.js';
import { isRecording, pause, record, recordEntry, requiresGrad } from '../engine/autograd.js';
import { deferCall } from '../engine/program.js';
import { SessionCache } from '../../runtime/session-cache.js';
import { Graph } from '../ir/graph.js';
import type { Shape } from '../ir/types.js';
import { isTrainingMode, withTrainingMode } from '../ops/mode.js';
import { currentScope, withScope } from '../ops/errors.js';
import { compileGraph, type Runner } from '../compile.js';
import { currentDevice } from '../engine/context.js';
import { isSymbol, Symbol } from '../trace/symbol.js';
import { symOps, variable } from '../trace/sym.js';
import { Block, checkHybridizeOptions } from './block.js';
import { callStrategy } from './call-strategy.js';
import { checkArrays, flattenInputs, formatSize, formatText, hasSymbol, holesUndefined, nextSignature, padDeclaredInputs, presentInputs, regroupInputs, traceTypes, type InputFormat } from './call-inputs.js';
import { structureEpoch, structureOf } from './structure.js';
import { exportBlock, type ExportOptions, type ExportResult, type Signature } from '../formats/export.js';
import { exportMxnet, type MxnetExportOptions, type MxnetExportResult } from '../formats/mxnet-export.js';
import { ops as ndOps } from '../engine/nd.js';
import { NDArray } from '../engine/ndarray.js';
import { Parameter, withParameterData } from './parameter.js';
import type { F, Tensor } from '../engine/tensor.js';
import { flattenOutputs, regroup, type OutputTree } from '../engine/output-tree.js';
import { currentTrace, inHybridForward, paramSymbol, withTrace, type TraceContext } from '../engine/trace-context.js';
import { plainShape } from '../ops/symbolic-dim.js';

/** Options of `hybridize` (any other key is an error naming it). */
export interface HybridizeOptions {
  /** Compiled input signatures kept before the least recently used is released (default 8). */
  maxSignatures?: number;
  /** MXNet's cached-op flags, accepted for ported code; without effect (each signature is one statically compiled session). */
  staticAlloc?: boolean; staticShape?: boolean; inlineLimit?: number; forwardBulkSize?: number; backwardBulkSize?: number; partitionIfDynamic?: boolean; clear?: boolean;
}

interface Compiled {
  run: Runner;
  inputs: string[];
  params: [Parameter, string][];
  outputs: string[];
  updates: [Parameter, string][];
  /** The nesting of the block's outputs (engine/output-tree.ts). */
  tree: OutputTree;
  /** The traced forward (kept so the gradient graph differentiates the very same nodes, dropout seeds included). */
  traced: { outputs: Symbol[]; inputs: Symbol[]; symbols: Map<Parameter, Symbol> };
  /** The compiled gradient graphs, built on the first backward, by which inputs need a gradient (bit i: input i). */
  backward?: Map<number, Backward>;
  /** Parameters baked in as initializers, with the versions they had (null: parameters are fed). */
  versions: [Parameter, number][] | null;
}

/** A call's output types from a trace, and the parameters it assigns (running statistics). */
interface OutputTypes {
  types: { dtype: NDArray['dtype']; shape: number[] }[];
  tree: OutputTree;
  updates: Parameter[];
}

/** Rebuilds of a baked-parameter session before its signature feeds parameters instead. */
const FROZEN_REBUILDS = 3;

function sameVersions(versions: [Parameter, number][]): boolean {
  for (const [p, v] of versions) if (p.version !== v) return false;
  return true;
}

interface Backward {
  /** The gradient graph's session (a function returning nothing where no gradient reaches an input or parameter). */
  run: (feeds: Record<string, HostTensor>) => Record<string, HostTensor>;
  heads: string[];
  /** Output name of each input's gradient (null: none). */
  inputGrads: (string | null)[];
  /** Output name of each fed parameter's gradient (null: none). */
  paramGrads: (string | null)[];
}

/**
 * A block whose computation is written against `F` and can be compiled.
 *
 * ```ts
 * class Scale extends gluon.HybridBlock {
 *   hybridForward(F: gluon.F, x: gluon.Tensor) { return F.mul(x, 2); }
 * }
 * const b = new Scale();
 * b.hybridize();
 * b.call(nd.ones([2])); // compiled on the first call, reused afterwards
 * ```
 */
export class HybridBlock extends Block {
  private _active = false;
  /** Compiled signatures (the forward session is released on eviction; a backward built for a taped call stays usable). */
  private readonly _cache = new SessionCache<Compiled>({ size: 8, release: (c) => c.run.session.close(), hitCounter: 'cacheHits' });

  /** Implemented by subclasses: the computation against `F`; the last argument holds this block's own parameters. */
  hybridForward(_F: F, ..._args: any[]): any {
    throw new Error(`${this.constructor.name}: hybridForward is not implemented`);
  }

  /**
   * Runs the computation (what `call` runs after its hooks). Reached by
   * `super.forward(...)` from a subclass's own `forward` (Gluon's wrapper
   * over an inherited `hybridForward`, d2l's `MaskedSoftmaxCELoss`), it runs
   * `hybridForward` on what it is given, as MXNet's `HybridBlock.forward` does.
   */
  override forward(...inputs: any[]): any {
    if (this._inOwnForward > 0) return this._hybridForwardOn(holesUndefined(inputs));
    return this._run(inputs);
  }

  /** How deep this block is in its own subclass `forward` (run by `_runEager`/`_traceCall`). */
  private _inOwnForward = 0;

  /** Runs the subclass's `forward`, so that `super.forward` inside it reaches `hybridForward`. */
  private _ownForward(inputs: unknown[]): unknown {
    this._inOwnForward++;
    try {
      return this.forward(...inputs);
    } finally {
      this._inOwnForward--;
    }
  }

  /** `hybridForward` on symbols (while traced: parameters as symbols) or on arrays (parameters' data). */
  private _hybridForwardOn(inputs: unknown[]): unknown {
    const ctx = currentTrace();
    if (ctx && hasSymbol(inputs)) {
      const args = this._paramArgs((p, k) => paramSymbol(ctx as TraceContext<Parameter>, p, k));
      return inHybridForward(this._forwardName(), () => this._callHybridForward(symOps, inputs, args));
    }
    return this._callHybridForward(ndOps, inputs, this._paramArgs((p) => p.data()));
  }

  /** MXNet's HybridBlock.register_child: a child must be hybrid too. */
  protected override _acceptChild(block: Block, name: string): void {
    if (!(block instanceof HybridBlock)) throw new Error(`${this.constructor.name}.registerChild('${name}'): children of a HybridBlock must also be HybridBlocks, but ${block.constructor.name} is not; for plain blocks use a Block (nn.Sequential instead of nn.HybridSequential)`);
  }

  /** True after `hybridize()`. */
  get hybridized(): boolean {
    return this._active;
  }

  /**
   * Compiles this block (and its hybrid children, inlined) from the next
   * call on. Every call drops the compiled sessions held (as MXNet's clears
   * its cached op), so the next call traces the block as it is now.
   */
  override hybridize(active = true, options: HybridizeOptions = {}): this {
    if (typeof active !== 'boolean') throw new Error(`${this.constructor.name}.hybridize: active must be true or false, got ${JSON.stringify(active)}`);
    checkHybridizeOptions(this.constructor.name, options);
    if (options.maxSignatures !== undefined) {
      if (!(options.maxSignatures >= 1)) throw new Error(`hybridize: maxSignatures must be at least 1, got ${options.maxSignatures}`);
      this._cache.limit = options.maxSignatures;
    }
    this._active = active;
    this.clearCache();
    this._typeCache.clear();
    this._lastTypes = null;
    this._structure = null;
    this._structureGen++;
    return super.hybridize(active, options as Record<string, unknown>);
  }

  /**
   * The input types of the last call with arrays (what `export` traces with by
   * default), with the dimensions that differed between calls marked `varies`.
   */
  lastSignature: Signature | null = null;

  /** The nesting of the last call's inputs (null: only arrays and absent ones), which `export` traces with. */
  lastFormat: InputFormat = null;

  /**
   * Writes this block as a compiled artifact (one `.onnx` file; see export.ts),
   * or with `{ format: 'mxnet' }` as MXNet's `<path>-symbol.json` and
   * `<path>-<epoch>.params` (mxnet-export.ts), returning the paths.
   *
   * ```ts
   * net.export('mlp.onnx', { inputs: { x: { shape: ['N', 784] } } });
   * net.export('mlp', { format: 'mxnet' });   // mlp-symbol.json, mlp-0000.params
   * ```
   */
  export(path: string, options: MxnetExportOptions): MxnetExportResult;
  export(path: string, options?: ExportOptions): ExportResult;
  export(path: string, options: ExportOptions | MxnetExportOptions = {}): ExportResult | MxnetExportResult {
    if (options !== null && typeof options === 'object' && options.format === 'mxnet') return exportMxnet(this, path, options);
    return exportBlock(this, path, options as ExportOptions);
  }

  /** Releases every compiled session of this block. */
  clearCache(): void {
    this._cache.clear();
  }

  /** The number of compiled signatures held. */
  get cacheSize(): number {
    return this._cache.size;
  }

  /**
   * Sets a parameter to a new value computed in `hybridForward` (running
   * statistics): immediately when eager, as an extra output of the compiled
   * graph written back after each run when traced.
   */
  protected assignParam(p: Parameter, value: Tensor): void {
    const ctx = currentTrace();
    if (isSymbol(value)) {
      if (!ctx) throw new Error(`${this.constructor.name}: assignParam got a symbol outside a trace`);
      ctx.updates.set(p, value);
    } else p.setData(value as unknown as NDArray);
  }

  /** The structure epoch last checked, the structure seen then, and how often it changed (part of the fused step's key). */
  private _structureSeen = -1;
  private _structure: unknown[] | null = null;
  _structureGen = 0;

  /**
   * Compiled sessions and traced output types hold this block's structure
   * (its descendants, their parameters, names, dtypes, gradReqs) as it was.
   * When the structure epoch moved, the structure is compared and, when it
   * differs (a child added or replaced, parameters shared, cast, frozen),
   * everything traced is dropped, so the next call compiles again.
   */
  private _checkStructure(): void {
    const epoch = structureEpoch();
    if (this._structureSeen === epoch) return;
    this._structureSeen = epoch;
    const now = structureOf(this);
    const before = this._structure;
    this._structure = now;
    if (before && (before.length !== now.length || before.some((v, i) => v !== now[i]))) {
      this.clearCache();
      this._typeCache.clear();
      this._lastTypes = null;
      this._structureGen++;
    }
  }

  protected override _run(given: unknown[]): unknown {
    // A hole (an absent input before a given one) reaches hybridForward as undefined, eager and traced alike.
    const inputs = holesUndefined(given);
    const strategy = callStrategy(this, inputs);
    if (strategy === 'trace') return this._traceCall(inputs);
    if (strategy !== 'eager') this._checkStructure();
    // Lists of arrays are flattened (MXNet 2's _flatten): a compiled graph's inputs are their arrays, depth first.
    const { flat, format } = flattenInputs(this.constructor.name, inputs, strategy === 'eager');
    const arrays = flat as (NDArray | undefined)[];
    // Dimensions that differed between calls of the same nesting, rank and dtypes stay symbolic on export.
    const [prev, prevFormat] = [this.lastSignature, this.lastFormat];
    this.lastSignature = nextSignature(formatText(prevFormat) === formatText(format) ? prev : null, arrays);
    this.lastFormat = format;
    try {
      switch (strategy) {
        case 'eager':
          return this._runEager(inputs, arrays, format);
        case 'deferred': {
          const d = deferCall(this, arrays as NDArray[], isTrainingMode(), true);
          if (d) return regroup(d.outputs, d.tree);
          return this._runCompiled(arrays);
        }
        case 'compiled':
          return this._runCompiled(arrays, undefined, format);
      }
    } catch (e) {
      // A call that failed is not the last call export traces.
      [this.lastSignature, this.lastFormat] = [prev, prevFormat];
      throw e;
    }
  }

  private readonly _unstable = new Map<string, number>();
  private readonly _typeCache = new Map<string, OutputTypes>();
  private _lastTypes: { training: boolean; inputs: { dtype: NDArray['dtype']; shape: number[] }[]; r: OutputTypes } | null = null;

  /** Output types of a call (from a cached trace; no compilation). Used by the fused step. */
  _outputTypes(inputs: readonly { dtype: NDArray['dtype']; shape: number[] }[], training: boolean): OutputTypes {
    // The last call's types again (every step of a training loop): no key string.
    const last = this._lastTypes;
    if (last && last.training === training && last.inputs.length === inputs.length && inputs.every((x, i) => x.dtype === last.inputs[i]!.dtype && sameShape(x.shape, last.inputs[i]!.shape))) return last.r;
    const key = `${inputs.map((x) => `${x.dtype}[${x.shape}]`).join(';')}|${training}`;
    let r = this._typeCache.get(key);
    if (!r) {
      const { outputs, tree, ctx } = withTrainingMode(training, () => this.trace(inputs.map((x, i) => ({ name: `data${i}`, dtype: x.dtype, shape: x.shape }))));
      checkInitialized(this, this.collectParams());
      r = { types: outputs.map((o) => ({ dtype: o.dtype, shape: o.shape as number[] })), tree, updates: [...ctx.updates.keys()] };
      this._typeCache.set(key, r);
      if (this._typeCache.size > 64) this._typeCache.delete(this._typeCache.keys().next().value as string);
    }
    this._lastTypes = { training, inputs: inputs.map((x) => ({ dtype: x.dtype, shape: [...x.shape] })), r };
    return r;
  }

  /** Runs a deferred call now, filling the pending arrays `into` (and recording it when it was recorded). */
  _runNow(inputs: NDArray[], into: NDArray[], training: boolean, recording: boolean): void {
    const run = () => this._runCompiled(inputs, into);
    if (recording) record(run, { trainMode: training });
    else pause(run, { trainMode: training });
  }

  /** `hybridForward(F, ...inputs, params)`, the optional inputs it names but the call left out given as undefined. */
  private _callHybridForward(F: unknown, inputs: unknown[], args: Record<string, unknown>): unknown {
    const padded = padDeclaredInputs(this.hybridForward, inputs, args);
    return this.hybridForward(F as never, ...(padded as Tensor[]), args);
  }

  /**
   * The own-parameter object handed to hybridForward: each parameter under its
   * name and, as MXNet 1.x's keyword arguments, under the property holding it
   * (`this.w = this.params.get('weight')` gives `p.weight` and `p.w`).
   */
  private _paramArgs(get: (p: Parameter, name: string) => unknown): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const own = this.ownParams();
    for (const [k, p] of own) out[k] = get(p, k);
    const self = this as unknown as Record<string, unknown>;
    for (const prop of Object.keys(self)) {
      const v = self[prop];
      const name = v instanceof Parameter && !(prop in out) ? own.find(([, p]) => p === v)?.[0] : undefined;
      if (name !== undefined) out[prop] = out[name];
    }
    return out;
  }

  private _runEager(inputs: unknown[], arrays: (NDArray | undefined)[], format: InputFormat): unknown {
    this._nameChildren();
    // Every step of a training loop: one walk without names; the named collection only when a parameter is not ready.
    if (!this._paramsReady()) {
      const all = this.collectParams();
      if (all.values().some((p) => p.deferred)) this._inferParams(arrays, format);
      checkInitialized(this, all);
    }
    if (this._ownForwardRuns()) return this._ownForward(inputs);
    const args = this._paramArgs((p) => p.data());
    return this._callHybridForward(ndOps, inputs, args);
  }

  /**
   * True when `call` runs a `forward` of the block's own class chain: a Gluon
   * 2 style block (it overrides `forward`, written with np/npx or nd, instead
   * of `hybridForward`), or a subclass whose `forward` wraps an inherited
   * `hybridForward` (the most derived of the two wins, as `__call__` runs
   * `forward` in Gluon). Traced, that `forward` gets symbols and `p.data()`
   * returns the parameters' symbols.
   */
  private _ownForwardRuns(): boolean {
    if (Object.prototype.hasOwnProperty.call(this, 'forward')) return true;
    for (let p = Object.getPrototypeOf(this) as object | null; p && p !== HybridBlock.prototype; p = Object.getPrototypeOf(p) as object | null) {
      if (Object.prototype.hasOwnProperty.call(p, 'forward')) return true;
      if (Object.prototype.hasOwnProperty.call(p, 'hybridForward')) return false;
    }
    return false;
  }

  /** Called with symbols while a parent is traced: inline this block's computation. */
  _traceCall(inputs: unknown[]): unknown {
    const ctx = currentTrace();
    if (!ctx) throw new Error(`${this.constructor.name}: called with symbols outside a hybridized parent; use sym ops directly`);
    this._nameChildren();
    if (this._ownForwardRuns()) {
      const hook = (p: Parameter) => (ctx.names.has(p) ? (paramSymbol(ctx as TraceContext<Parameter>, p, p.name) as unknown as NDArray) : undefined);
      // A Gluon 2 forward reads its parameters through p.data() (the hook gives their symbols), so reads are allowed.
      return inHybridForward(null, () => withParameterData(hook, () => this._ownForward(inputs)));
    }
    const args = this._paramArgs((p, k) => paramSymbol(ctx as TraceContext<Parameter>, p, k));
    // While it runs, `p.data()` is refused (it would bake the values in as constants; see Parameter.data).
    return inHybridForward(this._forwardName(), () => this._callHybridForward(symOps, inputs, args));
  }

  /** The name `Parameter.data()` errors give this block's traced hybridForward (null: an imperative forward, whose reads are constants). */
  protected _forwardName(): string | null {
    return this.constructor.name;
  }

  /**
   * Traces this block on symbolic inputs (flat, put into `format`'s nesting
   * when given: `(x, [h, c])` is three types); returns the outputs (flat,
   * depth first: `[out, [h, c]]` is three), their nesting, and the trace
   * (param symbols, updates).
   */
  trace(inputTypes: ({ name: string; dtype: NDArray['dtype']; shape: Shape } | null)[], format: InputFormat = null): { outputs: Symbol[]; tree: OutputTree; ctx: TraceContext<Parameter>; inputs: Symbol[] } {
    const names = new Map<Parameter, string>();
    for (const [k, p] of this.collectParams().entries()) names.set(p, k);
    const ctx: TraceContext<Parameter> = { symbols: new Map(), names, updates: new Map() };
    // A null type is an absent input: hybridForward gets undefined there, and the graph has no input for it.
    const leaves = inputTypes.map((t) => (t ? variable(t.name, { dtype: t.dtype, shape: t.shape }) : undefined));
    if (format && formatSize(format) !== leaves.length) {
      throw new Error(`${this.constructor.name}: ${leaves.length} inputs given, but the block's last call had ${formatSize(format)} arrays nested as (${formatText(format)}); give those arrays in order (depth first)`);
    }
    const slots = format ? regroupInputs(leaves, format) : holesUndefined(leaves);
    const vars = presentInputs(leaves);
    // Called from `call` the block's scope is already pushed; called directly (export, inferShape) push it.
    const traceIt = () => withTrace(ctx, () => this._traceCall(slots));
    const out = currentScope() ? traceIt() : withScope(this._scopeName || this.constructor.name, traceIt);
    const { flat: outputs, tree, paths } = flattenOutputs(out);
    outputs.forEach((o, i) => {
      if (!isSymbol(o)) throw new Error(`${this.constructor.name}: hybridForward output${paths[i]} is ${describe(o)}, not a tensor computed from F`);
    });
    if (!outputs.length) {
      const what = tree === null || (Array.isArray(tree) && tree.length) ? 'no tensor (only nulls or empty lists: an imported file\'s empty optionals and sequences); a compiled graph needs one, so call it without hybridize()' : 'an empty list';
      throw new Error(`${this.constructor.name}: hybridForward returned ${what}; it must return a tensor computed from F, or a (nested) list of them`);
    }
    // Shapes solved during the trace complete deferred parameters.
    for (const [p, s] of ctx.symbols) {
      const shape = s.value.type.shape;
      if (p.shape.includes(0)) {
        if (shape.includes(0) || shape.some((d) => typeof d !== 'number')) {
          throw new Error(`${this.constructor.name}: cannot infer the shape of parameter '${names.get(p) ?? p.name}' ${formatShape(p.shape)}`);
        }
        p.finishDeferredInit(shape as number[]);
      }
    }
    return { outputs: outputs as Symbol[], tree, ctx, inputs: vars };
  }

  /** Infers the shapes of deferred parameters from example inputs (no computation). */
  inferShape(...inputs: unknown[]): void {
    const { flat, format } = flattenInputs(this.constructor.name, holesUndefined(inputs), true);
    checkArrays(this.constructor.name, flat);
    this._inferParams(flat as (NDArray | undefined)[], format);
  }

  private _inferParams(inputs: (NDArray | undefined)[], format: InputFormat = null): void {
    this.trace(traceTypes(inputs), format);
  }

  private _runCompiled(slots: (NDArray | undefined)[], into?: NDArray[], format: InputFormat = null): unknown {
    // Prediction outside record: parameters are baked into the session as initializers (onnxruntime
    // pre-packs them), and the session is rebuilt when a parameter changes. A signature whose
    // parameters keep changing falls back to feeding them as inputs.
    const training = isTrainingMode();
    // An absent input ('-') is part of the signature: call(x, null, y) and call(x, m, y) are two graphs.
    // So is the nesting of list inputs: call(x, [h, c]) and call(x, [h], c) are two graphs.
    const sig = `${format ? `(${formatText(format)})` : ''}${slots.map((x) => (x ? `${x.dtype}[${x.shape.join(',')}]` : '-')).join(';')}|${training ? 'train' : 'infer'}`;
    const frozen = !training && !isRecording() && (this._unstable.get(sig) ?? 0) < FROZEN_REBUILDS;
    const key = `${sig}|${frozen ? 'frozen' : 'fed'}|${currentDevice()}`;
    const stale = this._cache.peek(key);
    if (stale && stale.versions && !sameVersions(stale.versions)) {
      this._unstable.set(sig, (this._unstable.get(sig) ?? 0) + 1);
      this._cache.delete(key);
      if ((this._unstable.get(sig) ?? 0) >= FROZEN_REBUILDS) return this._runCompiled(slots, into, format);
    }
    const c = this._cache.get(key, () => this._compile(slots, frozen, format));
    // The session's inputs are the present ones.
    const inputs = slots.includes(undefined) ? presentInputs(slots) : (slots as NDArray[]);
    const feeds: Record<string, HostTensor> = {};
    c.inputs.forEach((name, i) => (feeds[name] = inputs[i]!._host));
    for (const [p, name] of c.params) feeds[name] = p.data()._host;
    const res = c.run(feeds);
    for (const [p, name] of c.updates) p.setData(new NDArray(res[name]!));
    const outs = c.outputs.map((n, k) => {
      if (!into) return new NDArray(res[n]!);
      into[k]!._host = res[n]!;
      return into[k]!;
    });
    if (isRecording()) {
      const paramArrays = c.params.map(([p]) => p.data());
      if (inputs.some(requiresGrad) || paramArrays.some(requiresGrad)) {
        const entry = c;
        // Bit i set: input i needs a gradient (a number, so a recorded call allocates no key; inputs past
        // the 52nd are always differentiated, see _compileBackward).
        let need = 0;
        for (let i = 0; i < inputs.length && i < 52; i++) if (requiresGrad(inputs[i])) need += 2 ** i;
        recordEntry([...inputs, ...paramArrays], outs, (gOuts) => this._backward(entry, feeds, gOuts, need, outs));
      }
    }
    return regroup(outs, c.tree);
  }

  /** Runs the compiled gradient graph of a compiled call (one tape entry). */
  private _backward(c: Compiled, feeds: Record<string, HostTensor>, gOuts: (NDArray | null)[], need: number, outs: NDArray[]): (NDArray | null)[] {
    c.backward ??= new Map();
    let b = c.backward.get(need);
    if (!b) c.backward.set(need, (b = this._compileBackward(c, need)));
    const all: Record<string, HostTensor> = { ...feeds };
    b.heads.forEach((name, i) => {
      const o = c.traced.outputs[i]!;
      // An output without a gradient gets zeros of the shape it had (a symbolic one is known only then).
      all[name] = gOuts[i]?._host ?? zerosTensor(o.dtype, outs[i]?.shape ?? (o.shape as number[]));
    });
    const res = b.run(all);
    return [...b.inputGrads, ...b.paramGrads].map((n) => (n ? new NDArray(res[n]!) : null));
  }

  /** The gradient graph of the inputs `need` marks (bit i: input i) and of the parameters that take one. */
  private _compileBackward(c: Compiled, need: number): Backward {
    const { outputs, inputs, symbols } = c.traced;
    const heads = outputs.map((o, i) => variable(`head${i}`, { dtype: o.dtype, shape: plainShape(o.shape) }));
    const inputGrads: (string | null)[] = [];
    const paramGrads: (string | null)[] = [];
    const wrt: StepWrt[] = [];
    const slots: [(string | null)[], number, string][] = [];
    inputs.forEach((v, i) => {
      inputGrads.push(null);
      // An input that needs no gradient gets none: the graph need not differentiate what only it feeds (an imported Loop).
      if (!isFloat(v.dtype) || (i < 52 && Math.floor(need / 2 ** i) % 2 !== 1)) return;
      wrt.push({ value: v.value, gradName: `grad_input${i}` });
      slots.push([inputGrads, i, `grad_input${i}`]);
    });
    c.params.forEach(([p], k) => {
      paramGrads.push(null);
      if (p.gradReq === 'null' || !p.differentiable) return;
      wrt.push({ value: symbols.get(p)!.value, gradName: `grad_param${k}` });
      slots.push([paramGrads, k, `grad_param${k}`]);
    });
    // The hybridized backward is the step builder without an update: gradients of the heads, no zeros where none reach.
    const { graph, grads } = buildStep({
      inputs: [...inputs.map((v) => v.value), ...heads.map((h) => h.value)],
      outputs: [],
      heads: outputs.map((o) => o.value),
      headGrads: heads.map((h) => h.value),
      wrt,
      missing: 'skip',
    });
    grads.forEach((g, i) => {
      const [list, at, name] = slots[i]!;
      if (g) list[at] = name;
    });
    // No gradient reaches anything (every path crosses integer operators, say a quantized model's): no graph to run.
    if (!grads.some(Boolean)) return { run: () => ({}), heads: heads.map((h) => h.name), inputGrads, paramGrads };
    // Parameters the gradient graph does not read are still fed: keep the feeds the forward had.
    const run = compileGraph(graph, {}, { paramsAsInputs: true, device: currentDevice() });
    return { run, heads: heads.map((h) => h.name), inputGrads, paramGrads };
  }

  private _compile(inputs: (NDArray | undefined)[], frozen: boolean, format: InputFormat): Compiled {
    const all = this.collectParams();
    const { outputs, tree, ctx, inputs: vars } = this.trace(traceTypes(inputs), format);
    checkInitialized(this, all);
    const outs = outputs.map((s, i) => ({ name: `output${i}`, value: s.value }));
    const updates = [...ctx.updates].map(([p, s], i) => ({ p, name: `update${i}`, value: s.value }));
    const graph = Graph.fromOutputs(vars.map((v) => v.value), [...outs, ...updates.map(({ name, value }) => ({ name, value }))]);
    const byValue = new Map([...ctx.symbols].map(([p, s]) => [s.value, p]));
    const params: [Parameter, string][] = graph.params.map((v) => [byValue.get(v)!, v.name]);
    if (frozen) for (const [p, name] of params) graph.params.find((v) => v.name === name)!.data = p.data()._host;
    const run = compileGraph(graph, {}, { paramsAsInputs: !frozen, device: currentDevice() });
    return {
      run,
      inputs: vars.map((v) => v.name),
      params: frozen ? [] : params,
      versions: frozen ? params.map(([p]) => [p, p.version] as [Parameter, number]) : null,
      outputs: outs.map((o) => o.name),
      updates: updates.map((u) => [u.p, u.name]),
      tree,
      traced: { outputs, inputs: vars, symbols: ctx.symbols },
    };
  }
}

function checkInitialized(block: Block, params: { entries(): [string, Parameter][] }): void {
  for (const [name, p] of params.entries()) {
    if (!p.initialized) {
      throw new Error(
        p.deferred
          ? `Parameter '${name}' of block ${block.constructor.name} has not been initialized yet: its shape ${formatShape(p.shape)} could not be inferred`
          : `Parameter '${name}' of block ${block.constructor.name} has not been initialized; call initialize() first`,
      );
    }
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return typeof x;
}
