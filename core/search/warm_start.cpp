#include "search/warm_start.h"

#include "search/sorting.h"
#include "util/error.h"

#include <algorithm>
#include <set>

namespace bitloop::search
{

namespace
{

// The first offending width of `bits` that this search does not allow (pinned layers excepted), if any.
std::string misfit(const CodesignSpec &spec, const BitConfig &bits)
{
    const std::set<int> weights(spec.weightBits().begin(), spec.weightBits().end()),
        activations(spec.activationBits().begin(), spec.activationBits().end());
    for (size_t l = 0; l < bits.size(); ++l) {
        if (spec.pinnedBits.count(static_cast<int>(l)))
            continue;
        if (!weights.count(bits[l].weights))
            return "layer " + std::to_string(l + 1) + " at " + std::to_string(bits[l].weights) +
                   " weight bits";
        if (!activations.count(bits[l].activations))
            return "layer " + std::to_string(l + 1) + " at " + std::to_string(bits[l].activations) +
                   " activation bits";
    }
    return {};
}

} // namespace

std::vector<std::vector<double>> warmStartSeeds(const CodesignProblem &problem,
                                                const std::vector<EvaluatedIndividual> &earlier, size_t count,
                                                const std::vector<std::vector<double>> &exclude,
                                                const std::string &source)
{
    const CodesignSpec &spec = problem.spec();
    const size_t layers = spec.network.layers.size();
    std::set<std::vector<double>> seen(exclude.begin(), exclude.end());
    std::vector<Individual> pool;
    std::string firstMisfit;
    for (const EvaluatedIndividual &e : earlier) {
        if (e.bits.size() != layers)
            throw InputError(source, 0,
                             "holds a search of a network with " + std::to_string(e.bits.size()) +
                                 " layers; " + spec.network.name + " has " + std::to_string(layers));
        BitConfig bits = e.bits;
        for (const auto &[layer, pinned] : spec.pinnedBits)
            bits[static_cast<size_t>(layer)] = pinned;
        if (std::string why = misfit(spec, bits); !why.empty()) {
            if (firstMisfit.empty())
                firstMisfit = why;
            continue;
        }
        Individual ind;
        ind.x = encode(bits);
        if (!seen.insert(ind.x).second)
            continue;
        problem.fill(ind, e.cost);
        ind.violation = totalViolation(ind.constraints);
        pool.push_back(std::move(ind));
    }
    if (pool.empty() && !firstMisfit.empty())
        throw InputError(source, 0,
                         "none of its configurations fits this search's allowed bit-widths (the first has " +
                             firstMisfit + ")");
    if (earlier.empty())
        throw InputError(source, 0, "holds no evaluated configuration to start from");

    // NSGA-II's own survival: whole fronts while they fit, the last one by crowding distance.
    std::vector<std::vector<double>> seeds;
    for (const std::vector<size_t> &front : nonDominatedSort(pool)) {
        if (seeds.size() >= count)
            break;
        std::vector<size_t> order = front;
        if (seeds.size() + front.size() > count) {
            assignCrowdingDistance(pool, front);
            std::stable_sort(order.begin(), order.end(),
                             [&](size_t a, size_t b) { return pool[a].crowding > pool[b].crowding; });
        }
        for (size_t k : order) {
            if (seeds.size() >= count)
                break;
            seeds.push_back(pool[k].x);
        }
    }
    return seeds;
}

} // namespace bitloop::search
