// bitloop-cli train-supernet: one supernet over every per-layer width from a float checkpoint, so that the
// supernet evaluator answers any configuration in about a second.
#include "commands.h"
#include "qat_options.h"
#include "search_setup.h"

#include "io/yaml_util.h"
#include "qat/session.h"
#include "util/json.h"

#include <chrono>
#include <cstdio>
#include <iostream>

namespace bitloop::cli
{

int runTrainSupernet(const std::vector<std::string> &argv)
{
    const Args args(argv, {"checkpoint",  "allowed-bits",   "out",
                           "epochs",      "steps",          "batch",
                           "lr",          "random-configs", "teacher",
                           "temperature", "distill-weight", "calibration-batches",
                           "seed",        "threads",        "train-limit",
                           "dataset",     "state-every",    "weight-scale",
                           "image-input", "sampling",       "activation-scale"},
                    {"resume", "json"});
    const std::string checkpoint = args.require("checkpoint");
    qat::SupernetOptions o;
    if (auto a = args.get("allowed-bits"))
        o.allowedBits = parseIntList(*a, "--allowed-bits");
    o.epochs = static_cast<int>(args.integer("epochs", 1, 100000).value_or(o.epochs));
    o.steps = args.integer("steps", 1, INT64_MAX).value_or(0);
    o.batchSize = static_cast<int>(args.integer("batch", 1, 65536).value_or(o.batchSize));
    o.lr = numberOption(args, "lr", o.lr, 1e-9, 100.0);
    o.randomConfigs = static_cast<int>(args.integer("random-configs", 0, 64).value_or(o.randomConfigs));
    const std::string teacher = args.get("teacher").value_or("float");
    if (teacher != "float" && teacher != "widest")
        throw UsageError("--teacher must be float or widest, got '" + teacher + "'");
    o.floatTeacher = teacher == "float";
    try {
        if (auto s = args.get("sampling"))
            o.sampling = qat::parseSupernetSampling(*s);
    } catch (const std::invalid_argument &e) {
        throw UsageError(std::string("--") + e.what());
    }
    // Where each width's activation steps start (they are trained from there): auto is LSQ's rule.
    o.activationMse = activationMseOption(args, "mse");
    o.temperature = numberOption(args, "temperature", o.temperature, 1e-3, 100.0);
    o.distillWeight = numberOption(args, "distill-weight", o.distillWeight, 0.0, 1.0);
    o.calibrationBatches =
        static_cast<int>(args.integer("calibration-batches", 1, 100000).value_or(o.calibrationBatches));
    o.seed = static_cast<uint64_t>(args.integer("seed", 0, INT64_MAX).value_or(1));
    o.threads = static_cast<int>(args.integer("threads", 1, 256).value_or(2));
    o.trainLimit = args.integer("train-limit", 1, INT64_MAX).value_or(-1);
    o.dataset = args.get("dataset").value_or("");
    o.weightScale = weightScaleOption(args);
    o.quantizePixels = imageInputOption(args);
    o.checkpointEvery = args.integer("state-every", 1, INT64_MAX).value_or(o.checkpointEvery);
    try {
        o.check();
    } catch (const std::invalid_argument &e) {
        throw UsageError(e.what());
    }
    const std::string out = args.get("out").value_or(qat::defaultSupernetPath(checkpoint));
    const bool json = args.flag("json");

    InterruptGuard interrupts;
    auto lastPrint = std::chrono::steady_clock::now() - std::chrono::hours(1);
    const qat::SupernetResult r = qat::trainSupernet(
        checkpoint, out, o, args.flag("resume"),
        [&](const qat::SupernetProgress &p) {
            const auto now = std::chrono::steady_clock::now();
            if (p.phase == "train" && p.step != p.totalSteps &&
                std::chrono::duration<double>(now - lastPrint).count() < 2.0)
                return;
            lastPrint = now;
            if (p.phase == "train")
                std::fprintf(stderr, "epoch %d  step %lld/%lld  loss %.4f  lr %.5f  %.0f img/s\n",
                             p.epoch + 1, static_cast<long long>(p.step),
                             static_cast<long long>(p.totalSteps), p.loss, p.lr, p.imagesPerSecond);
            else
                std::fprintf(stderr, "%s\n",
                             p.phase == "calibrate" ? "initialising each width's activation steps"
                                                    : "measuring the widest and narrowest configurations");
        },
        &gInterrupted);
    if (r.cancelled) {
        std::fprintf(stderr, "cancelled: %s not written%s\n", out.c_str(),
                     " (--resume continues from the last training state, if one was written)");
        return 2;
    }
    const qat::SupernetInfo &info = r.info;
    if (json) {
        JsonWriter j;
        j.beginObject()
            .field("supernet", out)
            .field("checkpoint", checkpoint)
            .field("network", info.network.name)
            .field("settings", o.describe())
            .field("steps", info.steps)
            .field("resumed", r.resumed)
            .field("train_seconds", info.trainSeconds)
            .field("widest_accuracy", info.widestAccuracy)
            .field("narrowest_accuracy", info.narrowestAccuracy)
            .endObject();
        std::cout << j.str() << "\n";
    } else {
        std::printf("Supernet       %s\nParent         %s (%s)\nSettings       %s\n", out.c_str(),
                    checkpoint.c_str(), info.network.name.c_str(), o.describe().c_str());
        std::printf("Training       %lld steps, %.1f s%s\n", static_cast<long long>(info.steps),
                    info.trainSeconds, r.resumed ? " (resumed)" : "");
        std::printf("Validation     %.4f top-1 at uniform %d bits, %.4f at uniform %d bits\n",
                    info.widestAccuracy, o.allowedBits.back(), info.narrowestAccuracy, o.allowedBits.front());
    }
    return 0;
}

} // namespace bitloop::cli
