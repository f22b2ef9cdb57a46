// The co-design search on a small network and the Eyeriss preset, with an accuracy evaluator whose answer
// is a known function of the bits (the LibTorch evaluators are tested in test_qat_eval): a candidate's
// energy and memory are exactly what the mapper and the weight count give; the first population holds the
// uniform configurations; pins hold; the run directory records every individual, the checkpoint and the
// front; the front reported is that of every evaluation, not the last population's, and its hypervolume
// never falls; a run stopped (or killed) and resumed ends exactly where an uninterrupted run ends; bad
// settings are clear errors.
#include "tiny_network.h"

#include "accuracy/accuracy_cache.h"
#include "accuracy/evaluator.h"
#include "io/arch_io.h"
#include "io/mapping_io.h"
#include "io/network_yaml.h"
#include "io/yaml_util.h"
#include "mapper/cache.h"
#include "mapper/network_mapper.h"
#include "search/codesign.h"
#include "search/codesign_run.h"
#include "search/hypervolume.h"
#include "search/question_io.h"
#include "search/run_dir.h"
#include "search/sorting.h"

#include "util/error.h"
#include "util/json.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <csignal>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace bitloop;
using namespace bitloop::search;

namespace
{

// Accuracy = 0.5 + 0.05 x the mean over layers of min(w, a): more bits, more accuracy, no noise.
class FormulaEvaluator : public AccuracyEvaluator
{
public:
    explicit FormulaEvaluator(std::string context = "formula") : context_(std::move(context)) {}
    int numLayers() const override { return 4; }
    const EvaluatorSettings &settings() const override { return settings_; }
    std::string context() const override { return context_; }
    AccuracyResult evaluate(const BitConfig &bits, const AccuracyProgressFn &,
                            const std::atomic<bool> *) override
    {
        ++calls;
        double sum = 0;
        for (const LayerBits &b : bits)
            sum += std::min(b.weights, b.activations);
        AccuracyResult r;
        r.accuracy = 0.5 + 0.05 * sum / static_cast<double>(bits.size());
        r.images = 100;
        return r;
    }
    static double expected(const BitConfig &bits)
    {
        double sum = 0;
        for (const LayerBits &b : bits)
            sum += std::min(b.weights, b.activations);
        return 0.5 + 0.05 * sum / static_cast<double>(bits.size());
    }
    std::atomic<int> calls{0};

private:
    EvaluatorSettings settings_;
    std::string context_; // stands for the checkpoint's content, the dataset and the split
};

// Reports progress as the QAT evaluator does: calibration, fine-tuning (the second configuration it is
// asked for resumes from a saved state at step 500), measurement.
class FineTuningEvaluator : public FormulaEvaluator
{
public:
    AccuracyResult evaluate(const BitConfig &bits, const AccuracyProgressFn &progress,
                            const std::atomic<bool> *cancel) override
    {
        if (progress) {
            progress({"calibrate", 1, 2, 0.0});
            if (calls.load() == 1)
                progress({"resumed", 500, 1000, 0.0});
            progress({"fine-tune", 600, 1000, 0.42});
            progress({"state-kept", 600, 1000, 0.0}); // as a cancel would say: not the search's to show
            progress({"evaluate", 0, 100, 0.0});
        }
        return FormulaEvaluator::evaluate(bits, progress, cancel);
    }
};

CodesignSpec tinySpec()
{
    CodesignSpec s;
    s.network = parseNetworkYaml(kTinyNetworkYaml, "tiny.yaml");
    s.arch = loadArchitecture("eyeriss16");
    s.allowedBits = {2, 4, 8};
    s.mapper.strategy = Strategy::Exhaustive;
    return s;
}

Settings shortRun(int generations)
{
    Settings s;
    s.populationSize = 8;
    s.seed = 11;
    s.maxGenerations = generations;
    return s;
}

std::string readAll(const std::string &path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The configurations of run.sqlite that are feasible and that no other evaluated configuration dominates,
// by brute force over every stored individual: configuration -> objectives.
std::map<std::string, std::vector<double>> nonDominatedOfEverything(const RunDirectory &rd,
                                                                    const CodesignProblem &p)
{
    std::map<std::string, std::vector<double>> all;
    for (const EvaluatedIndividual &e : rd.individuals()) {
        if (e.violation > 0)
            continue;
        Individual ind;
        p.fill(ind, e.cost);
        all.emplace(formatBitConfig(e.bits), ind.objectives);
    }
    std::map<std::string, std::vector<double>> front;
    for (const auto &[bits, f] : all) {
        bool dominated = false;
        for (const auto &other : all)
            dominated |= dominates(other.second, f);
        if (!dominated)
            front.emplace(bits, f);
    }
    return front;
}

std::map<std::string, std::vector<double>> frontCsvRows(const RunDirectory &rd, size_t numObjectives)
{
    std::map<std::string, std::vector<double>> rows;
    for (const FrontRow &r : readFrontCsv(rd.file("front.csv"), numObjectives))
        rows.emplace(formatBitConfig(r.bits), r.objectives);
    return rows;
}

std::vector<double> referencePointOf(const RunDirectory &rd)
{
    std::vector<double> ref;
    std::istringstream is(rd.meta("reference_point").value());
    for (double v; is >> v;)
        ref.push_back(v);
    return ref;
}

} // namespace

class TestCodesign : public QObject
{
    Q_OBJECT

    std::shared_ptr<MapperCache> cache_;
    QTemporaryDir cacheDir_;

private Q_SLOTS:
    // A layer's outputs are stored as the layers that read them read them (the widest), in a graph as in a
    // chain: ResNet's stem is read by its first block and that block's shortcut; a main branch nobody
    // reads is stored as the shortcut it is added into stores its sum.
    void outputWidthsFollowTheGraph()
    {
        Network net;
        for (int i = 0; i < 5; ++i)
            net.layers.push_back(makeFullyConnected("l" + std::to_string(i + 1), 4, 4));
        net.layers[3].inputFrom = 0;   // l4 reads l1 (a shortcut)
        net.layers[3].addOutputOf = 2; // and adds l3's output; nobody reads l3
        const BitConfig bits = {{8, 8}, {8, 3}, {8, 4}, {8, 6}, {8, 5}};
        const std::vector<BitWidths> w = chainBits(net, bits, 7);
        QCOMPARE(w[0].of(Tensor::Outputs), 6); // read by l2 at 3 bits and l4 at 6
        QCOMPARE(w[1].of(Tensor::Outputs), 4); // read by l3
        QCOMPARE(w[2].of(Tensor::Outputs), 5); // added into l4, whose sum l5 reads at 5
        QCOMPARE(w[3].of(Tensor::Outputs), 5);
        QCOMPARE(w[4].of(Tensor::Outputs), 7); // the network's output
        QCOMPARE(w[3].of(Tensor::Inputs), 6);
        QCOMPARE(w[3].of(Tensor::Weights), 8);
        // A chain: the next layer's activations, as always.
        const std::vector<BitWidths> chain = chainBits(Network{}, bits, 7);
        QCOMPARE(chain[0].of(Tensor::Outputs), 3);
        QCOMPARE(chain[2].of(Tensor::Outputs), 6);
    }

