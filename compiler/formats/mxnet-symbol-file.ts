/**
 * MXNet's symbol files (`<prefix>-symbol.json`, nnvm's JSON graph, which
 * `HybridBlock.export` and `mx.model.save_checkpoint` write) parsed and
 * checked: `nodes` with `op`, `name`, `attrs` (older files: `attr` and
 * `param`, merged as nnvm's loader does) and `inputs` as `[node, output,
 * version]`, `arg_nodes`, `heads`; files before MXNet 0.9 upgraded as MXNet
 * does. Operator names map onto gluonc's through `mxnet-ops.ts`'s table.
 * Invariant: a parsed graph's inputs refer to earlier nodes and its heads
 * exist; every error names the file.
 */
import type { AttrValue } from '../ir/node.js';
import { getOp, hasOp } from '../ops/registry.js';
import { readMxnetOp, snake } from './mxnet-ops.js';

/** One node of an MXNet symbol graph. */
export interface MxnetNode {
  op: string;
  name: string;
  attrs: Record<string, string>;
  inputs: [number, number][];
}

/** A parsed `-symbol.json`. */
export interface MxnetGraph {
  nodes: MxnetNode[];
  heads: [number, number][];
}

/** MXNet's snake_case name in gluonc's camelCase. Example: `camel('slice_axis')` is `'sliceAxis'`. */
export const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * Reads an MXNet attribute string: `True`/`False`, numbers, tuples
 * `(3, 3)` / `[1, 2]`; `None` is absent (undefined); anything else stays a string.
 *
 * ```ts
 * parseMxnetAttr('(3, 3)'); // [3, 3]
 * parseMxnetAttr('False');  // false
 * ```
 */
export function parseMxnetAttr(value: string): AttrValue | undefined {
  const s = value.trim();
  if (s === 'None') return undefined;
  if (s === 'True' || s === 'true') return true;
  if (s === 'False' || s === 'false') return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) || s === 'inf' || s === '-inf') return Number(s.replace('inf', 'Infinity'));
  if ((s.startsWith('(') && s.endsWith(')')) || (s.startsWith('[') && s.endsWith(']'))) {
    const parts = s.slice(1, -1).split(',').map((p) => p.trim()).filter((p) => p !== '');
    const items = parts.map((p) => (p === 'None' ? null : Number(p)));
    if (items.every((n) => n === null || Number.isFinite(n))) return items;
  }
  return s;
}

/**
 * Parses and checks the JSON of an MXNet `-symbol.json` file.
 *
 * ```ts
 * const graph = parseMxnetSymbol(JSON.parse(fs.readFileSync('m-symbol.json', 'utf8')), 'm-symbol.json');
 * ```
 */
export function parseMxnetSymbol(json: unknown, file: string): MxnetGraph {
  const bad = (why: string): Error => new Error(`${file}: not an MXNet symbol file: ${why}`);
  if (json === null || typeof json !== 'object' || !Array.isArray((json as { nodes?: unknown }).nodes)) throw bad("no 'nodes' list");
  const raw = json as { nodes: unknown[]; heads?: unknown };
  const entry = (e: unknown, at: number, what: string): [number, number] => {
    if (!Array.isArray(e) || e.length < 1 || !e.slice(0, 2).every((v) => Number.isInteger(v) && v >= 0)) throw bad(`${what} ${JSON.stringify(e)} is not [node, output, version]`);
    if (e[0] >= at) throw bad(`${what} refers to node ${e[0]}, which does not come before it`);
    return [e[0] as number, (e[1] as number | undefined) ?? 0];
  };
  const nodes = raw.nodes.map((n, i): MxnetNode => {
    if (n === null || typeof n !== 'object') throw bad(`node ${i} is not an object`);
    const o = n as Record<string, unknown>;
    if (typeof o.op !== 'string' || typeof o.name !== 'string') throw bad(`node ${i} has no 'op' or 'name'`);
    // nnvm's loader reads 'attrs' (1.x) or 'attr' (older: user attributes) and adds the older 'param' (the operator's).
    const attrs: Record<string, string> = {};
    for (const field of ['param', 'attr', 'attrs'] as const) {
      const a = o[field] ?? {};
      if (a === null || typeof a !== 'object' || Array.isArray(a)) throw bad(`node ${i} ('${o.name}') has '${field}' that is not an object`);
      for (const [k, v] of Object.entries(a)) attrs[k] = String(v);
    }
    if (!Array.isArray(o.inputs)) throw bad(`node ${i} ('${o.name}') has no 'inputs' list`);
    // nnvm's variables (op 'null') have no inputs: an input there would be read by nothing.
    if (o.op === 'null' && o.inputs.length > 0) throw bad(`node ${i} ('${o.name}') is a variable (op 'null') but has inputs ${JSON.stringify(o.inputs)}`);
    return { op: o.op, name: o.name, attrs, inputs: o.inputs.map((e) => entry(e, i, `an input of node ${i} ('${o.name}')`)) };
  });
  if (!Array.isArray(raw.heads) || raw.heads.length === 0) throw bad("no 'heads'");
  const heads = raw.heads.map((h) => entry(h, nodes.length, 'a head'));
  const version = (raw as { attrs?: { mxnet_version?: unknown } }).attrs?.mxnet_version;
  const v = Array.isArray(version) && typeof version[1] === 'number' ? version[1] : 800;
  return v < 900 ? upgradeFrom08({ nodes, heads }) : { nodes, heads };
}

