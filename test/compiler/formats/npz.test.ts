/**
 * numpy's .npz archives, which MXNet 2 writes in numpy mode (`npx.set_np()`:
 * `save_parameters` and `export` call `npx.savez`, src/serialization/cnpy.cc).
 * The files here are written by numpy itself (np.savez, np.savez_compressed),
 * an independent writer of the same format.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, gluon, random } from 'gluonc';
import { runPython } from '../../helpers/python-server.js';

type NDArray = nd.NDArray;
const { Dense } = gluon.nn;

/** Runs python3 with numpy; `job` arrives as JSON in `job`. */
function python(code: string, job: unknown): void {
  const r = runPython(`import json, sys\nimport numpy as np\njob = json.load(sys.stdin)\n${code}`, { input: JSON.stringify(job) });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
}

/** The values as numbers (float16 data is stored as its bits: read it through float32). */
const flat = (a: NDArray): number[] => Array.from((a.dtype === 'float16' ? a.astype('float32') : a).data() as ArrayLike<number | bigint>, Number);

describe('numpy .npz archives (MXNet 2 parameter files)', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-npz-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const writer of ['savez', 'savez_compressed']) {
    it(`nd.load reads np.${writer}: every dtype, 0-d and empty arrays, Fortran order, names with dots and unicode`, () => {
      python(`
a = {
  'w.0.weight': np.arange(6, dtype='<f4').reshape(2, 3) / 4,
  'f64': np.array([np.e, -1e300]),
  'f16': np.array([0.5, -2, 65504], dtype='<f2'),
  'i8': np.array([-128, 127], dtype='i1'), 'u8': np.array([0, 255], dtype='u1'),
  'i32': np.array([[-5], [2147483647]], dtype='<i4'), 'i64': np.array([-3, 2**40], dtype='<i8'),
  'flag': np.array([True, False]),
  'scalar': np.array(42.5, dtype='<f4'), 'empty': np.zeros((0, 3), dtype='<f4'),
  'fortran': np.asfortranarray(np.arange(24, dtype='<f4').reshape(2, 3, 4)),
  'ünï€': np.array([1.0], dtype='<f4'),
}
assert np.isfortran(a['fortran'])
np.${writer}(job['path'], **a)`, { path: file(`${writer}.npz`) });
      const got = nd.load(file(`${writer}.npz`)) as Record<string, NDArray>;
      const want: [string, string, number[], number[]][] = [
        ['w.0.weight', 'float32', [2, 3], [0, 0.25, 0.5, 0.75, 1, 1.25]],
        ['f64', 'float64', [2], [Math.E, -1e300]],
        ['f16', 'float16', [3], [0.5, -2, 65504]],
        ['i8', 'int8', [2], [-128, 127]], ['u8', 'uint8', [2], [0, 255]],
        ['i32', 'int32', [2, 1], [-5, 2147483647]], ['i64', 'int64', [2], [-3, 2 ** 40]],
        ['flag', 'bool', [2], [1, 0]],
        ['scalar', 'float32', [], [42.5]], ['empty', 'float32', [0, 3], []],
        ['fortran', 'float32', [2, 3, 4], Array.from({ length: 24 }, (_x, i) => i)],
        ['ünï€', 'float32', [1], [1]],
      ];
      assert.deepEqual(Object.keys(got).sort(), want.map(([k]) => k).sort());
      for (const [k, dtype, shape, data] of want) {
        assert.equal(got[k]!.dtype, dtype, k);
        assert.deepEqual(got[k]!.shape, shape, k);
        assert.deepEqual(flat(got[k]!), data, k);
      }
    });
  }

  it('loadParameters reads MXNet 2\'s save_parameters (structural names) and export (arg:/aux: names, by structural order)', () => {
    random.seed(11);
    const make = () => {
      const net = new gluon.nn.HybridSequential();
      net.add(new Dense(4, { inUnits: 3, activation: 'relu' }), new gluon.nn.BatchNorm({ inChannels: 4 }), new Dense(2, { inUnits: 4 }));
      return net;
    };
    const src = make();
    src.initialize();
    src.collectParams().get('1.running_var').setData(nd.array([0.5, 1, 2, 4]));
    const x = nd.random.uniform(-1, 1, [5, 3]);
    const y = flat(src.call(x) as NDArray);
    const entries = src.collectParams().entries().map(([k, p]) => ({ k, shape: p.shape, data: flat(p.data()) }));
    python(`
arrays = {e['k']: np.array(e['data'], dtype='<f4').reshape(e['shape']) for e in job['entries']}
# A file object: np.savez would add '.npz' to a name (MXNet's npx.savez writes the name as given).
np.savez(open(job['path'], 'wb'), **arrays)
aux = lambda k: 'running' in k
np.savez(open(job['export'], 'wb'), **{('aux:' if aux(k) else 'arg:') + 'dense_' + k.replace('.', '_'): v for k, v in arrays.items()})`,
    { path: file('net.params'), export: file('net-0000.params'), entries });
    for (const f of ['net.params', 'net-0000.params']) {
      const net = make();
      net.loadParameters(file(f));
      assert.deepEqual(flat(net.call(x) as NDArray), y, f);
      assert.deepEqual(flat(net.collectParams().get('1.running_var').data()), [0.5, 1, 2, 4], `${f}: the moving variance`);
    }
    // Shapes that do not fit: the error names the parameter, the entry and both shapes.
    const wide = new gluon.nn.HybridSequential();
    wide.add(new Dense(4, { inUnits: 5 }));
    assert.throws(() => wide.loadParameters(file('net.params'), { ignoreExtra: true }), /Parameter '0\.weight' has shape \[4, 5\] but file '.*net\.params' holds shape \[4, 3\]/);
  });

  it('a truncated, corrupted or foreign archive is an Error naming the file (never a crash)', () => {
    python(`
np.savez(job['ok'], w=np.arange(8, dtype='<f4'))
np.savez(job['big'], w=np.arange(3, dtype='>f4'))
np.savez(job['c16'], w=np.arange(3, dtype='complex64'))
import zipfile
with zipfile.ZipFile(job['foreign'], 'w') as z:
    z.writestr('readme.txt', 'hello')`,
    { ok: file('ok.npz'), big: file('big.npz'), c16: file('c16.npz'), foreign: file('foreign.npz') });
    // A big-endian member is read as a lone .npy file is (the one parser, runtime/npy.ts, swaps its bytes; numpy reads it too).
    const big = (nd.load(file('big.npz')) as Record<string, NDArray>).w!;
    assert.equal(big.dtype, 'float32');
    assert.deepEqual(flat(big), [0, 1, 2]);
    assert.throws(() => nd.load(file('c16.npz')), /c16\.npz: not a valid \.npz archive: member 'w\.npy': has dtype '<c8', which gluonc does not support \(supported: float32 '<f4'/);
    assert.throws(() => nd.load(file('foreign.npz')), /foreign\.npz: .*member 'readme\.txt': not an '\.npy' array/);
    const bytes = fs.readFileSync(file('ok.npz'));
    let loaded = 0;
    for (let k = 4; k < bytes.length; k += 3) {
      fs.writeFileSync(file('cut.npz'), bytes.subarray(0, k));
      try {
        nd.load(file('cut.npz'));
        loaded++;
      } catch (e) {
        assert.ok(e instanceof Error && e.message.includes(file('cut.npz')), `truncated at ${k}: ${String(e)}`);
      }
    }
    assert.equal(loaded, 0, 'no truncated archive loads');
    for (let k = 0; k < bytes.length; k += 2) {
      const c = Buffer.from(bytes);
      c[k] = c[k]! ^ 0x5a;
      fs.writeFileSync(file('flip.npz'), c);
      try {
        nd.load(file('flip.npz'));
      } catch (e) {
        assert.ok(e instanceof Error && e.message.includes(file('flip.npz')), `byte ${k} flipped: ${String(e)}`);
      }
    }
  });
});
