// Workloads: problem shapes, layers, the built-in MobileNets (exact MAC and weight counts, derived by
// hand below) and the YAML network format (round trip, a hand-written file, every kind of bad input).
#include "io/network_yaml.h"
#include "util/error.h"
#include "workload/builtin_match.h"
#include "workload/layer.h"
#include "workload/mobilenet.h"
#include "workload/problem.h"

#include <QDir>
#include <QtTest>

#include <fstream>
#include <stdexcept>

using namespace bitloop;

namespace
{

const QString kNetworks = QStringLiteral(BITLOOP_TEST_DATA "/networks");

std::string dataFile(const char *name)
{
    return (kNetworks + "/" + name).toStdString();
}

// Compares everything a layer carries, so a failure names the layer and the first field that differs.
void compareLayers(const Network &got, const Network &want)
{
    QCOMPARE(got.name, want.name);
    QCOMPARE(got.layers.size(), want.layers.size());
    for (size_t i = 0; i < want.layers.size(); ++i) {
        const Layer &g = got.layers[i], &w = want.layers[i];
        const QByteArray where = QByteArray::fromStdString("layer " + w.name);
        QVERIFY2(g.name == w.name, where);
        QVERIFY2(g.kind == w.kind, where);
        for (Dim d : kAllDims)
            QVERIFY2(g.shape.bound(d) == w.shape.bound(d), where + " dim " + dimLetter(d));
        QVERIFY2(g.shape.wstride == w.shape.wstride && g.shape.hstride == w.shape.hstride, where);
        QVERIFY2(g.shape.wdilation == w.shape.wdilation && g.shape.hdilation == w.shape.hdilation, where);
        QVERIFY2(g.shape.wpad == w.shape.wpad && g.shape.hpad == w.shape.hpad, where);
        QVERIFY2(g.shape == w.shape, where);
        // The accuracy side's part: what follows the layer and its residual source.
        QVERIFY2(g.activation == w.activation, where + " activation");
        QVERIFY2(g.residualFrom == w.residualFrom, where + " residual");
        QVERIFY2(g.inputFrom == w.inputFrom && g.addOutputOf == w.addOutputOf, where + " graph");
        QVERIFY2(g.pool == w.pool, where + " pool");
    }
}

const Layer &layerNamed(const Network &net, const std::string &name)
{
    for (const Layer &l : net.layers)
        if (l.name == name)
            return l;
    throw std::runtime_error("no layer " + name);
}

void checkShape(const Layer &l, std::array<int64_t, kNumDims> nGCMRSPQ)
{
    for (Dim d : kAllDims)
        QVERIFY2(l.shape.bound(d) == nGCMRSPQ[idx(d)],
                 QByteArray::fromStdString(l.name + " dim " + dimLetter(d) + " = " +
                                           std::to_string(l.shape.bound(d))));
}

} // namespace

class TestWorkload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The accuracy side needs what follows each layer: V1 uses ReLU throughout, V2 ReLU6 except its linear
    // bottlenecks, and V2 adds a block's input to its output in the 10 blocks of stride 1 whose channels
    // agree (stages 24x2, 32x3, 64x4, 96x3, 160x3 give 1 + 2 + 3 + 2 + 2).
    void activationsAndResiduals()
    {
        const Network v1 = mobileNetV1();
        for (size_t i = 0; i + 1 < v1.layers.size(); ++i)
            QCOMPARE(int(v1.layers[i].activation), int(Activation::ReLU));
        QCOMPARE(int(v1.layers.back().activation), int(Activation::None));
        const Network v2 = mobileNetV2();
        int residuals = 0, linear = 0;
        for (size_t i = 0; i < v2.layers.size(); ++i) {
            const Layer &l = v2.layers[i];
            if (l.residualFrom >= 0) {
                ++residuals;
                QVERIFY(QString::fromStdString(l.name).endsWith(".project"));
                const Layer &first = v2.layers[size_t(l.residualFrom)];
                QVERIFY(QString::fromStdString(first.name).endsWith(".expand"));
                QCOMPARE(first.inputChannels(), l.outputChannels());
            }
            if (l.activation == Activation::None)
                ++linear;
        }
        QCOMPARE(residuals, 10);
        QCOMPARE(linear, 17 + 1); // 17 projections and the classifier
        // conv1, b1.dw, b1.project, b2.expand, b2.dw, b2.project, b3.expand, b3.dw, b3.project
        QCOMPARE(v2.layers[5].name, std::string("b2.project"));
        QCOMPARE(v2.layers[5].residualFrom, -1); // 16 -> 24 channels, stride 2
        QCOMPARE(v2.layers[8].residualFrom, 6);  // b3 (24 -> 24, stride 1) adds the input of b3.expand
    }
    void dimsAndTensors();
    void problemSizes();
    void makeConvShapes();
    void makeConvErrors();
    void describe();

    void mobileNetV1Totals();
    void mobileNetV1Layers();
    void mobileNetV2Totals();
    void mobileNetV2Layers();
    void scaledVariants();
    void smallInput();
    void builtinNames();
    void builtinMatch();

    void yamlRoundTrip_data();
    void yamlRoundTrip();
    void yamlRoundTripUnusualLayers();
    void yamlGraphKeys();
    void yamlWriteFile();
    void yamlHandWritten();
    void yamlBadFiles_data();
    void yamlBadFiles();
    void yamlBadText_data();
    void yamlBadText();
    void yamlUnopenable();
    void loadNetworkByNameOrPath();
};

void TestWorkload::dimsAndTensors()
{
    QByteArray letters;
    for (Dim d : kAllDims) {
        letters += dimLetter(d);
        Dim back;
        QVERIFY(dimFromLetter(dimLetter(d), back));
        QVERIFY(back == d);
    }
    QCOMPARE(letters, QByteArray("NGCMRSPQ"));
    Dim unused;
    QVERIFY(!dimFromLetter('X', unused));
    QVERIFY(!dimFromLetter('n', unused));

    for (Tensor t : kAllTensors) {
        Tensor back;
        QVERIFY(tensorFromName(tensorName(t), back));
        QVERIFY(back == t);
    }
    QCOMPARE(QString(tensorName(Tensor::Weights)), QString("Weights"));
    QCOMPARE(QString(tensorName(Tensor::Inputs)), QString("Inputs"));
    QCOMPARE(QString(tensorName(Tensor::Outputs)), QString("Outputs"));
    Tensor t;
    QVERIFY(!tensorFromName("weights", t));

    // Which dimensions index which tensor, written out as a table: N G C M R S P Q.
    const bool weights[] = {false, true, true, true, true, true, false, false};
    const bool inputs[] = {true, true, true, false, true, true, true, true};
    const bool outputs[] = {true, true, false, true, false, false, true, true};
    for (Dim d : kAllDims) {
        QCOMPARE(isRelevant(Tensor::Weights, d), weights[idx(d)]);
        QCOMPARE(isRelevant(Tensor::Inputs, d), inputs[idx(d)]);
        QCOMPARE(isRelevant(Tensor::Outputs, d), outputs[idx(d)]);
    }
}

