/**
 * Indices computed at run time in imported gathers and scatters (Gather,
 * GatherElements, GatherND, ScatterElements and ScatterND with
 * reduction='add', and 'none' at run-time indices): within ONNX's [-n, n) (negatives count from the end) they
 * give onnxruntime's numbers; outside it, where onnxruntime fails the run
 * (and PyTorch's gather, scatter_add and index_put fail), the imported graph
 * fails too, eagerly and hybridized, naming the index, never reading or
 * writing a wrapped or dropped position. An overwriting
 * scatter whose run-time index addresses a position twice, which ONNX leaves
 * undefined and onnxruntime runs (the last write wins), fails the run rather
 * than summing the updates there.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { gluon } from 'gluonc';
import { compileGraph } from '../../../compiler/compile.js';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { data, int, model, str } from './ort-compare.js';

interface Case {
  name: string;
  node: OnnxNs.INodeProto;
  /** Index shape, an in-range index (negatives included), an out-of-range one. */
  index: [number[], number[], number[]];
  /** Updates shape of a scatter. */
  updates?: number[];
  /** The data shape (default D). */
  data?: number[];
  /** An overwriting scatter's in-range index that addresses one position twice: ONNX leaves it undefined, gluonc fails the run. */
  repeat?: number[];
}

const D2 = [4, 3];
const CASES: Case[] = [
  { name: 'Gather (axis 1)', node: { opType: 'Gather', input: ['d', 'i'], output: ['y'], attribute: [int('axis', 1)] }, index: [[2], [-1, 0], [3, 0]] },
  { name: 'GatherElements (axis 0)', node: { opType: 'GatherElements', input: ['d', 'i'], output: ['y'], attribute: [int('axis', 0)] }, index: [[1, 3], [3, -4, -1], [0, 4, 1]] },
  { name: 'GatherND', node: { opType: 'GatherND', input: ['d', 'i'], output: ['y'] }, index: [[2, 2], [-1, 2, 0, -3], [1, 3, 0, 0]] },
  { name: "ScatterElements (reduction='add', axis 1)", node: { opType: 'ScatterElements', input: ['d', 'i', 'u'], output: ['y'], attribute: [int('axis', 1), str('reduction', 'add')] }, index: [[4, 1], [0, -1, 2, -3], [0, 1, -4, 2]], updates: [4, 1] },
  { name: "ScatterND (reduction='add')", node: { opType: 'ScatterND', input: ['d', 'i', 'u'], output: ['y'], attribute: [str('reduction', 'add')] }, index: [[2, 2], [-4, 2, 3, -1], [4, 0, 0, 0]], updates: [2] },
  // Overwriting (reduction='none', the default) at run-time indices: torch's pack_padded_sequence(enforce_sorted=False) writes one.
  { name: "ScatterElements (reduction='none', axis 1)", node: { opType: 'ScatterElements', input: ['d', 'i', 'u'], output: ['y'], attribute: [int('axis', 1)] }, index: [[4, 2], [0, 2, -1, 1, 1, 0, 2, -2], [0, 3, 1, 2, 0, 1, 0, 1]], updates: [4, 2], repeat: [0, 2, -1, 1, 1, 0, 0, -3] },
  { name: "ScatterElements (reduction='none', axis 0)", node: { opType: 'ScatterElements', input: ['d', 'i', 'u'], output: ['y'], attribute: [int('axis', 0)] }, index: [[2, 3], [3, 0, -1, 0, 1, 2], [3, 0, 1, -5, 1, 2]], updates: [2, 3], repeat: [3, 0, -1, -1, 1, 2] },
  { name: "ScatterElements (reduction='none', 1-D)", node: { opType: 'ScatterElements', input: ['d', 'i', 'u'], output: ['y'] }, data: [5], index: [[5], [4, 0, -2, 1, 2], [5, 0, 1, 2, 3]], updates: [5], repeat: [4, 0, -1, 1, 2] },
  { name: "ScatterElements (reduction='add', 1-D, repeated)", node: { opType: 'ScatterElements', input: ['d', 'i', 'u'], output: ['y'], attribute: [str('reduction', 'add')] }, data: [5], index: [[3], [4, -1, 0], [0, -6, 1]], updates: [3] },
  { name: "ScatterND (reduction='none')", node: { opType: 'ScatterND', input: ['d', 'i', 'u'], output: ['y'] }, index: [[2, 2], [-4, 2, 3, -1], [4, 0, 0, 0]], updates: [2], repeat: [0, 2, -4, -1] },
];

/** The outputs of `bytes` in onnxruntime, or the error it fails with. */
async function ortRun(bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<number[] | Error> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape)])));
    return Array.from(out['y']!.data as Float32Array);
  } catch (e) {
    return e as Error;
  } finally {
    await session.release();
  }
}

describe('imported gathers and scatters: indices outside [-n, n) fail, as in onnxruntime', () => {
  for (const k of CASES) {
    it(`${k.name}: onnxruntime's numbers in range, an error naming the index outside (eager and hybridized)`, async () => {
      const [ishape, good, bad] = k.index;
      const D = k.data ?? D2;
      // The index computed at run time: a float input cast to int64 (the test models' inputs are float32).
      const inputs: [string, number[]][] = [['d', D], ['f', ishape]];
      if (k.updates) inputs.push(['u', k.updates]);
      const cast = { opType: 'Cast', input: ['f'], output: ['i'], attribute: [int('to', 7)] };
      const bytes = model([cast, k.node], inputs, [['y', 'float32']], [], 18);
      const { graph } = readModel(bytes);
      const feedsFor = (idx: number[]): Record<string, HostTensor> => ({
        d: data(D),
        f: tensorFromNumbers('float32', ishape, idx),
        ...(k.updates ? { u: data(k.updates, 2) } : {}),
      });
      const runs = (feeds: Record<string, HostTensor>): [string, () => number[]][] => [
        ['eager', () => tensorToNumbers((new gluon.SymbolBlock(graph).call(...graph.inputs.map((v) => new NDArray(feeds[v.name]!))) as NDArray)._host)],
        ['hybridized', () => tensorToNumbers(compileGraph(graph, Object.fromEntries(Object.entries(feeds).map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape }])))(feeds)['y']!)],
      ];
      const want = await ortRun(bytes, feedsFor(good));
      assert.ok(!(want instanceof Error), String(want));
      for (const [how, run] of runs(feedsFor(good))) {
        const got = run();
        got.forEach((v, j) => assert.ok(Math.abs(v - want[j]!) <= 1e-6, `${how} y[${j}]: ${v} vs onnxruntime ${want[j]}`));
      }
      assert.ok((await ortRun(bytes, feedsFor(bad))) instanceof Error, 'onnxruntime fails on the out-of-range index');
      for (const [how, run] of runs(feedsFor(bad))) assert.throws(run, /out of range|out of data bounds|must be within/, `${how}: the out-of-range index`);
      if (!k.repeat) return;
      // onnxruntime runs a repeated position (its last write wins); summing the updates there would be silently wrong, so gluonc fails the run.
      assert.ok(!((await ortRun(bytes, feedsFor(k.repeat))) instanceof Error), 'onnxruntime runs the repeated position');
      for (const [how, run] of runs(feedsFor(k.repeat))) assert.throws(run, /out of range|out of data bounds|must be within/, `${how}: the repeated position`);
    });
  }
});
