/**
 * The nesting of a block's outputs. A block may return one tensor, a list,
 * or nested lists (an RNN layer called with states returns `[out, [h, c]]`,
 * MXNet's export flattens them); a traced call is one flat list of output
 * values (the graph's outputs `output0`, `output1`, ... in depth-first
 * order), and its results are put back into the block's nesting.
 * Invariant: `regroup(flattenOutputs(x).flat, flattenOutputs(x).tree)`
 * has `x`'s nesting.
 */

/**
 * A leaf's index in the flat list, a list of nestings, or null for an output that is absent (an imported
 * model's empty optional: no flat entry). Example: `[0, [1, 2]]` for `[out, [h, c]]`; `0` for one tensor.
 */
export type OutputTree = number | null | readonly OutputTree[];

/**
 * The leaves of `out` depth first, its nesting, and each leaf's path
 * (`[1][0]`; '' for a single output) for error messages.
 *
 * ```ts
 * flattenOutputs([y, [h, c]]); // { flat: [y, h, c], tree: [0, [1, 2]], paths: ['[0]', '[1][0]', '[1][1]'] }
 * ```
 */
export function flattenOutputs(out: unknown): { flat: unknown[]; tree: OutputTree; paths: string[] } {
  const flat: unknown[] = [];
  const paths: string[] = [];
  const walk = (x: unknown, path: string): OutputTree => {
    if (x === null) return null;
    if (!Array.isArray(x)) {
      flat.push(x);
      paths.push(path);
      return flat.length - 1;
    }
    return x.map((v, i) => walk(v, `${path}[${i}]`));
  };
  const tree = walk(out, '');
  return { flat, tree, paths };
}

/**
 * `flat` put back into the nesting `tree`.
 *
 * ```ts
 * regroup([y, h, c], [0, [1, 2]]); // [y, [h, c]]
 * ```
 */
export function regroup<T>(flat: readonly T[], tree: OutputTree): T | unknown[] | null {
  return tree === null ? null : typeof tree === 'number' ? flat[tree]! : tree.map((t) => regroup(flat, t));
}

/** True when the outputs are a list (nested or not), not one tensor. Example: `isList([0])`. */
export function isList(tree: OutputTree): boolean {
  return Array.isArray(tree);
}

/**
 * The artifact names of `count` flat outputs: `output` for one, else
 * `output0`, `output1`, ... (depth first), as `export` and the training
 * artifact name them.
 *
 * ```ts
 * outputNames(1); // ['output']
 * outputNames(3); // ['output0', 'output1', 'output2']
 * ```
 */
export function outputNames(count: number): string[] {
  return count === 1 ? ['output'] : Array.from({ length: count }, (_v, i) => `output${i}`);
}
