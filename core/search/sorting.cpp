#include "search/sorting.h"

#include <algorithm>
#include <cstddef>
#include <limits>

namespace bitloop::search
{

bool dominates(const std::vector<double> &a, const std::vector<double> &b)
{
    bool better = false;
    for (size_t m = 0; m < a.size(); ++m) {
        if (a[m] > b[m])
            return false;
        if (a[m] < b[m])
            better = true;
    }
    return better;
}

bool constrainedDominates(const Individual &a, const Individual &b)
{
    const bool fa = a.feasible(), fb = b.feasible();
    if (fa != fb)
        return fa;
    if (!fa)
        return a.violation < b.violation;
    return dominates(a.objectives, b.objectives);
}

std::vector<std::vector<size_t>> nonDominatedSort(std::vector<Individual> &pop)
{
    const size_t n = pop.size();
    const size_t m = n ? pop[0].objectives.size() : 0;
    // Objectives copied side by side, so the O(M N^2) comparisons run over one contiguous array.
    std::vector<double> f(n * m);
    for (size_t p = 0; p < n; ++p)
        std::copy(pop[p].objectives.begin(), pop[p].objectives.end(), f.begin() + std::ptrdiff_t(p * m));
    // dominates[p * n + q]: p constraint-dominates q (S_p of the paper as a row); dominatedBy[q] = n_q.
    std::vector<unsigned char> dom(n * n, 0);
    std::vector<size_t> dominatedBy(n, 0);
    // Branch-free comparisons: which way a pair goes is unpredictable, and mispredicted branches would cost
    // more than the comparisons themselves.
    for (size_t p = 0; p < n; ++p) {
        const double *a = &f[p * m];
        const double vp = pop[p].violation;
        for (size_t q = p + 1; q < n; ++q) {
            const double *b = &f[q * m];
            const double vq = pop[q].violation;
            unsigned pBetter, qBetter;
            if (vp > 0 || vq > 0) {
                pBetter = vp < vq;
                qBetter = vq < vp;
            } else {
                pBetter = qBetter = 0;
                for (size_t k = 0; k < m; ++k) {
                    pBetter |= unsigned(a[k] < b[k]);
                    qBetter |= unsigned(b[k] < a[k]);
                }
            }
            const unsigned pq = pBetter & ~qBetter & 1u, qp = qBetter & ~pBetter & 1u;
            dom[p * n + q] = static_cast<unsigned char>(pq);
            dom[q * n + p] = static_cast<unsigned char>(qp);
            dominatedBy[q] += pq;
            dominatedBy[p] += qp;
        }
    }
    std::vector<std::vector<size_t>> fronts;
    std::vector<size_t> current;
    for (size_t p = 0; p < n; ++p)
        if (dominatedBy[p] == 0)
            current.push_back(p);
    while (!current.empty()) {
        const int rank = int(fronts.size());
        std::vector<size_t> next;
        for (size_t p : current) {
            pop[p].rank = rank;
            const unsigned char *row = &dom[p * n];
            for (size_t q = 0; q < n; ++q)
                if (row[q] && --dominatedBy[q] == 0)
                    next.push_back(q);
        }
        std::sort(next.begin(), next.end());
        fronts.push_back(std::move(current));
        current = std::move(next);
    }
    return fronts;
}

void assignCrowdingDistance(std::vector<Individual> &pop, const std::vector<size_t> &front)
{
    const double inf = std::numeric_limits<double>::infinity();
    for (size_t i : front)
        pop[i].crowding = 0;
    if (front.size() <= 2) {
        for (size_t i : front)
            pop[i].crowding = inf;
        return;
    }
    std::vector<size_t> order(front);
    const size_t numObjectives = pop[front[0]].objectives.size();
    for (size_t m = 0; m < numObjectives; ++m) {
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            const double fa = pop[a].objectives[m], fb = pop[b].objectives[m];
            return fa < fb || (fa == fb && a < b);
        });
        const double lo = pop[order.front()].objectives[m], hi = pop[order.back()].objectives[m];
        pop[order.front()].crowding = inf;
        pop[order.back()].crowding = inf;
        if (!(hi > lo))
            continue;
        for (size_t k = 1; k + 1 < order.size(); ++k)
            pop[order[k]].crowding +=
                (pop[order[k + 1]].objectives[m] - pop[order[k - 1]].objectives[m]) / (hi - lo);
    }
}

} // namespace bitloop::search
