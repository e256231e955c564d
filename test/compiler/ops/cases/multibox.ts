/**
 * Table entries for MXNet's detection operators. Each reference is a
 * float64 numpy transcription of MXNet's CPU loop (apache/mxnet
 * src/operator/contrib/): multibox_prior.cc `MultiBoxPriorForward`,
 * bounding_box-inl.h `BoxOverlapForward`/`compute_overlap` and
 * `BoxNMSForward`/`nms_impl`/`nms_assign`, multibox_target.cc
 * `MultiBoxTargetForward`/`AssignLocTargets` (overlaps as multibox_target-inl.h,
 * safe_divide), multibox_detection.cc
 * `MultiBoxDetectionForward`/`TransformLocations`/`CalculateOverlap`.
 */
import type { OpCase } from '../case.js';

const PRIOR_REF = String.raw`
sizes = attrs.get('sizes', args[0] if len(args) > 0 else [1.0]); ratios = attrs.get('ratios', args[1] if len(args) > 1 else [1.0]); clip = attrs.get('clip', False)
steps = attrs.get('steps', [-1.0, -1.0]); offsets = attrs.get('offsets', [0.5, 0.5])
h, w = a.shape[2], a.shape[3]
sy = steps[0] if steps[0] > 0 else 1.0 / h
sx = steps[1] if steps[1] > 0 else 1.0 / w
rows = []
for r in range(h):
    cy = (r + offsets[0]) * sy
    for c in range(w):
        cx = (c + offsets[1]) * sx
        for s in sizes:
            bw = s * h / w / 2; bh = s / 2
            rows.append([cx - bw, cy - bh, cx + bw, cy + bh])
        for rt in ratios[1:]:
            q = math.sqrt(rt); bw = sizes[0] * h / w * q / 2; bh = sizes[0] / q / 2
            rows.append([cx - bw, cy - bh, cx + bw, cy + bh])
out = np.array(rows, dtype=np.float64).reshape(1, -1, 4)
if clip: out = np.clip(out, 0, 1)
`;

const BOX_COMMON = String.raw`
def inter1(a0, a1, b0, b1, fmt):
    if fmt == 'corner': w = min(a1, b1) - max(a0, b0)
    else: w = min(a0 + a1 / 2, b0 + b1 / 2) - max(a0 - a1 / 2, b0 - b1 / 2)
    return w if w > 0 else 0.0
def area(x, fmt):
    return (x[2] - x[0]) * (x[3] - x[1]) if fmt == 'corner' else x[2] * x[3]
def inter(p, q, fmt):
    return inter1(p[0], p[2], q[0], q[2], fmt) * inter1(p[1], p[3], q[1], q[3], fmt)
`;

const IOU_REF = BOX_COMMON + String.raw`
fmt = attrs.get('format', args[0] if args else 'corner')
L = a.reshape(-1, 4); R = b.reshape(-1, 4)
o = np.zeros((len(L), len(R)))
for i in range(len(L)):
    for j in range(len(R)):
        it = inter(L[i], R[j], fmt)
        o[i, j] = 0.0 if it <= 0 else it / (area(L[i], fmt) + area(R[j], fmt) - it)
out = o.reshape(a.shape[:-1] + b.shape[:-1])
`;

