#!/usr/bin/env python3
"""Runs an ONNX model with PyTorch's operators, independently of Bitloop, for the exporter's tests.

usage: run_onnx.py MODEL.onnx INPUT.f32 N,C,H,W OUTPUT.f32

Checks the model with onnx.checker (full check, shape inference included), then computes it node by node
with torch.nn.functional (the operators Bitloop writes and reads: Conv, Gemm, MatMul, Add, Sub, Mul, Div,
Relu, Clip, QuantizeLinear, DequantizeLinear, GlobalAveragePool, Flatten, MaxPool, AveragePool, Identity,
BatchNormalization, Reshape, ReduceMean, Dropout, Constant) on the little-endian float32 input, and writes
the first graph output as little-endian float32. ONNX's semantics as its operator specification gives
them (QuantizeLinear rounds half to even and saturates to the zero point's type). Exit 2 on an operator
it does not know. Needs Debian's python3-onnx and python3-torch.
"""
import os
import sys

import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def per_axis(t, x, axis):
    """A per-tensor or per-axis quantization parameter shaped to broadcast over x."""
    if t.dim() == 0 or t.numel() == 1:
        return t.reshape(())
    shape = [1] * x.dim()
    shape[axis % x.dim()] = t.numel()
    return t.reshape(shape)


RANGES = {torch.uint8: (0, 255), torch.int8: (-128, 127), torch.int32: (-2 ** 31, 2 ** 31 - 1)}


def run(node, v):
    op, a = node.op_type, attrs(node)
    x = [v[i] if i else None for i in node.input]
    if op == "Conv":
        pads = a.get("pads", [0, 0, 0, 0])
        if pads[0] != pads[2] or pads[1] != pads[3]:
            raise SystemExit(f"{node.name}: asymmetric pads")
        return F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, a.get("strides", [1, 1]), pads[:2],
                        a.get("dilations", [1, 1]), a.get("group", 1))
    if op == "Gemm":
        A = x[0].t() if a.get("transA", 0) else x[0]
        B = x[1].t() if a.get("transB", 0) else x[1]
        y = a.get("alpha", 1.0) * (A @ B)
        return y + a.get("beta", 1.0) * x[2] if len(x) > 2 and x[2] is not None else y
    if op == "MatMul":
        return x[0] @ x[1]
    if op in ("Add", "Sub", "Mul", "Div"):
        return {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](x[0], x[1])
    if op == "Relu":
        return torch.relu(x[0])
    if op == "Clip":
        lo = x[1] if len(x) > 1 and x[1] is not None else None
        hi = x[2] if len(x) > 2 and x[2] is not None else None
        return torch.clamp(x[0], lo, hi)
    if op == "QuantizeLinear":
        zp = x[2] if len(x) > 2 and x[2] is not None else torch.zeros((), dtype=torch.uint8)
        axis = a.get("axis", 1)
        lo, hi = RANGES[zp.dtype]
        q = torch.round(x[0] / per_axis(x[1], x[0], axis)) + per_axis(zp, x[0], axis).to(torch.float32)
        return torch.clamp(q, lo, hi).to(zp.dtype)
    if op == "DequantizeLinear":
        axis = a.get("axis", 1)
        zp = x[2] if len(x) > 2 and x[2] is not None else torch.zeros((), dtype=x[0].dtype)
        return (x[0].to(torch.float32) - per_axis(zp, x[0], axis).to(torch.float32)) * per_axis(x[1], x[0], axis)
    if op == "GlobalAveragePool":
        return x[0].mean(dim=(2, 3), keepdim=True)
    if op == "ReduceMean":
        return x[0].mean(dim=tuple(a.get("axes", [2, 3])), keepdim=bool(a.get("keepdims", 1)))
    if op == "Flatten":
        axis = a.get("axis", 1)
        return x[0].reshape(int(torch.tensor(x[0].shape[:axis]).prod()), -1)
    if op == "Reshape":
        return x[0].reshape([int(d) if int(d) != 0 else x[0].shape[k] for k, d in enumerate(x[1].tolist())])
    if op in ("MaxPool", "AveragePool"):
        pads = a.get("pads", [0, 0, 0, 0])
        k, s = a["kernel_shape"], a.get("strides", [1, 1])
        if op == "MaxPool":
            return F.max_pool2d(x[0], k, s, pads[:2])
        return F.avg_pool2d(x[0], k, s, pads[:2], count_include_pad=bool(a.get("count_include_pad", 0)))
    if op in ("Identity", "Dropout"):
        return x[0]
    if op == "BatchNormalization":
        return F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, a.get("epsilon", 1e-5))
    if op == "Constant":
        return torch.from_numpy(onnx.numpy_helper.to_array(a["value"]).copy())
    print(f"run_onnx.py: node '{node.name}' is a {op}, which this runner does not know", file=sys.stderr)
    sys.exit(2)


def main():
    model_path, input_path, dims, out_path = sys.argv[1:5]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    shape = [int(d) for d in dims.split(",")]
    with open(input_path, "rb") as f:
        data = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)
    v = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    v[model.graph.input[0].name] = data
    with torch.no_grad():
        for node in model.graph.node:
            v[node.output[0]] = run(node, v)
    out = v[model.graph.output[0].name].to(torch.float32).contiguous()
    with open(out_path + ".tmp", "wb") as f:
        f.write(out.numpy().astype("<f4").tobytes())
    os.replace(out_path + ".tmp", out_path)


if __name__ == "__main__":
    main()
