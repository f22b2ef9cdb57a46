// The evaluator options shared by accuracy and search, and the Ctrl-C flag of the LibTorch commands.
#include "qat_options.h"

#include "io/yaml_util.h"

#include <csignal>

namespace bitloop::cli
{

const std::set<std::string> kEvaluatorValued = {"evaluator",           "steps",          "epochs",
                                                "calibration-batches", "batch",          "lr",
                                                "evaluator-seed",      "dataset",        "limit",
                                                "train-limit",         "supernet",       "bn-batches",
                                                "temperature",         "distill-weight", "weight-scale",
                                                "image-input",         "max-grad-norm",  "step-lr-scale",
                                                "activation-scale",    "start",          "state-every"};

const std::set<std::string> kEvaluatorFlags = {"test", "no-distill"};

double numberOption(const Args &args, const std::string &key, double fallback, double lo, double hi)
{
    return args.number(key, lo, hi).value_or(fallback); // strict: the whole value, decimal, finite
}

bool imageInputOption(const Args &args)
{
    const std::string v = args.get("image-input").value_or("pixels");
    if (v != "pixels" && v != "normalized")
        throw UsageError("--image-input must be pixels or normalized, got '" + v + "'");
    return v == "pixels";
}

qat::WeightScale weightScaleOption(const Args &args)
{
    const std::string v = args.get("weight-scale").value_or("max");
    try {
        return qat::parseWeightScale(v); // the one list of names
    } catch (const std::invalid_argument &) {
        throw UsageError("--weight-scale must be max, mse, max-full or mse-full, got '" + v + "'");
    }
}

qat::EvaluatorOptions resolveEvaluatorOptions(const Args &args, const std::string &threadsKey)
{
    qat::EvaluatorOptions o;
    EvaluatorSettings &s = o.settings;
    s.kind = parseEvaluatorKind(args.get("evaluator").value_or("ptq"));
    s.steps = args.integer("steps", 1, INT64_MAX).value_or(s.steps);
    s.epochs = static_cast<int>(args.integer("epochs", 1, 100000).value_or(s.epochs));
    s.calibrationBatches =
        static_cast<int>(args.integer("calibration-batches", 1, 100000).value_or(s.calibrationBatches));
    s.batchSize = static_cast<int>(args.integer("batch", 1, 65536).value_or(s.batchSize));
    s.lr = numberOption(args, "lr", s.lr, 1e-12, 100.0);
    s.seed = static_cast<uint64_t>(args.integer("evaluator-seed", 0, INT64_MAX).value_or(1));
    o.onTestSet = args.flag("test");
    o.threads = static_cast<int>(args.integer(threadsKey, 1, 256).value_or(2));
    o.dataset = args.get("dataset").value_or("");
    o.evaluationLimit = args.integer("limit", 1, INT64_MAX).value_or(-1);
    o.trainLimit = args.integer("train-limit", 1, INT64_MAX).value_or(-1);
    s.distill = !args.flag("no-distill");
    s.temperature = numberOption(args, "temperature", s.temperature, 1e-3, 100.0);
    s.distillWeight = numberOption(args, "distill-weight", s.distillWeight, 0.0, 1.0);
    s.weightScale = weightScaleOption(args);
    s.quantizePixels = imageInputOption(args);
    s.maxGradNorm = numberOption(args, "max-grad-norm", s.maxGradNorm, 0.0, 1e12);
    s.stepLrScale = numberOption(args, "step-lr-scale", s.stepLrScale, 1e-6, 1e6);
    s.activationMse = activationMseOption(args, "mse");
    if (args.get("activation-scale") && s.kind == EvaluatorKind::Supernet)
        throw UsageError("--activation-scale is for ptq, qat-short and qat: a supernet's activation steps "
                         "are trained with it (train-supernet --activation-scale sets where they start)");
    // The supernet file fixes how it quantizes: an option that asks otherwise would be ignored silently.
    for (const char *fixed : {"weight-scale", "image-input"})
        if (args.get(fixed) && s.kind == EvaluatorKind::Supernet)
            throw UsageError(
                std::string("--") + fixed +
                " is for ptq, qat-short and qat: a supernet measures as it was trained (train-supernet --" +
                fixed + " sets it)");
    // One option, the setting of the evaluator asked for: per candidate (supernet), after fine-tuning (qat).
    int &bn = s.kind == EvaluatorKind::Supernet ? s.bnBatches : s.qatBnBatches;
    bn = static_cast<int>(args.integer("bn-batches", 0, 100000).value_or(bn));
    if (args.get("bn-batches") && s.kind == EvaluatorKind::Ptq)
        throw UsageError("--bn-batches is for qat-short, qat and supernet: ptq keeps the checkpoint's "
                         "BatchNorm statistics");
    const std::string start = args.get("start").value_or("float");
    if (start != "float" && start != "supernet")
        throw UsageError("--start must be float or supernet, got '" + start + "'");
    s.startFromSupernet = start == "supernet";
    if (args.get("start") && !s.fineTunes())
        throw UsageError("--start is for qat-short and qat: where their fine-tuning starts");
    o.stateEvery = args.integer("state-every", 0, INT64_MAX).value_or(o.stateEvery);
    if (args.get("state-every") && !s.fineTunes())
        throw UsageError("--state-every is for qat-short and qat: how often their fine-tuning keeps a state "
                         "to resume from");
    o.supernet = args.get("supernet").value_or("");
    if (!o.supernet.empty() && s.kind != EvaluatorKind::Supernet && !s.startFromSupernet)
        throw UsageError("--supernet FILE is for --evaluator supernet and --start supernet");
    return o;
}

void keepTrainingStates(qat::EvaluatorOptions &options, const std::string &cacheDir)
{
    if (options.settings.fineTunes() && options.stateEvery > 0)
        options.trainingStateDir = cacheDir + "/training-state";
}

bool activationMseOption(const Args &args, const std::string &fallback)
{
    const std::string v = args.get("activation-scale").value_or(fallback);
    try {
        return qat::parseActivationScale(v); // the one list of names
    } catch (const std::invalid_argument &) {
        throw UsageError("--activation-scale must be mse or auto, got '" + v + "'");
    }
}

std::atomic<bool> gInterrupted{false};

namespace
{
extern "C" void onInterrupt(int)
{
    gInterrupted.store(true);
}
} // namespace

InterruptGuard::InterruptGuard()
{
    std::signal(SIGINT, onInterrupt);
}

InterruptGuard::~InterruptGuard()
{
    std::signal(SIGINT, SIG_DFL);
}

} // namespace bitloop::cli
