// The accuracy side's interface and cache, without LibTorch: evaluator names and settings, the cache key
// (every part of the question changes it, nothing else does), answers that survive the process and are
// shared between connections, cancelled answers never stored, and CachedEvaluator computing each
// configuration once.
#include "accuracy/accuracy_cache.h"
#include "accuracy/evaluator.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

#include <stdexcept>

using namespace bitloop;

namespace
{

BitConfig uniform(int layers, int w, int a)
{
    return BitConfig(static_cast<size_t>(layers), LayerBits{w, a});
}

// An evaluator whose answer is a known function of the bits (mean weight bits / 10), counting its calls.
class CountingEvaluator : public AccuracyEvaluator
{
public:
    explicit CountingEvaluator(int layers, bool cancelAll = false) : layers_(layers), cancelAll_(cancelAll) {}
    int numLayers() const override { return layers_; }
    const EvaluatorSettings &settings() const override { return settings_; }
    std::string context() const override { return "counting evaluator over " + std::to_string(layers_); }
    AccuracyResult evaluate(const BitConfig &bits, const AccuracyProgressFn &,
                            const std::atomic<bool> *) override
    {
        ++calls;
        AccuracyResult r;
        double sum = 0;
        for (const LayerBits &b : bits)
            sum += b.weights;
        r.accuracy = sum / static_cast<double>(bits.size()) / 10.0;
        r.images = 1000;
        r.seconds = 1.5;
        r.cancelled = cancelAll_;
        return r;
    }
    int calls = 0;
    EvaluatorSettings settings_;

private:
    int layers_;
    bool cancelAll_;
};

} // namespace

