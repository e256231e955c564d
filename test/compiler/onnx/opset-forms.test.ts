/**
 * The per-opset rewrites of ONNX nodes (`legalizeNode`), the check of what a
 * node needs (`onnxNeeds`), and the named errors of the emitter: below the
 * supported range, below an operator's declared minimum, and when a lowering
 * emits a node its target opset lacks.
 */
import assert from 'node:assert/strict';
import { sym } from 'gluonc';
import { checkGraphOpset, emitModel, minOpsetOf } from '../../../compiler/onnx/emit.js';
import { legalizeNode, MAX_OPSET, MIN_OPSET, ONNX_INTRODUCED, onnxNeeds, type LegalizeEnv, type PendingNode } from '../../../compiler/onnx/opset-forms.js';
import { getOp } from '../../../compiler/ops/registry.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { runPython } from '../../helpers/python-server.js';

function env(consts: Record<string, number[]>): LegalizeEnv & { made: number[][] } {
  let n = 0;
  const made: number[][] = [];
  return {
    made,
    dtypeOf: () => undefined,
    intsOf: (name) => consts[name],
    fresh: (hint) => `${hint}${n++}`,
    ints: (values) => {
      made.push([...values]);
      return `ints${made.length - 1}`;
    },
  };
}

const node = (opType: string, inputs: string[], attrs: PendingNode['attrs'] = {}, outputs = ['y']): PendingNode => ({ opType, inputs, attrs, outputs });

describe('ONNX forms by opset', () => {
  it('the supported range is 13 to 21', () => {
    assert.equal(MIN_OPSET, 13);
    assert.equal(MAX_OPSET, 21);
  });

  it('reduction axes: an input from 18, an attribute from a constant below; ReduceSum keeps the input from 13', () => {
    const e = env({ k: [1, -1] });
    const mean = node('ReduceMean', ['x', 'k'], { keepdims: 1 });
    assert.deepEqual(legalizeNode(mean, 18, e), [mean]);
    assert.deepEqual(legalizeNode(mean, 17, e), [node('ReduceMean', ['x'], { keepdims: 1, axes: [1, -1] })]);
    assert.deepEqual(legalizeNode(node('ReduceMax', ['x', ''], { keepdims: 0 }), 13, e), [node('ReduceMax', ['x'], { keepdims: 0 })]);
    const sum = node('ReduceSum', ['x', 'k'], { keepdims: 1 });
    assert.deepEqual(legalizeNode(sum, 13, e), [sum]);
    assert.equal(onnxNeeds(sum), null);
    assert.deepEqual(onnxNeeds(mean), { opset: 18, what: 'ONNX ReduceMean with axes as an input' });
    assert.throws(() => legalizeNode(node('ReduceMin', ['x', 'computed']), 17, e), /ReduceMin with axes computed at run time needs opset 18 \(axes as an input\), the graph is emitted at opset 17/);
  });

  it('Split: num_outputs from 18, equal parts by output count below', () => {
    const split = node('Split', ['x'], { axis: 1, num_outputs: 3 }, ['a', 'b', 'c']);
    assert.deepEqual(legalizeNode(split, 18, env({})), [split]);
    assert.deepEqual(legalizeNode(split, 13, env({})), [node('Split', ['x'], { axis: 1 }, ['a', 'b', 'c'])]);
    assert.deepEqual(onnxNeeds(split)?.opset, 18);
  });

  it('Shape: start/end from 15, Shape + Slice below (an open end slices to the last dimension)', () => {
    const e = env({});
    const shape = node('Shape', ['x'], { start: 1, end: undefined });
    assert.deepEqual(legalizeNode(shape, 15, e), [shape]);
    const [full, slice] = legalizeNode(shape, 14, e) as [PendingNode, PendingNode];
    assert.deepEqual(full, node('Shape', ['x'], {}, [full.outputs[0]!]));
    assert.deepEqual(slice, node('Slice', [full.outputs[0]!, 'ints0', 'ints1', 'ints2'], {}, ['y']));
    assert.deepEqual(e.made, [[1], [Number.MAX_SAFE_INTEGER], [0]]);
  });

  it("the operators introduced after 13 are those python's onnx.defs lists (first since_version in 14..21; past 21, those a lowering emits have theirs)", () => {
    const past21 = JSON.stringify(Object.keys(ONNX_INTRODUCED).filter((k) => ONNX_INTRODUCED[k]! > 21));
    const py = String.raw`
import json, onnx.defs as d
first = {}
for s in d.get_all_schemas_with_history():
    if s.domain in ('', 'ai.onnx'):
        first[s.name] = min(first.get(s.name, 999), s.since_version)
print(json.dumps({k: v for k, v in first.items() if 13 < v <= 21 or k in ${past21}}))`;
    const r = runPython(py);
    assert.equal(r.status, 0, r.stderr);
    const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
    assert.deepEqual(sorted({ ...ONNX_INTRODUCED }), sorted(JSON.parse(r.stdout) as Record<string, number>));
  });

  it('what a node needs: new operators and new attributes', () => {
    assert.deepEqual(onnxNeeds(node('Trilu', ['x'])), { opset: 14, what: 'ONNX Trilu' });
    assert.deepEqual(onnxNeeds(node('Gelu', ['x'])), { opset: 20, what: 'ONNX Gelu' });
    assert.deepEqual(onnxNeeds(node('ScatterND', ['d', 'i', 'u'], { reduction: 'add' })), { opset: 16, what: "ONNX ScatterND with reduction='add'" });
    assert.deepEqual(onnxNeeds(node('ScatterElements', ['d', 'i', 'u'], { reduction: 'max' }))?.opset, 18);
    assert.equal(onnxNeeds(node('ScatterElements', ['d', 'i', 'u'], { axis: 0 })), null);
    assert.deepEqual(onnxNeeds(node('Reshape', ['x', 's'], { allowzero: 1 }))?.opset, 14);
    assert.deepEqual(onnxNeeds(node('LpPool', ['x'], { ceil_mode: 1 }))?.opset, 18);
    assert.equal(onnxNeeds(node('Relu', ['x'])), null);
  });

  it('an operator below its declared minimum is named with the minimum', () => {
    const def = getOp('fft') as { minOpset?: number };
    const old = def.minOpset;
    def.minOpset = 17; // as an operator declaring `minOpset: 17` would
    try {
      assert.equal(minOpsetOf('fft'), 17);
      const g = graphOf(sym.fft(sym.relu(sym.var('x', { shape: [2, 8] }))));
      assert.throws(() => checkGraphOpset(g, 16), /^Error: opset 16 is too low: fft needs opset 17$/);
      assert.doesNotThrow(() => emitModel(g, { opset: 17 }));
    } finally {
      def.minOpset = old;
    }
    assert.equal(minOpsetOf('fft'), 13);
  });

  it('a lowering that emits a node its target opset lacks is a named error, not a file onnxruntime refuses', () => {
    const def = getOp('tanh') as { lower: (c: never, a: never) => void };
    const old = def.lower;
    def.lower = ((c: { emit: (op: string, ins: string[], attrs: object, outs: string[]) => void; inputs: string[]; outputs: string[] }) => c.emit('Trilu', c.inputs, {}, c.outputs)) as never;
    try {
      const g = graphOf(sym.tanh(sym.var('x', { shape: [2, 2] })));
      assert.throws(() => emitModel(g, { opset: 13 }), /^Error: opset 13 is too low: tanh needs opset 14 \(ONNX Trilu\)$/);
      assert.doesNotThrow(() => emitModel(g, { opset: 14 }));
    } finally {
      def.lower = old;
    }
  });
});
