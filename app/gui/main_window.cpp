#include "main_window.h"
#include "window_layout.h"

#include "baseline.h"
#include "setup_panel.h"
#include "widgets/compare_view.h"
#include "widgets/layer_table.h"
#include "widgets/loop_nest_view.h"
#include "widgets/pareto_plot.h"
#include "widgets/plot_export.h"
#include "widgets/run_panel.h"

#include "io/mapping_io.h"
#include "io/yaml_util.h"
#include "search/configuration.h"
#include "search/sorting.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <cmath>
#include <limits>

namespace bitloop::gui
{

using search::Objective;

namespace
{

constexpr Objective kAxisChoices[] = {Objective::Error, Objective::Energy, Objective::Memory, Objective::Edp,
                                      Objective::Cycles};

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

// Does a dominate b in every objective of the run (all minimized)?
bool dominates(const std::vector<double> &a, const std::vector<double> &b)
{
    bool strictly = false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] > b[i])
            return false;
        strictly = strictly || a[i] < b[i];
    }
    return strictly;
}

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
    costWatcher_ = new QFutureWatcher<Shown>(this);

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
    auto *pin = new QPushButton(tr("Pin point"), plotBox);
    axes->addWidget(pin);
    plotLayout->addLayout(axes);
    plot_ = new ParetoPlot(plotBox);
    plot_->setMinimumHeight(200); // fits 1280x720 beside the tabs and the run panel (issue 15)
    plotLayout->addWidget(plot_, 1);
    pointSummary_ = new QLabel(tr("Click a point to see its layers."), plotBox);
    pointSummary_->setWordWrap(true);
    plotLayout->addWidget(pointSummary_);
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
    centre->setStretchFactor(0, 3);
    centre->setStretchFactor(1, 2);
    runPanel_ = new RunPanel(this);
    // In the run panel, where there is room at 1280x720 (under the plot the splitter leaves none).
    frontNote_ = runPanel_->note();
    frontNote_->setText(
        tr("<b>One point on the front:</b> without accuracy as an objective, narrower bit-widths lower both "
           "energy and weight memory, so the narrowest configuration is best at both. "
           "<a href=\"baseline\">Train the default baseline</a> (about five minutes) to weigh accuracy "
           "against them, or give a checkpoint in the Accuracy settings."));
    frontNote_->setVisible(false);
    connect(frontNote_, &QLabel::linkActivated, this, [this] { trainDefaultBaseline(); });
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
    buildMenus();
    statusBar()->showMessage(
        tr("Ready: press Start search (defaults explore energy and memory on Eyeriss)."));

    connect(setup_, &SetupPanel::startRequested, this, &MainWindow::startSearch);
    connect(setup_, &SetupPanel::trainBaselineRequested, this, &MainWindow::trainDefaultBaseline);
    connect(setup_, &SetupPanel::cancelBaselineRequested, this, [this] {
        if (baselineCancel_)
            baselineCancel_->store(true);
    });
    connect(setup_, &SetupPanel::trainSupernetRequested, this, &MainWindow::trainSupernet);
    connect(setup_, &SetupPanel::cancelSupernetRequested, this, [this] {
        if (supernetCancel_)
            supernetCancel_->store(true);
    });
    // With the default baseline at hand, the first search has an error objective.
    if (defaultBaselineExists()) {
        setup_->setNetwork(QStringLiteral("mobilenet_v1"), 0.25, 224);
        setup_->setCheckpoint(defaultBaselinePath());
    }
    connect(setup_, &SetupPanel::openRunRequested, this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Open a run folder"));
        if (!d.isEmpty())
            openRun(d);
    });
    connect(pin, &QPushButton::clicked, this, &MainWindow::pinSelectedPoint);
    connect(plot_, &ParetoPlot::pointClicked, this, &MainWindow::selectPoint);
    connect(table_, &LayerTable::layerSelected, this, &MainWindow::selectLayer);
    connect(table_, &LayerTable::bitsEdited, this, &MainWindow::editBits);
    connect(table_, &LayerTable::pinBitsRequested, this, [this](int layer) {
        if (layer < 0 || layer >= static_cast<int>(shownBits_.size()))
            return;
        const LayerBits &b = shownBits_[static_cast<size_t>(layer)];
        setup_->addPin(QString("%1:%2:%3").arg(layer + 1).arg(b.weights).arg(b.activations));
        statusBar()->showMessage(tr("Layer %1 held at %2/%3 bits in the next search.")
                                     .arg(layer + 1)
                                     .arg(b.weights)
                                     .arg(b.activations));
    });
    connect(table_, &LayerTable::pinMappingRequested, this, [this](int layer) {
        auto setup = controller_->setup();
        if (!setup || layer < 0 || layer >= static_cast<int>(shownMappings_.layers.size()) ||
            !shownMappings_.layers[static_cast<size_t>(layer)].found)
            return;
        // The mapping goes to a file next to the run, named in the next search's arguments.
        const QString file =
            QDir(controller_->runDirectory()).filePath(QString("pinned-mapping-layer%1.yaml").arg(layer + 1));
        yamlutil::writeFileAtomically(
            file.toStdString(),
            mappingToYaml(setup->spec.arch, shownMappings_.layers[static_cast<size_t>(layer)].mapping));
        setup_->addMappingPin(QString("%1:%2").arg(layer + 1).arg(file));
        statusBar()->showMessage(
            tr("Layer %1's mapping held in the next search (%2).").arg(layer + 1).arg(file));
    });
    connect(measureAccuracy_, &QPushButton::clicked, this, [this] {
        auto setup = controller_->setup();
        if (!setup || !setup->accuracy || shownBits_.empty())
            return;
        measureAccuracy_->setEnabled(false);
        measureAccuracy_->setText(tr("Measuring…"));
        const BitConfig bits = shownBits_;
        auto *w = new QFutureWatcher<AccuracyResult>(this);
        connect(w, &QFutureWatcher<AccuracyResult>::finished, this, [this, w, bits] {
            const AccuracyResult r = w->result();
            w->deleteLater();
            measureAccuracy_->setText(tr("Measure this configuration's accuracy"));
            measureAccuracy_->setEnabled(true);
            if (bits == shownBits_ && shownCost_) {
                shownCost_->accuracy = r.accuracy;
                pointSummary_->setText(
                    pointSummary_->text() +
                    tr("  accuracy %1 (%2 images)").arg(r.accuracy, 0, 'f', 4).arg(r.images));
            }
        });
        w->setFuture(QtConcurrent::run([setup, bits] { return setup->accuracy->evaluate(bits); }));
    });
    for (QComboBox *c : {xAxis_, yAxis_, colorBy_})
        connect(c, &QComboBox::currentIndexChanged, this, [this] { refreshPlot(); });
    connect(showDominated_, &QCheckBox::toggled, plot_, &ParetoPlot::setShowDominated);
    connect(pinnedList_, &QListWidget::itemSelectionChanged, this, [this] { refreshCompare(); });
    connect(pinnedList_, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem *item) {
        const int id = item->data(Qt::UserRole).toInt();
        if (id >= 0)
            selectPoint(id);
        else if (-2 - id < static_cast<int>(whatIfPins_.size()))
            showConfiguration(whatIfPins_[static_cast<size_t>(-2 - id)].bits);
    });

    connect(controller_, &SearchController::ready, this, [this](const QString &dir) {
        if (clearOnReady_) {
            clearOnReady_ = false;
            clearRun();
            // Nothing of the previous run stays on show: generation 0 of this one, nothing evaluated.
            runPanel_->setProgress(0, maxGenerations_, 0, std::numeric_limits<double>::quiet_NaN(), 0, 0, -1);
            runPanel_->setBatchProgress(0, 0, 0, 0);
            frontNote_->setVisible(false);
        }
        setWindowTitle(QStringLiteral("Bitloop — %1").arg(dir));
        setup_->setArguments(controller_->arguments());
        const QStringList args = controller_->arguments();
        if (args.contains(QStringLiteral("--generations")))
            maxGenerations_ = args.value(args.indexOf(QStringLiteral("--generations")) + 1).toInt();
        refreshAxes();
        runPanel_->setRunning(controller_->busy());
        statusBar()->showMessage(tr("Run folder %1").arg(dir));
    });
    connect(controller_, &SearchController::batchEvaluated, this, &MainWindow::onBatch);
    connect(controller_, &SearchController::batchProgress, runPanel_, &RunPanel::setBatchProgress);
    connect(controller_, &SearchController::generationDone, this,
            [this](const search::GenerationRecord &g, const search::Progress &p) {
                runPanel_->setProgress(g.generation, maxGenerations_, g.evaluations, g.hypervolume,
                                       static_cast<int>(g.frontSize), p.elapsedSeconds, p.secondsLeft);
                runPanel_->addHypervolume(g.generation, g.hypervolume);
                lastGeneration_ = g.generation;
                updateFrontNote(static_cast<int>(g.frontSize));
            });
    connect(controller_, &SearchController::finished, this, [this](const QString &reason) {
        runPanel_->setRunning(false);
        runPanel_->setBatchProgress(0, 0, 0, 0);
        // A paused run, or a reopened one that stopped before its last generation, can be continued.
        const bool unfinished =
            reason == QLatin1String("opened") && lastGeneration_ >= 0 && lastGeneration_ < maxGenerations_;
        runPanel_->setPaused(reason == QLatin1String("paused") || unfinished);
        statusBar()->showMessage(tr("Search %1: %2 points").arg(reason).arg(points_.size()));
        // The folder now holds this run: the next Start gets a fresh one rather than a refusal.
        if (reason != QLatin1String("paused") && !unfinished &&
            setup_->outputDirectory() == controller_->runDirectory())
            setup_->setOutputDirectory(freshRunDirectory(controller_->runDirectory()));
        if (reason == QLatin1String("opened")) {
            loadSession();
            Q_EMIT runOpened();
        }
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
        runPanel_->setPaused(false);
        runPanel_->setRunning(true);
        controller_->resume();
    });
    connect(costWatcher_, &QFutureWatcher<Shown>::finished, this, [this] {
        if (pendingBits_) {
            const BitConfig next = *pendingBits_;
            pendingBits_.reset();
            showConfiguration(next);
            return;
        }
        Shown s;
        try {
            s = costWatcher_->result();
        } catch (const std::exception &e) {
            statusBar()->showMessage(QString::fromUtf8(e.what()));
            return;
        }
        auto setup = controller_->setup();
        if (!setup)
            return;
        shownBits_ = s.bits;
        shownCost_ = s.cost;
        shownMappings_ = s.mappings;
        // The table re-selects its current layer, which refreshes the loop nest (selectLayer); the first
        // configuration shown starts on the first layer.
        table_->setConfiguration(setup->spec.network, setup->spec.arch, s.bits, s.mappings);
        if (table_->currentLayer() < 0)
            table_->selectLayer(0);
        QString summary = tr("%1 µJ, %2 cycles, %3 bytes of weights")
                              .arg(s.cost.value(Objective::Energy), 0, 'f', 3)
                              .arg(s.cost.cycles)
                              .arg(s.cost.weightBytes);
        if (s.cost.accuracy >= 0)
            summary += tr(", top-1 %1").arg(s.cost.accuracy, 0, 'f', 4);
        pointSummary_->setText(summary + "   [" + QString::fromStdString(formatBitConfig(s.bits)) + "]");
        measureAccuracy_->setEnabled(bool(setup->accuracy));
        Q_EMIT configurationShown();
    });
}

