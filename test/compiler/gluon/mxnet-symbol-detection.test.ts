/**
 * MXNet symbol files with the detection operators (an SSD deploy symbol's
 * `_contrib_MultiBoxPrior` and `_contrib_box_nms`, compiler/formats/mxnet-ops.ts):
 * read with the file's attribute strings, both run eagerly and hybridized
 * (box-lower.test.ts: an SSD symbol with MultiBoxDetection exported). References are MXNet's formulas written out here in
 * float64: multibox_prior-inl.h's anchors (sizes with ratios[0] first, then
 * ratios[1:] with sizes[0], offsets 0.5) and box_nms's output (kept rows by
 * descending score, suppressed ones -1).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { assertClose } from '../../helpers/compare.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);

function oneOpFile(dir: string, op: string, attrs: Record<string, string>): string {
  const nodes = [
    { op: 'null', name: 'data', inputs: [] },
    { op, name: 'out', attrs, inputs: [[0, 0, 0]] },
  ];
  const file = path.join(dir, `${op}-symbol.json`);
  fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0], heads: [[1, 0, 0]] }));
  return file;
}

/** MXNet's MultiBoxPrior anchors (multibox_prior-inl.h, MultiBoxPriorForward) in float64. */
function priors(h: number, w: number, sizes: number[], ratios: number[]): number[] {
  const out: number[] = [];
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const cy = (r + 0.5) / h;
      const cx = (c + 0.5) / w;
      const box = (bw: number, bh: number) => out.push(cx - bw, cy - bh, cx + bw, cy + bh);
      // Every size at ratio 1 (the loop does not read ratios[0]), then ratios[1:] at sizes[0].
      for (const s of sizes) box((s * h) / w / 2, s / 2);
      for (const q of ratios.slice(1)) box((sizes[0]! * h) / w * Math.sqrt(q) / 2, sizes[0]! / Math.sqrt(q) / 2);
    }
  }
  return out;
}

describe('MXNet symbol files: the detection operators (_contrib_MultiBoxPrior, _contrib_box_nms)', () => {
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-detection-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('_contrib_MultiBoxPrior with tuple attributes gives MXNet\'s anchors, eager and hybridized', () => {
    const file = oneOpFile(dir, '_contrib_MultiBoxPrior', { sizes: '(0.2, 0.35)', ratios: '(1, 2, 0.5)', clip: 'False' });
    const x = nd.zeros([1, 3, 2, 3]);
    const expected = priors(2, 3, [0.2, 0.35], [1, 2, 0.5]);
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(file, ['data']);
      if (hybrid) net.hybridize();
      const y = net.call(x) as NDArray;
      assert.deepEqual(y.shape, [1, 2 * 3 * 4, 4]);
      assertClose(flat(y), expected, `anchors (hybridized: ${hybrid})`, 1e-6, 1e-6);
    }
  });

  it('_contrib_box_nms replays eagerly and hybridized: kept rows by score, the overlapped one of its class suppressed (-1)', () => {
    const file = oneOpFile(dir, '_contrib_box_nms', { overlap_thresh: '0.5', coord_start: '2', score_index: '1', id_index: '0', force_suppress: 'False' });
    // [id, score, x1, y1, x2, y2]: rows 0 and 1 overlap (IoU 81/100 > 0.5, same class), row 2 is another class on row 0.
    const data = nd.array([[[0, 0.6, 0, 0, 10, 10], [0, 0.9, 1, 1, 10, 10], [1, 0.7, 0, 0, 10, 10]]]);
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(file, ['data']);
      if (hybrid) net.hybridize();
      const y = net.call(data) as NDArray;
      assert.deepEqual(y.shape, [1, 3, 6]);
      assertClose(flat(y), [0, 0.9, 1, 1, 10, 10, 1, 0.7, 0, 0, 10, 10, -1, -1, -1, -1, -1, -1], `box_nms (hybridized: ${hybrid})`, 1e-6, 1e-6);
    }
  });
});
