#include "search_lifecycle.h"

#include "io/yaml_util.h"
#include "qat/data/datasets.h"
#include "search/configuration.h"
#include "search/warm_start.h"
#include "util/error.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace bitloop::cli
{

bool launchedAsMpiJob()
{
    for (const char *v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
        if (std::getenv(v))
            return true;
    return false;
}

namespace
{

// A relative path recorded as given ties the run to the folder it was started in: --resume, the explorer's
// Open run and tests/bench_headline.py from anywhere else would not find its checkpoint. Files that exist
// are recorded absolute; names (a preset, a built-in network, a dataset) are left alone, as is --out (the
// run is found by its directory). Only the record: this process, and an MPI job's workers (each in its own
// working directory), read the paths as given.
std::vector<std::string> absolutePaths(std::vector<std::string> args)
{
    namespace fs = std::filesystem;
    static const std::set<std::string> files = {"checkpoint", "supernet", "ert", "constraints", "warm-start"};
    static const std::set<std::string> namesOrFiles = {"arch", "network", "dataset"};
    auto existingAbsolute = [](const std::string &value) {
        const fs::path p(value);
        std::error_code ec;
        if (value.empty() || p.is_absolute() || !fs::exists(p, ec))
            return value;
        const fs::path abs = fs::absolute(p, ec);
        return ec ? value : abs.lexically_normal().string();
    };
    auto absolute = [&](const std::string &key, const std::string &value) {
        const std::string ext = fs::path(value).extension().string();
        const bool path = files.count(key) || value.find('/') != std::string::npos || ext == ".yaml" ||
                          ext == ".yml" || ext == ".onnx";
        return path ? existingAbsolute(value) : value;
    };
    // --dataset KIND:DIR[:HxW]: the folder is the part that is a path.
    auto dataset = [&](const std::string &value) {
        const DatasetSpecParts d = splitDatasetSpec(value);
        return d.hasDir ? d.kind + ":" + existingAbsolute(d.dir) + d.size : absolute("dataset", value);
    };
    auto recorded = [&](const std::string &key, const std::string &value) {
        return key == "dataset" ? dataset(value) : absolute(key, value);
    };
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string &a = args[i];
        if (a.rfind("--", 0) != 0)
            continue;
        const size_t eq = a.find('=');
        const std::string key = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
        if (!files.count(key) && !namesOrFiles.count(key))
            continue;
        if (eq != std::string::npos)
            args[i] = a.substr(0, eq + 1) + recorded(key, a.substr(eq + 1));
        else if (i + 1 < args.size()) {
            args[i + 1] = recorded(key, args[i + 1]);
            ++i;
        }
    }
    return args;
}

// --warm-start DIR's seeds, read from that run (not from settings.yaml's summary: from its individuals).
void readWarmStart(OpenedSearch &s)
{
    s.warmStartRead = true;
    const Args args(s.arguments, searchValued(), searchFlags());
    const auto source = args.get("warm-start");
    if (!source)
        return;
    namespace fs = std::filesystem;
    std::error_code e1, e2;
    if (fs::weakly_canonical(*source, e1) == fs::weakly_canonical(s.dir, e2) && !e1 && !e2)
        throw UsageError("--warm-start " + *source + " is the run's own directory; --resume continues a run");
    std::unique_ptr<search::RunDirectory> earlier;
    try {
        earlier = search::RunDirectory::openToRead(*source);
    } catch (const InputError &) {
        throw;
    } catch (const std::runtime_error &e) { // no run.sqlite there, or not a database
        throw UsageError("--warm-start " + *source + ": " + e.what());
    }
    const std::vector<std::vector<double>> uniform = s.problem->uniformSeeds();
    const size_t room = static_cast<size_t>(s.setup->settings.populationSize) -
                        std::min(uniform.size(), static_cast<size_t>(s.setup->settings.populationSize));
    s.warmStart = search::warmStartSeeds(*s.problem, earlier->individuals(), room, uniform, *source);
}

} // namespace

std::vector<std::string> searchArguments(const std::vector<std::string> &given, std::string &dir,
                                         bool &resume)
{
    const Args peek(given, searchValued(), searchFlags());
    resume = false;
    if (auto r = peek.get("resume")) {
        dir = *r;
        resume = true;
        return resumeArguments(given, dir);
    }
    dir = peek.require("out");
    return given;
}

OpenedSearch openSearch(const std::vector<std::string> &given, const std::string &whenTaken, bool open)
{
    OpenedSearch s;
    bool askedToResume = false;
    s.arguments = searchArguments(given, s.dir, askedToResume);
    const Args args(s.arguments, searchValued(), searchFlags());
    s.setup = std::make_shared<SearchSetup>(buildSearch(args));
    s.problem = std::make_shared<search::CodesignProblem>(s.setup->spec, s.setup->accuracy, s.setup->cache);
    // A fresh run into a directory that has one would mix two searches in one database.
    if (!askedToResume && std::filesystem::exists(std::filesystem::path(s.dir) / "settings.yaml"))
        throw UsageError(s.dir + " already holds a search; " + whenTaken);
    if (!askedToResume)
        readWarmStart(s);
    if (open)
        openRunDirectory(s);
    return s;
}

void openRunDirectory(OpenedSearch &s)
{
    s.run = std::make_unique<search::RunDirectory>(s.dir);
    s.resuming = s.run->checkpoint().has_value();
    if (!s.resuming && !s.warmStartRead) // resumed before its first generation: it starts afresh
        readWarmStart(s);
    if (!s.run->hasSettings())
        s.run->writeSettings(settingsYaml(absolutePaths(s.arguments), *s.setup));
}

search::RunOutcome
runOpenedSearch(OpenedSearch &s, const search::CodesignRun::GenerationFn &onGeneration,
                const std::function<void(const std::vector<search::EvaluatedIndividual> &)> &onBatch,
                const std::atomic<bool> *cancel, search::CandidateEvaluator *evaluator)
{
    search::CodesignRun run(*s.problem, s.setup->settings, *s.run, cancel, s.warmStart);
    if (evaluator)
        run.setEvaluator(*evaluator);
    run.onBatch = onBatch;
    const search::RunOutcome out = run.run(onGeneration, cancel);
    yamlutil::writeFileAtomically(s.run->file("front.json"), search::frontJson(s.setup->spec, run.front()));
    return out;
}

} // namespace bitloop::cli
