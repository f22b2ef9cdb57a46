// bitloop-cli search across the ranks of an MPI job (issue 12), run with Open MPI's mpirun as a user runs
// it: whatever the number of ranks, a deterministic search stores the same individuals and writes the same
// front as one process; answers in rank 0's caches are not computed again anywhere; a worker rank killed
// mid-run ends the job, and `search --resume` without MPI finishes it exactly; a rank that cannot open
// the checkpoint, or holds another one under the same path, stops the job before any evaluation with one
// line naming the rank, its host and the path.
#include "cli_runner.h"
#include "tiny_network.h"

#include "accuracy/evaluator.h"
#include "io/bits_io.h"
#include "search/run_dir.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

using namespace bitloop;
using namespace bitloop::search;

namespace
{

QProcessEnvironment mpiEnvironment()
{
    QProcessEnvironment env = cliEnvironment();
    // CI machines run the tests as root, which Open MPI refuses unless told.
    env.insert("OMPI_ALLOW_RUN_AS_ROOT", "1");
    env.insert("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
    // Containers often forbid the cross-memory attach Open MPI's shared memory uses for large messages
    // ("Read -1, expected ..."): Bitloop's messages are small, so do without it.
    env.insert("OMPI_MCA_btl_vader_single_copy_mechanism", "none");
    return env;
}

// mpirun with `launch` (its options and programs) in `dir`.
CliRun runMpi(const QStringList &launch, const QString &dir)
{
    return runProgram(QStringLiteral(BITLOOP_MPIRUN), launch, mpiEnvironment(), dir);
}

QStringList ranksOf(int n, const QStringList &args)
{
    return QStringList{"--oversubscribe", "-np", QString::number(n), QStringLiteral(BITLOOP_CLI)} + args;
}

// Everything a run stored that does not depend on timing.
void compareRuns(const QString &a, const QString &b)
{
    QCOMPARE(readFile(b + "/front.csv"), readFile(a + "/front.csv"));
    QCOMPARE(readFile(b + "/front.json"), readFile(a + "/front.json"));
    const RunDirectory x(a.toStdString()), y(b.toStdString());
    const auto ix = x.individuals(), iy = y.individuals();
    QCOMPARE(iy.size(), ix.size());
    for (size_t i = 0; i < ix.size(); ++i) {
        QCOMPARE(formatBitConfig(iy[i].bits), formatBitConfig(ix[i].bits));
        QCOMPARE(iy[i].generation, ix[i].generation);
        QCOMPARE(iy[i].cost.accuracy, ix[i].cost.accuracy);
        QCOMPARE(iy[i].cost.energyPj, ix[i].cost.energyPj);
        QCOMPARE(iy[i].cost.cycles, ix[i].cost.cycles);
        QCOMPARE(iy[i].cost.weightBytes, ix[i].cost.weightBytes);
        QCOMPARE(iy[i].violation, ix[i].violation);
    }
    const auto gx = x.generations(), gy = y.generations();
    QCOMPARE(gy.size(), gx.size());
    for (size_t g = 0; g < gx.size(); ++g) {
        QCOMPARE(gy[g].hypervolume, gx[g].hypervolume);
        QCOMPARE(gy[g].frontSize, gx[g].frontSize);
    }
}

// The pid of rank `rank` among mpirun's children (Open MPI launches local ranks itself).
qint64 rankPid(qint64 mpirun, int rank)
{
    const QByteArray want = "OMPI_COMM_WORLD_RANK=" + QByteArray::number(rank);
    for (const QString &pid : QDir("/proc").entryList(QDir::Dirs)) {
        std::ifstream stat(("/proc/" + pid + "/stat").toStdString());
        std::string line;
        if (!std::getline(stat, line) || line.rfind(')') == std::string::npos)
            continue;
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        char state = 0;
        qint64 parent = 0;
        rest >> state >> parent;
        if (parent != mpirun)
            continue;
        for (const QByteArray &v : readFile("/proc/" + pid + "/environ").split('\0'))
            if (v == want)
                return pid.toLongLong();
    }
    return -1;
}

} // namespace

class TestMpiSearch : public QObject
{
    Q_OBJECT

