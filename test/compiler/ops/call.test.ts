/**
 * Argument parsing of operator calls (compiler/ops/call.ts), the same for
 * `nd` and `sym`: `undefined` where an argument is optional means absent
 * (MXNet's `None`) — an optional input, a positional option, the options
 * object — while a missing required input, an input after an absent one and
 * a stray argument stay errors naming the operator.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import { callArgs, parseCall } from '../../../compiler/ops/call.js';
import { getOp } from '../../../compiler/ops/registry.js';
import type { OpDef } from '../../../compiler/ops/define.js';
import { plainShape } from 'gluonc/compiler';

/** x · wᵀ (+ b) in float64, written out here. */
function dense(x: number[][], w: number[][], b?: number[]): number[][] {
  return x.map((row) => w.map((wr, j) => wr.reduce((s, v, k) => s + v * row[k]!, b ? b[j]! : 0)));
}

function close(got: number[][], want: number[][]): void {
  got.forEach((r, i) => r.forEach((v, j) => assert.ok(Math.abs(v - want[i]![j]!) < 1e-5, `[${i}, ${j}]: ${v} vs ${want[i]![j]}`)));
}

describe('ops/call: undefined means absent', () => {
  const X = [
    [1, -2, 0.5],
    [0, 3, -1],
  ];
  const W = [
    [0.5, 1, -1],
    [2, 0, 0.25],
  ];

  it('FullyConnected(x, w, undefined, { noBias: true }) equals the call without the bias slot, and x·wᵀ', () => {
    const x = nd.array(X);
    const w = nd.array(W);
    const withUndefined = nd.FullyConnected(x, w, undefined, { numHidden: 2, noBias: true }).toArray() as number[][];
    const without = nd.FullyConnected(x, w, { numHidden: 2, noBias: true }).toArray() as number[][];
    assert.deepEqual(withUndefined, without);
    close(withUndefined, dense(X, W));
    // A bias given after all still counts.
    close(nd.FullyConnected(x, w, nd.array([1, -1]), { numHidden: 2 }).toArray() as number[][], dense(X, W, [1, -1]));
  });

  it('Convolution(x, w, undefined, {...}) with noBias, against a direct sum', () => {
    const img = Array.from({ length: 16 }, (_v, i) => (i % 5) - 2);
    const ker = [1, 0, -1, 2, 0, -2, 1, 0, -1];
    const y = nd.Convolution(nd.array(img).reshape([1, 1, 4, 4]), nd.array(ker).reshape([1, 1, 3, 3]), undefined, { kernel: [3, 3], numFilter: 1, noBias: true });
    assert.deepEqual(y.shape, [1, 1, 2, 2]);
    const want: number[] = [];
    for (const r of [0, 1]) for (const c of [0, 1]) {
      let s = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += img[(r + i) * 4 + c + j]! * ker[i * 3 + j]!;
      want.push(s);
    }
    assert.deepEqual(Array.from(y.data() as Float32Array), want);
  });

  it('the same for symbols, and for positional options and a trailing options object', () => {
    const s = sym.FullyConnected(sym.var('x', { shape: ['N', 3] }), sym.var('w', { shape: [2, 3] }), undefined, { numHidden: 2, noBias: true });
    assert.deepEqual(plainShape(s.shape), ['N', 2]);
    const x = nd.array(X);
    assert.deepEqual(nd.sum(x, undefined, true).shape, [1, 1]); // axis undefined: all axes (the default)
    assert.deepEqual((nd.sum(x, undefined, true).toArray() as number[][])[0]![0], X.flat().reduce((a, b) => a + b, 0));
    assert.deepEqual(nd.FullyConnected(x, nd.array(W), nd.array([0, 0]), undefined).shape, [2, 2]);
  });

  it('still refuses a missing required input, a stray argument, and an input after an absent one', () => {
    const x = nd.array(X);
    assert.throws(() => (nd.FullyConnected as (...a: unknown[]) => unknown)(x, undefined, { numHidden: 2, noBias: true }), /FullyConnected.*input 'weight' must be a tensor or a number, got undefined/);
    assert.throws(() => (nd.sum as (...a: unknown[]) => unknown)(x, 0, true, false, 'extra'), /sum.*unexpected argument 5: string "extra"/);
    assert.throws(() => (nd.relu as (...a: unknown[]) => unknown)(x, undefined, 3), /relu.*unexpected argument 3: number 3/);
    // Inputs are positional, so an optional input cannot follow an absent one (no operator has two yet: a declaration made here).
    const def = { name: 'Two', inputs: ['a', 'b?', 'c?'], attrs: { k: 1 } } as unknown as OpDef;
    const isT = (v: unknown): v is string => typeof v === 'string';
    assert.deepEqual(parseCall(def, ['A', undefined, undefined, { k: 2 }], isT), { inputs: ['A'], attrs: { k: 2 } });
    assert.deepEqual(parseCall(def, ['A', 'B', undefined], isT), { inputs: ['A', 'B'], attrs: { k: 1 } });
    assert.throws(() => parseCall(def, ['A', undefined, 'C'], isT), /Two.*input 'c' is given but 'b' before it is absent/);
  });
});

