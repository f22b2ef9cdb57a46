// Small helpers shared by the YAML readers and writers: loading with the parser's line on errors, typed
// scalar lookups that name the file, line, key and what was expected, unknown-key checks, and the
// formatting that keeps written files exact and readable. Every error is one line, for example
//   arch.yaml:12: level 'psum_spad': 'depth' must be a positive integer, got -4
#pragma once

#include "util/error.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitloop::yamlutil
{

// Where the values being read come from: the file, and the object they describe ("level 'psum_spad'").
struct Where {
    std::string file;
    std::string context; // prefix of every message; may be empty

    Where in(const std::string &object) const { return Where{file, object}; }
    std::string message(const std::string &what) const
    {
        return context.empty() ? what : context + ": " + what;
    }
};

// 1-based line of a node; 0 when the node has no position (built in memory, or missing).
int lineOf(const YAML::Node &n);
// How a value reads in a message: the scalar (through echo(): quoted and cut where it is not a short plain
// word), or "a list", "a mapping", "nothing".
std::string describe(const YAML::Node &n);
std::string joinWords(const std::vector<std::string> &words, const std::string &sep = ", ");

[[noreturn]] void fail(const Where &w, const YAML::Node &at, const std::string &what);
std::string warningAt(const Where &w, const YAML::Node &at, const std::string &what);

// Limits on every document read, checked by loadString / loadFile.
constexpr int kMaxNesting = 200; // lists and mappings inside each other
// Nodes, counted as the readers see them: an alias counts as a copy of what it names, so that a document
// of nested aliases ("billion laughs") cannot make a reader walk billions of nodes.
constexpr int64_t kMaxExpandedNodes = 2'000'000;

// The first document of a file. Missing files, unreadable files and malformed YAML throw InputError with
// the parser's line; an empty file gives a null node. So do a key given twice in one mapping (at the
// second), nesting deeper than kMaxNesting and aliases that expand past kMaxExpandedNodes.
YAML::Node loadFile(const std::string &path);
YAML::Node loadString(const std::string &text, const std::string &sourceName);
// Raw text of a file, or InputError.
std::string readText(const std::string &path);

enum class Sign { Any, NonNegative, Positive };

// The largest integer a file may give where no tighter bound applies (sizes, depths, factors, counts):
// 2^48, so that products of a few of them are checked rather than trusted. Sizes whose products matter
// are checked further with the overflow-checked helpers of util/checked.h.
constexpr int64_t kMaxInt = int64_t(1) << 48;
// The bound of values stored as int (strides, dilations, widths in bits, splits).
constexpr int64_t kMaxInt32 = 2147483647;

// Conversions of one value; `key` names it in the message. Integers above `max` are errors.
int64_t toInt(const Where &w, const YAML::Node &value, const std::string &key, Sign sign,
              int64_t max = kMaxInt);
double toDouble(const Where &w, const YAML::Node &value, const std::string &key, Sign sign);
std::string toString(const Where &w, const YAML::Node &value, const std::string &key);
bool toBool(const Where &w, const YAML::Node &value, const std::string &key);
// The items of a list (a single scalar is not a list).
std::vector<YAML::Node> toList(const Where &w, const YAML::Node &value, const std::string &key);

// a * b for sizes read from a file (instances of nested ranges, entries times block size, ...), or an
// InputError at `at` saying that `what` is too large when the product overflows or passes `max`.
int64_t sizeProduct(const Where &w, const YAML::Node &at, const std::string &what, int64_t a, int64_t b,
                    int64_t max = kMaxInt);

// Lookups in a mapping. `map` must be a mapping (checked by expectMap).
void expectMap(const Where &w, const YAML::Node &node, const std::string &what);
bool has(const YAML::Node &map, const std::string &key);
YAML::Node require(const Where &w, const YAML::Node &map, const std::string &key,
                   const std::string &expected);
int64_t requireInt(const Where &w, const YAML::Node &map, const std::string &key, Sign sign,
                   int64_t max = kMaxInt);
std::optional<int64_t> optionalInt(const Where &w, const YAML::Node &map, const std::string &key, Sign sign,
                                   int64_t max = kMaxInt);
double requireDouble(const Where &w, const YAML::Node &map, const std::string &key, Sign sign);
std::optional<double> optionalDouble(const Where &w, const YAML::Node &map, const std::string &key,
                                     Sign sign);
std::string requireString(const Where &w, const YAML::Node &map, const std::string &key);
std::optional<std::string> optionalString(const Where &w, const YAML::Node &map, const std::string &key);
std::optional<bool> optionalBool(const Where &w, const YAML::Node &map, const std::string &key);

// Keys of `map` outside `known`: InputError at the first one when warnings is null, else one warning
// line per key appended to *warnings.
void checkKeys(const Where &w, const YAML::Node &map, const std::vector<std::string> &known,
               std::vector<std::string> *warnings = nullptr);

// Writing. The shortest decimal text that reads back as exactly v ("0.2", "512", "1e-05").
std::string formatDouble(double v);
// A scalar as YAML text: plain where that reads back as the same string, double-quoted otherwise.
std::string scalar(const std::string &s);
// Every line of `text` indented by two spaces: a document nested under a key as a literal block (`key: |`).
std::string indentBlock(const std::string &text);
// Writes temporaryPathFor(path) and renames it over path, so a crash never leaves a half-written file.
void writeFileAtomically(const std::string &path, const std::string &text);

} // namespace bitloop::yamlutil
