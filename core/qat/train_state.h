// The resumable state of trainFloat (TrainStateFile in qat/train.h): the net's tensors, the optimizer's
// state and the place the loop has reached, in one LibTorch archive.
#pragma once

#include "qat/train.h"

#include <torch/optim/optimizer.h>

#include <cstdint>

namespace bitloop::qat
{

// Where the loop is: the steps taken and the current epoch's running figures, so that a resumed run
// reports what the uninterrupted one would.
struct TrainPlace {
    int64_t step = 0, totalSteps = 0, batchesPerEpoch = 0;
    double epochLossSum = 0.0;
    int64_t epochCorrect = 0, epochSeen = 0;
    double firstBatchLoss = 0.0;
    double seconds = 0.0; // training so far, every earlier run included
};

// Written to a file of this process's own beside file.path and renamed onto it, so that neither a crash
// nor a second process training the same thing leaves a half-written state. False, warned, when it cannot
// be written: the training itself is not at fault and goes on.
bool saveTrainState(const TrainStateFile &file, QuantNet &net, torch::optim::Optimizer &optimizer,
                    const TrainPlace &place);

// True when file.path held a state of this training (identity, total steps and batches per epoch as in
// `place`) and it was loaded into net, optimizer and place. False when there is none, or when it is not
// usable (unreadable, another training's, damaged; warned): net and optimizer are then as they were.
bool loadTrainState(const TrainStateFile &file, QuantNet &net, torch::optim::Optimizer &optimizer,
                    TrainPlace &place);

// What a state file says about itself without loading it into a net: its identity text (what the
// training depends on) and its place. Throws InputError naming the file when it is not a readable state.
struct TrainStateSummary {
    std::string identity;
    TrainPlace place;
};
TrainStateSummary readTrainStateSummary(const std::string &path);

} // namespace bitloop::qat
