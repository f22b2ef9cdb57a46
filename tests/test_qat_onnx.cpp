// ONNX weights in (issue 11): a network PyTorch exported (tests/onnx/make_fixtures.py, BatchNorm folded
// and kept) computes PyTorch's logits in Bitloop's QAT engine, directly and through `bitloop-cli import`'s
// checkpoint; graphs the engine does not build are refused.
#include "cli_runner.h"
#include "io/onnx_network.h"
#include "onnx_tiny_model.h"
#include "qat/onnx_export.h"
#include "qat/onnx_weights.h"
#include "qat/quant_net.h"
#include "qat/session.h"
#include "qat/train.h"
#include "util/error.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

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

// An ONNX model read from `path` (exports altered by hand); false when it cannot be.
bool readModel(const QString &path, onnx::ModelProto &m)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) && m.ParseFromString(f.readAll().toStdString());
}

// The initializer called name in g (exports altered by hand); nullptr when there is none.
onnx::TensorProto *initializer(onnx::GraphProto &g, const std::string &name)
{
    for (onnx::TensorProto &t : *g.mutable_initializer())
        if (t.name() == name)
            return &t;
    return nullptr;
}

void writeFloats(const QString &path, const torch::Tensor &t)
{
    const torch::Tensor c = t.contiguous();
    QFile f(path);
    if (f.open(QIODevice::WriteOnly))
        f.write(reinterpret_cast<const char *>(c.data_ptr<float>()), c.numel() * qint64(sizeof(float)));
}

