// The supernet evaluator's fidelity and speed (docs/benchmarks.md §9): per-layer configurations
// stratified by mean bit-width, each measured by the supernet and fine-tuned on its own with a QAT
// evaluator under two seeds or more (--qat-seeds), all on the test set; mean and 90th-percentile
// |difference| of top-1, Kendall's tau between the supernet and QAT, and between the first two QAT seeds
// (the noise floor a ranking can reach); with three seeds or more, each seed against the mean of the others.
// Every answer goes through the accuracy cache (--cache-dir), so an interrupted run continues where it was.
//
//   bench_supernet --checkpoint F [--supernet S] [--configs 24] [--allowed-bits 2,...,8] [--qat
//   qat|qat-short]
//                  [--qat-seeds 1,2 (QAT seeds, the first is the reference)] [--epochs 1] [--steps
//                  200] [--train-limit N] [--threads 1] [--cache-dir DIR] [--seed 1]
//                  [--speed-only] [--limit N (supernet evaluation images, speed row)] [--candidates N
//                  (5: configurations the speed row times)]
//                  [--bn-batches N (8; speed line and fidelity rows)] [--qat-bn-batches N (0: QAT's BatchNorm
//                  as trained; N: re-estimated on N batches after fine-tuning)]
//                  [--rows K (only the first K configurations)] [--first-row K (start at row K: split the
//                  rows across processes that share the cache)] [--no-speed (fidelity rows only)] [--profile
//                  (the speed row's candidates again under LibTorch's profiler: self time per operator)]
//                  [--qat-only (the QAT columns without a supernet, no speed row: fills the cache)]
#include "accuracy/accuracy_cache.h"
#include "mapper/cache.h"
#include "op_profile.h"
#include "qat/session.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

using namespace bitloop;

namespace
{

std::map<std::string, std::string> parseArgs(int argc, char **argv)
{
    std::map<std::string, std::string> a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0)
            continue;
        k = k.substr(2);
        if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
            a[k] = argv[++i];
        else
            a[k] = "1";
    }
    return a;
}

// "2,3,4" as sorted widths from 1 to 16; anything else is an error naming --allowed-bits.
std::vector<int> bitList(const std::string &s)
{
    std::vector<int> v;
    size_t pos = 0;
    while (pos < s.size()) {
        const size_t comma = s.find(',', pos);
        const std::string item = s.substr(pos, comma - pos);
        char *end = nullptr;
        const long b = std::strtol(item.c_str(), &end, 10);
        if (item.empty() || *end != '\0' || b < 1 || b > 16)
            throw std::invalid_argument("--allowed-bits: '" + item + "' is not a width from 1 to 16");
        v.push_back(static_cast<int>(b));
        pos = comma == std::string::npos ? s.size() : comma + 1;
    }
    if (v.empty())
        throw std::invalid_argument("--allowed-bits: no widths given");
    std::sort(v.begin(), v.end());
    return v;
}

