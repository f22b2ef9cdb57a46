// The cost model: per level and tensor the tile, its packing into words, reads, fills, updates and energy;
// then cycles and totals. Counting rules are Timeloop's (see model/nest.h); word counts are the reference
// fork's: k = floor(word bits / bit-width) operands per word, every per-instance count rounded up to words,
// every word count rounded up to blocks, energy = block accesses x energy per action.
#include "model/evaluation.h"

#include "arch/architecture.h"
#include "mapping/mapping.h"
#include "model/checks.h"
#include "model/nest.h"

#include <algorithm>
#include <cmath>

namespace bitloop {

namespace {

struct TensorCounts { // operands per instance, before packing
    int64_t tile = 0, reads = 0, fills = 0, updates = 0;
    int64_t instances = 0;
    double multicast = 1;
};

int64_t spatialProductAbove(const Mapping &m, int level)
{
    int64_t p = 1;
    for (int li = level + 1; li < static_cast<int>(m.levels.size()); ++li)
        p *= m.levels[li].spatialFanout();
    return p;
}

int64_t temporalProduct(const Mapping &m)
{
    int64_t p = 1;
    for (const LevelMapping &l : m.levels)
        for (Dim d : kAllDims)
            p *= l.temporal[idx(d)];
    return p;
}

// Distinct operands of a (non-sliding) tensor one instance ever holds: its tile times every relevant
// temporal loop above. Timeloop's partition size, used for the first-read elision of partial sums.
int64_t partitionSize(Tensor t, const Extents &tile, const std::vector<NestLoop> &above, const ProblemShape &s)
{
    int64_t n = tileVolume(t, tile, s);
    for (const NestLoop &l : above)
        if (isRelevant(t, l.dim))
            n *= l.bound;
    return n;
}

// Counts for every level that keeps tensor t, innermost first along the tensor's chain of keepers.
void countTensor(Tensor t, const ProblemShape &shape, const Mapping &m, const ModelOptions &opt,
                 std::vector<TensorCounts> &out)
{
    const int levels = static_cast<int>(m.levels.size());
    std::vector<int> keepers;
    for (int li = 0; li < levels; ++li)
        if (m.levels[li].keep[idx(t)])
            keepers.push_back(li);
    if (keepers.empty())
        return;
    const int64_t computeSteps = temporalProduct(m);
    std::vector<int64_t> changes(levels, 0);
    for (size_t k = 0; k < keepers.size(); ++k) {
        const int c = keepers[k];
        TensorCounts &tc = out[c];
        const Extents tile = tileExtents(m, c);
        const std::vector<NestLoop> above = temporalLoopsAbove(m, c);
        tc.tile = tileVolume(t, tile, shape);
        tc.instances = spatialProductAbove(m, c);
        const bool outermost = k + 1 == keepers.size();
        changes[c] = tileChanges(t, tile, above, shape);

        // What the level below asks of this one: every MAC step, or the changes of the child's tile;
        // children holding the same tile share one access.
        const int child = k == 0 ? -1 : keepers[k - 1];
        // Timeloop groups identical requests one fan-out at a time: children of a fan-out that bypasses
        // the tensor ask for the union of their own children's tiles, and only equal unions share a read.
        int64_t distinct = 1, children = 1;
        for (int l = child + 1; l <= c; ++l) {
            const std::vector<NestLoop> fan = spatialLoopsBetween(m, l - 1, l);
            distinct *= distinctTiles(t, fan, shape);
            for (const NestLoop &x : fan)
                children *= x.bound;
        }
        const int64_t perChild = child < 0 ? computeSteps : changes[child];
        const int64_t contentAccesses = perChild * distinct;
        tc.multicast = double(children) / double(distinct);

        if (t == Tensor::Outputs) {
            const int64_t partition = partitionSize(t, tile, above, shape);
            tc.updates = contentAccesses;
            tc.reads = contentAccesses - partition; // the first update of each output finds zero
            if (!outermost)
                tc.fills = opt.firstPsum == FirstPsumRule::ForkFill ? changes[c] : changes[c] - partition;
        } else {
            tc.reads = contentAccesses;
            if (!outermost)
                tc.fills = changes[c];
        }
    }
}

} // namespace

Evaluation evaluate(const ProblemShape &shape, const Architecture &arch, const Mapping &mapping,
                    const BitWidths &bits, const ModelOptions &options)
{
    Evaluation ev;
    ev.bits = bits;
    ev.macs = shape.macs();
    ev.reasons = checkMapping(shape, arch, mapping, bits, options);
    const int levels = arch.numLevels();
    if (static_cast<int>(mapping.levels.size()) != levels) {
        ev.valid = false;
        return ev; // nothing can be counted against the wrong number of levels
    }

    std::array<std::vector<TensorCounts>, kNumTensors> counts;
    for (Tensor t : kAllTensors) {
        counts[idx(t)].assign(levels, TensorCounts{});
        countTensor(t, shape, mapping, options, counts[idx(t)]);
    }

    const int64_t computeCycles = temporalProduct(mapping);
    ev.computeCycles = computeCycles;
    ev.macsUsed = 1;
    for (const LevelMapping &l : mapping.levels)
        ev.macsUsed *= l.spatialFanout();
    ev.cycles = computeCycles;

    ev.levels.resize(levels);
    for (int li = 0; li < levels; ++li) {
        const StorageLevel &spec = arch.levels[li];
        LevelStats &ls = ev.levels[li];
        ls.name = spec.name;
        ls.capacityWords = spec.depth;
        int64_t readWords = 0, writeWords = 0;
        for (Tensor t : kAllTensors) {
            const TensorCounts &c = counts[idx(t)][li];
            TensorLevelStats &ts = ls.tensors[idx(t)];
            ts.kept = mapping.levels[li].keep[idx(t)];
            if (!ts.kept)
                continue;
            const int k = std::max(1, packingFactor(spec.wordBits, bits.of(t)));
            ts.packing = k;
            ts.tileOperands = c.tile;
            ts.tileWords = ceilDiv(c.tile, k);
            ts.instances = c.instances;
            ts.reads = ceilDiv(c.reads, k);
            ts.fills = ceilDiv(c.fills, k);
            ts.updates = ceilDiv(c.updates, k);
            ts.multicast = c.multicast;
            const double perInstance = double(ceilDiv(ts.reads, spec.blockSize)) * spec.readEnergy +
                                       double(ceilDiv(ts.fills, spec.blockSize)) * spec.writeEnergy +
                                       double(ceilDiv(ts.updates, spec.blockSize)) * spec.updateEnergy;
            // Timeloop spreads one cluster access over the instances of a cluster (weight registers).
            const int64_t clusters = std::min(c.instances, std::max<int64_t>(1, spec.instances / spec.clusterSize));
            ts.energy = perInstance * double(clusters);
            ls.energy += ts.energy;
            ls.utilizedWords += ts.tileWords;
            ls.instancesUsed = std::max(ls.instancesUsed, c.instances);
            readWords += ts.reads;
            writeWords += ts.fills + ts.updates;
        }
        if (spec.depth > 0 && ls.utilizedWords > spec.depth)
            ev.reasons.push_back(spec.name + ": tiles need " + std::to_string(ls.utilizedWords) + " words, it holds " +
                                 std::to_string(spec.depth));
        if (computeCycles > 0) {
            ls.readBandwidthNeed = double(readWords) / double(computeCycles);
            ls.writeBandwidthNeed = double(writeWords) / double(computeCycles);
        }
        double slowdown = 1;
        if (spec.readBandwidth > 0 && ls.readBandwidthNeed > spec.readBandwidth)
            slowdown = std::min(slowdown, spec.readBandwidth / ls.readBandwidthNeed);
        if (spec.writeBandwidth > 0 && ls.writeBandwidthNeed > spec.writeBandwidth)
            slowdown = std::min(slowdown, spec.writeBandwidth / ls.writeBandwidthNeed);
        ls.stretch = 1 / slowdown;
        ev.cycles = std::max<int64_t>(ev.cycles, static_cast<int64_t>(std::ceil(double(computeCycles) / slowdown)));
        ev.energy += ls.energy;
    }

    double macEnergy = arch.mac.energy;
    if (options.scaleMacEnergy || arch.mac.scaleWithBits) {
        const double native = double(arch.mac.nativeBits) * double(arch.mac.nativeBits);
        macEnergy *= double(bits.of(Tensor::Weights)) * double(bits.of(Tensor::Inputs)) / native;
    }
    ev.macEnergy = macEnergy * double(ev.macs);
    ev.energy += ev.macEnergy;
    // MACs done over MAC slots offered: spatial under-use and bandwidth stalls both lower it.
    if (arch.mac.instances > 0 && ev.cycles > 0)
        ev.utilization = double(ev.macs) / (double(ev.cycles) * double(arch.mac.instances));
    ev.weightMemoryBytes = ceilDiv(shape.tensorSize(Tensor::Weights) * bits.of(Tensor::Weights), 8);
    ev.valid = ev.reasons.empty();
    return ev;
}

} // namespace bitloop
