#include "mapping/mapping.h"

#include "arch/architecture.h"

#include <algorithm>
#include <cstdint>
#include <sstream>

namespace bitloop
{

int64_t LevelMapping::spatialFanout() const
{
    int64_t f = 1;
    for (Dim d : kAllDims)
        f *= spatial(d);
    return f;
}

int64_t Mapping::product(Dim d) const
{
    // Saturates instead of wrapping, so that absurd factors from a file can never multiply to a bound.
    int64_t p = 1;
    for (const LevelMapping &l : levels)
        for (int64_t f : {l.temporal[idx(d)], l.spatialX[idx(d)], l.spatialY[idx(d)]})
            if (__builtin_mul_overflow(p, f, &p))
                return INT64_MAX;
    return p;
}

std::vector<Dim> Mapping::activeTemporalOrder(int level) const
{
    const LevelMapping &l = levels[level];
    std::vector<Dim> out;
    auto consider = [&](Dim d) {
        if (l.temporal[idx(d)] > 1 && std::find(out.begin(), out.end(), d) == out.end())
            out.push_back(d);
    };
    for (Dim d : l.order)
        consider(d);
    for (Dim d : kAllDims)
        consider(d);
    return out;
}

std::string formatLoopNest(const Architecture &arch, const Mapping &mapping)
{
    std::ostringstream os;
    int indent = 0;
    auto pad = [&]() { return std::string(static_cast<size_t>(indent) * 2, ' '); };
    for (int li = static_cast<int>(mapping.levels.size()) - 1; li >= 0; --li) {
        const LevelMapping &lm = mapping.levels[li];
        std::string name = li < arch.numLevels() ? arch.levels[li].name : "level" + std::to_string(li);
        os << name << " [";
        for (Tensor t : kAllTensors)
            if (lm.keep[idx(t)])
                os << " " << tensorName(t);
        os << " ]\n" << std::string(name.size() + 2, '-') << "\n";
        std::vector<Dim> temporal = mapping.activeTemporalOrder(li);
        for (auto it = temporal.rbegin(); it != temporal.rend(); ++it) {
            os << "| " << pad() << "for " << dimLetter(*it) << " in [0:" << lm.temporal[idx(*it)] << ")\n";
            ++indent;
        }
        std::vector<Dim> spatialDims = lm.spatialOrder;
        for (Dim d : kAllDims)
            if (std::find(spatialDims.begin(), spatialDims.end(), d) == spatialDims.end())
                spatialDims.push_back(d);
        // Printed outermost first: the order lists innermost first.
        for (auto it = spatialDims.rbegin(); it != spatialDims.rend(); ++it) {
            for (int axis = 0; axis < 2; ++axis) {
                int64_t f = axis == 0 ? lm.spatialX[idx(*it)] : lm.spatialY[idx(*it)];
                if (f <= 1)
                    continue;
                os << "| " << pad() << "spatial_for " << dimLetter(*it) << " in [0:" << f << ") ("
                   << (axis == 0 ? "X" : "Y") << ")\n";
                ++indent;
            }
        }
        os << "\n";
    }
    os << "| " << pad() << "<< Compute >>\n";
    return os.str();
}

} // namespace bitloop
