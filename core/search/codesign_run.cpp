#include "search/codesign_run.h"

#include "io/arch_io.h"
#include "io/mapping_io.h"
#include "io/network_yaml.h"
#include "io/yaml_util.h"
#include "util/error.h"
#include "util/sha256.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
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

// The reference point kept in run.sqlite: one finite number per objective, or an InputError naming the file.
std::vector<double> readReferencePoint(const std::string &s, size_t objectives, const std::string &file)
{
    std::vector<double> v;
    std::istringstream is(s);
    for (std::string tok; is >> tok;) {
        char *end = nullptr;
        errno = 0;
        const double x = std::strtod(tok.c_str(), &end);
        if (end == tok.c_str() || *end || errno == ERANGE || !std::isfinite(x))
            throw InputError(file, 0,
                             "the stored reference point (meta 'reference_point') is damaged: " + echo(tok) +
                                 " is not a finite number");
        v.push_back(x);
    }
    if (v.size() != objectives)
        throw InputError(file, 0,
                         "the stored reference point (meta 'reference_point') has " +
                             std::to_string(v.size()) + " values for " + std::to_string(objectives) +
                             " objectives");
    return v;
}

// What a checkpoint records about the run besides the engine's state, one "key value" line each, so that a
// resumption with other settings, or with a run.sqlite that lost rows, is refused and says what differs.
// Version 2 adds the accuracy line; version 1 checkpoints are read without it.
const char *const kCheckpointHeader = "bitloop-run-checkpoint 2";
const char *const kCheckpointHeaderV1 = "bitloop-run-checkpoint 1";

std::vector<std::pair<std::string, std::string>>
fingerprint(const CodesignSpec &spec, const Settings &settings, const AccuracyEvaluator *accuracy)
{
    std::string objectives;
    for (Objective o : spec.objectives)
        objectives += std::string(objectives.empty() ? "" : ",") + objectiveName(o);
    std::ostringstream rest;
    rest << "allowed";
    for (int b : spec.allowedBits)
        rest << " " << b;
    // Only when given, so that runs made before the per-tensor sets existed keep their fingerprint.
    for (const auto &[name, own] : {std::pair{"\nallowed-weights", &spec.allowedWeightBits},
                                    std::pair{"\nallowed-activations", &spec.allowedActivationBits}})
        if (!own->empty()) {
            rest << name;
            for (int b : *own)
                rest << " " << b;
        }
    rest << "\nlast " << spec.lastOutputBits << "\nmax";
    for (const auto &c : {spec.maxError, spec.maxMemoryBytes, spec.maxEnergyUj})
        rest << " " << (c ? yamlutil::formatDouble(*c) : std::string("-"));
    for (const auto &[layer, bits] : spec.pinnedBits)
        rest << "\npin " << layer << " " << bits.weights << "/" << bits.activations;
    for (const auto &[layer, mapping] : spec.pinnedMappings)
        rest << "\npin-mapping " << layer << "\n" << mappingToYaml(spec.arch, mapping);
    rest << "\nmetric " << metricName(spec.mapper.metric) << "\nseed " << settings.seed;
    return {{"objectives", objectives},
            {"architecture", sha256Hex(architectureToYaml(spec.arch))},
            {"network", sha256Hex(networkToYaml(spec.network))},
            {"population", std::to_string(settings.populationSize)},
            {"search", sha256Hex(rest.str())},
            // The evaluator, its settings, the checkpoint's content and the evaluation split: a retrained
            // checkpoint or another --limit gives other accuracies, which must not join this run's.
            {"accuracy", accuracy ? sha256Hex(accuracy->context() + "\n" + accuracy->settings().describe())
                                  : std::string("none")}};
}

const char *what(const std::string &key)
{
    if (key == "architecture")
        return "the architecture";
    if (key == "network")
        return "the network";
    if (key == "search")
        return "the allowed bits, constraints, pins, metric or seed";
    if (key == "accuracy")
        return "the accuracy evaluator, its settings, its checkpoint file or its evaluation images";
    return nullptr;
}

} // namespace

std::string checkpointEngineState(const std::string &text,
                                  const std::vector<std::pair<std::string, std::string>> &expected,
                                  const std::string &file, long long &recordedIndividuals)
{
    std::istringstream in(text);
    std::string line;
    recordedIndividuals = -1;
    int lineNo = 0;
    // Checkpoints from before the header hold the engine's state only and are taken as they are.
    std::getline(in, line);
    const bool v1 = line == kCheckpointHeaderV1;
    if (!v1 && line != kCheckpointHeader)
        return text;
    ++lineNo;
    for (const auto &[key, value] : expected) {
        if (v1 && key == "accuracy")
            continue;
        ++lineNo;
        std::string k, v;
        if (!std::getline(in, line) || !(std::istringstream(line) >> k >> v) || k != key)
            throw InputError(file, lineNo, "damaged: expected the line \"" + key + " ...\"");
        if (v == value)
            continue;
        if (const char *w = what(key))
            throw InputError(file, lineNo,
                             std::string(w) + " differs from the run's (settings.yaml edited, or a file it "
                                              "names changed since the checkpoint)");
        throw InputError(file, lineNo,
                         "the run has " + key + " " + echo(v) + ", the settings now give " + echo(value) +
                             " (settings.yaml edited since the checkpoint?)");
    }
    ++lineNo;
    std::string k;
    if (!std::getline(in, line) || !(std::istringstream(line) >> k >> recordedIndividuals) ||
        k != "individuals" || recordedIndividuals < 0)
        throw InputError(file, lineNo, "damaged: expected the line \"individuals COUNT\"");
    const std::streamoff at = in.tellg();
    return at < 0 ? std::string() : text.substr(static_cast<size_t>(at));
}

