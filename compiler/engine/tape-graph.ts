/**
 * The compiled backward of an eager tape. `backward()` on a recorded eager
 * computation walks the tape entries reachable from the head; run one by one,
 * each entry's gradient rule is several eager operators (a session run or a
 * kernel each, gradients of inputs nobody asked for included). Here the same
 * rules run once with F = sym over the recorded entries, building ONE
 * gradient graph — the forward values the rules read are its inputs, the
 * gradients of the arrays `backward` stores are its outputs (so what no
 * stored gradient needs is pruned) — compiled and cached by the tape's
 * structure: the operators and their normalized attributes, how entries
 * connect, every array's dtype and shape, which arrays carry gradients, which
 * receive them, and whether a head gradient is given. A training loop records
 * the same structure every step, so from its second sighting
 * (`setEagerCompileAfter`, eager-compile.ts) each `backward()` is one session run.
 *
 * It declines (returns null: the caller backpropagates eagerly) for a tape it
 * cannot express: an entry without an operator (a hybridized block's compiled
 * backward), an operator drawing random numbers with a seed (Dropout in
 * training: the compiled graph would draw other numbers than the eager
 * kernel did, and the seed changes every step), a host-only operator
 * (imageDecoder: no graph form), or rules
 * that do not build with F = sym (remembered per key).
 * Invariant: the gradients equal the eager tape's up to float rounding: the
 * same rules over the same values, summed in the same order.
 */
import { SessionCache } from '../../runtime/session-cache.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { compileGraph, type CompileOptions, type Runner } from '../compile.js';
import { Graph } from '../ir/graph.js';
import { Node, type Attrs } from '../ir/node.js';
import { Value } from '../ir/value.js';
import type { GradCtx, OpDef } from '../ops/define.js';
import { getContext, withContext } from '../ops/context.js';
import { Symbol } from '../trace/symbol.js';
import { symOps, variable } from '../trace/sym.js';
import { eagerCompileAfter, Sightings } from './eager-compile.js';
import { pendingOp } from './lazy-op.js';
import { stepThreadCount, threadedRunner } from './step-threads.js';
import type { NDArray } from './ndarray.js';

/** An eager operator call as the tape recorded it. */
export interface RecordedOp {
  readonly def: OpDef;
  /** Normalized attributes. */
  readonly attrs: Attrs;
  /** `def.name` and the attributes as text (part of the cache key; computed once per call). */
  readonly key: string;
  /** The scopes the call was made in: an imported ONNX node's (SymbolBlock's replay) names the nodes built for it. */
  readonly scopes?: readonly string[];
}

/** One tape entry as this module reads it (an entry without `op` makes it decline). */
export interface PlanEntry {
  readonly inputs: NDArray[];
  readonly outputs: NDArray[];
  readonly op?: RecordedOp;
}

/** What `backward` asks for: entries in backward order, the head and what flows where. */
export interface BackwardPlan {
  /** The entries reachable from the head, latest first. */
  entries: PlanEntry[];
  head: NDArray;
  headGrad: NDArray | undefined;
  /** True for arrays gradients flow into (float arrays that require a gradient). */
  flows(x: NDArray): boolean;
  /** True for arrays whose gradient `backward` stores (leaves and parameters with a buffer). */
  stored(x: NDArray): boolean;
}

interface Compiled {
  run: Runner;
  /** Releases the sessions (the thread probe may hold two). */
  close: () => void;
  /** Array indices fed, by feed name `a<i>`. */
  feeds: number[];
  headGrad: boolean;
  /** Array indices whose gradient is output `g<i>`. */
  outputs: number[];
  /** Indices of pending forward arrays the graph computes and outputs (`f<i>`). */
  forward: number[];
}

/** Compiled backward graphs kept before the least recently used is released. */
export const TAPE_CACHE_SIZE = 32;

const cache = new SessionCache<Compiled>({ size: TAPE_CACHE_SIZE, release: (c) => c.close(), hitCounter: 'cacheHits' });
const sightings = new Sightings();

/** Operators whose kernels pay for onnxruntime's thread pool (as the fused step's policy). */

/** Releases every compiled backward graph and forgets what was seen. Example: `clearTapeCache()`. */
export function clearTapeCache(): void {
  cache.clear();
  sightings.clear();
}

/** The number of compiled backward graphs held (tests). Example: `tapeCacheSize()`. */
export function tapeCacheSize(): number {
  return cache.size;
}

