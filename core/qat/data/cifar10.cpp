// CIFAR-10's binary version: batches of records, each one label byte and a 32 x 32 image as three
// 1024-byte planes (R, G, B), which is already the NCHW layout of ImageDataset.
#include "qat/data/datasets.h"
#include "qat/data/file_bytes.h"

#include "util/error.h"

#include <cstring>
#include <filesystem>
#include <fstream>

namespace bitloop
{

using datasets_detail::isFile;
using datasets_detail::readFileBytes;

namespace
{

constexpr int64_t kSide = 32, kChannels = 3, kImageBytes = kChannels * kSide * kSide,
                  kRecordBytes = 1 + kImageBytes;

std::vector<std::string> cifarClassNames(const std::string &dir)
{
    const std::string meta = dir + "/batches.meta.txt";
    if (!isFile(meta))
        return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    std::ifstream in(meta);
    if (!in)
        throw InputError(meta, 0, "cannot open the file for reading");
    std::vector<std::string> names;
    std::string line;
    int lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        const size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos)
            continue; // the file ends with blank lines
        const size_t last = line.find_last_not_of(" \t\r");
        names.push_back(line.substr(first, last - first + 1));
        if (names.size() > 10)
            throw InputError(meta, lineNo, "more than 10 class names: expected one per line, 10 in all");
    }
    if (names.size() != 10)
        throw InputError(meta, 0,
                         "holds " + std::to_string(names.size()) +
                             " class names: expected one per line, 10 in all");
    return names;
}

} // namespace

ImageDataset readCifar10(const std::string &dirIn, bool train)
{
    std::error_code ec;
    std::string dir = dirIn;
    // Also accept the folder the archive was unpacked in.
    if (!isFile(dir + "/test_batch.bin") && !isFile(dir + "/data_batch_1.bin") &&
        std::filesystem::is_directory(dir + "/cifar-10-batches-bin", ec))
        dir += "/cifar-10-batches-bin";

    std::vector<std::string> names;
    if (train)
        for (int i = 1; i <= 5; ++i)
            names.push_back("data_batch_" + std::to_string(i) + ".bin");
    else
        names.push_back("test_batch.bin");
    std::string expected;
    for (const std::string &n : names)
        expected += (expected.empty() ? "" : ", ") + n;

    if (!std::filesystem::is_directory(dir, ec))
        throw InputError(dir, 0, "no such folder: expected CIFAR-10's binary batches " + expected + " in it");
    std::string missing;
    for (const std::string &n : names)
        if (!isFile(dir + "/" + n))
            missing += (missing.empty() ? "" : ", ") + n;
    if (!missing.empty())
        throw InputError(dir, 0,
                         std::string("no CIFAR-10 ") + (train ? "training" : "test") + " set here: " +
                             missing + " not found (expected " + expected + ", the binary version)");

    ImageDataset data;
    data.source = dir;
    data.channels = kChannels;
    data.height = kSide;
    data.width = kSide;
    data.numClasses = 10;
    data.classNames = cifarClassNames(dir);
    for (const std::string &n : names) {
        const std::string path = dir + "/" + n;
        const std::vector<uint8_t> bytes = readFileBytes(path);
        if (bytes.empty() || bytes.size() % kRecordBytes != 0)
            throw InputError(path, 0,
                             "not a CIFAR-10 binary batch: " + std::to_string(bytes.size()) +
                                 " bytes is not a positive multiple of the " + std::to_string(kRecordBytes) +
                                 "-byte record (1 label byte, 3072 bytes of 32 x 32 R, G and B planes)");
        const int64_t records = static_cast<int64_t>(bytes.size()) / kRecordBytes;
        data.pixels.resize(static_cast<size_t>((data.count + records) * kImageBytes));
        data.labels.reserve(static_cast<size_t>(data.count + records));
        for (int64_t r = 0; r < records; ++r) {
            const uint8_t *record = bytes.data() + r * kRecordBytes;
            if (record[0] >= 10)
                throw InputError(path, 0,
                                 "label " + std::to_string(record[0]) + " of record " + std::to_string(r) +
                                     " is out of range: expected 0..9");
            data.labels.push_back(record[0]);
            std::memcpy(data.pixels.data() + (data.count + r) * kImageBytes, record + 1, kImageBytes);
        }
        data.count += records;
    }
    return data;
}

} // namespace bitloop
