// BatchNorm's statistics re-estimated for the network as it now quantizes (qat/evaluation_data.h).
#include "qat/evaluation_data.h"
#include "qat/quant_net.h"
#include "qat/train.h"

#include <algorithm>
#include <random>

namespace bitloop::qat
{

namespace
{
constexpr double kBnMomentum = 0.1; // LibTorch's default, restored after re-estimation
}

void reestimateBatchNorm(QuantNet &net, const ImageDataset &data, const std::vector<int64_t> &indices,
                         const Normalization &norm, int batchSize)
{
    torch::NoGradGuard noGrad;
    // No momentum and no batches tracked: LibTorch then averages each batch's statistics cumulatively.
    for (int i = 0; i < net.numLayers(); ++i)
        if (auto &bn = net.layer(i).bn) {
            bn->options.momentum(c10::nullopt);
            bn->num_batches_tracked.zero_();
        }
    net.train();
    BatchLoader loader(data, indices, norm, batchSize);
    loader.startEpoch();
    Batch batch;
    while (loader.next(batch))
        net.forward(batch.images);
    for (int i = 0; i < net.numLayers(); ++i)
        if (auto &bn = net.layer(i).bn)
            bn->options.momentum(kBnMomentum);
    net.eval();
}

std::vector<int64_t> bnImages(const std::vector<int64_t> &trainIdx, int64_t n, uint64_t seed)
{
    std::vector<int64_t> v = trainIdx;
    std::mt19937_64 rng(seed);
    for (size_t i = v.size(); i > 1; --i)
        std::swap(v[i - 1], v[drawBelow(rng, i)]);
    v.resize(static_cast<size_t>(std::min<int64_t>(n, static_cast<int64_t>(v.size()))));
    return v;
}

} // namespace bitloop::qat