/**
 * A backward ready to run: its compiled graph and feeds (captured when
 * prepared: arrays are never mutated, so running it later gives the same
 * gradients), the arrays numbered as in its key.
 */
export interface PreparedBackward {
  /** The structure's cache key. */
  readonly key: string;
  /** The arrays of the tape, numbered as in the key. */
  readonly arrays: readonly NDArray[];
  /** Indices of the arrays whose gradient the graph computes (stored arrays a gradient reaches). */
  readonly outputs: readonly number[];
  /** Runs the compiled backward: the gradients by array index. */
  run(): Map<number, HostTensor>;
  /** What input `name` of `symbols()` is fed (`a<i>`, `head_grad`), as captured when prepared. */
  feedOf(name: string): HostTensor | undefined;
  /**
   * The backward as symbols again, to compose into a larger graph: its inputs
   * (fed by `feedOf(name)`), the gradients by array index, and the pending
   * forward arrays it computes (their values to output; `fillForward` stores them).
   */
  symbols(): { inputs: { value: Value; name: string }[]; grads: Map<number, Value>; forward: { index: number; value: Value }[] };
}

interface Snapshot {
  entries: PlanEntry[];
  arrays: NDArray[];
  index: Map<NDArray, number>;
  flows: boolean[];
  stored: boolean[];
  /** Arrays pending on a deferred operator of the tape: computed inside the graph, not fed. */
  pending: boolean[];
  head: number;
  headGrad: NDArray | undefined;
}

/**
 * The compiled backward of `plan`, ready to run, or null when the tape is not
 * compiled (not seen often enough yet, or it cannot be).
 *
 * ```ts
 * const p = prepareBackward(plan);
 * const grads = p?.run();
 * ```
 */
export function prepareBackward(plan: BackwardPlan): PreparedBackward | null {
  if (eagerCompileAfter() === Infinity) return null;
  const index = new Map<NDArray, number>();
  const arrays: NDArray[] = [];
  const id = (a: NDArray): number => {
    let i = index.get(a);
    if (i === undefined) {
      i = arrays.push(a) - 1;
      index.set(a, i);
    }
    return i;
  };
  let key = getContext().training ? 'T' : 'P';
  for (const e of plan.entries) {
    const op = e.op;
    if (!op || op.def.hostOnly || (op.def.random && typeof (op.attrs as { seed?: unknown }).seed === 'number')) return null;
    key += `${op.key}(`;
    for (const x of e.inputs) key += `${id(x)},`;
    key += ')';
    for (const o of e.outputs) key += `${id(o)},`;
    key += ';';
  }
  const head = id(plan.head);
  key += `|${head}${plan.headGrad ? 'g' : '1'}|`;
  const flows: boolean[] = [];
  const stored: boolean[] = [];
  const pending: boolean[] = arrays.map(() => false);
  // A pending array is computed in the graph when its deferred operator is an entry of this tape.
  for (const e of plan.entries) {
    const op = pendingOp(e.outputs[0]!);
    if (op && op.outputs.every((o, k) => o === e.outputs[k])) for (const o of e.outputs) pending[index.get(o)!] = o._pending;
  }
  arrays.forEach((a, i) => {
    const f = plan.flows(a);
    const st = plan.stored(a);
    flows.push(f);
    stored.push(st);
    key += `${a.dtype}${a.shape.join('x')}${f ? 'f' : ''}${st ? 's' : ''}${pending[i] ? 'p' : ''};`;
  });
  const snap: Snapshot = { entries: plan.entries, arrays, index, flows, stored, pending, head, headGrad: plan.headGrad };
  let c = cache.lookup(key);
  if (!c) {
    if (!sightings.due(key)) return null;
    try {
      c = build(snap);
    } catch {
      // The eager tape runs these rules instead (and reports any error they raise).
      sightings.decline(key);
      return null;
    }
    cache.set(key, c);
  }
  const compiled = c;
  const feeds: Record<string, HostTensor> = {};
  for (const i of compiled.feeds) feeds[`a${i}`] = arrays[i]!._host;
  if (compiled.headGrad) feeds['head_grad'] = plan.headGrad!._host;
  // Pending arrays a graph input depends on were not entries of the tape: they ran above (`_host`).
  return {
    key,
    arrays,
    outputs: compiled.outputs,
    feedOf: (name) => (name === 'head_grad' ? plan.headGrad?._host : name.startsWith('a') ? arrays[Number(name.slice(1))]?._host : undefined),
    run: () => {
      const res = compiled.run(feeds);
      fillForward(arrays, compiled.forward, res);
      return new Map(compiled.outputs.map((i) => [i, res[`g${i}`]!]));
    },
    symbols: () => {
      const b = symbols(snap);
      const inputs: { value: Value; name: string }[] = [];
      b.vars.forEach((v, i) => {
        if (!pending[i]) inputs.push({ value: v.value, name: v.value.name });
      });
      if (b.headGradVar) inputs.push({ value: b.headGradVar.value, name: 'head_grad' });
      const forward = b.vars.flatMap((v, i) => (pending[i] ? [{ index: i, value: v.value }] : []));
      return { inputs, grads: new Map(b.outputs.map(([i, g]) => [i, g.value])), forward };
    },
  };
}

