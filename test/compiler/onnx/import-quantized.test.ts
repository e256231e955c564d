/**
 * Quantized models as onnxruntime's quantizer writes them
 * (test/fixtures/onnx/quantize.py: a CNN in the QOperator format with
 * per-channel QLinearConv, the same CNN in the QDQ format, a self-attention
 * block with QLinearMatMul, an MLP quantized dynamically with
 * DynamicQuantizeLinear and MatMulInteger) imported with
 * `gluon.SymbolBlock.imports`: eager and hybridized outputs equal
 * onnxruntime's (python, when the fixtures were written); the quantized
 * operators stay quantized in the imported graph and in the re-exported file;
 * the float layers fine-tune (integer paths carry no gradient). Bad operands
 * of the quantized operators fail by name.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import { assertClose } from '../../helpers/compare.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/onnx');
const file = (name: string): string => join(FIXTURES, 'quantized', `${name}.onnx`);

/** The fixtures: the float model each was quantized from (its x.npy is the input) and the quantized ONNX operators it holds. */
const MODELS: [string, string, string[]][] = [
  ['cnn-qop', 'cnn', ['QLinearConv', 'QuantizeLinear', 'DequantizeLinear']],
  ['cnn-qdq', 'cnn', ['QuantizeLinear', 'DequantizeLinear']],
  ['block-qop', 'block', ['QLinearMatMul']],
  ['mlp-dyn', 'mlp', ['DynamicQuantizeLinear', 'MatMulInteger']],
];

/** What onnxruntime's optimizer fuses a re-exported fixture into. */
const FUSED: Record<string, string> = { 'cnn-qdq': 'QLinearConv', 'mlp-dyn': 'DynamicQuantizeMatMul' };

const opTypes = (bytes: Uint8Array): Set<string> => new Set((onnx.ModelProto.decode(bytes).graph?.node ?? []).map((n) => n.opType ?? ''));

