/**
 * GluonNLP 0.x's BERT encoder (gluonnlp/model/transformer.py's
 * `PositionwiseFFN`, bert.py's `BERTEncoderCell` and `BERTEncoder`), ported
 * as Gluon 1.x HybridBlocks with GluonNLP's attribute names, so parameters
 * read as in GluonNLP's `.params` files: `transformer_cells.0.attention_cell.
 * proj_query.weight`, `transformer_cells.0.proj.weight`,
 * `transformer_cells.0.ffn.ffn_1.weight`, `transformer_cells.0.ffn.layer_norm.gamma`,
 * `transformer_cells.0.layer_norm.beta`, `position_weight`, `layer_norm.gamma`.
 *
 * Batch-major throughout ([N, T, C], as GluonNLP 0.8; 0.9+ transposes to
 * [T, N, C] inside and back, with the same numbers).
 */
import { gluon } from 'gluonc';
import { DotProductAttentionCell, MultiHeadAttentionCell } from './attention.js';

const { nn } = gluon;
type T = gluon.Tensor;

/**
 * GluonNLP's `PositionwiseFFN`: `layer_norm(inputs + dropout(ffn_2(act(ffn_1(inputs)))))`,
 * with `activation` 'gelu' (erf, GluonNLP's `GELU()`) or an MXNet activation name.
 */
export class PositionwiseFFN extends gluon.HybridBlock {
  readonly ffn_1: InstanceType<typeof nn.Dense>;
  readonly activation: gluon.HybridBlock;
  readonly ffn_2: InstanceType<typeof nn.Dense>;
  readonly dropout_layer?: InstanceType<typeof nn.Dropout>;
  readonly layer_norm: InstanceType<typeof nn.LayerNorm>;
  readonly useResidual: boolean;

  constructor(o: { units: number; hiddenSize: number; dropout?: number; useResidual?: boolean; activation?: string; layerNormEps?: number }) {
    super();
    this.useResidual = o.useResidual ?? true;
    this.ffn_1 = new nn.Dense(o.hiddenSize, { flatten: false, inUnits: o.units });
    const act = o.activation ?? 'relu';
    this.activation = act === 'gelu' ? new nn.GELU() : act === 'approx_gelu' ? new nn.GELU('tanh') : new nn.Activation(act as 'relu');
    this.ffn_2 = new nn.Dense(o.units, { flatten: false, inUnits: o.hiddenSize });
    if (o.dropout) this.dropout_layer = new nn.Dropout(o.dropout);
    this.layer_norm = new nn.LayerNorm({ inChannels: o.units, epsilon: o.layerNormEps ?? 1e-5 });
  }

  override hybridForward(F: gluon.F, inputs: T): T {
    let outputs = this.ffn_2.call(this.activation.call(this.ffn_1.call(inputs) as T) as T) as T;
    if (this.dropout_layer) outputs = this.dropout_layer.call(outputs) as T;
    if (this.useResidual) outputs = F.add(outputs, inputs);
    return this.layer_norm.call(outputs) as T;
  }
}

/** Options of a BERT encoder cell (GluonNLP's keyword arguments, camelCase). */
export interface BERTEncoderCellOptions {
  units: number;
  hiddenSize: number;
  numHeads: number;
  dropout?: number;
  attentionUseBias?: boolean;
  activation?: string;
  layerNormEps?: number;
}

/**
 * GluonNLP's `BERTEncoderCell`: multi-head self-attention (`attention_cell`),
 * its output projection `proj`, dropout, residual and `layer_norm`, then the
 * `ffn`. Called as `cell.call(inputs [N, T, C], validLen [N, T]?)`; returns
 * `[outputs [N, T, C], attention weights [N, heads, T, T]]`.
 */
export class BERTEncoderCell extends gluon.HybridBlock {
  readonly dropout_layer?: InstanceType<typeof nn.Dropout>;
  readonly attention_cell: MultiHeadAttentionCell;
  readonly proj: InstanceType<typeof nn.Dense>;
  readonly ffn: PositionwiseFFN;
  readonly layer_norm: InstanceType<typeof nn.LayerNorm>;

  constructor(o: BERTEncoderCellOptions) {
    super();
    const dropout = o.dropout ?? 0;
    if (dropout) this.dropout_layer = new nn.Dropout(dropout);
    const base = new DotProductAttentionCell({ scaled: true, dropout });
    this.attention_cell = new MultiHeadAttentionCell(base, o.units, o.units, o.units, o.numHeads, { useBias: o.attentionUseBias ?? true, inUnits: o.units });
    this.proj = new nn.Dense(o.units, { flatten: false, useBias: true, inUnits: o.units });
    this.ffn = new PositionwiseFFN({ units: o.units, hiddenSize: o.hiddenSize, dropout, activation: o.activation ?? 'gelu', layerNormEps: o.layerNormEps ?? 1e-5 });
    this.layer_norm = new nn.LayerNorm({ inChannels: o.units, epsilon: o.layerNormEps ?? 1e-5 });
  }

  override hybridForward(F: gluon.F, inputs: T, validLen?: T): [T, T] {
    const [context, weights] = this.attention_cell.call(inputs, inputs, inputs, validLen) as [T, T];
    let outputs = this.proj.call(context) as T;
    if (this.dropout_layer) outputs = this.dropout_layer.call(outputs) as T;
    outputs = this.layer_norm.call(F.add(outputs, inputs)) as T;
    return [this.ffn.call(outputs) as T, weights];
  }
}

