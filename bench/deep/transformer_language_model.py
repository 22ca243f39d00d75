#!/usr/bin/python3
"""PyTorch side of the transformer_language_model benchmark (lesson 3.8).

The same model and optimizer as bench/deep/transformer_language_model_bench.cpp and the
lesson's full run: a decoder-only transformer (nanoGPT's CPU configuration: 4 layers, 4
heads, width 128, MLP 4x wide with the tanh GELU, context 64, pre-norm blocks with biases,
final layer norm, output head tied to the token embedding), AdamW (betas 0.9 and 0.99,
eps 1e-8, weight decay 0.1 on matrices and embeddings only), gradient clipping at norm 1,
batches of 12 random windows of tiny-shakespeare's first 90 %. Five warm-up steps, then the
mean wall time of 30 steps (forward, backward, clipping, optimizer step).

Usage: transformer_language_model.py [--threads N] [--steps S] [--warmup W]
Prints one JSON object on stdout. Data: data/tinyshakespeare.txt of the repository.
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

V_CONTEXT, WIDTH, LAYERS, HEADS, BATCH = 64, 128, 4, 4, 12


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(WIDTH)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.ln2 = nn.LayerNorm(WIDTH)
        self.fc = nn.Linear(WIDTH, 4 * WIDTH)
        self.fc_proj = nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(WIDTH, dim=2)
        q, k, v = (t.view(B, T, HEADS, C // HEADS).transpose(1, 2) for t in (q, k, v))
        # PyTorch 1.13 has no fused scaled_dot_product_attention: nanoGPT's fallback path
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // HEADS))
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(y)
        return x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(nn.Module):
    def __init__(self, vocabulary):
        super().__init__()
        self.wte = nn.Embedding(vocabulary, WIDTH)
        self.wpe = nn.Embedding(V_CONTEXT, WIDTH)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(WIDTH)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * LAYERS) if name.endswith(("proj.weight",)) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.blocks:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(root, "data", "tinyshakespeare.txt"), encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    lookup = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([lookup[c] for c in text], dtype=torch.long)
    train = data[: int(0.9 * len(data))]
    model = Gpt(len(chars))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                   {"params": no_decay, "weight_decay": 0.0}],
                                  lr=1e-3, betas=(0.9, 0.99), eps=1e-8)

    def step():
        ix = torch.randint(len(train) - V_CONTEXT - 1, (BATCH,))
        x = torch.stack([train[i:i + V_CONTEXT] for i in ix])
        y = torch.stack([train[i + 1:i + 1 + V_CONTEXT] for i in ix])
        loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    ms = (time.perf_counter() - start) / args.steps * 1000.0
    print(json.dumps({"model": "char_transformer", "time_name": "step_ms", "time": ms,
                      "quality_name": None, "quality": None, "threads": args.threads}))


if __name__ == "__main__":
    main()
