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
                         const Normalization &norm)
{
    if (indices.empty())
        return;
    torch::NoGradGuard noGrad;
    // No momentum and no batches tracked: LibTorch then takes the one batch's statistics as they are.
    for (int i = 0; i < net.numLayers(); ++i)
        if (auto &bn = net.layer(i).bn) {
            bn->options.momentum(c10::nullopt);
            bn->num_batches_tracked.zero_();
        }
    net.train();
    // Every image in one batch: training mode then normalizes each layer by exactly the statistics it
    // records, so each layer's statistics are measured on the inputs it will see in eval mode. Batch by
    // batch (averaged, until 2026-12-03) a layer's statistics were measured on inputs normalized by the
    // layers above with each small batch's own statistics, which at 2-3 bit activations fall across other
    // rounding thresholds than eval mode's: one configuration read 0.64 to 0.79 by which 512 images were
    // drawn, 0.787 to 0.795 in one batch (docs/benchmarks.md §9, seventeenth session). Memory: the
    // largest activation for all the images at once (512 at 28x28: a few tens of MB).
    BatchLoader loader(data, indices, norm, static_cast<int>(indices.size()));
    loader.startEpoch();
    Batch batch;
    if (loader.next(batch))
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