void TestWorkload::problemSizes()
{
    ProblemShape s;
    // N G C M R S P Q = 2 3 4 5 3 1 7 6, W stride 2 dilation 1, H stride 1 dilation 2.
    s.bounds = {2, 3, 4, 5, 3, 1, 7, 6};
    s.wstride = 2;
    s.hdilation = 2;
    QCOMPARE(s.macs(), int64_t(2 * 3 * 4 * 5 * 3 * 1 * 7 * 6));
    QCOMPARE(s.inputWidth(), int64_t((7 - 1) * 2 + (3 - 1) * 1 + 1));  // 15
    QCOMPARE(s.inputHeight(), int64_t((6 - 1) * 1 + (1 - 1) * 2 + 1)); // 6
    QCOMPARE(s.tensorSize(Tensor::Weights), int64_t(3 * 5 * 4 * 3 * 1));
    QCOMPARE(s.tensorSize(Tensor::Inputs), int64_t(2 * 3 * 4 * 6 * 15));
    QCOMPARE(s.tensorSize(Tensor::Outputs), int64_t(2 * 3 * 5 * 7 * 6));

    ProblemShape other = s;
    QVERIFY(other == s);
    other.hpad = 1;
    QVERIFY(!(other == s));
}

void TestWorkload::makeConvShapes()
{
    ConvSpec spec;
    spec.name = "c";
    spec.inChannels = 32;
    spec.outChannels = 64;
    spec.groups = 4;
    spec.kernel = 3;
    spec.stride = 2;
    spec.padding = 1;
    spec.inHeight = 20; // Q from the height
    spec.inWidth = 31;  // P from the width
    spec.batch = 2;
    Layer l = makeConv(spec);
    QVERIFY(l.kind == LayerKind::Conv);
    // P = floor((31 + 2 - 2 - 1) / 2) + 1 = 16; Q = floor((20 + 2 - 2 - 1) / 2) + 1 = 10.
    checkShape(l, {2, 4, 8, 16, 3, 3, 16, 10});
    QCOMPARE(l.inputChannels(), int64_t(32));
    QCOMPARE(l.outputChannels(), int64_t(64));
    QCOMPARE(l.shape.wpad, 1);
    QCOMPARE(l.shape.hstride, 2);

    // Dilation 2 widens a 3x3 kernel to 5: floor((10 - 4 - 1) / 1) + 1 = 6.
    spec = ConvSpec{};
    spec.inChannels = 8;
    spec.outChannels = 8;
    spec.kernel = 3;
    spec.dilation = 2;
    spec.inHeight = spec.inWidth = 10;
    l = makeConv(spec);
    QCOMPARE(l.shape.bound(Dim::P), int64_t(6));
    QCOMPARE(l.shape.inputWidth(), int64_t(10));

    // groups == in == out > 1 is depthwise, modelled as G = channels, C = M = 1.
    spec.groups = 8;
    l = makeConv(spec);
    QVERIFY(l.kind == LayerKind::Depthwise);
    checkShape(l, {1, 8, 1, 1, 3, 3, 6, 6});

    spec = ConvSpec{};
    spec.inChannels = 16;
    spec.outChannels = 24;
    spec.inHeight = spec.inWidth = 7;
    l = makeConv(spec);
    QVERIFY(l.kind == LayerKind::Pointwise);
    checkShape(l, {1, 1, 16, 24, 1, 1, 7, 7});

    l = makeFullyConnected("fc", 1024, 1000, 4);
    QVERIFY(l.kind == LayerKind::FullyConnected);
    checkShape(l, {4, 1, 1024, 1000, 1, 1, 1, 1});
    QCOMPARE(l.weightCount(), int64_t(1024000));
}

void TestWorkload::makeConvErrors()
{
    auto expectError = [](ConvSpec spec, const char *field) {
        spec.name = "bad";
        try {
            makeConv(spec);
            QFAIL(qPrintable(QString("no error for ") + field));
        } catch (const std::invalid_argument &e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains(field), qPrintable(msg));
            QVERIFY2(msg.contains("'bad'"), qPrintable(msg));
        }
    };
    ConvSpec ok;
    ok.inChannels = ok.outChannels = 4;
    ok.kernel = 3;
    ok.inHeight = ok.inWidth = 8;
    ConvSpec s = ok;
    s.inChannels = 0;
    expectError(s, "inChannels");
    s = ok;
    s.outChannels = -2;
    expectError(s, "outChannels");
    s = ok;
    s.kernel = 0;
    expectError(s, "kernel");
    s = ok;
    s.stride = 0;
    expectError(s, "stride");
    s = ok;
    s.padding = -1;
    expectError(s, "padding");
    s = ok;
    s.dilation = 0;
    expectError(s, "dilation");
    s = ok;
    s.inHeight = 0;
    expectError(s, "inHeight");
    s = ok;
    s.inWidth = -5;
    expectError(s, "inWidth");
    s = ok;
    s.batch = 0;
    expectError(s, "batch");
    s = ok;
    s.groups = 3;
    expectError(s, "groups");
    s = ok;
    s.kernel = 11; // an 11-wide kernel on 8 + 2*0 pixels has no valid position
    expectError(s, "kernel");
    try {
        makeFullyConnected("head", 10, 0);
        QFAIL("no error for outFeatures");
    } catch (const std::invalid_argument &e) {
        QVERIFY(QString(e.what()).contains("outFeatures"));
    }
}

void TestWorkload::describe()
{
    const Network v1 = mobileNetV1();
    QCOMPARE(QString::fromStdString(v1.layers[0].describe()), QString("conv 3x3/2 3 -> 32 @ 112x112 out"));
    QCOMPARE(QString::fromStdString(v1.layers[1].describe()), QString("dw 3x3/1 32 -> 32 @ 112x112 out"));
    QCOMPARE(QString::fromStdString(v1.layers[2].describe()), QString("pw 1x1/1 32 -> 64 @ 112x112 out"));
    QCOMPARE(QString::fromStdString(v1.layers.back().describe()), QString("fc 1024 -> 1000"));
}

