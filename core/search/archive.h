// The non-dominated archive of a run: of every feasible individual ever evaluated, those no other one
// dominates, one per distinct gene vector (configuration). A run reports this set, not the engine's first
// front: NSGA-II keeps a fixed-size population and truncates its fronts by crowding distance, so the last
// population's first front can lack non-dominated points found earlier, hold one that an earlier
// evaluation dominates, and see its hypervolume fall. The archive only ever grows in the region it
// dominates, so its hypervolume (with a fixed reference point) never falls. It only observes: the
// engine's selection is untouched.
//
// Constraint-domination as the engine applies it (a feasible point beats an infeasible one) means an
// infeasible point can never be on the reported front once anything feasible exists; while nothing
// feasible has been found the archive is empty (hypervolume 0) rather than listing the least-violating
// points, because front.csv has no violation column and a row there is read as a design that meets the
// constraints.
#pragma once

#include "search/problem.h"

#include <vector>

namespace bitloop::search
{

class ParetoArchive
{
public:
    // Offers an evaluated individual; feasibility is judged from its constraint values (Deb's total
    // violation), as the engine judges it, not from its violation field (which only the engine sets). It
    // joins when it is feasible, no member dominates it and no member has its genes (a configuration
    // evaluated again: the first evaluation stays). Members it dominates leave. A point with the same
    // objectives as a member but other genes joins: neither dominates the other, and both are answers.
    // Returns whether it joined. std::invalid_argument when its objective count differs from the members'.
    bool insert(const Individual &ind);

    // Sorted by objectives, then genes, so the order never depends on the order of insertion (a resumed
    // run rebuilds the archive from the run's database and must report the same front).
    const std::vector<Individual> &members() const { return members_; }
    size_t size() const { return members_.size(); }
    bool empty() const { return members_.empty(); }

    // Of the members' objectives, bounded by `reference` (search::hypervolume): 0 when empty, NaN when the
    // reference point is empty (no hypervolume asked for, as in the engine).
    double hypervolume(const std::vector<double> &reference) const;

private:
    std::vector<Individual> members_;
};

} // namespace bitloop::search
