"""LeNet's convolution kernels in isolation at one intra-op thread (python,
not part of `npm test`): onnxruntime running the ONNX forms gluonc's step
graph uses (Conv+Relu; the weight gradient as a convolution of x by the
output gradient, per-example groups below 4 input channels as
convWeightGrad lowers it, batch and channels swapped otherwise; the data
gradient as MatMul + Col2Im) against PyTorch's own kernels
(conv2d+relu, aten.convolution_backward), interleaved, median us per call.
The weight-gradient forms are timed for each layer: the two convolution
forms convWeightGrad used before, and the one it uses where the columns
fit (convColumns: one Gather of x's rows by a tap table, one Gemm), with
the forward convolution reading those columns (share-conv-columns).

    python3 test/bench/conv-kernels.py [threads, default 1]
"""
import sys
import time

import numpy as np
import onnx.helper as h
import onnxruntime as ort
import torch
from onnx import TensorProto as T

THREADS = int(sys.argv[1]) if len(sys.argv) > 1 else 1
torch.set_num_threads(THREADS)


def timed(fn, inner=30, reps=11):
    """Median us per call of fn over reps batches of inner calls, after 20 warm-up calls."""
    for _ in range(20):
        fn()
    r = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(inner):
            fn()
        r.append((time.perf_counter() - t) / inner * 1e6)
    return float(np.median(r))


def session(nodes, ins, inits=()):
    """An onnxruntime session (THREADS threads) of nodes (opset 21) with float inputs ins [(name, shape)] and output 'y'."""
    g = h.make_graph(nodes, 'g', [h.make_tensor_value_info(n, T.FLOAT, s) for n, s in ins],
                     [h.make_tensor_value_info('y', T.FLOAT, None)], list(inits))
    so = ort.SessionOptions()
    so.intra_op_num_threads = THREADS
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 21)], ir_version=10)
    return ort.InferenceSession(m.SerializeToString(), so, providers=['CPUExecutionProvider'])


def ints(name, v):
    return h.make_tensor(name, T.INT64, [len(v)], v)


