/**
 * `scatterReduce` (compiler/ops/scatter-reduce.ts) beyond its table entry: values and gradients against
 * PyTorch's `Tensor.scatter_reduce(dim, index, src, reduce, include_self=True)` in float64 — fixed samples with
 * ties among the updates and with the data (amax/amin split the gradient evenly among every tied element), zeros
 * in prod (one zero at a position, two, and a zero in the data), repeated and unaddressed positions, negative
 * indices wrapped and out-of-range ones clipped (given to torch already fixed) — and random ones; on the eager
 * tape (kernel and one-node session), as a gradient graph (concrete and symbolic first axes), and in a hybridized block. The opsets it needs
 * (16 for prod, 18 for amax/amin) and the refusals by name.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, sym } from 'gluonc';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { evalSymbols } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { emitModel } from '../../../compiler/onnx/emit.js';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import { graphOf, Symbol } from '../../../compiler/trace/symbol.js';
import { pythonJson } from '../../helpers/python-json.js';

type Reduce = 'prod' | 'amax' | 'amin';

interface Case {
  label: string;
  reduce: Reduce;
  axis: number;
  mode?: 'clip' | 'wrap';
  data: { shape: number[]; values: number[] };
  index: { shape: number[]; values: number[] };
  updates: number[];
  /** The index as torch takes it (negative ones wrapped, out-of-range ones clipped); default `index`. */
  torchIndex?: number[];
}

/** A deterministic pseudo-random sequence (a linear congruential generator), rounded to 1/8 where asked. */
function seq(n: number, seed: number, lo: number, hi: number, round = false): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = lo + ((hi - lo) * s) / 2 ** 32;
    return round ? Math.round(v * 8) / 8 : v;
  });
}

const CASES: Case[] = [
  {
    label: 'amax: data ties two updates at 0, one update wins at 1, data wins at 2, 3 unaddressed',
    reduce: 'amax',
    axis: 0,
    data: { shape: [4], values: [3, 1, 5, 2] },
    index: { shape: [6], values: [0, 0, 1, 1, 2, 0] },
    updates: [3, 3, 4, 0, 2, 1],
  },
  {
    label: 'amin along axis 1: ties among updates only, with the data, and a repeated winner',
    reduce: 'amin',
    axis: 1,
    data: { shape: [2, 3], values: [5, 0, 2, -1, 4, 4] },
    index: { shape: [2, 4], values: [0, 0, 2, 1, 1, 1, 2, 0] },
    updates: [1, 1, 2, 0, 4, 6, 4, -1],
  },
  {
    label: 'prod: one zero update, two zero updates, a zero in the data, repeats and an unaddressed position',
    reduce: 'prod',
    axis: 0,
    data: { shape: [5, 2], values: [2, 3, 0, 1.5, -1, 4, 2, 0, 7, 8] },
    index: { shape: [6, 2], values: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3] },
    updates: [0, 2, 5, 0, 3, 0.5, 0, 0, 4, -2, 0.25, 1],
  },
  {
    label: 'amax: negative indices wrapped',
    reduce: 'amax',
    axis: -1,
    mode: 'wrap',
    data: { shape: [2, 3], values: [0, 0, 0, 1, 2, 3] },
    index: { shape: [2, 3], values: [-1, 2, -3, -2, 1, 4] },
    updates: [5, 5, -1, 2, 2, 9],
    torchIndex: [2, 2, 0, 1, 1, 1],
  },
  {
    label: 'amin: out-of-range indices clipped',
    reduce: 'amin',
    axis: 0,
    mode: 'clip',
    data: { shape: [3], values: [1, 2, 3] },
    index: { shape: [4], values: [-5, 7, 2, 1] },
    updates: [0.5, 2.5, 3, 2],
    torchIndex: [0, 2, 2, 1],
  },
  ...(['prod', 'amax', 'amin'] as const).map((reduce, r): Case => ({
    label: `${reduce}: random 3-d along axis 1, an index shorter than the data off the axis`,
    reduce,
    axis: 1,
    data: { shape: [2, 4, 3], values: seq(24, 11 + r, -2, 2) },
    index: { shape: [2, 6, 2], values: seq(24, 29 + r, 0, 4).map(Math.floor) },
    updates: seq(24, 47 + r, -2, 2),
  })),
  {
    label: 'amax: random values on a grid of eighths (ties by chance)',
    reduce: 'amax',
    axis: 0,
    data: { shape: [3, 4], values: seq(12, 5, -1, 1, true) },
    index: { shape: [8, 4], values: seq(32, 6, 0, 3).map(Math.floor) },
    updates: seq(32, 7, -1, 1, true),
  },
];

/** The upstream gradient for a case: fixed values, not all equal. */
const head = (c: Case): number[] => seq(c.data.values.length, 99, -1.5, 1.5);

