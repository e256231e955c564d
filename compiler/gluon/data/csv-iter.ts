/**
 * MXNet 1.x's C++ `mx.io.CSVIter` (src/io/iter_csv.cc under
 * iter_batchloader.h's BatchLoader): rows of a CSV file reshaped to
 * `dataShape`, batched.
 *
 * Invariants: each non-empty line is one sample whose comma-separated
 * numbers must count `prod(dataShape)` (iter_csv.cc's AsTBlob check); with
 * `labelCsv` its lines are the labels (`prod(labelShape)` numbers each, at
 * least as many lines as the data), without it every label is 0; a label
 * of shape `[1]` is served as `[B]` (c_api.cc's MXDataIterGetLabel), any
 * other as `[B, ...labelShape]`; the last partial batch follows
 * BatchLoader: with `roundBatch` (default) it is completed from the start
 * of the file, `pad` counts those rows, and the next epoch begins after
 * them (BatchLoader's BeforeFirst skips the rewind); without it the
 * missing rows keep the previous batch's values and `pad` counts them.
 * Departures: a field that is not a number is an Error naming the file and
 * line (dmlc's parser reads it as 0); the files are read once, at
 * construction.
 */
import { existsSync, readFileSync } from 'node:fs';
import { allocate } from '../../../runtime/dtypes.js';
import { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';
import type { DataBatch, DataDesc } from './io.js';
import { iterOptions } from './iter-options.js';

/** CSVIter's parameters (MXNet's names, camelCase). */
export interface CSVIterOptions {
  dataCsv: string;
  dataShape: number[];
  labelCsv?: string | null;
  labelShape?: number[];
  batchSize: number;
  roundBatch?: boolean;
  dtype?: 'float32' | 'int32' | 'int64';
  /** Accepted and ignored: there is no prefetching thread. */
  prefetchBuffer?: number;
}

const KNOWN = ['dataCsv', 'dataShape', 'labelCsv', 'labelShape', 'batchSize', 'roundBatch', 'dtype', 'prefetchBuffer'];
const DTYPES = ['float32', 'int32', 'int64'];

/** A shape option: positive integers, or an Error naming it. */
function shapeArg(what: string, k: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`${what}: ${k} must be a list of positive integers, got ${showValue(v)}`);
  return v as number[];
}

/** A CSV file's rows of `size` numbers each (dmlc's csv parser: one row a line, blank lines skipped). */
function readCsv(what: string, file: string, size: number, shape: number[], key: string): number[][] {
  if (!existsSync(file)) throw new Error(`${what}: ${key} file '${file}' not found`);
  const rows: number[][] = [];
  readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const row = line.split(',').map((f) => {
      const v = f.trim() === '' ? NaN : Number(f);
      if (Number.isNaN(v) && f.trim().toLowerCase() !== 'nan') throw new Error(`${what}: '${file}' line ${i + 1}: '${f.trim()}' is not a number`);
      return v;
    });
    if (row.length !== size) throw new Error(`${what}: '${file}' line ${i + 1}: The data size in CSV do not match size of shape: specified shape=(${shape.join(',')}), the csv row-length=${row.length}`);
    rows.push(row);
  });
  return rows;
}

/**
 * Batches of CSV rows (MXNet's C++ `mx.io.CSVIter`).
 *
 * ```ts
 * const it = new io.CSVIter({ dataCsv: 'data.csv', dataShape: [3], labelCsv: 'label.csv', batchSize: 2 });
 * for (const batch of it) step(batch.data[0]!, batch.label[0]!);
 * ```
 */
export class CSVIter implements Iterable<DataBatch> {
  readonly batchSize: number;
  readonly roundBatch: boolean;
  readonly numData: number;
  readonly provideData: DataDesc[];
  readonly provideLabel: DataDesc[];
  private readonly dtype: 'float32' | 'int32' | 'int64';
  private readonly data: number[][];
  private readonly label: number[][] | null;
  private readonly labelSize: number;
  /** The base iterator's next row. */
  private pos = 0;
  /** BatchLoader's num_overflow_: rows taken from the start to pad the last batch. */
  private overflow = 0;
  /** The batch buffers (stale rows stay in them without roundBatch, as BatchLoader's). */
  private bufData: number[][] = [];
  private bufLabel: number[][] = [];

