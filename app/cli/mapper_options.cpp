#include "mapper_options.h"

#include "util/error.h"

#include <iostream>

#include <thread>

namespace bitloop::cli
{

const std::set<std::string> kMapperValued = {"metric",     "strategy",  "budget", "threads",
                                             "first-psum", "cache-dir", "seed"};
const std::set<std::string> kMapperFlags = {"no-cache", "no-search-constraints", "scale-mac-energy"};

ModelOptions resolveModelOptions(const Args &args)
{
    ModelOptions opt;
    if (auto rule = args.get("first-psum")) {
        if (*rule == "fork")
            opt.firstPsum = FirstPsumRule::ForkFill;
        else if (*rule == "elide")
            opt.firstPsum = FirstPsumRule::Elide;
        else
            throw UsageError("--first-psum must be 'fork' or 'elide', got '" + *rule + "'");
    }
    opt.scaleMacEnergy = args.flag("scale-mac-energy");
    return opt;
}

MapperOptions resolveMapperOptions(const Args &args)
{
    MapperOptions opt;
    opt.model = resolveModelOptions(args);
    if (auto m = args.get("metric"))
        if (!metricFromName(*m, opt.metric))
            throw UsageError("--metric must be energy, delay or edp, got '" + *m + "'");
    if (auto s = args.get("strategy")) {
        if (*s == "auto")
            opt.strategy = Strategy::Auto;
        else if (*s == "exhaustive")
            opt.strategy = Strategy::Exhaustive;
        else if (*s == "sampled")
            opt.strategy = Strategy::Sampled;
        else
            throw UsageError("--strategy must be auto, exhaustive or sampled, got '" + *s + "'");
    }
    if (auto b = args.integer("budget", 1, int64_t(1) << 40))
        opt.sampleBudget = *b;
    if (auto seed = args.integer("seed", 0, INT64_MAX))
        opt.seed = static_cast<uint64_t>(*seed);
    const int64_t cores = std::max(1u, std::thread::hardware_concurrency());
    if (auto t = args.integer("threads", 1, 4096))
        opt.threads = static_cast<int>(*t);
    else
        opt.threads = static_cast<int>(cores);
    opt.space.searchConstraints = !args.flag("no-search-constraints");
    return opt;
}

std::unique_ptr<MapperCache> openCache(const Args &args)
{
    if (args.flag("no-cache"))
        return nullptr;
    // A cache location that cannot be used (read-only, full, not a directory) costs speed, not the answer.
    try {
        return std::make_unique<MapperCache>(args.get("cache-dir").value_or(defaultCacheDir()));
    } catch (const std::runtime_error &e) {
        std::cerr << "warning: the mapper cache cannot be used, running without it: " << printable(e.what())
                  << "\n";
        return nullptr;
    }
}

} // namespace bitloop::cli
