/**
 * Pooling layers (MXNet's `MaxPool1D/2D/3D`, `AvgPool1D/2D/3D`,
 * `GlobalMaxPool1D/2D/3D`, `GlobalAvgPool1D/2D/3D`) over channel-first input
 * (NCW, NCHW, NCDHW), all through
 * `F.Pooling`. `ceilMode` selects MXNet's 'full' pooling convention.
 */
import { HybridBlock } from '../hybrid.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { boolOption } from './basic.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { checkInputRank } from './conv.js';

/** Options of the windowed pooling layers (MXNet's, camelCase). */
export interface PoolOptions {
  /** Step of the window; defaults to the pool size. */
  strides?: number | number[];
  /** Padding on both sides per spatial axis (default 0). */
  padding?: number | number[];
  /**
   * Round the output size up (MXNet's poolingConvention 'full') instead of
   * down; a last window that would start in the end padding is dropped (as
   * PyTorch and onnxruntime do; MXNet outputs it as -inf for max, 0 for avg).
   */
  ceilMode?: boolean;
  /** Only the channel-first layout ('NCW' for 1-D, 'NCHW' for 2-D, 'NCDHW' for 3-D). */
  layout?: string;
}

/** Options of the average pooling layers. */
export interface AvgPoolOptions extends PoolOptions {
  /** Count padded zeros in the average (default true, as MXNet). */
  countIncludePad?: boolean;
}

function perAxis(block: string, name: string, v: number | number[], n: number, min: number): number[] {
  // A non-number, non-list value (a string from a config file) lands here: named, not a TypeError.
  const list = typeof v === 'number' ? new Array<number>(n).fill(v) : Array.isArray(v) ? [...v] : [NaN];
  if (list.length !== n || !list.every((x) => Number.isInteger(x) && x >= min)) {
    throw new Error(`${block}: ${name} must be an integer >= ${min} or ${n} of them, got ${JSON.stringify(v)}`);
  }
  return list;
}

function layoutOf(block: string, nd: number, layout: string | undefined): string {
  const expected = ['', 'NCW', 'NCHW', 'NCDHW'][nd]!;
  if ((layout ?? expected) !== expected) throw new Error(`${block}: layout '${layout}' is not supported (only ${expected})`);
  return expected;
}

/**
 * The arguments of a windowed pooling layer: `poolSize` (default 2)
 * positionally or by name (Gluon's `MaxPool2D(pool_size=3, strides=2)`), then options.
 *
 * ```ts
 * const a: PoolArgs<PoolOptions> = [{ poolSize: 3, strides: 2 }];
 * ```
 */
export type PoolArgs<O, N extends readonly string[] = typeof MAX_POOL_ARGS> = OptionArgs<O & { poolSize?: number | number[] }, N>;

/**
 * MXNet's positional parameters of the pooling layers, in its order (which
 * differs: MaxPool1D/2D and AvgPool1D put `layout` before `ceil_mode`,
 * MaxPool3D and AvgPool2D/3D after it).
 */
const MAX_POOL_ARGS = ['poolSize?', 'strides?', 'padding?', 'layout?', 'ceilMode?'] as const;
const MAX_POOL_3D_ARGS = ['poolSize?', 'strides?', 'padding?', 'ceilMode?', 'layout?'] as const;
const AVG_POOL_1D_ARGS = ['poolSize?', 'strides?', 'padding?', 'layout?', 'ceilMode?', 'countIncludePad?'] as const;
const AVG_POOL_ARGS = ['poolSize?', 'strides?', 'padding?', 'ceilMode?', 'layout?', 'countIncludePad?'] as const;

/** The shared implementation of windowed pooling. */
abstract class PoolBase extends HybridBlock {
  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  protected readonly layout: string;
  protected readonly poolType: 'max' | 'avg';
  protected readonly countIncludePad: boolean;

