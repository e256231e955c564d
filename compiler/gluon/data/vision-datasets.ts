/**
 * MXNet's downloaded vision datasets (python/mxnet/gluon/data/vision/
 * datasets.py): `MNIST`, `FashionMNIST`, `CIFAR10`, `CIFAR100`, read from
 * the files MXNet keeps under `$MXNET_HOME/datasets/<name>` (default
 * `~/.mxnet`), so a machine that ran MXNet, or a folder holding the same
 * files, serves d2l's `FashionMNIST(train=True)` unchanged. gluonc does not
 * download: a missing file is an Error naming it and where MXNet gets it.
 *
 * Invariants: samples are `[image uint8 [H, W, C], label number]` (MNIST's
 * [28, 28, 1], CIFAR's [32, 32, 3] from the files' CHW planes), or
 * `transform(image, label)`; MNIST's idx files are gzip'd (`train-images-
 * idx3-ubyte.gz` and its labels, `t10k-...` for the test set) and their
 * magic numbers and counts are checked; CIFAR-10's `data_batch_1..5.bin` /
 * `test_batch.bin` and CIFAR-100's `train.bin` / `test.bin` records are
 * `label, 3072 bytes` (CIFAR-100: coarse then fine label), read from the
 * root, its `cifar-10-batches-bin` / `cifar-100-binary` folder, or the
 * `.tar.gz` archive in the root (read in memory, not extracted). The files'
 * SHA-1 sums are not checked (MXNet's would re-download on a mismatch).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { Dataset } from './dataset.js';

type Transform = (data: NDArray, label: number) => unknown;

/** MXNet's `base.data_dir()`: `$MXNET_HOME`, else `~/.mxnet`. */
export function dataDir(): string {
  return process.env.MXNET_HOME ?? path.join(os.homedir(), '.mxnet');
}

/** Python's `os.path.expanduser` for `~` and `~/...` (MXNet's datasets expand their roots). */
export const expandUser = (p: string): string => (p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p);

/** MXNet's `_DownloadedDataset`: images held as one uint8 array, labels as int32. */
abstract class DownloadedDataset extends Dataset<unknown> {
  readonly root: string;
  readonly train: boolean;
  protected data!: NDArray;
  protected label!: Int32Array;
  private readonly fn: Transform | null;

  protected constructor(what: string, root: string, train: boolean, transform: Transform | null) {
    super();
    if (typeof root !== 'string') throw new Error(`${what}: root must be a folder path, got ${showValue(root)}`);
    if (typeof train !== 'boolean') throw new Error(`${what}: train must be a boolean, got ${showValue(train)}`);
    if (transform !== null && typeof transform !== 'function') throw new Error(`${what}: transform must be a function (data, label) => sample, got ${showValue(transform)}`);
    this.root = expandUser(root);
    this.train = train;
    this.fn = transform;
  }

  get length(): number {
    return this.label.length;
  }

  get(i: number): unknown {
    this.checkIndex(i);
    const x = this.data.at(i);
    return this.fn ? this.fn(x, this.label[i]!) : [x, this.label[i]!];
  }

  /** A file under the root, or an Error saying gluonc does not download it. */
  protected file(what: string, name: string, source: string): Uint8Array {
    const f = path.join(this.root, name);
    if (!existsSync(f)) {
      throw new Error(`${what}: '${f}' not found. gluonc does not download datasets (MXNet fetches ${name} from ${source}); copy MXNet's files into '${this.root}' or pass another root`);
    }
    return readFileSync(f);
  }
}

/** The argument binding shared by MNIST and FashionMNIST. */
type MnistArgs = KwArgs<['root?', 'train?', 'transform?'], [root?: string, train?: boolean, transform?: Transform | null], {}>;

/**
 * MNIST's handwritten digits, `[28, 28, 1]` uint8 with labels 0-9, from
 * MXNet's files in `root` (default `$MXNET_HOME/datasets/mnist`).
 *
 * ```ts
 * const train = new gluon.data.vision.MNIST({ train: true });
 * ```
 */