class TestAccuracyCache : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void evaluatorNames()
    {
        for (EvaluatorKind k :
             {EvaluatorKind::Ptq, EvaluatorKind::QatShort, EvaluatorKind::Qat, EvaluatorKind::Supernet})
            QCOMPARE(parseEvaluatorKind(evaluatorName(k)), k);
        QCOMPARE(std::string(evaluatorName(EvaluatorKind::QatShort)), std::string("qat-short"));
        try {
            parseEvaluatorKind("qat_long");
            QFAIL("an unknown evaluator was accepted");
        } catch (const std::invalid_argument &e) {
            QVERIFY(std::string(e.what()).find("qat_long") != std::string::npos);
            QVERIFY(std::string(e.what()).find("ptq, qat-short, qat or supernet") != std::string::npos);
        }
    }

    void settingsDescribeOnlyWhatMatters()
    {
        EvaluatorSettings s;
        // The default activation steps (least squared error) are named, so that the rows of the earlier rule
        // (auto: ptq max, fine-tuning LSQ), which had no name, keep answering for --activation-scale auto.
        QCOMPARE(s.describe(), std::string("evaluator=ptq calibration_batches=4 batch=64 image=pixels "
                                           "activations=mse seed=1"));
        EvaluatorSettings autoSteps = s;
        autoSteps.activationMse = false;
        QCOMPARE(autoSteps.describe(),
                 std::string("evaluator=ptq calibration_batches=4 batch=64 image=pixels seed=1"));
        QVERIFY(accuracyKey("c", s, {{4, 4}}).digest != accuracyKey("c", autoSteps, {{4, 4}}).digest);
        s.activationMse = false;
        // MSE weight scaling is named; max scaling (the default) is not, as before the choice existed.
        EvaluatorSettings mse = s;
        mse.weightScale = qat::WeightScale::Mse;
        QCOMPARE(mse.describe(),
                 std::string("evaluator=ptq calibration_batches=4 batch=64 image=pixels weights=mse seed=1"));
        QVERIFY(accuracyKey("c", s, {{4, 4}}).digest != accuracyKey("c", mse, {{4, 4}}).digest);
        // ptq does not fine-tune: steps, epochs and lr do not change its question.
        EvaluatorSettings t = s;
        t.steps = 999;
        t.epochs = 7;
        t.lr = 0.1;
        QCOMPARE(t.describe(), s.describe());
        // ptq keeps the checkpoint's BatchNorm statistics: re-estimation batches do not change its question.
        t.bnBatches = 0;
        t.qatBnBatches = 4;
        QCOMPARE(t.describe(), s.describe());
        QCOMPARE(t.bnImages(), int64_t{0});
        s.kind = EvaluatorKind::QatShort;
        // Fine-tuning without re-estimating BatchNorm afterwards (the default, and the only way before the
        // setting existed) keeps the earlier text, so those rows answer; re-estimating is named.
        QCOMPARE(s.describe(),
                 std::string("evaluator=qat-short calibration_batches=4 batch=64 steps=200 lr=0.005 "
                             "distill=T2,w0.5 clip=25 image=pixels seed=1"));
        EvaluatorSettings reestimated = s;
        reestimated.qatBnBatches = 8;
        reestimated.bnBatches = 3; // the supernet's setting: not a fine-tuning question
        QCOMPARE(reestimated.describe(),
                 std::string("evaluator=qat-short calibration_batches=4 batch=64 steps=200 lr=0.005 "
                             "distill=T2,w0.5 clip=25 bn_images=512 image=pixels seed=1"));
        QVERIFY(accuracyKey("c", s, {{2, 2}}).digest != accuracyKey("c", reestimated, {{2, 2}}).digest);
        QCOMPARE(reestimated.bnImages(), int64_t{512}); // qatBnBatches x batch; bnBatches is not qat's
        reestimated.check();
        reestimated.qatBnBatches = -1;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, reestimated.check());
        // The images go through the network in one batch: at most 8192 of them.
        reestimated.qatBnBatches = 128; // x 64 = 8192
        reestimated.check();
        reestimated.qatBnBatches = 129;
        try {
            reestimated.check();
            QFAIL("8256 BatchNorm images were accepted");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(std::string(e.what()).find("129 batches of 64 = 8256 images, at most 8192") !=
                         std::string::npos,
                     e.what());
        }
        // A step learning-rate multiple other than 1 is a different question; 1 keeps the old text.
        EvaluatorSettings stepLr = s;
        stepLr.stepLrScale = 10;
        QCOMPARE(stepLr.describe(),
                 std::string("evaluator=qat-short calibration_batches=4 batch=64 steps=200 lr=0.005 "
                             "distill=T2,w0.5 clip=25 step_lr=10 image=pixels seed=1"));
        stepLr.activationMse = true;
        QCOMPARE(stepLr.describe(),
                 std::string("evaluator=qat-short calibration_batches=4 batch=64 steps=200 lr=0.005 "
                             "distill=T2,w0.5 clip=25 step_lr=10 image=pixels activations=mse seed=1"));
        // Started from a supernet, the steps are the supernet's: no calibration words in the question.
        EvaluatorSettings fromSupernet = stepLr;
        fromSupernet.startFromSupernet = true;
        QCOMPARE(fromSupernet.describe(),
                 std::string("evaluator=qat-short batch=64 steps=200 lr=0.005 "
                             "distill=T2,w0.5 clip=25 step_lr=10 start=supernet image=pixels seed=1"));
        stepLr.kind = EvaluatorKind::Ptq; // ptq does not fine-tune: no step learning rate
        QCOMPARE(stepLr.describe(), std::string("evaluator=ptq calibration_batches=4 batch=64 image=pixels "
                                                "activations=mse seed=1"));
        s.kind = EvaluatorKind::Qat;
        s.epochs = 3;
        // Undistilled, unclipped, with the image quantized as normalized values: the text (and so the cache
        // key) from before either choice existed, so those rows still answer.
        s.distill = false;
        s.quantizePixels = false;
        s.maxGradNorm = 0;
        QCOMPARE(s.describe(),
                 std::string("evaluator=qat calibration_batches=4 batch=64 epochs=3 lr=0.005 seed=1"));
        // The supernet's file fixes its training, its activation steps included; only re-estimation and
        // evaluation settings remain.
        s.kind = EvaluatorKind::Supernet;
        s.quantizePixels = true;
        // Re-estimated in one pass, named by the number of images (the batch-by-batch rows said bn_batches
        // and batch, and no longer answer); the evaluation batch does not change an answer.
        QCOMPARE(s.describe(), std::string("evaluator=supernet bn_images=512 seed=1"));
        s.activationMse = true;
        QCOMPARE(s.describe(), std::string("evaluator=supernet bn_images=512 seed=1"));
        s.check();
        s.bnBatches = 4;
        s.batchSize = 128;
        QCOMPARE(s.describe(), std::string("evaluator=supernet bn_images=512 seed=1"));
        QCOMPARE(s.bnImages(), int64_t{512});
        s.bnBatches = 65; // 8320 images in one batch
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.check());
    }

    void settingsChecked()
    {
        EvaluatorSettings s;
        s.calibrationBatches = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.check());
        s = {};
        s.kind = EvaluatorKind::QatShort;
        s.steps = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.check());
        s = {};
        s.kind = EvaluatorKind::Qat;
        s.epochs = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.check());
        s = {};
        s.kind = EvaluatorKind::Qat;
        s.stepLrScale = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.check());
        s = {};
        s.kind = EvaluatorKind::Qat;
        s.lr = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.check());
        EvaluatorSettings ok;
        ok.check();
    }

    void formatBits() { QCOMPARE(formatBitConfig({{8, 8}, {4, 6}, {2, 16}}), std::string("8/8 4/6 2/16")); }

    void keyChangesWithEveryPart()
    {
        const EvaluatorSettings s;
        const AccuracyKey base = accuracyKey("ctx", s, uniform(3, 8, 8));
        QCOMPARE(base.digest.size(), size_t(64));
        QCOMPARE(accuracyKey("ctx", s, uniform(3, 8, 8)).digest, base.digest);
        QVERIFY(accuracyKey("ctx2", s, uniform(3, 8, 8)).digest != base.digest);
        QVERIFY(accuracyKey("ctx", s, {{8, 8}, {8, 8}, {8, 7}}).digest != base.digest);
        QVERIFY(accuracyKey("ctx", s, {{8, 8}, {8, 8}, {7, 8}}).digest != base.digest);
        EvaluatorSettings other = s;
        other.calibrationBatches = 5;
        QVERIFY(accuracyKey("ctx", other, uniform(3, 8, 8)).digest != base.digest);
        other = s;
        other.kind = EvaluatorKind::QatShort;
        QVERIFY(accuracyKey("ctx", other, uniform(3, 8, 8)).digest != base.digest);
    }

    void storeAndLookUpAcrossConnections()
    {
        QTemporaryDir dir;
        const AccuracyKey k = accuracyKey("ctx", {}, uniform(2, 4, 4));
        AccuracyResult r;
        r.accuracy = 0.8125;
        r.images = 6000;
        r.seconds = 2.25;
        {
            AccuracyCache cache(dir.path().toStdString());
            QVERIFY(!cache.lookup(k));
            cache.store(k, r);
            QCOMPARE(cache.entries(), int64_t(1));
        }
        AccuracyCache again(dir.path().toStdString());
        AccuracyCache other(dir.path().toStdString()); // a second connection, as another process has
        for (AccuracyCache *c : {&again, &other}) {
            const auto hit = c->lookup(k);
            QVERIFY(hit);
            QCOMPARE(hit->accuracy, 0.8125);
            QCOMPARE(hit->images, int64_t(6000));
            QCOMPARE(hit->seconds, 2.25);
            QVERIFY(hit->cached);
        }
        QVERIFY(!again.lookup(accuracyKey("ctx", {}, uniform(2, 4, 3))));
        QCOMPARE(again.path(), (dir.path() + "/accuracy.sqlite").toStdString());
    }

    void cancelledIsNeverStored()
    {
        QTemporaryDir dir;
        AccuracyCache cache(dir.path().toStdString());
        AccuracyResult r;
        r.cancelled = true;
        cache.store(accuracyKey("ctx", {}, uniform(1, 8, 8)), r);
        QCOMPARE(cache.entries(), int64_t(0));
    }

    // A location the cache cannot use (under a plain file; a file that is not a database) is not an error
    // any more (issue 14): one warning naming the file, then the cache works as none and answers are
    // computed.
    void unusableLocationDegradesToNoCache()
    {
        QTemporaryDir dir;
        const QString file = dir.path() + "/plain-file";
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        QDir(dir.path()).mkdir("garbage");
        QFile g(dir.path() + "/garbage/accuracy.sqlite");
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(QByteArray(8192, 'x'));
        g.close();
        for (const QString &where : {file + "/sub", dir.path() + "/garbage"}) {
            std::vector<std::string> warnings;
            auto cache = std::make_shared<AccuracyCache>(
                where.toStdString(), [&](const std::string &w) { warnings.push_back(w); });
            QCOMPARE(warnings.size(), size_t(1));
            QVERIFY2(warnings[0].find("accuracy.sqlite") != std::string::npos, warnings[0].c_str());
            QVERIFY2(warnings[0].find("running without it") != std::string::npos, warnings[0].c_str());
            QVERIFY(!cache->usable());
            auto inner = std::make_unique<CountingEvaluator>(2);
            CountingEvaluator *counting = inner.get();
            CachedEvaluator ev(std::move(inner), cache);
            QCOMPARE(ev.evaluate(uniform(2, 8, 8)).accuracy, 0.8);
            QVERIFY(!ev.evaluate(uniform(2, 8, 8)).cached);
            QCOMPARE(counting->calls, 2);
            QCOMPARE(cache->entries(), int64_t(0));
            QCOMPARE(warnings.size(), size_t(1)); // one warning, not one per use
        }
    }

    // A stored answer that no longer matches its checksum (a flipped bit, an edited row) or that no
    // evaluation can give is dropped with one warning, recomputed and replaced; it is never returned.
    void damagedRowsAreDroppedAndRecomputed_data()
    {
        QTest::addColumn<QString>("update");
        QTest::newRow("accuracy edited") << "UPDATE accuracy SET accuracy = 0.99";
        QTest::newRow("images edited") << "UPDATE accuracy SET images = 7";
        QTest::newRow("checksum damaged") << "UPDATE accuracy SET checksum = 'x' || substr(checksum, 2)";
        QTest::newRow("legacy row, impossible accuracy")
            << "UPDATE accuracy SET checksum = NULL, accuracy = 3.5";
        QTest::newRow("legacy row, text accuracy") << "UPDATE accuracy SET checksum = NULL, accuracy = 'abc'";
    }
    void damagedRowsAreDroppedAndRecomputed()
    {
        QFETCH(QString, update);
        QTemporaryDir dir;
        std::vector<std::string> warnings;
        auto cache = std::make_shared<AccuracyCache>(dir.path().toStdString(),
                                                     [&](const std::string &w) { warnings.push_back(w); });
        auto inner = std::make_unique<CountingEvaluator>(2);
        CountingEvaluator *counting = inner.get();
        CachedEvaluator ev(std::move(inner), cache);
        QCOMPARE(ev.evaluate(uniform(2, 6, 8)).accuracy, 0.6);
        {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open((dir.path() + "/accuracy.sqlite").toUtf8().constData(), &db), SQLITE_OK);
            QCOMPARE(sqlite3_exec(db, update.toUtf8().constData(), nullptr, nullptr, nullptr), SQLITE_OK);
            sqlite3_close(db);
        }
        const AccuracyResult again = ev.evaluate(uniform(2, 6, 8));
        QVERIFY(!again.cached);
        QCOMPARE(again.accuracy, 0.6);
        QCOMPARE(counting->calls, 2);
        QCOMPARE(warnings.size(), size_t(1));
        QVERIFY2(warnings[0].find("damaged row") != std::string::npos &&
                     warnings[0].find("bits: 6/8 6/8") != std::string::npos,
                 warnings[0].c_str());
        // Replaced: the next answer comes from the cache, with no further warning.
        const AccuracyResult third = ev.evaluate(uniform(2, 6, 8));
        QVERIFY(third.cached);
        QCOMPARE(third.accuracy, 0.6);
        QCOMPARE(counting->calls, 2);
        QCOMPARE(warnings.size(), size_t(1));
        QCOMPARE(cache->entries(), int64_t(1));
    }

    // Rows written before checksums existed (no checksum column) are still answers when their figures are
    // possible: the column is added and such rows are read.
    void rowsFromBeforeChecksumsAreKept()
    {
        QTemporaryDir dir;
        const AccuracyKey k = accuracyKey("ctx", {}, uniform(2, 4, 4));
        {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open((dir.path() + "/accuracy.sqlite").toUtf8().constData(), &db), SQLITE_OK);
            QCOMPARE(sqlite3_exec(db,
                                  "CREATE TABLE accuracy(key TEXT PRIMARY KEY, key_text TEXT, accuracy REAL, "
                                  "images INT, seconds REAL, created TEXT)",
                                  nullptr, nullptr, nullptr),
                     SQLITE_OK);
            sqlite3_stmt *st = nullptr;
            sqlite3_prepare_v2(db, "INSERT INTO accuracy VALUES(?1, ?2, 0.75, 6000, 2.5, 'then')", -1, &st,
                               nullptr);
            sqlite3_bind_text(st, 1, k.digest.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 2, k.text.c_str(), -1, SQLITE_TRANSIENT);
            QCOMPARE(sqlite3_step(st), SQLITE_DONE);
            sqlite3_finalize(st);
            sqlite3_close(db);
        }
        std::vector<std::string> warnings;
        AccuracyCache cache(dir.path().toStdString(), [&](const std::string &w) { warnings.push_back(w); });
        const auto hit = cache.lookup(k);
        QVERIFY(hit);
        QCOMPARE(hit->accuracy, 0.75);
        QVERIFY(warnings.empty());
    }

    void cachedEvaluatorComputesOnce()
    {
        QTemporaryDir dir;
        auto cache = std::make_shared<AccuracyCache>(dir.path().toStdString());
        auto inner = std::make_unique<CountingEvaluator>(3);
        CountingEvaluator *counting = inner.get();
        CachedEvaluator ev(std::move(inner), cache);
        const AccuracyResult first = ev.evaluate({{8, 8}, {6, 8}, {4, 8}});
        QCOMPARE(first.accuracy, 0.6);
        QVERIFY(!first.cached);
        const AccuracyResult second = ev.evaluate({{8, 8}, {6, 8}, {4, 8}});
        QCOMPARE(second.accuracy, 0.6);
        QVERIFY(second.cached);
        QCOMPARE(second.seconds, 1.5); // what computing it took, as stored
        QCOMPARE(counting->calls, 1);
        ev.evaluate({{8, 8}, {6, 8}, {4, 7}});
        QCOMPARE(counting->calls, 2);
        // Another evaluator over the same cache and context (a second search) computes nothing.
        CachedEvaluator ev2(std::make_unique<CountingEvaluator>(3), cache);
        QVERIFY(ev2.evaluate({{8, 8}, {6, 8}, {4, 8}}).cached);
        // Other settings are another question.
        auto innerQat = std::make_unique<CountingEvaluator>(3);
        innerQat->settings_.kind = EvaluatorKind::QatShort;
        CachedEvaluator ev3(std::move(innerQat), cache);
        QVERIFY(!ev3.evaluate({{8, 8}, {6, 8}, {4, 8}}).cached);
        // A configuration of the wrong length never reaches the evaluator.
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ev.evaluate({{8, 8}}));
        QCOMPARE(counting->calls, 2);
    }

    void cancelledEvaluationsAreRecomputed()
    {
        QTemporaryDir dir;
        auto cache = std::make_shared<AccuracyCache>(dir.path().toStdString());
        CachedEvaluator ev(std::make_unique<CountingEvaluator>(2, /*cancelAll=*/true), cache);
        QVERIFY(ev.evaluate(uniform(2, 8, 8)).cancelled);
        QVERIFY(ev.evaluate(uniform(2, 8, 8)).cancelled);
        QCOMPARE(cache->entries(), int64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestAccuracyCache)
#include "test_accuracy_cache.moc"