MainWindow::~MainWindow()
{
    costWatcher_->waitForFinished();
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open run…"), this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Open a run folder"));
        if (!d.isEmpty())
            openRun(d);
    });
    file->addAction(tr("&Save session"), this, &MainWindow::saveSession);
    file->addSeparator();
    file->addAction(tr("Export selected configuration…"), this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Export to folder"));
        if (!d.isEmpty())
            exportSelected(d);
    });
    file->addAction(tr("Export layer table as CSV…"), this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Layer table"), {}, tr("CSV (*.csv)"));
        if (!f.isEmpty())
            yamlutil::writeFileAtomically(f.toStdString(), table_->toCsv().toStdString());
    });
    file->addAction(tr("Export front as CSV…"), this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Front"), {}, tr("CSV (*.csv)"));
        if (!f.isEmpty())
            exportFront(f);
    });
    file->addAction(tr("Export plot (PNG, PDF, SVG)…"), this, [this] {
        const QString f =
            QFileDialog::getSaveFileName(this, tr("Plot"), {}, tr("Images (*.png *.pdf *.svg)"));
        if (!f.isEmpty())
            exportPlot(f);
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), this, &QWidget::close);
    layout_->fillMenu(menuBar()->addMenu(tr("&View")));
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Bitloop"), this,
                    [this] { QMessageBox::about(this, tr("About Bitloop"), aboutText()); });
}