export class MNIST extends DownloadedDataset {
  constructor(...args: MnistArgs) {
    const what = new.target.name;
    const folder = what === 'FashionMNIST' ? 'fashion-mnist' : 'mnist';
    const [[root = path.join(dataDir(), 'datasets', folder), train = true, transform = null]] = bindArgs<[string?, boolean?, (Transform | null)?], {}>(what, ['root?', 'train?', 'transform?'], args, []);
    super(what, root, train, transform);
    const prefix = train ? 'train' : 't10k';
    const source = `MXNet's repository (gluon/dataset/${folder})`;
    const labels = this.idx(what, `${prefix}-labels-idx1-ubyte.gz`, source, 2049, 8);
    const images = this.idx(what, `${prefix}-images-idx3-ubyte.gz`, source, 2051, 16);
    const n = labels.count;
    const view = new DataView(images.bytes.buffer, images.bytes.byteOffset);
    const [rows, cols] = [view.getUint32(8), view.getUint32(12)];
    if (images.count !== n || images.body.length !== n * rows * cols) {
      throw new Error(`${what}: '${path.join(this.root, `${prefix}-images-idx3-ubyte.gz`)}' holds ${images.count} images of ${rows}x${cols} in ${images.body.length} bytes, but the labels file has ${n} labels`);
    }
    this.label = Int32Array.from(labels.body);
    this.data = new NDArray({ dtype: 'uint8', shape: [n, rows, cols, 1], data: Uint8Array.from(images.body) });
  }

  /** A gunzipped idx file: its magic number checked, its count, and the bytes after the header. */
  private idx(what: string, name: string, source: string, magic: number, header: number): { bytes: Uint8Array; count: number; body: Uint8Array } {
    let bytes: Uint8Array;
    try {
      bytes = gunzipSync(this.file(what, name, source));
    } catch (e) {
      if ((e as Error).message.startsWith(what)) throw e;
      throw new Error(`${what}: '${path.join(this.root, name)}' is not a gzip file (${(e as Error).message})`);
    }
    return parseIdx(what, path.join(this.root, name), bytes, magic, header);
  }
}

/**
 * An idx file's bytes (LeCun's MNIST format, already gunzipped): its magic
 * number checked (2049 labels, 2051 images), its count, and the bytes after
 * the `header`; shared by the MNIST datasets and `io.MNISTIter`.
 * Example: `parseIdx('MNISTIter', f, bytes, 2049, 8)`.
 */
export function parseIdx(what: string, file: string, bytes: Uint8Array, magic: number, header: number): { bytes: Uint8Array; count: number; body: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < header || view.getUint32(0) !== magic) {
    throw new Error(`${what}: '${file}' is not an idx file of ${magic === 2049 ? 'labels' : 'images'} (magic number ${magic} expected)`);
  }
  const count = view.getUint32(4);
  const body = bytes.subarray(header);
  if (magic === 2049 && body.length !== count) throw new Error(`${what}: '${file}' says ${count} labels but holds ${body.length}`);
  return { bytes, count, body };
}

/**
 * Zalando's Fashion-MNIST, laid out as MNIST (default root
 * `$MXNET_HOME/datasets/fashion-mnist`); d2l's `load_data_fashion_mnist`.
 *
 * ```ts
 * const test = new gluon.data.vision.FashionMNIST({ train: false });
 * ```
 */
export class FashionMNIST extends MNIST {}

