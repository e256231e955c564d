/**
 * The emitter's peephole (compiler/onnx/peephole.ts). onnxruntime 1.30's
 * contiguous-Reshape fusion refuses to load a graph where a Reshape whose
 * target is computed at run time (Shape -> Concat over symbolic dimensions)
 * is read, as its only consumer, by a Reshape whose output shape is static
 * ("Attempting to get index by a name which does not exist: ... for node:
 * ..._new_reshape"). `dot` of symbolic 3-D operands followed by a reshape to
 * a literal shape is that pattern: the emitted model must load and compute
 * numpy's values; the same model with the chain put back must still be
 * refused (so this test exercises the bug: if onnxruntime fixes it, that
 * canary fails and the peephole's step 2 can go). Then the rewrite rules
 * one by one on hand-written node lists: 0 and -1 entries, allowzero,
 * Squeeze/Unsqueeze/Flatten chains, shape arithmetic folded into constants,
 * dead nodes and kept names — each list also run by onnxruntime before and
 * after against numpy's reshape.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { sym } from 'gluonc';
import { emitModel } from '../../../compiler/onnx/emit.js';
import { peephole, type PeepholeEnv } from '../../../compiler/onnx/peephole.js';
import { onnx, tensorProto, valueInfo } from '../../../compiler/onnx/proto.js';
import { readModel } from '../../../compiler/onnx/read.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { numpyRefs } from '../../helpers/numpy.js';

type Node = OnnxNs.INodeProto;

const seq = (n: number, scale = 0.25) => Array.from({ length: n }, (_v, i) => ((i * 7) % 11) * scale - 1);

/** The Reshapes whose data input another Reshape/Squeeze/Unsqueeze/Flatten produces (what the fusion chains). */
function reshapeChains(nodes: Node[]): string[] {
  const producer = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  return nodes
    .filter((n) => n.opType === 'Reshape' && ['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten'].includes(producer.get(n.input![0]!)?.opType ?? ''))
    .map((n) => n.output![0]!);
}

/** dot(x [A, B, C], w [C, D, E]) reshaped to [6, 10], every dimension symbolic. */
function dotThenReshape(): Uint8Array {
  const x = sym.var('x', { shape: ['A', 'B', 'C'] });
  const w = sym.var('w', { shape: ['C', 'D', 'E'] });
  const g = graphOf(sym.reshape(sym.dot(x, w), [6, 10]));
  g.outputs[0]!.name = 'y';
  return emitModel(g);
}

