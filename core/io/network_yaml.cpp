#include "io/network_yaml.h"

#include "io/onnx_network.h"

#include "io/yaml_util.h"

#include "util/error.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

namespace bitloop
{

namespace
{

constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

int lineOf(const YAML::Mark &m)
{
    return m.is_null() || m.line < 0 ? 0 : m.line + 1;
}

std::string joined(const std::vector<std::string> &words)
{
    std::string s;
    for (const std::string &w : words)
        s += (s.empty() ? "" : ", ") + w;
    return s;
}

// The keys of one YAML mapping, in file order, each with its key node (for the line of an unknown key).
struct Fields {
    struct Entry {
        std::string key;
        YAML::Node keyNode, value;
    };
    YAML::Node node;
    std::vector<Entry> entries;

    const Entry *find(const std::string &key) const
    {
        for (const Entry &e : entries)
            if (e.key == key)
                return &e;
        return nullptr;
    }
};

class Reader
{
public:
    explicit Reader(std::string source) : source_(std::move(source)) {}

    Network network(const YAML::Node &root) const;
    Layer layer(const YAML::Node &node, size_t index) const;

private:
    [[noreturn]] void fail(const YAML::Node &at, const std::string &message) const
    {
        throw InputError(source_, lineOf(at.Mark()), message);
    }

    Fields fields(const YAML::Node &map, const std::string &label) const;
    void allowOnly(const Fields &f, const std::vector<std::string> &allowed, const std::string &label,
                   const std::string &what) const;
    const YAML::Node &require(const Fields &f, const std::string &key, const std::string &label) const;
    int64_t integer(const YAML::Node &value, const std::string &key, const std::string &label, int64_t min,
                    int64_t max) const;
    int64_t optional(const Fields &f, const std::string &key, const std::string &label, int64_t fallback,
                     int64_t min, int64_t max) const;
    int64_t required(const Fields &f, const std::string &key, const std::string &label, int64_t min,
                     int64_t max) const
    {
        return integer(require(f, key, label), key, label, min, max);
    }
    void input(const Fields &f, const std::string &label, ConvSpec &spec) const;

    Layer conv(const Fields &f, const std::string &label, const std::string &name, LayerKind declared) const;
    Layer raw(const Fields &f, const std::string &label, const std::string &name, bool typed,
              LayerKind declared) const;
    void checkFitsInt64(const YAML::Node &at, const std::string &label, const Layer &layer) const;
    int earlierLayer(const YAML::Node &value, const char *key, const std::string &label, size_t index,
                     bool orThis, const char *meaning) const;
    Pooling pooling(const YAML::Node &value, const std::string &label) const;
    void pair(const Fields &f, const char *key, const std::string &label, int fallback, int min, int &h,
              int &w) const;