// MobileNetV1, alpha 1.0, 224x224, 1000 classes (Howard et al. 2017, Table 1). Spatial sizes after each
// stride-2 layer: 112, 56, 28, 14, 7. A dw layer on C channels with output HxH costs C*9*H^2 MACs and has
// 9*C weights; a pw layer C -> C' costs C*C'*H^2 MACs and has C*C' weights.
//
//   layer       in -> out   out HxH   MACs                         weights
//   conv1        3 -> 32    112       3*32*9*112^2 = 10,838,016    864
//   dw1/pw1     32 -> 64    112       32*9*112^2 | 32*64*112^2     288 | 2,048
//   dw2/pw2     64 -> 128    56       64*9*56^2  | 64*128*56^2     576 | 8,192
//   dw3/pw3    128 -> 128    56                                    1,152 | 16,384
//   dw4/pw4    128 -> 256    28                                    1,152 | 32,768
//   dw5/pw5    256 -> 256    28                                    2,304 | 65,536
//   dw6/pw6    256 -> 512    14                                    2,304 | 131,072
//   dw7-11     512 -> 512    14       (five blocks)                5 x (4,608 | 262,144)
//   dw12/pw12  512 -> 1024    7                                    4,608 | 524,288
//   dw13/pw13 1024 -> 1024    7                                    9,216 | 1,048,576
//   fc        1024 -> 1000            1,024,000                    1,024,000 (+ 1,000 biases, not counted)
//
// Depthwise MACs: 9 * sum(C*H^2) = 9 * (32*12544 + 64*3136 + 128*3136 + 128*784 + 256*784 + 256*196
//   + 5*512*196 + 512*49 + 1024*49) = 9 * 1,931,776 = 17,385,984.
// Pointwise MACs: C*C'*H^2 takes only two values. 25,690,112 for pw1, pw2, pw4, pw6, pw12 (32*64*112^2,
//   64*128*56^2, 128*256*28^2, 256*512*14^2, 512*1024*7^2) and 51,380,224 for the eight others (pw3, pw5,
//   pw7-11, pw13: 128*128*56^2, 256*256*28^2, 512*512*14^2, 1024*1024*7^2):
//   5 * 25,690,112 + 8 * 51,380,224 = 21 * 25,690,112 = 539,492,352.
// Total MACs: 10,838,016 + 17,385,984 + 539,492,352 + 1,024,000 = 568,740,352 (paper: 569 M).
// Weights: conv1 864 + dw 9 * 4,960 = 44,640 + pw 3,139,584 + fc 1,024,000 = 4,209,088 (paper: 4.2 M;
//   with the 1,000 classifier biases 4,210,088, which also rounds to 4.2 M, so the table cannot tell
//   whether they are included; batch-norm parameters are not counted by either).
void TestWorkload::mobileNetV1Totals()
{
    const Network v1 = mobileNetV1();
    QCOMPARE(v1.name, std::string("mobilenet_v1"));
    QCOMPARE(int(v1.layers.size()), 28);
    int64_t conv = 0, dw = 0, pw = 0, fc = 0, dwWeights = 0, pwWeights = 0;
    for (const Layer &l : v1.layers) {
        switch (l.kind) {
        case LayerKind::Conv:
            conv += l.macs();
            break;
        case LayerKind::Depthwise:
            dw += l.macs();
            dwWeights += l.weightCount();
            break;
        case LayerKind::Pointwise:
            pw += l.macs();
            pwWeights += l.weightCount();
            break;
        case LayerKind::FullyConnected:
            fc += l.macs();
            break;
        }
    }
    QCOMPARE(conv, int64_t(10838016));
    QCOMPARE(dw, int64_t(17385984));
    QCOMPARE(pw, int64_t(539492352));
    QCOMPARE(fc, int64_t(1024000));
    QCOMPARE(v1.totalMacs(), int64_t(568740352));
    QCOMPARE(dwWeights, int64_t(44640));
    QCOMPARE(pwWeights, int64_t(3139584));
    QCOMPARE(v1.totalWeights(), int64_t(4209088));
    const int64_t fcBiases = v1.layers.back().outputChannels();
    QCOMPARE(v1.totalWeights() + fcBiases, int64_t(4210088));
}

void TestWorkload::mobileNetV1Layers()
{
    const Network v1 = mobileNetV1();
    const Layer &conv1 = v1.layers[0];
    QCOMPARE(conv1.name, std::string("conv1"));
    QVERIFY(conv1.kind == LayerKind::Conv);
    checkShape(conv1, {1, 1, 3, 32, 3, 3, 112, 112});
    QCOMPARE(conv1.shape.wstride, 2);
    QCOMPARE(conv1.shape.wpad, 1);
    QCOMPARE(conv1.macs(), int64_t(10838016)); // 3*32*9*112*112

    const Layer &dw1 = v1.layers[1]; // layer 2
    QCOMPARE(dw1.name, std::string("dw1"));
    QVERIFY(dw1.kind == LayerKind::Depthwise);
    checkShape(dw1, {1, 32, 1, 1, 3, 3, 112, 112});

    // Names and kinds alternate dw/pw after conv1, blocks numbered 1..13 as in Keras.
    for (int b = 1; b <= 13; ++b) {
        const Layer &dw = v1.layers[2 * b - 1], &pw = v1.layers[2 * b];
        QCOMPARE(dw.name, "dw" + std::to_string(b));
        QCOMPARE(pw.name, "pw" + std::to_string(b));
        QVERIFY(dw.kind == LayerKind::Depthwise);
        QVERIFY(pw.kind == LayerKind::Pointwise);
        QCOMPARE(dw.shape.wpad, 1);
        QCOMPARE(pw.shape.wpad, 0);
    }
    // Strides: dw2, dw4, dw6 and dw12 halve the map (dw13 runs at stride 1 despite the paper's table).
    for (const char *name : {"dw2", "dw4", "dw6", "dw12"})
        QCOMPARE(layerNamed(v1, name).shape.wstride, 2);
    QCOMPARE(layerNamed(v1, "dw13").shape.wstride, 1);
    checkShape(layerNamed(v1, "dw2"), {1, 64, 1, 1, 3, 3, 56, 56});
    checkShape(layerNamed(v1, "pw13"), {1, 1, 1024, 1024, 1, 1, 7, 7});

    const Layer &fc = v1.layers.back();
    QCOMPARE(fc.name, std::string("fc"));
    QVERIFY(fc.kind == LayerKind::FullyConnected);
    checkShape(fc, {1, 1, 1024, 1000, 1, 1, 1, 1}); // after global average pooling of 1024 x 7x7
}

