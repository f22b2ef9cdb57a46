// The one-shot mixed-precision supernet: one set of weights trained over every per-layer assignment of the
// allowed bit-widths (BatchQuant, Bai et al. 2021; EQ-Net, Xu et al. 2023), so that the accuracy of any
// configuration is measured without training it.
//
// - Weights are shared by all widths: their quantization scale follows the weights per output channel at
//   any width, so nothing width-specific needs learning there.
// - Activation steps are not shared: an LSQ step right for 8 bits is about 1/40 of what 2 bits need, so
//   each layer keeps one learned step per allowed width (a [layers x widths] table) and a configuration
//   binds the step of its width into each layer's quantizer (ActQuantizer::bindStep).
// - BatchNorm statistics depend on the whole configuration (every earlier layer's quantization noise
//   shifts them), so the evaluator re-estimates them per candidate on fixed training images; the
//   measurement that chose this over keeping the trained (mixed) statistics is in docs/benchmarks.md §8.
// - Training follows the sandwich rule (Yu & Huang 2019): each step runs the widest configuration, the
//   narrowest and a few random per-layer ones on the same batch, sums their gradients and takes one step.
//   Every configuration is distilled from the float checkpoint (or, in-place, the narrower ones from the
//   widest of the same step).
#include "io/network_yaml.h"
#include "qat/evaluation_data.h"
#include "qat/onnx_export.h"
#include "qat/session.h"
#include "qat/supernet_start.h"
#include "qat/threads.h"
#include "qat/train.h"
#include "util/error.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <sstream>

namespace bitloop::qat
{

namespace
{

constexpr const char *kSupernetKey = "bitloop_supernet";
constexpr const char *kStateKey = "bitloop_supernet_state";

using Clock = std::chrono::steady_clock;
using Config = std::vector<std::pair<int, int>>;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string layerLabel(const Network &net, size_t i)
{
    return "layer " + std::to_string(i + 1) + " '" + net.layers[i].name + "'";
}

std::string bitsText(const std::vector<int> &bits)
{
    std::string s;
    for (size_t i = 0; i < bits.size(); ++i)
        s += (i ? "," : "") + std::to_string(bits[i]);
    return s;
}

class Supernet : public torch::nn::Module
{
public:
    // How it quantizes (weight scaling, the image as pixels) comes from the options it is trained with.
    Supernet(const Network &network, const SupernetOptions &o, const Normalization &inputs)
        : allowed_(o.allowedBits)
    {
        net = register_module("net", std::make_shared<QuantNet>(network));
        net->weightScale = o.weightScale;
        if (o.quantizePixels)
            net->setImageNormalization(inputs.mean, inputs.std);
        actSteps = register_parameter("act_steps",
                                      torch::ones({net->numLayers(), static_cast<int64_t>(allowed_.size())}));
    }

    int64_t widthIndex(int bits) const
    {
        const auto it = std::find(allowed_.begin(), allowed_.end(), bits);
        return it == allowed_.end() ? -1 : static_cast<int64_t>(it - allowed_.begin());
    }

    // Every layer's bits, and the learned step of its activation width bound into its quantizer.
    void configure(const Config &bits)
    {
        net->setBits(bits);
        for (int i = 0; i < net->numLayers(); ++i)
            net->layer(i).inputQuant->bindStep(
                actSteps.select(0, i).narrow(0, widthIndex(bits[static_cast<size_t>(i)].second), 1));
    }

    Config uniform(int bits) const { return Config(static_cast<size_t>(net->numLayers()), {bits, bits}); }

