import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, gluon, init, random } from 'gluonc';
import { encodeSafetensors } from '../../../compiler/formats/params-file.js';
import { runPython } from '../../helpers/python-server.js';

type NDArray = nd.NDArray;
const { Dense } = gluon.nn;

/** Runs a python3 script with JSON on stdin and returns its stdout parsed as JSON. */
function python(script: string, input: unknown): any {
  const r = runPython(script, { input: JSON.stringify(input) });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout || 'null');
}

/** An independent safetensors reader (numpy), following the spec, not our code. */
const PY_READ_SAFETENSORS = String.raw`
import json, struct, sys
import numpy as np
p = json.load(sys.stdin)
b = open(p, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
data = b[8 + n:]
dt = {'F32': '<f4', 'F64': '<f8', 'F16': '<f2', 'I32': '<i4', 'I64': '<i8', 'I8': 'i1', 'U8': 'u1', 'BOOL': '?'}
out = {'__metadata__': h.get('__metadata__', {}), 'headerAligned': (8 + n) % 8 == 0}
for k, v in h.items():
    if k == '__metadata__':
        continue
    s, e = v['data_offsets']
    a = np.frombuffer(data[s:e], dtype=dt[v['dtype']]).reshape(v['shape'])
    out[k] = {'dtype': v['dtype'], 'shape': list(a.shape), 'data': a.astype(np.float64).reshape(-1).tolist()}
print(json.dumps(out))
`;

/** An independent safetensors writer (numpy): entries {name, dtype, shape, data}, data laid out in reverse order, header unpadded. */
const PY_WRITE_SAFETENSORS = String.raw`
import json, struct, sys
import numpy as np
job = json.load(sys.stdin)
dt = {'F32': '<f4', 'F64': '<f8', 'F16': '<f2', 'I32': '<i4', 'I64': '<i8', 'I8': 'i1', 'U8': 'u1', 'BOOL': '?'}
header, blobs, off = {}, b'', 0
for e in reversed(job['entries']):
    raw = np.array(e['data'], dtype=dt[e['dtype']]).reshape(e['shape']).tobytes()
    header[e['name']] = {'dtype': e['dtype'], 'shape': e['shape'], 'data_offsets': [off, off + len(raw)]}
    blobs += raw
    off += len(raw)
if job.get('metadata'):
    header['__metadata__'] = job['metadata']
hb = json.dumps(header).encode()
open(job['path'], 'wb').write(struct.pack('<Q', len(hb)) + hb + blobs)
`;

/**
 * An independent writer of MXNet's NDArray list format (mx.nd.save), after
 * MXNet's src/ndarray/ndarray.cc: uint64 0x112, uint64 0, uint64 count, arrays,
 * uint64 count, names (uint64 length + bytes). version 2: magic 0xF993FAC9
 * (3: 0xF993FACA), int32 stype, int32 ndim, int64 dims; version 1: magic 0xF993FAC8, int32 ndim,
 * int64 dims; version 0: uint32 ndim, uint32 dims. Then int32 dev_type, int32
 * dev_id, int32 type flag and the data.
 */
const PY_WRITE_MXNET = String.raw`
import json, struct, sys
import numpy as np
job = json.load(sys.stdin)
flags = {'float32': 0, 'float64': 1, 'float16': 2, 'uint8': 3, 'int32': 4, 'int8': 5, 'int64': 6, 'bool': 7}
def shape64(s):
    return struct.pack('<i', len(s)) + b''.join(struct.pack('<q', d) for d in s)
out = struct.pack('<QQQ', 0x112, 0, len(job['arrays']))
for e in job['arrays']:
    a = np.array(e['data'], dtype=e['dtype']).reshape(e['shape'])
    v = e.get('version', 2)
    if v in (2, 3):
        out += struct.pack('<I', 0xF993FAC9 if v == 2 else 0xF993FACA) + struct.pack('<i', e.get('stype', 0)) + shape64(a.shape)
    elif v == 1:
        out += struct.pack('<I', 0xF993FAC8) + shape64(a.shape)
    else:
        out += struct.pack('<I', a.ndim) + b''.join(struct.pack('<I', d) for d in a.shape)
    out += struct.pack('<ii', 2, 0)  # gpu(0): the reader ignores the device
    out += struct.pack('<i', e['flag'] if 'flag' in e else flags[e['dtype']]) + a.astype(a.dtype.newbyteorder('<')).tobytes()
names = job.get('names') or []
out += struct.pack('<Q', len(names))
for n in names:
    b = n.encode()
    out += struct.pack('<Q', len(b)) + b
open(job['path'], 'wb').write(out)
`;

