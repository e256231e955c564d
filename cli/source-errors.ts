/**
 * Where a model file fails to parse: `file:line:column: reason` (1-based,
 * as editors and terminals link them) for a syntax error in a model file or
 * in a file it imports. TypeScript goes through tsx's esbuild, whose error
 * carries the location (in its message, once it has crossed the loader
 * thread); JavaScript goes through tsx's import lexer, whose
 * "Parse error <file>:1:1" does not, so the file is re-checked with
 * `node --check` for V8's location and reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** esbuild's message shape (a TransformError's `errors`). */
interface EsbuildMessage {
  text?: string;
  location?: { file?: string; line?: number; column?: number } | null;
}

/** A path as the user would type it: relative to the current folder when inside it. */
function shown(file: string): string {
  const abs = path.resolve(file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
}

/** `node --check` on a JavaScript file: its first syntax error, or null when it parses. */
function checkWithNode(file: string): string | null {
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 30_000 });
  if (r.status === 0 || !r.stderr) return null;
  const lines = r.stderr.split('\n');
  // "<file>:<line>", the source line, a caret under the column, "", "SyntaxError: <reason>".
  const at = /^(.*):(\d+)$/.exec(lines[0] ?? '');
  const reason = lines.find((l) => /^\w*Error: /.test(l));
  if (!at || !reason) return null;
  const caret = lines.slice(1, 4).find((l) => /^\s*\^/.test(l));
  const column = caret ? caret.indexOf('^') + 1 : undefined;
  return `${shown(at[1]!)}:${at[2]}${column ? `:${column}` : ''}: ${reason.replace(/^\w*Error: /, '')}`;
}

/**
 * Describes a syntax error raised while importing a model file, or returns
 * null when `e` is not one.
 *
 * ```ts
 * syntaxErrorLocation(e); // 'models/bad.ts:4:30: Expected ")" but found ";"'
 * ```
 */
export function syntaxErrorLocation(e: unknown): string | null {
  const errors = (e as { errors?: EsbuildMessage[] } | null)?.errors;
  const first = Array.isArray(errors) ? errors.find((m) => m?.location?.file && m.text) : undefined;
  if (first) {
    const loc = first.location!;
    // esbuild's lines are 1-based and its columns 0-based.
    return `${shown(loc.file!)}:${loc.line ?? 1}:${(loc.column ?? 0) + 1}: ${first.text}`;
  }
  const message = e instanceof Error ? e.message : '';
  // The same error after crossing the loader thread: only esbuild's text is left, "<file>:<line>:<col>: ERROR: <reason>".
  const text = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(message);
  if (text) return `${shown(text[1]!)}:${text[2]}:${Number(text[3]) + 1}: ${text[4]}`;
  const lexer = /^Parse error (.+?):\d+:\d+$/.exec(message.split('\n')[0] ?? '');
  const file = lexer?.[1] ?? (e instanceof SyntaxError ? fileOfStack(e) : undefined);
  if (file && existsSync(file) && /\.(m|c)?js$/.test(file)) return checkWithNode(file);
  return null;
}

/** The file a native SyntaxError's stack names first (`/abs/file.mjs:4`). */
function fileOfStack(e: SyntaxError): string | undefined {
  const m = /^(?:file:\/\/)?(\/[^\n:]+\.(?:m|c)?js):\d+/m.exec(e.stack ?? '');
  return m?.[1];
}