/**
 * The gluonc operator that runs MXNet operator `op` (the name may not exist):
 * the one `mxnet-ops.ts` lists it for, else a gluonc operator of that name or
 * of its camelCase. Example: `targetOf('elemwise_add')` is `'add'`, `targetOf('_plus_scalar')` too.
 */
export const targetOf = (op: string): string => readMxnetOp(op)?.op ?? (hasOp(op) ? op : camel(op));

/**
 * MXNet's upgrade of files written before 0.9 (src/nnvm/legacy_json_util.cc,
 * UpgradeJSON_000800_000900): a node given fewer inputs than its operator
 * takes (BatchNorm's moving statistics were implicit then) gets the missing
 * ones as variables named `<node>_<input>` (`bn1_moving_mean`), placed before it.
 */
function upgradeFrom08(g: MxnetGraph): MxnetGraph {
  const nodes: MxnetNode[] = [];
  const at: number[] = [];
  for (const n of g.nodes) {
    const inputs = n.inputs.map(([j, o]): [number, number] => [at[j]!, o]);
    const target = targetOf(n.op);
    // A scalar form (`_plus_scalar`) takes one input: its other operand is its attribute.
    if (n.op !== 'null' && !readMxnetOp(n.op)?.scalar && hasOp(target)) {
      const required = (getOp(target).inputs ?? []).filter((name) => !name.endsWith('?') && !name.startsWith('...'));
      for (const name of required.slice(inputs.length)) {
        nodes.push({ op: 'null', name: `${n.name}_${snake(name)}`, attrs: {}, inputs: [] });
        inputs.push([nodes.length - 1, 0]);
      }
    }
    nodes.push({ ...n, inputs });
    at.push(nodes.length - 1);
  }
  return { nodes, heads: g.heads.map(([j, o]) => [at[j]!, o]) };
}

/**
 * What MXNet's shape inference knows of input `input` (a parameter) of
 * `node` before the data is seen, 0 marking what the data decides (the
 * channels): FullyConnected's `[num_hidden, 0]` / `[num_hidden]`, a
 * convolution's `[num_filter, 0, ...kernel]`, a normalization's `[0]`,
 * Embedding's `[input_dim, output_dim]`; undefined where it is not known.
 * Example: `parameterShape(fcNode, 1)` is `[8, 0]`.
 */
export function parameterShape(node: MxnetNode, input: number): number[] | undefined {
  const attr = (k: string) => (node.attrs[k] === undefined ? undefined : parseMxnetAttr(node.attrs[k]!));
  const n = (k: string) => {
    const v = attr(k);
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
  };
  const kernel = attr('kernel');
  const k = Array.isArray(kernel) && kernel.every((d) => typeof d === 'number') ? (kernel as number[]) : undefined;
  switch (node.op) {
    case 'FullyConnected':
      return input === 1 ? [n('num_hidden'), 0] : input === 2 ? [n('num_hidden')] : undefined;
    case 'Convolution':
      return input === 1 && k ? [n('num_filter'), 0, ...k] : input === 2 ? [n('num_filter')] : undefined;
    case 'Deconvolution': {
      const perGroup = n('num_filter') / (n('num_group') || 1);
      return input === 1 && k ? [0, Number.isInteger(perGroup) ? perGroup : 0, ...k] : input === 2 ? [n('num_filter')] : undefined;
    }
    case 'BatchNorm':
    case 'LayerNorm':
      return input >= 1 ? [0] : undefined;
    case 'LeakyReLU':
      return input === 1 ? [0] : undefined;
    case 'Embedding':
      return input === 1 ? [n('input_dim'), n('output_dim')] : undefined;
    default:
      return undefined;
  }
}
