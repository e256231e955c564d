/**
 * Which initializers of a file written by torch's exporter are not the
 * model's parameters, from the metadata it records on the graph's
 * value_info (ONNX IR 10's `metadata_props`; onnx-proto's decoder drops
 * them, so they are read from the wire):
 *
 * - `pkg.torch.export.graph_signature.InputSpec.kind`: torch.export's kind
 *   of each lifted input. `BUFFER` (`register_buffer`: BatchNorm's running
 *   statistics, positional tables, masks) and `CONSTANT_TENSOR` are not
 *   trained by PyTorch; `PARAMETER` is. A buffer stays a parameter of the
 *   block with `gradReq: 'null'` (in `collectParams` and saved files, as
 *   gluon's running statistics are); a constant tensor is a constant.
 * - `pkg.onnxscript.optimizer.folded_from`: the values the onnxscript
 *   optimizer (run by `torch.onnx.export(..., dynamo=True)`, the default
 *   since torch 2.9, unless `optimize=False`) folded into an initializer. A
 *   Linear's weight transposed for MatMul is folded from the parameter
 *   (`['emb.weight']`), and trains in its place; an attention scale
 *   (`1/sqrt(sqrt(head_dim))`, shape [1]) is folded from the exporter's
 *   temporaries alone (`['val_79', ...]`), and is a constant; Swin's
 *   attention mask unsqueezed (`['b2.attn_mask', 'unsqueeze_2', ...]`) is
 *   folded from a buffer, and is one (frozen). Which sources are parameters
 *   and buffers the graph's own metadata says:
 * - `pkg.torch.export.ExportedProgram.graph_signature`: torch.export's
 *   signature, a line per lifted input (`b_b2_attn_mask: BUFFER
 *   target='b2.attn_mask'`). Without it, a folded value is a constant only
 *   where every source is one of the exporter's `val_<n>` temporaries.
 *
 * Files from other tools carry neither, and every float initializer of rank
 * >= 1 stays a parameter (compiler/onnx/read.ts).
 */
import { mainGraph, scanFields, wireString, type WireField } from '../../runtime/proto-wire.js';

const KIND = 'pkg.torch.export.graph_signature.InputSpec.kind';
const FOLDED_FROM = 'pkg.onnxscript.optimizer.folded_from';
const SIGNATURE = 'pkg.torch.export.ExportedProgram.graph_signature';
/** The torch exporter's names for values it computes (never a parameter's or buffer's path). */
const TEMPORARY = /^val_\d+$/;

/** The key and value of a StringStringEntryProto (key 1, value 2). */
function entry(bytes: Uint8Array, e: WireField): [string, string] {
  let key = '';
  let value = '';
  scanFields(bytes, e.start, e.end, (f) => {
    if (f.wire !== 2) return;
    if (f.no === 1) key = wireString(bytes, f);
    else if (f.no === 2) value = wireString(bytes, f);
  });
  return [key, value];
}

/**
 * The metadata of the main graph of the ModelProto `bytes`: its value_info's
 * (name -> key -> value, only entries with metadata) and its own.
 */
function graphMetadata(bytes: Uint8Array): { values: Map<string, Map<string, string>>; graph: Map<string, string> } {
  const values = new Map<string, Map<string, string>>();
  const graph = new Map<string, string>();
  const g = mainGraph(bytes);
  if (!g) return { values, graph };
  const infos: WireField[] = [];
  // GraphProto.value_info (13), GraphProto.metadata_props (16); ValueInfoProto: name (1), metadata_props (4).
  scanFields(bytes, g.start, g.end, (f) => {
    if (f.no === 13 && f.wire === 2) infos.push({ ...f });
    else if (f.no === 16 && f.wire === 2) graph.set(...entry(bytes, f));
  });
  for (const vi of infos) {
    let name = '';
    const entries: WireField[] = [];
    scanFields(bytes, vi.start, vi.end, (f) => {
      if (f.wire !== 2) return;
      if (f.no === 1) name = wireString(bytes, f);
      else if (f.no === 4) entries.push({ ...f });
    });
    if (name && entries.length) values.set(name, new Map(entries.map((e) => entry(bytes, e))));
  }
  return { values, graph };
}

/**
 * The kind of each lifted input by its target (`'b2.attn_mask'` ->
 * `'BUFFER'`), from the graph signature torch records on the graph
 * (`b_b2_attn_mask: BUFFER target='b2.attn_mask' persistent=True`), or null
 * without one.
 */
function signatureKinds(signature: string | undefined): Map<string, string> | null {
  if (signature === undefined) return null;
  const kinds = new Map<string, string>();
  for (const m of signature.matchAll(/^\s*[^:\s]+:\s*([A-Z_]+)\s+target='((?:[^'\\]|\\.)*)'/gm)) kinds.set(m[2]!, m[1]!);
  return kinds;
}

/** The names in onnxscript's `folded_from` record (a Python list repr: `['a', 'b']`). */
function foldedSources(record: string): string[] {
  return [...record.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2] ?? '');
}

/**
 * What torch's exporter records about the initializers: `buffers`
 * (`register_buffer`: parameters of the block that never train, as
 * BatchNorm's running statistics are) and `constants` (constant tensors,
 * and values its optimizer folded from its own temporaries: constants of the
 * imported graph, not parameters). Both empty for files without that
 * metadata.
 *
 * ```ts
 * exportedRecord(readFileSync('encoder.onnx')); // { buffers: Set { 'pe' }, constants: Set { 'val_101' } } (dynamo=True)
 * ```
 */
export function exportedRecord(bytes: Uint8Array): { buffers: Set<string>; constants: Set<string> } {
  const buffers = new Set<string>();
  const constants = new Set<string>();
  const { values, graph } = graphMetadata(bytes);
  const kinds = signatureKinds(graph.get(SIGNATURE));
  for (const [name, props] of values) {
    const kind = props.get(KIND);
    const folded = props.get(FOLDED_FROM);
    if (kind === 'BUFFER') buffers.add(name);
    else if (kind === 'CONSTANT_TENSOR') constants.add(name);
    else if (kind === undefined && folded !== undefined) {
      const sources = foldedSources(folded);
      if (kinds) {
        // Folded from a parameter: it trains (a Linear's weight transposed, a BatchNorm folded into a convolution).
        // Else from a buffer (Swin's attention mask unsqueezed): frozen. Else from temporaries and constants alone.
        if (sources.some((s) => kinds.get(s) === 'PARAMETER')) continue;
        (sources.some((s) => kinds.get(s) === 'BUFFER') ? buffers : constants).add(name);
      } else if (sources.every((s) => TEMPORARY.test(s))) constants.add(name);
    }
  }
  return { buffers, constants };
}
