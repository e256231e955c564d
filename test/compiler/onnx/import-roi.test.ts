/**
 * ROIPooling (compiler/ops/roi.ts) from the user's side and imported:
 * d2l's R-CNN example (its printed output, chapter 13.8), the same pooling
 * in a hybridized block, ONNX's MaxRoiPool imported and run against python
 * onnxruntime on the same file and inputs, the gradient of d2l's example
 * (each bin's maximum is its own position there: arange), and the refusals
 * (bad shapes and options).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, nd, np, npx } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { runPython } from '../../helpers/python-server.js';

describe('ROIPooling: MXNet\'s roi_pooling, d2l\'s example, MaxRoiPool imported', function () {
  this.timeout(120_000);

  it("d2l 13.8's npx.roi_pooling example gives the book's output, eager and hybridized", () => {
    const X = np.arange(16).reshape(1, 1, 4, 4);
    const rois = np.array([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]]);
    const book = [5, 6, 9, 10, 9, 11, 13, 15];
    assert.deepEqual(Array.from(npx.roiPooling(X, rois, [2, 2], 0.1).data() as Float32Array), book);
    class Pool extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor, r: gluon.Tensor): gluon.Tensor {
        return F.ROIPooling(x, r, { pooledSize: [2, 2], spatialScale: 0.1 });
      }
    }
    const net = new Pool();
    net.hybridize();
    const x = nd.arange(0, 16).reshape([1, 1, 4, 4]);
    assert.deepEqual(Array.from((net.call(x, nd.array([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]])) as nd.NDArray).data() as Float32Array), book);
  });

  it('MaxRoiPool imported equals python onnxruntime on the same file and boxes', function () {
    const py = String.raw`
import sys, json, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto
n = helper.make_node('MaxRoiPool', ['x', 'rois'], ['y'], name='pool', pooled_shape=[3, 2], spatial_scale=0.5)
g = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3, 7, 9]), helper.make_tensor_value_info('rois', TensorProto.FLOAT, [4, 5])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, [4, 3, 3, 2])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)], ir_version=8)
x = np.sin(np.arange(2 * 3 * 7 * 9)).astype(np.float32).reshape(2, 3, 7, 9)
rois = np.array([[0, 0, 0, 16, 12], [1, 3, 1, 9, 13], [1, -4, -4, 30, 30], [0, 10, 8, 2, 2]], np.float32)
y = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, {'x': x, 'rois': rois})[0]
json.dump({'model': m.SerializeToString().hex(), 'x': x.ravel().tolist(), 'rois': rois.ravel().tolist(), 'y': y.ravel().tolist()}, sys.stdout)
`;
    const r = runPython(py);
    if (r.status !== 0 && /No module named/.test(r.stderr)) return this.skip();
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as { model: string; x: number[]; rois: number[]; y: number[] };
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-roi-'));
    const file = join(dir, 'roi.onnx');
    writeFileSync(file, Buffer.from(ref.model, 'hex'));
    const net = gluon.SymbolBlock.imports(file);
    rmSync(dir, { recursive: true, force: true });
    const x = nd.array(ref.x, { shape: [2, 3, 7, 9] });
    const rois = nd.array(ref.rois, { shape: [4, 5] });
    assertClose((net.call(x, rois) as nd.NDArray).data() as Float32Array, ref.y, 'imported MaxRoiPool', 0, 0);
    net.hybridize();
    assertClose((net.call(x, rois) as nd.NDArray).data() as Float32Array, ref.y, 'imported MaxRoiPool, hybridized', 0, 0);
  });

  it("d2l's example differentiates: each output's gradient lands on its maximum's position (the values are the positions)", () => {
    const rois = nd.array([[0, 0, 0, 20, 20], [0, 0, 10, 30, 30]]);
    // The book's maxima 5, 6, 9, 10 | 9, 11, 13, 15 are positions of arange(16): 9 is counted twice.
    const want = Array.from({ length: 16 }, (_v, i) => [5, 6, 9, 10, 9, 11, 13, 15].filter((m) => m === i).length);
    const x = nd.arange(0, 16).reshape([1, 1, 4, 4]);
    x.attachGrad();
    autograd.record(() => nd.sum(npx.roiPooling(x, rois, [2, 2], 0.1))).backward();
    assert.deepEqual(Array.from(x.grad.data() as Float32Array), want);
  });

  it('refuses bad operands by name', () => {
    const x = nd.arange(0, 16).reshape([1, 1, 4, 4]);
    assert.throws(() => nd.ROIPooling(x, nd.array([[0, 0, 0, 3]]), { pooledSize: [2, 2], spatialScale: 1 }), /ROIPooling: rois must be \[R, 5\] rows of \[batch index, x1, y1, x2, y2\], got \[1, 4\]/);
    assert.throws(() => nd.ROIPooling(x, nd.array([[0, 0, 0, 3, 3]]), { pooledSize: [2, 0], spatialScale: 1 }), /pooledSize must be \[height, width\] of positive integers, got \[2,0\]/);
    assert.throws(() => nd.ROIPooling(x, nd.array([[0, 0, 0, 3, 3]]), { pooledSize: [2, 2], spatialScale: 0 }), /spatialScale must be a positive number/);
    assert.throws(() => nd.ROIPooling(x.reshape([1, 16]), nd.array([[0, 0, 0, 3, 3]]), { pooledSize: [2, 2], spatialScale: 1 }), /data must be \[N, C, H, W\], got \[1, 16\]/);
    assert.throws(() => nd.ROIPooling(x, nd.array([[4, 0, 0, 3, 3]]), { pooledSize: [2, 2], spatialScale: 1 }).data(), /ROIPooling: onnxruntime failed running it \(its ONNX MaxRoiPool\): .*roi_batch_id < batch_size/);
  });
});
