// The QAT engine as the CLI, the search and the GUI drive it, with no LibTorch in sight: train a float
// baseline into a checkpoint that records how it was made, and open accuracy evaluators on it.
//
// A checkpoint written here carries, next to the weights, a CheckpointInfo (YAML text in the archive):
// the network's layer list, the dataset and its split, the input normalization and the baseline's
// figures, so that `bitloop-cli accuracy --checkpoint FILE` needs nothing else.
#pragma once

#include "accuracy/evaluator.h"
#include "qat/supernet_sampling.h"
#include "qat/train_options.h"
#include "workload/layer.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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
    std::string importedFrom; // the ONNX file the weights came from (`import`); empty when trained here
};
std::string checkpointInfoToYaml(const CheckpointInfo &info);
CheckpointInfo parseCheckpointInfo(const std::string &yaml, const std::string &file);
// InputError naming the file when it is missing, unreadable, or not written by trainBaseline.
CheckpointInfo readCheckpointInfo(const std::string &path);

struct BaselineResult {
    TrainResult train;
    CheckpointInfo info; // as written to the checkpoint
    // importBaseline of a quantized graph: its widths ("W/A" per layer) and top-1 as it computes, quantized.
    bool quantized = false;
    std::string widths;
    double quantizedValidationAccuracy = -1.0, quantizedTestAccuracy = -1.0;
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

// A float checkpoint from an ONNX file's weights instead of training (bitloop-cli import): the network
// must be a chain the QAT engine builds (Network::chainNote) and its input must be the dataset's images;
// normalization empty: the training part's, as trainBaseline computes it. Measures validation and test
// accuracy as trainBaseline does and writes the checkpoint atomically.
BaselineResult importBaseline(const std::string &onnxPath, const DataSplit &split, const ImageDataset &train,
                              const ImageDataset &test, const Normalization &normalization, int threads,
                              const std::string &checkpoint);

struct EvaluatorOptions {
    EvaluatorSettings settings;
    bool onTestSet = false; // measure on the test set instead of the validation split (final figures)
    int threads = 1;
    // Overrides of the checkpoint's split: another location of the same dataset, or other slice sizes.
    std::string dataset;                           // empty: the checkpoint's
    int64_t trainLimit = -1, evaluationLimit = -1; // -1: the checkpoint's
    std::string supernet; // the supernet evaluator's file; empty: defaultSupernetPath(checkpoint)
    // qat-short, qat: not empty: the fine-tuning keeps a resumable state in this directory every
    // stateEvery steps and when cancelled (TrainStateFile, qat/train.h), named by the accuracy cache's key,
    // so that an interrupted evaluation of the same configuration continues where it stopped. The answer
    // is the uninterrupted one's to the last bit, so neither is part of the key.
    std::string trainingStateDir;
    int64_t stateEvery = 500;
    std::function<void(const std::string &)> warn; // unusable states; empty: "warning: ..." on stderr
};

// An evaluator on a checkpoint written by trainBaseline: each evaluation starts from the float weights,
// sets the bits, calibrates the activation steps, fine-tunes (qat-short, qat; distilled from the float
// checkpoint unless settings.distill is off) and measures top-1 accuracy. The supernet evaluator instead
// sets the bits of a supernet trained from this checkpoint (trainSupernet), re-estimates BatchNorm and
// measures; a supernet of another checkpoint or network, or bits it was not trained for, are InputErrors
// naming the supernet's file.
std::unique_ptr<AccuracyEvaluator> openEvaluator(const std::string &checkpoint,
                                                 const EvaluatorOptions &options);

// ---- The one-shot mixed-precision supernet (qat/supernet.h has the method) ----

struct SupernetOptions {
    std::vector<int> allowedBits{2, 3, 4, 5, 6, 7, 8}; // every layer's weights and activations
    // 8 epochs with per-layer+narrow sampling is the first training that meets every fidelity target
    // against a single 4-epoch qat run (mean |difference| 0.32 points, p90 0.93, Kendall tau 0.885 over
    // 24 configurations; 4 epochs: 0.56 / 1.00 / 0.858; benchmarks §9, thirty-third session).
    int epochs = 8;
    int64_t steps = 0; // > 0: exactly this many steps instead of epochs
    int batchSize = 64;
    double lr = 0.01;      // SGD with momentum 0.9, cosine schedule from lr
    int randomConfigs = 2; // per step, besides the widest and the narrowest (the sandwich rule)
    // How those are drawn; per-layer+narrow beat per-layer at 4 and at 8 epochs on all three fidelity
    // measures (benchmarks §9). Files before 2026-12-05 record no sampling: they drew per layer.
    SupernetSampling sampling = SupernetSampling::PerLayerAndNarrow;
    bool floatTeacher = true; // distil every configuration from the float checkpoint; off: the narrower
                              // ones from the widest of the same step (in-place distillation)
    double temperature = 2.0, distillWeight = 0.5; // as EvaluatorSettings'
    WeightScale weightScale = WeightScale::Max;    // as EvaluatorSettings'; older files: Max
    bool quantizePixels = true;                    // as EvaluatorSettings'; older files: false
    int calibrationBatches = 4;                    // batches that initialise each width's activation steps
    // Each width's activation steps start at the step of least squared error (Calibration::Mse), as qat's
    // do, instead of LSQ's 2 mean|x| / sqrt(qp): against the MSE-step qat, mean |difference| 1.13 points
    // instead of 2.24, p90 1.67 instead of 8.41 (docs/benchmarks.md §9, sixteenth session). Older files: off.
    bool activationMse = true;
    uint64_t seed = 1;
    int threads = 2;
    int64_t trainLimit = -1;       // -1: the checkpoint's training split as it is
    std::string dataset;           // empty: the checkpoint's
    int64_t checkpointEvery = 200; // steps between resumable training states (<out>.state)

