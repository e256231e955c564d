"""The PyTorch peer of test/bench/gpt.ts: the same GPT written with
torch.nn.TransformerEncoderLayer (pre-norm, GELU, causal mask), trained
with Adam, driven over stdin/stdout by the benchmark so that its steps are
timed interleaved with ours.

Protocol (one line each): the first line is a JSON object
{"config": {...}, "weights": path, "index": [[name, shape, offset], ...],
 "data": path, "batches": n, "threads": k}; the script answers
"ready <first loss>" (the loss of batch 0 with the given weights, before
any update). Then "step" runs one training step and answers "ok";
"rss" answers the peak resident memory in bytes (VmHWM: ru_maxrss
would include the parent's memory, carried across fork and exec); "quit" exits.
"""
import json
import resource
import sys

import numpy as np
import torch
from torch import nn


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.emb = nn.Embedding(c["vocab"], c["units"])
        self.pos = nn.Embedding(c["context"], c["units"])
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(c["units"], c["heads"], c["hidden"], dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True)
            for _ in range(c["layers"]))
        self.norm = nn.LayerNorm(c["units"])

    def forward(self, tokens):
        t = tokens.shape[1]
        x = self.emb(tokens) + self.pos(torch.arange(t))
        mask = nn.Transformer.generate_square_subsequent_mask(t)
        for layer in self.layers:
            x = layer(x, src_mask=mask, is_causal=True)
        return self.norm(x) @ self.emb.weight.t()  # tied output


def load(model, c, weights, index):
    flat = np.fromfile(weights, dtype=np.float32)
    w = {name: torch.from_numpy(flat[off:off + int(np.prod(shape))].reshape(shape).copy()) for name, shape, off in index}
    sd = {"emb.weight": w["embedding.weight"], "pos.weight": w["position.weight"],
          "norm.weight": w["norm.gamma"], "norm.bias": w["norm.beta"]}
    for i in range(c["layers"]):
        p = f"blocks.{i}."
        q = f"layers.{i}."
        sd[q + "self_attn.in_proj_weight"] = torch.cat([w[p + "attention.query_weight"], w[p + "attention.key_weight"], w[p + "attention.value_weight"]])
        sd[q + "self_attn.in_proj_bias"] = torch.cat([w[p + "attention.query_bias"], w[p + "attention.key_bias"], w[p + "attention.value_bias"]])
        sd[q + "self_attn.out_proj.weight"] = w[p + "attention.out_weight"]
        sd[q + "self_attn.out_proj.bias"] = w[p + "attention.out_bias"]
        for ours, theirs in (("ffn1", "linear1"), ("ffn2", "linear2")):
            sd[q + theirs + ".weight"] = w[p + ours + ".weight"]
            sd[q + theirs + ".bias"] = w[p + ours + ".bias"]
        for n in ("norm1", "norm2"):
            sd[q + n + ".weight"] = w[p + n + ".gamma"]
            sd[q + n + ".bias"] = w[p + n + ".beta"]
    model.load_state_dict(sd, strict=True)


def peak_rss_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    setup = json.loads(sys.stdin.readline())
    c = setup["config"]
    torch.set_num_threads(setup["threads"])
    torch.manual_seed(0)
    model = GPT(c)
    load(model, c, setup["weights"], setup["index"])
    n, b, t = setup["batches"], c["batch"], c["context"]
    data = torch.from_numpy(np.fromfile(setup["data"], dtype=np.int32).reshape(n, b, t + 1).astype(np.int64))
    opt = torch.optim.Adam(model.parameters(), lr=c["lr"], eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()

    def loss_of(k):
        x, y = data[k, :, :-1], data[k, :, 1:]
        return loss_fn(model(x).reshape(-1, c["vocab"]), y.reshape(-1))

    with torch.no_grad():
        first = loss_of(0).item()
    print(f"ready {first!r}", flush=True)
    k = 0
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "step":
            opt.zero_grad(set_to_none=True)
            loss = loss_of(k % n)
            loss.backward()
            opt.step()
            k += 1
            print("ok", flush=True)
        elif cmd == "rss":
            print(peak_rss_bytes(), flush=True)
        elif cmd == "quit":
            return
        else:
            print(f"error unknown command {cmd!r}", flush=True)


if __name__ == "__main__":
    main()
