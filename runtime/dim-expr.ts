/**
 * Symbolic sizes as the compiler writes them into an artifact (dimension
 * names such as `H`, and the sizes its type rules derive from them:
 * `12*N`, `(H-4)`, `(floor((H-5)/5)+1)`, `(ceil((W-3)/2)+1)`), parsed and
 * evaluated for the sizes a run binds; and the artifact's size constraints
 * (the manifest's `constraints`, written by compiler/ops/dim-constraints.ts):
 * what an operator needs of a symbolic size that only the run's sizes can
 * check (a pooling kernel no larger than the padded input: `H >= 5`).
 * Grammar: integers, names (`[A-Za-z_][A-Za-z0-9_]*`), `+ - * /` with the
 * usual precedence (left to right; `/` exact, as in the compiler's
 * `floor((H-5)/5)`), unary minus, parentheses, `floor(...)`, `ceil(...)`.
 * Invariant: a text outside the grammar parses to null (the compiler keeps
 * no constraint it cannot write in it); evaluation never throws.
 */

/** A parsed dimension expression. */
export type DimExpr =
  | { k: 'num'; v: number }
  | { k: 'sym'; name: string }
  | { k: 'neg'; a: DimExpr }
  | { k: 'fn'; fn: 'floor' | 'ceil'; a: DimExpr }
  | { k: 'bin'; op: '+' | '-' | '*' | '/'; a: DimExpr; b: DimExpr };

const TOKEN = /\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/()]))/y;

/**
 * `text` parsed (see the module comment), or null when it is not in the grammar.
 *
 * ```ts
 * parseDim('(floor((H-5)/5)+1)'); // { k: 'bin', op: '+', ... }
 * parseDim('(nonzero[0:2])');     // null
 * ```
 */
export function parseDim(text: string): DimExpr | null {
  const toks: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) return /^\s*$/.test(text.slice(at)) ? parseTokens(toks) : null;
    toks.push(m[1] ?? m[2] ?? m[3]!);
  }
  return parseTokens(toks);
}

function parseTokens(toks: string[]): DimExpr | null {
  let i = 0;
  const isName = (t: string | undefined): boolean => t !== undefined && /^[A-Za-z_]/.test(t);
  const factor = (): DimExpr | null => {
    const t = toks[i++];
    if (t === undefined) return null;
    if (t === '-') {
      const a = factor();
      return a && { k: 'neg', a };
    }
    if (t === '(') {
      const a = sum();
      return a && toks[i++] === ')' ? a : null;
    }
    if (/^\d+$/.test(t)) return Number.isSafeInteger(Number(t)) ? { k: 'num', v: Number(t) } : null;
    if (!isName(t)) return null;
    if ((t === 'floor' || t === 'ceil') && toks[i] === '(') {
      i++;
      const a = sum();
      return a && toks[i++] === ')' ? { k: 'fn', fn: t, a } : null;
    }
    return { k: 'sym', name: t };
  };
  const product = (): DimExpr | null => {
    let a = factor();
    while (a && (toks[i] === '*' || toks[i] === '/')) {
      const op = toks[i++] as '*' | '/';
      const b = factor();
      a = b && { k: 'bin', op, a, b };
    }
    return a;
  };
  const sum = (): DimExpr | null => {
    let a = product();
    while (a && (toks[i] === '+' || toks[i] === '-')) {
      const op = toks[i++] as '+' | '-';
      const b = product();
      a = b && { k: 'bin', op, a, b };
    }
    return a;
  };
  const e = sum();
  return e && i === toks.length ? e : null;
}

/**
 * The names an expression reads, in order of first use.
 *
 * ```ts
 * dimSymbols(parseDim('(N*T+H)')!); // ['N', 'T', 'H']
 * ```
 */
export function dimSymbols(e: DimExpr, out: string[] = []): string[] {
  if (e.k === 'sym') {
    if (!out.includes(e.name)) out.push(e.name);
  } else if (e.k === 'neg' || e.k === 'fn') dimSymbols(e.a, out);
  else if (e.k === 'bin') {
    dimSymbols(e.a, out);
    dimSymbols(e.b, out);
  }
  return out;
}

