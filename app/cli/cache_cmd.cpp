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
#include "util/temp_path.h"

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

// What training-state/ holds besides the states: temporaries a killed writer left (NAME.state.tmp.HOST.PID),
// by the state they were to become.
struct Leftovers {
    std::vector<std::string> targets;
    int files = 0;
    uintmax_t bytes = 0;
};

// Whether `dir` exists; an InputError naming it when it cannot be read or is not a directory (`why` says
// what the directory is for).
bool directoryExists(const fs::path &dir, const std::string &why)
{
    std::error_code ec;
    const fs::file_status status = fs::status(dir, ec);
    if (status.type() == fs::file_type::not_found)
        return false;
    if (ec)
        throw InputError(dir.string(), 0, "cannot read it: " + ec.message());
    if (status.type() != fs::file_type::directory)
        throw InputError(dir.string(), 0, "not a directory (" + why + ")");
    return true;
}

std::vector<StateEntry> listStates(const fs::path &dir, Leftovers &leftovers)
{
    std::vector<StateEntry> out;
    if (!directoryExists(dir, "the cache keeps fine-tuning states in it"))
        return out; // nothing was ever fine-tuned here
    std::error_code ec;
    const auto now = fs::file_time_type::clock::now();
    fs::directory_iterator it(dir, ec), end;
    if (ec) // an empty listing would read as "no states" and prune nothing, silently
        throw InputError(dir.string(), 0, "cannot list it: " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec)
            throw InputError(dir.string(), 0, "cannot list it: " + ec.message());
        const fs::directory_entry &e = *it;
        const std::string name = e.path().filename().string();
        const size_t tmp = name.find(".state.tmp.");
        if (tmp != std::string::npos && e.is_regular_file(ec)) {
            leftovers.targets.push_back((dir / name.substr(0, tmp + 6)).string());
            ++leftovers.files;
            leftovers.bytes += e.file_size(ec);
            continue;
        }
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
    if (ec)
        throw InputError(dir.string(), 0, "cannot list it: " + ec.message());
    std::sort(out.begin(), out.end(),
              [](const StateEntry &a, const StateEntry &b) { return a.path < b.path; });
    std::sort(leftovers.targets.begin(), leftovers.targets.end());
    leftovers.targets.erase(std::unique(leftovers.targets.begin(), leftovers.targets.end()),
                            leftovers.targets.end());
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

// "written 3.0 h ago"; a time ahead of this machine's clock (another host's, or a changed clock) says so.
std::string writtenAgo(double h)
{
    return h < 0 ? "written " + hours(-h) + " from now (a clock ahead of this one's)"
                 : "written " + hours(h) + " ago";
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
    if (dir.empty())
        throw UsageError("--cache-dir: empty");
    if (!directoryExists(dir, "a cache directory is one"))
        throw InputError(dir.string(), 0, "no such cache directory");

    Leftovers leftovers;
    std::vector<StateEntry> states = listStates(dir / "training-state", leftovers);
    std::vector<StateEntry> removed, kept;
    std::vector<std::string> failures; // "PATH: cannot remove it: why", for each state that stayed
    for (StateEntry &s : states) {
        // A state still being trained is rewritten every few hundred steps, so it is never this old.
        if (prune && s.hoursOld >= limitHours) {
            std::error_code rm;
            if (!fs::remove(s.path, rm) && rm) { // try the others all the same, then say which stayed
                failures.push_back(s.path + ": cannot remove it: " + rm.message());
                kept.push_back(std::move(s));
                continue;
            }
            removed.push_back(std::move(s));
        } else {
            kept.push_back(std::move(s));
        }
    }
    // Temporaries of this host's writers that no longer run (and untouched 10 minutes): the rule every
    // atomic write applies to its own file's leftovers.
    int leftoversRemoved = 0;
    if (prune)
        for (const std::string &target : leftovers.targets)
            leftoversRemoved += removeStaleTemporaries(target);
    for (const std::string &f : failures)
        std::cerr << printable(f) << "\n";
    const int status = failures.empty() ? 0 : 2;

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
        j.field("leftover_temporaries", int64_t{leftovers.files});
        if (prune) {
            j.field("older_than_hours", limitHours).key("removed");
            entries(removed);
            j.field("leftover_temporaries_removed", int64_t{leftoversRemoved})
                .key("not_removed")
                .beginArray();
            for (const std::string &f : failures)
                j.value(f);
            j.endArray();
        }
        j.endObject();
        std::cout << j.str() << "\n";
        return status;
    }
    auto print = [](const StateEntry &s) {
        std::cout << "  " << printable(fs::path(s.path).filename().string()) << "  " << megabytes(s.bytes)
                  << ", " << writtenAgo(s.hoursOld);
        if (s.readable)
            std::cout << ", step " << s.step << " of " << s.totalSteps << "\n    " << printable(s.network)
                      << "  " << printable(s.evaluator) << "\n    bits: " << printable(s.bits) << "\n";
        else
            std::cout << ", unreadable: " << printable(s.problem) << "\n";
    };
    std::cout << "cache directory " << printable(dir.string()) << "\n";
    uintmax_t keptBytes = 0;
    for (const StateEntry &s : kept)
        keptBytes += s.bytes;
    std::cout << "fine-tuning states (asking the same question again resumes one): " << kept.size() << ", "
              << megabytes(keptBytes) << "\n";
    for (const StateEntry &s : kept)
        print(s);
    if (leftovers.files > 0)
        std::cout << "leftover temporary files of interrupted writes: " << leftovers.files << ", "
                  << megabytes(leftovers.bytes) << "\n";
    if (prune) {
        uintmax_t freed = 0;
        for (const StateEntry &s : removed)
            freed += s.bytes;
        std::cout << "removed " << removed.size() << " written " << hours(limitHours) << " ago or earlier ("
                  << megabytes(freed) << "):\n";
        for (const StateEntry &s : removed)
            print(s);
        if (leftoversRemoved > 0)
            std::cout << "removed " << leftoversRemoved
                      << " leftover temporary files of this host's writers that no longer run\n";
        if (!failures.empty())
            std::cout << "not removed: " << failures.size() << " (each named on stderr)\n";
    }
    return status;
}

} // namespace bitloop::cli
