/**
 * What torch's exporters write for sizes known only when the model runs
 * (test/fixtures/onnx/dynamic.py, plain torch, random weights, dynamic N, H
 * and W), each by both exporters where torch can export it: `torch.roll`
 * over H and W (the dynamo exporter slices at `Mod(shift, H)`, a start
 * computed at run time up to the shape's H), global adaptive average and max
 * pooling, adaptive average pooling to 3x2 from 8x7 (dynamo only: torch's
 * decomposition, whose taps are the traced size's, so at another image size
 * the run fails naming a gather, as in onnxruntime), nearest-exact resizing to `(2H, W + 3)` and by 2 (dynamo only:
 * a Range up to `float(2H)`, an Expand to the Shape of a Max of two such
 * ranges, a GatherND of symbolically many rows), bilinear resizing by 0.5
 * and 1.5 and nearest by 1.5 (scales that shrink or are not integers on
 * symbolic axes), and a model in bfloat16 (read as float32: compared with
 * PyTorch's float32 arithmetic on the same bfloat16 weights and input, and
 * with its bfloat16 output to bfloat16's precision). Eager and hybridized:
 * outputs at three sizes, the input's gradient of sum(y * r) at each, and
 * every parameter's at the first, equal PyTorch's. Skipped, with a
 * message, without python3's torch, onnx and onnxscript.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = `import runpy, sys; sys.argv = ['dynamic.py'] + sys.argv[1:]; runpy.run_path(${JSON.stringify(join(import.meta.dirname, '../../fixtures/onnx/dynamic.py'))}, run_name='__main__')`;
const CASES: [string, string[]][] = [
  ['roll', ['torchscript', 'dynamo']],
  ['pool', ['torchscript', 'dynamo']],
  ['adaptive', ['dynamo']],
  ['nearest_exact', ['dynamo']],
  ['scales', ['torchscript', 'dynamo']],
  ['bf16', ['torchscript', 'dynamo']],
];

const array = (dir: string, f: string) => new nd.NDArray(readNpy(join(dir, f)));
const numbers = (dir: string, f: string) => tensorToNumbers(readNpy(join(dir, f)));

describe('torch modules with dynamic image sizes (roll, adaptive pooling, nearest-exact, shrinking and fractional scales, bfloat16): outputs and gradients equal PyTorch\'s', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('dynamic', ['torch', 'onnx', 'onnxscript'], SCRIPT);

  for (const [model, exporters] of CASES) {
    for (const exporter of exporters) {
      for (const hybrid of [false, true]) {
        it(`${model}, ${exporter} (${hybrid ? 'hybridized' : 'eager'}): ${model === 'adaptive' ? 'two batch sizes' : 'three sizes'}`, () => {
          const dir = join(fx.dir, `${model}_${exporter}`);
          const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { params: string[]; sizes: number };
          const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
          if (hybrid) net.hybridize();
          const params = net.collectParams();
          // Every parameter is an initializer of its name, and trains.
          for (const p of index.params) assert.equal(params.get(p).gradReq, 'write', p);
          for (let k = 0; k < index.sizes; k++) {
            const x = array(dir, `x${k}.npy`);
            x.attachGrad();
            const r = array(dir, `r${k}.npy`);
            let y: nd.NDArray | undefined;
            const loss = autograd.record(() => {
              y = net.call(x) as nd.NDArray;
              return y.mul(r).sum();
            });
            const at = `at [${x.shape.join(', ')}]`;
            // The TorchScript exporter writes GELU's √2 as a bfloat16 constant (1.4140625), which PyTorch's float32 reference does not round.
            const [rtol, atol] = model === 'bf16' && exporter === 'torchscript' ? [5e-3, 1e-4] : [1e-3, 1e-5];
            assert.deepEqual(y!.shape, readNpy(join(dir, `y${k}.npy`)).shape, `output shape ${at}`);
            assertClose(tensorToNumbers(y!._host), numbers(dir, `y${k}.npy`), `output ${at}`, rtol / 10, atol);
            loss.backward();
            assertClose(tensorToNumbers(x.grad!._host), numbers(dir, `dx${k}.npy`), `input gradient ${at}`, rtol, atol);
            if (k === 0) for (const p of index.params) assertClose(tensorToNumbers(params.get(p).grad()._host), numbers(dir, `grad.${p}.npy`), `gradient of ${p}`, rtol, atol);
            if (model === 'bf16' && k === 0) {
              // PyTorch's own bfloat16 arithmetic rounds every result to 8 significant bits: the same to that precision.
              assertClose(tensorToNumbers(y!._host), numbers(dir, 'y_bf16.npy'), 'output against PyTorch in bfloat16', 3e-2, 3e-2);
            }
          }
          if (model === 'adaptive') assert.throws(() => net.call(nd.ones([1, 3, 9, 14])), /index 14 is out of range|idx=14 must be within/);
        });
      }
    }
  }
});
