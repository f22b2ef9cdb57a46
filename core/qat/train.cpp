#include "qat/train.h"

#include "qat/threads.h"
#include "qat/train_state.h"
#include "util/error.h"
#include "util/temp_path.h"
#include "util/zip_check.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <system_error>

namespace bitloop::qat
{

namespace
{

// Where saveCheckpoint keeps the checkpoint's info text.
constexpr const char *kInfoKey = "bitloop_info";
constexpr const char *kOptimizerKey = "optimizer"; // training states: the optimizer's own archive

constexpr double kPi = 3.14159265358979323846;

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

// Uniform in [0, n) without modulo bias, independent of the standard library's distributions.
uint64_t drawBelow(std::mt19937_64 &rng, uint64_t n)
{
    const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
    uint64_t r;
    do {
        r = rng();
    } while (r >= limit);
    return r % n;
}

Normalization normalizationOf(const ImageDataset &data, const std::vector<int64_t> &indices)
{
    Normalization n{channelMeans(data, indices), channelStds(data, indices)};
    for (double &s : n.std)
        if (!(s > 0.0))
            s = 1.0;
    return n;
}

Augmentation defaultAugmentation(const ImageDataset &data)
{
    Augmentation a;
    a.cropPadding = std::min(data.height, data.width) >= 32 ? 4 : 2;
    a.horizontalFlip = data.channels == 3;
    return a;
}

BatchLoader::BatchLoader(const ImageDataset &data, std::vector<int64_t> indices, Normalization normalization,
                         int batchSize, bool shuffle, uint64_t seed, Augmentation augmentation)
    : data_(data), indices_(std::move(indices)), norm_(std::move(normalization)), batchSize_(batchSize),
      shuffle_(shuffle), aug_(augmentation), orderRng_(seed),
      // A stream of its own, so that turning augmentation on or off leaves the batch order alone.
      augRng_(seed ^ 0x9e3779b97f4a7c15ULL)
{
    if (batchSize < 1)
        throw std::invalid_argument("batch size must be at least 1, got " + std::to_string(batchSize));
    if (static_cast<int64_t>(norm_.mean.size()) != data.channels ||
        static_cast<int64_t>(norm_.std.size()) != data.channels)
        throw std::invalid_argument("normalization: expected " + std::to_string(data.channels) +
                                    " channel means and deviations, got " +
                                    std::to_string(norm_.mean.size()) + " and " +
                                    std::to_string(norm_.std.size()));
    if (aug_.cropPadding < 0)
        throw std::invalid_argument("crop padding must not be negative");
    for (int64_t i : indices_)
        if (i < 0 || i >= data.count)
            throw std::out_of_range("image index " + std::to_string(i) + " outside " + data.source + " (" +
                                    std::to_string(data.count) + " images)");
}

int64_t BatchLoader::batchesPerEpoch() const
{
    return (size() + batchSize_ - 1) / batchSize_;
}

void BatchLoader::startEpoch()
{
    pos_ = 0;
    if (!shuffle_)
        return;
    for (size_t i = indices_.size(); i > 1; --i)
        std::swap(indices_[i - 1], indices_[drawBelow(orderRng_, i)]);
}

bool BatchLoader::next(Batch &batch)
{
    if (pos_ >= size())
        return false;
    const int64_t b = std::min<int64_t>(batchSize_, size() - pos_);
    const int64_t c = data_.channels, h = data_.height, w = data_.width;
    batch.images = torch::empty({b, c, h, w}, torch::kFloat32);
    batch.labels = torch::empty({b}, torch::kInt64);
    float *out = batch.images.data_ptr<float>();
    int64_t *lab = batch.labels.data_ptr<int64_t>();
    std::vector<float> scale(static_cast<size_t>(c)), shift(static_cast<size_t>(c));
    for (int64_t ch = 0; ch < c; ++ch) {
        scale[ch] = static_cast<float>(1.0 / (255.0 * norm_.std[ch]));
        shift[ch] = static_cast<float>(-norm_.mean[ch] / norm_.std[ch]);
    }
    const int64_t pad = aug_.cropPadding;
    for (int64_t k = 0; k < b; ++k) {
        const int64_t idx = indices_[static_cast<size_t>(pos_ + k)];
        lab[k] = data_.labels[static_cast<size_t>(idx)];
        const uint8_t *src = data_.image(idx);
        // Output pixel (y, x) reads source pixel (y + dy, x + dx), zero (black) outside the image.
        int64_t dy = 0, dx = 0;
        if (pad > 0) {
            dy = static_cast<int64_t>(drawBelow(augRng_, static_cast<uint64_t>(2 * pad + 1))) - pad;
            dx = static_cast<int64_t>(drawBelow(augRng_, static_cast<uint64_t>(2 * pad + 1))) - pad;
        }
        const bool flip = aug_.horizontalFlip && drawBelow(augRng_, 2) == 1;
        float *dst = out + k * c * h * w;
        for (int64_t ch = 0; ch < c; ++ch) {
            const uint8_t *plane = src + ch * h * w;
            for (int64_t y = 0; y < h; ++y) {
                const int64_t sy = y + dy;
                for (int64_t x = 0; x < w; ++x) {
                    const int64_t sx = (flip ? w - 1 - x : x) + dx;
                    const float p = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? plane[sy * w + sx] : 0.0f;
                    dst[(ch * h + y) * w + x] = p * scale[ch] + shift[ch];
                }
            }
        }
    }
    pos_ += b;
    return true;
}

void BatchLoader::skip(int64_t batches)
{
    if (aug_.cropPadding > 0 || aug_.horizontalFlip) { // the draws must be made as next() makes them
        Batch unused;
        for (int64_t b = 0; b < batches && next(unused); ++b) {
        }
        return;
    }
    pos_ = std::min(size(), pos_ + batches * batchSize_);
}

double cosineLr(double peak, int64_t step, int64_t totalSteps)
{
    return 0.5 * peak * (1.0 + std::cos(kPi * static_cast<double>(step) / static_cast<double>(totalSteps)));
}

torch::Tensor distillationLoss(const torch::Tensor &student, const torch::Tensor &teacher,
                               const torch::Tensor &labels, double temperature, double weight)
{
    const torch::Tensor logPs = torch::log_softmax(student / temperature, 1);
    const torch::Tensor logPt = torch::log_softmax(teacher.detach() / temperature, 1);
    const torch::Tensor kl = (logPt.exp() * (logPt - logPs)).sum(1).mean();
    torch::Tensor loss = kl * (weight * temperature * temperature);
    if (weight < 1.0)
        loss = loss + (1.0 - weight) * torch::nn::functional::cross_entropy(student, labels);
    return loss;
}

TrainResult trainFloat(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &trainIdx,
                       const std::vector<int64_t> &valIdx, const TrainOptions &options,
                       std::function<void(const TrainProgress &)> progress, const std::atomic<bool> *cancel,
                       const Distillation *distill, const TrainStateFile *state)
{
    if (distill && !distill->teacher)
        throw std::invalid_argument("distillation without a teacher");
    if (distill)
        distill->teacher->eval();
    if (options.steps <= 0 && options.epochs < 1)
        throw std::invalid_argument("epochs must be at least 1, got " + std::to_string(options.epochs));
    if (trainIdx.empty())
        throw std::invalid_argument("no training images");
    setThreads(options.threads);
    torch::manual_seed(options.seed);

    TrainResult result;
    result.normalization =
        options.normalization.mean.empty() ? normalizationOf(data, trainIdx) : options.normalization;
    BatchLoader loader(data, trainIdx, result.normalization, options.batchSize, true, options.seed,
                       options.augment ? defaultAugmentation(data) : Augmentation{});

    // Weight decay on conv / fc weights only: decaying BatchNorm's affine parameters, biases or LSQ
    // steps pulls them towards values that mean nothing (a step of zero, a gamma of zero).
    std::vector<torch::Tensor> decayed, undecayed, steps;
    for (const auto &p : net.named_parameters()) {
        const std::string &name = p.key();
        const bool isStep =
            options.stepLrScale != 1.0 && name.size() >= 4 && name.compare(name.size() - 4, 4, "step") == 0;
        (isStep ? steps : p.value().dim() > 1 ? decayed : undecayed).push_back(p.value());
    }
    // Each group's lr as a multiple of the schedule's, in the order the groups are added.
    std::vector<double> lrScale;
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (options.adam) {
        std::vector<torch::optim::OptimizerParamGroup> groups;
        for (auto *g : {&decayed, &undecayed, &steps}) {
            if (g->empty())
                continue;
            groups.emplace_back(*g, std::make_unique<torch::optim::AdamOptions>(
                                        torch::optim::AdamOptions(options.lr)
                                            .weight_decay(g == &decayed ? options.weightDecay : 0.0)));
            lrScale.push_back(g == &steps ? options.stepLrScale : 1.0);
        }
        optimizer =
            std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(options.lr));
    } else {
        std::vector<torch::optim::OptimizerParamGroup> groups;
        for (auto *g : {&decayed, &undecayed, &steps}) {
            if (g->empty())
                continue;
            groups.emplace_back(*g, std::make_unique<torch::optim::SGDOptions>(
                                        torch::optim::SGDOptions(options.lr)
                                            .momentum(options.momentum)
                                            .weight_decay(g == &decayed ? options.weightDecay : 0.0)));
            lrScale.push_back(g == &steps ? options.stepLrScale : 1.0);
        }
        optimizer = std::make_unique<torch::optim::SGD>(
            std::move(groups), torch::optim::SGDOptions(options.lr).momentum(options.momentum));
    }

