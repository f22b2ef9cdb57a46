// One layer to map, from a file: Timeloop's `problem:` (the stock CNN-Layer shape, or Grouped-CNN-Layer,
// CNN-Layer plus a group dimension G spelled out as a custom Timeloop shape; `instance` with the bounds,
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

// Timeloop's form of a shape (with `bitwidths` when given): the stock CNN-Layer when G is 1, else the
// Grouped-CNN-Layer shape written out in full. Padding is left out (it changes no loop bound).
std::string problemToTimeloopYaml(const ProblemShape &shape,
                                  const std::optional<BitWidths> &bits = std::nullopt);

} // namespace bitloop
