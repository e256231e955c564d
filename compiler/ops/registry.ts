/**
 * Lookup of operator declarations by name (IR nodes store the canonical
 * name; aliases resolve to the same declaration).
 */
import type { OpDef } from './define.js';
import { OPS } from './all.js';

const byName = new Map<string, OpDef>(Object.entries(OPS) as [string, OpDef][]);

/** The declaration of an operator, or an Error naming the unknown operator. */
export function getOp(name: string): OpDef {
  const d = byName.get(name);
  if (!d) throw new Error(`unknown operator '${name}'`);
  return d;
}

/** True when `name` is an operator or alias. */
export function hasOp(name: string): boolean {
  return byName.has(name);
}

/** Every distinct declaration, each once (aliases dropped). */
export function allOps(): OpDef[] {
  return [...new Set(byName.values())];
}

/** Every name (canonical and alias) of every operator. */
export function allOpNames(): string[] {
  return [...byName.keys()];
}
