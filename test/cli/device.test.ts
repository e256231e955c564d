/**
 * `--device cuda` where onnxruntime's CUDA provider is missing fails at
 * start-up — before any file is read — with the command that installs the
 * provider, and with the way around it that the command has (only `serve`
 * has `--fallback`; no CLI error names the API's `fallback: true`).
 */
import assert from 'node:assert/strict';
import { CUDA_INSTALL_COMMAND, CUDA_MISSING } from '../../runtime/index.js';
import { cudaProviderInstalled } from '../../runtime/ort.js';
import { gluonc, oneLineError } from '../helpers/cli.js';

describe('cli --device', function () {
  this.timeout(120_000);
  before(function () {
    if (cudaProviderInstalled()) this.skip(); // the error path needs a machine without the provider
  });

  it('run, bench and golden fail at start-up with the install command', () => {
    const missing = 'no-such-artifact.onnx';
    for (const args of [
      ['run', missing, '--device', 'cuda'],
      ['bench', missing, '--device', 'cuda'],
      ['golden', 'record', missing, '--device', 'cuda'],
      ['golden', 'check', missing, '--device', 'cuda'],
    ]) {
      const line = oneLineError(gluonc(args));
      assert.equal(line, `gluonc: ${CUDA_MISSING}`, args.join(' '));
      assert.ok(line.includes(CUDA_INSTALL_COMMAND) && !line.includes('fallback'), line);
    }
  });

  it('serve names its --fallback, and with --fallback goes on to the file', () => {
    assert.equal(oneLineError(gluonc(['serve', 'no-such-artifact.onnx', '--device', 'cuda'])), `gluonc: ${CUDA_MISSING} (or pass --fallback to serve on the CPU)`);
    assert.match(oneLineError(gluonc(['serve', 'no-such-artifact.onnx', '--device', 'cuda', '--fallback'])), /no-such-artifact\.onnx/);
  });

  it('an unknown device is named', () => {
    assert.match(oneLineError(gluonc(['serve', 'x.onnx', '--device', 'tpu'])), /bad --device 'tpu': use cpu or cuda/);
  });
});