// MobileNetV2, alpha 1.0, 224x224, 1000 classes (Sandler et al. 2018, Table 2). A block with input c,
// expansion t, output c', input size H, output size H' costs (expand) c*t*c*H^2 + (dw) t*c*9*H'^2
// + (project) t*c*c'*H'^2 MACs, with c*tc + 9*tc + tc*c' weights; b1 (t = 1) has no expand layer.
//
//   block  c -> tc -> c'    H -> H'   MACs          weights
//   conv1  3 -> 32          224->112  10,838,016    864
//   b1     32 -> 32 -> 16   112->112  10,035,200    800      (3,612,672 + 6,422,528)
//   b2     16 -> 96 -> 24   112->56   29,202,432    4,704    (19,267,584 + 2,709,504 + 7,225,344)
//   b3     24 -> 144 -> 24  56->56    25,740,288    8,208
//   b4     24 -> 144 -> 32  56->28    15,466,752    9,360
//   b5,b6  32 -> 192 -> 32  28->28    10,988,544    14,016   each
//   b7     32 -> 192 -> 64  28->14    7,564,032     20,160
//   b8-b10 64 -> 384 -> 64  14->14    10,311,168    52,608   each
//   b11    64 -> 384 -> 96  14->14    12,719,616    64,896
//   b12,13 96 -> 576 -> 96  14->14    22,692,096    115,776  each
//   b14    96 -> 576 -> 160 14->7     15,607,872    152,640
//   b15,16 160 -> 960 -> 160 7->7     15,476,160    315,840  each
//   b17    160 -> 960 -> 320 7->7     23,002,560    469,440
//   conv_last 320 -> 1280   7->7      20,070,400    409,600  (320*1280*49)
//   fc     1280 -> 1000               1,280,000     1,280,000 (+ 1,000 biases, not counted)
//
// Total MACs: 300,774,272 (paper: 300 M). Weights: 3,469,760; with the classifier biases 3,470,760. The
// paper's 3.4 M is below both (it appears truncated, not rounded); batch-norm parameters are not counted.
void TestWorkload::mobileNetV2Totals()
{
    const Network v2 = mobileNetV2();
    QCOMPARE(v2.name, std::string("mobilenet_v2"));
    QCOMPARE(int(v2.layers.size()), 53);
    const int64_t blockMacs[17] = {10035200, 29202432, 25740288, 15466752, 10988544, 10988544,
                                   7564032,  10311168, 10311168, 10311168, 12719616, 22692096,
                                   22692096, 15607872, 15476160, 15476160, 23002560};
    const int64_t blockWeights[17] = {800,   4704,  8208,   9360,   14016,  14016,  20160,  52608, 52608,
                                      52608, 64896, 115776, 115776, 152640, 315840, 315840, 469440};
    for (int b = 1; b <= 17; ++b) {
        int64_t macs = 0, weights = 0;
        int layers = 0;
        const std::string prefix = "b" + std::to_string(b) + ".";
        for (const Layer &l : v2.layers) {
            if (l.name.compare(0, prefix.size(), prefix) == 0) {
                macs += l.macs();
                weights += l.weightCount();
                ++layers;
            }
        }
        QCOMPARE(layers, b == 1 ? 2 : 3);
        QVERIFY2(macs == blockMacs[b - 1], qPrintable(QString("block %1: %2").arg(b).arg(macs)));
        QVERIFY2(weights == blockWeights[b - 1], qPrintable(QString("block %1: %2").arg(b).arg(weights)));
    }
    QCOMPARE(layerNamed(v2, "conv1").macs(), int64_t(10838016));
    QCOMPARE(layerNamed(v2, "conv_last").macs(), int64_t(20070400));
    QCOMPARE(v2.layers.back().macs(), int64_t(1280000));
    QCOMPARE(v2.totalMacs(), int64_t(300774272));
    QCOMPARE(v2.totalWeights(), int64_t(3469760));
    QCOMPARE(v2.totalWeights() + v2.layers.back().outputChannels(), int64_t(3470760));
}

void TestWorkload::mobileNetV2Layers()
{
    const Network v2 = mobileNetV2();
    QCOMPARE(v2.layers[0].name, std::string("conv1"));
    QCOMPARE(v2.layers[1].name, std::string("b1.dw"));
    QCOMPARE(v2.layers[2].name, std::string("b1.project"));
    QCOMPARE(v2.layers[3].name, std::string("b2.expand"));
    QCOMPARE(v2.layers[4].name, std::string("b2.dw"));
    QCOMPARE(v2.layers[5].name, std::string("b2.project"));
    QCOMPARE(v2.layers[51].name, std::string("conv_last"));
    QCOMPARE(v2.layers[52].name, std::string("fc"));

    checkShape(layerNamed(v2, "b1.dw"), {1, 32, 1, 1, 3, 3, 112, 112});
    checkShape(layerNamed(v2, "b1.project"), {1, 1, 32, 16, 1, 1, 112, 112});
    checkShape(layerNamed(v2, "b2.expand"), {1, 1, 16, 96, 1, 1, 112, 112});
    checkShape(layerNamed(v2, "b2.dw"), {1, 96, 1, 1, 3, 3, 56, 56});
    QCOMPARE(layerNamed(v2, "b2.dw").shape.wstride, 2);
    checkShape(layerNamed(v2, "b17.project"), {1, 1, 960, 320, 1, 1, 7, 7});
    checkShape(layerNamed(v2, "conv_last"), {1, 1, 320, 1280, 1, 1, 7, 7});
    checkShape(v2.layers.back(), {1, 1, 1280, 1000, 1, 1, 1, 1});

    int depthwise = 0, pointwise = 0;
    for (const Layer &l : v2.layers) {
        depthwise += l.kind == LayerKind::Depthwise;
        pointwise += l.kind == LayerKind::Pointwise;
    }
    QCOMPARE(depthwise, 17);
    QCOMPARE(pointwise, 16 + 17 + 1); // expand (no b1), project, conv_last
}

