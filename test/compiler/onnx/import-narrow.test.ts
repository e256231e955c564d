/**
 * ONNX files with narrow dtypes (bfloat16, float8, float4e2m1, float8e8m0,
 * int4/uint4, int2/uint2), which gluonc holds exactly in a wider dtype
 * (runtime/narrow.ts), written by python's onnx here: tensors in every storage
 * form (packed raw data with an odd count, int32_data) read as
 * onnx.numpy_helper reads them; an int4 block-quantized MatMul
 * (DequantizeLinear with block_size, opset 21, as int4 LLM weights are
 * stored) runs eagerly and hybridized as ONNX's ReferenceEvaluator computes it,
 * its float parameters (the block scales, the bias) get the gradients of the
 * float64 formula and fine-tune, and it exports again to a file
 * onnx.checker accepts and onnxruntime runs alike; Cast and CastLike to
 * float8/float4 round as ONNX's reference does (and a CastLike to float8
 * values cast back to float does not), re-exported too; a narrow
 * dtype elsewhere is refused by name.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { fromTensorProto, onnx, readModel } from '../../../compiler/onnx/index.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { fromJson, sameNumber } from '../../helpers/narrow-ref.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { runPython } from '../../helpers/python-server.js';

const SCRIPT = String.raw`
import json, sys, math
import numpy as np, onnx, ml_dtypes
from onnx import helper, numpy_helper, TensorProto as T
from onnx.reference import ReferenceEvaluator
d = sys.argv[1]
rng = np.random.default_rng(7)
def enc(v):
    v = float(v)
    if math.isnan(v): return 'nan'
    if math.isinf(v): return 'inf' if v > 0 else '-inf'
    if v == 0 and math.copysign(1, v) < 0: return '-0'
    return v
out = {}
# An int4 block-quantized MatMul: W = (wq - zp) * scale per block of 4 rows, y = x @ W + bias.
wq = rng.integers(-8, 8, size=(8, 6)); zp = rng.integers(-2, 3, size=(2, 6))
scale = rng.uniform(0.05, 0.2, size=(2, 6)).astype(np.float32); bias = rng.uniform(-1, 1, size=6).astype(np.float32)
x = rng.uniform(-1, 1, size=(3, 8)).astype(np.float32)
inits = [helper.make_tensor('wq', T.INT4, [8, 6], wq.reshape(-1).tolist()), numpy_helper.from_array(scale, 'w_scale'),
         helper.make_tensor('w_zp', T.INT4, [2, 6], zp.reshape(-1).tolist()), numpy_helper.from_array(bias, 'bias')]
nodes = [helper.make_node('DequantizeLinear', ['wq', 'w_scale', 'w_zp'], ['w'], axis=0, block_size=4),
         helper.make_node('MatMul', ['x', 'w'], ['h']), helper.make_node('Add', ['h', 'bias'], ['y'])]
g = helper.make_graph(nodes, 'int4mm', [helper.make_tensor_value_info('x', T.FLOAT, [3, 8])], [helper.make_tensor_value_info('y', T.FLOAT, [3, 6])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 21)]); m.ir_version = 10
onnx.checker.check_model(m, full_check=True); onnx.save(m, d + '/int4mm.onnx')
y = ReferenceEvaluator(m).run(None, {'x': x})[0]
gy = rng.uniform(-1, 1, size=(3, 6))
dW = x.astype(np.float64).T @ gy
q = (wq - np.repeat(zp, 4, axis=0)).astype(np.float64)
out['int4mm'] = {'x': x.reshape(-1).tolist(), 'y': y.reshape(-1).tolist(), 'gy': gy.reshape(-1).tolist(),
    'dscale': (dW * q).reshape(2, 4, 6).sum(1).reshape(-1).tolist(), 'dbias': gy.sum(0).tolist(), 'scale': scale.reshape(-1).tolist()}
# Cast to float8e4m3fn (not saturating) and CastLike a float4e2m1 value, as graph outputs of those dtypes.
xs = np.array([0.3, 464, 470, -1000, 2.5, -0.2, 7, 1e-3], np.float32)
nodes = [helper.make_node('Cast', ['x'], ['c8'], to=T.FLOAT8E4M3FN, saturate=0), helper.make_node('CastLike', ['x', 'like'], ['c4']),
         helper.make_node('Cast', ['c8'], ['back'], to=T.FLOAT), helper.make_node('CastLike', ['x', 'back'], ['same'])]
g = helper.make_graph(nodes, 'casts', [helper.make_tensor_value_info('x', T.FLOAT, [8])],
    [helper.make_tensor_value_info('c8', T.FLOAT8E4M3FN, [8]), helper.make_tensor_value_info('c4', T.FLOAT4E2M1, [8]), helper.make_tensor_value_info('same', T.FLOAT, [8])],
    [helper.make_tensor('like', T.FLOAT4E2M1, [1], [1.5])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 23)]); m.ir_version = 11
onnx.checker.check_model(m, full_check=True); onnx.save(m, d + '/casts.onnx')
r = ReferenceEvaluator(m).run(None, {'x': xs})
out['casts'] = {'x': xs.tolist(), 'c8': [enc(v) for v in r[0].astype(np.float64)], 'c4': [enc(v) for v in r[1].astype(np.float64)], 'same': [enc(v) for v in r[2].astype(np.float64)]}
# Tensors in each storage form.
ts = [helper.make_tensor('i4odd', T.INT4, [5], [-8, 7, -1, 3, 0]), helper.make_tensor('u2', T.UINT2, [5], [3, 0, 1, 2, 3]),
      helper.make_tensor('i2', T.INT2, [3], [-2, 1, -1]), helper.make_tensor('f8i32', T.FLOAT8E5M2, [3], [0.3, -57344, 1e-5]),
      helper.make_tensor('e8m0', T.FLOAT8E8M0, [3], [0.25, 1, 1024]), helper.make_tensor('bf16', T.BFLOAT16, [2], [0.3, -1e38]),
      helper.make_tensor('u4i32', T.UINT4, [3], [15, 0, 9], raw=False), numpy_helper.from_array(np.array([-6, 0.5, 3, 1.5, -0.0], dtype=ml_dtypes.float4_e2m1fn), 'f4raw'), numpy_helper.from_array(np.array([-8, 7, 1], dtype=ml_dtypes.int4), 'i4raw')]
out['tensors'] = [{'name': t.name, 'bytes': t.SerializeToString().hex(), 'raw': t.HasField('raw_data'), 'values': [enc(v) for v in numpy_helper.to_array(t).astype(np.float64).reshape(-1)]} for t in ts]
# A float8 dtype where gluonc has no rounding: RandomNormal's dtype.
g = helper.make_graph([helper.make_node('RandomNormal', [], ['r'], shape=[2], dtype=T.FLOAT8E4M3FN)], 'rn', [], [helper.make_tensor_value_info('r', T.FLOAT8E4M3FN, [2])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 21)]); m.ir_version = 10
onnx.save(m, d + '/random-f8.onnx')
# QuantizeLinear whose int4 zero point contradicts output_dtype uint4.
g = helper.make_graph([helper.make_node('QuantizeLinear', ['x', 's', 'zp'], ['q'], output_dtype=T.UINT4)], 'qm', [helper.make_tensor_value_info('x', T.FLOAT, [2])],
    [helper.make_tensor_value_info('q', T.UINT4, [2])], [helper.make_tensor('s', T.FLOAT, [], [0.5]), helper.make_tensor('zp', T.INT4, [], [1])])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 21)]); m.ir_version = 10
onnx.save(m, d + '/quantize-mismatch.onnx')
print(json.dumps(out))
`;

interface Made {
  int4mm: { x: number[]; y: number[]; gy: number[]; dscale: number[]; dbias: number[]; scale: number[] };
  casts: { x: number[]; c8: (number | string)[]; c4: (number | string)[]; same: (number | string)[] };
  tensors: { name: string; bytes: string; raw: boolean; values: (number | string)[] }[];
}

describe('ONNX files with narrow dtypes (bfloat16, float8, float4, int4, int2: held in a wider dtype)', () => {
  const dir = scratchDir('gluonc-narrow-');
  let made: Made;
  before(function () {
    this.timeout(60_000);
    const r = runPython(SCRIPT, { args: [dir()] });
    if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
    made = JSON.parse(r.stdout) as Made;
  });

  it('reads every storage form (packed raw data with odd counts, int32_data) as onnx.numpy_helper does', () => {
    const seen = new Set<boolean>();
    for (const t of made.tensors) {
      const h = fromTensorProto(onnx.TensorProto.decode(Buffer.from(t.bytes, 'hex')));
      const want = t.values.map(fromJson);
      const got = tensorToNumbers(h);
      assert.ok(got.length === want.length && got.every((v, i) => sameNumber(v, want[i]!)), `${t.name}: [${got}] vs onnx [${want}]`);
      seen.add(t.raw);
    }
    assert.deepEqual([...seen].sort(), [false, true], 'both raw data and int32_data are read');
    const dtypes = made.tensors.map((t) => fromTensorProto(onnx.TensorProto.decode(Buffer.from(t.bytes, 'hex'))).dtype);
    assert.deepEqual(dtypes, ['int8', 'uint8', 'int8', 'float32', 'float32', 'float32', 'uint8', 'float32', 'int8']);
    // Data of the wrong length fails naming the tensor.
    const bad = onnx.TensorProto.decode(Buffer.from(made.tensors.find((t) => t.name === 'i4raw')!.bytes, 'hex'));
    assert.equal(bad.rawData.length, 2, 'three int4 values pack into two bytes');
    bad.rawData = bad.rawData.slice(0, 1);
    assert.throws(() => fromTensorProto(bad), /tensor 'i4raw' holds 1 bytes of int4 data, expected 2 for 3 values/);
  });

  it('runs an int4 block-quantized MatMul (DequantizeLinear, block_size 4, opset 21) as ONNX\'s ReferenceEvaluator', () => {
    const { graph } = readModel(join(dir(), 'int4mm.onnx'));
    assert.ok(!graph.nodes.some((n) => n.op === 'dequantizeLinear'), 'blocked dequantization is arithmetic');
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(dir(), 'int4mm.onnx'));
      if (hybrid) net.hybridize();
      const y = net.call(nd.array(made.int4mm.x, { shape: [3, 8] })) as nd.NDArray;
      assertClose(tensorToNumbers(y._host), made.int4mm.y, `int4 MatMul ${hybrid ? 'hybridized' : 'eager'}`, 1e-5, 1e-6);
    }
  });

  for (const hybrid of [false, true]) {
    it(`fine-tunes the int4 MatMul's block scales and bias (${hybrid ? 'hybridized' : 'eager'}): their gradients are the float64 formula's`, () => {
      const net = gluon.SymbolBlock.imports(join(dir(), 'int4mm.onnx'));
      if (hybrid) net.hybridize();
      const params = net.collectParams();
      assert.deepEqual([...params.keys()].sort(), ['bias', 'w_scale'], 'the float initializers are the parameters; the int4 weights and zero points are constants');
      const x = nd.array(made.int4mm.x, { shape: [3, 8] });
      const gy = nd.array(made.int4mm.gy, { shape: [3, 6] });
      const loss = autograd.record(() => nd.sum(nd.mul(net.call(x) as nd.NDArray, gy)));
      loss.backward();
      const ds = tensorToNumbers(params.get('w_scale').grad()._host);
      assertClose(ds, made.int4mm.dscale, 'gradient of w_scale', 1e-4, 1e-5);
      assertClose(tensorToNumbers(params.get('bias').grad()._host), made.int4mm.dbias, 'gradient of bias', 1e-5, 1e-6);
      new gluon.Trainer(params, 'sgd', { learningRate: 0.01 }).step(1);
      assertClose(tensorToNumbers(params.get('w_scale').data()._host), made.int4mm.scale.map((s, i) => s - 0.01 * made.int4mm.dscale[i]!), 'w_scale after one step', 1e-5, 1e-6);
    });
  }

  it('rounds Cast (float8e4m3fn, saturate 0) and CastLike (float4e2m1) as ONNX\'s reference, eagerly, hybridized and re-exported', async () => {
    const file = join(dir(), 'casts.onnx');
    // 'same': a CastLike to the float8 values cast back to float is a float32 cast, no rounding.
    const want = [made.casts.c8.map(fromJson), made.casts.c4.map(fromJson), made.casts.same.map(fromJson)];
    const check = (got: number[][], how: string) => got.forEach((g, k) => assert.ok(g.every((v, i) => sameNumber(v, want[k]![i]!)), `${how} output ${k}: [${g}] vs ONNX [${want[k]}]`));
    const x = nd.array(made.casts.x);
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(file);
      if (hybrid) net.hybridize();
      const ys = net.call(x) as nd.NDArray[];
      assert.deepEqual(ys.map((y) => y.dtype), ['float32', 'float32', 'float32'], 'narrow outputs come out in float32');
      check(ys.map((y) => tensorToNumbers(y._host)), hybrid ? 'hybridized' : 'eager');
      if (!hybrid) continue;
      const out = join(dir(), 'casts-again.onnx');
      net.export(out);
      assert.deepEqual(checkOnnxFiles([out]), [null], 'onnx.checker accepts the re-exported file');
      const s = await ort.InferenceSession.create(out);
      const r = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(made.casts.x), [8]) });
      check(s.outputNames.map((n) => Array.from(r[n]!.data as Float32Array)), 're-exported, onnxruntime');
      await s.release();
    }
  });

  it('refuses a narrow dtype where gluonc has no rounding onto it, and contradicting ones, by name', () => {
    assert.throws(() => readModel(join(dir(), 'quantize-mismatch.onnx')), /^Error: readModel: .*QuantizeLinear.*output_dtype uint4 differs from the zero point's int4/);
    assert.throws(() => readModel(join(dir(), 'random-f8.onnx')), /^Error: readModel: .*RandomNormal.*attribute dtype: float8e4m3fn is not supported here \(gluonc holds a file's float8e4m3fn values in float32; Cast, CastLike and QuantizeLinear round onto float8e4m3fn\)/);
  });
});
