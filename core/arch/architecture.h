// An accelerator: storage levels innermost first, ending at the MACs. Energies are per block access in pJ
// (per operation for the MAC), as an Accelergy ERT gives them.
#pragma once

#include "arch/constraints.h"
#include "workload/problem.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace bitloop
{

// Deeper hierarchies than any accelerator in the field; the model keeps per-level state in fixed arrays.
constexpr int kMaxLevels = 16;

struct StorageLevel {
    std::string name;
    int64_t instances = 1;
    int64_t meshX = 1;        // instances along X; meshY = instances / meshX
    int64_t depth = 0;        // words per instance; 0 = unbounded (DRAM)
    int wordBits = 16;        // bits per word: a word packs floor(wordBits / b) operands of b bits
    int64_t blockSize = 1;    // words per access (vector width)
    int64_t clusterSize = 1;  // instances that share one access (Timeloop's cluster-size)
    double readBandwidth = 0; // words per cycle per instance; 0 = unlimited
    double writeBandwidth = 0;
    std::array<bool, kNumTensors> mayKeep{true, true, true};
    double readEnergy = 0;   // pJ per block access
    double writeEnergy = 0;  // fills
    double updateEnergy = 0; // read-modify-writes of partial sums; Timeloop charges them as writes

    int64_t meshY() const { return meshX > 0 ? instances / meshX : instances; }
};

struct MacUnit {
    std::string name = "mac";
    int64_t instances = 1;
    int64_t meshX = 1;
    double energy = 0; // pJ per MAC at nativeBits
    int nativeBits = 16;
    // Off (the reference fork): every MAC costs `energy`. On: energy * (wbits * abits) / nativeBits^2, a
    // first-order model of a bit-serial or bit-flexible array (multiplier area ~ product of widths).
    bool scaleWithBits = false;
};

struct Architecture {
    std::string name;
    std::string source;               // file it came from, for messages
    std::vector<StorageLevel> levels; // innermost first; the last is the backing store (DRAM)
    MacUnit mac;
    ArchConstraints constraints;

    int numLevels() const { return static_cast<int>(levels.size()); }
    // Index of a level by name; -1 if none.
    int levelIndex(const std::string &name) const;
    // Fan-out from level i to the level (or MAC array) below it, along X and Y.
    int64_t fanoutX(int level) const;
    int64_t fanoutY(int level) const;
    int64_t fanout(int level) const { return fanoutX(level) * fanoutY(level); }
    // Structural checks (positive sizes, instance counts that divide); empty string when sound.
    std::string validate() const;
};

} // namespace bitloop
