/**
 * `scatterReduce` with reduce 'sum' and 'mean' and `includeSelf: false` (compiler/ops/scatter-reduce.ts), every
 * (reduce, includeSelf) pair against PyTorch's `Tensor.scatter_reduce(dim, index, src, reduce, include_self)`:
 * float64 values and gradients on fixed samples (ties among the updates and with the data, zeros in prod, one
 * position hit by two zeros and one by one, repeated and unaddressed positions, negative indices wrapped) and
 * random ones, on the eager tape (kernel and one-node session), as a compiled gradient graph (concrete and
 * symbolic first axes), hybridized, and exported (onnx.checker, python's onnxruntime on the file). The one case
 * where the gradient leaves PyTorch's on purpose — amax/amin without includeSelf where the excluded data value
 * equals the result (PyTorch still counts it among the ties) — against central differences of torch's forward.
 * int32/int64 values (the mean rounded down, the identities of amax/amin at the integer extremes) on every path.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd, sym } from 'gluonc';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { evalSymbols } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { emitModel } from '../../../compiler/onnx/emit.js';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import { graphOf, Symbol } from '../../../compiler/trace/symbol.js';
import { pythonJson } from '../../helpers/python-json.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

type Reduce = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
const REDUCES: Reduce[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

interface Case {
  label: string;
  reduce: Reduce;
  includeSelf: boolean;
  axis: number;
  mode?: 'clip' | 'wrap';
  dtype?: 'float64' | 'int32' | 'int64';
  data: { shape: number[]; values: number[] };
  index: { shape: number[]; values: number[] };
  updates: number[];
  /** The index as torch takes it (negative ones wrapped); default `index`. */
  torchIndex?: number[];
  /** Gradients against central differences of torch's forward instead of torch's autograd. */
  fd?: boolean;
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

const both = (f: (reduce: Reduce, includeSelf: boolean, k: number) => Case): Case[] =>
  REDUCES.flatMap((reduce, r) => [true, false].map((inc, s) => f(reduce, inc, 2 * r + s)));

const CASES: Case[] = [
  // Position 0: updates 3, 3, 1 (a tie) and data 7; 1: updates 4, 0, 0 (two zeros); 2: a zero in the data, one
  // update; 3 and 5 unaddressed; 4: updates 0, -2 (one zero). No excluded data value equals its result.
  ...both((reduce, includeSelf) => ({
    label: `${reduce}, includeSelf ${includeSelf}: fixed 1-D sample`,
    reduce,
    includeSelf,
    axis: 0,
    data: { shape: [6], values: [7, 1, 0, 2, -1, 4] },
    index: { shape: [9], values: [0, 0, 1, 1, 2, 0, 4, 4, 1] },
    updates: [3, 3, 4, 0, 2, 1, 0, -2, 0],
  })),
  ...both((reduce, includeSelf) => ({
    label: `${reduce}, includeSelf ${includeSelf}: along axis 1, negative indices wrapped, ties with the data`,
    reduce,
    includeSelf,
    axis: -1,
    mode: 'wrap',
    // Without includeSelf no excluded data value equals its result (PyTorch's split differs there: see the fd cases).
    data: { shape: [2, 3], values: includeSelf ? [0.5, 2, 0, 1, 2, 3] : [0.5, 2, 0, 1, 2.5, 3] },
    index: { shape: [2, 3], values: [-1, 2, -3, -2, 1, 4] },
    updates: [5, 5, -1, 2, 2, 9],
    torchIndex: [2, 2, 0, 1, 1, 1],
  })),
  ...both((reduce, includeSelf, k) => ({
    label: `${reduce}, includeSelf ${includeSelf}: random 3-d along axis 1, the index shorter than the data off the axis`,
    reduce,
    includeSelf,
    axis: 1,
    data: { shape: [2, 4, 3], values: seq(24, 11 + k, -2, 2) },
    index: { shape: [2, 6, 2], values: seq(24, 29 + k, 0, 4).map(Math.floor) },
    updates: seq(24, 47 + k, -2, 2),
  })),
  ...(['amax', 'amin'] as const).map((reduce, k): Case => ({
    label: `${reduce}, includeSelf false: updates on a grid of eighths (ties among them by chance)`,
    reduce,
    includeSelf: false,
    axis: 0,
    data: { shape: [3, 4], values: seq(12, 5 + k, -1, 1) },
    index: { shape: [8, 4], values: seq(32, 6 + k, 0, 3).map(Math.floor) },
    updates: seq(32, 7 + k, -1, 1, true),
  })),
  ...(['amax', 'amin'] as const).map((reduce): Case => ({
    label: `${reduce}, includeSelf false: the excluded data value equals a unique result (central differences, not torch's split)`,
    reduce,
    includeSelf: false,
    axis: 0,
    data: { shape: [3], values: [3, 5, -1] },
    index: { shape: [4], values: [0, 0, 2, 2] },
    updates: reduce === 'amax' ? [3, 1, 4, 2] : [3, 4, 2, 6],
    fd: true,
  })),
];

