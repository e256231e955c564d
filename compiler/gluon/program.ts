/**
 * The fused training step. Under `autograd.record`, a hybridized block's
 * call does not run: it joins the pending program and returns arrays whose
 * values are pending. `backward` on a pending array asks the program for
 * gradients; `trainer.step` adds the optimizer's update. The program then
 * compiles (once per structure, cached) into ONE graph — forward, loss,
 * gradients, update — and runs as one session run per step. Reading a
 * pending array before that runs the program as far as it was asked
 * (forward, or forward and gradients), keeping Gluon's semantics.
 * Invariant: a pending array belongs to exactly one program, which runs at
 * most once.
 */
import { count } from '../../runtime/profiler.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { isFloat, type DType } from '../../runtime/dtypes.js';
import { gradients } from '../autodiff/reverse.js';
import { compileGraph, type Runner } from '../compile.js';
import { Graph } from '../ir/graph.js';
import { Value } from '../ir/value.js';
import { withScope } from '../ops/errors.js';
import { withTrainingMode } from '../ops/mode.js';
import type { F, Tensor } from '../ops/tensor.js';
import { Symbol } from '../trace/symbol.js';
import { symOps, variable } from '../trace/sym.js';
import { scalarTensor } from '../onnx/emit.js';
import { NDArray } from './ndarray.js';
import type { Parameter } from './parameter.js';
import { withTrace, type TraceContext } from './trace-context.js';

/** What the program needs of a hybrid block. */
export interface TraceableBlock {
  readonly constructor: { name: string };
  _scopeName: string;
  _traceCall(inputs: unknown[]): unknown;
  /** Output types of a call, from a cached trace (no compilation). */
  _outputTypes(inputs: { dtype: DType; shape: number[] }[], training: boolean): { types: { dtype: DType; shape: number[] }[]; list: boolean } | null;
  _runNow(inputs: NDArray[], into: NDArray[], training: boolean, recording: boolean): void;
  collectParams(): { values(): Parameter[] };
}

/** What the program needs of an optimizer (see optimizer/optimizer.ts). */
export interface FusableOptimizer {
  readonly name: string;
  readonly hyper: Record<string, number | boolean | string>;
  update(F: F, args: { weight: Tensor; grad: Tensor; states: Tensor[]; lr: Tensor; wd: Tensor; t: Tensor; rescale: Tensor }): { weight: Tensor; states: Tensor[] };
}

/** What the program needs of a trainer (see trainer.ts). */
export interface FusableTrainer {
  readonly optimizer: FusableOptimizer;
  /** The parameters it updates (those with gradReq other than 'null'). */
  trainable(): [string, Parameter][];
  /** The learning rate, weight decay, step count and gradient scale of a parameter's next update. */
  nextScalars(p: Parameter, batchSize: number): { lr: number; wd: number; t: number; rescale: number };
  /** The optimizer states of a parameter (created on first use). */
  stateOf(p: Parameter): NDArray[];
  /** Stores an update computed elsewhere and counts it. */
  commitUpdate(p: Parameter, weight: NDArray, states: NDArray[]): void;
}

type Ref = { ext: number } | { call: number; out: number };

interface Call {
  block: TraceableBlock;
  inputs: Ref[];
  outputs: NDArray[];
  training: boolean;
  recording: boolean;
  list: boolean;
}

interface Compiled {
  run: Runner;
  /** Feed names of parameters, states, grads. */
  params: [Parameter, string][];
  oldGrads: [Parameter, string][];
  states: [Parameter, number, string][];
  outs: string[][];
  updates: [Parameter, string][];
  grads: [Parameter, string][];
  newWeights: [Parameter, string][];
  newStates: [Parameter, number, string][];
  /** Scalar feeds of each updated parameter: lr, wd, t, rescale names. */
  scalars: [Parameter, string, string, string, string][];
}

const blockIds = new WeakMap<object, number>();
let nextBlockId = 0;
function blockId(b: object): number {
  let id = blockIds.get(b);
  if (id === undefined) blockIds.set(b, (id = nextBlockId++));
  return id;
}

