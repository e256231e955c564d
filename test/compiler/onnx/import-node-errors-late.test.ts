/**
 * Errors of an imported ONNX graph found late still name the file's ONNX
 * node (`ONNX node 'g_7' (Gather): ...`) and the block: an operator deferred
 * under `autograd.record` that fails when its value is read (or when the
 * backward reads it, eagerly or in the compiled tape), the compiled tape's
 * gradient nodes (which carry `<scope> (gradient)` as reverse mode's do), the
 * emitter's opset refusals, and the symbol errors raised in a node's scope,
 * which print the node first instead of the raw scope string. Each failing
 * model is checked to fail in onnxruntime too or to break the ONNX spec
 * (python onnx's schemas), not only gluonc.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { onnx as OnnxNs } from 'onnx-proto';
import { autograd, gluon, nd } from 'gluonc';
import { setEagerCompileAfter } from '../../../compiler/engine/eager-compile.js';
import { NDArray } from '../../../compiler/engine/ndarray.js';
import { entryOf, requiresGrad, type TapeEntry } from '../../../compiler/engine/tape.js';
import { clearTapeCache, prepareBackward } from '../../../compiler/engine/tape-graph.js';
import type { Node } from '../../../compiler/ir/node.js';
import type { Value } from '../../../compiler/ir/value.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { nodeLabel, withScope } from '../../../compiler/ops/errors.js';
import { SymbolicDim } from '../../../compiler/ops/symbolic-dim.js';
import { DataDependentError } from '../../../compiler/trace/symbol.js';
import { onnxNodeScope } from '../../../runtime/run-error.js';
import { tensorFromNumbers, tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { pythonJson } from '../../helpers/python-json.js';
import { data, int, model } from './ort-compare.js';

/** The Error `fn` throws (fails the test when it throws none or a non-Error). */
function errorOf(fn: () => unknown, what: string): Error {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof Error, `${what}: threw ${String(e)}`);
    return e;
  }
  assert.fail(`${what}: no error`);
}

/** Runs `fn` with the eager compilation threshold `n` and a clear tape cache, then restores both. */
function withThreshold<R>(n: number, fn: () => R): R {
  clearTapeCache();
  const old = setEagerCompileAfter(n);
  try {
    return fn();
  } finally {
    setEagerCompileAfter(old);
    clearTapeCache();
  }
}

/** onnxruntime's run of `bytes` on float32 `feeds`: its first output, or the Error it fails with. */
async function ortRun(bytes: Uint8Array, feeds: Record<string, HostTensor>): Promise<number[] | Error> {
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.shape)])));
    return Array.from(out[session.outputNames[0]!]!.data as Float32Array);
  } catch (e) {
    return e as Error;
  } finally {
    await session.release();
  }
}

// Gather along axis 1 at an index computed at run time (a float input cast to int64): 5 is out of range for 3 columns.
const gatherModel = model(
  [
    { name: 'cast_0', opType: 'Cast', input: ['f'], output: ['i'], attribute: [int('to', 7)] },
    { name: 'g_7', opType: 'Gather', input: ['d', 'i'], output: ['y'], attribute: [int('axis', 1)] },
  ],
  [['d', [2, 3]], ['f', [2]]],
  [['y', 'float32']],
  [],
  18,
);
const OUT_OF_RANGE = /^ONNX node 'g_7' \(Gather\): take: index 5 is out of range for an axis of size 3 \(mode 'raise' takes \[-3, 2\]\) in block 'SymbolBlock'$/;

