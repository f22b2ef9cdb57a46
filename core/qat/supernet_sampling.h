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
};

inline const char *supernetSamplingName(SupernetSampling s)
{
    return s == SupernetSampling::PerLayer ? "per-layer" : "by-mean";
}

// Throws std::invalid_argument unless name is "per-layer" or "by-mean".
inline SupernetSampling parseSupernetSampling(const std::string &name)
{
    if (name == "per-layer")
        return SupernetSampling::PerLayer;
    if (name == "by-mean")
        return SupernetSampling::ByMean;
    throw std::invalid_argument("sampling: expected per-layer or by-mean, got '" + name + "'");
}

// The allowed width (sorted, non-empty) nearest v; the narrower one on a tie.
int nearestAllowedWidth(const std::vector<int> &allowed, double v);

// One random configuration of `layers` (weight, activation) widths from `allowed` (sorted, non-empty).
std::vector<std::pair<int, int>> drawConfiguration(std::mt19937_64 &rng, int layers,
                                                   const std::vector<int> &allowed,
                                                   SupernetSampling sampling);

} // namespace bitloop::qat
