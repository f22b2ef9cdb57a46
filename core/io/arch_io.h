// Architecture files. Two forms are read, both described in docs/file-formats.md:
//  - Timeloop v0.3: the `architecture:` tree, an Accelergy ERT (`ERT:`) for the energies, and Timeloop
//    constraints (see constraints_io.h); a directory holding arch.yaml, ert.yaml, arch_constraints.yaml
//    and map_constraints.yaml is read as one architecture.
//  - Bitloop's own (`bitloop_architecture: 1`): one flat file, levels outermost first, with energies and
//    constraints inline. This is the form of the shipped presets and the only one written.
// Warnings (attributes that are not understood, levels without an energy table) are appended to
// *warnings when it is given and dropped otherwise; everything that would change the numbers is an
// InputError naming the file, the line and what was expected.
#pragma once

#include "arch/architecture.h"

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace bitloop
{

// Timeloop v0.3 `architecture:` tree (root may hold other keys, such as ERT, which are left alone).
Architecture parseTimeloopArch(const YAML::Node &root, const std::string &file,
                               std::vector<std::string> *warnings = nullptr);
Architecture readTimeloopArch(const std::string &path, std::vector<std::string> *warnings = nullptr);

// Accelergy energy reference table: sets the per-action energies of the levels and of the MAC.
void applyErt(Architecture &arch, const YAML::Node &root, const std::string &file,
              std::vector<std::string> *warnings = nullptr);
void applyErt(Architecture &arch, const std::string &path, std::vector<std::string> *warnings = nullptr);

// Bitloop's own form.
Architecture parseBitloopArch(const YAML::Node &root, const std::string &file);
Architecture readBitloopArch(const std::string &path);
// headerComment is written first, each line prefixed with "# ". parseBitloopArch(architectureToYaml(a))
// equals `a` in every field except `source` and the constraints' `origin`.
std::string architectureToYaml(const Architecture &arch, const std::string &headerComment = "");
void saveArchitecture(const Architecture &arch, const std::string &path,
                      const std::string &headerComment = "");

// Presets: *.yaml in $BITLOOP_PRESETS if set, else in the source tree's arch_presets/.
std::string presetDir();
std::vector<std::string> listPresets(); // file stems, sorted

// A preset name ("eyeriss16"), a Bitloop or Timeloop file (the format is detected from the top-level
// keys; a Timeloop file may also hold ERT and constraints), or a directory of Timeloop files.
Architecture loadArchitecture(const std::string &nameOrPath, std::vector<std::string> *warnings = nullptr);

} // namespace bitloop
