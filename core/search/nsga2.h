// NSGA-II (Deb, Pratap, Agarwal, Meyarivan, "A fast and elitist multiobjective genetic algorithm:
// NSGA-II", IEEE TEVC 6(2), 2002) as an ask/tell engine: the engine proposes a batch of genes, the caller
// evaluates the whole batch however it likes (a thread pool, a cache, another process) and hands it back.
//
//   Nsga2 nsga(problem, settings, seeds);
//   while (!nsga.termination()) {
//       std::vector<Individual> batch = nsga.ask(); // generation 0: the initial population, then offspring
//       evaluateAll(batch);                         // fill objectives and constraints
//       nsga.tell(batch);                           // elitist (mu + lambda) survival, hypervolume
//   }
//
// or nsga.run(evaluateBatch, progress, &cancel), which does the same. The engine's state between
// generations (saveState / restore) resumes a run bit for bit: a restored run continues exactly as the
// uninterrupted run would have. The engine is not thread-safe: drive it from one thread and evaluate each
// batch on as many as you like. All random draws come from one seeded std::mt19937_64 (search/random.h),
// so a seed gives the same run with any standard library.
#pragma once

#include "search/operators.h"
#include "search/problem.h"
#include "search/random.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bitloop::search
{

struct Settings {
    int populationSize = 100; // mu = lambda, at least 2 (odd sizes drop the last pair's second child)
    std::uint64_t seed = 1;
    VariationSettings variation;

    // Termination; 0 = no such limit. A run needs at least one limit or a cancellation flag.
    int maxGenerations = 0;            // offspring generations after the initial population (generation 0)
    long long maxEvaluations = 0;      // never exceeded: stops when the next batch would exceed it
    double maxSeconds = 0;             // wall time since construction (+ that of a restored state), checked
                                       //  between generations
    int stagnationWindow = 0;          // W: stop when the best hypervolume so far has not grown by more than
    double stagnationTolerance = 1e-4; //  tolerance x itself over the last W generations (once it is > 0)

    // Reference point of the hypervolume of the feasible first front, computed after every generation: one
    // coordinate per objective, each a little worse than the worst value worth counting, so that the front's
    // extreme points still enclose some volume (for objectives spanning [0, 1], 1.1 is customary and is
    // what the test problems use). Points not strictly better in every coordinate add nothing. Empty: no
    // hypervolume (reported as NaN) and no stagnation criterion.
    std::vector<double> referencePoint;

    // Throws std::invalid_argument with what is wrong.
    void validate(const ProblemSpec &problem) const;
};

enum class StopReason { MaxGenerations, MaxEvaluations, WallTime, Stagnation, Cancelled };
const char *toString(StopReason r);

struct Progress {
    int generation = 0; // 0 = the initial population
    long long evaluations = 0;
    double hypervolume = 0; // of the first front; NaN without a reference point
    size_t frontSize = 0;   // feasible members of the first front
    double elapsedSeconds = 0;
    double secondsLeft = -1; // estimated from the limits and the pace so far; -1 when no limit bounds it
};

// Everything a run depends on between two generations. The rank and crowding distance of each member are
// those from the survival step (computed on parents and offspring together, as in the paper), which the
// next tournament uses, so they are part of the state.
struct State {
    int generation = -1; // -1: the initial population has not been told yet
    long long evaluations = 0;
    double elapsedSeconds = 0;
    std::string rng; // std::mt19937_64 as text
    std::vector<Individual> population;
    std::vector<double> hypervolumes; // per generation, from generation 0
};

class Nsga2
{
public:
    using EvaluateBatch = std::function<void(std::vector<Individual> &)>;
    using ProgressFn = std::function<void(const Progress &)>;

    // seeds: genes of initial individuals chosen by the caller (at most populationSize; each gene admitted
    // by its variable; pinned genes are set to their pinned value); the rest of the initial population is
    // random. Throws std::invalid_argument on a bad problem, bad settings or a bad seed.
    Nsga2(ProblemSpec problem, Settings settings, std::vector<std::vector<double>> seeds = {});

    // The next batch to evaluate: the initial population first, then populationSize offspring (crowded
    // binary tournament, crossover, mutation). Objectives and constraints come sized and set to NaN.
    // The engine's state does not change until tell(); asking again before it returns the same batch.
    std::vector<Individual> ask();
    // The evaluated batch, same genes and order as asked. Objectives must be finite (an infeasible design
    // is a constraint, not an infinite objective); throws std::invalid_argument otherwise.
    void tell(const std::vector<Individual> &batch);

    // Runs ask / evaluate / tell until a termination criterion holds or *cancel becomes true (checked
    // before each batch and after each evaluation; a cancelled batch is not told, the state stays at the
    // last whole generation). progress is called after every told batch.
    StopReason run(const EvaluateBatch &evaluate, const ProgressFn &progress = {},
                   const std::atomic<bool> *cancel = nullptr);

    // The criterion that ends the run now, if any (checked in the order generations, evaluations, wall
    // time, stagnation). Nothing before the initial population is told.
    std::optional<StopReason> termination() const;

    int generation() const { return state_.generation; }
    long long evaluations() const { return state_.evaluations; }
    double elapsedSeconds() const;
    const std::vector<Individual> &population() const { return state_.population; }
    std::vector<Individual> firstFront() const; // feasible rank-0 members, in population order
    double hypervolume() const;                 // of the current first front; NaN before generation 0
    const std::vector<double> &hypervolumes() const { return state_.hypervolumes; }
    Progress progress() const;
    const ProblemSpec &problem() const { return problem_; }
    const Settings &settings() const { return settings_; }

    // The state after the last told generation (a batch that was asked but not told is not part of it).
    State state() const;
    // State as text (line-based; doubles with 17 significant digits, which read back exactly).
    std::string saveState() const;
    // Continues a run from saveState() text. problem and settings must be those of the saved run for the
    // continuation to be identical (termination limits may differ); the genes must fit the problem and the
    // population its size. Throws std::invalid_argument naming what does not fit.
    static Nsga2 restore(ProblemSpec problem, Settings settings, const std::string &text);
    static Nsga2 restore(ProblemSpec problem, Settings settings, State state);

private:
    Nsga2(ProblemSpec problem, Settings settings, State state);
    void validateBatch(const std::vector<Individual> &batch) const;
    size_t tournament(Rng &rng) const;
    void survive(std::vector<Individual> offspring);
    void recordHypervolume();

    ProblemSpec problem_;
    Settings settings_;
    std::vector<std::vector<double>> seeds_;
    State state_;
    Rng rng_;
    // The batch handed out by ask() and the generator as it will be once that batch is told.
    std::vector<Individual> pending_;
    Rng pendingRng_;
    bool hasPending_ = false;
    std::chrono::steady_clock::time_point started_;
};

} // namespace bitloop::search
