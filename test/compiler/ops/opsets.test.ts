/**
 * The operator table at ONNX opsets 13, 17 and 21: every sample of every
 * operator (test/compiler/ops/cases) is traced, lowered at each opset its
 * declaration supports (`minOpset`) with the optimizer off (so the node
 * under test is the one lowered), checked by python's
 * `onnx.checker.check_model(full_check=True)` (one process for all files),
 * run in onnxruntime and compared with the numpy float64 reference (or the
 * TypeScript kernel where an operator has no reference; shapes only for
 * random operators). Below its minimum an operator is refused by name, and
 * so is a sample below its own `minOpset` (an option newer than the operator).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd, sym } from 'gluonc';
import { compileGraph } from '../../../compiler/compile.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { emitModel, minOpsetOf } from '../../../compiler/onnx/emit.js';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';
import { getOp } from '../../../compiler/ops/registry.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../../helpers/numpy.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { seedNote } from '../../helpers/seed.js';
import type { OpCase, Sample } from './case.js';
import { CASES } from './cases/index.js';
import { callOp, makeInput, promisedShape, SEED } from './sample.js';
import { plainShape } from '../../../compiler/ops/symbolic-dim.js';

/** 13, 17 and 21; `GLUONC_TEST_OPSETS=14,15,16` runs others (each was run once, 13 to 21, when this test was written). */
const OPSETS = process.env['GLUONC_TEST_OPSETS'] ? process.env['GLUONC_TEST_OPSETS'].split(',').map(Number) : [13, 17, 21];
const TYPED = new Map<string, string>([['float16', 'float16'], ['bool', 'bool']]);

interface Item {
  /** The case's index in CASES (an operator may have several entries). */
  ci: number;
  c: OpCase;
  s: Sample;
  k: number;
  opset: number;
  inputs: NDArray[];
  outs?: HostTensor[];
  /** Shapes and dtypes the type rule gives (with the symbolic batch 'N', which is `n`). */
  types?: { shape: (number | string)[]; dtype: string }[];
  n?: number;
  error?: string;
  path?: string;
  checker?: string | null;
  ref?: NumpyResult;
  kernel?: HostTensor[];
}

const items: Item[] = [];
for (const [ci, c] of CASES.entries()) {
  // Host-only operators (MXNet's detection operators) never lower: ops.test.ts checks their traced call's Error.
  if (getOp(c.op).hostOnly) continue;
  c.samples.forEach((s, k) => {
    for (const opset of OPSETS) if (opset >= minOpsetOf(c.op)) items.push({ ci, c, s, k, opset, inputs: [] });
  });
}

