/**
 * The importer of ONNX's Attention (opsets 23, 24 and 25) onto gluonc's
 * operators, following ONNX's reference implementation
 * (onnx/reference/ops/op_attention.py) step by step:
 * - 3-D Q/K/V [B, S, heads * D] are split into heads by `q_num_heads` and
 *   `kv_num_heads` ([B, heads, S, D]); 4-D inputs are taken as they are;
 * - `past_key`/`past_value` are concatenated before K/V along the sequence
 *   (the `present_key`/`present_value` outputs);
 * - K/V heads are repeated (each one `q_num_heads / kv_num_heads` times in
 *   place: GQA and MQA);
 * - scores `(Q·√scale) (K·√scale)ᵀ` (scale 1/√head_size by default), then
 *   `softcap·tanh(s / softcap)` when softcap > 0;
 * - one additive bias: the mask (bool: 0 where true, -inf where false; float:
 *   added as it is; its last axis padded with -inf up to the keys' length)
 *   plus -inf where the causal rule (`j <= i + offset`), the window
 *   (`-left <= i + offset - j <= right`) or `nonpad_kv_seqlen` (`j < n[b]`)
 *   exclude a key; `offset` is the past length, or `nonpad_kv_seqlen - S_q`
 *   per batch, else 0;
 * - softmax (in `softmax_precision` when given) over the keys; a row whose
 *   bias is -inf everywhere gives zeros, never NaN;
 * - the 4th output per `qk_matmul_output_mode` (0 raw scores, 1 after
 *   softcap, 2 with the bias, 3 the probabilities). Mode 0 with softcap
 *   gives the raw scores, as the spec and onnxruntime do (ONNX's reference
 *   1.23 gives them after softcap).
 * And TensorScatter (opset 24), the KV-cache update: per batch `b`, cache
 * position `p` takes `update[k]` where `k = p - write_indices[b]` (circular:
 * modulo the cache length) lies in [0, S_update), else keeps `past_cache`;
 * a `where` over a one-hot selection of the update's positions. Linear
 * mode's `write_indices` outside [0, max_len - S_update] fail the run.
 * Invariant: what the spec and the reference do not define (or the
 * reference refuses) is refused by name (`c.refuse`), never approximated.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Dim } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { castTo, dtypeOf, requireOpset, type Builder, type ImportCtx } from './context.js';

const FLOATS = ['float32', 'float64', 'float16'];

/** 1-D int64 positions 0..n-1 along `axis` of `x`: a constant when the size is known, else read when the graph runs. */
function positions(c: ImportCtx, x: Value, axis: number): Value {
  const n = x.type.shape[axis]!;
  if (typeof n === 'number') return c.constant(tensorFromNumbers('int64', [n], Array.from({ length: n }, (_v, i) => i)));
  return c.op('arangeLike', [x], { axis, dtype: 'int64' });
}

/** The size of `axis` of `x` as a 0-d int64 value. */
function sizeOf(c: ImportCtx, x: Value, axis: number): Value {
  const n = x.type.shape[axis]!;
  return typeof n === 'number' ? c.scalar(n, 'int64') : c.op('shapeArray', [x], { axis });
}

/** [B, S, heads * D] -> [B, heads, S, D]. */
function splitHeads(c: ImportCtx, x: Value, heads: number, what: string): Value {
  const hidden = x.type.shape[2]!;
  if (typeof hidden !== 'number' || hidden % heads !== 0) throw c.refuse(`${what} of hidden size ${String(hidden)}, which ${what === 'Q' ? 'q_num_heads' : 'kv_num_heads'} = ${heads} does not divide`);
  return c.op('transpose', [c.op('reshape', [x], { shape: [0, 0, heads, hidden / heads] })], { axes: [0, 2, 1, 3] });
}

/** `where(allowed, 0, -inf)` in `dtype`. */
function toBias(c: ImportCtx, allowed: Value, dtype: string): Value {
  return c.op('where', [allowed, c.scalar(0, dtype as never), c.scalar(-Infinity, dtype as never)]);
}

