/**
 * ONNX sequences read where the file builds and reads them
 * (compiler/onnx/read-sequence.ts): SplitToSequence (sizes 1 with keepdims
 * 0, a scalar chunk size with a shorter last piece, a list of sizes),
 * SequenceConstruct, SequenceEmpty, SequenceInsert and SequenceErase at
 * negative and default positions, SequenceAt, SequenceLength and
 * ConcatFromSequence (concat, and stack with a negative axis) give
 * onnxruntime's results on the same file, hybridized and eagerly. A sequence
 * graph input read without its items, positions computed at run time or out
 * of range, and a split of a symbolic length into chunks of 2 are refused by name (sequence
 * graph inputs and outputs: import-boundary.test.ts).
 */
import assert from 'node:assert/strict';
import type { onnx as OnnxNs } from 'onnx-proto';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { T, data, i64, int, model, sameAsOrt } from './ort-compare.js';

const scalar = (v: number) => tensorFromNumbers('int64', [], [v]);
const node = (opType: string, input: string[], output: string[], attribute: OnnxNs.IAttributeProto[] = [], name?: string): OnnxNs.INodeProto => ({ opType, input, output, attribute, ...(name ? { name } : {}) });

describe('compiler/onnx import: sequences built and read in the file', () => {
  it('splits, inserts, erases, reads and concatenates as onnxruntime does', async () => {
    const bytes = model(
      [
        node('SplitToSequence', ['x'], ['s1'], [int('axis', 1), int('keepdims', 0)]), // 4 pieces [2, 5]
        node('SequenceErase', ['s1', 'minus1'], ['s2']), // drop the last
        node('SequenceInsert', ['s2', 'y'], ['s3']), // append at the end
        node('SequenceInsert', ['s3', 'y2', 'minus2'], ['s4']), // before the second to last
        node('ConcatFromSequence', ['s4'], ['stacked'], [int('axis', -1), int('new_axis', 1)]),
        node('SequenceLength', ['s4'], ['len']),
        node('SplitToSequence', ['x', 'three'], ['c1'], [int('axis', 2)]), // 5 = 3 + 2
        node('SequenceAt', ['c1', 'minus1'], ['last']),
        node('SplitToSequence', ['x', 'sizes'], ['c2'], [int('axis', -1)]),
        node('SequenceErase', ['c2'], ['c3']),
        node('ConcatFromSequence', ['c3'], ['joined'], [int('axis', 2)]),
        node('SequenceEmpty', [], ['e0'], [int('dtype', 1)]),
        node('SequenceInsert', ['e0', 'y'], ['e1']),
        node('SequenceInsert', ['e1', 'y2', 'zero'], ['e2']),
        node('ConcatFromSequence', ['e2'], ['pair'], [int('axis', 0)]),
        node('SequenceConstruct', ['y', 'y2', 'y'], ['k']),
        node('SequenceAt', ['k', 'one'], ['second']),
      ],
      [['x', [2, 4, 5]], ['y', [2, 5]], ['y2', [2, 5]]],
      [['stacked', 'float32'], ['len', 'int64'], ['last', 'float32'], ['joined', 'float32'], ['pair', 'float32'], ['second', 'float32']],
      [['minus1', scalar(-1)], ['minus2', scalar(-2)], ['zero', scalar(0)], ['one', scalar(1)], ['three', scalar(3)], ['sizes', i64([1, 3, 1])]],
      12,
    );
    await sameAsOrt(bytes, { x: data([2, 4, 5]), y: data([2, 5], 2), y2: data([2, 5], 3) });
  });

  it('refuses a sequence graph input read without its items, a sequence output declared a tensor, run-time and out-of-range positions, and a symbolic split by name', () => {
    const seqIn = onnx.ModelProto.decode(model([node('SequenceAt', ['s', 'zero'], ['y'], [], 'at')], [['x', [2]]], [['y', 'float32']], [['zero', scalar(0)]], 12));
    seqIn.graph!.input = [{ name: 's', type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } }];
    assert.throws(() => readModel(onnx.ModelProto.encode(seqIn).finish()), /graph input 's' is a sequence; gluonc graphs take tensors, so the file is read for the inputs of a call: SymbolBlock.imports\(file\).call\(...\) takes a list of arrays for it/);
    const seqOut = model([node('SequenceConstruct', ['x', 'x'], ['s'])], [['x', [2]]], [['s', 'float32']], [], 12);
    assert.throws(() => readModel(seqOut), /graph output 's' is declared a tensor, but the file computes a sequence for it/);
    const asTensor = model([node('SequenceConstruct', ['x', 'x'], ['s']), node('Relu', ['s'], ['y'], [], 'relu')], [['x', [2]]], [['y', 'float32']], [], 12);
    assert.throws(() => readModel(asTensor), /node 'relu' uses the sequence 's' where a tensor is needed/);
    // A position computed at run time stacks items of one shape (import-loop-sequence-edit.test.ts); items of two shapes cannot be.
    const runtime = model([node('SequenceConstruct', ['x', 'z'], ['s']), node('Cast', ['p'], ['pi'], [int('to', 7)]), node('SequenceAt', ['s', 'pi'], ['y'], [], 'at')], [['x', [2]], ['z', [3]], ['p', []]], [['y', 'float32']], [], 12);
    assert.throws(() => readModel(runtime), /ONNX operator 'SequenceAt' \(node 'at'\) has no gluonc equivalent: the position \(input 1, 'pi'\) is computed at run time/);
    const outside = model([node('SequenceConstruct', ['x', 'x'], ['s']), node('SequenceAt', ['s', 'two'], ['y'], [], 'at')], [['x', [2]]], [['y', 'float32']], [['two', scalar(2)]], 12);
    assert.throws(() => readModel(outside), /'SequenceAt' \(node 'at'\) has no gluonc equivalent: position 2 is outside \[-2, 1\] for a sequence of 2/);
    // Pieces of 1 or listed sizes of a symbolic axis are read (import-loop-sequence.test.ts); chunks of 2 are not.
    const symbolic = model([node('SplitToSequence', ['x', 'two'], ['s'], [], 'split'), node('SequenceLength', ['s'], ['y'])], [['x', ['N', 3]]], [['y', 'int64']], [['two', scalar(2)]], 12);
    assert.throws(() => readModel(symbolic), /'SplitToSequence' \(node 'split'\) has no gluonc equivalent: splitting axis 0 of the symbolic size 'N' into pieces of 2 \(their number, and the last one's size, are known only when it runs/);
    const map = model([node('SequenceConstruct', ['x'], ['s']), node('SequenceMap', ['s'], ['t'], [], 'map'), node('SequenceAt', ['t', 'zero'], ['y'])], [['x', [2]]], [['y', 'float32']], [['zero', scalar(0)]], 17);
    assert.throws(() => readModel(map), /'SequenceMap' \(node 'map'\): attribute 'body' of SequenceMap-17 is required but absent/);
    void T;
  });
});
