// bitloop-cli-qat: the bitloop-cli commands that need LibTorch, started by bitloop-cli (see commands.h).
#include "commands.h"
#include "qat/threads.h"

#include <iostream>

int main(int argc, char **argv)
{
    bitloop::qat::keepFreedMemory(); // before any thread allocates
    if (argc < 2) {
        std::cerr
            << "usage: bitloop-cli train|import|train-supernet|accuracy|search|search-export|cache [OPTIONS] (see "
               "bitloop-cli --help)\n";
        return 2;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    return bitloop::cli::runGuarded(command, [&] {
        if (command == "train")
            return bitloop::cli::runTrain(args);
        if (command == "import")
            return bitloop::cli::runImport(args);
        if (command == "train-supernet")
            return bitloop::cli::runTrainSupernet(args);
        if (command == "accuracy")
            return bitloop::cli::runAccuracy(args);
        if (command == "search")
            return bitloop::cli::runSearch(args);
        if (command == "search-export")
            return bitloop::cli::runSearchExport(args);
        if (command == "cache")
            return bitloop::cli::runCache(args);
        std::cerr << "bitloop-cli: unknown command '" << command << "'\n";
        return 2;
    });
}
