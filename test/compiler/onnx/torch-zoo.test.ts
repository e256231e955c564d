/**
 * Full-size models gluonc did not write, exported by torch.onnx at test time
 * (test/fixtures/onnx/zoo.py, one python process, random weights, small
 * inputs; nothing large is committed): ResNet-18, MobileNetV2, SqueezeNet
 * 1.1, DenseNet-121, EfficientNet-B0 (torchvision's layouts in plain torch),
 * a two-layer transformer encoder, an LSTM, a bidirectional GRU and an MLP
 * with GELU and LayerNorm. Each imports with `SymbolBlock.imports`; its
 * hybridized output and the gradient of the input for the loss sum(y * r)
 * equal PyTorch's (torch.autograd), and eagerly too for the four small ones. ResNet-18 also takes one fused SGD step
 * (net and loss hybridized: one session run) that equals PyTorch's step
 * for every parameter, and re-exports. Skipped, with a message, without
 * python3, torch and onnx.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd, profiler } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = join(import.meta.dirname, '../../fixtures/onnx/zoo.py');
const MODELS = ['resnet18', 'mobilenet_v2', 'squeezenet1_1', 'densenet121', 'efficientnet_b0', 'transformer', 'lstm', 'gru', 'mlp'];
const EAGER = ['transformer', 'lstm', 'gru', 'mlp'];

/** Elementwise |a - b| <= atol + rtol |b|, atol relative to the largest reference magnitude (deep nets' outputs vary in scale). */
function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-3, atolScale = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let peak = 0;
  for (let i = 0; i < want.length; i++) peak = Math.max(peak, Math.abs(want[i]!));
  assert.ok(peak > 0, `${what}: the reference is all zeros (a test that could not fail)`);
  const atol = atolScale * peak;
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i]!, want[i]!];
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${what}[${i}]: ${a} vs PyTorch ${b} (peak ${peak})`);
  }
}

/** sum(y * r) as a hybridizable loss, so record + backward + step fuse into one compiled step. */
class WeightedSum extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, y: gluon.Tensor, r: gluon.Tensor) {
    return F.sum(F.mul(y, r));
  }
}

describe('full-size torch models (zoo.py, exported at test time)', function () {
  this.timeout(900_000);
  // zoo.py as a script (its __file__ set) in the process that checks the modules: one torch import.
  const fx = pythonFixtures('zoo', ['torch', 'onnx'], `import runpy\nsys.argv = [${JSON.stringify(SCRIPT)}] + sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n`);
  const npy = (name: string, file: string) => readNpy(join(fx.dir, name, file));

  // Hybridized for all; eagerly (operator by operator, TypeScript kernels and gradient rules) for the small ones too.
  for (const [name, hybrid] of [...MODELS.map((m) => [m, true] as const), ...EAGER.map((m) => [m, false] as const)]) {
    it(`${name}: ${hybrid ? 'hybridized' : 'eager'} output and input gradient equal PyTorch's`, () => {
      const net = gluon.SymbolBlock.imports(join(fx.dir, name, 'model.onnx'));
      const loss = new WeightedSum();
      if (hybrid) {
        net.hybridize();
        loss.hybridize();
      }
      const xa = new nd.NDArray(npy(name, 'x.npy'));
      xa.attachGrad();
      let y: nd.NDArray | null = null;
      const l = autograd.record(() => {
        y = net.call(xa) as nd.NDArray;
        return loss.call(y, new nd.NDArray(npy(name, 'r.npy'))) as nd.NDArray;
      });
      l.backward();
      assertClose(y!.data() as Float32Array, tensorToNumbers(npy(name, 'y.npy')), `${name} output`);
      assertClose(xa.grad.data() as Float32Array, tensorToNumbers(npy(name, 'grad.x.npy')), `${name} input gradient`);
    });
  }

  it("resnet18: one fused SGD step equals PyTorch's for every parameter; the trained block re-exports", async () => {
    const index = JSON.parse(readFileSync(join(fx.dir, 'resnet18', 'index.json'), 'utf8')) as { params: Record<string, { initializer: string; transposed: boolean }>; lr: number };
    assert.equal(Object.keys(index.params).length, 62, 'every torch parameter found among the initializers');
    const net = gluon.SymbolBlock.imports(join(fx.dir, 'resnet18', 'model.onnx'));
    net.hybridize();
    const loss = new WeightedSum();
    loss.hybridize();
    const params = net.collectParams();
    const trainer = new gluon.Trainer(params, 'sgd', { learningRate: index.lr });
    const x = new nd.NDArray(npy('resnet18', 'x.npy'));
    const r = new nd.NDArray(npy('resnet18', 'r.npy'));
    profiler.reset();
    autograd.record(() => loss.call(net.call(x), r)).backward();
    trainer.step(1);
    const c = profiler.counters();
    assert.equal(c.sessionRuns, 1, `forward, backward and update as one session run (${JSON.stringify(c)})`);
    for (const [param, info] of Object.entries(index.params)) {
      const after = npy('resnet18', `after.${param}.npy`);
      const want = tensorToNumbers(after);
      const got = params.get(info.initializer).data().data() as Float32Array;
      if (info.transposed) {
        const [rows, cols] = after.shape as [number, number];
        const t = new Float32Array(got.length);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[i * cols + j] = got[j * rows + i]!;
        assertClose(t, want, `${param} after one step`, 1e-4, 1e-5);
      } else assertClose(got, want, `${param} after one step`, 1e-4, 1e-5);
    }
    // The trained block exported again runs in onnxruntime.
    const want = tensorToNumbers((net.call(x) as nd.NDArray)._host);
    const tmp = mkdtempSync(join(tmpdir(), 'gluonc-zoo-export-'));
    try {
      const file = join(tmp, 'resnet18.onnx');
      net.export(file);
      const session = await ort.InferenceSession.create(file);
      const xs = npy('resnet18', 'x.npy');
      const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', xs.data as Float32Array, xs.shape) });
      await session.release();
      assertClose(out[session.outputNames[0]!]!.data as Float32Array, want, 're-exported output', 1e-4, 1e-5);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
