/**
 * The Trainer's eager update of every parameter as one compiled graph. Run
 * eagerly, `optimizer.update(nd, ...)` is a few full-size operators per
 * parameter (SGD with momentum: four), each a session run or a kernel. Here
 * the same rule runs once per parameter with F = sym, all parameters in ONE
 * graph — weights, gradients, states and the per-parameter scalars (lr, wd,
 * t, rescale: 0-d inputs, so a schedule does not recompile) in, new weights
 * and states out — compiled and cached by what shapes the graph: the
 * optimizer (object, name, `hyper`, whether wd is 0), and each parameter's
 * dtype, shape and states. Compiled from a structure's second sighting
 * (eager-compile.ts); the fused training step (program.ts) is the path of
 * hybridized blocks, this is the eager one.
 * It declines (the Trainer updates eagerly) when the rule does not build with
 * F = sym or returns something other than a weight and states of the
 * parameter's type (the eager update then reports what is wrong).
 * Invariant: each parameter's update reads only its own inputs, so the result
 * equals the eager per-parameter update up to float rounding.
 */
import type { DType } from '../../runtime/dtypes.js';
import { SessionCache } from '../../runtime/session-cache.js';
import { scalarTensor, type HostTensor } from '../../runtime/tensor.js';
import { applyIncrementalUpdate, updateScalarDType, type UpdateRule } from '../autodiff/step.js';
import type { Runner } from '../compile.js';
import { Graph } from '../ir/graph.js';
import type { Value } from '../ir/value.js';
import { Symbol } from '../trace/symbol.js';
import { symOps, variable } from '../trace/sym.js';
import { eagerCompileAfter, Sightings } from './eager-compile.js';
import { NDArray } from './ndarray.js';
import { incrementArray, previousWeight } from './step-feeds.js';
import { compileThreaded, fillForward, PendingBackward, readInputs } from './tape-graph.js';

/** A parameter as the update reads it. */
export interface UpdatedParam {
  readonly dtype: DType;
  data(): NDArray;
}

/** What the compiled update needs of a trainer (the Trainer). */
export interface UpdatingTrainer<P extends UpdatedParam> {
  readonly optimizer: UpdateRule & { readonly name: string; readonly hyper: Record<string, number | boolean | string>; readonly wd?: number };
  nextScalars(p: P, batchSize: number): { lr: number; wd: number; t: number; rescale: number };
  stateOf(p: P): NDArray[];
  commitUpdate(p: P, weight: NDArray, states: NDArray[]): void;
}

interface Compiled {
  run: Runner;
  /** Releases the sessions (the thread probe may hold two). */
  close: () => void;
  /** Scalar feeds: name, parameter index, kind (0 lr, 1 wd, 2 t, 3 rescale). */
  scalars: [string, number, number][];
  /** Inputs of the fused backward, fed from what it captured (`a<i>`, `head_grad`). */
  backwardFeeds: string[];
  /** The fused backward's pending forward arrays the graph outputs (`f<i>`). */
  forward: number[];
  /** Per parameter, its increment state (fed as the previous weight `prev<i>`, step-feeds.ts), or -1. */
  increments: number[];
}

/** Compiled updates kept before the least recently used is released. */
export const UPDATE_CACHE_SIZE = 8;

const cache = new SessionCache<Compiled>({ size: UPDATE_CACHE_SIZE, release: (c) => c.close(), hitCounter: 'cacheHits' });
const sightings = new Sightings();
const ids = new WeakMap<object, number>();
let nextId = 0;
const KINDS = ['lr', 'wd', 't', 'rescale'] as const;

/** Releases every compiled update (tests). Example: `clearUpdateCache()`. */
export function clearUpdateCache(): void {
  cache.clear();
  sightings.clear();
}

