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
//   the fork on the reference mappings.
#pragma once

#include "mapping/mapping.h"
#include "workload/problem.h"

#include <vector>

namespace bitloop {

// A loop with its stride in the problem space (the product of every factor of its dimension inside it).
struct NestLoop {
    Dim dim;
    int64_t bound;
    int64_t stride;
};

using Extents = DimArray; // per dimension, how many indices a tile spans

// Operands of a tensor inside a box of the problem space (Inputs: the bounding box of the window).
int64_t tileVolume(Tensor t, const Extents &e, const ProblemShape &shape);

// Timeloop's fills of a tile: the whole tile once, then for every step of the loops above (innermost
// first, bound > 1 only) the operands that are new under the rules above.
int64_t tileChanges(Tensor t, const Extents &tile, const std::vector<NestLoop> &loops, const ProblemShape &shape);

// How many distinct tiles of a tensor the children of a fan-out hold at one time: children whose tiles
// coincide share one read (multicast) or one update (spatial reduction).
int64_t distinctTiles(Tensor t, const std::vector<NestLoop> &spatialLoops, const ProblemShape &shape);

// Temporal loops of levels above `level` (-1: every temporal loop), innermost first, with strides.
std::vector<NestLoop> temporalLoopsAbove(const Mapping &mapping, int level);
// Spatial loops of levels lo+1 .. hi (the fan-outs from level hi down to level lo; lo = -1: the MACs).
std::vector<NestLoop> spatialLoopsBetween(const Mapping &mapping, int lo, int hi);

// Extents of level `level`'s tile (every factor at it and below, its own fan-out included); -1: one point.
Extents tileExtents(const Mapping &mapping, int level);

} // namespace bitloop
