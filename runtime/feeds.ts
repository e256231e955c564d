/**
 * Feed validation for `loadModel(...).run`: every feed is checked against
 * the model's declared inputs before onnxruntime sees it — missing, extra,
 * wrong dtype, wrong rank or dimension, a symbolic dimension given two
 * sizes — and turned into a host tensor; then the sizes bound are checked
 * against what the model's operators need of them (the manifest's
 * `constraints`, runtime/dim-expr.ts: a pooling kernel no larger than a
 * symbolic H). A feed is `{ data, shape }` (an optional `dtype` must agree),
 * a typed array alone (for fully static inputs: the declared shape), or an
 * onnxruntime Tensor.
 * Invariant: errors name the input, what was expected and what came; a
 * returned tensor shares the caller's memory (nothing is copied).
 */
import { firstViolation, type DimConstraint, type DimViolation } from './dim-expr.js';
import { integerProblem, isDType, type DType, type TypedArray } from './dtypes.js';
import type { IOInfo } from './session.js';
import { formatShape, sizeOf, tensorFromNumbers, type HostTensor } from './tensor.js';

/** One feed as callers pass it. Example: `{ data: new Float32Array(784), shape: [1, 784] }`. */
export type Feed =
  | { data: TypedArray | number[]; shape: readonly number[]; dtype?: DType }
  | TypedArray
  | { type: string; dims: readonly number[]; data: unknown };

/** Feeds by input name. */
export type Feeds = Record<string, Feed>;

/** One input a FeedError is about: its declared dtype and shape (symbolic sizes by name) and the shape received (null: none could be read). */
export interface FeedProblem {
  name: string;
  dtype: DType;
  expected: (number | string)[];
  received: number[] | null;
}

/**
 * A feed the model cannot take: the caller's fault (`serve` answers 400 with
 * `inputs`), whether `checkFeeds` found it against the declared inputs or the
 * run found that the model's operators do not fit the sizes fed
 * (runtime/run-error.ts).
 *
 * ```ts
 * try { await model.run(feeds); } catch (e) { if (e instanceof FeedError) e.inputs[0]!.expected; } // ['N', 'T', 8]
 * ```
 */
export class FeedError extends Error {
  constructor(
    message: string,
    readonly inputs: FeedProblem[],
  ) {
    super(message);
  }
}

const ARRAY_DTYPES: [new (n: number) => TypedArray, DType[]][] = [
  [Float32Array, ['float32']],
  [Float64Array, ['float64']],
  [Uint16Array, ['float16', 'uint16']],
  [Int32Array, ['int32']],
  [BigInt64Array, ['int64']],
  [Int8Array, ['int8']],
  [Uint8Array, ['uint8', 'bool']],
  [Int16Array, ['int16']],
  [Uint32Array, ['uint32']],
  [BigUint64Array, ['uint64']],
];

