/**
 * Gelu fusion: the exact (erf) GELU written with primitive operators,
 * `0.5 * x * (1 + erf(x / sqrt(2)))` in any association of the product and
 * with `x * (1/sqrt(2))` for the division, becomes one `gelu` node (ONNX
 * `Gelu` from opset 20). The tanh approximation is a different function and
 * is left alone.
 * Invariant: only when every intermediate is used inside the pattern.
 */
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import type { Pass, PassContext } from './pass.js';
import { isConstNear, productFactors, usedOnlyBy } from './patterns.js';
import { producerOf, Rewriter, sameType } from './rewrite.js';

/**
 * Fuses hand-written exact GELUs.
 *
 * ```ts
 * fuseGelu(graph, ctx); // mul(mul(x, 0.5), add(erf(div(x, 1.4142135)), 1)) -> gelu(x)
 * ```
 */
export const fuseGelu: Pass = (graph, ctx) => {
  const rw = new Rewriter(graph);
  let changed = false;
  for (const node of graph.nodes) {
    if (node.op !== 'mul' && node.op !== 'div') continue;
    const x = matchGelu(rw, node, ctx);
    if (!x) continue;
    rw.replace(node.outputs[0]!, rw.node('gelu', [x], {}, node.scope).outputs[0]!);
    changed = true;
  }
  rw.commit();
  return { graph, changed };
};

/** The GELU's input when `top` computes a GELU, else null. */
function matchGelu(rw: Rewriter, top: Node, ctx: PassContext): Value | null {
  let factors: Value[];
  let inner: Node[];
  if (top.op === 'div') {
    // (x * (1 + erf(..))) / 2
    if (!isConstNear(top.inputs[1]!, 2, ctx)) return null;
    const num = top.inputs[0]!;
    if (!producerOf(num, 'mul') || rw.useCount(num) !== 1 || rw.isOutput(num)) return null;
    ({ factors, inner } = productFactors(rw, num));
    inner.push(top);
    factors.push(null as never);
  } else {
    ({ factors, inner } = productFactors(rw, top.outputs[0]!));
  }
  if (factors.length !== 3) return null;
  // The division by 2 stands for the half (a product with a 0.5 besides it is not a GELU).
  const half = top.op === 'div' ? factors.indexOf(null as never) : factors.findIndex((f) => isConstNear(f, 0.5, ctx));
  if (half < 0) return null;
  const rest = factors.filter((_f, i) => i !== half);
  for (const [x, p] of [rest, [...rest].reverse()] as [Value, Value][]) {
    const add = producerOf(p, 'add');
    if (!add || !usedOnlyBy(rw, p, inner)) continue;
    const [l, r] = add.inputs as [Value, Value];
    const e = isConstNear(r, 1, ctx) ? l : isConstNear(l, 1, ctx) ? r : null;
    const erf = e && producerOf(e, 'erf');
    if (!erf || !usedOnlyBy(rw, e, [add])) continue;
    const u = erf.inputs[0]!;
    const scale = producerOf(u, 'div', 'mul');
    if (!scale || !usedOnlyBy(rw, u, [erf])) continue;
    const [a, b] = scale.inputs as [Value, Value];
    const ok =
      scale.op === 'div' ? a === x && isConstNear(b, Math.SQRT2, ctx)
        : (a === x && isConstNear(b, Math.SQRT1_2, ctx)) || (b === x && isConstNear(a, Math.SQRT1_2, ctx));
    if (ok && sameType(x.type, top.outputs[0]!.type)) return x;
  }
  return null;
}
