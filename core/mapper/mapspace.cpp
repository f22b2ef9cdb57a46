#include "mapper/mapspace.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

namespace bitloop
{

namespace
{

int64_t countOrderedFactorizations(int64_t n, int slots)
{
    // Ways to write n as an ordered product of `slots` factors: the product over prime powers p^e of
    // C(e + slots - 1, slots - 1).
    if (slots <= 0)
        return n == 1 ? 1 : 0;
    int64_t ways = 1;
    for (int64_t p = 2; p * p <= n; ++p) {
        int e = 0;
        while (n % p == 0) {
            n /= p;
            ++e;
        }
        double c = 1;
        for (int i = 1; i <= e; ++i)
            c = c * (slots - 1 + i) / i;
        ways *= static_cast<int64_t>(std::llround(c));
    }
    if (n > 1)
        ways *= slots;
    return ways;
}

} // namespace

Mapspace::Mapspace(const ProblemShape &shape, const Architecture &arch, const MapspaceOptions &opt)
    : shape_(shape), arch_(arch)
{
    const int L = arch.numLevels();
    fixed_.assign(L, {});
    keepOptions_.assign(L, {});
    orderConstraint_.assign(L, nullptr);
    for (int l = 0; l < L; ++l) {
        fixed_[l][int(SlotKind::Temporal)].fill(0);
        fixed_[l][int(SlotKind::SpatialX)].fill(arch.fanoutX(l) > 1 ? 0 : 1);
        fixed_[l][int(SlotKind::SpatialY)].fill(arch.fanoutY(l) > 1 ? 0 : 1);
    }
    std::vector<std::array<int, kNumTensors>> forcedKeep(L, {-1, -1, -1});
    std::array<std::string, kNumDims> fixedBy; // which constraints fix factors of a dimension, for messages
    auto describeFix = [](const LevelConstraint &c, Dim d, int64_t f) {
        return std::string("; ") + c.target +
               (c.kind == ConstraintKind::Spatial ? " spatial " : " temporal ") + dimLetter(d) + "=" +
               std::to_string(f) + (c.origin.empty() ? "" : " (" + c.origin + ")");
    };
    for (const LevelConstraint &c : arch.constraints.targets) {
        if (c.searchOnly && !opt.searchConstraints)
            continue;
        const int l = arch.levelIndex(c.target);
        if (l < 0)
            throw std::invalid_argument("constraint on unknown level '" + c.target + "'");
        auto factors = c.factors;
        // Timeloop's CNN-Layer has no G: where a constraint pins both C and M to 1 it pins a group too,
        // so that depthwise layers keep the dataflow the constraint describes.
        if (factors[idx(Dim::G)] < 0 && factors[idx(Dim::C)] == 1 && factors[idx(Dim::M)] == 1)
            factors[idx(Dim::G)] = 1;
        // A search-only constraint narrows the space for the layers it was written for: where one of its
        // fixed factors cannot divide this layer's bound (C = 4 across MACs, for a depthwise layer whose
        // C is 1), that factor is dropped for this layer and the rest of the constraint still holds.
        if (c.searchOnly)
            for (Dim d : kAllDims)
                if (factors[idx(d)] > 1 && shape.bound(d) % factors[idx(d)] != 0) {
                    dropped_.push_back(c.target + " " +
                                       (c.kind == ConstraintKind::Spatial ? "spatial" : "temporal") + " " +
                                       dimLetter(d) + "=" + std::to_string(factors[idx(d)]));
                    factors[idx(d)] = -1;
                }
        if (c.kind == ConstraintKind::Bypass) {
            for (Tensor t : kAllTensors)
                if (c.keep[idx(t)] >= 0)
                    forcedKeep[l][idx(t)] = c.keep[idx(t)];
            continue;
        }
        if (c.kind == ConstraintKind::Temporal) {
            for (Dim d : kAllDims)
                if (factors[idx(d)] > 0) {
                    fixed_[l][int(SlotKind::Temporal)][idx(d)] = factors[idx(d)];
                    if (factors[idx(d)] > 1)
                        fixedBy[idx(d)] += describeFix(c, d, factors[idx(d)]);
                }
            if (!c.permutation.empty())
                orderConstraint_[l] = &c;
            continue;
        }
        // Spatial: a split sends the permutation's first `split` dims to X, the rest to Y.
        for (Dim d : kAllDims) {
            int axis = -1; // -1 either, 0 X, 1 Y
            auto pos = std::find(c.permutation.begin(), c.permutation.end(), d);
            if (c.split >= 0 && pos != c.permutation.end())
                axis = (pos - c.permutation.begin()) < c.split ? 0 : 1;
            int64_t f = factors[idx(d)];
            auto &X = fixed_[l][int(SlotKind::SpatialX)][idx(d)];
            auto &Y = fixed_[l][int(SlotKind::SpatialY)][idx(d)];
            if (f == 1) {
                X = Y = 1;
            } else if (f > 1) {
                const bool toY = axis == 1 || (axis < 0 && arch.fanoutX(l) <= 1);
                (toY ? Y : X) = f;
                fixedBy[idx(d)] += describeFix(c, d, f);
                (toY ? X : Y) = 1;
            } else if (axis == 0) {
                Y = 1;
            } else if (axis == 1) {
                X = 1;
            }
        }
    }
    // The outermost level holds everything.
    forcedKeep[L - 1] = {1, 1, 1};
    for (int l = 0; l < L; ++l) {
        std::vector<std::array<bool, kNumTensors>> options{{false, false, false}};
        for (Tensor t : kAllTensors) {
            const int f = forcedKeep[l][idx(t)];
            const bool canKeep = arch.levels[l].mayKeep[idx(t)] && f != 0;
            const bool canBypass = f != 1;
            std::vector<std::array<bool, kNumTensors>> next;
            for (auto o : options) {
                if (canBypass)
                    next.push_back(o);
                if (canKeep) {
                    o[idx(t)] = true;
                    next.push_back(o);
                }
            }
            if (next.empty())
                throw std::invalid_argument(arch.levels[l].name + " must keep " + tensorName(t) +
                                            " but the architecture says it cannot");
            options = std::move(next);
        }
        keepOptions_[l] = std::move(options);
    }
    // Fixed products and the slot that absorbs what is left of each dimension.
    fixedAbove_.assign(L, DimArray{1, 1, 1, 1, 1, 1, 1, 1});
    for (Dim d : kAllDims) {
        int64_t above = 1;
        lastFree_[idx(d)] = {-1, SlotKind::Temporal};
        for (int l = L - 1; l >= 0; --l) {
            fixedAbove_[l][idx(d)] = above;
            for (int k = 0; k < kSlotKinds; ++k)
                if (fixed_[l][k][idx(d)] > 0)
                    above *= fixed_[l][k][idx(d)];
        }
        for (int l = 0; l < L; ++l)
            for (int k = 0; k < kSlotKinds; ++k)
                if (fixed_[l][k][idx(d)] == 0)
                    lastFree_[idx(d)] = {l, SlotKind(k)};
        const int64_t bound = shape.bound(d);
        if (bound % above != 0 || (lastFree_[idx(d)].first < 0 && above != bound))
            throw std::invalid_argument(std::string("the constraints fix the factors of ") + dimLetter(d) +
                                        " to a product of " + std::to_string(above) +
                                        ", which cannot make its bound " + std::to_string(bound) +
                                        fixedBy[idx(d)]);
    }
}

double Mapspace::factorizationCount() const
{
    double n = 1;
    for (Dim d : kAllDims) {
        int64_t fixedProduct = 1;
        int free = 0;
        for (int l = 0; l < numLevels(); ++l)
            for (int k = 0; k < kSlotKinds; ++k) {
                if (fixed_[l][k][idx(d)] > 0)
                    fixedProduct *= fixed_[l][k][idx(d)];
                else
                    ++free;
            }
        n *= double(countOrderedFactorizations(shape_.bound(d) / fixedProduct, free));
    }
    return n;
}

double Mapspace::loopNestBound() const
{
    double n = factorizationCount();
    for (int l = 0; l < numLevels(); ++l) {
        n *= double(keepOptions_[l].size());
        int free = 0;
        for (Dim d : kAllDims) {
            const bool listed = orderConstraint_[l] && std::find(orderConstraint_[l]->permutation.begin(),
                                                                 orderConstraint_[l]->permutation.end(),
                                                                 d) != orderConstraint_[l]->permutation.end();
            if (fixed_[l][int(SlotKind::Temporal)][idx(d)] == 0 && shape_.bound(d) > 1 && !listed)
                ++free;
        }
        for (int i = 2; i <= free; ++i)
            n *= i;
    }
    return n;
}

std::vector<std::vector<std::array<bool, kNumTensors>>> Mapspace::keepConfigurations() const
{
    std::vector<std::vector<std::array<bool, kNumTensors>>> configs{{}};
    for (int l = 0; l < numLevels(); ++l) {
        std::vector<std::vector<std::array<bool, kNumTensors>>> next;
        for (const auto &c : configs)
            for (const auto &o : keepOptions(l)) {
                auto n = c;
                n.push_back(o);
                next.push_back(std::move(n));
            }
        configs = std::move(next);
    }
    return configs;
}

std::vector<std::vector<Dim>> Mapspace::orders(int level, const std::vector<Dim> &active,
                                               const std::array<bool, kNumTensors> &keptBelow,
                                               int64_t *total) const
{
    std::vector<Dim> inner, free, outer;
    if (const LevelConstraint *c = orderConstraint_[level]) {
        auto isActive = [&](Dim d) { return std::find(active.begin(), active.end(), d) != active.end(); };
        for (size_t i = 0; i < c->permutation.size(); ++i)
            if (isActive(c->permutation[i]))
                (c->permutationHasFreeSlot && i >= c->freeSlotAt ? outer : inner)
                    .push_back(c->permutation[i]);
        for (Dim d : active)
            if (std::find(c->permutation.begin(), c->permutation.end(), d) == c->permutation.end())
                free.push_back(d);
    } else {
        free = active;
    }
    std::sort(free.begin(), free.end());
    // Orders that give the same reuse are one. For Weights and Outputs only the loops inside the innermost
    // relevant one matter (they make the tile stationary; the fills are the tile times every loop from the
    // first relevant one out). Sliding windows and Timeloop's direction rule make Inputs depend on the whole
    // order, so Inputs kept below this level keep every order. (A rule that merged Inputs orders at levels
    // without P, Q, R, S loops gave identical optima on 250 MobileNet layers but evaluated no fewer loop
    // nests there, so the exact rule stays.)
    std::vector<std::vector<Dim>> out;
    std::set<std::vector<int>> seen;
    int64_t all = 0;
    do {
        ++all;
        std::vector<Dim> order = inner;
        order.insert(order.end(), free.begin(), free.end());
        order.insert(order.end(), outer.begin(), outer.end());
        std::vector<int> signature;
        for (Tensor t : kAllTensors) {
            if (!keptBelow[idx(t)])
                continue;
            if (t == Tensor::Inputs) {
                for (Dim d : order)
                    signature.push_back(idx(d));
                signature.push_back(-1);
                continue;
            }
            int mask = 0;
            for (Dim d : order) {
                if (isRelevant(t, d))
                    break;
                mask |= 1 << idx(d);
            }
            signature.push_back(mask);
        }
        if (seen.insert(signature).second)
            out.push_back(order);
    } while (std::next_permutation(free.begin(), free.end()));
    if (total)
        *total = all;
    return out;
}

} // namespace bitloop
