// Layers and networks: what a user names (a 3x3 depthwise convolution on 112x112, a classifier) mapped
// onto the problem shape that the cost model and the mapper work on.
#pragma once

#include "workload/problem.h"

#include <string>
#include <vector>

namespace bitloop
{

enum class LayerKind { Conv, Depthwise, Pointwise, FullyConnected };
const char *layerKindName(LayerKind k);
bool layerKindFromName(const std::string &name, LayerKind &out);

// What follows a layer's BatchNorm in the network (the accuracy side needs it; the cost model does not).
enum class Activation { None, ReLU, ReLU6 };
const char *activationName(Activation a);
bool activationFromName(const std::string &name, Activation &out);

// Pooling after a layer's activation (ResNet's stem max-pools before its first block). Global average
// pooling before a classifier is implied by the classifier and not written here.
struct Pooling {
    enum class Kind { None, Max, Average };
    Kind kind = Kind::None;
    int kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, padH = 0, padW = 0;
    bool operator==(const Pooling &o) const
    {
        return kind == o.kind && kernelH == o.kernelH && kernelW == o.kernelW && strideH == o.strideH &&
               strideW == o.strideW && padH == o.padH && padW == o.padW;
    }
    bool operator!=(const Pooling &o) const { return !(*this == o); }
};
const char *poolingName(Pooling::Kind k);

// Bytes of `count` values bit-packed at `bits` each: ceil(count x bits / 8), the weight-memory figure.
inline int64_t packedBytes(int64_t count, int bits)
{
    return (count * bits + 7) / 8;
}

struct Layer {
    std::string name;
    LayerKind kind = LayerKind::Conv;
    ProblemShape shape;
    Activation activation = Activation::ReLU; // None for classifiers and linear bottlenecks
    // Index (0-based) of the layer whose input is added to this layer's output (MobileNetV2's residual
    // connections); -1 for none.
    int residualFrom = -1;
    // What graphs (ResNet) need beyond a chain; the cost model ignores all three (no MACs, no weights).
    // inputFrom: index of the layer whose output this layer reads, when it is not the previous layer (a
    // ResNet projection shortcut reads its block's input); -1: the previous layer (the image for layer 0).
    int inputFrom = -1;
    // addOutputOf: index of an earlier layer whose output (after its activation and pooling) is added to
    // this layer's output before this layer's activation (the projection shortcut adds the block's main
    // branch); -1: none.
    int addOutputOf = -1;
    Pooling pool; // applied to this layer's output after its activation

    int64_t macs() const { return shape.macs(); }
    int64_t weightCount() const { return shape.tensorSize(Tensor::Weights); }
    int64_t inputChannels() const;  // G*C
    int64_t outputChannels() const; // G*M
    std::string describe() const;   // e.g. "dw 3x3/1 32->32 @112x112"
};

// A convolution given as a user writes it: channels, square kernel, stride, padding, input size.
// groups == channels in and out gives a depthwise layer (G = channels, C = M = 1).
struct ConvSpec {
    std::string name;
    int64_t inChannels = 1, outChannels = 1;
    int kernel = 1, stride = 1, padding = 0, dilation = 1;
    int64_t inHeight = 1, inWidth = 1;
    int64_t groups = 1;
    int64_t batch = 1;
};
// Throws std::invalid_argument with a message naming the field when the spec is impossible.
Layer makeConv(const ConvSpec &spec);
Layer makeFullyConnected(const std::string &name, int64_t inFeatures, int64_t outFeatures, int64_t batch = 1);

struct Network {
    std::string name;
    std::vector<Layer> layers;
    // Empty when the accuracy side can build the network as a chain of its layers (with MobileNetV2's
    // residual additions); otherwise the first place where an imported graph is not such a chain (a
    // projection shortcut, pooling inside the network), so that training refuses it. The hardware side
    // does not need it.
    std::string chainNote;
    // The layer whose output layer k reads (Layer::inputFrom, else k - 1; -1: the image).
    int sourceOf(size_t k) const;
    int64_t totalMacs() const;
    int64_t totalWeights() const;
};

} // namespace bitloop
