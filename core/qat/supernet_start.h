// A supernet as the place fine-tuning starts (qat-short and qat with startFromSupernet): the weights and
// BatchNorm statistics it shares between widths, and the activation step it learned for each layer and
// width. Once-for-all (Cai et al., ICLR 2020) fine-tunes a sub-network from the supernet's weights rather
// than from the float ones; here the sandwich training has already run every step's narrowest
// configuration, so a 2-bit fine-tuning starts from weights that work at 2 bits.
#pragma once

#include "qat/evaluation_data.h"

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace bitloop::qat
{

// The supernet at `path` checked against the float checkpoint an evaluator is opened on: InputError naming
// the file when it is missing, not a supernet, or trained from another checkpoint or network.
SupernetInfo openSupernetFor(const std::string &checkpoint, const std::string &path,
                             const EvaluationData &data);
// `bits` as (weights, activations) per layer, each width one the supernet was trained for; otherwise an
// InputError naming the file and the layer (std::invalid_argument for a configuration of the wrong length).
std::vector<std::pair<int, int>> supernetWidths(const SupernetInfo &info, const std::string &path,
                                                const BitConfig &bits);

struct SupernetStart {
    std::string path;
    SupernetInfo info;
    std::string digest;               // sha256 of the file, for the accuracy cache's context
    std::vector<torch::Tensor> state; // the shared QuantNet's parameters, then its buffers, in their order
    torch::Tensor actSteps;           // [layers x allowed widths], learned

    // `net` (a QuantNet of the same network and image input) set to the start of `bits`: the shared
    // weights and trained statistics, the bits, and each layer's step at its width (still trainable).
    void apply(QuantNet &net, const BitConfig &bits) const;
};

// The supernet at `path` for fine-tuning with `settings`: as openSupernetFor, and an InputError naming
// the file when it quantizes weights or the image otherwise than the settings ask.
SupernetStart loadSupernetStart(const std::string &checkpoint, const std::string &path,
                                const EvaluationData &data, const EvaluatorSettings &settings);

} // namespace bitloop::qat
