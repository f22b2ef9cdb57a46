#include "search_setup.h"

#include "inputs.h"
#include "mapper_options.h"
#include "qat_options.h"

#include "accuracy/accuracy_cache.h"
#include "io/mapping_io.h"
#include "io/network_yaml.h"
#include "io/yaml_util.h"
#include "search/run_dir.h"
#include "util/error.h"
#include "workload/builtin_match.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace bitloop::cli
{

namespace fs = std::filesystem;
using namespace search;

namespace
{

// The hardware side's network: a built-in MobileNet with the accuracy side's channels and classes at the
// deployment resolution (224 unless --resolution; standard strides), or a network file.
Network hardwareNetwork(const Args &args, const Network *accuracySide, std::string &resolution)
{
    MobileNetOptions opt;
    opt.widthMultiplier = numberOption(args, "width", 1.0, 1e-3, 16.0);
    opt.resolution = static_cast<int>(args.integer("resolution", 8, 4096).value_or(224));
    if (accuracySide) {
        const Layer &first = accuracySide->layers.front(), &last = accuracySide->layers.back();
        opt.inputChannels = static_cast<int>(first.shape.bound(Dim::C) * first.shape.bound(Dim::G));
        opt.numClasses = static_cast<int>(last.shape.bound(Dim::M) * last.shape.bound(Dim::G));
    }
    // Without a checkpoint the classifier's size is the user's to say (1000, ImageNet's, by default).
    if (auto c = args.integer("classes", 1, 1000000))
        opt.numClasses = static_cast<int>(*c);
    Network probe;
    resolution = builtinNetwork(args.require("network"), opt, probe)
                     ? std::to_string(opt.resolution) + "x" + std::to_string(opt.resolution)
                     : "the file's resolution";
    return loadNetwork(args.require("network"), opt);
}

// Layer i of the accuracy side must be layer i of the hardware side: the same channels, groups and kernel
// (the spatial size may differ: one is at the dataset's resolution, the other at the deployment one).
void checkSameLayers(const Network &hw, const Network &acc, const std::string &checkpoint)
{
    const std::optional<ShapeDifference> diff = firstShapeDifference(hw, acc);
    if (!diff)
        return;
    if (!diff->dim)
        throw InputError(checkpoint, 0,
                         "its network has " + std::to_string(acc.layers.size()) + " layers, " + hw.name +
                             " has " + std::to_string(hw.layers.size()) +
                             " (--network and --width must match it)");
    const size_t i = diff->layer;
    const Dim d = *diff->dim;
    throw InputError(checkpoint, 0,
                     "layer " + std::to_string(i + 1) + " '" + acc.layers[i].name + "' has " +
                         std::string(1, dimLetter(d)) + " = " + std::to_string(acc.layers[i].shape.bound(d)) +
                         " in the checkpoint's network but " + std::to_string(hw.layers[i].shape.bound(d)) +
                         " in " + hw.name + " (--network and --width must match it)");
}

} // namespace

std::vector<int> parseIntList(const std::string &text, const std::string &what)
{
    std::vector<int> out;
    std::stringstream ss(text);
    for (std::string tok; std::getline(ss, tok, ',');) {
        try {
            size_t used = 0;
            out.push_back(std::stoi(tok, &used));
            if (used != tok.size())
                throw std::invalid_argument(tok);
        } catch (const std::exception &) {
            throw UsageError(what + ": '" + tok + "' is not an integer");
        }
    }
    return out;
}

std::map<int, LayerBits> parsePins(const Args &args, int layers, const std::string &network)
{
    std::map<int, LayerBits> pins;
    for (const std::string &pin : args.all("pin")) {
        std::string t = pin;
        std::replace(t.begin(), t.end(), ':', ',');
        const std::vector<int> v = parseIntList(t, "--pin " + pin);
        if (v.size() != 3)
            throw UsageError("--pin " + pin + ": expected LAYER:WEIGHT_BITS:ACTIVATION_BITS");
        if (v[0] < 1 || v[0] > layers)
            throw UsageError("--pin " + pin + ": no layer " + std::to_string(v[0]) + " (" + network +
                             " has " + std::to_string(layers) + " layers, counted from 1)");
        pins[v[0] - 1] = {v[1], v[2]};
    }
    return pins;
}

std::set<std::string> searchValued()
{
    std::set<std::string> v = kEvaluatorValued;
    v.insert(kArchOptions.begin(), kArchOptions.end());
    v.insert(kMapperValued.begin(), kMapperValued.end());
    v.insert({"network",
              "width",
              "resolution",
              "checkpoint",
              "population",
              "generations",
              "out",
              "seed",
              "objectives",
              "allowed-bits",
              "pin",
              "max-error",
              "max-memory",
              "max-energy",
              "max-evaluations",
              "max-seconds",
              "stagnation",
              "torch-threads",
              "resume",
              "last-outputs",
              "pin-mapping",
              "classes",
              "warm-start",
              "allowed-weight-bits",
              "allowed-activation-bits"});
    return v;
}
std::set<std::string> searchFlags()
{
    std::set<std::string> f = kMapperFlags;
    f.insert(kEvaluatorFlags.begin(), kEvaluatorFlags.end());
    return f;
}

SearchSetup buildSearch(const Args &args, bool withCaches)
{
    SearchSetup s;
    CodesignSpec &spec = s.spec;
    spec.arch = resolveArchitecture(args);
    spec.objectives = parseObjectives(args.get("objectives").value_or("error,energy,memory"));
    if (auto m = args.get("max-error"))
        spec.maxError = numberOption(args, "max-error", 0, 0, 1);
    if (args.has("max-memory"))
        spec.maxMemoryBytes = numberOption(args, "max-memory", 0, 1, 1e15);
    if (args.has("max-energy"))
        spec.maxEnergyUj = numberOption(args, "max-energy", 0, 1e-12, 1e15);
    if (auto a = args.get("allowed-bits"))
        spec.allowedBits = parseIntList(*a, "--allowed-bits");
    // An empty list here would silently mean --allowed-bits.
    for (const auto &[name, set] : {std::pair{"allowed-weight-bits", &spec.allowedWeightBits},
                                    std::pair{"allowed-activation-bits", &spec.allowedActivationBits}})
        if (auto a = args.get(name)) {
            *set = parseIntList(*a, std::string("--") + name);
            if (set->empty())
                throw UsageError(std::string("--") + name + ": give at least one width, e.g. 4,8");
        }
    spec.lastOutputBits = static_cast<int>(args.integer("last-outputs", 1, 32).value_or(8));
    spec.mapper = resolveMapperOptions(args);
    spec.mapperThreads = spec.mapper.threads;

    std::unique_ptr<qat::CheckpointInfo> info;
    if (spec.needsAccuracy()) {
        const std::string checkpoint =
            args.has("checkpoint") ? args.require("checkpoint")
                                   : throw UsageError("the error objective or --max-error needs --checkpoint "
                                                      "FILE (a baseline written by bitloop-cli train)");
        info = std::make_unique<qat::CheckpointInfo>(qat::readCheckpointInfo(checkpoint));
        spec.network = hardwareNetwork(args, &info->network, s.hardwareResolution);
        checkSameLayers(spec.network, info->network, checkpoint);
        qat::EvaluatorOptions options = resolveEvaluatorOptions(args, "torch-threads");
        const std::string cacheDir = args.get("cache-dir").value_or(defaultCacheDir());
        const bool cached = withCaches && !args.flag("no-cache");
        // Fine-tuning states on every rank, MPI's answering ranks too: they are not the caches (rank 0's) but
        // a long fine-tuning's progress, which a killed job would otherwise lose; each question is one
        // rank's at a time, and a resumed run finds the state wherever the directory is shared.
        if (!args.flag("no-cache"))
            keepTrainingStates(options, cacheDir);
        std::unique_ptr<AccuracyEvaluator> ev = qat::openEvaluator(checkpoint, options);
        if (cached)
            ev = std::make_unique<CachedEvaluator>(std::move(ev), std::make_shared<AccuracyCache>(cacheDir));
        s.accuracy = std::move(ev);
        s.accuracyResolution = std::to_string(info->imageHeight) + "x" + std::to_string(info->imageWidth);
    } else {
        spec.network = hardwareNetwork(args, nullptr, s.hardwareResolution);
    }
    const int layers = static_cast<int>(spec.network.layers.size());
    spec.pinnedBits = parsePins(args, layers, spec.network.name);
    for (const std::string &pin : args.all("pin-mapping")) {
        const size_t colon = pin.find(':');
        int layer = 0;
        try {
            layer = colon == std::string::npos ? 0 : std::stoi(pin.substr(0, colon));
        } catch (const std::exception &) {
        }
        if (colon == std::string::npos || layer < 1 || layer > layers)
            throw UsageError("--pin-mapping " + pin + ": expected LAYER:FILE with LAYER in 1.." +
                             std::to_string(layers));
        const std::string file = pin.substr(colon + 1);
        spec.pinnedMappings[layer - 1] = parseBitloopMapping(yamlutil::loadFile(file), file, spec.arch);
    }
    if (withCaches)
        s.cache = std::shared_ptr<MapperCache>(openCache(args));

    Settings &st = s.settings;
    st.populationSize = static_cast<int>(args.integer("population", 1, 100000).value_or(40));
    if (st.populationSize < 2)
        throw UsageError("--population must be at least 2 (NSGA-II breeds pairs)");
    // Checked here, before a run directory exists: the first population holds every uniform configuration.
    const auto uniform = search::uniformWidths(spec.weightBits(), spec.activationBits());
    if (size_t(st.populationSize) < uniform.size()) {
        std::string list;
        for (const LayerBits &u : uniform)
            list +=
                (list.empty() ? "" : ", ") + std::to_string(u.weights) + "/" + std::to_string(u.activations);
        throw UsageError(
            "--population " + std::to_string(st.populationSize) + " is smaller than the " +
            std::to_string(uniform.size()) + " uniform configurations every search starts from (" + list +
            "); give --population " + std::to_string(uniform.size()) + " or more, or fewer allowed bits");
    }
    st.maxGenerations = static_cast<int>(args.integer("generations", 0, 1000000).value_or(20));
    st.seed = static_cast<uint64_t>(args.integer("seed", 0, INT64_MAX).value_or(1));
    st.maxEvaluations = args.integer("max-evaluations", 0, INT64_MAX).value_or(0);
    st.maxSeconds = numberOption(args, "max-seconds", 0, 0, 1e9);
    st.stagnationWindow = static_cast<int>(args.integer("stagnation", 0, 1000000).value_or(0));
    if (st.maxGenerations == 0 && st.maxEvaluations == 0 && st.maxSeconds == 0 && st.stagnationWindow == 0)
        throw UsageError("give a limit: --generations, --max-evaluations, --max-seconds or --stagnation");
    return s;
}

std::string settingsYaml(const std::vector<std::string> &argv, const SearchSetup &s)
{
    std::ostringstream os;
    os << "# bitloop-cli search: what this run was asked to do. --resume reads `arguments`.\n"
       << "bitloop_search: 1\narguments: [";
    for (size_t i = 0; i < argv.size(); ++i)
        os << (i ? ", " : "") << "\"" << argv[i] << "\"";
    os << "]\narchitecture: " << yamlutil::scalar(s.spec.arch.name)
       << "\nnetwork: " << yamlutil::scalar(s.spec.network.name)
       << "\nhardware_resolution: " << yamlutil::scalar(s.hardwareResolution) << "\n";
    if (!s.accuracyResolution.empty())
        os << "accuracy_resolution: " << s.accuracyResolution << "\nevaluator: \""
           << s.accuracy->settings().describe() << "\"\n";
    os << "objectives: [";
    for (size_t i = 0; i < s.spec.objectives.size(); ++i)
        os << (i ? ", " : "") << objectiveName(s.spec.objectives[i]);
    os << "]\npopulation: " << s.settings.populationSize << "\nseed: " << s.settings.seed << "\n";
    return os.str();
}

// Arguments of a run to resume: those it was started with, then the limits given now.
std::vector<std::string> resumeArguments(const std::vector<std::string> &now, const std::string &dir)
{
    // Read without opening the run: a mistyped directory must not be created.
    const std::vector<std::string> args =
        search::readRunArguments((fs::path(dir) / "settings.yaml").string());
    // What may change on resume: the limits, and what does not change any answer.
    static const std::set<std::string> limits = {"--generations", "--max-evaluations", "--max-seconds",
                                                 "--stagnation",  "--threads",         "--torch-threads",
                                                 "--cache-dir"};
    std::vector<std::string> out;
    for (size_t i = 0; i < args.size(); ++i) {
        const bool isLimit = limits.count(args[i]) > 0;
        const bool overridden = isLimit && std::find(now.begin(), now.end(), args[i]) != now.end();
        if (overridden) {
            ++i; // skip its value
            continue;
        }
        out.push_back(args[i]);
    }
    for (size_t i = 0; i < now.size(); ++i) {
        if (now[i] == "--resume") {
            ++i;
            continue;
        }
        if (!limits.count(now[i]))
            throw UsageError(
                "--resume continues the run as it was set up; only the limits (--generations, "
                "--max-evaluations, --max-seconds, --stagnation), --threads, --torch-threads and "
                "--cache-dir may be given with it, not " +
                now[i]);
        out.push_back(now[i]);
        if (i + 1 < now.size())
            out.push_back(now[++i]);
    }
    return out;
}

} // namespace bitloop::cli
