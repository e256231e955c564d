/**
 * np.pad (numpy's pad, MXNet 2's np.pad; it was missing) against numpy:
 * pad_width as a number, [before, after] or one pair per axis; modes
 * constant (constant_values), edge and reflect; float and integer arrays,
 * eager and hybridized; unknown modes and malformed widths are named Errors
 * (the other numpy modes: np-pad-modes.test.ts).
 */
import assert from 'node:assert/strict';
import { gluon, nd, np } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { hybridCall } from '../../helpers/layers.js';

const values = (a: NDArray) => Array.from(a.data() as ArrayLike<number | bigint>, Number);

describe('np.pad (numpy semantics)', () => {
  it('widths and modes match numpy, float and int32, eager and hybridized', () => {
    const xs = [np.arange(12).reshape([3, 4]), np.arange(12, null, 1, { dtype: 'int32' }).reshape([3, 4])];
    const cases: [string, (a: NDArray) => NDArray, string][] = [
      ['pad(x, 1)', (a) => np.pad(a, 1), 'np.pad(a, 1)'],
      ['pad(x, [1, 2])', (a) => np.pad(a, [1, 2]), 'np.pad(a, (1, 2))'],
      ['pad(x, [[0, 1], [2, 0]], { constantValues: 7 })', (a) => np.pad(a, [[0, 1], [2, 0]], { constantValues: 7 }), 'np.pad(a, ((0, 1), (2, 0)), constant_values=7)'],
      ['pad(x, [[1, 1]])', (a) => np.pad(a, [[1, 1]]), 'np.pad(a, ((1, 1),))'],
      ["pad(x, [[1, 2], [0, 3]], 'edge')", (a) => np.pad(a, [[1, 2], [0, 3]], 'edge'), "np.pad(a, ((1, 2), (0, 3)), mode='edge')"],
      ["pad(x, [[2, 1], [3, 3]], { mode: 'reflect' })", (a) => np.pad(a, [[2, 1], [3, 3]], { mode: 'reflect' }), "np.pad(a, ((2, 1), (3, 3)), mode='reflect')"],
      ['pad(x, 0)', (a) => np.pad(a, 0), 'np.pad(a, 0)'],
    ];
    const jobs = xs.flatMap((x) => cases.map(([, , code]) => ({ code, inputs: [{ shape: x.shape as number[], dtype: x.dtype === 'int32' ? 'int32' : 'float64', data: values(x) }] })));
    const refs = numpyRefs(jobs);
    let j = 0;
    for (const x of xs) {
      for (const [what, f] of cases) {
        const ref = refs[j++]!;
        assert.equal(ref.error, undefined, `${what}: ${ref.error}`);
        for (const [how, y] of [['eager', f(x)], ['hybridized', hybridCall(f, x)]] as const) {
          assert.equal(y.dtype, x.dtype, `${what} ${x.dtype} ${how}: dtype`);
          assert.deepEqual(y.shape, ref.outs[0]!.shape, `${what} ${x.dtype} ${how}: shape`);
          assert.deepEqual(values(y), ref.outs[0]!.data, `${what} ${x.dtype} ${how}`);
        }
      }
    }
  });

  it('an unsupported mode, a malformed width or a misplaced constantValues is an Error naming np.pad', () => {
    const x = np.ones([2, 3]);
    assert.throws(() => np.pad(x, 1, 'empty' as never), /np\.pad: mode "empty" is not supported: 'constant', 'edge', 'reflect', 'symmetric', 'wrap', 'maximum', 'minimum', 'mean', 'median', 'linear_ramp'/);
    assert.throws(() => np.pad(x, [[1, 1], [1, 1], [1, 1]]), /np\.pad: padWidth \[\[1,1\],\[1,1\],\[1,1\]\] must be .* 2 pairs/);
    assert.throws(() => np.pad(x, -1), /np\.pad: padWidth -1 must be/);
    assert.throws(() => np.pad(x, [1, 2, 3] as never), /np\.pad: padWidth \[1,2,3\] must be/);
    assert.throws(() => np.pad(x, 1, { mode: 'edge', constantValues: 1 }), /np\.pad: constantValues applies to mode 'constant'/);
    assert.throws(() => np.pad(x, 1, { constantValues: [1, 2] as never }), /np\.pad: constantValues must be one number/);
    assert.throws(() => np.pad(x, 1, { constant_values: 1 } as never), /np\.pad: unknown option 'constant_values'/);
    // Wider than the axis, reflect repeats as numpy's (np-pad-modes.test.ts); the operator F.pad still refuses it.
    assert.throws(() => nd.pad(x, { mode: 'reflect', padWidth: [2, 2, 0, 0] }), /pad: reflect padding 2, 2 of axis 0 must be smaller than its size/);
  });
});
