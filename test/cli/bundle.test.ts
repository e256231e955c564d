/**
 * The package as `npm run build` makes it: tsc, then cli/bundle.mjs
 * (the build the CLI tests run, test/helpers/cli.ts). Checked from a user's
 * project whose node_modules/gluonc is that build: dist/ holds only the
 * bundle (no compiled module a second copy could be loaded from), the three
 * entry points share one copy of each module, class names are the sources'
 * (blocks take their MXNet names from them), loadModel's worker threads,
 * which start from a bundled chunk's own URL, answer as the main thread,
 * and `gluonc run` and `inspect` of an artifact load no chunk holding a module of compiler/ (esbuild
 * heads each bundled module with a `// <path>` comment).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as sources from 'gluonc';
import { writeNpy } from '../../runtime/index.js';
import { gluonc, sharedBuiltCli, userProject } from '../helpers/cli.js';

/**
 * Every class (a capitalized function with a prototype) among a module's exports and theirs, two levels down (`gluon.nn.Dense`), by path -> its `name`:
 * JavaScript source, run in the child and here alike (a function's own toString would carry tsx's helpers).
 */
const CLASS_NAMES = `function classNames(root) {
  const out = {};
  const walk = (o, path, depth) => {
    if (depth > 2) return;
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'function' && /^[A-Z]/.test(k) && v.prototype) out[path + k] = v.name;
      else if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) walk(v, path + k + '.', depth + 1);
    }
  };
  walk(root, '', 0);
  return out;
}`;
const classNames = new Function(`${CLASS_NAMES}\nreturn classNames;`)() as (root: object) => Record<string, string>;

const CHILD = `
import { loadModel } from 'gluonc/runtime';
import * as runtime from 'gluonc/runtime';
import * as compiler from 'gluonc/compiler';
import * as gluonc from 'gluonc';
${CLASS_NAMES}
const file = process.argv[2];
const x = { dtype: 'float32', shape: [3, 784], data: Float32Array.from({ length: 3 * 784 }, (_v, i) => ((i * 37) % 101) / 50 - 1) };
const here = await loadModel(file, { threads: 1 });
const away = await loadModel(file, { threads: 1, offload: 'worker', workers: 2 });
const runs = [away.run({ x }), away.run({ x })];
const inFlight = away.inFlight;
const [a, b] = await Promise.all(runs);
const want = here.runSync({ x }).output;
await away.close();
await here.close();
console.log(JSON.stringify({
  symbol: gluonc.Symbol === compiler.Symbol,
  golden: compiler.recordGolden === runtime.recordGolden && compiler.checkGolden === runtime.checkGolden,
  names: classNames(gluonc),
  inFlight,
  worker: [a.output, b.output].map((o) => o.data.every((v, i) => Object.is(v, want.data[i])) && o.shape.join() === want.shape.join()),
}));
`;

describe('cli/bundle.mjs: the built package', function () {
  this.timeout(300_000);
  let project = '';
  let built = '';
  before(() => {
    built = sharedBuiltCli().dir;
    project = userProject('gluonc-bundle-');
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(built, join(project, 'node_modules', 'gluonc'));
  });
  after(() => rmSync(project, { recursive: true, force: true }));

  it('dist/ holds the entry points, the CLI and chunks/ as JavaScript: the modules tsc compiled are gone (their .d.ts stay)', () => {
    const files = readdirSync(join(built, 'dist'), { recursive: true }).map(String).map((f) => f.split('\\').join('/'));
    const js = files.filter((f) => f.endsWith('.js'));
    const entries = ['compiler/gluon/index.js', 'compiler/index.js', 'runtime/index.js', 'cli/main.js'];
    assert.deepEqual(js.filter((f) => !f.startsWith('chunks/')).sort(), [...entries].sort());
    assert.ok(js.length < 40, `${js.length} JavaScript files`);
    for (const d of ['compiler/gluon/index.d.ts', 'compiler/index.d.ts', 'runtime/index.d.ts', 'compiler/gluon/block.d.ts']) assert.ok(files.includes(d), d);
  });

  it('gluonc run and inspect of an artifact load the runtime and no module of compiler/; gluonc compile loads the compiler', () => {
    const mlp = join(project, 'mlp-run.onnx');
    assert.equal(gluonc(['compile', join(import.meta.dirname, '..', '..', 'models', 'mlp.ts'), '-o', mlp], { cwd: project }).status, 0);
    writeNpy(join(project, 'x.npy'), { dtype: 'float32', shape: [1, 784], data: new Float32Array(784) });
    // A load hook writing down every file URL the process loads (in the hooks thread; the log is appended to).
    const hook = join(project, 'log-loads.mjs');
    const logger = "import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { if (url.startsWith('file:')) appendFileSync(process.env.GLUONC_TEST_LOADS, url + '\\n'); return next(url, context); }";
    writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(logger)}`)});\n`);
    const bundled = (args: string[]): string[] => {
      const log = join(project, `loads-${args[0]}.txt`);
      rmSync(log, { force: true });
      const r = gluonc(args, { cwd: project, env: { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}`, GLUONC_TEST_LOADS: log } });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(log), `gluonc ${args[0]}: the load hook wrote nothing`);
      const dist = pathToFileURL(join(built, 'dist')).href + '/';
      return readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith(dist)).map((u) => readFileSync(new URL(u), 'utf8'));
    };
    const modules = (texts: string[], folder: string): number => texts.reduce((n, t) => n + (t.match(new RegExp(`^// ${folder}/`, 'gm'))?.length ?? 0), 0);
    for (const args of [['run', mlp, '--input', 'x=x.npy', '-o', join(project, 'out')], ['inspect', mlp]]) {
      const loaded = bundled(args);
      assert.ok(modules(loaded, 'runtime') >= 10, `gluonc ${args[0]} loaded ${modules(loaded, 'runtime')} runtime modules`);
      assert.equal(modules(loaded, 'compiler'), 0, `gluonc ${args[0]} loaded modules of compiler/`);
    }
    const compile = bundled(['compile', join(import.meta.dirname, '..', '..', 'models', 'mlp.ts'), '-o', join(project, 'again.onnx')]);
    assert.ok(modules(compile, 'compiler') >= 100, `gluonc compile loaded ${modules(compile, 'compiler')} compiler modules`);
  });

  it("one copy of each module behind gluonc, gluonc/compiler and gluonc/runtime; the sources' class names; loadModel's workers answer as the main thread", () => {
    const mlp = join(project, 'mlp.onnx');
    const c = gluonc(['compile', join(import.meta.dirname, '..', '..', 'models', 'mlp.ts'), '-o', mlp], { cwd: project });
    assert.equal(c.status, 0, c.stderr);
    writeFileSync(join(project, 'check.mjs'), CHILD);
    const r = spawnSync(process.execPath, ['check.mjs', mlp], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { symbol: boolean; golden: boolean; names: Record<string, string>; inFlight: number; worker: boolean[] };
    assert.equal(got.symbol, true, "gluonc's Symbol is gluonc/compiler's");
    assert.equal(got.golden, true, "gluonc/compiler's recordGolden and checkGolden are gluonc/runtime's");
    const want = classNames(sources);
    assert.ok(Object.keys(want).length > 200, `${Object.keys(want).length} classes`);
    assert.deepEqual(got.names, want);
    assert.equal(got.inFlight, 2, 'both runs went to the workers');
    assert.deepEqual(got.worker, [true, true]);
  });
});
