#include "qat/fake_quant.h"

#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

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

// The float kernels below compute, element by element, exactly what the tensor expressions in their
// comments compute (the same float divisions, products and round-half-to-even), in one pass instead of
// one pass per operator, with no temporaries. Other dtypes and devices take the tensor expressions.
bool fastPath(const torch::Tensor &t)
{
    return t.scalar_type() == torch::kFloat && t.device().is_cpu() && t.layout() == torch::kStrided;
}

// Four floats at a time with GCC's generic vector extensions (SSE2 on x86-64, NEON on ARM): the compiler
// does not vectorize these loops by itself at -O2 (the reduction, the selects, the aliasing checks).
typedef float Vec4 __attribute__((vector_size(16)));
typedef int32_t Mask4 __attribute__((vector_size(16)));

inline Vec4 splat(float v)
{
    return Vec4{v, v, v, v};
}
inline Vec4 load4(const float *p)
{
    Vec4 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void store4(float *p, Vec4 v)
{
    std::memcpy(p, &v, sizeof v);
}

// round-half-to-even of v for |v| <= 2^22 (every code here is within +-256): adding and subtracting
// 1.5 * 2^23 leaves v's nearest integer, ties to even, under the default rounding mode (the project never
// builds with -ffast-math, which could fold it away). NaN stays NaN.
constexpr float kRoundMagic = 12582912.0f; // 1.5 * 2^23
inline float roundHalfEven(float v)
{
    return (v + kRoundMagic) - kRoundMagic;
}
inline Vec4 roundHalfEven(Vec4 v)
{
    return (v + splat(kRoundMagic)) - splat(kRoundMagic);
}

// clamp(v, lo, hi) that keeps NaN, as torch's clamp does.
inline float clampKeepNan(float v, float lo, float hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}
inline Vec4 clampKeepNan(Vec4 v, Vec4 lo, Vec4 hi)
{
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

// WeightScale::Mse's clipping ratios: r_k = (kClipDenominator - k) / kClipDenominator, k = 0 ..
// kClipSteps - 1, i.e. 1 down to 0.2 of max|w|.
constexpr int kClipDenominator = 40;
constexpr int kClipSteps = 33;

float clipRatio(int k)
{
    return static_cast<float>(kClipDenominator - k) / static_cast<float>(kClipDenominator);
}

// A channel's scale with clipping ratio r: max|w| * r / qp, at least the smallest normal float so that
// an all-zero channel stays zero.
float channelScale(float maxAbs, float r, float qp)
{
    const float scale = maxAbs * r / qp;
    return scale < std::numeric_limits<float>::min() ? std::numeric_limits<float>::min() : scale;
}

// sum_j (clamp(round(w_j / scale), lo, hi) * scale - w_j)^2; four lanes summed separately, then in
// order, so the sum is the same on any machine and thread count.
double quantizationError(const float *w, int64_t n, float scale, float lo, float hi)
{
    const Vec4 s4 = splat(scale), lo4 = splat(lo), hi4 = splat(hi);
    Vec4 acc = splat(0.0f);
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const Vec4 v = load4(w + j);
        const Vec4 d = roundHalfEven(clampKeepNan(v / s4, lo4, hi4)) * s4 - v;
        acc += d * d;
    }
    double sum = 0.0;
    for (int l = 0; l < 4; ++l)
        sum += static_cast<double>(acc[l]);
    for (; j < n; ++j) {
        const float d = roundHalfEven(clampKeepNan(w[j] / scale, lo, hi)) * scale - w[j];
        sum += static_cast<double>(d * d);
    }
    return sum;
}

// One output channel of fakeQuantizeWeights: the scale from the channel's extremes (and the ratio search
// for Mse, MseFull), then q = clamp(round(w / scale), lo, qp) * scale with lo = -qp, or -(qp + 1) over
// the full range. A NaN weight makes the scale NaN, as amax does.
void quantizeChannel(const float *w, float *q, int64_t n, float qp, WeightScale mode)
{
    Vec4 hi4 = splat(0.0f), lo4 = splat(0.0f); // max(0, max w), max(0, -min w)
    Mask4 nan4 = {};
    int64_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const Vec4 v = load4(w + j);
        hi4 = v > hi4 ? v : hi4;
        lo4 = -v > lo4 ? -v : lo4;
        nan4 |= v != v;
    }
    float hi = 0.0f, lo = 0.0f;
    bool nan = false;
    for (int l = 0; l < 4; ++l) {
        hi = hi4[l] > hi ? hi4[l] : hi;
        lo = lo4[l] > lo ? lo4[l] : lo;
        nan = nan || nan4[l] != 0;
    }
    for (; j < n; ++j) {
        hi = w[j] > hi ? w[j] : hi;
        lo = -w[j] > lo ? -w[j] : lo;
        nan = nan || w[j] != w[j];
    }
    const bool full = usesFullRange(mode);
    const float qn = full ? qp + 1.0f : qp;
    // The value that maps to the code qp when nothing clips: max|w|, or over the full range the larger of
    // max w and -min w * qp / qn (the negative side has one code more).
    float m = full ? std::max(hi, lo * qp / qn) : std::max(hi, lo);
    if (nan)
        m = std::numeric_limits<float>::quiet_NaN();
    float scale = channelScale(m, 1.0f, qp);
    if (searchesClipping(mode) && !nan) {
        double best = quantizationError(w, n, scale, -qn, qp);
        for (int k = 1; k < kClipSteps; ++k) {
            const float candidate = channelScale(m, clipRatio(k), qp);
            const double err = quantizationError(w, n, candidate, -qn, qp);
            if (err < best) {
                best = err;
                scale = candidate;
            }
        }
    }
    const Vec4 s4 = splat(scale), min4 = splat(-qn), max4 = splat(qp);
    j = 0;
    for (; j + 4 <= n; j += 4)
        store4(q + j, roundHalfEven(clampKeepNan(load4(w + j) / s4, min4, max4)) * s4);
    for (; j < n; ++j)
        q[j] = roundHalfEven(clampKeepNan(w[j] / scale, -qn, qp)) * scale;
}

