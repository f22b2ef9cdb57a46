#include "search/nsga2.h"

#include "search/hypervolume.h"
#include "search/sorting.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace bitloop::search
{

namespace
{

const double kNaN = std::numeric_limits<double>::quiet_NaN();

} // namespace

const char *toString(StopReason r)
{
    switch (r) {
    case StopReason::MaxGenerations:
        return "maximum generations";
    case StopReason::MaxEvaluations:
        return "maximum evaluations";
    case StopReason::WallTime:
        return "wall time";
    case StopReason::Stagnation:
        return "hypervolume stagnation";
    case StopReason::Cancelled:
        return "cancelled";
    }
    return "?";
}

void Settings::validate(const ProblemSpec &problem) const
{
    problem.validate();
    if (populationSize < 2)
        throw std::invalid_argument("population size " + std::to_string(populationSize) +
                                    ": expected at least 2");
    search::validate(variation);
    if (maxGenerations < 0 || maxEvaluations < 0 || !(maxSeconds >= 0) || stagnationWindow < 0)
        throw std::invalid_argument("termination limits must be >= 0 (0 = no limit)");
    if (maxEvaluations > 0 && maxEvaluations < populationSize)
        throw std::invalid_argument("maximum evaluations " + std::to_string(maxEvaluations) +
                                    " below the population size " + std::to_string(populationSize) +
                                    ": the initial population alone exceeds it");
    if (!referencePoint.empty() && referencePoint.size() != size_t(problem.numObjectives))
        throw std::invalid_argument("reference point has " + std::to_string(referencePoint.size()) +
                                    " coordinates for " + std::to_string(problem.numObjectives) +
                                    " objectives");
    for (double r : referencePoint)
        if (!std::isfinite(r))
            throw std::invalid_argument("reference point coordinates must be finite");
    if (stagnationWindow > 0 && referencePoint.empty())
        throw std::invalid_argument("the stagnation criterion needs a reference point for the hypervolume");
    if (stagnationWindow > 0 && !(stagnationTolerance >= 0))
        throw std::invalid_argument("stagnation tolerance must be >= 0");
}

Nsga2::Nsga2(ProblemSpec problem, Settings settings, std::vector<std::vector<double>> seeds)
    : problem_(std::move(problem)), settings_(std::move(settings)), seeds_(std::move(seeds)),
      rng_(settings_.seed), pendingRng_(settings_.seed), started_(std::chrono::steady_clock::now())
{
    settings_.validate(problem_);
    if (seeds_.size() > size_t(settings_.populationSize))
        throw std::invalid_argument(std::to_string(seeds_.size()) + " seed individuals for a population of " +
                                    std::to_string(settings_.populationSize));
    for (size_t s = 0; s < seeds_.size(); ++s) {
        auto &x = seeds_[s];
        const std::string where = "seed individual " + std::to_string(s) + ": ";
        if (x.size() != problem_.numVariables())
            throw std::invalid_argument(where + std::to_string(x.size()) + " genes, expected " +
                                        std::to_string(problem_.numVariables()));
        for (size_t i = 0; i < x.size(); ++i) {
            const Variable &v = problem_.variables[i];
            if (v.pinned)
                x[i] = *v.pinned;
            else if (!v.admits(x[i]))
                throw std::invalid_argument(where + "gene " + std::to_string(i) + " = " + formatValue(x[i]) +
                                            (v.isInteger ? " is not an allowed value" : " is out of bounds"));
        }
    }
}

Nsga2::Nsga2(ProblemSpec problem, Settings settings, State state)
    : problem_(std::move(problem)), settings_(std::move(settings)), state_(std::move(state)),
      started_(std::chrono::steady_clock::now())
{
    rng_.setState(state_.rng);
    pendingRng_ = rng_;
}

double Nsga2::elapsedSeconds() const
{
    return state_.elapsedSeconds +
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

State Nsga2::state() const
{
    State s = state_;
    s.elapsedSeconds = elapsedSeconds();
    s.rng = rng_.state();
    return s;
}

size_t Nsga2::tournament(Rng &rng) const
{
    const size_t n = state_.population.size();
    const size_t a = rng.below(n);
    size_t b = rng.below(n - 1);
    if (b >= a)
        ++b;
    const Individual &ia = state_.population[a], &ib = state_.population[b];
    if (crowdedBetter(ia, ib))
        return a;
    if (crowdedBetter(ib, ia))
        return b;
    return rng.coin() ? a : b;
}

std::vector<Individual> Nsga2::ask()
{
    if (hasPending_)
        return pending_;
    Rng rng = rng_;
    const size_t n = size_t(settings_.populationSize);
    std::vector<std::vector<double>> genes;
    genes.reserve(n + 1);
    if (state_.generation < 0) {
        genes = seeds_;
        while (genes.size() < n)
            genes.push_back(randomGenes(problem_, rng));
    } else {
        while (genes.size() < n) {
            std::vector<double> a = state_.population[tournament(rng)].x;
            std::vector<double> b = state_.population[tournament(rng)].x;
            crossover(problem_, settings_.variation, rng, a, b);
            mutate(problem_, settings_.variation, rng, a);
            mutate(problem_, settings_.variation, rng, b);
            genes.push_back(std::move(a));
            if (genes.size() < n)
                genes.push_back(std::move(b));
        }
    }
    pending_.assign(n, Individual{});
    for (size_t i = 0; i < n; ++i) {
        pending_[i].x = std::move(genes[i]);
        pending_[i].objectives.assign(size_t(problem_.numObjectives), kNaN);
        pending_[i].constraints.assign(size_t(problem_.numConstraints), kNaN);
    }
    pendingRng_ = rng;
    hasPending_ = true;
    return pending_;
}

void Nsga2::validateBatch(const std::vector<Individual> &batch) const
{
    if (!hasPending_)
        throw std::logic_error("NSGA-II: tell() without a batch from ask()");
    if (batch.size() != pending_.size())
        throw std::invalid_argument("NSGA-II: told " + std::to_string(batch.size()) + " individuals, asked " +
                                    std::to_string(pending_.size()));
    for (size_t i = 0; i < batch.size(); ++i) {
        const Individual &ind = batch[i];
        const std::string where = "NSGA-II: individual " + std::to_string(i) + ": ";
        if (ind.x != pending_[i].x)
            throw std::invalid_argument(where +
                                        "genes differ from those asked (batch reordered or changed?)");
        if (ind.objectives.size() != size_t(problem_.numObjectives))
            throw std::invalid_argument(where + std::to_string(ind.objectives.size()) +
                                        " objectives, expected " + std::to_string(problem_.numObjectives));
        if (ind.constraints.size() != size_t(problem_.numConstraints))
            throw std::invalid_argument(where + std::to_string(ind.constraints.size()) +
                                        " constraint values, expected " +
                                        std::to_string(problem_.numConstraints));
        for (size_t m = 0; m < ind.objectives.size(); ++m)
            if (!std::isfinite(ind.objectives[m]))
                throw std::invalid_argument(where + "objective " + std::to_string(m) + " is not finite");
        for (size_t c = 0; c < ind.constraints.size(); ++c)
            if (std::isnan(ind.constraints[c]))
                throw std::invalid_argument(where + "constraint " + std::to_string(c) + " is NaN");
    }
}

void Nsga2::tell(const std::vector<Individual> &batch)
{
    validateBatch(batch);
    std::vector<Individual> told(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
        told[i].x = batch[i].x;
        told[i].objectives = batch[i].objectives;
        told[i].constraints = batch[i].constraints;
        told[i].violation = totalViolation(told[i].constraints);
    }
    state_.evaluations += (long long)told.size();
    if (state_.generation < 0) {
        state_.population = std::move(told);
        for (const auto &front : nonDominatedSort(state_.population))
            assignCrowdingDistance(state_.population, front);
    } else {
        survive(std::move(told));
    }
    ++state_.generation;
    rng_ = pendingRng_;
    hasPending_ = false;
    pending_.clear();
    recordHypervolume();
}

// Elitist (mu + lambda) survival: whole fronts of parents and offspring together while they fit, then the
// least crowded members of the front that does not.
void Nsga2::survive(std::vector<Individual> offspring)
{
    std::vector<Individual> all = std::move(state_.population);
    const size_t mu = all.size();
    all.insert(all.end(), std::make_move_iterator(offspring.begin()),
               std::make_move_iterator(offspring.end()));
    const auto fronts = nonDominatedSort(all);
    std::vector<Individual> next;
    next.reserve(mu);
    for (const auto &front : fronts) {
        assignCrowdingDistance(all, front);
        if (next.size() + front.size() <= mu) {
            for (size_t i : front)
                next.push_back(std::move(all[i]));
            if (next.size() == mu)
                break;
            continue;
        }
        std::vector<size_t> order(front);
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return all[a].crowding > all[b].crowding || (all[a].crowding == all[b].crowding && a < b);
        });
        for (size_t k = 0; next.size() < mu; ++k)
            next.push_back(std::move(all[order[k]]));
        break;
    }
    state_.population = std::move(next);
}

