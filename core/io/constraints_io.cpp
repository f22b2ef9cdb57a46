#include "io/constraints_io.h"

#include <cctype>
#include <limits>

namespace bitloop
{

using namespace yamlutil;

std::string levelNames(const Architecture &arch)
{
    std::vector<std::string> names;
    for (int i = arch.numLevels() - 1; i >= 0; --i)
        names.push_back(arch.levels[i].name);
    return joinWords(names);
}

std::array<int64_t, kNumDims> parseFactorString(const Where &w, const YAML::Node &value,
                                                const std::string &key)
{
    std::array<int64_t, kNumDims> factors;
    factors.fill(-1);
    if (!value.IsScalar())
        fail(w, value, "'" + key + "' must be a string such as \"C=1 M=2\", got " + describe(value));
    const std::string s = value.Scalar();
    size_t i = 0;
    auto skipSpaces = [&]() {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
            ++i;
    };
    auto syntax = [&](const std::string &what) {
        fail(w, value, "'" + key + "': " + what + " in \"" + s + "\" (expected entries such as \"C=1 M=2\")");
    };
    while (true) {
        skipSpaces();
        if (i >= s.size())
            break;
        const size_t start = i;
        while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i])))
            ++i;
        const std::string name = s.substr(start, i - start);
        if (name.empty())
            syntax("expected a dimension letter at '" + s.substr(start) + "'");
        Dim d;
        if (name.size() != 1 || !dimFromLetter(name[0], d))
            syntax("unknown dimension '" + name + "'");
        skipSpaces();
        if (s.compare(i, 2, "<=") == 0)
            syntax("maximum factors ('<=') are not supported");
        if (i < s.size() && s[i] == '=')
            ++i;
        skipSpaces();
        const size_t digits = i;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
            ++i;
        if (digits == i)
            syntax("expected a number after '" + name + "'");
        if (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) &&
            !std::isalpha(static_cast<unsigned char>(s[i])))
            syntax("unexpected '" + std::string(1, s[i]) + "' after '" + s.substr(start, i - start) + "'");
        int64_t v = 0;
        for (size_t k = digits; k < i; ++k) {
            if (v > (kMaxInt - 9) / 10)
                syntax("factor of '" + name + "' is too large (at most " + std::to_string(kMaxInt) + ")");
            v = v * 10 + (s[k] - '0');
        }
        if (v > kMaxInt)
            syntax("factor of '" + name + "' is too large (at most " + std::to_string(kMaxInt) + ")");
        if (factors[idx(d)] != -1)
            syntax("dimension '" + name + "' given twice");
        factors[idx(d)] = v;
    }
    return factors;
}

std::vector<Dim> parsePermutation(const Where &w, const YAML::Node &value, const std::string &key)
{
    if (!value.IsScalar())
        fail(w, value,
             "'" + key + "' must be a string of dimension letters such as NPQRSCM, got " + describe(value));
    std::vector<Dim> out;
    for (char c : value.Scalar()) {
        if (std::isspace(static_cast<unsigned char>(c)))
            continue;
        Dim d;
        if (!dimFromLetter(c, d))
            fail(w, value,
                 "'" + key + "': unknown dimension '" + std::string(1, c) + "' in \"" + value.Scalar() +
                     "\" (expected letters of N G C M R S P Q)");
        for (Dim seen : out)
            if (seen == d)
                fail(w, value,
                     "'" + key + "': dimension '" + std::string(1, c) + "' appears twice in \"" +
                         value.Scalar() + "\"");
        out.push_back(d);
    }
    return out;
}

std::vector<Tensor> parseTensorList(const Where &w, const YAML::Node &value, const std::string &key)
{
    std::vector<Tensor> out;
    for (const YAML::Node &item : toList(w, value, key)) {
        Tensor t;
        if (!item.IsScalar() || !tensorFromName(item.Scalar(), t))
            fail(w, item,
                 "unknown tensor '" + describe(item) + "' in '" + key +
                     "' (expected Weights, Inputs or Outputs)");
        for (Tensor seen : out)
            if (seen == t)
                fail(w, item, "tensor '" + item.Scalar() + "' appears twice in '" + key + "'");
        out.push_back(t);
    }
    return out;
}

