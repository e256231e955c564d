/**
 * `cli/` imports only the package's public entry points — `gluonc`
 * (compiler/gluon/index.ts), `gluonc/compiler` (compiler/index.ts) and
 * `gluonc/runtime` (runtime/index.ts) — besides its own files, Node and its
 * npm dependencies (issue 13, item 3). The check reads every import of
 * every file, and fails on a deliberate internal import (below).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PUBLIC = new Set(['compiler/gluon/index.ts', 'compiler/index.ts', 'runtime/index.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js)$/.test(f) ? [p] : [];
  });
}

/** Every module specifier `src` imports or re-exports (static and dynamic). */
export function specifiers(src: string): string[] {
  return [...src.matchAll(/(?:^|[^.\w])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?\(?\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

/** The imports of `file` (source text `src`) that are not allowed in cli/. */
export function violations(file: string, src: string): string[] {
  return specifiers(src).filter((spec) => {
    if (!spec.startsWith('.')) return false; // node:, npm packages and gluonc's own entry points by name
    const target = relative(ROOT, resolve(join(file, '..'), spec)).replace(/\.js$/, '.ts');
    return !target.startsWith('cli/') && !PUBLIC.has(target);
  });
}

describe('cli/ imports', () => {
  it('reads the imports of a file as written', () => {
    const src = "import { a } from '../compiler/index.js';\nimport type { B } from './b.js';\nexport { c } from '../runtime/session.js';\nconst m = await import('../compiler/ir/graph.js');\n";
    assert.deepEqual(specifiers(src), ['../compiler/index.js', './b.js', '../runtime/session.js', '../compiler/ir/graph.js']);
    // A deliberate internal import is caught.
    assert.deepEqual(violations(join(ROOT, 'cli', 'x.ts'), src), ['../runtime/session.js', '../compiler/ir/graph.js']);
  });

  it('every cli/ file imports only gluonc, gluonc/compiler and gluonc/runtime', () => {
    const all = files(join(ROOT, 'cli'));
    assert.ok(all.length >= 15, `only ${all.length} files`);
    const bad: string[] = [];
    for (const f of all) {
      const rel = relative(ROOT, f);
      for (const v of violations(f, readFileSync(f, 'utf8'))) bad.push(`${rel} imports ${v}`);
    }
    assert.deepEqual(bad, []);
  });

  it('run, serve, golden, bench and inspect load the runtime, not the compiler (as a service loads an artifact), through every static import (inspect imports it for a model file only)', () => {
    const valueImports = (src: string): string[] => [...src.matchAll(/^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    for (const start of ['cli/commands/run.ts', 'cli/commands/serve.ts', 'cli/commands/golden.ts', 'cli/commands/bench.ts', 'cli/commands/inspect.ts']) {
      const seen = new Set<string>();
      const todo = [start];
      while (todo.length) {
        const f = todo.pop()!;
        if (seen.has(f)) continue;
        seen.add(f);
        if (!f.startsWith('cli/')) continue;
        for (const spec of valueImports(readFileSync(join(ROOT, f), 'utf8'))) {
          if (spec.startsWith('.')) todo.push(relative(ROOT, resolve(join(ROOT, f, '..'), spec)).replace(/\.js$/, '.ts'));
        }
      }
      assert.ok(seen.has('runtime/index.ts'), `${start}: the walk did not reach the runtime (${[...seen].join(', ')})`);
      assert.deepEqual([...seen].filter((f) => f.startsWith('compiler/')), [], `${start} loads the compiler`);
    }
  });
});