std::string CodesignRun::checkpointText() const
{
    std::string out = std::string(kCheckpointHeader) + "\n";
    for (const auto &[key, value] : fingerprint(problem_.spec(), engine_->settings(), problem_.accuracy()))
        out += key + " " + value + "\n";
    out += "individuals " + std::to_string(dir_.individuals().size()) + "\n";
    return out + engine_->saveState();
}

namespace
{
} // namespace

CodesignRun::CodesignRun(CodesignProblem &problem, Settings settings, RunDirectory &dir,
                         const std::atomic<bool> *cancel, const std::vector<std::vector<double>> &warmStart)
    : problem_(problem), evaluator_(&problem), dir_(dir)
{
    if (auto ref = dir_.meta("reference_point")) {
        settings.referencePoint =
            readReferencePoint(*ref, problem_.spec().objectives.size(), dir_.file("run.sqlite"));
    } else {
        settings.referencePoint = problem_.referencePoint(cancel);
        if (cancel && cancel->load())
            return; // not started(): run() reports the cancel
        dir_.setMeta("reference_point", joinDoubles(settings.referencePoint));
    }
    const ProblemSpec spec = problem_.problemSpec();
    if (auto text = dir_.checkpoint()) {
        const std::string file = dir_.file("checkpoint.txt");
        long long recordedIndividuals = -1;
        const std::string state = checkpointEngineState(
            *text, fingerprint(problem_.spec(), settings, problem_.accuracy()), file, recordedIndividuals);
        try {
            engine_ = std::make_unique<Nsga2>(Nsga2::restore(spec, settings, state));
        } catch (const std::invalid_argument &e) {
            throw InputError(file, 0, e.what());
        }
        if (!std::isfinite(engine_->elapsedSeconds()) || engine_->elapsedSeconds() < 0)
            throw InputError(file, 0, "damaged: the elapsed time is not a finite, non-negative number");
        resumed_ = true;
        dir_.truncateAfter(engine_->generation());
        const std::vector<EvaluatedIndividual> stored = dir_.individuals();
        if (recordedIndividuals >= 0 && static_cast<long long>(stored.size()) != recordedIndividuals)
            throw InputError(
                dir_.file("run.sqlite"), 0,
                "holds " + std::to_string(stored.size()) + " evaluated individuals up to generation " +
                    std::to_string(engine_->generation()) + ", checkpoint.txt records " +
                    std::to_string(recordedIndividuals) + " (was run.sqlite deleted or replaced?)");
        // The archive is not in the engine's state: every evaluation the checkpoint covers is in run.sqlite,
        // with the figures its objectives and constraints come from, so it is rebuilt from there exactly.
        const size_t layers = problem_.spec().network.layers.size();
        for (const EvaluatedIndividual &e : stored) {
            if (e.bits.size() != layers)
                throw InputError(dir_.file("run.sqlite"), 0,
                                 "damaged: an individual of generation " + std::to_string(e.generation) +
                                     " has " + std::to_string(e.bits.size()) +
                                     " layers' bit-widths, the network has " + std::to_string(layers));
            Individual ind;
            ind.x = encode(e.bits);
            problem_.fill(ind, e.cost);
            archive_.insert(ind);
        }
        // A run killed after its checkpoint but before front.csv was rewritten left the previous front.
        writeFrontCsv();
    } else {
        std::vector<std::vector<double>> seeds = problem_.uniformSeeds();
        seeds.insert(seeds.end(), warmStart.begin(), warmStart.end());
        engine_ = std::make_unique<Nsga2>(spec, settings, std::move(seeds));
        dir_.truncateAfter(-1); // rows of a first generation that never completed
    }
}

RunOutcome CodesignRun::run(const GenerationFn &onGeneration, const std::atomic<bool> *cancel)
{
    RunOutcome out;
    const auto start = Clock::now();
    if (!engine_) { // cancelled before it started: nothing is stored
        out.reason = StopReason::Cancelled;
        out.generation = -1;
        return out;
    }
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
        const std::vector<CandidateCost> costs = evaluator_->costs(configs, cancel);
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
        dir_.saveCheckpoint(checkpointText());
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
