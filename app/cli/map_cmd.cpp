// bitloop-cli map: the best mapping of one layer at given bit-widths.
#include "commands.h"
#include "inputs.h"
#include "mapper_options.h"

#include "io/evaluation_report.h"
#include "mapping/mapping.h"
#include "util/json.h"

#include <cstdio>
#include <iostream>

namespace bitloop::cli
{

int runMap(const std::vector<std::string> &argv)
{
    std::set<std::string> valued = kMapperValued;
    valued.insert(kArchOptions.begin(), kArchOptions.end());
    valued.insert(kLayerOptions.begin(), kLayerOptions.end());
    valued.insert(kBitOptions.begin(), kBitOptions.end());
    valued.insert("reuse-mapping-from-bits");
    std::set<std::string> flags = kMapperFlags;
    flags.insert({"json", "count-valid"});
    const Args args(argv, valued, flags);

    const Architecture arch = resolveArchitecture(args);
    std::optional<BitWidths> fileBits;
    const Layer layer = resolveLayer(args, fileBits);
    const BitWidths bits = resolveBits(args, fileBits);
    MapperOptions opt = resolveMapperOptions(args);
    // Counting every valid mapping needs the whole space walked.
    if (args.flag("count-valid")) {
        opt.strategy = Strategy::Exhaustive;
        opt.countValid = true;
    }
    checkBitsFit(arch, bits);
    const auto reuse = args.integer("reuse-mapping-from-bits", 1, 32);
    if (reuse)
        checkBitsFit(arch, BitWidths::uniform(int(*reuse)), "--reuse-mapping-from-bits: ");
    auto cache = openCache(args);

    bool cached = false;
    MapperResult r;
    try {
        r = findBestMappingCached(cache.get(), layer.shape, arch,
                                  reuse ? BitWidths::uniform(int(*reuse)) : bits, opt, &cached);
    } catch (const std::invalid_argument &e) {
        throw UsageError(std::string("no mapping can satisfy the constraints: ") + e.what());
    }
    if (reuse && r.found) {
        r.evaluation = evaluate(layer.shape, arch, r.mapping, bits, opt.model);
        r.found = r.evaluation.valid;
    }

    if (args.flag("json")) {
        JsonWriter json;
        json.beginObject().field("architecture", arch.name).field("layer", layer.name);
        json.field("found", r.found);
        if (r.found)
            writeEvaluationJson(json, r.evaluation);
        json.key("mapping");
        if (r.found)
            writeMappingJson(json, arch, r.mapping);
        else
            json.null();
        json.key("valid_mappings"); // null: the walk pruned, so not every valid mapping was seen
        if (r.validMappings >= 0)
            json.value(r.validMappings);
        else
            json.null();
        json.field("visited", r.visited).field("pruned", r.pruned).field("seconds", r.seconds);
        json.field("optimal", r.optimal).field("strategy", strategyName(r.strategy)).field("cached", cached);
        json.field("mapspace_factorizations", r.spaceSize).field("metric", metricName(opt.metric));
        if (reuse)
            json.field("mapping_from_bits", *reuse);
        if (!r.note.empty())
            json.field("note", r.note);
        json.endObject();
        std::cout << json.str() << "\n";
    } else {
        std::cout << "Architecture   " << arch.name << "\nLayer          " << layer.name
                  << (layer.name.empty() ? "" : "  ") << layer.describe() << "\n";
        if (!r.note.empty())
            std::cout << "Note           " << r.note << "\n";
        if (reuse)
            std::cout << "Mapping        the best at uniform " << *reuse << " bits, evaluated at W"
                      << bits.of(Tensor::Weights) << " I" << bits.of(Tensor::Inputs) << " O"
                      << bits.of(Tensor::Outputs) << "\n";
        std::cout << "\n";
        if (r.found)
            std::cout << formatLoopNest(arch, r.mapping) << "\n" << formatEvaluation(r.evaluation);
        else
            std::cout
                << (r.cancelled
                        ? "Cancelled before a valid mapping was found.\n"
                        : "No valid mapping: every mapping in the space breaks a capacity or fan-out.\n");
        std::printf("\nMapper         %s, metric %s, %s%s\n", strategyName(r.strategy),
                    metricName(opt.metric), r.optimal ? "optimal within the mapspace" : "not proven optimal",
                    cached ? " (cached)" : "");
        const std::string valid =
            r.validMappings >= 0 ? std::to_string(r.validMappings) + " valid loop nests"
                                 : std::string("valid loop nests not counted (--count-valid counts them)");
        std::printf("Mapspace       %.0f factorizations; %s; %lld visited, %lld subtrees pruned; %.3f s\n",
                    r.spaceSize, valid.c_str(), static_cast<long long>(r.visited),
                    static_cast<long long>(r.pruned), r.seconds);
    }
    return r.found ? 0 : 1;
}

} // namespace bitloop::cli
