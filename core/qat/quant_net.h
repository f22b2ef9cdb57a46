// The accuracy side's model: a LibTorch network built from the same bitloop::Network the cost model
// maps, one quantizable layer per Layer in the same order, so that layer i here is layer i there and a
// per-layer gene (weight bits, input-activation bits) means the same thing on both sides.
//
// Layer i computes, in order:
//   input (the previous layer's output, or layer inputFrom's in a graph such as ResNet)
//          -> [global average pooling, if a fully connected layer follows a feature map]
//          -> input fake quantization at the layer's activation bits (signed where no ReLU/ReLU6
//             precedes: MobileNetV2's linear bottlenecks and residual sums; unsigned otherwise). Layer 0's
//             input is the image: after setImageNormalization it is quantized as the accelerator stores
//             it, as pixels (unsigned, over the whole pixel range, so 8 bits is lossless); otherwise
//             as a signed tensor of normalized values (how Bitloop did it before 2026-12-01).
//          -> conv (G groups, kernel S x R, no bias) + BatchNorm, or the fully connected layer (bias)
//          -> + the quantized input of layer residualFrom (when >= 0)
//          -> + the output of layer addOutputOf (when >= 0; ResNet's projection shortcut), unquantized:
//             the sum is quantized where a layer reads it
//          -> the layer's activation (None / ReLU / ReLU6)
//          -> the layer's pooling (ResNet's stem max-pools).
// A tensor read by several layers is quantized by each at its own activation bits.
// The classifier's outputs stay unquantized here; the hardware side counts them as 8-bit outputs, and
// rounding logits to 8 bits does not change the predicted class in any way QAT could train for.
//
// BatchNorm folding (foldBn, on by default): weights are quantized after BatchNorm is folded into them,
// as an integer accelerator runs them: w_fold = w * gamma / sqrt(running_var + eps) per output channel.
//   eval:     y = conv(x, Qw(w_fold)) + (beta - gamma * running_mean / sqrt(running_var + eps)),
//             exactly the folded layer the hardware runs.
//   training: y = BN_batch(conv(x, Qw(w_fold)) / (gamma / sqrt(running_var + eps))), the scheme of
//             Krishnamoorthi 2018 / PyTorch's ConvBn QAT modules: the weights are quantized as folded with
//             the running statistics, the division undoes the folding scale so that BatchNorm with batch
//             statistics normalizes (and updates the running statistics) as in float training.
// With foldBn off, y = BN(conv(x, Qw(w))): quantizing unfolded weights, a reference only.
// foldBatchNorm() folds for good: w := w_fold, beta := the folded bias, gamma := 1, mean := 0,
// var := 1 - eps, after which both paths compute the same function as before.
#pragma once

#include "qat/fake_quant.h"
#include "workload/layer.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>

#include <memory>
#include <utility>
#include <vector>

namespace bitloop::qat
{

class QuantLayer : public torch::nn::Module
{
public:
    // unsignedInput: a ReLU/ReLU6 precedes this layer's input.
    QuantLayer(const Layer &layer, bool unsignedInput);

    bool isFullyConnected() const { return fc_; }
    Activation activation() const { return activation_; }
    int residualFrom() const { return residualFrom_; }
    int weightBits() const { return weightBits_; }
    int activationBits() const { return inputQuant->bits(); }
    void setBits(int weightBits, int activationBits);

    torch::Tensor quantizeInput(const torch::Tensor &x, bool quantize);
    // conv + BN, or the fully connected layer; no residual, no activation.
    torch::Tensor compute(const torch::Tensor &xq, bool quantize, bool foldBn, WeightScale weightScale);
    // The weights as the accelerator holds them (folded with the running statistics when conv), and
    // the matching bias; both before quantization.
    std::pair<torch::Tensor, torch::Tensor> foldedWeightsAndBias() const;
    void foldBatchNorm();

    torch::Tensor weight;               // conv [G*M, C, S, R] or fc [M, C]
    torch::Tensor bias;                 // fc only
    torch::nn::BatchNorm2d bn{nullptr}; // conv only
    std::shared_ptr<ActQuantizer> inputQuant;

private:
    torch::Tensor foldScale() const; // gamma / sqrt(running_var + eps)

    bool fc_;
    Activation activation_;
    int residualFrom_;
    int weightBits_ = 32;
    std::vector<int64_t> stride_, padding_, dilation_;
    int64_t groups_ = 1;
};

class QuantNet : public torch::nn::Module
{
public:
    // Throws std::invalid_argument naming the layer when the layers do not connect (channels that do not
    // match, a residual or shortcut that does not fit, a convolution after a fully connected layer).
    explicit QuantNet(const Network &network);

    torch::Tensor forward(const torch::Tensor &x);

    int numLayers() const { return static_cast<int>(layers_.size()); }
    const Network &network() const { return network_; }
    QuantLayer &layer(int i) { return *layers_.at(static_cast<size_t>(i)); }
    const QuantLayer &layer(int i) const { return *layers_.at(static_cast<size_t>(i)); }

    // One (weight bits, input-activation bits) pair per layer; throws std::invalid_argument on a wrong
    // count or a bit-width other than 2..8, 16, 32. Every layer starts at 32/32 (float).
    void setBits(const std::vector<std::pair<int, int>> &bits);
    std::vector<std::pair<int, int>> bits() const;

    // Activation steps are set from the data every forward pass sees until stopCalibration().
    void startCalibration(Calibration method = Calibration::LsqMean);
    void stopCalibration();
    void foldBatchNorm();

    // The normalization the inputs arrive with ((pixel / 255 - mean) / std per channel): layer 0 then
    // quantizes pixel / 255 in [0, 1] (ActQuantizer::setFixedRange(1)) and normalizes the result again.
    // Throws std::invalid_argument unless there is one positive std per input channel.
    void setImageNormalization(const std::vector<double> &mean, const std::vector<double> &std);
    bool quantizesPixels() const { return imageStd_.defined(); }
    const torch::Tensor &imageMean() const { return imageMean_; } // [C]; undefined unless quantizing pixels
    const torch::Tensor &imageStd() const { return imageStd_; }

    bool quantize = true; // off: the float model, whatever the bits
    bool foldBn = true;
    // How weight scales are chosen (fake_quant.h). Part of what an accuracy figure means: evaluators put
    // it in their cache key, supernets record the one they were trained with.
    WeightScale weightScale = WeightScale::Max;

private:
    bool activationFolds(size_t i, const torch::Tensor &h) const;

    Network network_;
    torch::nn::ModuleList list_;
    std::vector<std::shared_ptr<QuantLayer>> layers_;
    std::vector<bool> residualSource_;
    std::vector<bool> outputKept_;       // read later by a layer other than the next, or added into one
    torch::Tensor imageMean_, imageStd_; // [C], when quantizing pixels
};

} // namespace bitloop::qat
