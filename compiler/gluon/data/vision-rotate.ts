/**
 * `gluon.data.vision.transforms`' `Rotate` and `RandomRotation`, as MXNet
 * 2's (python/mxnet/gluon/data/vision/transforms/image.py over
 * python/mxnet/image/image.py's `imrotate` and `random_rotate`): a grid of
 * pixel positions centred on the image, rotated, divided by the half sizes
 * `(w - 1) / 2` and `(h - 1) / 2`, optionally scaled (`zoomIn`: no empty
 * corner is left; `zoomOut`: the whole image stays in view), then sampled
 * by MXNet's `BilinearSampler` (src/operator/bilinear_sampler.cc: the
 * four neighbours, 0 outside the image).
 *
 * Invariants: CHW images or NCHW batches of float32 (MXNet's dtype; after
 * `ToTensor`), any channel count, shape kept; arithmetic in float32 step by
 * step as MXNet's NDArray operators and the sampler's CPU kernel (whose
 * weights `1.0 - w` are doubles) do it; angles in degrees, counter-clockwise
 * on screen for positive angles as MXNet's grid turns; random angles and the
 * rotate-or-not draw come from the seeded stream (`random.seed`; MXNet draws
 * from numpy's global generator). An image 1 pixel high or wide is an Error
 * (MXNet's grid divides by its half size, 0, and gives NaN).
 */
import { nextFloat } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { Block } from '../block.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { wrap } from './vision-image.js';

const fr = Math.fround;

/** The zoom factor of `imrotate` for one angle (radians, float32), or 1 without zoom. */
function zoomScale(rad: number, h: number, w: number, zoomIn: boolean, zoomOut: boolean): number {
  if (!zoomIn && !zoomOut) return 1;
  const rho = fr(Math.sqrt(fr(fr(h * h) + fr(w * w))));
  const ang = fr(Math.atan(fr(h / w)));
  const a = Math.abs(rad);
  const c1 = fr(ang + a);
  const c2 = fr(ang - a);
  const maxX = Math.max(Math.abs(fr(rho * fr(Math.cos(c1)))), Math.abs(fr(rho * fr(Math.cos(c2)))));
  const maxY = Math.max(Math.abs(fr(rho * fr(Math.sin(c1)))), Math.abs(fr(rho * fr(Math.sin(c2)))));
  return zoomOut ? Math.max(fr(maxX / w), fr(maxY / h)) : Math.min(fr(w / maxX), fr(h / maxY));
}

/** BilinearSampler's value at the normalized grid point `(gx, gy)` of one `h` x `w` channel stored at `src[off..]`. */
function sample(src: Float32Array, off: number, h: number, w: number, gx: number, gy: number): number {
  const yReal = fr(fr(fr(gy + 1) * (h - 1)) / 2);
  const xReal = fr(fr(fr(gx + 1) * (w - 1)) / 2);
  const y0 = Math.floor(yReal);
  const x0 = Math.floor(xReal);
  const wy = fr(1 - fr(yReal - y0));
  const wx = fr(1 - fr(xReal - x0));
  const at = (y: number, x: number) => (y >= 0 && y <= h - 1 && x >= 0 && x <= w - 1 ? src[off + y * w + x]! : 0);
  return fr(fr(fr(at(y0, x0) * wy) * wx) + fr(at(y0, x0 + 1) * wy) * (1 - wx) + at(y0 + 1, x0) * (1 - wy) * wx + at(y0 + 1, x0 + 1) * (1 - wy) * (1 - wx));
}

/**
 * MXNet's `image.imrotate`: each CHW image of `x` (or the one image)
 * rotated by its angle in degrees. Example: `rotateImages('Rotate', x, [30], false, false)`.
 */
export function rotateImages(what: string, x: unknown, degrees: number[], zoomIn: boolean, zoomOut: boolean): NDArray {
  if (!(x instanceof NDArray)) throw new Error(`${what}: expected an NDArray image, got ${x === null ? 'null' : typeof x}`);
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${what}: expected a CHW image or an NCHW batch of them (3 or 4 dims), got shape [${x.shape.join(', ')}]`);
  if (x.dtype !== 'float32') throw new Error(`${what}: only float32 images are supported (MXNet's; ToTensor first), got ${x.dtype}`);
  const [n, c, h, w] = (x.ndim === 3 ? [1, ...x.shape] : x.shape) as [number, number, number, number];
  if (h < 2 || w < 2) throw new Error(`${what}: the image of shape [${x.shape.join(', ')}] must be at least 2 pixels high and wide (MXNet's grid divides by (size - 1) / 2)`);
  if (degrees.length !== n) throw new Error(`${what}: ${degrees.length} angles for ${n} images`);
  const src = x.data() as Float32Array;
  const out = new Float32Array(src.length);
  const [hs, ws] = [fr((h - 1) / 2), fr((w - 1) / 2)];
  for (let b = 0; b < n; b++) {
    const rad = fr(fr(fr(degrees[b]!) * fr(Math.PI)) / 180);
    const [ca, sa] = [fr(Math.cos(rad)), fr(Math.sin(rad))];
    const g = zoomScale(rad, h, w, zoomIn, zoomOut);
    for (let i = 0; i < h; i++) {
      const hm = fr(i - hs);
      for (let j = 0; j < w; j++) {
        const wm = fr(j - ws);
        const gx = fr(fr(fr(fr(wm * ca) - fr(hm * sa)) / ws) * g);
        const gy = fr(fr(fr(fr(wm * sa) + fr(hm * ca)) / hs) * g);
        for (let k = 0; k < c; k++) {
          const off = (b * c + k) * h * w;
          out[off + i * w + j] = sample(src, off, h, w, gx, gy);
        }
      }
    }
  }
  return wrap('float32', [...x.shape], out);
}

function flag(what: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`${what}: ${name} must be true or false, got ${showValue(v)}`);
  return v;
}

