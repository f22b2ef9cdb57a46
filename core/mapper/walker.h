// The walk of one keep/bypass choice of a mapspace: factor slots innermost level first, a capacity and
// fan-out check (and, when pruning, a lower-bound check) as each level is finished, then every distinct
// loop order of each complete factorization. The driver (mapper/search.cpp) cuts it into tasks.
#pragma once

#include "mapper/bound.h"
#include "mapper/mapspace.h"
#include "mapper/search.h"

#include <atomic>
#include <limits>
#include <map>
#include <random>
#include <tuple>
#include <vector>

namespace bitloop
{

// One step of the walk: choose the factor of a free slot, or check a finished level.
struct WalkStep {
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

// Total order on candidates: metric, then energy, then cycles, then the code.
bool better(const Candidate &a, const Candidate &b);

struct Partial {
    LevelFactors f;
    DimArray remaining;
    size_t step = 0;
};

// The best key any thread has found: subtrees whose bound exceeds it are skipped. Only a strictly larger
// bound prunes (with a relative margin for rounding), so every mapping that ties the optimum is still
// evaluated and the total tie-break picks the same one for any thread count.
class Incumbent
{
public:
    void offer(double key)
    {
        double cur = best_.load(std::memory_order_relaxed);
        while (key < cur && !best_.compare_exchange_weak(cur, key, std::memory_order_relaxed)) {
        }
    }
    bool beats(double bound) const { return bound > best_.load(std::memory_order_relaxed) * (1 + 1e-9); }
    double value() const { return best_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> best_{std::numeric_limits<double>::infinity()};
};

class Walker
{
public:
    Walker(const Mapspace &space, const BitWidths &bits, const MapperOptions &opt,
           const std::vector<std::array<bool, kNumTensors>> &keep);

    Partial start() const;
    size_t numSteps() const { return steps_.size(); }
    // The innermost levels a partial walk has fixed and checked: -1 when none.
    int fixedLevel(const Partial &p) const;
    // The lower bound of the metric over every completion of p.
    double bound(const Partial &p) const { return bound_.metric(p.f, fixedLevel(p)); }

    // Prune against `incumbent` from now on (null: walk everything, as counting needs).
    void pruneAgainst(Incumbent *incumbent) { incumbent_ = incumbent; }
    int64_t pruned() const { return pruned_; }

    // Expands partial walks until `stopStep` (prefix tasks) or to the leaves (visit).
    template <typename Visit> void walk(Partial &p, size_t stopStep, Visit &&visit)
    {
        if (incumbent_ && bound_.needsEnergy())
            for (int l = 0; l <= fixedLevel(p); ++l)
                bound_.advance(states_.data(), p.f, l);
        descend(p, stopStep, visit);
    }

    // A quick descent for a first incumbent: level by level, every completion of the kept partial walks,
    // of which the `beam` with the lowest bounds go on; the leaves' loop orders are then evaluated.
    void dive(size_t beam, Candidate &best, int64_t &visited);

    // A mapping known from elsewhere (the same layer at other widths) as a first incumbent: only its factors
    // and keep choices are used, and only when they lie in this walk's space (constraints, fan-outs,
    // capacities at these widths); then every loop order the space allows for them is evaluated. False when
    // they do not lie in the space.
    bool seed(const Mapping &hint, Candidate &best, int64_t &visited);

    // Loop nests an exhaustive walk would evaluate (distinct orders of every factorization that fits),
    // counted without evaluating any; stops counting past `limit`.
    double countEvaluations(double limit);

    // One random loop nest: a random divisor for every free slot, a random order per level. Returns false
    // when the factors already break a fan-out or a capacity (an invalid draw).
    bool sample(std::mt19937_64 &rng, Partial &p, std::vector<size_t> &pick);

    // The distinct loop orders each level may take under this factorization.
    const std::vector<const std::vector<std::vector<Dim>> *> &orderChoices(const Partial &p);

    // Evaluates one loop nest of a factorization, keeping it if it beats `best`. The mapspace guarantees
    // everything but capacity, so the lean half of the model is enough here. `choices` are
    // orderChoices(p), computed once per factorization by the caller.
    void consider(const Partial &p, const std::vector<const std::vector<std::vector<Dim>> *> &choices,
                  const std::vector<size_t> &pick, Candidate &best, int64_t &valid, int64_t &visited);

    // Every distinct loop order of a complete factorization. Validity does not depend on the order (tiles
    // do not), so a valid factorization adds every loop nest the constraints allow to the valid count.
    void evaluateOrders(const Partial &p, Candidate &best, int64_t &valid, int64_t &visited);

private:
    // walk()'s recursion: the bound's level states below the current level are those of p.
    template <typename Visit> void descend(Partial &p, size_t stopStep, Visit &&visit)
    {
        if (abandon_)
            return;
        if (p.step == stopStep || p.step == steps_.size()) {
            visit(p);
            return;
        }
        const WalkStep &s = steps_[p.step];
        if (s.check) {
            const bool energyBound = incumbent_ && bound_.needsEnergy();
            if (energyBound) { // its level state holds the tile extents the capacity check needs
                bound_.advance(states_.data(), p.f, s.level);
                if (!levelFits(p, s.level, states_[s.level].ext))
                    return;
            } else if (!levelFits(p, s.level)) {
                return;
            }
            if (incumbent_) {
                if (incumbent_->beats(bound_.finishMetric(states_.data(), p.f, s.level))) {
                    ++pruned_;
                    return;
                }
            }
            ++p.step;
            descend(p, stopStep, visit);
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
            descend(p, stopStep, visit);
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

    int64_t fanout(int level, SlotKind k) const
    {
        return k == SlotKind::SpatialX ? fanX_[level] : fanY_[level];
    }
    static int64_t spatialProduct(const Partial &p, int level, SlotKind k)
    {
        int64_t x = 1;
        for (int64_t v : p.f[level][int(k)])
            x *= v;
        return x;
    }
    bool levelFits(const Partial &p, int level) const;
    // The same with the extents of levels 0..level already known.
    bool levelFits(const Partial &p, int level, const Extents &extents) const;
    std::vector<int64_t> encode(const Partial &p, const std::vector<size_t> &pick) const;

    const Mapspace &space_;
    BitWidths bits_;
    const MapperOptions &opt_;
    std::vector<std::array<bool, kNumTensors>> keep_;
    std::vector<WalkStep> steps_;
    std::vector<int64_t> fanX_, fanY_; // the architecture's fan-outs per level
    MappingBound bound_;
    std::array<MappingBound::LevelState, kMaxLevels> states_; // the bound's view of the walk's fixed levels
    Incumbent *incumbent_ = nullptr;
    int64_t pruned_ = 0;
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

} // namespace bitloop
