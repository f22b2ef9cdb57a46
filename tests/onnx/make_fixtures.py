#!/usr/bin/env python3
"""Exports torchvision networks to ONNX for the importer's tests, with PyTorch's own counts.

usage: make_fixtures.py OUTDIR

Writes OUTDIR/<name>.onnx (random weights: nothing is downloaded; opset 13, 224x224, batch 1) and
OUTDIR/expected.tsv: per file, the first line `bitloop-cli layers` must print for it, counted here by
PyTorch itself (every Conv2d and Linear, the MACs of one forward pass, the elements of their weights;
biases and BatchNorm are not weights).
Also a small Fashion-MNIST-shaped network (1x28x28 in, 10 classes: conv, a MobileNetV2-style block
with its residual, a pointwise conv, global pooling, a classifier; BatchNorm statistics randomized),
exported with BatchNorm folded (small_folded.onnx) and kept (small_bn.onnx), with a fixed input batch
(small_input.f32, 4x1x28x28) and PyTorch's logits for it (small_logits.f32, 4x10), and the same for
torchvision's MobileNetV2 and ResNet-18 (NAME_input.f32, 1x3x224x224; NAME_logits.f32, 1x1000), their
BatchNorm statistics randomized too; little-endian float32. The same for a small ResNet (smallres_folded,
smallres_bn: a stem with max pooling, a block with a projection shortcut, an identity block), and
resnet18_fmnist.onnx: torchvision's ResNet-18 with a 1-channel stem and 10 classes at 28x28, to train
on Fashion-MNIST (`train --network`).
Needs Debian's python3-torchvision and python3-onnx (.ci/setup installs them).
"""
import os
import sys

import torch
import torchvision

NETWORKS = ["mobilenet_v2", "resnet18", "resnet50"]


class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.c1 = nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.c2 = nn.Sequential(nn.Conv2d(8, 16, 1), nn.BatchNorm2d(16), nn.ReLU())
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.c1(x)
        x = x + self.pw(self.dw(x))
        x = self.c2(x)
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


class SmallRes(torch.nn.Module):
    """ResNet's shapes in miniature: stem, max pooling, a projection shortcut, an identity block."""

    def __init__(self):
        super().__init__()
        nn = torch.nn
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        self.b1 = torchvision.models.resnet.BasicBlock(8, 16, stride=2, downsample=nn.Sequential(
            nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16)))
        self.b2 = torchvision.models.resnet.BasicBlock(16, 16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.b2(self.b1(self.stem(x)))
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1))


def randomize_batchnorm(model):
    """Statistics and affine parameters that make BatchNorm folding matter (fresh ones are 0 and 1)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)


def save(out, name, tensor):
    with open(os.path.join(out, name + ".tmp"), "wb") as f:
        f.write(tensor.contiguous().numpy().astype("<f4").tobytes())
    os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))


def small(out, model, stem):
    randomize_batchnorm(model)
    model.eval()
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        logits = model(x)
    for name, fold in ((stem + "_folded", True), (stem + "_bn", False)):
        path = os.path.join(out, name + ".onnx")
        mode = torch.onnx.TrainingMode.EVAL if fold else torch.onnx.TrainingMode.PRESERVE
        torch.onnx.export(model, x[:1], path + ".tmp", opset_version=13, do_constant_folding=fold, training=mode)
        os.replace(path + ".tmp", path)
    save(out, stem + "_input.f32", x)
    save(out, stem + "_logits.f32", logits)


def resnet18_fmnist(out):
    """A 1-channel, 10-class ResNet-18 at 28x28, freshly initialised, for `train --network`."""
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    model.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    model.eval()
    path = os.path.join(out, "resnet18_fmnist.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path + ".tmp", opset_version=13)
    os.replace(path + ".tmp", path)


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
        model = getattr(torchvision.models, name)(weights=None)
        randomize_batchnorm(model)
        model.eval()
        x = torch.randn(1, 3, 224, 224)
        n, macs, weights = counts(model, x)
        if name in ("mobilenet_v2", "resnet18"):  # torchvision networks' logits for the weights tests
            with torch.no_grad():
                save(out, name + "_input.f32", x)
                save(out, name + "_logits.f32", model(x))
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(model, x, path + ".tmp", opset_version=13)
        os.replace(path + ".tmp", path)
        rows.append(f"{name}.onnx\t{name}: {n} layers, {macs} MACs, {weights} weights\n")
    small(out, Small(), "small")
    small(out, SmallRes(), "smallres")
    resnet18_fmnist(out)
    with open(os.path.join(out, "expected.tsv.tmp"), "w") as f:
        f.writelines(rows)
    os.replace(os.path.join(out, "expected.tsv.tmp"), os.path.join(out, "expected.tsv"))


if __name__ == "__main__":
    main()
