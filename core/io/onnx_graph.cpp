#include "io/onnx_graph.h"

#include <cstring>

namespace bitloop::onnxgraph
{

GraphIndex::GraphIndex(const onnx::GraphProto &g) : graph(g)
{
    for (const onnx::TensorProto &t : graph.initializer())
        initializers[t.name()] = &t;
    for (int i = 0; i < graph.node_size(); ++i) {
        for (const std::string &out : graph.node(i).output())
            producer[out] = i;
        for (const std::string &in : graph.node(i).input())
            if (!in.empty())
                consumers[in].push_back(i);
    }
}

std::string nodeName(const onnx::GraphProto &graph, int i)
{
    const onnx::NodeProto &n = graph.node(i);
    return n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
}

std::vector<int64_t> attributeInts(const onnx::NodeProto &n, const char *name, std::vector<int64_t> dflt)
{
    for (const onnx::AttributeProto &a : n.attribute())
        if (a.name() == name)
            return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    return dflt;
}

int64_t attributeInt(const onnx::NodeProto &n, const char *name, int64_t dflt)
{
    for (const onnx::AttributeProto &a : n.attribute())
        if (a.name() == name)
            return a.i();
    return dflt;
}

const onnx::TensorProto *GraphIndex::constant(std::string name) const
{
    for (int hops = 0; hops < 64; ++hops) {
        if (auto it = initializers.find(name); it != initializers.end())
            return it->second;
        auto p = producer.find(name);
        if (p == producer.end())
            return nullptr;
        const onnx::NodeProto &n = graph.node(p->second);
        if (n.op_type() == "Constant") {
            for (const onnx::AttributeProto &a : n.attribute())
                if (a.name() == "value" && a.has_t())
                    return &a.t();
            return nullptr;
        }
        if (n.op_type() != "Identity" || n.input_size() < 1)
            return nullptr;
        name = n.input(0);
    }
    return nullptr;
}

bool GraphIndex::scalar(const std::string &name, double &out) const
{
    if (name.empty())
        return false;
    const onnx::TensorProto *t = constant(name);
    if (!t || t->data_type() != onnx::TensorProto::FLOAT)
        return false;
    if (t->float_data_size() == 1) {
        out = t->float_data(0);
        return true;
    }
    if (t->raw_data().size() == sizeof(float)) {
        float f;
        std::memcpy(&f, t->raw_data().data(), sizeof f);
        out = f;
        return true;
    }
    return false;
}

namespace
{

bool passThrough(const std::string &op)
{
    return op == "Identity" || op == "Dropout";
}

// What a classifier's input may pass on its way from the last feature map (global pooling, flattening).
bool classifierPooling(const std::string &op)
{
    return op == "GlobalAveragePool" || op == "ReduceMean" || op == "Flatten" || op == "Reshape";
}

class Resolver
{
public:
    Resolver(const GraphIndex &g, const std::vector<int> &layerNodes, Network &net)
        : g_(g), nodes_(layerNodes), net_(net)
    {
        for (size_t k = 0; k < nodes_.size(); ++k)
            layerOfNode_[nodes_[k]] = static_cast<int>(k);
    }

    void run()
    {
        const size_t n = nodes_.size();
        in_.resize(n);
        out_.resize(n);
        inQuantized_.resize(n);
        for (size_t k = 0; k < n; ++k) {
            bool quantized = false;
            in_[k] =
                canonical(node(k).input(0), net_.layers[k].kind == LayerKind::FullyConnected, &quantized);
            inQuantized_[k] = quantized;
        }
        for (size_t k = 0; k < n; ++k)
            follow(k);
        for (size_t k = 0; k < n; ++k)
            connectInput(k);
        if (g_.graph.output_size() > 0 && canonical(g_.graph.output(0).name(), false) != out_.back())
            note("the graph's output '" + g_.graph.output(0).name() +
                 "' is not the output of its last layer '" + net_.layers.back().name + "'");
    }

private:
    const onnx::NodeProto &node(size_t k) const { return g_.graph.node(nodes_[k]); }
    const std::string &name(size_t k) const { return net_.layers[k].name; }

