/**
 * Algebraic simplification, one node at a time in topological order (so
 * chains collapse in one run):
 * - neutral elements: `x*1`, `1*x`, `x/1`, `x**1`, `x-0`, `x+(−0)`, `(−0)+x`
 *   -> `x` (when the constant does not broadcast `x` to a larger shape); a
 *   float `x+0` stays, as IEEE 754 makes `−0 + 0` a `+0` (`1/(x+0)` is
 *   `+Inf` at `x = −0`), and so does `x−(−0)`; integer zeros are neutral;
 * - `neg(neg(x))` -> `x`; `x * -1` -> `neg(x)`; `a - neg(b)` -> `a + b`,
 *   `a + neg(b)` -> `a - b`;
 * - `exp(logSoftmax(x))` -> `softmax(x)`; the sum over a scatter-add's axis
 *   of a scatter into zeros -> its updates (the softmax cross-entropy
 *   gradient becomes `softmax(x) - onehot`, no exp of a log, no reduction);
 * - operators that are the identity when the output type is the input's:
 *   reshape, reshapeLike, flatten, squeeze, broadcastTo, broadcastLike, tile,
 *   repeat, cast to the same dtype, reductions over size-1 axes with keepdims,
 *   reduceSumLike to the same shape, an inactive Dropout, a transpose by the
 *   identity permutation;
 * - transpose of transpose -> one transpose (or none); a transpose that only
 *   moves axes of size 1 -> a reshape (no copy: the conv weight gradient's
 *   transposes of a one-channel input);
 * - reshape of reshape (also flatten, expandDims, squeeze, reshapeLike) -> one reshape;
 * - a broadcast feeding an element-wise operator that broadcasts anyway
 *   (`x * broadcastTo(s, shape)` -> `x * s`) is bypassed;
 * - constant factors gather into one, computed now: `broadcastTo(s) * c` ->
 *   `broadcastTo(s * c)`, `k * (x * c)` -> `x * (k·c)` (only when `k·c` is
 *   finite and a normal number: `0 · Inf` would be NaN where `(x·c)·k` is
 *   0, and a flushed factor would zero results), `neg(x * c)` ->
 *   `x * (−c)` (the gradient of a mean loss: one multiplication instead of
 *   a broadcast and three passes over the tensor); a one-element constant
 *   factor moves out of a sum or mean (`mean(x * c)` -> `mean(x) * c`).
 * Invariant: a rewrite keeps the output type of the node it replaces.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Attrs, Node } from '../ir/node.js';
import { formatType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { isFloat } from '../../runtime/dtypes.js';
import { executeOp } from '../ops/execute.js';
import { toF64 } from '../ops/kernels.js';
import { inferOp } from '../ops/infer.js';
import { getOp } from '../ops/registry.js';
import type { Pass, PassContext } from './pass.js';
import { FOLD_MAX_GROWTH } from './fold-constants.js';
import { reducedAxes } from './patterns.js';
import { allEqual, constData, producerOf, Rewriter, sameType } from './rewrite.js';

/** Operators that compute `x` itself when their output type is their first input's. */
const IDENTITY_WHEN_SAME_TYPE = new Set([
  'reshape', 'reshapeLike', 'flatten', 'squeeze', 'broadcastTo', 'broadcastLike', 'tile', 'repeat', 'cast',
  'sum', 'mean', 'max', 'min', 'prod', 'reduceSumLike',
]);

/** Operators that only re-view their input's elements in row-major order. */
const RESHAPES = ['reshape', 'reshapeLike', 'flatten', 'expandDims', 'squeeze'];

/** Element-wise operators that broadcast their inputs themselves. */
const BROADCASTING = new Set([
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'equal', 'notEqual', 'greater', 'greaterEqual', 'lesser', 'lesserEqual', 'where',
]);

/**
 * Simplifies algebra (see the module comment).
 *
 * ```ts
 * simplifyAlgebra(graph, ctx); // mul(x, 1) -> x; transpose(transpose(x)) -> x
 * ```
 */
