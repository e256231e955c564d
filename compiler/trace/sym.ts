/**
 * The `sym` backend: every operator of the list as a function on symbols,
 * plus `sym.var`.
 */
import { checkDType, type DType } from '../../runtime/dtypes.js';
import type { Shape } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { makeOps } from '../ops/call.js';
import { Symbol, symApply } from './symbol.js';

/** Options of `sym.var`. */
export interface VarOptions {
  shape?: Shape;
  dtype?: DType;
}

/**
 * A symbolic variable (a graph input).
 *
 * ```ts
 * const x = sym.var('x', { shape: ['N', 784] });
 * ```
 */
export function variable(name: string, options: VarOptions = {}): Symbol {
  if (typeof name !== 'string' || !name) throw new Error('sym.var: a variable needs a non-empty name');
  const dtype = checkDType(options.dtype ?? 'float32', `sym.var '${name}'`);
  const shape = options.shape ?? [];
  for (const d of shape) {
    if (!(typeof d === 'string' && d) && !(Number.isInteger(d) && (d as number) >= 0)) {
      throw new Error(`sym.var '${name}': invalid dimension ${JSON.stringify(d)} in shape [${shape.join(', ')}]`);
    }
  }
  const v = Value.input(name, { dtype, shape: [...shape] });
  v.known = options.shape !== undefined;
  return new Symbol(v);
}

/** The symbolic operator functions. */
export const symOps = makeOps<Symbol>(symApply);

export { Symbol };
