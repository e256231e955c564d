/** Table entries for GroupNorm and InstanceNorm (numpy float64 references written from the paper's formula). */
import type { InputSpec, OpCase, Sample } from '../case.js';

const GN_REF = `
G = attrs.get('numGroups', 1) if OP == 'GroupNorm' else a.shape[1]
eps = attrs.get('eps', 1e-5 if OP == 'GroupNorm' else 1e-3)
N, C = a.shape[0], a.shape[1]
x = a.reshape(N, G, -1)
m = x.mean(axis=2, keepdims=True)
v = x.var(axis=2, keepdims=True)
y = ((x - m) / np.sqrt(v + eps))
if b.shape[0] == C:
    y = y.reshape(a.shape)
    shp = [1, C] + [1] * (a.ndim - 2)
    out = y * b.reshape(shp) + c.reshape(shp)
else:
    out = (y * b.reshape(1, G, 1) + c.reshape(1, G, 1)).reshape(a.shape)
`;

const s = (data: InputSpec, ch: number, opts: Record<string, unknown>, label: string): Sample => ({
  inputs: [data, { shape: [ch], range: [0.5, 1.5], dtype: data.dtype }, { shape: [ch], dtype: data.dtype }],
  args: [opts],
  label,
});

export const cases: OpCase[] = [
  {
    op: 'GroupNorm',
    samples: [
      s({ shape: [2, 6, 3, 2] }, 6, { numGroups: 3 }, '3 groups NCHW'),
      s({ shape: [3, 4, 5], dtype: 'float64' }, 4, { numGroups: 2, eps: 1e-3 }, '2 groups NCW float64'),
      s({ shape: [4, 6], symbolic: true }, 6, { numGroups: 1 }, 'one group, symbolic batch'),
      s({ shape: [2, 4, 3], dtype: 'float64' }, 4, { numGroups: 4 }, 'a group per channel float64'),
      s({ shape: [2, 6, 2, 2] }, 2, { numGroups: 2 }, 'per-group gamma (MXNet 1.x)'),
      {
        inputs: [{ shape: [1, 2, 3], values: [1, 1, 1, 2, 2, 2] }, { shape: [2], values: [1, 2] }, { shape: [2], values: [0.5, -0.5] }],
        args: [{ numGroups: 2 }],
        label: 'constant groups (variance 0: beta)',
      },
    ],
    ref: GN_REF.replace(/OP/g, "'GroupNorm'"),
    atol: 1e-4,
  },
  {
    op: 'InstanceNorm',
    samples: [
      s({ shape: [2, 3, 4, 2] }, 3, {}, 'NCHW'),
      s({ shape: [3, 2, 5], dtype: 'float64', symbolic: true }, 2, { eps: 1e-5 }, 'NCW float64 symbolic batch'),
      s({ shape: [2, 4, 6], dtype: 'float64' }, 4, { eps: 0.1 }, 'eps 0.1 float64'),
    ],
    ref: GN_REF.replace(/OP/g, "'InstanceNorm'"),
  },
];
