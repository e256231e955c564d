/**
 * Independent references for the attention and transformer layers: the
 * formulas written out in numpy float64 (Vaswani et al. 2017 / d2l.ai's
 * chapter 11), their gradients by central finite differences in float64, and
 * PyTorch's own modules (torch.nn.MultiheadAttention,
 * TransformerEncoderLayer, TransformerDecoderLayer) with copied weights.
 * Everything runs in one python process per `numpyRefs` call.
 */
import type { gluon, nd } from 'gluonc';
import type { NumpyJob } from './numpy.js';

/** The numpy definitions every reference job starts with (params in `P`, by gluonc's names). */
export const NP_DEFS = String.raw`
P = {k: np.array(v['data'], dtype=np.float64).reshape(v['shape']) for k, v in attrs['params'].items()}
X = [np.array(v['data'], dtype=np.float64).reshape(v['shape']) if v is not None else None for v in attrs['inputs']]
def lin(x, pre):
    y = x @ P[pre + 'weight'].T
    b = P.get(pre + 'bias')
    return y if b is None else y + b
def masked_softmax(s, m):
    valid = np.broadcast_to(m, s.shape) != 0
    mx = np.where(valid, s, -np.inf).max(axis=-1, keepdims=True)
    mx = np.where(np.isfinite(mx), mx, 0.0)
    e = np.where(valid, np.exp(s - mx), 0.0)
    z = e.sum(axis=-1, keepdims=True)
    return np.where(z > 0, e / np.where(z > 0, z, 1.0), 0.0)
def mha(q, k, v, mask, pre, H):
    N, Tq, _ = q.shape
    Tk = k.shape[1]
    U = P[pre + 'query_weight'].shape[0]
    d = U // H
    heads = lambda x, T: x.reshape(N, T, H, d).transpose(0, 2, 1, 3)
    Q = heads(lin(q, pre + 'query_'), Tq)
    K = heads(lin(k, pre + 'key_'), Tk)
    V = heads(lin(v, pre + 'value_'), Tk)
    S = Q @ K.transpose(0, 1, 3, 2) / math.sqrt(d)
    m = np.ones((N, Tq, Tk)) if mask is None else np.broadcast_to(mask, (N, Tq, Tk))
    A = masked_softmax(S, m[:, None, :, :])
    C = (A @ V).transpose(0, 2, 1, 3).reshape(N, Tq, U)
    return lin(C, pre + 'out_')
def ln(x, pre, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * P[pre + 'gamma'] + P[pre + 'beta']
erf = np.vectorize(math.erf)
def ffn(x, act):
    h = lin(x, 'ffn1.')
    h = np.maximum(h, 0.0) if act == 'relu' else 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
    return lin(h, 'ffn2.')
def causal(T):
    return np.tril(np.ones((T, T)))
def encoder(x, mask, H, act, pre_norm, is_causal):
    T = x.shape[1]
    m = mask
    if is_causal:
        m = causal(T) if m is None else causal(T) * m
    sa = lambda y: mha(y, y, y, m, 'attention.', H)
    if pre_norm:
        x = x + sa(ln(x, 'norm1.'))
        return x + ffn(ln(x, 'norm2.'), act)
    x = ln(x + sa(x), 'norm1.')
    return ln(x + ffn(x, act), 'norm2.')
def decoder(x, mem, mem_mask, H, act, pre_norm):
    m = causal(x.shape[1])
    sa = lambda y: mha(y, y, y, m, 'selfAttention.', H)
    ca = lambda y: mha(y, mem, mem, mem_mask, 'crossAttention.', H)
    if pre_norm:
        x = x + sa(ln(x, 'norm1.'))
        x = x + ca(ln(x, 'norm2.'))
        return x + ffn(ln(x, 'norm3.'), act)
    x = ln(x + sa(x), 'norm1.')
    x = ln(x + ca(x), 'norm2.')
    return ln(x + ffn(x, act), 'norm3.')
def with_grads(f, diff_inputs):
    """[f(), then d(sum(f * head))/d param for each param in P's order, then for each input index in diff_inputs]."""
    y = f()
    head = np.array(attrs['head'], dtype=np.float64).reshape(y.shape)
    loss = lambda: float((f() * head).sum())
    def fd(arr):
        g = np.zeros_like(arr)
        flat = arr.reshape(-1)
        gf = g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + 1e-6
            hi = loss()
            flat[i] = old - 1e-6
            lo = loss()
            flat[i] = old
            gf[i] = (hi - lo) / 2e-6
        return g
    return [y] + [fd(P[k]) for k in P] + [fd(X[i]) for i in diff_inputs]
`;