    TrainProgress p;
    p.batchesPerEpoch = loader.batchesPerEpoch();
    result.totalSteps = p.totalSteps = options.steps > 0 ? options.steps : p.batchesPerEpoch * options.epochs;
    TrainPlace place; // where an earlier run stopped, when resuming
    place.totalSteps = p.totalSteps;
    place.batchesPerEpoch = p.batchesPerEpoch;
    bool keepState = state != nullptr; // off after a state could not be written: warned once, not per step
    if (state && loadTrainState(*state, net, *optimizer, place)) {
        p.step = place.step;
        result.resumedAtStep = p.resumedAtStep = result.stateKeptAtStep = place.step;
        result.secondsBefore = place.seconds;
        result.firstBatchLoss = place.firstBatchLoss;
    }
    // The epochs before the resumed one, then the resumed one's batches already taken, as they were drawn.
    const int firstEpoch = static_cast<int>(p.step / p.batchesPerEpoch);
    for (int e = 0; e < firstEpoch; ++e) {
        loader.startEpoch();
        loader.skip(p.batchesPerEpoch);
    }
    const auto t0 = Clock::now();
    int64_t samplesSeen = 0;
    net.train();
    for (int epoch = firstEpoch; p.step < p.totalSteps && !result.cancelled; ++epoch) {
        loader.startEpoch();
        p.epoch = epoch;
        p.batch = 0;
        double lossSum = 0.0;
        int64_t correct = 0, seen = 0;
        if (epoch == firstEpoch && p.step % p.batchesPerEpoch > 0) { // resumed within this epoch
            p.batch = p.step % p.batchesPerEpoch;
            loader.skip(p.batch);
            lossSum = place.epochLossSum;
            correct = place.epochCorrect;
            seen = place.epochSeen;
        }
        // What a state written now records; the training seconds of this run are added when written.
        auto placeNow = [&] {
            TrainPlace now = place;
            now.step = p.step;
            now.epochLossSum = lossSum;
            now.epochCorrect = correct;
            now.epochSeen = seen;
            now.firstBatchLoss = result.firstBatchLoss;
            now.seconds = result.secondsBefore + secondsSince(t0);
            return now;
        };
        Batch batch;
        while (true) {
            if (cancel && cancel->load()) {
                result.cancelled = true;
                if (keepState && p.step > 0 && p.step < p.totalSteps && // what was trained is not lost
                    saveTrainState(*state, net, *optimizer, placeNow()))
                    result.stateKeptAtStep = p.step;
                break;
            }
            if (p.step == p.totalSteps || !loader.next(batch))
                break;
            // Cosine annealing from lr (first step) towards 0 (after the last step).
            const double lr = cosineLr(options.lr, p.step, p.totalSteps);
            for (size_t g = 0; g < optimizer->param_groups().size(); ++g)
                optimizer->param_groups()[g].options().set_lr(lr * lrScale[g]);

            optimizer->zero_grad();
            const torch::Tensor logits = net.forward(batch.images);
            torch::Tensor loss;
            if (distill) {
                torch::Tensor teacherLogits;
                {
                    torch::NoGradGuard noGrad;
                    teacherLogits = distill->teacher->forward(batch.images);
                }
                loss = distillationLoss(logits, teacherLogits, batch.labels, distill->temperature,
                                        distill->weight);
            } else {
                loss = torch::nn::functional::cross_entropy(logits, batch.labels);
            }
            loss.backward();
            // A loss that is not finite has poisoned the weights: stop, rather than report the accuracy
            // of a broken network as the configuration's.
            const double lossValue = loss.item<double>();
            if (!std::isfinite(lossValue))
                throw TrainingDiverged("training diverged: the loss is " + std::to_string(lossValue) +
                                       " at step " + std::to_string(p.step + 1) + " of " +
                                       std::to_string(p.totalSteps));
            if (options.maxGradNorm > 0)
                torch::nn::utils::clip_grad_norm_(net.parameters(), options.maxGradNorm);
            optimizer->step();

            const int64_t b = batch.labels.size(0);
            const double batchLoss = lossValue;
            if (p.step == 0)
                result.firstBatchLoss = batchLoss;
            lossSum += batchLoss * static_cast<double>(b);
            correct += logits.detach().argmax(1).eq(batch.labels).sum().item<int64_t>();
            seen += b;
            samplesSeen += b;
            ++p.step;
            ++p.batch;
            p.lr = lr;
            p.loss = batchLoss;
            p.runningLoss = lossSum / static_cast<double>(seen);
            p.runningAccuracy = static_cast<double>(correct) / static_cast<double>(seen);
            p.samplesPerSecond = static_cast<double>(samplesSeen) / std::max(secondsSince(t0), 1e-9);
            if (keepState && state->every > 0 && p.step % state->every == 0 && p.step < p.totalSteps) {
                keepState = saveTrainState(*state, net, *optimizer, placeNow());
                if (keepState)
                    result.stateKeptAtStep = p.step;
            }
            if (progress)
                progress(p);
        }
        if (seen > 0) {
            result.lastEpochLoss = lossSum / static_cast<double>(seen);
            result.trainAccuracy = static_cast<double>(correct) / static_cast<double>(seen);
        }
    }
    result.steps = p.step;
    const double secondsNow = secondsSince(t0);
    result.seconds = result.secondsBefore + secondsNow;
    result.samplesPerSecond = static_cast<double>(samplesSeen) / std::max(secondsNow, 1e-9);
    if (state && !result.cancelled && !state->keepWhenTrained) { // trained to the end: nothing to resume
        std::error_code ec;
        std::filesystem::remove(state->path, ec);
    }
    if (!result.cancelled && !valIdx.empty())
        result.validationAccuracy = evaluateAccuracy(net, data, valIdx, result.normalization);
    net.eval();
    return result;
}

double evaluateAccuracy(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &indices,
                        const Normalization &normalization, int batchSize)
{
    if (indices.empty())
        throw std::invalid_argument("no images to evaluate on");
    const bool wasTraining = net.is_training();
    torch::NoGradGuard noGrad;
    net.eval();
    BatchLoader loader(data, indices, normalization, batchSize);
    loader.startEpoch();
    Batch batch;
    int64_t correct = 0;
    while (loader.next(batch))
        correct += net.forward(batch.images).argmax(1).eq(batch.labels).sum().item<int64_t>();
    net.train(wasTraining);
    return static_cast<double>(correct) / static_cast<double>(indices.size());
}

std::vector<torch::Tensor> cloneTensors(torch::nn::Module &module, TensorSet which)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> out;
    if (which == TensorSet::All)
        for (const auto &t : module.parameters())
            out.push_back(t.detach().clone());
    for (const auto &t : module.buffers())
        out.push_back(t.detach().clone());
    return out;
}

