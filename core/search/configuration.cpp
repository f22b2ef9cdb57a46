#include "search/configuration.h"

#include "io/bits_io.h"
#include "mapper/mapping_export.h"
#include "io/mapping_io.h"
#include "io/yaml_util.h"

#include <filesystem>
#include <sstream>

namespace bitloop::search
{

namespace y = yamlutil;

std::string configurationYaml(const CodesignSpec &spec, const BitConfig &bits, const CandidateCost &cost,
                              const NetworkMapping &mappings)
{
    const std::vector<BitWidths> chained = chainBits(spec.network, bits, spec.lastOutputBits);
    std::ostringstream os;
    os << "# A Bitloop configuration: per-layer bit-widths and mappings (also readable as a bits file).\n"
       << "network: " << y::scalar(spec.network.name) << "\n"
       << "architecture: " << y::scalar(spec.arch.name) << "\n"
       << "last_outputs: " << spec.lastOutputBits << "\n"
       << "objectives:\n";
    if (cost.accuracy >= 0)
        os << "  error: " << y::formatDouble(cost.value(Objective::Error)) << "\n";
    os << "  energy_uJ: " << y::formatDouble(cost.value(Objective::Energy)) << "\n"
       << "  cycles: " << cost.cycles << "\n"
       << "  memory_bytes: " << cost.weightBytes << "\n"
       << "bits:\n";
    for (const LayerBits &b : bits)
        os << "  - [" << b.weights << ", " << b.activations << "]\n";
    os << "layers:\n";
    for (size_t i = 0; i < spec.network.layers.size(); ++i) {
        const MapperResult &r = mappings.layers.at(i);
        os << "  - name: " << y::scalar(spec.network.layers[i].name) << "\n"
           << "    bits: {weights: " << chained[i].of(Tensor::Weights)
           << ", inputs: " << chained[i].of(Tensor::Inputs) << ", outputs: " << chained[i].of(Tensor::Outputs)
           << "}\n";
        if (!r.found) {
            os << "    mapping: null\n";
            continue;
        }
        os << "    energy_pJ: " << y::formatDouble(r.evaluation.energy) << "\n"
           << "    cycles: " << r.evaluation.cycles << "\n"
           << "    mapping:\n";
        std::istringstream m(mappingToYaml(spec.arch, r.mapping));
        for (std::string line; std::getline(m, line);)
            if (!line.empty() && line[0] != '#')
                os << "      " << line << "\n";
    }
    return os.str();
}

Configuration readConfiguration(const std::string &path, const Architecture &arch)
{
    const BitsFile bf = readBitsFile(path);
    Configuration c;
    c.bits = bf.layers;
    c.lastOutputBits = bf.lastOutputBits;
    const YAML::Node root = y::loadFile(path);
    const y::Where w{path, ""};
    const std::vector<YAML::Node> layers =
        y::toList(w, y::require(w, root, "layers", "a list of layers"), "layers");
    if (layers.size() != c.bits.size())
        y::fail(w, root["layers"],
                "lists " + std::to_string(layers.size()) + " layers but 'bits' has " +
                    std::to_string(c.bits.size()));
    for (const YAML::Node &l : layers) {
        const YAML::Node m = l["mapping"];
        c.mappings.push_back(m && !m.IsNull() ? parseBitloopMapping(m, path, arch) : Mapping{});
    }
    return c;
}

void exportConfiguration(const std::string &dir, const CodesignSpec &spec, const BitConfig &bits,
                         const CandidateCost &cost, const NetworkMapping &mappings)
{
    std::filesystem::create_directories(dir);
    y::writeFileAtomically((std::filesystem::path(dir) / "config.yaml").string(),
                           configurationYaml(spec, bits, cost, mappings));
    exportMappings(dir, spec.network, spec.arch, chainBits(spec.network, bits, spec.lastOutputBits), mappings);
}

} // namespace bitloop::search
