/**
 * Fine-tuning models gluonc did not write: torch-exported ONNX files
 * (test/fixtures/onnx/make.py: an MLP with LayerNorm and GELU, a CNN with
 * Conv/BatchNorm/MaxPool/Clip/GlobalAveragePool, a self-attention block with
 * a dynamic batch axis; a narrow ResNet-18, MobileNetV2/EfficientNet and
 * SqueezeNet/DenseNet pieces, torch's TransformerEncoderLayer, a
 * bidirectional LSTM and a GRU, a Linear over [N*T, C] rows reshaped back with
 * dynamic batch and sequence axes, a one-block causal language model on token ids
 * with positions from torch.arange(T)) imported with `gluon.SymbolBlock.imports`. PyTorch's
 * own numbers are the reference: the outputs, the gradients of the input and
 * of every parameter for the loss sum(y * r), and the parameters after one
 * SGD step; eager and hybridized alike. The re-exported block passes
 * onnx.checker's full check and runs in onnxruntime with the trained weights.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import type { HostTensor } from '../../../runtime/tensor.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/onnx');

interface Index {
  params: Record<string, { initializer: string; transposed: boolean }>;
  /** Recurrent weights re-packed by the exporter: initializer -> the stem of its grad/after files. */
  packed: Record<string, string>;
  lr: number;
}

/** A 2-D tensor's numbers transposed. */
function transposed(t: HostTensor): number[] {
  const [r, c] = t.shape as [number, number];
  const v = tensorToNumbers(t);
  const out = new Array<number>(v.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = v[i * c + j]!;
  return out;
}

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i]!, want[i]!];
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${what}[${i}]: ${a} vs PyTorch ${b}`);
  }
}

/** The torch reference for a parameter, in the initializer's layout. */
function reference(dir: string, kind: 'grad' | 'after', param: string, info: { transposed: boolean }): number[] {
  const t = readNpy(join(dir, `${kind}.${param}.npy`));
  return info.transposed ? transposed(t) : tensorToNumbers(t);
}

describe('torch-exported models', () => {
  // The re-exported files, which onnx.checker checks together after the tests (one python process, not ten).
  const reexported: string[] = [];
  let tmp = '';
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'gluonc-torch-'))));
  after(() => {
    try {
      const errors = checkOnnxFiles(reexported);
      reexported.forEach((f, i) => assert.equal(errors[i], null, `onnx.checker (full check) rejects the re-exported ${f}`));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  for (const name of ['mlp', 'cnn', 'block', 'resnet', 'mobilenet', 'fire', 'encoder', 'recurrent', 'seqflat', 'gpt']) {
    describe(`torch-exported ${name} (SymbolBlock.imports)`, () => {
      const dir = join(FIXTURES, name);
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Index;
      const x = readNpy(join(dir, 'x.npy'));
      const r = readNpy(join(dir, 'r.npy'));

      for (const hybrid of [false, true]) {
        it(`${hybrid ? 'hybridized' : 'eager'}: outputs, input and parameter gradients and one SGD step equal PyTorch's`, () => {
          const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
          if (hybrid) net.hybridize();
          const params = net.collectParams();
          const xa = new nd.NDArray(x);
          // Token ids (integers) have no gradient.
          const floatInput = x.dtype === 'float32';
          if (floatInput) xa.attachGrad();
          const y = autograd.record(() => net.call(xa) as nd.NDArray);
          assertClose(y.data() as Float32Array, tensorToNumbers(readNpy(join(dir, 'y.npy'))), 'output');
          const loss = autograd.record(() => nd.sum(nd.mul(y, new nd.NDArray(r))));
          loss.backward();
          if (floatInput) assertClose(xa.grad.data() as Float32Array, tensorToNumbers(readNpy(join(dir, 'grad.x.npy'))), 'input gradient', 1e-3, 1e-5);
          if (existsSync(join(dir, 'x2.npy'))) {
            // Other sizes along the dynamic axes, before the step.
            const y2 = autograd.pause(() => net.call(new nd.NDArray(readNpy(join(dir, 'x2.npy')))) as nd.NDArray);
            assertClose(tensorToNumbers(y2._host), tensorToNumbers(readNpy(join(dir, 'y2.npy'))), 'output for x2');
          }
          assert.ok(Object.keys(index.params).length > 0);
          for (const [param, info] of Object.entries(index.params)) {
            const p = params.get(info.initializer);
            assertClose(p.grad().data() as Float32Array, reference(dir, 'grad', param, info), `gradient of ${param}`, 1e-3, 1e-5);
          }
          for (const [init, stem] of Object.entries(index.packed)) {
            assertClose(params.get(init).grad().data() as Float32Array, tensorToNumbers(readNpy(join(dir, `grad.${stem}.npy`))), `gradient of ${init}`, 1e-3, 1e-5);
          }
          const trainer = new gluon.Trainer(params, 'sgd', { learningRate: index.lr });
          trainer.step(1);
          for (const [param, info] of Object.entries(index.params)) {
            assertClose(params.get(info.initializer).data().data() as Float32Array, reference(dir, 'after', param, info), `${param} after one step`, 1e-4, 1e-5);
          }
          for (const [init, stem] of Object.entries(index.packed)) {
            assertClose(params.get(init).data().data() as Float32Array, tensorToNumbers(readNpy(join(dir, `after.${stem}.npy`))), `${init} after one step`, 1e-4, 1e-5);
          }
        });
      }

      it('re-exports with the trained weights; onnxruntime runs the new file', async () => {
        const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
        net.hybridize();
        const params = net.collectParams();
        const xa = new nd.NDArray(x);
        const loss = autograd.record(() => nd.sum(nd.mul(net.call(xa) as nd.NDArray, new nd.NDArray(r))));
        loss.backward();
        new gluon.Trainer(params, 'sgd', { learningRate: index.lr }).step(1);
        const want = tensorToNumbers((net.call(xa) as nd.NDArray)._host);
        const file = join(tmp, `${name}.onnx`);
        net.export(file);
        reexported.push(file); // onnx.checker's full check: in the after hook above
        const session = await ort.InferenceSession.create(file);
        const feeds = { [session.inputNames[0]!]: new ort.Tensor(x.dtype, x.data, x.shape) };
        const out = await session.run(feeds);
        await session.release();
        assertClose(out[session.outputNames[0]!]!.data as Float32Array, want, 're-exported output', 1e-4, 1e-5);
        // And it imports again as a gluonc artifact, with the trained parameters.
        const back = gluon.SymbolBlock.imports(file);
        assertClose(tensorToNumbers((back.call(xa) as nd.NDArray)._host), want, 're-imported output', 1e-4, 1e-5);
      });
    });
  }
});
