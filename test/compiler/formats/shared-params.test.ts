import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, gluon, init } from 'gluonc';
import { encodeSafetensors } from '../../../compiler/formats/params-file.js';
import { runPython } from '../../helpers/python-server.js';

/**
 * A minimal writer of MXNet's NDArray list format (float32, V2 arrays), after MXNet's
 * src/ndarray/ndarray.cc NDArray::Save: uint64 0x112, uint64 0, uint64 count, per array uint32 0xF993FAC9,
 * int32 stype 0, int32 ndim + int64 dims, int32 dev_type + dev_id, int32 type flag 0, data; uint64 count, names.
 */
const PY_WRITE_MXNET = String.raw`
import json, struct, sys
import numpy as np
job = json.load(sys.stdin)
out = struct.pack('<QQQ', 0x112, 0, len(job['arrays']))
for a in job['arrays']:
    out += struct.pack('<Ii', 0xF993FAC9, 0) + struct.pack('<i', len(a['shape'])) + struct.pack('<%dq' % len(a['shape']), *a['shape'])
    out += struct.pack('<iii', 1, 0, 0) + np.array(a['data'], dtype='<f4').tobytes()
out += struct.pack('<Q', len(job['names']))
for n in job['names']:
    out += struct.pack('<Q', len(n)) + n.encode()
open(job['path'], 'wb').write(out)
`;

/** MXNet's tied-weights language model shape: the decoder shares the encoder's weight (`params=self.encoder.params`). */
class Tied extends gluon.HybridBlock {
  encoder = new gluon.nn.Dense(3, { inUnits: 3, useBias: false });
  decoder = new gluon.nn.Dense(3, { inUnits: 3, useBias: false });
  constructor() {
    super();
    this.decoder.shareParameters(this.encoder.collectParams());
  }
  override hybridForward(_F: gluon.F, x: gluon.Tensor) {
    return this.decoder.call(this.encoder.call(x));
  }
}

describe('loadParameters with shared parameters (every structural name of a shared parameter is its name)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-shared-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const w = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
  const tensor = () => nd.array(w)._host;

  it('a file holding the shared weight under both names (MXNet save_parameters without deduplicate) loads', () => {
    const f = path.join(dir, 'both.safetensors');
    fs.writeFileSync(f, encodeSafetensors([['encoder.weight', tensor()], ['decoder.weight', tensor()]]));
    const net = new Tied();
    net.loadParameters(f);
    assert.deepEqual(net.encoder.weight.data().toArray(), w);
    assert.equal(net.decoder.weight, net.encoder.weight, 'still shared');
  });

  it('a file whose two names of the shared weight hold different arrays (an untied model\'s) is an Error naming both; nothing loads', () => {
    const f = path.join(dir, 'untied.safetensors');
    fs.writeFileSync(f, encodeSafetensors([['encoder.weight', tensor()], ['decoder.weight', nd.array(w).add(1)._host]]));
    const net = new Tied();
    net.initialize(new init.Zero());
    assert.throws(() => net.loadParameters(f), /holds different arrays under 'encoder\.weight' and 'decoder\.weight', which name one shared \(tied\) parameter/);
    assert.deepEqual(net.encoder.weight.data().toArray(), [[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  });

  it('a file holding it under the other name only loads', () => {
    const f = path.join(dir, 'second.safetensors');
    fs.writeFileSync(f, encodeSafetensors([['decoder.weight', tensor()]]));
    const net = new Tied();
    net.loadParameters(f);
    assert.deepEqual(net.encoder.weight.data().toArray(), w);
  });

  it('an MXNet .params file with both names loads; a name of no parameter is still an Error', () => {
    const f = path.join(dir, 'tied.params');
    const arr = { shape: [3, 3], data: w.flat() };
    const r = runPython(PY_WRITE_MXNET, { input: JSON.stringify({ path: f, arrays: [arr, arr], names: ['encoder.weight', 'decoder.weight'] }) });
    assert.equal(r.status, 0, r.stderr);
    const net = new Tied();
    net.loadParameters(f);
    const y = net.call(nd.array([[1, 0, 0]])) as nd.NDArray;
    // y = W·(W·x): W·e0 = [1, 4, 7], then W·[1, 4, 7] = [30, 66, 102].
    assert.deepEqual(y.toArray(), [[30, 66, 102]]);
    const g = path.join(dir, 'extra.safetensors');
    fs.writeFileSync(g, encodeSafetensors([['encoder.weight', tensor()], ['head.weight', tensor()]]));
    assert.throws(() => new Tied().loadParameters(g), /Parameter 'head\.weight' in file '.*extra\.safetensors' is not in the block/);
    // Saved by gluonc, the shared weight is written once, under its first name.
    const s = path.join(dir, 'saved.safetensors');
    const src = new Tied();
    src.initialize(new init.One());
    src.saveParameters(s);
    assert.deepEqual(Object.keys(nd.load(s) as Record<string, unknown>), ['encoder.weight']);
  });
});
