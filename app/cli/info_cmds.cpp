// bitloop-cli layers / presets: what a network and the shipped architectures contain.
#include "commands.h"
#include "inputs.h"

#include "io/arch_io.h"

#include <cstdio>
#include <iostream>

namespace bitloop::cli
{

int runLayers(const std::vector<std::string> &argv)
{
    const Args args(argv, {"network", "width", "resolution", "classes"}, {});
    const Network net = resolveNetwork(args);
    std::printf("%s: %zu layers, %lld MACs, %lld weights\n", net.name.c_str(), net.layers.size(),
                static_cast<long long>(net.totalMacs()), static_cast<long long>(net.totalWeights()));
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer &l = net.layers[i];
        std::printf("%3zu  %-14s %-40s %12lld MACs %9lld weights\n", i + 1, l.name.c_str(),
                    l.describe().c_str(), static_cast<long long>(l.macs()),
                    static_cast<long long>(l.weightCount()));
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
