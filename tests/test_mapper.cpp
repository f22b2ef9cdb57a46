// The mapper against figures a user can check: the reference fork's exhaustive Eyeriss counts and optima,
// a brute-force optimum on a space small enough to enumerate independently, determinism, sampling.
#include "io/arch_io.h"
#include "io/constraints_io.h"
#include "io/mapping_io.h"
#include "io/problem_io.h"
#include "mapper/search.h"
#include "mapper/walker.h"
#include "workload/mobilenet.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

using namespace bitloop;

namespace
{

const std::string kEyeriss = std::string(BITLOOP_TEST_DATA) + "/io/eyeriss16/";

Architecture timeloopEyeriss()
{
    Architecture a = loadArchitecture(kEyeriss + "arch.yaml");
    applyErt(a, kEyeriss + "ert.yaml");
    applyConstraints(a, kEyeriss + "arch_constraints.yaml");
    applyConstraints(a, kEyeriss + "map_constraints.yaml");
    return a;
}

// A machine small enough to enumerate by hand: DRAM, a 4-way fan-out from a global buffer to 4 register
// files over 4 MACs, 8-bit words. The global buffer must keep Inputs and Outputs and may keep Weights; the
// register files must keep Weights and Inputs and may keep Outputs; loop orders are free everywhere.
Architecture tinyMachine()
{
    Architecture a;
    a.name = "tiny";
    auto level = [](const char *name, int64_t inst, int64_t depth, int64_t block, double r, double w) {
        StorageLevel l;
        l.name = name;
        l.instances = inst;
        l.meshX = inst;
        l.depth = depth;
        l.wordBits = 8;
        l.blockSize = block;
        l.readEnergy = r;
        l.writeEnergy = l.updateEnergy = w;
        return l;
    };
    a.levels = {level("RF", 4, 6, 1, 0.5, 0.6), level("GLB", 1, 64, 4, 6.0, 7.5),
                level("DRAM", 1, 0, 4, 100, 100)};
    a.mac.instances = 4;
    a.mac.meshX = 4;
    a.mac.energy = 1.0;
    LevelConstraint rf;
    rf.target = "RF";
    rf.kind = ConstraintKind::Bypass;
    rf.keep = {1, 1, -1};
    LevelConstraint glb;
    glb.target = "GLB";
    glb.kind = ConstraintKind::Bypass;
    glb.keep = {-1, 1, 1};
    a.constraints.targets = {rf, glb};
    return a;
}

ProblemShape tinyLayer()
{
    ProblemShape s;
    s.bound(Dim::C) = 2;
    s.bound(Dim::M) = 2;
    s.bound(Dim::R) = 3;
    s.bound(Dim::P) = 4;
    return s;
}

std::vector<std::array<bool, kNumTensors>> keepOf(const Mapping &m)
{
    std::vector<std::array<bool, kNumTensors>> keep;
    for (const LevelMapping &l : m.levels)
        keep.push_back(l.keep);
    return keep;
}

struct BruteForce {
    double best = 0;
    int64_t valid = 0;
};

// Every factorization over every slot (temporal at each level, spatial X at the global buffer), every
// order of the loops of bound > 1 at each level, every keep choice: evaluated one by one with the full
// model, no pruning, no equivalence classes.
BruteForce bruteForce(const Architecture &arch, const ProblemShape &shape, const BitWidths &bits,
                      Metric metric)
{
    BruteForce out;
    bool any = false;
    const std::vector<Dim> dims = {Dim::C, Dim::M, Dim::R, Dim::P};
    struct Slot {
        int level;
        bool spatial;
    };
    const std::vector<Slot> slotList = {{0, false}, {1, true}, {1, false}, {2, false}};
    Mapping m;
    m.levels.resize(3);
    std::function<void(size_t)> factorDim;
    std::function<void(int)> orderLevel;
    std::function<void(size_t, int64_t, size_t)> factorSlot;
    orderLevel = [&](int level) {
        if (level == 3) {
            const Evaluation e = evaluate(shape, arch, m, bits);
            if (!e.valid)
                return;
            ++out.valid;
            const double v = metricValue(metric, e);
            if (!any || v < out.best)
                out.best = v;
            any = true;
            return;
        }
        std::vector<Dim> active;
        for (Dim d : dims)
            if (m.levels[level].temporal[idx(d)] > 1)
                active.push_back(d);
        std::sort(active.begin(), active.end());
        do {
            m.levels[level].order = active;
            orderLevel(level + 1);
        } while (std::next_permutation(active.begin(), active.end()));
    };
    factorSlot = [&](size_t d, int64_t remaining, size_t slot) {
        if (slot == slotList.size()) {
            if (remaining == 1)
                factorDim(d + 1);
            return;
        }
        for (int64_t f = 1; f <= remaining; ++f) {
            if (remaining % f)
                continue;
            LevelMapping &lm = m.levels[slotList[slot].level];
            (slotList[slot].spatial ? lm.spatialX : lm.temporal)[idx(dims[d])] = f;
            factorSlot(d, remaining / f, slot + 1);
            (slotList[slot].spatial ? lm.spatialX : lm.temporal)[idx(dims[d])] = 1;
        }
    };
    factorDim = [&](size_t d) {
        if (d == dims.size()) {
            for (bool glbW : {false, true})
                for (bool rfO : {false, true}) {
                    m.levels[0].keep = {true, true, rfO};
                    m.levels[1].keep = {glbW, true, true};
                    m.levels[2].keep = {true, true, true};
                    orderLevel(0);
                }
            return;
        }
        factorSlot(d, shape.bound(dims[d]), 0);
    };
    factorDim(0);
    return out;
}

} // namespace

