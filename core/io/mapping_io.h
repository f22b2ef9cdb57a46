// Mapping files, in two forms (docs/file-formats.md):
//  - Timeloop's `mapping:` list of directives {target, type: temporal|spatial|bypass|datatype, factors,
//    permutation, split, keep, bypass}. As in Timeloop's mapping parser (mapping/parser.cpp): factors not
//    given are 1; a spatial permutation sends the loops at index < split to X and the rest to Y, dims it
//    does not list follow it, and a missing split means all X; a factor of 0 needs the problem bounds and
//    is refused here.
//  - Bitloop's `bitloop_mapping: 1` with `levels:` outermost first, each
//    {target, temporal: {Q: 14}, order: QPCMRSN, spatial_x: {M: 2}, spatial_y: {C: 4}, spatial_order,
//     keep: [Inputs, Outputs]}.
// In both, a level without keep/bypass keeps what the architecture's hardware bypass constraints force
// (and what it may keep), else every tensor.
#pragma once

#include "arch/architecture.h"
#include "mapping/mapping.h"

#include <yaml-cpp/yaml.h>

#include <string>

namespace bitloop
{

Mapping parseTimeloopMapping(const YAML::Node &root, const std::string &file, const Architecture &arch);
Mapping parseBitloopMapping(const YAML::Node &root, const std::string &file, const Architecture &arch);
// Either form, told apart by the top-level key.
Mapping loadMapping(const std::string &path, const Architecture &arch);

// The mapping of a level that says nothing: all factors 1, keep as above.
LevelMapping defaultLevelMapping(const Architecture &arch, int level);

// Bitloop's form; parseBitloopMapping(mappingToYaml(a, m)) == m.
std::string mappingToYaml(const Architecture &arch, const Mapping &mapping);
void saveMapping(const std::string &path, const Architecture &arch, const Mapping &mapping);
// Timeloop's form: levels outermost first, factors of all seven CNN-Layer dims (C M R S N P Q), and of G
// too when some G factor is not 1 (for problems in the Grouped-CNN-Layer shape, io/problem_io.h), full
// permutations innermost first, a split for each level with a fan-out, keep and bypass lists for every
// level. Throws std::invalid_argument where Timeloop cannot express the mapping: one dim split over both X
// and Y at one level.
std::string mappingToTimeloopYaml(const Architecture &arch, const Mapping &mapping);

} // namespace bitloop
