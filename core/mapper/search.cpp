#include "mapper/search.h"

#include "model/nest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
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

// One step of the walk: choose the factor of a free slot, or check a finished level.
struct Step {
    bool check = false;
    int level = 0;
    SlotKind kind = SlotKind::Temporal;
    Dim dim = Dim::N;
    bool last = false; // the slot that takes what is left of its dimension
};

struct Candidate {
    bool found = false;
    double key = 0, energy = 0;
    int64_t cycles = 0;
    std::vector<int64_t> code; // factors and orders: a deterministic final tie-break
    Mapping mapping;
};

bool better(const Candidate &a, const Candidate &b)
{
    if (!b.found)
        return a.found;
    if (!a.found)
        return false;
    if (a.key != b.key)
        return a.key < b.key;
    if (a.energy != b.energy)
        return a.energy < b.energy;
    if (a.cycles != b.cycles)
        return a.cycles < b.cycles;
    return a.code < b.code;
}

struct Partial {
    std::vector<std::array<DimArray, kSlotKinds>> f;
    DimArray remaining;
    size_t step = 0;
};

class Walker
{
public:
    Walker(const Mapspace &space, const BitWidths &bits, const MapperOptions &opt,
           const std::vector<std::array<bool, kNumTensors>> &keep)
        : space_(space), bits_(bits), opt_(opt), keep_(keep)
    {
        const int L = space.numLevels();
        mapping_.levels.resize(static_cast<size_t>(L));
        for (int l = 0; l < L; ++l) {
            for (int k = 0; k < kSlotKinds; ++k)
                for (Dim d : kAllDims)
                    if (space.fixedFactor(l, SlotKind(k), d) == 0 && space.shape().bound(d) > 1)
                        steps_.push_back(
                            {false, l, SlotKind(k), d,
                             space.lastFreeLevel(d) == l && space.lastFreeKind(d) == SlotKind(k)});
            steps_.push_back({true, l, SlotKind::Temporal, Dim::N, false});
        }
        // The last free slot of a dimension whose bound is 1 never appears; nothing is left for it anyway.
    }

    Partial start() const
    {
        Partial p;
        const int L = space_.numLevels();
        p.f.assign(L, {});
        for (Dim d : kAllDims) {
            int64_t fixedProduct = 1;
            for (int l = 0; l < L; ++l)
                for (int k = 0; k < kSlotKinds; ++k) {
                    int64_t v = space_.fixedFactor(l, SlotKind(k), d);
                    p.f[l][k][idx(d)] = v > 0 ? v : 1;
                    if (v > 0)
                        fixedProduct *= v;
                }
            p.remaining[idx(d)] = space_.shape().bound(d) / fixedProduct;
        }
        return p;
    }

    // Expands partial walks until `stopStep` (prefix tasks) or to the leaves (visit).
    template <typename Visit> void walk(Partial &p, size_t stopStep, Visit &&visit)
    {
        if (abandon_)
            return;
        if (p.step == stopStep || p.step == steps_.size()) {
            visit(p);
            return;
        }
        const Step &s = steps_[p.step];
        if (s.check) {
            if (!levelFits(p, s.level))
                return;
            ++p.step;
            walk(p, stopStep, visit);
            --p.step;
            return;
        }
        const int64_t rem = p.remaining[idx(s.dim)];
        int64_t &slot = p.f[s.level][int(s.kind)][idx(s.dim)];
        const int64_t saved = slot;
        auto tryFactor = [&](int64_t f) {
            if (s.kind != SlotKind::Temporal &&
                spatialProduct(p, s.level, s.kind) / slot * f > fanout(s.level, s.kind))
                return;
            slot = f;
            p.remaining[idx(s.dim)] = rem / f;
            ++p.step;
            walk(p, stopStep, visit);
            --p.step;
            p.remaining[idx(s.dim)] = rem;
            slot = saved;
        };
        if (s.last) {
            tryFactor(rem);
        } else {
            for (int64_t f = 1; f <= rem; ++f)
                if (rem % f == 0)
                    tryFactor(f);
        }
    }

    size_t numSteps() const { return steps_.size(); }

    // Loop nests an exhaustive walk would evaluate (distinct orders of every factorization that fits),
    // counted without evaluating any; stops counting past `limit`.
    double countEvaluations(double limit)
    {
        double n = 0;
        abandon_ = false;
        Partial p = start();
        walk(p, steps_.size(), [&](const Partial &leaf) {
            double nests = 1;
            for (const auto *c : orderChoices(leaf))
                nests *= double(c->size());
            n += nests;
            abandon_ = n > limit;
        });
        abandon_ = false;
        return n;
    }

