/**
 * The importer of ONNX's LinearAttention (opset 27) onto gluonc's operators,
 * following ONNX's reference implementation
 * (onnx/reference/ops/op_linear_attention.py) step by step. The recurrence
 * over the sequence is unrolled over its length T, which must be known when
 * the file is read (as a Scan is: compiler/onnx/read-control.ts), one step a
 * handful of einsums, so gradients and export come from those operators:
 * - query/key/value [B, T, heads * d] are split into heads ([B, heads, T, d]:
 *   `q_num_heads` for the query, `kv_num_heads` for key and value);
 * - `decay` (log-space, [B, T, H_kv] per head or [B, T, H_kv * d_k] per key
 *   dimension) and `beta` ([B, T, H_kv] or [B, T, 1]) likewise;
 * - the state S [B, H_kv, d_k, d_v] starts at `past_state` (else zeros) and
 *   per step t: `S *= exp(g_t)` (gated rules), `v_t = β_t (v_t - Sᵀ k_t)`
 *   (delta rules), `S += k_t ⊗ v_t`, then `o_t = scale · q_tᵀ S` with each
 *   K/V head's state read by its `q_num_heads / kv_num_heads` query heads
 *   (query head h reads K/V head ⌊h / group⌋: GQA, MQA);
 * - `scale` 0 (the default) is 1/√d_k;
 * - computed in float32 as the reference does (float16 inputs too); the
 *   output in the query's dtype, `present_state` in `past_state`'s (else the
 *   query's). `chunk_size` is a tuning hint without effect on the result.
 * Invariant: what the spec and the reference do not define (or the reference
 * refuses) is refused by name (`c.refuse`), never approximated.
 */
import type { Value } from '../../ir/value.js';
import { castTo, LOOP_UNROLL_MAX, requireOpset, type Builder, type ImportCtx } from './context.js';

const RULES = ['linear', 'gated', 'delta', 'gated_delta'];
const FLOATS = ['float32', 'float16'];

/** [B, T, heads * d] -> [B, heads, T, d] (d known: `hidden / heads`). */
function heads(c: ImportCtx, x: Value, n: number, d: number): Value {
  return c.op('transpose', [c.op('reshape', [x], { shape: [0, 0, n, d] })], { axes: [0, 2, 1, 3] });
}

/** The last axis of `x` as a known size, or a refusal naming `what`. */
function lastDim(c: ImportCtx, x: Value, what: string): number {
  const d = x.type.shape[x.type.shape.length - 1]!;
  if (typeof d !== 'number') throw c.refuse(`${what}'s last axis has symbolic size ${d} (its heads are split by a size known when the file is read)`);
  return d;
}

/** `x` split along axis 2 into its T steps, each without that axis. */
function steps(c: ImportCtx, x: Value, t: number): Value[] {
  return t === 1 ? [c.op('squeeze', [x], { axis: 2 })] : c.ops('split', [x], { numOutputs: t, axis: 2, squeezeAxis: true });
}

