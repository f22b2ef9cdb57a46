// Image datasets for the accuracy side: readers for IDX files (MNIST, Fashion-MNIST; gzipped or not) and
// CIFAR-10 binary batches, the validation split the search decides on, and per-channel statistics for
// normalization. Plain C++17 and zlib: nothing here needs LibTorch, so the readers are tested on their own.
// Every reader throws InputError naming the file (or folder) that was wrong and what was expected.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bitloop
{

// Where Debian's dataset-fashion-mnist installs the four gzipped IDX files.
extern const char *const kFashionMnistDefaultDir;

struct ImageDataset {
    std::string source; // what it was read from (a folder, or "IMAGES + LABELS" for readIdx)
    int64_t count = 0, channels = 0, height = 0, width = 0;
    std::vector<uint8_t> pixels; // count x channels x height x width, row-major (NCHW)
    std::vector<uint8_t> labels; // count, each < numClasses
    int numClasses = 0;
    std::vector<std::string> classNames; // numClasses entries

    int64_t imageSize() const { return channels * height * width; } // bytes per image
    const uint8_t *image(int64_t i) const { return pixels.data() + i * imageSize(); }
};

// An IDX image file (magic 0x00000803: N, rows, cols) and its IDX label file (magic 0x00000801: N), each
// gzipped or not (told by the gzip magic 1f 8b, not by the name). Labels must be < numClasses.
// channels = 1; classNames are "0", "1", ...
ImageDataset readIdx(const std::string &imagesPath, const std::string &labelsPath, int numClasses = 10);

// The IDX pair of the MNIST family in `dir`: train-images-idx3-ubyte and train-labels-idx1-ubyte (train)
// or t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (test), each with or without ".gz".
ImageDataset readMnist(const std::string &dir, bool train);
// The same files, with Fashion-MNIST's class names (T-shirt/top, Trouser, ... Ankle boot).
ImageDataset readFashionMnist(const std::string &dir, bool train);

// CIFAR-10's binary version: data_batch_1.bin .. data_batch_5.bin (train) or test_batch.bin (test), each
// record one label byte and 3072 bytes of R, G and B planes of 32 x 32. `dir` may also be the folder that
// holds cifar-10-batches-bin/. Class names come from batches.meta.txt when present, else the standard ten.
ImageDataset readCifar10(const std::string &dir, bool train);

// An image folder, ImageNet-style (DIR/<class>/*.JPEG): the classes are the names of the subfolders of
// `dir`, sorted (byte order), labelled 0, 1, ... in that order; in each, the .png, .jpg and .jpeg files (any
// case) in name order. Hidden entries (".x") and other files are skipped. Every image is decoded with
// stb_image (libstb), converted to `channels` (1: grey = luma (77 R + 150 G + 29 B) >> 8; 3: RGB, grey
// repeated, alpha dropped) and resized to height x width with stb_image_resize's default filters.
// InputError naming the folder when it is missing or has no class subfolders, naming a class subfolder
// that holds no images, and naming a file that does not decode (with stb's reason).
ImageDataset readImageFolder(const std::string &dir, int height, int width, int channels /* 1 or 3 */);

// "fashion-mnist" (kFashionMnistDefaultDir), "fashion-mnist:DIR", "mnist:DIR", "cifar10:DIR" or
// "folder:DIR[:HxW]" (an image folder read as RGB at H x W, 224 x 224 unless given; DIR/train for the
// training set and DIR/val or DIR/test for the test set when DIR has both, else DIR itself for either).
ImageDataset loadDataset(const std::string &spec, bool train);

// A dataset spec cut into its parts as loadDataset reads it: KIND, then after the first ':' the folder
// (hasDir), from which folder: specs lose a trailing ":HxW" (kept as `size`, its text, with height and
// width).
struct DatasetSpecParts {
    std::string kind, dir, size;
    bool hasDir = false;
    int height = 224, width = 224; // from `size`; loadDataset's 224 x 224 when there is none
};
DatasetSpecParts splitDatasetSpec(const std::string &spec);

// A validation split carved from a training set: a Fisher-Yates shuffle of 0..count-1 driven by
// std::mt19937_64(seed) with its own unbiased draw (so it is the same with any standard library); the
// first round(count * validationFraction) indices of the permutation are the validation set, the rest
// the training set, both in permutation order.
struct Split {
    std::vector<int64_t> train, validation;
};
Split splitTrainValidation(int64_t count, double validationFraction, uint64_t seed);

// Per-channel mean and (population) standard deviation of the pixels / 255 of the given images.
std::vector<double> channelMeans(const ImageDataset &data, const std::vector<int64_t> &indices);
std::vector<double> channelStds(const ImageDataset &data, const std::vector<int64_t> &indices);

} // namespace bitloop