const NMS_REF = BOX_COMMON + String.raw`
g = lambda k, d: attrs.get(k, d)
thr, vt, topk = g('overlapThresh', 0.5), g('validThresh', 0.0), g('topk', -1)
cs, si, ii, bg = g('coordStart', 2), g('scoreIndex', 1), g('idIndex', -1), g('backgroundId', -1)
force, fin, fout = g('forceSuppress', False), g('inFormat', 'corner'), g('outFormat', 'corner')
n, k = a.shape[-2], a.shape[-1]
data = a.reshape(-1, n, k)
res = -np.ones_like(data)
rec = -np.ones(data.shape[:2], dtype=np.int64)
for b_ in range(data.shape[0]):
    d = data[b_]
    if topk == 0:
        res[b_] = d; rec[b_] = np.arange(n); continue
    valid = [i for i in range(n) if d[i, si] > vt and not (ii >= 0 and bg >= 0 and d[i, ii] == bg)]
    order = sorted(valid, key=lambda i: (-d[i, si], i))
    if topk > 0: order = order[:topk]
    alive = [True] * len(order)
    for p in range(len(order)):
        if not alive[p]: continue
        for q in range(p + 1, len(order)):
            if not alive[q]: continue
            P, Q = d[order[p]], d[order[q]]
            if not force and ii >= 0 and int(P[ii]) != int(Q[ii]): continue
            it = inter(P[cs:cs + 4], Q[cs:cs + 4], fin)
            with np.errstate(all='ignore'):
                iou = np.float64(it) / (area(P[cs:cs + 4], fin) + area(Q[cs:cs + 4], fin) - it)
            if iou > thr: alive[q] = False
    row = 0
    for p, i in enumerate(order):
        if not alive[p]: continue
        r = d[i].copy()
        if fin != fout:
            x0, x1, x2, x3 = r[cs:cs + 4]
            r[cs:cs + 4] = [(x0 + x2) / 2, (x1 + x3) / 2, x2 - x0, x3 - x1] if fout == 'center' else [x0 - x2 / 2, x1 - x3 / 2, x0 + x2 / 2, x1 + x3 / 2]
        res[b_, row] = r; rec[b_, row] = i; row += 1
out = res.reshape(a.shape)
`;

/**
 * box_nms's gradient (bounding_box-inl.h `BoxNMSBackward`/`nms_backward`):
 * the gradient \`b\` of each output row copied to the input row the forward's
 * record names, every other row 0.
 */
const NMS_GRAD_REF = NMS_REF + String.raw`
gb = b.reshape(-1, n, k); gin = np.zeros_like(data)
for b_ in range(data.shape[0]):
    for row in range(n):
        if rec[b_, row] >= 0: gin[b_, rec[b_, row]] = gb[b_, row]
out = gin.reshape(a.shape)
`;

const TARGET_REF = String.raw`
g = lambda k, d: attrs.get(k, d)
othr, ign, ratio, nthr = g('overlapThreshold', 0.5), g('ignoreLabel', -1.0), g('negativeMiningRatio', -1.0), g('negativeMiningThresh', 0.5)
var = g('variances', [0.1, 0.1, 0.2, 0.2])
anc = a[0]; B, M, W = b.shape; N = anc.shape[0]; C = c.shape[1]
loc_t = np.zeros((B, N * 4)); loc_m = np.zeros((B, N * 4)); cls_t = np.full((B, N), ign)
def iou(p, q):
    w = max(0.0, min(p[2], q[2]) - max(p[0], q[0])); h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    i = w * h; u = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - i
    return 0.0 if u == 0 else i / u  # safe_divide
for n_ in range(B):
    lab = b[n_]
    ngt = 0
    while ngt < M and lab[ngt, 0] != -1: ngt += 1
    if ngt == 0: continue
    ov = np.array([[iou(anc[j], lab[k, 1:5]) for k in range(ngt)] for j in range(N)])
    gt_flags = [False] * ngt; mm = [(-1.0, -1)] * N; flags = [-1] * N; npos = 0
    while not all(gt_flags):
        ba, bgt, mo = -1, -1, 1e-6
        for j in range(N):
            if flags[j] == 1: continue
            for k in range(ngt):
                if gt_flags[k]: continue
                if ov[j, k] > mo: ba, bgt, mo = j, k, ov[j, k]
        if ba == -1: break
        mm[ba] = (mo, bgt); npos += 1; gt_flags[bgt] = True; flags[ba] = 1
    def best(j):
        bg_, mi = -1, -1.0
        for k in range(ngt):
            if ov[j, k] > mi: bg_, mi = k, ov[j, k]
        return (mi, bg_)
    if othr > 0:
        for j in range(N):
            if flags[j] == 1: continue
            mm[j] = best(j)
            if mm[j][0] > othr:
                npos += 1; gt_flags[mm[j][1]] = True; flags[j] = 1
    if ratio > 0:
        nneg = min(int(npos * ratio), N - npos)
        if nneg > 0:
            temp = []
            for j in range(N):
                if flags[j] == 1: continue
                if mm[j][0] < 0: mm[j] = best(j)
                if mm[j][0] < nthr and flags[j] == -1:
                    p = c[n_, :, j]; e = np.exp(p - p.max())
                    temp.append((-(e[0] / e.sum()), j))
            temp.sort(key=lambda t: -t[0])  # stable: SortElemDescend on -prob
            for i in range(nneg): flags[temp[i][1]] = 0
    else:
        flags = [f if f == 1 else 0 for f in flags]
    for j in range(N):
        if flags[j] == 1:
            gt = lab[mm[j][1]]
            cls_t[n_, j] = gt[0] + 1; loc_m[n_, 4 * j:4 * j + 4] = 1
            al, at, ar, ab = anc[j]; gl, gtp, gr, gb = gt[1:5]
            aw, ah, gw, gh = ar - al, ab - at, gr - gl, gb - gtp
            loc_t[n_, 4 * j:4 * j + 4] = [((gl + gr) / 2 - (al + ar) / 2) / aw / var[0], ((gtp + gb) / 2 - (at + ab) / 2) / ah / var[1], math.log(gw / aw) / var[2], math.log(gh / ah) / var[3]]
        elif flags[j] == 0:
            cls_t[n_, j] = 0
out = [loc_t, loc_m, cls_t]
`;