// The same for any dtype or device, with tensor operations: the error sums may round differently from
// the kernel's, so a near tie can pick a neighbouring ratio there.
torch::Tensor quantizeChannels(const torch::Tensor &w, double qp, WeightScale mode)
{
    const torch::Tensor flat = w.reshape({w.size(0), -1});
    const bool full = usesFullRange(mode);
    const double qn = full ? qp + 1.0 : qp;
    const torch::Tensor m =
        full ? torch::maximum(flat.amax(1, /*keepdim=*/true).clamp_min(0),
                              flat.amin(1, /*keepdim=*/true).neg().clamp_min(0).mul(qp / qn))
             : flat.abs().amax(1, /*keepdim=*/true);
    const auto scaleFor = [&](double r) {
        return m.mul(r).div_(qp).clamp_min_(std::numeric_limits<float>::min());
    };
    const auto quantize = [&](const torch::Tensor &scale) {
        return flat.div(scale).round_().clamp_(-qn, qp).mul_(scale);
    };
    torch::Tensor scale = scaleFor(1.0);
    if (searchesClipping(mode)) {
        torch::Tensor best = (quantize(scale) - flat).square_().sum(1, /*keepdim=*/true);
        for (int k = 1; k < kClipSteps; ++k) {
            const torch::Tensor candidate = scaleFor(static_cast<double>(clipRatio(k)));
            const torch::Tensor err = (quantize(candidate) - flat).square_().sum(1, /*keepdim=*/true);
            const torch::Tensor better = err.lt(best);
            scale = torch::where(better, candidate, scale);
            best = torch::where(better, err, best);
        }
    }
    return quantize(scale).view(w.sizes());
}