def layer(N, C, H, O, K, P):
    Ho = H + 2 * P - K + 1
    rng = np.random.default_rng(0)
    x = rng.random((N, C, H, H), dtype=np.float32)
    w = (rng.standard_normal((O, C, K, K)) * 0.1).astype(np.float32)
    b = np.zeros(O, np.float32)
    g = rng.standard_normal((N, O, Ho, Ho)).astype(np.float32)
    fwd = session([h.make_node('Conv', ['x', 'w', 'b'], ['c'], kernel_shape=[K, K], pads=[P] * 4), h.make_node('Relu', ['c'], ['y'])],
                  [('x', [N, C, H, H]), ('w', [O, C, K, K]), ('b', [O])])
    # weight gradient, per-example groups: x [C, N, H, W] by g [N*O, 1, Ho, Wo], summed over N
    grouped = session([h.make_node('Transpose', ['x'], ['xt'], perm=[1, 0, 2, 3]), h.make_node('Reshape', ['g', 's0'], ['gr']),
                       h.make_node('Conv', ['xt', 'gr'], ['r'], kernel_shape=[Ho, Ho], pads=[P] * 4, group=N),
                       h.make_node('Reshape', ['r', 's1'], ['r1']), h.make_node('ReduceSum', ['r1', 'a1'], ['r2'], keepdims=0),
                       h.make_node('Transpose', ['r2'], ['y'], perm=[1, 0, 2])],
                      [('x', [N, C, H, H]), ('g', [N, O, Ho, Ho])], [ints('s0', [N * O, 1, Ho, Ho]), ints('s1', [C, N, O, K * K]), ints('a1', [1])])
    # weight gradient, batch and channels swapped: x [C, N, H, W] by g [O, N, Ho, Wo]
    swapped = session([h.make_node('Transpose', ['x'], ['xt'], perm=[1, 0, 2, 3]), h.make_node('Transpose', ['g'], ['gt'], perm=[1, 0, 2, 3]),
                       h.make_node('Conv', ['xt', 'gt'], ['r'], kernel_shape=[Ho, Ho], pads=[P] * 4), h.make_node('Transpose', ['r'], ['y'], perm=[1, 0, 2, 3])],
                      [('x', [N, C, H, H]), ('g', [N, O, Ho, Ho])])
    # data gradient: columns wᵀ [C*K*K, O] by g [N, O, L], then Col2Im
    col2im = session([h.make_node('Reshape', ['w', 's0'], ['wr']), h.make_node('Transpose', ['wr'], ['wm'], perm=[1, 0]),
                      h.make_node('Reshape', ['g', 's2'], ['gm']),
                      h.make_node('MatMul', ['wm', 'gm'], ['cols']),
                      h.make_node('Col2Im', ['cols', 'img', 'ker'], ['y'], pads=[P] * 4)],
                     [('w', [O, C, K, K]), ('g', [N, O, Ho, Ho])],
                     [ints('s0', [O, C * K * K]), ints('s2', [N, O, Ho * Ho]), ints('img', [H, H]), ints('ker', [K, K])])
    # the columns (convColumns): x as [C, H*W (+ a zero row), N], one Gather of rows by the tap table
    L, Ho2 = Ho * Ho, H * H
    table = np.full((K * K, L), Ho2, np.int64)
    for kh in range(K):
        for kw in range(K):
            for i in range(Ho):
                for j in range(Ho):
                    r, q = i - P + kh, j - P + kw
                    if 0 <= r < H and 0 <= q < H:
                        table[kh * K + kw, i * Ho + j] = r * H + q
    unfold = [h.make_node('Transpose', ['x'], ['xt'], perm=[1, 2, 3, 0]), h.make_node('Reshape', ['xt', 'sr'], ['xr']),
              h.make_node('Pad', ['xr', 'pz'], ['xp']), h.make_node('Gather', ['xp', 'idx'], ['cg'], axis=1), h.make_node('Reshape', ['cg', 'sc'], ['cols'])]
    unfold_inits = [ints('sr', [C, Ho2, N]), ints('pz', [0, 0, 0, 0, 1, 0]), ints('idx', table.reshape(-1).tolist()), ints('sc', [C * K * K, L * N])]
    # weight gradient by columns: g as [O, L*N] by the columns, one Gemm (transB)
    columns = session(unfold + [h.make_node('Transpose', ['g'], ['gt'], perm=[1, 2, 3, 0]), h.make_node('Reshape', ['gt', 'sg'], ['gm']),
                                h.make_node('Gemm', ['gm', 'cols'], ['y'], transB=1)],
                      [('x', [N, C, H, H]), ('g', [N, O, Ho, Ho])], unfold_inits + [ints('sg', [O, L * N])])
    # forward + relu reading columns the weight gradient made (their unfolding not counted)
    shared = session([h.make_node('Reshape', ['w', 'sw'], ['wm']), h.make_node('Gemm', ['wm', 'cols'], ['m']), h.make_node('Reshape', ['b', 'sb'], ['br']),
                      h.make_node('Add', ['m', 'br'], ['mb']), h.make_node('Reshape', ['mb', 'so'], ['m4']), h.make_node('Transpose', ['m4'], ['mt'], perm=[3, 0, 1, 2]),
                      h.make_node('Relu', ['mt'], ['y'])],
                     [('cols', [C * K * K, L * N]), ('w', [O, C, K, K]), ('b', [O])], [ints('sw', [O, C * K * K]), ints('sb', [O, 1]), ints('so', [O, Ho, Ho, N])])
    cols = session(unfold + [h.make_node('Identity', ['cols'], ['y'])], [('x', [N, C, H, H])], unfold_inits).run(None, {'x': x})[0]
    tx, tw, tb, tg = (torch.from_numpy(a) for a in (x, w, b, g))
    conv_bw = torch.ops.aten.convolution_backward
    rows = {
        'forward + relu': (lambda: fwd.run(None, {'x': x, 'w': w, 'b': b}), lambda: torch.relu(torch.nn.functional.conv2d(tx, tw, tb, padding=P))),
        'weight grad, grouped': (lambda: grouped.run(None, {'x': x, 'g': g}), None),
        'weight grad, columns': (lambda: columns.run(None, {'x': x, 'g': g}), None),
        'forward, shared cols': (lambda: shared.run(None, {'cols': cols, 'w': w, 'b': b}), None),
        'weight grad, swapped': (lambda: swapped.run(None, {'x': x, 'g': g}),
                                 lambda: conv_bw(tg, tx, tw, [O], [1, 1], [P, P], [1, 1], False, [0, 0], 1, [False, True, False])),
        'data grad': (lambda: col2im.run(None, {'w': w, 'g': g}),
                      lambda: conv_bw(tg, tx, tw, [O], [1, 1], [P, P], [1, 1], False, [0, 0], 1, [True, False, False])),
    }
    # correctness of the onnxruntime forms against PyTorch in float64
    ref = conv_bw(tg.double(), tx.double(), tw.double(), [O], [1, 1], [P, P], [1, 1], False, [0, 0], 1, [True, True, False])
    fref = torch.relu(torch.nn.functional.conv2d(tx.double(), tw.double(), tb.double(), padding=P)).numpy()
    assert np.allclose(shared.run(None, {'cols': cols, 'w': w, 'b': b})[0], fref, rtol=1e-4, atol=1e-4), 'shared columns'
    for name, sess, want in (('grouped', grouped, ref[1]), ('swapped', swapped, ref[1]), ('columns', columns, ref[1])):
        got = sess.run(None, {'x': x, 'g': g})[0].reshape(O, C, K, K)
        assert np.allclose(got, want.numpy(), rtol=1e-4, atol=1e-3), name
    assert np.allclose(col2im.run(None, {'w': w, 'g': g})[0], ref[0].numpy(), rtol=1e-4, atol=1e-3), 'col2im'
    for name, (ours, theirs) in rows.items():
        a = [timed(ours) for _ in range(3)]
        t = [timed(theirs) for _ in range(3)] if theirs else [float('nan')]
        print(f'  C={C} {name:22s} onnxruntime {np.median(a):7.0f} us   PyTorch {np.median(t):7.0f} us')


if __name__ == '__main__':
    print(f'LeNet convolutions, batch 64, {THREADS} thread(s), median us per call (busy machines: compare ratios)')
    layer(64, 1, 28, 6, 5, 2)
    layer(64, 6, 14, 16, 5, 0)