describe('errors found late inside imported ONNX graphs name the ONNX node', () => {
  it("an operator deferred under autograd.record fails when read, anywhere: ONNX node 'g_7' (Gather) and its block", async () => {
    const good = { d: data([2, 3]), f: tensorFromNumbers('float32', [2], [2, -1]) };
    const bad = { d: data([2, 3]), f: tensorFromNumbers('float32', [2], [0, 5]) };
    const want = await ortRun(gatherModel, good);
    assert.ok(!(want instanceof Error), String(want));
    assert.ok((await ortRun(gatherModel, bad)) instanceof Error, 'onnxruntime fails on index 5 too');
    const net = new gluon.SymbolBlock(readModel(gatherModel).graph);
    const call = (feeds: typeof good) => {
      const d = new NDArray(feeds.d);
      d.attachGrad();
      return autograd.record(() => net.call(d, new NDArray(feeds.f))) as NDArray;
    };
    withThreshold(1000, () => {
      const y = call(good);
      assert.ok(y._pending, 'the recorded take waits for a read');
      assert.deepEqual(tensorToNumbers(y._host), want);
      assert.match(errorOf(() => call(bad).toArray(), 'read').message, OUT_OF_RANGE);
      // Read inside another block's scope: still the block and the node of the call.
      const late = call(bad);
      assert.match(errorOf(() => withScope('Other', () => late.toArray()), 'read in Other').message, OUT_OF_RANGE);
      // The eager tape's backward reads it (take's gradient alone would wrap index 5 to 2).
      assert.match(errorOf(() => call(bad).backward(), 'eager backward').message, OUT_OF_RANGE);
      const d = new NDArray(bad.d);
      d.attachGrad();
      assert.match(errorOf(() => autograd.grad(autograd.record(() => net.call(d, new NDArray(bad.f))) as NDArray, [d]), 'autograd.grad').message, OUT_OF_RANGE);
      // Once failed, it fails the same at each read and backward, and holds up no other array's in-place write.
      const failed = call(bad);
      for (const read of [() => failed.toArray(), () => failed.toArray(), () => failed.backward()]) assert.match(errorOf(read, 'again').message, OUT_OF_RANGE);
      const z = nd.array([-1, 2]);
      z.attachGrad();
      (autograd.record(() => nd.relu(z)) as NDArray).backward();
      assert.deepEqual(Array.from(z.grad.data() as Float32Array), [0, 1]);
    });
    // The compiled tape computes the pending forward in its graph: onnxruntime's Gather node is named after the source node.
    withThreshold(1, () => {
      const msg = errorOf(() => call(bad).backward(), 'compiled backward').message;
      assert.match(msg, /^ONNX node 'g_7' \(Gather\): take: onnxruntime failed running the compiled graph \(its ONNX Gather node 'g_7\/take_\d+' in block 'SymbolBlock'\): .*idx=5/);
      // The failed call, never read, holds up no later step (a gradient's write flushes pending operators).
      const d = new NDArray(good.d);
      d.attachGrad();
      (autograd.record(() => net.call(d, new NDArray(good.f))) as NDArray).backward();
      // Indices 2 and -1 both pick column 2: its gradient is 2 in each row.
      assert.deepEqual(Array.from(d.grad.data() as Float32Array), [0, 0, 2, 0, 0, 2]);
    });
  });

  it("an eager operator large enough to run as a one-node onnxruntime session: ONNX node 'g_7' (Gather) and onnxruntime's reason, not its status text", async () => {
    // 2 x 3000 data: past the kernels' size, so the eager take is a one-node session whose Gather onnxruntime refuses.
    const bytes = model(
      [
        { name: 'cast_0', opType: 'Cast', input: ['f'], output: ['i'], attribute: [int('to', 7)] },
        { name: 'g_7', opType: 'Gather', input: ['d', 'i'], output: ['y'], attribute: [int('axis', 1)] },
      ],
      [['d', [2, 3000]], ['f', [4]]],
      [['y', 'float32']],
      [],
      18,
    );
    const feeds = { d: data([2, 3000]), f: tensorFromNumbers('float32', [4], [0, 1, 3005, 2]) };
    assert.ok((await ortRun(bytes, feeds)) instanceof Error, 'onnxruntime fails on index 3005 too');
    const net = new gluon.SymbolBlock(readModel(bytes).graph);
    const msg = errorOf(() => net.call(new NDArray(feeds.d), new NDArray(feeds.f)), 'eager').message;
    assert.match(msg, /^ONNX node 'g_7' \(Gather\): take: onnxruntime failed running it \(its ONNX Gather\): indices element out of data bounds, idx=3005 must be within the inclusive range \[-3000,2999\] \(inputs: float32\[2, 3000\], int64\[4\]\) in block 'SymbolBlock'$/);
  });

  it("gluonc's own blocks: a deferred take read later names its block, and no ONNX node", () => {
    class Pick extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor, i: gluon.Tensor) {
        return F.take(x, i, { axis: 1, mode: 'raise' });
      }
    }
    const x = nd.ones([2, 3]);
    x.attachGrad();
    const y = withThreshold(1000, () => autograd.record(() => new Pick().call(x, nd.array([0, 5], { dtype: 'int64' }))) as NDArray);
    assert.match(errorOf(() => y.toArray(), 'read').message, /^take: index 5 is out of range for an axis of size 3 \(mode 'raise' takes \[-3, 2\]\) in block 'Pick'$/);
  });

  it("the compiled tape's gradient nodes carry their ONNX node's scope with ' (gradient)' (as reverse mode's), and its gradients are right", () => {
    const bytes = model(
      [
        { name: 'mul_1', opType: 'Mul', input: ['a', 'b'], output: ['p'] },
        { name: 'relu_2', opType: 'Relu', input: ['p'], output: ['y'] },
      ],
      [['a', [2, 3]], ['b', [2, 3]]],
      [['y', 'float32']],
      [],
      18,
    );
    const net = new gluon.SymbolBlock(readModel(bytes).graph);
    // A product at relu's kink (0) and both signs.
    const av = [1.5, -2, 0, 0.25, -0.5, 3];
    const bv = [2, 0.5, 4, -1, -3, 0.125];
    withThreshold(1, () => {
      const a = nd.array(av, { shape: [2, 3] });
      const b = nd.array(bv, { shape: [2, 3] });
      a.attachGrad();
      b.attachGrad();
      const y = autograd.record(() => net.call(a, b)) as NDArray;
      // The tape's entries, latest first, as backward collects them.
      const entries: TapeEntry[] = [];
      const stack = [entryOf(y)!];
      const seen = new Set<number>();
      while (stack.length) {
        const e = stack.pop()!;
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        entries.push(e);
        for (const x of e.inputs) if (entryOf(x)) stack.push(entryOf(x)!);
      }
      entries.sort((p, q) => q.id - p.id);
      const p = prepareBackward({ entries, head: y, headGrad: undefined, flows: requiresGrad, stored: (x) => x === a || x === b });
      assert.ok(p, 'compiled at the first sighting');
      const { grads, forward } = p.symbols();
      const nodes = new Set<Node>();
      const visit = (v: Value): void => {
        const n = v.producer;
        if (!n || nodes.has(n)) return;
        nodes.add(n);
        n.inputs.forEach(visit);
      };
      grads.forEach(visit);
      const scopes = new Set([...nodes].map((n) => n.scope));
      const fwd = new Set(forward.map((f) => f.value.producer!.scope));
      assert.deepEqual([...fwd].sort(), ["SymbolBlock/ONNX node 'mul_1' (Mul)", "SymbolBlock/ONNX node 'relu_2' (Relu)"]);
      // The head's ones (and sums of gradients, none here) belong to no node.
      for (const n of nodes) assert.ok(fwd.has(n.scope) || /^SymbolBlock\/ONNX node '(mul_1' \(Mul|relu_2' \(Relu)\) \(gradient\)$/.test(n.scope) || (n.op === 'onesLike' && n.scope === ''), `${n.op}: scope '${n.scope}'`);
      assert.ok(scopes.has("SymbolBlock/ONNX node 'mul_1' (Mul) (gradient)") && scopes.has("SymbolBlock/ONNX node 'relu_2' (Relu) (gradient)"), [...scopes].join('; '));
      // d relu(a b) / da = b [a b > 0] (relu'(0) = 0), in float64.
      y.backward();
      const ga = av.map((x, k) => (x * bv[k]! > 0 ? bv[k]! : 0));
      const gb = bv.map((x, k) => (av[k]! * x > 0 ? av[k]! : 0));
      // (-0 and 0 alike: b [a b > 0] is 0 times a negative b.)
      assert.deepEqual(Array.from(a.grad.data() as Float32Array, (v) => v + 0), ga);
      assert.deepEqual(Array.from(b.grad.data() as Float32Array, (v) => v + 0), gb);
    });
    assert.equal(nodeLabel('mul', "SymbolBlock/ONNX node 'mul_1' (Mul) (gradient)"), "ONNX node 'mul_1' (Mul)'s gradient mul (in SymbolBlock)");
    assert.equal(nodeLabel('mul', 'Net/dense0 (gradient)'), 'mul (in Net/dense0 (gradient))');
    assert.equal(nodeLabel('add', ''), 'add');
  });

  it("an export at an opset below an imported node's operator: ONNX node 'and_1' (BitwiseAnd) named readably (the ONNX spec has BitwiseAnd from opset 18)", () => {
    const since = pythonJson<number>('import json, sys, onnx\nprint(json.dumps(onnx.defs.get_schema("BitwiseAnd").since_version))', null);
    assert.equal(since, 18);
    const toInt = (name: string, x: string, y: string, to: number): OnnxNs.INodeProto => ({ name, opType: 'Cast', input: [x], output: [y], attribute: [int('to', to)] });
    const bytes = model([toInt('ca', 'a', 'ai', 6), toInt('cb', 'b', 'bi', 6), { name: 'and_1', opType: 'BitwiseAnd', input: ['ai', 'bi'], output: ['ci'] }, toInt('cy', 'ci', 'y', 1)], [['a', [2, 3]], ['b', [2, 3]]], [['y', 'float32']], [], 18);
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-node-errors-late-'));
    try {
      writeFileSync(join(dir, 'and.onnx'), bytes);
      const net = gluon.SymbolBlock.imports(join(dir, 'and.onnx'));
      // 6 & 3 = 2, 5 & -1 = 5: the graph itself works.
      assert.deepEqual(Array.from((net.call(nd.array([6, 5, 0, 6, 5, 0], { shape: [2, 3] }), nd.array([3, -1, 7, 3, -1, 7], { shape: [2, 3] })) as NDArray).data() as Float32Array), [2, 5, 0, 2, 5, 0]);
      const msg = errorOf(() => net.export(join(dir, 'art.onnx'), { opset: 13 }), 'export').message;
      assert.match(msg, /: opset 13 is too low: ONNX node 'and_1' \(BitwiseAnd\)'s bitwiseAnd \(in SymbolBlock\) needs opset 18$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a graph no opset fits: ONNX node 'bc_1' (BitCast) needs 26, ONNX node 'noise_2' (RandomUniformLike) is written at 21 at most", () => {
    const bytes = model(
      [
        { name: 'bc_1', opType: 'BitCast', input: ['x'], output: ['xi'], attribute: [int('to', 6)] },
        { name: 'cx', opType: 'Cast', input: ['xi'], output: ['xf'], attribute: [int('to', 1)] },
        { name: 'noise_2', opType: 'RandomUniformLike', input: ['x'], output: ['r'] },
        { name: 'add_3', opType: 'Add', input: ['xf', 'r'], output: ['y'] },
      ],
      [['x', [2, 3]]],
      [['y', 'float32']],
      [],
      26,
    );
    const net = new gluon.SymbolBlock(readModel(bytes).graph);
    net.hybridize();
    const msg = errorOf(() => net.call(nd.ones([2, 3])), 'hybridized').message;
    assert.match(msg, /no ONNX opset fits this graph: ONNX node 'bc_1' \(BitCast\)'s bitcast \(in SymbolBlock\) needs opset 26, but ONNX node 'noise_2' \(RandomUniformLike\)'s randomUniformLike \(in SymbolBlock\) is written at opset 21 at most$/);
  });

  it("the symbol errors raised in an imported node's scope put the node first and print the block path alone", () => {
    const inNode = <R>(fn: () => R): R => withScope('Net', () => withScope(onnxNodeScope('r_1', 'Reshape'), fn));
    const dd = inNode(() => new DataDependentError('item'));
    assert.match(dd.message, /^ONNX node 'r_1' \(Reshape\): item: a symbol has no values while a hybridized block is traced \(in block 'Net'\)\. /);
    assert.match(withScope('Net', () => new DataDependentError('item')).message, /^item: a symbol has no values while a hybridized block is traced \(in block 'Net'\)\. /);
    const dim = new SymbolicDim('N', {}, 0);
    const sd = errorOf(() => inNode(() => +dim), 'symbolic dim');
    assert.equal(sd.name, 'SymbolicDimError');
    assert.match(sd.message, /^ONNX node 'r_1' \(Reshape\): symbolic dimension 'N' has no value while block 'Net' is traced with symbolic sizes/);
    assert.match(errorOf(() => withScope('Net', () => +dim), 'own').message, /^symbolic dimension 'N' has no value while block 'Net' is traced/);
  });
});
