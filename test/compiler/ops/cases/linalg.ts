/** Table entries for the linalg operators (dot, batchDot, einsum, FullyConnected, Embedding, Convolution, Deconvolution, Pooling, poolingGrad, poolingPick). */
import type { InputSpec, OpCase, Sample } from '../case.js';

/** MXNet dot: contract lhs's last axis (first with transposeA) with rhs's first (last with transposeB). */
const DOT_REF = String.raw`
A = np.moveaxis(a, 0, -1) if attrs.get("transposeA") and a.ndim > 1 else a
B = np.moveaxis(b, -1, 0) if attrs.get("transposeB") and b.ndim > 1 else b
out = np.tensordot(A, B, axes=([A.ndim - 1], [0]))
`;

const BATCH_DOT_REF = String.raw`
A = np.swapaxes(a, -1, -2) if attrs.get("transposeA") else a
B = np.swapaxes(b, -1, -2) if attrs.get("transposeB") else b
out = np.einsum("...ij,...jk->...ik", A, B)
`;

/** linalgGemm: alpha·op(A)·op(B) + beta·C (MXNet linalg_gemm on matrices). */
const GEMM_REF = String.raw`
A = a.T if attrs.get("transposeA") else a
B = b.T if attrs.get("transposeB") else b
out = attrs.get("alpha", 1.0) * (A @ B) + attrs.get("beta", 1.0) * c
`;

const FC_REF = String.raw`
x = a.reshape(a.shape[0], -1) if attrs.get("flatten", True) else a
out = np.einsum("...k,hk->...h", x, b) + (c if "c" in globals() else 0)
`;

/** A direct convolution over sliding windows (MXNet semantics, any number of spatial axes). */
const CONV_REF = String.raw`
import itertools
nd = a.ndim - 2
def opt(name, d):
    v = attrs.get(name)
    return list(v) if v else [d] * nd
k = list(attrs.get("kernel") or b.shape[2:]); s = opt("stride", 1); dl = opt("dilate", 1); p = opt("pad", 0)
g = attrs.get("numGroup", 1)
xp = np.pad(a, [(0, 0), (0, 0)] + [(q, q) for q in p])
F = b.shape[0]; C = a.shape[1]; cg = C // g; fg = F // g
osz = [(xp.shape[2 + i] - dl[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
out = np.zeros([a.shape[0], F] + osz)
for o in itertools.product(*[range(n) for n in osz]):
    win = xp[(slice(None), slice(None)) + tuple(slice(o[i] * s[i], o[i] * s[i] + dl[i] * (k[i] - 1) + 1, dl[i]) for i in range(nd))]
    for gi in range(g):
        out[(slice(None), slice(gi * fg, (gi + 1) * fg)) + o] = np.tensordot(win[:, gi * cg:(gi + 1) * cg], b[gi * fg:(gi + 1) * fg], axes=(list(range(1, nd + 2)), list(range(1, nd + 2))))
if "c" in globals():
    out = out + c.reshape([1, F] + [1] * nd)
`;

/** A transposed convolution by scattering each input element's contribution, then cropping the padding. */
/** im2col with the example innermost: row c*K + k, column l*N + n, zero in the padding (numpy slicing of the padded data). */
const COLUMNS_REF = String.raw`
import itertools
nd = a.ndim - 2
def opt(name, d):
    v = attrs.get(name)
    return list(v) if v else [d] * nd
k = list(attrs["kernel"]); s = opt("stride", 1); dl = opt("dilate", 1); p = opt("pad", 0)
xp = np.pad(a, [(0, 0), (0, 0)] + [(q, q) for q in p])
osz = [(xp.shape[2 + i] - dl[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
rows = []
for c in range(a.shape[1]):
    for kk in itertools.product(*[range(n) for n in k]):
        sl = tuple(slice(kk[i] * dl[i], kk[i] * dl[i] + s[i] * (osz[i] - 1) + 1, s[i]) for i in range(nd))
        rows.append(xp[(slice(None), c) + sl].reshape(a.shape[0], -1).T.reshape(-1))
out = np.stack(rows)
`;

const DECONV_REF = String.raw`
import itertools
nd = a.ndim - 2
def opt(name, d):
    v = attrs.get(name)
    return list(v) if v else [d] * nd
k = list(attrs.get("kernel") or b.shape[2:]); s = opt("stride", 1); dl = opt("dilate", 1); p = opt("pad", 0); adj = opt("adj", 0)
g = attrs.get("numGroup", 1)
C = a.shape[1]; cg = C // g; fg = b.shape[1]; F = fg * g
full = [(a.shape[2 + i] - 1) * s[i] + dl[i] * (k[i] - 1) + 1 + adj[i] for i in range(nd)]
y = np.zeros([a.shape[0], F] + full)
for i in itertools.product(*[range(n) for n in a.shape[2:]]):
    for kk in itertools.product(*[range(n) for n in k]):
        pos = tuple(i[j] * s[j] + kk[j] * dl[j] for j in range(nd))
        for gi in range(g):
            xv = a[(slice(None), slice(gi * cg, (gi + 1) * cg)) + i]
            wv = b[(slice(gi * cg, (gi + 1) * cg), slice(None)) + kk]
            y[(slice(None), slice(gi * fg, (gi + 1) * fg)) + pos] += xv @ wv
out = y[(slice(None), slice(None)) + tuple(slice(p[j], full[j] - p[j]) for j in range(nd))]
if "c" in globals():
    out = out + c.reshape([1, F] + [1] * nd)
`;

