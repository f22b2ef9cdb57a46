#include "qat/fake_quant.h"

#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace bitloop::qat
{

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool isQuantizingBits(int bits)
{
    return bits >= 2 && bits <= 8;
}

bool isValidBits(int bits)
{
    return isQuantizingBits(bits) || bits == 16 || bits == 32;
}

void checkBits(int bits, const std::string &what)
{
    if (!isValidBits(bits))
        throw std::invalid_argument(
            what + ": expected a bit-width of 2..8, or 16/32 for not quantized, got " + std::to_string(bits));
}

namespace
{

// Per-channel symmetric rounding with an identity gradient. A custom function rather than
// `w + (q - w).detach()`, whose float sum is not exactly q and would add spurious levels.
struct WeightFakeQuant : torch::autograd::Function<WeightFakeQuant> {
    static torch::Tensor forward(AutogradContext *, const torch::Tensor &w, int64_t bits)
    {
        const double qp = static_cast<double>((int64_t{1} << (bits - 1)) - 1);
        const torch::Tensor flat = w.reshape({w.size(0), -1});
        // An all-zero channel gets a tiny scale and stays zero.
        const torch::Tensor scale =
            flat.abs().amax(1, /*keepdim=*/true).div_(qp).clamp_min_(std::numeric_limits<float>::min());
        return flat.div(scale).round_().clamp_(-qp, qp).mul_(scale).view(w.sizes());
    }
    static variable_list backward(AutogradContext *, variable_list grads)
    {
        return {grads[0], torch::Tensor()};
    }
};

struct LsqFakeQuant : torch::autograd::Function<LsqFakeQuant> {
    static torch::Tensor forward(AutogradContext *ctx, const torch::Tensor &x, const torch::Tensor &step,
                                 double qn, double qp, double gradScale)
    {
        ctx->save_for_backward({x, step});
        ctx->saved_data["qn"] = qn;
        ctx->saved_data["qp"] = qp;
        ctx->saved_data["g"] = gradScale;
        const torch::Tensor s = step.clamp_min(kMinStep);
        return x.div(s).round_().clamp_(-qn, qp).mul_(s);
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads)
    {
        const variable_list saved = ctx->get_saved_variables();
        const torch::Tensor &x = saved[0], &step = saved[1];
        const double qn = ctx->saved_data["qn"].toDouble();
        const double qp = ctx->saved_data["qp"].toDouble();
        const double g = ctx->saved_data["g"].toDouble();
        const torch::Tensor &grad = grads[0];
        const torch::Tensor xs = x.div(step.clamp_min(kMinStep));
        const torch::Tensor inside = xs.ge(-qn).logical_and_(xs.le(qp));
        const torch::Tensor gradX = grad.mul(inside);
        // Outside the range the clamped code is -qn or qp: exactly LSQ's gradient there.
        const torch::Tensor codes = xs.round().clamp_(-qn, qp);
        const torch::Tensor dStep = torch::where(inside, codes - xs, codes);
        const torch::Tensor gradStep = grad.mul(dStep).sum().mul_(g).reshape(step.sizes());
        return {gradX, gradStep, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

torch::Tensor fakeQuantizeWeights(const torch::Tensor &w, int bits)
{
    checkBits(bits, "weight bits");
    if (!isQuantizingBits(bits))
        return w;
    return WeightFakeQuant::apply(w, static_cast<int64_t>(bits));
}

ActRange activationRange(int bits, bool isUnsigned)
{
    if (isUnsigned)
        return {0, (int64_t{1} << bits) - 1};
    return {int64_t{1} << (bits - 1), (int64_t{1} << (bits - 1)) - 1};
}

double lsqGradScale(int64_t numel, int64_t qp)
{
    return 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(numel, 1)) * static_cast<double>(qp));
}

torch::Tensor lsqFakeQuantize(const torch::Tensor &x, const torch::Tensor &step, const ActRange &range,
                              double gradScale)
{
    return LsqFakeQuant::apply(x, step, static_cast<double>(range.qn), static_cast<double>(range.qp),
                               gradScale);
}

ActQuantizer::ActQuantizer(bool isUnsigned, int bits) : unsigned_(isUnsigned), bits_(bits)
{
    checkBits(bits, "activation bits");
    step = register_parameter("step", torch::ones({1}));
    calibratedBits = register_buffer("calibrated_bits", torch::zeros({1}, torch::kLong));
}

void ActQuantizer::setBits(int bits)
{
    checkBits(bits, "activation bits");
    bits_ = bits;
}

bool ActQuantizer::calibrated() const
{
    return calibratedBits.item<int64_t>() == bits_;
}

void ActQuantizer::startCalibration(Calibration method)
{
    calibrating_ = true;
    method_ = method;
    sumAbsMean_ = 0.0;
    batches_ = 0;
    max_ = 0.0;
}

void ActQuantizer::stopCalibration()
{
    calibrating_ = false;
}

void ActQuantizer::setStep(double value)
{
    torch::NoGradGuard noGrad;
    step.fill_(std::max(value, kMinStep));
    calibratedBits.fill_(bits_);
}

double ActQuantizer::stepValue() const
{
    return step.item<double>();
}

void ActQuantizer::observe(const torch::Tensor &x)
{
    torch::NoGradGuard noGrad;
    const torch::Tensor a = x.detach().abs();
    const ActRange r = range();
    if (method_ == Calibration::LsqMean) {
        sumAbsMean_ += a.mean().item<double>();
        ++batches_;
        setStep(2.0 * (sumAbsMean_ / static_cast<double>(batches_)) / std::sqrt(static_cast<double>(r.qp)));
    } else {
        max_ = std::max(max_, a.max().item<double>());
        setStep(max_ / static_cast<double>(r.qp));
    }
}

torch::Tensor ActQuantizer::forward(const torch::Tensor &x)
{
    if (!isQuantizingBits(bits_))
        return x;
    if (calibrating_) {
        observe(x);
    } else if (!calibrated()) {
        const Calibration keep = method_;
        startCalibration(Calibration::LsqMean);
        observe(x);
        stopCalibration();
        method_ = keep;
    }
    const ActRange r = range();
    return lsqFakeQuantize(x, step, r, lsqGradScale(x.numel(), r.qp));
}

} // namespace bitloop::qat
