// Timeloop v0.3 architecture trees. The attribute semantics follow Timeloop's own parser
// (model/buffer.cpp, BufferLevel::ParseSpecs and ValidateTopology):
//  - capacity in words = depth (entries) * block-size; `entries` gives words directly, sizeKB kilobytes;
//  - block-size defaults to 1; cluster-size defaults to width / (word-bits * block-size) when a width is
//    given, else 1;
//  - word-bits falls back to word_width, then datawidth;
//  - meshX defaults to all instances along X (meshY = 1); meshY alone gives meshX = instances / meshY;
//  - `bandwidth` (deprecated) is split evenly into read and write bandwidth.
// Attributes inherit down the tree, and instance ranges (`PE[0..15]`) multiply along the path.
#include "io/arch_io.h"
#include "io/yaml_util.h"

#include <algorithm>
#include <map>
#include <set>

namespace bitloop
{

using namespace yamlutil;

namespace
{

const std::vector<std::string> kStorageClasses = {"DRAM",           "SRAM",   "regfile", "smartbuffer_SRAM",
                                                  "smartbuffer_RF", "storage"};
const std::vector<std::string> kComputeClasses = {"intmac", "mac", "fpmac"};

// Attributes Bitloop reads.
const std::set<std::string> kUsedAttributes = {
    "depth",     "memory_depth", "entries",      "sizeKB",         "width",           "memory_width",
    "word-bits", "word_bits",    "word_width",   "datawidth",      "block-size",      "block_size",
    "n_words",   "cluster-size", "cluster_size", "read_bandwidth", "write_bandwidth", "bandwidth",
    "meshX",     "meshY",        "instances"};
// Attributes that describe the circuit for Accelergy and change nothing Bitloop computes.
const std::set<std::string> kCircuitAttributes = {"type",
                                                  "technology",
                                                  "n_banks",
                                                  "num-banks",
                                                  "nbanks",
                                                  "nports",
                                                  "num-ports",
                                                  "n_rdwr_ports",
                                                  "n_rd_ports",
                                                  "n_wr_ports",
                                                  "update_fifo_depth",
                                                  "latency",
                                                  "num_pipeline_stages",
                                                  "multiplier_width",
                                                  "adder_width",
                                                  "global_cycle_seconds",
                                                  "cycle_seconds",
                                                  "reduction_supported",
                                                  "multiple_buffering_supported",
                                                  "n_buffets",
                                                  "ports"};
// Timeloop attributes whose effect Bitloop does not model: accepted with a warning.
const std::set<std::string> kUnmodelledAttributes = {
    "multiple-buffering", "min-utilization",      "metadata-block-size", "metadata_datawidth",
    "network_read",       "network_fill",         "network_drain",       "network_update",
    "allow_overbooking",  "vector-access-energy", "addr-gen-energy",     "cluster-area"};

struct Component {
    std::string name; // instance range stripped
    std::string cls;
    int64_t instances = 1;
    std::map<std::string, YAML::Node> attrs; // own and inherited
    YAML::Node node;
};

class TreeReader
{
public:
    TreeReader(std::string file, std::vector<std::string> *warnings)
        : file_(std::move(file)), warnings_(warnings)
    {
    }

    Architecture read(const YAML::Node &root);

private:
    using Attrs = std::map<std::string, YAML::Node>;

    void warn(const Where &w, const YAML::Node &at, const std::string &what)
    {
        if (warnings_)
            warnings_->push_back(warningAt(w, at, what));
    }
    // Name without its range, and the number of instances the range stands for.
    std::pair<std::string, int64_t> splitName(const Where &w, const YAML::Node &nameNode);
    Attrs merge(const Where &w, const Attrs &inherited, const YAML::Node &owner);
    void walk(const YAML::Node &node, int64_t instances, const Attrs &inherited);
    StorageLevel storage(const Component &c);
    MacUnit compute(const Component &c);
    void mesh(const Where &w, const Component &c, int64_t &meshX);
    void checkAttributes(const Where &w, const Component &c);

