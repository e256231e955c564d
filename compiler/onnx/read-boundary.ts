/**
 * Sequence and optional graph inputs and outputs of other tools' files.
 * gluonc's graphs take and give tensors, so such a file is read for the
 * inputs of one call, whose structure is known then: a sequence input of n
 * items becomes n tensor inputs `<name>_0` ... `<name>_{n-1}` (their types
 * the call's), an optional input a tensor input `<name>` (or a sequence's
 * items) when given and nothing when left out; a sequence output becomes its
 * items' outputs `<name>_<k>`, an optional output its value's, or nothing
 * when empty. readModel's `outputTree` (`IoTree`) says how the graph's flat
 * outputs nest back.
 * OptionalHasElement, OptionalGetElement and Optional are decided as the
 * file is read (presence is known then), as `mapOptional` does.
 * Invariant: the graph inputs are the bound items depth first, in the file's
 * input order; an empty optional is a `SequenceValue` with `absent: true`.
 */
import type { onnx as OnnxNs } from 'onnx-proto';
import type { DType } from '../../runtime/dtypes.js';
import { formatType, type TensorType } from '../ir/types.js';
import { Value } from '../ir/value.js';
import type { ImportCtx } from './import/context.js';
import { readDType } from './proto.js';
import type { SequenceCtx, SequenceValue } from './read-sequence.js';

/**
 * The type given for a sequence or optional graph input, for one read: a tensor type (an optional's
 * tensor), a list (a sequence's items, each a tensor type), or null (an optional left out).
 *
 * ```ts
 * const b: BoundaryType = [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [4, 3] }];
 * ```
 */
export type BoundaryType = TensorType | readonly BoundaryType[] | null;

/** How the graph's flat outputs (or inputs) nest into the file's: an index, a list (a sequence), or null (an empty optional). */
export type IoTree = number | null | readonly IoTree[];

/** What a file's graph input is: a tensor, a sequence (of tensors), or an optional (of a tensor or a sequence). */
export interface InputKind {
  name: string;
  kind: 'tensor' | 'sequence' | 'optional';
  /** An optional's element: a tensor or a sequence. */
  of?: 'tensor' | 'sequence';
  /** The element tensors' declared dtype (undefined where the file does not say). */
  dtype?: DType;
}

/**
 * The kind of a graph input's declared type.
 *
 * ```ts
 * inputKind(vi); // { name: 'x', kind: 'sequence', dtype: 'float32' }
 * ```
 */
export function inputKind(vi: OnnxNs.IValueInfoProto): InputKind {
  const name = vi.name ?? '';
  const t = vi.type;
  const elemDType = (tt: OnnxNs.TypeProto.ITensor | null | undefined): DType | undefined => {
    if (!tt?.elemType) return undefined;
    try {
      return readDType(tt.elemType);
    } catch {
      return undefined;
    }
  };
  if (t?.sequenceType) return { name, kind: 'sequence', dtype: elemDType(t.sequenceType.elemType?.tensorType) };
  if (t?.optionalType) {
    const e = t.optionalType.elemType;
    if (e?.sequenceType) return { name, kind: 'optional', of: 'sequence', dtype: elemDType(e.sequenceType.elemType?.tensorType) };
    return { name, kind: 'optional', of: 'tensor', dtype: elemDType(e?.tensorType) };
  }
  return { name, kind: 'tensor' };
}

/** True for a declared sequence or optional type. */
export function isBoundaryType(t: OnnxNs.ITypeProto | null | undefined): boolean {
  return !!(t?.sequenceType || t?.optionalType);
}

/** What binding a boundary input needs of the reader. */
export interface BindCtx {
  readonly values: Map<string, Value>;
  readonly sequences: Map<string, SequenceValue>;
  readonly inputs: Value[];
  fail(msg: string): Error;
}

/**
 * Binds sequence or optional graph input `vi` to the type given for this read (`given`): its items become graph
 * inputs. A structure other than the declared one, a dtype other than the declared one, or a fixed dimension
 * other than the declared one is an Error naming the input.
 */
