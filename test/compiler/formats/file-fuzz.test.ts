/**
 * Malformed MXNet and numpy files: MXNet's .params (NDArray list, v2 and v3
 * arrays and the pre-v1 layout), MXNet's symbol JSON, .npy/.npz and RecordIO
 * (.rec/.idx, image records). Each reader must refuse a damaged file with a
 * plain Error naming the file (and what was wrong), never a TypeError or
 * RangeError, a hang or a silently different result. Fixed samples of the
 * defects a seeded fuzz found (qa-fuzzmx, 23rd session), then small seeded
 * fuzz loops over the same mutations (truncation at every prefix, byte flips,
 * length and count fields set to 0, huge or negative values).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { gluon, nd, recordio } from 'gluonc';
import { readMxnetParams, encodeMxnetParams } from '../../../compiler/formats/mxnet-params.js';
import { readNpz, encodeNpz } from '../../../compiler/formats/npz.js';
import { decodeNpy, encodeNpy } from '../../../runtime/npy.js';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { runPython } from '../../helpers/python-server.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/mxnet');
const SYMBOL = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'convnet-symbol.json'), 'utf8')) as {
  nodes: { op: string; name: string; inputs: unknown[]; attrs?: Record<string, string> }[];
  heads: unknown[];
};

/** xorshift32: the same mutations on every run. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/** Runs `fn`; a throw must be a plain Error whose message names `file` (or one of them; a result is checked by `accepted`). */
function refusedOrAccepted(what: string, file: string | string[], fn: () => unknown, accepted: (r: unknown) => void = () => {}): 'refused' | 'accepted' {
  let r: unknown;
  try {
    r = fn();
  } catch (e) {
    assert.ok(e instanceof Error, `${what}: threw a non-Error ${String(e)}`);
    assert.ok(!(e instanceof TypeError) && !(e instanceof RangeError), `${what}: raw ${e.constructor.name}: ${e.message}`);
    assert.doesNotMatch(e.message, /Cannot read|is not iterable|Invalid array length|is not a function|Invalid typed array/, what);
    const files = typeof file === 'string' ? [file] : file;
    assert.ok(files.some((f) => e.message.includes(f)), `${what}: the error does not name '${files.join("' or '")}': ${e.message}`);
    return 'refused';
  }
  accepted(r);
  return 'accepted';
}

/** The byte mutations: every prefix, bit flips, 4-byte fields set to 0/1/-1/2^31 and 8-byte ones to 2^64-1 or 2^47-1. */
function mutations(src: Uint8Array, seed: number, flips = 60): [string, Uint8Array][] {
  const r = rng(seed);
  const out: [string, Uint8Array][] = [];
  for (let c = 0; c < src.length; c++) out.push([`truncated to ${c} bytes`, src.slice(0, c)]);
  for (let k = 0; k < flips; k++) {
    const b = src.slice();
    const i = Math.floor(r() * b.length);
    b[i] = b[i]! ^ (1 << Math.floor(r() * 8));
    out.push([`bit flip at ${i}`, b]);
  }
  for (let i = 0; i + 8 <= src.length; i += 4) {
    for (const v of [0, 1, 0xffffffff, 0x80000000]) {
      const b = src.slice();
      new DataView(b.buffer).setUint32(i, v, true);
      out.push([`uint32 at ${i} = ${v}`, b]);
    }
    for (const v of [0xffffffffffffffffn, 0x7fffffffffffn]) {
      const b = src.slice();
      new DataView(b.buffer).setBigUint64(i, v, true);
      out.push([`uint64 at ${i} = ${v}`, b]);
    }
  }
  return out;
}

const shapes = (x: { arrays: { shape: number[]; dtype: string }[] }) => JSON.stringify(x.arrays.map((a) => [a.shape, a.dtype]));

