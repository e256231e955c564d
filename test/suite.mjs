/**
 * `npm test`'s mocha run: every test file, two at a time (`--parallel
 * --jobs 2`), the slowest started first. Mocha's parallel mode hands files to
 * its workers in the order given, so a long file started late finishes alone
 * while the other core idles; started first, the short files fill in around
 * it. SLOWEST is that order (the longest first, from a profile of the whole
 * suite: `npm test -- --profile`, each file's wall time in its worker, its
 * `before` hooks and python fixtures included); the other files follow in
 * path order. A listed file that no longer exists is an error here, so the
 * list cannot go stale silently.
 * Arguments are passed on to mocha (`npm test -- --reporter json ...`), but
 * `--profile[=PATH]`: it writes each file's wall seconds, longest first, to
 * PATH (default test-profile.json) and prints the top 15, to reorder SLOWEST.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The slowest files, longest first: each file's wall seconds (its import, `before` hooks and python fixtures
 * included) from `npm test -- --profile` (test/helpers/profile-hooks.ts), a whole run on the two-core machine
 * (load average 1 to 4 from other work; 482 s of mocha, the two workers busy 479 s each), twenty-fifth session.
 * Files under 4 s there follow in path order.
 */
const SLOWEST = [
  'test/models/zoo.test.ts', // 68
  'test/cli/compile-models.test.ts', // 53
  'test/readme.test.ts', // ~50 (99 for all the README's examples, before readme-second-half.test.ts took half)
  'test/readme-second-half.test.ts', // ~50
  'test/compiler/onnx/torch-vision.test.ts', // 47
  'test/cli/compile.test.ts', // 47
  'test/compiler/onnx/torch-finetune.test.ts', // 42
  'test/compiler/onnx/torch-zoo.test.ts', // 34
  'test/compiler/onnx/import-scatter-include-self.test.ts', // ~40-55 at load 5-9 (qa-scatter2, torch exports in before; not yet profiled)
  'test/cli/model-file.test.ts', // 32
  'test/cli/errors.test.ts', // 27
  'test/helpers/python-server.test.ts', // 25
  'test/compiler/onnx/torch-dynamo-models.test.ts', // 23
  'test/models/examples.test.ts', // 22
  'test/compiler/onnx/backend-generated.test.ts', // 20
  'test/compiler/onnx/torch-dynamic.test.ts', // 18
  'test/cli/compile-train-outputs.test.ts', // 16
  'test/models/opsets.test.ts', // 15
  'test/compiler/ops/scatter-reduce-include-self.test.ts', // ~15 at load 5-9 (qa-scatter2; not yet profiled)
  'test/models/bert.test.ts', // 15
  'test/cli/import.test.ts', // 14
  'test/cli/commands.test.ts', // 12
  'test/models/zoo-files.test.ts', // 11
  'test/compiler/ops/opsets.test.ts', // 10
  'test/cli/hints.test.ts', // 10
  'test/helpers/suite-tools.test.ts', // 10
  'test/compiler/passes/property.test.ts', // 9
  'test/runtime/serve.test.ts', // 9
  'test/compiler/ops/ops.test.ts', // 9
  'test/models/examples/estimator-mnist.test.ts', // 9
  'test/compiler/codecs/image-formats.test.ts', // 9
  'test/compiler/onnx/backend.test.ts', // 8
  'test/models/examples/train-gpt.test.ts', // 7
  'test/compiler/gluon/rnn/rnn-artifact.test.ts', // 7
  'test/models/examples/tree-lstm.test.ts', // 7
  'test/helpers/seed.test.ts', // 7
  'test/models/examples/super-resolution.test.ts', // 7
  'test/models/examples/lstm-crf.test.ts', // 6
  'test/models/examples/word-language-model.test.ts', // 6
  'test/compiler/autodiff/step-reference.test.ts', // 6
  'test/models/bert-pretrain.test.ts', // 6
  'test/models/examples/learning-rate-manipulation.test.ts', // 5
  'test/compiler/ops/grad.test.ts', // 5
  'test/runtime/ort-telemetry.test.ts', // 5
  'test/cli/source-errors.test.ts', // 5
  'test/compiler/onnx/grid-sample-grad.test.ts', // 5
  'test/compiler/onnx/import-ml.test.ts', // 4
  'test/compiler/onnx/exported-constants.test.ts', // 4
  'test/runtime/atomic-file.test.ts', // 4
];

/** Every `*.test.ts` under test/, repository-relative with forward slashes, in path order. */
function testFiles() {
  const dir = join(ROOT, 'test');
  return readdirSync(dir, { recursive: true })
    .map((f) => relative(ROOT, join(dir, String(f))).split('\\').join('/'))
    .filter((f) => f.endsWith('.test.ts') && !f.split('/').some((part) => part.startsWith('.')))
    .sort();
}

const all = testFiles();
const missing = SLOWEST.filter((f) => !existsSync(join(ROOT, f)) || !all.includes(f));
if (missing.length) {
  console.error(`test/suite.mjs: SLOWEST lists files that are not test files: ${missing.join(', ')}`);
  process.exit(2);
}
const files = [...SLOWEST, ...all.filter((f) => !SLOWEST.includes(f))];

// `--profile[=PATH]`: each file's wall seconds (test/helpers/profile-hooks.ts), longest first, into PATH.
const args = process.argv.slice(2);
const profileArg = args.find((a) => a === '--profile' || a.startsWith('--profile='));
const profile = profileArg && resolve(ROOT, profileArg.includes('=') ? profileArg.slice('--profile='.length) : 'test-profile.json');
const mochaArgs = args.filter((a) => a !== profileArg);
// The package build the CLI tests run (test/helpers/cli.ts): made once here by the first worker to need it.
const buildDir = mkdtempSync(join(tmpdir(), 'gluonc-suite-build-'));
const env = { ...process.env, GLUONC_TEST_BUILD_DIR: buildDir };
if (profile) {
  env.GLUONC_TEST_PROFILE = `${profile}.jsonl`;
  rmSync(env.GLUONC_TEST_PROFILE, { force: true });
  mochaArgs.unshift('--require', 'test/helpers/profile-hooks.ts');
}
const mocha = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const started = performance.now();
const loadBefore = loadavg();
const r = spawnSync(process.execPath, [mocha, '--parallel', '--jobs', '2', ...mochaArgs, ...files], { cwd: ROOT, stdio: 'inherit', env });
rmSync(buildDir, { recursive: true, force: true });
if (r.error) throw r.error;
if (profile) {
  const lines = existsSync(env.GLUONC_TEST_PROFILE) ? readFileSync(env.GLUONC_TEST_PROFILE, 'utf8').split('\n').filter(Boolean) : [];
  const times = lines.map((l) => JSON.parse(l)).sort((a, b) => b.seconds - a.seconds);
  const wallSeconds = +((performance.now() - started) / 1000).toFixed(1);
  const load = { before: loadBefore, after: loadavg() };
  writeFileSync(profile, JSON.stringify({ wallSeconds, jobs: 2, loadAverage: load, files: times }, null, 1) + '\n');
  rmSync(env.GLUONC_TEST_PROFILE, { force: true });
  const fmt = (l) => l.map((v) => v.toFixed(2)).join(' ');
  console.log(`\nprofile: ${times.length} files, ${wallSeconds} s wall, load average ${fmt(load.before)} before, ${fmt(load.after)} after; ${relative(ROOT, profile)}`);
  for (const t of times.slice(0, 15)) console.log(`${t.seconds.toFixed(1).padStart(7)} s  ${t.file}`);
}
process.exit(r.status ?? 1);
