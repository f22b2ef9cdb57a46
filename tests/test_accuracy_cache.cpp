// The accuracy side's interface and cache, without LibTorch: evaluator names and settings, the cache key
// (every part of the question changes it, nothing else does), answers that survive the process and are
// shared between connections, cancelled answers never stored, and CachedEvaluator computing each
// configuration once.
#include "accuracy/accuracy_cache.h"
#include "accuracy/evaluator.h"

#include <QTemporaryDir>
#include <QtTest>

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
        QCOMPARE(s.describe(), std::string("evaluator=ptq calibration_batches=4 batch=64 seed=1"));
        // ptq does not fine-tune: steps, epochs and lr do not change its question.
        EvaluatorSettings t = s;
        t.steps = 999;
        t.epochs = 7;
        t.lr = 0.1;
        QCOMPARE(t.describe(), s.describe());
        s.kind = EvaluatorKind::QatShort;
        QCOMPARE(s.describe(),
                 std::string("evaluator=qat-short calibration_batches=4 batch=64 steps=200 lr=0.005 "
                             "distill=T2,w0.5 seed=1"));
        s.kind = EvaluatorKind::Qat;
        s.epochs = 3;
        s.distill = false; // undistilled: the text (and so the cache key) from before distillation existed
        QCOMPARE(s.describe(),
                 std::string("evaluator=qat calibration_batches=4 batch=64 epochs=3 lr=0.005 seed=1"));
        // The supernet's file fixes its training; only re-estimation and evaluation settings remain.
        s.kind = EvaluatorKind::Supernet;
        QCOMPARE(s.describe(), std::string("evaluator=supernet bn_batches=8 batch=64 seed=1"));
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

    void unwritableDirectoryNamesTheFile()
    {
        QTemporaryDir dir;
        const QString file = dir.path() + "/plain-file";
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        try {
            AccuracyCache cache((file + "/sub").toStdString());
            QFAIL("a cache under a plain file opened");
        } catch (const std::runtime_error &e) {
            QVERIFY2(std::string(e.what()).find("accuracy.sqlite") != std::string::npos, e.what());
        }
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