// "1,2,3" as distinct whole numbers in the order given; anything else is an error naming --qat-seeds.
std::vector<uint64_t> seedList(const std::string &s)
{
    std::vector<uint64_t> v;
    size_t pos = 0;
    while (pos <= s.size()) {
        const size_t comma = s.find(',', pos);
        const std::string item = s.substr(pos, comma - pos);
        char *end = nullptr;
        errno = 0;
        const unsigned long long x = std::strtoull(item.c_str(), &end, 10);
        if (item.empty() || item[0] == '-' || *end != '\0' || errno == ERANGE ||
            std::find(v.begin(), v.end(), x) != v.end())
            throw std::invalid_argument("--qat-seeds: '" + item + "' is not a new whole number");
        v.push_back(x);
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return v;
}

// Kendall's tau-b between two score lists (ties counted in neither concordant nor discordant pairs).
double kendallTau(const std::vector<double> &x, const std::vector<double> &y)
{
    double concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
    for (size_t i = 0; i < x.size(); ++i)
        for (size_t j = i + 1; j < x.size(); ++j) {
            const double dx = x[i] - x[j], dy = y[i] - y[j];
            if (dx == 0 && dy == 0)
                continue;
            if (dx == 0)
                ++tiesX;
            else if (dy == 0)
                ++tiesY;
            else if ((dx > 0) == (dy > 0))
                ++concordant;
            else
                ++discordant;
        }
    const double denom = std::sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
    return denom > 0 ? (concordant - discordant) / denom : 0.0;
}

// n configurations whose mean widths step evenly from the narrowest to the widest allowed: each layer's
// weight and activation widths are the target mean plus a uniform offset in [-2, 2], rounded to the
// nearest allowed width.
std::vector<BitConfig> stratified(int n, int layers, const std::vector<int> &allowed, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> offset(-2.0, 2.0);
    auto nearest = [&](double v) { return qat::nearestAllowedWidth(allowed, v); };
    std::vector<BitConfig> out;
    for (int k = 0; k < n; ++k) {
        const double mean = allowed.front() + (allowed.back() - allowed.front()) * k / std::max(1.0, n - 1.0);
        BitConfig c;
        for (int i = 0; i < layers; ++i)
            c.push_back({nearest(mean + offset(rng)), nearest(mean + offset(rng))});
        out.push_back(std::move(c));
    }
    return out;
}

double meanBits(const BitConfig &c)
{
    double s = 0;
    for (const LayerBits &b : c)
        s += b.weights + b.activations;
    return s / (2.0 * static_cast<double>(c.size()));
}

} // namespace

