/**
 * The structure epoch: a counter bumped by everything that may change what a
 * hybridized block's compiled graph was built from — a block or parameter
 * created (then possibly assigned to a property), a child added
 * (`Sequential.add`), parameters shared or registered (`shareParameters`,
 * `ParameterDict.set`), a parameter's shape, dtype or gradReq changed. A
 * hybridized block compares its structure again only when the epoch moved
 * (one integer comparison per call otherwise), and compiles again when it
 * differs (see `HybridBlock`).
 */

let epoch = 0;

/**
 * Announces a possible structure change.
 *
 * ```ts
 * add(...blocks) { this._layers.push(...blocks); structureMayHaveChanged(); }
 * ```
 */
export function structureMayHaveChanged(): void {
  epoch++;
}

/**
 * The current structure epoch.
 *
 * ```ts
 * if (this._seenEpoch !== structureEpoch()) this._checkStructure();
 * ```
 */
export function structureEpoch(): number {
  return epoch;
}

/** A block as `structureOf` walks it (Block, known by shape: block.ts imports this module). */
interface StructuredBlock {
  ownParams(): [string, { dtype: unknown; gradReq: unknown; differentiable: boolean }][];
  children(): [string, StructuredBlock][];
}

/**
 * What a compiled graph was traced from, flattened: each block, its
 * parameters by name (with dtype, gradReq, differentiable) and its children
 * by name; two walks are equal element by element when nothing changed.
 *
 * ```ts
 * const before = structureOf(net); net.registerChild(extra); structureOf(net).length > before.length; // true
 * ```
 */
export function structureOf(root: StructuredBlock): unknown[] {
  const out: unknown[] = [];
  const walk = (b: StructuredBlock): void => {
    out.push(b);
    for (const [k, p] of b.ownParams()) out.push(k, p, p.dtype, p.gradReq, p.differentiable);
    for (const [k, c] of b.children()) {
      out.push(k);
      walk(c);
    }
    out.push(null);
  };
  walk(root);
  return out;
}
