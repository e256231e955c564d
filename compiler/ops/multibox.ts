/**
 * MXNet's SSD operators (src/operator/contrib/multibox_*.cc):
 * - `MultiBoxPrior` (`MultiBoxPriorForward`): anchor boxes centred on each
 *   pixel of a feature map; a function of its H and W only, so a traced
 *   graph holds it as a constant (known H and W are required there);
 * - `MultiBoxTarget` (`MultiBoxTargetForward`): SSD's training targets
 *   (matching, hard negative mining, encoded offsets);
 * - `MultiBoxDetection` (`MultiBoxDetectionForward`): decoded detections
 *   with per-class (or forced) NMS.
 * Target's and Detection's kernels run every eager call (`eagerKernel`);
 * traced, they lower to ONNX graphs giving the kernels' values
 * (box-lower.ts). As MXNet's backward passes write
 * zeros, their gradients (and MultiBoxPrior's) are zero. Kernels compute in
 * float64 and round once to the output dtype (MXNet computes in the dtype).
 */
import { isFloat } from '../../runtime/dtypes.js';
import type { Attrs } from '../ir/node.js';
import { isConcrete, type TensorType } from '../ir/types.js';
import { defineOp, type OpDef, type PositionalOptions, type Tx } from './define.js';
import { OpError } from './errors.js';
import { fromF64, toF64 } from './kernels.js';
import { boxArea, intersect1 } from './box-ops.js';
import { lowerMultiBoxDetection, lowerMultiBoxTarget } from './box-lower.js';

const f32 = Math.fround;

function numList(op: string, key: string, v: unknown, types: TensorType[], len?: number): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)) || (len !== undefined ? v.length !== len : v.length === 0)) {
    throw new OpError(op, `${key} must be a list of ${len ?? 'one or more'} finite numbers, got ${JSON.stringify(v)}`, types);
  }
  return v as number[];
}

type PriorOpts = { sizes?: number[]; ratios?: number[]; clip?: boolean; steps?: number[]; offsets?: number[] };
type PriorA = Attrs & Required<PriorOpts>;
type PriorSig = (data: Tx, ...rest: PositionalOptions<PriorOpts, ['sizes', 'ratios', 'clip', 'steps', 'offsets']>) => Tx;

function priorCheck(types: TensorType[], a: PriorA): void {
  const op = 'MultiBoxPrior';
  const s = types[0]!.shape;
  if (s.length !== 4) throw new OpError(op, `data must be 4-D [batch, channels, height, width], got [${s.join(', ')}]`, types);
  if (!isFloat(types[0]!.dtype)) throw new OpError(op, `data must be floating point (the anchors take its dtype), got ${types[0]!.dtype}`, types);
  for (const x of numList(op, 'sizes', a.sizes, types)) if (x <= 0) throw new OpError(op, `sizes must be positive, got ${JSON.stringify(a.sizes)}`, types);
  for (const x of numList(op, 'ratios', a.ratios, types)) if (x <= 0) throw new OpError(op, `ratios must be positive, got ${JSON.stringify(a.ratios)}`, types);
  numList(op, 'steps', a.steps, types, 2);
  numList(op, 'offsets', a.offsets, types, 2);
  if (typeof a.clip !== 'boolean') throw new OpError(op, `clip must be a boolean, got ${JSON.stringify(a.clip)}`, types);
}

/** MultiBoxPriorForward in float32 steps: sizes with ratio 1 first, then ratios[1:] with sizes[0], per pixel in row-major order. */
export function priorValues(h: number, w: number, a: PriorA): Float64Array {
  const stepY = a.steps[0]! > 0 ? f32(a.steps[0]!) : f32(1 / h);
  const stepX = a.steps[1]! > 0 ? f32(a.steps[1]!) : f32(1 / w);
  const per = a.sizes.length + a.ratios.length - 1;
  const out = new Float64Array(h * w * per * 4);
  let n = 0;
  const put = (cx: number, cy: number, bw: number, bh: number) => {
    for (const v of [cx - bw, cy - bh, cx + bw, cy + bh]) out[n++] = a.clip ? Math.min(1, Math.max(0, f32(v))) : f32(v);
  };
  for (let r = 0; r < h; r++) {
    const cy = f32(f32(r + a.offsets[0]!) * stepY);
    for (let c = 0; c < w; c++) {
      const cx = f32(f32(c + a.offsets[1]!) * stepX);
      for (const size of a.sizes) put(cx, cy, f32(f32(f32(f32(size) * h) / w) / 2), f32(f32(size) / 2));
      const size = f32(a.sizes[0]!);
      for (const ratio of a.ratios.slice(1)) {
        const sr = f32(Math.sqrt(f32(ratio)));
        put(cx, cy, f32(f32(f32(f32(size * h) / w) * sr) / 2), f32(f32(size / sr) / 2));
      }
    }
  }
  return out;
}

