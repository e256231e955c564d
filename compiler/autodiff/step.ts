/**
 * The one builder of training steps: a traced forward (its IR values), the
 * head to differentiate (a loss), the values to differentiate it by and,
 * optionally, an optimizer's update rule -> one graph computing the forward
 * outputs, the gradients and the updated weights and optimizer states.
 * Pure: it reads and creates IR values only; naming the feeds, feeding and
 * caching belong to the callers. Its three callers:
 *
 * - the fused training step (compiler/engine/program.ts): recorded calls +
 *   `loss.backward()` [+ `trainer.step`'s update rule];
 * - the hybridized backward (compiler/gluon/hybrid.ts): one block's forward,
 *   several heads whose gradients are inputs, no update;
 * - `gluonc compile --train` (compiler/formats/train-export.ts): net + loss +
 *   update, parameters as named inputs.
 *
 * Invariant: a gradient has the dtype and shape of its value; the update rule
 * sees the gradient after `addTo` (gradReq 'add') is applied.
 */
import type { DType } from '../../runtime/dtypes.js';
import { Graph } from '../ir/graph.js';
import type { Value } from '../ir/value.js';
import type { F, Tensor } from '../ops/tensor.js';
import { Symbol } from '../trace/symbol.js';
import { symOps } from '../trace/sym.js';
import { gradients } from './reverse.js';
// Registers the gradient of an imported Loop's body (OnnxLoop's gradient rule).
import './loop-body.js';

/** An update rule written against `F` (an optimizer's `update`). */
export interface UpdateRule {
  /** MXNet's `multi_precision`: a float16 weight's first state is its float32 master copy (see `applyUpdate`). */
  readonly multiPrecision?: boolean;
  update(F: F, args: { weight: Tensor; grad: Tensor; states: Tensor[]; lr: Tensor; wd: Tensor; t: Tensor; rescale: Tensor }): { weight: Tensor; states: Tensor[] };
}

/** The arguments of an update rule. */
type UpdateArgs = Parameters<UpdateRule['update']>[1];

/**
 * Runs an update rule, in float32 arithmetic for a float16 weight: its
 * gradient and states are cast to float32 (its scalars arrive as float32,
 * `updateScalarDType`; a float16 one is cast too), the rule runs, and the
 * new weight and states are stored as float16 again (as MXNet's `half_t`
 * computes each operation in float32; in float16 itself Adam's epsilon 1e-8
 * is 0 and a zero gradient gave 0/0). With `rule.multiPrecision` the rule
 * runs on the float32 master copy (the first state) instead of the weight,
 * and the new weight is the new master rounded to float16 (MXNet's
 * `update_multi_precision`). Every path (eager, compiled update, training
 * step) updates through it.
 * Example: `applyUpdate(optimizer, symOps, { weight, grad, states, lr, wd, t, rescale })`.
 */
export function applyUpdate(rule: UpdateRule, F: F, args: UpdateArgs): { weight: Tensor; states: Tensor[] } {
  if (args.weight.dtype !== 'float16') return rule.update(F, args);
  const up = (x: Tensor): Tensor => (x.dtype === 'float16' ? F.cast(x, 'float32') : x);
  if (rule.multiPrecision) {
    const [master, ...states] = args.states;
    if (master?.dtype !== 'float32') throw new Error(`multiPrecision: a float16 weight's first state must be its float32 master copy, got ${master ? master.dtype : 'no state'}`);
    const r = rule.update(F, { weight: master, grad: up(args.grad), states, lr: up(args.lr), wd: up(args.wd), t: up(args.t), rescale: up(args.rescale) });
    return { weight: F.cast(r.weight, 'float16'), states: [r.weight, ...r.states] };
  }
  const r = rule.update(F, {
    weight: up(args.weight),
    grad: up(args.grad),
    states: args.states.map(up),
    lr: up(args.lr),
    wd: up(args.wd),
    t: up(args.t),
    rescale: up(args.rescale),
  });
  const down = (x: Tensor, like: Tensor | undefined): Tensor => (like?.dtype === 'float16' && x.dtype === 'float32' ? F.cast(x, 'float16') : x);
  return { weight: down(r.weight, args.weight), states: r.states.map((x, k) => down(x, args.states[k])) };
}