/** The members of a tar archive by base name (ustar: 512-byte headers, octal sizes). */
function tarMembers(bytes: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (let at = 0; at + 512 <= bytes.length; ) {
    const head = bytes.subarray(at, at + 512);
    if (head.every((b) => b === 0)) break;
    const text = (from: number, len: number): string => new TextDecoder().decode(head.subarray(from, from + len)).replace(/\0.*$/s, '');
    const name = text(345, 155) ? `${text(345, 155)}/${text(0, 100)}` : text(0, 100);
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(head[156]!);
    if (type === '0' || type === '\0') out.set(path.posix.basename(name), bytes.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** CIFAR's batch files: records of `labelBytes` labels then 3072 CHW bytes. */
abstract class CifarDataset extends DownloadedDataset {
  /** Reads the batch files `names` from the root, its `folder` or the `archive` in it, taking label byte `pick`. */
  protected read(what: string, names: string[], folder: string, archive: string, labelBytes: number, pick: number): void {
    let members: Map<string, Uint8Array> | null = null;
    const files = names.map((name) => {
      for (const f of [path.join(this.root, name), path.join(this.root, folder, name)]) if (existsSync(f)) return { f, bytes: readFileSync(f) as Uint8Array };
      if (!members && existsSync(path.join(this.root, archive))) members = tarMembers(gunzipSync(readFileSync(path.join(this.root, archive))));
      const m = (members as Map<string, Uint8Array> | null)?.get(name);
      if (m) return { f: `${path.join(this.root, archive)}:${name}`, bytes: m };
      return { f: path.join(this.root, name), bytes: this.file(what, name, `MXNet's repository (gluon/dataset/${what.toLowerCase()}/${archive})`) };
    });
    const rec = labelBytes + 3072;
    for (const { f, bytes } of files) {
      if (bytes.length % rec !== 0) throw new Error(`${what}: '${f}' holds ${bytes.length} bytes, not a whole number of ${rec}-byte records`);
    }
    const n = files.reduce((acc, { bytes }) => acc + bytes.length / rec, 0);
    const data = new Uint8Array(n * 3072);
    this.label = new Int32Array(n);
    let k = 0;
    for (const { bytes } of files) {
      for (let r = 0; r < bytes.length / rec; r++, k++) {
        const base = r * rec;
        this.label[k] = bytes[base + pick]!;
        // CHW planes to HWC.
        for (let c = 0; c < 3; c++) for (let q = 0; q < 1024; q++) data[k * 3072 + q * 3 + c] = bytes[base + labelBytes + c * 1024 + q]!;
      }
    }
    this.data = new NDArray({ dtype: 'uint8', shape: [n, 32, 32, 3], data });
  }
}

/**
 * CIFAR-10's 32x32 colour images, `[32, 32, 3]` uint8 with labels 0-9, from
 * MXNet's files in `root` (default `$MXNET_HOME/datasets/cifar10`).
 *
 * ```ts
 * const train = new gluon.data.vision.CIFAR10({ train: true });
 * ```
 */
export class CIFAR10 extends CifarDataset {
  constructor(...args: KwArgs<['root?', 'train?', 'transform?'], [root?: string, train?: boolean, transform?: Transform | null], {}>) {
    const [[root = path.join(dataDir(), 'datasets', 'cifar10'), train = true, transform = null]] = bindArgs<[string?, boolean?, (Transform | null)?], {}>('CIFAR10', ['root?', 'train?', 'transform?'], args, []);
    super('CIFAR10', root, train, transform);
    const names = train ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`) : ['test_batch.bin'];
    this.read('CIFAR10', names, 'cifar-10-batches-bin', 'cifar-10-binary.tar.gz', 1, 0);
  }
}

/**
 * CIFAR-100, `[32, 32, 3]` uint8 with the 20 coarse labels, or the 100 fine
 * ones with `fineLabel` (default root `$MXNET_HOME/datasets/cifar100`).
 *
 * ```ts
 * const train = new gluon.data.vision.CIFAR100({ fineLabel: true });
 * ```
 */
export class CIFAR100 extends CifarDataset {
  readonly fineLabel: boolean;

  constructor(...args: KwArgs<['root?', 'fineLabel?', 'train?', 'transform?'], [root?: string, fineLabel?: boolean, train?: boolean, transform?: Transform | null], {}>) {
    const [[root = path.join(dataDir(), 'datasets', 'cifar100'), fineLabel = false, train = true, transform = null]] = bindArgs<[string?, boolean?, boolean?, (Transform | null)?], {}>(
      'CIFAR100',
      ['root?', 'fineLabel?', 'train?', 'transform?'],
      args,
      [],
    );
    super('CIFAR100', root, train, transform);
    if (typeof fineLabel !== 'boolean') throw new Error(`CIFAR100: fineLabel must be a boolean, got ${showValue(fineLabel)}`);
    this.fineLabel = fineLabel;
    this.read('CIFAR100', [train ? 'train.bin' : 'test.bin'], 'cifar-100-binary', 'cifar-100-binary.tar.gz', 2, fineLabel ? 1 : 0);
  }
}
