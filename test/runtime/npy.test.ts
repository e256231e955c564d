/**
 * .npy reading and writing against numpy itself: python3 writes files we
 * read, and reads files we write, for every dtype.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, DTYPES, encodeNpy, npyFileNames, readNpy, tensorFromNumbers, tensorToNumbers, writeNpy, type DType } from '../../runtime/index.js';
import { runPython } from '../helpers/python-server.js';

function python(code: string): string {
  const r = runPython(code);
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return r.stdout;
}

/** Values every dtype can hold exactly (bool: 0/1; float16: small halves). */
function values(dtype: DType, n: number): number[] {
  return Array.from({ length: n }, (_x, i) => {
    if (dtype === 'bool') return i % 3 === 0 ? 1 : 0;
    if (dtype === 'uint8') return (i * 37) % 256;
    if (dtype === 'int8') return ((i * 37) % 256) - 128;
    if (dtype === 'int16') return ((i * 4099) % 65536) - 32768;
    if (dtype === 'uint16') return (i * 4099) % 65536;
    if (dtype === 'uint32' || dtype === 'uint64') return i * 1000003 + (dtype === 'uint32' ? 4294000000 - n * 1000003 : 2 ** 52);
    if (dtype.startsWith('float')) return (i - n / 2) * 0.25;
    return (i - n / 2) * 1000003;
  });
}

const NP: Record<DType, string> = {
  float32: 'float32', float64: 'float64', float16: 'float16', int32: 'int32', int64: 'int64', int8: 'int8', uint8: 'uint8', bool: 'bool',
  int16: 'int16', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64',
};

describe('runtime/npy', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gluonc-npy-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads what numpy writes, for every dtype (C and Fortran order, big-endian, 0-d, empty)', () => {
    const cases = DTYPES.map((d) => ({ d, shape: [2, 3, 4] }));
    const script = [
      'import numpy as np, json, sys',
      `cases = ${JSON.stringify(cases.map((c) => ({ d: NP[c.d], shape: c.shape, vals: values(c.d, 24) })))}`,
      `d = ${JSON.stringify(dir)}`,
      'for c in cases:',
      '    a = np.array(c["vals"]).astype(c["d"]).reshape(c["shape"])',
      '    np.save(f"{d}/{c[\'d\']}.npy", a)',
      '    np.save(f"{d}/{c[\'d\']}_f.npy", np.asfortranarray(a))',
      '    np.save(f"{d}/{c[\'d\']}_be.npy", a.astype(a.dtype.newbyteorder(">")))',
      'np.save(f"{d}/scalar.npy", np.float64(2.5))',
      'np.save(f"{d}/empty.npy", np.zeros((0, 3), np.int32))',
    ].join('\n');
    python(script);
    for (const { d, shape } of cases) {
      const want = values(d, 24);
      for (const suffix of ['', '_f', '_be']) {
        const t = readNpy(join(dir, `${NP[d]}${suffix}.npy`));
        assert.equal(t.dtype, d, `${d}${suffix}`);
        assert.deepEqual(t.shape, shape, `${d}${suffix}`);
        assert.deepEqual(tensorToNumbers(t), want, `${d}${suffix}`);
      }
    }
    const s = readNpy(join(dir, 'scalar.npy'));
    assert.deepEqual([s.dtype, s.shape, tensorToNumbers(s)], ['float64', [], [2.5]]);
    const e = readNpy(join(dir, 'empty.npy'));
    assert.deepEqual([e.dtype, e.shape, e.data.length], ['int32', [0, 3], 0]);
  });

  it('writes what numpy reads, for every dtype', () => {
    for (const d of DTYPES) writeNpy(join(dir, `ours_${d}.npy`), tensorFromNumbers(d, [3, 8], values(d, 24)));
    writeNpy(join(dir, 'ours_scalar.npy'), tensorFromNumbers('float32', [], [1.5]));
    writeNpy(join(dir, 'ours_vec.npy'), tensorFromNumbers('int64', [5], [1, 2, 3, 4, 5]));
    const script = [
      'import numpy as np, json',
      `d = ${JSON.stringify(dir)}`,
      `cases = ${JSON.stringify(DTYPES.map((dt) => ({ ours: dt, np: NP[dt], vals: values(dt, 24) })))}`,
      'bad = []',
      'for c in cases:',
      '    a = np.load(f"{d}/ours_{c[\'ours\']}.npy")',
      '    want = np.array(c["vals"]).astype(c["np"]).reshape(3, 8)',
      '    if a.dtype != want.dtype or a.shape != want.shape or not np.array_equal(a, want): bad.append(c["ours"])',
      's = np.load(f"{d}/ours_scalar.npy")',
      'if s.shape != () or s.dtype != np.float32 or float(s) != 1.5: bad.append("scalar")',
      'v = np.load(f"{d}/ours_vec.npy")',
      'if v.shape != (5,) or v.dtype != np.int64 or v.tolist() != [1,2,3,4,5]: bad.append("vec")',
      'print(json.dumps(bad))',
    ].join('\n');
    assert.deepEqual(JSON.parse(python(script)), []);
  });

  it('pads the header so the data starts on a 64-byte boundary', () => {
    const bytes = encodeNpy(tensorFromNumbers('float64', [2, 2], [1, 2, 3, 4]));
    assert.equal((bytes.length - 32) % 64, 0);
    assert.equal(bytes[bytes.length - 33], 0x0a); // the header ends in \n
  });

  it('round-trips through encode/decode', () => {
    for (const d of DTYPES) {
      const t = tensorFromNumbers(d, [4, 5], values(d, 20));
      const back = decodeNpy(encodeNpy(t));
      assert.deepEqual([back.dtype, back.shape, tensorToNumbers(back)], [d, [4, 5], tensorToNumbers(t)]);
    }
  });

  it('names the file and the problem for bad files', () => {
    const f = join(dir, 'bad.npy');
    writeFileSync(f, 'not numpy');
    assert.throws(() => readNpy(f), /bad\.npy'.*not a \.npy file/);
    const good = encodeNpy(tensorFromNumbers('float32', [10], values('float32', 10)));
    writeFileSync(f, good.subarray(0, good.length - 4));
    assert.throws(() => readNpy(f), /bad\.npy'.*truncated.*needs 40 bytes/);
    python(`import numpy as np; np.save(${JSON.stringify(join(dir, 'c.npy'))}, np.zeros(2, np.complex64))`);
    assert.throws(() => readNpy(join(dir, 'c.npy')), /c\.npy'.*dtype '<c8'.*not support/);
    assert.throws(() => readNpy(join(dir, 'missing.npy')), /missing\.npy': no such file/);
    assert.ok(readFileSync(join(dir, 'c.npy')).length > 0);
  });

  it('npyFileNames: safe file names, one per tensor name, even when two names sanitize alike', () => {
    assert.deepEqual(npyFileNames(['output']), ['output.npy']);
    assert.deepEqual(npyFileNames(['y:0', 'y_0', 'y/0', 'a b'], 'output-'), ['output-y_0.npy', 'output-y_0-1.npy', 'output-y_0-2.npy', 'output-a_b.npy']);
    // A name that is already the suffixed form of another keeps its own file.
    const names = npyFileNames(['y_0', 'y:0', 'y_0-1']);
    assert.equal(new Set(names).size, 3, names.join());
    assert.deepEqual(npyFileNames(['..', '.', '']), ['_...npy', '_..npy', '_.npy']);
  });
});