// Width 0.5, resolution 128: spatial sizes 64, 32, 16, 8, 4 (each (4/7)^2 of the 224 case's area).
//
// V1: every channel count halves (all stay multiples of 8). conv1 and dw MACs scale by 1/2 * 16/49,
//   pw MACs by 1/4 * 16/49, the classifier sees 512 features:
//   conv1 3*16*9*64^2 = 1,769,472; dw 17,385,984 * 8/49 = 2,838,528; pw 539,492,352 * 4/49 = 44,040,192;
//   fc 512,000. Total 49,160,192. Weights: 432 + 22,320 + 784,896 + 512,000 = 1,319,648.
//
// V2: make_divisible(c/2, 8) gives 16 for the stem, then 8, 16 (24/2 = 12 rounds up to 16), 16, 32, 48,
//   80, 160; conv_last stays 1280. Per block (c -> tc -> c', H -> H', MACs, weights):
//   conv1 3->16 128->64: 1,769,472, 432        b1 16->16->8 64->64: 1,114,112, 272
//   b2 8->48->16 64->32: 2,801,664, 1,584      b3 16->96->16 32->32: 4,030,464, 3,936
//   b4 16->96->16 32->16: 2,187,264, 3,936     b5,b6 16->96->16 16->16: 1,007,616, 3,936 each
//   b7 16->96->32 16->8: 645,120, 5,472        b8-b10 32->192->32 8->8: 897,024, 14,016 each
//   b11 32->192->48 8->8: 1,093,632, 17,088    b12,b13 48->288->48 8->8: 1,935,360, 30,240 each
//   b14 48->288->80 8->4: 1,294,848, 39,456    b15,b16 80->480->80 4->4: 1,297,920, 81,120 each
//   b17 80->480->160 4->4: 1,912,320, 119,520  conv_last 160->1280 4x4: 3,276,800, 204,800
//   fc 1280->1000: 1,280,000, 1,280,000.  Total MACs 32,578,560; weights 1,949,136.
void TestWorkload::scaledVariants()
{
    MobileNetOptions opt;
    opt.widthMultiplier = 0.5;
    opt.resolution = 128;
    const Network v1 = mobileNetV1(opt);
    QCOMPARE(int(v1.layers.size()), 28);
    QCOMPARE(v1.totalMacs(), int64_t(49160192));
    QCOMPARE(v1.totalWeights(), int64_t(1319648));
    checkShape(v1.layers[0], {1, 1, 3, 16, 3, 3, 64, 64});
    checkShape(v1.layers.back(), {1, 1, 512, 1000, 1, 1, 1, 1});

    const Network v2 = mobileNetV2(opt);
    QCOMPARE(int(v2.layers.size()), 53);
    QCOMPARE(v2.totalMacs(), int64_t(32578560));
    QCOMPARE(v2.totalWeights(), int64_t(1949136));
    checkShape(layerNamed(v2, "b2.project"), {1, 1, 48, 16, 1, 1, 32, 32});
    checkShape(layerNamed(v2, "conv_last"), {1, 1, 160, 1280, 1, 1, 4, 4});

    // Above 1.0 the last conv grows too: make_divisible(1280 * 1.4) = 1792.
    opt.widthMultiplier = 1.4;
    opt.resolution = 224;
    QCOMPARE(mobileNetV2(opt).layers.back().shape.bound(Dim::C), int64_t(1792));

    opt = MobileNetOptions{};
    opt.numClasses = 10;
    opt.inputChannels = 1;
    const Network gray = mobileNetV1(opt);
    QCOMPARE(gray.layers[0].shape.bound(Dim::C), int64_t(1));
    QCOMPARE(gray.layers.back().shape.bound(Dim::M), int64_t(10));

    opt.widthMultiplier = 0;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, mobileNetV1(opt));
}

// smallInput at 32x32: conv1 and the first stride-2 block run at stride 1 (V1: dw2; V2: b2.dw), so the
// maps are 32, 32, 16, 8, 4 and the last one is 4x4.
void TestWorkload::smallInput()
{
    MobileNetOptions opt;
    opt.resolution = 32;
    opt.numClasses = 10;
    opt.smallInput = true;
    const Network v1 = mobileNetV1(opt);
    QCOMPARE(layerNamed(v1, "conv1").shape.wstride, 1);
    QCOMPARE(layerNamed(v1, "dw2").shape.wstride, 1);
    QCOMPARE(layerNamed(v1, "dw4").shape.wstride, 2);
    QCOMPARE(layerNamed(v1, "dw2").shape.bound(Dim::P), int64_t(32));
    QCOMPARE(layerNamed(v1, "pw13").shape.bound(Dim::P), int64_t(4));

    const Network v2 = mobileNetV2(opt);
    QCOMPARE(layerNamed(v2, "conv1").shape.wstride, 1);
    QCOMPARE(layerNamed(v2, "b2.dw").shape.wstride, 1);
    QCOMPARE(layerNamed(v2, "b4.dw").shape.wstride, 2);
    QCOMPARE(layerNamed(v2, "conv_last").shape.bound(Dim::Q), int64_t(4));

    opt.smallInput = false;
    QCOMPARE(layerNamed(mobileNetV2(opt), "conv_last").shape.bound(Dim::Q), int64_t(1));
}

void TestWorkload::builtinNames()
{
    Network net;
    for (const char *name : {"mobilenet_v1", "MobileNetV1", "mobilenet-v1", "V1"}) {
        QVERIFY2(builtinNetwork(name, {}, net), name);
        QCOMPARE(net.name, std::string("mobilenet_v1"));
    }
    for (const char *name : {"mobilenet_v2", "mobilenetv2", "MOBILENET-V2", "v2"}) {
        QVERIFY2(builtinNetwork(name, {}, net), name);
        QCOMPARE(net.name, std::string("mobilenet_v2"));
    }
    for (const char *name : {"resnet18", "mobilenet", "v3", ""})
        QVERIFY2(!builtinNetwork(name, {}, net), name);
}

