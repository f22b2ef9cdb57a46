// What every evaluator on a float checkpoint shares: the checkpoint's info, its dataset loaded and split
// as it was when the baseline was trained (or as the options override), and the canonical text of all
// that for the accuracy cache's key.
#pragma once

#include "qat/session.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bitloop::qat
{

class QuantNet;

struct EvaluationData {
    CheckpointInfo info;
    ImageDataset train;
    std::unique_ptr<ImageDataset> test; // set when evaluating on the test set
    std::vector<int64_t> trainIdx, evalIdx;
    std::string context; // network, checkpoint digest, split and evaluation images, one canonical text

    const ImageDataset &evaluationSet() const { return test ? *test : train; }
};

// InputError naming the checkpoint or the dataset when they do not fit together.
EvaluationData loadEvaluationData(const std::string &checkpoint, const EvaluatorOptions &options);
// The images' channels and classes against the network's; InputError naming the dataset.
void checkFits(const Network &network, const ImageDataset &data);
// BatchNorm's running statistics recomputed for the net as it is set (bits, weights): the statistics of
// one training-mode pass over all of `indices` at once (weights folded and quantized as in training), each
// layer's measured on its inputs as eval mode computes them; then eval mode. Nothing for no indices. The
// supernet does it per candidate; qat after fine-tuning when asked (qatBnBatches): weights that oscillate
// across a rounding threshold can leave the running averages stale (Nagel et al., ICML 2022, §3.2).
void reestimateBatchNorm(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &indices,
                         const Normalization &norm);
// The fixed images BatchNorm is re-estimated on: the first n of a seeded permutation of the training part.
std::vector<int64_t> bnImages(const std::vector<int64_t> &trainIdx, int64_t n, uint64_t seed);
// The supernet file the options name: options.supernet, or defaultSupernetPath(checkpoint).
std::string supernetPath(const std::string &checkpoint, const EvaluatorOptions &options);
// The `supernet` evaluator (qat/supernet.cpp) on supernetPath(checkpoint, options).
std::unique_ptr<AccuracyEvaluator> openSupernetEvaluator(const std::string &checkpoint,
                                                         const EvaluatorOptions &options);
// The last phase of every evaluator: top-1 of `net` (as it is set) on the evaluation images into `result`,
// with its image count and the seconds since t0, reported through `progress`.
void measureTop1(QuantNet &net, const EvaluationData &data, AccuracyResult &result,
                 std::chrono::steady_clock::time_point t0, const AccuracyProgressFn &progress);
// What an exported model says of itself: the input size, and its evaluator, widths and measured top-1.
struct QuantizedOnnxInfo;
QuantizedOnnxInfo quantizedOnnxInfo(const EvaluationData &data, const EvaluatorSettings &settings,
                                    const BitConfig &bits, const AccuracyResult &measured);
// The QAT engine's evaluators (qat, qat-short, ptq; supernet): evaluate() and exportModel() run
// prepareAndMeasure() under one lock, and the export writes the model exactly as it was measured.
class ModelEvaluator : public AccuracyEvaluator
{
public:
    AccuracyResult evaluate(const BitConfig &bits, const AccuracyProgressFn &progress,
                            const std::atomic<bool> *cancel) override;
    bool hasModel() const override { return true; }
    AccuracyResult exportModel(const BitConfig &bits, const std::string &onnxPath,
                               const AccuracyProgressFn &progress) override;

protected:
    // Sets the model up for `bits` as the evaluator does and measures it; leaves it as it measured it.
    virtual AccuracyResult prepareAndMeasure(const BitConfig &bits, const AccuracyProgressFn &progress,
                                             const std::atomic<bool> *cancel) = 0;
    virtual QuantNet &model() = 0;
    virtual const EvaluationData &evaluationData() const = 0;

private:
    std::mutex mutex_;
};

// SHA-256 of a file's bytes, hex; InputError naming the file when unreadable.
std::string fileDigest(const std::string &path);

} // namespace bitloop::qat
