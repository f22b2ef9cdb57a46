// The text form of an NSGA-II state, for checkpoints:
//   bitloop-nsga2-state 1
//   problem <variables> <objectives> <constraints>
//   generation <g>
//   evaluations <e>
//   elapsed <seconds>
//   rng <std::mt19937_64 as written by operator<<>
//   hypervolumes <count> <hv_0> ... <hv_g>
//   population <count>
//   <x_1 .. x_n> <f_1 .. f_m> <c_1 .. c_k> <violation> <rank> <crowding>     (one line per member)
// Doubles carry 17 significant digits, which strtod reads back to the same bits; inf and nan as such.
#include "search/nsga2.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace bitloop::search
{

namespace
{

void putDouble(std::string &out, double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, " %.17g", v);
    out += buf;
}

class Reader
{
public:
    explicit Reader(const std::string &text) : in_(text) {}

    // The next line, which must start with the keyword; the rest of it is left in line_.
    void expect(const std::string &keyword)
    {
        if (!std::getline(in_, text_))
            fail("ends early, expected \"" + keyword + "\"");
        ++lineNo_;
        line_.clear();
        line_.str(text_);
        std::string word;
        if (!(line_ >> word) || word != keyword)
            fail("expected \"" + keyword + "\"");
    }
    void nextLine()
    {
        if (!std::getline(in_, text_))
            fail("ends early, expected a population member");
        ++lineNo_;
        line_.clear();
        line_.str(text_);
    }
    long long integer()
    {
        std::string w = word();
        char *end = nullptr;
        errno = 0;
        const long long v = std::strtoll(w.c_str(), &end, 10);
        if (errno || *end)
            fail("expected an integer, found \"" + w + "\"");
        return v;
    }
    double real()
    {
        std::string w = word();
        char *end = nullptr;
        const double v = std::strtod(w.c_str(), &end);
        if (end == w.c_str() || *end)
            fail("expected a number, found \"" + w + "\"");
        return v;
    }
    std::string rest()
    {
        std::string r;
        std::getline(line_, r);
        return r;
    }
    void endOfLine()
    {
        std::string extra;
        if (line_ >> extra)
            fail("unexpected \"" + extra + "\" at the end of the line");
    }
    [[noreturn]] void fail(const std::string &what) const
    {
        throw std::invalid_argument("NSGA-II state, line " + std::to_string(lineNo_) + ": " + what);
    }

private:
    std::string word()
    {
        std::string w;
        if (!(line_ >> w))
            fail("line ends early");
        return w;
    }
    std::istringstream in_;
    std::istringstream line_;
    std::string text_;
    int lineNo_ = 0;
};

} // namespace

std::string Nsga2::saveState() const
{
    const State s = state();
    std::string out = "bitloop-nsga2-state 1\n";
    out += "problem " + std::to_string(problem_.numVariables()) + " " +
           std::to_string(problem_.numObjectives) + " " + std::to_string(problem_.numConstraints) + "\n";
    out += "generation " + std::to_string(s.generation) + "\n";
    out += "evaluations " + std::to_string(s.evaluations) + "\n";
    out += "elapsed";
    putDouble(out, s.elapsedSeconds);
    out += "\nrng " + s.rng + "\n";
    out += "hypervolumes " + std::to_string(s.hypervolumes.size());
    for (double hv : s.hypervolumes)
        putDouble(out, hv);
    out += "\npopulation " + std::to_string(s.population.size()) + "\n";
    for (const Individual &ind : s.population) {
        std::string line;
        for (double v : ind.x)
            putDouble(line, v);
        for (double v : ind.objectives)
            putDouble(line, v);
        for (double v : ind.constraints)
            putDouble(line, v);
        putDouble(line, ind.violation);
        line += " " + std::to_string(ind.rank);
        putDouble(line, ind.crowding);
        out += line.substr(1) + "\n";
    }
    return out;
}

