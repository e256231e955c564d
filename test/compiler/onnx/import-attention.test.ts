/**
 * ONNX's newest operators imported (compiler/onnx/import/attention.ts, scatter.ts, modern.ts): Attention (opsets 23, 24, 25),
 * TensorScatter (24), CumProd (26), CausalConvWithState (27) and SwiGLU (28) against ONNX's reference implementation
 * (onnx.reference.ReferenceEvaluator), eager and hybridized, every output: 3-D and 4-D
 * inputs, GQA and MQA, bool and float masks (a mask shorter than the keys, rank 2, 3
 * and 4), fully masked rows (zeros, not NaN), causal with a past and with
 * nonpad_kv_seqlen (negative offsets), softcap, every qk_matmul_output_mode
 * (mode 0 with softcap against onnxruntime: ONNX's reference departs from the spec there),
 * softmax_precision, windows; linear and circular cache updates (wrapping past the
 * end, write indices beyond the length); cumulative products with zeros and
 * negatives, exclusive and reverse; SwiGLU at saturation; causal depthwise
 * convolutions with and without past state, bias and SiLU (an input shorter
 * than the kernel). Refusals (BitCast of unequal widths too) and run-time errors by name (LinearAttention: import-linear-attention.test.ts).
 * Skipped, with a message, without python3's onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { foreignModel } from './foreign-model.js';

const SCRIPT = String.raw`
import sys, os, json, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
TYPES = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.float64): TensorProto.DOUBLE,
         np.dtype(np.int64): TensorProto.INT64, np.dtype(np.bool_): TensorProto.BOOL, np.dtype(np.int32): TensorProto.INT32}
def case(name, op, opset, inputs, attrs, outs=('y',), consts=(), ort=False):
  # ort: onnxruntime's outputs are the reference (where ONNX's reference departs from the spec).
  import onnxruntime
  ins = [n for n, _ in inputs]
  node = helper.make_node(op, ins + [n for n, _ in consts], list(outs), **attrs)
  vi = [helper.make_tensor_value_info(n, TYPES[v.dtype], list(v.shape)) for n, v in inputs if n]
  inits = [numpy_helper.from_array(v, n) for n, v in consts]
  feeds = {n: v for n, v in inputs if n}
  ref = ReferenceEvaluator(helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outs if o], inits),
                           opset_imports=[helper.make_opsetid('', opset)], ir_version=11)).run(None, feeds)
  g = helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info(o, TYPES[r.dtype], list(r.shape)) for o, r in zip([o for o in outs if o], ref)], inits)
  m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)], ir_version=11)
  d = f'{out}/{name}'
  os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  for k, (n, v) in enumerate([(n, v) for n, v in inputs if n]): np.save(f'{d}/in{k}.npy', v)
  if ort: ref = onnxruntime.InferenceSession(m.SerializeToString()).run(None, feeds)
  for k, r in enumerate(ref): np.save(f'{d}/out{k}.npy', r)
f32 = lambda *s: rs.randn(*s).astype(np.float32)
A = 'Attention'
# 4-D, no mask (opset 23).
case('att4_plain', A, 23, [('q', f32(2, 3, 4, 8)), ('k', f32(2, 3, 6, 8)), ('v', f32(2, 3, 6, 5))], {})
# 3-D GQA (4 query heads on 2 kv heads), a scale, a float mask [S_q, S_kv] with a fully masked row.
fm = f32(4, 6); fm[1, :] = -np.inf; fm[2, 3] = -np.inf
case('att3_gqa_floatmask', A, 23, [('q', f32(2, 4, 16)), ('k', f32(2, 6, 8)), ('v', f32(2, 6, 6)), ('m', fm)], {'q_num_heads': 4, 'kv_num_heads': 2, 'scale': 0.3})
# MQA, a bool mask [B, 1, S_q, S_kv] with fully masked rows, the raw scores (mode 0).
bm = rs.rand(2, 1, 4, 6) > 0.4; bm[0, 0, 2, :] = False; bm[1, 0, 0, :] = False
case('att4_mqa_boolmask', A, 23, [('q', f32(2, 4, 4, 8)), ('k', f32(2, 1, 6, 8)), ('v', f32(2, 1, 6, 8)), ('m', bm)], {}, ('y', '', '', 'qk'))
# Causal with a past (offset 3), a bool mask shorter than the keys (padded with False), present key/value, probabilities (mode 3).
pm = rs.rand(2, 3, 4, 5) > 0.3
case('att4_causal_past', A, 23, [('q', f32(2, 3, 4, 8)), ('k', f32(2, 3, 4, 8)), ('v', f32(2, 3, 4, 8)), ('m', pm), ('pk', f32(2, 3, 3, 8)), ('pv', f32(2, 3, 3, 8))],
     {'is_causal': 1}, ('y', 'pk_out', 'pv_out', 'qk'))
case('att4_causal_past_mode3', A, 23, [('q', f32(1, 2, 3, 4)), ('k', f32(1, 2, 3, 4)), ('v', f32(1, 2, 3, 4)), ('', None), ('pk', f32(1, 2, 2, 4)), ('pv', f32(1, 2, 2, 4))],
     {'is_causal': 1, 'qk_matmul_output_mode': 3}, ('y', '', '', 'qk'))
# Opset 24: causal with nonpad_kv_seqlen (offsets 8-4, 4-4 and 2-4 < 0: leading rows fully masked), float mask of rank 3 [heads, S_q, S_kv].
nq = rs.randn(3, 2, 4, 8).astype(np.float32)
case('att4_causal_nonpad', A, 24, [('q', nq), ('k', f32(3, 2, 8, 8)), ('v', f32(3, 2, 8, 8)), ('m', f32(2, 4, 8)), ('', None), ('', None), ('n', np.array([8, 4, 2], np.int64))],
     {'is_causal': 1}, ('y', '', '', 'qk'))
case('att4_nonpad_only', A, 24, [('q', f32(3, 2, 4, 8)), ('k', f32(3, 2, 8, 8)), ('v', f32(3, 2, 8, 8)), ('', None), ('', None), ('', None), ('n', np.array([8, 1, 0], np.int64))],
     {'qk_matmul_output_mode': 3}, ('y', '', '', 'qk'))
# softcap, with the scores after it (mode 1) and with the bias (mode 2).
case('att3_softcap_mode1', A, 23, [('q', 3 * f32(2, 5, 8)), ('k', 3 * f32(2, 5, 8)), ('v', f32(2, 5, 8))], {'q_num_heads': 2, 'kv_num_heads': 2, 'softcap': 2.5, 'qk_matmul_output_mode': 1}, ('y', '', '', 'qk'))
case('att4_softcap_mode2', A, 23, [('q', 3 * f32(2, 2, 5, 4)), ('k', 3 * f32(2, 2, 5, 4)), ('v', f32(2, 2, 5, 4)), ('m', rs.rand(5, 5) > 0.3)],
     {'softcap': 1.5, 'is_causal': 1, 'qk_matmul_output_mode': 2}, ('y', '', '', 'qk'))
# Mode 0 with softcap: the raw scores, as the spec says and onnxruntime gives (ONNX's reference 1.23 gives them after softcap).
case('att4_softcap_mode0_ort', A, 23, [('q', 3 * f32(1, 2, 3, 4)), ('k', 3 * f32(1, 2, 5, 4)), ('v', f32(1, 2, 5, 4))], {'softcap': 1.0}, ('y', '', '', 'qk'), ort=True)
# softmax_precision: float32 inputs in double, float16 inputs in float.
case('att4_precision64', A, 23, [('q', f32(1, 2, 3, 4)), ('k', f32(1, 2, 3, 4)), ('v', f32(1, 2, 3, 4))], {'softmax_precision': 11})
case('att4_f16_precision32', A, 23, [('q', f32(1, 2, 3, 4).astype(np.float16)), ('k', f32(1, 2, 5, 4).astype(np.float16)), ('v', f32(1, 2, 5, 4).astype(np.float16)),
     ('m', rs.rand(3, 5) > 0.5)], {'softmax_precision': 1})
# Opset 25: windows (bidirectional; left-looking with causal; with a past; with nonpad per batch).
case('att4_window_2_1', A, 25, [('q', f32(1, 2, 4, 4)), ('k', f32(1, 2, 6, 4)), ('v', f32(1, 2, 6, 4))], {'left_window_size': 2, 'right_window_size': 1})
case('att4_window_causal_left1', A, 25, [('q', f32(2, 2, 5, 4)), ('k', f32(2, 2, 5, 4)), ('v', f32(2, 2, 5, 4))], {'left_window_size': 1, 'is_causal': 1})
case('att3_window_past', A, 25, [('q', f32(1, 3, 8)), ('k', f32(1, 3, 8)), ('v', f32(1, 3, 8)), ('', None), ('pk', f32(1, 2, 4, 4)), ('pv', f32(1, 2, 4, 4))],
     {'q_num_heads': 2, 'kv_num_heads': 2, 'right_window_size': 0, 'left_window_size': 0}, ('y', 'pk_out', 'pv_out'))
case('att4_window_nonpad', A, 25, [('q', f32(2, 2, 3, 4)), ('k', f32(2, 2, 7, 4)), ('v', f32(2, 2, 7, 4)), ('', None), ('', None), ('', None), ('n', np.array([7, 4], np.int64))],
     {'left_window_size': 1, 'right_window_size': 2}, ('y', '', '', 'qk'))
# TensorScatter (24): linear at per-batch indices, circular wrapping past the end (7 % 5 = 2, 3 + 2 wraps), default indices on axis 1, float64 and int64 caches.
T = 'TensorScatter'
case('ts_linear', T, 24, [('c', f32(2, 3, 6, 4)), ('u', f32(2, 3, 2, 4)), ('w', np.array([0, 4], np.int64))], {})
case('ts_circular', T, 24, [('c', f32(3, 2, 5, 3)), ('u', f32(3, 2, 3, 3)), ('w', np.array([3, 7, 0], np.int64))], {'mode': 'circular'})
case('ts_default_axis1', T, 24, [('c', rs.randn(2, 5, 3)), ('u', rs.randn(2, 2, 3))], {'axis': 1})
case('ts_int_last_axis', T, 24, [('c', rs.randint(-9, 9, (2, 3, 6)).astype(np.int64)), ('u', rs.randint(-9, 9, (2, 3, 4)).astype(np.int64)), ('w', np.array([4, 9], np.int64))],
     {'axis': -1, 'mode': 'circular'})
# CumProd (26): zeros and negatives, every exclusive/reverse combination, a length that is no power of 2, int64, axis counted from the end.
C = 'CumProd'
cx = np.array([[2, -1.5, 0, 3, -2, 0.5, 4], [1, -1, -1, 2, 0, 0, 3]], np.float32)
for e in (0, 1):
  for r in (0, 1):
    case(f'cp_e{e}_r{r}', C, 26, [('x', cx)], {'exclusive': e, 'reverse': r}, consts=[('axis', np.array(1, np.int64))])
case('cp_int_neg_axis', C, 26, [('x', rs.randint(-3, 4, (5, 3, 2)).astype(np.int64))], {'reverse': 1}, consts=[('axis', np.array(-3, np.int64))])
case('cp_one', C, 26, [('x', f32(3, 1))], {'exclusive': 1}, consts=[('axis', np.array(1, np.int32))])
# SwiGLU (28) and CausalConvWithState (27): with and without past_state and bias, activations.
case('swiglu', 'SwiGLU', 28, [('a', np.concatenate([f32(29), [0, -30, 30]]).astype(np.float32)), ('b', f32(32))], {})
case('swiglu_alpha', 'SwiGLU', 28, [('a', f32(2, 3, 4)), ('b', f32(2, 3, 4))], {'alpha': 1.7})
case('ccs_past_bias_silu', 'CausalConvWithState', 27, [('x', f32(2, 3, 5)), ('w', f32(3, 1, 4)), ('b', f32(3)), ('p', f32(2, 3, 3))], {'activation': 'silu'}, ('y', 'state'))
case('ccs_plain', 'CausalConvWithState', 27, [('x', f32(1, 2, 6)), ('w', f32(2, 1, 3))], {}, ('y', 'state'))
case('ccs_short_swish', 'CausalConvWithState', 27, [('x', f32(2, 2, 1)), ('w', f32(2, 1, 4)), ('', None), ('p', f32(2, 2, 3))], {'activation': 'swish'}, ('y', 'state'))
`;

/** The arrays `<prefix>0.npy`, `<prefix>1.npy`, ... of `dir`. */
function arrays(dir: string, prefix: string): HostTensor[] {
  return readdirSync(dir)
    .filter((f) => new RegExp(`^${prefix}\\d+\\.npy$`).test(f))
    .sort((a, b) => Number(a.slice(prefix.length, -4)) - Number(b.slice(prefix.length, -4)))
    .map((f) => readNpy(join(dir, f)));
}

