#include "qat/onnx_weights.h"

#include "util/json.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace bitloop::qat
{

void loadOnnxWeights(QuantNet &net, const std::vector<OnnxLayerWeights> &weights)
{
    if (static_cast<int>(weights.size()) != net.numLayers())
        throw std::invalid_argument("ONNX weights for " + std::to_string(weights.size()) +
                                    " layers, the network has " + std::to_string(net.numLayers()));
    torch::NoGradGuard noGrad;
    for (int i = 0; i < net.numLayers(); ++i) {
        QuantLayer &l = net.layer(i);
        const OnnxLayerWeights &w = weights[static_cast<size_t>(i)];
        const std::string where =
            "layer " + std::to_string(i + 1) + " ('" + net.network().layers[size_t(i)].name + "')";
        if (l.weight.sizes().vec() != w.dims || l.weight.numel() != static_cast<int64_t>(w.weight.size()))
            throw std::invalid_argument(where + ": ONNX weights of another shape");
        const int64_t outputs = w.dims.front();
        if (static_cast<int64_t>(w.bias.size()) != outputs)
            throw std::invalid_argument(where + ": ONNX bias of another size");
        auto tensor = [](const std::vector<float> &v, std::vector<int64_t> dims) {
            return torch::from_blob(const_cast<float *>(v.data()), dims, torch::kFloat32).clone();
        };
        l.weight.copy_(tensor(w.weight, w.dims));
        if (l.isFullyConnected()) {
            l.bias.copy_(tensor(w.bias, {outputs}));
            continue;
        }
        l.bn->weight.fill_(1.0);
        l.bn->bias.copy_(tensor(w.bias, {outputs}));
        l.bn->running_mean.zero_();
        l.bn->running_var.fill_(1.0 - l.bn->options.eps());
    }
}

std::vector<std::pair<int, int>> applyOnnxQuantization(QuantNet &net,
                                                       const std::vector<OnnxLayerWeights> &weights)
{
    if (static_cast<int>(weights.size()) != net.numLayers())
        throw std::invalid_argument("ONNX quantization for " + std::to_string(weights.size()) +
                                    " layers, the network has " + std::to_string(net.numLayers()));
    std::vector<std::pair<int, int>> widths, computed;
    for (const OnnxLayerWeights &w : weights) {
        widths.emplace_back(w.weightBits, w.activationBits);
        computed.emplace_back(32, w.activationBits); // 32: the weights are used as they are
    }
    net.setBits(computed);
    if (!weights.front().imageMean.empty())
        net.setImageNormalization(weights.front().imageMean, weights.front().imageStd);
    for (int i = 0; i < net.numLayers(); ++i) {
        const OnnxLayerWeights &w = weights[size_t(i)];
        if (w.activationStep <= 0)
            continue;
        const std::string where =
            "layer " + std::to_string(i + 1) + " ('" + net.network().layers[size_t(i)].name + "')";
        // The quantizer computes with max(step, kMinStep): a smaller step would be another quantizer.
        if (w.activationStep < kMinStep)
            throw std::invalid_argument(where + ": its input quantizer's scale " +
                                        shortestDouble(w.activationStep) + " is below " +
                                        "the smallest step Bitloop computes with (1e-8)");
        ActQuantizer &q = *net.layer(i).inputQuant;
        q.setStep(w.activationStep);
        // The graph's codes must be this quantizer's: the same largest code, and the same smallest one
        // unless the input cannot be negative (after a ReLU, where codes below 0 are never used).
        const ActRange r = q.range();
        if (w.activationCodeMax != double(r.qp) ||
            (q.isUnsigned() ? w.activationCodeMin > 0 : w.activationCodeMin != -double(r.qn)))
            throw std::invalid_argument(
                where + ": its input quantizer's codes span " +
                std::to_string(std::llround(w.activationCodeMin)) + ".." +
                std::to_string(std::llround(w.activationCodeMax)) + " (zero point taken off), where a " +
                std::to_string(w.activationBits) + "-bit " + (q.isUnsigned() ? "unsigned" : "signed") +
                " quantizer of that input spans " + std::to_string(-r.qn) + ".." + std::to_string(r.qp) +
                ": Bitloop cannot compute this graph as it is");
    }
    return widths;
}

} // namespace bitloop::qat