    QTemporaryDir tmp_;
    QString net_;

    QString path(const QString &name) const { return tmp_.filePath(name); }
    // A ptq search on the checkpoint trained in initTestCase (deterministic: fixed calibration batches).
    QStringList ptqArgs(const QString &out, int generations, const QString &cache) const
    {
        return {"search",
                "--arch",
                "eyeriss16",
                "--network",
                "mobilenet_v1",
                "--width",
                "0.25",
                "--checkpoint",
                path("ck.pt"),
                "--evaluator",
                "ptq",
                "--limit",
                "200",
                "--allowed-bits",
                "2,4,8",
                "--population",
                "6",
                "--generations",
                QString::number(generations),
                "--seed",
                "5",
                "--threads",
                "1",
                "--torch-threads",
                "1",
                "--cache-dir",
                cache,
                "--out",
                out};
    }
    QStringList hardwareArgs(const QString &out, const QString &cache) const
    {
        return {"search",
                "--arch",
                "eyeriss16",
                "--network",
                net_,
                "--objectives",
                "energy,cycles,memory",
                "--allowed-bits",
                "2,4,8",
                "--population",
                "8",
                "--generations",
                "6",
                "--seed",
                "5",
                "--threads",
                "1",
                "--cache-dir",
                cache,
                "--out",
                out};
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
        CliRun r;
        RUN_CLI(r, QStringList{"train", "--network", "mobilenet_v1", "--width", "0.25", "--epochs", "1",
                               "--train-limit", "2000", "--validation-limit", "200", "--test-limit", "200",
                               "--threads", "1", "--out", path("ck.pt")});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
    }

    void sameRunWhateverTheRanks_data()
    {
        QTest::addColumn<bool>("accuracy");
        QTest::addColumn<int>("ranks");
        QTest::newRow("hardware, 2 ranks") << false << 2;
        QTest::newRow("hardware, 3 ranks") << false << 3;
        QTest::newRow("ptq, 3 ranks") << true << 3;
    }
    void sameRunWhateverTheRanks()
    {
        QFETCH(bool, accuracy);
        QFETCH(int, ranks);
        const QString tag = QString("%1-%2").arg(accuracy ? "ptq" : "hw").arg(ranks);
        auto args = [&](const QString &out, const QString &cache) {
            return accuracy ? ptqArgs(out, 3, cache) : hardwareArgs(out, cache);
        };
        CliRun one;
        RUN_CLI(one, args(path(tag + "-one"), path(tag + "-cache-one")));
        QVERIFY2(one.status == 0, qPrintable(one.summary()));
        const CliRun many =
            runMpi(ranksOf(ranks, args(path(tag + "-many"), path(tag + "-cache-many"))), path(""));
        QVERIFY2(many.finished && many.status == 0, qPrintable(many.summary()));
        QVERIFY2(
            many.out.contains(QString("(MPI: %1 ranks, %2 answering)").arg(ranks).arg(ranks - 1).toUtf8()),
            many.out.constData());
        compareRuns(path(tag + "-one"), path(tag + "-many"));

        // Rank 0's caches hold every answer now: a new run over them computes nothing on any rank.
        const CliRun again =
            runMpi(ranksOf(ranks, args(path(tag + "-again"), path(tag + "-cache-many"))), path(""));
        QVERIFY2(again.finished && again.status == 0, qPrintable(again.summary()));
        int generations = 0;
        for (const QByteArray &line : again.out.split('\n'))
            if (line.startsWith("gen ")) {
                ++generations;
                QVERIFY2(line.contains("mapper     0.0 s  accuracy     0.0 s"), line.constData());
            }
        QVERIFY(generations >= 4);
        compareRuns(path(tag + "-one"), path(tag + "-again"));
    }

