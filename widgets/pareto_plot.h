// The Pareto plot: every evaluated configuration as a point in two objectives, the front drawn apart
// from the dominated points, pinned points apart from both, colour by a third objective or by
// generation, zoom and pan, a tooltip on hover and selection by click.
//
// Points are grouped into a few scatter graphs (dominated / front, each split into colour buckets;
// pinned; the selection) whose markers are blitted from one sprite per graph, so that 10,000 points
// replot in a few milliseconds.
// Both axes are taken as minimized: the front's step line joins the points that no other front point
// beats in the two plotted objectives.
#pragma once

#include <qcustomplot.h>

#include <QString>

#include <array>
#include <unordered_map>
#include <vector>

namespace bitloop::gui
{

class ParetoPlot : public QCustomPlot
{
    Q_OBJECT

public:
    struct PlotPoint {
        double x = 0, y = 0;
        double color = 0; // the value coloured by ColorBy::Value (e.g. the third objective)
        int id = -1;      // caller's key, unique within the plot
        int generation = 0;
        bool dominated = false;
        bool pinned = false;
        QString tooltip;
    };

    enum class ColorBy { None, Value, Generation };

    // Colour buckets per category: enough for a readable gradient, few enough to replot fast.
    static constexpr int kBuckets = 16;

    explicit ParetoPlot(QWidget *parent = nullptr);
    ~ParetoPlot() override;

    // Replaces all points and rescales the axes to them.
    void setPoints(std::vector<PlotPoint> points);
    // Appends points while a search runs: added to their graphs without regrouping the others, unless
    // an id is already present (then it is replaced) or the colour range grows. Follows the data with
    // the axes until the user zooms or pans.
    void addPoints(const std::vector<PlotPoint> &points);
    void clearPoints();
    // Marks exactly these ids as the front and every other point as dominated (the front moves as a
    // search runs).
    void setFront(const std::vector<int> &frontIds);
    void setPinned(int id, bool pinned);

    void setAxisTitles(const QString &x, const QString &y);
    void setLogX(bool log);
    void setLogY(bool log);
    void setColorBy(ColorBy by, const QString &title = QString());
    ColorBy colorBy() const { return colorBy_; }
    // The data range the gradient spans (the colour scale's range); empty when not colouring.
    QCPRange colorRange() const { return colorRange_; }
    void setShowDominated(bool show);
    bool showDominated() const { return showDominated_; }
    void setShowFrontLine(bool show);
    void rescaleToPoints();
    // Back to every drawn point after a zoom or pan (and following new data again): a double click on
    // empty space, the context menu's Reset zoom, or the window's button.
    void resetZoom();

    // -1 clears the selection; an unknown id clears it too.
    void setSelected(int id);
    int selectedId() const { return selectedId_; }
    int hoveredId() const { return hoveredId_; }
    // The nearest drawn point within kPickRadius pixels of pos (widget coordinates), or -1.
    int pointAt(const QPoint &pos) const;

    size_t pointCount() const { return points_.size(); }
    // Points currently drawn, each once: honours showDominated; pinned and selected points always show.
    int drawnPointCount() const;
    // Widget coordinates of a point, (-1, -1) for an unknown id.
    QPoint pixelOf(int id) const;
    // The fill colour the point is drawn with (its bucket's colour, or the pinned colour).
    QColor drawnColorOf(int id) const;
    const QCPGraph *pinnedGraph() const { return pinnedGraph_; }
    const QCPGraph *selectionGraph() const { return selectionGraph_; }
    const QCPGraph *frontLineGraph() const { return frontLine_; }
    QCPColorScale *colorScale() const { return colorScale_; }

    // PNG, PDF or SVG by the path's extension; width/height 0 take the widget's size. Written to
    // path + ".tmp" and renamed, so a failed export leaves neither a partial file nor the old one
    // damaged. False (and no file) on failure or an unknown extension.
    // `scale` multiplies a PNG's pixels (2: twice the width and height, the same layout).
    bool exportImage(const QString &path, int width = 0, int height = 0, double scale = 1.0);

    static constexpr double kPickRadius = 8.0;

Q_SIGNALS:
    void pointClicked(int id);

protected:
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    bool isDrawn(const PlotPoint &p) const;
    QCPGraph *graphFor(const PlotPoint &p) const;
    int bucketOf(const PlotPoint &p) const;
    double colorValue(const PlotPoint &p) const;
    QCPRange valueRange(const std::vector<PlotPoint> &points) const;
    QColor bucketColor(int bucket);
    void rebuild();
    void applyStyles();
    void updateFrontLine();
    void updateSelectionGraph();
    void updateLegend();
    void updateColorScale();
    void followData();

    std::vector<PlotPoint> points_;
    std::unordered_map<int, size_t> index_; // id -> position in points_

    std::array<QCPGraph *, kBuckets> dominatedGraphs_{};
    std::array<QCPGraph *, kBuckets> frontGraphs_{};
    QCPGraph *frontLine_ = nullptr;
    QCPGraph *pinnedGraph_ = nullptr;
    QCPGraph *selectionGraph_ = nullptr;
    QCPColorScale *colorScale_ = nullptr;
    QCPMarginGroup *marginGroup_ = nullptr;
    bool colorScaleInLayout_ = false;
    QCPColorGradient gradient_;

    ColorBy colorBy_ = ColorBy::None;
    QCPRange colorRange_{0, 0};    // what the gradient spans
    QCPRange rawColorRange_{0, 0}; // the values' own extent (colorRange_ widens a single value)
    bool showDominated_ = true;
    int selectedId_ = -1;
    int hoveredId_ = -1;
    QPoint pressPos_;
    bool userMovedView_ = false; // set by zoom or pan; stops addPoints from rescaling
};

} // namespace bitloop::gui
