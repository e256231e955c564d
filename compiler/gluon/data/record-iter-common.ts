/**
 * What gluonc's versions of MXNet's C++ `.rec` iterators share
 * (`ImageRecordIter`, `ImageDetRecordIter`): the C++ normalizer's
 * `(x - mean) / std * scale` per channel (iter_normalize.h) as augmenters,
 * and the records' offsets, found by reading the `.rec` once when the C++
 * iterator would need no index (to shuffle, split or label from a `.lst`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NDArray } from '../../engine/ndarray.js';
import { Augmenter, ColorNormalizeAug } from './image-aug.js';
import type { IterOptions } from './iter-options.js';
import { MXRecordIO, unpack } from './recordio.js';

/** The C++ normalizer's parameters (MXNet's names, camelCase). */
export const NORMALIZE_KEYS = ['meanR', 'meanG', 'meanB', 'stdR', 'stdG', 'stdB', 'scale'];

/** Multiplies by the C++ normalizer's `scale` after the mean and std. */
export class ScaleAug extends Augmenter {
  constructor(readonly scale: number) {
    super({ scale });
  }

  call(src: NDArray): NDArray {
    return src.mul(this.scale);
  }
}

/** `(x - mean) / std * scale` per channel from `meanR/G/B`, `stdR/G/B`, `scale`: the augmenters (none at the defaults). */
export function normalizeAugs(o: IterOptions): Augmenter[] {
  const augs: Augmenter[] = [];
  const mean = [o.num('meanR', 0), o.num('meanG', 0), o.num('meanB', 0)];
  const std = [o.num('stdR', 1), o.num('stdG', 1), o.num('stdB', 1)];
  if (mean.some((v) => v !== 0) || std.some((v) => v !== 1)) augs.push(new ColorNormalizeAug(mean, std));
  const scale = o.num('scale', 1);
  if (scale !== 1) augs.push(new ScaleAug(scale));
  return augs;
}

/** The `.rec`'s records as `[key, offset]`: keyed by their order, or by their headers' `id` (which the C++ iterator matches a `.lst`'s index against). */
class OffsetScan extends MXRecordIO {
  entries(what: string, byId: boolean): [number, number][] {
    const out: [number, number][] = [];
    const seen = new Set<number>();
    for (;;) {
      const at = this.pos;
      const r = this.read();
      if (r === null) break;
      const key = byId ? unpack(r)[0].id : out.length;
      if (seen.has(key)) throw new Error(`${what}: two records of '${this.uri}' have the id ${key}, so pathImglist cannot label them (give pathImgidx)`);
      seen.add(key);
      out.push([key, at]);
    }
    this.close();
    return out;
  }
}

/**
 * An index of `pathImgrec`: `pathImgidx` when given or not `needed`, else
 * one written to a scratch folder from a scan of the records (keyed by
 * header id with `byId`); call `done()` once the iterator has read it
 * (it removes the scratch folder).
 */
export function recordIndex(what: string, pathImgrec: string, pathImgidx: string | undefined, needed: boolean, byId: boolean): { pathImgidx: string | null; done(): void } {
  if (pathImgidx || !needed) return { pathImgidx: pathImgidx ?? null, done: () => {} };
  const entries = new OffsetScan(pathImgrec, 'r').entries(what, byId);
  const scratch = mkdtempSync(path.join(tmpdir(), 'gluonc-rec-'));
  const idx = path.join(scratch, 'scan.idx');
  writeFileSync(idx, entries.map(([k, off]) => `${k}\t${off}\n`).join(''));
  return { pathImgidx: idx, done: () => rmSync(scratch, { recursive: true, force: true }) };
}
