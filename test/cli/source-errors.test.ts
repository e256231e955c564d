/**
 * A syntax error in a model file (or in a file it imports) prints its place
 * as `file:line:column` (1-based) and the parser's reason, on one line — not
 * esbuild's bare "Transform failed with 1 error:" nor tsx's "Parse error
 * <file>:1:1".
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syntaxErrorLocation } from '../../cli/source-errors.js';
import { gluonc, oneLineError, userProject } from '../helpers/cli.js';

const BAD_LINE = '  return new gluon.nn.Dense(3;';
const SOURCE = ["import { gluon } from 'gluonc';", "export const inputs = { x: { shape: ['N', 2] } };", 'export default function () {', BAD_LINE, '}', ''].join('\n');
/** Where the stray ';' is, counted here (1-based), independently of any parser. */
const SEMI_COLUMN = BAD_LINE.indexOf(';') + 1;

describe('cli/source-errors', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = userProject('gluonc-syntax-');
    writeFileSync(join(dir, 'bad.ts'), SOURCE);
    writeFileSync(join(dir, 'plain.js'), SOURCE);
    writeFileSync(join(dir, 'uses-bad.ts'), "export { default, inputs } from './bad.ts';\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a TypeScript model file: file:line:column and esbuild\'s reason', () => {
    const line = oneLineError(gluonc(['compile', 'bad.ts'], { cwd: dir }));
    assert.equal(line, `gluonc: bad.ts:4:${SEMI_COLUMN}: syntax error: Expected ")" but found ";"`);
    assert.equal(oneLineError(gluonc(['inspect', 'bad.ts'], { cwd: dir })), line);
  });

  it('a syntax error in a file the model file imports names that file', () => {
    assert.equal(oneLineError(gluonc(['compile', 'uses-bad.ts'], { cwd: dir })), `gluonc: bad.ts:4:${SEMI_COLUMN}: syntax error: Expected ")" but found ";"`);
  });

  it('a JavaScript model file: file:line:column and V8\'s reason (not tsx\'s "Parse error ...:1:1")', () => {
    const line = oneLineError(gluonc(['compile', 'plain.js'], { cwd: dir }));
    assert.match(line, /^gluonc: plain\.js:4:\d+: syntax error: missing \) after argument list$/);
    const column = Number(/:4:(\d+):/.exec(line)![1]);
    assert.ok(column > BAD_LINE.indexOf('(') && column <= SEMI_COLUMN, `column ${column} is not on the call`);
  });

  it('esbuild\'s structured error (as thrown in the same thread), and errors that are not syntax errors', () => {
    const esbuildError = Object.assign(new Error('Transform failed with 1 error'), { errors: [{ text: 'Unexpected "}"', location: { file: join(dir, 'x.ts'), line: 7, column: 0 } }] });
    assert.equal(syntaxErrorLocation(esbuildError), `${join(dir, 'x.ts')}:7:1: Unexpected "}"`);
    assert.equal(syntaxErrorLocation(new Error('boom')), null);
    assert.equal(syntaxErrorLocation(new TypeError('x is not a function')), null);
    assert.equal(syntaxErrorLocation(undefined), null);
  });
});
