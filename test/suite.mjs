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
 * shared with four other helpers' work, twenty-sixth session (load average 7.7 to 12: 2060 s of mocha, the two
 * workers busy 2041 and 2045 s, every file some 3 to 5 times its time on a quiet machine; the order is what
 * counts here). Files under 12 s there follow in path order.
 */
const SLOWEST = [
  'test/models/zoo.test.ts', // 361
  'test/compiler/onnx/torch-finetune.test.ts', // 298
  'test/compiler/onnx/torch-vision.test.ts', // 293
  'test/compiler/onnx/torch-zoo.test.ts', // 230
  'test/cli/compile-models.test.ts', // 214
  'test/cli/compile.test.ts', // 200
  'test/compiler/onnx/backend-generated.test.ts', // 145
  'test/compiler/onnx/torch-dynamo-models.test.ts', // 124
  'test/readme-second-half.test.ts', // 115
  'test/compiler/onnx/torch-dynamic.test.ts', // 101
  'test/compiler/ops/opsets.test.ts', // 96
  'test/readme.test.ts', // 95
  'test/models/examples.test.ts', // 88
  'test/models/opsets.test.ts', // 87
  'test/cli/errors.test.ts', // 85
  'test/cli/model-file.test.ts', // 69
  'test/models/bert.test.ts', // 67
  'test/models/zoo-files.test.ts', // 59
  'test/cli/compile-train-outputs.test.ts', // 58
  'test/package.test.ts', // 54 (npx's first link of the package timed out at 60 s under that load; ~6 s otherwise)
  'test/compiler/onnx/import-scatter-include-self.test.ts', // 53
  'test/cli/hints.test.ts', // 51
  'test/compiler/ops/ops.test.ts', // 50
  'test/helpers/python-server.test.ts', // 49
  'test/cli/commands.test.ts', // 46
  'test/compiler/passes/property.test.ts', // 38
  'test/runtime/serve.test.ts', // 37
  'test/models/examples/estimator-mnist.test.ts', // 37
  'test/compiler/onnx/backend.test.ts', // 32
  'test/models/examples/lstm-crf.test.ts', // 30
  'test/compiler/codecs/image-formats.test.ts', // 28
  'test/models/examples/train-gpt.test.ts', // 27
  'test/cli/import.test.ts', // 27
  'test/compiler/gluon/rnn/rnn-artifact.test.ts', // 27
  'test/helpers/suite-tools.test.ts', // 27
  'test/models/examples/super-resolution.test.ts', // 26
  'test/models/examples/house-prices.test.ts', // 25
  'test/compiler/ops/scatter-reduce-include-self.test.ts', // 25
  'test/models/examples/tree-lstm.test.ts', // 22
  'test/helpers/seed.test.ts', // 16
  'test/models/d2l-seq2seq.test.ts', // 16
  'test/runtime/load-model.test.ts', // 15
  'test/models/examples/word-language-model.test.ts', // 15
  'test/models/d2l-transformer.test.ts', // 15
  'test/models/gpt.test.ts', // 15
  'test/runtime/malloc-thresholds.test.ts', // 14
  'test/compiler/ops/multibox-target-lower.test.ts', // 14
  'test/models/d2l-nlp.test.ts', // 13
  'test/models/bert-pretrain.test.ts', // 12
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
