/**
 * The element-wise and shape operators of ONNX applied to shape values (see
 * context.ts): exporters compute Reshape/Expand targets with Mul, Add, Sub,
 * Div, Cast, Shape, Reshape, Equal, Where and ReduceProd (`x.numel()`) on the output of Shape; on
 * symbolic dimensions these give named expressions (`(N*2)`) or constants,
 * and never reach the graph. Each builder returns null when its inputs are
 * ordinary values, so the operator's own importer maps it.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { dtypeOf, type ImportCtx } from './context.js';

/**
 * Cast of a shape value keeps it a shape value (int64 -> int32 and back); to
 * float32/float64/float16 too, as a float shape value (the dynamo exporter's
 * `Range(0.0, Cast<float>(H * 2), 1.0)` for nearest-exact resizing), which a
 * Range reads as its bound and a Cast back to an integer makes a shape
 * again; any other use computes it as a float tensor when the graph runs.
 */
function castShape(c: ImportCtx): Value[] | null {
  const sym = c.symbolicInput(0, true);
  if (!sym) return null;
  c.attr.ignore('saturate', 'round_mode');   // float8 targets only (elementwise.ts's Cast)
  const to = dtypeOf(c, c.attr.int('to', 0), 'attribute to');
  if (to === 'int64' || to === 'int32') return [c.shapeValue(sym.dims, sym.rank0)];
  if (to === 'float32' || to === 'float64' || to === 'float16') return [c.shapeValue(sym.dims, sym.rank0, to)];
  // To another dtype it is data: the Cast importer computes it (context.ts materializes the shape).
  return null;
}

/** Integer arithmetic on shape values (N * heads, ...): numbers computed, symbolic entries become named expressions. */
function shapeArithmetic(sign: string, f: (a: number, b: number) => number): (c: ImportCtx) => Value[] | null {
  return (c) => {
    const [sa, sb] = [c.symbolicInput(0), c.symbolicInput(1)];
    if (!sa && !sb) return null;
    // With a tensor computed at run time (dynamo's adaptive pooling: window starts times H), computed then too.
    if ((!sa && !c.data(0)) || (!sb && !c.data(1))) return null;
    const a = sa?.dims ?? c.dims(0)!;
    const b = sb?.dims ?? c.dims(1)!;
    const n = Math.max(a.length, b.length);
    if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) throw c.refuse(`shape arithmetic on lists of ${a.length} and ${b.length} entries`);
    const dims = Array.from({ length: n }, (_v, i): Dim => {
      const [x, y] = [a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!];
      return typeof x === 'number' && typeof y === 'number' ? f(x, y) : `(${x}${sign}${y})`;
    });
    const rank0 = (sa?.rank0 ?? c.data(0)?.shape.length === 0) && (sb?.rank0 ?? c.data(1)?.shape.length === 0);
    return [c.shapeValue(dims, rank0)];
  };
}

/** Shape of a shape value: its length (a constant). */
function shapeOfShape(c: ImportCtx): Value[] | null {
  const sym = c.symbolicInput(0);
  if (!sym) return null;
  if (c.attr.has('start') || c.attr.has('end')) throw c.refuse('start/end on a shape computed from symbolic dimensions');
  return [c.constant(tensorFromNumbers('int64', [sym.rank0 ? 0 : 1], sym.rank0 ? [] : [sym.dims.length]))];
}

/** Reshape of a shape value to a list ([-1], [n]) or a scalar ([]): the same entries. */
function reshapeShape(c: ImportCtx): Value[] | null {
  const sym = c.symbolicInput(0);
  if (!sym) return null;
  const target = c.numbers(1, 'shape')!;
  // The targets taken below hold no 0 but a list's own length: allowzero changes nothing.
  c.attr.ignore('allowzero');
  const n = sym.dims.length;
  if (target.length === 0 && n === 1) return [c.shapeValue(sym.dims, true)];
  if (target.length === 1 && (target[0] === -1 || target[0] === n)) return [c.shapeValue(sym.dims)];
  throw c.refuse(`reshaping a shape [${sym.dims.join(', ')}] to [${target.join(', ')}]`);
}