/**
 * MXNet's `contrib.MultiBoxPrior`: `[1, H·W·(S + R − 1), 4]` anchors
 * `[xmin, ymin, xmax, ymax]` for data `[B, C, H, W]` (MXNet's order: each
 * size with ratio 1, then each further ratio with sizes[0]); `steps` -1 is
 * 1/H, 1/W; `offsets` are y then x. Example:
 * `nd.contrib.MultiBoxPrior(x, { sizes: [0.2, 0.272], ratios: [1, 2, 0.5] })`.
 */
export const MultiBoxPrior: OpDef<PriorSig, PriorA> = defineOp<PriorSig, PriorA>({
  name: 'MultiBoxPrior',
  inputs: ['data'],
  attrs: { sizes: [1], ratios: [1], clip: false, steps: [-1, -1], offsets: [0.5, 0.5] },
  positional: ['sizes', 'ratios', 'clip', 'steps', 'offsets'],
  lowerNeedsShape: true,
  infer: (types, a) => {
    priorCheck(types, a);
    const s = types[0]!.shape;
    const per = a.sizes.length + a.ratios.length - 1;
    const n = typeof s[2] === 'number' && typeof s[3] === 'number' ? s[2] * s[3] * per : null;
    if (n === null) throw new OpError('MultiBoxPrior', 'needs a known height and width (the anchors are a constant of them); give the traced input its spatial sizes', types);
    return [{ dtype: types[0]!.dtype, shape: [1, n, 4] }];
  },
  // A function of H and W only: the graph holds the anchors as a constant.
  lower: (c, a) => {
    const s = c.inTypes[0]!.shape;
    if (!isConcrete(s.slice(2))) throw new OpError('MultiBoxPrior', 'needs a known height and width', c.inTypes);
    const [h, w] = [s[2] as number, s[3] as number];
    const t = fromF64({ dtype: c.inTypes[0]!.dtype, shape: [1, h * w * (a.sizes.length + a.ratios.length - 1), 4] }, priorValues(h, w, a));
    c.emit('Identity', [c.constant(t)], {}, c.outputs);
  },
  kernel: ([x], a, [out]) => [fromF64(out!, priorValues(x!.shape[2]!, x!.shape[3]!, a))],
  grad: () => [null],
});

type TargetOpts = {
  overlapThreshold?: number;
  ignoreLabel?: number;
  negativeMiningRatio?: number;
  negativeMiningThresh?: number;
  minimumNegativeSamples?: number;
  variances?: number[];
};
type TargetA = Attrs & Required<TargetOpts>;
type TargetSig = (anchor: Tx, label: Tx, clsPred: Tx, ...rest: PositionalOptions<TargetOpts, ['overlapThreshold', 'ignoreLabel', 'negativeMiningRatio', 'negativeMiningThresh', 'minimumNegativeSamples', 'variances']>) => Tx[];

function targetShapes(types: TensorType[], a: TargetA): [number, number] {
  const op = 'MultiBoxTarget';
  const [an, lb, cp] = types.map((t) => t.shape as number[]);
  for (const t of types) if (!isFloat(t.dtype)) throw new OpError(op, `inputs must be floating point, got ${t.dtype}`, types);
  if (an!.length !== 3 || an![0] !== 1 || an![2] !== 4) throw new OpError(op, `anchor must be [1, N, 4], got [${an!.join(', ')}]`, types);
  if (lb!.length !== 3 || lb![2]! < 5) throw new OpError(op, `label must be [batch, M, 5+] rows [cls, xmin, ymin, xmax, ymax] (-1 rows pad), got [${lb!.join(', ')}]`, types);
  if (cp!.length !== 3 || cp![0] !== lb![0] || cp![2] !== an![1]) throw new OpError(op, `clsPred must be [batch, classes, N] with label's batch and anchor's N, got [${cp!.join(', ')}]`, types);
  if (cp![1] === 0) throw new OpError(op, `clsPred needs at least one class (the background's), got [${cp!.join(', ')}]`, types);
  for (const k of ['overlapThreshold', 'ignoreLabel', 'negativeMiningRatio', 'negativeMiningThresh'] as const) if (typeof a[k] !== 'number' || !Number.isFinite(a[k])) throw new OpError(op, `${k} must be a finite number, got ${JSON.stringify(a[k])}`, types);
  if (!Number.isInteger(a.minimumNegativeSamples) || a.minimumNegativeSamples < 0) throw new OpError(op, `minimumNegativeSamples must be a non-negative integer, got ${JSON.stringify(a.minimumNegativeSamples)}`, types);
  if (a.negativeMiningRatio > 0 && !(a.negativeMiningThresh > 0)) throw new OpError(op, `negativeMiningThresh must be > 0 with negative mining, got ${a.negativeMiningThresh}`, types);
  numList(op, 'variances', a.variances, types, 4);
  return [lb![0]!, an![1]!];
}

