/**
 * The ONNX lowerings of MXNet's detection operators (box-ops.ts' boxIou,
 * boxNms, boxNmsGrad; multibox.ts' MultiBoxDetection and MultiBoxTarget). Invariants:
 * - every value is computed in float64 with the kernels' operations in the
 *   kernels' order (+, −, ×, ÷ and comparisons are exact in IEEE arithmetic)
 *   and rounded once to the output dtype, so a lowering gives the kernel's
 *   rows bit for bit (MultiBoxDetection's `exp` is onnxruntime's, which may
 *   differ from V8's in the last bit of a float64);
 * - sorting by score is one `TopK` (ONNX: equal values keep the lower index
 *   first, the kernels' stable order); moving chosen rows to the front keeps
 *   their order by sorting unique keys (position, or position + N);
 * - the greedy suppression is one `Loop` over the sorted candidates: step p
 *   compares row p with every row (O(N) memory, no N × N matrix) and, when p
 *   is still kept, suppresses the later rows it overlaps, as MXNet's loops do;
 *   MultiBoxTarget's greedy matching is one `Loop` of M steps, each taking
 *   every image's largest remaining IoU pair (O(N·M) per step).
 * Batch dimensions and N may be symbolic, and any of them 0 (rows are taken
 * along axis −2 with the leading axes as GatherND's batch_dims: no Reshape,
 * whose 0 copies a dimension below opset 14).
 */
import { onnxDType, type DType } from '../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../runtime/tensor.js';
import type { Shape } from '../ir/types.js';
import type { LowerCtx, OnnxAttr } from './define.js';
import { emitTopK } from './sort.js';

type BoxFormat = 'corner' | 'center';
const F64 = onnxDType('float64');
const I64 = onnxDType('int64');

function one(c: LowerCtx, op: string, ins: string[], attrs?: Record<string, OnnxAttr | undefined>): string {
  return c.emit(op, ins, attrs)[0]!;
}

const f64 = (c: LowerCtx, x: string, d: DType): string => (d === 'float64' ? x : one(c, 'Cast', [x], { to: F64 }));
const num = (c: LowerCtx, v: number): string => c.scalar(v, 'float64');
/** x[..., k]: [..., N, K] → [..., N]. */
const column = (c: LowerCtx, x: string, k: number): string => one(c, 'Gather', [x, c.scalar(k, 'int64')], { axis: -1 });
const unsq = (c: LowerCtx, x: string, axis: number): string => one(c, 'Unsqueeze', [x, c.ints([axis])]);
/** 0 where `w` is not > 0 (NaN too), as `intersect1`'s `w > 0 ? w : 0`. */
const positive = (c: LowerCtx, w: string): string => one(c, 'Where', [one(c, 'Greater', [w, num(c, 0)]), w, num(c, 0)]);

/** The [l, r] (corner) or [c, w] (center) extent's overlap of `a` and `b` (broadcast), as `intersect1`. */
function overlap1(c: LowerCtx, a0: string, a1: string, b0: string, b1: string, fmt: BoxFormat): string {
  if (fmt === 'center') {
    const half = (x: string) => one(c, 'Div', [x, num(c, 2)]);
    [a0, a1, b0, b1] = [one(c, 'Sub', [a0, half(a1)]), one(c, 'Add', [a0, half(a1)]), one(c, 'Sub', [b0, half(b1)]), one(c, 'Add', [b0, half(b1)])];
  }
  return positive(c, one(c, 'Sub', [one(c, 'Min', [a1, b1]), one(c, 'Max', [a0, b0])]));
}

/** Intersection area of boxes `p` and `q` (4 coordinates each, broadcast), as the kernels' two `intersect1`. */
function intersection(c: LowerCtx, p: string[], q: string[], fmt: BoxFormat): string {
  return one(c, 'Mul', [overlap1(c, p[0]!, p[2]!, q[0]!, q[2]!, fmt), overlap1(c, p[1]!, p[3]!, q[1]!, q[3]!, fmt)]);
}

/** `boxArea`: corner (x2 − x1)(y2 − y1), center w·h. */
function area(c: LowerCtx, b: string[], fmt: BoxFormat): string {
  return fmt === 'corner' ? one(c, 'Mul', [one(c, 'Sub', [b[2]!, b[0]!]), one(c, 'Sub', [b[3]!, b[1]!])]) : one(c, 'Mul', [b[2]!, b[3]!]);
}