  constructor(options: CSVIterOptions) {
    const what = 'CSVIter';
    const o = iterOptions(what, options, KNOWN, '{ dataCsv, dataShape, batchSize, ... }');
    const opts = options as CSVIterOptions;
    const dataCsv = o.str('dataCsv');
    const dataShape = shapeArg(what, 'dataShape', opts.dataShape);
    const labelShape = shapeArg(what, 'labelShape', opts.labelShape ?? [1]);
    const labelCsv = opts.labelCsv ?? null;
    if (labelCsv !== null) o.str('labelCsv');
    if (opts.batchSize === undefined) throw new Error(`${what}: batchSize is required`);
    this.batchSize = o.int('batchSize', 1, 1);
    this.roundBatch = o.flag('roundBatch', true);
    o.num('prefetchBuffer', 4);
    const dtype = opts.dtype ?? 'float32';
    if (!DTYPES.includes(dtype)) throw new Error(`${what}: dtype must be 'float32', 'int32' or 'int64', got ${showValue(dtype)}`);
    this.dtype = dtype;
    const size = (s: number[]): number => s.reduce((a, b) => a * b, 1);
    this.data = readCsv(what, dataCsv, size(dataShape), dataShape, 'dataCsv');
    this.labelSize = size(labelShape);
    this.label = labelCsv === null ? null : readCsv(what, labelCsv, this.labelSize, labelShape, 'labelCsv');
    if (this.label && this.label.length < this.data.length) throw new Error(`${what}: '${labelCsv}' has ${this.label.length} rows but '${dataCsv}' has ${this.data.length} (Data CSV's row is smaller than the number of rows in label_csv)`);
    if (this.data.length === 0) throw new Error(`${what}: '${dataCsv}' holds no row`);
    if (this.roundBatch && this.data.length < this.batchSize) throw new Error(`${what}: '${dataCsv}' has ${this.data.length} rows, fewer than batchSize ${this.batchSize} (number of input must be bigger than batch size)`);
    this.numData = this.data.length;
    const labelOut = this.label === null || this.labelSize === 1 ? [] : labelShape;
    this.provideData = [{ name: 'data', shape: [this.batchSize, ...dataShape], dtype, layout: 'NCHW' }];
    this.provideLabel = [{ name: 'softmax_label', shape: [this.batchSize, ...labelOut], dtype, layout: 'NCHW' }];
  }

  /** BatchLoader's BeforeFirst: rewinds, unless the last batch already took rows from the start (then the epoch goes on after them). */
  reset(): void {
    if (!this.roundBatch || this.overflow === 0) this.pos = 0;
    else this.overflow = 0;
  }

  /** One sample from the base iterator, or null at the end of the file. */
  private take(k: number): boolean {
    if (this.pos >= this.numData) return false;
    const i = this.pos++;
    this.bufData[k] = this.data[i]!;
    this.bufLabel[k] = this.label ? this.label[i]! : [0];
    return true;
  }

  /** The next batch, or null at the end of the epoch. */
  next(): DataBatch | null {
    if (this.overflow !== 0) return null;
    const b = this.batchSize;
    let top = 0;
    while (top < b && this.take(top)) top++;
    if (top === 0) return null;
    let pad = 0;
    if (top < b) {
      if (this.roundBatch) {
        this.pos = 0;
        for (; top < b; top++, this.overflow++) this.take(top);
        pad = this.overflow;
      } else pad = b - top;
    }
    const pack = (rows: number[][], desc: DataDesc): NDArray => {
      const width = rows[0]!.length;
      const out = allocate(this.dtype, b * width);
      rows.slice(0, b).forEach((r, k) => (r ?? []).forEach((v, q) => (out[k * width + q] = (this.dtype === 'int64' ? BigInt(Math.trunc(v)) : v) as never)));
      return new NDArray({ dtype: this.dtype, shape: desc.shape, data: out });
    };
    return {
      data: [pack(this.bufData, this.provideData[0]!)],
      label: [pack(this.bufLabel, this.provideLabel[0]!)],
      pad,
      index: null,
      provideData: this.provideData,
      provideLabel: this.provideLabel,
    };
  }

  /** Iterates the rest of this epoch (call `reset()` between epochs). */
  *[Symbol.iterator](): Iterator<DataBatch> {
    for (let b = this.next(); b !== null; b = this.next()) yield b;
  }
}
