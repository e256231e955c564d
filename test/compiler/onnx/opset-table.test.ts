/**
 * README.md's opset table is the one `opsetTable()` generates from the
 * operator declarations. After changing a `minOpset` or `opsetNote`,
 * regenerate it: `GLUONC_WRITE_OPSET_TABLE=1 npx mocha test/compiler/onnx/opset-table.test.ts`.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPSET_TABLE_BEGIN, OPSET_TABLE_END, opsetTable } from '../../../compiler/onnx/opset-table.js';
import { allOps } from '../../../compiler/ops/registry.js';
import { ROOT } from '../../helpers/cli.js';

describe('README opset table', () => {
  it('lists every operator once, and equals what opsetTable() generates from the declarations', () => {
    const table = opsetTable();
    const listed = table.split('\n').slice(2).flatMap((row) => row.split('|')[1]!.trim().split(', '));
    assert.deepEqual([...listed].sort(), allOps().map((d) => d.name).sort());
    const path = join(ROOT, 'README.md');
    const readme = readFileSync(path, 'utf8');
    const begin = readme.indexOf(OPSET_TABLE_BEGIN);
    const end = readme.indexOf(OPSET_TABLE_END);
    assert.ok(begin >= 0 && end > begin, `README.md has no '${OPSET_TABLE_BEGIN}' ... '${OPSET_TABLE_END}' section`);
    const current = readme.slice(begin + OPSET_TABLE_BEGIN.length, end).trim();
    if (process.env['GLUONC_WRITE_OPSET_TABLE'] === '1' && current !== table) {
      writeFileSync(path, `${readme.slice(0, begin + OPSET_TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`);
      return;
    }
    assert.equal(current, table, 'README.md opset table is out of date: GLUONC_WRITE_OPSET_TABLE=1 npx mocha test/compiler/onnx/opset-table.test.ts');
  });
});
