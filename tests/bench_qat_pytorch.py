#!/usr/bin/python3
"""The PyTorch side of tests/bench_qat.cpp: the same small-input MobileNetV1/V2 (28 x 28 x 1, 10 classes),
the same batch, the same thread counts, one float training step (forward, cross-entropy, backward, SGD
with momentum 0.9 and weight decay on conv / fc weights only) and one QAT step at uniform 8/8 in the
scheme Bitloop uses (BatchNorm folded into the weights before per-channel symmetric weight fake
quantization, the batch-statistics BatchNorm undoing the folding scale; LSQ activation fake quantization
with a learned step, unsigned after ReLU/ReLU6, signed elsewhere), written with PyTorch's own fused fake
quantization operators and, as PyTorch's ConvBn QAT modules do, the folding scale undone on the conv's
output (Bitloop undoes it on the weights, the same function).

The layer lists are built exactly as core/workload/mobilenet.cpp builds them (make_divisible widths,
padding kernel // 2, the small-input strides, MobileNetV2's residuals from the block's input).

Run with Debian's python3-torch (the same 1.13 release, the same libtorch_cpu as the C++ build):

    /usr/bin/python3 tests/bench_qat_pytorch.py [--threads 1,2] [--batch 64,32] [--steps 20]
        [--warmup 3] [--networks v1,v2] [--v1-width 0.25] [--v2-width 0.35] [--no-qat]
        [--bitloop BUILD/bin/bench_qat]

With --bitloop, bench_qat is run with the same arguments first and the table gets Bitloop / PyTorch
throughput ratios (above 1: Bitloop is faster).
"""
import argparse
import math
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

RELU, RELU6, NONE = "relu", "relu6", "none"


def make_divisible(v, divisor=8):
    rounded = int(v + divisor / 2.0) // divisor * divisor
    rounded = max(divisor, rounded)
    if rounded < 0.9 * v:
        rounded += divisor
    return rounded


class Spec:
    """One layer with weights: a convolution (groups > 1: depthwise) or the classifier."""

    def __init__(self, name, cin, cout, kernel=1, stride=1, groups=1, act=RELU, fc=False):
        self.name, self.cin, self.cout = name, cin, cout
        self.kernel, self.stride, self.groups = kernel, stride, groups
        self.act, self.fc, self.residual_from = act, fc, -1


class Builder:
    def __init__(self, channels):
        self.layers, self.channels = [], channels

    def conv(self, name, cout, kernel, stride, groups=1):
        self.layers.append(Spec(name, self.channels, cout, kernel, stride, groups))
        self.channels = cout

    def depthwise(self, name, stride):
        self.conv(name, self.channels, 3, stride, self.channels)

    def pointwise(self, name, cout):
        self.conv(name, cout, 1, 1)

    def classifier(self, name, classes):
        self.layers.append(Spec(name, self.channels, classes, act=NONE, fc=True))
        self.channels = classes


def mobilenet_v1(width, small_input=True, in_channels=1, classes=10):
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
              (512, 1), (512, 1), (1024, 2), (1024, 1)]
    b = Builder(in_channels)
    b.conv("conv1", make_divisible(32 * width), 3, 1 if small_input else 2)
    first_downsampling = True
    for i, (channels, stride) in enumerate(blocks, start=1):
        if stride == 2 and first_downsampling:
            first_downsampling = False
            if small_input:
                stride = 1
        b.depthwise("dw%d" % i, stride)
        b.pointwise("pw%d" % i, make_divisible(channels * width))
    b.classifier("fc", classes)
    return b.layers


def mobilenet_v2(width, small_input=True, in_channels=1, classes=10):
    stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
              (6, 320, 1, 1)]
    b = Builder(in_channels)
    b.conv("conv1", make_divisible(32 * width), 3, 1 if small_input else 2)
    b.layers[-1].act = RELU6
    first_downsampling = True
    block = 1
    for expansion, channels, repeats, stage_stride in stages:
        out = make_divisible(channels * width)
        for r in range(repeats):
            stride = stage_stride if r == 0 else 1
            if stride == 2 and first_downsampling:
                first_downsampling = False
                if small_input:
                    stride = 1
            prefix = "b%d." % block
            block += 1
            start = len(b.layers)
            residual = stride == 1 and b.channels == out
            if expansion != 1:
                b.pointwise(prefix + "expand", b.channels * expansion)
                b.layers[-1].act = RELU6
            b.depthwise(prefix + "dw", stride)
            b.layers[-1].act = RELU6
            b.pointwise(prefix + "project", out)
            b.layers[-1].act = NONE
            if residual:
                b.layers[-1].residual_from = start
    b.pointwise("conv_last", make_divisible(1280 * max(1.0, width)))
    b.layers[-1].act = RELU6
    b.classifier("fc", classes)
    return b.layers


