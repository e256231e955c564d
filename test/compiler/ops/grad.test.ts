/**
 * The gradient half of the operator table. For every operator with a
 * gradient rule and each of its samples: the rule evaluated with F = nd
 * (float64 inputs where the operator takes them) matches central finite
 * differences of the operator itself, input by input, along a random
 * direction; every gradient has its input's shape; and the same rule
 * evaluated with F = sym (a gradient graph, compiled and run) agrees
 * (except for host-only operators, which have no graph form).
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';
import { NDArray, isNDArray } from '../../../compiler/engine/ndarray.js';
import { parseCall } from '../../../compiler/ops/call.js';
import type { GradCtx, OpDef } from '../../../compiler/ops/define.js';
import { executeOp, setKernelThreshold } from '../../../compiler/ops/execute.js';
import { inferOp } from '../../../compiler/ops/infer.js';
import { allOps } from '../../../compiler/ops/registry.js';
import { Node } from '../../../compiler/ir/node.js';
import { Value } from '../../../compiler/ir/value.js';
import { evalSymbols } from '../../../compiler/compile.js';
import { Symbol } from '../../../compiler/trace/symbol.js';
import { isFloat, type DType } from '../../../runtime/dtypes.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import type { Sample } from './case.js';
import { CASES } from './cases/index.js';
import { seedNote } from '../../helpers/seed.js';
import { makeInput, rand, SEED } from './sample.js';

const MAX_SAMPLES = 4;

function randomLike(t: HostTensor, dtype: DType = t.dtype): NDArray {
  return nd.array(Array.from({ length: t.data.length }, () => rand() * 2 - 1), { shape: t.shape, dtype });
}

/** The sum of products; `finiteOnly` skips infinite elements of `a` (outputs pinned at ±inf, such as masked log-probabilities, have derivative 0). */
function dot(a: HostTensor, b: HostTensor, finiteOnly = false, abs = false): number {
  const x = tensorToNumbers(a);
  const y = tensorToNumbers(b);
  let s = 0;
  for (let i = 0; i < x.length; i++) if (!finiteOnly || Number.isFinite(x[i]!) || Number.isNaN(x[i]!)) s += abs ? Math.abs(x[i]! * y[i]!) : x[i]! * y[i]!;
  return s;
}

/** Inputs of a sample: float inputs in float64 when the operator takes float64, else as specified. */
function inputsFor(def: OpDef, s: Sample, args: unknown[]): { xs: NDArray[]; attrs: ReturnType<typeof inferOp>['attrs']; outs: HostTensor[] } {
  for (const wide of [true, false]) {
    const xs = s.inputs.map((spec) => makeInput(spec, wide && isFloat(spec.dtype ?? 'float32') ? 'float64' : spec.dtype ?? 'float32'));
    try {
      const lead = def.leading?.length ?? 0;
      const { attrs } = parseCall(def, [...args.slice(0, lead), ...xs, ...args.slice(lead)], isNDArray);
      const prepared = inferOp(def, xs.map((x) => ({ dtype: x.dtype, shape: x.shape })), attrs);
      const outs = executeOp(def, xs.map((x) => x._host), prepared.attrs, prepared);
      return { xs, attrs: prepared.attrs, outs };
    } catch (e) {
      if (!wide) throw e;
    }
  }
  throw new Error('unreachable');
}