namespace
{

const std::vector<std::string> kConstraintKeys = {"target", "type", "factors", "permutation",
                                                  "split",  "keep", "bypass"};

LevelConstraint parseOne(const Where &where, const YAML::Node &item, const Architecture &arch,
                         bool searchOnly)
{
    expectMap(where, item, "a constraint such as {target: DRAM, type: temporal, factors: R=1 S=1}");
    checkKeys(where, item, kConstraintKeys);
    LevelConstraint c;
    c.searchOnly = searchOnly;
    c.origin = where.file + ":" + std::to_string(lineOf(item));
    c.target = requireString(where, item, "target");
    const int level = arch.levelIndex(c.target);
    if (level < 0)
        fail(where, item["target"],
             "unknown level '" + c.target + "' in 'target' (levels: " + levelNames(arch) + ")");
    const Where w = where.in("constraint on '" + c.target + "'");

    const std::string type = requireString(w, item, "type");
    if (type == "temporal")
        c.kind = ConstraintKind::Temporal;
    else if (type == "spatial")
        c.kind = ConstraintKind::Spatial;
    else if (type == "bypass" || type == "datatype")
        c.kind = ConstraintKind::Bypass;
    else
        fail(w, item["type"],
             "unknown 'type' '" + type + "' (expected temporal, spatial, bypass or datatype)");

    if (c.kind == ConstraintKind::Bypass) {
        for (const char *key : {"factors", "permutation", "split"})
            if (has(item, key))
                fail(w, item[key], "'" + std::string(key) + "' does not belong in a " + type + " constraint");
        for (const char *key : {"keep", "bypass"}) {
            if (!has(item, key))
                continue;
            for (Tensor t : parseTensorList(w, item[key], key)) {
                const int v = std::string(key) == "keep" ? 1 : 0;
                if (c.keep[idx(t)] != -1 && c.keep[idx(t)] != v)
                    fail(w, item[key],
                         std::string("tensor '") + tensorName(t) + "' is both kept and bypassed");
                c.keep[idx(t)] = v;
            }
        }
        return c;
    }
    for (const char *key : {"keep", "bypass"})
        if (has(item, key))
            fail(w, item[key],
                 "'" + std::string(key) + "' belongs in a bypass constraint, not a " + type + " one");
    if (has(item, "factors"))
        c.factors = parseFactorString(w, item["factors"]);
    if (has(item, "permutation")) {
        c.permutation = parsePermutation(w, item["permutation"]);
        c.permutationHasFreeSlot = c.permutation.size() < static_cast<size_t>(kNumDims);
        c.freeSlotAt = c.permutation.size();
    }
    if (c.kind == ConstraintKind::Spatial) {
        if (arch.fanout(level) <= 1)
            fail(w, item["type"],
                 "level '" + c.target +
                     "' has no spatial fan-out below it, so a spatial "
                     "constraint cannot apply");
        if (has(item, "split"))
            c.split = static_cast<int>(toInt(w, item["split"], "split", Sign::NonNegative, kMaxInt32));
    } else if (has(item, "split")) {
        fail(w, item["split"], "'split' belongs in a spatial constraint, not a temporal one");
    }
    return c;
}

// Timeloop refuses a second factor, permutation or split for the same level and loop kind (typically
// an architecture constraint and a mapspace constraint that disagree); so does Bitloop.
void checkConflicts(const Where &w, const YAML::Node &at, const LevelConstraint &c,
                    const ArchConstraints &existing)
{
    for (const LevelConstraint &e : existing.targets) {
        if (e.target != c.target || e.kind != c.kind)
            continue;
        const std::string already = " already given for '" + c.target + "' at " + e.origin;
        for (Dim d : kAllDims)
            if (e.factors[idx(d)] != -1 && c.factors[idx(d)] != -1)
                fail(w, at, std::string("the factor of ") + dimLetter(d) + " is" + already);
        if (!e.permutation.empty() && !c.permutation.empty())
            fail(w, at, "a permutation is" + already);
        if (e.split >= 0 && c.split >= 0)
            fail(w, at, "a split is" + already);
        for (Tensor t : kAllTensors)
            if (e.keep[idx(t)] != -1 && c.keep[idx(t)] != -1 && e.keep[idx(t)] != c.keep[idx(t)])
                fail(w, at,
                     std::string("keep/bypass of ") + tensorName(t) + " contradicts the one" + already);
    }
}

void add(Architecture &arch, const Where &w, const YAML::Node &item, LevelConstraint c)
{
    checkConflicts(w, item, c, arch.constraints);
    if (c.kind == ConstraintKind::Bypass && !c.searchOnly) {
        StorageLevel &level = arch.levels[arch.levelIndex(c.target)];
        for (Tensor t : kAllTensors) {
            if (c.keep[idx(t)] == 0)
                level.mayKeep[idx(t)] = false;
            else if (c.keep[idx(t)] == 1 && !level.mayKeep[idx(t)])
                fail(w, item,
                     "constraint on '" + c.target + "': keeps " + tensorName(t) +
                         ", which the level may not keep");
        }
    }
    arch.constraints.targets.push_back(std::move(c));
}

const std::vector<std::string> kOtherTimeloopRoots = {"architecture", "ERT",       "ART",
                                                      "problem",      "mapper",    "mapping",
                                                      "model",        "variables", "compound_components"};

} // namespace

void addConstraintList(Architecture &arch, const YAML::Node &list, const std::string &file, bool searchOnly)
{
    const Where w{file, ""};
    if (list.IsNull())
        return;
    for (const YAML::Node &item : toList(w, list, searchOnly ? "mapspace constraints" : "constraints"))
        add(arch, w, item, parseOne(w, item, arch, searchOnly));
}

