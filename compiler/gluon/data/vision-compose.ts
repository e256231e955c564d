/**
 * `gluon.data.vision.transforms`' containers beyond `Compose`, as MXNet 2's
 * (python/mxnet/gluon/data/vision/transforms/__init__.py): `HybridCompose`
 * (a HybridSequential of hybrid transforms, hybridized), `RandomApply` (a
 * transform applied with probability `p`) and `HybridRandomApply` (the same
 * as a HybridBlock whose draw is part of the compiled graph).
 *
 * Invariants: a call on an NDArray draws from the seeded stream
 * (`random.seed`), one draw per call, and applies the transform when
 * `u <= p` (MXNet's `if p < random.random(): return x`), running only that
 * branch (hybridized, the transform's own compiled graph). Traced inside a
 * larger hybridized block, HybridRandomApply draws in the graph (a
 * `randomUniformLike` node seeded from the stream when traced, which
 * onnxruntime advances on every run, so `random.seed` does not repeat it)
 * and computes both branches, selecting with `where`.
 */
import { nextFloat } from '../../ops/rng.js';
import * as ndMod from '../../engine/nd.js';
import { NDArray } from '../../engine/ndarray.js';
import { isSymbol } from '../../trace/symbol.js';
import { Block } from '../block.js';
import { HybridBlock } from '../hybrid.js';
import { HybridSequential } from '../nn/sequential.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { Compose } from './vision.js';

const ops = ndMod.ops as unknown as Record<string, (...a: unknown[]) => unknown>;

/** A transform: a block or a function of the sample. */
export type Transform = Block | ((x: any) => unknown);

function probability(what: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${what}: p must be a probability in [0, 1], got ${showValue(p)}`);
  return p;
}

function named(t: unknown): string {
  return t instanceof Block ? t.constructor.name : typeof t;
}

/**
 * Hybrid transforms in order, as one HybridSequential, hybridized when
 * built (MXNet's `HybridCompose`); a transform that is not a HybridBlock
 * (`Resize`, `RandomFlipLeftRight`, ... run on the host) is an Error: use
 * `Compose` for those.
 *
 * ```ts
 * const t = new transforms.HybridCompose([new transforms.ToTensor(), new transforms.Normalize(0.13, 0.31)]);
 * t.call(img); // one compiled graph per image shape
 * ```
 */
export class HybridCompose extends HybridSequential {
  constructor(...args: KwArgs<['transforms'], [transforms: HybridBlock[]], {}>) {
    super();
    const [[transforms]] = bindArgs<[HybridBlock[]], {}>('HybridCompose', ['transforms'], args, []);
    if (!Array.isArray(transforms)) throw new Error(`HybridCompose: expected a list of HybridBlocks, got ${showValue(transforms)}`);
    transforms.forEach((t, i) => {
      if (!(t instanceof HybridBlock)) throw new Error(`HybridCompose: transform ${i} (${named(t)}) is not a HybridBlock; use Compose instead`);
    });
    this.add(...transforms);
    this.hybridize();
  }
}

/**
 * Applies `transforms` (a block, a function, or a list of them, composed)
 * with probability `p` (0.5), else returns the input unchanged (MXNet's
 * `RandomApply`).
 *
 * ```ts
 * new transforms.RandomApply(new transforms.RandomColorJitter({ brightness: 0.4 }), 0.8);
 * ```
 */
export class RandomApply extends Block {
  readonly transforms: Transform;
  readonly p: number;

  constructor(...args: KwArgs<['transforms', 'p?'], [transforms: Transform | Transform[], p?: number], {}>) {
    super();
    const [[t, p = 0.5]] = bindArgs<[Transform | Transform[], number?], {}>('RandomApply', ['transforms', 'p?'], args, []);
    if (Array.isArray(t)) this.transforms = new Compose(t);
    else if (t instanceof Block || typeof t === 'function') this.transforms = t;
    else throw new Error(`RandomApply: transforms must be a block, a function or a list of them, got ${showValue(t)}`);
    this.p = probability('RandomApply', p);
  }

  override forward(x: unknown, ...rest: unknown[]): unknown {
    if (this.p < nextFloat()) return rest.length ? [x, ...rest] : x;
    const t = this.transforms;
    const y = t instanceof Block ? t.call(x) : t(x);
    return rest.length ? [y, ...rest] : y;
  }

  override toString(): string {
    return `RandomApply(p=${this.p}, transforms=${this.transforms instanceof Block ? String(this.transforms).split('\n').join('\n  ') : 'function'})`;
  }
}

/**
 * Applies the HybridBlock `transforms` with probability `p` (0.5), else
 * returns the input (MXNet's `HybridRandomApply`). Called on an NDArray it
 * draws from the seeded stream and runs the transform (compiled when
 * hybridized) only when drawn; traced inside a larger hybridized block the
 * draw is a graph node and both branches are computed, so the transform
 * must then keep the input's shape and dtype.
 *
 * ```ts
 * const t = new transforms.HybridRandomApply(new transforms.Normalize(0.5, 0.25), 0.3);
 * ```
 */
export class HybridRandomApply extends HybridBlock {
  readonly transforms: HybridBlock;
  readonly p: number;

  constructor(...args: KwArgs<['transforms', 'p?'], [transforms: HybridBlock, p?: number], {}>) {
    super();
    const [[t, p = 0.5]] = bindArgs<[HybridBlock, number?], {}>('HybridRandomApply', ['transforms', 'p?'], args, []);
    if (!(t instanceof HybridBlock)) throw new Error(`HybridRandomApply: transforms must be a HybridBlock (HybridCompose for several), got ${named(t)}; use RandomApply instead`);
    this.transforms = t;
    this.p = probability('HybridRandomApply', p);
  }

  /** On an NDArray: the seeded host draw, then only the chosen branch (the transform compiled if hybridized). */
  override call(x: unknown, ...rest: unknown[]): any {
    if (x instanceof NDArray && rest.length === 0) return this.p < nextFloat() ? x : this.transforms.call(x);
    return super.call(x, ...rest);
  }

  override forward(x: NDArray): NDArray {
    if (!isSymbol(x)) return this.p < nextFloat() ? x : (this.transforms.call(x) as NDArray);
    const y = this.transforms.call(x) as NDArray;
    if (y.dtype !== x.dtype || y.shape.length !== x.shape.length || y.shape.some((d, k) => String(d) !== String(x.shape[k]))) {
      throw new Error(`HybridRandomApply: traced in a hybridized block both branches are computed, so the transform must keep the input's shape and dtype: ${x.dtype}[${x.shape.join(', ')}] became ${y.dtype}[${y.shape.join(', ')}]`);
    }
    // One draw of shape [1, ..., 1] (MXNet's np.random.uniform(size=1)), broadcast over the image.
    const one = ops.sum!(x, { axis: null, keepdims: true });
    const u = ops.randomUniformLike!(one, { dtype: 'float32' });
    return ops.where!(ops.lesserEqual!(u, this.p), y, x) as NDArray;
  }

  override toString(): string {
    return `HybridRandomApply(p=${this.p}, transforms=${String(this.transforms).split('\n').join('\n  ')})`;
  }
}
