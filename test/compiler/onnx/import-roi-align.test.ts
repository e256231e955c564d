/**
 * The imported RoiAlign (written out with gluonc operators,
 * compiler/onnx/import/roi-align.ts) against onnxruntime and ONNX's own
 * reference implementation (onnx.reference) run by python3: opset 16's
 * half_pixel and output_half_pixel, opset 10's default (output_half_pixel), average and max
 * pooling, sampling ratios 1-3, a spatial scale, boxes partly and wholly
 * outside the features, a zero-size box, the adaptive sampling ratio 0
 * (average only); eager and hybridized. The gradient
 * of the features (average pooling is linear in them: the gradient of
 * sum(y * r) is Aᵀr, A's columns onnxruntime's outputs for unit inputs).
 * Skipped, with a message, without python3's onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readModel } from '../../../compiler/onnx/index.js';
import { assertClose } from '../../helpers/compare.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';
import { data, int, model, sameAsOrt, str } from './ort-compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const CASES: Record<string, { opset: number; attrs: Record<string, number | string> }> = {
  half_pixel: { opset: 16, attrs: { output_height: 3, output_width: 4, sampling_ratio: 2, spatial_scale: 0.5 } },
  output_half_pixel: { opset: 16, attrs: { output_height: 2, output_width: 3, sampling_ratio: 1, coordinate_transformation_mode: 'output_half_pixel' } },
  opset10: { opset: 10, attrs: { output_height: 3, output_width: 3, sampling_ratio: 3, spatial_scale: 0.5 } },
  max: { opset: 16, attrs: { output_height: 3, output_width: 2, sampling_ratio: 2, spatial_scale: 0.5, mode: 'max' } },
  adaptive: { opset: 16, attrs: { output_height: 2, output_width: 3, spatial_scale: 0.5 } },
};

const SCRIPT = String.raw`
import sys, json, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto
from onnx.reference import ReferenceEvaluator
out, cases = sys.argv[1], json.loads(sys.argv[2])
rs = np.random.RandomState(0)
x = rs.randn(2, 3, 8, 9).astype(np.float32)
# Image coordinates (features at scale 0.5 where asked): inside, partly outside, wholly outside, zero-size, the whole image.
rois = np.array([[1, 2, 9, 11], [-6, -4, 5, 6], [-20, -30, -8, -9], [4, 4, 4, 4], [0, 0, 17, 15], [3.3, 1.7, 12.9, 8.2]], np.float32)
batch = np.array([0, 1, 1, 0, 1, 0], np.int64)
for k, v in (('x', x), ('rois', rois), ('batch', batch)): np.save(f'{out}/{k}.npy', v)
for name, c in cases.items():
    n = helper.make_node('RoiAlign', ['x', 'rois', 'batch'], ['y'], **c['attrs'])
    g = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, list(x.shape)), helper.make_tensor_value_info('rois', TensorProto.FLOAT, [6, 4]), helper.make_tensor_value_info('batch', TensorProto.INT64, [6])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', c['opset'])], ir_version=8)
    onnx.save(m, f'{out}/{name}.onnx')
    s = ort.InferenceSession(m.SerializeToString())
    feeds = {'x': x, 'rois': rois, 'batch': batch}
    y = s.run(None, feeds)[0]
    np.save(f'{out}/y_{name}.npy', y)
    # onnx.reference reads every model with opset 16's default (half_pixel); opset 10's RoiAlign is output_half_pixel (the mode opset 16 names for it).
    if c['opset'] < 16:
        n16 = helper.make_node('RoiAlign', ['x', 'rois', 'batch'], ['y'], coordinate_transformation_mode='output_half_pixel', **c['attrs'])
        m = helper.make_model(helper.make_graph([n16], 'g', g.input, g.output), opset_imports=[helper.make_opsetid('', 16)], ir_version=8)
    np.save(f'{out}/ref_{name}.npy', ReferenceEvaluator(m).run(None, feeds)[0])
    r = rs.randn(*y.shape).astype(np.float32)
    np.save(f'{out}/r_{name}.npy', r)
    if c['attrs'].get('mode', 'avg') == 'avg':
        grad = np.zeros(x.size, np.float64)
        for i in range(x.size):
            e = np.zeros(x.size, np.float32); e[i] = 1
            grad[i] = (s.run(None, {'x': e.reshape(x.shape), 'rois': rois, 'batch': batch})[0].astype(np.float64) * r).sum()
        np.save(f'{out}/gx_{name}.npy', grad.reshape(x.shape).astype(np.float32))
`;

describe('imported RoiAlign: onnxruntime\'s and onnx.reference\'s outputs, the features\' gradient', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('roialign', ['onnx', 'onnxruntime'], SCRIPT, [JSON.stringify(CASES)]);

  for (const [name, c] of Object.entries(CASES)) {
    for (const hybrid of [false, true]) {
      it(`${name} (${JSON.stringify(c.attrs)}, opset ${c.opset}), ${hybrid ? 'hybridized' : 'eager'}`, () => {
        const net = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
        if (hybrid) net.hybridize();
        const [x, rois, batch] = ['x', 'rois', 'batch'].map((k) => new nd.NDArray(readNpy(join(fx.dir, `${k}.npy`)))) as [nd.NDArray, nd.NDArray, nd.NDArray];
        x.attachGrad();
        let y: nd.NDArray | null = null;
        const loss = autograd.record(() => {
          y = net.call(x, rois, batch) as nd.NDArray;
          return nd.sum(nd.mul(y, new nd.NDArray(readNpy(join(fx.dir, `r_${name}.npy`)))));
        });
        // The adaptive grid (sampling_ratio 0, the default) too: sized per box when the graph runs.
        loss.backward();
        assertClose(y!.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `y_${name}.npy`))), 'output vs onnxruntime');
        assertClose(y!.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `ref_${name}.npy`))), 'output vs onnx.reference');
        if (c.attrs['mode'] !== 'max') assertClose(x.grad.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `gx_${name}.npy`))), 'gradient of the features');
      });
    }
  }

  it('refuses the adaptive sampling ratio 0 of mode max by name', () => {
    const bytes = model([{ opType: 'RoiAlign', input: ['x', 'rois', 'b'], output: ['y'], name: 'roi', attribute: [str('mode', 'max')] }], [['x', [1, 2, 4, 4]], ['rois', [3, 4]], ['b', [3]]], [['y', 'float32']]);
    assert.throws(() => readModel(bytes), /ONNX operator 'RoiAlign' \(node 'roi'\) has no gluonc equivalent: sampling_ratio 0 with mode 'max' \(the adaptive grid, sized by each box at run time\)/);
  });
});

describe('a detector\'s head: the boxes NonMaxSuppression keeps, pooled by RoiAlign', () => {
  it('runs as onnxruntime does, the box count known only at run time (eager and hybridized)', async () => {
    const bytes = model(
      [
        { opType: 'NonMaxSuppression', input: ['boxes', 'scores', 'maxk', 'iou'], output: ['sel'] },
        { opType: 'Gather', input: ['sel', 'two'], output: ['bi'], attribute: [int('axis', 1)] },
        { opType: 'Squeeze', input: ['boxes', 'zero1'], output: ['b0'] },
        { opType: 'Gather', input: ['b0', 'bi'], output: ['rois'], attribute: [int('axis', 0)] },
        { opType: 'Sub', input: ['bi', 'bi'], output: ['batch'] },
        { opType: 'RoiAlign', input: ['x', 'rois', 'batch'], output: ['y'], attribute: [int('output_height', 2), int('output_width', 2), int('sampling_ratio', 2), { name: 'spatial_scale', type: 1, f: 0.5 }] },
      ],
      [['x', [1, 3, 8, 8]], ['boxes', [1, 6, 4]], ['scores', [1, 1, 6]]],
      [['y', 'float32']],
      [['maxk', tensorFromNumbers('int64', [1], [4])], ['iou', tensorFromNumbers('float32', [1], [0.3])], ['two', tensorFromNumbers('int64', [], [2])], ['zero1', tensorFromNumbers('int64', [1], [0])]],
      16,
    );
    // Six boxes in image coordinates (features at scale 0.5); the second overlaps the first and is suppressed.
    const boxes = tensorFromNumbers('float32', [1, 6, 4], [0, 0, 6, 6, 1, 1, 7, 7, 8, 8, 14, 14, 0, 8, 6, 15, 2, 3, 12, 9, 9, 0, 15, 5]);
    const scores = tensorFromNumbers('float32', [1, 1, 6], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);
    await sameAsOrt(bytes, { x: data([1, 3, 8, 8]), boxes, scores });
  });
});
