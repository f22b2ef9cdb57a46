// The validation split and per-channel statistics.
#include "qat/data/datasets.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace bitloop
{

namespace
{

// A uniform draw from 0..bound-1 by rejection: only the engine's raw 64-bit outputs are used (their sequence
// is fixed by the standard), never std::uniform_int_distribution, whose algorithm is up to the library.
uint64_t uniformBelow(std::mt19937_64 &rng, uint64_t bound)
{
    // Values below 2^64 mod bound are rejected so that every residue is equally likely.
    const uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        const uint64_t x = rng();
        if (x >= threshold)
            return x % bound;
    }
}

void checkIndices(const ImageDataset &data, const std::vector<int64_t> &indices, const char *what)
{
    if (indices.empty())
        throw std::invalid_argument(std::string(what) + ": no images given");
    for (int64_t i : indices)
        if (i < 0 || i >= data.count)
            throw std::out_of_range(std::string(what) + ": image index " + std::to_string(i) +
                                    " is outside 0.." + std::to_string(data.count - 1));
}

// Per channel, the sum and the sum of squares of the raw byte values (exact in 64 bits for any dataset that
// fits in memory: 255^2 * 2^40 < 2^64).
void channelSums(const ImageDataset &data, const std::vector<int64_t> &indices, std::vector<uint64_t> &sum,
                 std::vector<uint64_t> &sumSquares)
{
    const int64_t plane = data.height * data.width;
    sum.assign(static_cast<size_t>(data.channels), 0);
    sumSquares.assign(static_cast<size_t>(data.channels), 0);
    for (int64_t i : indices) {
        const uint8_t *image = data.image(i);
        for (int64_t c = 0; c < data.channels; ++c) {
            uint64_t s = 0, q = 0;
            const uint8_t *p = image + c * plane;
            for (int64_t k = 0; k < plane; ++k) {
                s += p[k];
                q += uint64_t(p[k]) * p[k];
            }
            sum[c] += s;
            sumSquares[c] += q;
        }
    }
}

} // namespace

Split splitTrainValidation(int64_t count, double validationFraction, uint64_t seed)
{
    if (count < 0)
        throw std::invalid_argument("splitTrainValidation: negative count " + std::to_string(count));
    if (!(validationFraction >= 0.0 && validationFraction <= 1.0))
        throw std::invalid_argument("splitTrainValidation: the validation fraction must be in [0, 1], not " +
                                    std::to_string(validationFraction));
    std::vector<int64_t> order(static_cast<size_t>(count));
    std::iota(order.begin(), order.end(), int64_t(0));
    std::mt19937_64 rng(seed);
    for (int64_t i = count - 1; i > 0; --i) {
        const int64_t j = static_cast<int64_t>(uniformBelow(rng, static_cast<uint64_t>(i) + 1));
        std::swap(order[i], order[j]);
    }
    const int64_t validation = std::llround(static_cast<double>(count) * validationFraction);
    Split split;
    split.validation.assign(order.begin(), order.begin() + validation);
    split.train.assign(order.begin() + validation, order.end());
    return split;
}

std::vector<double> channelMeans(const ImageDataset &data, const std::vector<int64_t> &indices)
{
    checkIndices(data, indices, "channelMeans");
    std::vector<uint64_t> sum, sumSquares;
    channelSums(data, indices, sum, sumSquares);
    const double n = static_cast<double>(indices.size()) * static_cast<double>(data.height * data.width);
    std::vector<double> means;
    for (uint64_t s : sum)
        means.push_back(static_cast<double>(s) / n / 255.0);
    return means;
}

std::vector<double> channelStds(const ImageDataset &data, const std::vector<int64_t> &indices)
{
    checkIndices(data, indices, "channelStds");
    std::vector<uint64_t> sum, sumSquares;
    channelSums(data, indices, sum, sumSquares);
    const long double n =
        static_cast<long double>(indices.size()) * static_cast<long double>(data.height * data.width);
    std::vector<double> stds;
    for (size_t c = 0; c < sum.size(); ++c) {
        const long double mean = static_cast<long double>(sum[c]) / n;
        const long double variance = static_cast<long double>(sumSquares[c]) / n - mean * mean;
        stds.push_back(static_cast<double>(std::sqrt(std::max(variance, 0.0L)) / 255.0L));
    }
    return stds;
}

} // namespace bitloop
