import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Session, CUDA_INSTALL_HINT, defaultThreads } from '../../runtime/index.js';
import { emitModel } from '../../compiler/onnx/emit.js';
import { graphOf } from '../../compiler/trace/symbol.js';
import { sym } from 'gluonc';
import { ortBinding } from '../../runtime/ort.js';

function reluModel(): Uint8Array {
  const x = sym.var('x', { shape: ['N', 3] });
  const g = graphOf(sym.relu(x));
  g.outputs[0]!.name = 'y';
  return emitModel(g);
}

describe('runtime/session', () => {
  it('runs synchronously and reports inputs and outputs with symbolic dims', () => {
    const s = Session.create(reluModel(), { threads: 1 });
    assert.deepEqual(s.inputs, [{ name: 'x', dtype: 'float32', shape: ['N', 3] }]);
    assert.equal(s.outputs[0]!.name, 'y');
    const out = s.runSync({ x: { dtype: 'float32', shape: [2, 3], data: new Float32Array([-1, 2, -3, 4, -5, 6]) } });
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [0, 2, 0, 4, 0, 6]);
    assert.deepEqual(out.y!.shape, [2, 3]);
    s.close();
    assert.throws(() => s.runSync({}), /closed/);
  });

  it('runs asynchronously', async () => {
    const s = Session.create(reluModel());
    const out = await s.run({ x: { dtype: 'float32', shape: [1, 3], data: new Float32Array([1, -1, 1]) } });
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [1, 0, 1]);
    s.close();
  });

  it('runs without the memory arena (arena: false), at several threads and one, run after run', () => {
    for (const threads of [1, 2]) {
      const s = Session.create(reluModel(), { threads, arena: false });
      for (let k = 0; k < 3; k++) {
        const out = s.runSync({ x: { dtype: 'float32', shape: [2, 3], data: new Float32Array([-1, 2, -3, 4, -5, k]) } });
        assert.deepEqual(Array.from(out.y!.data as Float32Array), [0, 2, 0, 4, 0, k]);
      }
      s.close();
    }
  });

  // onnxruntime starts a session's intra-op pool (threads - 1 workers) when the session is made: counted in /proc.
  it('GLUONC_THREADS is the intra-op threads of a session that sets none; a count in the options wins; a bad value is an Error naming it', function () {
    if (process.platform !== 'linux') this.skip();
    const tasks = () => readdirSync('/proc/self/task').length;
    const x = { dtype: 'float32' as const, shape: [2, 3], data: new Float32Array([-1, 2, -3, 4, -5, 6]) };
    const pool = (options: { threads?: number }): number => {
      const before = tasks();
      const s = Session.create(reluModel(), options);
      const workers = tasks() - before;
      assert.deepEqual(Array.from(s.runSync({ x }).y!.data as Float32Array), [0, 2, 0, 4, 0, 6]);
      s.close();
      return workers;
    };
    const saved = process.env['GLUONC_THREADS'];
    try {
      process.env['GLUONC_THREADS'] = '3';
      assert.equal(defaultThreads(), 3);
      assert.deepEqual([pool({}), pool({ threads: 1 })], [2, 0]);
      process.env['GLUONC_THREADS'] = ' 1 ';
      assert.equal(defaultThreads(), 1);
      assert.deepEqual([pool({}), pool({ threads: 3 })], [0, 2]);
      for (const bad of ['two', '-1', '1.5']) {
        process.env['GLUONC_THREADS'] = bad;
        assert.throws(() => Session.create(reluModel()), new RegExp(`GLUONC_THREADS='${bad.replace('.', '\\.')}': expected a non-negative integer`));
        assert.equal(pool({ threads: 1 }), 0, 'a count in the options does not read it');
      }
      delete process.env['GLUONC_THREADS'];
      assert.equal(defaultThreads(), 0);
      process.env['GLUONC_THREADS'] = '';
      assert.equal(defaultThreads(), 0);
    } finally {
      if (saved === undefined) delete process.env['GLUONC_THREADS'];
      else process.env['GLUONC_THREADS'] = saved;
    }
  });

  it('names a missing input', () => {
    const s = Session.create(reluModel());
    assert.throws(() => s.runSync({}), /missing input 'x' \(expected float32 \[N, 3\]\)/);
    s.close();
  });

  it('refuses bytes that are not ONNX with a message naming the model', () => {
    assert.throws(() => Session.create(new Uint8Array([1, 2, 3, 4, 5])), /onnxruntime cannot load model \(5 bytes\)/);
  });

  it('refuses an unknown device', () => {
    assert.throws(() => Session.create(reluModel(), { device: 'tpu' as never }), /unknown device 'tpu'/);
  });

  const cudaBundled = ortBinding().listSupportedBackends().some((b) => b.name === 'cuda' && b.bundled);
  it('device cuda without the provider fails with the install instruction, or falls back when asked', function () {
    let cudaWorks = false;
    try {
      Session.create(reluModel(), { device: 'cuda' }).close();
      cudaWorks = true;
    } catch (e) {
      assert.equal((e as Error).message, CUDA_INSTALL_HINT);
      assert.match(CUDA_INSTALL_HINT, /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install/);
    }
    if (cudaWorks) this.skip(); // a machine with the CUDA provider installed
    const s = Session.create(reluModel(), { device: 'cuda', fallback: true });
    assert.equal(s.device, 'cpu');
    s.close();
    void cudaBundled;
  });
});
