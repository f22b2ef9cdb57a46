// Standard benchmark problems with known Pareto fronts, and the exact hypervolume of those fronts, to
// validate the search: ZDT1, ZDT2, ZDT3 (Zitzler, Deb, Thiele, "Comparison of multiobjective evolutionary
// algorithms: empirical results", Evolutionary Computation 8(2), 2000) and DTLZ2 (Deb, Thiele, Laumanns,
// Zitzler, "Scalable multi-objective optimization test problems", CEC 2002).
#pragma once

#include "search/problem.h"

#include <functional>
#include <string>
#include <vector>

namespace bitloop::search
{

struct TestProblem {
    std::string name;
    ProblemSpec spec;
    // Objectives of one gene vector (f sized to the number of objectives).
    std::function<void(const std::vector<double> &x, std::vector<double> &f)> evaluate;
    // Reference point used for these problems here: 1.1 in every objective (the true fronts span [0, 1]
    // in each objective, ZDT3's f2 reaches below 0), and the hypervolume of the true front w.r.t. it.
    std::vector<double> referencePoint;
    double trueHypervolume = 0;
};

// n real variables in [0, 1] (30 in the paper); g = 1 + 9 sum(x_2..x_n) / (n - 1), optimal at g = 1.
TestProblem zdt1(int n = 30); // f2 = g (1 - sqrt(f1 / g)): convex front f2 = 1 - sqrt(f1)
TestProblem zdt2(int n = 30); // f2 = g (1 - (f1 / g)^2): concave front f2 = 1 - f1^2
TestProblem zdt3(int n = 30); // f2 = g (1 - sqrt(f1/g) - f1/g sin(10 pi f1)): five disconnected pieces
// M objectives, M + k - 1 real variables in [0, 1]; the front is the unit sphere in the positive orthant.
TestProblem dtlz2(int m = 3, int k = 10);

// Hypervolume of the true fronts w.r.t. (r1, r2), resp. (r, ..., r).
double zdt1FrontHypervolume(double r1, double r2); // exact integral
double zdt2FrontHypervolume(double r1, double r2); // exact integral
double zdt3FrontHypervolume(double r1, double r2); // exact integral over the front's pieces (see .cpp)
double dtlz2FrontHypervolume(double r, int m = 3); // r^M - unit-ball orthant (r^3 - pi/6), r >= 1

// How close a finite set can come: a front of mu points has less hypervolume than the continuous front
// (the steps of its staircase leave corners uncovered), so a population of 100 cannot reach the true
// front's value. These give the yardsticks for what it can reach.

// A connected 2-objective front f2 = f(f1), f1 in [0, 1], f decreasing, with its first two derivatives.
struct FrontCurve {
    double (*f)(double);
    double (*df)(double);
    double (*d2f)(double);
};
FrontCurve zdt1Front(); // 1 - sqrt(f1)
FrontCurve zdt2Front(); // 1 - f1^2

// The largest hypervolume w.r.t. (r1, r2) of mu points on the curve (its optimal mu-distribution, Auger,
// Bader, Brockhoff, Zitzler, FOGA 2009), to ~1e-12 relative; r1 >= 1 and r2 >= f(0).
double optimalMuHypervolume(const FrontCurve &curve, int mu, double r1, double r2);

// Das and Dennis' simplex lattice with h divisions (all w >= 0 with sum 1 on a grid of step 1/h; (h + 1)
// (h + 2) / 2 points for 3 objectives) pushed radially onto DTLZ2's front, the unit sphere: a well spread
// set of points on the true front.
std::vector<std::vector<double>> dtlz2LatticeFront(int h, int m = 3);

// The f1 intervals [a_k, b_k] on which ZDT3's curve f2 = 1 - sqrt(f1) - f1 sin(10 pi f1) is non-dominated
// (the part of f1 in [0, 1] where the curve is below all of its values to the left).
std::vector<std::pair<double, double>> zdt3FrontPieces();

} // namespace bitloop::search
