/**
 * MXNet's detection operators beyond the table (cases/multibox.ts holds the
 * numpy transcriptions of MXNet's loops): MultiBoxPrior inside a hybridized
 * block and an exported graph (a constant of H, W), a traced MultiBoxTarget's
 * bad shapes refused by name (multibox-target-lower.test.ts: its lowering), MXNet's zero gradients (SSD's training
 * loop calls MultiBoxTarget on predictions inside autograd.record), box_nms's
 * gradient on the eager tape (MXNet's BoxNMSBackward, by hand; cases/multibox.ts
 * checks boxNmsGrad against its numpy transcription) between hybridized
 * blocks, the npx spellings and positional orders, and the option and shape Errors.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, npx, sym } from 'gluonc';
import { priorValues } from '../../../compiler/ops/multibox.js';

const ANCHORS = [0, 0, 0.5, 0.5, 0.25, 0, 0.75, 0.5, 0.5, 0.5, 1, 1, 0, 0.5, 0.5, 1];
const anchors = () => nd.array(ANCHORS, { shape: [1, 4, 4] });
const labels = () => nd.array([0, 0.05, 0, 0.5, 0.55, -1, -1, -1, -1, -1], { shape: [1, 2, 5] });

class Priors extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    return F.contrib.MultiBoxPrior(x, { sizes: [0.2, 0.272], ratios: [1, 2, 0.5] });
  }
}

describe("MXNet's detection operators: hybridization, gradients, npx, errors", function () {
  this.timeout(120_000);

  it('MultiBoxPrior hybridized equals eager and the hand-computed first anchors (H 2, W 4: width scaled by H/W)', () => {
    const x = nd.ones([2, 3, 2, 4]);
    const eager = nd.contrib.MultiBoxPrior(x, { sizes: [0.2, 0.272], ratios: [1, 2, 0.5] });
    const net = new Priors();
    net.hybridize();
    const hyb = net.call(x) as nd.NDArray;
    assert.deepEqual(hyb.shape, [1, 2 * 4 * 4, 4]);
    assert.deepEqual(Array.from(hyb.data() as Float32Array), Array.from(eager.data() as Float32Array));
    // Pixel (0, 0): centre (0.5/4, 0.5/2) = (0.125, 0.25); size 0.2 → half-width 0.2·2/4/2 = 0.05, half-height 0.1.
    const first = Array.from(eager.data() as Float32Array).slice(0, 4);
    [0.075, 0.15, 0.175, 0.35].forEach((v, i) => assert.ok(Math.abs(first[i]! - v) < 1e-7, `anchor 0 element ${i}: ${first[i]} vs ${v}`));
    // Ratio 2 with sizes[0]: half-width 0.2·(2/4)·√2/2, half-height 0.2/√2/2.
    const r2 = Array.from(eager.data() as Float32Array).slice(8, 12);
    const hw = (0.2 * 0.5 * Math.SQRT2) / 2, hh = 0.2 / Math.SQRT2 / 2;
    [0.125 - hw, 0.25 - hh, 0.125 + hw, 0.25 + hh].forEach((v, i) => assert.ok(Math.abs(r2[i]! - v) < 1e-7, `ratio-2 anchor element ${i}`));
    assert.equal(priorValues(2, 4, { sizes: [0.2, 0.272], ratios: [1, 2, 0.5], clip: false, steps: [-1, -1], offsets: [0.5, 0.5] }).length, 2 * 4 * 4 * 4);
  });

  it('MultiBoxPrior of unknown spatial sizes is an Error naming them', () => {
    assert.throws(() => sym.contrib.MultiBoxPrior(sym.var('x', { shape: ['N', 3, 'H', 'W'] })), /MultiBoxPrior: needs a known height and width/);
  });

  it('a traced MultiBoxTarget of bad shapes is an Error naming the operator and the shapes (multibox-target-lower.test.ts: the lowering)', () => {
    const v = (s: (number | string)[]) => sym.var(`v${s.join('x')}`, { shape: s });
    assert.throws(() => sym.contrib.MultiBoxTarget(v([1, 4, 4]), v(['B', 2, 5]), v(['B', 2, 5])), /MultiBoxTarget: clsPred must be \[batch, classes, N\] with label's batch and anchor's N, got \[B, 2, 5\]/);
    assert.throws(() => sym.contrib.MultiBoxTarget(v([1, 4, 4]), v(['B', 2, 4]), v(['B', 2, 4])), /MultiBoxTarget: label must be \[batch, M, 5\+\] rows .*got \[B, 2, 4\]/);
    assert.throws(() => sym.contrib.MultiBoxTarget(v([2, 4, 4]), v([1, 2, 5]), v([1, 2, 4])), /MultiBoxTarget: anchor must be \[1, N, 4\], got \[2, 4, 4\]/);
  });

  it("MultiBoxTarget on predictions inside autograd.record: MXNet's zero gradient reaches clsPred", () => {
    const cls = nd.array([0.2, 0.1, 0.3, 0.4, 0.5, 0.1, 0.2, 0.3], { shape: [1, 2, 4] });
    cls.attachGrad();
    autograd.record(() => {
      const [, , clsT] = nd.contrib.MultiBoxTarget(anchors(), labels(), cls, { negativeMiningRatio: 3 }) as nd.NDArray[];
      return nd.add(nd.sum(nd.mul(cls, 2)), nd.sum(clsT!));
    }).backward();
    assert.deepEqual(Array.from(cls.grad.data() as Float32Array), new Array(8).fill(2));
  });

  it("MultiBoxDetection and boxIou give zero gradients (MXNet's backward writes zeros)", () => {
    const a = nd.array([0, 0, 1, 1, 0.5, 0.5, 1.5, 1.5], { shape: [2, 4] });
    a.attachGrad();
    autograd.record(() => nd.sum(nd.contrib.boxIou(a, a))).backward();
    assert.deepEqual(Array.from(a.grad.data() as Float32Array), new Array(8).fill(0));
  });

  it("boxNms's gradient is MXNet's: each output row's gradient on the input row it holds, suppressed rows 0 (every backward of a repeated step)", () => {
    // Row 1 (0.9) is kept first, row 0 (0.8, same class, IoU 1) suppressed, row 2 (class 1) kept second.
    const d = nd.array([0, 0.8, 0, 0, 1, 1, 0, 0.9, 0, 0, 1, 1, 1, 0.7, 0, 0, 1, 1], { shape: [3, 6] });
    const gy = nd.array(Array.from({ length: 18 }, (_v, i) => i + 1), { shape: [3, 6] });
    // The same recorded structure several times: from its second sighting the tape's backward may compile (box_nms's lowering).
    for (let step = 0; step < 3; step++) {
      d.attachGrad();
      autograd.record(() => nd.sum(nd.mul(nd.contrib.boxNms(d, { idIndex: 0 }), gy))).backward();
      assert.deepEqual(Array.from(d.grad.data() as Float32Array), [...new Array(6).fill(0), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], `step ${step}`);
    }
  });

  it('boxNms between hybridized blocks trains: the gradient reaches the block before it, as with the blocks not hybridized', () => {
    // box_nms runs eagerly between blocks, on the tape (box-lower.test.ts: inside a hybridized block).
    const x = nd.array(Array.from({ length: 4 * 3 }, (_v, i) => Math.sin(i + 1)), { shape: [4, 3] });
    const grads: number[][] = [];
    for (const hybrid of [false, true]) {
      const net = new gluon.nn.Dense(6, { inUnits: 3 });
      net.initialize();
      net.weight.setData(nd.array(Array.from({ length: 18 }, (_v, i) => Math.cos(i)), { shape: [6, 3] }));
      if (hybrid) net.hybridize();
      autograd.record(() => nd.sum(nd.square(nd.contrib.boxNms(net.call(x) as nd.NDArray, { overlapThresh: 0.1, validThresh: -10 })))).backward();
      grads.push(Array.from(net.weight.grad().data() as Float32Array));
    }
    assert.ok(grads[0]!.some((v) => Math.abs(v) > 1e-3), 'a nonzero gradient');
    grads[1]!.forEach((v, i) => assert.ok(Math.abs(v - grads[0]![i]!) <= 1e-5 * (1 + Math.abs(v)), `weight gradient ${i}: hybridized ${v}, eager ${grads[0]![i]}`));
  });

  it('npx spellings take MXNet 2\'s positional order; boxNonMaximumSuppression is box_nms', () => {
    const x = nd.ones([1, 1, 2, 2]);
    assert.deepEqual(npx.multiboxPrior(x, [0.5], [1, 2], true).toArray(), nd.contrib.MultiBoxPrior(x, { sizes: [0.5], ratios: [1, 2], clip: true }).toArray());
    const d = nd.array([0, 0.9, 0, 0, 1, 1, 1, 0.8, 0, 0, 1, 1, 0, 0.7, 0, 0, 1, 1], { shape: [3, 6] });
    // overlapThresh, validThresh, topk, coordStart, scoreIndex, idIndex
    const byPos = npx.boxNms(d, 0.5, 0, -1, 2, 1, 0).toArray();
    assert.deepEqual(byPos, nd.contrib.boxNonMaximumSuppression(d, { idIndex: 0 }).toArray());
    assert.deepEqual((byPos as number[][]).map((r) => r[0]), [0, 1, -1]);
    const iou = npx.boxIou(nd.array([0, 0, 2, 2], { shape: [1, 4] }), nd.array([1, 1, 2, 2], { shape: [1, 1, 4] }), 'center').toArray();
    // center: [0,0,2,2] spans [-1,1]², [1,1,2,2] spans [0,2]²: intersection 1, union 4 + 4 - 1.
    assert.ok(Math.abs((iou as number[][][])[0]![0]![0]! - 1 / 7) < 1e-7);
  });

  it('bad shapes and options are Errors naming the operator and what was wrong', () => {
    const x = nd.ones([1, 3, 2, 2]);
    assert.throws(() => nd.contrib.MultiBoxPrior(nd.ones([3, 2, 2])), /MultiBoxPrior: data must be 4-D \[batch, channels, height, width\], got \[3, 2, 2\]/);
    assert.throws(() => nd.contrib.MultiBoxPrior(x, { sizes: [] }), /MultiBoxPrior: sizes must be a list of one or more finite numbers, got \[\]/);
    assert.throws(() => nd.contrib.MultiBoxPrior(x, { ratios: [1, -2] }), /MultiBoxPrior: ratios must be positive/);
    assert.throws(() => nd.contrib.MultiBoxPrior(x, { steps: [0.1] }), /MultiBoxPrior: steps must be a list of 2 finite numbers/);
    assert.throws(() => nd.contrib.MultiBoxPrior(x, { sizez: [1] } as never), /MultiBoxPrior.*sizez/);
    assert.throws(() => nd.contrib.boxIou(nd.ones([2, 3]), nd.ones([2, 4])), /boxIou: lhs must be \[\.\.\., 4\] with at least 2 dimensions, got \[2, 3\]/);
    assert.throws(() => nd.contrib.boxIou(nd.ones([2, 4]), nd.ones([2, 4]), { format: 'xywh' as never }), /boxIou: format must be 'corner' or 'center', got "xywh"/);
    assert.throws(() => nd.contrib.boxNms(nd.ones([3, 5])), /boxNms: coordStart 2 needs 4 coordinates inside the last axis of size 5/);
    assert.throws(() => nd.contrib.boxNms(nd.ones([3, 6]), { scoreIndex: 6 }), /boxNms: scoreIndex 6 is outside the last axis of size 6/);
    assert.throws(() => nd.contrib.boxNms(nd.ones([3, 6]), { backgroundId: 0 }), /boxNms: backgroundId 0 needs idIndex/);
    assert.throws(() => nd.contrib.boxNms(nd.ones([6])), /boxNms: data must have at least 2 dimensions/);
    assert.throws(() => nd.contrib.MultiBoxTarget(anchors(), labels(), nd.ones([1, 2, 5])), /MultiBoxTarget: clsPred must be \[batch, classes, N\] with label's batch and anchor's N, got \[1, 2, 5\]/);
    assert.throws(() => nd.contrib.MultiBoxTarget(anchors(), labels(), nd.ones([1, 0, 4]), { negativeMiningRatio: 3 }), /MultiBoxTarget: clsPred needs at least one class \(the background's\), got \[1, 0, 4\]/);
    assert.throws(() => nd.contrib.MultiBoxTarget(anchors(), labels(), nd.ones([1, 2, 4]), { variances: [0.1, 0.1] }), /MultiBoxTarget: variances must be a list of 4 finite numbers/);
    assert.throws(() => nd.contrib.MultiBoxTarget(anchors(), labels(), nd.ones([1, 2, 4]), { negativeMiningRatio: 3, negativeMiningThresh: 0 }), /MultiBoxTarget: negativeMiningThresh must be > 0 with negative mining/);
    // A padding row (class -1) whose coordinates are not -1: MXNet's CHECK_EQ.
    const bad = nd.array([0, 0.05, 0, 0.5, 0.55, -1, -1, 0.2, -1, -1], { shape: [1, 2, 5] });
    assert.throws(() => nd.contrib.MultiBoxTarget(anchors(), bad, nd.ones([1, 2, 4])), /MultiBoxTarget: label row 1 of image 0 has class -1 \(padding\) but coordinate 1 is 0.2/);
    assert.throws(() => nd.contrib.MultiBoxDetection(nd.ones([1, 3, 4]), nd.ones([1, 16]), nd.ones([1, 5, 4])), /MultiBoxDetection: anchor must be \[1, N, 4\] = \[1, 4, 4\], got \[1, 5, 4\]/);
    assert.throws(() => nd.contrib.MultiBoxDetection(nd.ones([1, 3, 4]), nd.ones([1, 16]), nd.ones([1, 4, 4]), { backgroundId: 3 }), /MultiBoxDetection: backgroundId must be a class index in \[0, 3\), got 3/);
    assert.throws(() => nd.contrib.MultiBoxDetection(nd.ones([1, 3, 4], { dtype: 'int32' }), nd.ones([1, 16]), nd.ones([1, 4, 4])), /MultiBoxDetection: inputs must be floating point, got int32/);
  });
});