describe('ops/call: callArgs replays a node (the inverse of parseCall)', () => {
  const shapeOf = (t: unknown, begin: number, end: number) => sym.shapeArray(t as Parameters<typeof sym.shapeArray>[0], { begin, end });
  type Sym = ReturnType<typeof sym.var>;
  const nodeOf = (s: Sym) => (s as unknown as { value: { producer: { op: string; inputs: unknown[]; attrs: Record<string, unknown> } } }).value.producer;
  const wrap = (v: unknown) => new (sym.var('w', { shape: [1] }).constructor as new (v: unknown) => Sym)(v);

  it('zeros and arange with dimensions read from two inputs: the same attributes, inputs and symbolic type', () => {
    const x = sym.var('x', { shape: ['N', 'T'] });
    const y = sym.var('y', { shape: ['B', 'C', 'D'] });
    const z = sym.zeros([sym.shapeArray(y, { begin: 1, end: 3 }), 4, sym.shapeArray(x, { axis: 0 })], { dtype: 'int32' });
    const node = nodeOf(z);
    assert.deepEqual(node.attrs['shape'], [{ input: 0, begin: 1, end: 3 }, 4, { input: 1, begin: 0, end: 1 }]);
    const args = callArgs(getOp('zeros'), node.attrs as never, node.inputs.map(wrap), shapeOf);
    const again = (sym.zeros as (...a: unknown[]) => Sym)(...args);
    assert.deepEqual(plainShape(again.shape), ['C', 'D', 4, 'N']);
    assert.equal(again.dtype, 'int32');
    assert.deepEqual(nodeOf(again).attrs, node.attrs);
    assert.deepEqual(nodeOf(again).inputs, node.inputs);

    const r = sym.arange(1, sym.shapeArray(x, { axis: 1 }), 2);
    const rn = nodeOf(r);
    const back = (sym.arange as (...a: unknown[]) => Sym)(...callArgs(getOp('arange'), rn.attrs as never, rn.inputs.map(wrap), shapeOf));
    assert.deepEqual(nodeOf(back).attrs, rn.attrs);
    assert.deepEqual(plainShape(back.shape), plainShape(r.shape));
  });

  it('an integer tensor of dimensions is passed again as itself; leading options stay leading', () => {
    const x = sym.var('x', { shape: ['N', 'T'] });
    const n = sym.add(sym.shapeArray(x, { axis: 0 }), 1);
    const f = sym.full([n, 3], 7);
    const fn = nodeOf(f);
    const ins = fn.inputs.map(wrap);
    const args = callArgs(getOp('full'), fn.attrs as never, ins, shapeOf);
    assert.equal((args[0] as { shape: unknown[] }).shape[0], ins[0]);
    const again = (sym.full as (...a: unknown[]) => Sym)(...args);
    assert.deepEqual(nodeOf(again).inputs, fn.inputs);
    assert.equal(nodeOf(again).attrs['value'], 7);
    const e = sym.einsum('ij,jk->ik', sym.var('a', { shape: [2, 3] }), sym.var('b', { shape: [3, 4] }));
    const en = nodeOf(e);
    const eargs = callArgs(getOp('einsum'), en.attrs as never, en.inputs.map(wrap), shapeOf);
    assert.equal(eargs[0], 'ij,jk->ik');
    assert.deepEqual((sym.einsum as (...a: unknown[]) => Sym)(...eargs).shape, [2, 4]);
  });

  it('a dimension entry referring to an input the node does not have is an Error naming the operator', () => {
    const attrs = { shape: [{ input: 1, begin: 0, end: 1 }, 3], value: 0, dtype: 'float32' };
    assert.throws(() => callArgs(getOp('zeros'), attrs as never, [sym.var('x', { shape: [2] })], shapeOf), /zeros.*'shape' has a dimension entry .*refers to input 1, but the node has 1 input\(s\)/);
  });
});

