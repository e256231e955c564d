/**
 * Test helpers of the importer tests: attribute and tensor builders, a model
 * as another tool writes it, and `sameAsOrt`, which runs a model in
 * onnxruntime (the reference) and through the importer, hybridized and
 * eagerly, and requires every output to agree.
 *
 * ```ts
 * await sameAsOrt(model([{ opType: 'Relu', input: ['x'], output: ['y'] }], [['x', [2]]], [['y', 'float32']]), { x: data([2]) });
 * ```
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { compileGraph } from '../../../compiler/compile.js';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { gluon } from 'gluonc'; // the package entry registers the session executor that eager imported graphs run on
import type { Shape } from '../../../compiler/ir/types.js';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import type { DType } from '../../../runtime/dtypes.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { foreignModel } from './foreign-model.js';

export const T = onnx.AttributeProto.AttributeType;
export const ints = (name: string, v: number[]): OnnxNs.IAttributeProto => ({ name, type: T.INTS, ints: v });
export const str = (name: string, v: string): OnnxNs.IAttributeProto => ({ name, type: T.STRING, s: new TextEncoder().encode(v) });
export const int = (name: string, v: number): OnnxNs.IAttributeProto => ({ name, type: T.INT, i: v });
export const i64 = (v: number[]): HostTensor => tensorFromNumbers('int64', [v.length], v);

/** Deterministic float32 test data on a 1/16 grid in about [-2.5, 2.5]. */
export function data(shape: number[], seed = 1): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensorFromNumbers('float32', shape, Array.from({ length: n }, (_v, i) => Math.round(Math.sin(i * 1.3 + seed) * 40) / 16));
}

/** A model as another tool writes it. */
export function model(nodes: OnnxNs.INodeProto[], inputs: [string, Shape][], outputs: [string, DType][], inits: [string, HostTensor][] = [], opset = 17): Uint8Array {
  return foreignModel(nodes, inputs, outputs.map(([n, d]) => [n, { dtype: d }]), inits, opset);
}

/**
 * Runs `bytes` in onnxruntime (or `refBytes`, an equivalent model it can run) and through the importer
 * (compiled and eager); every output must agree.
 */
export async function sameAsOrt(bytes: Uint8Array, feeds: Record<string, HostTensor>, refBytes = bytes): Promise<void> {
  const session = await ort.InferenceSession.create(refBytes, { logSeverityLevel: 3 }); // errors only: its warnings (an initializer that is also a graph input, IR 3) are expected here
  const want = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.shape)])));
  await session.release();
  const { graph } = readModel(bytes);
  const types = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape }]));
  const hybrid = compileGraph(graph, types)(feeds);
  const eagerOut = new gluon.SymbolBlock(graph).call(...graph.inputs.map((v) => new NDArray(feeds[v.name]!)));
  const eager = (Array.isArray(eagerOut) ? eagerOut : [eagerOut]) as NDArray[];
  graph.outputs.forEach((o, k) => {
    const w = want[o.name]!;
    for (const [how, got] of [['hybridized', hybrid[o.name]!], ['eager', eager[k]!._host]] as const) {
      assert.deepEqual(got.shape, [...w.dims], `${how} ${o.name}: shape`);
      const g = tensorToNumbers(got);
      const ref = Array.from(w.data as ArrayLike<number>, Number);
      g.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) <= 1e-5 + 1e-5 * Math.abs(ref[i]!), `${how} ${o.name}[${i}]: ${v} vs onnxruntime ${ref[i]}`));
    }
  });
}
