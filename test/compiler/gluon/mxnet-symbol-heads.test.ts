/**
 * MXNet symbol files with training heads (compiler/gluon/mxnet-symbol.ts):
 * with the label among the input names the head is gluonc's operator with
 * the file's attributes (strings as MXNet writes them), so the block's
 * gradient is MXNet's head gradient — checked against a numpy
 * re-implementation of softmax_output-inl.h's Backward — for SoftmaxOutput
 * (multi_output, use_ignore, normalization 'valid'), its pre-2016 name
 * `Softmax`, and LinearRegressionOutput (grad_scale over num_output); the
 * label gets no parameter.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);

function headFile(dir: string, op: string, attrs: Record<string, string>): string {
  const nodes = [
    { op: 'null', name: 'data', inputs: [] },
    { op: 'null', name: 'out_label', inputs: [] },
    { op, name: 'out', attrs, inputs: [[0, 0, 0], [1, 0, 0]] },
  ];
  const file = path.join(dir, `${op}-symbol.json`);
  fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0, 1], heads: [[2, 0, 0]] }));
  return file;
}

function dataGrad(file: string, x: NDArray, label: NDArray): { out: NDArray; grad: NDArray } {
  const net = gluon.SymbolBlock.imports(file, ['data', 'out_label']);
  assert.equal(net.collectParams().size, 0);
  net.hybridize();
  const xx = x.copy();
  xx.attachGrad();
  const out = autograd.record(() => net.call(xx, label) as NDArray);
  out.backward();
  return { out, grad: xx.grad! };
}

describe('MXNet symbol files: training heads with their labels as inputs', () => {
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-heads-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const op of ['SoftmaxOutput', 'Softmax']) {
    it(`${op} (multi_output, use_ignore, normalization 'valid', grad_scale 2) trains with MXNet's gradient`, () => {
      const file = headFile(dir, op, { multi_output: 'True', use_ignore: 'True', ignore_label: '-1', normalization: 'valid', grad_scale: '2' });
      const x = nd.random.uniform(-2, 2, [2, 3, 4]);
      const y = nd.array([[0, 1, -1, 2], [2, -1, 0, 1]]);
      const { grad } = dataGrad(file, x, y);
      const [r] = numpyRefs([{
        inputs: [{ shape: x.shape, dtype: 'float64', data: flat(x) }, { shape: y.shape, dtype: 'float64', data: flat(y) }],
        code: `
e = np.exp(a - a.max(1, keepdims=True)); p = e / e.sum(1, keepdims=True)
g = p.copy()
for i in range(2):
    for j in range(4):
        l = int(b[i, j])
        if l == -1: g[i, :, j] = 0
        else: g[i, l, j] -= 1
out = g * 2 / max((b != -1).sum(), 1)`,
      }]);
      assertClose(flat(grad), r!.outs[0]!.data as number[], `${op} gradient`, 1e-5, 1e-6);
    });
  }

  it('LinearRegressionOutput: grad_scale / num_output * (out - label)', () => {
    const file = headFile(dir, 'LinearRegressionOutput', { grad_scale: '0.5' });
    const x = nd.random.uniform(-2, 2, [3, 4]);
    const y = nd.random.uniform(-2, 2, [3, 4]);
    const { out, grad } = dataGrad(file, x, y);
    assert.deepEqual(flat(out), flat(x));
    assertClose(flat(grad), flat(x).map((v, i) => (0.5 / 4) * (v - flat(y)[i]!)), 'linear regression gradient', 1e-5, 1e-7);
  });

  it('a label computed from the label input (lstm_bucketing.py\'s Reshape(softmax_label)) reaches the head; without the label input the whole label path is dropped', () => {
    const nodes = [
      { op: 'null', name: 'data', inputs: [] },
      { op: 'null', name: 'softmax_label', inputs: [] },
      { op: 'Reshape', name: 'reshape0', attrs: { shape: '(-1,)' }, inputs: [[1, 0, 0]] },
      { op: 'SoftmaxOutput', name: 'softmax', attrs: {}, inputs: [[0, 0, 0], [2, 0, 0]] },
    ];
    const file = path.join(dir, 'reshaped-label-symbol.json');
    fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0, 1], heads: [[3, 0, 0]] }));
    const x = nd.random.uniform(-2, 2, [4, 3]);
    const y = nd.array([[0, 2], [1, 1]]);
    const net = gluon.SymbolBlock.imports(file, ['data', 'softmax_label']);
    assert.equal(net.collectParams().size, 0);
    const xx = x.copy();
    xx.attachGrad();
    const out = autograd.record(() => net.call(xx, y) as NDArray);
    out.backward();
    // softmax_output-inl.h, normalization 'null': softmax(x) - onehot(label.reshape(-1)).
    const X = flat(x);
    const expect = [0, 2, 1, 1].flatMap((l, i) => {
      const row = X.slice(i * 3, i * 3 + 3);
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v, c) => v / z - (c === l ? 1 : 0));
    });
    assertClose(flat(xx.grad!), expect, 'gradient through the reshaped label', 1e-5, 1e-6);
    const inference = gluon.SymbolBlock.imports(file, ['data']);
    assert.equal(inference.collectParams().size, 0, 'softmax_label is no parameter');
    assertClose(flat(inference.call(x) as NDArray), expect.map((v, i) => v + ([0, 2, 1, 1][Math.floor(i / 3)] === i % 3 ? 1 : 0)), 'the inference view', 1e-5, 1e-6);
  });
});
