/**
 * The artifact manifest, compiler side: what `HybridBlock.export` and
 * `gluonc compile` write into an artifact's `metadata_props` under
 * `gluonc.manifest` (see API.md "Artifacts and the CLI"), and the check that
 * a manifest read back has that form.
 * Invariant: a manifest built here is plain JSON (numbers, strings, arrays,
 * objects); shapes hold numbers and symbolic dimension names such as `"N"`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDType, type DType } from '../runtime/dtypes.js';
import type { Dim } from './ir/types.js';

/** The manifest format this gluonc writes. */
export const MANIFEST_FORMAT = 1;

/** The `metadata_props` key holding the manifest. */
export const MANIFEST_METADATA_KEY = 'gluonc.manifest';

/** One input or output of an artifact. Example: `{ name: 'x', dtype: 'float32', shape: ['N', 784] }`. */
export interface ArtifactIO {
  name: string;
  dtype: DType;
  shape: Dim[];
}

/**
 * The manifest of a compiled artifact.
 *
 * ```ts
 * const m: ArtifactManifest = { format: 1, inputs: [...], outputs: [...], params: ['0.weight'], compile: { opset: 21 }, producer: 'gluonc 0.1.0' };
 * ```
 */
export interface ArtifactManifest {
  format: typeof MANIFEST_FORMAT;
  inputs: ArtifactIO[];
  outputs: ArtifactIO[];
  /** Structural names of the parameters (the initializers that are parameters). */
  params: string[];
  /** The options the artifact was compiled with (opset, optimization level, ...). */
  compile: Record<string, unknown>;
  /** `gluonc <version>`. */
  producer: string;
}

let version: string | undefined;

/**
 * This gluonc's version, from the package.json found above this module
 * (the source tree and the built `dist/` tree alike).
 *
 * ```ts
 * gluoncVersion(); // '0.1.0'
 * ```
 */
export function gluoncVersion(): string {
  if (version !== undefined) return version;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gluonc' && typeof pkg.version === 'string') return (version = pkg.version);
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) return (version = 'unknown');
    dir = up;
  }
}

/**
 * Builds a manifest (format, producer filled in; arrays copied).
 *
 * ```ts
 * const m = buildManifest({ inputs: [{ name: 'x', dtype: 'float32', shape: ['N', 2] }], outputs, params: ['0.weight'], compile: { opset: 21 } });
 * JSON.stringify(m); // stored under metadata_props['gluonc.manifest']
 * ```
 */
export function buildManifest(parts: { inputs: ArtifactIO[]; outputs: ArtifactIO[]; params: string[]; compile?: Record<string, unknown> }): ArtifactManifest {
  const io = (x: ArtifactIO): ArtifactIO => ({ name: x.name, dtype: x.dtype, shape: [...x.shape] });
  return {
    format: MANIFEST_FORMAT,
    inputs: parts.inputs.map(io),
    outputs: parts.outputs.map(io),
    params: [...parts.params],
    compile: { ...(parts.compile ?? {}) },
    producer: `gluonc ${gluoncVersion()}`,
  };
}

/**
 * Checks that `m` (parsed from an artifact) is a manifest this gluonc reads;
 * errors name `where` (the file) and the field at fault.
 *
 * ```ts
 * const m = checkManifest(JSON.parse(text), "'mlp.onnx'");
 * ```
 */
export function checkManifest(m: unknown, where: string): ArtifactManifest {
  const fail = (msg: string): Error => new Error(`${where}: manifest '${MANIFEST_METADATA_KEY}': ${msg}`);
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw fail('is not a JSON object');
  const o = m as Record<string, unknown>;
  if (o['format'] !== MANIFEST_FORMAT) throw fail(`has format ${JSON.stringify(o['format'])}; this gluonc reads format ${MANIFEST_FORMAT}`);
  const ios = (key: 'inputs' | 'outputs'): void => {
    const list = o[key];
    if (!Array.isArray(list)) throw fail(`'${key}' is not a list`);
    list.forEach((x: unknown, i) => {
      const e = x as Partial<ArtifactIO> | null;
      if (!e || typeof e !== 'object' || typeof e.name !== 'string' || !e.name) throw fail(`${key}[${i}] has no name`);
      if (!isDType(e.dtype)) throw fail(`${key}[${i}] ('${e.name}') has an unknown dtype ${JSON.stringify(e.dtype)}`);
      const okShape = Array.isArray(e.shape) && e.shape.every((d) => (typeof d === 'number' && Number.isInteger(d) && d >= 0) || (typeof d === 'string' && d !== ''));
      if (!okShape) throw fail(`${key}[${i}] ('${e.name}') has an invalid shape ${JSON.stringify(e.shape)}`);
    });
  };
  ios('inputs');
  ios('outputs');
  if (!Array.isArray(o['params']) || !o['params'].every((p) => typeof p === 'string')) throw fail(`'params' is not a list of names`);
  if (o['compile'] !== undefined && (typeof o['compile'] !== 'object' || o['compile'] === null || Array.isArray(o['compile']))) throw fail(`'compile' is not an object`);
  if (o['producer'] !== undefined && typeof o['producer'] !== 'string') throw fail(`'producer' is not a string`);
  return { compile: {}, producer: '', ...(o as object) } as ArtifactManifest;
}
