#include "workload/layer.h"

#include <sstream>
#include <stdexcept>

namespace bitloop
{

const char *layerKindName(LayerKind k)
{
    switch (k) {
    case LayerKind::Conv:
        return "conv";
    case LayerKind::Depthwise:
        return "depthwise";
    case LayerKind::Pointwise:
        return "pointwise";
    case LayerKind::FullyConnected:
        return "fc";
    }
    return "?";
}

bool layerKindFromName(const std::string &name, LayerKind &out)
{
    for (LayerKind k :
         {LayerKind::Conv, LayerKind::Depthwise, LayerKind::Pointwise, LayerKind::FullyConnected}) {
        if (name == layerKindName(k)) {
            out = k;
            return true;
        }
    }
    return false;
}

const char *poolingName(Pooling::Kind k)
{
    switch (k) {
    case Pooling::Kind::None:
        return "none";
    case Pooling::Kind::Max:
        return "max";
    case Pooling::Kind::Average:
        return "average";
    }
    return "?";
}

int Network::sourceOf(size_t k) const
{
    const int from = layers.at(k).inputFrom;
    return from >= 0 ? from : static_cast<int>(k) - 1;
}

int64_t Layer::inputChannels() const
{
    return shape.bound(Dim::G) * shape.bound(Dim::C);
}

int64_t Layer::outputChannels() const
{
    return shape.bound(Dim::G) * shape.bound(Dim::M);
}

// Sizes read height x width, like the papers' tables; P and Q are the output width and height.
std::string Layer::describe() const
{
    std::ostringstream os;
    const ProblemShape &s = shape;
    const int64_t n = s.bound(Dim::N);
    if (kind == LayerKind::FullyConnected) {
        os << "fc " << inputChannels() << " -> " << outputChannels();
        if (s.bound(Dim::P) != 1 || s.bound(Dim::Q) != 1 || s.bound(Dim::R) != 1 || s.bound(Dim::S) != 1)
            os << " (" << s.bound(Dim::S) << "x" << s.bound(Dim::R) << " @ " << s.bound(Dim::Q) << "x"
               << s.bound(Dim::P) << ")";
        if (n != 1)
            os << " N=" << n;
        return os.str();
    }
    static const char *abbrev[] = {"conv", "dw", "pw", "fc"};
    os << abbrev[static_cast<int>(kind)] << " " << s.bound(Dim::S) << "x" << s.bound(Dim::R) << "/";
    if (s.wstride == s.hstride)
        os << s.wstride;
    else
        os << s.hstride << "x" << s.wstride;
    if (s.wdilation != 1 || s.hdilation != 1) {
        os << " d";
        if (s.wdilation == s.hdilation)
            os << s.wdilation;
        else
            os << s.hdilation << "x" << s.wdilation;
    }
    os << " " << inputChannels() << " -> " << outputChannels();
    if (kind != LayerKind::Depthwise && s.bound(Dim::G) != 1)
        os << " g" << s.bound(Dim::G);
    os << " @ " << s.bound(Dim::Q) << "x" << s.bound(Dim::P) << " out";
    if (n != 1)
        os << " N=" << n;
    return os.str();
}

namespace
{

[[noreturn]] void specError(const std::string &layerName, const std::string &what)
{
    if (layerName.empty())
        throw std::invalid_argument(what);
    throw std::invalid_argument("layer '" + layerName + "': " + what);
}

void requirePositive(const std::string &layerName, const char *field, int64_t value)
{
    if (value <= 0)
        specError(layerName, std::string(field) + " must be positive, got " + std::to_string(value));
}

// Output size of a sliding window, as in PyTorch's Conv2d: floor((in + 2 pad - dil (k - 1) - 1) / stride)
// + 1.
int64_t outputSize(const ConvSpec &spec, const char *inField, int64_t in)
{
    const int64_t span = static_cast<int64_t>(spec.dilation) * (spec.kernel - 1) + 1;
    const int64_t padded = in + 2 * static_cast<int64_t>(spec.padding);
    if (padded < span)
        specError(spec.name, "kernel " + std::to_string(spec.kernel) + " (dilation " +
                                 std::to_string(spec.dilation) + ") does not fit " + inField + " " +
                                 std::to_string(in) + " with padding " + std::to_string(spec.padding));
    return (padded - span) / spec.stride + 1;
}

} // namespace

Layer makeConv(const ConvSpec &spec)
{
    requirePositive(spec.name, "inChannels", spec.inChannels);
    requirePositive(spec.name, "outChannels", spec.outChannels);
    requirePositive(spec.name, "kernel", spec.kernel);
    requirePositive(spec.name, "stride", spec.stride);
    requirePositive(spec.name, "dilation", spec.dilation);
    requirePositive(spec.name, "inHeight", spec.inHeight);
    requirePositive(spec.name, "inWidth", spec.inWidth);
    requirePositive(spec.name, "groups", spec.groups);
    requirePositive(spec.name, "batch", spec.batch);
    if (spec.padding < 0)
        specError(spec.name, "padding must not be negative, got " + std::to_string(spec.padding));
    if (spec.inChannels % spec.groups != 0 || spec.outChannels % spec.groups != 0)
        specError(spec.name, "groups " + std::to_string(spec.groups) + " must divide inChannels " +
                                 std::to_string(spec.inChannels) + " and outChannels " +
                                 std::to_string(spec.outChannels));

    Layer layer;
    layer.name = spec.name;
    ProblemShape &s = layer.shape;
    s.bound(Dim::N) = spec.batch;
    s.bound(Dim::G) = spec.groups;
    s.bound(Dim::C) = spec.inChannels / spec.groups;
    s.bound(Dim::M) = spec.outChannels / spec.groups;
    s.bound(Dim::R) = spec.kernel;
    s.bound(Dim::S) = spec.kernel;
    s.bound(Dim::P) = outputSize(spec, "inWidth", spec.inWidth);
    s.bound(Dim::Q) = outputSize(spec, "inHeight", spec.inHeight);
    s.wstride = s.hstride = spec.stride;
    s.wdilation = s.hdilation = spec.dilation;
    s.wpad = s.hpad = spec.padding;

    if (spec.groups > 1 && spec.groups == spec.inChannels && spec.groups == spec.outChannels)
        layer.kind = LayerKind::Depthwise;
    else if (spec.kernel == 1)
        layer.kind = LayerKind::Pointwise;
    else
        layer.kind = LayerKind::Conv;
    return layer;
}

Layer makeFullyConnected(const std::string &name, int64_t inFeatures, int64_t outFeatures, int64_t batch)
{
    requirePositive(name, "inFeatures", inFeatures);
    requirePositive(name, "outFeatures", outFeatures);
    requirePositive(name, "batch", batch);
    Layer layer;
    layer.name = name;
    layer.kind = LayerKind::FullyConnected;
    layer.shape.bound(Dim::N) = batch;
    layer.shape.bound(Dim::C) = inFeatures;
    layer.shape.bound(Dim::M) = outFeatures;
    return layer;
}

int64_t Network::totalMacs() const
{
    int64_t total = 0;
    for (const Layer &l : layers)
        total += l.macs();
    return total;
}

int64_t Network::totalWeights() const
{
    int64_t total = 0;
    for (const Layer &l : layers)
        total += l.weightCount();
    return total;
}

const char *activationName(Activation a)
{
    switch (a) {
    case Activation::None:
        return "none";
    case Activation::ReLU:
        return "relu";
    case Activation::ReLU6:
        return "relu6";
    }
    return "?";
}

bool activationFromName(const std::string &name, Activation &out)
{
    for (Activation a : {Activation::None, Activation::ReLU, Activation::ReLU6})
        if (name == activationName(a)) {
            out = a;
            return true;
        }
    return false;
}

} // namespace bitloop