export const simplifyAlgebra: Pass = (graph, ctx) => {
  const rw = new Rewriter(graph);
  let changed = false;
  for (const node of graph.nodes) {
    if (!rw.owns(node) || node.outputs.length !== 1) continue;
    if (BROADCASTING.has(node.op)) changed = bypassBroadcasts(node) || changed;
    const nu = simplifyNode(rw, node, ctx);
    if (nu) {
      rw.replace(node.outputs[0]!, nu);
      changed = true;
    }
  }
  rw.commit();
  return { graph, changed };
};

/** The value replacing `node`'s output, or null. */
function simplifyNode(rw: Rewriter, node: Node, ctx: PassContext): Value | null {
  const y = node.outputs[0]!;
  const [a, b] = node.inputs;
  const isConstAll = (v: Value | undefined, x: number): boolean => {
    const d = v ? constData(v, ctx) : null;
    return d !== null && allEqual(d, x);
  };
  // x + z == x for every x (−0 included) when z is −0, or an integer zero; x − z == x when z is +0.
  const isNeutralZero = (v: Value | undefined, sign: 1 | -1): boolean => {
    const d = v ? constData(v, ctx) : null;
    if (d === null || !allEqual(d, 0)) return false;
    return !isFloat(d.dtype) || toF64(d).every((z) => Object.is(z, sign < 0 ? -0 : 0));
  };
  const keeps = (v: Value | undefined): v is Value => v !== undefined && sameType(v.type, y.type);
  // A replacement node; kept only when its type is the node's (broadcasting may differ).
  const make = (op: string, ins: Value[], attrs: Attrs = {}): Value | null => {
    const v = rw.node(op, ins, attrs, node.scope).outputs[0]!;
    return sameType(v.type, y.type) ? v : null;
  };
  const isConst = (v: Value | undefined): v is Value => v !== undefined && constData(v, ctx) !== null;
  /** `x * c` with a constant c (either side) used only by `node`: [x, c]. */
  const scaled = (v: Value): [Value, Value] | null => {
    const m = producerOf(v, 'mul');
    if (!m || rw.useCount(v) !== 1) return null;
    const [p, q] = m.inputs as [Value, Value];
    return isConst(q) && !isConst(p) ? [p, q] : isConst(p) && !isConst(q) ? [q, p] : null;
  };
  switch (node.op) {
    case 'mul': {
      if (isConstAll(b, 1) && keeps(a)) return a;
      if (isConstAll(a, 1) && keeps(b)) return b;
      if (isConstAll(b, -1) && keeps(a)) return make('neg', [a]);
      if (isConstAll(a, -1) && keeps(b)) return make('neg', [b]);
      for (const [u, k] of [[a!, b!], [b!, a!]] as const) {
        if (!isConst(k) || isConst(u)) continue;
        // broadcastTo(s) * c -> broadcastTo(s * c).
        const br = producerOf(u, 'broadcastTo', 'broadcastLike');
        if (br) {
          const sc = computed(rw, node, ctx, 'mul', [br.inputs[0]!, k]);
          const nu = make(br.op, [sc, ...br.inputs.slice(1)], br.attrs);
          if (nu) return nu;
        }
        // k * (x * c) -> x * (k·c), when k·c is a constant that neither overflows nor underflows.
        const xc = scaled(u);
        const kc = xc ? computed(rw, node, ctx, 'mul', [k, xc[1]]) : null;
        if (xc && kc && isNormalConstant(kc)) {
          const nu = make('mul', [xc[0], kc]);
          if (nu) return nu;
        }
      }
      return null;
    }
    case 'add': {
      if (isNeutralZero(b, -1) && keeps(a)) return a;
      if (isNeutralZero(a, -1) && keeps(b)) return b;
      // a + (-b) -> a - b; (-a) + b -> b - a.
      const nb = producerOf(b!, 'neg');
      if (nb) return make('sub', [a!, nb.inputs[0]!]);
      const na = producerOf(a!, 'neg');
      return na ? make('sub', [b!, na.inputs[0]!]) : null;
    }
    case 'sub': {
      if (isNeutralZero(b, 1) && keeps(a)) return a;
      // a - (-b) -> a + b.
      const nb = producerOf(b!, 'neg');
      return nb ? make('add', [a!, nb.inputs[0]!]) : null;
    }
    case 'exp': {
      // exp(logSoftmax(x)) is softmax(x): one operator, no exponent of a logarithm.
      const ls = producerOf(a!, 'logSoftmax');
      return ls ? make('softmax', [ls.inputs[0]!], ls.attrs) : null;
    }
    case 'sum':
    case 'mean': {
      const u = node.op === 'sum' ? sumOfScatter(node, ctx) : null;
      if (u) return u;
      // sum(x * c) -> sum(x) * c for a one-element constant c: the product over the smaller tensor.
      const xc = scaled(a!);
      if (xc && constData(xc[1], ctx)!.data.length === 1 && !keeps(a)) {
        const nu = make('mul', [rw.node(node.op, [xc[0]], node.attrs, node.scope).outputs[0]!, xc[1]]);
        if (nu) return nu;
      }
      break;
    }
    case 'div':
    case 'pow':
      return isConstAll(b, 1) && keeps(a) ? a : null;
    case 'neg': {
      const inner = producerOf(a!, 'neg');
      if (inner) return inner.inputs[0]!;
      // neg(x * c) -> x * (−c).
      const xc = scaled(a!);
      return xc ? make('mul', [xc[0], computed(rw, node, ctx, 'neg', [xc[1]])]) : null;
    }
    case 'Dropout': {
      const at = node.attrs as { p?: number; mode?: string; training?: boolean | null };
      const active = (at.p ?? 0) > 0 && (at.mode === 'always' || at.training === true);
      return !active && keeps(a) ? a : null;
    }
    case 'transpose':
      return simplifyTranspose(rw, node);
    default:
      break;
  }
  if (IDENTITY_WHEN_SAME_TYPE.has(node.op) && keeps(a)) return a;
  if (RESHAPES.includes(node.op)) return collapseReshapes(rw, node);
  return null;
}

