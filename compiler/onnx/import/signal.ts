/**
 * Importers of ONNX's signal operators: DFT (opset 17's axis attribute,
 * opset 20's axis input) and STFT (opset 17) onto gluonc's `fft`
 * (MelWeightMatrix: a constant, see below)
 * of a real signal. A complex input (last axis 2) is two real transforms
 * combined; the inverse is `conj(fft(conj(x))) / n`; `onesided` keeps the
 * first `floor(n/2) + 1` frequencies; the inverse of a one-sided spectrum
 * (IRFFT) is the real part of the inverse of its Hermitian extension
 * (numpy's `irfft`: the imaginary parts of the zero and Nyquist
 * frequencies drop out). A `dft_length` other than the axis length
 * truncates the signal or pads it with zeros. Computed in float64 and
 * rounded to the input's dtype.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import { castTo, dtypeOf, normAxis, type Builder, type ImportCtx } from './context.js';

/** Entry `k` of the last axis (real or imaginary part). */
const part = (c: ImportCtx, x: Value, k: number): Value => c.op('take', [x, c.scalar(k, 'int64')], { axis: -1 });

/** The DFT of the complex signal (re, im) along `axis`: its real and imaginary parts. */
function complexFft(c: ImportCtx, re: Value, im: Value | null, axis: number): [Value, Value] {
  const fr = c.op('fft', [re], { axis });
  if (!im) return [part(c, fr, 0), part(c, fr, 1)];
  const fi = c.op('fft', [im], { axis });
  // (A + iB) with A = fft(re), B = fft(im): Re = A.re - B.im, Im = A.im + B.re.
  return [c.op('sub', [part(c, fr, 0), part(c, fi, 1)]), c.op('add', [part(c, fr, 1), part(c, fi, 0)])];
}

/** `x` (axis length `m`) truncated or zero-padded along `axis` to `len` entries. */
function fitLength(c: ImportCtx, x: Value, axis: number, m: number, len: number): Value {
  if (len < m) return c.op('sliceAxis', [x], { axis, begin: 0, end: len });
  if (len === m) return x;
  const padWidth = x.type.shape.flatMap((_d, k) => (k === axis ? [0, len - m] : [0, 0]));
  return c.op('pad', [x], { mode: 'constant', padWidth, constantValue: 0 });
}

/**
 * DFT: the axis as an attribute (opset 17; default 1) or an input (opset 20;
 * default -2, constant), `inverse`, `onesided`, optional `dft_length` input
 * (default: the axis length; for IRFFT 2 * (length - 1)).
 */
const dft: Builder = (c) => {
  const x = c.input(0);
  const s = x.type.shape;
  const r = s.length;
  const last = s[r - 1];
  if (last !== 1 && last !== 2) throw c.refuse(`the last axis must hold 1 (real) or 2 (complex) components, got ${String(last)}`);
  const axisIn = c.opset >= 20 ? (c.has(2) ? c.numbers(2, 'axis')![0]! : -2) : c.attr.int('axis', 1);
  const axis = normAxis(c, axisIn, r);
  if (axis === r - 1) throw c.refuse(`axis ${axisIn} is the components axis`);
  const m = s[axis];
  if (typeof m !== 'number') throw c.refuse(`the transformed axis ${axis} is symbolic (${m})`);
  const inverse = c.attr.int('inverse', 0) !== 0;
  const onesided = c.attr.int('onesided', 0) !== 0;
  const irfft = inverse && onesided;
  if (irfft && last !== 2) throw c.refuse('inverse with onesided (IRFFT) of a real input (its last axis must hold 2 components)');
  const n = c.has(1) ? c.numbers(1, 'dft_length')![0]! : irfft ? 2 * (m - 1) : m;
  if (!Number.isInteger(n) || n < 1) throw c.refuse(`dft_length ${n} (for an axis of length ${m})`);
  // In float64, as ONNX's reference: a float32 DFT's rounding (1e-4 of a 450-sized DC term) exceeds the tests' atol at exact zeros.
  const d = 'float64';
  const x64 = castTo(c, x, d);
  if (irfft) {
    // The one-sided spectrum (floor(n/2) + 1 bins) extended to n: bin j > n/2 is conj(bin n - j).
    const half = Math.floor(n / 2) + 1;
    const bins = Array.from({ length: n }, (_v, j) => (j < half ? j : n - j));
    const full = c.op('take', [fitLength(c, x64, axis, m, half), c.constant(tensorFromNumbers('int64', [n], bins))], { axis });
    const conjSign = c.constant(tensorFromNumbers(d, [n, ...s.slice(axis + 1, r - 1).map(() => 1)], bins.map((_b, j) => (j < half ? -1 : 1))));
    // Re(ifft(X)) = Re(fft(conj X)) / n, conj of the extended spectrum: (re, -im) below n/2, (re, im) above.
    const [yr] = complexFft(c, part(c, full, 0), c.op('mul', [part(c, full, 1), conjSign]), axis);
    return [castTo(c, c.op('expandDims', [c.op('div', [yr, c.scalar(n, d)])], { axis: -1 }), x.type.dtype)];
  }
  const xs = fitLength(c, x64, axis, m, n);
  const re = part(c, xs, 0);
  let im = last === 2 ? part(c, xs, 1) : null;
  if (inverse && im) im = c.op('neg', [im]);
  let [yr, yi] = complexFft(c, re, im, axis);
  if (inverse) [yr, yi] = [c.op('div', [yr, c.scalar(n, d)]), c.op('div', [c.op('neg', [yi]), c.scalar(n, d)])];
  let y = castTo(c, c.op('stack', [yr, yi], { axis: -1 }), x.type.dtype);
  if (onesided) y = c.op('sliceAxis', [y], { axis, begin: 0, end: Math.floor(n / 2) + 1 });
  return [y];
};