    // --warm-start is read by rank 0 alone (the workers never see the earlier run): the same run as in one
    // process, the earlier run's configurations first.
    void warmStartIsTheSameRunUnderMpi()
    {
        CliRun source;
        RUN_CLI(source, hardwareArgs(path("warm-source"), path("warm-cache")));
        QVERIFY2(source.status == 0, qPrintable(source.summary()));
        auto warm = [&](const QString &out) {
            return hardwareArgs(out, path("warm-cache-" + out.section('/', -1)))
                   << "--warm-start" << path("warm-source") << "--max-energy"
                   << "0.2";
        };
        CliRun one;
        RUN_CLI(one, warm(path("warm-one")));
        QVERIFY2(one.status == 0, qPrintable(one.summary()));
        const CliRun many = runMpi(ranksOf(3, warm(path("warm-many"))), path(""));
        QVERIFY2(many.finished && many.status == 0, qPrintable(many.summary()));
        compareRuns(path("warm-one"), path("warm-many"));
        std::set<std::string> earlier;
        for (const EvaluatedIndividual &e : RunDirectory(path("warm-source").toStdString()).individuals())
            earlier.insert(formatBitConfig(e.bits));
        const auto initial = RunDirectory(path("warm-many").toStdString()).individuals();
        QVERIFY(earlier.count(formatBitConfig(initial[3].bits))); // after 2/2, 4/4, 8/8: the earlier run's
        QCOMPARE(initial[3].violation, 0.0);                      // best under the bound, which it meets
    }

    // The run directory resumes exactly with or without MPI.
    void killedWorkerRankResumesExactly_data()
    {
        QTest::addColumn<int>("resumeRanks");
        QTest::newRow("resumed in one process") << 1;
        QTest::newRow("resumed on 3 ranks") << 3;
    }
    void killedWorkerRankResumesExactly()
    {
        QFETCH(int, resumeRanks);
        const QString killed = path(QString("killed-%1").arg(resumeRanks));
        if (!QFile::exists(path("whole/front.csv"))) {
            CliRun whole;
            RUN_CLI(whole, ptqArgs(path("whole"), 5, path("kill-cache")));
            QVERIFY2(whole.status == 0, qPrintable(whole.summary()));
        }

        QProcess p;
        p.setProcessEnvironment(mpiEnvironment());
        p.start(QStringLiteral(BITLOOP_MPIRUN), ranksOf(3, ptqArgs(killed, 1000, killed + "-cache")));
        QVERIFY(p.waitForStarted(10000));
        const QByteArray seen = readOutputUntil(p, "gen   2");
        QVERIFY2(seen.contains("gen   2"), seen.constData());
        const qint64 worker = rankPid(p.processId(), 1);
        QVERIFY(worker > 0);
        QCOMPARE(::kill(static_cast<pid_t>(worker), SIGKILL), 0);
        QVERIFY(p.waitForFinished(60000));
        QVERIFY(p.exitCode() != 0); // the job ends as MPI ends it

        const QStringList resume{"search", "--resume", killed, "--generations", "5"};
        const CliRun resumed =
            resumeRanks == 1 ? runCli(resume) : runMpi(ranksOf(resumeRanks, resume), path(""));
        QVERIFY2(resumed.finished && resumed.status == 0, qPrintable(resumed.summary()));
        QVERIFY2(resumed.out.startsWith("Resuming"), resumed.out.constData());
        compareRuns(path("whole"), killed);
    }

