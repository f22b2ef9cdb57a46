// bitloop-cli layers / presets: what a network and the shipped architectures contain.
#include "commands.h"
#include "inputs.h"

#include "io/arch_io.h"
#include "io/network_yaml.h"

#include <cstdio>
#include <iostream>

namespace bitloop::cli
{

namespace
{

// Where a layer's input comes from and what it adds and pools, where that is not a chain's default;
// layers are numbered from 1 as in the table.
std::string connections(const Layer &l)
{
    std::string s;
    if (l.inputFrom >= 0)
        s += "  reads " + std::to_string(l.inputFrom + 1);
    if (l.residualFrom >= 0)
        s += "  + input of " + std::to_string(l.residualFrom + 1);
    if (l.addOutputOf >= 0)
        s += "  + output of " + std::to_string(l.addOutputOf + 1);
    if (l.pool.kind != Pooling::Kind::None)
        s += std::string("  ") + poolingName(l.pool.kind) + " pool " + std::to_string(l.pool.kernelH) + "x" +
             std::to_string(l.pool.kernelW) + "/" + std::to_string(l.pool.strideH);
    return s;
}

} // namespace

int runLayers(const std::vector<std::string> &argv)
{
    const Args args(argv, {"network", "width", "resolution", "classes", "out"}, {});
    const Network net = resolveNetwork(args);
    if (const auto out = args.get("out"))
        writeNetworkYaml(net, *out); // atomically; an ONNX graph becomes an editable layer list
    std::printf("%s: %zu layers, %lld MACs, %lld weights\n", net.name.c_str(), net.layers.size(),
                static_cast<long long>(net.totalMacs()), static_cast<long long>(net.totalWeights()));
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer &l = net.layers[i];
        std::printf("%3zu  %-14s %-40s %12lld MACs %9lld weights%s\n", i + 1, l.name.c_str(),
                    l.describe().c_str(), static_cast<long long>(l.macs()),
                    static_cast<long long>(l.weightCount()), connections(l).c_str());
    }
    if (!net.chainNote.empty())
        std::printf("Accuracy side: not trainable in Bitloop yet: %s\n", net.chainNote.c_str());
    return 0;
}

int runPresets(const std::vector<std::string> &argv)
{
    const Args args(argv, {}, {});
    std::cout << "Presets in " << presetDir() << ":\n";
    for (const std::string &p : listPresets()) {
        const Architecture a = loadArchitecture(p);
        std::cout << "  " << p << "  (" << a.name << ", " << a.mac.instances << " MACs, " << a.numLevels()
                  << " storage levels)\n";
    }
    return 0;
}

} // namespace bitloop::cli
