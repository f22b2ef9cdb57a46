// Two to four pinned points side by side: per layer each point's weight / activation bits and energy, with
// the cells where the points differ highlighted, and the totals (energy, error, weight memory) below.
#pragma once

#include "workload/layer.h"

#include <QString>
#include <QTableWidget>

#include <vector>

namespace bitloop::gui
{

struct ComparePoint {
    QString label;
    BitConfig bits;
    std::vector<double> layerEnergyPj; // per layer; negative or NaN: the layer has no valid mapping
    double totalEnergyPj = 0;
    double error = -1; // top-1 error as a fraction in [0, 1]; -1 if unknown
    long long weightBytes = 0;
};

class CompareView : public QTableWidget
{
    Q_OBJECT

public:
    static constexpr int DiffRole = Qt::UserRole + 1; // true on cells whose value differs between points
    static constexpr int ValueRole = Qt::UserRole;    // the exact number behind a numeric cell

    explicit CompareView(QWidget *parent = nullptr);

    // One row per layer of `net`, then the totals rows; two columns per point (bits, energy). Any number of
    // points is shown, but the view is laid out for two to four.
    void setPoints(const Network &net, const std::vector<ComparePoint> &points);
    void clearPoints();

    int pointCount() const { return points_; }
    static int bitsColumn(int point) { return 2 + 2 * point; }
    static int energyColumn(int point) { return 3 + 2 * point; }
    // Totals rows follow the layers: energy, error, weight memory.
    int energyTotalRow() const { return layers_; }
    int errorRow() const { return layers_ + 1; }
    int memoryRow() const { return layers_ + 2; }
    bool isDifferent(int row, int column) const;

private:
    int layers_ = 0;
    int points_ = 0;
};

} // namespace bitloop::gui
