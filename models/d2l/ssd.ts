/**
 * d2l's object-detection chapters (MXNet edition, 14.3–14.7) written with np
 * operators: anchor boxes (`multiboxPrior`), IoU (`boxIou`), labeling
 * anchors (`assignAnchorToBbox`, `offsetBoxes`, `multiboxTarget`), predicting
 * with non-maximum suppression (`offsetInverse`, `nms`,
 * `multiboxDetection`), and the SSD model's heads and loss (`clsPredictor`,
 * `bboxPredictor`, `flattenPred`, `concatPreds`, `calcLoss`): the book's
 * own versions (MXNet's operators are `npx.multiboxPrior` etc.). TypeScript has no index assignment: the
 * book's `a[idx] = v` is `np.where` over a mask of those positions, its
 * `a[mask]` is `np.take(a, np.nonzero(mask)[0])`; otherwise line by line.
 */
import { gluon, np, npx, type nd } from 'gluonc';

const { nn } = gluon;
type A = nd.NDArray;
const i64 = (x: A): A => x.astype('int64');
/** `x[:, begin:end]` of a 2-D array. */
const cols = (x: A, begin: number, end: number): A => x.slice({ begin: [null, begin], end: [null, end] });
/** Rows `idx` of `x` (`x[idx]`). */
const rows = (x: A, idx: A): A => np.take(x, i64(idx), { axis: 0 });

/** d2l's `box_corner_to_center`: (x1, y1, x2, y2) -> (cx, cy, w, h). */
export function boxCornerToCenter(boxes: A): A {
  const [x1, y1, x2, y2] = [0, 1, 2, 3].map((k) => cols(boxes, k, k + 1).reshape([-1]));
  return np.stack([x1!.add(x2!).div(2), y1!.add(y2!).div(2), x2!.sub(x1!), y2!.sub(y1!)], { axis: -1 });
}

/** d2l's `box_center_to_corner`: (cx, cy, w, h) -> (x1, y1, x2, y2). */
export function boxCenterToCorner(boxes: A): A {
  const [cx, cy, w, h] = [0, 1, 2, 3].map((k) => cols(boxes, k, k + 1).reshape([-1]));
  return np.stack([cx!.sub(w!.mul(0.5)), cy!.sub(h!.mul(0.5)), cx!.add(w!.mul(0.5)), cy!.add(h!.mul(0.5))], { axis: -1 });
}

/** d2l's `multibox_prior`: `[1, H·W·(n + m − 1), 4]` anchors centred on each pixel of `data` ([..., H, W]). */
export function multiboxPrior(data: A, sizes: number[], ratios: number[]): A {
  const [inHeight, inWidth] = data.shape.slice(-2) as [number, number];
  const boxesPerPixel = sizes.length + ratios.length - 1;
  const sizeTensor = np.array(sizes);
  const ratioTensor = np.array(ratios);
  const [offsetH, offsetW] = [0.5, 0.5];
  const [stepsH, stepsW] = [1.0 / inHeight, 1.0 / inWidth];
  const centerH = np.arange(inHeight).add(offsetH).mul(stepsH);
  const centerW = np.arange(inWidth).add(offsetW).mul(stepsW);
  let [shiftX, shiftY] = np.meshgrid(centerW, centerH) as [A, A];
  [shiftX, shiftY] = [shiftX.reshape([-1]), shiftY.reshape([-1])];
  const r0 = Math.sqrt(ratios[0]!);
  const rest = np.sqrt(ratioTensor.slice({ begin: [1], end: [null] }));
  const w = np.concatenate([sizeTensor.mul(r0), rest.mul(sizes[0]!)]).mul(inHeight).div(inWidth);
  const h = np.concatenate([sizeTensor.div(r0), np.divide(sizes[0]!, rest)]);
  const anchorManipulations = np.tile(np.stack([w.mul(-1), h.mul(-1), w, h]).T, [inHeight * inWidth, 1]).div(2);
  const outGrid = np.repeat(np.stack([shiftX, shiftY, shiftX, shiftY], { axis: 1 }), boxesPerPixel, 0);
  return np.expandDims(outGrid.add(anchorManipulations), 0);
}

