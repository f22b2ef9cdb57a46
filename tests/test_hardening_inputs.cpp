// Bad input that used to crash bitloop-cli or be believed (issue 14, "Hardening"): values past what any
// count can hold, documents that expand or nest without bound, keys given twice, constraint files that say
// nothing, numbers on the command line that are not numbers, and messages that echoed raw input. Each must
// now end with status 2 and one line on stderr naming the file (and the line or key where there is one).
#include <QTemporaryDir>
#include <QtTest>

#include "cli_runner.h"

#include "io/arch_io.h"
#include "io/mapping_io.h"
#include "util/error.h"

using namespace bitloop;

namespace
{

const QString kPresets = QStringLiteral(BITLOOP_PRESETS);
const QString kExample = kPresets + "/examples/eyeriss16_mobilenet_v1_layer3.yaml";

QString timeloopProblem(const QString &instance)
{
    return "problem:\n  shape: {name: CNN-Layer}\n  instance: {" + instance + "}\n";
}

// Nine levels of nine-fold aliases: 9^9 (387 million) leaves from a few hundred bytes, as items of `key`.
QString laughs(const QString &indent)
{
    QString s = indent + "- &a0 [x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i <= 8; ++i) {
        QStringList refs;
        for (int k = 0; k < 9; ++k)
            refs << QString("*a%1").arg(i - 1);
        s += indent + QString("- &a%1 [").arg(i) + refs.join(", ") + "]\n";
    }
    return s;
}

} // namespace

class TestHardeningInputs : public QObject
{
    Q_OBJECT

    QTemporaryDir dir_;

    QString write(const QString &name, const QByteArray &text)
    {
        const QString path = dir_.path() + "/" + name;
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        f.write(text);
        return path;
    }

    // Status 2, nothing on stdout, exactly one line on stderr that names `file` and holds every one of
    // `words`, no control bytes and no more than 400 bytes.
    void expectRefused(const CliRun &r, const QString &file, const QStringList &words)
    {
        QVERIFY2(r.sane(), qPrintable(r.summary()));
        QVERIFY2(r.status == 2, qPrintable(r.summary()));
        QVERIFY2(r.out.isEmpty(), qPrintable(r.summary()));
        QVERIFY2(r.err.count('\n') == 1 && r.err.endsWith('\n'), qPrintable(r.summary()));
        QVERIFY2(r.err.size() <= 400, qPrintable(QString("stderr of %1 bytes").arg(r.err.size())));
        for (char c : r.err.chopped(1))
            QVERIFY2(static_cast<unsigned char>(c) >= 0x20 && c != 0x7F,
                     qPrintable("a control byte on stderr: " + r.summary()));
        QVERIFY2(r.err.contains(file.toUtf8()), qPrintable(r.summary()));
        for (const QString &w : words)
            QVERIFY2(r.err.contains(w.toUtf8()), qPrintable("missing '" + w + "': " + r.summary()));
    }

