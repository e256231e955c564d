/**
 * The artifact manifest, compiler side: what `HybridBlock.export` and
 * `gluonc compile` write into an artifact's `metadata_props` under
 * `gluonc.manifest` (see API.md "Artifacts and the CLI"). The reading side
 * (types, `checkManifest`) lives in runtime/manifest.ts and is re-exported.
 * Invariant: a manifest built here is plain JSON (numbers, strings, arrays,
 * objects); shapes hold numbers and symbolic dimension names such as `"N"`;
 * `constraints` (what the operators need of those sizes) is present only
 * when not empty.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DimConstraint } from '../runtime/dim-expr.js';
import { MANIFEST_FORMAT, type ArtifactIO, type ArtifactManifest } from '../runtime/manifest.js';

// The reading side lives in runtime/ (services read manifests without the compiler).
export { MANIFEST_FORMAT, MANIFEST_METADATA_KEY, checkManifest, type ArtifactIO, type ArtifactManifest } from '../runtime/manifest.js';

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
export function buildManifest(parts: { inputs: ArtifactIO[]; outputs: ArtifactIO[]; params: string[]; compile?: Record<string, unknown>; constraints?: DimConstraint[] }): ArtifactManifest {
  const io = (x: ArtifactIO): ArtifactIO => ({ name: x.name, dtype: x.dtype, shape: [...x.shape] });
  const m: ArtifactManifest = {
    format: MANIFEST_FORMAT,
    inputs: parts.inputs.map(io),
    outputs: parts.outputs.map(io),
    params: [...parts.params],
    compile: { ...(parts.compile ?? {}) },
    producer: `gluonc ${gluoncVersion()}`,
  };
  // Only where there is something to check: artifacts without symbolic needs keep the manifest they always had.
  if (parts.constraints?.length) m.constraints = parts.constraints.map((c) => ({ ...c }));
  return m;
}
