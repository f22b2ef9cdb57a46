#include "qat/quant_net.h"

#include <torch/nn/init.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace bitloop::qat
{

namespace
{

// 1-based, as the CLI and the paper count layers.
std::string layerLabel(int i, const Layer &layer)
{
    return "layer " + std::to_string(i + 1) + " '" + layer.name + "'";
}

} // namespace

QuantLayer::QuantLayer(const Layer &layer, bool unsignedInput)
    : fc_(layer.kind == LayerKind::FullyConnected), activation_(layer.activation),
      residualFrom_(layer.residualFrom)
{
    const ProblemShape &s = layer.shape;
    const int64_t g = s.bound(Dim::G), c = s.bound(Dim::C), m = s.bound(Dim::M);
    const int64_t r = s.bound(Dim::R), h = s.bound(Dim::S);
    if (fc_) {
        if (g != 1 || r != 1 || h != 1)
            throw std::invalid_argument(
                "fully connected layer '" + layer.name +
                "': expected G = R = S = 1 (a classifier after global pooling), got G=" + std::to_string(g) +
                " R=" + std::to_string(r) + " S=" + std::to_string(h));
        weight = register_parameter("weight", torch::empty({m, c}));
        bias = register_parameter("bias", torch::zeros({m}));
        // torchvision's MobileNet initialisation for the classifier.
        torch::nn::init::normal_(weight, 0.0, 0.01);
    } else {
        // S is the filter height and R its width: torch's kernel is (kH, kW) = (S, R).
        weight = register_parameter("weight", torch::empty({g * m, c, h, r}));
        torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
        bn = register_module("bn", torch::nn::BatchNorm2d(g * m));
        stride_ = {s.hstride, s.wstride};
        padding_ = {s.hpad, s.wpad};
        dilation_ = {s.hdilation, s.wdilation};
        groups_ = g;
    }
    inputQuant = register_module("input_quant", std::make_shared<ActQuantizer>(unsignedInput, 32));
}

void QuantLayer::setBits(int weightBits, int activationBits)
{
    checkBits(weightBits, "weight bits");
    inputQuant->setBits(activationBits);
    weightBits_ = weightBits;
}

torch::Tensor QuantLayer::quantizeInput(const torch::Tensor &x, bool quantize)
{
    return quantize ? inputQuant->forward(x) : x;
}

torch::Tensor QuantLayer::foldScale() const
{
    return bn->weight / (bn->running_var + bn->options.eps()).sqrt();
}

torch::Tensor QuantLayer::compute(const torch::Tensor &xq, bool quantize, bool foldBn,
                                  WeightScale weightScale)
{
    const int wbits = quantize ? weightBits_ : 32;
    if (fc_)
        return torch::linear(xq, fakeQuantizeWeights(weight, wbits, weightScale), bias);
    const bool training = bn->is_training();
    // Training with unquantized weights: folding and unfolding cancel, BN_batch(conv(x, w_fold) / scale)
    // is BN_batch(conv(x, w)), so the float model trains without either.
    if (!foldBn || (training && !isQuantizingBits(wbits)))
        return bn->forward(torch::conv2d(xq, fakeQuantizeWeights(weight, wbits, weightScale), {}, stride_,
                                         padding_, dilation_, groups_));
    const torch::Tensor scale = foldScale().view({-1, 1, 1, 1});
    const torch::Tensor wq = fakeQuantizeWeights(weight * scale, wbits, weightScale);
    if (training) {
        // The convolution is linear in each output channel's weights, so conv(x, Qw(w_fold)) / scale is
        // conv(x, Qw(w_fold) / scale): the division done on the weights rather than on the (much larger)
        // output saves a pass over the output forward and two backward.
        return bn->forward(torch::conv2d(xq, wq / scale, {}, stride_, padding_, dilation_, groups_));
    }
    const torch::Tensor foldedBias = bn->bias - bn->running_mean * scale.view({-1});
    return torch::conv2d(xq, wq, foldedBias, stride_, padding_, dilation_, groups_);
}

std::pair<torch::Tensor, torch::Tensor> QuantLayer::foldedWeightsAndBias() const
{
    torch::NoGradGuard noGrad;
    if (fc_)
        return {weight.clone(), bias.clone()};
    const torch::Tensor scale = foldScale();
    return {weight * scale.view({-1, 1, 1, 1}), bn->bias - bn->running_mean * scale};
}

void QuantLayer::foldBatchNorm()
{
    if (fc_)
        return;
    auto [w, b] = foldedWeightsAndBias();
    torch::NoGradGuard noGrad;
    weight.copy_(w);
    bn->bias.copy_(b);
    bn->weight.fill_(1.0);
    bn->running_mean.zero_();
    bn->running_var.fill_(1.0 - bn->options.eps());
}

QuantNet::QuantNet(const Network &network) : network_(network)
{
    const std::vector<Layer> &layers = network.layers;
    if (layers.empty())
        throw std::invalid_argument("network '" + network.name + "' has no layers");
    if (!network.chainNote.empty())
        throw std::invalid_argument(
            "network '" + network.name +
            "' is not a graph of layers the QAT engine builds yet: " + network.chainNote);
    list_ = register_module("layers", torch::nn::ModuleList());
    residualSource_.assign(layers.size(), false);
    outputKept_.assign(layers.size(), false);
    bool seenFullyConnected = false;
    for (size_t k = 0; k < layers.size(); ++k) {
        const int i = static_cast<int>(k);
        const Layer &layer = layers[k];
        const bool fc = layer.kind == LayerKind::FullyConnected;
        if (!fc && seenFullyConnected)
            throw std::invalid_argument(layerLabel(i, layer) +
                                        ": a convolution cannot follow a fully connected layer");
        seenFullyConnected = seenFullyConnected || fc;
        if (layer.inputFrom >= i)
            throw std::invalid_argument(layerLabel(i, layer) +
                                        ": its input must be an earlier layer's output");
        const int from = network.sourceOf(k);
        if (from >= 0) {
            const Layer &src = layers[static_cast<size_t>(from)];
            if (layer.inputChannels() != src.outputChannels())
                throw std::invalid_argument(layerLabel(i, layer) + ": expected " +
                                            std::to_string(src.outputChannels()) +
                                            " input channels (the outputs of " + layerLabel(from, src) +
                                            "), got " + std::to_string(layer.inputChannels()));
            if (from + 1 != i)
                outputKept_[static_cast<size_t>(from)] = true;
        }
        if (layer.residualFrom >= 0) {
            if (layer.residualFrom > i)
                throw std::invalid_argument(layerLabel(i, layer) + ": residual source " +
                                            std::to_string(layer.residualFrom) + " must be an earlier layer");
            const Layer &src = layers[static_cast<size_t>(layer.residualFrom)];
            if (src.inputChannels() != layer.outputChannels() ||
                (src.kind == LayerKind::FullyConnected) != fc)
                throw std::invalid_argument(layerLabel(i, layer) + ": the input of residual source " +
                                            layerLabel(layer.residualFrom, src) + " (" +
                                            std::to_string(src.inputChannels()) +
                                            " channels) cannot be added to this layer's " +
                                            std::to_string(layer.outputChannels()) + " outputs");
            residualSource_[static_cast<size_t>(layer.residualFrom)] = true;
        }
        if (layer.addOutputOf >= 0) {
            if (layer.addOutputOf >= i)
                throw std::invalid_argument(layerLabel(i, layer) +
                                            ": the output it adds must be an earlier layer's");
            const Layer &src = layers[static_cast<size_t>(layer.addOutputOf)];
            if (src.outputChannels() != layer.outputChannels() ||
                (src.kind == LayerKind::FullyConnected) != fc)
                throw std::invalid_argument(
                    layerLabel(i, layer) + ": the output of " + layerLabel(layer.addOutputOf, src) + " (" +
                    std::to_string(src.outputChannels()) + " channels) cannot be added to this layer's " +
                    std::to_string(layer.outputChannels()) + " outputs");
            outputKept_[static_cast<size_t>(layer.addOutputOf)] = true;
        }
        if (layer.pool.kind != Pooling::Kind::None) {
            const Pooling &p = layer.pool;
            if (fc || p.kernelH < 1 || p.kernelW < 1 || p.strideH < 1 || p.strideW < 1 || p.padH < 0 ||
                p.padW < 0 || 2 * p.padH > p.kernelH || 2 * p.padW > p.kernelW)
                throw std::invalid_argument(layerLabel(i, layer) +
                                            ": its pooling needs a feature map, positive kernel and stride, "
                                            "and padding of at most half the kernel");
        }
        // ReLU and ReLU6 leave non-negative values, and pooling keeps them so.
        const bool unsignedInput =
            from >= 0 && layers[static_cast<size_t>(from)].activation != Activation::None;
        auto q = std::make_shared<QuantLayer>(layer, unsignedInput);
        list_->push_back(q);
        layers_.push_back(std::move(q));
    }
}

torch::Tensor QuantNet::forward(const torch::Tensor &x)
{
    const Layer &first = network_.layers.front();
    if ((x.dim() != 4 && !(x.dim() == 2 && layers_.front()->isFullyConnected())) ||
        x.size(1) != first.inputChannels())
        throw std::invalid_argument("network '" + network_.name + "': expected an input of shape [N, " +
                                    std::to_string(first.inputChannels()) + ", H, W], got " +
                                    std::to_string(x.dim()) + " dimensions with " +
                                    std::to_string(x.dim() > 1 ? x.size(1) : 0) + " channels");
    std::vector<torch::Tensor> residualInputs(layers_.size()), outputs(layers_.size());
    torch::Tensor h = x;
    double pendingCap = 0; // > 0: h still needs the previous layer's activation, up to this cap
    for (size_t i = 0; i < layers_.size(); ++i) {
        QuantLayer &layer = *layers_[i];
        const Layer &spec = network_.layers[i];
        if (spec.inputFrom >= 0)
            h = outputs[static_cast<size_t>(spec.inputFrom)];
        if (layer.isFullyConnected() && h.dim() == 4)
            h = h.mean({2, 3}); // global average pooling
        if (i == 0 && quantizesPixels() && quantize && isQuantizingBits(layer.activationBits())) {
            std::vector<int64_t> shape(static_cast<size_t>(h.dim()), 1);
            shape[1] = h.size(1);
            const torch::Tensor mean = imageMean_.view(shape), std = imageStd_.view(shape);
            h = (layer.quantizeInput(h * std + mean, true) - mean) / std;
        } else if (pendingCap > 0) {
            h = layer.inputQuant->forwardRectified(h, pendingCap);
            pendingCap = 0;
        } else {
            h = layer.quantizeInput(h, quantize);
        }
        if (residualSource_[i])
            residualInputs[i] = h; // the skip reads the input as stored, i.e. quantized
        h = layer.compute(h, quantize, foldBn, weightScale);
        if (layer.residualFrom() >= 0)
            h = h + residualInputs[static_cast<size_t>(layer.residualFrom())];
        if (spec.addOutputOf >= 0)
            h = h + outputs[static_cast<size_t>(spec.addOutputOf)];
        if (quantize && activationFolds(i, h)) {
            pendingCap =
                layer.activation() == Activation::ReLU6 ? 6.0 : std::numeric_limits<double>::infinity();
            continue;
        }
        switch (layer.activation()) {
        case Activation::None:
            break;
        case Activation::ReLU:
            h = torch::relu(h);
            break;
        case Activation::ReLU6:
            h = torch::hardtanh(h, 0.0, 6.0);
            break;
        }
        const Pooling &p = spec.pool;
        if (p.kind == Pooling::Kind::Max)
            h = torch::max_pool2d(h, {p.kernelH, p.kernelW}, {p.strideH, p.strideW}, {p.padH, p.padW});
        else if (p.kind == Pooling::Kind::Average)
            h = torch::avg_pool2d(h, {p.kernelH, p.kernelW}, {p.strideH, p.strideW}, {p.padH, p.padW});
        if (outputKept_[i])
            outputs[i] = h;
    }
    return h;
}

// The activation of layer i can be left to layer i + 1's quantizer (ActQuantizer::forwardRectified) when
// that quantizer is the only reader of its output: nothing pools it, keeps it for a later layer or averages
// it first (a classifier's global pooling of a ReLU's output is not the ReLU of the pooled one).
bool QuantNet::activationFolds(size_t i, const torch::Tensor &h) const
{
    if (i + 1 >= layers_.size() || layers_[i]->activation() == Activation::None || outputKept_[i] ||
        network_.layers[i].pool.kind != Pooling::Kind::None)
        return false;
    const QuantLayer &next = *layers_[i + 1];
    return network_.layers[i + 1].inputFrom < 0 && !(next.isFullyConnected() && h.dim() == 4) &&
           next.inputQuant->canRectify(h);
}

void QuantNet::setBits(const std::vector<std::pair<int, int>> &bits)
{
    if (bits.size() != layers_.size())
        throw std::invalid_argument("network '" + network_.name + "': expected " +
                                    std::to_string(layers_.size()) + " (weight, activation) bit pairs, got " +
                                    std::to_string(bits.size()));
    for (size_t i = 0; i < bits.size(); ++i) {
        const std::string label = layerLabel(static_cast<int>(i), network_.layers[i]);
        checkBits(bits[i].first, label + " weight bits");
        checkBits(bits[i].second, label + " activation bits");
    }
    for (size_t i = 0; i < bits.size(); ++i)
        layers_[i]->setBits(bits[i].first, bits[i].second);
}

std::vector<std::pair<int, int>> QuantNet::bits() const
{
    std::vector<std::pair<int, int>> out;
    for (const auto &l : layers_)
        out.emplace_back(l->weightBits(), l->activationBits());
    return out;
}

void QuantNet::startCalibration(Calibration method)
{
    for (const auto &l : layers_)
        l->inputQuant->startCalibration(method);
}

void QuantNet::stopCalibration()
{
    for (const auto &l : layers_)
        l->inputQuant->stopCalibration();
}

void QuantNet::setImageNormalization(const std::vector<double> &mean, const std::vector<double> &std)
{
    const int channels = network_.layers.front().inputChannels();
    if (mean.size() != static_cast<size_t>(channels) || std.size() != mean.size())
        throw std::invalid_argument("network '" + network_.name + "': the image normalization has " +
                                    std::to_string(mean.size()) + " means and " + std::to_string(std.size()) +
                                    " deviations for " + std::to_string(channels) + " input channels");
    for (double s : std)
        if (!(s > 0) || !std::isfinite(s))
            throw std::invalid_argument("network '" + network_.name +
                                        "': the image normalization has a deviation that is not positive");
    imageMean_ = torch::tensor(mean, torch::kFloat);
    imageStd_ = torch::tensor(std, torch::kFloat);
    layers_.front()->inputQuant->setFixedRange(1.0);
}

void QuantNet::foldBatchNorm()
{
    for (const auto &l : layers_)
        l->foldBatchNorm();
}

} // namespace bitloop::qat