    // An answering rank keeps its fine-tuning's state as one process does: a job killed mid-fine-tuning
    // (the rank answering it SIGKILLed after its first periodic state) loses no more than the steps since,
    // and `search --resume` in one process continues that fine-tuning from the rank's state.
    void answeringRankKeepsItsFineTuningState()
    {
        const QString run = path("ft-mpi"), cache = path("ft-mpi-cache");
        QStringList args = ptqArgs(run, 1, cache);
        args[args.indexOf("ptq")] = "qat-short";
        args << "--steps"
             << "60"
             << "--state-every"
             << "10";
        QProcess p;
        p.setProcessEnvironment(mpiEnvironment());
        p.start(QStringLiteral(BITLOOP_MPIRUN), ranksOf(2, args));
        QVERIFY(p.waitForStarted(10000));
        const QDir states(cache + "/training-state");
        QVERIFY2(waitForFileWhileRunning(p, states.path(), "*.state"),
                 "the job ended before any fine-tuning kept a state");
        const qint64 worker = rankPid(p.processId(), 1);
        QVERIFY(worker > 0);
        QCOMPARE(::kill(static_cast<pid_t>(worker), SIGKILL), 0);
        QVERIFY(p.waitForFinished(60000));
        QVERIFY(p.exitCode() != 0);
        QCOMPARE(states.entryList({"*.state"}, QDir::Files).size(), 1);

        CliRun resumed;
        RUN_CLI(resumed, QStringList{"search", "--resume", run});
        QVERIFY2(resumed.status == 0, qPrintable(resumed.summary()));
        const QRegularExpression said(
            "^candidate [1-6] of 6: fine-tuning resumed at step ([0-9]+) of 60 from its "
            "saved state$",
            QRegularExpression::MultilineOption);
        const QRegularExpressionMatch m = said.match(QString::fromUtf8(resumed.err));
        QVERIFY2(m.hasMatch(), resumed.err.constData());
        QVERIFY2(m.captured(1).toInt() >= 10, resumed.err.constData());
        QVERIFY(states.entryList({"*.state"}, QDir::Files).isEmpty());
    }

    // Ranks 1 and 2 start in another directory, where the relative checkpoint path finds nothing, or
    // another checkpoint: the job stops before any evaluation, and rank 0 writes no run.
    void workerWithoutTheFilesStopsTheJob_data()
    {
        QTest::addColumn<bool>("otherCheckpoint");
        QTest::addColumn<QString>("says");
        QTest::newRow("missing") << false << "ck.pt: checkpoint file not found";
        QTest::newRow("another") << true << "differ from rank 0's";
    }
    void workerWithoutTheFilesStopsTheJob()
    {
        QFETCH(bool, otherCheckpoint);
        QFETCH(QString, says);
        const QString a = path(otherCheckpoint ? "a2" : "a1"), b = path(otherCheckpoint ? "b2" : "b1");
        QVERIFY(QDir().mkpath(a) && QDir().mkpath(b));
        QVERIFY(QFile::copy(path("ck.pt"), a + "/ck.pt"));
        if (otherCheckpoint) {
            CliRun r;
            RUN_CLI(r, QStringList{"train", "--network", "mobilenet_v1", "--width", "0.25", "--epochs", "1",
                                   "--train-limit", "200", "--validation-limit", "200", "--test-limit", "200",
                                   "--seed", "9", "--threads", "1", "--out", b + "/ck.pt"});
            QVERIFY2(r.status == 0, qPrintable(r.summary()));
        }
        QStringList args = ptqArgs("run", 2, path("cache-files"));
        args[args.indexOf("--checkpoint") + 1] = "ck.pt";
        const QStringList launch = QStringList{"--oversubscribe", "-np", "1", "-wdir", a, BITLOOP_CLI} +
                                   args + QStringList{":", "-np", "2", "-wdir", b, BITLOOP_CLI} + args;
        const CliRun r = runMpi(launch, a);
        QVERIFY2(r.finished && r.status == 2, qPrintable(r.summary()));
        for (int rank : {1, 2}) {
            const QByteArray line = QString("bitloop-cli search: rank %1 on %2: ")
                                        .arg(rank)
                                        .arg(QSysInfo::machineHostName())
                                        .toUtf8();
            QVERIFY2(r.err.contains(line), r.err.constData());
        }
        QVERIFY2(r.err.contains(says.toUtf8()), r.err.constData());
        if (!otherCheckpoint)
            QVERIFY2(r.err.contains(("(in " + b + ")").toUtf8()), r.err.constData());
        QVERIFY(!r.out.contains("gen "));
        QVERIFY(!QFile::exists(a + "/run"));
    }
};

QTEST_GUILESS_MAIN(TestMpiSearch)
#include "test_mpi_search.moc"