interface TorchResult {
  out: number[];
  gData: number[];
  gUpdates: number[];
}

/** PyTorch's values and gradients (of sum(out * head)) for every case, in float64. */
function torchResults(): TorchResult[] {
  const script = `
import json, sys, torch
res = []
for c in json.load(sys.stdin):
    d = torch.tensor(c['data'], dtype=torch.float64).reshape(c['dshape']).requires_grad_()
    u = torch.tensor(c['updates'], dtype=torch.float64).reshape(c['ishape']).requires_grad_()
    i = torch.tensor(c['index'], dtype=torch.int64).reshape(c['ishape'])
    out = d.scatter_reduce(c['axis'], i, u, c['reduce'], include_self=True)
    (out * torch.tensor(c['head'], dtype=torch.float64).reshape(c['dshape'])).sum().backward()
    res.append({'out': out.flatten().tolist(), 'gData': d.grad.flatten().tolist(), 'gUpdates': u.grad.flatten().tolist()})
print(json.dumps(res))`;
  const input = CASES.map((c) => ({
    data: c.data.values,
    dshape: c.data.shape,
    updates: c.updates,
    index: c.torchIndex ?? c.index.values,
    ishape: c.index.shape,
    axis: c.axis,
    reduce: c.reduce,
    head: head(c),
  }));
  return pythonJson<TorchResult[]>(script, input);
}

function close(got: NDArray | null | undefined, want: number[], what: string): void {
  assert.ok(got, `${what}: none`);
  const g = Array.from(got.toArray() as number[]).flat(8) as number[];
  assert.equal(g.length, want.length, `${what}: ${g.length} values, want ${want.length}`);
  g.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-12 * Math.max(1, Math.abs(want[i]!)), `${what}: [${g.join(', ')}] vs PyTorch's [${want.join(', ')}]`));
}

const arrays = (c: Case) => [
  nd.array(c.data.values, { dtype: 'float64' }).reshape(c.data.shape),
  nd.array(c.index.values, { dtype: 'int64' }).reshape(c.index.shape),
  nd.array(c.updates, { dtype: 'float64' }).reshape(c.index.shape),
] as [NDArray, NDArray, NDArray];

const opts = (c: Case) => ({ axis: c.axis, reduce: c.reduce, mode: c.mode ?? 'clip' });

describe('scatterReduce against torch.scatter_reduce (include_self=True, float64)', () => {
  let want: TorchResult[] = [];
  before(() => (want = torchResults()));

  CASES.forEach((c, k) => {
    it(`${c.label}: eager (kernel and session), values and gradients`, () => {
      for (const threshold of [Infinity, 0]) {
        const path = threshold === 0 ? 'eager session' : 'eager kernel';
        const old = setKernelThreshold(threshold);
        try {
          const [d, i, u] = arrays(c);
          d.attachGrad();
          u.attachGrad();
          const g = nd.array(head(c), { dtype: 'float64' }).reshape(c.data.shape);
          let out: NDArray | undefined;
          autograd.record(() => {
            out = nd.scatterReduce(d, i, u, opts(c));
            return nd.sum(nd.mul(out, g));
          }).backward();
          close(out, want[k]!.out, `${path} values`);
          close(d.grad, want[k]!.gData, `${path} data gradient`);
          close(u.grad, want[k]!.gUpdates, `${path} updates gradient`);
        } finally {
          setKernelThreshold(old);
        }
      }
    });

    for (const symbolic of [false, true]) it(`${c.label}: gradient graph (compiled, onnxruntime)${symbolic ? ', the first axes symbolic' : ''}`, () => {
      const [d, i, u] = arrays(c);
      const dShape = symbolic ? ['N', ...c.data.shape.slice(1)] : c.data.shape;
      const iShape = symbolic ? ['E', ...c.index.shape.slice(1)] : c.index.shape;
      const vd = sym.var('d', { shape: dShape, dtype: 'float64' });
      const vi = sym.var('i', { shape: iShape, dtype: 'int64' });
      const vu = sym.var('u', { shape: iShape, dtype: 'float64' });
      const vg = sym.var('g', { shape: dShape, dtype: 'float64' });
      const out = sym.scatterReduce(vd, vi, vu, opts(c));
      const one = sym.var('one', { shape: [], dtype: 'float64' });
      const [gd, gu] = gradients([sym.sum(sym.mul(out, vg)).value], [vd.value, vu.value], [one.value]);
      const bindings: Record<string, NDArray> = { d, i, u, g: nd.array(head(c), { dtype: 'float64' }).reshape(c.data.shape), one: nd.full([], 1, { dtype: 'float64' }) };
      const run = (s: Symbol) => {
        const used = new Set(s.listArguments());
        return (evalSymbols([s], Object.fromEntries(Object.entries(bindings).filter(([n]) => used.has(n)))) as NDArray[])[0];
      };
      close(run(out), want[k]!.out, 'compiled values');
      close(run(new Symbol(gd!)), want[k]!.gData, 'compiled data gradient');
      close(run(new Symbol(gu!)), want[k]!.gUpdates, 'compiled updates gradient');
    });
  });

  it('hybridized block (index an input of the graph): values and gradients of every fixed sample', () => {
    CASES.slice(0, 5).forEach((c, k) => {
      const net = new gluon.nn.HybridLambda((F: gluon.F, d: gluon.Tensor, i: gluon.Tensor, u: gluon.Tensor) => F.scatterReduce(d, i, u, opts(c)));
      net.hybridize();
      const [d, i, u] = arrays(c);
      d.attachGrad();
      u.attachGrad();
      const g = nd.array(head(c), { dtype: 'float64' }).reshape(c.data.shape);
      autograd.record(() => nd.sum(nd.mul(net.call(d, i, u) as NDArray, g))).backward();
      close(net.call(d, i, u) as NDArray, want[k]!.out, `${c.label}: hybridized values`);
      close(d.grad, want[k]!.gData, `${c.label}: hybridized data gradient`);
      close(u.grad, want[k]!.gUpdates, `${c.label}: hybridized updates gradient`);
    });
  });
});