/** d2l's `box_iou`: pairwise IoU `[N1, N2]` of corner boxes. */
export function boxIou(boxes1: A, boxes2: A): A {
  const boxArea = (b: A) => cols(b, 2, 3).sub(cols(b, 0, 1)).mul(cols(b, 3, 4).sub(cols(b, 1, 2))).reshape([-1]);
  const [areas1, areas2] = [boxArea(boxes1), boxArea(boxes2)];
  const interUpperlefts = np.maximum(np.expandDims(cols(boxes1, 0, 2), 1), cols(boxes2, 0, 2));
  const interLowerrights = np.minimum(np.expandDims(cols(boxes1, 2, 4), 1), cols(boxes2, 2, 4));
  const inters = interLowerrights.sub(interUpperlefts).clip(0);
  const at = (k: number) => inters.slice({ begin: [null, null, k], end: [null, null, k + 1] }).squeeze(-1);
  const interAreas = at(0).mul(at(1));
  const unionAreas = np.expandDims(areas1, 1).add(areas2).sub(interAreas);
  return interAreas.div(unionAreas);
}

/** d2l's `assign_anchor_to_bbox`: for each anchor the ground-truth box it labels (int32), or -1. */
export function assignAnchorToBbox(groundTruth: A, anchors: A, iouThreshold = 0.5): A {
  const [numAnchors, numGtBoxes] = [anchors.shape[0]!, groundTruth.shape[0]!];
  let jaccard = boxIou(anchors, groundTruth);
  const maxIous = np.max(jaccard, { axis: 1 });
  const indices = np.argmax(jaccard, { axis: 1 });
  // anchors_bbox_map[anc_i] = box_j, with anc_i = nonzero(max_ious >= t) and box_j = indices[max_ious >= t]
  let anchorsBboxMap = np.where(np.greaterEqual(maxIous, iouThreshold), indices.astype('int32'), np.full([numAnchors], -1, { dtype: 'int32' }));
  const ancPos = np.arange(numAnchors).reshape([-1, 1]);
  const boxPos = np.arange(numGtBoxes).reshape([1, -1]);
  for (let k = 0; k < numGtBoxes; k++) {
    const maxIdx = Number(np.argmax(jaccard).item());
    const boxIdx = maxIdx % numGtBoxes;
    const ancIdx = Math.floor(maxIdx / numGtBoxes);
    anchorsBboxMap = np.where(np.equal(np.arange(numAnchors), ancIdx), np.full([numAnchors], boxIdx, { dtype: 'int32' }), anchorsBboxMap);
    // jaccard[:, box_idx] = -1; jaccard[anc_idx, :] = -1
    jaccard = np.where(np.logicalOr(np.equal(boxPos, boxIdx), np.equal(ancPos, ancIdx)), np.full(jaccard.shape, -1), jaccard);
  }
  return anchorsBboxMap;
}

/** d2l's `offset_boxes`: the regression targets (10·Δxy/wh, 5·log(wh ratio)). */
export function offsetBoxes(anchors: A, assignedBb: A, eps = 1e-6): A {
  const cAnc = boxCornerToCenter(anchors);
  const cAssignedBb = boxCornerToCenter(assignedBb);
  const offsetXy = cols(cAssignedBb, 0, 2).sub(cols(cAnc, 0, 2)).mul(10).div(cols(cAnc, 2, 4));
  const offsetWh = np.log(cols(cAssignedBb, 2, 4).div(cols(cAnc, 2, 4)).add(eps)).mul(5);
  return np.concatenate([offsetXy, offsetWh], { axis: 1 });
}

