// ONNX networks in (issue 11): a hand-built graph whose every figure is counted by hand, the errors a user
// meets, and torchvision's MobileNetV2, ResNet-18 and ResNet-50 exported by PyTorch (tests/onnx/
// make_fixtures.py, run by CTest before this test) against PyTorch's own counts.
#include "cli_runner.h"
#include "io/onnx_network.h"
#include "util/error.h"
#include "workload/mobilenet.h"

#include <onnx/onnx_pb.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace bitloop;

namespace
{

void addInts(onnx::NodeProto *n, const char *name, std::vector<int64_t> v)
{
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
        a->add_ints(x);
}
void addInt(onnx::NodeProto *n, const char *name, int64_t v)
{
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}
void addTensor(onnx::GraphProto *g, const std::string &name, std::vector<int64_t> dims, float fill)
{
    onnx::TensorProto *t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) {
        t->add_dims(d);
        n *= d;
    }
    for (int64_t i = 0; i < n; ++i)
        t->add_float_data(fill);
}
onnx::NodeProto *addNode(onnx::GraphProto *g, const std::string &op, const std::string &name,
                         std::vector<std::string> in, std::string out)
{
    onnx::NodeProto *n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string &i : in)
        n->add_input(i);
    n->add_output(out);
    return n;
}

// x [1,3,32,32] -> c1 (3x3/2, pad 1, 3->8) -> Relu -> [MaxPool 1x1 if asked] -> dw (3x3, 8 groups) ->
// Clip(0, 6) -> pw (1x1 8->8) -> Add(dw's input) -> [HardSigmoid if asked] -> GlobalAveragePool -> Flatten
// -> fc (Gemm 8->10, transB)
onnx::ModelProto tinyModel(bool maxPool = false, bool hardSigmoid = false, bool weightsAsInput = false)
{
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.add_opset_import()->set_version(13);
    onnx::GraphProto *g = m.mutable_graph();
    g->set_name("tiny");
    auto input = [&](const std::string &name, std::vector<int64_t> dims) {
        onnx::ValueInfoProto *v = g->add_input();
        v->set_name(name);
        auto *tt = v->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims)
            tt->mutable_shape()->add_dim()->set_dim_value(d);
    };
    input("x", {1, 3, 32, 32});
    if (weightsAsInput)
        input("c1.w", {8, 3, 3, 3});
    else
        addTensor(g, "c1.w", {8, 3, 3, 3}, 0.1f);
    addTensor(g, "c1.b", {8}, 0.0f);
    addTensor(g, "dw.w", {8, 1, 3, 3}, 0.1f);
    addTensor(g, "pw.w", {8, 8, 1, 1}, 0.1f);
    addTensor(g, "fc.w", {10, 8}, 0.1f);
    addTensor(g, "zero", {}, 0.0f);
    addTensor(g, "six", {}, 6.0f);
    onnx::NodeProto *c1 = addNode(g, "Conv", "c1", {"x", "c1.w", "c1.b"}, "c1.out");
    addInts(c1, "strides", {2, 2});
    addInts(c1, "pads", {1, 1, 1, 1});
    addNode(g, "Relu", "relu1", {"c1.out"}, "a1");
    std::string dwIn = "a1";
    if (maxPool) {
        onnx::NodeProto *p = addNode(g, "MaxPool", "pool", {"a1"}, "p1");
        addInts(p, "kernel_shape", {1, 1});
        dwIn = "p1";
    }
    onnx::NodeProto *dw = addNode(g, "Conv", "dw", {dwIn, "dw.w"}, "dw.out");
    addInts(dw, "pads", {1, 1, 1, 1});
    addInt(dw, "group", 8);
    addNode(g, "Clip", "relu6", {"dw.out", "zero", "six"}, "a2");
    addNode(g, "Conv", "pw", {"a2", "pw.w"}, "pw.out");
    addNode(g, "Add", "residual", {"pw.out", dwIn}, "sum");
    std::string pooled = "sum";
    if (hardSigmoid) {
        addNode(g, "HardSigmoid", "gate", {"sum"}, "gated");
        pooled = "gated";
    }
    addNode(g, "GlobalAveragePool", "gap", {pooled}, "gap.out");
    addNode(g, "Flatten", "flatten", {"gap.out"}, "flat");
    onnx::NodeProto *fc = addNode(g, "Gemm", "fc", {"flat", "fc.w"}, "logits");
    addInt(fc, "transB", 1);
    onnx::ValueInfoProto *out = g->add_output();
    out->set_name("logits");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    return m;
}

QString write(const QTemporaryDir &dir, const QString &name, const std::string &bytes)
{
    const QString path = dir.filePath(name);
    std::ofstream(path.toStdString(), std::ios::binary) << bytes;
    return path;
}

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

    void poolingInsideIsReadButNotTrainable()
    {
        QTemporaryDir dir;
        const QString path = write(dir, "pooled.onnx", tinyModel(true).SerializeAsString());
        const Network net = readOnnxNetwork(path.toStdString());
        QCOMPARE(net.totalMacs(), int64_t(90192)); // the hardware side reads it all
        QVERIFY2(QString::fromStdString(net.chainNote).contains("MaxPool"), net.chainNote.c_str());
        const CliRun r = runCli({"layers", "--network", path});
        QVERIFY2(r.status == 0 && r.out.contains("not trainable"), qPrintable(r.summary()));
    }

    void unsupportedOperatorNamesNodeTypeAndList()
    {
        QTemporaryDir dir;
        const QString path = write(dir, "gate.onnx", tinyModel(false, true).SerializeAsString());
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
        const QString notConst =
            write(dir, "input-weights.onnx", tinyModel(false, false, true).SerializeAsString());
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
        // ResNets: read whole for the hardware side; their shortcuts and max pooling are not a chain.
        for (const char *net : {"resnet18", "resnet50"}) {
            const Network n = readOnnxNetwork((fixtures + "/" + net + ".onnx").toStdString());
            QVERIFY2(!n.chainNote.empty(), net);
        }
    }
};

QTEST_GUILESS_MAIN(TestOnnx)
#include "test_onnx.moc"
