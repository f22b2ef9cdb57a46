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

#include "qat/quant_net.h"
#include "qat/train_options.h"

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace bitloop::qat
{

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
// `info` (when not empty) is stored next to the tensors: CheckpointInfo's YAML (qat/session.h).
void saveCheckpoint(QuantNet &net, const std::string &path, const std::string &info = {});
// The info text stored by saveCheckpoint; InputError naming the file when there is none.
std::string readCheckpointInfoText(const std::string &path);
// InputError naming the file when it is missing, unreadable, or does not hold every tensor of this net
// at this net's shape (a checkpoint of another network).
void loadCheckpoint(QuantNet &net, const std::string &path);

} // namespace bitloop::qat
