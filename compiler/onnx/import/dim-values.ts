/**
 * Symbolic dimensions compared by value. A size reaches the importer in two
 * spellings: gluonc's shape inference writes a strided convolution's output
 * as `(floor(((floor((H-1)/2)+1)-1)/2)+1)`, and torch's dynamo exporter
 * computes the same size from the graph input's H as `(1+((-1+H)/4))`. Both
 * are evaluated (integer division, as sizes divide in ONNX and torch) at a
 * fixed set of sample values of their symbols; equal samples mean one size.
 * Parsed by runtime/dim-expr.ts (the manifest's grammar), evaluated with
 * floor division. An expression that does not parse has no samples
 * (compared by name only).
 * With `divisible`, every sample is a multiple of 840 (2 to 8 divide it):
 * sizes a file splits (`H/2` and 2 from H, which it takes to be even) then
 * multiply back.
 */
import { dimSymbols, evalDim, parseDim, type DimExpr } from '../../../runtime/dim-expr.js';
import type { Dim } from '../../ir/types.js';

/** Sample assignments per symbol: 24 values >= 24, spread over the residues of small divisors (or multiples of 840). */
const SAMPLES = 24;

/**
 * The values of dimensions at the sample assignments of every symbol in
 * `dims` (one evaluator, so the samples agree): a number's samples are
 * itself; null for an expression that does not parse.
 *
 * ```ts
 * const at = dimSamples(['(floor(((floor((H-1)/2)+1)-1)/2)+1)', '(1+((-1+H)/4))']);
 * sameSamples(at('(floor(((floor((H-1)/2)+1)-1)/2)+1)'), at('(1+((-1+H)/4))')); // true
 * ```
 */
export function dimSamples(dims: readonly Dim[], divisible = false): (d: Dim) => number[] | null {
  const trees = new Map<string, DimExpr | null>();
  const names = new Set<string>();
  const tree = (d: string): DimExpr | null => {
    if (!trees.has(d)) trees.set(d, parseDim(d));
    return trees.get(d)!;
  };
  for (const d of dims) {
    const t = typeof d === 'string' ? tree(d) : null;
    if (t) dimSymbols(t).forEach((s) => names.add(s));
  }
  const order = [...names].sort();
  const value = (e: number, k: number): number => (divisible ? 840 * (1 + e + 2 * k + ((e * k) % 5)) : 24 + 7 * e + 5 * k + ((e * k) % 11));
  const envs = Array.from({ length: SAMPLES }, (_v, e) => new Map(order.map((s, k) => [s, value(e, k)])));
  return (d) => {
    if (typeof d === 'number') return Array.from({ length: SAMPLES }, () => d);
    const t = tree(d);
    if (!t || dimSymbols(t).some((s) => !names.has(s))) return null;
    const v = envs.map((env) => evalDim(t, env, true));
    return v.every((x) => x !== undefined && Number.isFinite(x)) ? (v as number[]) : null;
  };
}

/** Whether two sample lists are one size's. */
export function sameSamples(a: number[] | null, b: number[] | null): boolean {
  return !!a && !!b && a.every((v, i) => v === b[i]);
}