QString MainWindow::aboutText()
{
    return tr("<b>Bitloop %1</b><br>Per-layer bit-widths and mappings of CNN accelerators, co-searched.<br>"
              "Every number is reproducible with <tt>bitloop-cli</tt> (<tt>bitloop-cli --version</tt>: the "
              "same version).")
        .arg(QStringLiteral(BITLOOP_VERSION));
}

void MainWindow::clearRun()
{
    points_.clear();
    dominated_.clear();
    archive_.clear();
    pinned_.clear();
    whatIfPins_.clear();
    pinnedList_->clear();
    selected_ = -1;
    plot_->clearPoints();
    runPanel_->clearHistory();
    lastGeneration_ = -1;
}

void MainWindow::startSearch()
{
    if (controller_->busy())
        return;
    clearOnReady_ = true;
    const QStringList args = setup_->arguments();
    const qsizetype g = args.indexOf("--generations");
    maxGenerations_ = g >= 0 ? args.value(g + 1).toInt() : 0;
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

double MainWindow::objectiveOf(const search::EvaluatedIndividual &e, int objective) const
{
    const Objective o = static_cast<Objective>(objective);
    if (o == Objective::Error && e.cost.accuracy < 0)
        return std::nan("");
    return e.cost.value(o);
}

std::vector<Objective> MainWindow::axesObjectives() const
{
    auto setup = controller_->setup();
    return setup ? setup->spec.objectives : std::vector<Objective>{Objective::Energy, Objective::Memory};
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
    // Dominance over everything evaluated so far, in the run's objectives, kept as an archive of the
    // non-dominated ids: each new point is checked against the archive only.
    const std::vector<Objective> obj = axesObjectives();
    auto values = [&](const search::EvaluatedIndividual &e) {
        std::vector<double> v;
        for (Objective o : obj)
            v.push_back(o == Objective::Error && e.cost.accuracy < 0 ? 0.0 : e.cost.value(o));
        return v;
    };
    for (const auto &e : batch) {
        const int id = static_cast<int>(points_.size());
        points_.push_back(e);
        dominated_.push_back(e.violation > 0);
        if (e.violation > 0)
            continue;
        const std::vector<double> v = values(e);
        bool isDominated = false;
        for (int a : archive_) {
            const std::vector<double> av = values(points_[static_cast<size_t>(a)]);
            if (dominates(av, v) || av == v) {
                isDominated = true;
                break;
            }
        }
        if (isDominated) {
            dominated_.back() = true;
            continue;
        }
        std::vector<int> kept;
        for (int a : archive_) {
            if (dominates(v, values(points_[static_cast<size_t>(a)])))
                dominated_[static_cast<size_t>(a)] = true;
            else
                kept.push_back(a);
        }
        kept.push_back(id);
        archive_ = std::move(kept);
    }
    refreshPlot();
}

QString MainWindow::tooltipOf(int id) const
{
    const auto &e = points_[static_cast<size_t>(id)];
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
    std::vector<ParetoPlot::PlotPoint> pts;
    pts.reserve(points_.size());
    const std::set<int> pinned(pinned_.begin(), pinned_.end());
    for (size_t i = 0; i < points_.size(); ++i) {
        const auto &e = points_[i];
        ParetoPlot::PlotPoint p;
        p.x = objectiveOf(e, xo);
        p.y = objectiveOf(e, yo);
        if (!std::isfinite(p.x) || !std::isfinite(p.y))
            continue;
        p.id = static_cast<int>(i);
        p.generation = e.generation;
        p.color = co >= 0 ? objectiveOf(e, co) : (co == -1 ? double(e.generation) : 0.0);
        p.dominated = dominated_[i];
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
    if (selected_ >= 0)
        plot_->setSelected(selected_);
    plot_->replot();
}

void MainWindow::selectPoint(int id)
{
    if (id < 0 || id >= static_cast<int>(points_.size()))
        return;
    selected_ = id;
    whatIf_.reset();
    plot_->setSelected(id);
    // A what-if line in the status bar spoke of the point shown before.
    if (statusBar()->currentMessage().startsWith(tr("What-if")))
        statusBar()->clearMessage();
    showConfiguration(points_[static_cast<size_t>(id)].bits);
}

void MainWindow::showConfiguration(const BitConfig &bits)
{
    auto problem = controller_->problem();
    if (!problem)
        return;
    // The mapper answers from its memo or cache at once for evaluated points; a what-if edit may need a
    // few new layer mappings: either way off the GUI thread. Accuracy comes from the stored point.
    std::optional<double> accuracy;
    for (const auto &e : points_)
        if (e.bits == bits && e.cost.accuracy >= 0) {
            accuracy = e.cost.accuracy;
            break;
        }
    // One computation at a time; a request made meanwhile waits for it (only the latest one is kept), so
    // the GUI thread never waits.
    if (costWatcher_->isRunning()) {
        pendingBits_ = bits;
        return;
    }
    costWatcher_->setFuture(QtConcurrent::run([problem, bits, accuracy] {
        Shown s;
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

void MainWindow::selectLayer(int layer)
{
    auto setup = controller_->setup();
    if (!setup || layer < 0 || layer >= static_cast<int>(shownMappings_.layers.size()))
        return;
    nest_->setLayer(setup->spec.network.layers[static_cast<size_t>(layer)], setup->spec.arch,
                    shownMappings_.layers[static_cast<size_t>(layer)], layer);
}

void MainWindow::editBits(int layer, int weightBits, int activationBits)
{
    if (layer < 0 || layer >= static_cast<int>(shownBits_.size()))
        return;
    BitConfig bits = shownBits_;
    bits[static_cast<size_t>(layer)] = {weightBits, activationBits};
    whatIf_ = bits;
    statusBar()->showMessage(
        tr("What-if: layer %1 at %2/%3 bits").arg(layer + 1).arg(weightBits).arg(activationBits));
    showConfiguration(bits);
}

void MainWindow::pinSelectedPoint()
{
    if (selected_ < 0)
        return;
    const auto &e = points_[static_cast<size_t>(selected_)];
    // After a what-if edit the window shows another configuration than the selected point: pin that one,
    // once its figures are in.
    if (whatIf_) {
        if (!shownCost_ || shownBits_ != *whatIf_) {
            statusBar()->showMessage(
                tr("The edited configuration is still being mapped: pin it in a moment"));
            return;
        }
        for (const WhatIfPin &w : whatIfPins_)
            if (w.bits == shownBits_)
                return;
        whatIfPins_.push_back({shownBits_, *shownCost_});
        addPinItem(-2 - static_cast<int>(whatIfPins_.size() - 1), *shownCost_);
        return;
    }
    if (std::find(pinned_.begin(), pinned_.end(), selected_) != pinned_.end())
        return;
    pinned_.push_back(selected_);
    addPinItem(selected_, e.cost);
    refreshPlot();
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
    std::vector<ComparePoint> cps;
    for (QListWidgetItem *item : pinnedList_->selectedItems()) {
        if (cps.size() == 4)
            break;
        const int id = item->data(Qt::UserRole).toInt();
        if (id < -1 && -2 - id >= static_cast<int>(whatIfPins_.size()))
            continue;
        const BitConfig &bits =
            id >= 0 ? points_[static_cast<size_t>(id)].bits : whatIfPins_[size_t(-2 - id)].bits;
        const search::CandidateCost &cost =
            id >= 0 ? points_[static_cast<size_t>(id)].cost : whatIfPins_[size_t(-2 - id)].cost;
        ComparePoint c;
        c.label = id >= 0 ? tr("point %1").arg(id + 1) : tr("what-if %1").arg(-1 - id);
        c.bits = bits;
        c.error = cost.accuracy >= 0 ? 1.0 - cost.accuracy : -1.0;
        c.weightBytes = cost.weightBytes;
        cps.push_back(std::move(c));
    }
    // Per-layer energies come from the mapper's memo or cache: off the GUI thread all the same.
    auto *w = new QFutureWatcher<std::vector<ComparePoint>>(this);
    connect(w, &QFutureWatcher<std::vector<ComparePoint>>::finished, this, [this, w, setup] {
        compare_->setPoints(setup->spec.network, w->result());
        w->deleteLater();
    });
    w->setFuture(QtConcurrent::run([problem, cps]() mutable {
        for (ComparePoint &c : cps) {
            const NetworkMapping nm = problem->mappings(c.bits);
            for (const auto &l : nm.layers)
                c.layerEnergyPj.push_back(l.found ? l.evaluation.energy : 0.0);
            c.totalEnergyPj = nm.energy;
        }
        return cps;
    }));
}

void MainWindow::exportSelected(const QString &dir)
{
    auto setup = controller_->setup();
    if (!setup || shownBits_.empty() || !shownCost_)
        return;
    try {
        search::exportConfiguration(dir.toStdString(), setup->spec, shownBits_, *shownCost_, shownMappings_);
        const QString front = QDir(controller_->runDirectory()).filePath(QStringLiteral("front.csv"));
        if (QFile::exists(front)) {
            QFile::remove(QDir(dir).filePath(QStringLiteral("front.csv")));
            QFile::copy(front, QDir(dir).filePath(QStringLiteral("front.csv")));
        }
        statusBar()->showMessage(tr("Exported to %1").arg(dir));
    } catch (const std::exception &e) {
        QMessageBox::warning(this, tr("Export"), QString::fromUtf8(e.what()));
        return;
    }
    exportModel(dir, setup, shownBits_);
}

// model.onnx beside the configuration, as the run's evaluator prepares it: seconds (ptq, supernet) to
// minutes (qat), so off the GUI thread; the evaluator serves it between a running search's candidates.
void MainWindow::exportModel(const QString &dir, std::shared_ptr<const cli::SearchSetup> setup,
                             BitConfig bits)
{
    if (!setup->accuracy || !setup->accuracy->hasModel())
        return;
    const QString path = QDir(dir).filePath(QStringLiteral("model.onnx"));
    statusBar()->showMessage(
        tr("Exported to %1; preparing model.onnx with the %2 evaluator…")
            .arg(dir, QString::fromUtf8(evaluatorName(setup->accuracy->settings().kind))));
    struct Outcome {
        AccuracyResult result;
        QString error;
    };
    auto *w = new QFutureWatcher<Outcome>(this);
    connect(w, &QFutureWatcher<Outcome>::finished, this, [this, w, dir] {
        const Outcome o = w->result();
        w->deleteLater();
        if (!o.error.isEmpty()) {
            QMessageBox::warning(this, tr("Export"), tr("model.onnx was not written: %1").arg(o.error));
            return;
        }
        statusBar()->showMessage(tr("Exported to %1 with model.onnx (top-1 %2 on %3 images as prepared)")
                                     .arg(dir)
                                     .arg(o.result.accuracy, 0, 'f', 4)
                                     .arg(o.result.images));
    });
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

void MainWindow::exportFront(const QString &path)
{
    const QString front = QDir(controller_->runDirectory()).filePath(QStringLiteral("front.csv"));
    QFile in(front);
    if (!in.open(QIODevice::ReadOnly)) {
        QMessageBox::warning(this, tr("Export"), tr("%1: no front yet").arg(front));
        return;
    }
    yamlutil::writeFileAtomically(path.toStdString(), in.readAll().toStdString());
}

void MainWindow::exportPlot(const QString &path)
{
    if (!plot_->exportImage(path))
        QMessageBox::warning(this, tr("Export"), tr("Could not write %1").arg(path));
}

void MainWindow::trainDefaultBaseline()
{
    if (!defaultDatasetInstalled()) {
        QMessageBox::warning(this, tr("Bitloop"),
                             tr("Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)."));
        Q_EMIT baselineReady(false);
        return;
    }
    if (baselineCancel_)
        return;
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    baselineCancel_ = cancel;
    setup_->setTrainingBaseline(true, tr("Training the baseline… (click to cancel)"));
    auto progress = std::make_shared<std::atomic<int>>(0);
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, [this, progress] {
        setup_->setTrainingBaseline(true,
                                    tr("Training the baseline… %1% (click to cancel)").arg(progress->load()));
        Q_EMIT baselineProgress(progress->load());
    });
    timer->start(500);
    auto *w = new QFutureWatcher<QString>(this);
    connect(w, &QFutureWatcher<QString>::finished, this, [this, w, timer] {
        timer->deleteLater();
        w->deleteLater();
        baselineCancel_.reset();
        const QString error = w->result();
        setup_->setTrainingBaseline(false,
                                    tr("Train the default baseline (MobileNetV1 x0.25, Fashion-MNIST)"));
        if (error == QLatin1String("cancelled")) {
            statusBar()->showMessage(tr("Baseline training cancelled: nothing was written."));
            Q_EMIT baselineReady(false);
            return;
        }
        if (!error.isEmpty()) {
            statusBar()->showMessage(error);
            Q_EMIT baselineReady(false);
            return;
        }
        setup_->setNetwork(QStringLiteral("mobilenet_v1"), 0.25, 224);
        setup_->setCheckpoint(defaultBaselinePath());
        statusBar()->showMessage(tr("Baseline ready: %1").arg(defaultBaselinePath()));
        Q_EMIT baselineReady(true);
    });
    w->setFuture(QtConcurrent::run([progress, cancel]() -> QString {
        try {
            const qat::BaselineResult r = bitloop::gui::trainDefaultBaseline(
                [progress](const qat::TrainProgress &p) {
                    progress->store(static_cast<int>(100 * p.step / std::max<int64_t>(p.totalSteps, 1)));
                },
                cancel.get());
            return r.train.cancelled ? QStringLiteral("cancelled") : QString();
        } catch (const std::exception &e) {
            return QString::fromUtf8(e.what());
        }
    }));
}

void MainWindow::trainSupernet()
{
    const QString checkpoint = setup_->checkpoint();
    if (checkpoint.isEmpty() || supernetCancel_)
        return;
    const QString out = QString::fromStdString(qat::defaultSupernetPath(checkpoint.toStdString()));
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    supernetCancel_ = cancel;
    auto percent = std::make_shared<std::atomic<int>>(0);
    setup_->setTrainingSupernet(true, tr("Cancel supernet training (starting…)"));
    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, [this, percent] {
        const int p = percent->load();
        setup_->setTrainingSupernet(true, p < 0 ? tr("Cancel supernet training (initialising…)")
                                                : tr("Cancel supernet training (%1%)").arg(p));
    });
    timer->start(500);
    auto *w = new QFutureWatcher<QString>(this);
    connect(w, &QFutureWatcher<QString>::finished, this, [this, w, timer, out] {
        timer->deleteLater();
        w->deleteLater();
        supernetCancel_.reset();
        setup_->setTrainingSupernet(false);
        const QString error = w->result();
        if (!error.isEmpty()) {
            statusBar()->showMessage(error);
            Q_EMIT supernetReady(false);
            return;
        }
        statusBar()->showMessage(tr("Supernet ready: %1 (the supernet evaluator is chosen)").arg(out));
        Q_EMIT supernetReady(true);
    });
    w->setFuture(QtConcurrent::run([checkpoint, out, cancel, percent]() -> QString {
        try {
            const qat::SupernetResult r = qat::trainSupernet(
                checkpoint.toStdString(), out.toStdString(), qat::SupernetOptions{}, false,
                [percent](const qat::SupernetProgress &p) {
                    // -1 while each width's activation steps are initialised, before the first step.
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
}

void MainWindow::saveSession()
{
    if (controller_->runDirectory().isEmpty())
        return;
    QJsonObject s;
    QJsonArray pins;
    for (int id : pinned_)
        pins.append(id);
    s["pinned"] = pins;
    QJsonArray whatIfs; // configurations not in the run: their widths and what they cost
    for (const WhatIfPin &w : whatIfPins_) {
        QStringList bits;
        for (const LayerBits &b : w.bits)
            bits << QStringLiteral("%1/%2").arg(b.weights).arg(b.activations);
        QJsonObject o;
        o["bits"] = bits.join(' ');
        o["energy_pj"] = w.cost.energyPj;
        o["cycles"] = static_cast<double>(w.cost.cycles);
        o["weight_bytes"] = static_cast<double>(w.cost.weightBytes);
        o["accuracy"] = w.cost.accuracy;
        whatIfs.append(o);
    }
    s["pinned_what_ifs"] = whatIfs;
    s["selected"] = selected_;
    s["x"] = xAxis_->currentText();
    s["y"] = yAxis_->currentText();
    s["color"] = colorBy_->currentText();
    s["show_dominated"] = showDominated_->isChecked();
    yamlutil::writeFileAtomically(
        QDir(controller_->runDirectory()).filePath(QStringLiteral("session.json")).toStdString(),
        QJsonDocument(s).toJson().toStdString());
    statusBar()->showMessage(tr("Session saved in %1").arg(controller_->runDirectory()));
}

void MainWindow::loadSession()
{
    QFile f(QDir(controller_->runDirectory()).filePath(QStringLiteral("session.json")));
    if (!f.open(QIODevice::ReadOnly))
        return;
    const QJsonObject s = QJsonDocument::fromJson(f.readAll()).object();
    for (QComboBox *c : {xAxis_, yAxis_, colorBy_}) {
        const QString key = c == xAxis_ ? "x" : c == yAxis_ ? "y" : "color";
        const int i = c->findText(s[key].toString());
        if (i >= 0)
            c->setCurrentIndex(i);
    }
    showDominated_->setChecked(s["show_dominated"].toBool(true));
    for (const QJsonValue &v : s["pinned"].toArray()) {
        selected_ = v.toInt();
        if (selected_ >= 0 && selected_ < static_cast<int>(points_.size()))
            pinSelectedPoint();
    }
    selected_ = -1;
    const size_t layers = points_.empty() ? 0 : points_.front().bits.size();
    for (const QJsonValue &v : s["pinned_what_ifs"].toArray()) {
        const QJsonObject o = v.toObject();
        WhatIfPin w;
        for (const QString &t : o["bits"].toString().split(' ', Qt::SkipEmptyParts)) {
            const QStringList wa = t.split('/');
            bool okW = false, okA = false;
            const int wb = wa.value(0).toInt(&okW), ab = wa.value(1).toInt(&okA);
            if (wa.size() != 2 || !okW || !okA || wb < 1 || wb > 32 || ab < 1 || ab > 32)
                break;
            w.bits.push_back({wb, ab});
        }
        if (w.bits.size() != layers) // a damaged or foreign entry is left out
            continue;
        w.cost.energyPj = o["energy_pj"].toDouble();
        w.cost.cycles = static_cast<int64_t>(o["cycles"].toDouble());
        w.cost.weightBytes = static_cast<int64_t>(o["weight_bytes"].toDouble());
        w.cost.accuracy = o["accuracy"].toDouble(-1.0);
        whatIfPins_.push_back(w);
        addPinItem(-2 - static_cast<int>(whatIfPins_.size() - 1), w.cost);
    }
    // The pinned points are compared at once (up to four).
    for (int i = 0; i < pinnedList_->count() && i < 4; ++i)
        pinnedList_->item(i)->setSelected(true);
    const int sel = s["selected"].toInt(-1);
    if (sel >= 0)
        selectPoint(sel);
}

void MainWindow::updateFrontNote(int frontSize)
{
    // The run's objectives: what its arguments say, or the CLI's default (which has error).
    const QStringList args = controller_->arguments();
    const int at = args.indexOf(QStringLiteral("--objectives"));
    const bool withError = at < 0 || args.value(at + 1).split(',').contains(QStringLiteral("error"));
    frontNote_->setVisible(!withError && frontSize == 1 && points_.size() > 1);
}

} // namespace bitloop::gui
