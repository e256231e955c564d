/**
 * The fused training step. Under `autograd.record`, a hybridized block's
 * call does not run: it joins the pending program and returns arrays whose
 * values are pending. `backward` on a pending array asks the program for
 * gradients; `trainer.step` adds the optimizer's update. The program then
 * compiles (once per structure, cached) into ONE graph — forward, loss,
 * gradients, update — and runs as one session run per step. Reading a
 * pending array before that runs the program as far as it was asked
 * (forward, or forward and gradients), keeping Gluon's semantics.
 * The step outputs new weights and optimizer states, except a state that
 * is the weight's last increment (SGD momentum: the next step is fed the
 * previous weight instead, step-feeds.ts); the gradients of the parameters
 * it updates and the call outputs a later call reads (a network's output,
 * read by the loss) are left out (no copy per step) and computed on first
 * read from the step's inputs and the pre-update weights (see
 * `LazyResults`).
 * Invariant: a pending array belongs to exactly one program, which runs at
 * most once.
 */
import { SessionCache } from '../../runtime/session-cache.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { isFloat, type DType } from '../../runtime/dtypes.js';
import { buildStep, updateScalarDType, type StepWrt, type UpdateRule } from '../autodiff/step.js';
import { compileGraph, type Runner } from '../compile.js';
import { currentDevice } from './context.js';
import { Value } from '../ir/value.js';
import { drawsRandom } from '../ir/graph.js';
import { stepThreadCount, threadedRunner, type ThreadChoice } from './step-threads.js';
import { onStepParamChange, paramSig, SCALAR_KINDS, stepScalars, type StepScalars } from './step-params.js';
import { withScope } from '../ops/errors.js';
import { getContext, updateContext } from '../ops/context.js';
import { withTrainingMode } from '../ops/mode.js';
import { Symbol } from '../trace/symbol.js';
import { variable } from '../trace/sym.js';
import { incrementArray, previousWeight, scalarFeeds } from './step-feeds.js';
import { NDArray, type LazyValue } from './ndarray.js';
import { withTrace, type TraceContext, type TracedParam } from './trace-context.js';
import { checkHeadGrad, type GradReqLike } from './tape.js';
import { plainShape } from '../ops/symbolic-dim.js';
import { flattenOutputs, type OutputTree } from './output-tree.js';

/** What the program needs of a parameter (the front end's Parameter). */
export interface StepParameter extends TracedParam {
  readonly gradReq: GradReqLike;
  /** False for parameters no gradient is taken of (integer, or marked so). */
  readonly differentiable: boolean;
  data(): NDArray;
  grad(): NDArray;
  setData(value: NDArray): void;
  setGrad(g: NDArray): void;
}

/** What the program needs of a hybrid block. */
export interface TraceableBlock {
  readonly constructor: { name: string };
  _scopeName: string;
  /** Bumped when the block's structure changed (children, shared parameters): part of the step's key. */
  readonly _structureGen: number;
  _traceCall(inputs: unknown[]): unknown;
  /** Output types of a call, from a cached trace (no compilation). */
  _outputTypes(inputs: readonly { dtype: DType; shape: number[] }[], training: boolean): { types: { dtype: DType; shape: number[] }[]; tree: OutputTree; updates?: readonly object[] } | null;
  _runNow(inputs: NDArray[], into: NDArray[], training: boolean, recording: boolean): void;
  collectParams(): { values(): StepParameter[] };
}

/** What the program needs of an optimizer (see optimizer/optimizer.ts). */
export interface FusableOptimizer extends UpdateRule {
  readonly name: string;
  readonly hyper: Record<string, number | boolean | string>;
  /** Weight decay: an update rule may leave its terms out when it is 0 (part of the cache key). */
  readonly wd?: number;
}

/** What the program needs of a trainer (see trainer.ts). */
export interface FusableTrainer {
  readonly optimizer: FusableOptimizer;
  /** The parameters it updates (those with gradReq other than 'null'). */
  trainable(): [string, StepParameter][];
  /** The learning rate, weight decay, step count and gradient scale of a parameter's next update. */
  nextScalars(p: StepParameter, batchSize: number): { lr: number; wd: number; t: number; rescale: number };
  /** The optimizer states of a parameter (created on first use). */
  stateOf(p: StepParameter): NDArray[];
  /** Stores an update computed elsewhere and counts it. */
  commitUpdate(p: StepParameter, weight: NDArray, states: NDArray[]): void;
}

