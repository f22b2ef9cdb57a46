// The mapspace of one layer on one architecture: which factor slots are free (temporal per level, spatial
// X and Y per fan-out), which are fixed by constraints, which keep/bypass choices and loop orders each level
// may take. The search (mapper/search.h) walks it.
#pragma once

#include "arch/architecture.h"
#include "mapping/mapping.h"
#include "model/evaluation.h"

#include <array>
#include <string>
#include <vector>

namespace bitloop
{

enum class SlotKind : uint8_t { Temporal = 0, SpatialX = 1, SpatialY = 2 };
constexpr int kSlotKinds = 3;

struct MapspaceOptions {
    bool searchConstraints = true; // also hold the architecture's search-only (mapspace) constraints
};

class Mapspace
{
public:
    // Throws std::invalid_argument naming the constraint when no mapping can satisfy the constraints.
    Mapspace(const ProblemShape &shape, const Architecture &arch, const MapspaceOptions &opt = {});

    const ProblemShape &shape() const { return shape_; }
    const Architecture &arch() const { return arch_; }
    int numLevels() const { return arch_.numLevels(); }

    // Factor fixed at a slot: 1 where the slot does not exist or the constraint fixes 1; 0 = free.
    int64_t fixedFactor(int level, SlotKind kind, Dim d) const { return fixed_[level][int(kind)][idx(d)]; }
    // Product of the fixed factors of a dimension at levels strictly above `level`.
    int64_t fixedAbove(int level, Dim d) const { return fixedAbove_[level][idx(d)]; }
    // The last free slot of a dimension in the walk's order (level, kind); its factor is what remains.
    int lastFreeLevel(Dim d) const { return lastFree_[idx(d)].first; }
    SlotKind lastFreeKind(Dim d) const { return lastFree_[idx(d)].second; }

    // The keep/bypass choices a level may take (forced by constraints and by what it may keep).
    const std::vector<std::array<bool, kNumTensors>> &keepOptions(int level) const
    {
        return keepOptions_[level];
    }

    // Every combination of the levels' keep choices, one keep/bypass choice per level each.
    std::vector<std::vector<std::array<bool, kNumTensors>>> keepConfigurations() const;

    // Loop orders (innermost first, loops of bound > 1 only) a level may take with these active dims,
    // one per class of orders that give the same reuse; *total receives how many distinct orders the
    // constraints allow (every member of every class).
    std::vector<std::vector<Dim>> orders(int level, const std::vector<Dim> &active,
                                         const std::array<bool, kNumTensors> &keptBelow,
                                         int64_t *total = nullptr) const;

    // Number of factor assignments the constraints allow (Timeloop's mapspace size, loop orders and
    // keep choices aside).
    double factorizationCount() const;
    // Fixed factors of search-only constraints that could not hold for this layer and were dropped
    // ("PEAccuBuffer spatial C=4"); empty when every constraint holds as written.
    const std::vector<std::string> &droppedFactors() const { return dropped_; }
    // An upper bound on the loop nests of the whole space: factorizations x keep choices x loop orders.
    double loopNestBound() const;

private:
    ProblemShape shape_;
    Architecture arch_;
    std::vector<std::array<DimArray, kSlotKinds>> fixed_;
    std::vector<DimArray> fixedAbove_;
    std::array<std::pair<int, SlotKind>, kNumDims> lastFree_{};
    std::vector<std::vector<std::array<bool, kNumTensors>>> keepOptions_;
    std::vector<const LevelConstraint *> orderConstraint_; // temporal permutation per level, or null
    std::vector<std::string> dropped_;
};

} // namespace bitloop
