/** CTCLoss (MXNet Gluon's, python/mxnet/gluon/loss.py, over the CTCLoss operator). */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, applyWeighting, lossOptions, optionalTensor, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of CTCLoss. */
export interface CTCLossOptions extends Omit<LossOptions, 'batchAxis'> {
  /** The prediction's layout: 'NTC' (default) or 'TNC'. */
  layout?: 'NTC' | 'TNC';
  /** The label's layout: 'NT' (default) or 'TN'; its batch axis is the loss's. */
  labelLayout?: 'NT' | 'TN';
}

/** MXNet's positional parameters of CTCLoss, in its order. */
const CTC_LOSS_ARGS = ['layout?', 'labelLayout?', 'weight?'] as const;

/**
 * Connectionist temporal classification loss, one value per sample (MXNet
 * Gluon's `CTCLoss(layout='NTC', label_layout='NT', weight=None)`): `pred`
 * holds unnormalized activations over C classes, the last of which (C-1)
 * is the blank; `label` holds class indices 0..C-2 padded with -1 (or give
 * `labelLengths`). `call(pred, label, predLengths?, labelLengths?,
 * sampleWeight?)`; pass null for a length left out. An impossible
 * alignment (a label longer than its frames allow) gives +inf, where MXNet
 * gave 0.
 *
 * ```ts
 * const ctc = new gluon.loss.CTCLoss();
 * ctc.call(pred, nd.array([[1, 2, -1]]));                   // pred [1, T, C]: [loss]
 * ctc.call(pred, label, null, nd.array([2]));              // label lengths given
 * ```
 */
export class CTCLoss extends Loss {
  readonly layout: 'NTC' | 'TNC';
  readonly labelLayout: 'NT' | 'TN';

  constructor(...args: OptionArgs<CTCLossOptions, typeof CTC_LOSS_ARGS>) {
    const options = bindOptions<CTCLossOptions>('CTCLoss', CTC_LOSS_ARGS, args);
    lossOptions('CTCLoss', options, ['layout', 'labelLayout']);
    const layout = options.layout ?? 'NTC';
    const labelLayout = options.labelLayout ?? 'NT';
    if (layout !== 'NTC' && layout !== 'TNC') throw new Error(`CTCLoss: layout must be 'NTC' or 'TNC', got ${JSON.stringify(layout)}`);
    if (labelLayout !== 'NT' && labelLayout !== 'TN') throw new Error(`CTCLoss: labelLayout must be 'NT' or 'TN', got ${JSON.stringify(labelLayout)}`);
    super(options.weight, labelLayout.indexOf('N'));
    this.layout = layout;
    this.labelLayout = labelLayout;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, predLengths?: unknown, labelLengths?: unknown, sampleWeight?: unknown): Tensor {
    const p = this.layout === 'NTC' ? F.swapaxes(pred, 0, 1) : pred;
    const l = this.batchAxis === 1 ? F.swapaxes(label, 0, 1) : label;
    const dl = optionalTensor(predLengths);
    const ll = optionalTensor(labelLengths);
    const loss = F.CTCLoss(p, l, dl ?? null, ll ?? null, { useDataLengths: dl !== undefined, useLabelLengths: ll !== undefined, blankLabel: 'last' });
    return applyWeighting(F, loss, this.weight, sampleWeight, 'CTCLoss');
  }

  override toString(): string {
    return `CTCLoss(layout=${this.layout}, labelLayout=${this.labelLayout}, w=${this.weight ?? 'None'})`;
  }
}
