"""PyTorch side of test/bench/torch-peer.ts: one long-lived process that trains
a model with the weights and batches the benchmark gives it and times steps.

Protocol: one JSON command per line on stdin, one JSON reply per line on
stdout ({"ok": ...} or {"error": "..."}). Arrays travel as raw little-endian
float32 files in a directory the caller owns.

  {"cmd": "setup", "model": "mlp"|"lenet", "dir": D, "params": [[name, shape], ...],
   "x_shape": [B, ...], "batches": n, "lr": 0.1, "momentum": 0.9}
      reads D/<i>.param (parameter i, in our layout: Linear [out, in], Conv OIHW),
      D/x.bin ([n, *x_shape]) and D/y.bin ([n, B] class indices)
  {"cmd": "step", "n": k, "threads": t}   k steps; replies the last loss
  {"cmd": "time", "n": k, "threads": t}   k steps; replies the seconds they took (perf_counter, no IPC)
  {"cmd": "params", "dir": D}             writes D/<i>.out for every parameter
  {"cmd": "quit"}
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for i, l in enumerate(self.layers):
            x = l(x)
            if i + 1 < len(self.layers):
                x = F.relu(x)
        return x


class LeNet(nn.Module):
    """models/lenet.ts: Conv(6,5,pad 2)+relu, MaxPool 2, Conv(16,5)+relu, MaxPool 2, Flatten, Dense 120, 84 (relu), 10."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(400, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = torch.flatten(x, 1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


class State:
    model = None
    opt = None
    xs = None
    ys = None
    k = 0
    threads = None


S = State()


def set_threads(t):
    if t and t != S.threads:
        torch.set_num_threads(int(t))
        S.threads = t


def setup(c):
    d = c["dir"]
    shapes = [tuple(s) for _n, s in c["params"]]
    if c["model"] == "mlp":
        sizes = [shapes[0][1]] + [s[0] for s in shapes[0::2]]
        model = Mlp(sizes)
    elif c["model"] == "lenet":
        model = LeNet()
    else:
        raise ValueError(f"unknown model {c['model']!r}")
    ps = list(model.parameters())
    if len(ps) != len(shapes):
        raise ValueError(f"{c['model']}: {len(ps)} torch parameters, {len(shapes)} given")
    with torch.no_grad():
        for i, (p, s) in enumerate(zip(ps, shapes)):
            if tuple(p.shape) != s:
                raise ValueError(f"parameter {i} ({c['params'][i][0]}): torch shape {tuple(p.shape)}, given {s}")
            p.copy_(torch.from_numpy(np.fromfile(os.path.join(d, f"{i}.param"), dtype="<f4").reshape(s)))
    n = int(c["batches"])
    xs = np.fromfile(os.path.join(d, "x.bin"), dtype="<f4").reshape([n] + list(c["x_shape"]))
    ys = np.fromfile(os.path.join(d, "y.bin"), dtype="<f4").reshape(n, c["x_shape"][0])
    S.xs = [torch.from_numpy(xs[i].copy()) for i in range(n)]
    S.ys = [torch.from_numpy(ys[i].astype(np.int64)) for i in range(n)]
    S.model = model
    S.opt = torch.optim.SGD(model.parameters(), lr=float(c["lr"]), momentum=float(c["momentum"]))
    S.k = 0
    return True


def step():
    i = S.k % len(S.xs)
    S.k += 1
    S.opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(S.model(S.xs[i]), S.ys[i], reduction="mean")
    loss.backward()
    S.opt.step()
    return loss


def handle(c):
    cmd = c["cmd"]
    if cmd == "setup":
        return setup(c)
    if cmd == "step":
        set_threads(c.get("threads"))
        loss = None
        for _ in range(int(c.get("n", 1))):
            loss = step()
        return float(loss.item())
    if cmd == "time":
        set_threads(c.get("threads"))
        n = int(c["n"])
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        return time.perf_counter() - t0
    if cmd == "params":
        for i, p in enumerate(S.model.parameters()):
            p.detach().numpy().astype("<f4").tofile(os.path.join(c["dir"], f"{i}.out"))
        return len(list(S.model.parameters()))
    if cmd == "version":
        return {"torch": torch.__version__, "threads": torch.get_num_threads()}
    raise ValueError(f"unknown command {cmd!r}")


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        c = json.loads(line)
        if c.get("cmd") == "quit":
            break
        try:
            reply = {"ok": handle(c)}
        except Exception as e:  # reported to the caller, which raises it
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
