// bitloop-cli as users drive it: Timeloop and Bitloop inputs that must agree, the example mapping that ships
// with the presets, exit statuses and one-line errors, and the layer and preset listings.
#include <QDir>
#include <QFileInfo>
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
const QString kSimba = kData + "/io/simba16";
const QString kExample = kPresets + "/examples/eyeriss16_mobilenet_v1_layer3.yaml";
const QString kExampleTimeloop = kPresets + "/examples/eyeriss16_mobilenet_v1_layer3.map.yaml";

QJsonObject levelNamed(const QJsonObject &ev, const QString &name)
{
    for (const QJsonValue &l : ev["levels"].toArray())
        if (l["name"].toString() == name)
            return l.toObject();
    return {};
}

QJsonObject tensorAt(const QJsonObject &ev, const QString &level, const QString &tensor)
{
    return levelNamed(ev, level)["tensors"].toObject()[tensor].toObject();
}

constexpr double kPjPerUj = 1e6;

QStringList simbaTimeloopArgs()
{
    return {"evaluate",
            "--arch",
            kSimba + "/arch.yaml",
            "--ert",
            kSimba + "/ert.yaml",
            "--constraints",
            kSimba + "/arch_constraints.yaml",
            "--constraints",
            kSimba + "/map_constraints.yaml",
            "--problem",
            kSimba + "/layer2-w4.yaml",
            "--mapping",
            kSimba + "/layer2-w4-map.yaml",
            "--json"};
}

QStringList simbaBitloopArgs()
{
    return {"evaluate",
            "--arch",
            "simba16",
            "--problem",
            kSimba + "/layer2-w4.yaml",
            "--mapping",
            kData + "/cli/simba16_layer2_w4.bitloop.yaml",
            "--json"};
}

QStringList exampleArgs(const QString &mapping)
{
    return {"evaluate", "--arch", "eyeriss16", "--network", "mobilenet_v1",
            "--layer",  "3",      "--mapping", mapping};
}

// What a command's parser accepts (Args' BITLOOP_CLI_LIST_OPTIONS hook), valued and flags together.
QSet<QString> parserOptions(const QString &command)
{
    qputenv("BITLOOP_CLI_LIST_OPTIONS", "1");
    const CliRun r = runCli({command});
    qunsetenv("BITLOOP_CLI_LIST_OPTIONS");
    QSet<QString> options;
    for (const QByteArray &line : r.out.split('\n'))
        for (const QByteArray &word : line.split(' ').mid(1))
            if (!word.isEmpty())
                options.insert(QString::fromUtf8(word));
    return options;
}

QSet<QString> optionsIn(const QString &text)
{
    QSet<QString> options;
    static const QRegularExpression option("--([a-z0-9][a-z0-9-]*)");
    for (auto it = option.globalMatch(text); it.hasNext();)
        options.insert(it.next().captured(1));
    return options;
}