/** One array per dtype, with values each dtype holds exactly. */
function arraysOfEveryDType(): Record<string, NDArray> {
  return {
    f32: nd.array([[1.5, -2.25, 3e-8], [4, 5, 1e30]], { dtype: 'float32' }),
    f64: nd.array([Math.PI, -1e-300, 1e300], { dtype: 'float64' }),
    f16: nd.array([[0.5, -1.25], [65504, 2 ** -24]], { dtype: 'float16' }),
    i32: nd.array([2147483647, -2147483648, 7], { dtype: 'int32' }),
    i64: nd.array([1, -2, 3, 2 ** 40], { dtype: 'int64' }),
    i8: nd.array([127, -128, 0], { dtype: 'int8' }),
    u8: nd.array([0, 255, 9], { dtype: 'uint8' }),
    bool: nd.array([true, false, true], { dtype: 'bool' }),
    scalar: nd.array(7, { dtype: 'float32' }),
    empty: nd.zeros([0, 3], { dtype: 'float32' }),
  };
}

const CODES: Record<string, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16', int32: 'I32', int64: 'I64', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};

/** The values as plain numbers (float16 decoded, int64 and bool as numbers). */
function flat(a: NDArray): number[] {
  const v = a.toArray();
  return Array.isArray(v) ? ((v as unknown[]).flat(Infinity as 1) as unknown[]).map(Number) : [Number(v)];
}

function assertSameArray(got: NDArray, want: NDArray, what: string): void {
  assert.equal(got.dtype, want.dtype, `${what} dtype`);
  assert.deepEqual(got.shape, want.shape, `${what} shape`);
  assert.deepEqual(got.data(), want.data(), `${what} data`);
}

/** The seed's layer with a Constant, non-differentiable parameter. */
class ScaledLayer extends gluon.HybridBlock {
  weights: gluon.Parameter;
  scales: gluon.Parameter;
  constructor(hiddenUnits: number, scales: NDArray) {
    super();
    this.weights = this.params.get('weights', { shape: [hiddenUnits, 0], allowDeferredInit: true });
    this.scales = this.params.get('scales', {
      shape: scales.shape, init: new init.Constant(scales.toArray() as number[]), differentiable: false });
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { weights: gluon.Tensor; scales: gluon.Tensor }) {
    const normalized = F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
    const weighted = F.FullyConnected(normalized, p.weights, { numHidden: this.weights.shape[0]!, noBias: true });
    return F.broadcastMul(p.scales, weighted);
  }
}

function mlp(): gluon.HybridBlock {
  const net = new gluon.nn.HybridSequential();
  net.add(new Dense(8, { activation: 'relu' }), new Dense(4, { activation: 'tanh' }), new Dense(2));
  return net;
}