const linearAttention: Builder = (c) => {
  requireOpset(c, 27);
  c.attr.ignore('chunk_size'); // a tuning hint without effect on the result
  if (c.nInputs > 6) throw c.refuse(`${c.nInputs} inputs (LinearAttention takes at most 6: query, key, value, past_state, decay, beta)`);
  const rule = c.attr.str('update_rule', 'gated_delta');
  if (!RULES.includes(rule)) throw c.refuse(`update_rule '${rule}' (one of ${RULES.join(', ')})`);
  const [gating, delta] = [rule.startsWith('gated'), rule.endsWith('delta')];
  const [query, key, value] = [c.input(0), c.input(1), c.input(2)];
  const [past, decay, beta] = [c.optInput(3), c.optInput(4), c.optInput(5)];
  if (gating !== !!decay) throw c.refuse(`update_rule '${rule}' ${gating ? 'requires' : 'forbids'} the decay input`);
  if (delta !== !!beta) throw c.refuse(`update_rule '${rule}' ${delta ? 'requires' : 'forbids'} the beta input`);
  const hq = c.attr.int('q_num_heads', 0);
  const hkv = c.attr.int('kv_num_heads', 0);
  if (!(hq > 0) || !(hkv > 0) || hq % hkv !== 0) throw c.refuse(`q_num_heads ${hq} and kv_num_heads ${hkv} (q_num_heads must be a positive multiple of kv_num_heads)`);
  const dtype = query.type.dtype;
  if (!FLOATS.includes(dtype)) throw c.refuse(`query of dtype ${dtype} (float32 or float16)`);
  const named: [Value | null, string][] = [[query, 'query'], [key, 'key'], [value, 'value'], [decay, 'decay'], [beta, 'beta']];
  for (const [v, n] of named) {
    if (!v) continue;
    if (v.type.dtype !== dtype) throw c.refuse(`${n} of dtype ${v.type.dtype} with query of dtype ${dtype}`);
    if (v.type.shape.length !== 3) throw c.refuse(`${n} of rank ${v.type.shape.length} (it is [B, T, heads * d])`);
  }
  const [b, t] = query.type.shape as [number | string, number | string];
  for (const [v, n] of named.slice(1)) {
    if (!v) continue;
    const [vb, vt] = v.type.shape;
    if ((typeof b === 'number' && typeof vb === 'number' && vb !== b) || vt !== t) throw c.refuse(`query [${query.type.shape.join(', ')}] and ${n} [${v.type.shape.join(', ')}] differ in batch or sequence length`);
  }
  if (typeof t !== 'number') throw c.refuse(`a sequence length of symbolic size ${t}: the recurrence is unrolled over a length known when the file is read`);
  if (t < 1) throw c.refuse('a sequence of 0 tokens (its output would hold no step)');
  if (t > LOOP_UNROLL_MAX) throw c.refuse(`a sequence length ${t} above the ${LOOP_UNROLL_MAX} steps gluonc unrolls`);
  const [qh, kh, vh] = [lastDim(c, query, 'query'), lastDim(c, key, 'key'), lastDim(c, value, 'value')];
  if (qh % hq !== 0) throw c.refuse(`query of hidden size ${qh}, which q_num_heads = ${hq} does not divide`);
  const dk = qh / hq;
  if (kh !== hkv * dk) throw c.refuse(`key of hidden size ${kh} for kv_num_heads ${hkv} × d_k ${dk} (d_k from query)`);
  if (vh % hkv !== 0) throw c.refuse(`value of hidden size ${vh}, which kv_num_heads = ${hkv} does not divide`);
  const dv = vh / hkv;
  const group = hq / hkv;
  const f32 = (x: Value) => castTo(c, x, 'float32');

  const q = f32(heads(c, query, hq, dk));
  const k = f32(heads(c, key, hkv, dk));
  const v = f32(heads(c, value, hkv, dv));
  // exp(g) as [B, H_kv, T, d_k or 1, 1]: it scales the state's rows (d_k) over every d_v.
  let eg: Value | null = null;
  if (decay) {
    const n = lastDim(c, decay, 'decay');
    if (n !== hkv && n !== hkv * dk) throw c.refuse(`decay's last axis of size ${n} (kv_num_heads ${hkv} or kv_num_heads × d_k ${hkv * dk})`);
    eg = c.op('expandDims', [c.op('exp', [f32(heads(c, decay, hkv, n / hkv))])], { axis: -1 });
  }
  // β as [B, H_kv or 1, T, 1].
  let bt: Value | null = null;
  if (beta) {
    const n = lastDim(c, beta, 'beta');
    if (n !== hkv && n !== 1) throw c.refuse(`beta's last axis of size ${n} (kv_num_heads ${hkv} or 1)`);
    bt = f32(heads(c, beta, n, 1));
  }
  let state: Value | null = null;
  if (past) {
    if (!FLOATS.includes(past.type.dtype)) throw c.refuse(`past_state of dtype ${past.type.dtype} (float32 or float16)`);
    const ps = past.type.shape;
    const want = [b, hkv, dk, dv];
    if (ps.length !== 4 || ps.some((d, i) => typeof d === 'number' && typeof want[i] === 'number' && d !== want[i])) {
      throw c.refuse(`past_state of shape [${ps.join(', ')}] (it is [B, kv_num_heads, d_k, d_v] = [${want.join(', ')}])`);
    }
    state = f32(past);
  }

  const [qs, ks, vs] = [steps(c, q, t), steps(c, k, t), steps(c, v, t)];
  const [es, bs] = [eg ? steps(c, eg, t) : null, bt ? steps(c, bt, t) : null];
  const outs: Value[] = [];
  for (let i = 0; i < t; i++) {
    let vi = vs[i]!;
    // Without a past, the state before the first step is zeros: no decay to apply, nothing to retrieve.
    if (state && es) state = c.op('mul', [state, es[i]!]);
    if (bs) {
      if (state) vi = c.op('sub', [vi, c.op('einsum', [state, ks[i]!], { equation: 'bhdm,bhd->bhm' })]);
      vi = c.op('mul', [bs[i]!, vi]);
    }
    const write = c.op('einsum', [ks[i]!, vi], { equation: 'bhd,bhm->bhdm' });
    state = state ? c.op('add', [state, write]) : write;
    // Query head h = kv head * group + g reads its kv head's state.
    outs.push(group === 1
      ? c.op('einsum', [qs[i]!, state], { equation: 'bhd,bhdm->bhm' })
      : c.op('reshape', [c.op('einsum', [c.op('reshape', [qs[i]!], { shape: [0, hkv, group, dk] }), state], { equation: 'bhgd,bhdm->bhgm' })], { shape: [0, hq, dv] }));
  }
  const scale0 = c.attr.float('scale', 0);
  const scale = scale0 === 0 ? 1 / Math.sqrt(dk) : scale0;
  if (!Number.isFinite(scale)) throw c.refuse(`scale ${scale0}`);
  // [B, H_q, T, d_v] -> [B, T, H_q * d_v].
  const o = c.op('mul', [c.op('stack', outs, { axis: 2 }), c.scalar(scale, 'float32')]);
  const y = castTo(c, c.op('reshape', [c.op('transpose', [o], { axes: [0, 2, 1, 3] })], { shape: [0, 0, -1] }), dtype as never);
  return [y, castTo(c, state!, (past ?? query).type.dtype as never)];
};

/** The importers of this file by ONNX operator. */
export const LINEAR_ATTENTION_IMPORTS: Readonly<Record<string, Builder>> = { LinearAttention: linearAttention };
