/**
 * Importers of ONNX's `ai.onnx.preview.training` optimizers (Adagrad, Adam,
 * Momentum; opset 1 of that domain) as their update formulas in gluonc's
 * element-wise operators. The formulas are those of ONNX's operator spec
 * (onnx/defs/training/defs.cc), quoted at each builder. Inputs are
 * `R` (learning rate), `T` (update count, int64), then n tensors of each kind
 * (X..., G..., and the optimizer's states); outputs are the n new X, then
 * the n new states of each kind. `T` may be computed at run time: the
 * branches on `T > 0` are `where`s. Gradient differentiates the graph read so far.
 */
import { isFloat } from '../../../runtime/dtypes.js';
import { gradients } from '../../autodiff/reverse.js';
import type { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';

/** The domain of these operators. */
export const TRAINING_DOMAIN = 'ai.onnx.preview.training';

interface Step {
  /** R and T in X's dtype, and `T > 0` as 0/1. */
  r: Value;
  t: Value;
  tPos: Value;
  s: (x: number) => Value;
}

/**
 * Splits the inputs into `kinds.length` groups of n tensors and applies
 * `update` to each i-th tuple; returns the outputs grouped by kind.
 */
function optimizer(kinds: string, update: (c: ImportCtx, st: Step, xs: Value[]) => Value[]): Builder {
  return (c) => {
    const n = (c.nInputs - 2) / kinds.length;
    if (!Number.isInteger(n) || n < 1) {
      throw c.refuse(`${c.nInputs} inputs: R, T and ${kinds.length} groups of tensors, each of the same count, are needed (${[...kinds].map((k) => `${k}1..${k}n`).join(', ')})`);
    }
    const x0 = c.input(2);
    const d = x0.type.dtype;
    const t = castTo(c, c.input(1), d);
    const st: Step = { r: castTo(c, c.input(0), d), t, tPos: c.op('greater', [t, c.scalar(0, d)]), s: (v) => c.scalar(v, d) };
    const per = Array.from({ length: n }, (_, i) => update(c, st, [...kinds].map((_k, j) => c.input(2 + j * n + i))));
    return Array.from({ length: kinds.length - 1 }, (_, j) => per.map((o) => o[j]!)).flat();
  };
}

const mul = (c: ImportCtx, a: Value, b: Value) => c.op('mul', [a, b]);
const add = (c: ImportCtx, a: Value, b: Value) => c.op('add', [a, b]);
const sub = (c: ImportCtx, a: Value, b: Value) => c.op('sub', [a, b]);
const div = (c: ImportCtx, a: Value, b: Value) => c.op('div', [a, b]);

/** `G_regularized = lambda * X + G` (the gradient of 0.5 * lambda * ||X||^2 added). */
const regularized = (c: ImportCtx, st: Step, x: Value, g: Value) => add(c, mul(c, st.s(c.attr.float('norm_coefficient', 0)), x), g);

/** An attribute the spec requires (Momentum's). */
function required(c: ImportCtx, name: string): number {
  if (!c.attr.has(name)) throw c.refuse(`the required attribute '${name}' is missing`);
  return c.attr.float(name, 0);
}

/**
 * Adagrad: r = R / (1 + T * decay_factor); G_regularized = lambda * X + G;
 * H_new = H + G_regularized^2; X_new = X - r * G_regularized / (sqrt(H_new) + epsilon).
 * Defaults: decay_factor 0, epsilon 1e-6, norm_coefficient (lambda) 0.
 */
const adagrad = optimizer('XGH', (c, st, [x, g, h]) => {
  const r = div(c, st.r, add(c, st.s(1), mul(c, st.t, st.s(c.attr.float('decay_factor', 0)))));
  const gr = regularized(c, st, x!, g!);
  const hNew = add(c, h!, mul(c, gr, gr));
  const xNew = sub(c, x!, div(c, mul(c, r, gr), add(c, c.op('sqrt', [hNew]), st.s(c.attr.float('epsilon', 1e-6)))));
  return [xNew, hNew];
});

/**
 * Adam: G_regularized = lambda * X + G; V_new = alpha * V + (1 - alpha) * G_regularized;
 * H_new = beta * H + (1 - beta) * G_regularized^2; H_sqrt = sqrt(H_new) + epsilon;
 * R_adjusted = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R;
 * X_new = (1 - norm_coefficient_post) * (X - R_adjusted * V_new / H_sqrt).
 * Defaults: alpha 0.9, beta 0.999, epsilon 1e-6, norm_coefficient 0, norm_coefficient_post 0.
 */
const adam = optimizer('XGVH', (c, st, [x, g, v, h]) => {
  const [alpha, beta] = [c.attr.float('alpha', 0.9), c.attr.float('beta', 0.999)];
  const gr = regularized(c, st, x!, g!);
  const vNew = add(c, mul(c, st.s(alpha), v!), mul(c, st.s(1 - alpha), gr));
  const hNew = add(c, mul(c, st.s(beta), h!), mul(c, st.s(1 - beta), mul(c, gr, gr)));
  const hSqrt = add(c, c.op('sqrt', [hNew]), st.s(c.attr.float('epsilon', 1e-6)));
  // T = 0 would give 0/0 in the unused branch: the correction is computed at T = 1 there.
  const t = c.op('where', [st.tPos, st.t, st.s(1)]);
  const pow = (b: number) => c.op('pow', [st.s(b), t]);
  const corrected = div(c, mul(c, st.r, c.op('sqrt', [sub(c, st.s(1), pow(beta))])), sub(c, st.s(1), pow(alpha)));
  const r = c.op('where', [st.tPos, corrected, st.r]);
  const xNew = mul(c, st.s(1 - c.attr.float('norm_coefficient_post', 0)), sub(c, x!, mul(c, r, div(c, vNew, hSqrt))));
  return [xNew, vNew, hNew];
});

/**
 * Momentum: G_regularized = lambda * X + G; beta_adjusted = T > 0 ? beta : 1;
 * V_new = alpha * V + beta_adjusted * G_regularized; X_new = X - R * V_new (mode 'standard')
 * or X - R * (G_regularized + alpha * V_new) (mode 'nesterov'). alpha, beta, lambda and mode are required.
 */
const momentum = optimizer('XGV', (c, st, [x, g, v]) => {
  const mode = c.attr.has('mode') ? c.attr.str('mode', '') : null;
  if (mode === null) throw c.refuse(`the required attribute 'mode' is missing`);
  if (mode !== 'standard' && mode !== 'nesterov') throw c.refuse(`mode '${mode}' is not one of 'standard', 'nesterov'`);
  const [alpha, beta] = [required(c, 'alpha'), required(c, 'beta')];
  required(c, 'norm_coefficient');
  const gr = regularized(c, st, x!, g!);
  const vNew = add(c, mul(c, st.s(alpha), v!), mul(c, c.op('where', [st.tPos, st.s(beta), st.s(1)]), gr));
  const step = mode === 'standard' ? vNew : add(c, gr, mul(c, st.s(alpha), vNew));
  return [sub(c, x!, mul(c, st.r, step)), vNew];
});

/**
 * Gradient: the gradients of the sum of `y` with respect to the values named in `xs` (its inputs), by gluonc's
 * reverse-mode differentiation of the graph read so far (zeros where `y` does not depend on one).
 */
const gradient: Builder = (c) => {
  const xs = c.attr.strs('xs') ?? [];
  const yName = c.attr.str('y', '');
  if (!xs.length || !yName) throw c.refuse('the attributes xs and y are required');
  if (c.attr.strs('zs')?.length) throw c.refuse('zs (inputs held constant) is not supported');
  const wrt = xs.map((n, i) => {
    const v = c.value(n);
    if (c.input(i) !== v) throw c.refuse(`input ${i} is not the value '${n}' that xs names`);
    return v;
  });
  const y = c.value(yName);
  if (!isFloat(y.type.dtype)) throw c.refuse(`y ('${yName}') is ${y.type.dtype}, not a float tensor`);
  const grads = gradients([y], wrt, [c.op('onesLike', [y])]);
  return grads.map((g, i) => g ?? c.op('zerosLike', [wrt[i]!]));
};

/** The domain's mapped operators and their builders. */
export const TRAINING_IMPORTS: Readonly<Record<string, Builder>> = { Adagrad: adagrad, Adam: adam, Momentum: momentum, Gradient: gradient };
