#include "mapper/bound.h"

#include "model/nest.h"

#include <algorithm>
#include <cmath>
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
    for (Tensor t : kAllTensors) {
        for (Dim d : kAllDims) {
            const unsigned bit = 1u << idx(d);
            const bool channel = d == Dim::N || d == Dim::G || d == Dim::C;
            if (isRelevant(t, d))
                relevantMask_[idx(t)] |= bit;
            // A step of P, Q, R or S may bring only part of an Inputs window: only channel blocks count.
            if (t == Tensor::Inputs ? channel : isRelevant(t, d))
                movesMask_[idx(t)] |= bit;
            // Children of a fan-out over these may hold the same tile (Inputs: P with R, Q with S overlap).
            if (t == Tensor::Inputs ? !channel : !isRelevant(t, d))
                sharedMask_[idx(t)] |= bit;
        }
        for (int l = 0; l < levels_; ++l)
            if (keep_[l][idx(t)])
                keepers_[idx(t)].push_back(l);
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

double MappingBound::reloadFactor(Tensor t, int l, const DimArray &temporal) const
{
    unsigned mask = 0;
    for (int i = 0; i < kNumDims; ++i)
        if (temporal[i] > 1)
            mask |= 1u << i;
    auto it = orders_.find({l, mask});
    if (it == orders_.end()) {
        std::vector<Dim> active;
        for (Dim d : kAllDims)
            if (mask & (1u << idx(d)))
                active.push_back(d);
        it = orders_.emplace(std::make_pair(l, mask), space_.orders(l, active, keptBelow_[l])).first;
    }
    double best = std::numeric_limits<double>::infinity();
    for (const std::vector<Dim> &order : it->second) {
        double n = 1;
        bool moved = false;
        for (Dim d : order) {
            moved = moved || (movesMask_[idx(t)] & (1u << idx(d)));
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
    const int L = levels_;
    // Per fixed level: tile extents, fan-out, the product of its temporal factors, which dims loop there.
    std::array<Extents, kMaxLevels> ext;
    std::array<int64_t, kMaxLevels> fan, temporalProduct;
    std::array<DimArray, kMaxLevels> spatialOf;
    std::array<unsigned, kMaxLevels> temporalMask;
    Extents e{1, 1, 1, 1, 1, 1, 1, 1};
    for (int l = 0; l <= k; ++l) {
        fan[l] = temporalProduct[l] = 1;
        temporalMask[l] = 0;
        for (Dim d : kAllDims) {
            const int i = idx(d);
            const int64_t t = f[l][int(SlotKind::Temporal)][i];
            const int64_t sp = f[l][int(SlotKind::SpatialX)][i] * f[l][int(SlotKind::SpatialY)][i];
            spatialOf[l][i] = sp;
            fan[l] *= sp;
            temporalProduct[l] *= t;
            if (t > 1)
                temporalMask[l] |= 1u << i;
            e[i] *= t * sp;
        }
        ext[l] = e;
    }
    // Factors not yet inside the outermost fixed tile (all of them when nothing is fixed).
    DimArray left;
    for (Dim d : kAllDims)
        left[idx(d)] = k < 0 ? shape_.bound(d) : shape_.bound(d) / ext[k][idx(d)];
    // Instances of each level, at most: the fan-outs above it (the architecture's where not yet fixed).
    std::array<double, kMaxLevels + 1> instancesUpper;
    instancesUpper[L - 1] = 1;
    for (int l = L - 1; l > 0; --l)
        instancesUpper[l - 1] = instancesUpper[l] * double(l <= k ? fan[l] : fanoutMax_[l]);

    auto product = [&](unsigned mask, const DimArray &a) {
        double n = 1;
        for (int i = 0; i < kNumDims; ++i)
            if (mask & (1u << i))
                n *= double(a[i]);
        return n;
    };
    // Distinct tiles of tensor t among the children of fixed level l's fan-out.
    auto distinct = [&](Tensor t, int l) {
        const DimArray &sp = spatialOf[l];
        const bool overlapping = t == Tensor::Inputs && ((sp[idx(Dim::P)] > 1 && sp[idx(Dim::R)] > 1) ||
                                                         (sp[idx(Dim::Q)] > 1 && sp[idx(Dim::S)] > 1));
        if (!overlapping)
            return product(relevantMask_[idx(t)], sp);
        std::array<NestLoop, kNumDims> loops;
        size_t n = 0;
        const Extents &below = l > 0 ? ext[l - 1] : Extents{1, 1, 1, 1, 1, 1, 1, 1};
        for (Dim d : kAllDims)
            if (sp[idx(d)] > 1)
                loops[n++] = {d, sp[idx(d)], below[idx(d)]};
        return double(distinctTiles(t, {loops.data(), n}, shape_));
    };
    // Fills of keeper c summed over its instances, at least. Its instances multiply by every fan-out above
    // it and its tile reloads for every factor above it that moves the tile. Once such a temporal loop
    // sits above c at level l*, every factor above l* reloads it too, and so do the loops of l* that the
    // best order the level may take leaves outside its first moving loop. Above the fixed levels a factor
    // may be spatial or temporal; either way it multiplies, except, while no moving loop is known above c,
    // the ones that do not move the tile.
    auto changesLower = [&](Tensor t, int c) {
        if (c > k)
            return compulsory_[idx(t)];
        const unsigned moves = movesMask_[idx(t)];
        double n = double(tileVolume(t, ext[c], shape_));
        int lstar = -1;
        for (int l = c + 1; l <= k; ++l) {
            n *= double(fan[l]);
            if (lstar >= 0) {
                n *= double(temporalProduct[l]);
            } else if (temporalMask[l] & moves) {
                lstar = l;
                n *= reloadFactor(t, l, f[l][int(SlotKind::Temporal)]);
            }
        }
        n *= product(lstar >= 0 ? (1u << kNumDims) - 1 : moves, left);
        return t == Tensor::Inputs ? std::max(compulsory_[idx(t)], n) : n;
    };

    double total = macEnergy_;
    for (Tensor t : kAllTensors) {
        const std::vector<int> &keepers = keepers_[idx(t)];
        int child = -1;
        double childChanges = 0;
        for (size_t i = 0; i < keepers.size(); ++i) {
            const int c = keepers[i];
            // Accesses serving the level below (summed over instances): the child's changes (or every MAC
            // step) times the distinct tiles its fan-outs hold, over the children sharing them. At most
            // the factors that leave the tile in place can be shared by an unfixed fan-out.
            double ratio = 1;
            for (int l = child + 1; l <= c; ++l)
                ratio /=
                    l <= k
                        ? double(fan[l]) / distinct(t, l)
                        : std::max(1.0, std::min(product(sharedMask_[idx(t)], left), double(fanoutMax_[l])));
            const double content = (child < 0 ? double(macs_) : childChanges) * ratio;
            const double changes = changesLower(t, c);
            double reads = content, fills = i + 1 == keepers.size() ? 0 : changes, updates = 0;
            if (t == Tensor::Outputs) {
                // The first update of each output an instance holds reads nothing; instances hold distinct
                // outputs except where a reduction dimension is spread over them.
                updates = content;
                double replicas = 1, unknown = 1;
                for (int l = c + 1; l < L; ++l) {
                    if (l <= k)
                        replicas *= product(sharedMask_[idx(t)], spatialOf[l]);
                    else
                        unknown *= double(fanoutMax_[l]);
                }
                replicas *= std::min(product(sharedMask_[idx(t)], left), unknown);
                reads = std::max(0.0, content - compulsory_[idx(t)] * replicas);
                if (!forkFill_)
                    fills = 0;
            }
            const LevelTerm &term = terms_[c][idx(t)];
            const double share = std::min(1.0, double(clusters_[c]) / instancesUpper[c]);
            total += share * (term.read * reads + term.fill * fills + term.update * updates);
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
