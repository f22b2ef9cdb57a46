// The best mapping of one layer: an exhaustive, pruned, parallel and deterministic walk of the mapspace,
// or a seeded random sample of it where the space is too large to walk.
#pragma once

#include "mapper/mapspace.h"

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace bitloop
{

enum class Metric { Energy, Delay, Edp };
const char *metricName(Metric m);
bool metricFromName(const std::string &name, Metric &out);

enum class Strategy { Auto, Exhaustive, Sampled };
const char *strategyName(Strategy s);
// The inverse of strategyName; false on another name.
bool strategyFromName(const std::string &name, Strategy &out);

struct MapperOptions {
    Metric metric = Metric::Energy;
    Strategy strategy = Strategy::Auto;
    int threads = 0; // 0 = every core
    // Auto walks spaces up to this many factorizations x keep choices (loop nests when counting), or as
    // many loop nests when a count finds that many, and samples larger ones.
    double exhaustiveLimit = 2e7;
    int64_t sampleBudget = 200000; // Sampled: loop nests drawn
    uint64_t seed = 1;
    // Exhaustive walks skip subtrees whose lower bound (mapper/bound.h) cannot beat the best mapping found
    // so far; the answer is the same proven optimum. Counting every valid mapping needs the whole walk.
    bool countValid = false;
    // Mappings of the same layer at other widths, as first incumbents for the bound (they only make the
    // walk faster: the answer is the same; ones outside this space are ignored).
    std::vector<Mapping> hints;
    ModelOptions model;
    MapspaceOptions space;
    std::function<void(double fraction)> progress; // called from worker threads, fraction in [0, 1]
    const std::atomic<bool> *cancel = nullptr;
};

struct MapperResult {
    bool found = false; // a valid mapping exists (and the walk was not cancelled before finding one)
    Mapping mapping;
    Evaluation evaluation;     // of `mapping` at the requested bit-widths
    int64_t validMappings = 0; // distinct loop nests the model accepts; -1 when not counted (pruned walk)
    int64_t visited = 0;       // loop nests evaluated
    int64_t pruned = 0;        // subtrees of the walk skipped on their lower bound
    double seconds = 0;
    bool optimal = false; // proven best within the mapspace (a complete exhaustive walk)
    bool cancelled = false;
    Strategy strategy = Strategy::Exhaustive;
    double spaceSize = 0; // factorizations the constraints allow (Timeloop's mapspace size)
    std::string note;     // why the space differs from what was asked, if it does
};

// The value the metric ranks by (lower is better).
double metricValue(Metric m, const Evaluation &e);

MapperResult findBestMapping(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
                             const MapperOptions &options = {});

} // namespace bitloop
