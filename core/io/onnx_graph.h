// How an ONNX graph's layers connect, for the accuracy side: what follows each layer (activation,
// residual or shortcut addition, pooling) and which layer's output each layer reads. Used by the ONNX
// reader (onnx_network.h) once it has made one Layer per Conv, Gemm and MatMul node.
#pragma once

#include "workload/layer.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

namespace bitloop::onnxgraph
{

// A node's name, or OP_index when it has none (ONNX does not require names).
std::string nodeName(const onnx::GraphProto &graph, int node);
// A node's attribute as ints, or `dflt` when the node does not set it.
std::vector<int64_t> attributeInts(const onnx::NodeProto &n, const char *name, std::vector<int64_t> dflt);
int64_t attributeInt(const onnx::NodeProto &n, const char *name, int64_t dflt);

// Who produces and who consumes each tensor, and the graph's constants.
struct GraphIndex {
    explicit GraphIndex(const onnx::GraphProto &graph);

    const onnx::GraphProto &graph;
    std::map<std::string, const onnx::TensorProto *> initializers;
    std::map<std::string, int> producer;
    std::map<std::string, std::vector<int>> consumers;

    std::string nodeName(int node) const { return onnxgraph::nodeName(graph, node); }
    // Follows Identity nodes back to an initializer or a Constant node's value; nullptr if not constant.
    const onnx::TensorProto *constant(std::string name) const;
    // A one-element float constant (Clip's min and max).
    bool scalar(const std::string &name, double &out) const;
};

// Sets each layer's activation, residualFrom, inputFrom, addOutputOf and pool from the graph
// (layerNodes[k] is layer k's node), and net.chainNote at the first place where the graph is something
// the accuracy side does not build (an addition of anything but an earlier layer's input or output, a
// layer reading an intermediate tensor, a padded pooling it cannot express). The sum of a ResNet block is
// owned by the later of its two branches' last layers: that layer adds the other's output (addOutputOf)
// or its block's input (residualFrom), then applies the ReLU after the sum as its own activation.
void resolveStructure(const GraphIndex &g, const std::vector<int> &layerNodes, Network &net);

} // namespace bitloop::onnxgraph
