import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, gluon } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';

const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);

/**
 * Creation operators whose dimensions come from the input at run time: every
 * form of dimension entry (`F.shapeArray` by axis and by a range, a 0-d bound
 * of arange, and an integer tensor computed from a shape, whose values are
 * read when the graph runs).
 * y[i][j] = (x[i][j] + 1 + j) * 2 + (T - 1 - j), for x of shape [N, T].
 */
class ShapeBlock extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    const n = F.shapeArray(x, { axis: 0 });
    const t = F.shapeArray(x, { axis: 1 });
    const z = F.zeros([n, t]); // [N, T]
    const o = F.ones([F.shapeArray(x, { begin: 0, end: 2 })]); // [N, T]
    const pos = F.arange(t); // [T]: 0..T-1
    const two = F.full([n, 1], 2); // [N, 1]
    const rev = F.arange(F.add(t, -1), -1, -1); // [T]: T-1..0 (a computed bound, read at run time)
    return F.add(F.mul(F.add(F.add(F.add(x, z), o), pos), two), rev);
  }
}

/** The formula above in float64. */
function reference(x: number[], n: number, t: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < t; j++) out.push((x[i * t + j]! + 1 + j) * 2 + (t - 1 - j));
  return out;
}

describe('SymbolBlock: creation operators with dimensions read from inputs', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-symblock-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('zeros/ones/full/arange over F.shapeArray dimensions read back equal the block at two (N, T), eager and hybridized', () => {
    const net = new ShapeBlock();
    const file = path.join(dir, 'shape.onnx');
    net.export(file, { inputs: { x: { shape: ['N', 'T'] } } });
    const back = gluon.SymbolBlock.imports(file);
    const ops = back.graph.nodes.map((n) => n.op);
    for (const op of ['zeros', 'ones', 'full', 'arange']) assert.ok(ops.includes(op), `the artifact keeps '${op}' (got ${ops.join(', ')})`);
    for (const hybrid of [false, true]) {
      back.hybridize(hybrid);
      for (const [n, t] of [[2, 3], [4, 1], [3, 5]] as const) {
        const x = nd.random.uniform(-1, 1, [n, t]);
        const want = reference(vals(x), n, t);
        assertClose(vals(net.call(x)), want, `the block at [${n}, ${t}]`, 1e-5, 1e-6);
        const got = back.call(x);
        assert.deepEqual(got.shape, [n, t]);
        assertClose(vals(got), want, `SymbolBlock.imports at [${n}, ${t}]${hybrid ? ', hybridized' : ''}`, 1e-5, 1e-6);
      }
    }
  });
});

describe('gluon/SymbolBlock of an imported graph with constants', () => {
  it("traces the graph's constants as constant symbols: Gather of constant indices hybridized equals indexing the input", async () => {
    const { readModel } = await import('../../../compiler/onnx/index.js');
    const { SymbolBlock } = await import('../../../compiler/gluon/symbol-block.js');
    const { model, data } = await import('../onnx/ort-compare.js');
    const { tensorFromNumbers, tensorToNumbers } = await import('../../../runtime/tensor.js');
    const { NDArray } = await import('../../../compiler/engine/ndarray.js');
    const x = data([3, 2]);
    const xs = tensorToNumbers(x);
    for (const [idx, rows] of [[tensorFromNumbers('int64', [], [1]), [1]], [tensorFromNumbers('int64', [2], [2, 0]), [2, 0]]] as const) {
      const { graph } = readModel(model([{ opType: 'Gather', input: ['x', 'i'], output: ['y'] }], [['x', [3, 2]]], [['y', 'float32']], [['i', idx]]));
      const want = rows.flatMap((r) => xs.slice(r * 2, r * 2 + 2));
      for (const hybrid of [false, true]) {
        const b = new SymbolBlock(graph);
        if (hybrid) b.hybridize();
        const y = b.call(new NDArray(x)) as InstanceType<typeof NDArray>;
        assert.deepEqual(vals(y), want, `${hybrid ? 'hybridized' : 'eager'}, indices ${rows}`);
      }
    }
  });
});
