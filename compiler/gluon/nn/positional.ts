/**
 * Position information added to a sequence `x` of shape `[N, T, units]`:
 * d2l.ai's fixed sinusoidal `PositionalEncoding` and a learned table
 * (`LearnedPositionalEmbedding`, GPT/BERT style).
 * Invariants: both read `T` from the input inside the graph (`F.shapeArray`),
 * so a traced graph keeps `T` symbolic; the sinusoidal table is computed in
 * the graph from the positions (no stored table), the learned one is
 * gathered row by row (its gradient is a scatter-add into the used rows),
 * never clipped: more than `maxLen` positions is an error.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { HybridBlock } from '../hybrid.js';
import type { Initializer } from '../init.js';
import type { Parameter } from '../parameter.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { layerError, shapeText } from './basic.js';
import { requireDimAtTrace } from '../../ops/dim-constraints.js';
import { plainShape } from '../../ops/symbolic-dim.js';

/** Options of PositionalEncoding. */
export interface PositionalEncodingOptions {
  /** The longest sequence accepted (default 1000, as d2l). */
  maxLen?: number;
  /** Dropout applied after adding the encoding, in training mode (default 0). */
  dropout?: number;
}

function checkCommon(name: string, units: number, maxLen: number, dropout: number): void {
  if (!Number.isInteger(units) || units <= 0) throw new Error(`${name}: units must be a positive integer, got ${units}`);
  if (!Number.isInteger(maxLen) || maxLen <= 0) throw new Error(`${name}: maxLen must be a positive integer, got ${maxLen}`);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new Error(`${name}: dropout must be in [0, 1), got ${dropout}`);
}

/** Checks `x` is `[N, T, units]` with a known `T` not above `maxLen`. */
function checkSequence(block: HybridBlock, x: Tensor, units: number, maxLen: number): void {
  const s = x.shape;
  if (x.ndim !== 3 || (typeof s[2] === 'number' && s[2] !== units)) {
    throw layerError(block, `the input must have shape [batch, length, ${units}], got ${shapeText(s)}`);
  }
  if (typeof s[1] === 'number' && s[1] > maxLen) {
    throw layerError(block, `the input of shape ${shapeText(s)} has ${s[1]} positions, more than maxLen = ${maxLen}`);
  }
  // A symbolic length (export): the artifact refuses a run past maxLen, naming both, as the call above does.
  const t = plainShape(s)[1];
  if (typeof t === 'string') {
    const why = `positions 0..${t}-1 of a table of maxLen = ${maxLen} rows`;
    requireDimAtTrace({ op: block.constructor.name, dim: t, cmp: '<=', value: maxLen, why, fail: (d) => `${d} positions, more than maxLen = ${maxLen}` });
  }
}

/**
 * d2l.ai's sinusoidal positional encoding: adds `P[t, 2i] = sin(t / 10000^(2i/units))`
 * and `P[t, 2i+1] = cos(t / 10000^(2i/units))` to `x` (`[N, T, units]`),
 * then applies dropout. No parameters; `units` must be even.
 *
 * ```ts
 * const pe = new nn.PositionalEncoding(32, { maxLen: 1000, dropout: 0.1 }); // or ({ units: 32, ... })
 * pe.call(nd.zeros([1, 60, 32])); // the table P itself, rows 0..59
 * ```
 */
export class PositionalEncoding extends HybridBlock {
  readonly units: number;
  readonly maxLen: number;
  readonly dropout: number;

