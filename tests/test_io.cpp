// YAML input and output: Timeloop v0.3 architectures, ERTs, constraints, problems and mappings against the
// reference study's files, Bitloop's own formats, the shipped presets, and the errors bad files give.
#include "io/arch_io.h"
#include "io/constraints_io.h"
#include "io/mapping_io.h"
#include "io/problem_io.h"
#include "io/yaml_util.h"
#include "util/error.h"
#include "util/temp_path.h"
#include "util/zip_check.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

using namespace bitloop;

namespace
{

const std::string kData = std::string(BITLOOP_TEST_DATA) + "/io";

std::string data(const std::string &rel)
{
    return kData + "/" + rel;
}

// Everything but `source`, `name` and the constraints' `origin`; empty when equal, else the first difference.
std::string archDifference(const Architecture &a, const Architecture &b)
{
    if (a.numLevels() != b.numLevels())
        return "level count " + std::to_string(a.numLevels()) + " vs " + std::to_string(b.numLevels());
    for (int i = 0; i < a.numLevels(); ++i) {
        const StorageLevel &x = a.levels[i], &y = b.levels[i];
        const std::string at = "level " + x.name + ": ";
        if (x.name != y.name)
            return at + "name " + y.name;
        if (x.instances != y.instances || x.meshX != y.meshX)
            return at + "instances/meshX";
        if (x.depth != y.depth || x.wordBits != y.wordBits || x.blockSize != y.blockSize ||
            x.clusterSize != y.clusterSize)
            return at + "depth/word bits/block size/cluster size";
        if (x.readBandwidth != y.readBandwidth || x.writeBandwidth != y.writeBandwidth)
            return at + "bandwidth";
        if (x.mayKeep != y.mayKeep)
            return at + "mayKeep";
        if (x.readEnergy != y.readEnergy || x.writeEnergy != y.writeEnergy ||
            x.updateEnergy != y.updateEnergy)
            return at + "energies";
    }
    const MacUnit &m = a.mac, &n = b.mac;
    if (m.name != n.name || m.instances != n.instances || m.meshX != n.meshX || m.energy != n.energy ||
        m.nativeBits != n.nativeBits || m.scaleWithBits != n.scaleWithBits)
        return "mac";
    const auto &c = a.constraints.targets, &d = b.constraints.targets;
    if (c.size() != d.size())
        return "constraint count " + std::to_string(c.size()) + " vs " + std::to_string(d.size());
    for (size_t i = 0; i < c.size(); ++i) {
        const LevelConstraint &x = c[i], &y = d[i];
        if (x.target != y.target || x.kind != y.kind || x.factors != y.factors ||
            x.permutation != y.permutation || x.permutationHasFreeSlot != y.permutationHasFreeSlot ||
            x.freeSlotAt != y.freeSlotAt || x.split != y.split || x.keep != y.keep ||
            x.searchOnly != y.searchOnly)
            return "constraint " + std::to_string(i) + " on " + x.target + " (" + x.origin + " vs " +
                   y.origin + ")";
    }
    return "";
}

std::string mappingDifference(const Mapping &a, const Mapping &b)
{
    if (a.levels.size() != b.levels.size())
        return "level count";
    for (size_t i = 0; i < a.levels.size(); ++i) {
        const LevelMapping &x = a.levels[i], &y = b.levels[i];
        const std::string at = "level " + std::to_string(i) + ": ";
        if (x.temporal != y.temporal)
            return at + "temporal";
        if (x.order != y.order)
            return at + "order";
        if (x.spatialX != y.spatialX || x.spatialY != y.spatialY)
            return at + "spatial";
        if (x.spatialOrder != y.spatialOrder)
            return at + "spatial order";
        if (x.keep != y.keep)
            return at + "keep";
    }
    return "";
}

DimArray dims(std::initializer_list<std::pair<Dim, int64_t>> factors)
{
    DimArray a{1, 1, 1, 1, 1, 1, 1, 1};
    for (auto [d, f] : factors)
        a[idx(d)] = f;
    return a;
}

std::vector<Dim> perm(const std::string &letters)
{
    std::vector<Dim> out;
    for (char c : letters) {
        Dim d;
        if (dimFromLetter(c, d))
            out.push_back(d);
    }
    return out;
}

struct ExpectedLevel {
    const char *name;
    int64_t instances, meshX, depth;
    int wordBits;
    int64_t blockSize, clusterSize;
    double readBandwidth, writeBandwidth, readEnergy, writeEnergy, updateEnergy;
};

void checkLevels(const Architecture &a, const std::vector<ExpectedLevel> &expected)
{
    QCOMPARE(a.numLevels(), static_cast<int>(expected.size()));
    for (int i = 0; i < a.numLevels(); ++i) {
        const StorageLevel &l = a.levels[i];
        const ExpectedLevel &e = expected[i];
        QCOMPARE(QString::fromStdString(l.name), QString(e.name));
        QCOMPARE(l.instances, e.instances);
        QCOMPARE(l.meshX, e.meshX);
        QCOMPARE(l.depth, e.depth);
        QCOMPARE(l.wordBits, e.wordBits);
        QCOMPARE(l.blockSize, e.blockSize);
        QCOMPARE(l.clusterSize, e.clusterSize);
        QCOMPARE(l.readBandwidth, e.readBandwidth);
        QCOMPARE(l.writeBandwidth, e.writeBandwidth);
        QCOMPARE(l.readEnergy, e.readEnergy);
        QCOMPARE(l.writeEnergy, e.writeEnergy);
        QCOMPARE(l.updateEnergy, e.updateEnergy);
    }
}

// Runs `f`, which must throw an InputError naming `file` at `line` and mentioning `needle`.
void expectInputError(const std::function<void()> &f, const std::string &file, int line,
                      const std::string &needle)
{
    try {
        f();
    } catch (const InputError &e) {
        const std::string what = e.what();
        const std::string name = file.substr(file.rfind('/') + 1);
        QVERIFY2(what.find(name) != std::string::npos, what.c_str());
        if (line > 0)
            QVERIFY2(what.find(":" + std::to_string(line) + ":") != std::string::npos, what.c_str());
        QVERIFY2(what.find(needle) != std::string::npos, what.c_str());
        QCOMPARE(e.line(), line);
        QVERIFY2(what.find('\n') == std::string::npos, what.c_str());
        return;
    }
    QFAIL(("no InputError for " + file).c_str());
}

} // namespace

