/**
 * gluon.rnn's cells that hold other cells (MXNet's rnn_cell.py):
 * `SequentialRNNCell` (a Block: any cells) and `HybridSequentialRNNCell`
 * (hybrid cells only, one graph when hybridized) stack cells, each
 * feeding the next; `BidirectionalCell(lCell, rCell)` unrolls one cell
 * forward and one over the reversed sequence and concatenates their
 * outputs on the feature axis.
 * Invariants: a stack's states are its children's, concatenated in order;
 * children are named as Gluon 2's `register_child` names them (`0`, `1`,
 * ...; `l_cell`, `r_cell`), so parameters are `0.i2h_weight`,
 * `l_cell.h2h_bias`; MXNet 1.x's names (`lstm0_i2h_weight`) come from the
 * cells' `_alias` in `export(path, { format: 'mxnet' })`.
 */
import type { NDArray } from '../../engine/ndarray.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { Block } from '../block.js';
import { HybridBlock } from '../hybrid.js';
import { structureMayHaveChanged } from '../structure.js';
import { noSummaryRow } from '../summary.js';
import { showValue } from '../show-value.js';
import {
  asCell, checkCall, checkUnmodified, finishOutputs, HybridRecurrentCell, maskSteps, stackSteps, unrollSequence, unstack,
  type BeginStateArgs, type Cell, type StateInfo, type UnrollOptions,
} from './cell-base.js';

/** The cells' states, concatenated (MXNet's `_cells_state_info`). */
function cellsStateInfo(cells: Cell[], batchSize?: number): StateInfo[] {
  return cells.flatMap((c) => c.stateInfo(batchSize));
}

/** One step through a stack: each cell takes the previous one's output and its own slice of the states. */
function stepStack(name: string, cells: Cell[], x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
  if (!cells.length) throw new Error(`${name}: holds no cells; add(cell) first`);
  let p = 0;
  const next: Tensor[] = [];
  cells.forEach((c, i) => {
    if (c instanceof BidirectionalCell) throw new Error(`${name}: cell ${i} is a BidirectionalCell, which cannot be stepped; use unroll`);
    const n = c.stateInfo().length;
    const [out, s] = c.call(x, states.slice(p, p + n)) as [Tensor, Tensor[]];
    p += n;
    x = out;
    next.push(...s);
  });
  return [x, next];
}

/** MXNet's `SequentialRNNCell.unroll`: each cell unrolls the previous one's outputs, with its slice of the begin states. */
function unrollStack<T extends Tensor | NDArray>(owner: Cell, cells: Cell[], length: number, inputs: T | T[], options: UnrollOptions<T>): [T | T[], T[]] {
  if (!cells.length) throw new Error(`${owner.constructor.name}.unroll: holds no cells; add(cell) first`);
  unrollSequence(owner, length, inputs, options);
  owner.reset();
  const begin = options.beginState;
  let p = 0;
  let x: T | T[] = inputs;
  const next: T[] = [];
  cells.forEach((c, i) => {
    const n = c.stateInfo().length;
    const [out, s] = c.unroll(length, x, {
      ...(begin ? { beginState: begin.slice(p, p + n) } : {}),
      ...(options.layout ? { layout: options.layout } : {}),
      ...(i === cells.length - 1 && options.mergeOutputs !== undefined ? { mergeOutputs: options.mergeOutputs } : {}),
      ...(options.validLength ? { validLength: options.validLength } : {}),
    });
    p += n;
    x = out;
    next.push(...s);
  });
  return [x, next];
}

/** Appends cells to a stack (`hybrid`: each must be a HybridBlock). */
function addCells(owner: Block, layers: Cell[], cells: unknown[], hybrid: boolean): void {
  const name = `${owner.constructor.name}.add`;
  for (const c of cells) {
    const cell = asCell(name, c);
    if (hybrid && !(cell instanceof HybridBlock)) throw new Error(`${name}: ${cell.constructor.name} is not a hybrid cell; use rnn.SequentialRNNCell for it`);
    if (cell === (owner as unknown)) throw new Error(`${name}: a cell cannot hold itself`);
    layers.push(cell);
  }
  structureMayHaveChanged();
}

function getCell<T>(owner: Block, layers: Cell[], i: number): T {
  const c = Number.isInteger(i) ? layers[i < 0 ? layers.length + i : i] : undefined;
  if (!c) throw new Error(`${owner.constructor.name}: no cell ${showValue(i)} (it has ${layers.length})`);
  return c as T;
}