const CACHE_SIZE = 8;
const cache = new Map<string, Compiled>();
let pending: Program | null = null;
let fusion = true;

/** Turns the fused step on or off (off: hybridized calls under record run at once, with a compiled backward). */
export function setFusion(on: boolean): void {
  if (!on) flushPending();
  fusion = on;
}

/** True when hybridized calls under record are deferred into a program. */
export function fusionEnabled(): boolean {
  return fusion;
}

/** Runs the pending program, if any (before anything reads state it would change). */
export function flushPending(): void {
  pending?.force();
}

/** The pending program that owns a pending array, if any. */
function programOf(x: NDArray): Program | null {
  return (x._lazy as { program?: Program } | null)?.program ?? null;
}

class Program {
  readonly externals: NDArray[] = [];
  readonly calls: Call[] = [];
  backward: { head: Ref; headGrad: NDArray | null } | null = null;
  done = false;

  ref(x: NDArray): Ref {
    const p = programOf(x);
    if (p === this) {
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
    if (pending === this) pending = null;
    if (this.backward) this.execute(null, 0);
    else this.runCallsOneByOne();
  }

  private runCallsOneByOne(): void {
    for (const c of this.calls) {
      const inputs = c.inputs.map((r) => ('ext' in r ? this.externals[r.ext]! : this.calls[r.call]!.outputs[r.out]!));
      c.block._runNow(inputs, c.outputs, c.training, c.recording);
    }
  }

  key(trainer: FusableTrainer | null): string {
    const refKey = (r: Ref) => ('ext' in r ? `e${r.ext}` : `c${r.call}.${r.out}`);
    const calls = this.calls.map((c) => `${blockId(c.block)}(${c.inputs.map(refKey).join(',')})${c.training ? 'T' : 'P'}`).join(';');
    const ext = this.externals.map((x) => `${x.dtype}[${x.shape}]`).join(';');
    const bw = this.backward ? `bw(${refKey(this.backward.head)},${this.backward.headGrad ? 'g' : '1'})` : '';
    const step = trainer
      ? `step(${trainer.optimizer.name},${JSON.stringify(trainer.optimizer.hyper)},${trainer.trainable().map(([, p]) => `${blockId(p)}:${p.gradReq}`).join(',')})`
      : '';
    return `${calls}|${ext}|${bw}|${step}`;
  }

  /** Runs forward + gradients (+ the update when a trainer is given) as one session. */
  execute(trainer: FusableTrainer | null, batchSize: number): void {
    this.done = true;
    if (pending === this) pending = null;
    const key = this.key(trainer);
    let c = cache.get(key);
    if (c) {
      count('cacheHits');
      cache.delete(key);
      cache.set(key, c);
    } else {
      c = this.compile(trainer);
      cache.set(key, c);
      while (cache.size > CACHE_SIZE) {
        const [k, old] = cache.entries().next().value as [string, Compiled];
        cache.delete(k);
        old.run.session.close();
      }
    }
    const feeds: Record<string, HostTensor> = {};
    this.externals.forEach((x, i) => (feeds[`x${i}`] = x._host));
    for (const [p, name] of c.params) feeds[name] = p.data()._host;
    for (const [p, name] of c.oldGrads) feeds[name] = p.grad()._host;
    if (this.backward?.headGrad) feeds['head_grad'] = this.backward.headGrad._host;
    if (trainer) {
      for (const [p, lr, wd, t, rescale] of c.scalars) {
        const sc = trainer.nextScalars(p, batchSize);
        feeds[lr] = scalarTensor(sc.lr, p.dtype);
        feeds[wd] = scalarTensor(sc.wd, p.dtype);
        feeds[t] = scalarTensor(sc.t, p.dtype);
        feeds[rescale] = scalarTensor(sc.rescale, p.dtype);
      }
      for (const [p, k, name] of c.states) feeds[name] = trainer.stateOf(p)[k]!._host;
    }
    const res = c.run(feeds);
    this.calls.forEach((call, i) => call.outputs.forEach((o, k) => (o._host = res[c!.outs[i]![k]!]!)));
    for (const [p, name] of c.updates) p.setData(new NDArray(res[name]!));
    for (const [p, name] of c.grads) p.setGrad(new NDArray(res[name]!));
    if (trainer) {
      const newStates = new Map<Parameter, NDArray[]>();
      for (const [p, k, name] of c.newStates) {
        const list = newStates.get(p) ?? [...trainer.stateOf(p)];
        list[k] = new NDArray(res[name]!);
        newStates.set(p, list);
      }
      for (const [p, name] of c.newWeights) trainer.commitUpdate(p, new NDArray(res[name]!), newStates.get(p) ?? trainer.stateOf(p));
    }
  }

  private compile(trainer: FusableTrainer | null): Compiled {
    const ctx: TraceContext = { symbols: new Map(), names: new Map(), updates: new Map() };
    const vars = this.externals.map((x, i) => variable(`x${i}`, { dtype: x.dtype, shape: x.shape }));
    const outs: Symbol[][] = [];
    withTrace(ctx, () => {
      for (const call of this.calls) {
        const ins = call.inputs.map((r) => ('ext' in r ? vars[r.ext]! : outs[r.call]![r.out]!));
        const o = withTrainingMode(call.training, () =>
          withScope(call.block._scopeName || call.block.constructor.name, () => call.block._traceCall(ins)),
        );
        outs.push((Array.isArray(o) ? o : [o]) as Symbol[]);
      }
    });
    // Unique feed names for parameters: p0, p1, ... in first-use order.
    const params = [...ctx.symbols.keys()];
    params.forEach((p, i) => (ctx.symbols.get(p)!.value.name = `p${i}`));
    const graphOuts: { name: string; value: Value }[] = [];
    const outNames = outs.map((list, i) => list.map((s, k) => {
      const name = `out${i}_${k}`;
      graphOuts.push({ name, value: s.value });
      return name;
    }));
    const updates: [Parameter, string][] = [...ctx.updates].map(([p, s], i) => {
      graphOuts.push({ name: `update${i}`, value: s.value });
      return [p, `update${i}`];
    });
    const inputs: Value[] = vars.map((v) => v.value);
    const grads: [Parameter, string][] = [];
    const oldGrads: [Parameter, string][] = [];
    const states: [Parameter, number, string][] = [];
    const newWeights: [Parameter, string][] = [];
    const newStates: [Parameter, number, string][] = [];
    const scalars: [Parameter, string, string, string, string][] = [];
    if (this.backward) {
      const head = this.backward.head;
      const headSym = 'ext' in head ? vars[head.ext]! : outs[head.call]![head.out]!;
      let headGrad: Value;
      if (this.backward.headGrad) {
        headGrad = variable('head_grad', { dtype: headSym.dtype, shape: headSym.shape }).value;
        inputs.push(headGrad);
      } else headGrad = (symOps.onesLike(headSym) as Symbol).value;
      const trainable = params.filter((p) => p.gradReq !== 'null' && p.differentiable && isFloat(p.dtype));
      const g = gradients([headSym.value], trainable.map((p) => ctx.symbols.get(p)!.value), [headGrad]);
      const stepSet = new Set(trainer ? trainer.trainable().map(([, p]) => p) : []);
      trainable.forEach((p, i) => {
        let gv = g[i] ?? (symOps.zerosLike(ctx.symbols.get(p)!) as Symbol).value;
        if (p.gradReq === 'add') {
          const old = Value.param(`grad_in${i}`, { dtype: p.dtype, shape: p.shape });
          oldGrads.push([p, old.name]);
          gv = (symOps.add(new Symbol(gv), new Symbol(old)) as Symbol).value;
        }
        grads.push([p, `grad${i}`]);
        graphOuts.push({ name: `grad${i}`, value: gv });
        if (!trainer || !stepSet.has(p)) return;
        const dtype = p.dtype;
        const names = [`lr${i}`, `wd${i}`, `t${i}`, `rescale${i}`] as const;
        const [lr, wd, t, rescale] = names.map((n) => variable(n, { dtype, shape: [] }));
        scalars.push([p, ...names]);
        inputs.push(lr!.value, wd!.value, t!.value, rescale!.value);
        const stVars = trainer.stateOf(p).map((st, k) => {
          const v = Value.param(`state${i}_${k}`, { dtype: st.dtype, shape: st.shape });
          states.push([p, k, v.name]);
          return new Symbol(v);
        });
        const r = trainer.optimizer.update(symOps as unknown as F, {
          weight: ctx.symbols.get(p)! as unknown as Tensor,
          grad: new Symbol(gv) as unknown as Tensor,
          states: stVars as unknown as Tensor[],
          lr: lr as unknown as Tensor,
          wd: wd as unknown as Tensor,
          t: t as unknown as Tensor,
          rescale: rescale as unknown as Tensor,
        });
        newWeights.push([p, `weight${i}`]);
        graphOuts.push({ name: `weight${i}`, value: (r.weight as unknown as Symbol).value });
        r.states.forEach((s, k) => {
          newStates.push([p, k, `new_state${i}_${k}`]);
          graphOuts.push({ name: `new_state${i}_${k}`, value: (s as unknown as Symbol).value });
        });
      });
    }
    const graph = Graph.fromOutputs(inputs, graphOuts);
    const run = compileGraph(graph, {}, { paramsAsInputs: true });
    return {
      run,
      params: params.map((p) => [p, ctx.symbols.get(p)!.value.name]),
      oldGrads,
      states,
      outs: outNames,
      updates,
      grads,
      newWeights,
      newStates,
      scalars,
    };
  }

  /** The parameters the recorded calls read (from their blocks). */
  usedParams(): Set<Parameter> {
    const out = new Set<Parameter>();
    for (const c of this.calls) for (const p of c.block.collectParams().values()) out.add(p);
    return out;
  }
}

/**
 * Adds a hybridized block's call to the pending program; returns its
 * outputs as pending arrays (or null when the call cannot be deferred).
 */
export function deferCall(block: TraceableBlock, inputs: NDArray[], training: boolean, recording: boolean): { outputs: NDArray[]; list: boolean } | null {
  const r = block._outputTypes(inputs.map((x) => ({ dtype: x.dtype, shape: x.shape })), training);
  if (!r) return null;
  const types = r.types;
  if (pending && (pending.done || pending.backward)) pending.force();
  const program = (pending ??= new Program());
  const refs = inputs.map((x) => program.ref(x));
  const outputs: NDArray[] = types.map((t) => new NDArray(null, { dtype: t.dtype, shape: t.shape, force: () => program.force(), program } as never));
  program.calls.push({ block, inputs: refs, outputs, training, recording, list: r.list });
  return { outputs, list: r.list };
}

/** `backward` on a pending array: the program will compute gradients. Returns false when `head` is not pending. */
export function deferBackward(head: NDArray, headGrad: NDArray | undefined): boolean {
  const program = programOf(head);
  if (!program || program.done || program.backward) return false;
  if (headGrad && headGrad.shape.join() !== head.shape.join()) {
    throw new Error(`backward: head gradient of shape [${headGrad.shape}] for a head of shape [${head.shape}]`);
  }
  program.backward = { head: program.ref(head), headGrad: headGrad ?? null };
  return true;
}

/**
 * `trainer.step` with a pending program whose gradients cover the trainer's
 * parameters: runs forward, gradients and update as one session. Returns
 * false when it cannot (the caller then updates eagerly).
 */
export function fusedStep(trainer: FusableTrainer, batchSize: number): boolean {
  const program = pending;
  if (!program || program.done || !program.backward) return false;
  // Every parameter the trainer updates must get its gradient from this program.
  const used = program.usedParams();
  if (!trainer.trainable().every(([, p]) => used.has(p) && p.differentiable)) return false;
  program.execute(trainer, batchSize);
  return true;
}