describe("numpy's and MXNet's positional forms d2l uses", () => {
  it('x.reshape(-1, 4): the dimensions as separate numbers (numpy\'s reshape(*shape)), eager and traced', () => {
    const x = nd.arange(0, 24).reshape([2, 3, 4]);
    assert.deepEqual(x.reshape(-1, 4).shape, [6, 4]);
    assert.deepEqual(x.reshape(6, 4).toArray(), x.reshape([6, 4]).toArray());
    assert.deepEqual(x.reshape(24).shape, [24]);
    assert.deepEqual(nd.reshape(x, 4, -1).shape, [4, 6]);
    assert.deepEqual(sym.var('x', { shape: [2, 3, 4] }).reshape(-1, 4).shape, [6, 4]);
    assert.deepEqual(x.reshape(-1, 4, { reverse: true }).shape, [6, 4]);
    assert.throws(() => x.reshape(-1, 'a' as never), /reshape: unexpected argument 3/);
  });

  it("x.transpose(0, 2, 1, 3): the axes as separate numbers (numpy's and MXNet 2's ndarray.transpose(*axes)), eager and traced", () => {
    const x = nd.arange(0, 24).reshape([2, 3, 4]);
    assert.deepEqual(x.transpose(0, 2, 1).toArray(), x.transpose([0, 2, 1]).toArray());
    assert.deepEqual(x.transpose(0, 2, 1).shape, [2, 4, 3]);
    assert.deepEqual(x.transpose(2, 0, 1, {}).shape, [4, 2, 3]);
    assert.deepEqual(nd.arange(0, 6).reshape([2, 3]).transpose(1, 0).toArray(), [[0, 3], [1, 4], [2, 5]]);
    assert.deepEqual(sym.var('x', { shape: [2, 3, 4, 5] }).transpose(0, 2, 1, 3).shape, [2, 4, 3, 5]);
    assert.throws(() => x.transpose(0, 2, 'a' as never), /transpose: unexpected argument 4/);
  });

  it("SequenceMask(x, lens, true, ...): MXNet's use_sequence_length (and value, axis) positionally", () => {
    const x = nd.ones([2, 3]);
    const lens = nd.array([1, 2]);
    const want = [[1, -9, -9], [1, 1, -9]];
    assert.deepEqual(nd.SequenceMask(x, lens, true, { value: -9, axis: 1 }).toArray(), want);
    assert.deepEqual(nd.SequenceMask(x, lens, true, -9, 1).toArray(), want);
    assert.deepEqual(nd.SequenceMask(x, lens, { useSequenceLength: true, value: -9, axis: 1 }).toArray(), want);
    assert.throws(() => nd.SequenceMask(x, lens, true, { useSequenceLength: true } as never), /SequenceMask: .*useSequenceLength/);
  });
});
