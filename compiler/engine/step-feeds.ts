/**
 * Feeds of the fused training step (program.ts) and the compiled eager
 * update (update-graph.ts) that are not an array's own host tensor: the
 * update's scalars, held while their value stays, and the previous weights
 * that stand for increment states.
 *
 * An increment state is an optimizer state the update adds to the weight
 * (SGD momentum: `m ← μ·m − lr·g; w ← w + m`; see `incrementState` in
 * autodiff/step.ts). The step does not output it: after the step it is the
 * new weight minus the weight the step was fed, an array computed on first
 * read (`incrementArray`), and the next step is fed that previous weight
 * (`previousWeight`) and forms the difference itself. The binding then
 * copies out one array per parameter instead of two, and the garbage
 * collector sees half the bytes per step. The state read back is the
 * increment as applied: it differs from MXNet's stored momentum by the
 * rounding of `w + m`, at most half an ulp of the weight (an update below
 * that leaves weight and state unchanged, where MXNet's momentum would
 * accumulate it).
 * Invariant: host tensors are never written after they are made (NDArray's
 * invariant), so the two weights an increment remembers keep their values.
 */
import type { DType } from '../../runtime/dtypes.js';
import { scalarTensor, type HostTensor } from '../../runtime/tensor.js';
import { NDArray, type LazyValue } from './ndarray.js';

/** The lazy value of an increment array (a class: one per parameter per step). */
class Increment implements LazyValue {
  target: NDArray | null = null;

  constructor(readonly older: HostTensor, readonly newer: HostTensor) {}

  get dtype(): DType {
    return this.newer.dtype;
  }

  get shape(): number[] {
    return this.newer.shape;
  }

  force(): void {
    this.target!._host = difference(this.newer, this.older);
  }
}

/**
 * The state `newer − older` as an array, computed on first read (a saved or
 * printed state, an eager update); until then `previousWeight` gives
 * `older` back while the weight is still `newer`.
 * Example: `states[k] = incrementArray(feeds['p0'], res['weight0'])`.
 */
export function incrementArray(older: HostTensor, newer: HostTensor): NDArray {
  const lazy = new Increment(older, newer);
  const a = new NDArray(null, lazy);
  lazy.target = a;
  return a;
}

/**
 * What to feed for the weight before the last update, given the weight
 * `weight` and its increment state `state`: the older of the two weights
 * `state` was made from, while `state` is unread and the weight is still
 * the newer one (every step of a training loop); else `weight − state`
 * (zeros at the first step; a loaded, read or eagerly updated state, or a
 * weight set since: the step's `weight − previous` then gives `state` back
 * to the rounding of that subtraction).
 * Example: `feeds['prev0'] = previousWeight(trainer.stateOf(p)[0], feeds['p0'])`.
 */
export function previousWeight(state: NDArray, weight: HostTensor): HostTensor {
  const o = state._lazy;
  if (o instanceof Increment && o.newer === weight) return o.older;
  return difference(weight, state._host);
}

/** `a − b` elementwise, as the dtype rounds it (float32: the double difference rounded once more). */
function difference(a: HostTensor, b: HostTensor): HostTensor {
  if (a.dtype !== b.dtype || a.data.length !== b.data.length || !(a.data instanceof Float32Array || a.data instanceof Float64Array)) {
    throw new Error(`increment state: cannot subtract ${b.dtype}[${b.shape.join(',')}] from ${a.dtype}[${a.shape.join(',')}] (float32 or float64 of one shape)`);
  }
  const [x, y] = [a.data, b.data as Float32Array | Float64Array];
  const out = a.data instanceof Float32Array ? new Float32Array(x.length) : new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! - y[i]!;
  return { dtype: a.dtype, shape: [...a.shape], data: out };
}

/**
 * Scalar feeds that keep their host tensor while the value stays the same
 * (a learning rate changes rarely; onnxruntime never writes an input).
 * Example: `const feed = scalarFeeds(); feed(0, 0.1, 'float32') === feed(0, 0.1, 'float32')`.
 */
export function scalarFeeds(): (i: number, value: number, dtype: DType) => HostTensor {
  const last: { value: number; t: HostTensor }[] = [];
  return (i, value, dtype) => {
    const l = last[i];
    return l && Object.is(l.value, value) && l.t.dtype === dtype ? l.t : (last[i] = { value, t: scalarTensor(value, dtype) }).t;
  };
}
