// A hand-built ONNX graph for the importer's tests (test_onnx, test_qat_onnx), written with ONNX's own
// protobuf classes; every figure of it is counted by hand in test_onnx.
#pragma once

#include <onnx/onnx_pb.h>

#include <QString>
#include <QTemporaryDir>

#include <fstream>
#include <string>
#include <vector>

namespace bitloop::testing
{

inline void addInts(onnx::NodeProto *n, const char *name, std::vector<int64_t> v)
{
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
        a->add_ints(x);
}
inline void addInt(onnx::NodeProto *n, const char *name, int64_t v)
{
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
}
inline void addTensor(onnx::GraphProto *g, const std::string &name, std::vector<int64_t> dims, float fill)
{
    onnx::TensorProto *t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (int64_t d : dims) {
        t->add_dims(d);
        n *= d;
    }
    for (int64_t i = 0; i < n; ++i)
        t->add_float_data(fill);
}
inline onnx::NodeProto *addNode(onnx::GraphProto *g, const std::string &op, const std::string &name,
                                std::vector<std::string> in, std::string out)
{
    onnx::NodeProto *n = g->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const std::string &i : in)
        n->add_input(i);
    n->add_output(out);
    return n;
}

struct TinyOptions {
    bool maxPool = false;        // c1's output max-pooled (1x1)
    bool hardSigmoid = false;    // an operator Bitloop does not read
    bool weightsAsInput = false; // c1's weights a graph input, not a constant
    bool skipBeforeRelu = false; // the residual adds c1's output before its ReLU: not a layer's output
};

// x [1,3,32,32] -> c1 (3x3/2, pad 1, 3->8) -> Relu -> [MaxPool 1x1 if asked] -> dw (3x3, 8 groups) ->
// Clip(0, 6) -> pw (1x1 8->8) -> Add(dw's input) -> [HardSigmoid if asked] -> GlobalAveragePool -> Flatten
// -> fc (Gemm 8->10, transB)
inline onnx::ModelProto tinyModel(TinyOptions o = {})
{
    const bool maxPool = o.maxPool, hardSigmoid = o.hardSigmoid, weightsAsInput = o.weightsAsInput;
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.add_opset_import()->set_version(13);
    onnx::GraphProto *g = m.mutable_graph();
    g->set_name("tiny");
    auto input = [&](const std::string &name, std::vector<int64_t> dims) {
        onnx::ValueInfoProto *v = g->add_input();
        v->set_name(name);
        auto *tt = v->mutable_type()->mutable_tensor_type();
        tt->set_elem_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims)
            tt->mutable_shape()->add_dim()->set_dim_value(d);
    };
    input("x", {1, 3, 32, 32});
    if (weightsAsInput)
        input("c1.w", {8, 3, 3, 3});
    else
        addTensor(g, "c1.w", {8, 3, 3, 3}, 0.1f);
    addTensor(g, "c1.b", {8}, 0.0f);
    addTensor(g, "dw.w", {8, 1, 3, 3}, 0.1f);
    addTensor(g, "pw.w", {8, 8, 1, 1}, 0.1f);
    addTensor(g, "fc.w", {10, 8}, 0.1f);
    addTensor(g, "zero", {}, 0.0f);
    addTensor(g, "six", {}, 6.0f);
    onnx::NodeProto *c1 = addNode(g, "Conv", "c1", {"x", "c1.w", "c1.b"}, "c1.out");
    addInts(c1, "strides", {2, 2});
    addInts(c1, "pads", {1, 1, 1, 1});
    addNode(g, "Relu", "relu1", {"c1.out"}, "a1");
    std::string dwIn = "a1";
    if (maxPool) {
        onnx::NodeProto *p = addNode(g, "MaxPool", "pool", {"a1"}, "p1");
        addInts(p, "kernel_shape", {1, 1});
        dwIn = "p1";
    }
    onnx::NodeProto *dw = addNode(g, "Conv", "dw", {dwIn, "dw.w"}, "dw.out");
    addInts(dw, "pads", {1, 1, 1, 1});
    addInt(dw, "group", 8);
    addNode(g, "Clip", "relu6", {"dw.out", "zero", "six"}, "a2");
    addNode(g, "Conv", "pw", {"a2", "pw.w"}, "pw.out");
    addNode(g, "Add", "residual", {"pw.out", o.skipBeforeRelu ? "c1.out" : dwIn}, "sum");
    std::string pooled = "sum";
    if (hardSigmoid) {
        addNode(g, "HardSigmoid", "gate", {"sum"}, "gated");
        pooled = "gated";
    }
    addNode(g, "GlobalAveragePool", "gap", {pooled}, "gap.out");
    addNode(g, "Flatten", "flatten", {"gap.out"}, "flat");
    onnx::NodeProto *fc = addNode(g, "Gemm", "fc", {"flat", "fc.w"}, "logits");
    addInt(fc, "transB", 1);
    onnx::ValueInfoProto *out = g->add_output();
    out->set_name("logits");
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    return m;
}

inline QString write(const QTemporaryDir &dir, const QString &name, const std::string &bytes)
{
    const QString path = dir.filePath(name);
    std::ofstream(path.toStdString(), std::ios::binary) << bytes;
    return path;
}

} // namespace bitloop::testing
