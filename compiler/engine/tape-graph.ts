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
 * kernel did, and the seed changes every step), or rules that do not build
 * with F = sym (remembered per key).
 * Invariant: the gradients equal the eager tape's up to float rounding: the
 * same rules over the same values, summed in the same order.
 */
import { SessionCache } from '../../runtime/session-cache.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { compileGraph, type Runner } from '../compile.js';
import { Graph } from '../ir/graph.js';
import type { Attrs } from '../ir/node.js';
import { Value } from '../ir/value.js';
import type { GradCtx, OpDef } from '../ops/define.js';
import { getContext } from '../ops/context.js';
import { Symbol } from '../trace/symbol.js';
import { symOps, variable } from '../trace/sym.js';
import { eagerCompileAfter, Sightings } from './eager-compile.js';
import type { NDArray } from './ndarray.js';

/** An eager operator call as the tape recorded it. */
export interface RecordedOp {
  readonly def: OpDef;
  /** Normalized attributes. */
  readonly attrs: Attrs;
  /** `def.name` and the attributes as text (part of the cache key; computed once per call). */
  readonly key: string;
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
  /** Array indices fed, by feed name `a<i>`. */
  feeds: number[];
  headGrad: boolean;
  /** Array indices whose gradient is output `g<i>`. */
  outputs: number[];
}

/** Compiled backward graphs kept before the least recently used is released. */
export const TAPE_CACHE_SIZE = 32;

const cache = new SessionCache<Compiled>({ size: TAPE_CACHE_SIZE, release: (c) => c.run.session.close(), hitCounter: 'cacheHits' });
const sightings = new Sightings();

/** Operators whose kernels pay for onnxruntime's thread pool (as the fused step's policy). */
const THREADED_OPS = new Set(['Convolution', 'Deconvolution', 'poolingGrad']);

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
 * The gradients of the stored arrays of `plan` from one compiled graph, or
 * null when the tape is not compiled (yet, or cannot be).
 *
 * ```ts
 * const grads = compiledBackward(plan, (h) => new NDArray(h)) ?? backprop(...);
 * ```
 */
export function compiledBackward(plan: BackwardPlan, wrap: (h: HostTensor) => NDArray): Map<NDArray, NDArray> | null {
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
    if (!op || (op.def.random && typeof (op.attrs as { seed?: unknown }).seed === 'number')) return null;
    key += `${op.key}(`;
    for (const x of e.inputs) key += `${id(x)},`;
    key += ')';
    for (const o of e.outputs) key += `${id(o)},`;
    key += ';';
  }
  key += `|${id(plan.head)}${plan.headGrad ? 'g' : '1'}|`;
  for (const a of arrays) key += `${a.dtype}${a.shape.join('x')}${plan.flows(a) ? 'f' : ''}${plan.stored(a) ? 's' : ''};`;
  let c = cache.lookup(key);
  if (!c) {
    if (!sightings.due(key)) return null;
    try {
      c = build(plan, arrays, index);
    } catch {
      // The eager tape runs these rules instead (and reports any error they raise).
      sightings.decline(key);
      return null;
    }
    cache.set(key, c);
  }
  const feeds: Record<string, HostTensor> = {};
  for (const i of c.feeds) feeds[`a${i}`] = arrays[i]!._host;
  if (c.headGrad) feeds['head_grad'] = plan.headGrad!._host;
  const res = c.run(feeds);
  const grads = new Map<NDArray, NDArray>();
  for (const i of c.outputs) grads.set(arrays[i]!, wrap(res[`g${i}`]!));
  return grads;
}

/** Builds and compiles the gradient graph of `plan` (its arrays numbered as in the key). */
function build(plan: BackwardPlan, arrays: NDArray[], index: Map<NDArray, number>): Compiled {
  const vars = arrays.map((a, i) => variable(`a${i}`, { dtype: a.dtype, shape: a.shape }));
  const grads = new Map<number, Symbol>();
  const accumulate = (i: number, g: Symbol): void => {
    const old = grads.get(i);
    grads.set(i, old ? (symOps.add(old, g) as Symbol) : g);
  };
  const h = index.get(plan.head)!;
  const headGradVar = plan.headGrad ? variable('head_grad', { dtype: plan.headGrad.dtype, shape: plan.headGrad.shape }) : null;
  accumulate(h, headGradVar ?? (symOps.onesLike(vars[h]!) as Symbol));
  const sym = (x: NDArray): Symbol => vars[index.get(x)!]!;
  for (const e of plan.entries) {
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
    const gIns = def.grad(symOps, ctx, gOuts) as (Symbol | null)[];
    e.inputs.forEach((x, k) => {
      const g = gIns[k];
      if (!g || !plan.flows(x)) return;
      if (g.shape.join() !== x.shape.join()) throw new Error(`${def.name}: gradient of shape [${g.shape}] for an input of shape [${x.shape}]`);
      accumulate(index.get(x)!, g);
    });
  }
  const outputs: number[] = [];
  const graphOuts: { name: string; value: Value }[] = [];
  arrays.forEach((a, i) => {
    const g = grads.get(i);
    if (!g || !plan.stored(a)) return;
    outputs.push(i);
    graphOuts.push({ name: `g${i}`, value: g.value });
  });
  const candidates = headGradVar ? [...vars, headGradVar] : vars;
  const reached = new Set<Value>(Graph.fromOutputs(candidates.map((v) => v.value), graphOuts).nodes.flatMap((n) => n.inputs));
  const kept = candidates.filter((v) => reached.has(v.value));
  const graph = Graph.fromOutputs(kept.map((v) => v.value), graphOuts);
  const threaded = graph.nodes.some((n) => THREADED_OPS.has(n.op));
  const run = compileGraph(graph, {}, threaded ? { threads: 0, spinning: false } : { threads: 1 });
  return {
    run,
    feeds: kept.filter((v) => v !== headGradVar).map((v) => vars.indexOf(v)),
    headGrad: headGradVar !== null && kept.includes(headGradVar),
    outputs,
  };
}
