"""PyTorch peer of bench/reasoning-decode.bench.ts: the reasoner's causal transformer
(learners/models/transformer.ts) in torch with the SAME weights (exported from policy.onnx's
initializers by the bench), greedy batched decoding of the same prompts, with and without a KV
cache, timed like Reverie's. Prints JSON lines on stdout.

  /usr/bin/python3 bench/peers/torch_decode.py --weights W.json --prompts P.json --threads 2

W.json: {"config": {...}, "tensors": {name: {"shape": [...], "offset": floats}}, "bin": "W.bin"}
P.json: {"check": [[ids]...], "checkLogits": [[[...]]], "runs": [{"batch", "kvCache", "rounds": [[[ids]...]...]}]}
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(path):
    spec = json.load(open(path))
    raw = np.fromfile(os.path.join(os.path.dirname(path), spec["bin"]), dtype="<f4")
    w = {}
    for name, t in spec["tensors"].items():
        n = int(np.prod(t["shape"]))
        w[name] = torch.from_numpy(raw[t["offset"]:t["offset"] + n].copy().reshape(t["shape"]))
    return spec["config"], w


class Reasoner:
    """The transformer of learners/models/transformer.ts: pre-LN blocks, exact GELU, W stored [out, in]."""

    def __init__(self, config, w):
        self.w = w
        self.d = config["dModel"]
        self.heads = config["heads"]
        self.dh = self.d // self.heads
        self.layers = config["layers"]
        self.seq = config["seq"]
        self.eps = 1e-5
        self.scale = 1 / math.sqrt(self.dh)
        self.mask = torch.triu(torch.full((self.seq, self.seq), -1e9), 1)

    def ln(self, name, x):
        return F.layer_norm(x, (self.d,), self.w[name + ".weight"], self.w[name + ".bias"], self.eps)

    def lin(self, name, x):
        return F.linear(x, self.w[name + ".weight"], self.w[name + ".bias"])

    def mlp(self, l, h):
        return h + self.lin(f"h{l}.mlp.proj", F.gelu(self.lin(f"h{l}.mlp.fc", self.ln(f"h{l}.ln2", h))))

    def full(self, tokens):
        """tokens [B, T] → logits [B, T, vocab] (T ≤ seq), the inference graph policy.onnx is."""
        B, T = tokens.shape
        h = self.w["wte"][tokens] + self.w["wpe"][:T]
        for l in range(self.layers):
            x = self.ln(f"h{l}.ln1", h)
            q = (self.lin(f"h{l}.attn.q", x) * self.scale).view(B, T, self.heads, self.dh).transpose(1, 2)
            k = self.lin(f"h{l}.attn.k", x).view(B, T, self.heads, self.dh).transpose(1, 2)
            v = self.lin(f"h{l}.attn.v", x).view(B, T, self.heads, self.dh).transpose(1, 2)
            att = torch.softmax(q @ k.transpose(-1, -2) + self.mask[:T, :T], -1)
            o = (att @ v).transpose(1, 2).reshape(B, T, self.d)
            h = self.mlp(l, h + self.lin(f"h{l}.attn.proj", o))
        return self.lin("head", self.ln("lnf", h))

    def step(self, token, pos, K, V):
        """One token per row at its own position; K, V [layers] of [n, H, seq, dh], written in place."""
        n = token.shape[0]
        rows = torch.arange(n)
        span = int(pos.max()) + 1  # attend over the filled prefix only (what a growing cache reads)
        visible = torch.arange(span).unsqueeze(0) <= pos.unsqueeze(1)
        mask = torch.zeros(n, 1, span).masked_fill_(~visible.unsqueeze(1), -1e9)
        h = self.w["wte"][token] + self.w["wpe"][pos]
        for l in range(self.layers):
            x = self.ln(f"h{l}.ln1", h)
            q = (self.lin(f"h{l}.attn.q", x) * self.scale).view(n, self.heads, 1, self.dh)
            K[l][rows, :, pos] = self.lin(f"h{l}.attn.k", x).view(n, self.heads, self.dh)
            V[l][rows, :, pos] = self.lin(f"h{l}.attn.v", x).view(n, self.heads, self.dh)
            k, v = K[l][:, :, :span], V[l][:, :, :span]
            att = torch.softmax((q @ k.transpose(-1, -2)).squeeze(2) + mask, -1)  # [n, H, span]
            o = (att.unsqueeze(2) @ v).reshape(n, self.d)
            h = self.mlp(l, h + self.lin(f"h{l}.attn.proj", o))
        return self.lin("head", self.ln("lnf", h))


def decode_full(m, prompts, eos, pad):
    """Like learners/reasoning/decode.ts decode: every step recomputes all seq positions of the active rows."""
    seqs = [list(p) for p in prompts]
    active = list(range(len(seqs)))
    tokens = 0
    while active:
        batch = torch.full((len(active), m.seq), pad, dtype=torch.long)
        for r, j in enumerate(active):
            batch[r, :len(seqs[j])] = torch.tensor(seqs[j])
        logits = m.full(batch)
        last = torch.tensor([len(seqs[j]) - 1 for j in active])
        nxt = logits[torch.arange(len(active)), last].argmax(-1).tolist()
        still = []
        for j, t in zip(active, nxt):
            seqs[j].append(t)
            tokens += 1
            if t != eos and len(seqs[j]) <= m.seq:
                still.append(j)
        active = still
    return seqs, tokens


def decode_cached(m, prompts, eos):
    """Like decodeCached: prompts fed token by token, each row at its own position; finished rows dropped from the cache."""
    seqs = [list(p) for p in prompts]
    n = len(seqs)
    K = [torch.zeros(n, m.heads, m.seq, m.dh) for _ in range(m.layers)]
    V = [torch.zeros(n, m.heads, m.seq, m.dh) for _ in range(m.layers)]
    rows = list(range(n))
    fed = [0] * n
    tokens = 0
    while rows:
        token = torch.tensor([seqs[j][fed[j]] for j in rows])
        pos = torch.tensor([fed[j] for j in rows])
        logits = m.step(token, pos, K, V)
        nxt = logits.argmax(-1).tolist()
        keep = []
        for r, j in enumerate(rows):
            fed[j] += 1
            if fed[j] < len(seqs[j]):
                keep.append(r)
                continue
            seqs[j].append(nxt[r])
            tokens += 1
            if nxt[r] != eos and len(seqs[j]) <= m.seq:
                keep.append(r)
        if len(keep) < len(rows):
            idx = torch.tensor(keep, dtype=torch.long)
            K = [k.index_select(0, idx) for k in K]
            V = [v.index_select(0, idx) for v in V]
            rows = [rows[r] for r in keep]
    return seqs, tokens


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    config, w = load(a.weights)
    m = Reasoner(config, w)
    spec = json.load(open(a.prompts))
    eos, pad = spec["eos"], spec["pad"]
    with torch.inference_mode():
        # the same logits as Reverie's policy.onnx on the check prompts (padded to the context)
        diff = 0.0
        for ids, want in zip(spec["check"], spec["checkLogits"]):
            batch = torch.full((1, m.seq), pad, dtype=torch.long)
            batch[0, :len(ids)] = torch.tensor(ids)
            got = m.full(batch)[0, :len(ids)]
            diff = max(diff, float((got - torch.tensor(want)).abs().max()))
        # and the cached step model gives the full model's logits
        ids = spec["check"][0]
        K = [torch.zeros(1, m.heads, m.seq, m.dh) for _ in range(m.layers)]
        V = [torch.zeros(1, m.heads, m.seq, m.dh) for _ in range(m.layers)]
        stepdiff = 0.0
        for p, t in enumerate(ids):
            got = m.step(torch.tensor([t]), torch.tensor([p]), K, V)[0]
            stepdiff = max(stepdiff, float((got - torch.tensor(spec["checkLogits"][0][p])).abs().max()))
        print(json.dumps({"peer": "pytorch", "check": "logits", "prompts": len(spec["check"]), "maxAbsDiff": diff, "kvStepMaxAbsDiff": stepdiff, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
        for run in spec["runs"]:
            fn = (lambda ps: decode_cached(m, ps, eos)) if run["kvCache"] else (lambda ps: decode_full(m, ps, eos, pad))
            fn(run["rounds"][0][:1])  # warm-up
            tokens = 0
            seconds = 0.0
            completions = []
            for prompts in run["rounds"]:
                t0 = time.perf_counter()
                seqs, n = fn(prompts)
                seconds += time.perf_counter() - t0
                tokens += n
                completions.extend(s[len(p):] for s, p in zip(seqs, prompts))
            print(json.dumps({"peer": "pytorch", "batch": run["batch"], "kvCache": run["kvCache"], "tokens": tokens, "seconds": seconds, "tokensPerSecond": tokens / seconds, "completions": completions}), flush=True)


if __name__ == "__main__":
    main()
