#include "mapper/network_mapper.h"

#include <chrono>
#include <stdexcept>

namespace bitloop
{

std::vector<BitWidths> chainBits(const std::vector<LayerBits> &layers, int lastOutputBits)
{
    std::vector<BitWidths> out(layers.size());
    for (size_t i = 0; i < layers.size(); ++i) {
        out[i].of(Tensor::Weights) = layers[i].weights;
        out[i].of(Tensor::Inputs) = layers[i].activations;
        out[i].of(Tensor::Outputs) = i + 1 < layers.size() ? layers[i + 1].activations : lastOutputBits;
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
        nm.allFound = nm.allFound && r.found;
        if (r.found) {
            nm.energy += r.evaluation.energy;
            nm.cycles += r.evaluation.cycles;
        }
        nm.weightBytes += ceilDiv(shape.tensorSize(Tensor::Weights) * bits[i].of(Tensor::Weights), 8);
        nm.layers.push_back(std::move(r));
        nm.cached.push_back(hit);
        if (options.mapper.cancel && options.mapper.cancel->load())
            break;
    }
    nm.edp = nm.energy * double(nm.cycles);
    nm.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return nm;
}

} // namespace bitloop
