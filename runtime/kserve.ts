/**
 * The Open Inference Protocol (KServe v2) wire format: datatype names,
 * decoding an infer request (JSON, with the binary tensor data extension
 * Triton clients use) into host tensors, and encoding the outputs.
 * Invariants: a bad request is an `HttpError` (status 4xx, a message naming
 * the input and the problem), never an exception of another kind; decoded
 * tensors have exactly `shape`'s element count.
 */
import { allocate, dtypeBytes, integerProblem, type DType, type TypedArray } from './dtypes.js';
import { fromHalf, toHalf } from './half.js';
import type { IOInfo } from './session.js';
import { formatShape, sizeOf, type HostTensor } from './tensor.js';

/** An error with the HTTP status to answer it with. Example: `throw new HttpError(400, "input 'x': ...")`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TO_KSERVE: Record<DType, string> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  int8: 'INT8',
  int32: 'INT32',
  int64: 'INT64',
  int16: 'INT16',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
};
const FROM_KSERVE = new Map(Object.entries(TO_KSERVE).map(([d, k]) => [k, d as DType]));

/** The KServe datatype of a dtype. Example: `kserveType('float32') === 'FP32'`. */
export function kserveType(d: DType): string {
  return TO_KSERVE[d];
}

/** Model metadata as `GET /v2/models/<name>` answers it (symbolic dimensions as -1). */
export function modelMetadata(name: string, inputs: readonly IOInfo[], outputs: readonly IOInfo[]): object {
  const io = (x: IOInfo) => ({ name: x.name, datatype: kserveType(x.dtype), shape: x.shape.map((d) => (typeof d === 'number' ? d : -1)) });
  return { name, versions: ['1'], platform: 'onnxruntime_onnx', inputs: inputs.map(io), outputs: outputs.map(io) };
}

/** A decoded infer request. */
export interface InferRequest {
  id?: string;
  /** Host tensors by input name (not yet checked against the model). */
  feeds: Record<string, HostTensor>;
  /** The outputs to answer with, in order (all when the request names none). */
  outputs: string[];
  /** Outputs to send as binary data (the binary tensor data extension). */
  binary: Set<string>;
}

type Json = Record<string, unknown>;

/**
 * Decodes an infer request body. `headerLength` is the
 * `Inference-Header-Content-Length` header (binary extension), if any.
 *
 * ```ts
 * const req = decodeInferRequest(Buffer.from('{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}'), undefined, model.outputs);
 * req.feeds.x.data; // Float32Array [1, 2]
 * ```
 */