/**
 * The dtype of a weight's update scalars (lr, wd, t, rescale): float32 for a
 * float16 weight, whose update computes in float32 (as float16, lr 0.1 became
 * 0.0999756 and a step count past 2048 lost its low bits), else the weight's.
 * Every path feeds its scalars in it. Example: `updateScalarDType('float16') === 'float32'`.
 */
export function updateScalarDType(weight: DType): DType {
  return weight === 'float16' ? 'float32' : weight;
}

/**
 * The index of the state an update result adds to the weight (`weight' =
 * weight + state'k`, same dtype and shape: the state is the weight's last
 * increment, as SGD momentum's `m ← μ·m − lr·g; w ← w + m`), or -1. Such a
 * state need not be stored: before the next update it is the weight minus
 * the weight before this one (the increment as applied, which differs from
 * the state computed by the rounding of that addition).
 * Example: `incrementState(w.value, applyUpdate(sgd, symOps, args)) === 0`.
 */
export function incrementState(weight: Value, r: { weight: Tensor; states: Tensor[] }): number {
  const n = (r.weight as Symbol).value.producer;
  if (!n || n.op !== 'add' || n.inputs.length !== 2) return -1;
  const other = n.inputs[0] === weight ? n.inputs[1] : n.inputs[1] === weight ? n.inputs[0] : undefined;
  const k = r.states.findIndex((s) => (s as Symbol).value === other);
  if (k < 0) return -1;
  const [a, b] = [other!.type, weight.type];
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]) ? k : -1;
}

/**
 * `applyUpdate` with F = sym for a caller that can feed the weight before
 * the last update: where the rule has an increment state (`incrementState`)
 * and `previous` is given, it calls `previous(k)` and runs the rule again
 * with that state as `weight − previous`; `increment` is k (the new state k
 * is then not needed: it is the new weight minus the weight), else -1.
 * Example: `const r = applyIncrementalUpdate(sgd, args, () => variable('prev0', type));`
 */
export function applyIncrementalUpdate(rule: UpdateRule, args: UpdateArgs, previous?: (k: number) => Tensor): { weight: Tensor; states: Tensor[]; increment: number } {
  const weight = (args.weight as Symbol).value;
  const r = applyUpdate(rule, symOps, args);
  const k = previous ? incrementState(weight, r) : -1;
  if (k < 0) return { ...r, increment: -1 };
  const states = args.states.map((s, j) => (j === k ? (symOps.sub(args.weight as Symbol, previous!(k) as Symbol) as Symbol) : s));
  const again = applyUpdate(rule, symOps, { ...args, states });
  if (incrementState(weight, again) !== k) throw new Error(`the update of '${weight.name}' changed form when its state ${k} became weight − previous`);
  return { ...again, increment: k };
}

/** How one differentiated value is updated: its state inputs, the rule's 0-d scalars and the output names. */
export interface StepUpdate {
  states: Value[];
  lr: Value;
  wd: Value;
  t: Value;
  rescale: Value;
  /** Output name of the new weight. */
  weightName: string;
  /** Output names of the new states (one per state). */
  stateNames: string[];
  /**
   * Offered by a caller that keeps the weight before each update: where the
   * rule's new weight is `weight + new state k` (the state is the last
   * increment, as SGD momentum's), `buildStep` calls it for k and feeds that
   * state as `weight − previous(k)`: state k is then neither read nor an
   * output (see `incrementState`).
   */
  previous?: (k: number) => Value;
}

/** One value to differentiate the head by. */
export interface StepWrt {
  value: Value;
  /** The gradient's output name; omitted: the gradient is not an output (only the update reads it). */
  gradName?: string;
  /** A value added to the gradient (the accumulated gradient of gradReq 'add'). */
  addTo?: Value;
  /**
   * The update of this value, asked for once its gradient is built (so the
   * caller creates the update's inputs in graph order); omitted: not updated.
   */
  update?: () => StepUpdate;
}