    std::shared_ptr<QuantNet> net;
    torch::Tensor actSteps;

private:
    std::vector<int> allowed_;
};

// Each width's activation steps start where a single-width network's QAT starts: LSQ's 2 mean|x| / sqrt(qp),
// or the step of least squared error (activationMse), measured with every layer at that width, as deployed
// (eval mode, BatchNorm folded).
// False when cancelled (between widths).
bool initialiseSteps(Supernet &sn, const std::vector<int> &allowed, const EvaluationData &data,
                     const SupernetOptions &o, const std::atomic<bool> *cancel)
{
    torch::NoGradGuard noGrad;
    QuantNet &net = *sn.net;
    net.eval();
    net.quantize = true;
    for (size_t j = 0; j < allowed.size(); ++j) {
        if (cancel && cancel->load())
            return false;
        for (int i = 0; i < net.numLayers(); ++i)
            net.layer(i).inputQuant->bindStep({});
        net.setBits(sn.uniform(allowed[j]));
        net.startCalibration(o.activationMse ? Calibration::Mse : Calibration::LsqMean);
        BatchLoader loader(data.train, data.trainIdx, data.info.normalization, o.batchSize, true, o.seed);
        loader.startEpoch();
        Batch batch;
        for (int b = 0; b < o.calibrationBatches && loader.next(batch); ++b)
            net.forward(batch.images);
        net.stopCalibration();
        for (int i = 0; i < net.numLayers(); ++i)
            sn.actSteps[i][static_cast<int64_t>(j)].fill_(net.layer(i).inputQuant->stepValue());
    }
    return true;
}

double measure(Supernet &sn, const Config &bits, const EvaluationData &data,
               const std::vector<int64_t> &bnIdx)
{
    sn.configure(bits);
    if (!bnIdx.empty())
        reestimateBatchNorm(*sn.net, data.train, bnIdx, data.info.normalization);
    return evaluateAccuracy(*sn.net, data.evaluationSet(), data.evalIdx, data.info.normalization);
}

std::string stateText(const std::string &parentSha, const SupernetOptions &o, int64_t step, double seconds)
{
    std::ostringstream os;
    os << "parent_sha256: " << parentSha << "\nsettings: \"" << o.describe() << "\"\nstep: " << step
       << "\nseconds: " << seconds << "\n";
    return os.str();
}

// The value of `key: ` in stateText's output.
std::string stateValue(const std::string &text, const std::string &key)
{
    std::istringstream is(text);
    for (std::string line; std::getline(is, line);)
        if (line.rfind(key + ": ", 0) == 0) {
            std::string v = line.substr(key.size() + 2);
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
                v = v.substr(1, v.size() - 2);
            return v;
        }
    return {};
}

class SupernetEvaluator : public ModelEvaluator
{
public:
    SupernetEvaluator(const std::string &checkpoint, const EvaluatorOptions &options)
        : settings_((options.settings.check(), options.settings)), threads_(options.threads),
          path_(supernetPath(checkpoint, options))
    {
        data_ = loadEvaluationData(checkpoint, options);
        info_ = openSupernetFor(checkpoint, path_, data_);
        setThreads(threads_);
        sn_ = std::make_shared<Supernet>(info_.network, info_.options, data_.info.normalization);
        loadModuleFile(*sn_, path_);
        trained_ = cloneTensors(*sn_, TensorSet::Buffers);
        bnIdx_ = bnImages(data_.trainIdx, settings_.bnImages(), settings_.seed);
        context_ = data_.context + "supernet sha256: " + fileDigest(path_) + "\n";
    }

    int numLayers() const override { return sn_->net->numLayers(); }
    const EvaluatorSettings &settings() const override { return settings_; }
    std::string context() const override { return context_; }

protected:
    QuantNet &model() override { return *sn_->net; }
    const EvaluationData &evaluationData() const override { return data_; }
    AccuracyResult prepareAndMeasure(const BitConfig &bits, const AccuracyProgressFn &progress,
                                     const std::atomic<bool> *cancel) override
    {
        const auto t0 = Clock::now();
        const Config config = supernetWidths(info_, path_, bits);
        setThreads(threads_);
        restoreTensors(*sn_, trained_, TensorSet::Buffers);
        sn_->net->quantize = true;
        AccuracyResult result;
        if (progress)
            progress({"calibrate", 0, settings_.bnBatches, 0.0});
        sn_->configure(config);
        if (!bnIdx_.empty())
            reestimateBatchNorm(*sn_->net, data_.train, bnIdx_, data_.info.normalization);
        if (cancel && cancel->load()) {
            result.cancelled = true;
            result.seconds = secondsSince(t0);
            return result;
        }
        measureTop1(*sn_->net, data_, result, t0, progress);
        return result;
    }

private:
    EvaluatorSettings settings_;
    int threads_;
    std::string path_;
    SupernetInfo info_;
    EvaluationData data_;
    std::shared_ptr<Supernet> sn_;
    std::vector<torch::Tensor> trained_; // BatchNorm statistics as trained, restored before each candidate
    std::vector<int64_t> bnIdx_;
    std::string context_;
};

} // namespace

std::string supernetPath(const std::string &checkpoint, const EvaluatorOptions &options)
{
    return options.supernet.empty() ? defaultSupernetPath(checkpoint) : options.supernet;
}

SupernetInfo openSupernetFor(const std::string &checkpoint, const std::string &path,
                             const EvaluationData &data)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw InputError(path, 0,
                         std::string(std::filesystem::exists(path, ec) ? "not a regular file: a supernet is "
                                                                         "the file train-supernet writes"
                                                                       : "supernet file not found") +
                             " (make it with bitloop-cli train-supernet --checkpoint " + checkpoint + ")");
    SupernetInfo info = readSupernetInfo(path);
    const std::string parent = fileDigest(checkpoint);
    if (info.parentSha256 != parent)
        throw InputError(path, 0,
                         "this supernet was trained from another float checkpoint (sha256 " +
                             info.parentSha256.substr(0, 12) + "..., " + info.parentFile + "), not " +
                             checkpoint + " (sha256 " + parent.substr(0, 12) + "...)");
    if (networkToYaml(info.network) != networkToYaml(data.info.network))
        throw InputError(path, 0,
                         "this supernet is of network '" + info.network.name + "' (" +
                             std::to_string(info.network.layers.size()) + " layers), not the checkpoint's '" +
                             data.info.network.name + "'");
    return info;
}

