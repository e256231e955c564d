/**
 * d2l's edge-detection example as a model file: the `Conv2D` layer of
 * `conv.ts` (a 1x2 kernel over a 6x8 image; `corr2d` unrolled into the graph).
 */
import { Conv2D } from './conv.js';

/** The model: `Conv2D([1, 2])`, initialized. Example: `build().call(np.ones([6, 8]))` is [6, 7]. */
export default function build(): Conv2D {
  const net = new Conv2D([1, 2]);
  net.initialize();
  return net;
}

/** Example input: one 6x8 image. */
export const inputs = { x: { shape: [6, 8], dtype: 'float32' } };
