#include "mapper/bound.h"

#include "mapper/search.h"
#include "model/nest.h"

#include <algorithm>

namespace bitloop
{

LowerBound::LowerBound(const Mapspace &space, const BitWidths &bits, const ModelOptions &model, Metric metric,
                       const std::vector<std::array<bool, kNumTensors>> &keep)
    : space_(space), metric_(metric), firstPsum_(model.firstPsum), levels_(space.numLevels())
{
    const Architecture &arch = space.arch();
    const ProblemShape &shape = space.shape();
    macs_ = double(shape.macs());
    double macEnergy = arch.mac.energy;
    if (model.scaleMacEnergy || arch.mac.scaleWithBits) {
        const double native = double(arch.mac.nativeBits) * double(arch.mac.nativeBits);
        macEnergy *= double(bits.of(Tensor::Weights)) * double(bits.of(Tensor::Inputs)) / native;
    }
    macEnergy_ = macEnergy * macs_;
    capacity_.resize(static_cast<size_t>(levels_));
    for (int l = 0; l < levels_; ++l)
        capacity_[l] = arch.fanoutX(l) * arch.fanoutY(l);
    Extents all;
    for (Dim d : kAllDims)
        all[idx(d)] = shape.bound(d);
    for (Tensor t : kAllTensors) {
        size_[idx(t)] = double(tileVolume(t, all, shape));
        for (int l = 0; l < levels_; ++l) {
            if (!keep[l][idx(t)])
                continue;
            const StorageLevel &spec = arch.levels[l];
            // Instances in use never exceed the product of the fan-outs above; a level whose clusters share
            // one access charges min(instances, clusters) accesses, at least this share of its instances.
            int64_t maxInstances = 1;
            for (int j = l + 1; j < levels_; ++j)
                maxInstances *= capacity_[j];
            const int64_t clusters = std::max<int64_t>(1, spec.instances / spec.clusterSize);
            const double share = std::min(1.0, double(clusters) / double(std::max<int64_t>(1, maxInstances)));
            const double k = std::max(1, packingFactor(spec.wordBits, bits.of(t)));
            const double per = share / (k * double(std::max<int64_t>(1, spec.blockSize)));
            keepers_[idx(t)].push_back(
                {l, spec.readEnergy * per, spec.writeEnergy * per, spec.updateEnergy * per, false});
        }
        if (!keepers_[idx(t)].empty())
            keepers_[idx(t)].back().outermost = true;
    }
}

double LowerBound::operator()(const Factors &f, int levelsComplete) const
{
    switch (metric_) {
    case Metric::Energy:
        return energy(f, levelsComplete);
    case Metric::Delay:
        return cycles(f, levelsComplete);
    case Metric::Edp:
        return energy(f, levelsComplete) * cycles(f, levelsComplete);
    }
    return 0;
}

double LowerBound::cycles(const Factors &f, int levelsComplete) const
{
    // Compute cycles = MACs / every spatial factor; an open fan-out is at most its capacity.
    double spatial = 1;
    for (int l = 0; l < levels_; ++l) {
        if (l < levelsComplete) {
            for (Dim d : kAllDims)
                spatial *= double(f[l][1][idx(d)] * f[l][2][idx(d)]);
        } else {
            spatial *= double(capacity_[l]);
        }
    }
    return macs_ / spatial;
}

double LowerBound::energy(const Factors &f, int levelsComplete) const
{
    const ProblemShape &shape = space_.shape();
    const int L = levels_;
    // Chosen factors only (an open one is 1): every extent and spatial product below is at most the final.
    std::array<Extents, kMaxLevels> ext;
    std::array<Extents, kMaxLevels> spatialAbove; // product of the fan-out factors above a level, per dim
    std::array<double, kMaxLevels> fan{};
    Extents below{1, 1, 1, 1, 1, 1, 1, 1};
    for (int l = 0; l < L; ++l) {
        fan[l] = 1;
        for (Dim d : kAllDims) {
            const int64_t s = f[l][1][idx(d)] * f[l][2][idx(d)];
            below[idx(d)] *= s * f[l][0][idx(d)];
            fan[l] *= double(s);
        }
        ext[l] = below;
    }
    Extents above{1, 1, 1, 1, 1, 1, 1, 1};
    for (int l = L - 1; l >= 0; --l) {
        spatialAbove[l] = above;
        for (Dim d : kAllDims)
            above[idx(d)] *= f[l][1][idx(d)] * f[l][2][idx(d)];
    }
    // Distinct tiles over the fan-outs of levels [0, c] (exact where the levels are complete).
    auto innermostReads = [&](Tensor t, int c) {
        double distinct = 1, children = 1;
        Extents inner{1, 1, 1, 1, 1, 1, 1, 1};
        for (int l = 0; l <= c; ++l) {
            std::array<NestLoop, kNumDims> loops;
            size_t n = 0;
            for (Dim d : kAllDims) {
                const int64_t s = f[l][1][idx(d)] * f[l][2][idx(d)];
                if (s > 1)
                    loops[n++] = {d, s, inner[idx(d)]};
            }
            distinct *= double(distinctTiles(t, {loops.data(), n}, shape));
            children *= fan[l];
            inner = ext[l];
        }
        return macs_ * distinct / children;
    };
    // Inputs fetched whole at every step: N, G and C loops always; P and Q loops too where the filter is
    // one wide (R = 1, S = 1), since a step then shifts the window by at least its extent. Fills of the
    // tile of level `tile`, over the instances of level `at` (its keeper above, for reads: the copies the
    // fan-outs between share differ only along the other dimensions).
    std::array<bool, kNumDims> whole{};
    for (Dim d : {Dim::N, Dim::G, Dim::C})
        whole[idx(d)] = true;
    whole[idx(Dim::P)] = shape.bound(Dim::R) == 1;
    whole[idx(Dim::Q)] = shape.bound(Dim::S) == 1;
    auto inputsCompulsory = [&](int tile, int at = -1) {
        if (at < 0)
            at = tile;
        Extents e = ext[tile];
        for (Dim d : kAllDims)
            if (whole[idx(d)])
                e[idx(d)] = shape.bound(d);
        double n = double(tileVolume(Tensor::Inputs, e, shape));
        for (Dim d : kAllDims)
            if (!whole[idx(d)])
                n *= double(spatialAbove[at][idx(d)]);
        return n;
    };
    // Compulsory operands moved at (or out of) keeper c, over all its instances.
    auto compulsory = [&](Tensor t, int c) {
        if (t != Tensor::Inputs && levelsComplete == L) {
            // Every factor known, only orders open: a tile of Weights or Outputs is fetched again at every
            // step from the innermost relevant loop outwards. At the lowest level above c with a relevant
            // loop, the best order puts the level's irrelevant loops inside; every loop of the levels
            // above that one counts.
            double n = double(tileVolume(t, ext[c], shape));
            bool relevantSeen = false;
            for (int l = c + 1; l < L; ++l) {
                bool here = false;
                for (Dim d : kAllDims)
                    here = here || (f[l][0][idx(d)] > 1 && isRelevant(t, d));
                for (Dim d : kAllDims)
                    if (relevantSeen || isRelevant(t, d))
                        n *= double(f[l][0][idx(d)]);
                relevantSeen = relevantSeen || here;
            }
            for (Dim d : kAllDims)
                n *= double(spatialAbove[c][idx(d)]);
            return n;
        }
        if (t != Tensor::Inputs) {
            double n = size_[idx(t)];
            for (Dim d : kAllDims)
                if (!isRelevant(t, d))
                    n *= double(spatialAbove[c][idx(d)]);
            return n;
        }
        return inputsCompulsory(c);
    };

    double total = macEnergy_;
    for (Tensor t : kAllTensors) {
        const auto &ks = keepers_[idx(t)];
        for (size_t i = 0; i < ks.size(); ++i) {
            const Keeper &k = ks[i];
            const int c = k.level;
            // What the level below asks: reads (Weights, Inputs) or updates (Outputs).
            double asked = 0;
            if (i == 0 && c < levelsComplete) {
                asked = innermostReads(t, c);
            } else if (i == 0 && t == Tensor::Inputs) {
                double children = 1;
                for (int l = 0; l <= c; ++l)
                    children *= l < levelsComplete ? fan[l] : double(capacity_[l]);
                asked = macs_ / children;
            } else if (t == Tensor::Inputs) {
                // The child's compulsory fills, less the copies the fan-outs between share (multicast).
                asked = inputsCompulsory(ks[i - 1].level, c);
            } else {
                // The child's fills, less the copies the fan-outs between share (Weights and Outputs
                // children differ only along the dimensions the tensor uses).
                const int child = ks[i - 1].level;
                asked = compulsory(t, child);
                for (int l = child + 1; l <= c; ++l)
                    for (Dim d : kAllDims)
                        if (!isRelevant(t, d))
                            asked /= double(f[l][1][idx(d)] * f[l][2][idx(d)]);
            }
            double reads = asked, updates = 0, fills = 0;
            if (t == Tensor::Outputs) {
                updates = asked;
                reads = 0;
                if (i == 0 && c < levelsComplete) {
                    // Reads = updates - the distinct outputs held, which are updates / the temporal
                    // factors of C, R and S (every one of them, chosen ones at least).
                    double temporal = 1;
                    for (int l = 0; l < L; ++l)
                        for (Dim d : kAllDims)
                            if (!isRelevant(t, d))
                                temporal *= double(f[l][0][idx(d)]);
                    reads = asked * (1 - 1 / temporal);
                } else if (levelsComplete == L) {
                    // Reads = updates - the distinct outputs the instances hold (all of them known).
                    double held = size_[idx(t)];
                    for (Dim d : kAllDims)
                        if (!isRelevant(t, d))
                            held *= double(spatialAbove[c][idx(d)]);
                    reads = std::max(0.0, asked - held);
                }
                if (!k.outermost && firstPsum_ == FirstPsumRule::ForkFill)
                    fills = compulsory(t, c);
            } else if (!k.outermost) {
                fills = compulsory(t, c);
            }
            total += reads * k.read + fills * k.fill + updates * k.update;
        }
    }
    return total;
}

} // namespace bitloop
