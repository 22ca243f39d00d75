#!/usr/bin/python3
"""PyTorch reference for lesson 3.5 (convolutional_networks): one timed training epoch of
LeNet-5 on the 60 000 Fashion-MNIST training images, the same network, optimizer and batch
as the lesson's bench (convolutional_networks_bench.cpp):

  conv 6@5x5 padding 2 -> ReLU -> 2x2 max pool -> conv 16@5x5 -> ReLU -> 2x2 max pool
  -> 400 -> 120 -> ReLU -> 84 -> ReLU -> 10, mean cross-entropy, Adam (lr 1e-3), batch 128,
  shuffled, the last incomplete batch dropped.

One warm-up epoch, then one timed epoch; then the test accuracy after the timed epoch's
weights (two epochs of training in all, as the C++ bench). Prints one JSON object:
{"model": "lenet5", "time_name": "lenet5_epoch_seconds", "time": s,
 "quality_name": "test_accuracy_after_1_epoch", "quality": x, "threads": N}
(quality is measured after the warm-up epoch, i.e. after one epoch of training).

Usage: /usr/bin/python3 bench/deep/convolutional_networks.py [--threads N] [--seed S]
Data: IDX files from /usr/share/datasets/fashion-mnist or $MLC_FASHION_MNIST_DIR.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    """An IDX file (plain or .gz) as a numpy array."""
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    sys.exit(f"error: {path}[.gz] not found; install dataset-fashion-mnist (./learn setup) "
             "or set MLC_FASHION_MNIST_DIR")


def load(directory, split):
    images = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return x, torch.from_numpy(labels.astype(np.int64))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def epoch(model, opt, x, y, batch, generator):
    model.train()
    order = torch.randperm(x.shape[0], generator=generator)
    for s in range(x.shape[0] // batch):
        idx = order[s * batch:(s + 1) * batch]
        opt.zero_grad(set_to_none=False)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    directory = os.environ.get("MLC_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    x_train, y_train = load(directory, "train")
    x_test, y_test = load(directory, "t10k")
    model = LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(args.seed)
    epoch(model, opt, x_train, y_train, 128, generator)  # warm-up
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    start = time.perf_counter()
    epoch(model, opt, x_train, y_train, 128, generator)
    seconds = time.perf_counter() - start
    print(json.dumps({"model": "lenet5", "time_name": "lenet5_epoch_seconds", "time": seconds,
                      "quality_name": "test_accuracy_after_1_epoch", "quality": accuracy,
                      "threads": args.threads}))


if __name__ == "__main__":
    main()
