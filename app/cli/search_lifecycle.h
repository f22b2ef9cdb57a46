// The life of a search run, shared by `bitloop-cli search` (one process, or rank 0 of an MPI job) and the
// explorer: resolve the arguments (a fresh run into --out, or --resume DIR with new limits over the run's
// own), build the setup, open the run directory (refusing a fresh run into one that holds a search),
// write settings.yaml; then run it and write front.json.
#pragma once

#include "search_setup.h"

#include "search/codesign_run.h"
#include "search/run_dir.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bitloop::cli
{

// Whether an MPI launcher started this process as part of a job (Open MPI's mpirun, or a PMI/PMIx
// launcher such as srun): its environment says so (mpi_search.h runs such a search).
bool launchedAsMpiJob();

struct OpenedSearch {
    std::string dir;
    std::vector<std::string> arguments; // the run's, as settings.yaml records them
    bool resuming = false;              // the directory holds a checkpoint to continue
    std::shared_ptr<SearchSetup> setup;
    std::shared_ptr<search::CodesignProblem> problem;
    std::unique_ptr<search::RunDirectory> run;
    // --warm-start DIR: the initial population's seeds from that run (read when the run starts afresh).
    std::vector<std::vector<double>> warmStart;
    bool warmStartRead = false;
};

// The run's arguments and directory from what `search` was given, opening nothing; `resume` tells
// whether --resume was asked for. UsageError without --out or --resume; InputError when --resume names a
// directory without a run.
std::vector<std::string> searchArguments(const std::vector<std::string> &given, std::string &dir,
                                         bool &resume);

// Builds the setup from `given` and opens the run directory. A fresh run into a directory that already
// holds one is a UsageError "DIR already holds a search; " + `whenTaken`. Everything is checked before
// the directory is touched; settings.yaml of a fresh run is written last, with relative paths of files that
// exist recorded absolute (so that it resumes from any folder). With `open` false the directory
// is left untouched (`run` null) until openRunDirectory: an MPI job opens it once every rank is ready.
OpenedSearch openSearch(const std::vector<std::string> &given, const std::string &whenTaken,
                        bool open = true);
void openRunDirectory(OpenedSearch &s);

// Runs the opened search until a limit or *cancel (each generation costed by `evaluator` when given, else
// by the problem), then writes front.json (the archive of every evaluation, as front.csv).
search::RunOutcome
runOpenedSearch(OpenedSearch &s, const search::CodesignRun::GenerationFn &onGeneration,
                const std::function<void(const std::vector<search::EvaluatedIndividual> &)> &onBatch,
                const std::atomic<bool> *cancel, search::CandidateEvaluator *evaluator = nullptr);

} // namespace bitloop::cli
