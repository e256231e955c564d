/**
 * Importer of ONNX's GridSample: opset 16's 4-D form (modes 'bilinear',
 * 'nearest', 'bicubic') and opset 20's N-D form (input [N, C, d1..dr], grid
 * [N, D1..Dr, r] of normalized (x, y, z, ...) with x along the last axis;
 * modes 'linear', 'nearest', 'cubic', cubic only for r = 2), written out
 * with gluonc operators the way PyTorch's `grid_sample` (and onnxruntime)
 * computes it: the grid is unnormalized (`align_corners`), the coordinates
 * are clipped (`border`) or reflected then clipped (`reflection`), and each
 * tap reads the input through one `take` of row-major positions,
 * out-of-range taps giving 0. Linear uses 2^r taps, nearest 1 (rounding half
 * to even), cubic 16 (A = -0.75, each tap's index clipped or reflected).
 * Differentiable in the input and the grid; at a clipped coordinate's
 * bounds the grid gradient is 0, as PyTorch's (`clip_coordinates_set_grad`
 * counts the borders as outside).
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';

type Pad = 'zeros' | 'border' | 'reflection';

/** Scalar arithmetic on values of one dtype. */
function arith(c: ImportCtx, dtype: Value['type']['dtype']) {
  const k = (v: Value | number): Value => (typeof v === 'number' ? c.scalar(v, dtype) : v);
  return {
    add: (a: Value | number, b: Value | number) => c.op('add', [k(a), k(b)]),
    sub: (a: Value | number, b: Value | number) => c.op('sub', [k(a), k(b)]),
    mul: (a: Value | number, b: Value | number) => c.op('mul', [k(a), k(b)]),
    div: (a: Value | number, b: Value | number) => c.op('div', [k(a), k(b)]),
    floor: (a: Value) => c.op('floor', [a]),
    where: (cond: Value, a: Value | number, b: Value | number) => c.op('where', [cond, k(a), k(b)]),
    cmp: (op: string, a: Value, b: Value | number) => c.op(op, [a, k(b)]),
  };
}

/** Each opset's mode names onto one interpolation. */
const MODES: Record<string, 'linear' | 'nearest' | 'cubic'> = { bilinear: 'linear', linear: 'linear', nearest: 'nearest', bicubic: 'cubic', cubic: 'cubic' };

