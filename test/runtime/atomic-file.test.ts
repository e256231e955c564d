/**
 * Atomic writes (runtime/atomic-file.ts): a write killed with SIGKILL never
 * replaces the good file, and the temporary files such kills leave are
 * removed by the next save or load of the same file — only those of
 * processes no longer running.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFolder, removeStaleTemps, writeFileAtomic, writeProblem } from '../../runtime/atomic-file.js';
import { writeNpy } from '../../runtime/npy.js';
import { readModelFile } from '../../runtime/model-file.js';
import { mlpArtifact } from '../helpers/mlp-artifact.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const temps = (dir: string): string[] => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')).sort();

describe('runtime/atomic-file', () => {
  let dir: string;
  let deadPid: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-atomic-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  before(() => {
    // A process that has exited: its id names no running process.
    deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  });

  it('the next save removes the temporary files of dead writers, and only those', () => {
    const file = path.join(dir, 'net.safetensors');
    const stale = [`.net.safetensors.${deadPid}.0a1b2c3d4e5f.tmp`, `.net.safetensors.${deadPid}.k3x9q.tmp`];
    const kept = [`.net.safetensors.${process.pid}.0a1b2c3d4e5f.tmp`, `.other.safetensors.${deadPid}.0a1b2c.tmp`, `.net.safetensors.notapid.tmp`];
    for (const n of [...stale, ...kept]) fs.writeFileSync(path.join(dir, n), 'partial');
    writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...fs.readFileSync(file)], [1, 2, 3]);
    assert.deepEqual(temps(dir), kept.sort(), 'a live writer and other files are left alone');
  });

  it('loading the file removes them too (loadModel, readModelFile)', () => {
    const { file, dir: mdir } = mlpArtifact(dir);
    const stale = path.join(mdir, `.${path.basename(file)}.${deadPid}.ffff.tmp`);
    fs.writeFileSync(stale, 'partial');
    readModelFile(file);
    assert.equal(fs.existsSync(stale), false);
    assert.deepEqual(removeStaleTemps(path.join(dir, 'missing', 'x')), [], 'a folder that does not exist is no error');
  });

  it('kill -9 during saves: the good file survives, and the next save leaves no temporary file', async function () {
    this.timeout(60_000);
    const file = path.join(dir, 'big.bin');
    const MB = 16;
    writeFileAtomic(file, new Uint8Array(MB * 2 ** 20).fill(7));
    // A child that saves the file over and over (each time filled with a new byte) until killed.
    const child = `
      import { writeFileAtomic } from ${JSON.stringify(path.join(ROOT, 'runtime', 'atomic-file.ts'))};
      for (let i = 1; ; i++) writeFileAtomic(${JSON.stringify(file)}, new Uint8Array(${MB} * 2 ** 20).fill(i % 200 + 10));
    `;
    let leftBehind = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], { cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise((r) => proc.once('exit', r));
      // Kill it while a temporary file is being written.
      const t0 = Date.now();
      while (Date.now() - t0 < 20_000 && !temps(dir).some((n) => n.includes(`.${proc.pid}.`))) await new Promise((r) => setTimeout(r, 2));
      proc.kill('SIGKILL');
      await exited;
      leftBehind += temps(dir).length;
      const bytes = fs.readFileSync(file);
      assert.equal(bytes.length, MB * 2 ** 20, 'the file is whole');
      assert.ok(bytes.every((b) => b === bytes[0]), 'the file is one complete save');
    }
    assert.ok(leftBehind > 0, 'the kills left temporary files behind');
    writeFileAtomic(file, new Uint8Array([1]));
    assert.deepEqual(temps(dir), []);
  });

  it('a write that cannot happen says why in words, naming the path at fault (not EEXIST from mkdir, nor the temporary name)', () => {
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, 'x');
    const folder = path.join(dir, 'folder');
    fs.mkdirSync(folder);
    const bytes = new Uint8Array([1]);
    assert.throws(() => writeFileAtomic(path.join(file, 'x.onnx'), bytes, { what: 'export', mkdir: true }), { message: `export: cannot write '${path.join(file, 'x.onnx')}': '${file}' is a file, not a folder` });
    assert.throws(() => writeFileAtomic(path.join(file, 'sub', 'x.onnx'), bytes, { mkdir: true }), { message: `cannot write '${path.join(file, 'sub', 'x.onnx')}': '${file}' is a file, not a folder` });
    assert.throws(() => writeFileAtomic(path.join(file, 'x.onnx'), bytes), { message: `cannot write '${path.join(file, 'x.onnx')}': '${file}' is a file, not a folder` });
    assert.throws(() => writeFileAtomic(folder, bytes), { message: `cannot write '${folder}': it is a folder` });
    assert.throws(() => writeFileAtomic(path.join(dir, 'none', 'x.onnx'), bytes), { message: `cannot write '${path.join(dir, 'none', 'x.onnx')}': the folder '${path.join(dir, 'none')}' does not exist` });
    assert.deepEqual(temps(dir), []);
    // .npy outputs go through the same words.
    assert.throws(() => writeNpy(path.join(file, 'y.npy'), { dtype: 'float32', shape: [1], data: new Float32Array(1) }), { message: `cannot write '${path.join(file, 'y.npy')}': '${file}' is a file, not a folder` });
    assert.throws(() => writeNpy(folder, { dtype: 'float32', shape: [1], data: new Float32Array(1) }), { message: `cannot write '${folder}': it is a folder` });
    assert.equal(writeProblem(path.join(dir, 'ok'), Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' })), 'permission denied');
  });

  it("makeFolder makes the missing folders level by level, and fails at once where one cannot be made (Node's recursive mkdir spins forever under /proc)", function () {
    this.timeout(90_000);
    const deep = path.join(dir, 'a', 'b', 'c');
    makeFolder(deep);
    assert.ok(fs.statSync(deep).isDirectory());
    makeFolder(deep); // already there
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, 'x');
    assert.throws(() => makeFolder(path.join(file, 'sub')), (e: NodeJS.ErrnoException) => e.code === 'ENOTDIR' || e.code === 'EEXIST');
    if (fs.existsSync('/proc/self')) {
      // A child process, so that a hang fails the test instead of the whole run.
      // 60 s: a child starting tsx on a loaded machine takes seconds; the hang it guards against never ends.
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${path.join(ROOT, 'runtime', 'npy.ts')}').then((m) => m.writeNpy('/proc/gluonc-no/y.npy', { dtype: 'float32', shape: [1], data: new Float32Array(1) })).catch((e) => { console.log(e.message); })`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `status ${r.status} (null: hung) ${r.stderr}`);
      assert.match(r.stdout, /^cannot write '\/proc\/gluonc-no\/y\.npy': /);
      // The folder exists but takes no files: not "the folder '/proc' does not exist".
      assert.throws(() => writeFileAtomic('/proc/gluonc-x.onnx', new Uint8Array([1]), { mkdir: true }), (e: Error) => /^cannot write '\/proc\/gluonc-x\.onnx': /.test(e.message) && !/does not exist/.test(e.message));
    }
  });
});
