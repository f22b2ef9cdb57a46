// What one layer costs on one architecture under one mapping and one set of per-tensor bit-widths.
#pragma once

#include "workload/problem.h"

#include <array>
#include <string>
#include <vector>

namespace bitloop
{

struct Architecture;
struct Mapping;

// Timeloop's two rules for the first partial sum an inner level receives. The reference fork as published
// charges it as a fill of that level (and a read of its parent); upstream Timeloop v3 knows the value starts
// at zero and moves nothing.
enum class FirstPsumRule { ForkFill, Elide };

struct ModelOptions {
    FirstPsumRule firstPsum = FirstPsumRule::ForkFill;
    bool scaleMacEnergy = false;         // also switched on by the architecture's MacUnit::scaleWithBits
    bool checkSearchConstraints = false; // also hold a mapping to search-only constraints
};

// One tensor at one storage level. Word counts are per instance; totals multiply by the instances in use.
struct TensorLevelStats {
    bool kept = false;
    int packing = 1;          // operands per word: floor(word bits / bit-width)
    int64_t tileOperands = 0; // per instance
    int64_t tileWords = 0;    // ceil(tileOperands / packing)
    int64_t instances = 0;    // instances holding a tile of this tensor
    int64_t reads = 0;        // words read per instance (to serve the level below, or the MACs)
    int64_t fills = 0;        // words written into an instance from the level above
    int64_t updates = 0;      // partial-sum words written back into an instance from below
    double multicast = 1;     // average number of child instances one read serves
    double energy = 0;        // pJ, all instances
    int64_t totalReads() const { return reads * instances; }
    int64_t totalFills() const { return fills * instances; }
    int64_t totalUpdates() const { return updates * instances; }
};

struct LevelStats {
    std::string name;
    std::array<TensorLevelStats, kNumTensors> tensors;
    int64_t utilizedWords = 0; // per instance, all kept tensors
    int64_t capacityWords = 0; // per instance; 0 = unbounded
    int64_t instancesUsed = 0;
    double energy = 0;            // pJ, all tensors and instances
    double readBandwidthNeed = 0; // words per compute cycle per instance
    double writeBandwidthNeed = 0;
    double stretch = 1; // how much this level's bandwidth stretches the compute cycles
};

struct Evaluation {
    bool valid = false;
    std::vector<std::string> reasons; // every reason the mapping is invalid
    std::vector<LevelStats> levels;   // innermost first, as the architecture
    BitWidths bits;
    int64_t macs = 0;
    int64_t computeCycles = 0; // MACs / MACs in use
    int64_t cycles = 0;        // stretched by any bandwidth shortfall
    int64_t macsUsed = 0;
    double utilization = 0; // MACs in use / MACs available
    double macEnergy = 0;
    double energy = 0; // pJ
    double pjPerMac() const { return macs > 0 ? energy / double(macs) : 0; }
    double edp() const { return energy * double(cycles); } // pJ x cycles
    int64_t weightMemoryBytes = 0; // the layer's weights at its weight bit-width, bit-packed
};

// Operands of `bits` bits per word of `wordBits` bits; 0 when the operand does not fit a word.
inline int packingFactor(int wordBits, int bits)
{
    return bits > 0 && bits <= wordBits ? wordBits / bits : 0;
}
inline int64_t ceilDiv(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

Evaluation evaluate(const ProblemShape &shape, const Architecture &arch, const Mapping &mapping,
                    const BitWidths &bits, const ModelOptions &options = {});

// The counting half of evaluate() for a mapping the caller has already checked (levels, factors,
// fan-outs, bit-widths, constraints), as the mapper's mapspace guarantees: only capacity is checked.
// Reuses ev's storage; with explain = false it skips level names and reason texts (a search's inner loop).
void evaluateChecked(const ProblemShape &shape, const Architecture &arch, const Mapping &mapping,
                     const BitWidths &bits, const ModelOptions &options, Evaluation &ev, bool explain);

} // namespace bitloop
