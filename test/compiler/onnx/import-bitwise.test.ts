/**
 * ONNX's BitShift (opset 28: signed dtypes too) and BitwiseAnd/Or/Xor/Not imported, for every integer dtype,
 * against ONNX's ReferenceEvaluator on the same file: every value against every shift amount (an [8, 1] by
 * [8] broadcast) at the kinks — the dtype's limits, -1, 0, 1; shifts 0, 1, width − 1, the width, past it,
 * negative and (unsigned) the maximum — exact for 64-bit values past 2^53; eager and hybridized. The
 * hybridized block exports to an opset-21 file that onnx.checker accepts and python's onnxruntime runs to the
 * same values. Refusals name the operator and what was wrong. Skipped, with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nd } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { onnx, readModel, valueInfo } from '../../../compiler/onnx/index.js';
import type { DType } from '../../../runtime/dtypes.js';
import { runPython } from '../../helpers/python-server.js';

const DTYPES = ['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64'] as const;
const OUTS = ['and', 'or', 'xor', 'not', 'left', 'right'];

function python(code: string): Record<string, unknown> {
  const r = runPython(code);
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Values and shift amounts (8 each) at the kinks of a dtype, as decimal strings. */
function sample(d: (typeof DTYPES)[number]): { x: string[]; s: string[] } {
  const b = BigInt(d.replace(/\D/g, ''));
  const signed = d.startsWith('int');
  const [lo, hi] = signed ? [-(2n ** (b - 1n)), 2n ** (b - 1n) - 1n] : [0n, 2n ** b - 1n];
  const x = signed ? [lo, hi, -1n, 0n, 1n, -5n, lo + 1n, hi / 3n] : [0n, 1n, hi, hi / 2n + 1n, hi / 2n, hi / 2n + 73n, 5n, hi / 3n];
  const s = signed ? [0n, 1n, b - 1n, b, b + 1n, -1n, -b, 3n] : [0n, 1n, b - 1n, b, b + 1n, hi, 3n, 2n];
  return { x: x.map(String), s: s.map(String) };
}

function array(d: DType, v: string[], shape: number[]): NDArray {
  const data = d === 'int64' ? BigInt64Array.from(v, BigInt) : d === 'uint64' ? BigUint64Array.from(v, BigInt) : v.map(Number);
  return nd.array(data as never, { dtype: d }).reshape(shape);
}

const text = (a: NDArray): string[] => Array.from(a.data() as ArrayLike<number | bigint>, String);