    void note(const std::string &why)
    {
        if (net_.chainNote.empty())
            net_.chainNote = why;
    }

    // The tensor t is a copy of: back through Identity and Dropout and a quantizer (QuantizeLinear,
    // DequantizeLinear, the Clip to its range), for a classifier's input also through the global pooling
    // and flattening before it, and to the graph's input through the image's quantization as pixels
    // (Mul, Add, Sub, Div of constants), which only the image may pass. *quantized, when given, says
    // whether the way back passed a QuantizeLinear or DequantizeLinear: t is then the quantized copy.
    std::string canonical(std::string t, bool classifier, bool *quantized = nullptr) const
    {
        std::string beforeImageOps;
        bool imageOps = false, crossed = false, crossedBeforeImageOps = false;
        auto answer = [&](const std::string &root, bool viaQuantizer) {
            if (quantized)
                *quantized = viaQuantizer;
            return root;
        };
        for (int hops = 0; hops < 1000; ++hops) {
            auto p = g_.producer.find(t);
            if (p == g_.producer.end())
                return answer(t, crossed); // a graph input or an initializer
            const onnx::NodeProto &n = g_.graph.node(p->second);
            const std::string &op = n.op_type();
            const bool image = (op == "Mul" || op == "Add" || op == "Sub" || op == "Div") &&
                               n.input_size() == 2 && g_.constant(n.input(1)) && !g_.constant(n.input(0));
            if (image && !imageOps) {
                beforeImageOps = t;
                crossedBeforeImageOps = crossed;
                imageOps = true;
            }
            if (n.input_size() < 1 || !(passThrough(op) || quantizerStep(p->second) || image ||
                                        (classifier && classifierPooling(op)))) {
                return imageOps ? answer(beforeImageOps, crossedBeforeImageOps) : answer(t, crossed);
            }
            crossed = crossed || op == "QuantizeLinear" || op == "DequantizeLinear";
            t = n.input(0);
        }
        return answer(t, crossed);
    }

    // Whether node i is part of a quantizer: QuantizeLinear, DequantizeLinear, or a Clip that only feeds
    // a QuantizeLinear (the Clip to the quantizer's range).
    bool quantizerStep(int i) const
    {
        const std::string &op = g_.graph.node(i).op_type();
        if (op == "QuantizeLinear" || op == "DequantizeLinear")
            return true;
        if (op != "Clip")
            return false;
        const int c = soleConsumer(g_.graph.node(i).output(0));
        return c >= 0 && g_.graph.node(c).op_type() == "QuantizeLinear";
    }

    // The layer whose node t comes from through what a layer's output passes (BatchNorm, activation,
    // pooling, copies); -1 when t comes from anything else.
    int producingLayer(std::string t) const
    {
        static const char *const through[] = {"BatchNormalization", "Relu",     "Clip",    "MaxPool",
                                              "AveragePool",        "Identity", "Dropout", "QuantizeLinear",
                                              "DequantizeLinear"};
        for (int hops = 0; hops < 1000; ++hops) {
            auto p = g_.producer.find(t);
            if (p == g_.producer.end())
                return -1;
            if (auto l = layerOfNode_.find(p->second); l != layerOfNode_.end())
                return l->second;
            const onnx::NodeProto &n = g_.graph.node(p->second);
            bool passes = false;
            for (const char *op : through)
                passes = passes || n.op_type() == op;
            if (!passes || n.input_size() < 1)
                return -1;
            t = n.input(0);
        }
        return -1;
    }

    // The node that alone consumes t; -1 for none or several.
    int soleConsumer(const std::string &t) const
    {
        auto c = g_.consumers.find(t);
        if (c == g_.consumers.end() || c->second.size() != 1)
            return -1;
        for (const onnx::ValueInfoProto &o : g_.graph.output())
            if (o.name() == t)
                return -1;
        return c->second.front();
    }

