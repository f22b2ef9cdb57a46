#include "mapper/mapping_export.h"

#include "io/mapping_io.h"
#include "io/problem_io.h"
#include "io/yaml_util.h"

#include <cctype>
#include <cstdio>
#include <filesystem>

namespace bitloop
{

std::string exportName(size_t index, const Layer &layer)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "layer%02zu_", index + 1);
    std::string name = buf + layer.name;
    for (char &c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
            c = '_';
    return name;
}

void exportMappings(const std::string &dir, const Network &net, const Architecture &arch,
                    const std::vector<BitWidths> &bits, const NetworkMapping &nm)
{
    std::filesystem::create_directories(dir);
    for (size_t i = 0; i < net.layers.size() && i < nm.layers.size(); ++i) {
        if (!nm.layers[i].found)
            continue;
        const std::string base = (std::filesystem::path(dir) / exportName(i, net.layers[i])).string();
        yamlutil::writeFileAtomically(base + ".yaml", mappingToYaml(arch, nm.layers[i].mapping));
        // Grouped and depthwise layers go out in the Grouped-CNN-Layer shape, a custom Timeloop shape with a
        // G dimension (Timeloop's stock CNN-Layer has none), their mappings with G factors.
        yamlutil::writeFileAtomically(base + ".map.yaml", mappingToTimeloopYaml(arch, nm.layers[i].mapping));
        yamlutil::writeFileAtomically(base + ".prob.yaml",
                                      problemToTimeloopYaml(net.layers[i].shape, bits[i]));
    }
}

} // namespace bitloop
