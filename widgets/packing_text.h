// How a layer's operands pack into the words of the levels that keep them, as the layer table shows it:
// "W×2/4 I×4 O×2" in the cell and the factor at each level in its tooltip.
#pragma once

#include "arch/architecture.h"
#include "workload/problem.h"

#include <QString>

#include <array>
#include <vector>

namespace bitloop::gui
{

// keep: per level, whether it keeps each tensor. perLevel receives the tooltip's lines.
QString packingText(const Architecture &arch, const std::vector<std::array<bool, kNumTensors>> &keep,
                    const BitWidths &bw, QString *perLevel);

} // namespace bitloop::gui
