/**
 * `npm test`'s mocha run: every test file, two at a time (`--parallel
 * --jobs 2`), the slowest started first. Mocha's parallel mode hands files to
 * its workers in the order given, so a long file started late finishes alone
 * while the other core idles; started first, the short files fill in around
 * it. SLOWEST is that order (the longest first, from a profile of the whole
 * suite: mocha's json reporter, durations summed per file, fixtures made in
 * `before` counted); the other files follow in path order. A listed file that
 * no longer exists is an error here, so the list cannot go stale silently.
 * Arguments are passed on to mocha (`npm test -- --reporter json ...`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The slowest files, longest first (seconds of a loaded two-core run, twenty-third session, after qa-citime). */
const SLOWEST = [
  'test/readme.test.ts', // ~185
  'test/cli/compile.test.ts', // ~105
  'test/compiler/onnx/backend.test.ts', // ~90
  'test/compiler/onnx/backend-generated.test.ts', // ~50, and python's generation of the cases in before
  'test/compiler/ops/ops.test.ts', // ~60
  'test/models/bert.test.ts', // ~50
  'test/models/d2l-nlp.test.ts', // ~45
  'test/cli/errors.test.ts', // ~45
  'test/models/d2l-transformer.test.ts', // ~45
  'test/models/examples.test.ts', // ~35
  'test/compiler/gluon/rnn/rnn-grad-torch.test.ts', // ~35
  'test/compiler/formats/mxnet-rnn-export.test.ts', // ~30
  'test/compiler/onnx/torch-zoo.test.ts', // ~30, and the torch exports in before
  'test/models/zoo-files.test.ts', // ~30
  'test/runtime/narrow.test.ts', // ~30
  'test/compiler/ops/grad.test.ts', // ~30
  'test/compiler/gluon/loss/ctc-loss.test.ts', // ~30
  'test/compiler/gluon/rnn/sym-cell-fused.test.ts', // ~28
  'test/cli/model-file.test.ts', // ~27
  'test/models/examples/lstm-crf.test.ts', // ~26
  'test/compiler/formats/mxnet-export.test.ts', // ~25
  'test/models/examples/super-resolution.test.ts', // ~24
  'test/compiler/onnx/torch-vision.test.ts', // ~24
  'test/models/d2l-rnn-scratch.test.ts', // ~24
  'test/models/d2l-ssd.test.ts', // ~24
  'test/compiler/formats/mxnet-cell-state.test.ts', // ~22
  'test/compiler/ops/roi-pooling-grad.test.ts', // ~21
  'test/models/examples/word-language-model.test.ts', // ~20
  'test/compiler/passes/property.test.ts', // ~20
  'test/compiler/ops/roi-align.test.ts', // ~19
  'test/models/d2l-seq2seq.test.ts', // ~19
  'test/compiler/ops/narrow-cast.test.ts', // ~19
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
const mocha = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const r = spawnSync(process.execPath, [mocha, '--parallel', '--jobs', '2', ...process.argv.slice(2), ...files], { cwd: ROOT, stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