Nsga2 Nsga2::restore(ProblemSpec problem, Settings settings, const std::string &text)
{
    Reader r(text);
    r.expect("bitloop-nsga2-state");
    if (r.integer() != 1)
        r.fail("unknown format version");
    r.endOfLine();
    r.expect("problem");
    const long long nv = r.integer(), nf = r.integer(), nc = r.integer();
    r.endOfLine();
    if (nv != (long long)problem.numVariables() || nf != problem.numObjectives ||
        nc != problem.numConstraints)
        r.fail("saved for " + std::to_string(nv) + " variables, " + std::to_string(nf) + " objectives and " +
               std::to_string(nc) + " constraints, not for this problem");
    State s;
    r.expect("generation");
    const long long generation = r.integer();
    if (generation < 0 || generation > std::numeric_limits<int>::max())
        r.fail("generation " + std::to_string(generation) + " is out of range");
    s.generation = int(generation);
    r.endOfLine();
    r.expect("evaluations");
    s.evaluations = r.integer();
    r.endOfLine();
    r.expect("elapsed");
    s.elapsedSeconds = r.real();
    r.endOfLine();
    r.expect("rng");
    s.rng = r.rest();
    // Counts are checked before anything is allocated for them: a damaged count must be refused, not
    // attempted (restore(State) below checks the same against the settings).
    r.expect("hypervolumes");
    const long long hypervolumes = r.integer();
    if (hypervolumes != static_cast<long long>(s.generation) + 1)
        r.fail(std::to_string(hypervolumes) + " hypervolumes for generations 0.." +
               std::to_string(s.generation));
    s.hypervolumes.resize(size_t(hypervolumes));
    for (double &hv : s.hypervolumes)
        hv = r.real();
    r.endOfLine();
    r.expect("population");
    const long long members = r.integer();
    if (members != settings.populationSize)
        r.fail("a population of " + std::to_string(members) + ", the settings ask for " +
               std::to_string(settings.populationSize));
    s.population.resize(size_t(members));
    r.endOfLine();
    for (Individual &ind : s.population) {
        r.nextLine();
        ind.x.resize(size_t(nv));
        ind.objectives.resize(size_t(nf));
        ind.constraints.resize(size_t(nc));
        for (double &v : ind.x)
            v = r.real();
        for (double &v : ind.objectives)
            v = r.real();
        for (double &v : ind.constraints)
            v = r.real();
        ind.violation = r.real();
        ind.rank = int(r.integer());
        ind.crowding = r.real();
        r.endOfLine();
    }
    return restore(std::move(problem), std::move(settings), std::move(s));
}

Nsga2 Nsga2::restore(ProblemSpec problem, Settings settings, State state)
{
    settings.validate(problem);
    const std::string where = "NSGA-II state: ";
    if (state.generation < 0)
        throw std::invalid_argument(where + "no generation told yet: start a new run instead");
    if (state.population.size() != size_t(settings.populationSize))
        throw std::invalid_argument(where + "population of " + std::to_string(state.population.size()) +
                                    ", the settings ask for " + std::to_string(settings.populationSize));
    if (state.hypervolumes.size() != size_t(state.generation) + 1)
        throw std::invalid_argument(where + std::to_string(state.hypervolumes.size()) +
                                    " hypervolumes for generations 0.." + std::to_string(state.generation));
    for (size_t k = 0; k < state.population.size(); ++k) {
        const Individual &ind = state.population[k];
        const std::string who = where + "member " + std::to_string(k) + ": ";
        if (ind.x.size() != problem.numVariables() ||
            ind.objectives.size() != size_t(problem.numObjectives) ||
            ind.constraints.size() != size_t(problem.numConstraints))
            throw std::invalid_argument(who + "sizes do not fit the problem");
        for (size_t i = 0; i < ind.x.size(); ++i) {
            const Variable &v = problem.variables[i];
            if (!v.admits(ind.x[i]) || (v.pinned && ind.x[i] != *v.pinned))
                throw std::invalid_argument(
                    who + "gene " + std::to_string(i) + " = " + formatValue(ind.x[i]) +
                    " does not fit the problem's variable (changed allowed values, bounds "
                    "or pins?)");
        }
        if (ind.rank < 0)
            throw std::invalid_argument(who + "no rank");
    }
    Nsga2 engine(std::move(problem), std::move(settings), std::move(state));
    return engine;
}

} // namespace bitloop::search
