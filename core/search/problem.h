// What a multi-objective search works on: the decision variables (genes), how many objectives (all
// minimized) and constraints there are, and the individuals that carry genes and their evaluation.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bitloop::search
{

// One decision variable: an integer gene that takes one of an explicit set of values (a bit-width from
// {2, 4, 8}), or a real gene in [lo, hi]. A pinned variable holds one value for the whole run: the
// initial population gets it, crossover and mutation never change it.
struct Variable {
    bool isInteger = false;
    std::vector<int> allowed; // integer genes: the values, distinct, in the order given
    double lo = 0, hi = 1;    // real genes: lo < hi
    std::optional<double> pinned;

    static Variable integer(std::vector<int> allowed);
    static Variable real(double lo, double hi);
    Variable &pin(double value)
    {
        pinned = value;
        return *this;
    }

    bool admits(double value) const; // one of the allowed values, or within [lo, hi]
};

struct ProblemSpec {
    std::vector<Variable> variables;
    int numObjectives = 2;
    int numConstraints = 0; // a constraint value <= 0 is satisfied

    size_t numVariables() const { return variables.size(); }
    size_t numFreeVariables() const; // those not pinned
    // Throws std::invalid_argument naming the variable and what is wrong: no variables, fewer than one
    // objective, a negative constraint count, an empty or repeated allowed set, lo >= hi or a non-finite
    // bound, a pinned value outside the allowed set or bounds.
    void validate() const;
};

// An individual: genes and, once evaluated, objectives and constraint values. Integer genes hold one of
// their allowed values exactly (every int is exact in a double).
struct Individual {
    std::vector<double> x;
    std::vector<double> objectives;  // filled by the evaluator; all minimized
    std::vector<double> constraints; // filled by the evaluator; <= 0 is satisfied
    double violation = 0;            // sum of the positive constraint values, set by the engine
    int rank = -1;                   // non-domination rank, 0 = first front
    double crowding = 0;             // crowding distance within its front

    int integer(size_t i) const { return static_cast<int>(x[i]); }
    bool feasible() const { return violation == 0; }
};

// A gene or bound as error messages print it (%g: "4", "0.25").
std::string formatValue(double v);

// Deb's total constraint violation: the sum of the positive parts.
double totalViolation(const std::vector<double> &constraints);

} // namespace bitloop::search
