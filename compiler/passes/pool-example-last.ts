/**
 * A max pooling of data that a transpose just brought from the example-last
 * layout `[C, spatial..., N]` (the convolution by columns, see
 * share-conv-columns.ts) to NCHW pools it where it is: `[C, spatial..., N]`
 * seen as `[1, C, spatial..., N]` pooled with a kernel of 1 (stride 1, pad 0)
 * along the examples is the same pooling, the same windows scanned in the
 * same row-major order (the same first maximum at ties). So
 * `Pooling(relu(transpose(z)))` becomes `transpose(Pooling(relu(z')))` and
 * its gradient `poolingGrad(relu(transpose(z)), g)` becomes
 * `transpose(poolingGrad(relu(z'), transpose(g)))`: the transposes move from
 * the convolution's output and its gradient to the pooled size (a quarter),
 * and the one in front of the weight gradient's columns cancels against the
 * transpose back (simplify-algebra). A relu mask on the pooled size (the
 * gate-pool-grad pass's) is taken from the example-last pooling, and a sum
 * over the gradient (the bias's) reads it directly.
 * Applies only where the gradient's users are transposes and sums (else it
 * would need a transpose back of the full size): LeNet's first convolution,
 * not its second (whose data gradient needs NCHW).
 * Invariants: exact (the same windows, maxima and routing); 1-D and 2-D
 * max pooling (the 3-D one would need a 4-D pooling); concrete channels
 * and spatial sizes, any batch.
 */
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { spatial } from '../ops/conv.js';
import type { Pass, PassContext } from './pass.js';
import { reducedAxes } from './patterns.js';
import { attrKey, constData, producerOf, Rewriter, sameType } from './rewrite.js';

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_v, i) => i + from);
const isRelu = (n: Node | null): n is Node => !!n && (n.op === 'relu' || (n.op === 'Activation' && n.attrs['actType'] === 'relu'));
const isPerm = (n: Node, want: number[]): boolean => {
  const a = n.attrs['axes'] as number[] | null | undefined;
  return !!a && a.length === want.length && a.every((k, i) => k === want[i]);
};

/**
 * Pools example-last activations in their layout (LeNet's first pooling).
 *
 * ```ts
 * poolExampleLast(graph, ctx); // Pooling(relu(transpose(z, [3, 0, 1, 2]))) -> transpose(reshape(Pooling(relu(reshape(z, [1, C, H, W, N])))))
 * ```
 */
