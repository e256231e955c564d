/**
 * Where an imported ONNX node gave other numbers than ONNX's reference (onnx.reference.ReferenceEvaluator),
 * eager and hybridized: SpaceToDepth's opset-28 `mode` (CRD was computed as DCR), Mod on floats at its edges
 * (an infinite divisor, signed zeros, NaN, a zero divisor, quotients past 2^53; fmod 0 and 1; float16, float32,
 * float64), ReduceMax/ReduceMin/ReduceLogSumExp over an empty axis (ONNX's identities; float, integer and bool),
 * QuantizeLinear/DequantizeLinear with int16 and uint16 (ties, saturation, blocks), QLinearMatMul with float16 scales,
 * ConvInteger with a weight zero point per output channel (pads, strides, dilations), Cast to bfloat16 and back;
 * blocks holding them export again to files onnx.checker passes and onnxruntime runs to the same outputs.
 * Then the rule that an attribute a builder never reads is refused by name, never dropped.
 * Skipped, with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { foreignModel } from './foreign-model.js';
import { caseInputs, eachReferenceCase } from './reference-cases.js';
import { int, str } from './ort-compare.js';

const SCRIPT = String.raw`
import sys, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
CODE = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE, np.dtype(np.float16): TensorProto.FLOAT16,
        np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int64): TensorProto.INT64, np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.bool_): TensorProto.BOOL,
        np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int16): TensorProto.INT16, np.dtype(np.uint16): TensorProto.UINT16}
def case(name, op, opset, inputs, consts, attrs):
  node = helper.make_node(op, [n for n, _ in inputs] + [n for n, _ in consts], ['y'], **attrs)
  vi = [helper.make_tensor_value_info(n, CODE[v.dtype], list(v.shape)) for n, v in inputs]
  inits = [numpy_helper.from_array(v, n) for n, v in consts]
  ref = ReferenceEvaluator(helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info('y', CODE[inputs[0][1].dtype], None)], inits), opset_imports=[helper.make_opsetid('', opset)], ir_version=11)).run(None, dict(inputs))[0]
  g = helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info('y', CODE[ref.dtype], list(ref.shape))], inits)
  m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)], ir_version=11)
  d = f'{out}/{name}'
  os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  for k, (n, v) in enumerate(inputs): np.save(f'{d}/in{k}.npy', v)
  np.save(f'{d}/y.npy', ref)
x = np.arange(2 * 3 * 4 * 6, dtype=np.float32).reshape(2, 3, 4, 6)
for mode in ['CRD', 'DCR']:
  case(f's2d_{mode}', 'SpaceToDepth', 28, [('x', x)], [], {'blocksize': 2, 'mode': mode})
  case(f'd2s_{mode}', 'DepthToSpace', 28, [('x', np.arange(2 * 8 * 3 * 5, dtype=np.float32).reshape(2, 8, 3, 5))], [], {'blocksize': 2, 'mode': mode})
case('s2d_default', 'SpaceToDepth', 28, [('x', x)], [], {'blocksize': 2})
inf, nan = np.inf, np.nan
a = [0.0, -0.0, 0.0, -0.0, -3.0, 3.0, -1.0, 1.0, inf, -inf, 1.0, 1.0, nan, 1.0, 6.0, -6.0, -7.5, 7.5, 5.5, -0.25]
b = [-2.0, 2.0, 2.0, -2.0, inf, inf, -inf, -inf, 2.0, 2.0, 0.0, -0.0, 2.0, nan, 3.0, 3.0, 2.0, -2.0, -1.5, 0.5]
for dt in [np.float16, np.float32, np.float64]:
  for fm in [0, 1]:
    case(f'mod_{np.dtype(dt).name}_fmod{fm}', 'Mod', 13, [('a', np.array(a, dt)), ('b', np.array(b, dt))], [], {'fmod': fm})
big = [[1e30, -1e30, 3.0e7, -16777215.0], [7.0, 7.0, -0.1, 3.0]]
for fm in [0, 1]:
  case(f'mod_big_float32_fmod{fm}', 'Mod', 13, [('a', np.array(big[0], np.float32)), ('b', np.array(big[1], np.float32))], [], {'fmod': fm})
  case(f'mod_big_float64_fmod{fm}', 'Mod', 13, [('a', np.array([1e17, -1e17, 1e300, 5e-300], np.float64)), ('b', np.array([3.0, 3.0, -7.0, 3e-300], np.float64))], [], {'fmod': fm})
e = np.zeros((2, 0, 4), np.float32)
for op in ['ReduceMax', 'ReduceMin', 'ReduceLogSumExp']:
  for kd in [0, 1]:
    case(f'{op}_empty_kd{kd}', op, 18, [('x', e)], [('axes', np.array([1], np.int64))], {'keepdims': kd})
  case(f'{op}_empty_all', op, 18, [('x', np.zeros((0, 3), np.float32))], [], {'keepdims': 0})
for op in ['ReduceMax', 'ReduceMin']:
  for dt in [np.int32, np.int64, np.uint8, np.bool_]:
    case(f'{op}_empty_{np.dtype(dt).name}', op, 20, [('x', np.zeros((2, 0, 3), dt))], [('axes', np.array([-2], np.int64))], {'keepdims': 0})
  case(f'{op}_nonempty_axis', op, 18, [('x', np.array([[3, -1, 2], [0, 5, -4]], np.float32))], [('axes', np.array([1], np.int64))], {'keepdims': 0})
# Ties (k + 0.5 steps round half to even), saturation at both ends, negative values.
q = np.array([0, 0.25, 0.75, 1.25, -1.25, 2.5, -2.5, 3000, -3000, 16383.25, 1e9, -1e9], np.float32)
for dt, zp in [(np.int16, -7), (np.uint16, 300)]:
  case(f'quantize_{np.dtype(dt).name}', 'QuantizeLinear', 21, [('x', q)], [('s', np.array(0.5, np.float32)), ('zp', np.array(zp, dt))], {})
  info = np.iinfo(dt)
  case(f'dequantize_{np.dtype(dt).name}', 'DequantizeLinear', 21, [('x', np.array([info.min, info.max, 0, zp, zp + 1, 12345], dt))], [('s', np.array(0.1, np.float32)), ('zp', np.array(zp, dt))], {})
case('quantize_int16_blocked', 'QuantizeLinear', 21, [('x', rs.randn(3, 4).astype(np.float32) * 1000)], [('s', np.array([[0.5, 2.0], [1.0, 0.25], [3.0, 0.125]], np.float32)), ('zp', np.zeros((3, 2), np.int16))], {'axis': 1, 'block_size': 2})
for dt in [np.int8, np.uint8]:
  info = np.iinfo(dt)
  a = rs.randint(info.min, info.max + 1, (2, 3, 5)).astype(dt)
  b = rs.randint(info.min, info.max + 1, (2, 5, 4)).astype(dt)
  f16 = lambda v: np.array([v], np.float16)
  case(f'qlinearmatmul_{np.dtype(dt).name}_float16', 'QLinearMatMul', 21, [('a', a)], [('as', f16(0.0123)), ('azp', np.array([3], dt)), ('b', b), ('bs', f16(0.0456)), ('bzp', np.array([info.max // 2], dt)), ('ys', f16(0.333)), ('yzp', np.array([5], dt))], {})
ci = rs.randint(0, 256, (2, 2, 5, 6)).astype(np.uint8)
cw = rs.randint(0, 256, (3, 2, 3, 2)).astype(np.uint8)
case('convinteger_per_channel', 'ConvInteger', 10, [('x', ci)], [('w', cw), ('xzp', np.array(128, np.uint8)), ('wzp', np.array([0, 7, 255], np.uint8))], {'pads': [1, 0, 2, 1], 'strides': [2, 1]})
# Cast to bfloat16 and back (an autocast region's edges): the nearest bfloat16, ties to even, overflow to inf, NaN kept.
bx = np.concatenate([np.array([1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-20, np.nan, 3.4028234e38, -3.3961514e38, 2**-133 + 2**-140, -0.0, 0.1], np.float32), rs.randn(11).astype(np.float32) * 100])
nodes = [helper.make_node('Cast', ['x'], ['b'], to=TensorProto.BFLOAT16), helper.make_node('Cast', ['b'], ['y'], to=TensorProto.FLOAT)]
m = helper.make_model(helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [20])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, [20])]), opset_imports=[helper.make_opsetid('', 21)], ir_version=10)
os.makedirs(f'{out}/cast_bfloat16')
onnx.save(m, f'{out}/cast_bfloat16/model.onnx')
np.save(f'{out}/cast_bfloat16/in0.npy', bx)
np.save(f'{out}/cast_bfloat16/y.npy', ReferenceEvaluator(m).run(None, {'x': bx})[0])
case('convinteger_per_channel_no_xzp', 'ConvInteger', 10, [('x', ci)], [('w', cw), ('xzp', np.array(0, np.uint8)), ('wzp', np.array([9, 0, 200], np.uint8))], {'dilations': [1, 2]})
`;

describe("imported SpaceToDepth (opset 28), Mod's edges, empty reductions, 16-bit and per-channel quantization: ONNX's reference", function () {
  this.timeout(180_000);
  const fx = pythonFixtures('onnx-semantics', ['onnx'], SCRIPT);

  it('every case, eager and hybridized (NaN where the reference has NaN, signed zeros as the reference)', () => {
    const n = eachReferenceCase(fx.dir, (what, y, want, hybrid) => {
      const [got, ref] = [tensorToNumbers(y), tensorToNumbers(want)];
      // Exact: every case is exact in its dtype (a permutation, an exact remainder, an identity); NaN equals NaN.
      // Eagerly Object.is tells -0 from 0 too; compiled, onnxruntime 1.30's Where returns +0 where it picks a -0 of its
      // second input (measured), so a zero's sign is not checked there.
      const same = (v: number, r: number) => (hybrid ? v === r || (Number.isNaN(v) && Number.isNaN(r)) : Object.is(v, r));
      got.forEach((v, i) => assert.ok(same(v, ref[i]!), `${what}[${i}]: ${Object.is(v, -0) ? '-0' : v} vs ONNX's reference ${Object.is(ref[i], -0) ? '-0' : ref[i]}`));
    });
    assert.equal(n, 5 + 10 + 9 + 10 + 5 + 2 + 2 + 1);
  });

  it("exports again: the hybridized block's file passes onnx.checker and onnxruntime gives the same outputs", async () => {
    const picked = ['s2d_CRD', 'mod_float32_fmod0', 'mod_float64_fmod1', 'ReduceMax_empty_kd0', 'ReduceMin_empty_int64', 'quantize_int16', 'dequantize_uint16', 'qlinearmatmul_int8_float16', 'convinteger_per_channel', 'cast_bfloat16'];
    const files: string[] = [];
    const runs: [string, nd.NDArray[], number[]][] = [];
    for (const k of picked) {
      const dir = join(fx.dir, k);
      const inputs = caseInputs(dir);
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      net.hybridize();
      net.call(...inputs);
      const out = join(dir, 'again.onnx');
      net.export(out);
      files.push(out);
      runs.push([out, inputs, tensorToNumbers(readNpy(join(dir, 'y.npy')))]);
    }
    assert.deepEqual(checkOnnxFiles(files), files.map(() => null));
    for (const [out, inputs, want] of runs) {
      const session = await ort.InferenceSession.create(out);
      try {
        const feeds = Object.fromEntries(session.inputNames.map((n, i) => [n, new ort.Tensor(inputs[i]!._host.dtype as 'float32', inputs[i]!._host.data as never, inputs[i]!._host.shape as number[])]));
        const res = await session.run(feeds);
        const got = Array.from(res[session.outputNames[0]!]!.data as ArrayLike<number | bigint>, Number);
        got.forEach((v, i) => assert.ok(v === want[i] || (Number.isNaN(v) && Number.isNaN(want[i]!)), `${out}[${i}]: ${v} vs ${want[i]}`));
      } finally {
        await session.release();
      }
    }
  });
});

describe('ONNX import: attributes a builder does not read are refused by name', () => {
  const one = (op: string, attrs: object[], opset = 13) =>
    foreignModel([{ opType: op, input: ['x'], output: ['y'], name: 'n', attribute: attrs as never }], [['x', [1, 4, 4, 4]]], [['y', { dtype: 'float32' }]], [], opset);

  it('an attribute the operator does not have, or one a newer opset added, is an Error naming it', () => {
    assert.throws(() => readModel(one('Relu', [int('alpha', 2)])), /readModel: .*ONNX operator 'Relu' \(node 'n'\) has no gluonc equivalent: attribute 'alpha' \(opset 13\) not supported/);
    assert.throws(() => readModel(one('Sigmoid', [int('beta', 1), str('gamma', 'x')])), /attributes 'beta', 'gamma' \(opset 13\) not supported/);
    assert.throws(() => readModel(one('SpaceToDepth', [int('blocksize', 2), str('mode', 'XYZ')], 28)), /ONNX operator 'SpaceToDepth' \(node 'n'\) has no gluonc equivalent: mode 'XYZ' \(DCR and CRD are defined\)/);
    assert.throws(() => readModel(one('DepthToSpace', [int('blocksize', 2), str('mode', 'xyz')])), /ONNX operator 'DepthToSpace' \(node 'n'\) has no gluonc equivalent: mode 'xyz'/);
  });

  it("reads opset 6's legacy broadcasting: B aligned at `axis` (not numpy's trailing alignment), equal shapes without broadcast=1", () => {
    const add = (attrs: object[], b: number[]) =>
      foreignModel([{ opType: 'Add', input: ['a', 'b'], output: ['y'], name: 'n', attribute: attrs as never }], [['a', [2, 3, 3]], ['b', b]], [['y', { dtype: 'float32' }]], [], 6);
    const a = Array.from({ length: 18 }, (_v, i) => i);
    const bv = [100, 200, 300];
    // ONNX 6's spec: with axis 1, B's [3] runs along A's axis 1: y[i, j, k] = a[i, j, k] + b[j] (numpy's alignment would add b[k]).
    const want = a.map((v, f) => v + bv[Math.floor(f / 3) % 3]!);
    for (const hybrid of [false, true]) {
      const net = new SymbolBlock(readModel(add([int('broadcast', 1), int('axis', 1)], [3])).graph);
      if (hybrid) net.hybridize();
      const y = net.call(nd.array(a).reshape([2, 3, 3]), nd.array(bv)) as nd.NDArray;
      assert.deepEqual(tensorToNumbers(y._host), want, hybrid ? 'hybridized' : 'eager');
    }
    assert.throws(() => readModel(add([], [3])), /ONNX operator 'Add' \(node 'n'\) has no gluonc equivalent: operands of shapes \[2, 3, 3\] and \[3\] without broadcast=1 \(opset 6\)/);
    assert.throws(() => readModel(add([int('broadcast', 1), int('axis', 3)], [3])), /broadcast axis 3 for operands of ranks 3 and 1/);
  });

  it('attributes that cannot change the result are read or named as ignored: Dropout seed in inference, Cast saturate, TopK sorted', () => {
    readModel(one('Dropout', [int('seed', 3)], 13));
    readModel(foreignModel([{ opType: 'Cast', input: ['x'], output: ['y'], name: 'n', attribute: [int('to', 11), int('saturate', 0)] as never }], [['x', [2]]], [['y', { dtype: 'float64' }]], [], 21));
    readModel(foreignModel([{ opType: 'ReduceMax', input: ['x', 'ax'], output: ['y'], name: 'n', attribute: [int('noop_with_empty_axes', 1)] as never }], [['x', [2, 3]]], [['y', { dtype: 'float32' }]], [['ax', { dtype: 'int64', shape: [1], data: BigInt64Array.of(1n) }]], 18));
  });
});