export function bindBoundaryInput(vi: OnnxNs.IValueInfoProto, given: BoundaryType | undefined, c: BindCtx, taken: Set<string>): void {
  const k = inputKind(vi);
  const what = `graph input '${k.name}'`;
  const kindText = k.kind === 'sequence' ? 'a sequence' : `an optional ${k.of}`;
  if (given === undefined) {
    throw c.fail(`${what} is ${kindText}; gluonc graphs take tensors, so the file is read for the inputs of a call: SymbolBlock.imports(file).call(...) takes ${k.kind === 'sequence' || k.of === 'sequence' ? 'a list of arrays' : 'an array'}${k.kind === 'optional' ? ' or null' : ''} for it (readModel's \`boundary\` option gives its type)`);
  }
  const elem = k.kind === 'sequence' ? vi.type!.sequenceType!.elemType : k.of === 'sequence' ? vi.type!.optionalType!.elemType!.sequenceType!.elemType : vi.type!.optionalType!.elemType;
  const declared = elem?.tensorType;
  if (elem && !declared) throw c.fail(`${what} is ${kindText} of ${elem.sequenceType ? 'sequences' : elem.mapType ? 'maps' : 'no tensors'}; gluonc reads sequences of tensors only`);
  const input = (name: string, t: TensorType, where: string): Value => {
    if (!t || Array.isArray(t)) throw c.fail(`${where}: expected a tensor, got ${t === null ? 'null' : 'a list'}`);
    const type = t as TensorType;
    if (k.dtype && type.dtype !== k.dtype) throw c.fail(`${where} is declared ${k.dtype}, got ${formatType(type)}`);
    const dims = declared?.shape?.dim;
    if (dims) {
      if (dims.length !== type.shape.length) throw c.fail(`${where} is declared of rank ${dims.length}, got ${formatType(type)}`);
      dims.forEach((d, i) => {
        const want = d.dimValue === undefined || d.dimValue === null ? null : Number(d.dimValue);
        const got = type.shape[i];
        if (want !== null && typeof got === 'number' && got !== want) throw c.fail(`${where}: dimension ${i} is declared ${want}, got ${formatType(type)}`);
      });
    }
    if (name !== k.name && (taken.has(name) || c.values.has(name))) throw c.fail(`${where}: its input name '${name}' is taken by another graph input`);
    taken.add(name);
    const v = Value.input(name, { dtype: type.dtype, shape: [...type.shape] });
    c.inputs.push(v);
    return v;
  };
  const sequence = (items: readonly BoundaryType[]): void => {
    const vs = items.map((t, i) => input(`${k.name}_${i}`, t as TensorType, `${what} item ${i}`));
    const dtype = vs[0]?.type.dtype ?? k.dtype;
    if (vs.some((v) => v.type.dtype !== dtype)) throw c.fail(`${what}: a sequence's items have one dtype, got ${vs.map((v) => v.type.dtype).join(', ')}`);
    if (!dtype) throw c.fail(`${what}: an empty sequence whose element dtype the file does not declare`);
    c.sequences.set(k.name, { dtype, items: vs });
  };
  if (k.kind === 'sequence' || (k.kind === 'optional' && k.of === 'sequence' && given !== null)) {
    if (!Array.isArray(given)) throw c.fail(`${what} is ${kindText}: expected a list of arrays, got ${given === null ? 'null' : 'a tensor'}`);
    return sequence(given as readonly BoundaryType[]);
  }
  if (given === null) {
    c.sequences.set(k.name, { dtype: k.dtype ?? 'float32', items: [], absent: true });
    return;
  }
  if (Array.isArray(given)) throw c.fail(`${what} is ${kindText}: expected an array or null, got a list`);
  c.values.set(k.name, input(k.name, given as TensorType, what));
}

/**
 * A sequence or optional graph output: its items appended to `outputs` (named `<name>_<k>`); how they nest (null for
 * an empty optional). A sequence whose length is known only when the graph runs is refused (`fail`): a call's
 * outputs are read with the file, before it runs.
 */
export function boundaryOutput(name: string, s: SequenceValue, outputs: { name: string; value: Value }[], fail: (msg: string) => Error): IoTree {
  if (s.absent) return null;
  if (s.stacked) throw fail(`graph output '${name}' is a sequence whose length is known only when the graph runs (${s.origin ?? 'from the file'}; ${formatType(s.stacked.type)}, its items stacked): gluonc gives a sequence output as a list whose length is known when the file is read; give the file a ConcatFromSequence (new_axis=1 stacks the items) as its output instead`);
  return s.items.map((value, k) => outputs.push({ name: `${name}_${k}`, value }) - 1);
}

export { OPTIONAL_OPS } from './import/table.js';

/**
 * Maps Optional, OptionalHasElement or OptionalGetElement (and Identity of a sequence or empty optional):
 * presence is known when the file is read, so each is a value, a sequence or an empty optional already there.
 * Returns a tensor for a node whose output is one, else null (its output stored in `c.sequences`).
 *
 * ```ts
 * mapOptional(node, ctx, reader); // OptionalHasElement: a bool constant
 * ```
 */
export function mapOptional(n: OnnxNs.INodeProto, ctx: ImportCtx, c: SequenceCtx): Value | null {
  const op = n.opType ?? '';
  const inName = (n.input ?? [])[0] ?? '';
  const out = n.output?.[0] ?? '';
  const seq = inName ? c.sequences.get(inName) : undefined;
  switch (op) {
    case 'OptionalHasElement': {
      // No input (opset 18): an empty optional.
      const has = !!inName && !seq?.absent;
      if (has && !seq) ctx.input(0); // a tensor: defined (or a named refusal)
      return ctx.scalar(has ? 1 : 0, 'bool');
    }
    case 'Optional': {
      if (!inName) {
        const t = ctx.attr.type('type');
        const dtype = t ? optionalElemDType(t, ctx) : 'float32';
        c.sequences.set(out, { dtype, items: [], absent: true });
        return null;
      }
      ctx.attr.ignore('type');
      if (seq) return void c.sequences.set(out, seq), null;
      return ctx.input(0);
    }
    case 'OptionalGetElement':
    case 'Identity':
      // Identity passes an empty optional on; OptionalGetElement of one is an error in ONNX.
      if (seq?.absent && op === 'OptionalGetElement') throw ctx.refuse(`its input '${inName}' is an empty optional (ONNX: an error)`);
      if (seq) return void c.sequences.set(out, seq), null;
      return ctx.input(0);
    default:
      throw ctx.refuse();
  }
}

/** The element dtype of Optional's `type` attribute (a tensor's, or a sequence's tensors'). */
function optionalElemDType(t: OnnxNs.ITypeProto, ctx: ImportCtx): DType {
  const tt = t.tensorType ?? t.sequenceType?.elemType?.tensorType;
  if (!tt?.elemType) throw ctx.refuse('its type attribute is no tensor or sequence of tensors');
  try {
    return readDType(tt.elemType);
  } catch (e) {
    throw ctx.refuse(`its type attribute: ${(e as Error).message}`);
  }
}
