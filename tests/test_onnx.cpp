// ONNX networks in (issue 11): a hand-built graph whose every figure is counted by hand, the errors a user
// meets, and torchvision's MobileNetV2, ResNet-18 and ResNet-50 exported by PyTorch (tests/onnx/
// make_fixtures.py, run by CTest before this test) against PyTorch's own counts.
#include "cli_runner.h"
#include "io/network_yaml.h"
#include "io/onnx_network.h"
#include "onnx_tiny_model.h"
#include "util/error.h"
#include "workload/mobilenet.h"

#include <onnx/onnx_pb.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace bitloop;
using namespace bitloop::testing;

namespace
{

QString errorOf(const QString &path)
{
    try {
        readOnnxNetwork(path.toStdString());
    } catch (const InputError &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestOnnx : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Every figure by hand: c1 16x16 outputs x 8 channels x 3x3x3 = 55,296 MACs; dw 16x16x8 x 3x3 = 18,432;
    // pw 16x16x8 x 8 = 16,384; fc 8 x 10 = 80. Weights 216 + 72 + 64 + 80 = 432.
    void handBuiltGraph()
    {
        QTemporaryDir dir;
        const QString path = write(dir, "tiny.onnx", tinyModel().SerializeAsString());
        const Network net = readOnnxNetwork(path.toStdString());
        QCOMPARE(net.name, std::string("tiny"));
        QCOMPARE(net.layers.size(), size_t(4));
        QCOMPARE(net.layers[0].name, std::string("c1"));
        QCOMPARE(net.layers[0].macs(), int64_t(55296));
        QCOMPARE(net.layers[1].macs(), int64_t(18432));
        QCOMPARE(net.layers[2].macs(), int64_t(16384));
        QCOMPARE(net.layers[3].macs(), int64_t(80));
        QCOMPARE(net.totalMacs(), int64_t(90192));
        QCOMPARE(net.totalWeights(), int64_t(432));
        QCOMPARE(net.layers[0].kind, LayerKind::Conv);
        QCOMPARE(net.layers[1].kind, LayerKind::Depthwise);
        QCOMPARE(net.layers[2].kind, LayerKind::Pointwise);
        QCOMPARE(net.layers[3].kind, LayerKind::FullyConnected);
        const ProblemShape &c1 = net.layers[0].shape;
        QCOMPARE(c1.bound(Dim::P), int64_t(16));
        QCOMPARE(c1.bound(Dim::Q), int64_t(16));
        QCOMPARE(c1.wstride, 2);
        QCOMPARE(c1.hpad, 1);
        QCOMPARE(net.layers[1].shape.bound(Dim::G), int64_t(8));
        QCOMPARE(net.layers[0].activation, Activation::ReLU);
        QCOMPARE(net.layers[1].activation, Activation::ReLU6);
        QCOMPARE(net.layers[2].activation, Activation::None);
        QCOMPARE(net.layers[3].activation, Activation::None);
        // The Add of pw's output and dw's input is MobileNetV2's residual: pw (2) adds the input of dw (1).
        QCOMPARE(net.layers[2].residualFrom, 1);
        QCOMPARE(net.chainNote, std::string());
        // The CLI prints the counts' line as it does for every network.
        const CliRun r = runCli({"layers", "--network", path});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        QVERIFY(r.out.startsWith("tiny: 4 layers, 90192 MACs, 432 weights\n"));
    }

    // A max pooling after c1's ReLU is c1's own; the residual then adds the pooled tensor, which is dw's
    // input as before.
    void poolingAfterALayerIsItsOwn()
    {
        QTemporaryDir dir;
        const QString path = write(dir, "pooled.onnx", tinyModel({true}).SerializeAsString());
        const Network net = readOnnxNetwork(path.toStdString());
        QCOMPARE(net.totalMacs(), int64_t(90192));
        QCOMPARE(net.chainNote, std::string());
        const Pooling &p = net.layers[0].pool;
        QCOMPARE(p.kind, Pooling::Kind::Max);
        QCOMPARE(p.kernelH, 1);
        QCOMPARE(p.strideW, 1);
        QCOMPARE(p.padH, 0);
        QCOMPARE(net.layers[0].activation, Activation::ReLU);
        QCOMPARE(net.layers[2].residualFrom, 1);
        QCOMPARE(net.layers[1].inputFrom, -1);
    }

    // An addition of c1's output before its ReLU: neither a layer's input nor its output. The hardware
    // side reads it all; the accuracy side is told why it cannot build it.
    void graphsOtherThanLayersAreReadButNotTrainable()
    {
        QTemporaryDir dir;
        TinyOptions o;
        o.skipBeforeRelu = true;
        const QString path = write(dir, "preact.onnx", tinyModel(o).SerializeAsString());
        const Network net = readOnnxNetwork(path.toStdString());
        QCOMPARE(net.totalMacs(), int64_t(90192));
        QVERIFY2(QString::fromStdString(net.chainNote).contains("relu1"), net.chainNote.c_str());
        const CliRun r = runCli({"layers", "--network", path});
        QVERIFY2(r.status == 0 && r.out.contains("not trainable"), qPrintable(r.summary()));
    }

    void unsupportedOperatorNamesNodeTypeAndList()
    {
        QTemporaryDir dir;
        const QString path = write(dir, "gate.onnx", tinyModel({false, true}).SerializeAsString());
        const QString e = errorOf(path);
        QVERIFY2(e.contains("'gate'") && e.contains("HardSigmoid") && e.contains("supported: Conv, Gemm"),
                 qPrintable(e));
        const CliRun r = runCli({"layers", "--network", path});
        QVERIFY2(r.status == 2 && r.err.contains("HardSigmoid") && r.err.contains("gate.onnx"),
                 qPrintable(r.summary()));
        QCOMPARE(r.err.count('\n'), 1);
    }

    void damagedFilesAreErrorsNamingTheFile()
    {
        QTemporaryDir dir;
        const std::string good = tinyModel().SerializeAsString();
        const QString garbage =
            write(dir, "garbage.onnx", std::string("\xff\xfe not a protobuf \x01\x02", 20));
        QVERIFY2(errorOf(garbage).contains("not an ONNX model"), qPrintable(errorOf(garbage)));
        QVERIFY(errorOf(write(dir, "empty.onnx", "")).contains("empty"));
        QVERIFY(errorOf(dir.filePath("missing.onnx")).contains("no such file"));
        // Cut anywhere: an error, never a crash or a network.
        for (size_t cut : {size_t(1), good.size() / 3, good.size() / 2, good.size() - 1}) {
            const QString e = errorOf(write(dir, "cut.onnx", good.substr(0, cut)));
            QVERIFY2(!e.isEmpty() && e.contains("cut.onnx"), qPrintable(QString("cut at %1").arg(cut)));
        }
        // Attributes ONNX's own shape inference would divide by (it crashed with SIGFPE on a zero stride).
        onnx::ModelProto zeroStride = tinyModel();
        for (onnx::AttributeProto &a : *zeroStride.mutable_graph()->mutable_node(0)->mutable_attribute())
            if (a.name() == "strides")
                a.set_ints(0, 0);
        const QString zs = errorOf(write(dir, "zero-stride.onnx", zeroStride.SerializeAsString()));
        QVERIFY2(zs.contains("zero-stride.onnx") && zs.contains("'c1': strides 0 is out of range"),
                 qPrintable(zs));
        const QString notConst =
            write(dir, "input-weights.onnx", tinyModel({false, false, true}).SerializeAsString());
        QVERIFY2(errorOf(notConst).contains("'c1': its weights are not a constant"),
                 qPrintable(errorOf(notConst)));
    }

    // torchvision's networks as PyTorch exports them: PyTorch's counts exactly; MobileNetV2 is also
    // Bitloop's built-in MobileNetV2 layer for layer.
    void torchvisionNetworksMatchPyTorch()
    {
        const QString fixtures = qEnvironmentVariable("BITLOOP_ONNX_FIXTURES");
        QVERIFY2(!fixtures.isEmpty(), "BITLOOP_ONNX_FIXTURES is not set (CTest sets it after onnx_fixtures)");
        QFile expected(fixtures + "/expected.tsv");
        QVERIFY2(expected.open(QIODevice::ReadOnly), qPrintable(expected.fileName()));
        int files = 0;
        for (const QByteArray &line : expected.readAll().split('\n')) {
            if (line.isEmpty())
                continue;
            const QList<QByteArray> f = line.split('\t');
            QCOMPARE(f.size(), 2);
            const QString path = fixtures + "/" + QString::fromUtf8(f[0]);
            const CliRun r = runCli({"layers", "--network", path});
            QVERIFY2(r.status == 0, qPrintable(r.summary()));
            QCOMPARE(QString::fromUtf8(r.out.split('\n').front()), QString::fromUtf8(f[1]));
            ++files;
        }
        QCOMPARE(files, 3);

        const Network onnx = readOnnxNetwork((fixtures + "/mobilenet_v2.onnx").toStdString());
        const Network builtin = mobileNetV2();
        QCOMPARE(onnx.layers.size(), builtin.layers.size());
        for (size_t i = 0; i < onnx.layers.size(); ++i) {
            const Layer &a = onnx.layers[i], &b = builtin.layers[i];
            QVERIFY2(a.shape == b.shape, qPrintable(QString("layer %1 shape").arg(i + 1)));
            QCOMPARE(a.kind, b.kind);
            QCOMPARE(a.activation, b.activation);
            QCOMPARE(a.residualFrom, b.residualFrom);
        }
        QCOMPARE(onnx.chainNote, std::string());
        // ResNets, whole. ResNet-18's stem max-pools; an identity block's second convolution adds the
        // block's input, then applies the ReLU after the sum. A projection block comes in torchvision's
        // order: conv1, conv2 (no ReLU: the sum follows), then the 1x1 shortcut, which reads the block's
        // input, adds conv2's output and applies the ReLU.
        const Network r18 = readOnnxNetwork((fixtures + "/resnet18.onnx").toStdString());
        QCOMPARE(r18.chainNote, std::string());
        QCOMPARE(r18.layers[0].pool.kind, Pooling::Kind::Max);
        QCOMPARE(r18.layers[0].pool.kernelH, 3);
        QCOMPARE(r18.layers[0].pool.strideH, 2);
        QCOMPARE(r18.layers[0].pool.padW, 1);
        QCOMPARE(r18.layers[2].residualFrom, 1); // layer1.0.conv2 adds layer1.0.conv1's input
        QCOMPARE(r18.layers[2].activation, Activation::ReLU);
        QCOMPARE(r18.layers[6].activation, Activation::None); // layer2.0.conv2, before the sum
        QCOMPARE(r18.layers[6].addOutputOf, -1);
        QVERIFY(r18.layers[7].name.find("downsample") != std::string::npos);
        QCOMPARE(r18.layers[7].inputFrom, 4);   // the block's input: layer1.1.conv2's output
        QCOMPARE(r18.layers[7].addOutputOf, 6); // + layer2.0.conv2's
        QCOMPARE(r18.layers[7].activation, Activation::ReLU);
        QCOMPARE(r18.layers[8].inputFrom, -1);
        int projections = 0, residuals = 0;
        for (const Layer &l : r18.layers) {
            projections += l.addOutputOf >= 0;
            residuals += l.residualFrom >= 0;
        }
        QCOMPARE(projections, 3);
        QCOMPARE(residuals, 5);
        const Network r50 = readOnnxNetwork((fixtures + "/resnet50.onnx").toStdString());
        QCOMPARE(r50.chainNote, std::string());
        projections = residuals = 0;
        for (const Layer &l : r50.layers) {
            projections += l.addOutputOf >= 0;
            residuals += l.residualFrom >= 0;
        }
        QCOMPARE(projections, 4); // ResNet-50's first block projects too (64 -> 256 channels)
        QCOMPARE(residuals, 12);
    }

    // `layers --out` writes the graph as a network file that reads back as the same network.
    void graphsRoundTripThroughNetworkFiles()
    {
        const QString fixtures = qEnvironmentVariable("BITLOOP_ONNX_FIXTURES");
        QTemporaryDir dir;
        const QString yaml = dir.filePath("r18.yaml");
        const CliRun r = runCli({"layers", "--network", fixtures + "/resnet18.onnx", "--out", yaml});
        QVERIFY2(r.status == 0, qPrintable(r.summary()));
        const Network onnx = readOnnxNetwork((fixtures + "/resnet18.onnx").toStdString());
        const Network back = readNetworkYaml(yaml.toStdString());
        QCOMPARE(back.layers.size(), onnx.layers.size());
        for (size_t i = 0; i < back.layers.size(); ++i) {
            const Layer &a = back.layers[i], &b = onnx.layers[i];
            QVERIFY2(a.name == b.name && a.shape == b.shape && a.activation == b.activation &&
                         a.residualFrom == b.residualFrom && a.inputFrom == b.inputFrom &&
                         a.addOutputOf == b.addOutputOf && a.pool == b.pool,
                     b.name.c_str());
        }
        QCOMPARE(networkToYaml(back), networkToYaml(onnx));
    }
};

QTEST_GUILESS_MAIN(TestOnnx)
#include "test_onnx.moc"
