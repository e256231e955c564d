/**
 * Importer of ONNX's RoiAlign (opsets 10 and 16; Mask R-CNN's pooling of
 * boxes). The average (ONNX's default mode) is gluonc's `ROIAlign`
 * (MXNet's, compiler/ops/roi-align.ts: the same Detectron loop as
 * onnxruntime's kernel): `half_pixel` (opset 16's default, torchvision's
 * `aligned=True`) is its `aligned`, `output_half_pixel` (opset 10) not
 * aligned, the boxes and batch indices joined into its [R, 5] rows. It is
 * differentiable in the features with a fixed `sampling_ratio` (a
 * detector's backbone fine-tunes through it); the adaptive ratio 0 (a grid
 * sized by each box at run time) runs forward only.
 * `mode='max'` is onnxruntime's largest weighted bilinear tap over each
 * bin's samples, written out with ROIAlign's own taps (`roiTaps`), each tap
 * a `take` of the features' rows; it needs a fixed `sampling_ratio`.
 */
import type { Value } from '../../ir/value.js';
import { roiTaps, type TapOps } from '../../ops/roi-align.js';
import { castTo, type Builder, type ImportCtx } from './context.js';

/** The lowest float32, the value of a max over no valid sample before it becomes 0. */
const LOWEST = -3.4028234663852886e38;

/** `roiTaps`' operators over the importer's values; a number takes the dtype of the value beside it. */
function importTaps(c: ImportCtx): TapOps<Value> {
  return {
    op: (name, ins, attrs) => {
      const like = ins.find((v): v is Value => typeof v !== 'number')!;
      return c.op(name, ins.map((v) => (typeof v === 'number' ? c.scalar(v, like.type.dtype) : v)), attrs);
    },
    constant: (t) => c.constant(t),
  };
}

const roiAlign: Builder = (c) => {
  const [x, rois, batch] = [c.input(0), c.input(1), c.input(2)];
  const xs = x.type.shape;
  if (xs.length !== 4) throw c.refuse(`input of rank ${xs.length} (RoiAlign pools 4-D [N, C, H, W] features)`);
  const oh = c.attr.int('output_height', 1);
  const ow = c.attr.int('output_width', 1);
  const sr = c.attr.int('sampling_ratio', 0);
  const scale = c.attr.float('spatial_scale', 1);
  const mode = c.attr.str('mode', 'avg');
  if (mode !== 'avg' && mode !== 'max') throw c.refuse(`mode '${mode}'`);
  const ctm = c.attr.str('coordinate_transformation_mode', c.opset >= 16 ? 'half_pixel' : 'output_half_pixel');
  if (ctm !== 'half_pixel' && ctm !== 'output_half_pixel') throw c.refuse(`coordinate_transformation_mode '${ctm}'`);
  const d = x.type.dtype;
  const grid = { ph: oh, pw: ow, sr, scale, aligned: ctm === 'half_pixel' };
  const boxes = castTo(c, rois, d);
  if (mode === 'avg') {
    const rows5 = c.op('concat', [c.op('reshape', [castTo(c, batch, d)], { shape: [-1, 1] }), boxes], { dim: 1 });
    return [c.op('ROIAlign', [x, rows5], { pooledSize: [oh, ow], spatialScale: scale, sampleRatio: sr, aligned: grid.aligned })];
  }
  if (sr <= 0) throw c.refuse(`sampling_ratio ${sr} with mode 'max' (the adaptive grid, sized by each box at run time): only a fixed sampling_ratio > 0 is mapped`);
  const [, C, H, W] = xs;
  if (![C, H, W].every((v) => typeof v === 'number')) throw c.refuse(`the input's channels and size [${xs.join(', ')}] must be known`);
  const [ch, h, w] = [C, H, W] as [number, number, number];
  const { taps, valid } = roiTaps(importTaps(c), boxes, castTo(c, batch, 'int64'), grid, h, w, d);
  // Rows of the features [N*H*W, C]; each tap reads its rows, weighted: [R, oh*sr, ow*sr, C].
  const rows = c.op('reshape', [c.op('transpose', [x], { axes: [0, 2, 3, 1] })], { shape: [-1, ch] });
  const read = taps.map((t) => c.op('mul', [c.op('take', [rows, t.pos], { axis: 0 }), c.op('expandDims', [t.weight], { axis: -1 })]));
  // onnxruntime's max mode: the largest weighted tap over the samples (not the largest interpolated value); a sample outside counts as none, no valid sample gives 0.
  const best = read.reduce((p, q) => c.op('maximum', [p, q]));
  const masked = c.op('where', [c.op('expandDims', [valid], { axis: -1 }), best, c.op('mul', [c.op('onesLike', [best]), c.scalar(LOWEST, d)])]);
  // [R, oh*sr, ow*sr, C] -> [R, oh, sr, ow, sr, C] -> bins [R, oh, ow, C] -> [R, C, oh, ow].
  const m = c.op('max', [c.op('reshape', [masked], { shape: [-1, oh, sr, ow, sr, ch] })], { axis: [2, 4] });
  const y = c.op('where', [c.op('equal', [m, c.scalar(LOWEST, d)]), c.op('zerosLike', [m]), m]);
  return [c.op('transpose', [y], { axes: [0, 3, 1, 2] })];
};

/** The RoiAlign importer. */
export const ROI_ALIGN_IMPORTS: Record<string, Builder> = { RoiAlign: roiAlign };
