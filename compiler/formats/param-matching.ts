/**
 * Placing the entries of a parameter file whose names differ from the
 * block's (an MXNet export's global names `dense0_weight`, or
 * `arg:hybridsequential0_conv0_weight`) by structural order: the block's
 * unplaced parameters, in `collectParams` order, take the file's unplaced
 * entries in file order. MXNet files that mark auxiliary states (`aux:`,
 * BatchNorm's moving statistics, which `save_checkpoint` writes after every
 * `arg:`) are matched kind by kind: `aux:` entries go to the block's moving
 * statistics (`running_mean`, `running_var`), `arg:` entries to the rest.
 * Invariant: a pairing is accepted only when the shapes fit; the first
 * misfit is an error naming both sides, so nothing is placed by accident.
 */
import { formatShape, type HostTensor } from '../../runtime/tensor.js';

/** What order matching reads of a parameter (gluon's Parameter has it). */
export interface ParamShape {
  readonly shape: number[];
  readonly initialized: boolean;
}

/** A file entry not placed by name: its name as written, as mapped, and its value. */
export interface FileEntry {
  raw: string;
  name: string;
  tensor: HostTensor;
}

/** What order matching placed and what it could not. */
export interface OrderMatch<P extends ParamShape> {
  placed: [string, P, HostTensor][];
  unplaced: [string, P][];
  extra: FileEntry[];
}

const AUX = /(?:^|[._])(running|moving)_(mean|var)$/;

function fits(p: ParamShape, shape: number[]): boolean {
  if (!p.initialized && p.shape.length === 0) return true;
  return p.shape.length === shape.length && p.shape.every((d, i) => d === 0 || d === shape[i]);
}

/**
 * Pairs `params` (block order) with `entries` (file order) one by one, by
 * kind when the file marks `aux:` entries.
 *
 * ```ts
 * const { placed, unplaced, extra } = matchByOrder([['0.weight', w]], [{ raw: 'arg:dense0_weight', name: 'dense0_weight', tensor }], 'm.params');
 * ```
 */
export function matchByOrder<P extends ParamShape>(params: [string, P][], entries: FileEntry[], file: string): OrderMatch<P> {
  const byKind = entries.some((e) => e.raw.startsWith('aux:'));
  const kindOfEntry = (e: FileEntry) => (byKind && e.raw.startsWith('aux:') ? 'aux' : 'arg');
  const kindOfParam = (name: string) => (byKind && AUX.test(name) ? 'aux' : 'arg');
  const out: OrderMatch<P> = { placed: [], unplaced: [], extra: [] };
  for (const kind of ['arg', 'aux'] as const) {
    const ps = params.filter(([n]) => kindOfParam(n) === kind);
    const es = entries.filter((e) => kindOfEntry(e) === kind);
    const n = Math.min(ps.length, es.length);
    for (let i = 0; i < n; i++) {
      const [name, p] = ps[i]!;
      const e = es[i]!;
      if (!fits(p, e.tensor.shape)) {
        throw new Error(`Parameter '${name}' (shape ${formatShape(p.shape)}) could not be placed: its name is not in file '${file}', and by structural order it meets '${e.raw}' of shape ${formatShape(e.tensor.shape)}`);
      }
      out.placed.push([name, p, e.tensor]);
    }
    out.unplaced.push(...ps.slice(n));
    out.extra.push(...es.slice(n));
  }
  return out;
}
