// bitloop-cli cache: what the cache directory holds, and pruning the fine-tuning states that no run came
// back for. A `qat` that was stopped keeps its state so that asking the same question again resumes it;
// one that is never asked again would stay forever.
#include "args.h"
#include "commands.h"
#include "qat_options.h"

#include "mapper/cache.h"
#include "qat/train_state.h"
#include "util/error.h"
#include "util/json.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace bitloop::cli
{

namespace
{

namespace fs = std::filesystem;

struct StateEntry {
    std::string path;
    uintmax_t bytes = 0;
    double hoursOld = 0; // since it was last written
    bool readable = false;
    std::string problem; // why not, when unreadable
    std::string network, evaluator, bits;
    int64_t step = 0, totalSteps = 0;
};

// The value of the first line of `text` that starts with `prefix` (prefix removed), or "".
std::string lineAfter(const std::string &text, const std::string &prefix)
{
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size())
            return line.substr(prefix.size());
    return {};
}

std::vector<StateEntry> listStates(const fs::path &dir)
{
    std::vector<StateEntry> out;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        return out;
    const auto now = fs::file_time_type::clock::now();
    for (const auto &e : fs::directory_iterator(dir, ec)) {
        if (!e.is_regular_file(ec) || e.path().extension() != ".state")
            continue;
        StateEntry s;
        s.path = e.path().string();
        s.bytes = e.file_size(ec);
        const auto written = e.last_write_time(ec);
        s.hoursOld = std::chrono::duration<double, std::ratio<3600>>(now - written).count();
        try {
            const qat::TrainStateSummary summary = qat::readTrainStateSummary(s.path);
            s.readable = true;
            s.network = lineAfter(summary.identity, "network: ");
            s.evaluator = lineAfter(summary.identity, "evaluator=");
            if (!s.evaluator.empty())
                s.evaluator = "evaluator=" + s.evaluator;
            s.bits = lineAfter(summary.identity, "bits: ");
            s.step = summary.place.step;
            s.totalSteps = summary.place.totalSteps;
        } catch (const InputError &err) {
            s.problem = err.detail();
        }
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const StateEntry &a, const StateEntry &b) { return a.path < b.path; });
    return out;
}

std::string megabytes(uintmax_t bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return buf;
}

std::string hours(double h)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f h", h);
    return buf;
}

} // namespace

int runCache(const std::vector<std::string> &argv)
{
    const Args args(argv, {"cache-dir", "older-than"}, {"prune-states", "json"});
    const fs::path dir = args.get("cache-dir").value_or(defaultCacheDir());
    const bool prune = args.flag("prune-states");
    const std::optional<std::string> olderThan = args.get("older-than");
    if (olderThan && !prune)
        throw UsageError("--older-than goes with --prune-states");
    const double limitHours = numberOption(args, "older-than", 24.0, 0.0, 1e7);
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw InputError(dir.string(), 0, "no such cache directory");

    std::vector<StateEntry> states = listStates(dir / "training-state");
    std::vector<StateEntry> removed, kept;
    for (StateEntry &s : states) {
        // A state still being trained is rewritten every few hundred steps, so it is never this old.
        if (prune && s.hoursOld >= limitHours) {
            if (!fs::remove(s.path, ec) && ec)
                throw InputError(s.path, 0, "cannot remove it: " + ec.message());
            removed.push_back(std::move(s));
        } else {
            kept.push_back(std::move(s));
        }
    }

    if (args.flag("json")) {
        JsonWriter j;
        auto entries = [&j](const std::vector<StateEntry> &list) {
            j.beginArray();
            for (const StateEntry &s : list) {
                j.beginObject()
                    .field("path", s.path)
                    .field("bytes", static_cast<int64_t>(s.bytes))
                    .field("hours_old", s.hoursOld);
                if (s.readable)
                    j.field("network", s.network)
                        .field("evaluator", s.evaluator)
                        .field("bits", s.bits)
                        .field("step", s.step)
                        .field("total_steps", s.totalSteps);
                else
                    j.field("unreadable", s.problem);
                j.endObject();
            }
            j.endArray();
        };
        j.beginObject().field("cache_dir", dir.string()).key("training_states");
        entries(kept);
        if (prune) {
            j.field("older_than_hours", limitHours).key("removed");
            entries(removed);
        }
        j.endObject();
        std::cout << j.str() << "\n";
        return 0;
    }
    auto print = [](const StateEntry &s) {
        std::cout << "  " << fs::path(s.path).filename().string() << "  " << megabytes(s.bytes)
                  << ", written " << hours(s.hoursOld) << " ago";
        if (s.readable)
            std::cout << ", step " << s.step << " of " << s.totalSteps << "\n    " << s.network << "  "
                      << s.evaluator << "\n    bits: " << s.bits << "\n";
        else
            std::cout << ", unreadable: " << s.problem << "\n";
    };
    std::cout << "cache directory " << dir.string() << "\n";
    uintmax_t keptBytes = 0;
    for (const StateEntry &s : kept)
        keptBytes += s.bytes;
    std::cout << "fine-tuning states (asking the same question again resumes one): " << kept.size() << ", "
              << megabytes(keptBytes) << "\n";
    for (const StateEntry &s : kept)
        print(s);
    if (prune) {
        uintmax_t freed = 0;
        for (const StateEntry &s : removed)
            freed += s.bytes;
        std::cout << "removed " << removed.size() << " written " << hours(limitHours) << " ago or earlier ("
                  << megabytes(freed) << "):\n";
        for (const StateEntry &s : removed)
            print(s);
    }
    return 0;
}

} // namespace bitloop::cli