/**
 * Corner IoU of the boxes at `a[i..i+3]` and `b[j..j+3]` (box_iou's Intersect and BoxArea). An empty
 * union gives 0: only a zero one with `safeDivide` (multibox_target-inl.h's safe_divide), any `u <= 0`
 * without (multibox_detection.cc's CalculateOverlap).
 */
function cornerIou(a: Float64Array, i: number, b: Float64Array, j: number, safeDivide: boolean): number {
  const inter = intersect1(a[i]!, a[i + 2]!, b[j]!, b[j + 2]!, 'corner') * intersect1(a[i + 1]!, a[i + 3]!, b[j + 1]!, b[j + 3]!, 'corner');
  const u = boxArea(a, i, 'corner') + boxArea(b, j, 'corner') - inter;
  return (safeDivide ? u === 0 : u <= 0) ? 0 : inter / u;
}

/** MultiBoxTargetForward for one image: writes its rows of the three outputs. */
function targetImage(b: number, A: Float64Array, L: Float64Array, P: Float64Array, dims: { n: number; m: number; lw: number; nc: number }, a: TargetA, out: Float64Array[]): void {
  const { n, m, lw, nc } = dims;
  const [locT, locM, clsT] = out as [Float64Array, Float64Array, Float64Array];
  const lb = b * m * lw;
  let nGt = 0;
  for (; nGt < m; nGt++) {
    const r = lb + nGt * lw;
    if (L[r] === -1) {
      for (let k = 1; k < 5; k++) if (L[r + k] !== -1) throw new OpError('MultiBoxTarget', `label row ${nGt} of image ${b} has class -1 (padding) but coordinate ${k - 1} is ${L[r + k]}, not -1`);
      break;
    }
  }
  if (nGt === 0) return;
  const iou = new Float64Array(n * nGt);
  for (let j = 0; j < n; j++) for (let k = 0; k < nGt; k++) iou[j * nGt + k] = cornerIou(A, j * 4, L, lb + k * lw + 1, true);
  const gtDone = new Array<boolean>(nGt).fill(false);
  const match = Array.from({ length: n }, () => [-1, -1] as [number, number]);
  const flag = new Int8Array(n).fill(-1);
  let pos = 0;
  // Each gt's best anchor first, greedily by the largest remaining IoU (> 1e-6).
  while (gtDone.includes(false)) {
    let bestA = -1, bestG = -1, best = 1e-6;
    for (let j = 0; j < n; j++) {
      if (flag[j] === 1) continue;
      for (let k = 0; k < nGt; k++) if (!gtDone[k] && iou[j * nGt + k]! > best) [bestA, bestG, best] = [j, k, iou[j * nGt + k]!];
    }
    if (bestA < 0) break;
    match[bestA] = [best, bestG];
    pos++;
    gtDone[bestG] = true;
    flag[bestA] = 1;
  }
  const bestOf = (j: number): void => {
    let g = -1, best = -1;
    for (let k = 0; k < nGt; k++) if (iou[j * nGt + k]! > best) [g, best] = [k, iou[j * nGt + k]!];
    if (g >= 0) match[j] = [best, g];
  };
  if (a.overlapThreshold > 0) {
    for (let j = 0; j < n; j++) {
      if (flag[j] === 1) continue;
      bestOf(j);
      if (match[j]![1] >= 0 && match[j]![0] > a.overlapThreshold) {
        pos++;
        gtDone[match[j]![1]] = true;
        flag[j] = 1;
      }
    }
  }
  if (a.negativeMiningRatio > 0) {
    let neg = Math.trunc(pos * a.negativeMiningRatio);
    if (neg > n - pos) neg = n - pos;
    if (neg > 0) {
      const cand: [number, number][] = [];
      const pb = b * nc * n;
      for (let j = 0; j < n; j++) {
        if (flag[j] === 1) continue;
        if (match[j]![0] < 0) bestOf(j);
        if (match[j]![0] < a.negativeMiningThresh && flag[j] === -1) {
          let mx = P[pb + j]!;
          for (let k = 1; k < nc; k++) mx = Math.max(mx, P[pb + j + n * k]!);
          let sum = 0;
          for (let k = 0; k < nc; k++) sum += Math.exp(P[pb + j + n * k]! - mx);
          // A NaN probability (NaN or infinite logits) is the least hard: after every number (MXNet's sort leaves it undefined).
          const prob = Math.exp(P[pb + j]! - mx) / sum;
          cand.push([Number.isNaN(prob) ? Infinity : prob, j]);
        }
      }
      if (cand.length < neg) throw new OpError('MultiBoxTarget', `image ${b}: ${neg} negatives wanted but only ${cand.length} anchors have IoU < negativeMiningThresh ${a.negativeMiningThresh}`);
      // Lowest background probability first (hardest negatives); ties in anchor order (std::stable_sort).
      cand.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      for (let i = 0; i < neg; i++) flag[cand[i]![1]] = 0;
    }
  } else {
    for (let j = 0; j < n; j++) if (flag[j] !== 1) flag[j] = 0;
  }
  const [vx, vy, vw, vh] = a.variances as [number, number, number, number];
  for (let j = 0; j < n; j++) {
    if (flag[j] === 1) {
      const g = lb + match[j]![1] * lw;
      clsT[b * n + j] = L[g]! + 1;
      const o = (b * n + j) * 4;
      locM.fill(1, o, o + 4);
      // AssignLocTargets: centre offsets over the anchor's size and log size ratios, over the variances.
      const [al, at, ar, ab] = [A[j * 4]!, A[j * 4 + 1]!, A[j * 4 + 2]!, A[j * 4 + 3]!];
      const [gl, gt, gr, gb] = [L[g + 1]!, L[g + 2]!, L[g + 3]!, L[g + 4]!];
      const [aw, ah, gw, gh] = [ar - al, ab - at, gr - gl, gb - gt];
      locT[o] = ((gl + gr) / 2 - (al + ar) / 2) / aw / vx;
      locT[o + 1] = ((gt + gb) / 2 - (at + ab) / 2) / ah / vy;
      locT[o + 2] = Math.log(gw / aw) / vw;
      locT[o + 3] = Math.log(gh / ah) / vh;
    } else if (flag[j] === 0) {
      clsT[b * n + j] = 0;
    }
  }
}

