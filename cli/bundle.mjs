/**
 * The second step of `npm run build` (after `tsc -p tsconfig.build.json`):
 * bundles the compiled package in `dist/` with esbuild, so a process that
 * loads gluonc reads a few files instead of ~370 modules. Node 20 loads each
 * ES module with its own file reads, resolution and compilation, and that,
 * not gluonc's own top-level work, was most of a `gluonc compile`'s start
 * (issue 14, twenty-sixth session: figures in test/bench/RESULTS.md).
 *
 * The package's entry points (`gluonc`, `gluonc/compiler`, `gluonc/runtime`)
 * and the CLI (`dist/cli/main.js`) stay at their paths, and are bundled in
 * one esbuild run with code splitting: the code they share lies in
 * `dist/chunks/`, once, so a model file's `import ... from 'gluonc'` and the
 * CLI that loaded it use the same classes (`instanceof` holds across them).
 * A chunk in `dist/chunks/` is one folder below `dist/`, as the CLI's modules
 * were, so the paths they compute from `import.meta.url` (the package's
 * package.json, the entry points a model file's `gluonc` maps to) still
 * resolve. Class and function names are kept (`keepNames`): blocks take
 * their names from their classes. Packages in node_modules stay external.
 * The compiled modules the bundle replaced are removed (their `.d.ts` stay,
 * for the types), so nothing can load a second copy of one.
 *
 * Usage: `node cli/bundle.mjs [distDir]` (default: dist/ of this package).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/** The bundle's entries, relative to dist/: the package's exports and the CLI the bin shim runs. */
export const ENTRIES = ['compiler/gluon/index.js', 'compiler/index.js', 'runtime/index.js', 'cli/main.js'];

/** Every file under `dir`, relative to it, with forward slashes. */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)).split('\\').join('/'));
}

/**
 * Bundles the tsc output in `dist` in place; resolves with the files written (relative to `dist`).
 *
 * ```js
 * await bundle('dist'); // ['cli/main.js', 'chunks/chunk-....js', ...]
 * ```
 */
export async function bundle(dist = join(ROOT, 'dist')) {
  const compiled = filesUnder(dist).filter((f) => f.endsWith('.js') || f.endsWith('.js.map'));
  rmSync(join(dist, 'chunks'), { recursive: true, force: true });
  const r = await build({
    absWorkingDir: dist,
    entryPoints: ENTRIES,
    outbase: '.',
    outdir: '.',
    allowOverwrite: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const written = Object.keys(r.metafile.outputs).map((f) => f.split('\\').join('/'));
  const keep = new Set(written);
  for (const f of compiled) if (!keep.has(f)) rmSync(join(dist, f));
  return written.filter((f) => f.endsWith('.js'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dist = resolve(process.argv[2] ?? join(ROOT, 'dist'));
  const written = await bundle(dist);
  console.log(`bundled ${relative(process.cwd(), dist) || '.'}: ${written.length} files`);
}
