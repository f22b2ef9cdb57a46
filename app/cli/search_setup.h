// A co-design search as the command line describes it. The CLI and the GUI share it: the GUI's setup is
// an argument list, so every run it starts can be repeated with `bitloop-cli search` and resumed by either.
#pragma once

#include "args.h"

#include "search/codesign.h"
#include "search/nsga2.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace bitloop::cli
{

// "2,3,4" -> {2, 3, 4}; UsageError naming `what` (the option) at a token that is not an integer.
std::vector<int> parseIntList(const std::string &text, const std::string &what);

// Every --pin LAYER:WEIGHT_BITS:ACTIVATION_BITS of `args` as 0-based layer -> bits (a later pin of the
// same layer wins); UsageError on a malformed pin or a layer outside 1..layers of `network`.
std::map<int, LayerBits> parsePins(const Args &args, int layers, const std::string &network);

std::set<std::string> searchValued(); // the options `search` takes
std::set<std::string> searchFlags();

struct SearchSetup {
    search::CodesignSpec spec;
    std::shared_ptr<AccuracyEvaluator> accuracy;
    std::shared_ptr<MapperCache> cache;
    search::Settings settings;
    std::string accuracyResolution; // "28x28" (the dataset's), or empty
    std::string hardwareResolution; // "224x224", or "its file's resolution"
};

// The problem, the evaluator (through the accuracy cache unless --no-cache), the mapper cache and the
// engine's settings. UsageError / InputError / std::invalid_argument on bad settings. Without
// `withCaches` neither the accuracy nor the mapper cache is opened (an MPI worker rank: rank 0 keeps them;
// fine-tuning states are kept on every rank unless --no-cache).
SearchSetup buildSearch(const Args &args, bool withCaches = true);
// settings.yaml of a run: the arguments (what --resume re-reads) and a readable summary.
std::string settingsYaml(const std::vector<std::string> &argv, const SearchSetup &s);
// The arguments of the run in `dir` with the limits (and other options that change no answer) given in
// `now` put over them. InputError when `dir` holds no run.
std::vector<std::string> resumeArguments(const std::vector<std::string> &now, const std::string &dir);

} // namespace bitloop::cli