    // checkpoint.txt's header: lines checked in order against what the settings give now, the count read;
    // a file that ends right after the count (found by fuzz_run_checkpoint's seed) is an empty state, not a
    // std::out_of_range.
    void checkpointHeaderIsReadLineByLine()
    {
        const std::vector<std::pair<std::string, std::string>> expected{{"objectives", "error,energy"},
                                                                        {"population", "8"}};
        long long n = -1;
        const std::string head =
            "bitloop-run-checkpoint 2\nobjectives error,energy\npopulation 8\nindividuals 16";
        QCOMPARE(search::checkpointEngineState(head + "\nSTATE\n", expected, "c.txt", n),
                 std::string("STATE\n"));
        QCOMPARE(n, 16LL);
        QCOMPARE(search::checkpointEngineState(head, expected, "c.txt", n), std::string());
        QCOMPARE(search::checkpointEngineState("STATE ONLY\n", expected, "c.txt", n),
                 std::string("STATE ONLY\n"));
        QCOMPARE(n, -1LL);
        try {
            search::checkpointEngineState("bitloop-run-checkpoint 2\nobjectives error,energy\npopulation 9\n",
                                          expected, "c.txt", n);
            QFAIL("a population edited since the checkpoint was accepted");
        } catch (const InputError &e) {
            QCOMPARE(e.line(), 3);
            QVERIFY2(QString(e.what()).contains("population 9"), e.what());
        }
    }

    void initTestCase()
    {
        qputenv("BITLOOP_PRESETS", BITLOOP_PRESETS);
        cache_ = std::make_shared<MapperCache>(cacheDir_.path().toStdString());
    }

    void objectiveNames()
    {
        const auto o = parseObjectives("error,energy,memory");
        QCOMPARE(o.size(), size_t(3));
        QCOMPARE(o[1], Objective::Energy);
        QCOMPARE(parseObjectives("edp,cycles").front(), Objective::Edp);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseObjectives("error,latency"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseObjectives("energy,energy"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseObjectives(""));
    }

    void genesRoundTrip()
    {
        const BitConfig b = {{8, 4}, {2, 3}};
        QCOMPARE(encode(b), (std::vector<double>{8, 4, 2, 3}));
        QVERIFY(decode(encode(b)) == b);
    }

    void badSettingsAreClearErrors()
    {
        auto expectError = [&](CodesignSpec s, const char *says) {
            try {
                CodesignProblem p(std::move(s), std::make_shared<FormulaEvaluator>(), nullptr);
                QFAIL(qPrintable(QString("accepted; expected: ") + says));
            } catch (const std::invalid_argument &e) {
                QVERIFY2(std::string(e.what()).find(says) != std::string::npos, e.what());
            }
        };
        CodesignSpec s = tinySpec();
        s.allowedBits.clear();
        expectError(s, "empty");
        s = tinySpec();
        s.pinnedBits[4] = {8, 8};
        expectError(s, "layer 5, but tiny has 4 layers");
        s = tinySpec();
        s.allowedBits = {4, 24};
        expectError(s, "wider than the 16-bit words");
        s = tinySpec();
        s.allowedBits = {4, 12}; // fits the words, but QAT trains 2..8 bits only
        expectError(s, "cannot be trained");
        s = tinySpec();
        s.objectives.clear();
        expectError(s, "no objectives");
        // A tensor's own set is checked as the shared one is, and named.
        s = tinySpec();
        s.allowedWeightBits = {4, 24};
        expectError(s, "allowed weight bits: 24 bits are wider than the 16-bit words");
        s = tinySpec();
        s.allowedActivationBits = {3, 12};
        expectError(s, "allowed activation bits: a bit-width of 12 cannot be trained");
        s = tinySpec();
        s.allowedActivationBits = {3, 4, 3};
        expectError(s, "the allowed activation bit-widths repeat a value");
        s = tinySpec();
        s.allowedBits.clear(); // the weights have their own set, the activations none
        s.allowedWeightBits = {8};
        expectError(s, "the set of allowed bit-widths is empty");
        // The engine refuses a population of 1.
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        Settings one = shortRun(1);
        one.populationSize = 1;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, Nsga2(p.problemSpec(), one));
        // A network whose length differs from the accuracy side's.
        CodesignSpec five = tinySpec();
        five.network.layers.push_back(five.network.layers.back());
        expectError(five, "layers");
    }

    // Each tensor may have its own set of widths (hardware with a fixed weight datapath; a search that spends
    // bits where the energy is): the genes, the first population, the reference point and the checks follow.
    void eachTensorItsOwnWidths()
    {
        CodesignSpec s = tinySpec();
        s.allowedWeightBits = {8};
        s.allowedActivationBits = {3, 4, 6};
        CodesignProblem p(s, std::make_shared<FormulaEvaluator>(), cache_);
        const ProblemSpec ps = p.problemSpec();
        QCOMPARE(ps.variables.size(), size_t(8));
        for (size_t i = 0; i < ps.variables.size(); i += 2) {
            QCOMPARE(ps.variables[i].allowed, (std::vector<int>{8}));
            QCOMPARE(ps.variables[i + 1].allowed, (std::vector<int>{3, 4, 6}));
        }
        // Widths 3, 4, 6, 8 of either set, each tensor at its nearest allowed width: 8/3, 8/4, 8/6 (8/8 would
        // be 8/6 again).
        std::vector<std::string> seeds;
        for (const auto &g : p.uniformSeeds())
            seeds.push_back(formatBitConfig(decode(g)));
        QCOMPARE(seeds, (std::vector<std::string>{"8/3 8/3 8/3 8/3", "8/4 8/4 8/4 8/4", "8/6 8/6 8/6 8/6"}));
        // Ties go to the wider width: weights {2, 8} and activations {4, 5} seed 2/4 (from 2 and 4) and 8/5
        // (5 lies 3 from both 2 and 8).
        CodesignSpec tie = tinySpec();
        tie.allowedWeightBits = {2, 8};
        tie.allowedActivationBits = {4, 5};
        seeds.clear();
        for (const auto &g :
             CodesignProblem(tie, std::make_shared<FormulaEvaluator>(), cache_).uniformSeeds())
            seeds.push_back(formatBitConfig(decode(g)));
        QCOMPARE(seeds, (std::vector<std::string>{"2/4 2/4 2/4 2/4", "8/5 8/5 8/5 8/5"}));
        // The hypervolume's reference point is 1.1 x the widest allowed configuration's costs: 8/6 here.
        const CandidateCost widest = p.cost(BitConfig(4, LayerBits{8, 6}));
        const std::vector<double> ref = p.referencePoint();
        QCOMPARE(ref, (std::vector<double>{1.0, 1.1 * widest.value(Objective::Energy),
                                           1.1 * widest.value(Objective::Memory)}));
        // A short run keeps every layer's weights at 8 bits and its activations in {3, 4, 6}.
        QTemporaryDir dir;
        RunDirectory rd(dir.path().toStdString());
        CodesignRun(p, shortRun(2), rd).run();
        const auto inds = rd.individuals();
        QCOMPARE(inds.size(), size_t(24));
        std::set<int> activations;
        for (const auto &e : inds)
            for (const LayerBits &b : e.bits) {
                QCOMPARE(b.weights, 8);
                QVERIFY2(b.activations == 3 || b.activations == 4 || b.activations == 6,
                         formatBitConfig(e.bits).c_str());
                activations.insert(b.activations);
            }
        QCOMPARE(activations.size(), size_t(3));
    }

