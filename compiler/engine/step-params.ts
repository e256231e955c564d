/**
 * What a compiled training step depends on of its parameters besides their
 * values: each parameter's gradReq (the step writes, adds or leaves out its
 * gradient) and dtype (what it is fed), and the update scalars it is fed
 * (`stepScalars`). `paramSig` is a block's part of a step's cache key, read
 * again only after a parameter announced a change with
 * `stepParamWillChange` (its gradReq setter, `cast`), which also runs what
 * must see the old values first (the last fused step's lazy results,
 * registered by program.ts).
 */
import type { DType } from '../../runtime/dtypes.js';
import type { GradReqLike } from './tape.js';

/** What the signature reads of a block. */
export interface SignedBlock {
  collectParams(): { values(): { readonly gradReq: GradReqLike; readonly dtype: DType }[] };
}

let epoch = 0;
const sigs = new WeakMap<object, { epoch: number; sig: string }>();
const before: (() => void)[] = [];

/**
 * Registers what runs before any parameter's gradReq or dtype changes.
 *
 * ```ts
 * onStepParamChange(() => pendingLazy?.compute());
 * ```
 */
export function onStepParamChange(fn: () => void): void {
  before.push(fn);
}

/**
 * Called by a parameter BEFORE its gradReq or dtype changes (`p.gradReq =
 * 'add'`, `p.cast('float64')`): runs the registered callbacks, and the next
 * step's key reads its blocks' parameters again.
 *
 * ```ts
 * set gradReq(v) { stepParamWillChange(); this._gradReq = v; }
 * ```
 */
export function stepParamWillChange(): void {
  for (const fn of before) fn();
  epoch++;
}

/**
 * A block's parameters' gradReqs and dtypes as a key part, cached until one changes.
 *
 * ```ts
 * key += paramSig(call.block); // 'wfloat32,nfloat32,'
 * ```
 */
export function paramSig(block: SignedBlock): string {
  let s = sigs.get(block);
  if (!s || s.epoch !== epoch) {
    let sig = '';
    for (const p of block.collectParams().values()) sig += `${p.gradReq[0]}${p.dtype},`;
    sigs.set(block, (s = { epoch, sig }));
  }
  return s.sig;
}

/** What the update scalars read of a parameter. */
export interface ScalarParam {
  readonly dtype: DType;
}

/** What the update scalars read of a trainer (see trainer.ts). */
export interface ScalarTrainer<P> {
  trainable(): [string, P][];
  nextScalars(p: P, batchSize: number): { lr: number; wd: number; t: number; rescale: number };
}

/**
 * The update scalars of one step. Parameters whose lr (wd, t, rescale)
 * are equal share one feed: `classes[k][j]` is the index of the first
 * trainable parameter with parameter j's value of kind k (and its dtype),
 * so the graph has one input per distinct value; the partition is part of
 * the cache key.
 */
export interface StepScalars<P extends ScalarParam = ScalarParam> {
  params: P[];
  values: number[][];
  classes: number[][];
  key: string;
}

/** The scalar kinds, in the order of `values` and `classes`. */
export const SCALAR_KINDS = ['lr', 'wd', 't', 'rescale'] as const;

/**
 * The update scalars of a trainer's next step, with their feed classes and key.
 *
 * ```ts
 * const { values, classes, key } = stepScalars(trainer, 64);
 * ```
 */
export function stepScalars<P extends ScalarParam>(trainer: ScalarTrainer<P>, batchSize: number): StepScalars<P> {
  const params = trainer.trainable().map(([, p]) => p);
  const values: number[][] = [];
  for (const p of params) {
    const sc = trainer.nextScalars(p, batchSize);
    values.push([sc.lr, sc.wd, sc.t, sc.rescale]);
  }
  // Plain loops, no closures: this runs every step.
  let key = '';
  const classes: number[][] = [[], [], [], []];
  for (let k = 0; k < SCALAR_KINDS.length; k++, key += ';') {
    for (let j = 0; j < params.length; j++) {
      let i = 0;
      while (i < j && !(values[i]![k] === values[j]![k] && params[i]!.dtype === params[j]!.dtype)) i++;
      classes[k]!.push(i);
      key += `${i}.`;
    }
  }
  return { params, values, classes, key };
}
