/**
 * Block: the base of every layer and model. Child blocks and parameters are
 * registered from the properties they are assigned to (in assignment order)
 * and from `this.params`; their structural names (`1.weights`) are the
 * property path, the same in `collectParams`, parameter files and artifacts.
 * Invariant: a block never copies its children or parameters; sharing a
 * Parameter object between blocks shares the array.
 */
import { withScope } from '../ops/errors.js';
import { inHybridForward } from '../engine/trace-context.js';
import type { DType } from '../../runtime/dtypes.js';
import type { Initializer } from './init.js';
import { Parameter, ParameterDict, type SettableName } from './parameter.js';
import { structureEpoch, structureMayHaveChanged } from './structure.js';
import { omitAbsentTail } from './call-inputs.js';
import { summarize, type SummaryResult } from './summary.js';
import { loadParamsFile, saveParamsFile, type LoadParamsOptions, type SaveParamsOptions } from '../formats/params-file.js';
import { checkOptions } from '../../runtime/check-options.js';
import { bindArgs } from './bind-args.js';

const warnedArrays = new Set<string>();
const arraysChecked = new WeakMap<Block, number>();

/** MXNet's warning for blocks held in a container property: they are not registered. */
function warnUnregistered(block: Block, children: [string, Block][]): void {
  // Checked again only after a block was created (the structure epoch moved): collectParams runs on every eager call.
  const epoch = structureEpoch();
  if (arraysChecked.get(block) === epoch) return;
  arraysChecked.set(block, epoch);
  for (const [k, items] of Object.entries(block)) {
    // `_`-prefixed properties are the framework's own state (a container's `_layers`).
    if (k.startsWith('_') || !Array.isArray(items) || !items.some((b) => b instanceof Block)) continue;
    const key = `${block.constructor.name}.${k}`;
    if (warnedArrays.has(key)) continue;
    if (items.every((b) => !(b instanceof Block) || children.some(([, c]) => c === b))) continue;
    warnedArrays.add(key);
    process.emitWarning(
      `${key} holds blocks in an array: they are not registered as children (their parameters are not collected, initialized, saved or trained); ` +
        'use nn.Sequential / nn.HybridSequential, or assign each block to a property',
      'GluoncWarning',
    );
  }
}

/** A hook called before `forward` with the inputs. */
export type ForwardPreHook = (block: Block, inputs: unknown[]) => void;
/** A hook called after `forward` with the inputs and the output. */
export type ForwardHook = (block: Block, inputs: unknown[], output: unknown) => void;

/** Returned by hook registration; `detach()` removes the hook. */
export interface HookHandle {
  detach(): void;
}

/**
 * The base class of layers and models.
 *
 * ```ts
 * class CenteredLayer extends gluon.Block {
 *   forward(x: nd.NDArray) { return x.sub(x.mean()); }
 * }
 * new CenteredLayer().call(nd.array([1, 2, 3, 4, 5]));
 * ```
 */
export class Block {
  /** Parameters registered with `this.params.get(name, ...)`. */
  readonly params: ParameterDict = new ParameterDict();
  private readonly _preHooks: ForwardPreHook[] = [];
  private readonly _hooks: ForwardHook[] = [];
  /** The name this block has in its parent (set when the parent is called or collected). */
  _scopeName = '';
  /** Children registered with `registerChild`, by name, in registration order. */
  private readonly _registered = new Map<string, Block>();

  constructor(...args: []) {
    // A block with no constructor of its own (Flatten, SELU, Sequential) takes
    // no arguments: MXNet 1.x's { prefix, params } or a misspelt option given
    // from JavaScript is an Error naming the block, never ignored.
    bindArgs(new.target.name, [], args, []);
    // A new block may become a child (assigned to a property) of a hybridized block.
    structureMayHaveChanged();
  }

  /**
   * MXNet 1.x's `_alias`: the kind a block's MXNet name is counted by
   * (`dense` -> `dense0_weight` in `export(path, { format: 'mxnet' })`), the
   * class name in lower case, as in MXNet.
   */
  _alias(): string {
    return this.constructor.name.toLowerCase();
  }

  /** Implemented by subclasses: the computation. */
  forward(..._inputs: any[]): any {
    throw new Error(`${this.constructor.name}: forward is not implemented`);
  }

