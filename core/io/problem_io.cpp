#include "io/problem_io.h"

#include "io/network_yaml.h"
#include "io/yaml_util.h"

#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

namespace bitloop
{

using namespace yamlutil;

namespace
{

const char *const kCnnDims = "CMRSNPQ"; // CNN-Layer's dimensions, in Timeloop's order
const std::vector<std::string> kCoefficients = {"Wstride", "Hstride", "Wdilation", "Hdilation"};

int &coefficient(ProblemShape &s, const std::string &name)
{
    if (name == "Wstride")
        return s.wstride;
    if (name == "Hstride")
        return s.hstride;
    if (name == "Wdilation")
        return s.wdilation;
    return s.hdilation;
}

BitWidths readBitwidths(const Where &w, const YAML::Node &node, std::optional<int64_t> common)
{
    BitWidths bits = BitWidths::uniform(static_cast<int>(common.value_or(0)));
    if (node.IsDefined()) {
        expectMap(w, node, "'bitwidths': {Inputs, Weights, Outputs}");
        checkKeys(w.in("'bitwidths'"), node, {"Weights", "Inputs", "Outputs"});
    }
    for (Tensor t : kAllTensors) {
        if (node.IsDefined() && has(node, tensorName(t)))
            bits.of(t) = static_cast<int>(
                toInt(w.in("'bitwidths'"), node[tensorName(t)], tensorName(t), Sign::Positive));
        else if (!common)
            fail(w, node,
                 std::string("'bitwidths' lacks '") + tensorName(t) + "' and there is no 'commonBitwidth'");
    }
    return bits;
}

// Re-serialises a YAML node in flow style with every scalar on its original line, so that the network
// reader, parsing the text, reports the problem file's own line numbers.
class LineKeeper
{
public:
    std::string text;
    int line = 1;