    CliRun mapProblem(const QString &path)
    {
        return runCli({"map", "--arch", "eyeriss16", "--problem", path, "--no-cache", "--threads", "1"});
    }

private Q_SLOTS:
    // Timeloop problem values had no upper bound: a dilation of 2^63-1 crashed map (SIGFPE), 2^31 gave a
    // negative energy with status 0, 2^62 a plausible energy below the true optimum; an instance dimension of
    // 2^63-1 negative cycles and MACs.
    void timeloopProblemValuesAreBounded_data()
    {
        QTest::addColumn<QString>("instance");
        QTest::addColumn<QString>("key");
        const QString base = "C: 4, M: 4, R: 3, S: 3, N: 1, P: 7, Q: 7";
        QTest::newRow("dilation 2^63-1") << base + ", Wdilation: 9223372036854775807"
                                         << "'Wdilation'";
        QTest::newRow("dilation 2^31") << base + ", Hdilation: 2147483648"
                                       << "'Hdilation'";
        QTest::newRow("dilation 2^62") << base + ", Wdilation: 4611686018427387904"
                                       << "'Wdilation'";
        QTest::newRow("stride 2^40") << base + ", Wstride: 1099511627776"
                                     << "'Wstride'";
        QTest::newRow("P 2^63-1") << "C: 4, M: 4, R: 3, S: 3, N: 1, P: 9223372036854775807, Q: 7"
                                  << "'P'";
        QTest::newRow("coefficient default") << base << "'default'";
        // Each value allowed, their product not: refused as a whole, at the instance.
        QTest::newRow("MACs over 2^56") << "C: 1048576, M: 1048576, R: 1, S: 1, N: 1, P: 1048576, Q: 1"
                                        << "too large";
        QTest::newRow("input halo over 2^56")
            << "C: 65536, M: 1, R: 3, S: 3, N: 1, P: 7, Q: 7, Wdilation: 2147483647, Hdilation: 2147483647"
            << "too large";
    }
    void timeloopProblemValuesAreBounded()
    {
        QFETCH(QString, instance);
        QFETCH(QString, key);
        QString text = timeloopProblem(instance);
        if (QString(QTest::currentDataTag()) == "coefficient default")
            text = "problem:\n  shape:\n    name: CNN-Layer\n    coefficients:\n"
                   "      - {name: Wdilation, default: 9223372036854775807}\n  instance: {" +
                   instance + "}\n";
        const QString path = write("problem.yaml", text.toUtf8());
        expectRefused(mapProblem(path), path, {key});
    }

    // The same for architecture sizes that are multiplied: ranges along a path, entries times block size.
    void timeloopArchitectureSizesAreBounded()
    {
        const QByteArray head = "architecture:\n  version: 0.3\n  subtree:\n    - name: system\n"
                                "      attributes: {word-bits: 16}\n      local:\n"
                                "        - {name: DRAM, class: DRAM, attributes: {block-size: 4}}\n";
        const QByteArray ranges =
            head + "      subtree:\n        - name: PE[0..4611686018427387903]\n          local:\n"
                   "            - {name: \"buf[0..3]\", class: regfile, attributes: {depth: 16}}\n"
                   "            - {name: \"mac[0..3]\", class: intmac, attributes: {datawidth: 16}}\n";
        const QString a = write("ranges.yaml", ranges);
        CliRun r = runCli({"map", "--arch", a, "--network", "mobilenet_v1", "--layer", "2", "--no-cache"});
        expectRefused(r, a, {"too large"});
        const QByteArray depth =
            head + "      subtree:\n        - name: PE[0..3]\n          local:\n"
                   "            - {name: buf, class: regfile, attributes: {depth: 281474976710656, "
                   "block-size: 65536}}\n"
                   "            - {name: mac, class: intmac, attributes: {datawidth: 16}}\n";
        const QString b = write("depth.yaml", depth);
        r = runCli({"map", "--arch", b, "--network", "mobilenet_v1", "--layer", "2", "--no-cache"});
        expectRefused(r, b, {"'depth' * block-size is too large"});
    }

