#include "widgets/pareto_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace bitloop::gui
{

namespace
{

const QColor kFrontColor(31, 119, 180);
const QColor kDominatedColor(150, 150, 150, 150);
const QColor kPinnedColor(255, 127, 14);
const QColor kSelectedColor(214, 39, 40);
constexpr int kDominatedAlpha = 120;

// Viridis' five anchors: ordered in lightness, readable in grey, no red or orange (the pinned and
// selected colours stay distinct from every point's colour).
QCPColorGradient viridis()
{
    QCPColorGradient g;
    g.clearColorStops();
    g.setColorStopAt(0.00, QColor(68, 1, 84));
    g.setColorStopAt(0.25, QColor(59, 82, 139));
    g.setColorStopAt(0.50, QColor(33, 145, 140));
    g.setColorStopAt(0.75, QColor(94, 201, 98));
    g.setColorStopAt(1.00, QColor(253, 231, 37));
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    return g;
}

// Draws its markers on screen by blitting one pre-rendered sprite: antialiased ellipses and polygons
// cost ~5 us each, a 10,000-point replot ~50 ms; blits bring it to a few ms. Vector devices (PDF,
// SVG) get real shapes.
class SpriteGraph : public QCPGraph
{
public:
    using QCPGraph::QCPGraph;

protected:
    void drawScatterPlot(QCPPainter *painter, const QVector<QPointF> &scatters,
                         const QCPScatterStyle &style) const override
    {
        const int device = painter->device()->devType();
        if (device != QInternal::Pixmap && device != QInternal::Image) {
            QCPGraph::drawScatterPlot(painter, scatters, style);
            return;
        }
        const QPixmap &sprite = spriteFor(style, painter->device()->devicePixelRatioF());
        const double half = sprite.deviceIndependentSize().width() / 2;
        for (const QPointF &p : scatters)
            painter->drawPixmap(QPointF(p.x() - half, p.y() - half), sprite);
    }

private:
    const QPixmap &spriteFor(const QCPScatterStyle &style, double dpr) const
    {
        const QString key = QStringLiteral("%1 %2 %3 %4 %5 %6")
                                .arg(style.shape())
                                .arg(style.size())
                                .arg(style.pen().color().rgba())
                                .arg(style.pen().widthF())
                                .arg(style.brush().color().rgba())
                                .arg(dpr);
        if (key == spriteKey_)
            return sprite_;
        const double side = std::ceil(style.size() + style.pen().widthF() + 2); // room for the outline
        sprite_ = QPixmap(int(std::ceil(side * dpr)), int(std::ceil(side * dpr)));
        sprite_.setDevicePixelRatio(dpr);
        sprite_.fill(Qt::transparent);
        QCPPainter p(&sprite_);
        p.setRenderHint(QPainter::Antialiasing);
        style.applyTo(&p, pen());
        style.drawShape(&p, side / 2, side / 2);
        spriteKey_ = key;
        return sprite_;
    }

    mutable QPixmap sprite_;
    mutable QString spriteKey_;
};

QCPGraph *scatterGraph(QCustomPlot *plot)
{
    QCPGraph *g = new SpriteGraph(plot->xAxis, plot->yAxis);
    g->setLineStyle(QCPGraph::lsNone);
    g->removeFromLegend();
    return g;
}

} // namespace

ParetoPlot::ParetoPlot(QWidget *parent) : QCustomPlot(parent), gradient_(viridis())
{
    // Creation order is drawing order: dominated below the front line, the front above it, pinned
    // points and the selection on top.
    for (auto &g : dominatedGraphs_)
        g = scatterGraph(this);
    frontLine_ = addGraph();
    frontLine_->setLineStyle(QCPGraph::lsStepLeft); // the attainment boundary of two minimized axes
    frontLine_->setPen(QPen(QColor(80, 80, 80, 170), 1.2));
    frontLine_->removeFromLegend();
    for (auto &g : frontGraphs_)
        g = scatterGraph(this);
    pinnedGraph_ = scatterGraph(this);
    pinnedGraph_->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(Qt::black, 1.2), QBrush(kPinnedColor), 13));
    pinnedGraph_->setName(tr("pinned"));
    selectionGraph_ = scatterGraph(this);
    QColor halo = kSelectedColor;
    halo.setAlpha(60);
    selectionGraph_->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(kSelectedColor, 2.5), QBrush(halo), 20));
    selectionGraph_->setName(tr("selected"));
    frontGraphs_[0]->setName(tr("Pareto front"));
    dominatedGraphs_[0]->setName(tr("dominated"));

    colorScale_ = new QCPColorScale(this);
    colorScale_->setType(QCPAxis::atRight);
    colorScale_->setGradient(gradient_);
    colorScale_->setBarWidth(12);
    // The buckets are coloured from the data's range: a scale zoomed or dragged on its own would lie.
    colorScale_->setRangeDrag(false);
    colorScale_->setRangeZoom(false);
    marginGroup_ = new QCPMarginGroup(this);

    legend->setFont(QFont(font().family(), 8));
    legend->setBrush(QColor(255, 255, 255, 210));
    axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);

    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    setMouseTracking(true); // hover tooltips without a button held
    rebuild();
}

