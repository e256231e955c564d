/**
 * The IR: graph construction from outputs (topological order, dead nodes
 * left out, parameters and constants collected), the printer's stable text,
 * the verifier's checks, and use lists kept right by `Node.setInput`.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Node } from '../../../compiler/ir/node.js';
import { formatAttrs, printGraph } from '../../../compiler/ir/printer.js';
import type { Shape, TensorType } from '../../../compiler/ir/types.js';
import { Value } from '../../../compiler/ir/value.js';
import { verifyGraph, type InferFn } from '../../../compiler/ir/verify.js';
import { getOp } from '../../../compiler/ops/registry.js';

const f32 = (shape: Shape): TensorType => ({ dtype: 'float32', shape });

/** A node whose output type comes from the operator's own type rule. */
function apply(op: string, inputs: Value[], attrs: Record<string, number> = {}): Value {
  const types = getOp(op).infer(inputs.map((v) => v.type), attrs as never);
  return Node.create(op, inputs, attrs, types).outputs[0]!;
}

const infer: InferFn = (node) => getOp(node.op).infer(node.inputs.map((v) => v.type), node.attrs as never);

/** x -> mul(x, 0.5) -> relu -> add(., b) -> clip; relu is also an output; neg(x) is dead. */
function sample() {
  const x = Value.input('x', f32(['N', 2]));
  const b = Value.param('b', f32([2]));
  const half = Value.constant({ dtype: 'float32', shape: [], data: Float32Array.of(0.5) });
  const m = apply('mul', [x, half]);
  const r = apply('relu', [m]);
  const a = apply('add', [r, b]);
  const dead = apply('neg', [x]);
  const y = apply('clip', [a], { aMin: 0, aMax: 6 });
  return { x, b, half, m, r, a, dead, y, g: Graph.fromOutputs([x], { y, z: r }) };
}

