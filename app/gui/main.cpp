// bitloop: the explorer. With a display it opens the main window on the default preset; without one
// (no DISPLAY / WAYLAND_DISPLAY, or --headless) it runs the default exploration through the same window
// code, offscreen, prints one line per generation and writes the front and a plot image.
#include "baseline.h"
#include "main_window.h"
#include "qat/threads.h"
#include "setup_panel.h"
#include "widgets/layer_table.h"
#include "widgets/pareto_plot.h"
#include "window_layout.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QGuiApplication>
#include <QIcon>
#include <QScreen>
#include <QTabWidget>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

namespace
{

bool haveDisplay()
{
    const char *platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && *platform)
        return std::string(platform) != "offscreen" && std::string(platform) != "minimal";
    return std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
}

} // namespace

int main(int argc, char **argv)
{
    // LibTorch's OpenMP threads spin while they wait, which beside the mapper or any other busy process costs
    // most of their time (docs/benchmarks.md §9, twenty-third session); libgomp reads the policy only when it
    // is loaded, so the explorer starts itself again with it once (a value the user gave is kept).
    if (!std::getenv("OMP_WAIT_POLICY") && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0)
        execv("/proc/self/exe", argv); // returns only on failure: then run as we are
    bitloop::qat::keepFreedMemory();   // before Qt's threads and the search's allocate
    bool headless = !haveDisplay();
    for (int i = 1; i < argc; ++i)
        headless = headless || std::string(argv[i]) == "--headless";
    if (headless)
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("bitloop"));
    QApplication::setOrganizationName(QStringLiteral("bitloop")); // settings in ~/.config/bitloop/
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/bitloop/bitloop.svg")));

    QCommandLineParser cli;
    cli.setApplicationDescription(
        QStringLiteral("Bitloop: co-design of bit-widths and mappings for CNN accelerators"));
    cli.addHelpOption();
    cli.addOption({QStringLiteral("headless"), QStringLiteral("Run the exploration without a window.")});
    cli.addOption({QStringLiteral("open"), QStringLiteral("Open a run folder."), QStringLiteral("DIR")});
    cli.addOption(
        {QStringLiteral("out"), QStringLiteral("Run folder for a new search."), QStringLiteral("DIR")});
    cli.addOption(
        {QStringLiteral("arch"), QStringLiteral("Architecture preset or file."), QStringLiteral("ARCH")});
    cli.addOption({QStringLiteral("follow"),
                   QStringLiteral("Follow a run folder another process is writing (local, or on a cluster's "
                                  "shared disk), reading only."),
                   QStringLiteral("DIR")});
    cli.addOption({QStringLiteral("checkpoint"), QStringLiteral("Checkpoint for the error objective."),
                   QStringLiteral("FILE")});
    cli.addOption({QStringLiteral("population"), QStringLiteral("Population size."), QStringLiteral("N")});
    cli.addOption({QStringLiteral("generations"), QStringLiteral("Generations."), QStringLiteral("N")});
    cli.addOption(
        {QStringLiteral("screenshot"),
         QStringLiteral(
             "After the search (or the opened run) is shown, save the window as an image and quit."),
         QStringLiteral("FILE")});
    cli.addOption({QStringLiteral("layer"), QStringLiteral("The layer (from 1) whose mapping to show."),
                   QStringLiteral("N")});
    cli.addOption({QStringLiteral("tab"), QStringLiteral("The detail tab to show: layers or pinned."),
                   QStringLiteral("NAME")});
    cli.process(app);

    bitloop::gui::MainWindow w;
    // 1500x950, or nine tenths of a larger screen; on a smaller one (1280x720) the whole window, run
    // buttons and run panel included, within what the screen offers.
    QSize size(1500, 950);
    if (const QScreen *screen = QGuiApplication::primaryScreen()) {
        // Nine tenths of a large screen (1728x972 of 1920x1080): the mapping's tabs get their rows.
        const QSize available = screen->availableGeometry().size();
        size = size.expandedTo(available * 0.9).boundedTo(available);
    }
    w.resize(size);
    // The layout the last session left (a screenshot is of the window as built, whatever was left).
    if (!cli.isSet("screenshot"))
        w.windowLayout()->restore();
    bitloop::gui::SetupPanel *setup = w.setupPanel();
    const QString out = cli.isSet("out")
                            ? cli.value("out")
                            : QDir::home().filePath(QStringLiteral("bitloop-runs/run-") +
                                                    QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss"));
    setup->setOutputDirectory(out);
    if (cli.isSet("arch"))
        setup->setArchitecture(cli.value("arch"));
    if (cli.isSet("checkpoint"))
        setup->setCheckpoint(cli.value("checkpoint"));
    // Headless, the default exploration is a little smaller than the window's (a few minutes on 2 cores).
    const int population = cli.isSet("population") ? cli.value("population").toInt() : headless ? 16 : 20;
    const int generations = cli.isSet("generations") ? cli.value("generations").toInt() : headless ? 6 : 10;
    setup->setSearchSize(population, generations);

    const QString screenshot = cli.value("screenshot");
    if (cli.value("tab") == QLatin1String("pinned"))
        w.detailTabs()->setCurrentIndex(1);
    if (cli.isSet("layer")) {
        const int layer = cli.value("layer").toInt() - 1;
        QObject::connect(&w, &bitloop::gui::MainWindow::configurationShown, &w,
                         [&w, layer] { w.layerTable()->selectLayer(layer); });
    }
    auto finish = [&] {
        if (!screenshot.isEmpty()) {
            w.grab().save(screenshot);
            std::printf("Window saved as %s\n", qPrintable(screenshot));
        }
        if (headless || !screenshot.isEmpty())
            QTimer::singleShot(0, &app, &QApplication::quit);
    };

    QObject::connect(w.controller(), &bitloop::gui::SearchController::generationDone, &w,
                     [&](const bitloop::search::GenerationRecord &g, const bitloop::search::Progress &) {
                         if (headless)
                             std::printf("gen %3d  evals %6lld  hv %.6g  front %3zu\n", g.generation,
                                         g.evaluations, g.hypervolume, g.frontSize);
                         std::fflush(stdout);
                     });
    QObject::connect(
        w.controller(), &bitloop::gui::SearchController::finished, &w, [&](const QString &reason) {
            const QString dir = w.controller()->runDirectory();
            if (headless) {
                const QString png = QDir(dir).filePath(QStringLiteral("front.png"));
                w.exportPlot(png);
                std::printf("Search %s: %zu points. Front: %s, plot: %s\n", qPrintable(reason),
                            w.points().size(), qPrintable(QDir(dir).filePath(QStringLiteral("front.csv"))),
                            qPrintable(png));
            }
            // Show a front point (the middle one in energy order) and a layer's mapping, then let the
            // window draw before a screenshot.
            if (!w.frontPoints().empty() && w.selectedPoint() < 0) { // not one a saved session selected
                std::vector<int> front = w.frontPoints();
                std::sort(front.begin(), front.end(), [&](int a, int b) {
                    return w.points()[size_t(a)].cost.energyPj < w.points()[size_t(b)].cost.energyPj;
                });
                w.selectPoint(front[front.size() / 2]);
            }
            QTimer::singleShot(1500, &w, finish);
        });
    QObject::connect(w.controller(), &bitloop::gui::SearchController::failed, &w,
                     [&](const QString &message) {
                         std::fprintf(stderr, "bitloop: %s\n", qPrintable(message));
                         if (headless)
                             QCoreApplication::exit(2);
                     });

    if (!headless)
        w.show();
    else
        std::printf("No display: running the default exploration headless into %s\n", qPrintable(out));
    if (cli.isSet("open")) {
        QTimer::singleShot(0, &w, [&] { w.openRun(cli.value("open")); });
    } else if (cli.isSet("follow")) {
        QTimer::singleShot(0, &w, [&] { w.followRun(cli.value("follow")); });
    } else if (headless || !screenshot.isEmpty()) {
        // The default exploration has an error objective: train the default baseline once if needed.
        if (!cli.isSet("checkpoint") && !bitloop::gui::defaultBaselineExists() &&
            bitloop::gui::defaultDatasetInstalled()) {
            std::printf("Training the default baseline (MobileNetV1 x0.25 on Fashion-MNIST, once) into %s\n",
                        qPrintable(bitloop::gui::defaultBaselinePath()));
            std::fflush(stdout);
            QObject::connect(&w, &bitloop::gui::MainWindow::baselineReady, &w,
                             [&](bool) { w.startSearch(); });
            QObject::connect(&w, &bitloop::gui::MainWindow::baselineProgress, &w, [](int percent) {
                static int shown = -10;
                if (percent >= shown + 10) {
                    shown = percent - percent % 10;
                    std::printf("training the baseline: %d%%\n", percent);
                    std::fflush(stdout);
                }
            });
            QTimer::singleShot(0, &w, [&] { w.trainDefaultBaseline(); });
        } else {
            QTimer::singleShot(0, &w, [&] { w.startSearch(); });
        }
    }
    return app.exec();
}
