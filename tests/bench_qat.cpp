// Throughput of the QAT engine (docs/benchmarks.md, "figures to measure" of issue 4): samples/s of one
// float training step and of one QAT step at uniform 8/8 (forward, cross-entropy, backward, SGD step) on
// MobileNetV1 and MobileNetV2 in their small-input form (28 x 28 x 1, 10 classes), at the batch sizes and
// thread counts asked for, and the time one candidate costs with each accuracy evaluator (ptq,
// qat-short, qat) opened on a quickly trained Fashion-MNIST checkpoint. A program that prints figures,
// not a test. tests/bench_qat_pytorch.py measures the same steps in PyTorch for the comparison.
//
//   bench_qat [--threads 1,2] [--batch 64,32] [--steps 20] [--warmup 3] [--networks v1,v2]
//             [--v1-width 0.25] [--v2-width 0.35] [--no-steps] [--kernels] [--profile]
//             [--profile-steps 5] [--evaluators] [--eval-networks v1] [--eval-threads 2]
//             [--dataset fashion-mnist] [--checkpoint-dir /tmp] [--qat-train-images 3200]
//             [--baseline-images 2048] [--baseline-epochs 1] [--flush-denormal]
//
// --kernels times the fake quantizers alone against the plain tensor expressions they implement (and
// checks that they agree); --profile prints the self time per operator of a float and a QAT step.
// Step figures use one fixed random batch (the data loader is not what is measured); the evaluator
// figures use the real dataset through openEvaluator, exactly as `bitloop-cli accuracy` does.
#include "accuracy/evaluator.h"
#include "op_profile.h"
#include "qat/data/datasets.h"
#include "qat/quant_net.h"
#include "qat/session.h"
#include "qat/threads.h"
#include "qat/train.h"
#include "workload/mobilenet.h"

#include <ATen/Context.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <time.h>

using namespace bitloop;
using namespace bitloop::qat;

namespace
{

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU time of the whole process (every thread). At one thread it is what the work takes on a core of its
// own, however busy the machine is; at more threads it counts OpenMP's spinning too.
double cpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Options {
    std::vector<int> threads{1, 2};
    std::vector<int> batches{64, 32};
    int steps = 20;
    int warmup = 3;
    std::vector<std::string> networks{"v1", "v2"};
    double v1Width = 0.25, v2Width = 0.35;
    bool stepFigures = true;
    bool kernels = false;
    bool profile = false;
    int profileSteps = 5;
    bool evaluators = false;
    std::vector<std::string> evalNetworks{"v1"};
    int evalThreads = 2;
    std::string dataset = "fashion-mnist";
    std::string checkpointDir = "/tmp";
    int64_t qatTrainImages = 3200;
    int64_t baselineImages = 2048;
    int baselineEpochs = 1;
    bool flushDenormal = false;
};

template <typename T> std::vector<T> parseList(const std::string &text, T (*convert)(const std::string &))
{
    std::vector<T> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        if (!item.empty())
            out.push_back(convert(item));
    if (out.empty())
        throw std::invalid_argument("empty list '" + text + "'");
    return out;
}

int toInt(const std::string &s)
{
    return std::stoi(s);
}
std::string toString(const std::string &s)
{
    return s;
}

Options parseArgs(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--threads")
            o.threads = parseList<int>(value(), toInt);
        else if (a == "--batch")
            o.batches = parseList<int>(value(), toInt);
        else if (a == "--steps")
            o.steps = std::stoi(value());
        else if (a == "--warmup")
            o.warmup = std::stoi(value());
        else if (a == "--networks")
            o.networks = parseList<std::string>(value(), toString);
        else if (a == "--v1-width")
            o.v1Width = std::stod(value());
        else if (a == "--v2-width")
            o.v2Width = std::stod(value());
        else if (a == "--no-steps")
            o.stepFigures = false;
        else if (a == "--kernels")
            o.kernels = true;
        else if (a == "--profile")
            o.profile = true;
        else if (a == "--profile-steps")
            o.profileSteps = std::stoi(value());
        else if (a == "--evaluators")
            o.evaluators = true;
        else if (a == "--eval-networks")
            o.evalNetworks = parseList<std::string>(value(), toString);
        else if (a == "--eval-threads")
            o.evalThreads = std::stoi(value());
        else if (a == "--dataset")
            o.dataset = value();
        else if (a == "--checkpoint-dir")
            o.checkpointDir = value();
        else if (a == "--baseline-images")
            o.baselineImages = std::stoll(value());
        else if (a == "--baseline-epochs")
            o.baselineEpochs = std::stoi(value());
        else if (a == "--flush-denormal")
            o.flushDenormal = true;
        else if (a == "--qat-train-images")
            o.qatTrainImages = std::stoll(value());
        else if (a == "--help" || a == "-h") {
            std::printf("see the comment at the top of tests/bench_qat.cpp\n");
            std::exit(0);
        } else
            throw std::invalid_argument("unknown option " + a);
    }
    if (o.steps < 1 || o.warmup < 0 || o.profileSteps < 1 || o.evalThreads < 1 || o.qatTrainImages < 64 ||
        o.baselineImages < 64 || o.baselineEpochs < 1)
        throw std::invalid_argument(
            "--steps, --profile-steps, --eval-threads, --baseline-epochs must be >= 1, "
            "--warmup >= 0, --qat-train-images and --baseline-images >= 64");
    return o;
}

