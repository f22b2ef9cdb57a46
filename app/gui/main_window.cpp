#include "main_window.h"
#include "window_layout.h"

#include "baseline.h"
#include "explorer_jobs.h"
#include "setup_panel.h"
#include "widgets/compare_view.h"
#include "widgets/layer_table.h"
#include "widgets/loop_nest_view.h"
#include "widgets/pareto_plot.h"
#include "widgets/run_panel.h"

#include "io/mapping_io.h"
#include "io/yaml_util.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <limits>

namespace bitloop::gui
{

using search::Objective;

namespace
{

constexpr Objective kAxisChoices[] = {Objective::Error, Objective::Energy, Objective::Memory, Objective::Edp,
                                      Objective::Cycles};

// A detail page in a scroll area: its content's minimum size (a layer's loop nest, tables and chart) then
// scrolls instead of growing the window past the screen once a point is shown (issue 15: 1250x1007).
QScrollArea *scrollable(QWidget *page, QWidget *parent)
{
    auto *area = new QScrollArea(parent);
    area->setWidget(page);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    return area;
}

// The folder a next run goes to after `dir` holds one: "runs/v1" -> "runs/v1-2", "runs/v1-2" -> "runs/v1-3",
// skipping names that exist.
QString freshRunDirectory(const QString &dir)
{
    QString base = dir;
    while (base.size() > 1 && base.endsWith(QLatin1Char('/')))
        base.chop(1);
    int n = 2;
    const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("^(.*)-(\\d+)$")).match(base);
    if (m.hasMatch()) {
        base = m.captured(1);
        n = m.captured(2).toInt() + 1;
    }
    while (QFileInfo::exists(QStringLiteral("%1-%2").arg(base).arg(n)))
        ++n;
    return QStringLiteral("%1-%2").arg(base).arg(n);
}

} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Bitloop"));
    controller_ = new SearchController(this);
    jobs_ = new ExplorerJobs(this);
    buildWidgets();
    buildMenus();
    statusBar()->showMessage(
        tr("Ready: press Start search (defaults explore energy and memory on Eyeriss)."));
    // With the default baseline at hand, the first search has an error objective.
    if (defaultBaselineExists()) {
        setup_->setNetwork(QStringLiteral("mobilenet_v1"), 0.25, 224);
        setup_->setCheckpoint(defaultBaselinePath());
    }
    model_.observe([this](const ExplorerModel::Event &e) { onModelEvent(e); });
    connectControls();
    connectController();
    connectJobs();
    pushView();
}

MainWindow::~MainWindow()
{
    delete jobs_; // waits for a running cost job while the model it reports to still exists
}

