/**
 * References for ONNX's narrow dtypes (runtime/narrow.ts), computed by python's
 * onnx and ml_dtypes, independent of gluonc:
 * - `narrowEncodings(f)`: every encoding of a format as onnx.numpy_helper.to_array
 *   decodes it from a TensorProto (the serialized tensor, raw packed data, is
 *   returned too, for the reader's test);
 * - `narrowRounding(f, ...)`: ONNX's reference Cast (onnx/reference/ops/op_cast.py
 *   `cast_to`) of float32 samples: every finite value of the format and its
 *   negative, the midpoints between neighbouring values (ties) and the float32
 *   numbers on either side of them, values past the largest finite one, 0, -0,
 *   ±inf and NaN (integer formats: -20..20 in quarter steps as well).
 * Numbers travel as JSON with 'nan', '-nan' (sign bit set), 'inf', '-inf' and '-0' spelled out.
 */
import { runPython } from './python-server.js';
import { NARROW, NARROW_FORMATS, type NarrowFormat } from '../../runtime/narrow.js';

const SCRIPT = String.raw`
import json, sys, math
import numpy as np, onnx, ml_dtypes
from onnx import helper, numpy_helper
from onnx.reference.ops.op_cast import cast_to
job = json.load(sys.stdin)
code, bits = job['code'], job['bits']
def enc(v):
    v = float(v)
    if math.isnan(v): return '-nan' if math.copysign(1, v) < 0 else 'nan'
    if math.isinf(v): return 'inf' if v > 0 else '-inf'
    if v == 0 and math.copysign(1, v) < 0: return '-0'
    return v
n = 2 ** bits
codes = list(range(n))
if bits == 16: raw = np.array(codes, np.uint16).tobytes()
elif bits == 8: raw = bytes(codes)
else:
    per = 8 // bits
    raw = bytes(sum(codes[i * per + k] << (k * bits) for k in range(per)) for i in range(n // per))
t = onnx.TensorProto(); t.name = 'all'; t.data_type = code; t.dims.extend([n]); t.raw_data = raw
vals = numpy_helper.to_array(t).astype(np.float64)
out = {'tensor': t.SerializeToString().hex(), 'values': [enc(v) for v in vals]}
if job.get('round'):
    fin = np.unique(np.abs(vals[np.isfinite(vals)]))
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan]
    for a, b in zip(fin[:-1], fin[1:]):
        m = np.float32((a + b) / 2)
        xs += [float(m), float(np.nextafter(m, np.float32(0))), float(np.nextafter(m, np.float32(np.inf)))]
    xs += [float(v) for v in fin]
    top = fin[-1]
    xs += [float(np.float32(top * f)) for f in (1.01, 1.0625, 1.1, 1.125, 1.2, 1.5, 2, 1000)]
    if code in (21, 22, 25, 26): xs += [q / 4 for q in range(-80, 81)]
    xs = np.array(xs + [-x for x in xs], np.float32)
    out['x'] = [enc(v) for v in xs.astype(np.float64)]
    out['y'] = {}
    for sat in (True, False):
        for mode in (['up', 'down', 'nearest'] if code == 24 else ['up']):
            y = cast_to(xs, code, sat, mode).astype(np.float64)
            out['y'][f'{sat}/{mode}'] = [enc(v) for v in y]
print(json.dumps(out))
`;

/** A number as the script spells it. */
export const fromJson = (v: number | string): number => (v === 'nan' || v === '-nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === '-0' ? -0 : (v as number));

/** Equality that tells -0 from 0 and takes NaN as equal to NaN. */
export const sameNumber = (a: number, b: number): boolean => Object.is(a, b);

/** What the script returns for a format. */
export interface NarrowRef {
  /** A serialized TensorProto holding every encoding in order (raw data, packed). */
  tensor: Uint8Array;
  /** The value of each encoding. */
  values: number[];
  /** Rounding samples (float32 values) and ONNX's Cast of them by `${saturate}/${roundMode}`. */
  x: number[];
  /** Which samples are a NaN with its sign bit set (a JS number does not carry a NaN's sign). */
  negNan: boolean[];
  y: Record<string, number[]>;
}

/** ONNX's and ml_dtypes' view of format `f` (see the module comment). */
export function narrowRef(f: NarrowFormat, round = true): NarrowRef {
  const r = runPython(SCRIPT, { input: JSON.stringify({ code: NARROW[f].onnx, bits: NARROW[f].bits, round }) });
  if (r.status !== 0) throw new Error(`python reference for ${f} failed: ${r.stderr}`);
  const o = JSON.parse(r.stdout) as { tensor: string; values: (number | string)[]; x?: (number | string)[]; y?: Record<string, (number | string)[]> };
  return {
    tensor: Uint8Array.from(Buffer.from(o.tensor, 'hex')),
    values: o.values.map(fromJson),
    x: (o.x ?? []).map(fromJson),
    negNan: (o.x ?? []).map((v) => v === '-nan'),
    y: Object.fromEntries(Object.entries(o.y ?? {}).map(([k, v]) => [k, v.map(fromJson)])),
  };
}

/** Every format. */
export const FORMATS: readonly NarrowFormat[] = NARROW_FORMATS;