// A checkpoint's network (28x28 grey images, 10 classes, small-input strides) names the built-in network and
// width the hardware side needs; a layer changed or an odd width matches nothing.
void TestWorkload::builtinMatch()
{
    MobileNetOptions opt;
    opt.resolution = 28;
    opt.smallInput = true;
    opt.inputChannels = 1;
    opt.numClasses = 10;
    for (auto [name, width] : {std::pair<const char *, double>{"mobilenet_v1", 0.25},
                               {"mobilenet_v2", 0.35},
                               {"mobilenet_v1", 1.0},
                               {"mobilenet_v2", 0.75},
                               {"mobilenet_v1", 1.65}}) {
        opt.widthMultiplier = width;
        Network net;
        QVERIFY(builtinNetwork(name, opt, net));
        const std::optional<BuiltinMatch> m = matchBuiltinNetwork(net);
        QVERIFY2(m, name);
        QCOMPARE(m->network, std::string(name));
        QCOMPARE(m->widthMultiplier, width);
    }
    opt.widthMultiplier = 0.25;
    Network changed = mobileNetV1(opt);
    changed.layers[3].shape.bound(Dim::M) += 1;
    QVERIFY(!matchBuiltinNetwork(changed));
    // The search's check of the two sides names the first difference: layer 4's M here.
    const Network v1 = mobileNetV1(opt);
    QVERIFY(!firstShapeDifference(v1, v1));
    const std::optional<ShapeDifference> diff = firstShapeDifference(v1, changed);
    QVERIFY(diff && diff->dim);
    QCOMPARE(diff->layer, size_t(3));
    QCOMPARE(int(*diff->dim), int(Dim::M));
    const std::optional<ShapeDifference> count = firstShapeDifference(v1, mobileNetV2(opt));
    QVERIFY(count && !count->dim);
    QCOMPARE(count->layer, v1.layers.size());
    opt.widthMultiplier = 0.123; // 4 channels in conv1: no multiplier on the grid gives these layers
    QVERIFY(!matchBuiltinNetwork(mobileNetV1(opt)));
    QVERIFY(!matchBuiltinNetwork(Network{}));
}

void TestWorkload::yamlRoundTrip_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<double>("alpha");
    QTest::addColumn<int>("resolution");
    QTest::addColumn<bool>("small");
    QTest::newRow("v1") << "v1" << 1.0 << 224 << false;
    QTest::newRow("v2") << "v2" << 1.0 << 224 << false;
    QTest::newRow("v1-0.5-128") << "v1" << 0.5 << 128 << false;
    QTest::newRow("v2-0.75-160") << "v2" << 0.75 << 160 << false;
    QTest::newRow("v2-small-odd") << "v2" << 1.0 << 31 << true;
}

void TestWorkload::yamlRoundTrip()
{
    QFETCH(QString, name);
    QFETCH(double, alpha);
    QFETCH(int, resolution);
    QFETCH(bool, small);
    MobileNetOptions opt;
    opt.widthMultiplier = alpha;
    opt.resolution = resolution;
    opt.smallInput = small;
    Network net;
    QVERIFY(builtinNetwork(name.toStdString(), opt, net));
    const std::string text = networkToYaml(net);
    compareLayers(parseNetworkYaml(text, "roundtrip.yaml"), net);
    // MobileNet layers all fit the friendly form; the writer picks 224, not 223, for conv1's input.
    QVERIFY(text.find("shape:") == std::string::npos);
    // MobileNetV2 says what its linear bottlenecks and residual sums are; V1 needs no extra keys.
    if (net.name == "mobilenet_v2") {
        QVERIFY(text.find("activation: relu6") != std::string::npos);
        QVERIFY(text.find("activation: none") != std::string::npos);
        QVERIFY(text.find("residual_from:") != std::string::npos);
    } else {
        QVERIFY(text.find("activation") == std::string::npos);
    }
    if (resolution == 224 && !small)
        QVERIFY2(
            text.find("{name: conv1, type: conv, in_channels: 3, out_channels: 32, kernel: 3, stride: 2, "
                      "padding: 1, input: 224") != std::string::npos,
            text.c_str());
}

void TestWorkload::yamlRoundTripUnusualLayers()
{
    Network net;
    net.name = "odd: name # with marks";
    ConvSpec spec;
    spec.name = "rect";
    spec.inChannels = 6;
    spec.outChannels = 9;
    spec.groups = 3;
    spec.kernel = 5;
    spec.stride = 3;
    spec.padding = 2;
    spec.dilation = 2;
    spec.inHeight = 17;
    spec.inWidth = 40;
    spec.batch = 5;
    net.layers.push_back(makeConv(spec));

    Layer denseOneByOne = makeConv(ConvSpec{"true", 4, 4, 1, 1, 0, 1, 3, 3, 1, 1});
    denseOneByOne.kind = LayerKind::Conv; // kernel 1 but called conv: only the raw form keeps this
    net.layers.push_back(denseOneByOne);

    Layer anisotropic;
    anisotropic.name = "aniso layer";
    anisotropic.shape.bounds = {2, 2, 3, 4, 3, 5, 7, 9};
    anisotropic.shape.wstride = 2;
    anisotropic.shape.hdilation = 3;
    anisotropic.shape.hpad = 4;
    net.layers.push_back(anisotropic);

    Layer oneChannelDw = makeConv(ConvSpec{"dw1ch", 1, 1, 3, 1, 1, 1, 8, 8, 1, 1});
    oneChannelDw.kind = LayerKind::Depthwise;
    net.layers.push_back(oneChannelDw);
    net.layers.push_back(makeFullyConnected("123", 10, 3, 8));

    const std::string text = networkToYaml(net);
    compareLayers(parseNetworkYaml(text, "odd.yaml"), net);
}

// ResNet's shapes in a network file: the stem max-pools (stride defaulting to the kernel, as PyTorch's),
// a projection shortcut reads the block's input and adds the main branch's output, an identity block
// adds its input; written back, the same keys come out and read as the same network.
void TestWorkload::yamlGraphKeys()
{
    const std::string text =
        "network: r\nlayers:\n"
        "  - {name: stem, type: conv, in_channels: 1, out_channels: 8, kernel: 3, padding: 1, "
        "input: 28, pool: {type: max, kernel: 2}}\n"
        "  - {name: c1, type: conv, in_channels: 8, out_channels: 16, kernel: 3, stride: 2, "
        "padding: 1, input: 14}\n"
        "  - {name: c2, type: conv, in_channels: 16, out_channels: 16, kernel: 3, padding: 1, "
        "input: 7, activation: none}\n"
        "  - {name: proj, type: pointwise, in_channels: 8, out_channels: 16, stride: 2, "
        "input: 14, input_from: 1, add_output_of: 3}\n"
        "  - {name: c3, type: conv, in_channels: 16, out_channels: 16, kernel: 3, padding: 1, "
        "input: 7}\n"
        "  - {name: c4, type: conv, in_channels: 16, out_channels: 16, kernel: 3, padding: 1, "
        "input: 7, residual_from: 5, pool: {type: average, kernel: [1, 7], stride: 1}}\n"
        "  - {name: fc, type: fc, in_features: 16, out_features: 10}\n";
    const Network net = parseNetworkYaml(text, "r.yaml");
    const Pooling &stem = net.layers[0].pool;
    QCOMPARE(stem.kind, Pooling::Kind::Max);
    QVERIFY(stem.kernelH == 2 && stem.kernelW == 2 && stem.strideH == 2 && stem.strideW == 2 &&
            stem.padH == 0);
    QCOMPARE(net.layers[3].inputFrom, 0);
    QCOMPARE(net.layers[3].addOutputOf, 2);
    QCOMPARE(net.layers[3].activation, Activation::ReLU);
    QCOMPARE(net.layers[5].residualFrom, 4);
    const Pooling &tail = net.layers[5].pool;
    QVERIFY(tail.kind == Pooling::Kind::Average && tail.kernelH == 1 && tail.kernelW == 7 &&
            tail.strideW == 1);
    QCOMPARE(net.sourceOf(3), 0);
    QCOMPARE(net.sourceOf(4), 3);
    QCOMPARE(net.sourceOf(0), -1);
    const std::string written = networkToYaml(net);
    QVERIFY2(written.find("input_from: 1, add_output_of: 3") != std::string::npos, written.c_str());
    QVERIFY2(written.find("pool: {type: average, kernel: [1, 7], stride: 1}") != std::string::npos,
             written.c_str());
    compareLayers(parseNetworkYaml(written, "again.yaml"), net);
}

