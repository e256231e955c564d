/**
 * The table-driven operator test. For every operator of the list and each of
 * its samples (fresh random inputs each run): the eager kernel, the eager
 * one-node session and the compiled graph (`sym` -> ONNX -> onnxruntime) agree;
 * the type rule's shape equals the shape onnxruntime returns; and the result
 * matches an independent numpy float64 reference. An operator without a table
 * entry fails here.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { allOps } from '../../../compiler/ops/registry.js';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { isFloat } from '../../../runtime/dtypes.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../../helpers/numpy.js';
import type { OpCase, Sample } from './case.js';
import { CASES } from './cases/index.js';
import { seedNote } from '../../helpers/seed.js';
import { callOp, makeInput, promisedShape, SEED } from './sample.js';
import { plainShape } from '../../../compiler/ops/symbolic-dim.js';

function hostOf(x: NDArray | NDArray[]): HostTensor[] {
  return (Array.isArray(x) ? x : [x]).map((a) => a._host);
}

const TYPED = new Map<string, string>([['float16', 'float16'], ['bool', 'bool']]);

interface Prepared {
  c: OpCase;
  s: Sample;
  inputs: NDArray[];
  ref?: NumpyResult;
}

const prepared: Prepared[] = [];
for (const c of CASES) for (const s of c.samples) prepared.push({ c, s, inputs: [] });

before(function () {
  for (const p of prepared) p.inputs = p.s.inputs.map((spec) => makeInput(spec));
  const withRef = prepared.filter((p) => p.c.ref);
  const refs = numpyRefs(
    withRef.map((p) => {
      const opts = p.s.args?.find((a) => typeof a === 'object' && a !== null && !Array.isArray(a));
      return {
        code: p.c.ref!,
        inputs: p.inputs.map((x) => ({
          shape: x.shape,
          dtype: x.dtype.startsWith('float') ? 'float64' : TYPED.get(x.dtype) ?? x.dtype,
          data: tensorToNumbers(x._host),
        })),
        attrs: opts as Record<string, unknown> | undefined,
        args: p.s.args?.filter((a) => a !== opts),
      };
    }),
  );
  withRef.forEach((p, i) => (p.ref = refs[i]));
});

describe(`operators (input ${seedNote(SEED)})`, () => {
  it('every operator has a table entry with samples', () => {
    const covered = new Set(CASES.map((c) => c.op));
    const missing = allOps().map((d) => d.name).filter((n) => !covered.has(n));
    assert.deepEqual(missing, [], `operators without a table entry: ${missing.join(', ')}`);
    for (const c of CASES) {
      assert.ok(c.samples.length > 0, `${c.op} has no samples`);
      assert.ok(c.ref || c.noRef, `${c.op} has neither a numpy reference nor a reason for none`);
    }
  });

  for (const def of allOps()) {
    const mine = prepared.filter((p) => p.c.op === def.name);
    describe(def.name, () => {
      mine.forEach((p, k) => {
        const title = `${p.s.label ?? `sample ${k}`}: ${p.s.inputs.map((i) => `${i.dtype ?? 'float32'}[${i.shape}]`).join(', ')}`;
        it(title, () => {
          const { c, s } = p;
          const rtol = c.rtol ?? 1e-4;
          const atol = c.atol ?? 1e-5;
          const what = (path: string) => `${c.op} ${title} (${path}, ${seedNote(SEED)})`;
          // Eager: kernel path and one-node-session path.
          const results: [string, HostTensor[]][] = [];
          const old = setKernelThreshold(Infinity);
          try {
            if (def.kernel) results.push(['eager kernel', hostOf(callOp(nd as never, c.op, p.inputs, s.args) as NDArray)]);
            setKernelThreshold(0);
            results.push(['eager session', hostOf(callOp(nd as never, c.op, p.inputs, s.args) as NDArray)]);
          } finally {
            setKernelThreshold(old);
          }
          // Compiled: trace through sym (symbolic batch where asked), compile, run.
          const vars = s.inputs.map((spec, i) =>
            sym.var(`in${i}`, { shape: spec.symbolic ? ['N', ...spec.shape.slice(1)] : spec.shape, dtype: spec.dtype ?? 'float32' }),
          );
          // A host-only operator refuses the traced call, naming itself (its shapes meet numpy's below).
          if (def.hostOnly) assert.throws(() => callOp(sym as never, c.op, vars, s.args), (e: Error) => e.message.startsWith(`${def.name}: runs eagerly on NDArrays only`), what('traced call'));
          const traced = def.hostOnly ? [] : (callOp(sym as never, c.op, vars, s.args) as sym.Symbol | sym.Symbol[]);
          const tracedList = Array.isArray(traced) ? traced : [traced];
          const bindings = Object.fromEntries(p.inputs.map((x, i) => [`in${i}`, x]));
          const compiled = tracedList.map((t) => (t.value.isConst ? (t.value.data as HostTensor) : (t.eval(bindings) as NDArray)._host));
          if (!def.hostOnly) results.push(['compiled', compiled]);
          // The type rule's shapes (symbolic batch substituted) equal what came back.
          const n = s.inputs.find((i) => i.symbolic)?.shape[0];
          tracedList.forEach((t, j) => {
            for (const [path, outs] of results) {
              const expect = promisedShape(plainShape(t.shape), outs[j]!.shape, n);
              assert.deepEqual(outs[j]!.shape, expect, `${what(path)}: output ${j} shape ${JSON.stringify(outs[j]!.shape)}, type rule says ${JSON.stringify(t.shape)}`);
              assert.equal(outs[j]!.dtype, t.dtype, `${what(path)}: output ${j} dtype`);
            }
          });
          if (c.shapeOnly) return;
          // All paths agree with each other and with numpy.
          const [first, ...rest] = results;
          for (const [path, outs] of rest) {
            // Integer and bool outputs agree exactly between paths (a relative tolerance hid wrong low bits of large ints).
            outs.forEach((o, j) => {
              const exact = !isFloat(o.dtype);
              assertClose(tensorToNumbers(o), tensorToNumbers(first![1][j]!), `${what(`${path} vs ${first![0]}`)} output ${j}`, exact ? 0 : rtol, exact ? 0 : atol);
            });
          }
          if (p.ref) {
            assert.ok(!p.ref.error, `${what('numpy')}: reference failed: ${p.ref.error}`);
            for (const [path, outs] of results) {
              assert.equal(outs.length, p.ref.outs.length, `${what(path)}: ${outs.length} outputs, numpy gives ${p.ref.outs.length}`);
              outs.forEach((o, j) => {
                assert.deepEqual(o.shape, p.ref!.outs[j]!.shape, `${what(path)}: output ${j} shape vs numpy`);
                assertClose(tensorToNumbers(o), p.ref!.outs[j]!.data, `${what(`${path} vs numpy`)} output ${j}`, rtol, atol);
              });
            }
          }
        });
      });
    });
  }
});
