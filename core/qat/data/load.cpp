// Datasets named on the command line: KIND[:DIR].
#include "qat/data/datasets.h"

#include "util/error.h"

#include <filesystem>
#include <regex>

namespace bitloop
{

DatasetSpecParts splitDatasetSpec(const std::string &spec)
{
    DatasetSpecParts p;
    const size_t colon = spec.find(':');
    p.kind = spec.substr(0, colon);
    p.hasDir = colon != std::string::npos;
    if (!p.hasDir)
        return p;
    p.dir = spec.substr(colon + 1);
    // An optional ":HxW" at the end of a folder: spec; anything else after a colon belongs to DIR.
    static const std::regex sizeSuffix(":([0-9]{1,5})x([0-9]{1,5})$");
    std::smatch m;
    if (p.kind == "folder" && std::regex_search(p.dir, m, sizeSuffix)) {
        p.size = m.str(0);
        p.height = std::stoi(m[1].str());
        p.width = std::stoi(m[2].str());
        p.dir.resize(static_cast<size_t>(m.position(0)));
    }
    return p;
}

ImageDataset loadDataset(const std::string &spec, bool train)
{
    const DatasetSpecParts parts = splitDatasetSpec(spec);
    const std::string &kind = parts.kind, &dir = parts.dir;
    const bool hasDir = parts.hasDir;
    if (hasDir && dir.empty() && parts.size.empty())
        throw InputError(spec, 0, "the dataset folder after ':' is empty: expected " + kind + ":DIR");
    if (kind == "folder") {
        if (!hasDir)
            throw InputError(spec, 0, "folder needs its folder: folder:DIR[:HxW]");
        if (dir.empty())
            throw InputError(spec, 0, "the dataset folder is empty: expected folder:DIR[:HxW]");
        std::string root = dir;
        std::error_code ec;
        const auto isDir = [&](const std::string &d) { return std::filesystem::is_directory(d, ec); };
        const std::string testDir = isDir(root + "/val") ? root + "/val" : root + "/test";
        if (isDir(root + "/train") && isDir(testDir))
            root = train ? root + "/train" : testDir;
        return readImageFolder(root, parts.height, parts.width, 3);
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
                         kFashionMnistDefaultDir +
                         "), fashion-mnist:DIR, mnist:DIR, cifar10:DIR or folder:DIR[:HxW]");
}

} // namespace bitloop
