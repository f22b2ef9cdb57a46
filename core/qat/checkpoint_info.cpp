// CheckpointInfo as YAML text (no LibTorch here: the archive holds the text as one string).
#include "io/network_yaml.h"
#include "io/yaml_util.h"
#include "qat/session.h"

#include <sstream>

namespace bitloop::qat
{

namespace y = yamlutil;

std::string DataSplit::describe() const
{
    std::ostringstream os;
    os << "dataset=" << dataset << " validation_fraction=" << y::formatDouble(validationFraction)
       << " split_seed=" << seed << " train_limit=" << trainLimit << " validation_limit=" << validationLimit
       << " test_limit=" << testLimit;
    return os.str();
}

namespace
{

std::string doubles(const std::vector<double> &v)
{
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + y::formatDouble(v[i]);
    return s + "]";
}

std::vector<double> readDoubles(const y::Where &w, const YAML::Node &map, const std::string &key)
{
    std::vector<double> out;
    for (const YAML::Node &n : y::toList(w, y::require(w, map, key, "a list of numbers"), key))
        out.push_back(y::toDouble(w, n, key, y::Sign::Any));
    return out;
}

} // namespace

std::string checkpointInfoToYaml(const CheckpointInfo &info)
{
    const TrainOptions &t = info.training;
    std::ostringstream os;
    os << "bitloop_checkpoint: 1\n"
       << "dataset: " << y::scalar(info.split.dataset) << "\n"
       << "validation_fraction: " << y::formatDouble(info.split.validationFraction) << "\n"
       << "split_seed: " << info.split.seed << "\n"
       << "train_limit: " << info.split.trainLimit << "\n"
       << "validation_limit: " << info.split.validationLimit << "\n"
       << "test_limit: " << info.split.testLimit << "\n"
       << "images: {height: " << info.imageHeight << ", width: " << info.imageWidth
       << ", channels: " << info.imageChannels << "}\n"
       << "normalization: {mean: " << doubles(info.normalization.mean)
       << ", std: " << doubles(info.normalization.std) << "}\n"
       << "training: {epochs: " << t.epochs << ", steps: " << t.steps << ", batch: " << t.batchSize
       << ", lr: " << y::formatDouble(t.lr) << ", momentum: " << y::formatDouble(t.momentum)
       << ", weight_decay: " << y::formatDouble(t.weightDecay) << ", optimizer: " << (t.adam ? "adam" : "sgd")
       << ", seed: " << t.seed << ", augment: " << (t.augment ? "true" : "false") << "}\n"
       << "validation_accuracy: " << y::formatDouble(info.validationAccuracy) << "\n"
       << "test_accuracy: " << y::formatDouble(info.testAccuracy) << "\n"
       << "train_seconds: " << y::formatDouble(info.trainSeconds) << "\n";
    if (!info.importedFrom.empty())
        os << "imported_from: " << y::scalar(info.importedFrom) << "\n";
    os << "network: |\n" << y::indentBlock(networkToYaml(info.network));
    return os.str();
}

CheckpointInfo parseCheckpointInfo(const std::string &yaml, const std::string &file)
{
    const YAML::Node root = y::loadString(yaml, file);
    const y::Where w{file, "checkpoint info"};
    y::expectMap(w, root, "the checkpoint info");
    CheckpointInfo info;
    info.split.dataset = y::requireString(w, root, "dataset");
    info.split.validationFraction = y::requireDouble(w, root, "validation_fraction", y::Sign::NonNegative);
    info.split.seed = static_cast<uint64_t>(y::requireInt(w, root, "split_seed", y::Sign::NonNegative));
    info.split.trainLimit = y::requireInt(w, root, "train_limit", y::Sign::NonNegative);
    info.split.validationLimit = y::requireInt(w, root, "validation_limit", y::Sign::NonNegative);
    info.split.testLimit = y::requireInt(w, root, "test_limit", y::Sign::NonNegative);
    const YAML::Node images = y::require(w, root, "images", "a mapping");
    info.imageHeight = y::requireInt(w, images, "height", y::Sign::Positive);
    info.imageWidth = y::requireInt(w, images, "width", y::Sign::Positive);
    info.imageChannels = y::requireInt(w, images, "channels", y::Sign::Positive);
    const YAML::Node norm = y::require(w, root, "normalization", "a mapping");
    info.normalization.mean = readDoubles(w, norm, "mean");
    info.normalization.std = readDoubles(w, norm, "std");
    const YAML::Node tr = y::require(w, root, "training", "a mapping");
    TrainOptions &t = info.training;
    t.epochs = static_cast<int>(y::requireInt(w, tr, "epochs", y::Sign::NonNegative));
    t.steps = y::requireInt(w, tr, "steps", y::Sign::NonNegative);
    t.batchSize = static_cast<int>(y::requireInt(w, tr, "batch", y::Sign::Positive));
    t.lr = y::requireDouble(w, tr, "lr", y::Sign::NonNegative);
    t.momentum = y::requireDouble(w, tr, "momentum", y::Sign::NonNegative);
    t.weightDecay = y::requireDouble(w, tr, "weight_decay", y::Sign::NonNegative);
    t.adam = y::requireString(w, tr, "optimizer") == "adam";
    t.seed = static_cast<uint64_t>(y::requireInt(w, tr, "seed", y::Sign::NonNegative));
    t.augment = y::optionalBool(w, tr, "augment").value_or(false);
    t.normalization = info.normalization;
    info.validationAccuracy = y::requireDouble(w, root, "validation_accuracy", y::Sign::Any);
    info.testAccuracy = y::requireDouble(w, root, "test_accuracy", y::Sign::Any);
    info.trainSeconds = y::requireDouble(w, root, "train_seconds", y::Sign::NonNegative);
    info.importedFrom = y::optionalString(w, root, "imported_from").value_or("");
    info.network = parseNetworkYaml(y::requireString(w, root, "network"), file);
    return info;
}

} // namespace bitloop::qat