ParetoPlot::~ParetoPlot()
{
    // Out of the layout the scale is only a QObject child; deleting it here, while the plot is whole,
    // keeps its destructor from calling into a half-destroyed QCustomPlot.
    if (!colorScaleInLayout_)
        delete colorScale_;
}

void ParetoPlot::setPoints(std::vector<PlotPoint> points)
{
    points_.clear();
    points_.reserve(points.size());
    index_.clear();
    index_.reserve(points.size());
    for (auto &p : points) {
        // A repeated id keeps its last point, as addPoints would.
        auto [it, inserted] = index_.try_emplace(p.id, points_.size());
        if (inserted)
            points_.push_back(std::move(p));
        else
            points_[it->second] = std::move(p);
    }
    if (!index_.count(selectedId_))
        selectedId_ = -1;
    hoveredId_ = -1;
    rebuild();
    rescaleToPoints();
}

void ParetoPlot::addPoints(const std::vector<PlotPoint> &points)
{
    if (points.empty())
        return;
    bool regroup = false;
    std::unordered_set<int> ids;
    for (const auto &p : points)
        regroup = regroup || index_.count(p.id) > 0 || !ids.insert(p.id).second;
    if (colorBy_ != ColorBy::None && !regroup) {
        const QCPRange add = valueRange(points);
        regroup = !points_.empty() && (add.lower < rawColorRange_.lower || add.upper > rawColorRange_.upper);
    }
    if (regroup || points_.empty()) {
        for (const auto &p : points) {
            auto [it, inserted] = index_.try_emplace(p.id, points_.size());
            if (inserted)
                points_.push_back(p);
            else
                points_[it->second] = p;
        }
        rebuild();
        followData();
        return;
    }

    // Only the graphs that receive points change: QCPDataContainer merges the new keys in.
    std::unordered_map<QCPGraph *, std::pair<QVector<double>, QVector<double>>> added;
    bool frontChanged = false;
    for (const auto &p : points) {
        index_.emplace(p.id, points_.size());
        points_.push_back(p);
        auto &[keys, values] = added[graphFor(p)];
        keys.push_back(p.x);
        values.push_back(p.y);
        frontChanged = frontChanged || !p.dominated;
    }
    for (auto &[graph, data] : added)
        graph->addData(data.first, data.second);
    if (frontChanged)
        updateFrontLine();
    followData();
}

void ParetoPlot::clearPoints()
{
    points_.clear();
    index_.clear();
    selectedId_ = -1;
    hoveredId_ = -1;
    userMovedView_ = false;
    rebuild();
    replot(rpQueuedReplot);
}

void ParetoPlot::setFront(const std::vector<int> &frontIds)
{
    const std::unordered_set<int> front(frontIds.begin(), frontIds.end());
    for (auto &p : points_)
        p.dominated = front.count(p.id) == 0;
    rebuild();
    followData();
}

