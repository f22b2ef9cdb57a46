// ONNX weights in (issue 11): a network PyTorch exported (tests/onnx/make_fixtures.py, BatchNorm folded
// and kept) computes PyTorch's logits in Bitloop's QAT engine, directly and through `bitloop-cli import`'s
// checkpoint; graphs the engine does not build are refused.
#include "cli_runner.h"
#include "io/onnx_network.h"
#include "onnx_tiny_model.h"
#include "qat/onnx_weights.h"
#include "qat/quant_net.h"
#include "qat/session.h"
#include "qat/train.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

using namespace bitloop;

namespace
{

QString fixture(const QString &name)
{
    return qEnvironmentVariable("BITLOOP_ONNX_FIXTURES") + "/" + name;
}

torch::Tensor readFloats(const QString &name, std::vector<int64_t> dims)
{
    QFile f(fixture(name));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = f.readAll();
    std::vector<float> v(static_cast<size_t>(bytes.size()) / sizeof(float));
    std::memcpy(v.data(), bytes.constData(), v.size() * sizeof(float));
    return torch::from_blob(v.data(), dims, torch::kFloat32).clone();
}

// The largest difference between the engine's float logits and PyTorch's for the fixture's images.
double logitsGap(qat::QuantNet &net, const QString &prefix = "small",
                 std::vector<int64_t> input = {4, 1, 28, 28}, std::vector<int64_t> logits = {4, 10})
{
    const torch::Tensor x = readFloats(prefix + "_input.f32", input);
    const torch::Tensor expected = readFloats(prefix + "_logits.f32", logits);
    if (!x.defined() || !expected.defined())
        return 1e9;
    net.quantize = false;
    net.eval();
    torch::NoGradGuard noGrad;
    return (net.forward(x) - expected).abs().max().item<double>();
}

} // namespace