describe('parameter files', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-params-'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string): string => path.join(dir, name);

  describe('safetensors format', () => {
    it('nd.save / nd.load round-trip a dict of every dtype bit for bit', () => {
      const arrays = arraysOfEveryDType();
      nd.save(file('all.safetensors'), arrays);
      const back = nd.load(file('all.safetensors')) as Record<string, NDArray>;
      assert.ok(!Array.isArray(back));
      assert.deepEqual(Object.keys(back).sort(), Object.keys(arrays).sort());
      for (const [k, a] of Object.entries(arrays)) assertSameArray(back[k]!, a, k);
    });

    it('nd.save / nd.load round-trip a list and a single array', () => {
      const list = [nd.array([1, 2, 3]), nd.array([[4]], { dtype: 'int64' }), nd.array([true], { dtype: 'bool' })];
      nd.save(file('list.safetensors'), list);
      const back = nd.load(file('list.safetensors')) as NDArray[];
      assert.ok(Array.isArray(back));
      assert.equal(back.length, 3);
      list.forEach((a, i) => assertSameArray(back[i]!, a, `list[${i}]`));
      nd.save(file('one.safetensors'), nd.array([9, 8]));
      const one = nd.load(file('one.safetensors')) as NDArray[];
      assert.equal(one.length, 1);
      assert.deepEqual(one[0]!.toArray(), [9, 8]);
    });

    it('writes files an independent safetensors reader (numpy) parses', () => {
      const arrays = arraysOfEveryDType();
      nd.save(file('py.safetensors'), arrays);
      const got = python(PY_READ_SAFETENSORS, file('py.safetensors'));
      assert.equal(got.headerAligned, true, 'data starts on an 8-byte boundary');
      assert.equal(got.__metadata__.format, 'gluonc');
      for (const [k, a] of Object.entries(arrays)) {
        assert.equal(got[k].dtype, CODES[a.dtype], k);
        assert.deepEqual(got[k].shape, a.shape, k);
        assert.deepEqual(got[k].data, flat(a), k);
      }
    });

    it('reads files written by an independent writer (numpy), in any data order', () => {
      const entries = [
        { name: 'a', dtype: 'F32', shape: [2, 2], data: [1, 2, 3, 4.5] },
        { name: 'b', dtype: 'I64', shape: [3], data: [-1, 0, 2 ** 40] },
        { name: 'c', dtype: 'F16', shape: [2], data: [0.5, -3] },
        { name: 'd', dtype: 'BOOL', shape: [2], data: [1, 0] },
        { name: 'e', dtype: 'F64', shape: [], data: [0.1] },
      ];
      python(PY_WRITE_SAFETENSORS, { path: file('numpy.safetensors'), entries, metadata: { format: 'pt' } });
      const back = nd.load(file('numpy.safetensors')) as Record<string, NDArray>;
      for (const e of entries) {
        const a = back[e.name]!;
        assert.equal(CODES[a.dtype], e.dtype, e.name);
        assert.deepEqual(a.shape, e.shape, e.name);
        assert.deepEqual(flat(a), e.data, e.name);
      }
    });

    it('names the file and the problem for corrupt files', () => {
      const good = file('good.safetensors');
      nd.save(good, { w: nd.array([1, 2, 3, 4]), v: nd.array([5, 6]) });
      const bytes = fs.readFileSync(good);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
      const write = (name: string, hdr: unknown, data: Buffer, lenOverride?: bigint): string => {
        const hb = Buffer.from(JSON.stringify(hdr));
        const len = Buffer.alloc(8);
        len.writeBigUInt64LE(lenOverride ?? BigInt(hb.length));
        fs.writeFileSync(file(name), Buffer.concat([len, hb, data]));
        return file(name);
      };
      const data = bytes.subarray(8 + n);
      const load = (p: string) => () => nd.load(p);
      const esc = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

      // Truncated: the header length points past the end of the file.
      const trunc = file('trunc.safetensors');
      fs.writeFileSync(trunc, bytes.subarray(0, 8 + n - 5));
      assert.throws(load(trunc), new RegExp(`${esc(trunc)}.*header length ${n} is beyond the end of the file`));
      const huge = write('huge.safetensors', header, data, 1n << 40n);
      assert.throws(load(huge), /header length 1099511627776 is beyond the end of the file/);
      // Data cut short: offsets beyond the data.
      const short = file('short.safetensors');
      fs.writeFileSync(short, bytes.subarray(0, bytes.length - 4));
      assert.throws(load(short), new RegExp(`${esc(short)}.*data_offsets .* out of range`));
      // Too short for a header length at all.
      fs.writeFileSync(file('tiny.safetensors'), Buffer.from([1, 2, 3]));
      assert.throws(load(file('tiny.safetensors')), /tiny\.safetensors.*3 bytes, too short/);
      // Bad JSON.
      const hb = Buffer.from('{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]');
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(hb.length));
      fs.writeFileSync(file('json.safetensors'), Buffer.concat([len, hb, Buffer.alloc(16)]));
      assert.throws(load(file('json.safetensors')), /json\.safetensors: not a valid safetensors file: the header is not valid JSON/);
      // Offsets out of range.
      const oor = write('oor.safetensors', { ...header, w: { ...header.w, data_offsets: [8, 24 + 8] } }, data);
      assert.throws(load(oor), /oor\.safetensors.*tensor 'w' has data_offsets \[8, 32\] out of range/);
      // Overlapping offsets.
      const over = write('over.safetensors', {
        w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        v: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
      }, Buffer.alloc(16));
      assert.throws(load(over), /over\.safetensors.*overlapping another tensor/);
      // Offsets that disagree with shape and dtype.
      const size = write('size.safetensors', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, Buffer.alloc(16));
      assert.throws(load(size), /size\.safetensors.*tensor 'w' of shape \[3\] and dtype F32 needs 12 bytes/);
      // A dtype gluonc does not read.
      const bf = write('bf16.safetensors', { w: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(4));
      assert.throws(load(bf), /bf16\.safetensors.*tensor 'w' has dtype "BF16"/);
      // Bytes that belong to no tensor.
      const gap = write('gap.safetensors', { w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, Buffer.alloc(8));
      assert.throws(load(gap), /gap\.safetensors.*bytes 0\.\.4 of the data belong to no tensor/);
      // Neither format.
      fs.writeFileSync(file('junk.bin'), Buffer.alloc(32, 7));
      assert.throws(load(file('junk.bin')), /junk\.bin: neither a safetensors file .* nor an MXNet \.params file/);
      assert.throws(load(file('no-such-file.safetensors')), /cannot read '.*no-such-file\.safetensors'/);
    });

    it('writes atomically: a failed write leaves the old file intact and no temporary file', () => {
      const p = file('atomic.safetensors');
      nd.save(p, { w: nd.array([1, 2, 3]) });
      const before = fs.readFileSync(p);
      const listing = fs.readdirSync(dir).sort();
      for (const fn of ['renameSync', 'writeSync', 'fsyncSync'] as const) {
        const orig = fs[fn];
        (fs as any)[fn] = () => {
          throw new Error(`simulated ${fn} failure`);
        };
        try {
          assert.throws(() => nd.save(p, { w: nd.array([9, 9, 9, 9]) }), new RegExp(`cannot write '.*atomic\\.safetensors': simulated ${fn} failure`));
        } finally {
          (fs as any)[fn] = orig;
        }
        assert.deepEqual(fs.readFileSync(p), before, `old file intact after a ${fn} failure`);
        assert.deepEqual(fs.readdirSync(dir).sort(), listing, `no temporary file left after a ${fn} failure`);
      }
      // A folder that does not exist: an error naming the file.
      assert.throws(() => nd.save(path.join(dir, 'missing', 'x.safetensors'), [nd.array([1])]), /cannot write '.*missing.*x\.safetensors'/);
      // And a successful write replaces the file.
      nd.save(p, { w: nd.array([4, 5]) });
      assert.deepEqual((nd.load(p) as Record<string, NDArray>).w!.toArray(), [4, 5]);
    });
  });

  describe('saveParameters / loadParameters', () => {
    it('save -> load into a fresh (deferred) block gives identical outputs, eager and hybridized', () => {
      random.seed(3);
      const net = mlp();
      net.initialize(new init.Xavier({ magnitude: 2.24 }));
      const x = nd.random.uniform(-1, 1, [5, 3]);
      const y = net.call(x) as NDArray;
      const p = file('mlp.safetensors');
      net.saveParameters(p);

      const fresh = mlp();
      fresh.initialize();
      assert.ok(fresh.collectParams().get('0.weight').deferred, 'shape unknown before the load');
      fresh.loadParameters(p);
      const w = fresh.collectParams().get('0.weight');
      assert.deepEqual(w.shape, [8, 3]);
      assert.ok(w.initialized && !w.deferred);
      assertSameArray(fresh.call(x) as NDArray, y, 'eager output');

      // Compiled results may differ from eager ones in the last bits: compare compiled with compiled.
      net.hybridize();
      const yh = net.call(x) as NDArray;
      const hyb = mlp();
      hyb.hybridize();
      hyb.loadParameters(p); // never initialized: the load creates the data
      assertSameArray(hyb.call(x) as NDArray, yh, 'hybridized output');

      // A plain Sequential with a known input size, loaded over existing values.
      const seq = new gluon.nn.Sequential();
      seq.add(new Dense(8, { activation: 'relu', inUnits: 3 }), new Dense(4, { activation: 'tanh', inUnits: 8 }), new Dense(2, { inUnits: 4 }));
      seq.initialize(new init.Uniform());
      assert.notDeepEqual((seq.call(x) as NDArray).data(), y.data());
      seq.loadParameters(p);
      assertSameArray(seq.call(x) as NDArray, y, 'Sequential output');
    });

    it('keys are the structural names, with gluonc metadata', () => {
      random.seed(4);
      const net = mlp();
      net.initialize();
      net.call(nd.ones([1, 3]));
      net.saveParameters(file('keys.safetensors'));
      const got = python(PY_READ_SAFETENSORS, file('keys.safetensors'));
      const keys = Object.keys(got).filter((k) => k !== '__metadata__' && k !== 'headerAligned').sort();
      assert.deepEqual(keys, ['0.bias', '0.weight', '1.bias', '1.weight', '2.bias', '2.weight']);
      assert.equal(got.__metadata__.format, 'gluonc');
      assert.deepEqual(got['0.weight'].data, flat(net.collectParams().get('0.weight').data()));
    });

    it('Constant parameters (the seed ScaledLayer scales) survive save/load', () => {
      random.seed(5);
      const net = new gluon.nn.HybridSequential();
      net.add(new Dense(5), new ScaledLayer(5, nd.array([2])), new Dense(1));
      net.initialize(new init.Xavier({ magnitude: 2.24 }));
      net.hybridize();
      const x = nd.random.uniform(-10, 10, [5, 2]);
      const y = net.call(x) as NDArray;
      net.saveParameters(file('scaled.safetensors'));

      const fresh = new gluon.nn.HybridSequential();
      fresh.add(new Dense(5), new ScaledLayer(5, nd.array([7])), new Dense(1));
      fresh.loadParameters(file('scaled.safetensors'));
      const scales = fresh.collectParams().get('1.scales');
      assert.deepEqual(scales.data().toArray(), [2]);
      assert.equal(scales.gradReq, 'null');
      assert.deepEqual(fresh.collectParams().get('1.weights').shape, [5, 5]);
      fresh.hybridize();
      assertSameArray(fresh.call(x) as NDArray, y, 'ScaledLayer net output');
    });

    it('every mismatch is an error naming the parameter and the file; a failed load changes nothing', () => {
      random.seed(6);
      const src = new gluon.nn.HybridSequential();
      src.add(new Dense(4, { inUnits: 3 }), new Dense(2, { inUnits: 4 }));
      src.initialize();
      const p = file('src.safetensors');
      src.saveParameters(p);

      // Missing: the target has a third layer.
      const bigger = new gluon.nn.HybridSequential();
      bigger.add(new Dense(4, { inUnits: 3 }), new Dense(2, { inUnits: 4 }), new Dense(1, { inUnits: 2 }));
      bigger.initialize();
      const w2 = bigger.collectParams().get('2.weight').data();
      const w0 = bigger.collectParams().get('0.weight').data();
      assert.throws(() => bigger.loadParameters(p), /Parameter '2\.weight' is missing in file '.*src\.safetensors'/);
      assert.equal(bigger.collectParams().get('0.weight').data(), w0, 'a failed load assigns nothing');
      bigger.loadParameters(p, { allowMissing: true });
      assert.equal(bigger.collectParams().get('2.weight').data(), w2, 'missing parameters keep their values');
      assertSameArray(bigger.collectParams().get('0.weight').data(), src.collectParams().get('0.weight').data(), '0.weight');

      // Extra: the target has only the first layer.
      const smaller = new gluon.nn.HybridSequential();
      smaller.add(new Dense(4, { inUnits: 3 }));
      smaller.initialize();
      assert.throws(() => smaller.loadParameters(p), /Parameter '1\.(weight|bias)' in file '.*src\.safetensors' is not in the block/);
      smaller.loadParameters(p, { ignoreExtra: true });
      assertSameArray(smaller.collectParams().get('0.bias').data(), src.collectParams().get('0.bias').data(), '0.bias');

      // Wrong shape: both shapes named.
      const wide = new gluon.nn.HybridSequential();
      wide.add(new Dense(4, { inUnits: 5 }), new Dense(2, { inUnits: 4 }));
      assert.throws(() => wide.loadParameters(p), /Parameter '0\.weight' has shape \[4, 5\] but file '.*src\.safetensors' holds shape \[4, 3\]/);
      const deferredWrong = new gluon.nn.HybridSequential();
      deferredWrong.add(new Dense(6), new Dense(2));
      assert.throws(() => deferredWrong.loadParameters(p), /Parameter '0\.weight' has shape \[6, 0\] but file .* holds shape \[4, 3\]/);

      // Wrong dtype, and the cast option.
      const f64 = new gluon.nn.HybridSequential();
      f64.add(new Dense(4, { inUnits: 3, dtype: 'float64' }), new Dense(2, { inUnits: 4, dtype: 'float64' }));
      assert.throws(() => f64.loadParameters(p), /Parameter '0\.weight' has dtype float64 but file '.*src\.safetensors' holds dtype float32/);
      f64.loadParameters(p, { cast: true });
      const cw = f64.collectParams().get('0.weight').data();
      assert.equal(cw.dtype, 'float64');
      assert.deepEqual(flat(cw), flat(src.collectParams().get('0.weight').data()));

      // Saving an uninitialized (deferred) block names the parameter and the file.
      const un = mlp();
      un.initialize();
      assert.throws(() => un.saveParameters(file('un.safetensors')), /cannot save parameters to '.*un\.safetensors': Parameter '0\.weight' has not been initialized/);
      assert.ok(!fs.existsSync(file('un.safetensors')));
    });

    it('takes MXNet\'s load_parameters options (castDtype, dtypeSource) and refuses unknown ones by name', () => {
      random.seed(8);
      const src = new gluon.nn.HybridSequential();
      src.add(new Dense(2, { inUnits: 3 }));
      src.initialize();
      const p = file('opts.safetensors');
      src.saveParameters(p);
      const f64 = () => {
        const n = new gluon.nn.HybridSequential();
        n.add(new Dense(2, { inUnits: 3, dtype: 'float64' }));
        return n;
      };
      // MXNet's cast_dtype: the saved float32 values become the parameter's float64 (dtype_source 'current', the default).
      const current = f64();
      current.loadParameters(p, { castDtype: true });
      assert.equal(current.collectParams().get('0.weight').dtype, 'float64');
      assert.deepEqual(flat(current.collectParams().get('0.weight').data()), flat(src.collectParams().get('0.weight').data()));
      // dtype_source 'saved': the parameter takes the file's dtype.
      const saved = f64();
      saved.loadParameters(p, { castDtype: true, dtypeSource: 'saved' });
      assert.equal(saved.collectParams().get('0.weight').dtype, 'float32');
      assert.equal(saved.collectParams().get('0.weight').data().dtype, 'float32');
      assert.deepEqual(flat(saved.collectParams().get('0.bias').data()), flat(src.collectParams().get('0.bias').data()));
      // An option gluonc does not take (a snake_case name, a typo) is an error, not ignored.
      assert.throws(() => f64().loadParameters(p, { cast_dtype: true } as never), /loadParameters\('.*opts\.safetensors'\): unknown option 'cast_dtype' \(valid: allowMissing, ignoreExtra, cast, castDtype, dtypeSource\)/);
      assert.throws(() => f64().loadParameters(p, { allowMising: true } as never), /unknown option 'allowMising'/);
      assert.throws(() => f64().loadParameters(p, { castDtype: true, dtypeSource: 'file' } as never), /dtypeSource must be 'current' or 'saved', got 'file'/);
      assert.throws(() => f64().collectParams().load(p, { ignore_extra: true } as never), /unknown option 'ignore_extra'/);
    });

    it('ParameterDict.save / load', () => {
      random.seed(7);
      const net = mlp();
      net.initialize();
      net.call(nd.ones([2, 3]));
      const params = net.collectParams('.*weight');
      params.save(file('dict.safetensors'));
      const fresh = mlp();
      const target = fresh.collectParams('.*weight');
      target.load(file('dict.safetensors'));
      for (const [k, v] of params.entries()) assertSameArray(target.get(k).data(), v.data(), k);
      assert.throws(() => fresh.collectParams().load(file('dict.safetensors')), /Parameter '0\.bias' is missing in file/);
    });

    it('round-trips every layer with parameters in gluon.nn and gluon.rnn', function () {
      const nn = gluon.nn as Record<string, any>;
      const rnn = (gluon as Record<string, any>).rnn as Record<string, any> | undefined;
      const cases: [string, () => gluon.Block, NDArray][] = [];
      const add = (name: string, make: () => gluon.Block, x: () => NDArray, available: boolean) => {
        if (available) cases.push([name, make, x()]);
      };
      random.seed(8);
      add('Dense', () => new nn.Dense(3), () => nd.random.uniform(-1, 1, [2, 4]), !!nn.Dense);
      add('Conv1D', () => new nn.Conv1D(2, 3), () => nd.random.uniform(-1, 1, [1, 2, 6]), !!nn.Conv1D);
      add('Conv2D', () => new nn.Conv2D(2, 3), () => nd.random.uniform(-1, 1, [1, 2, 5, 5]), !!nn.Conv2D);
      add('Conv2DTranspose', () => new nn.Conv2DTranspose(2, 3), () => nd.random.uniform(-1, 1, [1, 2, 4, 4]), !!nn.Conv2DTranspose);
      add('BatchNorm', () => new nn.BatchNorm(), () => nd.random.uniform(-1, 1, [2, 3, 2]), !!nn.BatchNorm);
      add('LayerNorm', () => new nn.LayerNorm(), () => nd.random.uniform(-1, 1, [2, 5]), !!nn.LayerNorm);
      add('Embedding', () => new nn.Embedding(10, 4), () => nd.array([[1, 2], [3, 9]]), !!nn.Embedding);
      add('PReLU', () => new nn.PReLU(), () => nd.random.uniform(-1, 1, [2, 5]), !!nn.PReLU);
      add('RNN', () => new rnn!.RNN(4), () => nd.random.uniform(-1, 1, [3, 2, 5]), !!rnn?.RNN);
      add('LSTM', () => new rnn!.LSTM(4), () => nd.random.uniform(-1, 1, [3, 2, 5]), !!rnn?.LSTM);
      add('GRU', () => new rnn!.GRU(4), () => nd.random.uniform(-1, 1, [3, 2, 5]), !!rnn?.GRU);
      for (const [name, make, x] of cases) {
        const a = make();
        a.initialize(new init.Uniform(0.5));
        a.call(x); // solves deferred shapes
        // Non-default values everywhere (BatchNorm's running statistics too).
        for (const [, p] of a.collectParams().entries()) {
          const d = p.data();
          if (d.dtype === 'float32') p.setData(nd.random.uniform(0.1, 1, d.shape));
        }
        const want = a.call(x);
        const f = file(`layer-${name}.safetensors`);
        a.saveParameters(f);
        const b = make();
        b.loadParameters(f);
        const got = b.call(x);
        const outs = (v: unknown): NDArray[] => (Array.isArray(v) ? (v as unknown[]).flat(Infinity as 1) : [v]) as NDArray[];
        outs(want).forEach((w, i) => assertSameArray(outs(got)[i]!, w, `${name} output ${i}`));
      }
      assert.ok(cases.length >= 1);
    });
  });

  describe('MXNet .params files', () => {
    it('reads every dtype from v2, v1 and legacy arrays, names with arg:/aux: prefixes', () => {
      const arrays = [
        { dtype: 'float32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6.5], version: 2 },
        { dtype: 'float64', shape: [2], data: [Math.E, -1e300], version: 2 },
        { dtype: 'float16', shape: [2], data: [0.5, -2], version: 1 },
        { dtype: 'uint8', shape: [3], data: [0, 200, 255], version: 0 },
        { dtype: 'int32', shape: [1, 2], data: [-5, 2147483647], version: 2 },
        { dtype: 'int8', shape: [2], data: [-128, 127], version: 2 },
        { dtype: 'int64', shape: [2], data: [-3, 2 ** 40], version: 2 },
        { dtype: 'bool', shape: [2], data: [1, 0], version: 2 },
        { dtype: 'float32', shape: [], data: [42], version: 3 }, // numpy shape semantics: ndim 0 is a scalar
      ];
      const names = arrays.map((a, i) => (i % 2 ? `aux:x${i}` : `arg:x${i}`));
      python(PY_WRITE_MXNET, { path: file('all.params'), arrays, names });
      const back = nd.load(file('all.params')) as Record<string, NDArray>;
      assert.deepEqual(Object.keys(back), names);
      arrays.forEach((a, i) => {
        const got = back[names[i]!]!;
        assert.equal(got.dtype, a.dtype, names[i]);
        assert.deepEqual(got.shape, a.shape, names[i]);
        assert.deepEqual(flat(got), a.data, names[i]);
      });
      // Saved from a list: no names.
      python(PY_WRITE_MXNET, { path: file('list.params'), arrays: arrays.slice(0, 2) });
      const list = nd.load(file('list.params')) as NDArray[];
      assert.ok(Array.isArray(list));
      assert.deepEqual(list[0]!.toArray(), [[1, 2, 3], [4, 5, 6.5]]);
    });

    it('loadParameters accepts a .params file, matching names after stripping arg:/aux:', () => {
      random.seed(9);
      const net = mlp();
      net.initialize();
      const x = nd.random.uniform(-1, 1, [4, 3]);
      const y = net.call(x) as NDArray;
      const entries = net.collectParams().entries();
      const arrays = entries.map(([, p]) => ({ dtype: 'float32', shape: p.shape, data: flat(p.data()) }));
      const names = entries.map(([k], i) => (i === 0 ? `arg:${k}` : i === 1 ? `aux:${k}` : k));
      python(PY_WRITE_MXNET, { path: file('mlp.params'), arrays, names });
      const fresh = mlp();
      fresh.loadParameters(file('mlp.params'));
      const got = fresh.call(x) as NDArray;
      // float32 values went through JSON and numpy as float64 and back: exact.
      assertSameArray(got, y, 'output');

      python(PY_WRITE_MXNET, { path: file('noname.params'), arrays });
      assert.throws(() => mlp().loadParameters(file('noname.params')), /noname\.params: the MXNet file holds 6 arrays without names/);
      // An empty file (MXNet's {} and a parameterless block's export: 0 arrays, 0 names) is an empty dict: the missing parameters are named.
      python(PY_WRITE_MXNET, { path: file('empty.params'), arrays: [] });
      assert.throws(() => mlp().loadParameters(file('empty.params')), (e: Error) => !/without names/.test(e.message) && /empty\.params/.test(e.message) && /weight|bias/.test(e.message));
      // Names that match no parameter (MXNet's global names) are placed by structural order.
      python(PY_WRITE_MXNET, { path: file('legacy-names.params'), arrays, names: entries.map(([k]) => `arg:dense_${k}`) });
      const byOrder = mlp();
      byOrder.loadParameters(file('legacy-names.params'));
      assertSameArray(byOrder.call(x) as NDArray, y, 'output after loading by structural order');
      // ...and a file with one entry fewer says which parameter it could not place.
      python(PY_WRITE_MXNET, { path: file('short.params'), arrays: arrays.slice(0, 5), names: entries.slice(0, 5).map(([k]) => `arg:dense_${k}`) });
      assert.throws(() => mlp().loadParameters(file('short.params')), /Parameter '2\.bias' could not be placed: its name is not in file '.*short\.params' and, matching by structural order, the file has no entry left for it/);
      // A safetensors file is matched by name only.
      const st = file('renamed.safetensors');
      fs.writeFileSync(st, encodeSafetensors(entries.map(([k, p]) => [`x_${k}`, p.data()._host])));
      assert.throws(() => mlp().loadParameters(st), /Parameter '0\.weight' is missing in file '.*renamed\.safetensors'/);
    });

    it('names the file and the problem for malformed .params files', () => {
      const arrays = [{ dtype: 'float32', shape: [2, 2], data: [1, 2, 3, 4] }];
      python(PY_WRITE_MXNET, { path: file('ok.params'), arrays, names: ['arg:w'] });
      const bytes = fs.readFileSync(file('ok.params'));
      fs.writeFileSync(file('cut.params'), bytes.subarray(0, bytes.length - 12));
      assert.throws(() => nd.load(file('cut.params')), /cut\.params: not a valid MXNet \.params file: truncated/);
      fs.writeFileSync(file('cut2.params'), bytes.subarray(0, 40));
      assert.throws(() => nd.load(file('cut2.params')), /cut2\.params: .*truncated.*array 0/);
      python(PY_WRITE_MXNET, { path: file('sparse.params'), arrays: [{ ...arrays[0], stype: 1 }], names: ['w'] });
      assert.throws(() => nd.load(file('sparse.params')), /sparse\.params: .*storage type row_sparse is not supported/);
      python(PY_WRITE_MXNET, { path: file('bf16.params'), arrays: [{ dtype: 'uint16', shape: [2], data: [1, 2], flag: 12 }], names: ['w'] });
      assert.throws(() => nd.load(file('bf16.params')), /bf16\.params: .*type flag 12 \(bfloat16\) is not a dtype gluonc supports/);
      python(PY_WRITE_MXNET, { path: file('names.params'), arrays, names: ['a', 'b'] });
      assert.throws(() => nd.load(file('names.params')), /names\.params: .*2 names for 1 arrays/);
      fs.writeFileSync(file('trail.params'), Buffer.concat([bytes, Buffer.alloc(3)]));
      assert.throws(() => nd.load(file('trail.params')), /trail\.params: .*3 trailing bytes/);
    });
  });
});
