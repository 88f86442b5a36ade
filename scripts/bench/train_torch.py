#!/usr/bin/env python3
"""The PyTorch baseline of the training benchmark (scripts/bench/train_bench.sh).

What a PyTorch user would write for the job `freshet retrain` does: read the HDF5 partitions with
h5py, prepare the same features in numpy (fill, standardise, vocabularies: 0 = missing,
1 = unseen, 2.. = most frequent first), train the same MLP (scripts/load_checkpoint.py builds it
from the same architecture description) with the same optimiser, batch size and epochs through a
standard DataLoader, and score the held-out partition. Prints one JSON line: seconds and AUC.
"""
import argparse
import glob
import json
import os
import sys
import time

import h5py
import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from load_checkpoint import build  # noqa: E402

# (column, fill): fill is "mean", "median" or a constant; every numeric column is standardised.
NUMERIC = [("age", "median"), ("income", "mean"), ("sessions_7d", 0.0), ("spend_30d", "mean"),
           ("tenure_days", "mean"), ("support_tickets", "mean")]
CATEGORICAL = ["country", "plan", "device"]
LABEL = "churned"


def read(files):
    cols = {}
    for path in files:
        with h5py.File(path, "r") as f:
            for c in [n for n, _ in NUMERIC] + CATEGORICAL + [LABEL]:
                cols.setdefault(c, []).append(f[c][()])
    return {c: np.concatenate(v) for c, v in cols.items()}


def fit(train):
    state = {}
    for c, fill in NUMERIC:
        x = train[c].astype(np.float64)
        present = x[~np.isnan(x)]
        value = {"mean": present.mean() if present.size else 0.0,
                 "median": np.median(present) if present.size else 0.0}.get(fill, fill)
        filled = np.where(np.isnan(x), value, x)
        std = filled.std()
        state[c] = (value, filled.mean(), 1.0 / std if std > 0 else 1.0)
    for c in CATEGORICAL:
        values, counts = np.unique(train[c][train[c] != b""], return_counts=True)
        order = sorted(range(len(values)), key=lambda i: (-counts[i], values[i]))
        state[c] = {values[i]: j + 2 for j, i in enumerate(order)}
    return state


def transform(cols, state):
    dense = []
    for c, _ in NUMERIC:
        value, mean, scale = state[c]
        x = cols[c].astype(np.float64)
        dense.append((np.where(np.isnan(x), value, x) - mean) * scale)
    cats = [np.array([0 if v == b"" else state[c].get(v, 1) for v in cols[c]], dtype=np.int64)
            for c in CATEGORICAL]
    return (torch.from_numpy(np.stack(dense, 1).astype(np.float32)),
            torch.from_numpy(np.stack(cats, 1)),
            torch.from_numpy(cols[LABEL].astype(np.float32)))


def auc(scores, labels):
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        ranks[i:j] = (i + j + 1) / 2.0
        i = j
    pos = labels[order] > 0.5
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("landing")
    ap.add_argument("--eval-days", type=int, default=1)
    ap.add_argument("--hidden", default="64,32")
    ap.add_argument("--embedding-dim", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--device", default="cpu", help="cpu or cuda: batches move there each step")
    args = ap.parse_args()

    start = time.perf_counter()
    torch.manual_seed(args.seed)
    files = sorted(glob.glob(os.path.join(args.landing, "day-*.h5")))
    train_cols = read(files[:-args.eval_days])
    eval_cols = read(files[-args.eval_days:])
    state = fit(train_cols)
    dense, cats, y = transform(train_cols, state)
    eval_dense, eval_cats, eval_y = transform(eval_cols, state)
    arch = {"format": "freshet.model/1", "kind": "mlp", "task": "binary", "outputs": 1,
            "dense_dim": dense.shape[1], "dense_names": [n for n, _ in NUMERIC],
            "categorical": [{"name": c, "cardinality": len(state[c]) + 2,
                             "embedding_dim": args.embedding_dim} for c in CATEGORICAL],
            "hidden": [int(h) for h in args.hidden.split(",")], "activation": "relu",
            "norm": "none", "dropout": 0.0}
    dev = torch.device(args.device)
    model = build(arch).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    loader = DataLoader(TensorDataset(dense, cats, y), batch_size=args.batch_size, shuffle=True,
                        pin_memory=dev.type == "cuda")
    prep = time.perf_counter() - start
    for epoch in range(args.epochs):
        model.train()
        for d, c, t in loader:
            d, c, t = (x.to(dev, non_blocking=True) for x in (d, c, t))
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(d, c)[:, 0], t)
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        scores = torch.cat([torch.sigmoid(model(eval_dense[i:i + 65536].to(dev),
                                                eval_cats[i:i + 65536].to(dev))[:, 0]).cpu()
                            for i in range(0, len(eval_y), 65536)])
    seconds = time.perf_counter() - start
    print(json.dumps({"tool": "pytorch", "device": args.device, "seconds": seconds, "prepare_seconds": prep,
                      "train_rows": len(y), "eval_rows": len(eval_y),
                      "auc": float(auc(scores.numpy(), eval_y.numpy()))}))


if __name__ == "__main__":
    main()
