/**
 * d2l's object-detection chapters (MXNet edition, 14.4–14.7) in
 * models/d2l/ssd.ts, written with np operators, against the book's code run
 * by numpy (test/models/d2l-ssd-ref.ts) on the same float32 inputs: anchor
 * boxes, IoU, labeling anchors, non-maximum suppression and detection (the
 * book's own example, with its tied 0.9 scores, and random ones), the SSD
 * heads' shapes as printed, and the loss (SoftmaxCrossEntropyLoss + masked
 * L1Loss) with its gradients against PyTorch.
 */
import assert from 'node:assert/strict';
import { autograd, np, npx, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { SSD_PY } from './d2l-ssd-ref.js';
import * as S from '../../models/d2l/ssd.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

function py(code: string, inputs: NDArray[], attrs?: Record<string, unknown>): number[][] {
  const [r] = numpyRefs([{ code: `${SSD_PY}\n${code}`, inputs: inputs.map(f64), attrs }]);
  assert.ok(!r!.error, r!.error);
  return r!.outs.map((o) => o.data as number[]);
}

/** `n` random corner boxes inside [0, 1]², each side at least 0.1. */
function randomBoxes(n: number): NDArray {
  const xy = np.random.uniform(0, 0.6, [n, 2]);
  return np.concatenate([xy, xy.add(np.random.uniform(0.1, 0.4, [n, 2]))], { axis: 1 });
}

describe('models/d2l: SSD pieces (anchors, labeling, NMS, detection, loss)', () => {
  before(() => random.seed(147));

  it('multiboxPrior and boxIou against the book code in numpy; np.meshgrid as numpy', () => {
    const X = np.random.uniform(0, 1, [1, 3, 4, 5]);
    const Y = S.multiboxPrior(X, [0.75, 0.5, 0.25], [1, 2, 0.5]);
    assert.deepEqual(Y.shape, [1, 100, 4]);
    assertClose(flat(Y), py('out = multibox_prior(a, [0.75, 0.5, 0.25], [1, 2, 0.5])', [X])[0]!, 'anchors', 1e-5, 1e-6);
    const [b1, b2] = [randomBoxes(6), randomBoxes(4)];
    assertClose(flat(S.boxIou(b1, b2)), py('out = box_iou(a, b)', [b1, b2])[0]!, 'box_iou', 1e-5, 1e-6);
    const [gx, gy] = np.meshgrid(np.arange(3), np.arange(2));
    assert.deepEqual([gx!.toArray(), gy!.toArray()], [[[0, 1, 2], [0, 1, 2]], [[0, 0, 0], [1, 1, 1]]]);
    assert.deepEqual(np.meshgrid(np.arange(2), np.arange(3), np.arange(4)).map((g) => g.shape), [[3, 2, 4], [3, 2, 4], [3, 2, 4]]);
    assert.deepEqual(np.meshgrid(np.arange(2), np.arange(3), { indexing: 'ij' }).map((g) => g.shape), [[2, 3], [2, 3]]);
    assert.throws(() => np.meshgrid(np.ones([2, 2])), /np\.meshgrid: input 0 must be 1-D, got shape \[2, 2\]/);
    assert.deepEqual(np.logicalOr(np.array([0, 1, 0]), np.array([0, 0, 2])).toArray(), [0, 1, 1]);
    assert.deepEqual(np.logicalAnd(np.array([0, 1, 3]), np.array([0, 0, 2])).dtype, 'bool');
  });

  it('np.eye/np.identity (d2l: np.eye(10) as attention weights), meshgrid and broadcastTo with an empty dimension, as numpy', () => {
    const [e1, e2, e3, m0, m1] = py(`out = [np.eye(3), np.eye(2, 3, 1), np.eye(3, k=-1), *np.meshgrid(np.arange(0), np.arange(2))]`, []);
    assert.deepEqual(flat(np.eye(3)), e1);
    const e23 = np.eye(2, 3, 1, { dtype: 'int32' });
    assert.deepEqual([e23.dtype, flat(e23)], ['int32', e2]);
    assert.deepEqual(flat(np.eye(3, { k: -1 })), e3);
    assert.deepEqual(flat(np.identity(3)), e1);
    assert.deepEqual(np.eye(2, { M: 4 }).shape, [2, 4]);
    assert.deepEqual([np.eye(0).shape, np.eye(10).reshape([1, 1, 10, 10]).shape], [[0, 0], [1, 1, 10, 10]]);
    assert.throws(() => np.eye(2.5), /np\.eye: N must be a non-negative integer, got 2\.5/);
    assert.throws(() => np.eye(2, { dtyp: 'int32' } as never), /np\.eye: unknown option 'dtyp'/);
    assert.deepEqual(np.meshgrid(np.arange(0), np.arange(2)).map((g) => g.shape), [[2, 0], [2, 0]]);
    assert.deepEqual([m0!.length, m1!.length], [0, 0]);
    assert.deepEqual([np.broadcastTo(np.ones([2, 1]), [2, 0]).shape, np.broadcastTo(np.ones([2, 1]), [2, 3]).shape], [[2, 0], [2, 3]]);
    // box_iou's (inter_lowerrights - inter_upperlefts).clip(0): a one-sided clip, as numpy's None bound
    const c = np.array([-2, 0, 0.5, Infinity, -Infinity, NaN]);
    const [c0, c1] = py('out = [np.clip(a, 0, None), np.clip(a, None, 0.5)]', [c]);
    const nan = (xs: (number | null)[]) => xs.map((v) => (v === null ? NaN : v));   // the reference's NaN travels as null
    assert.deepEqual([flat(c.clip(0)), flat(np.clip(c, null, 0.5))], [nan(c0!), nan(c1!)]);
    assert.throws(() => np.clip(c, null, null), /clip: needs aMin or aMax/);
    assert.deepEqual(flat(np.array([-1, 2], { dtype: 'int32' }).clip(0)), [0, 2]);   // an integer array's one-sided clip keeps its dtype (np-dtypes.test.ts)
    assert.throws(() => np.broadcastTo(np.ones([2, 2]), [2, 0]), /np\.broadcastTo: cannot broadcast \[2, 2\] to \[2, 0\]/);
  });

  it("multiboxTarget: the book's example (class labels [0, 1, 2, 0, 2]) and random boxes, against numpy", () => {
    const groundTruth = np.array([[0, 0.1, 0.08, 0.52, 0.92], [1, 0.55, 0.2, 0.9, 0.88]]);
    const anchors = np.array([[0, 0.1, 0.2, 0.3], [0.15, 0.2, 0.4, 0.4], [0.63, 0.05, 0.88, 0.98], [0.66, 0.45, 0.8, 0.8], [0.57, 0.3, 0.92, 0.9]]);
    const cases: [NDArray, NDArray][] = [[np.expandDims(anchors, 0), np.expandDims(groundTruth, 0)]];
    const random3 = np.stack([0, 1].map(() => np.concatenate([np.random.randint(0, 3, [3, 1]).astype('float32'), randomBoxes(3)], { axis: 1 })));
    cases.push([S.multiboxPrior(np.ones([1, 3, 4, 4]), [0.6, 0.3], [1, 2]), random3]);
    for (const [anc, lab] of cases) {
      const got = S.multiboxTarget(anc, lab);
      const want = py('out = multibox_target(a, b)', [anc, lab]);
      ['offsets', 'mask', 'class labels'].forEach((n, i) => assertClose(flat(got[i]!), want[i]!, n, 1e-4, 1e-4));
      assert.deepEqual(got.map((g) => g.dtype), ['float32', 'int32', 'int32']);
    }
    assert.deepEqual(flat(S.multiboxTarget(cases[0]![0], cases[0]![1])[2]), [0, 1, 2, 0, 2]);
  });

  it("nms and multiboxDetection: the book's example (tied 0.9 scores) and random predictions, against numpy", () => {
    const anchors = np.array([[0.1, 0.08, 0.52, 0.92], [0.08, 0.2, 0.56, 0.95], [0.15, 0.3, 0.62, 0.91], [0.55, 0.2, 0.9, 0.88]]);
    const offsetPreds = np.zeros([16]);
    const clsProbs = np.array([[0, 0, 0, 0], [0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.9]]);
    const book = S.multiboxDetection(np.expandDims(clsProbs, 0), np.expandDims(offsetPreds, 0), np.expandDims(anchors, 0), 0.5);
    assertClose(flat(book), py('out = multibox_detection(a[None], b[None], c[None], 0.5)', [clsProbs, offsetPreds, anchors])[0]!, 'book example', 1e-5, 1e-6);
    assert.deepEqual(flat(book).filter((_v, i) => i % 6 === 0), [1, 0, -1, -1]);
    const anc = S.multiboxPrior(np.ones([1, 3, 3, 3]), [0.5, 0.3], [1, 2]);
    const n = anc.shape[1]!;
    const probs = npx.softmax(np.random.normal(0, 2, [2, 3, n]), { axis: 1 });
    const offs = np.random.normal(0, 0.5, [2, n * 4]);
    assertClose(flat(S.multiboxDetection(probs, offs, anc, 0.3)), py('out = multibox_detection(a, b, c, 0.3)', [probs, offs, anc])[0]!, 'random detections', 1e-4, 1e-5);
    const boxes = randomBoxes(8);
    const scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9, 0.3, 0.5, 0.2]);
    assert.deepEqual(flat(S.nms(boxes, scores, 0.2)), py('out = nms(a, b, 0.2)', [boxes, scores])[0]);
  });

  it("SSD heads: the book's shapes ((2, 55, 20, 20), (2, 33, 10, 10), concat (2, 25300)); calcLoss and its gradients against PyTorch", () => {
    const forward = (x: NDArray, block: ReturnType<typeof S.clsPredictor>) => {
      block.initialize();
      return block.call(x) as NDArray;
    };
    const Y1 = forward(np.zeros([2, 8, 20, 20]), S.clsPredictor(5, 10));
    const Y2 = forward(np.zeros([2, 16, 10, 10]), S.clsPredictor(3, 10));
    assert.deepEqual([Y1.shape, Y2.shape, S.concatPreds([Y1, Y2]).shape], [[2, 55, 20, 20], [2, 33, 10, 10], [2, 25300]]);
    const P = np.random.normal(0, 1, [2, 6, 3, 2]);
    assertClose(flat(S.flattenPred(P)), py('out = flatten_pred(a)', [P])[0]!, 'flatten_pred', 0, 0);
    const anchors = 7;
    const clsPreds = np.random.normal(0, 1, [2, anchors, 3]);
    const clsLabels = np.random.randint(0, 3, [2, anchors]).astype('float32');
    const bboxPreds = np.random.normal(0, 1, [2, anchors * 4]);
    const bboxLabels = np.random.normal(0, 1, [2, anchors * 4]);
    const bboxMasks = np.tile(np.random.randint(0, 2, [2, anchors, 1]), [1, 1, 4]).reshape([2, -1]).astype('float32');
    clsPreds.attachGrad();
    bboxPreds.attachGrad();
    const l = autograd.record(() => S.calcLoss(clsPreds, clsLabels, bboxPreds, bboxLabels, bboxMasks));
    l.backward();
    const want = py(`
import torch, torch.nn.functional as Fn
T = lambda v: torch.tensor(v, dtype=torch.float64)
cp, bp = T(a).requires_grad_(), T(c).requires_grad_()
cls = Fn.cross_entropy(cp.permute(0, 2, 1), torch.tensor(b).long(), reduction="none").mean(1)
bbox = (bp * T(e) - T(d) * T(e)).abs().mean(1)
l = cls + bbox
l.sum().backward()
out = [l.detach(), cp.grad, bp.grad]`, [clsPreds, clsLabels, bboxPreds, bboxLabels, bboxMasks]);
    assertClose(flat(l), want[0]!, 'loss', 1e-5, 1e-6);
    assertClose(flat(clsPreds.grad!), want[1]!, 'cls grad', 1e-5, 1e-6);
    assertClose(flat(bboxPreds.grad!), want[2]!, 'bbox grad (0 where masked: the |0| kink)', 1e-5, 1e-6);
  });
});