type Ref = { ext: number } | { call: number; out: number };

interface Call {
  block: TraceableBlock;
  inputs: Ref[];
  outputs: NDArray[];
  training: boolean;
  recording: boolean;
}

interface Compiled {
  run: Runner;
  /** The thread policy's choice for this step (see step-threads.ts). */
  choice: ThreadChoice;
  /** Releases the step's sessions. */
  close: () => void;
  /** Feed names of parameters, states, grads. */
  params: [StepParameter, string][];
  oldGrads: [StepParameter, string][];
  states: [StepParameter, number, string][];
  /** Output names of each call's outputs ('' for one of `lazyOuts`: [call, output] pairs computed on first read). */
  outs: string[][];
  lazyOuts: [number, number][];
  updates: [StepParameter, string][];
  grads: [StepParameter, string][];
  newWeights: [StepParameter, string][];
  /** The scalar feeds the update reads: name, kind (index into lr, wd, t, rescale), scalar class. */
  scalars: [string, number, number][];
  /** The parameters of the recorded blocks when compiled (what `fusedStep` checks the trainer against). */
  used: Set<StepParameter>;
  /** Updated parameters whose gradient is not an output (computed on first read; see `LazyResults`). */
  lazyGrads: StepParameter[];
  /** For each of `newWeights`, the (state index, output name) of its new states. */
  newStatesOf: [number, string][][];
  /** Increment states fed as the previous weight (step-feeds.ts): parameter, state index, feed name, the weight's feed name. */
  prevs: [StepParameter, number, string, string][];
  /** Feed names of the external inputs: `x0`, `x1`, ... */
  extNames: string[];
  /** The host tensor of scalar feed `i` holding `value` (the last one is reused while the value stays). */
  scalarFeed(i: number, value: number, dtype: DType): HostTensor;
}

/** Keys of fused steps whose lazy gradients (call outputs) were read: from then on those steps output them (one run per step again). */
const gradsWanted = new Set<string>();
const outsWanted = new Set<string>();

/** The last step's [key, lazy key]: a repeated step gets the same string object (its hash computed once). */
let lastLazy = ['', ''];

/** The cache key of a step with its lazy results: which of gradients (g) and call outputs (o) it leaves out. */
function lazyKeyOf(baseKey: string): string {
  if (baseKey === lastLazy[0]) return lastLazy[1]!;
  const [g, o] = [!gradsWanted.has(baseKey), !outsWanted.has(baseKey)];
  lastLazy = [baseKey, g || o ? `${baseKey}|lazy${g ? 'g' : ''}${o ? 'o' : ''}` : baseKey];
  return lastLazy[1]!;
}

/** A reference's part of a program key (a module function: no closure per step). */
function refKey(r: Ref): string {
  return 'ext' in r ? `e${r.ext}` : `c${r.call}.${r.out}`;
}

/** The last fused step's lazy results while not computed: computed before a parameter's gradReq or dtype changes (they recompute as their step ran). */
let pendingLazy: LazyResults | null = null;
onStepParamChange(() => pendingLazy?.compute());

const blockIds = new WeakMap<object, number>();
let nextBlockId = 0;
function blockId(b: object): number {
  let id = blockIds.get(b);
  if (id === undefined) blockIds.set(b, (id = nextBlockId++));
  return id;
}

/** The compiled steps: eight kept, the least recently used released. */
const cache = new SessionCache<Compiled>({ size: 8, release: (c) => c.close(), hitCounter: 'cacheHits' });
/** The program being recorded: the `pendingStep` of the one context (compiler/ops/context.ts). */
function pendingProgram(): Program | null {
  return getContext().pendingStep as Program | null;
}

function setPending(p: Program | null): void {
  updateContext({ pendingStep: p });
}
let fusion = true;
export { setStepThreads, stepThreadCount, type ThreadChoice } from './step-threads.js';

