/**
 * Applying an operator's type rule to concrete input types: the one step
 * tracing, the passes, the ONNX reader and eager execution share before
 * they create a node or run a kernel.
 */
import type { Attrs } from '../ir/node.js';
import type { TensorType } from '../ir/types.js';
import type { OpDef } from './define.js';
import { OpError } from './errors.js';

/**
 * The number of tensor inputs against the operator's (`OpSpec.inputs`: its
 * required ones at least, all of them at most), so a node built by any path
 * (the ONNX reader, a pass, a gluonc file's record) never reaches a type
 * rule that reads an input it was not given.
 *
 * ```ts
 * checkInputCount(getOp('add'), [{ dtype: 'float32', shape: [2] }]); // throws OpError: add takes 2 inputs (lhs, rhs), got 1
 * ```
 */
export function checkInputCount(def: OpDef, types: readonly TensorType[]): void {
  const n = types.length;
  if (n >= def.minInputs && n <= def.maxInputs) return;
  throw new OpError(def.name, `${takesInputs(def.minInputs, def.maxInputs, def.inputs.join(', '))}, got ${n}`, [...types]);
}

/**
 * How many inputs an operator takes, as its input-count errors say it.
 *
 * ```ts
 * takesInputs(2, 3, 'data, weight, bias?'); // 'takes 2 to 3 inputs (data, weight, bias?)'
 * ```
 */
export function takesInputs(min: number, max: number, names: string): string {
  const want = max === Infinity ? `at least ${min}` : min === max ? `${min}` : `${min} to ${max}`;
  return `takes ${want} input${/(^| )1$/.test(want) ? '' : 's'} (${names})`;
}

/**
 * The type rule's output types for concrete inputs, with attributes normalized.
 *
 * ```ts
 * const { attrs, outTypes } = inferOp(getOp('relu'), [{ dtype: 'float32', shape: [2] }], {});
 * ```
 */
export function inferOp(def: OpDef, types: TensorType[], attrs: Attrs): { attrs: Attrs; outTypes: TensorType[] } {
  checkInputCount(def, types);
  const a = def.normalize ? def.normalize(attrs, types) : attrs;
  return { attrs: a, outTypes: def.infer(types, a) };
}

/**
 * The shape of a parameter input whose rank is unknown (a variable declared
 * without a shape), from the operator's solve rule: the highest rank r, up
 * to one more than the other inputs', for which the rule fills every
 * dimension of an all-unknown shape of rank r (a broadcast operand thus gets
 * the other operand's full shape, as MXNet's elementwise inference gives);
 * undefined when no rank works.
 *
 * ```ts
 * solveParamShape(getOp('FullyConnected'), [{ dtype: 'float32', shape: [2, 5] }, { dtype: 'float32', shape: [0] }], 1, { numHidden: 3, noBias: true, flatten: true }); // [3, 5]
 * ```
 */
export function solveParamShape(def: OpDef, types: TensorType[], index: number, attrs: Attrs): number[] | undefined {
  if (!def.solve) return undefined;
  const top = Math.min(8, Math.max(0, ...types.filter((_t, i) => i !== index).map((t) => t.shape.length)) + 1);
  for (let r = top; r >= 1; r--) {
    const trial = types.map((t, i) => (i === index ? { dtype: t.dtype, shape: new Array<number>(r).fill(0) } : t));
    let solved;
    try {
      solved = def.solve(trial, (def.normalize ? def.normalize(attrs, trial) : attrs) as never)[index];
    } catch {
      continue; // this rank does not fit the operator's attributes
    }
    if (solved && solved.length === r && solved.every((d) => typeof d === 'number' && d > 0)) return solved as number[];
  }
  return undefined;
}