describe('imported BitShift and Bitwise operators of every integer dtype: ONNX\'s ReferenceEvaluator', function () {
  this.timeout(120_000);
  let ref: Record<string, { model: string; outs: string[][] }> = {};
  before(function () {
    if (runPython('import numpy, onnx, onnxruntime').status !== 0) {
      console.log('    (skipped: python3 with numpy, onnx and onnxruntime is needed for the references)');
      this.skip();
    }
    const cases = Object.fromEntries(DTYPES.map((d) => [d, sample(d)]));
    ref = python(`import json, base64, numpy as np, onnx
from onnx import helper
from onnx.reference import ReferenceEvaluator
out = {}
for d, c in ${JSON.stringify(cases)}.items():
    t = helper.np_dtype_to_tensor_dtype(np.dtype(d))
    x = np.array([int(v) for v in c['x']], d).reshape(8, 1); s = np.array([int(v) for v in c['s']], d)
    nodes = [helper.make_node('BitwiseAnd', ['x', 's'], ['and']), helper.make_node('BitwiseOr', ['x', 's'], ['or']),
             helper.make_node('BitwiseXor', ['x', 's'], ['xor']), helper.make_node('BitwiseNot', ['x'], ['not']),
             helper.make_node('BitShift', ['x', 's'], ['left'], direction='LEFT'), helper.make_node('BitShift', ['x', 's'], ['right'], direction='RIGHT')]
    outs = [helper.make_tensor_value_info(n, t, [8, 1] if n == 'not' else [8, 8]) for n in ${JSON.stringify(OUTS)}]
    g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', t, [8, 1]), helper.make_tensor_value_info('s', t, [8])], outs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 28)])
    onnx.checker.check_model(m)
    ys = ReferenceEvaluator(m).run(None, {'x': x, 's': s})
    out[d] = {'model': base64.b64encode(m.SerializeToString()).decode(), 'outs': [[str(v) for v in y.flatten().tolist()] for y in ys]}
print(json.dumps(out))`) as typeof ref;
  });

  for (const d of DTYPES) {
    it(`${d}: And, Or, Xor, Not and both shifts of every value by every amount, eager and hybridized`, () => {
      const { x, s } = sample(d);
      const graph = readModel(Buffer.from(ref[d]!.model, 'base64')).graph;
      for (const hybrid of [false, true]) {
        const net = new SymbolBlock(graph, null, `bitwise-${d}`);
        if (hybrid) net.hybridize();
        const ys = net.call(array(d, x, [8, 1]), array(d, s, [8])) as NDArray[];
        ys.forEach((y, i) => {
          assert.equal(y.dtype, d);
          assert.deepEqual(text(y), ref[d]!.outs[i], `${OUTS[i]} ${hybrid ? 'hybridized' : 'eager'}`);
        });
      }
    });
  }

  it('the hybridized block exports (opset 21) to a file onnx.checker accepts and onnxruntime runs to the same values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-bitwise-'));
    try {
      for (const d of ['int8', 'uint16', 'int64', 'uint64'] as const) {
        const net = new SymbolBlock(readModel(Buffer.from(ref[d]!.model, 'base64')).graph, null, `bitwise-${d}`);
        net.hybridize();
        const file = join(dir, `${d}.onnx`);
        net.export(file, { inputs: { x: { shape: [8, 1], dtype: d }, s: { shape: [8], dtype: d } } });
        const { x, s } = sample(d);
        const r = python(`import json, numpy as np, onnx, onnxruntime as ort
m = onnx.load(${JSON.stringify(file)}); onnx.checker.check_model(m, full_check=True)
ys = ort.InferenceSession(${JSON.stringify(file)}, providers=['CPUExecutionProvider']).run(None, {'x': np.array([int(v) for v in ${JSON.stringify(x)}], '${d}').reshape(8, 1), 's': np.array([int(v) for v in ${JSON.stringify(s)}], '${d}')})
print(json.dumps({'opset': [o.version for o in m.opset_import if o.domain == ''][0], 'outs': [[str(v) for v in y.flatten().tolist()] for y in ys]}))`);
        assert.equal(r['opset'], 21);
        assert.deepEqual(r['outs'], ref[d]!.outs, d);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown direction, a float and a mixed dtype by name', () => {
    const model = (op: string, dx: DType, ds: DType, attrs: { name: string; type: number; s: Uint8Array }[] = []) =>
      onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 18 }],
        graph: {
          name: 'g',
          node: [{ opType: op, input: ['x', 's'], output: ['y'], name: 'b', attribute: attrs }],
          input: [valueInfo('x', { dtype: dx, shape: [8] }), valueInfo('s', { dtype: ds, shape: [8] })],
          output: [valueInfo('y', { dtype: dx, shape: [8] })],
        },
      }).finish();
    const dir = (v: string) => [{ name: 'direction', type: 3, s: new TextEncoder().encode(v) }];
    assert.throws(() => readModel(model('BitShift', 'uint8', 'uint8', dir('UP'))), /^Error: readModel: .*ONNX operator 'BitShift' \(node 'b'\) has no gluonc equivalent: direction 'UP' is not LEFT or RIGHT/);
    assert.throws(() => readModel(model('BitShift', 'int16', 'int32', dir('LEFT'))), /ONNX operator 'BitShift' \(node 'b'\) has no gluonc equivalent: inputs of dtypes int16 and int32 \(ONNX: one of uint8, uint16, uint32, uint64, int8, int16, int32, int64 for all\)/);
    assert.throws(() => readModel(model('BitwiseAnd', 'float32', 'float32')), /ONNX operator 'BitwiseAnd' \(node 'b'\) has no gluonc equivalent: inputs of dtypes float32 and float32/);
  });
});
