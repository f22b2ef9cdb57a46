#include "model/nest.h"

#include <algorithm>
#include <cstdlib>

namespace bitloop
{

namespace
{

// A tensor's coordinates: Weights (G M C R S), Inputs (N G C H W), Outputs (N G M P Q).
constexpr int kCoords = 5;
using Coords = std::array<int64_t, kCoords>;

int64_t windowExtent(int64_t outExtent, int64_t filterExtent, int stride, int dilation)
{
    return (outExtent - 1) * stride + (filterExtent - 1) * dilation + 1;
}

// The coordinate of tensor t that dimension d moves, and by how much per unit (0: d is irrelevant).
int coordOf(Tensor t, Dim d, const ProblemShape &s, int64_t &scale)
{
    scale = 1;
    switch (t) {
    case Tensor::Weights:
        switch (d) {
        case Dim::G:
            return 0;
        case Dim::M:
            return 1;
        case Dim::C:
            return 2;
        case Dim::R:
            return 3;
        case Dim::S:
            return 4;
        default:
            return -1;
        }
    case Tensor::Outputs:
        switch (d) {
        case Dim::N:
            return 0;
        case Dim::G:
            return 1;
        case Dim::M:
            return 2;
        case Dim::P:
            return 3;
        case Dim::Q:
            return 4;
        default:
            return -1;
        }
    case Tensor::Inputs:
        switch (d) {
        case Dim::N:
            return 0;
        case Dim::G:
            return 1;
        case Dim::C:
            return 2;
        case Dim::Q:
            scale = s.hstride;
            return 3;
        case Dim::S:
            scale = s.hdilation;
            return 3;
        case Dim::P:
            scale = s.wstride;
            return 4;
        case Dim::R:
            scale = s.wdilation;
            return 4;
        default:
            return -1;
        }
    }
    return -1;
}

Coords boxExtents(Tensor t, const Extents &e, const ProblemShape &s)
{
    auto x = [&](Dim d) { return e[idx(d)]; };
    switch (t) {
    case Tensor::Weights:
        return {x(Dim::G), x(Dim::M), x(Dim::C), x(Dim::R), x(Dim::S)};
    case Tensor::Outputs:
        return {x(Dim::N), x(Dim::G), x(Dim::M), x(Dim::P), x(Dim::Q)};
    case Tensor::Inputs:
        return {x(Dim::N), x(Dim::G), x(Dim::C), windowExtent(x(Dim::Q), x(Dim::S), s.hstride, s.hdilation),
                windowExtent(x(Dim::P), x(Dim::R), s.wstride, s.wdilation)};
    }
    return {};
}

// Direction of the last single-coordinate move: 0 = none, else +-(coordinate + 1), so 11 states.
constexpr int kDirections = 2 * kCoords + 1;
constexpr size_t kMaxLoops = 96;

struct Simulation {
    Coords box{};
    int64_t volume = 0;
    size_t n = 0;
    // Left uninitialized on purpose (this runs millions of times in a search): only the first n entries
    // are written and read; memoSet is cleared for those rows before use.
    std::array<Coords, kMaxLoops> shifts; // the move when loop k steps #0 -> #1 and inner loops #1 -> #0
    std::array<int64_t, kMaxLoops> bounds;
    std::array<std::array<int64_t, kDirections>, kMaxLoops + 1> memoFresh;
    std::array<std::array<int8_t, kDirections>, kMaxLoops + 1> memoDir;
    std::array<std::array<bool, kDirections>, kMaxLoops + 1> memoSet;

    // One move of the box; returns the new operands and updates the direction.
    int64_t step(const Coords &shift, int &dir) const
    {
        int moved = -1, count = 0;
        for (int c = 0; c < kCoords; ++c)
            if (shift[c] != 0) {
                moved = c;
                ++count;
            }
        if (count == 0)
            return 0; // the same tile
        if (count > 1) {
            dir = 0;
            return volume;
        }
        const int d = shift[moved] > 0 ? moved + 1 : -(moved + 1);
        if (dir != 0 && dir != d) {
            dir = 0;
            return volume;
        }
        dir = d;
        const int64_t kept = std::max<int64_t>(0, box[moved] - std::llabs(shift[moved]));
        return volume - volume / box[moved] * kept;
    }

