import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRESH_ENV, runPython, runPythonFile } from './python-server.js';
import { scratchDir } from './scratch-dir.js';

/** The server's pid (the same process answers request after request unless it died). */
const pid = (): number => Number(runPython('import os; print(os.getpid())').stdout);

/** What a fresh `python3 -c script` does with the same input, for comparison. */
const fresh = (script: string, input = '', args: string[] = []) => spawnSync('python3', ['-c', script, ...args], { input, encoding: 'utf8' });

describe('python reference server', function () {
  this.timeout(120000);
  const dir = scratchDir('gluonc-pyserver-');

  it('answers as `python3 -c`: stdin, stdout, argv, text and bytes, UTF-8, one process for many requests', () => {
    const script = 'import json, sys\nd = json.load(sys.stdin)\nprint(json.dumps({"y": d["x"] * 2, "argv": sys.argv, "name": __name__}))\nsys.stdout.write("é∑\\n")';
    const input = JSON.stringify({ x: 21 });
    const r = runPython(script, { input, args: ['a b', '--c'] });
    const f = fresh(script, input, ['a b', '--c']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, f.stdout);
    assert.deepEqual(JSON.parse(r.stdout.split('\n')[0]!), { y: 42, argv: ['-c', 'a b', '--c'], name: '__main__' });
    const bytes = runPython('import sys; sys.stdout.buffer.write(bytes(reversed(sys.stdin.buffer.read())))', { input: Uint8Array.from([0, 1, 255, 128]) });
    assert.deepEqual([...bytes.stdoutBytes], [128, 255, 1, 0]);
    assert.equal(runPython('import sys; print(repr(sys.stdin.read()))').stdout, "''\n");
    assert.equal(pid(), pid());
    assert.notEqual(pid(), process.pid);
  });

  it('gives the exit status of sys.exit and exceptions, the traceback on stderr as python prints it', () => {
    for (const [script, status] of [['import sys; sys.exit()', 0], ['import sys; sys.exit(0)', 0], ['import sys; sys.exit(3)', 3], ['import sys; sys.exit(257)', 1], ['import sys; sys.exit(-1)', 255], ['import sys; sys.exit(True)', 1], ['import sys; sys.exit("bad input")', 1], ['print("x")\nraise ValueError("boom")', 1], ['def f(:', 1]] as const) {
      const r = runPython(script);
      const f = fresh(script);
      assert.equal(r.status, status, script);
      assert.equal(r.status, f.status, script);
      assert.equal(r.stdout, f.stdout, script);
      assert.equal(r.stderr, f.stderr, script);
    }
    const r = runPython('def inner():\n    raise KeyError("k")\ninner()');
    assert.match(r.stderr, /^Traceback \(most recent call last\):\n {2}File "<string>", line 3, in <module>\n[\s\S]*line 2, in inner\n[\s\S]*KeyError: 'k'\n$/);
    assert.doesNotMatch(r.stderr, /python-server/);
  });

  it('gives each request fresh globals and puts back process state a script changed', () => {
    const sub = join(dir(), 'sub');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'gluonc_pyserver_mod.py'), 'VALUE = 1\n');
    const changer = String.raw`
import os, sys, warnings, random
import numpy as np, torch
leaked = 1
os.chdir(sys.argv[1])
sys.path.insert(0, sys.argv[1])
import gluonc_pyserver_mod
os.environ['GLUONC_PYSERVER_LEAK'] = '1'
warnings.simplefilter('error')
np.set_printoptions(precision=2)
np.seterr(all='raise')
np.random.seed(0)
random.seed(0)
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
torch.set_grad_enabled(False)
torch.set_num_threads(1)
sys.setrecursionlimit(50)
print('changed')
`;
    const check = String.raw`
import json, os, sys, warnings, random
import numpy as np, torch
warnings.warn('w')  # an error if the filter leaked
print(json.dumps({
  'leaked': 'leaked' in globals(), 'cwd': os.getcwd(), 'path0': sys.path[0], 'pathHasSub': sys.argv[1] in sys.path,
  'mod': 'gluonc_pyserver_mod' in sys.modules, 'env': os.environ.get('GLUONC_PYSERVER_LEAK'),
  'np': str(np.array([1 / 3])), 'err': np.geterr()['divide'], 'npDraw': float(np.random.rand()), 'pyDraw': random.random(),
  'torchDraw': float(torch.rand(1)), 'dtype': str(torch.get_default_dtype()), 'grad': torch.is_grad_enabled(),
  'threads': torch.get_num_threads(), 'recursion': sys.getrecursionlimit(),
}))
`;
    const before = runPython(check, { args: [sub] });
    assert.equal(before.status, 0, before.stderr);
    const c = runPython(changer, { args: [sub] });
    assert.equal(c.status, 0, c.stderr);
    const after = runPython(check, { args: [sub] });
    assert.equal(after.status, 0, after.stderr);
    const a = JSON.parse(after.stdout);
    const b = JSON.parse(before.stdout);
    // One fresh python3 (torch imported once): its thread count, then what the streams seeded in `changer` would
    // draw next in a process that kept them.
    const reference = JSON.parse(
      fresh('import json, random, numpy as np, torch\nthreads = torch.get_num_threads()\nnp.random.seed(0); random.seed(0); torch.manual_seed(0)\nprint(json.dumps({"threads": threads, "seeded": [float(np.random.rand()), random.random(), float(torch.rand(1))]}))').stdout,
    ) as { threads: number; seeded: number[] };
    const seeded = reference.seeded;
    assert.deepEqual([a.npDraw, a.pyDraw, a.torchDraw].map((v, i) => v === seeded[i]), [false, false, false]);
    for (const k of ['npDraw', 'pyDraw', 'torchDraw']) delete a[k], delete b[k];
    assert.deepEqual(a, b);
    assert.deepEqual({ leaked: a.leaked, cwd: a.cwd, path0: a.path0, mod: a.mod, env: a.env, np: a.np, err: a.err, dtype: a.dtype, grad: a.grad, recursion: a.recursion }, { leaked: false, cwd: process.cwd(), path0: '', mod: false, env: null, np: '[0.33333333]', err: 'warn', dtype: 'torch.float32', grad: true, recursion: 1000 });
    assert.equal(a.threads, reference.threads);
  });

  it('takes cwd and env as spawnSync does, and runs a script file as `python3 file`', () => {
    const r = runPython('import os; print(os.getcwd()); print(os.environ.get("GLUONC_X"))', { cwd: dir(), env: { ...process.env, GLUONC_X: 'y' } });
    assert.equal(r.stdout, `${dir()}\ny\n`);
    assert.equal(runPython('import os; print(os.environ.get("GLUONC_X"))').stdout, 'None\n');
    const file = join(dir(), 'script.py');
    writeFileSync(file, 'import os, sys\nprint(__file__ == sys.argv[0], sys.path[0] == os.path.dirname(os.path.abspath(__file__)), sys.argv[1:])\n');
    const f = runPythonFile(file, { args: ['q'] });
    assert.equal(f.stdout, "True True ['q']\n", f.stderr);
    const missing = runPythonFile(join(dir(), 'nope.py'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /python3: can't open file '.*nope\.py': \[Errno 2\] No such file or directory/);
    const badCwd = runPython('print(1)', { cwd: join(dir(), 'no-such-folder') });
    assert.equal(badCwd.status, 1);
    assert.match(badCwd.stderr, /FileNotFoundError: .*no-such-folder/);
    assert.equal(runPython('print(2)').stdout, '2\n');
  });

  it('flushes a file a script left open, as a process exit would', () => {
    const file = join(dir(), 'left-open.txt');
    // The function holds the globals that hold the file: a cycle only a collection (or clearing the globals) frees.
    const r = runPython('import sys\nf = open(sys.argv[1], "w")\nf.write("written")\ndef keep():\n    return f', { args: [file] });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(file, 'utf8'), 'written');
  });

  it('restarts after a script kills the process (os._exit), naming what happened', () => {
    const first = pid();
    const r = runPython('import os, sys\nprint("lost", file=sys.stderr)\nos._exit(7)');
    assert.equal(r.status, 7);
    assert.match(r.stderr, /the python3 reference server exited with code 7 during the request/);
    assert.match(r.stderr, /script: import os, sys/);
    const second = pid();
    assert.notEqual(second, first);
    const k = runPython('import os, signal; os.kill(os.getpid(), signal.SIGKILL)');
    assert.equal(k.status, 137);
    assert.match(k.stderr, /was killed by SIGKILL/);
    assert.equal(runPython('print(6 * 7)').stdout, '42\n');
  });

  it('fails a request the worker cannot send with a named Error, not a wait for the timeout; the next request works', () => {
    const r = runPython('print(1)', { args: [1n as unknown as string], timeoutMs: 600_000 });
    assert.equal(r.status, null);
    assert.match(r.stderr, /the reference server worker failed: TypeError: Do not know how to serialize a BigInt/);
    assert.equal(runPython('print(5)').stdout, '5\n');
  });

  it('carries tens of MB each way', () => {
    // Raw float64 bytes (numpy on the python side): the size without the CPU of printing and parsing 3 million numbers.
    const n = 3_000_000;
    const input = new Uint8Array(Float64Array.from({ length: n }, (_, i) => i * 0.5).buffer);
    assert.ok(input.length > 20e6, String(input.length));
    const r = runPython('import sys\nimport numpy as np\nv = np.frombuffer(sys.stdin.buffer.read(), dtype="<f8")\nsys.stdout.buffer.write((v * 2).tobytes())\nsys.stderr.write("e" * 5000000)', { input });
    assert.equal(r.status, 0, r.stderr.slice(0, 500));
    assert.equal(r.stdoutBytes.length, 8 * n);
    const out = new Float64Array(r.stdoutBytes.buffer.slice(r.stdoutBytes.byteOffset, r.stdoutBytes.byteOffset + 8 * n));
    assert.equal(out[n - 1], (n - 1) * 0.5 * 2);
    assert.equal(out[12345], 12345);
    assert.ok(out.every((v, i) => v === i), 'every doubled value in its place');
    assert.equal(r.stderr.length, 5000000);
  });

  it(`runs each request in its own python3 with ${FRESH_ENV}=1, answering the same`, () => {
    const shared = [pid(), pid()];
    assert.equal(shared[0], shared[1]);
    const saved = process.env[FRESH_ENV];
    process.env[FRESH_ENV] = '1';
    try {
      const own = [pid(), pid()];
      assert.notEqual(own[0], own[1]);
      assert.ok(!own.includes(shared[0]!));
      const r = runPython('import sys; print(sys.stdin.read()[::-1], sys.argv[1:]); sys.exit(4)', { input: 'abc', args: ['x'] });
      assert.deepEqual([r.status, r.stdout], [4, "cba ['x']\n"]);
    } finally {
      if (saved === undefined) delete process.env[FRESH_ENV];
      else process.env[FRESH_ENV] = saved;
    }
    assert.equal(pid(), shared[0]);
  });

  it('throws a named Error when a request runs past its timeout, and the next request gets a new server', () => {
    const first = pid();
    assert.throws(() => runPython('import time\ntime.sleep(60)', { timeoutMs: 1500 }), /python3 reference server: the request did not finish within 1\.5 s; the server was killed \(script: import time\)/);
    assert.notEqual(pid(), first);
  });
});