Config supernetWidths(const SupernetInfo &info, const std::string &path, const BitConfig &bits)
{
    if (bits.size() != info.network.layers.size())
        throw std::invalid_argument("a bit configuration of " + std::to_string(bits.size()) +
                                    " layers for a network of " + std::to_string(info.network.layers.size()));
    const std::vector<int> &allowed = info.options.allowedBits;
    Config config;
    for (size_t i = 0; i < bits.size(); ++i) {
        for (auto [what, b] : {std::pair<const char *, int>{"weight", bits[i].weights},
                               std::pair<const char *, int>{"activation", bits[i].activations}})
            if (std::find(allowed.begin(), allowed.end(), b) == allowed.end())
                throw InputError(path, 0,
                                 layerLabel(info.network, i) + ": " + what + " bits " + std::to_string(b) +
                                     " is not a width this supernet was trained for (" + bitsText(allowed) +
                                     ")");
        config.emplace_back(bits[i].weights, bits[i].activations);
    }
    return config;
}

SupernetStart loadSupernetStart(const std::string &checkpoint, const std::string &path,
                                const EvaluationData &data, const EvaluatorSettings &settings)
{
    SupernetStart start;
    start.path = path;
    start.info = openSupernetFor(checkpoint, path, data);
    const SupernetOptions &o = start.info.options;
    // The weights were trained for the supernet's quantization; fine-tuning them under another would start
    // from weights fitted to a grid it does not use, and the cache key would name the wrong one.
    if (o.weightScale != settings.weightScale)
        throw InputError(path, 0,
                         std::string("this supernet was trained with --weight-scale ") +
                             weightScaleName(o.weightScale) + "; fine-tuning from it needs the same, not " +
                             weightScaleName(settings.weightScale));
    if (o.quantizePixels != settings.quantizePixels)
        throw InputError(path, 0,
                         std::string("this supernet was trained with --image-input ") +
                             (o.quantizePixels ? "pixels" : "normalized") +
                             "; fine-tuning from it needs the same");
    Supernet sn(start.info.network, o, data.info.normalization);
    loadModuleFile(sn, path);
    start.state = cloneTensors(*sn.net);
    torch::NoGradGuard noGrad;
    start.actSteps = sn.actSteps.detach().clone();
    start.digest = fileDigest(path);
    return start;
}

void SupernetStart::apply(QuantNet &net, const BitConfig &bits) const
{
    const Config config = supernetWidths(info, path, bits);
    restoreTensors(net, state); // the shared net's and this net's tensors come in the same order
    torch::NoGradGuard noGrad;
    net.setBits(config);
    const std::vector<int> &allowed = info.options.allowedBits;
    for (int i = 0; i < net.numLayers(); ++i) {
        const auto w = std::find(allowed.begin(), allowed.end(), config[static_cast<size_t>(i)].second);
        net.layer(i).inputQuant->bindStep({});
        net.layer(i).inputQuant->setStep(actSteps[i][w - allowed.begin()].item<double>());
    }
}

SupernetInfo readSupernetInfo(const std::string &path)
{
    return parseSupernetInfo(
        readModuleFileText(path, kSupernetKey,
                           "not a supernet (it was not written by bitloop-cli train-supernet)"),
        path);
}

std::unique_ptr<AccuracyEvaluator> openSupernetEvaluator(const std::string &checkpoint,
                                                         const EvaluatorOptions &options)
{
    return std::make_unique<SupernetEvaluator>(checkpoint, options);
}

