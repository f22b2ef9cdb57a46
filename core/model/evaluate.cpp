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

namespace bitloop
{

namespace
{

struct TensorCounts { // operands per instance, before packing
    int64_t tile = 0, reads = 0, fills = 0, updates = 0;
    int64_t instances = 0;
    double multicast = 1;
};

// Distinct operands of a (non-sliding) tensor one instance ever holds: its tile times every relevant
// temporal loop above. Timeloop's partition size, used for the first-read elision of partial sums.
int64_t partitionSize(Tensor t, const Extents &tile, LoopSpan above, const ProblemShape &s)
{
    int64_t n = tileVolume(t, tile, s);
    for (const NestLoop &l : above)
        if (isRelevant(t, l.dim))
            n *= l.bound;
    return n;
}

// Counts for every level that keeps tensor t, innermost first along the tensor's chain of keepers.
void countTensor(Tensor t, const ProblemShape &shape, const Mapping &m, const LoopNest &nest,
                 const ModelOptions &opt, TensorCounts *out)
{
    const int levels = nest.numLevels();
    for (int l = 0; l < levels; ++l)
        out[l] = TensorCounts{};
    int child = -1;           // the keeper below (-1: the MACs)
    int64_t childChanges = 0; // how often the child's tile changes (operands)
    std::array<int64_t, kMaxLevels>
        above{}; // per level, the instances in use: the product of the fan-outs above it
    for (int l = levels - 1; l >= 0; --l)
        above[static_cast<size_t>(l)] =
            l + 1 < levels ? above[static_cast<size_t>(l + 1)] * nest.fanout(l + 1) : 1;
    int lastKeeper = -1;
    for (int l = 0; l < levels; ++l)
        if (m.levels[static_cast<size_t>(l)].keep[idx(t)])
            lastKeeper = l;
    for (int c = 0; c < levels; ++c) {
        if (!m.levels[static_cast<size_t>(c)].keep[idx(t)])
            continue;
        TensorCounts &tc = out[c];
        const Extents &tile = nest.extents(c);
        const LoopSpan loopsAbove = nest.temporalAbove(c);
        tc.tile = tileVolume(t, tile, shape);
        tc.instances = above[static_cast<size_t>(c)];
        const int64_t changes = tileChanges(t, tile, loopsAbove, shape);

        // What the level below asks of this one: every MAC step, or the changes of the child's tile.
        // Timeloop groups identical requests one fan-out at a time: children of a fan-out that bypasses the
        // tensor ask for the union of their own children's tiles, and only equal unions share an access.
        int64_t distinct = 1, children = 1;
        for (int l = child + 1; l <= c; ++l) {
            distinct *= distinctTiles(t, nest.spatial(l), shape);
            children *= nest.fanout(l);
        }
        const int64_t perChild = child < 0 ? nest.computeSteps() : childChanges;
        const int64_t contentAccesses = perChild * distinct;
        tc.multicast = double(children) / double(distinct);

        const bool outermost = c == lastKeeper;
        if (t == Tensor::Outputs) {
            const int64_t partition = partitionSize(t, tile, loopsAbove, shape);
            tc.updates = contentAccesses;
            tc.reads = contentAccesses - partition; // the first update of each output finds zero
            if (!outermost)
                tc.fills = opt.firstPsum == FirstPsumRule::ForkFill ? changes : changes - partition;
        } else {
            tc.reads = contentAccesses;
            if (!outermost)
                tc.fills = changes;
        }
        child = c;
        childChanges = changes;
    }
}

} // namespace

void evaluateChecked(const ProblemShape &shape, const Architecture &arch, const Mapping &mapping,
                     const BitWidths &bits, const ModelOptions &options, Evaluation &ev, bool explain)
{
    const int levels = arch.numLevels();
    ev.bits = bits;
    ev.macs = shape.macs();
    ev.energy = 0;
    ev.valid = true;

    const LoopNest nest(mapping);
    std::array<std::array<TensorCounts, kMaxLevels>, kNumTensors> counts{};
    for (Tensor t : kAllTensors)
        countTensor(t, shape, mapping, nest, options, counts[idx(t)].data());

    const int64_t computeCycles = nest.computeSteps();
    ev.computeCycles = computeCycles;
    ev.macsUsed = 1;
    for (int l = 0; l < levels; ++l)
        ev.macsUsed *= nest.fanout(l);
    ev.cycles = computeCycles;

    ev.levels.resize(static_cast<size_t>(levels));
    for (int li = 0; li < levels; ++li) {
        const StorageLevel &spec = arch.levels[li];
        LevelStats &ls = ev.levels[li];
        if (explain)
            ls.name = spec.name;
        ls.capacityWords = spec.depth;
        ls.energy = 0;
        ls.utilizedWords = 0;
        ls.instancesUsed = 0;
        int64_t readWords = 0, writeWords = 0;
        for (Tensor t : kAllTensors) {
            const TensorCounts &c = counts[idx(t)][li];
            TensorLevelStats &ts = ls.tensors[idx(t)];
            ts = TensorLevelStats{};
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
            const int64_t clusters =
                std::min(c.instances, std::max<int64_t>(1, spec.instances / spec.clusterSize));
            ts.energy = perInstance * double(clusters);
            ls.energy += ts.energy;
            ls.utilizedWords += ts.tileWords;
            ls.instancesUsed = std::max(ls.instancesUsed, c.instances);
            readWords += ts.reads;
            writeWords += ts.fills + ts.updates;
        }
        if (spec.depth > 0 && ls.utilizedWords > spec.depth) {
            ev.valid = false;
            if (explain)
                ev.reasons.push_back(spec.name + ": tiles need " + std::to_string(ls.utilizedWords) +
                                     " words, it holds " + std::to_string(spec.depth));
        }
        ls.readBandwidthNeed = ls.writeBandwidthNeed = 0;
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
        ev.cycles =
            std::max<int64_t>(ev.cycles, static_cast<int64_t>(std::ceil(double(computeCycles) / slowdown)));
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
    ev.utilization = 0;
    if (arch.mac.instances > 0 && ev.cycles > 0)
        ev.utilization = double(ev.macs) / (double(ev.cycles) * double(arch.mac.instances));
    ev.weightMemoryBytes = ceilDiv(shape.tensorSize(Tensor::Weights) * bits.of(Tensor::Weights), 8);
}

Evaluation evaluate(const ProblemShape &shape, const Architecture &arch, const Mapping &mapping,
                    const BitWidths &bits, const ModelOptions &options)
{
    Evaluation ev;
    ev.bits = bits;
    ev.macs = shape.macs();
    ev.reasons = checkMapping(shape, arch, mapping, bits, options);
    if (static_cast<int>(mapping.levels.size()) != arch.numLevels() || arch.numLevels() > kMaxLevels) {
        ev.valid = false;
        return ev; // nothing can be counted against the wrong number of levels
    }
    for (Dim d : kAllDims)
        if (mapping.product(d) != shape.bound(d)) {
            ev.valid = false;
            return ev; // nor against factors that do not make the layer
        }
    evaluateChecked(shape, arch, mapping, bits, options, ev, true);
    ev.valid = ev.reasons.empty();
    return ev;
}

} // namespace bitloop
