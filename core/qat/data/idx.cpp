// IDX files (MNIST, Fashion-MNIST): a big-endian header (magic 0x000008TD with T the element type, 08 for
// unsigned bytes, and D the number of dimensions; then D 32-bit sizes) followed by the elements.
#include "qat/data/datasets.h"
#include "qat/data/file_bytes.h"

#include "util/error.h"

#include <cstdio>
#include <filesystem>

namespace bitloop
{

using datasets_detail::isFile;
using datasets_detail::readFileBytes;

const char *const kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";

namespace
{

uint32_t bigEndian32(const uint8_t *p)
{
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

std::string hex32(uint32_t v)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

// Checks the magic and reads the D sizes; returns the offset of the first element.
size_t readIdxHeader(const std::string &path, const std::vector<uint8_t> &bytes, uint32_t expectedMagic,
                     const char *what, std::vector<uint32_t> &dims)
{
    if (bytes.size() < 4)
        throw InputError(path, 0,
                         std::string("not an IDX ") + what + " file: " + std::to_string(bytes.size()) +
                             " bytes, too short for the 4-byte magic " + hex32(expectedMagic));
    const uint32_t magic = bigEndian32(bytes.data());
    if (magic != expectedMagic) {
        std::string msg = std::string("not an IDX ") + what + " file: magic " + hex32(magic) + ", expected " +
                          hex32(expectedMagic);
        if ((magic == 0x00000801 || magic == 0x00000803) && magic != expectedMagic)
            msg +=
                magic == 0x00000801 ? " (this looks like a label file)" : " (this looks like an image file)";
        throw InputError(path, 0, msg);
    }
    const size_t ndims = expectedMagic & 0xff;
    const size_t headerBytes = 4 + 4 * ndims;
    if (bytes.size() < headerBytes)
        throw InputError(path, 0,
                         std::string("truncated IDX ") + what + " file: " + std::to_string(bytes.size()) +
                             " bytes, the header alone takes " + std::to_string(headerBytes));
    dims.resize(ndims);
    for (size_t d = 0; d < ndims; ++d)
        dims[d] = bigEndian32(bytes.data() + 4 + 4 * d);
    return headerBytes;
}

void checkPayload(const std::string &path, const std::vector<uint8_t> &bytes, size_t header,
                  uint64_t expected, const std::string &described)
{
    const uint64_t have = bytes.size() - header;
    if (have < expected)
        throw InputError(path, 0,
                         "truncated IDX file: the header says " + described + " (" +
                             std::to_string(expected) + " bytes after the header) but only " +
                             std::to_string(have) + " bytes follow");
    if (have > expected)
        throw InputError(path, 0,
                         "corrupt IDX file: the header says " + described + " (" + std::to_string(expected) +
                             " bytes after the header) but " + std::to_string(have) + " bytes follow");
}

std::vector<std::string> numberNames(int n)
{
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i)
        names.push_back(std::to_string(i));
    return names;
}

// The image or label file of the MNIST family in `dir`: the uncompressed name, else the gzipped one.
std::string findIdxFile(const std::string &dir, const std::string &base)
{
    const std::string plain = dir + "/" + base;
    if (isFile(plain))
        return plain;
    if (isFile(plain + ".gz"))
        return plain + ".gz";
    return {};
}

ImageDataset readMnistFamily(const std::string &dir, bool train, const char *name, const char *installHint)
{
    const std::string prefix = train ? "train" : "t10k";
    const std::string imagesBase = prefix + "-images-idx3-ubyte", labelsBase = prefix + "-labels-idx1-ubyte";
    const std::string expected = imagesBase + "[.gz] and " + labelsBase + "[.gz]";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw InputError(dir, 0,
                         std::string("no such folder: expected the ") + name + " files " + expected +
                             " in it" + installHint);
    const std::string images = findIdxFile(dir, imagesBase), labels = findIdxFile(dir, labelsBase);
    if (images.empty() || labels.empty()) {
        std::string missing = images.empty() ? imagesBase + "[.gz]" : "";
        if (labels.empty())
            missing += (missing.empty() ? "" : " and ") + labelsBase + "[.gz]";
        throw InputError(dir, 0,
                         std::string("no ") + name + " " + (train ? "training" : "test") + " set here: " +
                             missing + " not found (expected " + expected + ")" + installHint);
    }
    ImageDataset data = readIdx(images, labels, 10);
    data.source = dir;
    return data;
}

} // namespace

ImageDataset readIdx(const std::string &imagesPath, const std::string &labelsPath, int numClasses)
{
    if (numClasses < 1 || numClasses > 256)
        throw InputError(labelsPath, 0,
                         "the number of classes must be 1..256, not " + std::to_string(numClasses));

    ImageDataset data;
    data.source = imagesPath + " + " + labelsPath;

    std::vector<uint8_t> images = readFileBytes(imagesPath);
    std::vector<uint32_t> dims;
    const size_t imagesHeader = readIdxHeader(imagesPath, images, 0x00000803, "image", dims);
    const uint32_t n = dims[0], rows = dims[1], cols = dims[2];
    if (rows == 0 || cols == 0 || rows > 65536 || cols > 65536)
        throw InputError(imagesPath, 0,
                         "corrupt IDX image file: images of " + std::to_string(rows) + " x " +
                             std::to_string(cols) + " pixels (expected 1..65536 each)");
    checkPayload(imagesPath, images, imagesHeader, uint64_t(n) * rows * cols,
                 std::to_string(n) + " images of " + std::to_string(rows) + " x " + std::to_string(cols));

    std::vector<uint8_t> labels = readFileBytes(labelsPath);
    const size_t labelsHeader = readIdxHeader(labelsPath, labels, 0x00000801, "label", dims);
    const uint32_t nLabels = dims[0];
    checkPayload(labelsPath, labels, labelsHeader, nLabels, std::to_string(nLabels) + " labels");
    if (nLabels != n)
        throw InputError(labelsPath, 0,
                         "holds " + std::to_string(nLabels) + " labels but " + imagesPath + " holds " +
                             std::to_string(n) + " images");
    if (n == 0)
        throw InputError(imagesPath, 0, "the IDX image file holds no images");

    data.count = n;
    data.channels = 1;
    data.height = rows;
    data.width = cols;
    data.labels.assign(labels.begin() + labelsHeader, labels.end());
    for (size_t i = 0; i < data.labels.size(); ++i)
        if (data.labels[i] >= numClasses)
            throw InputError(labelsPath, 0,
                             "label " + std::to_string(data.labels[i]) + " of image " + std::to_string(i) +
                                 " is out of range: expected 0.." + std::to_string(numClasses - 1));
    labels = {};
    images.erase(images.begin(), images.begin() + imagesHeader); // in place: no second copy of the pixels
    data.pixels = std::move(images);
    data.numClasses = numClasses;
    data.classNames = numberNames(numClasses);
    return data;
}

ImageDataset readMnist(const std::string &dir, bool train)
{
    return readMnistFamily(dir, train, "MNIST", "");
}

ImageDataset readFashionMnist(const std::string &dir, bool train)
{
    ImageDataset data = readMnistFamily(
        dir, train, "Fashion-MNIST",
        "; `apt-get install dataset-fashion-mnist` provides them in /usr/share/datasets/fashion-mnist");
    data.classNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                       "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return data;
}

} // namespace bitloop