  constructor(...args: KwArgs<['units'], [units: number], PositionalEncodingOptions>) {
    super();
    const [[units], options] = bindArgs<[number], PositionalEncodingOptions>('PositionalEncoding', ['units'], args, ['maxLen', 'dropout']);
    this.maxLen = options.maxLen ?? 1000;
    this.dropout = options.dropout ?? 0;
    checkCommon('PositionalEncoding', units, this.maxLen, this.dropout);
    if (units % 2 !== 0) throw new Error(`PositionalEncoding: units must be even (sine and cosine pairs), got ${units}`);
    this.units = units;
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    checkSequence(this, x, this.units, this.maxLen);
    const dtype = x.dtype as DType;
    const pos = F.reshape(F.arange(0, F.shapeArray(x, { axis: 1 }), 1, { dtype }), [-1, 1]); // [T, 1]
    const div = F.pow(10000, F.div(F.arange(0, this.units, 2, { dtype }), this.units)); // [units / 2]
    const angle = F.div(pos, div); // [T, units / 2]
    // [T, units / 2, 2] interleaves sin (even columns) and cos (odd columns).
    const table = F.reshape(F.stack(F.sin(angle), F.cos(angle), { axis: 2 }), [0, this.units]);
    const y = F.add(x, table);
    return this.dropout > 0 ? F.Dropout(y, { p: this.dropout }) : y;
  }

  override toString(): string {
    return `PositionalEncoding(units=${this.units}, maxLen=${this.maxLen}, dropout=${this.dropout})`;
  }
}

/** Options of LearnedPositionalEmbedding. */
export interface LearnedPositionalEmbeddingOptions {
  /** Dropout applied after adding the embedding, in training mode (default 0). */
  dropout?: number;
  /** The table's dtype (default float32). */
  dtype?: DType;
  /** The table's initializer (default: the one given to `initialize`). */
  weightInitializer?: Initializer;
}

/**
 * Learned absolute positions (GPT, BERT): a table `weight` of shape
 * `[maxLen, units]` whose rows `0..T-1` are added to `x` (`[N, T, units]`).
 * A sequence longer than `maxLen` is an error: when called (naming the
 * layer), and in an exported graph with a symbolic `T` before it runs (the
 * manifest's constraint `T <= maxLen`; the gather's `mode: 'raise'` stays
 * as a second guard).
 *
 * ```ts
 * const pos = new nn.LearnedPositionalEmbedding(64, 32); // or ({ maxLen: 64, units: 32 })
 * pos.initialize();
 * pos.call(tokenEmbeddings); // tokenEmbeddings + weight[0:T]
 * ```
 */
export class LearnedPositionalEmbedding extends HybridBlock {
  readonly maxLen: number;
  readonly units: number;
  readonly dropout: number;
  readonly weight: Parameter;

  constructor(...args: KwArgs<['maxLen', 'units'], [maxLen: number, units: number], LearnedPositionalEmbeddingOptions>) {
    super();
    const [[maxLen, units], options] = bindArgs<[number, number], LearnedPositionalEmbeddingOptions>('LearnedPositionalEmbedding', ['maxLen', 'units'], args, ['dropout', 'dtype', 'weightInitializer']);
    this.dropout = options.dropout ?? 0;
    checkCommon('LearnedPositionalEmbedding', units, maxLen, this.dropout);
    this.maxLen = maxLen;
    this.units = units;
    this.weight = this.params.get('weight', { shape: [maxLen, units], dtype: options.dtype ?? 'float32', init: options.weightInitializer, allowDeferredInit: true });
  }

  override hybridForward(F: F, x: Tensor, p: { weight: Tensor }): Tensor {
    checkSequence(this, x, this.units, this.maxLen);
    const positions = F.arange(0, F.shapeArray(x, { axis: 1 }), 1, { dtype: 'int32' }); // [T]
    // 'raise': a compiled graph run with T > maxLen fails instead of reusing the last row.
    const y = F.add(x, F.take(p.weight, positions, { mode: 'raise' })); // [N, T, units] + [T, units]
    return this.dropout > 0 ? F.Dropout(y, { p: this.dropout }) : y;
  }

  override toString(): string {
    return `LearnedPositionalEmbedding(${this.maxLen} -> ${this.units}, dropout=${this.dropout})`;
  }
}
