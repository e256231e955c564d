/**
 * MXNet's pixel-shuffle layers (`gluon.contrib.nn` in 1.x, `gluon.nn` in 2.x):
 * `PixelShuffle1D/2D/3D(factor)` move `factor` (per spatial axis) channels
 * into the spatial axes, [N, C·f1·f2, H, W] -> [N, C, H·f1, W·f2], by MXNet's
 * own reshape / transpose / reshape (so eager, hybridized and gradient
 * results come from those operators). Invariant: the channel count must be
 * divisible by the product of the factors, checked with the layer's name.
 */
import { HybridBlock } from '../hybrid.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { layerError, shapeText } from './basic.js';

/** Reads `factor` (one integer, or one per spatial axis) for a layer of `rank` spatial axes. */
function factors(layer: string, factor: unknown, rank: number): number[] {
  const list = typeof factor === 'number' ? new Array<number>(rank).fill(factor) : Array.isArray(factor) ? [...(factor as number[])] : undefined;
  if (!list || list.length !== rank || list.some((f) => !Number.isInteger(f) || f < 1)) {
    throw new Error(`${layer}: factor must be a positive integer${rank > 1 ? ` or ${rank} of them` : ''}, got ${JSON.stringify(factor)}`);
  }
  return list;
}

/** Checks the input's rank and channel count against the factors. */
function checkInput(block: HybridBlock, x: Tensor, f: number[]): void {
  if (x.ndim !== f.length + 2) throw layerError(block, `needs an input of rank ${f.length + 2} (N, C, ${['W', 'H, W', 'D, H, W'][f.length - 1]}), got shape ${shapeText(x.shape)}`);
  const c = x.shape[1];
  const k = f.reduce((a, b) => a * b, 1);
  if (typeof c === 'number' && c % k !== 0) throw layerError(block, `the ${c} channels of an input of shape ${shapeText(x.shape)} do not divide by the factors' product ${k}`);
}

/**
 * [N, C·f, W] -> [N, C, W·f].
 *
 * ```ts
 * new nn.PixelShuffle1D(2).call(nd.zeros([1, 4, 3])).shape; // [1, 2, 6]
 * ```
 */
export class PixelShuffle1D extends HybridBlock {
  readonly factors: number[];
  constructor(factor: number) {
    super();
    this.factors = factors('PixelShuffle1D', factor, 1);
  }
  override hybridForward(F: F, x: Tensor): Tensor {
    checkInput(this, x, this.factors);
    const f = this.factors[0]!;
    x = F.reshape(x, [0, -4, -1, f, 0]); // (N, C, f, W)
    x = F.transpose(x, [0, 1, 3, 2]); // (N, C, W, f)
    return F.reshape(x, [0, 0, -3]); // (N, C, W*f)
  }
  override toString(): string {
    return `PixelShuffle1D(${this.factors[0]})`;
  }
}

/**
 * [N, C·f1·f2, H, W] -> [N, C, H·f1, W·f2] (PyTorch's `PixelShuffle`, ONNX's DepthToSpace in CRD mode).
 *
 * ```ts
 * new nn.PixelShuffle2D(3).call(nd.zeros([1, 9, 4, 4])).shape;      // [1, 1, 12, 12]
 * new nn.PixelShuffle2D([2, 3]).call(nd.zeros([1, 6, 4, 4])).shape; // [1, 1, 8, 12]
 * ```
 */
export class PixelShuffle2D extends HybridBlock {
  readonly factors: number[];
  constructor(factor: number | [number, number]) {
    super();
    this.factors = factors('PixelShuffle2D', factor, 2);
  }
  override hybridForward(F: F, x: Tensor): Tensor {
    checkInput(this, x, this.factors);
    const [f1, f2] = this.factors as [number, number];
    x = F.reshape(x, [0, -4, -1, f1 * f2, 0, 0]); // (N, C, f1*f2, H, W)
    x = F.reshape(x, [0, 0, -4, f1, f2, 0, 0]); // (N, C, f1, f2, H, W)
    x = F.transpose(x, [0, 1, 4, 2, 5, 3]); // (N, C, H, f1, W, f2)
    return F.reshape(x, [0, 0, -3, -3]); // (N, C, H*f1, W*f2)
  }
  override toString(): string {
    return `PixelShuffle2D((${this.factors.join(', ')}))`;
  }
}

/**
 * [N, C·f1·f2·f3, D, H, W] -> [N, C, D·f1, H·f2, W·f3].
 *
 * ```ts
 * new nn.PixelShuffle3D(2).call(nd.zeros([1, 8, 2, 2, 2])).shape; // [1, 1, 4, 4, 4]
 * ```
 */
export class PixelShuffle3D extends HybridBlock {
  readonly factors: number[];
  constructor(factor: number | [number, number, number]) {
    super();
    this.factors = factors('PixelShuffle3D', factor, 3);
  }
  override hybridForward(F: F, x: Tensor): Tensor {
    checkInput(this, x, this.factors);
    const [f1, f2, f3] = this.factors as [number, number, number];
    x = F.reshape(x, [0, -4, -1, f1 * f2 * f3, 0, 0, 0]); // (N, C, f1*f2*f3, D, H, W)
    x = F.swapaxes(x, 2, 3); // (N, C, D, f1*f2*f3, H, W)
    x = F.reshape(x, [0, 0, 0, -4, f1, f2 * f3, 0, 0]); // (N, C, D, f1, f2*f3, H, W)
    x = F.reshape(x, [0, 0, -3, 0, 0, 0]); // (N, C, D*f1, f2*f3, H, W)
    x = F.swapaxes(x, 3, 4); // (N, C, D*f1, H, f2*f3, W)
    x = F.reshape(x, [0, 0, 0, 0, -4, f2, f3, 0]); // (N, C, D*f1, H, f2, f3, W)
    x = F.reshape(x, [0, 0, 0, -3, 0, 0]); // (N, C, D*f1, H*f2, f3, W)
    x = F.swapaxes(x, 4, 5); // (N, C, D*f1, H*f2, W, f3)
    return F.reshape(x, [0, 0, 0, 0, -3]); // (N, C, D*f1, H*f2, W*f3)
  }
  override toString(): string {
    return `PixelShuffle3D((${this.factors.join(', ')}))`;
  }
}
