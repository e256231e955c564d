/**
 * Importer of ONNX's RoiAlign (opsets 10 and 16; Mask R-CNN's pooling of
 * boxes), written out with gluonc operators as onnxruntime computes it:
 * each output bin averages (or, `mode='max'`, takes the largest of) a fixed
 * `sampling_ratio`² grid of bilinear samples; a sample outside
 * [-1, size] on an axis contributes 0, one inside is clamped to
 * [0, size - 1]; `half_pixel` (opset 16's default, torchvision's
 * `aligned=True`) shifts the box by half a pixel, `output_half_pixel`
 * (opset 10) does not and makes boxes at least 1 wide. Each tap reads the
 * input through one `take` of row-major positions, so the result is
 * differentiable in the features (a detector's backbone fine-tunes through
 * it). The adaptive sampling ratio 0 (a grid sized by each box) is refused.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import { castTo, type Builder } from './context.js';

/** The lowest float32, the value of a max over no valid sample before it becomes 0. */
const LOWEST = -3.4028234663852886e38;

const roiAlign: Builder = (c) => {
  const [x, rois, batch] = [c.input(0), c.input(1), c.input(2)];
  const xs = x.type.shape;
  if (xs.length !== 4) throw c.refuse(`input of rank ${xs.length} (RoiAlign pools 4-D [N, C, H, W] features)`);
  const [, C, H, W] = xs;
  if (![C, H, W].every((d) => typeof d === 'number')) throw c.refuse(`the input's channels and size [${xs.join(', ')}] must be known`);
  const [ch, h, w] = [C, H, W] as [number, number, number];
  const oh = c.attr.int('output_height', 1);
  const ow = c.attr.int('output_width', 1);
  const sr = c.attr.int('sampling_ratio', 0);
  if (sr <= 0) throw c.refuse(`sampling_ratio ${sr} (the adaptive grid, sized by each box at run time): only a fixed sampling_ratio > 0 is mapped`);
  const scale = c.attr.float('spatial_scale', 1);
  const mode = c.attr.str('mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') throw c.refuse(`mode '${mode}'`);
  const ctm = c.attr.str('coordinate_transformation_mode', c.opset >= 16 ? 'half_pixel' : 'output_half_pixel');
  if (ctm !== 'half_pixel' && ctm !== 'output_half_pixel') throw c.refuse(`coordinate_transformation_mode '${ctm}'`);
  const d = x.type.dtype;
  const k = (v: Value | number): Value => (typeof v === 'number' ? c.scalar(v, d) : v);
  const op = (name: string, ...ins: (Value | number)[]): Value => c.op(name, ins.map(k));
  const offset = ctm === 'half_pixel' ? 0.5 : 0;
  // Box corners [R] -> [R, 1, 1], in feature coordinates.
  const r = castTo(c, rois, d);
  const corner = (i: number): Value => c.op('reshape', [op('sub', op('mul', c.op('take', [r, c.scalar(i, 'int64')], { axis: -1 }), scale), offset)], { shape: [-1, 1, 1] });
  const [x1, y1, x2, y2] = [0, 1, 2, 3].map(corner) as [Value, Value, Value, Value];
  const extent = (lo: Value, hi: Value): Value => (offset ? op('sub', hi, lo) : op('maximum', op('sub', hi, lo), 1));
  // Sample positions: start + (p*sr + i + 0.5)/sr * bin, bin = extent / bins; ys [R, oh*sr, 1], xs [R, 1, ow*sr].
  const grid = (n: number, shape: number[]): Value => c.constant(tensorFromNumbers(d, shape, Array.from({ length: n * sr }, (_v, j) => (j + 0.5) / sr)));
  const ys = op('add', y1, op('mul', grid(oh, [1, oh * sr, 1]), op('div', extent(y1, y2), oh)));
  const xs2 = op('add', x1, op('mul', grid(ow, [1, 1, ow * sr]), op('div', extent(x1, x2), ow)));
  const inRange = (v: Value, size: number): Value => op('mul', op('greaterEqual', v, -1), op('lesserEqual', v, size));
  const valid = op('mul', inRange(ys, h), inRange(xs2, w));
  const yc = c.op('clip', [ys], { aMin: 0, aMax: h - 1 });
  const xc = c.op('clip', [xs2], { aMin: 0, aMax: w - 1 });
  const [y0, x0] = [c.op('floor', [yc]), c.op('floor', [xc])];
  const [ly, lx] = [op('sub', yc, y0), op('sub', xc, x0)];
  const [hy, hx] = [op('sub', 1, ly), op('sub', 1, lx)];
  const [y1i, x1i] = [op('minimum', op('add', y0, 1), h - 1), op('minimum', op('add', x0, 1), w - 1)];
  // Rows of the features [N*H*W, C]; a tap reads row b*H*W + y*W + x (int64).
  const rows = c.op('reshape', [c.op('transpose', [x], { axes: [0, 2, 3, 1] })], { shape: [-1, ch] });
  const base = c.op('mul', [c.op('reshape', [castTo(c, batch, 'int64')], { shape: [-1, 1, 1] }), c.scalar(h * w, 'int64')]);
  const tap = (yi: Value, xi: Value, weight: Value): Value => {
    const pos = c.op('add', [c.op('add', [base, c.op('mul', [castTo(c, yi, 'int64'), c.scalar(w, 'int64')])]), castTo(c, xi, 'int64')]);
    return c.op('mul', [c.op('take', [rows, pos], { axis: 0 }), c.op('expandDims', [op('mul', weight, valid)], { axis: -1 })]);
  };
  const taps = [tap(y0, x0, op('mul', hy, hx)), tap(y0, x1i, op('mul', hy, lx)), tap(y1i, x0, op('mul', ly, hx)), tap(y1i, x1i, op('mul', ly, lx))];
  // [R, oh*sr, ow*sr, C] -> [R, oh, sr, ow, sr, C] -> bins [R, oh, ow, C] -> [R, C, oh, ow].
  const bins = (v: Value): Value => c.op('reshape', [v], { shape: [-1, oh, sr, ow, sr, ch] });
  let y: Value;
  if (mode === 'avg') y = c.op('mean', [bins(taps.reduce((p, q) => c.op('add', [p, q])))], { axis: [2, 4] });
  else {
    // onnxruntime's max mode: the largest weighted tap over the samples (not the largest interpolated value); none valid gives 0.
    const best = taps.reduce((p, q) => c.op('maximum', [p, q]));
    const masked = c.op('where', [c.op('expandDims', [valid], { axis: -1 }), best, op('mul', c.op('onesLike', [best]), LOWEST)]);
    const m = c.op('max', [bins(masked)], { axis: [2, 4] });
    y = c.op('where', [op('equal', m, LOWEST), c.op('zerosLike', [m]), m]);
  }
  return [c.op('transpose', [y], { axes: [0, 3, 1, 2] })];
};

/** The RoiAlign importer. */
export const ROI_ALIGN_IMPORTS: Record<string, Builder> = { RoiAlign: roiAlign };
