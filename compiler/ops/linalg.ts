/**
 * Linear algebra operators: MXNet's `dot` and `batch_dot`, and `einsum`
 * (the dense layers' operators are in `dense.ts`, convolution in `conv.ts`).
 * Invariants: contractions lower to ONNX MatMul/Gemm/Einsum; shapes that
 * involve symbolic dimensions are rebuilt at runtime from `Shape` slices, so
 * every lowering depends only on input ranks.
 */
import type { DType } from '../../runtime/dtypes.js';
import { isFloat } from '../../runtime/dtypes.js';
import { sizeOf, type HostTensor } from '../../runtime/tensor.js';
import type { Attrs } from '../ir/node.js';
import type { Dim, Shape, TensorType } from '../ir/types.js';
import { defineOp, type GradCtx, type LowerCtx, type Method, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { broadcastShapes, sameDim } from './dims.js';
import { commonDType } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import type { GradOps, GradTensor } from './grad-ops.js';

const MATMUL_DTYPES: DType[] = ['float32', 'float64', 'float16', 'int32', 'int64'];
/** The float dtypes the dense operators take. */
export const FLOAT_DTYPES: DType[] = ['float32', 'float64', 'float16'];

/** A shape as text: `fmt([2, 'N'])` is `[2, N]`. */
export const fmt = (s: readonly Dim[]): string => `[${s.join(', ')}]`;

/** True when two dimensions may be equal (0 is an unknown parameter dimension; symbols are checked at runtime). Example: `compatible(0, 3)`. */
export function compatible(a: Dim, b: Dim): boolean {
  return a === 0 || b === 0 || typeof a === 'string' || typeof b === 'string' || sameDim(a, b);
}

/** The better-known of two dimensions that must be equal. Example: `pick(0, 3)` is 3. */
export function pick(a: Dim, b: Dim): Dim {
  if (a === 0) return b;
  if (b === 0) return a;
  return typeof a === 'number' ? a : b;
}

/** An int64 1-D slice `[start, end)` of `x`'s runtime shape. Example: `shapeSlice(c, c.inputs[0]!, 0, -1)`. */
export function shapeSlice(c: LowerCtx, x: string, start: number, end?: number): string {
  return c.emit('Shape', [x], { start, end })[0]!;
}

/** Axes 0..n-1. */
const range = (n: number): number[] => [...Array(n).keys()];

/** Transposes a row-major float64 array of `shape` by `perm`. Example: `permute(x, [2, 3], [1, 0])`. */
export function permute(x: Float64Array, shape: readonly number[], perm: readonly number[]): Float64Array {
  if (perm.every((p, i) => p === i)) return x;
  const rank = shape.length;
  const inStr = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStr[i] = s;
    s *= shape[i]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const str = perm.map((p) => inStr[p]!);
  const out = new Float64Array(x.length);
  const pos = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x[off]!;
    for (let k = rank - 1; k >= 0; k--) {
      pos[k]!++;
      off += str[k]!;
      if (pos[k]! < outShape[k]!) break;
      off -= str[k]! * pos[k]!;
      pos[k] = 0;
    }
  }
  return out;
}

/**
 * `batch` independent products `[m, k] x [k, n]` of row-major float64 arrays; `int32` accumulates
 * with int32 wrap-around (exact, where float64 sums past 2^53 lose low bits). Example: `matmulF64(a, b, 1, 2, 3, 4)`.
 */
