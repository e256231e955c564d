/**
 * User errors: every one exits 1 with ONE stderr line `gluonc: ...` that
 * names the problem, and no stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeNpy, tensorFromNumbers } from '../../runtime/index.js';
import { readJsonTensor } from '../../cli/feeds.js';
import { gluonc, oneLineError, userProject } from '../helpers/cli.js';

describe('cli/errors', function () {
  this.timeout(120_000);
  let dir: string;
  let mlp: string;
  before(() => {
    dir = userProject('gluonc-errors-');
    mlp = join(dir, 'mlp.onnx');
    const r = gluonc(['compile', 'models/mlp.ts', '-o', mlp]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('missing file', () => {
    assert.match(oneLineError(gluonc(['compile', 'models/nope.ts'])), /'models\/nope\.ts': no such file/);
    assert.match(oneLineError(gluonc(['inspect', join(dir, 'nope.onnx')])), /nope\.onnx': no such file/);
    assert.match(oneLineError(gluonc(['run', mlp, '--input', `x=${join(dir, 'nope.npy')}`])), /nope\.npy': no such file/);
  });

  it('model file without a default export', () => {
    const f = join(dir, 'nodefault.ts');
    writeFileSync(f, "export const inputs = { x: { shape: ['N', 2] } };\n");
    assert.match(oneLineError(gluonc(['compile', f])), /nodefault\.ts' has no default export/);
  });

  it('model file whose default is not a block, and one that throws while loading', () => {
    const f = join(dir, 'notblock.ts');
    writeFileSync(f, "export default () => 42;\nexport const inputs = { x: { shape: ['N', 2] } };\n");
    assert.match(oneLineError(gluonc(['compile', f])), /must be a gluon block or a function returning one, got a number/);
    const g = join(dir, 'throws.ts');
    writeFileSync(g, "throw new Error('boom in the model file');\n");
    assert.match(oneLineError(gluonc(['compile', g])), /throws\.ts': boom in the model file/);
  });

  it('bad --input', () => {
    assert.match(oneLineError(gluonc(['compile', 'models/mlp.ts', '--input', 'x-float32'])), /bad --input 'x-float32': expected name:dtype\[dims\]/);
    assert.match(oneLineError(gluonc(['compile', 'models/mlp.ts', '--input', 'x:float99[N,784]'])), /unknown dtype 'float99'/);
    assert.match(oneLineError(gluonc(['compile', 'models/mlp.ts', '--input', 'x:float32[N,7.5]'])), /dimension '7\.5'/);
    assert.match(oneLineError(gluonc(['compile', 'models/mlp.ts', '--input', 'y:float32[N,784]'])), /has no input 'y' \(its inputs: x\)/);
    assert.match(oneLineError(gluonc(['run', mlp, '--input', `y=${join(dir, 'x.npy')}`])), /has no input 'y'/);
  });

  it('a ragged or out-of-range .json input is refused naming the file, never reshaped or wrapped', () => {
    // Ragged lists whose element count happens to match [2, 784]: numpy refuses them (inhomogeneous shape).
    const ragged = join(dir, 'ragged.json');
    const r = Array.from({ length: 784 }, (_v, i) => i / 784);
    writeFileSync(ragged, JSON.stringify([r, [...r.slice(0, 783), [r[783]]]]));
    assert.match(oneLineError(gluonc(['run', mlp, '--input', `x=${ragged}`, '-o', join(dir, 'out-ragged')])), /ragged\.json': nested lists are ragged \(a list where a number belongs, at depth 2\)/);
    const deep = join(dir, 'deep.json');
    writeFileSync(deep, JSON.stringify([[[1, 2]], [3, 4]]));
    assert.throws(() => readJsonTensor(deep, 'float32'), /deep\.json': nested lists are ragged \(a list of 2 where the first at depth 1 holds 1\)/);
    // Integer dtypes take only the values they hold (numpy's iinfo ranges); the range edges pass.
    const i8 = join(dir, 'i8.json');
    writeFileSync(i8, JSON.stringify({ dtype: 'int8', shape: [2], data: [-128, 127] }));
    assert.deepEqual([...readJsonTensor(i8, 'float32').data], [-128, 127]);
    writeFileSync(i8, JSON.stringify({ dtype: 'int8', shape: [2], data: [1, 128] }));
    assert.throws(() => readJsonTensor(i8, 'float32'), /i8\.json': element 1 \(128\) is out of the range of int8 \[-128, 127\]/);
    const u8 = join(dir, 'u8.json');
    writeFileSync(u8, JSON.stringify([[0.5, 2]]));
    assert.throws(() => readJsonTensor(u8, 'uint8'), /u8\.json': element 0 \(0\.5\) is not an integer \(uint8\)/);
  });

  it('wrong input shape', () => {
    const f = join(dir, 'x.npy');
    writeFileSync(f, encodeNpy(tensorFromNumbers('float32', [2, 10], new Array(20).fill(1))));
    assert.match(oneLineError(gluonc(['run', mlp, '--input', `x=${f}`])), /input 'x' .* has shape \[2, 10\], but the artifact expects float32 \[N, 784\]/);
    const g = join(dir, 'xi.npy');
    writeFileSync(g, encodeNpy(tensorFromNumbers('int32', [1, 784], new Array(784).fill(1))));
    assert.match(oneLineError(gluonc(['run', mlp, '--input', `x=${g}`])), /is int32 \[1, 784\], but the artifact expects float32/);
    // A model traced with an input shape it cannot take.
    assert.match(oneLineError(gluonc(['compile', 'models/seed/fourier-half.ts', '--input', 'x:float32[N,M]'])), /fourier-half\.ts'.*last dimension must be known/);
  });

  it('corrupt or truncated .onnx', () => {
    const bytes = readFileSync(mlp);
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not an onnx model at all, just text\n'.repeat(20)));
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    for (const f of [truncated, corrupt, empty]) {
      for (const args of [['inspect', f], ['run', f, '--input', 'x=x.npy'], ['bench', f], ['golden', 'record', f, '--dir', join(dir, 'g')], ['golden', 'check', f, '--dir', join(dir, 'g')]]) {
        const line = oneLineError(gluonc(args));
        assert.match(line, /refused: (the file is truncated|not an ONNX model: the file is text|the file is empty)/, `${args.join(' ')}: ${line}`);
        assert.ok(line.includes(f), line);
      }
    }
  });

  it('unknown option, unknown command, missing argument', () => {
    assert.match(oneLineError(gluonc(['compile', 'models/mlp.ts', '--bogus'])), /unknown option '--bogus' \(see gluonc compile --help\)/);
    assert.match(oneLineError(gluonc(['frobnicate'])), /unknown command 'frobnicate'/);
    assert.match(oneLineError(gluonc(['golden', 'check'])), /missing required argument 'artifact' \(see gluonc golden check --help\)/);
    assert.match(oneLineError(gluonc(['bench', mlp, '--batch', 'zero'])), /bad --batch 'zero'/);
    assert.match(oneLineError(gluonc(['run', mlp, '--input', 'x=x.npy', '--device', 'tpu'])), /bad --device 'tpu'/);
  });

  it('a model file that would load as CommonJS', () => {
    const cjsDir = mkdtempSync(join(tmpdir(), 'gluonc-cjs-'));
    try {
      const f = join(cjsDir, 'm.ts');
      writeFileSync(f, 'export default 1;\n');
      assert.match(oneLineError(gluonc(['compile', f])), /would load as CommonJS.*"type": "module".*\.mts/);
    } finally {
      rmSync(cjsDir, { recursive: true, force: true });
    }
  });

  it('an output path under a file, or a folder given as the artifact, names the path at fault (compile, run, import, golden)', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'not a folder');
    const x = join(dir, 'x1.npy');
    writeFileSync(x, encodeNpy(tensorFromNumbers('float32', [1, 784], new Array(784).fill(0.5))));
    const under = `'${file}' is a file, not a folder`;
    assert.ok(oneLineError(gluonc(['compile', 'models/mlp.ts', '-o', join(file, 'mlp.onnx')])).endsWith(`cannot write '${join(file, 'mlp.onnx')}': ${under}`));
    assert.ok(oneLineError(gluonc(['compile', 'models/mlp.ts', '-o', dir])).endsWith(`cannot write '${dir}': it is a folder`));
    assert.ok(oneLineError(gluonc(['run', mlp, '--input', `x=${x}`, '-o', file])).endsWith(`cannot write '${join(file, 'output.npy')}': ${under}`));
    const imp = oneLineError(gluonc(['import', 'test/fixtures/onnx/mlp/model.onnx', '-o', file]));
    assert.ok(imp.endsWith(`cannot write '${join(file, 'model.safetensors')}': ${under}`), imp);
    assert.ok(oneLineError(gluonc(['golden', 'record', mlp, '--dir', join(file, 'g')])).endsWith(`cannot write '${join(file, 'g', 'input-x.npy')}': ${under}`));
  });
});
