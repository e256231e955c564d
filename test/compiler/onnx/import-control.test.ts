/**
 * The importer's `If` (compiler/onnx/read.ts mapIf): a condition known when
 * the model is read (constants, or shape checks over static shapes, as
 * exporters write them) puts the branch taken in place of the node; the
 * results equal onnxruntime's on the same file. A condition computed at run
 * time is refused by name.
 */
import assert from 'node:assert/strict';
import type { onnx as OnnxNs } from 'onnx-proto';
import { readModel, tensorProto, valueInfo } from '../../../compiler/onnx/index.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { T, data, i64, model, sameAsOrt } from './ort-compare.js';

/** A branch graph: its nodes, its outputs (float32) and its own initializers. */
function branch(nodes: OnnxNs.INodeProto[], outputs: string[], inits: [string, ReturnType<typeof data>][] = []): OnnxNs.IGraphProto {
  return { name: 'b', node: nodes, output: outputs.map((o) => valueInfo(o, { dtype: 'float32' })), initializer: inits.map(([n, t]) => tensorProto(n, t)) };
}

/** `If(cond)` with the two branches. */
function ifNode(cond: string, thenG: OnnxNs.IGraphProto, elseG: OnnxNs.IGraphProto, outputs: string[], name = 'if'): OnnxNs.INodeProto {
  return { opType: 'If', name, input: [cond], output: outputs, attribute: [{ name: 'then_branch', type: T.GRAPH, g: thenG }, { name: 'else_branch', type: T.GRAPH, g: elseG }] };
}

/** Shape(x)[0] == n, as exporters check a batch size. */
function batchIs(n: number): OnnxNs.INodeProto[] {
  return [
    { opType: 'Shape', input: ['x'], output: ['s'] },
    { opType: 'Gather', input: ['s', 'zero'], output: ['n'], attribute: [{ name: 'axis', type: T.INT, i: 0 }] },
    { opType: 'Equal', input: ['n', `k${n}`], output: ['c'] },
  ];
}
const consts = (n: number): [string, ReturnType<typeof i64>][] => [['zero', tensorFromNumbers('int64', [], [0])], [`k${n}`, tensorFromNumbers('int64', [], [n])]];

describe('compiler/onnx import: If', () => {
  const thenG = branch([{ opType: 'Relu', input: ['x'], output: ['r'] }, { opType: 'Add', input: ['r', 'bias'], output: ['t1'] }], ['t1'], [['bias', data([3], 5)]]);
  const elseG = branch([{ opType: 'Neg', input: ['x'], output: ['t2'] }], ['t2']);

  it('takes the then branch of a shape check that holds (its own initializer included), as onnxruntime', async () => {
    const bytes = model([...batchIs(2), ifNode('c', thenG, elseG, ['y'])], [['x', [2, 3]]], [['y', 'float32']], consts(2));
    await sameAsOrt(bytes, { x: data([2, 3]) });
    const { graph } = readModel(bytes);
    assert.ok(graph.nodes.some((n) => n.op === 'relu') && !graph.nodes.some((n) => n.op === 'neg'), 'the then branch, not the else branch');
  });

  it('takes the else branch of a shape check that fails', async () => {
    const bytes = model([...batchIs(5), ifNode('c', thenG, elseG, ['y'])], [['x', [2, 3]]], [['y', 'float32']], consts(5));
    await sameAsOrt(bytes, { x: data([2, 3]) });
    const { graph } = readModel(bytes);
    assert.ok(graph.nodes.some((n) => n.op === 'neg') && !graph.nodes.some((n) => n.op === 'relu'), 'the else branch, not the then branch');
    const passThrough = branch([{ opType: 'Identity', input: ['x'], output: ['same'] }], ['same']);
    await sameAsOrt(model([...batchIs(5), ifNode('c', thenG, passThrough, ['y'])], [['x', [2, 3]]], [['y', 'float32']], consts(5)), { x: data([2, 3]) });
  });

  it('reads nested Ifs', async () => {
    const inner = ifNode('c', branch([{ opType: 'Sigmoid', input: ['x'], output: ['u'] }], ['u']), elseG, ['v'], 'inner');
    const outer = ifNode('c', branch([inner, { opType: 'Mul', input: ['v', 'x'], output: ['w'] }], ['w']), elseG, ['y'], 'outer');
    await sameAsOrt(model([...batchIs(2), outer], [['x', [2, 3]]], [['y', 'float32']], consts(2)), { x: data([2, 3]) });
  });

  it('refuses a condition computed at run time, naming the node', () => {
    const fromData = model(
      [{ opType: 'ReduceSum', input: ['x'], output: ['s'], attribute: [{ name: 'keepdims', type: T.INT, i: 0 }] }, { opType: 'Greater', input: ['s', 'zero'], output: ['c'] }, ifNode('c', thenG, elseG, ['y'], 'gate')],
      [['x', [2, 3]]],
      [['y', 'float32']],
      [['zero', tensorFromNumbers('float32', [], [0])]],
    );
    assert.throws(() => readModel(fromData), /ONNX operator 'If' \(node 'gate'\) has no gluonc equivalent: its condition is computed at run time/);
    // A shape check over a symbolic batch is known only at run time: refused where it is computed.
    const symbolic = model([...batchIs(2), ifNode('c', thenG, elseG, ['y'], 'gate')], [['x', ['N', 3]]], [['y', 'float32']], consts(2));
    assert.throws(() => readModel(symbolic), /ONNX operator 'Equal' \(node '#2'\) has no gluonc equivalent: comparing the symbolic dimension N with 2/);
    const twoOut = model([...batchIs(2), ifNode('c', thenG, elseG, ['y', 'z'], 'gate')], [['x', [2, 3]]], [['y', 'float32']], consts(2));
    assert.throws(() => readModel(twoOut), /node 'gate'\) has no gluonc equivalent: its then_branch has 1 output\(s\) for the node's 2/);
  });
});
