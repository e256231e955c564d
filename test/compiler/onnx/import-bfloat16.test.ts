/**
 * bfloat16 in other tools' files (TensorProto data type 16, which gluonc has
 * no dtype for): graph inputs, outputs and initializers (raw bits and
 * onnx.proto's int32_data form) are read as float32, which holds every
 * bfloat16 value (a bfloat16 is the high 16 bits of a float32: 0x3FC0 is
 * 1.5, 0x7F80 +inf, 0x0001 the smallest subnormal 2^-133), and the model
 * computes in float32. A Cast to bfloat16 and a CastLike to a bfloat16
 * value round to 8 significant bits (half to even; subnormals, NaN), eagerly
 * and hybridized (all encodings and ties: test/runtime/narrow.test.ts). A
 * string or sequence graph input is an Error naming the input and its type.
 */
import assert from 'node:assert/strict';
import type { onnx as OnnxNs } from 'onnx-proto';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';

const BF16 = 16;
const vi = (name: string, elemType: number, dims: number[]): OnnxNs.IValueInfoProto => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const bytesOf = (nodes: OnnxNs.INodeProto[], inputs: OnnxNs.IValueInfoProto[], outputs: OnnxNs.IValueInfoProto[], inits: OnnxNs.ITensorProto[] = []): Uint8Array =>
  onnx.ModelProto.encode({ irVersion: 8, producerName: 'other-tool', opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', node: nodes, input: inputs, output: outputs, initializer: inits } }).finish();
/** bfloat16 bits as raw little-endian bytes. */
const raw = (bits: number[]): Uint8Array => new Uint8Array(new Uint16Array(bits).buffer);

describe('imported bfloat16 tensors (read as float32)', () => {
  it('reads bfloat16 inputs, outputs and initializers (raw and int32_data) exactly and computes in float32, eager and hybridized', () => {
    // w = [1.5, -3, 0.25] (raw bits), b = [+inf, 2^-133, -0.5] (int32_data); y = x * w + b.
    const w: OnnxNs.ITensorProto = { name: 'w', dims: [3], dataType: BF16, rawData: raw([0x3fc0, 0xc040, 0x3e80]) };
    const b: OnnxNs.ITensorProto = { name: 'b', dims: [3], dataType: BF16, int32Data: [0x7f80, 0x0001, 0xbf00] };
    const bytes = bytesOf(
      [
        { opType: 'Mul', input: ['x', 'w'], output: ['m'] },
        { opType: 'Add', input: ['m', 'b'], output: ['y'] },
      ],
      [vi('x', BF16, [2, 3])],
      [vi('y', BF16, [2, 3])],
      [w, b],
    );
    const { graph } = readModel(bytes);
    assert.equal(graph.inputs[0]!.type.dtype, 'float32');
    assert.equal(graph.outputs[0]!.value.type.dtype, 'float32');
    const x = [1, 2, 3, 0.5, -1, 4];
    const want = [Infinity, -6 + 2 ** -133, 0.75 - 0.5, Infinity, 3 + 2 ** -133, 1 - 0.5];
    for (const hybrid of [false, true]) {
      const net = new SymbolBlock(readModel(bytes).graph);
      if (hybrid) net.hybridize();
      const params = net.collectParams();
      assert.deepEqual(tensorToNumbers(params.get('w').data()._host), [1.5, -3, 0.25]);
      assert.deepEqual(tensorToNumbers(params.get('b').data()._host), [Infinity, Math.fround(2 ** -133), -0.5]);
      const y = net.call(new nd.NDArray(tensorFromNumbers('float32', [2, 3], x))) as nd.NDArray;
      assert.deepEqual(tensorToNumbers(y._host), want.map(Math.fround), hybrid ? 'hybridized' : 'eager');
    }
  });

  it('rounds a Cast to bfloat16 and a CastLike to a bfloat16 value to the nearest bfloat16 (half to even), eager and hybridized', () => {
    const TO = onnx.AttributeProto.AttributeType.INT;
    // 1 + 2^-8: a tie, to the even 1; 1 + 3·2^-8: a tie, to the even 1 + 2^-6; 1 + 2^-8 + 2^-20: past the tie, up;
    // NaN kept; float32's largest past bfloat16's: infinity; 2^-133 + 2^-140 (a subnormal): 2^-133; -0 kept.
    const x = [1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, NaN, 3.4028234663852886e38, 2 ** -133 + 2 ** -140, -0, -1234.5678];
    const want = [1, 1 + 2 ** -6, 1 + 2 ** -7, NaN, Infinity, 2 ** -133, -0, -1232];
    const cast = bytesOf([{ opType: 'Cast', input: ['x'], output: ['y'], name: 'tobf16', attribute: [{ name: 'to', type: TO, i: BF16 }] }], [vi('x', 1, [8])], [vi('y', BF16, [8])]);
    // The like input computed from a bfloat16 input (Relu of it) is bfloat16 too.
    const like = bytesOf(
      [
        { opType: 'Relu', input: ['h'], output: ['r'] },
        { opType: 'CastLike', input: ['x', 'r'], output: ['y'], name: 'like' },
      ],
      [vi('x', 1, [8]), vi('h', BF16, [2])],
      [vi('y', BF16, [8])],
    );
    const feeds = (n: number) => [new nd.NDArray(tensorFromNumbers('float32', [8], x)), ...(n > 1 ? [new nd.NDArray(tensorFromNumbers('float32', [2], [1.5, -2]))] : [])];
    for (const [name, bytes, n] of [['Cast', cast, 1], ['CastLike', like, 2]] as const) {
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(readModel(bytes).graph);
        if (hybrid) net.hybridize();
        const y = tensorToNumbers((net.call(...feeds(n)) as nd.NDArray)._host);
        y.forEach((v, i) => assert.ok(Object.is(v, want[i]) || (hybrid && v === want[i]), `${name} ${hybrid ? 'hybridized' : 'eager'} [${i}]: ${v} vs ${want[i]}`));
      }
    }
    // A bfloat16 value cast to float is float: a CastLike to it does not round.
    const up = bytesOf(
      [
        { opType: 'Cast', input: ['h'], output: ['f'], attribute: [{ name: 'to', type: TO, i: 1 }] },
        { opType: 'CastLike', input: ['x', 'f'], output: ['y'] },
      ],
      [vi('x', 1, [8]), vi('h', BF16, [2])],
      [vi('y', 1, [8])],
    );
    const y = new SymbolBlock(readModel(up).graph).call(...feeds(2)) as nd.NDArray;
    assert.deepEqual(tensorToNumbers(y._host), x.map(Math.fround));
    // From float64, one rounding: 1 + 2^-8 + 2^-30 is past the tie (up to 1 + 2^-7), where float32 would first
    // round it onto the tie 1 + 2^-8 and then to the even 1.
    const wide = bytesOf([{ opType: 'Cast', input: ['x'], output: ['y'], name: 'tobf16', attribute: [{ name: 'to', type: TO, i: BF16 }] }], [vi('x', 11, [2])], [vi('y', BF16, [2])]);
    for (const hybrid of [false, true]) {
      const net = new SymbolBlock(readModel(wide).graph);
      if (hybrid) net.hybridize();
      const y = net.call(new nd.NDArray(tensorFromNumbers('float64', [2], [1 + 2 ** -8 + 2 ** -30, -3]))) as nd.NDArray;
      assert.deepEqual(tensorToNumbers(y._host), [1 + 2 ** -7, -3], `float64 ${hybrid ? 'hybridized' : 'eager'}`);
    }
  });

  it('names a string or sequence graph input and its type', () => {
    assert.throws(() => readModel(bytesOf([{ opType: 'Identity', input: ['s'], output: ['y'] }], [vi('s', 8, [2])], [vi('y', 8, [2])])), {
      message: "readModel: model bytes: graph input 's': ONNX data type 8 (string) is not supported by gluonc",
    });
    const seq: OnnxNs.IValueInfoProto = { name: 'q', type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } };
    assert.throws(() => readModel(bytesOf([{ opType: 'SequenceLength', input: ['q'], output: ['y'] }], [seq], [vi('y', 7, [])])), /graph input 'q' is a sequence; gluonc graphs take tensors, so the file is read for the inputs of a call/);
  });
});
