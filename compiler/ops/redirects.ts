/**
 * Calls an operator hands to another while tracing (`OpDef.redirect`), where
 * a size of another traced tensor (a SymbolicDim while exporting) makes an
 * operator that reads it when the graph runs the right one: reshape to a
 * tensor's whole shape is reshapeLike; a slice up to another tensor's size
 * is a take of an arange.
 */
import { opCall, type OpCall } from './define.js';
import { requireDimAtTrace } from './dim-constraints.js';
import { isSymbolicDim, type SymbolicDim } from './symbolic-dim.js';

/**
 * `reshape(x, y.shape)` (or its numbers one by one) where the target is the
 * whole shape of another traced tensor `y` with symbolic sizes: `reshapeLike(x, y)`,
 * which needs no size of `x` to tell them apart (d2l's masked_softmax reshapes
 * `[N*Q, K]` back to `[N, Q, K]`). Anything else: null.
 */
export function reshapeToShapeOf(args: unknown[]): OpCall | null {
  const [x, first, ...rest] = args;
  const target = Array.isArray(first) && rest.every((r) => r === undefined) ? (first as unknown[]) : [first, ...rest];
  const dims = target.filter(isSymbolicDim);
  const y = dims[0]?.source as { shape: unknown[] } | undefined;
  if (!y || y === x || !dims.every((d) => d.source === y) || y.shape.length !== target.length) return null;
  return target.every((t, i) => (isSymbolicDim(t) ? t.axis === i : t === y.shape[i])) ? opCall('reshapeLike', [x, y]) : null;
}

/**
 * While tracing, a slice up to another tensor's symbolic size (d2l's
 * `P[:, :X.shape[1], :]`, `end` of one axis a SymbolicDim that is not the
 * axis's own size) is a take of `arange(begin, end)` along that axis (mode
 * 'raise'), read when the graph runs; other slices run as declared.
 */
export function sliceUpToSizeOf(op: 'slice' | 'sliceAxis') {
  const names = op === 'slice' ? ['begin', 'end', 'step'] : ['axis', 'begin', 'end'];
  return (args: unknown[]): OpCall | null => {
    const x = args[0] as { shape: unknown[] };
    const o = positionalAsOptions(args.slice(1), names);
    if (!o) return null;
    const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
    const ends = op === 'slice' ? list(o['end']) : [o['end']];
    const ks = ends.flatMap((e, k) => (isSymbolicDim(e) ? [k] : []));
    if (ks.length !== 1) return null;
    const k = ks[0]!;
    const end = ends[k] as SymbolicDim;
    const axis = op === 'slice' ? k : (o['axis'] as number);
    const begin = op === 'slice' ? list(o['begin'])[k] : o['begin'];
    const step = op === 'slice' ? list(o['step'] ?? [])[k] : 1;
    const size = Number.isInteger(axis) ? x.shape[axis < 0 ? axis + x.shape.length : axis] : undefined;
    if ((isSymbolicDim(size) && size.dimName === end.dimName) || !(begin === null || begin === undefined || (Number.isInteger(begin) && (begin as number) >= 0)) || !(step === null || step === undefined || step === 1)) return null;
    // The rows must exist (numpy would clip the slice, and the next operator would then fail on the shape): the artifact checks the run's size.
    if (typeof size === 'number') {
      const why = `a slice up to another tensor's size takes rows ${begin ?? 0}..${end.dimName}-1 of axis ${axis}, which has ${size}`;
      requireDimAtTrace({ op, dim: end.dimName, cmp: '<=', value: size, why, fail: (d) => `${why}, not ${d}` });
    }
    const rows = opCall('arange', [begin ?? 0, end, 1, { dtype: 'int64' }]);
    const rest = op === 'slice' ? opCall('slice', [x, { ...o, begin: list(o['begin']).map((b, i) => (i === k ? null : b)), end: ends.map((e, i) => (i === k ? null : e)) }]) : x;
    return opCall('take', [rest, rows, { axis, mode: 'raise' }]);
  };
}

/**
 * The options of a call whose options may come positionally in `names`'
 * order (MXNet's `slice_axis(data, axis, begin, end)`), as one object: the
 * values given, then the trailing options object's keys (parseCall refuses
 * a key given both ways, so that form is null here too). Null for any other form.
 */
function positionalAsOptions(rest: unknown[], names: string[]): Record<string, unknown> | null {
  const last = rest[rest.length - 1];
  const hasObject = last !== null && typeof last === 'object' && !Array.isArray(last) && !isSymbolicDim(last);
  const values = hasObject ? rest.slice(0, -1) : rest;
  if (values.length > names.length || (!hasObject && !values.length)) return null;
  const o: Record<string, unknown> = hasObject ? { ...(last as Record<string, unknown>) } : {};
  for (const [i, v] of values.entries()) {
    if (o[names[i]!] !== undefined) return null; // given both ways: parseCall's Error
    o[names[i]!] = v;
  }
  return o;
}

/**
 * While tracing, `broadcastTo(x, shape)` whose target holds a symbolic size
 * that is not `x`'s own dimension at that axis (d2l's seq2seq decoder:
 * `np.broadcast_to(context, (X.shape[0], N, H))`, T from another input) is
 * `broadcastLike` of `x` (leading axes of 1 added up to the target's rank)
 * and `zeros(shape)`, whose sizes are read when the graph runs. A target
 * with 0 (keep) or fewer axes than `x` runs as declared (its Error). Anything else: null.
 */
export function broadcastToSizeOf(args: unknown[]): OpCall | null {
  const [x, first] = args as [{ shape: unknown[] }, unknown];
  const target = Array.isArray(first) ? first : first !== null && typeof first === 'object' && !isSymbolicDim(first) ? (first as { shape?: unknown }).shape : undefined;
  if (!Array.isArray(target) || args.length !== 2 || !Array.isArray(x?.shape)) return null;
  const off = target.length - x.shape.length;
  if (off < 0 || target.some((d) => d === 0)) return null;
  const foreign = target.some((d, k) => {
    if (!isSymbolicDim(d)) return false;
    const own = x.shape[k - off];
    return !(isSymbolicDim(own) || typeof own === 'string') || String(own) !== d.dimName;
  });
  if (!foreign) return null;
  let y: unknown = x;
  for (let i = 0; i < off; i++) y = opCall('expandDims', [y, { axis: 0 }]);
  return opCall('broadcastLike', [y, opCall('zeros', [target])]);
}