/** A stack's `registerChild` appends the cell as `add` does (its children are named by position). */
function registerInStack(owner: Block, layers: Cell[], block: Block, name: string | undefined, hybrid: boolean): void {
  if (name !== undefined && name !== String(layers.length)) {
    throw new Error(`${owner.constructor.name}.registerChild: a stack's cells are named by position and run in order, so registerChild(cell) appends it as child '${layers.length}' (as add does); got the name ${JSON.stringify(name)}`);
  }
  addCells(owner, layers, [block], hybrid);
}

/**
 * MXNet's `SequentialRNNCell`: stacks cells (any, hybrid or not; itself a
 * plain Block). `call(x, states)` steps every cell; `unroll` unrolls them
 * one after the other.
 *
 * ```ts
 * const stack = new rnn.SequentialRNNCell();
 * stack.add(new rnn.LSTMCell(8)).add(new rnn.LSTMCell(8));
 * stack.initialize();
 * const [out, states] = stack.unroll(5, nd.ones([2, 5, 3])); // 4 states: [h0, c0, h1, c1]
 * ```
 */
export class SequentialRNNCell extends Block implements Cell {
  readonly [noSummaryRow] = true;
  _modified = false;
  private readonly _layers: Cell[] = [];

  /** Appends cells (MXNet's `add`); chainable. */
  add(...cells: Block[]): this {
    addCells(this, this._layers, cells, false);
    return this;
  }

  /** The i-th cell (Python's `stack[i]`; negative from the end). */
  get<T extends Block = Block>(i: number): T {
    return getCell<T>(this, this._layers, i);
  }

  /** The number of cells (Python's `len(stack)`). */
  get length(): number {
    return this._layers.length;
  }

  *[Symbol.iterator](): Iterator<Block> {
    yield* this._layers as unknown as Block[];
  }

  override children(): [string, Block][] {
    return [...this._layers.map((b, i): [string, Block] => [String(i), b as unknown as Block]), ...super.children()];
  }

  override registerChild(block: Block, name?: string): void {
    registerInStack(this, this._layers, block, name, false);
  }

  stateInfo(batchSize = 0): StateInfo[] {
    return cellsStateInfo(this._layers, batchSize);
  }

  /** The cells' zero states, concatenated. */
  beginState(...args: BeginStateArgs): NDArray[] {
    checkUnmodified(this);
    return this._layers.flatMap((c) => c.beginState(...args));
  }

  reset(): void {
    for (const c of this._layers) c.reset();
  }

  protected override _run(inputs: unknown[]): unknown {
    const [x, states] = checkCall(this.constructor.name, inputs, this.stateInfo().length);
    return super._run([x, states]);
  }

  override forward(x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    return stepStack(this.constructor.name, this._layers, x, states);
  }

  unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
    this._nameChildren();
    return unrollStack(this, this._layers, length, inputs, options);
  }
}

/**
 * MXNet's `HybridSequentialRNNCell`: stacks hybrid cells; hybridized, a
 * step of the whole stack is one compiled graph.
 *
 * ```ts
 * const stack = new rnn.HybridSequentialRNNCell();
 * stack.add(new rnn.GRUCell(8), new rnn.DropoutCell(0.2), new rnn.GRUCell(8));
 * stack.initialize(); stack.hybridize();
 * const [out, states] = stack.call(nd.ones([2, 3]), stack.beginState(2));
 * ```
 */
export class HybridSequentialRNNCell extends HybridRecurrentCell {
  readonly [noSummaryRow] = true;
  private readonly _layers: Cell[] = [];

  /** Appends hybrid cells (MXNet's `add`); chainable. */
  add(...cells: HybridBlock[]): this {
    addCells(this, this._layers, cells, true);
    return this;
  }

  /** The i-th cell (Python's `stack[i]`; negative from the end). */
  get<T extends HybridBlock = HybridBlock>(i: number): T {
    return getCell<T>(this, this._layers, i);
  }

  /** The number of cells (Python's `len(stack)`). */
  get length(): number {
    return this._layers.length;
  }

  *[Symbol.iterator](): Iterator<HybridBlock> {
    yield* this._layers as unknown as HybridBlock[];
  }

  override children(): [string, Block][] {
    return [...this._layers.map((b, i): [string, Block] => [String(i), b as unknown as Block]), ...super.children()];
  }

  override registerChild(block: Block, name?: string): void {
    registerInStack(this, this._layers, block, name, true);
  }

  stateInfo(batchSize = 0): StateInfo[] {
    return cellsStateInfo(this._layers, batchSize);
  }

  /** The cells' zero states, concatenated. */
  override beginState(...args: BeginStateArgs): NDArray[] {
    checkUnmodified(this);
    return this._layers.flatMap((c) => c.beginState(...args));
  }