/** Shape dims [start, end) of `x` as a 1-D int64. */
const dims = (c: LowerCtx, x: string, start: number, end?: number): string => one(c, 'Shape', [x], end === undefined ? { start } : { start, end });
/** [0, 1, ..., N − 1] for N = x.shape[axis]. */
const positions = (c: LowerCtx, x: string, axis: number): string =>
  one(c, 'Range', [c.scalar(0, 'int64'), one(c, 'Squeeze', [dims(c, x, axis, axis + 1 || undefined), c.ints([0])]), c.scalar(1, 'int64')]);
/** The rows of `x` [..., N, K] at `idx` [..., N] (each batch its own indices; `lead` batch dimensions). */
const takeRows = (c: LowerCtx, x: string, idx: string, lead: number): string => one(c, 'GatherND', [x, unsq(c, idx, -1)], { batch_dims: lead });
/**
 * How many of `mask` [..., N] are true, per batch: [..., 1] int64, as a
 * product with ones (exact below 2^53; any rank): onnxruntime 1.30's
 * ReduceSum over a negative axis of an empty tensor keeps its shape ([0, N]
 * stays [0, N], not [0, 1]; docs/onnxruntime-defects.md).
 */
function countTrue(c: LowerCtx, mask: string): string {
  const ones = one(c, 'ConstantOfShape', [one(c, 'Concat', [dims(c, mask, -1), c.ints([1])], { axis: 0 })], { value: { tensor: tensorFromNumbers('float64', [1], [1]) } });
  return one(c, 'Cast', [one(c, 'MatMul', [one(c, 'Cast', [mask], { to: F64 }), ones])], { to: I64 });
}

/** TopK of all of `x` [..., N] (its `shape`, leading sizes maybe unknown) along the last axis, sorted (equal values: the lower index first). */
function topAll(c: LowerCtx, x: string, largest: boolean, shape: Shape): [string, string] {
  return emitTopK(c, x, dims(c, x, -1), shape, { axis: shape.length - 1, largest: largest ? 1 : 0 });
}

/** The order [..., N] that puts the true positions of `mask` first, each part in its order (sorting unique keys). */
function frontFirst(c: LowerCtx, mask: string, pos: string, shape: Shape): string {
  const key = one(c, 'Where', [mask, pos, one(c, 'Add', [pos, dims(c, mask, -1)])]);
  return topAll(c, key, false, shape)[1];
}

/** The order [..., N] of descending `score` among `valid` (equal scores by index), and which sorted positions are valid. */
function sortByScore(c: LowerCtx, score: string, valid: string, shape: Shape): [string, string] {
  const ninf = num(c, -Infinity);
  const masked = one(c, 'Where', [valid, score, ninf]);
  const [vals, order] = topAll(c, masked, true, shape);
  // A valid score is > validThresh (or ≥ threshold > -1): never -inf.
  return [order!, one(c, 'Greater', [vals!, ninf])];
}

/** What a greedy suppression compares: rows sorted by score, their boxes, class (null: any) and candidates. */
interface Greedy {
  /** 4 coordinate columns [..., N], float64. */
  boxes: string[];
  fmt: BoxFormat;
  /** Class per row [..., N] (rows of another class are never suppressed), or null. */
  cls: string | null;
  /** Rows taking part [..., N] bool: the sorted candidates, a prefix of each batch. */
  cand: string;
  thresh: number;
  /** box_nms: IoU = I / (A + B − I) > thresh; MultiBoxDetection: IoU = (U ≤ 0 ? 0 : I / U) ≥ thresh. */
  rule: 'nms' | 'detection';
  pos: string;
}

