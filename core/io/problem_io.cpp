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
const char *const kCnnLayer = "CNN-Layer";
// CNN-Layer with Bitloop's group dimension G as an eighth dimension that every tensor is indexed by:
// Weights[G,C,M,R,S], Inputs[N,G,C,H,W], Outputs[N,G,M,Q,P]. Timeloop has no such stock shape, but takes
// any shape spelled out in the problem file, and mappings whose factors name its dimensions.
const char *const kGroupedCnnLayer = "Grouped-CNN-Layer";
const std::vector<std::string> kCoefficients = {"Wstride", "Hstride", "Wdilation", "Hdilation"};

// A projection row: a sum of terms, each a dimension with an optional coefficient ({"R", "Wdilation"}).
using ProjectionTerm = std::vector<std::string>;
using ProjectionRow = std::vector<ProjectionTerm>;

struct DataSpaceSpec {
    std::string name;
    std::vector<ProjectionRow> projection;
    bool readWrite;
};

// The data spaces of CNN-Layer, or of Grouped-CNN-Layer (G after N in Inputs and Outputs, first in Weights).
std::vector<DataSpaceSpec> dataSpaces(bool grouped)
{
    auto plain = [](const char *dim) { return ProjectionRow{ProjectionTerm{dim}}; };
    const ProjectionRow w = {{"R", "Wdilation"}, {"P", "Wstride"}};
    const ProjectionRow h = {{"S", "Hdilation"}, {"Q", "Hstride"}};
    std::vector<DataSpaceSpec> spaces = {
        {"Weights", {plain("C"), plain("M"), plain("R"), plain("S")}, false},
        {"Inputs", {plain("N"), plain("C"), w, h}, false},
        {"Outputs", {plain("N"), plain("M"), plain("Q"), plain("P")}, true},
    };
    if (grouped) {
        spaces[0].projection.insert(spaces[0].projection.begin(), plain("G"));
        for (size_t i : {1, 2})
            spaces[i].projection.insert(spaces[i].projection.begin() + 1, plain("G"));
    }
    return spaces;
}

std::string rowText(const ProjectionRow &row)
{
    std::string s = "[ ";
    for (size_t t = 0; t < row.size(); ++t)
        s += std::string(t ? ", " : "") + "[" + joinWords(row[t]) + "]";
    return s + " ]";
}

// The dimension letters of a shape, in Timeloop's order.
std::string shapeDims(bool grouped)
{
    return std::string(kCnnDims) + (grouped ? "G" : "");
}

std::string letterList(const std::string &letters)
{
    std::vector<std::string> words;
    for (char c : letters)
        words.push_back(std::string(1, c));
    return joinWords(words);
}

