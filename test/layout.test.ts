/**
 * The dependency direction of DESIGN.md: runtime/ imports only itself and
 * onnxruntime; compiler/ (outside gluon/) never imports compiler/gluon.
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

  it('compiler/ outside gluon/ never imports compiler/gluon', () => {
    for (const f of files(join(root, 'compiler')).filter((f) => !f.includes(`${join('compiler', 'gluon')}`))) {
      for (const spec of imports(f)) {
        const target = spec.startsWith('.') ? relative(root, resolve(join(f, '..'), spec)) : '';
        assert.ok(!target.startsWith(join('compiler', 'gluon')) && spec !== 'gluonc', `${relative(root, f)} imports ${spec}`);
      }
    }
  });
});
