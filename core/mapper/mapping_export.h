// Writing a network's mappings to a folder, as map-network --out and the search's exports do: per layer
// layerNN_<name>.yaml (Bitloop), .map.yaml (Timeloop mapping) and .prob.yaml (Timeloop problem with its
// bit-widths). Every file is written atomically.
#pragma once

#include "mapper/network_mapper.h"

#include <string>

namespace bitloop
{

// "layer03_pw2": the file stem of a layer's exports (1-based index; only [A-Za-z0-9_-]).
std::string exportName(size_t index, const Layer &layer);

// Layers without a found mapping are skipped. Creates `dir` if needed.
void exportMappings(const std::string &dir, const Network &net, const Architecture &arch,
                    const std::vector<BitWidths> &bits, const NetworkMapping &nm);

} // namespace bitloop
