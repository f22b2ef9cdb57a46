#include "qat/onnx_export.h"

#include "io/yaml_util.h"
#include "util/error.h"

#include <onnx/onnx_pb.h>

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace bitloop::qat
{

namespace
{

std::string layerLabel(const QuantNet &net, int i)
{
    return "layer " + std::to_string(i + 1) + " '" + net.network().layers[static_cast<size_t>(i)].name + "'";
}

class GraphWriter
{
public:
    explicit GraphWriter(onnx::GraphProto *g) : g_(g) {}

    std::string fresh(const std::string &stem) { return stem + "_" + std::to_string(counter_++); }

    onnx::NodeProto *node(const std::string &op, const std::vector<std::string> &in, const std::string &out,
                          const std::string &name = {})
    {
        onnx::NodeProto *n = g_->add_node();
        n->set_op_type(op);
        n->set_name(name.empty() ? fresh(op) : name);
        for (const std::string &i : in)
            n->add_input(i);
        n->add_output(out);
        return n;
    }

    std::string floats(const std::string &stem, const std::vector<int64_t> &dims, const float *v, int64_t n)
    {
        onnx::TensorProto *t = g_->add_initializer();
        const std::string name = fresh(stem);
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims)
            t->add_dims(d);
        t->set_raw_data(
            std::string(reinterpret_cast<const char *>(v), static_cast<size_t>(n) * sizeof(float)));
        return name;
    }
    std::string scalar(const std::string &stem, float v) { return floats(stem, {}, &v, 1); }

    std::string bytes(const std::string &stem, int type, const std::vector<int64_t> &dims,
                      const std::vector<int8_t> &v)
    {
        onnx::TensorProto *t = g_->add_initializer();
        const std::string name = fresh(stem);
        t->set_name(name);
        t->set_data_type(type);
        for (int64_t d : dims)
            t->add_dims(d);
        t->set_raw_data(std::string(reinterpret_cast<const char *>(v.data()), v.size()));
        return name;
    }

    static void ints(onnx::NodeProto *n, const char *name, const std::vector<int64_t> &v)
    {
        onnx::AttributeProto *a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v)
            a->add_ints(x);
    }
    static void integer(onnx::NodeProto *n, const char *name, int64_t v)
    {
        onnx::AttributeProto *a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }

    // Clip to the b-bit range, QuantizeLinear, DequantizeLinear: LSQ's clamp(round(x / s)) * s.
    std::string quantize(const std::string &x, const ActQuantizer &q, const std::string &stem)
    {
        const float s = std::max(q.activeStep().item<float>(), static_cast<float>(kMinStep));
        const ActRange r = q.range();
        const std::string clipped = fresh(stem + "_clipped");
        node("Clip",
             {x, scalar(stem + "_lo", -static_cast<float>(r.qn) * s),
              scalar(stem + "_hi", static_cast<float>(r.qp) * s)},
             clipped);
        const std::string codes = fresh(stem + "_codes"), out = fresh(stem + "_q");
        const std::string zero = bytes(
            stem + "_zero", q.isUnsigned() ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8, {}, {0});
        const std::string scale = scalar(stem + "_step", s);
        node("QuantizeLinear", {clipped, scale, zero}, codes);
        node("DequantizeLinear", {codes, scale, zero}, out);
        return out;
    }

private:
    onnx::GraphProto *g_;
    int counter_ = 0;
};

