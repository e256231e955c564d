/**
 * Every command that reads an artifact (`run`, `inspect`, `golden record`,
 * `golden check`, `bench`, `serve`) goes through the checks `loadModel`
 * makes (runtime/open-model.ts) and says the same one line about the same
 * hostile file; onnxruntime never prints its own logs (a run that fails
 * inside onnxruntime is one `gluonc:` line too).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { onnx as OnnxNs } from 'onnx-proto';
import { runBench } from '../../cli/commands/bench.js';
import { goldenCheck, goldenRecord } from '../../cli/commands/golden.js';
import { inspectTarget } from '../../cli/commands/inspect.js';
import { runRun } from '../../cli/commands/run.js';
import { runServe } from '../../cli/commands/serve.js';
import { reportError } from '../../cli/errors.js';
import { encodeNpy, loadModel, tensorFromNumbers } from '../../runtime/index.js';
import { gluonc, oneLineError } from '../helpers/cli.js';

const { onnx } = createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxNs };

const vi = (name: string, dims: (number | string)[]): OnnxNs.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
});

function model(o: { ir?: number; nodes?: OnnxNs.INodeProto[]; initializer?: OnnxNs.ITensorProto[]; manifest?: object } = {}): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: o.ir ?? 8,
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: o.manifest ? [{ key: 'gluonc.manifest', value: JSON.stringify(o.manifest) }] : [],
    graph: { name: 'g', node: o.nodes ?? [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [vi('x', ['N', 3])], output: [vi('y', ['N', 3])], initializer: o.initializer ?? [] },
  }).finish();
}

/** The line the CLI prints for an error. */
async function line(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    let out = '';
    assert.equal(reportError(e, (s) => (out += s)), 1);
    return out.trim();
  }
  throw new Error('expected an error');
}

describe('cli: one check path for every command reading an artifact', function () {
  this.timeout(120_000);
  let dir: string;
  const files: Record<string, [string, RegExp]> = {};
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gluonc-checks-'));
    const write = (name: string, bytes: Uint8Array | string, why: RegExp): void => {
      writeFileSync(join(dir, name), bytes);
      files[name] = [join(dir, name), why];
    };
    write('ir1.onnx', model({ ir: 1 }), /refused: IR version 1 is older than onnxruntime-node can run/);
    write('ir99.onnx', model({ ir: 99 }), /refused: IR version 99 is newer than onnxruntime-node can run/);
    write('cyclic.onnx', model({ nodes: [{ name: 'a', opType: 'Add', input: ['x', 'b'], output: ['a'] }, { opType: 'Relu', input: ['a'], output: ['b'] }, { opType: 'Relu', input: ['a'], output: ['y'] }] }), /refused: the graph has a cycle through node 'a' \(Add\)/);
    write(
      'passwd.onnx',
      model({ nodes: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }], initializer: [{ name: 'w', dataType: 1, dims: [3], dataLocation: 1, externalData: [{ key: 'location', value: '/etc/passwd' }] }] }),
      /refused: tensor 'w' has external data at the absolute path '\/etc\/passwd'/,
    );
    write('text.onnx', 'name: not a model\n', /refused: not an ONNX model: the file is text/);
    write(
      'contradicts.onnx',
      model({ manifest: { format: 1, inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 784] }], outputs: [{ name: 'y', dtype: 'float32', shape: ['N', 3] }], params: [] } }),
      /refused: the manifest declares input 'x' as float32 \[N, 784\] but the graph's is float32 \[N, 3\]/,
    );
    writeFileSync(join(dir, 'x.npy'), encodeNpy(tensorFromNumbers('float32', [1, 3], [1, 2, 3])));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('run, inspect, golden, bench and serve say what loadModel says', async () => {
    for (const [name, [file, why]] of Object.entries(files)) {
      const expected = await line(() => loadModel(file));
      assert.match(expected, why, name);
      assert.equal(expected, `gluonc: ${((await loadModel(file).catch((e: unknown) => e)) as Error).message}`);
      const commands: Record<string, () => unknown> = {
        run: () => runRun(file, { input: [`x=${join(dir, 'x.npy')}`], device: 'cpu', output: dir }, () => undefined),
        inspect: () => inspectTarget(file),
        'golden record': () => goldenRecord(file, { dir: join(dir, 'g'), device: 'cpu' }, () => undefined),
        'golden check': () => goldenCheck(file, { dir: join(dir, 'g'), device: 'cpu' }, () => undefined),
        bench: () => runBench(file, { batch: '1', iterations: '1', warmup: '0', device: 'cpu' }, () => undefined),
        serve: () => runServe(file, { port: '0', host: '127.0.0.1', batching: true }),
      };
      for (const [cmd, f] of Object.entries(commands)) assert.equal(await line(f), expected, `${cmd} ${name}`);
    }
  });

  it('the CLI exits 1 with that one line; a run failing inside onnxruntime prints no onnxruntime log', () => {
    const [file, why] = files['cyclic.onnx']!;
    assert.match(oneLineError(gluonc(['inspect', file])), why);
    const reshape = join(dir, 'reshape.onnx');
    writeFileSync(
      reshape,
      model({ nodes: [{ opType: 'Reshape', input: ['x', 's'], output: ['y'] }], initializer: [{ name: 's', dataType: 7, dims: [1], int64Data: [5] }] }),
    );
    const r = gluonc(['run', reshape, '--input', `x=${join(dir, 'x.npy')}`, '-o', dir]);
    assert.match(oneLineError(r), /gluonc: running '.*reshape\.onnx': .*Reshape/);
    assert.doesNotMatch(r.stderr, /\[E:onnxruntime|\x1b\[/);
  });
});
