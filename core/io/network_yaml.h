// A user's own network as a YAML file, and the reader and writer for it. docs/network-format.md is the
// user-facing description; in short:
//
//   network: my_net                      # optional; defaults to the file name without extension
//   layers:
//     - {name: conv1, type: conv, in_channels: 3, out_channels: 32, kernel: 3, stride: 2, padding: 1,
//        input: [224, 224]}              # input: [height, width], or one number for a square input
//     - {name: dw2, type: depthwise, channels: 32, kernel: 3, stride: 1, padding: 1, input: 112}
//     - {name: pw2, type: pointwise, in_channels: 32, out_channels: 64, input: 112}
//     - {name: fc, type: fc, in_features: 1024, out_features: 1000}
//     - {name: x, type: conv, shape: {N: 1, G: 1, C: 8, M: 16, R: 3, S: 3, P: 10, Q: 10},
//        wstride: 1, hstride: 1, wdilation: 1, hdilation: 1, wpad: 0, hpad: 0}
//
// Layer keys by type (all sizes are positive integers; padding may be 0):
//   conv, pointwise: in_channels, out_channels, input, kernel (pointwise: optional, must be 1), and
//                    optional stride (1), padding (0), dilation (1), groups (1), batch (1)
//   depthwise:       channels, kernel, input, and optional stride, padding, dilation, batch
//   fc:              in_features, out_features, and optional batch
// Output sizes follow PyTorch: floor((in + 2 padding - dilation (kernel - 1) - 1) / stride) + 1. A conv
// whose groups equal both channel counts becomes a depthwise layer; a conv with kernel 1 a pointwise one.
// The raw form (a `shape` key) gives the problem dimensions directly: N G C M R S P Q (each defaults to
// 1), strides, dilations (default 1) and paddings (default 0); its `type` is optional and otherwise
// inferred (depthwise when G > 1 and C = M = 1, fc when R = S = P = Q = 1, pointwise when R = S = 1).
//
// Every error is a bitloop::InputError carrying the file, the 1-based line and what was expected.
#pragma once

#include "workload/layer.h"
#include "workload/mobilenet.h"

#include <string>

namespace bitloop
{

Network readNetworkYaml(const std::string &path);
// sourceName is used in error messages and as the default network name.
Network parseNetworkYaml(const std::string &text, const std::string &sourceName);

// Layers are written in the friendly form wherever reading it back gives exactly the same layer, and in
// the raw form otherwise, so that parseNetworkYaml(networkToYaml(n)) == n in every field.
std::string networkToYaml(const Network &net);
// Writes temporaryPathFor(path) and renames it over path, so a crash never leaves a half-written file.
void writeNetworkYaml(const Network &net, const std::string &path);

// A built-in network name (see builtinNetwork; opt applies to those only), an ONNX file (io/onnx_network.h)
// or else a YAML file path.
Network loadNetwork(const std::string &nameOrPath, const MobileNetOptions &opt = {});

} // namespace bitloop