/** `op(inputs)` as a constant computed now when every input is a (small) constant, else as a new node. */
function computed(rw: Rewriter, node: Node, ctx: PassContext, op: string, inputs: Value[]): Value {
  const n = rw.node(op, inputs, {}, node.scope);
  const datas = inputs.map((v) => constData(v, ctx));
  const out = n.outputs[0]!;
  const size = out.type.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : Infinity), 1);
  if (!datas.every((d) => d !== null) || size > FOLD_MAX_GROWTH) return out;
  return Value.constant(executeOp(getOp(op), datas as HostTensor[], n.attrs, { attrs: n.attrs, outTypes: [out.type] })[0]!);
}

/** The smallest positive normal number of each float dtype. */
const MIN_NORMAL: Record<string, number> = { float16: 2 ** -14, bfloat16: 2 ** -126, float32: 2 ** -126, float64: 2 ** -1022 };

/** True for a constant whose elements are all finite with magnitudes a normal number of its dtype (any integer constant). */
function isNormalConstant(v: Value): boolean {
  if (v.kind !== 'const' || !v.data) return false;
  if (!isFloat(v.data.dtype)) return true;
  const min = MIN_NORMAL[v.data.dtype] ?? 2 ** -126;
  return toF64(v.data).every((z) => Number.isFinite(z) && Math.abs(z) >= min);
}

/**
 * `sum(scatterAdd(zeros, index, updates), axis, keepdims)` over the scatter's
 * axis is `updates`: every position along the other axes receives exactly one
 * update (the index has size 1 along the axis and is clipped or wrapped into
 * range). The gradient of `pick` under a log-softmax makes this sum.
 */
function sumOfScatter(node: Node, ctx: PassContext): Value | null {
  const sc = producerOf(node.inputs[0]!, 'scatterAdd');
  if (!sc || !(node.attrs as { keepdims?: boolean }).keepdims) return null;
  const [data, , updates] = sc.inputs as [Value, Value, Value];
  const zeros = producerOf(data, 'zerosLike') !== null || (constData(data, ctx) !== null && allEqual(constData(data, ctx)!, 0));
  const r = data.type.shape.length;
  const ax = ((sc.attrs['axis'] as number) % r + r) % r;
  const axes = reducedAxes(node);
  return zeros && axes.length === 1 && axes[0] === ax && sameType(updates.type, node.outputs[0]!.type) ? updates : null;
}