/**
 * MXNet's `contrib.MultiBoxTarget(anchor [1, N, 4], label [B, M, 5], clsPred [B, C, N])`:
 * `[locTarget [B, 4N], locMask [B, 4N], clsTarget [B, N]]`. Positives: each
 * gt's best anchor, then anchors whose best IoU > `overlapThreshold`
 * (class id + 1); negatives (class 0): all the rest, or with
 * `negativeMiningRatio` > 0 the ratio × positives anchors with IoU <
 * `negativeMiningThresh` and the lowest background probability; the others
 * get `ignoreLabel`. Label rows from the first class -1 on are padding.
 * Example: `nd.contrib.MultiBoxTarget(anchors, labels, clsPreds, { negativeMiningRatio: 3 })`.
 */
export const MultiBoxTarget: OpDef<TargetSig, TargetA> = defineOp<TargetSig, TargetA>({
  name: 'MultiBoxTarget',
  inputs: ['anchor', 'label', 'clsPred'],
  attrs: { overlapThreshold: 0.5, ignoreLabel: -1, negativeMiningRatio: -1, negativeMiningThresh: 0.5, minimumNegativeSamples: 0, variances: [0.1, 0.1, 0.2, 0.2] },
  positional: ['overlapThreshold', 'ignoreLabel', 'negativeMiningRatio', 'negativeMiningThresh', 'minimumNegativeSamples', 'variances'],
  multiOutput: () => 3,
  eagerKernel: true,
  infer: (types, a) => {
    const [b, n] = targetShapes(types, a);
    const dtype = types[0]!.dtype;
    return [{ dtype, shape: [b, n * 4] }, { dtype, shape: [b, n * 4] }, { dtype, shape: [b, n] }];
  },
  lower: (c, a) => lowerMultiBoxTarget(c, a),
  kernel: ([an, lb, cp], a, outTypes) => {
    const [b, n] = [lb!.shape[0]!, an!.shape[1]!];
    const out = [new Float64Array(b * n * 4), new Float64Array(b * n * 4), new Float64Array(b * n).fill(a.ignoreLabel)];
    const dims = { n, m: lb!.shape[1]!, lw: lb!.shape[2]!, nc: cp!.shape[1]! };
    const [A, L, P] = [toF64(an!), toF64(lb!), toF64(cp!)];
    for (let i = 0; i < b; i++) targetImage(i, A, L, P, dims, a, out);
    return out.map((o, i) => fromF64(outTypes[i]!, o));
  },
  // MultiBoxTargetOp::Backward writes zeros.
  grad: () => [null, null, null],
});

