/**
 * A stable text form of graphs for snapshot tests and `--dump-ir`: values are
 * numbered in order of appearance, attributes printed with sorted keys.
 */
import type { Graph } from './graph.js';
import type { AttrValue } from './node.js';
import { formatType } from './types.js';
import type { Value } from './value.js';

/**
 * Prints a graph.
 *
 * ```
 * graph(%x: float32[N, 2]) {
 *   %0: float32[N, 2] = relu(%x)
 *   return y=%0
 * }
 * ```
 */
export function printGraph(g: Graph): string {
  const names = new Map<Value, string>();
  let n = 0;
  const name = (v: Value): string => {
    let s = names.get(v);
    if (s === undefined) {
      s = v.kind === 'node' ? `%${n++}` : `%${v.name || `c${n++}`}`;
      names.set(v, s);
    }
    return s;
  };
  const lines: string[] = [];
  const sig = g.inputs.map((v) => `${name(v)}: ${formatType(v.type)}`).join(', ');
  lines.push(`graph(${sig}) {`);
  for (const p of g.params) lines.push(`  param ${name(p)}: ${formatType(p.type)}`);
  for (const c of g.constants) lines.push(`  const ${name(c)}: ${formatType(c.type)}${constPreview(c)}`);
  for (const node of g.nodes) {
    const ins = node.inputs.map(name).join(', ');
    const outs = node.outputs.map((o) => `${name(o)}: ${formatType(o.type)}`).join(', ');
    lines.push(`  ${outs} = ${node.op}(${ins})${formatAttrs(node.attrs)}`);
  }
  lines.push(`  return ${g.outputs.map((o) => `${o.name}=${name(o.value)}`).join(', ')}`);
  lines.push('}');
  return lines.join('\n');
}

function constPreview(v: Value): string {
  const d = v.data;
  if (!d || d.data.length > 4) return '';
  return ` = [${Array.from(d.data as ArrayLike<number | bigint>, String).join(', ')}]`;
}

/** Formats attributes as ` {a: 1, b: [2, 3]}` with sorted keys, or '' when none are set. */
export function formatAttrs(attrs: Record<string, AttrValue>): string {
  const keys = Object.keys(attrs).filter((k) => attrs[k] !== undefined).sort();
  if (!keys.length) return '';
  return ` {${keys.map((k) => `${k}: ${formatAttr(attrs[k])}`).join(', ')}}`;
}

function formatAttr(a: AttrValue): string {
  if (Array.isArray(a)) return `[${a.map(formatAttr).join(', ')}]`;
  if (a && typeof a === 'object') return `{${Object.keys(a).sort().map((k) => `${k}: ${formatAttr(a[k])}`).join(', ')}}`;
  return typeof a === 'string' ? JSON.stringify(a) : String(a);
}
