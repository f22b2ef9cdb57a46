// bitloop-cli: every number Bitloop shows, reproducible from the command line.
#include "args.h"
#include "commands.h"

#include "util/error.h"

#include <filesystem>
#include <iostream>

namespace
{

const char *kUsage = R"(usage: bitloop-cli COMMAND [OPTIONS]

Commands:
  evaluate   cost of one layer under one mapping
             --arch NAME|FILE [--ert FILE] [--constraints FILE ...]
             (--problem FILE | --network NAME|FILE --layer INDEX [--width X --resolution N --classes N])
             --mapping FILE [--wbits N] [--abits N] [--obits N]
             [--first-psum fork|elide] [--scale-mac-energy] [--check-search-constraints] [--json]
  map        the best mapping of one layer at given bit-widths
             --arch ... (--problem FILE | --network ... --layer INDEX) [--wbits N --abits N --obits N]
             [--metric energy|delay|edp] [--strategy auto|exhaustive|sampled] [--budget N] [--seed N]
             [--threads N] [--count-valid] [--reuse-mapping-from-bits B] [--no-search-constraints]
             [--no-cache] [--cache-dir DIR] [--first-psum fork|elide] [--json]
  map-network  every layer of a network under its best mapping, network totals
             --arch ... --network NAME|FILE (--wbits N --abits N [--obits N] | --bits FILE)
             [--out DIR] [--reuse-mapping-from-bits B] and the map options above
  layers     the layers of a network: --network NAME|FILE [--width X --resolution N --classes N]
  presets    the architectures that ship with Bitloop

Architectures and problems may be Bitloop or Timeloop v0.3 YAML. Layer indices count from 1.
Exit status: 0 success (valid mapping), 1 invalid mapping, 2 bad input.
)";

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "help") {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "evaluate")
            return bitloop::cli::runEvaluate(args);
        if (command == "map")
            return bitloop::cli::runMap(args);
        if (command == "map-network")
            return bitloop::cli::runMapNetwork(args);
        if (command == "layers")
            return bitloop::cli::runLayers(args);
        if (command == "presets")
            return bitloop::cli::runPresets(args);
        std::cerr << "bitloop-cli: unknown command '" << command << "'\n" << kUsage;
        return 2;
    } catch (const bitloop::cli::UsageError &e) {
        std::cerr << "bitloop-cli " << command << ": " << e.what() << "\n";
        return 2;
    } catch (const bitloop::InputError &e) {
        std::cerr << "bitloop-cli " << command << ": " << e.what() << "\n";
        return 2;
    } catch (const std::filesystem::filesystem_error &e) {
        std::cerr << "bitloop-cli " << command << ": " << e.what() << "\n";
        return 2;
    } catch (const std::invalid_argument &e) {
        std::cerr << "bitloop-cli " << command << ": " << e.what() << "\n";
        return 2;
    }
}
