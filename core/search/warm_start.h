// Seeding a search with an earlier run's evaluations (bitloop-cli search --warm-start DIR): to refine a
// region of a front (a tighter --max-energy, other objectives) without rediscovering what the earlier
// run already found. The earlier configurations are ranked as this search would rank them, from the
// figures recorded with them (this search's objectives and bounds, Deb's constraint-domination, then
// crowding distance), and the best fill the initial population beside the uniform seeds. Recorded figures
// of another architecture or evaluator only order the seeds; each seed is evaluated afresh.
#pragma once

#include "search/codesign.h"
#include "search/run_dir.h"

#include <string>
#include <vector>

namespace bitloop::search
{

// At most `count` seed genes from `earlier` (the individuals of the run in `source`, a directory named in
// errors): distinct configurations after this search's pins, none equal to one of `exclude` (the uniform
// seeds), each width admitted by the allowed set. InputError naming `source` when the run is of a network
// with another number of layers, or when none of its configurations fits this search.
std::vector<std::vector<double>> warmStartSeeds(const CodesignProblem &problem,
                                                const std::vector<EvaluatedIndividual> &earlier, size_t count,
                                                const std::vector<std::vector<double>> &exclude,
                                                const std::string &source);

} // namespace bitloop::search
