import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, sym, gluon, autograd, optimizer, exportTrainingStep } from 'gluonc';
import { callStrategy } from '../../../compiler/gluon/call-strategy.js';
import { pythonStdout } from '../../helpers/python-server.js';

const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);
const close = (got: number[], want: number[], what: string, tol = 1e-5) => {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol, `${what}: element ${i} is ${v}, want ${want[i]}`));
};

/** MXNet's `hybrid_forward(F, x, mask=None, pos=None)`: y = (x·Wᵀ + b) * mask + pos, each factor only when given. */
class MaskPos extends gluon.HybridBlock {
  fc = new gluon.nn.Dense(2, { inUnits: 3 });
  seen: string[] = [];
  override hybridForward(F: gluon.F, x: gluon.Tensor, mask?: gluon.Tensor | null, pos?: gluon.Tensor | null) {
    this.seen.push(`${mask === undefined ? 'undefined' : mask === null ? 'null' : 'mask'},${pos === undefined ? 'undefined' : pos === null ? 'null' : 'pos'}`);
    let y = this.fc.call(x);
    if (mask != null) y = F.broadcastMul(y, mask);
    if (pos != null) y = F.broadcastAdd(y, pos);
    return y;
  }
}

const X = [[1, 2, 3], [-1, 0.5, 2]];
const W = [[0.5, -1, 2], [1, 1, -0.25]];
const B = [0.1, -0.2];
const M = [[1, 0], [0, 1]];
const P = [[10, 20], [30, 40]];
/** The reference, in float64 from the formula. */
function want(mask: number[][] | null, pos: number[][] | null): number[] {
  return X.flatMap((row, i) => W.map((wr, j) => {
    let v = wr.reduce((s, w, k) => s + w * row[k]!, B[j]!);
    if (mask) v *= mask[i]![j]!;
    if (pos) v += pos[i]![j]!;
    return v;
  }));
}
function make(): MaskPos {
  const m = new MaskPos();
  m.initialize();
  m.fc.weight.setData(nd.array(W));
  m.fc.bias!.setData(nd.array(B));
  return m;
}