    void costIsTheMappersAndTheWeights()
    {
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        const BitConfig bits = {{8, 8}, {4, 8}, {2, 4}, {8, 2}};
        const CandidateCost c = p.cost(bits);
        // The same as mapping the network at the chained widths (outputs = next layer's activations).
        const std::vector<BitWidths> chained = chainBits(tinySpec().network, bits, 8);
        QCOMPARE(chained[1].of(Tensor::Outputs), 4);
        QCOMPARE(chained[3].of(Tensor::Outputs), 8);
        NetworkMapperOptions o;
        o.mapper = p.spec().mapper;
        const NetworkMapping nm = mapNetwork(p.spec().network, p.spec().arch, chained, o, nullptr);
        QVERIFY(nm.allFound);
        QCOMPARE(c.energyPj, nm.energy);
        QCOMPARE(c.cycles, nm.cycles);
        // Weights: 216 x 8 + 72 x 4 + 128 x 2 + 160 x 8 bits = 1728 + 288 + 256 + 1280 = 3552 bits = 444
        // bytes.
        QCOMPARE(c.weightBytes, int64_t(444));
        QCOMPARE(c.accuracy, FormulaEvaluator::expected(bits));
        QCOMPARE(c.value(Objective::Energy), nm.energy * 1e-6);
        QCOMPARE(c.value(Objective::Edp), nm.energy * 1e-6 * double(nm.cycles));
        QCOMPARE(c.value(Objective::Error), 1.0 - c.accuracy);
    }

    void nothingIsComputedTwice()
    {
        auto acc = std::make_shared<FormulaEvaluator>();
        CodesignProblem p(tinySpec(), acc, nullptr);
        int mapperJobs = 0, reports = 0;
        bool withinTotals = true;
        CodesignProblem::BatchProgress last;
        std::mutex m;
        p.onWork = [&](const CodesignProblem::BatchProgress &b) {
            std::lock_guard<std::mutex> lock(m);
            mapperJobs += b.mapperDone > last.mapperDone;
            // Progress within a batch never passes its totals.
            withinTotals = withinTotals && b.accuracyDone <= b.candidates && b.mapperDone <= b.mapperJobs;
            last = b;
            ++reports;
        };
        const BitConfig a = {{8, 8}, {8, 8}, {8, 8}, {8, 8}};
        const BitConfig b = {{8, 8}, {8, 8}, {8, 8}, {4, 8}}; // differs in the last layer only
        const auto costs = p.costs({a, a, b});
        QCOMPARE(costs[0].energyPj, costs[1].energyPj);
        QCOMPARE(mapperJobs, 5);        // four layers of a, and b's last layer
        QCOMPARE(acc->calls.load(), 2); // a once, b once
        // The batch's progress as it ended: 3 candidates (the second a answered from memory), 5 jobs.
        QCOMPARE(last.candidates, 3);
        QCOMPARE(last.accuracyDone, 3);
        QCOMPARE(last.mapperJobs, 5);
        QCOMPARE(last.mapperDone, 5);
        QCOMPARE(reports, 1 + 3 + 5); // the start, each candidate, each job
        QVERIFY(withinTotals);
        last = {};
        p.costs({b, a});
        QCOMPARE(mapperJobs, 5);
        QCOMPARE(acc->calls.load(), 2);
        QCOMPARE(last.candidates, 2);
        QCOMPARE(last.accuracyDone, 2);
        QCOMPARE(last.mapperJobs, 0);
    }

    // What the explorer and `search` show while a candidate's accuracy is computed: its phase, its step,
    // and where a fine-tuning resumed; nothing once the batch's accuracy is done.
    void candidateWorkIsReported()
    {
        auto acc = std::make_shared<FineTuningEvaluator>();
        CodesignProblem p(tinySpec(), acc, nullptr);
        std::vector<std::string> seen; // describeCandidateWork of each report, consecutive repeats once
        bool quietWhenDone = true;     // nothing said once the batch's accuracy is done (checked here, not
                                       // on the worker thread that reports)
        std::mutex m;
        CodesignProblem::BatchProgress last;
        p.onWork = [&](const CodesignProblem::BatchProgress &b) {
            std::lock_guard<std::mutex> lock(m);
            const std::string d = describeCandidateWork(b);
            if (!d.empty() && (seen.empty() || seen.back() != d))
                seen.push_back(d);
            quietWhenDone = quietWhenDone && (b.accuracyDone != b.candidates || d.empty());
            last = b;
        };
        const BitConfig a = {{8, 8}, {8, 8}, {8, 8}, {8, 8}};
        const BitConfig b = {{8, 8}, {8, 8}, {8, 8}, {4, 8}};
        p.costs({a, b});
        const std::vector<std::string> expected = {
            "candidate 1 of 2: calibrating, batch 1 of 2",
            "candidate 1 of 2: fine-tuning, step 600 of 1000",
            "candidate 1 of 2: measuring on 100 images",
            "candidate 2 of 2: calibrating, batch 1 of 2",
            "candidate 2 of 2: fine-tuning, step 500 of 1000 (resumed from its saved state at step 500)",
            "candidate 2 of 2: fine-tuning, step 600 of 1000 (resumed from its saved state at step 500)",
            "candidate 2 of 2: measuring on 100 images (resumed from its saved state at step 500)",
        };
        QCOMPARE(seen, expected);
        QVERIFY(quietWhenDone);
        QCOMPARE(last.accuracyDone, 2);
        QCOMPARE(describeCandidateWork(last), std::string());
        // A batch answered from memory computes nothing, so says nothing.
        seen.clear();
        p.costs({b, a});
        QVERIFY(seen.empty());
        QCOMPARE(acc->calls.load(), 2);
    }

