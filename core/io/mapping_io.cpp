#include "io/mapping_io.h"

#include "io/constraints_io.h"
#include "io/yaml_util.h"

#include <algorithm>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

namespace bitloop
{

using namespace yamlutil;

namespace
{

// CNN-Layer's dims in Timeloop's order (the order Timeloop pads partial permutations in), then G.
constexpr std::array<Dim, kNumDims> kTimeloopOrder = {Dim::C, Dim::M, Dim::R, Dim::S,
                                                      Dim::N, Dim::P, Dim::Q, Dim::G};

const std::vector<std::string> kDirectiveKeys = {"target", "type", "factors", "permutation",
                                                 "split",  "keep", "bypass"};
const std::vector<std::string> kLevelKeys = {"target",    "temporal",      "order", "spatial_x",
                                             "spatial_y", "spatial_order", "keep"};

int findLevel(const Where &w, const YAML::Node &item, const Architecture &arch, std::string &name)
{
    name = requireString(w, item, "target");
    const int level = arch.levelIndex(name);
    if (level < 0)
        fail(w, item["target"],
             "unknown level '" + name + "' in 'target' (levels: " + levelNames(arch) + ")");
    return level;
}

void checkLevelCount(const Architecture &arch, const Mapping &m)
{
    if (static_cast<int>(m.levels.size()) != arch.numLevels())
        throw std::invalid_argument("the mapping has " + std::to_string(m.levels.size()) +
                                    " levels, the architecture " + std::to_string(arch.numLevels()));
}

// The factors of each dimension, over every level and kind, multiply to at most kMaxInt: a factor with
// extra digits is an error here, not a product that wraps in the model's checks.
void checkFactorProducts(const Where &w, const YAML::Node &at, const Mapping &m)
{
    for (Dim d : kAllDims) {
        int64_t product = 1;
        for (const LevelMapping &lm : m.levels)
            for (const DimArray *a : {&lm.temporal, &lm.spatialX, &lm.spatialY})
                product = sizeProduct(w, at, std::string("the product of the factors of ") + dimLetter(d),
                                      product, (*a)[idx(d)]);
    }
}

DimArray readDimMap(const Where &w, const YAML::Node &node, const std::string &key)
{
    DimArray out{1, 1, 1, 1, 1, 1, 1, 1};
    if (node.IsNull())
        return out;
    if (!node.IsMap())
        fail(w, node,
             "'" + key + "' must map dimension letters to factors, such as {Q: 14, P: 2}, got " +
                 describe(node));
    for (auto it = node.begin(); it != node.end(); ++it) {
        Dim d;
        const std::string letter = it->first.IsScalar() ? it->first.Scalar() : describe(it->first);
        if (letter.size() != 1 || !dimFromLetter(letter[0], d))
            fail(w, it->first,
                 "unknown dimension '" + letter + "' in '" + key + "' (expected N G C M R S P Q)");
        out[idx(d)] = toInt(w, it->second, key + "." + letter, Sign::Positive);
    }
    return out;
}

std::string dimMapText(const DimArray &a)
{
    std::string s;
    for (Dim d : kAllDims)
        if (a[idx(d)] != 1)
            s += std::string(s.empty() ? "" : ", ") + dimLetter(d) + ": " + std::to_string(a[idx(d)]);
    return "{" + s + "}";
}

std::string letters(const std::vector<Dim> &dims)
{
    std::string s;
    for (Dim d : dims)
        s += dimLetter(d);
    return s;
}

std::string tensorsText(const std::array<bool, kNumTensors> &keep, bool kept)
{
    std::string s;
    for (Tensor t : kAllTensors)
        if (keep[idx(t)] == kept)
            s += std::string(s.empty() ? "" : ", ") + tensorName(t);
    return "[" + s + "]";
}

// `preferred` first, then every other dim in `fallback` order; G only when `withG`.
std::vector<Dim> fullOrder(const std::vector<Dim> &preferred, const std::array<Dim, kNumDims> &fallback,
                           bool withG)
{
    std::vector<Dim> out;
    auto add = [&](Dim d) {
        if ((withG || d != Dim::G) && std::find(out.begin(), out.end(), d) == out.end())
            out.push_back(d);
    };
    for (Dim d : preferred)
        add(d);
    for (Dim d : fallback)
        add(d);
    return out;
}

const std::vector<std::string> kOtherTimeloopRoots = {
    "architecture",         "ERT",  "ART", "problem", "mapper", "architecture_constraints",
    "mapspace_constraints", "model"};

} // namespace

LevelMapping defaultLevelMapping(const Architecture &arch, int level)
{
    LevelMapping lm;
    lm.keep = arch.levels[level].mayKeep;
    for (const LevelConstraint &c : arch.constraints.targets)
        if (!c.searchOnly && c.kind == ConstraintKind::Bypass && c.target == arch.levels[level].name)
            for (Tensor t : kAllTensors)
                if (c.keep[idx(t)] != -1)
                    lm.keep[idx(t)] = c.keep[idx(t)] == 1;
    return lm;
}

Mapping parseTimeloopMapping(const YAML::Node &root, const std::string &file, const Architecture &arch)
{
    const Where w{file, ""};
    YAML::Node list = root;
    if (root.IsMap()) {
        std::vector<std::string> known = {"mapping"};
        known.insert(known.end(), kOtherTimeloopRoots.begin(), kOtherTimeloopRoots.end());
        checkKeys(w, root, known);
        list = require(w, root, "mapping", "a list of directives");
    }
    Mapping m;
    for (int i = 0; i < arch.numLevels(); ++i)
        m.levels.push_back(defaultLevelMapping(arch, i));
    std::map<std::pair<int, std::string>, int> seen; // (level, type) -> line
    for (const YAML::Node &item : toList(w, list, "mapping")) {
        expectMap(w, item,
                  "a directive such as {target: DRAM, type: temporal, factors: ..., permutation: ...}");
        checkKeys(w, item, kDirectiveKeys);
        std::string name;
        const int level = findLevel(w, item, arch, name);
        std::string type = requireString(w, item, "type");
        const Where lw = w.in(type + " directive for '" + name + "'");
        if (type == "datatype")
            type = "bypass";
        if (type != "temporal" && type != "spatial" && type != "bypass")
            fail(w, item["type"],
                 "unknown 'type' '" + type + "' (expected temporal, spatial, bypass or datatype)");
        const auto [it, fresh] = seen.emplace(std::make_pair(level, type), lineOf(item));
        if (!fresh)
            fail(lw, item,
                 "a second directive of this kind (the first is at line " + std::to_string(it->second) + ")");
        LevelMapping &lm = m.levels[level];

        if (type == "bypass") {
            for (const char *key : {"factors", "permutation", "split"})
                if (has(item, key))
                    fail(lw, item[key], "'" + std::string(key) + "' does not belong in a bypass directive");
            std::array<int, kNumTensors> given{-1, -1, -1};
            for (const char *key : {"keep", "bypass"}) {
                if (!has(item, key))
                    continue;
                const int v = std::string(key) == "keep" ? 1 : 0;
                for (Tensor t : parseTensorList(lw, item[key], key)) {
                    if (given[idx(t)] != -1 && given[idx(t)] != v)
                        fail(lw, item[key],
                             std::string("tensor '") + tensorName(t) + "' is both kept and bypassed");
                    given[idx(t)] = v;
                    lm.keep[idx(t)] = v == 1;
                }
            }
            continue;
        }
        for (const char *key : {"keep", "bypass"})
            if (has(item, key))
                fail(lw, item[key], "'" + std::string(key) + "' belongs in a bypass directive");
        if (type == "temporal" && has(item, "split"))
            fail(lw, item["split"], "'split' belongs in a spatial directive");
        std::array<int64_t, kNumDims> factors;
        factors.fill(-1);
        if (has(item, "factors"))
            factors = parseFactorString(lw, item["factors"]);
        for (Dim d : kAllDims) {
            if (factors[idx(d)] == 0)
                fail(lw, item["factors"],
                     std::string("factor ") + dimLetter(d) +
                         "=0 (the whole dimension) needs the problem; write the factor itself");
            if (factors[idx(d)] < 0)
                factors[idx(d)] = 1;
        }
        std::vector<Dim> permutation;
        if (has(item, "permutation"))
            permutation = parsePermutation(lw, item["permutation"]);
        if (type == "temporal") {
            std::copy(factors.begin(), factors.end(), lm.temporal.begin());
            lm.order = permutation;
            continue;
        }
        if (arch.fanout(level) <= 1)
            fail(lw, item["type"], "level '" + name + "' has no spatial fan-out below it");
        int64_t split = std::numeric_limits<int64_t>::max(); // Timeloop: no split = all along X
        if (has(item, "split"))
            split = toInt(lw, item["split"], "split", Sign::NonNegative);
        std::vector<Dim> padded = permutation;
        for (Dim d : kTimeloopOrder)
            if (std::find(padded.begin(), padded.end(), d) == padded.end())
                padded.push_back(d);
        for (size_t i = 0; i < padded.size(); ++i) {
            const Dim d = padded[i];
            const bool alongX = static_cast<int64_t>(i) < split;
            lm.spatialX[idx(d)] = alongX ? factors[idx(d)] : 1;
            lm.spatialY[idx(d)] = alongX ? 1 : factors[idx(d)];
        }
        lm.spatialOrder = permutation;
    }
    checkFactorProducts(w, list, m);
    return m;
}

Mapping parseBitloopMapping(const YAML::Node &root, const std::string &file, const Architecture &arch)
{
    const Where w{file, ""};
    expectMap(w, root, "a Bitloop mapping starting with 'bitloop_mapping: 1'");
    checkKeys(w, root, {"bitloop_mapping", "levels"});
    const int64_t version = requireInt(w, root, "bitloop_mapping", Sign::Positive);
    if (version != 1)
        fail(w, root["bitloop_mapping"],
             "'bitloop_mapping' must be 1 (the only version), got " + std::to_string(version));
    Mapping m;
    for (int i = 0; i < arch.numLevels(); ++i)
        m.levels.push_back(defaultLevelMapping(arch, i));
    std::map<int, int> seen;
    for (const YAML::Node &item : toList(w, require(w, root, "levels", "a list of levels"), "levels")) {
        expectMap(w, item, "a level such as {target: DRAM, temporal: {Q: 14}, order: QPCMRSN}");
        std::string name;
        const int level = findLevel(w, item, arch, name);
        const Where lw = w.in("level '" + name + "'");
        checkKeys(lw, item, kLevelKeys);
        const auto [it, fresh] = seen.emplace(level, lineOf(item));
        if (!fresh)
            fail(lw, item, "given twice (the first is at line " + std::to_string(it->second) + ")");
        LevelMapping &lm = m.levels[level];
        if (has(item, "temporal"))
            lm.temporal = readDimMap(lw, item["temporal"], "temporal");
        if (has(item, "order"))
            lm.order = parsePermutation(lw, item["order"], "order");
        if (has(item, "spatial_x"))
            lm.spatialX = readDimMap(lw, item["spatial_x"], "spatial_x");
        if (has(item, "spatial_y"))
            lm.spatialY = readDimMap(lw, item["spatial_y"], "spatial_y");
        if (has(item, "spatial_order"))
            lm.spatialOrder = parsePermutation(lw, item["spatial_order"], "spatial_order");
        if (has(item, "keep")) {
            lm.keep = {false, false, false};
            for (Tensor t : parseTensorList(lw, item["keep"], "keep"))
                lm.keep[idx(t)] = true;
        }
    }
    checkFactorProducts(w, root, m);
    return m;
}

Mapping loadMapping(const std::string &path, const Architecture &arch)
{
    const YAML::Node root = loadFile(path);
    if (has(root, "bitloop_mapping"))
        return parseBitloopMapping(root, path, arch);
    if (has(root, "mapping") || root.IsSequence())
        return parseTimeloopMapping(root, path, arch);
    throw InputError(
        path, lineOf(root),
        "not a mapping: expected 'bitloop_mapping: 1' (Bitloop) or 'mapping:' (Timeloop) at the top");
}

std::string mappingToYaml(const Architecture &arch, const Mapping &mapping)
{
    checkLevelCount(arch, mapping);
    std::ostringstream os;
    os << "bitloop_mapping: 1\n"
       << "levels: # outermost first; order and spatial_order list loops innermost first\n";
    const DimArray ones{1, 1, 1, 1, 1, 1, 1, 1};
    for (int i = arch.numLevels() - 1; i >= 0; --i) {
        const LevelMapping &lm = mapping.levels[i];
        os << "  - target: " << scalar(arch.levels[i].name) << "\n";
        if (lm.temporal != ones)
            os << "    temporal: " << dimMapText(lm.temporal) << "\n";
        if (!lm.order.empty())
            os << "    order: " << letters(lm.order) << "\n";
        if (lm.spatialX != ones)
            os << "    spatial_x: " << dimMapText(lm.spatialX) << "\n";
        if (lm.spatialY != ones)
            os << "    spatial_y: " << dimMapText(lm.spatialY) << "\n";
        if (!lm.spatialOrder.empty())
            os << "    spatial_order: " << letters(lm.spatialOrder) << "\n";
        os << "    keep: " << tensorsText(lm.keep, true) << "\n";
    }
    return os.str();
}

void saveMapping(const std::string &path, const Architecture &arch, const Mapping &mapping)
{
    writeFileAtomically(path, mappingToYaml(arch, mapping));
}

std::string mappingToTimeloopYaml(const Architecture &arch, const Mapping &mapping)
{
    checkLevelCount(arch, mapping);
    // G appears only where it has a factor other than 1, so mappings of CNN-Layer problems stay stock.
    bool grouped = false;
    for (const LevelMapping &lm : mapping.levels)
        grouped = grouped || lm.temporal[idx(Dim::G)] != 1 || lm.spatial(Dim::G) != 1;
    const std::vector<Dim> problemDims = fullOrder({}, kTimeloopOrder, grouped);
    auto factorText = [&](auto factorOf) {
        std::string s;
        for (Dim d : problemDims)
            s += std::string(s.empty() ? "" : " ") + dimLetter(d) + "=" + std::to_string(factorOf(d));
        return s;
    };
    std::ostringstream os;
    os << "# Levels outermost first; permutations list loops innermost first, as Timeloop writes them.\n"
       << "mapping:\n";
    for (int i = arch.numLevels() - 1; i >= 0; --i) {
        const LevelMapping &lm = mapping.levels[i];
        const std::string target = scalar(arch.levels[i].name);
        os << "  - {target: " << target
           << ", type: temporal, factors: " << factorText([&](Dim d) { return lm.temporal[idx(d)]; })
           << ", permutation: " << letters(fullOrder(lm.order, kAllDims, grouped)) << "}\n";
        if (arch.fanout(i) > 1) {
            std::vector<Dim> x, y, rest;
            for (Dim d : fullOrder(lm.spatialOrder, kAllDims, grouped)) {
                const int64_t fx = lm.spatialX[idx(d)], fy = lm.spatialY[idx(d)];
                if (fx > 1 && fy > 1)
                    throw std::invalid_argument(
                        "level '" + arch.levels[i].name + "' splits " + std::string(1, dimLetter(d)) +
                        " over both X and Y; Timeloop has one spatial loop per dimension");
                (fx > 1 ? x : fy > 1 ? y : rest).push_back(d);
            }
            std::vector<Dim> perm = x;
            perm.insert(perm.end(), y.begin(), y.end());
            perm.insert(perm.end(), rest.begin(), rest.end());
            os << "  - {target: " << target
               << ", type: spatial, factors: " << factorText([&](Dim d) { return lm.spatial(d); })
               << ", permutation: " << letters(perm) << ", split: " << x.size() << "}\n";
        } else if (lm.spatialFanout() != 1) {
            throw std::invalid_argument("level '" + arch.levels[i].name +
                                        "' has spatial factors but no fan-out below it");
        }
        os << "  - {target: " << target << ", type: bypass, keep: " << tensorsText(lm.keep, true)
           << ", bypass: " << tensorsText(lm.keep, false) << "}\n";
    }
    return os.str();
}

} // namespace bitloop
