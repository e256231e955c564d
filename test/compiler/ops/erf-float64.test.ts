/**
 * float64 `erf` and `gelu` in compiled graphs (hybridized at opset 21, where
 * gelu is ONNX's Gelu, and exported at opset 13, where it is built from Erf)
 * keep float64 precision, against python's math.erf (correctly rounded to a
 * few ulp): onnxruntime's Erf and Gelu kernels are float32 only, and casting
 * through them left ~1e-7 relative error (a float64 BERT's hybridized
 * gradients then missed PyTorch's by 6e-5 relative).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, nd } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { python } from '../../helpers/mxnet-python.js';

class ErfGelu extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor[] {
    return [F.erf(x), F.gelu(x)];
  }
}

// gelu(-inf) is NaN, as the formula, PyTorch and MXNet give. Kinks of the lowering (the series/continued-fraction switch at |x| = 2), 0, tiny, large, ±inf and NaN.
const XS = [0, -0, 1e-300, 5e-9, 0.1, -0.3, 0.5, 1, -1.5, 1.9999999, 2, 2.0000001, -2.5, 3, 4.5, -6, 8, 27, 40, Infinity, -Infinity, NaN,
  ...Array.from({ length: 41 }, (_v, i) => -5 + i / 4 + 0.0123)];

function reference(): { erf: (number | null)[]; gelu: (number | null)[] } {
  return python(String.raw`
import math
xs = [float(v) for v in job]
f = lambda v: None if math.isnan(v) else (('Infinity' if v > 0 else '-Infinity') if math.isinf(v) else v)
print(json.dumps({'erf': [f(math.erf(v)) for v in xs], 'gelu': [f(0.5 * v * (1 + math.erf(v / math.sqrt(2))) if math.isfinite(v) else (v if v > 0 else float('nan'))) for v in xs]}))
`, XS.map((v) => (Number.isFinite(v) ? v : String(v))));
}

/** erf to 4e-15 relative; gelu = x·(1 + erf(x/√2))/2 to 4e-15 of |x| as well (1 + erf cancels below about -2). */
function check(got: ArrayLike<number>, want: (number | null)[], what: string): void {
  const scale = (i: number) => Math.abs(Number(want[i])) + (what.endsWith('gelu') ? Math.abs(XS[i]!) : 0);
  for (let i = 0; i < XS.length; i++) {
    const w = want[i] === null ? NaN : Number(want[i]);
    const g = got[i]!;
    if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${what}(${XS[i]}) is ${g}, expected NaN`);
    else assert.ok(g === w || Math.abs(g - w) <= 4e-15 * scale(i) + 1e-300, `${what}(${XS[i]}) is ${g}, expected ${w} (diff ${g - w})`);
  }
}

describe('ops: float64 erf and gelu keep float64 precision in compiled graphs', function () {
  this.timeout(60_000);
  const ref = reference();
  const x = nd.array(XS, { dtype: 'float64' });

  it('eager (TypeScript kernels)', () => {
    const [e, g] = new ErfGelu().call(x) as nd.NDArray[];
    check(e!.data() as Float64Array, ref.erf, 'eager erf');
    check(g!.data() as Float64Array, ref.gelu, 'eager gelu');
  });

  it('hybridized (opset 21: gelu is ONNX Gelu)', () => {
    const net = new ErfGelu();
    net.hybridize();
    const [e, g] = net.call(x) as nd.NDArray[];
    assert.equal(e!.dtype, 'float64');
    check(e!.data() as Float64Array, ref.erf, 'hybridized erf');
    check(g!.data() as Float64Array, ref.gelu, 'hybridized gelu');
  });

  it('exported at opset 13 (gelu from Erf) and at 21, run by loadModel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-erf64-'));
    try {
      for (const opset of [13, 21]) {
        const net = new ErfGelu();
        const file = join(dir, `erf-${opset}.onnx`);
        net.export(file, { inputs: { x: { shape: ['N'], dtype: 'float64' } }, opset });
        const model = await loadModel(file);
        try {
          const outs = Object.values(await model.run({ x: { data: Float64Array.from(XS), shape: [XS.length] } }));
          check(outs[0]!.data as Float64Array, ref.erf, `opset ${opset} erf`);
          check(outs[1]!.data as Float64Array, ref.gelu, `opset ${opset} gelu`);
        } finally {
          await model.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