async function loads(bytes: Uint8Array): Promise<string | null> {
  try {
    await (await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 })).release(); // the canary's refusal is expected: kept out of the test log
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('ONNX emitter peephole (onnxruntime contiguous-Reshape fusion)', () => {
  it('a run-time dot target followed by a literal reshape (symbolic shapes) loads and equals numpy', async () => {
    const bytes = dotThenReshape();
    const m = onnx.ModelProto.decode(bytes);
    assert.deepEqual(reshapeChains(m.graph!.node!), [], 'no Reshape reads another reshape');
    const session = await ort.InferenceSession.create(bytes);
    for (const [xs, ws] of [[[2, 3, 4], [4, 2, 5]], [[3, 2, 3], [3, 5, 2]], [[1, 1, 2], [2, 60, 1]]] as const) {
      const xv = seq(xs[0] * xs[1] * xs[2]);
      const wv = seq(ws[0] * ws[1] * ws[2], 0.5);
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(xv), [...xs]), w: new ort.Tensor('float32', Float32Array.from(wv), [...ws]) });
      const [ref] = numpyRefs([{ code: 'np.tensordot(a, b, axes=([2], [0])).reshape(6, 10)', inputs: [{ shape: [...xs], dtype: 'float64', data: xv }, { shape: [...ws], dtype: 'float64', data: wv }] }]);
      assert.deepEqual(out['y']!.dims, [6, 10]);
      const got = out['y']!.data as Float32Array;
      ref!.outs[0]!.data.forEach((v, i) => assert.ok(Math.abs(got[i]! - v!) <= 1e-5 * (1 + Math.abs(v!)), `${xs}x${ws} element ${i}: ${got[i]} vs ${v}`));
    }
    await session.release();
    // The IR comes back from the records (the rewired Reshape's group still names dot's output).
    assert.deepEqual(readModel(bytes).graph.nodes.map((n) => n.op), ['dot', 'reshape']);
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-peephole-'));
    try {
      writeFileSync(join(dir, 'dot.onnx'), bytes);
      assert.deepEqual(checkOnnxFiles([join(dir, 'dot.onnx')]), [null]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with concrete shapes the run-time target is a constant, its Shape/Concat nodes go and the records count what is left', async () => {
    const x = sym.var('x', { shape: [2, 3, 4] });
    const w = sym.var('w', { shape: [4, 2, 5] });
    const g = graphOf(sym.reshape(sym.dot(x, w), [6, 10]));
    g.outputs[0]!.name = 'y';
    const bytes = emitModel(g);
    const nodes = onnx.ModelProto.decode(bytes).graph!.node!;
    // dot's own output Reshape goes too: the literal reshape reads the MatMul, and nothing else reads it.
    assert.deepEqual(nodes.map((n) => n.opType), ['Reshape', 'MatMul', 'Reshape']);
    assert.match(nodes[0]!.docString ?? '', /^gluonc:\{"op":"dot",.*"n":2,/);
    assert.match(nodes[2]!.docString ?? '', /^gluonc:\{"op":"reshape",.*"n":1,/);
    assert.deepEqual(readModel(bytes).graph.nodes.map((n) => n.op), ['dot', 'reshape']);
    const xv = seq(24);
    const wv = seq(40, 0.5);
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(xv), [2, 3, 4]), w: new ort.Tensor('float32', Float32Array.from(wv), [4, 2, 5]) });
    await session.release();
    const [ref] = numpyRefs([{ code: 'np.tensordot(a, b, axes=([2], [0])).reshape(6, 10)', inputs: [{ shape: [2, 3, 4], dtype: 'float64', data: xv }, { shape: [4, 2, 5], dtype: 'float64', data: wv }] }]);
    const got = out['y']!.data as Float32Array;
    ref!.outs[0]!.data.forEach((v, i) => assert.ok(Math.abs(got[i]! - v!) <= 1e-5 * (1 + Math.abs(v!)), `element ${i}: ${got[i]} vs ${v}`));
  });

  it('canary: the chain the peephole removes (a run-time-target Reshape feeding a literal one) is refused by this onnxruntime', async () => {
    const nodes: Node[] = [
      { opType: 'Shape', input: ['x'], output: ['s'] },
      { opType: 'Reshape', input: ['x', 's'], output: ['a'] },
      { opType: 'Reshape', input: ['a', 't'], output: ['y'] },
    ];
    const err = await loads(modelOf(nodes, { t: [6, 4] }, ['d0', 'd1', 'd2'], 2));
    assert.match(err ?? 'it loaded', /does not exist.*_new_reshape/s, 'if this onnxruntime loads it, the fusion bug is fixed and the chain rule can go');
    // The peephole's form of it loads.
    const fixed = rewrite(nodes, { t: [6, 4] }, {});
    assert.equal(await loads(modelOf(fixed.nodes, fixed.inits, ['d0', 'd1', 'd2'], 2)), null);
  });
});

/** A model of `nodes` over x (float, `xShape`), output y, with int64 initializers. */
function modelOf(nodes: Node[], inits: Record<string, number[]>, xShape: (number | string)[], yRank: number): Uint8Array {
  const used = new Set(nodes.flatMap((n) => n.input!));
  const initializer = Object.entries(inits).filter(([name]) => used.has(name)).map(([name, v]) => tensorProto(name, { dtype: 'int64', shape: [v.length], data: BigInt64Array.from(v, BigInt) }));
  const graph = {
    name: 'g',
    node: nodes,
    initializer,
    input: [valueInfo('x', { dtype: 'float32', shape: xShape })],
    output: [valueInfo('y', { dtype: 'float32', shape: Array.from({ length: yRank }, (_v, i) => `y${i}`) })],
  };
  return onnx.ModelProto.encode({ irVersion: 10, opsetImport: [{ domain: '', version: 21 }], graph }).finish();
}

