/**
 * `inspect`'s FLOPs for Einsum (cli/analyze.ts): models built here with
 * python's `onnx` package (not our emitter), counted against the
 * multiply-adds written out by hand: 2 × (operands - 1) × the product of
 * every index's size; symbolic dimensions count as 1.
 */
import assert from 'node:assert/strict';
import { onnx } from '../../compiler/onnx/proto.js';
import { analyzeModel, einsumMacs } from '../../cli/analyze.js';
import { runPython } from '../helpers/python-server.js';

/** An ONNX model with one Einsum over float inputs of `shapes` (strings are symbolic), built by python's onnx. */
function einsumModel(equation: string, shapes: (number | string)[][], out: (number | string)[]): Uint8Array {
  const py = `
import sys, json, onnx
from onnx import helper, TensorProto
eq, shapes, out = json.loads(sys.argv[1])
ins = [helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT, s) for i, s in enumerate(shapes)]
node = helper.make_node("Einsum", [f"x{i}" for i in range(len(shapes))], ["y"], equation=eq)
g = helper.make_graph([node], "g", ins, [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
m.ir_version = 8
onnx.checker.check_model(m)
sys.stdout.buffer.write(m.SerializeToString())
`;
  const r = runPython(py, { args: [JSON.stringify([equation, shapes, out])] });
  assert.equal(r.status, 0, r.stderr);
  return new Uint8Array(r.stdoutBytes);
}

describe('cli/analyze: Einsum FLOPs', function () {
  this.timeout(60_000);

  it('a batched matrix product, a symbolic batch (= 1), and a three-operand contraction', () => {
    const bmm = analyzeModel(onnx.ModelProto.decode(einsumModel('bij,bjk->bik', [[2, 3, 4], [2, 4, 5]], [2, 3, 5])), null);
    assert.equal(bmm.flopsPerSample, 2 * (2 * 3 * 4 * 5));
    assert.equal(bmm.operators['Einsum'], 1);
    const sym = analyzeModel(onnx.ModelProto.decode(einsumModel('nij,jk->nik', [['N', 3, 4], [4, 6]], ['N', 3, 6])), null);
    assert.equal(sym.flopsPerSample, 2 * (1 * 3 * 4 * 6));
    const three = analyzeModel(onnx.ModelProto.decode(einsumModel('ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]], [2, 5])), null);
    assert.equal(three.flopsPerSample, 2 * 2 * (2 * 3 * 4 * 5));
  });

  it('ellipsis broadcasting, one-operand Einsums, and equations that do not fit', () => {
    assert.equal(einsumMacs('...ij,...jk->...ik', [[7, 2, 3, 4], [4, 5]]), 7 * 2 * 3 * 4 * 5);
    assert.equal(einsumMacs('...ij,...jk', [[7, 1, 3, 4], [6, 4, 5]]), 7 * 6 * 3 * 4 * 5);
    assert.equal(einsumMacs('ii->', [[4, 4]]), 0);
    assert.equal(einsumMacs('ij->ji', [[4, 5]]), 0);
    assert.equal(einsumMacs('ij,jk->ik', [[2, 3]]), null);
    assert.equal(einsumMacs('ijk,jk->i', [[2, 3], [3, 4]]), null);
    const viaOrt = analyzeModel(onnx.ModelProto.decode(einsumModel('...ij,...jk->...ik', [[7, 2, 3, 4], [7, 2, 4, 5]], [7, 2, 3, 5])), null);
    assert.equal(viaOrt.flopsPerSample, 2 * 7 * 2 * 3 * 4 * 5);
  });
});
