// Exact hypervolume for minimization: the measure of the region dominated by a point set and bounded by a
// reference point. A point that is not strictly better than the reference in every coordinate encloses
// nothing and contributes nothing.
//   2 objectives: sort by the first coordinate and sweep, O(n log n).
//   3 objectives: sweep along the third coordinate while keeping the 2-D staircase of the points seen so
//                 far and its area up to date on each insertion (the HV3D idea of Beume et al. 2009),
//                 O(n log n).
//   4 or more:    slicing along the last coordinate down to the 3-D case (exact, O(n^(M-2) log n): fine for
//                 the small fronts a search keeps).
#pragma once

#include <vector>

namespace bitloop::search
{

// Every point must have as many coordinates as the reference point (std::invalid_argument otherwise).
double hypervolume(const std::vector<std::vector<double>> &points, const std::vector<double> &reference);

} // namespace bitloop::search
