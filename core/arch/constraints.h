// Mapping constraints that belong to an architecture (its dataflow) or narrow a search: per level and
// kind, fixed factors, a loop order, the X/Y split of spatial loops, and forced keep/bypass.
#pragma once

#include "workload/problem.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace bitloop
{

enum class ConstraintKind { Temporal, Spatial, Bypass };

struct LevelConstraint {
    std::string target; // level name
    ConstraintKind kind = ConstraintKind::Temporal;
    // Fixed factor per dimension: -1 = free, 0 = "all that is left" (the residual), n > 0 = exactly n.
    std::array<int64_t, kNumDims> factors{-1, -1, -1, -1, -1, -1, -1, -1};
    // Loop order, innermost first, as Timeloop writes permutations; spaces in "NPQR SCM" are cosmetic. As in
    // Timeloop's mapspace, the listed dims are the innermost loops in the listed order and the dims not
    // listed go outside them in any order: the free slot is after the last listed dim.
    std::vector<Dim> permutation;
    bool permutationHasFreeSlot = false; // fewer than all dims listed
    size_t freeSlotAt = 0; // where in permutation the unordered dims go: the number of dims listed
    int split = -1;        // spatial: loops at index < split go to X, the rest to Y; -1 = unset
    std::array<int, kNumTensors> keep{-1, -1, -1}; // -1 free, 1 keep, 0 bypass
    // True for constraints that only narrow a search (Timeloop's mapspace_constraints), false for what the
    // hardware's dataflow requires (architecture_constraints). Both bind the mapper; only the latter make a
    // hand-written mapping invalid.
    bool searchOnly = false;
    std::string origin; // "file:line" for messages
};

struct ArchConstraints {
    std::vector<LevelConstraint> targets;
    void append(const ArchConstraints &other);
};

} // namespace bitloop
