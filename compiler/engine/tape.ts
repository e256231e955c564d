/**
 * The autograd tape. Inside `record` (the context's `recording`), every
 * eager operator whose inputs need gradients appends an entry (its inputs,
 * outputs, attributes); a hybridized block appends one entry whose backward
 * is its compiled gradient graph. `backward` walks the entries reachable
 * from the head in reverse creation order (a reverse topological order) and
 * evaluates each operator's gradient rule with F = nd. Parameters receive
 * their gradients according to `gradReq`.
 *
 * The tape owns what it knows of arrays — the entry that produced one, a
 * leaf's gradient buffer and requirement, the parameter an array holds — in
 * a map keyed by array; an NDArray itself holds only data or a pending
 * result. This module sits below ndarray.ts (it imports only its type), so
 * `NDArray.backward` calls it directly; ndarray.ts passes the eager
 * operators in (`TapeOps`).
 * Invariant: entries only reference arrays reachable from the head, so a
 * dropped graph is garbage (the map is weak).
 */
import { isFloat, type DType } from '../../runtime/dtypes.js';
import { tensorToNumbers, writeElement, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import { getContext, withContext } from '../ops/context.js';
import { namingOnnxNode } from '../ops/errors.js';
import type { GradCtx, OpDef } from '../ops/define.js';
import type { GradOps } from '../ops/grad-ops.js';
import type { NDArray } from './ndarray.js';
import { flushPendingOps } from './lazy-op.js';
import { PendingBackward, prepareBackward, type RecordedOp } from './tape-graph.js';
// Registers the gradient of an imported Loop's body (OnnxLoop's gradient rule needs it on the tape too).
import '../autodiff/loop-body.js';

/** One recorded operation: its inputs, outputs and how to map output gradients to input gradients. */
export interface TapeEntry {
  readonly id: number;
  readonly inputs: NDArray[];
  readonly outputs: NDArray[];
  /** The eager operator recorded (absent for a hybridized block's entry): what the compiled backward reads. */
  readonly op?: RecordedOp;
  backward(gradOutputs: (NDArray | null)[]): (NDArray | null)[];
  /** Set once a backward without `retainGraph` has used the entry (MXNet clears the graph then). */
  freed?: boolean;
}

/** MXNet's refusal to differentiate a cleared graph again (Imperative::Backward), in gluonc's words. */
const FREED =
  'backward: the recorded graph of this array was already used by backward() and freed; to differentiate it again, ' +
  'pass { retainGraph: true } to the first backward (MXNet\'s retain_graph=True), or record the computation again';

/**
 * Frees entries used by a backward that does not retain the graph, as MXNet's
 * Imperative::Backward clears each node's history (`AGInfo::Clear`,
 * `inputs.clear()`): their outputs keep only a marker, so a later backward
 * from one of them is refused, while one used in a new recording is a
 * constant (d2l's RNN state carried between batches), and the old graph
 * is no longer held by the arrays.
 */
function free(entries: TapeEntry[]): void {
  for (const e of entries) {
    e.freed = true;
    for (const o of e.outputs) {
      const m = peekMeta(o);
      if (m && m.entry === e) m.entry = FREED_ENTRY;
    }
  }
}

/** What a freed entry's outputs keep: no inputs, no rule, only the refusal of another backward. */
const FREED_ENTRY: TapeEntry = { id: -1, inputs: [], outputs: [], backward: () => { throw new Error(FREED); }, freed: true };

/** Gradient requirement names (as Parameter's). */
export type GradReqLike = 'write' | 'add' | 'null';

/** What the tape knows of the parameter an array holds. */
export interface ParamLike {
  readonly gradReq: GradReqLike;
  readonly name: string;
  grad(): NDArray;
  /** Replaces the gradient array (a compiled backward hands over pending gradients). */
  setGrad?(g: NDArray): void;
  /** Set when backward writes the gradient (the Trainer's stale-gradient check; see Parameter.freshGrad). */
  freshGrad?: boolean;
}

/** The eager operators and array creation the tape computes gradients with (ndarray.ts provides them). */
export interface TapeOps {
  /** The `nd` operators (the F of gradient rules). */
  F: GradOps & { add(a: NDArray, b: NDArray): NDArray | NDArray[] };
  /** An array of ones. */
  ones(shape: number[], dtype: DType): NDArray;
  /** An array holding `data` (the constants of gradient rules). */
  array(data: HostTensor): NDArray;
  /** A pending array of the given type whose data `force` provides (`owner`: what computes it). */
  lazy?(dtype: DType, shape: number[], force: () => void, owner: object): NDArray;
}

interface Meta {
  entry: TapeEntry | null;
  gradReq: GradReqLike;
  grad: NDArray | null;
  param: ParamLike | null;
}

let nextId = 0;

/** The tape's record of `x` (kept on the array, `_tape`: no WeakMap entry per array on the per-step path), if any. */
function peekMeta(x: NDArray): Meta | undefined {
  return (x._tape as Meta | null) ?? undefined;
}

function metaOf(x: NDArray): Meta {
  let m = x._tape as Meta | null;
  if (!m) x._tape = m = { entry: null, gradReq: 'null', grad: null, param: null };
  return m;
}

/** True inside `record` (and not inside `pause`). Example: `autograd.record(() => isRecording())` is true. */
export function isRecording(): boolean {
  return getContext().recording;
}

/**
 * Runs `fn` recording (or, with `recording: false`, not recording) in the given training mode.
 *
 * ```ts
 * const y = recording(true, true, () => x.mul(x).sum());
 * ```
 */
export function recording<R>(on: boolean, training: boolean, fn: () => R): R {
  return withContext({ recording: on, training }, fn);
}

/** The tape entry that produced `x`, if any. Example: `entryOf(y)?.inputs`. */
export function entryOf(x: NDArray): TapeEntry | null {
  return peekMeta(x)?.entry ?? null;
}

/** Marks `x` as a leaf with gradient buffer `grad` (`attachGrad`). Example: `attachGradBuffer(x, 'write', zerosLike)`. */
export function attachGradBuffer(x: NDArray, gradReq: GradReqLike, grad: NDArray | null): void {
  const m = metaOf(x);
  m.gradReq = gradReq;
  m.grad = grad;
  m.entry = null;
}

/**
 * The gradient buffer attached to `x`, if any; a parameter's data reads the
 * parameter's gradient (MXNet marks data and grad together, so d2l's
 * `p.data().grad` is it; gradReq 'null' is the parameter's Error). Example: `gradBuffer(x)?.toArray()`.
 */
export function gradBuffer(x: NDArray): NDArray | null {
  const m = peekMeta(x);
  if (m?.param && m.grad === null) return m.param.grad();
  return m?.grad ?? null;
}

/** Records that `x` (a copy when it holds another parameter's data) holds `p`'s data, whose gradients flow into `p`; returns the array bound. Example: `this._data = bindParam(data, this)`. */
export function bindParam(x: NDArray, p: ParamLike): NDArray {
  const m = metaOf(x);
  return m.param && m.param !== p ? bindParam(x.detach().copy(), p) : ((m.param = p), x);
}

/** True when gradients must flow through `x`. Example: `inputs.some(requiresGrad)`. */
export function requiresGrad(x: NDArray): boolean {
  const m = peekMeta(x);
  if (!m) return false;
  return (m.entry !== null && !m.entry.freed) || (m.gradReq !== 'null' && m.grad !== null) || (m.param !== null && m.param.gradReq !== 'null');
}

/** Appends an entry to the tape (hybridized blocks, for their compiled backward). Example: `recordEntry(ins, outs, (g) => ...)`. */
export function recordEntry(inputs: NDArray[], outputs: NDArray[], backward: TapeEntry['backward'], op?: RecordedOp): void {
  const entry: TapeEntry = { id: nextId++, inputs, outputs, backward, op };
  for (const o of outputs) metaOf(o).entry = entry;
}

/**
 * Records one eager operator call when recording and an input needs a
 * gradient; its backward evaluates the operator's gradient rule with F = nd.
 *
 * ```ts
 * recordOp(def, inputs, attrs, outputs, ops);
 * ```
 */
export function recordOp(def: OpDef, inputs: NDArray[], attrs: Attrs, outputs: NDArray[], ops: TapeOps): void {
  const { recording, scopes } = getContext();
  if (!recording) return;
  if (!inputs.some(requiresGrad)) {
    // Computed only from constants and freed graphs: MXNet records nothing; the marker keeps backward's refusal naming the freed graph.
    if (inputs.some((x) => peekMeta(x)?.entry?.freed)) for (const o of outputs) metaOf(o).entry = FREED_ENTRY;
    return;
  }
  recordEntry(inputs, outputs, (gOuts) => {
    // A deferred call (lazy-op.ts) runs first: one that fails fails its gradient too (the rule assumes a forward that ran,
    // as take's 'raise' checked indices), with its own error; store's flush would run it anyway.
    for (const o of outputs) if (o._pending) void o._host;
    // Its errors name the imported ONNX node the call was made for (SymbolBlock's replay scope), where there is one.
    if (typeof def.grad !== 'function') {
      const why = def.noGradReason ? `: ${def.noGradReason}` : '';
      throw namingOnnxNode(new Error(`${def.name}: has no gradient rule, so it cannot be differentiated${why}`), scopes.join('/'));
    }
    const ctx: GradCtx = {
      inputs,
      outputs,
      attrs,
      inTypes: inputs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
      outTypes: outputs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
      constant: (data: HostTensor) => ops.array(data),
    };
    // F = nd: the rule returns the NDArrays its operators made.
    try {
      return def.grad(ops.F, ctx, gOuts) as (NDArray | null)[];
    } catch (e) {
      throw namingOnnxNode(e, scopes.join('/'));
    }
  }, { def, attrs, key: `${def.name}${attrsKey(attrs)}`, scopes });
}

/** The attributes as cache-key text (JSON; arrays of numbers, strings, booleans and null are all they hold). */
function attrsKey(attrs: Attrs): string {
  let k = '{';
  for (const name in attrs) {
    const v = attrs[name];
    k += `${name}:${typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v)},`;
  }
  return `${k}}`;
}

/** Throws unless a head gradient has its head's shape and dtype (every backward, eager or compiled). Example: `checkHeadGrad(loss, g)`. */
export function checkHeadGrad(head: { shape: readonly number[]; dtype?: string }, headGrad: { shape: readonly number[]; dtype?: string }): void {
  if (headGrad.shape.length !== head.shape.length || headGrad.shape.some((d, i) => d !== head.shape[i])) {
    throw new Error(`backward: head gradient of shape [${headGrad.shape}] for a head of shape [${head.shape}]`);
  }
  if (headGrad.dtype !== head.dtype) throw new Error(`backward: head gradient of dtype ${headGrad.dtype} for a head of dtype ${head.dtype}`);
}

/**
 * Gradients of `heads` (weighted by `headGrads`) for every array on the
 * recorded paths; without `retainGraph` (default: `createGraph`, as MXNet's
 * `autograd.grad`) the entries used are freed.
 */
export function backprop(heads: NDArray[], headGrads: (NDArray | undefined)[], createGraph: boolean, ops: TapeOps, retainGraph = createGraph): Map<NDArray, NDArray> {
  const grads = new Map<NDArray, NDArray>();
  const add = (x: NDArray, g: NDArray): void => {
    const old = grads.get(x);
    grads.set(x, old ? (ops.F.add(old, g) as NDArray) : g);
  };
  heads.forEach((h, i) => {
    const g = headGrads[i] ?? ops.ones(h.shape, h.dtype);
    checkHeadGrad(h, g);
    add(h, g);
  });
  const order = reachable(heads);
  const run = (): void => {
    for (const e of order) {
      const gOuts = e.outputs.map((o) => grads.get(o) ?? null);
      if (gOuts.every((g) => g === null)) continue;
      const gIns = e.backward(gOuts);
      e.inputs.forEach((x, i) => {
        const g = gIns[i];
        if (g && isFloat(x.dtype) && requiresGrad(x)) add(x, g);
      });
    }
  };
  // With createGraph the gradient computation is itself recorded (second order); training mode is kept.
  recording(createGraph, getContext().training, run);
  if (!retainGraph) free(order);
  return grads;
}

/** The entries reachable from `heads`, latest first (a reverse topological order); a freed head is refused, a freed input is a constant. */
function reachable(heads: NDArray[]): TapeEntry[] {
  const entries = new Map<number, TapeEntry>();
  const stack = heads.map(entryOf).filter((e): e is TapeEntry => e !== null);
  if (stack.some((e) => e.freed)) throw new Error(FREED);
  while (stack.length) {
    const e = stack.pop()!;
    if (entries.has(e.id)) continue;
    entries.set(e.id, e);
    for (const x of e.inputs) {
      const xe = entryOf(x);
      // An input from a freed graph is a constant (MXNet's cleared history).
      if (xe && !xe.freed && !entries.has(xe.id)) stack.push(xe);
    }
  }
  return [...entries.values()].sort((a, b) => b.id - a.id);
}

/** True when `backward` from `head` stores the gradient of `x` (a leaf, a parameter, an array with a buffer). */
function storedBy(head: NDArray, x: NDArray): boolean {
  const m = peekMeta(x);
  if (!m) return false;
  if (m.param) return m.param.gradReq !== 'null';
  return m.entry === null && x !== head && m.gradReq !== 'null' && m.grad !== null;
}

/** Writes a gradient into a leaf's or parameter's buffer according to its gradReq. */
function store(x: NDArray, g: NDArray): void {
  const m = peekMeta(x);
  if (!m) return;
  const target = m.param ? (m.param.gradReq === 'null' ? null : m.param.grad()) : m.gradReq !== 'null' ? m.grad : null;
  const req = m.param ? m.param.gradReq : m.gradReq;
  if (!target) return;
  flushPendingOps(); // nothing pending may read the buffer's new values
  const src = g._host.data;
  const dst = target._host.data;
  if (req !== 'add') (dst as Float32Array).set(src as Float32Array);
  else if (dst instanceof Float32Array || dst instanceof Float64Array) for (let i = 0; i < dst.length; i++) dst[i]! += (src as Float32Array)[i]!;
  else {
    // float16 holds raw bits: add the numbers they encode.
    const a = tensorToNumbers(target._host);
    const b = tensorToNumbers(g._host);
    for (let i = 0; i < a.length; i++) writeElement(target._host, i, a[i]! + b[i]!);
  }
  if (m.param) m.param.freshGrad = true;
}

/**
 * Backpropagates from `head` into the gradient buffers of the leaves and
 * parameters it was computed from. A head that was not recorded (computed
 * outside `autograd.record`, or with nothing that needs a gradient) is
 * refused, as in MXNet, rather than silently doing nothing. Without
 * `retainGraph` the entries used are freed: a second backward through them
 * is refused, as MXNet's is.
 *
 * ```ts
 * backward(loss, undefined, ops);
 * ```
 */
export function backward(head: NDArray, headGrad: NDArray | undefined, ops: TapeOps, retainGraph = false): void {
  const m = recordedMeta(head);
  if (headGrad) checkHeadGrad(head, headGrad);
  const entries = m.entry ? reachable([head]) : [];
  backpropInto(head, headGrad, entries, ops);
  if (!retainGraph) free(entries);
}

/** The tape's record of a head, or the MXNet-style refusal of one that was not recorded. */
function recordedMeta(head: NDArray): Meta {
  const m = peekMeta(head);
  if (!m || (m.entry === null && m.gradReq === 'null' && m.param === null)) {
    throw new Error(
      'backward: this array was not recorded, so it has no gradient to propagate; compute it inside autograd.record(() => ...) ' +
        'from arrays that need gradients (initialized parameters, or arrays after attachGrad())',
    );
  }
  return m;
}

/**
 * `backward` from several heads at once (MXNet's `autograd.backward`): the
 * gradients of their weighted sum go into the leaves' and parameters'
 * buffers, so heads sharing recorded operators need no `retainGraph`.
 *
 * ```ts
 * backwardHeads([l1, l2], [undefined, g2], ops);
 * ```
 */
export function backwardHeads(heads: NDArray[], headGrads: (NDArray | undefined)[], ops: TapeOps, retainGraph = false): void {
  for (const h of heads) recordedMeta(h);
  const entries = reachable(heads);
  storeGrads(heads, backprop(heads, headGrads, false, ops, true));
  if (!retainGraph) free(entries);
}

/** Stores each gradient that backward from `heads` keeps: a leaf's, a parameter's, an array's with a buffer. */
function storeGrads(heads: NDArray[], grads: Map<NDArray, NDArray>): void {
  for (const [x, g] of grads) {
    const e = entryOf(x);
    const xm = peekMeta(x);
    if ((e === null && !heads.includes(x)) || xm?.param || (xm?.grad && e === null)) store(x, g);
  }
}

/** `backward` past its checks: stores the gradients of `head` (reached through `entries`). */
function backpropInto(head: NDArray, headGrad: NDArray | undefined, entries: TapeEntry[], ops: TapeOps): void {
  // A recorded structure seen before runs as one compiled gradient graph (compiler/engine/tape-graph.ts).
  const prepared = entries.length
    ? prepareBackward({ entries, head, headGrad, flows: (x) => isFloat(x.dtype) && requiresGrad(x), stored: (x) => storedBy(head, x) })
    : null;
  if (prepared) {
    // Parameters with gradReq 'write' get pending gradients: computed when read, or inside the
    // compiled update of `trainer.step` (compiler/engine/update-graph.ts) without being output.
    const params = prepared.outputs.map((i) => peekMeta(prepared.arrays[i]!)?.param);
    const lazy = ops.lazy;
    if (lazy && params.every((p) => p && p.gradReq === 'write' && p.setGrad)) {
      const pb = new PendingBackward(prepared);
      prepared.outputs.forEach((i, k) => {
        const x = prepared.arrays[i]!;
        const g = lazy(x.dtype, [...x.shape], () => pb.force(), pb);
        pb.grads.set(i, g);
        params[k]!.setGrad!(g);
      });
      return;
    }
    for (const [i, g] of prepared.run()) store(prepared.arrays[i]!, ops.array(g));
    return;
  }
  storeGrads([head], backprop([head], [headGrad], false, ops, true));
}
