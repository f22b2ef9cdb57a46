// A lower bound on the metric of every completion of a partial mapping whose innermost levels are fixed:
// what lets the walk (mapper/walker.h) skip subtrees that cannot beat the best mapping found so far while
// still returning the proven optimum.
//
// With levels 0..k fixed (every factor, temporal and spatial) and one keep/bypass choice per level, it sums:
// - the MAC energy (fixed);
// - per level and kept tensor, summed over instances (totals do not need the fan-outs above the level):
//   * the accesses serving the level below. From the MACs they are exact: MACs x distinct tiles / fan-out
//     below; from a child keeper they are the child's fills x distinct / fan-out between the two;
//   * fills at least the distinct operands the level's instances must hold: its tile times the tiles of
//     every relevant dimension above (Inputs: their channel blocks, and never less than the input points
//     some MAC touches); at unfixed levels, each operand once;
//   * partial-sum reads of Outputs at least the updates minus the distinct outputs the instances hold;
// - every word count is divided by the packing and the block size (the model rounds up per instance, so
//   the bound does not), and the energy of a cluster access shared by instances is spread over them;
// - cycles at least MACs / the MACs the fan-outs can use.
// Loop orders are left free: every term holds for any order (the orders only add refetches).
#pragma once

#include "mapper/mapspace.h"
#include "mapper/search.h"
#include "model/nest.h"

#include <array>
#include <vector>

namespace bitloop
{

// Factors per level: [level][temporal, spatial X, spatial Y][dim].
using LevelFactors = std::vector<std::array<DimArray, kSlotKinds>>;

class MappingBound
{
public:
    MappingBound(const Mapspace &space, const BitWidths &bits, const MapperOptions &options,
                 const std::vector<std::array<bool, kNumTensors>> &keep);

    // The lower bound of `metric` (mapper/search.h) over every mapping whose levels 0..fixedLevel have
    // exactly the factors in f; fixedLevel = -1 bounds the whole space of this keep choice.
    double metric(const LevelFactors &f, int fixedLevel) const;
    double energy(const LevelFactors &f, int fixedLevel) const;
    double cycles(const LevelFactors &f, int fixedLevel) const;

    // The same, level by level, for a walk that fixes levels innermost first: advance(s, f, l) records in
    // s[l] what level l adds to s[l - 1] (levels 0..l-1 already advanced from the same f); finishMetric(s, f,
    // k) is then metric(f, k), bit for bit, without redoing the levels below k.
    struct LevelState {
        Extents ext{}; // tile extents of levels 0..l
        int64_t fan = 1, temporalProduct = 1;
        DimArray spatial{};        // level l's spatial factor per dim
        unsigned temporalMask = 0; // dims with a temporal loop at level l
        std::array<double, kNumTensors> distinct{}, sharedSpatial{};
        std::array<double, kNumTensors> perChild{}; // distinct / fan: accesses per child access
        // Per tensor and keeper c <= l: its fills so far, and whether a loop that moves it sits above c.
        std::array<std::array<double, kMaxLevels>, kNumTensors> changes{};
        std::array<std::array<bool, kMaxLevels>, kNumTensors> moved{};
    };
    bool needsEnergy() const { return metric_ != Metric::Delay; }
    void advance(LevelState *s, const LevelFactors &f, int l) const;
    double finishMetric(const LevelState *s, const LevelFactors &f, int fixedLevel) const;

private:
    // The least product of the loop bounds from the innermost loop that moves tensor t outward, over the
    // loop orders level l may take (the reloads of a tile kept below whose first moving loop is here).
    // `mask`: the dims whose temporal factor exceeds 1.
    double reloadFactor(Tensor t, int l, const DimArray &temporal, unsigned mask) const;
    // Per level and set of looping dims, per tensor: the minimal sets of dims from the first loop that moves
    // the tensor outward, over the orders the level may take (computed on first use).
    static constexpr size_t kMasks = size_t(1) << kNumDims;
    struct ReloadSets {
        bool filled = false;
        std::array<std::vector<unsigned>, kNumTensors> suffixes;
    };
    const ReloadSets &reloadSets(int l, unsigned mask) const;

    double finish(const LevelState *s, int fixedLevel) const;

    struct LevelTerm {
        double read = 0, fill = 0, update = 0; // pJ per operand: packing and block size applied
    };
    const Mapspace &space_;
    const ProblemShape &shape_;
    Metric metric_;
    bool forkFill_;
    int levels_;
    std::vector<std::array<bool, kNumTensors>> keep_;
    std::vector<std::array<LevelTerm, kNumTensors>> terms_;
    std::vector<int64_t> fanoutMax_; // the architecture's fan-out of each level
    std::vector<int64_t> clusters_;  // access groups per level
    double macEnergy_ = 0;
    int64_t macs_ = 0;
    std::array<double, kNumTensors> compulsory_{}; // operands every keeper must receive at least once
    std::vector<std::array<bool, kNumTensors>> keptBelow_;
    std::array<std::vector<int>, kNumTensors> keepers_; // levels keeping each tensor, innermost first
    // Per tensor, bit idx(d) set for: dims that index it; dims whose loops move its tile to operands it did
    // not hold; dims a fan-out may spread without children holding different tiles.
    std::array<unsigned, kNumTensors> relevantMask_{}, movesMask_{}, sharedMask_{};
    mutable std::vector<ReloadSets> reload_; // [level * kMasks + looping dims]
};

} // namespace bitloop