MobileNetOptions smallInput(double width)
{
    MobileNetOptions m;
    m.widthMultiplier = width;
    m.resolution = 28;
    m.inputChannels = 1;
    m.numClasses = 10;
    m.smallInput = true;
    return m;
}

Network networkNamed(const std::string &name, const Options &o)
{
    if (name == "v1")
        return mobileNetV1(smallInput(o.v1Width));
    if (name == "v2")
        return mobileNetV2(smallInput(o.v2Width));
    throw std::invalid_argument("unknown network '" + name + "' (v1, v2)");
}

std::string label(const std::string &name, const Options &o)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "MobileNet%s x%.2f", name == "v1" ? "V1" : "V2",
                  name == "v1" ? o.v1Width : o.v2Width);
    return buf;
}

// The optimizer trainFloat builds: SGD with momentum, weight decay on conv / fc weights only.
std::unique_ptr<torch::optim::SGD> makeSgd(QuantNet &net)
{
    std::vector<torch::Tensor> decayed, undecayed;
    for (const auto &p : net.parameters())
        (p.dim() > 1 ? decayed : undecayed).push_back(p);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decayed, std::make_unique<torch::optim::SGDOptions>(
                                     torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-5)));
    groups.emplace_back(undecayed, std::make_unique<torch::optim::SGDOptions>(
                                       torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(0.0)));
    return std::make_unique<torch::optim::SGD>(std::move(groups),
                                               torch::optim::SGDOptions(0.01).momentum(0.9));
}

// A net ready for float training (quantize off) or QAT at uniform 8/8 with its steps calibrated (LSQ's
// initialisation on the batch, in eval mode, as the evaluators do).
std::shared_ptr<QuantNet> makeNet(const Network &network, bool qat, const torch::Tensor &images)
{
    torch::manual_seed(1);
    auto net = std::make_shared<QuantNet>(network);
    net->quantize = qat;
    if (qat) {
        net->setBits(std::vector<std::pair<int, int>>(static_cast<size_t>(net->numLayers()), {8, 8}));
        torch::NoGradGuard noGrad;
        net->eval();
        net->startCalibration(Calibration::LsqMean);
        net->forward(images);
        net->stopCalibration();
    }
    net->train();
    return net;
}

struct StepTimes {
    double forward = 0.0, backward = 0.0, update = 0.0; // seconds
    double total = 0.0;
    double cpu = 0.0; // process CPU seconds
};

