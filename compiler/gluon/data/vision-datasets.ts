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
 * `.tar.gz` archive in the root (read in memory, not extracted). Each file
 * read must have MXNet's published SHA-1 (`MXNET_SHA1`, from datasets.py;
 * CIFAR's archive by its own sum, its members as they are, as MXNet
 * extracts them): MXNet would download a file whose sum differs again, so
 * gluonc's Error names the file, both sums and the `gluon.utils.download`
 * call that fetches MXNet's file (the constructors do not download: they
 * are synchronous, Node's fetch is not).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { repoFileUrl } from '../download.js';
import { showValue } from '../show-value.js';
import { Dataset } from './dataset.js';

type Transform = (data: NDArray, label: number) => unknown;

/**
 * MXNet's published SHA-1 of each dataset file, by namespace (the folder of
 * MXNet's repository, gluon/dataset/<namespace>) and file name
 * (python/mxnet/gluon/data/vision/datasets.py, MXNet 1.9 and 2.0).
 */
export const MXNET_SHA1: Record<string, Record<string, string>> = {
  mnist: {
    'train-images-idx3-ubyte.gz': '6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d',
    'train-labels-idx1-ubyte.gz': '2a80914081dc54586dbdf242f9805a6b8d2a15fc',
    't10k-images-idx3-ubyte.gz': 'c3a25af1f52dad7f726cce8cacb138654b760d48',
    't10k-labels-idx1-ubyte.gz': '763e7fa3757d93b0cdec073cef058b2004252c17',
  },
  'fashion-mnist': {
    'train-images-idx3-ubyte.gz': '0cf37b0d40ed5169c6b3aba31069a9770ac9043d',
    'train-labels-idx1-ubyte.gz': '236021d52f1e40852b06a4c3008d8de8aef1e40b',
    't10k-images-idx3-ubyte.gz': '626ed6a7c06dd17c0eec72fa3be1740f146a2863',
    't10k-labels-idx1-ubyte.gz': '17f9ab60e7257a1620f4ad76bbbaf857c3920701',
  },
  cifar10: {
    'cifar-10-binary.tar.gz': 'fab780a1e191a7eda0f345501ccd62d20f7ed891',
    'data_batch_1.bin': 'aadd24acce27caa71bf4b10992e9e7b2d74c2540',
    'data_batch_2.bin': 'c0ba65cce70568cd57b4e03e9ac8d2a5367c1795',
    'data_batch_3.bin': '1dd00a74ab1d17a6e7d73e185b69dbf31242f295',
    'data_batch_4.bin': 'aab85764eb3584312d3c7f65fd2fd016e36a258e',
    'data_batch_5.bin': '26e2849e66a845b7f1e4614ae70f4889ae604628',
    'test_batch.bin': '67eb016db431130d61cd03c7ad570b013799c88c',
  },
  cifar100: {
    'cifar-100-binary.tar.gz': 'a0bb982c76b83111308126cc779a992fa506b90b',
    'train.bin': 'e207cd2e05b73b1393c74c7f5e7bea451d63e08e',
    'test.bin': '8fb6623e830365ff53cf14adec797474f5478006',
  },
};

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

  /** The `gluon.utils.download` call that fetches MXNet's `name` of `namespace` into the root. */
  protected fetchHint(namespace: string, name: string): string {
    return `await gluon.utils.download('${repoFileUrl(`gluon/dataset/${namespace}`, name)}', { path: '${this.root}', sha1Hash: '${MXNET_SHA1[namespace]![name]}' })`;
  }

  /** A file under the root, or an Error saying how to download it. */
  protected file(what: string, name: string, namespace: string): Uint8Array {
    const f = path.join(this.root, name);
    if (!existsSync(f)) {
      throw new Error(`${what}: '${f}' not found. gluonc's datasets do not download (MXNet fetches ${name} from its repository, gluon/dataset/${namespace}): ${this.fetchHint(namespace, name)} fetches it, or copy MXNet's files into '${this.root}' or pass another root`);
    }
    return checkedSha1(what, f, readFileSync(f), namespace, name, this.fetchHint(namespace, name));
  }
}

/** `bytes` of file `f` when their SHA-1 is MXNet's for `name`; else an Error naming the file and both sums (MXNet would download it again). */
function checkedSha1(what: string, f: string, bytes: Uint8Array, namespace: string, name: string, hint: string): Uint8Array {
  const expected = MXNET_SHA1[namespace]?.[name];
  const actual = createHash('sha1').update(bytes).digest('hex');
  if (expected !== undefined && actual !== expected) {
    throw new Error(`${what}: '${f}' has SHA-1 ${actual}, not MXNet's ${expected} for ${name} (MXNet would download it again; the constructors do not download: ${hint} replaces it)`);
  }
  return bytes;
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
    const labels = this.idx(what, `${prefix}-labels-idx1-ubyte.gz`, folder, 2049, 8);
    const images = this.idx(what, `${prefix}-images-idx3-ubyte.gz`, folder, 2051, 16);
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
  private idx(what: string, name: string, namespace: string, magic: number, header: number): { bytes: Uint8Array; count: number; body: Uint8Array } {
    const file = this.file(what, name, namespace);
    let bytes: Uint8Array;
    try {
      bytes = gunzipSync(file);
    } catch (e) {
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
    const namespace = what.toLowerCase();
    const hint = this.fetchHint(namespace, archive);
    const files = names.map((name) => {
      for (const f of [path.join(this.root, name), path.join(this.root, folder, name)]) if (existsSync(f)) return { f, bytes: checkedSha1(what, f, readFileSync(f), namespace, name, hint) };
      const tgz = path.join(this.root, archive);
      if (!members && existsSync(tgz)) members = tarMembers(gunzipSync(checkedSha1(what, tgz, readFileSync(tgz), namespace, archive, hint)));
      const m = (members as Map<string, Uint8Array> | null)?.get(name);
      if (m) return { f: `${tgz}:${name}`, bytes: m };
      throw new Error(`${what}: '${path.join(this.root, name)}' not found (nor in '${path.join(this.root, folder)}' or the archive '${tgz}'). gluonc's datasets do not download (MXNet fetches ${archive} from its repository, gluon/dataset/${namespace}, and extracts it): ${hint} fetches it`);
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
