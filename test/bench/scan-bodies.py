"""The LSTM training step's Scans in isolation (python, not part of
`npm test`): onnxruntime, one intra-op thread, T = 256, batch 8, hidden 64
(the `npm run bench -- rnn` sizes). Times the forward Scan as
compiler/ops/rnn-train.ts lowers it (Gemm h·Rᵀ + xw_t, Split, Sigmoid,
Tanh, Split, 3 Mul, Add, Tanh; 7 saved activations as scan outputs)
against variants (among them a transposed state, R·hᵀ), and the backward
Scan against its Gemm alone and a transposed state;
interleaved, CPU time of the calling thread (robust to a busy machine),
median ms per run and the paired ratio to the first row of its group.

    python3 test/bench/scan-bodies.py
"""
import statistics
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

T, N, H = 256, 8, 64
F = TP.FLOAT
mk = h.make_node


def vi(name, shape, t=F):
    return h.make_tensor_value_info(name, t, shape)


def model(nodes, ins, outs, inits=()):
    """Opset-21 model bytes. R arrives as `Rin` and goes through a Mul (an arena-aligned buffer, as in the step)."""
    base = [nh.from_array(np.array([3 * H, H], np.int64), 'k31'), nh.from_array(np.array([H, H, H], np.int64), 'k111'),
            nh.from_array(np.array(1, np.float32), 'one'), nh.from_array(np.array([0], np.int64), 'zero')]
    g = h.make_graph([mk('Mul', ['Rin', 'one'], ['R'])] + nodes, 'g', ins + [vi('Rin', [4 * H, H])], [vi(o, None) for o in outs], base + list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 21)])
    m.ir_version = 10
    return m.SerializeToString()


SAVED = ['i', 'o', 'f', 'g', 'ig', 'fc', 'tc']
TAIL = [mk('Mul', ['f', 'c'], ['fc']), mk('Mul', ['i', 'g'], ['ig']), mk('Add', ['fc', 'ig'], ['cn']), mk('Tanh', ['cn'], ['tc']), mk('Mul', ['o', 'tc'], ['hn'])]
CELL = [mk('Gemm', ['h', 'R', 'x'], ['pre'], transB=1), mk('Split', ['pre', 'k31'], ['p3', 'pg'], axis=1), mk('Sigmoid', ['p3'], ['s3']),
        mk('Tanh', ['pg'], ['g']), mk('Split', ['s3', 'k111'], ['i', 'o', 'f'], axis=1)] + TAIL


def forward_scan(body_nodes, saved, seqs=(('x', 4 * H),), outer=()):
    """A forward Scan over xw [T, N, 4H] (or the given scan inputs) with states h, c and `saved` as scan outputs."""
    outs = ['hn', 'cn'] + saved
    body = h.make_graph(body_nodes, 'b', [vi('h', ['rb', H]), vi('c', ['rb', H])] + [vi(n, ['rb', w]) for n, w in seqs],
                        [vi(o, ['rb', 'w' + o]) for o in outs])
    so = [f's{k}' for k in range(len(saved))]
    ins = [f'xw_{n}' for n, _ in seqs] if len(seqs) > 1 else ['xw']
    scan = mk('Scan', ['h0', 'c0'] + ins, ['hT', 'cT'] + so, body=body, num_scan_inputs=len(seqs))
    return model(list(outer) + [scan], [vi('xw', ['T', 'N', 4 * H]), vi('h0', ['N', H]), vi('c0', ['N', H])], ['hT'] + so)