  /**
   * Runs the block: pre-hooks, forward, hooks. Errors inside name the block.
   * Trailing `null` and `undefined` inputs are omitted (MXNet's `None` for an
   * optional input): `att.call(q, k, v, maybeMask)` with `maybeMask` null or
   * undefined is `att.call(q, k, v)`, eager, hybridized and exported alike.
   */
  call(...args: any[]): any {
    const inputs = omitAbsentTail(args);
    // Hooks are imperative code even inside a traced parent: parameter reads there are allowed.
    if (this._preHooks.length) {
      inHybridForward(null, () => {
        for (const h of this._preHooks) h(this, inputs);
      });
    }
    const out = withScope(this._scopeName || this.constructor.name, () => this._run(inputs));
    if (this._hooks.length) {
      inHybridForward(null, () => {
        for (const h of this._hooks) h(this, inputs, out);
      });
    }
    return out;
  }

  /** How `call` computes (HybridBlock overrides it). */
  protected _run(inputs: unknown[]): unknown {
    this._nameChildren();
    // An imperative forward traced inside a hybrid parent reads its arrays as constants (no hybridForward rule applies).
    return inHybridForward(null, () => this.forward(...inputs));
  }

  /**
   * Child blocks by name: the properties holding blocks in assignment order,
   * then those given to `registerChild` in registration order. Blocks inside
   * an array property are not children (as in MXNet, which warns):
   * `collectParams` says so in a process warning once per block class and
   * property, unless each of them is a child anyway (`registerChild`) or the
   * property's name starts with `_`.
   */
  children(): [string, Block][] {
    const out: [string, Block][] = [];
    // Object.keys, not Object.entries (the same keys, in the same order): no pair array per property on every eager call.
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(self)) {
      const v = self[k];
      if (v instanceof Block) out.push([k, v]);
    }
    for (const [k, b] of this._registered) out.push([k, b]);
    return out;
  }

  /**
   * True when every parameter of this block and its descendants holds data
   * (initialized, none deferred): what an eager call checks first, without
   * naming them (`collectParams` builds names; it runs only when one is not).
   * Example: `if (!this._paramsReady()) checkInitialized(this, this.collectParams())`.
   */
  protected _paramsReady(): boolean {
    // The parameters ownParams lists (properties, then this.params) and the blocks children() lists (containers override it).
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(self)) {
      const v = self[k];
      if (v instanceof Parameter && !v.initialized) return false;
    }
    for (const p of this.params.values()) if (!p.initialized) return false;
    for (const [, b] of this.children()) if (!b._paramsReady()) return false;
    return true;
  }

  /**
   * MXNet's `register_child`: makes `block` a child named `name` (default:
   * the number of children so far, `'0'`, `'1'`, ...), for a block not held
   * in a property (one of a list). It is then a child everywhere a property's
   * block is: `children()`, `collectParams` (`'<name>.weight'`), parameter
   * files, `summary`, `hybridize`, `cast`, `initialize`. Registering another
   * block under a name given before replaces it (as MXNet's); a name taken
   * by a property's block is an Error, and so is a name with a `.` (the
   * structural names' separator). The forward still calls the child itself.
   *
   * ```ts
   * this.blks = [new nn.Dense(8), new nn.Dense(8)];
   * this.blks.forEach((b, i) => this.registerChild(b, `blk${i}`)); // parameters 'blk0.weight', ...
   * ```
   */
  registerChild(block: Block, name?: string): void {
    const label = `${this.constructor.name}.registerChild`;
    if (!(block instanceof Block)) throw new Error(`${label}: expected a Block, got ${block === null || typeof block !== 'object' ? String(block) : ((block as object).constructor?.name ?? 'an object')}`);
    if (block === this) throw new Error(`${label}: a block cannot be its own child`);
    const key = name ?? String(this.children().length);
    if (typeof key !== 'string' || key === '' || key.includes('.')) {
      throw new Error(`${label}: the name must be a non-empty string without '.' (it prefixes the child's parameter names, '<name>.weight'), got ${JSON.stringify(key)}`);
    }
    const held = (this as unknown as Record<string, unknown>)[key];
    if (Object.prototype.hasOwnProperty.call(this, key) && held instanceof Block && !this._registered.has(key)) {
      if (held === block) return;
      throw new Error(`${label}: the name '${key}' is the property holding the child ${held.constructor.name}; assign this.${key} to replace it, or register under another name`);
    }
    this._acceptChild(block, key);
    this._registered.set(key, block);
    structureMayHaveChanged();
  }

  /** Refuses a child `registerChild` is given (HybridBlock: one that is not hybrid, as MXNet's). */
  protected _acceptChild(_block: Block, _name: string): void {}

  /**
   * This block's own parameters by local name, in property order, then the
   * remaining `this.params` entries. A parameter made with
   * `this.params.get(name)` keeps that name (data, such as MXNet's
   * `running_mean`) whatever property holds it.
   */
  ownParams(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const registered = new Map<Parameter, string>();
    for (const [k, p] of this.params.entries()) registered.set(p, k);
    const self = this as unknown as Record<string, unknown>;
    for (const k of Object.keys(self)) {
      const v = self[k];
      if (v instanceof Parameter && !seen.has(v)) {
        seen.add(v);
        out.push([registered.get(v) ?? k, v]);
      }
    }
    for (const [k, p] of this.params.entries()) {
      if (!seen.has(p)) {
        seen.add(p);
        out.push([k, p]);
      }
    }
    return out;
  }

  /** Gives each child its name in this block (its scope while it runs): called where the forward calls the children, not per call of a block whose forward does not run (a deferred or compiled call). */
  protected _nameChildren(): void {
    for (const [k, c] of this.children()) c._scopeName = k;
  }

  /**
   * Every parameter of this block and its descendants by structural name,
   * optionally filtered by a regular expression. A string matches as
   * MXNet's `re.compile(select).match(name)`: anchored at the start of the
   * name, not at its end (`'body'` selects every parameter under `body`);
   * a RegExp is used as it is (`re.test(name)`).
   *
   * ```ts
   * net.collectParams('.*weight').keys(); // ['0.weight', '2.weight']
   * net.collectParams('0\\.').keys();      // ['0.weight', '0.bias']
   * ```
   */
  collectParams(select?: string | RegExp): ParameterDict {
    const re = select === undefined ? null : typeof select === 'string' ? new RegExp(`^(?:${select})`) : select;
    // Built as a list (ParameterDict.set announces a structure change; a collection is none).
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const walk = (b: Block, prefix: string): void => {
      for (const [k, p] of b.ownParams()) {
        if (seen.has(p)) continue;
        seen.add(p);
        const name = prefix + k;
        if (!re || re.test(name)) out.push([name, p]);
      }
      const kids = b.children();
      warnUnregistered(b, kids);
      for (const [k, c] of kids) walk(c, `${prefix}${k}.`);
    };
    walk(this, '');
    return new ParameterDict(out);
  }

  /** Initializes every parameter (those without an initializer of their own use `init`). */
  initialize(init?: Initializer | string, options: { forceReinit?: boolean } = {}): this {
    checkOptions(`${this.constructor.name}.initialize`, options, ['forceReinit']);
    this.collectParams().initialize(init, options);
    return this;
  }

  /**
   * Saves every parameter (keys are the structural names, as Gluon's
   * `save_parameters` writes them), atomically: to safetensors by default,
   * or in MXNet's formats, which MXNet's `net.load_parameters` reads:
   * `{ format: 'mxnet' }` (MXNet 1.x's NDArray list) or `{ format: 'npz' }` (MXNet 2's).
   * A shared parameter is written once, under its first name; `{ deduplicate:
   * false }` writes it under each of its names, as MXNet does by default.
   *
   * ```ts
   * net.saveParameters('net.safetensors');
   * net.saveParameters('net.params', { format: 'mxnet' });
   * ```
   */
  saveParameters(path: string, options: SaveParamsOptions & { deduplicate?: boolean } = {}): void {
    // MXNet's deduplicate=False writes a shared parameter under each of its names; gluonc's default writes the first.
    if (options === null || typeof options !== 'object') throw new Error(`saveParameters('${path}'): options must be an object, got ${String(options)}`);
    checkOptions(`saveParameters('${path}')`, options, ['format', 'deduplicate']);
    const { deduplicate = true, ...rest } = options;
    if (typeof deduplicate !== 'boolean') throw new Error(`saveParameters('${path}'): deduplicate must be true or false, got ${String(deduplicate)}`);
    saveParamsFile(path, deduplicate ? this.collectParams() : new ParameterDict(this.structuralParams()), { block: this.constructor.name }, rest);
  }

  /** Every (structural name, parameter) pair, a shared parameter once per path to it (Gluon's `_collect_params_with_prefix`). */
  private structuralParams(): [string, Parameter][] {
    const all: [string, Parameter][] = [];
    const walk = (b: Block, prefix: string): void => {
      for (const [k, p] of b.ownParams()) all.push([prefix + k, p]);
      for (const [k, c] of b.children()) walk(c, `${prefix}${k}.`);
    };
    walk(this, '');
    return all;
  }

  /**
   * Loads parameters saved by `saveParameters` (or an MXNet `.params` file); mismatches are errors.
   *
   * ```ts
   * net.loadParameters('net.safetensors', { allowMissing: false, ignoreExtra: false });
   * ```
   */
  loadParameters(path: string, options: LoadParamsOptions = {}): void {
    // Every structural name of a shared parameter names it (MXNet writes each one unless deduplicated).
    loadParamsFile(path, new ParameterDict(this.structuralParams()), options);
  }

  /**
   * Runs the block once eagerly and prints (and returns) a table of every
   * layer's output shape and parameter count, as Gluon's `summary`
   * (`Sequential`/`HybridSequential` containers have no row of their own).
   *
   * ```ts
   * net.summary(nd.ones([1, 784])).totalParams; // 235146
   * ```
   */
  summary(...inputs: unknown[]): SummaryResult {
    return summarize(this, inputs);
  }

  /** Calls `fn` on every descendant, children first, then on this block. */
  apply(fn: (b: Block) => void): this {
    for (const [, c] of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * MXNet 2's `Block.setattr`: sets an attribute on every parameter of the block and its children
   * (`collectParams().setattr`; `gradReq`/`grad_req`, `lrMult`/`lr_mult`, `wdMult`/`wd_mult`).
   * Example: `net.embedding.setattr('grad_req', 'null')`.
   */
  setattr(name: SettableName, value: unknown): void {
    this.collectParams().setattr(name, value);
  }

  /** Zeroes the gradients of every parameter. */
  zeroGrad(): void {
    this.collectParams().zeroGrad();
  }

  /**
   * Casts every parameter to `dtype` (MXNet's `Block.cast`: each child's `cast`, then
   * the block's own parameters, so `BatchNorm` keeps float32 under float16); inputs
   * must then have that dtype too. Example: `net.cast('float64')`.
   */
  cast(dtype: DType): this {
    for (const [, c] of this.children()) c.cast(dtype);
    for (const [, p] of this.ownParams()) p.cast(dtype);
    return this;
  }

  /** Accepted for code ported from MXNet 1.x: runs `fn` (names are structural here). */
  nameScope<R>(fn: () => R): R {
    return fn();
  }

  /** Switches hybridization on or off for every hybrid descendant (no effect on plain blocks). */
  hybridize(active = true, options: Record<string, unknown> = {}): this {
    if (typeof active !== 'boolean') throw new Error(`${this.constructor.name}.hybridize: active must be true or false, got ${JSON.stringify(active)}`);
    checkHybridizeOptions(this.constructor.name, options);
    for (const [, c] of this.children()) c.hybridize(active, options);
    return this;
  }

  /** Registers a hook run before `forward`. */
  registerForwardPreHook(fn: ForwardPreHook): HookHandle {
    this._preHooks.push(fn);
    return { detach: () => void this._preHooks.splice(this._preHooks.indexOf(fn) >>> 0, 1) };
  }

  /** Registers a hook run after `forward`. */
  registerForwardHook(fn: ForwardHook): HookHandle {
    this._hooks.push(fn);
    return { detach: () => void this._hooks.splice(this._hooks.indexOf(fn) >>> 0, 1) };
  }

  /** Makes this block use `params`' parameters where the structural names match (Gluon's share_parameters). */
  shareParameters(params: ParameterDict): this {
    const replace = (b: Block, prefix: string): void => {
      for (const [k, p] of b.ownParams()) {
        const shared = params.has(prefix + k) ? params.get(prefix + k) : undefined;
        if (!shared || shared === p) continue;
        if (b.params.has(k)) b.params.set(k, shared);
        if ((b as unknown as Record<string, unknown>)[k] === p) (b as unknown as Record<string, unknown>)[k] = shared;
      }
      for (const [k, c] of b.children()) replace(c, `${prefix}${k}.`);
    };
    replace(this, '');
    structureMayHaveChanged();
    return this;
  }

  toString(): string {
    const kids = this.children();
    if (!kids.length) return `${this.constructor.name}()`;
    const inner = kids.map(([k, c]) => `  (${k}): ${String(c).replace(/\n/g, '\n  ')}`).join('\n');
    return `${this.constructor.name}(\n${inner}\n)`;
  }
}

/** The options `hybridize` takes: `maxSignatures`, and MXNet's cached-op flags (accepted, without effect). */
export const HYBRIDIZE_OPTIONS = ['maxSignatures', 'staticAlloc', 'staticShape', 'inlineLimit', 'forwardBulkSize', 'backwardBulkSize', 'partitionIfDynamic', 'clear'] as const;

/** Throws an Error naming an option `hybridize` does not know. Example: `checkHybridizeOptions('Dense', { staticAlloc: true })`. */
export function checkHybridizeOptions(block: string, options: unknown): void {
  checkOptions(`${block}.hybridize`, options, HYBRIDIZE_OPTIONS);
}