describe('scatterReduce opsets and refusals', () => {
  const x = () => sym.var('x', { shape: [3, 2], dtype: 'float32' });
  const ix = () => sym.var('i', { shape: [4, 2], dtype: 'int64' });
  const up = () => sym.var('u', { shape: [4, 2], dtype: 'float32' });

  it("prod needs opset 16 (ONNX ScatterElements reduction='mul'), amax and amin 18 ('max'/'min')", () => {
    const prod = graphOf(sym.scatterReduce(x(), ix(), up(), { reduce: 'prod' }));
    emitModel(prod, { opset: 16 });
    assert.throws(() => emitModel(prod, { opset: 15 }), /^Error: opset 15 is too low: scatterReduce needs opset 16$/);
    for (const [reduce, onnxName] of [['amax', 'max'], ['amin', 'min']] as const) {
      const g = graphOf(sym.scatterReduce(x(), ix(), up(), { reduce }));
      emitModel(g, { opset: 18 });
      assert.throws(() => emitModel(g, { opset: 17 }), (e: Error) => e.message.startsWith(`scatterReduce: reduce '${reduce}' needs opset 18 (ONNX ScatterElements with reduction='${onnxName}'), the graph is written at opset 17`));
    }
  });

  it('bad inputs give Errors naming scatterReduce', () => {
    const d = nd.zeros([3, 2]);
    const i = nd.zeros([4, 2], { dtype: 'int64' });
    const u = nd.ones([4, 2]);
    const bad: [() => unknown, RegExp][] = [
      [() => nd.scatterReduce(d, nd.zeros([8], { dtype: 'int64' }), nd.ones([8]), { reduce: 'amax' }), /^scatterReduce: index \[8\] and updates \[8\] must have one shape, of the data's rank 2/],
      [() => nd.scatterReduce(d, i, nd.ones([4, 1]), { reduce: 'amax' }), /^scatterReduce: index \[4,\s?2\] and updates \[4,\s?1\] must have one shape/],
      [() => nd.scatterReduce(d, nd.zeros([2, 3], { dtype: 'int64' }), nd.ones([2, 3]), { reduce: 'amin' }), /^scatterReduce: .*no longer than the data \[3,\s?2\] off axis 0/],
      [() => nd.scatterReduce(d, i, u, { axis: 2, reduce: 'prod' }), /^scatterReduce: .*axis 2/],
      [() => nd.scatterReduce(d, i, u, { reduce: 'max' as 'prod' }), /^scatterReduce: reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got "max"/],
      [() => nd.scatterReduce(d, i, u, { reduce: 'sum', includeSelf: 0 as unknown as boolean }), /^scatterReduce: includeSelf must be true or false, got 0/],
      [() => nd.scatterReduce(d, i, u, { reduce: 'prod', mode: 'raise' as 'clip' }), /^scatterReduce: mode must be 'clip' or 'wrap'/],
      [() => nd.scatterReduce(d, nd.zeros([4, 2], { dtype: 'bool' }), u, { reduce: 'prod' }), /^scatterReduce: index must hold numbers, not bool/],
      [() => nd.scatterReduce(d, i, nd.ones([4, 2], { dtype: 'float64' }), { reduce: 'prod' }), /^scatterReduce: /],
      [() => nd.scatterReduce(nd.zeros([3, 2], { dtype: 'bool' }), i, nd.zeros([4, 2], { dtype: 'bool' }), { reduce: 'amax' }), /^scatterReduce: /],
    ];
    for (const [f, re] of bad) assert.throws(f, (e: Error) => e instanceof Error && re.test(e.message), String(re));
  });
});