def variants():
    """(group, label, model bytes) of every timed graph."""
    v = [('forward Scan', 'as lowered: 10 body nodes, 7 saved outputs', forward_scan(CELL, SAVED)),
         ('forward Scan', 'the same body, 3 saved outputs (s3, g, fc)', forward_scan(CELL, ['s3', 'g', 'fc'])),
         ('forward Scan', 'the same body, no saved outputs', forward_scan(CELL, []))]
    two = [mk('Gemm', ['h', 'R3', 'x3'], ['p3'], transB=1), mk('Sigmoid', ['p3'], ['s3']), mk('Gemm', ['h', 'Rg', 'xg'], ['pg'], transB=1),
           mk('Tanh', ['pg'], ['g']), mk('Split', ['s3', 'k111'], ['i', 'o', 'f'], axis=1)] + TAIL
    outer = [mk('Split', ['xw', 'k31'], ['xw_x3', 'xw_xg'], axis=2), mk('Split', ['R', 'k31'], ['R3', 'Rg'], axis=0)]
    v.append(('forward Scan', 'two Gemms (onnxruntime fuses Gemm+Sigmoid, Gemm+Tanh): 8 body nodes', forward_scan(two, SAVED, (('x3', 3 * H), ('xg', H)), outer)))
    loop = [mk('Gather', ['xw', 'it'], ['x'], axis=0)] + CELL + [mk('Identity', ['cond'], ['condo'])]
    lbody = h.make_graph(loop, 'b', [vi('it', [], TP.INT64), vi('cond', [], TP.BOOL), vi('h', ['rb', H]), vi('c', ['rb', H])],
                         [vi('condo', [], TP.BOOL)] + [vi(o, ['rb', 'w' + o]) for o in ['hn', 'cn'] + SAVED])
    so = [f's{k}' for k in range(7)]
    v.append(('forward Scan', 'Loop (Gather of x_t) instead of Scan', model(
        [mk('Shape', ['xw'], ['sh'], start=0, end=1), mk('Squeeze', ['sh', 'zero'], ['T']), mk('Loop', ['T', '', 'h0', 'c0'], ['hT', 'cT'] + so, body=lbody)],
        [vi('xw', ['T', 'N', 4 * H]), vi('h0', ['N', H]), vi('c0', ['N', H])], ['hT'] + so)))
    # onnxruntime's own LSTM kernel: over the whole sequence (no saved activations; x [T, N, 32] and its own
    # input projection), and as the body of a Scan (one step per call; c_t saved through an Identity).
    lstm_ins = [vi('x', ['T', 'N', 32]), vi('h0', ['N', H]), vi('c0', ['N', H]), vi('W', [1, 4 * H, 32]), vi('B', [1, 8 * H])]
    pre = [mk('Unsqueeze', ['R', 'zero'], ['R1']), mk('Unsqueeze', ['h0', 'zero'], ['h1']), mk('Unsqueeze', ['c0', 'zero'], ['c1'])]
    v.append(('forward Scan', "reference: onnxruntime's LSTM operator over the sequence (incl. x·Wᵀ, nothing saved)", model(
        pre + [mk('LSTM', ['x', 'W', 'R1', 'B', '', 'h1', 'c1'], ['Y', 'hT', 'cT'], hidden_size=H)], lstm_ins, ['Y', 'cT'])))
    cell = h.make_graph([mk('LSTM', ['xt', 'W', 'R1', 'B', '', 'h', 'c'], ['Y', 'hn', 'cn'], hidden_size=H), mk('Identity', ['cn'], ['cs'])], 'b',
                        [vi('h', [1, 'rb', H]), vi('c', [1, 'rb', H]), vi('xt', [1, 'rb', 32])], [vi(o, None) for o in ['hn', 'cn', 'Y', 'cs']])
    v.append(('forward Scan', "onnxruntime's LSTM operator as the Scan body (T=1 per step)", model(
        pre + [mk('Unsqueeze', ['x', 'one64'], ['x4']), mk('Scan', ['h1', 'c1', 'x4'], ['hT', 'cT', 'Y', 'C'], body=cell, num_scan_inputs=1)],
        lstm_ins, ['Y', 'C'], [nh.from_array(np.array([1], np.int64), 'one64')])))
    # Transposed state (h^T [H, N]): gates^T = R·h^T + xw^T_t, so MLAS packs the small h^T instead of R each step.
    cellT = [mk('Gemm', ['R', 'h', 'x'], ['pre']), mk('Split', ['pre', 'k31'], ['p3', 'pg'], axis=0), mk('Sigmoid', ['p3'], ['s3']),
             mk('Tanh', ['pg'], ['g']), mk('Split', ['s3', 'k111'], ['i', 'o', 'f'], axis=0)] + TAIL
    tbody = h.make_graph(cellT, 'b', [vi('h', [H, 'rb']), vi('c', [H, 'rb']), vi('x', [4 * H, 'rb'])], [vi(o, ['w' + o, 'rb']) for o in ['hn', 'cn'] + SAVED])
    tscan = mk('Scan', ['h0t', 'c0t', 'xwt'], ['hT', 'cT'] + [f's{k}' for k in range(7)], body=tbody, num_scan_inputs=1)
    v.append(('forward Scan', 'transposed state: R·hᵀ (MLAS packs hᵀ, not R), incl. the transposes of xw, h0, c0', model(
        [mk('Transpose', ['xw'], ['xwt'], perm=[0, 2, 1]), mk('Transpose', ['h0'], ['h0t']), mk('Transpose', ['c0'], ['c0t']), tscan],
        [vi('xw', ['T', 'N', 4 * H]), vi('h0', ['N', H]), vi('c0', ['N', H])], ['hT'] + [f's{k}' for k in range(7)])))
    # Gemm alone in the body: R fed at run time (MLAS packs it every step) or a constant initializer (prepacked once).
    gemm = [mk('Gemm', ['h', 'R', 'x'], ['pre'], transB=1), mk('Split', ['pre', 'k31'], ['x3', 'hn'], axis=1), mk('Identity', ['c'], ['cn'])]
    v.append(('Gemm alone per step', 'R a run-time value (as in the step)', forward_scan(gemm, [])))
    rng = np.random.default_rng(0)
    const = onnx.load_from_string(forward_scan(gemm, []))
    const.graph.node.remove(const.graph.node[0])
    const.graph.input.remove([i for i in const.graph.input if i.name == 'Rin'][0])
    const.graph.initializer.append(nh.from_array((rng.standard_normal((4 * H, H)) * 0.1).astype(np.float32), 'R'))
    v.append(('Gemm alone per step', 'R a constant initializer (prepacked)', const.SerializeToString()))
    bseqs = [('gyb', H), ('A', H), ('K', 4 * H), ('f', H)]
    bwd = [mk('Mul', ['dh', 'A'], ['t1']), mk('Add', ['dc', 't1'], ['dcN']), mk('Concat', ['dcN', 'dh', 'dcN', 'dcN'], ['cc'], axis=1),
           mk('Mul', ['cc', 'K'], ['ds']), mk('Gemm', ['ds', 'R', 'gyb'], ['dhn']), mk('Mul', ['dcN', 'f'], ['dcn'])]
    for label, nodes, outs in [('as lowered: 6 body nodes', bwd, ['dhn', 'dcn', 'ds']),
                               ('its Gemm alone', [mk('Gemm', ['K', 'R', 'gyb'], ['dhn']), mk('Identity', ['dc'], ['dcn'])], ['dhn', 'dcn'])]:
        body = h.make_graph(nodes, 'b', [vi('dh', ['rb', H]), vi('dc', ['rb', H])] + [vi(n, ['rb', w]) for n, w in bseqs], [vi(o, ['rb', 'w' + o]) for o in outs])
        extra = {'scan_output_directions': [1]} if len(outs) > 2 else {}
        scan = mk('Scan', ['dh0', 'dc0'] + ['S' + n for n, _ in bseqs], ['a', 'b'] + (['ds'] if len(outs) > 2 else []), body=body,
                  num_scan_inputs=4, scan_input_directions=[1] * 4, **extra)
        v.append(('backward Scan', label, model([scan], [vi('dh0', ['N', H]), vi('dc0', ['N', H])] + [vi('S' + n, ['T', 'N', w]) for n, w in bseqs], ['a'])))
    bwdT = [mk('Mul', ['dh', 'A'], ['t1']), mk('Add', ['dc', 't1'], ['dcN']), mk('Concat', ['dcN', 'dh', 'dcN', 'dcN'], ['cc'], axis=0),
            mk('Mul', ['cc', 'K'], ['ds']), mk('Gemm', ['R', 'ds', 'gyb'], ['dhn'], transA=1), mk('Mul', ['dcN', 'f'], ['dcn'])]
    body = h.make_graph(bwdT, 'b', [vi('dh', [H, 'rb']), vi('dc', [H, 'rb'])] + [vi(n, [w, 'rb']) for n, w in bseqs], [vi(o, ['w' + o, 'rb']) for o in ['dhn', 'dcn', 'ds']])
    scan = mk('Scan', ['dh0', 'dc0'] + ['S' + n for n, _ in bseqs], ['a', 'b', 'ds'], body=body, num_scan_inputs=4, scan_input_directions=[1] * 4, scan_output_directions=[1])
    v.append(('backward Scan', 'transposed state: Rᵀ·dsᵀ (MLAS packs dsᵀ, not R)', model([scan], [vi('dh0', [H, 'N']), vi('dc0', [H, 'N'])] + [vi('S' + n, ['T', w, 'N']) for n, w in bseqs], ['a'])))
    return v


def main():
    rng = np.random.default_rng(0)
    runs = []
    for group, label, m in variants():
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        s = ort.InferenceSession(m, so, providers=['CPUExecutionProvider'])
        feeds = {i.name: (rng.standard_normal([T if d == 'T' else N if isinstance(d, str) else d for d in i.shape]) * 0.1).astype(np.float32) for i in s.get_inputs()}
        runs.append((group, label, s, feeds, []))
    for _ in range(20):
        for r in runs:
            r[2].run(None, r[3])
    for _ in range(30):
        for r in runs:
            t = time.thread_time()
            for _ in range(5):
                r[2].run(None, r[3])
            r[4].append((time.thread_time() - t) / 5 * 1e3)
    first = {}
    for group, label, _s, _f, t in runs:
        ref = first.setdefault(group, t)
        if ref is t:
            print(f'\n{group} (T={T}, batch {N}, hidden {H}, one thread): median ms, paired ratio to the first row')
        print(f'  {statistics.median(t):6.3f} ms  {statistics.median([a / b for a, b in zip(t, ref)]):5.2f}x  {label}')


if __name__ == '__main__':
    main()
