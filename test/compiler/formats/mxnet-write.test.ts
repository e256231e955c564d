/**
 * Writing MXNet's files: `nd.save` (MXNet's NDArray list, as `mx.nd.save`
 * writes it), `saveParameters(file, { format: 'mxnet' | 'npz' })` (what
 * Gluon's `save_parameters` writes in MXNet 1.x / 2.x) and MXNet 2's
 * `npx.save` / `npx.savez` / `npx.load`.
 *
 * The references are independent of gluonc's reader: an NDArray-list reader
 * in python written from MXNet's C++ source (src/ndarray/ndarray.cc
 * `NDArray::Save` and the list `NDArray::Save(fo, data, names)`, dmlc's
 * vector serializer, `TShape::Save`, `Context::Save`, mshadow's type flags),
 * byte-exact samples built with python's struct from that layout, and numpy's
 * own `np.load` for `.npy`/`.npz`. MXNet itself is not installable here (no
 * package index serves it), so no test runs `mx.nd.load`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, npx, gluon, init, random } from 'gluonc';
import { encodeMxnetParams } from '../../../compiler/formats/mxnet-params.js';
import { encodeNpz } from '../../../compiler/formats/npz.js';
import { PY_READ_MXNET, python } from '../../helpers/mxnet-python.js';

type NDArray = nd.NDArray;
const { Dense } = gluon.nn;

/** numpy's np.load of an .npy file or an .npz archive: names (archive order), dtypes, shapes, values. */
const PY_NP_LOAD = String.raw`
r = np.load(job)
items = list(r.items()) if hasattr(r, 'files') else [(None, r)]
print(json.dumps([{'name': k, 'dtype': str(a.dtype), 'shape': list(a.shape), 'data': a.astype(np.float64).ravel().tolist()} for k, a in items]))
`;

/** MXNet's type flag of each dtype (mshadow/base.h). */
const FLAGS: Record<string, number> = { float32: 0, float64: 1, float16: 2, uint8: 3, int32: 4, int8: 5, int64: 6, bool: 7, int16: 8, uint16: 9, uint32: 10, uint64: 11 };

/** The values as plain numbers (float16 decoded, int64 and bool as numbers). */
const flat = (a: NDArray): number[] => Array.from((a.dtype === 'float16' ? a.astype('float32') : a).data() as ArrayLike<number | bigint>, Number);

/** Arrays at the edges: every dtype, extreme values, an empty array, a unicode name. */
function edgeArrays(): Record<string, NDArray> {
  return {
    f32: nd.array([[1.5, -2.25, 3e-8], [4, 5, 1e30]], { dtype: 'float32' }),
    f64: nd.array([Math.PI, -1e-300, 1e300], { dtype: 'float64' }),
    f16: nd.array([[0.5, -1.25], [65504, 2 ** -24]], { dtype: 'float16' }),
    u8: nd.array([0, 255, 9], { dtype: 'uint8' }),
    i32: nd.array([2147483647, -2147483648, 7], { dtype: 'int32' }),
    i8: nd.array([127, -128, 0], { dtype: 'int8' }),
    i64: nd.array([1, -2, 3, 2 ** 40], { dtype: 'int64' }),
    i16: nd.array([32767, -32768, 5], { dtype: 'int16' }),
    u16: nd.array([65535, 0, 5], { dtype: 'uint16' }),
    u32: nd.array([4294967295, 0, 5], { dtype: 'uint32' }),
    u64: nd.array([2 ** 53, 0, 5], { dtype: 'uint64' }),
    bool: nd.array([true, false, true], { dtype: 'bool' }),
    empty: nd.zeros([0, 3], { dtype: 'float32' }),
    'ünï€.0.weight': nd.array([[7]], { dtype: 'float32' }),
  };
}

function mlp(): gluon.HybridBlock {
  const net = new gluon.nn.HybridSequential();
  net.add(new Dense(8, { activation: 'relu' }), new Dense(4, { activation: 'tanh' }), new Dense(2));
  return net;
}

