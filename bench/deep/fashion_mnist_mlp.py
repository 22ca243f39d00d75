#!/usr/bin/python3
"""PyTorch side of the fashion_mnist_mlp benchmark (lesson 3.3).

The same model, data and optimizer as bench/deep/fashion_mnist_mlp_bench.cpp: an MLP
784-256-128-10 with ReLU, He-normal weights and zero biases, Adam (lr 1e-3, betas 0.9 and
0.999, eps 1e-8), minibatches of 128 drawn from a shuffled order of the 60 000 training
images (the last incomplete batch dropped), pixels standardized with the mean and standard
deviation of all training pixels. One warm-up epoch on a throwaway network, then one timed
epoch of a fresh network; the quality is that network's test accuracy after its one epoch.

Usage: fashion_mnist_mlp.py [--threads N]   (prints one JSON object on stdout)
Data: /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist) or
$MLC_FASHION_MNIST_DIR.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder, prefix):
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
    return images.reshape(len(images), -1).astype(np.float32) / 255.0, labels.astype(np.int64)


def make_model():
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(),
                                torch.nn.Linear(128, 10))
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            torch.nn.init.zeros_(layer.bias)
    return model


def train_epoch(model, optimizer, X, y, batch, generator):
    order = torch.randperm(X.shape[0], generator=generator)
    loss_fn = torch.nn.CrossEntropyLoss()
    for s in range(X.shape[0] // batch):
        rows = order[s * batch:(s + 1) * batch]
        optimizer.zero_grad(set_to_none=False)
        loss = loss_fn(model(X[rows]), y[rows])
        loss.backward()
        optimizer.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    folder = os.environ.get("MLC_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    X_train, y_train = load(folder, "train")
    X_test, y_test = load(folder, "t10k")
    mean, sd = X_train.mean(dtype=np.float64), X_train.std(dtype=np.float64)
    X_train = torch.from_numpy((X_train - mean) / sd)
    X_test = torch.from_numpy((X_test - mean) / sd)
    y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)
    generator = torch.Generator().manual_seed(42)

    warm = make_model()
    train_epoch(warm, torch.optim.Adam(warm.parameters(), lr=1e-3), X_train, y_train, 128,
                generator)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    train_epoch(model, optimizer, X_train, y_train, 128, generator)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (model(X_test).argmax(dim=1) == y_test).double().mean().item()
    print(json.dumps({"model": "pytorch " + torch.__version__, "time_name": "epoch_seconds",
                      "time": seconds, "quality_name": "test_accuracy_after_1_epoch",
                      "quality": accuracy, "threads": args.threads}))


if __name__ == "__main__":
    main()
