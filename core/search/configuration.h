// One chosen configuration as a file to build from: the network, the architecture, each layer's bit-widths
// and its mapping (Bitloop's form inline; Timeloop's form as files next to it, see mapper/mapping_export.h),
// and the point's objectives. It is a bits file with more in it, so `map-network --bits` and
// `accuracy --bits` read it as it is, and readConfiguration reads the mappings back.
#pragma once

#include "search/codesign.h"

#include <string>
#include <vector>

namespace bitloop::search
{

std::string configurationYaml(const CodesignSpec &spec, const BitConfig &bits, const CandidateCost &cost,
                              const NetworkMapping &mappings);

struct Configuration {
    BitConfig bits;
    int lastOutputBits = 8;
    std::vector<Mapping> mappings; // one per layer (empty Mapping where none was found)
};
// InputError naming the file, the line and what was expected.
Configuration readConfiguration(const std::string &path, const Architecture &arch);

// Writes DIR/config.yaml and the per-layer Bitloop and Timeloop files of the configuration.
void exportConfiguration(const std::string &dir, const CodesignSpec &spec, const BitConfig &bits,
                         const CandidateCost &cost, const NetworkMapping &mappings);

} // namespace bitloop::search
