/**
 * The relu gradient through a max pooling, taken at the pooled size: in
 * `mul(poolingGrad(relu(t), g), greater(t, 0))` (max pooling of a relu, the
 * relu's gradient applied to the pooling's) the only cells that receive a
 * gradient hold their windows' maximum y, so the mask there is `y > 0` and
 * it can gate g before the routing: `poolingGrad(r, mul(g, greater(y, 0)))`
 * with `y = Pooling(r)`, which the forward pass computes already (merged by
 * CSE). LeNet's first pooling: three elementwise passes over [64, 6, 28, 28]
 * become three over [64, 6, 14, 14].
 * Invariant: exact (the mask is 0 or 1 at every cell that receives one)
 * for NaN-free data: a window holding a NaN routes its gradient to the NaN
 * cell (onnxruntime's ArgMax) while its maximum skips it, so there the
 * gradient passes where `NaN > 0` would have zeroed it.
 */
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import type { Pass } from './pass.js';
import { isConstNear, usedOnlyBy } from './patterns.js';
import { producerOf, Rewriter, sameType } from './rewrite.js';

/**
 * Moves relu masks in front of max-pooling gradients.
 *
 * ```ts
 * gatePoolGrad(graph, ctx); // mul(poolingGrad(relu(t), g), greater(t, 0)) -> poolingGrad(relu(t), mul(g, greater(Pooling(relu(t)), 0)))
 * ```
 */
export const gatePoolGrad: Pass = (graph, ctx) => {
  const rw = new Rewriter(graph);
  let changed = false;
  for (const node of graph.nodes) {
    if (node.op !== 'mul') continue;
    for (const [p, m] of [node.inputs, [...node.inputs].reverse()] as [Value, Value][]) {
      const pg = producerOf(p, 'poolingGrad');
      const gt = producerOf(m, 'greater');
      if (!pg || !gt || pg.attrs['poolType'] !== 'max' || !usedOnlyBy(rw, p, [node])) continue;
      const [r, g] = pg.inputs as [Value, Value];
      const t = reluInput(r);
      if (!t || gt.inputs[0] !== t || !isConstNear(gt.inputs[1]!, 0, ctx) || !sameType(p.type, node.outputs[0]!.type)) continue;
      const y = rw.node('Pooling', [r], pg.attrs, pg.scope).outputs[0]!;
      const mask = rw.node('greater', [y, gt.inputs[1]!], gt.attrs, gt.scope).outputs[0]!;
      const gated = rw.node('mul', [g, mask], node.attrs, node.scope).outputs[0]!;
      if (!sameType(gated.type, g.type)) continue;
      rw.replace(node.outputs[0]!, rw.node('poolingGrad', [r, gated], pg.attrs, pg.scope).outputs[0]!);
      changed = true;
      break;
    }
  }
  rw.commit();
  return { graph, changed };
};

/** t when `r` is relu(t) (the `relu` operator or `Activation` with actType relu), else null. */
function reluInput(r: Value): Value | null {
  const n: Node | null = producerOf(r, 'relu', 'Activation');
  if (!n || (n.op === 'Activation' && n.attrs['actType'] !== 'relu')) return null;
  return n.inputs[0]!;
}
