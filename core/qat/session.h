// The QAT engine as the CLI, the search and the GUI drive it, with no LibTorch in sight: train a float
// baseline into a checkpoint that records how it was made, and open accuracy evaluators on it.
//
// A checkpoint written here carries, next to the weights, a CheckpointInfo (YAML text in the archive):
// the network's layer list, the dataset and its split, the input normalization and the baseline's
// figures, so that `bitloop-cli accuracy --checkpoint FILE` needs nothing else.
#pragma once

#include "accuracy/evaluator.h"
#include "qat/train_options.h"
#include "workload/layer.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace bitloop::qat
{

// Which images train, which decide (the validation split carved from the training set with a fixed seed)
// and which only report final figures (the test set).
struct DataSplit {
    std::string dataset = "fashion-mnist"; // a loadDataset spec
    double validationFraction = 0.1;
    uint64_t seed = 1;
    // > 0: only the first N images of that part (small, fixed slices for quick runs and CI).
    int64_t trainLimit = 0, validationLimit = 0, testLimit = 0;

    std::string describe() const; // canonical, one line
};

struct CheckpointInfo {
    Network network; // the accuracy side's layer list, at the dataset's resolution
    int64_t imageHeight = 0, imageWidth = 0, imageChannels = 0; // the dataset's images, as trained on
    DataSplit split;
    Normalization normalization;
    TrainOptions training; // how the baseline was trained (normalization aside)
    double validationAccuracy = -1.0, testAccuracy = -1.0; // the float baseline's; -1 = not measured
    double trainSeconds = 0.0;
};
std::string checkpointInfoToYaml(const CheckpointInfo &info);
CheckpointInfo parseCheckpointInfo(const std::string &yaml, const std::string &file);
// InputError naming the file when it is missing, unreadable, or not written by trainBaseline.
CheckpointInfo readCheckpointInfo(const std::string &path);

struct BaselineResult {
    TrainResult train;
    CheckpointInfo info; // as written to the checkpoint
};

// Trains the float network on the split of `train` (the training set of split.dataset, already loaded;
// TrainOptions' normalization is computed from the training part when empty), measures validation
// accuracy and test accuracy on `test`, and writes the checkpoint atomically. A cancelled run writes
// nothing. Images that do not fit the network (channels, classes) are InputErrors naming the dataset.
BaselineResult trainBaseline(const Network &network, const DataSplit &split, const ImageDataset &train,
                             const ImageDataset &test, const TrainOptions &options,
                             const std::string &checkpoint,
                             const std::function<void(const TrainProgress &)> &progress = {},
                             const std::atomic<bool> *cancel = nullptr);

struct EvaluatorOptions {
    EvaluatorSettings settings;
    bool onTestSet = false; // measure on the test set instead of the validation split (final figures)
    int threads = 1;
    // Overrides of the checkpoint's split: another location of the same dataset, or other slice sizes.
    std::string dataset;                           // empty: the checkpoint's
    int64_t trainLimit = -1, evaluationLimit = -1; // -1: the checkpoint's
};

// An evaluator on a checkpoint written by trainBaseline: each evaluation starts from the float weights,
// sets the bits, calibrates the activation steps, fine-tunes (qat-short, qat) and measures top-1 accuracy.
std::unique_ptr<AccuracyEvaluator> openEvaluator(const std::string &checkpoint,
                                                 const EvaluatorOptions &options);

} // namespace bitloop::qat
