// The explorer's background work other than the search itself: costing a configuration for the layer
// table, per-layer energies for the comparison, an accuracy measurement, model.onnx for an export, and
// training the default baseline or a supernet. Each runs off the GUI thread (QtConcurrent) and answers
// with a signal on it, so that the window only asks and shows; the window never waits for one.
#pragma once

#include "search_setup.h"

#include "mapper/network_mapper.h"
#include "widgets/compare_view.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>

namespace bitloop::gui
{

class ExplorerJobs : public QObject
{
    Q_OBJECT

public:
    struct Costed {
        BitConfig bits;
        search::CandidateCost cost;
        NetworkMapping mappings;
    };

    explicit ExplorerJobs(QObject *parent = nullptr);
    ~ExplorerJobs() override; // waits for a running cost job (it holds the problem's mapper)

    // Maps and costs bits (the mapper answers evaluated points from its memo or cache; a what-if edit may
    // need new layer mappings). One at a time: a request made meanwhile waits, and only the latest one,
    // so the answers follow the user without a queue of stale ones. accuracy: what a stored point says.
    void cost(std::shared_ptr<search::CodesignProblem> problem, BitConfig bits,
              std::optional<double> accuracy);
    // Fills each point's per-layer and total energy (the setup's network names the layers).
    void compare(std::shared_ptr<search::CodesignProblem> problem,
                 std::shared_ptr<const cli::SearchSetup> setup, std::vector<ComparePoint> points);
    void measureAccuracy(std::shared_ptr<const cli::SearchSetup> setup, BitConfig bits);
    // model.onnx in dir as the run's evaluator prepares it: seconds (ptq, supernet) to minutes (qat).
    void exportModel(std::shared_ptr<const cli::SearchSetup> setup, BitConfig bits, QString dir);
    // False (and nothing starts) while one already trains.
    bool trainBaseline();
    bool trainSupernet(const QString &checkpoint, const QString &out);
    bool baselineTraining() const { return bool(baselineCancel_); }
    bool supernetTraining() const { return bool(supernetCancel_); }
    void cancelBaseline();
    void cancelSupernet();

Q_SIGNALS:
    void costed(const bitloop::gui::ExplorerJobs::Costed &shown);
    void costFailed(const QString &message);
    void compared(const bitloop::Network &network, const std::vector<bitloop::gui::ComparePoint> &points);
    void accuracyMeasured(const bitloop::BitConfig &bits, const bitloop::AccuracyResult &result);
    // error empty: written
    void modelExported(const QString &dir, const bitloop::AccuracyResult &result, const QString &error);
    void baselineProgress(int percent);      // every half second while it trains
    void baselineDone(const QString &error); // empty: ready; "cancelled": nothing written
    void supernetProgress(int percent);      // -1 while the widths' activation steps are initialised
    void supernetDone(const QString &out, const QString &error); // error empty: out is ready

private:
    struct CostRequest {
        std::shared_ptr<search::CodesignProblem> problem;
        BitConfig bits;
        std::optional<double> accuracy;
    };
    QFutureWatcher<Costed> *costWatcher_;
    std::optional<CostRequest> pendingCost_;
    std::shared_ptr<std::atomic<bool>> baselineCancel_, supernetCancel_; // set while each trains
};

} // namespace bitloop::gui
