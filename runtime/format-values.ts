/**
 * A host tensor's values as numpy's `str()` writes them, which is what
 * MXNet prints for an NDArray (`str(self.asnumpy())`): numpy's default
 * print options (precision 8, threshold 1000, edge items 3, line width 75).
 * Floats take the shortest digits that read back to the same value in
 * their dtype, padded to a common width; the array switches to scientific
 * notation when its largest magnitude is >= 1e8, its smallest non-zero one
 * < 1e-4, or their ratio > 1000 (numpy's FloatingFormat); arrays of more
 * than 1000 elements print their first and last 3 along each axis around
 * `...`; rows wrap at 75 columns.
 */
import { isFloat } from './dtypes.js';
import { fromHalf, toHalf } from './half.js';
import type { HostTensor } from './tensor.js';

const PRECISION = 8;
const THRESHOLD = 1000;
const EDGE = 3;
const LINE_WIDTH = 75;

type Value = number | bigint | boolean;

/** The value as stored in `dtype` (so digits are chosen for that precision). */
function roundTo(dtype: string): (x: number) => number {
  if (dtype === 'float32') return Math.fround;
  if (dtype === 'float16') return (x) => fromHalf(toHalf(x));
  return (x) => x;
}

/** The shortest decimal (significant digits) that reads back to `x` in its dtype, as [digits, exponent of the first digit]. */
function shortest(x: number, round: (x: number) => number): [string, number] {
  let s = '';
  for (let p = 1; p <= 17; p++) {
    s = Math.abs(x).toExponential(p - 1);
    if (round(Number(s)) === Math.abs(x)) break;
  }
  const [mant, exp] = s.split('e') as [string, string];
  return [mant.replace('.', '').replace(/0+$/, '') || '0', Number(exp)];
}

/** Positional text of |x| (unique digits, at most PRECISION fractional ones), split at the point. */
function positional(x: number, round: (x: number) => number): [string, string] {
  const [digits, e] = shortest(x, round);
  let intPart: string;
  let frac: string;
  if (digits.length - 1 - e > PRECISION) {
    [intPart, frac] = Math.abs(x).toFixed(PRECISION).split('.') as [string, string];
    frac = frac.replace(/0+$/, '');
  } else if (e >= 0) {
    intPart = digits.length > e + 1 ? digits.slice(0, e + 1) : digits + '0'.repeat(e + 1 - digits.length);
    frac = digits.slice(e + 1);
  } else {
    intPart = '0';
    frac = '0'.repeat(-e - 1) + digits;
  }
  if (frac === '0') frac = '';
  return [intPart, frac];
}

/** Scientific text of |x|: mantissa digits after the point and the exponent. */
function scientific(x: number, round: (x: number) => number): [string, string, number] {
  let [digits, e] = shortest(x, round);
  if (digits.length - 1 > PRECISION) {
    const [m, ex] = Math.abs(x).toExponential(PRECISION).split('e') as [string, string];
    digits = m.replace('.', '').replace(/0+$/, '');
    e = Number(ex);
  }
  return [digits[0]!, digits.slice(1), e];
}

