/** MXNet's training heads (compiler/ops/heads.ts): their forward, the inference view. Their gradients are tested against MXNet's formulas in test/compiler/ops/heads.test.ts. */
import type { OpCase } from '../case.js';

// softmax_output-inl.h Forward: over axis 1 (multiOutput), the last axis (preserveShape), else over every axis but the first.
const SOFTMAX_OUTPUT_REF = `
m = attrs or {}
if m.get('multiOutput'): ax = 1; x = a
elif m.get('preserveShape'): ax = -1; x = a
else: ax = -1; x = a.reshape(a.shape[0], -1)
e = np.exp(x - x.max(ax, keepdims=True))
out = (e / e.sum(ax, keepdims=True)).reshape(a.shape)`;

export const cases: OpCase[] = [
  {
    op: 'SoftmaxOutput',
    samples: [
      { inputs: [{ shape: [4, 5] }, { shape: [4], values: [0, 4, 2, 1] }], label: 'class labels' },
      { inputs: [{ shape: [2, 3], values: [1, 1, 1, 0, 0, 5] }, { shape: [2], values: [1, 2] }], label: 'equal logits' },
      { inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4], values: [0, 1, 2, -1, 2, 2, 0, 1] }], args: [{ multiOutput: true, useIgnore: true, normalization: 'valid' }], label: 'multiOutput' },
      { inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3], values: [3, 0, 1, 2, 2, 0] }], args: [{ preserveShape: true, normalization: 'batch' }], label: 'preserveShape' },
      { inputs: [{ shape: [3, 4] }, { shape: [3, 4], range: [0, 1] }], args: [{ gradScale: 2 }], label: 'probabilities as the label' },
    ],
    ref: SOFTMAX_OUTPUT_REF,
  },
  {
    op: 'LinearRegressionOutput',
    samples: [
      { inputs: [{ shape: [4, 1] }, { shape: [4] }], label: '[N, 1] data, [N] label' },
      { inputs: [{ shape: [3, 2] }, { shape: [3, 2] }], args: [{ gradScale: 0.5 }] },
    ],
    ref: 'out = a',
  },
  { op: 'MAERegressionOutput', samples: [{ inputs: [{ shape: [3, 2] }, { shape: [3, 2] }] }], ref: 'out = a' },
  { op: 'LogisticRegressionOutput', samples: [{ inputs: [{ shape: [3, 2], range: [-20, 20] }, { shape: [3, 2], range: [0, 1] }] }], ref: 'out = 1 / (1 + np.exp(-a))' },
  { op: 'MakeLoss', samples: [{ inputs: [{ shape: [3, 4] }], args: [{ normalization: 'valid', validThresh: 0.5 }] }, { inputs: [{ shape: [2], dtype: 'float64' }] }], ref: 'out = a' },
];