/**
 * The compiled training steps held (most recently used last), for
 * inspection: `.bytes` is the ONNX model, `.session` the session.
 *
 * ```ts
 * const [run] = fusedRunners().slice(-1); run.bytes.length;
 * ```
 */
export function fusedRunners(): (Runner & { threadChoice: ThreadChoice })[] {
  return [...cache.values()].map((c) => Object.assign(c.run, { threadChoice: c.choice }));
}

/** Turns the fused step on or off (off: hybridized calls under record run at once, with a compiled backward). */
export function setFusion(on: boolean): void {
  if (!on) flushPending();
  fusion = on;
}

/** True when hybridized calls under record are deferred into a program. */
export function fusionEnabled(): boolean {
  return fusion;
}

/**
 * True when the pending program will assign `p` (a running statistic of a
 * deferred call): its value must not be read before the program runs.
 *
 * ```ts
 * if (pendingWrite(this)) flushPending();
 * ```
 */
export function pendingWrite(p: object): boolean {
  const program = pendingProgram();
  return program !== null && !program.done && program.writes.size > 0 && program.writes.has(p);
}

/** Runs the pending program, if any (before anything reads state it would change). */
export function flushPending(): void {
  pendingProgram()?.force();
}

class Program {
  readonly externals: NDArray[] = [];
  readonly calls: Call[] = [];
  backward: { head: Ref; headGrad: NDArray | null; retainGraph: boolean } | null = null;
  done = false;
  /** Parameters its calls assign (running statistics): reading one runs the program first. */
  readonly writes = new Set<object>();

  ref(x: NDArray): Ref {
    if (x._lazy?.owner === this) {
      for (let c = 0; c < this.calls.length; c++) {
        const k = this.calls[c]!.outputs.indexOf(x);
        if (k >= 0) return { call: c, out: k };
      }
    }
    let i = this.externals.indexOf(x);
    if (i < 0) {
      void x._host; // a pending array of another program runs that program first
      i = this.externals.push(x) - 1;
    }
    return { ext: i };
  }

  /** Materializes every output by running the program as far as it was asked. */
  force(): void {
    if (this.done) return;
    this.done = true;
    if (pendingProgram() === this) setPending(null);
    if (this.backward) return this.execute(null, null, this.key(null, null));
    for (const c of this.calls) {
      const inputs = c.inputs.map((r) => ('ext' in r ? this.externals[r.ext]! : this.calls[r.call]!.outputs[r.out]!));
      c.block._runNow(inputs, c.outputs, c.training, c.recording);
    }
  }

  /** The cache key: everything the compiled graph depends on (built with plain loops: it is computed every step). */
  key(trainer: FusableTrainer | null, scalars: StepScalars<StepParameter> | null): string {
    let k = '';
    for (const c of this.calls) {
      k += `${blockId(c.block)}.${c.block._structureGen}(`;
      for (const r of c.inputs) k += `${refKey(r)},`;
      k += c.training ? ')T' : ')P';
      k += `${paramSig(c.block)};`;
    }
    k += '|';
    for (const x of this.externals) k += `${x.dtype}[${x.shape.join(',')}];`;
    if (this.backward) k += `|bw(${refKey(this.backward.head)},${this.backward.headGrad ? 'g' : '1'})`;
    if (trainer) {
      const o = trainer.optimizer;
      k += `|step(${o.name},${JSON.stringify(o.hyper)},wd${o.wd === 0 ? 0 : 1},`;
      for (const p of scalars!.params) k += `${blockId(p)}:${p.gradReq},`;
      k += `${scalars!.key})`;
    }
    return `${k}|t${stepThreadCount()}|${currentDevice()}`;
  }