// Per-channel rounding with an identity gradient. A custom function rather than
// `w + (q - w).detach()`, whose float sum is not exactly q and would add spurious levels.
struct WeightFakeQuant : torch::autograd::Function<WeightFakeQuant> {
    static torch::Tensor forward(AutogradContext *, const torch::Tensor &w, int64_t bits, int64_t mode)
    {
        const double qp = static_cast<double>((int64_t{1} << (bits - 1)) - 1);
        const auto scaleMode = static_cast<WeightScale>(mode);
        if (!fastPath(w) || w.numel() == 0)
            return quantizeChannels(w, qp, scaleMode);
        // quantizeChannels, one output channel at a time.
        const torch::Tensor src = w.contiguous();
        torch::Tensor out = torch::empty_like(src);
        const int64_t rows = src.size(0), cols = src.numel() / rows;
        const float *in = src.data_ptr<float>();
        float *dst = out.data_ptr<float>();
        const float fqp = static_cast<float>(qp);
        const int64_t work = cols * (searchesClipping(scaleMode) ? kClipSteps : 1);
        at::parallel_for(0, rows, std::max<int64_t>(1, 32768 / std::max<int64_t>(work, 1)),
                         [&](int64_t begin, int64_t end) {
                             for (int64_t r = begin; r < end; ++r)
                                 quantizeChannel(in + r * cols, dst + r * cols, cols, fqp, scaleMode);
                         });
        return out;
    }
    static variable_list backward(AutogradContext *, variable_list grads)
    {
        return {grads[0], torch::Tensor(), torch::Tensor()};
    }
};

// Elements per task of the LSQ kernels. The step's gradient is summed per chunk and the chunks' sums are
// added in order, so it does not depend on the thread count.
constexpr int64_t kChunk = 16384;

// x.div(s).round_().clamp_(lo, hi).mul_(s) of a float CPU tensor in one pass, x first capped at `cap`
// (min(x, cap); NaN stays NaN, as through an activation). Clamping before rounding gives the same codes
// since the bounds are integers. With lo = 0 it is the forward of relu(x) (cap infinite) or
// hardtanh(x, 0, cap) then the quantizer, element for element: a negative x / s clamps to the code 0 that
// the activation would have made it, and a capped one to the code of the cap.
torch::Tensor quantizeCodes(const torch::Tensor &x, float step, float lo, float hi, float cap)
{
    const float s = std::max(step, static_cast<float>(kMinStep));
    const torch::Tensor src = x.contiguous();
    torch::Tensor out = torch::empty_like(src);
    const float *in = src.data_ptr<float>();
    float *dst = out.data_ptr<float>();
    at::parallel_for(0, src.numel(), kChunk, [&](int64_t begin, int64_t end) {
        const Vec4 s4 = splat(s), lo4 = splat(lo), hi4 = splat(hi), cap4 = splat(cap);
        int64_t i = begin;
        for (; i + 4 <= end; i += 4) {
            Vec4 v = load4(in + i);
            v = v > cap4 ? cap4 : v;
            store4(dst + i, roundHalfEven(clampKeepNan(v / s4, lo4, hi4)) * s4);
        }
        for (; i < end; ++i) {
            const float v = in[i] > cap ? cap : in[i];
            dst[i] = roundHalfEven(clampKeepNan(v / s, lo, hi)) * s;
        }
    });
    return out;
}

