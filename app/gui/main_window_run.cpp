// The window's side of the run shown: what the model says becomes the plot, the pinned list and the layer
// table; what the user does (start, open, select, edit, pin, save) goes to the controller, the model or
// the jobs.
#include "main_window.h"

#include "explorer_jobs.h"
#include "reproduce_command.h"
#include "setup_panel.h"
#include "widgets/compare_view.h"
#include "widgets/layer_table.h"
#include "widgets/loop_nest_view.h"
#include "widgets/pareto_plot.h"
#include "widgets/run_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QStandardPaths>
#include <QStatusBar>

#include "io/bits_io.h"
#include "io/yaml_util.h"

#include <cmath>
#include <set>

namespace bitloop::gui
{

using search::Objective;

namespace
{

QString axisTitle(Objective o)
{
    switch (o) {
    case Objective::Error:
        return QStringLiteral("error (1 − top-1)");
    case Objective::Energy:
        return QStringLiteral("energy (µJ)");
    case Objective::Memory:
        return QStringLiteral("weight memory (bytes)");
    case Objective::Edp:
        return QStringLiteral("EDP (µJ × cycles)");
    case Objective::Cycles:
        return QStringLiteral("cycles");
    }
    return {};
}

} // namespace

void MainWindow::onModelEvent(const ExplorerModel::Event &e)
{
    using Event = ExplorerModel::Event;
    switch (e.kind) {
    case Event::Cleared:
        pinnedList_->clear();
        plot_->clearPoints();
        // The previous run's point, its layers, mapping and command are not this run's.
        table_->clearConfiguration();
        nest_->clear();
        pointSummary_->setText(tr("Click a point to see its layers."));
        reproduce_->clear();
        reproduceArgs_.clear();
        measureAccuracy_->setEnabled(false);
        break;
    case Event::PointsAdded:
        refreshPlot();
        break;
    case Event::PointPinned:
        addPinItem(e.index, model_.points()[static_cast<size_t>(e.index)].cost);
        refreshPlot();
        break;
    case Event::WhatIfPinned:
        addPinItem(-2 - e.index, model_.whatIfPins()[static_cast<size_t>(e.index)].cost);
        break;
    case Event::Selected:
        plot_->setSelected(e.index);
        // A what-if line in the status bar spoke of the point shown before.
        if (statusBar()->currentMessage().startsWith(tr("What-if")))
            statusBar()->clearMessage();
        showConfiguration(model_.points()[static_cast<size_t>(e.index)].bits);
        break;
    case Event::ShownChanged:
        showCosted(model_.shownBits(), *model_.shownCost(), model_.shownMappings());
        break;
    case Event::ViewChanged: {
        // Menu by menu; each change redraws, and none of them writes back a half-applied view.
        const ExplorerModel::PlotView v = model_.view();
        applyingView_ = true;
        const std::pair<QComboBox *, std::string> menus[] = {
            {xAxis_, v.x}, {yAxis_, v.y}, {colorBy_, v.color}};
        for (const auto &[menu, text] : menus) {
            const int i = menu->findText(QString::fromStdString(text));
            if (i >= 0)
                menu->setCurrentIndex(i);
        }
        showDominated_->setChecked(v.showDominated);
        applyingView_ = false;
        pushView();
        break;
    }
    }
}

void MainWindow::pushView()
{
    if (applyingView_)
        return;
    ExplorerModel::PlotView v;
    v.x = xAxis_->currentText().toStdString();
    v.y = yAxis_->currentText().toStdString();
    v.color = colorBy_->currentText().toStdString();
    v.showDominated = showDominated_->isChecked();
    model_.setView(v);
}

void MainWindow::clearRun()
{
    model_.clear();
    runPanel_->clearHistory();
}

void MainWindow::startSearch()
{
    if (controller_->busy())
        return;
    // Checked here, in the fields' own words, with the field marked; the controller's messages name the
    // command line's flags.
    if (const QString problem = setup_->validate(); !problem.isEmpty()) {
        statusBar()->showMessage(problem);
        return;
    }
    clearOnReady_ = true;
    const QStringList args = setup_->arguments();
    const qsizetype g = args.indexOf("--generations");
    model_.setMaxGenerations(g >= 0 ? args.value(g + 1).toInt() : 0);
    runPanel_->setRunning(true);
    controller_->start(args);
}

void MainWindow::openRun(const QString &dir)
{
    if (controller_->busy())
        return;
    clearOnReady_ = true;
    controller_->open(dir);
}

void MainWindow::followRun(const QString &dir)
{
    if (controller_->busy())
        return;
    clearOnReady_ = true;
    controller_->follow(dir);
}

std::vector<Objective> MainWindow::axesObjectives() const
{
    if (auto setup = controller_->setup())
        return setup->spec.objectives;
    // A followed run whose files are elsewhere has no setup here: its arguments name its objectives (the
    // CLI's default when they do not).
    const QStringList args = controller_->arguments();
    if (args.isEmpty())
        return {Objective::Energy, Objective::Memory};
    const qsizetype at = args.indexOf(QStringLiteral("--objectives"));
    try {
        return search::parseObjectives(at >= 0 ? args.value(at + 1).toStdString() : "error,energy,memory");
    } catch (const std::invalid_argument &) {
        return {Objective::Energy, Objective::Memory};
    }
}

void MainWindow::refreshAxes()
{
    // Start on the run's first two objectives (error and energy for the study's search).
    const std::vector<Objective> obj = axesObjectives();
    if (obj.size() >= 2) {
        xAxis_->setCurrentIndex(xAxis_->findData(int(obj[0])));
        yAxis_->setCurrentIndex(yAxis_->findData(int(obj[1])));
    }
    if (obj.size() >= 3)
        colorBy_->setCurrentIndex(colorBy_->findData(int(obj[2])));
}

void MainWindow::onBatch(const std::vector<search::EvaluatedIndividual> &batch)
{
    model_.addBatch(batch);
}

QString MainWindow::tooltipOf(int id) const
{
    const auto &e = model_.points()[static_cast<size_t>(id)];
    QString t = tr("point %1, generation %2\n").arg(id + 1).arg(e.generation);
    if (e.cost.accuracy >= 0)
        t +=
            tr("error %1 (top-1 %2)\n").arg(1.0 - e.cost.accuracy, 0, 'f', 4).arg(e.cost.accuracy, 0, 'f', 4);
    t += tr("energy %1 µJ\ncycles %2\nweight memory %3 bytes\n")
             .arg(e.cost.value(Objective::Energy), 0, 'f', 3)
             .arg(e.cost.cycles)
             .arg(e.cost.weightBytes);
    double wsum = 0, asum = 0;
    for (const LayerBits &b : e.bits) {
        wsum += b.weights;
        asum += b.activations;
    }
    const double n = std::max<size_t>(e.bits.size(), 1);
    t += tr("mean bits W %1 / A %2").arg(wsum / n, 0, 'f', 2).arg(asum / n, 0, 'f', 2);
    if (e.violation > 0)
        t += tr("\ninfeasible (violation %1)").arg(e.violation);
    return t;
}

void MainWindow::refreshPlot()
{
    const int xo = xAxis_->currentData().toInt(), yo = yAxis_->currentData().toInt(),
              co = colorBy_->currentData().toInt();
    const auto &points = model_.points();
    std::vector<ParetoPlot::PlotPoint> pts;
    pts.reserve(points.size());
    const std::set<int> pinned(model_.pinnedPoints().begin(), model_.pinnedPoints().end());
    for (size_t i = 0; i < points.size(); ++i) {
        const auto &e = points[i];
        ParetoPlot::PlotPoint p;
        p.x = plotValue(e, static_cast<Objective>(xo));
        p.y = plotValue(e, static_cast<Objective>(yo));
        if (!std::isfinite(p.x) || !std::isfinite(p.y))
            continue;
        p.id = static_cast<int>(i);
        p.generation = e.generation;
        p.color =
            co >= 0 ? plotValue(e, static_cast<Objective>(co)) : (co == -1 ? double(e.generation) : 0.0);
        p.dominated = model_.isDominated(p.id);
        p.pinned = pinned.count(p.id) > 0;
        p.tooltip = tooltipOf(p.id);
        pts.push_back(std::move(p));
    }
    plot_->setAxisTitles(axisTitle(static_cast<Objective>(xo)), axisTitle(static_cast<Objective>(yo)));
    plot_->setColorBy(co == -2   ? ParetoPlot::ColorBy::None
                      : co == -1 ? ParetoPlot::ColorBy::Generation
                                 : ParetoPlot::ColorBy::Value,
                      co >= 0 ? axisTitle(static_cast<Objective>(co)) : colorBy_->currentText());
    plot_->setPoints(std::move(pts));
    plot_->rescaleToPoints();
    if (model_.selected() >= 0)
        plot_->setSelected(model_.selected());
    plot_->replot();
}

void MainWindow::selectPoint(int id)
{
    model_.select(id); // the model's Selected event shows it
}

void MainWindow::showConfiguration(const BitConfig &bits)
{
    auto problem = controller_->problem();
    if (!problem)
        return;
    // Accuracy comes from the stored point, if one has these bits; the mapping from the jobs.
    jobs_->cost(problem, bits, model_.knownAccuracy(bits));
}

void MainWindow::showCosted(const BitConfig &bits, const search::CandidateCost &cost,
                            const NetworkMapping &mappings)
{
    auto setup = controller_->setup();
    if (!setup)
        return;
    // The table re-selects its current layer, which refreshes the loop nest (selectLayer); the first
    // configuration shown starts on the first layer.
    table_->setConfiguration(setup->spec.network, setup->spec.arch, bits, mappings);
    if (table_->currentLayer() < 0)
        table_->selectLayer(0);
    QString summary = tr("%1 µJ, %2 cycles, %3 bytes of weights")
                          .arg(cost.value(Objective::Energy), 0, 'f', 3)
                          .arg(cost.cycles)
                          .arg(cost.weightBytes);
    if (cost.accuracy >= 0)
        summary += tr(", top-1 %1").arg(cost.accuracy, 0, 'f', 4);
    pointSummary_->setText(summary + "   [" + QString::fromStdString(formatBitConfig(bits)) + "]");
    updateReproduceCommand(bits);
    measureAccuracy_->setEnabled(bool(setup->accuracy));
    Q_EMIT configurationShown();
}

QString MainWindow::reproduceCommand() const
{
    return reproduce_->text();
}

void MainWindow::updateReproduceCommand(const BitConfig &bits)
{
    reproduceArgs_.clear();
    reproduce_->clear();
    auto setup = controller_->setup();
    if (!setup || controller_->runDirectory().isEmpty())
        return;
    const int id = model_.selected();
    QString name = id >= 0 ? QStringLiteral("point-%1").arg(id + 1) : QStringLiteral("configuration");
    if (id >= 0 && bits != model_.points()[static_cast<size_t>(id)].bits)
        name += QStringLiteral("-edited");
    // Beside the run (bits/), or in the temporary folder for a followed run (another process's: nothing is
    // written into it) and for a run folder that cannot be written.
    const QString temp =
        QDir(QStandardPaths::writableLocation(QStandardPaths::TempLocation)).filePath("bitloop-bits");
    QStringList dirs = {temp};
    if (!controller_->following())
        dirs.prepend(QDir(controller_->runDirectory()).filePath(QStringLiteral("bits")));
    BitsFile bf;
    bf.layers = bits;
    bf.lastOutputBits = setup->spec.lastOutputBits;
    QString file, error;
    for (const QString &dir : dirs) {
        try {
            QDir().mkpath(dir);
            file = QDir(dir).filePath(name + QStringLiteral(".yaml"));
            yamlutil::writeFileAtomically(file.toStdString(), bitsFileToYaml(bf, setup->spec.network.name));
            error.clear();
            break;
        } catch (const std::exception &e) {
            error = QString::fromUtf8(e.what());
        }
    }
    if (!error.isEmpty()) {
        reproduce_->setPlaceholderText(tr("no command: %1").arg(error));
        return;
    }
    const QStringList runArgs = controller_->arguments();
    reproduceArgs_ =
        QStringList{QStringLiteral("map-network")} + mapNetworkArguments(runArgs, setup->spec.network, file);
    reproduce_->setText(shellCommand(QStringLiteral("bitloop-cli"), reproduceArgs_));
    reproduce_->setCursorPosition(0);
    reproduce_->setToolTip(
        runArgs.contains(QStringLiteral("--pin-mapping"))
            ? tr("The run pins mappings (--pin-mapping): map-network searches those layers' mappings anew, "
                 "so its energy can be lower")
            : tr("Gives this configuration's energy, per-layer figures and mappings (bits in %1)").arg(file));
}

void MainWindow::selectLayer(int layer)
{
    auto setup = controller_->setup();
    const NetworkMapping &shown = model_.shownMappings();
    if (!setup || layer < 0 || layer >= static_cast<int>(shown.layers.size()))
        return;
    nest_->setLayer(setup->spec.network.layers[static_cast<size_t>(layer)], setup->spec.arch,
                    shown.layers[static_cast<size_t>(layer)], layer);
}

void MainWindow::editBits(int layer, int weightBits, int activationBits)
{
    if (layer < 0 || layer >= static_cast<int>(model_.shownBits().size()))
        return;
    BitConfig bits = model_.shownBits();
    bits[static_cast<size_t>(layer)] = {weightBits, activationBits};
    model_.setWhatIf(bits);
    statusBar()->showMessage(
        tr("What-if: layer %1 at %2/%3 bits").arg(layer + 1).arg(weightBits).arg(activationBits));
    showConfiguration(bits);
}

void MainWindow::pinSelectedPoint()
{
    // The model's pin events add the list's item and mark the plot.
    if (model_.pinSelection() == ExplorerModel::PinResult::WhatIfPending)
        statusBar()->showMessage(tr("The edited configuration is still being mapped: pin it in a moment"));
}

void MainWindow::addPinItem(int ref, const search::CandidateCost &cost)
{
    const QString name = ref >= 0 ? tr("point %1").arg(ref + 1) : tr("what-if %1").arg(-1 - ref);
    auto *item = new QListWidgetItem(
        tr("%1: %2 µJ, %3 bytes%4")
            .arg(name)
            .arg(cost.value(Objective::Energy), 0, 'f', 2)
            .arg(cost.weightBytes)
            .arg(cost.accuracy >= 0 ? tr(", error %1").arg(1.0 - cost.accuracy, 0, 'f', 4) : QString()),
        pinnedList_);
    item->setData(Qt::UserRole, ref);
}

void MainWindow::refreshCompare()
{
    auto problem = controller_->problem();
    auto setup = controller_->setup();
    if (!problem || !setup)
        return;
    const auto &points = model_.points();
    const auto &whatIfs = model_.whatIfPins();
    std::vector<ComparePoint> cps;
    for (QListWidgetItem *item : pinnedList_->selectedItems()) {
        if (cps.size() == 4)
            break;
        const int id = item->data(Qt::UserRole).toInt();
        if (id < -1 && -2 - id >= static_cast<int>(whatIfs.size()))
            continue;
        const BitConfig &bits =
            id >= 0 ? points[static_cast<size_t>(id)].bits : whatIfs[size_t(-2 - id)].bits;
        const search::CandidateCost &cost =
            id >= 0 ? points[static_cast<size_t>(id)].cost : whatIfs[size_t(-2 - id)].cost;
        ComparePoint c;
        c.label = id >= 0 ? tr("point %1").arg(id + 1) : tr("what-if %1").arg(-1 - id);
        c.bits = bits;
        c.error = cost.accuracy >= 0 ? 1.0 - cost.accuracy : -1.0;
        c.weightBytes = cost.weightBytes;
        cps.push_back(std::move(c));
    }
    jobs_->compare(problem, setup, std::move(cps));
}

void MainWindow::saveSession()
{
    if (controller_->runDirectory().isEmpty())
        return;
    try {
        model_.saveSession(controller_->runDirectory().toStdString());
    } catch (const std::exception &e) {
        QMessageBox::warning(this, tr("Save session"), QString::fromUtf8(e.what()));
        return;
    }
    statusBar()->showMessage(tr("Session saved in %1").arg(controller_->runDirectory()));
}

void MainWindow::loadSession()
{
    if (!model_.loadSession(controller_->runDirectory().toStdString()))
        return;
    // The pinned points are compared at once (up to four).
    for (int i = 0; i < pinnedList_->count() && i < 4; ++i)
        pinnedList_->item(i)->setSelected(true);
}

void MainWindow::updateFrontNote(int frontSize)
{
    // The run's objectives: what its arguments say, or the CLI's default (which has error).
    const QStringList args = controller_->arguments();
    const int at = args.indexOf(QStringLiteral("--objectives"));
    const bool withError = at < 0 || args.value(at + 1).split(',').contains(QStringLiteral("error"));
    frontNote_->setVisible(!frontNoteDismissed_ && !withError && frontSize == 1 &&
                           model_.points().size() > 1);
}

} // namespace bitloop::gui