class Net(nn.Module):
    """conv (no bias) + BatchNorm2d + ReLU/ReLU6 per layer, global average pooling before the classifier;
    with qat, input fake quantization per layer and BN-folded per-channel weight fake quantization."""

    def __init__(self, specs, qat=False, wbits=8, abits=8):
        super().__init__()
        self.specs, self.qat = specs, qat
        self.convs, self.bns = nn.ModuleList(), nn.ModuleList()
        self.sources = {s.residual_from for s in specs if s.residual_from >= 0}
        for s in specs:
            if s.fc:
                self.fc = nn.Linear(s.cin, s.cout)
                nn.init.normal_(self.fc.weight, 0.0, 0.01)
                nn.init.zeros_(self.fc.bias)
            else:
                conv = nn.Conv2d(s.cin, s.cout, s.kernel, s.stride, s.kernel // 2, groups=s.groups, bias=False)
                nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
                self.convs.append(conv)
                self.bns.append(nn.BatchNorm2d(s.cout))
        if qat:
            self.wqp = 2 ** (wbits - 1) - 1
            self.steps = nn.ParameterList()
            self.ranges = []
            for i, s in enumerate(specs):
                unsigned = i > 0 and specs[i - 1].act != NONE
                self.ranges.append((0, 2 ** abits - 1) if unsigned else (-(2 ** (abits - 1)), 2 ** (abits - 1) - 1))
                self.steps.append(nn.Parameter(torch.ones(1)))
            self.zero_point = torch.zeros(1)

    def calibrate(self, x):
        """LSQ's initialisation, 2 mean|x| / sqrt(qp), from one float forward pass in eval mode (Bitloop
        calibrates each layer on already quantized inputs; for timing the difference does not matter)."""
        seen = []
        self.qat, qat = False, self.qat
        try:
            self.observe = seen
            with torch.no_grad():
                self.eval()
                self.forward(x)
        finally:
            self.qat, self.observe = qat, None
        with torch.no_grad():
            for step, (_, qp), a in zip(self.steps, self.ranges, seen):
                step.fill_(2.0 * a / math.sqrt(qp))
        self.train()

    observe = None

    def quantize_input(self, i, h, numel):
        qn, qp = self.ranges[i]
        step = self.steps[i]
        # LSQ: gradient scale 1 / sqrt(numel * qp), as Bitloop's lsqGradScale.
        return torch._fake_quantize_learnable_per_tensor_affine(
            h, step, self.zero_point, qn, qp, 1.0 / math.sqrt(numel * qp))

    def quantize_weight(self, w):
        flat = w.detach().reshape(w.shape[0], -1)
        scale = (flat.abs().amax(1) / self.wqp).clamp_min(torch.finfo(torch.float32).tiny)
        zero = torch.zeros(w.shape[0], dtype=torch.int32)
        return torch.fake_quantize_per_channel_affine(w, scale, zero, 0, -self.wqp, self.wqp)

    def forward(self, x):
        saved = {}
        h = x
        k = 0
        for i, s in enumerate(self.specs):
            if s.fc and h.dim() == 4:
                h = h.mean((2, 3))
            if self.observe is not None:
                self.observe.append(h.abs().mean().item())
            if self.qat:
                h = self.quantize_input(i, h, h.numel())
            if i in self.sources:
                saved[i] = h
            if s.fc:
                w = self.quantize_weight(self.fc.weight) if self.qat else self.fc.weight
                h = F.linear(h, w, self.fc.bias)
            else:
                conv, bn = self.convs[k], self.bns[k]
                k += 1
                if self.qat:
                    scale = bn.weight / (bn.running_var + bn.eps).sqrt()
                    wq = self.quantize_weight(conv.weight * scale.view(-1, 1, 1, 1))
                    if self.training:
                        # PyTorch's ConvBn QAT scheme: undo the folding scale on the output, then
                        # BatchNorm with batch statistics.
                        y = F.conv2d(h, wq, None, conv.stride, conv.padding, conv.dilation, conv.groups)
                        h = bn(y / scale.view(1, -1, 1, 1))
                    else:
                        bias = bn.bias - bn.running_mean * scale
                        h = F.conv2d(h, wq, bias, conv.stride, conv.padding, conv.dilation, conv.groups)
                else:
                    h = bn(conv(h))
            if s.residual_from >= 0:
                h = h + saved[s.residual_from]
            if s.act == RELU:
                h = F.relu(h)
            elif s.act == RELU6:
                h = F.hardtanh(h, 0.0, 6.0)
        return h


def make_sgd(net):
    decayed = [p for p in net.parameters() if p.dim() > 1]
    undecayed = [p for p in net.parameters() if p.dim() <= 1]
    return torch.optim.SGD([{"params": decayed, "weight_decay": 5e-5}, {"params": undecayed, "weight_decay": 0.0}],
                           lr=0.01, momentum=0.9)


def step(net, sgd, images, labels):
    """One training step; returns (forward, backward, update, total) wall seconds and the process's CPU
    seconds."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    sgd.zero_grad()
    loss = F.cross_entropy(net(images), labels)
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    sgd.step()
    loss.item()
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2, t3 - t0, time.process_time() - c0)


def medians(samples):
    return [statistics.median(column) for column in zip(*samples)]


def measure(specs, qat, images, labels, args):
    """Float and (unless --no-qat) QAT steps in alternating blocks of five, as bench_qat does; per-step
    medians of (forward, backward, update, total, cpu)."""
    nets = []
    for quantized in [False] + ([True] if qat else []):
        torch.manual_seed(1)
        net = Net(specs, qat=quantized)
        if quantized:
            net.calibrate(images)
        net.train()
        nets.append((net, make_sgd(net), []))
    for net, sgd, _ in nets:
        for _ in range(args.warmup):
            step(net, sgd, images, labels)
    while len(nets[0][2]) < args.steps:
        for net, sgd, samples in nets:
            for _ in range(min(5, args.steps - len(samples))):
                samples.append(step(net, sgd, images, labels))
    return [medians(samples) for _, _, samples in nets]


def label(name, args):
    return "MobileNet%s x%.2f" % ("V1" if name == "v1" else "V2", args.v1_width if name == "v1" else args.v2_width)


def bitloop_figures(args):
    """Runs bench_qat with the same settings; returns {(label, batch, threads): (float, qat) img/s by wall
    clock, (float, qat) img/s by CPU time}."""
    cmd = [args.bitloop, "--threads", args.threads, "--batch", args.batch, "--steps", str(args.steps),
           "--warmup", str(args.warmup), "--networks", args.networks, "--v1-width", str(args.v1_width),
           "--v2-width", str(args.v2_width)]
    print("running " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    print(out, flush=True)
    figures = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 9 and cells[0].startswith("MobileNet"):
            figures[(cells[0], int(cells[1]), int(cells[2]))] = (float(cells[3]), float(cells[4]), float(cells[6]),
                                                                  float(cells[7]))
    return figures


def ratio(a, b):
    return "-" if a is None or b is None else "%.2f" % (a / b)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--batch", default="64,32")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--networks", default="v1,v2")
    p.add_argument("--v1-width", type=float, default=0.25)
    p.add_argument("--v2-width", type=float, default=0.35)
    p.add_argument("--no-qat", action="store_true", help="float steps only")
    p.add_argument("--bitloop", help="path of bench_qat: run it too and print Bitloop / PyTorch ratios")
    args = p.parse_args()

    bitloop = bitloop_figures(args) if args.bitloop else {}
    print("## PyTorch %s (Python %s), one fixed random batch, %d warm-up + %d timed steps each, float and QAT "
          "alternating in blocks of 5; medians per step; img/s by wall clock and by the process's CPU time\n"
          % (torch.__version__, sys.version.split()[0], args.warmup, args.steps))
    header = ("| network | batch | threads | float img/s | QAT 8/8 img/s | QAT / float time | float img/s (CPU) "
              "| QAT img/s (CPU) | QAT / float (CPU) |")
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    if bitloop:
        header += (" Bitloop / PyTorch float | Bitloop / PyTorch QAT | Bitloop / PyTorch float (CPU) "
                   "| Bitloop / PyTorch QAT (CPU) |")
        rule += "---:|---:|---:|---:|"
    print(header)
    print(rule)
    interop_set = False
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        if not interop_set:
            torch.set_num_interop_threads(threads)
            interop_set = True
        for name in args.networks.split(","):
            specs = mobilenet_v1(args.v1_width) if name == "v1" else mobilenet_v2(args.v2_width)
            for batch in [int(b) for b in args.batch.split(",")]:
                torch.manual_seed(42)
                images = torch.randn(batch, 1, 28, 28)
                labels = torch.randint(0, 10, (batch,))
                times = measure(specs, not args.no_qat, images, labels, args)
                f, fc = batch / times[0][3], batch / times[0][4]
                q, qc = (batch / times[1][3], batch / times[1][4]) if len(times) > 1 else (None, None)
                fmt = lambda v: "-" if v is None else "%.0f" % v
                row = "| %s | %d | %d | %s | %s | %s | %s | %s | %s |" % (
                    label(name, args), batch, threads, fmt(f), fmt(q), ratio(f, q), fmt(fc), fmt(qc), ratio(fc, qc))
                key = (label(name, args), batch, threads)
                if bitloop:
                    bf, bq, bfc, bqc = bitloop.get(key, (None, None, None, None))
                    row += " %s | %s | %s | %s |" % (ratio(bf, f), ratio(bq, q), ratio(bfc, fc), ratio(bqc, qc))
                print(row, flush=True)


if __name__ == "__main__":
    main()
