// How fake quantization picks weight scales and where activation steps start, by name. Torch-free, so that
// evaluator settings (core/accuracy) can name them.
#pragma once

#include <stdexcept>
#include <string>

namespace bitloop::qat
{

// How a weight quantizer picks each output channel's scale.
enum class WeightScale {
    // scale_c = max|w_c| / qp: nothing clips. At 2 bits (ternary) every weight under half the channel's
    // largest rounds to zero, which collapses low-bit networks (docs/benchmarks.md §7).
    Max,
    // The scale of the smallest squared rounding-plus-clipping error sum_i (q_i - w_i)^2 among the
    // clipping ratios r = 1, 39/40, ..., 8/40 of max|w_c| (ties: the larger ratio), the MSE-optimal
    // clipping of Banner et al. 2019 / Nagel et al. 2021's white paper, searched rather than modelled.
    Mse,
};
inline const char *weightScaleName(WeightScale s)
{
    return s == WeightScale::Max ? "max" : "mse";
}

// Throws std::invalid_argument unless name is "max" or "mse".
inline WeightScale parseWeightScale(const std::string &name)
{
    if (name == "max")
        return WeightScale::Max;
    if (name == "mse")
        return WeightScale::Mse;
    throw std::invalid_argument("weight scale: expected max or mse, got '" + name + "'");
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