/** PyTorch's modules in float64 with gluonc's weights copied in. */
export const TORCH_DEFS = String.raw`
import torch
torch.set_default_dtype(torch.float64)
T_ = lambda a: torch.tensor(np.ascontiguousarray(a))
def load_mha(m, pre):
    with torch.no_grad():
        m.in_proj_weight.copy_(T_(np.concatenate([P[pre + 'query_weight'], P[pre + 'key_weight'], P[pre + 'value_weight']])))
        m.in_proj_bias.copy_(T_(np.concatenate([P[pre + 'query_bias'], P[pre + 'key_bias'], P[pre + 'value_bias']])))
        m.out_proj.weight.copy_(T_(P[pre + 'out_weight']))
        m.out_proj.bias.copy_(T_(P[pre + 'out_bias']))
def load_common(m, norms):
    with torch.no_grad():
        m.linear1.weight.copy_(T_(P['ffn1.weight'])); m.linear1.bias.copy_(T_(P['ffn1.bias']))
        m.linear2.weight.copy_(T_(P['ffn2.weight'])); m.linear2.bias.copy_(T_(P['ffn2.bias']))
        for i in range(1, norms + 1):
            getattr(m, 'norm%d' % i).weight.copy_(T_(P['norm%d.gamma' % i]))
            getattr(m, 'norm%d' % i).bias.copy_(T_(P['norm%d.beta' % i]))
def bool_mask(m, N, H):
    """gluonc's mask (1 = attend) as torch's attn_mask (True = not allowed): 2-D as is, 3-D per head."""
    if m is None:
        return None
    b = T_(m == 0)
    return b if b.dim() == 2 else torch.repeat_interleave(b, H, dim=0)
def sub_params(pre):
    """The parameters under prefix \`pre\` (e.g. 'blocks.0.'), prefix dropped, for load_mha/load_common (assign to P)."""
    return {k[len(pre):]: v for k, v in P_ALL.items() if k.startswith(pre)}
P_ALL = P
def layer_grad(m, name):
    """The gradient torch computed for gluonc's parameter \`name\` (e.g. 'attention.query_weight', 'ffn1.bias', 'norm2.gamma') of layer m."""
    for a, tn in {'attention.': 'self_attn', 'selfAttention.': 'self_attn', 'crossAttention.': 'multihead_attn'}.items():
        if name.startswith(a):
            mha = getattr(m, tn)
            rest = name[len(a):]
            kind = rest.split('_')[0]
            if kind == 'out':
                return (mha.out_proj.weight if rest.endswith('weight') else mha.out_proj.bias).grad.numpy()
            U = mha.embed_dim
            i = {'query': 0, 'key': 1, 'value': 2}[kind]
            g = (mha.in_proj_weight if rest.endswith('weight') else mha.in_proj_bias).grad.numpy()
            return g[i * U:(i + 1) * U]
    layer, what = name.split('.')
    t = {'ffn1': 'linear1', 'ffn2': 'linear2'}.get(layer, layer)
    return getattr(getattr(m, t), {'gamma': 'weight', 'beta': 'bias'}.get(what, what)).grad.numpy()
`;

/** Flat float64 values of an array. */
export const nums = (x: nd.NDArray): number[] => Array.from(x.data() as ArrayLike<number>);

/** An array for the reference jobs (null stays null). */
export const enc = (x: nd.NDArray | null | undefined) => (x ? { shape: x.shape, data: nums(x) } : null);

/** The block's parameters by structural name, as the references read them. */
export function paramsOf(block: gluon.Block): Record<string, { shape: number[]; data: number[] }> {
  return Object.fromEntries([...block.collectParams().entries()].map(([k, p]) => [k, { shape: p.shape as number[], data: nums(p.data()) }]));
}

/**
 * A reference job: `code` (after the definitions, setting `out`) with the
 * block's parameters, the inputs as `X[i]` and any further attributes.
 *
 * ```ts
 * refJob(att, 'out = mha(X[0], X[1], X[2], X[3], "", 2)', [q, k, v, mask]);
 * ```
 */
export function refJob(block: gluon.Block, code: string, inputs: (nd.NDArray | null)[], attrs: Record<string, unknown> = {}, torch = false): NumpyJob {
  return {
    code: NP_DEFS + (torch ? TORCH_DEFS : '') + code,
    inputs: [],
    attrs: { params: paramsOf(block), inputs: inputs.map(enc), ...attrs },
  };
}
