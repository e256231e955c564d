/**
 * `run`, `inspect`, `golden record|check`, `bench` and `--help` as
 * subprocesses on the compiled MLP; results checked against numpy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx, fromTensorProto } from '../../compiler/onnx/proto.js';
import { encodeNpy, readNpy, tensorFromNumbers, tensorToNumbers } from '../../runtime/index.js';
import { sharedBuiltCli, gluonc, oneLineError, type CliLauncher } from '../helpers/cli.js';
import { numpyRefs } from '../helpers/numpy.js';

describe('cli/commands', function () {
  this.timeout(120_000);
  let dir: string;
  let mlp: string;
  let built: { launcher: CliLauncher; dir: string };
  const cli = (args: string[]) => gluonc(args, { launcher: built.launcher });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gluonc-cmd-'));
    built = sharedBuiltCli(); // the suite's one build (removed at exit)
    mlp = join(dir, 'mlp.onnx');
    const r = cli(['compile', 'models/mlp.ts', '-o', mlp]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** numpy's MLP forward from the artifact's own initializers. */
  function reference(x: number[], batch: number): number[] {
    const m = onnx.ModelProto.decode(readFileSync(mlp));
    const w = new Map(m.graph!.initializer!.map((t) => [t.name!, fromTensorProto(t)]));
    const p = (n: string) => ({ shape: w.get(n)!.shape, dtype: 'float64', data: tensorToNumbers(w.get(n)!) });
    const [r] = numpyRefs([{
      code: 'out = np.maximum(np.maximum(a @ b.T + c, 0) @ d.T + e, 0) @ f.T + g',
      inputs: [{ shape: [batch, 784], dtype: 'float64', data: x }, p('0.weight'), p('0.bias'), p('1.weight'), p('1.bias'), p('2.weight'), p('2.bias')],
    }]);
    return r!.outs[0]!.data as number[];
  }

  it('run reads .npy and .json inputs and writes .npy outputs', () => {
    const x = Array.from({ length: 2 * 784 }, (_v, i) => Math.sin(i));
    writeFileSync(join(dir, 'x.npy'), encodeNpy(tensorFromNumbers('float32', [2, 784], x)));
    const r = cli(['run', mlp, '--input', `x=${join(dir, 'x.npy')}`, '-o', join(dir, 'out')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /output: float32 \[2, 10\] -> .*output\.npy/);
    const y = readNpy(join(dir, 'out', 'output.npy'));
    assert.deepEqual(y.shape, [2, 10]);
    const want = reference(Array.from(Float32Array.from(x)), 2);
    tensorToNumbers(y).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `${i}: ${v} vs ${want[i]}`));
    // JSON: nested lists; the name may be left out for a one-input artifact.
    const rows = [x.slice(0, 784)];
    writeFileSync(join(dir, 'x.json'), JSON.stringify(rows));
    const j = cli(['run', mlp, '--input', join(dir, 'x.json'), '-o', join(dir, 'out-json')]);
    assert.equal(j.status, 0, j.stderr);
    const yj = tensorToNumbers(readNpy(join(dir, 'out-json', 'output.npy')));
    yj.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4));
  });

  it('inspect of the MLP: inputs, outputs, operators, 235,146 parameters, FLOPs per sample', () => {
    const r = cli(['inspect', mlp]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /parameters: 235,146/);
    assert.match(r.stdout, /inputs:\n\s+x\s+float32 \[N, 784\]/);
    assert.match(r.stdout, /outputs:\n\s+output\s+float32 \[N, 10\]/);
    const j = JSON.parse(cli(['inspect', mlp, '--json']).stdout);
    assert.equal(j.params, 235146);
    assert.equal(j.flopsPerSample, 2 * (784 * 256 + 256 * 128 + 128 * 10));
    assert.deepEqual(j.inputs, [{ name: 'x', dtype: 'float32', shape: ['N', 784] }]);
    assert.ok(Object.values(j.operators as Record<string, number>).reduce((a, b) => a + b, 0) === j.nodes);
    // A model file is compiled in memory.
    const m = JSON.parse(cli(['inspect', 'models/mlp.ts', '--json']).stdout);
    assert.equal(m.params, 235146);
  });

  it('golden record writes seeded inputs, outputs and index.json; check passes, then fails on a difference', () => {
    const g = join(dir, 'golden');
    const rec = cli(['golden', 'record', mlp, '--dir', g]);
    assert.equal(rec.status, 0, rec.stderr);
    const index = JSON.parse(readFileSync(join(g, 'index.json'), 'utf8'));
    assert.deepEqual(index.inputs, [{ name: 'x', file: 'input-x.npy', dtype: 'float32', shape: [2, 784] }]);
    const x = tensorToNumbers(readNpy(join(g, 'input-x.npy')));
    const y = tensorToNumbers(readNpy(join(g, 'output-output.npy')));
    reference(x, 2).forEach((v, i) => assert.ok(Math.abs(y[i]! - v) < 1e-4));
    // Seeded: recording again gives the same inputs.
    cli(['golden', 'record', mlp, '--dir', join(dir, 'golden2')]);
    assert.deepEqual(readFileSync(join(dir, 'golden2', 'input-x.npy')), readFileSync(join(g, 'input-x.npy')));

    const ok = cli(['golden', 'check', mlp, '--dir', g]);
    assert.equal(ok.status, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /^output: ok; worst element \[\d+, \d+\]: got .*, expected .*, \|error\| /m);

    const tampered = y.slice();
    tampered[13] = tampered[13]! + 0.5;
    writeFileSync(join(g, 'output-output.npy'), encodeNpy(tensorFromNumbers('float32', [2, 10], tampered)));
    const bad = cli(['golden', 'check', mlp, '--dir', g]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /output: FAIL \(1 of 20 elements out of tolerance\); worst element \[1, 3\]: .*\|error\| 5\.00e-1/);
    assert.match(bad.stdout, /FAIL: 1 of 1 output\(s\) differ/);
    const loose = cli(['golden', 'check', mlp, '--dir', g, '--atol', '1']);
    assert.equal(loose.status, 0, loose.stdout);
    assert.match(oneLineError(cli(['golden', 'check', mlp, '--dir', join(dir, 'nothing')])), /holds no golden outputs/);
  });

  it('bench prints latency percentiles and throughput', () => {
    const r = cli(['bench', mlp, '--batch', '8', '--iterations', '20', '--warmup', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /batch 8 \(x \[8, 784\]\), 20 runs after 2 warm-up/);
    assert.match(r.stdout, /latency {2}p50 [\d.]+ ms {2}p90 [\d.]+ ms {2}p99 [\d.]+ ms {2}mean [\d.]+ ms/);
    assert.match(r.stdout, /throughput [\d,]+ samples\/s/);
  });

  it('--help on every command', () => {
    for (const cmd of [[], ['compile'], ['run'], ['inspect'], ['golden'], ['golden', 'record'], ['golden', 'check'], ['bench']]) {
      const r = cli([...cmd, '--help']);
      assert.equal(r.status, 0, cmd.join(' '));
      assert.match(r.stdout, new RegExp(`^Usage: gluonc ${cmd.join(' ')}`.trim()), cmd.join(' '));
    }
    assert.match(cli(['--version']).stdout, /^\d+\.\d+\.\d+/);
  });
});
