// One layer to map, from a file: Timeloop's `problem:` (CNN-Layer shape, `instance` with the bounds,
// strides, dilations and the fork's `bitwidths` / `commonBitwidth`), or Bitloop's `layer:` with the keys
// of a layer in a network file (io/network_yaml.h) and optional `bitwidths: {Weights, Inputs, Outputs}`.
#pragma once

#include "workload/problem.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace bitloop
{

struct ProblemFile {
    std::string name;   // the layer's name; for Timeloop files the file name without extension
    ProblemShape shape; // G = 1 for Timeloop's CNN-Layer
    std::optional<BitWidths> bits;
};

ProblemFile parseTimeloopProblem(const YAML::Node &root, const std::string &file);
// Either form, told apart by the top-level key.
ProblemFile loadProblem(const std::string &path);

// Timeloop's CNN-Layer form of a shape (with `bitwidths` when given). Throws std::invalid_argument when G
// is not 1, which CNN-Layer cannot express; padding is left out (it changes no loop bound).
std::string problemToTimeloopYaml(const ProblemShape &shape,
                                  const std::optional<BitWidths> &bits = std::nullopt);

} // namespace bitloop
