#include "mapper/network_mapper.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace bitloop
{

std::vector<BitWidths> chainBits(const Network &net, const std::vector<LayerBits> &layers, int lastOutputBits)
{
    const size_t n = layers.size();
    std::vector<BitWidths> out(n);
    std::vector<int> readWidth(n, 0);  // widest activations of a reader, 0: none reads it
    std::vector<int> addedInto(n, -1); // the first later layer that adds this layer's output
    const bool graph = net.layers.size() == n;
    for (size_t i = 0; i < n; ++i) {
        out[i].of(Tensor::Weights) = layers[i].weights;
        out[i].of(Tensor::Inputs) = layers[i].activations;
        const int from = graph ? net.sourceOf(i) : static_cast<int>(i) - 1;
        if (from >= 0 && static_cast<size_t>(from) < n)
            readWidth[size_t(from)] = std::max(readWidth[size_t(from)], layers[i].activations);
        const int added = graph ? net.layers[i].addOutputOf : -1;
        if (added >= 0 && static_cast<size_t>(added) < i && addedInto[size_t(added)] < 0)
            addedInto[size_t(added)] = static_cast<int>(i);
    }
    // Backwards, so that a layer added into a later one finds that one's width already set.
    for (size_t k = n; k-- > 0;) {
        int &w = out[k].of(Tensor::Outputs);
        if (readWidth[k] > 0) {
            w = readWidth[k];
            continue;
        }
        const int into = addedInto[k];
        w = into >= 0 ? out[size_t(into)].of(Tensor::Outputs)
                      : (k + 1 < n ? layers[k + 1].activations : lastOutputBits);
    }
    return out;
}

namespace
{

MapperResult mapLayer(const ProblemShape &shape, const Architecture &arch, const BitWidths &bits,
                      const NetworkMapperOptions &options, MapperCache *cache, bool &hit)
{
    if (options.reuseMappingFromBits <= 0)
        return findBestMappingCached(cache, shape, arch, bits, options.mapper, &hit);
    MapperResult r = findBestMappingCached(
        cache, shape, arch, BitWidths::uniform(options.reuseMappingFromBits), options.mapper, &hit);
    if (r.found)
        r.evaluation = evaluate(shape, arch, r.mapping, bits, options.mapper.model);
    r.found = r.found && r.evaluation.valid;
    return r;
}

} // namespace

NetworkMapping mapNetwork(const Network &net, const Architecture &arch, const std::vector<BitWidths> &bits,
                          const NetworkMapperOptions &options, MapperCache *cache)
{
    if (bits.size() != net.layers.size())
        throw std::invalid_argument("bit-widths for " + std::to_string(bits.size()) +
                                    " layers, the network has " + std::to_string(net.layers.size()));
    const auto t0 = std::chrono::steady_clock::now();
    NetworkMapping nm;
    NetworkTotals totals;
    for (size_t i = 0; i < net.layers.size(); ++i) {
        if (options.progress)
            options.progress(i, net.layers.size());
        const ProblemShape &shape = net.layers[i].shape;
        bool hit = false;
        MapperResult r;
        try {
            r = mapLayer(shape, arch, bits[i], options, cache, hit);
        } catch (const std::invalid_argument &e) {
            throw std::invalid_argument("layer " + std::to_string(i + 1) + " (" + net.layers[i].name +
                                        "): " + e.what());
        }
        totals.add(net.layers[i], bits[i].of(Tensor::Weights), r);
        nm.layers.push_back(std::move(r));
        nm.cached.push_back(hit);
        if (options.mapper.cancel && options.mapper.cancel->load())
            break;
    }
    nm.energy = totals.energy;
    nm.cycles = totals.cycles;
    nm.weightBytes = totals.weightBytes;
    nm.allFound = totals.invalidLayers == 0;
    nm.edp = nm.energy * double(nm.cycles);
    nm.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return nm;
}

} // namespace bitloop