function isNeg(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

/** numpy's FloatingFormat: one function formatting every element of `values` to a common width. */
function floatFormat(values: number[], dtype: string): (x: number) => string {
  const round = roundTo(dtype);
  const finite = values.filter(Number.isFinite);
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  const maxV = nonZero.length ? Math.max(...nonZero) : 0;
  const minV = nonZero.length ? Math.min(...nonZero) : 0;
  const exp = nonZero.length > 0 && (maxV >= 1e8 || minV < 1e-4 || maxV / minV > 1000);
  let padLeft = 0;
  let padRight = 0;
  let fracDigits = 0;
  let expDigits = 0;
  if (finite.length && exp) {
    const parts = finite.map((v) => scientific(v, round));
    fracDigits = Math.max(...parts.map(([, f]) => f.length));
    expDigits = Math.max(2, ...parts.map(([, , e]) => String(Math.abs(e)).length));
    padLeft = Math.max(...finite.map((v, i) => (isNeg(v) ? 1 : 0) + parts[i]![0].length));
    padRight = expDigits + 2 + fracDigits;
  } else if (finite.length) {
    const parts = finite.map((v) => positional(v, round));
    padLeft = Math.max(...finite.map((v, i) => (isNeg(v) ? 1 : 0) + parts[i]![0].length));
    padRight = Math.max(...parts.map(([, f]) => f.length));
  }
  if (finite.length !== values.length) {
    const negInf = values.some((v) => v === -Infinity);
    padLeft = Math.max(padLeft, 3 - (padRight + 1), 3 + (negInf ? 1 : 0) - (padRight + 1));
  }
  return (x) => {
    if (!Number.isFinite(x)) {
      const s = Number.isNaN(x) ? 'nan' : x < 0 ? '-inf' : 'inf';
      return s.padStart(padLeft + padRight + 1);
    }
    const sign = isNeg(x) ? '-' : '';
    if (exp) {
      const [lead, frac, e] = scientific(x, round);
      const eText = `e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(expDigits, '0')}`;
      return `${(sign + lead).padStart(padLeft)}.${frac.padEnd(fracDigits, '0')}${eText}`;
    }
    const [i, f] = positional(x, round);
    return `${(sign + i).padStart(padLeft)}.${f.padEnd(padRight)}`;
  };
}

/** The function writing one element, fitted to `values` (numpy picks widths from the printed elements only). */
function elementFormat(values: Value[], dtype: string): (x: Value) => string {
  if (dtype === 'bool') {
    return (x) => (x ? ' True' : 'False');
  }
  if (isFloat(dtype as never)) {
    const f = floatFormat(values as number[], dtype);
    return (x) => f(x as number);
  }
  const width = Math.max(0, ...values.map((v) => String(v).length));
  return (x) => String(x).padStart(width);
}

/**
 * The values of `t` as numpy's `str()` writes them (MXNet's NDArray print).
 *
 * ```ts
 * formatValues({ dtype: 'float32', shape: [2, 2], data: Float32Array.of(1, 2.5, 3, 4) }); // '[[1.  2.5]\n [3.  4. ]]'
 * ```
 */
export function formatValues(t: HostTensor): string {
  const round = t.dtype === 'float16' ? (i: number) => fromHalf(t.data[i] as number) : null;
  const read = (i: number): Value => {
    const v = t.data[i]!;
    if (t.dtype === 'bool') return v !== 0;
    return round ? round(i) : (v as number | bigint);
  };
  const shape = t.shape;
  if (shape.length === 0) return elementFormat([read(0)], t.dtype)(read(0));
  const size = shape.reduce((a, d) => a * d, 1);
  if (size === 0) return '[]';
  const summarize = size > THRESHOLD;
  const strides = shape.map((_d, k) => shape.slice(k + 1).reduce((a, d) => a * d, 1));
  /** The indices shown along an axis: all, or the first and last EDGE around a gap (null). */
  const shown = (n: number): (number | null)[] =>
    summarize && n > 2 * EDGE ? [...Array.from({ length: EDGE }, (_v, i) => i), null, ...Array.from({ length: EDGE }, (_v, i) => n - EDGE + i)] : Array.from({ length: n }, (_v, i) => i);
  const printed: Value[] = [];
  const collect = (d: number, offset: number): void => {
    for (const i of shown(shape[d]!)) {
      if (i === null) continue;
      if (d === shape.length - 1) printed.push(read(offset + i));
      else collect(d + 1, offset + i * strides[d]!);
    }
  };
  collect(0, 0);
  const fmt = elementFormat(printed, t.dtype);
  // numpy's _formatArray: a hanging indent one space deeper per axis, one column less per nesting for ']'.
  const rec = (d: number, offset: number, indent: string, width: number): string => {
    const items = shown(shape[d]!);
    let s = '';
    if (d === shape.length - 1) {
      let line = indent;
      items.forEach((i, k) => {
        const word = i === null ? '...' : fmt(read(offset + i));
        if (line.length + word.length > width - 1 && line.length > indent.length) {
          s += `${line.trimEnd()}\n`;
          line = indent;
        }
        line += word;
        if (k < items.length - 1) line += ' ';
      });
      s += line;
    } else {
      const sep = '\n'.repeat(shape.length - 1 - d);
      s = items.map((i) => indent + (i === null ? '...' : rec(d + 1, offset + i * strides[d]!, `${indent} `, width - 1))).join(sep);
    }
    return `[${s.slice(indent.length)}]`;
  };
  return rec(0, 0, ' ', LINE_WIDTH);
}
