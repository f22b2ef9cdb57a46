// What every bitloop-cli command shares: errors of bad input as one line and status 2, and the hand-over
// of the LibTorch commands to bitloop-cli-qat.
#include "args.h"
#include "commands.h"

#include "util/error.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <new>

namespace bitloop::cli
{

namespace
{

// One line, whatever the message holds: control bytes escaped, and cut where it runs on.
std::string oneLine(const char *what)
{
    std::string s = printable(what);
    if (s.size() > InputError::kMaxMessage)
        s = s.substr(0, InputError::kMaxMessage) + " ... (message cut)";
    return s;
}

} // namespace

int runGuarded(const std::string &command, const std::function<int()> &run)
{
    try {
        return run();
    } catch (const UsageError &e) {
        std::cerr << "bitloop-cli " << command << ": " << oneLine(e.what()) << "\n";
    } catch (const InputError &e) {
        std::cerr << "bitloop-cli " << command << ": " << oneLine(e.what()) << "\n";
    } catch (const std::filesystem::filesystem_error &e) {
        std::cerr << "bitloop-cli " << command << ": " << oneLine(e.what()) << "\n";
    } catch (const std::invalid_argument &e) {
        std::cerr << "bitloop-cli " << command << ": " << oneLine(e.what()) << "\n";
    } catch (const std::runtime_error &e) { // a cache that cannot be opened, and the like
        std::cerr << "bitloop-cli " << command << ": " << oneLine(e.what()) << "\n";
    } catch (const std::bad_alloc &) {
        // Input that asks for more memory than there is (a huge layer, a document that expands) is bad
        // input too; the readers bound what they know of, this is the net under the rest.
        std::cerr << "bitloop-cli " << command
                  << ": out of memory (is an input file or value far too large?)\n";
    }
    return 2;
}

bool isQatCommand(const std::string &command)
{
    return command == "train" || command == "import" || command == "train-supernet" ||
           command == "accuracy" || command == "search" || command == "search-export" || command == "cache";
}

int forwardToQat(char **argv, bool builtWithTorch)
{
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    const std::filesystem::path qat =
        (ec ? std::filesystem::path(argv[0]) : self).parent_path() / "bitloop-cli-qat";
    // LibTorch's OpenMP threads spin while they wait; beside any other busy thread (the mapper, another run)
    // two of them on two cores took 443 s for a training that takes 21 s when they sleep instead
    // (docs/benchmarks.md §9, twenty-third session). libgomp reads this once, when it is loaded, so it is set
    // here for the child; a value the user gave is kept.
    setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    std::cout.flush();
    execv(qat.c_str(), argv);
    std::cerr
        << "bitloop-cli " << argv[1] << ": cannot start " << qat.string() << ": " << std::strerror(errno)
        << (errno != ENOENT ? ""
            : builtWithTorch
                ? " (bitloop-cli-qat runs the LibTorch commands; it is built beside bitloop-cli and must be "
                  "copied or installed with it)"
                : " (this build has no LibTorch: BITLOOP_WITH_TORCH=OFF)")
        << "\n";
    return 2;
}

} // namespace bitloop::cli
