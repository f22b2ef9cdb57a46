// bitloop-cli search / search-export: the co-design search from the command line, and exports of its
// front and of any point of it.
#include "commands.h"
#include "inputs.h"
#include "mapper_options.h"
#include "mpi_search.h"
#include "qat_options.h"
#include "search_lifecycle.h"
#include "search_setup.h"

#include "accuracy/accuracy_cache.h"
#include "io/bits_io.h"
#include "io/network_yaml.h"
#include "io/yaml_util.h"
#include "search/codesign_run.h"
#include "search/configuration.h"
#include "util/error.h"
#include "util/json.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>

#include <sys/ioctl.h>
#include <unistd.h>

namespace bitloop::cli
{

namespace
{

namespace fs = std::filesystem;
using namespace search;

std::string formatSeconds(double s)
{
    char b[32];
    if (s < 0)
        return "?";
    if (s < 120)
        std::snprintf(b, sizeof b, "%.0f s", s);
    else if (s < 7200)
        std::snprintf(b, sizeof b, "%.1f min", s / 60);
    else
        std::snprintf(b, sizeof b, "%.1f h", s / 3600);
    return b;
}

} // namespace

int runAndReport(OpenedSearch &o, CandidateEvaluator *evaluator, int ranks)
{
    const SearchSetup &s = *o.setup;
    InterruptGuard interrupts; // from the first line on, Ctrl-C stops the run as its last line says
    std::printf("%s %s on %s: %zu layers (hardware at %s%s), objectives",
                o.resuming ? "Resuming" : "Searching", s.spec.network.name.c_str(), s.spec.arch.name.c_str(),
                s.spec.network.layers.size(), s.hardwareResolution.c_str(),
                s.accuracyResolution.empty() ? "" : (", accuracy at " + s.accuracyResolution).c_str());
    for (Objective obj : s.spec.objectives)
        std::printf(" %s", objectiveName(obj));
    std::printf(", population %d, seed %llu -> %s", s.settings.populationSize,
                static_cast<unsigned long long>(s.settings.seed), o.dir.c_str());
    if (ranks > 1)
        std::printf(" (MPI: %d ranks, %d answering)", ranks, ranks - 1);
    std::printf("\n");
    std::fflush(stdout);

    // Inside a generation: a fine-tuning that resumes from a saved state is said once (its seconds include
    // an earlier run's), and on a terminal one line follows the candidate under way.
    const bool terminal = isatty(fileno(stderr)) != 0;
    std::mutex workMutex;
    bool lineShown = false;
    CodesignProblem::BatchProgress seen, shown; // the last report, and the last one on the line
    auto lastLine = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    const auto clearLine = [&] {
        if (lineShown)
            std::fputs("\r\033[K", stderr); // back to the line's start, erase to its end
        lineShown = false;
    };
    // onWork refers to this function's locals: unset when it returns, or throws.
    struct Unset {
        CodesignProblem *p;
        ~Unset()
        {
            if (p)
                p->onWork = nullptr;
        }
    } unset{o.problem.get()};
    if (o.problem)
        o.problem->onWork = [&](const CodesignProblem::BatchProgress &b) {
            std::lock_guard<std::mutex> lock(workMutex);
            // Reports come in order, and a candidate's resumed step is set in one of them: say it then.
            const bool resumedNow =
                b.resumedAtStep >= 0 && (seen.resumedAtStep < 0 || seen.accuracyDone != b.accuracyDone);
            seen = b;
            if (resumedNow) {
                clearLine();
                std::fprintf(
                    stderr,
                    "candidate %d of %d: fine-tuning resumed at step %lld of %lld from its saved state\n",
                    b.accuracyDone + 1, b.candidates, static_cast<long long>(b.resumedAtStep),
                    static_cast<long long>(b.phaseTotal));
            }
            // A new candidate or phase at once, step counts at most every second.
            const auto now = std::chrono::steady_clock::now();
            if (!terminal || (!candidateWorkChanged(shown, b) && now - lastLine < std::chrono::seconds(1)))
                return;
            lastLine = now;
            shown = b;
            const std::string work = describeCandidateWork(b);
            clearLine();
            if (!work.empty()) {
                // One row: cut to the terminal's width, so that \r returns to the line's own start.
                winsize w{};
                const int columns =
                    ioctl(fileno(stderr), TIOCGWINSZ, &w) == 0 && w.ws_col > 1 ? w.ws_col : 80;
                std::fprintf(stderr, "%.*s", columns - 1, work.c_str());
                lineShown = true;
            }
        };
    const RunOutcome out = runOpenedSearch(
        o,
        [&](const GenerationRecord &g, const Progress &p) {
            {
                std::lock_guard<std::mutex> lock(workMutex);
                clearLine();
            }
            std::printf("gen %3d  evals %6lld  hv %.6g  front %3zu  mapper %7.1f s  accuracy %7.1f s  "
                        "algorithm %.2f ms  elapsed %s  left %s\n",
                        g.generation, g.evaluations, g.hypervolume, g.frontSize, g.mapperSeconds,
                        g.accuracySeconds, g.algorithmSeconds * 1e3, formatSeconds(p.elapsedSeconds).c_str(),
                        formatSeconds(p.secondsLeft).c_str());
            std::fflush(stdout);
        },
        {}, &gInterrupted, evaluator);
    {
        std::lock_guard<std::mutex> lock(workMutex);
        clearLine();
    }
    // Generation -1: stopped while the first was being evaluated, nothing of it stored.
    const std::string when = out.generation < 0 ? "before the first generation"
                                                : "after generation " + std::to_string(out.generation);
    std::printf("%s %s (%lld evaluations): %s. Busy time this session: mapper %.1f s, "
                "accuracy %.1f s, algorithm %.2f ms; wall %.1f s.\n",
                out.reason == StopReason::Cancelled ? "Stopped" : "Done", when.c_str(), out.evaluations,
                toString(out.reason), out.mapperSeconds, out.accuracySeconds, out.algorithmSeconds * 1e3,
                out.wallSeconds);
    const RunDirectory &rd = *o.run;
    if (fs::exists(rd.file("front.csv")))
        std::printf("Front: %zu points in %s and %s\n",
                    readFrontCsv(rd.file("front.csv"), s.spec.objectives.size()).size(),
                    rd.file("front.csv").c_str(), rd.file("front.json").c_str());
    if (out.reason == StopReason::Cancelled)
        std::printf("Continue with: bitloop-cli search --resume %s\n", o.dir.c_str());
    return 0;
}

int runSearchHere(const std::vector<std::string> &given)
{
    OpenedSearch o = openSearch(given, "continue it with --resume DIR or choose another --out");
    return runAndReport(o, nullptr, 1);
}

int runSearch(const std::vector<std::string> &given)
{
    if (launchedAsMpiJob()) {
#ifdef BITLOOP_WITH_MPI
        return runSearchMpi(given);
#else
        const char *size = std::getenv("OMPI_COMM_WORLD_SIZE");
        if (!size || std::string(size) != "1")
            throw UsageError("started by an MPI launcher, but this bitloop-cli was built without MPI "
                             "(install libopenmpi-dev and rebuild); every rank would run the whole search");
#endif
    }
    return runSearchHere(given);
}

int runSearchExport(const std::vector<std::string> &argvIn)
{
    const Args own(argvIn, {"run", "point", "bits", "out", "reuse-mapping-from-bits"}, {"json", "no-onnx"});
    const std::string dir = own.require("run");
    const std::string outDir = own.require("out");
    std::vector<std::string> argv = resumeArguments({"--resume", dir}, dir);
    const Args args(argv, searchValued(), searchFlags());
    SearchSetup s = buildSearch(args);
    CodesignProblem problem(s.spec, s.accuracy, s.cache);
    // Read only: a run that another process is still writing can be exported from as it stands.
    const std::unique_ptr<RunDirectory> opened = RunDirectory::openToRead(dir);
    const RunDirectory &rd = *opened;

    BitConfig bits;
    if (auto b = own.get("bits")) {
        bits = readBitsFile(*b).layers; // a bits file, or a configuration exported earlier
        if (bits.size() != s.spec.network.layers.size())
            throw InputError(*b, 0,
                             "gives bits for " + std::to_string(bits.size()) + " layers, " +
                                 s.spec.network.name + " has " +
                                 std::to_string(s.spec.network.layers.size()));
    } else {
        const auto rows = readFrontCsv(rd.file("front.csv"), s.spec.objectives.size());
        const int64_t k = own.integer("point", 1, INT64_MAX).value_or(1);
        if (k > static_cast<int64_t>(rows.size()))
            throw UsageError("--point " + std::to_string(k) + ": the front has " +
                             std::to_string(rows.size()) + " points (counted from 1, in front.csv's order)");
        bits = rows[static_cast<size_t>(k - 1)].bits;
    }
    CandidateCost cost = problem.cost(bits);
    NetworkMapping nm;
    // The flow that maps once at a uniform width and quantizes afterwards, for comparison.
    if (const int reuse = static_cast<int>(own.integer("reuse-mapping-from-bits", 1, 32).value_or(0))) {
        NetworkMapperOptions o;
        o.mapper = s.spec.mapper;
        o.reuseMappingFromBits = reuse;
        nm = mapNetwork(s.spec.network, s.spec.arch, chainBits(s.spec.network, bits, s.spec.lastOutputBits),
                        o, s.cache.get());
        cost.energyPj = nm.energy;
        cost.cycles = nm.cycles;
    } else {
        nm = problem.mappings(bits);
    }
    exportConfiguration(outDir, s.spec, bits, cost, nm);
    if (fs::exists(rd.file("front.csv")))
        fs::copy_file(rd.file("front.csv"), fs::path(outDir) / "front.csv",
                      fs::copy_options::overwrite_existing);
    // The model itself, quantized, as the run's evaluator prepares it (fine-tuned again where it fine-tunes:
    // the accuracy cache keeps figures, not weights).
    const bool onnx = s.accuracy && s.accuracy->hasModel() && !own.flag("no-onnx");
    AccuracyResult model;
    const std::string onnxPath = (fs::path(outDir) / "model.onnx").string();
    if (onnx) {
        if (!own.flag("json"))
            std::printf("Preparing the model with the %s evaluator for model.onnx ...\n",
                        evaluatorName(s.accuracy->settings().kind));
        std::fflush(stdout);
        model = s.accuracy->exportModel(bits, onnxPath);
    }
    if (own.flag("json")) {
        JsonWriter j;
        j.beginObject().field("bits", formatBitConfig(bits)).field("energy_pj", cost.energyPj);
        j.field("cycles", cost.cycles)
            .field("weight_bytes", cost.weightBytes)
            .field("accuracy", cost.accuracy);
        j.field("all_mapped", nm.allFound).field("out", outDir);
        if (onnx)
            j.field("onnx", onnxPath)
                .field("onnx_accuracy", model.accuracy)
                .field("onnx_images", model.images);
        j.endObject();
        std::cout << j.str() << "\n";
    } else {
        std::printf(
            "Exported %s (%s) to %s: config.yaml, per-layer Bitloop and Timeloop mappings, front.csv\n",
            formatBitConfig(bits).c_str(), s.spec.network.name.c_str(), outDir.c_str());
        if (onnx)
            std::printf(
                "model.onnx: quantized (QuantizeLinear/DequantizeLinear), top-1 %.4f on %lld images as "
                "prepared here\n",
                model.accuracy, static_cast<long long>(model.images));
    }
    return 0;
}

} // namespace bitloop::cli
