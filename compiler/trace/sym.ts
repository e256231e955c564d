/**
 * The `sym` backend: every operator of the list as a function on symbols,
 * plus `sym.var`.
 */
import { checkDType, type DType } from '../../runtime/dtypes.js';
import type { Shape } from '../ir/types.js';
import { Value } from '../ir/value.js';
import { makeOps } from '../ops/call.js';
import { Symbol, symApply, SymbolGroup } from './symbol.js';
import { withNameManager } from './node-names.js';
import type { FcOptions } from '../ops/dense.js';
import type { ConvOptions, DeconvOptions } from '../ops/conv.js';
import type { BatchNormOptions } from '../ops/norm.js';
import type { DropoutOptions, LeakyReLUOptions } from '../ops/nn.js';
import type { PoolOptions } from '../ops/pool.js';

/** Options of `sym.var`. */
export interface VarOptions {
  shape?: Shape;
  dtype?: DType;
  /**
   * The initializer of the parameter this variable becomes (MXNet's
   * `sym.Variable(name, init=...)`): a SymbolBlock or Module built from the
   * symbol initializes it with this one rather than the default. Kept
   * opaque here (the tracing layer sits below the initializers).
   */
  init?: unknown;
}

/** The initializers given to `sym.var` (by variable). */
const varInits = new WeakMap<Value, unknown>();

/** The initializer `sym.var(name, { init })` gave `v`, if any. Example: `varInit(sym.var('b', { init: new init.Zero() }).value)`. */
export function varInit(v: Value): unknown {
  return varInits.get(v);
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
  if (options.init !== undefined && options.init !== null) varInits.set(v, options.init);
  return new Symbol(v);
}

/**
 * MXNet's `sym.Group([a, b])`: several outputs as one, a `SymbolGroup` (an
 * array of the symbols, with `listOutputs` and `get(name)`: what
 * `SymbolBlock(outputs, inputs)`, `Module` and `Symbol.eval` take).
 *
 * ```ts
 * new gluon.SymbolBlock(sym.Group([fc, sym.relu(fc)]), data);
 * ```
 */
export function group(symbols: Symbol[]): SymbolGroup {
  if (!Array.isArray(symbols)) throw new Error(`sym.Group: expected a list of symbols, got ${typeof symbols}`);
  symbols.forEach((s, i) => {
    if (!(s instanceof Symbol)) throw new Error(`sym.Group: element ${i} is not a symbol`);
  });
  return new SymbolGroup(symbols);
}

/** MXNet's `name` option of a symbolic call: the prefix of the parameters it creates. */
type Named<O> = O & { name?: string };

/**
 * MXNet's symbolic forms that leave the parameters out, typed (`symApply`
 * creates them as variables named `<name>_<input>` outside a traced block):
 * `sym.FullyConnected(data, { numHidden: 4, name: 'fc1' })` reads
 * `fc1_weight` and `fc1_bias`.
 *
 * ```ts
 * const y = sym.BatchNorm(sym.Convolution(x, { kernel: [3, 3], numFilter: 8, name: 'conv0' }), { name: 'bn0' });
 * ```
 */
export interface SymbolParamForms {
  FullyConnected(data: Symbol, options: Named<FcOptions>): Symbol;
  Convolution(data: Symbol, options: Named<ConvOptions>): Symbol;
  Deconvolution(data: Symbol, options: Named<DeconvOptions>): Symbol;
  BatchNorm(data: Symbol, options?: Named<BatchNormOptions>): Symbol;
  LayerNorm(data: Symbol, options?: Named<{ axis?: number; eps?: number }>): Symbol;
  GroupNorm(data: Symbol, options?: Named<{ numGroups?: number; eps?: number }>): Symbol;
  InstanceNorm(data: Symbol, options?: Named<{ eps?: number }>): Symbol;
  Embedding(data: Symbol, options: Named<{ inputDim?: number; outputDim?: number; dtype?: DType; sparseGrad?: boolean }>): Symbol;
}

/**
 * The `name` option typed on the other operators MXNet's symbolic scripts
 * name most (every operator takes it at run time; it names the node:
 * `Symbol.name`, `getInternals`).
 *
 * ```ts
 * const act = sym.Activation(fc, { actType: 'relu', name: 'relu1' });
 * ```
 */
export interface SymbolNamedForms {
  Activation(data: Symbol, options: Named<{ actType: 'relu' | 'sigmoid' | 'tanh' | 'softrelu' | 'softsign' }>): Symbol;
  Pooling(data: Symbol, options: Named<PoolOptions>): Symbol;
  Flatten(data: Symbol, options: Named<{}>): Symbol;
  Dropout(data: Symbol, options: Named<DropoutOptions>): Symbol;
  LeakyReLU(data: Symbol, options: Named<LeakyReLUOptions>): Symbol;
  Concat(...args: [...Symbol[], Named<{ dim?: number }>]): Symbol;
}

/** The symbolic operator functions. */
export const symOps = makeOps<Symbol>(symApply);

export { Symbol, SymbolGroup, withNameManager };
