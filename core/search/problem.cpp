#include "search/problem.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace bitloop::search
{

Variable Variable::integer(std::vector<int> allowed)
{
    Variable v;
    v.isInteger = true;
    v.allowed = std::move(allowed);
    return v;
}

Variable Variable::real(double lo, double hi)
{
    Variable v;
    v.lo = lo;
    v.hi = hi;
    return v;
}

bool Variable::admits(double value) const
{
    if (isInteger)
        return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
    return value >= lo && value <= hi;
}

size_t ProblemSpec::numFreeVariables() const
{
    return size_t(std::count_if(variables.begin(), variables.end(),
                                [](const Variable &v) { return !v.pinned.has_value(); }));
}

void ProblemSpec::validate() const
{
    if (variables.empty())
        throw std::invalid_argument("problem: no variables");
    if (numObjectives < 1)
        throw std::invalid_argument("problem: " + std::to_string(numObjectives) +
                                    " objectives, expected at least 1");
    if (numConstraints < 0)
        throw std::invalid_argument("problem: " + std::to_string(numConstraints) +
                                    " constraints, expected 0 or more");
    for (size_t i = 0; i < variables.size(); ++i) {
        const Variable &v = variables[i];
        const std::string where = "problem: variable " + std::to_string(i) + ": ";
        if (v.isInteger) {
            if (v.allowed.empty())
                throw std::invalid_argument(where + "empty set of allowed values");
            std::vector<int> sorted = v.allowed;
            std::sort(sorted.begin(), sorted.end());
            const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
            if (dup != sorted.end())
                throw std::invalid_argument(where + "allowed value " + std::to_string(*dup) + " given twice");
        } else {
            if (!std::isfinite(v.lo) || !std::isfinite(v.hi))
                throw std::invalid_argument(where + "bounds must be finite");
            if (!(v.lo < v.hi))
                throw std::invalid_argument(where + "lower bound " + formatValue(v.lo) +
                                            " not below upper bound " + formatValue(v.hi));
        }
        if (v.pinned && !v.admits(*v.pinned))
            throw std::invalid_argument(
                where + "pinned value " + formatValue(*v.pinned) +
                (v.isInteger ? " is not one of the allowed values"
                             : " is outside [" + formatValue(v.lo) + ", " + formatValue(v.hi) + "]"));
    }
}

std::string formatValue(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

double totalViolation(const std::vector<double> &constraints)
{
    double sum = 0;
    for (double c : constraints)
        if (c > 0)
            sum += c;
    return sum;
}

} // namespace bitloop::search
