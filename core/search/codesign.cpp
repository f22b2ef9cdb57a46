#include "search/codesign.h"

#include "model/evaluation.h"
#include "util/parallel_for.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace bitloop::search
{

namespace
{

constexpr Objective kAllObjectives[] = {Objective::Error, Objective::Energy, Objective::Edp,
                                        Objective::Cycles, Objective::Memory};

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool isQatWidth(int b)
{
    return (b >= 2 && b <= 8) || b == 16 || b == 32;
}

} // namespace

const char *objectiveName(Objective o)
{
    switch (o) {
    case Objective::Error:
        return "error";
    case Objective::Energy:
        return "energy";
    case Objective::Edp:
        return "edp";
    case Objective::Cycles:
        return "cycles";
    case Objective::Memory:
        return "memory";
    }
    return "?";
}

const char *objectiveUnit(Objective o)
{
    switch (o) {
    case Objective::Error:
        return "";
    case Objective::Energy:
        return "uJ";
    case Objective::Edp:
        return "uJ*cycles";
    case Objective::Cycles:
        return "cycles";
    case Objective::Memory:
        return "bytes";
    }
    return "";
}

std::vector<Objective> parseObjectives(const std::string &list)
{
    std::vector<Objective> out;
    std::stringstream ss(list);
    for (std::string name; std::getline(ss, name, ',');) {
        bool known = false;
        for (Objective o : kAllObjectives)
            if (name == objectiveName(o)) {
                if (std::find(out.begin(), out.end(), o) != out.end())
                    throw std::invalid_argument("objective '" + name + "' is given twice");
                out.push_back(o);
                known = true;
            }
        if (!known)
            throw std::invalid_argument("unknown objective '" + name +
                                        "' (expected error, energy, edp, cycles or memory)");
    }
    if (out.empty())
        throw std::invalid_argument("no objectives given");
    return out;
}

double CandidateCost::value(Objective o) const
{
    switch (o) {
    case Objective::Error:
        // An accuracy is a fraction of at most a few million images: rounding 1 - a to 12 decimals drops
        // only the binary noise of the subtraction (1 - 0.56 is 0.43999999999999995), so that files and the
        // explorer say 0.44.
        return std::round((1.0 - accuracy) * 1e12) / 1e12;
    case Objective::Energy:
        return energyPj * 1e-6;
    case Objective::Edp:
        return energyPj * 1e-6 * static_cast<double>(cycles);
    case Objective::Cycles:
        return static_cast<double>(cycles);
    case Objective::Memory:
        return static_cast<double>(weightBytes);
    }
    return 0.0;
}

bool CodesignSpec::needsAccuracy() const
{
    return maxError || std::find(objectives.begin(), objectives.end(), Objective::Error) != objectives.end();
}

void CodesignSpec::validate() const
{
    const int layers = static_cast<int>(network.layers.size());
    if (layers == 0)
        throw std::invalid_argument("the network has no layers");
    if (objectives.empty())
        throw std::invalid_argument("no objectives");
    // A width must fit every word that may hold the tensor: weights, and activations as inputs and outputs.
    auto checkWidth = [&](int b, bool weights, const std::string &what) {
        if (b < 1 || b > 32)
            throw std::invalid_argument(what + ": a bit-width of " + std::to_string(b) + " (expected 1..32)");
        for (const StorageLevel &l : arch.levels) {
            const bool holds = weights ? l.mayKeep[idx(Tensor::Weights)]
                                       : (l.mayKeep[idx(Tensor::Inputs)] || l.mayKeep[idx(Tensor::Outputs)]);
            if (holds && b > l.wordBits)
                throw std::invalid_argument(what + ": " + std::to_string(b) + " bits are wider than the " +
                                            std::to_string(l.wordBits) + "-bit words of " + l.name);
        }
        if (needsAccuracy() && !isQatWidth(b))
            throw std::invalid_argument(what + ": a bit-width of " + std::to_string(b) +
                                        " cannot be trained (2..8 bits, or 16 / 32 for not quantized)");
    };
    // Each tensor's set: the shared one, or its own when given (named in the message as the option is).
    for (const bool weights : {true, false}) {
        const bool own = !(weights ? allowedWeightBits : allowedActivationBits).empty();
        const std::string set =
            own ? (weights ? "allowed weight bit-widths" : "allowed activation bit-widths")
                : "allowed bit-widths";
        const std::vector<int> &bits = weights ? weightBits() : activationBits();
        if (bits.empty())
            throw std::invalid_argument("the set of " + set + " is empty");
        for (int b : bits)
            checkWidth(b, weights, weights ? "allowed weight bits" : "allowed activation bits");
        if (std::set<int>(bits.begin(), bits.end()).size() != bits.size())
            throw std::invalid_argument("the " + set + " repeat a value");
    }
    checkWidth(lastOutputBits, false, "the last layer's output bits");
    for (const auto &[layer, bits] : pinnedBits) {
        if (layer < 0 || layer >= layers)
            throw std::invalid_argument("a pin on layer " + std::to_string(layer + 1) + ", but " +
                                        network.name + " has " + std::to_string(layers) +
                                        " layers (1-based)");
        checkWidth(bits.weights, true, "pinned weight bits of layer " + std::to_string(layer + 1));
        checkWidth(bits.activations, false, "pinned activation bits of layer " + std::to_string(layer + 1));
    }
    for (const auto &pm : pinnedMappings)
        if (pm.first < 0 || pm.first >= layers)
            throw std::invalid_argument("a pinned mapping on layer " + std::to_string(pm.first + 1) +
                                        ", but " + network.name + " has " + std::to_string(layers) +
                                        " layers (1-based)");
    if (maxError && !(*maxError >= 0 && *maxError <= 1))
        throw std::invalid_argument("the error bound must lie in [0, 1]");
    if (maxMemoryBytes && !(*maxMemoryBytes > 0))
        throw std::invalid_argument("the memory bound must be positive");
    if (maxEnergyUj && !(*maxEnergyUj > 0))
        throw std::invalid_argument("the energy bound must be positive");
    if (mapperThreads < 1)
        throw std::invalid_argument("the mapper needs at least one thread");
}

std::vector<double> encode(const BitConfig &bits)
{
    std::vector<double> g;
    g.reserve(bits.size() * 2);
    for (const LayerBits &b : bits) {
        g.push_back(b.weights);
        g.push_back(b.activations);
    }
    return g;
}

BitConfig decode(const std::vector<double> &genes)
{
    BitConfig bits(genes.size() / 2);
    for (size_t i = 0; i < bits.size(); ++i)
        bits[i] = {static_cast<int>(genes[2 * i]), static_cast<int>(genes[2 * i + 1])};
    return bits;
}

CodesignProblem::CodesignProblem(CodesignSpec spec, std::shared_ptr<AccuracyEvaluator> accuracy,
                                 std::shared_ptr<MapperCache> cache)
    : spec_(std::move(spec)), accuracy_(std::move(accuracy)), cache_(std::move(cache))
{
    spec_.validate();
    if (spec_.needsAccuracy()) {
        if (!accuracy_)
            throw std::invalid_argument("the error objective or bound needs an accuracy evaluator");
        if (accuracy_->numLayers() != static_cast<int>(spec_.network.layers.size()))
            throw std::invalid_argument("the accuracy side's network has " +
                                        std::to_string(accuracy_->numLayers()) +
                                        " layers, the hardware side's " + spec_.network.name + " has " +
                                        std::to_string(spec_.network.layers.size()));
    }
}

ProblemSpec CodesignProblem::problemSpec() const
{
    ProblemSpec p;
    for (int i = 0; i < static_cast<int>(spec_.network.layers.size()); ++i) {
        Variable w = Variable::integer(spec_.weightBits()), a = Variable::integer(spec_.activationBits());
        if (auto pin = spec_.pinnedBits.find(i); pin != spec_.pinnedBits.end()) {
            // A pinned width need not be in the allowed set (a first layer held at 16 bits, say).
            w = Variable::integer({pin->second.weights}).pin(pin->second.weights);
            a = Variable::integer({pin->second.activations}).pin(pin->second.activations);
        }
        p.variables.push_back(w);
        p.variables.push_back(a);
    }
    p.numObjectives = static_cast<int>(spec_.objectives.size());
    p.numConstraints = 1 + int(spec_.maxError.has_value()) + int(spec_.maxMemoryBytes.has_value()) +
                       int(spec_.maxEnergyUj.has_value());
    return p;
}

namespace
{
// The width of `set` nearest b, the wider on a tie.
int nearestWidth(const std::vector<int> &set, int b)
{
    int best = set.front();
    for (int w : set)
        if (std::abs(w - b) < std::abs(best - b) || (std::abs(w - b) == std::abs(best - b) && w > best))
            best = w;
    return best;
}
} // namespace

std::vector<LayerBits> uniformWidths(const std::vector<int> &weightBits,
                                     const std::vector<int> &activationBits)
{
    std::vector<LayerBits> out;
    if (weightBits.empty() || activationBits.empty())
        return out;
    std::set<int> widths(weightBits.begin(), weightBits.end());
    widths.insert(activationBits.begin(), activationBits.end());
    std::set<std::pair<int, int>> seen;
    for (int b : widths) {
        const LayerBits uniform{nearestWidth(weightBits, b), nearestWidth(activationBits, b)};
        if (seen.insert({uniform.weights, uniform.activations}).second)
            out.push_back(uniform);
    }
    return out;
}

std::vector<std::vector<double>> CodesignProblem::uniformSeeds() const
{
    std::vector<std::vector<double>> seeds;
    for (const LayerBits &uniform : uniformWidths(spec_.weightBits(), spec_.activationBits())) {
        BitConfig bits(spec_.network.layers.size(), uniform);
        for (const auto &[layer, pinned] : spec_.pinnedBits)
            bits[static_cast<size_t>(layer)] = pinned;
        seeds.push_back(encode(bits));
    }
    return seeds;
}

std::vector<double> CodesignProblem::referencePoint(const std::atomic<bool> *cancel)
{
    BitConfig bits(
        spec_.network.layers.size(),
        LayerBits{*std::max_element(spec_.weightBits().begin(), spec_.weightBits().end()),
                  *std::max_element(spec_.activationBits().begin(), spec_.activationBits().end())});
    for (const auto &[layer, pinned] : spec_.pinnedBits)
        bits[static_cast<size_t>(layer)] = pinned;
    const NetworkMapping nm = mappings(bits, cancel);
    CandidateCost c;
    c.energyPj = nm.energy;
    c.cycles = nm.cycles;
    c.weightBytes = nm.weightBytes;
    std::vector<double> ref;
    for (Objective o : spec_.objectives)
        ref.push_back(o == Objective::Error ? 1.0 : 1.1 * c.value(o));
    return ref;
}

CodesignProblem::LayerKey CodesignProblem::keyOf(int layer, const BitWidths &b) const
{
    return {layer, {b.of(Tensor::Weights), b.of(Tensor::Inputs), b.of(Tensor::Outputs)}};
}

CodesignProblem::LayerAnswer CodesignProblem::answerFor(int layer, const BitWidths &b,
                                                        const std::atomic<bool> *cancel) const
{
    const ProblemShape &shape = spec_.network.layers[static_cast<size_t>(layer)].shape;
    LayerAnswer a;
    if (auto pm = spec_.pinnedMappings.find(layer); pm != spec_.pinnedMappings.end()) {
        a.result.mapping = pm->second;
        a.result.evaluation = evaluate(shape, spec_.arch, pm->second, b, spec_.mapper.model);
        a.result.found = a.result.evaluation.valid;
        return a;
    }
    MapperOptions opt = spec_.mapper;
    opt.threads = 1; // the pool is the parallelism
    opt.cancel = cancel;
    opt.progress = nullptr;
    bool hit = false;
    a.result = findBestMappingCached(cache_.get(), shape, spec_.arch, b, opt, &hit);
    a.seconds = hit ? 0.0 : a.result.seconds;
    return a;
}

void CodesignProblem::runMapperJobs(const std::vector<std::pair<int, BitWidths>> &jobs,
                                    const std::atomic<bool> *cancel, const std::function<void()> &onJob)
{
    // A job cancelled inside the mapper ends the hand-out like a cancel between jobs.
    std::atomic<bool> stopped{false};
    parallelFor(
        jobs.size(), spec_.mapperThreads,
        [&](size_t j, int) {
            LayerAnswer a = answerFor(jobs[j].first, jobs[j].second, cancel);
            if (a.result.cancelled) {
                stopped = true;
                return;
            }
            {
                std::lock_guard<std::mutex> lock(memoMutex_);
                memo_[keyOf(jobs[j].first, jobs[j].second)] = std::move(a);
            }
            if (onJob)
                onJob();
        },
        [&] { return stopped.load() || (cancel && cancel->load()); });
}

std::vector<CandidateCost> CodesignProblem::costs(const std::vector<BitConfig> &configs,
                                                  const std::atomic<bool> *cancel)
{
    const int layers = static_cast<int>(spec_.network.layers.size());
    std::vector<std::vector<BitWidths>> chained;
    std::vector<std::pair<int, BitWidths>> jobs;
    std::set<LayerKey> queued;
    for (const BitConfig &c : configs) {
        if (static_cast<int>(c.size()) != layers)
            throw std::invalid_argument("a configuration of " + std::to_string(c.size()) + " layers for " +
                                        spec_.network.name + " with " + std::to_string(layers));
        chained.push_back(chainBits(spec_.network, c, spec_.lastOutputBits));
        std::lock_guard<std::mutex> lock(memoMutex_);
        for (int i = 0; i < layers; ++i) {
            const LayerKey k = keyOf(i, chained.back()[static_cast<size_t>(i)]);
            if (!memo_.count(k) && queued.insert(k).second)
                jobs.emplace_back(i, chained.back()[static_cast<size_t>(i)]);
        }
    }

    // This batch's progress (its own: a what-if's batch may run beside a generation's).
    BatchProgress batch;
    batch.candidates = static_cast<int>(configs.size());
    batch.accuracyDone = spec_.needsAccuracy() ? 0 : -1;
    batch.mapperJobs = static_cast<int>(jobs.size());
    std::mutex batchMutex;
    // onWork is called under the lock, so that reports from the accuracy thread and the mapper threads
    // arrive in the order they were made (a listener shows the last one it got).
    // `p`: the evaluator's progress on the candidate under way.
    auto reportWork = [&](int accuracy, int mapper, const AccuracyProgress *p = nullptr) {
        std::lock_guard<std::mutex> lock(batchMutex);
        batch.accuracyDone += accuracy;
        batch.mapperDone += mapper;
        if (accuracy > 0) { // the next candidate starts afresh
            batch.phase.clear();
            batch.phaseDone = batch.phaseTotal = 0;
            batch.resumedAtStep = -1;
        }
        if (p) {
            if (p->phase == "resumed") // fine-tuning goes on from step done of total
                batch.resumedAtStep = p->done;
            batch.phase = p->phase == "resumed" ? "fine-tune" : p->phase;
            batch.phaseDone = p->done;
            batch.phaseTotal = p->total;
        }
        if (onWork)
            onWork(batch);
    };
    reportWork(0, 0);
    // "state-kept" comes only with a cancel, which the search reports itself.
    const AccuracyProgressFn candidateWork = [&](const AccuracyProgress &p) {
        if (p.phase != "state-kept")
            reportWork(0, 0, &p);
    };

    // Accuracy on its own thread, overlapping the mapper jobs.
    std::vector<AccuracyResult> acc(configs.size());
    std::exception_ptr accFailure;
    std::thread accThread;
    if (spec_.needsAccuracy())
        accThread = std::thread([&] {
            try {
                for (size_t k = 0; k < configs.size(); ++k) {
                    if (cancel && cancel->load())
                        return;
                    const std::vector<double> key = encode(configs[k]);
                    const std::vector<int> ikey(key.begin(), key.end());
                    bool remembered = false;
                    {
                        std::lock_guard<std::mutex> lock(memoMutex_);
                        if (auto it = accuracyMemo_.find(ikey); it != accuracyMemo_.end()) {
                            acc[k] = it->second;
                            // Computed once, earlier in this run; an answer from elsewhere is charged to
                            // the first candidate that uses it, as it would have been here.
                            if (!accuracyUncharged_.erase(ikey))
                                acc[k].seconds = 0.0;
                            remembered = true;
                        }
                    }
                    if (remembered) {
                        reportWork(1, 0);
                        continue;
                    }
                    acc[k] = accuracy_->evaluate(configs[k], onWork ? candidateWork : AccuracyProgressFn{},
                                                 cancel);
                    if (acc[k].cancelled)
                        return;
                    if (acc[k].cached)
                        acc[k].seconds = 0.0;
                    {
                        std::lock_guard<std::mutex> lock(memoMutex_);
                        accuracyMemo_[ikey] = acc[k];
                    }
                    reportWork(1, 0);
                }
            } catch (...) {
                accFailure = std::current_exception();
            }
        });
    std::exception_ptr mapFailure;
    try {
        runMapperJobs(jobs, cancel, [&] { reportWork(0, 1); });
    } catch (...) {
        mapFailure = std::current_exception();
    }
    if (accThread.joinable())
        accThread.join();
    if (mapFailure)
        std::rethrow_exception(mapFailure);
    if (accFailure)
        std::rethrow_exception(accFailure);

    std::vector<CandidateCost> out(configs.size());
    if (cancel && cancel->load())
        return out;
    std::lock_guard<std::mutex> lock(memoMutex_);
    for (size_t k = 0; k < configs.size(); ++k) {
        CandidateCost &c = out[k];
        if (spec_.needsAccuracy()) {
            c.accuracy = acc[k].accuracy;
            c.accuracySeconds = acc[k].seconds;
        }
        NetworkTotals totals;
        for (int i = 0; i < layers; ++i) {
            const BitWidths &b = chained[k][static_cast<size_t>(i)];
            LayerAnswer &a = memo_.at(keyOf(i, b));
            totals.add(spec_.network.layers[static_cast<size_t>(i)], b.of(Tensor::Weights), a.result);
            c.mapperSeconds += a.seconds;
            a.seconds = 0.0; // paid once
        }
        c.energyPj = totals.energy;
        c.cycles = totals.cycles;
        c.invalidLayers = totals.invalidLayers;
        c.weightBytes = totals.weightBytes;
    }
    return out;
}

std::vector<Question> CodesignProblem::openQuestions(const std::vector<BitConfig> &configs)
{
    const int layers = static_cast<int>(spec_.network.layers.size());
    std::vector<Question> accuracy, mapping;
    std::set<std::vector<int>> askedAccuracy;
    std::set<LayerKey> askedMapping;
    auto *cached = dynamic_cast<CachedEvaluator *>(accuracy_.get());
    for (const BitConfig &c : configs) {
        if (static_cast<int>(c.size()) != layers)
            throw std::invalid_argument("a configuration of " + std::to_string(c.size()) + " layers for " +
                                        spec_.network.name + " with " + std::to_string(layers));
        if (spec_.needsAccuracy()) {
            const std::vector<double> g = encode(c);
            const std::vector<int> ikey(g.begin(), g.end());
            bool known = false;
            {
                std::lock_guard<std::mutex> lock(memoMutex_);
                known = accuracyMemo_.count(ikey) > 0;
            }
            if (!known && askedAccuracy.insert(ikey).second) {
                std::optional<AccuracyResult> hit = cached ? cached->lookup(c) : std::nullopt;
                if (hit) {
                    hit->seconds = 0.0; // as a cache hit is charged in costs()
                    std::lock_guard<std::mutex> lock(memoMutex_);
                    accuracyMemo_[ikey] = *hit;
                } else {
                    Question q;
                    q.accuracy = true;
                    q.bits = c;
                    accuracy.push_back(std::move(q));
                }
            }
        }
        const std::vector<BitWidths> chained = chainBits(spec_.network, c, spec_.lastOutputBits);
        for (int i = 0; i < layers; ++i) {
            const BitWidths &b = chained[static_cast<size_t>(i)];
            const LayerKey k = keyOf(i, b);
            {
                std::lock_guard<std::mutex> lock(memoMutex_);
                if (memo_.count(k) || !askedMapping.insert(k).second)
                    continue;
            }
            const ProblemShape &shape = spec_.network.layers[static_cast<size_t>(i)].shape;
            std::optional<MapperResult> hit;
            if (spec_.pinnedMappings.count(i)) { // evaluated, not searched: microseconds
                LayerAnswer a = answerFor(i, b, nullptr);
                std::lock_guard<std::mutex> lock(memoMutex_);
                memo_[k] = std::move(a);
                continue;
            }
            if (cache_)
                hit = cache_->lookup(shape, spec_.arch, b, spec_.mapper);
            if (hit) {
                std::lock_guard<std::mutex> lock(memoMutex_);
                memo_[k] = LayerAnswer{std::move(*hit), 0.0};
                continue;
            }
            Question q;
            q.layer = i;
            q.widths = b;
            // The incumbents findBestMappingCached would give the search here.
            if (cache_ && spec_.mapper.strategy != Strategy::Sampled && !spec_.mapper.countValid)
                q.hints = cache_->neighbours(shape, spec_.arch, b, spec_.mapper);
            mapping.push_back(std::move(q));
        }
    }
    accuracy.insert(accuracy.end(), std::make_move_iterator(mapping.begin()),
                    std::make_move_iterator(mapping.end()));
    return accuracy;
}

Answer CodesignProblem::solve(const Question &q, const std::atomic<bool> *cancel) const
{
    Answer a;
    if (q.accuracy) {
        if (!accuracy_)
            throw std::invalid_argument("an accuracy question, but this search has no accuracy evaluator");
        if (static_cast<int>(q.bits.size()) != static_cast<int>(spec_.network.layers.size()))
            throw std::invalid_argument("an accuracy question of " + std::to_string(q.bits.size()) +
                                        " layers for " + spec_.network.name);
        a.accuracy = accuracy_->evaluate(q.bits, {}, cancel);
        return a;
    }
    if (q.layer < 0 || q.layer >= static_cast<int>(spec_.network.layers.size()))
        throw std::invalid_argument("a mapping question for layer " + std::to_string(q.layer + 1) + " of " +
                                    spec_.network.name);
    MapperOptions opt = spec_.mapper;
    opt.threads = 1; // one question per rank at a time: the ranks are the parallelism
    opt.cancel = cancel;
    opt.progress = nullptr;
    opt.hints.insert(opt.hints.end(), q.hints.begin(), q.hints.end());
    a.mapping =
        findBestMapping(spec_.network.layers[static_cast<size_t>(q.layer)].shape, spec_.arch, q.widths, opt);
    return a;
}

void CodesignProblem::remember(const Question &q, const Answer &a, bool onDisk)
{
    if (onDisk)
        storeOnDisk(q, a);
    if (q.accuracy) {
        if (a.accuracy.cancelled)
            return;
        const std::vector<double> g = encode(q.bits);
        const std::vector<int> ikey(g.begin(), g.end());
        std::lock_guard<std::mutex> lock(memoMutex_);
        accuracyMemo_[ikey] = a.accuracy;
        accuracyUncharged_.insert(ikey);
        return;
    }
    if (a.mapping.cancelled)
        return;
    std::lock_guard<std::mutex> lock(memoMutex_);
    memo_[keyOf(q.layer, q.widths)] = LayerAnswer{a.mapping, a.mapping.seconds};
}

void CodesignProblem::storeOnDisk(const Question &q, const Answer &a)
{
    if (q.accuracy) {
        if (auto *cached = dynamic_cast<CachedEvaluator *>(accuracy_.get()))
            cached->store(q.bits, a.accuracy); // cancelled answers are not stored
        return;
    }
    if (cache_ && !a.mapping.cancelled)
        cache_->store(spec_.network.layers[static_cast<size_t>(q.layer)].shape, spec_.arch, q.widths,
                      spec_.mapper, a.mapping);
}

CandidateCost CodesignProblem::cost(const BitConfig &bits, const std::atomic<bool> *cancel)
{
    return costs({bits}, cancel).front();
}

void CodesignProblem::fill(Individual &ind, const CandidateCost &c) const
{
    ind.objectives.clear();
    for (Objective o : spec_.objectives)
        ind.objectives.push_back(c.value(o));
    ind.constraints.clear();
    if (spec_.maxError)
        ind.constraints.push_back(c.value(Objective::Error) - *spec_.maxError);
    if (spec_.maxMemoryBytes)
        ind.constraints.push_back((c.value(Objective::Memory) - *spec_.maxMemoryBytes) /
                                  *spec_.maxMemoryBytes);
    if (spec_.maxEnergyUj)
        ind.constraints.push_back((c.value(Objective::Energy) - *spec_.maxEnergyUj) / *spec_.maxEnergyUj);
    ind.constraints.push_back(static_cast<double>(c.invalidLayers));
}

NetworkMapping CodesignProblem::mappings(const BitConfig &bits, const std::atomic<bool> *cancel)
{
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<BitWidths> chained = chainBits(spec_.network, bits, spec_.lastOutputBits);
    std::vector<std::pair<int, BitWidths>> jobs;
    {
        std::lock_guard<std::mutex> lock(memoMutex_);
        for (int i = 0; i < static_cast<int>(chained.size()); ++i)
            if (!memo_.count(keyOf(i, chained[static_cast<size_t>(i)])))
                jobs.emplace_back(i, chained[static_cast<size_t>(i)]);
    }
    runMapperJobs(jobs, cancel, {});
    NetworkMapping nm;
    if (cancel && cancel->load()) {
        nm.allFound = false;
        return nm;
    }
    std::lock_guard<std::mutex> lock(memoMutex_);
    NetworkTotals totals;
    for (int i = 0; i < static_cast<int>(chained.size()); ++i) {
        const LayerAnswer &a = memo_.at(keyOf(i, chained[static_cast<size_t>(i)]));
        nm.layers.push_back(a.result);
        nm.cached.push_back(a.seconds == 0.0);
        totals.add(spec_.network.layers[static_cast<size_t>(i)],
                   chained[static_cast<size_t>(i)].of(Tensor::Weights), a.result);
    }
    nm.energy = totals.energy;
    nm.cycles = totals.cycles;
    nm.weightBytes = totals.weightBytes;
    nm.allFound = totals.invalidLayers == 0;
    nm.edp = nm.energy * double(nm.cycles);
    nm.seconds = secondsSince(t0);
    return nm;
}

bool candidateWorkChanged(const CodesignProblem::BatchProgress &shown,
                          const CodesignProblem::BatchProgress &b)
{
    return shown.candidates != b.candidates || shown.accuracyDone != b.accuracyDone ||
           shown.phase != b.phase || shown.resumedAtStep != b.resumedAtStep;
}

std::string describeCandidateWork(const CodesignProblem::BatchProgress &b)
{
    if (b.phase.empty() || b.accuracyDone < 0 || b.accuracyDone >= b.candidates)
        return {};
    std::string s =
        "candidate " + std::to_string(b.accuracyDone + 1) + " of " + std::to_string(b.candidates) + ": ";
    const std::string of = std::to_string(b.phaseDone) + " of " + std::to_string(b.phaseTotal);
    if (b.phase == "fine-tune")
        s += "fine-tuning, step " + of;
    else if (b.phase == "calibrate")
        s += "calibrating, batch " + of;
    else if (b.phase == "evaluate")
        s += "measuring on " + std::to_string(b.phaseTotal) + " images";
    else
        s += b.phase + " " + of;
    if (b.resumedAtStep >= 0)
        s += " (resumed from its saved state at step " + std::to_string(b.resumedAtStep) + ")";
    return s;
}

} // namespace bitloop::search