/** d2l's `multibox_target(anchors, labels)`: `[bboxOffset, bboxMask, classLabels]` for a batch of labels `[B, boxes, 5]`. */
export function multiboxTarget(anchors: A, labels: A): [A, A, A] {
  const batchSize = labels.shape[0]!;
  anchors = anchors.squeeze(0);
  const numAnchors = anchors.shape[0]!;
  const [batchOffset, batchMask, batchClassLabels]: A[][] = [[], [], []];
  for (let i = 0; i < batchSize; i++) {
    const label = labels.slice({ begin: [i, null, null], end: [i + 1, null, null] }).squeeze(0);
    const anchorsBboxMap = assignAnchorToBbox(cols(label, 1, 5), anchors);
    const positive = np.greaterEqual(anchorsBboxMap, 0);
    const bboxMask = np.tile(np.expandDims(positive, -1), [1, 4]).astype('int32');
    // class_labels[indices_true] = label[bb_idx, 0] + 1; assigned_bb[indices_true] = label[bb_idx, 1:]
    const bbIdx = np.maximum(anchorsBboxMap, 0);
    const classLabels = np.where(positive, rows(cols(label, 0, 1), bbIdx).reshape([-1]).astype('int32').add(1), np.zeros([numAnchors], { dtype: 'int32' }));
    const assignedBb = np.where(np.expandDims(positive, -1), rows(cols(label, 1, 5), bbIdx), np.zeros([numAnchors, 4]));
    const offset = offsetBoxes(anchors, assignedBb).mul(bboxMask.astype('float32'));
    batchOffset.push(offset.reshape([-1]));
    batchMask.push(bboxMask.reshape([-1]));
    batchClassLabels.push(classLabels);
  }
  return [np.stack(batchOffset), np.stack(batchMask), np.stack(batchClassLabels)];
}

/** d2l's `offset_inverse`: predicted corner boxes from anchors and offsets. */
export function offsetInverse(anchors: A, offsetPreds: A): A {
  const anc = boxCornerToCenter(anchors);
  const predBboxXy = cols(offsetPreds, 0, 2).mul(cols(anc, 2, 4)).div(10).add(cols(anc, 0, 2));
  const predBboxWh = np.exp(cols(offsetPreds, 2, 4).div(5)).mul(cols(anc, 2, 4));
  return boxCenterToCorner(np.concatenate([predBboxXy, predBboxWh], { axis: 1 }));
}

/** d2l's `nms`: indices (int32) of the boxes kept, by descending score (`scores.argsort()[::-1]`). */
export function nms(boxes: A, scores: A, iouThreshold: number): A {
  const n = scores.shape[0]!;
  let B = np.take(np.argsort(scores), np.arange(n - 1, -1, -1, { dtype: 'int64' }));
  const keep: number[] = [];
  while (B.size > 0) {
    const i = Number(B.slice({ begin: [0], end: [1] }).item());
    keep.push(i);
    if (B.size === 1) break;
    const others = B.slice({ begin: [1], end: [null] });
    const iou = boxIou(rows(boxes, np.array([i], { dtype: 'int64' })).reshape([-1, 4]), rows(boxes, others).reshape([-1, 4])).reshape([-1]);
    const inds = np.nonzero(np.lessEqual(iou, iouThreshold))[0]!;
    B = np.take(B, inds.add(1));
  }
  return np.array(keep, { dtype: 'int32' });
}

