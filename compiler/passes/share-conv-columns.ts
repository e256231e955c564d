/**
 * A convolution whose input is unfolded already (`convColumns` of the same
 * data and geometry: its weight gradient, see conv.ts `byColumns`) reads
 * those columns: `Convolution(x, w, b)` becomes
 * `transpose(reshape(dot(reshape(w, [F, -1]), cols) + b, [F, out..., N]))`,
 * one Gemm over every example instead of onnxruntime's one small GEMM per
 * image. LeNet, batch 64, 1 thread (python onnxruntime 1.30, median us):
 * conv1 (C=1) 454 as Conv+Relu, 309 by the shared columns (657 when it
 * unfolds them itself); conv2 (C=6) 589 and 245.
 * Invariant: exact up to float summation order; only ungrouped
 * convolutions, and only where the columns exist (training graphs that
 * take the weight's gradient), so inference graphs never change.
 */
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { convGeom, type ConvAttrs } from '../ops/conv.js';
import { colGeom, type ColAttrs } from '../ops/conv-columns.js';
import type { Pass } from './pass.js';
import { Rewriter, sameType } from './rewrite.js';

const same = (a: unknown, b: readonly number[]): boolean => Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Rewrites convolutions whose input's columns exist into a Gemm by them.
 *
 * ```ts
 * shareConvColumns(graph, ctx); // Convolution(x, w, b) -> transpose(reshape(dot(reshape(w), convColumns(x)) + b))
 * ```
 */
export const shareConvColumns: Pass = (graph) => {
  const rw = new Rewriter(graph);
  let changed = false;
  for (const node of graph.nodes) {
    if (node.op !== 'Convolution') continue;
    const [x, w, b] = node.inputs as [Value, Value, Value | undefined];
    const geo = convGeom('Convolution', node.inputs.map((v) => v.type), node.attrs as ConvAttrs);
    if (geo.group !== 1) continue;
    const sameGeometry = (n: Node): boolean => {
      const c = colGeom([x.type], n.attrs as ColAttrs);
      return same(c.kernel, geo.kernel) && same(c.stride, geo.stride) && same(c.dilate, geo.dilate) && same(c.pad, geo.pad);
    };
    const cols = rw.users(x).find((n: Node) => n.op === 'convColumns' && sameGeometry(n))?.outputs[0];
    const y = node.outputs[0]!;
    const F = y.type.shape[1];
    if (!cols || typeof F !== 'number') continue;
    const nd = geo.kernel.length;
    const wm = rw.node('reshape', [w], { shape: [F, -1] }, node.scope).outputs[0]!;
    let m = rw.node('dot', [wm, cols], {}, node.scope).outputs[0]!;
    if (b) m = rw.node('broadcastAdd', [m, rw.node('reshape', [b], { shape: [F, 1] }, node.scope).outputs[0]!], {}, node.scope).outputs[0]!;
    const planes = rw.node('reshape', [m], { shape: [F, ...y.type.shape.slice(2), -1] }, node.scope).outputs[0]!;
    const out = rw.node('transpose', [planes], { axes: [nd + 1, ...Array.from({ length: nd + 1 }, (_v, i) => i)] }, node.scope).outputs[0]!;
    if (!sameType(out.type, y.type)) continue;
    rw.replace(y, out);
    changed = true;
  }
  rw.commit();
  return { graph, changed };
};
