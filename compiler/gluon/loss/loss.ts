/**
 * The base of every loss: a HybridBlock computing one value per sample,
 * `hybridForward(F, pred, label, sampleWeight?)`, with MXNet Gluon's
 * `weight` (a global scalar multiplier, or null for none) and `batchAxis`
 * (every other axis is averaged out). The helpers are MXNet's
 * `_apply_weighting` and `_reshape_like`.
 */
import { isSymbol } from '../../trace/symbol.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { HybridBlock } from '../hybrid.js';
import { NDArray } from '../../engine/ndarray.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { plainShape } from '../../ops/symbolic-dim.js';

/** Options every loss takes. */
export interface LossOptions {
  /** Global scalar weight of the loss (null: none). */
  weight?: number | null;
  /** The axis that ranges over the samples of the batch (default 0). */
  batchAxis?: number;
}

/**
 * Base class of the losses. A subclass implements `hybridForward(F, pred,
 * label, sampleWeight?)` and ends with `this.perSample(F, loss, sampleWeight)`.
 *
 * ```ts
 * class AbsLoss extends gluon.loss.Loss {
 *   hybridForward(F: gluon.F, pred: gluon.Tensor, label: gluon.Tensor, sampleWeight?: gluon.Tensor) {
 *     return this.perSample(F, F.abs(F.sub(pred, F.reshapeLike(label, pred))), sampleWeight);
 *   }
 * }
 * new AbsLoss().call(nd.array([[1, 2]]), nd.array([[0, 0]])); // [1.5]
 * new AbsLoss({ weight: 2 });   // as `new AbsLoss(2)`: MXNet's Loss(weight, batch_axis), by position or name
 * ```
 */
export class Loss extends HybridBlock {
  /** The global scalar weight (null: none). */
  readonly weight: number | null;
  /** The batch axis (kept by the reduction). */
  readonly batchAxis: number;

  constructor(...args: KwArgs<['weight?', 'batchAxis?'], [weight?: number | null, batchAxis?: number], {}>) {
    super();
    const name = new.target.name;
    const [[weight, batchAxis]] = bindArgs<[(number | null)?, number?], {}>(name, ['weight?', 'batchAxis?'], args, []);
    if (weight !== null && weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight))) {
      throw new Error(`${name}: weight must be a finite number or null, got ${JSON.stringify(weight)}`);
    }
    if (batchAxis !== undefined && !Number.isInteger(batchAxis)) {
      throw new Error(`${name}: batchAxis must be an integer, got ${JSON.stringify(batchAxis)}`);
    }
    this.weight = weight ?? null;
    this.batchAxis = batchAxis ?? 0;
  }

  /**
   * Applies `sampleWeight` (broadcast) and `weight`, then averages every
   * axis but the batch axis: MXNet's `_apply_weighting` + `F.mean(..., exclude=True)`.
   */
  protected perSample(F: F, loss: Tensor, sampleWeight?: unknown, weight: number | null = this.weight): Tensor {
    const weighted = applyWeighting(F, loss, weight, sampleWeight, this.constructor.name);
    return F.mean(weighted, { axis: this.batchAxis, exclude: true });
  }

  override toString(): string {
    return `${this.constructor.name}(batchAxis=${this.batchAxis}, w=${this.weight ?? 'None'})`;
  }
}

/**
 * Checks a built-in loss's options object: `weight`, `batchAxis` and the
 * loss's own `keys`; an unknown (misspelt, snake_case) option is an Error
 * naming it and the valid ones.
 *
 * ```ts
 * lossOptions('HuberLoss', options, ['rho']);
 * ```
 */
export function lossOptions(loss: string, options: unknown, keys: readonly string[] = []): void {
  checkOptions(loss, options, ['weight', 'batchAxis', ...keys]);
}

/**
 * `loss * sampleWeight` (broadcast) then `* weight`; either may be absent
 * (a `sampleWeight` that is not a tensor, such as the parameter object
 * `hybridForward` receives last, counts as absent). A sample weight must
 * broadcast to the loss's shape without enlarging it: `[N]` against a
 * `[N, 1]` loss (SoftmaxCrossEntropyLoss's) is an Error naming `owner` and
 * both shapes, where MXNet broadcast it to `[N, N]` and mixed the samples'
 * weights; give `[N, 1]`. An integer or bool sample weight (a mask, as
 * d2l's word2vec passes) is cast to the float loss's dtype first, as MXNet
 * 2's `loss * sample_weight` promotes it.
 *
 * ```ts
 * applyWeighting(nd, loss, 0.5, nd.array([[1], [2]]));
 * ```
 */
export function applyWeighting(F: F, loss: Tensor, weight: number | null | undefined, sampleWeight?: unknown, owner = 'applyWeighting'): Tensor {
  let out = loss;
  const sw = optionalTensor(sampleWeight);
  if (sw !== undefined) {
    const [ls, ws] = [plainShape(loss.shape), plainShape(sw.shape)];
    const r = Math.max(ls.length, ws.length);
    const result = Array.from({ length: r }, (_v, i) => {
      const a = ls[ls.length - r + i] ?? 1;
      const b = ws[ws.length - r + i] ?? 1;
      return a === 1 ? b : a;
    });
    if (result.length !== ls.length || result.some((d, i) => d !== ls[i])) {
      const fmt = (s: readonly unknown[]) => `[${s.join(', ')}]`;
      throw new Error(`${owner}: sampleWeight of shape ${fmt(ws)} would broadcast the loss of shape ${fmt(ls)} to ${fmt(result)}; give it a shape that broadcasts to the loss's (such as [${ls[0]}${', 1'.repeat(Math.max(ls.length - 1, 0))}])`);
    }
    const floats = ['float16', 'float32', 'float64'];
    out = F.broadcastMul(out, floats.includes(loss.dtype) && !floats.includes(sw.dtype) ? F.cast(sw, { dtype: loss.dtype }) : sw);
  }
  if (weight !== null && weight !== undefined) out = F.mul(out, weight);
  return out;
}

/**
 * The optional sample weight among `hybridForward`'s trailing arguments: a
 * tensor, or undefined when the argument is the block's (empty) parameter
 * object, which `hybridForward` receives last.
 *
 * ```ts
 * optionalTensor(nd.ones([2])); // the array
 * optionalTensor({});           // undefined
 * ```
 */
export function optionalTensor(x: unknown): Tensor | undefined {
  return x instanceof NDArray || isSymbol(x) ? x : undefined;
}