/** d2l's `multibox_detection`: `[B, anchors, 6]` rows (class id or -1, confidence, box). */
export function multiboxDetection(clsProbs: A, offsetPreds: A, anchors: A, nmsThreshold = 0.5, posThreshold = 0.009999999): A {
  const batchSize = clsProbs.shape[0]!;
  anchors = anchors.squeeze(0);
  const numAnchors = clsProbs.shape[2]!;
  const out: A[] = [];
  for (let i = 0; i < batchSize; i++) {
    const clsProb = clsProbs.slice({ begin: [i, 1, null], end: [i + 1, null, null] }).squeeze(0);   // cls_prob[1:]
    const offsetPred = offsetPreds.slice({ begin: [i, null], end: [i + 1, null] }).reshape([-1, 4]);
    let conf = np.max(clsProb, { axis: 0 });
    let classId = np.argmax(clsProb, { axis: 0 });
    let predictedBb = offsetInverse(anchors, offsetPred);
    const keep = nms(predictedBb, conf, nmsThreshold);
    const allIdx = np.arange(numAnchors, { dtype: 'int32' });
    const combined = np.concatenate([keep, allIdx]);
    const [unique, counts] = np.unique(combined, { returnCounts: true }) as [A, A];
    const nonKeep = np.take(unique, np.nonzero(np.equal(counts, 1))[0]!);
    const allIdSorted = i64(np.concatenate([keep, nonKeep]));
    // class_id[non_keep] = -1
    const kept = np.any(np.equal(np.arange(numAnchors).reshape([-1, 1]), keep.astype('float32').reshape([1, -1])), { axis: 1 });
    classId = np.where(kept, classId, np.full([numAnchors], -1, { dtype: 'int64' }));
    classId = np.take(classId, allIdSorted).astype('float32');
    [conf, predictedBb] = [np.take(conf, allIdSorted), rows(predictedBb, allIdSorted)];
    const belowMinIdx = np.less(conf, posThreshold);
    classId = np.where(belowMinIdx, np.full([numAnchors], -1), classId);
    conf = np.where(belowMinIdx, np.subtract(1, conf), conf);
    out.push(np.concatenate([np.expandDims(classId, 1), np.expandDims(conf, 1), predictedBb], { axis: 1 }));
  }
  return np.stack(out);
}

/** d2l's `cls_predictor`: a 3×3 convolution giving `numAnchors·(numClasses + 1)` channels. */
export const clsPredictor = (numAnchors: number, numClasses: number) => new nn.Conv2D(numAnchors * (numClasses + 1), 3, { padding: 1 });
/** d2l's `bbox_predictor`: a 3×3 convolution giving `numAnchors·4` channels. */
export const bboxPredictor = (numAnchors: number) => new nn.Conv2D(numAnchors * 4, 3, { padding: 1 });
/** d2l's `flatten_pred`: NCHW -> [N, H·W·C] (channels last). */
export const flattenPred = (pred: A): A => npx.batchFlatten(pred.transpose([0, 2, 3, 1]));
/** d2l's `concat_preds`: the scales' flattened predictions side by side. */
export const concatPreds = (preds: A[]): A => np.concatenate(preds.map(flattenPred), { axis: 1 });

const clsLoss = new gluon.loss.SoftmaxCrossEntropyLoss();
const bboxLoss = new gluon.loss.L1Loss();
/** d2l's `calc_loss`: the class loss plus the L1 loss of the masked offsets, per example. */
export function calcLoss(clsPreds: A, clsLabels: A, bboxPreds: A, bboxLabels: A, bboxMasks: A): A {
  const cls = clsLoss.call(clsPreds, clsLabels) as A;
  const bbox = bboxLoss.call(bboxPreds.mul(bboxMasks), bboxLabels.mul(bboxMasks)) as A;
  return cls.add(bbox);
}

/**
 * As a CLI model file (`gluonc compile models/d2l/ssd.ts`): the book's
 * class predictor for 5 anchors and 10 classes over [N, 8, 20, 20] feature
 * maps (its `forward(np.zeros((2, 8, 20, 20)), cls_predictor(5, 10))`).
 */
export default function build(): InstanceType<typeof nn.Conv2D> {
  const net = clsPredictor(5, 10);
  net.initialize();
  return net;
}

/** Feature maps [N, 8, 20, 20]. */
export const inputs = { x: { shape: ['N', 8, 20, 20], dtype: 'float32' } };