    void emit(const YAML::Node &n, const std::string &injectName = "")
    {
        moveTo(n);
        switch (n.Type()) {
        case YAML::NodeType::Scalar:
            text += quoted(n.Scalar());
            break;
        case YAML::NodeType::Sequence: {
            text += "[";
            bool first = true;
            for (const YAML::Node &item : n) {
                text += first ? "" : ", ";
                first = false;
                emit(item);
            }
            text += "]";
            break;
        }
        case YAML::NodeType::Map: {
            text += "{";
            bool first = true;
            if (!injectName.empty()) {
                text += "name: " + quoted(injectName);
                first = false;
            }
            for (auto it = n.begin(); it != n.end(); ++it) {
                text += first ? "" : ", ";
                first = false;
                emit(it->first);
                text += ": ";
                emit(it->second);
            }
            text += "}";
            break;
        }
        default:
            text += "~";
        }
    }

private:
    void moveTo(const YAML::Node &n)
    {
        for (int target = lineOf(n); line < target; ++line)
            text += "\n  ";
    }
    static std::string quoted(const std::string &s)
    {
        bool plain = !s.empty();
        for (unsigned char c : s)
            plain = plain && (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '+');
        return plain ? s : scalar(s);
    }
};

ProblemFile readBitloopLayer(const YAML::Node &root, const std::string &file)
{
    const Where w{file, ""};
    checkKeys(w, root, {"layer", "bitwidths"});
    const YAML::Node layer = root["layer"];
    expectMap(w, layer, "'layer': a layer as in a network file, such as {name: conv1, type: conv, ...}");
    LineKeeper keeper;
    keeper.text = "layers: [";
    keeper.emit(layer, has(layer, "name") ? "" : std::filesystem::path(file).stem().string());
    keeper.text += "]\n";
    const Network net = parseNetworkYaml(keeper.text, file);
    ProblemFile p;
    p.name = net.layers.at(0).name;
    p.shape = net.layers.at(0).shape;
    if (has(root, "bitwidths"))
        p.bits = readBitwidths(w, root["bitwidths"], std::nullopt);
    return p;
}

} // namespace

ProblemFile parseTimeloopProblem(const YAML::Node &root, const std::string &file)
{
    const Where w{file, ""};
    expectMap(w, root, "a Timeloop problem with a 'problem' key");
    const YAML::Node problem = require(w, root, "problem", "the Timeloop problem: {shape, instance}");
    const Where pw = w.in("'problem'");
    expectMap(pw, problem, "{shape, instance}");
    checkKeys(pw, problem, {"shape", "instance"});
    ProblemFile p;
    p.name = std::filesystem::path(file).stem().string();

    std::map<std::string, int64_t> defaults = {
        {"Wstride", 1}, {"Hstride", 1}, {"Wdilation", 1}, {"Hdilation", 1}};
    if (has(problem, "shape")) {
        const YAML::Node shape = problem["shape"];
        const Where sw = pw.in("'shape'");
        expectMap(sw, shape, "the problem shape (CNN-Layer)");
        checkKeys(sw, shape, {"name", "dimensions", "coefficients", "data-spaces", "data_spaces"});
        const std::string name = requireString(sw, shape, "name");
        if (name != "CNN-Layer")
            fail(sw, shape["name"], "shape '" + name + "' is not supported; only Timeloop's CNN-Layer is");
        if (has(shape, "coefficients")) {
            for (const YAML::Node &c : toList(sw, shape["coefficients"], "coefficients")) {
                expectMap(sw, c, "a coefficient {name, default}");
                checkKeys(sw, c, {"name", "default"});
                const std::string cname = requireString(sw, c, "name");
                if (!defaults.count(cname))
                    fail(sw, c["name"],
                         "unknown coefficient '" + cname + "' (CNN-Layer has " + joinWords(kCoefficients) +
                             ")");
                defaults[cname] =
                    optionalInt(sw.in("coefficient '" + cname + "'"), c, "default", Sign::Positive)
                        .value_or(1);
            }
        }
    }
    const YAML::Node instance =
        require(pw, problem, "instance", "the layer's bounds: {C, M, R, S, N, P, Q, ...}");
    const Where iw = pw.in("'instance'");
    expectMap(iw, instance, "the layer's bounds: {C, M, R, S, N, P, Q, ...}");
    std::vector<std::string> known;
    for (const char *d = kCnnDims; *d; ++d)
        known.push_back(std::string(1, *d));
    known.insert(known.end(), kCoefficients.begin(), kCoefficients.end());
    known.push_back("bitwidths");
    known.push_back("commonBitwidth");
    checkKeys(iw, instance, known);
    for (const char *c = kCnnDims; *c; ++c) {
        Dim d;
        dimFromLetter(*c, d);
        p.shape.bound(d) = optionalInt(iw, instance, std::string(1, *c), Sign::Positive).value_or(1);
    }
    for (const std::string &c : kCoefficients)
        coefficient(p.shape, c) =
            static_cast<int>(optionalInt(iw, instance, c, Sign::Positive).value_or(defaults[c]));
    const std::optional<int64_t> common = optionalInt(iw, instance, "commonBitwidth", Sign::Positive);
    if (has(instance, "bitwidths") || common)
        p.bits = readBitwidths(
            iw, has(instance, "bitwidths") ? instance["bitwidths"] : YAML::Node(YAML::NodeType::Undefined),
            common);
    return p;
}

ProblemFile loadProblem(const std::string &path)
{
    const YAML::Node root = loadFile(path);
    if (has(root, "layer"))
        return readBitloopLayer(root, path);
    if (has(root, "problem"))
        return parseTimeloopProblem(root, path);
    throw InputError(path, lineOf(root),
                     "not a problem: expected 'problem:' (Timeloop) or 'layer:' (Bitloop) at the top");
}

std::string problemToTimeloopYaml(const ProblemShape &shape, const std::optional<BitWidths> &bits)
{
    if (shape.bound(Dim::G) != 1)
        throw std::invalid_argument("Timeloop's CNN-Layer has no G dimension; this layer has G = " +
                                    std::to_string(shape.bound(Dim::G)));
    std::ostringstream os;
    os << "problem:\n"
          "  shape:\n"
          "    name: CNN-Layer\n"
          "    dimensions: [ C, M, R, S, N, P, Q ]\n"
          "    coefficients:\n";
    for (const std::string &c : kCoefficients)
        os << "      - name: " << c << "\n        default: 1\n";
    os << "    data-spaces:\n"
          "      - name: Weights\n"
          "        projection:\n"
          "          - [ [C] ]\n"
          "          - [ [M] ]\n"
          "          - [ [R] ]\n"
          "          - [ [S] ]\n"
          "      - name: Inputs\n"
          "        projection:\n"
          "          - [ [N] ]\n"
          "          - [ [C] ]\n"
          "          - [ [R, Wdilation], [P, Wstride] ]\n"
          "          - [ [S, Hdilation], [Q, Hstride] ]\n"
          "      - name: Outputs\n"
          "        projection:\n"
          "          - [ [N] ]\n"
          "          - [ [M] ]\n"
          "          - [ [Q] ]\n"
          "          - [ [P] ]\n"
          "        read-write: True\n"
          "  instance:\n";
    for (const char *c = kCnnDims; *c; ++c) {
        Dim d;
        dimFromLetter(*c, d);
        os << "    " << *c << ": " << shape.bound(d) << "\n";
    }
    ProblemShape copy = shape;
    for (const std::string &c : kCoefficients)
        if (coefficient(copy, c) != 1)
            os << "    " << c << ": " << coefficient(copy, c) << "\n";
    if (bits)
        os << "    bitwidths: {Inputs: " << bits->of(Tensor::Inputs)
           << ", Weights: " << bits->of(Tensor::Weights) << ", Outputs: " << bits->of(Tensor::Outputs)
           << "}\n";
    return os.str();
}

} // namespace bitloop
