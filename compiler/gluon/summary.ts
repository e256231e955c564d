/**
 * `Block.summary(...inputs)`: runs a block once eagerly with a forward hook
 * on every block of the tree and prints Gluon's table — one row per block
 * call (children before their parent, as the hooks fire), its output shape
 * and the number of its own parameters — then the totals. As in Gluon,
 * `Sequential` and `HybridSequential` containers (and their subclasses)
 * have no row of their own: their children's rows stand for them.
 * Invariants: hybridized blocks run eagerly for the summary and keep their
 * compiled caches; every hook is detached afterwards, also on error.
 * Counting follows Gluon: a row counts the block's own parameters; a
 * parameter met again (shared) is counted again and reported as shared.
 */
import { formatShape } from '../../runtime/tensor.js';
import type { Block, HookHandle } from './block.js';
import { hasSymbol, omitAbsentTail } from './call-inputs.js';
import type { Parameter } from './parameter.js';

/** One row of the summary. */
export interface SummaryRow {
  /** `Input`, or `<Type>-<index>` as in Gluon (e.g. `Dense-1`). */
  layer: string;
  /** The block's class name (`Input` for the input row). */
  type: string;
  /** The output shape as Gluon prints it: `(1, 256)`, or `(1, 2), (1, 3)` for several outputs (nested lists in brackets). */
  outputShape: string;
  /** The block's own parameters (elements). */
  params: number;
  /** Of those, differentiable parameters that get gradients. */
  trainable: number;
  /** Of those, parameters already counted in an earlier row. */
  shared: number;
}

/** What `summary` returns (and prints as `text`). */
export interface SummaryResult {
  rows: SummaryRow[];
  /** Every row's parameters, shared ones included as in Gluon. */
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  sharedParams: number;
  /** `totalParams - sharedParams`. */
  uniqueParams: number;
  text: string;
}

/**
 * The mark of a container that gets no summary row (MXNet skips
 * `Sequential` and `HybridSequential`); set on their prototypes.
 *
 * ```ts
 * class MySequential extends Block { readonly [noSummaryRow] = true; }
 * ```
 */
export const noSummaryRow: unique symbol = Symbol('gluonc.noSummaryRow');

const LINE = '-'.repeat(80);
const DOUBLE = '='.repeat(80);

/**
 * Runs `block` on `inputs` and prints the table (console.log); returns it.
 *
 * ```ts
 * const s = summarize(net, [nd.ones([1, 784])]);
 * s.totalParams; // 235146 for a 784-256-128-10 MLP
 * ```
 */
export function summarize(block: Block, given: unknown[]): SummaryResult {
  const inputs = omitAbsentTail(given);
  if (!inputs.length) throw new Error(`${block.constructor.name}.summary: needs example inputs, e.g. net.summary(nd.ones([1, 784]))`);
  const rows: SummaryRow[] = [{ layer: 'Input', type: 'Input', outputShape: shapesText(inputs), params: 0, trainable: 0, shared: 0 }];
  const seen = new Set<Parameter>();
  const hooks: HookHandle[] = [];
  const blocks: Block[] = [];
  // A block held twice (added twice, shared) gets one hook: one row per call.
  block.apply((b) => void (blocks.includes(b) || blocks.push(b)));
  const wasActive = blocks.map((b) => setActive(b, false));
  try {
    for (const b of blocks) {
      if ((b as { [noSummaryRow]?: boolean })[noSummaryRow] === true) continue;
      hooks.push(
        b.registerForwardHook((bl, ins, out) => {
          // Calls on symbols are shape-inference traces (deferred parameters), not the run itself.
          if (hasSymbol(ins)) return;
          let params = 0;
          let trainable = 0;
          let shared = 0;
          for (const [, p] of bl.ownParams()) {
            const n = sizeOfParam(p);
            params += n;
            if (p.differentiable && p.gradReq !== 'null') trainable += n;
            if (seen.has(p)) shared += n;
            else seen.add(p);
          }
          const type = bl.constructor.name;
          rows.push({ layer: `${type}-${rows.length}`, type, outputShape: shapesText(out), params, trainable, shared });
        }),
      );
    }
    block.call(...inputs);
  } finally {
    for (const h of hooks) h.detach();
    blocks.forEach((b, i) => setActive(b, wasActive[i]!));
  }

  const totalParams = rows.reduce((s, r) => s + r.params, 0);
  const trainableParams = rows.reduce((s, r) => s + r.trainable, 0);
  const sharedParams = rows.reduce((s, r) => s + r.shared, 0);
  const fmt = (a: string, b: string, c: string): string => `${a.padStart(20)}  ${b.padStart(42)} ${c.padStart(15)}`;
  const lines = [
    LINE,
    fmt('Layer (type)', 'Output Shape', 'Param #'),
    DOUBLE,
    ...rows.map((r) => fmt(r.layer, r.outputShape, String(r.params))),
    DOUBLE,
    'Parameters in forward computation graph, duplicate included',
    `   Total params: ${totalParams}`,
    `   Trainable params: ${trainableParams}`,
    `   Non-trainable params: ${totalParams - trainableParams}`,
    `Shared params in forward computation graph: ${sharedParams}`,
    `Unique parameters in model: ${totalParams - sharedParams}`,
    LINE,
  ];
  const text = lines.join('\n');
  console.log(text);
  return {
    rows,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    sharedParams,
    uniqueParams: totalParams - sharedParams,
    text,
  };
}

/** Switches a hybrid block's compiled execution off (returning the old state) without dropping its cache. */
function setActive(b: Block, on: boolean): boolean {
  const h = b as unknown as { _active?: unknown };
  if (typeof h._active !== 'boolean') return false;
  const old = h._active;
  h._active = on;
  return old;
}

function sizeOfParam(p: Parameter): number {
  if (p.initialized) return p.data().size;
  return p.shape.includes(0) ? 0 : p.shape.reduce((a, d) => a * d, 1);
}

/** MXNet's `_get_shape_str`: the shapes of a list of outputs without its outer brackets (`(1, 2), [(1, 3), (1, 3)]`). */
function shapesText(x: unknown): string {
  return Array.isArray(x) ? x.map(shapeText).join(', ') : shapeText(x);
}

/** Python's tuple text of a shape (`(3,)`, `(1, 256)`), or a list of them. */
function shapeText(x: unknown): string {
  // An absent input (MXNet's None), as Python prints it.
  if (x === null || x === undefined) return 'None';
  if (Array.isArray(x)) return `[${x.map(shapeText).join(', ')}]`;
  const shape = (x as { shape?: unknown } | null)?.shape;
  if (!Array.isArray(shape)) return typeof x === 'number' ? '()' : String(x);
  if (shape.length === 1) return `(${String(shape[0])},)`;
  return formatShape(shape as number[]).replace(/^\[/, '(').replace(/\]$/, ')');
}