/** The greedy suppression (`nms_impl`, MultiBoxDetectionForward's loop): which candidates stay, [..., N] bool. */
function greedy(c: LowerCtx, g: Greedy): string {
  const areas = area(c, g.boxes, g.fmt);
  // Steps: the most candidates of any batch (0 with no batch).
  const perBatch = one(c, 'Reshape', [countTrue(c, g.cand), c.ints([-1])]);
  const steps = one(c, 'ReduceMax', [one(c, 'Concat', [perBatch, c.ints([0])], { axis: 0 })], { keepdims: 0 });
  const body = c.graph([{ dtype: 'int64', shape: [] }, { dtype: 'bool', shape: [] }, { dtype: 'bool' }], ([p, cond, alive]) => {
    const at = (x: string) => unsq(c, one(c, 'Gather', [x, p!], { axis: -1 }), -1);
    const mine = g.boxes.map(at);
    const inter = intersection(c, mine, g.boxes, g.fmt);
    const union = one(c, 'Sub', [one(c, 'Add', [at(areas), areas]), inter]);
    let hit: string;
    if (g.rule === 'nms') hit = one(c, 'Greater', [one(c, 'Div', [inter, union]), num(c, g.thresh)]);
    else {
      const iou = one(c, 'Where', [one(c, 'LessOrEqual', [union, num(c, 0)]), num(c, 0), one(c, 'Div', [inter, union])]);
      hit = one(c, 'GreaterOrEqual', [iou, num(c, g.thresh)]);
    }
    // Only rows after p, only while p itself is kept, only its class unless forced.
    hit = one(c, 'And', [hit, one(c, 'Greater', [g.pos, p!])]);
    hit = one(c, 'And', [hit, at(alive!)]);
    if (g.cls) hit = one(c, 'And', [hit, one(c, 'Equal', [at(g.cls), g.cls])]);
    const next = one(c, 'And', [alive!, one(c, 'Not', [hit])]);
    return [{ name: cond!, dtype: 'bool', shape: [] }, { name: next, dtype: 'bool' }];
  });
  return one(c, 'Loop', [steps, '', g.cand], { body });
}

/** Math.trunc of float64 `x` (NaN stays NaN, never equal to itself: another class, as the kernel's `!==`). */
function trunc(c: LowerCtx, x: string): string {
  return one(c, 'Mul', [one(c, 'Sign', [x]), one(c, 'Floor', [one(c, 'Abs', [x])])]);
}

/** box_nms's attributes (box-ops.ts' NmsA). */
export interface NmsLowerA {
  overlapThresh: number;
  validThresh: number;
  topk: number;
  coordStart: number;
  scoreIndex: number;
  idIndex: number;
  backgroundId: number;
  forceSuppress: boolean;
  inFormat: BoxFormat;
  outFormat: BoxFormat;
}

/** box_nms's choice on `x` [..., N, K] (float64): the sorted rows and, per output row, its sorted row and whether it is kept. */
function nmsChoice(c: LowerCtx, xd: string, a: NmsLowerA, shape: Shape): { sorted: string; order: string; perm: string; kept: string } {
  const lead = shape.length - 1;
  const pos = positions(c, xd, -2);
  let valid = one(c, 'Greater', [column(c, xd, a.scoreIndex), num(c, a.validThresh)]);
  if (a.idIndex >= 0 && a.backgroundId >= 0) valid = one(c, 'And', [valid, one(c, 'Not', [one(c, 'Equal', [column(c, xd, a.idIndex), num(c, a.backgroundId)])])]);
  const [order, sortedValid] = sortByScore(c, column(c, xd, a.scoreIndex), valid, shape);
  const cand = a.topk > 0 ? one(c, 'And', [sortedValid, one(c, 'Less', [pos, c.scalar(a.topk, 'int64')])]) : sortedValid;
  const sorted = takeRows(c, xd, order, lead);
  const boxes = [0, 1, 2, 3].map((k) => column(c, sorted, a.coordStart + k));
  const cls = a.idIndex >= 0 && !a.forceSuppress ? trunc(c, column(c, sorted, a.idIndex)) : null;
  const alive = greedy(c, { boxes, fmt: a.inFormat, cls, cand, thresh: a.overlapThresh, rule: 'nms', pos });
  return { sorted, order, perm: frontFirst(c, alive, pos, shape), kept: one(c, 'Less', [pos, countTrue(c, alive)]) };
}

/** Converts columns [s, s + 4) of `x` [..., N, K] between corner and center (`convertBox`). */
function convertColumns(c: LowerCtx, x: string, s: number, to: BoxFormat): string {
  const [p, q, r, t] = [0, 1, 2, 3].map((k) => column(c, x, s + k)) as [string, string, string, string];
  const two = num(c, 2);
  const cols = to === 'center'
    ? [one(c, 'Div', [one(c, 'Add', [p, r]), two]), one(c, 'Div', [one(c, 'Add', [q, t]), two]), one(c, 'Sub', [r, p]), one(c, 'Sub', [t, q])]
    : [one(c, 'Sub', [p, one(c, 'Div', [r, two])]), one(c, 'Sub', [q, one(c, 'Div', [t, two])]), one(c, 'Add', [p, one(c, 'Div', [r, two])]), one(c, 'Add', [q, one(c, 'Div', [t, two])])];
  const slice = (b: number, e: number) => one(c, 'Slice', [x, c.ints([b]), c.ints([e]), c.ints([-1])]);
  return one(c, 'Concat', [slice(0, s), ...cols.map((v) => unsq(c, v, -1)), slice(s + 4, Number.MAX_SAFE_INTEGER)], { axis: -1 });
}

