/**
 * What a failed run says. onnxruntime reports a kernel's refusal as
 * "Non-zero status code returned while running Add node. Name:'add_1'
 * Status Message: <source file:line> <function> <condition> was false.
 * <reason>": the node's name and a reason in C++ terms. A model's sizes can
 * be symbolic (`['N', 'T', 8]`) while an operator meets a fixed size (T
 * broadcast against 5 means T must be 5 or 1), which only the run can
 * check; `explainRunError` rewrites such an error to name the model, the
 * node, the gluonc operator and block its `gluonc:` record names (see
 * compiler/onnx/emit.ts), the fed shapes with the symbolic sizes they bound,
 * and the reason without the source location. Other errors pass unchanged.
 * When the reason is about sizes (a broadcast, a reshape, mismatched
 * dimensions) and an input has a symbolic size, the request chose sizes the
 * model does not fit: the error is a `FeedError` (the caller's fault;
 * `serve` answers 400) naming those inputs, their declared and received
 * shapes. With every input size fixed, the sizes fed are the declared ones
 * and the model itself fails: a plain Error (500).
 */
import { readFileSync } from 'node:fs';
import { mainGraph, scanFields, wireString } from './proto-wire.js';
import type { DType } from './dtypes.js';
import { boundSizes, doesNotFit, FeedError } from './feeds.js';
import { formatShape, type HostTensor } from './tensor.js';

/** Where a node of a model comes from: its ONNX operator and, for gluonc files, the operator and block it lowers. */
export interface NodeOrigin {
  opType: string;
  /** The gluonc operator (from the node group's `gluonc:` record). */
  op?: string;
  /** The block it was called from. */
  scope?: string;
}

/** How the scope of a node built from an imported ONNX node ends (compiler/onnx/read.ts): `ONNX node 'split_3' (SplitToSequence)`. */
const ONNX_NODE = "ONNX node '";

/** The scope element of the nodes built from ONNX node `name` of operator `opType` of an imported file. Example: `onnxNodeScope('split_3', 'SplitToSequence')`. */
export function onnxNodeScope(name: string, opType: string): string {
  return `${ONNX_NODE}${name}' (${opType})`;
}

/**
 * A node scope as its block path and the imported ONNX node it was built from ('' for gluonc's own nodes): the
 * ONNX element ends the scope (` (gradient)` may follow it), and its name may hold '/'.
 * Example: `splitScope("net/ONNX node 'a/b' (Add)")` is `{ block: 'net', onnx: "ONNX node 'a/b' (Add)", name: 'a/b' }`.
 */
export function splitScope(scope: string): { block: string; onnx: string; name: string } {
  const k = scope.indexOf(ONNX_NODE);
  if (k < 0) return { block: scope, onnx: '', name: '' };
  const onnx = scope.slice(k);
  return { block: scope.slice(0, Math.max(0, k - 1)), onnx, name: onnx.slice(ONNX_NODE.length, onnx.lastIndexOf("' (")) };
}

/** The imported ONNX node element of `scope` alone ('' for none): `splitScope(scope).onnx` without the rest. */
export function onnxOfScope(scope: string): string {
  const k = scope.indexOf(ONNX_NODE);
  return k < 0 ? '' : k === 0 ? scope : scope.slice(k);
}

const DOC_PREFIX = 'gluonc:';
const STATUS = /^Non-zero status code returned while running (\w+) node\. Name:'([^']*)' Status Message: ([\s\S]*)$/;

/**
 * The node named `name` in the main graph of the model `bytes`, with the
 * gluonc record of its group (the nearest `gluonc:` doc string at or before
 * it: a lowered operator's first ONNX node carries it); null when no node
 * has that name.
 *
 * ```ts
 * nodeOrigin(bytes, 'add_1'); // { opType: 'Add', op: 'add', scope: 'Probe' }
 * ```
 */
export function nodeOrigin(bytes: Uint8Array, name: string): NodeOrigin | null {
  const g = mainGraph(bytes);
  if (!g) return null;
  let record: { op?: string; scope?: string } = {};
  let found: NodeOrigin | null = null;
  scanFields(bytes, g.start, g.end, (f) => {
    if (found || f.no !== 1 || f.wire !== 2) return;
    // NodeProto: name (3), op_type (4), doc_string (6).
    let nodeName = '';
    let opType = '';
    let doc = '';
    scanFields(bytes, f.start, f.end, (h) => {
      if (h.wire !== 2) return;
      if (h.no === 3) nodeName = wireString(bytes, h);
      else if (h.no === 4) opType = wireString(bytes, h);
      else if (h.no === 6) doc = wireString(bytes, h);
    });
    if (doc.startsWith(DOC_PREFIX)) {
      try {
        const r = JSON.parse(doc.slice(DOC_PREFIX.length)) as { op?: unknown; scope?: unknown };
        record = { op: typeof r.op === 'string' ? r.op : undefined, scope: typeof r.scope === 'string' ? r.scope : undefined };
      } catch {
        record = {};
      }
    }
    if (nodeName === name) found = { opType, ...record };
  });
  return found;
}

