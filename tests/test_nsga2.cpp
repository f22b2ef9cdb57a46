// The NSGA-II engine (core/search): dominance, non-dominated sorting and crowding distance on hand-worked
// sets; exact hypervolume against hand values and against two brute-force methods on random sets; the
// variation operators' bounds, allowed sets and pins; the Pareto archive on hand-worked points and over a
// whole run; the ask/tell protocol, seeds, termination,
// progress and cancellation; bit-identical save/restore; and convergence on ZDT1-3 and DTLZ2 judged by
// the hypervolume of the true front or, where a population of 100 cannot reach that, by the best a set of
// that many points can reach.
#include "search/archive.h"
#include "search/hypervolume.h"
#include "search/nsga2.h"
#include "search/operators.h"
#include "search/sorting.h"
#include "search/test_problems.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <stdexcept>

using namespace bitloop::search;

namespace
{

const double kInf = std::numeric_limits<double>::infinity();
const double kPi = 3.14159265358979323846;

Individual withObjectives(std::vector<double> f, double violation = 0)
{
    Individual ind;
    ind.objectives = std::move(f);
    ind.violation = violation;
    return ind;
}

// A mixed problem: six bit-width-like integer genes (gene 2 pinned at 4), two real genes (gene 7 pinned
// at 0.25), two objectives and one constraint. Small enough for quick runs, and exercising every path.
ProblemSpec mixedProblem()
{
    ProblemSpec p;
    for (int i = 0; i < 6; ++i)
        p.variables.push_back(Variable::integer({2, 3, 4, 5, 6, 8}));
    p.variables[2].pin(4);
    p.variables.push_back(Variable::real(-2, 3));
    p.variables.push_back(Variable::real(0, 1));
    p.variables[7].pin(0.25);
    p.numObjectives = 2;
    p.numConstraints = 1;
    return p;
}

void evaluateMixed(std::vector<Individual> &batch)
{
    for (Individual &ind : batch) {
        double bits = 0, inverse = 0;
        for (int i = 0; i < 6; ++i) {
            bits += ind.x[size_t(i)];
            inverse += 1.0 / ind.x[size_t(i)];
        }
        const double r = ind.x[6];
        ind.objectives = {bits + r * r, inverse + (r - 1) * (r - 1) + ind.x[7]};
        ind.constraints = {bits - 30}; // at most 30 bits in all
    }
}

Settings mixedSettings(std::uint64_t seed = 3)
{
    Settings s;
    s.populationSize = 20;
    s.seed = seed;
    s.maxGenerations = 40;
    s.referencePoint = {60, 10};
    return s;
}

void evaluateWith(const TestProblem &p, std::vector<Individual> &batch)
{
    for (Individual &ind : batch)
        p.evaluate(ind.x, ind.objectives);
}

bool sameBits(double a, double b)
{
    return std::memcmp(&a, &b, sizeof a) == 0;
}

bool sameBits(const std::vector<double> &a, const std::vector<double> &b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!sameBits(a[i], b[i]))
            return false;
    return true;
}

// Everything but the wall time, compared bit for bit.
void compareStates(const State &a, const State &b)
{
    QCOMPARE(a.generation, b.generation);
    QCOMPARE(a.evaluations, b.evaluations);
    QVERIFY(a.rng == b.rng);
    QVERIFY(sameBits(a.hypervolumes, b.hypervolumes));
    QCOMPARE(a.population.size(), b.population.size());
    for (size_t i = 0; i < a.population.size(); ++i) {
        const Individual &x = a.population[i], &y = b.population[i];
        QVERIFY2(sameBits(x.x, y.x) && sameBits(x.objectives, y.objectives) &&
                     sameBits(x.constraints, y.constraints) && sameBits(x.violation, y.violation) &&
                     x.rank == y.rank && sameBits(x.crowding, y.crowding),
                 qPrintable(QString("member %1").arg(i)));
    }
}

// Brute force 1: inclusion-exclusion over all subsets, each subset's common box being bounded below by
// the coordinate-wise maximum of its points.
double inclusionExclusion(const std::vector<std::vector<double>> &pts, const std::vector<double> &ref)
{
    const size_t n = pts.size(), d = ref.size();
    double hv = 0;
    for (unsigned mask = 1; mask < (1u << n); ++mask) {
        double box = 1;
        for (size_t k = 0; k < d; ++k) {
            double lo = -kInf;
            for (size_t i = 0; i < n; ++i)
                if (mask & (1u << i))
                    lo = std::max(lo, pts[i][k]);
            box *= std::max(0.0, ref[k] - lo);
        }
        hv += (__builtin_popcount(mask) % 2 ? 1 : -1) * box;
    }
    return hv;
}

// Brute force 2: the grid of all coordinate values; a cell counts when some point dominates its corner.
double gridVolume(const std::vector<std::vector<double>> &pts, const std::vector<double> &ref)
{
    const size_t d = ref.size();
    std::vector<std::vector<double>> axis(d);
    for (size_t k = 0; k < d; ++k) {
        for (const auto &p : pts)
            if (p[k] < ref[k])
                axis[k].push_back(p[k]);
        axis[k].push_back(ref[k]);
        std::sort(axis[k].begin(), axis[k].end());
        axis[k].erase(std::unique(axis[k].begin(), axis[k].end()), axis[k].end());
    }
    std::vector<size_t> cell(d, 0);
    double hv = 0;
    for (;;) {
        bool inside = true;
        double box = 1;
        for (size_t k = 0; k < d && inside; ++k) {
            inside = cell[k] + 1 < axis[k].size();
            if (inside)
                box *= axis[k][cell[k] + 1] - axis[k][cell[k]];
        }
        if (inside) {
            for (const auto &p : pts) {
                bool dom = true;
                for (size_t k = 0; k < d && dom; ++k)
                    dom = p[k] <= axis[k][cell[k]];
                if (dom) {
                    hv += box;
                    break;
                }
            }
        }
        size_t k = 0;
        while (k < d && ++cell[k] + 1 >= axis[k].size())
            cell[k++] = 0;
        if (k == d)
            return hv;
    }
}

std::vector<std::vector<double>> randomPoints(Rng &rng, size_t n, size_t d)
{
    std::vector<std::vector<double>> pts(n, std::vector<double>(d));
    for (auto &p : pts)
        for (double &v : p)
            v = 1.2 * rng.real(); // some beyond the reference point 1
    // A few exact ties and duplicates, which the sweeps must handle.
    if (n > 3) {
        pts[1][0] = pts[0][0];
        pts[3] = pts[2];
    }
    return pts;
}

