// The accuracy evaluators and the train / accuracy commands, on a slice of the real Fashion-MNIST:
// a baseline trained through the CLI carries its network, split and normalization; ptq at 32 bits is the
// float model exactly; every evaluation starts again from the float weights; fine-tuning recovers much of
// what 3-bit PTQ loses; the CLI agrees with the API and caches; bad input is one clear line and status 2.
#include "cli_runner.h"

#include "accuracy/accuracy_cache.h"
#include "io/network_yaml.h"
#include "qat/data/datasets.h"
#include "qat/session.h"
#include "qat/train.h"
#include "util/error.h"
#include "util/sqlite_db.h"
#include "util/temp_path.h"
#include "util/zip_check.h"
#include "workload/mobilenet.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <csignal>
#include <sys/types.h>

using namespace bitloop;
using namespace bitloop::qat;

namespace
{

// The slice every test here uses: 2000 training, 500 validation, 500 test images.
const QStringList kSlice = {"--train-limit", "2000", "--validation-limit", "500", "--test-limit", "500"};

BitConfig uniform(size_t layers, int w, int a)
{
    return BitConfig(layers, LayerBits{w, a});
}

EvaluatorOptions optionsFor(EvaluatorKind kind)
{
    EvaluatorOptions o;
    o.settings.kind = kind;
    o.settings.steps = 60;
    o.settings.batchSize = 32;
    o.settings.lr = 0.01;
    o.threads = 1;
    return o;
}

bool mentions(const QByteArray &text, const char *what)
{
    return text.contains(what);
}

} // namespace

class TestQatEval : public QObject
{
    Q_OBJECT

    QTemporaryDir tmp_;
    QString checkpoint_;
    CheckpointInfo info_;

    QString path(const char *name) const { return tmp_.filePath(QString::fromUtf8(name)); }
    // A small search on the checkpoint: the hardware side at 32 x 32 to keep the mapper quick (the accuracy
    // side stays at the dataset's 28 x 28), 4 individuals for one generation over widths 4 and 8.
    QStringList smallSearch(const QString &out, const QString &cache) const
    {
        return QStringLiteral(
                   "search --arch eyeriss16 --network mobilenet_v1 --width 0.25 --resolution 32 "
                   "--population 4 --generations 1 --allowed-bits 4,8 --threads 1 --torch-threads 1")
                   .split(' ') +
               QStringList{"--checkpoint", checkpoint_, "--out", out, "--cache-dir", cache};
    }

