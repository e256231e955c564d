/**
 * The MLP of models/mlp.ts as a compiled artifact for runtime tests and
 * benchmarks: built, initialized with `random.seed(0)`, run once and
 * exported to a fresh temporary folder.
 *
 * ```ts
 * const { file, dir } = mlpArtifact();   // dir/mlp.onnx, input x float32 ['N', 784], output 'output'
 * ```
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, random } from 'gluonc';
import build from '../../models/mlp.js';

/** Writes the seeded MLP to `<tmp>/mlp.onnx`; returns the file, its folder and the network. */
export function mlpArtifact(dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-mlp-'))): { file: string; dir: string; net: ReturnType<typeof build> } {
  random.seed(0);
  const net = build();
  net.initialize();
  net.call(nd.ones([1, 784]));
  const file = path.join(dir, 'mlp.onnx');
  net.export(file, { inputs: { x: { shape: ['N', 784] } } });
  return { file, dir, net };
}