  override hybridForward(_F: F, x: Tensor, states: Tensor[]): [Tensor, Tensor[]] {
    return stepStack(this.constructor.name, this._layers, x, states);
  }

  override unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
    this._nameChildren();
    return unrollStack(this, this._layers, length, inputs, options);
  }
}

/** Options of BidirectionalCell. */
export interface BidirectionalOptions {
  /** MXNet's `output_prefix` (the outputs' symbol names there); accepted, without effect. */
  outputPrefix?: string;
}

/**
 * MXNet's `BidirectionalCell(l_cell, r_cell)`: `unroll` runs `lCell` over
 * the sequence and `rCell` over it reversed (each sequence reversed within
 * its `validLength`), and concatenates the two outputs of each step on the
 * feature axis; the states are `lCell`'s then `rCell`'s. It cannot be
 * stepped: `call` is an Error, as in MXNet.
 *
 * ```ts
 * const bi = new rnn.BidirectionalCell(new rnn.LSTMCell(8), new rnn.LSTMCell(8));
 * bi.initialize();
 * const [out, states] = bi.unroll(5, nd.ones([2, 5, 3])); // out [2, 5, 16]
 * ```
 */
export class BidirectionalCell extends HybridRecurrentCell {
  constructor(lCell: HybridBlock, rCell: HybridBlock, options: BidirectionalOptions = {}) {
    super();
    const name = new.target.name;
    if (options === null || typeof options !== 'object' || Object.keys(options).some((k) => k !== 'outputPrefix')) {
      throw new Error(`${name}: the third argument is the options { outputPrefix }, got ${showValue(options)}`);
    }
    asCell(`${name}: lCell`, lCell);
    asCell(`${name}: rCell`, rCell);
    if (lCell === rCell) throw new Error(`${name}: lCell and rCell must be two cells (one per direction), got the same cell twice`);
    this.registerChild(lCell, 'l_cell');
    this.registerChild(rCell, 'r_cell');
  }

  /** The forward direction's cell. */
  get lCell(): Cell {
    return this.children().find(([k]) => k === 'l_cell')![1] as unknown as Cell;
  }

  /** The backward direction's cell. */
  get rCell(): Cell {
    return this.children().find(([k]) => k === 'r_cell')![1] as unknown as Cell;
  }

  stateInfo(batchSize = 0): StateInfo[] {
    return cellsStateInfo([this.lCell, this.rCell], batchSize);
  }

  override beginState(...args: BeginStateArgs): NDArray[] {
    checkUnmodified(this);
    return [...this.lCell.beginState(...args), ...this.rCell.beginState(...args)];
  }

  protected override _run(_inputs: unknown[]): unknown {
    throw new Error(`${this.constructor.name} cannot be stepped (call(x, states)); use unroll, as in MXNet`);
  }

  override hybridForward(): never {
    throw new Error(`${this.constructor.name} cannot be stepped (call(x, states)); use unroll, as in MXNet`);
  }

  override unroll<T extends Tensor | NDArray>(length: number, inputs: T | T[], options: UnrollOptions<T> = {}): [T | T[], T[]] {
    this._nameChildren();
    const seq = unrollSequence(this, length, inputs, options);
    const { F, steps } = seq;
    this.reset();
    const vl = options.validLength as Tensor | undefined;
    // Each sequence reversed within its own length (MXNet: SequenceReverse with use_sequence_length).
    const reverse = (xs: Tensor[]): Tensor[] =>
      vl ? unstack(F, F.SequenceReverse(stackSteps(F, xs, 0), vl, { useSequenceLength: true, axis: 0 }), length, 0) : [...xs].reverse();
    const begin = options.beginState as Tensor[] | undefined;
    const [l, r] = [this.lCell, this.rCell];
    const nl = l.stateInfo().length;
    const common = { layout: 'TNC' as const, mergeOutputs: false, ...(vl ? { validLength: vl } : {}) };
    const [lOut, lStates] = l.unroll(length, steps, { ...common, ...(begin ? { beginState: begin.slice(0, nl) } : {}) }) as [Tensor[], Tensor[]];
    const [rOut, rStates] = r.unroll(length, reverse(steps), { ...common, ...(begin ? { beginState: begin.slice(nl) } : {}) }) as [Tensor[], Tensor[]];
    const back = reverse(rOut);
    let outs = lOut.map((o, t) => F.concat(o, back[t]!, { dim: 1 }));
    if (vl) outs = maskSteps(F, outs, vl);
    return [finishOutputs<T>(seq, outs, options.mergeOutputs), [...lStates, ...rStates] as T[]];
  }
}
