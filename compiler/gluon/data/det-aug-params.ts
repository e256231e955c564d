/**
 * The parameters of MXNet 1.x's C++ default detection augmenter
 * (`DefaultImageDetAugmentParam` and `DefaultImageDetAugmenter::Init` in
 * src/io/image_det_aug_default.cc, apache/mxnet at 05321655d937), which
 * `io.ImageDetRecordIter` takes: their defaults, the crop samplers' list
 * parameters broadcast to `numCropSampler`, and the C++ checks, each an
 * Error naming the parameter where the C++ stops with a CHECK.
 *
 * Invariants: every `Tuple<float>` / `float` value is kept as the float32
 * the C++ parses it to (`Math.fround`); a list parameter is one number or
 * a list; with `numCropSampler` 1 it must be one value (the C++
 * `CHECK_EQ(ndim, 1)`), above 1 one value (repeated) or one per sampler,
 * at 0 or below the samplers are off and the lists are not checked;
 * `interMethod` is 1-4, 9 or 10 (the C++ refuses 0 despite its message);
 * gluonc also refuses probabilities outside [0, 1] (the C++ compares them
 * as they are) and a `resize` other than -1 or a positive size (the C++
 * would fail in OpenCV).
 */
import { showValue } from '../show-value.js';
import type { IterOptions } from './iter-options.js';

const f = Math.fround;

/** The C++ augmenter's parameters (MXNet's names, camelCase). */
export interface DetAugDefaultOptions {
  /** The shorter edge resized to this first (-1: off). */
  resize?: number;
  randCropProb?: number;
  minCropScales?: number | number[];
  maxCropScales?: number | number[];
  minCropAspectRatios?: number | number[];
  maxCropAspectRatios?: number | number[];
  minCropOverlaps?: number | number[];
  maxCropOverlaps?: number | number[];
  minCropSampleCoverages?: number | number[];
  maxCropSampleCoverages?: number | number[];
  minCropObjectCoverages?: number | number[];
  maxCropObjectCoverages?: number | number[];
  numCropSampler?: number;
  cropEmitMode?: 'center' | 'overlap';
  emitOverlapThresh?: number;
  maxCropTrials?: number | number[];
  randPadProb?: number;
  maxPadScale?: number;
  maxRandomHue?: number;
  randomHueProb?: number;
  maxRandomSaturation?: number;
  randomSaturationProb?: number;
  maxRandomIllumination?: number;
  randomIlluminationProb?: number;
  maxRandomContrast?: number;
  randomContrastProb?: number;
  randMirrorProb?: number;
  fillValue?: number;
  /** 1 bilinear (default), 2 cubic, 3 area, 4 Lanczos4, 9 auto, 10 random (0, nearest, is refused as by the C++). */
  interMethod?: number;
  resizeMode?: 'force' | 'shrink' | 'fit';
}

/** One crop sampler's bounds (float32) and trial count. */
export interface CropSampler {
  minScale: number;
  maxScale: number;
  minAspectRatio: number;
  maxAspectRatio: number;
  minOverlap: number;
  maxOverlap: number;
  minSampleCoverage: number;
  maxSampleCoverage: number;
  minObjectCoverage: number;
  maxObjectCoverage: number;
  maxTrials: number;
}

/** The checked parameters, float32 where the C++ holds floats. */
export interface DetAugDefaultParams {
  resize: number;
  randCropProb: number;
  samplers: CropSampler[];
  cropEmitMode: 'center' | 'overlap';
  emitOverlapThresh: number;
  randPadProb: number;
  maxPadScale: number;
  maxRandomHue: number;
  randomHueProb: number;
  maxRandomSaturation: number;
  randomSaturationProb: number;
  maxRandomIllumination: number;
  randomIlluminationProb: number;
  maxRandomContrast: number;
  randomContrastProb: number;
  randMirrorProb: number;
  fillValue: number;
  interMethod: number;
  resizeMode: 'force' | 'shrink' | 'fit';
  /** `[height, width]` of `dataShape`. */
  size: [number, number];
}

/** The list parameters with their C++ defaults and the sampler field each fills, in the C++ order. */
const LISTS: [key: keyof DetAugDefaultOptions, field: keyof CropSampler, dflt: number][] = [
  ['minCropScales', 'minScale', 0], ['maxCropScales', 'maxScale', 1], ['minCropAspectRatios', 'minAspectRatio', 1], ['maxCropAspectRatios', 'maxAspectRatio', 1],
  ['minCropOverlaps', 'minOverlap', 0], ['maxCropOverlaps', 'maxOverlap', 1], ['minCropSampleCoverages', 'minSampleCoverage', 0], ['maxCropSampleCoverages', 'maxSampleCoverage', 1],
  ['minCropObjectCoverages', 'minObjectCoverage', 0], ['maxCropObjectCoverages', 'maxObjectCoverage', 1], ['maxCropTrials', 'maxTrials', 25],
];
const PROBS = ['randCropProb', 'randPadProb', 'randomHueProb', 'randomSaturationProb', 'randomIlluminationProb', 'randomContrastProb', 'randMirrorProb'] as const;

/** The option names this module reads (for the iterator's list of mapped keys). */
export const DET_AUG_DEFAULT_KEYS: readonly string[] = [
  'resize', ...PROBS, ...LISTS.map(([k]) => k), 'numCropSampler', 'cropEmitMode', 'emitOverlapThresh', 'maxPadScale',
  'maxRandomHue', 'maxRandomSaturation', 'maxRandomIllumination', 'maxRandomContrast', 'fillValue', 'interMethod', 'resizeMode',
];

