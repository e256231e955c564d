/**
 * ONNX's Reshape onto gluonc's reshape (MXNet's copy code 0 and -1 for
 * symbolic entries) or, where those codes cannot name the target, a
 * reshapeLike of a shape read at run time from the graph inputs that have
 * the symbolic dimensions (`shapedLike`, which Expand uses too).
 */
import type { AttrValue } from '../../ir/node.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { divDim, mulDims, sameDim } from '../../ops/dims.js';
import type { Builder, ImportCtx } from './context.js';
import { dimSamples, sameSamples } from './dim-values.js';

/**
 * A target like [(N*2), -1] for an input [N, 4, 3]: the one symbol cancels
 * (N*12 elements over N*2), so the -1 becomes a number and the symbolic entry -1.
 */
function solveTarget(xs: Dim[], target: Dim[], out: Dim[]): void {
  const syms = xs.filter((d) => typeof d === 'string');
  const symbolic = target.map((d, i) => [d, i] as const).filter(([d, i]) => typeof d === 'string' && out[i] === -1);
  if (syms.length !== 1 || symbolic.length !== 1 || target.some((d, i) => d === 0 && typeof xs[i] !== 'number')) return;
  const m = /^\(?([^()*]+)\*(\d+)\)?$/.exec(String(symbolic[0]![0])) ?? /^()([^()*]+)$/.exec(String(symbolic[0]![0]));
  const [name, k] = m && m[1] ? [m[1], Number(m[2])] : m ? [m[2], 1] : [null, 0];
  if (name !== syms[0]) return;
  const inner = (xs.filter((d) => typeof d === 'number') as number[]).reduce((p, d) => p * d, 1);
  // Numbers of the target (a 0 copies the input's number there).
  const known = target.reduce<number>((p, d, i) => (typeof d !== 'number' || d === -1 ? p : p * (d === 0 ? (xs[i] as number) : d)), 1);
  const rest = inner / (k * known);
  const free = target.indexOf(-1);
  if (free < 0 || !Number.isInteger(rest)) return;
  out[free] = rest;
}

/**
 * Whether the -1 that stands for a symbolic target entry in `out` computes
 * that entry. It does unless the sizes of input and target are products that
 * differ: torch's nn.MultiheadAttention, exported with a dynamic sequence
 * axis T, reshapes its [T, N, 8] keys to [5, N*2, 4] (the traced length 5
 * written as a constant), where a -1 would read N*T/5 for N*2 and no later
 * node could match it with N. Such a target is kept (read at run time, as
 * `shapedLike` does), so the graph runs where its sizes agree, as in
 * onnxruntime (T = 5), and its Reshape fails the run elsewhere.
 */
function keepsTarget(c: ImportCtx, x: Value, target: Dim[], out: Dim[], dims: Dim[]): boolean {
  if (target.includes(-1) || !out.includes(-1)) return true;
  const product = (ds: Dim[]): Dim | null => {
    const fs = ds.map(factorsOf);
    return fs.every((f) => f !== null) ? mulDims(fs.flat() as Dim[]) : null;
  };
  const [have, want] = [product(x.type.shape), product(dims)];
  if (have === null || want === null || sameDim(have, want)) return true;
  const found = (f: Dim) => typeof f === 'number' || x.type.shape.includes(f) || c.symbolSource(f) !== null;
  return !dims.every((d) => {
    const factors = found(d) ? [d] : factorsOf(d);
    return factors !== null && factors.length <= 2 && factors.every(found);
  });
}

/** The factors of a dimension that is a product ('2*N', '(T*2)'), or null for any other expression. */
function factorsOf(d: Dim): Dim[] | null {
  if (typeof d === 'number') return [d];
  const bare = /^\(([^()]*)\)$/.exec(d)?.[1] ?? d;
  if (/[()+\-/]/.test(bare)) return null;
  return bare.split('*').map((f) => (/^\d+$/.test(f) ? Number(f) : f));
}

/**
 * A uint8 tensor of shape `dims` whose symbolic dimensions are read, when the
 * graph runs, from `x` or from a graph input that has them (`zeros` over
 * `shapeArray` entries, a product of two merged by MXNet's -3): the shape
 * operand of reshapeLike/broadcastLike where MXNet's codes cannot name a
 * target (an input [N*T, 4] reshaped to [N, T, 4]).
 */
export function shapedLike(c: ImportCtx, dims: Dim[], x: Value, what: string): Value {
  const srcs: Value[] = [];
  const entries: AttrValue[] = [];
  const codes: number[] = [];
  const source = (d: string, whole: Dim): AttrValue => {
    const own = x.type.shape.indexOf(d);
    const src = own >= 0 ? { value: x, axis: own } : c.symbolSource(d);
    if (!src) throw c.refuse(`${what} [${dims.join(', ')}] has the dimension '${whole}', which neither the input [${x.type.shape.join(', ')}] nor any graph input has`);
    let k = srcs.indexOf(src.value);
    if (k < 0) k = srcs.push(src.value) - 1;
    return { input: k, begin: src.axis, end: src.axis + 1 };
  };
  for (const d of dims) {
    const own = typeof d === 'string' && (x.type.shape.includes(d) || c.symbolSource(d));
    const factors = own ? [d] : factorsOf(d);
    if (!factors || factors.length > 2) throw c.refuse(`${what} [${dims.join(', ')}] has the dimension '${d}', which gluonc cannot compute at run time`);
    for (const f of factors) entries.push(typeof f === 'number' ? f : source(f, d));
    codes.push(factors.length === 2 ? -3 : 0);
  }
  const z = c.op('zeros', srcs, { shape: entries as AttrValue, dtype: 'uint8' });
  return codes.includes(-3) ? c.op('reshape', [z], { shape: codes }) : z;
}

