#include "mapper/bound.h"

#include "model/nest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <vector>

namespace bitloop
{

namespace
{

// Distinct positions q * stride + r * dilation along one coordinate: the input points some MAC touches
// (a stride wider than the filter skips points that the tensor's size, with its halo, still counts).
int64_t touchedPoints(int64_t outputs, int64_t filter, int stride, int dilation)
{
    const int64_t extent = (outputs - 1) * stride + (filter - 1) * dilation + 1;
    std::vector<bool> hit(static_cast<size_t>(extent), false);
    for (int64_t q = 0; q < outputs; ++q)
        for (int64_t r = 0; r < filter; ++r)
            hit[static_cast<size_t>(q * stride + r * dilation)] = true;
    return std::count(hit.begin(), hit.end(), true);
}

constexpr std::array<Dim, 3> kChannelDims = {Dim::N, Dim::G, Dim::C}; // Inputs' non-sliding coordinates
constexpr std::array<Dim, 3> kReductionDims = {Dim::C, Dim::R, Dim::S}; // irrelevant to Outputs

} // namespace

MappingBound::MappingBound(const Mapspace &space, const BitWidths &bits, const MapperOptions &options,
                           const std::vector<std::array<bool, kNumTensors>> &keep)
    : space_(space), shape_(space.shape()), metric_(options.metric),
      forkFill_(options.model.firstPsum == FirstPsumRule::ForkFill), levels_(space.numLevels()), keep_(keep)
{
    const Architecture &arch = space.arch();
    fanoutMax_.resize(static_cast<size_t>(levels_));
    for (int l = 0; l < levels_; ++l)
        fanoutMax_[l] = arch.fanout(l);
    terms_.resize(static_cast<size_t>(levels_));
    clusters_.resize(static_cast<size_t>(levels_));
    for (int l = 0; l < levels_; ++l) {
        const StorageLevel &spec = arch.levels[l];
        // One access serves a whole cluster of instances (the model charges min(instances, clusters)).
        clusters_[l] = std::max<int64_t>(1, spec.instances / spec.clusterSize);
        for (Tensor t : kAllTensors) {
            const int k = std::max(1, packingFactor(spec.wordBits, bits.of(t)));
            const double perOperand = 1.0 / (double(k) * double(spec.blockSize));
            terms_[l][idx(t)] = {spec.readEnergy * perOperand, spec.writeEnergy * perOperand,
                                 spec.updateEnergy * perOperand};
        }
    }
    keptBelow_.assign(static_cast<size_t>(levels_), {false, false, false});
    for (int l = 1; l < levels_; ++l)
        for (Tensor t : kAllTensors)
            keptBelow_[l][idx(t)] = keptBelow_[l - 1][idx(t)] || keep_[l - 1][idx(t)];
    macs_ = shape_.macs();
    double macEnergy = arch.mac.energy;
    if (options.model.scaleMacEnergy || arch.mac.scaleWithBits)
        macEnergy *= double(bits.of(Tensor::Weights)) * double(bits.of(Tensor::Inputs)) /
                     (double(arch.mac.nativeBits) * double(arch.mac.nativeBits));
    macEnergy_ = macEnergy * double(macs_);
    compulsory_[idx(Tensor::Weights)] = double(shape_.tensorSize(Tensor::Weights));
    compulsory_[idx(Tensor::Outputs)] = double(shape_.tensorSize(Tensor::Outputs));
    compulsory_[idx(Tensor::Inputs)] =
        double(shape_.bound(Dim::N) * shape_.bound(Dim::G) * shape_.bound(Dim::C)) *
        double(touchedPoints(shape_.bound(Dim::P), shape_.bound(Dim::R), shape_.wstride, shape_.wdilation)) *
        double(touchedPoints(shape_.bound(Dim::Q), shape_.bound(Dim::S), shape_.hstride, shape_.hdilation));
}

static bool movesTile(Tensor t, Dim d)
{
    return t == Tensor::Inputs ? (d == Dim::N || d == Dim::G || d == Dim::C) : isRelevant(t, d);
}

double MappingBound::reloadFactor(Tensor t, int l, const DimArray &temporal) const
{
    int mask = 0;
    std::vector<Dim> active;
    for (Dim d : kAllDims)
        if (temporal[idx(d)] > 1) {
            mask |= 1 << idx(d);
            active.push_back(d);
        }
    auto it = orders_.find({l, mask});
    if (it == orders_.end())
        it = orders_.emplace(std::make_pair(l, mask), space_.orders(l, active, keptBelow_[l])).first;
    double best = std::numeric_limits<double>::infinity();
    for (const std::vector<Dim> &order : it->second) {
        double n = 1;
        bool moved = false;
        for (Dim d : order) {
            moved = moved || movesTile(t, d);
            if (moved)
                n *= double(temporal[idx(d)]);
        }
        best = std::min(best, n);
    }
    return std::isfinite(best) ? best : 1.0;
}

double MappingBound::cycles(const LevelFactors &f, int fixedLevel) const
{
    int64_t macsUsable = 1;
    for (int l = 0; l < levels_; ++l) {
        int64_t fan = fanoutMax_[l];
        if (l <= fixedLevel) {
            fan = 1;
            for (Dim d : kAllDims)
                fan *= f[l][int(SlotKind::SpatialX)][idx(d)] * f[l][int(SlotKind::SpatialY)][idx(d)];
        }
        macsUsable *= fan;
    }
    macsUsable = std::min(macsUsable, macs_);
    return std::ceil(double(macs_) / double(macsUsable));
}

double MappingBound::energy(const LevelFactors &f, int fixedLevel) const
{
    const int k = std::min(fixedLevel, levels_ - 1);
    // Tiles and fan-outs of the fixed levels.
    std::array<Extents, kMaxLevels> ext{};
    std::array<int64_t, kMaxLevels> fan{};
    std::array<std::array<NestLoop, kNumDims>, kMaxLevels> spatial{};
    std::array<size_t, kMaxLevels> spatialCount{};
    Extents e{1, 1, 1, 1, 1, 1, 1, 1};
    for (int l = 0; l <= k; ++l) {
        fan[l] = 1;
        spatialCount[l] = 0;
        for (Dim d : kAllDims) {
            const int64_t s = f[l][int(SlotKind::SpatialX)][idx(d)] * f[l][int(SlotKind::SpatialY)][idx(d)];
            if (s > 1)
                spatial[l][spatialCount[l]++] = {d, s, e[idx(d)]};
            fan[l] *= s;
        }
        for (Dim d : kAllDims)
            e[idx(d)] *= f[l][0][idx(d)] * f[l][1][idx(d)] * f[l][2][idx(d)];
        ext[l] = e;
    }
    auto fanUpper = [&](int l) { return l <= k ? fan[l] : fanoutMax_[l]; };
    // Factors above a level (every factor of a dimension not yet inside its tile); above the fixed levels
    // the remainder of the outermost fixed one is an upper bound.
    auto remaining = [&](int l, Dim d) {
        const int at = std::min(l, k);
        return at < 0 ? shape_.bound(d) : shape_.bound(d) / ext[at][idx(d)];
    };
    auto instancesUpper = [&](int c) {
        double n = 1;
        for (int l = c + 1; l < levels_; ++l)
            n *= double(fanUpper(l));
        return n;
    };
    // The dimensions whose loops move a tensor's tile to operands it did not hold (Inputs: the channel
    // blocks; a step of P, Q, R or S may bring only part of a window, which this bound does not count).
    auto moves = movesTile;
    // Fills of keeper c summed over its instances, at least. Its instances multiply by every fan-out above
    // it; its tile reloads for every relevant factor above it; and once a relevant temporal loop sits above
    // it at level l*, every factor above l* reloads it too (the best order puts the other loops of l* inside
    // its relevant ones, where they are free). Above the fixed levels any factor may be spatial or
    // temporal; either way it multiplies, except irrelevant ones while no relevant loop is known above c.
    auto changesLower = [&](Tensor t, int c) {
        if (c > k)
            return compulsory_[idx(t)];
        double n = double(tileVolume(t, ext[c], shape_));
        int lstar = -1;
        for (int l = c + 1; l <= k && lstar < 0; ++l)
            for (Dim d : kAllDims)
                if (moves(t, d) && f[l][int(SlotKind::Temporal)][idx(d)] > 1)
                    lstar = l;
        for (int l = c + 1; l <= k; ++l) {
            n *= double(fan[l]);
            if (l == lstar)
                n *= reloadFactor(t, l, f[l][int(SlotKind::Temporal)]);
            else if (lstar >= 0 && l > lstar)
                for (Dim d : kAllDims)
                    n *= double(f[l][int(SlotKind::Temporal)][idx(d)]);
        }
        for (Dim d : kAllDims)
            if (lstar >= 0 || moves(t, d))
                n *= double(remaining(k, d));
        return t == Tensor::Inputs ? std::max(compulsory_[idx(t)], n) : n;
    };
    // At most how many children of an unfixed fan-out share one tile: the factors that could sit there
    // without moving the tile.
    auto sharedUpper = [&](Tensor t, int l) {
        double n = 1;
        for (Dim d : kAllDims)
            if (t == Tensor::Inputs ? d != Dim::N && d != Dim::G && d != Dim::C : !isRelevant(t, d))
                n *= double(remaining(k, d));
        return std::max(1.0, std::min(n, double(fanoutMax_[l])));
    };

    double total = macEnergy_;
    for (Tensor t : kAllTensors) {
        int last = -1;
        for (int l = 0; l < levels_; ++l)
            if (keep_[l][idx(t)])
                last = l;
        int child = -1;
        double childChanges = 0;
        for (int c = 0; c < levels_; ++c) {
            if (!keep_[c][idx(t)])
                continue;
            // Accesses serving the level below (summed over instances): the child's changes (or every MAC
            // step) times the distinct tiles its fan-outs hold, over the children sharing them.
            double ratio = 1;
            for (int l = child + 1; l <= c; ++l) {
                ratio *= l <= k ? double(distinctTiles(t, {spatial[l].data(), spatialCount[l]}, shape_)) /
                                      double(fan[l])
                                : 1.0 / sharedUpper(t, l);
            }
            const double content = (child < 0 ? double(macs_) : childChanges) * ratio;
            const double changes = changesLower(t, c);
            const bool outermost = c == last;
            double reads = content, fills = outermost ? 0 : changes, updates = 0;
            if (t == Tensor::Outputs) {
                updates = content;
                // The first update of each output an instance holds reads nothing.
                // Instances hold distinct outputs except where a reduction dimension is spread over them.
                double replicas = 1, unknown = 1;
                for (int l = c + 1; l < levels_; ++l) {
                    if (l <= k) {
                        for (Dim d : kReductionDims)
                            replicas *= double(f[l][int(SlotKind::SpatialX)][idx(d)] *
                                               f[l][int(SlotKind::SpatialY)][idx(d)]);
                    } else {
                        unknown *= double(fanoutMax_[l]);
                    }
                }
                if (unknown > 1) {
                    double left = 1;
                    for (Dim d : kReductionDims)
                        left *= double(remaining(k, d));
                    replicas *= std::min(left, unknown);
                }
                const double held = compulsory_[idx(t)] * replicas;
                reads = std::max(0.0, content - held);
                if (!forkFill_)
                    fills = 0;
            }
            const LevelTerm &term = terms_[c][idx(t)];
            const double share = std::min(1.0, double(clusters_[c]) / instancesUpper(c));
            total += share * (term.read * reads + term.fill * fills + term.update * updates);
            if (std::getenv("BOUND_DEBUG"))
                std::fprintf(stderr, "  L%d t%d reads %.0f fills %.0f updates %.0f -> %.1f\n", c, int(t), reads, fills, updates, term.read * reads + term.fill * fills + term.update * updates);
            child = c;
            childChanges = changes;
        }
    }
    return total;
}

double MappingBound::metric(const LevelFactors &f, int fixedLevel) const
{
    switch (metric_) {
    case Metric::Energy:
        return energy(f, fixedLevel);
    case Metric::Delay:
        return cycles(f, fixedLevel);
    case Metric::Edp:
        return energy(f, fixedLevel) * cycles(f, fixedLevel);
    }
    return 0;
}

} // namespace bitloop