/** The mask as an additive bias over the keys' length `kv` (see the file comment). */
function maskBias(c: ImportCtx, mask: Value, kv: Dim, dtype: string): Value {
  const ms = mask.type.shape;
  if (ms.length < 1 || ms.length > 4) throw c.refuse(`attn_mask of rank ${ms.length} (it must broadcast to [B, q_num_heads, S_q, S_kv])`);
  let bias: Value;
  if (mask.type.dtype === 'bool') bias = toBias(c, mask, dtype);
  else if (mask.type.dtype === dtype) bias = mask;
  else throw c.refuse(`attn_mask of dtype ${mask.type.dtype} (a bool mask or a float mask of Q's dtype ${dtype})`);
  const last = ms[ms.length - 1]!;
  if (last === kv) return bias;
  if (typeof last !== 'number' || typeof kv !== 'number' || last > kv) {
    throw c.refuse(`attn_mask's last axis of size ${String(last)} for ${String(kv)} keys (it may be shorter, padded with -inf, not longer)`);
  }
  const width = new Array<number>(2 * ms.length).fill(0);
  width[2 * ms.length - 1] = kv - last;
  return c.op('pad', [bias], { mode: 'constant', padWidth: width, constantValue: -Infinity });
}

const attention: Builder = (c) => {
  requireOpset(c, 23);
  const [q0, k0, v0] = [c.input(0), c.input(1), c.input(2)];
  const maxInputs = c.opset >= 24 ? 7 : 6;
  if (c.nInputs > maxInputs) throw c.refuse(`${c.nInputs} inputs (Attention-${c.opset >= 24 ? 24 : 23} takes at most ${maxInputs})`);
  const [mask, pastK, pastV] = [c.optInput(3), c.optInput(4), c.optInput(5)];
  const nonpad = c.nInputs > 6 ? c.optInput(6) : null;
  const dtype = q0.type.dtype;
  if (!FLOATS.includes(dtype)) throw c.refuse(`Q of dtype ${dtype} (float32, float64 or float16)`);
  for (const [v, n] of [[k0, 'K'], [v0, 'V'], [pastK, 'past_key'], [pastV, 'past_value']] as const) {
    if (v && v.type.dtype !== dtype) throw c.refuse(`${n} of dtype ${v.type.dtype} with Q of dtype ${dtype}`);
  }
  if (!pastK !== !pastV) throw c.refuse('past_key without past_value or the other way round (they go together)');
  if (nonpad && pastK) throw c.refuse('nonpad_kv_seqlen together with past_key/past_value');
  const rank = q0.type.shape.length;
  if ((rank !== 3 && rank !== 4) || k0.type.shape.length !== rank || v0.type.shape.length !== rank) {
    throw c.refuse(`Q, K, V of ranks ${rank}, ${k0.type.shape.length}, ${v0.type.shape.length} (all 3-D [B, S, hidden] or all 4-D [B, heads, S, D])`);
  }
  const hq = c.attr.has('q_num_heads') ? c.attr.int('q_num_heads', 0) : null;
  const hkv = c.attr.has('kv_num_heads') ? c.attr.int('kv_num_heads', 0) : null;
  let q: Value, k: Value, v: Value;
  if (rank === 3) {
    if (!(hq! > 0) || !(hkv! > 0)) throw c.refuse('3-D Q/K/V without positive q_num_heads and kv_num_heads');
    [q, k, v] = [splitHeads(c, q0, hq!, 'Q'), splitHeads(c, k0, hkv!, 'K'), splitHeads(c, v0, hkv!, 'V')];
  } else {
    if (c.opset >= 25 && (hq !== null || hkv !== null)) throw c.refuse('q_num_heads/kv_num_heads with 4-D inputs (Attention-25 forbids them)');
    if ((hq !== null && hq !== q0.type.shape[1]) || (hkv !== null && hkv !== k0.type.shape[1])) {
      throw c.refuse(`q_num_heads ${String(hq)} / kv_num_heads ${String(hkv)} unlike the 4-D inputs' heads ${String(q0.type.shape[1])} / ${String(k0.type.shape[1])}`);
    }
    [q, k, v] = [q0, k0, v0];
  }
  for (const [p, n] of [[pastK, 'past_key'], [pastV, 'past_value']] as const) {
    if (p && p.type.shape.length !== 4) throw c.refuse(`${n} of rank ${p.type.shape.length} (it is [B, kv_num_heads, S_past, D])`);
  }
  const headSize = q.type.shape[3]!;
  if (typeof headSize === 'number' && typeof k.type.shape[3] === 'number' && k.type.shape[3] !== headSize) {
    throw c.refuse(`Q's head size ${headSize} and K's ${k.type.shape[3]} differ`);
  }
  let scale: number;
  if (c.attr.has('scale')) scale = c.attr.float('scale', 0);
  else if (typeof headSize === 'number') scale = 1 / Math.sqrt(headSize);
  else throw c.refuse(`a head size of ${headSize} without the scale attribute (its default 1/sqrt(head_size) needs the size known)`);
  if (!(scale >= 0) || !Number.isFinite(scale)) throw c.refuse(`scale ${scale} (Q and K are scaled by its square root)`);
  if (pastK) [k, v] = [c.op('concat', [pastK, k], { dim: 2 }), c.op('concat', [pastV!, v], { dim: 2 })];
  const [presentK, presentV] = [k, v];
  const [nq, nk, nv] = [q.type.shape[1]!, k.type.shape[1]!, v.type.shape[1]!];
  if (nq !== nk || nk !== nv) {
    if (typeof nq !== 'number' || typeof nk !== 'number' || nk !== nv || nk === 0 || nq % nk !== 0) {
      throw c.refuse(`${String(nq)} query heads and ${String(nk)} key / ${String(nv)} value heads (the query heads must be a multiple of the equal key and value heads)`);
    }
    [k, v] = [c.op('repeat', [k], { repeats: nq / nk, axis: 1 }), c.op('repeat', [v], { repeats: nq / nk, axis: 1 })];
  }

  // Scores, softcap.
  const root = c.scalar(Math.sqrt(scale), dtype);
  let s = c.op('einsum', [c.op('mul', [q, root]), c.op('mul', [k, root])], { equation: 'bhqd,bhkd->bhqk' });
  const raw = s;
  const softcap = c.attr.float('softcap', 0);
  if (softcap > 0) s = c.op('mul', [c.op('tanh', [c.op('div', [s, c.scalar(softcap, dtype)])]), c.scalar(softcap, dtype)]);
  const mode = c.attr.int('qk_matmul_output_mode', 0);
  const wantQk = !!c.outputNames[3];
  if (wantQk && (mode < 0 || mode > 3)) throw c.refuse(`qk_matmul_output_mode ${mode} (0, 1, 2 or 3)`);

  // The bias: the mask, then the positions the causal rule, the window and nonpad_kv_seqlen exclude.
  const kvLen = k.type.shape[2]!;
  const parts: Value[] = [];
  if (mask) parts.push(maskBias(c, mask, kvLen, dtype));
  const causal = c.attr.int('is_causal', 0) === 1;
  const [left, right] = [c.attr.int('left_window_size', -1), c.attr.int('right_window_size', -1)];
  if (c.opset < 25 && (c.attr.has('left_window_size') || c.attr.has('right_window_size'))) throw c.refuse(`left/right_window_size at opset ${c.opset} (Attention-25's attributes)`);
  if (left < -1 || right < -1) throw c.refuse(`window sizes left ${left}, right ${right} (-1 or nonnegative)`);
  const nonpadI = nonpad ? castTo(c, nonpad, 'int64') : null;
  if (causal || left >= 0 || right >= 0) {
    // diff = i + offset - j: [S_q, S_kv], or [B, 1, S_q, S_kv] with a per-batch offset.
    const i = c.op('reshape', [positions(c, q, 2)], { shape: [-1, 1] });
    const j = c.op('reshape', [positions(c, k, 2)], { shape: [1, -1] });
    let offset: Value | null = null;
    if (pastK) offset = sizeOf(c, pastK, 2);
    else if (nonpadI) offset = c.op('reshape', [c.op('sub', [nonpadI, sizeOf(c, q, 2)])], { shape: [-1, 1, 1, 1] });
    const diff = c.op('sub', [offset ? c.op('add', [i, offset]) : i, j]);
    const zero = c.scalar(0, 'int64');
    const rules: Value[] = [];
    if (causal) rules.push(c.op('greaterEqual', [diff, zero]));
    if (left >= 0) rules.push(c.op('lesserEqual', [diff, c.scalar(left, 'int64')]));
    if (right >= 0) rules.push(c.op('greaterEqual', [diff, c.scalar(-right, 'int64')]));
    parts.push(...rules.map((r) => toBias(c, r, dtype)));
  }
  if (nonpadI) {
    const j = c.op('reshape', [positions(c, k, 2)], { shape: [1, 1, 1, -1] });
    parts.push(toBias(c, c.op('lesser', [j, c.op('reshape', [nonpadI], { shape: [-1, 1, 1, 1] })]), dtype));
  }
  const bias = parts.length ? parts.slice(1).reduce((a, b) => c.op('add', [a, b]), parts[0]!) : null;
  let logits = bias ? c.op('add', [s, bias]) : s;
  const withBias = logits;

  // Softmax in softmax_precision; rows with no key allowed give zeros.
  const precision = c.attr.has('softmax_precision') ? dtypeOf(c, c.attr.int('softmax_precision', 1), 'softmax_precision') : dtype;
  if (!FLOATS.includes(precision)) throw c.refuse(`softmax_precision of dtype ${precision}`);
  logits = castTo(c, logits, precision as never);
  let p: Value;
  if (bias) {
    const dead = c.op('equal', [c.op('max', [bias], { axis: -1, keepdims: true }), c.scalar(-Infinity, dtype)]);
    const zeroP = c.scalar(0, precision as never);
    p = c.op('where', [dead, zeroP, c.op('softmax', [c.op('where', [dead, zeroP, logits])], { axis: -1 })]);
  } else p = c.op('softmax', [logits], { axis: -1 });
  p = castTo(c, p, dtype);
  let y = c.op('einsum', [p, v], { equation: 'bhqk,bhkd->bhqd' });
  if (rank === 3) y = c.op('reshape', [c.op('transpose', [y], { axes: [0, 2, 1, 3] })], { shape: [0, 0, -1] });
  const qk = [raw, s, withBias, p][mode] ?? raw;
  return [y, presentK, presentV, qk];
};