std::vector<Individual> Nsga2::firstFront() const
{
    std::vector<Individual> front;
    for (const auto &ind : state_.population)
        if (ind.rank == 0 && ind.feasible())
            front.push_back(ind);
    return front;
}

double Nsga2::hypervolume() const
{
    return state_.hypervolumes.empty() ? kNaN : state_.hypervolumes.back();
}

void Nsga2::recordHypervolume()
{
    if (settings_.referencePoint.empty()) {
        state_.hypervolumes.push_back(kNaN);
        return;
    }
    std::vector<std::vector<double>> points;
    for (const auto &ind : state_.population)
        if (ind.rank == 0 && ind.feasible())
            points.push_back(ind.objectives);
    state_.hypervolumes.push_back(search::hypervolume(points, settings_.referencePoint));
}

std::optional<StopReason> Nsga2::termination() const
{
    const int g = state_.generation;
    if (g < 0)
        return std::nullopt;
    if (settings_.maxGenerations > 0 && g >= settings_.maxGenerations)
        return StopReason::MaxGenerations;
    if (settings_.maxEvaluations > 0 &&
        state_.evaluations + settings_.populationSize > settings_.maxEvaluations)
        return StopReason::MaxEvaluations;
    if (settings_.maxSeconds > 0 && elapsedSeconds() >= settings_.maxSeconds)
        return StopReason::WallTime;
    const int w = settings_.stagnationWindow;
    if (w > 0 && g >= w) {
        // Best so far rather than the latest value: truncation by crowding can lower the hypervolume a
        // little from one generation to the next without the search having stalled. A front that does not
        // yet dominate any of the box (hypervolume 0) is not stagnating, only far away.
        const auto &hv = state_.hypervolumes;
        const double before = *std::max_element(hv.begin(), hv.end() - w);
        const double now = std::max(before, *std::max_element(hv.end() - w, hv.end()));
        if (before > 0 && now - before <= settings_.stagnationTolerance * before)
            return StopReason::Stagnation;
    }
    return std::nullopt;
}

