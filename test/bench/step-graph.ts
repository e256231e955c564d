/**
 * The structure of the fused training step's graph (not a timed benchmark:
 * it exports no `run`): builds the MLP (784-256-128-10) and LeNet steps at
 * batch 64 the way a user trains them (hybridized net and
 * SoftmaxCrossEntropyLoss, `record`, `backward`, `trainer.step`) with SGD +
 * momentum, SGD + momentum + weight decay and Adam, prints the ONNX node
 * count by operator type of each, and writes each step's ONNX model to the
 * folder given (for `profile-step.py`, onnxruntime's per-kernel profile).
 *
 * ```sh
 * node --conditions=gluonc-source --import tsx test/bench/step-graph.ts /tmp/steps
 * python3 test/bench/profile-step.py /tmp/steps
 * ```
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { autograd, gluon, init, nd, random } from 'gluonc';
import buildMlp from '../../models/mlp.js';
import buildLenet from '../../models/lenet.js';
import { fusedRunners } from '../../compiler/engine/program.js';
import { onnx } from '../../compiler/onnx/proto.js';

const BATCH = 64;

/** The step graph's ONNX bytes of one model + optimizer, after one training step. */
export function stepBytes(model: 'mlp' | 'lenet', optimizer: string, options: Record<string, number>): Uint8Array {
  random.seed(1);
  const net = model === 'mlp' ? buildMlp() : buildLenet();
  const shape = model === 'mlp' ? [BATCH, 784] : [BATCH, 1, 28, 28];
  net.initialize(new init.Xavier());
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), optimizer, options);
  const x = nd.array(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_v, i) => Math.sin(i)), { shape });
  const y = nd.array(Float32Array.from({ length: BATCH }, (_v, i) => i % 10));
  const before = new Set(fusedRunners());
  const l = autograd.record(() => loss.call(net.call(x), y)) as nd.NDArray;
  l.backward();
  trainer.step(BATCH);
  l.mean().item();
  const fresh = fusedRunners().filter((r) => !before.has(r));
  if (fresh.length !== 1) throw new Error(`expected one new fused step, got ${fresh.length}`);
  return fresh[0]!.bytes;
}

/** Node counts by ONNX op type, most frequent first. Example: `opCounts(bytes).get('Gemm')`. */
export function opCounts(bytes: Uint8Array): Map<string, number> {
  const m = onnx.ModelProto.decode(bytes);
  const counts = new Map<string, number>();
  for (const n of m.graph!.node!) counts.set(n.opType!, (counts.get(n.opType!) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

/** The steps this script reports. */
export const STEPS: [string, 'mlp' | 'lenet', string, Record<string, number>][] = [
  ['mlp-sgd-momentum', 'mlp', 'sgd', { learningRate: 0.1, momentum: 0.9 }],
  ['mlp-sgd-momentum-wd', 'mlp', 'sgd', { learningRate: 0.1, momentum: 0.9, wd: 1e-4 }],
  ['mlp-adam', 'mlp', 'adam', { learningRate: 0.001 }],
  ['lenet-sgd-momentum', 'lenet', 'sgd', { learningRate: 0.1, momentum: 0.9 }],
];

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (dir) mkdirSync(dir, { recursive: true });
  for (const [name, model, opt, options] of STEPS) {
    const bytes = stepBytes(model, opt, options);
    if (dir) writeFileSync(path.join(dir, `${name}.onnx`), bytes);
    const counts = opCounts(bytes);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(`${name}: ${total} nodes: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
}
