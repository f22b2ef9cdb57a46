#include "accuracy/evaluator.h"

#include "accuracy/accuracy_cache.h"
#include "io/yaml_util.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace bitloop
{

std::string formatBitConfig(const BitConfig &bits)
{
    std::string s;
    for (const LayerBits &b : bits) {
        if (!s.empty())
            s += ' ';
        s += std::to_string(b.weights) + "/" + std::to_string(b.activations);
    }
    return s;
}

const char *evaluatorName(EvaluatorKind kind)
{
    switch (kind) {
    case EvaluatorKind::Ptq:
        return "ptq";
    case EvaluatorKind::QatShort:
        return "qat-short";
    case EvaluatorKind::Qat:
        return "qat";
    case EvaluatorKind::Supernet:
        return "supernet";
    }
    return "?";
}

EvaluatorKind parseEvaluatorKind(const std::string &name)
{
    for (EvaluatorKind k :
         {EvaluatorKind::Ptq, EvaluatorKind::QatShort, EvaluatorKind::Qat, EvaluatorKind::Supernet})
        if (name == evaluatorName(k))
            return k;
    throw std::invalid_argument("unknown evaluator '" + name +
                                "' (expected ptq, qat-short, qat or supernet)");
}

namespace
{
// BatchNorm re-estimation passes all its images (batches x batch) through the network at once
// (qat/batchnorm.cpp): bounded so that its memory is too.
constexpr int64_t kMaxBnImages = 8192;

// The re-estimation batches the kind uses: the supernet's per candidate, qat's after fine-tuning, else none.
int bnBatchesOf(const EvaluatorSettings &s)
{
    if (s.kind == EvaluatorKind::Supernet)
        return s.bnBatches;
    return s.fineTunes() ? s.qatBnBatches : 0;
}
} // namespace

void EvaluatorSettings::check() const
{
    auto need = [](bool ok, const std::string &what) {
        if (!ok)
            throw std::invalid_argument(what);
    };
    need(calibrationBatches >= 1, "calibration batches must be at least 1");
    need(batchSize >= 1, "the batch size must be at least 1");
    if (kind == EvaluatorKind::QatShort)
        need(steps >= 1, "qat-short needs at least 1 fine-tuning step");
    if (kind == EvaluatorKind::Qat)
        need(epochs >= 1, "qat needs at least 1 epoch");
    if (fineTunes()) {
        need(lr > 0, "the fine-tuning learning rate must be positive");
        need(maxGradNorm >= 0 && std::isfinite(maxGradNorm),
             "the gradient norm bound must be finite and at least 0 (0: not clipped)");
        need(stepLrScale > 0 && stepLrScale <= 1e6, "the step learning-rate multiple must lie in (0, 1e6]");
        if (distill) {
            need(temperature > 0 && temperature <= 100, "the distillation temperature must lie in (0, 100]");
            need(distillWeight >= 0 && distillWeight <= 1, "the distillation weight must lie in [0, 1]");
        }
    }
    need(!startFromSupernet || fineTunes(),
         "starting from a supernet is for qat-short and qat (they fine-tune)");
    const int batches = bnBatchesOf(*this);
    need(batches >= 0, "BatchNorm re-estimation batches must be at least 0");
    need(bnImages() <= kMaxBnImages, "BatchNorm re-estimation: " + std::to_string(batches) + " batches of " +
                                         std::to_string(batchSize) + " = " + std::to_string(bnImages()) +
                                         " images, at most " + std::to_string(kMaxBnImages) +
                                         " (they go through the network in one batch)");
}

bool EvaluatorSettings::fineTunes() const
{
    return kind == EvaluatorKind::QatShort || kind == EvaluatorKind::Qat;
}

int64_t EvaluatorSettings::bnImages() const
{
    return int64_t{bnBatchesOf(*this)} * batchSize;
}

std::string EvaluatorSettings::describe() const
{
    std::ostringstream os;
    os << "evaluator=" << evaluatorName(kind);
    if (kind == EvaluatorKind::Supernet) {
        // The supernet's own file (its digest is in the context) fixes the rest. BatchNorm is re-estimated
        // in one pass over the images (named by their number: rows of the batch-by-batch re-estimation
        // before 2026-12-03 said bn_batches and batch, and no longer answer).
        os << " bn_images=" << bnImages() << " seed=" << seed;
        return os.str();
    }
    // A supernet start takes each layer's activation step from the supernet, so the calibration settings go
    // unused there and stay out of the text: runs that differ only in them are one question.
    const bool calibrates = !(fineTunes() && startFromSupernet);
    if (calibrates)
        os << " calibration_batches=" << calibrationBatches;
    os << " batch=" << batchSize;
    if (kind == EvaluatorKind::QatShort)
        os << " steps=" << steps;
    if (kind == EvaluatorKind::Qat)
        os << " epochs=" << epochs;
    if (fineTunes())
        os << " lr=" << yamlutil::formatDouble(lr);
    // Without distillation the text is what it was before distillation existed, so earlier cache rows
    // (all undistilled) keep answering.
    if (fineTunes() && distill)
        os << " distill=T" << yamlutil::formatDouble(temperature) << ",w"
           << yamlutil::formatDouble(distillWeight);
    if (fineTunes() && maxGradNorm > 0)
        os << " clip=" << yamlutil::formatDouble(maxGradNorm);
    // 1 was the only value before the setting existed: those rows keep answering.
    if (fineTunes() && stepLrScale != 1)
        os << " step_lr=" << yamlutil::formatDouble(stepLrScale);
    // Not re-estimating was the only way before the setting existed: those rows keep answering for 0.
    if (fineTunes() && bnImages() > 0)
        os << " bn_images=" << bnImages();
    // Which supernet is in the context (its digest).
    if (!calibrates)
        os << " start=supernet";
    if (quantizePixels)
        os << " image=pixels";
    // Max scaling was the only kind before the choice existed: its rows keep answering.
    if (weightScale != qat::WeightScale::Max)
        os << " weights=" << qat::weightScaleName(weightScale);
    // The earlier rule (auto) was the only one before the choice existed: its rows keep answering.
    if (calibrates && activationMse)
        os << " activations=mse";
    os << " seed=" << seed;
    return os.str();
}

AccuracyResult AccuracyEvaluator::exportModel(const BitConfig &, const std::string &,
                                              const AccuracyProgressFn &)
{
    throw std::logic_error(std::string("the ") + evaluatorName(settings().kind) +
                           " evaluator has no model to export");
}

CachedEvaluator::CachedEvaluator(std::unique_ptr<AccuracyEvaluator> inner,
                                 std::shared_ptr<AccuracyCache> cache)
    : inner_(std::move(inner)), cache_(std::move(cache)), context_(inner_->context())
{
}

AccuracyResult CachedEvaluator::evaluate(const BitConfig &bits, const AccuracyProgressFn &progress,
                                         const std::atomic<bool> *cancel)
{
    if (static_cast<int>(bits.size()) != numLayers())
        throw std::invalid_argument("a bit configuration of " + std::to_string(bits.size()) +
                                    " layers for a network of " + std::to_string(numLayers()));
    const AccuracyKey key = accuracyKey(context_, settings(), bits);
    if (cache_)
        if (auto hit = cache_->lookup(key))
            return *hit;
    AccuracyResult r = inner_->evaluate(bits, progress, cancel);
    if (cache_ && !r.cancelled)
        cache_->store(key, r);
    return r;
}

std::optional<AccuracyResult> CachedEvaluator::lookup(const BitConfig &bits) const
{
    if (!cache_ || static_cast<int>(bits.size()) != numLayers())
        return std::nullopt;
    return cache_->lookup(accuracyKey(context_, settings(), bits));
}

void CachedEvaluator::store(const BitConfig &bits, const AccuracyResult &result)
{
    if (cache_ && !result.cancelled && static_cast<int>(bits.size()) == numLayers())
        cache_->store(accuracyKey(context_, settings(), bits), result);
}

} // namespace bitloop
