// The supernet and distillation, on a slice of the real Fashion-MNIST: the distillation loss on a
// hand-worked example; a supernet trained through the CLI answers for any per-layer configuration, and its
// accuracy responds to the bits; the evaluator, the CLI and the file's own figures agree; a cancelled
// training writes nothing and a resumed one ends where the uninterrupted one does; fine-tuning starts from
// the supernet where asked; a supernet of another checkpoint, bits it was not trained for and damaged files
// are one line naming the file, status 2.
#include "cli_runner.h"

#include "accuracy/accuracy_cache.h"
#include "qat/evaluation_data.h"
#include "qat/quant_net.h"
#include "qat/session.h"
#include "qat/supernet_start.h"
#include "qat/train.h"
#include "util/error.h"

#include <torch/serialize/input-archive.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace bitloop;
using namespace bitloop::qat;

namespace
{

const QStringList kSlice = {"--train-limit", "2000", "--validation-limit", "500", "--test-limit", "500"};
const int kLayers = 28;

BitConfig uniform(int w, int a)
{
    return BitConfig(kLayers, LayerBits{w, a});
}

// A mixed configuration over the widths 2, 4, 8: every layer's pair differs from its neighbour's.
BitConfig mixed()
{
    const int widths[] = {2, 4, 8};
    BitConfig c;
    for (int i = 0; i < kLayers; ++i)
        c.push_back({widths[i % 3], widths[(i + 1) % 3]});
    return c;
}

SupernetOptions smallOptions()
{
    SupernetOptions o;
    o.allowedBits = {2, 4, 8};
    o.steps = 40;
    o.batchSize = 32;
    o.randomConfigs = 1;
    o.threads = 1;
    o.checkpointEvery = 20;
    return o;
}

torch::Tensor actSteps(const std::string &path)
{
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor t;
    archive.read("act_steps", t);
    return t;
}

// One recorded option of a supernet file's settings as older and damaged files have it: files written
// before the option existed lack `field` (", name: value"; `older` receives such a text for the caller to
// read), and an unknown value in its place is refused with an error naming the file and the value.
void checkRecordedOption(const std::string &yaml, const std::string &field, const std::string &unknown,
                         std::string &older)
{
    const size_t at = yaml.find(field);
    QVERIFY2(at != std::string::npos, field.c_str());
    older = yaml;
    older.erase(at, field.size());
    std::string bad = yaml;
    bad.replace(at, field.size(), field.substr(0, field.find(':') + 1) + " " + unknown);
    try {
        parseSupernetInfo(bad, "s.pt");
        QFAIL(qPrintable(QString::fromStdString("an unknown value was accepted: " + bad)));
    } catch (const std::exception &e) {
        const std::string what = e.what();
        QVERIFY2(what.find("s.pt") != std::string::npos && what.find(unknown) != std::string::npos, e.what());
    }
}

} // namespace

class TestQatSupernet : public QObject
{
    Q_OBJECT

    QTemporaryDir tmp_;
    QString checkpoint_, supernet_;

    QString path(const char *name) const { return tmp_.filePath(QString::fromUtf8(name)); }

