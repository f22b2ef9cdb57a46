// Fake quantization for quantization-aware training: tensors stay float but take only the values an
// integer accelerator could hold, and gradients pass through the rounding by the straight-through
// estimator (STE).
//
// Bit-widths: 2..8 quantize; 16 and 32 mean "not quantized" (identity), since the accelerator's 16-bit
// baseline is what the float model stands for. Anything else is an error.
#pragma once

#include "qat/weight_scale.h"

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bitloop::qat
{

bool isQuantizingBits(int bits); // 2..8
bool isValidBits(int bits);      // 2..8, 16, 32
// Throws std::invalid_argument naming `what` (e.g. "layer 3 'dw2' weight bits") when bits is not valid.
void checkBits(int bits, const std::string &what);

// Weights: signed, symmetric, one scale per output channel (dim 0), the scale from `scale`:
//   q = clamp(round(w / scale_c), -qp, qp) * scale_c,  qp = 2^(b-1) - 1.
// The symmetric range gives up the code -2^(b-1) (2^b - 1 levels instead of 2^b) so that zero is exact
// and negation never overflows; at b = 2 the weights are ternary {-s, 0, s}. The scale follows the
// weights (it is not learned), and the gradient of w is passed unchanged (the straight-through estimator
// without a clipping mask: a clipped weight keeps learning and may come back inside). Identity for 16/32
// bits. WeightScale::MaxFull and MseFull use the full range -(qp + 1) .. qp instead (weight_scale.h).
torch::Tensor fakeQuantizeWeights(const torch::Tensor &w, int bits, WeightScale scale = WeightScale::Max);

// The integer range of an activation quantizer: codes -qn .. qp.
struct ActRange {
    int64_t qn = 0; // magnitude of the most negative code (0 when unsigned)
    int64_t qp = 0; // the largest code
};
// Unsigned [0, 2^b - 1] where a ReLU/ReLU6 precedes; signed [-2^(b-1), 2^(b-1) - 1] otherwise.
ActRange activationRange(int bits, bool isUnsigned);

// LSQ's gradient scale (Esser et al. 2020): g = 1 / sqrt(numel * qp).
double lsqGradScale(int64_t numel, int64_t qp);

// The smallest step an activation quantizer uses: the step stays positive because the forward pass uses
// max(step, kMinStep); the step's gradient is passed through that max unchanged, so a step that an
// update pushed below it can still move back.
constexpr double kMinStep = 1e-8;

// LSQ fake quantization with a learned step s (a one-element tensor):
//   forward  q = clamp(round(x / s), -qn, qp) * s
//   d q/d x  = 1 where -qn <= x/s <= qp, else 0
//   d q/d s  = (round(x/s) - x/s) inside, -qn below, qp above; summed over the tensor, times gradScale.
torch::Tensor lsqFakeQuantize(const torch::Tensor &x, const torch::Tensor &step, const ActRange &range,
                              double gradScale);

// How an activation quantizer's step is initialised from data.
enum class Calibration {
    LsqMean, // LSQ's suggestion: 2 * mean|x| / sqrt(qp), averaged over the calibration batches
    Max,     // max|x| / qp over the calibration batches: nothing clips
    // The step of least squared quantization error (rounding plus clipping) on a sample of the
    // calibration batches' values, among the clipping points r * max|x|, r = 1/100 .. 100/100 (ties: the
    // larger). Nagel et al. 2021 (white paper, §3.2) call it MSE range setting. Over a short fine-tuning
    // LSQ's steps barely leave their initialisation (docs/benchmarks.md §7), so this is the step QAT uses.
    Mse,
};
// The Mse search on given values: the step of least sum (clamp(round(x / s), -range.qn, range.qp) * s - x)^2
// among s = r * maxAbs / range.qp, r = k / 100, k = 1..100 (ties: the larger); maxAbs / range.qp when
// maxAbs is 0 or not finite.
double mseStep(const float *x, int64_t n, double maxAbs, const ActRange &range);

// One activation quantizer (one learned step per tensor). Its step is calibrated from data before use:
// explicitly between startCalibration() and stopCalibration() (statistics over every batch seen), or,
// failing that, from the first batch it sees at its current bit-width. The bit-width the step was
// calibrated for is a buffer, so checkpoints carry it and a loaded step is not overwritten.
class ActQuantizer : public torch::nn::Module
{
public:
    explicit ActQuantizer(bool isUnsigned, int bits = 8);

    torch::Tensor forward(const torch::Tensor &x);

    // For inference (no gradient), the quantizer of a ReLU's (cap infinite) or ReLU6's (cap 6) output can
    // be given the activation's input instead: its lowest code, 0, is the rectification, so the pass over
    // the tensor that the activation costs is saved. forwardRectified(x, cap) equals
    // forward(hardtanh(x, 0, cap)) element for element; canRectify says whether it may be called (unsigned,
    // quantizing, calibrated, not calibrating, not a fixed range, no gradient, float on the CPU).
    bool canRectify(const torch::Tensor &x) const;
    torch::Tensor forwardRectified(const torch::Tensor &x, double cap);

    void setBits(int bits); // throws std::invalid_argument unless valid
    int bits() const { return bits_; }
    bool isUnsigned() const { return unsigned_; }
    ActRange range() const { return activationRange(bits_, unsigned_); }
    bool calibrated() const; // for the current bit-width
    void startCalibration(Calibration method);
    void stopCalibration();
    // Sets the step by hand and marks it calibrated for the current bit-width.
    void setStep(double step);
    double stepValue() const;
    // A quantizer of data with a known range [0, maxValue] (the image's pixels): unsigned, and its
    // calibration sets step = maxValue / qp without looking at the data, so that 8 bits over pixels / 255
    // is exactly the 256 levels the image has. The step is not learned: forward passes it on detached.
    void setFixedRange(double maxValue);
    // A step held elsewhere (a supernet's table of learned steps per layer and bit-width, qat/supernet.h):
    // forward uses it instead of `step`, as calibrated, and its gradient flows there. An undefined tensor
    // returns to the quantizer's own step.
    void bindStep(const torch::Tensor &external);
    const torch::Tensor &activeStep() const { return bound_.defined() ? bound_ : step; }

    torch::Tensor step;           // parameter, shape {1}
    torch::Tensor calibratedBits; // buffer: the bit-width the step belongs to (0 = none)

private:
    void observe(const torch::Tensor &x);

    bool unsigned_;
    int bits_;
    torch::Tensor bound_;
    bool calibrating_ = false;
    Calibration method_ = Calibration::LsqMean;
    double sumAbsMean_ = 0.0; // over calibration batches
    int64_t batches_ = 0;
    double max_ = 0.0;
    std::vector<float> sample_; // Mse: values kept from the calibration batches
    double fixedMax_ = 0.0;     // > 0: setFixedRange
};

} // namespace bitloop::qat