    // Every step of loops [0, m) after their first tile, entered with direction `dir` (left as it ends).
    int64_t inner(size_t m, int &dir)
    {
        if (m == 0)
            return 0;
        const int slot = dir + kCoords;
        if (memoSet[m][slot]) {
            dir = memoDir[m][slot];
            return memoFresh[m][slot];
        }
        int d = dir;
        const int64_t first = inner(m - 1, d);
        const int64_t fresh = step(shifts[m - 1], d);
        const int64_t second = inner(m - 1, d);
        const int64_t total = first + (bounds[m - 1] - 1) * (fresh + second);
        memoSet[m][slot] = true;
        memoFresh[m][slot] = total;
        memoDir[m][slot] = static_cast<int8_t>(d);
        dir = d;
        return total;
    }
};

} // namespace

int64_t tileVolume(Tensor t, const Extents &e, const ProblemShape &shape)
{
    const Coords b = boxExtents(t, e, shape);
    return b[0] * b[1] * b[2] * b[3] * b[4];
}

int64_t tileChanges(Tensor t, const Extents &tile, LoopSpan loops, const ProblemShape &shape)
{
    const int64_t volume = tileVolume(t, tile, shape);
    // Without sliding windows a step either keeps the tile (only irrelevant loops moved) or replaces it:
    // the fills are the tile times every loop from the innermost relevant one outwards.
    if (t != Tensor::Inputs) {
        int64_t total = volume, outer = 1;
        bool relevantSeen = false;
        for (const NestLoop &l : loops) {
            relevantSeen = relevantSeen || (l.bound > 1 && isRelevant(t, l.dim));
            if (relevantSeen)
                outer *= l.bound;
        }
        return relevantSeen ? total * outer : total;
    }
    Simulation sim;
    sim.box = boxExtents(t, tile, shape);
    sim.volume = volume;
    Coords back{};
    for (const NestLoop &l : loops) {
        if (l.bound <= 1)
            continue;
        if (sim.n == kMaxLoops)
            break; // deeper nests than any architecture has; the outermost loops would only add full refills
        int64_t scale = 1;
        const int c = coordOf(t, l.dim, shape, scale);
        Coords shift = back;
        if (c >= 0) {
            shift[c] += l.stride * scale;
            back[c] -= l.stride * scale;
        }
        sim.shifts[sim.n] = shift;
        sim.bounds[sim.n] = l.bound;
        ++sim.n;
    }
    for (size_t i = 0; i <= sim.n; ++i)
        sim.memoSet[i].fill(false);
    int dir = 0;
    return volume + sim.inner(sim.n, dir);
}

int64_t distinctTiles(Tensor t, LoopSpan spatialLoops, const ProblemShape &shape)
{
    // Along most coordinates children differ by one loop each, and every index is a distinct tile. Along W
    // (or H) two loops (P and R) can land on the same offset, which is what Eyeriss's diagonal multicast of
    // input rows exploits: count the distinct offsets there.
    std::array<int, kCoords> loopsOn{};
    int64_t plain = 1;
    for (const NestLoop &l : spatialLoops) {
        int64_t scale = 1;
        const int c = coordOf(t, l.dim, shape, scale);
        if (c >= 0 && l.bound > 1)
            ++loopsOn[c];
    }
    std::array<std::vector<int64_t>, kCoords> offsets;
    for (const NestLoop &l : spatialLoops) {
        int64_t scale = 1;
        const int c = coordOf(t, l.dim, shape, scale);
        if (c < 0 || l.bound <= 1)
            continue;
        if (loopsOn[c] == 1) {
            plain *= l.bound;
            continue;
        }
        std::vector<int64_t> &o = offsets[c];
        if (o.empty())
            o.push_back(0);
        std::vector<int64_t> next;
        next.reserve(o.size() * size_t(l.bound));
        for (int64_t base : o)
            for (int64_t i = 0; i < l.bound; ++i)
                next.push_back(base + i * l.stride * scale);
        std::sort(next.begin(), next.end());
        next.erase(std::unique(next.begin(), next.end()), next.end());
        o.swap(next);
    }
    for (const auto &o : offsets)
        if (!o.empty())
            plain *= static_cast<int64_t>(o.size());
    return plain;
}

LoopNest::LoopNest(const Mapping &mapping) : levels_(static_cast<int>(mapping.levels.size()))
{
    Extents below{1, 1, 1, 1, 1, 1, 1, 1};
    extents_[0] = below;
    for (int l = 0; l < levels_; ++l) {
        const LevelMapping &lm = mapping.levels[static_cast<size_t>(l)];
        // The fan-out of level l sits inside its temporal loops.
        spatialStart_[static_cast<size_t>(l)] = spatialCount_;
        int64_t fan = 1;
        for (Dim d : kAllDims) {
            const int64_t f = lm.spatial(d);
            if (f > 1)
                spatial_[spatialCount_++] = {d, f, below[idx(d)]};
            fan *= f;
            below[idx(d)] *= f;
        }
        fanout_[static_cast<size_t>(l)] = fan;
        // Temporal loops in the level's order, then any active dims the order leaves out, canonically.
        temporalStart_[static_cast<size_t>(l)] = temporalCount_;
        unsigned placed = 0;
        auto place = [&](Dim d) {
            const int64_t f = lm.temporal[idx(d)];
            if (f <= 1 || (placed & (1u << idx(d))))
                return;
            placed |= 1u << idx(d);
            temporal_[temporalCount_++] = {d, f, below[idx(d)]};
            below[idx(d)] *= f;
            computeSteps_ *= f;
        };
        for (Dim d : lm.order)
            place(d);
        for (Dim d : kAllDims)
            place(d);
        extents_[static_cast<size_t>(l) + 1] = below;
    }
    spatialStart_[static_cast<size_t>(levels_)] = spatialCount_;
    temporalStart_[static_cast<size_t>(levels_)] = temporalCount_;
}

LoopSpan LoopNest::temporalAbove(int level) const
{
    const size_t from = temporalStart_[static_cast<size_t>(level + 1)];
    return {temporal_.data() + from, temporalCount_ - from};
}

LoopSpan LoopNest::spatial(int level) const
{
    const size_t from = spatialStart_[static_cast<size_t>(level)];
    return {spatial_.data() + from, spatialStart_[static_cast<size_t>(level) + 1] - from};
}

} // namespace bitloop
