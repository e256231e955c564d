/**
 * Checks for constructors that take Gluon's keyword arguments: the keyword
 * form of a layer must build the layer the positional form builds.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, random } from 'gluonc';

/** Nested arrays of every NDArray in `y` (outputs and states). */
function values(y: unknown): unknown {
  if (y instanceof nd.NDArray) return y.toArray();
  return Array.isArray(y) ? y.map(values) : y;
}

/** One layer's parameter names and shapes, and its output on `input()` (seeded, initialized, in training mode when `train`). */
export function layerRun(make: () => gluon.Block, input: () => unknown[], train = false): { params: [string, number[]][]; out: unknown } {
  random.seed(5);
  const block = make();
  block.initialize();
  const xs = input();
  const call = () => block.call(...(xs as nd.NDArray[])) as unknown;
  const out = values(train ? autograd.trainMode(call) : call());
  const params = block.collectParams().entries().map(([k, p]) => [k, [...p.shape]] as [string, number[]]);
  return { params, out };
}

/**
 * Asserts that every form in `forms` builds the layer `forms[0]` builds (same
 * parameter names and shapes, same output on the same seeded input), and
 * that `other` (the same class with a keyword's value left at its default or
 * changed) does not, so the keywords are shown to have been applied.
 *
 * ```ts
 * sameLayer([() => new nn.Dense(3), () => new nn.Dense({ units: 3 })], () => new nn.Dense(4), () => [nd.ones([2, 5])]);
 * ```
 */
export function sameLayer(forms: (() => gluon.Block)[], other: (() => gluon.Block) | null, input: () => unknown[], train = false): void {
  const ref = layerRun(forms[0]!, input, train);
  for (const [i, f] of forms.entries()) {
    if (i === 0) continue;
    assert.deepEqual(layerRun(f, input, train), ref, `form ${i} differs from form 0 (${String(f)})`);
  }
  if (other) assert.notDeepEqual(layerRun(other, input, train), ref, `the control ${String(other)} builds the same layer: the test could not fail`);
}