/** Runs the peephole over copies of `nodes` with `inits` as the known initializers and `shapes` as the known shapes. */
function rewrite(nodes: Node[], inits: Record<string, number[]>, shapes: Record<string, number[]>, keep = ['y']): { nodes: Node[]; inits: Record<string, number[]>; removed: number } {
  const copy = nodes.map((n) => ({ ...n, input: [...n.input!], output: [...n.output!] }));
  const all = { ...inits };
  let k = 0;
  const env: PeepholeEnv = {
    intsOf: (name) => (all[name] ? { values: all[name]!, scalar: false } : undefined),
    shapeOf: (name) => shapes[name],
    ints: (values) => {
      const name = `c${k++}`;
      all[name] = [...values];
      return name;
    },
    keep: new Set(keep),
  };
  const removed = peephole(copy, env).size;
  return { nodes: copy, inits: all, removed };
}

const node = (opType: string, input: string[], output: string, attrs: Record<string, number> = {}): Node => ({
  opType,
  input,
  output: [output],
  attribute: Object.entries(attrs).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i })),
});
const shapeOfX = (out = 's'): Node[] => [node('Shape', ['x'], 's0', { start: 0, end: -1 }), node('Shape', ['x'], 's1', { start: -1 }), node('Concat', ['s0', 's1'], out, { axis: 0 })];

/** Runs a model on x = 0..23 ([2, 3, 4]) and returns y's dims and values. */
async function run(bytes: Uint8Array): Promise<{ dims: readonly number[]; data: number[] }> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from({ length: 24 }, (_v, i) => i), [2, 3, 4]) });
  await s.release();
  return { dims: out['y']!.dims, data: [...(out['y']!.data as Float32Array)] };
}

