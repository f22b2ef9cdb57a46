#include "inputs.h"

#include "io/arch_io.h"
#include "io/constraints_io.h"
#include "io/network_yaml.h"
#include "io/problem_io.h"

#include <climits>
#include <iostream>

namespace bitloop::cli
{

const std::set<std::string> kArchOptions = {"arch", "ert", "constraints"};
const std::set<std::string> kLayerOptions = {"problem", "network", "layer", "width", "resolution", "classes"};
const std::set<std::string> kBitOptions = {"wbits", "abits", "obits"};

Architecture resolveArchitecture(const Args &args)
{
    std::vector<std::string> warnings;
    Architecture arch = loadArchitecture(args.require("arch"), &warnings);
    if (auto ert = args.get("ert"))
        applyErt(arch, *ert, &warnings);
    for (const std::string &c : args.all("constraints"))
        applyConstraints(arch, c);
    for (const std::string &w : warnings)
        std::cerr << "warning: " << w << "\n";
    return arch;
}

Network resolveNetwork(const Args &args)
{
    MobileNetOptions opt;
    // The range of the search's and train's --width: wide enough for any MobileNet that is trained.
    if (auto w = args.number("width", 1e-3, 16.0))
        opt.widthMultiplier = *w;
    if (auto r = args.integer("resolution", 8, 4096))
        opt.resolution = static_cast<int>(*r);
    if (auto c = args.integer("classes", 1, 1000000))
        opt.numClasses = static_cast<int>(*c);
    // map-network's: a search sizes a built-in network's first layer by its checkpoint (1 for grey images).
    if (auto c = args.integer("input-channels", 1, 100000))
        opt.inputChannels = static_cast<int>(*c);
    return loadNetwork(args.require("network"), opt);
}

Layer resolveLayer(const Args &args, std::optional<BitWidths> &fileBits)
{
    if (args.has("problem") == args.has("network"))
        throw UsageError("give either --problem FILE or --network NAME|FILE with --layer INDEX");
    if (auto p = args.get("problem")) {
        ProblemFile pf = loadProblem(*p);
        fileBits = pf.bits;
        Layer l;
        l.name = pf.name;
        l.shape = pf.shape;
        return l;
    }
    Network net = resolveNetwork(args);
    const auto index = args.integer("layer", INT64_MIN, INT64_MAX);
    if (!index)
        throw UsageError("--network needs --layer INDEX (1-based, as in the paper)");
    if (*index < 1 || *index > static_cast<int64_t>(net.layers.size()))
        throw UsageError("--layer " + std::to_string(*index) + ": " + net.name + " has " +
                         std::to_string(net.layers.size()) + " layers (1-based)");
    return net.layers[static_cast<size_t>(*index - 1)];
}

void checkBitsFit(const Architecture &arch, const BitWidths &bits, const std::string &what)
{
    for (Tensor t : kAllTensors)
        for (const StorageLevel &l : arch.levels)
            if (l.mayKeep[idx(t)] && bits.of(t) > l.wordBits)
                throw UsageError(what + tensorName(t) + " bit-width " + std::to_string(bits.of(t)) +
                                 " is wider than the " + std::to_string(l.wordBits) + "-bit words of " +
                                 l.name);
}

BitWidths resolveBits(const Args &args, const std::optional<BitWidths> &fileBits)
{
    BitWidths b = fileBits.value_or(BitWidths::uniform(16));
    if (auto w = args.integer("wbits", 1, 64))
        b.of(Tensor::Weights) = static_cast<int>(*w);
    if (auto a = args.integer("abits", 1, 64)) {
        b.of(Tensor::Inputs) = static_cast<int>(*a);
        if (!args.has("obits"))
            b.of(Tensor::Outputs) = static_cast<int>(*a);
    }
    if (auto o = args.integer("obits", 1, 64))
        b.of(Tensor::Outputs) = static_cast<int>(*o);
    return b;
}

} // namespace bitloop::cli
