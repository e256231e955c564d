/**
 * runtime/golden.ts: the comparison rule against numpy's own `isclose`
 * (equal_nan=True), at ties, infinities and NaN; a golden folder whose
 * index.json is malformed or does not describe the artifact is refused by
 * name, never passed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGolden, compareTensors, recordGolden } from '../../runtime/golden.js';
import { exportBytes, gluon, random } from '../../compiler/gluon/index.js';
import { tensorFromNumbers } from '../../runtime/index.js';
import { onnx } from '../../compiler/onnx/proto.js';
import { numpyRefs } from '../helpers/numpy.js';

describe('runtime/golden', function () {
  this.timeout(60_000);

  describe('compareTensors', () => {
    // [got, expected, rtol, atol]: ties (|got - expected| exactly atol + rtol*|expected|), infinities, NaN, signed zeros.
    const cases: [number, number, number, number][] = [
      [1.5, 1, 0, 0.5],
      [1.5, 1, 0.25, 0.25],
      [1.5, 1, 0.25, 0.24],
      [-1, 1, 1, 0],
      [0, -0, 0, 0],
      [1, 0, 1, 0],
      [Infinity, Infinity, 0, 0],
      [-Infinity, -Infinity, 1e-4, 1e-5],
      [Infinity, -Infinity, 1e-4, 1e-5],
      [1, Infinity, 1e-4, 1e-5],
      [1, Infinity, 0, 1e-5],
      [1e300, Infinity, 1e-4, 1e-5],
      [Infinity, 1, 1e-4, 1e-5],
      [Infinity, 1e308, 1, 1],
      [NaN, NaN, 0, 0],
      [NaN, 1, 1e-4, 1e-5],
      [1, NaN, 1e-4, 1e-5],
      [NaN, Infinity, 1e-4, 1e-5],
      [1e-6, 0, 1e-4, 1e-5],
      [2e-5, 0, 1e-4, 1e-5],
    ];

    it("agrees with numpy's isclose(got, expected, rtol, atol, equal_nan=True) element by element", () => {
      const [ref] = numpyRefs([
        {
          code: 'np.isclose(a, b, rtol=c, atol=d, equal_nan=True).astype(np.float64)',
          inputs: [0, 1, 2, 3].map((k) => ({ shape: [cases.length], dtype: 'float64', data: cases.map((c) => c[k]!) })),
        },
      ]);
      cases.forEach(([got, expected, rtol, atol], i) => {
        const r = compareTensors('y', tensorFromNumbers('float64', [1], [got]), tensorFromNumbers('float64', [1], [expected]), rtol, atol);
        assert.equal(r.ok, ref!.outs[0]!.data[i] === 1, `got ${got}, expected ${expected}, rtol ${rtol}, atol ${atol}: numpy says ${ref!.outs[0]!.data[i] === 1 ? 'close' : 'not close'}`);
      });
    });

    it('names the worst element: an infinity against a finite value is the worst, with an infinite error', () => {
      const r = compareTensors('y', tensorFromNumbers('float32', [3], [1, 2, 3]), tensorFromNumbers('float32', [3], [1, Infinity, 3.5]), 1e-4, 1e-5);
      assert.equal(r.ok, false);
      assert.equal(r.mismatches, 2);
      assert.deepEqual(r.worst!.index, [1]);
      assert.equal(r.worst!.error, Infinity);
    });
  });

  describe('checkGolden on a folder that does not describe the artifact', () => {
    let dir: string;
    let artifact: Uint8Array;
    let other: Uint8Array;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'gluonc-golden-'));
      random.seed(0);
      const net = new gluon.nn.Dense(3, { inUnits: 4 });
      net.initialize();
      artifact = exportBytes(net, { inputs: { x: { shape: ['N', 4], dtype: 'float32' } } }).bytes;
      // The same input, two outputs: a golden folder of the one-output model leaves 'extra' unchecked.
      class Two extends gluon.HybridBlock {
        readonly d = net;
        override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor[] {
          const y = this.d.call(x) as gluon.Tensor;
          return [y, F.broadcastMul(y, y)];
        }
      }
      other = exportBytes(new Two(), { inputs: { x: { shape: ['N', 4], dtype: 'float32' } } }).bytes;
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const record = (name: string, edit?: (idx: Record<string, unknown>) => void): string => {
      const d = join(dir, name);
      recordGolden(artifact, d, { seed: 1 });
      if (edit) {
        const idx = JSON.parse(readFileSync(join(d, 'index.json'), 'utf8')) as Record<string, unknown>;
        edit(idx);
        writeFileSync(join(d, 'index.json'), JSON.stringify(idx));
      }
      return d;
    };

    it('passes on its own recording', () => {
      assert.ok(checkGolden(artifact, record('own')).ok);
    });

    it('refuses tolerances in index.json that are not non-negative numbers (a NaN tolerance passed every output)', () => {
      for (const [key, v] of [['rtol', 'abc'], ['atol', -1], ['rtol', null]] as const) {
        const d = record(`tol-${key}-${String(v)}`, (idx) => (idx[key] = v));
        assert.throws(() => checkGolden(artifact, d), new RegExp(`index\\.json.*${key}`));
      }
    });

    it('refuses entries that are not { name, file, dtype, shape }, and files outside the folder', () => {
      const bad: [string, (idx: Record<string, unknown>) => void, RegExp][] = [
        ['no-outputs', (idx) => (idx['outputs'] = []), /records no outputs/],
        ['no-name', (idx) => delete (idx['outputs'] as Record<string, unknown>[])[0]!['name'], /outputs\[0\].*name/],
        ['outside', (idx) => ((idx['inputs'] as Record<string, unknown>[])[0]!['file'] = '../elsewhere.npy'), /inputs\[0\].*file/],
        ['shape', (idx) => ((idx['outputs'] as Record<string, unknown>[])[0]!['shape'] = 'x'), /outputs\[0\].*shape/],
      ];
      for (const [name, edit, want] of bad) assert.throws(() => checkGolden(artifact, record(name, edit)), want, name);
    });

    it('fails, naming it, an output of the artifact that the folder did not record (it went unchecked)', () => {
      const r = checkGolden(other, record('fewer'));
      assert.equal(r.ok, false, r.report);
      assert.match(r.report, /output1: FAIL: .*not recorded/);
    });
  });

  describe('recordGolden', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'gluonc-golden-rec-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('gives outputs whose names sanitize alike their own files (one overwrote the other)', () => {
      // An imported model's output names: 'y:0' and 'y_0' both made 'output-y_0.npy'.
      const g = onnxGraph(['y:0', 'y_0']);
      const d = join(dir, 'names');
      const idx = recordGolden(g, d);
      assert.equal(new Set(idx.outputs.map((o) => o.file)).size, 2, JSON.stringify(idx.outputs));
      const r = checkGolden(g, d);
      assert.ok(r.ok, r.report);
    });

    it('a recording that fails leaves no index.json of an earlier recording beside its new files', () => {
      const d = join(dir, 'again');
      const g = onnxGraph(['y']);
      recordGolden(g, d);
      // The second recording cannot write its output file (a folder stands in its place).
      rmSync(join(d, 'output-y.npy'));
      mkdirSync(join(d, 'output-y.npy'));
      assert.throws(() => recordGolden(g, d, { seed: 5 }), /output-y\.npy/);
      assert.throws(() => checkGolden(g, d), /holds no golden outputs/);
    });
  });
});

/** A one-input graph (x float32 [N, 2]) whose outputs, named `names`, are x + k for the k-th. */
function onnxGraph(names: string[]): Uint8Array {
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      input: [valueInfo('x')],
      output: names.map(valueInfo),
      initializer: names.map((_n, k) => ({ name: `c${k}`, dataType: 1, dims: [], floatData: [k] })),
      node: names.map((n, k) => ({ opType: 'Add', input: ['x', `c${k}`], output: [n] })),
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

function valueInfo(name: string) {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 2 }] } } } };
}