// One training step as trainFloat takes it; the phases timed separately.
StepTimes step(QuantNet &net, torch::optim::SGD &sgd, const torch::Tensor &images,
               const torch::Tensor &labels)
{
    const double c0 = cpuSeconds();
    const auto t0 = Clock::now();
    sgd.zero_grad();
    const torch::Tensor logits = net.forward(images);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
    const auto t1 = Clock::now();
    loss.backward();
    const auto t2 = Clock::now();
    sgd.step();
    (void)loss.item<double>();
    const auto t3 = Clock::now();
    StepTimes t;
    t.forward = std::chrono::duration<double>(t1 - t0).count();
    t.backward = std::chrono::duration<double>(t2 - t1).count();
    t.update = std::chrono::duration<double>(t3 - t2).count();
    t.total = std::chrono::duration<double>(t3 - t0).count();
    t.cpu = cpuSeconds() - c0;
    return t;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The median of each phase over the steps (robust to what else the machine runs).
StepTimes medianOf(const std::vector<StepTimes> &steps)
{
    std::vector<double> f, b, u, t, c;
    for (const StepTimes &s : steps) {
        f.push_back(s.forward);
        b.push_back(s.backward);
        u.push_back(s.update);
        t.push_back(s.total);
        c.push_back(s.cpu);
    }
    return {median(f), median(b), median(u), median(t), median(c)};
}

// Float and QAT steps measured in alternating blocks of five, so that both see the same machine when
// other work comes and goes; per-step medians.
std::pair<StepTimes, StepTimes> measureSteps(const Network &network, const torch::Tensor &images,
                                             const torch::Tensor &labels, const Options &o)
{
    auto fnet = makeNet(network, false, images);
    auto qnet = makeNet(network, true, images);
    auto fsgd = makeSgd(*fnet), qsgd = makeSgd(*qnet);
    for (int i = 0; i < o.warmup; ++i) {
        step(*fnet, *fsgd, images, labels);
        step(*qnet, *qsgd, images, labels);
    }
    std::vector<StepTimes> f, q;
    constexpr int kBlock = 5;
    while (static_cast<int>(f.size()) < o.steps) {
        for (int i = 0; i < kBlock && static_cast<int>(f.size()) < o.steps; ++i)
            f.push_back(step(*fnet, *fsgd, images, labels));
        for (int i = 0; i < kBlock && static_cast<int>(q.size()) < o.steps; ++i)
            q.push_back(step(*qnet, *qsgd, images, labels));
    }
    return {medianOf(f), medianOf(q)};
}

void stepFigures(const Options &o)
{
    std::printf(
        "## Training step throughput (one fixed random batch, %d warm-up + %d timed steps each, float "
        "and QAT alternating in blocks of 5; medians per step; img/s by wall clock, and by the process's CPU "
        "time, which at one thread is what an otherwise idle core would give)\n\n",
        o.warmup, o.steps);
    std::printf(
        "| network | batch | threads | float img/s | QAT 8/8 img/s | QAT / float time | float img/s "
        "(CPU) | QAT img/s (CPU) | QAT / float (CPU) | float fwd/bwd/upd ms | QAT fwd/bwd/upd ms |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for (int threads : o.threads) {
        setThreads(threads);
        for (const std::string &name : o.networks) {
            const Network network = networkNamed(name, o);
            for (int batch : o.batches) {
                torch::manual_seed(42);
                const torch::Tensor images = torch::randn({batch, 1, 28, 28});
                const torch::Tensor labels = torch::randint(0, 10, {batch}, torch::kLong);
                const auto [f, q] = measureSteps(network, images, labels, o);
                std::printf("| %s | %d | %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f | %.1f / %.1f / %.1f | "
                            "%.1f / %.1f / "
                            "%.1f |\n",
                            label(name, o).c_str(), batch, threads, batch / f.total, batch / q.total,
                            q.total / f.total, batch / f.cpu, batch / q.cpu, q.cpu / f.cpu, f.forward * 1e3,
                            f.backward * 1e3, f.update * 1e3, q.forward * 1e3, q.backward * 1e3,
                            q.update * 1e3);
                std::fflush(stdout);
            }
        }
    }
    std::printf("\n");
}

// The LSQ quantizer as plain tensor operators (forward, and the gradients of x and of the step): what
// lsqFakeQuantize computes, one operator at a time.
torch::Tensor lsqReference(const torch::Tensor &x, const torch::Tensor &step, double qn, double qp)
{
    const torch::Tensor s = step.clamp_min(kMinStep);
    return x.div(s).round_().clamp_(-qn, qp).mul_(s);
}
std::pair<torch::Tensor, torch::Tensor> lsqReferenceBackward(const torch::Tensor &x,
                                                             const torch::Tensor &step,
                                                             const torch::Tensor &grad, double qn, double qp,
                                                             double g)
{
    const torch::Tensor xs = x.div(step.clamp_min(kMinStep));
    const torch::Tensor inside = xs.ge(-qn).logical_and_(xs.le(qp));
    const torch::Tensor gradX = grad.mul(inside);
    const torch::Tensor codes = xs.round().clamp_(-qn, qp);
    const torch::Tensor dStep = torch::where(inside, codes - xs, codes);
    return {gradX, grad.mul(dStep).sum().mul_(g).reshape(step.sizes())};
}
torch::Tensor weightReference(const torch::Tensor &w, int bits)
{
    const double qp = static_cast<double>((int64_t{1} << (bits - 1)) - 1);
    const torch::Tensor flat = w.reshape({w.size(0), -1});
    const torch::Tensor scale =
        flat.abs().amax(1, true).div_(qp).clamp_min_(std::numeric_limits<float>::min());
    return flat.div(scale).round_().clamp_(-qp, qp).mul_(scale).view(w.sizes());
}

template <typename F> double msPerCall(int reps, F &&f)
{
    f();
    const auto t0 = Clock::now();
    for (int i = 0; i < reps; ++i)
        f();
    return secondsSince(t0) * 1e3 / reps;
}

void kernelFigures(const Options &o)
{
    std::printf("## Fake quantizers alone: fused kernels vs. the tensor expressions they implement\n\n");
    std::printf("| kernel | shape | threads | fused ms | operators ms | speed-up | identical |\n"
                "|---|---|---:|---:|---:|---:|---|\n");
    torch::manual_seed(3);
    // A typical MobileNetV1 x0.25 activation at batch 64, signed 8 bits (qn 128, qp 127), a step that
    // clips the tails; a quarter of the values sit exactly on a tie (code + 0.5) to check the rounding.
    const torch::Tensor x0 = torch::randn({64, 32, 28, 28}) * 3.0;
    const double step = 0.02, qn = 128.0, qp = 127.0;
    const torch::Tensor ties = (torch::randint(-300, 300, x0.sizes()).to(torch::kFloat) + 0.5) * step;
    const torch::Tensor x = torch::where(torch::rand(x0.sizes()) < 0.25, ties, x0);
    const torch::Tensor grad = torch::randn(x.sizes());
    const double g = lsqGradScale(x.numel(), static_cast<int64_t>(qp));
    for (int threads : o.threads) {
        setThreads(threads);
        const int reps = 20;
        const torch::Tensor stepT = torch::full({1}, step);
        const ActRange range{static_cast<int64_t>(qn), static_cast<int64_t>(qp)};

        torch::Tensor fused, ref;
        const double fusedFwd = msPerCall(reps, [&] {
            torch::NoGradGuard noGrad;
            fused = lsqFakeQuantize(x, stepT, range, g);
        });
        const double refFwd = msPerCall(reps, [&] { ref = lsqReference(x, stepT, qn, qp); });
        std::printf("| LSQ forward | [64, 32, 28, 28] | %d | %.2f | %.2f | %.1fx | %s |\n", threads, fusedFwd,
                    refFwd, refFwd / fusedFwd, torch::equal(fused, ref) ? "yes" : "NO");

        const torch::Tensor xg = x.clone().requires_grad_(true);
        const torch::Tensor sg = stepT.clone().requires_grad_(true);
        const double fusedBoth = msPerCall(reps, [&] {
            xg.mutable_grad() = torch::Tensor();
            sg.mutable_grad() = torch::Tensor();
            lsqFakeQuantize(xg, sg, range, g).backward(grad);
        });
        std::pair<torch::Tensor, torch::Tensor> refGrads;
        const double refBoth = msPerCall(reps, [&] {
            ref = lsqReference(x, stepT, qn, qp);
            refGrads = lsqReferenceBackward(x, stepT, grad, qn, qp, g);
        });
        const double stepRel = std::abs(sg.grad().item<double>() - refGrads.second.item<double>()) /
                               std::max(std::abs(refGrads.second.item<double>()), 1e-30);
        char same[96];
        std::snprintf(same, sizeof same, "d x: %s, d step: rel. diff %.1e",
                      torch::equal(xg.grad(), refGrads.first) ? "yes" : "NO", stepRel);
        std::printf(
            "| LSQ forward + backward (autograd) | [64, 32, 28, 28] | %d | %.2f | %.2f | %.1fx | %s |\n",
            threads, fusedBoth, refBoth, refBoth / fusedBoth, same);

        for (const torch::Tensor &w : {torch::randn({256, 256, 1, 1}), torch::randn({256, 1, 3, 3})}) {
            const double fusedW = msPerCall(reps, [&] {
                torch::NoGradGuard noGrad;
                fused = fakeQuantizeWeights(w, 8);
            });
            const double refW = msPerCall(reps, [&] { ref = weightReference(w, 8); });
            std::printf("| weights, per channel | %s | %d | %.3f | %.3f | %.1fx | %s |\n",
                        c10::str(w.sizes()).c_str(), threads, fusedW, refW, refW / fusedW,
                        torch::equal(fused, ref) ? "yes" : "NO");
        }
        std::fflush(stdout);
    }
    std::printf("\n");
}

// Self time per operator over `o.profileSteps` steps (tests/op_profile.h).
void profileSteps(const Options &o)
{
    const int threads = o.threads.front();
    const int batch = o.batches.front();
    setThreads(threads);
    for (const std::string &name : o.networks) {
        const Network network = networkNamed(name, o);
        torch::manual_seed(42);
        const torch::Tensor images = torch::randn({batch, 1, 28, 28});
        const torch::Tensor labels = torch::randint(0, 10, {batch}, torch::kLong);
        for (bool qat : {false, true}) {
            auto net = makeNet(network, qat, images);
            auto sgd = makeSgd(*net);
            for (int i = 0; i < std::max(o.warmup, 1); ++i)
                step(*net, *sgd, images, labels);
            char title[160];
            std::snprintf(title, sizeof title, "%s, %s step, batch %d, %d thread(s)", label(name, o).c_str(),
                          qat ? "QAT 8/8" : "float", batch, threads);
            bench::printOpProfile(title, "step", o.profileSteps, [&] { step(*net, *sgd, images, labels); });
        }
    }
}

void evaluatorFigures(const Options &o)
{
    std::printf("## Accuracy evaluators: seconds per candidate (uniform 8/8, %d thread(s), dataset %s)\n\n",
                o.evalThreads, o.dataset.c_str());
    const ImageDataset train = loadDataset(o.dataset, true);
    const ImageDataset test = loadDataset(o.dataset, false);
    for (const std::string &name : o.evalNetworks) {
        const Network network = networkNamed(name, o);
        // A baseline trained quickly on a slice: what it costs to evaluate does not depend on how good it is.
        DataSplit split;
        split.dataset = o.dataset;
        split.trainLimit = o.baselineImages;
        split.testLimit = 1000;
        TrainOptions t;
        t.epochs = o.baselineEpochs;
        t.batchSize = 64;
        t.threads = o.evalThreads;
        const std::string checkpoint = o.checkpointDir + "/bench_qat_" + name + ".pt";
        const auto tTrain = Clock::now();
        const BaselineResult base = trainBaseline(network, split, train, test, t, checkpoint);
        std::printf("%s: baseline, %d epoch(s) of %lld training images in %.1f s (%.0f img/s, validation "
                    "accuracy %.3f)\n",
                    label(name, o).c_str(), t.epochs, static_cast<long long>(split.trainLimit),
                    secondsSince(tTrain), base.train.samplesPerSecond, base.info.validationAccuracy);

        const BitConfig bits(network.layers.size(), LayerBits{8, 8});
        const int64_t fullTrain = static_cast<int64_t>(
            splitTrainValidation(train.count, split.validationFraction, split.seed).train.size());
        auto run = [&](EvaluatorKind kind, int64_t trainLimit, const char *what) {
            EvaluatorOptions eo;
            eo.settings.kind = kind;
            eo.threads = o.evalThreads;
            eo.trainLimit = trainLimit;
            const auto tOpen = Clock::now();
            std::unique_ptr<AccuracyEvaluator> ev = openEvaluator(checkpoint, eo);
            const double open = secondsSince(tOpen);
            const double c0 = cpuSeconds();
            const AccuracyResult r = ev->evaluate(bits);
            const double cpu = cpuSeconds() - c0;
            std::printf("| %s | %s | %s | %.1f | %.1f | %.1f | %lld | %.3f |\n", label(name, o).c_str(), what,
                        ev->settings().describe().c_str(), r.seconds, cpu, open,
                        static_cast<long long>(r.images), r.accuracy);
            std::fflush(stdout);
            return std::make_pair(r.seconds, cpu);
        };
        std::printf(
            "\n| network | evaluator | settings | s / candidate | CPU s / candidate | open s | images "
            "evaluated | accuracy |\n|---|---|---|---:|---:|---:|---:|---:|\n");
        run(EvaluatorKind::Ptq, -1, "ptq (warm-up)");
        const auto ptq = run(EvaluatorKind::Ptq, -1, "ptq");
        const auto qatShort = run(EvaluatorKind::QatShort, -1, "qat-short");
        const int64_t slice = o.qatTrainImages;
        char what[96];
        std::snprintf(what, sizeof what, "qat, 1 epoch of a %lld-image slice", static_cast<long long>(slice));
        const auto qatSlice = run(EvaluatorKind::Qat, slice, what);
        // Calibration and the evaluation pass are what ptq costs; the rest scales with the images trained
        // (qat-short's 200 x 64 images give the steadier rate).
        const EvaluatorSettings d;
        const double shortImages = static_cast<double>(d.steps * d.batchSize);
        auto report = [&](const char *clock, double ptqS, double shortS, double sliceS) {
            const double perImage = (shortS - ptqS) / shortImages;
            std::printf(
                "%s (%s): fine-tuning %.0f img/s in qat-short, %.0f img/s in the qat slice; qat, one full "
                "epoch (%lld images) extrapolated: %.0f s per candidate\n",
                label(name, o).c_str(), clock, shortImages / std::max(shortS - ptqS, 1e-9),
                static_cast<double>(slice) / std::max(sliceS - ptqS, 1e-9), static_cast<long long>(fullTrain),
                ptqS + perImage * static_cast<double>(fullTrain));
        };
        std::printf("\n");
        report("wall clock", ptq.first, qatShort.first, qatSlice.first);
        report("CPU time", ptq.second, qatShort.second, qatSlice.second);
        std::printf("\n");
    }
}

} // namespace

int main(int argc, char **argv)
{
    try {
        const Options o = parseArgs(argc, argv);
        std::printf("bench_qat: LibTorch %s, %d hardware threads\n\n", TORCH_VERSION,
                    static_cast<int>(std::thread::hardware_concurrency()));
        if (o.flushDenormal && !at::globalContext().setFlushDenormal(true))
            throw std::runtime_error("--flush-denormal: this CPU cannot flush denormals");
        if (o.kernels)
            kernelFigures(o);
        if (o.stepFigures)
            stepFigures(o);
        if (o.profile)
            profileSteps(o);
        if (o.evaluators)
            evaluatorFigures(o);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "bench_qat: %s\n", e.what());
        return 1;
    }
    return 0;
}