    EvaluatorOptions supernetOptions() const
    {
        EvaluatorOptions o;
        o.settings.kind = EvaluatorKind::Supernet;
        o.threads = 1;
        o.supernet = supernet_.toStdString();
        return o;
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
                               "--batch", "32", "--seed", "7", "--threads", "1", "--out", checkpoint_} +
                       kSlice);
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        // 80 sandwich steps over the widths 2, 4 and 8, distilled from the float checkpoint.
        RUN_CLI(r, QStringList{"train-supernet", "--checkpoint", checkpoint_, "--allowed-bits", "2,4,8",
                               "--steps", "80", "--batch", "32", "--random-configs", "1", "--threads", "1",
                               "--json"});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        supernet_ = path("v1.supernet.pt"); // the default name beside the checkpoint
        QCOMPARE(r.json()["supernet"].toString(), supernet_);
        QCOMPARE(r.json()["steps"].toInt(), 80);
        QVERIFY(QFile::exists(supernet_));
        QVERIFY(!QFile::exists(supernet_ + ".state")); // the training state goes once the file is written
    }

    void distillationLossOnAHandWorkedExample()
    {
        // Student logits (0, 0), teacher (ln 3, 0), label 0.
        const torch::Tensor student = torch::zeros({1, 2});
        const torch::Tensor teacher = torch::tensor({{std::log(3.0f), 0.0f}});
        const torch::Tensor labels = torch::zeros({1}, torch::kLong);
        // T = 1, pure distillation: KL((3/4, 1/4) || (1/2, 1/2)) = 3/4 ln(3/2) + 1/4 ln(1/2).
        const double kl1 = 0.75 * std::log(1.5) + 0.25 * std::log(0.5);
        QVERIFY(std::abs(distillationLoss(student, teacher, labels, 1.0, 1.0).item<double>() - kl1) < 1e-6);
        // T = 2, weight 1/2: the teacher softens to (sqrt3, 1) / (sqrt3 + 1); T^2 = 4; CE = ln 2.
        const double p = std::sqrt(3.0) / (std::sqrt(3.0) + 1.0);
        const double kl2 = p * std::log(2 * p) + (1 - p) * std::log(2 * (1 - p));
        const double expected = 0.5 * 4.0 * kl2 + 0.5 * std::log(2.0);
        QVERIFY(std::abs(distillationLoss(student, teacher, labels, 2.0, 0.5).item<double>() - expected) <
                1e-6);
        // Gradients reach the student only.
        const torch::Tensor s = torch::zeros({1, 2}).requires_grad_(true);
        const torch::Tensor t = teacher.clone().requires_grad_(true);
        distillationLoss(s, t, labels, 2.0, 0.5).backward();
        QVERIFY(s.grad().defined());
        QVERIFY(!t.grad().defined());
    }

    void distillationIsPartOfTheCacheKey()
    {
        EvaluatorSettings on;
        on.kind = EvaluatorKind::QatShort;
        EvaluatorSettings off = on;
        off.distill = false;
        // Undistilled settings leave distillation out of the text.
        QCOMPARE(off.describe(), std::string("evaluator=qat-short calibration_batches=4 batch=64 steps=200 "
                                             "lr=0.005 clip=25 image=pixels activations=mse seed=1"));
        QCOMPARE(on.describe(),
                 std::string("evaluator=qat-short calibration_batches=4 batch=64 steps=200 "
                             "lr=0.005 distill=T2,w0.5 clip=25 image=pixels activations=mse seed=1"));
        EvaluatorSettings hotter = on;
        hotter.temperature = 4;
        const BitConfig bits = uniform(4, 4);
        QVERIFY(accuracyKey("c", on, bits).digest != accuracyKey("c", off, bits).digest);
        QVERIFY(accuracyKey("c", on, bits).digest != accuracyKey("c", hotter, bits).digest);
    }

    void supernetAccuracyRespondsToTheBits()
    {
        auto ev = openEvaluator(checkpoint_.toStdString(), supernetOptions());
        QCOMPARE(ev->numLayers(), kLayers);
        const double a8 = ev->evaluate(uniform(8, 8)).accuracy;
        const double a4 = ev->evaluate(uniform(4, 4)).accuracy;
        const double a2 = ev->evaluate(uniform(2, 2)).accuracy;
        const QString figures = QString("8/8 %1, 4/4 %2, 2/2 %3").arg(a8).arg(a4).arg(a2);
        QVERIFY2(a8 > a4 && a4 > a2, qPrintable(figures));
        QVERIFY2(a8 > 0.6, qPrintable(figures)); // the float baseline is near 0.75 on this slice
        // The same configuration twice: the same answer (BatchNorm statistics restored in between).
        QCOMPARE(ev->evaluate(uniform(4, 4)).accuracy, a4);
        // The file's own figures are the evaluator's at its default settings.
        const SupernetInfo info = readSupernetInfo(supernet_.toStdString());
        QCOMPARE(info.widestAccuracy, a8);
        QCOMPARE(info.narrowestAccuracy, a2);
        QCOMPARE(info.options.allowedBits, (std::vector<int>{2, 4, 8}));
        QCOMPARE(info.steps, int64_t(80));
        QCOMPARE(info.options.weightScale, WeightScale::Max);
    }

    // The weight scaling a supernet was trained with is recorded, and files from before the choice
    // existed (no weight_scale) read as max scaling, which is what they used.
    void weightScaleIsRecorded()
    {
        SupernetInfo info = readSupernetInfo(supernet_.toStdString());
        info.options.weightScale = WeightScale::Mse;
        const std::string yaml = supernetInfoToYaml(info);
        QCOMPARE(parseSupernetInfo(yaml, "s.pt").options.weightScale, WeightScale::Mse);
        std::string old;
        checkRecordedOption(yaml, ", weight_scale: mse", "minmax", old);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(parseSupernetInfo(old, "s.pt").options.weightScale, WeightScale::Max);
    }

    void samplingIsRecorded()
    {
        SupernetInfo info = readSupernetInfo(supernet_.toStdString());
        QCOMPARE(info.options.sampling, SupernetSampling::PerLayerAndNarrow); // the default since 2026-12-05
        QVERIFY(info.options.describe().find(" sampling=per-layer+narrow") != std::string::npos);
        QCOMPARE(info.options.epochs, 8);
        info.options.sampling = SupernetSampling::ByMean;
        const std::string yaml = supernetInfoToYaml(info);
        QCOMPARE(parseSupernetInfo(yaml, "s.pt").options.sampling, SupernetSampling::ByMean);
        QVERIFY(info.options.describe().find(" sampling=by-mean") != std::string::npos);
        // Files written before the choice existed drew per layer.
        std::string old;
        checkRecordedOption(yaml, ", sampling: by-mean", "stratified", old);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(parseSupernetInfo(old, "s.pt").options.sampling, SupernetSampling::PerLayer);
        CliRun r;
        RUN_CLI(r, QStringList{"train-supernet", "--checkpoint", checkpoint_, "--sampling", "stratified",
                               "--out", path("never.pt")});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains("--sampling") && r.err.contains("stratified"), r.err.constData());
        QVERIFY(!QFile::exists(path("never.pt")));
    }

    // Each width's activation steps start where a single-width QAT of that rule starts: the LSQ rule by
    // default and in older files, the step of least squared error with activation_scale: mse. Checked
    // against a QuantNet calibrated by hand on the same batches (a 1-step training at lr 1e-9 leaves the
    // steps where they started).
    void activationScaleIsRecordedAndStartsTheSteps()
    {
        for (const bool mse : {false, true}) {
            SupernetOptions o = smallOptions();
            o.allowedBits = {2, 8};
            o.steps = 1;
            o.lr = 1e-9;
            o.activationMse = mse;
            const std::string out = path(mse ? "init_mse.pt" : "init_auto.pt").toStdString();
            QVERIFY(!trainSupernet(checkpoint_.toStdString(), out, o, false).cancelled);
            const SupernetInfo info = readSupernetInfo(out);
            QCOMPARE(info.options.activationMse, mse);
            QCOMPARE(info.options.describe().find(" activations=mse") != std::string::npos, mse);

            const EvaluationData data = loadEvaluationData(checkpoint_.toStdString(), EvaluatorOptions{});
            QuantNet net(data.info.network);
            net.setImageNormalization(data.info.normalization.mean, data.info.normalization.std);
            loadCheckpoint(net, checkpoint_.toStdString());
            torch::NoGradGuard noGrad;
            net.eval();
            net.quantize = true;
            const torch::Tensor steps = actSteps(out);
            for (int64_t j = 0; j < 2; ++j) {
                const int bits = o.allowedBits[static_cast<size_t>(j)];
                net.setBits(std::vector<std::pair<int, int>>(kLayers, {bits, bits}));
                net.startCalibration(mse ? Calibration::Mse : Calibration::LsqMean);
                BatchLoader loader(data.train, data.trainIdx, data.info.normalization, o.batchSize, true,
                                   o.seed);
                loader.startEpoch();
                Batch batch;
                for (int b = 0; b < o.calibrationBatches && loader.next(batch); ++b)
                    net.forward(batch.images);
                net.stopCalibration();
                for (int i = 0; i < kLayers; ++i) {
                    const double want = net.layer(i).inputQuant->stepValue();
                    const double got = steps[i][j].item<double>();
                    QVERIFY2(std::abs(got - want) <= 1e-5 * want,
                             qPrintable(QString("layer %1 at %2 bits: %3 in the file, %4 by hand")
                                            .arg(i + 1)
                                            .arg(bits)
                                            .arg(got)
                                            .arg(want)));
                }
            }
        }
        // The two rules differ where it matters: the 2-bit steps of least squared error are not LSQ's.
        QVERIFY(!torch::allclose(actSteps(path("init_mse.pt").toStdString()).select(1, 0),
                                 actSteps(path("init_auto.pt").toStdString()).select(1, 0)));

        // Older files have no field and started with LSQ's rule; an unknown rule names the file and itself.
        const std::string yaml = supernetInfoToYaml(readSupernetInfo(path("init_mse.pt").toStdString()));
        std::string old;
        checkRecordedOption(yaml, ", activation_scale: mse", "percentile", old);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(parseSupernetInfo(old, "s.pt").options.activationMse, false);
        CliRun r;
        RUN_CLI(r, QStringList{"train-supernet", "--checkpoint", checkpoint_, "--activation-scale", "max",
                               "--out", path("never.pt")});
        QCOMPARE(r.status, 2);
        QVERIFY2(r.err.contains("--activation-scale") && r.err.contains("'max'"), r.err.constData());
        QVERIFY(!QFile::exists(path("never.pt")));
    }

    // Per-layer draws over 2..8 bits average 5 ± 0.3 across 28 layers, so the mixtures a search's
    // low-energy points are made of (a mean of 4 bits or less) are never trained; by-mean draws cover every
    // mean width about equally (its target mean is uniform over [2, 8]).
    void byMeanSamplingCoversEveryMeanWidth()
    {
        const std::vector<int> allowed{2, 3, 4, 5, 6, 7, 8};
        const int n = 3000;
        for (SupernetSampling sampling : {SupernetSampling::PerLayer, SupernetSampling::ByMean}) {
            std::mt19937_64 rng(11);
            int bins[6] = {0, 0, 0, 0, 0, 0}; // mean width in [2,3), [3,4), ..., [7,8]
            for (int k = 0; k < n; ++k) {
                const auto c = drawConfiguration(rng, kLayers, allowed, sampling);
                QCOMPARE(static_cast<int>(c.size()), kLayers);
                double sum = 0;
                for (const auto &[w, a] : c) {
                    QVERIFY(w >= 2 && w <= 8 && a >= 2 && a <= 8);
                    sum += w + a;
                }
                ++bins[std::min(5, static_cast<int>(sum / (2.0 * kLayers)) - 2)];
            }
            if (sampling == SupernetSampling::PerLayer) {
                QVERIFY2(bins[0] + bins[1] < n / 1000, qPrintable(QString::number(bins[0] + bins[1])));
                QVERIFY(bins[2] + bins[3] > n * 99 / 100); // nearly all between 4 and 6 bits
            } else {
                for (int b : bins) // about a sixth each; the end bins a little less (rounding at the ends)
                    QVERIFY2(b > n / 10 && b < n / 4, qPrintable(QString::number(b)));
            }
        }
        // per-layer+narrow: each step's first random configuration averages 2 to 4 bits (within the
        // rounding of ±1.5 around a mean uniform over [2, 4]), every later one per layer.
        std::mt19937_64 mixed(5);
        double lowest = 8, highest = 2, laterLowest = 8;
        for (int k = 0; k < 1000; ++k)
            for (int index : {0, 1}) {
                double sum = 0;
                for (const auto &[w, a] :
                     drawConfiguration(mixed, kLayers, allowed, SupernetSampling::PerLayerAndNarrow, index)) {
                    QVERIFY(w >= 2 && w <= 5 + 3 * index && a >= 2 && a <= 5 + 3 * index);
                    sum += w + a;
                }
                const double mean = sum / (2.0 * kLayers);
                if (index == 0) {
                    lowest = std::min(lowest, mean);
                    highest = std::max(highest, mean);
                } else {
                    laterLowest = std::min(laterLowest, mean);
                }
            }
        QVERIFY2(lowest < 2.5 && highest > 3.5 && highest < 4.3,
                 qPrintable(QString("%1 %2").arg(lowest).arg(highest)));
        QVERIFY2(laterLowest > 4.0, qPrintable(QString::number(laterLowest)));
        QCOMPARE(parseSupernetSampling("per-layer+narrow"), SupernetSampling::PerLayerAndNarrow);
        QCOMPARE(std::string(supernetSamplingName(SupernetSampling::PerLayerAndNarrow)),
                 std::string("per-layer+narrow"));

        // Only allowed widths, also with gaps between them.
        std::mt19937_64 rng(3);
        for (int k = 0; k < 200; ++k)
            for (const auto &[w, a] : drawConfiguration(rng, kLayers, {2, 4, 8}, SupernetSampling::ByMean))
                QVERIFY((w == 2 || w == 4 || w == 8) && (a == 2 || a == 4 || a == 8));
        // Rounding to the nearest allowed width, the narrower on a tie; beyond the ends, the end.
        QCOMPARE(nearestAllowedWidth({2, 4, 8}, 5.9), 4);
        QCOMPARE(nearestAllowedWidth({2, 4, 8}, 6.0), 4);
        QCOMPARE(nearestAllowedWidth({2, 4, 8}, 6.1), 8);
        QCOMPARE(nearestAllowedWidth({2, 4, 8}, 3.0), 2);
        QCOMPARE(nearestAllowedWidth({2, 4, 8}, -1.0), 2);
        QCOMPARE(nearestAllowedWidth({2, 4, 8}, 9.5), 8);
    }

    void cliAgreesWithTheEvaluator()
    {
        auto ev = openEvaluator(checkpoint_.toStdString(), supernetOptions());
        const double api = ev->evaluate(mixed()).accuracy;
        QFile bits(path("mixed.yaml"));
        QVERIFY(bits.open(QIODevice::WriteOnly));
        QByteArray text = "bits:\n";
        for (const LayerBits &b : mixed())
            text +=
                "  - [" + QByteArray::number(b.weights) + ", " + QByteArray::number(b.activations) + "]\n";
        bits.write(text);
        bits.close();
        CliRun r;
        RUN_CLI(r, QStringList{"accuracy", "--checkpoint", checkpoint_, "--evaluator", "supernet", "--bits",
                               path("mixed.yaml"), "--threads", "1", "--cache-dir", path("cache"), "--json"});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        QCOMPARE(r.json()["accuracy"].toDouble(), api);
        QCOMPARE(r.json()["evaluator"].toString(), QString("supernet"));
        QCOMPARE(r.json()["images"].toInt(), 500);
    }

    // Fine-tuning from the supernet starts where the supernet evaluator measures: the start of a uniform and
    // of a mixed configuration, BatchNorm re-estimated on the evaluator's images, answers exactly what the
    // supernet does; the CLI's --start supernet is that evaluator, and its cache key names the start and the
    // supernet's digest.
    void fineTuningStartsFromTheSupernet()
    {
        auto sn = openEvaluator(checkpoint_.toStdString(), supernetOptions());
        EvaluatorOptions o = supernetOptions();
        o.settings.kind = EvaluatorKind::QatShort;
        o.settings.startFromSupernet = true;
        const EvaluationData data = loadEvaluationData(checkpoint_.toStdString(), o);
        const SupernetStart start =
            loadSupernetStart(checkpoint_.toStdString(), o.supernet, data, o.settings);
        QuantNet net(data.info.network);
        net.setImageNormalization(data.info.normalization.mean, data.info.normalization.std);
        net.quantize = true;
        const std::vector<int64_t> bn = bnImages(data.trainIdx, sn->settings().bnImages(), 1);
        for (const BitConfig &bits : {uniform(2, 2), mixed()}) {
            start.apply(net, bits);
            reestimateBatchNorm(net, data.train, bn, data.info.normalization);
            QCOMPARE(evaluateAccuracy(net, data.evaluationSet(), data.evalIdx, data.info.normalization),
                     sn->evaluate(bits).accuracy);
        }

        o.settings.steps = 2;
        o.settings.qatBnBatches = 8;
        auto ft = openEvaluator(checkpoint_.toStdString(), o);
        QVERIFY(ft->settings().describe().find(" start=supernet") != std::string::npos);
        // The steps come from the supernet: calibration settings do not make another question.
        EvaluatorSettings other = ft->settings();
        other.calibrationBatches = 9;
        other.activationMse = !other.activationMse;
        QCOMPARE(other.describe(), ft->settings().describe());
        QVERIFY(ft->settings().describe().find("calibration_batches") == std::string::npos);
        QVERIFY(ft->context().find("start: supernet sha256: ") != std::string::npos);
        // The CLI's --start supernet is the same evaluator.
        CliRun r;
        RUN_CLI(r, QStringList{"accuracy",
                               "--checkpoint",
                               checkpoint_,
                               "--evaluator",
                               "qat-short",
                               "--steps",
                               "2",
                               "--start",
                               "supernet",
                               "--bn-batches",
                               "8",
                               "--wbits",
                               "4",
                               "--abits",
                               "4",
                               "--threads",
                               "1",
                               "--cache-dir",
                               path("cache-start"),
                               "--json"});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        QCOMPARE(r.json()["accuracy"].toDouble(), ft->evaluate(uniform(4, 4)).accuracy);
        o.settings.startFromSupernet = false;
        auto fromFloat = openEvaluator(checkpoint_.toStdString(), o);
        QVERIFY(fromFloat->context().find("supernet") == std::string::npos);
        QVERIFY(accuracyKey(ft->context(), ft->settings(), mixed()).digest !=
                accuracyKey(fromFloat->context(), fromFloat->settings(), mixed()).digest);
    }

    void cancelledTrainingWritesNothing()
    {
        const std::string out = path("cancelled.pt").toStdString();
        std::atomic<bool> cancel{false};
        const SupernetResult r = trainSupernet(
            checkpoint_.toStdString(), out, smallOptions(), false,
            [&](const SupernetProgress &p) {
                if (p.step == 5)
                    cancel = true;
            },
            &cancel);
        QVERIFY(r.cancelled);
        QVERIFY(!QFile::exists(QString::fromStdString(out)));
        QVERIFY(!QFile::exists(QString::fromStdString(out + ".state"))); // none was due yet (every 20 steps)
    }

    void resumedTrainingEndsWhereTheUninterruptedOneDoes()
    {
        const std::string whole = path("whole.pt").toStdString(), parts = path("parts.pt").toStdString();
        QVERIFY(!trainSupernet(checkpoint_.toStdString(), whole, smallOptions(), false).cancelled);
        std::atomic<bool> cancel{false};
        const SupernetResult first = trainSupernet(
            checkpoint_.toStdString(), parts, smallOptions(), false,
            [&](const SupernetProgress &p) {
                if (p.step == 27)
                    cancel = true;
            },
            &cancel);
        QVERIFY(first.cancelled);
        QVERIFY(QFile::exists(QString::fromStdString(parts + ".state"))); // written at step 20
        QVERIFY(!QFile::exists(QString::fromStdString(parts)));
        // Other settings cannot continue it.
        SupernetOptions other = smallOptions();
        other.lr = 0.02;
        QVERIFY_THROWS_EXCEPTION(InputError, trainSupernet(checkpoint_.toStdString(), parts, other, true));
        const SupernetResult second = trainSupernet(checkpoint_.toStdString(), parts, smallOptions(), true);
        QVERIFY(second.resumed && !second.cancelled);
        QCOMPARE(second.info.steps, int64_t(40));
        QVERIFY(torch::equal(actSteps(whole), actSteps(parts)));
        const SupernetInfo a = readSupernetInfo(whole), b = readSupernetInfo(parts);
        QCOMPARE(a.widestAccuracy, b.widestAccuracy);
        QCOMPARE(a.narrowestAccuracy, b.narrowestAccuracy);
        QVERIFY(!QFile::exists(QString::fromStdString(parts + ".state")));
    }

    void badInputIsOneLineNamingTheFile()
    {
        // Another float checkpoint (another seed, a few images): its bytes differ from the supernet's parent.
        const QString other = path("other.pt");
        CliRun r;
        RUN_CLI(r, QStringList{"train", "--network", "mobilenet_v1", "--width", "0.25", "--epochs", "1",
                               "--seed", "3", "--threads", "1", "--out", other, "--train-limit", "200",
                               "--validation-limit", "100", "--test-limit", "100"});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        QFile::copy(supernet_, path("damaged.pt"));
        {
            QFile f(path("damaged.pt"));
            QVERIFY(f.open(QIODevice::ReadWrite));
            f.resize(f.size() / 2);
        }
        struct Case {
            QStringList args;
            QString file;     // the file the message must name
            const char *what; // and what it must say
        };
        const QStringList base = {"accuracy", "--evaluator", "supernet", "--threads", "1", "--no-cache"};
        const QList<Case> cases = {
            {base +
                 QStringList{"--checkpoint", other, "--supernet", supernet_, "--wbits", "8", "--abits", "8"},
             supernet_, "another float checkpoint"},
            {base + QStringList{"--checkpoint", checkpoint_, "--wbits", "3", "--abits", "8"}, supernet_,
             "layer 1 'conv1': weight bits 3 is not a width this supernet was trained for (2,4,8)"},
            {base + QStringList{"--checkpoint", checkpoint_, "--wbits", "8", "--abits", "16"}, supernet_,
             "activation bits 16"},
            {base + QStringList{"--checkpoint", checkpoint_, "--supernet", path("damaged.pt"), "--wbits", "8",
                                "--abits", "8"},
             path("damaged.pt"), "not a readable"},
            {base + QStringList{"--checkpoint", checkpoint_, "--supernet", checkpoint_, "--wbits", "8",
                                "--abits", "8"},
             checkpoint_, "not a supernet"},
            {base + QStringList{"--checkpoint", other, "--wbits", "8", "--abits", "8"},
             path("other.supernet.pt"), "supernet file not found"},
            // Its activation steps are trained with it: a calibration rule is a question for the others.
            {base + QStringList{"--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8",
                                "--activation-scale", "mse"},
             QString(), "--activation-scale is for ptq, qat-short and qat"},
            // So is its weight scaling and image input: asking otherwise was ignored before.
            {base + QStringList{"--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8", "--weight-scale",
                                "mse"},
             QString(),
             "--weight-scale is for ptq, qat-short and qat: a supernet measures as it was trained"},
            {base + QStringList{"--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8", "--image-input",
                                "normalized"},
             QString(), "--image-input is for ptq, qat-short and qat"},
            {QStringList{"accuracy", "--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8",
                         "--activation-scale", "max"},
             QString(), "--activation-scale must be mse or auto, got 'max'"},
            // ptq does not re-estimate BatchNorm: the option would change nothing, so it is refused.
            {QStringList{"accuracy", "--checkpoint", checkpoint_, "--wbits", "8", "--abits", "8",
                         "--bn-batches", "4"},
             QString(), "--bn-batches is for qat-short, qat and supernet"},
            // Fine-tuning from a supernet: its widths, its weight scaling, and only where something
            // fine-tunes.
            {QStringList{"accuracy", "--checkpoint", checkpoint_, "--evaluator", "qat-short", "--steps", "1",
                         "--start", "supernet", "--wbits", "3", "--abits", "8", "--no-cache", "--threads",
                         "1"},
             supernet_, "weight bits 3 is not a width this supernet was trained for"},
            {QStringList{"accuracy", "--checkpoint", checkpoint_, "--evaluator", "qat-short", "--steps", "1",
                         "--start", "supernet", "--weight-scale", "mse", "--wbits", "4", "--abits", "4",
                         "--no-cache", "--threads", "1"},
             supernet_, "trained with --weight-scale max"},
            {QStringList{"accuracy", "--checkpoint", other, "--evaluator", "qat", "--start", "supernet",
                         "--wbits", "4", "--abits", "4", "--no-cache", "--threads", "1"},
             path("other.supernet.pt"), "supernet file not found"},
            {QStringList{"accuracy", "--checkpoint", checkpoint_, "--start", "supernet", "--wbits", "4",
                         "--abits", "4"},
             QString(), "--start is for qat-short and qat"},
            {QStringList{"accuracy", "--checkpoint", checkpoint_, "--evaluator", "qat", "--start", "widest",
                         "--wbits", "4", "--abits", "4"},
             QString(), "--start must be float or supernet, got 'widest'"},
            {QStringList{"accuracy", "--checkpoint", checkpoint_, "--evaluator", "qat", "--supernet",
                         supernet_, "--wbits", "4", "--abits", "4"},
             QString(), "--supernet FILE is for --evaluator supernet and --start supernet"},
            {QStringList{"train-supernet", "--checkpoint", checkpoint_, "--allowed-bits", "2,9", "--out",
                         path("never.pt")},
             QString(), "allowed bit-width 9"},
            {QStringList{"train-supernet", "--checkpoint", checkpoint_, "--out", path("never.pt"),
                         "--resume"},
             path("never.pt.state"), "no training state"},
            {QStringList{"train-supernet", "--checkpoint", path("missing.pt"), "--out", path("never.pt")},
             path("missing.pt"), "not found"},
            // A folder (or a device) is there but is no file: said so, not "not found".
            {base + QStringList{"--checkpoint", checkpoint_, "--supernet", path("folder"), "--wbits", "8",
                                "--abits", "8"},
             path("folder"), "not a regular file: a supernet is the file train-supernet writes"},
            {QStringList{"accuracy", "--checkpoint", path("folder"), "--wbits", "8", "--abits", "8"},
             path("folder"), "not a regular file: a checkpoint is the file bitloop-cli train writes"},
        };
        QVERIFY(QDir().mkpath(path("folder")));
        for (const Case &c : cases) {
            RUN_CLI(r, c.args);
            QVERIFY2(r.status == 2, qPrintable(r.summary()));
            const QString err = QString::fromUtf8(r.err).trimmed();
            QVERIFY2(!err.contains('\n'), qPrintable(r.summary()));
            QVERIFY2(err.contains(c.file) && err.contains(QString::fromUtf8(c.what)),
                     qPrintable(r.summary()));
        }
        QVERIFY(!QFile::exists(path("never.pt")));
        QVERIFY(QDir(tmp_.path()).entryList({QStringLiteral("never.pt.tmp*")}).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestQatSupernet)
#include "test_qat_supernet.moc"