describe('ONNX emitter peephole rules', () => {
  // Each case: the nodes (x: [2, 3, 4] at run time), what numpy's reshape of x gives, and the expected rewrite.
  const cases: { what: string; nodes: Node[]; inits: Record<string, number[]>; shapes?: Record<string, number[]>; ref: number[]; chained: boolean; removed: number }[] = [
    { what: 'a literal target skips a run-time Reshape (the pattern onnxruntime refuses)', nodes: [...shapeOfX(), node('Reshape', ['x', 's'], 'r'), node('Reshape', ['r', 'k'], 'y')], inits: { k: [6, 4] }, ref: [6, 4], chained: false, removed: 4 },
    { what: '-1 only needs the element count', nodes: [...shapeOfX(), node('Reshape', ['x', 's'], 'r'), node('Reshape', ['r', 'k'], 'y')], inits: { k: [-1, 8] }, ref: [3, 8], chained: false, removed: 4 },
    { what: 'a 0 entry copies an unknown dimension of the intermediate: left alone', nodes: [...shapeOfX(), node('Reshape', ['x', 's'], 'r'), node('Reshape', ['r', 'k'], 'y')], inits: { k: [0, -1] }, ref: [2, 12], chained: true, removed: 0 },
    { what: 'a 0 entry with a known intermediate dimension becomes that dimension', nodes: [node('Reshape', ['x', 'k1'], 'r'), node('Reshape', ['r', 'k'], 'y')], inits: { k1: [6, 4], k: [0, -1] }, shapes: { r: [6, 4] }, ref: [6, 4], chained: false, removed: 1 },
    { what: 'a 0 entry over an unknown intermediate: the known output shape is the target', nodes: [...shapeOfX(), node('Reshape', ['x', 's'], 'r'), node('Reshape', ['r', 'k'], 'y')], inits: { k: [0, -1] }, shapes: { y: [2, 12] }, ref: [2, 12], chained: false, removed: 4 },
    { what: 'allowzero 1: a 0 is a literal 0 (here no 0, the chain is skipped)', nodes: [...shapeOfX(), node('Reshape', ['x', 's'], 'r'), node('Reshape', ['r', 'k'], 'y', { allowzero: 1 })], inits: { k: [4, 6] }, ref: [4, 6], chained: false, removed: 4 },
    { what: 'a chain of Reshape/Unsqueeze/Flatten/Squeeze is skipped to its start', nodes: [...shapeOfX(), node('Reshape', ['x', 's'], 'r'), node('Unsqueeze', ['r', 'ax'], 'u'), node('Flatten', ['u'], 'f', { axis: 1 }), node('Squeeze', ['f', 'ax'], 'q'), node('Reshape', ['q', 'k'], 'y')], inits: { k: [12, 2], ax: [0] }, ref: [12, 2], chained: false, removed: 7 },
    { what: 'a run-time target over known shapes becomes a constant (Shape/Gather/Slice/Concat/Mul)', nodes: [node('Shape', ['x'], 'sh'), node('Gather', ['sh', 'i0'], 'g0', { axis: 0 }), node('Slice', ['sh', 'b1', 'e3'], 'sl'), node('Mul', ['sl', 'two'], 'm'), node('Concat', ['g0', 'm'], 't', { axis: 0 }), node('Reshape', ['x', 't'], 'r'), node('Relu', ['r'], 'y')], inits: { i0: [0], b1: [1], e3: [99], two: [1, 1] }, shapes: { x: [2, 3, 4] }, ref: [2, 3, 4], chained: false, removed: 5 },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const r = rewrite(c.nodes, c.inits, c.shapes ?? {});
      assert.equal(reshapeChains(r.nodes).length > 0, c.chained, `chains left: ${reshapeChains(r.nodes)}`);
      assert.equal(r.removed, c.removed, 'dead nodes removed');
      const [ref] = numpyRefs([{ code: `a.reshape(${c.ref.join(', ')})`, inputs: [{ shape: [2, 3, 4], dtype: 'float64', data: Array.from({ length: 24 }, (_v, i) => i) }] }]);
      // Before (static x: onnxruntime folds the shapes and loads it) and after (symbolic x too) equal numpy.
      for (const [nodes, inits, xs] of [[c.nodes, c.inits, [2, 3, 4]], [r.nodes, r.inits, [2, 3, 4]], [r.nodes, r.inits, ['a', 'b', 'c']]] as const) {
        if (xs[0] === 'a' && c.shapes) continue; // the known shapes were [2, 3, 4]
        const y = await run(modelOf([...nodes], inits, [...xs], c.ref.length));
        assert.deepEqual(y.dims, c.ref);
        assert.deepEqual(y.data, ref!.outs[0]!.data);
      }
    });
  }

  it('keeps a bypassed Reshape that something else reads or that is kept, and never removes kept names', () => {
    const nodes = [...shapeOfX(), node('Reshape', ['x', 's'], 'r'), node('Reshape', ['r', 'k'], 'y'), node('Relu', ['r'], 'z')];
    const r = rewrite(nodes, { k: [24] }, {}, ['y', 'z']);
    assert.equal(r.removed, 0);
    assert.deepEqual(r.nodes.find((n) => n.output![0] === 'y')!.input, ['x', 'k']);
    const kept = rewrite(nodes.slice(0, -1), { k: [24] }, {}, ['y', 'r']);
    assert.equal(kept.removed, 0, 'r is kept (an IR value): its Reshape and target stay');
  });

  it('rewrites Reshapes inside subgraph bodies without crossing into the outer graph', () => {
    const body: Node[] = [node('Reshape', ['outer', 'k'], 'b1'), node('Reshape', ['b1', 'k2'], 'b2')];
    const nodes: Node[] = [...shapeOfX(), node('Reshape', ['x', 's'], 'outer'), { opType: 'If', input: ['cond'], output: ['y'], attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: { node: body, output: [{ name: 'b2' }] } }] }];
    const r = rewrite(nodes, { k: [24], k2: [4, 6] }, {});
    const b = r.nodes.at(-1)!.attribute![0]!.g!.node!;
    assert.deepEqual(b.map((n) => n.input![0]), ['outer'], 'the body Reshape reads the body start; the dead inner Reshape is gone');
    assert.equal(r.nodes.length, 5, 'the outer Reshape and its target stay (the body reads it)');
  });
});
