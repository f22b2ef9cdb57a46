// The accuracy side as the co-design search sees it: an evaluator takes a per-layer bit configuration and
// answers with a top-1 accuracy. Evaluators trade time for fidelity (ptq < qat-short < qat; supernet, trained
// once, answers about as fast as ptq with close to QAT's fidelity: docs/benchmarks.md §8); all of them
// sit behind this one interface, and CachedEvaluator puts the on-disk accuracy cache in front of any.
// Plain C++: the LibTorch implementation lives in core/qat (qat/evaluators.h).
#pragma once

#include "qat/weight_scale.h"
#include "workload/problem.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bitloop
{

// "8/8 4/4 ..." (weights/activations per layer), as logs and cache keys show it.
std::string formatBitConfig(const BitConfig &bits);

enum class EvaluatorKind {
    Ptq,      // calibrate the activation steps on a few training batches, then evaluate
    QatShort, // calibrate, fine-tune the float checkpoint for `steps` steps with fake quantization
    Qat,      // calibrate, fine-tune for `epochs` epochs
    Supernet, // set the bits of a supernet trained once over all widths, re-estimate BatchNorm, evaluate
};
const char *evaluatorName(EvaluatorKind kind); // "ptq", "qat-short", "qat", "supernet"
// Throws std::invalid_argument listing the choices.
EvaluatorKind parseEvaluatorKind(const std::string &name);

struct EvaluatorSettings {
    EvaluatorKind kind = EvaluatorKind::Ptq;
    int calibrationBatches = 4; // training batches the activation steps are calibrated on
    int64_t steps = 200;        // qat-short: fine-tuning steps
    int epochs = 1;             // qat: fine-tuning epochs
    int batchSize = 64;
    double lr = 0.005; // fine-tuning: the cosine schedule's peak (SGD, momentum 0.9)
    uint64_t seed = 1; // fine-tuning order and augmentation-free batches of the calibration
    // Knowledge distillation from the float checkpoint while fine-tuning (qat-short, qat): the loss is
    // distillWeight * T^2 * KL(teacher_T || student_T) + (1 - distillWeight) * cross-entropy, with
    // softmax at temperature T (Hinton et al. 2015; the T^2 keeps the gradient scale independent of T).
    bool distill = true;
    double temperature = 2.0;
    double distillWeight = 0.5;
    // How weight scales are chosen while quantizing (ptq, qat-short, qat; a supernet uses the one it was
    // trained with). Max is the default: MSE clipping measured no better after QAT (docs/benchmarks.md §7).
    qat::WeightScale weightScale = qat::WeightScale::Max;
    // The image (layer 0's input) quantized as pixels, unsigned over the pixel range (8 bits: lossless),
    // rather than as signed normalized values: 2.7 points better at 4-bit activations after qat-short
    // (docs/benchmarks.md §7). Off: the quantization of every figure before 2026-12-01.
    bool quantizePixels = true;
    // Fine-tuning: the gradient's global norm is clipped to this (0: not clipped). 1-2 at 4 bits and up,
    // so it bounds only the 2-3 bit runs, which diverged to NaN without it (docs/benchmarks.md §7).
    double maxGradNorm = 25;
    // Activation steps calibrated for the least squared quantization error (qat::Calibration::Mse), the
    // default since 2026-12-03: after the same qat it measured 2-4 points above the earlier rule at 2-4 bits
    // and level at 8 (docs/benchmarks.md §7). Off ("auto"): ptq max (nothing clips), qat-short and qat
    // LSQ's 2 * mean|x| / sqrt(qp), which the fine-tuning barely moves. A supernet ignores it: its steps
    // are trained with it.
    bool activationMse = true;
    // Fine-tuning: the LSQ activation steps' learning rate as a multiple of lr (qat::TrainOptions).
    double stepLrScale = 1;
    // supernet: BatchNorm's statistics are re-estimated for the candidate before it is evaluated, in one
    // pass over bnBatches x batchSize training images (0: keep the statistics the supernet was trained with).
    int bnBatches = 8;
    // qat-short, qat: the same after fine-tuning (0: the running averages as trained). Off by default: in one
    // pass it is worth +3.6 points at uniform 2/2 after 2 epochs at lr 0.02, where 2-bit weights leave the
    // averages stale, and -0.03 to -0.1 at 3-8 bits (docs/benchmarks.md §7, eighteenth session); the
    // fidelity reference and the cached answers were measured without it.
    int qatBnBatches = 0;
    // qat-short, qat: fine-tuning starts from a supernet trained from the checkpoint (its shared weights,
    // BatchNorm statistics and the activation step it learned per layer and width;
    // EvaluatorOptions::supernet) instead of the float weights and a calibration. Off by default: the figures
    // of docs/benchmarks.md §7 and the supernet's fidelity reference start from the float weights.
    bool startFromSupernet = false;

    // Throws std::invalid_argument naming the setting that is out of range.
    void check() const;
    bool fineTunes() const; // qat-short, qat
    // The training images BatchNorm is re-estimated on for this kind: supernet bnBatches x batchSize,
    // qat-short and qat qatBnBatches x batchSize, otherwise 0.
    int64_t bnImages() const;
    // The settings that matter to this kind, one canonical line (part of the cache key).
    std::string describe() const;
};

struct AccuracyResult {
    double accuracy = 0.0; // top-1 on the evaluation images, 0..1
    int64_t images = 0;    // how many images it was measured on
    double seconds = 0.0;  // what computing it took (as stored, for a cached answer)
    bool cached = false;
    bool cancelled = false; // no answer: the evaluation was cancelled
};

struct AccuracyProgress {
    // "calibrate", "fine-tune", "evaluate"; once each when it happens: "resumed" (fine-tuning continued
    // from a saved state at step `done` of `total`), "state-kept" (cancelled; a rerun resumes at `done`).
    std::string phase;
    int64_t done = 0, total = 0;
    double loss = 0.0; // fine-tune: the running training loss
};
using AccuracyProgressFn = std::function<void(const AccuracyProgress &)>;

class AccuracyEvaluator
{
public:
    virtual ~AccuracyEvaluator() = default;
    virtual int numLayers() const = 0;
    virtual const EvaluatorSettings &settings() const = 0;
    // Everything the answer depends on besides the settings and the bits, as canonical text: the network,
    // the checkpoint's content, the dataset and the split evaluated on.
    virtual std::string context() const = 0;
    // Thread-safe: concurrent calls are served one after the other. Throws std::invalid_argument on a
    // configuration of the wrong length or with an invalid bit-width (naming the layer).
    virtual AccuracyResult evaluate(const BitConfig &bits, const AccuracyProgressFn &progress = {},
                                    const std::atomic<bool> *cancel = nullptr) = 0;
    // Whether there is a model behind the answers (the QAT engine's evaluators; not the formula).
    virtual bool hasModel() const { return false; }
    // Prepares the model for `bits` exactly as evaluate() does, measures it, and writes it as a quantized
    // ONNX file (qat/onnx_export.h) atomically; the result is that model's accuracy, never a cached one.
    // std::logic_error where hasModel() is false.
    virtual AccuracyResult exportModel(const BitConfig &bits, const std::string &onnxPath,
                                       const AccuracyProgressFn &progress = {});
};

class AccuracyCache;

// An evaluator behind the on-disk cache: an answer is computed once per (context, settings, bits).
class CachedEvaluator : public AccuracyEvaluator
{
public:
    CachedEvaluator(std::unique_ptr<AccuracyEvaluator> inner, std::shared_ptr<AccuracyCache> cache);
    int numLayers() const override { return inner_->numLayers(); }
    const EvaluatorSettings &settings() const override { return inner_->settings(); }
    std::string context() const override { return context_; }
    AccuracyResult evaluate(const BitConfig &bits, const AccuracyProgressFn &progress = {},
                            const std::atomic<bool> *cancel = nullptr) override;
    AccuracyEvaluator &inner() { return *inner_; }
    // The cache alone, for answers computed elsewhere (another MPI rank): a stored answer, or none; and
    // storing one (cancelled results are not stored).
    std::optional<AccuracyResult> lookup(const BitConfig &bits) const;
    void store(const BitConfig &bits, const AccuracyResult &result);
    bool hasModel() const override { return inner_->hasModel(); }
    AccuracyResult exportModel(const BitConfig &bits, const std::string &onnxPath,
                               const AccuracyProgressFn &progress = {}) override
    {
        return inner_->exportModel(bits, onnxPath, progress);
    }

private:
    std::unique_ptr<AccuracyEvaluator> inner_;
    std::shared_ptr<AccuracyCache> cache_;
    std::string context_;
};

} // namespace bitloop