class TestIo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { qunsetenv("BITLOOP_PRESETS"); }

    void timeloopEyeriss()
    {
        std::vector<std::string> warnings;
        Architecture a = readTimeloopArch(data("eyeriss16/arch.yaml"), &warnings);
        applyErt(a, data("eyeriss16/ert.yaml"), &warnings);
        QVERIFY2(warnings.empty(), warnings.empty() ? "" : warnings.front().c_str());
        checkLevels(a, {
                           {"psum_spad", 168, 14, 24, 16, 1, 1, 2, 2, 0.30161, 0.30161, 0.30161},
                           {"weights_spad", 168, 14, 224, 16, 1, 1, 2, 2, 0.75891, 1.17943, 1.17943},
                           {"ifmap_spad", 168, 14, 12, 16, 1, 1, 2, 2, 0.23632, 0.23632, 0.23632},
                           {"DummyBuffer", 14, 14, 16, 16, 1, 1, 0, 0, 0.2, 0.2, 0.2},
                           {"shared_glb", 1, 1, 51200, 16, 4, 1, 16, 16, 67.9377, 68.7512, 68.7512},
                           {"DRAM", 1, 1, 0, 16, 4, 1, 0, 0, 512, 512, 512},
                       });
        QCOMPARE(QString::fromStdString(a.mac.name), QString("mac"));
        QCOMPARE(a.mac.instances, int64_t(168));
        QCOMPARE(a.mac.meshX, int64_t(14));
        QCOMPARE(a.mac.energy, 2.20035);
        QCOMPARE(a.mac.nativeBits, 16);
        const int glb = a.levelIndex("shared_glb"), dummy = a.levelIndex("DummyBuffer");
        QCOMPARE(a.fanoutX(glb), int64_t(14));
        QCOMPARE(a.fanoutY(glb), int64_t(1));
        QCOMPARE(a.fanoutX(dummy), int64_t(1));
        QCOMPARE(a.fanoutY(dummy), int64_t(12));
        for (const char *inner : {"psum_spad", "weights_spad", "ifmap_spad", "DRAM"})
            QCOMPARE(a.fanout(a.levelIndex(inner)), int64_t(1));
    }

    void timeloopSimba()
    {
        std::vector<std::string> warnings;
        Architecture a = readTimeloopArch(data("simba16/arch.yaml"), &warnings);
        applyErt(a, data("simba16/ert.yaml"), &warnings);
        QVERIFY2(warnings.empty(), warnings.empty() ? "" : warnings.front().c_str());
        checkLevels(a, {
                           {"PEWeightRegs", 256, 16, 1, 16, 1, 64, 0, 0, 0.981156, 0.981156, 0.981156},
                           {"PEAccuBuffer", 64, 16, 128, 16, 1, 1, 0, 0, 1.00522, 1.00522, 1.00522},
                           {"PEWeightBuffer", 64, 16, 16384, 16, 4, 1, 0, 0, 44.75984, 44.75984, 44.75984},
                           {"PEInputBuffer", 16, 16, 32768, 16, 4, 1, 0, 0, 97.18672, 97.18672, 97.18672},
                           {"GlobalBuffer", 1, 1, 32768, 16, 16, 1, 0, 0, 167.0908, 182.7858, 182.7858},
                           {"DRAM", 1, 1, 0, 16, 4, 1, 0, 0, 512, 512, 512},
                       });
        QCOMPARE(QString::fromStdString(a.mac.name), QString("LMAC"));
        QCOMPARE(a.mac.instances, int64_t(256));
        QCOMPARE(a.mac.meshX, int64_t(16));
        QCOMPARE(a.mac.energy, 2.20035);
        auto fan = [&](const char *name) {
            const int i = a.levelIndex(name);
            return std::make_pair(a.fanoutX(i), a.fanoutY(i));
        };
        QCOMPARE(fan("GlobalBuffer"), std::make_pair(int64_t(16), int64_t(1)));
        QCOMPARE(fan("PEInputBuffer"), std::make_pair(int64_t(1), int64_t(4)));
        QCOMPARE(fan("PEAccuBuffer"), std::make_pair(int64_t(1), int64_t(4)));
        QCOMPARE(fan("PEWeightBuffer"), std::make_pair(int64_t(1), int64_t(1)));
        QCOMPARE(fan("PEWeightRegs"), std::make_pair(int64_t(1), int64_t(1)));
    }

    void timeloopConstraints()
    {
        const Architecture a = loadArchitecture(data("eyeriss16"));
        QCOMPARE(a.constraints.targets.size(), size_t(14));
        const LevelConstraint *spatial = nullptr;
        for (const LevelConstraint &c : a.constraints.targets)
            if (c.target == "DummyBuffer" && c.kind == ConstraintKind::Spatial)
                spatial = &c;
        QVERIFY(spatial);
        QCOMPARE(spatial->factors, (std::array<int64_t, kNumDims>{1, -1, -1, -1, 1, 0, 1, 1}));
        QCOMPARE(spatial->permutation, perm("NPQRSCM")); // "NPQR SCM": the space is cosmetic
        QVERIFY(spatial->permutationHasFreeSlot);        // G is not listed
        QCOMPARE(spatial->freeSlotAt, size_t(7));
        QCOMPARE(spatial->split, 4);
        QVERIFY(!spatial->searchOnly);
        const LevelConstraint &last = a.constraints.targets.back();
        QCOMPARE(QString::fromStdString(last.target), QString("DRAM"));
        QVERIFY(last.searchOnly);
        QVERIFY(last.origin.find("map_constraints.yaml:") != std::string::npos);
        // Hardware bypass constraints decide what a level may keep.
        QCOMPARE(a.levels[a.levelIndex("DummyBuffer")].mayKeep, (std::array<bool, 3>{false, false, false}));
        QCOMPARE(a.levels[a.levelIndex("shared_glb")].mayKeep, (std::array<bool, 3>{false, true, true}));

        const Architecture s = loadArchitecture(data("simba16"));
        const LevelConstraint &partial = s.constraints.targets.back(); // PEWeightBuffer: PQMN
        QCOMPARE(partial.permutation, perm("PQMN"));
        QVERIFY(partial.permutationHasFreeSlot);
        QCOMPARE(partial.freeSlotAt, size_t(4));
        QCOMPARE(partial.split, -1);

        const ArchConstraints only = readConstraints(data("eyeriss16/map_constraints.yaml"), a);
        QCOMPARE(only.targets.size(), size_t(3));
    }

    void presetsEqualTimeloopImport()
    {
        for (const char *name : {"eyeriss16", "simba16"}) {
            std::vector<std::string> warnings;
            const Architecture timeloop = loadArchitecture(data(name), &warnings);
            QVERIFY(warnings.empty());
            const Architecture preset = loadArchitecture(name, &warnings);
            QVERIFY(warnings.empty());
            QCOMPARE(QString::fromStdString(preset.name), QString(name));
            QVERIFY(preset.source.find("arch_presets") != std::string::npos);
            const std::string diff = archDifference(timeloop, preset);
            QVERIFY2(diff.empty(), (std::string(name) + ": " + diff).c_str());
        }
    }

    void eightBitPresets()
    {
        for (auto [narrow, wide] :
             {std::make_pair("eyeriss8", "eyeriss16"), std::make_pair("simba8", "simba16")}) {
            const Architecture a8 = loadArchitecture(narrow), a16 = loadArchitecture(wide);
            QCOMPARE(a8.numLevels(), a16.numLevels());
            for (int i = 0; i < a8.numLevels(); ++i) {
                const StorageLevel &x = a8.levels[i], &y = a16.levels[i];
                QCOMPARE(x.name, y.name);
                QCOMPARE(x.wordBits, 8);
                QCOMPARE(x.depth, 2 * y.depth);
                QCOMPARE(x.blockSize, 2 * y.blockSize);
                QCOMPARE(x.clusterSize, y.clusterSize);
                QCOMPARE(x.readBandwidth, 2 * y.readBandwidth);
                QCOMPARE(x.writeBandwidth, 2 * y.writeBandwidth);
                QCOMPARE(x.readEnergy, y.readEnergy);
                QCOMPARE(x.writeEnergy, y.writeEnergy);
                QCOMPARE(x.updateEnergy, y.updateEnergy);
                QCOMPARE(x.instances, y.instances);
                QCOMPARE(x.meshX, y.meshX);
                QCOMPARE(x.mayKeep, y.mayKeep);
            }
            QCOMPARE(a8.mac.energy, 0.56);
            QCOMPARE(a8.mac.nativeBits, 8);
            QCOMPARE(a8.mac.instances, a16.mac.instances);
            QCOMPARE(a8.mac.meshX, a16.mac.meshX);
            QCOMPARE(a8.constraints.targets.size(), a16.constraints.targets.size());
        }
    }

    void presetDirectory()
    {
        const std::vector<std::string> presets = listPresets();
        for (const char *name : {"eyeriss16", "eyeriss8", "simba16", "simba8"})
            QVERIFY(std::find(presets.begin(), presets.end(), name) != presets.end());
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string own = dir.path().toStdString() + "/mine.yaml";
        saveArchitecture(loadArchitecture("simba8"), own);
        qputenv("BITLOOP_PRESETS", dir.path().toUtf8());
        QCOMPARE(listPresets(), std::vector<std::string>{"mine"});
        QCOMPARE(QString::fromStdString(loadArchitecture("mine").name), QString("simba8"));
        qunsetenv("BITLOOP_PRESETS");
        expectInputError([] { loadArchitecture("no_such_preset"); }, "no_such_preset", 0, "eyeriss16");
    }

    void timeloopMapping()
    {
        const Architecture a = loadArchitecture("simba16");
        const Mapping m = loadMapping(data("simba16/layer2-w4-map.yaml"), a);
        QCOMPARE(m.levels.size(), size_t(6));
        auto level = [&](const char *name) -> const LevelMapping & { return m.levels[a.levelIndex(name)]; };
        QCOMPARE(level("DRAM").temporal, dims({{Dim::P, 2}, {Dim::Q, 14}}));
        QCOMPARE(level("DRAM").order, perm("QPCMRSN"));
        QCOMPARE(level("GlobalBuffer").temporal, dims({{Dim::Q, 8}}));
        QCOMPARE(level("GlobalBuffer").spatialX,
                 dims({{Dim::C, 8}, {Dim::M, 2}})); // split 2: M and C along X
        QCOMPARE(level("GlobalBuffer").spatialY, dims({}));
        QCOMPARE(level("GlobalBuffer").spatialOrder, perm("MCRSNPQ"));
        QCOMPARE(level("PEInputBuffer").temporal, dims({}));
        QCOMPARE(level("PEInputBuffer").spatialX, dims({}));
        QCOMPARE(level("PEInputBuffer").spatialY, dims({{Dim::M, 4}})); // split 0: all along Y
        QCOMPARE(level("PEWeightBuffer").temporal, dims({{Dim::R, 3}, {Dim::S, 3}}));
        QCOMPARE(level("PEAccuBuffer").temporal, dims({{Dim::M, 4}}));
        QCOMPARE(level("PEAccuBuffer").spatialY, dims({{Dim::C, 4}}));
        QCOMPARE(level("PEAccuBuffer").spatialX, dims({}));
        QCOMPARE(level("PEWeightRegs").temporal, dims({{Dim::P, 56}}));
        QCOMPARE(level("PEWeightRegs").keep, (std::array<bool, 3>{true, false, false}));
        QCOMPARE(level("GlobalBuffer").keep, (std::array<bool, 3>{false, true, true}));
        QCOMPARE(level("DRAM").keep, (std::array<bool, 3>{true, true, true}));
        for (Dim d : kAllDims) {
            const int64_t expected = d == Dim::C || d == Dim::M   ? 32
                                     : d == Dim::R || d == Dim::S ? 3
                                     : d == Dim::P || d == Dim::Q ? 112
                                                                  : 1;
            QCOMPARE(m.product(d), expected);
        }
    }

    void timeloopMappingDefaults()
    {
        const Architecture a = loadArchitecture("simba16");
        // No split: Timeloop puts every spatial loop along X. No bypass directive: what the hardware forces.
        const YAML::Node root = YAML::Load("mapping:\n"
                                           "  - {target: GlobalBuffer, type: spatial, factors: C=8 M=2}\n"
                                           "  - {target: DRAM, type: temporal, factors: Q=14}\n");
        const Mapping m = parseTimeloopMapping(root, "inline.yaml", a);
        const LevelMapping &gb = m.levels[a.levelIndex("GlobalBuffer")];
        QCOMPARE(gb.spatialX, dims({{Dim::C, 8}, {Dim::M, 2}}));
        QCOMPARE(gb.keep, (std::array<bool, 3>{false, true, true}));
        QCOMPARE(m.levels[a.levelIndex("DRAM")].temporal, dims({{Dim::Q, 14}}));
        QCOMPARE(m.levels[a.levelIndex("PEWeightRegs")].keep, (std::array<bool, 3>{true, false, false}));
    }

    void timeloopMappingWriterRoundTrip()
    {
        const Architecture a = loadArchitecture("simba16");
        const Mapping m = loadMapping(data("simba16/layer2-w4-map.yaml"), a);
        const std::string text = mappingToTimeloopYaml(a, m);
        const Mapping back = parseTimeloopMapping(YAML::Load(text), "written.yaml", a);
        const std::string diff = mappingDifference(m, back);
        QVERIFY2(diff.empty(), (diff + "\n" + text).c_str());
        QVERIFY(text.find("factors: C=8 M=2 R=1 S=1 N=1 P=1 Q=1, permutation: MCRSNPQ, split: 2") !=
                std::string::npos);
        QVERIFY2(text.find(" G=") == std::string::npos && text.find("G,") == std::string::npos &&
                     text.find("G}") == std::string::npos,
                 text.c_str()); // no G factor: stock CNN-Layer

        // G factors (a Grouped-CNN-Layer problem): every directive names G, and the mapping reads back. The
        // Timeloop file's 7-dim permutations gain G where the writer puts it: temporal last, spatial after
        // the X and Y loops.
        Mapping grouped = m;
        LevelMapping &dram = grouped.levels[a.levelIndex("DRAM")];
        LevelMapping &glb = grouped.levels[a.levelIndex("GlobalBuffer")];
        dram.temporal[idx(Dim::G)] = 4;
        glb.temporal[idx(Dim::G)] = 2;
        glb.spatialX[idx(Dim::M)] = 1;
        glb.spatialX[idx(Dim::G)] = 2;
        for (LevelMapping &lm : grouped.levels) {
            if (!lm.order.empty())
                lm.order.push_back(Dim::G);
            if (!lm.spatialOrder.empty())
                lm.spatialOrder.push_back(Dim::G);
        }
        glb.spatialOrder = perm("CGMRSNPQ");
        const std::string groupedText = mappingToTimeloopYaml(a, grouped);
        const Mapping groupedBack = parseTimeloopMapping(YAML::Load(groupedText), "grouped.yaml", a);
        const std::string groupedDiff = mappingDifference(grouped, groupedBack);
        QVERIFY2(groupedDiff.empty(), (groupedDiff + "\n" + groupedText).c_str());
        QVERIFY2(groupedText.find("factors: C=1 M=1 R=1 S=1 N=1 P=2 Q=14 G=4, permutation: QPCMRSNG}") !=
                     std::string::npos,
                 groupedText.c_str());
        QVERIFY2(
            groupedText.find("factors: C=8 M=1 R=1 S=1 N=1 P=1 Q=1 G=2, permutation: CGMRSNPQ, split: 2") !=
                std::string::npos,
            groupedText.c_str());
        QCOMPARE(groupedBack.product(Dim::G), int64_t(16));
        // Bitloop's form says the same.
        QCOMPARE(mappingToYaml(a, groupedBack), mappingToYaml(a, grouped));
    }

    void bitloopMappingRoundTrip()
    {
        const Architecture a = loadArchitecture("simba16");
        Mapping m = loadMapping(data("simba16/layer2-w4-map.yaml"), a);
        m.levels[a.levelIndex("PEAccuBuffer")].spatialX[idx(Dim::M)] = 1;
        m.levels[a.levelIndex("GlobalBuffer")].spatialY[idx(Dim::G)] =
            2; // Bitloop can say what Timeloop cannot
        m.levels[a.levelIndex("DRAM")].order.clear();
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/map.yaml";
        saveMapping(path, a, m);
        const Mapping back = loadMapping(path, a);
        const std::string diff = mappingDifference(m, back);
        QVERIFY2(diff.empty(), (diff + "\n" + mappingToYaml(a, m)).c_str());
        QCOMPARE(mappingToYaml(a, back), mappingToYaml(a, m));
    }

    void bitloopArchRoundTrip()
    {
        for (const char *name : {"eyeriss16", "simba16", "eyeriss8", "simba8"}) {
            Architecture a = loadArchitecture(name);
            a.mac.scaleWithBits = true;
            a.levels[1].readBandwidth = 1.0 / 3.0; // needs all 17 digits
            a.levels[1].updateEnergy = 0.1 + 0.2;
            QTemporaryDir dir;
            const std::string path = dir.path().toStdString() + "/arch.yaml";
            saveArchitecture(a, path, "a header\nof two lines");
            const Architecture back = loadArchitecture(path);
            const std::string diff = archDifference(a, back);
            QVERIFY2(diff.empty(), (std::string(name) + ": " + diff).c_str());
            QCOMPARE(back.name, a.name);
            QCOMPARE(architectureToYaml(back), architectureToYaml(a));
        }
    }

    void problems()
    {
        const std::vector<std::pair<std::string, std::optional<BitWidths>>> files = {
            {"eyeriss16/layer2-16.yaml", std::nullopt},
            {"eyeriss16/layer2-8.yaml", BitWidths::uniform(8)},
            {"eyeriss16/layer2-w4.yaml", BitWidths{{4, 8, 8}}},
            {"eyeriss16/layer2-4.yaml", BitWidths::uniform(4)},
            {"simba16/layer2-w4.yaml", BitWidths{{4, 8, 8}}},
        };
        for (const auto &[file, bits] : files) {
            const ProblemFile p = loadProblem(data(file));
            QCOMPARE(p.shape.bound(Dim::C), int64_t(32));
            QCOMPARE(p.shape.bound(Dim::M), int64_t(32));
            QCOMPARE(p.shape.bound(Dim::R), int64_t(3));
            QCOMPARE(p.shape.bound(Dim::S), int64_t(3));
            QCOMPARE(p.shape.bound(Dim::P), int64_t(112));
            QCOMPARE(p.shape.bound(Dim::Q), int64_t(112));
            QCOMPARE(p.shape.bound(Dim::N), int64_t(1));
            QCOMPARE(p.shape.bound(Dim::G), int64_t(1));
            QCOMPARE(p.shape.wstride, 1);
            QCOMPARE(p.shape.hdilation, 1);
            QCOMPARE(p.bits.has_value(), bits.has_value());
            if (bits)
                QCOMPARE(p.bits->bits, bits->bits);
        }
        const ProblemFile common = parseTimeloopProblem(
            YAML::Load("problem: {instance: {C: 8, M: 4, P: 7, Q: 5, Wstride: 2, commonBitwidth: 6, "
                       "bitwidths: {Weights: 2}}}"),
            "inline.yaml");
        QCOMPARE(common.shape.wstride, 2);
        QCOMPARE(common.shape.hstride, 1);
        QCOMPARE(common.bits->bits, (std::array<int, 3>{2, 6, 6}));

        // A Timeloop problem written by Bitloop reads back the same.
        const ProblemFile p = loadProblem(data("simba16/layer2-w4.yaml"));
        const ProblemFile again =
            parseTimeloopProblem(YAML::Load(problemToTimeloopYaml(p.shape, p.bits)), "w.yaml");
        QVERIFY(again.shape == p.shape);
        QCOMPARE(again.bits->bits, p.bits->bits);

        // Bitloop's own layer form, depthwise as itself.
        const ProblemFile dw = loadProblem(data("layer-dw.yaml"));
        QCOMPARE(QString::fromStdString(dw.name), QString("dw2"));
        QCOMPARE(dw.shape.bound(Dim::G), int64_t(32));
        QCOMPARE(dw.shape.bound(Dim::C), int64_t(1));
        QCOMPARE(dw.shape.bound(Dim::M), int64_t(1));
        QCOMPARE(dw.shape.bound(Dim::P), int64_t(112));
        QCOMPARE(dw.bits->bits, (std::array<int, 3>{4, 8, 8}));
    }

    // MobileNetV1 layer 2 as itself (depthwise: G = 32, C = M = 1, 3x3 at 112x112) through Timeloop's form:
    // the Grouped-CNN-Layer shape spelled out, G in the instance, and back to the same shape and widths.
    void groupedProblemRoundTrip()
    {
        const ProblemFile dw = loadProblem(data("layer-dw.yaml"));
        QCOMPARE(dw.shape.bound(Dim::G), int64_t(32));
        const std::string text = problemToTimeloopYaml(dw.shape, dw.bits);
        for (const char *line :
             {"    name: Grouped-CNN-Layer\n", "    dimensions: [ C, M, R, S, N, P, Q, G ]\n",
              "          - [ [G] ]\n          - [ [C] ]\n          - [ [M] ]\n",
              "          - [ [N] ]\n          - [ [G] ]\n          - [ [C] ]\n"
              "          - [ [R, Wdilation], [P, Wstride] ]\n",
              "          - [ [N] ]\n          - [ [G] ]\n          - [ [M] ]\n"
              "          - [ [Q] ]\n          - [ [P] ]\n        read-write: True\n",
              "    G: 32\n", "    bitwidths: {Inputs: 8, Weights: 4, Outputs: 8}\n"})
            QVERIFY2(text.find(line) != std::string::npos, (std::string(line) + "\nnot in\n" + text).c_str());

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.path().toStdString() + "/dw1.prob.yaml";
        {
            std::ofstream f(path);
            f << text;
        }
        const ProblemFile back = loadProblem(path);
        ProblemShape unpadded = dw.shape; // Timeloop's form leaves padding out
        unpadded.wpad = unpadded.hpad = 0;
        QVERIFY(back.shape == unpadded);
        QCOMPARE(back.shape.bound(Dim::G), int64_t(32));
        QCOMPARE(back.shape.bound(Dim::C), int64_t(1));
        QCOMPARE(back.shape.bound(Dim::M), int64_t(1));
        QCOMPARE(back.shape.bound(Dim::R), int64_t(3));
        QCOMPARE(back.shape.bound(Dim::P), int64_t(112));
        QCOMPARE(back.bits->bits, dw.bits->bits);
        QCOMPARE(QString::fromStdString(back.name), QString("dw1.prob"));
        QCOMPARE(problemToTimeloopYaml(back.shape, back.bits), text);

        // G = 1 stays the stock CNN-Layer, whose text names no G.
        ProblemShape dense = dw.shape;
        dense.bound(Dim::G) = 1;
        const std::string stock = problemToTimeloopYaml(dense);
        QVERIFY2(stock.find("name: CNN-Layer\n") != std::string::npos, stock.c_str());
        QVERIFY2(stock.find('G') == std::string::npos, stock.c_str());
    }

    // The reader takes the two shapes as they are: Grouped-CNN-Layer with other projections or dims, G in a
    // CNN-Layer instance, or any other shape, is an error at the offending line.
    void badGroupedProblems_data()
    {
        QTest::addColumn<bool>("dense");   // edit the stock CNN-Layer form of the layer with G = 1 instead
        QTest::addColumn<QString>("from"); // replaced in the written problem ...
        QTest::addColumn<QString>("to");   // ... by this
        QTest::addColumn<QString>("at");   // the error's line is where this first occurs; empty: the edit's
        QTest::addColumn<QString>("needle");

        QTest::newRow("other shape") << false << "name: Grouped-CNN-Layer"
                                     << "name: Depthwise-CNN-Layer"
                                     << ""
                                     << "shape 'Depthwise-CNN-Layer' is not supported";
        QTest::newRow("dimension missing") << false << "[ C, M, R, S, N, P, Q, G ]"
                                           << "[ C, M, R, S, N, P, Q ]"
                                           << ""
                                           << "Grouped-CNN-Layer has the dimensions C, M, R, S, N, P, Q, G";
        QTest::newRow("unknown dimension") << false << "[ C, M, R, S, N, P, Q, G ]"
                                           << "[ C, M, R, S, N, P, Q, K ]"
                                           << ""
                                           << "dimension 'K'";
        QTest::newRow("Inputs without G")
            << false << "- [ [N] ]\n          - [ [G] ]\n          - [ [C] ]\n          - [ [R"
            << "- [ [N] ]\n          - [ [C] ]\n          - [ [R"
            << ""
            << "data space 'Inputs': the projection is not Grouped-CNN-Layer's";
        QTest::newRow("Outputs not read-write") << false << "read-write: True"
                                                << "read-write: False"
                                                << ""
                                                << "Outputs is read-write";
        QTest::newRow("G in CNN-Layer") << true << "  instance:\n"
                                        << "  instance:\n    G: 32\n"
                                        << "    G: 32"
                                        << "'G' needs the shape Grouped-CNN-Layer";
    }
    void badGroupedProblems()
    {
        QFETCH(bool, dense);
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, at);
        QFETCH(QString, needle);
        ProblemFile dw = loadProblem(data("layer-dw.yaml"));
        if (dense)
            dw.shape.bound(Dim::G) = 1;
        std::string text = problemToTimeloopYaml(dw.shape, dw.bits);
        size_t pos = text.find(from.toStdString());
        QVERIFY2(pos != std::string::npos, qPrintable(from));
        text.replace(pos, from.toStdString().size(), to.toStdString());
        if (!at.isEmpty())
            pos = text.find(at.toStdString());
        QVERIFY(pos != std::string::npos);
        const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + pos, '\n'));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.path().toStdString() + "/bad.prob.yaml";
        {
            std::ofstream f(path);
            f << text;
        }
        expectInputError([&] { loadProblem(path); }, path, line, needle.toStdString());
    }

    void warnings()
    {
        std::vector<std::string> warnings;
        const Architecture a = loadArchitecture(data("warn-arch.yaml"), &warnings);
        QCOMPARE(warnings.size(), size_t(1));
        QVERIFY2(warnings[0].find("warn-arch.yaml:15:") != std::string::npos, warnings[0].c_str());
        QVERIFY2(warnings[0].find("colour") != std::string::npos, warnings[0].c_str());
        const StorageLevel &buffer = a.levels[a.levelIndex("buffer")];
        QCOMPARE(buffer.instances, int64_t(4));
        QCOMPARE(buffer.meshX, int64_t(4)); // Timeloop: no meshX -> all instances along X
        QCOMPARE(buffer.wordBits, 8);       // inherited from the system node
        QCOMPARE(buffer.blockSize, int64_t(1));
        QCOMPARE(buffer.clusterSize, int64_t(8)); // width 64 / (8 bits * block 1), as in Timeloop
        QCOMPARE(buffer.depth, int64_t(256));
        QCOMPARE(a.mac.instances, int64_t(16));
        QCOMPARE(a.fanoutX(0), int64_t(1));
        QCOMPARE(a.fanoutY(0), int64_t(4));

        // ERT problems are warnings too.
        Architecture e = loadArchitecture(data("eyeriss16/arch.yaml"));
        warnings.clear();
        applyErt(
            e,
            YAML::Load(
                "ERT:\n  tables:\n"
                "    - {name: x.psum_spad, actions: [{name: read, energy: 1}, {name: write, energy: 2},\n"
                "        {name: read, arguments: {data_delta: 1}, energy: 3}]}\n"
                "    - {name: x.nothing, actions: []}\n"
                "    - {name: x.mac, actions: [{name: mac_gated, energy: 0.1}, {name: mac_reused, energy: "
                "0.5}]}\n"),
            "ert.yaml", &warnings);
        const StorageLevel &psum = e.levels[e.levelIndex("psum_spad")];
        QCOMPARE(psum.readEnergy, 3.0); // the most expensive of the read entries
        QCOMPARE(psum.updateEnergy, 2.0);
        QCOMPARE(e.mac.energy, 0.5);
        QCOMPARE(warnings.size(), size_t(6)); // x.nothing; five levels without a table
        QVERIFY(warnings[0].find("ert.yaml:5:") != std::string::npos);
    }

    void badInputs()
    {
        const Architecture eyeriss = loadArchitecture("eyeriss16");
        const Architecture simba = loadArchitecture("simba16");
        auto arch = [](const std::string &file) { return [file] { loadArchitecture(data(file)); }; };
        auto mapping = [&](const std::string &file) {
            return [&simba, file] { loadMapping(data(file), simba); };
        };
        auto constraints = [&](const std::string &file) {
            return [&eyeriss, file] {
                Architecture copy = eyeriss;
                applyConstraints(copy, data(file));
            };
        };
        auto problem = [](const std::string &file) { return [file] { loadProblem(data(file)); }; };

        expectInputError(arch("bad/malformed.yaml"), "malformed.yaml", 9, "malformed YAML");
        expectInputError(arch("bad/missing-depth.yaml"), "missing-depth.yaml", 10, "'depth' is missing");
        expectInputError(arch("bad/missing-word-bits.yaml"), "missing-word-bits.yaml", 9,
                         "'word-bits' is missing");
        expectInputError(arch("bad/zero-block-size.yaml"), "zero-block-size.yaml", 14,
                         "level 'buffer': 'block-size' must be a positive integer, got 0");
        expectInputError(arch("bad/negative-depth.yaml"), "negative-depth.yaml", 10,
                         "level 'psum_spad': 'depth' must be a non-negative integer, got -4");
        expectInputError(arch("bad/unknown-key.yaml"), "unknown-key.yaml", 9, "'dept'");
        expectInputError(arch("bad/no-such-file.yaml"), "no-such-file.yaml", 0, "nor an existing file");
        expectInputError(mapping("bad/mapping-unknown-level.yaml"), "mapping-unknown-level.yaml", 3,
                         "GlobalBufer");
        expectInputError(mapping("bad/mapping-unknown-tensor.yaml"), "mapping-unknown-tensor.yaml", 5,
                         "Psums");
        expectInputError(mapping("bad/mapping-factor-syntax.yaml"), "mapping-factor-syntax.yaml", 4,
                         "'factors'");
        expectInputError(mapping("bad/mapping-unknown-key.yaml"), "mapping-unknown-key.yaml", 5, "'ordr'");
        expectInputError(constraints("bad/constraint-unknown-level.yaml"), "constraint-unknown-level.yaml", 4,
                         "unknown level 'Dummy'");
        expectInputError(constraints("bad/constraint-unknown-tensor.yaml"), "constraint-unknown-tensor.yaml",
                         6, "'Input'");
        expectInputError(constraints("bad/constraint-factor-syntax.yaml"), "constraint-factor-syntax.yaml", 3,
                         "unknown dimension 'X'");
        expectInputError(constraints("bad/constraint-unknown-key.yaml"), "constraint-unknown-key.yaml", 3,
                         "'factor'");
        expectInputError(constraints("bad/constraint-unknown-type.yaml"), "constraint-unknown-type.yaml", 3,
                         "'temporary'");
        expectInputError(constraints("bad/constraint-conflict.yaml"), "constraint-conflict.yaml", 3,
                         "factor of C is already given");
        expectInputError(problem("bad/problem-shape.yaml"), "problem-shape.yaml", 3, "GEMM");
        expectInputError(problem("bad/problem-unknown-key.yaml"), "problem-unknown-key.yaml", 5, "'Gstride'");
        expectInputError(problem("bad/layer-negative-kernel.yaml"), "layer-negative-kernel.yaml", 6,
                         "kernel");
    }

    // A writer killed between writing its temporary file and renaming it leaves NAME.tmp.HOST.PID; the
    // next write of NAME on this host removes it once that pid runs no more and it is 10 minutes old. Files
    // of other hosts (on a shared disk), of running processes, fresh ones and those of other names stay.
    // A warning on a terminal starts on a clean line (a search's candidate line may stand unfinished there:
    // the warning once ran on after it); into a file or pipe it is the plain line, no escape codes.
    void warningsStartOnACleanTerminalLine()
    {
        const auto captured = [](bool terminal) {
            int master = -1, sink = -1;
            if (terminal) {
                master = ::posix_openpt(O_RDWR | O_NOCTTY);
                if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0)
                    return std::string("no pty");
                sink = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
                termios raw{};
                ::tcgetattr(sink, &raw);
                ::cfmakeraw(&raw); // no \n -> \r\n translation: the bytes as written
                ::tcsetattr(sink, TCSANOW, &raw);
            } else {
                int fds[2];
                if (::pipe(fds) != 0)
                    return std::string("no pipe");
                master = fds[0];
                sink = fds[1];
            }
            std::fflush(stderr);
            const int saved = ::dup(STDERR_FILENO);
            ::dup2(sink, STDERR_FILENO);
            std::fputs("candidate 1 of 4: fine-tuning, step 10 of 400", stderr);
            printWarning("the accuracy cache entry is damaged");
            std::fflush(stderr);
            ::dup2(saved, STDERR_FILENO);
            ::close(saved);
            ::close(sink);
            std::string got;
            char buf[512];
            pollfd pf{master, POLLIN, 0};
            while (::poll(&pf, 1, 200) > 0) {
                const ssize_t n = ::read(master, buf, sizeof buf);
                if (n <= 0)
                    break;
                got.append(buf, static_cast<size_t>(n));
            }
            ::close(master);
            return got;
        };
        QCOMPARE(captured(true),
                 std::string("candidate 1 of 4: fine-tuning, step 10 of 400\r\033[Kwarning: the "
                             "accuracy cache entry is damaged\n"));
        QCOMPARE(captured(false),
                 std::string("candidate 1 of 4: fine-tuning, step 10 of 400warning: the accuracy "
                             "cache entry is damaged\n"));
    }

    void staleTemporariesOfDeadWritersAreRemoved()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("f.yaml").toStdString();
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        // Pids that no process has now: children that ended and were reaped.
        const auto deadPid = [] {
            const pid_t child = ::fork();
            if (child == 0)
                ::_exit(0);
            return child > 0 && ::waitpid(child, nullptr, 0) == child ? child : -1;
        };
        const pid_t dead1 = deadPid(), dead2 = deadPid();
        QVERIFY(dead1 > 0 && dead2 > 0);
        int gate[2];
        QCOMPARE(::pipe(gate), 0);
        const pid_t alive = ::fork(); // runs until the pipe's writing end is closed
        if (alive == 0) {
            char c;
            ::close(gate[1]);
            while (::read(gate[0], &c, 1) > 0) {
            }
            ::_exit(0);
        }
        QVERIFY(alive > 0);
        ::close(gate[0]);
        const std::string mine = path + ".tmp." + host + ".";
        const std::string dead = mine + std::to_string(dead1), running = mine + std::to_string(alive),
                          otherHost = path + ".tmp.other-host." + std::to_string(dead1),
                          notPid = mine + "12ab",
                          otherName =
                              dir.filePath("g.yaml.tmp.").toStdString() + host + "." + std::to_string(dead1),
                          fresh = mine + std::to_string(dead2);
        const auto hourAgo = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
        for (const std::string &f : {dead, running, otherHost, notPid, otherName, fresh}) {
            std::ofstream(f) << "half a file";
            if (f != fresh)
                std::filesystem::last_write_time(f, hourAgo);
        }
        yamlutil::writeFileAtomically(path, "a: 1\n");
        const int again = removeStaleTemporaries(path); // nothing more to remove while `alive` runs
        ::close(gate[1]);
        QCOMPARE(::waitpid(alive, nullptr, 0), alive);
        QCOMPARE(again, 0);
        QVERIFY(!QFile::exists(QString::fromStdString(dead)));
        for (const std::string &f : {running, otherHost, notPid, otherName, fresh})
            QVERIFY2(QFile::exists(QString::fromStdString(f)), f.c_str());
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QCOMPARE(text, std::string("a: 1\n"));
    }

    // LibTorch's reader does not compare a zip entry's checksum: checkStoredZipEntries does, for the
    // archives Python's zipfile (as LibTorch) writes uncompressed.
    void zipChecksumsAreCompared()
    {
        const std::string nine = "123456789"; // CRC-32's check value (ISO 3309)
        QCOMPARE(crc32Of(reinterpret_cast<const unsigned char *>(nine.data()), nine.size()), 0xCBF43926ul);
        QTemporaryDir dir;
        const QString zip = dir.filePath("a.pt");
        QProcess py;
        py.start("python3", {"-c",
                             "import sys, zipfile\n"
                             "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:\n"
                             "    z.writestr('a/version', '3\\n')\n"
                             "    z.writestr('a/data/0', bytes(range(256)) * 4)\n"
                             "    z.comment = b'a comment the end record is searched past'\n",
                             zip});
        QVERIFY(py.waitForFinished(60000) && py.exitCode() == 0);
        std::string bytes;
        {
            std::ifstream in(zip.toStdString(), std::ios::binary);
            bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        const std::vector<ZipEntry> entries = zipEntries(bytes);
        QCOMPARE(entries.size(), size_t(2));
        QCOMPARE(entries[1].name, std::string("a/data/0"));
        QCOMPARE(entries[1].size, size_t(1024));
        QVERIFY(entries[1].stored);
        QCOMPARE(bytes.substr(entries[1].offset, 4), std::string("\x00\x01\x02\x03", 4));
        checkStoredZipEntries(zip.toStdString()); // intact: no error
        // One bit flipped inside the data: an error naming the file and the entry.
        bytes[entries[1].offset + 700] ^= 0x10;
        {
            std::ofstream out(zip.toStdString(), std::ios::binary | std::ios::trunc);
            out << bytes;
        }
        try {
            checkStoredZipEntries(zip.toStdString());
            QFAIL("a flipped bit passed");
        } catch (const InputError &e) {
            QCOMPARE(QString::fromStdString(e.file()), zip);
            QVERIFY2(std::string(e.what()).find("entry 'a/data/0' does not match its checksum") !=
                         std::string::npos,
                     e.what());
        }
        // Not a zip at all: left to the archive reader, which says so itself.
        std::ofstream(dir.filePath("b.pt").toStdString()) << "not a zip";
        checkStoredZipEntries(dir.filePath("b.pt").toStdString());
        QVERIFY(zipEntries("not a zip").empty());
    }
};

QTEST_GUILESS_MAIN(TestIo)
#include "test_io.moc"
