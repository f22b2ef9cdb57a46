// bitloop-cli: every number Bitloop shows, reproducible from the command line.
#include "args.h"
#include "commands.h"

#include <algorithm>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace
{

#ifdef BITLOOP_CLI_HAS_QAT
constexpr bool kBuiltWithTorch = true;
#else
constexpr bool kBuiltWithTorch = false;
#endif

const char *kUsage = R"(usage: bitloop-cli COMMAND [OPTIONS]

Commands:
  evaluate   cost of one layer under one mapping
             --arch NAME|FILE [--ert FILE] [--constraints FILE ...]
             (--problem FILE | --network NAME|FILE|ONNX --layer INDEX [--width X --resolution N --classes N])
             --mapping FILE [--wbits N] [--abits N] [--obits N]
             [--first-psum fork|elide] [--scale-mac-energy] [--check-search-constraints] [--json]
  map        the best mapping of one layer at given bit-widths
             --arch ... (--problem FILE | --network ... --layer INDEX) [--wbits N --abits N --obits N]
             [--metric energy|delay|edp] [--strategy auto|exhaustive|sampled] [--budget N] [--seed N]
             [--threads N] [--count-valid] [--reuse-mapping-from-bits B] [--no-search-constraints]
             [--no-cache] [--cache-dir DIR] [--first-psum fork|elide] [--scale-mac-energy] [--json]
  map-network  every layer of a network under its best mapping, network totals
             --arch ... --network NAME|FILE|ONNX [--width X --resolution N --classes N
             --input-channels N] (--wbits N --abits N [--obits N] | --bits FILE)
             [--out DIR] [--reuse-mapping-from-bits B] and the map options above
  train      a float baseline on a dataset, written to a checkpoint that records how it was made
             --network NAME|FILE|ONNX [--width X] [--dataset SPEC] [--epochs N] --out FILE
             [--batch N] [--lr X] [--optimizer sgd|adam] [--weight-decay X] [--seed N] [--augment]
             [--validation-fraction F] [--split-seed N] [--train-limit N] [--validation-limit N]
             [--test-limit N] [--small-input|--standard-input] [--threads N] [--json]
             datasets: fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, folder:DIR[:HxW]
  import     a float checkpoint from an ONNX model's own weights instead of training (its accuracy measured)
             --onnx FILE --out FILE [--dataset SPEC] [--mean X,.. --std X,.. (the training images')]
             [--validation-fraction F] [--split-seed N] [--train-limit N] [--validation-limit N]
             [--test-limit N] [--threads N] [--json]
  train-supernet  one supernet over every per-layer width, trained once from a float checkpoint
             --checkpoint FILE [--allowed-bits 2,3,4,5,6,7,8] [--out FILE (CHECKPOINT.supernet.pt)]
             [--epochs N (8) | --steps N] [--batch N] [--lr X] [--random-configs K (2)]
             [--sampling per-layer|by-mean|per-layer+narrow (per-layer+narrow)] [--activation-scale mse|auto (mse)]
             [--teacher float|widest] [--temperature T] [--distill-weight W] [--calibration-batches N]
             [--seed N] [--threads N] [--train-limit N] [--dataset SPEC] [--state-every STEPS (200)]
             [--weight-scale max|mse|max-full|mse-full (max)] [--image-input pixels|normalized (pixels)] [--resume] [--json]
  accuracy   top-1 accuracy of a bit configuration from a checkpoint written by train
             --checkpoint FILE (--wbits N --abits N | --bits FILE) [--pin LAYER:W:A ...]
             [--evaluator ptq|qat-short|qat|supernet] [--supernet FILE (CHECKPOINT.supernet.pt)]
             [--start float|supernet (qat-short, qat: fine-tune from the float weights, or from the
                                      supernet's weights and learned steps; float)]
             [--steps N] [--epochs N] [--calibration-batches N] [--batch N] [--lr X]
             [--no-distill] [--temperature T (2)] [--distill-weight W (0.5)]
             [--bn-batches N (BatchNorm re-estimated on N x batch images in one pass: supernet per candidate, 8;
                              qat after fine-tuning, 0: off)]
             [--weight-scale max|mse|max-full|mse-full (max)] [--image-input pixels|normalized (pixels)]
             [--max-grad-norm X (25; 0: off)] [--activation-scale mse|auto (mse)] [--step-lr-scale X (1)]
             [--evaluator-seed N] [--test] [--limit N] [--train-limit N]
             [--state-every STEPS (qat-short, qat: a resumable fine-tuning state in CACHE_DIR/training-state
                                   every STEPS steps and on Ctrl-C, 500; 0: off)]
             [--dataset SPEC] [--threads N] [--no-cache] [--cache-dir DIR] [--json]
  search     NSGA-II over per-layer bit-widths: error (from the checkpoint's evaluator), energy (the best
             mapping of every layer at exactly those widths) and weight memory; writes a run directory
             --arch ... --network NAME|FILE|ONNX [--width X] [--resolution N (hardware side, 224)] [--classes N]
             [--checkpoint FILE --evaluator ptq|qat-short|qat|supernet and the accuracy options above]
             --out DIR [--population N (40)] [--generations N (20)] [--seed N]
             [--objectives error,energy,memory|edp|cycles] [--allowed-bits 2,3,4,5,6,7,8]
             [--allowed-weight-bits LIST] [--allowed-activation-bits LIST (each tensor's own set;
                                                                  --allowed-bits otherwise)]
             [--pin LAYER:W:A ...] [--pin-mapping LAYER:MAPPING.yaml ...]
             [--max-error X] [--max-memory BYTES] [--max-energy UJ]
             [--max-evaluations N] [--max-seconds S] [--stagnation GENERATIONS] [--torch-threads N]
             [--last-outputs BITS (8: the classifier's outputs)]
             [--warm-start RUN_DIR (start from that run's configurations, best under this run's objectives
             and bounds first)]
             and the map options; or --resume DIR [--generations N ...] to continue a run
  search-export  a point of a run's front (or --bits FILE) as config.yaml with per-layer mappings
             (Bitloop and Timeloop files), the front, and model.onnx: the quantized model as the run's
             evaluator prepares it: --run DIR [--point K (1) | --bits FILE] --out DIR
             [--reuse-mapping-from-bits B (each layer mapped at uniform B bits instead)] [--no-onnx] [--json]
  cache      the fine-tuning states kept in the cache directory (a stopped qat resumes from its state when
             the same question is asked again): [--cache-dir DIR] [--prune-states [--older-than HOURS (24)]:
             remove those written that long ago or earlier, which no run came back for] [--json]
  layers     the layers of a network: --network NAME|FILE|ONNX [--width X --resolution N --classes N]
             [--out FILE.yaml: write it as a Bitloop network file]
  presets    the architectures that ship with Bitloop

Architectures and problems may be Bitloop or Timeloop v0.3 YAML. Layer indices count from 1.
Exit status: 0 success (valid mapping), 1 invalid mapping, 2 bad input.
)";

// The commands the usage lists, in order, each with its block of lines (a command's name starts a line
// after two spaces; the lines indented further belong to it).
std::vector<std::pair<std::string, std::string>> commandBlocks()
{
    std::vector<std::pair<std::string, std::string>> blocks;
    std::istringstream in(kUsage);
    bool inCommands = false;
    for (std::string line; std::getline(in, line);) {
        if (line == "Commands:") {
            inCommands = true;
            continue;
        }
        if (!inCommands)
            continue;
        if (line.empty())
            break;
        if (line.size() > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ')
            blocks.push_back({line.substr(2, line.find(' ', 2) - 2), ""});
        if (!blocks.empty())
            blocks.back().second += line + "\n";
    }
    return blocks;
}

bool isHelp(const std::string &a)
{
    return a == "--help" || a == "-h";
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2 || isHelp(argv[1]) || std::string(argv[1]) == "help") {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    if (std::string(argv[1]) == "--version") {
        std::cout << "bitloop-cli " << BITLOOP_VERSION << "\n";
        return 0;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    const auto blocks = commandBlocks();
    // COMMAND --help / -h: that command's usage on stdout, exit 0 (whatever else the line holds).
    if (std::any_of(args.begin(), args.end(), isHelp))
        for (const auto &[name, text] : blocks)
            if (name == command) {
                std::cout << "usage: bitloop-cli " << command << " [OPTIONS]\n\n"
                          << text
                          << "\nExit status: 0 success (valid mapping), 1 invalid mapping, 2 bad input.\n";
                return 0;
            }
    return bitloop::cli::runGuarded(command, [&] {
        if (command == "evaluate")
            return bitloop::cli::runEvaluate(args);
        if (command == "map")
            return bitloop::cli::runMap(args);
        if (command == "map-network")
            return bitloop::cli::runMapNetwork(args);
        if (bitloop::cli::isQatCommand(command))
            return bitloop::cli::forwardToQat(argv, kBuiltWithTorch);
        if (command == "layers")
            return bitloop::cli::runLayers(args);
        if (command == "presets")
            return bitloop::cli::runPresets(args);
        std::string nearest;
        size_t best = 3; // farther than two edits is no suggestion
        for (const auto &block : blocks)
            if (const size_t d = bitloop::cli::editDistance(command, block.first); d < best) {
                best = d;
                nearest = block.first;
            }
        std::cerr << "bitloop-cli: unknown command '" << command << "'"
                  << (nearest.empty() ? std::string() : "; did you mean '" + nearest + "'?")
                  << " (bitloop-cli --help lists them)\n";
        return 2;
    });
}
