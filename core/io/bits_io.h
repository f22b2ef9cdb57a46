// Per-layer bit-widths in a file, as a search exports them and as `map-network --bits` reads them:
//
//   network: mobilenet_v1        # optional, informative
//   last_outputs: 8              # optional: the width of the last layer's outputs (default 8)
//   bits:                        # one entry per layer, in order (the paper's layer 1 first)
//     - [8, 8]                   # [weight bits, input-activation bits]
//     - {weights: 4, activations: 8}
#pragma once

#include "workload/problem.h"

#include <string>
#include <vector>

namespace bitloop
{

struct BitsFile {
    std::vector<LayerBits> layers;
    int lastOutputBits = 8;
};

// Throws InputError (file, line, what was expected) on malformed input or a width outside 1..32.
BitsFile readBitsFile(const std::string &path);
std::string bitsFileToYaml(const BitsFile &bits, const std::string &networkName);

} // namespace bitloop
