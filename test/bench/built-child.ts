/**
 * A benchmark's child process that runs gluonc as users run it: the built
 * package (dist/) in a plain `node` process. The bench itself runs through
 * tsx (`--conditions=gluonc-source --import tsx`), and a child started that
 * way pays for it twice: tsx's module hooks run in a thread of their own
 * (~35 MiB in a process that imports nothing else), and every module loaded
 * through them costs more memory than the same module loaded by node (the
 * built package imported under tsx: 136 MiB RSS, as much as the sources;
 * imported by plain node: 75 MiB). So the child is one JavaScript file,
 * bundled here by esbuild (tsx's own transformer) from the bench's
 * TypeScript: its entry calls `fn(...process.argv.slice(2))` of `module`;
 * `gluonc` (and `gluonc/compiler`, `gluonc/runtime`) stay imports of
 * dist/, and a relative import that would reach the sources of compiler/
 * or runtime/ is an error (the child would load a second gluonc).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST: Record<string, string> = {
  gluonc: 'dist/compiler/gluon/index.js',
  'gluonc/compiler': 'dist/compiler/index.js',
  'gluonc/runtime': 'dist/runtime/index.js',
};

/** A bundled child: `node file args...` runs it; `dispose` removes it. */
export interface BuiltChild {
  file: string;
  dispose: () => void;
}

/**
 * Bundles a child that runs `fn` of `module` (an absolute path of a bench
 * TypeScript file) against dist/; null with the reason when dist/ is not
 * built or esbuild is missing.
 *
 * ```ts
 * const c = await builtChild(path.join(here, 'mlp-memory.ts'), 'memoryChild');
 * execFileSync(process.execPath, [c.file, 'ours']);
 * ```
 */
export async function builtChild(module: string, fn: string): Promise<BuiltChild | { skipped: string }> {
  const missing = Object.values(DIST).filter((f) => !existsSync(path.join(root, f)));
  if (missing.length) return { skipped: `dist/ is not built (${missing[0]} missing; npm run build)` };
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    return { skipped: `esbuild (tsx's transformer) did not load: ${(e as Error).message.split('\n')[0]}` };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-bench-child-'));
  const file = path.join(dir, 'child.mjs');
  try {
    await bundle(esbuild, module, fn, file);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const errors = (e as { errors?: { text: string }[] }).errors ?? [];
    const first = (errors.find((x) => x.text.includes("gluonc's sources")) ?? errors[0])?.text ?? (e as Error).message.split('\n')[0];
    return { skipped: `bundling ${path.basename(module)} failed: ${first}` };
  }
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** esbuild's bundle of the child's entry into `file` (see the module comment). */
async function bundle(esbuild: typeof import('esbuild'), module: string, fn: string, file: string): Promise<void> {
  const sources = ['compiler', 'runtime'].map((d) => path.join(root, d) + path.sep);
  await esbuild.build({
    stdin: { contents: `import { ${fn} } from ${JSON.stringify(module)};\nawait ${fn}(...process.argv.slice(2));\n`, resolveDir: root, loader: 'ts', sourcefile: 'child-entry.ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    logLevel: 'silent',
    plugins: [
      {
        name: 'gluonc-from-dist',
        setup(b) {
          b.onResolve({ filter: /^gluonc(\/|$)/ }, (a) => {
            const f = DIST[a.path];
            return f ? { path: pathToFileURL(path.join(root, f)).href, external: true } : { errors: [{ text: `'${a.path}' is not an entry point of the package` }] };
          });
          b.onResolve({ filter: /^\./ }, (a) => {
            const target = path.resolve(a.resolveDir, a.path);
            if (sources.some((s) => target.startsWith(s))) return { errors: [{ text: `${a.importer} imports '${a.path}', gluonc's sources: a built child loads gluonc from dist/ only` }] };
            return undefined;
          });
        },
      },
    ],
  });
}