/**
 * Equal of a shape value and constants (torch's expand: which entries are -1):
 * a symbolic dimension is a size, so it equals no negative number; any other
 * comparison (a batch size checked against 1) is computed when the graph runs
 * (null: the plain Equal, its shape input read from the graph inputs).
 */
function equalShape(c: ImportCtx): Value[] | null {
  const [sa, sb] = [c.symbolicInput(0), c.symbolicInput(1)];
  if (!sa && !sb) return null;
  const a = sa?.dims ?? c.dims(0)!;
  const b = sb?.dims ?? c.dims(1)!;
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)) throw c.refuse(`comparing lists of ${a.length} and ${b.length} entries`);
  const out = Array.from({ length: n }, (_v, i): number | null => {
    const [x, y] = [a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!];
    if (typeof x === 'number' && typeof y === 'number') return x === y ? 1 : 0;
    if (x === y) return 1;
    const num = typeof x === 'number' ? x : typeof y === 'number' ? y : null;
    return num !== null && num < 0 ? 0 : null;
  });
  if (out.includes(null)) return null;
  const rank0 = (sa?.rank0 ?? c.data(0)?.shape.length === 0) && (sb?.rank0 ?? c.data(1)?.shape.length === 0);
  return [c.constant(tensorFromNumbers('bool', rank0 ? [] : [n], out as number[]))];
}

/** Where with a constant condition choosing between shape values (and constants): a shape value. */
function whereShape(c: ImportCtx): Value[] | null {
  const [sa, sb] = [c.symbolicInput(1), c.symbolicInput(2)];
  if (!sa && !sb) return null;
  const cond = c.numbers(0, 'the condition (choosing between shape entries)')!;
  const a = sa?.dims ?? c.dims(1)!;
  const b = sb?.dims ?? c.dims(2)!;
  const n = Math.max(cond.length, a.length, b.length);
  const at = (l: readonly unknown[], i: number) => l[l.length === 1 ? 0 : i];
  if ([cond, a, b].some((l) => l.length !== n && l.length !== 1)) throw c.refuse(`choosing among lists of ${cond.length}, ${a.length} and ${b.length} entries`);
  return [c.shapeValue(Array.from({ length: n }, (_v, i) => (at(cond, i) ? at(a, i) : at(b, i)) as Dim))];
}

/** ReduceProd of a 1-D shape value over its one axis (torch's `x.numel()`): the product of the dimensions, a named expression where symbolic. */
function reduceProdShape(c: ImportCtx): Value[] | null {
  const sym = c.symbolicInput(0);
  if (!sym || sym.rank0) return null;
  const axes = c.opset < 18 ? c.attr.ints('axes') : c.has(1) ? c.numbers(1, 'axes') : null;
  if (axes && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1))) return null;
  // No axes with noop_with_empty_axes: the identity (ReduceProd's own importer).
  if (!axes?.length && c.attr.int('noop_with_empty_axes', 0) === 1) return null;
  const d = sym.dims.reduce<Dim>((p, q) => (typeof p === 'number' && typeof q === 'number' ? p * q : p === 1 ? q : `(${p}*${q})`), 1);
  return [c.shapeValue([d], c.attr.int('keepdims', 1) === 0)];
}

/** Builders that also accept shape values for the element-wise operators of the same name. */
export const SHAPE_AWARE: Record<string, (c: ImportCtx) => Value[] | null> = {
  Mul: shapeArithmetic('*', (a, b) => a * b),
  Add: shapeArithmetic('+', (a, b) => a + b),
  Sub: shapeArithmetic('-', (a, b) => a - b),
  Div: shapeArithmetic('/', (a, b) => Math.trunc(a / b)),
  Cast: castShape,
  ReduceProd: reduceProdShape,
  Shape: shapeOfShape,
  Reshape: reshapeShape,
  Equal: equalShape,
  Where: whereShape,
  Identity: (c) => {
    const sym = c.symbolicInput(0);
    return sym ? [c.shapeValue(sym.dims, sym.rank0)] : null;
  },
};
