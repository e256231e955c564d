/**
 * Shared helpers of the pass tests: building small graphs by hand (each
 * node typed by its operator's own rule, trace-time folding skipped),
 * running a pass with the verifier after it, and comparing a graph's results
 * before and after (both compiled at -O0 and run on the same inputs).
 */
import assert from 'node:assert/strict';
import { compileGraph } from '../../../compiler/compile.js';
import { cloneGraph, Graph } from '../../../compiler/ir/graph.js';
import { Node, type Attrs } from '../../../compiler/ir/node.js';
import { formatAttrs, printGraph } from '../../../compiler/ir/printer.js';
import { formatType, type DType, type Shape, type TensorType } from '../../../compiler/ir/types.js';
import { Value } from '../../../compiler/ir/value.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { inferOp } from '../../../compiler/ops/infer.js';
import { getOp } from '../../../compiler/ops/registry.js';
import type { Pass, PassContext } from '../../../compiler/passes/pass.js';
import { inferNode } from '../../../compiler/passes/pipeline.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';

export const f32 = (shape: Shape): TensorType => ({ dtype: 'float32', shape });

/** A node of `op` (defaults filled, attributes normalized, typed by the rule); returns its first output. */
export function apply(op: string, inputs: Value[], attrs: Attrs = {}): Value {
  return applyAll(op, inputs, attrs)[0]!;
}

/** Like `apply`, returning every output. */
export function applyAll(op: string, inputs: Value[], attrs: Attrs = {}): Value[] {
  const def = getOp(op);
  const { attrs: a, outTypes } = inferOp(def, inputs.map((v) => v.type), { ...def.attrs, ...attrs });
  return Node.create(op, inputs, a, outTypes).outputs;
}

/** A constant of `values` (float32 unless given), shaped `shape` (default: a scalar when one value, else a vector). */
export function konst(values: number[], shape?: number[], dtype: DType = 'float32'): Value {
  return Value.constant(tensorFromNumbers(dtype, shape ?? (values.length === 1 ? [] : [values.length]), values));
}