export function matmulF64(a: Float64Array, b: Float64Array, batch: number, m: number, k: number, n: number, int32 = false): Float64Array {
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k;
    const bo = t * k * n;
    const oo = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const av = a[ao + i * k + p]!;
        if (av === 0) continue;
        const row = bo + p * n;
        const orow = oo + i * n;
        if (int32) for (let j = 0; j < n; j++) out[orow + j] = (out[orow + j]! + Math.imul(av, b[row + j]!)) | 0;
        else for (let j = 0; j < n; j++) out[orow + j]! += av * b[row + j]!;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- dot

type DotAttrs = Attrs & { transposeA: boolean; transposeB: boolean };

interface DotGeom {
  /** The contracted axis of lhs and of rhs. */
  lk: number;
  rk: number;
  /** lhs and rhs transposed so that lhs contracts its last axis and rhs its first. */
  lperm: number[];
  rperm: number[];
  out: Shape;
}

/** The dtypes onnxruntime's CPU Gemm takes. */
const GEMM_DTYPES: DType[] = ['float32', 'float64'];

/** MXNet `dot`: lhs contracts its last axis (its first with transposeA), rhs its first (its last with transposeB). */
function dotGeom(types: TensorType[], a: DotAttrs): DotGeom {
  const [l, r] = [types[0]!.shape, types[1]!.shape];
  if (!l.length || !r.length) throw new OpError('dot', 'needs inputs of rank 1 or more', types);
  const ra = l.length;
  const rb = r.length;
  const lk = a.transposeA ? 0 : ra - 1;
  const rk = a.transposeB ? rb - 1 : 0;
  if (!compatible(l[lk]!, r[rk]!)) {
    throw new OpError('dot', `inner dimensions do not match: lhs ${fmt(l)} axis ${lk} has ${l[lk]}, rhs ${fmt(r)} axis ${rk} has ${r[rk]}${a.transposeA || a.transposeB ? ` (transposeA=${a.transposeA}, transposeB=${a.transposeB})` : ''}`, types);
  }
  const lperm = [...range(ra).filter((i) => i !== lk), lk];
  const rperm = [rk, ...range(rb).filter((i) => i !== rk)];
  return { lk, rk, lperm, rperm, out: [...lperm.slice(0, -1).map((i) => l[i]!), ...rperm.slice(1).map((i) => r[i]!)] };
}

type DotSig = Method<(lhs: Tx, rhs: Tx, ...rest: PositionalOptions<{ transposeA?: boolean; transposeB?: boolean }, ['transposeA', 'transposeB']>) => Tx>;

/**
 * MXNet `dot`: contracts the last axis of `lhs` with the first axis of `rhs`
 * (result shape `lhs[:-1] + rhs[1:]`; two vectors give a scalar).
 * `transposeA` contracts lhs's first axis instead, `transposeB` rhs's last.
 * Example: `F.dot(x, w)` with x [N, 7], w [7, 5] gives [N, 5].
 */
export const dot: OpDef<DotSig, DotAttrs> = defineOp<DotSig, DotAttrs>({
  name: 'dot',
  inputs: ['lhs', 'rhs'],
  attrs: { transposeA: false, transposeB: false },
  positional: ['transposeA', 'transposeB'],
  method: true,
  infer: (types, a) => [{ dtype: commonDType('dot', types, MATMUL_DTYPES), shape: dotGeom(types, a).out }],
  solve: (types, a) => {
    const { lk, rk } = dotGeom(types, a);
    const [l, r] = [types[0]!.shape, types[1]!.shape];
    const fill = (s: Shape, k: number, d: Dim): Shape | undefined => (s[k] === 0 && d !== 0 ? s.map((x, i) => (i === k ? d : x)) : undefined);
    return [fill(l, lk, r[rk]!), fill(r, rk, l[lk]!)];
  },
  lower: (c, a) => {
    const g = dotGeom(c.inTypes, a);
    const ra = g.lperm.length;
    // Two matrices: Gemm's transA/transB read the operands transposed in place (no Transpose node).
    if (ra === 2 && g.rperm.length === 2 && GEMM_DTYPES.includes(c.inTypes[0]!.dtype)) {
      return void c.emit('Gemm', [c.inputs[0]!, c.inputs[1]!], { transA: a.transposeA ? 1 : 0, transB: a.transposeB ? 1 : 0 }, c.outputs);
    }
    const rb = g.rperm.length;
    const lhs = ra > 1 && g.lk !== ra - 1 ? c.emit('Transpose', [c.inputs[0]!], { perm: g.lperm })[0]! : c.inputs[0]!;
    const rhs = rb > 1 && g.rk !== 0 ? c.emit('Transpose', [c.inputs[1]!], { perm: g.rperm })[0]! : c.inputs[1]!;
    // MatMul already is MXNet's dot when rhs has rank 1 or 2.
    if (rb <= 2) return void c.emit('MatMul', [lhs, rhs], {}, c.outputs);
    const [flat] = c.emit('Reshape', [rhs, c.ints([0, -1])]);
    const [prod] = c.emit('MatMul', [lhs, flat!]);
    // Read at run time (the emitter's peephole makes it a constant when the shapes are known).
    const [target] = c.emit('Concat', [shapeSlice(c, lhs, 0, -1), shapeSlice(c, rhs, 1)], { axis: 0 });
    c.emit('Reshape', [prod!, target!], {}, c.outputs);
  },
  kernel: ([l, r], a, [out]) => {
    const g = dotGeom([l!, r!], a);
    const ls = l!.shape;
    const rs = r!.shape;
    const k = ls[g.lk]!;
    const lhs = permute(toF64(l!), ls, g.lperm);
    const rhs = permute(toF64(r!), rs, g.rperm);
    return [fromF64(out!, matmulF64(lhs, rhs, 1, sizeOf(ls) / Math.max(k, 1), k, sizeOf(rs) / Math.max(k, 1), out!.dtype === 'int32'))];
  },
  grad: (F, { inputs: [l, r], inTypes, attrs }, [g]) => {
    const a = attrs as DotAttrs;
    const [lt, rt] = inTypes as [TensorType, TensorType];
    if (!g) return [null, null];
    let dl: GradTensor;
    let dr: GradTensor;
    if (lt.shape.length === 2 && rt.shape.length === 2) {
      // Matrices: products with transpose flags (MatMul), as in batchDot.
      [dl, dr] = matmulGrads(F.dot, l!, r!, g, a);
    } else if (lt.shape.length === 1 && rt.shape.length === 1) {
      [dl, dr] = [F.mul(r!, g), F.mul(l!, g)];
    } else {
      // N-D: one einsum per operand over the contraction's labels.
      const { lk, rk } = dotGeom(inTypes, a);
      const ls = lt.shape.map((_d, i) => (i === lk ? 'z' : LETTERS[i]!));
      const rs = rt.shape.map((_d, j) => (j === rk ? 'z' : LETTERS[lt.shape.length + j]!));
      const out = [...ls.filter((c) => c !== 'z'), ...rs.filter((c) => c !== 'z')].join('');
      [dl, dr] = [F.einsum(`${out},${rs.join('')}->${ls.join('')}`, g, r!), F.einsum(`${ls.join('')},${out}->${rs.join('')}`, l!, g)];
    }
    return [isFloat(lt.dtype) ? dl : null, isFloat(rt.dtype) ? dr : null];
  },
});

/** Letters for generated einsum equations (z is kept for contracted axes). */
export const LETTERS = 'abcdefghijklmnopqrstuvwxyABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * The gradients of `C = op(A) · op(B)` (matrices or batches of them) written
 * with the same product `mm`: dA = g·op(B)ᵀ, dB = op(A)ᵀ·g, transposed back
 * where the operand was transposed.
 */
function matmulGrads(
  mm: (a: GradTensor, b: GradTensor, o: { transposeA?: boolean; transposeB?: boolean }) => GradTensor,
  l: GradTensor,
  r: GradTensor,
  g: GradTensor,
  a: DotAttrs,
): [GradTensor, GradTensor] {
  const dl = a.transposeA ? mm(r, g, { transposeA: a.transposeB, transposeB: true }) : mm(g, r, { transposeB: !a.transposeB });
  const dr = a.transposeB ? mm(g, l, { transposeA: true, transposeB: a.transposeA }) : mm(l, g, { transposeA: !a.transposeA });
  return [dl, dr];
}

// ---------------------------------------------------------------- batchDot

interface BatchGeom {
  batch: Shape;
  out: Shape;
  k: [Dim, Dim];
}

function batchGeom(types: TensorType[], a: DotAttrs): BatchGeom {
  const [l, r] = [types[0]!.shape, types[1]!.shape];
  if (l.length < 3 || l.length !== r.length) {
    throw new OpError('batchDot', `needs two inputs of the same rank, 3 or more ([batch..., n, k] and [batch..., k, m]), got ${fmt(l)} and ${fmt(r)}`, types);
  }
  const n = l.length;
  const bl = l.slice(0, n - 2);
  const br = r.slice(0, n - 2);
  if (!bl.every((d, i) => compatible(d, br[i]!))) {
    throw new OpError('batchDot', `batch dimensions differ: lhs ${fmt(l)}, rhs ${fmt(r)}`, types);
  }
  const [lm, lk] = a.transposeA ? [l[n - 1]!, l[n - 2]!] : [l[n - 2]!, l[n - 1]!];
  const [rk, rm] = a.transposeB ? [r[n - 1]!, r[n - 2]!] : [r[n - 2]!, r[n - 1]!];
  if (!compatible(lk, rk)) {
    throw new OpError('batchDot', `inner dimensions do not match: lhs ${fmt(l)} contracts ${lk}, rhs ${fmt(r)} contracts ${rk} (transposeA=${a.transposeA}, transposeB=${a.transposeB})`, types);
  }
  const batch = bl.map((d, i) => pick(d, br[i]!));
  return { batch, out: [...batch, lm, rm], k: [lk, rk] };
}

type BatchDotSig = (lhs: Tx, rhs: Tx, ...rest: PositionalOptions<{ transposeA?: boolean; transposeB?: boolean }, ['transposeA', 'transposeB']>) => Tx;

/**
 * MXNet `batch_dot`: a matrix product per batch element,
 * `[B, n, k] x [B, k, m] -> [B, n, m]` (`transposeA`/`transposeB` swap the
 * last two axes of an operand first).
 * Example: `F.batchDot(q, k, { transposeB: true })`.
 */
export const batchDot: OpDef<BatchDotSig, DotAttrs> = defineOp<BatchDotSig, DotAttrs>({
  name: 'batchDot',
  inputs: ['lhs', 'rhs'],
  attrs: { transposeA: false, transposeB: false },
  positional: ['transposeA', 'transposeB'],
  infer: (types, a) => [{ dtype: commonDType('batchDot', types, MATMUL_DTYPES), shape: batchGeom(types, a).out }],
  solve: (types, a) => {
    const g = batchGeom(types, a);
    const n = types[0]!.shape.length;
    const lkAxis = a.transposeA ? n - 2 : n - 1;
    const rkAxis = a.transposeB ? n - 1 : n - 2;
    const fill = (s: Shape, kAxis: number, k: Dim): Shape | undefined =>
      s.includes(0) ? s.map((d, i) => (d !== 0 ? d : i === kAxis ? k : i < n - 2 ? g.batch[i]! : 0)) : undefined;
    return [fill(types[0]!.shape, lkAxis, g.k[1]), fill(types[1]!.shape, rkAxis, g.k[0])];
  },
  lower: (c, a) => {
    const n = c.inTypes[0]!.shape.length;
    const swap = [...range(n - 2), n - 1, n - 2];
    const lhs = a.transposeA ? c.emit('Transpose', [c.inputs[0]!], { perm: swap })[0]! : c.inputs[0]!;
    const rhs = a.transposeB ? c.emit('Transpose', [c.inputs[1]!], { perm: swap })[0]! : c.inputs[1]!;
    c.emit('MatMul', [lhs, rhs], {}, c.outputs);
  },
  kernel: ([l, r], a, [out]) => {
    const n = l!.shape.length;
    const swap = [...range(n - 2), n - 1, n - 2];
    const lhs = a.transposeA ? permute(toF64(l!), l!.shape, swap) : toF64(l!);
    const rhs = a.transposeB ? permute(toF64(r!), r!.shape, swap) : toF64(r!);
    const os = out!.shape as number[];
    const [m, p] = [os[n - 2]!, os[n - 1]!];
    const k = a.transposeA ? l!.shape[n - 2]! : l!.shape[n - 1]!;
    return [fromF64(out!, matmulF64(lhs, rhs, sizeOf(os.slice(0, n - 2)), m, k, p, out!.dtype === 'int32'))];
  },
  grad: (F, { inputs: [l, r], inTypes, attrs }, [g]) => {
    if (!g) return [null, null];
    const [dl, dr] = matmulGrads(F.batchDot, l!, r!, g, attrs as DotAttrs);
    return [isFloat(inTypes[0]!.dtype) ? dl : null, isFloat(inTypes[1]!.dtype) ? dr : null];
  },
});

// ---------------------------------------------------------------- einsum

const ELL = '.';

interface Einsum {
  /** Labels per operand, ellipsis dimensions expanded to '.0', '.1', ... (right-aligned). */
  terms: string[][];
  out: string[];
  shape: Shape;
  /** The equation with an explicit output, for ONNX. */
  explicit: string;
}

function parseEinsum(eq: unknown, types: TensorType[]): Einsum {
  if (typeof eq !== 'string') throw new OpError('einsum', `needs an equation string such as 'ij,jk->ik', got ${JSON.stringify(eq)}`, types);
  const text = eq.replace(/\s+/g, '');
  const arrow = text.indexOf('->');
  const lhs = arrow < 0 ? text : text.slice(0, arrow);
  const rhs = arrow < 0 ? undefined : text.slice(arrow + 2);
  const rawTerms = lhs.split(',');
  const bad = (why: string): never => {
    throw new OpError('einsum', `equation '${eq}' ${why}`, types);
  };
  if (rawTerms.length !== types.length) bad(`has ${rawTerms.length} operand term(s) but ${types.length} operand(s) were given`);
  const splitTerm = (t: string): { labels: string[]; ell: number } => {
    const ell = t.indexOf('...');
    const letters = t.replace('...', '');
    if (!/^[a-zA-Z]*$/.test(letters)) bad(`has an invalid term '${t}' (letters and one '...' only)`);
    return { labels: [...letters], ell: ell < 0 ? -1 : [...t.slice(0, ell)].length };
  };
  let ellRank = 0;
  const dims = new Map<string, Dim>();
  const ellShapes: Shape[] = [];
  const terms = rawTerms.map((t, i) => {
    const { labels, ell } = splitTerm(t);
    const shape = types[i]!.shape;
    if (ell < 0 ? labels.length !== shape.length : labels.length > shape.length) {
      bad(`term '${t}' has ${labels.length} label(s) but operand ${i} has shape ${fmt(shape)}`);
    }
    let full = labels;
    if (ell >= 0) {
      const n = shape.length - labels.length;
      ellRank = Math.max(ellRank, n);
      ellShapes.push(shape.slice(ell, ell + n));
      full = [...labels.slice(0, ell), ...range(n).map((j) => `${ELL}${n - 1 - j}`), ...labels.slice(ell)];
    }
    full.forEach((lab, j) => {
      if (lab.startsWith(ELL)) return;
      const d = shape[j]!;
      const prev = dims.get(lab);
      if (prev === undefined) dims.set(lab, d);
      else if (!compatible(prev, d)) bad(`gives label '${lab}' the sizes ${prev} and ${d}`);
      else dims.set(lab, pick(prev, d));
    });
    return full;
  });
  const ellDims = broadcastShapes('einsum', ellShapes, types);
  const counts = new Map<string, number>();
  for (const t of terms) for (const l of t) if (!l.startsWith(ELL)) counts.set(l, (counts.get(l) ?? 0) + 1);
  let out: string[];
  const ellOut = range(ellRank).map((j) => `${ELL}${ellRank - 1 - j}`);
  if (rhs === undefined) {
    // numpy's implicit output: broadcast dimensions, then labels used once, in alphabetical (ASCII) order.
    out = [...ellOut, ...[...counts.keys()].filter((l) => counts.get(l) === 1).sort()];
  } else {
    const { labels, ell } = splitTerm(rhs);
    if (ell < 0 && ellRank > 0 && ellShapes.some((s) => s.length > 0)) bad(`drops the '...' dimensions from its output`);
    out = ell < 0 ? labels : [...labels.slice(0, ell), ...ellOut, ...labels.slice(ell)];
    for (const l of labels) if (!counts.has(l)) bad(`has output label '${l}' that no operand has`);
    if (new Set(labels).size !== labels.length) bad(`repeats a label in its output`);
  }
  const shape = out.map((l) => (l.startsWith(ELL) ? ellDims[ellDims.length - 1 - Number(l.slice(1))]! : dims.get(l)!));
  // Back to text with '...' for each run of ellipsis dimensions (ONNX gets the output spelled out).
  const show = (t: string[]): string => t.map((l, j) => (!l.startsWith(ELL) ? l : j > 0 && t[j - 1]!.startsWith(ELL) ? '' : '...')).join('');
  const explicit = `${terms.map(show).join(',')}->${show(out)}`;
  return { terms, out, shape, explicit };
}

type EinsumSig = (equation: string, ...operands: Tx[]) => Tx;

/**
 * Einstein summation over the operands (numpy's `einsum`: explicit `->`
 * output or numpy's implicit one, `...` broadcasting, repeated labels for
 * diagonals).
 * Example: `F.einsum('bij,bjk->bik', a, b)`.
 */
export const einsum: OpDef<EinsumSig, Attrs & { equation: string }> = defineOp<EinsumSig, Attrs & { equation: string }>({
  name: 'einsum',
  inputs: ['...operands'],
  attrs: { equation: null },
  leading: ['equation'],
  infer: (types, a) => [{ dtype: commonDType('einsum', types, MATMUL_DTYPES), shape: parseEinsum(a.equation, types).shape }],
  solve: (types, a) => {
    // A label's unknown (0) size is taken from another operand carrying it.
    const e = parseEinsum(a.equation, types);
    const known = new Map<string, Dim>();
    e.terms.forEach((t, i) => t.forEach((l, j) => types[i]!.shape[j] !== 0 && known.set(l, types[i]!.shape[j]!)));
    return e.terms.map((t, i) => (types[i]!.shape.includes(0) ? types[i]!.shape.map((d, j) => (d === 0 ? known.get(t[j]!) ?? 0 : d)) : undefined));
  },
  lower: (c, a) => void c.emit('Einsum', c.inputs, { equation: parseEinsum(a.equation, c.inTypes).explicit }, c.outputs),
  grad: (F, { inputs, inTypes, outTypes, attrs, constant }, [g]) => {
    if (!g) return inputs.map(() => null);
    const e = parseEinsum(attrs.equation, inTypes);
    return inputs.map((_x, i) => (isFloat(inTypes[i]!.dtype) ? einsumGrad(F, constant, e, inputs, inTypes, outTypes[0]!, g, i) : null));
  },
});

/** A host identity matrix (for gradients through repeated einsum labels). */
function eye(n: number, dtype: DType): HostTensor {
  const data = dtype === 'float64' ? new Float64Array(n * n) : new Float32Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { dtype: dtype === 'float64' ? 'float64' : 'float32', shape: [n, n], data };
}

/**
 * The gradient of operand `i` of an einsum: an einsum of the other operands
 * and `g` whose output is operand i's term. Ellipsis dimensions become
 * ordinary labels (size-1 broadcast ones are expanded first and summed after);
 * a label that only operand i has comes from a ones tensor of its shape; a
 * repeated label (a diagonal) gets fresh labels tied by identity matrices.
 */
function einsumGrad(F: GradOps, constant: GradCtx['constant'], e: Einsum, xs: GradTensor[], types: TensorType[], out: TensorType, g: GradTensor, i: number): GradTensor {
  const used = new Set(e.terms.flat().filter((l) => !l.startsWith(ELL)));
  const pool = [...LETTERS, 'z'].filter((c) => !used.has(c));
  const names = new Map<string, string>();
  const fresh = (): string => {
    const c = pool.shift();
    if (!c) throw new OpError('einsum', 'cannot differentiate: too many labels', types);
    return c;
  };
  const name = (l: string): string => {
    if (!l.startsWith(ELL)) return l;
    if (!names.has(l)) names.set(l, fresh());
    return names.get(l)!;
  };
  const fullSize = (l: string): Dim => out.shape[e.out.indexOf(l)]!;
  // An operand whose ellipsis dimensions of size 1 broadcast against others: expanded like g.
  const expand = (x: GradTensor, t: string[], shape: Shape): GradTensor => {
    const axes = t.map((l, k) => (l.startsWith(ELL) && shape[k] === 1 && fullSize(l) !== 1 ? k : -1)).filter((k) => k >= 0);
    return axes.length ? F.broadcastLike(x, g, { lhsAxes: axes, rhsAxes: axes.map((k) => e.out.indexOf(t[k]!)) }) : x;
  };
  const ops: GradTensor[] = [];
  const terms: string[] = [];
  e.terms.forEach((t, j) => {
    if (j === i) return;
    ops.push(expand(xs[j]!, t, types[j]!.shape));
    terms.push(t.map(name).join(''));
  });
  const scalarG = e.out.length === 0;
  if (!scalarG) {
    ops.push(g);
    terms.push(e.out.map(name).join(''));
  }
  const ti = e.terms[i]!;
  const present = new Set([...e.out, ...e.terms.filter((_t, j) => j !== i).flat()]);
  // Operand i's term with repeated labels renamed apart.
  const seen = new Set<string>();
  const target = ti.map((l) => {
    if (!seen.has(l)) {
      seen.add(l);
      return name(l);
    }
    const n = types[i]!.shape[ti.indexOf(l)]!;
    if (typeof n !== 'number') throw new OpError('einsum', `cannot differentiate through the repeated label '${l}' of symbolic size ${n}`, types);
    const c = fresh();
    ops.push(constant(eye(n, out.dtype)));
    terms.push(`${name(l)}${c}`);
    return c;
  });
  if (ti.some((l) => !present.has(l)) || ops.length === 0) {
    ops.push(expand(F.onesLike(xs[i]!), ti, types[i]!.shape));
    terms.push(target.join(''));
  }
  let r = F.einsum(`${terms.join(',')}->${target.join('')}`, ...ops);
  if (scalarG) r = F.mul(r, g);
  const shape = types[i]!.shape;
  if (ti.some((l, k) => l.startsWith(ELL) && shape[k] === 1 && fullSize(l) !== 1)) r = F.reduceSumLike(r, xs[i]!);
  return r;
}


/** The linear-algebra operators, by F name. */
export const LINALG_OPS = { dot, batchDot, einsum } as const;
