// Mapper benchmark (not a test): prints the figures recorded in docs/benchmarks.md.
//   bench_mapper [--threads N] [--quick] [--exactness [--arch NAME] [--network NAME] [--bits B]]
// 1. model evaluations per second on one thread; 2. whole-network mapping time, cold and warm cache, with
// the branch and bound's nodes; 3. valid-mapping counts of MobileNetV1 layer 2; 4. co-searched mappings vs
// mappings reused from 16 bits; 5 (--exactness, long): every layer's pruned optimum against the full walk.
#include "io/arch_io.h"
#include "io/mapping_io.h"
#include "mapper/cache.h"
#include "mapper/network_mapper.h"
#include "workload/mobilenet.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

using namespace bitloop;
using Clock = std::chrono::steady_clock;

namespace
{

double since(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

void evaluationsPerSecond()
{
    const Architecture arch = loadArchitecture("eyeriss16");
    const Layer layer = mobileNetV1().layers[2]; // pw1: 1x1, 32 -> 64 at 112x112
    MapperOptions opt;
    opt.threads = 1;
    opt.strategy = Strategy::Exhaustive;
    opt.countValid = true; // every loop nest, as the figure is meant
    const MapperResult r = findBestMapping(layer.shape, arch, BitWidths::uniform(8), opt);
    // The walk's own overhead is included: this is what a search gets, not the model alone.
    std::printf("1. Model evaluations, one thread, eyeriss16, MobileNetV1 layer 3 (%s), 8 bits:\n"
                "   %lld loop nests evaluated in %.3f s = %.0f evaluations/s (walk included)\n",
                layer.describe().c_str(), static_cast<long long>(r.visited), r.seconds,
                double(r.visited) / r.seconds);
    // The model alone: the best mapping evaluated over and over.
    Evaluation ev;
    const int n = 200000;
    const auto t0 = Clock::now();
    double sink = 0;
    for (int i = 0; i < n; ++i) {
        evaluateChecked(layer.shape, arch, r.mapping, BitWidths::uniform(8), opt.model, ev, false);
        sink += ev.energy;
    }
    const double s = since(t0);
    std::printf(
        "   the model alone on its best mapping: %d evaluations in %.3f s = %.0f evaluations/s (%g)\n\n", n,
        s, n / s, sink / n);
}

void wholeNetworks(int threads, bool quick)
{
    std::printf("2. Every layer mapped (224x224, 1000 classes), %d threads, energy metric:\n", threads);
    std::printf("   %-14s %-9s %5s %12s %10s %10s %12s %12s %14s\n", "network", "arch", "bits", "energy uJ",
                "cold s", "warm s", "visited", "pruned", "slowest dw s");
    const std::string dir = (std::filesystem::temp_directory_path() / "bitloop-bench-cache").string();
    for (const char *archName : {"eyeriss16", "simba16"}) {
        const Architecture arch = loadArchitecture(archName);
        for (const Network &net : {mobileNetV1(), mobileNetV2()}) {
            for (int b : {16, 8, 4}) {
                if (quick && (b != 8 || std::strcmp(archName, "simba16") == 0))
                    continue;
                std::filesystem::remove_all(dir);
                MapperCache cache(dir);
                NetworkMapperOptions opt;
                opt.mapper.threads = threads;
                const auto bits = chainBits(net, std::vector<LayerBits>(net.layers.size(), LayerBits{b, b}), b);
                const NetworkMapping cold = mapNetwork(net, arch, bits, opt, &cache);
                const NetworkMapping warm = mapNetwork(net, arch, bits, opt, &cache);
                long long visited = 0, pruned = 0;
                double slowestDepthwise = 0;
                for (size_t i = 0; i < cold.layers.size(); ++i) {
                    visited += cold.layers[i].visited;
                    pruned += cold.layers[i].pruned;
                    if (net.layers[i].shape.bound(Dim::G) > 1)
                        slowestDepthwise = std::max(slowestDepthwise, cold.layers[i].seconds);
                }
                std::printf("   %-14s %-9s %2d/%-2d %12.3f %10.3f %10.4f %12lld %12lld %14.3f%s\n",
                            net.name.c_str(), archName, b, b, cold.energy / 1e6, cold.seconds, warm.seconds,
                            visited, pruned, slowestDepthwise,
                            cold.allFound && warm.energy == cold.energy ? "" : "  MISMATCH");
                std::fflush(stdout);
            }
        }
    }
    std::filesystem::remove_all(dir);
    std::printf("\n");
}

void layer2Counts(int threads)
{
    std::printf("3. Valid mappings of MobileNetV1 layer 2 (W/I/O bits):\n");
    ProblemShape dense; // as the reference study modelled it: a dense 32->32 3x3 convolution
    dense.bound(Dim::C) = dense.bound(Dim::M) = 32;
    dense.bound(Dim::R) = dense.bound(Dim::S) = 3;
    dense.bound(Dim::P) = dense.bound(Dim::Q) = 112;
    const ProblemShape depthwise = mobileNetV1().layers[1].shape;
    const BitWidths configs[] = {BitWidths::uniform(16), BitWidths::uniform(8), BitWidths{{8, 4, 4}},
                                 BitWidths::uniform(4)};
    for (const char *archName : {"eyeriss16", "simba16"}) {
        const Architecture arch = loadArchitecture(archName);
        for (const auto &[label, shape] : {std::pair<const char *, ProblemShape>{"dense (study)", dense},
                                           std::pair<const char *, ProblemShape>{"depthwise", depthwise}}) {
            std::printf("   %-9s %-14s", archName, label);
            for (const BitWidths &b : configs) {
                MapperOptions opt;
                opt.threads = threads;
                opt.strategy = Strategy::Exhaustive;
                opt.countValid = true;
                const MapperResult r = findBestMapping(shape, arch, b, opt);
                std::printf("  %d/%d/%d: %lld valid, %.3f uJ, %.2f s", b.of(Tensor::Weights),
                            b.of(Tensor::Inputs), b.of(Tensor::Outputs),
                            static_cast<long long>(r.validMappings), r.evaluation.energy / 1e6, r.seconds);
                std::fflush(stdout);
            }
            std::printf("\n");
        }
    }
    std::printf("\n");
}

void synergy(int threads)
{
    std::printf(
        "4. MobileNetV1 on eyeriss16 at weights 4 / activations 8: co-searched vs mapped at 16 bits:\n");
    const Architecture arch = loadArchitecture("eyeriss16");
    const Network net = mobileNetV1();
    const auto bits = chainBits(net, std::vector<LayerBits>(net.layers.size(), LayerBits{4, 8}), 8);
    NetworkMapperOptions opt;
    opt.mapper.threads = threads;
    const NetworkMapping co = mapNetwork(net, arch, bits, opt, nullptr);
    opt.reuseMappingFromBits = 16;
    const NetworkMapping reused = mapNetwork(net, arch, bits, opt, nullptr);
    std::printf("   %3s %-8s %14s %14s %8s\n", "#", "layer", "co-searched uJ", "from 16 b uJ", "saving");
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const double a = co.layers[i].evaluation.energy / 1e6, b = reused.layers[i].evaluation.energy / 1e6;
        std::printf("   %3zu %-8s %14.3f %14.3f %7.2f%%\n", i + 1, net.layers[i].name.c_str(), a, b,
                    100 * (b - a) / b);
    }
    std::printf("   %3s %-8s %14.3f %14.3f %7.2f%%\n", "", "total", co.energy / 1e6, reused.energy / 1e6,
                100 * (reused.energy - co.energy) / reused.energy);
}

// The branch and bound must return exactly the full walk's answer: the same mapping, hence the same figures.
void exactness(int threads, const std::string &onlyArch, const std::string &onlyNetwork, int onlyBits)
{
    std::printf(
        "5. Branch and bound against the full walk, every layer (224x224, 1000 classes), %d threads:\n",
        threads);
    std::printf("   %-14s %-9s %5s %7s %9s %10s %10s %12s %12s\n", "network", "arch", "bits", "layers",
                "identical", "pruned s", "full s", "visited", "full visited");
    int mismatches = 0;
    for (const char *archName : {"eyeriss16", "simba16"}) {
        if (!onlyArch.empty() && onlyArch != archName)
            continue;
        const Architecture arch = loadArchitecture(archName);
        for (const Network &net : {mobileNetV1(), mobileNetV2()}) {
            if (!onlyNetwork.empty() && onlyNetwork != net.name)
                continue;
            for (int b : {16, 8, 4}) {
                if (onlyBits > 0 && onlyBits != b)
                    continue;
                int same = 0;
                double fast = 0, slow = 0;
                long long visited = 0, fullVisited = 0;
                for (const Layer &layer : net.layers) {
                    MapperOptions opt;
                    opt.threads = threads;
                    opt.strategy = Strategy::Exhaustive; // the full walk too, however large
                    const MapperResult pruned =
                        findBestMapping(layer.shape, arch, BitWidths::uniform(b), opt);
                    opt.countValid = true;
                    const MapperResult full = findBestMapping(layer.shape, arch, BitWidths::uniform(b), opt);
                    const bool equal =
                        pruned.found == full.found && pruned.optimal && full.optimal &&
                        pruned.evaluation.energy == full.evaluation.energy &&
                        pruned.evaluation.cycles == full.evaluation.cycles &&
                        mappingToYaml(arch, pruned.mapping) == mappingToYaml(arch, full.mapping);
                    same += equal ? 1 : 0;
                    if (!equal)
                        std::printf("   MISMATCH %s layer %s: %.3f vs %.3f uJ\n", net.name.c_str(),
                                    layer.name.c_str(), pruned.evaluation.energy / 1e6,
                                    full.evaluation.energy / 1e6);
                    fast += pruned.seconds;
                    slow += full.seconds;
                    visited += pruned.visited;
                    fullVisited += full.visited;
                }
                mismatches += int(net.layers.size()) - same;
                std::printf("   %-14s %-9s %2d/%-2d %7zu %9d %10.3f %10.3f %12lld %12lld\n", net.name.c_str(),
                            archName, b, b, net.layers.size(), same, fast, slow, visited, fullVisited);
                std::fflush(stdout);
            }
        }
    }
    std::printf("   %s\n\n", mismatches == 0 ? "every layer identical" : "MISMATCHES FOUND");
}

} // namespace

int main(int argc, char **argv)
{
    int threads = 2;
    bool quick = false, exact = false;
    std::string onlyArch, onlyNetwork; // --exactness on one architecture / network / uniform width
    int onlyBits = 0;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (std::strcmp(argv[i], "--exactness") == 0)
            exact = true;
        else if (std::strcmp(argv[i], "--arch") == 0 && i + 1 < argc)
            onlyArch = argv[++i];
        else if (std::strcmp(argv[i], "--network") == 0 && i + 1 < argc)
            onlyNetwork = argv[++i];
        else if (std::strcmp(argv[i], "--bits") == 0 && i + 1 < argc)
            onlyBits = std::atoi(argv[++i]);
    }
    if (exact) {
        exactness(threads, onlyArch, onlyNetwork, onlyBits);
        return 0;
    }
    evaluationsPerSecond();
    wholeNetworks(threads, quick);
    layer2Counts(threads);
    synergy(threads);
    return 0;
}
