/**
 * The training step of an imported ONNX `Loop` decided at run time (not a
 * timed suite of `npm run bench`: run it by hand): a counted Loop of 100
 * iterations (the trip count fed as an input) whose body is
 * h <- tanh(h·W + b) (h [8, H] carried, W [H, H] and b [H] captured, H 64
 * unless given
 * initializers, made by python3's onnx.helper), the loss Σ h_T ⊙ r
 * (hybridized), SGD, one thread. Prints the fused step's ONNX Loop count
 * and the median time of one step (`record` + `backward` + `trainer.step`,
 * once compiled) over `rounds` rounds of `steps` steps, wall-clock and the
 * process's CPU time (user + system: on a shared machine, less sensitive to
 * other processes). To compare two checkouts, run it in each in turn,
 * alternating.
 *
 * ```sh
 * node --conditions=gluonc-source --import tsx test/bench/loop-step.ts [rounds=7] [steps=20] [iterations=100] [H=64]
 * ```
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { fusedRunners, setStepThreads } from '../../compiler/engine/program.js';
import { onnx } from '../../compiler/onnx/proto.js';

const MODEL = String.raw`
import sys, numpy as np, onnx
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
vi = h.make_tensor_value_info
rs = np.random.RandomState(0)
H = int(sys.argv[2])
body = h.make_graph([h.make_node('MatMul', ['h', 'W'], ['hw']), h.make_node('Add', ['hw', 'b'], ['a']), h.make_node('Tanh', ['a'], ['ho']), h.make_node('Identity', ['ci'], ['co'])],
    'body', [vi('it', TP.INT64, []), vi('ci', TP.BOOL, []), vi('h', TP.FLOAT, [8, H])], [vi('co', TP.BOOL, []), vi('ho', TP.FLOAT, [8, H])])
g = h.make_graph([h.make_node('Loop', ['m', '', 'x'], ['y'], body=body, name='steps')], 'g', [vi('m', TP.INT64, []), vi('x', TP.FLOAT, [8, H])], [vi('y', TP.FLOAT, [8, H])],
    [nh.from_array((rs.randn(H, H) * 0.1).astype(np.float32), 'W'), nh.from_array((rs.randn(H) * 0.1).astype(np.float32), 'b')])
onnx.save(h.make_model(g, opset_imports=[h.make_opsetid('', 17)], ir_version=8), sys.argv[1])
`;

/** loss = Σ y ⊙ r. */
class WeightedSum extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, y: gluon.Tensor, r: gluon.Tensor) {
    return F.sum(F.mul(y, r));
  }
}

/** Runs the measurement (only when this file is the script: `npm run bench` imports every file here). */
async function main(): Promise<void> {
  const [rounds, steps, iterations, H] = [Number(process.argv[2] ?? 7), Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 100), Number(process.argv[5] ?? 64)];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-loop-bench-'));
  try {
    const file = path.join(dir, 'loop.onnx');
    const made = spawnSync('python3', ['-c', MODEL, file, String(H)], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`python3 could not write the model: ${made.stderr}`);
    setStepThreads(1);
    const net = gluon.SymbolBlock.imports(file);
    net.hybridize();
    const loss = new WeightedSum();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1e-4 });
    const m = nd.array([iterations], { shape: [], dtype: 'int64' });
    const x = nd.array(Float32Array.from({ length: 8 * H }, (_v, i) => Math.sin(i)), { shape: [8, H] });
    const r = nd.array(Float32Array.from({ length: 8 * H }, (_v, i) => Math.cos(i)), { shape: [8, H] });
    const before = new Set(fusedRunners());
    const step = (): number => {
      const l = autograd.record(() => loss.call(net.call(m, x) as nd.NDArray, r) as nd.NDArray);
      l.backward();
      trainer.step(1);
      return l.item();
    };
    // The first dozen or so runs of a step page-fault in fresh buffers (README, Threads).
    for (let i = 0; i < 30; i++) step();
    const fresh = fusedRunners().filter((f) => !before.has(f));
    if (process.env['LOOP_STEP_DUMP']) (await import('node:fs')).writeFileSync(process.env['LOOP_STEP_DUMP'], fresh[0]!.bytes);
    const loops = fresh.map((f) => onnx.ModelProto.decode(f.bytes).graph!.node!.filter((n) => n.opType === 'Loop').length);
    const times: number[] = [];
    const cpu: number[] = [];
    for (let k = 0; k < rounds; k++) {
      const [t0, c0] = [performance.now(), process.cpuUsage()];
      for (let i = 0; i < steps; i++) step();
      const c = process.cpuUsage(c0);
      times.push((performance.now() - t0) / steps);
      cpu.push((c.user + c.system) / 1000 / steps);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    console.log(`loop ${iterations} iterations, H ${H}: fused steps ${fresh.length}, ONNX Loops per step ${loops.join(',')}; ms per step: median ${times[times.length >> 1]!.toFixed(3)} (min ${times[0]!.toFixed(3)}, max ${times[times.length - 1]!.toFixed(3)}); CPU ms per step: median ${cpu[cpu.length >> 1]!.toFixed(3)} (min ${cpu[0]!.toFixed(3)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('loop-step.ts')) await main();
