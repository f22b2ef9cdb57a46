// bitloop-cli train / accuracy: the float baseline, and the accuracy of a per-layer bit configuration.
#include "commands.h"
#include "inputs.h"
#include "qat_options.h"
#include "search_setup.h"

#include "accuracy/accuracy_cache.h"
#include "io/bits_io.h"
#include "io/network_yaml.h"
#include "io/yaml_util.h"
#include "mapper/cache.h"
#include "qat/session.h"
#include "util/error.h"
#include "util/json.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace bitloop::cli
{

namespace
{

std::string resolutionText(int64_t h, int64_t w)
{
    return std::to_string(h) + "x" + std::to_string(w);
}

// Prints a progress line at most every `every` seconds, and always for the last step.
class Throttle
{
public:
    explicit Throttle(double every) : every_(every) {}
    bool due(bool last)
    {
        const auto now = std::chrono::steady_clock::now();
        if (!last && std::chrono::duration<double>(now - lastPrint_).count() < every_)
            return false;
        lastPrint_ = now;
        return true;
    }

private:
    double every_;
    std::chrono::steady_clock::time_point lastPrint_{};
};

// A built-in MobileNet takes its input size, channels and classes from the dataset (the small-input
// variant below 64 pixels); a network file must already fit it.
Network trainingNetwork(const Args &args, const ImageDataset &data)
{
    MobileNetOptions opt;
    opt.widthMultiplier = numberOption(args, "width", 1.0, 1e-3, 16.0);
    opt.resolution = static_cast<int>(data.height);
    opt.numClasses = data.numClasses;
    opt.inputChannels = static_cast<int>(data.channels);
    opt.smallInput = data.height <= 64;
    if (args.flag("small-input"))
        opt.smallInput = true;
    if (args.flag("standard-input"))
        opt.smallInput = false;
    return loadNetwork(args.require("network"), opt);
}

// --dataset, --validation-fraction, --split-seed and the three limits: how train and import split a
// dataset (recorded in the checkpoint, so that every later evaluation splits it the same way).
qat::DataSplit dataSplit(const Args &args)
{
    qat::DataSplit split;
    split.dataset = args.get("dataset").value_or("fashion-mnist");
    split.validationFraction = numberOption(args, "validation-fraction", 0.1, 0.0, 0.9);
    split.seed = static_cast<uint64_t>(args.integer("split-seed", 0, INT64_MAX).value_or(1));
    split.trainLimit = args.integer("train-limit", 1, INT64_MAX).value_or(0);
    split.validationLimit = args.integer("validation-limit", 1, INT64_MAX).value_or(0);
    split.testLimit = args.integer("test-limit", 1, INT64_MAX).value_or(0);
    return split;
}

} // namespace

int runTrain(const std::vector<std::string> &argv)
{
    const Args args(argv,
                    {"network", "width", "dataset", "validation-fraction", "split-seed", "train-limit",
                     "validation-limit", "test-limit", "epochs", "batch", "lr", "optimizer", "weight-decay",
                     "seed", "threads", "out"},
                    {"augment", "small-input", "standard-input", "json"});
    const qat::DataSplit split = dataSplit(args);
    qat::TrainOptions t;
    t.epochs = static_cast<int>(args.integer("epochs", 1, 100000).value_or(10));
    t.batchSize = static_cast<int>(args.integer("batch", 1, 65536).value_or(64));
    const std::string optimizer = args.get("optimizer").value_or("sgd");
    if (optimizer != "sgd" && optimizer != "adam")
        throw UsageError("--optimizer must be sgd or adam, got '" + optimizer + "'");
    t.adam = optimizer == "adam";
    t.lr = numberOption(args, "lr", t.adam ? 0.002 : 0.05, 1e-9, 100.0);
    t.weightDecay = numberOption(args, "weight-decay", 5e-5, 0.0, 1.0);
    t.seed = static_cast<uint64_t>(args.integer("seed", 0, INT64_MAX).value_or(1));
    t.threads = static_cast<int>(args.integer("threads", 1, 256).value_or(2));
    t.augment = args.flag("augment");
    const std::string out = args.require("out");
    const bool json = args.flag("json");

    const ImageDataset train = loadDataset(split.dataset, true);
    const ImageDataset test = loadDataset(split.dataset, false);
    const Network net = trainingNetwork(args, train);
    std::fprintf(stderr, "training %s (%zu layers) on %s at %s, %d epoch(s), %d thread(s)\n",
                 net.name.c_str(), net.layers.size(), train.source.c_str(),
                 resolutionText(train.height, train.width).c_str(), t.epochs, t.threads);

    InterruptGuard interrupts;
    Throttle throttle(2.0);
    const qat::BaselineResult r = qat::trainBaseline(
        net, split, train, test, t, out,
        [&](const qat::TrainProgress &p) {
            const bool last = p.batch == p.batchesPerEpoch;
            if (!throttle.due(last))
                return;
            std::fprintf(stderr,
                         "epoch %d/%d  batch %lld/%lld  loss %.4f  train acc %.4f  lr %.5f  %.0f img/s\n",
                         p.epoch + 1, t.epochs, static_cast<long long>(p.batch),
                         static_cast<long long>(p.batchesPerEpoch), p.runningLoss, p.runningAccuracy, p.lr,
                         p.samplesPerSecond);
        },
        &gInterrupted);
    if (r.train.cancelled) {
        std::fprintf(stderr, "cancelled: no checkpoint written\n");
        return 2;
    }
    const std::string res = resolutionText(train.height, train.width);
    if (json) {
        JsonWriter j;
        j.beginObject()
            .field("checkpoint", out)
            .field("network", net.name)
            .field("layers", static_cast<int64_t>(net.layers.size()))
            .field("dataset", split.dataset)
            .field("resolution", res)
            .field("epochs", t.epochs)
            .field("validation_accuracy", r.info.validationAccuracy)
            .field("test_accuracy", r.info.testAccuracy)
            .field("train_seconds", r.train.seconds)
            .field("samples_per_second", r.train.samplesPerSecond)
            .endObject();
        std::cout << j.str() << "\n";
    } else {
        std::printf("Checkpoint     %s\nNetwork        %s, %zu layers, at %s (the dataset's resolution)\n",
                    out.c_str(), net.name.c_str(), net.layers.size(), res.c_str());
        std::printf("Validation     %.4f top-1 (float)\nTest           %.4f top-1 (float)\n",
                    r.info.validationAccuracy, r.info.testAccuracy);
        std::printf("Training       %.1f s, %.0f images/s\n", r.train.seconds, r.train.samplesPerSecond);
    }
    return 0;
}

// --mean / --std: one number per image channel, comma-separated, each parsed as strictly as --lr.
std::vector<double> channelList(const Args &args, const std::string &key, double lo)
{
    std::vector<double> v;
    const auto text = args.get(key);
    if (!text)
        return v;
    std::string item;
    std::istringstream in(*text);
    while (std::getline(in, item, ',')) {
        const Args one({"--" + key, item}, {key}, {});
        v.push_back(*one.number(key, lo, 1e6));
    }
    return v;
}

int runImport(const std::vector<std::string> &argv)
{
    const Args args(argv,
                    {"onnx", "dataset", "validation-fraction", "split-seed", "train-limit",
                     "validation-limit", "test-limit", "mean", "std", "threads", "out"},
                    {"json"});
    const qat::DataSplit split = dataSplit(args);
    qat::Normalization norm;
    norm.mean = channelList(args, "mean", -1e6);
    norm.std = channelList(args, "std", 1e-9);
    if (norm.mean.empty() != norm.std.empty())
        throw UsageError("--mean and --std go together");
    const int threads = static_cast<int>(args.integer("threads", 1, 256).value_or(2));
    const std::string onnx = args.require("onnx"), out = args.require("out");
    const bool json = args.flag("json");

    const ImageDataset train = loadDataset(split.dataset, true);
    const ImageDataset test = loadDataset(split.dataset, false);
    if (!norm.mean.empty() &&
        (norm.mean.size() != size_t(train.channels) || norm.std.size() != size_t(train.channels)))
        throw UsageError("--mean and --std need one value per image channel (" +
                         std::to_string(train.channels) + ")");
    const qat::BaselineResult r = qat::importBaseline(onnx, split, train, test, norm, threads, out);
    if (json) {
        JsonWriter j;
        j.beginObject()
            .field("checkpoint", out)
            .field("network", r.info.network.name)
            .field("layers", static_cast<int64_t>(r.info.network.layers.size()))
            .field("dataset", split.dataset)
            .field("validation_accuracy", r.info.validationAccuracy)
            .field("test_accuracy", r.info.testAccuracy);
        if (r.quantized)
            j.field("widths", r.widths)
                .field("quantized_validation_accuracy", r.quantizedValidationAccuracy)
                .field("quantized_test_accuracy", r.quantizedTestAccuracy);
        j.endObject();
        std::cout << j.str() << "\n";
    } else {
        std::cout << "Checkpoint     " << out << " (" << r.info.network.name << ", "
                  << r.info.network.layers.size() << " layers, weights from " << onnx << ")\n"
                  << "Float accuracy " << r.info.validationAccuracy << " validation, " << r.info.testAccuracy
                  << " test top-1 on " << split.dataset << "\n";
        if (r.quantized)
            std::cout << "Quantized      " << r.quantizedValidationAccuracy << " validation, "
                      << r.quantizedTestAccuracy << " test top-1, as the graph computes at its widths\n"
                      << "Widths         " << r.widths << "\n";
    }
    return 0;
}

int runAccuracy(const std::vector<std::string> &argv)
{
    std::set<std::string> valued = kEvaluatorValued;
    valued.insert({"checkpoint", "wbits", "abits", "bits", "pin", "cache-dir", "threads"});
    std::set<std::string> flags = kEvaluatorFlags;
    flags.insert({"no-cache", "json"});
    const Args args(argv, valued, flags);
    const std::string checkpoint = args.require("checkpoint");
    qat::EvaluatorOptions o = resolveEvaluatorOptions(args, "threads");
    const std::string cacheDir = args.get("cache-dir").value_or(defaultCacheDir());
    if (!args.flag("no-cache"))
        keepTrainingStates(o, cacheDir);
    const EvaluatorSettings &s = o.settings;
    const bool json = args.flag("json");

    const qat::CheckpointInfo info = qat::readCheckpointInfo(checkpoint);
    const size_t layers = info.network.layers.size();
    BitConfig bits;
    if (args.has("bits")) {
        if (args.has("wbits") || args.has("abits"))
            throw UsageError("give either --bits FILE or --wbits/--abits, not both");
        const BitsFile bf = readBitsFile(*args.get("bits"));
        if (bf.layers.size() != layers)
            throw InputError(*args.get("bits"), 0,
                             "gives bits for " + std::to_string(bf.layers.size()) + " layers, but " +
                                 info.network.name + " in " + checkpoint + " has " + std::to_string(layers));
        bits = bf.layers;
    } else {
        if (!args.has("wbits") || !args.has("abits"))
            throw UsageError("give --wbits N --abits N (every layer) or --bits FILE (per layer)");
        LayerBits u;
        u.weights = static_cast<int>(*args.integer("wbits", 1, 32));
        u.activations = static_cast<int>(*args.integer("abits", 1, 32));
        bits.assign(layers, u);
    }
    // Over either: e.g. the first layer and the classifier at 8 bits, as LSQ and PACT report "uniform"
    // widths.
    for (const auto &[layer, b] : parsePins(args, static_cast<int>(layers), info.network.name))
        bits[static_cast<size_t>(layer)] = b;
    for (size_t i = 0; i < bits.size(); ++i)
        for (int b : {bits[i].weights, bits[i].activations})
            if (!((b >= 2 && b <= 8) || b == 16 || b == 32))
                throw UsageError("layer " + std::to_string(i + 1) + ": a bit-width of " + std::to_string(b) +
                                 " (the QAT engine quantizes to 2..8 bits; 16 or 32 mean not quantized)");

    std::unique_ptr<AccuracyEvaluator> evaluator = qat::openEvaluator(checkpoint, o);
    if (!args.flag("no-cache")) {
        auto cache = std::make_shared<AccuracyCache>(cacheDir);
        evaluator = std::make_unique<CachedEvaluator>(std::move(evaluator), std::move(cache));
    }
    InterruptGuard interrupts;
    Throttle throttle(2.0);
    std::string kept; // cancelled: where the training stopped and what resumes it
    const AccuracyResult r = evaluator->evaluate(
        bits,
        [&](const AccuracyProgress &p) {
            if (p.phase == "state-kept") {
                kept = ": the fine-tuning's state at step " + std::to_string(p.done) + " of " +
                       std::to_string(p.total) + " is kept in " + o.trainingStateDir +
                       "; the same command resumes from it";
                return;
            }
            if (p.phase == "resumed") { // always said: the seconds and the figure include an earlier run
                std::fprintf(stderr, "fine-tuning resumed at step %lld of %lld from its saved state\n",
                             static_cast<long long>(p.done), static_cast<long long>(p.total));
                return;
            }
            if (!throttle.due(p.done == p.total))
                return;
            std::fprintf(stderr, "%s %lld/%lld%s\n", p.phase.c_str(), static_cast<long long>(p.done),
                         static_cast<long long>(p.total),
                         p.phase == "fine-tune" ? (" loss " + std::to_string(p.loss)).c_str() : "");
        },
        &gInterrupted);
    if (r.cancelled) {
        std::fprintf(stderr, "cancelled%s\n", printable(kept).c_str());
        return 2;
    }
    const std::string res = resolutionText(info.imageHeight, info.imageWidth);
    const char *split = o.onTestSet ? "test" : "validation";
    // A figure near 1/classes is true but easy to misread: a configuration that does not work and a
    // fine-tuning that collapsed to one class (2-bit QAT at too high a learning rate) both read this way.
    const int64_t classes = info.network.layers.back().outputChannels();
    const bool atChance = classes > 1 && r.accuracy <= 1.5 / static_cast<double>(classes);
    if (atChance)
        std::fprintf(stderr,
                     "bitloop-cli accuracy: warning: top-1 %.4f is at chance for %lld classes: the network "
                     "does not work at these widths as measured%s\n",
                     r.accuracy, static_cast<long long>(classes),
                     s.kind == EvaluatorKind::Qat || s.kind == EvaluatorKind::QatShort
                         ? ", or its fine-tuning collapsed (a loss that rose again above; try a lower --lr)"
                         : "");
    // The baseline's figure is comparable only when measured on the same images.
    const bool sameImagesAsBaseline = o.dataset.empty() && o.evaluationLimit < 0;
    const double floatAccuracy = o.onTestSet ? info.testAccuracy : info.validationAccuracy;
    if (json) {
        JsonWriter j;
        j.beginObject()
            .field("accuracy", r.accuracy)
            .field("images", r.images)
            .field("split", split)
            .field("resolution", res)
            .field("evaluator", evaluatorName(s.kind))
            .field("settings", s.describe())
            .field("seconds", r.seconds)
            .field("cached", r.cached)
            .field("at_chance", atChance);
        if (sameImagesAsBaseline)
            j.field("float_accuracy", floatAccuracy);
        j.key("bits").beginArray();
        for (const LayerBits &b : bits)
            j.beginArray().value(b.weights).value(b.activations).endArray();
        j.endArray().endObject();
        std::cout << j.str() << "\n";
    } else {
        std::printf("Network        %s, %zu layers, at %s (the dataset's resolution)\n",
                    info.network.name.c_str(), layers, res.c_str());
        std::printf("Bits           %s\n", formatBitConfig(bits).c_str());
        std::printf("Evaluator      %s\n", s.describe().c_str());
        std::printf("Accuracy       %.4f top-1 on %lld %s images", r.accuracy,
                    static_cast<long long>(r.images), split);
        if (sameImagesAsBaseline)
            std::printf(" (the float baseline: %.4f)", floatAccuracy);
        std::printf("\n");
        std::printf("Time           %.2f s%s\n", r.seconds, r.cached ? " (cached: measured earlier)" : "");
    }
    return 0;
}

} // namespace bitloop::cli
