/**
 * The one interface every optimization pass implements, and the context the
 * pipeline hands it.
 * Invariants: a pass returns a graph whose inputs and output names (and
 * order) are those it was given, computing the same values; `changed` is
 * true exactly when the graph differs. A pass may rewrite the graph in place
 * and return it; values shared with other graphs (parameters, constants)
 * are never modified, only replaced.
 */
import type { Graph } from '../ir/graph.js';

/** What the graph is compiled for. */
export type PassMode = 'inference' | 'training';

/** What a pass may assume about the graph it rewrites. */
export interface PassContext {
  /**
   * `inference`: an artifact or a prediction; `training`: parameters are
   * session inputs that change between runs, so only training-safe passes run.
   */
  mode: PassMode;
  /**
   * Parameters that carry data (`Value.data`) may be read as constants and
   * replaced (folded weights). Only for inference artifacts whose parameters
   * become initializers (`-O3`).
   */
  foldParams: boolean;
}

/**
 * An optimization pass.
 *
 * ```ts
 * const dce: Pass = (graph) => { const n = graph.nodes.length; graph.rebuild(); return { graph, changed: graph.nodes.length !== n }; };
 * ```
 */
export type Pass = (graph: Graph, ctx: PassContext) => { graph: Graph; changed: boolean };

/** The context of a training-safe run (what hybridized blocks and the fused training step get). Example: `pass(g, TRAINING)`. */
export const TRAINING: PassContext = Object.freeze({ mode: 'training', foldParams: false });

/** The context of an inference run that keeps parameters as they are (`-O2` artifacts). Example: `pass(g, INFERENCE)`. */
export const INFERENCE: PassContext = Object.freeze({ mode: 'inference', foldParams: false });
