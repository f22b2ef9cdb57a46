// The explorer's main window: set up a search, watch its Pareto front grow, click a point to see each
// layer's bit-widths, packing, energy and mapping, try what-if edits, pin points and compare them, and
// export what to build. What it shows lives in an ExplorerModel that it observes; every computation runs
// off the GUI thread (SearchController for the search, ExplorerJobs for the rest).
#pragma once

#include "explorer_model.h"
#include "search_controller.h"

#include <QMainWindow>

#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTabWidget;

namespace bitloop::gui
{

class CompareView;
class ExplorerJobs;
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

    // What is shown: the run's points, front, pins, selection and the configuration in the layer table.
    const ExplorerModel &model() const { return model_; }
    ExplorerJobs *jobs() const { return jobs_; }

    // Every evaluated individual of the run shown, in evaluation order (ids are indices).
    const std::vector<search::EvaluatedIndividual> &points() const { return model_.points(); }
    int selectedPoint() const { return model_.selected(); }
    const std::vector<int> &pinnedPoints() const { return model_.pinnedPoints(); }
    // Pinned what-if configurations, in the order pinned.
    std::vector<BitConfig> pinnedWhatIfs() const
    {
        std::vector<BitConfig> v;
        for (const auto &w : model_.whatIfPins())
            v.push_back(w.bits);
        return v;
    }
    // Ids of the points no other point dominates (in the run's objectives), in evaluation order.
    const std::vector<int> &frontPoints() const { return model_.front(); }
    // The configuration shown in the layer table (the selected point, or its what-if edit).
    const BitConfig &shownBits() const { return model_.shownBits(); }
    std::optional<search::CandidateCost> shownCost() const { return model_.shownCost(); }
    const NetworkMapping &shownMappings() const { return model_.shownMappings(); }
    // The `bitloop-cli` command that gives the shown configuration's energy (its bits written to a bits
    // file in the run's bits/ folder), as words and as the line shown above the layer table.
    QStringList reproduceArguments() const { return reproduceArgs_; }
    QString reproduceCommand() const;

public Q_SLOTS:
    void startSearch();
    void openRun(const QString &dir);
    // Follows a run another process is writing (bitloop --follow, File > Follow run…), reading only.
    void followRun(const QString &dir);
    void selectPoint(int id);
    void selectLayer(int layer);
    void editBits(int layer, int weightBits, int activationBits);
    void pinSelectedPoint();
    // Writes the shown configuration into exactly `dir` (created if need be).
    void exportSelected(const QString &dir);
    // Where File > Export selected configuration… puts it inside the folder chosen: a subfolder named
    // after the point (point-17, point-17-edited for its what-if edit), not the ~86 files loose.
    QString configurationFolder(const QString &parent) const;
    // Exports into configurationFolder(parent), asking first when that subfolder exists; the folder
    // written, or empty when the user declined or nothing is shown.
    QString exportSelectedInto(const QString &parent);
    // The layer table as CSV; `.csv` is added to a name without a suffix. The path written, or empty.
    QString exportLayerTable(const QString &path);
    void exportModel(const QString &dir, std::shared_ptr<const cli::SearchSetup> setup, BitConfig bits);
    // The run's front.csv with its numbers at 15 significant digits (1 − 0.56 is 0.43999999999999995 in
    // the run's file, 0.44 here); `.csv` is added to a name without a suffix.
    void exportFront(const QString &path);
    // PNG, PDF or SVG by the suffix; `scale` multiplies a PNG's pixels (2: twice the screen's size).
    void exportPlot(const QString &path, double scale = 1.0);
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
    // Construction (main_window.cpp): the widgets, then what connects them to the model and the jobs.
    void buildWidgets();
    void buildMenus();
    void connectControls();
    void connectController();
    void connectJobs();
    // What the model says, shown (main_window_run.cpp).
    void onModelEvent(const ExplorerModel::Event &e);
    void clearRun(); // forget the points, pins and history shown
    void onBatch(const std::vector<search::EvaluatedIndividual> &batch);
    void refreshPlot();
    void refreshAxes();
    void refreshCompare();
    void showConfiguration(const BitConfig &bits);
    void showCosted(const BitConfig &bits, const search::CandidateCost &cost, const NetworkMapping &mappings);
    void loadSession();
    void pushView(); // the axes' menus into the model (saved with the session)
    QString tooltipOf(int id) const;
    std::vector<search::Objective> axesObjectives() const;
    void addPinItem(int ref, const search::CandidateCost &cost); // ref: a point, or -2 - what-if index
    void updateFrontNote(int frontSize);
    void updateReproduceCommand(const BitConfig &bits);

    ExplorerModel model_;
    ExplorerJobs *jobs_;
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
    QPushButton *pin_;
    QListWidget *pinnedList_;
    QTabWidget *tabs_;
    QLabel *pointSummary_;
    QLineEdit *reproduce_;
    QStringList reproduceArgs_;
    QLabel *frontNote_;
    QPushButton *measureAccuracy_;
    bool applyingView_ = false; // a session's axes are being put into the menus
    // A start or open asked for: the shown run is cleared when the controller says ready, not before,
    // so that a refused start (a folder that holds a search, a bad architecture) loses nothing.
    bool clearOnReady_ = false;
    bool frontNoteDismissed_ = false; // Hide was clicked on the one-point-front note during this run
};

} // namespace bitloop::gui