/** Integer cases (values only): the mean rounded down (negative sums), the amax/amin identities at the type's extremes. */
const INT_CASES: Case[] = (['int32', 'int64'] as const).flatMap((dtype) =>
  REDUCES.flatMap((reduce) => [true, false].map((includeSelf): Case => ({
    label: `${dtype} ${reduce}, includeSelf ${includeSelf}`,
    reduce,
    includeSelf,
    axis: 0,
    dtype,
    data: { shape: [5, 2], values: [1, 2, 3, -7, 0, 4, -5, 6, 9, 9] },
    index: { shape: [6, 2], values: [0, 0, 0, 3, 3, 3, 1, 3, 3, 1, 0, 0] },
    updates: [5, -4, 6, -8, -8, -3, 2, 7, -1, -6, -2, 3],
  }))).concat((['amax', 'amin'] as const).map((reduce): Case => ({
    // Updates near the type's ends: an identity short of them would win.
    label: `${dtype} ${reduce}, includeSelf false: updates near the type's extremes`,
    reduce,
    includeSelf: false,
    axis: 0,
    dtype,
    data: { shape: [3], values: [0, 1, 2] },
    index: { shape: [4], values: [0, 0, 2, 2] },
    updates: (dtype === 'int32' ? [-2147483000, -2147483600, 2147483000, 2147483600] : [-4e15, -5e15, 4e15, 5e15]).map((v) => (reduce === 'amax' ? v : -v)),
  }))));

/** The upstream gradient for a case: fixed values, not all equal. */
const head = (c: Case): number[] => seq(c.data.values.length, 99, -1.5, 1.5);

interface TorchResult {
  out: number[];
  gData: number[];
  gUpdates: number[];
}

/** PyTorch's values and gradients (of sum(out * head); central differences of its forward for `fd` cases). */
function torchResults(cases: Case[]): TorchResult[] {
  const script = `
import json, sys, torch
res = []
for c in json.load(sys.stdin):
    dt = {'float64': torch.float64, 'int32': torch.int32, 'int64': torch.int64}[c['dtype']]
    i = torch.tensor(c['index'], dtype=torch.int64).reshape(c['ishape'])
    f = lambda d, u: d.scatter_reduce(c['axis'], i, u, c['reduce'], include_self=c['includeSelf'])
    d = torch.tensor(c['data'], dtype=dt).reshape(c['dshape'])
    u = torch.tensor(c['updates'], dtype=dt).reshape(c['ishape'])
    if dt != torch.float64:
        res.append({'out': f(d, u).flatten().tolist(), 'gData': [], 'gUpdates': []})
        continue
    h = torch.tensor(c['head'], dtype=torch.float64).reshape(c['dshape'])
    d.requires_grad_(); u.requires_grad_()
    out = f(d, u)
    (out * h).sum().backward()
    gd, gu = d.grad.flatten().tolist(), u.grad.flatten().tolist()
    if c['fd']:
        def cd(t, k):
            e = 1e-6
            with torch.no_grad():
                a, b = t.clone().flatten(), t.clone().flatten()
                a[k] += e; b[k] -= e
                args = lambda v: (v.reshape(t.shape), u) if t is d else (d, v.reshape(t.shape))
                return float(((f(*args(a)) - f(*args(b))) * h).sum() / (2 * e))
        gd = [cd(d, k) for k in range(d.numel())]
        gu = [cd(u, k) for k in range(u.numel())]
    res.append({'out': out.flatten().tolist(), 'gData': gd, 'gUpdates': gu})
print(json.dumps(res))`;
  const input = cases.map((c) => ({
    data: c.data.values,
    dshape: c.data.shape,
    updates: c.updates,
    index: c.torchIndex ?? c.index.values,
    ishape: c.index.shape,
    axis: c.axis,
    reduce: c.reduce,
    includeSelf: c.includeSelf,
    dtype: c.dtype ?? 'float64',
    head: head(c),
    fd: !!c.fd,
  }));
  return pythonJson<TorchResult[]>(script, input);
}

