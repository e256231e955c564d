/** Checks shared by the layer tests. */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, random } from 'gluonc';
import { assertClose } from './compare.js';
import { numpyRefs } from './numpy.js';

/** The forward of a `Probe`: one input, one output. */
export type Fwd = (F: gluon.F, x: gluon.Tensor) => gluon.Tensor;

/**
 * A block computing `f` of its inputs (F = sym once hybridized; one output
 * or a list). Example: `opBlock((F, x, w) => F.Convolution(x, w, null, [3, 3], 4))`.
 */
export function opBlock(f: (F: any, ...t: any[]) => any): gluon.HybridBlock {
  class Op extends gluon.HybridBlock {
    override hybridForward(F: gluon.F, ...args: any[]) {
      args.pop();
      return f(F, ...args);
    }
  }
  return new Op();
}

/** `f` of `xs` through a hybridized Gluon 2.x block (`forward`, traced). Example: `hybridCall((x) => np.pad(x, 1), x)`. */
export function hybridCall(f: (...x: nd.NDArray[]) => nd.NDArray, ...xs: nd.NDArray[]): nd.NDArray {
  class Fn extends gluon.HybridBlock {
    override forward(...a: nd.NDArray[]) {
      return f(...a);
    }
  }
  const b = new Fn();
  b.hybridize();
  return b.call(...xs) as nd.NDArray;
}

/** A block whose forward is `fwd` (messages name its block 'Probe'). Example: `new Probe((F, x) => F.relu(x))`. */
export class Probe extends gluon.HybridBlock {
  constructor(readonly fwd: Fwd) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return this.fwd(F, x);
  }
}

/**
 * Runs `block` eagerly, then hybridized, on each input; asserts they agree
 * (and that each input shape compiled once) and returns the eager outputs.
 */
export function eagerVsHybrid(block: gluon.HybridBlock, inputs: nd.NDArray[], what: string, rtol = 1e-5, atol = 1e-6): nd.NDArray[] {
  const eager = inputs.map((x) => block.call(x) as nd.NDArray);
  block.hybridize();
  inputs.forEach((x, i) => {
    const h = block.call(x) as nd.NDArray;
    assert.deepEqual(h.shape, eager[i]!.shape, `${what}: hybridized shape`);
    assertClose(h.data() as Float32Array, eager[i]!.data() as Float32Array, `${what}: hybridized vs eager, input ${i}`, rtol, atol);
  });
  assert.equal(block.cacheSize, new Set(inputs.map((x) => x.shape.join())).size, `${what}: one compiled signature per input shape`);
  block.hybridize(false);
  return eager;
}

/** One case of `gradsVsTorch`: a layer, an input shape, and the PyTorch expression of its output. */
export interface TorchGradCase {
  what: string;
  make: () => gluon.HybridBlock;
  shape: number[];
  /** A PyTorch float64 expression of the output from `x` and the layer's parameters by name (`gamma`, `running_mean`, ...). */
  torch: string;
  /** Run in training mode (default false). */
  train?: boolean;
}

/**
 * For each case: initializes the layer, sets every parameter to a random
 * value (variances positive), runs it eagerly and hybridized under
 * `autograd.record` with a random head gradient, and compares the output and
 * the gradients of the input and of every trained parameter with PyTorch's
 * float64 autograd of `torch` from the same values.
 */
export function gradsVsTorch(cases: TorchGradCase[]): void {
  const flat = (a: nd.NDArray) => Array.from(a.data() as Float32Array, Number);
  const runs = cases.map((c) => [false, true].map((hybrid) => {
    random.seed(21);
    const layer = c.make();
    layer.initialize();
    const x = nd.random.uniform(-1, 1, c.shape);
    layer.call(x); // solves deferred shapes (prediction mode: no statistics change)
    const params = layer.collectParams().entries();
    for (const [name, p] of params) p.setData(nd.random.uniform(name.endsWith('var') ? 0.5 : -1, 1.5, p.shape));
    const values = params.map(([name, p]) => [name.split('.').pop()!, p.data().copy()] as const);
    if (hybrid) layer.hybridize();
    x.attachGrad();
    const y = autograd.record(() => layer.call(x) as nd.NDArray, { trainMode: !!c.train });
    const head = nd.random.uniform(-1, 1, y.shape);
    y.backward(head);
    const trained = params.filter(([, p]) => p.gradReq !== 'null').map(([n, p]) => [n.split('.').pop()!, p.grad()] as const);
    return { x, y, head, values, grads: [['x', x.grad!] as const, ...trained] };
  }));
  const refs = numpyRefs(cases.map((c, i) => {
    const r = runs[i]![0]!;
    const ins = [['x', r.x], ['head', r.head], ...r.values] as const;
    const names = ins.map(([n]) => n);
    return {
      code: 'import torch\nimport torch.nn.functional as F\n'
        + `G = ${JSON.stringify(r.grads.map(([n]) => n))}\n`
        + `T = {k: torch.tensor(v, requires_grad=k in G) for k, v in zip(${JSON.stringify(names)}, [globals()[v] for v in "abcdefgh"[:${ins.length}]])}\n`
        + `globals().update(T)\ny = ${c.torch}\n(y * head).sum().backward()\nout = [y.detach().numpy()] + [T[k].grad.numpy() for k in G]`,
      inputs: ins.map(([, t]) => ({ shape: t.shape, dtype: 'float64', data: flat(t) })),
    };
  }));
  cases.forEach((c, i) => {
    assert.equal(refs[i]!.error, undefined, `${c.what}: ${refs[i]!.error}`);
    runs[i]!.forEach((r, k) => {
      const tag = `${c.what}${k === 1 ? ' (hybridized)' : ''}`;
      assertClose(flat(r.y), refs[i]!.outs[0]!.data, `${tag}: output`, 1e-4, 1e-5);
      r.grads.forEach(([n, g], j) => assertClose(flat(g), refs[i]!.outs[j + 1]!.data, `${tag}: gradient of ${n}`, 1e-4, 1e-5));
    });
  });
}
