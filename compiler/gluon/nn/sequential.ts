/**
 * Containers running their children in order. Children are named by their
 * position: `0`, `1`, ... (so parameters are `0.weight`, `1.bias`, ...).
 */
import { Block } from '../block.js';
import { HybridBlock } from '../hybrid.js';
import { structureMayHaveChanged } from '../structure.js';
import { noSummaryRow } from '../summary.js';
import type { F, Tensor } from '../../engine/tensor.js';

function addTo(owner: Block, layers: Block[], blocks: Block[], hybridOnly: boolean): void {
  for (const b of blocks) {
    if (!(b instanceof Block)) throw new Error(`${owner.constructor.name}.add: expected blocks, got ${typeof b}`);
    if (hybridOnly && !(b instanceof HybridBlock)) {
      throw new Error(`HybridSequential.add: ${b.constructor.name} is not a HybridBlock; use nn.Sequential for plain blocks`);
    }
    layers.push(b);
  }
  structureMayHaveChanged();
}

/**
 * A Sequential's `registerChild`: MXNet's `Sequential.add` is
 * `register_child(block)`, and its forward runs every child in order, so
 * registering appends the block as `add` does; a name other than the next
 * position is an Error (the children are named by position).
 */
function registerInSequence(owner: Block, length: number, block: Block, name: string | undefined, add: () => void): void {
  if (name !== undefined && name !== String(length)) {
    throw new Error(`${owner.constructor.name}.registerChild: a ${owner.constructor.name}'s children are named by position and run in order, so registerChild(block) appends it as child '${length}' (as add does); got the name ${JSON.stringify(name)}`);
  }
  add();
}

/** The children `net[start:end]` selects, by Python's slice rules (negative from the end, out-of-range clipped). */
function sliceLayers(owner: Block, layers: Block[], start?: number, end?: number): Block[] {
  for (const [k, v] of [['start', start], ['end', end]] as const) {
    if (v !== undefined && v !== null && !Number.isInteger(v)) throw new Error(`${owner.constructor.name}.slice: ${k} must be an integer, got ${String(v)}`);
  }
  return layers.slice(start ?? undefined, end ?? undefined);
}

/**
 * Runs blocks in order.
 *
 * ```ts
 * const net = new nn.Sequential();
 * net.add(new nn.Dense(8, { activation: 'relu' }), new nn.Dense(1));
 * ```
 */
export class Sequential extends Block {
  /** `summary()` lists the children only, as Gluon's. */
  readonly [noSummaryRow] = true;
  private readonly _layers: Block[] = [];

  /** Appends blocks. */
  add(...blocks: Block[]): this {
    addTo(this, this._layers, blocks, false);
    return this;
  }

  /** The i-th child (Python's `net[i]`; negative from the end); `net.get<nn.Dense>(0).weight` names its type. */
  get<T extends Block = Block>(i: number): T {
    const b = this._layers[i < 0 ? this._layers.length + i : i];
    if (!b) throw new Error(`${this.constructor.name}: no child ${i} (it has ${this._layers.length})`);
    return b as T;
  }

  get length(): number {
    return this._layers.length;
  }

  /** Python's `net[start:end]`: a new Sequential holding (sharing) those children; `net.slice(0, -2)` is `net[:-2]`. */
  slice(start?: number, end?: number): Sequential {
    return new Sequential().add(...sliceLayers(this, this._layers, start, end));
  }

  /** The children in order (Python's `for blk in net:`). */
  *[Symbol.iterator](): Iterator<Block> {
    yield* this._layers as Block[];
  }

  override children(): [string, Block][] {
    return [...this._layers.map((b, i): [string, Block] => [String(i), b]), ...super.children()];
  }

  /** MXNet's `register_child` on a Sequential: appends the block, as `add`. */
  override registerChild(block: Block, name?: string): void {
    registerInSequence(this, this._layers.length, block, name, () => this.add(block));
  }

  override forward(x: unknown, ...rest: unknown[]): unknown {
    let out: unknown = x;
    for (const b of this._layers) out = Array.isArray(out) ? b.call(...out, ...rest) : b.call(out, ...rest);
    return out;
  }
}

/**
 * Runs hybrid blocks in order; hybridized, the whole chain is one compiled graph.
 *
 * ```ts
 * const net = new nn.HybridSequential();
 * net.add(new nn.Dense(5), new nn.Dense(1));
 * net.initialize(); net.hybridize();
 * ```
 */
export class HybridSequential extends HybridBlock {
  /** `summary()` lists the children only, as Gluon's. */
  readonly [noSummaryRow] = true;
  private readonly _layers: Block[] = [];

  /** Appends hybrid blocks. */
  add(...blocks: HybridBlock[]): this {
    addTo(this, this._layers, blocks, true);
    return this;
  }

  /** The i-th child (Python's `net[i]`; negative from the end); `net.get<nn.Dense>(0).weight` names its type. */
  get<T extends HybridBlock = HybridBlock>(i: number): T {
    const b = this._layers[i < 0 ? this._layers.length + i : i];
    if (!b) throw new Error(`${this.constructor.name}: no child ${i} (it has ${this._layers.length})`);
    return b as T;
  }

  get length(): number {
    return this._layers.length;
  }

  /** Python's `net[start:end]`: a new HybridSequential holding (sharing) those children; `net.slice(0, -2)` is `net[:-2]`. */
  slice(start?: number, end?: number): HybridSequential {
    return new HybridSequential().add(...(sliceLayers(this, this._layers, start, end) as HybridBlock[]));
  }

  /** The children in order (Python's `for blk in net:`). */
  *[Symbol.iterator](): Iterator<HybridBlock> {
    yield* this._layers as HybridBlock[];
  }

  override children(): [string, Block][] {
    return [...this._layers.map((b, i): [string, Block] => [String(i), b]), ...super.children()];
  }

  /** MXNet's `register_child` on a HybridSequential: appends the (hybrid) block, as `add`. */
  override registerChild(block: Block, name?: string): void {
    registerInSequence(this, this._layers.length, block, name, () => this.add(block as HybridBlock));
  }

  override hybridForward(_F: F, x: Tensor, ...rest: unknown[]): unknown {
    rest.pop(); // this container's own (empty) parameter object
    let out: unknown = x;
    for (const b of this._layers) out = Array.isArray(out) ? b.call(...out, ...rest) : b.call(out, ...rest);
    return out;
  }
}
