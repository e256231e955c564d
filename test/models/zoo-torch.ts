/**
 * The independent reference of test/models/zoo.test.ts: the model zoo's
 * networks written by hand in PyTorch (torchvision is not used), with module
 * names that mirror Gluon's structural names (`features.4.0.body.0.weight`;
 * BatchNorm's `gamma`/`beta` are torch's `weight`/`bias`), loaded from the
 * `.npz` gluonc's `saveParameters(file, { format: 'npz' })` writes, run in
 * float64 or float32, and compared with gluonc's results in python.
 *
 * BatchNorm follows MXNet's operator (src/operator/nn/batch_norm.cc):
 * training normalizes with the batch mean and biased variance and updates
 * `moving = moving * momentum + batch * (1 - momentum)` with that biased
 * variance (torch's BatchNorm2d would use momentum 0.1 for the same mean
 * rule but the unbiased variance); `fix_gamma` (Gluon's `scale=False`) uses
 * 1 for gamma; beta is always added (Gluon's `center=False` only freezes
 * it). SGD with momentum: MXNet's `mom = momentum * mom - lr * (grad / B +
 * wd * w); w += mom` is torch.optim.SGD's `buf = momentum * buf + g; w -= lr
 * * buf` with `g = grad / B + wd * w` (constant lr).
 */
import { runPython } from '../helpers/python-server.js';

