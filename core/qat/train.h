// Training and evaluating a QuantNet on an ImageDataset: a deterministic batch loader (normalization,
// augmentation, per-epoch shuffling from a fixed seed), SGD/Adam with a cosine schedule, progress and
// cancellation between batches, accuracy under eval mode, and checkpoints.
//
// Float baseline and QAT are the same loop: trainFloat trains whatever function the net computes, so
// with net.quantize = false (or every layer at 16/32 bits) it trains the float model, and with
// net.quantize = true and bits set by QuantNet::setBits it is quantization-aware training (fake-quantized
// forward, straight-through gradients, LSQ steps learned alongside the weights). Calibrate the
// activation steps before QAT (startCalibration / a few forward passes / stopCalibration), or each
// quantizer calibrates itself on the first batch it sees.
#pragma once

#include "qat/data/datasets.h"
#include "qat/quant_net.h"

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
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

struct Batch {
    torch::Tensor images; // [B, C, H, W] float
    torch::Tensor labels; // [B] int64
};

// Batches over `indices` of `data`, in order or, with shuffle, in a new order each epoch. Every random
// choice (order, crop offsets, flips) comes from std::mt19937_64 seeded with `seed` and an unbiased draw
// of our own, so a run is reproducible with any standard library. The last batch may be smaller.
class BatchLoader
{
public:
    BatchLoader(const ImageDataset &data, std::vector<int64_t> indices, Normalization normalization,
                int batchSize, bool shuffle = false, uint64_t seed = 0, Augmentation augmentation = {});

    int64_t size() const { return static_cast<int64_t>(indices_.size()); }
    int64_t batchesPerEpoch() const;
    // Rewinds to the start of the next epoch (reshuffling when shuffling).
    void startEpoch();
    // The next batch of this epoch; false when the epoch is over.
    bool next(Batch &batch);

private:
    const ImageDataset &data_;
    std::vector<int64_t> indices_;
    Normalization norm_;
    int batchSize_;
    bool shuffle_;
    Augmentation aug_;
    std::mt19937_64 orderRng_, augRng_;
    int64_t pos_ = 0;
};

struct TrainOptions {
    int epochs = 1;
    int batchSize = 64;
    double lr = 0.05; // the peak; cosine schedule from lr down to 0 over all steps
    double momentum = 0.9;
    double weightDecay = 5e-5; // on conv / fc weights only, not on BatchNorm, biases or LSQ steps
    bool adam = false;         // Adam (betas 0.9, 0.999) instead of SGD with momentum
    uint64_t seed = 1;         // torch::manual_seed and the loader's shuffling / augmentation
    int threads = 1;
    bool augment = false; // defaultAugmentation(data) when on
    // Empty: computed from the training images. Evaluate with the same (TrainResult::normalization).
    Normalization normalization;
};

struct TrainProgress {
    int epoch = 0;                 // 0-based
    int64_t batch = 0;             // batches done in this epoch (1-based after the first)
    int64_t batchesPerEpoch = 0;
    int64_t step = 0, totalSteps = 0; // steps done so far, and in all
    double lr = 0.0;              // the learning rate of the step just taken
    double loss = 0.0;            // this batch's mean cross-entropy
    double runningLoss = 0.0;     // mean over this epoch's samples so far
    double runningAccuracy = 0.0; // training accuracy over this epoch's samples so far
    double samplesPerSecond = 0.0; // since training started
};

struct TrainResult {
    bool cancelled = false;
    int64_t steps = 0;           // optimizer steps taken
    double firstBatchLoss = 0.0; // loss of the very first batch (before any update)
    double lastEpochLoss = 0.0;  // mean loss over the last (possibly partial) epoch
    double trainAccuracy = 0.0;  // running accuracy over the last (possibly partial) epoch
    double validationAccuracy = -1.0; // -1 when cancelled or when there is no validation set
    double seconds = 0.0;             // the training loop, without the validation pass
    double samplesPerSecond = 0.0;
    Normalization normalization; // what the inputs were normalized with
};

// Trains `net` in place (see the note at the top about float vs. QAT). Calls `progress` (may be empty)
// after every batch; checks `cancel` (may be null) before every batch and returns with cancelled = true
// when it is set. Leaves the net in eval mode.
TrainResult trainFloat(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &trainIdx,
                       const std::vector<int64_t> &valIdx, const TrainOptions &options,
                       std::function<void(const TrainProgress &)> progress = {},
                       const std::atomic<bool> *cancel = nullptr);

// Top-1 accuracy on `indices` in eval mode under NoGradGuard; restores the net's training mode.
double evaluateAccuracy(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &indices,
                        const Normalization &normalization, int batchSize = 256);

// Every parameter and buffer of the net (LSQ steps and their calibrated bit-widths included), in
// LibTorch's archive format, written to path + ".tmp" and renamed onto path so that a crash never leaves
// a half-written checkpoint. InputError naming the file when it cannot be written.
void saveCheckpoint(QuantNet &net, const std::string &path);
// InputError naming the file when it is missing, unreadable, or does not hold every tensor of this net
// at this net's shape (a checkpoint of another network).
void loadCheckpoint(QuantNet &net, const std::string &path);

} // namespace bitloop::qat