void restoreTensors(torch::nn::Module &module, const std::vector<torch::Tensor> &saved, TensorSet which)
{
    torch::NoGradGuard noGrad;
    size_t i = 0;
    if (which == TensorSet::All)
        for (auto &t : module.parameters())
            t.copy_(saved.at(i++));
    for (auto &t : module.buffers())
        t.copy_(saved.at(i++));
}

void saveModuleFile(torch::nn::Module &module, const std::string &path,
                    const std::vector<std::pair<std::string, std::string>> &texts,
                    const torch::optim::Optimizer *optimizer)
{
    const std::string tmp = temporaryPathFor(path);
    std::error_code ec;
    try {
        torch::serialize::OutputArchive archive;
        module.save(archive);
        for (const auto &[key, text] : texts)
            archive.write(key, c10::IValue(text));
        if (optimizer) {
            torch::serialize::OutputArchive optimizerArchive;
            optimizer->save(optimizerArchive);
            archive.write(kOptimizerKey, optimizerArchive);
        }
        archive.save_to(tmp);
    } catch (const c10::Error &e) {
        std::filesystem::remove(tmp, ec);
        throw InputError(path, 0, std::string("cannot write the file: ") + e.what_without_backtrace());
    } catch (const std::exception &e) {
        std::filesystem::remove(tmp, ec);
        throw InputError(path, 0, std::string("cannot write the file: ") + e.what());
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        const std::string why = ec.message();
        std::filesystem::remove(tmp, ec);
        throw InputError(path, 0, "cannot move " + tmp + " onto it: " + why);
    }
    removeStaleTemporaries(path);
}

