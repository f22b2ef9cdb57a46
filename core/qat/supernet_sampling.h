// How the supernet's sandwich rule draws its random per-layer configurations. Torch-free, so that
// supernet options (session.h) can name it.
#pragma once

#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace bitloop::qat
{

enum class SupernetSampling {
    // Every layer's weight and activation widths drawn independently and uniformly from the allowed ones.
    // With 2..8 bits over 28 layers a configuration's mean width is 5 ± 0.3: mixtures that average 2.5 to
    // 4 bits, where a search's low-energy points lie, are never trained (docs/benchmarks.md §9).
    PerLayer,
    // First a target mean uniform over [narrowest, widest], then each width that mean plus a uniform
    // offset in [-1.5, 1.5], rounded to the nearest allowed width (the lower on a tie): every mean width
    // is trained as often as any other.
    ByMean,
    // Per layer, except each step's first random configuration, which is drawn by mean over the narrowest
    // third of the range ([2, 4] for 2..8, widths within ±1.5 of it): the 2.5-4-bit mixtures get a
    // quarter of a step's configurations (with two random ones), where by-mean gave them a third and
    // pulled the shared weights towards them (docs/benchmarks.md §9).
    PerLayerAndNarrow,
};

inline const char *supernetSamplingName(SupernetSampling s)
{
    switch (s) {
    case SupernetSampling::PerLayer:
        return "per-layer";
    case SupernetSampling::ByMean:
        return "by-mean";
    case SupernetSampling::PerLayerAndNarrow:
        break;
    }
    return "per-layer+narrow";
}

// Throws std::invalid_argument unless name is "per-layer", "by-mean" or "per-layer+narrow".
inline SupernetSampling parseSupernetSampling(const std::string &name)
{
    for (SupernetSampling s :
         {SupernetSampling::PerLayer, SupernetSampling::ByMean, SupernetSampling::PerLayerAndNarrow})
        if (name == supernetSamplingName(s))
            return s;
    throw std::invalid_argument("sampling: expected per-layer, by-mean or per-layer+narrow, got '" + name +
                                "'");
}

// The allowed width (sorted, non-empty) nearest v; the narrower one on a tie.
int nearestAllowedWidth(const std::vector<int> &allowed, double v);

// The `index`-th random configuration of a step (from 0): `layers` (weight, activation) widths from
// `allowed` (sorted, non-empty).
std::vector<std::pair<int, int>> drawConfiguration(std::mt19937_64 &rng, int layers,
                                                   const std::vector<int> &allowed, SupernetSampling sampling,
                                                   int index = 0);

} // namespace bitloop::qat