describe("imported Attention, TensorScatter, CumProd, CausalConvWithState, SwiGLU: ONNX's reference", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('attention', ['onnx', 'onnxruntime'], SCRIPT);

  it('every case and output, eager and hybridized', () => {
    const cases = readdirSync(fx.dir).sort();
    assert.equal(cases.length, 31);
    for (const k of cases) {
      const inputs = arrays(join(fx.dir, k), 'in').map((t) => new nd.NDArray(t));
      const want = arrays(join(fx.dir, k), 'out');
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(fx.dir, k, 'model.onnx'));
        if (hybrid) net.hybridize();
        const got = net.call(...inputs) as nd.NDArray | nd.NDArray[];
        const ys = Array.isArray(got) ? got : [got];
        assert.equal(ys.length, want.length, k);
        ys.forEach((y, i) => {
          const what = `${k} output ${i} ${hybrid ? 'hybridized' : 'eager'}`;
          const w = want[i]!;
          assert.equal(y._host.dtype, w.dtype, what);
          assert.deepEqual(y._host.shape, w.shape, what);
          const tol = w.dtype === 'float16' ? 2e-3 : 1e-5;
          const [a, b] = [tensorToNumbers(y._host), tensorToNumbers(w)];
          // -inf where the bias excludes a key (mode 2), equal; NaN nowhere.
          assert.ok(a.every((x, j) => !Number.isNaN(x) && (Number.isFinite(b[j]!) || x === b[j])), `${what}: NaN or a wrong infinity`);
          assertClose(a.map((x, j) => (Number.isFinite(b[j]!) ? x : 0)), b.map((x) => (Number.isFinite(x) ? x : 0)), what, tol, tol);
        });
      }
    }
  });

  for (const hybrid of [false, true]) {
    it(`TensorScatter's linear write indices outside [0, max - S] fail the run, never a dropped or wrapped write (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = SymbolBlock.imports(join(fx.dir, 'ts_linear', 'model.onnx'));
      if (hybrid) net.hybridize();
      const [c, u] = arrays(join(fx.dir, 'ts_linear'), 'in').map((t) => new nd.NDArray(t));
      const w = (v: number[]) => new nd.NDArray({ dtype: 'int64', shape: [2], data: BigInt64Array.from(v.map(BigInt)) } as never);
      assert.deepEqual((net.call(c!, u!, w([4, 0])) as nd.NDArray).shape, [2, 3, 6, 4]);
      assert.throws(() => (net.call(c!, u!, w([0, 5])) as nd.NDArray).data(), /index|indices/i);
      assert.throws(() => (net.call(c!, u!, w([-1, 0])) as nd.NDArray).data(), /index|indices/i);
    });
  }

  it('refuses what it cannot map by name', () => {
    type T = [string, HostTensor];
    const one = (op: string, inputs: [string, (number | string)[]][], attrs: object[] = [], opset = 23, outs = ['y'], consts: T[] = []) =>
      foreignModel([{ opType: op, input: [...inputs.map(([n]) => n), ...consts.map(([n]) => n)], output: outs, name: 'n', attribute: attrs as never }], inputs.filter(([n]) => n), outs.filter((o) => o).map((o) => [o, { dtype: 'float32' }]), consts, opset);
    const int = (name: string, i: number) => ({ name, type: 2, i });
    const re = (op: string, why: string) => new RegExp(`ONNX operator '${op}' \\(node 'n'\\) has no gluonc equivalent: ${why}`);
    assert.throws(() => readModel(one('Attention', [['q', [2, 4, 6]], ['k', [2, 4, 6]], ['v', [2, 4, 6]]], [int('q_num_heads', 4), int('kv_num_heads', 4)])), re('Attention', 'Q of hidden size 6, which q_num_heads = 4 does not divide'));
    assert.throws(() => readModel(one('Attention', [['q', [2, 4, 8]], ['k', [2, 4, 8]], ['v', [2, 4, 8]]])), re('Attention', '3-D Q/K/V without positive q_num_heads and kv_num_heads'));
    assert.throws(() => readModel(one('Attention', [['q', [2, 3, 4, 8]], ['k', [2, 2, 4, 8]], ['v', [2, 2, 4, 8]]])), re('Attention', '3 query heads and 2 key / 2 value heads'));
    assert.throws(() => readModel(one('Attention', [['q', [2, 4, 8]], ['k', [2, 3, 4, 8]], ['v', [2, 3, 4, 8]]])), re('Attention', 'Q, K, V of ranks 3, 4, 4'));
    assert.throws(() => readModel(one('Attention', [['q', [1, 2, 3, 4]], ['k', [1, 2, 3, 4]], ['v', [1, 2, 3, 4]]], [int('q_num_heads', 2)], 25)), re('Attention', 'q_num_heads/kv_num_heads with 4-D inputs'));
    assert.throws(() => readModel(one('Attention', [['q', [1, 2, 3, 4]], ['k', [1, 2, 3, 4]], ['v', [1, 2, 3, 4]]], [int('left_window_size', 1)], 24)), re('Attention', 'left/right_window_size at opset 24'));
    assert.throws(() => readModel(one('Attention', [['q', [1, 2, 3, 4]], ['k', [1, 2, 3, 4]], ['v', [1, 2, 3, 4]]], [int('qk_matmul_output_mode', 5)], 23, ['y', '', '', 'qk'])), re('Attention', 'qk_matmul_output_mode 5'));
    assert.throws(() => readModel(one('Attention', [['q', [1, 2, 3, 4]], ['k', [1, 2, 3, 4]], ['v', [1, 2, 3, 4]], ['m', [2, 3, 5]]])), re('Attention', "attn_mask's last axis of size 5 for 3 keys"));
    assert.throws(() => readModel(one('Attention', [['q', [1, 2, 3, 4]], ['k', [1, 2, 3, 4]], ['v', [1, 2, 3, 4]], ['', []], ['pk', [1, 2, 3, 4]]])), re('Attention', 'past_key without past_value'));
    assert.throws(() => readModel(one('Attention', [['q', [1, 2, 3, 4]], ['k', [1, 2, 3, 4]], ['v', [1, 2, 3, 4]]], [int('softmax_precision', 16)])), re('Attention', 'softmax_precision: bfloat16'));
    assert.throws(() => readModel(one('TensorScatter', [['c', [2, 5, 3]], ['u', [2, 2, 3]]], [{ name: 'mode', type: 3, s: new TextEncoder().encode('ring') }], 24)), re('TensorScatter', "mode 'ring'"));
    assert.throws(() => readModel(one('TensorScatter', [['c', [2, 5, 3]], ['u', [2, 2, 3]]], [int('axis', 0)], 24)), re('TensorScatter', 'axis 0'));
    assert.throws(() => readModel(one('TensorScatter', [['c', [2, 5, 3]], ['u', [2, 6, 3]]], [int('axis', 1)], 24)), re('TensorScatter', 'an update of 6 positions for a cache of 5'));
    assert.throws(() => readModel(one('TensorScatter', [['c', [2, 5, 3]], ['u', [2, 2, 4]]], [int('axis', 1)], 24)), re('TensorScatter', 'past_cache \\[2, 5, 3\\] and update \\[2, 2, 4\\] differ on axis 2'));
    assert.throws(() => readModel(one('SwiGLU', [['a', [2, 3]], ['b', [1, 3]]], [], 28)), re('SwiGLU', 'A of shape \\[2, 3\\] and B of shape \\[1, 3\\] \\(equal shapes'));
    assert.throws(() => readModel(one('CausalConvWithState', [['x', [2, 3, 5]], ['w', [3, 1, 2]]], [{ name: 'activation', type: 3, s: new TextEncoder().encode('relu') }], 27, ['y', 's'])), re('CausalConvWithState', "activation 'relu'"));
    assert.throws(() => readModel(one('CausalConvWithState', [['x', [2, 3, 5]], ['w', [3, 2, 2]]], [], 27, ['y', 's'])), re('CausalConvWithState', 'input \\[2, 3, 5\\] and weight \\[3, 2, 2\\]'));
    // A kernel of size 1 keeps no state: a non-empty past_state is refused.
    assert.throws(() => readModel(one('CausalConvWithState', [['x', [2, 3, 5]], ['w', [3, 1, 1]], ['', []], ['p', [2, 3, 1]]], [], 27, ['y', 's'])), re('CausalConvWithState', 'past_state \\[2, 3, 1\\] with a kernel of size 1'));
    assert.throws(() => readModel(one('BitCast', [['x', [2]]], [int('to', 7)], 26)), /BitCast.*bitcast: cannot reinterpret float32 \(32 bits\) as int64 \(64 bits\)/);
    assert.throws(() => readModel(one('Attention', [['q', [1, 2, 3, 4]], ['k', [1, 2, 3, 4]], ['v', [1, 2, 3, 4]]], [], 21)), re('Attention', 'the file imports opset 21; ONNX defines Attention from opset 23'));
    assert.throws(() => readModel(one('SwiGLU', [['a', [2]], ['b', [2]]], [], 27)), re('SwiGLU', 'the file imports opset 27; ONNX defines SwiGLU from opset 28'));
    const axis = (v: number): T => ['axis', { dtype: 'int64', shape: [], data: new BigInt64Array([BigInt(v)]) } as HostTensor];
    assert.throws(() => readModel(one('CumProd', [['x', [2, 3]]], [], 26, ['y'], [axis(2)])), re('CumProd', 'axis 2 is out of range for rank 2'));
    assert.throws(() => readModel(one('CumProd', [['x', [2, 'T']]], [], 26, ['y'], [axis(1)])), re('CumProd', 'axis 1 of symbolic size T'));
    assert.throws(() => readModel(one('CumProd', [['x', [2, 3]], ['a', []]], [], 26)), re('CumProd', 'axis \\(input 1.*computed at run time'));
  });
});
