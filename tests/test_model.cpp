// The cost model against figures a user can check: the public single-buffer check (by hand), the
// reference fork's own AlexNet layer-1 outputs, and the Simba mapping measured with the fork.
#include "arch/architecture.h"
#include "mapping/mapping.h"
#include "model/evaluation.h"

#include <QtTest>

using namespace bitloop;

namespace
{

StorageLevel level(const std::string &name, int64_t instances, int64_t meshX, int64_t depth, int wordBits,
                   int64_t block, double read, double write, std::array<bool, 3> keep = {true, true, true},
                   int64_t cluster = 1)
{
    StorageLevel l;
    l.name = name;
    l.instances = instances;
    l.meshX = meshX;
    l.depth = depth;
    l.wordBits = wordBits;
    l.blockSize = block;
    l.readEnergy = read;
    l.writeEnergy = write;
    l.updateEnergy = write;
    l.mayKeep = keep;
    l.clusterSize = cluster;
    return l;
}

ProblemShape shape(int64_t c, int64_t m, int64_t r, int64_t s, int64_t p, int64_t q, int stride = 1)
{
    ProblemShape sh;
    sh.bound(Dim::C) = c;
    sh.bound(Dim::M) = m;
    sh.bound(Dim::R) = r;
    sh.bound(Dim::S) = s;
    sh.bound(Dim::P) = p;
    sh.bound(Dim::Q) = q;
    sh.wstride = sh.hstride = stride;
    return sh;
}

// One 8-bit-word buffer of 64 words keeping everything over one MAC: the public check.
struct PublicCheck {
    Architecture arch;
    Mapping mapping;
    ProblemShape problem = shape(1, 1, 3, 3, 4, 4);
    PublicCheck()
    {
        arch.levels = {level("Buffer", 1, 1, 64, 8, 1, 0.42018, 0.42018)};
        arch.mac.energy = 0.5608;
        mapping.levels.resize(1);
        for (Dim d : {Dim::R, Dim::S, Dim::P, Dim::Q})
            mapping.levels[0].temporal[idx(d)] = problem.bound(d);
    }
};

// Timeloop's AlexNet layer 1 on DRAM / 256 KiB global buffer / 64-word register file, all 8-bit words,
// as in the fork's reference outputs (honzastor/accelergy-timeloop-infrastructure-quantization-feature,
// quantization-exercises/scenarios/alexnet_3level_memory_hier/model/*/ref-output/timeloop-model.stats.txt).
struct AlexNet3Level {
    Architecture arch;
    Mapping mapping;
    ProblemShape problem = shape(3, 96, 11, 11, 55, 55, 4);
    AlexNet3Level()
    {
        arch.levels = {level("RegisterFile", 1, 1, 64, 8, 1, 0.42018, 0.42018),
                       level("GlobalBuffer", 1, 1, 262144, 8, 32, 102.865, 96.3011),
                       level("MainMemory", 1, 1, 0, 8, 32, 2048, 2048)};
        arch.mac.energy = 0.5608;
        mapping.levels.resize(3);
        auto &rf = mapping.levels[0];
        rf.temporal[idx(Dim::S)] = 11;
        rf.temporal[idx(Dim::Q)] = 5;
        rf.order = {Dim::S, Dim::Q};
        auto &glb = mapping.levels[1];
        glb.temporal[idx(Dim::C)] = 3;
        glb.temporal[idx(Dim::M)] = 96;
        glb.temporal[idx(Dim::R)] = 11;
        glb.temporal[idx(Dim::Q)] = 11;
        glb.order = {Dim::M, Dim::C, Dim::R, Dim::Q};
        mapping.levels[2].temporal[idx(Dim::P)] = 55;
    }
};

// The reference study's Simba (../shared/timeloop-simba16) and its best mapping for MobileNetV1 layer 2
// (dense 32->32 3x3 at 112x112) at weights 4 / activations 8.
struct SimbaLayer2 {
    Architecture arch;
    Mapping mapping;
    ProblemShape problem = shape(32, 32, 3, 3, 112, 112);
    SimbaLayer2()
    {
        arch.levels = {
            level("PEWeightRegs", 256, 16, 1, 16, 1, 0.981156, 0.981156, {true, false, false}, 64),
            level("PEAccuBuffer", 64, 16, 128, 16, 1, 1.00522, 1.00522, {false, false, true}),
            level("PEWeightBuffer", 64, 16, 16384, 16, 4, 44.75984, 44.75984, {true, false, false}),
            level("PEInputBuffer", 16, 16, 32768, 16, 4, 97.18672, 97.18672, {false, true, false}),
            level("GlobalBuffer", 1, 1, 32768, 16, 16, 167.0908, 182.7858, {false, true, true}),
            level("DRAM", 1, 1, 0, 16, 4, 512, 512)};
        arch.mac.instances = 256;
        arch.mac.meshX = 16;
        arch.mac.energy = 2.20035;
        mapping.levels.resize(6);
        auto &m = mapping.levels;
        m[0].temporal[idx(Dim::P)] = 56;
        m[0].keep = {true, false, false};
        m[1].temporal[idx(Dim::M)] = 4;
        m[1].spatialY[idx(Dim::C)] = 4;
        m[1].keep = {false, false, true};
        m[2].temporal[idx(Dim::R)] = 3;
        m[2].temporal[idx(Dim::S)] = 3;
        m[2].order = {Dim::R, Dim::S};
        m[2].keep = {true, false, false};
        m[3].spatialY[idx(Dim::M)] = 4;
        m[3].keep = {false, true, false};
        m[4].temporal[idx(Dim::Q)] = 8;
        m[4].spatialX[idx(Dim::C)] = 8;
        m[4].spatialX[idx(Dim::M)] = 2;
        m[4].keep = {false, true, true};
        m[5].temporal[idx(Dim::Q)] = 14;
        m[5].temporal[idx(Dim::P)] = 2;
        m[5].order = {Dim::Q, Dim::P};
    }
};

const TensorLevelStats &at(const Evaluation &e, int level, Tensor t)
{
    return e.levels[level].tensors[idx(t)];
}

} // namespace

class TestModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // 144 MACs, every operand read at the buffer: W 144, I 144, O 128 reads (the first update of each of
    // the 16 outputs finds zero) + 144 updates = 560 accesses x 0.42018 + 144 x 0.5608 = 316.056 pJ.
    void publicCheckNative()
    {
        PublicCheck pc;
        Evaluation e = evaluate(pc.problem, pc.arch, pc.mapping, BitWidths::uniform(8));
        QVERIFY(e.valid);
        QCOMPARE(e.macs, int64_t(144));
        QCOMPARE(at(e, 0, Tensor::Weights).reads, int64_t(144));
        QCOMPARE(at(e, 0, Tensor::Inputs).reads, int64_t(144));
        QCOMPARE(at(e, 0, Tensor::Outputs).reads, int64_t(128));
        QCOMPARE(at(e, 0, Tensor::Outputs).updates, int64_t(144));
        QVERIFY(qAbs(e.energy - 316.056) < 316.056 * 1e-4);
    }
    // Two 4-bit operands per word halve every count: (72 + 72 + 64 + 72) x 0.42018 + 80.7552 = 198.406 pJ.
    void publicCheckAll4()
    {
        PublicCheck pc;
        Evaluation e = evaluate(pc.problem, pc.arch, pc.mapping, BitWidths::uniform(4));
        QCOMPARE(at(e, 0, Tensor::Weights).packing, 2);
        QCOMPARE(at(e, 0, Tensor::Outputs).reads, int64_t(64));
        QVERIFY(qAbs(e.energy - 198.406) < 198.406 * 1e-4);
    }
    // Weights 3 bits: floor(8/3) = 2 per word (2 bits wasted): (72 + 144 + 128 + 144) x 0.42018 + 80.7552.
    void publicCheckWeights3()
    {
        PublicCheck pc;
        Evaluation e = evaluate(pc.problem, pc.arch, pc.mapping, BitWidths{{3, 8, 8}});
        QCOMPARE(at(e, 0, Tensor::Weights).reads, int64_t(72));
        QCOMPARE(at(e, 0, Tensor::Weights).tileWords, int64_t(5)); // 9 weights, 2 per word
        QVERIFY(qAbs(e.energy - 285.803) < 285.803 * 1e-4);
    }

    // The fork's printed stats for AlexNet layer 1 with Inputs 8, Weights 3, Outputs 8 (per instance).
    void forkAlexNetMixed()
    {
        AlexNet3Level ax;
        Evaluation e = evaluate(ax.problem, ax.arch, ax.mapping, BitWidths{{3, 8, 8}});
        QVERIFY(e.valid);
        QCOMPARE(at(e, 0, Tensor::Weights).tileWords, int64_t(6));
        QCOMPARE(at(e, 0, Tensor::Weights).reads, int64_t(52707600));
        QCOMPARE(at(e, 0, Tensor::Weights).fills, int64_t(10541520));
        QCOMPARE(at(e, 0, Tensor::Inputs).fills, int64_t(539055)); // stride-4 windows: 27-operand tiles
        QCOMPARE(at(e, 0, Tensor::Outputs).reads, int64_t(105124800));
        QCOMPARE(at(e, 0, Tensor::Outputs).fills, int64_t(9583200)); // the fork fills the first partial sum
        QCOMPARE(at(e, 1, Tensor::Inputs).fills, int64_t(154587));   // sliding window along P
        QCOMPARE(at(e, 1, Tensor::Outputs).reads, int64_t(9292800));
        QCOMPARE(at(e, 1, Tensor::Outputs).updates, int64_t(9583200));
        QCOMPARE(at(e, 2, Tensor::Outputs).updates, int64_t(290400));
        QVERIFY(qAbs(at(e, 1, Tensor::Weights).energy - 33938580.99) < 0.01);
        QVERIFY(qAbs(at(e, 1, Tensor::Outputs).energy - 59585700.41) < 0.01);
        QVERIFY(qAbs(e.energy - 348022108.25) < 0.01);
        QVERIFY(qAbs(e.pjPerMac() - 3.30144) < 1e-5);
    }
    void forkAlexNetAll4()
    {
        AlexNet3Level ax;
        Evaluation e = evaluate(ax.problem, ax.arch, ax.mapping, BitWidths::uniform(4));
        QCOMPARE(at(e, 0, Tensor::Inputs).fills, int64_t(269528)); // ceil(539055 / 2)
        QCOMPARE(at(e, 1, Tensor::Outputs).tileWords, int64_t(2640));
        QVERIFY(qAbs(at(e, 0, Tensor::Outputs).energy - 46245683.09) < 0.01);
        QVERIFY(qAbs(at(e, 1, Tensor::Inputs).energy - 1099095.35) < 0.01);
    }

    // Measured with the fork on ../shared/timeloop-simba16: 716.191 uJ (fork fill rule), 712.284 uJ
    // (upstream rule), 451,584 cycles, 414,592 DRAM word accesses.
    void simbaLayer2Weights4()
    {
        SimbaLayer2 sb;
        Evaluation fork = evaluate(sb.problem, sb.arch, sb.mapping, BitWidths{{4, 8, 8}});
        QVERIFY2(fork.valid, fork.reasons.empty() ? "" : fork.reasons.front().c_str());
        QCOMPARE(fork.macs, int64_t(115605504));
        QCOMPARE(fork.cycles, int64_t(451584));
        int64_t dram = 0;
        for (const TensorLevelStats &t : fork.levels.back().tensors)
            dram += t.reads + t.fills + t.updates;
        QCOMPARE(dram, int64_t(414592));
        QVERIFY(qAbs(fork.energy / 1e6 - 716.191) < 0.0005);
        ModelOptions upstream;
        upstream.firstPsum = FirstPsumRule::Elide;
        Evaluation v3 = evaluate(sb.problem, sb.arch, sb.mapping, BitWidths{{4, 8, 8}}, upstream);
        QVERIFY(qAbs(v3.energy / 1e6 - 712.284) < 0.0005);
    }

    void invalidMappingsSayWhy()
    {
        SimbaLayer2 sb;
        sb.mapping.levels[1].temporal[idx(Dim::M)] = 8; // M multiplies to 64: nothing else is counted
        Evaluation e = evaluate(sb.problem, sb.arch, sb.mapping, BitWidths::uniform(16));
        QVERIFY(!e.valid);
        QCOMPARE(QString::fromStdString(e.reasons.front()),
                 QString("factors of M multiply to 64, the bound is 32"));
        sb.mapping.levels[3].spatialY[idx(Dim::M)] = 2; // M = 8 x 2 x 2 again, but 8 x 56 psums per lane
        e = evaluate(sb.problem, sb.arch, sb.mapping, BitWidths::uniform(16));
        QVERIFY(!e.valid);
        QCOMPARE(QString::fromStdString(e.reasons.front()),
                 QString("PEAccuBuffer: tiles need 448 words, it holds 128"));
        SimbaLayer2 wide;
        wide.mapping.levels[4].spatialX[idx(Dim::C)] = 32;
        wide.mapping.levels[1].spatialY[idx(Dim::C)] = 1;
        e = evaluate(wide.problem, wide.arch, wide.mapping, BitWidths::uniform(16));
        QVERIFY(!e.valid);
        QVERIFY(QString::fromStdString(e.reasons.front()).contains("fan-out 64x1 exceeds"));
        PublicCheck pc;
        e = evaluate(pc.problem, pc.arch, pc.mapping, BitWidths{{16, 8, 8}});
        QVERIFY(!e.valid);
        QCOMPARE(QString::fromStdString(e.reasons.front()),
                 QString("Buffer: Weights bit-width 16 is wider than its 8-bit word"));
    }

    // The weight memory of a layer is its weights at the weight bit-width, bit-packed.
    void weightMemory()
    {
        SimbaLayer2 sb;
        Evaluation e = evaluate(sb.problem, sb.arch, sb.mapping, BitWidths{{4, 8, 8}});
        QCOMPARE(e.weightMemoryBytes, int64_t(32 * 32 * 9 / 2));
    }
};

QTEST_APPLESS_MAIN(TestModel)
#include "test_model.moc"
