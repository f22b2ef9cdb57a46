#include "mapper/search.h"

#include "mapper/walker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
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

std::vector<std::vector<std::array<bool, kNumTensors>>> keepConfigurations(const Mapspace &space)
{
    std::vector<std::vector<std::array<bool, kNumTensors>>> configs{{}};
    for (int l = 0; l < space.numLevels(); ++l) {
        std::vector<std::vector<std::array<bool, kNumTensors>>> next;
        for (const auto &c : configs)
            for (const auto &o : space.keepOptions(l)) {
                auto n = c;
                n.push_back(o);
                next.push_back(std::move(n));
            }
        configs = std::move(next);
    }
    return configs;
}

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
    const auto configs = keepConfigurations(space);
    const int threads = resolveThreads(opt.threads);

    Strategy strategy = opt.strategy;
    if (strategy == Strategy::Auto) {
        // Walk when the pruned space is small enough: counting it costs little next to evaluating it.
        double evaluations = 0;
        if (space.loopNestBound() > opt.exhaustiveLimit)
            for (const auto &config : configs) {
                Walker w(space, bits, opt, config);
                evaluations += w.countEvaluations(opt.exhaustiveLimit - evaluations);
                if (evaluations > opt.exhaustiveLimit)
                    break;
            }
        strategy = evaluations <= opt.exhaustiveLimit ? Strategy::Exhaustive : Strategy::Sampled;
    }
    result.strategy = strategy;

    // Work is cut into tasks (the same tasks for any thread count) that threads take in any order; each
    // task keeps its own best and the results are combined with a total order (better()), so any thread
    // count gives the same answer.
    //
    // Branch and bound: tasks start in order of their lower bound (most promising first) and run in waves;
    // every task of a wave prunes against the best of the waves before it (and its own finds), never against
    // a concurrent task's, so what is visited does not depend on the threads either. A subtree is cut only
    // when its bound is above a mapping already found, and ties are never cut: the answer is the exhaustive
    // walk's. Counting every valid mapping needs every subtree, so countValid walks without pruning.
    struct Task {
        size_t config = 0;
        Partial partial;
        uint64_t firstSample = 0, samples = 0; // Sampled
        double bound = 0;
    };
    const bool prune = strategy == Strategy::Exhaustive && !opt.countValid;
    std::vector<Task> tasks;
    if (strategy == Strategy::Exhaustive) {
        const size_t kTasks = 256;
        for (size_t c = 0; c < configs.size(); ++c) {
            Walker w(space, bits, opt, configs[c]);
            size_t cut = 0;
            std::vector<Partial> prefixes;
            while (true) {
                prefixes.clear();
                Partial p = w.start();
                w.walk(p, cut, [&](const Partial &q) { prefixes.push_back(q); });
                if (prefixes.size() >= kTasks || cut >= w.numSteps())
                    break;
                ++cut;
            }
            for (Partial &p : prefixes) {
                const double bound = prune ? w.lowerBound(p) : 0;
                tasks.push_back({c, std::move(p), 0, 0, bound});
            }
        }
        if (prune)
            std::stable_sort(tasks.begin(), tasks.end(),
                             [](const Task &a, const Task &b) { return a.bound < b.bound; });
    } else {
        const uint64_t chunk = 4096;
        for (uint64_t first = 0; first < uint64_t(opt.sampleBudget); first += chunk)
            tasks.push_back(
                {0, Partial{}, first, std::min<uint64_t>(chunk, uint64_t(opt.sampleBudget) - first), 0});
    }

    std::atomic<size_t> done{0};
    std::vector<Candidate> bestPerTask(tasks.size());
    std::vector<WalkCounts> countsPerTask(tasks.size());
    std::atomic<bool> cancelled{false};
    std::vector<std::vector<std::unique_ptr<Walker>>> walkers(static_cast<size_t>(threads));
    for (auto &local : walkers)
        for (size_t c = 0; c < configs.size(); ++c)
            local.push_back(std::make_unique<Walker>(space, bits, opt, configs[c]));
    double incumbent = std::numeric_limits<double>::infinity();
    size_t waveBegin = 0, waveSize = prune ? 4 : tasks.size();
    while (waveBegin < tasks.size() && !cancelled.load()) {
        const size_t waveEnd = std::min(tasks.size(), waveBegin + waveSize);
        std::atomic<size_t> next{waveBegin};
        auto worker = [&](std::vector<std::unique_ptr<Walker>> &local) {
            while (true) {
                const size_t i = next.fetch_add(1);
                if (i >= waveEnd)
                    return;
                if (opt.cancel && opt.cancel->load()) {
                    cancelled = true;
                    return;
                }
                if (strategy == Strategy::Exhaustive) {
                    Partial p = tasks[i].partial;
                    Walker &w = *local[tasks[i].config];
                    w.setIncumbent(incumbent, prune);
                    if (!prune || !(tasks[i].bound * (1 - 1e-9) > incumbent))
                        w.walk(
                            p, w.numSteps(),
                            [&](const Partial &leaf) {
                                w.evaluateOrders(leaf, bestPerTask[i], countsPerTask[i]);
                            },
                            &countsPerTask[i]);
                    else
                        ++countsPerTask[i].pruned;
                    if (bestPerTask[i].found)
                        bestPerTask[i].code.push_back(int64_t(tasks[i].config));
                } else {
                    // Each chunk of draws has its own seed, so the draws do not depend on the thread count.
                    std::mt19937_64 rng(opt.seed * 0x9E3779B97F4A7C15ULL + tasks[i].firstSample);
                    Partial p;
                    std::vector<size_t> pick;
                    for (uint64_t n = 0; n < tasks[i].samples; ++n) {
                        const size_t c = std::uniform_int_distribution<size_t>(0, configs.size() - 1)(rng);
                        int64_t validHere = 0;
                        if (local[c]->sample(rng, p, pick))
                            local[c]->consider(p, local[c]->orderChoices(p), pick, bestPerTask[i],
                                               countsPerTask[i], validHere);
                        else
                            ++countsPerTask[i].visited;
                        countsPerTask[i].valid += validHere;
                    }
                }
                const size_t d = done.fetch_add(1) + 1;
                if (opt.progress)
                    opt.progress(double(d) / double(tasks.size()));
            }
        };
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; ++t)
            pool.emplace_back(worker, std::ref(walkers[static_cast<size_t>(t)]));
        worker(walkers[0]);
        for (std::thread &t : pool)
            t.join();
        for (size_t i = waveBegin; i < waveEnd; ++i)
            if (bestPerTask[i].found)
                incumbent = std::min(incumbent, bestPerTask[i].key);
        waveBegin = waveEnd;
        waveSize = std::min<size_t>(waveSize * 2, 64);
    }

    Candidate best;
    for (size_t i = 0; i < tasks.size(); ++i) {
        result.validMappings += countsPerTask[i].valid;
        result.visited += countsPerTask[i].visited;
        result.nodes += countsPerTask[i].nodes;
        result.pruned += countsPerTask[i].pruned;
        if (better(bestPerTask[i], best))
            best = std::move(bestPerTask[i]);
    }
    result.cancelled = cancelled.load();
    result.found = best.found;
    if (best.found) {
        result.mapping = best.mapping;
        result.evaluation = evaluate(shape, arch, best.mapping, bits, opt.model);
    }
    result.optimal = best.found && !result.cancelled && strategy == Strategy::Exhaustive;
    result.validCounted = strategy == Strategy::Exhaustive && !prune && !result.cancelled;
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

} // namespace bitloop