describe('quantized models from onnxruntime\'s quantizer (SymbolBlock.imports)', () => {
  for (const [name, src, ops] of MODELS) {
    const x = readNpy(join(FIXTURES, src, 'x.npy'));
    const want = tensorToNumbers(readNpy(join(FIXTURES, 'quantized', `${name}.y.npy`)));

    it(`${name} (${ops.join(', ')}): eager and hybridized outputs equal onnxruntime's`, () => {
      assert.ok(ops.every((o) => opTypes(readFileSync(file(name))).has(o)), `the fixture holds ${ops.join(', ')}`);
      for (const hybrid of [false, true]) {
        const net = gluon.SymbolBlock.imports(file(name));
        if (hybrid) net.hybridize();
        assertClose(tensorToNumbers((net.call(new nd.NDArray(x)) as nd.NDArray)._host), want, `${name} ${hybrid ? 'hybridized' : 'eager'}`, 1e-5, 1e-6);
      }
    });
  }

  it('keeps the integer operators: the imported graph holds gluonc\'s quantized operators, the re-exported file ONNX\'s, and onnxruntime runs it', async () => {
    const pairs: [string, string, string, string][] = [['cnn-qop', 'cnn', 'qlinearConv', 'QLinearConv'], ['cnn-qdq', 'cnn', 'quantizeLinear', 'QuantizeLinear'], ['block-qop', 'block', 'qlinearMatmul', 'QLinearMatMul'], ['mlp-dyn', 'mlp', 'matmulInteger', 'MatMulInteger']];
    for (const [name, src, op, onnxOp] of pairs) {
      const { graph } = readModel(readFileSync(file(name)));
      assert.ok(graph.nodes.some((n) => n.op === op), `${name}: the imported graph holds ${op}`);
      const x = readNpy(join(FIXTURES, src, 'x.npy'));
      const net = gluon.SymbolBlock.imports(file(name));
      net.hybridize();
      net.call(new nd.NDArray(x));
      const tmp = mkdtempSync(join(tmpdir(), 'gluonc-quantized-'));
      try {
        const out = join(tmp, 'net.onnx');
        net.export(out);
        assert.ok(opTypes(readFileSync(out)).has(onnxOp), `${name}: the exported file holds ${onnxOp}`);
        const session = await ort.InferenceSession.create(out);
        const res = await session.run({ [session.inputNames[0]!]: new ort.Tensor(x.dtype, x.data, x.shape) });
        await session.release();
        assertClose(res[session.outputNames[0]!]!.data as Float32Array, tensorToNumbers(readNpy(join(FIXTURES, 'quantized', `${name}.y.npy`))), `${name} re-exported`, 1e-5, 1e-6);
        // The quantizing operators stay ONNX's own, so onnxruntime fuses them into its 8-bit kernels: a QDQ model's
        // pairs with the convolutions, a dynamic model's DynamicQuantizeLinear with MatMulInteger.
        const fused = FUSED[name];
        if (fused) {
          const optimized = join(tmp, 'optimized.onnx');
          await (await ort.InferenceSession.create(out, { optimizedModelFilePath: optimized, graphOptimizationLevel: 'all', logSeverityLevel: 3 })).release();
          assert.ok(opTypes(readFileSync(optimized)).has(fused), `${name}: onnxruntime fuses the exported file into ${fused}`);
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  });

  for (const hybrid of [false, true]) {
    it(`fine-tunes the float classifier of the QOperator CNN (${hybrid ? 'hybridized' : 'eager'}): its gradients are onnxruntime's features summed, the quantized layers and their scales stay`, () => {
      const x = readNpy(join(FIXTURES, 'cnn', 'x.npy'));
      const h = readNpy(join(FIXTURES, 'quantized', 'cnn-qop.h.npy'));
      const net = gluon.SymbolBlock.imports(file('cnn-qop'));
      if (hybrid) net.hybridize();
      const params = net.collectParams();
      const xa = new nd.NDArray(x);
      const scale = tensorToNumbers(params.get('conv1.weight_scale').data()._host);
      const w0 = tensorToNumbers(params.get('fc.weight').data()._host);
      const loss = autograd.record(() => nd.sum(net.call(xa) as nd.NDArray));
      loss.backward();
      // loss = Σ_n Σ_j (h[n] · W[j] + b[j]): dW[j, k] = Σ_n h[n, k], db[j] = N.
      const [n, k] = h.shape as [number, number];
      const hv = tensorToNumbers(h);
      const colSums = Array.from({ length: k }, (_v, c) => hv.filter((_x, i) => i % k === c).reduce((p, q) => p + q, 0));
      const gw = tensorToNumbers(params.get('fc.weight').grad()._host);
      const outs = gw.length / k;
      assertClose(gw, Array.from({ length: outs * k }, (_v, i) => colSums[i % k]!), 'gradient of fc.weight', 1e-4, 1e-5);
      assertClose(tensorToNumbers(params.get('fc.bias').grad()._host), new Array<number>(outs).fill(n), 'gradient of fc.bias', 1e-5, 1e-6);
      // The scales feed only integer paths: no gradient reaches them, so the step must be told to skip them.
      assert.throws(() => new gluon.Trainer(params, 'sgd', { learningRate: 0.1 }).step(1), /conv1\.weight_scale' has no gradient/);
      new gluon.Trainer(params, 'sgd', { learningRate: 0.1 }).step(1, { ignoreStaleGrad: true });
      assertClose(tensorToNumbers(params.get('fc.weight').data()._host), w0.map((w, i) => w - 0.1 * gw[i]!), 'fc.weight after one step', 1e-5, 1e-6);
      assert.deepEqual(tensorToNumbers(params.get('conv1.weight_scale').data()._host), scale, 'the scale is unchanged');
    });
  }

  it('refuses bad operands of the quantized operators by name', () => {
    const u8 = (shape: number[]) => nd.array(new Array(shape.reduce((p, q) => p * q, 1)).fill(1), { shape, dtype: 'uint8' });
    const i8 = (shape: number[]) => nd.array(new Array(shape.reduce((p, q) => p * q, 1)).fill(1), { shape, dtype: 'int8' });
    const s = (v: number) => nd.array([v], { shape: [] });
    assert.throws(() => nd.matmulInteger(nd.array([[1, 2]]), u8([2, 1])), /^OpError: matmulInteger: a must be uint8 or int8, got float32/);
    assert.throws(() => nd.matmulInteger(u8([2, 3]), u8([2, 1])), /matmulInteger: inner dimensions differ: \[2, 3\] · \[2, 1\]/);
    assert.throws(() => nd.matmulInteger(u8([2, 3]), u8([3, 4]), u8([2])), /matmulInteger: aZeroPoint must be a scalar \(per-tensor\), got shape \[2\]/);
    assert.throws(() => nd.matmulInteger(u8([2, 3]), u8([3, 4]), u8([]), u8([3])), /bZeroPoint must be a scalar or have 4 entries/);
    assert.throws(() => nd.matmulInteger(u8([2, 3]), u8([3, 4]), i8([])), /aZeroPoint must be uint8, got int8/);
    assert.throws(() => nd.qlinearMatmul(i8([2, 3]), s(1), i8([]), u8([3, 4]), s(1), u8([]), s(1), i8([])), /qlinearMatmul: int8 data with uint8 weights has no onnxruntime kernel/);
    assert.throws(() => nd.qlinearMatmul(u8([2, 3]), s(1), u8([]), i8([3, 4]), nd.array([1, 2, 3], { shape: [3] }), i8([]), s(1), u8([])), /the weight scale must be a scalar or have 4 entries \(one per output channel\), got shape \[3\]/);
    assert.throws(() => nd.qlinearMatmul(u8([2, 3]), nd.array([1], { shape: [], dtype: 'float64' }), u8([]), i8([3, 4]), s(1), i8([]), s(1), u8([])), /the data scale must be float32, got float64/);
    assert.throws(() => nd.qlinearMatmul(u8([2, 3]), s(1), u8([]), i8([3, 4]), s(1), i8([]), s(1), i8([])), /the output zero point must be uint8, got int8/);
    assert.throws(() => nd.convInteger(u8([1, 4, 5, 5]), u8([2, 3, 3, 3])), /convInteger: weight shape \[2, 3, 3, 3\] does not match data shape \[1, 4, 5, 5\]/);
    assert.throws(() => nd.convInteger(u8([1, 2, 5]), u8([2, 2, 3]), { pad: [1, 2, 3] }), /convInteger: option 'pad' must be 1 integer/);
    assert.throws(() => nd.qlinearConv(u8([1, 2, 4, 4]), s(1), u8([]), i8([3, 2, 3, 3]), s(1), i8([]), s(1), u8([]), nd.array([1, 2, 3], { shape: [3] })), /qlinearConv: the bias must be int32 of shape \[3\] \(one per filter\), got float32\[3\]/);
    // A float scale needing a gradient: none reaches it through the integer output.
    const scale = s(0.5);
    scale.attachGrad();
    const y = autograd.record(() => nd.sum(nd.cast(nd.qlinearConv(u8([1, 2, 4, 4]), scale, u8([]), i8([3, 2, 3, 3]), s(1), i8([]), s(1), u8([])), 'float32')));
    y.backward();
    assert.deepEqual(tensorToNumbers(scale.grad._host), [0]);
  });
});
