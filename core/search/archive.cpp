#include "search/archive.h"

#include "search/hypervolume.h"
#include "search/sorting.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace bitloop::search
{

namespace
{

bool before(const Individual &a, const Individual &b)
{
    if (a.objectives != b.objectives)
        return a.objectives < b.objectives;
    return a.x < b.x;
}

} // namespace

bool ParetoArchive::insert(const Individual &ind)
{
    if (!members_.empty() && ind.objectives.size() != members_.front().objectives.size())
        throw std::invalid_argument("Pareto archive: an individual with " +
                                    std::to_string(ind.objectives.size()) + " objectives, the members have " +
                                    std::to_string(members_.front().objectives.size()));
    const double violation = totalViolation(ind.constraints);
    if (violation != 0)
        return false;
    for (const Individual &m : members_)
        if (m.x == ind.x || dominates(m.objectives, ind.objectives))
            return false;
    members_.erase(
        std::remove_if(members_.begin(), members_.end(),
                       [&](const Individual &m) { return dominates(ind.objectives, m.objectives); }),
        members_.end());
    Individual member = ind;
    member.violation = violation;
    member.rank = 0;
    member.crowding = 0;
    members_.insert(std::upper_bound(members_.begin(), members_.end(), member, before), std::move(member));
    return true;
}

double ParetoArchive::hypervolume(const std::vector<double> &reference) const
{
    if (reference.empty())
        return std::numeric_limits<double>::quiet_NaN();
    std::vector<std::vector<double>> points;
    points.reserve(members_.size());
    for (const Individual &m : members_)
        points.push_back(m.objectives);
    return search::hypervolume(points, reference);
}

} // namespace bitloop::search
