// Datasets named on the command line: KIND[:DIR].
#include "qat/data/datasets.h"

#include "util/error.h"

#include <filesystem>
#include <regex>

namespace bitloop
{

ImageDataset loadDataset(const std::string &spec, bool train)
{
    const size_t colon = spec.find(':');
    const std::string kind = spec.substr(0, colon);
    const std::string dir = colon == std::string::npos ? std::string() : spec.substr(colon + 1);
    const bool hasDir = colon != std::string::npos;
    if (hasDir && dir.empty())
        throw InputError(spec, 0, "the dataset folder after ':' is empty: expected " + kind + ":DIR");
    if (kind == "folder") {
        if (!hasDir)
            throw InputError(spec, 0, "folder needs its folder: folder:DIR[:HxW]");
        // An optional ":HxW" at the end; anything else after a colon belongs to DIR.
        std::string root = dir;
        int height = 224, width = 224;
        std::smatch m;
        static const std::regex sizeSuffix(":([0-9]{1,5})x([0-9]{1,5})$");
        if (std::regex_search(dir, m, sizeSuffix)) {
            root = dir.substr(0, size_t(m.position(0)));
            height = std::stoi(m[1].str());
            width = std::stoi(m[2].str());
            if (root.empty())
                throw InputError(spec, 0, "the dataset folder is empty: expected folder:DIR[:HxW]");
        }
        std::error_code ec;
        const auto isDir = [&](const std::string &d) { return std::filesystem::is_directory(d, ec); };
        const std::string testDir = isDir(root + "/val") ? root + "/val" : root + "/test";
        if (isDir(root + "/train") && isDir(testDir))
            root = train ? root + "/train" : testDir;
        return readImageFolder(root, height, width, 3);
    }
    if (kind == "fashion-mnist")
        return readFashionMnist(hasDir ? dir : std::string(kFashionMnistDefaultDir), train);
    if (kind == "mnist" || kind == "cifar10") {
        if (!hasDir)
            throw InputError(spec, 0, kind + " needs its folder: " + kind + ":DIR");
        return kind == "mnist" ? readMnist(dir, train) : readCifar10(dir, train);
    }
    throw InputError(spec, 0,
                     "unknown dataset kind '" + kind + "': expected fashion-mnist (in " +
                         kFashionMnistDefaultDir + "), fashion-mnist:DIR, mnist:DIR, cifar10:DIR or folder:DIR[:HxW]");
}

} // namespace bitloop
