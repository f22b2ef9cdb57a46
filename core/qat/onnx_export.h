// A quantized network out as ONNX, the form deployment tools read: every quantized tensor as a
// QuantizeLinear/DequantizeLinear pair (opset 13), so that any ONNX runtime computes what Bitloop measured.
//
//   weights:      int8 codes in [-(2^(b-1) - 1), 2^(b-1) - 1] with one scale per output channel, on the
//                 weights as the accelerator holds them (BatchNorm folded), dequantized along axis 0;
//   activations:  each layer's input clipped to its b-bit range, then QuantizeLinear to uint8 (after a
//                 ReLU/ReLU6) or int8 with the learned step as the scale and zero point 0, then
//                 DequantizeLinear. ONNX has no narrower integer types before opset 21: the Clip keeps
//                 the codes within b bits, so the int8 tensors hold exactly the b-bit values;
//   the image:    when the first layer quantizes pixels (QuantNet::setImageNormalization), the graph takes
//                 the normalized image as Bitloop's models do and computes Mul(std), Add(mean), the
//                 quantizer over [0, 1], Sub(mean), Div(std);
//   widths:       the model's metadata `bitloop.widths` holds "W/A" per layer in layer order, and every
//                 layer node's doc_string its widths.
// Layers at 16 or 32 bits stay float. The graph is the QuantNet's: residual and shortcut additions,
// activations, pooling, global average pooling before a classifier.
#pragma once

#include "qat/quant_net.h"

#include <string>

namespace bitloop::qat
{

struct QuantizedOnnxInfo {
    int64_t imageHeight = 0, imageWidth = 0; // the input the graph declares
    std::string producer = "Bitloop";
    std::string docString; // where the model came from (the run, the point, its accuracy)
};

// Writes `net` as it computes in eval mode (bits, steps and folded BatchNorm as they are) to `path`
// atomically. Throws std::invalid_argument when a layer's quantized weights cannot be written as codes
// and one scale per channel (which fake quantization guarantees), InputError naming the path on I/O.
void writeQuantizedOnnx(QuantNet &net, const std::string &path, const QuantizedOnnxInfo &info);

} // namespace bitloop::qat