struct LsqFakeQuant : torch::autograd::Function<LsqFakeQuant> {
    static torch::Tensor forward(AutogradContext *ctx, const torch::Tensor &x, const torch::Tensor &step,
                                 double qn, double qp, double gradScale)
    {
        ctx->save_for_backward({x, step});
        ctx->saved_data["qn"] = qn;
        ctx->saved_data["qp"] = qp;
        ctx->saved_data["g"] = gradScale;
        if (!fastPath(x) || !fastPath(step)) {
            const torch::Tensor s = step.clamp_min(kMinStep);
            return x.div(s).round_().clamp_(-qn, qp).mul_(s);
        }
        return quantizeCodes(x, step.item<float>(), static_cast<float>(-qn), static_cast<float>(qp),
                             std::numeric_limits<float>::infinity());
    }
    static variable_list backward(AutogradContext *ctx, variable_list grads)
    {
        const variable_list saved = ctx->get_saved_variables();
        const torch::Tensor &x = saved[0], &step = saved[1];
        const double qn = ctx->saved_data["qn"].toDouble();
        const double qp = ctx->saved_data["qp"].toDouble();
        const double g = ctx->saved_data["g"].toDouble();
        const torch::Tensor &grad = grads[0];
        if (!fastPath(x) || !fastPath(step) || !fastPath(grad)) {
            const torch::Tensor xs = x.div(step.clamp_min(kMinStep));
            const torch::Tensor inside = xs.ge(-qn).logical_and_(xs.le(qp));
            const torch::Tensor gradX = grad.mul(inside);
            // Outside the range the clamped code is -qn or qp: exactly LSQ's gradient there.
            const torch::Tensor codes = xs.round().clamp_(-qn, qp);
            const torch::Tensor dStep = torch::where(inside, codes - xs, codes);
            const torch::Tensor gradStep = grad.mul(dStep).sum().mul_(g).reshape(step.sizes());
            return {gradX, gradStep, torch::Tensor(), torch::Tensor(), torch::Tensor()};
        }
        // The expressions above in one pass: inside = -qn <= x/s <= qp; d x = grad where inside, else 0;
        // d s = g * sum(grad * (inside ? code - x/s : code)), code = clamp(round(x/s), -qn, qp).
        const float s = std::max(step.item<float>(), static_cast<float>(kMinStep));
        const float lo = static_cast<float>(-qn), hi = static_cast<float>(qp);
        const torch::Tensor xc = x.contiguous(), gc = grad.contiguous();
        torch::Tensor gradX = torch::empty_like(xc);
        const int64_t n = xc.numel();
        const float *in = xc.data_ptr<float>();
        const float *up = gc.data_ptr<float>();
        float *gx = gradX.data_ptr<float>();
        const int64_t chunks = (n + kChunk - 1) / kChunk;
        std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
        at::parallel_for(0, chunks, 1, [&](int64_t cBegin, int64_t cEnd) {
            for (int64_t c = cBegin; c < cEnd; ++c) {
                const int64_t begin = c * kChunk, end = std::min(n, begin + kChunk);
                // Four lanes summed separately, then in order: no reassociation, same sum on any machine.
                const Vec4 s4 = splat(s), lo4 = splat(lo), hi4 = splat(hi), zero = splat(0.0f);
                Vec4 acc = zero;
                int64_t i = begin;
                for (; i + 4 <= end; i += 4) {
                    const Vec4 xs = load4(in + i) / s4;
                    const Mask4 inside = (xs >= lo4) & (xs <= hi4);
                    const Vec4 code = roundHalfEven(clampKeepNan(xs, lo4, hi4));
                    const Vec4 gu = load4(up + i);
                    store4(gx + i, inside ? gu : zero);
                    acc += gu * (inside ? code - xs : code);
                }
                double sum = 0.0;
                for (int l = 0; l < 4; ++l)
                    sum += static_cast<double>(acc[l]);
                for (; i < end; ++i) {
                    const float xs = in[i] / s;
                    const bool inside = xs >= lo && xs <= hi;
                    const float code = roundHalfEven(clampKeepNan(xs, lo, hi));
                    gx[i] = inside ? up[i] : 0.0f;
                    sum += static_cast<double>(up[i] * (inside ? code - xs : code));
                }
                partial[static_cast<size_t>(c)] = sum;
            }
        });
        double total = 0.0;
        for (double v : partial)
            total += v;
        const torch::Tensor gradStep = torch::full(step.sizes(), total * g, step.options());
        return {gradX, gradStep, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

torch::Tensor fakeQuantizeWeights(const torch::Tensor &w, int bits, WeightScale scale)
{
    checkBits(bits, "weight bits");
    if (!isQuantizingBits(bits))
        return w;
    return WeightFakeQuant::apply(w, static_cast<int64_t>(bits), static_cast<int64_t>(scale));
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

double mseStep(const float *x, int64_t n, double maxAbs, const ActRange &range)
{
    const double qp = static_cast<double>(range.qp);
    if (!(maxAbs > 0) || !std::isfinite(maxAbs) || n <= 0)
        return std::max(maxAbs / qp, kMinStep);
    const float lo = static_cast<float>(-range.qn), hi = static_cast<float>(range.qp);
    double bestStep = maxAbs / qp, bestErr = std::numeric_limits<double>::infinity();
    for (int k = 100; k >= 1; --k) { // from the largest, so that a tie keeps the larger
        const float s = static_cast<float>(maxAbs * k / 100.0 / qp);
        const double err = quantizationError(x, n, s, lo, hi);
        if (err < bestErr) {
            bestErr = err;
            bestStep = s;
        }
    }
    return std::max(bestStep, kMinStep);
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
    return bound_.defined() || calibratedBits.item<int64_t>() == bits_;
}

void ActQuantizer::setFixedRange(double maxValue)
{
    if (!(maxValue > 0))
        throw std::invalid_argument("fixed range: expected a positive maximum");
    if (unsigned_ && fixedMax_ == maxValue)
        return;
    unsigned_ = true;
    fixedMax_ = maxValue;
    torch::NoGradGuard noGrad;
    calibratedBits.fill_(0); // a step calibrated for another range is not one for this
}

void ActQuantizer::bindStep(const torch::Tensor &external)
{
    bound_ = external;
}

void ActQuantizer::startCalibration(Calibration method)
{
    calibrating_ = true;
    method_ = method;
    sumAbsMean_ = 0.0;
    batches_ = 0;
    max_ = 0.0;
    sample_.clear();
}

void ActQuantizer::stopCalibration()
{
    calibrating_ = false;
    sample_.clear();
    sample_.shrink_to_fit();
}

void ActQuantizer::setStep(double value)
{
    torch::NoGradGuard noGrad;
    if (bound_.defined()) {
        bound_.fill_(std::max(value, kMinStep));
        return;
    }
    step.fill_(std::max(value, kMinStep));
    calibratedBits.fill_(bits_);
}

double ActQuantizer::stepValue() const
{
    return activeStep().item<double>();
}

void ActQuantizer::observe(const torch::Tensor &x)
{
    torch::NoGradGuard noGrad;
    const ActRange r = range();
    if (fixedMax_ > 0) {
        setStep(fixedMax_ / static_cast<double>(r.qp));
        return;
    }
    const torch::Tensor a = x.detach().abs();
    if (method_ == Calibration::LsqMean) {
        sumAbsMean_ += a.mean().item<double>();
        ++batches_;
        setStep(2.0 * (sumAbsMean_ / static_cast<double>(batches_)) / std::sqrt(static_cast<double>(r.qp)));
    } else if (method_ == Calibration::Max) {
        max_ = std::max(max_, a.max().item<double>());
        setStep(max_ / static_cast<double>(r.qp));
    } else {
        // Up to kSamplePerBatch values of each batch, evenly strided (deterministic), the search over all
        // kept so far: a few batches' worth keeps the search to a fraction of a second per quantizer.
        constexpr int64_t kSamplePerBatch = 16384;
        max_ = std::max(max_, a.max().item<double>());
        const torch::Tensor flat = x.detach().to(torch::kFloat).contiguous().view({-1});
        const int64_t n = flat.numel(), stride = std::max<int64_t>(1, n / kSamplePerBatch);
        const float *v = flat.data_ptr<float>();
        for (int64_t i = 0; i < n; i += stride)
            sample_.push_back(v[i]);
        setStep(mseStep(sample_.data(), static_cast<int64_t>(sample_.size()), max_, r));
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
    // A fixed range's step (the image's pixels) is not learned: the range is known, and the step's
    // gradient, summed over every pixel of the batch, drove it negative within 20 steps at 2 bits.
    const torch::Tensor &s = fixedMax_ > 0 ? activeStep().detach() : activeStep();
    return lsqFakeQuantize(x, s, r, lsqGradScale(x.numel(), r.qp));
}

bool ActQuantizer::canRectify(const torch::Tensor &x) const
{
    return unsigned_ && fixedMax_ == 0 && isQuantizingBits(bits_) && !calibrating_ && calibrated() &&
           !torch::GradMode::is_enabled() && fastPath(x) && fastPath(activeStep());
}

torch::Tensor ActQuantizer::forwardRectified(const torch::Tensor &x, double cap)
{
    if (!canRectify(x))
        throw std::logic_error("ActQuantizer::forwardRectified: this quantizer cannot absorb the activation");
    return quantizeCodes(x, activeStep().item<float>(), 0.0f, static_cast<float>(range().qp),
                         static_cast<float>(cap));
}

} // namespace bitloop::qat
