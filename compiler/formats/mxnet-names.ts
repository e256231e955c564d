/**
 * The parameter names MXNet writes, mapped onto gluonc's structural names,
 * so `loadParameters` reads every form into the same block:
 * - `arg:` / `aux:` prefixes (`mx.model.save_checkpoint`, `HybridBlock.export`)
 *   are dropped;
 * - MXNet 1.9's recurrent layers save their unfused stack of cells:
 *   `_unfused.N.l_cell.i2h_weight` and `_unfused.N.r_cell.*` (bidirectional),
 *   `_unfused.N.i2h_weight` (one direction); they become the fused layer's
 *   `lK_i2h_weight` / `rK_*`, other MXNet versions' names. `N` counts the
 *   stack's children, where a DropoutCell between layers takes an index of
 *   its own, so layer `K` is the K-th distinct `N` under the same prefix.
 * Writing for MXNet 1.x (`mxnet1Names`) is the inverse: MXNet 1.9's
 * `_RNNLayer._collect_params_with_prefix` (python/mxnet/gluon/rnn/rnn_layer.py)
 * names `lK_i2h_weight` `_unfused.K.l_cell.i2h_weight` when the layer has a
 * reverse direction, else `_unfused.K.i2h_weight`, and its `load_parameters`
 * looks for those names.
 * Invariant: a pure function of the list of names; the order is kept.
 */

const UNFUSED = /^((?:.*\.)?)_unfused\.(\d+)\.(?:([lr])_cell\.)?(i2h_weight|h2h_weight|i2h_bias|h2h_bias)$/;

/**
 * gluonc's name for each name of an MXNet parameter file, in the same order.
 *
 * ```ts
 * canonicalMxnetNames(['arg:dense0_weight', '_unfused.0.l_cell.i2h_weight', '_unfused.2.r_cell.h2h_bias']);
 * // ['dense0_weight', 'l0_i2h_weight', 'r1_h2h_bias']
 * ```
 */
export function canonicalMxnetNames(names: readonly string[]): string[] {
  const stripped = names.map((n) => (n.startsWith('arg:') || n.startsWith('aux:') ? n.slice(4) : n));
  // The distinct stack indices under each prefix, in numeric order, give the layer numbers.
  const indices = new Map<string, Set<number>>();
  for (const n of stripped) {
    const m = UNFUSED.exec(n);
    if (!m) continue;
    let s = indices.get(m[1]!);
    if (!s) indices.set(m[1]!, (s = new Set()));
    s.add(Number(m[2]));
  }
  const layer = new Map<string, Map<number, number>>();
  for (const [prefix, s] of indices) layer.set(prefix, new Map([...s].sort((a, b) => a - b).map((n, k) => [n, k])));
  return stripped.map((n) => {
    const m = UNFUSED.exec(n);
    if (!m) return n;
    const [, prefix, idx, dir, param] = m as unknown as [string, string, string, string | undefined, string];
    return `${prefix}${dir ?? 'l'}${layer.get(prefix)!.get(Number(idx))}_${param}`;
  });
}

/** A recurrent layer's matrix as gluonc names it: prefix, direction, layer, matrix. Example: `FUSED_RNN.exec('1.r0_i2h_bias')` captures `'1.', 'r', '0', 'i2h_bias'`. */
export const FUSED_RNN = /^((?:.*\.)?)([lr])(\d+)_(i2h_weight|h2h_weight|i2h_bias|h2h_bias)$/;

/**
 * The names MXNet 1.x's `save_parameters` gives gluonc's parameters (see
 * the module comment), in the same order.
 *
 * ```ts
 * mxnet1Names(['0.l0_i2h_weight', '0.r0_h2h_bias', '1.weight']);
 * // ['0._unfused.0.l_cell.i2h_weight', '0._unfused.0.r_cell.h2h_bias', '1.weight']
 * ```
 */
export function mxnet1Names(names: readonly string[]): string[] {
  const bidirectional = new Set<string>();
  for (const n of names) {
    const m = FUSED_RNN.exec(n);
    if (m && m[2] === 'r') bidirectional.add(m[1]!);
  }
  return names.map((n) => {
    const m = FUSED_RNN.exec(n);
    if (!m) return n;
    const [, prefix, dir, layer, param] = m as unknown as [string, string, string, string, string];
    return bidirectional.has(prefix) ? `${prefix}_unfused.${layer}.${dir}_cell.${param}` : `${prefix}_unfused.${layer}.${param}`;
  });
}

/** A block as MXNet 1.x's naming sees it (the front end's Block). */
export interface AliasedBlock<P> {
  readonly constructor: { name: string };
  /** MXNet's `_alias`: `dense`, `conv`, `pool`, `relu`, ... */
  _alias(): string;
  children(): [string, AliasedBlock<P>][];
  ownParams(): [string, P][];
}

/** The MXNet 1.x names of a block tree: each block's prefix by structural path (`''` the root, `'a.d'`), each parameter's name. */
export interface Mxnet1Naming<P> {
  prefixes: Map<string, string>;
  blocks: Map<string, AliasedBlock<P>>;
  params: Map<P, string>;
}

/**
 * The names MXNet 1.x gives a block tree whose blocks were all created
 * outside any `name_scope` (what `net.add(nn.Dense(8))` does, and what
 * MXNet's export then writes): each block's prefix is its `_alias()` and
 * its count among the blocks of that alias, in structural order (the root
 * first, then each child's subtree), plus `_` (gluon/block.py,
 * `_BlockScope.create`: `NameManager.get(None, hint) + '_'`); a parameter
 * is its block's prefix and its own name (`dense0_weight`,
 * `batchnorm0_running_mean`). A block whose alias is empty (MXNet's
 * SymbolBlock) has no prefix and is not counted: its parameters keep their
 * own names. A block or parameter met twice (shared) keeps its first name.
 *
 * ```ts
 * mxnet1Naming(seq).params.get(seq.children()[1][1].ownParams()[0][1]); // 'dense1_weight'
 * ```
 */
export function mxnet1Naming<P>(root: AliasedBlock<P>): Mxnet1Naming<P> {
  const counts = new Map<string, number>();
  const seen = new Map<AliasedBlock<P>, string>();
  const out: Mxnet1Naming<P> = { prefixes: new Map(), blocks: new Map(), params: new Map() };
  const walk = (b: AliasedBlock<P>, path: string): void => {
    out.blocks.set(path, b);
    const had = seen.get(b);
    if (had !== undefined) {
      out.prefixes.set(path, had);
      return;
    }
    const alias = b._alias();
    const n = counts.get(alias) ?? 0;
    if (alias) counts.set(alias, n + 1);
    const prefix = alias ? `${alias}${n}_` : '';
    seen.set(b, prefix);
    out.prefixes.set(path, prefix);
    for (const [k, p] of b.ownParams()) if (!out.params.has(p)) out.params.set(p, prefix + k);
    for (const [k, c] of b.children()) walk(c, path ? `${path}.${k}` : k);
  };
  walk(root, '');
  return out;
}
