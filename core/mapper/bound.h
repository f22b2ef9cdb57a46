// A lower bound on the metric of every completion of a partial mapping, for branch and bound: the mapper
// skips a subtree whose bound is above the best mapping found, which keeps the walk's answer the proven
// optimum while it evaluates a fraction of the space.
//
// A partial mapping has every factor of its innermost `levelsComplete` levels chosen; elsewhere a factor not
// yet chosen holds 1. Loop orders are open everywhere; keep/bypass is the walker's (fixed per walk). Every
// term below is a count the model can only exceed, whatever the open factors and orders are:
// - the MACs (fixed);
// - at the innermost keeper of a tensor whose levels are complete, its reads (updates for Outputs) exactly:
//   MACs x distinct tiles of the fan-outs below / children below (multicast);
// - elsewhere the compulsory traffic: per keeper, the tensor once (Weights, Outputs) times every fan-out
//   above the keeper along a dimension the tensor ignores (broadcast copies). For Inputs only the N, G and C
//   loops count as compulsory: a step of such a loop always fetches the whole tile under Timeloop's rules
//   (its shift is at least the tile's extent), whereas P, Q, R and S steps can fetch nothing (the #1 rule);
// - words and blocks without rounding up (ceil(ceil(x / k) / block) >= x / (k block)), and a cluster level
//   charged the smallest share of its instances it can charge.
// The delay bound is the compute cycles with every open fan-out full; EDP multiplies the two.
#pragma once

#include "mapper/mapspace.h"

#include <array>
#include <vector>

namespace bitloop
{

enum class Metric;

class LowerBound
{
public:
    using Factors = std::vector<std::array<DimArray, kSlotKinds>>; // [level][slot kind][dim]

    LowerBound(const Mapspace &space, const BitWidths &bits, const ModelOptions &model, Metric metric,
               const std::vector<std::array<bool, kNumTensors>> &keep);

    double operator()(const Factors &f, int levelsComplete) const;
    double energy(const Factors &f, int levelsComplete) const;
    double cycles(const Factors &f, int levelsComplete) const;

private:
    struct Keeper {
        int level = 0;
        double read = 0, fill = 0, update = 0; // pJ per operand: energy / (packing x block), cluster share
        bool outermost = false;
    };
    const Mapspace &space_;
    Metric metric_;
    FirstPsumRule firstPsum_;
    int levels_ = 0;
    double macs_ = 0, macEnergy_ = 0;
    std::vector<int64_t> capacity_; // fan-out each level may have
    std::array<std::vector<Keeper>, kNumTensors> keepers_;
    std::array<double, kNumTensors> size_{};
};

} // namespace bitloop