const gridSample: Builder = (c) => {
  const [x, grid] = [c.input(0), c.input(1)];
  const xs = x.type.shape;
  const gs = grid.type.shape;
  const r = xs.length - 2;
  if (r < 1 || gs.length !== r + 2 || gs[r + 1] !== r) throw c.refuse(`input [${xs.join(', ')}] with grid [${gs.join(', ')}] (an input [N, C, d1..dr] needs a grid [N, D1..Dr, r])`);
  if (xs.some((d) => typeof d !== 'number')) throw c.refuse(`the input shape [${xs.join(', ')}] must be known`);
  const [n, ch, ...size] = xs as number[] as [number, number, ...number[]];
  const modeName = c.attr.str('mode', c.opset >= 20 ? 'linear' : 'bilinear');
  const mode = MODES[modeName];
  const pad = c.attr.str('padding_mode', 'zeros') as Pad;
  const align = c.attr.int('align_corners', 0) !== 0;
  if (!mode) throw c.refuse(`mode '${modeName}' (ONNX's are 'linear', 'nearest' and 'cubic'; opset 16's 'bilinear' and 'bicubic')`);
  if (mode === 'cubic' && r !== 2) throw c.refuse(`mode '${modeName}' on a ${r + 2}-D input (cubic is defined for 4-D input only)`);
  if (!['zeros', 'border', 'reflection'].includes(pad)) throw c.refuse(`padding_mode '${pad}'`);
  const d = x.type.dtype;
  const A = arith(c, d);
  const g = castTo(c, grid, d);
  const unnormalize = (v: Value, s: number): Value => (align ? A.mul(A.add(v, 1), (s - 1) / 2) : A.div(A.sub(A.mul(A.add(v, 1), s), 1), 2));
  /** v clipped to [0, hi], its gradient 0 at the bounds and beyond (PyTorch's clip_coordinates_set_grad). */
  const clamp = (v: Value, hi: number): Value => A.where(A.cmp('lesserEqual', v, 0), 0, A.where(A.cmp('greaterEqual', v, hi), hi, v));
  /** PyTorch's reflect_coordinates(v, twiceLow, twiceHigh). */
  const reflect = (v: Value, twiceLow: number, twiceHigh: number): Value => {
    if (twiceLow === twiceHigh) return A.mul(v, 0);
    const min = twiceLow / 2;
    const span = (twiceHigh - twiceLow) / 2;
    const a = c.op('abs', [A.sub(v, min)]);
    const flips = A.floor(A.div(a, span));
    const extra = A.sub(a, A.mul(flips, span));
    const even = A.cmp('equal', A.sub(flips, A.mul(A.floor(A.div(flips, 2)), 2)), 0);
    return A.where(even, A.add(extra, min), A.add(A.sub(span, extra), min));
  };
  const coords = (v: Value, s: number): Value => {
    if (pad === 'border') return clamp(v, s - 1);
    if (pad === 'reflection') return clamp(align ? reflect(v, 0, 2 * (s - 1)) : reflect(v, -1, 2 * s - 1), s - 1);
    return v;
  };
  // The input as rows [N*prod(size), C]; a tap reads row n*prod(size) + the row-major position, or 0 out of range.
  const volume = size.reduce((p, q) => p * q, 1);
  const strides = size.map((_s, a) => size.slice(a + 1).reduce((p, q) => p * q, 1));
  const perm = [0, ...size.map((_s, a) => a + 2), 1];
  const rows = c.op('reshape', [c.op('transpose', [x], { axes: perm })], { shape: [n * volume, ch] });
  const base = c.constant(tensorFromNumbers(d, [n, ...size.map(() => 1)], Array.from({ length: n }, (_v, i) => i * volume)));
  /** One tap: the input at integer positions `idx` (one per spatial axis, in axis order) times `weight`. */
  const tap = (idx: Value[], weight: Value): Value => {
    let inside: Value | null = null;
    let pos: Value = base;
    idx.forEach((i, a) => {
      const ok = A.mul(A.cmp('greaterEqual', i, 0), A.cmp('lesserEqual', i, size[a]! - 1));
      inside = inside ? A.mul(inside, ok) : ok;
      pos = A.add(pos, A.mul(c.op('clip', [i], { aMin: 0, aMax: size[a]! - 1 }), strides[a]!));
    });
    const v = c.op('take', [rows, castTo(c, pos, 'int64')], { axis: 0 });
    return c.op('mul', [v, c.op('expandDims', [A.mul(inside!, weight)], { axis: -1 })]);
  };
  const sum = (vs: Value[]): Value => vs.reduce((p, q) => c.op('add', [p, q]));
  // Grid component j addresses spatial axis r - 1 - j (x is the last axis).
  const u = size.map((s, a) => unnormalize(c.op('take', [g, c.scalar(r - 1 - a, 'int64')], { axis: -1 }), s));
  let out: Value;
  if (mode === 'cubic') {
    const cc1 = (t: Value) => A.add(A.mul(A.mul(A.sub(A.mul(t, -0.75 + 2), -0.75 + 3), t), t), 1);
    const cc2 = (t: Value) => A.sub(A.mul(A.add(A.mul(A.sub(A.mul(t, -0.75), 5 * -0.75), t), 8 * -0.75), t), 4 * -0.75);
    const weights = (t: Value): Value[] => [cc2(A.add(t, 1)), cc1(t), cc1(A.sub(1, t)), cc2(A.sub(2, t))];
    const [gy, gx] = u as [Value, Value];
    const [x0, y0] = [A.floor(gx), A.floor(gy)];
    const [wx, wy] = [weights(A.sub(gx, x0)), weights(A.sub(gy, y0))];
    const taps: Value[] = [];
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 4; i++) taps.push(tap([coords(A.add(y0, j - 1), size[0]!), coords(A.add(x0, i - 1), size[1]!)], A.mul(wx[i]!, wy[j]!)));
    }
    out = sum(taps);
  } else {
    const p = u.map((v, a) => coords(v, size[a]!));
    if (mode === 'nearest') {
      // Round half to even (nearbyint): floor(v + 0.5), minus 1 at an exact tie that landed on an odd number.
      const rint = (v: Value): Value => {
        const f = A.floor(A.add(v, 0.5));
        const odd = A.sub(f, A.mul(A.floor(A.div(f, 2)), 2));
        return A.sub(f, A.mul(A.cmp('equal', A.sub(f, v), 0.5), odd));
      };
      out = tap(p.map(rint), A.add(A.mul(p[0]!, 0), 1));
    } else {
      // 2^r corners of the cell: along each axis the lower index with weight 1 - t or the upper with t.
      const lo = p.map((v) => A.floor(v));
      const t = p.map((v, a) => A.sub(v, lo[a]!));
      const taps: Value[] = [];
      for (let corner = 0; corner < 1 << r; corner++) {
        const upper = size.map((_s, a) => ((corner >> (r - 1 - a)) & 1) === 1);
        const idx = lo.map((l, a) => (upper[a] ? A.add(l, 1) : l));
        const w = t.map((ta, a) => (upper[a] ? ta : A.sub(1, ta))).reduce((q, s) => A.mul(q, s));
        taps.push(tap(idx, w));
      }
      out = sum(taps);
    }
  }
  return [c.op('transpose', [out], { axes: [0, r + 1, ...size.map((_s, a) => a + 1)] })];
};

/** The GridSample importer. */
export const GRID_SAMPLE_IMPORTS: Record<string, Builder> = { GridSample: gridSample };