Progress Nsga2::progress() const
{
    Progress p;
    p.generation = state_.generation;
    p.evaluations = state_.evaluations;
    p.hypervolume = hypervolume();
    for (const auto &ind : state_.population)
        p.frontSize += ind.rank == 0 && ind.feasible();
    p.elapsedSeconds = elapsedSeconds();
    // Pace: seconds per batch so far (the initial population counts as one).
    const int batches = state_.generation + 1;
    if (batches > 0) {
        const double perBatch = p.elapsedSeconds / batches;
        double left = std::numeric_limits<double>::infinity();
        if (settings_.maxGenerations > 0)
            left = std::min(left, std::max(0, settings_.maxGenerations - state_.generation) * perBatch);
        if (settings_.maxEvaluations > 0)
            left = std::min(left, double(std::max(0LL, (settings_.maxEvaluations - state_.evaluations) /
                                                           settings_.populationSize)) *
                                      perBatch);
        if (settings_.maxSeconds > 0)
            left = std::min(left, std::max(0.0, settings_.maxSeconds - p.elapsedSeconds));
        if (std::isfinite(left))
            p.secondsLeft = left;
    }
    return p;
}

StopReason Nsga2::run(const EvaluateBatch &evaluate, const ProgressFn &progress,
                      const std::atomic<bool> *cancel)
{
    if (!cancel && settings_.maxGenerations == 0 && settings_.maxEvaluations == 0 &&
        settings_.maxSeconds == 0 && settings_.stagnationWindow == 0)
        throw std::invalid_argument(
            "NSGA-II: no termination criterion and no cancellation flag: the run would "
            "never end");
    for (;;) {
        if (auto reason = termination())
            return *reason;
        if (cancel && cancel->load())
            return StopReason::Cancelled;
        std::vector<Individual> batch = ask();
        evaluate(batch);
        if (cancel && cancel->load())
            return StopReason::Cancelled;
        tell(batch);
        if (progress)
            progress(this->progress());
    }
}

} // namespace bitloop::search
