/**
 * `fft`: the discrete Fourier transform of real data along one axis (MXNet's
 * `contrib.fft`), as ONNX's DFT from opset 17 and as products with constant
 * cos/sin matrices below it.
 */
import type { Attrs } from '../ir/node.js';
import { defineOp, type LowerCtx, type OpDef, type Tx } from './define.js';
import { normAxis, splitAt } from './dims.js';
import { commonDType, float16InFloat32 } from './elementwise.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import { FLOATS } from './nn.js';
import type { GradTensor } from './grad-ops.js';

/** Below opset 17 (no DFT): the real and imaginary parts as products with constant cos and -sin matrices along the (concrete) axis. */
function fftByMatMul(c: LowerCtx, axis: number): void {
  const t = c.inTypes[0]!;
  const r = t.shape.length;
  const n = t.shape[axis]!;
  if (typeof n !== 'number') throw new OpError('fft', `below opset 17 (no ONNX DFT) the transformed axis needs a known length, got ${String(n)} (compiling for opset ${c.opset})`, c.inTypes);
  const mat = (f: (x: number) => number): string => {
    const data = t.dtype === 'float64' ? new Float64Array(n * n) : new Float32Array(n * n);
    for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) data[j * n + k] = f((2 * Math.PI * ((j * k) % n)) / n);
    return c.constant({ dtype: t.dtype, shape: [n, n], data });
  };
  const perm = [...Array.from({ length: r }, (_v, k) => k).filter((k) => k !== axis), axis];
  const x = axis === r - 1 ? c.inputs[0]! : c.emit('Transpose', [c.inputs[0]!], { perm })[0]!;
  const part = (f: (x: number) => number) => c.emit('Unsqueeze', [c.emit('MatMul', [x, mat(f)])[0]!, c.ints([-1])])[0]!;
  const parts = [part(Math.cos), part((v) => -Math.sin(v))];
  if (axis === r - 1) return void c.emit('Concat', parts, { axis: -1 }, c.outputs);
  const [y] = c.emit('Concat', parts, { axis: -1 });
  c.emit('Transpose', [y!], { perm: [...perm.map((_p, k) => perm.indexOf(k)), r] }, c.outputs);
}

type FftSig = (data: Tx, options?: { axis?: number }) => Tx;

/**
 * The discrete Fourier transform of real data along `axis` (default -1):
 * the result has shape `data.shape + [2]` holding the real and imaginary
 * parts. Example: `F.fft(x)` for `x` of shape [4, 8] gives [4, 8, 2].
 */
export const fft: OpDef<FftSig, Attrs & { axis: number }> = defineOp<FftSig, Attrs & { axis: number }>({
  name: 'fft',
  opsetNote: 'ONNX DFT from 17 (axis as an input from 20); below, MatMul with cos/sin matrices (the axis length must be known)',
  inputs: ['data'],
  attrs: { axis: -1 },
  infer: (types, a) => {
    const dtype = commonDType('fft', types, FLOATS);
    normAxis('fft', a.axis, types[0]!.shape.length, types);
    return [{ dtype, shape: [...types[0]!.shape, 2] }];
  },
  lower: float16InFloat32((c, a) => {
    const axis = normAxis('fft', a.axis, c.inTypes[0]!.shape.length);
    if (c.opset < 17) return fftByMatMul(c, axis);
    const [u] = c.emit('Unsqueeze', [c.inputs[0]!, c.ints([-1])]);
    if (c.opset >= 20) c.emit('DFT', [u!, '', c.scalar(axis, 'int64')], { onesided: 0, inverse: 0 }, c.outputs);
    else c.emit('DFT', [u!], { axis, onesided: 0, inverse: 0 }, c.outputs);
  }),
  kernel: ([x], a, [out]) => {
    const v = toF64(x!);
    const { outer, n, inner } = splitAt(x!.shape, normAxis('fft', a.axis, x!.shape.length));
    const cos = Float64Array.from({ length: n }, (_v, j) => Math.cos((2 * Math.PI * j) / n));
    const sin = Float64Array.from({ length: n }, (_v, j) => Math.sin((2 * Math.PI * j) / n));
    const res = new Float64Array(v.length * 2);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        for (let k = 0; k < n; k++) {
          let re = 0;
          let im = 0;
          for (let j = 0; j < n; j++) {
            const xj = v[base + j * inner]!;
            const w = (j * k) % n;
            re += xj * cos[w]!;
            im -= xj * sin[w]!;
          }
          res[(base + k * inner) * 2] = re;
          res[(base + k * inner) * 2 + 1] = im;
        }
      }
    }
    return [fromF64(out!, res)];
  },
  // The adjoint of x -> (Re X, Im X) with X_k = sum_j x_j e^{-2πijk/n}: for g = (gr, gi),
  // dx_j = sum_k gr_k cos(2πjk/n) - gi_k sin(2πjk/n) = Re fft(gr)_j + Im fft(gi)_j.
  grad: (F, { attrs }, [g]) => {
    if (!g) return [null];
    const part = (t: GradTensor, k: number) => F.squeeze(F.sliceAxis(t, { axis: -1, begin: k, end: k + 1 }), -1);
    const opts = { axis: attrs.axis as number };
    return [F.add(part(F.fft(part(g, 0), opts), 0), part(F.fft(part(g, 1), opts), 1))];
  },
});

/** The fft operator, by F name. */
export const FFT_OPS = { fft } as const;
