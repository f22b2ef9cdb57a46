#include "mapper/walker.h"

#include "model/nest.h"

#include <algorithm>

namespace bitloop
{

bool better(const Candidate &a, const Candidate &b)
{
    if (!b.found)
        return a.found;
    if (!a.found)
        return false;
    if (a.key != b.key)
        return a.key < b.key;
    if (a.energy != b.energy)
        return a.energy < b.energy;
    if (a.cycles != b.cycles)
        return a.cycles < b.cycles;
    return a.code < b.code;
}

Walker::Walker(const Mapspace &space, const BitWidths &bits, const MapperOptions &opt,
               const std::vector<std::array<bool, kNumTensors>> &keep)
    : space_(space), bits_(bits), opt_(opt), keep_(keep), bound_(space, bits, opt, keep)
{
    const int L = space.numLevels();
    mapping_.levels.resize(static_cast<size_t>(L));
    for (int l = 0; l < L; ++l) {
        fanX_.push_back(space.arch().fanoutX(l));
        fanY_.push_back(space.arch().fanoutY(l));
    }
    for (int l = 0; l < L; ++l) {
        for (int k = 0; k < kSlotKinds; ++k)
            for (Dim d : kAllDims)
                if (space.fixedFactor(l, SlotKind(k), d) == 0 && space.shape().bound(d) > 1)
                    steps_.push_back({false, l, SlotKind(k), d,
                                      space.lastFreeLevel(d) == l && space.lastFreeKind(d) == SlotKind(k)});
        steps_.push_back({true, l, SlotKind::Temporal, Dim::N, false});
    }
    // The last free slot of a dimension whose bound is 1 never appears; nothing is left for it anyway.
}

Partial Walker::start() const
{
    Partial p;
    const int L = space_.numLevels();
    p.f.assign(L, {});
    for (Dim d : kAllDims) {
        int64_t fixedProduct = 1;
        for (int l = 0; l < L; ++l)
            for (int k = 0; k < kSlotKinds; ++k) {
                int64_t v = space_.fixedFactor(l, SlotKind(k), d);
                p.f[l][k][idx(d)] = v > 0 ? v : 1;
                if (v > 0)
                    fixedProduct *= v;
            }
        p.remaining[idx(d)] = space_.shape().bound(d) / fixedProduct;
    }
    return p;
}

int Walker::fixedLevel(const Partial &p) const
{
    int level = -1;
    for (size_t i = 0; i < p.step && i < steps_.size(); ++i)
        if (steps_[i].check)
            level = steps_[i].level;
    return level;
}

void Walker::dive(size_t beam, Candidate &best, int64_t &visited)
{
    std::vector<Partial> states{start()};
    int64_t unused = 0;
    for (size_t i = 0; i < steps_.size(); ++i) {
        if (!steps_[i].check)
            continue;
        std::vector<std::pair<double, Partial>> next;
        for (Partial &p : states)
            walk(p, i + 1, [&](const Partial &q) { next.emplace_back(bound(q), q); });
        std::stable_sort(next.begin(), next.end(),
                         [](const auto &a, const auto &b) { return a.first < b.first; });
        if (next.size() > beam)
            next.resize(beam);
        states.clear();
        for (auto &n : next)
            states.push_back(std::move(n.second));
    }
    for (const Partial &leaf : states)
        evaluateOrders(leaf, best, unused, visited);
}

bool Walker::seed(const Mapping &hint, Candidate &best, int64_t &visited)
{
    const int L = space_.numLevels();
    if (static_cast<int>(hint.levels.size()) != L)
        return false;
    Partial p = start();
    for (int l = 0; l < L; ++l) {
        const LevelMapping &lm = hint.levels[l];
        if (lm.keep != keep_[l])
            return false;
        const DimArray *given[kSlotKinds] = {&lm.temporal, &lm.spatialX, &lm.spatialY};
        for (int k = 0; k < kSlotKinds; ++k)
            for (Dim d : kAllDims) {
                const int64_t v = (*given[k])[idx(d)], fixed = space_.fixedFactor(l, SlotKind(k), d);
                if (v < 1 || (fixed > 0 && v != fixed) ||
                    (fixed == 0 && space_.shape().bound(d) == 1 && v != 1))
                    return false;
                p.f[l][k][idx(d)] = v;
            }
    }
    for (Dim d : kAllDims) {
        int64_t product = 1;
        for (int l = 0; l < L; ++l)
            for (int k = 0; k < kSlotKinds; ++k)
                product *= p.f[l][k][idx(d)];
        if (product != space_.shape().bound(d))
            return false;
    }
    for (int l = 0; l < L; ++l)
        if (!levelFits(p, l))
            return false;
    p.step = steps_.size();
    int64_t valid = 0;
    evaluateOrders(p, best, valid, visited);
    return best.found;
}

double Walker::countEvaluations(double limit)
{
    double n = 0;
    abandon_ = false;
    Partial p = start();
    walk(p, steps_.size(), [&](const Partial &leaf) {
        double nests = 1;
        for (const auto *c : orderChoices(leaf))
            nests *= double(c->size());
        n += nests;
        abandon_ = n > limit;
    });
    abandon_ = false;
    return n;
}

bool Walker::sample(std::mt19937_64 &rng, Partial &p, std::vector<size_t> &pick)
{
    // Levels are drawn innermost first; a level whose tiles or fan-out do not fit is drawn again (up
    // to a few times) before the draw is given up, so that tight buffers do not starve the sample.
    p = start();
    size_t levelBegin = 0;
    Partial saved = p;
    int retries = 0;
    for (size_t i = 0; i < steps_.size(); ++i) {
        const WalkStep &s = steps_[i];
        if (s.check) {
            if (levelFits(p, s.level)) {
                levelBegin = i + 1;
                saved = p;
                retries = 0;
                continue;
            }
            if (++retries > 16)
                return false;
            p = saved;
            i = levelBegin - 1; // the loop's ++i restarts this level
            if (levelBegin == 0) {
                p = start();
                i = static_cast<size_t>(-1);
            }
            continue;
        }
        const int64_t rem = p.remaining[idx(s.dim)];
        int64_t f = rem;
        if (!s.last) {
            divisors_.clear();
            for (int64_t x = 1; x <= rem; ++x)
                if (rem % x == 0)
                    divisors_.push_back(x);
            f = divisors_[std::uniform_int_distribution<size_t>(0, divisors_.size() - 1)(rng)];
        }
        p.f[s.level][int(s.kind)][idx(s.dim)] = f;
        p.remaining[idx(s.dim)] = rem / f;
    }
    const auto &choices = orderChoices(p);
    pick.assign(choices.size(), 0);
    for (size_t l = 0; l < choices.size(); ++l)
        pick[l] = std::uniform_int_distribution<size_t>(0, choices[l]->size() - 1)(rng);
    return true;
}

void Walker::consider(const Partial &p, const std::vector<const std::vector<std::vector<Dim>> *> &choices,
                      const std::vector<size_t> &pick, Candidate &best, int64_t &valid, int64_t &visited)
{
    for (size_t l = 0; l < choices.size(); ++l) {
        LevelMapping &lm = mapping_.levels[l];
        lm.temporal = p.f[l][int(SlotKind::Temporal)];
        lm.spatialX = p.f[l][int(SlotKind::SpatialX)];
        lm.spatialY = p.f[l][int(SlotKind::SpatialY)];
        lm.keep = keep_[l];
        lm.order = (*choices[l])[pick[l]];
    }
    evaluateChecked(space_.shape(), space_.arch(), mapping_, bits_, opt_.model, eval_, false);
    ++visited;
    if (!eval_.valid)
        return;
    ++valid;
    const double key = metricValue(opt_.metric, eval_);
    if (incumbent_)
        incumbent_->offer(key);
    if (best.found && key > best.key)
        return;
    Candidate c;
    c.found = true;
    c.key = key;
    c.energy = eval_.energy;
    c.cycles = eval_.cycles;
    c.code = encode(p, pick);
    if (better(c, best)) {
        c.mapping = mapping_;
        best = std::move(c);
    }
}

const std::vector<const std::vector<std::vector<Dim>> *> &Walker::orderChoices(const Partial &p)
{
    const int L = space_.numLevels();
    choices_.assign(L, nullptr);
    nestsPerFactorization_ = 1;
    std::array<bool, kNumTensors> keptBelow{false, false, false};
    for (int l = 0; l < L; ++l) {
        std::vector<Dim> active;
        int mask = 0;
        for (Dim d : kAllDims)
            if (p.f[l][int(SlotKind::Temporal)][idx(d)] > 1) {
                active.push_back(d);
                mask |= 1 << idx(d);
            }
        const int keptMask = keptBelow[0] | keptBelow[1] << 1 | keptBelow[2] << 2;
        auto key = std::make_tuple(l, mask, keptMask);
        auto it = orderCache_.find(key);
        if (it == orderCache_.end()) {
            Orders o;
            o.distinct = space_.orders(l, active, keptBelow, &o.total);
            it = orderCache_.emplace(key, std::move(o)).first;
        }
        choices_[l] = &it->second.distinct;
        nestsPerFactorization_ *= it->second.total;
        for (Tensor t : kAllTensors)
            keptBelow[idx(t)] = keptBelow[idx(t)] || keep_[l][idx(t)];
    }
    return choices_;
}

void Walker::evaluateOrders(const Partial &p, Candidate &best, int64_t &valid, int64_t &visited)
{
    const auto choices = orderChoices(p);
    const int64_t nests = nestsPerFactorization_;
    const size_t L = choices.size();
    std::vector<size_t> pick(L, 0);
    int64_t validHere = 0;
    while (true) {
        consider(p, choices, pick, best, validHere, visited);
        size_t l = 0;
        while (l < L && ++pick[l] == choices[l]->size())
            pick[l++] = 0;
        if (l == L)
            break;
    }
    if (validHere > 0)
        valid += nests;
}

bool Walker::levelFits(const Partial &p, int level) const
{
    Extents e{1, 1, 1, 1, 1, 1, 1, 1};
    if (space_.arch().levels[level].depth > 0)
        for (int l = 0; l <= level; ++l)
            for (Dim d : kAllDims)
                e[idx(d)] *= p.f[l][0][idx(d)] * p.f[l][1][idx(d)] * p.f[l][2][idx(d)];
    return levelFits(p, level, e);
}

bool Walker::levelFits(const Partial &p, int level, const Extents &e) const
{
    if (spatialProduct(p, level, SlotKind::SpatialX) > fanout(level, SlotKind::SpatialX) ||
        spatialProduct(p, level, SlotKind::SpatialY) > fanout(level, SlotKind::SpatialY))
        return false;
    const StorageLevel &spec = space_.arch().levels[level];
    if (spec.depth <= 0)
        return true;
    int64_t words = 0;
    for (Tensor t : kAllTensors)
        if (keep_[level][idx(t)]) {
            const int k = std::max(1, packingFactor(spec.wordBits, bits_.of(t)));
            words += ceilDiv(tileVolume(t, e, space_.shape()), k);
        }
    return words <= spec.depth;
}

std::vector<int64_t> Walker::encode(const Partial &p, const std::vector<size_t> &pick) const
{
    std::vector<int64_t> code;
    for (const auto &lvl : p.f)
        for (const auto &k : lvl)
            code.insert(code.end(), k.begin(), k.end());
    code.insert(code.end(), pick.begin(), pick.end());
    return code;
}

} // namespace bitloop