void ParetoPlot::setPinned(int id, bool pinned)
{
    const auto it = index_.find(id);
    if (it == index_.end() || points_[it->second].pinned == pinned)
        return;
    points_[it->second].pinned = pinned;
    rebuild();
    replot(rpQueuedReplot);
}

void ParetoPlot::setAxisTitles(const QString &x, const QString &y)
{
    xAxis->setLabel(x);
    yAxis->setLabel(y);
    replot(rpQueuedReplot);
}

namespace
{

void setLogScale(QCPAxis *axis, bool log)
{
    axis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (log)
        axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else
        axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
}

} // namespace

void ParetoPlot::setLogX(bool log)
{
    setLogScale(xAxis, log);
    rescaleToPoints();
}

void ParetoPlot::setLogY(bool log)
{
    setLogScale(yAxis, log);
    rescaleToPoints();
}

void ParetoPlot::setColorBy(ColorBy by, const QString &title)
{
    colorBy_ = by;
    colorScale_->axis()->setLabel(title);
    const bool show = by != ColorBy::None;
    if (show && !colorScaleInLayout_) {
        plotLayout()->addElement(0, 1, colorScale_);
        // The scale's bar spans exactly the axis rect's height.
        axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, marginGroup_);
        colorScale_->setMarginGroup(QCP::msTop | QCP::msBottom, marginGroup_);
        colorScaleInLayout_ = true;
    } else if (!show && colorScaleInLayout_) {
        axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, nullptr);
        colorScale_->setMarginGroup(QCP::msTop | QCP::msBottom, nullptr);
        plotLayout()->take(colorScale_);
        plotLayout()->simplify();
        colorScaleInLayout_ = false;
    }
    rebuild();
    replot(rpQueuedReplot);
}

void ParetoPlot::setShowDominated(bool show)
{
    showDominated_ = show;
    for (auto *g : dominatedGraphs_)
        g->setVisible(show);
    updateLegend();
    replot(rpQueuedReplot);
}

void ParetoPlot::setShowFrontLine(bool show)
{
    frontLine_->setVisible(show);
    replot(rpQueuedReplot);
}

void ParetoPlot::rescaleToPoints()
{
    userMovedView_ = false;
    if (drawnPointCount() == 0)
        return;
    rescaleAxes(true);
    // A margin so that markers on the edge are not cut in half.
    xAxis->scaleRange(1.1);
    yAxis->scaleRange(1.1);
    replot(rpQueuedReplot);
}

void ParetoPlot::setSelected(int id)
{
    selectedId_ = index_.count(id) ? id : -1;
    updateSelectionGraph();
    replot(rpQueuedReplot);
}

bool ParetoPlot::isDrawn(const PlotPoint &p) const
{
    return showDominated_ || !p.dominated || p.pinned || p.id == selectedId_;
}

QCPGraph *ParetoPlot::graphFor(const PlotPoint &p) const
{
    if (p.pinned)
        return pinnedGraph_;
    return p.dominated ? dominatedGraphs_[bucketOf(p)] : frontGraphs_[bucketOf(p)];
}

double ParetoPlot::colorValue(const PlotPoint &p) const
{
    return colorBy_ == ColorBy::Generation ? double(p.generation) : p.color;
}

int ParetoPlot::bucketOf(const PlotPoint &p) const
{
    const double v = colorValue(p);
    if (colorBy_ == ColorBy::None || !std::isfinite(v))
        return 0;
    const double t = (v - colorRange_.lower) / colorRange_.size();
    return std::clamp(int(t * kBuckets), 0, kBuckets - 1);
}

QCPRange ParetoPlot::valueRange(const std::vector<PlotPoint> &points) const
{
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto &p : points) {
        const double v = colorValue(p);
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    return lo <= hi ? QCPRange(lo, hi) : QCPRange(0, 0);
}

