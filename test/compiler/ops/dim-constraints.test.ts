/**
 * compiler/ops/dim-constraints.ts and graph-constraints.ts: a type rule's
 * need of a size is an OpError at a fixed size, recorded at a symbolic one
 * only while a collection runs, and an artifact's constraints keep what the
 * runtime can check from the inputs' dimension names: the strongest bound
 * of each size, nothing over a size the run cannot compute (a data-dependent
 * count such as `(nonzero)`).
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Node } from '../../../compiler/ir/node.js';
import type { Shape } from '../../../compiler/ir/types.js';
import { Value } from '../../../compiler/ir/value.js';
import { collectDimConstraints, requireDim } from '../../../compiler/ops/dim-constraints.js';
import { withScope } from '../../../compiler/ops/errors.js';
import { graphConstraints } from '../../../compiler/ops/graph-constraints.js';
import { inferOp } from '../../../compiler/ops/infer.js';
import { getOp } from '../../../compiler/ops/registry.js';

/** `x` through max poolings of the given kernels (stride = kernel), one node each, in block 'net'. */
function pools(shape: Shape, kernels: number[]): Graph {
  const x = Value.input('x', { dtype: 'float32', shape });
  let v = x;
  for (const k of kernels) {
    const def = getOp('Pooling');
    const { attrs, outTypes } = inferOp(def, [v.type], { ...def.attrs, kernel: [k, k], stride: [k, k], poolType: 'max' });
    v = Node.create('Pooling', [v], attrs, outTypes, 'net').outputs[0]!;
  }
  return Graph.fromOutputs([x], { y: v });
}

describe('compiler/ops/dim-constraints: what type rules need of symbolic sizes', () => {
  const need = (dim: string | number) => requireDim({ op: 'Probe', dim, cmp: '>=', value: 3, why: 'a test', fail: (v) => `${v} is below 3` });

  it('a fixed size is checked at once; a symbolic one is recorded only inside a collection, with its block', () => {
    assert.throws(() => need(2), /^OpError: Probe: 2 is below 3$/);
    need(3);
    need('H'); // outside a collection: passes, as tracing always did
    const got = collectDimConstraints(() => withScope('net', () => (need('H'), need(5))));
    assert.deepEqual(got, [{ dim: 'H', cmp: '>=', value: 3, message: "Probe in block 'net' needs H >= 3: a test" }]);
    assert.deepEqual(collectDimConstraints(() => requireDim({ op: 'split', dim: 'T', cmp: 'multipleOf', value: 3, why: 'three parts', fail: String })), [
      { dim: 'T', cmp: 'multipleOf', value: 3, message: 'split needs T to be a multiple of 3: three parts' },
    ]);
  });

  it("an artifact's constraints: one per size (the strongest), in node order, none over sizes the inputs do not name", () => {
    const g = pools([1, 1, 'H', 'W'], [2, 2, 3]);
    assert.deepEqual(graphConstraints(g).map((c) => `${c.dim} ${c.cmp} ${c.value}`), [
      'H >= 2', 'W >= 2', '(floor((H-2)/2)+1) >= 2', '(floor((W-2)/2)+1) >= 2', '(floor(((floor((H-2)/2)+1)-2)/2)+1) >= 3', '(floor(((floor((W-2)/2)+1)-2)/2)+1) >= 3',
    ]);
    // H >= 2 and H >= 5 on the same size: only H >= 5 (the message of the pooling that needs it).
    const x = Value.input('x', { dtype: 'float32', shape: [1, 1, 'H', 'H'] });
    const def = getOp('Pooling');
    const ys = [2, 5].map((k) => {
      const { attrs, outTypes } = inferOp(def, [x.type], { ...def.attrs, kernel: [k, k], poolType: 'avg' });
      return Node.create('Pooling', [x], attrs, outTypes, `p${k}`).outputs[0]!;
    });
    const cs = graphConstraints(Graph.fromOutputs([x], { a: ys[0]!, b: ys[1]! }));
    assert.deepEqual(cs.map((c) => c.message), ["Pooling (avg) in block 'p5' needs H >= 5: kernel [5, 5] must fit the input along spatial axis 0"]);
    // A size the run cannot compute from the inputs (a data-dependent count) is no constraint; fixed sizes make none.
    assert.deepEqual(graphConstraints(pools([1, 1, '(nonzero)', 'W'], [2])).map((c) => c.dim), ['W']);
    assert.deepEqual(graphConstraints(pools([1, 1, 4, 4], [2])), []);
  });
});
