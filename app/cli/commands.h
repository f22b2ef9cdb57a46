// The bitloop-cli subcommands. Each returns the process exit status: 0 success (a valid mapping),
// 1 an invalid mapping, 2 bad input (printed as one line naming the file and what was wrong).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace bitloop::search
{
class CandidateEvaluator;
}

namespace bitloop::cli
{

int runEvaluate(const std::vector<std::string> &args);
int runLayers(const std::vector<std::string> &args);
int runPresets(const std::vector<std::string> &args);
int runMap(const std::vector<std::string> &args);
int runMapNetwork(const std::vector<std::string> &args);

// The commands that need LibTorch (train, accuracy, search, search-export) live in bitloop-cli-qat, next to
// bitloop-cli, so that the other commands start without loading it (about half a second). bitloop-cli
// forwards them there.
bool isQatCommand(const std::string &command);
// Replaces this process with bitloop-cli-qat and the same arguments; returns 2 (with a message) when it
// cannot be started: a build without LibTorch has none, and a copied bitloop-cli may have left it behind.
int forwardToQat(char **argv, bool builtWithTorch);
int runTrain(const std::vector<std::string> &args);
int runImport(const std::vector<std::string> &args);
int runTrainSupernet(const std::vector<std::string> &args);
int runAccuracy(const std::vector<std::string> &args);
int runSearch(const std::vector<std::string> &args);
// The search in this process (runSearch unless an MPI launcher started it), and the reporting part of it
// for a run already opened (search_lifecycle.h), costed through `evaluator` when given (MPI's rank 0).
int runSearchHere(const std::vector<std::string> &given);
struct OpenedSearch;
int runAndReport(OpenedSearch &opened, search::CandidateEvaluator *evaluator, int ranks);
int runSearchExport(const std::vector<std::string> &args);
// What the cache directory holds; --prune-states removes fine-tuning states no run came back for.
int runCache(const std::vector<std::string> &args);

// Runs a command, turning the errors of bad input into one line on stderr and exit status 2.
int runGuarded(const std::string &command, const std::function<int()> &run);

} // namespace bitloop::cli