    // One random loop nest: a random divisor for every free slot, a random order per level. Returns false
    // when the factors already break a fan-out or a capacity (an invalid draw).
    bool sample(std::mt19937_64 &rng, Partial &p, std::vector<size_t> &pick)
    {
        // Levels are drawn innermost first; a level whose tiles or fan-out do not fit is drawn again (up
        // to a few times) before the draw is given up, so that tight buffers do not starve the sample.
        p = start();
        size_t levelBegin = 0;
        Partial saved = p;
        int retries = 0;
        for (size_t i = 0; i < steps_.size(); ++i) {
            const Step &s = steps_[i];
            if (s.check) {
                if (levelFits(p, s.level)) {
                    levelBegin = i + 1;
                    saved = p;
                    retries = 0;
                    continue;
                }
                if (++retries > 16)
                    return false;
                p = saved;
                i = levelBegin - 1; // the loop's ++i restarts this level
                if (levelBegin == 0) {
                    p = start();
                    i = static_cast<size_t>(-1);
                }
                continue;
            }
            const int64_t rem = p.remaining[idx(s.dim)];
            int64_t f = rem;
            if (!s.last) {
                divisors_.clear();
                for (int64_t x = 1; x <= rem; ++x)
                    if (rem % x == 0)
                        divisors_.push_back(x);
                f = divisors_[std::uniform_int_distribution<size_t>(0, divisors_.size() - 1)(rng)];
            }
            p.f[s.level][int(s.kind)][idx(s.dim)] = f;
            p.remaining[idx(s.dim)] = rem / f;
        }
        const auto &choices = orderChoices(p);
        pick.assign(choices.size(), 0);
        for (size_t l = 0; l < choices.size(); ++l)
            pick[l] = std::uniform_int_distribution<size_t>(0, choices[l]->size() - 1)(rng);
        return true;
    }

    // Evaluates one loop nest of a factorization, keeping it if it beats `best`. The mapspace guarantees
    // everything but capacity, so the lean half of the model is enough here.
    // `choices` are orderChoices(p), computed once per factorization by the caller.
    void consider(const Partial &p, const std::vector<const std::vector<std::vector<Dim>> *> &choices,
                  const std::vector<size_t> &pick, Candidate &best, int64_t &valid, int64_t &visited)
    {
        for (size_t l = 0; l < choices.size(); ++l) {
            LevelMapping &lm = mapping_.levels[l];
            lm.temporal = p.f[l][int(SlotKind::Temporal)];
            lm.spatialX = p.f[l][int(SlotKind::SpatialX)];
            lm.spatialY = p.f[l][int(SlotKind::SpatialY)];
            lm.keep = keep_[l];
            lm.order = (*choices[l])[pick[l]];
        }
        evaluateChecked(space_.shape(), space_.arch(), mapping_, bits_, opt_.model, eval_, false);
        ++visited;
        if (!eval_.valid)
            return;
        ++valid;
        const double key = metricValue(opt_.metric, eval_);
        if (best.found && key > best.key)
            return;
        Candidate c;
        c.found = true;
        c.key = key;
        c.energy = eval_.energy;
        c.cycles = eval_.cycles;
        c.code = encode(p, pick);
        if (better(c, best)) {
            c.mapping = mapping_;
            best = std::move(c);
        }
    }

    // The distinct loop orders each level may take under this factorization.
    const std::vector<const std::vector<std::vector<Dim>> *> &orderChoices(const Partial &p)
    {
        const int L = space_.numLevels();
        choices_.assign(L, nullptr);
        nestsPerFactorization_ = 1;
        std::array<bool, kNumTensors> keptBelow{false, false, false};
        for (int l = 0; l < L; ++l) {
            std::vector<Dim> active;
            int mask = 0;
            for (Dim d : kAllDims)
                if (p.f[l][int(SlotKind::Temporal)][idx(d)] > 1) {
                    active.push_back(d);
                    mask |= 1 << idx(d);
                }
            const int keptMask = keptBelow[0] | keptBelow[1] << 1 | keptBelow[2] << 2;
            auto key = std::make_tuple(l, mask, keptMask);
            auto it = orderCache_.find(key);
            if (it == orderCache_.end()) {
                Orders o;
                o.distinct = space_.orders(l, active, keptBelow, &o.total);
                it = orderCache_.emplace(key, std::move(o)).first;
            }
            choices_[l] = &it->second.distinct;
            nestsPerFactorization_ *= it->second.total;
            for (Tensor t : kAllTensors)
                keptBelow[idx(t)] = keptBelow[idx(t)] || keep_[l][idx(t)];
        }
        return choices_;
    }

