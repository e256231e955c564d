/**
 * Hints that fit where they appear (issue 12, item 15): `compile` never says
 * "do not hybridize" (an artifact is always traced; the hybridized API still
 * says it); a busy port names `--port`; `golden check` against another
 * model's goldens gives our one-line input error, not onnxruntime's text;
 * the digit-request example prefixes its errors once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { gluon, nd } from 'gluonc';
import { DataDependentError } from '../../compiler/trace/symbol.js';
import { gluonc, oneLineError, ROOT, userProject } from '../helpers/cli.js';

class Branchy extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return (x as unknown as nd.NDArray).sum().item() > 0 ? F.relu(x) : x;
  }
}

describe('cli hints', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = userProject('gluonc-hints-');
    for (const m of ['mlp', 'lenet']) assert.equal(gluonc(['compile', join(ROOT, 'models', `${m}.ts`), '-o', join(dir, `${m}.onnx`)]).status, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('data-dependent control flow: compile says an artifact is traced; a hybridized call says do not hybridize', () => {
    const f = join(dir, 'branchy.ts');
    writeFileSync(
      f,
      [
        "import { gluon } from 'gluonc';",
        "export const inputs = { x: { shape: ['N', 2] } };",
        'class Branchy extends gluon.HybridBlock {',
        '  override hybridForward(F: gluon.F, x: gluon.Tensor) { return (x as any).sum().item() > 0 ? F.relu(x) : x; }',
        '}',
        'export default () => new Branchy();',
      ].join('\n'),
    );
    const line = oneLineError(gluonc(['compile', f, '-o', join(dir, 'b.onnx')]));
    assert.match(line, /item: a symbol has no values while a block is traced for export \(in block 'Branchy'\)\. .*an artifact is one traced graph, so express it with operators such as F\.where$/);
    assert.doesNotMatch(line, /hybridize/);
    const net = new Branchy();
    net.hybridize();
    assert.throws(() => net.call(nd.ones([1, 2])), (e: Error) => e instanceof DataDependentError && /or do not hybridize this block$/.test(e.message));
    assert.deepEqual((new Branchy().call(nd.array([[1, -2]])) as nd.NDArray).toArray(), [[1, -2]]); // eager: sum -1, so x itself
  });

  it('serve on a busy port names --port', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = String((busy.address() as { port: number }).port);
      assert.equal(oneLineError(gluonc(['serve', join(dir, 'mlp.onnx'), '--port', port])), `gluonc: port ${port} on 127.0.0.1 is in use; pick another with --port (--port 0 picks a free one)`);
    } finally {
      busy.close();
    }
  });

  it("golden check against another model's goldens: the input named, one line, no onnxruntime text", () => {
    const g = join(dir, 'golden-mlp');
    assert.equal(gluonc(['golden', 'record', join(dir, 'mlp.onnx'), '--dir', g]).status, 0);
    const line = oneLineError(gluonc(['golden', 'check', join(dir, 'lenet.onnx'), '--dir', g]));
    assert.match(line, /lenet\.onnx': the inputs recorded in '.*golden-mlp' do not fit it \(a golden folder of another model\?\): input 'x': expected float32 \[N, 1, 28, 28\], got rank 2 shape \[2, 784\]$/);
    assert.doesNotMatch(line, /Invalid rank|Please fix/);
    assert.equal(gluonc(['golden', 'check', join(dir, 'mlp.onnx'), '--dir', g]).status, 0);
  });

  it('digit-request: one prefix, naming the flag', () => {
    const run = (args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', join(ROOT, 'models/examples/digit-request.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const shape = run(['--shape', '1,2']);
    assert.equal(shape.status, 1);
    assert.equal(shape.stderr.trim(), "digit-request: --shape must be positive integers holding one 28x28 digit (784 values), e.g. 1,784 or 1,1,28,28; got '1,2'");
    const index = run(['--index', '99999']);
    assert.equal(index.stderr.trim(), 'digit-request: index 99999 is not a held-out digit (there are 2000: 0 to 1999)');
  });
});