describe('malformed MXNet and numpy files are refused naming the file', () => {
  const dir = scratchDir('gluonc-file-fuzz-');

  describe('MXNet symbol JSON', () => {
    const write = (name: string, edit: (g: typeof SYMBOL) => void): string => {
      const g = structuredClone(SYMBOL);
      edit(g);
      const f = path.join(dir(), name);
      fs.writeFileSync(f, JSON.stringify(g));
      return f;
    };
    const x = () => nd.ones([2, 1, 6, 6]);
    const params = path.join(FIXTURES, 'convnet-0000.params');
    const node = (g: typeof SYMBOL, name: string) => g.nodes.find((n) => n.name === name)!;

    it('a head naming an output its node does not have (was: the call returned undefined)', () => {
      const f = write('head-symbol.json', (g) => { g.heads = [[0, 5, 0]]; });
      assert.throws(() => gluon.SymbolBlock.imports(f, ['data'], params).call(x()),
        /^Error: .*head-symbol\.json: output 0 is output 5 of node 'data', which a variable \(one output\) does not have$/);
      const g = write('head2-symbol.json', (s) => { s.heads = [[21, 1, 0]]; });
      assert.throws(() => gluon.SymbolBlock.imports(g, ['data'], params).call(x()),
        /head2-symbol\.json: output 0 is output 1 of node 'dense1_fwd', which gluonc's operator does not produce/);
    });

    it('a variable with inputs (was: the inputs were ignored)', () => {
      const f = write('var-symbol.json', (g) => { node(g, 'conv0_weight').inputs = [[0, 0, 0]]; });
      assert.throws(() => gluon.SymbolBlock.imports(f, ['data'], params),
        /var-symbol\.json: not an MXNet symbol file: node 1 \('conv0_weight'\) is a variable \(op 'null'\) but has inputs \[\[0,0,0\]\]/);
    });

    it('an operator node given too few or too many inputs (was: "input \'data\' must be a tensor, got Object", "option \'p\' must be a value, got a tensor")', () => {
      const none = write('none-symbol.json', (g) => { node(g, 'dropout0_fwd').inputs = []; });
      assert.throws(() => gluon.SymbolBlock.imports(none, ['data'], params),
        /none-symbol\.json: node 'dropout0_fwd' \(MXNet operator 'Dropout'\): takes 1 input \(data\), the file gives it 0/);
      const extra = write('extra-symbol.json', (g) => { node(g, 'dropout0_fwd').inputs.push([3, 0, 0]); });
      assert.throws(() => gluon.SymbolBlock.imports(extra, ['data'], params), /extra-symbol\.json: node 'dropout0_fwd' \(MXNet operator 'Dropout'\): takes 1 input \(data\), the file gives it 2/);
      const add = write('add-symbol.json', (g) => { node(g, 'elemwiseadd0').inputs = [[15, 0, 0]]; });
      assert.throws(() => gluon.SymbolBlock.imports(add, ['data'], params), /add-symbol\.json: node 'elemwiseadd0' \(MXNet operator 'elemwise_add'\): takes 2 inputs \(lhs, rhs\), the file gives it 1/);
      const scalar = write('scalar-symbol.json', (g) => { node(g, 'mulscalar0').inputs.push([15, 0, 0]); });
      assert.throws(() => gluon.SymbolBlock.imports(scalar, ['data'], params), /scalar-symbol\.json: node 'mulscalar0' \(MXNet operator '_mul_scalar'\): takes 1 input \(data\), the file gives it 2/);
      // Optional inputs stay optional: FullyConnected without its bias (no_bias) has 2.
      const noBias = write('nobias-symbol.json', (g) => {
        node(g, 'dense1_fwd').inputs.pop();
        node(g, 'dense1_fwd').attrs!.no_bias = 'True';
      });
      assert.doesNotThrow(() => gluon.SymbolBlock.imports(noBias, ['data']));
    });

    it('a seeded fuzz of the graph (keys deleted, wrong types, indices out of range, cycles, unknown operators, bad attributes)', () => {
      const r = rng(7);
      const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
      const WEIRD = [null, 0, -1, 1.5, 'x', [], {}, [0], [-1, 0, 0], [99, 0, 0], [0, 99, 0], ['0', 0, 0]] as const;
      const OPS = ['FooBar', 'null', '', 'Convolution', 'BatchNorm', 'Concat', 'SwapAxis', '_zeros', 'add_n', '_copy', 'SVMOutput', 'elemwise_add', '_plus_scalar', 'Activation'];
      const ATTRS = ['', '(', '(0, 0)', '(-1, -1)', '-1', '1e9', 'abc', 'nan', '[1,', '99999999999999999999'];
      const edits: [string, (g: typeof SYMBOL) => void][] = [];
      for (let k = 0; k < 80; k++) {
        const i = Math.floor(r() * SYMBOL.nodes.length);
        const key = pick(['op', 'name', 'inputs', 'attrs'] as const);
        const v = pick(WEIRD);
        const j = Math.floor(r() * SYMBOL.nodes.length);
        const op = pick(OPS);
        const a = pick(ATTRS);
        edits.push(...([
          [`delete node ${i}'s ${key}`, (g) => { delete (g.nodes[i] as Record<string, unknown>)[key]; }],
          [`node ${i}'s ${key} = ${JSON.stringify(v)}`, (g) => { (g.nodes[i] as Record<string, unknown>)[key] = v; }],
          [`node ${i} also reads node ${j}`, (g) => { g.nodes[i]!.inputs.push([j, 0, 0]); }],
          [`node ${i}'s op = ${op}`, (g) => { g.nodes[i]!.op = op; }],
          [`node ${i} reads output ${j}`, (g) => { for (const e of g.nodes[i]!.inputs as number[][]) e[1] = j; }],
          [`heads = ${JSON.stringify(v)}`, (g) => { g.heads = v as never; }],
          [`node ${i}'s name = node ${j}'s`, (g) => { g.nodes[i]!.name = g.nodes[j]!.name; }],
          [`node ${i}'s attributes = ${a}`, (g) => { for (const k2 of Object.keys(g.nodes[i]!.attrs ?? {})) g.nodes[i]!.attrs![k2] = a; }],
        ] as [string, (g: typeof SYMBOL) => void][]).filter(() => r() < 0.15));
      }
      const counts = { refused: 0, accepted: 0 };
      edits.forEach(([what, edit], k) => {
        const f = write(`fuzz${k}-symbol.json`, edit);
        // A graph whose variables changed meets the parameter file's names: then the error names that file.
        counts[refusedOrAccepted(what, [`fuzz${k}-symbol.json`, 'convnet-0000.params'], () => {
          const out = gluon.SymbolBlock.imports(f, ['data'], params).call(x());
          for (const o of Array.isArray(out) ? out : [out]) assert.ok(o instanceof nd.NDArray, `${what}: an output is ${String(o)}`);
        })]++;
      });
      assert.ok(counts.refused > 20, JSON.stringify(counts));
    });
  });

  describe('MXNet .params', () => {
    const v2 = encodeMxnetParams([{ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) }, { dtype: 'int64', shape: [1], data: new BigInt64Array(1) }], ['arg:w', 'aux:m'], 'x');
    const v3 = encodeMxnetParams([{ dtype: 'float16', shape: [], data: new Uint16Array(1) }], null, 'x');
    // Before v1: the magic is the ndim, the dims are uint32 (one float32 [2]).
    const legacy = new Uint8Array([0x12, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0]);

    it('reads the three samples (the fuzz below starts from valid files)', () => {
      assert.equal(shapes(readMxnetParams(v2, 'v2.params')), '[[[2,3],"float32"],[[1],"int64"]]');
      assert.equal(shapes(readMxnetParams(v3, 'v3.params')), '[[[],"float16"]]');
      assert.deepEqual(readMxnetParams(legacy, 'legacy.params'), { names: null, arrays: [{ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }] });
    });

    it('fixed samples: huge and negative counts and dimensions', () => {
      const at = (src: Uint8Array, off: number, v: bigint) => { const b = src.slice(); new DataView(b.buffer).setBigUint64(off, v, true); return b; };
      assert.throws(() => readMxnetParams(at(v2, 16, 1n << 40n), 'f.params'), /^Error: f\.params: not a valid MXNet \.params file: array count 1099511627776 exceeds the file size \(the header, byte 24\)$/);
      assert.throws(() => readMxnetParams(at(v2, 36, -2n), 'f.params'), /f\.params: not a valid MXNet \.params file: dimension -2 is out of range \(array 0, byte 36\)/);
      assert.throws(() => readMxnetParams(at(v2, 36, 1n << 50n), 'f.params'), /f\.params: not a valid MXNet \.params file: shape \[1125899906842624, 3\] is too large \(array 0, byte 64\)/);
      assert.throws(() => readMxnetParams(v2.slice(0, -1), 'f.params'), /f\.params: .*truncated: needs 5 more bytes, the file has 4 left \(name 1, byte/);
    });

    it('a seeded fuzz: every prefix is refused; no mutation is a raw error or changes the arrays without a refusal', () => {
      for (const [name, src] of [['v2', v2], ['v3', v3], ['legacy', legacy]] as const) {
        const before = shapes(readMxnetParams(src, 'x'));
        for (const [what, b] of mutations(src, 11)) {
          refusedOrAccepted(`${name}: ${what}`, `${name}.params`, () => readMxnetParams(b, `${name}.params`), (got) => {
            assert.ok(!what.startsWith('truncated'), `${name}: ${what}: accepted`);
            // A flip inside a name or the data is the file's content; the arrays' shapes change only with a dtype of the same width.
            const after = shapes(got as never);
            if (after !== before) assert.equal(after.replace(/"[a-z0-9]+"/g, 'T'), before.replace(/"[a-z0-9]+"/g, 'T'), `${name}: ${what}: read as ${after}`);
          });
        }
      }
    });
  });

  describe('.npy and .npz', () => {
    const header = (h: string) => {
      const s = `${h}\n`;
      const b = new Uint8Array(10 + s.length + 8);
      b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
      new DataView(b.buffer).setUint16(8, s.length, true);
      b.set(new TextEncoder().encode(s), 10);
      return b;
    };
    const zip = (members: Record<string, Uint8Array>) => zipSync(Object.fromEntries(Object.entries(members).map(([k, v]) => [k, [v, { level: 0 }]])) as never);

    it("a header with a key twice (Python's dict keeps the last; was: the first read)", () => {
      const twice = header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (3,)}");
      assert.throws(() => decodeNpy(twice, 'x.npy'), /^Error: x\.npy: has a malformed \.npy header .* \('shape' appears twice\)$/);
      assert.throws(() => readNpz(zip({ 'w.npy': twice }), 'x.npz'), /^Error: x\.npz: not a valid \.npz archive: member 'w\.npy': has a malformed \.npy header .* \('shape' appears twice\)$/);
      // The same header without the repeat is read (numpy writes (2,) of float32 as 8 bytes).
      assert.deepEqual(decodeNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), 'x.npy').shape, [2]);
    });

    it('one parser for .npy files and .npz members: shapes of decimal digits only (1e3, 0x2, 2.0 refused, as npz refused them; Python 2\'s 3L read)', () => {
      for (const dims of ['1e0', '0x2', '2.0', '-2', '2 3']) {
        const h = header(`{'descr': '<f4', 'fortran_order': False, 'shape': (${dims},), }`);
        assert.throws(() => decodeNpy(h, 'x.npy'), new RegExp(`^Error: x\\.npy: has an invalid shape \\(${dims.replace('.', '\\.')},\\) in its header$`), dims);
        assert.throws(() => readNpz(zip({ 'w.npy': h }), 'x.npz'), new RegExp(`^Error: x\\.npz: not a valid \\.npz archive: member 'w\\.npy': has an invalid shape`), dims);
      }
      // (2L,): Python 2's long, as numpy 1.x under Python 2 wrote it; 8 bytes of float32 follow in header().
      assert.deepEqual(decodeNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }"), 'x.npy').shape, [2]);
      assert.deepEqual(readNpz(zip({ 'w.npy': header("{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }") }), 'x.npz').arrays[0]!.shape, [2]);
    });

    it("a member whose data does not match its CRC-32, as Python's zipfile refuses it (was: read), and a member twice (was: the last read)", () => {
      const dir0 = dir();
      const r = runPython(`
import numpy as np, sys
np.savez(sys.argv[1] + '/ok.npz', a=np.arange(4, dtype=np.float32))
b = bytearray(open(sys.argv[1] + '/ok.npz', 'rb').read())
at = b.index(b'\\x00\\x00\\x80\\x3f')  # the float32 1.0 of a's data
b[at + 3] ^= 1
open(sys.argv[1] + '/bad.npz', 'wb').write(b)
try:
    np.load(sys.argv[1] + '/bad.npz')['a']
    print('read')
except Exception as e:
    print(type(e).__name__, e)
`, { args: [dir0] });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), "BadZipFile Bad CRC-32 for file 'a.npy'");
      assert.deepEqual(readNpz(fs.readFileSync(path.join(dir0, 'ok.npz')), 'ok.npz').arrays[0]!.data, new Float32Array([0, 1, 2, 3]));
      assert.throws(() => readNpz(fs.readFileSync(path.join(dir0, 'bad.npz')), 'bad.npz'),
        /^Error: bad\.npz: not a valid \.npz archive: member 'a\.npy': its data does not match its CRC-32 \(0x[0-9a-f]{8}\): the archive is damaged$/);
      // fflate keeps the last of two members of one name: zip them apart, then give the second the first's name.
      const two = zip({ 'a.npy': encodeNpy({ dtype: 'float32', shape: [1], data: new Float32Array([1]) }), 'b.npy': encodeNpy({ dtype: 'float32', shape: [1], data: new Float32Array([2]) }) });
      for (let i = 0; i + 5 <= two.length; i++) if (two[i] === 0x62 && two[i + 1] === 0x2e && two[i + 2] === 0x6e) two[i] = 0x61;
      assert.throws(() => readNpz(two, 'two.npz'), /^Error: two\.npz: not a valid \.npz archive: member 'a\.npy' appears twice$/);
    });

    it('a seeded fuzz of .npy bytes and of .npz archives (stored and deflated)', () => {
      const npy = encodeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6) });
      for (const [what, b] of mutations(npy, 3)) {
        refusedOrAccepted(`npy: ${what}`, 'x.npy', () => decodeNpy(b, 'x.npy'), () => assert.ok(!what.startsWith('truncated'), `npy: ${what}: accepted`));
      }
      const stored = encodeNpz([['a', { dtype: 'int32', shape: [3], data: new Int32Array(3) }]], 'x');
      const deflated = zipSync({ 'a.npy': [encodeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) }), { level: 6 }] } as never);
      for (const [name, src] of [['stored', stored], ['deflated', deflated]] as const) {
        const before = readNpz(src, 'x').arrays;
        for (const [what, b] of mutations(src, 5, 30)) {
          refusedOrAccepted(`npz ${name}: ${what}`, 'x.npz', () => readNpz(b, 'x.npz'), (got) => {
            const { arrays } = got as { arrays: { shape: number[]; data: unknown }[] };
            if (what.startsWith('truncated')) assert.equal(arrays.length, 0, `npz ${name}: ${what}: accepted`);
            // zip's CRC-32 guards the data: what is read despite a mutation (of a field fflate does not use) is the original.
            else assert.deepEqual(arrays, before, `npz ${name}: ${what}: read other arrays`);
          });
        }
      }
    });
  });

  describe('RecordIO', () => {
    it('a seeded fuzz of a .rec file (split records, an image record, an empty record) read whole and by index', () => {
      const rec = path.join(dir(), 'a.rec');
      const idx = path.join(dir(), 'a.idx');
      const w = new recordio.MXIndexedRecordIO(idx, rec, 'w');
      const magic = [0x0a, 0x23, 0xd7, 0xce];
      const img = nd.array(Array.from({ length: 2 * 3 * 3 }, (_v, i) => i * 13), { shape: [2, 3, 3], dtype: 'uint8' });
      const records = [recordio.pack({ flag: 0, label: 3, id: 1, id2: 0 }, 'hello'), Uint8Array.from([...magic, 1, 2, 3, ...magic, 9]), recordio.packImg({ flag: 0, label: 1, id: 2, id2: 0 }, img, 90, '.png'), new Uint8Array(0)];
      records.forEach((b, i) => w.writeIdx(i, b));
      w.close();
      const src = new Uint8Array(fs.readFileSync(rec));
      const bad = path.join(dir(), 'm.rec');
      const badIdx = path.join(dir(), 'm.idx');
      fs.copyFileSync(idx, badIdx);
      const readAll = () => {
        const r = new recordio.MXRecordIO(bad, 'r');
        const out: Uint8Array[] = [];
        for (let x = r.read(); x !== null; x = r.read()) out.push(x);
        r.close();
        return out;
      };
      for (const [what, b] of mutations(src, 9, 20)) {
        fs.writeFileSync(bad, b);
        refusedOrAccepted(`rec: ${what}`, 'm.rec', readAll, (got) => {
          // A file cut between records holds fewer records; one cut inside a record is refused.
          if (what.startsWith('truncated')) assert.ok(b.length % 4 === 0 && (got as unknown[]).length < records.length, `rec: ${what}: accepted`);
        });
        refusedOrAccepted(`idx: ${what}`, 'm.rec', () => {
          const r = new recordio.MXIndexedRecordIO(badIdx, bad, 'r');
          for (const k of r.keys) r.readIdx(k);
          r.close();
        });
      }
      for (const [what, b] of mutations(Uint8Array.from(records[2]!), 13, 40)) {
        refusedOrAccepted(`unpackImg: ${what}`, 'recordio.unpack', () => recordio.unpackImg(b));
      }
    });
  });
});
