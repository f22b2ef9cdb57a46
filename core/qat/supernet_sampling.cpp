#include "supernet_sampling.h"

#include "train.h"

#include <cmath>

namespace bitloop::qat
{

namespace
{

// Uniform in [0, 1) from 53 random bits (the draw of our own, as every choice in training).
double unit(std::mt19937_64 &rng)
{
    return static_cast<double>(drawBelow(rng, uint64_t{1} << 53)) / static_cast<double>(uint64_t{1} << 53);
}

} // namespace

int nearestAllowedWidth(const std::vector<int> &allowed, double v)
{
    int best = allowed.front();
    for (int b : allowed)
        if (std::abs(b - v) < std::abs(best - v))
            best = b;
    return best;
}

std::vector<std::pair<int, int>> drawConfiguration(std::mt19937_64 &rng, int layers,
                                                   const std::vector<int> &allowed, SupernetSampling sampling,
                                                   int index)
{
    std::vector<std::pair<int, int>> c;
    c.reserve(static_cast<size_t>(layers));
    const bool narrow = sampling == SupernetSampling::PerLayerAndNarrow && index == 0;
    if (sampling != SupernetSampling::ByMean && !narrow) {
        for (int i = 0; i < layers; ++i)
            c.emplace_back(allowed[drawBelow(rng, allowed.size())], allowed[drawBelow(rng, allowed.size())]);
        return c;
    }
    const double range = (allowed.back() - allowed.front()) / (narrow ? 3.0 : 1.0);
    const double mean = allowed.front() + range * unit(rng);
    for (int i = 0; i < layers; ++i) {
        const int w = nearestAllowedWidth(allowed, mean + 3.0 * unit(rng) - 1.5);
        c.emplace_back(w, nearestAllowedWidth(allowed, mean + 3.0 * unit(rng) - 1.5));
    }
    return c;
}

} // namespace bitloop::qat