void MainWindow::buildWidgets()
{
    setup_ = new SetupPanel(this);
    auto *setupScroll = new QScrollArea(this);
    setupScroll->setWidget(setup_);
    setupScroll->setWidgetResizable(true);
    setupScroll->setMinimumWidth(380);
    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(setupScroll, 1);
    leftLayout->addWidget(setup_->runButtons());
    setup_->runButtons()->show();

    // The plot and its controls.
    auto *plotBox = new QWidget(this);
    auto *plotLayout = new QVBoxLayout(plotBox);
    auto *axes = new QHBoxLayout;
    xAxis_ = new QComboBox(plotBox);
    yAxis_ = new QComboBox(plotBox);
    colorBy_ = new QComboBox(plotBox);
    for (Objective o : kAxisChoices) {
        xAxis_->addItem(QString::fromUtf8(search::objectiveName(o)), int(o));
        yAxis_->addItem(QString::fromUtf8(search::objectiveName(o)), int(o));
        colorBy_->addItem(QString::fromUtf8(search::objectiveName(o)), int(o));
    }
    colorBy_->addItem(QStringLiteral("generation"), -1);
    colorBy_->addItem(QStringLiteral("none"), -2);
    xAxis_->setCurrentIndex(1); // energy
    yAxis_->setCurrentIndex(2); // memory
    colorBy_->setCurrentIndex(colorBy_->count() - 2);
    showDominated_ = new QCheckBox(tr("dominated points"), plotBox);
    showDominated_->setChecked(true);
    axes->addWidget(new QLabel(tr("x"), plotBox));
    axes->addWidget(xAxis_);
    axes->addWidget(new QLabel(tr("y"), plotBox));
    axes->addWidget(yAxis_);
    axes->addWidget(new QLabel(tr("colour"), plotBox));
    axes->addWidget(colorBy_);
    axes->addWidget(showDominated_);
    axes->addStretch(1);
    auto *resetZoom = new QToolButton(plotBox);
    resetZoom->setObjectName(QStringLiteral("resetZoom"));
    resetZoom->setText(tr("Reset zoom"));
    resetZoom->setToolTip(tr("Show every point again (or double-click empty space in the plot)"));
    axes->addWidget(resetZoom);
    pin_ = new QPushButton(tr("Pin point"), plotBox);
    axes->addWidget(pin_);
    plotLayout->addLayout(axes);
    plot_ = new ParetoPlot(plotBox);
    // Fits 1280x720 beside the tabs and the run panel (issue 15); at 200 the loop nest kept four lines in
    // view with a larger monospace font (Noto Sans Mono).
    plot_->setMinimumHeight(160);
    plotLayout->addWidget(plot_, 1);
    connect(resetZoom, &QToolButton::clicked, plot_, &ParetoPlot::resetZoom);
    pointSummary_ = new QLabel(tr("Click a point to see its layers."), plotBox);
    pointSummary_->setWordWrap(true);
    plotLayout->addWidget(pointSummary_);
    // The command line that gives the point's energy outside the explorer (issue 15: the obvious one
    // does not, the search's network has the checkpoint's channels and classes).
    auto *reproduceRow = new QHBoxLayout;
    reproduce_ = new QLineEdit(plotBox);
    reproduce_->setObjectName(QStringLiteral("reproduceCommand"));
    reproduce_->setReadOnly(true);
    reproduce_->setPlaceholderText(tr("the bitloop-cli command that gives the shown point's energy"));
    reproduce_->setStyleSheet(QStringLiteral("font-family: monospace;"));
    reproduce_->setToolTip(tr("Run it in a shell for this configuration's per-layer energies and mappings"));
    auto *copyCommand = new QPushButton(tr("Copy command"), plotBox);
    copyCommand->setObjectName(QStringLiteral("copyCommand"));
    reproduceRow->addWidget(reproduce_, 1);
    reproduceRow->addWidget(copyCommand);
    plotLayout->addLayout(reproduceRow);
    connect(copyCommand, &QPushButton::clicked, this, [this] {
        if (!reproduce_->text().isEmpty())
            QApplication::clipboard()->setText(reproduce_->text());
    });
    // The selected point: layers, the selected layer's mapping, pinned points.
    tabs_ = new QTabWidget(this);
    QTabWidget *tabs = tabs_;
    auto *layers = new QSplitter(Qt::Horizontal, tabs);
    auto *tableBox = new QWidget(layers);
    auto *tableLayout = new QVBoxLayout(tableBox);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    table_ = new LayerTable(tableBox);
    tableLayout->addWidget(table_, 1);
    measureAccuracy_ = new QPushButton(tr("Measure this configuration's accuracy"), tableBox);
    measureAccuracy_->setEnabled(false);
    tableLayout->addWidget(measureAccuracy_);
    nest_ = new LoopNestView(layers);
    layers->addWidget(tableBox);
    layers->addWidget(nest_);
    layers->setStretchFactor(0, 3);
    layers->setStretchFactor(1, 2);
    // 3:2 from the start: the layer table's size hint (every column) would otherwise leave the mapping a
    // sliver (325 of 1,489 pixels at 1920x1080). A remembered layout overrides it.
    layers->setSizes({3000, 2000});
    tabs->addTab(scrollable(layers, tabs), tr("Layers"));
    auto *pinnedBox = new QSplitter(Qt::Horizontal, tabs);
    pinnedList_ = new QListWidget(pinnedBox);
    pinnedList_->setSelectionMode(QAbstractItemView::MultiSelection);
    compare_ = new CompareView(pinnedBox);
    pinnedBox->addWidget(pinnedList_);
    pinnedBox->addWidget(compare_);
    pinnedBox->setStretchFactor(1, 3);
    tabs->addTab(scrollable(pinnedBox, tabs), tr("Pinned"));

    auto *centre = new QSplitter(Qt::Vertical, this);
    centre->addWidget(plotBox);
    centre->addWidget(tabs);
    // Half the height for the selected point's details: the plot reads well at half, a level table does not.
    centre->setStretchFactor(0, 1);
    centre->setStretchFactor(1, 1);
    centre->setSizes({1000, 1000});
    runPanel_ = new RunPanel(this);
    // In the run panel, where there is room at 1280x720 (under the plot the splitter leaves none).
    frontNote_ = runPanel_->note();
    frontNote_->setText(tr(
        "<b>One point on the front:</b> without accuracy as an objective, the narrowest bit-widths are best "
        "at both energy and weight memory. <a href=\"baseline\">Train the default baseline</a> (about five "
        "minutes) or give a checkpoint under Accuracy to weigh accuracy against them. "
        "<a href=\"hide\">Hide</a>"));
    frontNote_->setVisible(false);
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(centre, 1);
    rightLayout->addWidget(runPanel_);
    auto *main = new QSplitter(Qt::Horizontal, this);
    main->addWidget(left);
    main->addWidget(right);
    main->setStretchFactor(1, 1);
    setCentralWidget(main);
    // Remembered between sessions; panels hidden and shown from View (issue 15).
    main->setObjectName(QStringLiteral("mainSplitter"));
    centre->setObjectName(QStringLiteral("plotSplitter"));
    layers->setObjectName(QStringLiteral("layersSplitter"));
    pinnedBox->setObjectName(QStringLiteral("pinnedSplitter"));
    left->setObjectName(QStringLiteral("setupPanel"));
    runPanel_->setObjectName(QStringLiteral("runPanel"));
    layout_ = new WindowLayout(this);
    for (QSplitter *sp : {main, centre, layers, pinnedBox})
        layout_->addSplitter(sp);
    layout_->addPanel(left, tr("Setup panel"));
    layout_->addPanel(runPanel_, tr("Run panel"));
}