  /** Runs forward + gradients (+ the update when a trainer is given) as one session. */
  execute(trainer: FusableTrainer | null, scalars: StepScalars<StepParameter> | null, baseKey: string): void {
    this.done = true;
    if (pendingProgram() === this) setPending(null);
    const key = trainer === null ? baseKey : lazyKeyOf(baseKey);
    const c = cache.get(key, () => this.compile(trainer, scalars, trainer !== null && !gradsWanted.has(baseKey), trainer !== null && !outsWanted.has(baseKey)));
    // The per-step path: plain indexed loops over the compiled plan (no iterators, no per-step names).
    const feeds: Record<string, HostTensor> = {};
    const externals = this.externals;
    for (let i = 0; i < externals.length; i++) feeds[c.extNames[i]!] = externals[i]!._host;
    for (let i = 0; i < c.params.length; i++) feeds[c.params[i]![1]] = c.params[i]![0].data()._host;
    for (let i = 0; i < c.oldGrads.length; i++) feeds[c.oldGrads[i]![1]] = c.oldGrads[i]![0].grad()._host;
    if (this.backward?.headGrad) feeds['head_grad'] = this.backward.headGrad._host;
    if (trainer) {
      for (let i = 0; i < c.scalars.length; i++) {
        const [name, k, j] = c.scalars[i]!;
        feeds[name] = c.scalarFeed(i, scalars!.values[j]![k]!, updateScalarDType(scalars!.params[j]!.dtype));
      }
      for (let i = 0; i < c.states.length; i++) {
        const [p, k, name] = c.states[i]!;
        feeds[name] = trainer.stateOf(p)[k]!._host;
      }
      for (let i = 0; i < c.prevs.length; i++) {
        const [p, k, name, weight] = c.prevs[i]!;
        feeds[name] = previousWeight(trainer.stateOf(p)[k]!, feeds[weight]!);
      }
    }
    if (c.lazyGrads.length || c.lazyOuts.length) new LazyResults(this, c, feeds, baseKey);
    const res = c.run(feeds);
    // The lazy results' recomputation keeps `feeds`: not the old optimizer states, which it never reads.
    for (let i = 0; i < c.states.length; i++) feeds[c.states[i]![2]] = undefined!;
    for (let i = 0; i < c.prevs.length; i++) feeds[c.prevs[i]![2]] = undefined!;
    for (let i = 0; i < this.calls.length; i++) {
      const outputs = this.calls[i]!.outputs;
      const names = c.outs[i]!;
      for (let k = 0; k < outputs.length; k++) if (names[k]) outputs[k]!._host = res[names[k]!]!;
    }
    for (let i = 0; i < c.updates.length; i++) c.updates[i]![0].setData(new NDArray(res[c.updates[i]![1]]!));
    for (let i = 0; i < c.grads.length; i++) c.grads[i]![0].setGrad(new NDArray(res[c.grads[i]![1]]!));
    if (trainer) {
      let j = 0; // c.prevs follows c.newWeights' order
      for (let i = 0; i < c.newWeights.length; i++) {
        const [p, name] = c.newWeights[i]!;
        const mine = c.newStatesOf[i]!;
        const prev = c.prevs[j]?.[0] === p ? c.prevs[j++] : undefined;
        let states = trainer.stateOf(p);
        if (mine.length || prev) {
          states = [...states];
          for (let m = 0; m < mine.length; m++) states[mine[m]![0]] = new NDArray(res[mine[m]![1]]!);
          if (prev) states[prev[1]] = incrementArray(feeds[prev[3]]!, res[name]!);
        }
        trainer.commitUpdate(p, new NDArray(res[name]!), states);
      }
    }
  }

