// libFuzzer harnesses for every file reader (issue 14): one program per reader, picked by the program's
// name (fuzz_architecture, fuzz_problem, ...), all built from this file under ASan and UBSan by
// BITLOOP_FUZZ (tests/fuzz/run.sh). A reader may refuse its input with any std::exception (the CLI turns
// it into exit 2 and one line); what must never happen is a crash, a sanitizer report, a hang or another
// kind of throw.
#include "io/arch_io.h"
#include "io/bits_io.h"
#include "io/constraints_io.h"
#include "io/mapping_io.h"
#include "io/network_yaml.h"
#include "io/onnx_network.h"
#include "io/problem_io.h"
#include "qat/session.h"
#include "search/codesign_run.h"
#include "search/nsga2.h"
#include "search/run_dir.h"
#include "search/test_problems.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace bitloop;

namespace
{

std::string g_target; // what this program fuzzes
std::string g_file;   // the input, as a file for the readers that take a path

const Architecture &eyeriss()
{
    static const Architecture a =
        loadArchitecture(std::string(BITLOOP_SOURCE_PRESET_DIR) + "/eyeriss16.yaml");
    return a;
}

// The engine's part of a run's checkpoint.txt, for the problem the seeds were saved for (ZDT1 with 30
// variables, population 8).
void restoreZdt1(const std::string &state)
{
    search::Settings settings;
    settings.populationSize = 8;
    settings.maxGenerations = 1;
    settings.referencePoint = {1.1, 1.1};
    search::Nsga2::restore(search::zdt1(30).spec, settings, state);
}

void readAs(const std::string &target, const std::string &text)
{
    if (target == "network") {
        parseNetworkYaml(text, "fuzz.yaml");
        return;
    }
    if (target == "checkpoint_info") {
        qat::parseCheckpointInfo(text, "fuzz.yaml");
        return;
    }
    if (target == "supernet_info") {
        qat::parseSupernetInfo(text, "fuzz.yaml");
        return;
    }
    if (target == "run_checkpoint") {
        // A run's checkpoint.txt: the header checked against a fixed fingerprint, then the engine's state
        // (the problem of the nsga2_state seeds).
        long long individuals = -1;
        restoreZdt1(search::checkpointEngineState(
            text, {{"objectives", "error,energy"}, {"population", "8"}, {"accuracy", "none"}},
            "checkpoint.txt", individuals));
        return;
    }
    if (target == "nsga2_state") {
        restoreZdt1(text);
        return;
    }
    {
        std::ofstream out(g_file, std::ios::binary | std::ios::trunc);
        out << text;
    }
    if (target == "architecture") {
        loadArchitecture(g_file);
    } else if (target == "ert") {
        Architecture a = eyeriss();
        applyErt(a, g_file);
    } else if (target == "constraints") {
        readConstraints(g_file, eyeriss());
    } else if (target == "problem") {
        loadProblem(g_file);
    } else if (target == "mapping") {
        loadMapping(g_file, eyeriss());
    } else if (target == "bits") {
        readBitsFile(g_file);
    } else if (target == "front_csv") {
        search::readFrontCsv(g_file, 3);
    } else if (target == "onnx") {
        std::vector<OnnxLayerWeights> weights; // the weights and a quantized graph's widths and steps too
        readOnnxNetwork(g_file, &weights);
    } else if (target == "run_settings") {
        search::readRunArguments(g_file);
    } else {
        std::fprintf(stderr, "fuzz_readers: no reader named '%s'\n", target.c_str());
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    std::string name = (*argv)[0];
    name = name.substr(name.find_last_of('/') + 1);
    g_target = name.rfind("fuzz_", 0) == 0 ? name.substr(5) : name;
    g_file = "/tmp/bitloop-fuzz-" + g_target + "-" + std::to_string(getpid()) + ".yaml";
    eyeriss();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try {
        readAs(g_target, std::string(reinterpret_cast<const char *>(data), size));
    } catch (const std::exception &) {
        // refused: what a reader may do
    }
    return 0;
}
