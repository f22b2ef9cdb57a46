// Everything that makes a mapping invalid before any access is counted: factors that do not multiply to
// the bounds, fan-outs wider than the hardware, tensors kept where they cannot be, bit-widths wider than a
// word, and broken architecture constraints. Capacity is checked by evaluate() once tiles are known.
#pragma once

#include "model/evaluation.h"

#include <string>
#include <vector>

namespace bitloop
{

struct LevelConstraint;

std::vector<std::string> checkMapping(const ProblemShape &shape, const Architecture &arch,
                                      const Mapping &mapping, const BitWidths &bits,
                                      const ModelOptions &options);

// Why a level's mapping breaks one constraint; empty when it holds.
std::string checkConstraint(const LevelConstraint &c, const Architecture &arch, const Mapping &mapping);

} // namespace bitloop
