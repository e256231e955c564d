/** Table entries of the random operators (compiler/ops/random.ts, multinomial.ts): shapes and dtypes only (their moments: test/compiler/onnx/import-random.test.ts; the multinomial's frequencies: test/compiler/ops/multinomial.test.ts). */
import type { OpCase } from '../case.js';

export const cases: OpCase[] = [
  {
    op: 'randomUniformLike',
    samples: [
      { inputs: [{ shape: [4, 5] }], args: [{ low: -1, high: 2 }] },
      { inputs: [{ shape: [6, 3], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 2], dtype: 'int32' }], args: [{ dtype: 'float64', seed: 4 }], label: 'int32 like, float64 out' },
    ],
    shapeOnly: true,
    noRef: 'a random draw',
  },
  {
    op: 'randomNormalLike',
    samples: [
      { inputs: [{ shape: [4, 5] }], args: [{ loc: 1, scale: 2 }] },
      { inputs: [{ shape: [6, 3], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 2], dtype: 'float64' }], args: [{ seed: 9 }], label: 'float64' },
    ],
    shapeOnly: true,
    noRef: 'a random draw',
  },
  {
    op: 'sampleMultinomial',
    samples: [
      { inputs: [{ shape: [4, 5], range: [0.1, 1] }], args: [{ shape: [3] }] },
      { inputs: [{ shape: [6], range: [0.1, 1] }], label: 'one distribution, one draw: [1]' },
      { inputs: [{ shape: [2, 3, 4], range: [0.1, 1] }], args: [{ shape: [2, 2], dtype: 'int64', seed: 5 }], label: 'rank 3, draws [2, 2], int64' },
      { inputs: [{ shape: [5, 3], symbolic: true, range: [0.1, 1] }], args: [{ shape: [2] }], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 4], dtype: 'float64', range: [0.1, 1] }], args: [{ dtype: 'float32' }], label: 'float64 in, float32 indices' },
    ],
    shapeOnly: true,
    noRef: 'a random draw',
  },
];
