/**
 * python3 references for MXNet's files, independent of gluonc's readers:
 * `python(code, job)` runs a script with numpy and the job as JSON,
 * `PY_READ_MXNET` reads an NDArray list (`.params`) from MXNet's C++ layout
 * and `PY_RUN_MXNET_SYMBOL` runs an export (`-symbol.json` + `.params`);
 * `checkMxnetFiles` runs an export in python and reads it back;
 * `PY_WRITE_MXNET` writes a `.params` file of float32 arrays.
 */
import { runPython } from './python-server.js';
import { gluon, type nd } from 'gluonc';
import { assertClose } from './compare.js';

/** Runs python3 (the reference server, python-server.ts; numpy imported, `job` read from stdin as JSON) and returns what the script prints as JSON. */
export function python(code: string, job: unknown): any {
  const script = `import json, struct, sys\nimport numpy as np\njob = json.load(sys.stdin)\n${code}`;
  const r = runPython(script, { input: JSON.stringify(job) });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout || 'null');
}

/**
 * `read_ndarray_list(path)` in python: an NDArray-list reader from MXNet's
 * C++ source, not from gluonc's reader (each array also as numpy's `array`):
 * - NDArray::Save(fo, data, names) (src/ndarray/ndarray.cc): uint64
 *   kMXAPINDArrayListMagic = 0x112, uint64 reserved = 0, then fo->Write(data)
 *   and fo->Write(names): dmlc/serializer.h writes a vector as uint64 size +
 *   elements, a string as uint64 length + bytes;
 * - NDArray::Save(strm): uint32 NDARRAY_V2_MAGIC 0xF993fac9 (V3 0xF993faca
 *   under np shape semantics), int32 storage type, shape_.Save (int32 ndim,
 *   int64 dims), [V2 with ndim 0 is a none array: nothing follows],
 *   ctx.Save (int32 dev_type, int32 dev_id), int32 type_flag, the data;
 * - mshadow/base.h TypeFlag: kFloat32 0, kFloat64 1, kFloat16 2, kUint8 3,
 *   kInt32 4, kInt8 5, kInt64 6, kBool 7.
 */
export const PY_MXNET_LIST = String.raw`
def read_ndarray_list(path):
    b = open(path, 'rb').read()
    at = 0
    def take(fmt):
        nonlocal at
        v = struct.unpack_from(fmt, b, at)
        at += struct.calcsize(fmt)
        return v
    FLAG = {0: '<f4', 1: '<f8', 2: '<f2', 3: 'u1', 4: '<i4', 5: 'i1', 6: '<i8', 7: '?', 8: '<i2', 9: '<u2', 10: '<u4', 11: '<u8'}
    MAGIC = {0xF993FAC9: 2, 0xF993FACA: 3}
    magic, reserved, n = take('<QQQ')
    arrays = []
    for i in range(n):
        m, stype, ndim = take('<Iii')
        shape = list(take('<%dq' % ndim)) if ndim > 0 else []
        if MAGIC[m] == 2 and ndim == 0:
            arrays.append({'version': 2, 'none': True})
            continue
        dev_type, dev_id, flag = take('<iii')
        dt = np.dtype(FLAG[flag])
        count = int(np.prod(shape)) if shape else 1
        a = np.frombuffer(b, dtype=dt, count=count, offset=at).reshape(shape)
        at += count * dt.itemsize
        arrays.append({'version': MAGIC[m], 'stype': stype, 'ctx': [dev_type, dev_id], 'flag': flag,
                       'shape': list(a.shape), 'data': a.astype(np.float64).ravel().tolist(), 'array': a})
    (k,) = take('<Q')
    names = []
    for i in range(k):
        (L,) = take('<Q')
        names.append(b[at:at + L].decode('utf-8'))
        at += L
    return {'magic': magic, 'reserved': reserved, 'arrays': arrays, 'names': names, 'trailing': len(b) - at}
`;

/**
 * Writes `job.values` (name -> { data, shape }) to `job.file` as MXNet's
 * NDArray list of float32 arrays, in the layout `read_ndarray_list` reads
 * (V2 magic, dense storage, cpu(0), type flag 0): a `.params` file as
 * MXNet's `save_parameters` writes it. Example:
 * `python(PY_WRITE_MXNET, { values: { 'dense0.weight': { data: [1, 2], shape: [1, 2] } }, file })`.
 */