SupernetResult trainSupernet(const std::string &checkpoint, const std::string &out, const SupernetOptions &o,
                             bool resume, const std::function<void(const SupernetProgress &)> &progress,
                             const std::atomic<bool> *cancel)
{
    o.check();
    EvaluatorOptions eo;
    eo.dataset = o.dataset;
    eo.trainLimit = o.trainLimit;
    EvaluationData data = loadEvaluationData(checkpoint, eo);
    setThreads(o.threads);
    torch::manual_seed(o.seed);

    SupernetResult result;
    SupernetInfo &info = result.info;
    info.parentSha256 = fileDigest(checkpoint);
    info.parentFile = checkpoint;
    info.network = data.info.network;
    info.options = o;

    Supernet sn(data.info.network, o, data.info.normalization);
    loadCheckpoint(*sn.net, checkpoint);
    QuantNet teacher(data.info.network);
    loadCheckpoint(teacher, checkpoint);
    teacher.quantize = false;
    teacher.eval();

    // Weight decay on conv / fc weights only (as in trainFloat); the step table is not decayed.
    std::vector<torch::Tensor> decayed, undecayed{sn.actSteps};
    for (const auto &p : sn.net->parameters())
        (p.dim() > 1 ? decayed : undecayed).push_back(p);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decayed, std::make_unique<torch::optim::SGDOptions>(
                                     torch::optim::SGDOptions(o.lr).momentum(0.9).weight_decay(
                                         data.info.training.weightDecay)));
    groups.emplace_back(undecayed, std::make_unique<torch::optim::SGDOptions>(
                                       torch::optim::SGDOptions(o.lr).momentum(0.9).weight_decay(0.0)));
    torch::optim::SGD optimizer(std::move(groups), torch::optim::SGDOptions(o.lr).momentum(0.9));
    const std::vector<torch::Tensor> params = sn.parameters();

    BatchLoader loader(data.train, data.trainIdx, data.info.normalization, o.batchSize, true, o.seed);
    SupernetProgress p;
    p.totalSteps = o.steps > 0 ? o.steps : loader.batchesPerEpoch() * o.epochs;
    const std::string statePath = out + ".state";
    double secondsBefore = 0;
    if (resume) {
        if (!std::filesystem::is_regular_file(statePath))
            throw InputError(statePath, 0,
                             "no training state to resume from (none was written, or it finished)");
        torch::serialize::InputArchive archive; // read once: tensors, optimizer and place of one state
        openModuleArchive(archive, statePath);
        const std::string text =
            readArchiveText(archive, statePath, kStateKey, "not a supernet training state");
        if (stateValue(text, "parent_sha256") != info.parentSha256)
            throw InputError(statePath, 0, "this training state belongs to another float checkpoint");
        if (stateValue(text, "settings") != o.describe())
            throw InputError(statePath, 0,
                             "this training state was written with other settings (" +
                                 stateValue(text, "settings") + "); resume with those");
        loadModuleArchive(sn, archive, statePath);
        loadOptimizerArchive(optimizer, archive, statePath);
        p.step = std::stoll(stateValue(text, "step"));
        secondsBefore = std::stod(stateValue(text, "seconds"));
        result.resumed = true;
    } else {
        if (progress) {
            p.phase = "calibrate";
            progress(p);
        }
        if (!initialiseSteps(sn, o.allowedBits, data, o, cancel)) {
            result.cancelled = true;
            return result;
        }
    }
    // Where the interrupted run was in its data: whole epochs, then the batches of the current one.
    const int64_t perEpoch = loader.batchesPerEpoch();
    for (int64_t e = 0; e <= p.step / perEpoch; ++e)
        loader.startEpoch();
    Batch batch;
    for (int64_t b = 0; b < p.step % perEpoch; ++b)
        loader.next(batch);

    const int minBits = o.allowedBits.front(), maxBits = o.allowedBits.back();
    const auto t0 = Clock::now();
    int64_t imagesSeen = 0;
    p.phase = "train";
    sn.net->quantize = true;
    while (p.step < p.totalSteps) {
        if (cancel && cancel->load()) {
            result.cancelled = true;
            return result;
        }
        if (!loader.next(batch)) {
            loader.startEpoch();
            loader.next(batch);
        }
        p.epoch = static_cast<int>(p.step / perEpoch);
        p.lr = cosineLr(o.lr, p.step, p.totalSteps);
        for (auto &group : optimizer.param_groups())
            group.options().set_lr(p.lr);

        // The step's configurations: widest, narrowest, then random per-layer widths (o.sampling) drawn from
        // a generator seeded by the step, so that a resumed run draws what the uninterrupted one would.
        std::vector<Config> configs{sn.uniform(maxBits), sn.uniform(minBits)};
        std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(p.step));
        for (int k = 0; k < o.randomConfigs; ++k)
            configs.push_back(drawConfiguration(rng, sn.net->numLayers(), o.allowedBits, o.sampling, k));
        torch::Tensor target;
        if (o.floatTeacher) {
            torch::NoGradGuard noGrad;
            target = teacher.forward(batch.images);
        }
        sn.net->train();
        p.loss = 0;
        // Each configuration's gradient is computed alone and capped at the widest's norm before they are
        // summed: the narrowest (2 bits everywhere, the image included) starts near chance, and its
        // uncapped gradient drags the shared weights away from what every wider configuration needs
        // (measured: 80 steps took uniform 8-bit accuracy from 0.70 to 0.42 on a 2,000-image slice).
        std::vector<torch::Tensor> sum;
        double widestNorm = 0;
        for (size_t c = 0; c < configs.size(); ++c) {
            sn.configure(configs[c]);
            const torch::Tensor logits = sn.net->forward(batch.images);
            const torch::Tensor loss =
                target.defined()
                    ? distillationLoss(logits, target, batch.labels, o.temperature, o.distillWeight)
                    : torch::nn::functional::cross_entropy(logits, batch.labels);
            optimizer.zero_grad();
            const double lossValue = loss.item<double>();
            // Nothing is written after a non-finite loss: the last training state (<out>.state) stays
            // the one to resume from, with other settings.
            if (!std::isfinite(lossValue))
                throw TrainingDiverged("supernet training diverged: the loss of configuration " +
                                       std::to_string(c + 1) + " is " + std::to_string(lossValue) +
                                       " at step " + std::to_string(p.step + 1));
            loss.backward();
            p.loss += lossValue;
            if (c == 0 && !o.floatTeacher)
                target = logits.detach(); // in-place distillation: the widest teaches the rest
            double norm2 = 0;
            for (const torch::Tensor &param : params)
                if (param.grad().defined())
                    norm2 += param.grad().pow(2).sum().item<double>();
            const double norm = std::sqrt(norm2);
            if (c == 0)
                widestNorm = norm;
            const double scale = c == 0 || norm <= widestNorm ? 1.0 : widestNorm / norm;
            if (sum.empty())
                for (const torch::Tensor &param : params)
                    sum.push_back(param.grad().defined() ? param.grad().clone() : torch::Tensor());
            else
                for (size_t k = 0; k < params.size(); ++k)
                    if (params[k].grad().defined())
                        sum[k] = sum[k].defined() ? sum[k].add_(params[k].grad(), scale)
                                                  : params[k].grad() * scale;
        }
        for (size_t k = 0; k < params.size(); ++k)
            if (sum[k].defined())
                params[k].mutable_grad() = sum[k];
        if (!std::isfinite(p.loss))
            throw std::runtime_error("supernet training diverged at step " + std::to_string(p.step + 1) +
                                     " (loss " + std::to_string(p.loss) + "): try a smaller --lr");
        optimizer.step();
        ++p.step;
        imagesSeen += batch.labels.size(0);
        p.imagesPerSecond = static_cast<double>(imagesSeen) / std::max(secondsSince(t0), 1e-9);
        if (progress)
            progress(p);
        if (p.step % o.checkpointEvery == 0 && p.step < p.totalSteps) {
            saveModuleFile(
                sn, statePath,
                {{kStateKey, stateText(info.parentSha256, o, p.step, secondsBefore + secondsSince(t0))}},
                &optimizer);
        }
    }
    info.steps = p.step;
    info.trainSeconds = secondsBefore + secondsSince(t0);

    // The widest and narrowest uniform configurations on the validation split, as the supernet evaluator
    // measures them with its default settings, then the trained statistics back for the file.
    if (progress) {
        p.phase = "evaluate";
        progress(p);
    }
    const std::vector<torch::Tensor> trained = cloneTensors(sn, TensorSet::Buffers);
    EvaluatorSettings defaults;
    defaults.kind = EvaluatorKind::Supernet;
    const std::vector<int64_t> bnIdx = bnImages(data.trainIdx, defaults.bnImages(), defaults.seed);
    info.widestAccuracy = measure(sn, sn.uniform(maxBits), data, bnIdx);
    restoreTensors(sn, trained, TensorSet::Buffers);
    info.narrowestAccuracy = measure(sn, sn.uniform(minBits), data, bnIdx);
    restoreTensors(sn, trained, TensorSet::Buffers);
    if (cancel && cancel->load()) {
        result.cancelled = true;
        return result;
    }
    saveModuleFile(sn, out, {{kSupernetKey, supernetInfoToYaml(info)}});
    std::filesystem::remove(statePath);
    return result;
}

} // namespace bitloop::qat