  /**
   * Compiles the program. With `lazy`, the gradients of parameters the
   * update writes (gradReq 'write') are not outputs, and with `lazyOuts`
   * neither are the call outputs a later call reads, unless the forward
   * draws random numbers (a recomputation would draw others).
   */
  compile(trainer: FusableTrainer | null, stepScalars: StepScalars<StepParameter> | null, lazy = false, lazyOuts = false): Compiled {
    const ctx: TraceContext<StepParameter> = { symbols: new Map(), names: new Map(), updates: new Map() };
    const vars = this.externals.map((x, i) => variable(`x${i}`, { dtype: x.dtype, shape: x.shape }));
    const outs: Symbol[][] = [];
    withTrace(ctx, () => {
      for (const call of this.calls) {
        const ins = call.inputs.map((r) => ('ext' in r ? vars[r.ext]! : outs[r.call]![r.out]!));
        const o = withTrainingMode(call.training, () =>
          withScope(call.block._scopeName || call.block.constructor.name, () => call.block._traceCall(ins)),
        );
        outs.push(flattenOutputs(o).flat as Symbol[]);
      }
    });
    // Unique feed names for parameters: p0, p1, ... in first-use order.
    const params = [...ctx.symbols.keys()];
    params.forEach((p, i) => (ctx.symbols.get(p)!.value.name = `p${i}`));
    const graphOuts: { name: string; value: Value }[] = [];
    const random = lazy || lazyOuts ? drawsRandom(outs.flat().map((s) => s.value)) : true;
    const readLater = new Set<string>(); // call outputs a later call reads (a network's output, read by the loss)
    if (lazyOuts && !random) for (const call of this.calls) for (const r of call.inputs) if ('call' in r) readLater.add(`${r.call}.${r.out}`);
    const lazyOutList: [number, number][] = [];
    const outNames = outs.map((list, i) => list.map((s, k) => {
      if (readLater.has(`${i}.${k}`)) return (lazyOutList.push([i, k]), '');
      const name = `out${i}_${k}`;
      graphOuts.push({ name, value: s.value });
      return name;
    }));
    const updates: [StepParameter, string][] = [...ctx.updates].map(([p, s], i) => {
      graphOuts.push({ name: `update${i}`, value: s.value });
      return [p, `update${i}`];
    });
    const inputs: Value[] = vars.map((v) => v.value);
    const grads: [StepParameter, string][] = [];
    const oldGrads: [StepParameter, string][] = [];
    const states: [StepParameter, number, string][] = [];
    const newWeights: [StepParameter, string][] = [];
    const newStatesOf: [number, string][][] = [];
    const prevs: Compiled['prevs'] = [];
    const lazyList: StepParameter[] = [];
    const scalarVars = new Map<string, { v: Symbol; kind: number; j: number }>();
    const scalarVar = (p: StepParameter, kind: number): Value => {
      const j = stepScalars!.classes[kind]![stepScalars!.params.indexOf(p)]!;
      const name = `${SCALAR_KINDS[kind]}${j}`;
      let s = scalarVars.get(name);
      if (!s) scalarVars.set(name, (s = { v: variable(name, { dtype: updateScalarDType(p.dtype), shape: [] }), kind, j }));
      return s.v.value;
    };
    const heads: Value[] = [];
    const headGrads: (Value | null)[] = [];
    const wrt: StepWrt[] = [];
    if (this.backward) {
      const head = this.backward.head;
      const headSym = 'ext' in head ? vars[head.ext]! : outs[head.call]![head.out]!;
      heads.push(headSym.value);
      if (this.backward.headGrad) {
        const headGrad = variable('head_grad', { dtype: headSym.dtype, shape: plainShape(headSym.shape) }).value;
        inputs.push(headGrad);
        headGrads.push(headGrad);
      } else headGrads.push(null);
      const trainable = params.filter((p) => p.gradReq !== 'null' && p.differentiable && isFloat(p.dtype));
      const stepSet = new Set(trainer ? trainer.trainable().map(([, p]) => p) : []);
      const lazyGrad = lazy && !random;
      trainable.forEach((p, i) => {
        const w: StepWrt = { value: ctx.symbols.get(p)!.value };
        if (p.gradReq === 'add') {
          w.addTo = Value.param(`grad_in${i}`, { dtype: p.dtype, shape: p.shape });
          oldGrads.push([p, w.addTo.name]);
        }
        if (lazyGrad && p.gradReq === 'write' && stepSet.has(p)) lazyList.push(p);
        else {
          grads.push([p, `grad${i}`]);
          w.gradName = `grad${i}`;
        }
        if (trainer && stepSet.has(p)) {
          w.update = () => {
            const [lr, wd, t, rescale] = SCALAR_KINDS.map((_n, k) => scalarVar(p, k)) as [Value, Value, Value, Value];
            const stVals = trainer.stateOf(p).map((st, k) => {
              const v = Value.param(`state${i}_${k}`, { dtype: st.dtype, shape: st.shape });
              states.push([p, k, v.name]);
              return v;
            });
            newWeights.push([p, `weight${i}`]);
            newStatesOf.push(stVals.map((_v, k) => [k, `new_state${i}_${k}`]));
            const previous = (k: number): Value => { // an increment state: the previous weight is fed, the state neither fed nor output
              prevs.push([p, k, `prev${i}`, ctx.symbols.get(p)!.value.name]);
              states.splice(states.findIndex(([q, m]) => q === p && m === k), 1);
              newStatesOf.at(-1)!.splice(k, 1);
              return Value.param(`prev${i}`, { dtype: p.dtype, shape: p.shape });
            };
            return { states: stVals, lr, wd, t, rescale, weightName: `weight${i}`, stateNames: stVals.map((_v, k) => `new_state${i}_${k}`), previous };
          };
        }
        wrt.push(w);
      });
    }
    // Only the scalars the update reads become inputs (SGD reads neither t nor, without decay, wd).
    const { graph, keptOptional } = buildStep({
      inputs,
      optionalInputs: () => [...scalarVars.values()].map((s) => s.v.value),
      outputs: graphOuts,
      heads,
      headGrads,
      wrt,
      rule: trainer?.optimizer,
    });
    const kept = new Set(keptOptional);
    const scalars: [string, number, number][] = [];
    for (const [name, { v, kind, j }] of scalarVars) if (kept.has(v.value)) scalars.push([name, kind, j]);
    const setting = stepThreadCount();
    const device = currentDevice();
    const single = compileGraph(graph, {}, { paramsAsInputs: true, threads: setting === 'auto' ? 1 : setting, device });
    return {
      ...threadedRunner(single, device, setting),
      params: params.map((p) => [p, ctx.symbols.get(p)!.value.name]),
      oldGrads, states, updates, grads, newWeights, newStatesOf, prevs, scalars,
      outs: outNames,
      lazyOuts: lazyOutList,
      used: this.usedParams(),
      lazyGrads: lazyList,
      extNames: this.externals.map((_x, i) => `x${i}`),
      scalarFeed: scalarFeeds(),
    };
  }

