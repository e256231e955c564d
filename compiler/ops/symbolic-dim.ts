/**
 * Symbolic dimensions as user code sees them while a block is traced with
 * symbolic input sizes (`export`, `gluonc compile`): `x.shape[0]` is a
 * `SymbolicDim`, a boxed string holding the name (`'N'`) that knows the
 * tensor and axis it was read from. It prints, interpolates and serializes
 * as its name, and every shape argument takes it (`F.zeros([x.shape[0], 4])`,
 * `F.reshape(x, [x.shape[0], -1])`, slice bounds), but it has no number:
 * comparing it (`x.shape[0] > 2`, `== 3`) or computing with it (`* 2`,
 * `+ 1`, `Math.max`) throws a `SymbolicDimError` naming it, instead of
 * giving an answer (NaN, false) that the artifact would keep for every size.
 * Invariant: only user-facing shapes hold these; IR types and attributes
 * keep plain `number | string` dimensions. Where operator arguments enter
 * (ops/call.ts), a dimension argument (zeros, arange) reads the source
 * tensor's dimension as `F.shapeArray` does, and any other option gets the
 * name (`normalizeDims`), which reshape, broadcastTo and the slices resolve
 * into their own codes or refuse by name.
 */
import { splitScope } from '../../runtime/run-error.js';
import type { Dim } from '../ir/types.js';
import { currentScope } from './errors.js';

/**
 * Thrown when a symbolic dimension is used as a number.
 *
 * ```ts
 * try { void (+dim); } catch (e) { (e as SymbolicDimError).dim; } // 'N'
 * ```
 */
export class SymbolicDimError extends Error {
  constructor(
    readonly dim: string,
    origin: string,
    axis: number,
    block = currentScope(),
    /** False for a symbol built outside a block (`sym.var('x', { shape: ['N', 3] })`). */
    traced = true,
  ) {
    // Read while an imported ONNX node is replayed: that node first, as OpError puts it (runtime/run-error.ts splitScope).
    const { block: path, onnx } = splitScope(block);
    super(
      (onnx ? `${onnx}: ` : '') +
      (traced
        ? `symbolic dimension '${dim}'${origin ? ` (${origin})` : ''} has no value while ${path ? `block '${path}'` : 'a block'} is traced with symbolic sizes (export): ` +
            `a comparison or arithmetic on it (x.shape[${axis}] > 2, == 3, * 2, Math.max) would fix one answer for every ${dim}. ` +
            `Read the size as a tensor with F.shapeArray(x, { axis: ${axis} }) and choose with operators (F.where); ` +
            `shape arguments (F.reshape, F.zeros, slice bounds) take x.shape[${axis}] as it is`
        : `symbolic dimension '${dim}'${origin ? ` (${origin})` : ''} has no value: the size is known only when the symbol runs, ` +
            `so a comparison or arithmetic on it (x.shape[${axis}] > 2, == 3, * 2, Math.max) has no answer. ` +
            `Compare names with String(x.shape[${axis}]) === '${dim}', give sym.var a number for the size, or read it at run time with F.shapeArray(x, { axis: ${axis} }); ` +
            `shape arguments (F.reshape, F.zeros, slice bounds) take x.shape[${axis}] as it is`),
    );
    this.name = 'SymbolicDimError';
  }
}

/**
 * A symbolic dimension of a traced tensor's shape (see the module comment).
 * `String(d)`, `` `${d}` ``, `d.valueOf()` and JSON give the name; `d === 'N'`
 * is false (it is an object): compare names with `String(d) === 'N'`.
 *
 * ```ts
 * const d = x.shape[0];   // while exporting with { x: { shape: ['N', 4] } }
 * `${d}`;                  // 'N'
 * F.zeros([d, 4]);         // a [N, 4] tensor, N read when the graph runs
 * d > 2;                   // throws SymbolicDimError naming 'N'
 * ```
 */
export class SymbolicDim extends String {
  constructor(
    /** The dimension's name, as in the IR type. */
    readonly dimName: string,
    /** The tensor whose shape it was read from (a Symbol; opaque to this layer). */
    readonly source: object,
    /** Its axis in that tensor. */
    readonly axis: number,
    private readonly origin: () => string = () => '',
    /** Read while a block was traced (false: from a symbol built outside one). */
    private readonly traced = true,
  ) {
    super(dimName);
  }

  [Symbol.toPrimitive](hint: string): string {
    if (hint === 'string') return this.dimName;
    throw new SymbolicDimError(this.dimName, this.origin(), this.axis, currentScope(), this.traced);
  }

  toJSON(): string {
    return this.dimName;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `'${this.dimName}'`;
  }
}

/**
 * True for a `SymbolicDim`.
 *
 * ```ts
 * isSymbolicDim(x.shape[0]); // true while exporting with a symbolic batch
 * ```
 */
export function isSymbolicDim(x: unknown): x is SymbolicDim {
  return x instanceof SymbolicDim;
}

/**
 * An operator argument with every `SymbolicDim` (also inside arrays and
 * option objects) replaced by `toEntry(d)`, by default its name; other
 * values are returned as they are (the same object when nothing changed).
 *
 * ```ts
 * normalizeDims([x.shape[0], -1]); // ['N', -1]
 * ```
 */
export function normalizeDims(value: unknown, toEntry: (d: SymbolicDim) => unknown = (d) => d.dimName): unknown {
  if (isSymbolicDim(value)) return toEntry(value);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const n = normalizeDims(v, toEntry);
      if (n !== v) changed = true;
      return n;
    });
    return changed ? out : value;
  }
  return value;
}

/**
 * A user-facing shape with its `SymbolicDim`s back as names: what framework
 * code inspects (layers check sizes with it; a comparison on a symbolic name
 * stays a string comparison there, as the type rules do).
 *
 * ```ts
 * plainShape(x.shape); // ['N', 4] while exporting, [2, 4] otherwise
 * ```
 */
export function plainShape(shape: readonly (Dim | SymbolicDim)[]): Dim[] {
  return shape.map((d) => (isSymbolicDim(d) ? d.dimName : d));
}
