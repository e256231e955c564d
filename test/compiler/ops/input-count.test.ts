/**
 * compiler/ops/infer.ts checkInputCount: every operator's type rule is
 * reached only with a number of inputs its OpSpec allows (required ones at
 * least, all at most), whichever path builds the node; one input short or
 * one too many is an OpError naming the operator and its inputs.
 */
import assert from 'node:assert/strict';
import 'gluonc';
import { inferOp } from '../../../compiler/ops/infer.js';
import { allOps } from '../../../compiler/ops/registry.js';

const t = { dtype: 'float32' as const, shape: [2, 3] };

describe('operators: the number of inputs', () => {
  it('one input fewer than required, or one more than all, is an OpError naming the operator and its inputs', () => {
    let checked = 0;
    for (const def of allOps()) {
      const named = (e: unknown): boolean => e instanceof Error && e.message.startsWith(`${def.name}: takes `) && e.message.includes(`(${def.inputs.join(', ')}), got `);
      if (def.minInputs > 0) {
        assert.throws(() => inferOp(def, Array.from({ length: def.minInputs - 1 }, () => t), { ...def.attrs }), named, `${def.name} with ${def.minInputs - 1} inputs`);
        checked++;
      }
      if (Number.isFinite(def.maxInputs)) {
        assert.throws(() => inferOp(def, Array.from({ length: def.maxInputs + 1 }, () => t), { ...def.attrs }), named, `${def.name} with ${def.maxInputs + 1} inputs`);
        checked++;
      }
    }
    assert.ok(checked > 300, `${checked} checks`);
  });

  it('the message gives the allowed count (fixed, a range, or a least)', () => {
    const byName = new Map(allOps().map((d) => [d.name, d]));
    assert.throws(() => inferOp(byName.get('add')!, [t], {}), /^OpError: add: takes 2 inputs \(lhs, rhs\), got 1 \(inputs: float32\[2, 3\]\)/);
    assert.throws(() => inferOp(byName.get('relu')!, [], {}), /^OpError: relu: takes 1 input \(data\), got 0/);
    const concat = byName.get('concat')!;
    assert.throws(() => inferOp(concat, [], { ...concat.attrs }), /^OpError: concat: takes at least 1 input \(\.\.\.data\), got 0/);
    const fc = byName.get('FullyConnected')!;
    assert.throws(() => inferOp(fc, [t], { ...fc.attrs }), /^OpError: FullyConnected: takes 2 to 3 inputs \(data, weight, bias\?\), got 1/);
  });
});
