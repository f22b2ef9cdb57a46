// How fake quantization picks weight scales and where activation steps start, by name. Torch-free, so that
// evaluator settings (core/accuracy) can name them.
#pragma once

#include <stdexcept>
#include <string>

namespace bitloop::qat
{

// How a weight quantizer picks each output channel's scale, and which codes it may use.
enum class WeightScale {
    // scale_c = max|w_c| / qp: nothing clips. At 2 bits (ternary) every weight under half the channel's
    // largest rounds to zero, which collapses low-bit networks (docs/benchmarks.md §7).
    Max,
    // The scale of the smallest squared rounding-plus-clipping error sum_i (q_i - w_i)^2 among the
    // clipping ratios r = 1, 39/40, ..., 8/40 of max|w_c| (ties: the larger ratio), the MSE-optimal
    // clipping of Banner et al. 2019 / Nagel et al. 2021's white paper, searched rather than modelled.
    Mse,
    // Max and Mse over the full two's-complement range -2^(b-1) .. 2^(b-1) - 1 (2^b codes, as LSQ's
    // weights, Esser et al. 2020) instead of the symmetric one: at 2 bits {-2, -1, 0, 1} * s instead of
    // ternary. The scale that clips nothing is max(max w_c / qp, -min w_c / qn); Mse searches the same
    // ratios of it. Same word in memory, one more level; the sign is not symmetric any more.
    MaxFull,
    MseFull,
};

// Whether the scale is searched for least squared error (Mse, MseFull).
inline bool searchesClipping(WeightScale s)
{
    return s == WeightScale::Mse || s == WeightScale::MseFull;
}
// Whether the code -2^(b-1) is used (MaxFull, MseFull).
inline bool usesFullRange(WeightScale s)
{
    return s == WeightScale::MaxFull || s == WeightScale::MseFull;
}

inline const char *weightScaleName(WeightScale s)
{
    switch (s) {
    case WeightScale::Max:
        return "max";
    case WeightScale::Mse:
        return "mse";
    case WeightScale::MaxFull:
        return "max-full";
    case WeightScale::MseFull:
        return "mse-full";
    }
    return "max";
}

// Throws std::invalid_argument unless name is one of max, mse, max-full, mse-full.
inline WeightScale parseWeightScale(const std::string &name)
{
    for (WeightScale s : {WeightScale::Max, WeightScale::Mse, WeightScale::MaxFull, WeightScale::MseFull})
        if (name == weightScaleName(s))
            return s;
    throw std::invalid_argument("weight scale: expected max, mse, max-full or mse-full, got '" + name + "'");
}

// Where activation steps start: "mse" (the step of least squared error over calibration batches) or "auto"
// (LSQ's rule for qat and the supernet, the observed maximum for ptq). Held as a bool (true: mse) in the
// settings; this pair is the one spelling of the names for the CLI and the supernet file.
inline const char *activationScaleName(bool mse)
{
    return mse ? "mse" : "auto";
}

// Throws std::invalid_argument unless name is "mse" or "auto"; true for "mse".
inline bool parseActivationScale(const std::string &name)
{
    if (name == "mse")
        return true;
    if (name == "auto")
        return false;
    throw std::invalid_argument("activation scale: expected mse or auto, got '" + name + "'");
}

} // namespace bitloop::qat