export const PY_WRITE_MXNET = String.raw`
names = list(job['values'].keys())
out = struct.pack('<QQQ', 0x112, 0, len(names))
for k in names:
    a = np.array(job['values'][k]['data'], dtype=np.float32).reshape(job['values'][k]['shape'])
    out += struct.pack('<Ii', 0xF993fac9, 0) + struct.pack('<i', a.ndim) + struct.pack('<%dq' % a.ndim, *a.shape)
    out += struct.pack('<iii', 1, 0, 0) + a.tobytes()
out += struct.pack('<Q', len(names))
for k in names:
    out += struct.pack('<Q', len(k)) + k.encode()
open(job['file'], 'wb').write(out)
print('null')
`;

/** Prints `read_ndarray_list(job)` as JSON (the arrays' values as lists). */
export const PY_READ_MXNET = `${PY_MXNET_LIST}
r = read_ndarray_list(job)
for a in r['arrays']:
    a.pop('array', None)
print(json.dumps(r))
`;

/**
 * Runs an MXNet export (`job.symbol`, `job.params`, `job.inputs` by name as
 * `{ shape, data }`) in float64 with numpy and torch, written from MXNet's
 * operator definitions (src/operator/nn/*.cc, tensor/elemwise_*.cc), not
 * from gluonc: inference semantics (BatchNorm on the moving statistics,
 * Dropout the identity). Prints `{ outs: [{ shape, data }], args, aux }`;
 * an operator it does not know is an error naming it. Attribute strings are
 * read with `ast.literal_eval` (`(3, 3)`, `True`, `1e-05`).
 */
