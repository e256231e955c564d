/**
 * Symbolic dimensions compared by value. A size reaches the importer in two
 * spellings: gluonc's shape inference writes a strided convolution's output
 * as `(floor(((floor((H-1)/2)+1)-1)/2)+1)`, and torch's dynamo exporter
 * computes the same size from the graph input's H as `(1+((-1+H)/4))`. Both
 * are evaluated (integer division, as sizes divide in ONNX and torch) at a
 * fixed set of sample values of their symbols; equal samples mean one size.
 * An expression that does not parse has no samples (compared by name only).
 * With `divisible`, every sample is a multiple of 840 (2 to 8 divide it):
 * sizes a file splits (`H/2` and 2 from H, which it takes to be even) then
 * multiply back.
 */
import type { Dim } from '../../ir/types.js';

/** Sample assignments per symbol: 24 values >= 24, spread over the residues of small divisors (or multiples of 840). */
const SAMPLES = 24;

type Node = { n: number } | { s: string } | { op: string; a: Node; b: Node } | { floor: Node } | { neg: Node };

/** Parses a dimension expression (numbers, symbols, + - * /, floor(...), parentheses), or null. */
function parse(text: string): Node | null {
  const tokens = text.match(/\d+|[A-Za-z_][\w.]*|[-+*/()]|\S/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const expr = (): Node | null => {
    let a = term();
    while (a && (peek() === '+' || peek() === '-')) {
      const op = tokens[i++]!;
      const b = term();
      a = b ? { op, a, b } : null;
    }
    return a;
  };
  const term = (): Node | null => {
    let a = unary();
    while (a && (peek() === '*' || peek() === '/')) {
      const op = tokens[i++]!;
      const b = unary();
      a = b ? { op, a, b } : null;
    }
    return a;
  };
  const unary = (): Node | null => {
    if (peek() === '-') {
      i++;
      const a = unary();
      return a ? { neg: a } : null;
    }
    const t = tokens[i++];
    if (t === undefined) return null;
    if (/^\d+$/.test(t)) return { n: Number(t) };
    if (t === '(' || (t === 'floor' && peek() === '(')) {
      if (t === 'floor') i++;
      const a = expr();
      if (!a || tokens[i++] !== ')') return null;
      return t === 'floor' ? { floor: a } : a;
    }
    return /^[A-Za-z_]/.test(t) ? { s: t } : null;
  };
  const tree = expr();
  return tree && i === tokens.length ? tree : null;
}

function symbols(n: Node, out: Set<string>): void {
  if ('s' in n) out.add(n.s);
  else if ('op' in n) {
    symbols(n.a, out);
    symbols(n.b, out);
  } else if ('floor' in n) symbols(n.floor, out);
  else if ('neg' in n) symbols(n.neg, out);
}

function evaluate(n: Node, env: Map<string, number>): number {
  if ('n' in n) return n.n;
  if ('s' in n) return env.get(n.s)!;
  if ('floor' in n) return Math.floor(evaluate(n.floor, env));
  if ('neg' in n) return -evaluate(n.neg, env);
  const [a, b] = [evaluate(n.a, env), evaluate(n.b, env)];
  if (n.op === '+') return a + b;
  if (n.op === '-') return a - b;
  if (n.op === '*') return a * b;
  return b === 0 ? NaN : Math.floor(a / b);
}

/**
 * The values of dimensions at the sample assignments of every symbol in
 * `dims` (one evaluator, so the samples agree): a number's samples are
 * itself; null for an expression that does not parse.
 *
 * ```ts
 * const at = dimSamples(['(floor(((floor((H-1)/2)+1)-1)/2)+1)', '(1+((-1+H)/4))']);
 * sameSamples(at('(floor(((floor((H-1)/2)+1)-1)/2)+1)'), at('(1+((-1+H)/4))')); // true
 * ```
 */
export function dimSamples(dims: readonly Dim[], divisible = false): (d: Dim) => number[] | null {
  const trees = new Map<string, Node | null>();
  const names = new Set<string>();
  const tree = (d: string): Node | null => {
    if (!trees.has(d)) trees.set(d, parse(d));
    return trees.get(d)!;
  };
  for (const d of dims) {
    const t = typeof d === 'string' ? tree(d) : null;
    if (t) symbols(t, names);
  }
  const order = [...names].sort();
  const value = (e: number, k: number): number => (divisible ? 840 * (1 + e + 2 * k + ((e * k) % 5)) : 24 + 7 * e + 5 * k + ((e * k) % 11));
  const envs = Array.from({ length: SAMPLES }, (_v, e) => new Map(order.map((s, k) => [s, value(e, k)])));
  return (d) => {
    if (typeof d === 'number') return Array.from({ length: SAMPLES }, () => d);
    const t = tree(d);
    if (!t) return null;
    const own = new Set<string>();
    symbols(t, own);
    if ([...own].some((s) => !names.has(s))) return null;
    const v = envs.map((env) => evaluate(t, env));
    return v.every(Number.isFinite) ? v : null;
  };
}

/** Whether two sample lists are one size's. */
export function sameSamples(a: number[] | null, b: number[] | null): boolean {
  return !!a && !!b && a.every((v, i) => v === b[i]);
}
