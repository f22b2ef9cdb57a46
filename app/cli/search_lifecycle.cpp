#include "search_lifecycle.h"

#include "io/yaml_util.h"
#include "search/configuration.h"
#include "util/error.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace bitloop::cli
{

bool launchedAsMpiJob()
{
    for (const char *v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
        if (std::getenv(v))
            return true;
    return false;
}

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
    if (open)
        openRunDirectory(s);
    return s;
}

void openRunDirectory(OpenedSearch &s)
{
    s.run = std::make_unique<search::RunDirectory>(s.dir);
    s.resuming = s.run->checkpoint().has_value();
    if (!s.run->hasSettings())
        s.run->writeSettings(settingsYaml(s.arguments, *s.setup));
}

search::RunOutcome
runOpenedSearch(OpenedSearch &s, const search::CodesignRun::GenerationFn &onGeneration,
                const std::function<void(const std::vector<search::EvaluatedIndividual> &)> &onBatch,
                const std::atomic<bool> *cancel, search::CandidateEvaluator *evaluator)
{
    search::CodesignRun run(*s.problem, s.setup->settings, *s.run, cancel);
    if (evaluator)
        run.setEvaluator(*evaluator);
    run.onBatch = onBatch;
    const search::RunOutcome out = run.run(onGeneration, cancel);
    yamlutil::writeFileAtomically(s.run->file("front.json"), search::frontJson(s.setup->spec, run.front()));
    return out;
}

} // namespace bitloop::cli