/** Options of `BERTEncoder` (GluonNLP's keyword arguments, camelCase). */
export interface BERTEncoderOptions {
  numLayers: number;
  units: number;
  hiddenSize: number;
  maxLength: number;
  numHeads: number;
  dropout?: number;
  activation?: string;
  layerNormEps?: number;
  /** GluonNLP's `output_attention`: also return every cell's attention weights [N, heads, T, T]. */
  outputAttention?: boolean;
  /** GluonNLP's `output_all_encodings`: return every cell's encoding (each zero past the valid length), not the last alone. */
  outputAllEncodings?: boolean;
}

/**
 * GluonNLP's `BERTEncoder`: adds the learned positions (`position_weight`
 * [max_length, units], rows 0..T-1), dropout, `layer_norm` (BERT's embedding
 * LayerNorm), then `num_layers` cells in `transformer_cells`. Called as
 * `encoder.call(inputs [N, T, units], validLength [N]?)`; returns the
 * encoding [N, T, units], zero at positions at or past each valid length
 * (GluonNLP 0.9+'s `SequenceMask`). LayerNorm epsilon defaults to 1e-12.
 * With `outputAttention` or `outputAllEncodings` it returns GluonNLP's pair
 * `[encodings, attentionWeights]`: the last encoding, or (with
 * `outputAllEncodings`) every cell's in order, each masked the same way; and
 * every cell's attention weights [N, heads, T, T] (with `outputAttention`),
 * else an empty list. Without either, the encoding alone (GluonNLP's pair
 * with an empty list, unwrapped).
 */
export class BERTEncoder extends gluon.HybridBlock {
  readonly maxLength: number;
  readonly units: number;
  readonly layerNormEps: number;
  readonly outputAttention: boolean;
  readonly outputAllEncodings: boolean;
  readonly dropout_layer?: InstanceType<typeof nn.Dropout>;
  readonly layer_norm: InstanceType<typeof nn.LayerNorm>;
  readonly position_weight: gluon.Parameter;
  readonly transformer_cells = new nn.HybridSequential();

  constructor(o: BERTEncoderOptions) {
    super();
    for (const k of ['numLayers', 'units', 'hiddenSize', 'maxLength', 'numHeads'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`BERTEncoder: ${k} must be a positive integer, got ${o[k]}`);
    }
    if (o.units % o.numHeads !== 0) throw new Error(`In BERTEncoder, The units should be divided exactly by the number of heads. Received units=${o.units}, num_heads=${o.numHeads}`);
    this.maxLength = o.maxLength;
    this.units = o.units;
    this.layerNormEps = o.layerNormEps ?? 1e-12;
    this.outputAttention = o.outputAttention ?? false;
    this.outputAllEncodings = o.outputAllEncodings ?? false;
    if (o.dropout) this.dropout_layer = new nn.Dropout(o.dropout);
    this.layer_norm = new nn.LayerNorm({ inChannels: o.units, epsilon: this.layerNormEps });
    this.position_weight = this.params.get('position_weight', { shape: [o.maxLength, o.units] });
    for (let i = 0; i < o.numLayers; i++) {
      this.transformer_cells.add(new BERTEncoderCell({ units: o.units, hiddenSize: o.hiddenSize, numHeads: o.numHeads, dropout: o.dropout, activation: o.activation ?? 'gelu', layerNormEps: this.layerNormEps }));
    }
  }

  override hybridForward(F: gluon.F, inputs: T, validLength: T | undefined, p: { position_weight: T }): T | [T | T[], T[]] {
    // Positions 0..T-1, read from the input's length when the graph runs.
    const steps = F.contrib.arangeLike(inputs, { axis: 1, dtype: 'int32' });
    let attnValidLen: T | undefined;
    if (validLength !== undefined) {
      // Each sample's valid length for every query row: [N, T] (int32, as GluonNLP casts it).
      attnValidLen = F.broadcastAdd(F.reshape(F.cast(validLength, { dtype: 'int32' }), [-1, 1]), F.reshape(F.zerosLike(steps), [1, -1]));
    }
    // Positional embedding rows 0..T-1 (GluonNLP: F.Embedding(steps, position_weight, max_length, units)).
    const positional = F.Embedding(steps, p.position_weight, { inputDim: this.maxLength, outputDim: this.units });
    let x = F.broadcastAdd(inputs, F.expandDims(positional, { axis: 0 }));
    if (this.dropout_layer) x = this.dropout_layer.call(x) as T;
    x = this.layer_norm.call(x) as T;
    const mask = (y: T): T => (validLength === undefined ? y : F.SequenceMask(y, validLength, { useSequenceLength: true, axis: 1 }));
    const encodings: T[] = [];
    const attention: T[] = [];
    for (const cell of this.transformer_cells) {
      const [y, weights] = cell.call(x, attnValidLen) as [T, T];
      x = y;
      if (this.outputAllEncodings) encodings.push(mask(y));
      if (this.outputAttention) attention.push(weights);
    }
    if (!this.outputAttention && !this.outputAllEncodings) return mask(x);
    return [this.outputAllEncodings ? encodings : mask(x), attention];
  }
}