// The usage's command blocks: a command's name starts a line after two spaces, its lines follow.
QMap<QString, QString> usageBlocks()
{
    const CliRun r = runCli({"--help"});
    QMap<QString, QString> blocks;
    QString current;
    bool inCommands = false;
    for (const QString &line : QString::fromUtf8(r.out).split('\n')) {
        if (line == "Commands:") {
            inCommands = true;
            continue;
        }
        if (!inCommands)
            continue;
        if (line.isEmpty())
            break;
        if (line.startsWith("  ") && line.size() > 2 && line[2] != ' ')
            current = line.mid(2).section(' ', 0, 0);
        blocks[current] += line + "\n";
    }
    return blocks;
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The usage text against each command's parser: every option a command accepts is documented (in its
    // block, or in the blocks it refers to: "--arch ..." is evaluate's architecture options, "--network
    // ..." a network's size options, "the map options" and "the accuracy options" those commands'), and
    // every option its own block names is accepted.
    void usageMatchesEveryParser()
    {
        const QMap<QString, QString> blocks = usageBlocks();
        QVERIFY(blocks.size() >= 11);
        for (auto it = blocks.begin(); it != blocks.end(); ++it) {
            const QSet<QString> accepted = parserOptions(it.key());
            const QString &block = it.value();
            QSet<QString> documented = optionsIn(block);
            if (block.contains("--arch ..."))
                documented += {"arch", "ert", "constraints"};
            if (block.contains("--network ..."))
                documented += {"network", "width", "resolution", "classes"};
            if (block.contains("the map options"))
                documented += optionsIn(blocks["map"]);
            if (block.contains("the accuracy options"))
                documented += optionsIn(blocks["accuracy"]);
            for (const QString &o : accepted)
                QVERIFY2(documented.contains(o), qPrintable(it.key() + " accepts --" + o + ", undocumented"));
            for (const QString &o : optionsIn(block))
                QVERIFY2(accepted.contains(o),
                         qPrintable(it.key() + " documents --" + o + ", which it refuses"));
        }
    }

    // Every bitloop-cli command line shown in the README and docs/ uses a command and options that exist.
    void documentedCommandLinesParse()
    {
        const QMap<QString, QString> blocks = usageBlocks();
        QMap<QString, QSet<QString>> accepted;
        QStringList files{kData + "/../../README.md"};
        for (const QFileInfo &f : QDir(kData + "/../../docs").entryInfoList({"*.md"}, QDir::Files))
            files << f.filePath();
        int lines = 0;
        for (const QString &path : files) {
            QFile file(path);
            QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(path));
            QString text = QString::fromUtf8(file.readAll());
            text.replace(QRegularExpression("\\\\\n\\s*"), " "); // continuation lines
            // bitloop-cli where a shell command starts (a line, after ; & | ` ( or a prompt), possibly with a
            // path: not where a script takes its path as an argument.
            static const QRegularExpression call(
                "(?:^|[;&|`(]\\s*|\\$\\s*)(?:[^\\s`]*/)?bitloop-cli ([a-z-]+)([^\\n`|]*)",
                QRegularExpression::MultilineOption);
            for (auto it = call.globalMatch(text); it.hasNext();) {
                const QRegularExpressionMatch m = it.next();
                const QString command = m.captured(1);
                if (command == "qat" || command.startsWith('-') || !m.captured(2).contains("--"))
                    continue; // bitloop-cli-qat, --help/--version, or prose naming a command
                QVERIFY2(blocks.contains(command),
                         qPrintable(path + ": unknown command in " + m.captured(0)));
                if (!accepted.contains(command))
                    accepted[command] = parserOptions(command);
                for (const QString &o : optionsIn(m.captured(2)))
                    QVERIFY2(accepted[command].contains(o),
                             qPrintable(path + ": " + command + " refuses --" + o + " in: " + m.captured(0)));
                ++lines;
            }
        }
        QVERIFY(lines >= 20);
    }

    // The reference study's Simba mapping of MobileNetV1 layer 2 (weights 4, activations 8), once from the
    // Timeloop files and once from the simba16 preset with the mapping in Bitloop's form: the same numbers,
    // and the fork's own figures (tests/data/io/simba16/README.md).
    void timeloopAndBitloopInputsAgree_data()
    {
        QTest::addColumn<QString>("rule");
        QTest::addColumn<double>("energyUj");
        QTest::newRow("fork fill rule") << "fork" << 716.191;
        QTest::newRow("upstream rule") << "elide" << 712.284;
    }
    void timeloopAndBitloopInputsAgree()
    {
        QFETCH(QString, rule);
        QFETCH(double, energyUj);
        CliRun timeloop, bitloop;
        RUN_CLI(timeloop, simbaTimeloopArgs() << "--first-psum" << rule << "--check-search-constraints");
        RUN_CLI(bitloop, simbaBitloopArgs() << "--first-psum" << rule << "--check-search-constraints");
        QCOMPARE(timeloop.status, 0);
        QCOMPARE(bitloop.status, 0);
        const QJsonObject a = timeloop.json(), b = bitloop.json();
        for (const QJsonObject &ev : {a, b}) {
            QVERIFY(ev["valid"].toBool());
            QVERIFY2(qAbs(ev["energy_pj"].toDouble() / kPjPerUj - energyUj) <= 0.0005,
                     qPrintable(QString::number(ev["energy_pj"].toDouble() / kPjPerUj, 'f', 6)));
            QCOMPARE(ev["cycles"].toInteger(), qint64(451584));
            QCOMPARE(ev["macs"].toInteger(), qint64(115605504));
        }
        QCOMPARE(a["energy_pj"].toDouble(), b["energy_pj"].toDouble());

        const QJsonArray la = a["levels"].toArray(), lb = b["levels"].toArray();
        QCOMPARE(la.size(), 6);
        QCOMPARE(lb.size(), la.size());
        for (qsizetype i = 0; i < la.size(); ++i) {
            const QString level = la[i]["name"].toString();
            QCOMPARE(lb[i]["name"].toString(), level);
            const QJsonObject ta = la[i]["tensors"].toObject(), tb = lb[i]["tensors"].toObject();
            QCOMPARE(tb.keys(), ta.keys());
            QVERIFY2(!ta.isEmpty(), qPrintable(level + " keeps nothing"));
            for (const QString &tensor : ta.keys())
                for (const QString &count : QStringList{"reads", "fills", "updates", "instances"}) {
                    const QString where = level + " " + tensor + " " + count;
                    QVERIFY2(ta[tensor][count].isDouble(), qPrintable(where));
                    QVERIFY2(ta[tensor][count] == tb[tensor][count], qPrintable(where));
                }
        }
    }

    // The example mapping that ships in arch_presets/examples, in both forms, under the hardware and the
    // search constraints of the eyeriss16 preset.
    void shippedExample()
    {
        CliRun bitloop, timeloop;
        RUN_CLI(bitloop, exampleArgs(kExample) << "--json"
                                               << "--check-search-constraints");
        QCOMPARE(bitloop.status, 0);
        const QJsonObject ev = bitloop.json();
        QVERIFY2(ev["valid"].toBool(), bitloop.out.constData());
        QCOMPARE(ev["macs"].toInteger(), qint64(32) * 64 * 112 * 112);

        // Counts derived by hand. Loops, outermost first: DRAM Q8 M4 C2 | shared_glb P112, spatial Q14 (X) |
        // DummyBuffer spatial C4 M2 (Y) | weights_spad C4 | psum_spad M8; 14 x 4 x 2 = 112 PEs in use.
        // - DRAM Weights reads: weights bypass the global buffer, so each weights_spad tile (C4 x M8 = 32) is
        //   refilled whenever a DRAM loop over C or M steps; P at shared_glb leaves it alone. Per PE that is
        //   Q8 x M4 x C2 x 32 = 2,048 fills; the 14 PEs along X share a tile (multicast 14), so DRAM reads
        //   8 x 2,048 = 16,384 words: the 2,048 weights once per DRAM step of Q.
        // - DRAM Inputs reads: shared_glb holds C16 x P112 x Q14 = 25,088 inputs; C is the innermost DRAM
        //   loop and M sits outside it, so all 401,408 inputs are fetched once per M step: 4 x 401,408.
        // - psum_spad Outputs updates: one per MAC, 25,690,112 / 112 PEs = 229,376 per PE.
        // - DRAM Outputs updates: C is innermost at DRAM, so each output is written back once: 802,816.
        const QJsonObject dramWeights = tensorAt(ev, "DRAM", "Weights");
        QCOMPARE(dramWeights["reads"].toInteger(), qint64(8 * 2048));
        QCOMPARE(dramWeights["multicast"].toDouble(), 14.0);
        QCOMPARE(tensorAt(ev, "weights_spad", "Weights")["fills"].toInteger(), qint64(8 * 4 * 2 * 32));
        QCOMPARE(tensorAt(ev, "DRAM", "Inputs")["reads"].toInteger(), qint64(4 * 32 * 112 * 112));
        const QJsonObject psums = tensorAt(ev, "psum_spad", "Outputs");
        QCOMPARE(psums["instances"].toInteger(), qint64(112));
        QCOMPARE(psums["updates"].toInteger(), qint64(32) * 64 * 112 * 112 / 112);
        QCOMPARE(tensorAt(ev, "DRAM", "Outputs")["updates"].toInteger(), qint64(64 * 112 * 112));
        // 16,384 words in blocks of 4 at 512 pJ per block access.
        QCOMPARE(dramWeights["energy_pj"].toDouble(), 16384 / 4 * 512.0);

        // Regression figure for the whole layer (Bitloop at the fork's fill rule, 16-bit operands).
        const double energyUj = ev["energy_pj"].toDouble() / kPjPerUj;
        QVERIFY2(qAbs(energyUj - 519.867370) <= 0.0005, qPrintable(QString::number(energyUj, 'f', 6)));
        QCOMPARE(ev["cycles"].toInteger(), qint64(250880));

        RUN_CLI(timeloop, exampleArgs(kExampleTimeloop) << "--json"
                                                        << "--check-search-constraints");
        QCOMPARE(timeloop.status, 0);
        QCOMPARE(timeloop.json(), ev);
    }

    // Every way of getting the input wrong ends with status 2 and one line on stderr naming the file, the
    // line and the offending key or value; nothing is printed on stdout.
    void badInput_data()
    {
        QTest::addColumn<QStringList>("args"); // {dir} is the scratch directory
        QTest::addColumn<QString>("fileName"); // written into it first, when not empty
        QTest::addColumn<QString>("fileText");
        QTest::addColumn<QString>("expectedError"); // a regular expression for stderr
        QTest::addColumn<bool>("oneLine");

        const QStringList evalArch = {"evaluate", "--network", "mobilenet_v1", "--layer",
                                      "3",        "--mapping", kExample,       "--arch"};
        const QStringList evalMapping = {"evaluate",     "--arch",  "eyeriss16", "--network",
                                         "mobilenet_v1", "--layer", "3",         "--mapping"};

        // yaml-cpp reports the unclosed brace where it gives up, at the start of the next line.
        QTest::newRow("malformed YAML") << (evalArch + QStringList{"{dir}/bad_arch.yaml"}) << "bad_arch.yaml"
                                        << "bitloop_architecture: 1\n"
                                           "name: tiny\n"
                                           "mac: {name: mac, instances: 4, mesh_x: 4, energy: 1\n"
                                           "levels:\n"
                                           "  - {name: DRAM, word_bits: 16}\n"
                                        << R"(bad_arch\.yaml:[34]: malformed YAML)" << true;
        QTest::newRow("negative size") << (evalArch + QStringList{"{dir}/negative.yaml"}) << "negative.yaml"
                                       << "bitloop_architecture: 1\n"
                                          "name: tiny\n"
                                          "mac: {name: mac, instances: 4, mesh_x: 4, energy: 1}\n"
                                          "levels:\n"
                                          "  - {name: DRAM, word_bits: 16}\n"
                                          "  - name: psum_spad\n"
                                          "    instances: 4\n"
                                          "    mesh_x: 4\n"
                                          "    word_bits: 16\n"
                                          "    depth: -4\n"
                                       << R"(negative\.yaml:10: .*psum_spad.*'depth'.*-4)" << true;
        QTest::newRow("missing word bits")
            << (evalArch + QStringList{"{dir}/no_word_bits.yaml"}) << "no_word_bits.yaml"
            << "bitloop_architecture: 1\n"
               "name: tiny\n"
               "mac: {name: mac, instances: 4, mesh_x: 4, energy: 1}\n"
               "levels:\n"
               "  - {name: DRAM, word_bits: 16}\n"
               "  - name: psum_spad\n"
               "    instances: 4\n"
               "    mesh_x: 4\n"
               "    depth: 24\n"
            << R"(no_word_bits\.yaml:6: .*psum_spad.*'word_bits' is missing)" << true;
        QTest::newRow("missing word bits, Timeloop")
            << (evalArch + QStringList{kData + "/io/bad/missing-word-bits.yaml"}) << ""
            << ""
            << R"(missing-word-bits\.yaml:9: .*'buffer'.*'word-bits' is missing)" << true;
        QTest::newRow("unknown level in mapping")
            << (evalMapping + QStringList{"{dir}/level.yaml"}) << "level.yaml"
            << "bitloop_mapping: 1\n"
               "levels:\n"
               "  - target: DRAM\n"
               "    temporal: {C: 2, M: 4, Q: 8}\n"
               "  - target: global_buffer\n"
               "    temporal: {P: 112}\n"
            << R"(level\.yaml:5: .*unknown level 'global_buffer')" << true;
        QTest::newRow("unknown tensor in keep")
            << (evalMapping + QStringList{"{dir}/tensor.yaml"}) << "tensor.yaml"
            << "bitloop_mapping: 1\n"
               "levels:\n"
               "  - target: DRAM\n"
               "    temporal: {C: 2, M: 4, Q: 8}\n"
               "  - target: shared_glb\n"
               "    temporal: {P: 112}\n"
               "    keep: [Inputs, Psums]\n"
            << R"(tensor\.yaml:7: .*unknown tensor 'Psums' in 'keep')" << true;
        QTest::newRow("missing mapping file") << (evalMapping + QStringList{"{dir}/nowhere.yaml"}) << ""
                                              << ""
                                              << R"(nowhere\.yaml: no such file)" << true;
        QTest::newRow("layer out of range")
            << QStringList{"evaluate", "--arch", "eyeriss16", "--network", "mobilenet_v1",
                           "--layer",  "99",     "--mapping", kExample}
            << ""
            << ""
            << R"(--layer 99: mobilenet_v1 has 28 layers)" << true;
        QTest::newRow("zero weight bits") << (evalMapping + QStringList{kExample, "--wbits", "0"}) << ""
                                          << ""
                                          << R"(--wbits must be between 1 and \d+, got 0)" << true;
        QTest::newRow("unknown option") << (evalMapping + QStringList{kExample, "--frobnicate"}) << ""
                                        << ""
                                        << R"(unknown option --frobnicate\n)" << true;
        QTest::newRow("near an option") << (evalMapping + QStringList{kExample, "--wbit", "8"}) << ""
                                        << ""
                                        << R"(unknown option --wbit; did you mean --wbits\?)" << true;
        QTest::newRow("unknown command")
            << QStringList{"frobnicate", "--arch", "eyeriss16"} << ""
            << ""
            << R"(^bitloop-cli: unknown command 'frobnicate' \(bitloop-cli --help lists them\)\n$)" << false;
        QTest::newRow("near a command")
            << QStringList{"map-netwrok"} << ""
            << ""
            << R"(^bitloop-cli: unknown command 'map-netwrok'; did you mean 'map-network'\?)" << false;
    }

    // Every command answers --help and -h with its own usage on stdout, exit 0, whatever else the line
    // holds; --version prints the version.
    void helpAndVersion()
    {
        const QStringList commands = {"evaluate", "map",    "map-network",   "train",  "train-supernet",
                                      "accuracy", "search", "search-export", "layers", "presets"};
        for (const QString &c : commands)
            for (const QString &flag : {QStringLiteral("--help"), QStringLiteral("-h")}) {
                CliRun r;
                RUN_CLI(r, QStringList{c, "--arch", "nowhere", flag});
                QCOMPARE(r.status, 0);
                QVERIFY2(r.err.isEmpty(), qPrintable(r.summary()));
                QVERIFY2(
                    r.out.startsWith(("usage: bitloop-cli " + c + " [OPTIONS]\n\n  " + c + " ").toUtf8()),
                    qPrintable(r.summary()));
                // Only this command's block: no other command's line.
                for (const QString &other : commands)
                    if (other != c)
                        QVERIFY2(!r.out.contains(("\n  " + other + " ").toUtf8()),
                                 qPrintable(c + " shows " + other));
            }
        CliRun v;
        RUN_CLI(v, QStringList{"--version"});
        QCOMPARE(v.status, 0);
        QVERIFY2(
            QRegularExpression(R"(^bitloop-cli \d+\.\d+\.\d+\n$)").match(QString::fromUtf8(v.out)).hasMatch(),
            v.out.constData());
    }
    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, fileName);
        QFETCH(QString, fileText);
        QFETCH(QString, expectedError);
        QFETCH(bool, oneLine);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        if (!fileName.isEmpty()) {
            QFile f(dir.filePath(fileName));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(fileText.toUtf8());
        }
        for (QString &a : args)
            a.replace("{dir}", dir.path());
        CliRun r;
        RUN_CLI(r, args);
        QCOMPARE(r.status, 2);
        QVERIFY2(r.out.isEmpty(), r.out.constData());
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(QRegularExpression(expectedError).match(err).hasMatch(), qPrintable(r.summary()));
        if (oneLine) {
            QVERIFY2(err.endsWith('\n') && err.count('\n') == 1, qPrintable(r.summary()));
            QVERIFY(err.startsWith("bitloop-cli evaluate: "));
        }
    }

    // bitloop-cli copied somewhere without bitloop-cli-qat: a LibTorch command names the missing program and
    // says why it is missing (left behind, or a build without LibTorch), exit 2; the other commands work.
    void copiedWithoutItsLibTorchHalf()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString copy = dir.filePath("bitloop-cli");
        QVERIFY(QFile::copy(QStringLiteral(BITLOOP_CLI), copy));
        CliRun r = runProgram(
            copy, {"accuracy", "--checkpoint", dir.filePath("none.pt"), "--wbits", "8", "--abits", "8"},
            cliEnvironment());
        QVERIFY2(r.finished, qPrintable(r.summary()));
        QCOMPARE(r.status, 2);
        QVERIFY2(r.out.isEmpty(), r.out.constData());
