#include "mapper/search.h"

#include "mapper/walker.h"
#include "util/parallel_for.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <thread>

namespace bitloop
{

const char *metricName(Metric m)
{
    switch (m) {
    case Metric::Energy:
        return "energy";
    case Metric::Delay:
        return "delay";
    case Metric::Edp:
        return "edp";
    }
    return "?";
}

bool metricFromName(const std::string &name, Metric &out)
{
    for (Metric m : {Metric::Energy, Metric::Delay, Metric::Edp})
        if (name == metricName(m)) {
            out = m;
            return true;
        }
    return false;
}

bool strategyFromName(const std::string &name, Strategy &out)
{
    for (Strategy s : {Strategy::Auto, Strategy::Exhaustive, Strategy::Sampled})
        if (name == strategyName(s)) {
            out = s;
            return true;
        }
    return false;
}

const char *strategyName(Strategy s)
{
    switch (s) {
    case Strategy::Auto:
        return "auto";
    case Strategy::Exhaustive:
        return "exhaustive";
    case Strategy::Sampled:
        return "sampled";
    }
    return "?";
}

double metricValue(Metric m, const Evaluation &e)
{
    switch (m) {
    case Metric::Energy:
        return e.energy;
    case Metric::Delay:
        return double(e.cycles);
    case Metric::Edp:
        return e.edp();
    }
    return e.energy;
}

namespace
{

using Clock = std::chrono::steady_clock;

int resolveThreads(int requested)
{
    if (requested > 0)
        return requested;
    const unsigned hw = std::thread::hardware_concurrency();
    return hw > 0 ? static_cast<int>(hw) : 1;
}

} // namespace

MapperResult findBestMapping(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
                             const MapperOptions &opt)
{
    const auto t0 = Clock::now();
    MapperResult result;
    // The search-only constraints of the presets come from the reference study, which modelled depthwise
    // layers as dense ones; where they cannot hold for a layer (C = 1), the hardware constraints alone
    // define the space, and the result says so.
    std::unique_ptr<Mapspace> built;
    try {
        built = std::make_unique<Mapspace>(shape, arch, opt.space);
    } catch (const std::invalid_argument &e) {
        if (!opt.space.searchConstraints)
            throw;
        MapspaceOptions relaxed = opt.space;
        relaxed.searchConstraints = false;
        built = std::make_unique<Mapspace>(shape, arch, relaxed);
        result.note = std::string("search constraints dropped for this layer: ") + e.what();
    }
    const Mapspace &space = *built;
    if (!space.droppedFactors().empty()) {
        std::string list;
        for (const std::string &f : space.droppedFactors())
            list += (list.empty() ? "" : ", ") + f;
        result.note = "search constraints that cannot hold for this layer were dropped: " + list;
    }
    result.spaceSize = space.factorizationCount();
    const auto configs = space.keepConfigurations();
    const int threads = resolveThreads(opt.threads);

    Strategy strategy = opt.strategy;
    if (strategy == Strategy::Auto) {
        // Walk when the space is small enough: a pruned walk's cost follows the factorizations (the bound
        // skips most of their loop orders), a counting walk's the loop nests, which are counted first
        // (counting costs little next to evaluating) when their upper bound is over the limit.
        double evaluations = 0;
        const double size =
            opt.countValid ? space.loopNestBound() : space.factorizationCount() * configs.size();
        if (size > opt.exhaustiveLimit)
            for (const auto &config : configs) {
                Walker w(space, bits, opt, config);
                evaluations += w.countEvaluations(opt.exhaustiveLimit - evaluations);
                if (evaluations > opt.exhaustiveLimit)
                    break;
            }
        strategy = evaluations <= opt.exhaustiveLimit ? Strategy::Exhaustive : Strategy::Sampled;
    }
    result.strategy = strategy;

    // Work is cut into tasks that threads take in any order; each task keeps its own best and the results
    // are combined in task order with a total tie-break, so any thread count gives the same answer.
    struct Task {
        size_t config = 0;
        Partial partial;
        double bound = 0;                      // Exhaustive with pruning: the prefix's lower bound
        uint64_t firstSample = 0, samples = 0; // Sampled
    };
    std::vector<Task> tasks;
    const bool prune = strategy == Strategy::Exhaustive && !opt.countValid;
    Incumbent incumbent;
    std::atomic<int64_t> pruned{0};
    int64_t diveVisited = 0;
    if (strategy == Strategy::Exhaustive) {
        for (size_t c = 0; c < configs.size(); ++c) {
            Walker w(space, bits, opt, configs[c]);
            size_t cut = 0;
            std::vector<Partial> prefixes;
            while (true) {
                prefixes.clear();
                Partial p = w.start();
                w.walk(p, cut, [&](const Partial &q) { prefixes.push_back(q); });
                if (prefixes.size() >= size_t(64) * size_t(threads) || cut >= w.numSteps())
                    break;
                ++cut;
            }
            for (Partial &p : prefixes) {
                const double bound = prune ? w.bound(p) : 0.0;
                tasks.push_back({c, std::move(p), bound, 0, 0});
            }
            if (prune) { // a first incumbent: the hints that lie in this space, then a beam dive
                w.pruneAgainst(&incumbent);
                Candidate seed;
                for (const Mapping &hint : opt.hints)
                    w.seed(hint, seed, diveVisited);
                w.dive(64, seed, diveVisited);
            }
        }
        // Most promising first, so that a good incumbent prunes the rest early. Which mapping wins does not
        // depend on this order: results are combined with a total tie-break.
        std::stable_sort(tasks.begin(), tasks.end(),
                         [](const Task &x, const Task &y) { return x.bound < y.bound; });
    } else {
        const uint64_t chunk = 4096;
        for (uint64_t first = 0; first < uint64_t(opt.sampleBudget); first += chunk)
            tasks.push_back(
                {0, Partial{}, 0, first, std::min<uint64_t>(chunk, uint64_t(opt.sampleBudget) - first)});
    }

    std::atomic<size_t> done{0};
    std::vector<Candidate> bestPerTask(tasks.size());
    std::vector<int64_t> validPerTask(tasks.size(), 0), visitedPerTask(tasks.size(), 0);
    std::atomic<bool> cancelled{false};
    // Each thread's walkers, made on its first task.
    std::vector<std::vector<std::unique_ptr<Walker>>> walkers(static_cast<size_t>(std::max(threads, 1)));
    auto runTask = [&](size_t i, int thread) {
        std::vector<std::unique_ptr<Walker>> &local = walkers[static_cast<size_t>(thread)];
        if (local.empty())
            for (size_t c = 0; c < configs.size(); ++c) {
                local.push_back(std::make_unique<Walker>(space, bits, opt, configs[c]));
                if (prune)
                    local.back()->pruneAgainst(&incumbent);
            }
        if (strategy == Strategy::Exhaustive) {
            Partial p = tasks[i].partial;
            Walker &w = *local[tasks[i].config];
            w.walk(p, w.numSteps(), [&](const Partial &leaf) {
                w.evaluateOrders(leaf, bestPerTask[i], validPerTask[i], visitedPerTask[i]);
            });
        } else {
            // Each chunk of draws has its own seed, so the draws do not depend on the thread count.
            std::mt19937_64 rng(opt.seed * 0x9E3779B97F4A7C15ULL + tasks[i].firstSample);
            Partial p;
            std::vector<size_t> pick;
            for (uint64_t n = 0; n < tasks[i].samples; ++n) {
                const size_t c = std::uniform_int_distribution<size_t>(0, configs.size() - 1)(rng);
                if (local[c]->sample(rng, p, pick))
                    local[c]->consider(p, local[c]->orderChoices(p), pick, bestPerTask[i], validPerTask[i],
                                       visitedPerTask[i]);
                else
                    ++visitedPerTask[i];
            }
        }
        const size_t d = done.fetch_add(1) + 1;
        if (opt.progress)
            opt.progress(double(d) / double(tasks.size()));
    };
    parallelFor(tasks.size(), threads, runTask, [&] {
        if (opt.cancel && opt.cancel->load())
            cancelled = true;
        return cancelled.load();
    });
    for (const auto &local : walkers)
        for (const auto &w : local)
            pruned += w->pruned();

    Candidate best;
    for (size_t i = 0; i < tasks.size(); ++i) {
        result.validMappings += validPerTask[i];
        result.visited += visitedPerTask[i];
        if (better(bestPerTask[i], best))
            best = std::move(bestPerTask[i]);
    }
    result.pruned = pruned.load();
    result.visited += diveVisited;
    if (prune) // a pruned walk does not see every valid mapping
        result.validMappings = -1;
    result.cancelled = cancelled.load();
    result.found = best.found;
    if (best.found) {
        result.mapping = best.mapping;
        result.evaluation = evaluate(shape, arch, best.mapping, bits, opt.model);
    }
    result.optimal = best.found && !result.cancelled && strategy == Strategy::Exhaustive;
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

} // namespace bitloop