/** MXNet pooling: window sizes clipped to the padded input for avg, to the input for max/sum and countIncludePad=false. */
const POOL_REF = String.raw`
import itertools
nd = a.ndim - 2
sp = a.shape[2:]
glob = attrs.get("globalPool", False)
k = list(sp) if glob else list(attrs["kernel"])
s = [1] * nd if glob or not attrs.get("stride") else list(attrs["stride"])
p = [0] * nd if glob or not attrs.get("pad") else list(attrs["pad"])
full = attrs.get("poolingConvention", "valid") == "full"
pt = attrs.get("poolType", "max"); cip = attrs.get("countIncludePad", True)
osz = [((-(-(sp[i] + 2 * p[i] - k[i]) // s[i])) if full else (sp[i] + 2 * p[i] - k[i]) // s[i]) + 1 for i in range(nd)]
out = np.zeros(a.shape[:2] + tuple(osz))
for o in itertools.product(*[range(n) for n in osz]):
    sl = []; size = 1
    for i in range(nd):
        st = o[i] * s[i] - p[i]; en = min(st + k[i], sp[i] + p[i])
        size *= en - st
        sl.append(slice(max(st, 0), min(en, sp[i])))
    win = a[(slice(None), slice(None)) + tuple(sl)].reshape(a.shape[0], a.shape[1], -1)
    if pt == "max": v = win.max(axis=2)
    elif pt == "sum": v = win.sum(axis=2)
    else: v = win.sum(axis=2) / (size if cip else win.shape[2])
    out[(slice(None), slice(None)) + o] = v
`;

/** MXNet pooling windows (same conventions as POOL_REF; onnxruntime drops a 'full' window starting in the end padding). */
const POOL_WINDOWS = String.raw`
import itertools
nd = a.ndim - 2
sp = a.shape[2:]
glob = attrs.get("globalPool", False)
k = list(sp) if glob else list(attrs["kernel"])
s = [1] * nd if glob or not attrs.get("stride") else list(attrs["stride"])
p = [0] * nd if glob or not attrs.get("pad") else list(attrs["pad"])
full = attrs.get("poolingConvention", "valid") == "full"
pt = attrs.get("poolType", "max"); cip = attrs.get("countIncludePad", True)
osz = [((-(-(sp[i] + 2 * p[i] - k[i]) // s[i])) if full else (sp[i] + 2 * p[i] - k[i]) // s[i]) + 1 for i in range(nd)]
osz = [o - 1 if full and (o - 1) * s[i] - p[i] >= sp[i] else o for i, o in enumerate(osz)]
def windows():
    for o in itertools.product(*[range(n) for n in osz]):
        sl = []; size = 1
        for i in range(nd):
            st = o[i] * s[i] - p[i]; en = min(st + k[i], sp[i] + p[i])
            size *= en - st
            sl.append(slice(max(st, 0), min(en, sp[i])))
        cells = [tuple(c) for c in itertools.product(*[range(q.start, q.stop) for q in sl])]
        yield o, cells, (size if cip else len(cells)) if pt == "avg" else 1
def first_max(n, c, cells):
    vals = [a[(n, c) + q] for q in cells]
    return cells[int(np.argmax(vals))]
`;

/** poolingGrad: each window's gradient to its first maximum (max), or spread over it divided by its divisor (avg, sum). */
const POOL_GRAD_REF = POOL_WINDOWS + String.raw`
out = np.zeros(a.shape)
for o, cells, div in windows():
    for n in range(a.shape[0]):
        for c in range(a.shape[1]):
            gv = b[(n, c) + o]
            if pt == "max": out[(n, c) + first_max(n, c, cells)] += gv
            else:
                for q in cells: out[(n, c) + q] += gv / div
`;

/** poolingPick: values at each window's first maximum of the data (max), or pooled like the data (avg, sum). */
const POOL_PICK_REF = POOL_WINDOWS + String.raw`
out = np.zeros(a.shape[:2] + tuple(osz))
for o, cells, div in windows():
    for n in range(a.shape[0]):
        for c in range(a.shape[1]):
            if pt == "max": out[(n, c) + o] = b[(n, c) + first_max(n, c, cells)]
            else: out[(n, c) + o] = sum(b[(n, c) + q] for q in cells) / div
`;

