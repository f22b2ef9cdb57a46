// Variation operators of the search. Integer genes (a value from an explicit set): uniform crossover and
// a mutation to a different allowed value. Real genes: simulated binary crossover (SBX, Deb & Agrawal,
// "Simulated binary crossover for continuous search space", Complex Systems 9, 1995) and polynomial
// mutation, both in the bounded form of Deb's NSGA-II reference code, so children never leave [lo, hi].
// Pinned genes are never touched and consume no random numbers.
#pragma once

#include "search/problem.h"
#include "search/random.h"

#include <vector>

namespace bitloop::search
{

struct VariationSettings {
    double crossoverProbability = 0.9; // per pair of parents
    double sbxEta = 15;             // distribution index of SBX: larger keeps children nearer their parents
    double mutationEta = 20;        // distribution index of polynomial mutation
    double mutationProbability = 0; // per gene; 0 means 1 / (number of free variables)
};

// Throws std::invalid_argument for probabilities outside [0, 1] or negative distribution indices.
void validate(const VariationSettings &s);

// A random individual's genes: pinned genes at their value, integer genes uniform over the allowed set,
// real genes uniform in [lo, hi).
std::vector<double> randomGenes(const ProblemSpec &problem, Rng &rng);

// With the crossover probability, recombines a and b in place: each free integer gene is swapped with
// probability 1/2, each free real gene undergoes SBX with probability 1/2.
void crossover(const ProblemSpec &problem, const VariationSettings &s, Rng &rng, std::vector<double> &a,
               std::vector<double> &b);

// Mutates each free gene with the mutation probability: integer genes to a different allowed value chosen
// uniformly, real genes by polynomial mutation.
void mutate(const ProblemSpec &problem, const VariationSettings &s, Rng &rng, std::vector<double> &x);

// The two children of SBX on one real gene (parents y1, y2 in [lo, hi]) for the uniform draw u in [0, 1).
void sbxPair(double y1, double y2, double lo, double hi, double eta, double u, double &c1, double &c2);
// Polynomial mutation of y in [lo, hi] for the uniform draw u in [0, 1).
double polynomialMutation(double y, double lo, double hi, double eta, double u);

} // namespace bitloop::search