/** Lowers box_nms (`grad` false: its output) or boxNmsGrad (`grad` true: each output row's gradient on its input row). */
export function lowerBoxNms(c: LowerCtx, a: NmsLowerA, grad: boolean): void {
  const [x, g] = c.inputs as [string, string | undefined];
  const t = c.inTypes[0]!;
  // topk 0 returns the data unchanged (BoxNMSForward), and its gradient is grad itself.
  if (a.topk === 0) return void c.emit('Identity', [grad ? g! : x], {}, c.outputs);
  // Rows along axis -2, the leading axes batches (GatherND's batch_dims): no reshape, so any size may be 0.
  const lead = t.shape.length - 2;
  const xd = f64(c, x, t.dtype);
  const { sorted, order, perm, kept } = nmsChoice(c, xd, a, t.shape.slice(0, -1));
  const kept3 = unsq(c, kept, -1);
  if (!grad) {
    let rows = takeRows(c, sorted, perm, lead);
    if (a.inFormat !== a.outFormat) rows = convertColumns(c, rows, a.coordStart, a.outFormat);
    const out = one(c, 'Where', [kept3, rows, num(c, -1)]);
    return void c.emit(t.dtype === 'float64' ? 'Identity' : 'Cast', [out], t.dtype === 'float64' ? {} : { to: onnxDType(t.dtype) }, c.outputs);
  }
  // nms_backward: output row r's gradient to input row order[perm[r]]; the rows after the kept ones carry none.
  const zero = tensorFromNumbers(c.inTypes[1]!.dtype, [1], [0]);
  const src = one(c, 'GatherElements', [order, perm], { axis: -1 });
  const shape = dims(c, g!, 0);
  const idx = one(c, 'Expand', [unsq(c, src, -1), shape]);
  const upd = one(c, 'Where', [kept3, g!, c.constant(zero)]);
  c.emit('ScatterElements', [one(c, 'ConstantOfShape', [shape], { value: { tensor: zero } }), idx, upd], { axis: -2 }, c.outputs);
}

/** MultiBoxDetection's attributes (multibox.ts' DetA). */
export interface DetLowerA {
  clip: boolean;
  threshold: number;
  backgroundId: number;
  nmsThreshold: number;
  forceSuppress: boolean;
  variances: number[];
  nmsTopk: number;
}

/** Each anchor's best class (ids without the background) and score: MultiBoxDetectionForward's first loop. */
function bestClass(c: LowerCtx, p: string, bg: number): [string, string] {
  const big = Number.MAX_SAFE_INTEGER;
  const slice = (b: number, e: number) => one(c, 'Slice', [p, c.ints([b]), c.ints([e]), c.ints([1])]);
  const classes = one(c, 'Concat', [slice(0, bg), slice(bg + 1, big)], { axis: 1 });
  // The loop's start (score -1, id -1) is a row before the classes: only a larger probability beats it; NaN never does.
  const noNan = one(c, 'Where', [one(c, 'IsNaN', [classes]), num(c, -Infinity), classes]);
  const start = one(c, 'ConstantOfShape', [one(c, 'Concat', [dims(c, p, 0, 1), c.ints([1]), dims(c, p, 2, 3)], { axis: 0 })], { value: { tensor: tensorFromNumbers('float64', [1], [-1]) } });
  const all = one(c, 'Concat', [start, noNan], { axis: 1 });
  // ArgMax takes the first maximum (the loop's strict >).
  const id = one(c, 'Sub', [one(c, 'ArgMax', [all], { axis: 1, keepdims: 0, select_last_index: 0 }), c.scalar(1, 'int64')]);
  return [id, one(c, 'ReduceMax', [all, c.ints([1])], { keepdims: 0 })];
}

