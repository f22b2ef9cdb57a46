// A mapping of one layer onto an architecture: per storage level, temporal factors and their loop order,
// the spatial factors of the fan-out below that level split over X and Y, and which tensors it keeps.
#pragma once

#include "workload/problem.h"

#include <array>
#include <string>
#include <vector>

namespace bitloop
{

struct Architecture;

struct LevelMapping {
    DimArray temporal{1, 1, 1, 1, 1, 1, 1, 1};
    std::vector<Dim> order; // temporal loop order, innermost first; dims not listed count as bound 1 loops
    DimArray spatialX{1, 1, 1, 1, 1, 1, 1, 1}; // fan-out to the level below, along X
    DimArray spatialY{1, 1, 1, 1, 1, 1, 1, 1};
    std::vector<Dim> spatialOrder; // printing and export only: spatial loops do not reorder reuse
    std::array<bool, kNumTensors> keep{true, true, true};

    int64_t spatial(Dim d) const { return spatialX[idx(d)] * spatialY[idx(d)]; }
    int64_t spatialFanout() const;
};

struct Mapping {
    std::vector<LevelMapping> levels; // index i maps architecture level i (innermost first)

    // Product of every factor of a dimension over all levels, temporal and spatial (INT64_MAX on overflow).
    int64_t product(Dim d) const;
    // The temporal loops of a level with bound > 1, innermost first, in the level's order (dims missing
    // from the order follow in canonical order).
    std::vector<Dim> activeTemporalOrder(int level) const;
};

// An indented loop nest, outermost first, with the level names between the loops, as Timeloop's map.txt:
//   DRAM [ Weights Inputs Outputs ]
//   | for Q in [0:14)
//   GlobalBuffer [ Inputs Outputs ]
//   |   spatial_for M in [0:2) (X)
std::string formatLoopNest(const Architecture &arch, const Mapping &mapping);

} // namespace bitloop
