#include "search/codesign_run.h"

#include "io/yaml_util.h"

#include <chrono>
#include <sstream>

namespace bitloop::search
{

namespace
{

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string joinDoubles(const std::vector<double> &v)
{
    std::ostringstream os;
    for (size_t i = 0; i < v.size(); ++i)
        os << (i ? " " : "") << yamlutil::formatDouble(v[i]);
    return os.str();
}

std::vector<double> splitDoubles(const std::string &s)
{
    std::vector<double> v;
    std::istringstream is(s);
    for (std::string tok; is >> tok;)
        v.push_back(std::stod(tok));
    return v;
}

} // namespace

CodesignRun::CodesignRun(CodesignProblem &problem, Settings settings, RunDirectory &dir,
                         const std::atomic<bool> *cancel)
    : problem_(problem), dir_(dir)
{
    if (auto ref = dir_.meta("reference_point")) {
        settings.referencePoint = splitDoubles(*ref);
    } else {
        settings.referencePoint = problem_.referencePoint(cancel);
        if (cancel && cancel->load())
            throw std::runtime_error("cancelled before the search started");
        dir_.setMeta("reference_point", joinDoubles(settings.referencePoint));
    }
    const ProblemSpec spec = problem_.problemSpec();
    if (auto state = dir_.checkpoint()) {
        engine_ = std::make_unique<Nsga2>(Nsga2::restore(spec, settings, *state));
        resumed_ = true;
        dir_.truncateAfter(engine_->generation());
        // The archive is not in the engine's state: every evaluation the checkpoint covers is in run.sqlite,
        // with the figures its objectives and constraints come from, so it is rebuilt from there exactly.
        for (const EvaluatedIndividual &e : dir_.individuals()) {
            Individual ind;
            ind.x = encode(e.bits);
            problem_.fill(ind, e.cost);
            archive_.insert(ind);
        }
        // A run killed after its checkpoint but before front.csv was rewritten left the previous front.
        writeFrontCsv();
    } else {
        engine_ = std::make_unique<Nsga2>(spec, settings, problem_.uniformSeeds());
        dir_.truncateAfter(-1); // rows of a first generation that never completed
    }
}

RunOutcome CodesignRun::run(const GenerationFn &onGeneration, const std::atomic<bool> *cancel)
{
    RunOutcome out;
    const auto start = Clock::now();
    while (true) {
        if (auto stop = engine_->termination()) {
            out.reason = *stop;
            break;
        }
        if (cancel && cancel->load()) {
            out.reason = StopReason::Cancelled;
            break;
        }
        auto t = Clock::now();
        std::vector<Individual> batch = engine_->ask();
        double algorithm = secondsSince(t);

        std::vector<BitConfig> configs;
        for (const Individual &ind : batch)
            configs.push_back(decode(ind.x));
        const std::vector<CandidateCost> costs = problem_.costs(configs, cancel);
        if (cancel && cancel->load()) {
            out.reason = StopReason::Cancelled;
            break;
        }
        for (size_t i = 0; i < batch.size(); ++i)
            problem_.fill(batch[i], costs[i]);

        t = Clock::now();
        engine_->tell(batch);
        for (const Individual &ind : batch)
            archive_.insert(ind);
        GenerationRecord rec;
        rec.hypervolume = archive_.hypervolume(engine_->settings().referencePoint);
        algorithm += secondsSince(t);

        rec.generation = engine_->generation();
        rec.evaluations = engine_->evaluations();
        rec.frontSize = archive_.size();
        rec.elapsedSeconds = engine_->elapsedSeconds();
        rec.algorithmSeconds = algorithm;
        std::vector<EvaluatedIndividual> evaluated;
        for (size_t i = 0; i < batch.size(); ++i) {
            rec.mapperSeconds += costs[i].mapperSeconds;
            rec.accuracySeconds += costs[i].accuracySeconds;
            evaluated.push_back({rec.generation, configs[i], costs[i], totalViolation(batch[i].constraints)});
        }
        dir_.appendGeneration(evaluated, rec);
        dir_.saveCheckpoint(engine_->saveState());
        writeFrontCsv();

        if (onBatch)
            onBatch(evaluated);
        out.mapperSeconds += rec.mapperSeconds;
        out.accuracySeconds += rec.accuracySeconds;
        out.algorithmSeconds += rec.algorithmSeconds;
        if (onGeneration) {
            Progress p = engine_->progress();
            p.hypervolume = rec.hypervolume;
            p.frontSize = rec.frontSize;
            onGeneration(rec, p);
        }
    }
    out.generation = engine_->generation();
    out.evaluations = engine_->evaluations();
    out.wallSeconds = secondsSince(start);
    return out;
}

void CodesignRun::writeFrontCsv() const
{
    yamlutil::writeFileAtomically(dir_.file("front.csv"), frontCsv(problem_.spec(), archive_.members()));
}

} // namespace bitloop::search