    void pinnedMappingIsEvaluatedNotSearched()
    {
        CodesignSpec s = tinySpec();
        CodesignProblem free(s, std::make_shared<FormulaEvaluator>(), cache_);
        const BitConfig bits(4, LayerBits{8, 8});
        const NetworkMapping nm = free.mappings(bits);
        // Pin layer 3's mapping as found at 8 bits; at 4 bits it is evaluated as it is.
        s.pinnedMappings[2] = nm.layers[2].mapping;
        CodesignProblem pinned(s, std::make_shared<FormulaEvaluator>(), cache_);
        const BitConfig narrow(4, LayerBits{4, 4});
        const NetworkMapping withPin = pinned.mappings(narrow);
        const std::vector<BitWidths> chained = chainBits(s.network, narrow, 8);
        const Evaluation e = evaluate(s.network.layers[2].shape, s.arch, nm.layers[2].mapping, chained[2]);
        QVERIFY(e.valid);
        QCOMPARE(withPin.layers[2].evaluation.energy, e.energy);
        QCOMPARE(mappingToYaml(s.arch, withPin.layers[2].mapping),
                 mappingToYaml(s.arch, nm.layers[2].mapping));
    }

    // The seam the search costs its generations through (issue 12): another CandidateEvaluator that
    // answers as the problem would gives the same run, and it is called once per generation with the
    // whole batch.
    void generationsAreCostedThroughTheEvaluatorSeam()
    {
        struct Forwarding : CandidateEvaluator {
            CodesignProblem &problem;
            std::vector<size_t> batches;
            explicit Forwarding(CodesignProblem &p) : problem(p) {}
            std::vector<CandidateCost> costs(const std::vector<BitConfig> &configs,
                                             const std::atomic<bool> *cancel) override
            {
                batches.push_back(configs.size());
                return problem.costs(configs, cancel);
            }
        };
        QTemporaryDir a, b;
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        RunDirectory direct(a.path().toStdString()), seamed(b.path().toStdString());
        CodesignRun(p, shortRun(3), direct).run();
        Forwarding f(p);
        CodesignRun run(p, shortRun(3), seamed);
        run.setEvaluator(f);
        run.run();
        QCOMPARE(f.batches, (std::vector<size_t>{8, 8, 8, 8}));
        QCOMPARE(readAll(b.filePath("front.csv").toStdString()),
                 readAll(a.filePath("front.csv").toStdString()));
        const auto x = direct.individuals(), y = seamed.individuals();
        QCOMPARE(x.size(), y.size());
        for (size_t i = 0; i < x.size(); ++i)
            QCOMPARE(formatBitConfig(x[i].bits), formatBitConfig(y[i].bits));
    }

    // Answering elsewhere (issue 12's MPI ranks): the open questions of a run's generations, carried as
    // text to a problem without caches that answers them, and remembered, give the run a one-process run
    // gives; a configuration is never asked about twice, nor anything the on-disk caches already hold.
    void questionsAnsweredElsewhereGiveTheSameRun()
    {
        struct Elsewhere : CandidateEvaluator {
            CodesignProblem &here, &there;
            std::vector<size_t> asked;
            std::set<std::string> seen;
            bool repeated = false;
            Elsewhere(CodesignProblem &h, CodesignProblem &t) : here(h), there(t) {}
            std::vector<CandidateCost> costs(const std::vector<BitConfig> &configs,
                                             const std::atomic<bool> *cancel) override
            {
                const std::vector<Question> qs = here.openQuestions(configs);
                asked.push_back(qs.size());
                for (const Question &q : qs) {
                    const std::string text = encodeQuestion(q);
                    repeated |= !seen.insert(text.substr(0, text.find('\n'))).second;
                    const Question received = decodeQuestion(text, there.spec());
                    const std::string answer = encodeAnswer(received, there.solve(received));
                    here.remember(q, decodeAnswer(answer, q, here.spec()));
                }
                return here.costs(configs, cancel);
            }
        };
        QTemporaryDir a, b, cacheDir;
        auto formula = std::make_shared<FormulaEvaluator>();
        CodesignProblem local(tinySpec(), formula, nullptr);
        RunDirectory direct(a.path().toStdString()), distributed(b.path().toStdString());
        CodesignRun(local, shortRun(3), direct).run();

        auto cache = std::make_shared<MapperCache>(cacheDir.path().toStdString());
        auto innerFormula = std::make_unique<FormulaEvaluator>();
        FormulaEvaluator *counted = innerFormula.get();
        auto accuracyCache = std::make_shared<AccuracyCache>(cacheDir.path().toStdString());
        CodesignProblem here(
            tinySpec(), std::make_shared<CachedEvaluator>(std::move(innerFormula), accuracyCache), cache);
        auto remoteFormula = std::make_shared<FormulaEvaluator>();
        CodesignProblem there(tinySpec(), remoteFormula, nullptr);
        Elsewhere e(here, there);
        CodesignRun run(here, shortRun(3), distributed);
        run.setEvaluator(e);
        run.run();
        QVERIFY(!e.repeated);
        QCOMPARE(counted->calls.load(), 0); // rank 0 evaluated nothing itself
        QVERIFY(remoteFormula->calls.load() > 0);
        QCOMPARE(readAll(b.filePath("front.csv").toStdString()),
                 readAll(a.filePath("front.csv").toStdString()));
        const auto x = direct.individuals(), y = distributed.individuals();
        QCOMPARE(x.size(), y.size());
        for (size_t i = 0; i < x.size(); ++i) {
            QCOMPARE(formatBitConfig(x[i].bits), formatBitConfig(y[i].bits));
            QCOMPARE(x[i].cost.accuracy, y[i].cost.accuracy);
            QCOMPARE(x[i].cost.energyPj, y[i].cost.energyPj);
            QCOMPARE(x[i].cost.cycles, y[i].cost.cycles);
            QCOMPARE(x[i].cost.weightBytes, y[i].cost.weightBytes);
        }
        // Everything answered is in rank 0's on-disk caches: a new problem over them asks nothing.
        CodesignProblem again(
            tinySpec(),
            std::make_shared<CachedEvaluator>(std::make_unique<FormulaEvaluator>(), accuracyCache), cache);
        std::vector<BitConfig> all;
        for (const auto &ind : y)
            all.push_back(ind.bits);
        QCOMPARE(again.openQuestions(all).size(), size_t(0));
        // The first layer at 4/2 bits (its outputs 8): one accuracy question and the 4 layers' mappings.
        const BitConfig fresh = {{4, 2}, {2, 4}, {8, 2}, {2, 8}};
        const std::vector<Question> qs = again.openQuestions({fresh, fresh});
        QVERIFY(qs.size() >= 1);
        QVERIFY(qs.front().accuracy);
        QCOMPARE(formatBitConfig(qs.front().bits), std::string("4/2 2/4 8/2 2/8"));
    }