/**
 * Updates `todo` (parameters with their gradients) with one compiled graph
 * and commits the results; false when it does not (yet, or cannot): the
 * caller then updates eagerly. Runs nothing when it returns false. When the
 * gradients are all pending from one compiled backward (tape-graph.ts), the
 * graph is that backward and the update together: the gradients are computed
 * inside it and never output (they stay pending, computed if read).
 *
 * ```ts
 * if (!compiledUpdate(this, todo, batchSize)) for (const [p, g] of todo) this.updateOne(p, g);
 * ```
 */
export function compiledUpdate<P extends UpdatedParam>(trainer: UpdatingTrainer<P>, todo: [P, NDArray][], batchSize: number): boolean {
  if (eagerCompileAfter() === Infinity || todo.length === 0) return false;
  // The eager update counts parameter by parameter and a schedule reads the running count: equal counts keep them equal.
  const scalars = todo.map(([p]) => trainer.nextScalars(p, batchSize));
  if (!scalars.every((s) => s.t === scalars[0]!.t)) return false;
  const o = trainer.optimizer;
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  let key = `${id}|${o.name}|${JSON.stringify(o.hyper)}|wd${o.wd === 0 ? 0 : 1}|`;
  const states = todo.map(([p]) => trainer.stateOf(p));
  todo.forEach(([p, g], i) => {
    const w = p.data();
    key += `${w.dtype}${w.shape.join('x')}/${g.dtype}${g.shape.join('x')}/`;
    for (const s of states[i]!) key += `${s.dtype}${s.shape.join('x')},`;
    key += ';';
  });
  const fused = withBackward(todo);
  if (fused) {
    // The backward's structure, which gradient each parameter takes, and which of its arrays each weight is.
    key += `||${fused.pb.prepared.key}|${fused.grads.join(',')}|${fused.weights.join(',')}`;
  }
  let c = cache.lookup(key);
  if (!c) {
    // A fused backward + update compiles at once: its backward was seen often enough to be compiled.
    if (!fused && !sightings.due(key)) return false;
    try {
      c = build(trainer, todo, states, fused);
    } catch {
      sightings.decline(key);
      return false;
    }
    cache.set(key, c);
  }
  const feeds: Record<string, HostTensor> = {};
  const weights = todo.map(([p]) => p.data()._host);
  todo.forEach(([, g], i) => {
    if (!fused) feeds[`g${i}`] = g._host;
    feeds[`w${i}`] = weights[i]!;
    const inc = c.increments[i]!;
    states[i]!.forEach((s, k) => (feeds[k === inc ? `prev${i}` : `s${i}_${k}`] = k === inc ? previousWeight(s, weights[i]!) : s._host));
  });
  for (const name of c.backwardFeeds) feeds[name] = fused!.pb.prepared.feedOf(name)!;
  for (const [name, i, kind] of c.scalars) {
    const sc = scalars[i]!;
    feeds[name] = scalarTensor(kind === 0 ? sc.lr : kind === 1 ? sc.wd : kind === 2 ? sc.t : sc.rescale, updateScalarDType(todo[i]![0].dtype));
  }
  const res = c.run(feeds);
  if (fused) fillForward(fused.pb.prepared.arrays, c.forward, res);
  todo.forEach(([p], i) => {
    const nw = res[`nw${i}`]!;
    trainer.commitUpdate(p, new NDArray(nw), states[i]!.map((_s, k) => (k === c.increments[i] ? incrementArray(weights[i]!, nw) : new NDArray(res[`ns${i}_${k}`]!))));
  });
  return true;
}

interface Fused {
  pb: PendingBackward;
  /** The backward's array index of each parameter's gradient. */
  grads: number[];
  /** The backward's array index of each parameter's weight (-1: not one of its arrays). */
  weights: number[];
}

/** The pending backward every gradient of `todo` comes from, if there is one. */
function withBackward(todo: [UpdatedParam, NDArray][]): Fused | null {
  const owner = todo[0]![1]._lazy?.owner;
  if (!(owner instanceof PendingBackward)) return null;
  const grads: number[] = [];
  for (const [, g] of todo) {
    const i = g._lazy?.owner === owner ? owner.indexOf(g) : undefined;
    if (i === undefined) return null;
    grads.push(i);
  }
  const weights = todo.map(([p]) => owner.prepared.arrays.indexOf(p.data()));
  return { pb: owner, grads, weights };
}