/** softmax_precision's dtype: the attribute's, else float32 for float16 inputs, else the inputs' own. */
function softmaxDType(c: ImportCtx, dtype: string): string {
  if (!c.attr.has('softmax_precision')) return dtype === 'float16' ? 'float32' : dtype;
  const p = dtypeOf(c, c.attr.int('softmax_precision', 1), 'softmax_precision');
  if (!FLOATS.includes(p)) throw c.refuse(`softmax_precision of dtype ${p} (float32, float64 or float16)`);
  return p;
}

/** One modifier subgraph (score_mod, prob_mod) applied to `x`: it must give one tensor of x's shape and dtype. */
function modify(c: ImportCtx, name: string, x: Value): Value {
  if (!c.attr.has(name)) return x;
  const outs = c.applyGraph(name, [x]);
  const y = outs[0];
  const same = (a: Dim[], b: Dim[]) => a.length === b.length && a.every((d, i) => typeof d !== 'number' || typeof b[i] !== 'number' || d === b[i]);
  if (outs.length !== 1 || !y || y.type.dtype !== x.type.dtype || !same(y.type.shape, x.type.shape)) {
    throw c.refuse(`its ${name} gives ${outs.map((o) => `${o.type.dtype}[${o.type.shape.join(', ')}]`).join(', ') || 'nothing'} for ${x.type.dtype}[${x.type.shape.join(', ')}] (one tensor of its input's shape and dtype)`);
  }
  return y;
}