const DETECTION_REF = String.raw`
g = lambda k, d: attrs.get(k, d)
clip, th, bgid, nthr, force, var, topk = g('clip', True), g('threshold', 0.01), g('backgroundId', 0), g('nmsThreshold', 0.5), g('forceSuppress', False), g('variances', [0.1, 0.1, 0.2, 0.2]), g('nmsTopk', -1)
B, C, N = a.shape
anc = c[0]
res = -np.ones((B, N, 6))
cl = (lambda v: max(0.0, min(1.0, v))) if clip else (lambda v: v)
def ovl(p, q):
    w = max(0.0, min(p[2], q[2]) - max(p[0], q[0])); h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    i = w * h; u = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - i
    return 0.0 if u <= 0 else i / u
for n_ in range(B):
    o = res[n_]; valid = 0
    for i in range(N):
        score, cid = -1.0, -1
        for j in range(C):
            if j == bgid: continue
            if a[n_, j, i] > score: score, cid = a[n_, j, i], j
        if cid < 0 or score < th: continue
        al, at, ar, ab = anc[i]; aw, ah = ar - al, ab - at
        px, py, pw, ph = b[n_, 4 * i:4 * i + 4]
        ox = px * var[0] * aw + (al + ar) / 2; oy = py * var[1] * ah + (at + ab) / 2
        ow = math.exp(pw * var[2]) * aw / 2; oh = math.exp(ph * var[3]) * ah / 2
        o[valid] = [cid - 1 if cid > bgid else cid, score, cl(ox - ow), cl(oy - oh), cl(ox + ow), cl(oy + oh)]
        valid += 1
    if valid < 1 or nthr <= 0 or nthr > 1: continue
    tmp = o.copy()
    order = sorted(range(valid), key=lambda i: (-tmp[i, 1], i))
    keep = valid
    if topk > 0 and topk < keep:
        keep = topk
        o[keep:valid, 0] = -1
    for i in range(keep): o[i] = tmp[order[i]]
    for i in range(keep):
        if o[i, 0] < 0: continue
        for j in range(i + 1, keep):
            if o[j, 0] < 0: continue
            if (force or o[i, 0] == o[j, 0]) and ovl(o[i, 2:], o[j, 2:]) >= nthr: o[j, 0] = -1
out = res
`;