/** Lowers MultiBoxDetection (clsProb [B, C, N], locPred [B, 4N], anchor [1, N, 4]) to rows [B, N, 6]. */
export function lowerMultiBoxDetection(c: LowerCtx, a: DetLowerA): void {
  const [cpIn, lpIn, anIn] = c.inputs as [string, string, string];
  const [cp, lp0, an] = [cpIn, lpIn, anIn].map((x, i) => f64(c, x, c.inTypes[i]!.dtype)) as [string, string, string];
  const [id, score] = bestClass(c, cp, a.backgroundId);
  const valid = one(c, 'And', [one(c, 'GreaterOrEqual', [id, c.scalar(0, 'int64')]), one(c, 'Not', [one(c, 'Less', [score, num(c, a.threshold)])])]);
  // TransformLocations, in the kernel's order of operations.
  const lp = one(c, 'Reshape', [lp0, one(c, 'Concat', [dims(c, cp, 0, 1), dims(c, cp, 2, 3), c.ints([4])], { axis: 0 })]);
  const [al, at, ar, ab] = [0, 1, 2, 3].map((k) => column(c, an, k)) as [string, string, string, string];
  const [px, py, pw, ph] = [0, 1, 2, 3].map((k) => column(c, lp, k)) as [string, string, string, string];
  const [vx, vy, vw, vh] = a.variances.map((v) => num(c, v)) as [string, string, string, string];
  const op = (o: string, x: string, y: string) => one(c, o, [x, y]);
  const [aw, ah, two] = [op('Sub', ar, al), op('Sub', ab, at), num(c, 2)];
  const ox = op('Add', op('Mul', op('Mul', px, vx), aw), op('Div', op('Add', al, ar), two));
  const oy = op('Add', op('Mul', op('Mul', py, vy), ah), op('Div', op('Add', at, ab), two));
  const ow = op('Div', op('Mul', one(c, 'Exp', [op('Mul', pw, vw)]), aw), two);
  const oh = op('Div', op('Mul', one(c, 'Exp', [op('Mul', ph, vh)]), ah), two);
  // clip: Math.max(0, Math.min(1, v)): ≤ 0 (−0 too) is 0, ≥ 1 is 1, NaN stays.
  const cl = (v: string) => (a.clip ? one(c, 'Where', [one(c, 'LessOrEqual', [v, num(c, 0)]), num(c, 0), one(c, 'Where', [one(c, 'GreaterOrEqual', [v, num(c, 1)]), num(c, 1), v])]) : v);
  const coords = [cl(op('Sub', ox, ow)), cl(op('Sub', oy, oh)), cl(op('Add', ox, ow)), cl(op('Add', oy, oh))];
  const rows = one(c, 'Concat', [one(c, 'Cast', [id], { to: F64 }), score, ...coords].map((v) => unsq(c, v, 2)), { axis: 2 });
  // The valid rows first in anchor order, the rest -1.
  const pos = positions(c, cp, 2);
  const rowsShape = [c.inTypes[0]!.shape[0]!, c.inTypes[0]!.shape[2]!];
  const nValid = countTrue(c, valid);
  const head = (n: string) => one(c, 'Less', [pos, n]);
  const minus1 = num(c, -1);
  const tmp = one(c, 'Where', [unsq(c, head(nValid), 2), takeRows(c, rows, frontFirst(c, valid, pos, rowsShape), 1), minus1]);
  let out = tmp;
  if (a.nmsThreshold > 0 && a.nmsThreshold <= 1) {
    const isId = c.constant(tensorFromNumbers('bool', [6], [1, 0, 0, 0, 0, 0]));
    const [order] = sortByScore(c, column(c, tmp, 1), head(nValid), rowsShape);
    const keep = a.nmsTopk > 0 ? one(c, 'Where', [one(c, 'Less', [nValid, c.scalar(a.nmsTopk, 'int64')]), nValid, c.scalar(a.nmsTopk, 'int64')]) : nValid;
    const cand = head(keep);
    // The first `keep` rows sorted; the valid rows after them keep their unsorted values with id -1.
    const o = one(c, 'Where', [unsq(c, cand, 2), takeRows(c, tmp, order, 1), one(c, 'Where', [isId, minus1, tmp])]);
    const boxes = [2, 3, 4, 5].map((k) => column(c, o, k));
    const alive = greedy(c, { boxes, fmt: 'corner', cls: a.forceSuppress ? null : column(c, o, 0), cand, thresh: a.nmsThreshold, rule: 'detection', pos });
    const suppressed = one(c, 'And', [cand, one(c, 'Not', [alive])]);
    out = one(c, 'Where', [one(c, 'And', [unsq(c, suppressed, 2), isId]), minus1, o]);
  }
  const d = c.outTypes[0]!.dtype;
  c.emit(d === 'float64' ? 'Identity' : 'Cast', [out], d === 'float64' ? {} : { to: onnxDType(d) }, c.outputs);
}