    std::string file_;
    std::vector<std::string> *warnings_;
    std::vector<Component> components_; // outermost first
    std::set<std::pair<int, std::string>> reported_;
};

std::pair<std::string, int64_t> TreeReader::splitName(const Where &w, const YAML::Node &nameNode)
{
    const std::string raw = toString(w, nameNode, "name");
    const size_t open = raw.find('[');
    if (open == std::string::npos)
        return {raw, 1};
    const size_t dots = raw.find("..", open);
    const std::string bad = "'name' " + raw + " must be NAME or NAME[first..last] with first <= last";
    if (open == 0 || raw.back() != ']' || dots == std::string::npos)
        fail(w, nameNode, bad);
    try {
        size_t used = 0;
        const std::string a = raw.substr(open + 1, dots - open - 1),
                          b = raw.substr(dots + 2, raw.size() - dots - 3);
        const long long first = std::stoll(a, &used);
        if (used != a.size())
            fail(w, nameNode, bad);
        const long long last = std::stoll(b, &used);
        if (used != b.size() || first < 0 || last < first)
            fail(w, nameNode, bad);
        if (last - first >= kMaxInt)
            fail(w, nameNode,
                 "'name' " + echo(raw) + ": the range is too large (over " + std::to_string(kMaxInt) +
                     " instances)");
        return {raw.substr(0, open), static_cast<int64_t>(last - first + 1)};
    } catch (const std::logic_error &) {
        fail(w, nameNode, bad);
    }
}

TreeReader::Attrs TreeReader::merge(const Where &w, const Attrs &inherited, const YAML::Node &owner)
{
    Attrs out = inherited;
    if (!has(owner, "attributes"))
        return out;
    const YAML::Node attrs = owner["attributes"];
    if (attrs.IsNull())
        return out;
    expectMap(w, attrs, "'attributes'");
    for (auto it = attrs.begin(); it != attrs.end(); ++it)
        out[toString(w, it->first, "attribute name")] = it->second;
    return out;
}

void TreeReader::walk(const YAML::Node &node, int64_t instances, const Attrs &inherited)
{
    Where w{file_, "architecture node"};
    expectMap(w, node, "a tree node with 'name' and 'local' or 'subtree'");
    const auto [name, count] = splitName(w, require(w, node, "name", "a string"));
    w = w.in("node '" + name + "'");
    if (has(node, "nodes"))
        fail(w, node["nodes"],
             "Timeloop v0.4 'nodes' trees are not supported; write the v0.3 form "
             "(subtree/local)");
    checkKeys(w, node, {"name", "attributes", "local", "subtree", "description"}, warnings_);
    const int64_t here = sizeProduct(w, node["name"], "the number of instances", instances, count);
    const Attrs attrs = merge(w, inherited, node);
    if (has(node, "local")) {
        for (const YAML::Node &item : toList(w, node["local"], "local")) {
            Where lw{file_, "component"};
            expectMap(lw, item, "a component with 'name', 'class' and 'attributes'");
            const auto [cname, ccount] = splitName(lw, require(lw, item, "name", "a string"));
            lw = lw.in("level '" + cname + "'");
            checkKeys(lw, item, {"name", "class", "attributes", "description", "subclass"}, warnings_);
            Component c;
            c.name = cname;
            c.cls = requireString(lw, item, "class");
            c.instances = sizeProduct(lw, item["name"], "the number of instances", here, ccount);
            c.attrs = merge(lw, attrs, item);
            c.node = item;
            components_.push_back(std::move(c));
        }
    }
    if (has(node, "subtree")) {
        const std::vector<YAML::Node> children = toList(w, node["subtree"], "subtree");
        if (children.size() > 1)
            fail(w, node["subtree"],
                 "more than one subtree under one node (a heterogeneous tree) is not "
                 "supported");
        for (const YAML::Node &child : children)
            walk(child, here, attrs);
    }
}

void TreeReader::checkAttributes(const Where &w, const Component &c)
{
    for (const auto &[key, value] : c.attrs) {
        if (kUsedAttributes.count(key) || kCircuitAttributes.count(key))
            continue;
        // Inherited attributes are reported once, at the node that declares them.
        if (!reported_.insert({lineOf(value), key}).second)
            continue;
        if (kUnmodelledAttributes.count(key))
            warn(w, value, "attribute '" + key + "' is not modelled by Bitloop; ignored");
        else
            warn(w, value, "unknown attribute '" + key + "'; ignored");
    }
}

void TreeReader::mesh(const Where &w, const Component &c, int64_t &meshX)
{
    const bool hasX = c.attrs.count("meshX") > 0, hasY = c.attrs.count("meshY") > 0;
    const int64_t n = c.instances;
    if (hasX) {
        const YAML::Node &x = c.attrs.at("meshX");
        meshX = toInt(w, x, "meshX", Sign::Positive);
        if (n % meshX != 0)
            fail(w, x,
                 "'meshX' " + std::to_string(meshX) + " must divide the " + std::to_string(n) + " instances");
        if (hasY && sizeProduct(w, c.attrs.at("meshY"), "'meshX' * 'meshY'", meshX,
                                toInt(w, c.attrs.at("meshY"), "meshY", Sign::Positive)) != n)
            fail(w, c.attrs.at("meshY"),
                 "'meshX' * 'meshY' must equal the " + std::to_string(n) + " instances");
    } else if (hasY) {
        const YAML::Node &y = c.attrs.at("meshY");
        const int64_t meshY = toInt(w, y, "meshY", Sign::Positive);
        if (n % meshY != 0)
            fail(w, y,
                 "'meshY' " + std::to_string(meshY) + " must divide the " + std::to_string(n) + " instances");
        meshX = n / meshY;
    } else {
        meshX = n; // Timeloop: only instances given -> all along X
    }
}

StorageLevel TreeReader::storage(const Component &c)
{
    const Where w{file_, "level '" + c.name + "'"};
    // The first of several spellings that is given; an undefined node when none is.
    auto first = [&](std::initializer_list<const char *> keys, std::string &which) -> YAML::Node {
        for (const char *k : keys)
            if (c.attrs.count(k)) {
                which = k;
                return c.attrs.at(k);
            }
        return YAML::Node(YAML::NodeType::Undefined);
    };
    StorageLevel l;
    l.name = c.name;
    l.instances = c.instances;
    std::string key;
    if (c.attrs.count("instances")) {
        l.instances = toInt(w, c.attrs.at("instances"), "instances", Sign::Positive);
    }
    Component sized = c;
    sized.instances = l.instances;
    mesh(w, sized, l.meshX);

    YAML::Node v = first({"word-bits", "word_bits", "word_width", "datawidth"}, key);
    if (!v.IsDefined())
        fail(w, c.node,
             "'word-bits' is missing; expected a positive integer (bits per word; word_bits or "
             "datawidth also do)");
    l.wordBits = static_cast<int>(toInt(w, v, key, Sign::Positive, kMaxInt32));

    v = first({"block-size", "block_size", "n_words"}, key);
    l.blockSize = v.IsDefined() ? toInt(w, v, key, Sign::Positive) : 1;

    v = first({"cluster-size", "cluster_size"}, key);
    if (v.IsDefined()) {
        l.clusterSize = toInt(w, v, key, Sign::Positive);
    } else if ((v = first({"width", "memory_width"}, key)).IsDefined()) {
        const int64_t width = toInt(w, v, key, Sign::Positive);
        const int64_t entryBits = sizeProduct(w, v, "word-bits * block-size", l.wordBits, l.blockSize);
        if (width % entryBits != 0)
            fail(w, v,
                 "'" + key + "' " + std::to_string(width) +
                     " must be a multiple of word-bits * block-size = " + std::to_string(entryBits));
        l.clusterSize = width / entryBits;
    }

    const bool dram = c.cls.find("DRAM") != std::string::npos ||
                      (c.attrs.count("technology") && c.attrs.at("technology").IsScalar() &&
                       c.attrs.at("technology").Scalar() == "DRAM");
    if ((v = first({"entries"}, key)).IsDefined()) {
        l.depth = toInt(w, v, key, Sign::Positive);
    } else if ((v = first({"depth", "memory_depth"}, key)).IsDefined()) {
        l.depth =
            sizeProduct(w, v, "'" + key + "' * block-size", toInt(w, v, key, Sign::Positive), l.blockSize);
    } else if ((v = first({"sizeKB"}, key)).IsDefined()) {
        l.depth = sizeProduct(w, v, "'" + key + "' in bits", toInt(w, v, key, Sign::Positive), 1024 * 8) /
                  l.wordBits;
    } else if (!dram) {
        fail(w, c.node,
             "'depth' is missing; expected a positive integer (entries of block-size words; "
             "memory_depth, entries or sizeKB also do)");
    }

    if ((v = first({"bandwidth"}, key)).IsDefined()) {
        const double bw = toDouble(w, v, key, Sign::NonNegative);
        l.readBandwidth = l.writeBandwidth = bw / 2;
        warn(w, v,
             "'bandwidth' is deprecated in Timeloop; read as read_bandwidth = write_bandwidth = " +
                 formatDouble(bw / 2));
    }
    if ((v = first({"read_bandwidth"}, key)).IsDefined())
        l.readBandwidth = toDouble(w, v, key, Sign::NonNegative);
    if ((v = first({"write_bandwidth"}, key)).IsDefined())
        l.writeBandwidth = toDouble(w, v, key, Sign::NonNegative);
    checkAttributes(w, c);
    return l;
}

MacUnit TreeReader::compute(const Component &c)
{
    const Where w{file_, "compute '" + c.name + "'"};
    MacUnit m;
    m.name = c.name;
    m.instances = c.instances;
    if (c.attrs.count("instances"))
        m.instances = toInt(w, c.attrs.at("instances"), "instances", Sign::Positive);
    Component sized = c;
    sized.instances = m.instances;
    mesh(w, sized, m.meshX);
    for (const char *k : {"datawidth", "word-bits", "word_bits"})
        if (c.attrs.count(k)) {
            m.nativeBits = static_cast<int>(toInt(w, c.attrs.at(k), k, Sign::Positive, kMaxInt32));
            break;
        }
    checkAttributes(w, c);
    return m;
}

Architecture TreeReader::read(const YAML::Node &root)
{
    const Where w{file_, ""};
    expectMap(w, root, "a Timeloop file with an 'architecture' key");
    const YAML::Node tree = require(w, root, "architecture", "the Timeloop v0.3 architecture tree");
    const Where aw = w.in("'architecture'");
    expectMap(aw, tree, "'version' and 'subtree'");
    checkKeys(aw, tree, {"version", "subtree", "local", "nodes"}, warnings_);
    if (has(tree, "nodes"))
        fail(aw, tree["nodes"],
             "Timeloop v0.4 'nodes' trees are not supported; write the v0.3 form "
             "(subtree/local)");
    if (has(tree, "version")) {
        const std::string version =
            tree["version"].IsScalar() ? tree["version"].Scalar() : describe(tree["version"]);
        if (version != "0.3")
            warn(aw, tree["version"], "version " + version + " read as Timeloop v0.3");
    }
    // The top of the tree is a node without a name: its local components first, then its subtree.
    const Attrs none;
    if (has(tree, "local")) {
        YAML::Node wrapper;
        wrapper["name"] = "architecture";
        wrapper["local"] = tree["local"];
        walk(wrapper, 1, none);
    }
    if (has(tree, "subtree")) {
        const std::vector<YAML::Node> children = toList(aw, tree["subtree"], "subtree");
        if (children.size() > 1)
            fail(aw, tree["subtree"], "more than one subtree at the top is not supported");
        for (const YAML::Node &child : children)
            walk(child, 1, none);
    }

    Architecture arch;
    arch.source = file_;
    if (has(tree, "subtree") && tree["subtree"].IsSequence() && tree["subtree"].size() == 1 &&
        has(tree["subtree"][0], "name"))
        arch.name = splitName(aw, tree["subtree"][0]["name"]).first;
    bool haveMac = false;
    std::set<std::string> names;
    for (const Component &c : components_) {
        const Where cw{file_, "level '" + c.name + "'"};
        if (!names.insert(c.name).second)
            fail(cw, c.node["name"], "the name '" + c.name + "' is used twice");
        const bool isStorage =
            std::find(kStorageClasses.begin(), kStorageClasses.end(), c.cls) != kStorageClasses.end();
        const bool isCompute =
            std::find(kComputeClasses.begin(), kComputeClasses.end(), c.cls) != kComputeClasses.end();
        if (!isStorage && !isCompute)
            fail(cw, c.node["class"],
                 "unknown 'class' '" + c.cls + "' (storage: " + joinWords(kStorageClasses) +
                     "; compute: " + joinWords(kComputeClasses) + ")");
        if (haveMac)
            fail(cw, c.node,
                 "the compute unit must be the innermost component; '" + c.name + "' comes after it");
        if (isCompute) {
            arch.mac = compute(c);
            haveMac = true;
        } else {
            arch.levels.insert(arch.levels.begin(), storage(c));
        }
    }
    if (!haveMac)
        fail(aw, tree, "no compute unit (class " + joinWords(kComputeClasses, " or ") + ") in the tree");
    if (arch.levels.empty())
        fail(aw, tree, "no storage level in the tree");
    const std::string problem = arch.validate();
    if (!problem.empty())
        throw InputError(file_, lineOf(tree), problem);
    return arch;
}

} // namespace

Architecture parseTimeloopArch(const YAML::Node &root, const std::string &file,
                               std::vector<std::string> *warnings)
{
    return TreeReader(file, warnings).read(root);
}

Architecture readTimeloopArch(const std::string &path, std::vector<std::string> *warnings)
{
    return parseTimeloopArch(loadFile(path), path, warnings);
}

} // namespace bitloop
