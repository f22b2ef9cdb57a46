// Mapping constraints in Timeloop's target syntax, used by Timeloop constraint files
// (`architecture_constraints:` / `mapspace_constraints:`, each with `targets:`, or a bare list) and by the
// `constraints:` / `search_constraints:` lists of Bitloop architecture files:
//   {target: DummyBuffer, type: spatial, factors: N=1 P=1 S=0, permutation: NPQR SCM, split: 4}
//   {target: psum_spad, type: bypass, keep: [Outputs], bypass: [Inputs, Weights]}
// Factors: "C=1 M=2" or "C1 M2"; 0 = all that is left. Permutations list dims innermost first; spaces are
// cosmetic. As in Timeloop's mapspace (PermutationSpace::InitLevel), the listed dims are fixed as the
// innermost loops in the given order and the dims not listed go outside them in any order: the free slot
// is at the end of the list (permutationHasFreeSlot = fewer than all dims listed, freeSlotAt = size).
#pragma once

#include "arch/architecture.h"
#include "io/yaml_util.h"

#include <array>
#include <string>
#include <vector>

namespace bitloop
{

// Adds the constraints of a document: roots `architecture_constraints` (hardware) and
// `mapspace_constraints` (searchOnly), either holding `targets:` or a list; or a bare list or `targets:`,
// which count as search-only when bareSearchOnly. Unknown levels, types, keys, dims and tensors are
// InputErrors, as is a factor, permutation, split or keep given twice for one level (Timeloop refuses
// those too). Hardware bypass constraints also clear StorageLevel::mayKeep of the bypassed tensors.
void addConstraints(Architecture &arch, const YAML::Node &root, const std::string &file,
                    bool bareSearchOnly = false);
// One list of targets.
void addConstraintList(Architecture &arch, const YAML::Node &list, const std::string &file, bool searchOnly);
void applyConstraints(Architecture &arch, const std::string &path);
// The constraints a file adds, without changing `arch`.
ArchConstraints readConstraints(const std::string &path, const Architecture &arch);

// One constraint as a flow mapping in the syntax above (no trailing newline).
std::string constraintToYaml(const LevelConstraint &c);

// Pieces shared with the mapping reader. `key` names the value in messages.
// Factors per dim, -1 where not given; InputError on syntax errors, unknown or repeated dims.
std::array<int64_t, kNumDims> parseFactorString(const yamlutil::Where &w, const YAML::Node &value,
                                                const std::string &key = "factors");
std::vector<Dim> parsePermutation(const yamlutil::Where &w, const YAML::Node &value,
                                  const std::string &key = "permutation");
std::vector<Tensor> parseTensorList(const yamlutil::Where &w, const YAML::Node &value,
                                    const std::string &key);
// "Weights, Inputs or Outputs"-style list of the level names, for messages.
std::string levelNames(const Architecture &arch);

} // namespace bitloop
