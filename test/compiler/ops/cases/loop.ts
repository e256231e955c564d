/** Table entries of `OnnxLoop` (ONNX's Loop with an imported body; see import-loop.test.ts for models). */
import { loopBodyGradient } from '../../../../compiler/autodiff/loop-body.js';
import type { LoopBody } from '../../../../compiler/ops/loop.js';
import type { OpCase } from '../case.js';

/** Body: the condition passes through, x -> x + x (carried), scan output x before the update; `stop` ends when the sum passes 40. */
function body(stop: boolean) {
  const add = { op: 'add', attrs: {}, ins: ['i2', 'i2'], outs: [{ dtype: 'float32', shape: [2, 3] }] };
  const nodes: object[] = [add];
  if (stop) {
    nodes.push({ op: 'sum', attrs: { axis: null, keepdims: false, exclude: false }, ins: ['n0.0'], outs: [{ dtype: 'float32', shape: [] }] });
    nodes.push({ op: 'lesser', attrs: {}, ins: ['n1.0', 'k0'], outs: [{ dtype: 'bool', shape: [] }] });
  }
  return {
    inputs: [{ dtype: 'int64', shape: [] }, { dtype: 'bool', shape: [] }, { dtype: 'float32', shape: [2, 3] }],
    consts: [{ dtype: 'float32', shape: [], data: Buffer.from(new Float32Array([40]).buffer).toString('base64') }],
    nodes,
    outputs: [stop ? 'n2.0' : 'i1', 'n0.0', 'i2'],
  };
}
/** x -> x + x reads no forward value in its gradient: no residuals. */
const gradBody = loopBodyGradient(body(false) as unknown as LoopBody, 1, 'the case');
const outTypes = [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: ['(loop iterations)', 2, 3] }];

export const cases: OpCase[] = [
  {
    op: 'OnnxLoop',
    samples: [
      { inputs: [{ shape: [], dtype: 'int64', values: [3] }, { shape: [2, 3], range: [0.5, 1] }], args: [{ body: body(false), nCarried: 1, tripCount: true, outTypes }], label: 'trip count 3' },
      { inputs: [{ shape: [], dtype: 'int64', values: [0] }, { shape: [2, 3] }], args: [{ body: body(false), nCarried: 1, tripCount: true, outTypes }], label: 'trip count 0' },
      // Sums in [3, 4.5] all stop after 4 iterations (the count changes at 2.5 and 5): finite differences never cross a change.
      { inputs: [{ shape: [], dtype: 'bool', values: [1] }, { shape: [2, 3], range: [0.5, 0.75] }], args: [{ body: body(true), nCarried: 1, condition: true, outTypes }], label: 'while the sum is under 40' },
    ],
    ref: `
cond = bool(a) if attrs.get('condition') else True
m = int(a) if attrs.get('tripCount') else 10**9
x = b.copy(); s = []
i = 0
while i < m and cond:
    s.append(x); x = x + x; i += 1
    if attrs.get('condition'): cond = x.sum() < 40
out = [x, np.stack(s) if s else np.zeros((0,) + x.shape)]`,
  },
  {
    op: 'OnnxLoopGrad',
    // The gradient of x -> x + x (carried) with scan output x: g <- 2 g + gys[t], from the last iteration to the first.
    samples: [
      { inputs: [{ shape: [], dtype: 'int64', values: [3] }, { shape: [2, 3] }, { shape: [2, 3] }, { shape: [3, 2, 3] }], args: [{ body: body(false), nCarried: 1, tripCount: true, outTypes, gradBody: gradBody.body, nGrads: 1 }], label: 'trip count 3' },
      { inputs: [{ shape: [], dtype: 'int64', values: [0] }, { shape: [2, 3] }, { shape: [2, 3] }, { shape: [0, 2, 3] }], args: [{ body: body(false), nCarried: 1, tripCount: true, outTypes, gradBody: gradBody.body, nGrads: 1 }], label: 'trip count 0' },
    ],
    ref: `
g = c.copy()
for t in reversed(range(int(a))): g = 2 * g + d[t]
out = g`,
  },
];