    // Walks forward from layer k's node through what belongs to it, in the order an accelerator's layer
    // applies them: BatchNorm, one addition, the activation, pooling.
    void follow(size_t k)
    {
        net_.layers[k].activation = Activation::None;
        enum Stage { Computed, Normalized, Added, Activated, Pooled } stage = Computed;
        std::string t = node(k).output(0);
        for (int hops = 0; hops < 64; ++hops) {
            const int c = soleConsumer(t);
            if (c < 0)
                break;
            const onnx::NodeProto &n = g_.graph.node(c);
            const std::string &op = n.op_type();
            if (quantizerStep(c))
                break; // the next layer's input quantizer
            if (passThrough(op)) {
            } else if (op == "BatchNormalization" && stage < Normalized) {
                stage = Normalized;
            } else if (op == "Add" && stage < Added) {
                if (!addition(k, n, c, t))
                    break;
                stage = Added;
            } else if ((op == "Relu" || op == "Clip") && stage < Activated) {
                if (!activation(k, n, c))
                    break;
                stage = Activated;
            } else if ((op == "MaxPool" || op == "AveragePool") && stage < Pooled) {
                if (!pooling(k, n, c))
                    break;
                stage = Pooled;
            } else {
                break;
            }
            t = n.output(0);
        }
        out_[k] = canonical(t, false);
    }

    // An Add after layer k, reached through tensor t: true when it is layer k's (a MatMul's bias, a
    // residual of an earlier layer's input, a shortcut of an earlier layer's output).
    bool addition(size_t k, const onnx::NodeProto &add, int addNode, const std::string &t)
    {
        Layer &layer = net_.layers[k];
        if (add.input_size() != 2 || add.input(0) == add.input(1)) {
            note("node '" + g_.nodeName(addNode) + "' does not add two different tensors");
            return false;
        }
        const std::string other = add.input(0) == t ? add.input(1) : add.input(0);
        if (g_.constant(other)) {
            if (node(k).op_type() == "MatMul")
                return true; // the bias, which the weights reader takes
            note("node '" + g_.nodeName(addNode) + "' adds a constant after layer '" + name(k) + "'");
            return false;
        }
        bool quantized = false;
        const std::string o = canonical(other, false, &quantized);
        for (size_t r = 0; r <= k; ++r)
            if (in_[r] == o) {
                layer.residualFrom = static_cast<int>(r);
                // The QAT engine adds layer r's input as layer r reads it (quantized where it is).
                if (quantized != bool(inQuantized_[r]))
                    note("node '" + g_.nodeName(addNode) + "' adds the input of layer '" + name(r) + "' " +
                         (quantized ? "through a quantizer that the layer does not read it through"
                                    : "unquantized, where the layer reads it quantized"));
                return true;
            }
        const int p = producingLayer(other);
        if (p > static_cast<int>(k))
            return false; // the later branch's last layer owns the sum
        if (p >= 0 && out_[static_cast<size_t>(p)] == o) {
            layer.addOutputOf = p;
            // The QAT engine adds an earlier layer's output as computed, before any quantizer.
            if (quantized)
                note("node '" + g_.nodeName(addNode) + "' adds the output of layer '" + name(size_t(p)) +
                     "' quantized, where Bitloop adds it as computed");
            return true;
        }
        note("node '" + g_.nodeName(addNode) + "' adds '" + other +
             "', which is neither an earlier layer's input nor its output");
        return false;
    }

    bool activation(size_t k, const onnx::NodeProto &n, int c)
    {
        Layer &layer = net_.layers[k];
        if (n.op_type() == "Relu") {
            layer.activation = Activation::ReLU;
            return true;
        }
        double lo = -1, hi = -1;
        const bool hasLo = n.input_size() > 1 && g_.scalar(n.input(1), lo);
        const bool hasHi = n.input_size() > 2 && g_.scalar(n.input(2), hi);
        if (hasLo && lo == 0 && hasHi && hi == 6) {
            layer.activation = Activation::ReLU6;
            return true;
        }
        if (hasLo && lo == 0 && (n.input_size() < 3 || n.input(2).empty())) {
            layer.activation = Activation::ReLU;
            return true;
        }
        note("node '" + g_.nodeName(c) + "' clips to another range than ReLU6's [0, 6]");
        return false;
    }

