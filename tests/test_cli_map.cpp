// bitloop-cli map and map-network as users drive them: the reference study's Eyeriss counts and optima from
// Timeloop files and from the preset, the on-disk cache seen through the CLI, network totals, exported
// mappings that re-evaluate to the same energy, per-layer bits files, mappings reused from 16 bits, the
// three metrics, and the exit status and message of every bad argument.
//
// Every map and map-network run gets its own --cache-dir (a QTemporaryDir) and --threads 2; evaluate takes
// neither (it never touches the cache). BITLOOP_CACHE_DIR points at a scratch directory as well, so that a
// run can never reach the user's cache.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include "cli_runner.h"

namespace
{

const QString kData = QStringLiteral(BITLOOP_TEST_DATA);
const QString kPresets = QStringLiteral(BITLOOP_PRESETS);
const QString kEyeriss = kData + "/io/eyeriss16";
const QString kBadConstraints = kData + "/cli_map/bad_constraints.yaml";

constexpr double kPjPerUj = 1e6;
constexpr int kMobileNetV1Layers = 28;

// What every mapper run in these tests carries: its own cache and two threads.
QStringList mapperRunOptions(const QTemporaryDir &cache)
{
    return {"--cache-dir", cache.path(), "--threads", "2"};
}

// map on the eyeriss16 preset, MobileNetV1 layer `layer`, with --json.
QStringList mapLayerArgs(const QTemporaryDir &cache, int layer)
{
    return QStringList{
               "map",   "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer", QString::number(layer),
               "--json"} +
           mapperRunOptions(cache);
}

QStringList mapNetworkArgs(const QTemporaryDir &cache)
{
    return QStringList{"map-network", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--json"} +
           mapperRunOptions(cache);
}

QStringList bits(int weights, int activations)
{
    return {"--wbits", QString::number(weights), "--abits", QString::number(activations)};
}

QStringList timeloopEyerissFiles()
{
    return {"--arch",        kEyeriss + "/arch.yaml",
            "--ert",         kEyeriss + "/ert.yaml",
            "--constraints", kEyeriss + "/arch_constraints.yaml",
            "--constraints", kEyeriss + "/map_constraints.yaml"};
}

QString energyText(const QJsonObject &o)
{
    return QString::number(o["energy_pj"].toDouble() / kPjPerUj, 'f', 6) + " uJ";
}

bool writeFile(const QString &path, const QByteArray &text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    return f.write(text) == text.size();
}

// A bits file (core/io/bits_io.h) with one [weights, activations] entry per element.
QByteArray bitsFileText(const QVector<QPair<int, int>> &layers)
{
    QByteArray text = "network: mobilenet_v1\nbits:\n";
    for (const auto &l : layers)
        text +=
            QByteArray("  - [") + QByteArray::number(l.first) + ", " + QByteArray::number(l.second) + "]\n";
    return text;
}

// MobileNetV1's depthwise layers are the even ones up to 26 (dw1 .. dw13); layer 28 is the classifier.
bool isDepthwise(int layer)
{
    return layer % 2 == 0 && layer < kMobileNetV1Layers;
}

} // namespace

class TestCliMap : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // MobileNetV1 layer 2 as the reference study modelled it (dense 32 -> 32 3x3 at 112x112), on its Eyeriss:
    // the exhaustive walk's counts and optimum are those the study's Timeloop fork measured on exactly these
    // files (tests/data/io/eyeriss16/README.md), whether the machine comes as Timeloop files, as the
    // directory that holds them, or as the eyeriss16 preset.
    void eyerissCountsAndOptima_data()
    {
        QTest::addColumn<QStringList>("arch");
        QTest::addColumn<QString>("problem");
        QTest::addColumn<QString>("rule");
        QTest::addColumn<qint64>("validMappings");
        QTest::addColumn<double>("energyUj");
        QTest::addColumn<qint64>("cycles");

        const QList<QPair<QString, QStringList>> archs = {{"Timeloop files", timeloopEyerissFiles()},
                                                          {"Timeloop dir", {"--arch", kEyeriss}},
                                                          {"preset", {"--arch", "eyeriss16"}}};
        for (const auto &[name, arch] : archs) {
            const QByteArray n = name.toUtf8();
            QTest::newRow(n + ", 16 bits, fork") << arch << "layer2-16"
                                                 << "fork" << qint64(11778) << 637.269 << qint64(688128);
            QTest::newRow(n + ", 16 bits, elide") << arch << "layer2-16"
                                                  << "elide" << qint64(11778) << 628.917 << qint64(688128);
            QTest::newRow(n + ", W4 I8 O8, fork") << arch << "layer2-w4"
                                                  << "fork" << qint64(15054) << 398.465 << qint64(9633792);
            QTest::newRow(n + ", W4 I8 O8, elide") << arch << "layer2-w4"
                                                   << "elide" << qint64(15054) << 394.289 << qint64(9633792);
        }
    }
    void eyerissCountsAndOptima()
    {
        QFETCH(QStringList, arch);
        QFETCH(QString, problem);
        QFETCH(QString, rule);
        QFETCH(qint64, validMappings);
        QFETCH(double, energyUj);
        QFETCH(qint64, cycles);
        QTemporaryDir cache;
        QVERIFY(cache.isValid());
        CliRun r;
        RUN_CLI(r, QStringList{"map"} + arch +
                       QStringList{"--problem", kEyeriss + "/" + problem + ".yaml", "--first-psum", rule,
                                   "--count-valid", "--json"} +
                       mapperRunOptions(cache));
        QCOMPARE(r.status, 0);
        const QJsonObject m = r.json();
        QVERIFY2(m["found"].toBool() && m["valid"].toBool(), r.out.constData());
        QCOMPARE(m["valid_mappings"].toInteger(), validMappings);
        QVERIFY2(qAbs(m["energy_pj"].toDouble() / kPjPerUj - energyUj) <= 0.0005, qPrintable(energyText(m)));
        QCOMPARE(m["cycles"].toInteger(), cycles);
        QCOMPARE(m["optimal"].toBool(), true);
        QCOMPARE(m["strategy"].toString(), QString("exhaustive"));
        QCOMPARE(m["mapspace_factorizations"].toDouble(), 70560.0);
        QCOMPARE(m["cached"].toBool(true), false);
        QCOMPARE(m["metric"].toString(), QString("energy"));
        QCOMPARE(m["macs"].toInteger(), qint64(32) * 32 * 3 * 3 * 112 * 112);
    }

