/**
 * A minimal reader of the protobuf wire format, enough to walk an ONNX
 * ModelProto without decoding it: each message is split into fields whose
 * bounds are checked against the message and the buffer, so a truncated or
 * corrupt file is found before onnxruntime sees it, and large tensor data is
 * skipped without being copied.
 * Invariant: a returned field never reaches past its message's end.
 */

/** One field of a message: its number, wire type and value (varints) or byte range (everything else). */
export interface WireField {
  no: number;
  wire: number;
  /** The value of a varint field (precise up to 2^53). */
  value: number;
  /** The field's payload: [start, end) in the buffer (for length-delimited fields, the bytes). */
  start: number;
  end: number;
}

/** Why a message could not be read. `truncated`: it runs past the end of the buffer. */
export class WireError extends Error {
  constructor(
    readonly kind: 'truncated' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The fields of the message in `buf[start, end)`, in order.
 *
 * ```ts
 * for (const f of wireFields(bytes, 0, bytes.length)) if (f.no === 1) irVersion = f.value;
 * ```
 */
export function wireFields(buf: Uint8Array, start: number, end: number): WireField[] {
  const out: WireField[] = [];
  scanFields(buf, start, end, (f) => out.push({ ...f }));
  return out;
}

/**
 * Calls `visit` with each field of the message in `buf[start, end)`, in
 * order, without allocating per field: the field object is reused, so copy
 * what you keep. For walks over large graphs.
 *
 * ```ts
 * scanFields(bytes, g.start, g.end, (f) => { if (f.no === 1) nodes++; });
 * ```
 */
export function scanFields(buf: Uint8Array, start: number, end: number, visit: (f: Readonly<WireField>) => void): void {
  let pos = start;
  const field: WireField = { no: 0, wire: 0, value: 0, start: 0, end: 0 };
  const past = (at: number, need: string): WireError =>
    end === buf.length
      ? new WireError('truncated', `${need} at byte ${at} runs past the end of the data (${buf.length} bytes)`)
      : new WireError('malformed', `${need} at byte ${at} runs past the end of its enclosing message (byte ${end})`);
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    const at = pos;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw past(at, 'a varint');
      const b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return v;
    }
    throw new WireError('malformed', `a varint at byte ${at} is longer than 10 bytes`);
  };
  while (pos < end) {
    const at = pos;
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (no === 0) throw new WireError('malformed', `field number 0 at byte ${at}`);
    field.no = no;
    field.wire = wire;
    if (wire === 0) {
      field.start = pos;
      field.value = varint();
      field.end = pos;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > end) throw past(at, `field ${no} (${n} fixed bytes)`);
      field.value = 0;
      field.start = pos;
      field.end = pos += n;
    } else if (wire === 2) {
      const len = varint();
      if (pos + len > end) throw past(at, `field ${no} (${len} bytes)`);
      field.value = len;
      field.start = pos;
      field.end = pos += len;
    } else {
      throw new WireError('malformed', `field ${no} at byte ${at} has wire type ${wire}, which ONNX files never use`);
    }
    visit(field);
  }
}

const utf8 = new TextDecoder('utf-8');

/** The UTF-8 text of a length-delimited field (short ASCII names decoded without TextDecoder's per-call cost). Example: `wireString(bytes, f)`. */
export function wireString(buf: Uint8Array, f: Readonly<WireField>): string {
  const n = f.end - f.start;
  if (n <= 64) {
    let s = '';
    for (let i = f.start; i < f.end; i++) {
      const b = buf[i]!;
      if (b >= 0x80) return utf8.decode(buf.subarray(f.start, f.end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return utf8.decode(buf.subarray(f.start, f.end));
}

/**
 * The main graph of the ModelProto `bytes` (field 7) as a field, or null
 * when it has none. Example: `scanFields(bytes, g.start, g.end, visit)` with
 * `g = mainGraph(bytes)`.
 */
export function mainGraph(bytes: Uint8Array): WireField | null {
  let graph: WireField | null = null;
  scanFields(bytes, 0, bytes.length, (f) => {
    if (f.no === 7 && f.wire === 2) graph = { ...f };
  });
  return graph;
}