void saveCheckpoint(QuantNet &net, const std::string &path, const std::string &info)
{
    std::vector<std::pair<std::string, std::string>> texts;
    if (!info.empty())
        texts.emplace_back(kInfoKey, info);
    saveModuleFile(net, path, texts);
}

namespace
{

// Module::load would accept a tensor of another shape (it re-points the parameter at whatever it reads),
// so a checkpoint of another network would load silently: read each tensor and check it instead.
void loadModule(torch::nn::Module &module, torch::serialize::InputArchive &archive, const std::string &prefix,
                const std::string &file)
{
    torch::NoGradGuard noGrad;
    auto readInto = [&](const std::string &name, torch::Tensor &target, bool isBuffer) {
        torch::Tensor t;
        if (!archive.try_read(name, t, isBuffer))
            throw InputError(file, 0,
                             "not a checkpoint of this network: no " +
                                 std::string(isBuffer ? "buffer" : "tensor") + " '" + prefix + name + "'");
        if (t.sizes() != target.sizes())
            throw InputError(file, 0,
                             "not a checkpoint of this network: '" + prefix + name + "' has shape " +
                                 c10::str(t.sizes()) + ", expected " + c10::str(target.sizes()));
        target.copy_(t);
    };
    for (auto &item : module.named_parameters(/*recurse=*/false))
        readInto(item.key(), item.value(), false);
    for (auto &item : module.named_buffers(/*recurse=*/false))
        readInto(item.key(), item.value(), true);
    for (auto &child : module.named_children()) {
        torch::serialize::InputArchive childArchive;
        if (!archive.try_read(child.key(), childArchive))
            throw InputError(file, 0,
                             "not a checkpoint of this network: no module '" + prefix + child.key() + "'");
        loadModule(*child.value(), childArchive, prefix + child.key() + ".", file);
    }
}

} // namespace