export const PY_RUN_MXNET_SYMBOL = `${PY_MXNET_LIST}
import ast
import torch
import torch.nn.functional as tf

g = json.load(open(job['symbol']))
lst = read_ndarray_list(job['params'])
args, aux = {}, {}
for name, a in zip(lst['names'], lst['arrays']):
    kind, key = name.split(':', 1)
    (args if kind == 'arg' else aux)[key] = a['array'].astype(np.float64)
def val(s):
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError):
        return s
def tup(v, n):
    return tuple(v) if isinstance(v, tuple) else (v,) * n
T = lambda a: torch.from_numpy(np.ascontiguousarray(a))
def conv(x, w, b, at, transposed=False):
    k = len(at['kernel'])
    stride, pad, dilate = tup(at.get('stride', 1), k), tup(at.get('pad', 0), k), tup(at.get('dilate', 1), k)
    f = [tf.conv1d, tf.conv2d, tf.conv3d][k - 1]
    return f(T(x), T(w), None if b is None else T(b), stride=stride, padding=pad, dilation=dilate, groups=at.get('num_group', 1)).numpy()
def pool(x, at):
    k = x.ndim - 2
    if at.get('global_pool', False):
        return (x.max if at['pool_type'] == 'max' else x.mean)(axis=tuple(range(2, x.ndim)), keepdims=True)
    kernel = tup(at['kernel'], k)
    stride, pad = tup(at.get('stride', 1), k), tup(at.get('pad', 0), k)
    ceil = at.get('pooling_convention', 'valid') == 'full'
    if at['pool_type'] == 'max':
        f = [tf.max_pool1d, tf.max_pool2d, tf.max_pool3d][k - 1]
        return f(T(x), kernel, stride, pad, ceil_mode=ceil).numpy()
    f = [tf.avg_pool1d, tf.avg_pool2d, tf.avg_pool3d][k - 1]
    cip = at.get('count_include_pad', True)
    return f(T(x), kernel, stride, pad, ceil_mode=ceil, count_include_pad=True if cip is None else cip).numpy()
def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
def act(x, t):
    return {'relu': lambda: np.maximum(x, 0), 'sigmoid': lambda: 1 / (1 + np.exp(-x)), 'tanh': lambda: np.tanh(x),
            'softrelu': lambda: np.log1p(np.exp(x)), 'softsign': lambda: x / (1 + np.abs(x))}[t]()
def leaky(x, at, gamma):
    t = at.get('act_type', 'leaky')
    if t == 'leaky': return np.where(x > 0, x, x * at.get('slope', 0.25))
    if t == 'prelu': return np.where(x > 0, x, x * gamma.reshape((1, -1) + (1,) * (x.ndim - 2)))
    if t == 'elu': return np.where(x > 0, x, at.get('slope', 0.25) * np.expm1(x))
    if t == 'gelu': return 0.5 * x * (1 + torch.erf(T(x / np.sqrt(2))).numpy())
    raise KeyError('LeakyReLU act_type ' + t)
def reshape(x, shape):
    out, i = [], 0
    for d in shape:
        if d == 0: out.append(x.shape[i]); i += 1
        elif d == -1: out.append(-1); i += 1
        else: out.append(d); i += 1
    return x.reshape(out)
BIN = {'add': np.add, 'sub': np.subtract, 'mul': np.multiply, 'div': np.divide, 'maximum': np.maximum, 'minimum': np.minimum, 'power': np.power}
SCALAR = {'_plus_scalar': lambda x, s: x + s, '_minus_scalar': lambda x, s: x - s, '_rminus_scalar': lambda x, s: s - x,
          '_mul_scalar': lambda x, s: x * s, '_div_scalar': lambda x, s: x / s, '_rdiv_scalar': lambda x, s: s / x,
          '_power_scalar': lambda x, s: x ** s, '_rpower_scalar': lambda x, s: s ** x,
          '_maximum_scalar': np.maximum, '_minimum_scalar': np.minimum}
# MXNet's fused RNN operator (src/operator/rnn-inl.h; the equations of python/mxnet/gluon/rnn/rnn_layer.py's
# docstrings: LSTM gates i, f, g, o; GRU r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))), written
# from MXNet's flat parameter layout: every weight, then every bias; layer by layer; l then r; i2h then h2h.
# A begin state of shape (L*D, 0, H) (symbol.zeros, MXNet infers the 0) arrives empty and is zeros [L*D, N, H].
# With use_sequence_length (rnn-inl.h: cuDNN's padded I/O), entry n runs its first len[n] steps (the reverse
# direction from step len[n] - 1 down), outputs past them are 0 and its final states are those of its last step.
def rnn(at, ins):
    x, flat = ins[0], ins[1]
    mode, H = at['mode'], at['state_size']
    L, D = at.get('num_layers', 1), 2 if at.get('bidirectional', False) else 1
    G = {'rnn_relu': 1, 'rnn_tanh': 1, 'lstm': 4, 'gru': 3}[mode]
    ns = 2 if mode == 'lstm' else 1
    T, N, I = x.shape
    st = [s if s.size else np.zeros((L * D, N, H)) for s in ins[2:2 + ns]]
    lens = ins[2 + ns].astype(np.int64) if at.get('use_sequence_length', False) else np.full(N, T)
    valid = (np.arange(T)[:, None] < lens[None, :])[:, :, None]
    off, W = [0], {}
    def take(*shape):
        n = int(np.prod(shape))
        a = flat[off[0]:off[0] + n].reshape(shape)
        off[0] += n
        return a
    for kind in ('w', 'b'):
        for l in range(L):
            for d in range(D):
                for g in ('i', 'h'):
                    cols = (I if l == 0 else H * D) if g == 'i' else H
                    W[kind, l, d, g] = take(G * H, cols) if kind == 'w' else take(G * H)
    assert off[0] == flat.size, 'RNN: %d parameters, the layout takes %d' % (flat.size, off[0])
    sig = lambda v: 1 / (1 + np.exp(-v))
    inp, hy, cy = x, [], []
    for l in range(L):
        outs = []
        for d in range(D):
            h = st[0][l * D + d].copy()
            c = st[1][l * D + d].copy() if mode == 'lstm' else None
            ys = [np.zeros((N, H)) for _ in range(T)]
            for s_ in range(T):
                # each entry's own step: forward s_, reverse len - 1 - s_ (past its length the state stays)
                t = np.full(N, s_) if d == 0 else lens - 1 - s_
                live = (s_ < lens)[:, None]
                xt = inp[np.clip(t, 0, T - 1), np.arange(N)]
                h_old, c_old = h, c
                gi = xt @ W['w', l, d, 'i'].T + W['b', l, d, 'i']
                gh = h @ W['w', l, d, 'h'].T + W['b', l, d, 'h']
                if mode == 'lstm':
                    i, f, g_, o = np.split(gi + gh, 4, axis=1)
                    c = sig(f) * c + sig(i) * np.tanh(g_)
                    h = sig(o) * np.tanh(c)
                elif mode == 'gru':
                    ir, iz, i_n = np.split(gi, 3, axis=1)
                    hr, hz, h_n = np.split(gh, 3, axis=1)
                    r, z = sig(ir + hr), sig(iz + hz)
                    h = (1 - z) * np.tanh(i_n + r * h_n) + z * h
                else:
                    h = np.tanh(gi + gh) if mode == 'rnn_tanh' else np.maximum(gi + gh, 0)
                h = np.where(live, h, h_old)
                if mode == 'lstm': c = np.where(live, c, c_old)
                for n_ in range(N):
                    if live[n_, 0]: ys[t[n_]][n_] = h[n_]
            outs.append(np.stack(ys) * valid)
            hy.append(h)
            cy.append(c)
        inp = np.concatenate(outs, axis=2)
    if not at.get('state_outputs', False): return inp
    return [inp, np.stack(hy)] + ([np.stack(cy)] if mode == 'lstm' else [])
def run(op, at, ins):
    if op == 'RNN': return rnn(at, ins)
    # A 0 MXNet infers (a cell's begin_state, shape (0, H)): the shape the test says MXNet infers, by node name.
    if op == '_zeros': return np.zeros(job.get('infer', {}).get(name, at['shape']))
    if op in ('SwapAxis', 'swapaxes'): return np.swapaxes(ins[0], at.get('dim1', 0), at.get('dim2', 0))
    if op == '_rnn_param_concat': return np.concatenate(ins, axis=at.get('dim', 1))
    if op in ('elemwise_add', 'elemwise_sub', 'elemwise_mul', 'elemwise_div'):
        assert ins[0].shape == ins[1].shape, op + ' needs equal shapes'
        return BIN[op[9:]](ins[0], ins[1])
    if op in ('add_n', 'ElementWiseSum'):
        assert len(ins) == int(at['num_args']) and all(i.shape == ins[0].shape for i in ins), op + ' needs num_args inputs of one shape'
        return sum(ins[1:], ins[0])
    if op.startswith('broadcast_') and op[10:] in BIN: return BIN[op[10:]](ins[0], ins[1])
    if op in SCALAR: return SCALAR[op](ins[0], float(at['scalar']))
    if op == 'FullyConnected':
        x = ins[0].reshape(ins[0].shape[0], -1) if at.get('flatten', True) else ins[0]
        y = x @ ins[1].T
        return y if at.get('no_bias', False) else y + ins[2]
    if op == 'Convolution': return conv(ins[0], ins[1], None if at.get('no_bias', False) else ins[2], at)
    if op == 'BatchNorm':
        x, gamma, beta, mean, var = ins
        if at.get('fix_gamma', True): gamma = np.ones_like(gamma)
        shape = [1] * x.ndim; shape[at.get('axis', 1)] = -1
        r = lambda a: a.reshape(shape)
        return (x - r(mean)) / np.sqrt(r(var) + at.get('eps', 1e-3)) * r(gamma) + r(beta)
    if op == 'Activation': return act(ins[0], at['act_type'])
    if op == 'LeakyReLU': return leaky(ins[0], at, ins[1] if len(ins) > 1 else None)
    if op == 'Pooling': return pool(ins[0], at)
    if op == 'Flatten': return ins[0].reshape(ins[0].shape[0], -1)
    if op == 'Dropout': return ins[0]
    if op == 'softmax': return softmax(ins[0], at.get('axis', -1))
    # SoftmaxOutput's forward (softmax_output-inl.h): softmax over axis 1 with multi_output, over the last axis with
    # preserve_shape, else over every axis but the first; the label is read by the backward only.
    if op == 'SoftmaxOutput':
        x = ins[0]
        if at.get('multi_output', False): return softmax(x, 1)
        if at.get('preserve_shape', False): return softmax(x, -1)
        return softmax(x.reshape(x.shape[0], -1), 1).reshape(x.shape)
    if op == 'log_softmax': return np.log(softmax(ins[0], at.get('axis', -1)))
    if op == 'Concat': return np.concatenate(ins, axis=at.get('dim', 1))
    if op == 'Reshape': return reshape(ins[0], at['shape'])
    if op == 'Embedding': return ins[1][ins[0].astype(np.int64)]
    if op == 'relu': return np.maximum(ins[0], 0)
    if op == 'sigmoid': return 1 / (1 + np.exp(-ins[0]))
    if op == 'tanh': return np.tanh(ins[0])
    if op == 'exp': return np.exp(ins[0])
    if op == 'sum': return ins[0].sum(axis=at.get('axis'), keepdims=at.get('keepdims', False))
    if op == 'mean': return ins[0].mean(axis=at.get('axis'), keepdims=at.get('keepdims', False))
    if op == 'transpose': return np.transpose(ins[0], at.get('axes') or None)
    if op in ('LayerNorm', 'GroupNorm', 'InstanceNorm'):
        x, gamma, beta = ins
        eps = at.get('eps', 1e-5 if op != 'InstanceNorm' else 1e-3)
        if op == 'LayerNorm':
            ax = at.get('axis', -1) % x.ndim
            shape = [1] * x.ndim; shape[ax] = -1
            m, v = x.mean(axis=ax, keepdims=True), x.var(axis=ax, keepdims=True)
            return (x - m) / np.sqrt(v + eps) * gamma.reshape(shape) + beta.reshape(shape)
        # group_norm.cc: data reshaped to (N, G, C // G, ...), gamma/beta per group; instance_norm: per channel.
        g = at.get('num_groups', 1) if op == 'GroupNorm' else x.shape[1]
        y = x.reshape(x.shape[0], g, -1)
        y = (y - y.mean(axis=2, keepdims=True)) / np.sqrt(y.var(axis=2, keepdims=True) + eps)
        if op == 'GroupNorm':
            return (y * gamma.reshape(1, -1, 1) + beta.reshape(1, -1, 1)).reshape(x.shape)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return y.reshape(x.shape) * gamma.reshape(shape) + beta.reshape(shape)
    if op == 'Deconvolution':
        k = len(at['kernel'])
        f = [tf.conv_transpose1d, tf.conv_transpose2d, tf.conv_transpose3d][k - 1]
        b = None if at.get('no_bias', True) else T(ins[2])
        return f(T(ins[0]), T(ins[1]), b, stride=tup(at.get('stride', 1), k), padding=tup(at.get('pad', 0), k),
                 output_padding=tup(at.get('adj', 0), k), groups=at.get('num_group', 1), dilation=tup(at.get('dilate', 1), k)).numpy()
    if op == 'batch_dot':
        a = np.swapaxes(ins[0], -1, -2) if at.get('transpose_a', False) else ins[0]
        b = np.swapaxes(ins[1], -1, -2) if at.get('transpose_b', False) else ins[1]
        return a @ b
    if op == 'SliceChannel':
        parts = np.split(ins[0], at['num_outputs'], axis=at.get('axis', 1))
        return [np.squeeze(p, axis=at.get('axis', 1)) if at.get('squeeze_axis', False) else p for p in parts]
    if op == 'stack': return np.stack(ins, axis=at.get('axis', 0))
    if op == 'slice_axis':
        sl = [slice(None)] * ins[0].ndim
        sl[at['axis']] = slice(at['begin'], at['end'])
        return ins[0][tuple(sl)]
    if op == 'slice':
        step = at.get('step') or ()
        sl = [slice(b, e, step[i] if i < len(step) else None) for i, (b, e) in enumerate(zip(at['begin'], at['end']))]
        return ins[0][tuple(sl)]
    if op == 'clip': return np.clip(ins[0], at['a_min'], at['a_max'])
    if op == 'expand_dims': return np.expand_dims(ins[0], at['axis'])
    if op == 'tile': return np.tile(ins[0], at['reps'])
    if op == 'where': return np.where(ins[0] != 0, ins[1], ins[2])
    if op in ('abs', 'negative', 'square', 'sqrt', 'log'):
        return {'abs': np.abs, 'negative': np.negative, 'square': np.square, 'sqrt': np.sqrt, 'log': np.log}[op](ins[0])
    # Comparisons give 0/1 in the data's type (elemwise_binary_broadcast_op_logic.cc, elemwise_binary_scalar_op_logic.cc).
    CMP = {'greater': np.greater, 'lesser': np.less, 'equal': np.equal, 'not_equal': np.not_equal, 'greater_equal': np.greater_equal, 'lesser_equal': np.less_equal}
    if op.startswith('broadcast_') and op[10:] in CMP: return CMP[op[10:]](ins[0], ins[1]).astype(np.float64)
    if op.startswith('_') and op.endswith('_scalar') and op[1:-7] in CMP: return CMP[op[1:-7]](ins[0], float(at['scalar'])).astype(np.float64)
    raise KeyError('the reference does not know MXNet operator ' + op)
# Plain TShape/Tuple fields (not dmlc::optional): a written 'None' parses to ndim -1, which these operators take as a
# shape (transpose uses axes unless axes.ndim() == 0; slice checks step.ndim() against begin's), unlike the default ().
SHAPE_FIELDS = {'transpose': ('axes',), 'slice': ('begin', 'end', 'step'), 'Convolution': ('kernel', 'stride', 'dilate', 'pad'),
                'Deconvolution': ('kernel', 'stride', 'dilate', 'pad', 'adj', 'target_shape'), 'Pooling': ('kernel', 'stride', 'pad'),
                'Reshape': ('shape',), 'tile': ('reps',), 'broadcast_to': ('shape',), 'broadcast_axis': ('axis', 'size'), 'Dropout': ('axes',)}
vals = []
for n in g['nodes']:
    if n['op'] == 'null':
        name = n['name']
        if name in job['inputs']:
            i = job['inputs'][name]
            vals.append([np.array(i['data'], dtype=np.float64).reshape(i['shape'])])
        else:
            vals.append([args[name] if name in args else aux[name]])
        continue
    at = {k: val(v) for k, v in n.get('attrs', {}).items()}
    for k, v in at.items():
        if v is None and k in SHAPE_FIELDS.get(n['op'], ()):
            raise ValueError(f"{n['op']} {n['name']}: attribute {k} = 'None': MXNet reads it as a shape of unknown rank (ndim -1, include/mxnet/tuple.h), not as its default; leave it out")
    ins = [vals[j][o] for j, o, _ in n['inputs']]
    name = n['name']
    out = run(n['op'], at, ins)
    vals.append([np.asarray(o, dtype=np.float64) for o in (out if isinstance(out, list) else [out])])
outs = [vals[j][o] for j, o, _ in g['heads']]
print(json.dumps({'outs': [{'shape': list(o.shape), 'data': o.ravel().tolist()} for o in outs], 'args': sorted(args), 'aux': sorted(aux)}))
`;

