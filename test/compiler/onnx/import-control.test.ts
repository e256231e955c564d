/**
 * The importer's control flow (compiler/onnx/read-control.ts): an `If` whose
 * condition is known when the model is read (constants, or shape checks over
 * static shapes, as exporters write them) becomes the branch taken; a `Loop`
 * whose trip count and conditions are known, and a `Scan` over a known
 * sequence length, are unrolled; an `If` decided at run time computes both
 * branches and selects with `where`. The results equal onnxruntime's on the
 * same file. A Loop decided at run time runs as an ONNX Loop (more in
 * import-loop.test.ts).
 */
import assert from 'node:assert/strict';
import type { onnx as OnnxNs } from 'onnx-proto';
import { readModel, tensorProto, valueInfo } from '../../../compiler/onnx/index.js';
import { LOOP_UNROLL_MAX } from '../../../compiler/onnx/read-control.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { autograd, nd } from 'gluonc';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { T, data, i64, int, model, sameAsOrt } from './ort-compare.js';

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

describe('compiler/onnx import: control flow (If, Loop, Scan)', () => {
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

  it('computes both branches of an If whose condition is computed at run time and selects with it, as onnxruntime takes one', async () => {
    const gated = (then: OnnxNs.IGraphProto, other: OnnxNs.IGraphProto, shape: [string, number[]][] = [['x', [2, 3]]]): Uint8Array =>
      model(
        [{ opType: 'ReduceSum', input: ['x'], output: ['s'], attribute: [{ name: 'keepdims', type: T.INT, i: 0 }] }, { opType: 'Greater', input: ['s', 'zero'], output: ['c'] }, ifNode('c', then, other, ['y'], 'gate')],
        shape,
        [['y', 'float32']],
        [['zero', tensorFromNumbers('float32', [], [0])]],
      );
    const x = data([2, 3]);
    const neg = tensorFromNumbers('float32', [2, 3], Array.from(x.data as Float32Array, (v) => -v - 1));
    // The sums of x and of neg have opposite signs: each branch is taken once.
    await sameAsOrt(gated(thenG, elseG), { x });
    await sameAsOrt(gated(thenG, elseG), { x: neg });
    // The gradient flows into the branch taken: sum(relu(x) + bias) gives 1 where x > 0, sum(-x) gives -1.
    for (const [input, taken] of [[x, true], [neg, false]] as const) {
      const { graph } = readModel(gated(thenG, elseG));
      const xa = new NDArray(input);
      xa.attachGrad();
      autograd.record(() => nd.sum(new SymbolBlock(graph).call(xa) as NDArray)).backward();
      assert.deepEqual(Array.from(xa.grad.data() as Float32Array), Array.from(input.data as Float32Array, (v) => (taken ? (v > 0 ? 1 : 0) : -1)));
    }
    // A shape check over a symbolic batch (N == 2) is computed when the graph runs: each batch size takes its branch.
    const symbolic = model([...batchIs(2), ifNode('c', thenG, elseG, ['y'], 'gate')], [['x', ['N', 3]]], [['y', 'float32']], consts(2));
    await sameAsOrt(symbolic, { x: data([2, 3]) });
    await sameAsOrt(symbolic, { x: data([4, 3]) });
    // Both branches must give one type per output, and both must import.
    const wide = branch([{ opType: 'Concat', input: ['x', 'x'], output: ['t3'], attribute: [{ name: 'axis', type: T.INT, i: 1 }] }], ['t3']);
    assert.throws(() => readModel(gated(thenG, wide)), /'If' \(node 'gate'\) has no gluonc equivalent: its condition is computed at run time, so both branches are computed and the condition selects between them, which needs one type per output, but output 0 is float32\[2, 3\] in the then_branch and float32\[2, 6\] in the else_branch/);
    const bad = branch([{ opType: 'TfIdfVectorizer', input: ['x'], output: ['t4'], name: 'tf' }], ['t4']);
    assert.throws(() => readModel(gated(thenG, bad)), /its else_branch does not import: ONNX operator 'TfIdfVectorizer' \(node 'gate\/else_branch\/tf'\)/);
  });

  it('refuses what it cannot read, naming the node', () => {
    const noCond = model([ifNode('', thenG, elseG, ['y'], 'gate')], [['x', [2, 3]]], [['y', 'float32']]);
    assert.throws(() => readModel(noCond), /ONNX operator 'If' \(node 'gate'\): input 0 \('cond'\) of If-1 is required but named ''/);
    const twoOut = model([...batchIs(2), ifNode('c', thenG, elseG, ['y', 'z'], 'gate')], [['x', [2, 3]]], [['y', 'float32']], consts(2));
    assert.throws(() => readModel(twoOut), /node 'gate'\) has no gluonc equivalent: its then_branch has 1 output\(s\) for the node's 2/);
  });

  /** A Loop body: v_out = v * 2 + iteration, scan output v_out, and the condition `cond` computes. */
  function loopBody(cond: OnnxNs.INodeProto[]): OnnxNs.IGraphProto {
    return {
      name: 'body',
      node: [
        { opType: 'Cast', input: ['it'], output: ['itf'], attribute: [{ name: 'to', type: T.INT, i: 1 }] },
        { opType: 'Mul', input: ['v', 'two'], output: ['v2'] },
        { opType: 'Add', input: ['v2', 'itf'], output: ['vo'] },
        { opType: 'Identity', input: ['vo'], output: ['so'] },
        ...cond,
      ],
      input: [valueInfo('it', { dtype: 'int64', shape: [] }), valueInfo('ci', { dtype: 'bool', shape: [] }), valueInfo('v', { dtype: 'float32' })],
      output: [valueInfo('co', { dtype: 'bool', shape: [] }), valueInfo('vo', { dtype: 'float32' }), valueInfo('so', { dtype: 'float32' })],
      initializer: [tensorProto('two', tensorFromNumbers('float32', [], [2]))],
    };
  }
  const keepGoing = [{ opType: 'Identity', input: ['ci'], output: ['co'] }];
  const loop = (m: string, cond: string, body: OnnxNs.IGraphProto, name = 'loop'): OnnxNs.INodeProto => ({ opType: 'Loop', name, input: [m, cond, 'x'], output: ['y', 'ys'], attribute: [{ name: 'body', type: T.GRAPH, g: body }] });
  const outs: [string, 'float32'][] = [['y', 'float32'], ['ys', 'float32']];

  it('unrolls a Loop of a constant trip count: loop-carried values and stacked scan outputs, as onnxruntime', async () => {
    const bytes = model([loop('m', '', loopBody(keepGoing))], [['x', [2, 3]]], outs, [['m', tensorFromNumbers('int64', [], [4])]]);
    await sameAsOrt(bytes, { x: data([2, 3]) });
    const { graph } = readModel(bytes);
    assert.deepEqual(graph.outputs.map((o) => o.value.type.shape), [[2, 3], [4, 2, 3]]);
  });

  it("stops where the body's condition (known per iteration) turns false, and takes a trip count from a static shape", async () => {
    // co = it < 2: iterations 0, 1, 2 run; the third returns false.
    const early = [{ opType: 'Less', input: ['it', 'k2'], output: ['co'] }];
    const body = loopBody(early);
    body.initializer!.push(tensorProto('k2', tensorFromNumbers('int64', [], [2])));
    const bytes = model([loop('m', 'yes', body)], [['x', [2, 3]]], outs, [['m', tensorFromNumbers('int64', [], [10])], ['yes', tensorFromNumbers('bool', [], [1])]]);
    await sameAsOrt(bytes, { x: data([2, 3]) });
    assert.deepEqual(readModel(bytes).graph.outputs[1]!.value.type.shape, [3, 2, 3]);
    const fromShape = model(
      [{ opType: 'Shape', input: ['x'], output: ['s'] }, { opType: 'Gather', input: ['s', 'zero'], output: ['m'], attribute: [{ name: 'axis', type: T.INT, i: 0 }] }, loop('m', '', loopBody(keepGoing))],
      [['x', [3, 2]]],
      outs,
      [['zero', tensorFromNumbers('int64', [], [0])]],
    );
    await sameAsOrt(fromShape, { x: data([3, 2]) });
  });

  it('runs a Loop decided at run time (or past the unroll limit) as an ONNX Loop, and refuses one without trip count or condition, naming the node', async () => {
    const m = (v: number): [string, ReturnType<typeof i64>] => ['m', tensorFromNumbers('int64', [], [v])];
    const dataCond = [{ opType: 'ReduceSum', input: ['vo'], output: ['sum'], attribute: [{ name: 'keepdims', type: T.INT, i: 0 }] }, { opType: 'Greater', input: ['sum', 'two'], output: ['co'] }];
    await sameAsOrt(model([loop('m', '', loopBody(dataCond), 'lp')], [['x', [2, 3]]], outs, [m(3)]), { x: data([2, 3]) });
    const runtimeM = model([{ opType: 'ReduceMax', input: ['x'], output: ['mx'], attribute: [{ name: 'keepdims', type: T.INT, i: 0 }] }, { opType: 'Abs', input: ['mx'], output: ['am'] }, { opType: 'Cast', input: ['am'], output: ['m'], attribute: [{ name: 'to', type: T.INT, i: 7 }] }, loop('m', '', loopBody(keepGoing), 'lp')], [['x', [2, 3]]], outs);
    await sameAsOrt(runtimeM, { x: data([2, 3]) });
    assert.deepEqual(readModel(runtimeM).graph.nodes.map((n) => n.op).filter((op) => op === 'OnnxLoop'), ['OnnxLoop']);
    // A symbolic batch: the body is read for x [N, 3]; each batch size runs.
    const symbolic = model([{ opType: 'ReduceMax', input: ['x'], output: ['mx'], attribute: [{ name: 'keepdims', type: T.INT, i: 0 }] }, { opType: 'Abs', input: ['mx'], output: ['am'] }, { opType: 'Cast', input: ['am'], output: ['m'], attribute: [{ name: 'to', type: T.INT, i: 7 }] }, loop('m', '', loopBody(keepGoing), 'lp')], [['x', ['N', 3]]], outs);
    await sameAsOrt(symbolic, { x: data([2, 3]) });
    await sameAsOrt(symbolic, { x: data([5, 3], 4) });
    const many = model([loop('m', '', loopBody(keepGoing), 'lp')], [['x', [1]]], [['y', 'float32']], [m(LOOP_UNROLL_MAX + 1)]);
    assert.ok(readModel(many).graph.nodes.some((n) => n.op === 'OnnxLoop'), `a trip count above ${LOOP_UNROLL_MAX} runs as a Loop`);
    assert.throws(() => readModel(model([loop('', '', loopBody(keepGoing), 'lp')], [['x', [2, 3]]], outs)), /node 'lp'\) has no gluonc equivalent: it has neither a trip count M nor a condition: it would never end/);
    assert.throws(() => readModel(model([loop('m', '', loopBody(keepGoing), 'lp')], [['x', [2, 3]]], outs, [m(0)])), /node 'lp'\) has no gluonc equivalent: it runs 0 iterations and has scan outputs/);
  });

  it('reads a Slice whose starts and ends are computed at run time (step 1, constant axes), negative bounds wrapped, as onnxruntime', async () => {
    // k = argmax of the column sums; y = x[:, k - shift : k - shift + 2] (shift 5 makes both bounds negative).
    for (const shift of [0, 5]) {
      const bytes = model(
        [
          { opType: 'ReduceSum', input: ['x', 'zero1'], output: ['cs'], attribute: [int('keepdims', 0)] },
          { opType: 'ArgMax', input: ['cs'], output: ['k'], attribute: [int('keepdims', 1)] },
          { opType: 'Sub', input: ['k', 'shift'], output: ['b'] },
          { opType: 'Add', input: ['b', 'two'], output: ['e'] },
          { opType: 'Slice', input: ['x', 'b', 'e', 'one1'], output: ['y'], name: 'sl' },
        ],
        [['x', [3, 5]]],
        [['y', 'float32']],
        [['zero1', i64([0])], ['one1', i64([1])], ['two', i64([2])], ['shift', i64([shift])]],
      );
      await sameAsOrt(bytes, { x: data([3, 5], 3) });
      await sameAsOrt(bytes, { x: data([3, 5], 7) });
    }
  });

  /** A Scan body: h' = tanh(h * w + x_t) (state), y_t = h' + x_t (scan output); x_t of shape [3]. */
  const scanBody: OnnxNs.IGraphProto = {
    name: 'body',
    node: [
      { opType: 'Mul', input: ['h', 'w'], output: ['hw'] },
      { opType: 'Add', input: ['hw', 'xt'], output: ['pre'] },
      { opType: 'Tanh', input: ['pre'], output: ['h2'] },
      { opType: 'Add', input: ['h2', 'xt'], output: ['yt'] },
    ],
    input: [valueInfo('h', { dtype: 'float32', shape: [3] }), valueInfo('xt', { dtype: 'float32', shape: [3] })],
    output: [valueInfo('h2', { dtype: 'float32', shape: [3] }), valueInfo('yt', { dtype: 'float32', shape: [3] })],
    initializer: [tensorProto('w', data([3], 9))],
  };
  const scan = (attrs: OnnxNs.IAttributeProto[]): OnnxNs.INodeProto => ({ opType: 'Scan', name: 'sc', input: ['h0', 'x'], output: ['h', 'ys'], attribute: [{ name: 'body', type: T.GRAPH, g: scanBody }, { name: 'num_scan_inputs', type: T.INT, i: 1 }, ...attrs] });
  const ints = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: T.INTS, ints: v });

  it('unrolls a Scan over a known sequence length, in every direction and axis, as onnxruntime', async () => {
    const h0: [string, ReturnType<typeof data>] = ['h0', data([3], 4)];
    const sOuts: [string, 'float32'][] = [['h', 'float32'], ['ys', 'float32']];
    await sameAsOrt(model([scan([])], [['x', [5, 3]]], sOuts, [h0]), { x: data([5, 3]) });
    await sameAsOrt(model([scan([ints('scan_input_directions', [1]), ints('scan_output_directions', [1])])], [['x', [5, 3]]], sOuts, [h0]), { x: data([5, 3]) });
    const axes = model([scan([ints('scan_input_axes', [1]), ints('scan_output_axes', [-1])])], [['x', [3, 4]]], sOuts, [h0]);
    await sameAsOrt(axes, { x: data([3, 4]) });
    assert.deepEqual(readModel(axes).graph.outputs[1]!.value.type.shape, [3, 4]);
  });

  it("reads opset 8's batched Scan (batch axis first, directions, sequence_lens) as opset 9's per batch element, as onnxruntime", async () => {
    const scan8 = (lens: string, attrs: OnnxNs.IAttributeProto[]): OnnxNs.INodeProto => ({ ...scan(attrs), input: [lens, 'h0', 'x'] });
    const sOuts: [string, 'float32'][] = [['h', 'float32'], ['ys', 'float32']];
    const h0: [string, ReturnType<typeof data>] = ['h0', data([2, 3], 4)];
    await sameAsOrt(model([scan8('', [])], [['x', [2, 5, 3]]], sOuts, [h0], 8), { x: data([2, 5, 3]) });
    await sameAsOrt(model([scan8('', [ints('directions', [1])])], [['x', [2, 5, 3]]], sOuts, [h0], 8), { x: data([2, 5, 3]) });
    await sameAsOrt(model([scan8('lens', [])], [['x', [2, 5, 3]]], sOuts, [h0, ['lens', tensorFromNumbers('int64', [2], [5, 5])]], 8), { x: data([2, 5, 3]) });
    // Shorter sequences: their first steps (a reverse one within them), scan outputs padded with zeros.
    for (const attrs of [[], [ints('directions', [1])]]) {
      await sameAsOrt(model([scan8('lens', attrs)], [['x', [2, 5, 3]]], sOuts, [h0, ['lens', tensorFromNumbers('int64', [2], [5, 3])]], 8), { x: data([2, 5, 3]) });
    }
    const bad = model([scan8('lens', [])], [['x', [2, 5, 3]]], sOuts, [h0, ['lens', tensorFromNumbers('int64', [2], [6, 3])]], 8);
    assert.throws(() => readModel(bad), /'Scan' \(node 'sc'\) has no gluonc equivalent: its sequence_lens \[6, 3\] must give each of the 2 sequences a length in \[1, 5\]/);
  });

  it('refuses a Scan over a symbolic length, naming the node', () => {
    const sym = model([scan([])], [['x', ['T', 3]]], [['h', 'float32'], ['ys', 'float32']], [['h0', data([3], 4)]]);
    assert.throws(() => readModel(sym), /ONNX operator 'Scan' \(node 'sc'\) has no gluonc equivalent: its scanned axes have lengths T: a Scan is unrolled only over one length known when the file is read/);
  });
});