// The weights as the layer computes with them in eval mode, as int8 codes and one scale per output channel
// (the scale recovered from the codes at the ends of the range), or float when unquantized.
std::string writeWeights(GraphWriter &w, const QuantNet &net, int i, const torch::Tensor &folded, int bits)
{
    const std::vector<int64_t> dims = folded.sizes().vec();
    if (!isQuantizingBits(bits)) {
        const torch::Tensor c = folded.contiguous();
        return w.floats("w", dims, c.data_ptr<float>(), c.numel());
    }
    const torch::Tensor q = fakeQuantizeWeights(folded, bits, net.weightScale).contiguous();
    const int64_t channels = dims.front(), per = q.numel() / channels;
    const float qp = static_cast<float>((1 << (bits - 1)) - 1);
    const float qn = usesFullRange(net.weightScale) ? qp + 1 : qp; // the most negative code's magnitude
    std::vector<float> scales(static_cast<size_t>(channels));
    std::vector<int8_t> codes(static_cast<size_t>(q.numel()));
    const float *v = q.data_ptr<float>();
    for (int64_t c = 0; c < channels; ++c) {
        const float *row = v + c * per;
        float hi = 0, lo = 0; // max(0, max q), max(0, -min q)
        bool finite = true;
        for (int64_t j = 0; j < per; ++j) {
            hi = std::max(hi, row[j]);
            lo = std::max(lo, -row[j]);
            finite = finite && std::isfinite(row[j]);
        }
        const float amax = std::max(hi, lo);
        if (!finite)
            throw std::invalid_argument(layerLabel(net, i) + ": its weights are not finite");
        // The channel's scale times qp is its largest value, or times qn its most negative: fake
        // quantization puts one of the two at its end of the range.
        const float scale = amax > 0 ? std::max(hi / qp, lo / qn) : 1.0f;
        scales[size_t(c)] = scale;
        for (int64_t j = 0; j < per; ++j) {
            const float code = std::nearbyint(row[j] / scale);
            if (code > qp || code < -qn || std::fabs(code * scale - row[j]) > 1e-5f * std::max(amax, 1e-30f))
                throw std::invalid_argument(layerLabel(net, i) + ": weights that are not " +
                                            std::to_string(bits) + "-bit codes times one scale per channel");
            codes[size_t(c * per + j)] = static_cast<int8_t>(code);
        }
    }
    const std::string stored = w.bytes("w_codes", onnx::TensorProto::INT8, dims, codes);
    const std::string scale = w.floats("w_scale", {channels}, scales.data(), channels);
    const std::string zero = w.bytes("w_zero", onnx::TensorProto::INT8, {channels},
                                     std::vector<int8_t>(static_cast<size_t>(channels), 0));
    const std::string out = w.fresh("w");
    onnx::NodeProto *dq = w.node("DequantizeLinear", {stored, scale, zero}, out);
    GraphWriter::integer(dq, "axis", 0);
    return out;
}

} // namespace