  constructor(nd: number, poolType: 'max' | 'avg', args: readonly unknown[]) {
    super();
    const name = this.constructor.name;
    const list = poolType === 'max' ? (nd === 3 ? MAX_POOL_3D_ARGS : MAX_POOL_ARGS) : nd === 1 ? AVG_POOL_1D_ARGS : AVG_POOL_ARGS;
    const { poolSize = 2, ...options } = bindOptions<AvgPoolOptions & { poolSize?: number | number[] }>(name, list, args, []);
    this.layout = layoutOf(name, nd, options.layout);
    this.poolType = poolType;
    this.poolSize = perAxis(name, 'poolSize', poolSize, nd, 1);
    this.strides = perAxis(name, 'strides', options.strides ?? this.poolSize, nd, 1);
    this.padding = perAxis(name, 'padding', options.padding ?? 0, nd, 0);
    this.ceilMode = boolOption(name, 'ceilMode', options.ceilMode, false);
    this.countIncludePad = boolOption(name, 'countIncludePad', options.countIncludePad, true);
  }

  /** MXNet's pooling layers count as `pool` (`pool0_fwd`). */
  override _alias(): string {
    return 'pool';
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    checkInputRank(this, x, this.layout);
    return F.Pooling(x, {
      kernel: this.poolSize, stride: this.strides, pad: this.padding, poolType: this.poolType,
      poolingConvention: this.ceilMode ? 'full' : 'valid', countIncludePad: this.countIncludePad, layout: this.layout as 'NCHW',
    });
  }

  override toString(): string {
    const t = (v: number[]): string => `(${v.join(', ')})`;
    return `${this.constructor.name}(size=${t(this.poolSize)}, stride=${t(this.strides)}, padding=${t(this.padding)}, ceil_mode=${this.ceilMode})`;
  }
}

/**
 * 2-D max pooling over NCHW input.
 *
 * ```ts
 * new nn.MaxPool2D(2).call(nd.ones([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * new nn.MaxPool2D(3, { strides: 2, padding: 1, ceilMode: true });
 * new nn.MaxPool2D({ poolSize: 3, strides: 2 }); // Gluon's MaxPool2D(pool_size=3, strides=2)
 * ```
 */
export class MaxPool2D extends PoolBase {
  constructor(...args: PoolArgs<PoolOptions>) {
    super(2, 'max', args);
  }
}

/**
 * 1-D max pooling over NCW input.
 *
 * ```ts
 * new nn.MaxPool1D(2).call(nd.ones([1, 3, 8])).shape; // [1, 3, 4]
 * ```
 */
export class MaxPool1D extends PoolBase {
  constructor(...args: PoolArgs<PoolOptions>) {
    super(1, 'max', args);
  }
}

/**
 * 2-D average pooling over NCHW input (padded zeros count unless `countIncludePad: false`).
 *
 * ```ts
 * new nn.AvgPool2D(2).call(nd.ones([1, 3, 8, 8])).shape; // [1, 3, 4, 4]
 * ```
 */
export class AvgPool2D extends PoolBase {
  constructor(...args: PoolArgs<AvgPoolOptions, typeof AVG_POOL_ARGS>) {
    super(2, 'avg', args);
  }
}

/**
 * 1-D average pooling over NCW input.
 *
 * ```ts
 * new nn.AvgPool1D(2).call(nd.ones([1, 3, 8])).shape; // [1, 3, 4]
 * ```
 */
export class AvgPool1D extends PoolBase {
  constructor(...args: PoolArgs<AvgPoolOptions, typeof AVG_POOL_1D_ARGS>) {
    super(1, 'avg', args);
  }
}

/** The shared implementation of global pooling. */
abstract class GlobalPoolBase extends HybridBlock {
  protected readonly layout: string;

  constructor(nd: number, protected readonly poolType: 'max' | 'avg', args: readonly unknown[]) {
    super();
    // MXNet's Global*Pool*D(layout): the layout by position or name.
    const options = bindOptions<{ layout?: string }>(this.constructor.name, ['layout?'], args);
    checkOptions(this.constructor.name, options, ['layout']);
    this.layout = layoutOf(this.constructor.name, nd, options.layout);
  }

  /** MXNet's pooling layers count as `pool` (`pool0_fwd`). */
  override _alias(): string {
    return 'pool';
  }

