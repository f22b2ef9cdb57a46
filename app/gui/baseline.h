// The default accuracy model, so that the explorer's first search has an error objective without any
// set-up: MobileNetV1 x0.25 (small-input stem) trained on the Fashion-MNIST that Debian's
// dataset-fashion-mnist installs, 2 epochs over 20,000 training images (about five minutes on two cores,
// about 0.85 validation accuracy), stored once in the cache directory and reused.
#pragma once

#include "qat/session.h"

#include <QString>

#include <atomic>
#include <functional>

namespace bitloop::gui
{

QString defaultBaselinePath(); // <cache dir>/baselines/mobilenet_v1-x0.25-fashion-mnist.pt
bool defaultBaselineExists();
bool defaultDatasetInstalled(); // Fashion-MNIST where dataset-fashion-mnist puts it

// Trains the default baseline into defaultBaselinePath() (blocking: call it off the GUI thread).
// Throws what trainBaseline throws; a cancelled run writes nothing and returns cancelled.
qat::BaselineResult trainDefaultBaseline(const std::function<void(const qat::TrainProgress &)> &progress,
                                         const std::atomic<bool> *cancel);

} // namespace bitloop::gui