/** The dtypes a typed array can hold (`Uint8Array`: uint8 or bool; `Uint16Array`: float16's bits or uint16). */
function dtypesOfArray(a: unknown): DType[] | undefined {
  for (const [cls, ds] of ARRAY_DTYPES) if (a instanceof cls) return ds;
  return undefined;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of ${(x as TypedArray).length}`;
  if (typeof x === 'object') return `an object with keys ${JSON.stringify(Object.keys(x as object))}`;
  return `${typeof x} ${JSON.stringify(x)}`;
}

/** What a model needs of its feeds beyond the declared inputs (a `Model` holds them: `model.guards`). */
export interface FeedGuards {
  /** The model's operators that abort the process on an empty input (GraphSummary.emptyAborts): an input with a 0 dimension is refused. */
  emptyAborts?: readonly string[];
  /** What its operators need of the symbolic sizes (the manifest's `constraints`): sizes failing one are refused. */
  constraints?: readonly DimConstraint[];
}

/**
 * Checks `feeds` against `inputs` and `guards` and returns them as host
 * tensors; `where` prefixes every error (e.g. the model's file).
 *
 * ```ts
 * const host = checkFeeds({ x: { data: new Float32Array(784), shape: [1, 784] } }, model.inputs, "'mlp.onnx'", model.guards);
 * ```
 */
export function checkFeeds(feeds: unknown, inputs: readonly IOInfo[], where: string, guards: FeedGuards = {}): Record<string, HostTensor> {
  const emptyAborts = guards.emptyAborts ?? [];
  if (!feeds || typeof feeds !== 'object' || Array.isArray(feeds) || ArrayBuffer.isView(feeds)) {
    throw new Error(`${where}: feeds must be an object of inputs by name (${inputs.map((i) => `'${i.name}'`).join(', ')}), got ${describe(feeds)}`);
  }
  const given = feeds as Record<string, unknown>;
  const known = new Set(inputs.map((i) => i.name));
  for (const k of Object.keys(given)) {
    if (!known.has(k)) throw new Error(`${where}: unknown input '${k}' (the model's inputs: ${inputs.map((i) => `'${i.name}' ${i.dtype} ${formatShape(i.shape)}`).join(', ')})`);
  }
  const out: Record<string, HostTensor> = {};
  const symbols = new Map<string, { size: number; input: string }>();
  for (const info of inputs) {
    const f = Object.hasOwn(given, info.name) ? given[info.name] : undefined;
    const expected = `${info.dtype} ${formatShape(info.shape)}`;
    const received = (): number[] | null => {
      const o = f as { shape?: unknown; dims?: unknown } | null | undefined;
      const s = o && typeof o === 'object' ? (Array.isArray(o.dims) ? o.dims : o.shape) : undefined;
      return Array.isArray(s) && s.every((d) => typeof d === 'number') ? [...(s as number[])] : null;
    };
    const fail = (what: string): Error =>
      new FeedError(`${where}: input '${info.name}': expected ${expected}, ${what}`, [{ name: info.name, dtype: info.dtype, expected: [...info.shape], received: received() }]);
    if (f === undefined || f === null) throw fail(`got ${f === null ? 'null' : 'nothing'} (missing input)`);
    const t = toHost(f, info, fail);
    if (t.shape.length !== info.shape.length) throw fail(`got rank ${t.shape.length} shape ${formatShape(t.shape)}`);
    const empty = t.shape.indexOf(0);
    if (empty >= 0 && emptyAborts.length) {
      throw fail(`got shape ${formatShape(t.shape)} (dimension ${empty} is 0): the model holds ONNX ${emptyAborts.join(' and ')} nodes, whose onnxruntime kernels abort the process on an empty batch`);
    }
    t.shape.forEach((d, i) => {
      const want = info.shape[i]!;
      if (typeof want === 'number') {
        if (d !== want) throw fail(`got shape ${formatShape(t.shape)} (dimension ${i} is ${d}, not ${want})`);
      } else if (want !== '?') {
        const prev = symbols.get(want);
        if (prev && prev.size !== d) {
          throw fail(`got shape ${formatShape(t.shape)}: dimension ${i} ('${want}') is ${d} but input '${prev.input}' has ${want} = ${prev.size}`);
        }
        symbols.set(want, { size: d, input: info.name });
      }
    });
    out[info.name] = t;
  }
  if (guards.constraints?.length) {
    const v = firstViolation(guards.constraints, new Map([...symbols].map(([k, b]) => [k, b.size])));
    if (v) throw constraintError(v, inputs, out, where);
  }
  return out;
}

/** The FeedError for sizes a constraint refuses: the inputs whose declared shapes hold the names it reads. */
function constraintError(v: DimViolation, inputs: readonly IOInfo[], feeds: Record<string, HostTensor>, where: string): FeedError {
  const chosen = inputs.filter((d) => d.shape.some((s) => typeof s === 'string' && v.symbols.includes(s)));
  const c = v.constraint;
  const here = v.symbols.length === 1 && c.dim === v.symbols[0] ? '' : ` (here ${c.dim} = ${v.size})`;
  return new FeedError(
    `${where}: ${doesNotFit(chosen, inputs, feeds)}: ${c.message}${here}`,
    chosen.map((d) => ({ name: d.name, dtype: d.dtype, expected: [...d.shape], received: [...feeds[d.name]!.shape] })),
  );
}

/**
 * The symbolic sizes `feeds` bind for the `declared` inputs, as text ('' for none).
 *
 * ```ts
 * boundSizes(model.inputs, feeds); // ' (N = 2, T = 7)'
 * ```
 */
export function boundSizes(declared: readonly { name: string; shape: readonly (number | string)[] }[], feeds: Record<string, HostTensor>): string {
  const bound = new Map<string, number>();
  for (const d of declared) {
    const t = feeds[d.name];
    d.shape.forEach((s, i) => {
      if (t && typeof s === 'string' && s !== '?' && t.shape[i] !== undefined && !bound.has(s)) bound.set(s, t.shape[i]!);
    });
  }
  return bound.size ? ` (${[...bound].map(([k, v]) => `${k} = ${v}`).join(', ')})` : '';
}

