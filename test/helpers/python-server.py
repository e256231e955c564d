"""
The tests' python3 reference server (test/helpers/python-server.ts starts it,
one per mocha process): runs each request's script as `python3 -c script
args...` (or `python3 file args...`) would, in this one long-lived process,
so numpy, torch and onnx are imported once, not once per reference.

Protocol (binary, on fds 3 and 4 so that what scripts or libraries write to
fds 1 and 2 cannot corrupt it): a request on fd 3 is a uint32 LE length, a
JSON header {script | file, argv, cwd, env} and a uint32 LE length and the
stdin bytes; the answer on fd 4 is a uint32 LE length and a JSON header
{status, out, err} (the byte lengths of stdout and stderr) followed by them.
EOF on fd 3 ends the server.

Each request runs as in a fresh process: a new `__main__` module for its
globals, sys.argv, sys.stdin/stdout/stderr swapped (text over bytes, so
`.buffer` works), SystemExit turned into the exit status, an exception's
traceback on its stderr with status 1. Afterwards the process state a script
may change is put back: cwd, os.environ, sys.path, modules imported from
outside the interpreter's own paths, warnings filters, the recursion limit,
sys.dont_write_bytecode, the logging root and logging.disable, numpy's print
options and error handling, torch's default dtype, grad mode, thread count,
deterministic and anomaly modes, print options and default device, and the
global random streams (python's, numpy's and torch's reseeded from fresh
entropy, as a fresh process starts them). What is not put back (a script
that patches a library module's attribute, registers atexit or signal
handlers, sets an environment variable a library reads only at import):
such a script puts back what it patched itself, or its call site keeps a
fresh process (spawnSync).
"""
import builtins
import gc
import importlib.util
import io
import json
import os
import random
import struct
import sys
import traceback
import types
import warnings

REQ = os.fdopen(3, 'rb')
RES = os.fdopen(4, 'wb')

SERVER_MAIN = sys.modules['__main__']
# `python3 -c` puts '' (the working folder) first on sys.path; this file's folder must not be there.
BASE_PATH = [p for p in sys.path if os.path.abspath(p or '.') != os.path.dirname(os.path.abspath(__file__))]
# Modules from outside these folders (a script's sys.path.insert(0, tmp); import mod) are dropped after a request.
KEEP_ROOTS = tuple(os.path.join(os.path.abspath(p), '') for p in BASE_PATH if p and os.path.isdir(p))
BASE_CWD = os.getcwd()
BASE_FILTERS = list(warnings.filters)
BASE_SHOWWARNING = warnings.showwarning
BASE_RECURSION = sys.getrecursionlimit()
BASE_DONT_WRITE_BYTECODE = sys.dont_write_bytecode
BASE_STREAMS = (sys.stdin, sys.stdout, sys.stderr, sys.argv)

# Library state as a fresh import leaves it, captured right after the first import (see Watch).
PRISTINE = {}


def capture(name, module):
    if name == 'numpy':
        PRISTINE['numpy'] = (module.get_printoptions(), module.geterr())
    elif name == 'torch':
        PRISTINE['torch'] = {
            'dtype': module.get_default_dtype(),
            'threads': module.get_num_threads(),
            'deterministic': module.are_deterministic_algorithms_enabled(),
            'device': module.get_default_device() if hasattr(module, 'get_default_device') else None,
        }


class Watch:
    """A meta-path finder that lets numpy and torch import as usual and captures their state right after."""

    NAMES = ('numpy', 'torch')

    def find_spec(self, name, path=None, target=None):
        if name not in self.NAMES or name in PRISTINE:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader

        class Capturing:
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                capture(name, module)

        spec.loader = Capturing()
        return spec


sys.meta_path.insert(0, Watch())


class Bytes(io.BytesIO):
    """A script may close sys.stdout; what it wrote is still read after the request."""

    def close(self):
        pass


def exit_status(e, err):
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code % 256
    try:
        print(code, file=err)
    except Exception:
        pass
    return 1


