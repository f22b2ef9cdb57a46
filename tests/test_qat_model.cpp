// The QAT engine's models and fake quantizers: how many values a quantized tensor can take, the exact
// straight-through and LSQ gradients, BatchNorm folding that leaves a float model unchanged, MobileNets
// built from the cost model's layer lists (shapes and exact weight counts), 16/32 bits as identity, and
// bad bit-widths. Built with QT_NO_KEYWORDS: torch's headers use `slots` as an identifier.
#include "qat/evaluation_data.h"
#include "qat/fake_quant.h"
#include "qat/quant_net.h"
#include "qat/threads.h"
#include "qat/train.h"
#include "workload/mobilenet.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <QtTest>

#include <limits>
#include <stdexcept>

using namespace bitloop;
using namespace bitloop::qat;

namespace
{

int64_t distinctValues(const torch::Tensor &t)
{
    return std::get<0>(torch::_unique(t.detach().flatten())).numel();
}

double maxAbsDiff(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

MobileNetOptions smallOptions(double width)
{
    MobileNetOptions opt;
    opt.smallInput = true;
    opt.widthMultiplier = width;
    opt.inputChannels = 1;
    opt.numClasses = 10;
    opt.resolution = 28;
    return opt;
}

// BatchNorm statistics and affine parameters far from the identity, so that folding has work to do, and
// a classifier scaled so that the logits are of order one (a test on tiny logits would prove little).
void randomizeNet(QuantNet &net)
{
    torch::NoGradGuard noGrad;
    for (int i = 0; i < net.numLayers(); ++i) {
        QuantLayer &l = net.layer(i);
        if (l.isFullyConnected()) {
            l.weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(l.weight.size(1))));
            l.bias.normal_(0.0, 0.1);
            continue;
        }
        l.bn->weight.uniform_(0.5, 1.5);
        l.bn->bias.normal_(0.0, 0.2);
        l.bn->running_mean.normal_(0.0, 0.2);
        l.bn->running_var.uniform_(0.5, 2.0);
    }
}

} // namespace

class TestQatModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        setThreads(2);
        setThreads(2); // a second call must not trip over the inter-op count, settable once per process
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, setThreads(0));
        torch::manual_seed(2024);
    }

    // Weights: per output channel at most 2^b - 1 values (the symmetric range), with max scaling the
    // largest magnitude kept exactly; activations at most 2^b values, all multiples of the step, unsigned
    // ones >= 0.
    void distinctValuesPerBitWidth()
    {
        torch::manual_seed(7);
        const torch::Tensor w = torch::randn({6, 16, 3, 3});
        const torch::Tensor x = torch::randn({4, 8, 12, 12}) * 2.0;
        const torch::Tensor uniform =
            torch::cat({torch::rand({1, 510}) * 2.0 - 1.0, torch::tensor({{-1.0f, 1.0f}})}, 1);
        for (int b = 2; b <= 8; ++b) {
            const QByteArray where = "bits " + QByteArray::number(b);
            const torch::Tensor q = fakeQuantizeWeights(w, b, WeightScale::Max);
            const torch::Tensor qm = fakeQuantizeWeights(w, b, WeightScale::Mse);
            for (int64_t c = 0; c < w.size(0); ++c) {
                QVERIFY2(distinctValues(q[c]) <= (int64_t{1} << b) - 1, where);
                QVERIFY2(distinctValues(qm[c]) <= (int64_t{1} << b) - 1, where);
                QVERIFY2(std::abs(q[c].abs().max().item<double>() - w[c].abs().max().item<double>()) < 1e-6,
                         where);
            }
            // 512 uniform weights spread over [-1, 1] (both ends present) fill every level of the small
            // widths, so the bound above is tight.
            if (b <= 4)
                QVERIFY2(distinctValues(fakeQuantizeWeights(uniform, b, WeightScale::Max)[0]) ==
                             (int64_t{1} << b) - 1,
                         where);

            for (bool isUnsigned : {false, true}) {
                const torch::Tensor in = isUnsigned ? torch::relu(x) : x;
                ActQuantizer aq(isUnsigned, b);
                const torch::Tensor qa = aq.forward(in);
                QVERIFY2(aq.calibrated(), where);
                QVERIFY2(distinctValues(qa) <= (int64_t{1} << b), where);
                const torch::Tensor codes = qa / aq.stepValue();
                QVERIFY2(maxAbsDiff(codes, codes.round()) < 1e-4, where);
                const ActRange r = aq.range();
                QVERIFY2(codes.min().item<double>() >= -static_cast<double>(r.qn) - 1e-4, where);
                QVERIFY2(codes.max().item<double>() <= static_cast<double>(r.qp) + 1e-4, where);
            }
        }
        QCOMPARE(activationRange(4, true).qn, int64_t{0});
        QCOMPARE(activationRange(4, true).qp, int64_t{15});
        QCOMPARE(activationRange(4, false).qn, int64_t{8});
        QCOMPARE(activationRange(4, false).qp, int64_t{7});
    }

    // MSE scaling, by hand: the channel {1.0, 0.4 x 7} at 2 bits (ternary, qp = 1). Max scaling (s = 1)
    // rounds every 0.4 to zero: error 7 * 0.16 = 1.12. Any s <= 0.8 keeps them at s, error (1 - s)^2 +
    // 7 (0.4 - s)^2, least at s = (1 + 7 * 0.4) / 8 = 0.475 = 19/40, a ratio on the grid: error 0.315.
    // Both dtypes (the kernel and the tensor path) choose it.
    void mseScaleByHand()
    {
        for (auto dtype : {torch::kFloat, torch::kDouble}) {
            const torch::Tensor w =
                torch::tensor({1.0, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4}, torch::TensorOptions().dtype(dtype))
                    .view({1, 8});
            const torch::Tensor maxQ = fakeQuantizeWeights(w, 2, WeightScale::Max);
            QVERIFY(torch::equal(
                maxQ, torch::tensor({1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, w.options()).view({1, 8})));
            const torch::Tensor q = fakeQuantizeWeights(w, 2, WeightScale::Mse);
            const double s = 19.0 / 40.0;
            QVERIFY2(maxAbsDiff(q, torch::full({1, 8}, s, w.options())) < 1e-6, torch::toString(dtype));
            QVERIFY(std::abs((q - w).square().sum().item<double>() - 0.315) < 1e-6);
            // At 8 bits the largest weight is not clipped (clipping it costs more than rounding saves) and
            // the error is at most max scaling's.
            const torch::Tensor q8 = fakeQuantizeWeights(w, 8, WeightScale::Mse);
            QVERIFY(q8.max().item<double>() <= 1.0 + 1e-7);
            QVERIFY((q8 - w).square().sum().item<double>() <=
                    (fakeQuantizeWeights(w, 8, WeightScale::Max) - w).square().sum().item<double>() + 1e-12);
        }
    }

    // The full two's-complement range, by hand at 2 bits (qp = 1, qn = 2). {-2, -1, 0, 1}: max-full's
    // scale is max(1 / 1, 2 / 2) = 1 and every weight is a code; the symmetric max scale is 2, and -1, 0
    // and 1 (at -0.5, 0, 0.5 steps, ties to even) round to zero. {-1, 2}: the positive side sets the scale
    // (2 against 1 / 2), so -1 is half a step and rounds to zero: the range is not symmetric.
    void fullRangeByHand()
    {
        for (auto dtype : {torch::kFloat, torch::kDouble}) {
            const auto o = torch::TensorOptions().dtype(dtype);
            const torch::Tensor w = torch::tensor({-2.0, -1.0, 0.0, 1.0}, o).view({1, 4});
            QVERIFY(torch::equal(fakeQuantizeWeights(w, 2, WeightScale::MaxFull), w));
            QVERIFY(torch::equal(fakeQuantizeWeights(w, 2, WeightScale::MseFull), w)); // error 0 at r = 1
            QVERIFY(torch::equal(fakeQuantizeWeights(w, 2, WeightScale::Max),
                                 torch::tensor({-2.0, 0.0, 0.0, 0.0}, o).view({1, 4})));
            const torch::Tensor v = torch::tensor({-1.0, 2.0}, o).view({1, 2});
            QVERIFY(torch::equal(fakeQuantizeWeights(v, 2, WeightScale::MaxFull),
                                 torch::tensor({0.0, 2.0}, o).view({1, 2})));
        }
        // A channel spread over [-qn, qp] steps fills all 2^b codes (the symmetric range: 2^b - 1), and
        // every value is an integer code in [-qn, qp] times the channel's scale.
        torch::manual_seed(3);
        for (int b = 2; b <= 4; ++b) {
            const double qp = (1 << (b - 1)) - 1, qn = qp + 1;
            const torch::Tensor w = torch::cat(
                {torch::rand({1, 1022}) * (qn + qp) - qn, torch::tensor({{-qn, qp}}).to(torch::kFloat)}, 1);
            for (WeightScale mode : {WeightScale::MaxFull, WeightScale::MseFull}) {
                const QByteArray where = QByteArray(weightScaleName(mode)) + " bits " + QByteArray::number(b);
                const torch::Tensor q = fakeQuantizeWeights(w, b, mode);
                if (mode == WeightScale::MaxFull) {
                    QVERIFY2(distinctValues(q[0]) == int64_t{1} << b, where);
                    QVERIFY2(maxAbsDiff(q, q.round()) < 1e-6, where); // scale 1: the codes themselves
                }
                const double scale = q.max().item<double>() / qp;
                const torch::Tensor codes = q / scale;
                QVERIFY2(maxAbsDiff(codes, codes.round()) < 1e-4, where);
                QVERIFY2(codes.min().item<double>() >= -qn - 1e-4, where);
                QVERIFY2(distinctValues(fakeQuantizeWeights(w, b, WeightScale::Max)[0]) < int64_t{1} << b,
                         where);
            }
        }
        // On Gaussian weights the extra level lowers the 2-bit error clearly (measured: about a quarter).
        torch::manual_seed(5);
        const torch::Tensor g = torch::randn({16, 64, 3, 3});
        const double eMse = (fakeQuantizeWeights(g, 2, WeightScale::Mse) - g).square().sum().item<double>();
        const double eFull =
            (fakeQuantizeWeights(g, 2, WeightScale::MseFull) - g).square().sum().item<double>();
        qInfo("2-bit squared error on Gaussian weights: mse-full %g, mse %g", eFull, eMse);
        QVERIFY2(eFull < 0.9 * eMse, qPrintable(QString("%1 %2").arg(eFull).arg(eMse)));
        QCOMPARE(parseWeightScale("max-full"), WeightScale::MaxFull);
        QCOMPARE(std::string(weightScaleName(parseWeightScale("mse-full"))), std::string("mse-full"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseWeightScale("full"));
    }

    // On Gaussian weights every channel's MSE-scaled error is at most max scaling's (r = 1 is a candidate),
    // and at 2-4 bits clearly lower in total: what makes low-bit networks trainable (docs/benchmarks.md §7).
    void mseScaleNeverWorseThanMax()
    {
        torch::manual_seed(5);
        const torch::Tensor w = torch::randn({16, 64, 3, 3});
        for (int b = 2; b <= 8; ++b) {
            const torch::Tensor eMax =
                (fakeQuantizeWeights(w, b, WeightScale::Max) - w).square().flatten(1).sum(1);
            const torch::Tensor eMse =
                (fakeQuantizeWeights(w, b, WeightScale::Mse) - w).square().flatten(1).sum(1);
            QVERIFY2(eMse.le(eMax * (1 + 1e-5)).all().item<bool>(), QByteArray::number(b));
            if (b <= 4)
                QVERIFY2(eMse.sum().item<double>() < 0.8 * eMax.sum().item<double>(), QByteArray::number(b));
        }
        QCOMPARE(parseWeightScale("max"), WeightScale::Max);
        QCOMPARE(std::string(weightScaleName(parseWeightScale("mse"))), std::string("mse"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseWeightScale("minmax"));
        // The activation rule's names, one spelling for the CLI and the supernet file.
        QCOMPARE(parseActivationScale("mse"), true);
        QCOMPARE(parseActivationScale("auto"), false);
        QCOMPARE(std::string(activationScaleName(parseActivationScale("auto"))), std::string("auto"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseActivationScale("MSE"));
    }

    // The input's gradient is the upstream gradient inside the range and exactly 0 outside; the weights'
    // gradient is passed unchanged.
    void straightThroughGradients()
    {
        torch::manual_seed(11);
        const torch::Tensor x = (torch::randn({3, 5, 7, 7}) * 3.0).requires_grad_(true);
        const torch::Tensor upstream = torch::randn({3, 5, 7, 7});
        ActQuantizer aq(false, 3);
        aq.setStep(0.4);
        (aq.forward(x) * upstream).sum().backward();
        const torch::Tensor xs = x.detach() / 0.4;
        const ActRange r = aq.range();
        const torch::Tensor inside =
            xs.ge(-static_cast<double>(r.qn)).logical_and(xs.le(static_cast<double>(r.qp)));
        QVERIFY(inside.any().item<bool>() && inside.logical_not().any().item<bool>());
        QVERIFY(torch::equal(x.grad(), torch::where(inside, upstream, torch::zeros_like(upstream))));

        const torch::Tensor w = torch::randn({4, 3, 3, 3}).requires_grad_(true);
        (fakeQuantizeWeights(w, 3) * upstream.flatten().narrow(0, 0, 108).view({4, 3, 3, 3}))
            .sum()
            .backward();
        QVERIFY(torch::equal(w.grad(), upstream.flatten().narrow(0, 0, 108).view({4, 3, 3, 3})));
    }

    // Signed 2 bits: codes -2..1 (qn = 2, qp = 1), step s = 0.5, so the range is [-1.0, 0.5].
    //   x       = -1.7   -0.4   0.35   0.9
    //   x/s     = -3.4   -0.8   0.7    1.8
    //   q       = -1.0   -0.5   0.5    0.5      (codes -2, -1, 1, 1)
    //   dq/dx   =  0      1     1      0
    //   dq/ds   = -qn = -2   round(-0.8)+0.8 = -0.2   round(0.7)-0.7 = 0.3   qp = 1     sum = -0.9
    //   g = 1/sqrt(numel * qp) = 1/sqrt(4) = 0.5, so dL/ds = -0.45 for L = sum(q).
    void lsqStepGradientByHand()
    {
        const torch::Tensor x = torch::tensor({-1.7f, -0.4f, 0.35f, 0.9f}).requires_grad_(true);
        const torch::Tensor step = torch::full({1}, 0.5f).requires_grad_(true);
        const ActRange r = activationRange(2, false);
        QCOMPARE(lsqGradScale(4, r.qp), 0.5);
        const torch::Tensor q = lsqFakeQuantize(x, step, r, lsqGradScale(4, r.qp));
        QVERIFY(torch::equal(q, torch::tensor({-1.0f, -0.5f, 0.5f, 0.5f})));
        q.sum().backward();
        QVERIFY(torch::equal(x.grad(), torch::tensor({0.0f, 1.0f, 1.0f, 0.0f})));
        QVERIFY2(std::abs(step.grad().item<double>() - (-0.45)) < 1e-6,
                 QByteArray::number(step.grad().item<double>()));
    }

    // BatchNorm re-estimated over a set of images gives each layer the statistics of the inputs it sees in
    // eval mode: the net in eval mode afterwards computes what training mode computes on all the images as
    // one batch (each layer normalized by that batch's own statistics), float and at 4 bits, folded as the
    // supernet runs it. A half's own batch statistics are not the set's (what batch-by-batch re-estimation
    // normalized by). The order of the images does not matter; the net is left in eval mode with the
    // momentum back.
    void batchNormReestimatedOverTheImages()
    {
        torch::manual_seed(5);
        Network network = mobileNetV1(smallOptions(0.25));
        network.layers.resize(4);
        QuantNet net(network);
        randomizeNet(net);
        net.setBits(std::vector<std::pair<int, int>>(4, {4, 4}));
        ImageDataset data;
        data.source = "random images";
        data.count = 128;
        data.channels = 1;
        data.height = data.width = 28;
        data.numClasses = 10;
        const torch::Tensor pixels = torch::randint(0, 256, {128 * 28 * 28}, torch::kInt64);
        for (int64_t i = 0; i < pixels.numel(); ++i)
            data.pixels.push_back(static_cast<uint8_t>(pixels[i].item<int64_t>()));
        data.labels.assign(128, 0);
        const Normalization norm{{0.286}, {0.353}};
        std::vector<int64_t> first, all;
        for (int64_t i = 0; i < 128; ++i) {
            if (i < 64)
                first.push_back(i);
            all.push_back(i);
        }
        {
            torch::NoGradGuard noGrad;
            net.eval();
            net.startCalibration(Calibration::Max);
            BatchLoader loader(data, all, norm, 64);
            loader.startEpoch();
            Batch batch;
            while (loader.next(batch))
                net.forward(batch.images);
            net.stopCalibration();
        }
        const auto images = [&](const std::vector<int64_t> &idx) {
            BatchLoader loader(data, idx, norm, static_cast<int>(idx.size()));
            loader.startEpoch();
            Batch batch;
            loader.next(batch);
            return batch.images;
        };
        torch::NoGradGuard noGrad;
        for (const bool quantize : {false, true}) {
            net.quantize = quantize;
            reestimateBatchNorm(net, data, all, norm);
            QVERIFY(!net.is_training());
            QCOMPARE(*net.layer(0).bn->options.momentum(), 0.1);
            const torch::Tensor evalOut = net.forward(images(all));
            std::vector<torch::Tensor> stats;
            for (int i = 0; i < net.numLayers(); ++i) {
                auto &bn = net.layer(i).bn;
                stats.push_back(bn->running_mean.clone());
                stats.push_back(bn->running_var.clone());
                bn->options.momentum(0.0); // training mode below leaves the running statistics alone
            }
            net.train();
            const torch::Tensor trainOut = net.forward(images(all));
            const torch::Tensor halfOut = net.forward(images(first));
            net.eval();
            for (int i = 0; i < net.numLayers(); ++i)
                net.layer(i).bn->options.momentum(0.1);
            const torch::Tensor evalHalf = net.forward(images(first));
            const double scale = evalOut.abs().max().item<double>();
            // Up to the variance's n/(n-1) (n = images x pixels per channel) and rounding: a few 1e-5 of
            // the output's range in float; at 4 bits a value that close to a rounding threshold may step.
            const double agree =
                (evalOut - trainOut).abs().le(1e-4 * scale).to(torch::kDouble).mean().item<double>();
            QVERIFY2(agree >= (quantize ? 0.99 : 1.0), qPrintable(QString("quantized %1: %2 of the outputs "
                                                                          "agree")
                                                                      .arg(quantize)
                                                                      .arg(agree)));
            // What a half's own batch statistics give stands visibly apart (a relative error 50 times
            // the set's own), so the agreement above is not a tolerance that anything passes.
            const auto relative = [](const torch::Tensor &x, const torch::Tensor &ref) {
                return ((x - ref).norm() / ref.norm()).item<double>();
            };
            const double own = relative(evalOut, trainOut), half = relative(evalHalf, halfOut);
            QVERIFY2(half > 50 * own && half > 1e-3,
                     qPrintable(QString("quantized %1: relative error %2 with a half's own statistics, %3 "
                                        "with the set's")
                                    .arg(quantize)
                                    .arg(half)
                                    .arg(own)));
            std::vector<int64_t> reversed(all.rbegin(), all.rend());
            reestimateBatchNorm(net, data, reversed, norm);
            for (size_t k = 0; k < stats.size(); ++k) {
                const torch::Tensor &again = k % 2 ? net.layer(static_cast<int>(k / 2)).bn->running_var
                                                   : net.layer(static_cast<int>(k / 2)).bn->running_mean;
                QVERIFY2(torch::allclose(again, stats[k], 1e-4, 1e-6),
                         qPrintable(QString("statistic %1 moved with the order: %2")
                                        .arg(k)
                                        .arg(maxAbsDiff(again, stats[k]))));
            }
        }
    }

    // The image quantized as pixels: with every other layer float, the network at b image bits computes
    // exactly the float network on the image whose pixels / 255 are rounded to the grid k / (2^b - 1):
    // at 8 bits that is the image itself (lossless), at 2 bits the four grey levels 0, 1/3, 2/3, 1.
    // Quantized as signed normalized values instead (the old way), 8 bits is not lossless. The network is
    // MobileNetV1's first two layers (a deep random network's output hardly depends on its input).
    void imageQuantizedAsPixels()
    {
        torch::manual_seed(3);
        Network network = mobileNetV1(smallOptions(0.25));
        network.layers.resize(2);
        QuantNet net(network);
        randomizeNet(net);
        net.eval();
        const double mean = 0.286, sd = 0.353;
        const torch::Tensor pixels = torch::randint(0, 256, {4, 1, 28, 28}).to(torch::kFloat) / 255.0;
        const torch::Tensor image = (pixels - mean) / sd;
        torch::NoGradGuard noGrad;
        net.quantize = false;
        const torch::Tensor floatLogits = net.forward(image);
        QVERIFY(floatLogits.std(0).mean().item<double>() > 0.01); // it depends on the image
        net.quantize = true;
        std::vector<std::pair<int, int>> bits(static_cast<size_t>(net.numLayers()), {32, 32});
        bits[0] = {32, 8};
        net.setBits(bits);
        const double signedError = maxAbsDiff(net.forward(image), floatLogits);
        QVERIFY2(signedError > 1e-3, QByteArray::number(signedError));

        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net.setImageNormalization({mean, 0.1}, {sd, 0.2}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net.setImageNormalization({mean}, {0.0}));
        net.setImageNormalization({mean}, {sd});
        QVERIFY(net.quantizesPixels());
        const double pixelError = maxAbsDiff(net.forward(image), floatLogits);
        QVERIFY2(pixelError < 1e-4, QByteArray::number(pixelError));
        QVERIFY(std::abs(net.layer(0).inputQuant->stepValue() - 1.0 / 255.0) < 1e-7);

        bits[0] = {32, 2};
        net.setBits(bits);
        const torch::Tensor quantized = net.forward(image);
        QVERIFY(std::abs(net.layer(0).inputQuant->stepValue() - 1.0 / 3.0) < 1e-7);
        net.quantize = false;
        const torch::Tensor byHand = net.forward(((pixels * 3.0).round() / 3.0 - mean) / sd);
        QVERIFY2(maxAbsDiff(quantized, byHand) < 1e-4, QByteArray::number(maxAbsDiff(quantized, byHand)));
        QVERIFY(maxAbsDiff(quantized, floatLogits) > 1e-3);
    }

    void calibration()
    {
        const torch::Tensor x = torch::tensor({0.0f, 1.0f, 2.0f, 5.0f}).view({1, 4});
        ActQuantizer aq(true, 4); // qp = 15
        aq.startCalibration(Calibration::Max);
        aq.forward(x);
        aq.forward(x * 0.5);
        aq.stopCalibration();
        QVERIFY(std::abs(aq.stepValue() - 5.0 / 15.0) < 1e-6);
        aq.startCalibration(Calibration::LsqMean); // mean|x| = 2, then 1: averaged 1.5
        aq.forward(x);
        aq.forward(x * 0.5);
        aq.stopCalibration();
        QVERIFY(std::abs(aq.stepValue() - 2.0 * 1.5 / std::sqrt(15.0)) < 1e-6);
        // A step calibrated for 4 bits is not used for 6: the first batch recalibrates it.
        aq.setBits(6);
        QVERIFY(!aq.calibrated());
        aq.forward(x);
        QVERIFY(aq.calibrated());
        QVERIFY(std::abs(aq.stepValue() - 2.0 * 2.0 / std::sqrt(63.0)) < 1e-6);
    }

    // Calibration::Mse by hand, 2-bit unsigned (codes 0..3), the steps tried r * max / 3, r = k / 100:
    // - 0, 1, 2, 3: k = 100 gives step 1 and no error at all; every other step errs.
    // - a hundred 1s and one 12: error(s) = 100 (s - 1)^2 + (12 - 3 s)^2 while 1 rounds to code 1 and 12
    //   clips, least at s = 272 / 218 = 1.248; of the steps tried, 1.24 (k = 31: 5.76 + 68.56 = 74.32) beats
    //   1.28 (k = 32: 74.43), and max / 3 = 4 (k = 100, nothing clips) errs 100 (every 1 rounds to 0).
    void mseActivationStepByHand()
    {
        ActQuantizer exact(true, 2);
        exact.startCalibration(Calibration::Mse);
        exact.forward(torch::tensor({0.0f, 1.0f, 2.0f, 3.0f}).view({1, 4}));
        exact.stopCalibration();
        QCOMPARE(exact.stepValue(), 1.0);

        std::vector<float> ones(100, 1.0f);
        ones.push_back(12.0f);
        const torch::Tensor x = torch::tensor(ones).view({1, -1});
        ActQuantizer clips(true, 2);
        clips.startCalibration(Calibration::Mse);
        clips.forward(x);
        clips.stopCalibration();
        QVERIFY2(std::abs(clips.stepValue() - 1.24) < 1e-6, QByteArray::number(clips.stepValue()));
        QVERIFY(std::abs(mseStep(ones.data(), 101, 12.0, activationRange(2, true)) - 1.24) < 1e-6);
        // The samples of every calibration batch count: with a second batch of 12s only, the larger
        // steps win back (max / 3 = 4 codes 12 exactly and rounds the 1s to 0).
        clips.startCalibration(Calibration::Mse);
        clips.forward(x);
        clips.forward(torch::full({1, 101}, 12.0f));
        clips.stopCalibration();
        QVERIFY2(std::abs(clips.stepValue() - 4.0) < 1e-6, QByteArray::number(clips.stepValue()));
    }

    // Eval mode, float: conv -> BN equals the conv with folded weights and bias, both on the fly and after
    // foldBatchNorm(); training mode (batch statistics) agrees too.
    void bnFoldingKeepsFloatOutputs_data()
    {
        QTest::addColumn<int>("version");
        QTest::newRow("v1") << 1;
        QTest::newRow("v2") << 2;
    }
    void bnFoldingKeepsFloatOutputs()
    {
        QFETCH(int, version);
        torch::manual_seed(3);
        const Network network =
            version == 1 ? mobileNetV1(smallOptions(0.25)) : mobileNetV2(smallOptions(0.25));
        QuantNet net(network);
        randomizeNet(net);
        net.eval();
        net.quantize = false;
        const torch::Tensor x = torch::randn({2, 1, 28, 28});
        torch::NoGradGuard noGrad;
        net.foldBn = false;
        const torch::Tensor reference = net.forward(x);
        QVERIFY(reference.abs().max().item<double>() > 0.1);
        net.foldBn = true;
        QVERIFY2(maxAbsDiff(net.forward(x), reference) < 1e-5,
                 QByteArray::number(maxAbsDiff(net.forward(x), reference)));
        net.foldBatchNorm();
        QVERIFY(maxAbsDiff(net.forward(x), reference) < 1e-5);
        net.foldBn = false;
        QVERIFY(maxAbsDiff(net.forward(x), reference) < 1e-5);

        QuantNet trained(network);
        randomizeNet(trained);
        trained.train();
        trained.quantize = false;
        trained.foldBn = false;
        const torch::Tensor batchReference = trained.forward(x);
        trained.foldBn = true;
        QVERIFY2(maxAbsDiff(trained.forward(x), batchReference) < 1e-4,
                 QByteArray::number(maxAbsDiff(trained.forward(x), batchReference)));
    }

    // The quantizer of a ReLU6's output, given the activation's input, reads exactly as the activation then
    // the quantizer: below 0, at 0, a tie between codes, at and over the cap, in the vector body and the
    // tail.
    void rectifiedQuantizerByHand()
    {
        ActQuantizer aq(/*isUnsigned=*/true, 3); // codes 0..7
        aq.setStep(0.5);
        const torch::Tensor x = torch::tensor({-2.0f, -0.1f, 0.0f, 0.25f, 0.75f, 1.3f, 3.4f, 6.0f, 9.0f});
        const torch::Tensor expected = torch::tensor({0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.5f, 3.5f, 3.5f, 3.5f});
        QVERIFY(!aq.canRectify(x)); // gradients on: the activation's gradient is not the quantizer's
        torch::NoGradGuard noGrad;
        QVERIFY(aq.canRectify(x));
        QVERIFY(torch::equal(aq.forward(torch::hardtanh(x, 0.0, 6.0)), expected));
        QVERIFY(torch::equal(aq.forwardRectified(x, 6.0), expected));
        aq.setBits(8);              // codes 0..255 at step 0.5: the cap of 6 binds
        QVERIFY(!aq.canRectify(x)); // 8 bits were never calibrated
        aq.setStep(0.5);
        QVERIFY(torch::equal(aq.forwardRectified(x, 6.0),
                             torch::tensor({0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.5f, 3.5f, 6.0f, 6.0f})));
        QVERIFY(torch::equal(aq.forwardRectified(x, std::numeric_limits<double>::infinity()),
                             torch::tensor({0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.5f, 3.5f, 6.0f, 9.0f})));
        ActQuantizer sign(/*isUnsigned=*/false, 3);
        sign.setStep(0.5);
        QVERIFY(!sign.canRectify(x));
        QVERIFY_EXCEPTION_THROWN(sign.forwardRectified(x, 6.0), std::logic_error);
    }

    // Without gradients the net leaves each ReLU / ReLU6 to the next layer's quantizer; its outputs must be
    // those of the activation-then-quantizer path (taken with gradients on), bit for bit, at mixed widths,
    // with BatchNorm folded (eval) and on batch statistics (train, as the supernet re-estimates it).
    void foldedActivationsAreExact_data()
    {
        QTest::addColumn<int>("version");
        QTest::addColumn<bool>("training");
        QTest::newRow("v1 eval") << 1 << false;
        QTest::newRow("v1 train") << 1 << true;
        QTest::newRow("v2 eval") << 2 << false;
        QTest::newRow("v2 train") << 2 << true;
    }
    void foldedActivationsAreExact()
    {
        QFETCH(int, version);
        QFETCH(bool, training);
        torch::manual_seed(11);
        QuantNet net(version == 1 ? mobileNetV1(smallOptions(0.25)) : mobileNetV2(smallOptions(0.25)));
        randomizeNet(net);
        std::vector<std::pair<int, int>> bits;
        for (int i = 0; i < net.numLayers(); ++i)
            bits.emplace_back(2 + (i * 3) % 7, 2 + (i * 5) % 7);
        net.setBits(bits);
        const torch::Tensor x = torch::rand({8, 1, 28, 28});
        net.eval();
        {
            torch::NoGradGuard noGrad;
            net.startCalibration(Calibration::LsqMean);
            net.forward(x);
            net.stopCalibration();
        }
        net.train(training);
        std::vector<torch::Tensor> before;
        for (const auto &b : net.buffers())
            before.push_back(b.clone());
        const torch::Tensor reference = net.forward(x).detach();
        {
            torch::NoGradGuard noGrad;
            size_t k = 0;
            for (auto &b : net.buffers())
                b.copy_(before[k++]);
            QVERIFY(torch::equal(net.forward(x), reference));
        }
        QVERIFY(reference.abs().max().item<double>() > 0.1);
    }

    // Layer i of the model is layer i of the cost model's list: same count, the weights' shapes and the
    // exact weight total (the classifier's bias, which the cost model does not count, apart).
    void mobileNetsFromLayerLists_data()
    {
        QTest::addColumn<int>("version");
        QTest::addColumn<double>("width");
        QTest::newRow("v1 x0.25") << 1 << 0.25;
        QTest::newRow("v1 x0.5") << 1 << 0.5;
        QTest::newRow("v2 x0.25") << 2 << 0.25;
        QTest::newRow("v2 x0.5") << 2 << 0.5;
    }
    void mobileNetsFromLayerLists()
    {
        QFETCH(int, version);
        QFETCH(double, width);
        const Network network =
            version == 1 ? mobileNetV1(smallOptions(width)) : mobileNetV2(smallOptions(width));
        QuantNet net(network);
        QCOMPARE(net.numLayers(), static_cast<int>(network.layers.size()));
        int64_t weights = 0;
        for (int i = 0; i < net.numLayers(); ++i) {
            const Layer &layer = network.layers[static_cast<size_t>(i)];
            const QuantLayer &q = net.layer(i);
            QCOMPARE(q.weight.numel(), layer.weightCount());
            QCOMPARE(q.weight.size(0), layer.outputChannels());
            QCOMPARE(q.residualFrom(), layer.residualFrom);
            QVERIFY(q.activation() == layer.activation);
            weights += q.weight.numel();
        }
        QCOMPARE(weights, network.totalWeights());
        QVERIFY(net.layer(net.numLayers() - 1).isFullyConnected());
        QCOMPARE(net.layer(net.numLayers() - 1).bias.numel(), int64_t{10});
        // Signed inputs exactly where no ReLU precedes: the image and what follows a linear bottleneck.
        for (int i = 0; i < net.numLayers(); ++i)
            QCOMPARE(net.layer(i).inputQuant->isUnsigned(),
                     i > 0 && network.layers[static_cast<size_t>(i - 1)].activation != Activation::None);

        const torch::Tensor x = torch::randn({3, 1, 28, 28});
        net.eval();
        {
            torch::NoGradGuard noGrad;
            const torch::Tensor y = net.forward(x);
            QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{3, 10}));
        }
        // One QAT step at 4/4 bits: the output shape holds, and gradients reach the weights, the
        // BatchNorm scales and every activation step.
        net.train();
        net.setBits(std::vector<std::pair<int, int>>(static_cast<size_t>(net.numLayers()), {4, 4}));
        const torch::Tensor y = net.forward(x);
        QCOMPARE(y.sizes().vec(), (std::vector<int64_t>{3, 10}));
        QVERIFY(torch::isfinite(y).all().item<bool>());
        y.pow(2).mean().backward();
        for (int i = 0; i < net.numLayers(); ++i) {
            const QuantLayer &q = net.layer(i);
            const QByteArray where = QByteArray::fromStdString(network.layers[static_cast<size_t>(i)].name);
            QVERIFY2(q.weight.grad().defined() && q.weight.grad().abs().sum().item<double>() > 0, where);
            QVERIFY2(q.inputQuant->step.grad().defined(), where);
            if (!q.isFullyConnected())
                QVERIFY2(q.bn->weight.grad().defined(), where);
        }
    }

    // 16 and 32 bits are the float model, bit for bit.
    void wideBitsAreIdentity()
    {
        torch::manual_seed(5);
        const torch::Tensor w = torch::randn({4, 3, 3, 3});
        const torch::Tensor x = torch::randn({2, 3, 5, 5});
        for (int b : {16, 32}) {
            QVERIFY(torch::equal(fakeQuantizeWeights(w, b), w));
            for (bool isUnsigned : {false, true}) {
                ActQuantizer aq(isUnsigned, b);
                QVERIFY(torch::equal(aq.forward(x), x));
            }
        }
        QuantNet net(mobileNetV2(smallOptions(0.25)));
        net.eval();
        torch::NoGradGuard noGrad;
        const torch::Tensor in = torch::randn({2, 1, 28, 28});
        net.quantize = false;
        const torch::Tensor reference = net.forward(in);
        net.quantize = true;
        std::vector<std::pair<int, int>> bits;
        for (int i = 0; i < net.numLayers(); ++i)
            bits.emplace_back(i % 2 ? 16 : 32, i % 3 ? 32 : 16);
        net.setBits(bits);
        QVERIFY(torch::equal(net.forward(in), reference));
        net.setBits(std::vector<std::pair<int, int>>(static_cast<size_t>(net.numLayers()), {8, 8}));
        QVERIFY(!torch::equal(net.forward(in), reference));
    }

    void badBitWidths()
    {
        QuantNet net(mobileNetV1(smallOptions(0.25)));
        const size_t n = static_cast<size_t>(net.numLayers());
        const auto before = net.bits();
        for (int bad : {1, 9, 0, 12, 64}) {
            std::vector<std::pair<int, int>> bits(n, {8, 8});
            bits[3].first = bad;
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net.setBits(bits));
            bits[3] = {8, bad};
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net.setBits(bits));
        }
        QVERIFY(net.bits() == before); // a rejected configuration changes nothing
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 net.setBits(std::vector<std::pair<int, int>>(n - 1, {8, 8})));
        try {
            std::vector<std::pair<int, int>> bits(n, {8, 8});
            bits[3].second = 9;
            net.setBits(bits);
            QFAIL("expected an exception");
        } catch (const std::invalid_argument &e) {
            const QString msg = QString::fromStdString(e.what());
            QVERIFY2(msg.contains("layer 4") && msg.contains("activation bits") && msg.contains("9"),
                     e.what());
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fakeQuantizeWeights(torch::ones({2, 2}), 1));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ActQuantizer(true, 9));
        // An input with the wrong channel count is named, not a crash inside torch.
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, net.forward(torch::zeros({1, 3, 28, 28})));
    }

    void layerListsThatDoNotChain()
    {
        Network net = mobileNetV1(smallOptions(0.25));
        net.layers[2].shape.bound(Dim::C) += 1; // pw1 no longer takes dw1's outputs
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, QuantNet{net});
        Network v2 = mobileNetV2(smallOptions(0.25));
        v2.layers[5].residualFrom = 0; // the image's channels cannot be added to 16 outputs
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, QuantNet{v2});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, QuantNet{Network{}});
        // Graphs: a layer reading another layer's output needs its channels; an added output too.
        Network g = mobileNetV1(smallOptions(0.25));
        g.layers[3].inputFrom = 0; // dw2 (16 channels at 0.25) cannot read conv1's 8 outputs
        try {
            QuantNet{g};
            QFAIL("a graph whose channels do not meet was built");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QString(e.what()).contains("layer 4") && QString(e.what()).contains("layer 1"),
                     e.what());
        }
        g = mobileNetV1(smallOptions(0.25));
        g.layers[4].addOutputOf = 0; // pw2's 32 outputs plus conv1's 8
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, QuantNet{g});
        g = mobileNetV1(smallOptions(0.25));
        g.layers[4].addOutputOf = 4; // its own output: not an earlier layer's
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, QuantNet{g});
        g = mobileNetV1(smallOptions(0.25));
        g.chainNote = "node 'x' adds a constant";
        try {
            QuantNet{g};
            QFAIL("a network with a chain note was built");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QString(e.what()).contains("node 'x' adds a constant"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestQatModel)
#include "test_qat_model.moc"