export const poolExampleLast: Pass = (graph, ctx) => {
  const rw = new Rewriter(graph);
  let changed = false;
  const done = new Set<Node>();
  for (const pool of graph.nodes) {
    if (pool.op !== 'Pooling' || done.has(pool)) continue;
    const a = pool.inputs[0]!;
    const nd = a.type.shape.length - 2;
    const attrs = pool.attrs;
    if (attrs['poolType'] !== 'max' || attrs['globalPool'] || nd < 1 || nd > 2 || rw.isOutput(a)) continue;
    const relu = producerOf(a, 'relu', 'Activation');
    const t = isRelu(relu) ? relu.inputs[0]! : a;
    const tr = producerOf(t, 'transpose');
    if (!tr || !isPerm(tr, [nd + 1, ...range(nd + 1)]) || (t !== a && (rw.isOutput(t) || rw.users(t).length !== 1))) continue;
    // Every user of the activations is this pooling or its gradient (CSE merged equal ones).
    const users = rw.users(a);
    const key = attrKey(attrs);
    const ok = (n: Node): boolean => (n.op === 'Pooling' || n.op === 'poolingGrad') && n.inputs[0] === a && n.inputs[1] !== a && attrKey(n.attrs) === key;
    if (!users.every(ok)) continue;
    const grads = users.filter((n) => n.op === 'poolingGrad');
    if (!grads.every((g) => !rw.isOutput(g.outputs[0]!) && rw.users(g.outputs[0]!).every((u) => u.op === 'transpose' || sumAxes(u, nd) !== null))) continue;
    const z = tr.inputs[0]!;
    // Channels and spatial sizes concrete (the reshapes name them); the batch may be symbolic.
    if (!z.type.shape.slice(0, -1).every((d) => typeof d === 'number')) continue;
    const [C, ...rest] = z.type.shape as number[];
    const sp = rest.slice(0, nd);
    const kernel = spatial('Pooling', 'kernel', attrs['kernel'], nd, 1, 1, [a.type]);
    const attrs5 = {
      ...attrs,
      kernel: [...kernel, 1],
      stride: [...spatial('Pooling', 'stride', attrs['stride'], nd, 1, 1, [a.type]), 1],
      pad: [...spatial('Pooling', 'pad', attrs['pad'], nd, 0, 0, [a.type]), 0],
      layout: nd === 1 ? 'NCHW' : 'NCDHW',
    };
    const s = pool.scope;
    const z5 = rw.node('reshape', [z], { shape: [1, C!, ...sp, -1] }, s).outputs[0]!;
    const a5 = t === a ? z5 : rw.node(relu!.op, [z5], relu!.attrs, s).outputs[0]!;
    // [1, C, spatial..., N] -> NCHW, and back.
    const toNchw = (v5: Value): Value => {
      const planes = rw.node('reshape', [v5], { shape: v5.type.shape.slice(1, -1).concat([-1]) as number[] }, s).outputs[0]!;
      return rw.node('transpose', [planes], { axes: [nd + 1, ...range(nd + 1)] }, s).outputs[0]!;
    };
    const toLast = (v: Value): Value => {
      const moved = rw.node('transpose', [v], { axes: [...range(nd + 1, 1), 0] }, s).outputs[0]!;
      return rw.node('reshape', [moved], { shape: [1, ...moved.type.shape.slice(0, -1), -1] as number[] }, s).outputs[0]!;
    };
    const pools = users.filter((n) => n.op === 'Pooling');
    const y5 = rw.node('Pooling', [a5], attrs5, s).outputs[0]!;
    const y = toNchw(y5);
    if (!pools.every((p) => sameType(p.outputs[0]!.type, y.type))) continue;
    for (const p of pools) rw.replace(p.outputs[0]!, y);
    for (const pg of grads) {
      const g5 = gatedByPooled(rw, pg.inputs[1]!, y, y5, toLast, ctx) ?? toLast(pg.inputs[1]!);
      const h5 = rw.node('poolingGrad', [a5, g5], attrs5, pg.scope).outputs[0]!;
      const h = pg.outputs[0]!;
      for (const u of rw.users(h)) {
        const axes = sumAxes(u, nd);
        if (!axes) continue;
        const r = rw.node('sum', [h5], { axis: axes, exclude: false, keepdims: false }, u.scope).outputs[0]!;
        if (sameType(r.type, u.outputs[0]!.type)) rw.replace(u.outputs[0]!, r);
      }
      rw.replace(h, toNchw(h5));
    }
    for (const p of [...pools, ...grads]) done.add(p);
    changed = true;
  }
  rw.commit();
  return { graph, changed };
};

/**
 * The axes of the example-last `[1, C, spatial..., N]` tensor that a sum over
 * an NCHW one reduces, when it keeps its axes' order (no keepdims), else null.
 */
function sumAxes(u: Node, nd: number): number[] | null {
  if (u.op !== 'sum' || u.attrs['keepdims']) return null;
  const reduced = reducedAxes(u);
  const kept = range(nd + 2).filter((k) => !reduced.includes(k));
  if (kept.includes(0) && kept.length > 1) return null;
  return [0, ...reduced.map((k) => (k === 0 ? nd + 2 : k))].sort((p, q) => p - q);
}

/**
 * `mul(h, greater(y, c))` with y the rewritten pooling's NCHW output (c a constant scalar)
 * as `mul(toLast(h), greater(y5, c))`, the mask taken before the transpose
 * back; null for any other gradient.
 */
function gatedByPooled(rw: Rewriter, g: Value, y: Value, y5: Value, toLast: (v: Value) => Value, ctx: PassContext): Value | null {
  const m = producerOf(g, 'mul');
  if (!m) return null;
  for (const [h, mask] of [m.inputs, [...m.inputs].reverse()] as [Value, Value][]) {
    const gt = producerOf(mask, 'greater');
    const c = gt?.inputs[1];
    if (!gt || !c || gt.inputs[0] !== y || constData(c, ctx) === null || c.type.shape.length !== 0) continue;
    if (!sameType(h.type, g.type)) continue;
    const mask5 = rw.node('greater', [y5, c], gt.attrs, gt.scope).outputs[0]!;
    return rw.node('mul', [toLast(h), mask5], m.attrs, m.scope).outputs[0]!;
  }
  return null;
}