  /** The parameters the recorded calls read (from their blocks). */
  usedParams(): Set<StepParameter> {
    const out = new Set<StepParameter>();
    for (const c of this.calls) for (const p of c.block.collectParams().values()) out.add(p);
    return out;
  }
}

/**
 * Adds a hybridized block's call to the pending program; returns its
 * outputs as pending arrays (or null when the call cannot be deferred).
 */
export function deferCall(block: TraceableBlock, inputs: NDArray[], training: boolean, recording: boolean): { outputs: NDArray[]; tree: OutputTree } | null {
  const r = block._outputTypes(inputs, training);
  if (!r) return null;
  const types = r.types;
  const pending = pendingProgram();
  if (pending && (pending.done || pending.backward)) pending.force();
  let program = pendingProgram();
  if (!program) setPending((program = new Program()));
  const refs = inputs.map((x) => program.ref(x));
  const outputs: NDArray[] = types.map((t) => new NDArray(null, new Pending(t.dtype, t.shape, program)));
  program.calls.push({ block, inputs: refs, outputs, training, recording });
  if (r.updates) for (const p of r.updates) program.writes.add(p);
  return { outputs, tree: r.tree };
}

/**
 * `trainer.step` with a pending program whose gradients cover the trainer's
 * parameters: runs forward, gradients and update as one session. Returns
 * false when it cannot (the caller then updates eagerly).
 */
export function fusedStep(trainer: FusableTrainer, batchSize: number): boolean {
  const program = pendingProgram();
  if (!program || program.done || !program.backward) return false;
  // Every parameter the trainer updates must get its gradient from this program
  // (checked against the blocks' parameters, remembered with a compiled step).
  const scalars = stepScalars(trainer, batchSize);
  const key = program.key(trainer, scalars);
  const used = (cache.peek(lazyKeyOf(key)) ?? cache.peek(key))?.used ?? program.usedParams();
  if (!scalars.params.every((p) => used.has(p) && p.differentiable)) return false;
  program.execute(trainer, scalars, key);
  return true;
}

/**
 * A pending array of a fused step (a class, not a closure per array: this
 * is the per-step path). A call output forces its program; a lazy result
 * (`LazyResults`) runs its step's recomputation.
 */