// The user's requests: from the setup panel, the plot and its menus, the layer table and the pinned list.
void MainWindow::connectControls()
{
    // Hidden for the rest of this run: at 1280x720 its lines come out of the loop nest's.
    connect(frontNote_, &QLabel::linkActivated, this, [this](const QString &link) {
        if (link == QLatin1String("hide")) {
            frontNoteDismissed_ = true;
            frontNote_->setVisible(false);
        } else {
            trainDefaultBaseline();
        }
    });
    connect(setup_, &SetupPanel::startRequested, this, &MainWindow::startSearch);
    connect(setup_, &SetupPanel::trainBaselineRequested, this, &MainWindow::trainDefaultBaseline);
    connect(setup_, &SetupPanel::cancelBaselineRequested, jobs_, &ExplorerJobs::cancelBaseline);
    connect(setup_, &SetupPanel::trainSupernetRequested, this, &MainWindow::trainSupernet);
    connect(setup_, &SetupPanel::cancelSupernetRequested, jobs_, &ExplorerJobs::cancelSupernet);
    connect(setup_, &SetupPanel::openRunRequested, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Open a run folder"));
        if (!d.isEmpty())
            openRun(d);
    });
    connect(pin_, &QPushButton::clicked, this, &MainWindow::pinSelectedPoint);
    connect(plot_, &ParetoPlot::pointClicked, this, &MainWindow::selectPoint);
    connect(table_, &LayerTable::layerSelected, this, &MainWindow::selectLayer);
    connect(table_, &LayerTable::bitsEdited, this, &MainWindow::editBits);
    connect(table_, &LayerTable::pinBitsRequested, this, [this](int layer) {
        const BitConfig &shown = model_.shownBits();
        if (layer < 0 || layer >= static_cast<int>(shown.size()))
            return;
        const LayerBits &b = shown[static_cast<size_t>(layer)];
        setup_->addPin(QString("%1:%2:%3").arg(layer + 1).arg(b.weights).arg(b.activations));
        statusBar()->showMessage(tr("Layer %1 held at %2/%3 bits in the next search.")
                                     .arg(layer + 1)
                                     .arg(b.weights)
                                     .arg(b.activations));
    });
    connect(table_, &LayerTable::pinMappingRequested, this, [this](int layer) {
        auto setup = controller_->setup();
        const NetworkMapping &shown = model_.shownMappings();
        if (!setup || layer < 0 || layer >= static_cast<int>(shown.layers.size()) ||
            !shown.layers[static_cast<size_t>(layer)].found)
            return;
        // The mapping goes to a file next to the run, named in the next search's arguments.
        const QString file =
            QDir(controller_->runDirectory()).filePath(QString("pinned-mapping-layer%1.yaml").arg(layer + 1));
        yamlutil::writeFileAtomically(
            file.toStdString(),
            mappingToYaml(setup->spec.arch, shown.layers[static_cast<size_t>(layer)].mapping));
        setup_->addMappingPin(QString("%1:%2").arg(layer + 1).arg(file));
        statusBar()->showMessage(
            tr("Layer %1's mapping held in the next search (%2).").arg(layer + 1).arg(file));
    });
    connect(measureAccuracy_, &QPushButton::clicked, this, [this] {
        auto setup = controller_->setup();
        if (!setup || !setup->accuracy || model_.shownBits().empty())
            return;
        measureAccuracy_->setEnabled(false);
        measureAccuracy_->setText(tr("Measuring…"));
        jobs_->measureAccuracy(setup, model_.shownBits());
    });
    for (QComboBox *c : {xAxis_, yAxis_, colorBy_})
        connect(c, &QComboBox::currentIndexChanged, this, [this] {
            pushView();
            refreshPlot();
        });
    connect(showDominated_, &QCheckBox::toggled, plot_, &ParetoPlot::setShowDominated);
    connect(showDominated_, &QCheckBox::toggled, this, &MainWindow::pushView);
    connect(pinnedList_, &QListWidget::itemSelectionChanged, this, [this] { refreshCompare(); });
    connect(pinnedList_, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem *item) {
        const int id = item->data(Qt::UserRole).toInt();
        const auto &whatIfs = model_.whatIfPins();
        if (id >= 0)
            selectPoint(id);
        else if (-2 - id < static_cast<int>(whatIfs.size()))
            showConfiguration(whatIfs[static_cast<size_t>(-2 - id)].bits);
    });
}

