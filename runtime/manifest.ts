/**
 * The artifact manifest, reading side: the JSON object an artifact keeps in
 * its `metadata_props` under `gluonc.manifest` (see API.md "Artifacts and the
 * CLI"), and the check that a manifest read back has that form. The compiler
 * writes manifests (compiler/manifest.ts re-exports this module); services
 * read them through `loadModel` without loading the compiler.
 * Invariant: a checked manifest is plain JSON; shapes hold non-negative
 * integers and symbolic dimension names such as `"N"`.
 */
import { dimConstraintProblem, type DimConstraint } from './dim-expr.js';
import { isDType, type DType } from './dtypes.js';

/** The manifest format this gluonc writes and reads. */
export const MANIFEST_FORMAT = 1;

/** The `metadata_props` key holding the manifest. */
export const MANIFEST_METADATA_KEY = 'gluonc.manifest';

/** One input or output of an artifact. Example: `{ name: 'x', dtype: 'float32', shape: ['N', 784] }`. */
export interface ArtifactIO {
  name: string;
  dtype: DType;
  shape: (number | string)[];
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
  /**
   * What the model's operators need of its symbolic sizes, checked on every
   * run's feeds (runtime/feeds.ts); absent when there is nothing to check.
   * Example: `[{ dim: 'H', cmp: '>=', value: 5, message: "Pooling (max) in block 'pool0' needs H >= 5: ..." }]`.
   */
  constraints?: DimConstraint[];
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
  const cs = o['constraints'];
  if (cs !== undefined) {
    if (!Array.isArray(cs)) throw fail(`'constraints' is not a list`);
    cs.forEach((c: unknown, i) => {
      const problem = dimConstraintProblem(c);
      if (problem) throw fail(`constraints[${i}] ${problem}`);
    });
  }
  return { compile: {}, producer: '', ...(o as object) } as ArtifactManifest;
}
