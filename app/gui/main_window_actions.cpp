// The window's menus and the work it hands to ExplorerJobs: exports (configuration, model.onnx, front,
// plot), the baseline and supernet trainings, and what each job's answer changes on screen.
#include "main_window.h"
#include "window_layout.h"

#include "baseline.h"
#include "explorer_jobs.h"
#include "setup_panel.h"
#include "widgets/compare_view.h"
#include "widgets/layer_table.h"
#include "widgets/pareto_plot.h"

#include "io/yaml_util.h"
#include "search/configuration.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>

namespace bitloop::gui
{

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open run…"), this, [this] {
        const QString d = QFileDialog::getExistingDirectory(this, tr("Open a run folder"));
        if (!d.isEmpty())
            openRun(d);
    });
    file->addAction(tr("&Follow run…"), this, [this] {
        const QString d = QFileDialog::getExistingDirectory(
            this, tr("Follow a run folder another process is writing (local or on a shared disk)"));
        if (!d.isEmpty())
            followRun(d);
    });
    file->addAction(tr("&Save session"), this, &MainWindow::saveSession);
    file->addSeparator();
    file->addAction(tr("Export selected configuration…"), this, [this] {
        const QString d = QFileDialog::getExistingDirectory(
            this, tr("Export to a folder (the configuration gets a subfolder of its own)"));
        if (!d.isEmpty())
            exportSelectedInto(d);
    });
    file->addAction(tr("Export layer table as CSV…"), this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Layer table"), {}, tr("CSV (*.csv)"));
        if (!f.isEmpty())
            exportLayerTable(f);
    });
    file->addAction(tr("Export front as CSV…"), this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Front"), {}, tr("CSV (*.csv)"));
        if (!f.isEmpty())
            exportFront(f);
    });
    file->addAction(tr("Export plot (PNG, PDF, SVG)…"), this, [this] {
        const QString f =
            QFileDialog::getSaveFileName(this, tr("Plot"), {}, tr("Images (*.png *.pdf *.svg)"));
        if (f.isEmpty())
            return;
        double scale = 1.0;
        if (QFileInfo(f).suffix().toLower() == QLatin1String("png")) {
            // A PNG has the plot's pixels: offer more for slides and papers.
            const QStringList sizes = {
                tr("1× (%1 × %2 px, as on screen)").arg(plot_->width()).arg(plot_->height()),
                tr("2× (%1 × %2 px)").arg(2 * plot_->width()).arg(2 * plot_->height()),
                tr("3× (%1 × %2 px)").arg(3 * plot_->width()).arg(3 * plot_->height())};
            bool ok = false;
            const QString size =
                QInputDialog::getItem(this, tr("Plot size"), tr("Size of the PNG"), sizes, 1, false, &ok);
            if (!ok)
                return;
            scale = double(sizes.indexOf(size) + 1);
        }
        exportPlot(f, scale);
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

// The jobs' answers, on the GUI thread.
void MainWindow::connectJobs()
{
    connect(jobs_, &ExplorerJobs::costed, this, [this](const ExplorerJobs::Costed &s) {
        if (controller_->setup())
            model_.setShown(s.bits, s.cost, s.mappings); // its ShownChanged fills the table
    });
    connect(jobs_, &ExplorerJobs::costFailed, this,
            [this](const QString &message) { statusBar()->showMessage(message); });
    connect(jobs_, &ExplorerJobs::compared, this,
            [this](const Network &network, const std::vector<ComparePoint> &points) {
                compare_->setPoints(network, points);
            });
    connect(jobs_, &ExplorerJobs::accuracyMeasured, this,
            [this](const BitConfig &bits, const AccuracyResult &r) {
                measureAccuracy_->setText(tr("Measure this configuration's accuracy"));
                measureAccuracy_->setEnabled(true);
                // Only if the configuration measured is still the one on show.
                if (bits == model_.shownBits() && model_.shownCost()) {
                    model_.setShownAccuracy(r.accuracy);
                    pointSummary_->setText(
                        pointSummary_->text() +
                        tr("  accuracy %1 (%2 images)").arg(r.accuracy, 0, 'f', 4).arg(r.images));
                }
            });
    connect(jobs_, &ExplorerJobs::modelExported, this,
            [this](const QString &dir, const AccuracyResult &r, const QString &error) {
                if (!error.isEmpty()) {
                    QMessageBox::warning(this, tr("Export"), tr("model.onnx was not written: %1").arg(error));
                    return;
                }
                statusBar()->showMessage(
                    tr("Exported to %1 with model.onnx (top-1 %2 on %3 images as prepared)")
                        .arg(dir)
                        .arg(r.accuracy, 0, 'f', 4)
                        .arg(r.images));
            });
    connect(jobs_, &ExplorerJobs::baselineProgress, this, [this](int percent) {
        setup_->setTrainingBaseline(true, tr("Training the baseline… %1% (click to cancel)").arg(percent));
        Q_EMIT baselineProgress(percent);
    });
    connect(jobs_, &ExplorerJobs::baselineDone, this, [this](const QString &error) {
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
    connect(jobs_, &ExplorerJobs::supernetProgress, this, [this](int percent) {
        setup_->setTrainingSupernet(true, percent < 0 ? tr("Cancel supernet training (initialising…)")
                                                      : tr("Cancel supernet training (%1%)").arg(percent));
    });
    connect(jobs_, &ExplorerJobs::supernetDone, this, [this](const QString &out, const QString &error) {
        setup_->setTrainingSupernet(false);
        if (!error.isEmpty()) {
            statusBar()->showMessage(error);
            Q_EMIT supernetReady(false);
            return;
        }
        statusBar()->showMessage(tr("Supernet ready: %1 (the supernet evaluator is chosen)").arg(out));
        Q_EMIT supernetReady(true);
    });
}

void MainWindow::exportSelected(const QString &dir)
{
    auto setup = controller_->setup();
    if (!setup || model_.shownBits().empty() || !model_.shownCost())
        return;
    try {
        search::exportConfiguration(dir.toStdString(), setup->spec, model_.shownBits(), *model_.shownCost(),
                                    model_.shownMappings());
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
    exportModel(dir, setup, model_.shownBits());
}

void MainWindow::exportModel(const QString &dir, std::shared_ptr<const cli::SearchSetup> setup,
                             BitConfig bits)
{
    if (!setup->accuracy || !setup->accuracy->hasModel())
        return;
    statusBar()->showMessage(
        tr("Exported to %1; preparing model.onnx with the %2 evaluator…")
            .arg(dir, QString::fromUtf8(evaluatorName(setup->accuracy->settings().kind))));
    jobs_->exportModel(std::move(setup), std::move(bits), dir);
}

namespace
{

QString withSuffix(const QString &path, const QString &suffix)
{
    return QFileInfo(path).suffix().isEmpty() ? path + '.' + suffix : path;
}

// A CSV's fractional numbers at 15 significant digits, the rest as it is: a double's 16th and 17th digits
// are the noise of its arithmetic (1 - 0.56 = 0.43999999999999995), not a measurement.
QString withoutFloatNoise(const QString &csv)
{
    QStringList lines = csv.split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) { // the header names columns
        if (lines[i].contains('"'))
            continue; // a quoted field: not a row of numbers
        QStringList fields = lines[i].split(',');
        for (QString &f : fields) {
            if (!f.contains('.') && !f.contains('e') && !f.contains('E'))
                continue;
            bool ok = false;
            const double v = f.toDouble(&ok);
            if (ok)
                f = QString::number(v, 'g', 15);
        }
        lines[i] = fields.join(',');
    }
    return lines.join('\n');
}

} // namespace

QString MainWindow::configurationFolder(const QString &parent) const
{
    const int id = model_.selected();
    if (id < 0)
        return {};
    const bool edited = model_.shownBits() != model_.points()[static_cast<size_t>(id)].bits;
    return QDir(parent).filePath(QStringLiteral("point-%1%2").arg(id + 1).arg(edited ? "-edited" : ""));
}

QString MainWindow::exportSelectedInto(const QString &parent)
{
    const QString dir = configurationFolder(parent);
    if (dir.isEmpty() || model_.shownBits().empty() || !model_.shownCost())
        return {};
    if (QFileInfo::exists(dir) &&
        QMessageBox::question(this, tr("Export"),
                              tr("%1 exists. Write this configuration's files over the ones in it?").arg(dir),
                              QMessageBox::Yes | QMessageBox::No, QMessageBox::No) != QMessageBox::Yes)
        return {};
    exportSelected(dir);
    return dir;
}

QString MainWindow::exportLayerTable(const QString &path)
{
    const QString file = withSuffix(path, QStringLiteral("csv"));
    try {
        yamlutil::writeFileAtomically(file.toStdString(), table_->toCsv().toStdString());
    } catch (const std::exception &e) {
        QMessageBox::warning(this, tr("Export"), QString::fromUtf8(e.what()));
        return {};
    }
    statusBar()->showMessage(tr("Layer table written to %1").arg(file));
    return file;
}

void MainWindow::exportFront(const QString &path)
{
    const QString front = QDir(controller_->runDirectory()).filePath(QStringLiteral("front.csv"));
    QFile in(front);
    if (!in.open(QIODevice::ReadOnly)) {
        QMessageBox::warning(this, tr("Export"), tr("%1: no front yet").arg(front));
        return;
    }
    const QString file = withSuffix(path, QStringLiteral("csv"));
    try {
        yamlutil::writeFileAtomically(file.toStdString(),
                                      withoutFloatNoise(QString::fromUtf8(in.readAll())).toStdString());
    } catch (const std::exception &e) {
        QMessageBox::warning(this, tr("Export"), QString::fromUtf8(e.what()));
        return;
    }
    statusBar()->showMessage(tr("Front written to %1").arg(file));
}

void MainWindow::exportPlot(const QString &path, double scale)
{
    if (!plot_->exportImage(path, 0, 0, scale))
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
    if (jobs_->trainBaseline())
        setup_->setTrainingBaseline(true, tr("Training the baseline… (click to cancel)"));
}

void MainWindow::trainSupernet()
{
    const QString checkpoint = setup_->checkpoint();
    if (checkpoint.isEmpty() || jobs_->supernetTraining())
        return;
    const QString out = QString::fromStdString(qat::defaultSupernetPath(checkpoint.toStdString()));
    if (jobs_->trainSupernet(checkpoint, out))
        setup_->setTrainingSupernet(true, tr("Cancel supernet training (starting…)"));
}

} // namespace bitloop::gui
