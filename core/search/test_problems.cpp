#include "search/test_problems.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace bitloop::search
{

namespace
{

const double kPi = 3.14159265358979323846;

ProblemSpec unitBox(int n, int objectives)
{
    if (n < 2)
        throw std::invalid_argument("test problem: at least 2 variables");
    ProblemSpec p;
    p.variables.assign(size_t(n), Variable::real(0, 1));
    p.numObjectives = objectives;
    return p;
}

double zdtG(const std::vector<double> &x)
{
    double sum = 0;
    for (size_t i = 1; i < x.size(); ++i)
        sum += x[i];
    return 1 + 9 * sum / double(x.size() - 1);
}

TestProblem zdt(const char *name, int n, double (*shape)(double f1, double g),
                double (*frontHv)(double, double))
{
    TestProblem t;
    t.name = name;
    t.spec = unitBox(n, 2);
    t.evaluate = [shape](const std::vector<double> &x, std::vector<double> &f) {
        const double g = zdtG(x);
        f[0] = x[0];
        f[1] = g * shape(x[0], g);
    };
    t.referencePoint = {1.1, 1.1};
    t.trueHypervolume = frontHv(1.1, 1.1);
    return t;
}

// ZDT3's front curve and its derivative in f1.
double zdt3F(double u)
{
    return 1 - std::sqrt(u) - u * std::sin(10 * kPi * u);
}
double zdt3dF(double u)
{
    return -0.5 / std::sqrt(u) - std::sin(10 * kPi * u) - 10 * kPi * u * std::cos(10 * kPi * u);
}
// Antiderivative of zdt3F: u - 2/3 u^1.5 - (sin(a u) / a^2 - u cos(a u) / a), a = 10 pi.
double zdt3IntF(double u)
{
    const double a = 10 * kPi;
    return u - 2.0 / 3.0 * u * std::sqrt(u) - (std::sin(a * u) / (a * a) - u * std::cos(a * u) / a);
}

// Bisection to the last representable bit; lo and hi bracket a sign change of fn.
template <class Fn> double bisect(Fn fn, double lo, double hi)
{
    const bool loNegative = fn(lo) < 0;
    for (int i = 0; i < 200; ++i) {
        const double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if ((fn(mid) < 0) == loNegative)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

} // namespace

TestProblem zdt1(int n)
{
    return zdt(
        "ZDT1", n, [](double f1, double g) { return 1 - std::sqrt(f1 / g); }, zdt1FrontHypervolume);
}

TestProblem zdt2(int n)
{
    return zdt(
        "ZDT2", n, [](double f1, double g) { return 1 - (f1 / g) * (f1 / g); }, zdt2FrontHypervolume);
}

TestProblem zdt3(int n)
{
    return zdt(
        "ZDT3", n,
        [](double f1, double g) { return 1 - std::sqrt(f1 / g) - f1 / g * std::sin(10 * kPi * f1); },
        zdt3FrontHypervolume);
}

TestProblem dtlz2(int m, int k)
{
    if (m < 2 || k < 1)
        throw std::invalid_argument("DTLZ2: at least 2 objectives and k >= 1");
    TestProblem t;
    t.name = "DTLZ2";
    t.spec = unitBox(m + k - 1, m);
    t.evaluate = [m](const std::vector<double> &x, std::vector<double> &f) {
        double g = 0;
        for (size_t i = size_t(m - 1); i < x.size(); ++i)
            g += (x[i] - 0.5) * (x[i] - 0.5);
        // f_i = (1 + g) cos(x_1 pi/2) ... cos(x_{M-i} pi/2) sin(x_{M-i+1} pi/2), the sine absent for i = 1.
        for (int i = 0; i < m; ++i) {
            double v = 1 + g;
            for (int j = 0; j < m - 1 - i; ++j)
                v *= std::cos(x[size_t(j)] * kPi / 2);
            if (i > 0)
                v *= std::sin(x[size_t(m - 1 - i)] * kPi / 2);
            f[size_t(i)] = v;
        }
    };
    t.referencePoint.assign(size_t(m), 1.1);
    t.trueHypervolume = dtlz2FrontHypervolume(1.1, m);
    return t;
}

// HV = integral over u in [0, r1] of max(0, r2 - h(u)), h(u) the front's f2 at min(u, 1) (the front is
// decreasing, so that is the lowest f2 at f1 <= u). The integrand is positive from a, where h = r2.
double zdt1FrontHypervolume(double r1, double r2)
{
    if (r1 <= 0 || r2 <= 0)
        return 0;
    const double a = std::pow(std::max(0.0, 1 - r2), 2), b = std::min(r1, 1.0);
    double hv = 0;
    if (b > a)
        hv += (r2 - 1) * (b - a) + 2.0 / 3.0 * (b * std::sqrt(b) - a * std::sqrt(a));
    if (r1 > 1)
        hv += (r1 - 1) * r2;
    return hv;
}

double zdt2FrontHypervolume(double r1, double r2)
{
    if (r1 <= 0 || r2 <= 0)
        return 0;
    const double a = std::sqrt(std::max(0.0, 1 - r2)), b = std::min(r1, 1.0);
    double hv = 0;
    if (b > a)
        hv += (r2 - 1) * (b - a) + (b * b * b - a * a * a) / 3;
    if (r1 > 1)
        hv += (r1 - 1) * r2;
    return hv;
}

// The pieces are where the curve equals its running minimum from the left. Each piece ends at a local
// minimum b_k of the curve (a root of the derivative); the next piece starts where the following
// descending branch comes back down to f(b_k), and a lobe whose minimum stays above f(b_k) is dominated
// whole. Roots are bracketed on a grid of 10^4 steps (the critical points are ~0.1 apart) and bisected to
// the last bit.
std::vector<std::pair<double, double>> zdt3FrontPieces()
{
    // Critical points in order: local maxima (+ to -) and minima (- to +) of the curve; u = 1 is a minimum
    // candidate since the curve is still falling there.
    struct Critical {
        double u;
        bool minimum;
    };
    std::vector<Critical> critical;
    const int steps = 10000;
    double prevU = 1.0 / steps, prevD = zdt3dF(prevU);
    for (int j = 2; j <= steps; ++j) {
        const double u = double(j) / steps, d = zdt3dF(u);
        if ((prevD < 0) != (d < 0))
            critical.push_back({bisect(zdt3dF, prevU, u), prevD < 0});
        prevU = u;
        prevD = d;
    }
    if (zdt3dF(1.0) < 0)
        critical.push_back({1.0, true});

    std::vector<std::pair<double, double>> pieces;
    double lastMax = 0, level = 0;
    for (const Critical &c : critical) {
        if (!c.minimum) {
            lastMax = c.u;
            continue;
        }
        const double fMin = zdt3F(c.u);
        if (pieces.empty()) {
            pieces.emplace_back(0.0, c.u);
        } else if (fMin < level) {
            const double m = level;
            pieces.emplace_back(bisect([m](double u) { return zdt3F(u) - m; }, lastMax, c.u), c.u);
        } else {
            continue;
        }
        level = fMin;
    }
    return pieces;
}

// Exact: HV = sum over pieces of the integral of (r2 - f) over [a_k, b_k] (antiderivative in closed form)
// plus the flat stretches [b_k, a_{k+1}] (and [b_last, r1]) at height r2 - f(b_k). Needs r1 beyond the
// last piece and r2 above the front's top f(0) = 1, so that no piece is clipped.
double zdt3FrontHypervolume(double r1, double r2)
{
    const auto pieces = zdt3FrontPieces();
    if (r1 < pieces.back().second || r2 < 1)
        throw std::invalid_argument(
            "ZDT3 front hypervolume: needs r1 >= " + std::to_string(pieces.back().second) + " and r2 >= 1");
    double hv = 0;
    for (size_t k = 0; k < pieces.size(); ++k) {
        const auto [a, b] = pieces[k];
        hv += r2 * (b - a) - (zdt3IntF(b) - zdt3IntF(a));
        const double next = k + 1 < pieces.size() ? pieces[k + 1].first : r1;
        hv += (next - b) * (r2 - zdt3F(b));
    }
    return hv;
}

// The front is the unit sphere's positive orthant: the box [0, r]^M minus the orthant of the unit ball.
// A box point outside the ball is dominated by the front point on its ray from the origin (y / |y| <= y);
// one inside is dominated by none (p <= y with |p| = 1 would need |y| >= 1). The orthant of the unit
// M-ball has volume pi^(M/2) / Gamma(M/2 + 1) / 2^M: pi/6 for M = 3.
double dtlz2FrontHypervolume(double r, int m)
{
    if (r < 1 || m < 2)
        throw std::invalid_argument("DTLZ2 front hypervolume: needs r >= 1 and at least 2 objectives");
    return std::pow(r, m) - std::pow(kPi, m / 2.0) / std::tgamma(m / 2.0 + 1) / std::pow(2.0, m);
}

} // namespace bitloop::search

namespace bitloop::search
{

FrontCurve zdt1Front()
{
    return {[](double u) { return 1 - std::sqrt(u); }, [](double u) { return -0.5 / std::sqrt(u); },
            [](double u) { return 0.25 / (u * std::sqrt(u)); }};
}

FrontCurve zdt2Front()
{
    return {[](double u) { return 1 - u * u; }, [](double u) { return -2 * u; }, [](double) { return -2.0; }};
}

// With the points sorted, u_1 < ... < u_mu, the hypervolume is sum_i (u_{i+1} - u_i) (r2 - f(u_i)) with
// u_{mu+1} = r1: each point's share depends on its neighbours only. Coordinate ascent moves one point at a
// time to its best place between its neighbours (a Newton step on its share, or golden-section search
// where the share is not concave or the step leaves the interval), sweep after sweep until a sweep gains
// nothing. Each sweep only increases the value, and every value is that of an actual set of mu points on
// the front, so the result never exceeds the optimum.
double optimalMuHypervolume(const FrontCurve &curve, int mu, double r1, double r2)
{
    if (mu < 1 || r1 < 1 || r2 < curve.f(0))
        throw std::invalid_argument("optimal mu-distribution: needs mu >= 1, r1 >= 1 and r2 >= f(0)");
    std::vector<double> u(static_cast<size_t>(mu));
    for (int i = 0; i < mu; ++i)
        u[size_t(i)] = mu == 1 ? 0.5 : double(i) / (mu - 1);
    auto total = [&] {
        double hv = 0;
        for (size_t i = 0; i < u.size(); ++i)
            hv += ((i + 1 < u.size() ? u[i + 1] : r1) - u[i]) * (r2 - curve.f(u[i]));
        return hv;
    };
    double hv = total();
    for (int sweep = 0; sweep < 200000; ++sweep) {
        for (size_t i = 0; i < u.size(); ++i) {
            const double lo = i ? u[i - 1] : 0.0, hi = i + 1 < u.size() ? u[i + 1] : 1.0;
            const double next = i + 1 < u.size() ? u[i + 1] : r1;
            const double left = i ? r2 - curve.f(u[i - 1]) : 0.0; // height of the step to the left
            // The share of point i, as a function of where it sits in [lo, hi].
            auto share = [&](double x) { return (next - x) * (r2 - curve.f(x)) + (x - lo) * left; };
            const double x = u[i];
            double best = x, bestShare = share(x);
            const double d1 = -(r2 - curve.f(x)) - (next - x) * curve.df(x) + left;
            const double d2 = 2 * curve.df(x) - (next - x) * curve.d2f(x);
            const double newton = x - d1 / d2;
            if (d2 < 0 && std::isfinite(newton) && newton > lo && newton < hi && share(newton) > bestShare) {
                best = newton;
                bestShare = share(newton);
            } else {
                const double g = (std::sqrt(5.0) - 1) / 2;
                double a = lo, b = hi, x1 = b - g * (b - a), x2 = a + g * (b - a);
                double s1 = share(x1), s2 = share(x2);
                for (int k = 0; k < 80 && b - a > 1e-15; ++k) {
                    if (s1 < s2) {
                        a = x1, x1 = x2, s1 = s2, x2 = a + g * (b - a), s2 = share(x2);
                    } else {
                        b = x2, x2 = x1, s2 = s1, x1 = b - g * (b - a), s1 = share(x1);
                    }
                }
                for (double c : {x1, x2, lo, hi})
                    if (share(c) > bestShare) {
                        best = c;
                        bestShare = share(c);
                    }
            }
            u[i] = best;
        }
        const double now = total();
        const bool done = now - hv <= 1e-15 * now;
        hv = std::max(hv, now);
        if (done)
            break;
    }
    return hv;
}

std::vector<std::vector<double>> dtlz2LatticeFront(int h, int m)
{
    if (h < 1 || m < 2)
        throw std::invalid_argument("simplex lattice: needs h >= 1 divisions and m >= 2 objectives");
    std::vector<std::vector<double>> points;
    std::vector<int> w(size_t(m), 0);
    // Every composition of h into m non-negative parts, in lexicographic order.
    std::function<void(size_t, int)> place = [&](size_t k, int left) {
        if (k + 1 == w.size()) {
            w[k] = left;
            std::vector<double> p(w.size());
            double norm = 0;
            for (size_t j = 0; j < w.size(); ++j)
                norm += double(w[j]) * double(w[j]);
            norm = std::sqrt(norm);
            for (size_t j = 0; j < w.size(); ++j)
                p[j] = double(w[j]) / norm;
            points.push_back(std::move(p));
            return;
        }
        for (int v = 0; v <= left; ++v) {
            w[k] = v;
            place(k + 1, left - v);
        }
    };
    place(0, h);
    return points;
}

} // namespace bitloop::search
