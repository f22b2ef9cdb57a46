// The Pareto plot and the run panel: what is drawn (all points, the front only, pinned points apart,
// colour buckets), clicks and hovers found by pixel, image export in three formats, and the run
// panel's figures and buttons. The 10,000-point replot is timed and printed, not asserted.
#include "widgets/pareto_plot.h"
#include "widgets/run_panel.h"

#include <QContextMenuEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtTest>

#include <random>

using namespace bitloop::gui;
using PlotPoint = ParetoPlot::PlotPoint;

namespace
{

// A 20 x 10 grid, far apart in pixels so that every click has one nearest point. Every third point is
// on the front; generations run 0..9 along y.
std::vector<PlotPoint> gridPoints()
{
    std::vector<PlotPoint> pts;
    for (int i = 0; i < 200; ++i) {
        PlotPoint p;
        p.x = 1 + i % 20;
        p.y = 1 + i / 20;
        p.color = 0.5 * i;
        p.id = 1000 + i;
        p.generation = i / 20;
        p.dominated = i % 3 != 0;
        p.tooltip = QStringLiteral("point %1").arg(p.id);
        pts.push_back(p);
    }
    return pts;
}

int frontCount(const std::vector<PlotPoint> &pts)
{
    return int(std::count_if(pts.begin(), pts.end(), [](const PlotPoint &p) { return !p.dominated; }));
}

// A shown plot of a fixed size, so that pixels mean something.
void showPlot(ParetoPlot &plot)
{
    plot.resize(800, 600);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.replot();
}

QByteArray head(const QString &path, int n)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.read(n) : QByteArray();
}

} // namespace

class TestGuiPlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void drawsEveryPoint()
    {
        ParetoPlot plot;
        const auto pts = gridPoints();
        plot.setPoints(pts);
        QCOMPARE(plot.pointCount(), pts.size());
        QCOMPARE(plot.drawnPointCount(), int(pts.size()));
        plot.clearPoints();
        QCOMPARE(plot.drawnPointCount(), 0);
    }

    // Hiding dominated points leaves the front, plus the points the user chose: pinned and selected.
    void hidesDominated()
    {
        ParetoPlot plot;
        auto pts = gridPoints();
        plot.setPoints(pts);
        plot.setShowDominated(false);
        QCOMPARE(plot.drawnPointCount(), frontCount(pts));
        plot.setSelected(1001); // dominated
        QCOMPARE(plot.drawnPointCount(), frontCount(pts) + 1);
        plot.setPinned(1002, true); // dominated
        QCOMPARE(plot.drawnPointCount(), frontCount(pts) + 2);
        plot.setShowDominated(true);
        QCOMPARE(plot.drawnPointCount(), int(pts.size()));
    }

    // The front moves as a search runs; the step line keeps only what the two plotted axes call optimal.
    void frontAndStepLine()
    {
        ParetoPlot plot;
        std::vector<PlotPoint> pts;
        const double xy[][2] = {{1, 5}, {2, 3}, {3, 4}, {4, 1}, {5, 5}};
        for (int i = 0; i < 5; ++i)
            pts.push_back({xy[i][0], xy[i][1], 0, i, 0, i == 4, false, {}});
        plot.setPoints(pts);
        const QCPGraph *line = plot.frontLineGraph();
        QCOMPARE(line->dataCount(), 3); // (3, 4) is front in three objectives, beaten by (2, 3) in two
        QCOMPARE(line->data()->at(0)->key, 1.0);
        QCOMPARE(line->data()->at(1)->key, 2.0);
        QCOMPARE(line->data()->at(2)->key, 4.0);
        QCOMPARE(int(line->lineStyle()), int(QCPGraph::lsStepLeft));

        plot.setShowDominated(false);
        QCOMPARE(plot.drawnPointCount(), 4);
        plot.setFront({0, 3});
        QCOMPARE(plot.drawnPointCount(), 2);
        QCOMPARE(line->dataCount(), 2);
    }

    void addPointsGrowsAndReplaces()
    {
        ParetoPlot plot;
        auto pts = gridPoints();
        std::vector<PlotPoint> first(pts.begin(), pts.begin() + 120), rest(pts.begin() + 120, pts.end());
        plot.setPoints(first);
        plot.addPoints(rest);
        QCOMPARE(plot.drawnPointCount(), 200);
        plot.setShowDominated(false);
        QCOMPARE(plot.drawnPointCount(), frontCount(pts));
        // An id already there replaces its point: same count, the new place.
        PlotPoint moved = pts[1];
        moved.x = 30;
        moved.dominated = false;
        plot.addPoints({moved});
        QCOMPARE(int(plot.pointCount()), 200);
        QCOMPARE(plot.drawnPointCount(), frontCount(pts) + 1);
        showPlot(plot);
        const QPoint at = plot.pixelOf(moved.id);
        QCOMPARE(at.x(), qRound(plot.xAxis->coordToPixel(30)));
        QCOMPARE(plot.pointAt(at), moved.id);
    }

    void clickSelects()
    {
        ParetoPlot plot;
        plot.setPoints(gridPoints());
        showPlot(plot);
        QSignalSpy clicked(&plot, &ParetoPlot::pointClicked);
        for (int id : {1000, 1047, 1199}) {
            QTest::mouseClick(&plot, Qt::LeftButton, Qt::NoModifier, plot.pixelOf(id));
            QCOMPARE(clicked.count(), 1);
            QCOMPARE(clicked.takeFirst().at(0).toInt(), id);
            QCOMPARE(plot.selectedId(), id);
            // Highlighted: the selection graph holds exactly this point.
            const QCPGraph *sel = plot.selectionGraph();
            QCOMPARE(sel->dataCount(), 1);
            QCOMPARE(sel->data()->at(0)->key, 1.0 + (id - 1000) % 20);
            QCOMPARE(sel->data()->at(0)->value, 1.0 + (id - 1000) / 20);
        }
        // A few pixels off still hits; half-way between grid points hits nothing and keeps the selection.
        QTest::mouseClick(&plot, Qt::LeftButton, Qt::NoModifier, plot.pixelOf(1010) + QPoint(4, -3));
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.takeFirst().at(0).toInt(), 1010);
        const QPoint between = (plot.pixelOf(1010) + plot.pixelOf(1011)) / 2;
        QTest::mouseClick(&plot, Qt::LeftButton, Qt::NoModifier, between);
        QCOMPARE(clicked.count(), 0);
        QCOMPARE(plot.selectedId(), 1010);

        plot.setSelected(1005);
        QCOMPARE(plot.selectedId(), 1005);
        QCOMPARE(plot.selectionGraph()->data()->at(0)->key, 6.0);
        plot.setSelected(-1);
        QCOMPARE(plot.selectionGraph()->dataCount(), 0);
    }

    // Hidden points are not hit: a click there must not select something the user cannot see.
    void hiddenPointsAreNotPicked()
    {
        ParetoPlot plot;
        plot.setPoints(gridPoints());
        plot.setShowDominated(false);
        showPlot(plot);
        QCOMPARE(plot.pointAt(plot.pixelOf(1001)), -1);
        QCOMPARE(plot.pointAt(plot.pixelOf(1003)), 1003);
    }

    void logAxesKeepPicking()
    {
        ParetoPlot plot;
        plot.setPoints(gridPoints());
        plot.setLogX(true);
        plot.setLogY(true);
        showPlot(plot);
        QCOMPARE(int(plot.xAxis->scaleType()), int(QCPAxis::stLogarithmic));
        QCOMPARE(plot.pointAt(plot.pixelOf(1199)), 1199);
        QCOMPARE(plot.pointAt(plot.pixelOf(1000)), 1000);
        QCOMPARE(plot.drawnPointCount(), 200);
    }

    void hoverShowsTooltip()
    {
        ParetoPlot plot;
        plot.setPoints(gridPoints());
        showPlot(plot);
        QTest::mouseMove(&plot, plot.pixelOf(1042));
        QTRY_COMPARE(plot.hoveredId(), 1042);
        QTRY_COMPARE(QToolTip::text(), QStringLiteral("point 1042"));
        QTest::mouseMove(&plot, plot.pixelOf(1143) + QPoint(2, 2));
        QTRY_COMPARE(plot.hoveredId(), 1143);
        QTRY_COMPARE(QToolTip::text(), QStringLiteral("point 1143"));
        QTest::mouseMove(&plot, (plot.pixelOf(1010) + plot.pixelOf(1011)) / 2);
        QTRY_COMPARE(plot.hoveredId(), -1);
        QTRY_VERIFY(!QToolTip::isVisible());
    }

    void pinnedDrawnApart()
    {
        ParetoPlot plot;
        auto pts = gridPoints();
        for (int i : {0, 1, 50})
            pts[i].pinned = true; // one front point, two dominated
        plot.setPoints(pts);
        const QCPGraph *pinned = plot.pinnedGraph();
        QCOMPARE(pinned->dataCount(), 3);
        QCOMPARE(int(pinned->scatterStyle().shape()), int(QCPScatterStyle::ssDiamond));
        // Each point drawn once: the pinned ones only in their own graph.
        QCOMPARE(plot.drawnPointCount(), 200);
        const QColor pinnedColor = plot.drawnColorOf(1000);
        QCOMPARE(plot.drawnColorOf(1001), pinnedColor);
        QVERIFY(plot.drawnColorOf(1003) != pinnedColor);
        QVERIFY(plot.drawnColorOf(1004) != pinnedColor);
        plot.setShowDominated(false);
        QCOMPARE(plot.drawnPointCount(), frontCount(pts) + 2);
        plot.setPinned(1001, false);
        QCOMPARE(pinned->dataCount(), 2);
        QCOMPARE(plot.drawnPointCount(), frontCount(pts) + 1);
    }

    void colourByGeneration()
    {
        ParetoPlot plot;
        plot.setColorBy(ParetoPlot::ColorBy::Generation, QStringLiteral("generation"));
        plot.setPoints(gridPoints());
        QCOMPARE(plot.colorRange(), QCPRange(0, 9));
        QCOMPARE(plot.colorScale()->dataRange(), QCPRange(0, 9));
        QCOMPARE(plot.colorScale()->axis()->label(), QStringLiteral("generation"));
        QVERIFY(plot.colorScale()->layout() != nullptr);
        // Ends of the range take the gradient's ends (bucket centres), the middle lies between.
        QCPColorGradient g = plot.colorScale()->gradient();
        const QCPRange r(0, 9);
        const double half = 0.5 / ParetoPlot::kBuckets * 9;
        QCOMPARE(plot.drawnColorOf(1000).rgb(), g.color(half, r));     // generation 0, front
        QCOMPARE(plot.drawnColorOf(1180).rgb(), g.color(9 - half, r)); // generation 9, dominated
        QVERIFY(plot.drawnColorOf(1000).rgb() != plot.drawnColorOf(1180).rgb());
        QCOMPARE(plot.drawnColorOf(1000).rgb(), plot.drawnColorOf(1019).rgb()); // same generation

        // A later generation widens the range and recolours.
        PlotPoint late{50, 50, 0, 5000, 18, false, false, {}};
        plot.addPoints({late});
        QCOMPARE(plot.colorRange(), QCPRange(0, 18));
        QCOMPARE(plot.drawnColorOf(5000).rgb(),
                 g.color(18 - 0.5 / ParetoPlot::kBuckets * 18, QCPRange(0, 18)));
        QCOMPARE(plot.drawnPointCount(), 201);

        plot.setColorBy(ParetoPlot::ColorBy::Value, QStringLiteral("memory"));
        QCOMPARE(plot.colorRange(), QCPRange(0, 99.5));
        plot.setColorBy(ParetoPlot::ColorBy::None);
        QVERIFY(plot.colorScale()->layout() == nullptr);
        QCOMPARE(plot.drawnColorOf(1000), plot.drawnColorOf(1180 - 60 + 3)); // one front colour
    }

    // Zoomed and panned, the plot comes back to every point: a double click on empty space, or the context
    // menu's Reset zoom; a double click on a point selects it and leaves the view alone.
    void doubleClickAndMenuResetTheZoom()
    {
        ParetoPlot plot;
        plot.setPoints(gridPoints());
        showPlot(plot);
        const QCPRange x0 = plot.xAxis->range(), y0 = plot.yAxis->range();
        auto sameAsBefore = [&] {
            return qFuzzyCompare(plot.xAxis->range().lower, x0.lower) &&
                   qFuzzyCompare(plot.xAxis->range().upper, x0.upper) &&
                   qFuzzyCompare(plot.yAxis->range().lower, y0.lower) &&
                   qFuzzyCompare(plot.yAxis->range().upper, y0.upper);
        };
        auto zoomAndPan = [&] {
            const QPoint at = plot.pixelOf(1047);
            QWheelEvent wheel(at, plot.mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton,
                              Qt::NoModifier, Qt::NoScrollPhase, false);
            QApplication::sendEvent(&plot, &wheel);
            const QPoint from = (plot.pixelOf(1010) + plot.pixelOf(1011)) / 2;
            QTest::mousePress(&plot, Qt::LeftButton, Qt::NoModifier, from);
            QMouseEvent move(QEvent::MouseMove, from + QPoint(40, 25),
                             plot.mapToGlobal(from + QPoint(40, 25)), Qt::NoButton, Qt::LeftButton,
                             Qt::NoModifier);
            QApplication::sendEvent(&plot, &move);
            QTest::mouseRelease(&plot, Qt::LeftButton, Qt::NoModifier, from + QPoint(40, 25));
            plot.replot();
        };
        zoomAndPan();
        QVERIFY(!sameAsBefore());
        QVERIFY(plot.xAxis->range().size() < 0.9 * x0.size());
        // On a point: selected, the view stays.
        const QCPRange zoomed = plot.xAxis->range();
        int onPoint = -1;
        for (int id = 1000; id < 1200 && onPoint < 0; ++id)
            if (plot.axisRect()->rect().contains(plot.pixelOf(id)) && plot.pointAt(plot.pixelOf(id)) == id)
                onPoint = id;
        QVERIFY(onPoint >= 0);
        QTest::mouseDClick(&plot, Qt::LeftButton, Qt::NoModifier, plot.pixelOf(onPoint));
        QCOMPARE(plot.selectedId(), onPoint);
        QCOMPARE(plot.xAxis->range(), zoomed);
        // On empty space: every point again.
        QPoint empty = plot.axisRect()->rect().topLeft() + QPoint(3, 3);
        QCOMPARE(plot.pointAt(empty), -1);
        QTest::mouseDClick(&plot, Qt::LeftButton, Qt::NoModifier, empty);
        QVERIFY(sameAsBefore());
        QCOMPARE(plot.selectedId(), onPoint);

        // The context menu's entry.
        zoomAndPan();
        QVERIFY(!sameAsBefore());
        QString entry;
        QTimer pick;
        QObject::connect(&pick, &QTimer::timeout, [&] {
            if (auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget())) {
                for (QAction *a : menu->actions())
                    if (a->text() == "Reset zoom") {
                        entry = a->text();
                        a->trigger();
                    }
                menu->close();
            }
        });
        pick.start(50);
        QContextMenuEvent menuEvent(QContextMenuEvent::Mouse, empty, plot.mapToGlobal(empty));
        QApplication::sendEvent(&plot, &menuEvent);
        pick.stop();
        QCOMPARE(entry, QString("Reset zoom"));
        QVERIFY(sameAsBefore());
    }

    // A PNG at 2x has twice the pixels of the plot on screen, in both directions.
    void pngAtTwiceTheScale()
    {
        ParetoPlot plot;
        plot.setPoints(gridPoints());
        showPlot(plot);
        QTemporaryDir dir;
        const QString png = dir.filePath("front@2x.png");
        QVERIFY(plot.exportImage(png, 0, 0, 2.0));
        QCOMPARE(QImage(png).size(), 2 * plot.size());
        QVERIFY(plot.exportImage(png, 400, 300, 2.0));
        QCOMPARE(QImage(png).size(), QSize(800, 600));
    }

    void exportsImages()
    {
        ParetoPlot plot;
        plot.setAxisTitles(QStringLiteral("energy (uJ)"), QStringLiteral("error (%)"));
        plot.setPoints(gridPoints());
        showPlot(plot);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());

        const QString png = dir.filePath(QStringLiteral("front.png"));
        QVERIFY(plot.exportImage(png));
        QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), plot.size());
        QVERIFY(plot.exportImage(png, 640, 480)); // over the old file
        QCOMPARE(QImage(png).size(), QSize(640, 480));
        QCOMPARE(plot.pointAt(plot.pixelOf(1042)), 1042); // the export left the layout as it was

        const QString pdf = dir.filePath(QStringLiteral("front.pdf"));
        QVERIFY(plot.exportImage(pdf));
        QCOMPARE(head(pdf, 4), QByteArray("%PDF"));

        const QString svg = dir.filePath(QStringLiteral("front.svg"));
        QVERIFY(plot.exportImage(svg));
        QFile f(svg);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray text = f.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("</svg>"));

        const QString stem = dir.filePath(QStringLiteral("front"));
        QVERIFY(!QFile::exists(png + ".tmp") && !QFile::exists(pdf + ".tmp") && !QFile::exists(svg + ".tmp"));
        QVERIFY(!plot.exportImage(stem + QStringLiteral(".bmpx")));
        QVERIFY(!QFile::exists(stem + QStringLiteral(".bmpx")));
        QVERIFY(!QFile::exists(stem + QStringLiteral(".bmpx.tmp")));

        for (const char *ext : {"png", "pdf", "svg"}) {
            const QString bad = dir.filePath(QStringLiteral("missing/front.") + ext);
            QVERIFY2(!plot.exportImage(bad), ext);
            QVERIFY(!QFile::exists(bad) && !QFile::exists(bad + ".tmp"));
        }
    }

    // Not a test of speed (no bound is asserted): prints what a 10,000-point plot costs.
    void tenThousandPoints()
    {
        std::mt19937_64 rng(7);
        std::uniform_real_distribution<double> u(0, 1);
        std::vector<PlotPoint> pts;
        for (int i = 0; i < 10000; ++i) {
            const double x = u(rng), y = (1 - x) * (0.2 + u(rng)) + 0.05;
            pts.push_back({x, y, u(rng), i, i / 100, u(rng) > 0.05, i % 997 == 0,
                           QStringLiteral("individual %1").arg(i)});
        }
        ParetoPlot plot;
        plot.setColorBy(ParetoPlot::ColorBy::Generation, QStringLiteral("generation"));
        showPlot(plot);
        QElapsedTimer t;
        t.start();
        plot.setPoints(pts);
        const qint64 setNs = t.nsecsElapsed();
        plot.replot();
        const qint64 firstNs = t.nsecsElapsed() - setNs;
        t.restart();
        for (int i = 0; i < 10; ++i)
            plot.replot();
        const double replotMs = t.nsecsElapsed() / 10 / 1e6;
        QCOMPARE(plot.drawnPointCount(), 10000);

        t.restart();
        int hits = 0;
        for (int i = 0; i < 100; ++i)
            hits += plot.pointAt(plot.pixelOf(i * 97)) >= 0;
        const double pickUs = t.nsecsElapsed() / 100 / 1e3;
        QCOMPARE(hits, 100);

        std::vector<PlotPoint> more;
        for (int i = 0; i < 100; ++i)
            more.push_back({u(rng), 1 + u(rng), 0, 20000 + i, 50, true, false, {}});
        t.restart();
        plot.addPoints(more);
        plot.replot();
        const double addMs = t.nsecsElapsed() / 1e6;

        qInfo("10,000 points: setPoints %.1f ms, first replot %.1f ms, replot %.1f ms, pick %.0f us, "
              "addPoints(100) + replot %.1f ms",
              setNs / 1e6, firstNs / 1e6, replotMs, pickUs, addMs);
    }

    void runPanelFigures()
    {
        RunPanel panel;
        panel.setProgress(3, 50, 1234, 0.8125, 17, 83.4, 296.6);
        QCOMPARE(panel.generationText(), QStringLiteral("3 / 50"));
        QCOMPARE(panel.evaluationsText(), QStringLiteral("1234"));
        QCOMPARE(panel.hypervolumeText(), QStringLiteral("0.8125"));
        QCOMPARE(panel.frontSizeText(), QStringLiteral("17"));
        QCOMPARE(panel.elapsedText(), QStringLiteral("1:23"));
        QCOMPARE(panel.timeLeftText(), QStringLiteral("4:57"));
        QCOMPARE(panel.progressBar()->value(), 3);
        QCOMPARE(panel.progressBar()->maximum(), 50);

        panel.setProgress(7, 0, 9000000000LL, qQNaN(), 0, 3725, -1);
        QCOMPARE(panel.generationText(), QStringLiteral("7"));
        QCOMPARE(panel.evaluationsText(), QStringLiteral("9000000000"));
        QCOMPARE(panel.hypervolumeText(), QString(QChar(0x2013)));
        QCOMPARE(panel.elapsedText(), QStringLiteral("1:02:05"));
        QCOMPARE(panel.timeLeftText(), QString(QChar(0x2013)));
        QCOMPARE(panel.progressBar()->maximum(), 0); // busy: no end known
    }

    // A flat hypervolume history gets a readable axis: a span around the value, and that value as its only
    // tick. Three ticks 0.5% apart ("6.3e9", "6.325e9", "6.35e9") overlapped in the plot's 40 pixels. Every
    // point counts: rescaleAxes kept the old width for one distinct value, so only the first was seen flat.
    void flatHypervolumeHistoryHasOneTick()
    {
        RunPanel panel;
        panel.resize(1200, 120);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const QCPGraph *hv = panel.hypervolumeGraph();
        for (int g = 0; g <= 3; ++g)
            panel.addHypervolume(g, 6.33161e9);
        const QCPAxis *y = hv->valueAxis();
        QVERIFY(y->range().contains(6.33161e9));
        QVERIFY2(std::abs(y->range().size() - 0.01 * 6.33161e9) < 1,
                 qPrintable(QString::number(y->range().size())));
        QCOMPARE(hv->keyAxis()->range().lower, -0.5);
        QCOMPARE(hv->keyAxis()->range().upper, 3.5);
        hv->parentPlot()->replot();
        QCOMPARE(y->tickVector(), QVector<double>{6.33161e9});
        QCOMPARE(y->tickVectorLabels(), QVector<QString>{QStringLiteral("6.33e+09")});
        // It grows: ordinary ticks again, a tenth of the span beyond the data.
        panel.addHypervolume(4, 6.5e9);
        hv->parentPlot()->replot();
        QVERIFY(y->tickVector().size() >= 2);
        QVERIFY(std::abs(y->range().lower - (6.33161e9 - 0.05 * (6.5e9 - 6.33161e9))) < 1);
        // A new run's first point starts flat again, over its own generations only.
        panel.clearHistory();
        panel.addHypervolume(0, 2.0);
        QCOMPARE(hv->keyAxis()->range().upper, 0.5);
        QCOMPARE(y->range().lower, 1.5); // at least half a unit either side of a small value
        panel.addHypervolume(1, 3.0);
        hv->parentPlot()->replot();
        QVERIFY(y->tickVector().size() >= 2);
    }

    void runPanelButtons()
    {
        RunPanel panel;
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto enabled = [&] {
            return QString("%1%2%3")
                .arg(panel.pauseButton()->isEnabled())
                .arg(panel.resumeButton()->isEnabled())
                .arg(panel.stopButton()->isEnabled());
        };
        // Idle, running, paused (the run has ended and can be continued): Pause, Resume, Stop.
        QCOMPARE(enabled(), QStringLiteral("000"));
        panel.setRunning(true);
        QCOMPARE(enabled(), QStringLiteral("101"));
        panel.setRunning(false);
        panel.setPaused(true);
        QCOMPARE(enabled(), QStringLiteral("011")); // Resume on: a paused run is not a dead end
        panel.setRunning(true);                     // resumed (or a new search): never starts paused
        QCOMPARE(enabled(), QStringLiteral("101"));
        QVERIFY(!panel.isPaused());
        panel.setRunning(false);
        QCOMPARE(enabled(), QStringLiteral("000"));
        panel.setPaused(true);
        panel.setPaused(false); // a paused run stopped
        QCOMPARE(enabled(), QStringLiteral("000"));

        // Elapsed counts on between reports while running (a generation can take minutes), and stands
        // still when the run stops or is another process's.
        panel.setProgress(1, 10, 40, 1.0, 3, 5.0, 45.0);
        QCOMPARE(panel.elapsedText(), QStringLiteral("0:05"));
        panel.setRunning(true);
        QTRY_VERIFY_WITH_TIMEOUT(panel.elapsedText() != QStringLiteral("0:05"), 10000);
        QVERIFY(panel.elapsedText() >= QStringLiteral("0:06"));
        panel.setRunning(false);
        const QString stopped = panel.elapsedText();
        QTest::qWait(1500);
        QCOMPARE(panel.elapsedText(), stopped);
        panel.setProgress(2, 10, 80, 1.0, 3, 9.0, 40.0);
        panel.setRunning(true, /*following=*/true);
        QTest::qWait(1500);
        QCOMPARE(panel.elapsedText(), QStringLiteral("0:09"));
        // Another process's run: no Pause from here, and Stop says it only stops following.
        QCOMPARE(enabled(), QStringLiteral("001"));
        QCOMPARE(panel.stopButton()->text(), QStringLiteral("Stop following"));
        panel.setRunning(false);
        QCOMPARE(panel.stopButton()->text(), QStringLiteral("Stop"));

        QSignalSpy pause(&panel, &RunPanel::pauseRequested), resume(&panel, &RunPanel::resumeRequested),
            stop(&panel, &RunPanel::stopRequested);
        QTest::mouseClick(panel.pauseButton(), Qt::LeftButton); // disabled: nothing
        QCOMPARE(pause.count(), 0);
        panel.setRunning(true);
        QTest::mouseClick(panel.pauseButton(), Qt::LeftButton);
        QCOMPARE(pause.count(), 1);
        panel.setRunning(false);
        panel.setPaused(true);
        QTest::mouseClick(panel.resumeButton(), Qt::LeftButton);
        QCOMPARE(resume.count(), 1);
        QTest::mouseClick(panel.stopButton(), Qt::LeftButton);
        QCOMPARE(stop.count(), 1);
        QCOMPARE(pause.count(), 1);
    }

    // Clicking Pause disables it; Qt then hands the focus down the tab chain, which in the main window is the
    // setup panel's Architecture field with its text selected: the next key typed replaced it.
    void runPanelKeepsFocusOnItsButtons()
    {
        QWidget window;
        auto *field = new QLineEdit(QStringLiteral("eyeriss16"), &window);
        auto *panel = new RunPanel(&window);
        auto *layout = new QVBoxLayout(&window);
        layout->addWidget(field);
        layout->addWidget(panel);
        QWidget::setTabOrder(panel->stopButton(), field); // the chain wraps from the panel to the field
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));

        panel->setRunning(true);
        panel->pauseButton()->setFocus();
        QTRY_VERIFY(panel->pauseButton()->hasFocus());
        panel->setStopped(true); // what the main window does once the run has paused
        QVERIFY(!field->hasFocus());
        QVERIFY(panel->resumeButton()->hasFocus());
        panel->setRunning(true); // resumed
        QVERIFY(panel->pauseButton()->hasFocus());
        panel->stopButton()->setFocus();
        panel->setStopped(true); // Stop stays enabled while paused: the focus stays where the user put it
        QVERIFY(panel->stopButton()->hasFocus());
        // A run that ends leaves no button to act: the panel itself keeps the focus.
        panel->setRunning(true);
        panel->pauseButton()->setFocus();
        panel->setStopped(false);
        QVERIFY(panel->hasFocus());
        QVERIFY(!field->hasFocus());
        // Focus elsewhere is never taken.
        field->setFocus();
        panel->setRunning(true);
        panel->setStopped(true);
        QVERIFY(field->hasFocus());
    }

    // The candidate under way shows below the batch's counts, and goes with them when the batch ends.
    void runPanelCandidateWork()
    {
        RunPanel panel;
        panel.show();
        panel.setBatchProgress(1, 8, 0, 0);
        QCOMPARE(panel.batchText(), QString("This generation: 1 / 8 candidates"));
        QCOMPARE(panel.candidateText(), QString());
        const QString work =
            "candidate 2 of 8: fine-tuning, step 600 of 3376 (resumed from its saved state at "
            "step 500)";
        panel.setCandidateWork(work);
        QCOMPARE(panel.candidateText(), work);
        auto *label = panel.findChild<QLabel *>("candidateWork");
        QVERIFY(label && label->isVisible());
        panel.setCandidateWork({});
        QVERIFY(!label->isVisible());
        panel.setCandidateWork(work);
        panel.setBatchProgress(0, 0, 0, 0); // the run ended
        QCOMPARE(panel.batchText(), QString());
        QCOMPARE(panel.candidateText(), QString());
        QVERIFY(!label->isVisible());
    }

    void runPanelHypervolume()
    {
        RunPanel panel;
        for (int g = 0; g < 4; ++g)
            panel.addHypervolume(g, 0.5 + 0.1 * g);
        const QCPGraph *hv = panel.hypervolumeGraph();
        QCOMPARE(hv->dataCount(), 4);
        QCOMPARE(hv->data()->at(3)->key, 3.0);
        QCOMPARE(hv->data()->at(3)->value, 0.8);
        panel.clearHistory();
        QCOMPARE(hv->dataCount(), 0);
    }
};

QTEST_MAIN(TestGuiPlot)
#include "test_gui_plot.moc"
