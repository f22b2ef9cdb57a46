// The walk of one keep/bypass configuration of a mapspace: a depth-first enumeration of the factors of
// every free slot, innermost level first, with each finished level checked for fan-out and capacity; at a
// complete factorization every distinct loop order is evaluated. With an incumbent, a subtree whose lower
// bound (mapper/bound.h) is above it is skipped. The driver (mapper/search.cpp) cuts the walk into tasks.
#pragma once

#include "mapper/bound.h"
#include "mapper/search.h"

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

// A mapping found by a walk, with what ranks it.
struct Candidate {
    bool found = false;
    double key = 0, energy = 0;
    int64_t cycles = 0;
    std::vector<int64_t> code; // factors and orders: a deterministic final tie-break
    Mapping mapping;
};

// The total order the mapper ranks by: metric, energy, cycles, then the code. Being total, the best of a
// space is one mapping whatever the order of the walk, the thread count and the pruning.
bool better(const Candidate &a, const Candidate &b);

struct Partial {
    std::vector<std::array<DimArray, kSlotKinds>> f;
    DimArray remaining;
    size_t step = 0;
};

struct WalkCounts {
    int64_t valid = 0;   // loop nests the model accepts (of the factorizations reached)
    int64_t visited = 0; // loop nests evaluated
    int64_t nodes = 0;   // partial mappings expanded
    int64_t pruned = 0;  // subtrees skipped by the bound
};

class Walker
{
public:
    Walker(const Mapspace &space, const BitWidths &bits, const MapperOptions &opt,
           const std::vector<std::array<bool, kNumTensors>> &keep);

    Partial start() const;
    size_t numSteps() const { return steps_.size(); }
    // Levels whose every factor is chosen in p.
    int levelsComplete(const Partial &p) const;
    double lowerBound(const Partial &p) const { return bound_(p.f, levelsComplete(p)); }

    // Skip subtrees whose bound is above `incumbent` (and keep lowering it as better mappings are found);
    // infinity walks everything.
    void setIncumbent(double incumbent, bool prune)
    {
        incumbent_ = incumbent;
        prune_ = prune;
    }

    // Expands partial walks until `stopStep` (prefix tasks) or to the leaves (visit).
    template <typename Visit>
    void walk(Partial &p, size_t stopStep, Visit &&visit, WalkCounts *counts = nullptr)
    {
        if (abandon_)
            return;
        if (counts)
            ++counts->nodes;
        if (p.step == stopStep || p.step == steps_.size()) {
            visit(p);
            return;
        }
        const WalkStep &s = steps_[p.step];
        if (s.check) {
            if (!levelFits(p, s.level))
                return;
            // The bound costs about one evaluation; it is checked where it cuts most for its cost: on a
            // complete factorization (before its loop orders are evaluated) and one level before.
            if (prune_ && s.level + 2 >= space_.numLevels() && exceeds(bound_(p.f, s.level + 1))) {
                if (counts)
                    ++counts->pruned;
                return;
            }
            ++p.step;
            walk(p, stopStep, visit, counts);
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
            walk(p, stopStep, visit, counts);
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

    // Loop nests an exhaustive walk would evaluate (distinct orders of every factorization that fits),
    // counted without evaluating any; stops counting past `limit`.
    double countEvaluations(double limit);

    // One random loop nest: a random divisor for every free slot, a random order per level. Returns false
    // when the factors already break a fan-out or a capacity (an invalid draw).
    bool sample(std::mt19937_64 &rng, Partial &p, std::vector<size_t> &pick);

    // Evaluates one loop nest of a factorization, keeping it if it beats `best`. The mapspace guarantees
    // everything but capacity, so the lean half of the model is enough here.
    // `choices` are orderChoices(p), computed once per factorization by the caller.
    void consider(const Partial &p, const std::vector<const std::vector<std::vector<Dim>> *> &choices,
                  const std::vector<size_t> &pick, Candidate &best, WalkCounts &counts, int64_t &validHere);

    // The distinct loop orders each level may take under this factorization.
    const std::vector<const std::vector<std::vector<Dim>> *> &orderChoices(const Partial &p);

    // Every distinct loop order of a complete factorization. Validity does not depend on the order (tiles
    // do not), so a valid factorization adds every loop nest the constraints allow to the valid count.
    void evaluateOrders(const Partial &p, Candidate &best, WalkCounts &counts);

private:
    int64_t fanout(int level, SlotKind k) const;
    static int64_t spatialProduct(const Partial &p, int level, SlotKind k);
    bool levelFits(const Partial &p, int level) const;
    std::vector<int64_t> encode(const Partial &p, const std::vector<size_t> &pick) const;
    // The bound is above the incumbent beyond rounding: the bound sums its terms in another order than the
    // model, so a margin keeps a mapping that ties the incumbent from being cut.
    bool exceeds(double bound) const { return bound * (1 - 1e-9) > incumbent_; }

    const Mapspace &space_;
    BitWidths bits_;
    const MapperOptions &opt_;
    std::vector<std::array<bool, kNumTensors>> keep_;
    std::vector<WalkStep> steps_;
    LowerBound bound_;
    double incumbent_ = std::numeric_limits<double>::infinity();
    bool prune_ = false;
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