/** onnxruntime's reason without the source location and the failed C++ condition. */
function reason(status: string): string {
  const text = status.trim();
  const cond = text.indexOf(' was false. ');
  if (cond >= 0) return text.slice(cond + ' was false. '.length).trim();
  // "concatbase.h:133 PrepareForComputeImpl Non concat axis ..." : drop "file:line function".
  return text.replace(/^\S+\.(?:h|cc|cpp|cu):\d+ \S+ /, '');
}

/**
 * The error of a failed run of the model at `file` (named `where` in
 * messages) on `feeds`, whose inputs were declared `declared` (symbolic
 * sizes by name): onnxruntime's node errors rewritten (see the module
 * comment), any other error unchanged.
 *
 * ```ts
 * try { session.runSync(feeds); } catch (e) { throw explainRunError(e, "'m.onnx'", 'm.onnx', model.inputs, feeds); }
 * // Error: 'm.onnx': the run failed in node 'add_1' (ONNX Add; gluonc's add in block 'Probe')
 * //   with x: float32[2, 7, 8] (N = 2, T = 7): Attempting to broadcast an axis by a dimension other than 1. 5 by 7
 * ```
 */
export function explainRunError(e: unknown, where: string, file: string | Uint8Array, declared: readonly { name: string; dtype?: DType; shape: readonly (number | string)[] }[], feeds: Record<string, HostTensor>): unknown {
  const failure = nodeFailure(e, file);
  if (!failure) return e;
  const { opType, node, origin } = failure;
  const { block, onnx } = splitScope(origin?.scope ?? '');
  const from = origin?.op ? `; gluonc's ${origin.op}${onnx ? ` of the imported ${onnx}` : ''}${block ? ` in block '${block}'` : ''}` : '';
  const fedInputs = declared.filter((d) => feeds[d.name]);
  const at = `node '${node}' (ONNX ${opType}${from})`;
  const chosen = fedInputs.filter((d) => d.shape.some((s) => typeof s !== 'number'));
  if (SIZE_REASON.test(failure.reason) && chosen.length) {
    return new FeedError(
      `${where}: ${doesNotFit(chosen, fedInputs, feeds)}: ${at}: ${failure.reason}`,
      chosen.map((d) => ({ name: d.name, dtype: d.dtype ?? feeds[d.name]!.dtype, expected: [...d.shape], received: [...feeds[d.name]!.shape] })),
    );
  }
  const fed = (d: { name: string }) => `${feeds[d.name]!.dtype}${formatShape(feeds[d.name]!.shape)}`;
  const sizes = boundSizes(fedInputs, feeds);
  return new Error(`${where}: the run failed in ${at} with ${fedInputs.map((d) => `${d.name}: ${fed(d)}`).join(', ')}${sizes}: ${failure.reason}`);
}

/**
 * onnxruntime's reasons that are about sizes (seen from its CPU kernels):
 * "Attempting to broadcast an axis by a dimension other than 1", "cannot be
 * reshaped to the requested shape", "Non concat axis dimensions must match",
 * "MatMul dimension mismatch", "GEMM: Dimension mismatch", "invalid expand
 * shape", "Input initial_h must have shape", "Input channels C is not equal
 * to kernel channels", "Invalid input shape", TopK's "k argument [5]
 * should not be greater than specified axis dim value [3]". Not: an index
 * out of range (a value, not a size: "indices element out of data bounds").
 */
const SIZE_REASON = /broadcast|reshape|dimension|shape|mismatch|must match|channels|axis dim\b/i;

/** An onnxruntime node failure, parsed: the node, its ONNX operator and origin, and the reason without the source location. */
export interface NodeFailure {
  opType: string;
  node: string;
  origin: NodeOrigin | null;
  reason: string;
}

/**
 * `e` parsed as onnxruntime's error for a node of the model `file` (a path,
 * or the bytes), or null when it is another error (the one parse shared by
 * loaded models and compiled graphs).
 *
 * ```ts
 * nodeFailure(e, bytes); // { opType: 'Div', node: 'div_1', origin: { opType: 'Div', op: 'div' }, reason: 'Integer division by zero' }
 * ```
 */
export function nodeFailure(e: unknown, file: string | Uint8Array): NodeFailure | null {
  const message = (e as Error | undefined)?.message;
  const m = typeof message === 'string' ? STATUS.exec(message) : null;
  if (!m) return null;
  const [, opType, node, status] = m as unknown as [string, string, string, string];
  let origin: NodeOrigin | null = null;
  try {
    origin = nodeOrigin(typeof file === 'string' ? readFileSync(file) : file, node);
  } catch {
    origin = null; // the file changed or went away since it loaded: say what the error says
  }
  return { opType, node, origin, reason: reason(status) };
}
