/**
 * Model files and what `compile` does with them (issue 12, items 13 and 14):
 * the README's recipe for compiling trained parameters (a `params` export)
 * works as written and gives the trained weights; `compile` says when it
 * replaces a file it did not write itself from the same model file; a block
 * class that needs constructor arguments gets a hint to export a function.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { onnx, fromTensorProto } from '../../compiler/onnx/proto.js';
import { tensorToNumbers } from '../../runtime/index.js';
import { gluonc, oneLineError, ROOT, SOURCE_CLI, userProject } from '../helpers/cli.js';
import { mergeInputs, paramsPath, parseInputOption } from '../../cli/model-file.js';

/** The initializers of an ONNX file by name, as flat numbers. */
function initializers(file: string): Map<string, number[]> {
  const m = onnx.ModelProto.decode(readFileSync(file));
  return new Map(m.graph!.initializer!.map((t) => [t.name!, tensorToNumbers(fromTensorProto(t))]));
}

/** The README's sh block that holds `marker`. */
function readmeShell(marker: string): string {
  const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const block = blocks.find((b) => b.includes(marker));
  assert.ok(block, `README has no sh block with ${marker}`);
  return block;
}

describe('cli/model-file', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => {
    dir = userProject('gluonc-model-file-');
    symlinkSync(join(ROOT, 'models'), join(dir, 'models'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the README's trained-parameters recipe compiles the trained weights, and says it replaced net.export's file", () => {
    // The README's commands as written, with `npx` run from this repository (its sources) and a short training run.
    const script = readmeShell('mlp-trained.ts').replace('npx tsx models/train-mnist.ts', 'npx tsx models/train-mnist.ts --epochs 1 --limit 256');
    const shim = [
      'npx() {',
      `  if [ "$1" = gluonc ]; then shift; "${process.execPath}" ${SOURCE_CLI.map((a) => `"${a}"`).join(' ')} "$@";`,
      `  elif [ "$1" = tsx ]; then shift; "${process.execPath}" --conditions=gluonc-source --import "${join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')}" "$@";`,
      '  else return 127; fi',
      '}',
      'set -e',
    ].join('\n');
    const r = spawnSync('bash', ['-c', `${shim}\n${script}\nnpx gluonc compile mlp-trained.ts -o mlp.onnx`], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(r.status, 0, r.stderr);
    const trained = nd.load(join(dir, 'mlp.params')) as Record<string, nd.NDArray>;
    const names = Object.keys(trained).sort();
    assert.deepEqual(names, ['0.bias', '0.weight', '1.bias', '1.weight', '2.bias', '2.weight']);
    for (const file of ['mlp-trained.onnx', 'mlp.onnx']) {
      const w = initializers(join(dir, file));
      for (const n of names) assert.deepEqual(w.get(n), Array.from(trained[n]!.data() as Float32Array), `${file}: ${n}`);
    }
    // The last command replaced train-mnist's net.export artifact, and said so (once, on stderr).
    const notices = r.stderr.split('\n').filter((l) => l.startsWith('gluonc: replaced'));
    assert.deepEqual(notices, [
      "gluonc: replaced 'mlp.onnx' (written by net.export, perhaps with trained weights) with 'mlp-trained.ts' and the parameters of 'mlp.params'; to compile trained parameters, export 'params' from the model file (see the README), or write elsewhere with -o",
    ]);
  });

  it('compile is silent over its own earlier output, and names what it replaces otherwise', () => {
    const out = join(dir, 'own.onnx');
    for (let i = 0; i < 2; i++) {
      const r = gluonc(['compile', 'models/mlp.ts', '-o', out], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '', `run ${i + 1}`);
    }
    // With --train too: the training artifact records its model file as the inference one does.
    for (let i = 0; i < 2; i++) {
      const r = gluonc(['compile', 'models/mlp.ts', '--train', '-o', join(dir, 'own-t.onnx')], { cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '', `--train run ${i + 1}`);
    }
    const other = gluonc(['compile', 'models/lenet.ts', '-o', out], { cwd: dir });
    assert.equal(other.status, 0, other.stderr);
    assert.match(other.stderr, /^gluonc: replaced '.*own\.onnx' \(compiled from 'mlp\.ts'\) with 'models\/lenet\.ts' and seeded random weights;/);
    writeFileSync(join(dir, 'notes.onnx'), 'my notes');
    const text = gluonc(['compile', 'models/mlp.ts', '-o', 'notes.onnx'], { cwd: dir });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stderr, /^gluonc: replaced 'notes\.onnx' \(not an ONNX artifact\)/);
  });

  it('a block class whose constructor needs arguments: the hint to export a function', () => {
    const f = join(dir, 'needs-args.ts');
    writeFileSync(
      f,
      [
        "import { gluon } from 'gluonc';",
        "export const inputs = { x: { shape: ['N', 2] } };",
        'export default class Net extends gluon.nn.HybridSequential {',
        '  constructor(units: number) { super(); this.add(new gluon.nn.Dense(units)); }',
        '}',
      ].join('\n'),
    );
    const line = oneLineError(gluonc(['compile', f], { cwd: dir }));
    assert.match(line, /needs-args\.ts': .*units.* \(Net was constructed without arguments, though its constructor takes 1 argument; to pass them, export a function that builds the block: export default \(\) => new Net\(\.\.\.\)\)$/);
    // A class whose parameters cannot be set up without arguments (shape [0, 0]) gets the same hint.
    const g = join(dir, 'zero-shape.ts');
    writeFileSync(
      g,
      [
        "import { gluon } from 'gluonc';",
        "export const inputs = { x: { shape: ['N', 2] } };",
        'export default class Odd extends gluon.HybridBlock {',
        '  w: gluon.Parameter;',
        "  constructor(units?: number) { super(); this.w = this.params.get('weight', { shape: [units ?? 0, 0] }); }",
        '  override hybridForward(F: gluon.F, x: gluon.Tensor, w: gluon.Tensor) { return F.dot(x, w); }',
        '}',
      ].join('\n'),
    );
    assert.match(oneLineError(gluonc(['compile', g], { cwd: dir })), /weight.*\(Odd was constructed without arguments, though its constructor takes 1 argument; to pass them, export a function/);
    // A class that needs nothing still compiles.
    const h = join(dir, 'no-args.ts');
    writeFileSync(h, ["import { gluon } from 'gluonc';", "export const inputs = { x: { shape: ['N', 2] } };", 'export default class Two extends gluon.nn.Dense { constructor() { super(2, { inUnits: 2 }); } }'].join('\n'));
    assert.equal(gluonc(['compile', h, '-o', join(dir, 'two.onnx')], { cwd: dir }).status, 0);
  });

  it('a model file whose input is a list (a block called with [h, c]): compile refuses it naming the input, as neither inputs nor --input can nest', () => {
    const own = { x: { shape: ['N', 3] }, state: [{ shape: ['N', 2] }, { shape: ['N', 2] }] } as never;
    assert.throws(() => mergeInputs('m.ts', own, []), /^UserError: 'm\.ts': input 'state' is a list of 2; compile's inputs are single tensors .*cannot express a block called with a list \(forward\(x, \[h, c\]\)\)/);
    const f = join(dir, 'list-input.ts');
    writeFileSync(
      f,
      [
        "import { gluon, np } from 'gluonc';",
        "export const inputs = { x: { shape: ['N', 3] }, state: [{ shape: ['N', 2] }, { shape: ['N', 2] }] };",
        'class Dec extends gluon.HybridBlock {',
        '  fc = new gluon.nn.Dense(2, { inUnits: 3 });',
        '  override forward(x: any, state: any[]) { return np.add(np.multiply(this.fc.call(x), state[0]), state[1]); }',
        '}',
        'export default () => new Dec();',
      ].join('\n'),
    );
    const r = gluonc(['compile', f, '-o', join(dir, 'list.onnx')], { cwd: dir });
    assert.equal(r.status, 1, r.stderr);
    assert.match(oneLineError(r), /list-input\.ts': input 'state' is a list of 2; compile's inputs are single tensors/);
  });

  it('--input: a name given twice is refused (the last one silently won), as run refuses it', () => {
    const own = { x: { shape: ['N', 4], dtype: 'float32' as const } };
    assert.throws(() => mergeInputs('m.ts', own, ['x:float32[N,4]', 'x:float32[2,4]']), /^UserError: bad --input 'x:float32\[2,4\]': input 'x' is given twice$/);
    assert.throws(() => mergeInputs('m.ts', undefined, ['a:float32[2]', ' a:int32[3]']), /input 'a' is given twice/);
    // The whole spec is quoted when the model has no such input.
    assert.throws(() => mergeInputs('m.ts', own, ['y:float32[N,4]']), /^UserError: bad --input 'y:float32\[N,4\]': 'm\.ts' has no input 'y' \(its inputs: x\)$/);
    assert.deepEqual(mergeInputs('m.ts', own, ['x:float32[ N , 5 ]']), { x: { dtype: 'float32', shape: ['N', 5] } });
    // Each refused for its own reason (the prefix alone would pass a spec refused for another one).
    const form = 'expected name:dtype[dims], e.g. --input x:float32[N,784]';
    const dim = (d: string) => `dimension '${d}' is neither a positive integer nor a symbolic name`;
    const bad: [string, string][] = [
      ['x:float33[2]', "unknown dtype 'float33' (one of float32, "], ['x:float32[2,', form], ['x:[N]', form], [':float32[2]', form],
      ['x:float32[2,,3]', dim('')], ['x:float32[-1]', dim('-1')], ['x:float32[1.5]', dim('1.5')], ['x:float32[0,4]', dim('0')],
    ];
    for (const [spec, why] of bad) {
      assert.throws(() => parseInputOption(spec), (e: Error) => e.name === 'UserError' && e.message.startsWith(`bad --input '${spec}': ${why}`), spec);
    }
  });

  it('a default export that is an async function is awaited (it said "got an object of class Promise"); a rejection is one line', () => {
    const f = join(dir, 'async-build.ts');
    writeFileSync(f, ["import { gluon } from 'gluonc';", "export const inputs = { x: { shape: ['N', 2] } };", 'export default async () => new gluon.nn.Dense(3, { inUnits: 2 });'].join('\n'));
    const r = gluonc(['compile', f, '-o', join(dir, 'async-build.onnx')], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /outputs output float32 \[N, 3\]/);
    const g = join(dir, 'async-reject.ts');
    writeFileSync(g, ["export const inputs = { x: { shape: ['N', 2] } };", "export default async () => { throw new Error('no weights here'); };"].join('\n'));
    assert.match(oneLineError(gluonc(['compile', g], { cwd: dir })), /async-reject\.ts': no weights here$/);
  });

  it("a params export that is a file: URL is loaded; one of another kind is refused (both compiled seeded random weights silently)", () => {
    const base = ["import { gluon } from 'gluonc';", "export const inputs = { x: { shape: ['N', 2] } };", 'export default () => new gluon.nn.Dense(3, { inUnits: 2 });'];
    const f = join(dir, 'params-url.ts');
    writeFileSync(f, [...base, "export const params = new URL('./no-such.params', import.meta.url);"].join('\n'));
    assert.match(oneLineError(gluonc(['compile', f, '-o', join(dir, 'params-url.onnx')], { cwd: dir })), /params-url\.ts': .*no-such\.params/);
    const g = join(dir, 'params-number.ts');
    writeFileSync(g, [...base, 'export const params = 42;'].join('\n'));
    const line = oneLineError(gluonc(['compile', g, '-o', join(dir, 'params-number.onnx')], { cwd: dir }));
    assert.ok(line.endsWith("params-number.ts': the 'params' export must be a parameter file's path (relative to the model file) or a file: URL, got a number"), line);
    // The other kinds in-process (the rule the CLI ran above; a CLI start costs seconds).
    const must = "the 'params' export must be a parameter file's path (relative to the model file) or a file: URL, got";
    for (const [value, got] of [[['a.params'], 'a list'], ['', 'an empty string'], [new URL('https://example.com/a.params'), "the URL 'https://example.com/a.params'"], [null, 'null']] as const) {
      assert.throws(() => paramsPath('m/m.ts', value), (e: Error) => e.name === 'UserError' && e.message === `'m/m.ts': ${must} ${got}`, String(value));
    }
    assert.equal(paramsPath(join(dir, 'm.ts'), 'w/a.params'), join(dir, 'w', 'a.params'), 'relative to the model file');
    assert.equal(paramsPath('m.ts', new URL('file:///tmp/a.params')), '/tmp/a.params');
    assert.equal(paramsPath('m.ts', undefined), undefined);
  });
});
