/**
 * GluonNLP 0.x's attention cells (gluonnlp/model/attention_cell.py), ported
 * as Gluon 1.x HybridBlocks: `DotProductAttentionCell` (scaled dot product,
 * masked softmax, attention dropout) and `MultiHeadAttentionCell` (query,
 * key and value projected by the Dense layers `proj_query`, `proj_key`,
 * `proj_value`, split into heads, attended by the base cell, joined back).
 *
 * The mask is GluonNLP's: a valid length per query row, shape [N, Tq]
 * (`_masked_softmax` is `F.softmax(score, mask, use_length=True, axis=-1)`),
 * so key positions at or past a row's length get weight 0.
 */
import { gluon } from 'gluonc';

const { nn } = gluon;
type T = gluon.Tensor;

/**
 * GluonNLP's `DotProductAttentionCell` with `units=None` (no projection of
 * its own, as BERT uses it): `score = <q, k> / sqrt(dim_q)` when `scaled`,
 * softmax over the keys up to each row's valid length, dropout on the weights.
 */
export class DotProductAttentionCell extends gluon.HybridBlock {
  readonly scaled: boolean;
  readonly _dropout_layer: InstanceType<typeof nn.Dropout>;

  constructor(opts: { scaled?: boolean; dropout?: number } = {}) {
    super();
    this.scaled = opts.scaled ?? true;
    this._dropout_layer = new nn.Dropout(opts.dropout ?? 0);
  }

  /** Attention weights [B, Tq, Tk] of query [B, Tq, d] and key [B, Tk, d]; `mask`: valid lengths [B, Tq]. */
  computeWeight(F: gluon.F, query: T, key: T, mask?: T): T {
    if (this.scaled) query = F.contrib.divSqrtDim(query);
    const score = F.batchDot(query, key, { transposeB: true });
    const weights = mask === undefined ? F.softmax(score, { axis: -1 }) : F.softmax(score, mask, { axis: -1, useLength: true });
    return this._dropout_layer.call(weights) as T;
  }

  /** The context [B, Tq, dv]: the weights times value [B, Tk, dv]. */
  readByWeight(F: gluon.F, weights: T, value: T): T {
    return F.batchDot(weights, value);
  }

  override hybridForward(F: gluon.F, query: T, key: T, value: T, mask?: T): [T, T] {
    const weights = this.computeWeight(F, query, key, mask);
    return [this.readByWeight(F, weights, value), weights];
  }
}

/**
 * GluonNLP's `MultiHeadAttentionCell(base_cell, query_units, key_units,
 * value_units, num_heads, use_bias)`. Called as `cell.call(query, key, value,
 * mask?)`; returns `[context [N, Tq, value_units], weights [N, heads, Tq, Tk]]`.
 * Parameters: `proj_query.weight`, `proj_query.bias`, ... as in GluonNLP's files.
 */
export class MultiHeadAttentionCell extends gluon.HybridBlock {
  readonly baseCell: DotProductAttentionCell;
  readonly numHeads: number;
  readonly proj_query: InstanceType<typeof nn.Dense>;
  readonly proj_key: InstanceType<typeof nn.Dense>;
  readonly proj_value: InstanceType<typeof nn.Dense>;

  constructor(baseCell: DotProductAttentionCell, queryUnits: number, keyUnits: number, valueUnits: number, numHeads: number, opts: { useBias?: boolean; inUnits?: number } = {}) {
    super();
    for (const [name, unit] of [['query', queryUnits], ['key', keyUnits], ['value', valueUnits]] as const) {
      if (unit % numHeads !== 0) throw new Error(`In MultiHeadAttention, the ${name}_units should be divided exactly by the number of heads. Received ${name}_units=${unit}, num_heads=${numHeads}`);
    }
    this.numHeads = numHeads;
    // GluonNLP's `_base_cell`: a child without parameters, so it adds no names.
    this.baseCell = baseCell;
    const useBias = opts.useBias ?? true;
    const inUnits = opts.inUnits ?? 0;
    this.proj_query = new nn.Dense(queryUnits, { useBias, flatten: false, inUnits });
    this.proj_key = new nn.Dense(keyUnits, { useBias, flatten: false, inUnits });
    this.proj_value = new nn.Dense(valueUnits, { useBias, flatten: false, inUnits });
  }

  /** [N, T, units] projected, then as heads: [N * heads, T, units / heads]. */
  private project(F: gluon.F, proj: InstanceType<typeof nn.Dense>, x: T): T {
    const y = proj.call(x) as T;
    return F.reshape(F.transpose(F.reshape(y, [0, 0, this.numHeads, -1]), { axes: [0, 2, 1, 3] }), { shape: [-1, 0, 0], reverse: true });
  }

  override hybridForward(F: gluon.F, query: T, key: T, value: T, mask?: T): [T, T] {
    const q = this.project(F, this.proj_query, query);
    const k = this.project(F, this.proj_key, key);
    // Each sample's valid lengths repeated for its heads: [N, Tq] -> [N * heads, Tq].
    const m = mask === undefined ? undefined : F.reshape(F.broadcastAxis(F.expandDims(mask, { axis: 1 }), { axis: 1, size: this.numHeads }), { shape: [-1, 0], reverse: true });
    const weights = this.baseCell.computeWeight(F, q, k, m);
    const v = this.project(F, this.proj_value, value);
    const context = this.baseCell.readByWeight(F, weights, v);
    const joined = F.reshape(F.transpose(F.reshape(context, { shape: [-1, this.numHeads, 0, 0], reverse: true }), { axes: [0, 2, 1, 3] }), [0, 0, -1]);
    return [joined, F.reshape(weights, { shape: [-1, this.numHeads, 0, 0], reverse: true })];
  }
}
