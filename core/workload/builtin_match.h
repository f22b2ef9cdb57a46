// Which built-in MobileNet a trained network is: a checkpoint records its layers (at the dataset's
// resolution), not the name and width multiplier the hardware side needs, so the explorer finds them by
// comparing channels, groups and kernels, with the search's own check of the two sides
// (firstShapeDifference).
#pragma once

#include "workload/layer.h"

#include <optional>
#include <string>

namespace bitloop
{

// Where two layer lists first differ in the dimensions a resolution leaves alone (G, C, M, R, S): nullopt
// when they agree; `dim` empty when the numbers of layers differ.
struct ShapeDifference {
    size_t layer = 0;
    std::optional<Dim> dim;
};
std::optional<ShapeDifference> firstShapeDifference(const Network &a, const Network &b);

struct BuiltinMatch {
    std::string network; // "mobilenet_v1" or "mobilenet_v2"
    double widthMultiplier = 1.0;
};

// The first built-in network and width (the usual multipliers first, then 0.05 to 4 in steps of 0.05)
// whose layers have `net`'s C, M, G, R and S in order, with `net`'s input channels and classes; nullopt
// when none does (a network from a file, or an unusual width).
std::optional<BuiltinMatch> matchBuiltinNetwork(const Network &net);

} // namespace bitloop
