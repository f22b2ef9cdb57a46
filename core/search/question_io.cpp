#include "search/question_io.h"

#include "mapper/cache.h"
#include "model/evaluation.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace bitloop::search
{

namespace
{

std::string hex(double v)
{
    char b[64];
    std::snprintf(b, sizeof b, "%a", v);
    return b;
}

// One whitespace-separated token as a double (hexadecimal or decimal) or an integer; false when malformed.
bool readDouble(std::istream &in, double &out)
{
    std::string t;
    if (!(in >> t))
        return false;
    char *end = nullptr;
    out = std::strtod(t.c_str(), &end);
    return *end == '\0' && std::isfinite(out);
}

bool readInt(std::istream &in, long long &out)
{
    std::string t;
    if (!(in >> t))
        return false;
    char *end = nullptr;
    out = std::strtoll(t.c_str(), &end, 10);
    return !t.empty() && *end == '\0';
}

// "8/8 4/5 ..." (formatBitConfig's form); false when malformed or a width lies outside 1..32.
bool parseWidths(const std::string &text, BitConfig &out)
{
    std::istringstream in(text);
    for (std::string t; in >> t;) {
        const size_t slash = t.find('/');
        if (slash == std::string::npos)
            return false;
        std::istringstream w(t.substr(0, slash)), a(t.substr(slash + 1));
        long long wb = 0, ab = 0;
        if (!readInt(w, wb) || !readInt(a, ab) || wb < 1 || wb > 32 || ab < 1 || ab > 32)
            return false;
        out.push_back({static_cast<int>(wb), static_cast<int>(ab)});
    }
    return true;
}

[[noreturn]] void malformed(const std::string &what)
{
    throw std::invalid_argument("a malformed " + what);
}

} // namespace

std::string encodeQuestion(const Question &q)
{
    std::ostringstream os;
    if (q.accuracy) {
        os << "A " << formatBitConfig(q.bits);
        return os.str();
    }
    os << "M " << q.layer;
    for (int b : q.widths.bits)
        os << ' ' << b;
    for (const Mapping &h : q.hints)
        os << '\n' << encodeMapping(h);
    return os.str();
}

Question decodeQuestion(const std::string &text, const CodesignSpec &spec)
{
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    Question q;
    const int layers = static_cast<int>(spec.network.layers.size());
    if (line.rfind("A ", 0) == 0) {
        q.accuracy = true;
        if (!parseWidths(line.substr(2), q.bits))
            malformed("accuracy question");
        if (static_cast<int>(q.bits.size()) != layers)
            throw std::invalid_argument("an accuracy question of " + std::to_string(q.bits.size()) +
                                        " layers for " + spec.network.name + " with " +
                                        std::to_string(layers));
        return q;
    }
    if (line.rfind("M ", 0) != 0)
        malformed("question");
    std::istringstream head(line.substr(2));
    long long layer = 0;
    if (!readInt(head, layer))
        malformed("mapping question");
    for (int &b : q.widths.bits) {
        long long v = 0;
        if (!readInt(head, v) || v < 1 || v > 32)
            malformed("mapping question (widths)");
        b = static_cast<int>(v);
    }
    if (layer < 0 || layer >= layers)
        throw std::invalid_argument("a mapping question for layer " + std::to_string(layer + 1) + " of " +
                                    spec.network.name + " with " + std::to_string(layers) + " layers");
    q.layer = static_cast<int>(layer);
    while (std::getline(in, line)) {
        Mapping m;
        if (!decodeMapping(line, spec.arch.numLevels(), m))
            malformed("hint mapping");
        q.hints.push_back(std::move(m));
    }
    return q;
}

std::string encodeAnswer(const Question &q, const Answer &a)
{
    std::ostringstream os;
    if (q.accuracy) {
        const AccuracyResult &r = a.accuracy;
        os << "A " << hex(r.accuracy) << ' ' << r.images << ' ' << hex(r.seconds);
        return os.str();
    }
    const MapperResult &r = a.mapping;
    os << "M " << (r.found ? 1 : 0) << ' ' << hex(r.found ? r.evaluation.energy : 0.0) << ' '
       << (r.found ? r.evaluation.cycles : 0) << ' ' << r.validMappings << ' ' << r.visited << ' ' << r.pruned
       << ' ' << hex(r.seconds) << ' ' << (r.optimal ? 1 : 0) << ' ' << strategyName(r.strategy) << ' '
       << hex(r.spaceSize) << '\n'
       << (r.found ? encodeMapping(r.mapping) : std::string()) << '\n'
       << r.note;
    return os.str();
}

Answer decodeAnswer(const std::string &text, const Question &q, const CodesignSpec &spec)
{
    std::istringstream in(text);
    std::string line;
    std::getline(in, line);
    std::istringstream head(line.size() >= 2 ? line.substr(2) : std::string());
    Answer a;
    if (q.accuracy) {
        AccuracyResult &r = a.accuracy;
        long long images = 0;
        if (line.rfind("A ", 0) != 0 || !readDouble(head, r.accuracy) || !readInt(head, images) ||
            !readDouble(head, r.seconds) || r.accuracy < 0 || r.accuracy > 1 || images < 0 || r.seconds < 0)
            malformed("accuracy answer");
        r.images = images;
        return a;
    }
    MapperResult &r = a.mapping;
    long long found = 0, cycles = 0, valid = 0, visited = 0, pruned = 0, optimal = 0;
    double energy = 0;
    std::string strategy;
    if (line.rfind("M ", 0) != 0 || !readInt(head, found) || !readDouble(head, energy) ||
        !readInt(head, cycles) || !readInt(head, valid) || !readInt(head, visited) ||
        !readInt(head, pruned) || !readDouble(head, r.seconds) || !readInt(head, optimal) ||
        !(head >> strategy) || !strategyFromName(strategy, r.strategy) || !readDouble(head, r.spaceSize) ||
        found < 0 || found > 1)
        malformed("mapping answer");
    r.found = found == 1;
    r.validMappings = valid;
    r.visited = visited;
    r.pruned = pruned;
    r.optimal = optimal == 1;
    std::string code;
    std::getline(in, code);
    std::getline(in, r.note, '\0');
    if (!r.found)
        return a;
    if (!decodeMapping(code, spec.arch.numLevels(), r.mapping))
        malformed("mapping answer (its mapping)");
    const ProblemShape &shape = spec.network.layers[static_cast<size_t>(q.layer)].shape;
    r.evaluation = evaluate(shape, spec.arch, r.mapping, q.widths, spec.mapper.model);
    if (!r.evaluation.valid || r.evaluation.energy != energy || r.evaluation.cycles != cycles)
        throw std::invalid_argument("the mapping of layer " + std::to_string(q.layer + 1) +
                                    " does not evaluate here to the energy and cycles its sender computed "
                                    "(do all ranks read the same architecture?)");
    return a;
}

} // namespace bitloop::search
