// bitloop-cli search and search-export as a user runs them, on a small network and the Eyeriss preset with
// the hardware objectives (the accuracy side is exercised in test_qat_eval): the run directory, a run
// killed with SIGKILL and resumed ends exactly where an uninterrupted run ends, the front written and
// exported is that of every configuration evaluated, exports load back and agree with map-network, and bad
// settings are one clear line with status 2.
#include "cli_runner.h"
#include "tiny_network.h"

#include "io/bits_io.h"
#include "search/run_dir.h"
#include "search/sorting.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QtTest>
#include <sqlite3.h>

#include <map>

using namespace bitloop;
using namespace bitloop::search;

namespace
{

// The objectives of every feasible configuration in a run's run.sqlite that no other one dominates.
std::map<std::string, std::vector<double>> nonDominatedOfEverything(const RunDirectory &rd,
                                                                    const std::vector<Objective> &objectives)
{
    std::map<std::string, std::vector<double>> all, front;
    for (const EvaluatedIndividual &e : rd.individuals()) {
        if (e.violation > 0)
            continue;
        std::vector<double> f;
        for (Objective o : objectives)
            f.push_back(e.cost.value(o));
        all.emplace(formatBitConfig(e.bits), f);
    }
    for (const auto &[bits, f] : all) {
        bool dominated = false;
        for (const auto &other : all)
            dominated |= dominates(other.second, f);
        if (!dominated)
            front.emplace(bits, f);
    }
    return front;
}

} // namespace

class TestCliSearch : public QObject
{
    Q_OBJECT

    QTemporaryDir tmp_;
    QString net_, cache_;

