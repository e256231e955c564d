/**
 * Gradients at ties and kinks, where finite differences say nothing: the
 * subgradient each rule picks, against PyTorch's (2.13, float64), which for
 * relu, abs, clip, the leaky family and max pooling is also MXNet's; for
 * ties of maximum/minimum and of max/min reductions PyTorch (and JAX) split
 * the gradient equally where MXNet gives it to one side or to every tied
 * position. The expected values were printed by, e.g.:
 *
 * ```py
 * x = torch.tensor([-1., 0., 1.], dtype=torch.float64, requires_grad=True)
 * torch.relu(x).sum().backward(); x.grad  # [0, 0, 1]
 * ```
 *
 * Each case runs on the eager tape (`autograd`) and as a gradient graph
 * (`sym` + reverse mode), so both backends of the one rule are pinned.
 */
import assert from 'node:assert/strict';
import { autograd, nd, sym } from 'gluonc';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { evalSymbols } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { Symbol } from '../../../compiler/trace/symbol.js';

type Nested = number | Nested[];

interface Kink {
  label: string;
  /** The function, written against F (nd or sym). */
  f: (F: any, ...xs: any[]) => any;
  inputs: Nested[];
  /** PyTorch's gradient of sum(f(...)) with respect to each input. */
  want: Nested[];
}

const E = Math.exp(-1);

const KINKS: Kink[] = [
  { label: 'relu at 0 gets 0', f: (F, x) => F.relu(x), inputs: [[-1, 0, 1]], want: [[0, 0, 1]] },
  { label: "Activation('relu') at 0 gets 0", f: (F, x) => F.Activation(x, { actType: 'relu' }), inputs: [[-1, 0, 1]], want: [[0, 0, 1]] },
  { label: 'abs at 0 gets 0', f: (F, x) => F.abs(x), inputs: [[-1, 0, 1]], want: [[-1, 0, 1]] },
  { label: 'maximum ties split half and half', f: (F, a, b) => F.maximum(a, b), inputs: [[1, 2, 3], [1, 1, 3]], want: [[0.5, 1, 0.5], [0.5, 0, 0.5]] },
  { label: 'minimum ties split half and half', f: (F, a, b) => F.minimum(a, b), inputs: [[1, 2, 3], [1, 1, 3]], want: [[0.5, 0, 0.5], [0.5, 1, 0.5]] },
  { label: 'max over all: tied maxima share the gradient equally', f: (F, x) => F.max(x), inputs: [[3, 1, 3, 2]], want: [[0.5, 0, 0.5, 0]] },
  { label: 'max over an axis: ties share per row', f: (F, x) => F.max(x, { axis: 1 }), inputs: [[[3, 1, 3], [0, 5, 5]]], want: [[[0.5, 0, 0.5], [0, 0.5, 0.5]]] },
  { label: 'min over all: tied minima share the gradient equally', f: (F, x) => F.min(x), inputs: [[1, 1, 3, 2]], want: [[0.5, 0.5, 0, 0]] },
  { label: 'clip passes the gradient at both bounds', f: (F, x) => F.clip(x, 0, 1), inputs: [[-0.5, 0, 0.5, 1, 1.5]], want: [[0, 1, 1, 1, 0]] },
  { label: 'leaky relu at 0 takes the slope', f: (F, x) => F.LeakyReLU(x, { actType: 'leaky', slope: 0.1 }), inputs: [[-1, 0, 1]], want: [[0.1, 0.1, 1]] },
  { label: 'elu at 0 takes alpha', f: (F, x) => F.LeakyReLU(x, { actType: 'elu', slope: 0.5 }), inputs: [[-1, 0, 1]], want: [[0.5 * E, 0.5, 1]] },
  { label: 'selu at 0 takes lambda·alpha', f: (F, x) => F.LeakyReLU(x, { actType: 'selu' }), inputs: [[0]], want: [[1.7580993408473766]] },
  { label: 'prelu at 0 takes gamma; gamma gets sum(x) below 0', f: (F, x, g) => F.LeakyReLU(x, g, { actType: 'prelu' }), inputs: [[[0, -1, 2]], [0.25]], want: [[[0.25, 0.25, 1]], [-1]] },
  { label: 'the L2 norm of zeros gets 0', f: (F, x) => F.norm(x), inputs: [[0, 0]], want: [[0, 0]] },
  { label: 'the L1 norm at 0 gets 0', f: (F, x) => F.norm(x, { ord: 1 }), inputs: [[0, 1, -2]], want: [[0, 1, -1]] },
  { label: 'max pooling routes a tied window to its first maximum', f: (F, x) => F.Pooling(x, { kernel: [2], stride: [2], poolType: 'max' }), inputs: [[[[2, 2, 1, 3]]]], want: [[[[1, 0, 0, 1]]]] },
  { label: 'max pooling 2x2: tied windows route to their first maximum in row-major order', f: (F, x) => F.Pooling(x, { kernel: [2, 2], stride: [2, 2], poolType: 'max' }), inputs: [[[[[1, 1, 0, 5], [1, 1, 5, 5]]]]], want: [[[[[1, 0, 0, 1], [0, 0, 0, 0]]]]] },
  { label: 'softsign at 0 has slope 1', f: (F, x) => F.Activation(x, { actType: 'softsign' }), inputs: [[0]], want: [[1]] },
  // NaN positions get 0 (MXNet's nansum_grad / nanprod_grad; torch.nansum, and torch.prod of where(isnan, 1, x)).
  { label: 'nansum: NaN positions get 0', f: (F, x) => F.nansum(x, { axis: 1 }), inputs: [[[1, NaN, 2], [NaN, 3, 0]]], want: [[[1, 0, 1], [0, 1, 1]]] },
  { label: 'nanprod: NaN positions get 0, a zero the product of the others', f: (F, x) => F.nanprod(x, { axis: 1 }), inputs: [[[1, NaN, 2], [NaN, 3, 0]]], want: [[[2, 0, 1], [0, 0, 3]]] },
];

