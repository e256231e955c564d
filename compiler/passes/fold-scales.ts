/**
 * Folding constant scales into weights for inference artifacts: a constant
 * (or a non-differentiable parameter such as the seed's `scales`) that
 * multiplies — or divides — the output of a FullyConnected or a `dot` with
 * known weights, varying at most along the output units, is multiplied into
 * those weights (and the bias):
 *
 *   scales * FullyConnected(x, W, b)  =>  FullyConnected(x, W * scales[:, None], b * scales)
 *
 * Invariants: only with `foldParams`; the scaled layer's output feeds only
 * the multiplication, and the result keeps its type; every unit's factor
 * (after inverting a divisor) is finite and non-zero, as `y / 0` is ±Inf
 * (NaN at 0) while `W · Inf` rows would sum to NaN.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { fromF64, toF64 } from '../ops/kernels.js';
import { replacementParam, scaleRows } from './fold-batch-norm.js';
import type { Pass, PassContext } from './pass.js';
import { constData, producerOf, Rewriter, sameType } from './rewrite.js';

/**
 * Folds constant scales of a linear layer's output into its weights.
 *
 * ```ts
 * foldScales(graph, { mode: 'inference', foldParams: true }); // mul(scales, FullyConnected(x, W)) -> FullyConnected(x, W')
 * ```
 */
export const foldScales: Pass = (graph, ctx) => {
  if (!ctx.foldParams || ctx.mode !== 'inference') return { graph, changed: false };
  const rw = new Rewriter(graph);
  let changed = false;
  for (const node of graph.nodes) {
    if (node.op !== 'mul' && node.op !== 'div') continue;
    const sides = node.op === 'mul' ? [0, 1] : [0];
    for (const k of sides) {
      const f = node.inputs[k]!;
      const s = node.inputs[1 - k]!;
      const layer = producerOf(f, 'FullyConnected', 'dot');
      const sd = constData(s, ctx);
      if (!layer || !sd || rw.useCount(f) !== 1 || rw.isOutput(f) || !sameType(node.outputs[0]!.type, f.type)) continue;
      const units = unitScales(sd, f, node.op === 'div');
      const fused = units && scaleLayer(rw, layer, units, ctx);
      if (!fused) continue;
      rw.replace(node.outputs[0]!, fused);
      changed = true;
      break;
    }
  }
  rw.commit();
  return { graph, changed };
};

/** The scale of each output unit (last axis of `f`), when `s` varies along nothing else. */
function unitScales(s: HostTensor, f: Value, invert: boolean): Float64Array | null {
  const fs = f.type.shape;
  const h = fs[fs.length - 1];
  if (typeof h !== 'number' || s.shape.length > fs.length) return null;
  if (s.shape.slice(0, -1).some((d) => d !== 1)) return null;
  const last = s.shape.length ? s.shape[s.shape.length - 1]! : 1;
  if (last !== 1 && last !== h) return null;
  const v = toF64(s);
  const out = new Float64Array(h).map((_x, i) => v[last === 1 ? 0 : i]!);
  const units = invert ? out.map((x) => 1 / x) : out;
  return units.every((x) => Number.isFinite(x) && x !== 0) ? units : null;
}

/** The layer recomputed with scaled weights, or null when its weights are not known. */
function scaleLayer(rw: Rewriter, layer: Node, units: Float64Array, ctx: PassContext): Value | null {
  const [x, wv, bv] = layer.inputs as [Value, Value, Value | undefined];
  const w = constData(wv, ctx);
  if (!w || w.shape.length !== 2) return null;
  let wNew: HostTensor;
  if (layer.op === 'FullyConnected') wNew = scaleRows(w, units);
  else {
    const a = layer.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (a.transposeA) return null;
    wNew = a.transposeB ? scaleRows(w, units) : scaleColumns(w, units);
  }
  const inputs = [x, replacementParam(rw, wv, layer, wNew)];
  if (bv) {
    const b = constData(bv, ctx);
    if (!b) return null;
    inputs.push(replacementParam(rw, bv, layer, fromF64({ dtype: b.dtype, shape: [...b.shape] }, toF64(b).map((v, i) => v * units[i]!))));
  }
  return rw.node(layer.op, inputs, layer.attrs, layer.scope).outputs[0]!;
}

/** `w` [K, H] with column `h` multiplied by `s[h]`. */
function scaleColumns(w: HostTensor, s: Float64Array): HostTensor {
  const v = toF64(w).slice();
  for (let i = 0; i < v.length; i++) v[i]! *= s[i % s.length]!;
  return fromF64({ dtype: w.dtype, shape: [...w.shape] }, v);
}
