/**
 * `narrowCast` (compiler/ops/narrow-cast.ts) beyond its table entry: its ONNX
 * lowering (compiled and run by onnxruntime) equals ONNX's reference Cast on
 * every sample of test/helpers/narrow-ref.ts for every format, `saturate` on
 * and off and float8e8m0's rounding modes, -0 included; its gradient equals
 * PyTorch's for `x.to(dtype).float()` (the gradient rounded onto the format) for the
 * formats torch has; bad attributes and dtypes fail by name.
 */
import assert from 'node:assert/strict';
import { autograd, nd, sym } from 'gluonc';
import { evalSymbols } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { FORMATS, narrowRef, sameNumber } from '../../helpers/narrow-ref.js';
import { runPython } from '../../helpers/python-server.js';

describe('narrowCast: the compiled lowering and the gradient', () => {
  for (const f of FORMATS) {
    it(`${f}: the lowering run by onnxruntime equals ONNX's Cast on every sample`, function () {
      this.timeout(120_000);
      const ref = narrowRef(f);
      const x = sym.var('x', { shape: [ref.x.length], dtype: 'float32' });
      const xs = nd.array(ref.x, { dtype: 'float32' });
      for (const [key, want] of Object.entries(ref.y)) {
        const [sat, mode] = key.split('/');
        const y = sym.narrowCast(x, { format: f, saturate: sat === 'True', roundMode: mode as 'up' });
        const [got] = evalSymbols([y], { x: xs }) as NDArray[];
        const g = tensorToNumbers(got!._host);
        const bad = ref.x.flatMap((v, i) => (sameNumber(g[i]!, want[i]!) || (f === 'float4e2m1' && ref.negNan[i]) ? [] : [`${v} -> ${g[i]} vs ONNX ${want[i]}`]));
        assert.deepEqual(bad.slice(0, 5), [], `${f} saturate=${sat} round_mode=${mode}: ${bad.length} of ${ref.x.length} differ`);
      }
    });
  }

  it('takes float16, float64 and integer inputs', () => {
    const x = [0.3, -7.7, 464, 1000];
    const want = [0.3125, -7.5, 448, 448];
    for (const dtype of ['float16', 'float64'] as const) {
      const v = nd.array(x, { dtype });
      const exact = tensorToNumbers(v._host);
      const w = dtype === 'float16' ? [0.3125, -7.5, 448, 448] : want;
      assert.deepEqual(exact.length, 4);
      assert.deepEqual(tensorToNumbers(nd.narrowCast(v, { format: 'float8e4m3fn' })._host), w, `${dtype} eager`);
      const [c] = evalSymbols([sym.narrowCast(sym.var('x', { shape: [4], dtype }), { format: 'float8e4m3fn' })], { x: v }) as NDArray[];
      assert.deepEqual(tensorToNumbers(c!._host), w, `${dtype} compiled`);
    }
    const i = nd.array([-9, 7, 17, 100], { dtype: 'int32' });
    // Integer Cast to int4 keeps the low 4 bits (two's complement), as ONNX says for fixed point.
    assert.deepEqual(tensorToNumbers(nd.narrowCast(i, { format: 'int4' })._host), [7, 7, 1, 4]);
    assert.equal(nd.narrowCast(i, { format: 'uint2' }).dtype, 'uint8');
  });

  it("passes the gradient through as PyTorch's x.to(dtype).float() does", () => {
    const TORCH: Record<string, string> = { bfloat16: 'bfloat16', float8e4m3fn: 'float8_e4m3fn', float8e5m2: 'float8_e5m2', float8e4m3fnuz: 'float8_e4m3fnuz', float8e5m2fnuz: 'float8_e5m2fnuz', float8e8m0: 'float8_e8m0fnu' };
    // Gradients 0.3, 3, 5, 17 (a tie in float8e4m3fn) and 1e-4 are no value of the narrow formats: torch rounds them onto the format.
    const x = [0.3, 1000, -7.7, 1e-4, 3.5, 2];
    const w = [0.3, 3, 5, 17, 1e-4, -2.5];
    const script = `
import json, torch
out = {}
for k, name in ${JSON.stringify(TORCH)}.items():
    x = torch.tensor(${JSON.stringify(x)}, requires_grad=True)
    (x.to(getattr(torch, name)).to(torch.float32) * torch.tensor(${JSON.stringify(w)})).sum().backward()
    out[k] = x.grad.tolist()
print(json.dumps(out))`;
    const r = runPython(script);
    assert.equal(r.status, 0, r.stderr);
    const torchGrads = JSON.parse(r.stdout) as Record<string, number[]>;
    for (const [f, want] of Object.entries(torchGrads)) {
      const a = nd.array(x);
      a.attachGrad();
      // torch rounds float32 to float8_e8m0fnu to the nearest power of two: ONNX's round_mode 'nearest'.
      const roundMode = f === 'float8e8m0' ? 'nearest' : 'up';
      const y = autograd.record(() => nd.sum(nd.mul(nd.narrowCast(a, { format: f as 'bfloat16', roundMode }), nd.array(w)))) as NDArray;
      y.backward();
      assert.deepEqual(tensorToNumbers(a.grad!._host), want, `${f}: gradient vs PyTorch`);
    }
  });

  it('fails by name on a bad format, rounding mode or dtype', () => {
    assert.throws(() => nd.narrowCast(nd.array([1]), { format: 'float7' as 'int4' }), /narrowCast: format must be one of bfloat16, .*got "float7"/);
    assert.throws(() => nd.narrowCast(nd.array([1]), { format: 'float8e8m0', roundMode: 'odd' as 'up' }), /narrowCast: roundMode must be 'up', 'down' or 'nearest', got "odd"/);
    assert.throws(() => nd.narrowCast(nd.array([1], { dtype: 'int64' }), { format: 'int4' }), /narrowCast: int64 data is not supported/);
  });
});
