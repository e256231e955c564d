/**
 * The size constraints of an artifact: every node of its final graph has
 * its type rule applied again while `requireDim` records (see
 * dim-constraints.ts); what remains is what the runtime can check from the
 * inputs' dimension names alone, the strongest bound of each size once.
 * Invariant: a constraint kept parses in runtime/dim-expr.ts's grammar and
 * reads only names the graph's inputs declare.
 */
import { dimSymbols, parseDim, type DimConstraint } from '../../runtime/dim-expr.js';
import type { Graph } from '../ir/graph.js';
import { collectDimConstraints } from './dim-constraints.js';
import { withScope } from './errors.js';
import { inferOp } from './infer.js';
import { getOp } from './registry.js';

/**
 * The constraints of `g`'s nodes on its inputs' symbolic sizes, in node
 * order, after `traced`: those recorded while the block was traced (what
 * no node's type rule can see, such as a slice up to another tensor's size
 * taken as rows of an arange, or a layer's `maxLen`).
 *
 * ```ts
 * graphConstraints(g); // [{ dim: 'H', cmp: '>=', value: 5, message: "Pooling (max) in block 'pool0' needs H >= 5: ..." }]
 * ```
 */
export function graphConstraints(g: Graph, traced: readonly DimConstraint[] = []): DimConstraint[] {
  const names = new Set<string>();
  for (const v of g.inputs) for (const d of v.type.shape) if (typeof d === 'string') names.add(d);
  if (!names.size) return [];
  const all = [...traced, ...collectDimConstraints(() => {
    for (const node of g.nodes) {
      withScope(node.scope, () => inferOp(getOp(node.op), node.inputs.map((v) => v.type), node.attrs));
    }
  })];
  // One constraint per size and comparison: of `H >= 1` and `H >= 5` the stronger, of `T <= 64` and `T <= 32` too (a multiple of 2 and of 3: both kept).
  const kept = new Map<string, DimConstraint>();
  for (const c of all) {
    const e = parseDim(c.dim);
    if (!e || !dimSymbols(e).every((s) => names.has(s))) continue;
    const key = c.cmp === 'multipleOf' ? `${c.dim} multipleOf ${c.value}` : `${c.dim} ${c.cmp}`;
    const prev = kept.get(key);
    if (!prev || (c.cmp === '<=' ? c.value < prev.value : c.value > prev.value)) kept.set(key, c);
  }
  return [...kept.values()];
}