/** box_iou: lhs [..., 4] × rhs [..., 4] → lhs.shape[:-1] + rhs.shape[:-1] (by broadcasting, no reshape), in float64 as the kernel. */
export function lowerBoxIou(c: LowerCtx, fmt: BoxFormat): void {
  const [l, r] = c.inputs.map((x, i) => f64(c, x, c.inTypes[i]!.dtype)) as [string, string];
  // lhs's columns get rhs's rank − 1 trailing axes of 1.
  const extra = Array.from({ length: c.inTypes[1]!.shape.length - 1 }, (_v, i) => c.inTypes[0]!.shape.length - 1 + i);
  const p = [0, 1, 2, 3].map((k) => one(c, 'Unsqueeze', [column(c, l, k), c.ints(extra)]));
  const q = [0, 1, 2, 3].map((k) => column(c, r, k));
  const inter = intersection(c, p, q, fmt);
  const iou = one(c, 'Div', [inter, one(c, 'Sub', [one(c, 'Add', [area(c, p, fmt), area(c, q, fmt)]), inter])]);
  // compute_overlap: no overlap is 0, before the areas are read.
  const out = one(c, 'Where', [one(c, 'LessOrEqual', [inter, num(c, 0)]), num(c, 0), iou]);
  const d = c.outTypes[0]!.dtype;
  c.emit(d === 'float64' ? 'Identity' : 'Cast', [out], d === 'float64' ? {} : { to: onnxDType(d) }, c.outputs);
}

/** MultiBoxTarget's attributes (multibox.ts' TargetA; minimumNegativeSamples is unused, as in MXNet's CPU loop). */
export interface TargetLowerA {
  overlapThreshold: number;
  ignoreLabel: number;
  negativeMiningRatio: number;
  negativeMiningThresh: number;
  variances: number[];
}

/** Each anchor's background probability [B, N]: the kernel's softmax (max, then the sum of exps in class order). */
function backgroundProb(c: LowerCtx, p: string, classes: number | string): string {
  const cls = (k: number) => one(c, 'Gather', [p, c.scalar(k, 'int64')], { axis: 1 });
  if (typeof classes !== 'number') {
    // Unknown class count: ReduceMax and ReduceSum (the sum's order is onnxruntime's).
    const mx = one(c, 'ReduceMax', [p, c.ints([1])], { keepdims: 1 });
    const e = one(c, 'Exp', [one(c, 'Sub', [p, mx])]);
    return one(c, 'Squeeze', [one(c, 'Div', [one(c, 'Slice', [e, c.ints([0]), c.ints([1]), c.ints([1])]), one(c, 'ReduceSum', [e, c.ints([1])], { keepdims: 1 })]), c.ints([1])]);
  }
  const cols = Array.from({ length: classes }, (_v, k) => cls(k));
  let mx = cols[0]!;
  for (const x of cols.slice(1)) mx = one(c, 'Max', [mx, x]);
  const exps = cols.map((x) => one(c, 'Exp', [one(c, 'Sub', [x, mx])]));
  let sum = exps[0]!;
  for (const x of exps.slice(1)) sum = one(c, 'Add', [sum, x]);
  return one(c, 'Div', [exps[0]!, sum]);
}

/**
 * Lowers MultiBoxTarget (anchor [1, N, 4], label [B, M, W], clsPred [B, C, N]) to locTarget [B, 4N],
 * locMask [B, 4N], clsTarget [B, N], as MultiBoxTargetForward's loop (multibox.ts' targetImage): the
 * greedy matching is a `Loop` of M steps (each takes every image's largest remaining IoU pair, the first in
 * anchor-major order, while it is > 1e-6), hard negative mining one ascending `TopK` of the background
 * probabilities (ties in anchor order). What the kernel refuses by value (a padding row with other
 * coordinates than -1, fewer mining candidates than wanted) a graph cannot: there a padding row is one
 * whose class is -1, and the negatives are at most the candidates.
 */