static int run(int argc, char **argv)
{
    auto a = parseArgs(argc, argv);
    if (!a.count("checkpoint")) {
        std::fprintf(stderr,
                     "usage: bench_supernet --checkpoint FILE [--supernet FILE] [options, see the source]\n");
        return 2;
    }
    const std::string checkpoint = a["checkpoint"];
    auto get = [&](const char *k, const std::string &d) { return a.count(k) ? a[k] : d; };
    // A whole number >= min, or an error naming the option.
    auto num = [&](const char *k, const std::string &d, long long min = 0) {
        const std::string v = get(k, d);
        char *end = nullptr;
        errno = 0;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno == ERANGE || x < min)
            throw std::invalid_argument("--" + std::string(k) + ": expected a whole number of at least " +
                                        std::to_string(min) + ", got '" + v + "'");
        return x;
    };
    const int n = static_cast<int>(num("configs", "24", 1));
    const std::vector<int> allowed = bitList(get("allowed-bits", "2,3,4,5,6,7,8"));
    const int threads = static_cast<int>(num("threads", "1", 1));
    auto cache = std::make_shared<AccuracyCache>(get("cache-dir", defaultCacheDir()));

    auto open = [&](EvaluatorKind kind, uint64_t seed, bool onTest, int64_t limit) {
        qat::EvaluatorOptions o;
        o.settings.kind = kind;
        o.settings.seed = seed;
        o.settings.epochs = static_cast<int>(num("epochs", "1", 1));
        o.settings.steps = num("steps", "200", 1);
        o.onTestSet = onTest;
        o.threads = threads;
        o.evaluationLimit = limit;
        o.trainLimit = num("train-limit", "-1", -1);
        o.supernet = get("supernet", "");
        if (kind == EvaluatorKind::Supernet)
            o.settings.bnBatches = static_cast<int>(num("bn-batches", "8"));
        else
            o.settings.qatBnBatches = static_cast<int>(num("qat-bn-batches", "0"));
        return std::make_unique<CachedEvaluator>(qat::openEvaluator(checkpoint, o), cache);
    };

    // Speed: seconds per candidate of the supernet evaluator on the validation split (uncached, fresh
    // configurations), as a search pays them.
    // --qat-only: the QAT columns only, no supernet needed (to fill the cache while the supernet trains).
    const bool qatOnly = a.count("qat-only") > 0;
    if (!a.count("no-speed") && !qatOnly) {
        qat::EvaluatorOptions o;
        o.settings.kind = EvaluatorKind::Supernet;
        o.settings.bnBatches = static_cast<int>(num("bn-batches", "8"));
        o.threads = threads;
        o.supernet = get("supernet", "");
        o.evaluationLimit = num("limit", "-1", -1);
        auto ev = qat::openEvaluator(checkpoint, o);
        const std::vector<BitConfig> probe =
            stratified(static_cast<int>(num("candidates", "5", 1)), ev->numLayers(), allowed, 99);
        std::vector<double> seconds;
        int64_t images = 0;
        for (const BitConfig &c : probe) {
            const auto t0 = std::chrono::steady_clock::now();
            const AccuracyResult r = ev->evaluate(c);
            seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            images = r.images;
        }
        double total = 0;
        for (double t : seconds)
            total += t;
        std::sort(seconds.begin(), seconds.end());
        std::printf(
            "supernet evaluator: %.2f s per candidate (median %.2f, fastest %.2f, slowest %.2f of %zu; "
            "%d thread(s), %lld validation images, %s)\n",
            total / static_cast<double>(seconds.size()), seconds[seconds.size() / 2], seconds.front(),
            seconds.back(), seconds.size(), threads, static_cast<long long>(images),
            ev->settings().describe().c_str());
        std::fflush(stdout);
        if (a.count("profile")) {
            const std::vector<BitConfig> again = stratified(5, ev->numLayers(), allowed, 98);
            size_t k = 0;
            bench::printOpProfile("supernet evaluator, fresh configurations", "candidate",
                                  static_cast<int>(again.size()), [&] { ev->evaluate(again[k++]); });
        }
        if (a.count("speed-only"))
            return 0;
    }

    const EvaluatorKind qatKind = parseEvaluatorKind(get("qat", "qat"));
    const std::vector<uint64_t> seeds = seedList(get("qat-seeds", "1,2"));
    auto super = qatOnly ? nullptr : open(EvaluatorKind::Supernet, 1, true, -1);
    std::vector<std::unique_ptr<CachedEvaluator>> qats;
    for (uint64_t seed : seeds)
        qats.push_back(open(qatKind, seed, true, -1));
    std::vector<BitConfig> configs =
        stratified(n, qats[0]->numLayers(), allowed, static_cast<uint64_t>(num("seed", "1")));
    // --rows K: only the first K configurations (the stratification still spans all n).
    if (a.count("rows"))
        configs.resize(std::min(configs.size(), static_cast<size_t>(num("rows", "0"))));
    // --first-row K: rows K.. only (numbered as in the full table), so that processes sharing the cache
    // can split the rows and a last run without it prints the whole table from the cache.
    const size_t first = static_cast<size_t>(num("first-row", "1", 1)) - 1;
    std::printf("QAT: %s; everything on the test set\n", qats[0]->settings().describe().c_str());
    std::printf("| # | mean bits | supernet |");
    for (uint64_t seed : seeds)
        std::printf(" QAT seed %llu |", static_cast<unsigned long long>(seed));
    std::printf(" |supernet - QAT seed %llu| |\n|---:|---:|---:|", static_cast<unsigned long long>(seeds[0]));
    for (size_t j = 0; j <= seeds.size(); ++j)
        std::printf("---:|");
    std::printf("\n");
    std::vector<double> s;
    std::vector<std::vector<double>> q(seeds.size()); // q[seed][row]
    for (size_t k = first; k < configs.size(); ++k) {
        if (qatOnly) {
            std::printf("| %zu | %.2f | – |", k + 1, meanBits(configs[k]));
            for (size_t j = 0; j < seeds.size(); ++j)
                std::printf(" %.4f |", qats[j]->evaluate(configs[k]).accuracy);
            std::printf(" – |\n");
            std::fflush(stdout);
            continue;
        }
        s.push_back(super->evaluate(configs[k]).accuracy);
        std::printf("| %zu | %.2f | %.4f |", k + 1, meanBits(configs[k]), s.back());
        for (size_t j = 0; j < seeds.size(); ++j) {
            q[j].push_back(qats[j]->evaluate(configs[k]).accuracy);
            std::printf(" %.4f |", q[j].back());
        }
        std::printf(" %.2f |\n", std::abs(s.back() - q[0].back()) * 100);
        std::fflush(stdout);
    }
    if (s.empty())
        return 0; // --rows 0: nothing to summarise
    // Mean and 90th percentile of |a - b| in points.
    const auto spread = [](const std::vector<double> &a, const std::vector<double> &b) {
        std::vector<double> d;
        for (size_t k = 0; k < a.size(); ++k)
            d.push_back(std::abs(a[k] - b[k]) * 100);
        std::sort(d.begin(), d.end());
        double mean = 0;
        for (double x : d)
            mean += x;
        return std::make_pair(mean / static_cast<double>(d.size()),
                              d[static_cast<size_t>(std::ceil(0.9 * static_cast<double>(d.size()))) - 1]);
    };
    // Row by row, the mean of the seeds in `which`.
    const auto meanOf = [&](const std::vector<size_t> &which) {
        std::vector<double> m(s.size(), 0.0);
        for (size_t k = 0; k < s.size(); ++k) {
            for (size_t j : which)
                m[k] += q[j][k];
            m[k] /= static_cast<double>(which.size());
        }
        return m;
    };
    std::vector<size_t> all(seeds.size());
    for (size_t j = 0; j < all.size(); ++j)
        all[j] = j;
    const std::vector<double> qMean = meanOf(all);
    const auto [mean, p90] = spread(s, q[0]);
    std::printf("\nmean |difference| %.2f points (target <= 0.5), 90th percentile %.2f (<= 1.0)\n", mean,
                p90);
    if (seeds.size() < 2) {
        std::printf("Kendall tau supernet vs QAT %.3f (target >= 0.7)\n", kendallTau(s, q[0]));
        return 0;
    }
    // The reference's own noise: a second QAT seed stands this far from the first, so no evaluator can be
    // expected to come closer to one seed than that. With more seeds, each against the mean of the others
    // says how far one seed stands from a steadier reference.
    const auto [meanSeeds, p90Seeds] = spread(q[0], q[1]);
    std::printf("QAT seed %llu against seed %llu: mean |difference| %.2f points, 90th percentile %.2f\n",
                static_cast<unsigned long long>(seeds[1]), static_cast<unsigned long long>(seeds[0]),
                meanSeeds, p90Seeds);
    if (seeds.size() >= 3)
        for (size_t j = 0; j < seeds.size(); ++j) {
            std::vector<size_t> others;
            for (size_t o : all)
                if (o != j)
                    others.push_back(o);
            const auto [m, p] = spread(q[j], meanOf(others));
            std::printf(
                "QAT seed %llu against the mean of the other %zu: mean |difference| %.2f points, 90th "
                "percentile %.2f\n",
                static_cast<unsigned long long>(seeds[j]), others.size(), m, p);
        }
    const auto [meanVsMean, p90VsMean] = spread(s, qMean);
    std::printf("supernet against the mean of the %zu QAT seeds: mean |difference| %.2f points, 90th "
                "percentile %.2f, Kendall tau %.3f\n",
                seeds.size(), meanVsMean, p90VsMean, kendallTau(s, qMean));
    const double tau = kendallTau(s, q[0]), tauSeeds = kendallTau(q[0], q[1]);
    std::printf(
        "Kendall tau supernet vs QAT %.3f (target >= 0.7 and >= 0.9 x %.3f = %.3f, the tau between two "
        "QAT seeds)\n",
        tau, tauSeeds, 0.9 * tauSeeds);
    return 0;
}

int main(int argc, char **argv)
{
    try {
        return run(argc, argv);
    } catch (const std::exception &e) { // a missing checkpoint or supernet, a bad number
        std::fprintf(stderr, "bench_supernet: %s\n", e.what());
        return 2;
    }
}