class TestQatOnnx : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!qEnvironmentVariable("BITLOOP_ONNX_FIXTURES").isEmpty(),
                 "BITLOOP_ONNX_FIXTURES is not set (CTest sets it after onnx_fixtures)");
    }

    void weightsGivePyTorchsLogits_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("BatchNorm folded by the export") << "small_folded.onnx";
        QTest::newRow("BatchNorm nodes, folded on import") << "small_bn.onnx";
        QTest::newRow("ResNet shapes, BatchNorm folded") << "smallres_folded.onnx";
        QTest::newRow("ResNet shapes, BatchNorm nodes") << "smallres_bn.onnx";
    }
    void weightsGivePyTorchsLogits()
    {
        QFETCH(QString, file);
        std::vector<OnnxLayerWeights> weights;
        const Network net = readOnnxNetwork(fixture(file).toStdString(), &weights);
        const bool resnet = file.startsWith("smallres");
        if (resnet) {
            // stem (max pool 3/2/1), b1.conv1, b1.conv2, b1 shortcut, b2.conv1, b2.conv2, fc
            QCOMPARE(net.layers.size(), size_t(7));
            QCOMPARE(net.layers[0].pool.kind, Pooling::Kind::Max);
            QCOMPARE(net.layers[3].inputFrom, 0);
            QCOMPARE(net.layers[3].addOutputOf, 2);
            QCOMPARE(net.layers[5].residualFrom, 4);
        } else {
            QCOMPARE(net.layers.size(), size_t(5));
            QCOMPARE(net.layers[2].residualFrom, 1); // pw adds dw's input
        }
        QCOMPARE(net.chainNote, std::string());
        qat::QuantNet q(net);
        qat::loadOnnxWeights(q, weights);
        const QString prefix = resnet ? "smallres" : "small";
        const double gap = logitsGap(q, prefix);
        qInfo("largest logit difference %g", gap);
        QVERIFY2(gap <= 1e-4, qPrintable(QString("largest logit difference %1").arg(gap)));
        // And the comparison can fail: another network's weights are not PyTorch's.
        weights[0].weight[0] += 0.5f;
        qat::loadOnnxWeights(q, weights);
        QVERIFY(logitsGap(q, prefix) > 1e-3);
    }

    // torchvision's own MobileNetV2 and ResNet-18 (224x224x3, 1000 classes, BatchNorm statistics
    // randomized before the export folded them): the engine computes PyTorch's logits from the imported
    // weights, residuals, projection shortcuts and pooling included.
    void torchvisionNetworksGivePyTorchsLogits_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("mobilenet_v2") << "mobilenet_v2";
        QTest::newRow("resnet18") << "resnet18";
    }
    void torchvisionNetworksGivePyTorchsLogits()
    {
        QFETCH(QString, name);
        std::vector<OnnxLayerWeights> weights;
        const Network net = readOnnxNetwork(fixture(name + ".onnx").toStdString(), &weights);
        qat::QuantNet q(net);
        qat::loadOnnxWeights(q, weights);
        const double gap = logitsGap(q, name, {1, 3, 224, 224}, {1, 1000});
        qInfo("largest logit difference %g", gap);
        QVERIFY2(gap <= 1e-4, qPrintable(QString("largest logit difference %1").arg(gap)));
    }

    void importWritesACheckpointOfThoseWeights()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath("small.pt");
        const CliRun r =
            runCli({"import", "--onnx", fixture("small_bn.onnx"), "--out", out, "--train-limit", "500",
                    "--validation-limit", "300", "--test-limit", "300", "--threads", "1", "--json"});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        const QJsonObject j = r.json();
        const double test = j["test_accuracy"].toDouble(-1);
        QVERIFY2(test >= 0 && test <= 1, qPrintable(r.summary()));
        const qat::CheckpointInfo info = qat::readCheckpointInfo(out.toStdString());
        QCOMPARE(QString::fromStdString(info.importedFrom), fixture("small_bn.onnx"));
        QCOMPARE(info.training.epochs, 0);
        QCOMPARE(info.imageChannels, int64_t(1));
        QCOMPARE(info.testAccuracy, test);
        qat::QuantNet q(info.network);
        qat::loadCheckpoint(q, out.toStdString());
        const double gap = logitsGap(q);
        qInfo("largest logit difference %g", gap);
        QVERIFY2(gap <= 1e-4, qPrintable(QString("largest logit difference %1").arg(gap)));
        // The checkpoint is an ordinary baseline: the evaluators open it.
        const CliRun a = runCli({"accuracy", "--checkpoint", out, "--wbits", "8", "--abits", "8", "--limit",
                                 "200", "--threads", "1", "--no-cache", "--json"});
        QVERIFY2(a.status == 0, qPrintable(a.summary()));
    }

    void graphsTheEngineDoesNotBuildAreRefused()
    {
        QTemporaryDir dir;
        testing::TinyOptions o;
        o.skipBeforeRelu = true;
        const QString preact = testing::write(dir, "preact.onnx", testing::tinyModel(o).SerializeAsString());
        const CliRun r = runCli({"import", "--onnx", preact, "--out", dir.filePath("r.pt")});
        QVERIFY2(r.status == 2 && r.err.contains("not a network the QAT engine builds yet") &&
                     r.err.contains("relu1") && r.err.contains("preact.onnx"),
                 qPrintable(r.summary()));
        QVERIFY(!QFile::exists(dir.filePath("r.pt")));
        // A network for other images: named with what does not fit.
        const CliRun rgb = runCli({"import", "--onnx", fixture("resnet18.onnx"), "--out", dir.filePath("r.pt")});
        QVERIFY2(rgb.status == 2 && rgb.err.contains("resnet18 expects 3") && rgb.err.contains("1 channel"),
                 qPrintable(rgb.summary()));
        QVERIFY(!QFile::exists(dir.filePath("r.pt")));
        const CliRun bad = runCli({"import", "--onnx", fixture("small_bn.onnx"), "--out",
                                   dir.filePath("s.pt"), "--mean", "0.3,0.2", "--std", "0.3,0.3"});
        QVERIFY2(bad.status == 2 && bad.err.contains("one value per image channel"),
                 qPrintable(bad.summary()));
    }
};

QTEST_GUILESS_MAIN(TestQatOnnx)
#include "test_qat_onnx.moc"
