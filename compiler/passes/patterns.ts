/**
 * Small matchers the fusion passes share: reduced axes of a reduction node,
 * constants near a value, and the factors of a product tree.
 */
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import type { PassContext } from './pass.js';
import { constData, producerOf, scalarOf, type Rewriter } from './rewrite.js';

/** The axes a reduction node (sum, mean, ...) reduces, sorted and non-negative. Example: `[1]` for `mean(x, { axis: -1 })` on rank 2. */
export function reducedAxes(node: Node): number[] {
  const r = node.inputs[0]!.type.shape.length;
  const a = node.attrs['axis'] as number | number[] | null | undefined;
  const list = a === null || a === undefined || (Array.isArray(a) && a.length === 0) ? [...Array(r).keys()] : (Array.isArray(a) ? a : [a]).map((k) => (k < 0 ? k + r : k));
  const axes = node.attrs['exclude'] ? [...Array(r).keys()].filter((k) => !list.includes(k)) : list;
  return [...new Set(axes)].sort((p, q) => p - q);
}

/** True for a one-element constant within a relative 1e-6 of `want`. Example: `isConstNear(v, Math.SQRT2, ctx)`. */
export function isConstNear(v: Value, want: number, ctx: PassContext): boolean {
  const s = scalarOf(constData(v, ctx));
  return s !== null && Math.abs(s - want) <= 1e-6 * Math.max(1, Math.abs(want));
}

/** The one-element constant value of `v`, or null. Example: `constScalar(eps, ctx)` is 1e-5. */
export function constScalar(v: Value, ctx: PassContext): number | null {
  return scalarOf(constData(v, ctx));
}

/**
 * The factors of a product tree rooted at `root`: inner `mul` nodes used
 * only inside the tree are opened, along with the nodes opened (to check).
 * Example: `mul(mul(x, 0.5), p)` gives factors `[x, 0.5, p]`.
 */
export function productFactors(rw: Rewriter, root: Value): { factors: Value[]; inner: Node[] } {
  const factors: Value[] = [];
  const inner: Node[] = [];
  const open = (v: Value, top: boolean): void => {
    const m = producerOf(v, 'mul');
    if (m && (top || (rw.useCount(v) === 1 && !rw.isOutput(v)))) {
      inner.push(m);
      open(m.inputs[0]!, false);
      open(m.inputs[1]!, false);
    } else factors.push(v);
  };
  open(root, true);
  return { factors, inner };
}

/** True when every use of `v` in the graph is by one of `nodes` (and `v` is not an output). */
export function usedOnlyBy(rw: Rewriter, v: Value, nodes: Node[]): boolean {
  return !rw.isOutput(v) && rw.users(v).every((n) => nodes.includes(n));
}
