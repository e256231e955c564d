/**
 * torchvision's building blocks (test/fixtures/onnx/vision.py, plain torch,
 * random weights, tiny sizes) exported by both of torch's exporters
 * (`dynamo=False` at opset 17, and the default dynamo exporter) with a
 * dynamic batch axis, and dynamic H/W where the model allows: a MobileNetV3
 * block (hardswish, hardsigmoid squeeze-excitation, BatchNorm kept), a
 * ConvNeXt block (depthwise 7x7, channels-last LayerNorm, layer scale), a
 * ViT (class token, learned positions, nn.MultiheadAttention and
 * scaled_dot_product_attention), Swin's shifted-window attention (roll,
 * window partition/reverse, a relative position table indexed by a buffer,
 * the shifted windows' mask buffer), ShuffleNetV2 units (chunk, split,
 * channel shuffle), a U-Net-style head (ConvTranspose2d, a concatenated
 * skip, pixel_shuffle/pixel_unshuffle, bilinear resizing with and without
 * align_corners, bicubic and nearest resizing to the input's size, bilinear
 * up-sampling by a scale of 2, nearest-exact resizing where the dynamo
 * exporter gathers at indices computed from H and W, a dilated convolution
 * with padding='same') and other layers
 * (grouped convolution, GroupNorm, InstanceNorm2d, PReLU, Dropout2d, ceil-mode
 * and padding-excluding pooling, adaptive pooling to 7x7 from 8x8). Each,
 * eager and hybridized: the output equals PyTorch's, so does the output at
 * other sizes along the dynamic axes, so does the gradient of sum(y * r)
 * for every parameter that is one initializer of the file, and three SGD
 * steps (momentum, weight decay) give PyTorch's losses and parameters. Swin
 * is also exported with constant folding (each exporter's default): its
 * table then reaches the file as the bias it gathers (one value per
 * position, trained so), and its mask as a folded buffer, which stays frozen
 * where the dynamo exporter records where it came from. Skipped, with a
 * message, without python3's torch, onnx and onnxscript.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = `import runpy, sys; sys.argv = ['vision.py'] + sys.argv[1:]; runpy.run_path(${JSON.stringify(join(import.meta.dirname, '../../fixtures/onnx/vision.py'))}, run_name='__main__')`;
const MODELS = ['mobilenet_v3', 'convnext', 'vit', 'swin', 'swin_folded', 'shufflenet', 'unet', 'misc'];

interface Index {
  losses: number[];
  mapping: Record<string, [string, string]>;
  buffers: Record<string, string>;
  params: string[];
  lr: number;
  momentum: number;
  wd: number;
}

const array = (dir: string, f: string) => new nd.NDArray(readNpy(join(dir, f)));
const numbers = (dir: string, f: string) => tensorToNumbers(readNpy(join(dir, f)));

describe('torchvision blocks exported by both torch exporters: outputs, other sizes, gradients and SGD steps equal PyTorch\'s', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('vision', ['torch', 'onnx', 'onnxscript'], SCRIPT);

  for (const model of MODELS) {
    for (const exporter of ['torchscript', 'dynamo']) {
      for (const hybrid of [false, true]) {
        it(`${model}, ${exporter} (${hybrid ? 'hybridized' : 'eager'})`, () => {
          const dir = join(fx.dir, `${model}_${exporter}`);
          const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Index;
          const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
          if (hybrid) net.hybridize();
          const params = net.collectParams();
          for (const [buffer, init] of Object.entries(index.buffers)) {
            // The dynamo exporter records buffers (also folded into another initializer): frozen. The TorchScript
            // exporter does not: frozen by hand, as the README says.
            if (exporter === 'dynamo') assert.equal(params.get(init).gradReq, 'null', `${buffer} (initializer ${init}) trains`);
            else params.get(init).gradReq = 'null';
          }
          const x = array(dir, 'x.npy');
          const other = autograd.pause(() => net.call(array(dir, 'x_other.npy')) as nd.NDArray);
          assertClose(tensorToNumbers(other._host), numbers(dir, 'y_other.npy'), `output at other sizes [${other.shape.join(', ')}]`);
          const r = array(dir, 'r.npy');
          let y: nd.NDArray | undefined;
          const loss = autograd.record(() => {
            y = net.call(x) as nd.NDArray;
            return y.mul(r).sum();
          });
          assertClose(tensorToNumbers(y!._host), numbers(dir, 'y.npy'), 'output');
          loss.backward();
          const grads = readdirSync(dir).filter((f) => f.startsWith('grad.'));
          assert.equal(grads.length, Object.keys(index.mapping).length);
          for (const f of grads) assertClose(tensorToNumbers(params.get(f.slice(5, -4)).grad()._host), numbers(dir, f), `gradient of ${f.slice(5, -4)}`, 1e-3, 1e-5);
          // Every parameter is one initializer, but Swin's tables where folded (their gathered biases train per position).
          const unmapped = index.params.filter((p) => !(p in index.mapping));
          assert.deepEqual(unmapped, model === 'swin_folded' ? ['b1.table', 'b2.table'] : []);

          const trainer = new gluon.Trainer(params, 'sgd', { learningRate: index.lr, momentum: index.momentum, wd: index.wd });
          const label = array(dir, 'label.npy');
          const l2 = new gluon.loss.L2Loss();
          const n = x.shape[0] as number;
          const losses: number[] = [];
          for (let s = 0; s < index.losses.length; s++) {
            // Gluon's L2Loss per sample (half the mean square) averaged over the batch: torch's ((y - label) ** 2).mean() / 2.
            const l = autograd.record(() => l2.call(net.call(x) as nd.NDArray, label) as nd.NDArray);
            l.backward();
            losses.push(tensorToNumbers(l._host).reduce((a, b) => a + b, 0) / n);
            trainer.step(n);
          }
          // Where the tables are folded, the steps after the first are the file's (per-position biases), not PyTorch's.
          const compared = unmapped.length ? 1 : losses.length;
          assertClose(losses.slice(0, compared), index.losses.slice(0, compared), 'losses', 1e-5, 1e-6);
          if (unmapped.length) return;
          for (const [param, [init]] of Object.entries(index.mapping)) {
            assertClose(tensorToNumbers(params.get(init).data()._host), numbers(dir, `after.${init}.npy`), `${param} after the steps`);
          }
        });
      }
    }
  }
});