/** Samples of poolingGrad (second input shaped like the pooled output) and poolingPick (second input shaped like the data). */
function poolPairSamples(pick: boolean): Sample[] {
  const pair = (x: number[], y: number[], opts: Record<string, unknown>, label: string, extra: Partial<InputSpec> = {}): Sample => ({
    inputs: [{ shape: x, ...extra }, { shape: pick ? x : y, ...extra }],
    args: [opts],
    label,
  });
  return [
    pair([1, 2, 5, 5], [1, 2, 5, 5], { kernel: [3, 3], pad: [1, 1] }, 'max, overlapping windows, pad'),
    pair([1, 2, 6, 6], [1, 2, 4, 4], { kernel: [3, 3], stride: [2, 2], pad: [1, 1], poolType: 'avg', poolingConvention: 'full', countIncludePad: false }, 'avg, full, countIncludePad=false'),
    pair([1, 2, 6, 6], [1, 2, 3, 3], { kernel: [3, 3], stride: [2, 2], poolType: 'sum', poolingConvention: 'full' }, 'sum, full'),
    pair([2, 3, 4, 4], [2, 3, 1, 1], { globalPool: true }, 'global max'),
    pair([2, 3, 6, 6], [2, 3, 3, 3], { kernel: [2, 2], stride: [2, 2] }, 'max'),
    pair([1, 2, 5, 5], [1, 2, 5, 5], { kernel: [3, 3], pad: [1, 1], poolType: 'avg' }, 'avg, pad'),
    pair([1, 2, 5, 5], [1, 2, 2, 2], { kernel: [3, 3], stride: [2, 2], poolingConvention: 'full' }, 'max, full'),
    pair([1, 1, 7, 7], [1, 1, 2, 2], { kernel: [2, 2], stride: [3, 3], poolType: 'avg' }, 'avg, stride past the last window'),
    pair([1, 2, 7, 7], [1, 2, 3, 3], { kernel: [2, 2], stride: [3, 3], pad: [1, 1], poolType: 'sum' }, 'sum, pad, stride'),
    pair([3, 3, 4, 5], [3, 3, 1, 1], { globalPool: true, poolType: 'avg' }, 'global avg, symbolic batch', { symbolic: true }),
    pair([2, 3, 4, 4], [2, 3, 1, 1], { globalPool: true, poolType: 'sum' }, 'global sum'),
    pair([2, 3, 8], [2, 3, 3], { kernel: [3], stride: [2] }, '1-D max'),
    pair([4, 2, 6, 6], [4, 2, 6, 6], { kernel: [3, 3], stride: [1, 1], pad: [1, 1] }, 'max, symbolic batch', { symbolic: true }),
    pair([3, 2, 6, 6], [3, 2, 3, 3], { kernel: [2, 2], stride: [2, 2], poolType: 'avg' }, 'avg, symbolic batch', { symbolic: true }),
    pair([1, 2, 4, 4, 4], [1, 2, 2, 2, 2], { kernel: [2, 2, 2], stride: [2, 2, 2] }, '3-D max'),
    pair([1, 2, 5, 5], [1, 2, 4, 4], { kernel: [2, 2], poolType: 'avg' }, 'float64 avg', { dtype: 'float64' }),
    pair([1, 2, 5, 5], [1, 2, 2, 2], { kernel: [3, 3], stride: [2, 2], poolingConvention: 'full' }, 'float64 max, full', { dtype: 'float64' }),
    pair([2, 3, 4, 4], [2, 3, 1, 1], { globalPool: true }, 'float64 global max', { dtype: 'float64' }),
    // Disjoint windows (stride >= kernel): the gradient lowers to MaxUnpool.
    pair([1, 2, 5, 5], [1, 2, 3, 3], { kernel: [2, 2], stride: [2, 2], poolingConvention: 'full' }, 'max, disjoint, full (clipped last window)'),
    // An even size: ceil_mode adds no window, yet ONNX's shape inference counts one more for the smaller boxes.
    pair([1, 2, 6, 6], [1, 2, 3, 3], { kernel: [2, 2], stride: [2, 2], poolingConvention: 'full' }, 'max, disjoint, full on an even size'),
    pair([1, 2, 6, 6], [1, 2, 4, 4], { kernel: [2, 2], stride: [2, 2], pad: [1, 1] }, 'max, disjoint, pad'),
    pair([1, 1, 7, 7], [1, 1, 2, 2], { kernel: [2, 2], stride: [3, 3] }, 'max, stride past the last window'),
    pair([3, 2, 6, 6], [3, 2, 3, 3], { kernel: [2, 2], stride: [2, 2] }, 'max, disjoint, symbolic batch', { symbolic: true }),
    {
      inputs: [{ shape: [1, 1, 2, 4], values: [1, 1, 0, 5, 1, 1, 5, 5] }, { shape: [1, 1, pick ? 2 : 1, pick ? 4 : 2], values: pick ? [1, 2, 3, 4, 5, 6, 7, 8] : [3, 7] }],
      args: [{ kernel: [2, 2], stride: [2, 2] }],
      label: 'max, disjoint, tied windows: the first maximum (row-major)',
    },
    // Ties that put the first maximum at every cell of a window, clipped 'full' windows, 1-D, 3-D and
    // non-square windows, and a plane of small integers (ties everywhere, as after a relu).
    tied([1, 1, 2, 8], [1, 1, 1, 4], [0, 3, 0, 0, 0, 0, -1, -1, 3, 3, 3, 3, 0, 3, -1, -1], { kernel: [2, 2], stride: [2, 2] }, 'first maximum at each cell'),
    tied([1, 1, 3, 3], [1, 1, 2, 2], [1, 2, 5, 2, 2, 5, 7, 7, 7], { kernel: [2, 2], stride: [2, 2], poolingConvention: 'full' }, "clipped 'full' windows"),
    tied([1, 2, 7], [1, 2, 2], [4, 1, 4, 0, 2, 2, 9, 3, 3, 3, 1, 1, 1, 8], { kernel: [3], stride: [3] }, '1-D, kernel 3'),
    tied([1, 1, 4, 6], [1, 1, 4, 3], [1, 1, 0, 2, 2, 2, 3, 4, 4, 4, 0, 0, 5, 5, 6, 5, 1, 1, 0, 0, 0, 0, 0, 0], { kernel: [1, 2], stride: [1, 2] }, 'kernel 1x2'),
    tied([1, 1, 2, 2, 4], [1, 1, 1, 1, 2], [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1], { kernel: [2, 2, 2], stride: [2, 2, 2] }, '3-D, 8 cells (MaxPool indices)'),
    tied([1, 1, 2, 4, 4], [1, 1, 2, 2, 2], [0, 0, 1, 1, 0, 0, 1, 2, 3, 3, 0, 0, 3, 3, 0, 5, 2, 0, 0, 0, 2, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], { kernel: [1, 2, 2], stride: [1, 2, 2] }, '3-D, kernel 1x2x2'),
    tied([2, 3, 8, 6], [2, 3, 4, 3], Array.from({ length: 288 }, (_v, i) => ((i * 7919) % 11) % 3), { kernel: [2, 2], stride: [2, 2] }, 'small integers'),
  ];
  function tied(x: number[], y: number[], values: number[], opts: Record<string, unknown>, label: string): Sample {
    return {
      inputs: [{ shape: x, values }, { shape: pick ? x : y }],
      args: [opts],
      label: `max, disjoint, tied: ${label}`,
    };
  }
}

