// Resolving what the user named on the command line: an architecture (preset or file, plus ERT and
// constraint files), a layer (problem file, or a network and a 1-based layer index) and bit-widths.
#pragma once

#include "arch/architecture.h"
#include "args.h"
#include "workload/layer.h"

#include <optional>

namespace bitloop::cli
{

extern const std::set<std::string> kArchOptions;  // arch, ert, constraints
extern const std::set<std::string> kLayerOptions; // problem, network, layer, width, resolution, classes
extern const std::set<std::string> kBitOptions;   // wbits, abits, obits

Architecture resolveArchitecture(const Args &args);
// The layer and the bit-widths its file carries, if any.
Layer resolveLayer(const Args &args, std::optional<BitWidths> &fileBits);
Network resolveNetwork(const Args &args);
// --wbits/--abits/--obits over the file's widths over 16 bits; Outputs default to the activation width.
BitWidths resolveBits(const Args &args, const std::optional<BitWidths> &fileBits);
// A usage error when a width is wider than the words of a level that may keep that tensor; `what`
// prefixes the message ("layer 3: ").
void checkBitsFit(const Architecture &arch, const BitWidths &bits, const std::string &what = "");

} // namespace bitloop::cli