// Six anchors (corner boxes of positive area) in one image.
const ANCHORS = [0, 0, 0.5, 0.5, 0.25, 0, 0.75, 0.5, 0.5, 0.5, 1, 1, 0, 0.5, 0.5, 1, 0.1, 0.1, 0.6, 0.6, 0.4, 0.4, 0.9, 0.9];
// Two ground truths and a padding row: class 0 near anchor 0, class 2 near anchor 2.
const LABELS = [0, 0.05, 0, 0.5, 0.55, 2, 0.45, 0.5, 1, 0.95, -1, -1, -1, -1, -1];
// Detection rows [id, score, x1, y1, x2, y2]: tied scores, overlapping boxes of two classes, a far box, a low score.
// Rows [id, score, x1, y1, x2, y2]: scores all different; row 1 overlaps row 0 (IoU 0.82, another class), row 2 overlaps row 5 (0.43), row 4 scores below 0.3.
const DISTINCT = [0.5, 0.9, 0, 0, 1, 1, 1.5, 0.85, 0.1, 0, 1.1, 1, 0.5, 0.7, 2, 2, 3, 3, 0.5, 0.6, 5, 5, 6, 6, 1.5, 0.2, 0, 0, 1, 1, 0.5, 0.75, 2.4, 2, 3.4, 3];
const DETS = [0, 0.9, 0, 0, 1, 1, 1, 0.9, 0.05, 0, 1, 1, 0, 0.8, 0.1, 0.1, 1.1, 1.1, 0, 0.8, 5, 5, 6, 6, 1, 0.1, 0, 0, 1, 1, 0, 0.9, 0, 0.5, 1, 1.5];

