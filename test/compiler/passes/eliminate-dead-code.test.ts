/**
 * Dead-code elimination: nodes, parameters and constants the outputs do not
 * need are dropped; inputs all stay; `changed` says whether anything went.
 */
import assert from 'node:assert/strict';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { TRAINING } from '../../../compiler/passes/pass.js';
import { eliminateDeadCode } from '../../../compiler/passes/eliminate-dead-code.js';
import { apply, dedent, f32, konst, param, passKeepsResults, runPass } from './helpers.js';

describe('passes: eliminate-dead-code', () => {
  it('drops a dead node, the parameter and constant only it used, and keeps unused inputs', () => {
    const x = Value.input('x', f32([2, 3]));
    const unused = Value.input('u', f32([1]));
    const w = param('w', [1, 2, 3], [3]);
    const two = konst([2]);
    const a = apply('exp', [x]);
    const dead = apply('mul', [apply('add', [x, w]), two]);
    const y = apply('relu', [a]);
    const g = new Graph([x, unused], [w], [two], [a.producer!, dead.producer!.inputs[0]!.producer!, dead.producer!, y.producer!], [{ name: 'y', value: y }]);
    const r = passKeepsResults(eliminateDeadCode, g, TRAINING, 'dce');
    assert.equal(r.changed, true);
    assert.equal(r.text, dedent(`
      graph(%x: float32[2, 3], %u: float32[1]) {
        %0: float32[2, 3] = exp(%x)
        %1: float32[2, 3] = relu(%0)
        return y=%1
      }`));
    assert.ok(!w.uses.includes(dead.producer!.inputs[0]!.producer!), 'the dropped add is detached from the parameter\'s uses');
    assert.equal(runPass(eliminateDeadCode, r.graph, TRAINING).changed, false, 'a second run changes nothing');
  });

  it('keeps every node of a graph built from its outputs', () => {
    const x = Value.input('x', f32(['N', 2]));
    const g = Graph.fromOutputs([x], { y: apply('tanh', [x]), z: apply('sigmoid', [x]) });
    const r = runPass(eliminateDeadCode, g, TRAINING);
    assert.equal(r.changed, false);
    assert.equal(r.graph.nodes.length, 2);
  });
});
