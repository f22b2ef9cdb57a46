#include "args.h"

#include "io/yaml_util.h"

#include "util/error.h"
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace bitloop::cli
{

size_t editDistance(const std::string &a, const std::string &b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

Args::Args(const std::vector<std::string> &argv, const std::set<std::string> &valued,
           const std::set<std::string> &flags)
{
    // The tests' view of the parser (see args.h): the options this command accepts, then exit.
    if (const char *list = std::getenv("BITLOOP_CLI_LIST_OPTIONS"); list && *list) {
        std::string out = "valued:";
        for (const std::string &k : valued)
            out += " " + k;
        out += "\nflags:";
        for (const std::string &k : flags)
            out += " " + k;
        std::fputs((out + "\n").c_str(), stdout);
        std::fflush(stdout);
        std::_Exit(0);
    }
    // Tokens CLI11 would read differently from the rules users have been given: a flag with an inline
    // value (CLI11 takes --json=true), and a bare "--" (CLI11's end of options).
    for (const std::string &a : argv) {
        if (a == "--")
            throw UsageError("unexpected argument '--'");
        if (a.rfind("--", 0) == 0)
            if (auto eq = a.find('='); eq != std::string::npos && flags.count(a.substr(2, eq - 2)))
                throw UsageError(a.substr(0, eq) + " takes no value");
    }
    // CLI11 tokenizes: --key value, --key=value, repeated keys (each with exactly one value), switches.
    CLI::App app;
    app.set_help_flag(); // --help is answered before a command's arguments are parsed
    app.allow_extras();  // unknown options and stray words are reported below, with a suggestion
    std::map<std::string, CLI::Option *> options;
    for (const std::string &k : valued)
        options[k] = app.add_option("--" + k)
                         ->expected(1)
                         ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                         ->allow_extra_args(false);
    for (const std::string &k : flags)
        options[k] = app.add_flag("--" + k);
    std::vector<std::string> reversed(argv.rbegin(), argv.rend()); // CLI11 reads a vector from its back
    try {
        app.parse(reversed);
    } catch (const CLI::ArgumentMismatch &e) { // "--key: 1 required ... missing"
        const std::string what = e.what();
        throw UsageError(what.substr(0, what.find(':')) + " needs a value");
    } catch (const CLI::ParseError &e) {
        throw UsageError(e.what());
    }
    const std::vector<std::string> rest = app.remaining();
    if (!rest.empty()) {
        const std::string &a = rest.front();
        if (a.rfind("--", 0) != 0)
            throw UsageError("unexpected argument '" + a + "'");
        const std::string key =
            a.substr(2, a.find('=') == std::string::npos ? std::string::npos : a.find('=') - 2);
        std::string nearest;
        size_t best = 3; // farther than two edits is no suggestion
        for (const std::set<std::string> *known : {&valued, &flags})
            for (const std::string &k : *known)
                if (const size_t d = editDistance(key, k); d < best) {
                    best = d;
                    nearest = k;
                }
        throw UsageError("unknown option --" + key +
                         (nearest.empty() ? std::string() : "; did you mean --" + nearest + "?"));
    }
    for (const std::string &k : valued)
        for (const std::string &v : options[k]->results())
            values_[k].push_back(v);
    for (const std::string &k : flags)
        if (options[k]->count() > 0)
            flags_.insert(k);
}

std::optional<std::string> Args::get(const std::string &key) const
{
    auto it = values_.find(key);
    if (it == values_.end())
        return std::nullopt;
    if (it->second.size() > 1)
        throw UsageError("--" + key + " given more than once");
    return it->second.front();
}

std::vector<std::string> Args::all(const std::string &key) const
{
    auto it = values_.find(key);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::require(const std::string &key) const
{
    auto v = get(key);
    if (!v)
        throw UsageError("--" + key + " is required");
    return *v;
}

std::optional<int64_t> Args::integer(const std::string &key, int64_t lo, int64_t hi) const
{
    auto v = get(key);
    if (!v)
        return std::nullopt;
    char *end = nullptr;
    errno = 0;
    long long n = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno != 0)
        throw UsageError("--" + key + " must be an integer, got " + echo(*v));
    if (n < lo || n > hi)
        throw UsageError("--" + key + " must be between " + std::to_string(lo) + " and " +
                         std::to_string(hi) + ", got " + std::to_string(n));
    return n;
}

std::optional<double> Args::number(const std::string &key, double lo, double hi) const
{
    auto v = get(key);
    if (!v)
        return std::nullopt;
    // Plain decimal notation only: strtod alone would also take "inf", "nan", "0x1p3" and a prefix of "0.5x".
    bool plain = !v->empty();
    for (char c : *v)
        plain = plain && (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' ||
                          c == 'e' || c == 'E');
    char *end = nullptr;
    errno = 0;
    const double x = plain ? std::strtod(v->c_str(), &end) : 0;
    if (!plain || *end != '\0' || errno == ERANGE || !std::isfinite(x))
        throw UsageError("--" + key + " must be a number, got " + echo(*v));
    if (x < lo || x > hi)
        throw UsageError("--" + key + " must be between " + yamlutil::formatDouble(lo) + " and " +
                         yamlutil::formatDouble(hi) + ", got " + echo(*v));
    return x;
}

} // namespace bitloop::cli
