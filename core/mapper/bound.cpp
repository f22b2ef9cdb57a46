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
    reload_.resize(size_t(levels_) * kMasks);
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

const MappingBound::ReloadSets &MappingBound::reloadSets(int l, unsigned mask) const
{
    ReloadSets &r = reload_[size_t(l) * kMasks + mask];
    if (r.filled)
        return r;
    std::vector<Dim> active;
    for (Dim d : kAllDims)
        if (mask & (1u << idx(d)))
            active.push_back(d);
    for (const std::vector<Dim> &order : space_.orders(l, active, keptBelow_[l]))
        for (Tensor t : kAllTensors) {
            unsigned suffix = 0;
            for (Dim d : order)
                if (suffix || (movesMask_[idx(t)] & (1u << idx(d))))
                    suffix |= 1u << idx(d);
            std::vector<unsigned> &sets = r.suffixes[idx(t)];
            // Only the minimal sets matter: factors are at least 1, so a superset never reloads less.
            if (std::any_of(sets.begin(), sets.end(), [&](unsigned s) { return (s & suffix) == s; }))
                continue;
            sets.erase(
                std::remove_if(sets.begin(), sets.end(), [&](unsigned s) { return (s & suffix) == suffix; }),
                sets.end());
            sets.push_back(suffix);
        }
    r.filled = true;
    return r;
}