    // Mapping factors whose product wraps were compared with the bound after wrapping.
    void mappingFactorProductsAreBounded()
    {
        const Architecture arch = loadArchitecture("eyeriss16");
        const QString m =
            write("huge.map.yaml", "mapping:\n  - {target: DRAM, type: temporal, factors: P=16777216}\n"
                                   "  - {target: shared_glb, type: temporal, factors: P=16777216}\n"
                                   "  - {target: ifmap_spad, type: temporal, factors: P=16777216}\n");
        try {
            loadMapping(m.toStdString(), arch);
            QFAIL("a mapping whose factors of P multiply past 2^48 was read");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).contains("the product of the factors of P is too large"), e.what());
        }
    }

    // "Billion laughs": a 513-byte Bitloop problem file grew to 4 GB and aborted with std::bad_alloc; every
    // document read is bounded now (problem, network, architecture, constraints, mapping).
    void aliasExpansionIsBounded_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("bitloop problem")
            << "problem"
            << ("layer:\n  name: l\n  type: conv\n  in_channels: 3\n  out_channels: 8\n"
                "  kernel: 3\n  input: 8\n  junk:\n" +
                laughs("    "))
                   .toUtf8();
        QTest::newRow("network") << "network"
                                 << ("network: n\njunk:\n" + laughs("  ") +
                                     "layers:\n  - {name: a, type: fc, in_features: 1, out_features: 2}\n")
                                        .toUtf8();
        QTest::newRow("constraints") << "constraints" << ("targets:\n" + laughs("  ")).toUtf8();
    }
    void aliasExpansionIsBounded()
    {
        QFETCH(QString, kind);
        QFETCH(QByteArray, text);
        const QString path = write("laughs.yaml", text);
        QVERIFY(text.size() < 700);
        QElapsedTimer t;
        t.start();
        CliRun r;
        if (kind == "problem")
            r = mapProblem(path);
        else if (kind == "network")
            r = runCli({"layers", "--network", path});
        else
            r = runCli({"map", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer", "2",
                        "--constraints", path, "--no-cache"});
        expectRefused(r, path, {"expands to more than"});
        QVERIFY2(t.elapsed() < 60000, "refusing took a minute");
    }

    // Keys given twice were accepted, the first value winning: depth 32768 then depth 1 in an architecture,
    // P 112 then P 7 in a problem.
    void duplicateKeysAreRefused()
    {
        QFile preset(kPresets + "/eyeriss16.yaml");
        QVERIFY(preset.open(QIODevice::ReadOnly));
        QByteArray arch = preset.readAll();
        const int at = arch.indexOf("depth: 51200");
        QVERIFY2(at > 0, "the eyeriss16 preset changed: pick another depth");
        const int lineNo = arch.left(at).count('\n') + 1;
        const int lineEnd = arch.indexOf('\n', at);
        const int indent = at - (arch.lastIndexOf('\n', at) + 1);
        arch.insert(lineEnd + 1, QByteArray(indent, ' ') + "depth: 1\n");
        const QString a = write("arch.yaml", arch);
        CliRun r = runCli({"map", "--arch", a, "--network", "mobilenet_v1", "--layer", "2", "--no-cache"});
        expectRefused(r, a + ":" + QString::number(lineNo + 1),
                      {"key 'depth' appears twice", QString("first at line %1").arg(lineNo)});

        const QString p = write("dup.yaml", "problem:\n  shape: {name: CNN-Layer}\n  instance:\n    C: 4\n"
                                            "    M: 4\n    P: 112\n    P: 7\n");
        expectRefused(mapProblem(p), p + ":7", {"key 'P' appears twice (first at line 6)"});
    }

    // An empty, comment-only, `targets:`-null or twice-`targets:` constraints file was taken as "no
    // constraints": a 400 times larger mapspace, status 0.
    void constraintFilesThatSayNothingAreRefused_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("words");
        QTest::newRow("empty") << QByteArray() << "empty";
        QTest::newRow("comment only") << QByteArray("# constraints\n") << "empty";
        QTest::newRow("targets null") << QByteArray("targets:\n") << ":1: 'targets' is empty";
        QTest::newRow("mapspace targets null") << QByteArray("mapspace_constraints:\n  targets:\n")
                                               << ":2: 'mapspace_constraints': 'targets' is empty";
        QTest::newRow("targets twice")
            << QByteArray("targets:\ntargets:\n  - {target: DRAM, type: temporal, factors: R=1}\n")
            << ":2: key 'targets' appears twice";
        QTest::newRow("no constraint key") << QByteArray("mapper: {}\n") << "holds no constraints";
    }
    void constraintFilesThatSayNothingAreRefused()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, words);
        const QString c = write("constraints.yaml", text);
        const CliRun r =
            runCli({"map", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer", "2",
                    "--constraints", c, "--no-cache", "--strategy", "sampled", "--budget", "10"});
        expectRefused(r, c, {words});
    }

    // An explicit empty list is a deliberate "none" and stays accepted.
    void explicitEmptyConstraintListIsAccepted()
    {
        const QString c = write("none.yaml", "targets: []\n");
        CliRun r;
        RUN_CLI(r,
                {"map", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer", "2", "--constraints",
                 c, "--no-cache", "--strategy", "sampled", "--budget", "10", "--threads", "1"});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
    }

    // --width inf and 1e300 gave a network smaller than width 1, 0.5x read as 0.5.
    void commandLineNumbersAreStrict_data()
    {
        QTest::addColumn<QString>("width");
        QTest::addColumn<QString>("words");
        QTest::newRow("inf") << "inf"
                             << "--width must be a number, got inf";
        QTest::newRow("nan") << "nan"
                             << "--width must be a number, got nan";
        QTest::newRow("1e300") << "1e300"
                               << "--width must be between 0.001 and 16, got 1e300";
        QTest::newRow("0.5x") << "0.5x"
                              << "--width must be a number, got 0.5x";
        QTest::newRow("hex") << "0x1p-1"
                             << "--width must be a number";
        QTest::newRow("zero") << "0"
                              << "--width must be between";
        QTest::newRow("empty") << ""
                               << "--width must be a number";
    }
    void commandLineNumbersAreStrict()
    {
        QFETCH(QString, width);
        QFETCH(QString, words);
        const CliRun r = runCli({"layers", "--network", "mobilenet_v1", "--width", width});
        QVERIFY2(r.sane() && r.status == 2, qPrintable(r.summary()));
        QVERIFY2(r.err.count('\n') == 1 && r.err.contains(words.toUtf8()), qPrintable(r.summary()));
    }
    void commandLineNumbersStillRead()
    {
        CliRun r;
        RUN_CLI(r, {"layers", "--network", "mobilenet_v1", "--width", "0.25"});
        QCOMPARE(r.status, 0);
        QVERIFY2(r.out.contains("fc 256 -> 1000"), r.out.constData());
        RUN_CLI(r, {"layers", "--network", "mobilenet_v1", "--width", "5e-1"});
        QCOMPARE(r.status, 0);
        QVERIFY2(r.out.contains("fc 512 -> 1000"), r.out.constData());
    }

    // Messages echoed raw input: control bytes from a binary file, 100 KB of a long scalar, and "bad file"
    // for nesting deeper than about 500 levels.
    void messagesQuoteAndCutWhatTheyEcho()
    {
        QByteArray binary("problem: \"");
        for (int i = 0; i < 256; ++i)
            binary += char(i == '"' ? 1 : i);
        binary += "\"\n";
        const QString b = write("binary.yaml", binary);
        expectRefused(mapProblem(b), b, {});

        const QString l = write("long.yaml", timeloopProblem("C: " + QString(100000, 'x')).toUtf8());
        CliRun r = mapProblem(l);
        expectRefused(r, l, {"'C' must be a positive integer", "... (100000 bytes)"});

        const QString key = write("key.yaml", timeloopProblem("C: 1, \"M\\u0007\\u001b[2J\": 2").toUtf8());
        expectRefused(mapProblem(key), key, {"unknown key '\"M\\x07\\x1B[2J\"'"});

        for (int depth : {300, 600, 5000}) {
            const QString d =
                write("deep.yaml", "problem: " + QByteArray(depth, '[') + QByteArray(depth, ']') + "\n");
            expectRefused(mapProblem(d), d, {"nested too deeply"});
        }
    }

    // The limits leave room for every architecture that ships, and the example mapping.
    void shippedFilesStillRead()
    {
        for (const char *preset : {"eyeriss16", "eyeriss8", "simba16", "simba8"})
            QVERIFY(loadArchitecture(preset).numLevels() > 0);
        CliRun r;
        RUN_CLI(r, {"evaluate", "--arch", "eyeriss16", "--network", "mobilenet_v1", "--layer", "3",
                    "--mapping", kExample});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
    }
};

QTEST_GUILESS_MAIN(TestHardeningInputs)
#include "test_hardening_inputs.moc"