    QString path(const QString &name) const { return tmp_.filePath(name); }
    // Energy and memory by default: the narrowest configuration is the whole front. Energy, cycles and
    // memory conflict on this network and give fronts of several points.
    QStringList searchArgs(const QString &out, int generations,
                           const QString &objectives = QStringLiteral("energy,memory")) const
    {
        return {"search",
                "--arch",
                "eyeriss16",
                "--network",
                net_,
                "--objectives",
                objectives,
                "--allowed-bits",
                "2,4,8",
                "--population",
                "6",
                "--generations",
                QString::number(generations),
                "--seed",
                "5",
                "--out",
                out,
                "--cache-dir",
                cache_,
                "--threads",
                "1"};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp_.isValid());
        net_ = path("tiny.yaml");
        QFile f(net_);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kTinyNetworkYaml);
        f.close();
        cache_ = path("cache");
    }

    void searchWritesTheRunDirectory()
    {
        CliRun r;
        RUN_CLI(r, searchArgs(path("run"), 3));
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        QVERIFY2(r.out.contains("gen   3  evals     24"), r.out.constData());
        for (const char *f : {"settings.yaml", "run.sqlite", "checkpoint.txt", "front.csv", "front.json"})
            QVERIFY2(QFile::exists(path("run/") + f), f);
        const QList<QByteArray> lines = readFile(path("run/front.csv")).trimmed().split('\n');
        QVERIFY(lines.size() >= 2);
        QCOMPARE(lines[0],
                 QByteArray("energy_uJ,memory_bytes,L01_conv1_w,L01_conv1_a,L02_dw2_w,L02_dw2_a,L03_pw2_w,"
                            "L03_pw2_a,L04_fc_w,L04_fc_a"));
        // The narrowest uniform configuration is on every energy/memory front: the least memory there is.
        // 216 + 72 + 128 + 160 = 576 weights at 2 bits = 144 bytes.
        QVERIFY2(readFile(path("run/front.csv")).contains(",144,2,2,2,2,2,2,2,2\n"),
                 readFile(path("run/front.csv")));
        QVERIFY(readFile(path("run/settings.yaml")).contains("arguments: [\"--arch\", \"eyeriss16\""));
        // A second search into the same directory is refused: it would mix two runs.
        CliRun again;
        RUN_CLI(again, searchArgs(path("run"), 3));
        QCOMPARE(again.status, 2);
        QVERIFY2(again.err.contains("--resume"), qPrintable(again.summary()));
    }

    // Weights held at 8 bits while the activations range over 2 and 4: memory is the same everywhere (576
    // weights, one byte each), so the least energy, 8/2 in every layer, is the whole front.
    void eachTensorItsOwnWidths()
    {
        CliRun r;
        RUN_CLI(r, searchArgs(path("own"), 2)
                       << QStringList{"--allowed-weight-bits", "8", "--allowed-activation-bits", "2,4"});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        const QList<QByteArray> lines = readFile(path("own/front.csv")).trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QVERIFY2(lines[1].endsWith(",576,8,2,8,2,8,2,8,2"), lines[1].constData());
        QVERIFY(readFile(path("own/settings.yaml")).contains("\"--allowed-activation-bits\", \"2,4\""));
    }

    // Relative paths are recorded absolute (a preset's name as it is), so the run resumes from any folder;
    // before, --resume from elsewhere looked for "tiny.yaml" there and refused.
    void relativePathsResumeFromAnywhere()
    {
        const QString work = path("work");
        QVERIFY(QDir().mkpath(work));
        QVERIFY(QFile::copy(net_, work + "/net.yaml"));
        QStringList args = searchArgs("rel", 4);
        args[args.indexOf("--network") + 1] = "net.yaml";
        args[args.indexOf("--generations") + 1] = "2"; // stops at 2 of 4 below
        CliRun first = runProgram(QStringLiteral(BITLOOP_CLI), args, cliEnvironment(), work);
        QVERIFY2(first.finished && first.status == 0, qPrintable(first.summary()));
        const QByteArray settings = readFile(work + "/rel/settings.yaml");
        const QString abs = QDir(work).absoluteFilePath("net.yaml");
        QVERIFY2(settings.contains("\"--network\", \"" + abs.toUtf8() + "\""), settings.constData());
        QVERIFY(settings.contains("\"--arch\", \"eyeriss16\"")); // a name stays a name
        QVERIFY(settings.contains("\"--out\", \"rel\""));        // the run is found by --resume's directory
        CliRun resumed = runProgram(QStringLiteral(BITLOOP_CLI),
                                    {"search", "--resume", work + "/rel", "--generations", "4"},
                                    cliEnvironment(), path("."));
        QVERIFY2(resumed.finished && resumed.status == 0, qPrintable(resumed.summary()));
        QVERIFY2(resumed.out.contains("gen   4  evals     30"), resumed.out.constData());
    }

    void killedRunResumesToTheSameFront()
    {
        CliRun whole;
        RUN_CLI(whole, searchArgs(path("whole"), 8, "energy,cycles,memory"));
        QVERIFY2(whole.status == 0, qPrintable(whole.summary()));

        // Start a long run and kill it (SIGKILL: no chance to clean up) once it has stored generation 2.
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("BITLOOP_PRESETS", QStringLiteral(BITLOOP_PRESETS));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(BITLOOP_CLI), searchArgs(path("killed"), 1000, "energy,cycles,memory"));
        QVERIFY(p.waitForStarted(10000));
        const QByteArray seen = readOutputUntil(p, "gen   2");
        QVERIFY2(seen.contains("gen   2"), seen.constData());
        p.kill();
        p.waitForFinished();

        CliRun resumed;
        RUN_CLI(resumed, QStringList{"search", "--resume", path("killed"), "--generations", "8"});
        QVERIFY2(resumed.status == 0, qPrintable(resumed.summary()));
        QVERIFY2(resumed.out.startsWith("Resuming"), resumed.out.constData());
        QCOMPARE(readFile(path("killed/front.csv")), readFile(path("whole/front.csv")));
        QCOMPARE(readFile(path("killed/front.json")), readFile(path("whole/front.json")));
        // Each generation's hypervolume and front size as stored (and printed) by the uninterrupted run.
        const RunDirectory killedDir(path("killed").toStdString()), wholeDir(path("whole").toStdString());
        const auto gk = killedDir.generations(), gw = wholeDir.generations();
        QCOMPARE(gk.size(), gw.size());
        for (size_t g = 0; g < gw.size(); ++g) {
            QCOMPARE(gk[g].hypervolume, gw[g].hypervolume);
            QCOMPARE(gk[g].frontSize, gw[g].frontSize);
        }
    }

    // A run has one writer: while a search runs, a second `search --resume` of its directory is refused
    // before it touches anything (exit 2, naming the lock and the process holding it); exporting a point
    // only reads, so it goes ahead; and a writer killed with SIGKILL leaves no stale lock behind.
    void secondWriterIsRefused()
    {
        QProcess p;
        p.setProcessEnvironment(cliEnvironment());
        p.start(QStringLiteral(BITLOOP_CLI), searchArgs(path("busy"), 100000, "energy,cycles,memory"));
        QVERIFY(p.waitForStarted(10000));
        const QByteArray seen = readOutputUntil(p, "gen   2");
        QVERIFY2(seen.contains("gen   2"), seen.constData());
        const QByteArray settingsBefore = readFile(path("busy/settings.yaml"));

        CliRun second;
        RUN_CLI(second, QStringList{"search", "--resume", path("busy"), "--generations", "8"});
        QCOMPARE(second.status, 2);
        const QByteArray holder = QStringLiteral("%1: another process is writing this run (pid %2 on ")
                                      .arg(path("busy/run.lock"))
                                      .arg(p.processId())
                                      .toUtf8();
        QVERIFY2(second.err.contains(holder), qPrintable(second.summary()));
        QVERIFY2(!second.out.contains("Resuming"), qPrintable(second.summary()));
        QCOMPARE(readFile(path("busy/settings.yaml")), settingsBefore);
        QCOMPARE(QString::fromStdString(*RunDirectory::writer(path("busy").toStdString())).section(' ', 0, 1),
                 QStringLiteral("pid %1").arg(p.processId()));
        CliRun exported;
        RUN_CLI(exported, QStringList{"search-export", "--run", path("busy"), "--point", "1", "--out",
                                      path("busy-export")});
        QVERIFY2(exported.status == 0, qPrintable(exported.summary()));
        QVERIFY(p.state() == QProcess::Running);

        p.kill();
        p.waitForFinished();
        // The kernel dropped the killed writer's lock with it: nothing stale stands in the resume's way.
        QVERIFY(!RunDirectory::writer(path("busy").toStdString()));
        int stored = -1;
        try {
            stored = RunDirectory::openToRead(path("busy").toStdString())->generations().back().generation;
        } catch (const std::exception &e) {
            QFAIL(e.what());
        }
        CliRun resumed;
        RUN_CLI(resumed, QStringList{"search", "--resume", path("busy"), "--generations",
                                     QString::number(stored + 1)});
        QVERIFY2(resumed.status == 0, qPrintable(resumed.summary()));
        QVERIFY2(resumed.out.startsWith("Resuming"), resumed.out.constData());
        QCOMPARE(RunDirectory::openToRead(path("busy").toStdString())->generations().back().generation,
                 stored + 1);
    }

    // A damaged run.sqlite is refused on resume with one line naming the file and what is wrong, exit 2:
    // bit-widths that are not numbers (a crash with "stoi" before), and a row for another network.
    void damagedRunIsRefusedOnResume_data()
    {
        QTest::addColumn<QString>("bits");
        QTest::addColumn<QString>("says");
        QTest::newRow("not a number") << "8/x 2/2 2/2 2/2"
                                      << "has the bit-widths '8/x 2/2 2/2 2/2'";
        QTest::newRow("out of range") << "8/99 2/2 2/2 2/2"
                                      << "expected weight/activation pairs of 1 to 32";
        QTest::newRow("empty") << ""
                               << "has the bit-widths ''";
        QTest::newRow("other network") << "8/8 8/8"
                                       << "has 2 layers' bit-widths, the network has 4";
    }
    void damagedRunIsRefusedOnResume()
    {
        QFETCH(QString, bits);
        QFETCH(QString, says);
        const QString dir = path("damaged-" + QString::number(qHash(bits)));
        CliRun r;
        RUN_CLI(r, searchArgs(dir, 2));
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open((dir + "/run.sqlite").toUtf8().constData(), &db), SQLITE_OK);
            const QByteArray sql = "UPDATE individuals SET bits = '" + bits.toUtf8() + "' WHERE id = 1";
            QCOMPARE(sqlite3_exec(db, sql.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
        const QByteArray front = readFile(dir + "/front.csv");
        CliRun resumed;
        RUN_CLI(resumed, QStringList{"search", "--resume", dir, "--generations", "4"});
        QCOMPARE(resumed.status, 2);
        QVERIFY2(resumed.err.contains((dir + "/run.sqlite").toUtf8()) && resumed.err.contains("damaged") &&
                     resumed.err.contains(says.toUtf8()),
                 qPrintable(resumed.summary()));
        QCOMPARE(resumed.err.count('\n'), 1);
        QCOMPARE(readFile(dir + "/front.csv"), front); // nothing lost
    }

    // --warm-start DIR: a new search (here with room for them all) starts from every configuration of the
    // earlier run's front, so its first generation already holds that front; under a bound it starts from
    // the earlier configurations that meet it. The run resumes without the earlier run.
    void warmStartBeginsFromTheEarlierFront()
    {
        const QString objectives = "energy,cycles,memory";
        CliRun earlier;
        RUN_CLI(earlier, searchArgs(path("ws-earlier"), 3, objectives));
        QVERIFY2(earlier.status == 0, qPrintable(earlier.summary()));
        const auto earlierFront = readFrontCsv(path("ws-earlier/front.csv").toStdString(), 3);
        QCOMPARE(earlierFront.size(), size_t(8)); // 2/2 and 8/8 among them: 6 for the 7 places left

        auto warm = [&](const QString &out, const QStringList &extra) {
            QStringList args = searchArgs(out, 0, objectives);
            args[args.indexOf("--population") + 1] = "10";
            const int generations = args.indexOf("--generations");
            args.remove(generations, 2);
            args << "--max-evaluations"
                 << "10"
                 << "--warm-start" << path("ws-earlier") << extra;
            return args;
        };
        CliRun r;
        RUN_CLI(r, warm(path("ws-warm"), {}));
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        QVERIFY2(r.out.contains("gen   0  evals     10"), r.out.constData());
        QCOMPARE(readFile(path("ws-warm/front.csv")), readFile(path("ws-earlier/front.csv")));
        const QByteArray settings = readFile(path("ws-warm/settings.yaml"));
        QVERIFY2(settings.contains("\"--warm-start\", \"" + path("ws-earlier").toUtf8() + "\""),
                 settings.constData());

        // Under --max-energy 0.2 uJ three earlier configurations besides 2/2 meet the bound (0.1556, 0.1619
        // and 0.1804 uJ); they lead the seeds, the one that dominates the other two first, and the rest of
        // the population are the earlier ones that miss the bound least.
        CliRun bounded;
        RUN_CLI(bounded, warm(path("ws-bounded"), {"--max-energy", "0.2"}));
        QVERIFY2(bounded.status == 0, qPrintable(bounded.summary()));
        const RunDirectory rd(path("ws-bounded").toStdString());
        const auto initial = rd.individuals();
        QCOMPARE(initial.size(), size_t(10));
        QCOMPARE(formatBitConfig(initial[3].bits), std::string("2/2 4/2 2/2 2/2"));
        QCOMPARE(formatBitConfig(initial[4].bits), std::string("4/2 2/2 2/2 2/4"));
        QCOMPARE(formatBitConfig(initial[5].bits), std::string("2/2 2/2 2/2 8/2"));
        for (size_t i = 0; i < initial.size(); ++i)
            QCOMPARE(initial[i].violation == 0, i == 0 || (i >= 3 && i <= 5));
        for (size_t i = 7; i < initial.size(); ++i)
            QVERIFY(initial[i].violation >= initial[i - 1].violation);

        // A resumption needs only its own directory.
        QVERIFY(QDir(path("ws-earlier")).removeRecursively());
        CliRun resumed;
        RUN_CLI(resumed, QStringList({"search", "--resume", path("ws-warm"), "--max-evaluations", "20"}));
        QVERIFY2(resumed.status == 0, qPrintable(resumed.summary()));
        QVERIFY2(resumed.out.contains("gen   1  evals     20"), resumed.out.constData());
    }

    // A warm start that cannot be one: one line naming the directory and what is wrong, status 2, and no
    // run directory is made.
    void warmStartBadInput_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("says");
        QTest::newRow("no run there") << QStringList{"--warm-start", "nowhere"}
                                      << "--warm-start nowhere: nowhere/run.sqlite: no search run here";
        QTest::newRow("other network") << QStringList{"--warm-start", "ws-three"}
                                       << "ws-three: holds a search of a network with 3 layers; tiny has 4";
        QTest::newRow("widths not allowed")
            << QStringList{"--warm-start", "ws-source", "--allowed-bits", "3,5,8"}
            << "ws-source: none of its configurations fits this search's allowed bit-widths (the first has "
               "layer 1 at 2 weight bits)";
        QTest::newRow("its own directory")
            << QStringList{"--warm-start", "ws-bad"} << "--warm-start ws-bad is the run's own directory";
    }
    void warmStartBadInput()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, says);
        static bool made = false;
        if (!made) {
            made = true;
            CliRun source;
            RUN_CLI(source, searchArgs(path("ws-source"), 1));
            QVERIFY2(source.status == 0, qPrintable(source.summary()));
            QFile three(path("three.yaml"));
            QVERIFY(three.open(QIODevice::WriteOnly));
            three.write(QByteArray(kTinyNetworkYaml).replace("  - {name: dw2", "  # - {name: dw2"));
            three.close();
            QStringList args = searchArgs(path("ws-three"), 1);
            args[args.indexOf("--network") + 1] = path("three.yaml");
            CliRun other;
            RUN_CLI(other, args);
            QVERIFY2(other.status == 0, qPrintable(other.summary()));
        }
        QStringList args = searchArgs("ws-bad", 1);
        if (const int allowed = extra.indexOf("--allowed-bits"); allowed >= 0) {
            args[args.indexOf("--allowed-bits") + 1] = extra[allowed + 1];
            extra.remove(allowed, 2);
        }
        args << extra;
        CliRun r = runProgram(QStringLiteral(BITLOOP_CLI), args, cliEnvironment(), path("."));
        QVERIFY(r.finished);
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains(says.toUtf8()), qPrintable(r.summary()));
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY(!QFile::exists(path("ws-bad")));
    }

    // front.csv, front.json and --point K come from every configuration the run evaluated: all of the
    // non-dominated ones are there and nothing dominated is; the hypervolume printed never falls. (In this
    // run the last population's first front, which used to be reported, lacks six of the nine and holds one
    // that an earlier evaluation dominates, and its hypervolume falls.)
    void frontIsThatOfEveryEvaluation()
    {
        CliRun r;
        RUN_CLI(r, searchArgs(path("archive"), 8, "energy,cycles,memory"));
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        const RunDirectory rd(path("archive").toStdString());
        const auto expected =
            nonDominatedOfEverything(rd, {Objective::Energy, Objective::Cycles, Objective::Memory});
        const auto rows = readFrontCsv(rd.file("front.csv"), 3);
        QCOMPARE(rows.size(), expected.size());
        for (const FrontRow &row : rows) {
            const std::string bits = formatBitConfig(row.bits);
            QVERIFY2(expected.count(bits), bits.c_str());
            QVERIFY2(expected.at(bits) == row.objectives, bits.c_str());
        }
        QVERIFY2(r.out.contains(QString("Front: %1 points").arg(expected.size()).toUtf8()),
                 r.out.constData());
        // front.json: the same points.
        const QJsonObject json = QJsonDocument::fromJson(readFile(path("archive/front.json"))).object();
        QCOMPARE(json["points"].toArray().size(), qsizetype(expected.size()));

        double last = 0;
        int generations = 0;
        for (const QByteArray &line : r.out.split('\n')) {
            const int at = line.indexOf("  hv ");
            if (!line.startsWith("gen ") || at < 0)
                continue;
            const double hv = line.mid(at + 5, line.indexOf(' ', at + 5) - at - 5).toDouble();
            QVERIFY2(hv >= last, line.constData());
            last = hv;
            ++generations;
        }
        QCOMPARE(generations, 9);

        // --point K is row K of that front (the last row: the one the old front was most likely to lack).
        const QString k = QString::number(rows.size());
        CliRun e;
        RUN_CLI(e, QStringList{"search-export", "--run", path("archive"), "--point", k, "--out",
                               path("archive-export")});
        QVERIFY2(e.status == 0, qPrintable(e.summary()));
        QVERIFY(readBitsFile(path("archive-export/config.yaml").toStdString()).layers == rows.back().bits);
    }

    void exportLoadsBackAndAgreesWithMapNetwork()
    {
        CliRun r;
        RUN_CLI(r,
                QStringList{"search-export", "--run", path("run"), "--point", "1", "--out", path("export")});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        for (const char *f : {"config.yaml", "front.csv", "layer01_conv1.yaml", "layer01_conv1.map.yaml",
                              "layer02_dw2.prob.yaml", "layer04_fc.map.yaml"})
            QVERIFY2(QFile::exists(path("export/") + f), f);
        // The configuration is a bits file: map-network reads it and finds the same energy.
        const QByteArray config = readFile(path("export/config.yaml"));
        const int at = config.indexOf("energy_uJ: ") + 11;
        const double energyUj = config.mid(at, config.indexOf('\n', at) - at).toDouble();
        CliRun mapped;
        RUN_CLI(mapped, QStringList{"map-network", "--arch", "eyeriss16", "--network", net_, "--bits",
                                    path("export/config.yaml"), "--cache-dir", cache_, "--json"});
        QVERIFY2(mapped.status == 0, qPrintable(mapped.summary()));
        QCOMPARE(mapped.json()["energy_pj"].toDouble() * 1e-6, energyUj);
        // The front's first row is the point exported.
        const QList<QByteArray> front = readFile(path("run/front.csv")).split('\n');
        QVERIFY(QString::fromUtf8(front[1]).startsWith(QString::number(energyUj, 'g', 6).left(5)));

        // The same point with every layer's mapping found at 16 bits (the map-once flow): as map-network
        // says.
        CliRun reused;
        RUN_CLI(reused,
                QStringList{"search-export", "--run", path("run"), "--bits", path("export/config.yaml"),
                            "--reuse-mapping-from-bits", "16", "--out", path("export16"), "--json"});
        QVERIFY2(reused.status == 0, qPrintable(reused.summary()));
        CliRun mapped16;
        RUN_CLI(mapped16, QStringList{"map-network", "--arch", "eyeriss16", "--network", net_, "--bits",
                                      path("export/config.yaml"), "--reuse-mapping-from-bits", "16",
                                      "--cache-dir", cache_, "--json"});
        QCOMPARE(reused.json()["energy_pj"].toDouble(), mapped16.json()["energy_pj"].toDouble());
        QVERIFY(reused.json()["energy_pj"].toDouble() >= energyUj * 1e6 * (1 - 1e-12));

        CliRun beyond;
        RUN_CLI(beyond,
                QStringList{"search-export", "--run", path("run"), "--point", "999", "--out", path("x")});
        QCOMPARE(beyond.status, 2);
        QVERIFY2(beyond.err.contains("the front has"), qPrintable(beyond.summary()));
    }

    void pinnedMappingIsKept()
    {
        // Layer 3's mapping as exported above, held for a new search: every point keeps it.
        const QString pinned = path("export/layer03_pw2.yaml");
        QVERIFY(QFile::exists(pinned));
        QStringList args = searchArgs(path("pinned"), 2);
        args << "--pin-mapping" << ("3:" + pinned);
        CliRun r;
        RUN_CLI(r, args);
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        CliRun e;
        RUN_CLI(e, QStringList{"search-export", "--run", path("pinned"), "--point", "1", "--out",
                               path("pinned-export")});
        QVERIFY2(e.status == 0, qPrintable(e.summary()));
        QCOMPARE(readFile(path("pinned-export/layer03_pw2.yaml")), readFile(pinned));
        CliRun bad;
        RUN_CLI(bad, searchArgs(path("pinned-bad"), 1) << "--pin-mapping"
                                                       << "7:" + pinned);
        QCOMPARE(bad.status, 2);
        QVERIFY2(bad.err.contains("LAYER:FILE"), qPrintable(bad.summary()));
    }

    void badSettings()
    {
        struct Case {
            QStringList replace; // key, value pairs set on top of a good command
            const char *says;
        };
        const QList<Case> cases = {
            {{"--population", "1"}, "at least 2"},
            // --allowed-bits 2,4,8: three uniform configurations
            {{"--population", "2"},
             "--population 2 is smaller than the 3 uniform configurations every search starts from "
             "(2/2, 4/4, 8/8); give --population 3 or more"},
            {{"--allowed-bits", "4,24"}, "wider than the 16-bit words"},
            {{"--allowed-bits", "4,x"}, "not an integer"},
            {{"--allowed-weight-bits", "4,24"},
             "allowed weight bits: 24 bits are wider than the 16-bit words"},
            {{"--allowed-activation-bits", "3,x"}, "--allowed-activation-bits: 'x' is not an integer"},
            {{"--allowed-weight-bits", ""}, "--allowed-weight-bits: give at least one width"},
            {{"--objectives", "energy,latency"}, "unknown objective 'latency'"},
            {{"--objectives", "error,energy"}, "needs --checkpoint"},
            {{"--pin", "9:8:8"}, "no layer 9"},
            {{"--pin", "2:8"}, "LAYER:WEIGHT_BITS:ACTIVATION_BITS"},
            {{"--generations", "0"}, "give a limit"},
        };
        int k = 0;
        for (const Case &c : cases) {
            const QString dir = path("bad%1").arg(k++);
            QStringList args = searchArgs(dir, 2);
            const int at = args.indexOf(c.replace[0]);
            if (at >= 0)
                args[at + 1] = c.replace[1];
            else
                args << c.replace;
            CliRun r;
            RUN_CLI(r, args);
            QVERIFY2(r.status == 2, qPrintable(r.summary()));
            QVERIFY2(r.err.contains(c.says), qPrintable(r.summary()));
            QCOMPARE(r.err.count('\n'), 1);
            QVERIFY2(!QFile::exists(dir), qPrintable(dir)); // refused before the run directory exists
        }
        CliRun r;
        RUN_CLI(r, QStringList{"search", "--resume", path("run"), "--seed", "3"});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains("only the limits"), qPrintable(r.summary()));
        RUN_CLI(r, QStringList{"search", "--resume", path("no-such-run")});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains("settings.yaml"), qPrintable(r.summary()));
        QVERIFY(!QFile::exists(path("no-such-run"))); // a mistyped directory is not created
    }
};

QTEST_GUILESS_MAIN(TestCliSearch)
#include "test_cli_search.moc"
