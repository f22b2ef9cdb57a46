// The image-folder layout (ImageNet-style: DIR/<class>/*.JPEG): one subfolder per class, PNG or JPEG files
// in it. Decoding and resizing use stb (Debian's libstb-dev: stb_image and stb_image_resize, compiled into
// its shared libstb), the field's standard small, dependency-free decoder; we never define the
// STB_*_IMPLEMENTATION macros here since libstb already holds the code.
#include "qat/data/datasets.h"

#include "util/error.h"

#include <stb_image.h>
#include <stb_image_resize.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

namespace bitloop
{

namespace
{

namespace fs = std::filesystem;

bool isImageName(const std::string &name)
{
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos)
        return false;
    std::string ext = name.substr(dot + 1);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext == "png" || ext == "jpg" || ext == "jpeg";
}

// The names of the entries of `dir` that pass `keep`, sorted (byte order), hidden ones (".x") skipped.
template <typename Keep>
std::vector<std::string> sortedEntries(const std::string &dir, Keep keep)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.empty() && name[0] != '.' && keep(*it))
            names.push_back(name);
    }
    if (ec)
        throw InputError(dir, 0, "cannot list the folder: " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
}

// Decodes `path` to `channels` interleaved channels at its own size (stb converts: grey = luma
// (77 R + 150 G + 29 B) >> 8, grey -> RGB repeats it, alpha is dropped), then resizes it to
// height x width with stb_image_resize's default filters and writes it planar (CHW) to `out`.
void readImage(const std::string &path, int height, int width, int channels, uint8_t *out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw InputError(path, 0, "cannot open the file for reading");
    const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.empty())
        throw InputError(path, 0, "cannot decode the image: the file is empty");
    int w = 0, h = 0, fileChannels = 0;
    std::unique_ptr<stbi_uc, void (*)(void *)> decoded(
        stbi_load_from_memory(bytes.data(), int(bytes.size()), &w, &h, &fileChannels, channels),
        stbi_image_free);
    if (!decoded) {
        const char *reason = stbi_failure_reason();
        throw InputError(path, 0,
                         std::string("cannot decode the image (stb_image: ") + (reason ? reason : "unknown") +
                             "): expected a PNG or JPEG file");
    }
    std::vector<uint8_t> resized(size_t(height) * size_t(width) * size_t(channels));
    const uint8_t *hwc = decoded.get();
    if (w != width || h != height) {
        if (!stbir_resize_uint8(decoded.get(), w, h, 0, resized.data(), width, height, 0, channels))
            throw InputError(path, 0, "cannot resize the image from " + std::to_string(h) + " x " +
                                          std::to_string(w) + " to " + std::to_string(height) + " x " +
                                          std::to_string(width));
        hwc = resized.data();
    }
    const size_t plane = size_t(height) * size_t(width);
    for (size_t p = 0; p < plane; ++p)
        for (int c = 0; c < channels; ++c)
            out[size_t(c) * plane + p] = hwc[p * size_t(channels) + size_t(c)];
}

} // namespace

ImageDataset readImageFolder(const std::string &dir, int height, int width, int channels)
{
    if (channels != 1 && channels != 3)
        throw InputError(dir, 0, "cannot read images with " + std::to_string(channels) +
                                     " channels: expected 1 (grey) or 3 (RGB)");
    if (height < 1 || width < 1 || height > 4096 || width > 4096)
        throw InputError(dir, 0, "cannot resize images to " + std::to_string(height) + " x " +
                                     std::to_string(width) + ": expected 1 to 4096 on each side");
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw InputError(dir, 0, "no such folder: expected an image folder with one subfolder of PNG or JPEG "
                                 "files per class");
    const std::vector<std::string> classes =
        sortedEntries(dir, [](const fs::directory_entry &e) {
            std::error_code ec2;
            return e.is_directory(ec2);
        });
    if (classes.empty())
        throw InputError(dir, 0, "no class subfolders: expected one subfolder of PNG or JPEG files per class");
    if (classes.size() > 256)
        throw InputError(dir, 0, std::to_string(classes.size()) + " class subfolders: at most 256 are supported");

    std::vector<std::vector<std::string>> files;
    int64_t total = 0;
    for (const std::string &c : classes) {
        const std::string classDir = dir + "/" + c;
        files.push_back(sortedEntries(classDir, [](const fs::directory_entry &e) {
            std::error_code ec2;
            return e.is_regular_file(ec2) && isImageName(e.path().filename().string());
        }));
        if (files.back().empty())
            throw InputError(classDir, 0, "class '" + c + "' holds no images: expected .png, .jpg or .jpeg files");
        total += int64_t(files.back().size());
    }

    ImageDataset data;
    data.source = dir;
    data.count = total;
    data.channels = channels;
    data.height = height;
    data.width = width;
    data.numClasses = int(classes.size());
    data.classNames = classes;
    data.pixels.resize(size_t(total * data.imageSize()));
    data.labels.reserve(size_t(total));
    int64_t i = 0;
    for (size_t c = 0; c < classes.size(); ++c)
        for (const std::string &f : files[c]) {
            readImage(dir + "/" + classes[c] + "/" + f, height, width, channels,
                      data.pixels.data() + i * data.imageSize());
            data.labels.push_back(uint8_t(c));
            ++i;
        }
    return data;
}

} // namespace bitloop