type DetOpts = { clip?: boolean; threshold?: number; backgroundId?: number; nmsThreshold?: number; forceSuppress?: boolean; variances?: number[]; nmsTopk?: number };
type DetA = Attrs & Required<DetOpts>;
type DetSig = (clsProb: Tx, locPred: Tx, anchor: Tx, ...rest: PositionalOptions<DetOpts, ['clip', 'threshold', 'backgroundId', 'nmsThreshold', 'forceSuppress', 'variances', 'nmsTopk']>) => Tx;

function detShape(types: TensorType[], a: DetA): number[] {
  const op = 'MultiBoxDetection';
  const [cp, lp, an] = types.map((t) => t.shape as number[]);
  for (const t of types) if (!isFloat(t.dtype)) throw new OpError(op, `inputs must be floating point, got ${t.dtype}`, types);
  if (cp!.length !== 3) throw new OpError(op, `clsProb must be [batch, classes, N], got [${cp!.join(', ')}]`, types);
  const [b, nc, n] = cp as [number, number, number];
  if (lp!.length !== 2 || lp![0] !== b || lp![1] !== n * 4) throw new OpError(op, `locPred must be [batch, 4N] = [${b}, ${n * 4}], got [${lp!.join(', ')}]`, types);
  if (an!.length !== 3 || an![0] !== 1 || an![1] !== n || an![2] !== 4) throw new OpError(op, `anchor must be [1, N, 4] = [1, ${n}, 4], got [${an!.join(', ')}]`, types);
  for (const k of ['threshold', 'nmsThreshold'] as const) if (typeof a[k] !== 'number' || !Number.isFinite(a[k])) throw new OpError(op, `${k} must be a finite number, got ${JSON.stringify(a[k])}`, types);
  if (!Number.isInteger(a.nmsTopk)) throw new OpError(op, `nmsTopk must be an integer, got ${JSON.stringify(a.nmsTopk)}`, types);
  if (!Number.isInteger(a.backgroundId) || a.backgroundId < 0 || a.backgroundId >= nc) throw new OpError(op, `backgroundId must be a class index in [0, ${nc}), got ${JSON.stringify(a.backgroundId)}`, types);
  for (const k of ['clip', 'forceSuppress'] as const) if (typeof a[k] !== 'boolean') throw new OpError(op, `${k} must be a boolean, got ${JSON.stringify(a[k])}`, types);
  numList(op, 'variances', a.variances, types, 4);
  return [b, n, 6];
}

