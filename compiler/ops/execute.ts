/**
 * Running one operator on host tensors, now and synchronously: the eager
 * path of `nd` and constant folding while tracing. Small tensors go to the
 * operator's TypeScript kernel when it has one (measured faster below a few
 * thousand elements); everything else runs a one-node ONNX graph whose
 * session is cached per (operator, attributes, dtypes, rank) and run through
 * the native binding with one intra-op thread.
 * Invariant: both paths take the type rule's output types.
 */
import { count } from '../../runtime/profiler.js';
import { Session } from '../../runtime/session.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import { Graph } from '../ir/graph.js';
import { Node, type Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { emitModel } from '../onnx/emit.js';
import type { OpDef } from './define.js';
import { OpError } from './errors.js';
import { inferOp } from './infer.js';

/** Inputs up to this many elements run on the TypeScript kernel when the operator has one. */
export const KERNEL_MAX_ELEMENTS = 2048;

let kernelMax = KERNEL_MAX_ELEMENTS;

/** Sets the kernel/session crossover (tests force one path with 0 or Infinity); returns the old value. */
export function setKernelThreshold(n: number): number {
  const old = kernelMax;
  kernelMax = n;
  return old;
}

/**
 * Inputs holding this many elements in all run on a session with
 * onnxruntime's own thread count (a 512×512 matmul gains about 1.7× on two
 * cores); smaller ones on one thread, which wins for them.
 */
export const THREADED_MIN_ELEMENTS = 1 << 18;

/** Sessions kept for eager operators before the least recently used is released. */
export const EAGER_CACHE_SIZE = 512;

interface Cached {
  session: Session;
  names: string[];
}

const cache = new Map<string, Cached>();

/**
 * Runs `def` on host tensors.
 *
 * ```ts
 * const [y] = executeOp(getOp('add'), [a, b], {});
 * ```
 */
export function executeOp(def: OpDef, inputs: HostTensor[], attrs: Attrs, prepared?: { attrs: Attrs; outTypes: TensorType[] }): HostTensor[] {
  const types = inputs.map((t) => ({ dtype: t.dtype, shape: t.shape }));
  const { attrs: a, outTypes } = prepared ?? inferOp(def, types, attrs);
  count('eagerOps');
  // Random operators always draw from the seeded stream through their kernel, so `random.seed` repeats them.
  if (def.kernel && (def.random || useKernel(inputs, outTypes))) {
    count('kernelOps');
    return def.kernel(inputs, a as never, outTypes);
  }
  return runOneNode(def, inputs, types, a);
}

function useKernel(inputs: HostTensor[], outTypes: TensorType[]): boolean {
  let n = 0;
  for (const t of inputs) n = Math.max(n, t.data.length);
  for (const t of outTypes) n = Math.max(n, sizeOf(t.shape as number[]));
  return n <= kernelMax;
}

const needsShape = new Set<string>();

function runOneNode(def: OpDef, inputs: HostTensor[], types: TensorType[], attrs: Attrs): HostTensor[] {
  let total = 0;
  for (const t of inputs) total += t.data.length;
  const threaded = total >= THREADED_MIN_ELEMENTS;
  const base = `${def.name}|${JSON.stringify(attrs)}|${types.map((t) => t.dtype).join(',')}|${threaded ? 'mt' : '1t'}`;
  const rankKey = `${base}|${types.map((t) => t.shape.length).join(',')}`;
  const byShape = def.lowerNeedsShape || needsShape.has(rankKey);
  let key = byShape ? `${base}|${types.map((t) => t.shape.join('x')).join(',')}` : rankKey;
  let entry = cache.get(key);
  if (entry) {
    cache.delete(key);
    cache.set(key, entry);
  } else {
    const built = buildOneNode(def, types, attrs, !byShape, threaded);
    if (!built.generic && !byShape) {
      needsShape.add(rankKey);
      key = `${base}|${types.map((t) => t.shape.join('x')).join(',')}`;
    }
    entry = built;
    cache.set(key, entry);
    if (cache.size > EAGER_CACHE_SIZE) {
      const [oldKey, old] = cache.entries().next().value as [string, Cached];
      cache.delete(oldKey);
      old.session.close();
    }
  }
  const feeds: Record<string, HostTensor> = {};
  inputs.forEach((t, i) => (feeds[`in${i}`] = t));
  let out: Record<string, HostTensor>;
  try {
    out = entry.session.runSync(feeds);
  } catch (e) {
    throw new OpError(def.name, `onnxruntime failed: ${String((e as Error).message).split('\n')[0]}`, types);
  }
  return entry.names.map((n) => out[n]!);
}

function buildOneNode(def: OpDef, types: TensorType[], attrs: Attrs, tryGeneric: boolean, threaded: boolean): Cached & { generic: boolean } {
  let inTypes = types;
  let outTypes: TensorType[] | undefined;
  let generic = false;
  if (tryGeneric) {
    const sym = types.map((t, i) => ({ dtype: t.dtype, shape: t.shape.map((_d, j): Dim => `d${i}_${j}`) }));
    try {
      outTypes = def.infer(sym, attrs);
      inTypes = sym;
      generic = true;
    } catch {
      // The type rule needs concrete dimensions: this operator is keyed by shape.
    }
  }
  outTypes ??= def.infer(types, attrs);
  const ins = inTypes.map((t, i) => Value.input(`in${i}`, t));
  const node = Node.create(def.name, ins, attrs, outTypes);
  const names = node.outputs.map((_v, i) => `out${i}`);
  const g = Graph.fromOutputs(ins, node.outputs.map((value, i) => ({ name: names[i]!, value })));
  const bytes = emitModel(g, { outputShapes: false });
  count('compiles');
  const session = Session.create(bytes, threaded ? { threads: 0, spinning: false } : { threads: 1 });
  return { session, names, generic };
}

/** Releases every cached eager session (tests and shutdown). */
export function clearEagerCache(): void {
  for (const e of cache.values()) e.session.close();
  cache.clear();
}
