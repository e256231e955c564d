/**
 * The `gluonc compile --train` artifact as a benchmark peer: the training
 * graph the CLI writes for a model (exportTrainingStep with the model file's
 * input spec, the default loss for its output and the benchmark's
 * optimizer), run by onnxruntime-node's public API (`InferenceSession.run`,
 * asynchronous) with the `.new` outputs fed back as the next step's inputs —
 * what a user of onnxruntime does with the artifact. The fused step in
 * process must be at least as fast as this (issue 14).
 * Invariant: the artifact starts from the block's current weights and zero
 * optimizer states; its parameters are fed in the artifact's own names.
 *
 * ```ts
 * const s = await artifactStepper(net, { x: { shape: ['N', 784] } }, { lr: 0.1, momentum: 0.9 }, { intraOpNumThreads: 1 });
 * await s.step(x, y);
 * ```
 */
import * as ort from 'onnxruntime-node';
import { exportTrainingStep, gluon, optimizer, type InputSpec } from 'gluonc';

/** A running artifact step (see the module comment). Example: `const loss = await s.step(x, y); s.value('0.weight')`. */
export interface ArtifactStepper {
  /** One step on a batch; resolves with its mean loss. */
  step(x: ort.Tensor, y: ort.Tensor): Promise<number>;
  /** A parameter's current value by the artifact's name (`0.weight`, ...). */
  value(name: string): Float32Array;
  /** The artifact's parameter names, in the block's `collectParams()` order. */
  readonly params: string[];
  /** The artifact's bytes. */
  readonly bytes: Uint8Array;
}

/**
 * The training artifact of `block` for SGD with momentum, run with `options` (see the module comment).
 *
 * ```ts
 * const s = await artifactStepper(net, { x: { shape: ['N', 784] } }, { lr: 0.1, momentum: 0.9 }, { intraOpNumThreads: 1 });
 * ```
 */
export async function artifactStepper(
  block: gluon.HybridBlock,
  inputs: Record<string, InputSpec>,
  sgd: { lr: number; momentum: number },
  options: ort.InferenceSession.SessionOptions,
): Promise<ArtifactStepper> {
  const { bytes, manifest } = exportTrainingStep(block, {
    inputs,
    loss: (out) => ({ loss: new gluon.loss.SoftmaxCrossEntropyLoss(), label: { dtype: 'float32', shape: out.slice(0, -1) } }),
    optimizer: optimizer.create('sgd', { learningRate: sgd.lr, momentum: sgd.momentum }),
  });
  const session = await ort.InferenceSession.create(bytes, options);
  const names = Object.keys(inputs);
  if (names.length !== 1) throw new Error('artifactStepper: one model input expected');
  const state: Record<string, ort.Tensor> = {};
  const values = block.collectParams().values();
  const params = manifest.params;
  params.forEach((name, i) => {
    const p = values[i]!;
    state[name] = new ort.Tensor('float32', Float32Array.from(p.data().data() as Float32Array), [...p.shape]);
  });
  // Optimizer states start at zero (SGD with momentum: one per parameter).
  for (const io of manifest.inputs) {
    if (io.name.includes('.state')) state[io.name] = new ort.Tensor('float32', new Float32Array(io.shape.reduce<number>((a, d) => a * (d as number), 1)), io.shape as number[]);
  }
  const lr = new ort.Tensor('float32', Float32Array.of(sgd.lr), []);
  let t = 0;
  const wantsLr = session.inputNames.includes('lr');
  const wantsT = session.inputNames.includes('t');
  const stateNames = Object.keys(state);
  return {
    bytes,
    params,
    value: (name) => state[name]!.data as Float32Array,
    step: async (x, y) => {
      t++;
      const feeds: Record<string, ort.Tensor> = { [names[0]!]: x, label: y, ...state };
      if (wantsLr) feeds['lr'] = lr;
      if (wantsT) feeds['t'] = new ort.Tensor('float32', Float32Array.of(t), []);
      const out = await session.run(feeds);
      for (const n of stateNames) state[n] = out[`${n}.new`]!;
      return (out['loss']!.data as Float32Array)[0]!;
    },
  };
}
