#include "search/operators.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace bitloop::search
{

namespace
{

bool isProbability(double p)
{
    return p >= 0 && p <= 1;
}

double mutationRate(const ProblemSpec &problem, const VariationSettings &s)
{
    if (s.mutationProbability > 0)
        return s.mutationProbability;
    const size_t free = problem.numFreeVariables();
    return free ? 1.0 / double(free) : 0.0;
}

// The spread factor beta_q for one side of SBX: alpha limits the distribution to children inside the
// bounds (beta is the parents' distance to that bound, relative to their separation).
double sbxBetaQ(double beta, double eta, double u)
{
    const double alpha = 2.0 - std::pow(beta, -(eta + 1.0));
    if (u <= 1.0 / alpha)
        return std::pow(u * alpha, 1.0 / (eta + 1.0));
    return std::pow(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0));
}

} // namespace

void validate(const VariationSettings &s)
{
    if (!isProbability(s.crossoverProbability))
        throw std::invalid_argument("crossover probability must be in [0, 1]");
    if (!isProbability(s.mutationProbability))
        throw std::invalid_argument(
            "mutation probability must be in [0, 1] (0 = 1 / number of free variables)");
    if (!(s.sbxEta >= 0) || !std::isfinite(s.sbxEta))
        throw std::invalid_argument("SBX distribution index must be finite and >= 0");
    if (!(s.mutationEta >= 0) || !std::isfinite(s.mutationEta))
        throw std::invalid_argument("polynomial mutation distribution index must be finite and >= 0");
}

std::vector<double> randomGenes(const ProblemSpec &problem, Rng &rng)
{
    std::vector<double> x(problem.numVariables());
    for (size_t i = 0; i < x.size(); ++i) {
        const Variable &v = problem.variables[i];
        if (v.pinned)
            x[i] = *v.pinned;
        else if (v.isInteger)
            x[i] = v.allowed[rng.below(v.allowed.size())];
        else
            x[i] = v.lo + rng.real() * (v.hi - v.lo);
    }
    return x;
}

void sbxPair(double y1, double y2, double lo, double hi, double eta, double u, double &c1, double &c2)
{
    if (y1 > y2)
        std::swap(y1, y2);
    const double d = y2 - y1;
    const double bq1 = sbxBetaQ(1.0 + 2.0 * (y1 - lo) / d, eta, u);
    const double bq2 = sbxBetaQ(1.0 + 2.0 * (hi - y2) / d, eta, u);
    c1 = std::clamp(0.5 * ((y1 + y2) - bq1 * d), lo, hi);
    c2 = std::clamp(0.5 * ((y1 + y2) + bq2 * d), lo, hi);
}

void crossover(const ProblemSpec &problem, const VariationSettings &s, Rng &rng, std::vector<double> &a,
               std::vector<double> &b)
{
    if (!(rng.real() < s.crossoverProbability))
        return;
    for (size_t i = 0; i < a.size(); ++i) {
        const Variable &v = problem.variables[i];
        if (v.pinned)
            continue;
        if (v.isInteger) {
            if (rng.coin())
                std::swap(a[i], b[i]);
            continue;
        }
        if (!rng.coin())
            continue;
        // Identical parents give identical children: no draw is spent on them (the reference code's
        // 1e-14 threshold, which also keeps the spread factors finite).
        if (std::fabs(a[i] - b[i]) <= 1e-14)
            continue;
        double c1, c2;
        sbxPair(a[i], b[i], v.lo, v.hi, s.sbxEta, rng.real(), c1, c2);
        // Which parent's slot gets the lower child is itself random, so no gene drifts with the order.
        if (rng.coin())
            std::swap(c1, c2);
        a[i] = c1;
        b[i] = c2;
    }
}

double polynomialMutation(double y, double lo, double hi, double eta, double u)
{
    const double range = hi - lo;
    const double delta1 = (y - lo) / range, delta2 = (hi - y) / range;
    const double power = 1.0 / (eta + 1.0);
    double deltaq;
    if (u < 0.5) {
        const double val = 2.0 * u + (1.0 - 2.0 * u) * std::pow(1.0 - delta1, eta + 1.0);
        deltaq = std::pow(val, power) - 1.0;
    } else {
        const double val = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * std::pow(1.0 - delta2, eta + 1.0);
        deltaq = 1.0 - std::pow(val, power);
    }
    return std::clamp(y + deltaq * range, lo, hi);
}

void mutate(const ProblemSpec &problem, const VariationSettings &s, Rng &rng, std::vector<double> &x)
{
    const double rate = mutationRate(problem, s);
    for (size_t i = 0; i < x.size(); ++i) {
        const Variable &v = problem.variables[i];
        if (v.pinned || !(rng.real() < rate))
            continue;
        if (v.isInteger) {
            const size_t n = v.allowed.size();
            if (n < 2)
                continue;
            const size_t current =
                size_t(std::find(v.allowed.begin(), v.allowed.end(), x[i]) - v.allowed.begin());
            // One of the n - 1 other values, uniformly: skip over the current one.
            size_t j = rng.below(n - 1);
            if (j >= current)
                ++j;
            x[i] = v.allowed[j];
        } else {
            x[i] = polynomialMutation(x[i], v.lo, v.hi, s.mutationEta, rng.real());
        }
    }
}

} // namespace bitloop::search