export function lowerMultiBoxTarget(c: LowerCtx, a: TargetLowerA): void {
  const [an, lb, cp] = c.inputs.map((x, i) => f64(c, x, c.inTypes[i]!.dtype)) as [string, string, string];
  const ninf = num(c, -Infinity);
  const op = (o: string, x: string, y: string) => one(c, o, [x, y]);
  // The gts: label rows before the first class -1.
  const padSeen = one(c, 'CumSum', [one(c, 'Cast', [op('Equal', column(c, lb, 0), num(c, -1))], { to: F64 }), c.scalar(1, 'int64')]);
  const isGt = op('Equal', padSeen, num(c, 0));
  const hasGt = op('Greater', countTrue(c, isGt), c.scalar(0, 'int64'));
  // IoU [B, N, M] (multibox_target-inl.h's safe_divide: a zero union is 0); a padding gt or NaN is -inf (never chosen).
  const ab = [0, 1, 2, 3].map((k) => unsq(c, column(c, an, k), -1));
  const gb = [1, 2, 3, 4].map((k) => unsq(c, column(c, lb, k), 1));
  const inter = intersection(c, ab, gb, 'corner');
  const u = op('Sub', op('Add', area(c, ab, 'corner'), area(c, gb, 'corner')), inter);
  const raw = one(c, 'Where', [op('Equal', u, num(c, 0)), num(c, 0), op('Div', inter, u)]);
  const iou = one(c, 'Where', [op('And', unsq(c, isGt, 1), one(c, 'Not', [one(c, 'IsNaN', [raw])])), raw, ninf]);
  const [bDim, nDim, mDim] = [dims(c, lb, 0, 1), dims(c, an, 1, 2), dims(c, lb, 1, 2)];
  const bn = one(c, 'Concat', [bDim, nDim], { axis: 0 });
  const posN = positions(c, an, 1);
  const posM = positions(c, lb, 1);
  // M as a divisor (onnxruntime refuses a constant 0 divisor when it loads; with M 0 the loop takes no step).
  const mAtLeast1 = op('Max', mDim, c.ints([1]));
  // Greedy matching: each step every image's largest IoU among unmatched anchors and gts (the first in anchor-major order).
  const flatShape = one(c, 'Concat', [bDim, op('Mul', nDim, mDim)], { axis: 0 });
  const body = c.graph([{ dtype: 'int64', shape: [] }, { dtype: 'bool', shape: [] }, { dtype: 'bool' }, { dtype: 'bool' }, { dtype: 'int64' }], ([, cond, matched, done, gt]) => {
    const masked = one(c, 'Where', [op('Or', unsq(c, matched!, -1), unsq(c, done!, 1)), ninf, iou]);
    const flatIou = one(c, 'Reshape', [masked, flatShape]);
    const idx = one(c, 'ArgMax', [flatIou], { axis: 1, keepdims: 1, select_last_index: 0 });
    const found = op('Greater', one(c, 'GatherElements', [flatIou, idx], { axis: 1 }), num(c, 1e-6));
    const [j, k] = [op('Div', idx, mAtLeast1), op('Mod', idx, mAtLeast1)];
    const hitA = op('And', found, op('Equal', posN, j));
    return [
      { name: cond!, dtype: 'bool', shape: [] },
      { name: op('Or', matched!, hitA), dtype: 'bool' },
      { name: op('Or', done!, op('And', found, op('Equal', posM, k))), dtype: 'bool' },
      { name: one(c, 'Where', [hitA, k, gt!]), dtype: 'int64' },
    ];
  });
  const bm = one(c, 'Concat', [bDim, mDim], { axis: 0 });
  const falses = (shape: string) => one(c, 'ConstantOfShape', [shape], { value: { tensor: tensorFromNumbers('bool', [1], [0]) } });
  const zerosI = one(c, 'ConstantOfShape', [bn], { value: { tensor: tensorFromNumbers('int64', [1], [0]) } });
  // M steps at most (one gt each); none without anchors (no pair to take).
  const steps = one(c, 'Squeeze', [op('Mul', mDim, op('Min', nDim, c.ints([1]))), c.ints([0])]);
  const [greedyPos, , greedyGt] = c.emit('Loop', [steps, '', falses(bn), falses(bm), zerosI], { body }, 3) as [string, string, string];
  // Every anchor's best gt (the first largest IoU; a -inf column after the gts answers "none").
  const withNone = one(c, 'Concat', [iou, one(c, 'ConstantOfShape', [one(c, 'Concat', [bn, c.ints([1])], { axis: 0 })], { value: { tensor: tensorFromNumbers('float64', [1], [-Infinity]) } })], { axis: 2 });
  const bestGt = one(c, 'ArgMax', [withNone], { axis: 2, keepdims: 1, select_last_index: 0 });
  const bestIou0 = one(c, 'Squeeze', [one(c, 'GatherElements', [withNone, bestGt], { axis: 2 }), c.ints([2])]);
  const bestIou = one(c, 'Where', [op('Greater', bestIou0, num(c, -1)), bestIou0, num(c, -1)]);
  let positive = greedyPos;
  if (a.overlapThreshold > 0) positive = op('Or', positive, op('Greater', bestIou, num(c, a.overlapThreshold)));
  const gtOf = one(c, 'Where', [greedyPos, greedyGt, one(c, 'Squeeze', [bestGt, c.ints([2])])]);
  let negative: string;
  if (a.negativeMiningRatio > 0) {
    // ⌊positives × ratio⌋, at most the other anchors; the candidates' lowest background probabilities (ties: anchor order).
    const nPos = one(c, 'Cast', [countTrue(c, positive)], { to: F64 });
    const want = one(c, 'Min', [one(c, 'Floor', [op('Mul', nPos, num(c, a.negativeMiningRatio))]), op('Sub', one(c, 'Cast', [nDim], { to: F64 }), nPos)]);
    const cand = op('And', one(c, 'Not', [positive]), op('Less', bestIou, num(c, a.negativeMiningThresh)));
    // A NaN probability after every number (the kernel's rule), the other anchors after all candidates.
    const prob = backgroundProb(c, cp, c.inTypes[2]!.shape[1]!);
    const key = one(c, 'Where', [cand, one(c, 'Where', [one(c, 'IsNaN', [prob]), num(c, 1.5), prob]), num(c, 2)]);
    const order = topAll(c, key, false, [c.inTypes[1]!.shape[0]!, c.inTypes[0]!.shape[1]!])[1];
    const rank = one(c, 'ScatterElements', [zerosI, order, one(c, 'Expand', [posN, bn])], { axis: 1 });
    negative = op('And', cand, op('Less', one(c, 'Cast', [rank], { to: F64 }), want));
  } else negative = one(c, 'Not', [positive]);
  negative = op('And', negative, hasGt);
  // The matched gt rows (a zero row after the gts for the anchors without one), encoded as AssignLocTargets.
  const padded = one(c, 'Pad', [lb, c.ints([0, 0, 0, 0, 1, 0])]);
  const rows = takeRows(c, padded, one(c, 'Where', [positive, gtOf, c.scalar(0, 'int64')]), 1);
  const [al, at, ar, abt] = [0, 1, 2, 3].map((k) => column(c, an, k)) as [string, string, string, string];
  const [gl, gt, gr, gbt] = [1, 2, 3, 4].map((k) => column(c, rows, k)) as [string, string, string, string];
  const [vx, vy, vw, vh] = a.variances.map((v) => num(c, v)) as [string, string, string, string];
  const two = num(c, 2);
  const [aw, ah, gw, gh] = [op('Sub', ar, al), op('Sub', abt, at), op('Sub', gr, gl), op('Sub', gbt, gt)];
  const centre = (p: string, q: string, r: string, s: string, size: string, v: string) => op('Div', op('Div', op('Sub', op('Div', op('Add', p, q), two), op('Div', op('Add', r, s), two)), size), v);
  const enc = [centre(gl, gr, al, ar, aw, vx), centre(gt, gbt, at, abt, ah, vy), op('Div', one(c, 'Log', [op('Div', gw, aw)]), vw), op('Div', one(c, 'Log', [op('Div', gh, ah)]), vh)];
  const pos3 = unsq(c, positive, -1);
  const flat4 = one(c, 'Concat', [bDim, op('Mul', nDim, c.ints([4]))], { axis: 0 });
  const b4 = one(c, 'Concat', [bn, c.ints([4])], { axis: 0 });
  const locT = one(c, 'Reshape', [one(c, 'Where', [pos3, one(c, 'Concat', enc.map((v) => unsq(c, v, -1)), { axis: -1 }), num(c, 0)]), flat4]);
  const locM = one(c, 'Reshape', [one(c, 'Expand', [one(c, 'Where', [pos3, num(c, 1), num(c, 0)]), b4]), flat4]);
  const clsT = one(c, 'Where', [positive, op('Add', column(c, rows, 0), num(c, 1)), one(c, 'Where', [negative, num(c, 0), num(c, a.ignoreLabel)])]);
  [locT, locM, clsT].forEach((v, i) => {
    const d = c.outTypes[i]!.dtype;
    c.emit(d === 'float64' ? 'Identity' : 'Cast', [v], d === 'float64' ? {} : { to: onnxDType(d) }, [c.outputs[i]!]);
  });
}
