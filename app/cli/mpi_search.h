// `bitloop-cli search` across the ranks of an MPI job (issue 12), started by mpirun or srun with the
// same options as a one-process search. Rank 0 runs NSGA-II and owns the run directory and the on-disk
// caches; every other rank opens the same evaluator (the checkpoint and dataset paths as given, on its
// own disk) and answers questions from a dynamic queue, one at a time: a configuration's accuracy, or
// one layer's best mapping at given widths. Rank 0 asks only what its memory and caches cannot answer,
// stores every answer, then costs the generation exactly as one process would: for deterministic
// evaluators the run is the same whatever the number of ranks.
#pragma once

#include <string>
#include <vector>

namespace bitloop::cli
{

// The search as one rank of the job; returns the exit status. A rank that cannot open the checkpoint or
// dataset, or whose files differ from rank 0's, is one line naming the rank, host and what failed, and
// the job ends with status 2 before any evaluation. A job of one rank is the one-process search.
int runSearchMpi(const std::vector<std::string> &given);

} // namespace bitloop::cli
