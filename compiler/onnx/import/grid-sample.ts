/**
 * Importer of ONNX's GridSample (opset 16: 4-D input, grid [N, Ho, Wo, 2]
 * of normalized (x, y)), written out with gluonc operators the way PyTorch's
 * `grid_sample` (and onnxruntime) computes it: the grid is unnormalized
 * (`align_corners`), the coordinates are clipped (`border`) or reflected
 * then clipped (`reflection`), and each tap reads the input through one
 * `take` of row-major positions, out-of-range taps giving 0. Bilinear uses 4
 * taps, nearest 1 (rounding half to even), bicubic 16 (A = -0.75, each tap's
 * index clipped or reflected). Differentiable in the input and the grid.
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
    clip: (a: Value, lo: number, hi: number) => c.op('clip', [a], { aMin: lo, aMax: hi }),
    cmp: (op: string, a: Value, b: Value | number) => c.op(op, [a, k(b)]),
  };
}

const gridSample: Builder = (c) => {
  const [x, grid] = [c.input(0), c.input(1)];
  const xs = x.type.shape;
  const gs = grid.type.shape;
  if (xs.length !== 4 || gs.length !== 4 || gs[3] !== 2) throw c.refuse(`input [${xs.join(', ')}] with grid [${gs.join(', ')}] (only 4-D input with a grid [N, Ho, Wo, 2])`);
  const [N, C, H, W] = xs;
  if ([N, C, H, W].some((d) => typeof d !== 'number')) throw c.refuse(`the input shape [${xs.join(', ')}] must be known`);
  const [n, ch, h, w] = [N, C, H, W] as number[] as [number, number, number, number];
  const mode = c.attr.str('mode', 'bilinear');
  const pad = c.attr.str('padding_mode', 'zeros') as Pad;
  const align = c.attr.int('align_corners', 0) !== 0;
  if (!['bilinear', 'nearest', 'bicubic'].includes(mode)) throw c.refuse(`mode '${mode}'`);
  if (!['zeros', 'border', 'reflection'].includes(pad)) throw c.refuse(`padding_mode '${pad}'`);
  const d = x.type.dtype;
  const A = arith(c, d);
  const g = castTo(c, grid, d);
  const unnormalize = (v: Value, size: number): Value => (align ? A.mul(A.add(v, 1), (size - 1) / 2) : A.div(A.sub(A.mul(A.add(v, 1), size), 1), 2));
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
  const coords = (v: Value, size: number): Value => {
    if (pad === 'border') return A.clip(v, 0, size - 1);
    if (pad === 'reflection') return A.clip(align ? reflect(v, 0, 2 * (size - 1)) : reflect(v, -1, 2 * size - 1), 0, size - 1);
    return v;
  };
  // The input as rows [N*H*W, C]; a tap reads row n*H*W + iy*W + ix, or 0 out of range.
  const rows = c.op('reshape', [c.op('transpose', [x], { axes: [0, 2, 3, 1] })], { shape: [n * h * w, ch] });
  const base = c.constant(tensorFromNumbers(d, [n, 1, 1], Array.from({ length: n }, (_v, i) => i * h * w)));
  const tap = (ix: Value, iy: Value, weight: Value): Value => {
    const inside = A.mul(A.mul(A.cmp('greaterEqual', ix, 0), A.cmp('lesserEqual', ix, w - 1)), A.mul(A.cmp('greaterEqual', iy, 0), A.cmp('lesserEqual', iy, h - 1)));
    const pos = castTo(c, A.add(A.add(base, A.mul(A.clip(iy, 0, h - 1), w)), A.clip(ix, 0, w - 1)), 'int64');
    const v = c.op('take', [rows, pos], { axis: 0 });
    return c.op('mul', [v, c.op('expandDims', [A.mul(inside, weight)], { axis: -1 })]);
  };
  const sum = (vs: Value[]): Value => vs.reduce((p, q) => c.op('add', [p, q]));
  const gx = unnormalize(c.op('take', [g, c.scalar(0, 'int64')], { axis: -1 }), w);
  const gy = unnormalize(c.op('take', [g, c.scalar(1, 'int64')], { axis: -1 }), h);
  let out: Value;
  if (mode === 'bicubic') {
    const cc1 = (t: Value) => A.add(A.mul(A.mul(A.sub(A.mul(t, -0.75 + 2), -0.75 + 3), t), t), 1);
    const cc2 = (t: Value) => A.sub(A.mul(A.add(A.mul(A.sub(A.mul(t, -0.75), 5 * -0.75), t), 8 * -0.75), t), 4 * -0.75);
    const weights = (t: Value): Value[] => [cc2(A.add(t, 1)), cc1(t), cc1(A.sub(1, t)), cc2(A.sub(2, t))];
    const [x0, y0] = [A.floor(gx), A.floor(gy)];
    const [wx, wy] = [weights(A.sub(gx, x0)), weights(A.sub(gy, y0))];
    const taps: Value[] = [];
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 4; i++) taps.push(tap(coords(A.add(x0, i - 1), w), coords(A.add(y0, j - 1), h), A.mul(wx[i]!, wy[j]!)));
    }
    out = sum(taps);
  } else {
    const [ix, iy] = [coords(gx, w), coords(gy, h)];
    if (mode === 'nearest') {
      // Round half to even (nearbyint): floor(v + 0.5), minus 1 at an exact tie that landed on an odd number.
      const rint = (v: Value): Value => {
        const f = A.floor(A.add(v, 0.5));
        const odd = A.sub(f, A.mul(A.floor(A.div(f, 2)), 2));
        return A.sub(f, A.mul(A.cmp('equal', A.sub(f, v), 0.5), odd));
      };
      out = tap(rint(ix), rint(iy), A.add(A.mul(ix, 0), 1));
    } else {
      const [x0, y0] = [A.floor(ix), A.floor(iy)];
      const [tx, ty] = [A.sub(ix, x0), A.sub(iy, y0)];
      const [x1, y1] = [A.add(x0, 1), A.add(y0, 1)];
      const [sx, sy] = [A.sub(1, tx), A.sub(1, ty)];
      out = sum([tap(x0, y0, A.mul(sx, sy)), tap(x1, y0, A.mul(tx, sy)), tap(x0, y1, A.mul(sx, ty)), tap(x1, y1, A.mul(tx, ty))]);
    }
  }
  return [c.op('transpose', [out], { axes: [0, 3, 1, 2] })];
};

/** The GridSample importer. */
export const GRID_SAMPLE_IMPORTS: Record<string, Builder> = { GridSample: gridSample };