    // Distinct feasible configurations of a run cheaper than uniform 8/8: all of them, or only those that no
    // other feasible point matches or beats on both energy and validation accuracy (read with SQL, not with
    // the script's own front code).
    static int countRunPoints(const QString &run, bool frontOnly)
    {
        SqliteDb db;
        db.open((run + "/run.sqlite").toStdString(), "the run", SqliteDb::Mode::ReadOnly);
        std::string sql = "SELECT COUNT(DISTINCT a.bits) FROM individuals a WHERE a.violation = 0 AND "
                          "a.energy_pj < (SELECT MIN(energy_pj) FROM individuals WHERE bits = ?1)";
        if (frontOnly)
            sql += " AND NOT EXISTS (SELECT 1 FROM individuals b WHERE b.violation = 0 AND b.bits <> a.bits "
                   "AND b.energy_pj <= a.energy_pj AND b.accuracy >= a.accuracy)";
        Statement query;
        db.prepare(query, sql.c_str());
        db.bindText(query.get(), 1, QString("8/8 ").repeated(28).trimmed().toStdString());
        return db.nextRow(query.get(), "cannot count the run's points") ? sqlite3_column_int(query.get(), 0)
                                                                        : -1;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!QDir(QString::fromUtf8(kFashionMnistDefaultDir)).exists())
            QSKIP("Fashion-MNIST is not installed (dataset-fashion-mnist)");
        QVERIFY(tmp_.isValid());
        checkpoint_ = path("v1.pt");
        CliRun r;
        RUN_CLI(r, QStringList{"train", "--network", "mobilenet_v1", "--width", "0.25", "--epochs", "2",
                               "--batch", "32", "--seed", "7", "--threads", "1", "--out", checkpoint_,
                               "--json"} +
                       kSlice);
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        const QJsonObject j = r.json();
        QCOMPARE(j["checkpoint"].toString(), checkpoint_);
        QCOMPARE(j["layers"].toInt(), 28);
        QCOMPARE(j["resolution"].toString(), QString("28x28"));
        // Two short epochs on 2000 images: far above chance (0.1), well short of a full run (0.60-0.66
        // measured; 0.598 once under load, so the bound leaves room).
        QVERIFY2(j["validation_accuracy"].toDouble() > 0.5, qPrintable(QString::fromUtf8(r.out)));
        QVERIFY(j["test_accuracy"].toDouble() > 0.5);
        QVERIFY(mentions(r.err, "epoch 2/2")); // progress went to stderr
        info_ = readCheckpointInfo(checkpoint_.toStdString());
    }

    void checkpointCarriesHowItWasMade()
    {
        MobileNetOptions opt;
        opt.widthMultiplier = 0.25;
        opt.resolution = 28;
        opt.numClasses = 10;
        opt.inputChannels = 1;
        opt.smallInput = true; // chosen for 28-pixel images
        QCOMPARE(networkToYaml(info_.network), networkToYaml(mobileNetV1(opt)));
        QCOMPARE(info_.split.dataset, std::string("fashion-mnist"));
        QCOMPARE(info_.split.validationFraction, 0.1);
        QCOMPARE(info_.split.trainLimit, int64_t(2000));
        QCOMPARE(info_.split.validationLimit, int64_t(500));
        QCOMPARE(info_.split.testLimit, int64_t(500));
        QCOMPARE(info_.imageHeight, int64_t(28));
        QCOMPARE(info_.imageChannels, int64_t(1));
        QCOMPARE(info_.training.epochs, 2);
        QCOMPARE(info_.training.batchSize, 32);
        QCOMPARE(info_.training.seed, uint64_t(7));
        QCOMPARE(info_.normalization.mean.size(), size_t(1));
        // Fashion-MNIST's pixels: mean about 0.286, deviation about 0.353 (over the whole training set).
        QVERIFY(std::abs(info_.normalization.mean[0] - 0.286) < 0.01);
        QVERIFY(std::abs(info_.normalization.std[0] - 0.353) < 0.01);
        // The text form reads back to the same info.
        const CheckpointInfo again = parseCheckpointInfo(checkpointInfoToYaml(info_), "x");
        QCOMPARE(checkpointInfoToYaml(again), checkpointInfoToYaml(info_));
    }

    void ptqAt32BitsIsTheFloatModel()
    {
        auto ev = openEvaluator(checkpoint_.toStdString(), optionsFor(EvaluatorKind::Ptq));
        QCOMPARE(ev->numLayers(), 28);
        const AccuracyResult r = ev->evaluate(uniform(28, 32, 32));
        QCOMPARE(r.images, int64_t(500));
        QCOMPARE(r.accuracy, info_.validationAccuracy);
        EvaluatorOptions onTest = optionsFor(EvaluatorKind::Ptq);
        onTest.onTestSet = true;
        QCOMPARE(openEvaluator(checkpoint_.toStdString(), onTest)->evaluate(uniform(28, 16, 16)).accuracy,
                 info_.testAccuracy);
    }

    void ptqLosesLittleAt8BitsAndCollapsesAt2()
    {
        auto ev = openEvaluator(checkpoint_.toStdString(), optionsFor(EvaluatorKind::Ptq));
        const double a8 = ev->evaluate(uniform(28, 8, 8)).accuracy;
        const double a2 = ev->evaluate(uniform(28, 2, 2)).accuracy;
        QVERIFY2(std::abs(a8 - info_.validationAccuracy) <= 0.02, qPrintable(QString::number(a8)));
        QVERIFY2(a2 < info_.validationAccuracy - 0.3, qPrintable(QString::number(a2)));
    }

    // A figure at chance (1/classes, up to 1.5x) is reported, exit 0, with a warning that says what it
    // may mean; JSON carries it as at_chance. Uniform 2/2 after calibration alone reads 0.088 on this
    // checkpoint (measured), 8/8 about its float 0.66.
    void chanceLevelIsFlagged()
    {
        auto measure = [&](const QString &bits) {
            return runCli({"accuracy", "--checkpoint", checkpoint_, "--wbits", bits, "--abits", bits,
                           "--evaluator", "ptq", "--threads", "1", "--no-cache", "--json"});
        };
        const CliRun two = measure("2");
        QVERIFY2(two.status == 0, qPrintable(two.summary()));
        QVERIFY2(two.json()["accuracy"].toDouble() <= 0.15, qPrintable(two.summary()));
        QVERIFY(two.json()["at_chance"].toBool());
        QVERIFY2(two.err.contains("warning: top-1 0.0880 is at chance for 10 classes: the network does not "
                                  "work at these widths as measured\n"),
                 qPrintable(two.summary()));
        const CliRun eight = measure("8");
        QVERIFY2(eight.status == 0, qPrintable(eight.summary()));
        QVERIFY(eight.json()["accuracy"].toDouble() > 0.5);
        QVERIFY(!eight.json()["at_chance"].toBool());
        QVERIFY2(!eight.err.contains("warning"), qPrintable(eight.summary()));
    }

    void everyEvaluationStartsFromTheFloatWeights()
    {
        // qat-short changes the weights it fine-tunes; the next candidate must not inherit them.
        auto ev = openEvaluator(checkpoint_.toStdString(), optionsFor(EvaluatorKind::QatShort));
        const BitConfig mixed = [] {
            BitConfig b = uniform(28, 4, 4);
            b.front() = {8, 8};
            b.back() = {8, 8};
            return b;
        }();
        const AccuracyResult first = ev->evaluate(mixed);
        ev->evaluate(uniform(28, 8, 8));
        const AccuracyResult again = ev->evaluate(mixed);
        QCOMPARE(again.accuracy, first.accuracy);
        QVERIFY(!again.cached);
    }

    void fineTuningRecoversWhat3BitPtqLoses()
    {
        const BitConfig bits = uniform(28, 3, 3);
        const double ptq =
            openEvaluator(checkpoint_.toStdString(), optionsFor(EvaluatorKind::Ptq))->evaluate(bits).accuracy;
        std::vector<AccuracyProgress> seen;
        // The undistilled fine-tune this check was written for (distilled 3-bit qat-short on this slice at lr
        // 0.01 once ended at chance).
        EvaluatorOptions plain = optionsFor(EvaluatorKind::QatShort);
        plain.settings.distill = false;
        const AccuracyResult qat =
            openEvaluator(checkpoint_.toStdString(), plain)->evaluate(bits, [&](const AccuracyProgress &p) {
                seen.push_back(p);
            });
        QVERIFY2(ptq < info_.validationAccuracy - 0.3, qPrintable(QString::number(ptq)));
        // The margin is what the worst run seen showed: 0.176 against PTQ's 0.106. Runs differed then because
        // the baseline's initial weights did not follow --seed (fixed 2026-12-01: train seeds LibTorch before
        // building the network); fine-tuning that did nothing fails.
        QVERIFY2(qat.accuracy > ptq + 0.05,
                 qPrintable(QString("ptq %1, qat-short %2").arg(ptq).arg(qat.accuracy)));
        // Progress: calibration, then 60 fine-tuning steps, then the evaluation.
        QVERIFY(!seen.empty());
        QCOMPARE(QString::fromStdString(seen.front().phase), QString("calibrate"));
        int64_t steps = 0;
        for (const AccuracyProgress &p : seen)
            if (p.phase == "fine-tune") {
                steps = p.done;
                QCOMPARE(p.total, int64_t(60));
            }
        QCOMPARE(steps, int64_t(60));
        QCOMPARE(QString::fromStdString(seen.back().phase), QString("evaluate"));
        QCOMPARE(seen.back().done, int64_t(500));
    }

    void cancellationStopsFineTuning()
    {
        auto ev = openEvaluator(checkpoint_.toStdString(), optionsFor(EvaluatorKind::QatShort));
        std::atomic<bool> cancel{false};
        int64_t lastStep = 0;
        const AccuracyResult r = ev->evaluate(
            uniform(28, 4, 4),
            [&](const AccuracyProgress &p) {
                if (p.phase == "fine-tune") {
                    lastStep = p.done;
                    if (p.done == 5)
                        cancel = true;
                }
            },
            &cancel);
        QVERIFY(r.cancelled);
        QCOMPARE(lastStep, int64_t(5));
    }

    // An evaluation stopped part-way keeps its fine-tuning state under the name of its cache key; the next
    // evaluation of the same configuration (another evaluator, as another process would open) continues
    // from it and answers what an uninterrupted one answers, to the last bit. A damaged state is warned
    // about, naming the file, and the evaluation starts over to the same answer.
    void interruptedFineTuningResumes()
    {
        const BitConfig bits = uniform(28, 3, 3);
        const double uninterrupted =
            openEvaluator(checkpoint_.toStdString(), optionsFor(EvaluatorKind::QatShort))
                ->evaluate(bits)
                .accuracy;

        EvaluatorOptions o = optionsFor(EvaluatorKind::QatShort);
        o.trainingStateDir = path("training-state").toStdString();
        o.stateEvery = 25;
        std::vector<std::string> warnings;
        o.warn = [&](const std::string &w) { warnings.push_back(w); };
        std::atomic<bool> cancel{false};
        auto first = openEvaluator(checkpoint_.toStdString(), o);
        std::vector<AccuracyProgress> kept; // the CLI's "cancelled" line says where a rerun resumes
        const AccuracyResult stopped = first->evaluate(
            bits,
            [&](const AccuracyProgress &p) {
                if (p.phase == "fine-tune" && p.done == 40)
                    cancel = true;
                if (p.phase == "state-kept")
                    kept.push_back(p);
            },
            &cancel);
        QVERIFY(stopped.cancelled);
        QCOMPARE(kept.size(), size_t(1));
        QCOMPARE(kept.front().done, int64_t(40));
        QCOMPARE(kept.front().total, int64_t(60));
        const QString state = QString::fromStdString(
            o.trainingStateDir + "/" + accuracyKey(first->context(), o.settings, bits).digest + ".state");
        QVERIFY2(QFile::exists(state), qPrintable(state));
        // Cancelled again before its first step (cancel already set): resumed at 40, kept at 40 of 60.
        kept.clear();
        openEvaluator(checkpoint_.toStdString(), o)
            ->evaluate(
                bits,
                [&](const AccuracyProgress &p) {
                    if (p.phase == "state-kept")
                        kept.push_back(p);
                },
                &cancel);
        QCOMPARE(kept.size(), size_t(1));
        QCOMPARE(kept.front().done, int64_t(40));
        QCOMPARE(kept.front().total, int64_t(60));

        std::vector<AccuracyProgress> seen;
        const AccuracyResult resumed =
            openEvaluator(checkpoint_.toStdString(), o)->evaluate(bits, [&](const AccuracyProgress &p) {
                seen.push_back(p);
            });
        QVERIFY(!resumed.cancelled);
        QCOMPARE(resumed.accuracy, uninterrupted);
        const auto told = std::find_if(seen.begin(), seen.end(),
                                       [](const AccuracyProgress &p) { return p.phase == "resumed"; });
        QVERIFY(told != seen.end());
        QCOMPARE(told->done, int64_t(40)); // the state written on cancelling, not the periodic one at 25
        QCOMPARE(told->total, int64_t(60));
        QVERIFY(!QFile::exists(state));
        QVERIFY(warnings.empty());

        {
            QFile f(state);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("PK\x03\x04 damaged");
        }
        QCOMPARE(openEvaluator(checkpoint_.toStdString(), o)->evaluate(bits).accuracy, uninterrupted);
        QCOMPARE(warnings.size(), size_t(1));
        QVERIFY2(warnings.front().find(state.toStdString()) != std::string::npos, warnings.front().c_str());
    }

    // `bitloop-cli cache` lists the kept fine-tuning states by what they train (network, settings, bits)
    // and how far they got; --prune-states removes only those last written --older-than hours ago (24 by
    // default), damaged ones included, and keeps the rest.
    void cacheCommandListsAndPrunesStates()
    {
        const QString cache = path("cache-cmd");
        EvaluatorOptions o = optionsFor(EvaluatorKind::QatShort);
        o.trainingStateDir = (cache + "/training-state").toStdString();
        o.stateEvery = 25;
        const BitConfig bits = uniform(28, 4, 4);
        std::atomic<bool> cancel{false};
        auto ev = openEvaluator(checkpoint_.toStdString(), o);
        QVERIFY(ev->evaluate(
                      bits,
                      [&](const AccuracyProgress &p) {
                          if (p.phase == "fine-tune" && p.done == 30)
                              cancel = true;
                      },
                      &cancel)
                    .cancelled);
        const QString state = QString::fromStdString(
            o.trainingStateDir + "/" + accuracyKey(ev->context(), o.settings, bits).digest + ".state");
        QVERIFY(QFile::exists(state));
        const QString damaged = cache + "/training-state/damaged.state";
        {
            QFile f(damaged);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("PK\x03\x04 damaged");
        }

        CliRun listed;
        RUN_CLI(listed, {"cache", "--cache-dir", cache, "--json"});
        QVERIFY2(listed.status == 0, qPrintable(listed.summary()));
        QJsonArray states = listed.json()["training_states"].toArray();
        QCOMPARE(states.size(), 2);
        const QJsonObject d = states[0].toObject(), s = states[1].toObject(); // sorted: "23.." < "damaged"
        QVERIFY2(d["path"].toString() == state || s["path"].toString() == state, listed.out.constData());
        const QJsonObject good = d["path"].toString() == state ? d : s,
                          bad = d["path"].toString() == state ? s : d;
        QCOMPARE(good["network"].toString(), QString("mobilenet_v1"));
        QCOMPARE(good["bits"].toString(), QString::fromStdString(formatBitConfig(bits)));
        QCOMPARE(good["evaluator"].toString(), QString::fromStdString(o.settings.describe()));
        QCOMPARE(good["step"].toInt(), 30); // the state written on cancelling
        QCOMPARE(good["total_steps"].toInt(), 60);
        QVERIFY(good["hours_old"].toDouble() < 1);
        QCOMPARE(bad["path"].toString(), damaged);
        QVERIFY2(bad["unreadable"].toString().startsWith("not a readable"), listed.out.constData());

        // Both fresh: the default prune keeps them. A day and a half old: the readable one goes.
        CliRun pruned;
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--prune-states"});
        QVERIFY2(pruned.status == 0, qPrintable(pruned.summary()));
        QVERIFY(QFile::exists(state) && QFile::exists(damaged));
        std::filesystem::last_write_time(state.toStdString(), std::filesystem::file_time_type::clock::now() -
                                                                  std::chrono::hours(36));
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--prune-states", "--json"});
        QVERIFY2(pruned.status == 0, qPrintable(pruned.summary()));
        QVERIFY(!QFile::exists(state) && QFile::exists(damaged));
        QCOMPARE(pruned.json()["removed"].toArray().size(), 1);
        QCOMPARE(pruned.json()["removed"].toArray()[0].toObject()["path"].toString(), state);
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--prune-states", "--older-than", "0"});
        QVERIFY2(pruned.status == 0 && pruned.out.contains("removed 1 "), qPrintable(pruned.summary()));
        QVERIFY(!QFile::exists(damaged));

        // A killed writer's temporary (this host, a pid that runs no more, an hour old) is counted and
        // pruned; another host's is only counted. A state dated ahead of this clock is said to be so.
        const QString leftover = cache + "/training-state/x.state.tmp." + QString::fromStdString(hostName()) +
                                 ".999999999",
                      foreign = cache + "/training-state/x.state.tmp.another-host.999999999",
                      future = cache + "/training-state/future.state";
        for (const QString &f : {leftover, foreign, future}) {
            QFile t(f);
            QVERIFY(t.open(QIODevice::WriteOnly));
            t.write("partial");
            t.close();
            std::filesystem::last_write_time(f.toStdString(), std::filesystem::file_time_type::clock::now() +
                                                                  std::chrono::hours(f == future ? 24 : -1));
        }
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--json"});
        QVERIFY2(pruned.status == 0, qPrintable(pruned.summary()));
        QCOMPARE(pruned.json()["leftover_temporaries"].toInt(), 2);
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--prune-states", "--older-than", "0"});
        QVERIFY2(pruned.status == 0 && pruned.out.contains("removed 1 leftover temporary file") &&
                     pruned.out.contains("from now (a clock ahead of this one's)"),
                 qPrintable(pruned.summary()));
        QVERIFY(!QFile::exists(leftover) && QFile::exists(foreign) && QFile::exists(future));

        // A file name is any bytes: one that is not UTF-8 and holds a terminal escape is listed as valid
        // JSON (U+FFFD for the stray byte) and as \xNN on the terminal, not sent to it raw.
        const std::string rawName = cache.toStdString() + "/training-state/\xff\x1b[2J.state";
        std::ofstream(rawName) << "not a state";
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--json"});
        QVERIFY2(pruned.status == 0 && pruned.out.contains("\\ufffd\\u001b[2J.state") &&
                     !pruned.out.contains('\xff') && !pruned.out.contains('\x1b'),
                 qPrintable(pruned.summary()));
        QVERIFY(QJsonDocument::fromJson(pruned.out).isObject());
        RUN_CLI(pruned, {"cache", "--cache-dir", cache});
        QVERIFY2(pruned.status == 0 && pruned.out.contains("\\xFF\\x1B[2J.state") &&
                     !pruned.out.contains('\x1b'),
                 qPrintable(pruned.summary()));
        QVERIFY(std::filesystem::remove(rawName));

        // A training-state that cannot be listed is an error, not "no states" (nothing pruned silently).
        QVERIFY(QDir(cache + "/training-state").removeRecursively());
        {
            QFile f(cache + "/training-state");
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--prune-states"});
        QVERIFY2(pruned.status == 2 && pruned.err.contains((cache + "/training-state").toUtf8()) &&
                     pruned.err.contains("not a directory"),
                 qPrintable(pruned.summary()));
        RUN_CLI(pruned, {"cache", "--cache-dir", cache + "/training-state"});
        QVERIFY2(pruned.status == 2 && pruned.err.contains("not a directory (a cache directory is one)"),
                 qPrintable(pruned.summary()));

        // Bad usage: exit 2, one line, nothing removed.
        RUN_CLI(pruned, {"cache", "--cache-dir", path("no-such-cache")});
        QVERIFY2(pruned.status == 2 && pruned.err.contains("no such cache directory"),
                 qPrintable(pruned.summary()));
        RUN_CLI(pruned, {"cache", "--cache-dir", cache, "--older-than", "5"});
        QVERIFY2(pruned.status == 2 && pruned.err.contains("--prune-states"), qPrintable(pruned.summary()));
    }

    void badBitsAndConfigurations()
    {
        auto ev = openEvaluator(checkpoint_.toStdString(), optionsFor(EvaluatorKind::Ptq));
        for (int bad : {1, 9}) {
            BitConfig b = uniform(28, 8, 8);
            b[2].weights = bad;
            try {
                ev->evaluate(b);
                QFAIL("a bit-width outside 2..8, 16, 32 was accepted");
            } catch (const std::invalid_argument &e) {
                QVERIFY2(std::string(e.what()).find("layer 3") != std::string::npos, e.what());
            }
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ev->evaluate(uniform(27, 8, 8)));
    }

    void checkpointsThatCannotBeUsed()
    {
        try {
            openEvaluator(path("missing.pt").toStdString(), optionsFor(EvaluatorKind::Ptq));
            QFAIL("a missing checkpoint opened");
        } catch (const InputError &e) {
            QCOMPARE(QString::fromStdString(e.file()), path("missing.pt"));
        }
        // A bit flipped inside the weights' data: LibTorch would load it; the entry's checksum refuses it.
        {
            std::string bytes;
            {
                std::ifstream in(checkpoint_.toStdString(), std::ios::binary);
                bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
            }
            const std::vector<ZipEntry> entries = zipEntries(bytes);
            QVERIFY(!entries.empty());
            const ZipEntry &largest =
                *std::max_element(entries.begin(), entries.end(),
                                  [](const ZipEntry &a, const ZipEntry &b) { return a.size < b.size; });
            QVERIFY(largest.stored && largest.size > 1000);
            bytes[largest.offset + largest.size / 2] ^= 0x01;
            std::ofstream(path("flipped.pt").toStdString(), std::ios::binary) << bytes;
            try {
                openEvaluator(path("flipped.pt").toStdString(), optionsFor(EvaluatorKind::Ptq));
                QFAIL("a checkpoint with a flipped bit opened");
            } catch (const InputError &e) {
                QCOMPARE(QString::fromStdString(e.file()), path("flipped.pt"));
                QVERIFY2(std::string(e.what()).find("does not match its checksum") != std::string::npos,
                         e.what());
            }
        }
        // Weights without the info `train` writes: which network, which data?
        QuantNet net(info_.network);
        saveCheckpoint(net, path("bare.pt").toStdString());
        try {
            readCheckpointInfo(path("bare.pt").toStdString());
            QFAIL("a checkpoint without info was read");
        } catch (const InputError &e) {
            QVERIFY2(std::string(e.what()).find("bitloop-cli train") != std::string::npos, e.what());
        }
        // A dataset whose images do not fit the checkpoint's network.
        EvaluatorOptions o = optionsFor(EvaluatorKind::Ptq);
        o.dataset = "mnist:" + tmp_.path().toStdString() + "/no-such-folder";
        QVERIFY_THROWS_EXCEPTION(InputError, openEvaluator(checkpoint_.toStdString(), o));
    }

    void cliAgreesWithTheApiAndCaches()
    {
        const QString cacheDir = path("cache");
        const QStringList args = {"accuracy", "--checkpoint", checkpoint_, "--wbits",     "4",      "--abits",
                                  "6",        "--threads",    "1",         "--cache-dir", cacheDir, "--json"};
        CliRun r;
        RUN_CLI(r, args);
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        const QJsonObject j = r.json();
        EvaluatorOptions defaults; // what the CLI uses unless told otherwise
        defaults.threads = 1;
        const double api =
            openEvaluator(checkpoint_.toStdString(), defaults)->evaluate(uniform(28, 4, 6)).accuracy;
        QCOMPARE(j["accuracy"].toDouble(), api);
        QCOMPARE(j["images"].toInt(), 500);
        QCOMPARE(j["split"].toString(), QString("validation"));
        QCOMPARE(j["resolution"].toString(), QString("28x28"));
        QCOMPARE(j["evaluator"].toString(), QString("ptq"));
        QVERIFY(!j["cached"].toBool());
        QCOMPARE(j["float_accuracy"].toDouble(), info_.validationAccuracy);
        QCOMPARE(j["bits"].toArray().size(), 28);
        CliRun again;
        RUN_CLI(again, args);
        QCOMPARE(again.json()["accuracy"].toDouble(), api);
        QVERIFY(again.json()["cached"].toBool());

        // Per-layer bits from a file: the same configuration, the same answer (from the cache).
        QFile bits(path("bits.yaml"));
        QVERIFY(bits.open(QIODevice::WriteOnly));
        QByteArray text = "bits:\n";
        for (int i = 0; i < 28; ++i)
            text += "  - [4, 6]\n";
        bits.write(text);
        bits.close();
        CliRun fromFile;
        RUN_CLI(fromFile, QStringList{"accuracy", "--checkpoint", checkpoint_, "--bits", path("bits.yaml"),
                                      "--cache-dir", cacheDir, "--json"});
        QVERIFY2(fromFile.status == 0, qPrintable(fromFile.summary()));
        QCOMPARE(fromFile.json()["accuracy"].toDouble(), api);
        QVERIFY(fromFile.json()["cached"].toBool());

        // --pin over uniform widths: the first layer and the classifier at 8/8 is that configuration, and
        // pins apply over a bits file the same way; the second answer comes from the cache.
        BitConfig ends = uniform(28, 4, 6);
        ends.front() = {8, 8};
        ends.back() = {8, 8};
        const double pinnedApi = openEvaluator(checkpoint_.toStdString(), defaults)->evaluate(ends).accuracy;
        CliRun pinned;
        RUN_CLI(pinned, QStringList{"accuracy", "--checkpoint", checkpoint_, "--wbits", "4", "--abits", "6",
                                    "--pin", "1:8:8", "--pin", "28:8:8", "--cache-dir", cacheDir, "--json"});
        QVERIFY2(pinned.status == 0, qPrintable(pinned.summary()));
        QCOMPARE(pinned.json()["accuracy"].toDouble(), pinnedApi);
        QVERIFY(!pinned.json()["cached"].toBool());
        const QJsonArray pinnedBits = pinned.json()["bits"].toArray();
        QCOMPARE(pinnedBits.first().toArray().first().toInt(), 8);
        QCOMPARE(pinnedBits.at(1).toArray().first().toInt(), 4);
        QCOMPARE(pinnedBits.last().toArray().last().toInt(), 8);
        CliRun pinnedFile;
        RUN_CLI(pinnedFile,
                QStringList{"accuracy", "--checkpoint", checkpoint_, "--bits", path("bits.yaml"), "--pin",
                            "28:8:8", "--pin", "1:8:8", "--cache-dir", cacheDir, "--json"});
        QVERIFY2(pinnedFile.status == 0, qPrintable(pinnedFile.summary()));
        QCOMPARE(pinnedFile.json()["accuracy"].toDouble(), pinnedApi);
        QVERIFY(pinnedFile.json()["cached"].toBool());
    }

    void searchMeasuresErrorWithTheEvaluator()
    {
        const QString out = path("search");
        // The dataset named by a folder relative to where the search starts (a link to the default one):
        // settings.yaml records it absolute, so that the run resumes from anywhere.
        QVERIFY(QFile::link(QString::fromStdString(kFashionMnistDefaultDir), path("fm")));
        CliRun r = runProgram(QStringLiteral(BITLOOP_CLI),
                              smallSearch(out, path("cache")) +
                                  QStringList{"--dataset", "fashion-mnist:fm", "--evaluator", "ptq"},
                              cliEnvironment(), path("."));
        QVERIFY2(r.finished && r.status == 0, qPrintable(r.summary()));
        QVERIFY2(r.out.contains("hardware at 32x32, accuracy at 28x28"), r.out.constData());
        QFile settings(out + "/settings.yaml");
        QVERIFY(settings.open(QIODevice::ReadOnly));
        const QByteArray recorded =
            "\"--dataset\", \"fashion-mnist:" + QDir(path(".")).absoluteFilePath("fm").toUtf8();
        QVERIFY2(settings.readAll().contains(recorded), recorded.constData());
        QFile f(out + "/front.csv");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> rows = f.readAll().trimmed().split('\n');
        QVERIFY(rows[0].startsWith("error,energy_uJ,memory_bytes,L01_conv1_w"));
        // Every point's error is 1 - what the ptq evaluator measures for its bits.
        EvaluatorOptions defaults;
        defaults.threads = 1;
        auto ev = openEvaluator(checkpoint_.toStdString(), defaults);
        QVERIFY(rows.size() >= 2);
        for (const QByteArray &row : rows.mid(1)) {
            const QList<QByteArray> cells = row.split(',');
            QCOMPARE(cells.size(), 3 + 2 * 28);
            BitConfig bits;
            for (int c = 3; c + 1 < cells.size(); c += 2)
                bits.push_back({cells[c].toInt(), cells[c + 1].toInt()});
            QCOMPARE(cells[0].toDouble(), 1.0 - ev->evaluate(bits).accuracy);
        }
    }

    // A search stopped (Ctrl-C) while a candidate fine-tunes keeps that fine-tuning's state; resumed, the
    // search says where the candidate's fine-tuning goes on from (once) and uses the state up.
    void searchSaysWhenAFineTuningResumes()
    {
        const QString out = path("ft-search"), cache = path("ft-cache");
        const QStringList args =
            smallSearch(out, cache) +
            QStringList{"--evaluator", "qat-short", "--steps", "60", "--limit", "200", "--state-every", "10"};
        QProcess p;
        p.setProcessEnvironment(cliEnvironment());
        p.start(QStringLiteral(BITLOOP_CLI), args);
        QVERIFY(p.waitForStarted(10000));
        // The first periodic state (step 10 of a candidate's 60) is the moment to stop.
        const QDir states(cache + "/training-state");
        QVERIFY2(waitForFileWhileRunning(p, states.path(), "*.state"),
                 "the search ended before any fine-tuning kept a state");
        QCOMPARE(::kill(static_cast<pid_t>(p.processId()), SIGINT), 0);
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        const QByteArray stopped = p.readAllStandardOutput();
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(stopped.contains("Stopped before the first generation (0 evaluations)") &&
                     stopped.contains("Continue with: bitloop-cli search --resume"),
                 stopped.constData());
        QCOMPARE(states.entryList({"*.state"}, QDir::Files).size(), 1);

        CliRun resumed;
        RUN_CLI(resumed, QStringList{"search", "--resume", out});
        QVERIFY2(resumed.status == 0, qPrintable(resumed.summary()));
        // "candidate K of 4: fine-tuning resumed at step S of 60 from its saved state", S at least 10.
        const QRegularExpression said(
            "^candidate [1-4] of 4: fine-tuning resumed at step ([0-9]+) of 60 from its saved state$",
            QRegularExpression::MultilineOption);
        const QRegularExpressionMatch m = said.match(QString::fromUtf8(resumed.err));
        QVERIFY2(m.hasMatch(), resumed.err.constData());
        QVERIFY2(m.captured(1).toInt() >= 10 && m.captured(1).toInt() < 60, resumed.err.constData());
        QCOMPARE(resumed.err.count("resumed at step"), 1);
        QVERIFY(states.entryList({"*.state"}, QDir::Files).isEmpty()); // used and removed
    }

    // tests/bench_headline.py rebuilds the headline table from a run directory. Its test figures must be
    // those of the run's evaluator as the run set it up (here ptq from one calibration batch of 8 images,
    // not the default four of 64).
    void headlineScriptMeasuresAsTheRunDid()
    {
        const QString run = path("headline-run");
        const QStringList evaluator = {"--evaluator", "ptq", "--calibration-batches", "1", "--batch", "8"};
        CliRun search;
        RUN_CLI(search, smallSearch(run, path("hcache")) + evaluator);
        QVERIFY2(search.status == 0, qPrintable(search.summary()));
        const QStringList test8 = {
            "accuracy", "--checkpoint", checkpoint_, "--wbits", "8",          "--abits",
            "8",        "--test",       "--threads", "1",       "--no-cache", "--json"};
        CliRun asRun, atDefaults;
        RUN_CLI(asRun, test8 + evaluator);
        RUN_CLI(atDefaults, test8 + QStringList{"--evaluator", "ptq"});
        const double expected = asRun.json()["accuracy"].toDouble();
        // Otherwise this test could not tell the run's settings from the defaults.
        QVERIFY2(expected != atDefaults.json()["accuracy"].toDouble(), qPrintable(asRun.summary()));

        const CliRun r = runProgram(QStringLiteral(BITLOOP_PYTHON),
                                    {QStringLiteral(BITLOOP_HEADLINE), QStringLiteral(BITLOOP_CLI), run},
                                    cliEnvironment());
        QVERIFY2(r.finished && r.status == 0, qPrintable(r.summary()));
        const QByteArray line = "test accuracy by ptq: 8/8 " + QByteArray::number(expected, 'f', 4) + ",";
        QVERIFY2(r.out.contains(line), qPrintable(QString::fromUtf8(line) + "\n" + r.summary()));

        // --confirm-seeds: 8/8's re-measured figure is the mean over the seeds, each seed's figure shown.
        // Max calibration (auto): its step follows each seed's batch of 8 closely, where MSE's grid of
        // clipping ratios can give both seeds the same steps and so the same figure.
        const QStringList confirmed = {"--calibration-batches", "1",   "--batch", "8",
                                       "--activation-scale",    "auto"};
        double seed[2] = {};
        for (int s = 0; s < 2; ++s) {
            CliRun one;
            RUN_CLI(one, test8 +
                             QStringList{"--evaluator", "ptq", "--evaluator-seed", QString::number(s + 1)} +
                             confirmed);
            seed[s] = one.json()["accuracy"].toDouble();
        }
        QVERIFY2(seed[0] != seed[1], "the two seeds must differ, or the mean could not be told from either");
        const CliRun seeds = runProgram(QStringLiteral(BITLOOP_PYTHON),
                                        {QStringLiteral(BITLOOP_HEADLINE), QStringLiteral(BITLOOP_CLI), run,
                                         "--confirm", "ptq", "--confirm-args", confirmed.join(' '),
                                         "--confirm-seeds", "1,2", "--tries", "0"},
                                        cliEnvironment());
        QVERIFY2(seeds.finished && seeds.status == 0, qPrintable(seeds.summary()));
        const QByteArray meanLine = "8/8: ptq test " + QByteArray::number((seed[0] + seed[1]) / 2, 'f', 4) +
                                    " (seeds 1: " + QByteArray::number(seed[0], 'f', 4) +
                                    ", 2: " + QByteArray::number(seed[1], 'f', 4) + ")\n";
        QVERIFY2(seeds.out.contains(meanLine),
                 qPrintable(QString::fromUtf8(meanLine) + "\n" + seeds.summary()));
        const CliRun noConfirm = runProgram(
            QStringLiteral(BITLOOP_PYTHON),
            {QStringLiteral(BITLOOP_HEADLINE), QStringLiteral(BITLOOP_CLI), run, "--confirm-seeds", "1,2"},
            cliEnvironment());
        QCOMPARE(noConfirm.status, 2);
        QVERIFY2(noConfirm.err.contains("--confirm-seeds: only with --confirm"), noConfirm.err.constData());

        // --rescreen-ranks K: the points re-screened are those of the run's first K fronts (energy against
        // validation accuracy) within the slack. With every point in the slack, one front is the points no
        // cheaper-or-equal point matches or beats, and enough fronts take every distinct point under 8/8.
        const int onFront = countRunPoints(run, true), underEight = countRunPoints(run, false);
        QVERIFY2(onFront >= 1 && underEight >= onFront,
                 qPrintable(QString("%1 %2").arg(onFront).arg(underEight)));
        for (const auto &[ranks, expected] : {std::pair<int, int>{1, onFront}, {50, underEight}}) {
            const CliRun pool =
                runProgram(QStringLiteral(BITLOOP_PYTHON),
                           {QStringLiteral(BITLOOP_HEADLINE), QStringLiteral(BITLOOP_CLI), run, "--confirm",
                            "ptq", "--confirm-args", confirmed.join(' '), "--slack", "100", "--rescreen",
                            "64", "--bisect", "--rescreen-ranks", QString::number(ranks), "--tries", "0"},
                           cliEnvironment());
            QVERIFY2(pool.finished && pool.status == 0, qPrintable(pool.summary()));
            const QByteArray counted =
                QByteArray::number(expected) +
                " candidates within 100.00 validation points of 8/8 on the run's figures";
            QVERIFY2(pool.out.contains(counted),
                     qPrintable(QString::fromUtf8(counted) + "\n" + pool.summary()));
        }
        for (const QStringList &bad :
             {QStringList{"--confirm", "ptq", "--rescreen-ranks", "2"},
              QStringList{"--confirm", "ptq", "--rescreen", "0", "--rescreen-ranks", "0"}}) {
            const CliRun refused = runProgram(
                QStringLiteral(BITLOOP_PYTHON),
                QStringList{QStringLiteral(BITLOOP_HEADLINE), QStringLiteral(BITLOOP_CLI), run} + bad,
                cliEnvironment());
            QCOMPARE(refused.status, 2);
            QVERIFY2(refused.err.contains("--rescreen-ranks:"), refused.err.constData());
        }

        // Bad input: one line, exit 2.
        const CliRun missing =
            runProgram(QStringLiteral(BITLOOP_PYTHON),
                       {QStringLiteral(BITLOOP_HEADLINE), QStringLiteral(BITLOOP_CLI), path("no-such-run")},
                       cliEnvironment());
        QCOMPARE(missing.status, 2);
        QVERIFY2(missing.err.contains("not a run directory"), missing.err.constData());
    }

    void cliBadInput()
    {
        struct Case {
            QStringList args;
            const char *says;
        };
        QFile shortBits(path("short.yaml"));
        QVERIFY(shortBits.open(QIODevice::WriteOnly));
        shortBits.write("bits:\n  - [8, 8]\n  - [4, 4]\n");
        shortBits.close();
        const QString missingDir = path("no-such-dataset");
        const QList<Case> cases = {
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "9", "--abits", "8"}, "bit-width of 9"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "8", "--abits", "1"}, "bit-width of 1"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8", "--evaluator",
              "qat_long"},
             "unknown evaluator 'qat_long'"},
            {{"accuracy", "--checkpoint", checkpoint_, "--bits", path("short.yaml")}, "has 28"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8", "--state-every", "10"},
             "--state-every is for qat-short and qat"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8", "--evaluator", "qat",
              "--state-every", "-1"},
             "--state-every"},
            {{"accuracy", "--checkpoint", path("missing.pt"), "--wbits", "8", "--abits", "8"}, "not found"},
            {{"accuracy", "--checkpoint", checkpoint_}, "--wbits"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "4", "--abits", "4", "--pin", "29:8:8"},
             "no layer 29 (mobilenet_v1 has 28 layers"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "4", "--abits", "4", "--pin", "1:8"},
             "expected LAYER:WEIGHT_BITS:ACTIVATION_BITS"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "4", "--abits", "4", "--pin", "1:x:8"},
             "'x' is not an integer"},
            {{"accuracy", "--checkpoint", checkpoint_, "--wbits", "4", "--abits", "4", "--pin", "28:8:1"},
             "layer 28: a bit-width of 1"},
            {{"train", "--network", "mobilenet_v1", "--dataset", "mnist:" + missingDir, "--out",
              path("x.pt")},
             "no-such-dataset"},
            {{"train", "--network", "mobilenet_v1", "--dataset", "fashion-mnist", "--optimizer", "rmsprop",
              "--out", path("x.pt")},
             "--optimizer"},
        };
        for (const Case &c : cases) {
            CliRun r;
            RUN_CLI(r, c.args);
            QVERIFY2(r.status == 2, qPrintable(r.summary()));
            QVERIFY2(r.err.contains(c.says), qPrintable(r.summary()));
            QVERIFY2(r.err.count('\n') == 1, qPrintable(r.summary())); // one line
        }
        QVERIFY(!QFile::exists(path("x.pt")));
    }
};

QTEST_GUILESS_MAIN(TestQatEval)
#include "test_qat_eval.moc"
