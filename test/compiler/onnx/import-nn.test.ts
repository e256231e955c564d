/**
 * Importers of ONNX operators added for models from newer exporters
 * (compiler/onnx/import/nn.ts, elementwise.ts, shape.ts): Mish, LpNormalization,
 * LpPool, GlobalLpPool, dilated AveragePool, GroupNormalization (opset 18's per-group and 21's
 * per-channel scale), Resize's antialias, axes and keep_aspect_ratio_policy
 * (opset 18), Pad mode 'wrap', and NonZero and Compress (a count known
 * only at run time). onnxruntime running the same file
 * is the reference; the imported graph runs hybridized and eagerly.
 */
import assert from 'node:assert/strict';
import { readModel } from '../../../compiler/onnx/index.js';
import type { DType } from '../../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { T, data, i64, int, ints, model, sameAsOrt, str } from './ort-compare.js';

const f = (name: string, v: number) => ({ name, type: T.FLOAT, f: v });
const outs = (names: string[]): [string, DType][] => names.map((n) => [n, 'float32']);

describe('ONNX import: Mish, Lp norms and pools, GroupNormalization, wrap padding', () => {
  it('maps Mish (opset 18) as onnxruntime computes it, also at ±100 and 0', async () => {
    const x = tensorFromNumbers('float32', [2, 5], [-100, -20, -1.5, -0.25, 0, 0.25, 1.5, 20, 100, 3]);
    await sameAsOrt(model([{ opType: 'Mish', input: ['x'], output: ['y'] }], [['x', [2, 5]]], outs(['y']), [], 18), { x });
  });

  it('maps LpNormalization (p 1 and 2, axis -1 and 0; a zero slice stays zero) as onnxruntime computes it', async () => {
    const v = Array.from(data([3, 4]).data as Float32Array);
    v.splice(4, 4, 0, 0, 0, 0);
    const x = tensorFromNumbers('float32', [3, 4], v);
    const nodes = [
      { opType: 'LpNormalization', input: ['x'], output: ['l2'] },
      { opType: 'LpNormalization', input: ['x'], output: ['l1'], attribute: [int('p', 1)] },
      { opType: 'LpNormalization', input: ['x'], output: ['c2'], attribute: [int('axis', 0)] },
    ];
    await sameAsOrt(model(nodes, [['x', [3, 4]]], outs(['l2', 'l1', 'c2'])), { x });
    assert.throws(() => readModel(model([{ opType: 'LpNormalization', input: ['x'], output: ['y'], attribute: [int('p', 3)] }], [['x', [3, 4]]], outs(['y']))), /LpNormalization.*p 3 \(ONNX's LpNormalization takes 1 or 2\)/);
  });

  it('maps LpPool (p 1, 2, 3; strides, asymmetric pads, ceil_mode) and GlobalLpPool as onnxruntime computes them', async () => {
    const x = data([2, 3, 5, 6]);
    const pool = (out: string, p: number, extra: ReturnType<typeof ints>[] = []) =>
      ({ opType: 'LpPool', input: ['x'], output: [out], attribute: [ints('kernel_shape', [2, 3]), int('p', p), ...extra] });
    const nodes = [
      pool('p2', 2),
      pool('p1', 1, [ints('strides', [2, 2])]),
      pool('p3', 3, [ints('strides', [2, 1]), ints('pads', [1, 0, 0, 2])]),
      pool('ceil', 2, [ints('strides', [2, 2]), int('ceil_mode', 1)]),
      { opType: 'GlobalLpPool', input: ['x'], output: ['g2'] },
      { opType: 'GlobalLpPool', input: ['x'], output: ['g1'], attribute: [int('p', 1)] },
      { opType: 'GlobalLpPool', input: ['x'], output: ['g3'], attribute: [int('p', 3)] },
    ];
    await sameAsOrt(model(nodes, [['x', [2, 3, 5, 6]]], outs(nodes.map((n) => n.output[0]!)), [], 18), { x });
  });

  it('maps AveragePool and LpPool with dilations (count_include_pad, ceil_mode, asymmetric pads; opset 19) as onnxruntime computes them', async () => {
    const x = data([1, 2, 5, 6], 3);
    const geo = [ints('kernel_shape', [2, 2]), ints('dilations', [2, 1]), ints('strides', [1, 2]), ints('pads', [1, 0, 0, 1])];
    const nodes = [0, 1].flatMap((include) => [0, 1].map((ceil) =>
      ({ opType: 'AveragePool', input: ['x'], output: [`avg_${include}_${ceil}`], attribute: [...geo, int('count_include_pad', include), int('ceil_mode', ceil)] })));
    nodes.push({ opType: 'AveragePool', input: ['x'], output: ['plain'], attribute: [ints('kernel_shape', [3, 2]), ints('dilations', [1, 3])] });
    nodes.push({ opType: 'LpPool', input: ['x'], output: ['lp'], attribute: [...geo, int('p', 2)] });
    await sameAsOrt(model(nodes, [['x', [1, 2, 5, 6]]], outs(nodes.map((n) => n.output[0]!)), [], 19), { x });
  });

  it('resizes with opset 18\'s antialias (linear, cubic; down and up), axes and keep_aspect_ratio_policy as onnxruntime does', async () => {
    const x = data([1, 2, 7, 9], 4);
    const f32 = (v: number[]) => tensorFromNumbers('float32', [v.length], v);
    const inits: [string, ReturnType<typeof data>][] = [
      ['down', f32([1, 1, 0.6, 0.45])], ['up', f32([1, 1, 1.5, 2])], ['two', f32([0.5, 0.75])],
      ['sz', i64([1, 2, 4, 5])], ['sz2', i64([4, 5])], ['szLast', i64([3])],
    ];
    const rs = (out: string, ins: string[], attrs: ReturnType<typeof int>[]) => ({ opType: 'Resize', input: ['x', '', ...ins], output: [out], attribute: attrs });
    const lin = str('mode', 'linear');
    const cub = str('mode', 'cubic');
    const aa = int('antialias', 1);
    const nodes = [
      rs('linDown', ['down'], [lin, aa]),
      rs('cubDown', ['down'], [cub, aa]),
      rs('linUp', ['up'], [lin, aa]),
      rs('cubSizes', ['', 'sz'], [cub, aa, str('coordinate_transformation_mode', 'pytorch_half_pixel')]),
      rs('cubExclude', ['down'], [cub, aa, int('exclude_outside', 1)]),
      rs('axesScales', ['two'], [lin, ints('axes', [2, 3])]),
      rs('axesSizes', ['', 'szLast'], [lin, ints('axes', [-1])]),
      rs('notLarger', ['', 'sz2'], [lin, ints('axes', [2, 3]), str('keep_aspect_ratio_policy', 'not_larger')]),
      rs('notSmaller', ['', 'sz2'], [cub, ints('axes', [2, 3]), str('keep_aspect_ratio_policy', 'not_smaller')]),
    ];
    await sameAsOrt(model(nodes, [['x', [1, 2, 7, 9]]], outs(nodes.map((n) => n.output[0]!)), inits, 18), { x });
    const nearest = model([rs('y', ['down'], [aa])], [['x', [1, 2, 7, 9]]], outs(['y']), inits.slice(0, 1), 18);
    assert.throws(() => readModel(nearest), /Resize.*antialias=1 with mode 'nearest'/);
  });

  it('maps GroupNormalization with opset 18\'s per-group and opset 21\'s per-channel scale and bias as onnxruntime computes them', async () => {
    const x = data([2, 4, 3, 2]);
    const node = { opType: 'GroupNormalization', input: ['x', 's', 'b'], output: ['y'], attribute: [int('num_groups', 2), f('epsilon', 1e-3)] };
    const perGroup: [string, ReturnType<typeof data>][] = [['s', tensorFromNumbers('float32', [2], [1.5, -0.5])], ['b', tensorFromNumbers('float32', [2], [0.25, 2])]];
    await sameAsOrt(model([node], [['x', [2, 4, 3, 2]]], outs(['y']), perGroup, 18), { x });
    const perChannel: [string, ReturnType<typeof data>][] = [['s', tensorFromNumbers('float32', [4], [1.5, -0.5, 2, 0.75])], ['b', tensorFromNumbers('float32', [4], [0.25, 2, -1, 0])]];
    await sameAsOrt(model([node], [['x', [2, 4, 3, 2]]], outs(['y']), perChannel, 21), { x });
  });

  it('pads in mode \'wrap\' (opset 19, and with an axes input) as onnxruntime does', async () => {
    const x = data([2, 3, 4]);
    const nodes = [
      { opType: 'Pad', input: ['x', 'pads'], output: ['all'], attribute: [str('mode', 'wrap')] },
      { opType: 'Pad', input: ['x', 'pads2', '', 'axes'], output: ['some'], attribute: [str('mode', 'wrap')] },
    ];
    const inits: [string, ReturnType<typeof data>][] = [['pads', i64([0, 2, 1, 0, 1, 3])], ['pads2', i64([1, 3, 2, 0])], ['axes', i64([1, -1])]];
    await sameAsOrt(model(nodes, [['x', [2, 3, 4]]], outs(['all', 'some']), inits, 19), { x });
    const symbolic = model([nodes[0]!], [['x', ['N', 3, 4]]], outs(['all']), [['pads', i64([1, 0, 0, 0, 0, 0])]], 19);
    assert.throws(() => readModel(symbolic), /Pad.*mode 'wrap' on the symbolic dimension 'N' of axis 0/);
  });

  it('maps NonZero and Compress (with and without axis, a condition shorter than the axis) as onnxruntime computes them', async () => {
    const x = tensorFromNumbers('float32', [2, 4], [0, 3, -0, 1.5, Number.NaN, 0, -2, 0]);
    await sameAsOrt(model([{ opType: 'NonZero', input: ['x'], output: ['y'] }], [['x', [2, 4]]], [['y', 'int64']]), { x });
    // The condition is computed from the data (x > 0), so its count is known only at run time.
    const cmp = (attrs: ReturnType<typeof int>[], cond: string[] = ['x', 'zero']): Uint8Array =>
      model(
        [{ opType: 'Greater', input: cond, output: ['c'] }, { opType: 'Compress', input: ['d', 'c'], output: ['y'], attribute: attrs }],
        [['x', [4]], ['d', [4, 3]]],
        outs(['y']),
        [['zero', tensorFromNumbers('float32', [], [0])]],
      );
    const feeds = { x: tensorFromNumbers('float32', [4], [1, -1, 0, 2]), d: data([4, 3]) };
    await sameAsOrt(cmp([int('axis', 0)]), feeds);
    await sameAsOrt(cmp([]), feeds);
    const short = model(
      [{ opType: 'Greater', input: ['x', 'zero'], output: ['c'] }, { opType: 'Compress', input: ['d', 'c'], output: ['y'], attribute: [int('axis', -1)] }],
      [['x', [2]], ['d', [2, 3]]],
      outs(['y']),
      [['zero', tensorFromNumbers('float32', [], [0])]],
    );
    await sameAsOrt(short, { x: tensorFromNumbers('float32', [2], [1, 1]), d: data([2, 3]) });
  });

  it('maps Unique of integers and floats, flattened or along an axis, sorted or not, with its four outputs as onnxruntime computes them (no NaN: the ops table checks NaN against numpy)', async () => {
    const bytes = model(
      [{ opType: 'Cast', input: ['x'], output: ['xi'], attribute: [int('to', 7)] }, { opType: 'Unique', input: ['xi'], output: ['y', 'i', 'inv', 'c'] }],
      [['x', [2, 4]]],
      [['y', 'int64'], ['i', 'int64'], ['inv', 'int64'], ['c', 'int64']],
    );
    await sameAsOrt(bytes, { x: tensorFromNumbers('float32', [2, 4], [3, 1, 3, -2, 0, 1, 1, 3]) });
    const rows = tensorFromNumbers('float32', [4, 2], [1.5, -0, 0.25, 2, 1.5, 0, -3, 1]);
    for (const attrs of [[], [int('sorted', 0)], [int('axis', 0)], [int('axis', 0), int('sorted', 0)], [int('axis', -1)]]) {
      const float = model([{ opType: 'Unique', input: ['x'], output: ['y', 'i', 'inv', 'c'], name: 'uq', attribute: attrs }], [['x', [4, 2]]], [['y', 'float32'], ['i', 'int64'], ['inv', 'int64'], ['c', 'int64']]);
      await sameAsOrt(float, { x: rows });
    }
  });
});
