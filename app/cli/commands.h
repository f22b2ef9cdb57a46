// The bitloop-cli subcommands. Each returns the process exit status: 0 success (a valid mapping),
// 1 an invalid mapping, 2 bad input (printed as one line naming the file and what was wrong).
#pragma once

#include <string>
#include <vector>

namespace bitloop::cli
{

int runEvaluate(const std::vector<std::string> &args);
int runLayers(const std::vector<std::string> &args);
int runPresets(const std::vector<std::string> &args);
int runMap(const std::vector<std::string> &args);
int runMapNetwork(const std::vector<std::string> &args);

} // namespace bitloop::cli
