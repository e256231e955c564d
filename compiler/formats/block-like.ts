/**
 * What the file formats need of the front end's blocks, parameters and
 * optimizers, as interfaces: formats sit below the Gluon API (whose
 * `saveParameters`, `loadParameters` and `export` call them), so they know
 * `Block`, `Parameter` and `Optimizer` only by these shapes.
 */
import type { DType } from '../../runtime/dtypes.js';
import type { UpdateRule } from '../autodiff/step.js';
import type { Shape } from '../ir/types.js';
import type { NDArray } from '../engine/ndarray.js';
import type { GradReqLike } from '../engine/tape.js';
import type { TraceContext, TracedParam } from '../engine/trace-context.js';
import type { Symbol } from '../trace/symbol.js';
import type { OutputTree } from '../engine/output-tree.js';

/** A parameter as files see it (the front end's Parameter). Example: `p.data()._host`. */
export interface FileParameter extends TracedParam {
  readonly name: string;
  readonly initialized: boolean;
  readonly deferred: boolean;
  readonly gradReq: GradReqLike;
  readonly differentiable: boolean;
  readonly lrMult: number;
  readonly wdMult: number;
  data(): NDArray;
  setData(value: NDArray): void;
  /** Makes `dtype` the parameter's dtype (its data converted). */
  cast(dtype: DType): void;
}

/** A dict of parameters by structural name (the front end's ParameterDict). Example: `params.entries()`. */
export interface FileParameterDict {
  has(name: string): boolean;
  keys(): string[];
  entries(): [string, FileParameter][];
}

/**
 * The input types of a block's calls, recorded by HybridBlock (see
 * `lastSignature`); `varies[k]` is true when dimension k differed between
 * calls (export keeps it symbolic); null is an input the call left out
 * (MXNet's `None`), which the traced graph has no input for.
 */
export type Signature = ({ dtype: DType; shape: number[]; varies?: boolean[] } | null)[];

/**
 * The nesting of a call's inputs, as MXNet 2's HybridBlock `_flatten` keeps
 * it (`_in_format`; compiler/gluon/call-inputs.ts): per argument, `'a'` an
 * array (or symbol), `'null'` / `'undefined'` an absent one (given so), a
 * list of nestings, or `{ value }` a constant (a number, boolean, string)
 * passed through as it is. Example: `['a', ['a', 'a']]` for `call(x, [h, c])`.
 */
export type InputNode = 'a' | 'null' | 'undefined' | { value: unknown } | readonly InputNode[];

/** The nesting of a whole call's arguments, or null for a flat call (only arrays and absent arguments; see InputNode). */
export type InputFormat = readonly InputNode[] | null;

/** A hybrid block as export sees it: traceable, with parameters (the front end's HybridBlock). Example: `block.trace(types)`. */
export interface TraceableBlock {
  readonly constructor: { name: string };
  readonly lastSignature: Signature | null;
  /** The nesting of the last call's inputs (null: flat); export traces with it, its arrays named in order. */
  readonly lastFormat?: InputFormat;
  /**
   * The symbolic dimensions of each of `count` call inputs, by axis, when
   * export is not given the inputs' shapes (without it: `{ 0: 'N' }` each, the
   * batch as MXNet's); a block whose inputs hold the batch elsewhere (a TNC
   * recurrent layer, recurrent states) defines it. Example: `[{ 0: 'T', 1: 'N' }]`.
   */
  exportDims?(count: number): Record<number, string>[];
  /**
   * The names of `count` call inputs when export is not given them (without
   * it: `data`, or `data0`, `data1`, ... as MXNet's HybridBlock.export); a
   * block made from named variables (SymbolBlock) keeps theirs, as MXNet's
   * export saves its input symbols. Example: `['a', 'b']`.
   */
  exportNames?(count: number): string[] | null;
  collectParams(): FileParameterDict;
  trace(inputTypes: ({ name: string; dtype: DType; shape: Shape } | null)[], format?: InputFormat): { outputs: Symbol[]; tree: OutputTree; ctx: TraceContext<FileParameter>; inputs: Symbol[] };
  /** Inlines the block's computation into the current trace. */
  _traceCall(inputs: unknown[]): unknown;
}

/** An optimizer as the training artifact sees it (the front end's Optimizer). Example: `opt.createState(w)`. */
export interface OptimizerLike extends UpdateRule {
  readonly name: string;
  readonly hyper: Record<string, number | boolean | string>;
  readonly learningRate: number;
  readonly wd: number;
  readonly rescaleGrad: number;
  createState(weight: NDArray): NDArray[];
}
