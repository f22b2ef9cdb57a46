#!/usr/bin/env python3
"""Exports torchvision networks to ONNX for the importer's tests, with PyTorch's own counts.

usage: make_fixtures.py OUTDIR

Writes OUTDIR/<name>.onnx (random weights: nothing is downloaded; opset 13, 224x224, batch 1) and
OUTDIR/expected.tsv: per file, the first line `bitloop-cli layers` must print for it, counted here by
PyTorch itself (every Conv2d and Linear, the MACs of one forward pass, the elements of their weights;
biases and BatchNorm are not weights).
Needs Debian's python3-torchvision and python3-onnx (.ci/setup installs them).
"""
import os
import sys

import torch
import torchvision

NETWORKS = ["mobilenet_v2", "resnet18", "resnet50"]


def counts(model, x):
    layers, macs, weights = 0, 0, 0

    def hook(module, inputs, output):
        nonlocal layers, macs, weights
        layers += 1
        weights += module.weight.numel()
        if isinstance(module, torch.nn.Conv2d):
            # every output element sums (input channels / groups) x kernel products
            per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            macs += output.numel() * per_output
        else:
            macs += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return layers, macs, weights


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    rows = []
    for name in NETWORKS:
        model = getattr(torchvision.models, name)(weights=None).eval()
        x = torch.randn(1, 3, 224, 224)
        n, macs, weights = counts(model, x)
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(model, x, path + ".tmp", opset_version=13)
        os.replace(path + ".tmp", path)
        rows.append(f"{name}.onnx\t{name}: {n} layers, {macs} MACs, {weights} weights\n")
    with open(os.path.join(out, "expected.tsv.tmp"), "w") as f:
        f.writelines(rows)
    os.replace(os.path.join(out, "expected.tsv.tmp"), os.path.join(out, "expected.tsv"))


if __name__ == "__main__":
    main()
