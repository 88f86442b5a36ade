#!/usr/bin/env python3
"""Rebuild a freshet model in PyTorch and check it against freshet's own predictions.

A version folder holds model.json (the architecture) and model.safetensors (the weights, named as
the nn.Module below names them), and the same for the linear fallback (model.fallback.*).

As a library:
    from load_checkpoint import load, predict
    model, arch = load("registry/churn/v000002")          # nn.Module in eval mode, model.json
    scores = predict(model, arch, dense, cats)              # float32 dense [N, D], int64 cats [N, C]

As a script:
    load_checkpoint.py VERSION_DIR [--fallback] [--pt] [--check PREDICTIONS.h5|.csv]
                       [--tolerance 1e-5]
prints the model; with --pt, checks that model.pt holds the same weights; with --check, reads a file written by
`freshet predict --with-features` (columns dense.<name>, cat.<name> and the predictions), runs the
rebuilt model on those features and exits 1 when any prediction differs by more than the tolerance.
Needs torch and safetensors (and h5py or numpy for --check).
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file
from torch import nn


class LinearPart(nn.Module):
    """logits = linear(dense) + sum_k embeddings[k](cats[:, k]); outputs-wide embeddings."""

    def __init__(self, arch):
        super().__init__()
        out = arch["outputs"]
        self.embeddings = nn.ModuleList(
            nn.Embedding(c["cardinality"], out) for c in arch["categorical"])
        if arch["dense_dim"] > 0:
            self.linear = nn.Linear(arch["dense_dim"], out)
        else:
            self.linear = None
            self.bias = nn.Parameter(torch.zeros(out))

    def forward(self, dense, cats):
        if self.linear is not None:
            z = self.linear(dense)
        else:
            z = self.bias.expand(dense.shape[0], -1)
        for k, emb in enumerate(self.embeddings):
            z = z + emb(cats[:, k])
        return z


class MlpPart(nn.Module):
    """logits = out(mlp(concat(dense, embeddings[k](cats[:, k]) ...)))."""

    def __init__(self, arch):
        super().__init__()
        self.embeddings = nn.ModuleList(
            nn.Embedding(c["cardinality"], c["embedding_dim"]) for c in arch["categorical"])
        width = arch["dense_dim"] + sum(c["embedding_dim"] for c in arch["categorical"])
        layers = []
        for h in arch["hidden"]:
            layers.append(nn.Linear(width, h))
            if arch["norm"] == "layer":
                layers.append(nn.LayerNorm(h))
            elif arch["norm"] == "batch":
                layers.append(nn.BatchNorm1d(h))
            layers.append({"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}[arch["activation"]]())
            if arch["dropout"] > 0:
                layers.append(nn.Dropout(arch["dropout"]))
            width = h
        self.mlp = nn.Sequential(*layers)
        self.out = nn.Linear(width, arch["outputs"])

    def forward(self, dense, cats):
        parts = [dense] + [emb(cats[:, k]) for k, emb in enumerate(self.embeddings)]
        x = torch.cat(parts, 1) if len(parts) > 1 else dense
        return self.out(self.mlp(x))


class WideDeep(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.wide = LinearPart(arch)
        self.deep = MlpPart(arch)

    def forward(self, dense, cats):
        return self.wide(dense, cats) + self.deep(dense, cats)


def build(arch):
    """An untrained nn.Module for a model.json dict."""
    if arch.get("format") not in ("freshet.model/1", "freshet.model/2"):
        raise ValueError("not a freshet model description: format %r" % arch.get("format"))
    return {"linear": LinearPart, "mlp": MlpPart, "wide_deep": WideDeep}[arch["kind"]](arch)


def load(version_dir, fallback=False, device="cpu"):
    """The model of a version folder (or its fallback), weights loaded, in eval mode."""
    stem = "model.fallback" if fallback else "model"
    with open(os.path.join(version_dir, stem + ".json")) as f:
        arch = json.load(f)
    model = build(arch)
    model.load_state_dict(load_file(os.path.join(version_dir, stem + ".safetensors")), strict=True)
    return model.to(device).eval(), arch


def predict(model, arch, dense, cats):
    """Binary P(1) [N], multiclass probabilities [N, K], or regression values [N].

    A regression model (freshet.model/2) is trained on the standardised label: its output z maps
    back to z * label_scaler.std + label_scaler.mean."""
    with torch.no_grad():
        logits = model(dense, cats)
    if arch["task"] == "binary":
        return torch.sigmoid(logits[:, 0])
    if arch["task"] == "multiclass":
        return torch.softmax(logits, 1)
    scaler = arch.get("label_scaler")
    if scaler:
        return logits[:, 0] * scaler["std"] + scaler["mean"]
    return logits[:, 0]


def read_pt(path):
    """The weights, step and epoch of a model.pt (a LibTorch archive: torch.jit.load reads it)."""
    archive = torch.jit.load(path, map_location="cpu")
    weights = {name: t for name, t in archive.model.named_buffers()}
    return weights, {"step": archive.step, "epoch": archive.epoch, "arch": json.loads(archive.arch)}


def check_pt(model, version_dir, fallback):
    stem = "model.fallback" if fallback else "model"
    weights, info = read_pt(os.path.join(version_dir, stem + ".pt"))
    ours = model.state_dict()
    same = set(weights) == set(ours) and all(torch.equal(weights[k], ours[k]) for k in ours)
    print("%s.pt: epoch %d, step %d, weights %s model.safetensors" %
          (stem, info["epoch"], info["step"], "equal to" if same else "DIFFER from"))
    return same


def read_columns(path):
    """The columns of a file written by `freshet predict`, as numpy arrays by name."""
    if path.endswith(".csv"):
        import numpy as np
        with open(path) as f:
            names = f.readline().rstrip("\n").split(",")
        data = np.genfromtxt(path, delimiter=",", skip_header=1, ndmin=2)
        return {n: data[:, i] for i, n in enumerate(names)}
    import h5py
    with h5py.File(path, "r") as f:
        return {n: f[n][()] for n in f.keys()}


def check(model, arch, path, tolerance):
    cols = read_columns(path)
    n = len(next(iter(cols.values())))
    try:
        dense = torch.stack([torch.as_tensor(cols["dense." + d], dtype=torch.float32)
                             for d in arch["dense_names"]], 1) if arch["dense_names"] \
            else torch.zeros(n, 0)
        cats = torch.stack([torch.as_tensor(cols["cat." + c["name"]]).long()
                            for c in arch["categorical"]], 1) if arch["categorical"] \
            else torch.zeros(n, 0, dtype=torch.long)
    except KeyError as e:
        sys.exit("%s: no feature column %s (write it with freshet predict --with-features)" %
                 (path, e))
    ours = predict(model, arch, dense, cats)
    if arch["task"] == "binary":
        theirs = torch.as_tensor(cols["score"], dtype=torch.float32)
    elif arch["task"] == "regression":
        theirs = torch.as_tensor(cols["prediction"], dtype=torch.float32)
    else:
        theirs = torch.stack([torch.as_tensor(cols["prob_%d" % k], dtype=torch.float32)
                              for k in range(arch["outputs"])], 1)
    diff = (ours - theirs).abs().max().item() if n else 0.0
    print("%d rows, max |pytorch - freshet| = %.3g (tolerance %g)" % (n, diff, tolerance))
    return diff <= tolerance


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("version_dir")
    ap.add_argument("--fallback", action="store_true", help="the linear fallback model")
    ap.add_argument("--check", metavar="PREDICTIONS", help="output of freshet predict --with-features")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--pt", action="store_true",
                    help="also check that model.pt (read with torch.jit.load) holds these weights")
    args = ap.parse_args()
    model, arch = load(args.version_dir, args.fallback)
    print(model)
    ok = True
    if args.pt:
        ok = check_pt(model, args.version_dir, args.fallback) and ok
    if args.check:
        ok = check(model, arch, args.check, args.tolerance) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