void TestWorkload::yamlWriteFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = (dir.path() + "/v2.yaml").toStdString();
    const Network v2 = mobileNetV2();
    writeNetworkYaml(v2, path);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("v2.yaml")});
    compareLayers(readNetworkYaml(path), v2);
    writeNetworkYaml(mobileNetV1(), path); // replaces the file
    compareLayers(readNetworkYaml(path), mobileNetV1());
    QVERIFY_THROWS_EXCEPTION(InputError,
                             writeNetworkYaml(v2, (dir.path() + "/no/such/dir.yaml").toStdString()));
}

void TestWorkload::yamlHandWritten()
{
    const Network net = readNetworkYaml(dataFile("small_net.yaml"));
    QCOMPARE(net.name, std::string("small_net"));
    QCOMPARE(int(net.layers.size()), 7);

    // stem: input [64 high, 48 wide], 3x3/2 pad 1: P = floor((48 + 2 - 3) / 2) + 1 = 24, Q = 32.
    const Layer &stem = net.layers[0];
    QVERIFY(stem.kind == LayerKind::Conv);
    checkShape(stem, {1, 1, 3, 16, 3, 3, 24, 32});
    QCOMPARE(stem.shape.wstride, 2);
    QCOMPARE(stem.shape.hpad, 1);

    QVERIFY(net.layers[1].kind == LayerKind::Depthwise);
    checkShape(net.layers[1], {1, 16, 1, 1, 3, 3, 24, 32});
    QVERIFY(net.layers[2].kind == LayerKind::Pointwise);
    checkShape(net.layers[2], {1, 1, 16, 32, 1, 1, 24, 32});

    // grouped: 32 -> 64 in 4 groups, 3x3 dilation 2 (span 5), stride 2, no padding, on 32:
    // floor((32 - 5) / 2) + 1 = 14; batch 2.
    const Layer &grouped = net.layers[3];
    QVERIFY(grouped.kind == LayerKind::Conv);
    checkShape(grouped, {2, 4, 8, 16, 3, 3, 14, 14});
    QCOMPARE(grouped.shape.wdilation, 2);
    QCOMPARE(grouped.shape.hdilation, 2);

    // A conv with groups = channels is a depthwise layer: 5x5 pad 2 keeps 14.
    QVERIFY(net.layers[4].kind == LayerKind::Depthwise);
    checkShape(net.layers[4], {1, 64, 1, 1, 5, 5, 14, 14});

    // Raw form: unnamed dimensions are 1, type inferred as conv (S = 3).
    const Layer &custom = net.layers[5];
    QVERIFY(custom.kind == LayerKind::Conv);
    checkShape(custom, {1, 1, 64, 10, 1, 3, 14, 7});
    QCOMPARE(custom.shape.hstride, 2);
    QCOMPARE(custom.shape.wstride, 1);
    QCOMPARE(custom.shape.hpad, 1);
    QCOMPARE(custom.shape.wpad, 0);

    QVERIFY(net.layers[6].kind == LayerKind::FullyConnected);
    checkShape(net.layers[6], {1, 1, 640, 10, 1, 1, 1, 1});

    // And the hand-written file survives a write and a read.
    compareLayers(parseNetworkYaml(networkToYaml(net), "again.yaml"), net);
}

// Each bad file: the line of the mistake and the words the message must contain besides file and line.
void TestWorkload::yamlBadFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("line");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("malformed") << "bad_malformed.yaml" << 5 << QStringList{"malformed YAML"};
    QTest::newRow("missing key") << "bad_missing_key.yaml" << 4
                                 << QStringList{"'dw2'", "missing key 'kernel'"};
    QTest::newRow("negative") << "bad_negative.yaml" << 7
                              << QStringList{"'dw2'", "'kernel' must be a positive integer, got -3"};
    QTest::newRow("zero") << "bad_zero.yaml" << 3
                          << QStringList{"'conv1'", "'in_channels' must be a positive integer, got 0"};
    QTest::newRow("unknown type") << "bad_type.yaml" << 4
                                  << QStringList{"'up'", "unknown type 'deconv'", "depthwise"};
    QTest::newRow("unknown key") << "bad_unknown_key.yaml" << 7
                                 << QStringList{"'conv1'", "unknown key 'kernal'", "allowed:", "kernel"};
    QTest::newRow("groups") << "bad_groups.yaml" << 3 << QStringList{"'g'", "'groups' 5", "in_channels 32"};
}

void TestWorkload::yamlBadFiles()
{
    QFETCH(QString, file);
    QFETCH(int, line);
    QFETCH(QStringList, words);
    const std::string path = dataFile(file.toUtf8().constData());
    try {
        readNetworkYaml(path);
        QFAIL("no error");
    } catch (const InputError &e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(!msg.contains('\n'), qPrintable(msg));
        QVERIFY2(msg.startsWith(QString::fromStdString(path) + ":" + QString::number(line) + ": "),
                 qPrintable(msg));
        QCOMPARE(e.line(), line);
        QCOMPARE(e.file(), path);
        for (const QString &w : words)
            QVERIFY2(msg.contains(w), qPrintable(msg + " lacks " + w));
    }
}

