/**
 * The session path of eager execution (`executeOp`, compiler/ops/execute.ts):
 * one operator as a one-node ONNX graph whose session is cached per
 * (operator, attributes, dtypes, rank) — per shape where the lowering needs
 * concrete shapes — and run through the native binding with one intra-op
 * thread (onnxruntime's own count for large inputs). It sits above the ONNX
 * layer it emits with; the package entry points register it with
 * `setSessionExecutor(runOneNode)`.
 * Invariant: the outputs take the type rule's output types (the one-node
 * graph is built from them).
 */
import { count } from '../../runtime/profiler.js';
import { nodeFailure } from '../../runtime/run-error.js';
import { Session } from '../../runtime/session.js';
import { SessionCache } from '../../runtime/session-cache.js';
import type { HostTensor } from '../../runtime/tensor.js';
import { Graph } from '../ir/graph.js';
import { Node, type Attrs } from '../ir/node.js';
import type { Dim, TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { emitModel } from '../onnx/emit.js';
import type { OpDef } from '../ops/define.js';
import { OpError } from '../ops/errors.js';

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

const cache = new SessionCache<Cached>({ size: EAGER_CACHE_SIZE, release: (e) => e.session.close() });

const needsShape = new Set<string>();
/** No model bytes for `nodeFailure`: a one-node session's node has no gluonc record to read. */
const NO_MODEL = new Uint8Array(0);

/**
 * Runs `def` (attributes normalized) on host tensors as a cached one-node session.
 *
 * ```ts
 * setSessionExecutor(runOneNode);
 * ```
 */
export function runOneNode(def: OpDef, inputs: HostTensor[], types: TensorType[], attrs: Attrs): HostTensor[] {
  let total = 0;
  for (const t of inputs) total += t.data.length;
  const threaded = total >= THREADED_MIN_ELEMENTS;
  const base = `${def.name}|${JSON.stringify(attrs)}|${types.map((t) => t.dtype).join(',')}|${threaded ? 'mt' : '1t'}`;
  const rankKey = `${base}|${types.map((t) => t.shape.length).join(',')}`;
  const byShape = def.lowerNeedsShape || needsShape.has(rankKey);
  const key = byShape ? shapeKey(base, types) : rankKey;
  let entry = cache.lookup(key);
  if (!entry) {
    const built = buildOneNode(def, types, attrs, !byShape, threaded);
    let at = key;
    if (!built.generic && !byShape) {
      needsShape.add(rankKey);
      at = shapeKey(base, types);
    }
    entry = built;
    cache.set(at, entry);
  }
  const feeds: Record<string, HostTensor> = {};
  inputs.forEach((t, i) => (feeds[`in${i}`] = t));
  let out: Record<string, HostTensor>;
  try {
    out = entry.session.runSync(feeds);
  } catch (e) {
    // onnxruntime's reason without its status wording, C++ location and the one-node session's own node name.
    const f = nodeFailure(e, NO_MODEL);
    throw new OpError(def.name, f ? `onnxruntime failed running it (its ONNX ${f.opType}): ${f.reason}` : `onnxruntime failed: ${String((e as Error).message).split('\n')[0]}`, types);
  }
  return entry.names.map((n) => out[n]!);
}

/** The cache key of a session built for these concrete shapes. */
function shapeKey(base: string, types: TensorType[]): string {
  return `${base}|${types.map((t) => t.shape.join('x')).join(',')}`;
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
  let session: Session;
  try {
    session = Session.create(bytes, threaded ? { threads: 0, spinning: false } : { threads: 1 });
  } catch (e) {
    // onnxruntime refusing the node (a dtype its CPU kernels lack) names only its own operator.
    throw new OpError(def.name, `onnxruntime cannot run it for these dtypes: ${String((e as Error).message).split('\n')[0]}`, types);
  }
  return { session, names, generic };
}

/** Releases every cached eager session (tests and shutdown). Example: `clearEagerCache()`. */
export function clearEagerCache(): void {
  cache.clear();
}
