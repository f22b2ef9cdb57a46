#include "args.h"

#include "io/yaml_util.h"
#include "util/error.h"

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
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string &a = argv[i];
        if (a.rfind("--", 0) != 0)
            throw UsageError("unexpected argument '" + a + "'");
        std::string key = a.substr(2), value;
        bool inlineValue = false;
        if (auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
            inlineValue = true;
        }
        if (flags.count(key)) {
            if (inlineValue)
                throw UsageError("--" + key + " takes no value");
            flags_.insert(key);
        } else if (valued.count(key)) {
            if (!inlineValue) {
                if (i + 1 >= argv.size())
                    throw UsageError("--" + key + " needs a value");
                value = argv[++i];
            }
            values_[key].push_back(value);
        } else {
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
    }
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
