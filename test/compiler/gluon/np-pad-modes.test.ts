/**
 * np.pad's modes symmetric, wrap, maximum, minimum, mean, median and
 * linear_ramp, and reflect / symmetric / wrap wider than the axis, against
 * numpy (python3): eager, hybridized, and the gradient of the float modes
 * against numpy finite differences (float64).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, nd, np } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { hybridCall } from '../../helpers/layers.js';

const values = (a: NDArray) => Array.from(a.data() as ArrayLike<number | bigint>, Number);

type Case = [string, (a: NDArray) => NDArray, string];

// [what, gluonc, numpy] over a 3x4 array: widths under, at and over the axis size (wrap / symmetric / reflect
// repeat numpy's periodic extension), one-sided widths, statLength in every form (clipped to the axis), ramps.
const CASES: Case[] = [
  ['symmetric 1', (a) => np.pad(a, 1, 'symmetric'), "np.pad(a, 1, mode='symmetric')"],
  ['symmetric [[4, 7], [0, 9]]', (a) => np.pad(a, [[4, 7], [0, 9]], 'symmetric'), "np.pad(a, ((4, 7), (0, 9)), mode='symmetric')"],
  ['wrap [[2, 3], [4, 1]]', (a) => np.pad(a, [[2, 3], [4, 1]], 'wrap'), "np.pad(a, ((2, 3), (4, 1)), mode='wrap')"],
  ['wrap 10', (a) => np.pad(a, 10, { mode: 'wrap' }), "np.pad(a, 10, mode='wrap')"],
  ['reflect [[5, 2], [3, 11]]', (a) => np.pad(a, [[5, 2], [3, 11]], 'reflect'), "np.pad(a, ((5, 2), (3, 11)), mode='reflect')"],
  ['maximum [1, 2]', (a) => np.pad(a, [1, 2], 'maximum'), "np.pad(a, (1, 2), mode='maximum')"],
  ['minimum statLength 2', (a) => np.pad(a, [[2, 1], [1, 3]], { mode: 'minimum', statLength: 2 }), "np.pad(a, ((2, 1), (1, 3)), mode='minimum', stat_length=2)"],
  ['mean', (a) => np.pad(a, [[1, 2], [2, 1]], 'mean'), "np.pad(a, ((1, 2), (2, 1)), mode='mean')"],
  ['mean statLength [[1, 3], [2, 9]]', (a) => np.pad(a, 2, { mode: 'mean', statLength: [[1, 3], [2, 9]] }), "np.pad(a, 2, mode='mean', stat_length=((1, 3), (2, 9)))"],
  ['median', (a) => np.pad(a, [[2, 1], [1, 2]], 'median'), "np.pad(a, ((2, 1), (1, 2)), mode='median')"],
  ['median statLength [2, 3]', (a) => np.pad(a, 1, { mode: 'median', statLength: [2, 3] }), "np.pad(a, 1, mode='median', stat_length=(2, 3))"],
  ['linear_ramp', (a) => np.pad(a, [[2, 3], [1, 4]], 'linear_ramp'), "np.pad(a, ((2, 3), (1, 4)), mode='linear_ramp')"],
  ['linear_ramp endValues', (a) => np.pad(a, [[3, 1], [2, 5]], { mode: 'linear_ramp', endValues: [[-4, 9], [2.5, 7]] }), "np.pad(a, ((3, 1), (2, 5)), mode='linear_ramp', end_values=((-4, 9), (2.5, 7)))"],
  ['linear_ramp to its own edge (a zero step)', (a) => np.pad(a, [[0, 0], [3, 0]], { mode: 'linear_ramp', endValues: [[0, 0], [4, 0]] }), "np.pad(a, ((0, 0), (3, 0)), mode='linear_ramp', end_values=((0, 0), (4, 0)))"],
];

describe('np.pad: numpy modes beyond constant, edge and reflect', () => {
  // Distinct values (no ties for maximum / minimum / median's gradient); the int32 array has ties and odd means.
  const xf = np.array([3.5, -1.25, 7, 0.5, 2, 9.75, -3, 4.25, 6.5, 1, -2.5, 8], { dtype: 'float64' }).reshape([3, 4]);
  const xi = np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8], { dtype: 'int32' }).reshape([3, 4]);
  const xs = [xf, xi, xf.astype('float32')];
  const dt = (x: NDArray) => (x.dtype === 'int32' ? 'int32' : x.dtype);
  const jobs = xs.flatMap((x) => CASES.map(([, , code]) => ({ code, inputs: [{ shape: x.shape as number[], dtype: dt(x), data: values(x) }] })));
  const refs = numpyRefs(jobs);

  it('each mode matches numpy, float64, int32 (rounded and floored as numpy) and float32, eager and hybridized', () => {
    let j = 0;
    for (const x of xs) {
      for (const [what, f] of CASES) {
        const ref = refs[j++]!;
        assert.equal(ref.error, undefined, `${what}: ${ref.error}`);
        for (const [how, y] of [['eager', f(x)], ['hybridized', hybridCall(f, x)]] as const) {
          assert.equal(y.dtype, x.dtype, `${what} ${x.dtype} ${how}: dtype`);
          assert.deepEqual(y.shape, ref.outs[0]!.shape, `${what} ${x.dtype} ${how}: shape`);
          const tol = x.dtype === 'float32' ? 1e-5 : x.dtype === 'float64' ? 1e-12 : 0;
          values(y).forEach((v, i) => assert.ok(Math.abs(v - (ref.outs[0]!.data[i] as number)) <= tol * Math.max(1, Math.abs(v)), `${what} ${x.dtype} ${how} [${i}]: ${v} vs numpy ${ref.outs[0]!.data[i]}`));
        }
      }
    }
  });

  it('fixed samples: an int32 mean of .5 rounds to even, a median of two middles averages them, a 1-element axis reflects to itself', () => {
    const a = np.array([1, 2], { dtype: 'int32' });
    assert.deepEqual(values(np.pad(a, 1, 'mean')), [2, 1, 2, 2]); // mean 1.5 -> 2 (half to even)
    assert.deepEqual(values(np.pad(np.array([2, 3], { dtype: 'int32' }), 1, 'mean')), [2, 2, 3, 2]); // 2.5 -> 2
    assert.deepEqual(values(np.pad(np.array([1, 10, 2, 7], { dtype: 'float64' }), [1, 0], 'median')), [4.5, 1, 10, 2, 7]);
    assert.deepEqual(values(np.pad(np.array([5], { dtype: 'float64' }), 3, 'reflect')), [5, 5, 5, 5, 5, 5, 5]);
    assert.deepEqual(values(np.pad(np.array([1, 2, 3], { dtype: 'float64' }), [5, 4], 'symmetric')), [2, 3, 3, 2, 1, 1, 2, 3, 3, 2, 1, 1]);
    assert.deepEqual(values(np.pad(np.array([0, 6], { dtype: 'int32' }), [0, 4], { mode: 'linear_ramp', endValues: 1 })), [0, 6, 4, 3, 2, 1]); // floor(1 + 5 * k / 4)
  });

  it("gradients of the float modes match numpy's finite differences of sum(w * pad(x)), eager and hybridized", () => {
    const diff = CASES.filter(([what]) => !what.includes('zero step'));
    const w = (y: NDArray) => np.array(Array.from({ length: y.size }, (_v, i) => Math.sin(i + 1)), { dtype: 'float64' }).reshape(y.shape as number[]);
    const fd = numpyRefs(diff.map(([, , code]) => ({
      code: `x = a.copy()\ng = np.zeros_like(x)\nf = lambda v: (np.sin(np.arange(1, ${code.replace(/\ba\b/g, 'v')}.size + 1)).reshape(${code.replace(/\ba\b/g, 'v')}.shape) * ${code.replace(/\ba\b/g, 'v')}).sum()\nfor i in np.ndindex(x.shape):\n    p = x.copy(); p[i] += 1e-6\n    m = x.copy(); m[i] -= 1e-6\n    g[i] = (f(p) - f(m)) / 2e-6\nout = g`,
      inputs: [{ shape: [3, 4], dtype: 'float64', data: values(xf) }],
    })));
    diff.forEach(([what, f], k) => {
      assert.equal(fd[k]!.error, undefined, `${what}: ${fd[k]!.error}`);
      const x = xf.copy();
      x.attachGrad();
      autograd.record(() => f(x).mul(w(f(xf))).sum()).backward();
      class Pad extends gluon.HybridBlock {
        override forward(v: NDArray) {
          return f(v);
        }
      }
      const block = new Pad();
      block.hybridize();
      const xh = xf.copy();
      xh.attachGrad();
      autograd.record(() => (block.call(xh) as NDArray).mul(w(f(xf))).sum()).backward();
      for (const [how, g] of [['eager', x.grad!], ['hybridized', xh.grad!]] as const) {
        values(g).forEach((v, i) => assert.ok(Math.abs(v - (fd[k]!.outs[0]!.data[i] as number)) < 1e-5, `${what} ${how} d/dx[${i}]: ${v} vs finite differences ${fd[k]!.outs[0]!.data[i]}`));
      }
    });
  });

  it('symbolic sizes: a mode that needs the padded axis size is an Error naming it; mean over a whole symbolic axis compiles', () => {
    class P extends gluon.HybridBlock {
      constructor(readonly f: (v: NDArray) => NDArray) {
        super();
      }
      override forward(v: NDArray) {
        return this.f(v);
      }
    }
    const x = nd.ones([2, 3], { dtype: 'float64' });
    const dir = mkdtempSync(join(tmpdir(), 'np-pad-'));
    const exportWith = (f: (v: NDArray) => NDArray) => new P(f).hybridize().export(join(dir, 'pad.onnx'), { inputs: { x: { shape: ['n', 3], dtype: 'float64' } } });
    assert.throws(() => exportWith((v) => np.pad(v, [[2, 2], [0, 0]], 'wrap')), /np\.pad: mode 'wrap' needs the size of axis 0, which is symbolic/);
    assert.throws(() => exportWith((v) => np.pad(v, [[1, 0], [0, 0]], 'median')), /np\.pad: mode 'median' needs the size of axis 0/);
    assert.throws(() => exportWith((v) => np.pad(v, [[1, 0], [0, 0]], { mode: 'mean', statLength: 1 })), /np\.pad: mode 'mean' with statLength needs the size of axis 0/);
    assert.deepEqual(values(np.pad(x, [[1, 0], [0, 0]], 'mean')), new Array(9).fill(1));
    exportWith((v) => np.pad(v, [[1, 2], [1, 0]], { mode: 'mean' })); // whole axes: reductions of a symbolic size
    exportWith((v) => np.pad(v, [[1, 2], [0, 0]], 'linear_ramp'));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses misplaced options, bad statLength / endValues and empty axes, naming np.pad', () => {
    const x = np.ones([2, 3]);
    assert.throws(() => np.pad(x, 1, { mode: 'wrap', statLength: 2 }), /np\.pad: statLength applies to modes 'maximum', 'minimum', 'mean' and 'median', not "wrap"/);
    assert.throws(() => np.pad(x, 1, { mode: 'mean', endValues: 2 }), /np\.pad: endValues applies to mode 'linear_ramp', not "mean"/);
    assert.throws(() => np.pad(x, 1, { mode: 'maximum', statLength: 0 }), /np\.pad: statLength 0 must be .* positive integers/);
    assert.throws(() => np.pad(x, 1, { mode: 'linear_ramp', endValues: [1, Number.NaN] }), /np\.pad: endValues \[1,null\] must be .* finite numbers/);
    assert.throws(() => np.pad(np.ones([0, 3]), [[1, 0], [0, 0]], 'wrap'), /np\.pad: cannot extend the empty axis 0 with mode 'wrap'/);
    assert.throws(() => np.pad(x, 1, 'empty' as never), /np\.pad: mode "empty" is not supported/);
  });
});
