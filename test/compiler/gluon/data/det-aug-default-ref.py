# The reference for det-aug-default.test.ts: a numpy float32 / cv2
# transcription of MXNet 1.x's DefaultImageDetAugmenter::Process and
# ImageDetLabel (src/io/image_det_aug_default.cc, apache/mxnet 05321655d937),
# written from the C++ source, fed the same uniform draws as gluonc's
# augmenter through the seam the test defines: every random number is one
# float32 u in [0, 1) from the list; uniform_real_distribution<float>(a, b)
# is u * (b - a) + a in float32; the samplers' order is Fisher-Yates from
# the last index with j = floor(u * (i + 1)); inter_method 10 is floor(u * 5).
# The image steps are OpenCV's own (cv2.resize, cv2.cvtColor HLS,
# cv2.copyMakeBorder) on RGB uint8 images, so BGR2HLS becomes RGB2HLS.
#
# stdin: JSON list of cases {img: base64 HWC uint8, shape: [h, w, 3],
# rows: [[cls, x1, y1, x2, y2, extra...]...], params: {...}, draws: [...]}.
# stdout: JSON list of {img: base64, shape, rows, used, steps (what it did)}.
import base64
import json
import sys

import cv2
import numpy as np

f = np.float32


def run(case):
    P = case['params']
    draws = case['draws']
    pos = [0]

    def u():
        v = f(draws[pos[0]])
        pos[0] += 1
        return v

    def U(a, b):
        a, b = f(a), f(b)
        return f(f(u() * f(b - a)) + a)

    def interp(ow, oh, nw, nh):
        m = P['interMethod']
        if m == 9:
            return 2 if (nw > ow and nh > oh) else 3 if (nw < ow and nh < oh) else 1
        if m == 10:
            return int(float(u()) * 5)
        return m

    def resize(im, w, h):
        w, h = max(1, w), max(1, h)
        m = interp(im.shape[1], im.shape[0], w, h)
        return cv2.resize(im, (w, h), interpolation=m)

    def area(r):
        return f(r[2] * r[3])

    def inter(a, b):
        x1, y1 = max(a[0], b[0]), max(a[1], b[1])
        w = f(min(f(a[0] + a[2]), f(b[0] + b[2])) - x1)
        h = f(min(f(a[1] + a[3]), f(b[1] + b[3])) - y1)
        return f(0) if (w <= 0 or h <= 0) else f(w * h)

    def gt_rect(r):
        return (r[1], r[2], f(r[3] - r[1]), f(r[4] - r[2]))

    def project(rows, box):
        x, y, w, h = box
        out = rows.copy()
        out[:, 1] = np.maximum(f(0), (rows[:, 1] - x) / w)
        out[:, 2] = np.maximum(f(0), (rows[:, 2] - y) / h)
        out[:, 3] = np.minimum(f(1), (rows[:, 3] - x) / w)
        out[:, 4] = np.minimum(f(1), (rows[:, 4] - y) / h)
        return out

    def try_crop(rows, box, s):
        names = ['minOverlap', 'maxOverlap', 'minSampleCoverage', 'maxSampleCoverage', 'minObjectCoverage', 'maxObjectCoverage']
        lo_hi = [f(s[k]) for k in names]
        bounded = lo_hi[0] > 0 and lo_hi[1] < 1 and lo_hi[2] > 0 and lo_hi[3] < 1 and lo_hi[4] > 0 and lo_hi[5] < 1
        valid = not bounded
        if bounded:
            for r in rows:
                gt = gt_rect(r)
                i = inter(box, gt)
                ovp = f(0) if i <= 0 else f(i / f(f(area(box) + area(gt)) - i))
                if ovp < lo_hi[0] or ovp > lo_hi[1]:
                    continue
                c = f(i / area(box))
                if c < lo_hi[2] or c > lo_hi[3]:
                    continue
                c = f(i / area(gt))
                if c < lo_hi[4] or c > lo_hi[5]:
                    continue
                valid = True
                break
        if not valid:
            return None
        keep = []
        for r in rows:
            if P['cropEmitMode'] == 'center':
                cx, cy = f(f(r[1] + r[3]) * f(0.5)), f(f(r[2] + r[4]) * f(0.5))
                if not (box[0] <= cx < f(box[0] + box[2]) and box[1] <= cy < f(box[1] + box[3])):
                    continue
            else:
                gt = gt_rect(r)
                if not f(inter(box, gt) / area(gt)) > f(P['emitOverlapThresh']):
                    continue
            keep.append(r)
        if not keep:
            return None
        return project(np.array(keep, dtype=f), box)

    def crop_box(s, img_ar):
        scale = f(U(s['minScale'], s['maxScale']) + f(1e-12))
        min_ratio = max(f(f(s['minAspectRatio']) / img_ar), f(scale * scale))
        max_ratio = min(f(f(s['maxAspectRatio']) / img_ar), f(1.0 / float(scale) * float(scale)))
        ratio = f(np.sqrt(U(min_ratio, max_ratio)))
        w, h = min(f(1), f(scale * ratio)), min(f(1), f(scale / ratio))
        return (U(0, f(f(1) - w)), U(0, f(f(1) - h)), w, h)

    steps = []
    h0, w0 = case['shape'][:2]
    res = np.frombuffer(base64.b64decode(case['img']), np.uint8).reshape(h0, w0, 3).copy()
    rows = np.array(case['rows'], dtype=f)
    if P['resize'] != -1:
        r, c = res.shape[:2]
        res = resize(res, P['resize'], P['resize'] * r // c) if r > c else resize(res, P['resize'] * c // r, P['resize'])
    probs = ['randomHueProb', 'randomSaturationProb', 'randomIlluminationProb', 'randomContrastProb']
    if any(P[k] > 0 for k in probs):
        h = int(f(U(-1, 1) * f(P['maxRandomHue'])))
        s = int(f(U(-1, 1) * f(P['maxRandomSaturation'])))
        lum = int(f(U(-1, 1) * f(P['maxRandomIllumination'])))
        c = f(U(-1, 1) * f(P['maxRandomContrast']))
        h = h if u() < f(P['randomHueProb']) else 0
        s = s if u() < f(P['randomSaturationProb']) else 0
        lum = lum if u() < f(P['randomIlluminationProb']) else 0
        c = c if u() < f(P['randomContrastProb']) else f(0)
        if h != 0 or s != 0 or lum != 0:
            hls = cv2.cvtColor(res, cv2.COLOR_RGB2HLS).astype(np.int64) + np.array([h, lum, s])
            hls = np.clip(hls, 0, np.array([180, 255, 255])).astype(np.uint8)
            res = cv2.cvtColor(hls, cv2.COLOR_HLS2RGB)
            steps.append('hls')
        if abs(c) > 1e-3:
            res = np.clip(np.rint(res.astype(f) * f(c + f(1))), 0, 255).astype(np.uint8)
            steps.append('contrast')
    if P['randMirrorProb'] > 0 and u() < f(P['randMirrorProb']):
        old = rows.copy()
        rows[:, 1] = f(1) - old[:, 3]
        rows[:, 3] = f(1) - old[:, 1]
        res = res[:, ::-1].copy()
        steps.append('mirror')
    if P['randPadProb'] > 0 and f(P['maxPadScale']) > 1 and u() < f(P['randPadProb']):
        s = U(1, P['maxPadScale'])
        if s >= f(1.05):
            x0 = U(0, f(s - f(1)))
            y0 = U(0, f(s - f(1)))
            box = (-x0, -y0, s, s)
            rows = project(rows, box)
            hh, ww = res.shape[:2]
            left, top = int(f(x0 * f(ww))), int(f(y0 * f(hh)))
            right = int(f(f(f(s + box[0]) - f(1)) * f(ww)))
            bot = int(f(f(f(s + box[1]) - f(1)) * f(hh)))
            fill = min(255, max(0, P['fillValue']))
            res = cv2.copyMakeBorder(res, top, bot, left, right, cv2.BORDER_CONSTANT, value=(fill, fill, fill))
            steps.append('pad')
    S = P['samplers']
    if P['randCropProb'] > 0 and len(S) > 0 and u() < f(P['randCropProb']):
        order = list(range(len(S)))
        for i in range(len(order) - 1, 0, -1):
            j = int(float(u()) * (i + 1))
            order[i], order[j] = order[j], order[i]
        done = False
        for idx in order:
            if done:
                break
            for _t in range(S[idx]['maxTrials']):
                hh, ww = res.shape[:2]
                box = crop_box(S[idx], f(f(ww) / f(hh)))
                kept = try_crop(rows, box, S[idx])
                if kept is None:
                    steps.append('rejected')
                    continue
                left, top = int(f(box[0] * f(ww))), int(f(box[1] * f(hh)))
                width, height = int(f(box[2] * f(ww))), int(f(box[3] * f(hh)))
                res = res[top:top + height, left:left + width]
                rows = kept
                steps.append('crop')
                done = True
                break
    H, W = P['size']
    hh, ww = res.shape[:2]
    if P['resizeMode'] == 'force':
        res = resize(res, W, H)
    elif P['resizeMode'] == 'fit' or hh > H or ww > W:
        ratio = min(f(f(H) / f(hh)), f(f(W) / f(ww)))
        res = resize(res, int(f(ratio * f(ww))), int(f(ratio * f(hh))))
    res = np.ascontiguousarray(res)
    return {'img': base64.b64encode(res.tobytes()).decode(), 'shape': list(res.shape), 'rows': [[float(v) for v in r] for r in rows], 'used': pos[0], 'steps': steps}


print(json.dumps([run(c) for c in json.load(sys.stdin)]))
