#include "qat/train_state.h"

#include "util/error.h"

#include <torch/serialize/input-archive.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <system_error>

namespace bitloop::qat
{

namespace
{

constexpr const char *kPlaceKey = "bitloop_train_place";
constexpr const char *kIdentityKey = "bitloop_train_identity";

// Hexadecimal floating point: strtod reads back exactly the double that was written.
std::string exact(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", v);
    return buf;
}

std::string placeText(const TrainPlace &p)
{
    std::ostringstream os;
    os << "step " << p.step << "\ntotal_steps " << p.totalSteps << "\nbatches_per_epoch " << p.batchesPerEpoch
       << "\nepoch_loss_sum " << exact(p.epochLossSum) << "\nepoch_correct " << p.epochCorrect
       << "\nepoch_seen " << p.epochSeen << "\nfirst_batch_loss " << exact(p.firstBatchLoss) << "\nseconds "
       << exact(p.seconds) << "\n";
    return os.str();
}

// std::invalid_argument when a field is missing or not a number.
TrainPlace parsePlace(const std::string &text)
{
    std::map<std::string, std::string> fields;
    std::istringstream in(text);
    std::string key, value;
    while (in >> key >> value)
        fields[key] = value;
    auto field = [&](const char *name) -> const std::string & {
        const auto it = fields.find(name);
        if (it == fields.end())
            throw std::invalid_argument(std::string("no ") + name);
        return it->second;
    };
    auto integer = [&](const char *name) {
        size_t used = 0;
        const long long v = std::stoll(field(name), &used);
        if (used != field(name).size() || v < 0)
            throw std::invalid_argument(std::string("a bad ") + name);
        return static_cast<int64_t>(v);
    };
    auto real = [&](const char *name) {
        size_t used = 0;
        const double v = std::stod(field(name), &used);
        if (used != field(name).size() || !std::isfinite(v))
            throw std::invalid_argument(std::string("a bad ") + name);
        return v;
    };
    TrainPlace p;
    p.step = integer("step");
    p.totalSteps = integer("total_steps");
    p.batchesPerEpoch = integer("batches_per_epoch");
    p.epochLossSum = real("epoch_loss_sum");
    p.epochCorrect = integer("epoch_correct");
    p.epochSeen = integer("epoch_seen");
    p.firstBatchLoss = real("first_batch_loss");
    p.seconds = real("seconds");
    return p;
}

// The identity and place an opened state archive carries; std::invalid_argument when either is missing.
TrainStateSummary readSummary(torch::serialize::InputArchive &archive)
{
    c10::IValue identity, text;
    if (!archive.try_read(kIdentityKey, identity) || !identity.isString() ||
        !archive.try_read(kPlaceKey, text) || !text.isString())
        throw std::invalid_argument("not a training state written by Bitloop");
    return {identity.toStringRef(), parsePlace(text.toStringRef())};
}

void warn(const TrainStateFile &file, const std::string &what)
{
    if (file.warn)
        file.warn(file.path + ": " + what);
}

// What went wrong, without the file's name when the error is about the state itself: the warning already
// starts with it.
std::string why(const TrainStateFile &file, const std::exception &e)
{
    const auto *input = dynamic_cast<const InputError *>(&e);
    return input && input->file() == file.path && input->line() == 0 ? input->detail() : e.what();
}

} // namespace

bool saveTrainState(const TrainStateFile &file, QuantNet &net, torch::optim::Optimizer &optimizer,
                    const TrainPlace &place)
{
    try {
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(file.path).parent_path(), ec);
        saveModuleFile(net, file.path, {{kIdentityKey, file.identity}, {kPlaceKey, placeText(place)}},
                       &optimizer);
    } catch (const std::exception &e) {
        warn(file, "cannot write the training state (training goes on without it): " + why(file, e));
        return false;
    }
    return true;
}

TrainStateSummary readTrainStateSummary(const std::string &path)
{
    torch::serialize::InputArchive archive;
    try {
        openModuleArchive(archive, path);
        return readSummary(archive);
    } catch (const InputError &) {
        throw;
    } catch (const std::exception &e) {
        throw InputError(path, 0, std::string("not a readable training state: ") + e.what());
    }
}

bool loadTrainState(const TrainStateFile &file, QuantNet &net, torch::optim::Optimizer &optimizer,
                    TrainPlace &place)
{
    std::error_code ec;
    if (!std::filesystem::exists(file.path, ec))
        return false;
    torch::serialize::InputArchive archive;
    TrainPlace found;
    try {
        // Read once: the tensors, the optimizer and the place must all come from the same state.
        openModuleArchive(archive, file.path);
        const TrainStateSummary summary = readSummary(archive);
        if (summary.identity != file.identity) {
            warn(file, "a training state of other training (other settings, bits or checkpoint): not used, "
                       "training starts over");
            return false;
        }
        found = summary.place;
    } catch (const std::exception &e) {
        warn(file, "an unreadable training state (" + why(file, e) + "): not used, training starts over");
        return false;
    }
    if (found.totalSteps != place.totalSteps || found.batchesPerEpoch != place.batchesPerEpoch ||
        found.step == 0 || found.step >= found.totalSteps) {
        warn(file, "a training state of another schedule (step " + std::to_string(found.step) + " of " +
                       std::to_string(found.totalSteps) + "): not used, training starts over");
        return false;
    }
    // Loading may fail half-way (a damaged file): keep what the net held, to put it back.
    const std::vector<torch::Tensor> before = cloneTensors(net);
    try {
        loadModuleArchive(net, archive, file.path); // every tensor checked against the net's shapes
        loadOptimizerArchive(optimizer, archive, file.path);
    } catch (const std::exception &e) {
        restoreTensors(net, before); // the optimizer is as it was: loadOptimizerArchive clears on failure
        warn(file, "a damaged training state (" + why(file, e) + "): not used, training starts over");
        return false;
    }
    place = found;
    return true;
}

} // namespace bitloop::qat
