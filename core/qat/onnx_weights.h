// An ONNX graph's float weights (io/onnx_network.h) into the QuantNet built from the same network.
#pragma once

#include "io/onnx_network.h"
#include "qat/quant_net.h"

#include <utility>
#include <vector>

namespace bitloop::qat
{

// Layer i takes weights[i]: convolution weights as they are ([out, in / groups, kernel height, kernel
// width] is QuantLayer's layout), with BatchNorm set to add the bias and nothing else (gamma 1, mean 0,
// var 1 - eps); fully connected weights and bias as they are. std::invalid_argument naming the layer when
// a size does not match.
void loadOnnxWeights(QuantNet &net, const std::vector<OnnxLayerWeights> &weights);

// A quantized graph's own quantization on `net` (after loadOnnxWeights), so that net.quantize computes
// what the graph computes: each layer's input quantizer at the graph's width and step, the image
// normalization the graph's image quantizer carries; the weights as the graph dequantizes them, not
// quantized again (another tool's codes, per tensor, on another grid or the full range, would move on
// Bitloop's per-channel grid). Returns the graph's widths, (weight, activation) per layer.
std::vector<std::pair<int, int>> applyOnnxQuantization(QuantNet &net,
                                                       const std::vector<OnnxLayerWeights> &weights);

} // namespace bitloop::qat