double MappingBound::reloadFactor(Tensor t, int l, const DimArray &temporal, unsigned mask) const
{
    const std::vector<unsigned> &sets = reloadSets(l, mask).suffixes[idx(t)];
    if (sets.empty()) // no order allowed: nothing to say
        return 1.0;
    double best = std::numeric_limits<double>::infinity();
    for (unsigned set : sets) {
        double n = 1;
        for (int i = 0; i < kNumDims; ++i)
            if (set & (1u << i))
                n *= double(temporal[i]);
        best = std::min(best, n);
    }
    return best;
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

namespace
{

template <typename Array> double product(unsigned mask, const Array &a)
{
    double n = 1;
    for (; mask; mask &= mask - 1)
        n *= double(a[__builtin_ctz(mask)]);
    return n;
}

} // namespace

void MappingBound::advance(LevelState *s, const LevelFactors &f, int l) const
{
    LevelState &st = s[l];
    const Extents below = l > 0 ? s[l - 1].ext : Extents{1, 1, 1, 1, 1, 1, 1, 1};
    st.ext = below;
    st.fan = st.temporalProduct = 1;
    st.temporalMask = 0;
    unsigned spatialMask = 0;
    for (Dim d : kAllDims) {
        const int i = idx(d);
        const int64_t t = f[l][int(SlotKind::Temporal)][i];
        const int64_t sp = f[l][int(SlotKind::SpatialX)][i] * f[l][int(SlotKind::SpatialY)][i];
        st.spatial[i] = sp;
        st.fan *= sp;
        st.temporalProduct *= t;
        if (t > 1)
            st.temporalMask |= 1u << i;
        if (sp > 1)
            spatialMask |= 1u << i;
        st.ext[i] *= t * sp;
    }
    const DimArray &sp = st.spatial;
    for (Tensor t : kAllTensors) {
        const int ti = idx(t);
        st.sharedSpatial[ti] = product(sharedMask_[ti] & spatialMask, sp);
        // Inputs' windows overlap across a fan-out over P with R (or Q with S): count them exactly.
        const bool overlapping = t == Tensor::Inputs && ((sp[idx(Dim::P)] > 1 && sp[idx(Dim::R)] > 1) ||
                                                         (sp[idx(Dim::Q)] > 1 && sp[idx(Dim::S)] > 1));
        if (!overlapping) {
            st.distinct[ti] = product(relevantMask_[ti] & spatialMask, sp);
        } else {
            std::array<NestLoop, kNumDims> loops;
            size_t n = 0;
            for (Dim d : kAllDims)
                if (sp[idx(d)] > 1)
                    loops[n++] = {d, sp[idx(d)], below[idx(d)]};
            st.distinct[ti] = double(distinctTiles(t, {loops.data(), n}, shape_));
        }
        st.perChild[ti] = st.distinct[ti] / double(st.fan);
        // Fills of each keeper c <= l, summed over its instances, as far as levels c+1..l tell: its tile,
        // times every fan-out above it, times the reloads its tile needs. Once a temporal loop that moves
        // the tile sits above c at level l*, every factor above l* reloads it too, and so do the loops of
        // l* that the best order the level may take leaves outside its first moving loop.
        for (int c : keepers_[ti]) {
            if (c > l)
                break;
            double &n = st.changes[ti][c];
            bool &moved = st.moved[ti][c];
            if (c == l) {
                n = double(tileVolume(t, st.ext, shape_));
                moved = false;
                continue;
            }
            n = s[l - 1].changes[ti][c] * double(st.fan);
            moved = s[l - 1].moved[ti][c];
            if (moved) {
                n *= double(st.temporalProduct);
            } else if (st.temporalMask & movesMask_[ti]) {
                moved = true;
                n *= reloadFactor(t, l, f[l][int(SlotKind::Temporal)], st.temporalMask);
            }
        }
    }
}

double MappingBound::finish(const LevelState *s, int fixedLevel) const
{
    const int k = std::min(fixedLevel, levels_ - 1);
    const int L = levels_;
    // Factors not yet inside the outermost fixed tile (all of them when nothing is fixed), and products of
    // them: all, those that move each tensor, those a fan-out may share.
    // (Quotients of exact integers below 2^53: the double division is exact.)
    std::array<double, kNumDims> left;
    unsigned leftMask = 0;
    for (Dim d : kAllDims) {
        left[idx(d)] = k < 0 ? double(shape_.bound(d)) : double(shape_.bound(d)) / double(s[k].ext[idx(d)]);
        if (left[idx(d)] > 1)
            leftMask |= 1u << idx(d);
    }
    const double leftAll = product(leftMask, left);
    std::array<double, kNumTensors> leftMoves, leftShared;
    for (Tensor t : kAllTensors) {
        leftMoves[idx(t)] = product(movesMask_[idx(t)] & leftMask, left);
        leftShared[idx(t)] = product(sharedMask_[idx(t)] & leftMask, left);
    }
    // Instances of each level, at most: the fan-outs above it (the architecture's where not yet fixed);
    // and the architecture's fan-outs above each level that are not fixed yet.
    std::array<double, kMaxLevels + 1> instancesUpper, unknownAbove;
    instancesUpper[L - 1] = unknownAbove[L - 1] = 1;
    for (int l = L - 1; l > 0; --l) {
        instancesUpper[l - 1] = instancesUpper[l] * double(l <= k ? s[l].fan : fanoutMax_[l]);
        unknownAbove[l - 1] = unknownAbove[l] * (l <= k ? 1.0 : double(fanoutMax_[l]));
    }

    // The fills of keeper c, at least: what the fixed levels tell (advance), times the factors left. While
    // no moving loop is known above c (c is "free"), those that do not move the tile may sit inside every
    // moving loop: `changes[0]`. `changes[1]`: the same when the innermost loop left moves the tile, so that
    // every factor left multiplies.
    auto changesLower = [&](Tensor t, int c, std::array<double, 2> &changes) {
        if (c > k) {
            changes = {compulsory_[idx(t)], compulsory_[idx(t)]};
            return;
        }
        const double n = s[k].changes[idx(t)][c];
        changes = {n * (s[k].moved[idx(t)][c] ? leftAll : leftMoves[idx(t)]), n * leftAll};
        if (t == Tensor::Inputs)
            for (double &x : changes)
                x = std::max(compulsory_[idx(t)], x);
    };

    // One tensor's energy at every level keeping it, in both cases above.
    auto tensorEnergy = [&](Tensor t, std::array<double, 2> &e) {
        e = {0, 0};
        const std::vector<int> &keepers = keepers_[idx(t)];
        int child = -1;
        std::array<double, 2> childChanges{0, 0};
        for (size_t i = 0; i < keepers.size(); ++i) {
            const int c = keepers[i];
            // Accesses serving the level below (summed over instances): the child's changes (or every MAC
            // step) times the distinct tiles its fan-outs hold, over the children sharing them. At most
            // the factors that leave the tile in place can be shared by an unfixed fan-out.
            double ratio = 1;
            for (int l = child + 1; l <= c; ++l)
                if (l <= k)
                    ratio *= s[l].perChild[idx(t)];
                else
                    ratio /= std::max(1.0, std::min(leftShared[idx(t)], double(fanoutMax_[l])));
            std::array<double, 2> changes;
            changesLower(t, c, changes);
            // The first update of each output an instance holds reads nothing; instances hold distinct
            // outputs except where a reduction dimension is spread over them.
            double replicas = 1;
            if (t == Tensor::Outputs) {
                for (int l = c + 1; l <= k; ++l)
                    replicas *= s[l].sharedSpatial[idx(t)];
                replicas *= std::min(leftShared[idx(t)], unknownAbove[c]);
            }
            const LevelTerm &term = terms_[c][idx(t)];
            const double share = std::min(1.0, double(clusters_[c]) / instancesUpper[c]);
            for (int x = 0; x < 2; ++x) {
                const double content = (child < 0 ? double(macs_) : childChanges[x]) * ratio;
                double reads = content, fills = i + 1 == keepers.size() ? 0 : changes[x], updates = 0;
                if (t == Tensor::Outputs) {
                    updates = content;
                    reads = std::max(0.0, content - compulsory_[idx(t)] * replicas);
                    if (!forkFill_)
                        fills = 0;
                }
                e[x] += share * (term.read * reads + term.fill * fills + term.update * updates);
            }
            child = c;
            childChanges = changes;
        }
    };

    // The factors left form loops above the fixed levels in some order. Whatever it is, the innermost of
    // those loops moves every tensor its dimension indexes, and for each such tensor's free keepers every
    // factor left multiplies (a split or spatial factor never does better than a whole temporal loop placed
    // where it suits all tensors at once). So the bound may add, per possible innermost dimension, what it
    // costs the tensors it moves, and keep the least.
    double total = macEnergy_;
    std::array<double, kNumTensors> extra{};
    bool anyExtra = false;
    for (Tensor t : kAllTensors) {
        std::array<double, 2> e;
        tensorEnergy(t, e);
        total += e[0];
        extra[idx(t)] = std::max(0.0, e[1] - e[0]);
        anyExtra = anyExtra || extra[idx(t)] > 0;
    }
    if (anyExtra) {
        double least = std::numeric_limits<double>::infinity();
        for (int i = 0; i < kNumDims; ++i) {
            if (!(leftMask & (1u << i)))
                continue;
            double e = 0;
            for (Tensor t : kAllTensors)
                if (movesMask_[idx(t)] & (1u << i))
                    e += extra[idx(t)];
            least = std::min(least, e);
        }
        if (std::isfinite(least))
            total += least;
    }
    return total;
}

double MappingBound::energy(const LevelFactors &f, int fixedLevel) const
{
    const int k = std::min(fixedLevel, levels_ - 1);
    std::array<LevelState, kMaxLevels> states;
    for (int l = 0; l <= k; ++l)
        advance(states.data(), f, l);
    return finish(states.data(), k);
}

double MappingBound::finishMetric(const LevelState *s, const LevelFactors &f, int fixedLevel) const
{
    switch (metric_) {
    case Metric::Energy:
        return finish(s, fixedLevel);
    case Metric::Delay:
        return cycles(f, fixedLevel);
    case Metric::Edp:
        return finish(s, fixedLevel) * cycles(f, fixedLevel);
    }
    return 0;
}

double MappingBound::metric(const LevelFactors &f, int fixedLevel) const
{
    // The walk's incremental path run from scratch: the same number bit for bit.
    std::array<LevelState, kMaxLevels> states;
    if (needsEnergy())
        for (int l = 0; l <= std::min(fixedLevel, levels_ - 1); ++l)
            advance(states.data(), f, l);
    return finishMetric(states.data(), f, fixedLevel);
}

} // namespace bitloop