    // Every distinct loop order of a complete factorization. Validity does not depend on the order (tiles
    // do not), so a valid factorization adds every loop nest the constraints allow to the valid count.
    void evaluateOrders(const Partial &p, Candidate &best, int64_t &valid, int64_t &visited)
    {
        const auto choices = orderChoices(p);
        const int64_t nests = nestsPerFactorization_;
        const size_t L = choices.size();
        std::vector<size_t> pick(L, 0);
        int64_t validHere = 0;
        while (true) {
            consider(p, choices, pick, best, validHere, visited);
            size_t l = 0;
            while (l < L && ++pick[l] == choices[l]->size())
                pick[l++] = 0;
            if (l == L)
                break;
        }
        if (validHere > 0)
            valid += nests;
    }

private:
    int64_t fanout(int level, SlotKind k) const
    {
        return k == SlotKind::SpatialX ? space_.arch().fanoutX(level) : space_.arch().fanoutY(level);
    }
    static int64_t spatialProduct(const Partial &p, int level, SlotKind k)
    {
        int64_t x = 1;
        for (int64_t v : p.f[level][int(k)])
            x *= v;
        return x;
    }

    bool levelFits(const Partial &p, int level) const
    {
        if (spatialProduct(p, level, SlotKind::SpatialX) > fanout(level, SlotKind::SpatialX) ||
            spatialProduct(p, level, SlotKind::SpatialY) > fanout(level, SlotKind::SpatialY))
            return false;
        const StorageLevel &spec = space_.arch().levels[level];
        if (spec.depth <= 0)
            return true;
        Extents e{1, 1, 1, 1, 1, 1, 1, 1};
        for (int l = 0; l <= level; ++l)
            for (Dim d : kAllDims)
                e[idx(d)] *= p.f[l][0][idx(d)] * p.f[l][1][idx(d)] * p.f[l][2][idx(d)];
        int64_t words = 0;
        for (Tensor t : kAllTensors)
            if (keep_[level][idx(t)]) {
                const int k = std::max(1, packingFactor(spec.wordBits, bits_.of(t)));
                words += ceilDiv(tileVolume(t, e, space_.shape()), k);
            }
        return words <= spec.depth;
    }

    std::vector<int64_t> encode(const Partial &p, const std::vector<size_t> &pick) const
    {
        std::vector<int64_t> code;
        for (const auto &lvl : p.f)
            for (const auto &k : lvl)
                code.insert(code.end(), k.begin(), k.end());
        code.insert(code.end(), pick.begin(), pick.end());
        return code;
    }

    const Mapspace &space_;
    BitWidths bits_;
    const MapperOptions &opt_;
    std::vector<std::array<bool, kNumTensors>> keep_;
    std::vector<Step> steps_;
    struct Orders {
        std::vector<std::vector<Dim>> distinct;
        int64_t total = 0; // every order the constraints allow, reuse-equivalent ones included
    };
    std::map<std::tuple<int, int, int>, Orders> orderCache_;
    std::vector<const std::vector<std::vector<Dim>> *> choices_;
    bool abandon_ = false;
    std::vector<int64_t> divisors_;
    int64_t nestsPerFactorization_ = 1; // distinct loop nests of the last factorization given to orderChoices
    Mapping mapping_;                   // reused: one allocation per walker, not per loop nest
    Evaluation eval_;
};

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

    // Work is cut into tasks that threads take in any order; each task keeps its own best and the results
    // are combined in task order with a total tie-break, so any thread count gives the same answer.
    struct Task {
        size_t config = 0;
        Partial partial;
        uint64_t firstSample = 0, samples = 0; // Sampled
    };
    std::vector<Task> tasks;
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
            for (Partial &p : prefixes)
                tasks.push_back({c, std::move(p), 0, 0});
        }
    } else {
        const uint64_t chunk = 4096;
        for (uint64_t first = 0; first < uint64_t(opt.sampleBudget); first += chunk)
            tasks.push_back(
                {0, Partial{}, first, std::min<uint64_t>(chunk, uint64_t(opt.sampleBudget) - first)});
    }

    std::atomic<size_t> next{0};
    std::atomic<size_t> done{0};
    std::vector<Candidate> bestPerTask(tasks.size());
    std::vector<int64_t> validPerTask(tasks.size(), 0), visitedPerTask(tasks.size(), 0);
    std::atomic<bool> cancelled{false};
    auto worker = [&]() {
        std::vector<std::unique_ptr<Walker>> local;
        for (size_t c = 0; c < configs.size(); ++c)
            local.push_back(std::make_unique<Walker>(space, bits, opt, configs[c]));
        while (true) {
            const size_t i = next.fetch_add(1);
            if (i >= tasks.size())
                return;
            if (opt.cancel && opt.cancel->load()) {
                cancelled = true;
                return;
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
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
        pool.emplace_back(worker);
    worker();
    for (std::thread &t : pool)
        t.join();

    Candidate best;
    for (size_t i = 0; i < tasks.size(); ++i) {
        result.validMappings += validPerTask[i];
        result.visited += visitedPerTask[i];
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
    result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return result;
}

} // namespace bitloop