    // The cache is keyed by packing factors, not raw widths. In eyeriss16's 16-bit words, 8 and 7 bits both
    // pack 2 operands per word, so 7/7 after 8/8 is a hit (re-evaluated at 7 bits, with the same figures);
    // 5 bits pack 3 per word, a different question. --no-cache neither reads nor reports a hit.
    // A cache location that cannot be used costs speed, not the answer: one warning, the same figures.
    void unusableCacheLocationRunsWithoutIt()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath("a-file");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a directory\n");
        f.close();
        CliRun blocked, none;
        RUN_CLI(blocked, QStringList{"map", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer",
                                     "3", "--json", "--cache-dir", file + "/cache", "--threads", "2"} +
                             bits(8, 8));
        QCOMPARE(blocked.status, 0);
        QVERIFY2(blocked.err.startsWith("warning: the mapper cache cannot be used, running without it:") &&
                     blocked.err.count('\n') == 1,
                 qPrintable(blocked.summary()));
        RUN_CLI(none, QStringList{"map", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer", "3",
                                  "--json", "--no-cache", "--threads", "2"} +
                          bits(8, 8));
        QCOMPARE(blocked.json()["energy_pj"].toDouble(), none.json()["energy_pj"].toDouble());
        QCOMPARE(blocked.json()["mapping"].toArray(), none.json()["mapping"].toArray());
    }

    void cacheThroughTheCli()
    {
        QTemporaryDir cache;
        QVERIFY(cache.isValid());
        CliRun first, again, seven, five, fiveAgain, uncached;
        RUN_CLI(first, mapLayerArgs(cache, 3) + bits(8, 8));
        QCOMPARE(first.status, 0);
        const QJsonObject a = first.json();
        QCOMPARE(a["cached"].toBool(true), false);
        QVERIFY(a["optimal"].toBool());

        RUN_CLI(again, mapLayerArgs(cache, 3) + bits(8, 8));
        QCOMPARE(again.status, 0);
        const QJsonObject b = again.json();
        QCOMPARE(b["cached"].toBool(), true);
        QCOMPARE(b["energy_pj"].toDouble(), a["energy_pj"].toDouble());
        QCOMPARE(b["cycles"].toInteger(), a["cycles"].toInteger());
        QCOMPARE(b["mapping"].toArray(), a["mapping"].toArray());
        QCOMPARE(b["valid_mappings"].toInteger(), a["valid_mappings"].toInteger());
        QCOMPARE(b["levels"].toArray(), a["levels"].toArray());

        RUN_CLI(seven, mapLayerArgs(cache, 3) + bits(7, 7));
        QCOMPARE(seven.status, 0);
        const QJsonObject c = seven.json();
        QCOMPARE(c["cached"].toBool(), true);
        QCOMPARE(c["bits"]["weights"].toInt(), 7);
        QCOMPARE(c["bits"]["inputs"].toInt(), 7);
        QCOMPARE(c["bits"]["outputs"].toInt(), 7);
        QCOMPARE(c["energy_pj"].toDouble(), a["energy_pj"].toDouble());
        QCOMPARE(c["mapping"].toArray(), a["mapping"].toArray());

        RUN_CLI(five, mapLayerArgs(cache, 3) + bits(5, 5));
        QCOMPARE(five.status, 0);
        QCOMPARE(five.json()["cached"].toBool(true), false);
        // 3 operands per word need fewer words than 2: never more energy at the optimum.
        QVERIFY2(five.json()["energy_pj"].toDouble() <= a["energy_pj"].toDouble(),
                 qPrintable(energyText(five.json())));
        RUN_CLI(fiveAgain, mapLayerArgs(cache, 3) + bits(5, 5));
        QCOMPARE(fiveAgain.json()["cached"].toBool(), true);
        QCOMPARE(fiveAgain.json()["energy_pj"].toDouble(), five.json()["energy_pj"].toDouble());

        RUN_CLI(uncached, mapLayerArgs(cache, 3) + bits(8, 8) << "--no-cache");
        QCOMPARE(uncached.status, 0);
        const QJsonObject d = uncached.json();
        QCOMPARE(d["cached"].toBool(true), false);
        QCOMPARE(d["energy_pj"].toDouble(), a["energy_pj"].toDouble());
        QCOMPARE(d["mapping"].toArray(), a["mapping"].toArray());
    }

    // MobileNetV1 at 8/8 on eyeriss16: every layer mapped, network energy is the sum of the layers', and the
    // weight memory is one byte per weight. A second run answers every layer from the cache.
    void mapNetworkTotals()
    {
        QTemporaryDir cache;
        QVERIFY(cache.isValid());
        CliRun first, second;
        RUN_CLI(first, mapNetworkArgs(cache) + bits(8, 8));
        QCOMPARE(first.status, 0);
        const QJsonObject net = first.json();
        QCOMPARE(net["network"].toString(), QString("mobilenet_v1"));
        QCOMPARE(net["all_found"].toBool(), true);
        const QJsonArray layers = net["layers"].toArray();
        QCOMPARE(layers.size(), kMobileNetV1Layers);
        double energy = 0;
        qint64 cycles = 0, weightBytes = 0;
        for (qsizetype i = 0; i < layers.size(); ++i) {
            const QJsonObject l = layers[i].toObject();
            QCOMPARE(l["index"].toInt(), int(i + 1));
            QVERIFY2(l["found"].toBool() && l["valid"].toBool(), qPrintable(l["name"].toString()));
            QVERIFY2(l["optimal"].toBool(), qPrintable(l["name"].toString()));
            energy += l["energy_pj"].toDouble();
            cycles += l["cycles"].toInteger();
            weightBytes += l["weight_memory_bytes"].toInteger();
        }
        const double total = net["energy_pj"].toDouble();
        QVERIFY2(
            qAbs(total - energy) <= 1e-6 * total,
            qPrintable(
                QString("network %1 pJ, sum of layers %2 pJ").arg(total, 0, 'f', 3).arg(energy, 0, 'f', 3)));
        QCOMPARE(net["cycles"].toInteger(), cycles);
        // Weights of MobileNetV1 (224x224, 1000 classes, no biases): conv1 3x3x3x32 = 864; depthwise 3x3 per
        // channel, 9 x (32+64+128+128+256+256+6x512+1024) = 44,640; pointwise C x M, 32x64 + 64x128 + 128x128
        // + 128x256 + 256x256 + 256x512 + 5x512x512 + 512x1024 + 1024x1024 = 3,139,584; fc 1024x1000 =
        // 1,024,000. In all 4,209,088 weights; at 8 bits, one byte each.
        QCOMPARE(net["weight_memory_bytes"].toInteger(), qint64(4209088));
        QCOMPARE(weightBytes, qint64(4209088));

        RUN_CLI(second, mapNetworkArgs(cache) + bits(8, 8));
        QCOMPARE(second.status, 0);
        const QJsonObject again = second.json();
        const QJsonArray cachedLayers = again["layers"].toArray();
        QCOMPARE(cachedLayers.size(), kMobileNetV1Layers);
        for (const QJsonValue &l : cachedLayers)
            QVERIFY2(l["cached"].toBool(), qPrintable(l["name"].toString()));
        QCOMPARE(again["energy_pj"].toDouble(), total);
        QCOMPARE(again["weight_memory_bytes"].toInteger(), qint64(4209088));
    }

    // --input-channels: the first layer of a built-in network as a search sizes it from its checkpoint
    // (one channel for grey images), so that a search's point can be mapped again from the command line.
    void mapNetworkInputChannels()
    {
        QTemporaryDir cache;
        QVERIFY(cache.isValid());
        const QStringList small = {"--width", "0.25", "--resolution", "32", "--classes", "10"};
        CliRun rgb, grey, bad;
        RUN_CLI(rgb, mapNetworkArgs(cache) + small + bits(8, 8));
        RUN_CLI(grey, mapNetworkArgs(cache) + small + bits(8, 8) + QStringList{"--input-channels", "1"});
        QCOMPARE(rgb.status, 0);
        QCOMPARE(grey.status, 0);
        // conv1 at width 0.25: 3x3 x C x 8 weights, 216 with three channels, 72 with one (one byte each).
        QCOMPARE(rgb.json()["weight_memory_bytes"].toInteger() -
                     grey.json()["weight_memory_bytes"].toInteger(),
                 qint64(144));
        QVERIFY(grey.json()["energy_pj"].toDouble() < rgb.json()["energy_pj"].toDouble());
        RUN_CLI(bad, mapNetworkArgs(cache) + small + bits(8, 8) + QStringList{"--input-channels", "0"});
        QCOMPARE(bad.status, 2);
        QVERIFY2(QString::fromUtf8(bad.err).contains("--input-channels must be between 1"),
                 qPrintable(bad.summary()));
    }

    // --out DIR: every layer's best mapping in Bitloop form, and the layer as a Timeloop problem and map; a
    // depthwise layer's problem in the Grouped-CNN-Layer shape (Timeloop's stock CNN-Layer has no G) and its
    // map with G factors. Re-evaluating an export gives exactly the energy map-network reported.
    void exportedMappingsReevaluate()
    {
        QTemporaryDir cache, out;
        QVERIFY(cache.isValid() && out.isValid());
        const QString outDir = out.filePath("mappings");
        CliRun net;
        RUN_CLI(net, mapNetworkArgs(cache) + bits(8, 8) + QStringList{"--out", outDir});
        QCOMPARE(net.status, 0);
        const QJsonArray layers = net.json()["layers"].toArray();
        QCOMPARE(layers.size(), kMobileNetV1Layers);

        QStringList expected;
        for (int i = 1; i <= kMobileNetV1Layers; ++i) {
            const QString base =
                QString("layer%1_%2").arg(i, 2, 10, QChar('0')).arg(layers[i - 1]["name"].toString());
            expected << base + ".yaml" << base + ".map.yaml" << base + ".prob.yaml";
        }
        QCOMPARE(expected.size(), 3 * kMobileNetV1Layers);
        QStringList written = QDir(outDir).entryList(QDir::Files);
        written.sort();
        expected.sort();
        QCOMPARE(written, expected);

        // Layer 2 (depthwise dw1) and layer 3 (pointwise pw1) from their Timeloop files.
        for (int layer : {2, 3}) {
            const QJsonObject reported = layers[layer - 1].toObject();
            const QString base =
                outDir +
                QString("/layer%1_%2").arg(layer, 2, 10, QChar('0')).arg(reported["name"].toString());
            QCOMPARE(reported["name"].toString(), QString(layer == 2 ? "dw1" : "pw1"));
            QCOMPARE(isDepthwise(layer), layer == 2);
            QFile problem(base + ".prob.yaml"), map(base + ".map.yaml");
            QVERIFY(problem.open(QIODevice::ReadOnly) && map.open(QIODevice::ReadOnly));
            const QByteArray problemText = problem.readAll(), mapText = map.readAll();
            QCOMPARE(problemText.contains("name: Grouped-CNN-Layer\n"), isDepthwise(layer));
            QCOMPARE(problemText.contains("name: CNN-Layer\n"), !isDepthwise(layer));
            QCOMPARE(problemText.contains("    G: 32\n"), isDepthwise(layer));
            QCOMPARE(mapText.contains(" G="), isDepthwise(layer));

            CliRun timeloop;
            RUN_CLI(timeloop, {"evaluate", "--arch", "eyeriss16", "--problem", base + ".prob.yaml",
                               "--mapping", base + ".map.yaml", "--json"});
            QVERIFY2(timeloop.status == 0, qPrintable(timeloop.summary()));
            const QJsonObject t = timeloop.json();
            QVERIFY2(t["valid"].toBool(), timeloop.out.constData());
            QCOMPARE(t["bits"].toObject(), reported["bits"].toObject()); // the problem carries the widths
            QCOMPARE(t["macs"].toInteger(), reported["macs"].toInteger());
            QCOMPARE(t["energy_pj"].toDouble(), reported["energy_pj"].toDouble());
            QCOMPARE(t["cycles"].toInteger(), reported["cycles"].toInteger());
        }
        const QJsonObject pw1 = layers[2].toObject();

        CliRun bitloop;
        RUN_CLI(bitloop, QStringList{"evaluate", "--arch", "eyeriss16", "--network", "mobilenet_v1",
                                     "--layer", "3", "--mapping", outDir + "/layer03_pw1.yaml", "--json"} +
                             bits(8, 8));
        QCOMPARE(bitloop.status, 0);
        const QJsonObject b = bitloop.json();
        QVERIFY2(b["valid"].toBool(), bitloop.out.constData());
        QCOMPARE(b["energy_pj"].toDouble(), pw1["energy_pj"].toDouble());
        QCOMPARE(b["cycles"].toInteger(), pw1["cycles"].toInteger());
    }

    // --bits FILE: per-layer [weights, activations]; a layer's outputs take the next layer's activation
    // width.
    void bitsFile()
    {
        QTemporaryDir cache, dir;
        QVERIFY(cache.isValid() && dir.isValid());
        QVector<QPair<int, int>> perLayer(kMobileNetV1Layers, {8, 8});
        perLayer[2] = {4, 8}; // layer 3
        perLayer[4] = {8, 6}; // layer 5: layer 4's outputs become 6 bits
        const QString path = dir.filePath("bits.yaml");
        QVERIFY(writeFile(path, bitsFileText(perLayer)));
        CliRun r;
        RUN_CLI(r, mapNetworkArgs(cache) << "--bits" << path);
        QCOMPARE(r.status, 0);
        const QJsonArray layers = r.json()["layers"].toArray();
        QCOMPARE(layers.size(), kMobileNetV1Layers);
        auto widths = [&](int layer) { return layers[layer - 1]["bits"].toObject(); };
        QCOMPARE(widths(3)["weights"].toInt(), 4);
        QCOMPARE(widths(3)["inputs"].toInt(), 8);
        QCOMPARE(widths(3)["outputs"].toInt(), 8);
        QCOMPARE(widths(2)["outputs"].toInt(), 8);
        QCOMPARE(widths(4)["outputs"].toInt(), 6);
        QCOMPARE(widths(5)["inputs"].toInt(), 6);
        QCOMPARE(widths(5)["outputs"].toInt(), 8);
        QCOMPARE(widths(28)["outputs"].toInt(), 8); // last_outputs defaults to 8
        // pw1's 2,048 weights at 4 bits take 1,024 bytes instead of 2,048.
        QCOMPARE(layers[2]["weight_memory_bytes"].toInteger(), qint64(1024));
        QCOMPARE(r.json()["weight_memory_bytes"].toInteger(), qint64(4209088 - 1024));
    }

    void badBitsFile_data()
    {
        QTest::addColumn<int>("entries");
        QTest::addColumn<int>("weightsOfLayer5");
        QTest::addColumn<int>("activationsOfLayer5");
        QTest::addColumn<QString>("expectedError"); // {file} is the bits file's path, escaped

        QTest::newRow("27 entries") << 27 << 8 << 8 << R"({file}: .*27 layers.*28)";
        // Line 1 names the network, line 2 opens the list: layer 5 is on line 7.
        QTest::newRow("width 0") << 28 << 0 << 8 << R"({file}:7: .*'weights'.*0)";
        QTest::newRow("width 40") << 28 << 8 << 40 << R"({file}:7: .*'activations'.*40)";
    }
    void badBitsFile()
    {
        QFETCH(int, entries);
        QFETCH(int, weightsOfLayer5);
        QFETCH(int, activationsOfLayer5);
        QFETCH(QString, expectedError);
        QTemporaryDir cache, dir;
        QVERIFY(cache.isValid() && dir.isValid());
        QVector<QPair<int, int>> perLayer(entries, {8, 8});
        perLayer[4] = {weightsOfLayer5, activationsOfLayer5};
        const QString path = dir.filePath("bits.yaml");
        QVERIFY(writeFile(path, bitsFileText(perLayer)));
        CliRun r;
        RUN_CLI(r, mapNetworkArgs(cache) << "--bits" << path);
        QCOMPARE(r.status, 2);
        QVERIFY2(r.out.isEmpty(), r.out.constData());
        const QString err = QString::fromUtf8(r.err);
        expectedError.replace("{file}", QRegularExpression::escape(path));
        QVERIFY2(QRegularExpression(expectedError).match(err).hasMatch(), qPrintable(r.summary()));
        QVERIFY2(err.startsWith("bitloop-cli map-network: ") && err.count('\n') == 1,
                 qPrintable(r.summary()));
    }

    // The flow that maps once at 16 bits and quantizes afterwards: the 16-bit optimum evaluated at W4 I8 O8.
    // It can never beat the mapping co-searched for W4 I8 O8, which is optimal within the same mapspace.
    void mappingReusedFromSixteenBits()
    {
        QTemporaryDir cache;
        QVERIFY(cache.isValid());
        CliRun co, reused, sixteen;
        RUN_CLI(co, mapLayerArgs(cache, 3) + bits(4, 8));
        QCOMPARE(co.status, 0);
        const QJsonObject c = co.json();
        QVERIFY(c["optimal"].toBool());
        QVERIFY(!c.contains("mapping_from_bits"));

        RUN_CLI(reused, mapLayerArgs(cache, 3) + bits(4, 8) << "--reuse-mapping-from-bits"
                                                            << "16");
        QCOMPARE(reused.status, 0);
        const QJsonObject r = reused.json();
        QCOMPARE(r["mapping_from_bits"].toInt(), 16);
        QVERIFY2(r["valid"].toBool(), reused.out.constData());
        QCOMPARE(r["bits"]["weights"].toInt(), 4);
        QCOMPARE(r["bits"]["inputs"].toInt(), 8);
        QCOMPARE(r["bits"]["outputs"].toInt(), 8);
        QVERIFY2(r["energy_pj"].toDouble() >= c["energy_pj"].toDouble(),
                 qPrintable("reused " + energyText(r) + ", co-searched " + energyText(c)));

        // The reused mapping is the 16-bit optimum.
        RUN_CLI(sixteen, mapLayerArgs(cache, 3) + bits(16, 16));
        QCOMPARE(sixteen.status, 0);
        QCOMPARE(r["mapping"].toArray(), sixteen.json()["mapping"].toArray());
    }

    // Each bad argument: status 2, nothing on stdout, one line on stderr saying what was wrong.
    void badArguments_data()
    {
        QTest::addColumn<QStringList>("args"); // after `map --arch eyeriss16 --network mobilenet_v1 --json`
        QTest::addColumn<QString>("expectedError");

        QTest::newRow("layer 0") << QStringList{"--layer", "0"} << R"(mobilenet_v1 has 28 layers)";
        QTest::newRow("layer 29") << QStringList{"--layer", "29"}
                                  << R"(--layer 29: mobilenet_v1 has 28 layers)";
        QTest::newRow("wbits 0") << (QStringList{"--layer", "3"} + bits(0, 8)) << R"(--wbits .*0)";
        QTest::newRow("wbits 17") << (QStringList{"--layer", "3"} + bits(17, 8))
                                  << R"(Weights bit-width 17 is wider than the 16-bit words of weights_spad)";
        QTest::newRow("metric speed") << QStringList{"--layer", "3", "--metric", "speed"}
                                      << R"(--metric must be energy, delay or edp, got 'speed')";
        QTest::newRow("strategy foo")
            << QStringList{"--layer", "3", "--strategy", "foo"} << R"(--strategy must be .*got 'foo')";
        // Mapping at 17 bits means 17-bit operands in 16-bit words, which no level can hold.
        QTest::newRow("reuse from 17 bits")
            << QStringList{"--layer", "3", "--reuse-mapping-from-bits", "17"} << R"(17.*16-bit words)";
        // conv1 has M = 32; the psum scratchpad's M factor fixed at 5 cannot divide it.
        QTest::newRow("unsatisfiable constraints")
            << QStringList{"--layer", "1", "--constraints", kBadConstraints}
            << R"(no mapping can satisfy the constraints: .*\bM\b.*\b32\b)";
    }
    void badArguments()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expectedError);
        QTemporaryDir cache;
        QVERIFY(cache.isValid());
        CliRun r;
        RUN_CLI(r, QStringList{"map", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--json"} + args +
                       mapperRunOptions(cache));
        QCOMPARE(r.status, 2);
        if (r.status != 2)
            return;
        QVERIFY2(r.out.isEmpty(), r.out.constData());
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(QRegularExpression(expectedError).match(err).hasMatch(), qPrintable(r.summary()));
        QVERIFY2(err.startsWith("bitloop-cli map: ") && err.count('\n') == 1, qPrintable(r.summary()));
    }

    // The three metrics on MobileNetV1 layer 3 at 8/8: each optimum is the best of the three under its own
    // metric.
    void metrics()
    {
        QTemporaryDir cache;
        QVERIFY(cache.isValid());
        QJsonObject best[3];
        const QStringList metrics = {"energy", "delay", "edp"};
        for (int i = 0; i < 3; ++i) {
            CliRun r;
            RUN_CLI(r, mapLayerArgs(cache, 3) + bits(8, 8) << "--metric" << metrics[i]);
            QCOMPARE(r.status, 0);
            best[i] = r.json();
            QCOMPARE(best[i]["metric"].toString(), metrics[i]);
            QVERIFY2(best[i]["optimal"].toBool(), qPrintable(metrics[i]));
            QCOMPARE(best[i]["cached"].toBool(true), false); // the metric is part of the cache key
        }
        const QJsonObject &energy = best[0], &delay = best[1], &edp = best[2];
        QVERIFY(energy["energy_pj"].toDouble() <= delay["energy_pj"].toDouble());
        QVERIFY(energy["energy_pj"].toDouble() <= edp["energy_pj"].toDouble());
        QVERIFY(delay["cycles"].toInteger() <= energy["cycles"].toInteger());
        QVERIFY(delay["cycles"].toInteger() <= edp["cycles"].toInteger());
        QVERIFY(edp["edp"].toDouble() <= energy["edp"].toDouble());
        QVERIFY(edp["edp"].toDouble() <= delay["edp"].toDouble());
        for (const QJsonObject &o : best) {
            const double product = o["energy_pj"].toDouble() * double(o["cycles"].toInteger());
            QVERIFY2(qAbs(o["edp"].toDouble() - product) <= 1e-9 * product,
                     qPrintable(o["metric"].toString()));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliMap)
#include "test_cli_map.moc"
