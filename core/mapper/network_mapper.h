// Every layer of a network mapped at its own bit-widths: the per-layer best mappings and the network's
// totals. A layer's Outputs width is the Inputs width of the layers that read them (chainBits).
#pragma once

#include "mapper/cache.h"
#include "workload/layer.h"

#include <functional>
#include <vector>

namespace bitloop
{

// Weight and input-activation widths of one layer, as the co-design search's genes give them.
// Per-tensor widths of every layer: Inputs = the layer's activations; Outputs = the widest activations of
// the layers that read this layer's output (in a chain, the next layer). A layer whose output no layer
// reads is stored as the layer it is added into stores its own (ResNet's main branch before the
// projection shortcut's sum) and otherwise as the next layer reads; the last layer's are `lastOutputBits`.
// A `net` without that many layers is read as a chain.
std::vector<BitWidths> chainBits(const Network &net, const std::vector<LayerBits> &layers,
                                 int lastOutputBits);

// A network's figures from its layers' mappings, summed in this one place (mapNetwork, the co-design
// problem's costs and mappings): energy and cycles of the layers mapped (layers run one after another),
// the layers without a valid mapping, and the bit-packed weights.
struct NetworkTotals {
    double energy = 0; // pJ
    int64_t cycles = 0;
    int64_t weightBytes = 0;
    int invalidLayers = 0;
    void add(const Layer &layer, int weightBits, const MapperResult &r)
    {
        if (r.found) {
            energy += r.evaluation.energy;
            cycles += r.evaluation.cycles;
        } else {
            ++invalidLayers;
        }
        weightBytes += packedBytes(layer.weightCount(), weightBits);
    }
};

struct NetworkMapping {
    std::vector<MapperResult> layers;
    std::vector<bool> cached;
    bool allFound = true;
    double energy = 0;       // pJ, sum over layers
    int64_t cycles = 0;      // sum over layers (layers run one after another)
    double edp = 0;          // network energy x network cycles
    int64_t weightBytes = 0; // sum of the layers' bit-packed weights
    double seconds = 0;
};

struct NetworkMapperOptions {
    MapperOptions mapper;
    // When > 0: map each layer at this uniform width, then evaluate that mapping at the requested widths
    // (the flow that maps once and quantizes afterwards).
    int reuseMappingFromBits = 0;
    std::function<void(size_t layer, size_t layers)> progress;
};

NetworkMapping mapNetwork(const Network &net, const Architecture &arch, const std::vector<BitWidths> &bits,
                          const NetworkMapperOptions &options, MapperCache *cache);

} // namespace bitloop
