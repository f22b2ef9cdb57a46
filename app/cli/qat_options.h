// Options shared by the LibTorch commands (accuracy, search): the evaluator and its settings.
#pragma once

#include "args.h"

#include "qat/session.h"

#include <atomic>
#include <set>
#include <string>

namespace bitloop::cli
{

// evaluator, steps, epochs, calibration-batches, batch, lr, evaluator-seed, dataset, limit, train-limit,
// supernet, bn-batches, temperature, distill-weight, start; flags: kEvaluatorFlags
extern const std::set<std::string> kEvaluatorFlags; // test, no-distill
extern const std::set<std::string> kEvaluatorValued;
// `threadsKey` names the option that sets LibTorch's threads ("threads"; "torch-threads" in search).
qat::EvaluatorOptions resolveEvaluatorOptions(const Args &args, const std::string &threadsKey);
// qat-short and qat keep their resumable fine-tuning states under the accuracy cache's directory
// (CACHE_DIR/training-state), unless --state-every 0.
void keepTrainingStates(qat::EvaluatorOptions &options, const std::string &cacheDir);
// --image-input pixels|normalized (default pixels): how layer 0 quantizes the image.
bool imageInputOption(const Args &args);
// --weight-scale max|mse (default max); UsageError otherwise.
qat::WeightScale weightScaleOption(const Args &args);
// --activation-scale mse|auto (default `fallback`): true for mse; UsageError otherwise.
bool activationMseOption(const Args &args, const std::string &fallback);
// A number option within [lo, hi], or the fallback when absent.
double numberOption(const Args &args, const std::string &key, double fallback, double lo, double hi);

// Ctrl-C sets this (between batches, generations): work stops cleanly and nothing half-done is written.
extern std::atomic<bool> gInterrupted;
struct InterruptGuard {
    InterruptGuard();
    ~InterruptGuard();
};

} // namespace bitloop::cli