/** `ValidateCropParameters`: one parameter's values for `n` samplers, or an Error naming it. */
function samplerValues(what: string, key: string, v: unknown, dflt: number, n: number, integer: boolean): number[] {
  const list = v === undefined ? [dflt] : typeof v === 'number' ? [v] : v;
  const kind = integer ? 'integers' : 'numbers';
  if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isFinite(x) && (!integer || Number.isInteger(x)))) {
    throw new Error(`${what}: ${key} must be a number or a list of ${kind} (one per crop sampler), got ${showValue(v)}`);
  }
  if (n === 1 && list.length !== 1) throw new Error(`${what}: ${key} has ${list.length} values but numCropSampler is 1 (give one value, or set numCropSampler to ${list.length})`);
  if (n > 1 && list.length !== 1 && list.length !== n) throw new Error(`${what}: ${key} has ${list.length} values but numCropSampler is ${n}: # of parameters/crop_samplers mismatch (give one value for all or one per sampler)`);
  return n > 1 && list.length === 1 ? Array(n).fill(list[0]) : list;
}

function oneOf<T extends string>(what: string, key: string, v: unknown, names: readonly T[]): T {
  if (v === undefined) return names[0]!;
  if (typeof v !== 'string' || !names.includes(v as T)) throw new Error(`${what}: ${key} must be ${names.map((s) => `'${s}'`).join(', ')}, got ${showValue(v)} (MXNet's "Invalid Input")`);
  return v as T;
}

/**
 * Reads and checks the augmenter's parameters from the iterator's options
 * (`opt` its typed readers, `o` the raw object for the lists and enums),
 * as `DefaultImageDetAugmenter::Init` does.
 * Example: `detAugDefaultParams('ImageDetRecordIter', opt, o, [300, 300])`.
 */
export function detAugDefaultParams(what: string, opt: IterOptions, o: Record<string, unknown>, size: [number, number]): DetAugDefaultParams {
  const probs = Object.fromEntries(PROBS.map((k) => {
    const p = opt.num(k, 0);
    if (!(p >= 0 && p <= 1)) throw new Error(`${what}: ${k} must be a probability in [0, 1], got ${p}`);
    return [k, f(p)];
  })) as Record<(typeof PROBS)[number], number>;
  const resize = opt.int('resize', -1, -1);
  if (resize === 0) throw new Error(`${what}: resize must be -1 (off) or the shorter edge's new size (a positive integer), got 0`);
  const interMethod = opt.int('interMethod', 1, 0);
  if (!((interMethod >= 1 && interMethod <= 4) || interMethod === 9 || interMethod === 10)) {
    throw new Error(`${what}: invalid interMethod ${interMethod}: MXNet's C++ detection augmenter takes 1 (bilinear), 2 (cubic), 3 (area), 4 (Lanczos4), 9 (auto) or 10 (random)`);
  }
  const n = opt.int('numCropSampler', 1, -(2 ** 31));
  const cols = LISTS.map(([key, , dflt]) => samplerValues(what, key, o[key], dflt, n, key === 'maxCropTrials'));
  const samplers: CropSampler[] = [];
  for (let i = 0; i < n; i++) {
    const s = Object.fromEntries(LISTS.map(([, field], j) => [field, field === 'maxTrials' ? cols[j]![i]! : f(cols[j]![i]!)])) as unknown as CropSampler;
    const at = n > 1 ? ` of sampler ${i}` : '';
    const need = (ok: boolean, msg: string) => {
      if (!ok) throw new Error(`${what}: ${msg}${at}`);
    };
    need(s.minScale >= 0, `minCropScales ${s.minScale} must be >= 0`);
    need(s.maxScale <= 1, `maxCropScales ${s.maxScale} must be <= 1`);
    need(s.maxScale > s.minScale, `maxCropScales ${s.maxScale} must be greater than minCropScales ${s.minScale}`);
    need(s.minAspectRatio >= 0, `minCropAspectRatios ${s.minAspectRatio} must be >= 0`);
    need(s.maxAspectRatio >= s.minAspectRatio, `maxCropAspectRatios ${s.maxAspectRatio} must be >= minCropAspectRatios ${s.minAspectRatio}`);
    need(s.maxOverlap >= s.minOverlap, `maxCropOverlaps ${s.maxOverlap} must be >= minCropOverlaps ${s.minOverlap}`);
    need(s.maxSampleCoverage >= s.minSampleCoverage, `maxCropSampleCoverages ${s.maxSampleCoverage} must be >= minCropSampleCoverages ${s.minSampleCoverage}`);
    need(s.maxObjectCoverage >= s.minObjectCoverage, `maxCropObjectCoverages ${s.maxObjectCoverage} must be >= minCropObjectCoverages ${s.minObjectCoverage}`);
    samplers.push(s);
  }
  const emitOverlapThresh = f(opt.num('emitOverlapThresh', 0.3));
  if (!(emitOverlapThresh >= 0)) throw new Error(`${what}: emitOverlapThresh must be >= 0, got ${emitOverlapThresh}`);
  return {
    ...probs,
    resize,
    samplers,
    cropEmitMode: oneOf(what, 'cropEmitMode', o.cropEmitMode, ['center', 'overlap'] as const),
    emitOverlapThresh,
    maxPadScale: f(opt.num('maxPadScale', 1)),
    maxRandomHue: opt.int('maxRandomHue', 0, -(2 ** 31)),
    maxRandomSaturation: opt.int('maxRandomSaturation', 0, -(2 ** 31)),
    maxRandomIllumination: opt.int('maxRandomIllumination', 0, -(2 ** 31)),
    maxRandomContrast: f(opt.num('maxRandomContrast', 0)),
    fillValue: opt.int('fillValue', 127, -(2 ** 31)),
    interMethod,
    resizeMode: oneOf(what, 'resizeMode', o.resizeMode, ['force', 'shrink', 'fit'] as const),
    size,
  };
}