/**
 * Gradients a prepared backward computes when one of them is first read —
 * or never, when a compiled update (update-graph.ts) computes them inside
 * its own graph on the way to the new weights. The tape hands them to
 * parameters as pending arrays (`lazy` of TapeOps).
 *
 * ```ts
 * const pb = new PendingBackward(prepared);
 * p.setGrad(pb.pending(i, lazyArray));
 * ```
 */
export class PendingBackward {
  private ran = false;
  /** The pending gradient arrays by array index. */
  readonly grads = new Map<number, NDArray>();

  constructor(readonly prepared: PreparedBackward) {}

  /** Runs the backward once and fills every gradient still pending. */
  force(): void {
    if (this.ran) return;
    this.ran = true;
    const res = this.prepared.run();
    for (const [i, a] of this.grads) if (a._pending) a._host = res.get(i)!;
  }

  /** The array index whose pending gradient `g` is, if it is one of this backward's. */
  indexOf(g: NDArray): number | undefined {
    if (this.ran || !g._pending) return undefined;
    for (const [i, a] of this.grads) if (a === g) return i;
    return undefined;
  }
}

/**
 * The gradients of the stored arrays of `plan` from one compiled graph, or
 * null when the tape is not compiled (yet, or cannot be).
 *
 * ```ts
 * const grads = compiledBackward(plan, (h) => new NDArray(h)) ?? backprop(...);
 * ```
 */
export function compiledBackward(plan: BackwardPlan, wrap: (h: HostTensor) => NDArray): Map<NDArray, NDArray> | null {
  const p = prepareBackward(plan);
  if (!p) return null;
  const grads = new Map<NDArray, NDArray>();
  for (const [i, g] of p.run()) grads.set(p.arrays[i]!, wrap(g));
  return grads;
}

/** The gradient graph of a snapshot as symbols: one variable per array, the stored arrays' gradients. */
function symbols(snap: Snapshot): { vars: Symbol[]; headGradVar: Symbol | null; outputs: [number, Symbol][] } {
  const { arrays, index } = snap;
  const vars: Symbol[] = arrays.map((a, i) => (snap.pending[i] ? (null as unknown as Symbol) : variable(`a${i}`, { dtype: a.dtype, shape: a.shape })));
  // The pending forward, in recording order (entries are latest first): each deferred operator as its node.
  for (let k = snap.entries.length - 1; k >= 0; k--) {
    const e = snap.entries[k]!;
    if (!snap.pending[index.get(e.outputs[0]!)!]) continue;
    const node = Node.create(e.op!.def.name, e.inputs.map((x) => vars[index.get(x)!]!.value), e.op!.attrs, e.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape })), e.op!.scopes?.join('/') ?? '');
    e.outputs.forEach((o, j) => (vars[index.get(o)!] = new Symbol(node.outputs[j]!)));
  }
  const grads = new Map<number, Symbol>();
  const accumulate = (i: number, g: Symbol): void => {
    const old = grads.get(i);
    grads.set(i, old ? (symOps.add(old, g) as Symbol) : g);
  };
  const headGradVar = snap.headGrad ? variable('head_grad', { dtype: snap.headGrad.dtype, shape: snap.headGrad.shape }) : null;
  accumulate(snap.head, headGradVar ?? (symOps.onesLike(vars[snap.head]!) as Symbol));
  const sym = (x: NDArray): Symbol => vars[index.get(x)!]!;
  for (const e of snap.entries) {
    const gOuts = e.outputs.map((o) => grads.get(index.get(o)!) ?? null);
    if (gOuts.every((g) => g === null)) continue;
    const def = e.op!.def;
    if (typeof def.grad !== 'function') throw new Error(`${def.name}: no gradient rule`);
    const ctx: GradCtx = {
      inputs: e.inputs.map(sym),
      outputs: e.outputs.map(sym),
      attrs: e.op!.attrs,
      inTypes: e.inputs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
      outTypes: e.outputs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
      constant: (data) => new Symbol(Value.constant(data)),
    };
    // As reverse mode: the rule's nodes carry the call's scope and ` (gradient)`, so a failed run names the block and ONNX node.
    const scope = e.op!.scopes?.join('/') ?? '';
    const gIns = withContext({ scopes: scope ? [`${scope} (gradient)`] : [] }, () => def.grad!(symOps, ctx, gOuts)) as (Symbol | null)[];
    e.inputs.forEach((x, k) => {
      const g = gIns[k];
      const i = index.get(x)!;
      if (!g || !snap.flows[i]) return;
      if (g.shape.join() !== x.shape.join()) throw new Error(`${def.name}: gradient of shape [${g.shape}] for an input of shape [${x.shape}]`);
      accumulate(i, g);
    });
  }
  const outputs: [number, Symbol][] = [];
  grads.forEach((g, i) => {
    if (snap.stored[i]) outputs.push([i, g]);
  });
  outputs.sort((p, q) => p[0] - q[0]);
  return { vars, headGradVar, outputs };
}

