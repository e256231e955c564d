/**
 * A small hand-written SVG line chart for training curves: one polyline per
 * series over epochs 1..n, a left axis (from 0 when its values are
 * non-negative) and an optional right axis (e.g. loss on the left, accuracy
 * on the right), tick labels, a title and a legend. No dependencies; the output is well-formed XML that any browser
 * shows.
 */
import { writeFileSync } from 'node:fs';

/** One line of the chart: a value per epoch, drawn against the left or right axis. */
export interface CurveSeries {
  name: string;
  values: number[];
  /** Which axis the values are read against (default `left`). */
  axis?: 'left' | 'right';
  /** Stroke colour (default: one of a fixed palette). */
  color?: string;
}

/** Titles and axis labels of the chart. */
export interface CurveOptions {
  title?: string;
  xLabel?: string;
  leftLabel?: string;
  rightLabel?: string;
  /** Format of the right axis' tick labels (default: `percent` when every right value is in [0, 1]). */
  rightFormat?: 'number' | 'percent';
}

const W = 640;
const H = 400;
const M = { left: 70, right: 70, top: 64, bottom: 56 };
const PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** A range that holds `values` with round ends (a step of 1, 2 or 5 times a power of ten). */
function niceRange(values: number[]): [number, number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step, step];
}

function ticks(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let v = lo; v <= hi + step * 1e-6; v += step) out.push(Math.round(v / step) * step);
  return out;
}

function label(v: number, step: number, percent: boolean): string {
  const digits = Math.max(0, -Math.floor(Math.log10(percent ? step * 100 : step)));
  return percent ? `${(v * 100).toFixed(digits)}%` : v.toFixed(digits);
}

/**
 * The chart as an SVG document. Every series needs the same number of
 * values (one per epoch, at least one), all finite.
 *
 * ```ts
 * const svg = curveSvg([
 *   { name: 'training loss', values: [0.6, 0.3, 0.2] },
 *   { name: 'held-out accuracy', values: [0.91, 0.95, 0.96], axis: 'right' },
 * ], { title: 'MLP on MNIST', leftLabel: 'loss', rightLabel: 'accuracy' });
 * ```
 */
export function curveSvg(series: CurveSeries[], options: CurveOptions = {}): string {
  if (series.length === 0) throw new Error('curveSvg: no series to draw');
  const n = series[0]!.values.length;
  for (const s of series) {
    if (s.values.length !== n || n === 0) throw new Error(`curveSvg: series '${s.name}' has ${s.values.length} values, expected ${n || 'at least 1'} (one per epoch)`);
    const bad = s.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`curveSvg: series '${s.name}' has a non-finite value ${s.values[bad]} at epoch ${bad + 1}`);
  }
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (i: number): number => M.left + (n === 1 ? pw / 2 : (i * pw) / (n - 1));
  const sides = (['left', 'right'] as const).map((side) => {
    const vals = series.filter((s) => (s.axis ?? 'left') === side).flatMap((s) => s.values);
    if (vals.length === 0) return null;
    // A non-negative left series (a loss) is drawn from 0.
    const [lo, hi, step] = niceRange(side === 'left' && vals.every((v) => v >= 0) ? [0, ...vals] : vals);
    const percent = side === 'right' && (options.rightFormat ? options.rightFormat === 'percent' : vals.every((v) => v >= 0 && v <= 1));
    return { side, lo, hi, step, percent, y: (v: number) => M.top + ph - ((v - lo) / (hi - lo)) * ph };
  });
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  if (options.title) out.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="16">${esc(options.title)}</text>`);
  // Axes and the frame of the plot.
  out.push(`<g stroke="#333" fill="none"><rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}"/></g>`);
  const xEvery = Math.max(1, Math.ceil(n / 10));
  const xt: string[] = [];
  for (let i = 0; i < n; i += xEvery) {
    xt.push(`<line x1="${num(x(i))}" y1="${M.top + ph}" x2="${num(x(i))}" y2="${M.top + ph + 5}" stroke="#333"/>`);
    xt.push(`<text x="${num(x(i))}" y="${M.top + ph + 18}" text-anchor="middle">${i + 1}</text>`);
  }
  out.push(`<g class="x-axis">${xt.join('')}</g>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 14}" text-anchor="middle">${esc(options.xLabel ?? 'epoch')}</text>`);
  for (const a of sides) {
    if (!a) continue;
    const left = a.side === 'left';
    const ax = left ? M.left : M.left + pw;
    const parts: string[] = [];
    for (const v of ticks(a.lo, a.hi, a.step)) {
      const y = num(a.y(v));
      parts.push(`<line x1="${ax}" y1="${y}" x2="${left ? ax - 5 : ax + 5}" y2="${y}" stroke="#333"/>`);
      if (left) parts.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#ddd"/>`);
      parts.push(`<text x="${left ? ax - 8 : ax + 8}" y="${y}" dy="4" text-anchor="${left ? 'end' : 'start'}">${label(v, a.step, a.percent)}</text>`);
    }
    out.push(`<g class="${a.side}-axis">${parts.join('')}</g>`);
    const text = left ? options.leftLabel : options.rightLabel;
    if (text) {
      const lx = left ? 18 : W - 14;
      out.push(`<text x="${lx}" y="${M.top + ph / 2}" text-anchor="middle" transform="rotate(-90 ${lx} ${M.top + ph / 2})">${esc(text)}</text>`);
    }
  }
  // One polyline per series, with a dot on each epoch and a legend entry.
  series.forEach((s, k) => {
    const a = sides[(s.axis ?? 'left') === 'left' ? 0 : 1]!;
    const color = s.color ?? PALETTE[k % PALETTE.length]!;
    const pts = s.values.map((v, i) => `${num(x(i))},${num(a.y(v))}`);
    out.push(`<polyline data-series="${esc(s.name)}" fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    out.push(`<g fill="${color}">${s.values.map((v, i) => `<circle cx="${num(x(i))}" cy="${num(a.y(v))}" r="3"/>`).join('')}</g>`);
    // The legend sits in the top margin, one entry after the other, so it never hides a line.
    const ly = M.top - 16;
    const lx = M.left + k * 200;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 30}" y="${ly}" dy="4">${esc(s.name)}</text>`);
  });
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}

/**
 * Writes `curveSvg(series, options)` to `path`.
 *
 * ```ts
 * writeCurve('mlp-curve.svg', [{ name: 'training loss', values: losses }], { title: 'MLP' });
 * ```
 */
export function writeCurve(path: string, series: CurveSeries[], options: CurveOptions = {}): void {
  writeFileSync(path, curveSvg(series, options));
}
