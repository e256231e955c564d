/**
 * Dropout's gradient reuses the forward mask: its rule re-applies Dropout to
 * the output gradient with the node's attributes, seed included. Eagerly the
 * kernel's draws are a function of the seed; compiled, two RandomUniformLike
 * nodes with one seed draw one sequence (in one graph and across runs).
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import type { GradCtx } from '../../../compiler/ops/define.js';
import { Dropout, type DropoutOptions } from '../../../compiler/ops/nn.js';
import type { Tensor } from '../../../compiler/ops/tensor.js';
import { evalSymbols } from '../../../compiler/compile.js';
import { type Symbol } from '../../../compiler/trace/symbol.js';

const vals = (y: NDArray): number[] => Array.from(y.data() as Float32Array);

/** The rule's gradient for a forward Dropout output `y` of `x` with the node's attributes. */
function ruleGrad(F: unknown, x: unknown, y: unknown, g: unknown, attrs: GradCtx['attrs']): unknown {
  const ctx = { inputs: [x], outputs: [y], attrs, inTypes: [], outTypes: [] } as unknown as GradCtx;
  return Dropout.grad!(F as never, ctx, [g as Tensor])[0];
}

const ACTIVE: DropoutOptions[] = [{ training: true }, { p: 0.3, mode: 'always' }, { training: true, axes: [1] }];

/** Asserts that `dx` (for g = ones) is the forward mask of `y` (for x = ones), and that the mask is not trivial. */
function sameMask(y: number[], dx: number[], what: string): void {
  assert.deepEqual(dx, y, `${what}: the gradient's mask differs from the forward mask`);
  const zeros = y.filter((v) => v === 0).length;
  assert.ok(zeros > 0 && zeros < y.length, `${what}: the mask drops ${zeros} of ${y.length}`);
}

describe('Dropout gradient mask', () => {
  it('is the forward mask eagerly (kernel draws from the seed)', () => {
    for (const opts of ACTIVE) {
      const x = nd.ones([40, 60]);
      const attrs: DropoutOptions = { p: 0.5, mode: 'training', axes: [], training: null, seed: 12345, ...opts };
      const y = nd.Dropout(x, attrs);
      const dx = ruleGrad(nd, x, y, nd.ones([40, 60]), attrs as GradCtx['attrs']) as NDArray;
      sameMask(vals(y), vals(dx), `eager ${JSON.stringify(opts)}`);
    }
  });

  it('is the forward mask in a compiled graph holding both (RandomUniformLike with one seed)', () => {
    for (const opts of ACTIVE) {
      const x = sym.var('x', { shape: ['N', 50] });
      const g = sym.var('g', { shape: ['N', 50] });
      // No seed given: the forward node draws one, and the rule reads it from the node's attributes.
      const y = sym.Dropout(x, opts) as Symbol;
      const dx = ruleGrad(sym, x, y, g, y.value.producer!.attrs) as Symbol;
      for (let run = 0; run < 2; run++) {
        const [yv, dxv] = evalSymbols([y, dx], { x: nd.ones([30, 50]), g: nd.ones([30, 50]) }) as NDArray[];
        sameMask(vals(yv!), vals(dxv!), `compiled ${JSON.stringify(opts)}, run ${run}`);
      }
    }
  });

  it('scales the gradient like the forward values', () => {
    const x = nd.random.uniform(-1, 1, [20, 30]);
    const g = nd.random.uniform(-1, 1, [20, 30]);
    const attrs: DropoutOptions = { p: 0.4, mode: 'training', axes: [], training: true, seed: 99 };
    const keep = vals(nd.Dropout(nd.ones([20, 30]), attrs));
    const dx = vals(ruleGrad(nd, x, nd.Dropout(x, attrs), g, attrs as GradCtx['attrs']) as NDArray);
    const gv = vals(g);
    dx.forEach((v, i) => assert.ok(Math.abs(v - gv[i]! * keep[i]!) < 1e-6, `element ${i}: ${v} vs ${gv[i]! * keep[i]!}`));
  });
});
