// The float baseline and the accuracy evaluators on top of QuantNet and trainFloat (see qat/session.h).
#include "accuracy/accuracy_cache.h"
#include "io/network_yaml.h"
#include "io/onnx_network.h"
#include "qat/evaluation_data.h"
#include "qat/onnx_export.h"
#include "qat/onnx_weights.h"
#include "qat/session.h"
#include "qat/supernet_start.h"
#include "qat/threads.h"
#include "qat/train.h"
#include "util/error.h"
#include "util/sha256.h"

#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace bitloop::qat
{

namespace
{

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<int64_t> firstN(std::vector<int64_t> v, int64_t limit)
{
    if (limit > 0 && limit < static_cast<int64_t>(v.size()))
        v.resize(static_cast<size_t>(limit));
    return v;
}

std::vector<int64_t> range(int64_t count, int64_t limit)
{
    std::vector<int64_t> v(static_cast<size_t>(limit > 0 ? std::min(count, limit) : count));
    for (size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<int64_t>(i);
    return v;
}

// The training part and validation part of the training set, each cut to its limit.
Split splitOf(const ImageDataset &train, const DataSplit &s)
{
    Split split = splitTrainValidation(train.count, s.validationFraction, s.seed);
    split.train = firstN(std::move(split.train), s.trainLimit);
    split.validation = firstN(std::move(split.validation), s.validationLimit);
    return split;
}

class QatEvaluator : public ModelEvaluator
{
public:
    QatEvaluator(const std::string &checkpoint, const EvaluatorOptions &options)
        : settings_((options.settings.check(), options.settings)), threads_(options.threads),
          data_(loadEvaluationData(checkpoint, options)), stateDir_(options.trainingStateDir),
          stateEvery_(options.stateEvery), warn_(options.warn)
    {
        if (!warn_)
            warn_ = printWarning;
        setThreads(threads_);
        net_ = std::make_shared<QuantNet>(data_.info.network);
        net_->weightScale = settings_.weightScale;
        if (settings_.quantizePixels)
            net_->setImageNormalization(data_.info.normalization.mean, data_.info.normalization.std);
        loadCheckpoint(*net_, checkpoint);
        context_ = data_.context;
        if (settings_.startFromSupernet) {
            start_ = std::make_unique<SupernetStart>(
                loadSupernetStart(checkpoint, supernetPath(checkpoint, options), data_, settings_));
            context_ += "start: supernet sha256: " + start_->digest + "\n";
        } else { // the state each evaluation starts from; a supernet start holds its own
            floatState_ = cloneTensors(*net_);
        }
        if (settings_.bnImages() > 0)
            bnIdx_ = bnImages(data_.trainIdx, settings_.bnImages(), settings_.seed);
        if (settings_.fineTunes() && settings_.distill) {
            teacher_ = std::make_shared<QuantNet>(data_.info.network);
            loadCheckpoint(*teacher_, checkpoint);
            teacher_->quantize = false;
            teacher_->eval();
        }
    }

    int numLayers() const override { return net_->numLayers(); }
    const EvaluatorSettings &settings() const override { return settings_; }
    std::string context() const override { return context_; }

protected:
    QuantNet &model() override { return *net_; }
    const EvaluationData &evaluationData() const override { return data_; }
    AccuracyResult prepareAndMeasure(const BitConfig &bits, const AccuracyProgressFn &progress,
                                     const std::atomic<bool> *cancel) override
    {
        const auto t0 = Clock::now();
        setThreads(threads_);
        net_->quantize = true;
        if (start_) {
            start_->apply(*net_, bits); // the supernet's weights, statistics and steps for these widths
        } else {
            restoreTensors(*net_, floatState_);
            std::vector<std::pair<int, int>> pairs;
            for (const LayerBits &b : bits)
                pairs.emplace_back(b.weights, b.activations);
            net_->setBits(pairs); // validates count and widths
            calibrate(progress);
        }
        AccuracyResult result;
        double secondsBefore = 0;
        TrainStateFile state;  // resumable fine-tuning, named by the cache key
        TrainResult tr;        // the fine-tuning's outcome (none without one)
        auto cancelled = [&] { // and where a rerun resumes, when a state was kept
            if (progress && tr.stateKeptAtStep > 0)
                progress({"state-kept", tr.stateKeptAtStep, tr.totalSteps, 0.0});
            result.cancelled = true;
            result.seconds = secondsSince(t0);
            return result;
        };
        if (settings_.fineTunes()) {
            TrainOptions t;
            t.epochs = settings_.epochs;
            t.steps = settings_.kind == EvaluatorKind::QatShort ? settings_.steps : 0;
            t.batchSize = settings_.batchSize;
            t.lr = settings_.lr;
            t.seed = settings_.seed;
            t.threads = threads_;
            t.normalization = data_.info.normalization;
            t.weightDecay = data_.info.training.weightDecay;
            t.maxGradNorm = settings_.maxGradNorm;
            t.stepLrScale = settings_.stepLrScale;
            Distillation distill{teacher_.get(), settings_.temperature, settings_.distillWeight};
            // Named by the cache key: the same configuration with the same settings on the same checkpoint.
            if (!stateDir_.empty()) {
                const AccuracyKey key = accuracyKey(context_, settings_, bits);
                // The threads too: a state resumed on another number would not give the uninterrupted answer.
                state = {stateDir_ + "/" + key.digest + ".state", stateEvery_,
                         key.text + "\nthreads: " + std::to_string(threads_), warn_, true};
            }
            bool toldResume = false;
            try {
                tr = trainFloat(
                    *net_, data_.train, data_.trainIdx, {}, t,
                    [&](const TrainProgress &p) {
                        if (!progress)
                            return;
                        if (p.resumedAtStep > 0 && !toldResume) {
                            toldResume = true;
                            progress({"resumed", p.resumedAtStep, p.totalSteps, 0.0});
                        }
                        progress({"fine-tune", p.step, p.totalSteps, p.runningLoss});
                    },
                    cancel, teacher_ ? &distill : nullptr, state.path.empty() ? nullptr : &state);
            } catch (const TrainingDiverged &e) {
                throw std::runtime_error(std::string(evaluatorName(settings_.kind)) + " of " +
                                         formatBitConfig(bits) + ": " + e.what() +
                                         " (a smaller --lr or --max-grad-norm may keep it finite)");
            }
            if (tr.cancelled)
                return cancelled();
            secondsBefore = tr.secondsBefore; // an answer's seconds count every run that made it
        }
        if (cancel && cancel->load()) // trained to the end: the last periodic state is still there
            return cancelled();
        if (!bnIdx_.empty())
            reestimateBatchNorm(*net_, data_.train, bnIdx_, data_.info.normalization);
        measureTop1(*net_, data_, result, t0, progress);
        result.seconds += secondsBefore;
        if (!state.path.empty()) { // measured: nothing left to resume
            std::error_code ec;
            std::filesystem::remove(state.path, ec);
        }
        return result;
    }

private:
    // Activation steps from a few training batches seen by the net in eval mode (BatchNorm folded with
    // its running statistics, as deployed): PTQ clips nothing (max), fine-tuning starts from LSQ's
    // initialisation, which the training then moves; or, by choice, the steps of least squared error.
    void calibrate(const AccuracyProgressFn &progress)
    {
        torch::NoGradGuard noGrad;
        net_->eval();
        net_->startCalibration(settings_.activationMse                ? Calibration::Mse
                               : settings_.kind == EvaluatorKind::Ptq ? Calibration::Max
                                                                      : Calibration::LsqMean);
        BatchLoader loader(data_.train, data_.trainIdx, data_.info.normalization, settings_.batchSize, true,
                           settings_.seed);
        loader.startEpoch();
        Batch batch;
        for (int b = 0; b < settings_.calibrationBatches && loader.next(batch); ++b) {
            net_->forward(batch.images);
            if (progress)
                progress({"calibrate", b + 1, settings_.calibrationBatches, 0.0});
        }
        net_->stopCalibration();
    }

    EvaluatorSettings settings_;
    int threads_;
    EvaluationData data_;
    std::shared_ptr<QuantNet> net_;
    std::shared_ptr<QuantNet> teacher_; // the float checkpoint, when distilling
    std::vector<torch::Tensor> floatState_;
    std::unique_ptr<SupernetStart> start_; // where fine-tuning starts instead (startFromSupernet)
    std::string context_;
    std::vector<int64_t> bnIdx_; // the images BatchNorm is re-estimated on after fine-tuning
    std::string stateDir_;       // resumable fine-tuning (EvaluatorOptions::trainingStateDir)
    int64_t stateEvery_;
    std::function<void(const std::string &)> warn_;
};

} // namespace

void checkFits(const Network &network, const ImageDataset &data)
{
    const Layer &first = network.layers.front();
    const int64_t channels = first.shape.bound(Dim::C) * first.shape.bound(Dim::G);
    if (channels != data.channels)
        throw InputError(data.source, 0,
                         "the images have " + std::to_string(data.channels) + " channel(s) but " +
                             network.name + " expects " + std::to_string(channels) + " (--input-channels)");
    const Layer &last = network.layers.back();
    if (last.shape.bound(Dim::M) * last.shape.bound(Dim::G) < data.numClasses)
        throw InputError(data.source, 0,
                         "the dataset has " + std::to_string(data.numClasses) + " classes but " +
                             network.name + " classifies " +
                             std::to_string(last.shape.bound(Dim::M) * last.shape.bound(Dim::G)) +
                             " (--classes)");
}

std::string fileDigest(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, "cannot read the checkpoint");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return sha256Hex(bytes.str());
}

EvaluationData loadEvaluationData(const std::string &checkpoint, const EvaluatorOptions &options)
{
    EvaluationData d;
    d.info = readCheckpointInfo(checkpoint);
    DataSplit split = d.info.split;
    if (!options.dataset.empty())
        split.dataset = options.dataset;
    if (options.trainLimit >= 0)
        split.trainLimit = options.trainLimit;
    if (options.evaluationLimit >= 0)
        (options.onTestSet ? split.testLimit : split.validationLimit) = options.evaluationLimit;

    d.train = loadDataset(split.dataset, true);
    checkFits(d.info.network, d.train);
    Split parts = splitOf(d.train, split);
    d.trainIdx = std::move(parts.train);
    if (options.onTestSet) {
        d.test = std::make_unique<ImageDataset>(loadDataset(split.dataset, false));
        checkFits(d.info.network, *d.test);
        d.evalIdx = range(d.test->count, split.testLimit);
    } else {
        d.evalIdx = std::move(parts.validation);
    }
    if (d.evalIdx.empty())
        throw InputError(checkpoint, 0, "no images to evaluate on (the validation split is empty)");

    std::ostringstream os;
    os << "network:\n"
       << networkToYaml(d.info.network) << "checkpoint sha256: " << fileDigest(checkpoint) << "\n"
       << split.describe() << "\nevaluated on: " << (options.onTestSet ? "test" : "validation") << " ("
       << d.evalIdx.size() << " images of " << d.evaluationSet().source << ")\n";
    d.context = os.str();
    return d;
}

void measureTop1(QuantNet &net, const EvaluationData &data, AccuracyResult &result, Clock::time_point t0,
                 const AccuracyProgressFn &progress)
{
    if (progress)
        progress({"evaluate", 0, static_cast<int64_t>(data.evalIdx.size()), 0.0});
    result.accuracy = evaluateAccuracy(net, data.evaluationSet(), data.evalIdx, data.info.normalization);
    result.images = static_cast<int64_t>(data.evalIdx.size());
    result.seconds = secondsSince(t0);
    if (progress)
        progress({"evaluate", result.images, result.images, 0.0});
}

AccuracyResult ModelEvaluator::evaluate(const BitConfig &bits, const AccuracyProgressFn &progress,
                                        const std::atomic<bool> *cancel)
{
    std::lock_guard<std::mutex> lock(mutex_);
    return prepareAndMeasure(bits, progress, cancel);
}

AccuracyResult ModelEvaluator::exportModel(const BitConfig &bits, const std::string &onnxPath,
                                           const AccuracyProgressFn &progress)
{
    std::lock_guard<std::mutex> lock(mutex_);
    const AccuracyResult r = prepareAndMeasure(bits, progress, nullptr);
    writeQuantizedOnnx(model(), onnxPath, quantizedOnnxInfo(evaluationData(), settings(), bits, r));
    return r;
}

QuantizedOnnxInfo quantizedOnnxInfo(const EvaluationData &data, const EvaluatorSettings &settings,
                                    const BitConfig &bits, const AccuracyResult &measured)
{
    QuantizedOnnxInfo info;
    info.imageHeight = data.info.imageHeight;
    info.imageWidth = data.info.imageWidth;
    std::ostringstream doc;
    doc << data.info.network.name << " at " << formatBitConfig(bits) << ", prepared by Bitloop's "
        << evaluatorName(settings.kind) << " evaluator (" << settings.describe() << "); top-1 "
        << measured.accuracy << " on " << measured.images << (data.test ? " test" : " validation")
        << " images. Input: images normalized with mean";
    for (double m : data.info.normalization.mean)
        doc << " " << m;
    doc << " and std";
    for (double sd : data.info.normalization.std)
        doc << " " << sd;
    doc << " per channel.";
    info.docString = doc.str();
    return info;
}

CheckpointInfo readCheckpointInfo(const std::string &path)
{
    return parseCheckpointInfo(readCheckpointInfoText(path), path);
}

BaselineResult trainBaseline(const Network &network, const DataSplit &split, const ImageDataset &train,
                             const ImageDataset &test, const TrainOptions &options,
                             const std::string &checkpoint,
                             const std::function<void(const TrainProgress &)> &progress,
                             const std::atomic<bool> *cancel)
{
    checkFits(network, train);
    checkFits(network, test);
    const Split parts = splitOf(train, split);

    setThreads(options.threads);
    torch::manual_seed(options.seed); // the initial weights, as the seed says
    QuantNet net(network);
    net.quantize = false;
    BaselineResult r;
    r.train = trainFloat(net, train, parts.train, parts.validation, options, progress, cancel);
    if (r.train.cancelled)
        return r;
    r.info.network = network;
    r.info.split = split;
    r.info.imageHeight = train.height;
    r.info.imageWidth = train.width;
    r.info.imageChannels = train.channels;
    r.info.normalization = r.train.normalization;
    r.info.training = options;
    r.info.validationAccuracy = r.train.validationAccuracy;
    r.info.testAccuracy =
        evaluateAccuracy(net, test, range(test.count, split.testLimit), r.info.normalization);
    r.info.trainSeconds = r.train.seconds;
    saveCheckpoint(net, checkpoint, checkpointInfoToYaml(r.info));
    return r;
}

BaselineResult importBaseline(const std::string &onnxPath, const DataSplit &split, const ImageDataset &train,
                              const ImageDataset &test, const Normalization &normalization, int threads,
                              const std::string &checkpoint)
{
    std::vector<OnnxLayerWeights> weights;
    const Network network = readOnnxNetwork(onnxPath, &weights);
    if (!network.chainNote.empty())
        throw InputError(onnxPath, 0, "not a network the QAT engine builds yet: " + network.chainNote);
    checkFits(network, train);
    checkFits(network, test);
    // The first layer's padded input spans the image (PyTorch's output-size rule leaves up to stride - 1
    // pixels unused): the network must be the one these images go through.
    const ProblemShape &first = network.layers.front().shape;
    auto fits = [](int64_t image, int64_t padded, int pad, int stride) {
        return image + 2 * pad >= padded && image + 2 * pad < padded + stride;
    };
    if (!fits(train.height, first.inputHeight(), first.hpad, first.hstride) ||
        !fits(train.width, first.inputWidth(), first.wpad, first.wstride))
        throw InputError(
            onnxPath, 0,
            "the model's input is about " + std::to_string(first.inputHeight() - 2 * first.hpad) + "x" +
                std::to_string(first.inputWidth() - 2 * first.wpad) + " pixels; " + train.source + " has " +
                std::to_string(train.height) + "x" + std::to_string(train.width));
    const Split parts = splitOf(train, split);
    setThreads(threads);
    QuantNet net(network);
    net.quantize = false;
    loadOnnxWeights(net, weights);
    BaselineResult r;
    // A quantized graph's own quantization, set (and checked: a graph Bitloop would compute otherwise is
    // refused) before anything is measured; with net.quantize off the float measurement ignores it.
    std::vector<std::pair<int, int>> widths;
    for (const OnnxLayerWeights &w : weights)
        r.quantized = r.quantized || w.weightBits <= 8 || w.activationStep > 0;
    if (r.quantized) {
        try {
            widths = applyOnnxQuantization(net, weights);
        } catch (const std::invalid_argument &e) {
            throw InputError(onnxPath, 0, e.what());
        }
    }
    const auto t0 = Clock::now();
    r.info.network = network;
    r.info.split = split;
    r.info.imageHeight = train.height;
    r.info.imageWidth = train.width;
    r.info.imageChannels = train.channels;
    r.info.normalization = normalization.mean.empty() ? normalizationOf(train, parts.train) : normalization;
    if (!weights.front().imageMean.empty()) { // the graph says how its input is normalized
        if (!normalization.mean.empty() && (normalization.mean != weights.front().imageMean ||
                                            normalization.std != weights.front().imageStd))
            throw InputError(onnxPath, 0,
                             "the graph normalizes its image with its own mean and std; "
                             "--mean/--std give others");
        r.info.normalization = {weights.front().imageMean, weights.front().imageStd};
    }
    r.info.training.epochs = 0;
    r.info.training.normalization = r.info.normalization;
    r.info.importedFrom = onnxPath;
    r.info.validationAccuracy = parts.validation.empty()
                                    ? -1.0
                                    : evaluateAccuracy(net, train, parts.validation, r.info.normalization);
    r.info.testAccuracy =
        evaluateAccuracy(net, test, range(test.count, split.testLimit), r.info.normalization);
    r.train.validationAccuracy = r.info.validationAccuracy;
    r.train.normalization = r.info.normalization;
    // A quantized graph (search-export's model.onnx): also what it computes as quantized, with its own
    // widths and steps, on the same images.
    if (r.quantized) {
        net.quantize = true;
        for (const auto &[w, a] : widths)
            r.widths += (r.widths.empty() ? "" : " ") + std::to_string(w) + "/" + std::to_string(a);
        r.quantizedValidationAccuracy =
            parts.validation.empty() ? -1.0
                                     : evaluateAccuracy(net, train, parts.validation, r.info.normalization);
        r.quantizedTestAccuracy =
            evaluateAccuracy(net, test, range(test.count, split.testLimit), r.info.normalization);
        net.quantize = false;
    }
    r.train.seconds = secondsSince(t0);
    saveCheckpoint(net, checkpoint, checkpointInfoToYaml(r.info));
    return r;
}

std::unique_ptr<AccuracyEvaluator> openEvaluator(const std::string &checkpoint,
                                                 const EvaluatorOptions &options)
{
    if (options.settings.kind == EvaluatorKind::Supernet)
        return openSupernetEvaluator(checkpoint, options);
    return std::make_unique<QatEvaluator>(checkpoint, options);
}

} // namespace bitloop::qat
