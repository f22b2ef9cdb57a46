// Command-line arguments: `--key value`, `--flag`, repeated keys, and a clear error for anything unknown.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace bitloop::cli
{

// Levenshtein distance: unknown commands and options are answered with the nearest known one.
size_t editDistance(const std::string &a, const std::string &b);

// Bad command-line usage: the CLI prints the message and exits with status 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args
{
public:
    // `valued` are options that take a value, `flags` are switches; anything else is a usage error.
    // With the environment variable BITLOOP_CLI_LIST_OPTIONS set, prints both lists ("valued: ..." and
    // "flags: ..." lines) and exits 0 instead: how the tests hold the usage text and the README's commands
    // to what each command's parser accepts.
    Args(const std::vector<std::string> &argv, const std::set<std::string> &valued,
         const std::set<std::string> &flags);
    bool has(const std::string &key) const { return values_.count(key) > 0; }
    bool flag(const std::string &key) const { return flags_.count(key) > 0; }
    std::optional<std::string> get(const std::string &key) const;
    std::vector<std::string> all(const std::string &key) const;
    std::string require(const std::string &key) const;
    // An integer option within [lo, hi], or the fallback when absent.
    std::optional<int64_t> integer(const std::string &key, int64_t lo, int64_t hi) const;
    // A decimal number option within [lo, hi] (finite; the whole value must be the number: "0.5x", "inf",
    // "nan" and hexadecimal are usage errors), or nullopt when absent.
    std::optional<double> number(const std::string &key, double lo, double hi) const;

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::set<std::string> flags_;
};

} // namespace bitloop::cli