// The model run by tests/onnx/run_onnx.py: ONNX's operators as PyTorch computes them, not Bitloop's.
torch::Tensor runOnnxInPyTorch(const QString &model, const torch::Tensor &x, const QString &dir,
                               QString &error)
{
    const QString in = dir + "/x.f32", out = dir + "/y.f32";
    writeFloats(in, x);
    QStringList dims;
    for (int64_t d : x.sizes())
        dims << QString::number(d);
    QProcess p;
    p.start(qEnvironmentVariable("BITLOOP_FIXTURE_PYTHON"),
            {qEnvironmentVariable("BITLOOP_ONNX_RUNNER"), model, in, dims.join(','), out});
    if (!p.waitForFinished(120000) || p.exitCode() != 0) {
        error = QString::fromUtf8(p.readAllStandardError());
        return {};
    }
    QFile f(out);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray bytes = f.readAll();
    std::vector<float> v(static_cast<size_t>(bytes.size()) / sizeof(float));
    std::memcpy(v.data(), bytes.constData(), v.size() * sizeof(float));
    return torch::tensor(v).view({x.size(0), -1});
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

    // A quantized network out (search-export's model.onnx) and back: ResNet's shapes at mixed widths,
    // the image quantized as pixels, activation steps calibrated. The file passes onnx.checker; PyTorch
    // running its operators and Bitloop reading it back both compute what Bitloop computed.
    // Both weight ranges: the symmetric one, and the full one whose code -2^(b-1) the file must hold too.
    void quantizedExportComputesWhatBitloopComputes_data()
    {
        QTest::addColumn<QString>("weightScale");
        QTest::newRow("max") << "max";
        QTest::newRow("mse-full") << "mse-full";
    }
    void quantizedExportComputesWhatBitloopComputes()
    {
        QFETCH(QString, weightScale);
        std::vector<OnnxLayerWeights> weights;
        const Network net = readOnnxNetwork(fixture("smallres_bn.onnx").toStdString(), &weights);
        qat::QuantNet q(net);
        q.weightScale = qat::parseWeightScale(weightScale.toStdString());
        qat::loadOnnxWeights(q, weights);
        const std::vector<std::pair<int, int>> bits = {{4, 8}, {3, 4}, {5, 5}, {8, 6},
                                                       {2, 3}, {6, 4}, {4, 16}};
        q.setBits(bits);
        q.setImageNormalization({0.2860}, {0.3530});
        torch::manual_seed(3);
        const torch::Tensor x = readFloats("smallres_input.f32", {4, 1, 28, 28});
        const torch::Tensor images = torch::cat({x, torch::randn({28, 1, 28, 28})});
        q.eval();
        torch::NoGradGuard noGrad;
        q.startCalibration(qat::Calibration::LsqMean);
        q.forward(images);
        q.stopCalibration();
        const torch::Tensor mine = q.forward(images);

        QTemporaryDir dir;
        const QString path = dir.filePath("model.onnx");
        qat::QuantizedOnnxInfo info;
        info.imageHeight = info.imageWidth = 28;
        qat::writeQuantizedOnnx(q, path.toStdString(), info);
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("model.onnx")});

        // Back into Bitloop: the same widths, steps, normalization and logits.
        std::vector<OnnxLayerWeights> back;
        const Network again = readOnnxNetwork(path.toStdString(), &back);
        QCOMPARE(again.chainNote, std::string());
        QCOMPARE(again.layers.size(), net.layers.size());
        for (size_t k = 0; k < bits.size(); ++k) {
            QCOMPARE(back[k].weightBits, bits[k].first);
            QCOMPARE(back[k].activationBits, bits[k].second);
            QCOMPARE(again.layers[k].inputFrom, net.layers[k].inputFrom);
            QCOMPARE(again.layers[k].addOutputOf, net.layers[k].addOutputOf);
            QCOMPARE(again.layers[k].residualFrom, net.layers[k].residualFrom);
            QCOMPARE(again.layers[k].activation, net.layers[k].activation);
            QVERIFY(again.layers[k].pool == net.layers[k].pool);
            if (bits[k].second <= 8)
                QCOMPARE(float(back[k].activationStep), q.layer(int(k)).inputQuant->stepValue() > 1e-8
                                                            ? float(q.layer(int(k)).inputQuant->stepValue())
                                                            : 1e-8f);
        }
        QCOMPARE(back.front().imageMean, std::vector<double>{double(0.2860f)});
        for (size_t k = 0; k < back.size(); ++k)
            QCOMPARE(back[k].weightFullRange, qat::usesFullRange(q.weightScale));
        // Read back as import measures a quantized graph: its widths, steps and dequantized weights.
        auto readBack = [&](const std::vector<OnnxLayerWeights> &layers) {
            qat::QuantNet r(again);
            qat::loadOnnxWeights(r, layers);
            const std::vector<std::pair<int, int>> widths = qat::applyOnnxQuantization(r, layers);
            r.eval();
            return std::make_pair(r.forward(images), widths);
        };
        const auto [readLogits, readWidths] = readBack(back);
        QCOMPARE(readWidths, bits);
        const double gap = (readLogits - mine).abs().max().item<double>();
        qInfo("read back: largest logit difference %g (logits up to %g)", gap,
              mine.abs().max().item<double>());
        QVERIFY2(gap <= 1e-4, qPrintable(QString("largest logit difference %1").arg(gap)));
        if (q.weightScale == qat::WeightScale::MseFull) {
            // Metadata that contradicts the codes is refused, naming the file and what is wrong.
            auto readWith = [&](const std::string &key, const std::string &value) -> std::string {
                onnx::ModelProto m;
                if (!readModel(path, m))
                    return "unreadable";
                for (onnx::StringStringEntryProto &e : *m.mutable_metadata_props())
                    if (e.key() == key)
                        e.set_value(value);
                const QString bad = testing::write(dir, "bad.onnx", m.SerializeAsString());
                try {
                    std::vector<OnnxLayerWeights> w;
                    readOnnxNetwork(bad.toStdString(), &w);
                } catch (const InputError &e) {
                    return e.what();
                }
                return "accepted";
            };
            const auto expect = [](const std::string &what, const std::string &part) {
                QVERIFY2(what.find("bad.onnx") != std::string::npos && what.find(part) != std::string::npos,
                         what.c_str());
            };
            expect(readWith("bitloop.weight_scale", "max"),
                   "metadata bitloop.weight_scale is max, which has no code -2^(b-1), but layer");
            expect(
                readWith("bitloop.weight_scale", "full"),
                "metadata bitloop.weight_scale: weight scale: expected max, mse, max-full or mse-full, got "
                "'full'");
            // Layer 1's 4-bit codes read as 3-bit ones: outside [-4, 3].
            expect(readWith("bitloop.widths", "3/8 3/4 5/5 8/6 2/3 6/4 4/16"),
                   "layer 1's weight codes reach ");
        }

        // PyTorch, running the file's operators as ONNX defines them.
        QString error;
        const torch::Tensor theirs = runOnnxInPyTorch(path, images, dir.path(), error);
        QVERIFY2(theirs.defined(), qPrintable(error));
        const double pyGap = (theirs - mine).abs().max().item<double>();
        qInfo("PyTorch running the ONNX operators: largest logit difference %g", pyGap);
        QVERIFY2(pyGap <= 1e-4, qPrintable(QString("largest logit difference %1").arg(pyGap)));
        QVERIFY(theirs.argmax(1).equal(mine.argmax(1)));
        // And the comparison can fail: the float model computes otherwise.
        q.quantize = false;
        QVERIFY((q.forward(images) - theirs).abs().max().item<double>() > 1e-3);

        // Another tool's grid: layer 1's 4-bit weights with one scale for the whole tensor (the largest
        // channel's), as onnxruntime's quantizer writes them by default. Most channels' codes then stop
        // short of the ends, so quantizing them again per channel (import's earlier rule) moves them;
        // used as the graph dequantizes them, the read-back still computes what PyTorch computes.
        onnx::ModelProto m;
        QVERIFY(readModel(path, m));
        onnx::GraphProto &g = *m.mutable_graph();
        const onnx::NodeProto *conv = nullptr, *dq = nullptr;
        for (const onnx::NodeProto &n : g.node())
            if (!conv && n.op_type() == "Conv")
                conv = &n;
        for (const onnx::NodeProto &n : g.node())
            if (conv && n.op_type() == "DequantizeLinear" && n.output(0) == conv->input(1))
                dq = &n;
        QVERIFY(dq);
        onnx::TensorProto *codes = initializer(g, dq->input(0)), *scale = initializer(g, dq->input(1)),
                          *zero = initializer(g, dq->input(2));
        QVERIFY(codes && scale && zero && scale->raw_data().size() % sizeof(float) == 0);
        std::vector<float> scales(scale->raw_data().size() / sizeof(float));
        std::memcpy(scales.data(), scale->raw_data().data(), scale->raw_data().size());
        const float tensorScale = *std::max_element(scales.begin(), scales.end());
        std::string stored = codes->raw_data();
        const size_t per = stored.size() / scales.size();
        for (size_t k = 0; k < stored.size(); ++k)
            stored[k] = static_cast<char>(std::nearbyint(int8_t(stored[k]) * scales[k / per] / tensorScale));
        codes->set_raw_data(stored);
        scale->clear_dims();
        scale->set_raw_data(std::string(reinterpret_cast<const char *>(&tensorScale), sizeof tensorScale));
        zero->clear_dims();
        zero->set_raw_data(std::string(1, '\0'));
        const QString perTensor = testing::write(dir, "per-tensor.onnx", m.SerializeAsString());
        const torch::Tensor theirsPerTensor = runOnnxInPyTorch(perTensor, images, dir.path(), error);
        QVERIFY2(theirsPerTensor.defined(), qPrintable(error));
        QVERIFY((theirsPerTensor - theirs).abs().max().item<double>() > 1e-3); // another network now
        std::vector<OnnxLayerWeights> perTensorLayers;
        readOnnxNetwork(perTensor.toStdString(), &perTensorLayers);
        const double perTensorGap =
            (readBack(perTensorLayers).first - theirsPerTensor).abs().max().item<double>();
        qInfo("per-tensor weights read back: largest logit difference %g", perTensorGap);
        QVERIFY2(perTensorGap <= 1e-4, qPrintable(QString("largest logit difference %1").arg(perTensorGap)));
        // Quantized again on Bitloop's per-channel grid, they would compute another network.
        qat::QuantNet again4(again);
        again4.weightScale = q.weightScale;
        qat::loadOnnxWeights(again4, perTensorLayers);
        qat::applyOnnxQuantization(again4, perTensorLayers);
        again4.setBits(bits);
        again4.eval();
        QVERIFY((again4.forward(images) - theirsPerTensor).abs().max().item<double>() > 1e-3);

        // An input quantizer whose zero point leaves it fewer codes above zero than Bitloop's quantizer of
        // that width (uint8 with zero point 250: 5 where 4 bits give 15) computes what no quantizer of
        // Bitloop's computes: import refuses the graph, naming the file and the layer, and writes nothing,
        // where it measured it with the zero point left out. (A zero point that the Clip before the
        // quantizer makes irrelevant changes nothing and is accepted.)
        int activationQuantizers = 0;
        for (const onnx::NodeProto &n : g.node())
            if (n.op_type() == "QuantizeLinear" && ++activationQuantizers == 2)
                initializer(g, n.input(2))->set_raw_data(std::string(1, char(250)));
        const QString shifted = testing::write(dir, "zero-point.onnx", m.SerializeAsString());
        std::vector<OnnxLayerWeights> shiftedLayers;
        readOnnxNetwork(shifted.toStdString(), &shiftedLayers);
        QCOMPARE(shiftedLayers[1].activationCodeMin, 0.0); // the Clip's lower end
        QCOMPARE(shiftedLayers[1].activationCodeMax, 5.0);
        QCOMPARE(shiftedLayers[2].activationCodeMax, 31.0); // 5 bits, as exported
        try {
            readBack(shiftedLayers);
            QFAIL("a zero point was accepted");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(std::string(e.what()).find("layer 2 (") == 0 &&
                         std::string(e.what()).find("codes span 0..5 (zero point taken off), where a 4-bit "
                                                    "unsigned quantizer of that input spans 0..15") !=
                             std::string::npos,
                     e.what());
        }
        const QString ck = dir.filePath("shifted.pt");
        CliRun imported;
        RUN_CLI(imported, QStringList{"import", "--onnx", shifted, "--out", ck, "--validation-limit", "50",
                                      "--test-limit", "50", "--threads", "1"});
        QVERIFY2(imported.status == 2 && imported.err.contains(shifted.toUtf8()) &&
                     imported.err.contains("layer 2"),
                 qPrintable(imported.summary()));
        QVERIFY(!QFile::exists(ck));
    }

    // Quantizers of another tool's graph that Bitloop would compute otherwise are refused, naming the file
    // and the node, where each was measured with exit 0 as another network: an activation scale per
    // channel, of 0 or NaN (taken for no quantizer: the input computed in float), a second Q/DQ pair in a
    // row (only the last one computed), a skip that adds the tensor before its quantizer (Bitloop adds it
    // quantized), int8 codes declared by output_dtype (taken for uint8). Also refused: a QuantizeLinear
    // without its scale (read out of bounds), weights quantized in blocks, a NaN Clip bound. ONNX's same
    // quantizer written otherwise (an int8 zero point on QuantizeLinear, none on DequantizeLinear) is read.
    void quantizersBitloopDoesNotComputeAreRefused()
    {
        std::vector<OnnxLayerWeights> weights;
        const Network net = readOnnxNetwork(fixture("smallres_bn.onnx").toStdString(), &weights);
        qat::QuantNet q(net);
        qat::loadOnnxWeights(q, weights);
        q.setBits({{4, 8}, {3, 4}, {5, 5}, {8, 6}, {2, 3}, {6, 4}, {4, 16}});
        q.setImageNormalization({0.2860}, {0.3530});
        q.eval();
        {
            torch::NoGradGuard noGrad;
            torch::manual_seed(3);
            q.startCalibration(qat::Calibration::LsqMean);
            q.forward(torch::randn({16, 1, 28, 28}));
            q.stopCalibration();
        }
        QTemporaryDir dir;
        const QString path = dir.filePath("model.onnx");
        qat::QuantizedOnnxInfo info;
        info.imageHeight = info.imageWidth = 28;
        qat::writeQuantizedOnnx(q, path.toStdString(), info);
        onnx::ModelProto exported;
        QVERIFY(readModel(path, exported));

        using Graph = onnx::GraphProto;
        auto producer = [](Graph &g, const std::string &t, const std::string &op) -> onnx::NodeProto * {
            for (onnx::NodeProto &n : *g.mutable_node())
                if (n.op_type() == op && n.output(0) == t)
                    return &n;
            return nullptr;
        };
        auto setFloat = [](onnx::TensorProto *t, float v) {
            t->set_raw_data(std::string(reinterpret_cast<const char *>(&v), sizeof v));
        };
        // Layer k's input quantizer in the export: Clip -> QuantizeLinear -> DequantizeLinear -> the layer
        // (for the first through the image's Sub and Div).
        struct Quantizer {
            onnx::NodeProto *clip = nullptr, *q = nullptr, *dq = nullptr;
        };
        auto quantizerOf = [&](Graph &g, int k) {
            Quantizer r;
            int seen = 0;
            for (onnx::NodeProto &n : *g.mutable_node())
                if ((n.op_type() == "Conv" || n.op_type() == "Gemm") && seen++ == k) {
                    std::string t = n.input(0);
                    if (onnx::NodeProto *div = producer(g, t, "Div"))
                        t = producer(g, div->input(0), "Sub")->input(0);
                    r.dq = producer(g, t, "DequantizeLinear");
                    r.q = r.dq ? producer(g, r.dq->input(0), "QuantizeLinear") : nullptr;
                    r.clip = r.q ? producer(g, r.q->input(0), "Clip") : nullptr;
                }
            return r;
        };
        // The export altered, written and read: the reader's error less the file's name (which it must
        // begin with), the graph's note of why the engine does not build it, or "accepted".
        std::vector<OnnxLayerWeights> read;
        auto attempt = [&](const QString &name, const std::function<bool(Graph &)> &alter) {
            onnx::ModelProto m = exported;
            if (!alter(*m.mutable_graph()))
                return std::string("not altered");
            const std::string file = testing::write(dir, name, m.SerializeAsString()).toStdString();
            read.clear();
            try {
                const Network n = readOnnxNetwork(file, &read);
                return n.chainNote.empty() ? std::string("accepted") : "note: " + n.chainNote;
            } catch (const InputError &e) {
                const std::string what = e.what();
                return what.rfind(file + ": ", 0) == 0 ? what.substr(file.size() + 2) : "unnamed: " + what;
            }
        };
        auto expect = [](const std::string &what, const std::string &part) {
            QVERIFY2(what.find(part) != std::string::npos, what.c_str());
        };
        // What import's setting of the quantizers says of the file last read.
        auto applyError = [&](const QString &name) {
            qat::QuantNet back(readOnnxNetwork(dir.filePath(name).toStdString()));
            qat::loadOnnxWeights(back, read);
            try {
                qat::applyOnnxQuantization(back, read);
            } catch (const std::invalid_argument &e) {
                return std::string(e.what());
            }
            return std::string("applied");
        };
        QCOMPARE(attempt("as-exported.onnx", [](Graph &) { return true; }), std::string("accepted"));
        QCOMPARE(read[1].activationCodeMax, 15.0);
        const std::string conv2 = net.layers[1].name;

        const int64_t channels = net.layers[1].inputChannels();
        QVERIFY(channels > 1);
        expect(attempt("per-channel.onnx",
                       [&](Graph &g) {
                           onnx::TensorProto *t = g.add_initializer();
                           t->set_name("per_channel_step");
                           t->set_data_type(onnx::TensorProto::FLOAT);
                           t->add_dims(channels);
                           for (int64_t c = 0; c < channels; ++c)
                               t->add_float_data(0.05f);
                           const Quantizer l2 = quantizerOf(g, 1);
                           *l2.q->mutable_input(1) = *l2.dq->mutable_input(1) = "per_channel_step";
                           return true;
                       }),
               "node '" + conv2 + "': its input quantizer's scale is not one finite positive float32");
        for (float bad : {0.0f, -0.05f, std::nanf("")})
            expect(attempt("scale.onnx",
                           [&](Graph &g) {
                               setFloat(initializer(g, quantizerOf(g, 1).dq->input(1)), bad);
                               return true;
                           }),
                   "node '" + conv2 + "': its input quantizer's scale is not one finite positive float32");

        // Layer 2's quantizer twice: the graph rounds twice; the first pair is no layer's.
        expect(
            attempt("two-pairs.onnx",
                    [&](Graph &g) {
                        const onnx::NodeProto first = *quantizerOf(g, 1).dq;
                        const std::vector<onnx::NodeProto> nodes(g.node().begin(), g.node().end());
                        g.clear_node();
                        for (const onnx::NodeProto &n : nodes) {
                            onnx::NodeProto *copy = g.add_node();
                            *copy = n;
                            for (std::string &in : *copy->mutable_input())
                                if (in == first.output(0))
                                    in = "again";
                            if (n.output(0) == first.output(0)) {
                                testing::addNode(&g, "QuantizeLinear", "requantize",
                                                 {first.output(0), first.input(1), first.input(2)},
                                                 "again_codes");
                                testing::addNode(&g, "DequantizeLinear", "dequantize_again",
                                                 {"again_codes", first.input(1), first.input(2)}, "again");
                            }
                        }
                        return true;
                    }),
            "is a QuantizeLinear that is neither a layer's input quantizer (right before its Conv, Gemm or "
            "MatMul) nor its weights' dequantizer; Bitloop computes no other quantizer");

        // The identity block's skip adds its input as it enters the quantizer, not as the block reads it.
        expect(attempt("float-skip.onnx",
                       [&](Graph &g) {
                           for (int k = 0; k < int(net.layers.size()); ++k) {
                               const Quantizer l = quantizerOf(g, k);
                               for (onnx::NodeProto &n : *g.mutable_node())
                                   for (std::string &in : *n.mutable_input())
                                       if (l.dq && n.op_type() == "Add" && in == l.dq->output(0)) {
                                           in = l.clip->input(0);
                                           return true;
                                       }
                           }
                           return false;
                       }),
               "unquantized, where the layer reads it quantized");

        // The first layer's 8-bit pixels as int8 codes: 0..127 after the Clip, where Bitloop's 8-bit
        // unsigned quantizer has 0..255; import refuses it when it sets the quantizers.
        QCOMPARE(attempt("output-dtype.onnx",
                         [&](Graph &g) {
                             const Quantizer l1 = quantizerOf(g, 0);
                             l1.q->mutable_input()->RemoveLast();
                             l1.dq->mutable_input()->RemoveLast();
                             testing::addInt(l1.q, "output_dtype", onnx::TensorProto::INT8);
                             return true;
                         }),
                 std::string("accepted"));
        QCOMPARE(read[0].activationCodeMax, 127.0);
        expect(applyError("output-dtype.onnx"),
               "layer 1 ('" + net.layers[0].name + "'): its input quantizer's codes span 0..127");
        // A step below the quantizer's floor would be computed at the floor.
        QCOMPARE(attempt("tiny-scale.onnx",
                         [&](Graph &g) {
                             setFloat(initializer(g, quantizerOf(g, 1).dq->input(1)), 1e-10f);
                             return true;
                         }),
                 std::string("accepted"));
        expect(applyError("tiny-scale.onnx"),
               "layer 2 ('" + conv2 +
                   "'): its input quantizer's scale 1.000000013351432e-10 is below the smallest step");
        // Int8 codes from the zero point's type, DequantizeLinear left to read them as they come: the same
        // quantizer as the export's, codes 0..15 after the Clip.
        QCOMPARE(attempt("int8-zero.onnx",
                         [&](Graph &g) {
                             const Quantizer l2 = quantizerOf(g, 1);
                             onnx::TensorProto *zero = g.add_initializer();
                             zero->set_name("int8_zero");
                             zero->set_data_type(onnx::TensorProto::INT8);
                             zero->set_raw_data(std::string(1, '\0'));
                             *l2.q->mutable_input(2) = "int8_zero";
                             l2.dq->mutable_input()->RemoveLast();
                             return true;
                         }),
                 std::string("accepted"));
        QCOMPARE(read[1].activationCodeMin, 0.0);
        QCOMPARE(read[1].activationCodeMax, 15.0);

        expect(attempt("no-scale.onnx",
                       [&](Graph &g) {
                           onnx::NodeProto *q2 = quantizerOf(g, 1).q;
                           q2->mutable_input()->RemoveLast();
                           q2->mutable_input()->RemoveLast();
                           return true;
                       }),
               "node '" + conv2 + "': its input quantizer has no scale");
        expect(attempt("nan-clip.onnx",
                       [&](Graph &g) {
                           setFloat(initializer(g, quantizerOf(g, 1).clip->input(2)), std::nanf(""));
                           return true;
                       }),
               "node '" + conv2 + "': the Clip before its input quantizer has a NaN bound");
        expect(attempt("blocked.onnx",
                       [&](Graph &g) {
                           for (onnx::NodeProto &n : *g.mutable_node())
                               if (n.op_type() == "Conv") {
                                   testing::addInt(producer(g, n.input(1), "DequantizeLinear"), "block_size",
                                                   2);
                                   return true;
                               }
                           return false;
                       }),
               "': its weights are quantized in blocks (block_size), which Bitloop does not read");

        // From the command line: refused with the file named, exit 2, nothing written.
        const QString ck = dir.filePath("per-channel.pt");
        const CliRun imported = runCli({"import", "--onnx", dir.filePath("per-channel.onnx"), "--out", ck,
                                        "--validation-limit", "50", "--test-limit", "50", "--threads", "1"});
        QVERIFY2(imported.status == 2 && imported.err.contains("per-channel.onnx") &&
                     imported.err.contains("scale is not one finite positive float32"),
                 qPrintable(imported.summary()));
        QVERIFY(!QFile::exists(ck));
    }

    // The flow the README shows: a network from ONNX, trained, searched; the chosen point exported with
    // its model; the model imported back measures what the search's evaluator measured, on the same images.
    void searchExportWritesTheModelImportReadsItBack()
    {
        QTemporaryDir dir;
        const QString net = fixture("small_bn.onnx"), ck = dir.filePath("small.pt");
        const QStringList slices = {"--validation-limit", "300", "--test-limit", "300", "--threads", "1"};
        CliRun t, s, e, b, n;
        RUN_CLI(t, QStringList{"train", "--network", net, "--out", ck, "--epochs", "2", "--train-limit",
                               "20000", "--optimizer", "adam", "--lr", "0.01"} +
                       slices);
        QVERIFY2(t.status == 0, qPrintable(t.summary()));
        // Both weight ranges: over the full one the file holds codes -2^(b-1), which import must compute
        // as they are (quantized again over the symmetric range they were rescaled: 0.658 exported, 0.628
        // imported).
        for (const QString &scale : {QStringLiteral("max"), QStringLiteral("max-full")}) {
            const QString run = dir.filePath("run-" + scale), out = dir.filePath("exp-" + scale);
            RUN_CLI(s, QStringList{
                           "search", "--arch",          "eyeriss16", "--network",      net,   "--checkpoint",
                           ck,       "--evaluator",     "ptq",       "--weight-scale", scale, "--population",
                           "8",      "--generations",   "1",         "--seed",         "1",   "--threads",
                           "1",      "--torch-threads", "1",         "--out",          run});
            QVERIFY2(s.status == 0, qPrintable(s.summary()));
            RUN_CLI(e, QStringList{"search-export", "--run", run, "--point", "2", "--out", out, "--json"});
            QVERIFY2(e.status == 0, qPrintable(e.summary()));
            const QJsonObject ej = e.json();
            QCOMPARE(ej["onnx"].toString(), out + "/model.onnx");
            const double measured = ej["onnx_accuracy"].toDouble(-1);
            QCOMPARE(measured, ej["accuracy"].toDouble(-2)); // the model is the one the search measured
            QCOMPARE(ej["onnx_images"].toInt(), 300);
            QVERIFY2(measured > 0.3, qPrintable(e.summary())); // a trained model, not chance
            QString error;
            QVERIFY2(runOnnxInPyTorch(out + "/model.onnx", torch::zeros({1, 1, 28, 28}), dir.path(), error)
                         .defined(),
                     qPrintable(error)); // onnx.checker passes
            std::vector<OnnxLayerWeights> layers;
            readOnnxNetwork((out + "/model.onnx").toStdString(), &layers);
            int fullRange = 0, lowestCode = 0, quantized = 0;
            for (const OnnxLayerWeights &w : layers) {
                fullRange += w.weightFullRange;
                quantized += w.weightBits <= 8;
                if (w.weightBits <= 8 && w.minWeightCode <= -std::ldexp(1.0, w.weightBits - 1))
                    ++lowestCode;
            }
            QCOMPARE(fullRange, scale == "max" ? 0 : quantized); // bitloop.weight_scale says so
            QCOMPARE(lowestCode > 0, scale != "max");
            RUN_CLI(b, QStringList{"import", "--onnx", out + "/model.onnx", "--out",
                                   dir.filePath("back-" + scale + ".pt"), "--json", "--train-limit", "1000"} +
                           slices);
            QVERIFY2(b.status == 0, qPrintable(b.summary()));
            const QJsonObject bj = b.json();
            QCOMPARE(bj["widths"].toString(), ej["bits"].toString());
            const double back = bj["quantized_validation_accuracy"].toDouble(-1);
            qInfo("%s: search's evaluator %.4f, the exported model read back %.4f", qPrintable(scale),
                  measured, back);
            QVERIFY2(std::abs(back - measured) <= 0.001, qPrintable(b.summary()));
        }
        // --no-onnx leaves it out.
        RUN_CLI(n, QStringList{"search-export", "--run", dir.filePath("run-max"), "--out",
                               dir.filePath("exp2"), "--no-onnx"});
        QVERIFY2(n.status == 0 && !QFile::exists(dir.filePath("exp2/model.onnx")), qPrintable(n.summary()));
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
        const CliRun rgb =
            runCli({"import", "--onnx", fixture("resnet18.onnx"), "--out", dir.filePath("r.pt")});
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