    std::string source_;
};

Fields Reader::fields(const YAML::Node &map, const std::string &label) const
{
    Fields f;
    f.node = map;
    for (auto it = map.begin(); it != map.end(); ++it) {
        if (!it->first.IsScalar())
            fail(it->first, label + ": keys must be plain names, got " + yamlutil::describe(it->first));
        const std::string key = it->first.Scalar();
        if (f.find(key))
            fail(it->first, label + ": key '" + key + "' appears twice");
        f.entries.push_back({key, it->first, it->second});
    }
    return f;
}

void Reader::allowOnly(const Fields &f, const std::vector<std::string> &allowed, const std::string &label,
                       const std::string &what) const
{
    for (const Fields::Entry &e : f.entries) {
        bool known = false;
        for (const std::string &a : allowed)
            known = known || a == e.key;
        if (!known)
            fail(e.keyNode,
                 label + ": unknown key '" + e.key + "' for " + what + " (allowed: " + joined(allowed) + ")");
    }
}

const YAML::Node &Reader::require(const Fields &f, const std::string &key, const std::string &label) const
{
    const Fields::Entry *e = f.find(key);
    if (!e)
        fail(f.node, label + ": missing key '" + key + "'");
    return e->value;
}

int64_t Reader::integer(const YAML::Node &value, const std::string &key, const std::string &label,
                        int64_t min, int64_t max) const
{
    const char *expected = min > 0 ? "a positive integer" : "a non-negative integer";
    const std::string prefix = label + ": '" + key + "' must be ";
    if (!value.IsScalar() || value.Scalar().empty())
        fail(value, prefix + expected + ", got " + yamlutil::describe(value));
    const std::string &text = value.Scalar();
    errno = 0;
    char *end = nullptr;
    const long long v = std::strtoll(text.c_str(), &end, 10);
    const bool whole =
        end && *end == '\0' &&
        (std::isdigit(static_cast<unsigned char>(text[0])) || text[0] == '-' || text[0] == '+');
    if (!whole)
        fail(value, prefix + expected + ", got " + text);
    if (errno == ERANGE || v > max)
        fail(value, prefix + "at most " + std::to_string(max) + ", got " + text);
    if (v < min)
        fail(value, prefix + expected + ", got " + text);
    return v;
}

int64_t Reader::optional(const Fields &f, const std::string &key, const std::string &label, int64_t fallback,
                         int64_t min, int64_t max) const
{
    const Fields::Entry *e = f.find(key);
    return e ? integer(e->value, key, label, min, max) : fallback;
}

void Reader::input(const Fields &f, const std::string &label, ConvSpec &spec) const
{
    const YAML::Node &in = require(f, "input", label);
    if (in.IsSequence()) {
        if (in.size() != 2)
            fail(in, label + ": 'input' must be one size or [height, width], got a list of " +
                         std::to_string(in.size()));
        spec.inHeight = integer(in[0], "input", label, 1, kIntMax);
        spec.inWidth = integer(in[1], "input", label, 1, kIntMax);
    } else {
        spec.inHeight = spec.inWidth = integer(in, "input", label, 1, kIntMax);
    }
}

Layer Reader::conv(const Fields &f, const std::string &label, const std::string &name,
                   LayerKind declared) const
{
    ConvSpec spec;
    spec.name = name;
    if (declared == LayerKind::Depthwise) {
        allowOnly(f,
                  {"name", "type", "channels", "kernel", "stride", "padding", "dilation", "batch", "input"},
                  label, "a depthwise layer");
        spec.inChannels = spec.outChannels = spec.groups = required(f, "channels", label, 1, kInt64Max);
    } else {
        allowOnly(f,
                  {"name", "type", "in_channels", "out_channels", "kernel", "stride", "padding", "dilation",
                   "groups", "batch", "input"},
                  label, declared == LayerKind::Pointwise ? "a pointwise layer" : "a conv layer");
        spec.inChannels = required(f, "in_channels", label, 1, kInt64Max);
        spec.outChannels = required(f, "out_channels", label, 1, kInt64Max);
        spec.groups = optional(f, "groups", label, 1, 1, kInt64Max);
        if (spec.inChannels % spec.groups != 0 || spec.outChannels % spec.groups != 0)
            fail(f.find("groups")->value, label + ": 'groups' " + std::to_string(spec.groups) +
                                              " must divide in_channels " + std::to_string(spec.inChannels) +
                                              " and out_channels " + std::to_string(spec.outChannels));
    }
    if (declared == LayerKind::Pointwise) {
        spec.kernel = static_cast<int>(optional(f, "kernel", label, 1, 1, kIntMax));
        if (spec.kernel != 1)
            fail(f.find("kernel")->value,
                 label + ": a pointwise layer has 'kernel' 1, got " + std::to_string(spec.kernel));
    } else {
        spec.kernel = static_cast<int>(required(f, "kernel", label, 1, kIntMax));
    }
    spec.stride = static_cast<int>(optional(f, "stride", label, 1, 1, kIntMax));
    spec.padding = static_cast<int>(optional(f, "padding", label, 0, 0, kIntMax));
    spec.dilation = static_cast<int>(optional(f, "dilation", label, 1, 1, kIntMax));
    spec.batch = optional(f, "batch", label, 1, 1, kInt64Max);
    input(f, label, spec);

    Layer layer;
    try {
        layer = makeConv(spec);
    } catch (const std::invalid_argument &e) {
        fail(f.node, e.what());
    }
    // Said depthwise: kept depthwise even for one channel, where the shape is the same as a dense conv's.
    if (declared == LayerKind::Depthwise)
        layer.kind = LayerKind::Depthwise;
    return layer;
}

Layer Reader::raw(const Fields &f, const std::string &label, const std::string &name, bool typed,
                  LayerKind declared) const
{
    allowOnly(f, {"name", "type", "shape", "wstride", "hstride", "wdilation", "hdilation", "wpad", "hpad"},
              label, "a layer given by its shape");
    const YAML::Node &shapeNode = require(f, "shape", label);
    if (!shapeNode.IsMap())
        fail(shapeNode, label + ": 'shape' must be a mapping of N, G, C, M, R, S, P, Q, got " +
                            yamlutil::describe(shapeNode));
    Layer layer;
    layer.name = name;
    ProblemShape &s = layer.shape;
    const Fields dims = fields(shapeNode, label + " shape");
    for (const Fields::Entry &e : dims.entries) {
        Dim d;
        if (e.key.size() != 1 || !dimFromLetter(e.key[0], d))
            fail(e.keyNode,
                 label + ": unknown dimension '" + e.key + "' in 'shape' (allowed: N, G, C, M, R, S, P, Q)");
        s.bound(d) = integer(e.value, e.key, label, 1, kInt64Max);
    }
    s.wstride = static_cast<int>(optional(f, "wstride", label, 1, 1, kIntMax));
    s.hstride = static_cast<int>(optional(f, "hstride", label, 1, 1, kIntMax));
    s.wdilation = static_cast<int>(optional(f, "wdilation", label, 1, 1, kIntMax));
    s.hdilation = static_cast<int>(optional(f, "hdilation", label, 1, 1, kIntMax));
    s.wpad = static_cast<int>(optional(f, "wpad", label, 0, 0, kIntMax));
    s.hpad = static_cast<int>(optional(f, "hpad", label, 0, 0, kIntMax));
    if (typed) {
        layer.kind = declared;
    } else {
        const bool unitKernel = s.bound(Dim::R) == 1 && s.bound(Dim::S) == 1;
        if (s.bound(Dim::G) > 1 && s.bound(Dim::C) == 1 && s.bound(Dim::M) == 1)
            layer.kind = LayerKind::Depthwise;
        else if (unitKernel && s.bound(Dim::P) == 1 && s.bound(Dim::Q) == 1)
            layer.kind = LayerKind::FullyConnected;
        else if (unitKernel)
            layer.kind = LayerKind::Pointwise;
        else
            layer.kind = LayerKind::Conv;
    }
    return layer;
}

// Every count the model forms from a shape must fit in 64 bits (ProblemShape::countsFit); a typo of a few
// extra digits should be an error here, not an overflow later.
void Reader::checkFitsInt64(const YAML::Node &at, const std::string &label, const Layer &layer) const
{
    if (!layer.shape.countsFit())
        fail(at, label +
                     ": the layer is too large (its MAC or element count is over 2^56, or does not fit in "
                     "64 bits)");
}

namespace
{
// The keys that say what follows a layer or where its input comes from: the accuracy side's business,
// allowed on every form of layer.
struct Followers {
    std::optional<YAML::Node> activation, residual, input, add, pool;
};

// Built by copy-construction only: assigning a YAML::Node writes through to the node it refers to, so
// erasing from (or assigning) a vector of them would overwrite the values the optionals keep.
Fields withoutFollowers(const Fields &all, Followers &followers)
{
    Fields out{all.node, {}};
    for (const Fields::Entry &e : all.entries) {
        if (e.key == "activation")
            followers.activation.emplace(e.value);
        else if (e.key == "residual_from")
            followers.residual.emplace(e.value);
        else if (e.key == "input_from")
            followers.input.emplace(e.value);
        else if (e.key == "add_output_of")
            followers.add.emplace(e.value);
        else if (e.key == "pool")
            followers.pool.emplace(e.value);
        else
            out.entries.push_back(e);
    }
    return out;
}
} // namespace

Layer Reader::layer(const YAML::Node &node, size_t index) const
{
    std::string label = "layer " + std::to_string(index + 1);
    if (!node.IsMap())
        fail(node, label + ": expected a mapping such as {name: conv1, type: conv, ...}, got " +
                       yamlutil::describe(node));
    // What follows the layer (the accuracy side's business) is common to every form: taken out here.
    Followers followers;
    const Fields f = withoutFollowers(fields(node, label), followers);
    const std::optional<YAML::Node> &activationNode = followers.activation;
    const YAML::Node &nameNode = require(f, "name", label);
    if (!nameNode.IsScalar() || nameNode.Scalar().empty())
        fail(nameNode, label + ": 'name' must be a non-empty string, got " + yamlutil::describe(nameNode));
    const std::string name = nameNode.Scalar();
    label = "layer '" + name + "'";

    LayerKind kind = LayerKind::Conv;
    const Fields::Entry *type = f.find("type");
    if (type && (!type->value.IsScalar() || !layerKindFromName(type->value.Scalar(), kind)))
        fail(type->value, label + ": unknown type '" + yamlutil::describe(type->value) +
                              "' (expected conv, depthwise, pointwise or fc)");

    Layer result;
    if (f.find("shape")) {
        result = raw(f, label, name, type != nullptr, kind);
    } else {
        require(f, "type", label);
        if (kind == LayerKind::FullyConnected) {
            allowOnly(f, {"name", "type", "in_features", "out_features", "batch"}, label, "an fc layer");
            const int64_t in = required(f, "in_features", label, 1, kInt64Max);
            const int64_t out = required(f, "out_features", label, 1, kInt64Max);
            const int64_t batch = optional(f, "batch", label, 1, 1, kInt64Max);
            result = makeFullyConnected(name, in, out, batch);
        } else {
            result = conv(f, label, name, kind);
        }
    }
    checkFitsInt64(node, label, result);
    // ReLU after convolutions and none after a classifier unless the file says otherwise.
    result.activation = result.kind == LayerKind::FullyConnected ? Activation::None : Activation::ReLU;
    if (activationNode &&
        (!activationNode->IsScalar() || !activationFromName(activationNode->Scalar(), result.activation)))
        fail(*activationNode, label + ": 'activation' must be relu, relu6 or none, got " +
                                  yamlutil::describe(*activationNode));
    if (followers.residual)
        result.residualFrom = earlierLayer(*followers.residual, "residual_from", label, index, true,
                                           "whose input is added to this layer's output");
    if (followers.input)
        result.inputFrom = earlierLayer(*followers.input, "input_from", label, index, false,
                                        "whose output this layer reads");
    if (followers.add)
        result.addOutputOf = earlierLayer(*followers.add, "add_output_of", label, index, false,
                                          "whose output is added to this layer's output");
    if (followers.pool)
        result.pool = pooling(*followers.pool, label);
    return result;
}

// A layer number (from 1) in a file; the 0-based index.
int Reader::earlierLayer(const YAML::Node &value, const char *key, const std::string &label, size_t index,
                         bool orThis, const char *meaning) const
{
    int64_t from = 0;
    const int64_t last = static_cast<int64_t>(index) + (orThis ? 1 : 0);
    if (!value.IsScalar() || !YAML::convert<int64_t>::decode(value, from) || from < 1 || from > last)
        fail(value, label + ": '" + key + "' must be the number (from 1) of " +
                        (orThis ? "this or an earlier layer, " : "an earlier layer, ") + meaning + "; got " +
                        yamlutil::describe(value));
    return static_cast<int>(from - 1);
}

// One number for both axes or [height, width].
void Reader::pair(const Fields &f, const char *key, const std::string &label, int fallback, int min, int &h,
                  int &w) const
{
    const Fields::Entry *e = f.find(key);
    if (!e) {
        h = w = fallback;
        return;
    }
    if (e->value.IsSequence() && e->value.size() == 2) {
        h = static_cast<int>(integer(e->value[0], key, label, min, kIntMax));
        w = static_cast<int>(integer(e->value[1], key, label, min, kIntMax));
        return;
    }
    h = w = static_cast<int>(integer(e->value, key, label, min, kIntMax));
}

Pooling Reader::pooling(const YAML::Node &value, const std::string &label) const
{
    const std::string where = label + " pool";
    if (!value.IsMap())
        fail(value, label +
                        ": 'pool' must be a mapping such as {type: max, kernel: 3, stride: 2, padding: 1}, "
                        "got " +
                        yamlutil::describe(value));
    const Fields f = fields(value, where);
    allowOnly(f, {"type", "kernel", "stride", "padding"}, where, "a pooling");
    const YAML::Node &type = require(f, "type", where);
    Pooling p;
    if (type.IsScalar() && type.Scalar() == "max")
        p.kind = Pooling::Kind::Max;
    else if (type.IsScalar() && type.Scalar() == "average")
        p.kind = Pooling::Kind::Average;
    else
        fail(type, where + ": 'type' must be max or average, got " + yamlutil::describe(type));
    require(f, "kernel", where);
    pair(f, "kernel", where, 1, 1, p.kernelH, p.kernelW);
    pair(f, "stride", where, 0, 1, p.strideH, p.strideW);
    if (!f.find("stride")) { // PyTorch's default: the kernel
        p.strideH = p.kernelH;
        p.strideW = p.kernelW;
    }
    pair(f, "padding", where, 0, 0, p.padH, p.padW);
    if (2 * p.padH > p.kernelH || 2 * p.padW > p.kernelW)
        fail(value, where + ": the padding may be at most half the kernel (PyTorch's rule), got padding " +
                        std::to_string(p.padH) + "x" + std::to_string(p.padW) + " for a kernel " +
                        std::to_string(p.kernelH) + "x" + std::to_string(p.kernelW));
    return p;
}

Network Reader::network(const YAML::Node &root) const
{
    if (!root.IsDefined() || root.IsNull())
        throw InputError(source_, 0, "the network file is empty; expected keys 'network' and 'layers'");
    if (!root.IsMap())
        fail(root, "expected a mapping with keys 'network' and 'layers', got " + yamlutil::describe(root));
    const Fields top = fields(root, "network file");
    allowOnly(top, {"network", "layers"}, "network file", "a network");

    Network net;
    net.name = std::filesystem::path(source_).stem().string();
    if (const Fields::Entry *n = top.find("network")) {
        if (n->value.IsNull())
            net.name.clear();
        else if (n->value.IsScalar())
            net.name = n->value.Scalar();
        else
            fail(n->value, "'network' must be the network's name, got " + yamlutil::describe(n->value));
    }
    const YAML::Node &layers = require(top, "layers", "network file");
    if (!layers.IsSequence() || layers.size() == 0)
        fail(layers, "'layers' must be a non-empty list of layers, got " +
                         (layers.IsSequence() ? std::string("an empty list") : yamlutil::describe(layers)));

    std::map<std::string, int> firstLine;
    for (size_t i = 0; i < layers.size(); ++i) {
        const YAML::Node node = layers[i];
        Layer l = layer(node, i);
        auto [it, fresh] = firstLine.emplace(l.name, lineOf(node.Mark()));
        if (!fresh)
            fail(node, "layer '" + l.name + "': the name is already used" +
                           (it->second > 0 ? " at line " + std::to_string(it->second) : std::string()));
        net.layers.push_back(std::move(l));
    }
    return net;
}

bool sameLayer(const Layer &a, const Layer &b)
{
    return a.name == b.name && a.kind == b.kind && a.shape == b.shape && a.activation == b.activation &&
           a.residualFrom == b.residualFrom && a.inputFrom == b.inputFrom && a.addOutputOf == b.addOutputOf &&
           a.pool == b.pool;
}

// The activation and residual keys, where they differ from what the reader assumes without them.
void addFollowers(YAML::Node &n, const Layer &l)
{
    const Activation assumed = l.kind == LayerKind::FullyConnected ? Activation::None : Activation::ReLU;
    if (l.activation != assumed)
        n["activation"] = activationName(l.activation);
    if (l.residualFrom >= 0)
        n["residual_from"] = l.residualFrom + 1;
    if (l.inputFrom >= 0)
        n["input_from"] = l.inputFrom + 1;
    if (l.addOutputOf >= 0)
        n["add_output_of"] = l.addOutputOf + 1;
    if (l.pool.kind != Pooling::Kind::None) {
        const Pooling &p = l.pool;
        YAML::Node pool(YAML::NodeType::Map);
        pool["type"] = poolingName(p.kind);
        auto hw = [&](const char *key, int h, int w) {
            if (h == w) {
                pool[key] = h;
                return;
            }
            YAML::Node both(YAML::NodeType::Sequence);
            both.push_back(h);
            both.push_back(w);
            pool[key] = both;
        };
        hw("kernel", p.kernelH, p.kernelW);
        hw("stride", p.strideH, p.strideW);
        if (p.padH != 0 || p.padW != 0)
            hw("padding", p.padH, p.padW);
        n["pool"] = pool;
    }
}

// The friendly form of a layer; the writer keeps it only if reading it back gives the same layer.
YAML::Node friendlyNode(const Layer &l)
{
    const ProblemShape &s = l.shape;
    YAML::Node n(YAML::NodeType::Map);
    n["name"] = l.name;
    n["type"] = layerKindName(l.kind);
    if (l.kind == LayerKind::FullyConnected) {
        n["in_features"] = s.bound(Dim::C) * s.bound(Dim::G);
        n["out_features"] = s.bound(Dim::M) * s.bound(Dim::G);
    } else {
        if (l.kind == LayerKind::Depthwise) {
            n["channels"] = s.bound(Dim::G);
        } else {
            n["in_channels"] = l.inputChannels();
            n["out_channels"] = l.outputChannels();
            if (s.bound(Dim::G) != 1)
                n["groups"] = s.bound(Dim::G);
        }
        // A pointwise layer's kernel is 1 by definition and it is rarely padded.
        const bool pointwise = l.kind == LayerKind::Pointwise;
        if (!pointwise || s.bound(Dim::R) != 1)
            n["kernel"] = s.bound(Dim::R);
        n["stride"] = s.wstride;
        if (!pointwise || s.wpad != 0)
            n["padding"] = s.wpad;
        if (s.wdilation != 1)
            n["dilation"] = s.wdilation;
        // Several input sizes give the same output under a stride; the largest one is what "same" padding
        // implies (224 for a 3x3/2 layer with 112 outputs), so that is the one written.
        auto inputSize = [](int64_t out, int64_t kernel, int stride, int dilation, int pad) {
            return (out - 1) * stride + (kernel - 1) * dilation + 1 - 2 * static_cast<int64_t>(pad) + stride -
                   1;
        };
        const int64_t w = inputSize(s.bound(Dim::P), s.bound(Dim::R), s.wstride, s.wdilation, s.wpad);
        const int64_t h = inputSize(s.bound(Dim::Q), s.bound(Dim::S), s.hstride, s.hdilation, s.hpad);
        if (w == h) {
            n["input"] = w;
        } else {
            YAML::Node hw(YAML::NodeType::Sequence);
            hw.push_back(h);
            hw.push_back(w);
            hw.SetStyle(YAML::EmitterStyle::Flow);
            n["input"] = hw;
        }
    }
    if (s.bound(Dim::N) != 1)
        n["batch"] = s.bound(Dim::N);
    return n;
}

YAML::Node rawNode(const Layer &l)
{
    const ProblemShape &s = l.shape;
    YAML::Node n(YAML::NodeType::Map);
    n["name"] = l.name;
    n["type"] = layerKindName(l.kind);
    YAML::Node dims(YAML::NodeType::Map);
    for (Dim d : kAllDims)
        dims[std::string(1, dimLetter(d))] = s.bound(d);
    n["shape"] = dims;
    auto unlessDefault = [&](const char *key, int v, int fallback) {
        if (v != fallback)
            n[key] = v;
    };
    unlessDefault("wstride", s.wstride, 1);
    unlessDefault("hstride", s.hstride, 1);
    unlessDefault("wdilation", s.wdilation, 1);
    unlessDefault("hdilation", s.hdilation, 1);
    unlessDefault("wpad", s.wpad, 0);
    unlessDefault("hpad", s.hpad, 0);
    return n;
}

} // namespace

Network parseNetworkYaml(const std::string &text, const std::string &sourceName)
{
    const YAML::Node root = yamlutil::loadString(text, sourceName);
    try {
        return Reader(sourceName).network(root);
    } catch (const YAML::Exception &e) {
        throw InputError(sourceName, lineOf(e.mark), e.msg);
    }
}

Network readNetworkYaml(const std::string &path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw InputError(path, 0, "cannot open network file: it is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, std::string("cannot open network file: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw InputError(path, 0, std::string("cannot read network file: ") + std::strerror(errno));
    return parseNetworkYaml(text.str(), path);
}

std::string networkToYaml(const Network &net)
{
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "network" << YAML::Value << net.name;
    out << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
    const Reader check("<written>");
    for (size_t i = 0; i < net.layers.size(); ++i) {
        const Layer &l = net.layers[i];
        const YAML::Node friendly = friendlyNode(l);
        bool faithful = false;
        try {
            YAML::Node withFollowers = YAML::Clone(friendly);
            addFollowers(withFollowers, l);
            faithful = sameLayer(check.layer(withFollowers, i), l);
        } catch (const std::exception &) {
            faithful = false;
        }
        YAML::Node node = faithful ? friendly : rawNode(l);
        addFollowers(node, l);
        node.SetStyle(YAML::EmitterStyle::Flow);
        out << node;
    }
    out << YAML::EndSeq << YAML::EndMap;
    return "# Bitloop network description; the format is described in docs/network-format.md\n" +
           std::string(out.c_str()) + "\n";
}

void writeNetworkYaml(const Network &net, const std::string &path)
{
    yamlutil::writeFileAtomically(path, networkToYaml(net));
}

Network loadNetwork(const std::string &nameOrPath, const MobileNetOptions &opt)
{
    Network net;
    if (builtinNetwork(nameOrPath, opt, net))
        return net;
    if (isOnnxPath(nameOrPath))
        return readOnnxNetwork(nameOrPath);
    std::error_code ec;
    if (!std::filesystem::exists(nameOrPath, ec))
        throw InputError(nameOrPath, 0,
                         "not a built-in network (mobilenet_v1, mobilenet_v2) nor an existing network file");
    return readNetworkYaml(nameOrPath);
}

} // namespace bitloop