function zoomFlags(what: string, zoomIn: unknown, zoomOut: unknown): [boolean, boolean] {
  const z = [flag(what, 'zoomIn', zoomIn), flag(what, 'zoomOut', zoomOut)] as [boolean, boolean];
  if (z[0] && z[1]) throw new Error(`${what}: zoomIn and zoomOut cannot both be true`);
  return z;
}

/**
 * Rotates a CHW float32 image (or each image of an NCHW batch) by
 * `rotationDegrees`, keeping its shape; `zoomIn` enlarges it until no empty
 * corner shows, `zoomOut` shrinks it until all of it shows (MXNet's
 * `Rotate`; outside the image is 0).
 *
 * ```ts
 * new transforms.Rotate(30).call(new transforms.ToTensor().call(img));
 * new transforms.Rotate(45, { zoomIn: true });
 * ```
 */
export class Rotate extends Block {
  readonly rotationDegrees: number | number[];
  readonly zoomIn: boolean;
  readonly zoomOut: boolean;

  constructor(...args: KwArgs<['rotationDegrees', 'zoomIn?', 'zoomOut?'], [rotationDegrees: number | number[], zoomIn?: boolean, zoomOut?: boolean], {}>) {
    super();
    const [[deg, zoomIn = false, zoomOut = false]] = bindArgs<[number | number[], boolean?, boolean?], {}>('Rotate', ['rotationDegrees', 'zoomIn?', 'zoomOut?'], args, []);
    const list = typeof deg === 'number' ? [deg] : deg;
    if (!Array.isArray(list) || list.length === 0 || list.some((d) => typeof d !== 'number' || !Number.isFinite(d))) {
      throw new Error(`Rotate: rotationDegrees must be a finite number (or one per image of a batch), got ${showValue(deg)}`);
    }
    this.rotationDegrees = deg;
    [this.zoomIn, this.zoomOut] = zoomFlags('Rotate', zoomIn, zoomOut);
  }

  override forward(x: NDArray): NDArray {
    const n = x instanceof NDArray && x.ndim === 4 ? x.shape[0]! : 1;
    const d = this.rotationDegrees;
    if (Array.isArray(d) && x instanceof NDArray && x.ndim === 3) throw new Error('Rotate: a single CHW image takes one angle (a number), as MXNet requires');
    return rotateImages('Rotate', x, typeof d === 'number' ? new Array(n).fill(d) : d, this.zoomIn, this.zoomOut);
  }

  override toString(): string {
    return `Rotate(rotationDegrees=${JSON.stringify(this.rotationDegrees)}, zoomIn=${this.zoomIn}, zoomOut=${this.zoomOut})`;
  }
}

/**
 * With probability `rotateWithProba` (1), rotates a CHW float32 image by an
 * angle drawn uniformly from `angleLimits` `[lower, upper]` degrees (each
 * image of an NCHW batch its own), else returns it unchanged (MXNet's
 * `RandomRotation`).
 *
 * ```ts
 * new transforms.RandomRotation([-30, 30], { zoomIn: true, rotateWithProba: 0.5 });
 * ```
 */
export class RandomRotation extends Block {
  readonly angleLimits: [number, number];
  readonly zoomIn: boolean;
  readonly zoomOut: boolean;
  readonly rotateWithProba: number;

  constructor(
    ...args: KwArgs<
      ['angleLimits', 'zoomIn?', 'zoomOut?', 'rotateWithProba?'],
      [angleLimits: [number, number], zoomIn?: boolean, zoomOut?: boolean, rotateWithProba?: number],
      {}
    >
  ) {
    super();
    const [[limits, zoomIn = false, zoomOut = false, p = 1]] = bindArgs<[[number, number], boolean?, boolean?, number?], {}>(
      'RandomRotation',
      ['angleLimits', 'zoomIn?', 'zoomOut?', 'rotateWithProba?'],
      args,
      [],
    );
    if (!Array.isArray(limits) || limits.length !== 2 || limits.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
      throw new Error(`RandomRotation: angleLimits must be [lower, upper] degrees, got ${showValue(limits)}`);
    }
    if (limits[0] >= limits[1]) throw new Error(`RandomRotation: angleLimits must be ordered, lower < upper, got ${showValue(limits)}`);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`RandomRotation: rotateWithProba must be a probability in [0, 1], got ${showValue(p)}`);
    this.angleLimits = [limits[0], limits[1]];
    [this.zoomIn, this.zoomOut] = zoomFlags('RandomRotation', zoomIn, zoomOut);
    this.rotateWithProba = p;
  }

  override forward(x: NDArray): NDArray {
    if (nextFloat() > this.rotateWithProba) return x;
    const n = x instanceof NDArray && x.ndim === 4 ? x.shape[0]! : 1;
    const [lo, hi] = this.angleLimits;
    const degrees = Array.from({ length: n }, () => lo + (hi - lo) * nextFloat());
    return rotateImages('RandomRotation', x, degrees, this.zoomIn, this.zoomOut);
  }

  override toString(): string {
    return `RandomRotation(angleLimits=${JSON.stringify(this.angleLimits)}, zoomIn=${this.zoomIn}, zoomOut=${this.zoomOut}, rotateWithProba=${this.rotateWithProba})`;
  }
}