/** MultiBoxDetectionForward for one image into `o` (its [N, 6] block, filled with -1 first). */
function detectImage(b: number, P: Float64Array, Lp: Float64Array, A: Float64Array, nc: number, n: number, a: DetA, o: Float64Array): void {
  const [vx, vy, vw, vh] = a.variances as [number, number, number, number];
  const cl = (v: number) => (a.clip ? Math.max(0, Math.min(1, v)) : v);
  let valid = 0;
  for (let i = 0; i < n; i++) {
    let score = -1, id = -1;
    for (let j = 0; j < nc; j++) {
      if (j === a.backgroundId) continue;
      const p = P[(b * nc + j) * n + i]!;
      if (p > score) [score, id] = [p, j];
    }
    if (id < 0 || score < a.threshold) continue;
    const r = valid++ * 6;
    // The class id without the background column; TransformLocations decodes the box.
    o[r] = id > a.backgroundId ? id - 1 : id;
    o[r + 1] = score;
    const [al, at, ar, ab] = [A[i * 4]!, A[i * 4 + 1]!, A[i * 4 + 2]!, A[i * 4 + 3]!];
    const q = (b * n + i) * 4;
    const [aw, ah] = [ar - al, ab - at];
    const ox = Lp[q]! * vx * aw + (al + ar) / 2, oy = Lp[q + 1]! * vy * ah + (at + ab) / 2;
    const ow = (Math.exp(Lp[q + 2]! * vw) * aw) / 2, oh = (Math.exp(Lp[q + 3]! * vh) * ah) / 2;
    [o[r + 2], o[r + 3], o[r + 4], o[r + 5]] = [cl(ox - ow), cl(oy - oh), cl(ox + ow), cl(oy + oh)];
  }
  if (valid < 1 || a.nmsThreshold <= 0 || a.nmsThreshold > 1) return;
  const tmp = o.slice();
  const order = Array.from({ length: valid }, (_, i) => i).sort((x, y) => tmp[y * 6 + 1]! - tmp[x * 6 + 1]! || x - y);
  let keep = valid;
  if (a.nmsTopk > 0 && a.nmsTopk < keep) {
    keep = a.nmsTopk;
    // Rows past nmsTopk keep their unsorted values with id -1 (MXNet writes only the id there).
    for (let i = keep; i < valid; i++) o[i * 6] = -1;
  }
  for (let i = 0; i < keep; i++) o.set(tmp.subarray(order[i]! * 6, order[i]! * 6 + 6), i * 6);
  for (let i = 0; i < keep; i++) {
    if (o[i * 6]! < 0) continue;
    for (let j = i + 1; j < keep; j++) {
      if (o[j * 6]! < 0) continue;
      if ((a.forceSuppress || o[i * 6] === o[j * 6]) && cornerIou(o, i * 6 + 2, o, j * 6 + 2, false) >= a.nmsThreshold) o[j * 6] = -1;
    }
  }
}

/**
 * MXNet's `contrib.MultiBoxDetection(clsProb [B, C, N], locPred [B, 4N], anchor [1, N, 4])`:
 * `[B, N, 6]` rows `[id, score, xmin, ymin, xmax, ymax]`. Each anchor's best
 * non-background class with probability ≥ `threshold` is decoded (with
 * `variances`, clipped to [0, 1] when `clip`); the valid rows are sorted by
 * score (ties in anchor order), the first `nmsTopk` kept, and suppressed
 * (id -1) where IoU ≥ `nmsThreshold` with a higher one of the same class (any
 * class with `forceSuppress`); rows past the valid ones are all -1. Ids
 * count classes without the background. Example:
 * `nd.contrib.MultiBoxDetection(probs, locs, anchors, { nmsThreshold: 0.45 })`.
 */
export const MultiBoxDetection: OpDef<DetSig, DetA> = defineOp<DetSig, DetA>({
  name: 'MultiBoxDetection',
  inputs: ['clsProb', 'locPred', 'anchor'],
  attrs: { clip: true, threshold: 0.01, backgroundId: 0, nmsThreshold: 0.5, forceSuppress: false, variances: [0.1, 0.1, 0.2, 0.2], nmsTopk: -1 },
  positional: ['clip', 'threshold', 'backgroundId', 'nmsThreshold', 'forceSuppress', 'variances', 'nmsTopk'],
  eagerKernel: true,
  infer: (types, a) => [{ dtype: types[0]!.dtype, shape: detShape(types, a) }],
  lower: (c, a) => lowerMultiBoxDetection(c, a),
  kernel: ([cp, lp, an], a, [outType]) => {
    const [b, nc, n] = cp!.shape as [number, number, number];
    const out = new Float64Array(b * n * 6).fill(-1);
    const [P, Lp, A] = [toF64(cp!), toF64(lp!), toF64(an!)];
    for (let i = 0; i < b; i++) detectImage(i, P, Lp, A, nc, n, a, out.subarray(i * n * 6, (i + 1) * n * 6));
    return [fromF64(outType!, out)];
  },
  // MultiBoxDetectionOp::Backward writes zeros.
  grad: () => [null, null, null],
});

export const MULTIBOX_OPS = { MultiBoxPrior, MultiBoxTarget, MultiBoxDetection } as const;