function build<P extends UpdatedParam>(trainer: UpdatingTrainer<P>, todo: [P, NDArray][], states: NDArray[][], fused: Fused | null): Compiled {
  const inputs: Value[] = [];
  const outputs: { name: string; value: Value }[] = [];
  const scalarVars: { v: Symbol; name: string; i: number; kind: number }[] = [];
  const input = (name: string, t: { dtype: DType; shape: number[] }): Symbol => {
    const s = variable(name, { dtype: t.dtype, shape: t.shape });
    inputs.push(s.value);
    return s;
  };
  const increments: number[] = [];
  const back = fused?.pb.prepared.symbols();
  const backInputs = back?.inputs.map((b) => b.value) ?? [];
  const backByName = new Map(back?.inputs.map((b) => [b.name, b.value]));
  todo.forEach(([p, g], i) => {
    const w = p.data();
    const wk = fused?.weights[i] ?? -1;
    // A weight the backward reads is the same array: one input.
    const shared = wk >= 0 ? backByName.get(`a${wk}`) : undefined;
    const weight = shared ? new Symbol(shared) : input(`w${i}`, w);
    const grad = fused ? new Symbol(back!.grads.get(fused.grads[i]!)!) : input(`g${i}`, g);
    const st = states[i]!.map((s, k) => input(`s${i}_${k}`, s));
    const [lr, wd, t, rescale] = KINDS.map((kind, k) => {
      const v = variable(`${kind}${i}`, { dtype: updateScalarDType(p.dtype), shape: [] });
      scalarVars.push({ v, name: `${kind}${i}`, i, kind: k });
      return v;
    }) as [Symbol, Symbol, Symbol, Symbol];
    // An increment state (SGD momentum) is fed as the previous weight: its input and output go.
    const r = applyIncrementalUpdate(trainer.optimizer, { weight, grad, states: st, lr, wd, t, rescale }, (k) => {
      inputs.splice(inputs.indexOf(st[k]!.value), 1);
      return input(`prev${i}`, w);
    });
    increments.push(r.increment);
    const same = (x: unknown, like: NDArray): x is Symbol => x instanceof Symbol && x.dtype === like.dtype && x.shape.join() === like.shape.join();
    if (!same(r.weight, w) || r.states.length !== st.length || !r.states.every((s, k) => same(s, states[i]![k]!))) {
      throw new Error('the update rule did not return a weight and states of the parameter\'s type');
    }
    outputs.push({ name: `nw${i}`, value: r.weight.value });
    r.states.forEach((s, k) => k !== r.increment && outputs.push({ name: `ns${i}_${k}`, value: (s as Symbol).value }));
  });
  // The pending forward values the backward computes on the way are outputs too (they fill the arrays).
  for (const f of back?.forward ?? []) outputs.push({ name: `f${f.index}`, value: f.value });
  // Only what the outputs read becomes an input (SGD reads neither t nor, without decay, wd).
  const all = [...backInputs, ...inputs, ...scalarVars.map((s) => s.v.value)];
  const kept = new Set(readInputs(all, outputs));
  const keptInputs = all.filter((v) => kept.has(v) || inputs.includes(v));
  const graph = Graph.fromOutputs(keptInputs, outputs);
  const { run, close } = compileThreaded(graph, { paramsAsInputs: true });
  return {
    run,
    close,
    scalars: scalarVars.filter((s) => kept.has(s.v.value)).map((s) => [s.name, s.i, s.kind]),
    backwardFeeds: backInputs.filter((v) => kept.has(v)).map((v) => v.name),
    forward: back?.forward.map((f) => f.index) ?? [],
    increments,
  };
}