/** A parameter carrying data. */
export function param(name: string, values: number[], shape: number[]): Value {
  return Value.param(name, { dtype: 'float32', shape }, tensorFromNumbers('float32', shape, values));
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

/** Runs `pass` on a copy of nothing: on `g` itself; verifies the result with the type rules; returns it and `changed`. */
export function runPass(pass: Pass, g: Graph, ctx: PassContext): { graph: Graph; changed: boolean; text: string } {
  const r = pass(g, ctx);
  verifyGraph(r.graph, inferNode);
  return { ...r, text: printGraph(r.graph) };
}

/** A structural copy whose parameters and constants are shared (passes never modify them). */
export function copyGraph(g: Graph): Graph {
  return cloneGraph(g);
}

/** Random feeds for the inputs of `g` (concrete shapes; symbolic dimensions become `dims[name]` or 3). */
export function feedsFor(g: Graph, seed = 7, dims: Record<string, number> = {}): { feeds: Record<string, HostTensor>; types: Record<string, TensorType> } {
  const feeds: Record<string, HostTensor> = {};
  const types: Record<string, TensorType> = {};
  g.inputs.forEach((v, i) => {
    const shape = v.type.shape.map((d) => (typeof d === 'number' ? d : (dims[d] ?? 3)));
    const n = shape.reduce((p, d) => p * d, 1);
    feeds[v.name] = tensorFromNumbers(v.type.dtype, shape, values(n, seed + i));
    types[v.name] = { dtype: v.type.dtype, shape };
  });
  return { feeds, types };
}

/** Every output of `g` computed at -O0 on `feeds`, as numbers by output name. */
export function evaluate(g: Graph, feeds: Record<string, HostTensor>, types: Record<string, TensorType>): Record<string, number[]> {
  const run = compileGraph(g, types, { optLevel: 0 });
  try {
    const res = run(feeds);
    return Object.fromEntries(g.outputs.map((o) => [o.name, tensorToNumbers(res[o.name]!)]));
  } finally {
    run.session.close();
  }
}

/** Asserts that `after` computes what `before` did on random inputs. */
export function assertSameResults(before: Record<string, number[]>, after: Graph, feeds: Record<string, HostTensor>, types: Record<string, TensorType>, what: string, rtol = 1e-4, atol = 1e-5): void {
  let got: Record<string, number[]>;
  try {
    got = evaluate(after, feeds, types);
  } catch (e) {
    throw new Error(`${what}: the rewritten graph does not run: ${(e as Error).message.split('\n')[0]!.slice(0, 300)}\nrewritten:\n${printGraph(after)}`);
  }
  assert.deepEqual(Object.keys(got), Object.keys(before), `${what}: output names`);
  for (const k of Object.keys(before)) assertClose(got[k]!, before[k]!, `${what}: output ${k}`, rtol, atol);
}

/** Runs `pass` on `g` (verified) and checks the results did not change; returns the pass result. */
export function passKeepsResults(pass: Pass, g: Graph, ctx: PassContext, what: string): { graph: Graph; changed: boolean; text: string } {
  const { feeds, types } = feedsFor(g);
  const before = evaluate(g, feeds, types);
  const r = runPass(pass, g, ctx);
  assertSameResults(before, r.graph, feeds, types, what);
  return r;
}

/** The text form, dedented: lets snapshots be written as indented template literals. */
export function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/**
 * Whether `after` is `before` node for node (same operators, attributes,
 * types and wiring, in the same order; the same parameter and constant
 * objects holding the same data as `leafData` recorded): then it computes
 * exactly what `before` does, and running both is not needed to know it.
 * Any difference (even a reordering) answers false, so the caller runs both.
 */
export function sameComputation(before: Graph, after: Graph, leafData: Map<Value, ArrayLike<unknown>>): boolean {
  if (before.inputs.length !== after.inputs.length || before.nodes.length !== after.nodes.length || before.outputs.length !== after.outputs.length) return false;
  if (after.params.length + after.constants.length !== leafData.size) return false;
  for (const leaf of [...after.params, ...after.constants]) {
    const was = leafData.get(leaf);
    const now = leaf.data?.data as ArrayLike<unknown> | undefined;
    if (was === undefined || now === undefined || was.length !== now.length) return false;
    for (let i = 0; i < was.length; i++) if (!Object.is(was[i], now[i])) return false;
  }
  const map = new Map<Value, Value>();
  const type = (v: Value) => formatType(v.type);
  for (let i = 0; i < before.inputs.length; i++) {
    const [a, b] = [before.inputs[i]!, after.inputs[i]!];
    if (a.name !== b.name || type(a) !== type(b)) return false;
    map.set(a, b);
  }
  const same = (a: Value, b: Value) => (map.get(a) ?? a) === b;
  for (let i = 0; i < before.nodes.length; i++) {
    const [a, b] = [before.nodes[i]!, after.nodes[i]!];
    if (a.op !== b.op || formatAttrs(a.attrs) !== formatAttrs(b.attrs) || a.inputs.length !== b.inputs.length || a.outputs.length !== b.outputs.length) return false;
    if (!a.inputs.every((v, k) => same(v, b.inputs[k]!))) return false;
    for (let k = 0; k < a.outputs.length; k++) {
      if (type(a.outputs[k]!) !== type(b.outputs[k]!)) return false;
      map.set(a.outputs[k]!, b.outputs[k]!);
    }
  }
  return before.outputs.every((o, i) => o.name === after.outputs[i]!.name && same(o.value, after.outputs[i]!.value));
}

/** A copy of the data of every parameter and constant of `g`, for `sameComputation`. */
export function leafDataOf(g: Graph): Map<Value, ArrayLike<unknown>> {
  return new Map([...g.params, ...g.constants].map((v) => [v, Array.from((v.data?.data ?? []) as ArrayLike<unknown>)]));
}