/**
 * ai.onnx.preview's FlexAttention (ONNX 1.23: onnx/reference/ops/aionnx_preview/op_flex_attention.py):
 * scores `(Q·√scale) (K·√scale)ᵀ` in Q's dtype (√scale rounded to float32 first; scale 1/√head_size by
 * default), K/V heads repeated for GQA, then in the softmax precision `score_mod`, softmax over the keys,
 * `prob_mod` (the subgraphs inlined), `probs · V`, cast back to V's dtype. A row that score_mod masks
 * entirely (-inf everywhere) gives NaN, as the reference's softmax does (Attention's importer gives zeros there).
 */
const flexAttention: Builder = (c) => {
  if (c.nInputs !== 3) throw c.refuse(`${c.nInputs} inputs (FlexAttention takes Q, K, V)`);
  const [q, k0, v0] = [c.input(0), c.input(1), c.input(2)];
  const dtype = q.type.dtype;
  if (!FLOATS.includes(dtype)) throw c.refuse(`Q of dtype ${dtype} (float32, float64 or float16)`);
  for (const [x, n] of [[k0, 'K'], [v0, 'V']] as const) if (x.type.dtype !== dtype) throw c.refuse(`${n} of dtype ${x.type.dtype} with Q of dtype ${dtype}`);
  const [qs, ks, vs] = [q.type.shape, k0.type.shape, v0.type.shape];
  if (qs.length !== 4 || ks.length !== 4 || vs.length !== 4) throw c.refuse(`Q, K, V of ranks ${qs.length}, ${ks.length}, ${vs.length} (all 4-D [B, heads, S, D])`);
  const differ = (a: Dim, b: Dim) => typeof a === 'number' && typeof b === 'number' && a !== b;
  if (differ(ks[1]!, vs[1]!) || differ(ks[2]!, vs[2]!) || differ(qs[3]!, ks[3]!) || differ(qs[0]!, ks[0]!) || differ(ks[0]!, vs[0]!)) {
    throw c.refuse(`Q [${qs.join(', ')}], K [${ks.join(', ')}], V [${vs.join(', ')}] (K and V share batch, heads and length; Q and K the batch and head size)`);
  }
  const headSize = qs[3]!;
  let scale: number;
  if (c.attr.has('scale')) scale = c.attr.float('scale', 0);
  else if (typeof headSize === 'number') scale = 1 / Math.sqrt(headSize);
  else throw c.refuse(`a head size of ${headSize} without the scale attribute (its default 1/sqrt(head_size) needs the size known)`);
  if (!(scale >= 0) || !Number.isFinite(scale)) throw c.refuse(`scale ${scale} (Q and K are scaled by its square root)`);
  const [nq, nk] = [qs[1]!, ks[1]!];
  let [k, v] = [k0, v0];
  if (nq !== nk) {
    if (typeof nq !== 'number' || typeof nk !== 'number' || nk === 0 || nq % nk !== 0) throw c.refuse(`${String(nq)} query heads and ${String(nk)} key/value heads (a multiple of them)`);
    [k, v] = [c.op('repeat', [k], { repeats: nq / nk, axis: 1 }), c.op('repeat', [v], { repeats: nq / nk, axis: 1 })];
  }
  const precision = softmaxDType(c, dtype) as 'float32';
  const root = c.scalar(Math.fround(Math.sqrt(Math.fround(scale))), dtype as 'float32');
  const s = castTo(c, c.op('einsum', [c.op('mul', [q, root]), c.op('mul', [k, root])], { equation: 'bhqd,bhkd->bhqk' }), precision);
  const p = modify(c, 'prob_mod', c.op('softmax', [modify(c, 'score_mod', s)], { axis: -1 }));
  return [castTo(c, c.op('einsum', [p, castTo(c, v, precision)], { equation: 'bhqk,bhkd->bhqd' }), v0.type.dtype)];
};