describe(`gradients (input ${seedNote(SEED)})`, () => {
  let old = 0;
  before(() => (old = setKernelThreshold(Infinity)));
  after(() => setKernelThreshold(old));

  it('every operator declares a gradient rule, or says by name why it has none', () => {
    const missing = allOps().filter((d) => typeof d.grad !== 'function' && !(d.grad === null && d.noGradReason));
    assert.deepEqual(missing.map((d) => d.name), [], 'operators without a gradient rule');
  });

  for (const def of allOps().filter((d) => typeof d.grad === 'function')) {
    // Samples with NaN or infinite fixed values test forward propagation only: finite differences are meaningless there.
    const finite = (s: Sample) => s.inputs.every((i) => !i.values || i.values.every(Number.isFinite));
    const samples = CASES.filter((c) => c.op === def.name).flatMap((c) => c.samples.filter(finite).map((s) => ({ c, s }))).slice(0, MAX_SAMPLES);
    describe(def.name, () => {
      samples.forEach(({ c, s }, k) => {
        it(`${s.label ?? `sample ${k}`}: finite differences, shapes, and the symbolic rule`, () => {
          const args = s.args ?? [];
          const { xs, attrs, outs } = inputsFor(def, s, args);
          const wide = xs.some((x) => x.dtype === 'float64');
          const what = (m: string) => `${def.name} ${s.label ?? `sample ${k}`} (${seedNote(SEED)}): ${m}`;
          const gs = outs.map((o) => (isFloat(o.dtype) ? randomLike(o) : null));
          const ctx: GradCtx = {
            inputs: xs,
            outputs: outs.map((o) => new NDArray(o)),
            attrs,
            inTypes: xs.map((x) => ({ dtype: x.dtype, shape: x.shape })),
            outTypes: outs.map((o) => ({ dtype: o.dtype, shape: o.shape })),
            constant: (data) => new NDArray(data),
          };
          const grads = def.grad!(nd, ctx, gs) as (NDArray | null)[];
          assert.equal(grads.length, xs.length, what(`the rule returned ${grads.length} gradients for ${xs.length} inputs`));
          // phi's value along dx at t, and the sum of its terms' magnitudes (what float32 rounding of the outputs scales with).
          const phi = (i: number, dx: NDArray, t: number): [number, number] => {
            const moved = xs.map((x, j) => (j === i ? nd.add(x, nd.mul(dx, t)) : x));
            const ys = executeOp(def, moved.map((x) => x._host), attrs);
            const sum = (abs: boolean) => ys.reduce((acc, y, j) => (gs[j] ? acc + dot(y, gs[j]!._host, true, abs) : acc), 0);
            return [sum(false), sum(true)];
          };
          xs.forEach((x, i) => {
            const g = grads[i];
            // A training head's rule is the loss's gradient, not the forward's derivative (heads.test.ts checks it against MXNet's formulas).
            if (def.lossHead && g) assert.deepEqual(g.shape, x.shape, what(`gradient ${i} has shape [${g.shape}], input is [${x.shape}]`));
            if (!isFloat(x.dtype) || c.shapeOnly || def.lossHead) return;
            if (g === null || g === undefined) return; // the rule says this input gets no gradient
            assert.deepEqual(g.shape, x.shape, what(`gradient ${i} has shape [${g.shape}], input is [${x.shape}]`));
            // A straight-through estimator is not the derivative (its operator's test checks it against PyTorch).
            if (def.straightThrough) return;
            const v = randomLike(x._host);
            const analytic = dot(g._host, v._host);
            let ok = false;
            let last = '';
            // Kernels compute in float64: strict. Operators without one may run in float32 inside onnxruntime: a coarser step.
            const steps = !wide ? [[1e-2, 2e-2]] : def.kernel ? [[1e-6, 1e-5]] : [[1e-6, 1e-5], [1e-3, 1e-3]];
            for (const [eps, tol] of steps) {
              const [up, upMag] = phi(i, v, eps!);
              const [down, downMag] = phi(i, v, -eps!);
              const numeric = (up - down) / (2 * eps!);
              const err = Math.abs(numeric - analytic);
              // An operator run in float32 rounds each output term by up to 2^-24 of its size: the difference quotient
              // carries that rounding divided by 2 eps, however small the derivative itself is along v.
              const rounding = (!wide || !def.kernel) && eps! > 1e-6 ? (2 ** -24 * (upMag + downMag)) / (2 * eps!) : 0;
              last = `analytic ${analytic}, finite differences ${numeric} (eps ${eps}${rounding ? `, float32 rounding allowance ${rounding.toExponential(2)}` : ''})`;
              if (err <= tol! * (Math.abs(numeric) + Math.abs(analytic)) + tol! * 1e-2 + rounding) {
                ok = true;
                break;
              }
            }
            assert.ok(ok, what(`input ${i}: ${last}`));
          });
          // A host-only operator (box_nms) has no graph form: its rule runs on the eager tape only.
          if (def.hostOnly) return;
          // The same rule builds a gradient graph with F = sym.
          const vars = xs.map((x, i) => sym.var(`x${i}`, { shape: x.shape, dtype: x.dtype }));
          const gvars = gs.map((g, j) => (g ? sym.var(`g${j}`, { shape: g.shape, dtype: g.dtype }) : null));
          // The node being differentiated, built as tracing would build it (same normalized attributes).
          const node = Node.create(def.name, vars.map((v) => v.value), attrs, ctx.outTypes);
          const symOuts = node.outputs.map((o) => new Symbol(o));
          const symCtx: GradCtx = { ...ctx, inputs: vars, outputs: symOuts, constant: (data) => new Symbol(Value.constant(data)) };
          const symGrads = def.grad!(sym, symCtx, gvars) as (Symbol | NDArray | null)[];
          const bindings: Record<string, unknown> = {};
          xs.forEach((x, i) => (bindings[`x${i}`] = x));
          gs.forEach((g, j) => g && (bindings[`g${j}`] = g));
          symGrads.forEach((sg, i) => {
            const eg = grads[i];
            if (!sg || !eg || !(sg instanceof Symbol)) return;
            const needed = new Set(sg.listArguments());
            const b = Object.fromEntries(Object.entries(bindings).filter(([k]) => needed.has(k)));
            const [val] = evalSymbols([sg], b) as NDArray[];
            assertClose(tensorToNumbers(val!._host), tensorToNumbers(eg._host), what(`symbolic gradient ${i} vs eager`), 1e-4, 1e-6);
          });
        });
      });
    });
  }
});
