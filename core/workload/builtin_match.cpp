#include "workload/builtin_match.h"

#include "workload/mobilenet.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace bitloop
{

std::optional<ShapeDifference> firstShapeDifference(const Network &a, const Network &b)
{
    if (a.layers.size() != b.layers.size())
        return ShapeDifference{std::min(a.layers.size(), b.layers.size()), std::nullopt};
    for (size_t i = 0; i < a.layers.size(); ++i)
        for (Dim d : {Dim::G, Dim::C, Dim::M, Dim::R, Dim::S})
            if (a.layers[i].shape.bound(d) != b.layers[i].shape.bound(d))
                return ShapeDifference{i, d};
    return std::nullopt;
}

std::optional<BuiltinMatch> matchBuiltinNetwork(const Network &net)
{
    if (net.layers.empty())
        return std::nullopt;
    MobileNetOptions opt;
    const Layer &first = net.layers.front(), &last = net.layers.back();
    opt.inputChannels = static_cast<int>(first.shape.bound(Dim::C) * first.shape.bound(Dim::G));
    opt.numClasses = static_cast<int>(last.shape.bound(Dim::M) * last.shape.bound(Dim::G));
    // Channel counts are rounded, so neighbouring multipliers can give the same layers: the published
    // ones (Howard et al. 2017; Sandler et al. 2018) are tried first.
    std::vector<double> widths = {1.0, 0.75, 0.5, 0.35, 0.25, 1.3, 1.4};
    for (int k = 1; k <= 80; ++k)
        widths.push_back(k * 0.05);
    for (const char *name : {"mobilenet_v1", "mobilenet_v2"})
        for (double w : widths) {
            opt.widthMultiplier = std::round(w * 100.0) / 100.0;
            Network candidate;
            builtinNetwork(name, opt, candidate);
            if (!firstShapeDifference(candidate, net))
                return BuiltinMatch{name, opt.widthMultiplier};
        }
    return std::nullopt;
}

} // namespace bitloop