namespace
{

// Adds the constraints of a document; the number of sections or lists it holds.
int addDocument(Architecture &arch, const YAML::Node &root, const std::string &file, bool bareSearchOnly)
{
    const Where w{file, ""};
    if (!root.IsDefined() || root.IsNull())
        return 0;
    if (root.IsSequence()) {
        addConstraintList(arch, root, file, bareSearchOnly);
        return 1;
    }
    expectMap(w, root, "constraints: architecture_constraints, mapspace_constraints, targets or a list");
    std::vector<std::string> known = {"architecture_constraints", "mapspace_constraints", "targets"};
    known.insert(known.end(), kOtherTimeloopRoots.begin(), kOtherTimeloopRoots.end());
    checkKeys(w, root, known);
    // A key given with nothing after it is a list that went missing, not "no constraints".
    auto list = [&](const Where &lw, const YAML::Node &parent, const std::string &name, bool searchOnly) {
        const YAML::Node node = parent[name];
        if (node.IsNull()) {
            int line = lineOf(parent); // of the key: a null value has no line of its own
            for (auto it = parent.begin(); it != parent.end(); ++it)
                if (it->first.IsScalar() && it->first.Scalar() == name)
                    line = lineOf(it->first);
            throw InputError(file, line,
                             lw.message("'" + name +
                                        "' is empty; expected a list of constraints (write [] for none, or "
                                        "leave the key out)"));
        }
        addConstraintList(arch, node, file, searchOnly);
    };
    auto section = [&](const YAML::Node &node, const std::string &name, bool searchOnly) {
        if (node.IsMap()) {
            const Where sw = w.in("'" + name + "'");
            checkKeys(sw, node, {"version", "targets"});
            if (!has(node, "targets"))
                fail(sw, node, "'targets' is missing; expected a list of constraints");
            list(sw, node, "targets", searchOnly);
        } else {
            list(w, root, name, searchOnly);
        }
    };
    int sections = 0;
    if (has(root, "architecture_constraints")) {
        section(root["architecture_constraints"], "architecture_constraints", false);
        ++sections;
    }
    if (has(root, "mapspace_constraints")) {
        section(root["mapspace_constraints"], "mapspace_constraints", true);
        ++sections;
    }
    if (has(root, "targets")) {
        list(w, root, "targets", bareSearchOnly);
        ++sections;
    }
    return sections;
}

// A constraints file must say something: an empty or comment-only file, or one with none of the
// constraint keys, is more likely a mistake (the wrong file, a truncated one) than a wish for none.
void addFile(Architecture &arch, const std::string &path)
{
    const YAML::Node root = loadFile(path);
    if (addDocument(arch, root, path, false) == 0)
        throw InputError(
            path, lineOf(root),
            root.IsNull() || !root.IsDefined()
                ? std::string("the constraints file is empty; expected architecture_constraints, "
                              "mapspace_constraints, targets or a list")
                : std::string("holds no constraints; expected architecture_constraints, "
                              "mapspace_constraints, targets or a list"));
}

} // namespace

void addConstraints(Architecture &arch, const YAML::Node &root, const std::string &file, bool bareSearchOnly)
{
    addDocument(arch, root, file, bareSearchOnly);
}

void applyConstraints(Architecture &arch, const std::string &path)
{
    addFile(arch, path);
}

ArchConstraints readConstraints(const std::string &path, const Architecture &arch)
{
    Architecture copy = arch;
    copy.constraints.targets.clear();
    addFile(copy, path);
    return copy.constraints;
}

std::string constraintToYaml(const LevelConstraint &c)
{
    std::string out = "{target: " + scalar(c.target) + ", type: ";
    if (c.kind == ConstraintKind::Bypass) {
        out += "bypass";
        std::string keep, bypass;
        for (Tensor t : kAllTensors) {
            std::string &list = c.keep[idx(t)] == 1 ? keep : bypass;
            if (c.keep[idx(t)] != -1)
                list += std::string(list.empty() ? "" : ", ") + tensorName(t);
        }
        if (!keep.empty() || bypass.empty())
            out += ", keep: [" + keep + "]";
        if (!bypass.empty())
            out += ", bypass: [" + bypass + "]";
        return out + "}";
    }
    out += c.kind == ConstraintKind::Temporal ? "temporal" : "spatial";
    std::string factors;
    for (Dim d : kAllDims)
        if (c.factors[idx(d)] >= 0)
            factors += std::string(factors.empty() ? "" : " ") + dimLetter(d) + "=" +
                       std::to_string(c.factors[idx(d)]);
    if (!factors.empty())
        out += ", factors: " + factors;
    if (!c.permutation.empty()) {
        std::string perm;
        for (Dim d : c.permutation)
            perm += dimLetter(d);
        out += ", permutation: " + perm;
    }
    if (c.split >= 0)
        out += ", split: " + std::to_string(c.split);
    return out + "}";
}

} // namespace bitloop
