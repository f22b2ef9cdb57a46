// NSGA-II benchmark (not a test): prints the figures recorded in docs/benchmarks.md.
//   bench_nsga2 [--seeds N]
// 1. wall time of a whole ZDT1 run, population 100 x 250 generations, objective evaluation included;
// 2. the engine's own time per generation (tournament, variation, non-dominated sorting, crowding,
//    survival, hypervolume; objective evaluation excluded) for DTLZ2 with 3 objectives, population 100;
// 3. the final hypervolume of each test problem against its true front's, over N seeds.
#include "search/hypervolume.h"
#include "search/nsga2.h"
#include "search/test_problems.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace bitloop::search;
using Clock = std::chrono::steady_clock;

namespace
{

double since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

Settings settingsFor(const TestProblem &p, std::uint64_t seed)
{
    Settings s;
    s.populationSize = 100;
    s.maxGenerations = 250;
    s.seed = seed;
    s.referencePoint = p.referencePoint;
    return s;
}

void evaluateAll(const TestProblem &p, std::vector<Individual> &batch)
{
    for (Individual &ind : batch)
        p.evaluate(ind.x, ind.objectives);
}

void wholeRun()
{
    const TestProblem p = zdt1();
    double best = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
        const auto t0 = Clock::now();
        Nsga2 nsga(p.spec, settingsFor(p, 1));
        nsga.run([&](std::vector<Individual> &b) { evaluateAll(p, b); });
        best = std::min(best, since(t0));
    }
    std::printf("1. ZDT1 (30 variables), population 100 x 250 generations (25,100 evaluations), evaluation "
                "included:\n   %.3f s per run (best of 5)\n\n",
                best);
}

void overhead()
{
    const TestProblem p = dtlz2();
    Nsga2 nsga(p.spec, settingsFor(p, 1));
    double asking = 0, telling = 0, evaluation = 0;
    while (!nsga.termination()) {
        auto t0 = Clock::now();
        std::vector<Individual> batch = nsga.ask();
        asking += since(t0);
        t0 = Clock::now();
        evaluateAll(p, batch);
        evaluation += since(t0);
        t0 = Clock::now();
        nsga.tell(batch);
        telling += since(t0);
    }
    // The hypervolume alone, on the final first front, repeated for a stable figure.
    std::vector<std::vector<double>> front;
    for (const Individual &ind : nsga.firstFront())
        front.push_back(ind.objectives);
    const int reps = 2000;
    double sink = 0;
    const auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i)
        sink += hypervolume(front, p.referencePoint);
    const double hvSeconds = since(t0) / reps;
    const int batches = nsga.generation() + 1;
    std::printf(
        "2. Engine overhead per generation, DTLZ2 (3 objectives, 12 variables), population 100, mean of %d:\n"
        "   %.1f us in all = ask %.1f us (tournaments, SBX, polynomial mutation)\n"
        "                  + tell %.1f us (non-dominated sorting of 200, crowding, survival, hypervolume)\n"
        "   of which the 3-D hypervolume of the %zu-point first front: %.1f us (%.6f)\n"
        "   objective evaluation, not included: %.1f us per batch of 100\n\n",
        batches, 1e6 * (asking + telling) / batches, 1e6 * asking / batches, 1e6 * telling / batches,
        front.size(), 1e6 * hvSeconds, sink / reps, 1e6 * evaluation / batches);
}

// The yardstick of what 100 points can reach: the optimal mu-distribution for ZDT1 and ZDT2; none is known
// for ZDT3's broken front or for DTLZ2 (for which a 105-point simplex lattice on the front is shown).
double bestOf100(const TestProblem &p)
{
    if (p.name == "ZDT1")
        return optimalMuHypervolume(zdt1Front(), 100, 1.1, 1.1);
    if (p.name == "ZDT2")
        return optimalMuHypervolume(zdt2Front(), 100, 1.1, 1.1);
    if (p.name == "DTLZ2")
        return hypervolume(dtlz2LatticeFront(13), p.referencePoint);
    return 0;
}

void quality(int seeds)
{
    std::printf(
        "3. Final hypervolume, population 100 x 250 generations, reference point 1.1 in every objective,\n"
        "   seeds 1..%d; \"100 points\": the best 100 points on the front can reach (ZDT1, ZDT2: optimal\n"
        "   mu-distribution; DTLZ2: 105-point simplex lattice, for scale)\n",
        seeds);
    std::printf("   %-6s %10s %10s %10s %10s %10s %9s %9s\n", "", "true front", "100 points", "seed 1",
                "worst", "mean", "worst/true", "worst/100");
    for (const TestProblem &p : {zdt1(), zdt2(), zdt3(), dtlz2()}) {
        std::vector<double> hv;
        for (int s = 1; s <= seeds; ++s) {
            Nsga2 nsga(p.spec, settingsFor(p, std::uint64_t(s)));
            nsga.run([&](std::vector<Individual> &b) { evaluateAll(p, b); });
            hv.push_back(nsga.hypervolume());
        }
        const double worst = *std::min_element(hv.begin(), hv.end());
        double mean = 0;
        for (double v : hv)
            mean += v / double(hv.size());
        const double best = bestOf100(p);
        char bestText[16] = "-", ratioText[16] = "-";
        if (best > 0) {
            std::snprintf(bestText, sizeof bestText, "%.6f", best);
            std::snprintf(ratioText, sizeof ratioText, "%.2f%%", 100 * worst / best);
        }
        std::printf("   %-6s %10.6f %10s %10.6f %10.6f %10.6f %8.2f%% %9s\n", p.name.c_str(),
                    p.trueHypervolume, bestText, hv[0], worst, mean, 100 * worst / p.trueHypervolume,
                    ratioText);
    }
}

} // namespace

int main(int argc, char **argv)
{
    int seeds = 10;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seeds") && i + 1 < argc) {
            seeds = std::max(1, std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: bench_nsga2 [--seeds N]\n");
            return 2;
        }
    }
    wholeRun();
    overhead();
    quality(seeds);
    return 0;
}