  override hybridForward(F: F, x: Tensor): Tensor {
    checkInputRank(this, x, this.layout);
    return F.Pooling(x, { globalPool: true, poolType: this.poolType, kernel: new Array<number>(this.layout.length - 2).fill(1) });
  }

  override toString(): string {
    return `${this.constructor.name}()`;
  }
}

/**
 * Max over the whole spatial extent of NCHW input: output [N, C, 1, 1].
 *
 * ```ts
 * new nn.GlobalMaxPool2D().call(nd.ones([2, 3, 5, 5])).shape; // [2, 3, 1, 1]
 * ```
 */
export class GlobalMaxPool2D extends GlobalPoolBase {
  constructor(...args: OptionArgs<{ layout?: string }, ['layout?']>) {
    super(2, 'max', args);
  }
}

/**
 * Mean over the whole spatial extent of NCHW input: output [N, C, 1, 1].
 *
 * ```ts
 * new nn.GlobalAvgPool2D().call(nd.ones([2, 3, 5, 5])).shape; // [2, 3, 1, 1]
 * ```
 */
export class GlobalAvgPool2D extends GlobalPoolBase {
  constructor(...args: OptionArgs<{ layout?: string }, ['layout?']>) {
    super(2, 'avg', args);
  }
}

/**
 * Mean over the whole length of NCW input: output [N, C, 1].
 *
 * ```ts
 * new nn.GlobalAvgPool1D().call(nd.ones([2, 3, 5])).shape; // [2, 3, 1]
 * ```
 */
export class GlobalAvgPool1D extends GlobalPoolBase {
  constructor(...args: OptionArgs<{ layout?: string }, ['layout?']>) {
    super(1, 'avg', args);
  }
}

/**
 * Max over the whole length of NCW input: output [N, C, 1].
 *
 * ```ts
 * new nn.GlobalMaxPool1D().call(nd.ones([2, 3, 5])).shape; // [2, 3, 1]
 * ```
 */
export class GlobalMaxPool1D extends GlobalPoolBase {
  constructor(...args: OptionArgs<{ layout?: string }, ['layout?']>) {
    super(1, 'max', args);
  }
}

/**
 * 3-D max pooling over NCDHW input.
 *
 * ```ts
 * new nn.MaxPool3D(2).call(nd.ones([1, 3, 4, 8, 8])).shape; // [1, 3, 2, 4, 4]
 * ```
 */
export class MaxPool3D extends PoolBase {
  constructor(...args: PoolArgs<PoolOptions, typeof MAX_POOL_3D_ARGS>) {
    super(3, 'max', args);
  }
}

/**
 * 3-D average pooling over NCDHW input (padded zeros count unless `countIncludePad: false`).
 *
 * ```ts
 * new nn.AvgPool3D(2).call(nd.ones([1, 3, 4, 8, 8])).shape; // [1, 3, 2, 4, 4]
 * ```
 */
export class AvgPool3D extends PoolBase {
  constructor(...args: PoolArgs<AvgPoolOptions, typeof AVG_POOL_ARGS>) {
    super(3, 'avg', args);
  }
}

/**
 * Max over the whole volume of NCDHW input: output [N, C, 1, 1, 1].
 *
 * ```ts
 * new nn.GlobalMaxPool3D().call(nd.ones([2, 3, 2, 5, 5])).shape; // [2, 3, 1, 1, 1]
 * ```
 */
export class GlobalMaxPool3D extends GlobalPoolBase {
  constructor(...args: OptionArgs<{ layout?: string }, ['layout?']>) {
    super(3, 'max', args);
  }
}

/**
 * Mean over the whole volume of NCDHW input: output [N, C, 1, 1, 1].
 *
 * ```ts
 * new nn.GlobalAvgPool3D().call(nd.ones([2, 3, 2, 5, 5])).shape; // [2, 3, 1, 1, 1]
 * ```
 */
export class GlobalAvgPool3D extends GlobalPoolBase {
  constructor(...args: OptionArgs<{ layout?: string }, ['layout?']>) {
    super(3, 'avg', args);
  }
}