export const cases: OpCase[] = [
  {
    op: 'MultiBoxPrior',
    ref: PRIOR_REF,
    samples: [
      { inputs: [{ shape: [1, 3, 2, 3] }], label: 'defaults, H != W' },
      { inputs: [{ shape: [2, 4, 3, 3] }], args: [{ sizes: [0.2, 0.272], ratios: [1, 2, 0.5] }], label: "SSD's sizes and ratios" },
      { inputs: [{ shape: [1, 2, 3, 4] }], args: [{ sizes: [0.9, 0.5], ratios: [1, 3], clip: true, steps: [0.1, 0.2], offsets: [0.2, 0.7] }], label: 'steps, offsets, clip at the edges' },
      { inputs: [{ shape: [1, 1, 2, 2] }], args: [{ sizes: [0.5], ratios: [2, 0.5] }], label: 'ratios[0] is not used (the sizes take ratio 1)' },
      { inputs: [{ shape: [2, 3, 2, 4], symbolic: true }], args: [[0.4, 0.2], [1, 2]], label: 'symbolic batch, positional sizes and ratios' },
      { inputs: [{ shape: [1, 1, 3, 2], dtype: 'float64' }], args: [{ sizes: [0.3], ratios: [1, 4] }], label: 'float64 data: float64 anchors' },
    ],
  },
  {
    op: 'boxIou',
    ref: IOU_REF,
    samples: [
      {
        // identical, touching at an edge, disjoint, contained, a zero-area box inside another.
        inputs: [{ shape: [3, 4], values: [0, 0, 1, 1, 2, 2, 3, 3, 0.5, 0.5, 0.5, 0.5] }, { shape: [4, 4], values: [0, 0, 1, 1, 1, 0, 2, 1, 5, 5, 6, 6, 0.25, 0.25, 0.75, 0.75] }],
        label: 'corner: identical, touching, disjoint, contained, zero area',
      },
      {
        inputs: [{ shape: [3, 4], values: [0.5, 0.5, 1, 1, 2.5, 2.5, 1, 1, 0.5, 0.5, 0, 0] }, { shape: [4, 4], values: [0.5, 0.5, 1, 1, 1.5, 0.5, 1, 1, 5.5, 5.5, 1, 1, 0.5, 0.5, 0.5, 0.5] }],
        args: [{ format: 'center' }],
        label: 'center: the same boxes',
      },
      { inputs: [{ shape: [2, 3, 4], range: [0, 1] }, { shape: [5, 4], range: [0, 1] }], label: 'random, [2, 3] × [5]' },
      { inputs: [{ shape: [2, 4], range: [0, 2] }, { shape: [1, 2, 4], range: [0, 2] }], args: ['center'], label: 'random center, positional format' },
    ],
  },
  {
    op: 'boxNms',
    ref: NMS_REF,
    samples: [
      // The first four samples are the gradient table's (finite differences): distinct scores, suppression not at its threshold, class ids away from the integers their truncation jumps at.
      { inputs: [{ shape: [2, 5, 5], range: [0, 1] }], args: [{ coordStart: 1, scoreIndex: 0, overlapThresh: 0.2 }], label: 'random batch, other columns' },
      { inputs: [{ shape: [6, 6], values: DISTINCT }], args: [{ idIndex: 0 }], label: 'distinct scores, per class (ids 0.5 and 1.5)' },
      { inputs: [{ shape: [6, 6], dtype: 'float64', values: DISTINCT }], args: [{ idIndex: 0, forceSuppress: true, overlapThresh: 0.3 }], label: 'distinct scores, forceSuppress, float64' },
      { inputs: [{ shape: [6, 6], values: DISTINCT }], args: [{ idIndex: 0, topk: 3, validThresh: 0.3 }], label: 'distinct scores, topk and validThresh' },
      { inputs: [{ shape: [6, 6], values: DETS }], label: 'defaults: no class ids, ties in score' },
      { inputs: [{ shape: [6, 6], values: DETS }], args: [{ idIndex: 0 }], label: 'per class' },
      { inputs: [{ shape: [6, 6], values: DETS }], args: [{ idIndex: 0, forceSuppress: true, overlapThresh: 0.3 }], label: 'forceSuppress' },
      { inputs: [{ shape: [6, 6], values: DETS }], args: [{ idIndex: 0, topk: 2, validThresh: 0.3 }], label: 'topk and validThresh' },
      { inputs: [{ shape: [6, 6], values: DETS }], args: [{ idIndex: 0, backgroundId: 1 }], label: 'backgroundId' },
      { inputs: [{ shape: [6, 6], values: DETS }], args: [{ topk: 0 }], label: 'topk 0: data unchanged' },
      { inputs: [{ shape: [6, 6], values: DETS }], args: [{ outFormat: 'center', idIndex: 0 }], label: 'corner in, center out' },
      { inputs: [{ shape: [6, 6], values: DETS }], args: [{ inFormat: 'center', overlapThresh: 0.1 }], label: 'center in and out' },
      {
        // IoU exactly 1/3 at overlapThresh 1/3 is kept (suppression needs more).
        inputs: [{ shape: [3, 6], values: [0, 0.9, 0, 0, 1, 2, 0, 0.8, 0, 1, 1, 3, 0, 0.7, 0, 0, 1, 2] }],
        args: [{ overlapThresh: 1 / 3, idIndex: 0 }],
        label: 'at the threshold, identical boxes',
      },
      { inputs: [{ shape: [6, 6], dtype: 'float64', values: DETS }], args: [{ idIndex: 0, overlapThresh: 0.2 }], label: 'float64' },
    ],
  },
  {
    op: 'boxNmsGrad',
    ref: NMS_GRAD_REF,
    samples: [
      { inputs: [{ shape: [6, 6], values: DETS }, { shape: [6, 6] }], label: 'defaults: no class ids, ties in score' },
      { inputs: [{ shape: [6, 6], values: DETS }, { shape: [6, 6] }], args: [{ idIndex: 0, topk: 2, validThresh: 0.3 }], label: 'topk and validThresh' },
      { inputs: [{ shape: [6, 6], values: DETS }, { shape: [6, 6] }], args: [{ topk: 0 }], label: 'topk 0: the gradient itself' },
      { inputs: [{ shape: [6, 6], values: DETS }, { shape: [6, 6] }], args: [{ outFormat: 'center', idIndex: 0 }], label: 'corner in, center out: copied unchanged' },
      { inputs: [{ shape: [2, 5, 5], range: [0, 1] }, { shape: [2, 5, 5] }], args: [{ overlapThresh: 0.2, coordStart: 1, scoreIndex: 0 }], label: 'random batch, other columns' },
      { inputs: [{ shape: [6, 6], values: DETS.map((v, i) => (i % 6 === 1 ? -v : v)) }, { shape: [6, 6] }], label: 'every row filtered: 0' },
    ],
  },
  {
    op: 'MultiBoxTarget',
    ref: TARGET_REF,
    samples: [
      { inputs: [{ shape: [1, 6, 4], values: ANCHORS }, { shape: [1, 3, 5], values: LABELS }, { shape: [1, 3, 6] }], label: 'defaults: all negatives, padding row' },
      {
        // Positives: anchors 0, 2 and (IoU 0.567) 4, 5; one negative (⌊4 · 0.25⌋) from anchors 1 and 3, whose predictions tie: anchor 1 (std::stable_sort).
        inputs: [{ shape: [1, 6, 4], values: ANCHORS }, { shape: [1, 3, 5], values: LABELS }, { shape: [1, 2, 6], values: [0.5, 0, 0.5, 0, 0.3, 0, 0, 1, 0, 1, 0, 1] }],
        args: [{ negativeMiningRatio: 0.25, negativeMiningThresh: 0.5 }],
        label: 'hard negative mining: a tie goes to the lower anchor',
      },
      {
        // Anchor 1's IoU 0.336 is not below negativeMiningThresh 0.3: anchor 3 is the negative.
        inputs: [{ shape: [1, 6, 4], values: ANCHORS }, { shape: [1, 3, 5], values: LABELS }, { shape: [1, 2, 6], values: [0.5, 0, 0.5, 0, 0.3, 0, 0, 1, 0, 1, 0, 1] }],
        args: [{ negativeMiningRatio: 0.25, negativeMiningThresh: 0.3 }],
        label: 'negativeMiningThresh excludes an anchor',
      },
      { inputs: [{ shape: [1, 6, 4], values: ANCHORS }, { shape: [1, 3, 5], values: LABELS }, { shape: [1, 3, 6] }], args: [{ negativeMiningRatio: 3, minimumNegativeSamples: 2 }], label: 'ratio 3: capped by the anchors left' },
      {
        inputs: [{ shape: [1, 6, 4], values: ANCHORS }, { shape: [2, 3, 5], values: [...LABELS, ...new Array<number>(15).fill(-1)] }, { shape: [2, 3, 6] }],
        args: [{ overlapThreshold: 0, ignoreLabel: -2, variances: [0.2, 0.1, 0.3, 0.4] }],
        label: 'an image without gt, no threshold stage, variances',
      },
      { inputs: [{ shape: [1, 6, 4], values: ANCHORS }, { shape: [1, 3, 5], values: LABELS }, { shape: [1, 3, 6] }], args: [{ overlapThreshold: 0.1 }], label: 'low overlapThreshold: more positives' },
    ],
  },
  {
    op: 'MultiBoxDetection',
    ref: DETECTION_REF,
    rtol: 1e-4,
    atol: 1e-5,
    samples: [
      { inputs: [{ shape: [1, 3, 6], range: [0, 1] }, { shape: [1, 24], range: [-1, 1] }, { shape: [1, 6, 4], values: ANCHORS }], label: 'defaults' },
      {
        // Tied top scores (anchors 0 and 1, class 1), a score under threshold, overlapping decoded boxes.
        inputs: [{ shape: [1, 3, 4], values: [0.1, 0.1, 0.2, 0.1, 0.8, 0.8, 0.05, 0.2, 0.1, 0.1, 0.75, 0.7] }, { shape: [1, 16], values: new Array<number>(16).fill(0) }, { shape: [1, 4, 4], values: [0, 0, 0.5, 0.5, 0.05, 0, 0.55, 0.5, 0.5, 0.5, 1, 1, 0, 0, 0.5, 0.5] }],
        args: [{ threshold: 0.1, forceSuppress: true, nmsThreshold: 0.45 }],
        label: 'ties, threshold, forceSuppress',
      },
      { inputs: [{ shape: [1, 3, 6], range: [0, 1] }, { shape: [1, 24], range: [-2, 2] }, { shape: [1, 6, 4], values: ANCHORS }], args: [{ clip: false, nmsTopk: 2 }], label: 'no clip, nmsTopk 2' },
      { inputs: [{ shape: [1, 3, 6], range: [0, 1] }, { shape: [1, 24], range: [-1, 1] }, { shape: [1, 6, 4], values: ANCHORS }], args: [{ nmsThreshold: 0 }], label: 'nmsThreshold 0: no sort, no NMS' },
      { inputs: [{ shape: [2, 4, 6], range: [0, 1] }, { shape: [2, 24], range: [-1, 1] }, { shape: [1, 6, 4], values: ANCHORS }], args: [{ backgroundId: 2, threshold: 0.3, variances: [0.2, 0.2, 0.1, 0.1] }], label: 'batch 2, backgroundId 2, variances' },
    ],
  },
];
