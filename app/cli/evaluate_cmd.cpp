// bitloop-cli evaluate: the cost of one layer under one mapping, from Bitloop or Timeloop files.
#include "commands.h"
#include "inputs.h"
#include "mapper_options.h"

#include "io/evaluation_report.h"
#include "io/mapping_io.h"
#include "mapping/mapping.h"
#include "util/json.h"

#include <iostream>

namespace bitloop::cli
{

int runEvaluate(const std::vector<std::string> &argv)
{
    std::set<std::string> valued = {"mapping", "first-psum"};
    valued.insert(kArchOptions.begin(), kArchOptions.end());
    valued.insert(kLayerOptions.begin(), kLayerOptions.end());
    valued.insert(kBitOptions.begin(), kBitOptions.end());
    const Args args(argv, valued, {"json", "scale-mac-energy", "check-search-constraints"});

    const Architecture arch = resolveArchitecture(args);
    std::optional<BitWidths> fileBits;
    const Layer layer = resolveLayer(args, fileBits);
    const BitWidths bits = resolveBits(args, fileBits);
    // As in map: a width no level can hold is a usage error (2), not an invalid mapping (1).
    checkBitsFit(arch, bits);
    const Mapping mapping = loadMapping(args.require("mapping"), arch);

    ModelOptions opt = resolveModelOptions(args);
    opt.checkSearchConstraints = args.flag("check-search-constraints");

    const Evaluation ev = evaluate(layer.shape, arch, mapping, bits, opt);
    if (args.flag("json")) {
        JsonWriter json;
        json.beginObject().field("architecture", arch.name).field("layer", layer.name);
        writeEvaluationJson(json, ev);
        json.endObject();
        std::cout << json.str() << "\n";
    } else {
        std::cout << "Architecture   " << arch.name << "\nLayer          " << layer.name
                  << (layer.name.empty() ? "" : "  ") << layer.describe() << "\n\n"
                  << formatLoopNest(arch, mapping) << "\n"
                  << formatEvaluation(ev);
    }
    return ev.valid ? 0 : 1;
}

} // namespace bitloop::cli
