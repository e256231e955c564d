/**
 * What gluonc's versions of MXNet's C++ `.rec` iterators share
 * (`ImageRecordIter`, `ImageDetRecordIter`): the C++ normalizer's
 * `(x - mean) / std * scale` per channel (iter_normalize.h) as augmenters,
 * the records' offsets, found by reading the `.rec` once when the C++
 * iterator would need no index (to shuffle, split or label from a `.lst`),
 * and the parameters, checks and source options both map alike.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NDArray } from '../../engine/ndarray.js';
import { Augmenter, ColorNormalizeAug } from './image-aug.js';
import { showValue } from '../show-value.js';
import { iterOptions, type IterOptions } from './iter-options.js';
import { MXRecordIO, unpack } from './recordio.js';

/** The C++ normalizer's parameters (MXNet's names, camelCase). */
export const NORMALIZE_KEYS = ['meanR', 'meanG', 'meanB', 'stdR', 'stdG', 'stdB', 'scale'];

/** The parameters both `.rec` iterators map (MXNet's names, camelCase). */
export interface RecordIterCommonOptions {
  pathImgrec: string;
  dataShape: number[];
  batchSize: number;
  pathImglist?: string;
  pathImgidx?: string;
  labelWidth?: number;
  shuffle?: boolean;
  numParts?: number;
  partIndex?: number;
  interMethod?: number;
  meanR?: number;
  meanG?: number;
  meanB?: number;
  stdR?: number;
  stdG?: number;
  stdB?: number;
  scale?: number;
  roundBatch?: boolean;
  dataName?: string;
  labelName?: string;
  /** Accepted and ignored: decoding runs on the calling thread. */
  preprocessThreads?: number;
  /** Accepted and ignored. */
  prefetchBuffer?: number;
  /** Accepted and ignored. */
  verbose?: boolean;
}

const COMMON_KEYS = [
  'pathImgrec', 'dataShape', 'batchSize', 'pathImglist', 'pathImgidx', 'labelWidth', 'shuffle', 'numParts', 'partIndex', 'interMethod', ...NORMALIZE_KEYS,
  'roundBatch', 'dataName', 'labelName', 'preprocessThreads', 'prefetchBuffer', 'verbose',
];

/**
 * The checks both `.rec` iterators make: only the common keys and `extraKeys` (an Error naming the others, with
 * `hint`), `pathImgrec` given, the common flags and `extraFlags` booleans, `dataShape` three numbers with 3 channels
 * (`channels` says what MXNet's C++ iterator also takes). Returns the typed readers, the options and the shape.
 */
export function checkRecordIter<O extends RecordIterCommonOptions>(what: string, options: O, extraKeys: readonly string[], extraFlags: readonly string[], hint: string, channels: string): { opt: IterOptions; o: O; shape: number[] } {
  const opt = iterOptions(what, options, [...COMMON_KEYS, ...extraKeys], '{ pathImgrec, dataShape, batchSize, ... }', hint);
  const o = options;
  if (typeof o.pathImgrec !== 'string') throw new Error(`${what}: pathImgrec (the .rec file) is required, got ${showValue(o.pathImgrec)}`);
  for (const k of ['shuffle', 'roundBatch', 'verbose', ...extraFlags]) opt.flag(k, false);
  const shape = o.dataShape;
  if (!Array.isArray(shape) || shape.length !== 3) throw new Error(`${what}: dataShape must be 3 positive integers [channels, height, width], got ${showValue(shape)}`);
  if (shape[0] !== 3) throw new Error(`${what}: dataShape [${shape.join(', ')}]: gluonc's ${what} reads colour images (3 channels; MXNet's C++ one also takes ${channels})`);
  return { opt, o, shape };
}

/**
 * The records' index (see `recordIndex`) and the source options both iterators give their image iterator
 * (file, list, index, shuffle, parts, names, the last batch padded). Call `done()` once the iterator is built.
 */
export function recordSource(what: string, o: RecordIterCommonOptions, opt: IterOptions) {
  // The C++ iterator needs no index to shuffle or to label from a .lst: find the records' offsets once.
  const index = recordIndex(what, o.pathImgrec, o.pathImgidx, Boolean(o.shuffle || opt.num('numParts', 1) > 1 || o.pathImglist), Boolean(o.pathImglist));
  return {
    options: {
      pathImgrec: o.pathImgrec,
      pathImglist: o.pathImglist ?? null,
      pathImgidx: index.pathImgidx,
      shuffle: o.shuffle ?? false,
      partIndex: o.partIndex ?? 0,
      numParts: o.numParts ?? 1,
      dataName: o.dataName ?? 'data',
      labelName: o.labelName ?? 'softmax_label',
      lastBatchHandle: 'pad' as const,
    },
    done: index.done,
  };
}

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