describe('HybridBlock calls: an absent input (null/undefined, MXNet\'s None) anywhere among the inputs', () => {
  const cases: [string, (m: MaskPos) => nd.NDArray, number[][] | null, number[][] | null, string][] = [
    ['call(x)', (m) => m.call(nd.array(X)), null, null, 'undefined,undefined'],
    ['call(x, m)', (m) => m.call(nd.array(X), nd.array(M)), M, null, 'mask,undefined'],
    ['call(x, null, pos)', (m) => m.call(nd.array(X), null, nd.array(P)), null, P, 'undefined,pos'],
    ['call(x, undefined, pos)', (m) => m.call(nd.array(X), undefined, nd.array(P)), null, P, 'undefined,pos'],
    ['call(x, m, pos)', (m) => m.call(nd.array(X), nd.array(M), nd.array(P)), M, P, 'mask,pos'],
  ];

  it('eager: each combination against the formula; hybridForward gets undefined in the absent slot', () => {
    for (const [name, run, mask, pos, seen] of cases) {
      const m = make();
      close(vals(run(m)), want(mask, pos), name);
      assert.deepEqual(m.seen, [seen], name);
    }
  });

  it('hybridized: one compiled signature per set of present inputs, never shared wrongly', () => {
    const m = make();
    m.hybridize();
    // Twice over, in an order where a wrong key would reuse the first program.
    for (const round of [0, 1]) {
      for (const [name, run, mask, pos] of [cases[2]!, cases[4]!, cases[0]!, cases[1]!, cases[3]!]) close(vals(run(m)), want(mask, pos), `${name}, round ${round}`);
    }
    assert.equal(m.cacheSize, 4, 'x; x,m; x,-,pos; x,m,pos');
    // Traced once per signature, each trace seeing the absent slot as undefined.
    assert.deepEqual([...m.seen].sort(), ['mask,pos', 'mask,undefined', 'undefined,pos', 'undefined,undefined']);
    // Inside a hybridized parent (traced with a hole).
    class Parent extends gluon.HybridBlock {
      inner = make();
      override hybridForward(_F: gluon.F, x: gluon.Tensor, pos: gluon.Tensor) {
        return this.inner.call(x, null, pos);
      }
    }
    const p = new Parent();
    p.hybridize();
    close(vals(p.call(nd.array(X), nd.array(P))), want(null, P), 'inside a hybridized parent');
  });

  it('gradients with an absent middle input, eager and hybridized (recorded with and without input gradients)', () => {
    // L = sum(y), y = x·Wᵀ + b + pos: dL/dx[i][k] = sum_j W[j][k], dL/dpos = 1, dL/dW[j][k] = sum_i x[i][k].
    const gx = X.flatMap(() => W[0]!.map((_w, k) => W.reduce((s, wr) => s + wr[k]!, 0)));
    const gw = W.flatMap(() => X[0]!.map((_v, k) => X.reduce((s, r) => s + r[k]!, 0)));
    for (const hybrid of [false, true]) {
      const m = make();
      if (hybrid) m.hybridize();
      const x = nd.array(X);
      const pos = nd.array(P);
      x.attachGrad();
      pos.attachGrad();
      const y = autograd.record(() => m.call(x, null, pos) as nd.NDArray);
      y.backward();
      close(vals(x.grad!), gx, `dx (${hybrid ? 'hybridized' : 'eager'})`);
      close(vals(pos.grad!), [1, 1, 1, 1], `dpos (${hybrid ? 'hybridized' : 'eager'})`);
      close(vals(m.fc.weight.grad()), gw, `dW (${hybrid ? 'hybridized' : 'eager'})`);
      // No input needs a gradient (the fused training step's case): parameters only, through the call's own session (the fused step takes whole input lists).
      if (hybrid) assert.equal(autograd.record(() => callStrategy(m, [nd.array(X), undefined, nd.array(P)])), 'compiled');
      m.fc.weight.zeroGrad();
      const y2 = autograd.record(() => m.call(nd.array(X), null, nd.array(P)) as nd.NDArray);
      y2.backward();
      close(vals(m.fc.weight.grad()), gw, `dW, inputs without gradients (${hybrid ? 'hybridized' : 'eager'})`);
    }
  });

  it('summary and inferShape take a hole', () => {
    const m = make();
    const log = console.log;
    console.log = () => {};
    let s;
    try {
      s = m.summary(nd.array(X), null, nd.array(P));
    } finally {
      console.log = log;
    }
    assert.equal(s.rows[0]!.outputShape, '(2, 3), None, (2, 2)');
    assert.equal(s.rows.at(-1)!.outputShape, '(2, 2)');
    class Lazy extends gluon.HybridBlock {
      fc = new gluon.nn.Dense(2);
      override hybridForward(F: gluon.F, x: gluon.Tensor, mask?: gluon.Tensor, pos?: gluon.Tensor) {
        const y = this.fc.call(mask ? F.broadcastMul(x, mask) : x);
        return pos ? F.broadcastAdd(y, pos) : y;
      }
    }
    const lazy = new Lazy();
    lazy.initialize();
    lazy.inferShape(nd.ones([5, 7]), null, nd.ones([5, 2]));
    assert.deepEqual(lazy.fc.weight.shape, [2, 7]);
  });

  it('export of call(x, null, pos): the absent input is no input of the artifact; onnxruntime (python) equals eager', () => {
    const m = make();
    const eager = vals(m.call(nd.array(X), null, nd.array(P)));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-hole-'));
    try {
      // From the last call's signature, and from inputs naming the absent one null.
      for (const [file, opts, names] of [
        ['a.onnx', {}, ['data0', 'data2']],
        ['b.onnx', { inputs: { x: { shape: ['N', 3] }, mask: null, pos: { shape: ['N', 2] } } }, ['x', 'pos']],
      ] as const) {
        const r = m.export(path.join(dir, file), opts as Parameters<typeof m.export>[1] & { format?: undefined });
        assert.deepEqual(r.manifest.inputs.map((i) => i.name), names, file);
        const script = 'import sys, json, numpy as np, onnxruntime as ort\n' +
          's = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])\n' +
          'names = [i.name for i in s.get_inputs()]\n' +
          'x = np.array(json.loads(sys.argv[2]), dtype=np.float32); p = np.array(json.loads(sys.argv[3]), dtype=np.float32)\n' +
          'print(json.dumps({"names": names, "y": s.run(None, dict(zip(names, [x, p])))[0].astype(float).ravel().tolist()}))';
        const out = JSON.parse(pythonStdout(script, { args: [path.join(dir, file), JSON.stringify(X), JSON.stringify(P)] })) as { names: string[]; y: number[] };
        assert.deepEqual(out.names, names, `${file}: the ONNX inputs`);
        close(out.y, eager, `${file} in onnxruntime`);
        // Imported back: the artifact's inputs are the ones present.
        const sb = gluon.SymbolBlock.imports(path.join(dir, file));
        close(vals(sb.call(nd.array(X), nd.array(P))), eager, `${file} imported`);
        assert.throws(() => sb.call(nd.array(X), null, nd.array(P)), /SymbolBlock \(.*\): input 1 \('pos'\) is absent \(undefined\), but the graph needs it|expects 2 input\(s\)/);
      }
      // The MXNet format: the symbol's arguments are the inputs present.
      m.export(path.join(dir, 'mx'), { format: 'mxnet' });
      const symJson = JSON.parse(fs.readFileSync(path.join(dir, 'mx-symbol.json'), 'utf8')) as { nodes: { op: string; name: string }[] };
      const vars = symJson.nodes.filter((n) => n.op === 'null' && !n.name.includes('weight') && !n.name.includes('bias')).map((n) => n.name);
      assert.deepEqual(vars, ['data0', 'data2']);
      const mx = gluon.SymbolBlock.imports(path.join(dir, 'mx-symbol.json'), ['data0', 'data2'], path.join(dir, 'mx-0000.params'));
      close(vals(mx.call(nd.array(X), nd.array(P))), eager, 'MXNet files imported');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exportTrainingStep: an input named null is no input of the step', () => {
    const m = make();
    const step = exportTrainingStep(m, {
      inputs: { x: { shape: ['N', 3] }, mask: null, pos: { shape: ['N', 2] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
    });
    assert.deepEqual(step.manifest.inputs.slice(0, 5).map((i) => i.name), ['x', 'pos', 'label', 'lr', 't']);
  });

  it('a SymbolBlock needs each of its inputs: an absent one is an Error naming it', () => {
    const a = sym.var('a');
    const b = sym.var('b');
    const sb = new gluon.SymbolBlock(sym.broadcastAdd(a, b), [a, b]);
    assert.throws(() => sb.call(null, nd.ones([2])), /input 0 \('a'\) is absent/);
  });
});
