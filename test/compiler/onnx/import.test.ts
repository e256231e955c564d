/**
 * The importer of other tools' ONNX files (compiler/onnx/import): each
 * opset's form of an operator (attributes before, inputs after), shapes
 * computed from a symbolic batch dimension, what becomes a parameter, and
 * refusals that name the operator, the node and the reason. onnxruntime
 * running the same file is the reference; the imported graph runs
 * hybridized (compiled) and eagerly (SymbolBlock on NDArrays).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import type { Shape } from '../../../compiler/ir/types.js';
import { onnx, readModel, tensorProto } from '../../../compiler/onnx/index.js';
import { T, data, i64, int, ints, model, sameAsOrt, str } from './ort-compare.js';
import type { DType } from '../../../runtime/dtypes.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { runPython } from '../../helpers/python-server.js';

describe('ONNX import (files from other tools)', () => {
  it('reads attribute forms (opset 11) and input forms (opset 13) of Squeeze, Unsqueeze, ReduceSum and Split alike', async () => {
    const x = data([2, 1, 6]);
    const old = model(
      [
        { opType: 'Squeeze', input: ['x'], output: ['s'], attribute: [ints('axes', [1])] },
        { opType: 'ReduceSum', input: ['s'], output: ['r'], attribute: [ints('axes', [-1]), int('keepdims', 0)] },
        { opType: 'Unsqueeze', input: ['r'], output: ['u'], attribute: [ints('axes', [0, 2])] },
        { opType: 'Split', input: ['s'], output: ['a', 'b'], attribute: [int('axis', 1), ints('split', [2, 4])] },
      ],
      [['x', [2, 1, 6]]],
      [['u', 'float32'], ['a', 'float32'], ['b', 'float32']],
      [],
      11,
    );
    const fresh = model(
      [
        { opType: 'Squeeze', input: ['x', 'ax1'], output: ['s'] },
        { opType: 'ReduceSum', input: ['s', 'axm1'], output: ['r'], attribute: [int('keepdims', 0)] },
        { opType: 'Unsqueeze', input: ['r', 'ax02'], output: ['u'] },
        { opType: 'Split', input: ['s', 'sizes'], output: ['a', 'b'], attribute: [int('axis', 1)] },
      ],
      [['x', [2, 1, 6]]],
      [['u', 'float32'], ['a', 'float32'], ['b', 'float32']],
      [['ax1', i64([1])], ['axm1', i64([-1])], ['ax02', i64([0, 2])], ['sizes', i64([2, 4])]],
      13,
    );
    await sameAsOrt(old, { x });
    await sameAsOrt(fresh, { x });
  });

  it('gives opset-11 Softmax its flattening semantics (axis 1 of a rank-3 tensor) and opset 13 one axis', async () => {
    const x = data([2, 3, 4]);
    for (const opset of [11, 13]) {
      await sameAsOrt(model([{ opType: 'Softmax', input: ['x'], output: ['y'], attribute: [int('axis', 1)] }], [['x', [2, 3, 4]]], [['y', 'float32']], [], opset), { x });
    }
  });

  it('follows Shape -> Gather -> Concat -> Reshape from a symbolic batch dimension (any batch size runs)', async () => {
    const bytes = model(
      [
        { opType: 'Shape', input: ['x'], output: ['shp'] },
        { opType: 'Gather', input: ['shp', 'zero'], output: ['n'], attribute: [int('axis', 0)] },
        { opType: 'Unsqueeze', input: ['n', 'ax0'], output: ['n1'] },
        { opType: 'Mul', input: ['n1', 'two'], output: ['n2'] },
        { opType: 'Concat', input: ['n2', 'minus1'], output: ['target'], attribute: [int('axis', 0)] },
        { opType: 'Reshape', input: ['x', 'target'], output: ['y'] },
      ],
      [['x', ['N', 4, 3]]],
      [['y', 'float32']],
      [['zero', tensorFromNumbers('int64', [], [0])], ['ax0', i64([0])], ['two', i64([2])], ['minus1', i64([-1])]],
    );
    const { graph } = readModel(bytes);
    assert.deepEqual(graph.nodes.map((n) => n.op), ['reshape'], 'the shape arithmetic folds away');
    await sameAsOrt(bytes, { x: data([2, 4, 3]) });
    await sameAsOrt(bytes, { x: data([5, 4, 3]) });
  });

  it("maps torch's reshape of [N*T, C] back to [N, T, -1] and its expand to computed symbolic sizes (two dynamic axes)", async () => {
    // As torch.onnx.export writes h = fc(x.reshape(b * t, c)).reshape(b, t, -1); m.expand(b, 2, t * 2) (dynamic N and T).
    const gatherDim = (k: number) => [
      { opType: 'Shape', input: ['x'], output: [`s${k}`] },
      { opType: 'Gather', input: [`s${k}`, `i${k}`], output: [`d${k}`], attribute: [int('axis', 0)] },
      { opType: 'Unsqueeze', input: [`d${k}`, 'ax0'], output: [`u${k}`] },
    ];
    const nodes: OnnxNs.INodeProto[] = [
      ...gatherDim(0), ...gatherDim(1), ...gatherDim(2),
      { opType: 'Mul', input: ['u0', 'u1'], output: ['nt'] },
      { opType: 'Concat', input: ['nt', 'u2'], output: ['flat'], attribute: [int('axis', 0)] },
      { opType: 'Reshape', input: ['x', 'flat'], output: ['x2'] },
      { opType: 'Gemm', input: ['x2', 'W', 'b'], output: ['g'], attribute: [int('transB', 1)] },
      { opType: 'Concat', input: ['u0', 'u1', 'minus1'], output: ['back'], attribute: [int('axis', 0)] },
      { opType: 'Reshape', input: ['g', 'back'], output: ['h'], name: 'unflatten' },
      { opType: 'ReduceMean', input: ['h', 'ax12'], output: ['m'], attribute: [int('keepdims', 1)] },
      // expand(b, 2, t * 2): torch builds the target, Reshapes it to [-1] and replaces its -1 entries with 1.
      { opType: 'Mul', input: ['u1', 'two'], output: ['t2'] },
      { opType: 'Concat', input: ['u0', 'two', 't2'], output: ['tgt'], attribute: [int('axis', 0)] },
      { opType: 'Reshape', input: ['tgt', 'minus1'], output: ['tgt1'] },
      { opType: 'Shape', input: ['tgt1'], output: ['tlen'] },
      { opType: 'ConstantOfShape', input: ['tlen'], output: ['ones'], attribute: [{ name: 'value', type: T.TENSOR, t: tensorProto('', i64([1])) }] },
      { opType: 'Mul', input: ['ones', 'minus1'], output: ['neg'] },
      { opType: 'Equal', input: ['tgt1', 'neg'], output: ['isneg'] },
      { opType: 'Where', input: ['isneg', 'ones', 'tgt1'], output: ['tgt2'] },
      { opType: 'Expand', input: ['m', 'tgt2'], output: ['e'], name: 'expand' },
      { opType: 'Transpose', input: ['h'], output: ['ht'], attribute: [ints('perm', [0, 2, 1])] },
      { opType: 'Reshape', input: ['ht', 'n2m1'], output: ['h2'] },
      { opType: 'Concat', input: ['h2', 'e'], output: ['y'], attribute: [int('axis', 2)] },
    ];
    const inits: [string, HostTensor][] = [
      ['i0', tensorFromNumbers('int64', [], [0])], ['i1', tensorFromNumbers('int64', [], [1])], ['i2', tensorFromNumbers('int64', [], [2])],
      ['ax0', i64([0])], ['ax12', i64([1, 2])], ['minus1', i64([-1])], ['two', i64([2])], ['n2m1', i64([0, 2, -1])],
      ['W', data([4, 6], 2)], ['b', data([4], 3)],
    ];
    const bytes = model(nodes, [['x', ['N', 'T', 6]]], [['y', 'float32']], inits, 18);
    for (const [n, t] of [[2, 3], [3, 5], [1, 1]] as const) await sameAsOrt(bytes, { x: data([n, t, 6], n + t) });
  });

  it("maps Range up to a symbolic dimension (torch's arange(T) for positions) or an expression of one (T + 1) onto arange, as onnxruntime computes it", async () => {
    // x + pos[arange(T)] and x + pos[arange(1, T)]: torch's Shape -> Gather -> Cast -> Range.
    const nodes = (limit: string): OnnxNs.INodeProto[] => [
      { opType: 'Shape', input: ['x'], output: ['s'] },
      { opType: 'Gather', input: ['s', 'one'], output: ['t'], attribute: [int('axis', 0)] },
      { opType: 'Cast', input: ['t'], output: ['tc'], attribute: [int('to', 7)] },
      { opType: 'Add', input: ['tc', 'one'], output: ['t1'] },
      { opType: 'Range', input: ['zero', 'tc', 'one'], output: ['r'] },
      { opType: 'Gather', input: ['pos', 'r'], output: ['p'], attribute: [int('axis', 0)] },
      { opType: 'Add', input: ['x', 'p'], output: ['a'] },
      { opType: 'Range', input: ['one', limit, 'one'], output: ['r1'], name: 'shifted' },
      { opType: 'Gather', input: ['pos', 'r1'], output: ['p1'], attribute: [int('axis', 0)] },
      { opType: 'ReduceMean', input: ['p1'], output: ['q'], attribute: [ints('axes', [0])] },
      { opType: 'Add', input: ['a', 'q'], output: ['y'] },
    ];
    const inits: [string, HostTensor][] = [['zero', tensorFromNumbers('int64', [], [0])], ['one', tensorFromNumbers('int64', [], [1])], ['pos', data([9, 3], 4)]];
    const bytes = model(nodes('tc'), [['x', ['N', 'T', 3]]], [['y', 'float32']], inits, 13);
    for (const [n, t] of [[2, 5], [1, 8], [3, 2]] as const) await sameAsOrt(bytes, { x: data([n, t, 3], t) });
    // A limit that is an expression of dimensions (T + 1) is computed when the graph runs.
    const shifted = model(nodes('t1'), [['x', ['N', 'T', 3]]], [['y', 'float32']], inits, 13);
    for (const [n, t] of [[2, 5], [1, 8]] as const) await sameAsOrt(shifted, { x: data([n, t, 3], t) });
  });

  it('takes initializers that are also graph inputs (IR 3, torch\'s keep_initializers_as_inputs) as parameters, not inputs', async () => {
    for (const [ir, opset] of [[3, 8], [6, 11]] as const) {
      const base = onnx.ModelProto.decode(model(
        [{ opType: 'Gemm', input: ['x', 'W', 'b'], output: ['h'], attribute: [int('transB', 1)] }, { opType: 'Relu', input: ['h'], output: ['y'] }],
        [['x', ['N', 3]], ['W', [4, 3]], ['b', [4]]],
        [['y', 'float32']],
        [['W', data([4, 3], 2)], ['b', data([4], 3)]],
        opset,
      ));
      const bytes = onnx.ModelProto.encode({ ...base, irVersion: ir }).finish();
      const { graph } = readModel(bytes);
      assert.deepEqual(graph.inputs.map((v) => v.name), ['x'], `IR ${ir}: inputs`);
      assert.deepEqual([...new SymbolBlock(graph).collectParams().keys()].sort(), ['W', 'b'], `IR ${ir}: parameters`);
      await sameAsOrt(bytes, { x: data([2, 3]) });
    }
  });

  it("slices up to a symbolic dimension (torch's x + pe[:, :x.size(1)]) as onnxruntime does", async () => {
    const nodes: OnnxNs.INodeProto[] = [
      { opType: 'Shape', input: ['x'], output: ['s'] },
      { opType: 'Gather', input: ['s', 'one'], output: ['t'], attribute: [int('axis', 0)] },
      { opType: 'Unsqueeze', input: ['t', 'zero1'], output: ['t1'] },
      { opType: 'Slice', input: ['pe', 'zero1', 't1', 'one1'], output: ['p'] },
      { opType: 'Add', input: ['x', 'p'], output: ['a'] },
      // x[:, 1:x.size(1)]: an end that is the axis's own size.
      { opType: 'Slice', input: ['a', 'one1', 't1', 'one1'], output: ['b'] },
      { opType: 'ReduceMean', input: ['b'], output: ['m'], attribute: [ints('axes', [1])] },
      // pe[:, x.size(1):]: a symbolic start, the end past the axis.
      { opType: 'Slice', input: ['pe', 't1', 'big', 'one1'], output: ['rest'] },
      { opType: 'ReduceMean', input: ['rest'], output: ['r'], attribute: [ints('axes', [1])] },
      { opType: 'Add', input: ['a', 'm'], output: ['am'] },
      { opType: 'Add', input: ['am', 'r'], output: ['y'] },
    ];
    const inits: [string, HostTensor][] = [['one', tensorFromNumbers('int64', [], [1])], ['zero1', i64([0])], ['one1', i64([1])], ['big', tensorFromNumbers('int64', [1], [2 ** 62])], ['pe', data([1, 9, 3], 5)]];
    const bytes = model(nodes, [['x', ['N', 'T', 3]]], [['y', 'float32']], inits, 13);
    for (const [n, t] of [[2, 5], [1, 8], [3, 2]] as const) await sameAsOrt(bytes, { x: data([n, t, 3], t) });
    const stepped = model(
      [...nodes.slice(0, 3), { opType: 'Slice', input: ['pe', 'zero1', 't1', 'one1', 'two1'], output: ['y'], name: 'every2' }],
      [['x', ['N', 'T', 3]]], [['y', 'float32']], [...inits, ['two1', i64([2])]], 13,
    );
    assert.throws(() => readModel(stepped), /ONNX operator 'Slice' \(node 'every2'\) has no gluonc equivalent: a stepped slice \(step 2\) with the symbolic bound 'T'/);
  });

  it("rearranges DepthToSpace (CRD, DCR) and SpaceToDepth with a symbolic batch (torch's pixel_shuffle) as onnxruntime does", async () => {
    const bytes = model(
      [
        { opType: 'DepthToSpace', input: ['x'], output: ['crd'], attribute: [int('blocksize', 2), str('mode', 'CRD')] },
        { opType: 'DepthToSpace', input: ['x'], output: ['dcr'], attribute: [int('blocksize', 2)] },
        { opType: 'SpaceToDepth', input: ['crd'], output: ['back'], attribute: [int('blocksize', 2)] },
      ],
      [['x', ['N', 8, 2, 3]]],
      [['crd', 'float32'], ['dcr', 'float32'], ['back', 'float32']],
    );
    for (const n of [1, 3]) await sameAsOrt(bytes, { x: data([n, 8, 2, 3], n) });
  });

  it("computes shapes used as data when the graph runs (torch's unbiased x.var(dim=1): sums over T - 1), as onnxruntime does", async () => {
    const nodes: OnnxNs.INodeProto[] = [
      { opType: 'Shape', input: ['x'], output: ['s'] },
      { opType: 'Gather', input: ['s', 'one'], output: ['t'], attribute: [int('axis', 0)] },
      { opType: 'Sub', input: ['t', 'one'], output: ['t1'] },
      { opType: 'Cast', input: ['t1'], output: ['den'], attribute: [int('to', 1)] },
      { opType: 'ReduceMean', input: ['x'], output: ['m'], attribute: [ints('axes', [1])] },
      { opType: 'Sub', input: ['x', 'm'], output: ['d'] },
      { opType: 'Mul', input: ['d', 'd'], output: ['d2'] },
      { opType: 'ReduceSum', input: ['d2', 'ax1'], output: ['ss'] },
      { opType: 'Div', input: ['ss', 'den'], output: ['var'] },
      // The whole shape as a float vector, and N * T as a product of dimensions.
      { opType: 'Cast', input: ['s'], output: ['sf'], attribute: [int('to', 1)] },
      { opType: 'Gather', input: ['s', 'zero'], output: ['n'], attribute: [int('axis', 0)] },
      { opType: 'Mul', input: ['n', 't'], output: ['nt'] },
      { opType: 'Cast', input: ['nt'], output: ['ntf'], attribute: [int('to', 1)] },
    ];
    const inits: [string, HostTensor][] = [['zero', tensorFromNumbers('int64', [], [0])], ['one', tensorFromNumbers('int64', [], [1])], ['ax1', i64([1])]];
    const bytes = model(nodes, [['x', ['N', 'T', 3]]], [['var', 'float32'], ['sf', 'float32'], ['ntf', 'float32']], inits, 13);
    for (const [n, t] of [[2, 5], [1, 2], [3, 4]] as const) await sameAsOrt(bytes, { x: data([n, t, 3], t) });
    // A size no graph input has (a pooled H) is read from the tensor whose Shape the file takes; the shape, cast to
    // float, is a graph output.
    const pooled = model(
      [
        { opType: 'MaxPool', input: ['x'], output: ['p'], attribute: [ints('kernel_shape', [2, 1]), ints('strides', [2, 1])] },
        { opType: 'Shape', input: ['p'], output: ['s'] },
        { opType: 'Cast', input: ['s'], output: ['f'], attribute: [int('to', 1)], name: 'tofloat' },
      ],
      [['x', ['N', 1, 'H', 3]]],
      [['f', 'float32']],
    );
    for (const [n, h] of [[2, 6], [1, 5]] as const) await sameAsOrt(pooled, { x: data([n, 1, h, 3], h) });
  });

  it('quantizes to output_dtype and by blocks (opset 21 QuantizeLinear/DequantizeLinear) as onnxruntime does', async () => {
    const nodes: OnnxNs.INodeProto[] = [
      // No zero point: output_dtype int8 decides the range (not uint8's).
      { opType: 'QuantizeLinear', input: ['x', 's'], output: ['q'], attribute: [int('output_dtype', 3)] },
      { opType: 'DequantizeLinear', input: ['q', 's'], output: ['y1'] },
      // Blocks of 2 along axis 1: scale [2, 2] for x [2, 4].
      { opType: 'QuantizeLinear', input: ['x', 'sb'], output: ['qb'], attribute: [int('axis', 1), int('block_size', 2), int('output_dtype', 3)] },
      { opType: 'DequantizeLinear', input: ['qb', 'sb'], output: ['y2'], attribute: [int('axis', 1), int('block_size', 2)] },
      { opType: 'DequantizeLinear', input: ['w', 'sb'], output: ['dw'], attribute: [int('axis', 1), int('block_size', 2)] },
      { opType: 'Add', input: ['x', 'dw'], output: ['y3'] },
    ];
    const inits: [string, HostTensor][] = [
      ['s', tensorFromNumbers('float32', [], [0.25])],
      ['sb', tensorFromNumbers('float32', [2, 2], [0.5, 0.125, 1, 0.25])],
      ['w', tensorFromNumbers('int8', [2, 4], [-128, -3, 7, 127, 1, -1, 50, -50])],
    ];
    const bytes = model(nodes, [['x', [2, 4]]], [['y1', 'float32'], ['y2', 'float32'], ['y3', 'float32']], inits, 21);
    // Ties at .5 of a step (round half to even) and values past the int8 range.
    await sameAsOrt(bytes, { x: tensorFromNumbers('float32', [2, 4], [-0.375, -40, 0.6875, 3.3, -1.5, 200, -0.25, 0.125]) });
  });

  it('makes float initializers of rank >= 1 parameters; integer and scalar ones constants', () => {
    const bytes = model(
      [
        { opType: 'Gemm', input: ['x', 'W', 'b'], output: ['h'], attribute: [int('transB', 1)] },
        { opType: 'Mul', input: ['h', 'half'], output: ['m'] },
        { opType: 'Reshape', input: ['m', 'shape'], output: ['y'] },
      ],
      [['x', [2, 3]]],
      [['y', 'float32']],
      [['W', data([4, 3])], ['b', data([4])], ['half', tensorFromNumbers('float32', [], [0.5])], ['shape', i64([-1])]],
    );
    const { graph } = readModel(bytes);
    assert.deepEqual(graph.params.map((p) => p.name).sort(), ['W', 'b']);
    const block = new SymbolBlock(graph);
    assert.deepEqual([...block.collectParams().keys()].sort(), ['W', 'b']);
  });

  it('maps Gemm with transA, alpha and beta, and a broadcast batched MatMul', async () => {
    const bytes = model(
      [
        { opType: 'Gemm', input: ['a', 'B', 'C'], output: ['g'], attribute: [int('transA', 1), { name: 'alpha', type: T.FLOAT, f: 0.5 }, { name: 'beta', type: T.FLOAT, f: 2 }] },
        { opType: 'MatMul', input: ['m', 'M'], output: ['y'] },
      ],
      [['a', [3, 2]], ['m', [2, 1, 3, 4]]],
      [['g', 'float32'], ['y', 'float32']],
      [['B', data([3, 5], 2)], ['C', data([1, 5], 3)], ['M', data([3, 4, 2], 4)]],
    );
    await sameAsOrt(bytes, { a: data([3, 2]), m: data([2, 1, 3, 4], 5) });
  });

  it('pads asymmetrically (SAME_UPPER) before Conv and MaxPool', async () => {
    const bytes = model(
      [
        { opType: 'Conv', input: ['x', 'W'], output: ['c'], attribute: [{ name: 'auto_pad', type: T.STRING, s: new TextEncoder().encode('SAME_UPPER') }, ints('strides', [2, 2])] },
        { opType: 'MaxPool', input: ['c'], output: ['y'], attribute: [ints('kernel_shape', [2, 2]), ints('pads', [0, 0, 1, 1])] },
      ],
      [['x', [1, 2, 6, 6]]],
      [['y', 'float32']],
      [['W', data([3, 2, 3, 3], 7)]],
    );
    await sameAsOrt(bytes, { x: data([1, 2, 6, 6]) });
  });

  it('resizes linearly, cubically and by nearest neighbour, to scales or sizes, as onnxruntime does', async () => {
    const x = data([1, 2, 3, 4]);
    const cases: [string, string, OnnxNs.IAttributeProto[]][] = [
      ['scales', 'linear', [str('coordinate_transformation_mode', 'half_pixel')]],
      ['sizes', 'linear', [str('coordinate_transformation_mode', 'align_corners')]],
      ['scales', 'cubic', [str('coordinate_transformation_mode', 'pytorch_half_pixel')]],
      ['sizes', 'nearest', [str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')]],
      ['scales', 'nearest', [str('coordinate_transformation_mode', 'half_pixel'), str('nearest_mode', 'round_prefer_ceil')]],
    ];
    for (const [by, mode, attrs] of cases) {
      const inputs = by === 'scales' ? ['x', '', 'scales'] : ['x', '', '', 'sizes'];
      const bytes = model(
        [{ opType: 'Resize', input: inputs, output: ['y'], attribute: [str('mode', mode), ...attrs] }],
        [['x', [1, 2, 3, 4]]],
        [['y', 'float32']],
        by === 'scales' ? [['scales', tensorFromNumbers('float32', [4], [1, 1, 1.5, 0.75])]] : [['sizes', i64([1, 2, 5, 7])]],
      );
      await sameAsOrt(bytes, { x });
    }
  });

  it('up-samples symbolic spatial dimensions by integer factors (torch\'s interpolate(scale_factor=2), Upsample) and resizes to sizes built on a symbolic batch, as onnxruntime does', async () => {
    const resize = model(
      [{ opType: 'Resize', input: ['x', '', 'scales'], output: ['y'], attribute: [str('mode', 'nearest'), str('coordinate_transformation_mode', 'asymmetric'), str('nearest_mode', 'floor')] }],
      [['x', ['N', 2, 'H', 'W']]],
      [['y', 'float32']],
      [['scales', tensorFromNumbers('float32', [4], [1, 1, 2, 3])]],
      13,
    );
    const upsample = model([{ opType: 'Upsample', input: ['x', 'scales'], output: ['y'] }], [['x', ['N', 2, 'H', 'W']]], [['y', 'float32']], [['scales', tensorFromNumbers('float32', [4], [1, 1, 2, 2])]], 9);
    for (const shape of [[1, 2, 3, 4], [2, 2, 1, 5]]) {
      await sameAsOrt(resize, { x: data(shape, shape[2]) });
      await sameAsOrt(upsample, { x: data(shape, shape[3]) });
    }
    // interpolate(size=(5, 7), mode='bilinear') with a dynamic batch: sizes = Shape(x)[0:2] ++ [5, 7].
    const sized = model(
      [
        { opType: 'Shape', input: ['x'], output: ['s'] },
        { opType: 'Slice', input: ['s', 'b0', 'b2', 'b0'], output: ['nc'] },
        { opType: 'Concat', input: ['nc', 'hw'], output: ['sizes'], attribute: [int('axis', 0)] },
        { opType: 'Resize', input: ['x', '', '', 'sizes'], output: ['y'], attribute: [str('mode', 'linear'), str('coordinate_transformation_mode', 'align_corners')] },
      ],
      [['x', ['N', 2, 3, 4]]],
      [['y', 'float32']],
      [['b0', i64([0])], ['b2', i64([2])], ['hw', i64([5, 7])]],
      13,
    );
    for (const n of [1, 3]) await sameAsOrt(sized, { x: data([n, 2, 3, 4], n) });
    // Linear resizing of a symbolic axis by a scale reads its taps at run time (resize-taps.ts): floor(H · s) rows.
    const linear = (sh: number) => model([{ opType: 'Resize', input: ['x', '', 'scales'], output: ['y'], name: 'up', attribute: [str('mode', 'linear')] }], [['x', ['N', 2, 'H', 4]]], [['y', 'float32']], [['scales', tensorFromNumbers('float32', [4], [1, 1, sh, 2])]], 13);
    for (const h of [3, 1]) for (const sh of [2, 1.5, 0.5]) await sameAsOrt(linear(sh), { x: data([2, 2, h, 4], h) });
  });

  it('maps CumSum (axis input, exclusive, reverse) and Trilu (upper, optional and negative k) as onnxruntime computes them', async () => {
    const x = data([3, 4]);
    const flags = [[0, 0], [1, 0], [0, 1], [1, 1]] as const;
    const cums = flags.flatMap(([e, r], i) => [
      { opType: 'CumSum', input: ['x', 'axm1'], output: [`c${i}`], attribute: [int('exclusive', e), int('reverse', r)] },
      { opType: 'CumSum', input: ['x', 'ax0'], output: [`d${i}`], attribute: [int('exclusive', e), int('reverse', r)] },
    ]);
    const scalarAxis: [string, HostTensor][] = [['axm1', tensorFromNumbers('int64', [], [-1])], ['ax0', i64([0])]];
    await sameAsOrt(model(cums, [['x', [3, 4]]], cums.map((n) => [n.output[0]!, 'float32'] as [string, DType]), scalarAxis), { x });
    const t = data([2, 3, 4], 2);
    const ks: [string, number][] = [['k1', 1], ['km1', -1], ['k5', 5], ['km3', -3]];
    const tri = [
      { opType: 'Trilu', input: ['t'], output: ['u'] },
      { opType: 'Trilu', input: ['t'], output: ['l'], attribute: [int('upper', 0)] },
      ...ks.flatMap(([name]) => [
        { opType: 'Trilu', input: ['t', name], output: [`u_${name}`], attribute: [int('upper', 1)] },
        { opType: 'Trilu', input: ['t', name], output: [`l_${name}`], attribute: [int('upper', 0)] },
      ]),
    ];
    await sameAsOrt(model(tri, [['t', [2, 3, 4]]], tri.map((n) => [n.output[0]!, 'float32'] as [string, DType]), ks.map(([n, k]) => [n, tensorFromNumbers('int64', [], [k])])), { t });
  });

  it("maps ScatterElements and ScatterND with reduction='add' (repeated and negative indices), as onnxruntime computes them", async () => {
    const d = data([4, 3]);
    const nodes = [
      // Along axis 1 with two positions per row: repeated (1, 1) and negative (-1) indices.
      { opType: 'ScatterElements', input: ['d', 'ie1', 'u1'], output: ['e1'], attribute: [int('axis', 1), str('reduction', 'add')] },
      { opType: 'ScatterElements', input: ['d', 'ie0', 'u0'], output: ['e0'], attribute: [int('axis', 0), str('reduction', 'add')] },
      // ScatterND addressing rows (k = 1) and single elements (k = 2), repeated and negative.
      { opType: 'ScatterND', input: ['d', 'in1', 'un1'], output: ['n1'], attribute: [str('reduction', 'add')] },
      { opType: 'ScatterND', input: ['d', 'in2', 'un2'], output: ['n2'], attribute: [str('reduction', 'add')] },
    ];
    const inits: [string, HostTensor][] = [
      ['ie1', tensorFromNumbers('int64', [4, 2], [1, 1, 0, -1, 2, 0, -3, 2])],
      ['ie0', tensorFromNumbers('int64', [1, 3], [3, -4, 1])],
      ['in1', tensorFromNumbers('int64', [3, 1], [1, 1, -1])],
      ['in2', tensorFromNumbers('int64', [4, 2], [0, 1, 3, 2, 0, 1, -1, -3])],
    ];
    const feeds = { d, u1: data([4, 2], 3), u0: data([1, 3], 4), un1: data([3, 3], 5), un2: data([4], 6) };
    const bytes = model(nodes, [['d', [4, 3]], ['u1', [4, 2]], ['u0', [1, 3]], ['un1', [3, 3]], ['un2', [4]]], nodes.map((n) => [n.output[0]!, 'float32'] as [string, DType]), inits, 18);
    await sameAsOrt(bytes, feeds);
  });

  it('maps overwriting and multiplying scatters, GatherND (batch_dims, negative indices), DFT (complex, inverse, onesided), STFT, Det, MVN and dilated MaxPool as onnxruntime computes them', async () => {
    const d = data([4, 3]);
    const x = data([2, 6, 2], 2);
    const m = tensorFromNumbers('float32', [2, 3, 3], [2, -1, 0.5, 1, 3, -2, 0, 1, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const p = data([1, 2, 7, 8], 3);
    const nodes = [
      { opType: 'ScatterElements', input: ['d', 'ie', 'u'], output: ['se'], attribute: [int('axis', 1)] },
      { opType: 'ScatterND', input: ['d', 'in', 'un'], output: ['sn'] },
      // 'mul' with a repeated row (1 and -3 on an axis of 4): both factors apply.
      { opType: 'ScatterND', input: ['d', 'im', 'um'], output: ['sm'], attribute: [str('reduction', 'mul')] },
      { opType: 'GatherND', input: ['d', 'gi'], output: ['g0'] },
      { opType: 'GatherND', input: ['x', 'gb'], output: ['g1'], attribute: [int('batch_dims', 1)] },
      { opType: 'DFT', input: ['x'], output: ['f0'], attribute: [int('axis', 1)] },
      { opType: 'DFT', input: ['x'], output: ['f1'], attribute: [int('axis', 1), int('inverse', 1)] },
      { opType: 'Unsqueeze', input: ['d', 'last'], output: ['dr'] },
      { opType: 'DFT', input: ['dr'], output: ['f2'], attribute: [int('axis', 0), int('onesided', 1)] },
      { opType: 'Det', input: ['m'], output: ['det'] },
      // STFT of a complex signal (all frequencies) and of a real one with a window (onesided, the default).
      { opType: 'STFT', input: ['x', 'fstep', '', 'flen'], output: ['st0'], attribute: [int('onesided', 0)] },
      { opType: 'STFT', input: ['xr', 'fstep', 'win'], output: ['st1'] },
      { opType: 'MeanVarianceNormalization', input: ['p'], output: ['mvn'], attribute: [ints('axes', [2, 3])] },
      { opType: 'MaxPool', input: ['p'], output: ['mp'], attribute: [ints('kernel_shape', [2, 3]), ints('dilations', [2, 2]), ints('strides', [2, 1]), ints('pads', [1, 0, 0, 2]), int('ceil_mode', 1)] },
    ];
    const inits: [string, HostTensor][] = [
      ['ie', tensorFromNumbers('int64', [4, 2], [2, 0, -1, 1, 0, 1, 1, -3])],
      ['in', tensorFromNumbers('int64', [2, 1], [-1, 1])],
      ['gi', tensorFromNumbers('int64', [3, 2], [0, 1, 3, -1, -4, 2])],
      ['im', tensorFromNumbers('int64', [3, 1], [1, -3, 2])],
      ['fstep', tensorFromNumbers('int64', [], [2])],
      ['flen', tensorFromNumbers('int64', [], [3])],
      ['win', tensorFromNumbers('float32', [4], [0.25, 1, 0.75, 0.5])],
      ['gb', tensorFromNumbers('int64', [2, 3, 1], [5, 0, -1, 2, 3, 4])],
      ['last', i64([-1])],
    ];
    const feeds = { d, x, m, p, u: data([4, 2], 4), un: data([2, 3], 5), um: data([3, 3], 6), xr: data([2, 9, 1], 7) };
    const outs = nodes.filter((n) => n.opType !== 'Unsqueeze').map((n) => [n.output[0]!, 'float32'] as [string, DType]);
    await sameAsOrt(model(nodes, [['d', [4, 3]], ['x', [2, 6, 2]], ['m', [2, 3, 3]], ['p', [1, 2, 7, 8]], ['u', [4, 2]], ['un', [2, 3]], ['um', [3, 3]], ['xr', [2, 9, 1]]], outs, inits, 17), feeds);
  });

  it('maps LSTM, GRU and RNN onto OnnxLSTM/OnnxGRU/OnnxRNN (bidirectional, layout 1, sequence_lens, initial states, Relu, linear_before_reset) as onnxruntime computes them', async () => {
    const [S, N, I, H] = [4, 3, 2, 3];
    const w = (g: number, d: number, seed: number) => data([d, g * H, I], seed);
    const r = (g: number, d: number, seed: number) => data([d, g * H, H], seed);
    const b = (g: number, d: number, seed: number) => data([d, 2 * g * H], seed);
    const nodes = [
      // Batch-major (layout 1), both directions, ragged lengths and initial states.
      { opType: 'LSTM', input: ['xb', 'lw', 'lr', 'lb', 'lens', 'h0b', 'c0b'], output: ['ly', 'lh', 'lc'], attribute: [int('hidden_size', H), str('direction', 'bidirectional'), int('layout', 1)] },
      // No bias, no initial state, linear_before_reset.
      { opType: 'GRU', input: ['x', 'gw', 'gr'], output: ['gy', 'gh'], attribute: [int('hidden_size', H), int('linear_before_reset', 1)] },
      { opType: 'RNN', input: ['x', 'rw', 'rr', 'rb', 'lens', 'h0'], output: ['ry', 'rh'], attribute: [int('hidden_size', H), str('direction', 'reverse'), { name: 'activations', type: T.STRINGS, strings: [new TextEncoder().encode('Relu')] }] },
    ];
    const inits: [string, HostTensor][] = [
      ['lw', w(4, 2, 1)], ['lr', r(4, 2, 2)], ['lb', b(4, 2, 3)],
      ['gw', w(3, 1, 4)], ['gr', r(3, 1, 5)],
      ['rw', w(1, 1, 6)], ['rr', r(1, 1, 7)], ['rb', b(1, 1, 8)],
      ['lens', tensorFromNumbers('int32', [N], [4, 2, 1])],
    ];
    const feeds = { x: data([S, N, I], 9), xb: data([N, S, I], 10), h0b: data([N, 2, H], 11), c0b: data([N, 2, H], 12), h0: data([1, N, H], 13) };
    const outs = nodes.flatMap((n) => n.output.map((o) => [o, 'float32'] as [string, DType]));
    const ins: [string, Shape][] = [['x', [S, N, I]], ['xb', [N, S, I]], ['h0b', [N, 2, H]], ['c0b', [N, 2, H]], ['h0', [1, N, H]]];
    const bytes = model(nodes, ins, outs, inits, 14);
    // onnxruntime has no batch-major (layout 1) kernels: its reference is the time-major LSTM between Transposes.
    const tr = (a: string, b: string, perm: number[]) => ({ opType: 'Transpose', input: [a], output: [b], attribute: [ints('perm', perm)] });
    const refNodes = [
      tr('xb', 'xt', [1, 0, 2]), tr('h0b', 'h0t', [1, 0, 2]), tr('c0b', 'c0t', [1, 0, 2]),
      { ...nodes[0]!, input: ['xt', 'lw', 'lr', 'lb', 'lens', 'h0t', 'c0t'], output: ['lyt', 'lht', 'lct'], attribute: nodes[0]!.attribute.slice(0, 2) },
      tr('lyt', 'ly', [2, 0, 1, 3]), tr('lht', 'lh', [1, 0, 2]), tr('lct', 'lc', [1, 0, 2]),
      ...nodes.slice(1),
    ];
    const ops = readModel(bytes).graph.nodes.map((n) => n.op);
    for (const op of ['OnnxLSTM', 'OnnxGRU', 'OnnxRNN']) assert.ok(ops.includes(op), `one ${op} node, not an unrolled loop (got ${ops.join(', ')})`);
    await sameAsOrt(bytes, feeds, model(refNodes, ins, outs, inits, 14));
  });

  it('maps GridSample (bilinear, nearest, bicubic; zeros, border, reflection; align_corners) as onnxruntime computes it', async () => {
    // Grid points far outside [-1, 1] (several reflections), on pixel centres and at exact half-pixel ties (nearest's rounding).
    const gridValues = [-3.1, -1, -0.75, -0.5, -0.2, 0, 0.25, 0.5, 0.6, 1, 1.3, 2.7, -1.6, 0.125, 0.375, -0.625];
    const grid = tensorFromNumbers('float32', [2, 2, 4, 2], Array.from({ length: 32 }, (_v, i) => gridValues[(i * 7) % 16]!));
    const nodes: OnnxNs.INodeProto[] = [];
    for (const mode of ['bilinear', 'nearest', 'bicubic']) {
      for (const pad of ['zeros', 'border', 'reflection']) {
        for (const align of [0, 1]) nodes.push({ opType: 'GridSample', input: ['x', 'g'], output: [`${mode}_${pad}_${align}`], attribute: [str('mode', mode), str('padding_mode', pad), int('align_corners', align)] });
      }
    }
    const bytes = model(nodes, [['x', [2, 3, 3, 4]], ['g', [2, 2, 4, 2]]], nodes.map((n) => [n.output![0]!, 'float32'] as [string, DType]), [], 16);
    await sameAsOrt(bytes, { x: data([2, 3, 3, 4], 3), g: grid });
  });

  it("maps opset 20's GridSample ('linear', 'nearest', 'cubic'; 5-D volumetric input) as onnxruntime computes it; 5-D cubic is refused", async () => {
    // Voxel centres, borders, half-voxel ties and points beyond [-1, 1] for a [3, 4, 5] volume, as (x, y, z) triples.
    const gridValues = [-3.1, -1, -0.75, -0.5, -0.2, 0, 0.25, 0.5, 0.6, 1, 1.3, 2.7, -1.6, 0.125, 0.375, -0.625, 0.2, -0.4];
    const grid5 = tensorFromNumbers('float32', [2, 2, 3, 2, 3], Array.from({ length: 72 }, (_v, i) => gridValues[(i * 7) % 18]!));
    const grid4 = tensorFromNumbers('float32', [2, 2, 4, 2], Array.from({ length: 32 }, (_v, i) => gridValues[(i * 5) % 18]!));
    const node = (input: string[], mode: string, pad: string, align: number): OnnxNs.INodeProto => ({ opType: 'GridSample', input, output: [`${input[0]}_${mode}_${pad}_${align}`], attribute: [str('mode', mode), str('padding_mode', pad), int('align_corners', align)] });
    const nodes: OnnxNs.INodeProto[] = [];
    for (const pad of ['zeros', 'border', 'reflection']) {
      for (const align of [0, 1]) nodes.push(node(['x5', 'g5'], 'linear', pad, align), node(['x5', 'g5'], 'nearest', pad, align), node(['x4', 'g4'], 'cubic', pad, align));
    }
    const bytes = model(nodes, [['x5', [2, 3, 3, 4, 5]], ['g5', [2, 2, 3, 2, 3]], ['x4', [2, 3, 3, 4]], ['g4', [2, 2, 4, 2]]], nodes.map((n) => [n.output![0]!, 'float32'] as [string, DType]), [], 20);
    await sameAsOrt(bytes, { x5: data([2, 3, 3, 4, 5], 3), g5: grid5, x4: data([2, 3, 3, 4], 4), g4: grid4 });
    const cubic5 = model([{ ...node(['x5', 'g5'], 'cubic', 'zeros', 0), name: 'gs' }], [['x5', [2, 3, 3, 4, 5]], ['g5', [2, 2, 3, 2, 3]]], [['x5_cubic_zeros_0', 'float32']], [], 20);
    assert.throws(() => readModel(cubic5), { message: "readModel: model bytes: ONNX operator 'GridSample' (node 'gs') has no gluonc equivalent: mode 'cubic' on a 5-D input (cubic is defined for 4-D input only)" });
  });

  it('reads initializers stored as external data (onnx.save_model) next to the file; a location outside its folder is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-external-'));
    try {
      // python's onnx writes both weights into one file (the second at an offset), as exporters of large models do.
      const py = String.raw`
import sys, numpy as np, onnx
from onnx import helper as H, TensorProto as TP, numpy_helper as NH
rs = np.random.RandomState(0)
g = H.make_graph([H.make_node('MatMul', ['x', 'W'], ['h']), H.make_node('Add', ['h', 'b'], ['y'])], 'g',
    [H.make_tensor_value_info('x', TP.FLOAT, ['N', 3])], [H.make_tensor_value_info('y', TP.FLOAT, ['N', 4])],
    [NH.from_array(rs.randn(3, 4).astype(np.float32), 'W'), NH.from_array(rs.randn(4).astype(np.float32), 'b')])
m = H.make_model(g, opset_imports=[H.make_opsetid('', 17)], ir_version=8)
onnx.save_model(m, sys.argv[1] + '/model.onnx', save_as_external_data=True, all_tensors_to_one_file=True, location='weights.bin', size_threshold=0)
for t in m.graph.initializer:
    for kv in t.external_data:
        if kv.key == 'location': kv.value = '../weights.bin'
onnx.save_model(m, sys.argv[1] + '/escape.onnx')
`;
      const r = runPython(py, { args: [dir] });
      assert.equal(r.status, 0, r.stderr);
      const file = join(dir, 'model.onnx');
      const x = data([2, 3]);
      const session = await ort.InferenceSession.create(file);
      const want = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape) })).y!;
      await session.release();
      const net = SymbolBlock.imports(file);
      assert.deepEqual([...net.collectParams().keys()].sort(), ['W', 'b']);
      for (const hybrid of [false, true]) {
        if (hybrid) net.hybridize();
        const got = tensorToNumbers((net.call(new NDArray(x)) as NDArray)._host);
        got.forEach((v, i) => assert.ok(Math.abs(v - Number(want.data[i])) <= 1e-5, `${hybrid ? 'hybridized' : 'eager'} y[${i}]: ${v} vs onnxruntime ${want.data[i]}`));
      }
      assert.throws(() => readModel(join(dir, 'escape.onnx')), /readModel: '.*escape\.onnx': initializer 'W': tensor 'W' has external data at '\.\.\/weights\.bin', which uses '\.\.' to leave the model's folder/);
      assert.throws(() => readModel(readFileSync(file)), /readModel: model bytes: initializer 'W': tensor 'W' has external data \('weights\.bin'\), which needs the model's folder: load the model from its file path/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs hybridized a graph with an output that folds to a constant (the Shape of a fixed-size input)', async () => {
    const bytes = model(
      [
        { opType: 'Relu', input: ['x'], output: ['y'] },
        { opType: 'Shape', input: ['x'], output: ['s'] },
        { opType: 'Cast', input: ['s'], output: ['sf'], attribute: [int('to', 1)] },
      ],
      [['x', [2, 3]]],
      [['y', 'float32'], ['sf', 'float32']],
    );
    const x = data([2, 3]);
    const session = await ort.InferenceSession.create(bytes);
    const want = await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    await session.release();
    const net = new SymbolBlock(readModel(bytes).graph);
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const [y, sf] = net.call(new NDArray(x)) as NDArray[];
      assert.deepEqual(tensorToNumbers(sf!._host), Array.from(want.sf!.data as Float32Array), `${hybrid ? 'hybridized' : 'eager'} sf`);
      assert.deepEqual(tensorToNumbers(y!._host), Array.from(want.y!.data as Float32Array), `${hybrid ? 'hybridized' : 'eager'} y`);
    }
  });

  it('refuses by operator, node and reason', () => {
    const resize = model(
      [{ opType: 'Resize', input: ['x', 'roi', 'scales'], output: ['y'], name: 'up', attribute: [str('coordinate_transformation_mode', 'tf_crop_and_resize'), str('mode', 'cubic')] }],
      [['x', [1, 1, 2, 2]]],
      [['y', 'float32']],
      [['roi', tensorFromNumbers('float32', [8], [0, 0, 0, 0, 1, 1, 1, 1])], ['scales', tensorFromNumbers('float32', [4], [1, 1, 2, 2])]],
    );
    assert.throws(() => readModel(resize), { message: "readModel: model bytes: ONNX operator 'Resize' (node 'up') has no gluonc equivalent: mode 'cubic' with tf_crop_and_resize (onnxruntime and ONNX's reference compute it differently)" });
    const unique = model([{ opType: 'Unique', input: ['x'], output: ['y'], name: 'u', attribute: [int('axis', 2)] }], [['x', [2, 3]]], [['y', 'float32']]);
    assert.throws(() => readModel(unique), { message: "readModel: model bytes: ONNX operator 'Unique' (node 'u') has no gluonc equivalent: axis 2 is out of range for rank 2" });
    // NonMaxSuppression's limits must be constants (they size the graph's operator).
    const nms = model([{ opType: 'NonMaxSuppression', input: ['b', 'x', 'm'], output: ['y'], name: 'n' }], [['b', [1, 2, 4]], ['x', [1, 1, 2]], ['m', []]], [['y', 'int64']]);
    assert.throws(() => readModel(nms), { message: "readModel: model bytes: ONNX operator 'NonMaxSuppression' (node 'n') has no gluonc equivalent: max_output_boxes_per_class (input 2, 'm') is computed at run time; gluonc needs it constant" });
    // Overwriting with a repeated position (-1 and 1 on an axis of 2) is undefined in ONNX: refused.
    const overwrite = model([{ opType: 'ScatterElements', input: ['x', 'i', 'x'], output: ['y'], name: 'sc' }], [['x', [2, 2]]], [['y', 'float32']], [['i', tensorFromNumbers('int64', [2, 2], [1, 0, -1, 1])]]);
    assert.throws(() => readModel(overwrite), { message: "readModel: model bytes: ONNX operator 'ScatterElements' (node 'sc') has no gluonc equivalent: reduction='none' with an index that addresses one position twice (ONNX leaves the result undefined)" });
    // ScatterND with reduction='mul' at indices computed at run time maps (scatterReduce): import-scatter-reduce-runtime.test.ts.
    const avgNd = model([{ opType: 'ScatterND', input: ['x', 'i', 'x'], output: ['y'], name: 'nd', attribute: [str('reduction', 'avg')] }], [['x', [2, 2]]], [['y', 'float32']], [['i', tensorFromNumbers('int64', [2, 1], [1, 0])]], 18);
    assert.throws(() => readModel(avgNd), /ONNX operator 'ScatterND' \(node 'nd'\) has no gluonc equivalent: reduction='avg' is not one of 'add', 'none', 'mul', 'max', 'min'/);
    const lstmActs = model([{ opType: 'LSTM', input: ['x', 'w', 'r'], output: ['y'], name: 'l', attribute: [int('hidden_size', 1), { name: 'activations', type: T.STRINGS, strings: ['Sigmoid', 'Relu', 'Tanh'].map((a) => new TextEncoder().encode(a)) }] }], [['x', [2, 1, 1]]], [['y', 'float32']], [['w', data([1, 4, 1])], ['r', data([1, 4, 1])]]);
    assert.throws(() => readModel(lstmActs), { message: `readModel: model bytes: ONNX operator 'LSTM' (node 'l') has no gluonc equivalent: activations ["Sigmoid","Relu","Tanh"] (only the defaults Sigmoid, Tanh, Tanh)` });
    const clipped = model([{ opType: 'GRU', input: ['x', 'w', 'r'], output: ['y'], name: 'g', attribute: [int('hidden_size', 1), { name: 'clip', type: T.FLOAT, f: 1 }] }], [['x', [2, 1, 1]]], [['y', 'float32']], [['w', data([1, 3, 1])], ['r', data([1, 3, 1])]]);
    assert.throws(() => readModel(clipped), { message: "readModel: model bytes: ONNX operator 'GRU' (node 'g') has no gluonc equivalent: clip" });
    const other = onnx.ModelProto.encode({ ...onnx.ModelProto.decode(model([], [['x', [1]]], [['x', 'float32']])), opsetImport: [{ domain: 'com.example', version: 1 }] }).finish();
    assert.throws(() => readModel(other), { message: 'readModel: model bytes: the model imports no default ONNX opset, only the domain(s) com.example, whose operators gluonc does not map' });
    // Only ai.onnx.preview.training (its optimizers are mapped): a default-domain node in it is refused.
    const training = onnx.ModelProto.encode({ ...onnx.ModelProto.decode(model([{ opType: 'Relu', input: ['x'], output: ['y'], name: 'r' }], [['x', [1]]], [['y', 'float32']])), opsetImport: [{ domain: 'ai.onnx.preview.training', version: 1 }] }).finish();
    assert.throws(() => readModel(training), { message: "readModel: model bytes: ONNX operator 'Relu' (node 'r') has no gluonc equivalent: the model imports no default ONNX opset" });
    const det4 = model([{ opType: 'Det', input: ['x'], output: ['y'], name: 'd' }], [['x', [4, 4]]], [['y', 'float32']]);
    assert.throws(() => readModel(det4), /ONNX operator 'Det' \(node 'd'\) has no gluonc equivalent: a matrix of shape \[4, 4\]: only square 1x1, 2x2 and 3x3/);
    const dftLen = model([{ opType: 'DFT', input: ['x', 'n'], output: ['y'], name: 'f' }], [['x', [2, 5, 1]]], [['y', 'float32']], [['n', tensorFromNumbers('int64', [], [0])]]);
    assert.throws(() => readModel(dftLen), { message: "readModel: model bytes: ONNX operator 'DFT' (node 'f') has no gluonc equivalent: dft_length 0 (for an axis of length 5)" });
    const runtimeShape = model([{ opType: 'Reshape', input: ['x', 'shape'], output: ['y'], name: 'rs' }], [['x', [2, 3]], ['shape', [2]]], [['y', 'float32']]);
    assert.throws(() => readModel(runtimeShape), /ONNX operator 'Reshape' \(node 'rs'\) has no gluonc equivalent: the shape input 1 \('shape'\) is computed at run time/);
  });
});
