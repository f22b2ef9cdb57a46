#include "model/checks.h"

#include "arch/architecture.h"
#include "mapping/mapping.h"

#include <algorithm>
#include <cstdint>
#include <sstream>

namespace bitloop
{

namespace
{

std::string dimList(const std::vector<Dim> &dims)
{
    std::string s;
    for (Dim d : dims)
        s += dimLetter(d);
    return s;
}

// A permutation constraint lists loops innermost first; Timeloop places the dims listed before the free slot
// innermost in that order, those after it outermost, and lets the unlisted ones go between (a permutation
// that lists only some dims leaves the others free outside it). Only loops of bound > 1 are compared.
std::string checkOrder(const LevelConstraint &c, const std::vector<Dim> &active)
{
    auto isActive = [&](Dim d) { return std::find(active.begin(), active.end(), d) != active.end(); };
    std::vector<Dim> inner, outer;
    for (size_t i = 0; i < c.permutation.size(); ++i)
        if (isActive(c.permutation[i]))
            (c.permutationHasFreeSlot && i >= c.freeSlotAt ? outer : inner).push_back(c.permutation[i]);
    const bool innerOk =
        active.size() >= inner.size() && std::equal(inner.begin(), inner.end(), active.begin());
    const bool outerOk =
        active.size() >= outer.size() && std::equal(outer.begin(), outer.end(), active.end() - outer.size());
    if (!innerOk || !outerOk)
        return "loop order " + dimList(active) + " breaks permutation " + dimList(c.permutation);
    return {};
}

} // namespace

std::string checkConstraint(const LevelConstraint &c, const Architecture &arch, const Mapping &mapping)
{
    const int li = arch.levelIndex(c.target);
    if (li < 0 || li >= static_cast<int>(mapping.levels.size()))
        return "constraint on unknown level '" + c.target + "'";
    const LevelMapping &lm = mapping.levels[li];
    std::string why;
    auto where = [&c]() { return c.target + (c.origin.empty() ? "" : " (" + c.origin + ")"); };
    switch (c.kind) {
    case ConstraintKind::Bypass:
        for (Tensor t : kAllTensors) {
            if (c.keep[idx(t)] == 1 && !lm.keep[idx(t)])
                why += where() + ": must keep " + tensorName(t);
            else if (c.keep[idx(t)] == 0 && lm.keep[idx(t)])
                why += where() + ": must bypass " + tensorName(t);
        }
        break;
    case ConstraintKind::Temporal:
    case ConstraintKind::Spatial: {
        const bool spatial = c.kind == ConstraintKind::Spatial;
        for (Dim d : kAllDims) {
            const int64_t want = c.factors[idx(d)];
            const int64_t have = spatial ? lm.spatial(d) : lm.temporal[idx(d)];
            if (want > 0 && have != want)
                return where() + ": " + (spatial ? "spatial" : "temporal") + " factor " + dimLetter(d) +
                       " is " + std::to_string(have) + ", the constraint fixes " + std::to_string(want);
        }
        if (!spatial && !c.permutation.empty()) {
            std::string e = checkOrder(c, mapping.activeTemporalOrder(li));
            if (!e.empty())
                return where() + ": " + e;
        }
        if (spatial && c.split >= 0) {
            for (size_t pos = 0; pos < c.permutation.size(); ++pos) {
                const Dim d = c.permutation[pos];
                const bool toX = static_cast<int>(pos) < c.split;
                if ((toX && lm.spatialY[idx(d)] > 1) || (!toX && lm.spatialX[idx(d)] > 1))
                    return where() + ": spatial " + dimLetter(d) + " must go to " + (toX ? "X" : "Y") +
                           " (split " + std::to_string(c.split) + ")";
            }
        }
        break;
    }
    }
    return why;
}

std::vector<std::string> checkMapping(const ProblemShape &shape, const Architecture &arch,
                                      const Mapping &mapping, const BitWidths &bits,
                                      const ModelOptions &options)
{
    std::vector<std::string> reasons;
    if (static_cast<int>(mapping.levels.size()) != arch.numLevels()) {
        reasons.push_back("the mapping has " + std::to_string(mapping.levels.size()) +
                          " levels, the architecture " + std::to_string(arch.numLevels()));
        return reasons;
    }
    for (Dim d : kAllDims) {
        for (const LevelMapping &l : mapping.levels)
            if (l.temporal[idx(d)] < 1 || l.spatialX[idx(d)] < 1 || l.spatialY[idx(d)] < 1) {
                reasons.push_back(std::string("factors of ") + dimLetter(d) + " must be positive");
                break;
            }
        const int64_t product = mapping.product(d);
        if (product != shape.bound(d))
            reasons.push_back(
                std::string("factors of ") + dimLetter(d) + " multiply to " +
                (product == INT64_MAX ? std::string("more than 2^63") : std::to_string(product)) +
                ", the bound is " + std::to_string(shape.bound(d)));
    }
    for (int li = 0; li < arch.numLevels(); ++li) {
        const StorageLevel &spec = arch.levels[li];
        const LevelMapping &lm = mapping.levels[li];
        int64_t x = 1, y = 1;
        for (Dim d : kAllDims) {
            x *= lm.spatialX[idx(d)];
            y *= lm.spatialY[idx(d)];
        }
        if (x > arch.fanoutX(li) || y > arch.fanoutY(li))
            reasons.push_back(spec.name + ": spatial fan-out " + std::to_string(x) + "x" + std::to_string(y) +
                              " exceeds the hardware's " + std::to_string(arch.fanoutX(li)) + "x" +
                              std::to_string(arch.fanoutY(li)));
        for (Tensor t : kAllTensors) {
            if (!lm.keep[idx(t)])
                continue;
            if (!spec.mayKeep[idx(t)])
                reasons.push_back(spec.name + " cannot keep " + tensorName(t));
            const int b = bits.of(t);
            if (b < 1 || b > spec.wordBits)
                reasons.push_back(
                    spec.name + ": " + tensorName(t) + " bit-width " + std::to_string(b) +
                    (b < 1 ? " must be positive"
                           : " is wider than its " + std::to_string(spec.wordBits) + "-bit word"));
        }
    }
    if (!mapping.levels.back().keep[idx(Tensor::Weights)] ||
        !mapping.levels.back().keep[idx(Tensor::Inputs)] || !mapping.levels.back().keep[idx(Tensor::Outputs)])
        reasons.push_back(arch.levels.back().name + ", the backing store, must keep every tensor");
    for (const LevelConstraint &c : arch.constraints.targets) {
        if (c.searchOnly && !options.checkSearchConstraints)
            continue;
        std::string e = checkConstraint(c, arch, mapping);
        if (!e.empty())
            reasons.push_back(e);
    }
    return reasons;
}

} // namespace bitloop