export function decodeInferRequest(body: Buffer, headerLength: number | undefined, outputs: readonly IOInfo[]): InferRequest {
  if (headerLength !== undefined && (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.length)) {
    throw new HttpError(400, `Inference-Header-Content-Length ${headerLength} does not fit the ${body.length}-byte body`);
  }
  const jsonEnd = headerLength ?? body.length;
  let req: unknown;
  try {
    req = parseJson(body.toString('utf8', 0, jsonEnd));
  } catch (e) {
    throw new HttpError(400, `the request body is not valid JSON (${(e as Error).message})`);
  }
  if (!req || typeof req !== 'object' || Array.isArray(req)) throw new HttpError(400, 'the request must be a JSON object with "inputs"');
  const r = req as Json;
  const list = r['inputs'];
  if (!Array.isArray(list) || !list.length) throw new HttpError(400, 'the request needs "inputs": a non-empty list of {name, shape, datatype, data}');
  let binPos = jsonEnd;
  const feeds: Record<string, HostTensor> = Object.create(null) as Record<string, HostTensor>;
  for (const [i, x] of list.entries()) {
    if (!x || typeof x !== 'object') throw new HttpError(400, `inputs[${i}] is not an object`);
    const inp = x as Json;
    const name = inp['name'];
    if (typeof name !== 'string' || !name) throw new HttpError(400, `inputs[${i}] has no "name"`);
    if (feeds[name]) throw new HttpError(400, `input '${name}' is given twice`);
    const bad = (msg: string): HttpError => new HttpError(400, `input '${name}': ${msg}`);
    const dtype = FROM_KSERVE.get(inp['datatype'] as string);
    if (!dtype) throw bad(`unsupported "datatype" ${JSON.stringify(inp['datatype'])} (supported: ${[...FROM_KSERVE.keys()].join(', ')})`);
    const shape = inp['shape'];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`"shape" must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    const n = sizeOf(shape as number[]);
    const params = inp['parameters'] as Json | undefined;
    const binSize = params && typeof params === 'object' ? params['binary_data_size'] : undefined;
    let data: TypedArray;
    if (binSize !== undefined) {
      if (!Number.isInteger(binSize) || (binSize as number) < 0) throw bad(`"binary_data_size" must be a non-negative integer, got ${JSON.stringify(binSize)}`);
      const size = binSize as number;
      if (binPos + size > body.length) throw bad(`binary data of ${size} bytes runs past the end of the body`);
      if (size !== n * dtypeBytes(dtype)) throw bad(`${size} bytes of binary data for ${kserveType(dtype)} ${formatShape(shape as number[])} (${n * dtypeBytes(dtype)} needed)`);
      data = allocate(dtype, n);
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(body.subarray(binPos, binPos + size));
      binPos += size;
    } else {
      data = decodeData(inp['data'], dtype, n, (shape as number[]).length, bad);
    }
    feeds[name] = { dtype, shape: shape as number[], data };
  }
  if (binPos !== body.length && headerLength !== undefined) throw new HttpError(400, `${body.length - binPos} bytes of binary data are not claimed by any input`);

  const wanted = r['outputs'];
  let names = outputs.map((o) => o.name);
  const binary = new Set<string>();
  const params = r['parameters'] as Json | undefined;
  if (params && typeof params === 'object' && params['binary_data_output'] === true) for (const n of names) binary.add(n);
  if (wanted !== undefined) {
    if (!Array.isArray(wanted)) throw new HttpError(400, '"outputs" must be a list of {name}');
    names = wanted.map((w, i) => {
      const o = w as Json;
      const name = o && typeof o === 'object' ? o['name'] : undefined;
      if (typeof name !== 'string' || !outputs.some((x) => x.name === name)) {
        throw new HttpError(400, `outputs[${i}]: unknown output ${JSON.stringify(name)} (the model's outputs: ${outputs.map((x) => `'${x.name}'`).join(', ')})`);
      }
      const p = o['parameters'] as Json | undefined;
      if (p && typeof p === 'object' && p['binary_data'] !== undefined) {
        if (p['binary_data'] === true) binary.add(name);
        else binary.delete(name);
      }
      return name;
    });
  }
  const id = r['id'];
  return { id: typeof id === 'string' ? id : undefined, feeds, outputs: names, binary };
}

/**
 * Flattens JSON data (flat, or nested row-major no deeper than the shape's
 * rank) without recursion, so hostile nesting is a 400, not a stack overflow.
 */
export function flattenData(raw: unknown[], rank: number, bad: (m: string) => HttpError): unknown[] {
  if (!raw.some(Array.isArray)) return raw;
  const out: unknown[] = [];
  const stack: { list: unknown[]; i: number }[] = [{ list: raw, i: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.i === top.list.length) {
      stack.pop();
      continue;
    }
    const v = top.list[top.i++];
    if (!Array.isArray(v)) out.push(v);
    else if (stack.length >= Math.max(rank, 1)) throw bad(`"data" is nested deeper than the rank of "shape" (${rank})`);
    else stack.push({ list: v, i: 0 });
  }
  return out;
}