#ifdef BITLOOP_TEST_WITH_TORCH
        const QString why =
            "(bitloop-cli-qat runs the LibTorch commands; it is built beside bitloop-cli and must "
            "be copied or installed with it)";
#else
        const QString why = "(this build has no LibTorch: BITLOOP_WITH_TORCH=OFF)";
#endif
        QCOMPARE(QString::fromUtf8(r.err), "bitloop-cli accuracy: cannot start " +
                                               dir.filePath("bitloop-cli-qat") +
                                               ": No such file or directory " + why + "\n");
        CliRun presets = runProgram(copy, {"presets"}, cliEnvironment());
        QCOMPARE(presets.status, 0);
        QVERIFY2(presets.out.contains("eyeriss16"), qPrintable(presets.summary()));
    }

    // A mapping whose factors do not multiply to the layer's bounds is invalid (status 1), not bad input.
    void factorsNotMultiplyingToBound()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile f(dir.filePath("short_p.yaml"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("bitloop_mapping: 1\n"
                "levels:\n"
                "  - {target: DRAM, temporal: {C: 2, M: 4, Q: 8}}\n"
                "  - {target: shared_glb, temporal: {P: 56}, spatial_x: {Q: 14}}\n"
                "  - {target: DummyBuffer, spatial_y: {C: 4, M: 2}}\n"
                "  - {target: weights_spad, temporal: {C: 4}}\n"
                "  - {target: psum_spad, temporal: {M: 8}}\n");
        f.close();
        CliRun r;
        RUN_CLI(r, exampleArgs(f.fileName()) << "--json");
        QCOMPARE(r.status, 1);
        const QJsonObject ev = r.json();
        QCOMPARE(ev["valid"].toBool(true), false);
        const QJsonArray reasons = ev["reasons"].toArray();
        QCOMPARE(reasons.size(), 1);
        QCOMPARE(reasons[0].toString(), QString("factors of P multiply to 56, the bound is 112"));
    }

    // Weights wider than the words of a level that keeps them are bad input, under one rule for evaluate
    // and map (issue 14: evaluate said "invalid mapping", 1, where map said 2): status 2, one line on
    // stderr naming the level, nothing on stdout. (The model's own reasons for such widths are tested in
    // test_model.)
    void weightsWiderThanWord()
    {
        for (const QString &bits : {QString("32"), QString("17")}) {
            CliRun eval, map;
            RUN_CLI(eval, exampleArgs(kExample) << "--wbits" << bits << "--json");
            RUN_CLI(map, QStringList{"map", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer",
                                     "3", "--no-cache", "--wbits", bits});
            for (const CliRun *r : {&eval, &map}) {
                QCOMPARE(r->status, 2);
                QVERIFY2(r->out.isEmpty(), qPrintable(r->summary()));
                QCOMPARE(r->err.count('\n'), 1);
                QVERIFY2(r->err.contains("Weights bit-width " + bits.toUtf8() +
                                         " is wider than the 16-bit words of"),
                         qPrintable(r->summary()));
            }
        }
    }

    void layersListsEveryLayer()
    {
        CliRun r;
        RUN_CLI(r, {"layers", "--network", "mobilenet_v2"});
        QCOMPARE(r.status, 0);
        const QStringList lines = QString::fromUtf8(r.out).split('\n', Qt::SkipEmptyParts);
        QVERIFY(lines.value(0).startsWith("mobilenet_v2: 53 layers"));
        const QRegularExpression numbered(R"(^\s*(\d+)\s+\S)");
        int expected = 1;
        for (const QString &line : lines.mid(1)) {
            const auto m = numbered.match(line);
            QVERIFY2(m.hasMatch(), qPrintable(line));
            QCOMPARE(m.captured(1).toInt(), expected++);
        }
        QCOMPARE(expected - 1, 53);
    }

    void presetsListsTheShippedArchitectures()
    {
        CliRun r;
        RUN_CLI(r, {"presets"});
        QCOMPARE(r.status, 0);
        QStringList names;
        const QRegularExpression entry(R"(^  (\S+)  \()");
        for (const QString &line : QString::fromUtf8(r.out).split('\n'))
            if (const auto m = entry.match(line); m.hasMatch())
                names << m.captured(1);
        for (const char *preset : {"eyeriss16", "eyeriss8", "simba16", "simba8"})
            QVERIFY2(names.contains(preset), qPrintable(names.join(' ')));
        // The example mappings beside the presets are not architectures.
        for (const QString &n : names)
            QVERIFY2(!n.contains("mobilenet"), qPrintable(n));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