const PY = String.raw`
import json, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as Fn
torch.set_num_threads(1)
MOM, EPS = 0.9, 1e-5

class BN(nn.Module):
    def __init__(s, c, scale=True, center=True, eps=1e-5):
        super().__init__()
        s.weight = nn.Parameter(torch.ones(c)) if scale else None
        if center: s.bias = nn.Parameter(torch.zeros(c))
        else: s.register_buffer("bias", torch.zeros(c))
        s.register_buffer("running_mean", torch.zeros(c)); s.register_buffer("running_var", torch.ones(c)); s.eps = eps
    def forward(s, x):
        if s.training:
            mean = x.mean((0, 2, 3)); var = x.var((0, 2, 3), unbiased=False)
            with torch.no_grad():
                s.running_mean.mul_(MOM).add_((1 - MOM) * mean); s.running_var.mul_(MOM).add_((1 - MOM) * var)
            return Fn.batch_norm(x, None, None, s.weight, s.bias, True, 0.0, s.eps)
        return Fn.batch_norm(x, s.running_mean, s.running_var, s.weight, s.bias, False, 0.0, s.eps)

class Seq(nn.Sequential): pass
class Cat(nn.Sequential):
    def forward(s, x): return torch.cat([m(x) for m in s], 1)
class Flat(nn.Module):
    def forward(s, x): return torch.flatten(x, 1)
class Dense(nn.Linear):
    def forward(s, x): return super().forward(torch.flatten(x, 1))
def conv(i, o, k, s=1, p=0, g=1, bias=True): return nn.Conv2d(i, o, k, s, p, groups=g, bias=bias)
relu = nn.ReLU

class BasicV1(nn.Module):
    def __init__(s, i, c, st, down):
        super().__init__()
        s.body = Seq(conv(i, c, 3, st, 1, bias=False), BN(c), relu(), conv(c, c, 3, 1, 1, bias=False), BN(c))
        s.downsample = Seq(conv(i, c, 1, st, bias=False), BN(c)) if down else None
    def forward(s, x):
        r = s.downsample(x) if s.downsample is not None else x
        return torch.relu(s.body(x) + r)
class BottleV1(BasicV1):
    def __init__(s, i, c, st, down):
        nn.Module.__init__(s); q = c // 4
        s.body = Seq(conv(i, q, 1, st), BN(q), relu(), conv(q, q, 3, 1, 1, bias=False), BN(q), relu(), conv(q, c, 1), BN(c))
        s.downsample = Seq(conv(i, c, 1, st, bias=False), BN(c)) if down else None
class BasicV2(nn.Module):
    def __init__(s, i, c, st, down):
        super().__init__()
        s.bn1 = BN(i); s.conv1 = conv(i, c, 3, st, 1, bias=False); s.bn2 = BN(c); s.conv2 = conv(c, c, 3, 1, 1, bias=False)
        s.downsample = conv(i, c, 1, st, bias=False) if down else None
    def forward(s, x):
        r = x; x = torch.relu(s.bn1(x))
        if s.downsample is not None: r = s.downsample(x)
        return s.conv2(torch.relu(s.bn2(s.conv1(x)))) + r
class BottleV2(nn.Module):
    def __init__(s, i, c, st, down):
        super().__init__(); q = c // 4
        s.bn1 = BN(i); s.conv1 = conv(i, q, 1, bias=False); s.bn2 = BN(q); s.conv2 = conv(q, q, 3, st, 1, bias=False)
        s.bn3 = BN(q); s.conv3 = conv(q, c, 1, bias=False)
        s.downsample = conv(i, c, 1, st, bias=False) if down else None
    def forward(s, x):
        r = x; x = torch.relu(s.bn1(x))
        if s.downsample is not None: r = s.downsample(x)
        x = torch.relu(s.bn2(s.conv1(x))); x = torch.relu(s.bn3(s.conv2(x)))
        return s.conv3(x) + r

class Net(nn.Module):
    def forward(s, x): return s.output(s.features(x))

def resnet(m):
    blk = {(1, "basic"): BasicV1, (1, "bottle"): BottleV1, (2, "basic"): BasicV2, (2, "bottle"): BottleV2}[(m["version"], m["block"])]
    ch, v = m["channels"], m["version"]
    f = []
    if v == 2: f.append(BN(3, scale=False, center=False))
    if m["thumbnail"]: f.append(conv(3, ch[0], 3, 1, 1, bias=False))
    else: f += [conv(3, ch[0], 7, 2, 3, bias=False), BN(ch[0]), relu(), nn.MaxPool2d(3, 2, 1)]
    for i, n in enumerate(m["layers"]):
        st = 1 if i == 0 else 2
        f.append(Seq(blk(ch[i], ch[i + 1], st, ch[i] != ch[i + 1]), *[blk(ch[i + 1], ch[i + 1], 1, False) for _ in range(n - 1)]))
    if v == 2: f += [BN(ch[-1]), relu()]
    f.append(nn.AdaptiveAvgPool2d(1))
    if v == 2: f.append(Flat())
    net = Net(); net.features = Seq(*f); net.output = Dense(ch[-1], m["classes"]); return net

class ReLU6(nn.Module):
    def forward(s, x): return torch.clamp(x, 0, 6)
def add_conv(out, i, c, k=1, st=1, p=0, g=1, active=True, r6=False):
    out += [conv(i, c, k, st, p, g, bias=False), BN(c)]
    if active: out.append(ReLU6() if r6 else relu())
class LinearBottleneck(nn.Module):
    def __init__(s, i, c, t, st):
        super().__init__(); s.short = st == 1 and i == c; o = []
        add_conv(o, i, i * t, r6=True); add_conv(o, i * t, i * t, 3, st, 1, i * t, r6=True); add_conv(o, i * t, c, active=False)
        s.out = Seq(*o)
    def forward(s, x):
        y = s.out(x)
        return y + x if s.short else y

def mobilenet(m):
    mu = m["multiplier"]; f = []
    add_conv(f, 3, int(32 * mu), 3, 2, 1)
    dw = [int(x * mu) for x in [32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024]]
    cs = [int(x * mu) for x in [64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2]
    sts = [1, 2] * 3 + [1] * 5 + [2, 1]
    for d, c, st in zip(dw, cs, sts):
        add_conv(f, d, d, 3, st, 1, d); add_conv(f, d, c)
    f += [nn.AdaptiveAvgPool2d(1), Flat()]
    net = Net(); net.features = Seq(*f); net.output = nn.Linear(cs[-1], m["classes"]); return net

def mobilenet_v2(m):
    mu = m["multiplier"]; f = []
    add_conv(f, 3, int(32 * mu), 3, 2, 1, r6=True)
    ins = [int(x * mu) for x in [32] + [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3]
    cs = [int(x * mu) for x in [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3 + [320]]
    ts = [1] + [6] * 16
    sts = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
    for i, c, t, st in zip(ins, cs, ts, sts): f.append(LinearBottleneck(i, c, t, st))
    last = int(1280 * mu) if mu > 1.0 else 1280
    add_conv(f, cs[-1], last, r6=True)
    f.append(nn.AdaptiveAvgPool2d(1))
    net = Net(); net.features = Seq(*f); net.output = Seq(conv(last, m["classes"], 1, bias=False), Flat()); return net

def fire(i, sq, e1, e3):
    return Seq(Seq(conv(i, sq, 1), relu()), Cat(Seq(conv(sq, e1, 1), relu()), Seq(conv(sq, e3, 3, 1, 1), relu())))
def squeezenet(m):
    pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)
    if m["version"] == "1.0":
        f = [conv(3, 96, 7, 2), relu(), pool(), fire(96, 16, 64, 64), fire(128, 16, 64, 64), fire(128, 32, 128, 128), pool(),
             fire(256, 32, 128, 128), fire(256, 48, 192, 192), fire(384, 48, 192, 192), fire(384, 64, 256, 256), pool(), fire(512, 64, 256, 256)]
    else:
        f = [conv(3, 64, 3, 2), relu(), pool(), fire(64, 16, 64, 64), fire(128, 16, 64, 64), pool(), fire(128, 32, 128, 128),
             fire(256, 32, 128, 128), pool(), fire(256, 48, 192, 192), fire(384, 48, 192, 192), fire(384, 64, 256, 256), fire(512, 64, 256, 256)]
    f.append(nn.Dropout(0.0))
    net = Net(); net.features = Seq(*f)
    net.output = Seq(conv(512, m["classes"], 1), relu(), nn.AvgPool2d(13), Flat()); return net

def densenet(m):
    n0, g, cfg, bs = m["init"], m["growth"], m["config"], m["bnSize"]
    f = [conv(3, n0, 7, 2, 3, bias=False), BN(n0), relu(), nn.MaxPool2d(3, 2, 1)]; n = n0
    for i, L in enumerate(cfg):
        blk = []
        for _ in range(L):
            blk.append(Cat(nn.Identity(), Seq(BN(n), relu(), conv(n, bs * g, 1, bias=False), BN(bs * g), relu(), conv(bs * g, g, 3, 1, 1, bias=False))))
            n += g
        f.append(Seq(*blk))
        if i != len(cfg) - 1:
            f.append(Seq(BN(n), relu(), conv(n, n // 2, 1, bias=False), nn.AvgPool2d(2, 2))); n //= 2
    f += [BN(n), relu(), nn.AvgPool2d(7), Flat()]
    net = Net(); net.features = Seq(*f); net.output = nn.Linear(n, m["classes"]); return net

class DenseRelu(nn.Linear):
    def forward(s, x): return torch.relu(super().forward(torch.flatten(x, 1)))
def vgg(m):
    # Gluon's Dense(4096, activation='relu') is one block, so features hold [..., Dense, Dropout, Dense, Dropout].
    f = []; i = 3
    for L, c in zip(m["layers"], m["filters"]):
        for _ in range(L):
            f.append(conv(i, c, 3, 1, 1)); i = c
            if m["bn"]: f.append(BN(c))
            f.append(relu())
        f.append(nn.MaxPool2d(2, 2))
    hw = m["hw"] // (2 ** len(m["layers"]))
    f += [DenseRelu(i * hw * hw, 4096), nn.Dropout(0.0), DenseRelu(4096, 4096), nn.Dropout(0.0)]
    net = Net(); net.features = Seq(*f); net.output = nn.Linear(4096, m["classes"]); return net

def basic(i, c, k, s=1, p=0):
    return Seq(nn.Conv2d(i, c, k, s, p, bias=False), BN(c, eps=1e-3), relu())
def branch(i, pool, *settings):
    f = []
    if pool == "avg": f.append(nn.AvgPool2d(3, 1, 1))
    elif pool == "max": f.append(nn.MaxPool2d(3, 2))
    for c, k, st, p in settings:
        f.append(basic(i, c, k, st or 1, p or 0)); i = c
    return Seq(*f)
def inc_A(i, pf): return Cat(branch(i, None, (64, 1, None, None)), branch(i, None, (48, 1, None, None), (64, 5, None, 2)),
                         branch(i, None, (64, 1, None, None), (96, 3, None, 1), (96, 3, None, 1)), branch(i, "avg", (pf, 1, None, None)))
def inc_B(i): return Cat(branch(i, None, (384, 3, 2, None)), branch(i, None, (64, 1, None, None), (96, 3, None, 1), (96, 3, 2, None)), branch(i, "max"))
def inc_C(i, c7): return Cat(branch(i, None, (192, 1, None, None)),
                         branch(i, None, (c7, 1, None, None), (c7, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0))),
                         branch(i, None, (c7, 1, None, None), (c7, (7, 1), None, (3, 0)), (c7, (1, 7), None, (0, 3)), (c7, (7, 1), None, (3, 0)), (192, (1, 7), None, (0, 3))),
                         branch(i, "avg", (192, 1, None, None)))
def inc_D(i): return Cat(branch(i, None, (192, 1, None, None), (320, 3, 2, None)),
                         branch(i, None, (192, 1, None, None), (192, (1, 7), None, (0, 3)), (192, (7, 1), None, (3, 0)), (192, 3, 2, None)), branch(i, "max"))
def inc_E(i): return Cat(branch(i, None, (320, 1, None, None)),
                         Seq(branch(i, None, (384, 1, None, None)), Cat(branch(384, None, (384, (1, 3), None, (0, 1))), branch(384, None, (384, (3, 1), None, (1, 0))))),
                         Seq(branch(i, None, (448, 1, None, None), (384, 3, None, 1)), Cat(branch(384, None, (384, (1, 3), None, (0, 1))), branch(384, None, (384, (3, 1), None, (1, 0))))),
                         branch(i, "avg", (192, 1, None, None)))
def inception(m):
    f = [basic(3, 32, 3, 2), basic(32, 32, 3), basic(32, 64, 3, 1, 1), nn.MaxPool2d(3, 2), basic(64, 80, 1), basic(80, 192, 3), nn.MaxPool2d(3, 2),
         inc_A(192, 32), inc_A(256, 64), inc_A(288, 64), inc_B(288), inc_C(768, 128), inc_C(768, 160), inc_C(768, 160), inc_C(768, 192),
         inc_D(768), inc_E(1280), inc_E(2048), nn.AvgPool2d(8), nn.Dropout(0.0)]
    net = Net(); net.features = Seq(*f); net.output = Dense(2048, m["classes"]); return net

BUILD = {"resnet": resnet, "mobilenet": mobilenet, "mobilenet_v2": mobilenet_v2, "squeezenet": squeezenet, "densenet": densenet, "vgg": vgg, "inception": inception}
def run(job):
    global net
    torch.set_default_dtype(torch.float64 if job["dtype"] == "float64" else torch.float32)
    net = BUILD[job["model"]["kind"]](job["model"])
    def t2g(k):
        mod = net.get_submodule(k.rsplit(".", 1)[0])
        if isinstance(mod, BN): return k[:-7] + ".gamma" if k.endswith(".weight") else (k[:-5] + ".beta" if k.endswith(".bias") else k)
        return k
    sd = net.state_dict()
    names = {t2g(k): k for k in sd}
    if job.get("namesOnly"):
        return {g: list(sd[t].shape) for g, t in names.items()}
    if job.get("writeParams"):
        # A zoo-style MXNet 1.x save_parameters file (NDArray list, src/ndarray/ndarray.cc NDArray::Save), written here from torch's random weights.
        import struct
        torch.manual_seed(5)
        with torch.no_grad():
            for k, v in sd.items():
                if k.endswith("running_var"): v.uniform_(0.5, 1.5)
                elif k.endswith("running_mean") or isinstance(net.get_submodule(k.rsplit(".", 1)[0]), BN): v.uniform_(-0.5, 1.5)
                else: v.uniform_(-0.3, 0.3)
        arrays = {g: sd[names[g]].numpy() for g in names}
        # MXNet writes the fixed gamma of a scale=False BatchNorm too (ones; fix_gamma ignores it).
        for k, m in net.named_modules():
            if isinstance(m, BN) and m.weight is None: arrays[k + ".gamma"] = np.ones(m.running_mean.shape)
        gnames = sorted(arrays)
        with open(job["writeParams"], "wb") as f:
            f.write(struct.pack("<QQQ", 0x112, 0, len(gnames)))
            for g in gnames:
                a = arrays[g].astype(np.float32)
                f.write(struct.pack("<Iii", 0xF993FAC9, 0, a.ndim) + struct.pack("<%dq" % a.ndim, *a.shape) + struct.pack("<iii", 1, 0, 0) + a.tobytes())
            f.write(struct.pack("<Q", len(gnames)))
            for g in gnames: f.write(struct.pack("<Q", len(g)) + g.encode())
        net.eval()
        with torch.no_grad(): out = net(torch.tensor(np.load(job["x"])))
        return {"shape": list(out.shape), "data": out.double().flatten().tolist()}
    p0 = dict(np.load(job["params"]))
    extra = sorted(set(p0) - set(names)); missing = sorted(set(names) - set(p0))
    # fix_gamma's gamma (Gluon's scale=False) has no torch counterpart: the only name gluonc may have beyond torch's.
    bad = [k for k in extra if not (k.endswith(".gamma") and isinstance(net.get_submodule(k.rsplit(".", 1)[0]), BN))]
    if bad or missing: raise ValueError("names differ: gluon only %s, torch only %s" % (bad, missing))
    def load():
        net.load_state_dict({names[g]: torch.tensor(p0[g]) for g in names})
    x = torch.tensor(np.load(job["x"])); y = torch.tensor(np.load(job["y"])).long()
    res = {}
    load(); net.eval()
    with torch.no_grad(): res["eval"] = net(x)
    net.train(); out = net(x); res["train"] = out.detach()
    Fn.cross_entropy(out, y, reduction="sum").backward()
    sd = net.state_dict()
    for g, t in names.items():
        p = dict(net.named_parameters()).get(t)
        if p is not None: res["grad:" + g] = p.grad.detach().clone()
        elif g.endswith("running_mean") or g.endswith("running_var"): res["stat1:" + g] = sd[t].clone()
    load(); net.zero_grad()
    trainable = [p for p in net.parameters()]
    opt = torch.optim.SGD(trainable, lr=job["lr"], momentum=job["momentum"], weight_decay=job["wd"])
    B = x.shape[0]
    for _ in range(job["steps"]):
        opt.zero_grad(); (Fn.cross_entropy(net(x), y, reduction="sum") / B).backward(); opt.step()
    sd = net.state_dict()
    for g, t in names.items(): res["sgd:" + g] = sd[t].clone()
    reports = []
    for f in job["mine"]:
        mine = dict(np.load(f)); report = {}
        for k, v in res.items():
            if k not in mine: report[k] = None; continue
            a = np.asarray(mine[k], np.float64); b = v.double().numpy()
            gap = float(np.max(np.abs(a - b))) if a.shape == b.shape and a.size else (0.0 if a.shape == b.shape else 1e308)
            report[k] = [gap if np.isfinite(gap) else 1e308, float(np.max(np.abs(b))) if b.size else 0.0]
        report["_extra"] = sorted(set(mine) - set(res)); reports.append(report)
    return reports

print(json.dumps([run(j) for j in json.load(sys.stdin)]))
`;

/** One comparison: the model spec, the files, the optimizer's settings. */
export interface ZooJob {
  model: Record<string, unknown>;
  dtype: 'float32' | 'float64';
  params?: string;
  x?: string;
  y?: string;
  /** gluonc's results (npz), each compared with the one reference run. */
  mine?: string[];
  lr?: number;
  momentum?: number;
  wd?: number;
  steps?: number;
  /** Only the torch mirror's names (as Gluon's) and shapes. */
  namesOnly?: boolean;
  /** Write an MXNet `.params` file of torch's random weights here; answer torch's eval output of `x`. */
  writeParams?: string;
}

/**
 * Runs the PyTorch reference of each job in one request to the python3
 * reference server (python-server.ts); a comparison job answers, per file of `mine`, per key,
 * [max |gluonc - torch|, max |torch|] (null: gluonc did not write it; 1e308:
 * a NaN or a shape that differs).
 */
export function torchRun(jobs: ZooJob[]): any[] {
  // One thread by the script's torch.set_num_threads(1) (the reference server imported torch already: OMP_NUM_THREADS would come too late).
  const r = runPython(PY, { input: JSON.stringify(jobs) });
  if (r.status !== 0) throw new Error(`PyTorch reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
