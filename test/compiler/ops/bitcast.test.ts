/**
 * `bitcast` (compiler/ops/bitcast.ts) beyond its table entry: bits kept exactly (NaN payloads, signalling
 * NaNs, -0, the integer extremes) eagerly, through the one-node session and compiled (ONNX BitCast run by
 * onnxruntime at opset 26), against numpy's `view`; bool <-> uint8; the gradient as PyTorch's
 * `view(dtype)` (none flows through it); the opset the graph is written at, and the refusals by name.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd, sym } from 'gluonc';
import { evalSymbols } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { emitModel, graphOpset } from '../../../compiler/onnx/emit.js';
import { onnx } from '../../../compiler/onnx/proto.js';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { runPython } from '../../helpers/python-server.js';

/** Runs `script` in python3 and parses what it prints as JSON. */
function py<T>(script: string): T {
  const r = runPython(`import json, numpy as np\n${script}`);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

/** The three ways `f` runs: the TypeScript kernel, a one-node onnxruntime session, a compiled graph. */
function threeWays(x: NDArray, dtype: string): [string, NDArray][] {
  const out: [string, NDArray][] = [];
  const old = setKernelThreshold(Infinity);
  try {
    out.push(['eager kernel', nd.bitcast(x, dtype as 'int32')]);
    setKernelThreshold(0);
    out.push(['eager session', nd.bitcast(x, dtype as 'int32')]);
  } finally {
    setKernelThreshold(old);
  }
  const v = sym.var('x', { shape: x.shape, dtype: x.dtype });
  out.push(['compiled', (evalSymbols([sym.bitcast(v, dtype as 'int32')], { x }) as NDArray[])[0]!]);
  return out;
}

/** The bytes of an array as hex. */
const hex = (a: NDArray): string => Buffer.from(a._host.data.buffer, a._host.data.byteOffset, a._host.data.byteLength).toString('hex');

describe('bitcast: bits, gradient and opset', () => {
  const scratch = scratchDir('gluonc-bitcast-');
  // float32 bit patterns: quiet and signalling NaNs with payloads (both signs), ±inf, ±0, the smallest subnormal, the largest finite.
  const F32 = [0x7fc00000, 0x7fc00001, 0x7f800001, 0xffbfffff, 0xff800000, 0x7f800000, 0x80000000, 0x00000000, 0x00000001, 0x7f7fffff, 0x3f800000];

  it('float32 <-> int32 keeps every bit (NaN payloads, signalling NaNs, -0) as numpy view does', () => {
    const want = py<number[]>(`print(json.dumps(np.array(${JSON.stringify(F32)}, dtype=np.uint32).view(np.int32).tolist()))`);
    const f = nd.array(new Float32Array(Uint32Array.from(F32).buffer), { dtype: 'float32' });
    for (const [path, y] of threeWays(f, 'int32')) {
      assert.equal(y.dtype, 'int32');
      assert.deepEqual(Array.from(y._host.data as Int32Array), want, `${path}: float32 -> int32`);
    }
    const i = nd.array(Int32Array.from(want), { dtype: 'int32' });
    for (const [path, y] of threeWays(i, 'float32')) {
      assert.equal(y.dtype, 'float32');
      assert.equal(hex(y), hex(f), `${path}: int32 -> float32 bytes`);
    }
    // int32's minimum is -0: the sign survives into the value.
    assert.ok(Object.is(nd.bitcast(nd.array([-(2 ** 31)], { dtype: 'int32' }), 'float32').item(), -0));
  });

  it('float64 <-> int64 / uint64 keeps NaN payloads and -0 (BigInt-exact)', () => {
    const bits = ['0x7ff8000000000001', '0x7ff0000000000001', '0xfff8deadbeef0000', '0x8000000000000000', '0x0000000000000001', '0x7fefffffffffffff'];
    const want = py<{ i: string[]; u: string[] }>(
      `b = np.array([${bits.join(', ')}], dtype=np.uint64)\nprint(json.dumps({"i": [str(v) for v in b.view(np.int64).tolist()], "u": [str(v) for v in b.tolist()]}))`,
    );
    const f = nd.array(new Float64Array(BigUint64Array.from(bits.map((b) => BigInt(b))).buffer), { dtype: 'float64' });
    for (const [to, w] of [['int64', want.i], ['uint64', want.u]] as const) {
      for (const [path, y] of threeWays(f, to)) {
        assert.deepEqual(Array.from(y._host.data as BigInt64Array, String), w, `${path}: float64 -> ${to}`);
        const back = nd.bitcast(y, 'float64');
        assert.equal(hex(back), hex(f), `${path}: ${to} -> float64 round trip`);
      }
    }
  });

  it('float16 <-> int16 / uint16, int8 <-> uint8 at the extremes', () => {
    const h = [0x7e01, 0xfc00, 0x8000, 0x0001, 0x7bff];
    const want = py<number[]>(`print(json.dumps(np.array(${JSON.stringify(h)}, dtype=np.uint16).view(np.int16).tolist()))`);
    const x = nd.array(new Uint16Array(h), { dtype: 'uint16' });
    for (const [path, y] of threeWays(nd.bitcast(x, 'float16'), 'int16')) assert.deepEqual(Array.from(y._host.data as Int16Array), want, path);
    const b = [-128, 127, -1, 0];
    const wantU = py<number[]>(`print(json.dumps(np.array(${JSON.stringify(b)}, dtype=np.int8).view(np.uint8).tolist()))`);
    for (const [path, y] of threeWays(nd.array(b, { dtype: 'int8' }), 'uint8')) assert.deepEqual(Array.from(y._host.data as Uint8Array), wantU, path);
  });

  it('bool <-> uint8: true is 1, and any non-zero byte reads as true (numpy\'s truthiness of the viewed byte)', () => {
    const bytes = [0, 1, 2, 128, 255];
    const want = py<boolean[]>(`print(json.dumps(np.array(${JSON.stringify(bytes)}, dtype=np.uint8).view(np.bool_).astype(bool).tolist()))`);
    for (const [path, y] of threeWays(nd.array(bytes, { dtype: 'uint8' }), 'bool')) {
      assert.equal(y.dtype, 'bool');
      assert.deepEqual(Array.from(y._host.data as Uint8Array), want.map(Number), path);
    }
    for (const [path, y] of threeWays(nd.array([1, 0, 1], { dtype: 'bool' }), 'uint8')) assert.deepEqual(Array.from(y._host.data as Uint8Array), [1, 0, 1], path);
  });

  it("passes no gradient, as PyTorch's view(dtype), whose output never requires grad", () => {
    const x = [1.5, -2, 0.25, 3];
    const torch = runPython(`
import json, torch
x = torch.tensor(${JSON.stringify(x)}, requires_grad=True)
v = x.view(torch.int32)
(v.float() * x).sum().backward()
print(json.dumps({"requires_grad": v.requires_grad, "grad": x.grad.tolist()}))`);
    assert.equal(torch.status, 0, torch.stderr);
    const want = JSON.parse(torch.stdout) as { requires_grad: boolean; grad: number[] };
    assert.equal(want.requires_grad, false);
    // Eager tape.
    const a = nd.array(x);
    a.attachGrad();
    const y = autograd.record(() => nd.sum(nd.mul(nd.cast(nd.bitcast(a, 'int32'), 'float32'), a))) as NDArray;
    y.backward();
    assert.deepEqual(Array.from(a.grad!._host.data as Float32Array), want.grad, 'eager');
    // Hybridized.
    const net = new gluon.nn.HybridLambda((F: gluon.F, t: gluon.Tensor) => F.mul(F.cast(F.bitcast(t, 'int32'), 'float32'), t));
    net.hybridize();
    const b = nd.array(x);
    b.attachGrad();
    const z = autograd.record(() => nd.sum(net.call(b) as NDArray)) as NDArray;
    z.backward();
    assert.deepEqual(Array.from(b.grad!._host.data as Float32Array), want.grad, 'hybridized');
  });

  it('a graph holding bitcast is written at opset 26 (ONNX BitCast), which onnx.checker accepts; 13 to 21 are refused naming it', () => {
    const g = graphOf(sym.add(sym.bitcast(sym.var('x', { shape: [2, 3], dtype: 'float32' }), 'int32'), sym.var('y', { shape: [3], dtype: 'int32' })));
    assert.equal(graphOpset(g), 26);
    const m = onnx.ModelProto.decode(emitModel(g));
    assert.equal(Number(m.opsetImport![0]!.version), 26);
    assert.ok(m.graph!.node!.some((n) => n.opType === 'BitCast'));
    assert.throws(() => emitModel(g, { opset: 21 }), /opset 21 is too low: bitcast needs opset 26/);
    // Exported from a block: the artifact is opset 26 and passes onnx.checker's full check.
    const dir = scratch();
    const net = new gluon.nn.HybridLambda((F: gluon.F, t: gluon.Tensor) => F.bitcast(F.relu(t), 'int32'));
    net.call(nd.ones([2, 2]));
    const file = join(dir, 'bitcast.onnx');
    net.export(file);
    assert.equal(Number(onnx.ModelProto.decode(readFileSync(file)).opsetImport![0]!.version), 26);
    assert.deepEqual(checkOnnxFiles([file]), [null]);
    assert.throws(() => net.export(join(dir, 'b17.onnx'), { opset: 17 }), /opset 17 is too low: bitcast \(in HybridLambda\) needs opset 26/);
  });

  it('refuses by name: different widths, an unknown dtype, and a graph that also holds an operator capped at 21', () => {
    assert.throws(() => nd.bitcast(nd.array([1]), 'float64'), /bitcast: cannot reinterpret float32 \(32 bits\) as float64 \(64 bits\): the widths must be equal/);
    assert.throws(() => nd.bitcast(nd.array([1]), 'int128' as 'int32'), /bitcast: unknown dtype "int128"/);
    assert.throws(() => sym.bitcast(sym.var('x', { shape: [2], dtype: 'int8' }), 'int32'), /bitcast: cannot reinterpret int8 \(8 bits\) as int32/);
    const x = sym.var('x', { shape: [4] });
    const g = graphOf(sym.add(sym.cast(sym.bitcast(x, 'int32'), 'float32'), sym.randomUniformLike(x)));
    assert.throws(() => emitModel(g), /no ONNX opset fits this graph: bitcast needs opset 26, but randomUniformLike is written at opset 21 at most/);
  });
});
