// bitloop-cli map-network: every layer of a network under its best mapping, one table, network totals,
// and each layer exported as a Bitloop mapping and as a Timeloop map.yaml and prob.yaml.
#include "commands.h"
#include "inputs.h"
#include "mapper_options.h"

#include "io/bits_io.h"
#include "io/evaluation_report.h"
#include "io/mapping_io.h"
#include "io/problem_io.h"
#include "io/yaml_util.h"
#include "mapper/mapping_export.h"
#include "mapper/network_mapper.h"
#include "util/json.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace bitloop::cli
{

namespace
{

std::vector<BitWidths> resolveNetworkBits(const Args &args, const Network &net)
{
    if (args.has("bits")) {
        if (args.has("wbits") || args.has("abits"))
            throw UsageError("give either --bits FILE or --wbits/--abits, not both");
        const BitsFile bf = readBitsFile(*args.get("bits"));
        if (bf.layers.size() != net.layers.size())
            throw InputError(*args.get("bits"), 0,
                             "has bit-widths for " + std::to_string(bf.layers.size()) + " layers, " +
                                 net.name + " has " + std::to_string(net.layers.size()));
        return chainBits(net, bf.layers, bf.lastOutputBits);
    }
    LayerBits uniform;
    uniform.weights = static_cast<int>(args.integer("wbits", 1, 32).value_or(16));
    uniform.activations = static_cast<int>(args.integer("abits", 1, 32).value_or(16));
    const int last = static_cast<int>(args.integer("obits", 1, 32).value_or(uniform.activations));
    return chainBits(net, std::vector<LayerBits>(net.layers.size(), uniform), last);
}

} // namespace

int runMapNetwork(const std::vector<std::string> &argv)
{
    std::set<std::string> valued = kMapperValued;
    valued.insert(kArchOptions.begin(), kArchOptions.end());
    valued.insert({"network", "width", "resolution", "classes", "input-channels", "bits", "out",
                   "reuse-mapping-from-bits"});
    valued.insert(kBitOptions.begin(), kBitOptions.end());
    std::set<std::string> flags = kMapperFlags;
    flags.insert("json");
    const Args args(argv, valued, flags);

    const Architecture arch = resolveArchitecture(args);
    const Network net = resolveNetwork(args);
    const std::vector<BitWidths> bits = resolveNetworkBits(args, net);
    for (size_t i = 0; i < bits.size(); ++i)
        checkBitsFit(arch, bits[i], "layer " + std::to_string(i + 1) + ": ");
    NetworkMapperOptions opt;
    opt.mapper = resolveMapperOptions(args);
    opt.reuseMappingFromBits = static_cast<int>(args.integer("reuse-mapping-from-bits", 1, 32).value_or(0));
    if (opt.reuseMappingFromBits)
        checkBitsFit(arch, BitWidths::uniform(opt.reuseMappingFromBits), "--reuse-mapping-from-bits: ");
    const bool json = args.flag("json");
    const bool showProgress = !json && isatty(fileno(stderr));
    if (showProgress)
        opt.progress = [](size_t i, size_t n) { std::fprintf(stderr, "\rmapping layer %zu/%zu ", i + 1, n); };
    auto cache = openCache(args);

    NetworkMapping nm;
    try {
        nm = mapNetwork(net, arch, bits, opt, cache.get());
    } catch (const std::invalid_argument &e) {
        throw UsageError(std::string("no mapping can satisfy the constraints: ") + e.what());
    }
    if (showProgress)
        std::fprintf(stderr, "\r%*s\r", 30, "");

    if (auto out = args.get("out"))
        exportMappings(*out, net, arch, bits, nm);

    if (json) {
        JsonWriter j;
        j.beginObject().field("architecture", arch.name).field("network", net.name);
        j.field("all_found", nm.allFound).field("energy_pj", nm.energy).field("cycles", nm.cycles);
        j.field("edp", nm.edp).field("weight_memory_bytes", nm.weightBytes).field("seconds", nm.seconds);
        j.key("layers").beginArray();
        for (size_t i = 0; i < net.layers.size() && i < nm.layers.size(); ++i) {
            const MapperResult &r = nm.layers[i];
            j.beginObject().field("index", int64_t(i + 1)).field("name", net.layers[i].name);
            j.field("found", r.found).field("cached", bool(nm.cached[i])).field("optimal", r.optimal);
            j.key("valid_mappings");
            if (r.validMappings >= 0)
                j.value(r.validMappings);
            else
                j.null();
            j.field("visited", r.visited).field("pruned", r.pruned).field("seconds", r.seconds);
            if (r.found)
                writeEvaluationJson(j, r.evaluation);
            j.endObject();
        }
        j.endArray().endObject();
        std::cout << j.str() << "\n";
        return nm.allFound ? 0 : 1;
    }

    std::printf(
        "%s on %s%s\n\n", net.name.c_str(), arch.name.c_str(),
        opt.reuseMappingFromBits
            ? (" (mappings from uniform " + std::to_string(opt.reuseMappingFromBits) + " bits)").c_str()
            : "");
    std::printf("%3s  %-12s %-36s %9s %12s %11s %7s %6s %9s %8s\n", "#", "layer", "shape", "W/I/O",
                "energy uJ", "cycles", "pJ/MAC", "util%", "visited", "seconds");
    for (size_t i = 0; i < nm.layers.size(); ++i) {
        const MapperResult &r = nm.layers[i];
        const Layer &l = net.layers[i];
        char b[16];
        std::snprintf(b, sizeof b, "%d/%d/%d", bits[i].of(Tensor::Weights), bits[i].of(Tensor::Inputs),
                      bits[i].of(Tensor::Outputs));
        if (!r.found) {
            std::printf("%3zu  %-12s %-36s %9s   no valid mapping\n", i + 1, l.name.c_str(),
                        l.describe().c_str(), b);
            continue;
        }
        std::printf("%3zu  %-12s %-36s %9s %12.3f %11lld %7.3f %6.1f %9lld %8.3f%s\n", i + 1, l.name.c_str(),
                    l.describe().c_str(), b, r.evaluation.energy / 1e6,
                    static_cast<long long>(r.evaluation.cycles), r.evaluation.pjPerMac(),
                    r.evaluation.utilization * 100, static_cast<long long>(r.visited), r.seconds,
                    nm.cached[i] ? " cached" : "");
    }
    std::printf("\nNetwork energy %.3f uJ, cycles %lld, EDP %.6g uJ x cycles, weight memory %lld bytes\n",
                nm.energy / 1e6, static_cast<long long>(nm.cycles), nm.edp * 1e-6,
                static_cast<long long>(nm.weightBytes));
    std::printf("Mapped in %.3f s%s\n", nm.seconds, cache ? (", cache " + cache->path()).c_str() : "");
    return nm.allFound ? 0 : 1;
}

} // namespace bitloop::cli
