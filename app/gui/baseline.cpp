#include "baseline.h"

#include "mapper/cache.h"
#include "qat/data/datasets.h"
#include "workload/mobilenet.h"

#include <QDir>
#include <QFileInfo>

namespace bitloop::gui
{

QString defaultBaselinePath()
{
    return QDir(QString::fromStdString(defaultCacheDir()))
        .filePath(QStringLiteral("baselines/mobilenet_v1-x0.25-fashion-mnist.pt"));
}

bool defaultBaselineExists()
{
    return QFileInfo::exists(defaultBaselinePath());
}

bool defaultDatasetInstalled()
{
    return QDir(QString::fromUtf8(kFashionMnistDefaultDir)).exists();
}

qat::BaselineResult trainDefaultBaseline(const std::function<void(const qat::TrainProgress &)> &progress,
                                         const std::atomic<bool> *cancel)
{
    const ImageDataset train = loadDataset("fashion-mnist", true);
    const ImageDataset test = loadDataset("fashion-mnist", false);
    MobileNetOptions opt;
    opt.widthMultiplier = 0.25;
    opt.resolution = static_cast<int>(train.height);
    opt.numClasses = train.numClasses;
    opt.inputChannels = static_cast<int>(train.channels);
    opt.smallInput = true;
    qat::DataSplit split;
    split.trainLimit = 20000;
    qat::TrainOptions t;
    t.epochs = 2;
    t.batchSize = 32;
    t.threads = 2;
    QDir().mkpath(QFileInfo(defaultBaselinePath()).path());
    return qat::trainBaseline(mobileNetV1(opt), split, train, test, t, defaultBaselinePath().toStdString(),
                              progress, cancel);
}

} // namespace bitloop::gui
