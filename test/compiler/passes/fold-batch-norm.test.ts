/**
 * BatchNorm folding (inference, -O3): an inference BatchNorm after a
 * Convolution or FullyConnected with known weights folds into them; not in
 * training mode, not without folded parameters, not when the layer's output
 * is used elsewhere.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { foldBatchNorm } from '../../../compiler/passes/fold-batch-norm.js';
import { INFERENCE, TRAINING, type PassContext } from '../../../compiler/passes/pass.js';
import { apply, dedent, f32, param, passKeepsResults, runPass, values } from './helpers.js';

const FOLD: PassContext = { mode: 'inference', foldParams: true };

function bnParams(c: number, prefix: string): Value[] {
  return [
    param(`${prefix}.gamma`, values(c, 11).map((v) => 1 + v / 2), [c]),
    param(`${prefix}.beta`, values(c, 12), [c]),
    param(`${prefix}.running_mean`, values(c, 13), [c]),
    param(`${prefix}.running_var`, values(c, 14).map((v) => 1.5 + v), [c]),
  ];
}

describe('passes: fold-batch-norm', () => {
  it('folds an inference BatchNorm into the preceding Convolution (adding its bias)', () => {
    const x = Value.input('x', f32(['N', 2, 5, 5]));
    const w = param('0.weight', values(3 * 2 * 9, 5), [3, 2, 3, 3]);
    const conv = apply('Convolution', [x, w], { kernel: [3, 3], numFilter: 3, noBias: true });
    const y = apply('BatchNorm', [conv, ...bnParams(3, '1')], { fixGamma: false, training: false, eps: 1e-3 });
    const g = Graph.fromOutputs([x], { y: apply('relu', [y]) });
    const r = passKeepsResults(foldBatchNorm, g, FOLD, 'conv + bn');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[N, 2, 5, 5]) {
        param %0.weight: float32[3, 2, 3, 3]
        param %0.bias: float32[3]
        %0: float32[N, 3, 3, 3] = Convolution(%x, %0.weight, %0.bias) {cudnnOff: false, cudnnTune: null, dilate: null, kernel: [3, 3], layout: null, noBias: false, numFilter: 3, numGroup: 1, pad: null, stride: null, workspace: 1024}
        %1: float32[N, 3, 3, 3] = relu(%0)
        return y=%1
      }`));
    assert.notEqual(r.graph.params[0], w, 'the folded weight is a new parameter (the original is left alone)');
  });

  it('folds into a FullyConnected with a bias, with fixGamma', () => {
    const x = Value.input('x', f32([4, 6]));
    const fc = apply('FullyConnected', [x, param('w', values(30, 2), [5, 6]), param('b', values(5, 3), [5])], { numHidden: 5 });
    const g = Graph.fromOutputs([x], { y: apply('BatchNorm', [fc, ...bnParams(5, 'bn')], { fixGamma: true, training: false }) });
    const r = passKeepsResults(foldBatchNorm, g, FOLD, 'fc + bn');
    assert.deepEqual(r.graph.nodes.map((n) => n.op), ['FullyConnected']);
    assert.deepEqual(r.graph.params.map((p) => p.name), ['w', 'b']);
  });

  it('leaves training-mode BatchNorms, unfolded parameters and shared layer outputs alone', () => {
    const x = Value.input('x', f32([4, 6]));
    const make = (training: boolean, shared = false) => {
      const fc = apply('FullyConnected', [x, param('w', values(30, 2), [5, 6])], { numHidden: 5, noBias: true });
      const y = apply('BatchNorm', [fc, ...bnParams(5, 'bn')], { fixGamma: false, training });
      return Graph.fromOutputs([x], shared ? { y, fc } : { y });
    };
    assert.equal(runPass(foldBatchNorm, make(true), FOLD).changed, false, 'batch statistics');
    assert.equal(runPass(foldBatchNorm, make(false), INFERENCE).changed, false, '-O2: parameters stay');
    assert.equal(runPass(foldBatchNorm, make(false), TRAINING).changed, false, 'training graphs');
    assert.equal(runPass(foldBatchNorm, make(false, true), FOLD).changed, false, 'the layer output is also an output');
  });
});
