// Finding an architecture by preset name or path, and telling the two file forms apart.
#include "io/arch_io.h"

#include "io/constraints_io.h"
#include "io/yaml_util.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace bitloop
{

using namespace yamlutil;

std::string presetDir()
{
    const char *env = std::getenv("BITLOOP_PRESETS");
    if (env && *env)
        return env;
    return BITLOOP_SOURCE_PRESET_DIR;
}

std::vector<std::string> listPresets()
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(presetDir(), ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file(ec) && it->path().extension() == ".yaml")
            names.push_back(it->path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

namespace
{

// A directory of Timeloop files, named as in the reference study's runs.
Architecture loadTimeloopDir(const fs::path &dir, std::vector<std::string> *warnings)
{
    const fs::path archFile = dir / "arch.yaml";
    std::error_code ec;
    if (!fs::exists(archFile, ec))
        throw InputError(dir.string(), 0, "a directory of Timeloop files needs arch.yaml");
    Architecture arch = readTimeloopArch(archFile.string(), warnings);
    arch.name = dir.filename().string();
    if (arch.name.empty())
        arch.name = dir.parent_path().filename().string();
    const fs::path ert = dir / "ert.yaml";
    if (fs::exists(ert, ec))
        applyErt(arch, ert.string(), warnings);
    else if (warnings)
        warnings->push_back(dir.string() + ": no ert.yaml; all energies are 0");
    for (const char *name : {"arch_constraints.yaml", "map_constraints.yaml"}) {
        const fs::path f = dir / name;
        if (fs::exists(f, ec))
            applyConstraints(arch, f.string());
    }
    return arch;
}

} // namespace

Architecture loadArchitecture(const std::string &nameOrPath, std::vector<std::string> *warnings)
{
    std::error_code ec;
    fs::path path(nameOrPath);
    const bool plainName = !nameOrPath.empty() && nameOrPath.find('/') == std::string::npos &&
                           path.extension() != ".yaml" && path.extension() != ".yml";
    if (plainName) {
        const fs::path preset = fs::path(presetDir()) / (nameOrPath + ".yaml");
        if (fs::is_regular_file(preset, ec))
            path = preset;
    }
    if (fs::is_directory(path, ec))
        return loadTimeloopDir(path, warnings);
    if (!fs::exists(path, ec)) {
        const std::vector<std::string> presets = listPresets();
        throw InputError(nameOrPath, 0,
                         "neither a preset (" +
                             (presets.empty() ? std::string("none in ") + presetDir() : joinWords(presets)) +
                             ") nor an existing file");
    }
    const std::string file = path.string();
    const YAML::Node root = loadFile(file);
    if (has(root, "bitloop_architecture"))
        return parseBitloopArch(root, file);
    if (has(root, "architecture")) {
        Architecture arch = parseTimeloopArch(root, file, warnings);
        if (has(root, "ERT"))
            applyErt(arch, root, file, warnings);
        if (has(root, "architecture_constraints") || has(root, "mapspace_constraints"))
            addConstraints(arch, root, file);
        return arch;
    }
    throw InputError(file, lineOf(root),
                     "not an architecture: expected 'bitloop_architecture: 1' (Bitloop) or 'architecture:' "
                     "(Timeloop v0.3) at the top");
}

} // namespace bitloop