    bool pooling(size_t k, const onnx::NodeProto &n, int c)
    {
        const std::vector<int64_t> kernel = attributeInts(n, "kernel_shape", {});
        const std::vector<int64_t> strides = attributeInts(n, "strides", {1, 1});
        const std::vector<int64_t> pads = attributeInts(n, "pads", {0, 0, 0, 0});
        const std::vector<int64_t> dilations = attributeInts(n, "dilations", {1, 1});
        const bool average = n.op_type() == "AveragePool";
        std::string why;
        if (kernel.size() != 2 || strides.size() != 2 || pads.size() != 4 || dilations.size() != 2)
            why = "is not a 2-D pooling";
        else if (pads[0] != pads[2] || pads[1] != pads[3])
            why = "pads one side more than the other";
        else if (dilations[0] != 1 || dilations[1] != 1 || attributeInt(n, "ceil_mode", 0) != 0)
            why = "has a dilation or ceil_mode";
        else if (average && (pads[0] != 0 || pads[1] != 0) && attributeInt(n, "count_include_pad", 0) == 0)
            why = "averages over padding without counting it";
        else if (kernel[0] < 1 || kernel[1] < 1 || strides[0] < 1 || strides[1] < 1 ||
                 kernel[0] > 1'000'000 || kernel[1] > 1'000'000 || strides[0] > 1'000'000 ||
                 strides[1] > 1'000'000 || 2 * pads[0] > kernel[0] || 2 * pads[1] > kernel[1] ||
                 pads[0] < 0 || pads[1] < 0)
            why = "has a kernel, stride or padding out of range";
        for (const onnx::AttributeProto &a : n.attribute())
            if (a.name() == "auto_pad" && a.s() != "NOTSET" && !a.s().empty())
                why = "uses auto_pad";
        if (!why.empty()) {
            note("node '" + g_.nodeName(c) + "' (" + n.op_type() + ") " + why);
            return false;
        }
        Pooling &p = net_.layers[k].pool;
        p.kind = average ? Pooling::Kind::Average : Pooling::Kind::Max;
        p.kernelH = static_cast<int>(kernel[0]);
        p.kernelW = static_cast<int>(kernel[1]);
        p.strideH = static_cast<int>(strides[0]);
        p.strideW = static_cast<int>(strides[1]);
        p.padH = static_cast<int>(pads[0]);
        p.padW = static_cast<int>(pads[1]);
        return true;
    }

    void connectInput(size_t k)
    {
        const std::string &t = in_[k];
        const auto p = g_.producer.find(t);
        if (k == 0) {
            if (p != g_.producer.end())
                note("layer '" + name(k) + "' does not read the graph's input directly (it follows a " +
                     g_.graph.node(p->second).op_type() + ")");
            return;
        }
        for (size_t j = 0; j < k; ++j)
            if (out_[j] == t) {
                if (j + 1 != k)
                    net_.layers[k].inputFrom = static_cast<int>(j);
                return;
            }
        note("layer '" + name(k) + "' takes its input from " +
             (p == g_.producer.end()
                  ? "'" + t + "'"
                  : "node '" + g_.nodeName(p->second) + "' (" + g_.graph.node(p->second).op_type() + ")") +
             ", not from a layer's output");
    }

    const GraphIndex &g_;
    const std::vector<int> &nodes_;
    Network &net_;
    std::map<int, int> layerOfNode_;
    std::vector<std::string> in_, out_; // per layer, canonical
    std::vector<char> inQuantized_;     // whether layer k's input passes a quantizer
};

} // namespace

void resolveStructure(const GraphIndex &g, const std::vector<int> &layerNodes, Network &net)
{
    Resolver(g, layerNodes, net).run();
}

} // namespace bitloop::onnxgraph
