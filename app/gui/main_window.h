// The explorer's main window: set up a search, watch its Pareto front grow, click a point to see each
// layer's bit-widths, packing, energy and mapping, try what-if edits, pin points and compare them, and
// export what to build. Every computation runs off the GUI thread (SearchController, QtConcurrent).
#pragma once

#include "search_controller.h"

#include "mapper/network_mapper.h"

#include <QFutureWatcher>
#include <QMainWindow>

#include <atomic>
#include <memory>

#include <optional>
#include <set>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QTabWidget;

namespace bitloop::gui
{

class CompareView;
class LayerTable;
class LoopNestView;
class ParetoPlot;
class RunPanel;
class SetupPanel;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    // What Help > About says: the version (the same as `bitloop-cli --version`) and where to read more.
    static QString aboutText();
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    SetupPanel *setupPanel() const { return setup_; }
    ParetoPlot *plot() const { return plot_; }
    LayerTable *layerTable() const { return table_; }
    LoopNestView *loopNestView() const { return nest_; }
    RunPanel *runPanel() const { return runPanel_; }
    class WindowLayout *windowLayout() const { return layout_; }
    // Shown under the plot when a run without accuracy ends up with a one-point front: why, and the
    // baseline that would give a trade-off.
    QLabel *frontNote() const { return frontNote_; }
    CompareView *compareView() const { return compare_; }
    QTabWidget *detailTabs() const { return tabs_; } // Layers, Pinned
    SearchController *controller() const { return controller_; }

    // Every evaluated individual of the run shown, in evaluation order (ids are indices).
    const std::vector<search::EvaluatedIndividual> &points() const { return points_; }
    int selectedPoint() const { return selected_; }
    const std::vector<int> &pinnedPoints() const { return pinned_; }
    // Pinned what-if configurations, in the order pinned.
    std::vector<BitConfig> pinnedWhatIfs() const
    {
        std::vector<BitConfig> v;
        for (const auto &w : whatIfPins_)
            v.push_back(w.bits);
        return v;
    }
    // Ids of the points no other point dominates (in the run's objectives), in evaluation order.
    const std::vector<int> &frontPoints() const { return archive_; }
    // The configuration shown in the layer table (the selected point, or its what-if edit).
    const BitConfig &shownBits() const { return shownBits_; }
    std::optional<search::CandidateCost> shownCost() const { return shownCost_; }
    const NetworkMapping &shownMappings() const { return shownMappings_; }

public Q_SLOTS:
    void startSearch();
    void openRun(const QString &dir);
    void selectPoint(int id);
    void selectLayer(int layer);
    void editBits(int layer, int weightBits, int activationBits);
    void pinSelectedPoint();
    void exportSelected(const QString &dir);
    void exportModel(const QString &dir, std::shared_ptr<const cli::SearchSetup> setup, BitConfig bits);
    void exportFront(const QString &path);
    void exportPlot(const QString &path);
    void saveSession();
    // Trains the default baseline in the background, then sets it as the checkpoint (error objective on).
    void trainDefaultBaseline();
    // Trains a supernet for the setup's checkpoint in the background (beside it, *.supernet.pt), with
    // progress on its button and cancellation; when done, the supernet evaluator is chosen.
    void trainSupernet();

Q_SIGNALS:
    void configurationShown(); // the layer table holds a new configuration's figures
    void runOpened();          // a reopened run's points are all drawn
    void baselineReady(bool ok);
    void baselineProgress(int percent);
    void supernetReady(bool ok);

private:
    std::shared_ptr<std::atomic<bool>> supernetCancel_;
    std::shared_ptr<std::atomic<bool>> baselineCancel_; // set while the default baseline trains
    void buildMenus();
    void clearRun(); // forget the points, pins and history shown
    void onBatch(const std::vector<search::EvaluatedIndividual> &batch);
    void refreshPlot();
    void refreshAxes();
    void refreshCompare();
    void showConfiguration(const BitConfig &bits);
    void loadSession();
    double objectiveOf(const search::EvaluatedIndividual &e, int objective) const;
    QString tooltipOf(int id) const;
    std::vector<search::Objective> axesObjectives() const;

    SearchController *controller_;
    SetupPanel *setup_;
    ParetoPlot *plot_;
    RunPanel *runPanel_;
    class WindowLayout *layout_ = nullptr;
    LayerTable *table_;
    LoopNestView *nest_;
    CompareView *compare_;
    QComboBox *xAxis_, *yAxis_, *colorBy_;
    QCheckBox *showDominated_;
    QListWidget *pinnedList_;
    QTabWidget *tabs_;
    QLabel *pointSummary_;
    QLabel *frontNote_;
    void updateFrontNote(int frontSize);
    QPushButton *measureAccuracy_;

    std::vector<search::EvaluatedIndividual> points_;
    std::vector<bool> dominated_;
    std::vector<int> archive_; // ids of the points no other point dominates
    std::vector<int> pinned_;
    // Pinned what-if configurations (a shown point with edited layers): not in points_, so the pinned
    // list's items refer to them as -2 - index.
    struct WhatIfPin {
        BitConfig bits;
        search::CandidateCost cost;
    };
    std::vector<WhatIfPin> whatIfPins_;
    std::optional<BitConfig> whatIf_; // the edited configuration asked for since the last selection
    void addPinItem(int ref, const search::CandidateCost &cost); // ref: a point, or -2 - what-if index
    int selected_ = -1;
    int maxGenerations_ = 0;
    // A start or open asked for: the shown run is cleared when the controller says ready, not before,
    // so that a refused start (a folder that holds a search, a bad architecture) loses nothing.
    bool clearOnReady_ = false;
    int lastGeneration_ = -1; // the last generation shown (-1: none)
    BitConfig shownBits_;
    std::optional<search::CandidateCost> shownCost_;
    NetworkMapping shownMappings_;
    struct Shown {
        BitConfig bits;
        search::CandidateCost cost;
        NetworkMapping mappings;
    };
    QFutureWatcher<Shown> *costWatcher_;
    std::optional<BitConfig> pendingBits_;
};

} // namespace bitloop::gui
