/**
 * The gradient graphs reverse mode builds, as text (a changed rule, order
 * or accumulation shows as a diff), and their values against closed forms
 * computed here in float64.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { evalSymbols } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { Graph } from '../../../compiler/ir/graph.js';
import { printGraph } from '../../../compiler/ir/printer.js';
import { Symbol } from '../../../compiler/trace/symbol.js';

/** y = sum(tanh(x·w + b)), differentiated with respect to w and b, weighted by dy. */
function denseTanh() {
  const x = sym.var('x', { shape: [2, 3] });
  const w = sym.var('w', { shape: [3, 4] });
  const b = sym.var('b', { shape: [4] });
  const dy = sym.var('dy', { shape: [] });
  const y = sym.sum(sym.tanh(sym.add(sym.dot(x, w), b)));
  const [dw, db] = gradients([y.value], [w.value, b.value], [dy.value]);
  return { x, w, b, dy, dw: dw!, db: db! };
}

describe('autodiff: reverse mode', () => {
  it('builds the gradient graph of sum(tanh(x·w + b)) node by node', () => {
    const { x, w, b, dy, dw, db } = denseTanh();
    const text = printGraph(Graph.fromOutputs([x.value, w.value, b.value, dy.value], { dw, db }));
    assert.equal(
      text,
      [
        'graph(%x: float32[2, 3], %w: float32[3, 4], %b: float32[4], %dy: float32[]) {',
        '  const %c0: float32[] = [1]',
        '  %1: float32[1] = expandDims(%dy) {axis: 0}',
        '  %2: float32[1, 1] = expandDims(%1) {axis: 1}',
        '  %3: float32[2, 4] = dot(%x, %w) {transposeA: false, transposeB: false}',
        '  %4: float32[2, 4] = add(%3, %b)',
        '  %5: float32[2, 4] = tanh(%4)',
        // sum's rule: the head gradient broadcast back to the summed shape.
        '  %6: float32[2, 4] = broadcastLike(%2, %5) {lhsAxes: null, rhsAxes: null}',
        // tanh's rule: g·(1 - y²), from the output y.
        '  %7: float32[2, 4] = square(%5)',
        '  %8: float32[2, 4] = sub(%c0, %7)',
        '  %9: float32[2, 4] = mul(%6, %8)',
        // add's rule: g reduced to each operand's shape (b's sums the rows).
        '  %10: float32[2, 4] = reduceSumLike(%9, %3)',
        // dot's rule: xᵀ·g for w.
        '  %11: float32[3, 4] = dot(%x, %10) {transposeA: true, transposeB: false}',
        '  %12: float32[4] = reduceSumLike(%9, %b)',
        '  return dw=%11, db=%12',
        '}',
      ].join('\n'),
    );
  });

  it('sums the gradients reaching a value along two paths', () => {
    const u = sym.var('u', { shape: ['N'] });
    const du = sym.var('du', { shape: [] });
    const [gu] = gradients([sym.sum(sym.mul(u, u)).value], [u.value], [du.value]);
    assert.equal(
      printGraph(Graph.fromOutputs([u.value, du.value], { gu: gu! })),
      [
        'graph(%u: float32[N], %du: float32[]) {',
        '  %0: float32[1] = expandDims(%du) {axis: 0}',
        '  %1: float32[N] = mul(%u, %u)',
        '  %2: float32[N] = broadcastLike(%0, %1) {lhsAxes: null, rhsAxes: null}',
        '  %3: float32[N] = mul(%2, %u)',
        '  %4: float32[N] = mul(%2, %u)',
        '  %5: float32[N] = add(%3, %4)',
        '  return gu=%5',
        '}',
      ].join('\n'),
    );
  });

  it('computes what the closed form gives: dw = xᵀ·(dy·(1 - tanh²(x·w + b))), db = its column sums', () => {
    const { dw, db } = denseTanh();
    const X = [[0.5, -1, 2], [1.5, 0.25, -0.75]];
    const W = [[0.1, -0.2, 0.3, 0.4], [-0.5, 0.6, 0.7, -0.8], [0.9, 0.05, -0.15, 0.25]];
    const B = [0.1, -0.1, 0.2, 0];
    const DY = 1.5;
    const [gw, gb] = evalSymbols([new Symbol(dw), new Symbol(db)], { x: nd.array(X), w: nd.array(W), b: nd.array(B), dy: nd.full([], DY) }) as NDArray[];
    // float64 reference
    const G = X.map((row) => B.map((bj, j) => DY * (1 - Math.tanh(row.reduce((s, xi, i) => s + xi * W[i]![j]!, bj)) ** 2)));
    const wantW = W.map((_r, i) => B.map((_b, j) => X.reduce((s, row, n) => s + row[i]! * G[n]![j]!, 0)));
    const wantB = B.map((_b, j) => G.reduce((s, row) => s + row[j]!, 0));
    const close = (got: number[], want: number[], what: string) =>
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${v} vs ${want[i]}`));
    close((gw!.toArray() as number[][]).flat(), wantW.flat(), 'dw');
    close(gb!.toArray() as number[], wantB, 'db');
  });
});