/**
 * MXNet's codes for `target` by aligning it with the input's sizes by value
 * (dim-values.ts, sizes taken to divide as the target splits them): a size kept (0, or the number), one split into two
 * (-4 with a number and -1: torch's pixel_unshuffle viewing [N, C, H, W] as
 * [N, C, H/2, 2, W/2, 2]) or two merged into one (-3); null where the
 * target does not align so (a size of 1 inserted, three merged).
 */
function alignedCodes(xs: readonly Dim[], target: readonly Dim[], at: (d: Dim) => number[] | null): number[] | null {
  const xv = xs.map(at);
  const dims = target.map((d, i) => (d === 0 ? xs[i]! : d));
  const tv = dims.map((d) => (d === -1 ? null : at(d)));
  const free = dims.indexOf(-1);
  if (xv.some((v) => !v) || tv.some((v, i) => !v && i !== free)) return null;
  const product = (vs: (number[] | null)[]): number[] => vs.reduce<number[]>((p, v) => p.map((q, k) => q * v![k]!), xv[0]!.map(() => 1));
  if (free >= 0) {
    const [all, rest] = [product(xv), product(tv.filter((_v, i) => i !== free))];
    if (rest.some((r, k) => !r || all[k]! % r)) return null;
    tv[free] = all.map((a, k) => a / rest[k]!);
  }
  const codes: number[] = [];
  const same = (a: number[], b: number[]): boolean => sameSamples(a, b);
  let [i, j] = [0, 0];
  while (i < xs.length && j < dims.length) {
    const [x, t, t2] = [xv[i]!, tv[j]!, tv[j + 1]];
    if (same(x, t)) {
      codes.push(typeof dims[j] === 'number' && dims[j] !== -1 ? (dims[j] as number) : 0);
      [i, j] = [i + 1, j + 1];
    } else if (t2 && same(x, product([t, t2])) && [dims[j], dims[j + 1]].some((d) => typeof d === 'number' && d > 0)) {
      const code = (d: Dim): number => (typeof d === 'number' && d > 0 ? d : -1);
      codes.push(-4, code(dims[j]!), code(dims[j + 1]!));
      [i, j] = [i + 1, j + 2];
    } else if (i + 1 < xs.length && same(product([x, xv[i + 1]!]), t)) {
      codes.push(-3);
      [i, j] = [i + 2, j + 1];
    } else return null;
  }
  return i === xs.length && j === dims.length ? codes : null;
}

/**
 * Reshape: ONNX's 0 (copy) and -1 (infer) are MXNet's codes; symbolic
 * entries become one of them. A symbolic target entry that is an input
 * size spelt otherwise (torch's dynamo exporter computes sizes from the
 * graph inputs' dimensions) is taken as that size; a target those codes and
 * a shape read at run time cannot name may still align with the input by
 * value (`alignedCodes`). With allowzero=1 a 0 is an empty dimension (a reshape like zeros of that shape).
 */
export const reshape: Builder = (c) => {
  const x = c.input(0);
  const xs = x.type.shape;
  const given = c.dims(1)!;
  const at = dimSamples([...xs, ...given]);
  const target = given.map((d): Dim => {
    if (typeof d !== 'string' || xs.includes(d) || c.symbolSource(d)) return d;
    const v = at(d);
    return xs.find((s) => typeof s === 'string' && sameSamples(at(s), v)) ?? d;
  });
  try {
    return reshapeOf(c, x, target);
  } catch (e) {
    const codes = c.attr.int('allowzero', 0) === 1 ? null : alignedCodes(xs, target, dimSamples([...xs, ...target], true));
    if (!codes) throw e;
    return [c.op('reshape', [x], { shape: codes })];
  }
};

function reshapeOf(c: ImportCtx, x: Value, target: Dim[]): Value[] {
  const xs = x.type.shape;
  if (c.attr.int('allowzero', 0) === 1 && target.includes(0)) {
    // A 0 is an empty dimension here, not MXNet's copy code: reshape like zeros of the target shape.
    if (target.includes(-1)) throw c.refuse(`allowzero=1 with both 0 and -1 in the shape [${target.join(', ')}] (ONNX: invalid)`);
    return [c.op('reshapeLike', [x, shapedLike(c, target, x, 'the target shape')])];
  }
  let unknown = target.filter((d) => d === -1).length;
  const out = target.map((d, i): Dim => {
    if (typeof d === 'number') return d;
    if (xs[i] === d) return 0;
    unknown++;
    return -1;
  });
  if (unknown > 1) solveTarget(xs, target, out);
  const dims = target.map((d, i) => (d === 0 ? xs[i]! : d));
  if (out.filter((d) => d === -1).length <= 1) {
    if (!keepsTarget(c, x, target, out, dims)) return [c.op('reshapeLike', [x, shapedLike(c, dims, x, 'the target shape')])];
    return [c.op('reshape', [x], { shape: out as number[] })];
  }
  // More than one dimension MXNet's codes cannot name: reshape like a tensor of the target shape, read at run time.
  const free = dims.indexOf(-1);
  if (free >= 0) {
    const rest = divDim(mulDims(xs), mulDims(dims.filter((_d, i) => i !== free)));
    // A number, or the input's symbols left over (torch's dynamo exporter: [N, 1, T, 5] to [-1, T, 5] is N), which shapedLike reads at run time.
    if (rest === undefined) throw c.refuse(`the -1 of the target shape [${target.join(', ')}] cannot be solved for input shape [${xs.join(', ')}]`);
    dims[free] = rest;
  }
  return [c.op('reshapeLike', [x, shapedLike(c, dims, x, 'the target shape')])];
}
