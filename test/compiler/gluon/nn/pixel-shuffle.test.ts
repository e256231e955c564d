/**
 * PixelShuffle1D/2D/3D against independent references: PyTorch's
 * `nn.PixelShuffle` (2-D) and numpy's reshape / transpose of the pixel-shuffle
 * definition (1-D, 3-D, a rectangular 2-D factor), eager and hybridized, and
 * the gradient (a permutation: the head gradient moved back).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd } from 'gluonc';
import { pythonJson } from '../../../helpers/python-json.js';

const { nn } = gluon;

const REF = String.raw`
import json, sys
import numpy as np, torch
jobs = json.load(sys.stdin)
out = []
for j in jobs:
    x = np.array(j['x'], dtype=np.float64).reshape(j['shape'])
    f = j['f']
    if j['kind'] == 'torch2d':
        y = torch.nn.PixelShuffle(f[0])(torch.from_numpy(x)).numpy()
    else:
        n, c = x.shape[:2]; sp = x.shape[2:]; k = len(f); co = c // int(np.prod(f))
        y = x.reshape((n, co) + tuple(f) + sp)                 # (N, C, f1..fk, s1..sk)
        perm = [0, 1] + [a for i in range(k) for a in (2 + k + i, 2 + i)]   # (N, C, s1, f1, s2, f2, ...)
        y = y.transpose(perm).reshape((n, co) + tuple(s * ff for s, ff in zip(sp, f)))
    out.append(y.reshape(-1).tolist())
print(json.dumps(out))
`;

describe('nn.PixelShuffle1D/2D/3D', () => {
  const cases: { layer: () => gluon.HybridBlock; shape: number[]; f: number[]; kind: string; out: number[] }[] = [
    { layer: () => new nn.PixelShuffle2D(3), shape: [2, 18, 2, 3], f: [3, 3], kind: 'torch2d', out: [2, 2, 6, 9] },
    { layer: () => new nn.PixelShuffle2D([2, 3]), shape: [1, 12, 3, 5], f: [2, 3], kind: 'np', out: [1, 2, 6, 15] },
    { layer: () => new nn.PixelShuffle1D(2), shape: [2, 6, 3], f: [2], kind: 'np', out: [2, 3, 6] },
    { layer: () => new nn.PixelShuffle3D([2, 1, 3]), shape: [1, 12, 2, 3, 2], f: [2, 1, 3], kind: 'np', out: [1, 2, 4, 3, 6] },
    { layer: () => new gluon.contrib.nn.PixelShuffle3D(2), shape: [1, 8, 1, 2, 3], f: [2, 2, 2], kind: 'np', out: [1, 1, 2, 4, 6] },
  ];
  it('matches torch.nn.PixelShuffle and numpy, eager and hybridized, with the gradient a permutation back', () => {
    const xs = cases.map((c) => Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.5 - 3));
    const refs = pythonJson(REF, cases.map((c, i) => ({ x: xs[i], shape: c.shape, f: c.f, kind: c.kind })));
    cases.forEach((c, i) => {
      for (const hybrid of [false, true]) {
        const layer = c.layer();
        if (hybrid) layer.hybridize();
        const x = nd.array(xs[i]!, { shape: c.shape });
        x.attachGrad();
        // head gradient: the output's own values, so dx must be x (pixel shuffle is a permutation)
        const y = autograd.record(() => layer.call(x) as nd.NDArray);
        assert.deepEqual(y.shape, c.out, `case ${i} shape`);
        assert.deepEqual(Array.from(y.data() as Float32Array), refs[i], `case ${i} (${hybrid ? 'hybridized' : 'eager'}) values`);
        y.backward(y.detach());
        assert.deepEqual(Array.from(x.grad.data() as Float32Array), xs[i], `case ${i} gradient`);
      }
    });
  });

  it('refuses a bad factor, rank or channel count with an Error naming the layer', () => {
    assert.throws(() => new nn.PixelShuffle2D(0), /PixelShuffle2D: factor must be a positive integer or 2 of them, got 0/);
    assert.throws(() => new nn.PixelShuffle2D([2, 2, 2] as never), /PixelShuffle2D: factor must be/);
    assert.throws(() => new nn.PixelShuffle1D(1.5), /PixelShuffle1D: factor must be a positive integer, got 1.5/);
    assert.throws(() => new nn.PixelShuffle2D(2).call(nd.zeros([1, 6, 2, 2])), /PixelShuffle2D.*the 6 channels of an input of shape \[1, 6, 2, 2\] do not divide by the factors' product 4/);
    assert.throws(() => new nn.PixelShuffle2D(2).call(nd.zeros([4, 2, 2])), /PixelShuffle2D.*needs an input of rank 4 \(N, C, H, W\), got shape \[4, 2, 2\]/);
    assert.equal(new nn.PixelShuffle2D([2, 3]).toString(), 'PixelShuffle2D((2, 3))');
  });
});