class Pending implements LazyValue {
  constructor(readonly dtype: DType, readonly shape: number[], readonly owner?: Program, private readonly recompute?: LazyResults, private readonly wanted?: Set<string>) {}

  force(): void {
    if (this.recompute) this.recompute.run(this.wanted!);
    else this.owner!.force();
  }

  /** `backward` on a pending array: the program will compute gradients. Returns false when it will not (the tape takes it). */
  backward(head: NDArray, headGrad: NDArray | undefined, retainGraph = false): boolean {
    const program = this.owner;
    if (!program || program.done) return false;
    if (headGrad) checkHeadGrad(head, headGrad);
    if (program.backward) {
      // A second backward: a program differentiates one head, so its calls run now, taped, and each
      // backward writes (or, with gradReq 'add', adds) its gradients in turn, as eagerly.
      const first = program.backward;
      program.backward = null;
      program.force();
      const h = first.head;
      const firstHead = 'ext' in h ? program.externals[h.ext]! : program.calls[h.call]!.outputs[h.out]!;
      firstHead.backward(first.headGrad ?? undefined, { retainGraph: first.retainGraph });
      return false;
    }
    program.backward = { head: program.ref(head), headGrad: headGrad ?? null, retainGraph };
    return true;
  }
}

/**
 * Gives the parameters of `c.lazyGrads` pending gradients and the call
 * outputs of `c.lazyOuts` pending values: the fused step did not output
 * them (no copy per step); the first read of any of them runs the forward +
 * backward program once more on the step's inputs and the parameters'
 * values before the update (arrays are replaced, never mutated, so `feeds`
 * still holds them; `execute` drops its optimizer states, which this never
 * reads), fills all of them, and makes later steps of this kind output
 * what was read (gradients, call outputs) again.
 */
class LazyResults {
  private readonly grads: [StepParameter, NDArray][] = [];
  private done = false;

  constructor(private readonly program: Program, private readonly c: Compiled, private readonly feeds: Record<string, HostTensor>, private readonly stepKey: string) {
    for (const p of c.lazyGrads) {
      const a = new NDArray(null, new Pending(p.dtype, [...p.shape], undefined, this, gradsWanted));
      this.grads.push([p, a]);
      p.setGrad(a);
    }
    for (const [i, k] of c.lazyOuts) {
      const a = program.calls[i]!.outputs[k]!;
      a._lazy = new Pending(a.dtype, a.shape, program, this, outsWanted);
    }
    pendingLazy = this;
  }

  /** A read of one of the results: computes them, and makes later steps of this kind output what was read. */
  run(wanted: Set<string>): void {
    wanted.add(this.stepKey);
    if (wanted.size > 64) wanted.delete(wanted.values().next().value as string);
    lastLazy = ['', ''];
    this.compute();
  }

  /** Computes the results (once). */
  compute(): void {
    if (this.done) return;
    this.done = true;
    if (pendingLazy === this) pendingLazy = null;
    const { program, c, feeds } = this;
    // What the step was fed, by parameter (feed names of another compilation may differ).
    const values = new Map(c.params.map(([p, name]) => [p, feeds[name]!]));
    const oldGrads = new Map(c.oldGrads.map(([p, name]) => [p, feeds[name]!]));
    const g = cache.get(program.key(null, null), () => program.compile(null, null));
    const gFeeds: Record<string, HostTensor> = {};
    program.externals.forEach((_x, i) => (gFeeds[`x${i}`] = feeds[`x${i}`]!));
    if (feeds['head_grad']) gFeeds['head_grad'] = feeds['head_grad'];
    for (const [p, name] of g.params) gFeeds[name] = values.get(p)!;
    for (const [p, name] of g.oldGrads) gFeeds[name] = oldGrads.get(p)!;
    const res = g.run(gFeeds);
    const byParam = new Map(g.grads);
    for (const [p, a] of this.grads) if (a._pending) a._host = res[byParam.get(p)!]!;
    for (const [i, k] of c.lazyOuts) {
      const a = program.calls[i]!.outputs[k]!;
      if (a._pending) a._host = res[g.outs[i]![k]!]!;
    }
  }
}
