#!/usr/bin/env python3
"""PyTorch peer for bench/train.bench.ts: trains W1 (mlp-bc) or W2 (tiny-gpt) on CPU and prints
one JSON line with the median steps/s over timed blocks after warm-up.

Same architecture, initialisation scheme (PyTorch's defaults, which learners/models copies:
Linear U(+-1/sqrt(in)) for weight and bias, embeddings and positions N(0, 1), LayerNorm 1/0),
optimiser and data recipe as the Reverie side (learners/models/workloads.ts). Run by the bench; by hand:
    python3 bench/peers/torch_train.py --workload mlp-bc --threads 2
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp_bc(gen):
    """W1: MLP 128-256-256-32, ReLU, batch 256, softmax CE, Adam(1e-3)."""
    model = nn.Sequential(nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 32))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    # data recipe: x ~ N(0, 1); label = argmax of a fixed random linear teacher; 16 batches cycled
    teacher = torch.randn(128, 32, generator=gen)
    xs = [torch.randn(256, 128, generator=gen) for _ in range(16)]
    ys = [(x @ teacher).argmax(dim=1) for x in xs]

    def step(i):
        x, y = xs[i % 16], ys[i % 16]
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


class Block(nn.Module):
    def __init__(self, d, heads, hidden):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.k = nn.Linear(d, d)
        self.v = nn.Linear(d, d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        h = self.heads
        a = self.ln1(x)
        q = (self.q(a) * (1.0 / math.sqrt(d // h))).view(b, t, h, d // h).transpose(1, 2)
        k = self.k(a).view(b, t, h, d // h).transpose(1, 2)
        v = self.v(a).view(b, t, h, d // h).transpose(1, 2)
        att = q @ k.transpose(-2, -1)
        att = att.masked_fill(mask, float('-inf')).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TinyGpt(nn.Module):
    def __init__(self, vocab=64, d=128, heads=4, layers=2, hidden=512, seq=64):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq, d))
        self.blocks = nn.ModuleList([Block(d, heads, hidden) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.register_buffer('mask', torch.triu(torch.ones(seq, seq, dtype=torch.bool), diagonal=1))

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos[:t]
        for blk in self.blocks:
            x = blk(x, self.mask[:t, :t])
        return self.head(self.ln(x))


def tiny_gpt(gen):
    """W2: causal transformer, vocab 64, d 128, 4 heads, 2 layers, MLP 512 GELU, pre-LN, learned
    positions, seq 64, batch 32, next-token CE, AdamW(3e-4, wd 0.01)."""
    model = TinyGpt()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    # data recipe: s[0] uniform, s[i+1] = (5 s[i] + 1) mod 64 with p 0.9, else uniform;
    # inputs are s[0..63], targets s[1..64]
    seqs = []
    for _ in range(16):
        s = torch.empty(32, 65, dtype=torch.long)
        s[:, 0] = torch.randint(0, 64, (32,), generator=gen)
        for i in range(64):
            keep = torch.rand(32, generator=gen) < 0.9
            s[:, i + 1] = torch.where(keep, (5 * s[:, i] + 1) % 64, torch.randint(0, 64, (32,), generator=gen))
        seqs.append(s)

    def step(i):
        s = seqs[i % 16]
        opt.zero_grad(set_to_none=True)
        logits = model(s[:, :64])
        loss = F.cross_entropy(logits.reshape(-1, 64), s[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        return loss

    return step


def blas_library():
    try:
        with open('/proc/self/maps') as f:
            libs = {line.split()[-1] for line in f if 'blas' in line.lower() and '/' in line}
        return sorted(libs)
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--workload', choices=['mlp-bc', 'tiny-gpt'], required=True)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=20, help='warm-up steps (fewer if they would take over --warmup-seconds)')
    ap.add_argument('--warmup-seconds', type=float, default=3.0)
    ap.add_argument('--block-steps', type=int, default=100, help='steps per timed block (fewer if a block would take over --block-seconds)')
    ap.add_argument('--block-seconds', type=float, default=3.0)
    ap.add_argument('--blocks', type=int, default=5)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    step = (mlp_bc if args.workload == 'mlp-bc' else tiny_gpt)(gen)

    i = 0
    t0 = time.perf_counter()
    first = float(step(i))
    i += 1
    per_step = time.perf_counter() - t0
    while i < args.warmup and (time.perf_counter() - t0) + per_step < args.warmup_seconds:
        s = time.perf_counter()
        step(i)
        i += 1
        per_step = time.perf_counter() - s
    n = max(1, min(args.block_steps, round(args.block_seconds / per_step)))
    rates = []
    for _ in range(args.blocks if per_step < 2 else min(args.blocks, 3)):
        s = time.perf_counter()
        for _ in range(n):
            loss = step(i)
            i += 1
        rates.append(n / (time.perf_counter() - s))
    print(json.dumps({
        'stepsPerSec': statistics.median(rates),
        'rates': [round(r, 3) for r in rates],
        'blockSteps': n,
        'steps': i,
        'lossFirst': first,
        'lossLast': float(loss),
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': blas_library(),
    }))


if __name__ == '__main__':
    sys.exit(main())
