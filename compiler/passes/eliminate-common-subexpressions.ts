/**
 * Common-subexpression elimination: two nodes with the same operator, the
 * same attributes and the same inputs compute the same values, so the later
 * one is replaced by the earlier; equal constants (same dtype, shape and
 * bytes) are merged first, so `x * 2` written twice becomes one node.
 * Invariant: random operators are never merged (two dropouts draw twice).
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Value } from '../ir/value.js';
import { getOp } from '../ops/registry.js';
import type { Pass } from './pass.js';
import { attrKey, Rewriter } from './rewrite.js';

/** Constants larger than this many bytes are not compared. */
export const CSE_MAX_CONST_BYTES = 1 << 16;

function constKey(t: HostTensor): string | null {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (bytes.length > CSE_MAX_CONST_BYTES) return null;
  return `${t.dtype}[${t.shape.join(',')}]${Buffer.from(bytes).toString('base64')}`;
}

/**
 * Merges repeated computations and equal constants.
 *
 * ```ts
 * eliminateCommonSubexpressions(graph, ctx); // exp(x) + exp(x) -> e = exp(x); e + e
 * ```
 */
export const eliminateCommonSubexpressions: Pass = (graph) => {
  const rw = new Rewriter(graph);
  let changed = false;
  const consts = new Map<string, Value>();
  for (const c of graph.constants) {
    const k = c.data ? constKey(c.data) : null;
    if (k === null) continue;
    const first = consts.get(k);
    if (first) {
      rw.replace(c, first);
      changed = true;
    } else consts.set(k, c);
  }
  const ids = new Map<Value, number>();
  let next = 0;
  const id = (v: Value): number => {
    let i = ids.get(v);
    if (i === undefined) ids.set(v, (i = next++));
    return i;
  };
  const seen = new Map<string, Value[]>();
  for (const node of graph.nodes) {
    if (getOp(node.op).random) continue;
    // Inputs were already redirected to their first occurrence (nodes are in topological order).
    const key = `${node.op}(${node.inputs.map(id).join(',')})${attrKey(node.attrs)}`;
    const first = seen.get(key);
    if (first && first.length === node.outputs.length) {
      node.outputs.forEach((o, i) => rw.replace(o, first[i]!));
      changed = true;
    } else seen.set(key, node.outputs);
  }
  rw.commit();
  return { graph, changed };
};
