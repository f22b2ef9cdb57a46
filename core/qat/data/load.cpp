// Datasets named on the command line: KIND[:DIR].
#include "qat/data/datasets.h"

#include "util/error.h"

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
    if (kind == "fashion-mnist")
        return readFashionMnist(hasDir ? dir : std::string(kFashionMnistDefaultDir), train);
    if (kind == "mnist" || kind == "cifar10") {
        if (!hasDir)
            throw InputError(spec, 0, kind + " needs its folder: " + kind + ":DIR");
        return kind == "mnist" ? readMnist(dir, train) : readCifar10(dir, train);
    }
    throw InputError(spec, 0,
                     "unknown dataset kind '" + kind + "': expected fashion-mnist (in " +
                         kFashionMnistDefaultDir + "), fashion-mnist:DIR, mnist:DIR or cifar10:DIR");
}

} // namespace bitloop