describe('IR', () => {
  describe('Graph.fromOutputs', () => {
    it('orders nodes topologically and leaves out nodes the outputs do not need', () => {
      const { g, dead, half, b } = sample();
      assert.deepEqual(g.nodes.map((n) => n.op), ['mul', 'relu', 'add', 'clip']);
      assert.ok(!g.nodes.includes(dead.producer!), 'the dead neg node is excluded');
      // Every input of a node is defined before it.
      const defined = new Set<Value>([...g.inputs, ...g.params, ...g.constants]);
      for (const n of g.nodes) {
        for (const v of n.inputs) assert.ok(defined.has(v), `${n.op} uses a value defined later`);
        n.outputs.forEach((o) => defined.add(o));
      }
      assert.deepEqual(g.params, [b]);
      assert.deepEqual(g.constants, [half]);
      assert.deepEqual(g.outputs.map((o) => o.name), ['y', 'z']);
    });

    it('puts a diamond\'s shared node once, before both users', () => {
      const x = Value.input('x', f32([3]));
      const e = apply('exp', [x]);
      const s = apply('sin', [e]);
      const c = apply('cos', [e]);
      const g = Graph.fromOutputs([x], { y: apply('add', [c, s]) });
      assert.equal(g.nodes.length, 4);
      assert.equal(g.nodes[0]!.op, 'exp');
      assert.equal(g.nodes[3]!.op, 'add');
      assert.deepEqual(new Set(g.nodes.slice(1, 3).map((n) => n.op)), new Set(['sin', 'cos']));
    });

    it('names an input that is reached but not listed', () => {
      const x = Value.input('x', f32([2]));
      const y = apply('relu', [x]);
      assert.throws(() => Graph.fromOutputs([], { y }), /graph input 'x' is used but not bound/);
    });

    it('rebuild() drops nodes no output reaches any more', () => {
      const { g, r } = sample();
      g.outputs = [{ name: 'z', value: r }];
      g.rebuild();
      assert.deepEqual(g.nodes.map((n) => n.op), ['mul', 'relu']);
      assert.deepEqual(g.params, []);
    });
  });

  describe('printGraph', () => {
    it('prints a stable text form', () => {
      const { g } = sample();
      const expected = [
        'graph(%x: float32[N, 2]) {',
        '  param %b: float32[2]',
        '  const %c0: float32[] = [0.5]',
        '  %1: float32[N, 2] = mul(%x, %c0)',
        '  %2: float32[N, 2] = relu(%1)',
        '  %3: float32[N, 2] = add(%2, %b)',
        '  %4: float32[N, 2] = clip(%3) {aMax: 6, aMin: 0}',
        '  return y=%4, z=%2',
        '}',
      ].join('\n');
      assert.equal(printGraph(g), expected);
      assert.equal(printGraph(sample().g), expected, 'the text does not depend on value ids');
    });

    it('formats attributes with sorted keys, nested values, and skips undefined', () => {
      assert.equal(formatAttrs({}), '');
      assert.equal(
        formatAttrs({ z: 'same', axis: [1, -1], keepdims: true, skip: undefined, opts: { b: null, a: [2.5] } }),
        ' {axis: [1, -1], keepdims: true, opts: {a: [2.5], b: null}, z: "same"}',
      );
    });
  });

  describe('verifyGraph', () => {
    it('accepts a sound graph, with the type rules', () => {
      const { g } = sample();
      assert.equal(verifyGraph(g, infer), g);
    });

    it('catches a broken use list', () => {
      const { g, r } = sample();
      const add = g.nodes[2]!;
      r.uses.splice(r.uses.indexOf(add), 1);
      assert.throws(() => verifyGraph(g), /node 2 \(add\): input 0 does not list the node among its uses/);
    });

    it('catches an input that is not defined before its use', () => {
      const { g } = sample();
      const stray = Value.input('stray', f32(['N', 2]));
      g.nodes[1]!.setInput(0, stray);
      assert.throws(() => verifyGraph(g), /node 1 \(relu\): input 0 is not defined before it/);
    });

    it('catches nodes out of order', () => {
      const { g } = sample();
      [g.nodes[0], g.nodes[1]] = [g.nodes[1]!, g.nodes[0]!];
      assert.throws(() => verifyGraph(g), /node 0 \(relu\): input 0 is not defined before it/);
    });

    it('catches an output type the type rule does not give', () => {
      const { g, a } = sample();
      a.type = f32(['N', 3]);
      assert.throws(() => verifyGraph(g, infer), /node 2 \(add\): output 0 is float32\[N, 3\] but the type rule gives float32\[N, 2\]/);
      // Without a type rule only the invariants are checked.
      verifyGraph(g);
    });

    it('reports a type rule that throws, and duplicate output names', () => {
      const { g, b } = sample();
      b.type = f32([5]);
      g.outputs.push({ name: 'y', value: g.outputs[0]!.value });
      assert.throws(() => verifyGraph(g, infer), (e: Error) => {
        assert.match(e.message, /node 2 \(add\): type rule fails: add:/);
        assert.match(e.message, /output name 'y' is used twice/);
        return true;
      });
    });
  });

  describe('Node.setInput', () => {
    it('moves the node from the old value\'s uses to the new one\'s', () => {
      const x = Value.input('x', f32([2]));
      const y = Value.input('y', f32([2]));
      const n = Node.create('add', [x, x], {}, [f32([2])]);
      assert.deepEqual(x.uses, [n, n], 'one use per input slot');
      n.setInput(1, y);
      assert.deepEqual(n.inputs, [x, y]);
      assert.deepEqual(x.uses, [n]);
      assert.deepEqual(y.uses, [n]);
      n.setInput(0, y);
      assert.deepEqual(x.uses, []);
      assert.deepEqual(y.uses, [n, n]);
      verifyGraph(Graph.fromOutputs([x, y], { out: n.outputs[0]! }), infer);
      n.detach();
      assert.deepEqual(y.uses, []);
    });

    it('Node.create wires producers and output slots', () => {
      const x = Value.input('x', f32([2]));
      const n = Node.create('relu', [x], {}, [f32([2])], 'net.dense0');
      assert.equal(n.outputs[0]!.producer, n);
      assert.equal(n.outputs[0]!.index, 0);
      assert.equal(n.outputs[0]!.kind, 'node');
      assert.equal(n.scope, 'net.dense0');
    });
  });
});