/**
 * The value of `e` for the sizes `env` binds; undefined when it reads a name
 * `env` lacks or divides by 0. `/` is exact (the compiler writes its
 * roundings as floor/ceil), or with `floorDivision` an integer division
 * rounding down, as sizes divide in ONNX files and torch's exporters
 * (`(1+((-1+H)/4))`).
 *
 * ```ts
 * evalDim(parseDim('(floor((H-5)/5)+1)')!, new Map([['H', 3]])); // 0
 * ```
 */
export function evalDim(e: DimExpr, env: ReadonlyMap<string, number>, floorDivision = false): number | undefined {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'sym':
      return env.get(e.name);
    case 'neg': {
      const a = evalDim(e.a, env, floorDivision);
      return a === undefined ? undefined : -a;
    }
    case 'fn': {
      const a = evalDim(e.a, env, floorDivision);
      return a === undefined ? undefined : e.fn === 'floor' ? Math.floor(a) : Math.ceil(a);
    }
    case 'bin': {
      const a = evalDim(e.a, env, floorDivision);
      const b = evalDim(e.b, env, floorDivision);
      if (a === undefined || b === undefined) return undefined;
      if (e.op === '+') return a + b;
      if (e.op === '-') return a - b;
      if (e.op === '*') return a * b;
      return b === 0 ? undefined : floorDivision ? Math.floor(a / b) : a / b;
    }
  }
}

/** How a constraint compares its size with its value. */
export const DIM_CMPS = ['>=', '<=', 'multipleOf'] as const;
export type DimCmp = (typeof DIM_CMPS)[number];

/**
 * What an operator needs of a size the artifact leaves symbolic: `dim`
 * (an expression over the inputs' dimension names) `>=` or `<=` `value`
 * (a table of `maxLen` rows read by position: `T <= maxLen`), or a
 * multiple of it; `message` names the operator, its block and why
 * ("Pooling (max) in block 'net/pool0' needs H >= 5: kernel [5, 5] along
 * spatial axis 0, pad [0, 0]").
 */
export interface DimConstraint {
  dim: string;
  cmp: DimCmp;
  value: number;
  message: string;
}

/**
 * True when the size `v` meets `cmp value`.
 *
 * ```ts
 * dimHolds(3, '>=', 5); // false
 * ```
 */
export function dimHolds(v: number, cmp: DimCmp, value: number): boolean {
  if (cmp === '>=') return v >= value;
  if (cmp === '<=') return v <= value;
  return value !== 0 && Number.isInteger(v / value);
}

/**
 * The problem with `c` as an artifact's constraint (undefined: none): the
 * fields' types, a known comparison, and a `dim` in the grammar.
 *
 * ```ts
 * dimConstraintProblem({ dim: 'H', cmp: '>=', value: 5, message: '...' }); // undefined
 * ```
 */
export function dimConstraintProblem(c: unknown): string | undefined {
  if (!c || typeof c !== 'object' || Array.isArray(c)) return 'is not an object';
  const o = c as Partial<DimConstraint>;
  if (typeof o.dim !== 'string' || !parseDim(o.dim)) return `has a dim ${JSON.stringify(o.dim)} that is not a size expression`;
  if (!DIM_CMPS.includes(o.cmp as DimCmp)) return `has an unknown comparison ${JSON.stringify(o.cmp)} (${DIM_CMPS.join(', ')})`;
  if (typeof o.value !== 'number' || !Number.isSafeInteger(o.value)) return `has a value ${JSON.stringify(o.value)} that is not an integer`;
  if (typeof o.message !== 'string') return 'has no message';
  return undefined;
}

/** A constraint the sizes of a run do not meet: what it reads and what its size came to. */
export interface DimViolation {
  constraint: DimConstraint;
  /** The names `dim` reads. */
  symbols: string[];
  /** `dim`'s value for the run's sizes. */
  size: number;
}

/**
 * The first of `constraints` the sizes `env` fail (one whose `dim` reads a
 * name `env` lacks is skipped), or null.
 *
 * ```ts
 * firstViolation([{ dim: 'H', cmp: '>=', value: 5, message: 'Pooling ...' }], new Map([['H', 3]]))?.size; // 3
 * ```
 */
export function firstViolation(constraints: readonly DimConstraint[], env: ReadonlyMap<string, number>): DimViolation | null {
  for (const c of constraints) {
    const e = parseDim(c.dim);
    const size = e ? evalDim(e, env) : undefined;
    if (size !== undefined && !dimHolds(size, c.cmp, c.value)) return { constraint: c, symbols: dimSymbols(e!), size };
  }
  return null;
}
