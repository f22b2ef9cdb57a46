// The ranking half of NSGA-II (Deb, Pratap, Agarwal, Meyarivan, "A fast and elitist multiobjective genetic
// algorithm: NSGA-II", IEEE TEVC 6(2), 2002): constraint-domination, fast non-dominated sorting, crowding
// distance and the crowded-comparison operator.
#pragma once

#include "search/problem.h"

#include <vector>

namespace bitloop::search
{

// Pareto dominance for minimization: a is no worse in every objective and better in at least one.
bool dominates(const std::vector<double> &a, const std::vector<double> &b);

// Deb's constraint-domination (Sec. V of the paper): a feasible individual beats an infeasible one, of two
// infeasible ones the smaller total violation wins, two feasible ones compare by Pareto dominance.
bool constrainedDominates(const Individual &a, const Individual &b);

// Fast non-dominated sorting, O(M N^2): the fronts as indices into pop, first front first, each front in
// increasing index order; sets every individual's rank under constraint-domination.
std::vector<std::vector<size_t>> nonDominatedSort(std::vector<Individual> &pop);

// Crowding distance of the members of one front: per objective, the members sorted by value (ties by
// index, so the result never depends on the sort's treatment of equal keys) get the normalized gap
// between their two neighbours; the first and last get infinity. An objective with no spread adds
// nothing (it cannot tell members apart) except the infinities at its two ends.
void assignCrowdingDistance(std::vector<Individual> &pop, const std::vector<size_t> &front);

// The crowded-comparison operator: lower rank first, then larger crowding distance.
inline bool crowdedBetter(const Individual &a, const Individual &b)
{
    return a.rank < b.rank || (a.rank == b.rank && a.crowding > b.crowding);
}

} // namespace bitloop::search
