/**
 * A child process for test/runtime/ort-telemetry.test.ts: loads the model
 * file given as its argument with gluonc's runtime, runs it once inline and
 * once in a worker thread, closes it and prints its pid as JSON.
 *
 * ```sh
 * node --conditions=gluonc-source --import tsx test/helpers/ort-telemetry-child.ts mlp.onnx
 * ```
 */
import { loadModel } from '../../runtime/index.js';

const file = process.argv[2];
if (!file) throw new Error('ort-telemetry-child: needs a model file');
const model = await loadModel(file, { threads: 1 });
const x = { x: { data: new Float32Array(784), shape: [1, 784] } };
await model.run(x, { offload: 'inline' });
await model.run(x, { offload: 'worker' });
await model.close();
process.stdout.write(`${JSON.stringify({ pid: process.pid })}\n`);
