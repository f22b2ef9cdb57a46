// Bitloop's own architecture form: reader and writer. Levels are written outermost first, as a designer
// draws the machine; in memory they are innermost first.
#include "io/arch_io.h"

#include "io/constraints_io.h"
#include "io/yaml_util.h"

#include <filesystem>
#include <set>
#include <sstream>

namespace bitloop
{

using namespace yamlutil;

namespace
{

const std::vector<std::string> kTopKeys = {"bitloop_architecture", "name", "mac", "levels", "constraints",
                                           "search_constraints"};
const std::vector<std::string> kMacKeys = {"name",   "instances",   "mesh_x",
                                           "energy", "native_bits", "scale_with_bits"};
const std::vector<std::string> kLevelKeys = {
    "name",        "instances",    "mesh_x",         "depth",           "word_bits",
    "block_size",  "cluster_size", "read_bandwidth", "write_bandwidth", "keeps",
    "read_energy", "write_energy", "update_energy"};

MacUnit readMac(const Where &where, const YAML::Node &node)
{
    const Where w = where.in("'mac'");
    expectMap(w, node, "the MAC array: {name, instances, mesh_x, energy, native_bits, scale_with_bits}");
    checkKeys(w, node, kMacKeys);
    MacUnit m;
    m.name = optionalString(w, node, "name").value_or("mac");
    m.instances = requireInt(w, node, "instances", Sign::Positive);
    m.meshX = optionalInt(w, node, "mesh_x", Sign::Positive).value_or(m.instances);
    m.energy = optionalDouble(w, node, "energy", Sign::NonNegative).value_or(0);
    m.nativeBits =
        static_cast<int>(optionalInt(w, node, "native_bits", Sign::Positive, kMaxInt32).value_or(16));
    m.scaleWithBits = optionalBool(w, node, "scale_with_bits").value_or(false);
    return m;
}

StorageLevel readLevel(const Where &where, const YAML::Node &node)
{
    expectMap(where, node, "a level: {name, instances, depth, word_bits, ...}");
    StorageLevel l;
    l.name = requireString(where, node, "name");
    const Where w = where.in("level '" + l.name + "'");
    checkKeys(w, node, kLevelKeys);
    l.instances = optionalInt(w, node, "instances", Sign::Positive).value_or(1);
    l.meshX = optionalInt(w, node, "mesh_x", Sign::Positive).value_or(l.instances);
    l.depth = optionalInt(w, node, "depth", Sign::NonNegative).value_or(0);
    l.wordBits = static_cast<int>(requireInt(w, node, "word_bits", Sign::Positive, kMaxInt32));
    l.blockSize = optionalInt(w, node, "block_size", Sign::Positive).value_or(1);
    l.clusterSize = optionalInt(w, node, "cluster_size", Sign::Positive).value_or(1);
    l.readBandwidth = optionalDouble(w, node, "read_bandwidth", Sign::NonNegative).value_or(0);
    l.writeBandwidth = optionalDouble(w, node, "write_bandwidth", Sign::NonNegative).value_or(0);
    if (has(node, "keeps")) {
        l.mayKeep = {false, false, false};
        for (Tensor t : parseTensorList(w, node["keeps"], "keeps"))
            l.mayKeep[idx(t)] = true;
    }
    l.readEnergy = optionalDouble(w, node, "read_energy", Sign::NonNegative).value_or(0);
    l.writeEnergy = optionalDouble(w, node, "write_energy", Sign::NonNegative).value_or(0);
    l.updateEnergy = optionalDouble(w, node, "update_energy", Sign::NonNegative).value_or(l.writeEnergy);
    return l;
}

std::string tensorListText(const std::array<bool, kNumTensors> &which)
{
    std::string s;
    for (Tensor t : kAllTensors)
        if (which[idx(t)])
            s += std::string(s.empty() ? "" : ", ") + tensorName(t);
    return "[" + s + "]";
}

} // namespace

Architecture parseBitloopArch(const YAML::Node &root, const std::string &file)
{
    const Where w{file, ""};
    expectMap(w, root, "a Bitloop architecture starting with 'bitloop_architecture: 1'");
    checkKeys(w, root, kTopKeys);
    const int64_t version = requireInt(w, root, "bitloop_architecture", Sign::Positive);
    if (version != 1)
        fail(w, root["bitloop_architecture"],
             "'bitloop_architecture' must be 1 (the only version), got " + std::to_string(version));
    Architecture arch;
    arch.source = file;
    arch.name = optionalString(w, root, "name").value_or(std::filesystem::path(file).stem().string());
    arch.mac = readMac(w, require(w, root, "mac", "the MAC array"));
    const YAML::Node levels = require(w, root, "levels", "a list of levels, outermost first");
    const std::vector<YAML::Node> items = toList(w, levels, "levels");
    if (items.empty())
        fail(w, levels, "'levels' must list at least one level");
    std::set<std::string> names;
    for (const YAML::Node &item : items) {
        StorageLevel l = readLevel(w, item);
        if (!names.insert(l.name).second || l.name == arch.mac.name)
            fail(w, item["name"], "the name '" + l.name + "' is used twice");
        arch.levels.insert(arch.levels.begin(), std::move(l));
    }
    const std::string problem = arch.validate();
    if (!problem.empty())
        throw InputError(file, lineOf(levels), problem);
    if (has(root, "constraints"))
        addConstraintList(arch, root["constraints"], file, false);
    if (has(root, "search_constraints"))
        addConstraintList(arch, root["search_constraints"], file, true);
    return arch;
}

Architecture readBitloopArch(const std::string &path)
{
    return parseBitloopArch(loadFile(path), path);
}

std::string architectureToYaml(const Architecture &arch, const std::string &headerComment)
{
    std::ostringstream os;
    if (!headerComment.empty()) {
        std::istringstream lines(headerComment);
        for (std::string line; std::getline(lines, line);)
            os << (line.empty() ? "#" : "# " + line) << "\n";
    }
    const MacUnit &m = arch.mac;
    os << "bitloop_architecture: 1\n"
       << "name: " << scalar(arch.name) << "\n"
       << "mac: {name: " << scalar(m.name) << ", instances: " << m.instances << ", mesh_x: " << m.meshX
       << ", energy: " << formatDouble(m.energy) << ", native_bits: " << m.nativeBits
       << ", scale_with_bits: " << (m.scaleWithBits ? "true" : "false") << "}\n"
       << "levels: # outermost first; depth in words (0 = unbounded), energies in pJ per block access\n";
    for (int i = arch.numLevels() - 1; i >= 0; --i) {
        const StorageLevel &l = arch.levels[i];
        os << "  - name: " << scalar(l.name) << "\n"
           << "    instances: " << l.instances << "\n"
           << "    mesh_x: " << l.meshX << "\n"
           << "    depth: " << l.depth << "\n"
           << "    word_bits: " << l.wordBits << "\n"
           << "    block_size: " << l.blockSize << "\n"
           << "    cluster_size: " << l.clusterSize << "\n"
           << "    read_bandwidth: " << formatDouble(l.readBandwidth) << "\n"
           << "    write_bandwidth: " << formatDouble(l.writeBandwidth) << "\n"
           << "    keeps: " << tensorListText(l.mayKeep) << "\n"
           << "    read_energy: " << formatDouble(l.readEnergy) << "\n"
           << "    write_energy: " << formatDouble(l.writeEnergy) << "\n"
           << "    update_energy: " << formatDouble(l.updateEnergy) << "\n";
    }
    for (bool search : {false, true}) {
        os << (search ? "search_constraints:" : "constraints:");
        std::string items;
        for (const LevelConstraint &c : arch.constraints.targets)
            if (c.searchOnly == search)
                items += "  - " + constraintToYaml(c) + "\n";
        os << (items.empty() ? " []\n" : "\n" + items);
    }
    return os.str();
}

void saveArchitecture(const Architecture &arch, const std::string &path, const std::string &headerComment)
{
    writeFileAtomically(path, architectureToYaml(arch, headerComment));
}

} // namespace bitloop