/**
 * The inputs `chosen` (of the `declared` ones) with their fed shapes, the
 * symbolic sizes the feeds bound and their declared shapes: the subject of a
 * FeedError about sizes the model does not fit.
 *
 * ```ts
 * doesNotFit([x], model.inputs, feeds); // "input 'x' float32[2, 7, 8] (N = 2, T = 7) does not fit the model (declared float32[N, T, 8])"
 * ```
 */
export function doesNotFit(chosen: readonly { name: string; dtype?: DType; shape: readonly (number | string)[] }[], declared: readonly { name: string; shape: readonly (number | string)[] }[], feeds: Record<string, HostTensor>): string {
  const sizes = boundSizes(declared, feeds);
  const fed = (d: { name: string }) => `${feeds[d.name]!.dtype}${formatShape(feeds[d.name]!.shape)}`;
  const decl = (d: (typeof chosen)[number]) => `${d.dtype ?? feeds[d.name]!.dtype}${formatShape(d.shape)}`;
  return chosen.length === 1
    ? `input '${chosen[0]!.name}' ${fed(chosen[0]!)}${sizes} does not fit the model (declared ${decl(chosen[0]!)})`
    : `inputs ${chosen.map((d) => `${d.name}: ${fed(d)}`).join(', ')}${sizes} do not fit the model (declared ${chosen.map((d) => `${d.name}: ${decl(d)}`).join(', ')})`;
}

function toHost(f: unknown, info: IOInfo, fail: (what: string) => Error): HostTensor {
  // A typed array alone: the declared shape, which must be fully static.
  if (ArrayBuffer.isView(f)) {
    const ds = dtypesOfArray(f);
    if (!ds || !ds.includes(info.dtype)) throw fail(`got ${describe(f)}`);
    if (!info.shape.every((d) => typeof d === 'number')) {
      throw fail(`got ${describe(f)} without a shape; the shape has symbolic dimensions, so pass { data, shape }`);
    }
    const shape = info.shape as number[];
    const data = f as TypedArray;
    if (data.length !== sizeOf(shape)) throw fail(`got ${describe(f)} (${sizeOf(shape)} elements needed)`);
    return { dtype: info.dtype, shape: [...shape], data };
  }
  if (typeof f !== 'object' || f === null) throw fail(`got ${describe(f)}`);
  const o = f as Record<string, unknown>;
  // An onnxruntime Tensor: type, dims, data.
  const isOrt = typeof o['type'] === 'string' && Array.isArray(o['dims']);
  const shape = (isOrt ? o['dims'] : o['shape']) as unknown;
  const declared = isOrt ? o['type'] : o['dtype'];
  if (declared !== undefined && declared !== info.dtype) {
    throw fail(`got dtype ${isDType(declared) ? declared : JSON.stringify(declared)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw fail(`got shape ${JSON.stringify(shape)} (a list of non-negative integers is needed)`);
  }
  let data: unknown;
  try {
    data = o['data']; // an onnxruntime tensor on a device throws here
  } catch (e) {
    throw fail(`got a tensor whose data is not on the CPU (${(e as Error).message})`);
  }
  const n = sizeOf(shape);
  if (Array.isArray(data)) {
    if (!data.every((v) => typeof v === 'number')) throw fail('got a data array with non-numbers');
    if (data.length !== n) throw fail(`got ${data.length} values for shape ${formatShape(shape)} (${n} needed)`);
    for (let i = 0; i < n; i++) {
      const problem = integerProblem(data[i] as number, info.dtype);
      if (problem) throw fail(`got data[${i}] = ${data[i]}, which ${problem}`);
    }
    return tensorFromNumbers(info.dtype, shape, data as number[]);
  }
  const ds = dtypesOfArray(data);
  if (!ds) throw fail(`got data that is ${describe(data)}, not a typed array`);
  if (!ds.includes(info.dtype)) throw fail(`got data of dtype ${ds.join('/')} (${describe(data)})`);
  if ((data as TypedArray).length !== n) throw fail(`got ${(data as TypedArray).length} elements for shape ${formatShape(shape)} (${n} needed)`);
  return { dtype: info.dtype, shape: [...shape], data: data as TypedArray };
}
