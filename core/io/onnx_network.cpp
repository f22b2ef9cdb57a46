#include "io/onnx_network.h"

#include "io/onnx_graph.h"
#include "qat/weight_scale.h"

#include "util/error.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace bitloop
{

bool isOnnxPath(const std::string &path)
{
    if (path.size() < 5)
        return false;
    std::string ext = path.substr(path.size() - 5);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext == ".onnx";
}

namespace
{

const char *const kSupported =
    "Conv, Gemm, MatMul, BatchNormalization, Relu, Clip, Add, GlobalAveragePool, "
    "ReduceMean, MaxPool, AveragePool, Flatten, Reshape, Identity, Dropout, Constant, QuantizeLinear, "
    "DequantizeLinear, and Mul, Add, Sub, Div of constants on the image before the first layer";

bool supported(const std::string &op)
{
    static const std::set<std::string> ops{"Conv",
                                           "Gemm",
                                           "MatMul",
                                           "BatchNormalization",
                                           "Relu",
                                           "Clip",
                                           "Add",
                                           "GlobalAveragePool",
                                           "ReduceMean",
                                           "MaxPool",
                                           "AveragePool",
                                           "Flatten",
                                           "Reshape",
                                           "Identity",
                                           "Dropout",
                                           "Constant",
                                           "QuantizeLinear",
                                           "DequantizeLinear",
                                           "Mul",
                                           "Sub",
                                           "Div"};
    return ops.count(op) > 0;
}

class OnnxReader
{
public:
    explicit OnnxReader(const std::string &path) : path_(path) {}

    Network read(std::vector<OnnxLayerWeights> *weights)
    {
        load();
        Network net;
        net.name = std::filesystem::path(path_).stem().string();
        std::set<std::string> names;
        for (int i = 0; i < graph().node_size(); ++i) {
            const onnx::NodeProto &node = graph().node(i);
            if (!supported(node.op_type()))
                fail("node '" + nodeName(i) + "' is a " + node.op_type() +
                     ", which Bitloop does not read; supported: " + kSupported);
            if (node.op_type() != "Conv" && node.op_type() != "Gemm" && node.op_type() != "MatMul")
                continue;
            Layer layer = node.op_type() == "Conv" ? conv(i) : fullyConnected(i);
            // ONNX does not require unique node names; Bitloop's layers need them.
            std::string name = layer.name;
            for (int k = 2; names.count(name); ++k)
                name = layer.name + "#" + std::to_string(k);
            layer.name = name;
            names.insert(name);
            if (!layer.shape.countsFit())
                fail("node '" + layer.name + "': its sizes are too large to count in 64 bits");
            if (weights)
                weights->push_back(node.op_type() == "Conv" ? convWeights(i) : fcWeights(i, layer));
            net.layers.push_back(layer);
            layerNodes_.push_back(i);
        }
        if (net.layers.empty())
            fail("the graph has no Conv, Gemm or MatMul node with constant weights");
        onnxgraph::resolveStructure(*index_, layerNodes_, net);
        if (weights) {
            for (size_t k = 0; k < layerNodes_.size(); ++k)
                readQuantization(k, (*weights)[k]);
            refuseOtherQuantizers();
            readWidths(*weights);
        }
        return net;
    }

private:
    [[noreturn]] void fail(const std::string &what) const { throw InputError(path_, 0, what); }
    const onnx::GraphProto &graph() const { return model_.graph(); }

    void load()
    {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path_, ec))
            fail("no such file");
        const auto size = std::filesystem::file_size(path_, ec);
        if (ec || size == 0)
            fail("the file is empty or unreadable");
        if (size > (uintmax_t(1) << 31))
            fail("larger than 2 GiB, the most a protobuf message may be");
        std::ifstream in(path_, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in && !in.eof())
            fail("could not be read");
        if (!model_.ParseFromString(bytes) || !model_.has_graph())
            fail("not an ONNX model (the protobuf does not parse as a ModelProto with a graph)");
        checkWindowAttributes();
        try {
            onnx::shape_inference::InferShapes(model_);
        } catch (const std::exception &e) {
            fail(std::string("ONNX shape inference failed: ") + e.what());
        }
        auto addShapes = [&](const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> &infos) {
            for (const onnx::ValueInfoProto &v : infos) {
                if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape())
                    continue;
                std::vector<int64_t> dims;
                for (const auto &d : v.type().tensor_type().shape().dim())
                    dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
                shapes_[v.name()] = dims;
            }
        };
        addShapes(graph().input());
        addShapes(graph().value_info());
        addShapes(graph().output());
        index_ = std::make_unique<onnxgraph::GraphIndex>(graph());
    }

    // ONNX's shape inference divides by strides, dilations and groups without checking them (a zero
    // stride is a SIGFPE inside libonnx): they are checked here first.
    void checkWindowAttributes() const
    {
        for (int i = 0; i < graph().node_size(); ++i) {
            const onnx::NodeProto &n = graph().node(i);
            if (n.op_type() != "Conv" && n.op_type() != "MaxPool" && n.op_type() != "AveragePool")
                continue;
            for (const onnx::AttributeProto &a : n.attribute()) {
                const bool positive =
                    a.name() == "strides" || a.name() == "dilations" || a.name() == "kernel_shape";
                const bool nonNegative = a.name() == "pads";
                for (int64_t v : a.ints())
                    if ((positive && (v < 1 || v > 1'000'000)) || (nonNegative && (v < 0 || v > 1'000'000)))
                        fail("node '" + onnxgraph::nodeName(graph(), i) + "': " + a.name() + " " +
                             std::to_string(v) + " is out of range");
                if (a.name() == "group" && (a.i() < 1 || a.i() > 1'000'000))
                    fail("node '" + onnxgraph::nodeName(graph(), i) + "': group " + std::to_string(a.i()) +
                         " is out of range");
            }
        }
    }

    std::string nodeName(int i) const { return index_->nodeName(i); }
    const onnx::TensorProto *constant(const std::string &name) const { return index_->constant(name); }

    std::vector<int64_t> knownShape(int node, const std::string &tensor, size_t rank, const char *what) const
    {
        auto it = shapes_.find(tensor);
        if (it == shapes_.end() || it->second.size() != rank)
            fail("node '" + nodeName(node) + "': the shape of its " + what + " '" + tensor +
                 "' is not known as " + std::to_string(rank) + "-D after shape inference");
        std::vector<int64_t> dims = it->second;
        if (dims[0] < 0)
            dims[0] = 1; // a symbolic batch: Bitloop maps one image at a time
        for (size_t d = 1; d < dims.size(); ++d)
            if (dims[d] <= 0)
                fail("node '" + nodeName(node) + "': its " + what + " '" + tensor + "' has an unknown or " +
                     "empty dimension " + std::to_string(d));
        return dims;
    }

    const onnx::TensorProto &weights(int i, int input, size_t rank) const
    {
        const onnx::NodeProto &n = graph().node(i);
        const onnx::TensorProto *w = n.input_size() > input ? constant(n.input(input)) : nullptr;
        if (!w && n.input_size() > input)
            if (const onnx::NodeProto *dq = dequantizer(n.input(input)))
                w = constant(dq->input(0)); // the codes: the weights' dims
        if (!w)
            fail("node '" + nodeName(i) + "': its weights are not a constant (an initializer)");
        if (size_t(w->dims_size()) != rank)
            fail("node '" + nodeName(i) + "': its weights are " + std::to_string(w->dims_size()) +
                 "-D, expected " + std::to_string(rank) + "-D");
        for (int64_t d : w->dims())
            if (d <= 0)
                fail("node '" + nodeName(i) + "': its weights have an empty dimension");
        return *w;
    }

    static int narrow(int64_t v, const std::string &what, const OnnxReader &r, int node)
    {
        if (v < 0 || v > 1'000'000)
            r.fail("node '" + r.nodeName(node) + "': " + what + " " + std::to_string(v) + " is out of range");
        return static_cast<int>(v);
    }

    Layer conv(int i) const
    {
        const onnx::NodeProto &n = graph().node(i);
        const onnx::TensorProto &w = weights(i, 1, 4);
        const std::vector<int64_t> x = knownShape(i, n.input(0), 4, "input");
        const std::vector<int64_t> y = knownShape(i, n.output(0), 4, "output");
        const int64_t groups = onnxgraph::attributeInt(n, "group", 1);
        const int64_t cin = x[1], cout = w.dims(0);
        if (groups < 1 || cin % groups != 0 || cout % groups != 0 || w.dims(1) * groups != cin)
            fail("node '" + nodeName(i) + "': group " + std::to_string(groups) + " does not fit " +
                 std::to_string(cin) + " input and " + std::to_string(cout) + " output channels");
        const std::vector<int64_t> strides = onnxgraph::attributeInts(n, "strides", {1, 1});
        const std::vector<int64_t> dilations = onnxgraph::attributeInts(n, "dilations", {1, 1});
        const std::vector<int64_t> pads = onnxgraph::attributeInts(n, "pads", {0, 0, 0, 0});
        if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4)
            fail("node '" + nodeName(i) + "': only 2-D convolutions are read");
        Layer layer;
        layer.name = nodeName(i);
        ProblemShape &s = layer.shape;
        s.bound(Dim::N) = x[0];
        s.bound(Dim::G) = groups;
        s.bound(Dim::C) = cin / groups;
        s.bound(Dim::M) = cout / groups;
        s.bound(Dim::S) = w.dims(2); // kernel height
        s.bound(Dim::R) = w.dims(3); // kernel width
        s.bound(Dim::Q) = y[2];      // output height
        s.bound(Dim::P) = y[3];      // output width
        s.hstride = narrow(strides[0], "stride", *this, i);
        s.wstride = narrow(strides[1], "stride", *this, i);
        s.hdilation = narrow(dilations[0], "dilation", *this, i);
        s.wdilation = narrow(dilations[1], "dilation", *this, i);
        s.hpad = narrow(pads[0], "padding", *this, i);
        s.wpad = narrow(pads[1], "padding", *this, i);
        if (s.hstride < 1 || s.wstride < 1 || s.hdilation < 1 || s.wdilation < 1)
            fail("node '" + nodeName(i) + "': strides and dilations must be positive");
        if (groups > 1 && s.bound(Dim::C) == 1 && s.bound(Dim::M) == 1)
            layer.kind = LayerKind::Depthwise;
        else if (s.bound(Dim::R) == 1 && s.bound(Dim::S) == 1)
            layer.kind = LayerKind::Pointwise;
        else
            layer.kind = LayerKind::Conv;
        return layer;
    }

    Layer fullyConnected(int i) const
    {
        const onnx::NodeProto &n = graph().node(i);
        const onnx::TensorProto &w = weights(i, 1, 2);
        const std::vector<int64_t> a = knownShape(i, n.input(0), 2, "input");
        int64_t in = w.dims(0), out = w.dims(1); // MatMul: [K, N]
        if (n.op_type() == "Gemm") {
            if (onnxgraph::attributeInt(n, "transA", 0) != 0)
                fail("node '" + nodeName(i) + "': a Gemm with transA is not read");
            if (onnxgraph::attributeInt(n, "transB", 0) != 0)
                std::swap(in, out); // [N, K], as torch.nn.Linear exports
        }
        if (a[1] != in)
            fail("node '" + nodeName(i) + "': its input has " + std::to_string(a[1]) +
                 " features, its weights " + std::to_string(in));
        return makeFullyConnected(nodeName(i), in, out, a[0]);
    }

    // The element count a tensor's dims give; dims that are negative or multiply past 2^40 are refused.
    int64_t elements(int node, const onnx::TensorProto &t, const char *what) const
    {
        int64_t n = 1;
        for (int64_t d : t.dims()) {
            if (d < 0 || (d > 0 && n > (int64_t(1) << 40) / d))
                fail("node '" + nodeName(node) + "': its " + what + " have impossible dims");
            n *= d;
        }
        return n;
    }

    // The float values of a constant, checked against the element count its dims give.
    std::vector<float> floats(int node, const onnx::TensorProto &t, const char *what) const
    {
        if (t.data_type() != onnx::TensorProto::FLOAT)
            fail("node '" + nodeName(node) + "': its " + what + " are not float32 (ONNX type " +
                 std::to_string(t.data_type()) + ")");
        const int64_t n = elements(node, t, what);
        std::vector<float> v;
        if (t.float_data_size() > 0) {
            v.assign(t.float_data().begin(), t.float_data().end());
        } else if (!t.raw_data().empty() && t.raw_data().size() % sizeof(float) == 0) {
            v.resize(t.raw_data().size() /
                     sizeof(float)); // little-endian, as ONNX stores it and x86 reads it
            std::memcpy(v.data(), t.raw_data().data(), t.raw_data().size());
        }
        if (static_cast<int64_t>(v.size()) != n)
            fail("node '" + nodeName(node) + "': its " + what + " hold " + std::to_string(v.size()) +
                 " values where their dims give " + std::to_string(n) +
                 (t.has_data_location() && t.data_location() == onnx::TensorProto::EXTERNAL
                      ? " (external data is not read)"
                      : ""));
        return v;
    }

    // Per output channel: the bias input of a node (zeros without one), broadcast from one value if need be.
    std::vector<float> biasOf(int node, int input, int64_t outputs) const
    {
        const onnx::NodeProto &n = graph().node(node);
        if (n.input_size() <= input || n.input(input).empty())
            return std::vector<float>(static_cast<size_t>(outputs), 0.0f);
        const onnx::TensorProto *t = constant(n.input(input));
        if (!t)
            fail("node '" + nodeName(node) + "': its bias is not a constant");
        std::vector<float> b = floats(node, *t, "bias");
        if (b.size() == 1)
            b.assign(static_cast<size_t>(outputs), b.front());
        if (static_cast<int64_t>(b.size()) != outputs)
            fail("node '" + nodeName(node) + "': its bias has " + std::to_string(b.size()) + " values for " +
                 std::to_string(outputs) + " outputs");
        return b;
    }

    // The single consumer of a tensor, past Identity and Dropout; -1 when there is none or several.
    int nextNode(std::string t) const
    {
        for (int hops = 0; hops < 64; ++hops) {
            auto c = index_->consumers.find(t);
            if (c == index_->consumers.end() || c->second.size() != 1)
                return -1;
            const onnx::NodeProto &n = graph().node(c->second.front());
            if (n.op_type() != "Identity" && n.op_type() != "Dropout")
                return c->second.front();
            t = n.output(0);
        }
        return -1;
    }

    // The node that produces tensor t when it is an `op`; nullptr otherwise.
    const onnx::NodeProto *producerOf(const std::string &t, const char *op) const
    {
        auto p = index_->producer.find(t);
        if (p == index_->producer.end() || graph().node(p->second).op_type() != op)
            return nullptr;
        return &graph().node(p->second);
    }

    // The DequantizeLinear of constants that produces tensor t, if one does.
    const onnx::NodeProto *dequantizer(const std::string &t) const
    {
        const onnx::NodeProto *n = producerOf(t, "DequantizeLinear");
        if (!n || n->input_size() < 2 || !constant(n->input(0)) || !constant(n->input(1)))
            return nullptr;
        return n;
    }

    // Integer codes as doubles: int8 or uint8 (what QuantizeLinear makes at opset 13), or int32.
    std::vector<double> codes(int node, const onnx::TensorProto &t, const char *what) const
    {
        std::vector<double> v;
        const std::string &raw = t.raw_data();
        switch (t.data_type()) {
        case onnx::TensorProto::INT8:
            if (!raw.empty())
                for (char c : raw)
                    v.push_back(static_cast<int8_t>(c));
            else
                v.assign(t.int32_data().begin(), t.int32_data().end());
            break;
        case onnx::TensorProto::UINT8:
            if (!raw.empty())
                for (char c : raw)
                    v.push_back(static_cast<uint8_t>(c));
            else
                v.assign(t.int32_data().begin(), t.int32_data().end());
            break;
        case onnx::TensorProto::INT32:
            if (!raw.empty() && raw.size() % 4 == 0)
                for (size_t k = 0; k < raw.size(); k += 4) {
                    int32_t x;
                    std::memcpy(&x, raw.data() + k, 4);
                    v.push_back(x);
                }
            else
                v.assign(t.int32_data().begin(), t.int32_data().end());
            break;
        default:
            fail("node '" + nodeName(node) + "': its " + what + " are of ONNX type " +
                 std::to_string(t.data_type()) + ", not int8, uint8 or int32");
        }
        const int64_t n = elements(node, t, what);
        if (static_cast<int64_t>(v.size()) != n)
            fail("node '" + nodeName(node) + "': its " + what + " hold " + std::to_string(v.size()) +
                 " values where their dims give " + std::to_string(n));
        return v;
    }

    // A layer's weights as floats: the initializer, or (code - zero point) * scale of a DequantizeLinear,
    // per tensor or per channel along its axis.
    std::vector<float> weightValues(int i, const onnx::TensorProto &w, OnnxLayerWeights &lw) const
    {
        const onnx::NodeProto *dq = dequantizer(graph().node(i).input(1));
        if (!dq)
            return floats(i, w, "weights");
        const std::vector<double> q = codes(i, w, "weight codes");
        const std::vector<float> scale = floats(i, *constant(dq->input(1)), "weight scales");
        std::vector<double> zero(scale.size(), 0.0);
        if (dq->input_size() > 2 && !dq->input(2).empty()) {
            const onnx::TensorProto *z = constant(dq->input(2));
            if (!z)
                fail("node '" + nodeName(i) + "': its weights' zero point is not a constant");
            zero = codes(i, *z, "weight zero points");
        }
        if (onnxgraph::attributeInt(*dq, "block_size", 0) != 0)
            fail("node '" + nodeName(i) + "': its weights are quantized in blocks (block_size), which " +
                 "Bitloop does not read");
        int64_t axis = onnxgraph::attributeInt(*dq, "axis", 1);
        if (axis < 0)
            axis += w.dims_size();
        const bool perTensor = scale.size() == 1;
        if (zero.size() != scale.size() ||
            (!perTensor && (axis < 0 || axis >= w.dims_size() || w.dims(int(axis)) != int64_t(scale.size()))))
            fail("node '" + nodeName(i) + "': its weights' scales and zero points do not fit their dims");
        int64_t inner = 1;
        for (int d = int(axis) + 1; d < w.dims_size() && !perTensor; ++d)
            inner *= w.dims(d);
        std::vector<float> v(q.size());
        for (size_t k = 0; k < q.size(); ++k) {
            const size_t c =
                perTensor ? 0 : static_cast<size_t>((int64_t(k) / inner) % int64_t(scale.size()));
            v[k] = static_cast<float>((q[k] - zero[c]) * scale[c]);
            lw.minWeightCode = std::min(lw.minWeightCode, q[k] - zero[c]);
            lw.maxWeightCode = std::max(lw.maxWeightCode, q[k] - zero[c]);
        }
        return v;
    }

    // The codes layer k's input quantizer can produce, less its zero point: its type's range, narrowed by a
    // Clip before it (Bitloop's export clips to the b-bit range). Import compares them with the range of
    // the quantizer it measures with, so that a graph it would compute otherwise is refused, not measured.
    void readActivationCodes(size_t k, const onnx::NodeProto &q, const onnx::NodeProto &dq, double step,
                             OnnxLayerWeights &lw) const
    {
        const int node = layerNodes_[k];
        // The codes' type: the zero point's, else QuantizeLinear's output_dtype (opset 21), else uint8;
        // a DequantizeLinear reads the codes it is given.
        const int64_t declared = onnxgraph::attributeInt(q, "output_dtype", 0);
        auto zeroOf = [&](const onnx::NodeProto &n, int &type) {
            if (n.input_size() < 3 || n.input(2).empty())
                return 0.0;
            const onnx::TensorProto *z = constant(n.input(2));
            if (!z)
                fail("node '" + nodeName(node) + "': its input quantizer's zero point is not a constant");
            type = z->data_type();
            const std::vector<double> v = codes(node, *z, "input zero point");
            if (v.size() != 1)
                fail("node '" + nodeName(node) + "': its input quantizer has more than one zero point");
            return v.front();
        };
        int qType = declared ? int(declared) : int(onnx::TensorProto::UINT8);
        const double zero = zeroOf(q, qType);
        if (declared && qType != declared)
            fail("node '" + nodeName(node) + "': its input's QuantizeLinear has a zero point of another " +
                 "type than its output_dtype");
        if (qType != onnx::TensorProto::INT8 && qType != onnx::TensorProto::UINT8)
            fail("node '" + nodeName(node) + "': its input quantizer makes codes of ONNX type " +
                 std::to_string(qType) + "; Bitloop reads int8 and uint8");
        int dqType = qType;
        const double dqZero = zeroOf(dq, dqType);
        double qStep = 0;
        if (dqZero != zero || dqType != qType || !index_->scalar(q.input(1), qStep) || qStep != step)
            fail("node '" + nodeName(node) +
                 "': its input's QuantizeLinear and DequantizeLinear differ in scale or zero point");
        for (const onnx::NodeProto *n : {&q, &dq})
            if (onnxgraph::attributeInt(*n, "block_size", 0) != 0)
                fail("node '" + nodeName(node) + "': its input quantizer is blocked (block_size), which " +
                     "Bitloop does not compute");
        if (qType == onnx::TensorProto::INT8) {
            lw.activationCodeMin = -128 - zero;
            lw.activationCodeMax = 127 - zero;
        } else {
            lw.activationCodeMin = -zero;
            lw.activationCodeMax = 255 - zero;
        }
        if (const onnx::NodeProto *clip = producerOf(q.input(0), "Clip")) {
            double lo = -HUGE_VAL, hi = HUGE_VAL;
            for (const onnx::AttributeProto &a : clip->attribute()) { // before opset 11
                if (a.name() == "min")
                    lo = a.f();
                else if (a.name() == "max")
                    hi = a.f();
            }
            if (clip->input_size() > 1 && !clip->input(1).empty() && !index_->scalar(clip->input(1), lo))
                fail("node '" + nodeName(node) +
                     "': the Clip before its input quantizer has no constant min");
            if (clip->input_size() > 2 && !clip->input(2).empty() && !index_->scalar(clip->input(2), hi))
                fail("node '" + nodeName(node) +
                     "': the Clip before its input quantizer has no constant max");
            if (std::isnan(lo) || std::isnan(hi))
                fail("node '" + nodeName(node) + "': the Clip before its input quantizer has a NaN bound");
            lw.activationCodeMin = std::max(lw.activationCodeMin, std::nearbyint(lo / step));
            lw.activationCodeMax = std::min(lw.activationCodeMax, std::nearbyint(hi / step));
        }
    }

    // What a quantized graph says of layer k's input and weights (OnnxLayerWeights' quantization fields):
    // walks back from the layer's input through [Div(std) <- Sub(mean) <-] DequantizeLinear <-
    // QuantizeLinear <- [Clip] [<- Add(mean) <- Mul(std)].
    void readQuantization(size_t k, OnnxLayerWeights &lw)
    {
        const onnx::NodeProto &layerNode = graph().node(layerNodes_[k]);
        const onnx::NodeProto *weightDq = dequantizer(layerNode.input(1));
        lw.weightBits = weightDq ? 8 : 32;
        if (weightDq)
            quantizers_.insert(weightDq);
        std::string t = layerNode.input(0);
        auto perChannel = [&](const onnx::NodeProto *n, const char *what) {
            std::vector<double> out;
            const onnx::TensorProto *c = n && n->input_size() == 2 ? constant(n->input(1)) : nullptr;
            if (c)
                for (float f : floats(layerNodes_[k], *c, what))
                    out.push_back(f);
            return out;
        };
        const onnx::NodeProto *div = k == 0 ? producerOf(t, "Div") : nullptr;
        const onnx::NodeProto *sub = div ? producerOf(div->input(0), "Sub") : nullptr;
        if (sub)
            t = sub->input(0);
        const onnx::NodeProto *dq = producerOf(t, "DequantizeLinear");
        const onnx::NodeProto *q =
            dq && dq->input_size() > 0 ? producerOf(dq->input(0), "QuantizeLinear") : nullptr;
        if (!dq || !q)
            return; // a DequantizeLinear of another producer is no layer's quantizer: read() refuses it
        double step = 0;
        if (dq->input_size() < 2 || q->input_size() < 2)
            fail("node '" + nodeName(layerNodes_[k]) + "': its input quantizer has no scale");
        if (!index_->scalar(dq->input(1), step) || !std::isfinite(step) || !(step > 0))
            fail("node '" + nodeName(layerNodes_[k]) + "': its input quantizer's scale is not one finite " +
                 "positive float32 (per-channel activation scales are not computed)");
        quantizers_.insert(q);
        quantizers_.insert(dq);
        lw.activationBits = 8;
        lw.activationStep = step;
        readActivationCodes(k, *q, *dq, step, lw);
        if (!sub)
            return;
        lw.imageStd = perChannel(div, "image deviations");
        lw.imageMean = perChannel(sub, "image means");
        if (lw.imageStd.empty() || lw.imageStd.size() != lw.imageMean.size())
            fail("node '" + nodeName(layerNodes_[k]) +
                 "': the image's Sub and Div are not one constant per channel");
    }

    // A QuantizeLinear or DequantizeLinear that is neither a layer's input quantizer nor its weights'
    // dequantizer (one after the global pooling, on a skip, one pair after another) changes what the
    // graph computes where Bitloop would compute the tensor unquantized: refused, not measured.
    void refuseOtherQuantizers() const
    {
        for (int i = 0; i < graph().node_size(); ++i) {
            const onnx::NodeProto &n = graph().node(i);
            if (n.op_type() != "QuantizeLinear" && n.op_type() != "DequantizeLinear")
                continue;
            if (!quantizers_.count(&n))
                fail("node '" + nodeName(i) + "' is a " + n.op_type() + " that is neither a layer's input " +
                     "quantizer (right before its Conv, Gemm or MatMul) nor its weights' dequantizer; " +
                     "Bitloop computes no other quantizer");
        }
    }

    // Bitloop's own record of the widths ("W/A" per layer) and of the weights' scale, when the model carries
    // them; whether each layer's weights use the full two's-complement range.
    void readWidths(std::vector<OnnxLayerWeights> &weights) const
    {
        bool recorded = false;
        for (const onnx::StringStringEntryProto &e : model_.metadata_props()) {
            if (e.key() != "bitloop.widths")
                continue;
            recorded = true;
            std::istringstream in(e.value());
            std::vector<std::pair<int, int>> widths;
            std::string pair;
            while (in >> pair) {
                int w = 0, a = 0;
                char slash = 0;
                std::istringstream p(pair);
                if (!(p >> w >> slash >> a) || slash != '/' || w < 1 || w > 32 || a < 1 || a > 32)
                    fail("metadata bitloop.widths: '" + pair + "' is not W/A");
                widths.emplace_back(w, a);
            }
            if (widths.size() != weights.size())
                fail("metadata bitloop.widths gives " + std::to_string(widths.size()) + " widths for " +
                     std::to_string(weights.size()) + " layers");
            for (size_t k = 0; k < widths.size(); ++k) {
                const bool wq = weights[k].weightBits != 32, aq = weights[k].activationStep > 0;
                if (wq != (widths[k].first <= 8) || aq != (widths[k].second <= 8))
                    fail("metadata bitloop.widths: layer " + std::to_string(k + 1) + " is " +
                         std::to_string(widths[k].first) + "/" + std::to_string(widths[k].second) +
                         " there, but the graph quantizes it otherwise");
                weights[k].weightBits = widths[k].first;
                weights[k].activationBits = widths[k].second;
            }
        }
        for (size_t k = 0; k < weights.size(); ++k) {
            OnnxLayerWeights &lw = weights[k];
            if (lw.weightBits > 8)
                continue;
            const double qn = std::ldexp(1.0, lw.weightBits - 1); // the most negative code's magnitude
            // Bitloop's widths promise codes within them (another tool's int8 codes may sit anywhere).
            if (recorded && (lw.minWeightCode < -qn || lw.maxWeightCode > qn - 1))
                fail("layer " + std::to_string(k + 1) + "'s weight codes reach " +
                     std::to_string(
                         std::llround(lw.minWeightCode < -qn ? lw.minWeightCode : lw.maxWeightCode)) +
                     ", outside the " + std::to_string(lw.weightBits) +
                     " bits metadata bitloop.widths gives it");
            lw.weightFullRange = lw.minWeightCode <= -qn;
        }
        for (const onnx::StringStringEntryProto &e : model_.metadata_props()) {
            if (e.key() != "bitloop.weight_scale")
                continue;
            qat::WeightScale scale = qat::WeightScale::Max;
            try {
                scale = qat::parseWeightScale(e.value());
            } catch (const std::invalid_argument &bad) {
                fail(std::string("metadata bitloop.weight_scale: ") + bad.what());
            }
            for (size_t k = 0; k < weights.size(); ++k) {
                OnnxLayerWeights &lw = weights[k];
                if (lw.weightBits > 8)
                    continue;
                if (!qat::usesFullRange(scale) && lw.weightFullRange)
                    fail("metadata bitloop.weight_scale is " + e.value() +
                         ", which has no code -2^(b-1), but layer " + std::to_string(k + 1) +
                         "'s weights use it");
                lw.weightFullRange = qat::usesFullRange(scale);
            }
        }
    }

    OnnxLayerWeights convWeights(int i) const
    {
        const onnx::TensorProto &w = weights(i, 1, 4);
        OnnxLayerWeights lw;
        lw.dims.assign(w.dims().begin(), w.dims().end());
        lw.weight = weightValues(i, w, lw);
        const int64_t outputs = lw.dims[0];
        lw.bias = biasOf(i, 2, outputs);
        // A BatchNormalization right after the convolution (an export that did not fold it) is folded here.
        const int bnNode = nextNode(graph().node(i).output(0));
        if (bnNode < 0 || graph().node(bnNode).op_type() != "BatchNormalization")
            return lw;
        const onnx::NodeProto &bn = graph().node(bnNode);
        std::vector<std::vector<float>> p; // scale, B, mean, var
        for (int k = 1; k <= 4; ++k) {
            const onnx::TensorProto *t = bn.input_size() > k ? constant(bn.input(k)) : nullptr;
            if (!t)
                fail("node '" + nodeName(bnNode) + "': its parameters are not constants");
            p.push_back(floats(bnNode, *t, "parameters"));
            if (static_cast<int64_t>(p.back().size()) != outputs)
                fail("node '" + nodeName(bnNode) + "': " + std::to_string(p.back().size()) +
                     " parameters for " + std::to_string(outputs) + " channels");
        }
        double eps = 1e-5;
        for (const onnx::AttributeProto &a : bn.attribute())
            if (a.name() == "epsilon")
                eps = a.f();
        const size_t perChannel = lw.weight.size() / static_cast<size_t>(outputs);
        for (size_t o = 0; o < size_t(outputs); ++o) {
            const double s = double(p[0][o]) / std::sqrt(double(p[3][o]) + eps);
            for (size_t k = 0; k < perChannel; ++k)
                lw.weight[o * perChannel + k] = static_cast<float>(lw.weight[o * perChannel + k] * s);
            lw.bias[o] = static_cast<float>((double(lw.bias[o]) - p[2][o]) * s + p[1][o]);
        }
        return lw;
    }

    OnnxLayerWeights fcWeights(int i, const Layer &layer) const
    {
        const onnx::NodeProto &n = graph().node(i);
        const onnx::TensorProto &w = weights(i, 1, 2);
        const int64_t in = layer.shape.bound(Dim::C), out = layer.shape.bound(Dim::M);
        OnnxLayerWeights lw;
        lw.dims = {out, in};
        const std::vector<float> raw = weightValues(i, w, lw);
        const bool stored =
            n.op_type() == "Gemm" && onnxgraph::attributeInt(n, "transB", 0) != 0; // already [out, in]
        lw.weight.resize(raw.size());
        for (int64_t o = 0; o < out; ++o)
            for (int64_t k = 0; k < in; ++k)
                lw.weight[size_t(o * in + k)] = stored ? raw[size_t(o * in + k)] : raw[size_t(k * out + o)];
        if (n.op_type() == "Gemm") {
            double alpha = 1, beta = 1;
            for (const onnx::AttributeProto &a : n.attribute()) {
                if (a.name() == "alpha")
                    alpha = a.f();
                if (a.name() == "beta")
                    beta = a.f();
            }
            for (float &x : lw.weight)
                x = static_cast<float>(x * alpha);
            lw.bias = biasOf(i, 2, out);
            for (float &x : lw.bias)
                x = static_cast<float>(x * beta);
            return lw;
        }
        // MatMul: its bias is the constant operand of an Add that follows, if any.
        lw.bias.assign(static_cast<size_t>(out), 0.0f);
        const int next = nextNode(n.output(0));
        if (next >= 0 && graph().node(next).op_type() == "Add")
            for (const std::string &operand : graph().node(next).input())
                if (constant(operand))
                    lw.bias = biasOf(next, operand == graph().node(next).input(0) ? 0 : 1, out);
        return lw;
    }

    std::string path_;
    onnx::ModelProto model_;
    std::map<std::string, std::vector<int64_t>> shapes_;
    std::unique_ptr<onnxgraph::GraphIndex> index_;
    std::vector<int> layerNodes_;
    std::set<const onnx::NodeProto *> quantizers_; // the layers' quantizer nodes: inputs' and weights'
};

} // namespace

Network readOnnxNetwork(const std::string &path, std::vector<OnnxLayerWeights> *weights)
{
    if (weights)
        weights->clear();
    return OnnxReader(path).read(weights);
}

} // namespace bitloop
