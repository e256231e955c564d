/**
 * The calling convention of an imported ONNX file with sequence or optional
 * inputs or outputs (compiler/onnx/read-boundary.ts): a sequence input takes
 * a list of arrays (of symbols when traced), an optional input an array or
 * null/undefined; a sequence output comes back as a list, an optional one as
 * an array or null. The file is read once per structure of a call (the
 * number of items of each sequence, which optionals are given, the items'
 * types), as a hybridized block compiles once per signature.
 * Invariant: `flat` lists the call's tensors in the order of the read graph's
 * inputs (the file's inputs in order, a sequence's items in order).
 */
import type { TensorType } from '../ir/types.js';
import type { BoundaryType, InputKind, IoTree } from '../onnx/read-boundary.js';
import { plainShape } from '../ops/symbolic-dim.js';
import { isSymbol } from '../trace/symbol.js';
import { NDArray } from '../engine/ndarray.js';
import type { Tensor } from '../engine/tensor.js';
import { showValue } from './show-value.js';

/** True for an array or a symbol. */
const isTensor = (x: unknown): x is Tensor => x instanceof NDArray || isSymbol(x);

/** How a misplaced argument is named: `an NDArray float32[2, 3]`, `a list of 2`, else as showValue shows it. */
function shown(x: unknown): string {
  if (isTensor(x)) return `${x instanceof NDArray ? 'an NDArray' : 'a symbol'} ${x.dtype}[${plainShape(x.shape).join(', ')}]`;
  if (Array.isArray(x)) return `a list of ${x.length}`;
  return showValue(x);
}

/** A tensor's type as the reader takes it. */
const typeOf = (x: Tensor): TensorType => ({ dtype: x.dtype, shape: plainShape(x.shape) });

/** What a call gives the file's inputs: the types for the read, its tensors in the graph's order, and a key for the read. */
export interface BoundCall {
  boundary: Record<string, BoundaryType>;
  flat: Tensor[];
  key: string;
}

/**
 * Checks a call against the file's inputs and binds its sequence and optional ones. Refused by name: a list for a
 * tensor input, an array for a sequence, a list holding anything but arrays, null for a required input, too many inputs.
 *
 * ```ts
 * bindCall([[a, b], x], kinds, "SymbolBlock ('m.onnx')"); // { boundary: { seq: [f32[2], f32[3]] }, flat: [a, b, x], key }
 * ```
 */
export function bindCall(inputs: readonly unknown[], kinds: readonly InputKind[], where: string): BoundCall {
  const listing = kinds.map((k) => `${k.name}: ${k.kind === 'sequence' ? 'a list of arrays' : k.kind === 'optional' ? `${k.of === 'sequence' ? 'a list of arrays' : 'an array'} or null` : 'an array'}`).join(', ');
  if (inputs.length > kinds.length) throw new Error(`${where}: expects ${kinds.length} input(s) (${listing}), got ${inputs.length}`);
  const boundary: Record<string, BoundaryType> = {};
  const flat: Tensor[] = [];
  const keys: string[] = [];
  const fmt = (t: TensorType) => `${t.dtype}[${t.shape.join(',')}]`;
  const list = (x: unknown, i: number, k: InputKind): TensorType[] => {
    if (!Array.isArray(x)) throw new Error(`${where}: input ${i} ('${k.name}') is a sequence: give a list of arrays, got ${shown(x)}`);
    return x.map((item, j) => {
      if (!isTensor(item)) throw new Error(`${where}: input ${i} ('${k.name}') item ${j} must be an array, got ${shown(item)}`);
      flat.push(item);
      return typeOf(item);
    });
  };
  kinds.forEach((k, i) => {
    const x = inputs[i];
    const absent = x === null || x === undefined;
    if (k.kind === 'tensor') {
      if (absent) throw new Error(`${where}: input ${i} ('${k.name}') is absent (null or undefined), but the graph needs it; its inputs are ${listing}`);
      if (!isTensor(x)) throw new Error(`${where}: input ${i} ('${k.name}') is a tensor: give an array, got ${shown(x)}`);
      flat.push(x);
      keys.push('a');
      return;
    }
    if (k.kind === 'optional' && absent) {
      boundary[k.name] = null;
      keys.push('-');
      return;
    }
    if (k.kind === 'sequence' && absent) throw new Error(`${where}: input ${i} ('${k.name}') is a sequence and cannot be absent (null or undefined): give a list of arrays ([] for an empty one)`);
    if (k.kind === 'sequence' || k.of === 'sequence') {
      const items = list(x, i, k);
      boundary[k.name] = items;
      keys.push(`[${items.map(fmt).join(';')}]`);
      return;
    }
    if (!isTensor(x)) throw new Error(`${where}: input ${i} ('${k.name}') is an optional tensor: give an array or null, got ${shown(x)}`);
    flat.push(x);
    boundary[k.name] = typeOf(x);
    keys.push(fmt(typeOf(x)));
  });
  return { boundary, flat, key: keys.join('|') };
}

/**
 * The graph's flat outputs nested as the file's outputs are (`IoTree`): one output as itself, several as a list.
 *
 * ```ts
 * nestOutputs([a, b, c], [0, [1, 2], null]); // [a, [b, c], null]
 * ```
 */
export function nestOutputs<T>(flat: readonly T[], tree: readonly IoTree[]): unknown {
  const build = (t: IoTree): unknown => (t === null ? null : typeof t === 'number' ? flat[t] : t.map(build));
  const out = tree.map(build);
  return out.length === 1 ? out[0] : out;
}

/** True when the file has sequence or optional inputs or outputs (it is read per call structure, and its outputs nest). */
export function hasBoundary(kinds: readonly InputKind[], tree: readonly IoTree[]): boolean {
  return kinds.some((k) => k.kind !== 'tensor') || tree.some((t) => typeof t !== 'number');
}