    // What a rank receives is checked: malformed text, a layer the network lacks, and a mapping that does
    // not evaluate to the figures its sender stated (ranks reading different architecture files).
    void answersFromElsewhereAreChecked()
    {
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), nullptr);
        const CodesignSpec &spec = p.spec();
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeQuestion("M 7 8 8 8", spec));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeQuestion("A 8/8 8/8", spec));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeQuestion("A 8/8 8/x 8/8 8/8", spec));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeQuestion("Q", spec));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeQuestion("M 1 8 8 8\nnot a mapping", spec));
        Question q;
        q.layer = 1;
        q.widths = BitWidths::uniform(8);
        const std::string good = encodeAnswer(q, p.solve(q));
        const Answer back = decodeAnswer(good, q, spec);
        QVERIFY(back.mapping.found);
        QCOMPARE(back.mapping.evaluation.energy, p.solve(q).mapping.evaluation.energy);
        // The same text with the energy one ulp off, and cut short.
        std::istringstream in(good);
        std::string head;
        in >> head >> head >> head; // "M", found, energy
        std::string tampered = good;
        const double e = std::strtod(head.c_str(), nullptr);
        char other[64];
        std::snprintf(other, sizeof other, "%a", std::nextafter(e, 0.0));
        tampered.replace(tampered.find(head), head.size(), other);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeAnswer(tampered, q, spec));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeAnswer(good.substr(0, 12), q, spec));
        Question acc;
        acc.accuracy = true;
        acc.bits = BitConfig(4, LayerBits{8, 8});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, decodeAnswer("A 0x1.8p+0 100 0x0p+0", acc, spec));
        QCOMPARE(decodeAnswer(encodeAnswer(acc, p.solve(acc)), acc, spec).accuracy.accuracy,
                 FormulaEvaluator::expected(acc.bits));
    }

    // The error objective as files print it: 1 - 0.56 is 0.43999999999999995 in binary; front.csv,
    // front.json and config.yaml say 0.44 (issue 15).
    void errorCarriesNoSubtractionNoise()
    {
        for (const auto &[accuracy, text] :
             std::vector<std::pair<double, std::string>>{{0.56, "0.44"},
                                                         {0.9139, "0.0861"},
                                                         {0.1, "0.9"},
                                                         {1.0, "0"},
                                                         {0.0, "1"},
                                                         {8779.0 / 9000, "0.024555555556"}}) {
            CandidateCost c;
            c.accuracy = accuracy;
            QCOMPARE(yamlutil::formatDouble(c.value(Objective::Error)), text);
        }
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), nullptr);
        Individual ind;
        ind.x = encode(BitConfig(4, LayerBits{8, 8}));
        CandidateCost c;
        c.accuracy = 0.56;
        p.fill(ind, c);
        QVERIFY(frontCsv(p.spec(), {ind}).find("\n0.44,") != std::string::npos);
    }

    // JSON strings hold file names and paths, which are bytes: well-formed UTF-8 (Unicode 15, table 3-7)
    // passes as it is, every byte that is not part of it becomes U+FFFD, so the output always parses;
    // printable() shows the same bytes on a terminal as \xNN, control characters included.
    void jsonStringsAreValidUtf8()
    {
        QCOMPARE(jsonEscape("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac"),
                 std::string("\"caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac\""));
        QCOMPARE(jsonEscape("a\xff"
                            "b"),
                 std::string("\"a\\ufffdb\""));
        QCOMPARE(jsonEscape("\xc0\xaf"), std::string("\"\\ufffd\\ufffd\""));            // overlong '/'
        QCOMPARE(jsonEscape("\xed\xa0\x80"), std::string("\"\\ufffd\\ufffd\\ufffd\"")); // a surrogate
        QCOMPARE(jsonEscape("\xf4\x90\x80\x80"),
                 std::string("\"\\ufffd\\ufffd\\ufffd\\ufffd\""));           // > U+10FFFF
        QCOMPARE(jsonEscape("\xe2\x82"), std::string("\"\\ufffd\\ufffd\"")); // cut short
        QCOMPARE(jsonEscape("\x1b\"\\\n"), std::string("\"\\u001b\\\"\\\\\\n\""));
        QCOMPARE(utf8SequenceLength("\xf4\x8f\xbf\xbf", 0), size_t(4)); // U+10FFFF, the last
        QCOMPARE(utf8SequenceLength("\xee\x80\x80", 0), size_t(3));     // U+E000, after the surrogates
        QCOMPARE(printable("run\x1b[2J\xff\tcaf\xc3\xa9"), std::string("run\\x1B[2J\\xFF\\tcaf\xc3\xa9"));
        // A terminal takes U+009B as CSI, and U+202E shows the rest of the line reversed: neither shows.
        QCOMPARE(printable("x\xc2\x9b"
                           "2J \xe2\x80\xaegnp.exe \xc2\xa0\xe2\x80\xaf"),
                 std::string("x\\u009B2J \\u202Egnp.exe \xc2\xa0\xe2\x80\xaf"));
    }

    // JSON numbers (accuracy --json, front.json, exports): the shortest text that reads back as the same
    // double, so a measured 9117 / 10000 prints as 0.9117 and not 0.91169999999999995.
    void jsonNumbersAreShortestAndExact()
    {
        for (double v :
             {0.9117, 1.0 / 3, 264.81712345678901, 1e-300, -2.5, 5e-324, 1.7976931348623157e308, 0.1 + 0.2}) {
            const std::string t = shortestDouble(v);
            QCOMPARE(std::strtod(t.c_str(), nullptr), v);
        }
        QCOMPARE(shortestDouble(0.9117), std::string("0.9117"));
        QCOMPARE(shortestDouble(1.0 / 3), std::string("0.3333333333333333"));
        QCOMPARE(shortestDouble(0.1 + 0.2),
                 std::string("0.30000000000000004")); // 17 digits when it needs them
        QCOMPARE(shortestDouble(1e21), std::string("1e+21"));
        QCOMPARE(shortestDouble(-0.0), std::string("-0"));
        QCOMPARE(shortestDouble(1.5e-5), std::string("1.5e-05"));
        JsonWriter w;
        w.beginObject().field("accuracy", 9117.0 / 10000).field("energy_pj", 355327000.0).endObject();
        QCOMPARE(w.str(), std::string("{\"accuracy\":0.9117,\"energy_pj\":355327000}"));
    }

    void runRecordsEverythingAndHoldsPins()
    {
        QTemporaryDir dir;
        CodesignSpec s = tinySpec();
        s.pinnedBits[0] = {8, 8}; // the first layer held at 8 bits, as is common
        CodesignProblem p(s, std::make_shared<FormulaEvaluator>(), cache_);
        RunDirectory rd(dir.path().toStdString());
        CodesignRun run(p, shortRun(3), rd);
        std::vector<int> generationsSeen;
        const RunOutcome out = run.run([&](const GenerationRecord &g, const Progress &pr) {
            generationsSeen.push_back(g.generation);
            QCOMPARE(pr.generation, g.generation);
            QVERIFY(g.hypervolume > 0);
        });
        QCOMPARE(out.reason, StopReason::MaxGenerations);
        QCOMPARE(generationsSeen, (std::vector<int>{0, 1, 2, 3}));
        const auto inds = rd.individuals();
        QCOMPARE(inds.size(), size_t(32));
        // Generation 0 holds the uniform configurations of the allowed set (pins applied).
        std::set<std::string> gen0;
        for (const auto &e : inds) {
            QCOMPARE(e.bits[0], (LayerBits{8, 8}));
            QCOMPARE(e.cost.accuracy, FormulaEvaluator::expected(e.bits));
            if (e.generation == 0)
                gen0.insert(formatBitConfig(e.bits));
        }
        for (const char *u : {"8/8 2/2 2/2 2/2", "8/8 4/4 4/4 4/4", "8/8 8/8 8/8 8/8"})
            QVERIFY2(gen0.count(u), u);
        QCOMPARE(rd.generations().size(), size_t(4));
        QVERIFY(rd.checkpoint().has_value());
        // front.csv holds the run's archive and reads back.
        const auto rows = readFrontCsv(rd.file("front.csv"), 3);
        std::set<std::string> fromCsv, fromArchive;
        for (const auto &r : rows)
            fromCsv.insert(formatBitConfig(r.bits));
        for (const auto &ind : run.front())
            fromArchive.insert(formatBitConfig(decode(ind.x)));
        QVERIFY(fromCsv == fromArchive);
        QCOMPARE(rows.size(), fromArchive.size()); // one row per distinct configuration
        const std::string header = readAll(rd.file("front.csv")).substr(0, 60);
        QVERIFY2(header.rfind("error,energy_uJ,memory_bytes,L01_conv1_w,L01_conv1_a", 0) == 0,
                 header.c_str());
        // The time split is recorded per generation.
        QVERIFY(out.algorithmSeconds > 0);
        QVERIFY(out.algorithmSeconds < out.wallSeconds);
    }

    // The front a run reports is the front it found: every configuration in run.sqlite that no other
    // evaluated configuration dominates is in front.csv, with its figures, and nothing else is; the
    // hypervolume of each generation is that front's (with the run's reference point), so it never falls.
    // The last population's first front, which the run used to report, lacks some of them here.
    void frontIsThatOfEveryEvaluation()
    {
        QTemporaryDir dir;
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        RunDirectory rd(dir.path().toStdString());
        CodesignRun run(p, shortRun(8), rd);
        std::vector<double> seenHv;
        run.run([&](const GenerationRecord &g, const Progress &pr) {
            QCOMPARE(pr.hypervolume, g.hypervolume);
            QCOMPARE(pr.frontSize, g.frontSize);
            seenHv.push_back(g.hypervolume);
        });
        const auto expected = nonDominatedOfEverything(rd, p);
        const auto rows = frontCsvRows(rd, 3);
        for (const auto &[bits, f] : expected) {
            QVERIFY2(rows.count(bits), qPrintable(QString::fromStdString("missing from front.csv: " + bits)));
            QVERIFY2(rows.at(bits) == f, bits.c_str());
        }
        for (const auto &[bits, f] : rows)
            QVERIFY2(expected.count(bits),
                     qPrintable(QString::fromStdString("dominated by an evaluated configuration: " + bits)));
        QCOMPARE(readFrontCsv(rd.file("front.csv"), 3).size(), expected.size()); // no repeated rows

        // Per generation: never falling, and the last one is exactly the front's.
        const auto generations = rd.generations();
        QCOMPARE(generations.size(), size_t(9));
        for (size_t g = 0; g < generations.size(); ++g) {
            QCOMPARE(generations[g].hypervolume, seenHv[g]);
            if (g > 0)
                QVERIFY2(generations[g].hypervolume >= generations[g - 1].hypervolume,
                         qPrintable(QString("generation %1: %2 after %3")
                                        .arg(g)
                                        .arg(generations[g].hypervolume, 0, 'g', 17)
                                        .arg(generations[g - 1].hypervolume, 0, 'g', 17)));
        }
        std::vector<std::vector<double>> points;
        for (const auto &entry : expected)
            points.push_back(entry.second);
        QCOMPARE(generations.back().hypervolume, hypervolume(points, referencePointOf(rd)));
        QCOMPARE(generations.back().frontSize, expected.size());
    }

    void resumedRunEndsWhereAnUninterruptedOneEnds()
    {
        QTemporaryDir whole, parts;
        {
            CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
            RunDirectory rd(whole.path().toStdString());
            CodesignRun(p, shortRun(4), rd).run();
        }
        {
            CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
            RunDirectory rd(parts.path().toStdString());
            CodesignRun(p, shortRun(2), rd).run();
        }
        {
            // A kill after a generation was stored but before its checkpoint: rows the checkpoint lacks.
            RunDirectory rd(parts.path().toStdString());
            GenerationRecord ghost;
            ghost.generation = 3;
            rd.appendGeneration({{3, BitConfig(4, LayerBits{2, 2}), {}, 0}}, ghost);
        }
        {
            CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
            RunDirectory rd(parts.path().toStdString());
            CodesignRun resumed(p, shortRun(4), rd);
            QVERIFY(resumed.resumed());
            QCOMPARE(resumed.engine().generation(), 2);
            resumed.run();
        }
        const std::string a = whole.path().toStdString(), b = parts.path().toStdString();
        // The engine's whole state but its wall clock.
        auto withoutClock = [](std::string text) {
            const size_t at = text.find("\nelapsed ");
            text.erase(at, text.find('\n', at + 1) - at);
            return text;
        };
        QCOMPARE(withoutClock(readAll(b + "/checkpoint.txt")), withoutClock(readAll(a + "/checkpoint.txt")));
        QCOMPARE(readAll(b + "/front.csv"), readAll(a + "/front.csv"));
        RunDirectory ra(a), rb(b);
        QCOMPARE(rb.individuals().size(), ra.individuals().size());
        for (size_t i = 0; i < ra.individuals().size(); ++i)
            QVERIFY(ra.individuals()[i].bits == rb.individuals()[i].bits);
        // The reported front and hypervolumes too: the resumed run rebuilt its archive from run.sqlite.
        const auto ga = ra.generations(), gb = rb.generations();
        QCOMPARE(gb.size(), ga.size());
        for (size_t g = 0; g < ga.size(); ++g) {
            QCOMPARE(gb[g].hypervolume, ga[g].hypervolume);
            QCOMPARE(gb[g].frontSize, ga[g].frontSize);
        }
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        QVERIFY(frontCsvRows(rb, 3) == nonDominatedOfEverything(rb, p));
    }

    // --resume trusted the run directory (issue 14): other objectives or another architecture were taken,
    // a deleted run.sqlite silently dropped the earlier generations, a damaged reference point said "stod",
    // checkpoint errors named no file and "elapsed nan" was accepted. Each is now an InputError naming the
    // file and what differs.
    void resumeRefusesARunDirectoryThatDoesNotFit()
    {
        QTemporaryDir base;
        {
            CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
            RunDirectory rd(base.path().toStdString());
            CodesignRun(p, shortRun(2), rd).run();
        }
        const std::string checkpoint = readAll(base.path().toStdString() + "/checkpoint.txt");
        int copies = 0;
        // A copy of the finished two-generation run, damaged by `damage`; resuming it with `spec` must throw
        // an InputError whose text holds `file` and `words`.
        auto expectRefused = [&](const std::function<void(const std::string &)> &damage,
                                 const CodesignSpec &spec, const std::string &file, const std::string &words,
                                 const std::string &context = "formula") {
            const std::string dir = base.path().toStdString() + "/copy" + std::to_string(++copies);
            std::filesystem::create_directories(dir);
            for (const char *f : {"run.sqlite", "checkpoint.txt", "front.csv"})
                std::filesystem::copy_file(base.path().toStdString() + "/" + f, dir + "/" + f);
            damage(dir);
            CodesignProblem p(spec, std::make_shared<FormulaEvaluator>(context), cache_);
            RunDirectory rd(dir);
            try {
                CodesignRun run(p, shortRun(3), rd);
                QFAIL(qPrintable(QString::fromStdString("resumed: " + words)));
            } catch (const InputError &e) {
                const std::string what = e.what();
                QVERIFY2(what.find(dir + "/" + file) != std::string::npos, e.what());
                QVERIFY2(what.find(words) != std::string::npos, e.what());
                QVERIFY2(what.find('\n') == std::string::npos, e.what());
            }
        };
        auto nothing = [](const std::string &) {};
        auto writeCheckpoint = [](const std::string &dir, const std::string &text) {
            std::ofstream(dir + "/checkpoint.txt", std::ios::trunc) << text;
        };

        CodesignSpec edp = tinySpec();
        edp.objectives = {Objective::Error, Objective::Edp, Objective::Energy};
        expectRefused(
            nothing, edp, "checkpoint.txt:2",
            "the run has objectives \"error,energy,memory\", the settings now give \"error,edp,energy\"");
        CodesignSpec simba = tinySpec();
        simba.arch = loadArchitecture("simba16");
        expectRefused(nothing, simba, "checkpoint.txt:3", "the architecture differs");
        CodesignSpec bits = tinySpec();
        bits.allowedBits = {2, 4, 6, 8};
        expectRefused(nothing, bits, "checkpoint.txt:6",
                      "the allowed bits, constraints, pins, metric or seed differ");
        CodesignSpec ownWeights = tinySpec(); // the same shared set, but the weights' own set given
        ownWeights.allowedWeightBits = {8};
        expectRefused(nothing, ownWeights, "checkpoint.txt:6",
                      "the allowed bits, constraints, pins, metric or seed differ");

        // A retrained checkpoint (another context), or other evaluator settings, would mix accuracies.
        expectRefused(
            nothing, tinySpec(), "checkpoint.txt:7",
            "the accuracy evaluator, its settings, its checkpoint file or its evaluation images differ",
            "formula, retrained");
        expectRefused([](const std::string &dir) { std::filesystem::remove(dir + "/run.sqlite"); },
                      tinySpec(), "run.sqlite",
                      "holds 0 evaluated individuals up to generation 2, checkpoint.txt records 24");
        expectRefused(
            [&](const std::string &dir) {
                RunDirectory rd(dir);
                rd.setMeta("reference_point", "1.5 abc 2");
            },
            tinySpec(), "run.sqlite", "meta 'reference_point') is damaged: abc is not a finite number");
        expectRefused(
            [&](const std::string &dir) {
                std::string t = checkpoint;
                const size_t at = t.find("\nelapsed ");
                t.replace(at, t.find('\n', at + 1) - at, "\nelapsed nan");
                writeCheckpoint(dir, t);
            },
            tinySpec(), "checkpoint.txt", "the elapsed time is not a finite");
        expectRefused(
            [&](const std::string &dir) {
                std::string t = checkpoint;
                const size_t at = t.find("\ngeneration ");
                t.replace(at, t.find('\n', at + 1) - at, "\ngeneration two");
                writeCheckpoint(dir, t);
            },
            tinySpec(), "checkpoint.txt", "NSGA-II state, line 3: expected an integer");
        expectRefused([&](const std::string &dir) { writeCheckpoint(dir, checkpoint.substr(0, 40)); },
                      tinySpec(), "checkpoint.txt:2", "the settings now give");

        // A checkpoint written before the accuracy line (version 1) still resumes.
        {
            std::string v1 = checkpoint;
            QVERIFY(v1.rfind("bitloop-run-checkpoint 2\n", 0) == 0);
            v1.replace(0, std::string("bitloop-run-checkpoint 2").size(), "bitloop-run-checkpoint 1");
            const size_t at = v1.find("\naccuracy ");
            QVERIFY(at != std::string::npos);
            v1.erase(at, v1.find('\n', at + 1) - at);
            const std::string dir = base.path().toStdString() + "/v1";
            std::filesystem::create_directories(dir);
            for (const char *f : {"run.sqlite", "front.csv"})
                std::filesystem::copy_file(base.path().toStdString() + "/" + f, dir + "/" + f);
            writeCheckpoint(dir, v1);
            CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
            RunDirectory rd(dir);
            CodesignRun resumed(p, shortRun(3), rd);
            QVERIFY(resumed.resumed());
        }

        // Unchanged, it resumes.
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        RunDirectory rd(base.path().toStdString());
        CodesignRun resumed(p, shortRun(3), rd);
        QVERIFY(resumed.resumed());
        resumed.run();
        QCOMPARE(resumed.engine().generation(), 3);
    }

    void constraintsMarkInfeasiblePoints()
    {
        CodesignSpec s = tinySpec();
        s.maxError = 0.6; // accuracy >= 0.4 everywhere; error <= 0.6 ... all feasible
        s.maxMemoryBytes = 200;
        CodesignProblem p(s, std::make_shared<FormulaEvaluator>(), cache_);
        QCOMPARE(p.problemSpec().numConstraints, 3);
        Individual wide, narrow;
        // 576 weights: 576 bytes > 200 at 8 bits, 144 bytes at 2.
        wide.x = encode(BitConfig(4, LayerBits{8, 8}));
        narrow.x = encode(BitConfig(4, LayerBits{2, 2}));
        const auto costs = p.costs({decode(wide.x), decode(narrow.x)});
        p.fill(wide, costs[0]);
        p.fill(narrow, costs[1]);
        QCOMPARE(wide.constraints[1], (576.0 - 200.0) / 200.0);
        QVERIFY(totalViolation(wide.constraints) > 0);
        QCOMPARE(totalViolation(narrow.constraints), 0.0);
        QCOMPARE(narrow.constraints[0], (1.0 - FormulaEvaluator::expected(decode(narrow.x))) - 0.6);
    }

    void cancellingKeepsTheLastWholeGeneration()
    {
        QTemporaryDir dir;
        CodesignProblem p(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        RunDirectory rd(dir.path().toStdString());
        std::atomic<bool> cancel{false};
        CodesignRun run(p, shortRun(50), rd);
        const RunOutcome out = run.run(
            [&](const GenerationRecord &g, const Progress &) {
                if (g.generation == 1)
                    cancel = true;
            },
            &cancel);
        QCOMPARE(out.reason, StopReason::Cancelled);
        QCOMPARE(out.generation, 1);
        QCOMPARE(rd.generations().size(), size_t(2));
    }

    // One writer per run directory: a second RunDirectory to write is refused (InputError naming run.lock
    // and the holder: this process) before it creates or changes anything; one opened to read is not; once
    // the writer is gone the lock is free again.
    void runDirectoryHasOneWriter()
    {
        QTemporaryDir dir;
        const std::string d = dir.path().toStdString();
        QVERIFY(!RunDirectory::writer(d));
        auto first = std::make_unique<RunDirectory>(d);
        first->setMeta("k", "v");
        const std::string me = "pid " + std::to_string(::getpid()) + " on ";
        QVERIFY(RunDirectory::writer(d));
        QCOMPARE(RunDirectory::writer(d)->substr(0, me.size()), me);
        const auto before = std::filesystem::last_write_time(d + "/run.sqlite");
        try {
            RunDirectory second(d);
            QFAIL("a second writer was let in");
        } catch (const InputError &e) {
            QCOMPARE(e.file(), d + "/run.lock");
            const std::string what = e.what();
            QVERIFY2(what.find("another process is writing this run (" + me) != std::string::npos,
                     what.c_str());
            QVERIFY2(what.find(" UTC); wait for it to end or stop it (bitloop --follow " + d) !=
                         std::string::npos,
                     what.c_str());
        }
        QCOMPARE(std::filesystem::last_write_time(d + "/run.sqlite"), before);
        QCOMPARE(*RunDirectory::openToRead(d)->meta("k"), std::string("v"));
        first.reset();
        QVERIFY(!RunDirectory::writer(d));
        RunDirectory again(d);
        QCOMPARE(*again.meta("k"), std::string("v"));
    }

    // run.lock is truncated and written by its holder: one planted as a symbolic link (in a shared folder)
    // or that is not a plain file is refused, naming it, and the file it points at is left as it was.
    void runLockThatIsNotAPlainFileIsRefused()
    {
        QTemporaryDir dir, elsewhere;
        const std::string d = dir.path().toStdString(), target = elsewhere.path().toStdString() + "/precious";
        std::ofstream(target) << "keep me\n";
        std::filesystem::create_symlink(target, d + "/run.lock");
        const auto refused = [&](const std::string &why) {
            try {
                RunDirectory rd(d);
            } catch (const std::runtime_error &e) {
                return std::string(e.what()) == d + "/run.lock: " + why;
            }
            return false;
        };
        QVERIFY(refused("cannot create the lock file: it is a symbolic link"));
        QVERIFY(!RunDirectory::writer(d));
        std::ifstream in(target);
        QCOMPARE(std::string(std::istreambuf_iterator<char>(in), {}), std::string("keep me\n"));
        QVERIFY(!std::filesystem::exists(d + "/run.sqlite"));
        std::filesystem::remove(d + "/run.lock");
        std::filesystem::create_directory(d + "/run.lock");
        QVERIFY(refused("cannot create the lock file: Is a directory"));
    }

    // A writer killed inside a generation's transaction leaves a hot journal that a read-only connection
    // cannot roll back: opening the run to read (bitloop --follow, the explorer's Open) rolls it back under
    // the writer's lock and reads the last committed state, nothing of the abandoned transaction.
    void abandonedTransactionIsRolledBackForReaders()
    {
        QTemporaryDir dir;
        const std::string d = dir.path().toStdString();
        {
            RunDirectory rd(d);
            rd.setMeta("committed", "yes");
        }
        const pid_t child = ::fork();
        if (child == 0) { // a writer that dies mid-transaction, its changes spilled to the file
            sqlite3 *db = nullptr;
            sqlite3_open((d + "/run.sqlite").c_str(), &db);
            sqlite3_exec(db,
                         "PRAGMA cache_size=2; BEGIN IMMEDIATE; UPDATE meta SET value = 'no'; "
                         "INSERT INTO meta VALUES('abandoned', randomblob(400000));",
                         nullptr, nullptr, nullptr);
            ::raise(SIGKILL);
        }
        int status = 0;
        ::waitpid(child, &status, 0);
        QVERIFY(WIFSIGNALED(status));
        QVERIFY2(std::filesystem::file_size(d + "/run.sqlite-journal") > 0, "no hot journal was left");
        const auto reader = RunDirectory::openToRead(d);
        QCOMPARE(*reader->meta("committed"), std::string("yes"));
        QVERIFY(!reader->meta("abandoned"));
        QVERIFY(!std::filesystem::exists(d + "/run.sqlite-journal"));
    }

    // Cancelled while the reference point is computed (the widest configuration mapped, minutes on a cold
    // cache): a stop like any other, not an error; nothing is stored, and the directory then runs as a fresh
    // run would.
    void cancelledBeforeTheFirstGenerationStartsAgain()
    {
        QTemporaryDir dir, whole;
        auto acc = std::make_shared<FormulaEvaluator>();
        CodesignProblem p(tinySpec(), acc, cache_);
        RunDirectory rd(dir.path().toStdString());
        std::atomic<bool> cancel{true};
        CodesignRun stopped(p, shortRun(3), rd, &cancel);
        QVERIFY(!stopped.started());
        const RunOutcome out = stopped.run({}, &cancel);
        QCOMPARE(out.reason, StopReason::Cancelled);
        QCOMPARE(out.generation, -1);
        QCOMPARE(out.evaluations, 0LL);
        QVERIFY(rd.generations().empty() && !rd.meta("reference_point") && !rd.checkpoint());

        cancel = false;
        CodesignRun again(p, shortRun(3), rd, &cancel);
        QVERIFY(again.started() && !again.resumed());
        QCOMPARE(again.run({}, &cancel).reason, StopReason::MaxGenerations);
        RunDirectory wholeDir(whole.path().toStdString());
        CodesignProblem q(tinySpec(), std::make_shared<FormulaEvaluator>(), cache_);
        CodesignRun uninterrupted(q, shortRun(3), wholeDir);
        uninterrupted.run();
        QCOMPARE(rd.generations().size(), wholeDir.generations().size());
        QCOMPARE(rd.generations().back().hypervolume, wholeDir.generations().back().hypervolume);
    }
};

QTEST_GUILESS_MAIN(TestCodesign)
#include "test_codesign.moc"