const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

function close(got: NDArray | null | undefined, want: Nested, what: string): void {
  assert.ok(got, `${what}: no gradient`);
  const g = flat(got.toArray() as Nested);
  const w = flat(want);
  assert.equal(g.length, w.length, `${what}: ${g.length} values, want ${w.length}`);
  g.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-12, `${what}: [${g.join(', ')}] vs PyTorch's [${w.join(', ')}]`));
}

describe('gradients at ties and kinks (PyTorch subgradients)', () => {
  for (const k of KINKS) {
    it(`${k.label} (eager tape)`, () => {
      const xs = k.inputs.map((v) => nd.array(v, { dtype: 'float64' }));
      for (const x of xs) x.attachGrad();
      autograd.record(() => nd.sum(k.f(nd, ...xs))).backward();
      xs.forEach((x, i) => close(x.grad, k.want[i]!, `${k.label}, input ${i}`));
    });

    it(`${k.label} (gradient graph)`, () => {
      const arrays = k.inputs.map((v) => nd.array(v, { dtype: 'float64' }));
      const vars = arrays.map((a, i) => sym.var(`x${i}`, { shape: a.shape, dtype: 'float64' }));
      const head = sym.var('head', { shape: [], dtype: 'float64' });
      const y = sym.sum(k.f(sym, ...vars));
      const grads = gradients([y.value], vars.map((v) => v.value), [head.value]);
      const bindings: Record<string, unknown> = { head: nd.full([], 1, { dtype: 'float64' }) };
      arrays.forEach((a, i) => (bindings[`x${i}`] = a));
      grads.forEach((g, i) => {
        assert.ok(g, `${k.label}: no gradient graph for input ${i}`);
        const used = new Set(new Symbol(g).listArguments());
        const [value] = evalSymbols([new Symbol(g)], Object.fromEntries(Object.entries(bindings).filter(([n]) => used.has(n)))) as NDArray[];
        close(value, k.want[i]!, `${k.label}, input ${i}`);
      });
    });
  }
});
