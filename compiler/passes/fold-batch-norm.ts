/**
 * BatchNorm folding for inference artifacts: a BatchNorm in inference mode
 * (running statistics) right after a Convolution or FullyConnected whose
 * weights are known is folded into them,
 *
 *   s = gamma / sqrt(var + eps)   (gamma = 1 with fixGamma)
 *   W' = W * s (per output channel),  b' = (b - mean) * s + beta,
 *
 * leaving one Convolution/FullyConnected with a bias.
 * Invariants: only with `foldParams` (parameters carry data and become
 * initializers); the folded weights are new parameters (named after the
 * originals when those are no longer used); the layer's output must feed
 * only the BatchNorm, on its channel axis.
 */
import type { HostTensor } from '../../runtime/tensor.js';
import type { Node } from '../ir/node.js';
import { Value } from '../ir/value.js';
import { fromF64, toF64 } from '../ops/kernels.js';
import type { Pass, PassContext } from './pass.js';
import { constData, producerOf, Rewriter } from './rewrite.js';

/**
 * Folds inference BatchNorms into the preceding layer's weights.
 *
 * ```ts
 * foldBatchNorm(graph, { mode: 'inference', foldParams: true }); // Convolution -> BatchNorm  =>  Convolution
 * ```
 */
export const foldBatchNorm: Pass = (graph, ctx) => {
  if (!ctx.foldParams || ctx.mode !== 'inference') return { graph, changed: false };
  const rw = new Rewriter(graph);
  let changed = false;
  for (const bn of graph.nodes) {
    if (bn.op !== 'BatchNorm') continue;
    const a = bn.attrs as { eps: number; fixGamma: boolean; useGlobalStats: boolean; axis: number; training: boolean | null };
    if (a.training === true && !a.useGlobalStats) continue;
    const y = bn.inputs[0]!;
    const layer = producerOf(y, 'Convolution', 'FullyConnected');
    if (!layer || rw.useCount(y) !== 1 || rw.isOutput(y)) continue;
    const rank = y.type.shape.length;
    const axis = a.axis < 0 ? a.axis + rank : a.axis;
    if (axis !== (layer.op === 'Convolution' ? 1 : rank - 1)) continue;
    if (layer.op === 'FullyConnected' && !(layer.attrs['flatten'] || rank === 2)) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((v) => constData(v, ctx));
    const w = constData(layer.inputs[1]!, ctx);
    const b = layer.inputs[2] ? constData(layer.inputs[2], ctx) : null;
    if (!gamma || !beta || !mean || !variance || !w || (layer.inputs[2] && !b)) continue;
    const s = toF64(variance).map((v, c) => (a.fixGamma ? 1 : toF64(gamma)[c]!) / Math.sqrt(v + a.eps));
    const bias = new Float64Array(s.length);
    const b0 = b ? toF64(b) : null;
    const mu = toF64(mean);
    const be = toF64(beta);
    for (let c = 0; c < s.length; c++) bias[c] = ((b0 ? b0[c]! : 0) - mu[c]!) * s[c]! + be[c]!;
    const wNew = scaleRows(w, s);
    const bNew = fromF64({ dtype: w.dtype, shape: [s.length] }, bias);
    const wv = replacementParam(rw, layer.inputs[1]!, layer, wNew);
    const bv = layer.inputs[2] ? replacementParam(rw, layer.inputs[2], layer, bNew) : rw.param(biasName(layer.inputs[1]!), bNew);
    const fused = rw.node(layer.op, [layer.inputs[0]!, wv, bv], { ...layer.attrs, noBias: false }, layer.scope);
    rw.replace(bn.outputs[0]!, fused.outputs[0]!);
    changed = true;
  }
  rw.commit();
  return { graph, changed };
};

/** `w` with row `c` (first axis: output channels/units) multiplied by `s[c]`. */
export function scaleRows(w: HostTensor, s: Float64Array): HostTensor {
  const v = toF64(w).slice();
  const per = v.length / s.length;
  for (let i = 0; i < v.length; i++) v[i]! *= s[Math.floor(i / per)]!;
  return fromF64({ dtype: w.dtype, shape: [...w.shape] }, v);
}

/** A new parameter for folded data, taking `old`'s name when `layer` is its only user. */
export function replacementParam(rw: Rewriter, old: Value, layer: Node, data: HostTensor): Value {
  if (old.kind !== 'param') return Value.constant(data);
  // The old parameter drops out of the graph when this layer was its only user: the new one takes its name.
  const only = rw.users(old).every((n) => n === layer) && !rw.isOutput(old);
  return only ? rw.param(old.name, data, old) : rw.param(`${old.name}.folded`, data);
}

function biasName(w: Value): string {
  return /weight$/.test(w.name) ? w.name.replace(/weight$/, 'bias') : `${w.name}.bias`;
}