const flat = (a: nd.NDArray): number[] => Array.from(a.data() as ArrayLike<number>, Number);

/**
 * The files of `export(prefix, { format: 'mxnet' })` against `want`, the
 * block's output on `x` (one input, `data`): run by PY_RUN_MXNET_SYMBOL,
 * and read back by `SymbolBlock.imports`, eagerly and hybridized. Returns
 * the python run (`outs`, `args`) for further checks.
 */
export function checkMxnetFiles(name: string, files: { symbolFile: string; paramsFile: string }, x: nd.NDArray, want: nd.NDArray): any {
  const ref = python(PY_RUN_MXNET_SYMBOL, { symbol: files.symbolFile, params: files.paramsFile, inputs: { data: { shape: x.shape, data: flat(x) } } });
  if (JSON.stringify(ref.outs[0].shape) !== JSON.stringify(want.shape)) throw new Error(`${name}: python's output shape [${ref.outs[0].shape}] is not the block's [${want.shape}]`);
  assertClose(flat(want), ref.outs[0].data, `${name}: gluonc's block against the python run of its MXNet files`, 1e-4, 1e-5);
  const back = gluon.SymbolBlock.imports(files.symbolFile, ['data'], files.paramsFile);
  assertClose(flat(back.call(x) as nd.NDArray), flat(want), `${name}: SymbolBlock.imports of the files`, 1e-5, 1e-6);
  back.hybridize();
  assertClose(flat(back.call(x) as nd.NDArray), flat(want), `${name}: the imported block hybridized`, 1e-5, 1e-6);
  return ref;
}
