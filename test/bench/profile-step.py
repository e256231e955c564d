"""onnxruntime's per-kernel profile of training-step graphs (python, not part
of `npm test`): for each .onnx in the folder given (written by
`step-graph.ts`), runs the step with one intra-op thread and
graph_optimization_level ORT_ENABLE_ALL (what gluonc's sessions use), with
enable_profiling, and prints the kernel time summed per op type (each
node's median over the runs after warm-up) and the op counts of onnxruntime's own
optimized graph (optimized_model_filepath), to see what it fuses itself.

    python3 test/bench/profile-step.py /tmp/steps [runs]

Feeds: inputs named like labels (a 1-d float input of the batch size) get
class indices 0..C-1 cycling; 0-d scalars get 0.01 (the step count `t`
gets 1); everything else draws from a seeded normal * 0.1.
"""
import collections
import glob
import json
import os
import statistics
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort


def feeds_for(sess):
    rng = np.random.default_rng(0)
    out = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 64 for d in i.shape]
        dt = {'tensor(float)': np.float32, 'tensor(int64)': np.int64, 'tensor(int32)': np.int32}[i.type]
        if len(shape) == 0:
            out[i.name] = np.array(1.0 if i.name.startswith('t') else 0.01, dtype=dt)
        elif len(shape) == 1 and shape[0] == 64 and i.name.startswith('x') and i.name != 'x0':
            out[i.name] = (np.arange(64) % 10).astype(dt)
        else:
            out[i.name] = (rng.standard_normal(shape) * 0.1).astype(dt)
    return out


def profile(path, runs):
    tmp = tempfile.mkdtemp()
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.optimized_model_filepath = os.path.join(tmp, 'opt.onnx')
    so.enable_profiling = True
    so.profile_file_prefix = os.path.join(tmp, 'prof')
    sess = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
    feeds = feeds_for(sess)
    warm = 5
    for _ in range(warm + runs):
        sess.run(None, feeds)
    prof = sess.end_profiling()
    events = json.load(open(prof))
    # Per node: the median of its kernel times over the runs after warm-up (robust to a busy machine).
    durs = collections.defaultdict(list)
    op_of = {}
    for e in events:
        if e.get('cat') != 'Node' or not e['name'].endswith('_kernel_time'):
            continue
        durs[e['name']].append(e['dur'])
        op_of[e['name']] = e['args'].get('op_name', '?')
    per_op = collections.Counter()
    for name, d in durs.items():
        per_op[op_of[name]] += statistics.median(d[warm:])
    opt = onnx.load(so.optimized_model_filepath)
    opt_counts = collections.Counter(n.op_type for n in opt.graph.node)
    src_counts = collections.Counter(n.op_type for n in onnx.load(path).graph.node)
    return per_op, src_counts, opt_counts


def main():
    folder = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    for path in sorted(glob.glob(os.path.join(folder, '*.onnx'))):
        per_op, src, opt = profile(path, runs)
        total = sum(per_op.values())
        name = os.path.basename(path)
        print(f'== {name}: {sum(src.values())} nodes; onnxruntime optimized: {sum(opt.values())} nodes')
        print('   optimized ops: ' + ', '.join(f'{k} {v}' for k, v in opt.most_common()))
        print(f'   kernel time per step (sum of per-node medians): {total:.0f} us')
        for op, us in per_op.most_common():
            print(f'   {op:<24}{us:9.1f} us {100 * us / total:5.1f}%')


if __name__ == '__main__':
    main()
