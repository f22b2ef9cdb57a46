// The Pareto plot's side that faces the user: finding the point under the mouse, hover tooltips, a click
// that selects (told apart from a pan by how far the mouse moved), zoom and pan that stop the plot from
// following new data, a double click on empty space or the context menu to reset them, and the picture
// export.
#include "widgets/pareto_plot.h"
#include "widgets/plot_export.h"

#include <QContextMenuEvent>
#include <QMenu>
#include <QToolTip>

namespace bitloop::gui
{

namespace
{

constexpr int kClickSlop = 3; // pixels the mouse may move between press and release of a click

} // namespace

int ParetoPlot::pointAt(const QPoint &pos) const
{
    if (!axisRect()->rect().contains(pos))
        return -1;
    // A linear scan: two coordToPixel per point, well under a millisecond for 10,000 points, and
    // never stale after a zoom, pan or resize.
    double best = kPickRadius * kPickRadius;
    int bestId = -1;
    for (const auto &p : points_) {
        if (!isDrawn(p))
            continue;
        const double dx = xAxis->coordToPixel(p.x) - pos.x();
        const double dy = yAxis->coordToPixel(p.y) - pos.y();
        const double d = dx * dx + dy * dy;
        if (d <= best) {
            best = d;
            bestId = p.id;
        }
    }
    return bestId;
}

int ParetoPlot::drawnPointCount() const
{
    int n = 0;
    for (const auto *g : dominatedGraphs_)
        n += g->visible() ? g->dataCount() : 0;
    for (const auto *g : frontGraphs_)
        n += g->dataCount();
    n += pinnedGraph_->dataCount();
    // The selection shows even when its category is hidden: count it once, where nothing else does.
    if (selectedId_ >= 0) {
        const PlotPoint &p = points_[index_.at(selectedId_)];
        n += (p.dominated && !p.pinned && !showDominated_) ? 1 : 0;
    }
    return n;
}

QPoint ParetoPlot::pixelOf(int id) const
{
    const auto it = index_.find(id);
    if (it == index_.end())
        return {-1, -1};
    const PlotPoint &p = points_[it->second];
    return {qRound(xAxis->coordToPixel(p.x)), qRound(yAxis->coordToPixel(p.y))};
}

QColor ParetoPlot::drawnColorOf(int id) const
{
    const auto it = index_.find(id);
    if (it == index_.end())
        return {};
    const QCPScatterStyle &style = graphFor(points_[it->second])->scatterStyle();
    // Discs are filled with their pen, circles and diamonds with their brush.
    return style.shape() == QCPScatterStyle::ssDisc ? style.pen().color() : style.brush().color();
}

bool ParetoPlot::exportImage(const QString &path, int width, int height, double scale)
{
    return exportPlotImage(*this, path, width, height, QStringLiteral("Pareto front"), scale);
}

void ParetoPlot::mousePressEvent(QMouseEvent *event)
{
    pressPos_ = event->pos();
    QCustomPlot::mousePressEvent(event);
}

void ParetoPlot::mouseMoveEvent(QMouseEvent *event)
{
    QCustomPlot::mouseMoveEvent(event);
    if (event->buttons() != Qt::NoButton) {
        if ((event->buttons() & Qt::LeftButton) && (event->pos() - pressPos_).manhattanLength() > kClickSlop)
            userMovedView_ = true; // a pan
        return;
    }
    const int id = pointAt(event->pos());
    if (id == hoveredId_)
        return;
    hoveredId_ = id;
    if (id < 0)
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint(), points_[index_.at(id)].tooltip, this);
}

void ParetoPlot::mouseReleaseEvent(QMouseEvent *event)
{
    QCustomPlot::mouseReleaseEvent(event);
    if (event->button() != Qt::LeftButton || (event->pos() - pressPos_).manhattanLength() > kClickSlop)
        return;
    const int id = pointAt(event->pos());
    if (id < 0)
        return; // a click on empty space keeps the selection
    setSelected(id);
    Q_EMIT pointClicked(id);
}

void ParetoPlot::mouseDoubleClickEvent(QMouseEvent *event)
{
    QCustomPlot::mouseDoubleClickEvent(event);
    pressPos_ = event->pos(); // the release that follows is the second click's
    if (event->button() != Qt::LeftButton || !axisRect()->rect().contains(event->pos()))
        return;
    // On a point it selects it (as its first click did); on empty space it resets the zoom.
    const int id = pointAt(event->pos());
    if (id < 0) {
        resetZoom();
        return;
    }
    if (id != selectedId_) {
        setSelected(id);
        Q_EMIT pointClicked(id);
    }
}

void ParetoPlot::resetZoom()
{
    rescaleToPoints(); // also lets the plot follow new data again
    replot();
}

void ParetoPlot::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    QAction *reset = menu.addAction(tr("Reset zoom"), this, &ParetoPlot::resetZoom);
    reset->setToolTip(tr("Show every point again (or double-click empty space)"));
    reset->setEnabled(drawnPointCount() > 0);
    menu.exec(event->globalPos());
}

void ParetoPlot::wheelEvent(QWheelEvent *event)
{
    QCustomPlot::wheelEvent(event);
    userMovedView_ = true;
}

void ParetoPlot::leaveEvent(QEvent *event)
{
    hoveredId_ = -1;
    QToolTip::hideText();
    QCustomPlot::leaveEvent(event);
}

} // namespace bitloop::gui
