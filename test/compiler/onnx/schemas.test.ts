/**
 * compiler/onnx/import/schemas.ts: ONNX's operator signatures, and the
 * reader's check of every node against them. The table must equal what the
 * installed python onnx defines (when it is the version the table was
 * printed from); every operator the importer maps has a signature; and for
 * each of them a node lacking a required input, naming one input or output
 * too many, is an Error naming the node, the input and the operator's
 * version before any builder reads it (these nodes used to reach builders
 * and fail as "Cannot read properties of undefined").
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import { signatureAt, SIGNATURES } from '../../../compiler/onnx/import/schemas.js';
import { IMPORTS, READER_OPS } from '../../../compiler/onnx/import/table.js';
import { runPythonFile } from '../../helpers/python-server.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const TABLE_ONNX = '1.23.1';

/** A model of one node `op` at `opset` with the given input and output names (every named input is the graph input `x`) and integer attributes. */
function oneNode(op: string, opset: number, inputs: string[], outputs: string[], attributes: string[] = []): Uint8Array {
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } } });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ opType: op, input: inputs.map((n) => (n ? 'x' : '')), output: outputs, attribute: attributes.map((name) => ({ name, type: 2, i: 1 })) }],
      input: [vi('x')],
      output: outputs.filter((o) => o).slice(0, 1).map(vi),
    },
  }).finish();
}

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
};

describe('ONNX operator signatures (compiler/onnx/import/schemas.ts)', () => {
  it(`the table is what python onnx ${TABLE_ONNX} defines`, function () {
    this.timeout(60_000);
    const r = runPythonFile(path.join(ROOT, 'test', 'fixtures', 'onnx', 'schemas.py'));
    if (r.status !== 0) {
      console.log(`    (skipped: python3 cannot import onnx: ${r.stderr.trim().split('\n').pop()})`);
      return this.skip();
    }
    const [head, ...lines] = r.stdout.trim().split('\n');
    if (head !== `// onnx ${TABLE_ONNX}`) {
      console.log(`    (skipped: the table was printed from onnx ${TABLE_ONNX}; installed: ${head})`);
      return this.skip();
    }
    const ours = Object.entries(SIGNATURES).map(([k, v]) => `  '${k}': [${v.map(([s, i, o, r]) => `[${s}, '${i}', ${o}${r ? `, '${r}'` : ''}]`).join(', ')}],`);
    assert.deepEqual(ours, lines);
  });

  const mapped = [...Object.keys(IMPORTS), ...READER_OPS].sort();

  it('every operator the importer maps has a signature', () => {
    assert.deepEqual(mapped.filter((op) => !SIGNATURES[op]), []);
  });

  it("a required input named '' or absent, one input or output too many, a required attribute absent: each mapped operator refuses the node by name", () => {
    let checked = 0;
    for (const op of mapped) {
      const list = SIGNATURES[op]!;
      const opset = Math.max(7, list[list.length - 1]![0]);
      const [since, text, maxOut, required] = signatureAt(op, opset)!;
      const formal = text ? text.split(' ') : [];
      const full = formal.map(() => 'x');
      const outs = ['y'];
      const where = `ONNX operator '${op}' (node '#0'): `;
      formal.forEach((f, i) => {
        if (f.endsWith('?') || f.startsWith('...')) return;
        const named = full.map((n, k) => (k === i ? '' : n));
        assert.ok(message(() => readModel(oneNode(op, opset, named, outs))).includes(`${where}input ${i} ('${f}') of ${op}-${since} is required but named ''`), `${op}-${since} input ${i} named ''`);
        const absent = full.slice(0, i);
        const m = message(() => readModel(oneNode(op, opset, absent, outs)));
        assert.ok(m.includes(`${where}input ${i} ('${f}') of ${op}-${since} is required but absent`), `${op}-${since} input ${i} absent: ${m}`);
        checked++;
      });
      const variadic = formal.find((f) => f.startsWith('...'));
      if (variadic && !variadic.endsWith('*')) {
        const m = message(() => readModel(oneNode(op, opset, full.slice(0, formal.indexOf(variadic)), outs)));
        assert.ok(m.includes(`${where}${op}-${since} takes at least 1 '${variadic.slice(3)}' input`), `${op}-${since} no variadic inputs: ${m}`);
        checked++;
      }
      if (!variadic) {
        const m = message(() => readModel(oneNode(op, opset, [...full, 'x'], outs)));
        assert.ok(m.includes(`${where}${formal.length + 1} inputs named, ${op}-${since} takes at most ${formal.length}`), `${op}-${since} one input too many: ${m}`);
        checked++;
      }
      const attrs = required ? required.split(' ') : [];
      attrs.forEach((a) => {
        const m = message(() => readModel(oneNode(op, opset, full, outs, attrs.filter((b) => b !== a))));
        assert.ok(m.includes(`${where}attribute '${a}' of ${op}-${since} is required but absent`), `${op}-${since} without ${a}: ${m}`);
        checked++;
      });
      if (maxOut >= 0) {
        const m = message(() => readModel(oneNode(op, opset, full, [...Array.from({ length: maxOut }, (_v, k) => `y${k}`), 'extra'])));
        assert.ok(m.includes(`${where}${maxOut + 1} outputs named, ${op}-${since} gives at most ${maxOut}`), `${op}-${since} one output too many: ${m}`);
        checked++;
      }
    }
    assert.ok(checked > 400, `${checked} nodes checked`);
  });

  it('an absent optional input is no error of the check (Clip-13 without min and max imports)', () => {
    const { graph } = readModel(oneNode('Clip', 13, ['x', '', ''], ['y']));
    assert.equal(graph.outputs.length, 1);
  });

  it('nodes whose builder decides between optional inputs say which is missing', () => {
    const model = (node: object, dims: number[], init: object[]): Uint8Array =>
      onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 19 }],
        graph: { name: 'g', node: [node], initializer: init, input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } }], output: [{ name: 'y' }] },
      }).finish();
    const int64 = (name: string, v: number[], dims: number[]) => ({ name, dataType: 7, dims, int64Data: v });
    const stft = message(() => readModel(model({ opType: 'STFT', input: ['x', 'step'], output: ['y'] }, [1, 16, 1], [int64('step', [4], [])])));
    assert.match(stft, /'STFT' \(node '#0'\) has no gluonc equivalent: neither frame_length \(input 3\) nor a window \(input 2\) is given/);
    const crop = { opType: 'Resize', input: ['x', '', '', 'sizes'], output: ['y'], attribute: [{ name: 'coordinate_transformation_mode', type: 3, s: new TextEncoder().encode('tf_crop_and_resize') }] };
    const resize = message(() => readModel(model(crop, [1, 1, 2, 2], [int64('sizes', [1, 1, 3, 3], [4])])));
    assert.match(resize, /'Resize' \(node '#0'\) has no gluonc equivalent: coordinate_transformation_mode 'tf_crop_and_resize' needs the roi input \(input 1\), which is absent/);
  });
});
