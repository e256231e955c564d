/**
 * Dimension arithmetic and shape rules shared by operators: numpy
 * broadcasting, axis normalization, and products/quotients of symbolic
 * dimensions (kept as monomials such as `'N*T'` or `'12*N'`).
 */
import { formatShape, sizeOf } from '../../runtime/tensor.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { OpError } from './errors.js';

interface Mono {
  coef: number;
  syms: string[];
}

function parse(d: Dim): Mono {
  if (typeof d === 'number') return { coef: d, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of d.split('*')) {
    const n = Number(part);
    if (part !== '' && Number.isFinite(n)) coef *= n;
    else syms.push(part);
  }
  return { coef, syms: syms.sort() };
}

function format(m: Mono): Dim {
  if (!m.syms.length || m.coef === 0) return m.coef;
  return m.coef === 1 ? m.syms.join('*') : `${m.coef}*${m.syms.join('*')}`;
}

/** The product of dimensions. Example: `mulDims(['N', 3, 4]) === '12*N'`. */
export function mulDims(dims: readonly Dim[]): Dim {
  const m: Mono = { coef: 1, syms: [] };
  for (const d of dims) {
    const p = parse(d);
    m.coef *= p.coef;
    m.syms.push(...p.syms);
  }
  m.syms.sort();
  return format(m);
}

/** `a / b` when it divides exactly, else undefined. Example: `divDim('12*N', 4) === '3*N'`. */
export function divDim(a: Dim, b: Dim): Dim | undefined {
  const pa = parse(a);
  const pb = parse(b);
  if (pb.coef === 0 || pa.coef % pb.coef !== 0) return undefined;
  const syms = [...pa.syms];
  for (const s of pb.syms) {
    const k = syms.indexOf(s);
    if (k < 0) return undefined;
    syms.splice(k, 1);
  }
  return format({ coef: pa.coef / pb.coef, syms });
}

/** `a + b`; symbolic sums are kept as opaque names. Example: `addDims(2, 3) === 5`. */
export function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `(${a}+${b})`;
}

/** True when two dimensions are known to be equal. */
export function sameDim(a: Dim, b: Dim): boolean {
  return typeof a === 'number' && typeof b === 'number' ? a === b : String(format(parse(a))) === String(format(parse(b)));
}

/** Normalizes an axis against a rank (negative counts from the end); an out-of-range axis is an OpError. */
export function normAxis(op: string, axis: number, rank: number, types?: TensorType[]): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new OpError(op, `axis ${axis} is out of range for rank ${rank}`, types);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalizes an axis for insertion (range [-rank-1, rank]). */
export function normInsertAxis(op: string, axis: number, rank: number, types?: TensorType[]): number {
  return normAxis(op, axis, rank + 1, types);
}

/**
 * The axes an `axis` option selects: all when null/undefined, MXNet's
 * `exclude` inverts the set. Sorted, unique, non-negative.
 */
export function reduceAxes(op: string, axis: number | number[] | null | undefined, rank: number, exclude = false, types?: TensorType[]): number[] {
  let axes: number[];
  if (axis === null || axis === undefined) axes = [...Array(rank).keys()];
  else {
    const list = Array.isArray(axis) ? axis : [axis];
    axes = list.map((a) => normAxis(op, a, rank, types));
    if (new Set(axes).size !== axes.length) throw new OpError(op, `axis ${JSON.stringify(axis)} repeats an axis`, types);
  }
  axes.sort((a, b) => a - b);
  if (exclude && axis !== null && axis !== undefined) axes = [...Array(rank).keys()].filter((a) => !axes.includes(a));
  return axes;
}

/**
 * The numpy broadcast of shapes; an OpError naming every shape when they do
 * not broadcast. Symbolic dimensions broadcast with 1 and with themselves.
 */
export function broadcastShapes(op: string, shapes: Shape[], types?: TensorType[]): Shape {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k]!;
      if (e === 1 || sameDim(e, d)) continue;
      if (d === 1) d = e;
      else if (typeof d === 'number' && typeof e === 'number') {
        throw new OpError(op, `shapes ${shapes.map(formatShape).join(' and ')} do not broadcast`, types);
      } else if (typeof d === 'string' && typeof e === 'number') d = e;
      // two different symbols: assume equal (the runtime checks)
    }
    out.push(d);
  }
  return out;
}

/** Total element count when concrete. */
export function concreteSize(shape: Shape): number | undefined {
  const n = mulDims(shape);
  return typeof n === 'number' ? n : undefined;
}

/**
 * An option's value as JSON for an error message, NaN written as NaN and
 * followed by its usual cause while tracing (arithmetic on a symbolic
 * `x.shape` entry). Example: `optionText([NaN, -1])`.
 */
export function optionText(v: unknown): string {
  let nan = false;
  let name: string | null = null;
  const text = String(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && Number.isNaN(x) ? ((nan = true), '__NaN__') : (typeof x === 'string' && (name ??= x), x)))).replace(/"__NaN__"/g, 'NaN');
  if (nan) return `${text}: NaN comes from arithmetic on a symbolic dimension (x.shape[k] is a name such as 'N' while tracing); read sizes with F.shapeArray(x, { axis })`;
  return name !== null ? `${text}: a name such as '${name}' is a symbolic dimension (x.shape[k] while exporting), which this option cannot take; read sizes with F.shapeArray(x, { axis })` : text;
}

/** Requires an integer list option. */
export function intList(op: string, name: string, v: unknown): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => Number.isInteger(x))) {
    throw new OpError(op, `option '${name}' must be an integer or a list of integers, got ${optionText(v)}`);
  }
  return list as number[];
}

/** Splits a concrete shape at `axis` into (outer, n, inner) element counts. Example: `splitAt([2, 3, 4], 1)` is `{ outer: 2, n: 3, inner: 4 }`. */
export function splitAt(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), n: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}
