/**
 * The graph checks every reader of an artifact shares (runtime/model-graph.ts
 * through readModelFile): a manifest contradicting its graph, a zero or
 * negative graph-input dimension, a cycle, a value produced twice — each
 * refused by name; a manifest that only pins a symbolic dimension is accepted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import { loadModel, readModelFile } from '../../runtime/index.js';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNs };

type Dims = (number | string)[];
const vi = (name: string, dims: Dims, elemType = 1): OnnxNs.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

/** y = Relu(x) (or the given nodes), x and y of `dims`, with an optional manifest. */
function model(o: { dims?: Dims; nodes?: OnnxNs.INodeProto[]; manifest?: object } = {}): Uint8Array {
  const dims = o.dims ?? ['N', 3];
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: o.manifest ? [{ key: 'gluonc.manifest', value: JSON.stringify(o.manifest) }] : [],
    graph: { name: 'g', node: o.nodes ?? [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [vi('x', dims)], output: [vi('y', dims)] },
  }).finish();
}

const io = (name: string, shape: Dims, dtype = 'float32') => ({ name, dtype, shape });
const manifest = (inputs: object[], outputs: object[] = [io('y', ['N', 3])]) => ({ format: 1, inputs, outputs, params: [] });

describe('runtime/model-graph', () => {
  let dir: string;
  let n = 0;
  const write = (bytes: Uint8Array): string => {
    const f = path.join(dir, `m${n++}.onnx`);
    writeFileSync(f, bytes);
    return f;
  };
  const refused = async (bytes: Uint8Array, pattern: RegExp): Promise<void> => {
    const f = write(bytes);
    assert.throws(() => readModelFile(f), (e: Error) => (assert.match(e.message, pattern), assert.ok(e.message.startsWith(`'${f}': refused: `), e.message), true));
    await assert.rejects(loadModel(f), pattern);
  };
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-graph-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the graph inputs and outputs (not the initializers)', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
        input: [vi('x', ['N', 3]), vi('w', [3])],
        output: [vi('y', ['N', 3])],
        initializer: [{ name: 'w', dims: [3], dataType: 1, floatData: [1, 2, 3] }],
      },
    }).finish();
    const g = readModelFile(write(bytes)).graph;
    assert.deepEqual(g.inputs, [{ name: 'x', dtype: 'float32', elemType: 1, shape: ['N', 3] }]);
    assert.deepEqual(g.outputs, [{ name: 'y', dtype: 'float32', elemType: 1, shape: ['N', 3] }]);
    assert.equal(g.nodes, 1);
  });

  describe('a manifest that contradicts its graph', () => {
    it('a fixed dimension', () => refused(model({ manifest: manifest([io('x', ['N', 4])]) }), /the manifest declares input 'x' as float32 \[N, 4\] but the graph's is float32 \[N, 3\] \(dimension 1: 4 vs 3\)/));
    it('a dimension the graph fixes, declared symbolic', () =>
      refused(model({ dims: [2, 3], manifest: manifest([io('x', ['N', 3])], [io('y', [2, 3])]) }), /input 'x' as float32 \[N, 3\] but the graph's is float32 \[2, 3\] \(dimension 0: 'N' vs 2\)/));
    it('a dtype', () => refused(model({ manifest: manifest([io('x', ['N', 3], 'float16')]) }), /input 'x' as float16 \[N, 3\] but the graph's is float32 \[N, 3\] \(dtype\)/));
    it('a rank', () => refused(model({ manifest: manifest([io('x', ['N', 3, 1])]) }), /input 'x' as float32 \[N, 3, 1\] but the graph's is float32 \[N, 3\] \(rank 3 vs 2\)/));
    it('an output', () => refused(model({ manifest: manifest([io('x', ['N', 3])], [io('y', ['N', 5])]) }), /the manifest declares output 'y' as float32 \[N, 5\] but the graph's is float32 \[N, 3\] \(dimension 1: 5 vs 3\)/));
    it('a name the graph does not have', () => refused(model({ manifest: manifest([io('x', ['N', 3]), io('q', [1])]) }), /the manifest declares input 'q', which the graph does not have \(the graph's inputs: 'x'\)/));
    it('a graph input missing from the manifest', () => refused(model({ manifest: manifest([]) }), /the graph's input 'x' is missing from the manifest \(the manifest's inputs: none\)/));
    it('a manifest may pin a dimension the graph leaves symbolic', async () => {
      const m = await loadModel(write(model({ manifest: manifest([io('x', [4, 3])], [io('y', [4, 3])]) })));
      assert.deepEqual(m.inputs, [{ name: 'x', dtype: 'float32', shape: [4, 3] }]);
      await m.close();
    });
  });

  describe('graph inputs and structure', () => {
    it('a zero or negative dimension in a graph input', async () => {
      await refused(model({ dims: [0, 3] }), /graph input 'x' declares dimension 0 as 0; a graph input's fixed dimensions must be positive/);
      await refused(model({ dims: ['N', -3] }), /graph input 'x' declares dimension 1 as -3;/);
    });
    it('a cycle', () =>
      refused(
        model({ nodes: [{ name: 'first', opType: 'Add', input: ['x', 'b'], output: ['a'] }, { name: 'second', opType: 'Relu', input: ['a'], output: ['b'] }, { opType: 'Relu', input: ['a'], output: ['y'] }] }),
        /the graph has a cycle through node 'first' \(Add\): a node depends on its own output/,
      ));
    it('a value produced twice', () =>
      refused(model({ nodes: [{ name: 'p', opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'Neg', input: ['x'], output: ['y'] }] }), /value 'y' is produced twice, by node 'p' \(Relu\) and by node #1 \(Neg\)/));
    it('nodes out of topological order but acyclic are accepted', async () => {
      const m = await loadModel(write(model({ nodes: [{ opType: 'Relu', input: ['a'], output: ['y'] }, { opType: 'Neg', input: ['x'], output: ['a'] }] })));
      const out = await m.run({ x: { data: new Float32Array([1, -2, 3]), shape: [1, 3] } });
      assert.deepEqual(Array.from(out['y']!.data as Float32Array), [0, 2, 0]);
      await m.close();
    });
    it('a long chain is walked without recursion (linear; 50,000 nodes)', () => {
      const nodes: OnnxNs.INodeProto[] = [];
      for (let i = 0; i < 50_000; i++) nodes.push({ opType: 'Relu', input: [i ? `v${i - 1}` : 'x'], output: [i === 49_999 ? 'y' : `v${i}`] });
      assert.equal(readModelFile(write(model({ nodes }))).graph.nodes, 50_000);
      // The same chain closed into a loop is found.
      nodes[0] = { opType: 'Add', input: ['x', 'v49998'], output: ['v0'] };
      assert.throws(() => readModelFile(write(model({ nodes }))), /the graph has a cycle through node #0 \(Add\)/);
    });
  });
});