/** The importers of ai.onnx.preview's operators (opset 1 of the domain). */
export const PREVIEW_IMPORTS: Readonly<Record<string, Builder>> = { FlexAttention: flexAttention };

/** `x` with `n` unit axes inserted at `at`. */
function unitAxes(c: ImportCtx, x: Value, at: number, n: number): Value {
  for (let i = 0; i < n; i++) x = c.op('expandDims', [x], { axis: at });
  return x;
}

const tensorScatter: Builder = (c) => {
  requireOpset(c, 24);
  const [past, update] = [c.input(0), c.input(1)];
  const w0 = c.optInput(2);
  const [ps, us] = [past.type.shape, update.type.shape];
  const r = ps.length;
  const mode = c.attr.str('mode', 'linear');
  if (mode !== 'linear' && mode !== 'circular') throw c.refuse(`mode '${mode}' (linear or circular)`);
  if (past.type.dtype !== update.type.dtype) throw c.refuse(`past_cache of dtype ${past.type.dtype} and update of dtype ${update.type.dtype}`);
  if (past.type.dtype === 'bool') throw c.refuse('bool caches');
  if (us.length !== r || r < 2) throw c.refuse(`past_cache of rank ${r} and update of rank ${us.length} (equal ranks of at least 2)`);
  const axis0 = c.attr.int('axis', -2);
  if (!Number.isInteger(axis0) || axis0 < -r || axis0 >= r) throw c.refuse(`axis ${axis0} is out of range for rank ${r}`);
  const axis = axis0 < 0 ? axis0 + r : axis0;
  if (axis === 0) throw c.refuse('axis 0 (the batch axis cannot be the sequence axis)');
  const [len, s] = [ps[axis]!, us[axis]!];
  if (typeof len !== 'number' || typeof s !== 'number') throw c.refuse(`a sequence axis of sizes ${String(len)} (cache) and ${String(s)} (update): both must be known`);
  if (s > len) throw c.refuse(`an update of ${s} positions for a cache of ${len}`);
  ps.forEach((d, i) => {
    if (i !== axis && typeof d === 'number' && typeof us[i] === 'number' && d !== us[i]) throw c.refuse(`past_cache [${ps.join(', ')}] and update [${us.join(', ')}] differ on axis ${i}`);
  });
  const int = (x: number) => c.scalar(x, 'int64');
  const p = c.constant(tensorFromNumbers('int64', [1, len], Array.from({ length: len }, (_v, i) => i)));
  // k[b, p]: the update's position written at cache position p ([B, L], or [1, L] without write_indices).
  let k = p;
  if (w0) {
    let w = c.op('reshape', [castTo(c, w0, 'int64')], { shape: [-1, 1] });
    if (mode === 'linear') {
      // 0 <= w <= L - S, checked when the graph runs: a take from 0..L-S, negatives sent out of range.
      const table = c.constant(tensorFromNumbers('int64', [len - s + 1], Array.from({ length: len - s + 1 }, (_v, i) => i)));
      w = c.op('take', [table, c.op('where', [c.op('lesser', [w, int(0)]), int(len + 1), w])], { mode: 'raise' });
      k = c.op('sub', [p, w]);
    } else {
      const rem = c.op('sub', [w, c.op('mul', [c.op('div', [w, int(len)]), int(len)])]);
      const d = c.op('sub', [p, rem]);
      k = c.op('where', [c.op('lesser', [d, int(0)]), c.op('add', [d, int(len)]), d]);
      k = c.op('where', [c.op('lesser', [k, int(len)]), k, c.op('sub', [k, int(len)])]);
    }
    k = c.op('where', [c.op('lesser', [k, int(0)]), int(s), k]);
  }
  const valid = c.op('lesser', [k, int(s)]);
  // hot[b, 1.., p, 1.., j] = (k[b, p] == j); the update moved to [B, .., 1 (at axis), .., S] picks by it.
  const hot0 = c.op('equal', [c.op('expandDims', [k], { axis: -1 }), c.constant(tensorFromNumbers('int64', [s], Array.from({ length: s }, (_v, i) => i)))]);
  const hot = unitAxes(c, unitAxes(c, hot0, 2, r - 1 - axis), 1, axis - 1);
  const perm = [...Array.from({ length: r }, (_v, i) => i).filter((i) => i !== axis), axis];
  const moved = c.op('expandDims', [c.op('transpose', [update], { axes: perm })], { axis });
  const picked = c.op('sum', [c.op('where', [hot, moved, c.scalar(0, update.type.dtype)])], { axis: -1 });
  return [c.op('where', [unitAxes(c, unitAxes(c, valid, 2, r - 1 - axis), 1, axis - 1), picked, past])];
};

/** The importers of this file by ONNX operator. */
export const ATTENTION_IMPORTS: Readonly<Record<string, Builder>> = { Attention: attention, TensorScatter: tensorScatter };