class TestMapper : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // ../shared/timeloop-eyeriss16/README.md: the fork's exhaustive walk of the 70,560 factorizations of
    // MobileNetV1 layer 2 as the study modelled it (dense 32->32 3x3 at 112x112).
    void eyerissReference_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qint64>("valid");
        QTest::addColumn<double>("forkUJ");
        QTest::addColumn<double>("upstreamUJ");
        QTest::addColumn<qint64>("cycles");
        QTest::newRow("16") << "layer2-16.yaml" << qint64(11778) << 637.269 << 628.917 << qint64(688128);
        QTest::newRow("8") << "layer2-8.yaml" << qint64(15021) << 420.841 << 416.665 << qint64(4816896);
        QTest::newRow("w4") << "layer2-w4.yaml" << qint64(15054) << 398.465 << 394.289 << qint64(9633792);
        QTest::newRow("4") << "layer2-4.yaml" << qint64(16417) << 337.534 << 335.446 << qint64(9633792);
    }
    void eyerissReference()
    {
        QFETCH(QString, file);
        QFETCH(qint64, valid);
        QFETCH(double, forkUJ);
        QFETCH(double, upstreamUJ);
        QFETCH(qint64, cycles);
        const Architecture arch = timeloopEyeriss();
        const ProblemFile p = loadProblem(kEyeriss + file.toStdString());
        const BitWidths bits = p.bits.value_or(BitWidths::uniform(16));
        MapperOptions opt;
        opt.threads = 2;
        opt.countValid = true; // the fork's counts need every mapping walked
        MapperResult fork = findBestMapping(p.shape, arch, bits, opt);
        QVERIFY(fork.found && fork.optimal);
        QCOMPARE(fork.spaceSize, 70560.0);
        QCOMPARE(qint64(fork.validMappings), valid);
        QVERIFY2(qAbs(fork.evaluation.energy / 1e6 - forkUJ) < 0.0005,
                 qPrintable(QString::number(fork.evaluation.energy)));
        QCOMPARE(qint64(fork.evaluation.cycles), cycles);
        opt.model.firstPsum = FirstPsumRule::Elide;
        MapperResult v3 = findBestMapping(p.shape, arch, bits, opt);
        QVERIFY(qAbs(v3.evaluation.energy / 1e6 - upstreamUJ) < 0.0005);
        QCOMPARE(qint64(v3.validMappings), valid);
    }

    // The preset carries the same machine: same answers through loadArchitecture("eyeriss16").
    void presetEqualsTimeloopFiles()
    {
        const ProblemFile p = loadProblem(kEyeriss + "layer2-w4.yaml");
        MapperOptions opt;
        opt.countValid = true;
        MapperResult r = findBestMapping(p.shape, loadArchitecture("eyeriss16"), *p.bits, opt);
        QCOMPARE(qint64(r.validMappings), qint64(15054));
        QVERIFY(qAbs(r.evaluation.energy / 1e6 - 398.465) < 0.0005);
    }

    void bruteForceOptimum_data()
    {
        QTest::addColumn<int>("metric");
        QTest::newRow("energy") << int(Metric::Energy);
        QTest::newRow("delay") << int(Metric::Delay);
        QTest::newRow("edp") << int(Metric::Edp);
    }
    void bruteForceOptimum()
    {
        QFETCH(int, metric);
        const Architecture arch = tinyMachine();
        const ProblemShape shape = tinyLayer();
        const BitWidths bits{{4, 8, 8}};
        const BruteForce bf = bruteForce(arch, shape, bits, Metric(metric));
        QVERIFY(bf.valid > 1000); // a space worth searching
        MapperOptions opt;
        opt.metric = Metric(metric);
        opt.threads = 2;
        opt.countValid = true;
        const MapperResult r = findBestMapping(shape, arch, bits, opt);
        QVERIFY(r.found && r.optimal);
        QCOMPARE(qint64(r.validMappings), qint64(bf.valid));
        QCOMPARE(metricValue(Metric(metric), r.evaluation), bf.best);
        QVERIFY(r.visited < r.validMappings); // reuse-equivalent orders were evaluated once
        QCOMPARE(r.pruned, qint64(0));
        // The branch and bound reaches the same optimum while evaluating fewer loop nests; it does not
        // claim a count it did not make.
        opt.countValid = false;
        const MapperResult bb = findBestMapping(shape, arch, bits, opt);
        QVERIFY(bb.found && bb.optimal);
        QCOMPARE(metricValue(Metric(metric), bb.evaluation), bf.best);
        QCOMPARE(bb.validMappings, qint64(-1));
        QVERIFY2(bb.visited < r.visited, qPrintable(QString("%1 vs %2").arg(bb.visited).arg(r.visited)));
        QVERIFY(bb.pruned > 0);
    }

    // Pruned or not, any thread count returns the same mapping; a counting walk also the same counts.
    void sameAnswerForAnyThreadCount_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<int>("resolution");
        QTest::addColumn<bool>("count");
        QTest::newRow("eyeriss16 pruned") << "eyeriss16" << 224 << false;
        QTest::newRow("eyeriss16 counted") << "eyeriss16" << 224 << true;
        QTest::newRow("simba16 pruned") << "simba16" << 32 << false;
    }
    void sameAnswerForAnyThreadCount()
    {
        QFETCH(QString, arch);
        QFETCH(int, resolution);
        QFETCH(bool, count);
        MobileNetOptions mo;
        mo.resolution = resolution;
        const Network net = mobileNetV1(mo);
        const Architecture a = loadArchitecture(arch.toStdString());
        for (int layer : {1, 2, 3, 27}) {
            MapperOptions opt;
            opt.threads = 1;
            opt.countValid = count;
            const MapperResult one = findBestMapping(net.layers[layer].shape, a, BitWidths{{4, 8, 8}}, opt);
            QVERIFY(one.optimal);
            for (int threads : {2, 3, 7}) {
                opt.threads = threads;
                const MapperResult many =
                    findBestMapping(net.layers[layer].shape, a, BitWidths{{4, 8, 8}}, opt);
                QCOMPARE(many.evaluation.energy, one.evaluation.energy);
                if (count) {
                    QCOMPARE(many.validMappings, one.validMappings);
                    QCOMPARE(many.visited, one.visited);
                }
                for (size_t l = 0; l < one.mapping.levels.size(); ++l) {
                    QVERIFY(many.mapping.levels[l].temporal == one.mapping.levels[l].temporal);
                    QVERIFY(many.mapping.levels[l].spatialX == one.mapping.levels[l].spatialX);
                    QVERIFY(many.mapping.levels[l].spatialY == one.mapping.levels[l].spatialY);
                    QVERIFY(many.mapping.activeTemporalOrder(int(l)) ==
                            one.mapping.activeTemporalOrder(int(l)));
                }
            }
        }
    }

    // Hints only speed the walk up: a mapping at other widths and one from outside the space that beats
    // its optimum (the optimum of the same machine without a constraint) leave the answer as it was.
    void hintsChangeNothingButTheWork()
    {
        const Architecture free = tinyMachine();
        const ProblemShape shape = tinyLayer();
        MapperOptions opt;
        opt.threads = 2;
        const MapperResult trap = findBestMapping(shape, free, BitWidths::uniform(4), opt);
        QVERIFY(trap.found);
        // Forbid what the free optimum does: its temporal loops at the register files, its fan-out.
        Architecture constrained = free;
        LevelConstraint rf, glb;
        rf.target = "RF";
        rf.kind = ConstraintKind::Temporal;
        glb.target = "GLB";
        glb.kind = ConstraintKind::Spatial;
        for (Dim d : kAllDims) {
            if (trap.mapping.levels[0].temporal[idx(d)] > 1)
                rf.factors[idx(d)] = 1;
            if (trap.mapping.levels[1].spatial(d) > 1)
                glb.factors[idx(d)] = 1;
        }
        constrained.constraints.targets.push_back(rf);
        constrained.constraints.targets.push_back(glb);
        const MapperResult plain = findBestMapping(shape, constrained, BitWidths::uniform(4), opt);
        const MapperResult at8 = findBestMapping(shape, constrained, BitWidths::uniform(8), opt);
        QVERIFY(plain.found && at8.found);
        QVERIFY2(trap.evaluation.energy < plain.evaluation.energy, "the outside hint must beat the optimum");

        // The walk takes the first as an incumbent and refuses the second.
        const Mapspace space(shape, constrained);
        Walker w(space, BitWidths::uniform(4), opt, keepOf(at8.mapping));
        Candidate seeded;
        int64_t visited = 0;
        QVERIFY(w.seed(at8.mapping, seeded, visited));
        Walker w2(space, BitWidths::uniform(4), opt, keepOf(trap.mapping));
        Candidate refused;
        QVERIFY(!w2.seed(trap.mapping, refused, visited));
        QVERIFY(!refused.found);

        opt.hints = {at8.mapping, trap.mapping};
        const MapperResult hinted = findBestMapping(shape, constrained, BitWidths::uniform(4), opt);
        QVERIFY(hinted.optimal);
        QCOMPARE(hinted.evaluation.energy, plain.evaluation.energy);
        QCOMPARE(mappingToYaml(constrained, hinted.mapping), mappingToYaml(constrained, plain.mapping));
        opt.hints = {plain.mapping};
        const MapperResult best = findBestMapping(shape, constrained, BitWidths::uniform(4), opt);
        QCOMPARE(mappingToYaml(constrained, best.mapping), mappingToYaml(constrained, plain.mapping));
    }

    // The bound is a lower bound: for every factorization of the space (walked in full, no pruning), the
    // bound with only its innermost k levels fixed, for every k, is at most what its best loop order costs.
    // A bound that overshot anywhere could prune the optimum.
    void boundNeverExceedsACompletion_data()
    {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<int>("resolution");
        QTest::addColumn<int>("layer");
        QTest::addColumn<int>("wbits");
        QTest::addColumn<int>("abits");
        QTest::addColumn<int>("metric");
        QTest::addColumn<bool>("elide");
        QTest::newRow("eyeriss conv1 8/8")
            << "eyeriss16" << 224 << 0 << 8 << 8 << int(Metric::Energy) << false;
        QTest::newRow("eyeriss dw1 4/4") << "eyeriss16" << 224 << 1 << 4 << 4 << int(Metric::Energy) << false;
        QTest::newRow("eyeriss pw1 16/16")
            << "eyeriss16" << 224 << 2 << 16 << 16 << int(Metric::Energy) << false;
        QTest::newRow("eyeriss dw2 s2 4/8 edp")
            << "eyeriss16" << 224 << 3 << 4 << 8 << int(Metric::Edp) << false;
        QTest::newRow("eyeriss fc 2/2 elide")
            << "eyeriss16" << 224 << 27 << 2 << 2 << int(Metric::Energy) << true;
        QTest::newRow("simba dw1 8/8") << "simba16" << 32 << 1 << 8 << 8 << int(Metric::Energy) << false;
        QTest::newRow("simba pw1 4/4") << "simba16" << 32 << 2 << 4 << 4 << int(Metric::Energy) << false;
        QTest::newRow("simba dw2 s2 8/4 delay")
            << "simba16" << 32 << 3 << 8 << 4 << int(Metric::Delay) << false;
        QTest::newRow("simba conv1 16/16")
            << "simba16" << 32 << 0 << 16 << 16 << int(Metric::Energy) << false;
    }
    void boundNeverExceedsACompletion()
    {
        QFETCH(QString, arch);
        QFETCH(int, resolution);
        QFETCH(int, layer);
        QFETCH(int, wbits);
        QFETCH(int, abits);
        QFETCH(int, metric);
        QFETCH(bool, elide);
        MobileNetOptions mo;
        mo.resolution = resolution;
        const ProblemShape shape = mobileNetV1(mo).layers[size_t(layer)].shape;
        const Architecture a = loadArchitecture(arch.toStdString());
        const BitWidths bits{{wbits, abits, abits}};
        MapperOptions opt;
        opt.metric = Metric(metric);
        if (elide)
            opt.model.firstPsum = FirstPsumRule::Elide;
        MapspaceOptions so;
        std::unique_ptr<Mapspace> space;
        try {
            space = std::make_unique<Mapspace>(shape, a, so);
        } catch (const std::invalid_argument &) {
            so.searchConstraints = false;
            space = std::make_unique<Mapspace>(shape, a, so);
        }
        int64_t leaves = 0;
        double tightest = 0;
        QString overshoot; // the first bound found above a completion
        for (const auto &keep : space->keepConfigurations()) {
            Walker w(*space, bits, opt, keep);
            MappingBound bound(*space, bits, opt, keep);
            Partial p = w.start();
            w.walk(p, w.numSteps(), [&](const Partial &leaf) {
                Candidate best;
                int64_t valid = 0, visited = 0;
                w.evaluateOrders(leaf, best, valid, visited);
                if (!best.found)
                    return;
                ++leaves;
                for (int k = -1; k < space->numLevels(); ++k) {
                    const double b = bound.metric(leaf.f, k);
                    if (b > best.key * (1 + 1e-12) && overshoot.isEmpty())
                        overshoot = QString("bound %1 with levels <= %2 fixed exceeds %3")
                                        .arg(b, 0, 'g', 12)
                                        .arg(k)
                                        .arg(best.key, 0, 'g', 12);
                    if (k == space->numLevels() - 1)
                        tightest = std::max(tightest, b / best.key);
                }
            });
        }
        QVERIFY2(overshoot.isEmpty(), qPrintable(overshoot));
        QVERIFY(leaves > 100);
        QVERIFY(tightest > 0.9); // and not vacuous: on some factorization it is within 10%
    }

    void samplingIsSeededAndNeverBeatsTheOptimum()
    {
        const Architecture arch = tinyMachine();
        MapperOptions opt;
        opt.strategy = Strategy::Sampled;
        opt.sampleBudget = 5000;
        opt.seed = 42;
        opt.threads = 1;
        const MapperResult a = findBestMapping(tinyLayer(), arch, BitWidths::uniform(8), opt);
        opt.threads = 3;
        const MapperResult b = findBestMapping(tinyLayer(), arch, BitWidths::uniform(8), opt);
        QVERIFY(a.found && !a.optimal);
        QCOMPARE(a.strategy, Strategy::Sampled);
        QCOMPARE(a.evaluation.energy, b.evaluation.energy);
        QCOMPARE(a.visited, qint64(5000));
        opt.strategy = Strategy::Exhaustive;
        const MapperResult best = findBestMapping(tinyLayer(), arch, BitWidths::uniform(8), opt);
        QVERIFY(best.evaluation.energy <= a.evaluation.energy);
    }

    // Narrow bit-widths open mappings 16-bit data cannot use: the count of valid mappings rises.
    void validCountRisesAsBitsFall()
    {
        const Architecture arch = tinyMachine();
        int64_t previous = 0;
        MapperOptions opt;
        opt.countValid = true;
        for (int b : {8, 4, 2}) {
            const MapperResult r = findBestMapping(tinyLayer(), arch, BitWidths::uniform(b), opt);
            QVERIFY(r.validMappings > previous);
            previous = r.validMappings;
        }
    }

    // The GUI runs the mapper in the background: progress reaches 1 and a cancelled walk says so, proves
    // nothing, and stops early.
    void progressAndCancellation()
    {
        const Architecture arch = tinyMachine();
        std::atomic<bool> cancel{false};
        std::atomic<int> calls{0};
        double last = 0;
        std::mutex m;
        MapperOptions opt;
        opt.threads = 2;
        opt.progress = [&](double f) {
            std::lock_guard<std::mutex> lock(m);
            last = std::max(last, f);
            ++calls;
        };
        const MapperResult full = findBestMapping(tinyLayer(), arch, BitWidths::uniform(8), opt);
        QVERIFY(calls.load() > 1);
        QCOMPARE(last, 1.0);
        QVERIFY(!full.cancelled && full.optimal);
        opt.cancel = &cancel;
        opt.progress = [&](double) { cancel = true; }; // cancel as soon as the first task is done
        const MapperResult cut = findBestMapping(tinyLayer(), arch, BitWidths::uniform(8), opt);
        QVERIFY(cut.cancelled);
        QVERIFY(!cut.optimal);
        QVERIFY(cut.visited < full.visited);
    }

    void unsatisfiableConstraintsSayWhich()
    {
        Architecture arch = tinyMachine();
        LevelConstraint c;
        c.target = "RF";
        c.kind = ConstraintKind::Temporal;
        c.factors[idx(Dim::P)] = 3; // P = 4 cannot take a factor of 3
        arch.constraints.targets.push_back(c);
        try {
            findBestMapping(tinyLayer(), arch, BitWidths::uniform(8));
            QFAIL("expected an error");
        } catch (const std::invalid_argument &e) {
            QCOMPARE(
                QString(e.what()),
                QString(
                    "the constraints fix the factors of P to a product of 3, which cannot make its bound 4; "
                    "RF temporal P=3"));
        }
    }

    // Search-only constraints written for dense layers (C = 4 across a lane's MACs, M = 4 across lanes)
    // cannot hold for a depthwise layer (C = M = 1): those factors are dropped for it, the rest still
    // narrows the space, and the result says so.
    void depthwiseDropsWhatCannotHold()
    {
        const Network net = mobileNetV1();
        const MapperResult r =
            findBestMapping(net.layers[1].shape, loadArchitecture("simba16"), BitWidths::uniform(8));
        QVERIFY(r.found && r.optimal);
        QCOMPARE(QString::fromStdString(r.note),
                 QString("search constraints that cannot hold for this layer were dropped: "
                         "PEAccuBuffer spatial C=4, PEInputBuffer spatial M=4"));
    }
};

QTEST_APPLESS_MAIN(TestMapper)
#include "test_mapper.moc"