// An evaluated individual with one gene (its name) and one constraint value (<= 0: feasible).
Individual evaluated(double gene, std::vector<double> f, double constraint = -1)
{
    Individual ind;
    ind.x = {gene};
    ind.objectives = std::move(f);
    ind.constraints = {constraint};
    return ind;
}

// (gene, objectives) of each member, in the archive's order.
std::vector<std::pair<std::vector<double>, std::vector<double>>> contents(const ParetoArchive &a)
{
    std::vector<std::pair<std::vector<double>, std::vector<double>>> out;
    for (const Individual &m : a.members())
        out.emplace_back(m.x, m.objectives);
    return out;
}

template <class F> void expectInvalid(F f, const char *fragment)
{
    try {
        f();
        QFAIL(qPrintable(QString("no error, expected one containing \"%1\"").arg(fragment)));
    } catch (const std::invalid_argument &e) {
        QVERIFY2(QString(e.what()).contains(fragment), e.what());
    }
}

} // namespace

class TestNsga2 : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dominanceAndConstraintDomination()
    {
        QVERIFY(dominates({1, 2}, {1, 3}));
        QVERIFY(dominates({0, 0, 0}, {1, 1, 1}));
        QVERIFY(!dominates({1, 2}, {1, 2})); // equal: neither dominates
        QVERIFY(!dominates({1, 3}, {2, 2}) && !dominates({2, 2}, {1, 3}));

        const Individual good = withObjectives({5, 5}), better = withObjectives({4, 5});
        const Individual slightlyOff = withObjectives({0, 0}, 0.5), farOff = withObjectives({0, 0}, 2.0);
        QVERIFY(constrainedDominates(better, good));
        QVERIFY(!constrainedDominates(good, better));
        // Feasible beats infeasible whatever the objectives.
        QVERIFY(constrainedDominates(good, slightlyOff));
        QVERIFY(!constrainedDominates(slightlyOff, good));
        // Of two infeasible, the smaller violation wins, objectives aside.
        QVERIFY(constrainedDominates(slightlyOff, farOff));
        QVERIFY(!constrainedDominates(farOff, slightlyOff));
        const Individual sameViolation = withObjectives({9, 9}, 0.5);
        QVERIFY(!constrainedDominates(slightlyOff, sameViolation) &&
                !constrainedDominates(sameViolation, slightlyOff));

        QCOMPARE(totalViolation({-1.0, 0.5, 0.0, 2.0}), 2.5);
        QCOMPARE(totalViolation({-3.0, -0.1}), 0.0);
    }

    // Eleven 2-objective points worked by hand: five mutually non-dominated (one a duplicate), two behind
    // them, one behind those, and three infeasible ones ordered by their violation alone.
    void nonDominatedSortHandWorked()
    {
        std::vector<Individual> pop = {
            withObjectives({1, 5}),      // 0: front 0
            withObjectives({2, 3}),      // 1: front 0
            withObjectives({4, 1}),      // 2: front 0
            withObjectives({3, 4}),      // 3: dominated by 1 -> front 1
            withObjectives({5, 5}),      // 4: dominated by 3 and 6 -> front 2
            withObjectives({2, 3}),      // 5: duplicate of 1, neither dominates -> front 0
            withObjectives({4, 2}),      // 6: dominated by 2 -> front 1
            withObjectives({6, 0.5}),    // 7: front 0
            withObjectives({0, 0}, 0.5), // 8: infeasible, best objectives -> after all feasible
            withObjectives({0, 0}, 2),   // 9: more violation -> last
            withObjectives({9, 9}, 0.5), // 10: same violation as 8 -> same front
        };
        const auto fronts = nonDominatedSort(pop);
        const std::vector<std::vector<size_t>> expected = {{0, 1, 2, 5, 7}, {3, 6}, {4}, {8, 10}, {9}};
        QCOMPARE(fronts, expected);
        const std::vector<int> ranks = {0, 0, 0, 1, 2, 0, 1, 0, 3, 4, 3};
        for (size_t i = 0; i < pop.size(); ++i)
            QCOMPARE(pop[i].rank, ranks[i]);
    }

    // The first front above: f1 sorted 0(1) 1(2) 5(2) 2(4) 7(6), range 5; f2 sorted 7(0.5) 2(1) 1(3) 5(3)
    // 0(5), range 4.5 (the duplicates 1 and 5 ordered by index). Ends of either order: infinite.
    void crowdingDistanceHandWorked()
    {
        std::vector<Individual> pop = {
            withObjectives({1, 5}), withObjectives({2, 3}), withObjectives({4, 1}), withObjectives({3, 4}),
            withObjectives({5, 5}), withObjectives({2, 3}), withObjectives({4, 2}), withObjectives({6, 0.5})};
        assignCrowdingDistance(pop, {0, 1, 2, 5, 7});
        QCOMPARE(pop[0].crowding, kInf);
        QCOMPARE(pop[7].crowding, kInf);
        QCOMPARE(pop[1].crowding, (2.0 - 1.0) / 5 + (3.0 - 1.0) / 4.5);
        QCOMPARE(pop[5].crowding, (4.0 - 2.0) / 5 + (5.0 - 3.0) / 4.5);
        QCOMPARE(pop[2].crowding, (6.0 - 2.0) / 5 + (3.0 - 0.5) / 4.5);

        // Two members: both ends. An objective without spread adds nothing but its end markers.
        assignCrowdingDistance(pop, {3, 6});
        QCOMPARE(pop[3].crowding, kInf);
        QCOMPARE(pop[6].crowding, kInf);
        std::vector<Individual> flat = {withObjectives({0, 2, 7}), withObjectives({1, 1, 7}),
                                        withObjectives({2, 0, 7})};
        assignCrowdingDistance(flat, {0, 1, 2});
        QCOMPARE(flat[0].crowding, kInf);
        QCOMPARE(flat[2].crowding, kInf);
        QCOMPARE(flat[1].crowding, 2.0); // (2 - 0) / 2 in f1 and in f2

        // The crowded comparison: lower rank first, then larger distance.
        Individual a = withObjectives({0}), b = withObjectives({0});
        a.rank = 0, a.crowding = 0.1, b.rank = 1, b.crowding = kInf;
        QVERIFY(crowdedBetter(a, b) && !crowdedBetter(b, a));
        b.rank = 0;
        QVERIFY(crowdedBetter(b, a) && !crowdedBetter(a, b));
    }

    void hypervolumeHandComputed()
    {
        // 2-D
        QCOMPARE(hypervolume({{0, 0}}, {1, 1}), 1.0);
        QCOMPARE(hypervolume({{0.5, 0.5}}, {1, 1}), 0.25);
        QCOMPARE(hypervolume({{0, 0.5}, {0.5, 0}}, {1, 1}), 0.75);
        QCOMPARE(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {4, 4}), 6.0); // 3 + 2 + 1
        // Dominated and duplicate points add nothing; so do points not strictly inside the box.
        QCOMPARE(hypervolume({{1, 3}, {2, 2}, {3, 1}, {2, 2}, {3, 3}, {5, 0}, {4, 0}, {0, 4}}, {4, 4}), 6.0);
        QCOMPARE(hypervolume({}, {1, 1}), 0.0);
        QCOMPARE(hypervolume({{1, 1}}, {1, 1}), 0.0);
        // 3-D: cubes and the union of three half-cubes, 1 - 0.5^3.
        QCOMPARE(hypervolume({{0, 0, 0}}, {1, 1, 1}), 1.0);
        QCOMPARE(hypervolume({{0.5, 0.5, 0.5}}, {1, 1, 1}), 0.125);
        QCOMPARE(hypervolume({{0, 0, 0.5}, {0, 0.5, 0}, {0.5, 0, 0}}, {1, 1, 1}), 0.875);
        // Two boxes 2x2x1 and 1x1x3 (ref 3) overlapping in 1x1x1: 4 + 3 - 1.
        QCOMPARE(hypervolume({{1, 1, 2}, {2, 2, 0}}, {3, 3, 3}), 6.0);
        QCOMPARE(hypervolume({{0.5, 0.5, 1.0}}, {1, 1, 1}), 0.0);
        // 1-D and 4-D.
        QCOMPARE(hypervolume({{0.25}, {0.5}}, {1}), 0.75);
        QCOMPARE(hypervolume({{0.5, 0.5, 0.5, 0.5}}, {1, 1, 1, 1}), 0.0625);
        QCOMPARE(hypervolume({{0, 0, 0, 0.5}, {0.5, 0, 0, 0}}, {1, 1, 1, 1}), 0.75);

        expectInvalid([] { hypervolume({{0, 0}, {0, 0, 0}}, {1, 1}); }, "point 1 has 3 coordinates");
        expectInvalid([] { hypervolume({}, {}); }, "empty reference point");
    }

    void hypervolumeMatchesBruteForce()
    {
        Rng rng(2024);
        const std::vector<double> ref2 = {1, 1}, ref3 = {1, 1, 1}, ref4 = {1, 1, 1, 1};
        for (int trial = 0; trial < 20; ++trial) {
            const auto small2 = randomPoints(rng, 10, 2), small3 = randomPoints(rng, 10, 3),
                       small4 = randomPoints(rng, 8, 4);
            QVERIFY(std::fabs(hypervolume(small2, ref2) - inclusionExclusion(small2, ref2)) < 1e-11);
            QVERIFY(std::fabs(hypervolume(small3, ref3) - inclusionExclusion(small3, ref3)) < 1e-11);
            QVERIFY(std::fabs(hypervolume(small4, ref4) - inclusionExclusion(small4, ref4)) < 1e-11);
            const auto large2 = randomPoints(rng, 60, 2), large3 = randomPoints(rng, 40, 3);
            QVERIFY(std::fabs(hypervolume(large2, ref2) - gridVolume(large2, ref2)) < 1e-12);
            QVERIFY(std::fabs(hypervolume(large3, ref3) - gridVolume(large3, ref3)) < 1e-12);
        }
        // Points on a sphere: mutually non-dominated, the case the 3-D sweep's staircase works hardest on.
        const auto lattice = dtlz2LatticeFront(6);
        QVERIFY(std::fabs(hypervolume(lattice, ref3) - gridVolume(lattice, ref3)) < 1e-12);
    }

    // Points offered one by one, worked by hand (2 objectives, genes named 1..7).
    void paretoArchiveHandWorked()
    {
        using Contents = std::vector<std::pair<std::vector<double>, std::vector<double>>>;
        ParetoArchive a;
        QVERIFY(a.empty());
        QCOMPARE(a.hypervolume({5, 6}), 0.0);
        QVERIFY(a.insert(evaluated(1, {2, 3})));
        QVERIFY(!a.insert(evaluated(2, {3, 4}))); // dominated by 1
        QVERIFY(a.insert(evaluated(3, {1, 5})));  // neither dominates 1
        QCOMPARE(contents(a), (Contents{{{3}, {1, 5}}, {{1}, {2, 3}}}));
        // The same configuration again, with the same or (an evaluator that changed its mind) other
        // figures: the first evaluation stays.
        QVERIFY(!a.insert(evaluated(1, {2, 3})));
        QVERIFY(!a.insert(evaluated(1, {0, 0})));
        // Another configuration with equal objectives: neither dominates, both kept (genes break the tie).
        QVERIFY(a.insert(evaluated(4, {2, 3})));
        QCOMPARE(contents(a), (Contents{{{3}, {1, 5}}, {{1}, {2, 3}}, {{4}, {2, 3}}}));
        // Infeasible: never a member, however good its objectives.
        QVERIFY(!a.insert(evaluated(5, {0.5, 0.5}, 0.2)));
        QCOMPARE(a.size(), size_t(3));
        // One that dominates 1 and 4 (better in the first objective, equal in the second) but not 3.
        QVERIFY(a.insert(evaluated(6, {1.5, 3})));
        QCOMPARE(contents(a), (Contents{{{3}, {1, 5}}, {{6}, {1.5, 3}}}));
        // A configuration that was a member and was pushed out is dominated when offered again.
        QVERIFY(!a.insert(evaluated(1, {2, 3})));
        // Feasibility comes from the constraints, not the violation field the engine sets on its copies.
        Individual stale = evaluated(7, {4, 1}, -0.5);
        stale.violation = 7;
        stale.rank = 3;
        QVERIFY(a.insert(stale));
        QCOMPARE(contents(a), (Contents{{{3}, {1, 5}}, {{6}, {1.5, 3}}, {{7}, {4, 1}}}));
        QCOMPARE(a.members()[2].violation, 0.0);
        QCOMPARE(a.members()[2].rank, 0);
        // (1,5), (1.5,3), (4,1) up to (5,6): 4 x 1 + 3.5 x 2 + 1 x 2 = 13.
        QCOMPARE(a.hypervolume({5, 6}), 13.0);
        QVERIFY(std::isnan(a.hypervolume({})));
        expectInvalid([&] { a.insert(evaluated(8, {0, 0, 0})); }, "3 objectives, the members have 2");

        // Any order of offering gives the same archive.
        const std::vector<Individual> offered = {
            evaluated(1, {2, 3}),          evaluated(2, {3, 4}),   evaluated(3, {1, 5}), evaluated(4, {2, 3}),
            evaluated(5, {0.5, 0.5}, 0.2), evaluated(6, {1.5, 3}), evaluated(7, {4, 1})};
        std::vector<size_t> order = {0, 1, 2, 3, 4, 5, 6};
        do {
            ParetoArchive b;
            for (size_t i : order)
                b.insert(offered[i]);
            QCOMPARE(contents(b), contents(a));
        } while (std::next_permutation(order.begin(), order.end()));
    }

    // Over a whole run: the archive is the non-dominated set of every feasible individual evaluated (by
    // brute force over all of them), its hypervolume never falls and is never below the engine's, and the
    // engine's course is the same with or without anyone watching.
    void paretoArchiveOverARun()
    {
        const ProblemSpec problem = mixedProblem();
        Settings settings = mixedSettings(7);
        settings.maxGenerations = 30;
        settings.populationSize = 10;
        Nsga2 watched(problem, settings), alone(problem, settings);
        ParetoArchive archive;
        std::map<std::vector<double>, Individual> seen; // every distinct configuration, first evaluation
        double lastHv = 0;
        bool engineFell = false;
        while (!watched.termination()) {
            std::vector<Individual> batch = watched.ask();
            evaluateMixed(batch);
            watched.tell(batch);
            for (const Individual &ind : batch) {
                archive.insert(ind);
                seen.emplace(ind.x, ind);
            }
            const double hv = archive.hypervolume(settings.referencePoint);
            QVERIFY(hv >= lastHv);
            QVERIFY(hv >= watched.hypervolume());
            engineFell |= watched.hypervolumes().size() > 1 &&
                          watched.hypervolume() < watched.hypervolumes()[watched.hypervolumes().size() - 2];
            lastHv = hv;
        }
        alone.run(evaluateMixed);
        compareStates(watched.state(), alone.state());

        std::vector<Individual> expected;
        for (const auto &[x, ind] : seen) {
            if (totalViolation(ind.constraints) > 0)
                continue;
            bool dominated = false;
            for (const auto &[y, other] : seen)
                dominated |=
                    totalViolation(other.constraints) == 0 && dominates(other.objectives, ind.objectives);
            if (!dominated)
                expected.push_back(ind);
        }
        std::sort(expected.begin(), expected.end(), [](const Individual &a, const Individual &b) {
            return a.objectives != b.objectives ? a.objectives < b.objectives : a.x < b.x;
        });
        QCOMPARE(archive.size(), expected.size());
        for (size_t i = 0; i < expected.size(); ++i) {
            QVERIFY(archive.members()[i].x == expected[i].x);
            QVERIFY(archive.members()[i].objectives == expected[i].objectives);
        }
        // What the archive is for: in this run the engine's hypervolume fell at least once, and its last
        // first front lacks non-dominated points it had evaluated.
        QVERIFY(engineFell);
        size_t lacking = 0;
        for (const Individual &m : archive.members()) {
            bool there = false;
            for (const Individual &f : watched.firstFront())
                there |= f.x == m.x;
            lacking += !there;
        }
        QVERIFY(lacking > 0);
    }

    void randomDraws()
    {
        Rng a(42), b(42), c(43);
        for (int i = 0; i < 1000; ++i) {
            const double x = a.real();
            QVERIFY(x >= 0 && x < 1);
            QCOMPARE(x, b.real());
            const auto k = a.below(7);
            QVERIFY(k < 7);
            QCOMPARE(k, b.below(7));
        }
        QVERIFY(!(a == c));
        QCOMPARE(Rng(5).below(1), std::uint64_t(0));
        // Every value of a small range comes up, about equally often.
        std::vector<int> counts(5, 0);
        for (int i = 0; i < 50000; ++i)
            ++counts[a.below(5)];
        for (int n : counts)
            QVERIFY2(std::abs(n - 10000) < 500, qPrintable(QString::number(n))); // > 5 sigma
        // The state round-trips through text.
        Rng d(1);
        d.setState(a.state());
        QVERIFY(d == a);
        QCOMPARE(d.real(), a.real());
        expectInvalid([&] { d.setState("1 2 3"); }, "mt19937_64");
    }

    void operatorsStayWithinBoundsAndPins()
    {
        const ProblemSpec p = mixedProblem();
        Rng rng(11);
        VariationSettings s;
        s.crossoverProbability = 1;
        for (int i = 0; i < 2000; ++i) {
            std::vector<double> a = randomGenes(p, rng), b = randomGenes(p, rng);
            if (i % 5 == 0) { // parents on the bounds
                a[6] = -2, b[6] = 3;
            }
            crossover(p, s, rng, a, b);
            mutate(p, s, rng, a);
            mutate(p, s, rng, b);
            for (const auto *x : {&a, &b}) {
                for (size_t g = 0; g < x->size(); ++g)
                    QVERIFY2(p.variables[g].admits((*x)[g]),
                             qPrintable(QString("gene %1 = %2").arg(g).arg((*x)[g])));
                QCOMPARE((*x)[2], 4.0);
                QCOMPARE((*x)[7], 0.25);
            }
        }
        // Mutation rate 1: every free integer gene moves to another allowed value, pinned ones stay.
        s.mutationProbability = 1;
        for (int i = 0; i < 200; ++i) {
            const std::vector<double> before = randomGenes(p, rng);
            std::vector<double> after = before;
            mutate(p, s, rng, after);
            for (size_t g : {0, 1, 3, 4, 5})
                QVERIFY(after[g] != before[g]);
            QCOMPARE(after[2], 4.0);
            QCOMPARE(after[7], 0.25);
        }
        // Polynomial mutation at the extremes of its draw stays inside; SBX far from the bounds is
        // symmetric about the parents' mean and keeps the parents at u = 1/2 as alpha -> 2.
        QVERIFY(polynomialMutation(0.0, 0, 1, 20, 0.0) >= 0);
        QVERIFY(polynomialMutation(1.0, 0, 1, 20, 0.999999) <= 1);
        QCOMPARE(polynomialMutation(0.3, 0, 1, 20, 0.5), 0.3);
        double c1, c2;
        sbxPair(0.4, 0.6, 0, 1, 15, 0.9, c1, c2);
        QVERIFY(c1 < 0.4 && c2 > 0.6);
        QVERIFY(std::fabs((c1 + c2) - 1.0) < 1e-15);
        sbxPair(0.6, 0.4, -1e6, 1e6, 15, 0.5, c1, c2);
        QVERIFY(std::fabs(c1 - 0.4) < 1e-12 && std::fabs(c2 - 0.6) < 1e-12);
        for (int i = 0; i < 1000; ++i) {
            sbxPair(0.0, 1e-3, 0, 1e-3, 2, rng.real(), c1, c2);
            QVERIFY(c1 >= 0 && c1 <= 1e-3 && c2 >= 0 && c2 <= 1e-3);
        }
    }

    void badSettingsAreClearErrors()
    {
        const ProblemSpec good = mixedProblem();
        Settings s = mixedSettings();
        s.populationSize = 1;
        expectInvalid([&] { Nsga2(good, s); }, "population size 1: expected at least 2");
        ProblemSpec p = good;
        p.variables[0].allowed.clear();
        expectInvalid([&] { Nsga2(p, mixedSettings()); }, "variable 0: empty set of allowed values");
        p = good;
        p.variables[1].allowed = {2, 4, 2};
        expectInvalid([&] { Nsga2(p, mixedSettings()); }, "variable 1: allowed value 2 given twice");
        p = good;
        p.variables[3].pin(7);
        expectInvalid([&] { Nsga2(p, mixedSettings()); },
                      "variable 3: pinned value 7 is not one of the allowed values");
        p = good;
        p.variables[6].pin(3.5);
        expectInvalid([&] { Nsga2(p, mixedSettings()); }, "variable 6: pinned value 3.5 is outside [-2, 3]");
        p = good;
        p.variables[6] = Variable::real(1, 1);
        expectInvalid([&] { Nsga2(p, mixedSettings()); },
                      "variable 6: lower bound 1 not below upper bound 1");
        p = good;
        p.variables[6] = Variable::real(0, kInf);
        expectInvalid([&] { Nsga2(p, mixedSettings()); }, "bounds must be finite");
        p = good;
        p.variables.clear();
        expectInvalid([&] { Nsga2(p, mixedSettings()); }, "no variables");
        p = good;
        p.numObjectives = 0;
        expectInvalid([&] { Nsga2(p, mixedSettings()); }, "0 objectives");

        s = mixedSettings();
        s.referencePoint = {1, 2, 3};
        expectInvalid([&] { Nsga2(good, s); }, "reference point has 3 coordinates for 2 objectives");
        s = mixedSettings();
        s.referencePoint.clear();
        s.stagnationWindow = 5;
        expectInvalid([&] { Nsga2(good, s); }, "stagnation criterion needs a reference point");
        s = mixedSettings();
        s.variation.crossoverProbability = 1.5;
        expectInvalid([&] { Nsga2(good, s); }, "crossover probability");
        s = mixedSettings();
        s.maxEvaluations = 10;
        expectInvalid([&] { Nsga2(good, s); }, "maximum evaluations 10 below the population size 20");

        // Seeds: size, allowed values, bounds, count.
        expectInvalid(
            [&] {
                Nsga2(good, mixedSettings(), {{2, 2, 2}});
            },
            "seed individual 0: 3 genes, expected 8");
        expectInvalid(
            [&] {
                Nsga2(good, mixedSettings(), {{2, 2, 4, 2, 2, 7, 0, 0.25}});
            },
            "seed individual 0: gene 5 = 7 is not an allowed value");
        expectInvalid(
            [&] {
                Nsga2(good, mixedSettings(), {{2, 2, 4, 2, 2, 2, 9, 0.25}});
            },
            "gene 6 = 9 is out of bounds");
        std::vector<std::vector<double>> tooMany(21, std::vector<double>{2, 2, 4, 2, 2, 2, 0, 0.25});
        expectInvalid([&] { Nsga2(good, mixedSettings(), tooMany); },
                      "21 seed individuals for a population of 20");

        // A run that could never end.
        s = mixedSettings();
        s.maxGenerations = 0;
        Nsga2 endless(good, s);
        expectInvalid([&] { endless.run(evaluateMixed); }, "no termination criterion");
    }

    void askTellProtocol()
    {
        Nsga2 nsga(mixedProblem(), mixedSettings());
        try {
            nsga.tell({});
            QFAIL("tell() before ask() accepted");
        } catch (const std::logic_error &e) {
            QVERIFY2(QString(e.what()).contains("without a batch from ask()"), e.what());
        }
        auto batch = nsga.ask();
        QCOMPARE(batch.size(), size_t(20));
        QVERIFY(std::isnan(batch[0].objectives[0]) && batch[0].constraints.size() == 1);
        // Asking again before telling hands out the same batch.
        const auto again = nsga.ask();
        for (size_t i = 0; i < batch.size(); ++i)
            QVERIFY(sameBits(again[i].x, batch[i].x));
        // Unevaluated, short, reordered or non-finite batches are refused, and the batch stays pending.
        expectInvalid([&] { nsga.tell(batch); }, "individual 0: objective 0 is not finite");
        evaluateMixed(batch);
        expectInvalid([&] { nsga.tell({batch.begin(), batch.end() - 1}); }, "told 19 individuals, asked 20");
        auto swapped = batch;
        std::swap(swapped[0], swapped[1]);
        if (swapped[0].x != batch[0].x)
            expectInvalid([&] { nsga.tell(swapped); }, "genes differ from those asked");
        auto infinite = batch;
        infinite[3].objectives[1] = kInf;
        expectInvalid([&] { nsga.tell(infinite); }, "individual 3: objective 1 is not finite");
        QCOMPARE(nsga.generation(), -1);
        nsga.tell(batch);
        QCOMPARE(nsga.generation(), 0);
        QCOMPARE(nsga.evaluations(), 20LL);
        QCOMPARE(nsga.population().size(), size_t(20));
        for (const auto &ind : nsga.population()) {
            QVERIFY(ind.rank >= 0);
            QCOMPARE(ind.violation, std::max(0.0, ind.constraints[0]));
        }
        QCOMPARE(nsga.hypervolumes().size(), size_t(1));
    }

    // Seeds come first in the initial population, with pinned genes forced to their pins; the rest are
    // random, and every asked individual of a whole run keeps the pins.
    void seedsAndPinsInARun()
    {
        const ProblemSpec p = mixedProblem();
        const std::vector<std::vector<double>> seeds = {{2, 2, 8, 2, 2, 2, 0.5, 0.9},
                                                        {8, 8, 8, 8, 8, 8, -2, 0}};
        Nsga2 nsga(p, mixedSettings(), seeds);
        const auto first = nsga.ask();
        QCOMPARE(first[0].x, (std::vector<double>{2, 2, 4, 2, 2, 2, 0.5, 0.25}));
        QCOMPARE(first[1].x, (std::vector<double>{8, 8, 4, 8, 8, 8, -2, 0.25}));
        int told = 0;
        nsga.run([&](std::vector<Individual> &batch) {
            for (const auto &ind : batch) {
                QCOMPARE(ind.x[2], 4.0);
                QCOMPARE(ind.x[7], 0.25);
                for (size_t g = 0; g < ind.x.size(); ++g)
                    QVERIFY(p.variables[g].admits(ind.x[g]));
            }
            evaluateMixed(batch);
            ++told;
        });
        QCOMPARE(told, 41); // generation 0 and 40 offspring generations
        // The constraint is honoured: with 30 bits to spend, the final front is all feasible.
        const auto front = nsga.firstFront();
        QVERIFY(!front.empty());
        for (const auto &ind : front)
            QVERIFY(ind.constraints[0] <= 0);
    }

    void sameSeedSameRunOtherSeedOtherRun()
    {
        const TestProblem zdt = zdt1();
        auto runWith = [&](std::uint64_t seed) {
            Settings s;
            s.populationSize = 40;
            s.maxGenerations = 30;
            s.seed = seed;
            s.referencePoint = zdt.referencePoint;
            Nsga2 nsga(zdt.spec, s);
            nsga.run([&](std::vector<Individual> &b) { evaluateWith(zdt, b); });
            return nsga.state();
        };
        const State a = runWith(7), b = runWith(7), c = runWith(8);
        compareStates(a, b);
        QVERIFY(!sameBits(a.population[0].x, c.population[0].x));
        QVERIFY(!sameBits(a.hypervolumes, c.hypervolumes));
    }

    // A run saved after generation 17 (and once more with a batch asked but not told), restored from text
    // into a new engine and continued, ends bit for bit where the uninterrupted run ends.
    void saveRestoreIsBitIdentical()
    {
        const ProblemSpec p = mixedProblem();
        Nsga2 whole(p, mixedSettings());
        whole.run(evaluateMixed);
        QCOMPARE(whole.generation(), 40);

        Settings partial = mixedSettings();
        partial.maxGenerations = 17;
        Nsga2 first(p, partial);
        first.run(evaluateMixed);
        first.ask(); // pending, not told: not part of the saved state
        const std::string text = first.saveState();
        QVERIFY(text.rfind("bitloop-nsga2-state 1\n", 0) == 0);
        Nsga2 resumed = Nsga2::restore(p, mixedSettings(), text);
        QCOMPARE(resumed.generation(), 17);
        QCOMPARE(resumed.evaluations(), 18LL * 20);
        QVERIFY(resumed.elapsedSeconds() >= 0);
        QCOMPARE(resumed.run(evaluateMixed), StopReason::MaxGenerations);
        compareStates(resumed.state(), whole.state());

        // Same through the State value, and for a real-coded problem with infinite crowding distances and
        // doubles that need all 17 digits.
        const TestProblem zdt = zdt3(8);
        Settings s;
        s.populationSize = 24;
        s.maxGenerations = 25;
        s.referencePoint = zdt.referencePoint;
        Nsga2 zWhole(zdt.spec, s);
        zWhole.run([&](std::vector<Individual> &b) { evaluateWith(zdt, b); });
        Settings s10 = s;
        s10.maxGenerations = 10;
        Nsga2 zFirst(zdt.spec, s10);
        zFirst.run([&](std::vector<Individual> &b) { evaluateWith(zdt, b); });
        Nsga2 zResumed = Nsga2::restore(zdt.spec, s, Nsga2::restore(zdt.spec, s, zFirst.state()).saveState());
        zResumed.run([&](std::vector<Individual> &b) { evaluateWith(zdt, b); });
        compareStates(zResumed.state(), zWhole.state());
    }

    void restoreRefusesWhatDoesNotFit()
    {
        const ProblemSpec p = mixedProblem();
        Settings s = mixedSettings();
        s.maxGenerations = 3;
        Nsga2 nsga(p, s);
        nsga.run(evaluateMixed);
        const std::string text = nsga.saveState();

        expectInvalid([&] { Nsga2::restore(p, s, text.substr(0, text.size() / 2)); }, "NSGA-II state, line");
        expectInvalid([&] { Nsga2::restore(p, s, "something else\n"); },
                      "line 1: expected \"bitloop-nsga2-state\"");
        ProblemSpec fewer = p;
        fewer.variables.pop_back();
        expectInvalid([&] { Nsga2::restore(fewer, s, text); },
                      "saved for 8 variables, 2 objectives and 1 constraints");
        Settings bigger = s;
        bigger.populationSize = 30;
        expectInvalid([&] { Nsga2::restore(p, bigger, text); }, "population of 20, the settings ask for 30");
        ProblemSpec narrower = p;
        narrower.variables[0].allowed = {3, 5};
        expectInvalid([&] { Nsga2::restore(narrower, s, text); }, "does not fit the problem's variable");
        std::string badNumber = text;
        badNumber.replace(badNumber.find("evaluations ") + 12, 2, "x1");
        expectInvalid([&] { Nsga2::restore(p, s, badNumber); }, "line 4: expected an integer, found \"x1\"");
        std::string badRng = text;
        const size_t at = badRng.find("rng ");
        badRng.replace(at, badRng.find('\n', at) - at, "rng 12 34");
        expectInvalid([&] { Nsga2::restore(p, s, badRng); }, "mt19937_64");
        // Damaged counts are refused before anything is allocated for them (a population of 10^15 was
        // resized, and ended in std::bad_alloc or the kernel's OOM killer); a generation past int's range
        // was truncated.
        const auto replaceLine = [&](const std::string &key, const std::string &line) {
            std::string t = text;
            const size_t at = t.find("\n" + key + " ") + 1;
            t.replace(at, t.find('\n', at) - at, line);
            return t;
        };
        expectInvalid([&] { Nsga2::restore(p, s, replaceLine("population", "population 1000000000000000")); },
                      "line 8: a population of 1000000000000000, the settings ask for 20");
        expectInvalid(
            [&] { Nsga2::restore(p, s, replaceLine("hypervolumes", "hypervolumes 1000000000000000")); },
            "line 7: 1000000000000000 hypervolumes for generations 0..3");
        expectInvalid([&] { Nsga2::restore(p, s, replaceLine("generation", "generation 4294967299")); },
                      "line 3: generation 4294967299 is out of range");
    }

    void terminationCriteria()
    {
        const ProblemSpec p = mixedProblem();
        {
            Settings s = mixedSettings();
            s.maxGenerations = 0;
            s.maxEvaluations = 95; // 20 + 3 x 20 = 80; a fifth batch would make 100
            Nsga2 nsga(p, s);
            QCOMPARE(nsga.run(evaluateMixed), StopReason::MaxEvaluations);
            QCOMPARE(nsga.evaluations(), 80LL);
            QCOMPARE(nsga.generation(), 3);
        }
        {
            Settings s = mixedSettings();
            s.maxGenerations = 0;
            s.maxSeconds = 1e-9;
            Nsga2 nsga(p, s);
            QCOMPARE(nsga.run(evaluateMixed), StopReason::WallTime);
            QCOMPARE(nsga.generation(), 0); // checked between generations, after the initial population
        }
        {
            // A front that stops growing: the hypervolume's best does not rise by more than the tolerance
            // over the window, so the run stops there and not at the generation limit.
            Settings s = mixedSettings();
            s.maxGenerations = 1000;
            s.stagnationWindow = 10;
            s.stagnationTolerance = 1e-9;
            Nsga2 nsga(p, s);
            QCOMPARE(nsga.run(evaluateMixed), StopReason::Stagnation);
            const auto &hv = nsga.hypervolumes();
            const int g = nsga.generation();
            QVERIFY(g >= 10 && g < 1000);
            const double before = *std::max_element(hv.begin(), hv.end() - 10);
            const double best = *std::max_element(hv.begin(), hv.end());
            QVERIFY(before > 0 && best - before <= 1e-9 * before);
            // One generation earlier the criterion did not hold (or the window was not full yet).
            if (g > 10) {
                const double earlier = *std::max_element(hv.begin(), hv.end() - 11);
                const double then = *std::max_element(hv.begin(), hv.end() - 1);
                QVERIFY(then - earlier > 1e-9 * earlier);
            }
        }
    }

    void progressAndCancellation()
    {
        const ProblemSpec p = mixedProblem();
        Settings s = mixedSettings();
        std::atomic<bool> cancel{false};
        std::vector<Progress> seen;
        Nsga2 nsga(p, s);
        const StopReason r = nsga.run(
            evaluateMixed,
            [&](const Progress &pr) {
                seen.push_back(pr);
                if (pr.generation == 5)
                    cancel = true;
            },
            &cancel);
        QCOMPARE(r, StopReason::Cancelled);
        QCOMPARE(nsga.generation(), 5);
        QCOMPARE(seen.size(), size_t(6));
        for (size_t g = 0; g < seen.size(); ++g) {
            QCOMPARE(seen[g].generation, int(g));
            QCOMPARE(seen[g].evaluations, (long long)(20 * (g + 1)));
            QCOMPARE(seen[g].hypervolume, nsga.hypervolumes()[g]);
            QVERIFY(seen[g].frontSize >= 1 && seen[g].frontSize <= 20);
            QVERIFY(seen[g].elapsedSeconds >= 0 && seen[g].secondsLeft >= 0);
            if (g)
                QVERIFY(seen[g].elapsedSeconds >= seen[g - 1].elapsedSeconds);
        }
        // Cancelled while a batch is being evaluated: that batch is not told.
        cancel = false;
        nsga.run(
            [&](std::vector<Individual> &b) {
                evaluateMixed(b);
                cancel = true;
            },
            {}, &cancel);
        QCOMPARE(nsga.generation(), 5);
        // Resumed without the flag, the run ends as one that was never interrupted.
        cancel = false;
        QCOMPARE(nsga.run(evaluateMixed, {}, &cancel), StopReason::MaxGenerations);
        Nsga2 whole(p, s);
        whole.run(evaluateMixed);
        compareStates(nsga.state(), whole.state());
        // No reference point: hypervolume NaN, no estimate without a limit.
        Settings none = mixedSettings();
        none.referencePoint.clear();
        none.maxGenerations = 0;
        Nsga2 blind(p, none);
        cancel = false;
        blind.run(
            evaluateMixed,
            [&](const Progress &pr) {
                QVERIFY(std::isnan(pr.hypervolume));
                QCOMPARE(pr.secondsLeft, -1.0);
                cancel = pr.generation >= 2;
            },
            &cancel);
        QCOMPARE(blind.generation(), 2);
    }

    void testProblemsAndTheirFronts()
    {
        // Analytic: ZDT1 0.1 + 2/3 + 0.11, ZDT2 0.1 + 1/3 + 0.11, DTLZ2 1.1^3 - pi/6.
        QCOMPARE(zdt1().trueHypervolume, 0.1 + 2.0 / 3 + 0.11);
        QCOMPARE(zdt2().trueHypervolume, 0.1 + 1.0 / 3 + 0.11);
        QCOMPARE(dtlz2().trueHypervolume, 1.331 - kPi / 6);
        QCOMPARE(zdt1FrontHypervolume(1, 1), 2.0 / 3);
        QCOMPARE(zdt2FrontHypervolume(1, 1), 1.0 / 3);
        QCOMPARE(zdt1FrontHypervolume(0.25, 1), 2.0 / 3 * 0.125); // the integral of sqrt(u) up to 1/4
        QCOMPARE(zdt2FrontHypervolume(1, 0.75), (0.75 - 1) * 0.5 + (1 - 0.125) / 3); // from sqrt(1/4)
        QCOMPARE(dtlz2FrontHypervolume(1, 2), 1 - kPi / 4);
        expectInvalid([] { dtlz2FrontHypervolume(0.9); }, "r >= 1");

        // ZDT3's pieces: the published boundaries (10 digits), and its hypervolume against a dense sampling
        // of the whole curve, whose dominated samples the 2-D sweep discards (staircase error ~1e-6).
        const double published[5][2] = {{0, 0.0830015349},
                                        {0.1822287280, 0.2577623634},
                                        {0.4093136748, 0.4538821041},
                                        {0.6183967944, 0.6525117038},
                                        {0.8233317983, 0.8518328654}};
        const auto pieces = zdt3FrontPieces();
        QCOMPARE(pieces.size(), size_t(5));
        for (size_t k = 0; k < 5; ++k) {
            QVERIFY(std::fabs(pieces[k].first - published[k][0]) < 1e-10);
            QVERIFY(std::fabs(pieces[k].second - published[k][1]) < 1e-10);
        }
        const TestProblem z3 = zdt3();
        std::vector<std::vector<double>> samples;
        const int n = 400000;
        std::vector<double> x(30, 0.0), f(2);
        for (int i = 0; i <= n; ++i) {
            x[0] = double(i) / n;
            z3.evaluate(x, f);
            samples.push_back(f);
        }
        const double sampled = hypervolume(samples, {1.1, 1.1});
        QVERIFY2(
            sampled <= z3.trueHypervolume && z3.trueHypervolume - sampled < 1e-5,
            qPrintable(QString("%1 vs %2").arg(sampled, 0, 'g', 12).arg(z3.trueHypervolume, 0, 'g', 12)));

        // The evaluations at known points.
        std::vector<double> fz(2);
        std::vector<double> xz(30, 0.0);
        xz[0] = 0.25;
        zdt1().evaluate(xz, fz);
        QCOMPARE(fz, (std::vector<double>{0.25, 0.5}));
        zdt2().evaluate(xz, fz);
        QCOMPARE(fz, (std::vector<double>{0.25, 0.9375}));
        std::vector<double> xd(12, 0.5), fd(3);
        dtlz2().evaluate(xd, fd);
        QVERIFY(std::fabs(fd[0] - 0.5) < 1e-15 && std::fabs(fd[1] - 0.5) < 1e-15 &&
                std::fabs(fd[2] - std::sqrt(0.5)) < 1e-15);

        // Optimal mu-distributions. mu = 1 in closed form: ZDT1 maximizes (1.1 - u)(0.1 + sqrt u), at
        // sqrt u = (-0.2 + sqrt(13.24)) / 6; ZDT2 maximizes (1.1 - u)(0.1 + u^2), at u = (2.2 + sqrt(3.64))
        // / 6.
        const double s1 = (-0.2 + std::sqrt(13.24)) / 6, u2 = (2.2 + std::sqrt(3.64)) / 6;
        QVERIFY(std::fabs(optimalMuHypervolume(zdt1Front(), 1, 1.1, 1.1) - (1.1 - s1 * s1) * (0.1 + s1)) <
                1e-12);
        QVERIFY(std::fabs(optimalMuHypervolume(zdt2Front(), 1, 1.1, 1.1) - (1.1 - u2) * (0.1 + u2 * u2)) <
                1e-12);
        // 100 points fall short of the continuous front: by 0.52% on ZDT1, by 0.82% on ZDT2.
        const double best1 = optimalMuHypervolume(zdt1Front(), 100, 1.1, 1.1);
        const double best2 = optimalMuHypervolume(zdt2Front(), 100, 1.1, 1.1);
        QVERIFY(std::fabs(best1 - 0.872143181869) < 1e-10);
        QVERIFY(std::fabs(best2 - 0.538880715585) < 1e-10);

        // The simplex lattice on the sphere: (h+1)(h+2)/2 unit vectors.
        const auto lattice = dtlz2LatticeFront(12);
        QCOMPARE(lattice.size(), size_t(91));
        for (const auto &pt : lattice)
            QVERIFY(std::fabs(pt[0] * pt[0] + pt[1] * pt[1] + pt[2] * pt[2] - 1) < 1e-15);
    }

    // Population 100, 250 generations, default operators (SBX eta 15, p_c 0.9; polynomial mutation eta 20,
    // 1/n), seed 1. A set of 100 points cannot reach the continuous front's hypervolume: the steps of its
    // staircase leave corners uncovered. On ZDT1 and ZDT3 the run still comes within 1% of the true front;
    // on ZDT2 even the best 100 points fall 0.82% short, so the run is held to 1% of that best. On DTLZ2 a
    // 105-point lattice on the true front falls 7.2% short, and crowding distance is known to spread three
    // objectives unevenly (Kukkonen & Deb 2006), so the run is held to 90% of a 91-point lattice's value
    // (it reaches 93-94% over seeds 1-10).
    void convergence_data()
    {
        QTest::addColumn<QString>("problem");
        QTest::addColumn<double>("yardstick");
        QTest::addColumn<double>("fraction");
        QTest::newRow("ZDT1 vs true front") << "ZDT1" << zdt1().trueHypervolume << 0.99;
        QTest::newRow("ZDT2 vs best 100 points")
            << "ZDT2" << optimalMuHypervolume(zdt2Front(), 100, 1.1, 1.1) << 0.99;
        QTest::newRow("ZDT3 vs true front") << "ZDT3" << zdt3().trueHypervolume << 0.99;
        QTest::newRow("DTLZ2 vs 91-point lattice")
            << "DTLZ2" << hypervolume(dtlz2LatticeFront(12), {1.1, 1.1, 1.1}) << 0.90;
    }

    void convergence()
    {
        QFETCH(QString, problem);
        QFETCH(double, yardstick);
        QFETCH(double, fraction);
        const TestProblem p = problem == "ZDT1"   ? zdt1()
                              : problem == "ZDT2" ? zdt2()
                              : problem == "ZDT3" ? zdt3()
                                                  : dtlz2();
        Settings s;
        s.populationSize = 100;
        s.maxGenerations = 250;
        s.referencePoint = p.referencePoint;
        Nsga2 nsga(p.spec, s);
        QCOMPARE(nsga.run([&](std::vector<Individual> &b) { evaluateWith(p, b); }),
                 StopReason::MaxGenerations);
        QCOMPARE(nsga.evaluations(), 25100LL);
        const double hv = nsga.hypervolume();
        QVERIFY2(hv >= fraction * yardstick && hv < p.trueHypervolume,
                 qPrintable(QString("%1: hypervolume %2, yardstick %3, true front %4")
                                .arg(problem)
                                .arg(hv, 0, 'f', 6)
                                .arg(yardstick, 0, 'f', 6)
                                .arg(p.trueHypervolume, 0, 'f', 6)));
        // The recorded hypervolume is that of the feasible first front.
        std::vector<std::vector<double>> front;
        for (const auto &ind : nsga.firstFront())
            front.push_back(ind.objectives);
        QCOMPARE(hypervolume(front, p.referencePoint), hv);
    }
};

QTEST_APPLESS_MAIN(TestNsga2)
#include "test_nsga2.moc"