describe(`operators at ONNX opsets ${OPSETS.join(', ')} (input ${seedNote(SEED)})`, function () {
  this.timeout(600000);
  let dir = '';

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'gluonc-op-opsets-'));
    // One input set per sample, shared by its opsets.
    const key = (it: Item) => `${it.ci}#${it.k}`;
    const inputsOf = new Map<string, NDArray[]>();
    for (const it of items) {
      if (!inputsOf.has(key(it))) inputsOf.set(key(it), it.s.inputs.map((spec) => makeInput(spec)));
      it.inputs = inputsOf.get(key(it))!;
    }
    items.forEach((it, i) => {
      const { c, s } = it;
      try {
        const vars = s.inputs.map((spec, j) => sym.var(`in${j}`, { shape: spec.symbolic ? ['N', ...spec.shape.slice(1)] : spec.shape, dtype: spec.dtype ?? 'float32' }));
        const traced = callOp(sym as never, c.op, vars, s.args) as sym.Symbol | sym.Symbol[];
        const list = Array.isArray(traced) ? traced : [traced];
        const n = s.inputs.find((x) => x.symbolic)?.shape[0];
        it.types = list.map((t) => ({ shape: plainShape(t.shape), dtype: t.dtype }));
        it.n = n;
        if (list.some((t) => t.value.isConst)) return; // folded while tracing: nothing to lower
        const feeds = Object.fromEntries(it.inputs.map((x, j) => [`in${j}`, x._host]));
        const run = compileGraph(graphOf(...list), Object.fromEntries(Object.entries(feeds).map(([k2, h]) => [k2, { dtype: h.dtype, shape: h.shape }])), { opset: it.opset, optLevel: 0 });
        try {
          const res = run(feeds);
          it.outs = Object.values(res);
        } finally {
          run.session.close();
        }
        it.path = join(dir, `${i}.onnx`);
        writeFileSync(it.path, run.bytes);
      } catch (e) {
        it.error = (e as Error).message;
      }
    });
    const files = items.filter((it) => it.path);
    checkOnnxFiles(files.map((it) => it.path!)).forEach((m, i) => (files[i]!.checker = m));
    // References: numpy (float64) where the table has one, else the TypeScript kernel.
    const firsts = [...new Map(items.map((it) => [key(it), it])).values()];
    const withRef = firsts.filter((it) => it.c.ref && !it.c.shapeOnly);
    const refs = numpyRefs(
      withRef.map((it) => {
        const opts = it.s.args?.find((a) => typeof a === 'object' && a !== null && !Array.isArray(a));
        return {
          code: it.c.ref!,
          inputs: it.inputs.map((x) => ({ shape: x.shape, dtype: x.dtype.startsWith('float') ? 'float64' : TYPED.get(x.dtype) ?? x.dtype, data: tensorToNumbers(x._host) })),
          attrs: opts as Record<string, unknown> | undefined,
          args: it.s.args?.filter((a) => a !== opts),
        };
      }),
    );
    const refOf = new Map(withRef.map((it, i) => [key(it), refs[i]!]));
    for (const it of firsts) {
      if (refOf.has(key(it)) || it.c.shapeOnly || !getOp(it.c.op).kernel) continue;
      const old = setKernelThreshold(Infinity);
      try {
        const r = callOp(nd as never, it.c.op, it.inputs, it.s.args) as NDArray | NDArray[];
        it.kernel = (Array.isArray(r) ? r : [r]).map((x) => x._host);
      } finally {
        setKernelThreshold(old);
      }
    }
    for (const it of items) {
      const first = firsts.find((f) => key(f) === key(it))!;
      it.ref = refOf.get(key(it));
      it.kernel = first.kernel;
    }
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const it of items) {
    const title = `${it.c.op} ${it.s.label ?? `sample ${it.k}`} at opset ${it.opset}`;
    it_(title, it);
  }

  function it_(title: string, item: Item): void {
    it(title, () => {
      const what = `${title} (${seedNote(SEED)})`;
      const least = item.s.minOpset ?? 0;
      if (item.opset < least) return assert.match(item.error ?? 'no Error', new RegExp(`^${item.c.op}: .*opset ${least}`), `${what}: below the sample's opset ${least}`);
      assert.ok(!item.error, `${what}: ${item.error}`);
      if (!item.outs) return; // folded while tracing
      assert.equal(item.checker, null, `${what}: onnx.checker: ${item.checker}`);
      item.types!.forEach((t, j) => {
        assert.deepEqual(item.outs![j]!.shape, promisedShape(t.shape, item.outs![j]!.shape, item.n), `${what}: output ${j} shape vs the type rule`);
        assert.equal(item.outs![j]!.dtype, t.dtype, `${what}: output ${j} dtype`);
      });
      if (item.c.shapeOnly) return;
      const rtol = item.c.rtol ?? 1e-4;
      const atol = item.c.atol ?? 1e-5;
      if (item.ref) {
        assert.ok(!item.ref.error, `${what}: numpy reference failed: ${item.ref.error}`);
        item.outs.forEach((o, j) => assertClose(tensorToNumbers(o), item.ref!.outs[j]!.data, `${what}: output ${j} vs numpy`, rtol, atol));
      } else if (item.kernel) {
        item.outs.forEach((o, j) => assertClose(tensorToNumbers(o), tensorToNumbers(item.kernel![j]!), `${what}: output ${j} vs the TypeScript kernel`, rtol, atol));
      }
    });
  }

  it('an opset below the supported range or below an operator\'s minimum is refused by name', () => {
    const x = sym.var('x', { shape: [2, 3] });
    assert.throws(() => emitModel(graphOf(sym.relu(x)), { opset: 12 }), /^Error: opset 12 is too low: relu needs opset 13$/);
    assert.throws(() => emitModel(graphOf(sym.relu(x)), { opset: 22 }), /opset 22 is not supported: gluonc exports ONNX opsets 13 to 21/);
    assert.throws(() => emitModel(graphOf(sym.relu(x)), { opset: 13.5 }), /opset must be an integer ONNX opset \(13 to 21\), got 13.5/);
  });
});
