// A network from an ONNX file, the field's interchange format (PyTorch, TensorFlow and Timeloop's and
// ZigZag's converters all speak it), read with ONNX's own protobuf classes and shape inference
// (Debian's libonnx-dev), not a parser of our own.
//
// Every Conv (any groups, strides, pads, dilations, with or without bias), Gemm and MatMul whose weights
// are constants (initializers) becomes a layer, named by its ONNX node, in the graph's order; shapes come
// from shape inference at the graph's declared input size (a symbolic batch is read as 1). The other
// operators read are those that carry no weights: BatchNormalization, Relu, Clip, Add, GlobalAveragePool,
// ReduceMean, MaxPool, AveragePool, Flatten, Reshape, Identity, Dropout, Constant. Any other operator is an
// InputError naming the node, its type and that list.
//
// How the layers connect (activations, MobileNetV2's residuals, ResNet's shortcuts and pooling, which
// layer each reads) is resolved by onnx_graph.h; Network::chainNote records the first place where a graph
// is something the accuracy side does not build, so that it refuses that graph instead of training
// something else. The hardware side reads every such graph.
#pragma once

#include "workload/layer.h"

#include <string>
#include <vector>

namespace bitloop
{

// Whether a path names an ONNX file (".onnx", any case).
bool isOnnxPath(const std::string &path);

// A layer's float weights as the graph holds them, with any BatchNormalization that follows the layer
// folded in (w * gamma / sqrt(var + eps) per output channel), as an accelerator runs them.
struct OnnxLayerWeights {
    std::vector<int64_t> dims; // Conv: [out channels, in channels / groups, kernel height, kernel width];
                               // fully connected: [out features, in features]
    std::vector<float> weight; // row-major over dims (dequantized where the graph quantizes them)
    std::vector<float> bias;   // one per output (zeros where the graph has none)
    // A quantized graph (QuantizeLinear/DequantizeLinear, as Bitloop's search-export writes): the widths
    // (from the model's `bitloop.widths` metadata, else 8 where quantized) and the input's step; 32 and 0
    // where the graph keeps the tensor float.
    int weightBits = 32, activationBits = 32;
    double activationStep = 0;
    // The codes the input's quantizer produces less its zero point (its type's range, narrowed by a Clip
    // before it); 0 and 0 where the input is float.
    double activationCodeMin = 0, activationCodeMax = 0;
    // The weights' lowest and highest code less its zero point (0 and 0 for float weights).
    double minWeightCode = 0, maxWeightCode = 0;
    // The weights use the two's-complement full range -2^(b-1) .. 2^(b-1) - 1 (weight scale max-full or
    // mse-full): a code -2^(b-1) is in the graph, or the model's `bitloop.weight_scale` metadata names a
    // full-range scale (a symmetric one with such a code is refused). Import uses the weights as they are.
    bool weightFullRange = false;
    // Layer 0 only, when the graph quantizes the image as pixels (Mul(std), Add(mean), the quantizer,
    // Sub(mean), Div(std)): that normalization, one value per channel.
    std::vector<double> imageMean, imageStd;
};

// InputError naming the file for anything unreadable, impossible or unsupported. With `weights`, also
// each layer's weights (only float32 initializers are read).
Network readOnnxNetwork(const std::string &path, std::vector<OnnxLayerWeights> *weights = nullptr);

} // namespace bitloop
