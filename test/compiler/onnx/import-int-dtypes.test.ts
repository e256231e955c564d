/**
 * ONNX models with int16, uint16, uint32 and uint64 tensors (TensorProto data
 * types 5, 4, 12, 13): python's onnx writes a model per dtype (an input of
 * the dtype, an initializer in the typed field onnx.proto keeps it in —
 * int32_data for the 16-bit ones, uint64_data for uint32 and uint64 — Add (opset 14,
 * whose Add takes the 16-bit integers), which wraps at the maximum, Mul and Identity), python's onnxruntime gives
 * the reference outputs; onnxruntime-node (gluonc's Session) takes and
 * returns the dtype, and the imported graph gives the same values exactly,
 * eagerly and hybridized. A block with an int16 input exports (the file's
 * input has elem_type 5) and python's onnxruntime runs it to the values
 * gluonc and numpy compute. Skipped, with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gluon, nd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { Session } from '../../../runtime/session.js';
import { viewOf, type DType } from '../../../runtime/dtypes.js';
import type { HostTensor } from '../../../runtime/tensor.js';
import { runPython } from '../../helpers/python-server.js';

const NEW = ['int16', 'uint16', 'uint32', 'uint64'] as const;

function python(code: string): Record<string, unknown> {
  const r = runPython(code);
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const text = (t: { data: ArrayLike<number | bigint> }): string[] => Array.from(t.data, String);

/** A host tensor of `d` from decimal strings (exact for the 64-bit dtypes). */
function fromText(d: DType, v: string[]): HostTensor {
  const t: HostTensor = { dtype: d, shape: [v.length], data: viewOf(d, new ArrayBuffer(v.length * 8), 0, v.length) };
  v.forEach((s, i) => ((t.data as unknown as (number | bigint)[])[i] = d === 'uint64' ? BigInt(s) : Number(s)));
  return t;
}

describe('ONNX models with int16, uint16, uint32 and uint64 tensors', function () {
  this.timeout(120_000);
  let cases: Record<string, { model: string; x: string[]; y: string[]; z: string[] }>;
  before(function () {
    const py = `import json, base64, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto as T
out = {}
for d, code in [('int16', T.INT16), ('uint16', T.UINT16), ('uint32', T.UINT32), ('uint64', T.UINT64)]:
    info = np.iinfo(d)
    x = np.array([0, 1, info.max, info.min, info.max - 1], dtype=d)
    k = np.array([1, info.max, 1, 2, 3], dtype=d)
    init = helper.make_tensor('k', code, [5], [int(v) for v in k])   # the typed field: int32_data / uint64_data
    assert not init.raw_data
    g = helper.make_graph([helper.make_node('Add', ['x', 'k'], ['a']), helper.make_node('Mul', ['a', 'x'], ['y']), helper.make_node('Identity', ['x'], ['z'])], 'g',
        [helper.make_tensor_value_info('x', code, [5])], [helper.make_tensor_value_info('y', code, [5]), helper.make_tensor_value_info('z', code, [5])], [init])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)]); m.ir_version = 8
    onnx.checker.check_model(m)
    b = m.SerializeToString()
    y, z = ort.InferenceSession(b, providers=['CPUExecutionProvider']).run(None, {'x': x})
    out[d] = {'model': base64.b64encode(b).decode(), 'x': [str(v) for v in x.tolist()], 'y': [str(v) for v in y.tolist()], 'z': [str(v) for v in z.tolist()]}
print(json.dumps(out))`;
    if (runPython('import numpy, onnx, onnxruntime').status !== 0) {
      console.log('    (skipped: python3 with numpy, onnx and onnxruntime is needed for the models and references)');
      this.skip();
    }
    cases = python(py) as typeof cases;
  });

  for (const d of NEW) {
    it(`${d}: onnxruntime-node takes and returns it; the import matches onnxruntime exactly (eager and hybridized)`, () => {
      const c = cases[d]!;
      const bytes = Buffer.from(c.model, 'base64');
      const x = fromText(d, c.x);
      // gluonc's runtime: the typed array goes to onnxruntime-node and comes back as the dtype.
      const s = Session.create(bytes);
      try {
        const r = s.runSync({ x });
        assert.equal(r['y']!.dtype, d);
        assert.equal(r['y']!.data.constructor, x.data.constructor);
        assert.deepEqual(text(r['y']!), c.y, 'onnxruntime-node y');
        assert.deepEqual(text(r['z']!), c.z, 'onnxruntime-node z');
      } finally {
        s.close();
      }
      const { graph } = readModel(bytes);
      assert.equal(graph.inputs[0]!.type.dtype, d);
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(graph, null, `int-${d}`);
        if (hybrid) net.hybridize();
        const [y, z] = net.call(nd.array(x.data as never, { dtype: d })) as NDArray[];
        assert.equal(y!.dtype, d);
        assert.deepEqual(text({ data: y!.data() as ArrayLike<number> }), c.y, `${hybrid ? 'hybridized' : 'eager'} y`);
        assert.deepEqual(text({ data: z!.data() as ArrayLike<number> }), c.z, `${hybrid ? 'hybridized' : 'eager'} z`);
      }
    });
  }

  it('a block with an int16 input exports with elem_type 5 and runs in onnxruntime to gluonc\'s values', function () {
    class Net extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return F.maximum(F.add(x, x), F.neg(x));
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-int16-'));
    try {
      const net = new Net();
      const file = join(dir, 'int16.onnx');
      const m = net.export(file, { inputs: { x: { shape: ['N'], dtype: 'int16' } } }).manifest;
      assert.deepEqual(m.inputs, [{ name: 'x', dtype: 'int16', shape: ['N'] }]);
      const xs = [0, 1, -1, 32767, -32768, 20000];
      const ours = text({ data: (net.call(nd.array(xs, { dtype: 'int16' })) as NDArray).data() as ArrayLike<number> });
      const r = python(`import json, numpy as np, onnx, onnxruntime as ort
m = onnx.load(${JSON.stringify(file)})
y = ort.InferenceSession(${JSON.stringify(file)}, providers=['CPUExecutionProvider']).run(None, {'x': np.array(${JSON.stringify(xs)}, np.int16)})[0]
x = np.array(${JSON.stringify(xs)}, np.int16)
ref = np.maximum(x + x, -x)   # numpy's int16 arithmetic wraps (2x, and -(-32768) is -32768)
print(json.dumps({'in': m.graph.input[0].type.tensor_type.elem_type, 'out': m.graph.output[0].type.tensor_type.elem_type, 'dtype': str(y.dtype), 'y': [str(v) for v in y.tolist()], 'np': [str(v) for v in ref.tolist()]}))`);
      assert.deepEqual([r['in'], r['out'], r['dtype']], [5, 5, 'int16']);
      assert.deepEqual(r['y'], ours);
      assert.deepEqual(ours, r['np']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
