// The co-design problem of the reference study, on top of the generic NSGA-II engine: every candidate is
// a per-layer bit configuration (two genes per layer: weight bits, input-activation bits; a layer's
// outputs are the next layer's activations, the last layer's outputs 8-bit); its energy is the sum of the
// layers' best mappings for exactly those bit-widths (the mapper, through its cache), its accuracy comes
// from an accuracy evaluator (PTQ or QAT, through the accuracy cache), its memory is the weights' bits.
//
// A batch is evaluated with the mapper jobs it needs (distinct layer / bit-width questions not answered
// before) spread over a thread pool while the accuracy evaluations run on a thread of their own, so the
// two overlap; answers are memoized in memory on top of the on-disk caches, so nothing is computed twice.
#pragma once

#include "accuracy/evaluator.h"
#include "arch/architecture.h"
#include "mapper/cache.h"
#include "mapper/network_mapper.h"
#include "search/nsga2.h"
#include "workload/layer.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bitloop::search
{

enum class Objective {
    Error,  // 1 - top-1 accuracy (0..1)
    Energy, // µJ, the sum of the layers' best-mapping energies
    Edp,    // µJ x cycles of the whole network (network energy times network cycles)
    Cycles, // the sum of the layers' cycles
    Memory, // weight memory in bytes: sum over layers of ceil(weights x weight bits / 8)
};
const char *objectiveName(Objective o); // "error", "energy", "edp", "cycles", "memory"
const char *objectiveUnit(Objective o); // "", "uJ", "uJ*cycles", "cycles", "bytes"
// "error,energy,memory" -> the list; std::invalid_argument on an unknown or repeated name.
std::vector<Objective> parseObjectives(const std::string &list);

// Everything one candidate costs. Hardware figures are for the hardware network (its own resolution).
struct CandidateCost {
    double accuracy = -1.0; // -1: not measured (error neither an objective nor constrained)
    double energyPj = 0.0;
    int64_t cycles = 0;
    int64_t weightBytes = 0;
    int invalidLayers = 0; // layers with no valid mapping (a pinned mapping that does not fit these bits)
    double accuracySeconds = 0.0, mapperSeconds = 0.0; // what computing it took (0 when cached)
    double value(Objective o) const;
};

struct CodesignSpec {
    Network network; // the hardware side: the layer list the mapper maps (e.g. at 224 x 224)
    Architecture arch;
    std::vector<int> allowedBits = {2, 3, 4, 5, 6, 7, 8}; // both tensors, unless a set below is given
    // Each tensor's own set (empty: allowedBits): hardware with a fixed weight datapath, or a search that
    // spends bits where the energy is (on Eyeriss, mostly in the activations' widths).
    std::vector<int> allowedWeightBits, allowedActivationBits;
    const std::vector<int> &weightBits() const
    {
        return allowedWeightBits.empty() ? allowedBits : allowedWeightBits;
    }
    const std::vector<int> &activationBits() const
    {
        return allowedActivationBits.empty() ? allowedBits : allowedActivationBits;
    }
    int lastOutputBits = 8;
    std::vector<Objective> objectives = {Objective::Error, Objective::Energy, Objective::Memory};
    // Constraints (each optional): error <= maxError, memory <= maxMemoryBytes, energy (µJ) <= maxEnergyUj.
    std::optional<double> maxError, maxMemoryBytes, maxEnergyUj;
    std::map<int, LayerBits> pinnedBits;   // 0-based layer -> bits held for the whole run
    std::map<int, Mapping> pinnedMappings; // 0-based layer -> mapping used instead of searching one
    MapperOptions mapper;                  // metric etc.; its thread count is set per job
    int mapperThreads = 2;                 // the pool the mapper jobs of a batch run on

    bool needsAccuracy() const;
    // Throws std::invalid_argument naming what is wrong: an empty allowed set, a width outside 1..32 or
    // wider than a word of a level that keeps the tensor, a pin on a missing layer or outside the allowed
    // set, no objectives.
    void validate() const;
};

// The uniform configurations every search starts from (its first population's chosen members, before
// pins): one per width b of either set, each tensor at its allowed width nearest b (the wider on a tie),
// repeats dropped; 2/2 .. 8/8 for the default set. A population must hold at least this many.
std::vector<LayerBits> uniformWidths(const std::vector<int> &weightBits,
                                     const std::vector<int> &activationBits);

// The genes of a configuration, and back. Layer i's weight bits are gene 2i, its activation bits 2i + 1.
std::vector<double> encode(const BitConfig &bits);
BitConfig decode(const std::vector<double> &genes);

// Where a batch of configurations gets its costs: the one call the search makes per generation. Here,
// CodesignProblem itself (the mapper pool beside the accuracy thread); the seam for evaluating elsewhere
// (issue 12: across MPI ranks) without the search knowing.
class CandidateEvaluator
{
public:
    virtual ~CandidateEvaluator() = default;
    // One cost per configuration, in order. A cancelled batch may return partial figures (not to be used).
    virtual std::vector<CandidateCost> costs(const std::vector<BitConfig> &configs,
                                             const std::atomic<bool> *cancel = nullptr) = 0;
};

// One question a batch needs answered, to be answered elsewhere (another MPI rank, issue 12): a
// configuration's accuracy, or one layer's best mapping at given widths (with the incumbents the on-disk
// cache offers from nearby widths, which speed the search and never change its answer).
struct Question {
    bool accuracy = false;
    BitConfig bits; // accuracy: the configuration
    int layer = -1; // mapping: 0-based layer and its widths
    BitWidths widths;
    std::vector<Mapping> hints;
};
struct Answer {
    AccuracyResult accuracy; // accuracy questions
    MapperResult mapping;    // mapping questions
};

class CodesignProblem : public CandidateEvaluator
{
public:
    // `accuracy` may be null when the spec needs no accuracy; `cache` may be null (no on-disk mapper cache).
    CodesignProblem(CodesignSpec spec, std::shared_ptr<AccuracyEvaluator> accuracy,
                    std::shared_ptr<MapperCache> cache);

    const CodesignSpec &spec() const { return spec_; }
    const AccuracyEvaluator *accuracy() const { return accuracy_.get(); } // null: no accuracy objective
    // Two integer genes per layer, pinned where the spec pins; one constraint per bound set, plus one that
    // counts layers without a valid mapping.
    ProblemSpec problemSpec() const;
    // The initial population's chosen members: uniformWidths() of the spec's sets, pins applied.
    std::vector<std::vector<double>> uniformSeeds() const;
    // The hypervolume reference point: error 1; energy, EDP, cycles and memory 1.1 x those of the widest
    // configuration (each tensor at its widest allowed width) (computed here, so that it is fixed before the
    // run starts).
    std::vector<double> referencePoint(const std::atomic<bool> *cancel = nullptr);

    // The costs of a batch of configurations (mapper jobs on the pool, accuracy alongside). A cancelled
    // batch returns early with partial figures (the caller must not use them).
    std::vector<CandidateCost> costs(const std::vector<BitConfig> &configs,
                                     const std::atomic<bool> *cancel = nullptr) override;
    CandidateCost cost(const BitConfig &bits, const std::atomic<bool> *cancel = nullptr);
    // Fills objectives and constraints of each individual from its cost.
    void fill(Individual &ind, const CandidateCost &c) const;
    // The best mapping of every layer of a configuration (from the memo; computes what is missing).
    NetworkMapping mappings(const BitConfig &bits, const std::atomic<bool> *cancel = nullptr);

    // Evaluating elsewhere: the questions `configs` need that neither this problem's memory nor its on-disk
    // caches answer (cache hits and pinned mappings are taken into memory here; each question once,
    // accuracy questions first), the answer to one question computed here without the on-disk caches
    // (what a worker rank does), and an answer taken into memory and the on-disk caches. Once every open
    // question is remembered, costs() computes nothing and returns what it would have computed itself.
    std::vector<Question> openQuestions(const std::vector<BitConfig> &configs);
    Answer solve(const Question &q, const std::atomic<bool> *cancel = nullptr) const;
    void remember(const Question &q, const Answer &a, bool onDisk = true);
    // The on-disk part of remember() alone (thread-safe): MPI's rank 0 stores beside its hand-out loop.
    void storeOnDisk(const Question &q, const Answer &a);

    // How far the batch costs() is working on has come: called when it starts, after each candidate's
    // accuracy (answers remembered from earlier count too), after each mapper job (layer and widths not
    // answered before) and at each progress report of the candidate under way, from worker threads, one
    // call at a time and in order (under the batch's lock: keep it quick, and never call back into costs()).
    struct BatchProgress {
        int candidates = 0, accuracyDone = 0; // accuracyDone is -1 when nothing needs accuracy
        int mapperJobs = 0, mapperDone = 0;
        // The candidate whose accuracy is being computed (one QAT fine-tuning can take minutes): its
        // evaluator's latest phase ("calibrate", "fine-tune", "evaluate"; empty when none is under way)
        // with done of total, and the step its fine-tuning resumed at from a saved state (-1: it did not).
        std::string phase;
        int64_t phaseDone = 0, phaseTotal = 0, resumedAtStep = -1;
    };
    std::function<void(const BatchProgress &)> onWork;

private:
    struct LayerAnswer {
        MapperResult result;
        double seconds = 0; // 0 when it came from the cache
    };
    using LayerKey = std::pair<int, std::array<int, 3>>; // layer, (W, I, O) bits
    LayerKey keyOf(int layer, const BitWidths &b) const;
    // `onJob` (may be empty) is called after each job that finished.
    void runMapperJobs(const std::vector<std::pair<int, BitWidths>> &jobs, const std::atomic<bool> *cancel,
                       const std::function<void()> &onJob);
    LayerAnswer answerFor(int layer, const BitWidths &b, const std::atomic<bool> *cancel) const;

    CodesignSpec spec_;
    std::shared_ptr<AccuracyEvaluator> accuracy_;
    std::shared_ptr<MapperCache> cache_;
    std::mutex memoMutex_;
    std::map<LayerKey, LayerAnswer> memo_;
    std::map<std::vector<int>, AccuracyResult> accuracyMemo_;
    // Answers remembered from elsewhere whose time the next costs() charges to their candidate.
    std::set<std::vector<int>> accuracyUncharged_;
};

// The candidate under way in a batch, for a person watching a search: "candidate 4 of 20: fine-tuning,
// step 1200 of 3376 (resumed from its saved state at step 1000)"; empty when no evaluation is under way.
std::string describeCandidateWork(const CodesignProblem::BatchProgress &b);
// Whether `b` changes what describeCandidateWork says beyond its step count (another candidate, phase or
// resumed step) against `shown`: a display that throttles its updates should not hold such a change back,
// or it may show a finished phase for as long as the next one lasts.
bool candidateWorkChanged(const CodesignProblem::BatchProgress &shown,
                          const CodesignProblem::BatchProgress &b);

} // namespace bitloop::search