function assertSameArray(got: NDArray, want: NDArray, what: string): void {
  assert.equal(got.dtype, want.dtype, `${what} dtype`);
  assert.deepEqual(got.shape, want.shape, `${what} shape`);
  assert.deepEqual(got.data(), want.data(), `${what} data`);
}

describe('writing MXNet files', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-mxwrite-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('nd.save (mx.nd.save\'s NDArray list)', () => {
    it('writes a fixed sample byte for byte as MXNet\'s layout gives it', () => {
      nd.save(file('w.params'), { w: nd.array([[1.5], [-2]]) });
      const want = python(String.raw`
exp = struct.pack('<QQQ', 0x112, 0, 1)                       # list magic, reserved, 1 array
exp += struct.pack('<Iii', 0xF993FAC9, 0, 2) + struct.pack('<qq', 2, 1)   # V2 magic, dense, ndim 2, dims
exp += struct.pack('<iii', 1, 0, 0)                          # cpu(0), kFloat32
exp += np.array([1.5, -2], dtype='<f4').tobytes()
exp += struct.pack('<QQ', 1, 1) + b'w'                       # 1 name of 1 byte
print(json.dumps(list(exp)))`, null);
      assert.deepEqual([...fs.readFileSync(file('w.params'))], want);
      // An empty list and an empty dict are both the bare header (MXNet writes no names for either).
      const empty = python(`print(json.dumps(list(struct.pack('<QQQQ', 0x112, 0, 0, 0))))`, null);
      nd.save(file('empty-list.params'), []);
      nd.save(file('empty-dict.params'), {});
      assert.deepEqual([...fs.readFileSync(file('empty-list.params'))], empty);
      assert.deepEqual([...fs.readFileSync(file('empty-dict.params'))], empty);
      assert.deepEqual(nd.load(file('empty-dict.params')), [], 'mx.nd.load gives [] for it too');
    });

    it('a dict of every dtype, an empty array and a unicode name reads back in the independent reader', () => {
      const arrays = edgeArrays();
      nd.save(file('all.params'), arrays);
      const got = python(PY_READ_MXNET, file('all.params'));
      assert.equal(got.magic, 0x112);
      assert.equal(got.reserved, 0);
      assert.equal(got.trailing, 0);
      assert.deepEqual(got.names, Object.keys(arrays));
      Object.entries(arrays).forEach(([k, a], i) => {
        const e = got.arrays[i];
        assert.equal(e.version, 2, `${k}: version 2, which MXNet reads in either shape mode`);
        assert.equal(e.stype, 0, k);
        assert.deepEqual(e.ctx, [1, 0], `${k}: cpu(0)`);
        assert.equal(e.flag, FLAGS[a.dtype], `${k} type flag`);
        assert.deepEqual(e.shape, a.shape, `${k} shape`);
        assert.deepEqual(e.data, flat(a), `${k} values`);
      });
      // And nd.load gives the arrays back bit for bit.
      const back = nd.load(file('all.params')) as Record<string, NDArray>;
      assert.deepEqual(Object.keys(back), Object.keys(arrays));
      for (const [k, a] of Object.entries(arrays)) assertSameArray(back[k]!, a, k);
    });

    it('a list and a single array are saved without names; a 0-d array makes every array version 3', () => {
      nd.save(file('list.params'), [nd.array([1, 2, 3]), nd.array([[4]], { dtype: 'int64' })]);
      const list = python(PY_READ_MXNET, file('list.params'));
      assert.deepEqual(list.names, []);
      assert.deepEqual(list.arrays.map((a: any) => [a.version, a.shape, a.data]), [[2, [3], [1, 2, 3]], [2, [1, 1], [4]]]);
      nd.save(file('one.params'), nd.array([9, 8], { dtype: 'float16' }));
      const one = python(PY_READ_MXNET, file('one.params'));
      assert.deepEqual([one.names, one.arrays.length, one.arrays[0].flag, one.arrays[0].data], [[], 1, 2, [9, 8]]);
      assert.deepEqual((nd.load(file('one.params')) as NDArray[]).map(flat), [[9, 8]]);

      nd.save(file('scalar.params'), { s: nd.array(42.5), v: nd.array([1, 0], { dtype: 'bool' }) });
      const sc = python(PY_READ_MXNET, file('scalar.params'));
      assert.deepEqual(sc.arrays.map((a: any) => [a.version, a.shape, a.data]), [[3, [], [42.5]], [3, [2], [1, 0]]]);
      const back = nd.load(file('scalar.params')) as Record<string, NDArray>;
      assert.deepEqual(back.s!.shape, []);
      assert.equal(back.s!.item(), 42.5);
      assert.deepEqual([back.v!.dtype, flat(back.v!)], ['bool', [1, 0]]);
    });

    it('a Map keeps its order (a record puts integer-like keys first, as JavaScript does)', () => {
      nd.save(file('map.params'), new Map([['b', nd.ones([1])], ['1', nd.zeros([1])]]));
      assert.deepEqual(python(PY_READ_MXNET, file('map.params')).names, ['b', '1']);
    });

    it('chooses safetensors for a .safetensors name or { format: \'safetensors\' }, MXNet\'s format otherwise', () => {
      const head = (p: string) => fs.readFileSync(p).readBigUInt64LE(0);
      nd.save(file('a.safetensors'), [nd.ones([2])]);
      assert.notEqual(head(file('a.safetensors')), 0x112n);
      nd.save(file('a.bin'), [nd.ones([2])], { format: 'safetensors' });
      assert.notEqual(head(file('a.bin')), 0x112n);
      nd.save(file('b.safetensors'), [nd.ones([2])], { format: 'mxnet' });
      assert.equal(head(file('b.safetensors')), 0x112n);
      nd.save(file('a.nd'), [nd.ones([2])]);
      assert.equal(head(file('a.nd')), 0x112n);
      for (const p of ['a.safetensors', 'a.bin', 'b.safetensors', 'a.nd']) assert.deepEqual((nd.load(file(p)) as NDArray[]).map(flat), [[1, 1]], p);
    });

    it('refuses what MXNet\'s format cannot hold, naming the call, the file and the entry', () => {
      const p = file('bad.params');
      const save = nd.save as (...a: unknown[]) => void;
      assert.throws(() => save(p, { w: nd.ones([1]), b: [1, 2] }), /nd\.save\('.*bad\.params'\): entry 'b' is an Array, not an NDArray/);
      assert.throws(() => save(p, [nd.ones([1]), new Float32Array(2)]), /nd\.save\('.*bad\.params'\): item 1 is a Float32Array, not an NDArray/);
      assert.throws(() => save(p, 5), /data must be an NDArray, a list of NDArrays or a record of name -> NDArray, got a number/);
      assert.throws(() => save(p, undefined), /got undefined/);
      assert.throws(() => save(p, [nd.ones([1])], { format: 'onnx' }), /nd\.save\('.*bad\.params'\): format "onnx" is not one of 'mxnet', 'safetensors'/);
      assert.throws(() => save(p, [nd.ones([1])], { fromat: 'mxnet' }), /unknown option 'fromat'/);
      assert.ok(!fs.existsSync(p), 'nothing written');
      // A dtype without an MXNet type flag (none of gluonc's: the encoder is asked directly).
      const bf16 = { dtype: 'bfloat16', shape: [1], data: new Uint16Array(1) } as never;
      assert.throws(() => encodeMxnetParams([bf16], ['w'], 'x.params'), /x\.params: array 'w' has dtype 'bfloat16', which MXNet's NDArray format has no type flag for/);
      assert.throws(() => encodeNpz([['w', bf16]], 'x.npz'), /x\.npz: array 'w' has dtype 'bfloat16'/);
      // Unwritable paths.
      assert.throws(() => nd.save(path.join(dir, 'missing', 'x.params'), [nd.ones([1])]), /nd\.save: cannot write '.*missing.*x\.params': the folder '.*missing' does not exist/);
      assert.throws(() => nd.save(dir, [nd.ones([1])]), /nd\.save: cannot write '.*': it is a folder/);
    });

    it('writes atomically: a failed rename leaves the old file and no temporary file', () => {
      const p = file('atomic.params');
      nd.save(p, { w: nd.array([1, 2, 3]) });
      const before = fs.readFileSync(p);
      const listing = fs.readdirSync(dir).sort();
      const orig = fs.renameSync;
      (fs as any).renameSync = () => {
        throw new Error('simulated rename failure');
      };
      try {
        assert.throws(() => nd.save(p, { w: nd.array([9, 9]) }), /nd\.save: cannot write '.*atomic\.params': simulated rename failure/);
      } finally {
        (fs as any).renameSync = orig;
      }
      assert.deepEqual(fs.readFileSync(p), before);
      assert.deepEqual(fs.readdirSync(dir).sort(), listing);
    });
  });

  describe('saveParameters in MXNet\'s formats', () => {
    it("{ format: 'mxnet' } writes Gluon's structural names in the NDArray list; it loads back into a fresh block", () => {
      random.seed(5);
      const net = mlp();
      net.initialize(new init.Xavier());
      const x = nd.random.uniform(-1, 1, [3, 5]);
      const y = net.call(x) as NDArray;
      net.saveParameters(file('mlp.params'), { format: 'mxnet' });
      const got = python(PY_READ_MXNET, file('mlp.params'));
      // Gluon's _collect_params_with_prefix: child index + '.' + the attribute name (MXNet 1.x and 2.x).
      assert.deepEqual(got.names, ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
      const params = net.collectParams();
      got.names.forEach((k: string, i: number) => {
        assert.deepEqual(got.arrays[i].shape, params.get(k).shape, k);
        assert.deepEqual(got.arrays[i].data, flat(params.get(k).data()), k);
        assert.equal(got.arrays[i].version, 2, k);
      });
      const fresh = mlp();
      fresh.loadParameters(file('mlp.params'));
      assertSameArray(fresh.call(x) as NDArray, y, 'output');
    });

    it("{ format: 'npz' } writes MXNet 2's archive, which numpy reads by the same names", () => {
      random.seed(6);
      const net = mlp();
      net.initialize();
      const x = nd.random.uniform(-1, 1, [2, 3]);
      const y = net.call(x) as NDArray;
      net.saveParameters(file('mlp2.params'), { format: 'npz' });
      const got = python(PY_NP_LOAD, file('mlp2.params'));
      assert.deepEqual(got.map((e: any) => e.name), ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
      for (const e of got) {
        assert.equal(e.dtype, 'float32', e.name);
        assert.deepEqual(e.data, flat(net.collectParams().get(e.name).data()), e.name);
      }
      const fresh = mlp();
      fresh.loadParameters(file('mlp2.params'));
      assertSameArray(fresh.call(x) as NDArray, y, 'output');
      // ParameterDict.save takes the same option.
      net.collectParams().save(file('dict.params'), { format: 'mxnet' });
      assert.deepEqual(python(PY_READ_MXNET, file('dict.params')).names, got.map((e: any) => e.name));
    });

    /** An LSTM (2 layers, both directions) after a Dense, so the layer sits at prefix '1.'. */
    function recurrentNet(inputSize = 0): gluon.HybridBlock {
      const net = new gluon.nn.HybridSequential();
      net.add(new Dense(3, { flatten: false }), new gluon.rnn.LSTM(4, 2, { bidirectional: true, layout: 'NTC', inputSize }));
      return net;
    }

    it("recurrent layers take MXNet 1.x's unfused names in { format: 'mxnet' } (rnn_layer.py _collect_params_with_prefix)", () => {
      random.seed(7);
      const net = recurrentNet();
      net.initialize();
      const x = nd.random.uniform(-1, 1, [2, 5, 6]);
      const y = net.call(x) as NDArray;
      net.saveParameters(file('lstm.params'), { format: 'mxnet' });
      const got = python(PY_READ_MXNET, file('lstm.params'));
      // convert_key: '_unfused.{layer}.{l|r}_cell.{i2h|h2h}_{weight|bias}' for a bidirectional layer.
      const want = ['0.weight', '0.bias'];
      for (const k of [0, 1]) for (const d of ['l', 'r']) for (const n of ['i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias']) want.push(`1._unfused.${k}.${d}_cell.${n}`);
      assert.deepEqual([...got.names].sort(), want.sort());
      const i = got.names.indexOf('1._unfused.1.r_cell.i2h_weight');
      assert.deepEqual(got.arrays[i].data, flat(net.collectParams().get('1.r1_i2h_weight').data()));
      const fresh = recurrentNet();
      fresh.loadParameters(file('lstm.params'));
      assertSameArray(fresh.call(x) as NDArray, y, 'output after the round trip');
      // One direction: '_unfused.{layer}.{i2h|h2h}_{weight|bias}'.
      const uni = new gluon.rnn.GRU(3, 1, { inputSize: 2 });
      uni.initialize();
      uni.saveParameters(file('gru.params'), { format: 'mxnet' });
      assert.deepEqual(python(PY_READ_MXNET, file('gru.params')).names.sort(), ['_unfused.0.h2h_bias', '_unfused.0.h2h_weight', '_unfused.0.i2h_bias', '_unfused.0.i2h_weight']);
    });

    it("recurrent layers are MXNet 2's one flat rnn_param in { format: 'npz' }, in the RNN operator's order; a deferred layer loads it back", () => {
      random.seed(8);
      const net = recurrentNet();
      net.initialize();
      const x = nd.random.uniform(-1, 1, [2, 5, 6]);
      const y = net.call(x) as NDArray;
      net.saveParameters(file('lstm2.params'), { format: 'npz' });
      const mats = Object.fromEntries(net.collectParams().entries().filter(([k]) => k.startsWith('1.')).map(([k, p]) => [k.slice(2), flat(p.data())]));
      // MXNet's order (rnn_layer.py _forward_kernel): for t in weight, bias; for layer; for l, r; for i2h, h2h.
      const ref = python(String.raw`
order = ['%s%d_%s_%s' % (d, l, g, t) for t in ['weight', 'bias'] for l in range(2) for d in ['l', 'r'] for g in ['i2h', 'h2h']]
want = [v for k in order for v in job['mats'][k]]
r = np.load(job['path'])
print(json.dumps({'files': list(r.keys()), 'same': r['1.rnn_param'].astype(np.float64).tolist() == want, 'shape': list(r['1.rnn_param'].shape)}))`, { path: file('lstm2.params'), mats });
      assert.deepEqual(ref.files, ['0.weight', '0.bias', '1.rnn_param']);
      assert.equal(ref.same, true, "rnn_param is the matrices in MXNet's order");
      assert.deepEqual(ref.shape, [2 * 2 * (16 * 3 + 16 * 4 + 16 + 16) + 2 * (16 * 8 - 16 * 3)]);
      const fresh = recurrentNet(); // input size unknown: solved from rnn_param's length
      fresh.loadParameters(file('lstm2.params'));
      assert.deepEqual(fresh.collectParams().get('1.l0_i2h_weight').shape, [16, 3]);
      assertSameArray(fresh.call(x) as NDArray, y, 'output after the round trip');
      // A length that fits no input size names the entry.
      const wrong = new gluon.nn.HybridSequential();
      wrong.add(new Dense(3, { flatten: false }), new gluon.rnn.LSTM(5, 2, { bidirectional: true, layout: 'NTC' }));
      assert.throws(() => wrong.loadParameters(file('lstm2.params')), /lstm2\.params: '1\.rnn_param' \(MXNet 2's fused recurrent parameter\) holds 736 values; the block's layer there takes \d+ plus 40 per input feature/);
    });

    it("a shared parameter is written once, or under each name with { deduplicate: false } (MXNet's default)", () => {
      const shared = new Dense(2, { inUnits: 2 });
      const net = new gluon.nn.HybridSequential();
      net.add(shared, shared);
      net.initialize(new init.One());
      net.saveParameters(file('once.params'), { format: 'mxnet' });
      assert.deepEqual(python(PY_READ_MXNET, file('once.params')).names, ['0.weight', '0.bias']);
      net.saveParameters(file('each.params'), { format: 'mxnet', deduplicate: false });
      const each = python(PY_READ_MXNET, file('each.params'));
      assert.deepEqual(each.names, ['0.weight', '0.bias', '1.weight', '1.bias']);
      assert.deepEqual(each.arrays[2].data, [1, 1, 1, 1]);
      for (const p of ['once.params', 'each.params']) {
        const back = new gluon.nn.HybridSequential();
        const d = new Dense(2, { inUnits: 2 });
        back.add(d, d);
        back.loadParameters(file(p));
        assert.deepEqual(flat(d.weight.data()), [1, 1, 1, 1], p);
      }
      const save = net.saveParameters.bind(net) as (...a: unknown[]) => void;
      assert.throws(() => save(file('x.params'), { deduplicate: 'yes' }), /saveParameters\('.*x\.params'\): deduplicate must be true or false, got yes/);
    });

    it('the default stays safetensors; an unknown format or option is an Error naming it', () => {
      const net = mlp();
      net.initialize();
      net.call(nd.ones([1, 3]));
      net.saveParameters(file('default.params'));
      assert.notEqual(fs.readFileSync(file('default.params')).readBigUInt64LE(0), 0x112n);
      const save = net.saveParameters.bind(net) as (...a: unknown[]) => void;
      assert.throws(() => save(file('x.params'), { format: 'onnx' }), /saveParameters\('.*x\.params'\): format "onnx" is not one of 'safetensors', 'mxnet', 'npz'/);
      assert.throws(() => save(file('x.params'), { dedup: true }), /saveParameters\('.*x\.params'\): unknown option 'dedup' \(valid: format, deduplicate\)/);
      assert.throws(() => mlp().saveParameters(file('x.params'), { format: 'mxnet' }), /Parameter '0\.weight' has not been initialized/);
      assert.ok(!fs.existsSync(file('x.params')));
    });
  });

  describe("MXNet 2's npx.save / npx.savez / npx.load", () => {
    it('npx.save writes .npy files numpy reads: every dtype, 0-d and empty arrays', () => {
      const arrays: Record<string, NDArray> = { ...edgeArrays(), scalar: nd.array(-0.75, { dtype: 'float64' }), bscalar: nd.array(true, { dtype: 'bool' }) };
      const NP: Record<string, string> = { float32: 'float32', float64: 'float64', float16: 'float16', uint8: 'uint8', int32: 'int32', int8: 'int8', int64: 'int64', bool: 'bool', int16: 'int16', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64' };
      Object.entries(arrays).forEach(([k, a], i) => {
        const p = file(`a${i}.npy`);
        npx.save(p, a);
        const [got] = python(PY_NP_LOAD, p);
        assert.equal(got.dtype, NP[a.dtype], k);
        assert.deepEqual(got.shape, a.shape, k);
        assert.deepEqual(got.data, flat(a), k);
        assertSameArray(npx.load(p) as NDArray, a, `${k} through npx.load`);
      });
      assert.ok(!fs.existsSync(file('a0.npy.npy')), 'the name is kept as given');
    });

    it('npx.savez names positional arrays arr_0, arr_1 and a record by its keys (first, as Python\'s kwargs)', () => {
      const x = nd.array([[1, 2], [3, 4]], { dtype: 'int64' });
      const y = nd.array(0.5, { dtype: 'float16' });
      npx.savez(file('pos.npz'), x, y);
      const pos = python(PY_NP_LOAD, file('pos.npz'));
      assert.deepEqual(pos.map((e: any) => [e.name, e.dtype, e.shape, e.data]), [['arr_0', 'int64', [2, 2], [1, 2, 3, 4]], ['arr_1', 'float16', [], [0.5]]]);
      npx.savez(file('kw.npz'), x, { 'ünï€': y, 'enc.0.weight': nd.zeros([0]) });
      const kw = python(PY_NP_LOAD, file('kw.npz'));
      assert.deepEqual(kw.map((e: any) => e.name), ['ünï€', 'enc.0.weight', 'arr_0']);
      const back = npx.load(file('kw.npz')) as Record<string, NDArray>;
      assert.deepEqual(Object.keys(back), ['ünï€', 'enc.0.weight', 'arr_0']);
      assertSameArray(back.arr_0!, x, 'arr_0');
      assertSameArray(back['ünï€']!, y, 'unicode name');
      // No arrays at all: an empty archive numpy opens.
      npx.savez(file('none.npz'));
      assert.deepEqual(python(PY_NP_LOAD, file('none.npz')), []);
      assert.deepEqual(npx.load(file('none.npz')), {});
      // The same arrays give the same bytes.
      npx.savez(file('pos2.npz'), x, y);
      assert.deepEqual(fs.readFileSync(file('pos2.npz')), fs.readFileSync(file('pos.npz')));
    });

    it('npx.load returns one unnamed array as itself, several as a list, named ones as a record (MXNet 2)', () => {
      nd.save(file('one.nd'), [nd.array([1, 2])]);
      assert.deepEqual(flat(npx.load(file('one.nd')) as NDArray), [1, 2]);
      nd.save(file('two.nd'), [nd.array([1]), nd.array([2])]);
      assert.deepEqual((npx.load(file('two.nd')) as NDArray[]).map(flat), [[1], [2]]);
      nd.save(file('named.nd'), { a: nd.array([3]) });
      assert.deepEqual(flat((npx.load(file('named.nd')) as Record<string, NDArray>).a!), [3]);
      // nd.load reads an .npy too (a list of one), and numpy's own files.
      python(`np.save(job, np.arange(6, dtype='<i4').reshape(2, 3))`, file('np.npy'));
      const [z] = nd.load(file('np.npy')) as NDArray[];
      assert.deepEqual([z!.dtype, z!.shape, flat(z!)], ['int32', [2, 3], [0, 1, 2, 3, 4, 5]]);
      assert.throws(() => mlp().loadParameters(file('np.npy')), /np\.npy: the \.npy file holds 1 arrays without names/);
    });

    it("npx.save of a list or a dict writes MXNet's NDArray file (MXNet 1.x's npx.save, d2l's file I/O page)", () => {
      // d2l (MXNet): npx.save('x-files', [x, y]); x2, y2 = npx.load('x-files'); npx.save('mydict', {'x': x, 'y': y})
      const x = nd.arange(4);
      const y = nd.zeros([4]);
      npx.save(file('x-files'), [x, y]);
      const list = python(PY_READ_MXNET, file('x-files'));
      assert.deepEqual([list.names, list.arrays.map((a: any) => a.data)], [[], [[0, 1, 2, 3], [0, 0, 0, 0]]]);
      const [x2, y2] = npx.load(file('x-files')) as NDArray[];
      assert.deepEqual([flat(x2!), flat(y2!)], [[0, 1, 2, 3], [0, 0, 0, 0]]);
      npx.save(file('mydict'), { x, y });
      const dict = python(PY_READ_MXNET, file('mydict'));
      assert.deepEqual([dict.names, dict.arrays.map((a: any) => a.data)], [['x', 'y'], [[0, 1, 2, 3], [0, 0, 0, 0]]]);
      const back = npx.load(file('mydict')) as Record<string, NDArray>;
      assert.deepEqual([Object.keys(back), flat(back.x!), flat(back.y!)], [['x', 'y'], [0, 1, 2, 3], [0, 0, 0, 0]]);
    });

    it('bad input is an Error naming the call and the value', () => {
      const save = npx.save as (...a: unknown[]) => void;
      const savez = npx.savez as (...a: unknown[]) => void;
      assert.throws(() => save(file('x.npy'), 3), /npx\.save\('.*x\.npy'\): the array must be an NDArray, a list of them or a record of name -> NDArray, got a number/);
      assert.throws(() => save(file('x.npy'), [nd.ones([1]), 'no']), /npx\.save\('.*x\.npy'\): .*1.* is a string/);
      assert.throws(() => savez(file('x.npz'), nd.ones([1]), 3), /npx\.savez\('.*x\.npz'\): argument 2 is a number, not an NDArray or a record/);
      assert.throws(() => savez(file('x.npz'), { w: 'no' }), /npx\.savez\('.*x\.npz'\): entry 'w' is a string, not an NDArray/);
      assert.throws(() => npx.savez(file('x.npz'), nd.ones([1]), { arr_0: nd.ones([1]) }), /naming conflict between positional array 0 \('arr_0'\) and the named 'arr_0'/);
      assert.ok(!fs.existsSync(file('x.npz')) && !fs.existsSync(file('x.npy')));
      assert.throws(() => npx.save(path.join(dir, 'nope', 'x.npy'), nd.ones([1])), /npx\.save: cannot write '.*nope.*x\.npy': the folder .* does not exist/);
      assert.throws(() => npx.load(file('missing.npz')), /cannot read '.*missing\.npz'/);
    });
  });
  /**
   * MXNet itself, where a python with mxnet is at hand (GLUONC_MXNET_PYTHON, or
   * the venv of `python3 -m venv /tmp/mxwrite/venv && /tmp/mxwrite/venv/bin/pip
   * install mxnet 'numpy<2'`); npm test does not build it, and no package
   * index here serves mxnet, so these skip, saying why.
   */
  describe('MXNet itself (when installed)', () => {
    const candidates = [process.env.GLUONC_MXNET_PYTHON, '/tmp/mxwrite/venv/bin/python'].filter((p): p is string => !!p);
    const mxPython = candidates.find((p) => fs.existsSync(p) && spawnSync(p, ['-c', 'import mxnet'], { encoding: 'utf8' }).status === 0);
    const mx = (code: string, job: unknown): any => {
      const r = spawnSync(mxPython!, ['-c', `import json, sys\nimport numpy as np\nimport mxnet as mx\njob = json.load(sys.stdin)\n${code}`], { input: JSON.stringify(job), encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mxnet failed: ${r.stderr}`);
      return JSON.parse(r.stdout || 'null');
    };
    beforeEach(function () {
      if (!mxPython) {
        console.log(`      (skipped: no python with mxnet; tried ${candidates.join(', ')})`);
        this.skip();
      }
    });

    it('mx.nd.load reads nd.save files; nd.load reads mx.nd.save files', () => {
      const arrays = edgeArrays();
      nd.save(file('for-mx.params'), arrays);
      const got = mx(`d = mx.nd.load(job)
print(json.dumps({k: [np.dtype(v.dtype).name, list(v.shape), v.asnumpy().astype('float64').ravel().tolist()] for k, v in d.items()}))`, file('for-mx.params'));
      for (const [k, a] of Object.entries(arrays)) assert.deepEqual(got[k], [a.dtype, a.shape, flat(a)], k);
      mx(`mx.nd.save(job, {'w': mx.nd.array([[1.5, -2]]), 'i': mx.nd.array([7], dtype='int64')})`, file('from-mx.params'));
      const back = nd.load(file('from-mx.params')) as Record<string, NDArray>;
      assert.deepEqual([flat(back.w!), back.w!.shape, back.i!.dtype], [[1.5, -2], [1, 2], 'int64']);
    });

    it("Gluon's load_parameters reads saveParameters(file, { format: 'mxnet' }) and computes the same outputs", () => {
      random.seed(11);
      const net = mlp();
      net.initialize();
      const x = nd.random.uniform(-1, 1, [3, 5]);
      const y = net.call(x) as NDArray;
      net.saveParameters(file('for-gluon.params'), { format: 'mxnet' });
      const got = mx(`from mxnet.gluon import nn
net = nn.HybridSequential()
net.add(nn.Dense(8, activation='relu'), nn.Dense(4, activation='tanh'), nn.Dense(2))
net.load_parameters(job['path'])
print(json.dumps(net(mx.nd.array(job['x'])).asnumpy().astype('float64').ravel().tolist()))`, { path: file('for-gluon.params'), x: x.toArray() });
      flat(y).forEach((v, i) => assert.ok(Math.abs(v - got[i]) <= 1e-5 * (1 + Math.abs(v)), `output ${i}: ${v} vs MXNet's ${got[i]}`));
    });
  });
});
