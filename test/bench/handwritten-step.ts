/**
 * The peer of the fused training step: the MLP's training step written by
 * hand as ONE ONNX graph with onnx-proto, as a person would write it —
 * MatMul/Add/Relu forward, LogSoftmax + one-hot cross-entropy mean, the
 * backward derived by hand (MatMul with Transposes, the ReLU gradient as
 * Where(Greater(z, 0), g, 0)), and the SGD-momentum update
 * `m ← μ·m − lr·g; w ← w + m` (MXNet's `sgd_mom_update` with wd = 0).
 * Parameters and momenta are inputs; the new values (and the mean loss) are
 * outputs, fed back as the next step's inputs. No gluonc code is in the path
 * except the onnx-proto namespace export.
 * Invariant: weights are laid out [in, out] (what MatMul wants), so a Dense
 * weight (MXNet's [out, in]) is transposed on the way in and out.
 */
import * as ort from 'onnxruntime-node';
import { onnx, type OnnxTypes } from '../../compiler/onnx/proto.js';

/** Options of the hand-written step. Example: `{ sizes: [784, 256, 128, 10], batch: 64, lr: 0.1, momentum: 0.9 }`. */
export interface HandwrittenOptions {
  /** Layer widths, input first (default the MNIST MLP: 784, 256, 128, 10). */
  sizes?: number[];
  batch?: number;
  lr?: number;
  momentum?: number;
}

const F32 = onnx.TensorProto.DataType.FLOAT;
const I64 = onnx.TensorProto.DataType.INT64;

