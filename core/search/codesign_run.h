// One co-design search run: the NSGA-II engine driven over a CodesignProblem, with every generation
// recorded in a RunDirectory and checkpointed, so that a stopped or killed run resumes where its last
// whole generation ended and then proceeds exactly as the uninterrupted run would have (same seed, same
// answers: the mapper is deterministic and the caches return what was computed before).
//
// What the run reports (front.csv, each generation's hypervolume and front size, the front the callers
// write to front.json) is the ParetoArchive of every evaluation, not the engine's current first front,
// which can lose non-dominated points to crowding truncation (search/archive.h).
#pragma once

#include "search/archive.h"
#include "search/codesign.h"
#include "search/nsga2.h"
#include "search/run_dir.h"

#include <atomic>
#include <functional>
#include <memory>

namespace bitloop::search
{

struct RunOutcome {
    StopReason reason = StopReason::MaxGenerations;
    int generation = 0;
    long long evaluations = 0;
    double wallSeconds = 0; // this session's
    // Busy time of each part, summed over this session's generations (mapper jobs run in parallel with
    // each other and with accuracy evaluations, so these may add up to more than the wall time).
    double mapperSeconds = 0, accuracySeconds = 0, algorithmSeconds = 0;
};

// The engine's state in a run's checkpoint.txt: checks the header's "key value" lines against `expected`
// (what the run's settings give now) and reads the recorded count of evaluated individuals (-1 in
// checkpoints from before the header, which are the state alone). InputError naming `file` and the line
// when a line is damaged or differs.
std::string checkpointEngineState(const std::string &text,
                                  const std::vector<std::pair<std::string, std::string>> &expected,
                                  const std::string &file, long long &recordedIndividuals);

class CodesignRun
{
public:
    // A fresh run when `dir` has no checkpoint, otherwise a resumption of the run it holds (the
    // settings must be the run's own; termination limits may differ). The hypervolume reference point
    // is computed once (CodesignProblem::referencePoint) and kept in the run directory. A fresh run's
    // initial population is the uniform seeds, then `warmStart` (search/warm_start.h), then random
    // individuals; a resumption ignores `warmStart`. Cancelled while the reference point is computed (the
    // widest configuration mapped: a minute or more on a cold mapper cache), the run is not started: run()
    // says Cancelled before generation 0, and the directory resumes as a fresh run.
    CodesignRun(CodesignProblem &problem, Settings settings, RunDirectory &dir,
                const std::atomic<bool> *cancel = nullptr,
                const std::vector<std::vector<double>> &warmStart = {});

    bool resumed() const { return resumed_; }
    bool started() const { return engine_ != nullptr; } // false only when cancelled in the constructor
    const Nsga2 &engine() const { return *engine_; }    // only when started()
    // The non-dominated feasible configurations of every evaluation so far (rebuilt from run.sqlite on
    // resume): what front.csv holds and what front.json should hold.
    const ParetoArchive &archive() const { return archive_; }
    const std::vector<Individual> &front() const { return archive_.members(); }

    // Where each generation's batch is costed (default: the problem). Must answer as the problem would.
    void setEvaluator(CandidateEvaluator &evaluator) { evaluator_ = &evaluator; }

    using GenerationFn = std::function<void(const GenerationRecord &, const Progress &)>;
    // Called with each generation's evaluated individuals once they are stored (before onGeneration).
    std::function<void(const std::vector<EvaluatedIndividual> &)> onBatch;
    // Runs until a termination criterion holds or *cancel is set (the unfinished generation is dropped;
    // the directory holds the last whole one). Calls onGeneration after each generation is stored, with the
    // archive's hypervolume and front size in both the record and the progress (the engine's termination
    // still follows its own first front, so that its course is unchanged).
    RunOutcome run(const GenerationFn &onGeneration = {}, const std::atomic<bool> *cancel = nullptr);

private:
    void writeFrontCsv() const;
    // checkpoint.txt: a header that records what the run is (objectives; digests of the architecture, the
    // network and the other settings; the population) and how many individuals run.sqlite holds, then the
    // engine's state. On resume a difference in any of them is an InputError naming the file and what
    // differs; so are a damaged state, a damaged reference point and an elapsed time that is not finite.
    std::string checkpointText() const;

    CodesignProblem &problem_;
    CandidateEvaluator *evaluator_; // the problem itself unless setEvaluator
    RunDirectory &dir_;
    std::unique_ptr<Nsga2> engine_;
    ParetoArchive archive_;
    bool resumed_ = false;
};

} // namespace bitloop::search
