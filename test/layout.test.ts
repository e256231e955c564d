/**
 * The dependency direction of DESIGN.md: runtime/ imports only itself and
 * onnxruntime; compiler/ outside the front end (engine/, gluon/,
 * formats/) never imports it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('layout', () => {
  it('runtime/ imports nothing from compiler/ or the front end', () => {
    for (const f of files(join(root, 'runtime'))) {
      for (const spec of imports(f)) {
        const bad = spec.startsWith('.') ? relative(root, resolve(join(f, '..'), spec)).startsWith('compiler') : spec === 'gluonc' || spec === 'gluonc/compiler';
        assert.ok(!bad, `${relative(root, f)} imports ${spec}`);
      }
    }
  });

  const frontEnd = ['engine', 'gluon', 'formats'].map((d) => join('compiler', d));
  const inFrontEnd = (p: string) => frontEnd.some((d) => p.startsWith(d));

  it('compiler/ outside the front end (engine/, gluon/, formats/) never imports it', () => {
    for (const f of files(join(root, 'compiler')).filter((f) => !inFrontEnd(relative(root, f)))) {
      for (const spec of imports(f)) {
        const target = spec.startsWith('.') ? relative(root, resolve(join(f, '..'), spec)) : '';
        assert.ok(!inFrontEnd(target) && spec !== 'gluonc', `${relative(root, f)} imports ${spec}`);
      }
    }
  });
});
