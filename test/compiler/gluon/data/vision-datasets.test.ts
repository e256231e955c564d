/**
 * `gluon.data.vision.MNIST`, `FashionMNIST`, `CIFAR10`, `CIFAR100` over
 * files an independent python writer makes in MXNet's layouts (gzip'd idx
 * files with their magic numbers; CIFAR's label-then-CHW records, loose, in
 * the archive's folder, or inside the .tar.gz written by python's tarfile):
 * every pixel and label known by construction, so the expected samples are
 * computed here from the same formulas; $MXNET_HOME as the default root;
 * transforms and DataLoader; the errors for missing or malformed files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gluon, nd } from 'gluonc';
import { MXNET_SHA1 } from '../../../../compiler/gluon/data/vision-datasets.js';
import { runPython } from '../../../helpers/python-server.js';

const WRITER = String.raw`
import gzip, hashlib, io, json, os, struct, sys, tarfile
job = json.load(sys.stdin)
root = job['root']
def mnist(folder, prefix, n, rows, cols, seed):
    d = os.path.join(root, folder); os.makedirs(d, exist_ok=True)
    with gzip.open(os.path.join(d, prefix + '-labels-idx1-ubyte.gz'), 'wb') as f:
        f.write(struct.pack('>II', 2049, n) + bytes((i * 3 + seed) % 10 for i in range(n)))
    with gzip.open(os.path.join(d, prefix + '-images-idx3-ubyte.gz'), 'wb') as f:
        f.write(struct.pack('>IIII', 2051, n, rows, cols) + bytes((i * 7 + seed) % 256 for i in range(n * rows * cols)))
def cifar_records(n, labels, seed):
    out = b''
    for r in range(n):
        out += bytes((r * 5 + k + seed) % 100 for k in range(labels)) + bytes((r * 11 + p * 3 + seed) % 256 for p in range(3072))
    return out
for m in job.get('mnist', []): mnist(*m)
for c in job.get('cifar', []):
    d = os.path.join(root, c['folder']); os.makedirs(d, exist_ok=True)
    files = {name: cifar_records(n, c['labels'], seed) for name, n, seed in c['files']}
    if c.get('archive'):
        with tarfile.open(os.path.join(d, c['archive']), 'w:gz') as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(c['member_dir'] + '/' + name); info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    else:
        sub = os.path.join(d, c.get('member_dir', '')); os.makedirs(sub, exist_ok=True)
        for name, data in files.items():
            open(os.path.join(sub, name), 'wb').write(data)
# Every file's SHA-1 (python's hashlib), by path under the root: the test registers them as the published sums.
sums = {}
for d, _, names in os.walk(root):
    for n in names:
        sums[os.path.relpath(os.path.join(d, n), root)] = hashlib.sha1(open(os.path.join(d, n), 'rb').read()).hexdigest()
print(json.dumps(sums))
`;

/** What the writer puts in an MNIST-layout image i and its label (see WRITER). */
const mnistPixel = (i: number, seed: number): number => (i * 7 + seed) % 256;
/** CIFAR record r's label byte k and its CHW byte p. */
const cifarLabel = (r: number, k: number, seed: number): number => (r * 5 + k + seed) % 100;
const cifarByte = (r: number, p: number, seed: number): number => (r * 11 + p * 3 + seed) % 256;

/** A file's SHA-1 by python's hashlib (independent of node:crypto). */
const pySha1 = (f: string): string => {
  const r = runPython('import hashlib, sys; print(hashlib.sha1(open(sys.argv[1], "rb").read()).hexdigest())', { args: [f] });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
};

/** MXNet's published sums as the module holds them (restored after the tests replace some). */
const PUBLISHED = JSON.parse(JSON.stringify(MXNET_SHA1)) as Record<string, Record<string, string>>;

