// Loop-nest analysis of one mapping: the tile each storage level holds, how much of it is new as the loops
// above step, and how many distinct tiles a fan-out serves. It knows nothing of bits, words or energy.
//
// Semantics follow Timeloop's nest analysis (v0.3 era, the base of the reference study's fork):
// - the nest, innermost first, is T0 S1 T1 S2 T2 ...: level i's spatial loops (its fan-out to level i-1)
//   sit inside its temporal loops, and level i's tile spans every loop up to its outermost temporal loop;
// - tiles are bounding boxes in each tensor's coordinates (Inputs: W = P*Wstride + R*Wdilation, H likewise);
// - a buffer holds exactly its last tile; a step costs the operands of the new tile not in the last one;
// - Timeloop simulates only iterations #0 and #1 of each loop and scales #1 by (bound - 1), so a step of
//   loop k is compared with the tile at iteration #1 (not #last) of every loop inside k; and a box that moves
//   along more than one coordinate, or along another coordinate or sign than its previous move, is fetched
//   whole. These rules only change sliding-window (Inputs) counts; they are what makes Bitloop agree with
//   the fork on the reference mappings;
// - children of a fan-out that hold the same tile share one access (multicast, or spatial reduction of
//   partial sums), grouped one fan-out at a time.
#pragma once

#include "arch/architecture.h"
#include "mapping/mapping.h"
#include "workload/problem.h"

#include <vector>

namespace bitloop
{

// A loop with its stride in the problem space (the product of every factor of its dimension inside it).
struct NestLoop {
    Dim dim;
    int64_t bound;
    int64_t stride;
};

struct LoopSpan {
    const NestLoop *data = nullptr;
    size_t size = 0;
    const NestLoop *begin() const { return data; }
    const NestLoop *end() const { return data + size; }
};

using Extents = DimArray; // per dimension, how many indices a tile spans

// Operands of a tensor inside a box of the problem space (Inputs: the bounding box of the window).
int64_t tileVolume(Tensor t, const Extents &e, const ProblemShape &shape);

// Timeloop's fills of a tile: the whole tile once, then for every step of the loops above (innermost
// first; loops of bound 1 are skipped) the operands that are new under the rules above.
int64_t tileChanges(Tensor t, const Extents &tile, LoopSpan loops, const ProblemShape &shape);

// How many distinct tiles of a tensor the children of one fan-out hold at one time.
int64_t distinctTiles(Tensor t, LoopSpan spatialLoops, const ProblemShape &shape);

// The loop nest of a mapping, flattened once: per level its tile extents, its spatial loops, and every
// temporal loop with its stride, innermost first.
class LoopNest
{
public:
    // The mapping must have at most kMaxLevels levels.
    explicit LoopNest(const Mapping &mapping);
    int numLevels() const { return levels_; }
    // Extents of level l's tile; l = -1 is the single point a MAC works on.
    const Extents &extents(int level) const { return extents_[static_cast<size_t>(level + 1)]; }
    // Temporal loops of every level above `level` (-1: all of them).
    LoopSpan temporalAbove(int level) const;
    // The spatial loops of level l (its fan-out to the level below).
    LoopSpan spatial(int level) const;
    int64_t fanout(int level) const { return fanout_[static_cast<size_t>(level)]; }
    int64_t computeSteps() const { return computeSteps_; } // product of every temporal factor

private:
    // Fixed arrays, not vectors: a search builds millions of these.
    static constexpr size_t kMaxLoops = size_t(kMaxLevels) * kNumDims;
    int levels_ = 0;
    std::array<Extents, kMaxLevels + 1> extents_;
    std::array<NestLoop, kMaxLoops> temporal_, spatial_;
    std::array<size_t, kMaxLevels + 1> temporalStart_, spatialStart_;
    size_t temporalCount_ = 0, spatialCount_ = 0;
    std::array<int64_t, kMaxLevels> fanout_;
    int64_t computeSteps_ = 1;
};

} // namespace bitloop
