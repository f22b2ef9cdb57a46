#include "io/yaml_util.h"

#include "util/json.h"

#include "util/checked.h"
#include "util/temp_path.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/depthguard.h>

namespace bitloop::yamlutil
{

int lineOf(const YAML::Node &n)
{
    if (!n.IsDefined())
        return 0;
    const YAML::Mark m = n.Mark();
    return m.is_null() || m.line < 0 ? 0 : m.line + 1;
}

std::string describe(const YAML::Node &n)
{
    if (!n.IsDefined())
        return "nothing";
    switch (n.Type()) {
    case YAML::NodeType::Scalar:
        return n.Scalar().empty() ? std::string("an empty string") : echo(n.Scalar());
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Map:
        return "a mapping";
    default:
        return "nothing";
    }
}

std::string joinWords(const std::vector<std::string> &words, const std::string &sep)
{
    std::string s;
    for (const std::string &w : words)
        s += (s.empty() ? "" : sep) + w;
    return s;
}

void fail(const Where &w, const YAML::Node &at, const std::string &what)
{
    throw InputError(w.file, lineOf(at), w.message(what));
}

std::string warningAt(const Where &w, const YAML::Node &at, const std::string &what)
{
    std::string where = w.file.empty() ? std::string("<input>") : w.file;
    const int line = lineOf(at);
    if (line > 0)
        where += ":" + std::to_string(line);
    return where + ": " + w.message(what);
}

std::string readText(const std::string &path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        throw InputError(path, 0, "no such file");
    if (std::filesystem::is_directory(path, ec))
        throw InputError(path, 0, "is a directory, expected a YAML file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        throw InputError(path, 0, std::string("cannot read: ") + std::strerror(errno));
    return text.str();
}

namespace
{

// Walks a loaded document as the readers will: aliases are followed (so a node reached twice counts
// twice), nesting and the number of nodes are bounded, and a key given twice in a mapping is an error
// (yaml-cpp keeps both; lookups would see the first and ignore the second).
class DocumentCheck
{
public:
    explicit DocumentCheck(const std::string &source) : source_(source) {}

    void walk(const YAML::Node &n, int depth)
    {
        if (++nodes_ > kMaxExpandedNodes)
            throw InputError(source_, lineOf(n),
                             "the document expands to more than " + std::to_string(kMaxExpandedNodes) +
                                 " nodes (aliases of aliases?); refused");
        if (depth > kMaxNesting)
            throw InputError(source_, lineOf(n), nestedTooDeeply());
        if (n.IsSequence()) {
            for (const YAML::Node &item : n)
                walk(item, depth + 1);
        } else if (n.IsMap()) {
            std::unordered_map<std::string, int> seen; // key -> its line
            for (auto it = n.begin(); it != n.end(); ++it) {
                if (it->first.IsScalar()) {
                    const std::string &key = it->first.Scalar();
                    const auto [at, fresh] = seen.emplace(key, lineOf(it->first));
                    if (!fresh)
                        throw InputError(source_, lineOf(it->first),
                                         "key '" + echo(key) + "' appears twice" +
                                             (at->second > 0
                                                  ? " (first at line " + std::to_string(at->second) + ")"
                                                  : std::string()));
                }
                walk(it->first, depth + 1);
                walk(it->second, depth + 1);
            }
        }
    }

    static std::string nestedTooDeeply()
    {
        return "nested too deeply (more than " + std::to_string(kMaxNesting) +
               " levels of lists and mappings)";
    }

private:
    const std::string &source_;
    int64_t nodes_ = 0;
};

} // namespace

YAML::Node loadString(const std::string &text, const std::string &sourceName)
{
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::DeepRecursion &e) {
        const int line = e.mark.is_null() || e.mark.line < 0 ? 0 : e.mark.line + 1;
        throw InputError(sourceName, line, DocumentCheck::nestedTooDeeply());
    } catch (const YAML::ParserException &e) {
        const int line = e.mark.is_null() || e.mark.line < 0 ? 0 : e.mark.line + 1;
        throw InputError(sourceName, line, "malformed YAML: " + e.msg);
    }
    DocumentCheck(sourceName).walk(root, 0);
    return root;
}

YAML::Node loadFile(const std::string &path)
{
    return loadString(readText(path), path);
}

namespace
{

std::string expectedNumber(Sign sign, bool integer)
{
    const char *kind = integer ? "integer" : "number";
    switch (sign) {
    case Sign::Positive:
        return std::string("a positive ") + kind;
    case Sign::NonNegative:
        return std::string("a non-negative ") + kind;
    case Sign::Any:
        break;
    }
    return integer ? "an integer" : "a number";
}

bool signOk(double v, Sign sign)
{
    return sign == Sign::Any || (sign == Sign::Positive ? v > 0 : v >= 0);
}

} // namespace

int64_t toInt(const Where &w, const YAML::Node &value, const std::string &key, Sign sign, int64_t max)
{
    const std::string expected = expectedNumber(sign, true);
    if (!value.IsScalar())
        fail(w, value, "'" + key + "' must be " + expected + ", got " + describe(value));
    int64_t v = 0;
    try {
        v = value.as<int64_t>();
    } catch (const YAML::Exception &) {
        fail(w, value, "'" + key + "' must be " + expected + ", got " + describe(value));
    }
    if (!signOk(static_cast<double>(v), sign))
        fail(w, value, "'" + key + "' must be " + expected + ", got " + describe(value));
    if (v > max)
        fail(w, value, "'" + key + "' must be at most " + std::to_string(max) + ", got " + describe(value));
    return v;
}

double toDouble(const Where &w, const YAML::Node &value, const std::string &key, Sign sign)
{
    const std::string expected = expectedNumber(sign, false);
    if (!value.IsScalar())
        fail(w, value, "'" + key + "' must be " + expected + ", got " + describe(value));
    double v = 0;
    try {
        v = value.as<double>();
    } catch (const YAML::Exception &) {
        fail(w, value, "'" + key + "' must be " + expected + ", got " + describe(value));
    }
    if (!std::isfinite(v) || !signOk(v, sign))
        fail(w, value, "'" + key + "' must be " + expected + ", got " + describe(value));
    return v;
}

int64_t sizeProduct(const Where &w, const YAML::Node &at, const std::string &what, int64_t a, int64_t b,
                    int64_t max)
{
    CheckedSize c(max);
    const int64_t r = c.mul(a, b);
    if (!c.ok())
        fail(w, at,
             what + " is too large (" + std::to_string(a) + " x " + std::to_string(b) + ", over " +
                 std::to_string(max) + ")");
    return r;
}

std::string toString(const Where &w, const YAML::Node &value, const std::string &key)
{
    if (!value.IsScalar() || value.Scalar().empty())
        fail(w, value, "'" + key + "' must be a non-empty string, got " + describe(value));
    return value.Scalar();
}

bool toBool(const Where &w, const YAML::Node &value, const std::string &key)
{
    if (value.IsScalar()) {
        try {
            return value.as<bool>();
        } catch (const YAML::Exception &) {
        }
    }
    fail(w, value, "'" + key + "' must be true or false, got " + describe(value));
}

std::vector<YAML::Node> toList(const Where &w, const YAML::Node &value, const std::string &key)
{
    if (!value.IsSequence())
        fail(w, value, "'" + key + "' must be a list, got " + describe(value));
    std::vector<YAML::Node> items;
    for (const YAML::Node &item : value)
        items.push_back(item);
    return items;
}

void expectMap(const Where &w, const YAML::Node &node, const std::string &what)
{
    if (!node.IsMap())
        fail(w, node, "expected " + what + " (a mapping), got " + describe(node));
}

bool has(const YAML::Node &map, const std::string &key)
{
    if (!map.IsMap())
        return false;
    const YAML::Node v = map[key];
    return v.IsDefined();
}

YAML::Node require(const Where &w, const YAML::Node &map, const std::string &key, const std::string &expected)
{
    if (!has(map, key))
        fail(w, map, "'" + key + "' is missing; expected " + expected);
    return map[key];
}

int64_t requireInt(const Where &w, const YAML::Node &map, const std::string &key, Sign sign, int64_t max)
{
    return toInt(w, require(w, map, key, expectedNumber(sign, true)), key, sign, max);
}

std::optional<int64_t> optionalInt(const Where &w, const YAML::Node &map, const std::string &key, Sign sign,
                                   int64_t max)
{
    if (!has(map, key))
        return std::nullopt;
    return toInt(w, map[key], key, sign, max);
}

double requireDouble(const Where &w, const YAML::Node &map, const std::string &key, Sign sign)
{
    return toDouble(w, require(w, map, key, expectedNumber(sign, false)), key, sign);
}

std::optional<double> optionalDouble(const Where &w, const YAML::Node &map, const std::string &key, Sign sign)
{
    if (!has(map, key))
        return std::nullopt;
    return toDouble(w, map[key], key, sign);
}

std::string requireString(const Where &w, const YAML::Node &map, const std::string &key)
{
    return toString(w, require(w, map, key, "a string"), key);
}

std::optional<std::string> optionalString(const Where &w, const YAML::Node &map, const std::string &key)
{
    if (!has(map, key))
        return std::nullopt;
    return toString(w, map[key], key);
}

std::optional<bool> optionalBool(const Where &w, const YAML::Node &map, const std::string &key)
{
    if (!has(map, key))
        return std::nullopt;
    return toBool(w, map[key], key);
}

void checkKeys(const Where &w, const YAML::Node &map, const std::vector<std::string> &known,
               std::vector<std::string> *warnings)
{
    if (!map.IsMap())
        return;
    for (auto it = map.begin(); it != map.end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : describe(it->first);
        bool ok = false;
        for (const std::string &k : known)
            ok = ok || k == key;
        if (ok)
            continue;
        const std::string what = "unknown key '" + (it->first.IsScalar() ? echo(key) : key) +
                                 "' (expected one of: " + joinWords(known) + ")";
        if (!warnings)
            fail(w, it->first, what);
        warnings->push_back(warningAt(w, it->first, what + "; ignored"));
    }
}

std::string formatDouble(double v)
{
    return v == 0 ? "0" : shortestDouble(v);
}

namespace
{

bool isPlainSafe(const std::string &s)
{
    if (s.empty())
        return false;
    const unsigned char first = static_cast<unsigned char>(s[0]);
    if (!std::isalpha(first) && first != '_')
        return false;
    for (unsigned char c : s)
        if (!std::isalnum(c) && c != '_' && c != '-' && c != '.')
            return false;
    // Words that YAML 1.1 reads as booleans or null.
    static const char *const special[] = {"true", "false", "yes", "no", "on", "off", "y", "n", "null"};
    std::string lower;
    for (unsigned char c : s)
        lower += static_cast<char>(std::tolower(c));
    for (const char *word : special)
        if (lower == word)
            return false;
    return true;
}

} // namespace

std::string scalar(const std::string &s)
{
    if (isPlainSafe(s))
        return s;
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += c;
        }
    }
    return out + "\"";
}

void writeFileAtomically(const std::string &path, const std::string &text)
{
    const std::string tmp = temporaryPathFor(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw InputError(tmp, 0, std::string("cannot write: ") + std::strerror(errno));
        out << text;
        out.flush();
        if (!out) {
            const int err = errno;
            out.close();
            std::remove(tmp.c_str());
            throw InputError(tmp, 0, std::string("cannot write: ") + std::strerror(err));
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        std::remove(tmp.c_str());
        throw InputError(path, 0, std::string("cannot replace: ") + std::strerror(err));
    }
    removeStaleTemporaries(path);
}

std::string indentBlock(const std::string &text)
{
    std::string out;
    std::istringstream is(text);
    for (std::string line; std::getline(is, line);)
        out += "  " + line + "\n";
    return out;
}

} // namespace bitloop::yamlutil
