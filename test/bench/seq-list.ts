/**
 * An imported ONNX Loop whose body reads the list it carries (not a timed
 * suite of `npm run bench`: run it by hand): a greedy decoder as
 * torch.jit.script exports one, made by python3's onnx.helper: the list
 * starts with x [1, D]; each iteration reads its last item (SequenceAt -1)
 * and appends tanh(last·W); the list concatenated at the end. Prints, per
 * trip count, the median and range of one hybridized call (once compiled)
 * and of python onnxruntime's run of the same file, interleaved, both on
 * the machine's default threads, and our call's process CPU time (user +
 * system: on a shared machine, less sensitive to other processes). `ort=0`
 * skips onnxruntime's runs. To compare two checkouts, run it in each in
 * turn, alternating.
 *
 * ```sh
 * node --conditions=gluonc-source --import tsx test/bench/seq-list.ts [rounds=5] [D=16] [counts=250,1000,4000] [ort=1]
 * ```
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, nd } from 'gluonc';

const MODEL = String.raw`
import sys, time, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
F, I, B = TP.FLOAT, TP.INT64, TP.BOOL
vi = h.make_tensor_value_info; svi = h.make_tensor_sequence_value_info
out, D, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rs = np.random.RandomState(0)
body = h.make_graph([
  h.make_node('SequenceAt', ['sin', 'neg1'], ['last']), h.make_node('MatMul', ['last', 'W'], ['lw']), h.make_node('Tanh', ['lw'], ['t']),
  h.make_node('SequenceInsert', ['sin', 't'], ['sout']), h.make_node('Identity', ['ci'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), svi('sin', F, None)], [vi('co', B, []), svi('sout', F, None)], [nh.from_array(np.array(-1, np.int64), 'neg1')])
g = h.make_graph([h.make_node('SequenceConstruct', ['x'], ['s0']), h.make_node('Loop', ['m', '', 's0'], ['sf'], body=body, name='dec'),
  h.make_node('ConcatFromSequence', ['sf'], ['cat'], axis=0)], 'g', [vi('m', I, []), vi('x', F, [1, D])], [vi('cat', F, None)],
  [nh.from_array((rs.randn(D, D) / np.sqrt(D)).astype(np.float32), 'W')])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)], ir_version=8)
onnx.save(m, f'{out}/dec.onnx')
s = ort.InferenceSession(m.SerializeToString())
feeds = {'m': np.array(n, np.int64), 'x': np.ones((1, D), np.float32)}
s.run(None, feeds)
ts = []
for r in range(rounds):
  t0 = time.perf_counter(); s.run(None, feeds); ts.append((time.perf_counter() - t0) * 1000)
print(' '.join(f'{t:.2f}' for t in ts))
`;

const rounds = Number(process.argv[2] ?? 5);
const D = Number(process.argv[3] ?? 16);
const counts = (process.argv[4] ?? '250,1000,4000').split(',').map(Number);
const withOrt = (process.argv[5] ?? '1') !== '0';
const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-seqlist-'));
const stat = (ts: number[]) => {
  const s = [...ts].sort((a, b) => a - b);
  return `median ${s[s.length >> 1]!.toFixed(2)} ms (${s[0]!.toFixed(2)}-${s[s.length - 1]!.toFixed(2)})`;
};
try {
  for (const n of counts) {
    const ours: number[] = [];
    const cpu: number[] = [];
    const ort: number[] = [];
    let block: gluon.SymbolBlock | null = null;
    const x = nd.ones([1, D]);
    const m = nd.array([n], { dtype: 'int64' }).reshape([]);
    for (let r = 0; r < rounds; r++) {
      // Interleaved: one python run (one timed call after a warm one), then one of ours.
      if (withOrt || !block) {
        const py = spawnSync('python3', ['-c', MODEL, dir, String(D), String(withOrt ? n : 0), '1'], { encoding: 'utf8' });
        if (py.status !== 0) throw new Error(py.stderr);
        if (withOrt) ort.push(Number(py.stdout.trim()));
      }
      if (!block) {
        block = gluon.SymbolBlock.imports(path.join(dir, 'dec.onnx'));
        block.hybridize();
        (block.call(m, x) as nd.NDArray).data();
      }
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      (block.call(m, x) as nd.NDArray).data();
      ours.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    console.log(`${n} iterations, D=${D}: gluonc ${stat(ours)}, CPU ${stat(cpu)}${withOrt ? `; python onnxruntime ${stat(ort)}` : ''}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