/** Flattens (possibly nested, row-major) JSON data into a typed array of `n` elements of `dtype`. */
function decodeData(raw: unknown, dtype: DType, n: number, rank: number, bad: (m: string) => HttpError): TypedArray {
  if (!Array.isArray(raw)) throw bad(`"data" must be a list of ${n} values (or use binary data), got ${raw === undefined ? 'nothing' : typeof raw}`);
  const flat = flattenData(raw, rank, bad);
  if (flat.length !== n) throw bad(`"data" holds ${flat.length} values but "shape" needs ${n}`);
  const out = allocate(dtype, n);
  if (dtype === 'bool') {
    for (let i = 0; i < n; i++) {
      const v = flat[i];
      if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw bad(`"data"[${i}] is ${JSON.stringify(v)}, not a boolean`);
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  const ints = dtype !== 'float32' && dtype !== 'float64' && dtype !== 'float16';
  for (let i = 0; i < n; i++) {
    const raw = flat[i];
    const marker = typeof raw === 'string' && raw.charCodeAt(0) === 0 ? NON_FINITE[JSON.stringify(raw)] : undefined;
    const v = marker ?? raw;
    if (typeof v !== 'number' || (ints && !Number.isInteger(v))) throw bad(`"data"[${i}] is ${typeof v === 'number' ? v : JSON.stringify(v)}, not ${ints ? 'an integer' : 'a number'}`);
    const problem = ints ? integerProblem(v, dtype) : '';
    if (problem) throw bad(`"data"[${i}] (${v}) ${problem}`);
    if (dtype === 'int64' || dtype === 'uint64') (out as BigInt64Array)[i] = BigInt(v);
    else if (dtype === 'float16') (out as Uint16Array)[i] = toHalf(v);
    else (out as Float32Array)[i] = v;
  }
  return out;
}

/** A JSON number, with the non-finite ones as the bare tokens Triton writes and Python's json reads (`NaN`, `Infinity`, `-Infinity`). */
function jsonNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** The JSON text of a tensor's elements (int64 and uint64 as exact integers, bool as booleans, float16 decoded, non-finite floats as NaN/Infinity). */
function jsonData(t: HostTensor): string {
  const d = t.data;
  const n = d.length;
  const out = new Array<string>(n);
  if (t.dtype === 'int64' || t.dtype === 'uint64') for (let i = 0; i < n; i++) out[i] = String((d as BigInt64Array)[i]);
  else if (t.dtype === 'bool') for (let i = 0; i < n; i++) out[i] = d[i] !== 0 ? 'true' : 'false';
  else if (t.dtype === 'float16') for (let i = 0; i < n; i++) out[i] = jsonNumber(fromHalf((d as Uint16Array)[i]!));
  else for (let i = 0; i < n; i++) out[i] = jsonNumber(d[i] as number);
  return `[${out.join(',')}]`;
}

/** Reads the bare `NaN`, `Infinity` and `-Infinity` outside strings (as Triton and Python's json do) by quoting them as markers that decodeData turns back into numbers. */
const NON_FINITE: Record<string, number> = { '"\\u0000NaN"': NaN, '"\\u0000Infinity"': Infinity, '"\\u0000-Infinity"': -Infinity };
function quoteNonFinite(text: string): string | null {
  let out = '';
  let last = 0;
  let inString = false;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 78 || c === 73 || c === 45) {
      const m = /^(?:NaN|-?Infinity)/.exec(text.slice(i, i + 9));
      if (!m) continue;
      out += `${text.slice(last, i)}"\\u0000${m[0]}"`;
      i += m[0].length - 1;
      last = i + 1;
      found = true;
    }
  }
  return found ? out + text.slice(last) : null;
}

/** JSON.parse, retried with NaN/Infinity tokens quoted as markers when plain JSON fails. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const quoted = quoteNonFinite(text);
    if (quoted === null) throw e;
    return JSON.parse(quoted);
  }
}

/**
 * Encodes an infer response: JSON, or a JSON header followed by binary
 * output data (with the `Inference-Header-Content-Length` header) when any
 * output is asked for as binary.
 *
 * ```ts
 * const { body, headers } = encodeInferResponse('mlp', req, outputs);
 * ```
 */
export function encodeInferResponse(model: string, req: InferRequest, results: Record<string, HostTensor>): { body: Buffer | string; headers: Record<string, string | number> } {
  const chunks: Buffer[] = [];
  const outputs = req.outputs.map((name) => {
    const t = results[name]!;
    const head = { name, datatype: kserveType(t.dtype), shape: t.shape };
    if (!req.binary.has(name)) return `${JSON.stringify(head).slice(0, -1)},"data":${jsonData(t)}}`;
    chunks.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    return JSON.stringify({ ...head, parameters: { binary_data_size: t.data.byteLength } });
  });
  const top = JSON.stringify(req.id === undefined ? { model_name: model, model_version: '1' } : { model_name: model, model_version: '1', id: req.id });
  const json = `${top.slice(0, -1)},"outputs":[${outputs.join(',')}]}`;
  if (!chunks.length) return { body: json, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) } };
  const head = Buffer.from(json);
  const body = Buffer.concat([head, ...chunks]);
  return { body, headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, 'Inference-Header-Content-Length': head.length } };
}
