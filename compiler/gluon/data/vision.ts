/**
 * `gluon.data.vision.transforms`: MXNet's image transforms as blocks, for
 * `dataset.transformFirst(...)`. `ToTensor` turns an HWC image (or an NHWC
 * batch) of 0-255 values into float32 CHW (NCHW) divided by 255;
 * `Normalize(mean, std)` subtracts and divides per channel of a CHW
 * (NCHW) float image; `Cast` converts the dtype; `Compose` chains them.
 * `ToTensor`, `Normalize` and `Cast` are HybridBlocks (as MXNet's): their
 * `forward` runs on NDArrays or, hybridized, on traced Symbols.
 * Invariant: the input is not modified; a shape or channel count that does
 * not fit is an Error naming the transform and the shape.
 */
import { checkDType, type DType } from '../../../runtime/dtypes.js';
import { NDArray, array } from '../../engine/ndarray.js';
import { isSymbol, type Symbol } from '../../trace/symbol.js';
import { Block } from '../block.js';
import { HybridBlock } from '../hybrid.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';

/** An image eagerly, or its Symbol while a hybridized transform is traced. */
type Img = NDArray | Symbol;

function checkImage(what: string, x: unknown, layout: string): Img {
  if (!(x instanceof NDArray) && !isSymbol(x)) throw new Error(`${what}: expected an NDArray image, got ${x === null ? 'null' : typeof x}`);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${what}: expected a ${layout} image or a batch of them (3 or 4 dims), got shape [${x.shape.join(', ')}]`);
  return x;
}

/**
 * HWC (or NHWC) values in [0, 255] → float32 CHW (NCHW) in [0, 1] (MXNet's `ToTensor`).
 *
 * ```ts
 * new transforms.ToTensor().call(nd.ones([28, 28, 1], { dtype: 'uint8' })).shape; // [1, 28, 28]
 * ```
 */
export class ToTensor extends HybridBlock {
  override forward(x: Img): Img {
    const img = checkImage('ToTensor', x, 'HWC');
    const axes = img.ndim === 3 ? [2, 0, 1] : [0, 3, 1, 2];
    return (img as NDArray).astype('float32').transpose({ axes }).div(255);
  }

  override toString(): string {
    return 'ToTensor()';
  }
}

function channelValues(what: string, name: string, v: number | number[]): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    throw new Error(`${what}: ${name} must be a number or a non-empty list of numbers, got ${showValue(v)}`);
  }
  return list;
}

/**
 * `(x - mean) / std` per channel of a CHW (NCHW) image (MXNet's
 * `Normalize`); `mean` and `std` are one number or one per channel.
 *
 * ```ts
 * new transforms.Normalize(0.1307, 0.3081).call(img); // MNIST's statistics
 * new transforms.Normalize({ mean: 0.1307, std: 0.3081 }); // the same, by name
 * ```
 */
export class Normalize extends HybridBlock {
  readonly mean: number[];
  readonly std: number[];

  constructor(...args: KwArgs<['mean?', 'std?'], [mean?: number | number[], std?: number | number[]], {}>) {
    super();
    const [[mean = 0, std = 1]] = bindArgs<[(number | number[])?, (number | number[])?], {}>('Normalize', ['mean?', 'std?'], args, []);
    this.mean = channelValues('Normalize', 'mean', mean);
    this.std = channelValues('Normalize', 'std', std);
    if (this.std.some((s) => s === 0)) throw new Error(`Normalize: std must not be 0, got ${showValue(std)}`);
  }

  override forward(x: Img): Img {
    const img = checkImage('Normalize', x, 'CHW') as NDArray;
    const c = img.shape[img.ndim - 3]!;
    if (typeof c !== 'number') throw new Error(`Normalize: the channel dimension of shape [${img.shape.join(', ')}] must be known`);
    for (const [name, v] of [['mean', this.mean], ['std', this.std]] as const) {
      if (v.length !== 1 && v.length !== c) throw new Error(`Normalize: ${name} has ${v.length} values but the image of shape [${img.shape.join(', ')}] has ${c} channels (CHW)`);
    }
    if (img.dtype !== 'float32' && img.dtype !== 'float64') throw new Error(`Normalize: expected a float image (ToTensor first), got ${img.dtype}`);
    const per = (v: number[]) => array(v.length === 1 ? new Array(c).fill(v[0]) : v, { dtype: img.dtype }).reshape([c, 1, 1]);
    return img.sub(per(this.mean)).div(per(this.std));
  }

  override toString(): string {
    return `Normalize(mean=${JSON.stringify(this.mean)}, std=${JSON.stringify(this.std)})`;
  }
}

/**
 * Converts the dtype (MXNet's `Cast`, default float32).
 *
 * ```ts
 * new transforms.Cast('float64').call(img);
 * ```
 */
export class Cast extends HybridBlock {
  readonly dtype: DType;

  constructor(...args: KwArgs<['dtype?'], [dtype?: DType], {}>) {
    super();
    const [[dtype = 'float32']] = bindArgs<[DType?], {}>('Cast', ['dtype?'], args, []);
    this.dtype = checkDType(dtype, 'Cast');
  }

  override forward(x: Img): Img {
    if (!(x instanceof NDArray) && !isSymbol(x)) throw new Error(`Cast: expected an NDArray, got ${typeof x}`);
    return (x as NDArray).astype(this.dtype);
  }

  override toString(): string {
    return `Cast(${this.dtype})`;
  }
}

/**
 * Applies transforms in order (MXNet's `Compose`); each is a block or a function.
 *
 * ```ts
 * const t = new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize(0.13, 0.31)]);
 * mnistLike.transformFirst(t);
 * ```
 */
export class Compose extends Block {
  private readonly _steps: (Block | ((x: any) => unknown))[];

  constructor(...args: KwArgs<['transforms'], [transforms: (Block | ((x: any) => unknown))[]], {}>) {
    super();
    const [[transforms]] = bindArgs<[(Block | ((x: any) => unknown))[]], {}>('Compose', ['transforms'], args, []);
    if (!Array.isArray(transforms)) throw new Error('Compose: expected a list of transforms');
    transforms.forEach((t, i) => {
      if (!(t instanceof Block) && typeof t !== 'function') throw new Error(`Compose: transform ${i} is not a block or a function`);
    });
    this._steps = [...transforms];
  }

  /** The block transforms, named by position (as Sequential's children). */
  override children(): [string, Block][] {
    return this._steps.flatMap((t, i): [string, Block][] => (t instanceof Block ? [[String(i), t]] : []));
  }

  override forward(x: unknown): unknown {
    return this._steps.reduce((v, t) => (t instanceof Block ? t.call(v) : t(v)), x);
  }
}
