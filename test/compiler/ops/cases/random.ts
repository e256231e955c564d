/** Table entries of the random operators (compiler/ops/random.ts): shapes and dtypes only (their moments: test/compiler/onnx/import-random.test.ts). */
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
];
