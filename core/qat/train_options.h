// What training is asked to do and what it reports: plain structs, no LibTorch, so that the CLI and the
// GUI can drive training without compiling torch's headers.
#pragma once

#include "qat/data/datasets.h"

#include <cstdint>
#include <vector>

namespace bitloop::qat
{

// Per-channel mean and standard deviation of pixels / 255; an input is (pixel / 255 - mean) / std.
struct Normalization {
    std::vector<double> mean, std;
};
// From the given images (channelMeans / channelStds); a zero deviation is taken as 1.
Normalization normalizationOf(const ImageDataset &data, const std::vector<int64_t> &indices);

// Random crop of the zero-padded image (padding pixels are raw 0, i.e. black, before normalization) and
// random horizontal flip, each drawn per image.
struct Augmentation {
    int cropPadding = 0; // 0: no crop
    bool horizontalFlip = false;
};
// The usual choice for the dataset: padding 4 for 32-pixel images and up, else 2; flips only for colour
// images (CIFAR-like). Handwriting and Fashion-MNIST's garments are upright and left/right-specific
// enough (shoes point one way) that flipping them is off.
Augmentation defaultAugmentation(const ImageDataset &data);

struct TrainOptions {
    int epochs = 1;
    // > 0: train for exactly this many steps (epochs are then as many as it takes, the cosine schedule
    // spans the steps); QAT fine-tuning counts in steps.
    int64_t steps = 0;
    int batchSize = 64;
    double lr = 0.05; // the peak; cosine schedule from lr down to 0 over all steps
    double momentum = 0.9;
    double weightDecay = 5e-5; // on conv / fc weights only, not on BatchNorm, biases or LSQ steps
    // > 0: the gradient's global L2 norm is clipped to this before each step. QAT at 2 bits sees norms
    // near 100 (1-2 at 4 bits and up) and diverged to NaN without it (docs/benchmarks.md §7).
    double maxGradNorm = 0;
    // The learning rate of the LSQ activation steps (parameters named "step") as a multiple of lr. LSQ's
    // gradient scale keeps a step's gradient near 1/sqrt(numel * qp) of a weight's, so over a short
    // fine-tuning the steps barely leave their calibration (within 2% over a 2-epoch qat at 2 bits,
    // docs/benchmarks.md §7). A larger multiple was meant to let them learn in the budget; x10 measured
    // worse and x100 diverged, so 1 stays the default.
    double stepLrScale = 1.0;
    bool adam = false; // Adam (betas 0.9, 0.999) instead of SGD with momentum
    uint64_t seed = 1; // torch::manual_seed and the loader's shuffling / augmentation
    int threads = 1;
    bool augment = false; // defaultAugmentation(data) when on
    // Empty: computed from the training images. Evaluate with the same (TrainResult::normalization).
    Normalization normalization;
};

struct TrainProgress {
    int epoch = 0;     // 0-based
    int64_t batch = 0; // batches done in this epoch (1-based after the first)
    int64_t batchesPerEpoch = 0;
    int64_t step = 0, totalSteps = 0; // steps done so far, and in all
    double lr = 0.0;                  // the learning rate of the step just taken
    double loss = 0.0;                // this batch's mean cross-entropy
    double runningLoss = 0.0;         // mean over this epoch's samples so far
    double runningAccuracy = 0.0;     // training accuracy over this epoch's samples so far
    double samplesPerSecond = 0.0;    // since training started
    int64_t resumedAtStep = 0;        // > 0: this run continues from a training state of that step
};

struct TrainResult {
    bool cancelled = false;
    int64_t steps = 0;                // optimizer steps taken
    int64_t totalSteps = 0;           // the steps the schedule asks for (epochs or steps)
    double firstBatchLoss = 0.0;      // loss of the very first batch (before any update)
    double lastEpochLoss = 0.0;       // mean loss over the last (possibly partial) epoch
    double trainAccuracy = 0.0;       // running accuracy over the last (possibly partial) epoch
    double validationAccuracy = -1.0; // -1 when cancelled or when there is no validation set
    double seconds = 0.0;             // the training loop, without the validation pass (earlier runs' too)
    int64_t resumedAtStep = 0;        // > 0: continued from a training state written at this step
    double secondsBefore = 0.0;       // of `seconds`, what the runs before the resumed one took
    int64_t stateKeptAtStep = 0;      // the step of the newest training state written (or resumed from) in
                                      // this run: what a rerun resumes from after a cancel (0: none)
    double samplesPerSecond = 0.0;
    Normalization normalization; // what the inputs were normalized with
};

} // namespace bitloop::qat
