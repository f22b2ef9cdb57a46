#include "io/bits_io.h"

#include "io/yaml_util.h"

#include <sstream>

namespace bitloop
{

using namespace yamlutil;

namespace
{

int width(const Where &w, const YAML::Node &v, const std::string &key)
{
    const int64_t b = toInt(w, v, key, Sign::Positive);
    if (b > 32)
        fail(w, v, "'" + key + "' must be between 1 and 32 bits, got " + std::to_string(b));
    return static_cast<int>(b);
}

} // namespace

BitsFile readBitsFile(const std::string &path)
{
    const YAML::Node root = loadFile(path);
    const Where w{path, ""};
    expectMap(w, root, "a bits file");
    // A search's exported configuration is a bits file with more in it (search/configuration.h).
    checkKeys(w, root, {"network", "last_outputs", "bits", "architecture", "objectives", "layers"});
    BitsFile out;
    if (auto last = optionalInt(w, root, "last_outputs", Sign::Positive, kMaxInt32)) {
        if (*last > 32)
            fail(w, root["last_outputs"], "'last_outputs' must be between 1 and 32 bits");
        out.lastOutputBits = static_cast<int>(*last);
    }
    const std::vector<YAML::Node> items =
        toList(w, require(w, root, "bits", "a list of [weights, activations]"), "bits");
    for (size_t i = 0; i < items.size(); ++i) {
        const Where at = w.in("layer " + std::to_string(i + 1));
        const YAML::Node &item = items[i];
        LayerBits lb;
        if (item.IsSequence()) {
            if (item.size() != 2)
                fail(at, item,
                     "expected [weight bits, activation bits], got " + std::to_string(item.size()) +
                         " values");
            lb.weights = width(at, item[0], "weights");
            lb.activations = width(at, item[1], "activations");
        } else {
            expectMap(at, item, "[weights, activations] or {weights, activations}");
            checkKeys(at, item, {"weights", "activations"});
            lb.weights = width(at, require(at, item, "weights", "a bit-width"), "weights");
            lb.activations = width(at, require(at, item, "activations", "a bit-width"), "activations");
        }
        out.layers.push_back(lb);
    }
    return out;
}

std::string bitsFileToYaml(const BitsFile &bits, const std::string &networkName)
{
    std::ostringstream os;
    if (!networkName.empty())
        os << "network: " << scalar(networkName) << "\n";
    os << "last_outputs: " << bits.lastOutputBits
       << "\nbits: # [weight bits, input-activation bits] per layer\n";
    for (const LayerBits &l : bits.layers)
        os << "  - [" << l.weights << ", " << l.activations << "]\n";
    return os.str();
}

} // namespace bitloop