function close(got: NDArray | number[] | null | undefined, want: number[], what: string, tol = 1e-12): void {
  assert.ok(got, `${what}: none`);
  const g = Array.isArray(got) ? got : ((got.toArray() as number[]).flat(8) as number[]).map(Number);
  assert.equal(g.length, want.length, `${what}: ${g.length} values, want ${want.length}`);
  g.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what}: [${g.join(', ')}] vs PyTorch's [${want.join(', ')}]`));
}

const arrays = (c: Case) => {
  const dtype = c.dtype ?? 'float64';
  return [
    nd.array(c.data.values, { dtype }).reshape(c.data.shape),
    nd.array(c.index.values, { dtype: 'int64' }).reshape(c.index.shape),
    nd.array(c.updates, { dtype }).reshape(c.index.shape),
  ] as [NDArray, NDArray, NDArray];
};

const opts = (c: Case) => ({ axis: c.axis, reduce: c.reduce, includeSelf: c.includeSelf, mode: c.mode ?? 'clip' });

/** Runs `f` with the kernel threshold at Infinity (TypeScript kernels) and 0 (one-node onnxruntime sessions). */
function bothEager(f: (path: string) => void): void {
  for (const threshold of [Infinity, 0]) {
    const old = setKernelThreshold(threshold);
    try {
      f(threshold === 0 ? 'eager session' : 'eager kernel');
    } finally {
      setKernelThreshold(old);
    }
  }
}

/** A symbolic graph of the case (first axes symbolic where asked), and its bindings. */
function graph(c: Case, symbolic: boolean) {
  const dtype = c.dtype ?? 'float64';
  const vd = sym.var('d', { shape: symbolic ? ['N', ...c.data.shape.slice(1)] : c.data.shape, dtype });
  const iShape = symbolic ? ['E', ...c.index.shape.slice(1)] : c.index.shape;
  const vi = sym.var('i', { shape: iShape, dtype: 'int64' });
  const vu = sym.var('u', { shape: iShape, dtype });
  const [d, i, u] = arrays(c);
  return { vd, vi, vu, out: sym.scatterReduce(vd, vi, vu, opts(c)), bindings: { d, i, u } as Record<string, NDArray> };
}

describe('scatterReduce sum/mean and includeSelf against torch.scatter_reduce (float64)', function () {
  this.timeout(120_000);
  let want: TorchResult[] = [];
  before(() => (want = torchResults(CASES)));

  it('eager (kernel and session): values and gradients of every case', () => {
    CASES.forEach((c, k) => bothEager((path) => {
      const [d, i, u] = arrays(c);
      d.attachGrad();
      u.attachGrad();
      const g = nd.array(head(c), { dtype: 'float64' }).reshape(c.data.shape);
      let out: NDArray | undefined;
      autograd.record(() => {
        out = nd.scatterReduce(d, i, u, opts(c));
        return nd.sum(nd.mul(out, g));
      }).backward();
      const tol = c.fd ? 1e-8 : 1e-12;
      close(out, want[k]!.out, `${c.label}: ${path} values`);
      close(d.grad, want[k]!.gData, `${c.label}: ${path} data gradient`, tol);
      close(u.grad, want[k]!.gUpdates, `${c.label}: ${path} updates gradient`, tol);
    }));
  });

  for (const symbolic of [false, true]) it(`gradient graph (compiled, onnxruntime)${symbolic ? ', the first axes symbolic' : ''}: every case`, () => {
    CASES.forEach((c, k) => {
      const { vd, vu, out, bindings } = graph(c, symbolic);
      const vg = sym.var('g', { shape: symbolic ? ['N', ...c.data.shape.slice(1)] : c.data.shape, dtype: 'float64' });
      const one = sym.var('one', { shape: [], dtype: 'float64' });
      const [gd, gu] = gradients([sym.sum(sym.mul(out, vg)).value], [vd.value, vu.value], [one.value]);
      const all: Record<string, NDArray> = { ...bindings, g: nd.array(head(c), { dtype: 'float64' }).reshape(c.data.shape), one: nd.full([], 1, { dtype: 'float64' }) };
      const run = (s: Symbol) => {
        const used = new Set(s.listArguments());
        return (evalSymbols([s], Object.fromEntries(Object.entries(all).filter(([n]) => used.has(n)))) as NDArray[])[0];
      };
      const tol = c.fd ? 1e-8 : 1e-12;
      close(run(out), want[k]!.out, `${c.label}: compiled values`);
      close(run(new Symbol(gd!)), want[k]!.gData, `${c.label}: compiled data gradient`, tol);
      close(run(new Symbol(gu!)), want[k]!.gUpdates, `${c.label}: compiled updates gradient`, tol);
    });
  });

  it('hybridized block: values and gradients of every case', () => {
    CASES.forEach((c, k) => {
      const net = new gluon.nn.HybridLambda((F: gluon.F, d: gluon.Tensor, i: gluon.Tensor, u: gluon.Tensor) => F.scatterReduce(d, i, u, opts(c)));
      net.hybridize();
      const [d, i, u] = arrays(c);
      d.attachGrad();
      u.attachGrad();
      const g = nd.array(head(c), { dtype: 'float64' }).reshape(c.data.shape);
      autograd.record(() => nd.sum(nd.mul(net.call(d, i, u) as NDArray, g))).backward();
      const tol = c.fd ? 1e-8 : 1e-12;
      close(net.call(d, i, u) as NDArray, want[k]!.out, `${c.label}: hybridized values`);
      close(d.grad, want[k]!.gData, `${c.label}: hybridized data gradient`, tol);
      close(u.grad, want[k]!.gUpdates, `${c.label}: hybridized updates gradient`, tol);
    });
  });
});

