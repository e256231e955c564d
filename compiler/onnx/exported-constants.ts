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
 *   temporaries alone (`['val_79', ...]`), and is a constant.
 *
 * Files from other tools carry neither, and every float initializer of rank
 * >= 1 stays a parameter (compiler/onnx/read.ts).
 */
import { mainGraph, scanFields, wireString, type WireField } from '../../runtime/proto-wire.js';

const KIND = 'pkg.torch.export.graph_signature.InputSpec.kind';
const FOLDED_FROM = 'pkg.onnxscript.optimizer.folded_from';
/** The torch exporter's names for values it computes (never a parameter's or buffer's path). */
const TEMPORARY = /^val_\d+$/;

/** The value_info metadata of the main graph of the ModelProto `bytes`: name -> key -> value (only entries with metadata). */
function valueInfoMetadata(bytes: Uint8Array): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  const g = mainGraph(bytes);
  if (!g) return out;
  const infos: WireField[] = [];
  // GraphProto.value_info (13); ValueInfoProto: name (1), metadata_props (4: StringStringEntryProto key 1, value 2).
  scanFields(bytes, g.start, g.end, (f) => {
    if (f.no === 13 && f.wire === 2) infos.push({ ...f });
  });
  for (const vi of infos) {
    let name = '';
    const entries: WireField[] = [];
    scanFields(bytes, vi.start, vi.end, (f) => {
      if (f.wire !== 2) return;
      if (f.no === 1) name = wireString(bytes, f);
      else if (f.no === 4) entries.push({ ...f });
    });
    if (!name || !entries.length) continue;
    const props = new Map<string, string>();
    for (const e of entries) {
      let key = '';
      let value = '';
      scanFields(bytes, e.start, e.end, (f) => {
        if (f.wire !== 2) return;
        if (f.no === 1) key = wireString(bytes, f);
        else if (f.no === 2) value = wireString(bytes, f);
      });
      props.set(key, value);
    }
    out.set(name, props);
  }
  return out;
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
  for (const [name, props] of valueInfoMetadata(bytes)) {
    const kind = props.get(KIND);
    const folded = props.get(FOLDED_FROM);
    if (kind === 'BUFFER') buffers.add(name);
    else if (kind === 'CONSTANT_TENSOR') constants.add(name);
    else if (kind === undefined && folded !== undefined && foldedSources(folded).every((s) => TEMPORARY.test(s))) constants.add(name);
  }
  return { buffers, constants };
}
