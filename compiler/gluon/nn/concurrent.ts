/**
 * MXNet 1.x's `gluon.contrib.nn` containers that run every child on the same
 * input and join the outputs with `concat` along `axis` (`Concurrent`,
 * `HybridConcurrent`; MXNet 2 calls them `nn.Concatenate` and
 * `nn.HybridConcatenate`), and `Identity`, which returns its input. The model
 * zoo's SqueezeNet (fire modules), DenseNet (dense layers) and Inception
 * build on them. Children are named by position, as in the sequential
 * containers (`0.weight`, `1.0.weight`), so MXNet's parameter files load.
 * Invariant: each child gets the same input; the result is
 * `concat(child0(x), child1(x), ..., { dim: axis })` (MXNet's
 * contrib/nn/basic_layers.py), so an empty container is an error, as
 * MXNet's concat of nothing is.
 */
import { Block } from '../block.js';
import { HybridBlock } from '../hybrid.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { ops as ndOps } from '../../engine/nd.js';
import type { NDArray } from '../../engine/ndarray.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { layerError } from './basic.js';
import { HybridSequential, Sequential } from './sequential.js';

/** Options of the concatenating containers. */
export interface ConcurrentOptions {
  /** The axis the outputs are joined along (default -1, MXNet's). */
  axis?: number;
}

const CONCURRENT_ARGS = ['axis?'] as const;

function axisOption(cls: string, args: readonly unknown[]): number {
  const o = bindOptions<ConcurrentOptions>(cls, CONCURRENT_ARGS, args);
  checkOptions(cls, o, ['axis']);
  const axis = o.axis ?? -1;
  if (!Number.isInteger(axis)) throw new Error(`${cls}: axis must be an integer, got ${JSON.stringify(o.axis)}`);
  return axis;
}

function joinOutputs(block: Block, outs: unknown[], axis: number, join: (xs: Tensor[]) => Tensor): Tensor {
  if (outs.length === 0) throw layerError(block, 'has no children to concatenate (add blocks first)');
  for (const [i, o] of outs.entries()) {
    if (Array.isArray(o)) throw layerError(block, `child ${i} returned ${o.length} outputs; each child must return one array to concatenate along axis ${axis}`);
  }
  return join(outs as Tensor[]);
}

/**
 * Runs each child on the same input and concatenates the outputs along
 * `axis` (MXNet 1.x's `gluon.contrib.nn.Concurrent`, MXNet 2's
 * `nn.Concatenate`).
 *
 * ```ts
 * const net = new nn.Concurrent(1);
 * net.add(new nn.Dense(3), new nn.Dense(4));
 * net.initialize();
 * net.call(nd.ones([2, 5])).shape;   // [2, 7]
 * ```
 */
export class Concurrent extends Sequential {
  readonly axis: number;

  constructor(...args: OptionArgs<ConcurrentOptions, typeof CONCURRENT_ARGS>) {
    super();
    this.axis = axisOption(new.target.name, args);
  }

  override forward(x: unknown): unknown {
    const outs = [...this].map((b) => b.call(x));
    return joinOutputs(this, outs, this.axis, (xs) => ndOps.concat(...(xs as NDArray[]), { dim: this.axis }));
  }
}

/**
 * Runs each hybrid child on the same input and concatenates the outputs
 * along `axis`; hybridized, one graph (MXNet 1.x's
 * `gluon.contrib.nn.HybridConcurrent`, MXNet 2's `nn.HybridConcatenate`).
 *
 * ```ts
 * const paths = new nn.HybridConcurrent(1);
 * paths.add(new nn.Conv2D(4, 1), new nn.Conv2D(4, 3, { padding: 1 }));
 * paths.initialize();
 * paths.call(nd.ones([2, 3, 8, 8])).shape;   // [2, 8, 8, 8]
 * ```
 */
export class HybridConcurrent extends HybridSequential {
  readonly axis: number;

  constructor(...args: OptionArgs<ConcurrentOptions, typeof CONCURRENT_ARGS>) {
    super();
    this.axis = axisOption(new.target.name, args);
  }

  override hybridForward(F: F, x: Tensor, ...rest: unknown[]): unknown {
    if (rest.length > 1) throw layerError(this, `takes one input (each child gets the same one), got ${rest.length}`);
    const outs = [...this].map((b) => b.call(x));
    return joinOutputs(this, outs, this.axis, (xs) => F.concat(...xs, { dim: this.axis }));
  }
}

/** MXNet 2's name of `Concurrent`. */
export class Concatenate extends Concurrent {}

/** MXNet 2's name of `HybridConcurrent`. */
export class HybridConcatenate extends HybridConcurrent {}

/**
 * Returns its input (MXNet's `contrib.nn.Identity`, MXNet 2's
 * `nn.Identity`): the skip path of a `HybridConcurrent`, as in DenseNet.
 *
 * ```ts
 * new nn.Identity().call(nd.array([1, 2])).toArray();   // [1, 2]
 * ```
 */
export class Identity extends HybridBlock {
  override hybridForward(_F: F, x: Tensor): Tensor {
    return x;
  }
}