export const cases: OpCase[] = [
  {
    op: 'dot',
    samples: [
      { inputs: [{ shape: [3, 4] }, { shape: [4, 5] }] },
      { inputs: [{ shape: [4, 3] }, { shape: [4, 5] }], args: [{ transposeA: true }], label: 'transposeA' },
      { inputs: [{ shape: [3, 4] }, { shape: [5, 4] }], args: [{ transposeB: true }], label: 'transposeB' },
      { inputs: [{ shape: [4, 3] }, { shape: [5, 4] }], args: [{ transposeA: true, transposeB: true }], label: 'both transposed' },
      { inputs: [{ shape: [6, 7], symbolic: true }, { shape: [7, 5] }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 3, 4], symbolic: true }, { shape: [4, 5] }], label: 'N-D lhs' },
      { inputs: [{ shape: [3, 3, 4], symbolic: true }, { shape: [4, 2, 5] }], label: 'N-D rhs' },
      { inputs: [{ shape: [4, 2, 3] }, { shape: [4, 5] }], args: [{ transposeA: true }], label: 'N-D transposeA' },
      { inputs: [{ shape: [2, 3] }, { shape: [5, 2, 3] }], args: [{ transposeB: true }], label: 'N-D transposeB' },
      { inputs: [{ shape: [3, 2, 4] }, { shape: [5, 2, 3] }], args: [{ transposeA: true, transposeB: true }], label: 'N-D both transposed' },
      { inputs: [{ shape: [5] }, { shape: [5] }], label: 'vector dot vector' },
      { inputs: [{ shape: [4] }, { shape: [4, 3] }], label: 'vector dot matrix' },
      { inputs: [{ shape: [3, 4] }, { shape: [4] }], label: 'matrix dot vector' },
      { inputs: [{ shape: [3, 4], dtype: 'float64' }, { shape: [4, 2], dtype: 'float64' }], label: 'float64' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-5, 5] }, { shape: [4, 2], dtype: 'int32', range: [-5, 5] }], label: 'int32' },
      { inputs: [{ shape: [40, 60] }, { shape: [60, 50] }], label: 'larger than a kernel' },
      // int32 products past 2^53 wrap exactly (the kernel's float64 sums had lost their low bits).
      { inputs: [{ shape: [2, 3], dtype: 'int32', values: [2147483647, 2147483647, 99999, -2147483648, 65537, 46341] }, { shape: [3, 2], dtype: 'int32', values: [2147483647, 3, 2147483647, 5, 0, -7] }], label: 'int32 overflow wraps' },
    ],
    ref: DOT_REF,
  },
  {
    op: 'linalgGemm',
    samples: [
      { inputs: [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [3, 5] }] },
      { inputs: [{ shape: [4, 3] }, { shape: [4, 5] }, { shape: [3, 5] }], args: [{ transposeA: true, alpha: -0.5, beta: 0.9 }], label: 'transposeA, alpha, beta' },
      { inputs: [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [3, 5] }], args: [{ transposeB: true, beta: 0 }], label: 'transposeB, beta 0' },
      { inputs: [{ shape: [4, 3] }, { shape: [5, 4] }, { shape: [3, 5] }], args: [{ transposeA: true, transposeB: true, alpha: 2, beta: -1 }], label: 'both transposed' },
      { inputs: [{ shape: [6, 7], symbolic: true }, { shape: [7, 5] }, { shape: [6, 5], symbolic: true }], args: [{ alpha: 0.25 }], label: 'symbolic rows' },
      { inputs: [{ shape: [3, 4], dtype: 'float64' }, { shape: [4, 2], dtype: 'float64' }, { shape: [3, 2], dtype: 'float64' }], args: [{ alpha: -1, beta: 0.5 }], label: 'float64' },
    ],
    ref: GEMM_REF,
  },
  {
    op: 'batchDot',
    samples: [
      { inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }] },
      { inputs: [{ shape: [2, 4, 3] }, { shape: [2, 4, 5] }], args: [{ transposeA: true }], label: 'transposeA' },
      { inputs: [{ shape: [2, 3, 4] }, { shape: [2, 5, 4] }], args: [{ transposeB: true }], label: 'transposeB' },
      { inputs: [{ shape: [2, 4, 3] }, { shape: [2, 5, 4] }], args: [{ transposeA: true, transposeB: true }], label: 'both transposed' },
      { inputs: [{ shape: [5, 3, 4], symbolic: true }, { shape: [5, 4, 2], symbolic: true }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 4, 3] }], label: 'two batch axes' },
      { inputs: [{ shape: [3, 2, 4], dtype: 'float64' }, { shape: [3, 4, 2], dtype: 'float64' }], label: 'float64' },
      { inputs: [{ shape: [1, 2, 3], dtype: 'int32', values: [2147483647, 2147483647, 99999, -2147483648, 65537, 46341] }, { shape: [1, 3, 2], dtype: 'int32', values: [2147483647, 3, 2147483647, 5, 0, -7] }], label: 'int32 overflow wraps' },
    ],
    ref: BATCH_DOT_REF,
  },
  {
    op: 'einsum',
    samples: [
      { inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], args: ['ij,jk->ik'], label: 'matmul' },
      { inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], args: ['ij,jk'], label: 'implicit output' },
      { inputs: [{ shape: [4, 3, 4], symbolic: true }, { shape: [4, 4, 2], symbolic: true }], args: ['bij,bjk->bik'], label: 'symbolic batch' },
      { inputs: [{ shape: [3, 3] }], args: ['ii->i'], label: 'diagonal' },
      { inputs: [{ shape: [3, 3] }], args: ['ii'], label: 'trace' },
      { inputs: [{ shape: [3, 4] }], args: ['ij->ji'], label: 'transpose' },
      { inputs: [{ shape: [3] }, { shape: [4] }], args: ['i,j->ij'], label: 'outer' },
      { inputs: [{ shape: [2, 3] }, { shape: [3, 4] }, { shape: [4, 2] }], args: ['ij,jk,kl->il'], label: 'three operands' },
      { inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], args: ['...ij,...jk->...ik'], label: 'ellipsis broadcast' },
      { inputs: [{ shape: [2, 3, 4] }], args: ['i...->...'], label: 'ellipsis sum' },
      { inputs: [{ shape: [3, 4], dtype: 'float64' }, { shape: [4], dtype: 'float64' }], args: ['ij,j->i'], label: 'float64' },
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [-5, 5] }, { shape: [4], dtype: 'int32', range: [-5, 5] }], args: ['ij,j->i'], label: 'int32' },
      { inputs: [{ shape: [2, 3], dtype: 'int32', values: [2147483647, 2147483647, 99999, -2147483648, 65537, 46341] }, { shape: [3, 2], dtype: 'int32', values: [2147483647, 3, 2147483647, 5, 0, -7] }], args: ['ij,jk->ik'], label: 'int32 overflow wraps' },
    ],
    ref: 'np.einsum(args[0], *[globals()[k] for k in "abcdefgh" if k in globals()])',
  },
  {
    op: 'FullyConnected',
    samples: [
      { inputs: [{ shape: [4, 6] }, { shape: [3, 6] }, { shape: [3] }], args: [{ numHidden: 3 }] },
      { inputs: [{ shape: [4, 6] }, { shape: [3, 6] }], args: [{ numHidden: 3, noBias: true }], label: 'noBias' },
      { inputs: [{ shape: [2, 3, 2, 2] }, { shape: [5, 12] }, { shape: [5] }], args: [{ numHidden: 5 }], label: 'flatten' },
      { inputs: [{ shape: [2, 3, 4] }, { shape: [5, 4] }, { shape: [5] }], args: [{ numHidden: 5, flatten: false }], label: 'flatten=false' },
      { inputs: [{ shape: [7, 6], symbolic: true }, { shape: [4, 6] }, { shape: [4] }], args: [{ numHidden: 4 }], label: 'symbolic batch' },
      { inputs: [{ shape: [5, 2, 3], symbolic: true }, { shape: [4, 6] }, { shape: [4] }], args: [{ numHidden: 4 }], label: 'symbolic batch, flatten' },
      { inputs: [{ shape: [3, 2, 6], symbolic: true }, { shape: [4, 6] }], args: [{ numHidden: 4, noBias: true, flatten: false }], label: 'symbolic batch, flatten=false' },
      { inputs: [{ shape: [4, 6], dtype: 'float64' }, { shape: [3, 6], dtype: 'float64' }, { shape: [3], dtype: 'float64' }], args: [{ numHidden: 3 }], label: 'float64' },
      { inputs: [{ shape: [64, 100] }, { shape: [30, 100] }, { shape: [30] }], args: [{ numHidden: 30 }], label: 'larger than a kernel' },
    ],
    ref: FC_REF,
  },
  {
    op: 'Embedding',
    samples: [
      { inputs: [{ shape: [3, 4], dtype: 'int32', range: [0, 10] }, { shape: [10, 5] }], args: [{ inputDim: 10, outputDim: 5 }] },
      { inputs: [{ shape: [2, 3], values: [0, 3, 9, 1, 2, 2] }, { shape: [10, 4] }], args: [{ inputDim: 10, outputDim: 4 }], label: 'float indices' },
      { inputs: [{ shape: [5, 3], dtype: 'int32', range: [0, 8], symbolic: true }, { shape: [8, 3] }], args: [{ inputDim: 8, outputDim: 3 }], label: 'symbolic batch' },
      { inputs: [{ shape: [4], dtype: 'int32', values: [-1, 12, 3, 9] }, { shape: [10, 2] }], args: [{ inputDim: 10, outputDim: 2 }], label: 'out of range indices clip' },
      { inputs: [{ shape: [2, 2], dtype: 'int64', range: [0, 6] }, { shape: [6, 3], dtype: 'float64' }], args: [{ inputDim: 6, outputDim: 3, dtype: 'float64' }], label: 'int64 indices, float64' },
    ],
    ref: 'b[np.clip(a.astype(np.int64), 0, b.shape[0] - 1)]',
  },
  {
    op: 'Convolution',
    samples: [
      { inputs: [{ shape: [2, 3, 6, 6] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], args: [{ kernel: [3, 3], numFilter: 4 }] },
      { inputs: [{ shape: [1, 2, 7, 7] }, { shape: [3, 2, 3, 3] }], args: [{ kernel: [3, 3], stride: [2, 2], pad: [1, 1], numFilter: 3, noBias: true }], label: 'stride and pad' },
      { inputs: [{ shape: [1, 2, 8, 8] }, { shape: [2, 2, 3, 3] }, { shape: [2] }], args: [{ kernel: [3, 3], dilate: [2, 2], pad: [2, 2], numFilter: 2 }], label: 'dilate' },
      { inputs: [{ shape: [2, 4, 5, 5] }, { shape: [6, 2, 3, 3] }, { shape: [6] }], args: [{ kernel: [3, 3], numFilter: 6, numGroup: 2 }], label: 'groups' },
      { inputs: [{ shape: [1, 2, 6, 7] }, { shape: [3, 2, 2, 3] }, { shape: [3] }], args: [{ kernel: [2, 3], stride: [1, 2], numFilter: 3 }], label: 'rectangular kernel' },
      { inputs: [{ shape: [2, 3, 10] }, { shape: [4, 3, 3] }, { shape: [4] }], args: [{ kernel: [3], stride: [2], pad: [1], numFilter: 4, layout: 'NCW' }], label: '1-D' },
      { inputs: [{ shape: [3, 2, 5, 5], symbolic: true }, { shape: [4, 2, 3, 3] }, { shape: [4] }], args: [{ kernel: [3, 3], pad: [1, 1], numFilter: 4 }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2, 5], symbolic: true }, { shape: [3, 2, 2] }], args: [{ kernel: [2], numFilter: 3, noBias: true }], label: 'symbolic batch 1-D' },
      { inputs: [{ shape: [1, 2, 5, 5], dtype: 'float64' }, { shape: [3, 2, 3, 3], dtype: 'float64' }, { shape: [3], dtype: 'float64' }], args: [{ kernel: [3, 3], numFilter: 3 }], label: 'float64' },
    ],
    ref: CONV_REF,
  },
  {
    op: 'convColumns',
    samples: [
      { inputs: [{ shape: [2, 2, 5, 5] }], args: [{ kernel: [3, 3], pad: [1, 1] }], label: 'pad' },
      { inputs: [{ shape: [3, 2, 8, 6] }], args: [{ kernel: [3, 2], stride: [2, 1], dilate: [1, 2], pad: [1, 0] }], label: 'stride, dilate, pad (a row the stride skips)' },
      { inputs: [{ shape: [2, 3, 9] }], args: [{ kernel: [3], stride: [2], dilate: [2], pad: [2] }], label: '1-D' },
      { inputs: [{ shape: [2, 1, 3, 4, 3] }], args: [{ kernel: [2, 2, 2], stride: [1, 2, 1], pad: [0, 1, 1] }], label: '3-D' },
      { inputs: [{ shape: [3, 2, 4, 4], symbolic: true }], args: [{ kernel: [2, 2], stride: [2, 2] }], label: 'symbolic batch' },
      { inputs: [{ shape: [2, 2, 4, 4], dtype: 'float64' }], args: [{ kernel: [3, 3], pad: [2, 2], stride: [3, 3] }], label: 'float64, taps only in the padding' },
      { inputs: [{ shape: [2, 1, 4, 4], dtype: 'float16' }], args: [{ kernel: [2, 2], pad: [1, 1] }], label: 'float16' },
    ],
    ref: COLUMNS_REF,
  },
  {
    op: 'Deconvolution',
    samples: [
      { inputs: [{ shape: [1, 3, 4, 4] }, { shape: [3, 2, 3, 3] }], args: [{ kernel: [3, 3], numFilter: 2 }] },
      { inputs: [{ shape: [2, 2, 3, 3] }, { shape: [2, 3, 4, 4] }, { shape: [3] }], args: [{ kernel: [4, 4], stride: [2, 2], pad: [1, 1], numFilter: 3, noBias: false }], label: 'stride, pad, bias' },
      { inputs: [{ shape: [1, 2, 3, 3] }, { shape: [2, 2, 3, 3] }], args: [{ kernel: [3, 3], stride: [2, 2], pad: [1, 1], adj: [1, 1], numFilter: 2 }], label: 'adj' },
      { inputs: [{ shape: [1, 4, 3, 3] }, { shape: [4, 1, 3, 3] }], args: [{ kernel: [3, 3], numFilter: 2, numGroup: 2 }], label: 'groups' },
      { inputs: [{ shape: [1, 2, 4, 4] }, { shape: [2, 2, 3, 3] }], args: [{ kernel: [3, 3], dilate: [2, 2], numFilter: 2 }], label: 'dilate' },
      { inputs: [{ shape: [2, 3, 5] }, { shape: [3, 2, 3] }], args: [{ kernel: [3], stride: [2], numFilter: 2 }], label: '1-D' },
      // onnxruntime 1.30's 1-D Col2Im misplaces dilated taps (the 2-D one is right): a hybridized Conv1D's data gradient was wrong.
      { inputs: [{ shape: [2, 3, 4] }, { shape: [3, 2, 4] }], args: [{ kernel: [4], stride: [3], pad: [2], dilate: [2], adj: [1], numFilter: 2 }], label: '1-D dilate, stride, pad, adj' },
      { inputs: [{ shape: [1, 2, 5] }, { shape: [2, 2, 3] }], args: [{ kernel: [3], dilate: [2], numFilter: 2 }], label: '1-D dilate' },
      { inputs: [{ shape: [3, 2, 3, 3], symbolic: true }, { shape: [2, 2, 2, 2] }, { shape: [2] }], args: [{ kernel: [2, 2], stride: [2, 2], numFilter: 2, noBias: false }], label: 'symbolic batch' },
      { inputs: [{ shape: [1, 2, 3, 3], dtype: 'float64' }, { shape: [2, 2, 3, 3], dtype: 'float64' }], args: [{ kernel: [3, 3], stride: [2, 2], numFilter: 2 }], label: 'float64' },
      // Small images lower to MatMul + Col2Im from opset 18 (adj above pad, 3-D and large images to ConvTranspose).
      { inputs: [{ shape: [2, 4, 3, 4] }, { shape: [4, 3, 2, 3] }, { shape: [6] }], args: [{ kernel: [2, 3], stride: [2, 1], pad: [1, 0], adj: [1, 0], numFilter: 6, numGroup: 2, noBias: false }], label: 'groups, stride, adj, bias' },
      { inputs: [{ shape: [1, 2, 3, 3] }, { shape: [2, 2, 3, 3] }], args: [{ kernel: [3, 3], stride: [2, 2], adj: [1, 1], numFilter: 2 }], label: 'adj above pad' },
      { inputs: [{ shape: [1, 2, 2, 3, 2] }, { shape: [2, 3, 2, 2, 2] }], args: [{ kernel: [2, 2, 2], stride: [1, 2, 1], numFilter: 3 }], label: '3-D' },
      { inputs: [{ shape: [1, 8, 24, 24] }, { shape: [8, 16, 3, 3] }], args: [{ kernel: [3, 3], pad: [1, 1], numFilter: 16 }], label: 'a large image' },
    ],
    ref: DECONV_REF,
  },
  {
    op: 'Pooling',
    samples: [
      // The first four (max with overlapping windows, avg, sum, global) also drive the gradient table.
      { inputs: [{ shape: [1, 2, 6, 6] }], args: [{ kernel: [3, 3], stride: [2, 2], poolingConvention: 'full' }], label: 'max, full' },
      { inputs: [{ shape: [1, 2, 6, 6] }], args: [{ kernel: [3, 3], stride: [2, 2], pad: [1, 1], poolType: 'avg', poolingConvention: 'full', countIncludePad: false }], label: 'avg, full, countIncludePad=false' },
      { inputs: [{ shape: [1, 2, 6, 6] }], args: [{ kernel: [2, 2], stride: [2, 2], pad: [1, 1], poolType: 'sum' }], label: 'sum' },
      { inputs: [{ shape: [2, 3, 4, 4] }], args: [{ globalPool: true }], label: 'global max' },
      { inputs: [{ shape: [2, 3, 6, 6] }], args: [{ kernel: [2, 2], stride: [2, 2] }], label: 'max' },
      { inputs: [{ shape: [1, 2, 5, 5] }], args: [{ kernel: [3, 3], pad: [1, 1], poolType: 'avg' }], label: 'avg, pad' },
      { inputs: [{ shape: [1, 2, 5, 5] }], args: [{ kernel: [3, 3], pad: [1, 1], poolType: 'avg', countIncludePad: false }], label: 'avg, countIncludePad=false' },
      { inputs: [{ shape: [1, 2, 6, 6] }], args: [{ kernel: [3, 3], stride: [2, 2], poolType: 'sum', poolingConvention: 'full' }], label: 'sum, full' },
      { inputs: [{ shape: [1, 2, 8, 7] }], args: [{ kernel: [3, 3], stride: [2, 2], pad: [1, 1], poolType: 'sum', poolingConvention: 'full' }], label: 'sum, full, pad' },
      { inputs: [{ shape: [1, 2, 6, 6] }], args: [{ kernel: [3, 3], stride: [2, 2], pad: [1, 1], poolType: 'avg', poolingConvention: 'full' }], label: 'avg, full' },
      { inputs: [{ shape: [3, 3, 4, 5], symbolic: true }], args: [{ globalPool: true, poolType: 'avg' }], label: 'global avg, symbolic batch' },
      { inputs: [{ shape: [2, 3, 4, 4] }], args: [{ globalPool: true, poolType: 'sum' }], label: 'global sum' },
      { inputs: [{ shape: [2, 3, 8] }], args: [{ kernel: [3], stride: [2] }], label: '1-D max' },
      { inputs: [{ shape: [2, 3, 8], symbolic: true }], args: [{ kernel: [2], stride: [2], poolType: 'avg' }], label: '1-D avg, symbolic batch' },
      { inputs: [{ shape: [4, 2, 6, 6], symbolic: true }], args: [{ kernel: [3, 3], stride: [1, 1], pad: [1, 1] }], label: 'max, symbolic batch' },
      { inputs: [{ shape: [1, 2, 4, 4, 4] }], args: [{ kernel: [2, 2, 2], stride: [2, 2, 2] }], label: '3-D max' },
      { inputs: [{ shape: [1, 2, 5, 5], dtype: 'float64' }], args: [{ kernel: [2, 2], poolType: 'avg' }], label: 'float64 avg' },
      { inputs: [{ shape: [1, 2, 5, 5], dtype: 'float64' }], args: [{ kernel: [3, 3], stride: [2, 2], poolingConvention: 'full' }], label: 'float64 max' },
      { inputs: [{ shape: [2, 3, 4, 4], dtype: 'float64' }], args: [{ globalPool: true, poolType: 'avg' }], label: 'float64 global avg' },
      { inputs: [{ shape: [1, 2, 6, 6], dtype: 'float64' }], args: [{ kernel: [3, 3], stride: [2, 2], poolType: 'sum', poolingConvention: 'full' }], label: 'float64 sum, full' },
    ],
    ref: POOL_REF,
  },
  { op: 'poolingGrad', samples: poolPairSamples(false), ref: POOL_GRAD_REF },
  { op: 'poolingPick', samples: poolPairSamples(true), ref: POOL_PICK_REF },
];