function io(name: string, elemType: number, shape: number[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function f32Const(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return { name, dims, dataType: F32, floatData: values };
}

function i64Const(name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto {
  return { name, dims, dataType: I64, int64Data: values };
}

/** The parameter names in feed order: W1, b1, W2, b2, ... (W of layer i is [sizes[i-1], sizes[i]]). */
export function paramNames(sizes: number[]): { name: string; shape: number[] }[] {
  const out: { name: string; shape: number[] }[] = [];
  for (let i = 1; i < sizes.length; i++) {
    out.push({ name: `W${i}`, shape: [sizes[i - 1]!, sizes[i]!] }, { name: `b${i}`, shape: [sizes[i]!] });
  }
  return out;
}

/**
 * The training step as ONNX bytes. Inputs: `x` [batch, in], `y` [batch]
 * (float class indices, as Gluon's loss takes them), each parameter `P` and
 * its momentum `m_P`; outputs: `loss` (mean), `new_P`, `new_m_P`.
 *
 * ```ts
 * const bytes = handwrittenStepModel({ batch: 64 });
 * ```
 */
export function handwrittenStepModel(o: HandwrittenOptions = {}): Uint8Array {
  const sizes = o.sizes ?? [784, 256, 128, 10];
  const B = o.batch ?? 64;
  const L = sizes.length - 1;
  const classes = sizes[L]!;
  const nodes: OnnxTypes.INodeProto[] = [];
  const node = (opType: string, input: string[], output: string, attribute: OnnxTypes.IAttributeProto[] = []) => {
    nodes.push({ opType, input, output: [output], attribute });
    return output;
  };
  const ints = (name: string, v: number[]): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
  const int = (name: string, v: number): OnnxTypes.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
  const initializer = [
    f32Const('lr', [], [o.lr ?? 0.1]),
    f32Const('mu', [], [o.momentum ?? 0.9]),
    f32Const('inv_batch', [], [1 / B]),
    f32Const('zero', [], [0]),
    f32Const('onehot_values', [2], [0, 1]),
    i64Const('depth', [], [classes]),
    i64Const('axis0', [1], [0]),
    i64Const('axis1', [1], [1]),
  ];
  // Forward.
  const z: string[] = [];
  const h: string[] = ['x'];
  for (let i = 1; i <= L; i++) {
    const a = node('MatMul', [h[i - 1]!, `W${i}`], `a${i}`);
    z[i] = node('Add', [a, `b${i}`], `z${i}`);
    if (i < L) h[i] = node('Relu', [z[i]!], `h${i}`);
  }
  const lsm = node('LogSoftmax', [z[L]!], 'logp', [int('axis', 1)]);
  const yi = node('Cast', ['y'], 'y_i64', [int('to', I64)]);
  const oh = node('OneHot', [yi, 'depth', 'onehot_values'], 'onehot', [int('axis', -1)]);
  const picked = node('ReduceSum', [node('Mul', [oh, lsm], 'oh_logp'), 'axis1'], 'picked', [int('keepdims', 0)]);
  node('Neg', [node('ReduceMean', [picked], 'mean_picked', [int('keepdims', 0)])], 'loss');
  // Backward: d loss / d logits = (softmax − onehot) / B.
  let d = node('Mul', [node('Sub', [node('Exp', [lsm], 'softmax'), oh], 'p_minus_y'), 'inv_batch'], `dz${L}`);
  const grads: Record<string, string> = {};
  for (let i = L; i >= 1; i--) {
    grads[`W${i}`] = node('MatMul', [node('Transpose', [h[i - 1]!], `${h[i - 1]}_T`, [ints('perm', [1, 0])]), d], `dW${i}`);
    grads[`b${i}`] = node('ReduceSum', [d, 'axis0'], `db${i}`, [int('keepdims', 0)]);
    if (i > 1) {
      const dh = node('MatMul', [d, node('Transpose', [`W${i}`], `W${i}_T`, [ints('perm', [1, 0])])], `dh${i - 1}`);
      const mask = node('Greater', [z[i - 1]!, 'zero'], `mask${i - 1}`);
      d = node('Where', [mask, dh, 'zero'], `dz${i - 1}`);
    }
  }
  // SGD with momentum.
  const params = paramNames(sizes);
  for (const { name } of params) {
    const m = node('Sub', [node('Mul', [`m_${name}`, 'mu'], `mu_m_${name}`), node('Mul', [grads[name]!, 'lr'], `lr_g_${name}`)], `new_m_${name}`);
    node('Add', [name, m], `new_${name}`);
  }
  const model: OnnxTypes.IModelProto = {
    irVersion: 10,
    producerName: 'handwritten-step',
    opsetImport: [{ domain: '', version: 21 }],
    graph: {
      name: 'mlp_train_step',
      node: nodes,
      initializer,
      input: [
        io('x', F32, [B, sizes[0]!]),
        io('y', F32, [B]),
        ...params.map((p) => io(p.name, F32, p.shape)),
        ...params.map((p) => io(`m_${p.name}`, F32, p.shape)),
      ],
      output: [io('loss', F32, []), ...params.map((p) => io(`new_${p.name}`, F32, p.shape)), ...params.map((p) => io(`new_m_${p.name}`, F32, p.shape))],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

/**
 * A hand-written training loop state: an onnxruntime-node session (the
 * public API) and the current parameters and momenta as ORT tensors.
 *
 * ```ts
 * const s = await HandwrittenTrainer.create({ batch: 64 }, { intraOpNumThreads: 1 }, initial);
 * await s.step(x, y); // x, y: ort.Tensor
 * ```
 */
export class HandwrittenTrainer {
  private state: Record<string, ort.Tensor>;
  lastLoss = NaN;

  private constructor(
    readonly session: ort.InferenceSession,
    readonly params: { name: string; shape: number[] }[],
    initial: Record<string, Float32Array>,
  ) {
    this.state = {};
    for (const p of params) {
      const v = initial[p.name];
      if (!v || v.length !== p.shape.reduce((a, b) => a * b, 1)) throw new Error(`HandwrittenTrainer: initial value of '${p.name}' missing or not of shape [${p.shape}]`);
      this.state[p.name] = new ort.Tensor('float32', Float32Array.from(v), p.shape);
      this.state[`m_${p.name}`] = new ort.Tensor('float32', new Float32Array(v.length), p.shape);
    }
  }

  /** Builds the model and its session; `initial` holds each parameter (W [in, out]) by name. */
  static async create(o: HandwrittenOptions, sessionOptions: ort.InferenceSession.SessionOptions, initial: Record<string, Float32Array>): Promise<HandwrittenTrainer> {
    const sizes = o.sizes ?? [784, 256, 128, 10];
    const session = await ort.InferenceSession.create(handwrittenStepModel(o), sessionOptions);
    return new HandwrittenTrainer(session, paramNames(sizes), initial);
  }

  /** One training step on a batch; the outputs become the next step's parameters. */
  async step(x: ort.Tensor, y: ort.Tensor): Promise<void> {
    const out = await this.session.run({ x, y, ...this.state });
    for (const p of this.params) {
      this.state[p.name] = out[`new_${p.name}`]!;
      this.state[`m_${p.name}`] = out[`new_m_${p.name}`]!;
    }
    this.lastLoss = (out.loss!.data as Float32Array)[0]!;
  }

  /** The current value of a parameter (W as [in, out]). */
  value(name: string): Float32Array {
    return this.state[name]!.data as Float32Array;
  }
}
