// How an evaluation is shown: a per-level table for people and a JSON object for scripts. The GUI and
// the CLI print the same figures from here.
#pragma once

#include "model/evaluation.h"

#include <string>

namespace bitloop
{

class JsonWriter;
struct Architecture;
struct Mapping;

// Human-readable stats: validity and reasons, per level and tensor the tile, packing, accesses and energy,
// then totals (energy, cycles, utilization, pJ/MAC, EDP, weight memory).
std::string formatEvaluation(const Evaluation &ev);

// Writes the fields of one evaluation into an open JSON object: valid, reasons, energy_pj, cycles, macs,
// pj_per_mac, utilization, edp, weight_memory_bytes, bits, levels[{name, energy_pj, tensors{...}}].
void writeEvaluationJson(JsonWriter &json, const Evaluation &ev);

// A mapping as a JSON array of levels, innermost first: name, temporal factors and order, spatial X and Y
// factors, and the tensors kept.
void writeMappingJson(JsonWriter &json, const Architecture &arch, const Mapping &mapping);

} // namespace bitloop