describe('scatterReduce int32/int64 values against torch (mean rounded down, integer identities)', function () {
  this.timeout(120_000);
  let want: TorchResult[] = [];
  before(() => (want = torchResults(INT_CASES)));

  it('eager (kernel and session), compiled with a symbolic first axis, hybridized', () => {
    INT_CASES.forEach((c, k) => {
      bothEager((path) => close(nd.scatterReduce(...arrays(c), opts(c)), want[k]!.out, `${c.label}: ${path}`, 0));
      const { out, bindings } = graph(c, true);
      close((evalSymbols([out], bindings) as NDArray[])[0], want[k]!.out, `${c.label}: compiled`, 0);
      const net = new gluon.nn.HybridLambda((F: gluon.F, d: gluon.Tensor, i: gluon.Tensor, u: gluon.Tensor) => F.scatterReduce(d, i, u, opts(c)));
      net.hybridize();
      close(net.call(...arrays(c)) as NDArray, want[k]!.out, `${c.label}: hybridized`, 0);
    });
  });
});

describe('scatterReduce sum/mean/includeSelf exported: onnx.checker and python onnxruntime on the file', function () {
  this.timeout(120_000);
  const dir = scratchDir('gluonc-scatter-reduce-');

  it('every float64 and integer case at opset 18 (16 for sum, mean and prod) runs to torch\'s values', () => {
    const cases = [...CASES.filter((c) => !c.fd), ...INT_CASES];
    const want = torchResults(cases);
    const files = cases.map((c, k) => {
      const file = join(dir(), `case${k}.onnx`);
      const opset = c.reduce === 'amax' || c.reduce === 'amin' ? 18 : 16;
      writeFileSync(file, emitModel(graphOf(graph(c, true).out), { opset }));
      return { file, d: c.data.values, i: c.index.values, u: c.updates, dshape: c.data.shape, ishape: c.index.shape, dtype: c.dtype ?? 'float64' };
    });
    const got = pythonJson<(number[] | string)[]>(`
import json, sys, numpy as np, onnx, onnxruntime as ort
res = []
for c in json.load(sys.stdin):
    try:
        onnx.checker.check_model(onnx.load(c['file']), full_check=True)
    except Exception as e:
        res.append('checker: ' + str(e)[:400]); continue
    s = ort.InferenceSession(c['file'], providers=['CPUExecutionProvider'])
    feeds = {'d': np.array(c['d'], c['dtype']).reshape(c['dshape']), 'i': np.array(c['i'], np.int64).reshape(c['ishape']), 'u': np.array(c['u'], c['dtype']).reshape(c['ishape'])}
    names = [x.name for x in s.get_inputs()]
    res.append(s.run(None, {n: feeds[n] for n in names})[0].flatten().tolist())
print(json.dumps(res))`, files);
    cases.forEach((c, k) => {
      assert.ok(Array.isArray(got[k]), `${c.label}: ${String(got[k])}`);
      close(got[k] as number[], want[k]!.out, `${c.label}: exported file under onnxruntime`, c.dtype ? 0 : 1e-12);
    });
  });

  it("amax/amin need opset 18 whatever includeSelf; sum and mean 16", () => {
    const c = CASES[0]!;
    for (const reduce of REDUCES) for (const includeSelf of [true, false]) {
      const g = graphOf(graph({ ...c, reduce, includeSelf }, false).out);
      const low = reduce === 'amax' || reduce === 'amin' ? 17 : 15;
      emitModel(g, { opset: low + 1 });
      assert.throws(() => emitModel(g, { opset: low }), (e: Error) => /scatterReduce/.test(e.message) && e.message.includes(`${low}`), `${reduce} ${includeSelf}`);
    }
  });
});
