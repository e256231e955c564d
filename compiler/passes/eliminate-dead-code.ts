/**
 * Dead-code elimination: keeps only the nodes, parameters and constants the
 * outputs depend on (graph inputs all stay: they are the signature).
 */
import { Rewriter } from './rewrite.js';
import type { Pass } from './pass.js';

/**
 * Drops everything the outputs do not need.
 *
 * ```ts
 * eliminateDeadCode(graph, ctx).changed; // true when a node, parameter or constant went
 * ```
 */
export const eliminateDeadCode: Pass = (graph) => {
  const before = [graph.nodes.length, graph.params.length, graph.constants.length];
  new Rewriter(graph).commit();
  const after = [graph.nodes.length, graph.params.length, graph.constants.length];
  return { graph, changed: before.some((n, i) => n !== after[i]) };
};
