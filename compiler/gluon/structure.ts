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
