/**
 * MXNet 1.x's C++ `mx.io.MNISTIter` (src/io/iter_mnist.cc), the iterator of
 * the 1.x MNIST Module tutorial: idx files in batches of float32 pixels.
 *
 * Invariants (iter_mnist.cc): pixels are the bytes times 1/256 (`img_ *=
 * 1.0f / 256.0f`, so 255 reads 0.99609375, not 1); data is `[B, 1, rows,
 * cols]`, or `[B, rows * cols]` with `flat`; labels are float32 `[B]`
 * (c_api.cc's MXDataIterGetLabel makes a `[B, 1]` label 1-D); `Next`
 * serves a batch only while `loc + batchSize <= count`, so the last
 * partial batch is dropped and `pad` is always 0; `shuffle` (default true,
 * as the C++ parameter) permutes the samples once, at construction, by
 * `seed`, and `reset()` does not reshuffle; `numParts` / `partIndex` keep
 * the samples `GetPart` keeps. Departures: the permutation for a seed is
 * gluonc's (a Fisher-Yates over a hash of `seed`), not std::shuffle's over
 * mt19937; a gzipped idx file is read too (MXNet's reads raw ones only);
 * images and labels of different counts are an Error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { NDArray } from '../../engine/ndarray.js';
import { uniformAt } from '../../ops/rng.js';
import type { DataBatch, DataDesc } from './io.js';
import { iterOptions, partRange } from './iter-options.js';
import { parseIdx } from './vision-datasets.js';

/** MNISTIter's parameters (MXNet's names, camelCase). */
export interface MNISTIterOptions {
  /** The idx3 images file (default './train-images-idx3-ubyte'); gzipped or not. */
  image?: string;
  /** The idx1 labels file (default './train-labels-idx1-ubyte'). */
  label?: string;
  batchSize?: number;
  shuffle?: boolean;
  flat?: boolean;
  seed?: number;
  silent?: boolean;
  numParts?: number;
  partIndex?: number;
  /** Accepted and ignored: there is no prefetching thread. */
  prefetchBuffer?: number;
}

const KNOWN = ['image', 'label', 'batchSize', 'shuffle', 'flat', 'seed', 'silent', 'numParts', 'partIndex', 'prefetchBuffer'];

/** An idx file, gunzipped when it starts with gzip's magic bytes. */
function readIdx(what: string, file: string, magic: number, header: number): ReturnType<typeof parseIdx> {
  if (!existsSync(file)) throw new Error(`${what}: ${magic === 2049 ? 'label' : 'image'} file '${file}' not found`);
  let bytes: Uint8Array = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`${what}: '${file}' is not a readable gzip file (${(e as Error).message})`);
    }
  }
  return parseIdx(what, file, bytes, magic, header);
}

/**
 * Batches of MNIST digits from idx files (MXNet's C++ `mx.io.MNISTIter`).
 *
 * ```ts
 * const train = new io.MNISTIter({ image: 'mnist/train-images-idx3-ubyte', label: 'mnist/train-labels-idx1-ubyte', batchSize: 100, flat: true });
 * mod.fit(train, { numEpoch: 10 });
 * ```
 */
export class MNISTIter implements Iterable<DataBatch> {
  readonly batchSize: number;
  readonly numData: number;
  readonly provideData: DataDesc[];
  readonly provideLabel: DataDesc[];
  private readonly images: Float32Array;
  private readonly labels: Float32Array;
  private readonly row: number;
  private loc = 0;

  constructor(options: MNISTIterOptions = {}) {
    const what = 'MNISTIter';
    const o = iterOptions(what, options, KNOWN, '{ image, label, batchSize, ... }');
    const image = o.str('image', './train-images-idx3-ubyte');
    const label = o.str('label', './train-labels-idx1-ubyte');
    const batchSize = o.int('batchSize', 128, 1);
    const shuffle = o.flag('shuffle', true);
    const flat = o.flag('flat', false);
    const seed = o.int('seed', 0, -(2 ** 31));
    const silent = o.flag('silent', false);
    const numParts = o.int('numParts', 1, 1);
    const partIndex = o.int('partIndex', 0, 0);
    o.num('prefetchBuffer', 4);

    const imgs = readIdx(what, image, 2051, 16);
    const view = new DataView(imgs.bytes.buffer, imgs.bytes.byteOffset, imgs.bytes.byteLength);
    const [rows, cols] = [view.getUint32(8), view.getUint32(12)];
    const row = rows * cols;
    if (imgs.body.length !== imgs.count * row) throw new Error(`${what}: '${image}' says ${imgs.count} images of ${rows}x${cols} but holds ${imgs.body.length} bytes after its header`);
    const labs = readIdx(what, label, 2049, 8);
    if (labs.count !== imgs.count) throw new Error(`${what}: '${image}' holds ${imgs.count} images but '${label}' holds ${labs.count} labels`);
    const [start, end] = partRange(what, imgs.count, numParts, partIndex);
    const n = end - start;
    const order = Array.from({ length: n }, (_v, i) => i);
    if (shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(uniformAt(seed, i) * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    this.images = new Float32Array(n * row);
    this.labels = new Float32Array(n);
    order.forEach((src, k) => {
      const from = (start + src) * row;
      for (let q = 0; q < row; q++) this.images[k * row + q] = imgs.body[from + q]! * (1 / 256);
      this.labels[k] = labs.body[start + src]!;
    });
    this.batchSize = batchSize;
    this.numData = n;
    this.row = row;
    this.provideData = [{ name: 'data', shape: flat ? [batchSize, row] : [batchSize, 1, rows, cols], dtype: 'float32', layout: 'NCHW' }];
    this.provideLabel = [{ name: 'softmax_label', shape: [batchSize], dtype: 'float32', layout: 'NCHW' }];
    if (!silent) console.info(`MNISTIter: load ${n} images, shuffle=${shuffle ? 1 : 0}, shape=(${this.provideData[0]!.shape.join(',')})`);
  }

  /** Back to the first batch (the order stays: MXNet shuffles once, at construction). */
  reset(): void {
    this.loc = 0;
  }

  /** The next full batch, or null when fewer than `batchSize` samples are left (MXNet drops them). */
  next(): DataBatch | null {
    const b = this.batchSize;
    if (this.loc + b > this.numData) return null;
    const at = this.loc;
    this.loc += b;
    return {
      data: [new NDArray({ dtype: 'float32', shape: this.provideData[0]!.shape, data: this.images.slice(at * this.row, (at + b) * this.row) })],
      label: [new NDArray({ dtype: 'float32', shape: [b], data: this.labels.slice(at, at + b) })],
      pad: 0,
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