// The search's lifecycle as the controller reports it: accepted, batches, generations, the end.
void MainWindow::connectController()
{
    connect(controller_, &SearchController::ready, this, [this](const QString &dir) {
        if (clearOnReady_) {
            clearOnReady_ = false;
            clearRun();
            // Nothing of the previous run stays on show: generation 0 of this one, nothing evaluated.
            runPanel_->setProgress(0, model_.maxGenerations(), 0, std::numeric_limits<double>::quiet_NaN(), 0,
                                   0, -1);
            runPanel_->setBatchProgress(0, 0, 0, 0);
            frontNote_->setVisible(false);
            frontNoteDismissed_ = false;
        }
        setWindowTitle(QStringLiteral("Bitloop — %1").arg(dir));
        setup_->setArguments(controller_->arguments());
        // The run's limits as its setup resolved them (the CLI's default generations when none was given); a
        // followed run whose files are elsewhere has no setup here: its arguments say what they say.
        const QStringList args = controller_->arguments();
        if (const auto setup = controller_->setup()) {
            model_.setMaxGenerations(setup->settings.maxGenerations);
            model_.setMaxEvaluations(setup->settings.maxEvaluations);
        } else {
            if (args.contains(QStringLiteral("--generations")))
                model_.setMaxGenerations(
                    args.value(args.indexOf(QStringLiteral("--generations")) + 1).toInt());
            const qsizetype e = args.indexOf(QStringLiteral("--max-evaluations"));
            model_.setMaxEvaluations(e >= 0 ? args.value(e + 1).toLongLong() : 0);
        }
        model_.setObjectives(axesObjectives());
        refreshAxes();
        runPanel_->setRunning(controller_->busy(), controller_->following());
        statusBar()->showMessage(tr("Run folder %1").arg(dir));
    });
    connect(controller_, &SearchController::batchEvaluated, this, &MainWindow::onBatch);
    connect(controller_, &SearchController::batchProgress, runPanel_, &RunPanel::setBatchProgress);
    connect(controller_, &SearchController::candidateWork, runPanel_, &RunPanel::setCandidateWork);
    connect(controller_, &SearchController::generationDone, this,
            [this](const search::GenerationRecord &g, const search::Progress &p) {
                runPanel_->setProgress(g.generation, model_.maxGenerations(), g.evaluations, g.hypervolume,
                                       static_cast<int>(g.frontSize), p.elapsedSeconds, p.secondsLeft);
                runPanel_->addHypervolume(g.generation, g.hypervolume);
                model_.generationDone(g.generation, static_cast<long long>(g.evaluations));
                updateFrontNote(static_cast<int>(g.frontSize));
            });
    connect(controller_, &SearchController::finished, this, [this](const QString &reason) {
        runPanel_->setBatchProgress(0, 0, 0, 0);
        // A paused run, or a reopened one that stopped before its last generation, can be continued
        // (not one that its evaluation limit ended: Resume would stop it again at once).
        const bool unfinished = reason == QLatin1String("opened") && model_.unfinished();
        runPanel_->setStopped(reason == QLatin1String("paused") || unfinished);
        const auto n = model_.points().size();
        if (reason == QLatin1String("opened") && model_.endedAtEvaluationLimit())
            statusBar()->showMessage(tr("Run opened: %1 points; it ended at its limit of %2 evaluations "
                                        "(bitloop-cli search --resume %3 --max-evaluations N continues it)")
                                         .arg(n)
                                         .arg(model_.maxEvaluations())
                                         .arg(controller_->runDirectory()));
        else if (reason == QLatin1String("opened") && unfinished && model_.lastGeneration() < 0)
            statusBar()->showMessage(tr("Run opened: no generation stored yet; unless another process is "
                                        "running it, Resume continues it"));
        else if (reason == QLatin1String("opened"))
            statusBar()->showMessage(tr("Run opened: %1 points").arg(n));
        else if (reason == QLatin1String("paused"))
            statusBar()->showMessage(tr("Search paused: %1 points").arg(n));
        else if (reason == QLatin1String("stopped following"))
            statusBar()->showMessage(tr("Stopped following the run: %1 points").arg(n));
        else // the stop rule that ended it: maximum generations, maximum evaluations, wall time, ...
            statusBar()->showMessage(tr("Search stopped (%1): %2 points").arg(reason).arg(n));
        // The folder now holds this run: the next Start gets a fresh one rather than a refusal.
        if (reason != QLatin1String("paused") && !unfinished &&
            setup_->outputDirectory() == controller_->runDirectory())
            setup_->setOutputDirectory(freshRunDirectory(controller_->runDirectory()));
        if (reason == QLatin1String("opened")) {
            loadSession();
            Q_EMIT runOpened();
        }
    });
    connect(controller_, &SearchController::detailsUnavailable, this, [this](const QString &why) {
        statusBar()->showMessage(tr("Following %1: points and history only, its files are not here (%2)")
                                     .arg(controller_->runDirectory(), why));
    });
    connect(controller_, &SearchController::beingWritten, this, [this](const QString &writer) {
        statusBar()->showMessage(tr("Another process is writing this run (%1): following it as it grows; "
                                    "open it again once that process has ended to resume it")
                                     .arg(writer));
    });
    connect(controller_, &SearchController::failed, this, [this](const QString &message) {
        clearOnReady_ = false; // refused: what is shown stays
        runPanel_->setRunning(false);
        statusBar()->showMessage(message);
        QMessageBox::warning(this, tr("Bitloop"), message);
    });
    connect(runPanel_, &RunPanel::stopRequested, this, [this] {
        controller_->stop();
        runPanel_->setPaused(false); // a paused run stopped: nothing left to resume from here
    });
    connect(runPanel_, &RunPanel::pauseRequested, controller_, &SearchController::pause);
    connect(runPanel_, &RunPanel::resumeRequested, this, [this] {
        runPanel_->setRunning(true); // no longer paused
        controller_->resume();
    });
}

} // namespace bitloop::gui