/**
 * Stores a graph's outputs `f<i>` into the arrays still pending (read
 * meanwhile, an array ran its operator and keeps that value).
 *
 * ```ts
 * fillForward(arrays, [3, 5], res);
 * ```
 */
export function fillForward(arrays: readonly NDArray[], forward: readonly { index: number; name?: string }[] | readonly number[], res: Record<string, HostTensor>): void {
  for (const f of forward) {
    const i = typeof f === 'number' ? f : f.index;
    const a = arrays[i]!;
    if (!a._pending) continue;
    const op = pendingOp(a);
    a._host = res[`f${i}`]!;
    op?.settle();
  }
}

/** The inputs of `candidates` that the outputs read (the others are not fed). */
export function readInputs(candidates: Value[], outputs: { name: string; value: Value }[]): Value[] {
  const reached = new Set<Value>(Graph.fromOutputs(candidates, outputs).nodes.flatMap((n) => n.inputs));
  for (const o of outputs) reached.add(o.value);
  return candidates.filter((v) => reached.has(v));
}

/**
 * Compiles a step-like graph (an eager backward or update) under the fused
 * step's thread policy: a fixed `context.setStepThreads(n)` count as it is;
 * under 'auto' the same measuring probe as the fused step
 * (step-threads.ts: one thread, and several only where they measure faster).
 * `close` releases its sessions.
 *
 * ```ts
 * const { run, close } = compileThreaded(graph, { paramsAsInputs: true });
 * ```
 */
export function compileThreaded(graph: Graph, options: CompileOptions = {}): { run: Runner; close: () => void } {
  const setting = stepThreadCount();
  const single = compileGraph(graph, {}, { ...options, threads: setting === 'auto' ? 1 : setting, spinning: setting === 'auto' ? undefined : false });
  const { run, close } = threadedRunner(single, options.device ?? 'cpu', setting);
  return { run, close };
}

/** Builds and compiles the gradient graph of a snapshot. */
function build(snap: Snapshot): Compiled {
  const { vars, headGradVar, outputs } = symbols(snap);
  const graphOuts = outputs.map(([i, g]) => ({ name: `g${i}`, value: g.value }));
  const forward = snap.pending.flatMap((p, i) => (p ? [i] : []));
  for (const i of forward) graphOuts.push({ name: `f${i}`, value: vars[i]!.value });
  const fed = vars.filter((_v, i) => !snap.pending[i]);
  const candidates = headGradVar ? [...fed, headGradVar] : fed;
  const kept = new Set(readInputs(candidates.map((v) => v.value), graphOuts));
  const keptSyms = candidates.filter((v) => kept.has(v.value));
  const graph = Graph.fromOutputs(keptSyms.map((v) => v.value), graphOuts);
  const { run, close } = compileThreaded(graph);
  return {
    run,
    close,
    feeds: keptSyms.filter((v) => v !== headGradVar).map((v) => vars.indexOf(v)),
    headGrad: headGradVar !== null && kept.has(headGradVar.value),
    outputs: outputs.map(([i]) => i),
    forward,
  };
}