/** The permutation a transpose node applies. */
function permOf(node: Node): number[] {
  const r = node.inputs[0]!.type.shape.length;
  const axes = node.attrs['axes'] as number[] | null | undefined;
  if (!axes || axes.length === 0) return [...Array(r).keys()].reverse();
  return axes.map((k) => (k < 0 ? k + r : k));
}

function simplifyTranspose(rw: Rewriter, node: Node): Value | null {
  const p = permOf(node);
  const x = node.inputs[0]!;
  if (p.every((k, i) => k === i)) return x;
  const inner = producerOf(x, 'transpose');
  if (!inner) return movesOnlyUnitAxes(x, p) ? reshapeTo(rw, node, x) : null;
  // transpose(transpose(z, q), p) reads z's axis q[p[i]] at position i.
  const q = permOf(inner);
  const composed = p.map((k) => q[k]!);
  const z = inner.inputs[0]!;
  if (composed.every((k, i) => k === i)) return z;
  return rw.node('transpose', [z], { axes: composed }, node.scope).outputs[0]!;
}

/** True when `perm` keeps the axes of `x` that are not of size 1 in their order (the elements stay in place). */
function movesOnlyUnitAxes(x: Value, perm: number[]): boolean {
  const kept = perm.filter((k) => x.type.shape[k] !== 1);
  return kept.every((k, i) => i === 0 || k > kept[i - 1]!);
}

/** `node`'s output as a reshape of `x` (same elements in the same order), or null when no reshape codes give its type. */
function reshapeTo(rw: Rewriter, node: Node, x: Value): Value | null {
  const codes = reshapeCodes(x, node.outputs[0]!);
  return codes ? rw.node('reshape', [x], { shape: codes }, node.scope).outputs[0]! : null;
}

/** A reshape of a reshape-like value re-views the original input directly. */
function collapseReshapes(rw: Rewriter, node: Node): Value | null {
  const inner = producerOf(node.inputs[0]!, ...RESHAPES);
  if (!inner) return null;
  const x = inner.inputs[0]!;
  const y = node.outputs[0]!;
  if (sameType(x.type, y.type)) return x;
  if (node.op === 'reshapeLike') return rw.node('reshapeLike', [x, node.inputs[1]!], {}, node.scope).outputs[0]!;
  const codes = reshapeCodes(x, y);
  return codes ? rw.node('reshape', [x], { shape: codes }, node.scope).outputs[0]! : null;
}

/** MXNet reshape codes taking `x` to `y`'s shape, checked against the reshape type rule; null when none is found. */
function reshapeCodes(x: Value, y: Value): number[] | null {
  const out = y.type.shape;
  const candidates: number[][] = [];
  if (out.every((d) => typeof d === 'number' && d > 0)) candidates.push(out as number[]);
  // 0 copies the input dimension at the same position; one -1 takes what is left.
  const codes = out.map((d, j) => (typeof d === 'number' && d > 0 ? d : d === x.type.shape[j] ? 0 : -1));
  if (codes.filter((c) => c === -1).length <= 1) candidates.push(codes);
  const def = getOp('reshape');
  for (const c of candidates) {
    try {
      const { outTypes } = inferOp(def, [x.type], { shape: c, reverse: false });
      if (formatType(outTypes[0]!) === formatType(y.type)) return c;
    } catch {
      // not expressible this way: try the next candidate
    }
  }
  return null;
}

/** Reads `s` instead of `broadcastTo(s)`/`broadcastLike(s, _)` where the operator's own broadcasting gives the same type. */
function bypassBroadcasts(node: Node): boolean {
  let changed = false;
  const def = getOp(node.op);
  node.inputs.forEach((v, i) => {
    const b = producerOf(v, 'broadcastTo', 'broadcastLike');
    if (!b) return;
    const s = b.inputs[0]!;
    const types = node.inputs.map((u, k) => (k === i ? s.type : u.type));
    try {
      const { outTypes } = inferOp(def, types, node.attrs);
      if (formatType(outTypes[0]!) !== formatType(node.outputs[0]!.type)) return;
    } catch {
      return;
    }
    node.setInput(i, s);
    changed = true;
  });
  return changed;
}