/** What `buildStep` builds. */
export interface StepSpec {
  /** The graph inputs (forward inputs, labels, head gradients, scalars the caller always feeds). */
  inputs: Value[];
  /**
   * Inputs kept only when an output reads them, after the inputs (the update's
   * scalars: SGD reads neither `t` nor, without weight decay, `wd`). Called
   * once every output is built.
   */
  optionalInputs?: () => Value[];
  /** Outputs computed besides the gradients and updates (forward outputs, loss, state updates of layers). */
  outputs: { name: string; value: Value }[];
  /** The values differentiated (the loss). */
  heads: Value[];
  /** One per head: its gradient (an input), or null for ones (the default). */
  headGrads?: (Value | null)[];
  /** The values to differentiate by, in output order. */
  wrt: StepWrt[];
  /** Where no gradient reaches a value: a zero gradient (default) or none ('skip': no output, no update). */
  missing?: 'zeros' | 'skip';
  /** The update rule of the values with an `update`. */
  rule?: UpdateRule;
}

/** The step graph, with the gradient of each `wrt` value (after `addTo`; null where none reaches it and `missing` is 'skip'). */
export interface Step {
  graph: Graph;
  grads: (Value | null)[];
  /** The graph's outputs (also `graph.outputs`), in the order built. */
  outputs: { name: string; value: Value }[];
  /** The inputs of `optionalInputs` kept. */
  keptOptional: Value[];
}

const sym = (v: Value): Symbol => new Symbol(v);

/**
 * Builds a training step (see the module comment).
 *
 * ```ts
 * const { graph } = buildStep({
 *   inputs: [x.value], outputs: [{ name: 'loss', value: loss.value }], heads: [loss.value],
 *   wrt: [{ value: w.value, gradName: 'grad_w' }],
 * });
 * ```
 */
export function buildStep(spec: StepSpec): Step {
  const outputs = [...spec.outputs];
  const headGrads = spec.heads.map((h, i) => spec.headGrads?.[i] ?? (symOps.onesLike(sym(h)) as Symbol).value);
  const raw = spec.wrt.length ? gradients(spec.heads, spec.wrt.map((w) => w.value), headGrads) : [];
  const grads: (Value | null)[] = spec.wrt.map((w, i) => {
    let g = raw[i] ?? null;
    if (!g && spec.missing === 'skip') return null;
    g ??= (symOps.zerosLike(sym(w.value)) as Symbol).value;
    if (w.addTo) g = (symOps.add(sym(g), sym(w.addTo)) as Symbol).value;
    if (w.gradName !== undefined) outputs.push({ name: w.gradName, value: g });
    if (!w.update) return g;
    if (!spec.rule) throw new Error(`buildStep: '${w.value.name}' has an update but the step has no update rule`);
    const u = w.update();
    if (u.stateNames.length !== u.states.length) throw new Error(`buildStep: '${w.value.name}' has ${u.states.length} states but ${u.stateNames.length} state names`);
    const args = { weight: sym(w.value), grad: sym(g), states: u.states.map(sym), lr: sym(u.lr), wd: sym(u.wd), t: sym(u.t), rescale: sym(u.rescale) };
    const r = applyIncrementalUpdate(spec.rule, args, u.previous && ((k) => sym(u.previous!(k))));
    const inc = r.increment;
    outputs.push({ name: u.weightName, value: (r.weight as Symbol).value });
    r.states.forEach((s, k) => k !== inc && outputs.push({ name: u.stateNames[k]!, value: (s as Symbol).value }));
    return g;
  });
  const inputs = [...spec.inputs];
  const keptOptional: Value[] = [];
  const optional = spec.optionalInputs?.() ?? [];
  if (optional.length) {
    const reached = new Set<Value>(Graph.fromOutputs([...inputs, ...optional], outputs).nodes.flatMap((n) => n.inputs));
    for (const o of outputs) reached.add(o.value);
    for (const v of optional) if (reached.has(v)) keptOptional.push(v);
    inputs.push(...keptOptional);
  }
  return { graph: Graph.fromOutputs(inputs, outputs), grads, outputs, keptOptional };
}
