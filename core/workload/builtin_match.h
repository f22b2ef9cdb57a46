// Which built-in MobileNet a trained network is: a checkpoint records its layers (at the dataset's
// resolution), not the name and width multiplier the hardware side needs, so the explorer finds them by
// comparing channels, groups and kernels, as the search's own check of the two sides does.
#pragma once

#include "workload/layer.h"

#include <optional>
#include <string>

namespace bitloop
{

struct BuiltinMatch {
    std::string network; // "mobilenet_v1" or "mobilenet_v2"
    double widthMultiplier = 1.0;
};

// The first built-in network and width (the usual multipliers first, then 0.05 to 4 in steps of 0.05)
// whose layers have `net`'s C, M, G, R and S in order, with `net`'s input channels and classes; nullopt
// when none does (a network from a file, or an unusual width).
std::optional<BuiltinMatch> matchBuiltinNetwork(const Network &net);

} // namespace bitloop