/**
 * STFT (opset 17): the frames as one `take` of constant positions
 * [frames, frame_length] along the signal axis, times the window, then the
 * DFT of each frame (in float64, as DFT); `onesided` (the default) keeps
 * floor(frame_length/2) + 1 frequencies of a real signal.
 */
const stft: Builder = (c) => {
  const x = c.input(0);
  const s = x.type.shape;
  const [L, comps] = [s[1], s[2]];
  if (s.length !== 3 || (comps !== 1 && comps !== 2)) throw c.refuse(`the signal must be [batch, length, 1 or 2], got [${s.join(', ')}]`);
  if (typeof L !== 'number') throw c.refuse(`the signal length '${String(L)}' must be known`);
  const step = c.numbers(1, 'frame_step')![0]!;
  const window = c.optInput(2);
  const wlen = window?.type.shape[0];
  const len = c.has(3) ? c.numbers(3, 'frame_length')![0]! : wlen;
  if (len === undefined) throw c.refuse('neither frame_length (input 3) nor a window (input 2) is given: one of them sets the frame length');
  if (typeof len !== 'number' || len < 1 || len > L) throw c.refuse(`frame length ${String(len)} for a signal of length ${L}`);
  if (window && (window.type.shape.length !== 1 || wlen !== len)) throw c.refuse(`a window of shape [${window.type.shape.join(', ')}] for frames of ${len}`);
  if (!Number.isInteger(step) || step < 1) throw c.refuse(`frame_step ${step}`);
  const onesided = c.attr.int('onesided', 1) !== 0;
  if (onesided && comps === 2) throw c.refuse('onesided on a complex signal');
  const frames = 1 + Math.floor((L - len) / step);
  const positions = Array.from({ length: frames * len }, (_v, i) => Math.floor(i / len) * step + (i % len));
  const d = 'float64';
  let framed = c.op('take', [castTo(c, x, d), c.constant(tensorFromNumbers('int64', [frames, len], positions))], { axis: 1 });
  if (window) framed = c.op('mul', [framed, c.op('reshape', [castTo(c, window, d)], { shape: [len, 1] })]);
  const [yr, yi] = complexFft(c, part(c, framed, 0), comps === 2 ? part(c, framed, 1) : null, 2);
  let y = castTo(c, c.op('stack', [yr, yi], { axis: -1 }), x.type.dtype);
  if (onesided) y = c.op('sliceAxis', [y], { axis: 2, begin: 0, end: Math.floor(len / 2) + 1 });
  return [y];
};

/**
 * MelWeightMatrix: a constant [dft_length / 2 + 1, num_mel_bins] computed as the file is read (its inputs must be
 * constant), by ONNX's definition (onnx/reference/ops/op_mel_weight_matrix.py, as onnxruntime): num_mel_bins + 2
 * points evenly spaced in mel (2595 log10(1 + f / 700)) from the lower edge by (high - low) / (num_mel_bins + 2),
 * back to hertz, to bins floor((dft_length + 1) f / sample_rate); triangles rising from point i to i + 1, falling to i + 2.
 */
const melWeightMatrix: Builder = (c) => {
  const [bins, dftLen, rate, lo, hi] = ['num_mel_bins', 'dft_length', 'sample_rate', 'lower_edge_hertz', 'upper_edge_hertz'].map((w, i) => {
    const v = c.numbers(i, w)?.[0];
    if (v === undefined) throw c.refuse(`input ${w} is missing`);
    return v;
  });
  const dtype = dtypeOf(c, c.attr.int('output_datatype', 1), 'attribute output_datatype');
  const rows = Math.floor(dftLen! / 2) + 1;
  const mel = (f: number) => (2595 * Math.log1p(f / 700)) / Math.LN10;
  const step = (mel(hi!) - mel(lo!)) / (bins! + 2);
  const points = Array.from({ length: bins! + 2 }, (_, k) => Math.floor(((dftLen! + 1) * 700 * Math.expm1(((k * step + mel(lo!)) / 2595) * Math.LN10)) / rate!));
  const out = new Array<number>(rows * bins!).fill(0);
  const set = (j: number, i: number, v: number) => {
    if (j < 0 || j >= rows) throw c.refuse(`bin ${j} of mel band ${i} is outside the ${rows} bins of the DFT (the edges exceed the sample rate's range)`);
    out[j * bins! + i] = v;
  };
  for (let i = 0; i < bins!; i++) {
    const [left, center, right] = [points[i]!, points[i + 1]!, points[i + 2]!];
    if (center === left) set(center, i, 1);
    else for (let j = left; j <= center; j++) set(j, i, (j - left) / (center - left));
    for (let j = center; j < right; j++) set(j, i, (right - j) / (right - center));
  }
  return [c.constant(tensorFromNumbers(dtype, [rows, bins!], out))];
};

/** The signal importers by ONNX operator. */
export const SIGNAL_IMPORTS: Record<string, Builder> = {
  DFT: dft,
  STFT: stft,
  MelWeightMatrix: melWeightMatrix,
};
