// Channel widths under a width multiplier follow torchvision's and TensorFlow's make_divisible (round
// to the nearest multiple of 8, never below 90% of the scaled value, never below 8), for both networks,
// so that a scaled network has the same shapes as the pretrained models people compare against. At
// alpha = 1.0 every channel count is already a multiple of 8 and the papers' tables come out unchanged.
//
// Padding is 1 for 3x3 convolutions and 0 for 1x1, so a stride-2 layer gives ceil(in / 2).
//
// smallInput (28-32 px images, as in the usual CIFAR ports) changes exactly two strides from 2 to 1:
//   V1: conv1 and dw2 (the depthwise layer of the first 64 -> 128 block);
//   V2: conv1 and b2.dw (the first block of the t=6, c=24, s=2 stage).
// At 32 px the last feature map is then 4x4 instead of 1x1.
#include "workload/mobilenet.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace bitloop
{

namespace
{

int64_t makeDivisible(double v, int64_t divisor = 8)
{
    int64_t rounded = static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor;
    rounded = std::max(divisor, rounded);
    if (static_cast<double>(rounded) < 0.9 * v)
        rounded += divisor;
    return rounded;
}

void checkOptions(const MobileNetOptions &opt)
{
    if (!(opt.widthMultiplier > 0.0))
        throw std::invalid_argument("MobileNet width multiplier must be positive, got " +
                                    std::to_string(opt.widthMultiplier));
    if (opt.resolution <= 0)
        throw std::invalid_argument("MobileNet resolution must be positive, got " +
                                    std::to_string(opt.resolution));
    if (opt.numClasses <= 0)
        throw std::invalid_argument("MobileNet class count must be positive, got " +
                                    std::to_string(opt.numClasses));
    if (opt.inputChannels <= 0)
        throw std::invalid_argument("MobileNet input channel count must be positive, got " +
                                    std::to_string(opt.inputChannels));
}

// Builds the network layer by layer, carrying the feature map's channels and size forward.
class Builder
{
public:
    Builder(std::string name, int64_t channels, int64_t size)
        : channels_(channels), height_(size), width_(size)
    {
        net_.name = std::move(name);
    }

    void conv(const std::string &name, int64_t outChannels, int kernel, int stride)
    {
        add(name, outChannels, kernel, stride, 1);
    }
    void depthwise(const std::string &name, int stride) { add(name, channels_, 3, stride, channels_); }
    void pointwise(const std::string &name, int64_t outChannels) { add(name, outChannels, 1, 1, 1); }
    // Global average pooling leaves one value per channel for the classifier.
    void classifier(const std::string &name, int64_t classes)
    {
        net_.layers.push_back(makeFullyConnected(name, channels_, classes));
        net_.layers.back().activation = Activation::None;
        channels_ = classes;
    }
    // The activation after the last layer added, and where its residual comes from.
    void activation(Activation a) { net_.layers.back().activation = a; }
    void residualFrom(int layer) { net_.layers.back().residualFrom = layer; }
    int size() const { return static_cast<int>(net_.layers.size()); }
    int64_t channels() const { return channels_; }
    Network take() { return std::move(net_); }

private:
    void add(const std::string &name, int64_t outChannels, int kernel, int stride, int64_t groups)
    {
        ConvSpec spec;
        spec.name = name;
        spec.inChannels = channels_;
        spec.outChannels = outChannels;
        spec.kernel = kernel;
        spec.stride = stride;
        spec.padding = kernel / 2;
        spec.inHeight = height_;
        spec.inWidth = width_;
        spec.groups = groups;
        Layer layer = makeConv(spec);
        channels_ = outChannels;
        height_ = layer.shape.bound(Dim::Q);
        width_ = layer.shape.bound(Dim::P);
        net_.layers.push_back(std::move(layer));
    }

    Network net_;
    int64_t channels_, height_, width_;
};

} // namespace

// Howard et al. 2017, Table 1: conv 3x3/2 to 32 channels, 13 depthwise-separable blocks (dw 3x3 then
// pw 1x1) each followed by BatchNorm and ReLU, global average pooling, classifier: 28 layers with weights.
// Names follow Keras's numbering: conv1, dw1/pw1 ... dw13/pw13, fc.
Network mobileNetV1(const MobileNetOptions &opt)
{
    checkOptions(opt);
    const double a = opt.widthMultiplier;
    struct Block {
        int64_t channels;
        int stride;
    };
    static const Block blocks[] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1},  {512, 2}, {512, 1},
                                   {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
    Builder b("mobilenet_v1", opt.inputChannels, opt.resolution);
    b.conv("conv1", makeDivisible(32 * a), 3, opt.smallInput ? 1 : 2);
    bool firstDownsampling = true;
    int i = 1;
    for (const Block &blk : blocks) {
        int stride = blk.stride;
        if (stride == 2 && firstDownsampling) {
            firstDownsampling = false;
            if (opt.smallInput)
                stride = 1;
        }
        const std::string n = std::to_string(i++);
        b.depthwise("dw" + n, stride);
        b.pointwise("pw" + n, makeDivisible(blk.channels * a));
    }
    b.classifier("fc", opt.numClasses);
    return b.take();
}

// Sandler et al. 2018, Table 2: conv 3x3/2 to 32 channels, 17 inverted-residual blocks (expand 1x1 by t,
// dw 3x3, project 1x1; the t = 1 block has no expansion), conv 1x1 to 1280, global average pooling,
// classifier: 53 layers with weights. BatchNorm and ReLU6 follow every layer but the projections (linear
// bottlenecks); a block of stride 1 whose input and output channels agree adds its input to its output.
// Names: conv1, b1.dw, b1.project, b2.expand, b2.dw, b2.project ... b17.project, conv_last, fc. As in
// torchvision, the last conv stays at 1280 channels when alpha <= 1.
Network mobileNetV2(const MobileNetOptions &opt)
{
    checkOptions(opt);
    const double a = opt.widthMultiplier;
    struct Stage {
        int expansion;
        int64_t channels;
        int repeats;
        int stride;
    };
    static const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                   {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    Builder b("mobilenet_v2", opt.inputChannels, opt.resolution);
    b.conv("conv1", makeDivisible(32 * a), 3, opt.smallInput ? 1 : 2);
    b.activation(Activation::ReLU6);
    bool firstDownsampling = true;
    int block = 1;
    for (const Stage &st : stages) {
        const int64_t out = makeDivisible(st.channels * a);
        for (int r = 0; r < st.repeats; ++r) {
            int stride = r == 0 ? st.stride : 1;
            if (stride == 2 && firstDownsampling) {
                firstDownsampling = false;
                if (opt.smallInput)
                    stride = 1;
            }
            const std::string prefix = "b" + std::to_string(block++) + ".";
            const int blockStart = b.size();
            const bool residual = stride == 1 && b.channels() == out;
            if (st.expansion != 1) {
                b.pointwise(prefix + "expand", b.channels() * st.expansion);
                b.activation(Activation::ReLU6);
            }
            b.depthwise(prefix + "dw", stride);
            b.activation(Activation::ReLU6);
            b.pointwise(prefix + "project", out);
            b.activation(Activation::None); // the linear bottleneck
            if (residual)
                b.residualFrom(blockStart);
        }
    }
    b.pointwise("conv_last", makeDivisible(1280 * std::max(1.0, a)));
    b.activation(Activation::ReLU6);
    b.classifier("fc", opt.numClasses);
    return b.take();
}

bool builtinNetwork(const std::string &name, const MobileNetOptions &opt, Network &out)
{
    std::string key;
    for (char c : name)
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto is = [&](const char *version) {
        const std::string v(version);
        return key == v || key == "mobilenet" + v || key == "mobilenet_" + v || key == "mobilenet-" + v;
    };
    if (is("v1")) {
        out = mobileNetV1(opt);
        return true;
    }
    if (is("v2")) {
        out = mobileNetV2(opt);
        return true;
    }
    return false;
}

} // namespace bitloop
