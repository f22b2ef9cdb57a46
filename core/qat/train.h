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

#include <torch/optim/optimizer.h>
#include <torch/serialize/input-archive.h>
#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace torch::serialize
{
class InputArchive;
}

namespace bitloop::qat
{

struct Batch {
    torch::Tensor images; // [B, C, H, W] float
    torch::Tensor labels; // [B] int64
};

// Uniform in [0, n) without modulo bias, independent of the standard library's distributions.
uint64_t drawBelow(std::mt19937_64 &rng, uint64_t n);

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
    // Passes over `batches` batches of this epoch as next() would (the augmentation draws included), so
    // that a resumed run sees the batches the uninterrupted one would have.
    void skip(int64_t batches);

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

// Knowledge distillation (Hinton et al. 2015): a teacher, evaluated without gradients on the same batch,
// whose softened outputs the student also matches.
struct Distillation {
    QuantNet *teacher = nullptr; // evaluated in eval mode; typically the float checkpoint (quantize off)
    double temperature = 2.0;
    double weight = 0.5; // of the distillation term; (1 - weight) on the labels' cross-entropy
};
// weight * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - weight) * CE(student, labels),
// each a mean over the batch. The T^2 keeps the distillation gradient's scale independent of T.
torch::Tensor distillationLoss(const torch::Tensor &student, const torch::Tensor &teacher,
                               const torch::Tensor &labels, double temperature, double weight);

// Thrown by trainFloat when the loss stops being finite: the weights are then meaningless, and no accuracy
// may be reported for them.
struct TrainingDiverged : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Where a long fine-tuning keeps a resumable state (qat of 16 or 32 epochs outlives a working session):
// every `every` steps, and when cancelled, the net's tensors, the optimizer's state and the loop's place go
// to `path` (written beside it and renamed). A run that finds a state there for the same `identity` and
// the same schedule continues from it exactly as if it had not stopped (on the same number of threads:
// LibTorch's reductions may round otherwise), and removes it once trained. A
// state that cannot be read, or belongs to other training, is reported through `warn` and not used.
struct TrainStateFile {
    std::string path;
    int64_t every = 500;
    std::string identity; // everything the training depends on, e.g. the accuracy cache's key text
    std::function<void(const std::string &)> warn;
    // Left in place once trained, for a caller that still has work to do with the weights (measuring them)
    // and removes it after: a stop in between then loses nothing.
    bool keepWhenTrained = false;
};

// Trains `net` in place (see the note at the top about float vs. QAT). Calls `progress` (may be empty)
// after every batch; checks `cancel` (may be null) before every batch and returns with cancelled = true
// when it is set. With `distill`, the loss is distillationLoss against its teacher. With `state`, resumable
// (TrainStateFile). Leaves the net in eval mode.
TrainResult trainFloat(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &trainIdx,
                       const std::vector<int64_t> &valIdx, const TrainOptions &options,
                       std::function<void(const TrainProgress &)> progress = {},
                       const std::atomic<bool> *cancel = nullptr, const Distillation *distill = nullptr,
                       const TrainStateFile *state = nullptr);

// The cosine schedule every training loop here uses: lr at step 0, towards 0 after the last step.
double cosineLr(double peak, int64_t step, int64_t totalSteps);

// Images per forward pass when only measuring: 64 keeps a 28x28 layer's activations (64 x 16 channels x
// 784 floats, 3.2 MB) in cache, where 256 did not: 0.71 s instead of 0.92 s for 1,000 validation images of
// MobileNetV1 x0.25 on one thread. Each image's logits do not depend on the batch (the fidelity table's 24
// supernet figures came out identical on the 10,000 test images), so it is not part of any cache key.
constexpr int kEvaluationBatch = 64;

// Top-1 accuracy on `indices` in eval mode under NoGradGuard; restores the net's training mode.
double evaluateAccuracy(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &indices,
                        const Normalization &normalization, int batchSize = kEvaluationBatch);

// Every parameter and buffer of the net (LSQ steps and their calibrated bit-widths included), in
// LibTorch's archive format, written to a temporary file and renamed onto path so that a crash never leaves
// a half-written checkpoint. InputError naming the file when it cannot be written.
// `info` (when not empty) is stored next to the tensors: CheckpointInfo's YAML (qat/session.h).
void saveCheckpoint(QuantNet &net, const std::string &path, const std::string &info = {});
// The info text stored by saveCheckpoint; InputError naming the file when there is none.
std::string readCheckpointInfoText(const std::string &path);
// InputError naming the file when it is missing, unreadable, or does not hold every tensor of this net
// at this net's shape (a checkpoint of another network).
void loadCheckpoint(QuantNet &net, const std::string &path);

// A copy of a module's tensors, to put back after work that changes them: every parameter and buffer
// (an evaluation's starting point, a load that may fail half-way), or the buffers only (BatchNorm's
// trained statistics around a re-estimation). Put back into the module they were taken from, or one
// built the same way (same tensors in the same order).
enum class TensorSet { All, Buffers };
std::vector<torch::Tensor> cloneTensors(torch::nn::Module &module, TensorSet which = TensorSet::All);
void restoreTensors(torch::nn::Module &module, const std::vector<torch::Tensor> &saved,
                    TensorSet which = TensorSet::All);

// The same for any module (a supernet, a training state): its tensors, each checked against the module's
// shapes on loading, named texts beside them and, for training to resume, the optimizer's state. Written
// to temporaryPathFor(path) (util/temp_path.h) and renamed; InputError naming the file when it cannot be.
void saveModuleFile(torch::nn::Module &module, const std::string &path,
                    const std::vector<std::pair<std::string, std::string>> &texts,
                    const torch::optim::Optimizer *optimizer = nullptr);
void loadModuleFile(torch::nn::Module &module, const std::string &path);
// Opens such a file once, into memory, for the readers below: a second process renaming a newer file onto
// the path meanwhile cannot mix two files' contents. InputError naming it when missing or unreadable.
void openModuleArchive(torch::serialize::InputArchive &archive, const std::string &path);
// The same from an archive already open (`file` names it in errors): what was read once is what is loaded.
void loadModuleArchive(torch::nn::Module &module, torch::serialize::InputArchive &archive,
                       const std::string &file);
// The optimizer's state saveModuleFile stored; InputError naming the file when there is none or it is not
// this optimizer's (the optimizer's state is then cleared).
void loadOptimizerArchive(torch::optim::Optimizer &optimizer, torch::serialize::InputArchive &archive,
                          const std::string &file);
// The text stored under `key`; InputError naming the file (and `what` it should have been) when absent.
std::string readArchiveText(torch::serialize::InputArchive &archive, const std::string &file,
                            const std::string &key, const std::string &what);
std::string readModuleFileText(const std::string &path, const std::string &key, const std::string &what);

} // namespace bitloop::qat