def reset():
    """Puts back what a script may have changed (see the module comment)."""
    sys.stdin, sys.stdout, sys.stderr, sys.argv = BASE_STREAMS
    sys.modules['__main__'] = SERVER_MAIN
    try:
        os.chdir(BASE_CWD)
    except OSError:
        pass
    sys.path[:] = BASE_PATH
    warnings.filters[:] = BASE_FILTERS
    warnings._filters_mutated()
    warnings.showwarning = BASE_SHOWWARNING
    sys.setrecursionlimit(BASE_RECURSION)
    sys.dont_write_bytecode = BASE_DONT_WRITE_BYTECODE
    logging = sys.modules.get('logging')
    if logging is not None:
        logging.disable(logging.NOTSET)
        root = logging.getLogger()
        root.handlers[:] = []
        root.setLevel(logging.WARNING)
    random.seed()
    np = sys.modules.get('numpy')
    if np is not None and 'numpy' in PRISTINE:
        opts, err = PRISTINE['numpy']
        if np.get_printoptions() != opts:
            np.set_printoptions(**opts)
        if np.geterr() != err:
            np.seterr(**err)
        np.random.seed()
    torch = sys.modules.get('torch')
    if torch is not None and 'torch' in PRISTINE:
        p = PRISTINE['torch']
        torch.set_default_dtype(p['dtype'])
        torch.set_grad_enabled(True)
        if torch.get_num_threads() != p['threads']:
            torch.set_num_threads(p['threads'])
        if torch.are_deterministic_algorithms_enabled() != p['deterministic']:
            torch.use_deterministic_algorithms(p['deterministic'])
        torch.autograd.set_detect_anomaly(False)
        torch.set_printoptions(profile='default')
        if p['device'] is not None:
            torch.set_default_device(p['device'])
        torch.seed()


def drop_foreign_modules(before):
    for name in [n for n in sys.modules if n not in before]:
        f = getattr(sys.modules[name], '__file__', None)
        if f and not os.path.abspath(f).startswith(KEEP_ROOTS):
            del sys.modules[name]


def run(head, stdin):
    out_b, err_b = Bytes(), Bytes()
    out = io.TextIOWrapper(out_b, encoding='utf-8', write_through=True)
    err = io.TextIOWrapper(err_b, encoding='utf-8', errors='backslashreplace', write_through=True)
    main = types.ModuleType('__main__')
    g = main.__dict__
    g['__builtins__'] = builtins
    before = set(sys.modules)
    status = 0
    try:
        if dict(os.environ) != head['env']:
            os.environ.clear()
            os.environ.update(head['env'])
        if head.get('file'):
            path = head['file']
            g['__file__'] = os.path.abspath(path)
            sys.argv = [path] + head['argv']
            sys.path[:] = [os.path.dirname(os.path.realpath(path))] + BASE_PATH
        else:
            path = '<string>'
            sys.argv = ['-c'] + head['argv']
            sys.path[:] = [''] + BASE_PATH
        sys.modules['__main__'] = main
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding='utf-8')
        sys.stdout, sys.stderr = out, err
        try:
            os.chdir(head['cwd'])
            if head.get('file'):
                try:
                    with open(path, 'rb') as f:
                        source = f.read()
                except OSError as e:
                    print(f"python3: can't open file {os.path.abspath(path)!r}: [Errno {e.errno}] {e.strerror}", file=err)
                    raise SystemExit(2)
            else:
                source = head['script']
            code = compile(source, path, 'exec')
            exec(code, g)
        except SystemExit as e:
            status = exit_status(e, err)
        except BaseException as e:
            status = 1
            # Python's own report: the script's frames, not this function's.
            tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
            traceback.print_exception(type(e), e, tb, file=err)
        for s in (out, err):
            try:
                s.flush()
            except Exception:
                pass
    finally:
        reset()
        g.clear()
        gc.collect(1)
        drop_foreign_modules(before)
    return status, out_b.getvalue(), err_b.getvalue()


def read_exact(n):
    b = REQ.read(n)
    if b is None or len(b) != n:
        sys.exit(0)
    return b


def main():
    base_env = dict(os.environ)
    while True:
        (n,) = struct.unpack('<I', read_exact(4))
        head = json.loads(read_exact(n))
        (m,) = struct.unpack('<I', read_exact(4))
        stdin = read_exact(m) if m else b''
        if head.get('env') is None:
            head['env'] = base_env
        status, out, err = run(head, stdin)
        meta = json.dumps({'status': status, 'out': len(out), 'err': len(err)}).encode()
        RES.write(struct.pack('<I', len(meta)) + meta)
        RES.write(out)
        RES.write(err)
        RES.flush()


main()