// A file's `dimensions` and `data-spaces`, where given, must be those of the named shape: Bitloop reads
// the loop bounds by name and cannot follow other projections.
void checkShapeBody(const Where &sw, const YAML::Node &shape, const std::string &name, bool grouped)
{
    const std::string dims = shapeDims(grouped);
    if (has(shape, "dimensions")) {
        std::string seen;
        for (const YAML::Node &d : toList(sw, shape["dimensions"], "dimensions")) {
            const std::string letter = toString(sw, d, "dimensions");
            if (letter.size() != 1 || dims.find(letter) == std::string::npos ||
                seen.find(letter) != std::string::npos)
                fail(sw, d,
                     "dimension '" + letter + "' is unknown or repeated (" + name + " has " +
                         letterList(dims) + ")");
            seen += letter;
        }
        if (seen.size() != dims.size())
            fail(sw, shape["dimensions"],
                 name + " has the dimensions " + letterList(dims) + "; this lists " + letterList(seen));
    }
    if (has(shape, "data-spaces") && has(shape, "data_spaces"))
        fail(sw, shape["data_spaces"], "give either 'data-spaces' or 'data_spaces', not both");
    const char *key = has(shape, "data-spaces") ? "data-spaces" : "data_spaces";
    if (!has(shape, key))
        return;
    const std::vector<DataSpaceSpec> expected = dataSpaces(grouped);
    std::vector<bool> found(expected.size(), false);
    const std::vector<YAML::Node> spaces = toList(sw, shape[key], key);
    for (const YAML::Node &space : spaces) {
        expectMap(sw, space, "a data space {name, projection}");
        checkKeys(sw, space, {"name", "projection", "read-write", "read_write"});
        const std::string spaceName = requireString(sw, space, "name");
        size_t i = 0;
        while (i < expected.size() && expected[i].name != spaceName)
            ++i;
        if (i == expected.size())
            fail(sw, space["name"],
                 "unknown data space '" + spaceName + "' (" + name + " has Weights, Inputs and Outputs)");
        if (found[i])
            fail(sw, space["name"], "data space '" + spaceName + "' is given twice");
        found[i] = true;
        const Where dw = sw.in("data space '" + spaceName + "'");
        const DataSpaceSpec &e = expected[i];
        std::vector<ProjectionRow> rows;
        const YAML::Node projection = require(dw, space, "projection", "a list of projection rows");
        for (const YAML::Node &row : toList(dw, projection, "projection")) {
            ProjectionRow r;
            for (const YAML::Node &term : toList(dw, row, "projection")) {
                ProjectionTerm t;
                for (const YAML::Node &item : toList(dw, term, "projection"))
                    t.push_back(toString(dw, item, "projection"));
                r.push_back(t);
            }
            rows.push_back(r);
        }
        if (rows != e.projection) {
            std::string want;
            for (const ProjectionRow &r : e.projection)
                want += (want.empty() ? "" : ", ") + rowText(r);
            fail(dw, projection, "the projection is not " + name + "'s; expected " + want);
        }
        const char *rwKey = has(space, "read_write") ? "read_write" : "read-write";
        const bool readWrite = optionalBool(dw, space, rwKey).value_or(false);
        if (readWrite != e.readWrite)
            fail(dw, has(space, rwKey) ? space[rwKey] : space,
                 std::string("in ") + name + ", " + spaceName + (e.readWrite ? " is" : " is not") +
                     " read-write");
    }
    for (size_t i = 0; i < expected.size(); ++i)
        if (!found[i])
            fail(sw, shape[key], name + " needs the data space '" + expected[i].name + "'");
}

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
                toInt(w.in("'bitwidths'"), node[tensorName(t)], tensorName(t), Sign::Positive, kMaxInt32));
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
    bool grouped = false;
    if (has(problem, "shape")) {
        const YAML::Node shape = problem["shape"];
        const Where sw = pw.in("'shape'");
        expectMap(sw, shape,
                  std::string("the problem shape (") + kCnnLayer + " or " + kGroupedCnnLayer + ")");
        checkKeys(sw, shape, {"name", "dimensions", "coefficients", "data-spaces", "data_spaces"});
        const std::string name = requireString(sw, shape, "name");
        if (name != kCnnLayer && name != kGroupedCnnLayer)
            fail(sw, shape["name"],
                 "shape '" + name + "' is not supported; only Timeloop's " + kCnnLayer + " and Bitloop's " +
                     kGroupedCnnLayer + " are");
        grouped = name == kGroupedCnnLayer;
        checkShapeBody(sw, shape, name, grouped);
        if (has(shape, "coefficients")) {
            for (const YAML::Node &c : toList(sw, shape["coefficients"], "coefficients")) {
                expectMap(sw, c, "a coefficient {name, default}");
                checkKeys(sw, c, {"name", "default"});
                const std::string cname = requireString(sw, c, "name");
                if (!defaults.count(cname))
                    fail(sw, c["name"],
                         "unknown coefficient '" + cname + "' (" + name + " has " + joinWords(kCoefficients) +
                             ")");
                defaults[cname] =
                    optionalInt(sw.in("coefficient '" + cname + "'"), c, "default", Sign::Positive, kMaxInt32)
                        .value_or(1);
            }
        }
    }
    const YAML::Node instance =
        require(pw, problem, "instance", "the layer's bounds: {C, M, R, S, N, P, Q, ...}");
    const Where iw = pw.in("'instance'");
    expectMap(iw, instance, "the layer's bounds: {C, M, R, S, N, P, Q, ...}");
    const std::string dims = shapeDims(grouped); // G only in Grouped-CNN-Layer; else it stays 1
    std::vector<std::string> known;
    for (char c : dims)
        known.push_back(std::string(1, c));
    known.insert(known.end(), kCoefficients.begin(), kCoefficients.end());
    known.push_back("bitwidths");
    known.push_back("commonBitwidth");
    if (!grouped && has(instance, "G"))
        fail(iw, instance["G"],
             std::string("'G' needs the shape ") + kGroupedCnnLayer + "; " + kCnnLayer +
                 " has no group dimension");
    checkKeys(iw, instance, known);
    for (char c : dims) {
        Dim d;
        dimFromLetter(c, d);
        p.shape.bound(d) = optionalInt(iw, instance, std::string(1, c), Sign::Positive).value_or(1);
    }
    for (const std::string &c : kCoefficients)
        coefficient(p.shape, c) =
            static_cast<int>(optionalInt(iw, instance, c, Sign::Positive, kMaxInt32).value_or(defaults[c]));
    if (!p.shape.countsFit())
        fail(
            iw, instance,
            "the layer is too large: its MAC or element count is over 2^56 (does a bound, stride or dilation "
            "have extra digits?)");
    const std::optional<int64_t> common =
        optionalInt(iw, instance, "commonBitwidth", Sign::Positive, kMaxInt32);
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
    const bool grouped = shape.bound(Dim::G) != 1;
    const std::string dims = shapeDims(grouped);
    std::ostringstream os;
    os << "problem:\n"
          "  shape:\n"
          "    name: "
       << (grouped ? kGroupedCnnLayer : kCnnLayer) << "\n    dimensions: [ " << letterList(dims)
       << " ]\n    coefficients:\n";
    for (const std::string &c : kCoefficients)
        os << "      - name: " << c << "\n        default: 1\n";
    os << "    data-spaces:\n";
    for (const DataSpaceSpec &space : dataSpaces(grouped)) {
        os << "      - name: " << space.name << "\n        projection:\n";
        for (const ProjectionRow &row : space.projection)
            os << "          - " << rowText(row) << "\n";
        if (space.readWrite)
            os << "        read-write: True\n";
    }
    os << "  instance:\n";
    for (char c : dims) {
        Dim d;
        dimFromLetter(c, d);
        os << "    " << c << ": " << shape.bound(d) << "\n";
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