void openModuleArchive(torch::serialize::InputArchive &archive, const std::string &path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw InputError(path, 0,
                         std::filesystem::exists(path, ec)
                             ? "not a regular file: a checkpoint is the file bitloop-cli train writes"
                             : "checkpoint file not found");
    checkStoredZipEntries(path); // LibTorch does not compare the entries' checksums
    try {
        archive.load_from(path);
    } catch (const c10::Error &e) {
        throw InputError(path, 0,
                         std::string("not a readable LibTorch checkpoint: ") + e.what_without_backtrace());
    } catch (const std::exception &e) {
        throw InputError(path, 0, std::string("not a readable LibTorch checkpoint: ") + e.what());
    }
}

std::string readArchiveText(torch::serialize::InputArchive &archive, const std::string &file,
                            const std::string &key, const std::string &what)
{
    c10::IValue value;
    if (!archive.try_read(key, value) || !value.isString())
        throw InputError(file, 0, what);
    return value.toStringRef();
}

void loadOptimizerArchive(torch::optim::Optimizer &optimizer, torch::serialize::InputArchive &archive,
                          const std::string &file)
{
    torch::serialize::InputArchive optimizerArchive;
    try {
        if (!archive.try_read(kOptimizerKey, optimizerArchive))
            throw InputError(file, 0, "no optimizer state in it");
        optimizer.load(optimizerArchive);
    } catch (const c10::Error &e) {
        optimizer.state().clear();
        throw InputError(file, 0, std::string("a damaged optimizer state: ") + e.what_without_backtrace());
    } catch (...) {
        optimizer.state().clear();
        throw;
    }
}

std::string readModuleFileText(const std::string &path, const std::string &key, const std::string &what)
{
    torch::serialize::InputArchive archive;
    openModuleArchive(archive, path);
    return readArchiveText(archive, path, key, what);
}

std::string readCheckpointInfoText(const std::string &path)
{
    return readModuleFileText(path, kInfoKey,
                              "this checkpoint does not say which network and dataset it belongs to (it was "
                              "not written by `bitloop-cli train`)");
}

void loadModuleFile(torch::nn::Module &module, const std::string &path)
{
    torch::serialize::InputArchive archive;
    openModuleArchive(archive, path);
    try {
        loadModule(module, archive, "", path);
    } catch (const c10::Error &e) {
        throw InputError(path, 0,
                         std::string("not a checkpoint of this network: ") + e.what_without_backtrace());
    }
}

void loadModuleArchive(torch::nn::Module &module, torch::serialize::InputArchive &archive,
                       const std::string &file)
{
    try {
        loadModule(module, archive, "", file);
    } catch (const c10::Error &e) {
        throw InputError(file, 0,
                         std::string("not a checkpoint of this network: ") + e.what_without_backtrace());
    }
}

void loadCheckpoint(QuantNet &net, const std::string &path)
{
    loadModuleFile(net, path);
}

} // namespace bitloop::qat
