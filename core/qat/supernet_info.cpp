// SupernetOptions and SupernetInfo as text (no LibTorch here: the supernet's archive holds the text).
#include "io/network_yaml.h"
#include "io/yaml_util.h"
#include "qat/session.h"
#include "util/error.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace bitloop::qat
{

namespace y = yamlutil;

namespace
{

std::string bitsList(const std::vector<int> &bits)
{
    std::string s;
    for (size_t i = 0; i < bits.size(); ++i)
        s += (i ? "," : "") + std::to_string(bits[i]);
    return s;
}

} // namespace

void SupernetOptions::check() const
{
    auto need = [](bool ok, const std::string &what) {
        if (!ok)
            throw std::invalid_argument(what);
    };
    need(!allowedBits.empty(), "the supernet needs at least one allowed bit-width");
    for (int b : allowedBits)
        need(b >= 2 && b <= 8,
             "allowed bit-width " + std::to_string(b) + " (a supernet quantizes to 2..8 bits)");
    need(std::is_sorted(allowedBits.begin(), allowedBits.end()) &&
             std::adjacent_find(allowedBits.begin(), allowedBits.end()) == allowedBits.end(),
         "the allowed bit-widths must be distinct and in increasing order");
    need(steps > 0 || epochs >= 1, "the supernet needs at least 1 epoch or 1 step");
    need(batchSize >= 1, "the batch size must be at least 1");
    need(lr > 0, "the learning rate must be positive");
    need(randomConfigs >= 0 && randomConfigs <= 64, "random configurations per step must lie in [0, 64]");
    need(temperature > 0 && temperature <= 100, "the distillation temperature must lie in (0, 100]");
    need(distillWeight >= 0 && distillWeight <= 1, "the distillation weight must lie in [0, 1]");
    need(calibrationBatches >= 1, "calibration batches must be at least 1");
    need(threads >= 1, "threads must be at least 1");
    need(checkpointEvery >= 1, "steps between training states must be at least 1");
}

std::string SupernetOptions::describe() const
{
    std::ostringstream os;
    os << "allowed_bits=" << bitsList(allowedBits) << " epochs=" << epochs << " steps=" << steps
       << " batch=" << batchSize << " lr=" << y::formatDouble(lr) << " random_configs=" << randomConfigs
       << " teacher=" << (floatTeacher ? "float" : "widest")
       << " temperature=" << y::formatDouble(temperature)
       << " distill_weight=" << y::formatDouble(distillWeight)
       << " calibration_batches=" << calibrationBatches << " seed=" << seed << " train_limit=" << trainLimit;
    if (weightScale != WeightScale::Max)
        os << " weight_scale=" << weightScaleName(weightScale);
    if (quantizePixels)
        os << " image_input=pixels";
    if (sampling != SupernetSampling::PerLayer)
        os << " sampling=" << supernetSamplingName(sampling);
    if (activationMse)
        os << " activations=mse";
    if (!dataset.empty())
        os << " dataset=" << dataset;
    return os.str();
}

std::string supernetInfoToYaml(const SupernetInfo &info)
{
    const SupernetOptions &o = info.options;
    std::ostringstream os;
    os << "bitloop_supernet: 1\n"
       << "parent_sha256: " << info.parentSha256 << "\n"
       << "parent_file: " << y::scalar(info.parentFile) << "\n"
       << "allowed_bits: [" << bitsList(o.allowedBits) << "]\n"
       << "training: {epochs: " << o.epochs << ", steps: " << o.steps << ", batch: " << o.batchSize
       << ", lr: " << y::formatDouble(o.lr) << ", random_configs: " << o.randomConfigs
       << ", teacher: " << (o.floatTeacher ? "float" : "widest")
       << ", temperature: " << y::formatDouble(o.temperature)
       << ", distill_weight: " << y::formatDouble(o.distillWeight)
       << ", calibration_batches: " << o.calibrationBatches << ", seed: " << o.seed
       << ", train_limit: " << o.trainLimit << (o.dataset.empty() ? "" : ", dataset: " + y::scalar(o.dataset))
       << ", weight_scale: " << weightScaleName(o.weightScale)
       << ", image_input: " << (o.quantizePixels ? "pixels" : "normalized")
       << ", sampling: " << supernetSamplingName(o.sampling)
       << ", activation_scale: " << activationScaleName(o.activationMse) << "}\n"
       << "steps_done: " << info.steps << "\n"
       << "train_seconds: " << y::formatDouble(info.trainSeconds) << "\n"
       << "widest_accuracy: " << y::formatDouble(info.widestAccuracy) << "\n"
       << "narrowest_accuracy: " << y::formatDouble(info.narrowestAccuracy) << "\n"
       << "network: |\n"
       << y::indentBlock(networkToYaml(info.network));
    return os.str();
}

SupernetInfo parseSupernetInfo(const std::string &yaml, const std::string &file)
{
    const YAML::Node root = y::loadString(yaml, file);
    const y::Where w{file, "supernet info"};
    y::expectMap(w, root, "the supernet info");
    SupernetInfo info;
    info.parentSha256 = y::requireString(w, root, "parent_sha256");
    info.parentFile = y::requireString(w, root, "parent_file");
    SupernetOptions &o = info.options;
    o.allowedBits.clear();
    for (const YAML::Node &n : y::toList(w, y::require(w, root, "allowed_bits", "a list"), "allowed_bits"))
        o.allowedBits.push_back(static_cast<int>(y::toInt(w, n, "allowed_bits", y::Sign::Positive)));
    const YAML::Node t = y::require(w, root, "training", "a mapping");
    o.epochs = static_cast<int>(y::requireInt(w, t, "epochs", y::Sign::NonNegative));
    o.steps = y::requireInt(w, t, "steps", y::Sign::NonNegative);
    o.batchSize = static_cast<int>(y::requireInt(w, t, "batch", y::Sign::Positive));
    o.lr = y::requireDouble(w, t, "lr", y::Sign::Positive);
    o.randomConfigs = static_cast<int>(y::requireInt(w, t, "random_configs", y::Sign::NonNegative));
    o.floatTeacher = y::requireString(w, t, "teacher") == "float";
    o.temperature = y::requireDouble(w, t, "temperature", y::Sign::Positive);
    o.distillWeight = y::requireDouble(w, t, "distill_weight", y::Sign::NonNegative);
    o.calibrationBatches = static_cast<int>(y::requireInt(w, t, "calibration_batches", y::Sign::Positive));
    o.seed = static_cast<uint64_t>(y::requireInt(w, t, "seed", y::Sign::NonNegative));
    o.trainLimit = y::requireInt(w, t, "train_limit", y::Sign::Any);
    o.dataset = y::optionalString(w, t, "dataset").value_or("");
    // Absent in files written before the choice existed, which all scaled by the maximum.
    try {
        o.weightScale = parseWeightScale(y::optionalString(w, t, "weight_scale").value_or("max"));
        const std::string image = y::optionalString(w, t, "image_input").value_or("normalized");
        if (image != "pixels" && image != "normalized")
            throw std::invalid_argument("image_input: expected pixels or normalized, got " + echo(image));
        o.quantizePixels = image == "pixels";
        o.sampling = parseSupernetSampling(y::optionalString(w, t, "sampling").value_or("per-layer"));
        o.activationMse = parseActivationScale(y::optionalString(w, t, "activation_scale").value_or("auto"));
        o.check();
    } catch (const std::invalid_argument &e) {
        throw InputError(file, 0, std::string("supernet info: ") + e.what());
    }
    info.steps = y::requireInt(w, root, "steps_done", y::Sign::NonNegative);
    info.trainSeconds = y::requireDouble(w, root, "train_seconds", y::Sign::NonNegative);
    info.widestAccuracy = y::requireDouble(w, root, "widest_accuracy", y::Sign::Any);
    info.narrowestAccuracy = y::requireDouble(w, root, "narrowest_accuracy", y::Sign::Any);
    info.network = parseNetworkYaml(y::requireString(w, root, "network"), file);
    return info;
}

std::string defaultSupernetPath(const std::string &checkpoint)
{
    const std::string ext = ".pt";
    if (checkpoint.size() > ext.size() &&
        checkpoint.compare(checkpoint.size() - ext.size(), ext.size(), ext) == 0)
        return checkpoint.substr(0, checkpoint.size() - ext.size()) + ".supernet.pt";
    return checkpoint + ".supernet.pt";
}

} // namespace bitloop::qat
