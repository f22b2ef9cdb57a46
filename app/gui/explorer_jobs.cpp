#include "explorer_jobs.h"

#include "baseline.h"

#include <QDir>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

namespace bitloop::gui
{

ExplorerJobs::ExplorerJobs(QObject *parent) : QObject(parent), costWatcher_(new QFutureWatcher<Costed>(this))
{
    connect(costWatcher_, &QFutureWatcher<Costed>::finished, this, [this] {
        // A newer request waited: this answer is already stale.
        if (pendingCost_) {
            CostRequest next = std::move(*pendingCost_);
            pendingCost_.reset();
            cost(std::move(next.problem), std::move(next.bits), next.accuracy);
            return;
        }
        try {
            Q_EMIT costed(costWatcher_->result());
        } catch (const std::exception &e) {
            Q_EMIT costFailed(QString::fromUtf8(e.what()));
        }
    });
}

ExplorerJobs::~ExplorerJobs()
{
    costWatcher_->waitForFinished();
}

void ExplorerJobs::cost(std::shared_ptr<search::CodesignProblem> problem, BitConfig bits,
                        std::optional<double> accuracy)
{
    if (costWatcher_->isRunning()) {
        pendingCost_ = CostRequest{std::move(problem), std::move(bits), accuracy};
        return;
    }
    costWatcher_->setFuture(QtConcurrent::run([problem, bits, accuracy] {
        Costed s;
        s.bits = bits;
        s.mappings = problem->mappings(bits);
        s.cost.energyPj = s.mappings.energy;
        s.cost.cycles = s.mappings.cycles;
        s.cost.weightBytes = s.mappings.weightBytes;
        s.cost.accuracy = accuracy.value_or(-1.0);
        for (const auto &l : s.mappings.layers)
            s.cost.invalidLayers += l.found ? 0 : 1;
        return s;
    }));
}

void ExplorerJobs::compare(std::shared_ptr<search::CodesignProblem> problem,
                           std::shared_ptr<const cli::SearchSetup> setup, std::vector<ComparePoint> points)
{
    // Per-layer energies come from the mapper's memo or cache: off the GUI thread all the same.
    auto *w = new QFutureWatcher<std::vector<ComparePoint>>(this);
    connect(w, &QFutureWatcher<std::vector<ComparePoint>>::finished, this, [this, w, setup] {
        w->deleteLater();
        Q_EMIT compared(setup->spec.network, w->result());
    });
    w->setFuture(QtConcurrent::run([problem, points]() mutable {
        for (ComparePoint &c : points) {
            const NetworkMapping nm = problem->mappings(c.bits);
            for (const auto &l : nm.layers)
                c.layerEnergyPj.push_back(l.found ? l.evaluation.energy : 0.0);
            c.totalEnergyPj = nm.energy;
        }
        return points;
    }));
}

void ExplorerJobs::measureAccuracy(std::shared_ptr<const cli::SearchSetup> setup, BitConfig bits)
{
    auto *w = new QFutureWatcher<AccuracyResult>(this);
    connect(w, &QFutureWatcher<AccuracyResult>::finished, this, [this, w, bits] {
        w->deleteLater();
        Q_EMIT accuracyMeasured(bits, w->result());
    });
    w->setFuture(QtConcurrent::run([setup, bits] { return setup->accuracy->evaluate(bits); }));
}

void ExplorerJobs::exportModel(std::shared_ptr<const cli::SearchSetup> setup, BitConfig bits, QString dir)
{
    const QString path = QDir(dir).filePath(QStringLiteral("model.onnx"));
    struct Outcome {
        AccuracyResult result;
        QString error;
    };
    auto *w = new QFutureWatcher<Outcome>(this);
    connect(w, &QFutureWatcher<Outcome>::finished, this, [this, w, dir] {
        w->deleteLater();
        const Outcome o = w->result();
        Q_EMIT modelExported(dir, o.result, o.error);
    });
    // The evaluator serves it between a running search's candidates.
    w->setFuture(QtConcurrent::run([setup, bits, path]() {
        Outcome o;
        try {
            o.result = setup->accuracy->exportModel(bits, path.toStdString());
        } catch (const std::exception &e) {
            o.error = QString::fromUtf8(e.what());
        }
        return o;
    }));
}

bool ExplorerJobs::trainBaseline()
{
    if (baselineCancel_)
        return false;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    baselineCancel_ = cancel;
    // The trainer reports from its own thread: the GUI looks at the figure twice a second.
    auto progress = std::make_shared<std::atomic<int>>(0);
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, [this, progress] { Q_EMIT baselineProgress(progress->load()); });
    timer->start(500);
    auto *w = new QFutureWatcher<QString>(this);
    connect(w, &QFutureWatcher<QString>::finished, this, [this, w, timer] {
        timer->stop(); // a tick already due would otherwise repaint the button as still training
        timer->deleteLater();
        w->deleteLater();
        baselineCancel_.reset();
        Q_EMIT baselineDone(w->result());
    });
    w->setFuture(QtConcurrent::run([progress, cancel]() -> QString {
        try {
            const qat::BaselineResult r = trainDefaultBaseline(
                [progress](const qat::TrainProgress &p) {
                    progress->store(static_cast<int>(100 * p.step / std::max<int64_t>(p.totalSteps, 1)));
                },
                cancel.get());
            return r.train.cancelled ? QStringLiteral("cancelled") : QString();
        } catch (const std::exception &e) {
            return QString::fromUtf8(e.what());
        }
    }));
    return true;
}

bool ExplorerJobs::trainSupernet(const QString &checkpoint, const QString &out)
{
    if (supernetCancel_)
        return false;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    supernetCancel_ = cancel;
    auto percent = std::make_shared<std::atomic<int>>(0);
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, [this, percent] { Q_EMIT supernetProgress(percent->load()); });
    timer->start(500);
    auto *w = new QFutureWatcher<QString>(this);
    connect(w, &QFutureWatcher<QString>::finished, this, [this, w, timer, out] {
        timer->stop(); // a tick already due would otherwise repaint the button as still training
        timer->deleteLater();
        w->deleteLater();
        supernetCancel_.reset();
        Q_EMIT supernetDone(out, w->result());
    });
    w->setFuture(QtConcurrent::run([checkpoint, out, cancel, percent]() -> QString {
        try {
            const qat::SupernetResult r = qat::trainSupernet(
                checkpoint.toStdString(), out.toStdString(), qat::SupernetOptions{}, false,
                [percent](const qat::SupernetProgress &p) {
                    percent->store(p.phase == "calibrate"
                                       ? -1
                                       : static_cast<int>(100 * p.step / std::max<int64_t>(p.totalSteps, 1)));
                },
                cancel.get());
            return r.cancelled ? QStringLiteral("Supernet training cancelled: nothing written") : QString();
        } catch (const std::exception &e) {
            return QString::fromUtf8(e.what());
        }
    }));
    return true;
}

void ExplorerJobs::cancelBaseline()
{
    if (baselineCancel_)
        baselineCancel_->store(true);
}

void ExplorerJobs::cancelSupernet()
{
    if (supernetCancel_)
        supernetCancel_->store(true);
}

} // namespace bitloop::gui
