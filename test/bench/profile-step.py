"""onnxruntime's per-kernel profile of training-step graphs (python, not part
of `npm test`): for each .onnx in the folder given (written by
`step-graph.ts`), runs the step with one intra-op thread and
graph_optimization_level ORT_ENABLE_ALL (what gluonc's sessions use), with
enable_profiling, and prints the kernel time summed per op type (each
node's median over the runs after warm-up) and the op counts of
onnxruntime's own optimized graph (optimized_model_filepath), to see what
it fuses itself. Given two folders, the same-named steps of both run
interleaved (one run of each in turn, so a busy machine slows both alike)
and are printed side by side.

    python3 test/bench/profile-step.py /tmp/steps [runs]
    python3 test/bench/profile-step.py /tmp/before /tmp/after [runs]
    THREADS=2 NODES=12 python3 test/bench/profile-step.py /tmp/before /tmp/after [runs]

THREADS sets the intra-op threads (1 by default); NODES=k also prints the k
costliest nodes of each step with their median and p10 times (the p10 is
the least disturbed on a shared machine: the twenty-sixth session's
qa-lenet2 decided by it while the load average stood at 8-10).

Feeds: the label input (x1, a 1-d float input of the batch size) gets
class indices 0..9 cycling; 0-d scalars get 0.01 (the step count `t` gets
1); everything else draws from a seeded normal * 0.1.
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

WARM = 5


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


class Step:
    """One step graph's profiling session."""

    def __init__(self, path):
        tmp = tempfile.mkdtemp()
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(os.environ.get('THREADS', '1'))
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.optimized_model_filepath = os.path.join(tmp, 'opt.onnx')
        so.enable_profiling = True
        so.profile_file_prefix = os.path.join(tmp, 'prof')
        self.sess = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
        self.feeds = feeds_for(self.sess)
        self.src = collections.Counter(n.op_type for n in onnx.load(path).graph.node)
        self.opt = collections.Counter(n.op_type for n in onnx.load(so.optimized_model_filepath).graph.node)

    def run(self):
        self.sess.run(None, self.feeds)

    def per_op(self):
        """Kernel time per op type: each node's median over the runs after warm-up (robust to a busy machine)."""
        events = json.load(open(self.sess.end_profiling()))
        durs = collections.defaultdict(list)
        op_of = {}
        for e in events:
            if e.get('cat') != 'Node' or not e['name'].endswith('_kernel_time'):
                continue
            durs[e['name']].append(e['dur'])
            op_of[e['name']] = e['args'].get('op_name', '?')
        out = collections.Counter()
        self.nodes = {}
        for name, d in durs.items():
            out[op_of[name]] += statistics.median(d[WARM:])
            rest = sorted(d[WARM:])
            self.nodes[name[:-len('_kernel_time')]] = (op_of[name], statistics.median(rest), rest[len(rest) // 10])
        return out


def counts(c):
    return ', '.join(f'{k} {v}' for k, v in c.most_common())


def main():
    args = sys.argv[1:]
    runs = int(args.pop()) if args and args[-1].isdigit() else 50
    folders = args
    for path in sorted(glob.glob(os.path.join(folders[0], '*.onnx'))):
        name = os.path.basename(path)
        steps = [Step(os.path.join(f, name)) for f in folders]
        for _ in range(WARM + runs):
            for s in steps:
                s.run()
        profiles = [s.per_op() for s in steps]
        print(f'== {name}')
        for f, s, p in zip(folders, steps, profiles):
            print(f'   {f}: {sum(s.src.values())} nodes ({counts(s.src)})')
            print(f'      onnxruntime optimized: {sum(s.opt.values())} nodes ({counts(s.opt)})')
            print(f'      kernel time per step (sum of per-node medians): {sum(p.values()):.0f} us')
        ops = sorted(set().union(*profiles), key=lambda o: -max(p[o] for p in profiles))
        print('   ' + f'{"op":<18}' + ''.join(f'{os.path.basename(f.rstrip("/")):>14}' for f in folders))
        for o in ops:
            print('   ' + f'{o:<18}' + ''.join(f'{p[o]:11.0f} us' for p in profiles))
        print('   ' + f'{"total":<18}' + ''.join(f'{sum(p.values()):11.0f} us' for p in profiles))
        for f, s in zip(folders, steps):
            top = sorted(s.nodes.items(), key=lambda kv: -kv[1][1])[:int(os.environ.get('NODES', '0'))]
            if top:
                print(f'   {f}: costliest nodes, median / p10 us')
            for node, (op, med, p10) in top:
                print(f'      {node[:56]:<56} {op:<14} {med:7.0f} {p10:7.0f}')


if __name__ == '__main__':
    main()