QColor ParetoPlot::bucketColor(int bucket)
{
    // The bucket's centre, so the colour sits within the values the bucket holds.
    const double v = colorRange_.lower + (bucket + 0.5) / kBuckets * colorRange_.size();
    return QColor::fromRgb(gradient_.color(v, colorRange_));
}

void ParetoPlot::rebuild()
{
    if (colorBy_ != ColorBy::None) {
        rawColorRange_ = valueRange(points_);
        colorRange_ = rawColorRange_;
        if (colorRange_.size() <= 0) // one value: a unit range around it, so it gets a colour
            colorRange_ = QCPRange(colorRange_.lower - 0.5, colorRange_.upper + 0.5);
    } else {
        rawColorRange_ = colorRange_ = QCPRange(0, 0);
    }
    std::unordered_map<QCPGraph *, std::pair<QVector<double>, QVector<double>>> data;
    for (const auto &p : points_) {
        auto &[keys, values] = data[graphFor(p)];
        keys.push_back(p.x);
        values.push_back(p.y);
    }
    auto fill = [&](QCPGraph *g) {
        const auto it = data.find(g);
        if (it == data.end())
            g->data()->clear();
        else
            g->setData(it->second.first, it->second.second);
    };
    for (auto *g : dominatedGraphs_)
        fill(g);
    for (auto *g : frontGraphs_)
        fill(g);
    fill(pinnedGraph_);
    applyStyles();
    updateColorScale();
    updateFrontLine();
    updateSelectionGraph();
}

void ParetoPlot::applyStyles()
{
    for (int b = 0; b < kBuckets; ++b) {
        const QColor c = colorBy_ == ColorBy::None ? kFrontColor : bucketColor(b);
        QColor faded = colorBy_ == ColorBy::None ? kDominatedColor : c;
        if (colorBy_ != ColorBy::None)
            faded.setAlpha(kDominatedAlpha);
        dominatedGraphs_[b]->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, faded, 5));
        frontGraphs_[b]->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(c.darker(220), 1.2), QBrush(c), 9));
    }
}

void ParetoPlot::updateColorScale()
{
    if (colorBy_ != ColorBy::None)
        colorScale_->setDataRange(colorRange_);
}

void ParetoPlot::updateFrontLine()
{
    // The 2-D staircase of the front: with three objectives, some front points are beaten in the two
    // plotted ones and stay off the line.
    std::vector<std::pair<double, double>> front;
    for (const auto &p : points_)
        if (!p.dominated && std::isfinite(p.x) && std::isfinite(p.y))
            front.emplace_back(p.x, p.y);
    std::sort(front.begin(), front.end());
    QVector<double> keys, values;
    double bestY = std::numeric_limits<double>::infinity();
    for (const auto &[x, y] : front) {
        if (y < bestY) {
            keys.push_back(x);
            values.push_back(y);
            bestY = y;
        }
    }
    frontLine_->setData(keys, values, true);
}

void ParetoPlot::updateSelectionGraph()
{
    if (selectedId_ >= 0) {
        const PlotPoint &p = points_[index_.at(selectedId_)];
        selectionGraph_->setData({p.x}, {p.y}, true);
    } else {
        selectionGraph_->data()->clear();
    }
    updateLegend();
}

void ParetoPlot::updateLegend()
{
    // Only what is on screen, always in this order.
    int front = 0, dominated = 0;
    for (int b = 0; b < kBuckets; ++b) {
        front += frontGraphs_[b]->dataCount();
        dominated += dominatedGraphs_[b]->dataCount();
    }
    legend->clearItems();
    auto list = [](QCPGraph *g, bool shown) {
        if (shown)
            g->addToLegend();
    };
    list(frontGraphs_[0], front > 0);
    list(dominatedGraphs_[0], dominated > 0 && showDominated_);
    list(pinnedGraph_, pinnedGraph_->dataCount() > 0);
    list(selectionGraph_, selectedId_ >= 0);
    legend->setVisible(legend->itemCount() > 0);
}

void ParetoPlot::followData()
{
    if (!userMovedView_)
        rescaleToPoints();
    replot(rpQueuedReplot);
}

} // namespace bitloop::gui
