// An ONNX graph's float weights (io/onnx_network.h) into the QuantNet built from the same network.
#pragma once

#include "io/onnx_network.h"
#include "qat/quant_net.h"

#include <vector>

namespace bitloop::qat
{

// Layer i takes weights[i]: convolution weights as they are ([out, in / groups, kernel height, kernel
// width] is QuantLayer's layout), with BatchNorm set to add the bias and nothing else (gamma 1, mean 0,
// var 1 - eps); fully connected weights and bias as they are. std::invalid_argument naming the layer when
// a size does not match.
void loadOnnxWeights(QuantNet &net, const std::vector<OnnxLayerWeights> &weights);

} // namespace bitloop::qat