describe('gluon.data.vision: MNIST, FashionMNIST, CIFAR10, CIFAR100 from MXNet\'s files', () => {
  let root = '';
  let sums: Record<string, string> = {};
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gluonc-datasets-'));
    const job = {
      root,
      mnist: [
        ['datasets/mnist', 'train', 5, 28, 28, 1],
        ['datasets/mnist', 't10k', 3, 28, 28, 2],
        ['datasets/fashion-mnist', 'train', 4, 28, 28, 3],
      ],
      cifar: [
        // CIFAR-10: train batches loose in the archive's folder name, the test batch only inside the archive.
        { folder: 'datasets/cifar10', member_dir: 'cifar-10-batches-bin', labels: 1, files: [1, 2, 3, 4, 5].map((k) => [`data_batch_${k}.bin`, k % 3 === 0 ? 1 : 2, k]) },
        { folder: 'datasets/cifar10', member_dir: 'cifar-10-batches-bin', archive: 'cifar-10-binary.tar.gz', labels: 1, files: [['test_batch.bin', 2, 9]] },
        { folder: 'c100', labels: 2, files: [['train.bin', 3, 4]] },
      ],
    };
    const r = runPython(WRITER, { input: JSON.stringify(job) });
    assert.equal(r.status, 0, r.stderr);
    // The files are the writer's, not MXNet's: their sums (hashlib's) stand in for MXNet's published ones here.
    sums = JSON.parse(r.stdout) as Record<string, string>;
    const folderOf: Record<string, string> = { mnist: 'datasets/mnist/', 'fashion-mnist': 'datasets/fashion-mnist/', cifar10: 'datasets/cifar10/', cifar100: 'c100/' };
    for (const [ns, table] of Object.entries(MXNET_SHA1)) {
      for (const name of Object.keys(table)) {
        const hit = Object.keys(sums).find((k) => k.startsWith(folderOf[ns]!) && path.basename(k) === name);
        if (hit) table[name] = sums[hit]!;
      }
    }
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    for (const [ns, table] of Object.entries(PUBLISHED)) Object.assign(MXNET_SHA1[ns]!, table);
  });

  it("MNIST and FashionMNIST: [28, 28, 1] uint8 and labels, train and test, from $MXNET_HOME's datasets folder by default", () => {
    const home = process.env.MXNET_HOME;
    process.env.MXNET_HOME = root;
    try {
      const train = new gluon.data.vision.MNIST();
      assert.equal(train.length, 5);
      const [x, y] = train.get(2) as [nd.NDArray, number];
      assert.deepEqual([x.dtype, x.shape], ['uint8', [28, 28, 1]]);
      assert.deepEqual(Array.from(x.data() as Uint8Array), Array.from({ length: 784 }, (_v, p) => mnistPixel(2 * 784 + p, 1)));
      assert.equal(y, (2 * 3 + 1) % 10);
      const test = new gluon.data.vision.MNIST({ train: false });
      assert.deepEqual([test.length, (test.get(1) as [nd.NDArray, number])[1]], [3, (1 * 3 + 2) % 10]);
      const fashion = new gluon.data.vision.FashionMNIST({ train: true, transform: (d: nd.NDArray, l: number) => [d.astype('float32').div(255), l] });
      const [fx, fy] = fashion.get(3) as [nd.NDArray, number];
      assert.ok(Math.abs((fx.data() as Float32Array)[10]! - mnistPixel(3 * 784 + 10, 3) / 255) < 1e-7);
      assert.equal(fy, (3 * 3 + 3) % 10);
    } finally {
      if (home === undefined) delete process.env.MXNET_HOME;
      else process.env.MXNET_HOME = home;
    }
  });

  it("d2l's load_data_fashion_mnist: transformFirst(Resize, ToTensor) in a DataLoader", () => {
    const { transforms } = gluon.data.vision;
    const trans = new transforms.Compose([new transforms.Resize(8), new transforms.ToTensor()]);
    const ds = new gluon.data.vision.FashionMNIST(path.join(root, 'datasets', 'fashion-mnist'), true).transformFirst(trans);
    const [x, y] = [...new gluon.data.DataLoader(ds, { batchSize: 4 })][0] as [nd.NDArray, nd.NDArray];
    assert.deepEqual(x.shape, [4, 1, 8, 8]);
    assert.deepEqual(Array.from(y.data() as ArrayLike<number>).map(Number), [3, 6, 9, 2]);
  });

  it('CIFAR10: the five train batches (loose files) and the test batch (inside the .tar.gz), CHW records to HWC', () => {
    const train = new gluon.data.vision.CIFAR10({ root: path.join(root, 'datasets', 'cifar10') });
    // Batches 1..5 hold 2, 2, 1, 2, 2 records.
    assert.equal(train.length, 9);
    // Sample 4 is batch 3's only record (r = 0, seed 3).
    const [x, y] = train.get(4) as [nd.NDArray, number];
    assert.deepEqual(x.shape, [32, 32, 3]);
    const px = x.data() as Uint8Array;
    for (const [h, w, c] of [[0, 0, 0], [0, 1, 2], [31, 31, 1], [5, 17, 2]] as const) assert.equal(px[(h * 32 + w) * 3 + c], cifarByte(0, c * 1024 + h * 32 + w, 3), `pixel ${h},${w},${c}`);
    assert.equal(y, cifarLabel(0, 0, 3));
    const test = new gluon.data.vision.CIFAR10({ root: path.join(root, 'datasets', 'cifar10'), train: false });
    assert.equal(test.length, 2);
    assert.equal((test.get(1) as [nd.NDArray, number])[1], cifarLabel(1, 0, 9));
    assert.equal(((test.get(1) as [nd.NDArray, number])[0].data() as Uint8Array)[3 * 40 + 1], cifarByte(1, 1024 + 40, 9));
  });

  it('CIFAR100: coarse labels by default, fine ones with fineLabel', () => {
    const coarse = new gluon.data.vision.CIFAR100({ root: path.join(root, 'c100') });
    const fine = new gluon.data.vision.CIFAR100({ root: path.join(root, 'c100'), fineLabel: true });
    assert.equal(coarse.length, 3);
    assert.deepEqual([0, 1, 2].map((i) => (coarse.get(i) as [nd.NDArray, number])[1]), [0, 1, 2].map((r) => cifarLabel(r, 0, 4)));
    assert.deepEqual([0, 1, 2].map((i) => (fine.get(i) as [nd.NDArray, number])[1]), [0, 1, 2].map((r) => cifarLabel(r, 1, 4)));
    assert.equal(((fine.get(2) as [nd.NDArray, number])[0].data() as Uint8Array)[0], cifarByte(2, 0, 4));
  });

  it('missing or malformed files: errors name the file and give the gluon.utils.download call that fetches MXNet\'s', () => {
    assert.throws(
      () => new gluon.data.vision.MNIST({ root: path.join(root, 'nowhere') }),
      /MNIST: '.*nowhere\/train-labels-idx1-ubyte\.gz' not found\. gluonc's datasets do not download \(MXNet fetches train-labels-idx1-ubyte\.gz from its repository, gluon\/dataset\/mnist\): await gluon\.utils\.download\('https:\/\/apache-mxnet\.s3-accelerate\.dualstack\.amazonaws\.com\/gluon\/dataset\/mnist\/train-labels-idx1-ubyte\.gz', \{ path: '.*nowhere', sha1Hash: '[0-9a-f]{40}' \}\) fetches it/,
    );
    assert.throws(() => new gluon.data.vision.CIFAR100({ root: path.join(root, 'nowhere'), train: false }), /CIFAR100: '.*test\.bin' not found \(nor in '.*cifar-100-binary' or the archive '.*cifar-100-binary\.tar\.gz'\)\. .*gluon\/dataset\/cifar100\/cifar-100-binary\.tar\.gz/);
    const bad = mkdtempSync(path.join(tmpdir(), 'gluonc-datasets-bad-'));
    const saved = { ...MXNET_SHA1['fashion-mnist']! };
    try {
      // Bytes whose SHA-1 is registered reach the format checks.
      writeFileSync(path.join(bad, 'train-labels-idx1-ubyte.gz'), 'not gzip');
      MXNET_SHA1['fashion-mnist']!['train-labels-idx1-ubyte.gz'] = pySha1(path.join(bad, 'train-labels-idx1-ubyte.gz'));
      assert.throws(() => new gluon.data.vision.FashionMNIST(bad), /FashionMNIST: '.*train-labels-idx1-ubyte\.gz' is not a gzip file/);
      writeFileSync(path.join(bad, 'train.bin'), Buffer.alloc(3075));
      MXNET_SHA1.cifar100!['train.bin'] = pySha1(path.join(bad, 'train.bin'));
      assert.throws(() => new gluon.data.vision.CIFAR100(bad), /CIFAR100: '.*train\.bin' holds 3075 bytes, not a whole number of 3074-byte records/);
    } finally {
      Object.assign(MXNET_SHA1['fashion-mnist']!, saved);
      rmSync(bad, { recursive: true, force: true });
    }
    assert.throws(() => new gluon.data.vision.CIFAR10({ root: path.join(root, 'c100'), train: 'yes' as never }), /CIFAR10: train must be a boolean/);
  });

  it("a file whose SHA-1 is not MXNet's is an Error naming it and both sums (MXNet would download it again), loose, in the archive's folder or the archive", () => {
    const mnist = path.join(root, 'datasets', 'mnist');
    const labels = path.join(mnist, 't10k-labels-idx1-ubyte.gz');
    const good = readFileSync(labels);
    try {
      writeFileSync(labels, Buffer.concat([good, Buffer.from([0])]));
      const actual = pySha1(labels);
      const expected = sums['datasets/mnist/t10k-labels-idx1-ubyte.gz']!;
      assert.throws(
        () => new gluon.data.vision.MNIST({ root: mnist, train: false }),
        (e: Error) => e.message.startsWith(`MNIST: '${labels}' has SHA-1 ${actual}, not MXNet's ${expected} for t10k-labels-idx1-ubyte.gz (MXNet would download it again; the constructors do not download: await gluon.utils.download('`),
      );
    } finally {
      writeFileSync(labels, good);
    }
    assert.equal(new gluon.data.vision.MNIST({ root: mnist, train: false }).length, 3);
    const cifar = path.join(root, 'datasets', 'cifar10');
    for (const f of [path.join(cifar, 'cifar-10-batches-bin', 'data_batch_4.bin'), path.join(cifar, 'cifar-10-binary.tar.gz')]) {
      const bytes = readFileSync(f);
      try {
        writeFileSync(f, Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from([bytes[bytes.length - 1]! ^ 1])]));
        const train = f.endsWith('.bin');
        assert.throws(() => new gluon.data.vision.CIFAR10({ root: cifar, train }), new RegExp(`CIFAR10: '${f.replace(/[.]/g, '\\.')}' has SHA-1 ${pySha1(f)}, not MXNet's [0-9a-f]{40} for ${path.basename(f).replace(/[.]/g, '\\.')} .*cifar10/cifar-10-binary\\.tar\\.gz`));
      } finally {
        writeFileSync(f, bytes);
      }
    }
  });
});
