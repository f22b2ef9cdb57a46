#include "model/nest.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

namespace bitloop {

namespace {

// A tensor's coordinates: Weights (G M C R S), Inputs (N G C H W), Outputs (N G M P Q).
constexpr int kCoords = 5;
using Coords = std::array<int64_t, kCoords>;

int64_t windowExtent(int64_t outExtent, int64_t filterExtent, int stride, int dilation)
{
    return (outExtent - 1) * stride + (filterExtent - 1) * dilation + 1;
}

Coords toCoords(Tensor t, const DimArray &v, const ProblemShape &s)
{
    auto x = [&](Dim d) { return v[idx(d)]; };
    switch (t) {
    case Tensor::Weights:
        return {x(Dim::G), x(Dim::M), x(Dim::C), x(Dim::R), x(Dim::S)};
    case Tensor::Outputs:
        return {x(Dim::N), x(Dim::G), x(Dim::M), x(Dim::P), x(Dim::Q)};
    case Tensor::Inputs:
        return {x(Dim::N), x(Dim::G), x(Dim::C), x(Dim::Q) * s.hstride + x(Dim::S) * s.hdilation,
                x(Dim::P) * s.wstride + x(Dim::R) * s.wdilation};
    }
    return {};
}

Coords boxExtents(Tensor t, const Extents &e, const ProblemShape &s)
{
    auto x = [&](Dim d) { return e[idx(d)]; };
    if (t == Tensor::Inputs)
        return {x(Dim::N), x(Dim::G), x(Dim::C), windowExtent(x(Dim::Q), x(Dim::S), s.hstride, s.hdilation),
                windowExtent(x(Dim::P), x(Dim::R), s.wstride, s.wdilation)};
    return toCoords(t, e, s);
}

// Direction of the last single-coordinate move: 0 = none, else +-(coordinate + 1).
using Direction = int;

struct StepResult {
    int64_t fresh;
    Direction after;
};

// One move of the tile box by `shift` (tensor coordinates), given the previous direction.
StepResult step(const Coords &box, int64_t volume, const Coords &shift, Direction before)
{
    int moved = -1, count = 0;
    for (int c = 0; c < kCoords; ++c)
        if (shift[c] != 0) {
            moved = c;
            ++count;
        }
    if (count == 0)
        return {0, before}; // the same tile: nothing new
    if (count > 1)
        return {volume, 0};
    const Direction dir = shift[moved] > 0 ? moved + 1 : -(moved + 1);
    if (before != 0 && before != dir)
        return {volume, 0};
    const int64_t kept = std::max<int64_t>(0, box[moved] - std::llabs(shift[moved]));
    return {volume - volume / box[moved] * kept, dir};
}

struct Simulation {
    Tensor tensor;
    Coords box;
    int64_t volume;
    std::vector<Coords> shifts; // per loop: the move when it steps from #0 to #1, inner loops at #1 -> #0
    std::vector<int64_t> bounds;
    std::map<std::pair<size_t, Direction>, std::pair<int64_t, Direction>> memo;

    // Every step of loops [0, m) after their first tile, entered with direction `dir`.
    std::pair<int64_t, Direction> inner(size_t m, Direction dir)
    {
        if (m == 0)
            return {0, dir};
        auto key = std::make_pair(m, dir);
        auto it = memo.find(key);
        if (it != memo.end())
            return it->second;
        auto first = inner(m - 1, dir);
        StepResult s = step(box, volume, shifts[m - 1], first.second);
        auto second = inner(m - 1, s.after);
        std::pair<int64_t, Direction> r{first.first + (bounds[m - 1] - 1) * (s.fresh + second.first),
                                        second.second};
        memo[key] = r;
        return r;
    }
};

} // namespace

int64_t tileVolume(Tensor t, const Extents &e, const ProblemShape &shape)
{
    Coords b = boxExtents(t, e, shape);
    int64_t v = 1;
    for (int64_t x : b)
        v *= x;
    return v;
}

int64_t tileChanges(Tensor t, const Extents &tile, const std::vector<NestLoop> &loops, const ProblemShape &shape)
{
    Simulation sim{t, boxExtents(t, tile, shape), tileVolume(t, tile, shape), {}, {}, {}};
    DimArray back{0, 0, 0, 0, 0, 0, 0, 0}; // one stride of every loop inside the current one
    for (const NestLoop &l : loops) {
        if (l.bound <= 1)
            continue;
        DimArray shift = back;
        shift[idx(l.dim)] += l.stride;
        sim.shifts.push_back(toCoords(t, shift, shape));
        sim.bounds.push_back(l.bound);
        back[idx(l.dim)] -= l.stride;
    }
    return sim.volume + sim.inner(sim.shifts.size(), 0).first;
}

int64_t distinctTiles(Tensor t, const std::vector<NestLoop> &spatialLoops, const ProblemShape &shape)
{
    // Children differ along each tensor coordinate independently; along W (or H) two loops (P and R) can
    // land on the same offset, which is what Eyeriss's diagonal multicast of input rows exploits.
    std::array<std::set<int64_t>, kCoords> offsets;
    for (auto &o : offsets)
        o.insert(0);
    for (const NestLoop &l : spatialLoops) {
        if (l.bound <= 1)
            continue;
        DimArray unit{0, 0, 0, 0, 0, 0, 0, 0};
        unit[idx(l.dim)] = l.stride;
        Coords c = toCoords(t, unit, shape);
        for (int k = 0; k < kCoords; ++k) {
            if (c[k] == 0)
                continue;
            std::set<int64_t> next;
            for (int64_t base : offsets[k])
                for (int64_t i = 0; i < l.bound; ++i)
                    next.insert(base + i * c[k]);
            offsets[k].swap(next);
        }
    }
    int64_t n = 1;
    for (const auto &o : offsets)
        n *= static_cast<int64_t>(o.size());
    return n;
}

std::vector<NestLoop> temporalLoopsAbove(const Mapping &mapping, int level)
{
    DimArray below = tileExtents(mapping, level);
    std::vector<NestLoop> loops;
    for (int li = level + 1; li < static_cast<int>(mapping.levels.size()); ++li) {
        const LevelMapping &lm = mapping.levels[li];
        for (Dim d : kAllDims)
            below[idx(d)] *= lm.spatial(d); // the fan-out of level li sits inside its temporal loops
        for (Dim d : mapping.activeTemporalOrder(li)) {
            loops.push_back({d, lm.temporal[idx(d)], below[idx(d)]});
            below[idx(d)] *= lm.temporal[idx(d)];
        }
    }
    return loops;
}

std::vector<NestLoop> spatialLoopsBetween(const Mapping &mapping, int lo, int hi)
{
    std::vector<NestLoop> loops;
    for (int li = lo + 1; li <= hi; ++li) {
        const Extents inside = tileExtents(mapping, li - 1);
        const LevelMapping &lm = mapping.levels[li];
        for (Dim d : kAllDims)
            if (lm.spatial(d) > 1)
                loops.push_back({d, lm.spatial(d), inside[idx(d)]});
    }
    return loops;
}

Extents tileExtents(const Mapping &mapping, int level)
{
    Extents e{1, 1, 1, 1, 1, 1, 1, 1};
    for (int li = 0; li <= level && li < static_cast<int>(mapping.levels.size()); ++li)
        for (Dim d : kAllDims)
            e[idx(d)] *= mapping.levels[li].temporal[idx(d)] * mapping.levels[li].spatial(d);
    return e;
}

} // namespace bitloop
