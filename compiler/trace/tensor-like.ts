/**
 * How the symbolic layer sees eager tensors without importing the Gluon
 * front end: the front end registers a factory at load time.
 */
import type { HostTensor } from '../../runtime/tensor.js';

/** What `sym` needs to know about eager tensors. */
export interface TensorFactory {
  isTensor: (x: unknown) => boolean;
  host: (x: unknown) => HostTensor;
  wrap: (h: HostTensor) => unknown;
}

let factory: TensorFactory | null = null;

/** Registers the eager tensor type (called once by the NDArray module). */
export function setTensorFactory(f: TensorFactory): void {
  factory = f;
}

/** The registered factory; without one, eager tensors are plain host tensors. */
export function tensorFactory(): TensorFactory {
  return (
    factory ?? {
      isTensor: (x) => typeof x === 'object' && x !== null && 'dtype' in x && 'shape' in x && 'data' in x && ArrayBuffer.isView((x as HostTensor).data),
      host: (x) => x as HostTensor,
      wrap: (h) => h,
    }
  );
}