void TestWorkload::yamlBadText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("words");
    const QString head = "network: t\nlayers:\n";
    QTest::newRow("no layers") << "network: t\n" << 1 << "missing key 'layers'";
    QTest::newRow("bad activation")
        << head + "  - {name: a, type: fc, in_features: 1, out_features: 2, activation: gelu}\n"
        << 3 << "'activation' must be relu, relu6 or none, got gelu";
    QTest::newRow("residual ahead")
        << head + "  - {name: a, type: fc, in_features: 2, out_features: 2, residual_from: 2}\n"
        << 3 << "'residual_from' must be the number (from 1) of this or an earlier layer";
    QTest::newRow("input ahead")
        << head + "  - {name: a, type: fc, in_features: 2, out_features: 2, input_from: 1}\n"
        << 3 << "'input_from' must be the number (from 1) of an earlier layer, whose output this layer reads";
    QTest::newRow("add of itself")
        << head + "  - {name: a, type: fc, in_features: 2, out_features: 2, add_output_of: 1}\n"
        << 3 << "'add_output_of' must be the number (from 1) of an earlier layer";
    QTest::newRow("pool type")
        << head + "  - {name: a, type: conv, in_channels: 1, out_channels: 1, kernel: 1, input: 4,\n"
                  "     pool: {type: min, kernel: 2}}\n"
        << 4 << "layer 'a' pool: 'type' must be max or average, got min";
    QTest::newRow("pool padding")
        << head + "  - {name: a, type: conv, in_channels: 1, out_channels: 1, kernel: 1, input: 4,\n"
                  "     pool: {type: max, kernel: 3, padding: 2}}\n"
        << 4 << "the padding may be at most half the kernel";
    QTest::newRow("pool key")
        << head + "  - {name: a, type: conv, in_channels: 1, out_channels: 1, kernel: 1, input: 4,\n"
                  "     pool: {type: max, kernel: 3, strides: 2}}\n"
        << 4 << "unknown key 'strides'";
    QTest::newRow("empty layers") << "network: t\nlayers: []\n" << 2 << "non-empty list";
    QTest::newRow("top-level typo") << "network: t\nlayer: []\n" << 2 << "unknown key 'layer'";
    QTest::newRow("no name") << head + "  - {type: fc, in_features: 1, out_features: 2}\n"
                             << 3 << "layer 1: missing key 'name'";
    QTest::newRow("no type") << head + "  - {name: a, in_features: 1, out_features: 2}\n"
                             << 3 << "layer 'a': missing key 'type'";
    QTest::newRow("not a number") << head + "  - {name: a, type: fc, in_features: x1, out_features: 2}\n"
                                  << 3 << "'in_features' must be a positive integer, got x1";
    QTest::newRow("fraction") << head + "  - {name: a, type: fc, in_features: 1.5, out_features: 2}\n"
                              << 3 << "got 1.5";
    QTest::newRow("negative padding") << head + "  - {name: a, type: conv, in_channels: 1, out_channels: 1, "
                                                "kernel: 3, padding: -1, input: 8}\n"
                                      << 3 << "'padding' must be a non-negative integer, got -1";
    QTest::newRow("kernel too big")
        << head + "  - {name: a, type: conv, in_channels: 1, out_channels: 1, kernel: 9, input: [4, 20]}\n"
        << 3 << "layer 'a': kernel 9";
    QTest::newRow("input of three")
        << head + "  - {name: a, type: conv, in_channels: 1, out_channels: 1, kernel: 1, input: [4, 4, 4]}\n"
        << 3 << "'input' must be one size or [height, width]";
    QTest::newRow("pointwise kernel")
        << head + "  - {name: a, type: pointwise, in_channels: 1, out_channels: 1, kernel: 3, input: 4}\n"
        << 3 << "'kernel' 1, got 3";
    QTest::newRow("fc with kernel") << head + "  - {name: a, type: fc, in_features: 1, out_features: 2,\n"
                                              "     kernel: 1}\n"
                                    << 4 << "unknown key 'kernel' for an fc layer";
    QTest::newRow("duplicate name") << head + "  - {name: a, type: fc, in_features: 1, out_features: 2}\n" +
                                           "  - {name: a, type: fc, in_features: 2, out_features: 2}\n"
                                    << 4 << "'a': the name is already used at line 3";
    QTest::newRow("duplicate key") << head + "  - {name: a, type: fc, in_features: 1, in_features: 2}\n"
                                   << 3 << "key 'in_features' appears twice";
    QTest::newRow("raw dimension") << head + "  - {name: a, shape: {C: 4, K: 3}}\n"
                                   << 3 << "unknown dimension 'K'";
    QTest::newRow("raw zero") << head + "  - name: a\n    shape:\n      C: 4\n      P: 0\n"
                              << 6 << "'P' must be a positive integer, got 0";
    QTest::newRow("too large")
        << head + "  - {name: a, shape: {N: 100000000, C: 100000000, M: 100000000, P: 100000000}}\n"
        << 3 << "too large";
    QTest::newRow("tab indentation") << "network: t\nlayers:\n\t- {name: a}\n" << 3 << "malformed YAML";
}

void TestWorkload::yamlBadText()
{
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(QString, words);
    try {
        parseNetworkYaml(text.toStdString(), "inline.yaml");
        QFAIL("no error");
    } catch (const InputError &e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.startsWith("inline.yaml:" + QString::number(line) + ": "), qPrintable(msg));
        QVERIFY2(msg.contains(words), qPrintable(msg));
    }
}

void TestWorkload::yamlUnopenable()
{
    const std::string missing = dataFile("no_such_network.yaml");
    try {
        readNetworkYaml(missing);
        QFAIL("no error");
    } catch (const InputError &e) {
        const QString msg = e.what();
        QVERIFY2(msg.startsWith(QString::fromStdString(missing) + ": cannot open"), qPrintable(msg));
        QCOMPARE(e.line(), 0);
    }
    try {
        readNetworkYaml(kNetworks.toStdString()); // a directory
        QFAIL("no error");
    } catch (const InputError &e) {
        QVERIFY2(QString(e.what()).contains("cannot open"), e.what());
    }
}

void TestWorkload::loadNetworkByNameOrPath()
{
    MobileNetOptions opt;
    opt.resolution = 160;
    const Network v1 = loadNetwork("MobileNet_V1", opt);
    QCOMPARE(v1.layers[0].shape.bound(Dim::P), int64_t(80));
    QCOMPARE(loadNetwork(dataFile("small_net.yaml")).name, std::string("small_net"));
    try {
        loadNetwork("resnet50");
        QFAIL("no error");
    } catch (const InputError &e) {
        QVERIFY2(QString(e.what()).startsWith("resnet50: not a built-in network"), e.what());
    }
}

QTEST_APPLESS_MAIN(TestWorkload)
#include "test_workload.moc"