void writeQuantizedOnnx(QuantNet &net, const std::string &path, const QuantizedOnnxInfo &info)
{
    if (!net.foldBn)
        throw std::invalid_argument("only a network with BatchNorm folded into its weights can be exported");
    torch::NoGradGuard noGrad;
    net.eval();
    const Network &network = net.network();
    onnx::ModelProto m;
    m.set_ir_version(7);
    m.set_producer_name(info.producer);
    m.set_doc_string(info.docString);
    onnx::OperatorSetIdProto *opset = m.add_opset_import();
    opset->set_domain("");
    opset->set_version(13);
    onnx::GraphProto *g = m.mutable_graph();
    g->set_name(network.name);
    GraphWriter w(g);

    const Layer &first = network.layers.front();
    const int64_t channels = first.inputChannels();
    const bool imageIsMap = first.kind != LayerKind::FullyConnected;
    {
        onnx::ValueInfoProto *in = g->add_input();
        in->set_name("input");
        auto *t = in->mutable_type()->mutable_tensor_type();
        t->set_elem_type(onnx::TensorProto::FLOAT);
        t->mutable_shape()->add_dim()->set_dim_param("N");
        t->mutable_shape()->add_dim()->set_dim_value(channels);
        if (imageIsMap) {
            t->mutable_shape()->add_dim()->set_dim_value(info.imageHeight);
            t->mutable_shape()->add_dim()->set_dim_value(info.imageWidth);
        }
    }
    const size_t n = network.layers.size();
    std::vector<std::string> out(n), quantizedIn(n);
    std::string widths;
    for (size_t k = 0; k < n; ++k) {
        const int i = static_cast<int>(k);
        const Layer &spec = network.layers[k];
        QuantLayer &layer = net.layer(i);
        const int src = network.sourceOf(k);
        std::string x = src < 0 ? "input" : out[static_cast<size_t>(src)];
        const bool fromMap =
            src < 0 ? imageIsMap : network.layers[size_t(src)].kind != LayerKind::FullyConnected;
        if (layer.isFullyConnected() && fromMap) {
            const std::string pooled = w.fresh("pooled"), flat = w.fresh("flat");
            w.node("GlobalAveragePool", {x}, pooled);
            GraphWriter::integer(w.node("Flatten", {pooled}, flat), "axis", 1);
            x = flat;
        }
        const std::string stem = "l" + std::to_string(k + 1);
        if (net.quantize && isQuantizingBits(layer.activationBits())) {
            if (k == 0 && net.quantizesPixels()) {
                std::vector<int64_t> dims{1, channels};
                if (imageIsMap)
                    dims.insert(dims.end(), {1, 1});
                const torch::Tensor mean = net.imageMean().contiguous(), sd = net.imageStd().contiguous();
                const std::string meanT = w.floats("image_mean", dims, mean.data_ptr<float>(), channels);
                const std::string stdT = w.floats("image_std", dims, sd.data_ptr<float>(), channels);
                const std::string scaled = w.fresh("pixels_scaled"), pixels = w.fresh("pixels");
                w.node("Mul", {x, stdT}, scaled);
                w.node("Add", {scaled, meanT}, pixels);
                const std::string q = w.quantize(pixels, *layer.inputQuant, stem + "_in");
                const std::string centred = w.fresh("centred"), normalized = w.fresh("normalized");
                w.node("Sub", {q, meanT}, centred);
                w.node("Div", {centred, stdT}, normalized);
                x = normalized;
            } else {
                x = w.quantize(x, *layer.inputQuant, stem + "_in");
            }
        }
        quantizedIn[k] = x;
        const int wbits = net.quantize ? layer.weightBits() : 32;
        const auto [folded, bias] = layer.foldedWeightsAndBias();
        const std::string wT = writeWeights(w, net, i, folded, wbits);
        const torch::Tensor b = bias.contiguous();
        const std::string bT = w.floats("b", {b.numel()}, b.data_ptr<float>(), b.numel());
        std::string y = w.fresh(stem + "_out");
        onnx::NodeProto *op = nullptr;
        if (layer.isFullyConnected()) {
            op = w.node("Gemm", {x, wT, bT}, y, spec.name);
            GraphWriter::integer(op, "transB", 1);
        } else {
            const ProblemShape &s = spec.shape;
            op = w.node("Conv", {x, wT, bT}, y, spec.name);
            GraphWriter::ints(op, "kernel_shape", {s.bound(Dim::S), s.bound(Dim::R)});
            GraphWriter::ints(op, "strides", {s.hstride, s.wstride});
            GraphWriter::ints(op, "pads", {s.hpad, s.wpad, s.hpad, s.wpad});
            GraphWriter::ints(op, "dilations", {s.hdilation, s.wdilation});
            GraphWriter::integer(op, "group", s.bound(Dim::G));
        }
        const std::string bitsText =
            std::to_string(wbits) + "/" + std::to_string(net.quantize ? layer.activationBits() : 32);
        op->set_doc_string("bitloop widths " + bitsText + " (weights / input activations)");
        widths += (k ? " " : "") + bitsText;
        if (spec.residualFrom >= 0) {
            const std::string sum = w.fresh(stem + "_residual");
            w.node("Add", {y, quantizedIn[static_cast<size_t>(spec.residualFrom)]}, sum);
            y = sum;
        }
        if (spec.addOutputOf >= 0) {
            const std::string sum = w.fresh(stem + "_shortcut");
            w.node("Add", {y, out[static_cast<size_t>(spec.addOutputOf)]}, sum);
            y = sum;
        }
        if (spec.activation != Activation::None) {
            const std::string a = w.fresh(stem + "_act");
            if (spec.activation == Activation::ReLU)
                w.node("Relu", {y}, a);
            else
                w.node("Clip", {y, w.scalar("zero", 0.0f), w.scalar("six", 6.0f)}, a);
            y = a;
        }
        if (spec.pool.kind != Pooling::Kind::None) {
            const Pooling &p = spec.pool;
            const std::string pooled = w.fresh(stem + "_pool");
            onnx::NodeProto *pn =
                w.node(p.kind == Pooling::Kind::Max ? "MaxPool" : "AveragePool", {y}, pooled);
            GraphWriter::ints(pn, "kernel_shape", {p.kernelH, p.kernelW});
            GraphWriter::ints(pn, "strides", {p.strideH, p.strideW});
            GraphWriter::ints(pn, "pads", {p.padH, p.padW, p.padH, p.padW});
            if (p.kind == Pooling::Kind::Average)
                GraphWriter::integer(pn, "count_include_pad", 1); // torch's avg_pool2d, as QuantNet runs it
            y = pooled;
        }
        out[k] = y;
    }
    // The last tensor under a stable name.
    w.node("Identity", {out.back()}, "logits");
    onnx::ValueInfoProto *o = g->add_output();
    o->set_name("logits");
    auto *t = o->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param("N");
    t->mutable_shape()->add_dim()->set_dim_value(network.layers.back().outputChannels());
    onnx::StringStringEntryProto *meta = m.add_metadata_props();
    meta->set_key("bitloop.widths");
    meta->set_value(widths);
    // How the weights were scaled: a reader re-quantizing them needs the range (max-full's code -2^(b-1)).
    meta = m.add_metadata_props();
    meta->set_key("bitloop.weight_scale");
    meta->set_value(weightScaleName(net.weightScale));
    std::string bytes;
    if (!m.SerializeToString(&bytes))
        throw InputError(path, 0, "the ONNX model could not be serialized");
    yamlutil::writeFileAtomically(path, bytes);
}

} // namespace bitloop::qat