    void check() const;           // std::invalid_argument naming the setting
    std::string describe() const; // one canonical line
};

// What a supernet file records beside its tensors.
struct SupernetInfo {
    std::string parentSha256; // the float checkpoint it was trained from
    std::string parentFile;   // where that was (information only)
    Network network;
    SupernetOptions options;
    int64_t steps = 0;
    double trainSeconds = 0;
    // Validation top-1 (BatchNorm re-estimated) of the widest and narrowest uniform configurations.
    double widestAccuracy = -1, narrowestAccuracy = -1;
};
// InputError naming the file when it is missing, unreadable or not a supernet.
SupernetInfo readSupernetInfo(const std::string &path);
std::string supernetInfoToYaml(const SupernetInfo &info);
SupernetInfo parseSupernetInfo(const std::string &yaml, const std::string &file);
// `float.pt` -> `float.supernet.pt`: where train-supernet writes by default and the evaluator looks.
std::string defaultSupernetPath(const std::string &checkpoint);

struct SupernetProgress {
    int64_t step = 0, totalSteps = 0;
    int epoch = 0;
    double loss = 0.0; // the step's summed loss over its configurations
    double lr = 0.0;
    double imagesPerSecond = 0.0; // training images per second (each seen by every configuration)
    std::string phase;            // "calibrate", "train", "evaluate"
};

struct SupernetResult {
    bool cancelled = false;
    bool resumed = false;
    SupernetInfo info;
};

// Trains a supernet from the float checkpoint and writes it to `out` atomically; every
// options.checkpointEvery steps the training state goes to `out + ".state"` (atomically), from which
// `resume` continues exactly; a cancelled run writes nothing else. InputError naming the file at fault.
SupernetResult trainSupernet(const std::string &checkpoint, const std::string &out,
                             const SupernetOptions &options, bool resume,
                             const std::function<void(const SupernetProgress &)> &progress = {},
                             const std::atomic<bool> *cancel = nullptr);

} // namespace bitloop::qat
