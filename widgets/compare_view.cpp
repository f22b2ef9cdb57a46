#include "compare_view.h"

#include <QHeaderView>
#include <QLocale>

#include <cmath>

namespace bitloop::gui
{

namespace
{

const QColor kDiffColor(255, 236, 160);
const QColor kInvalidColor(190, 20, 20);

QString grouped(long long v)
{
    return QLocale(QLocale::English).toString(v);
}

bool hasEnergy(double pj)
{
    return std::isfinite(pj) && pj >= 0;
}

// "(−12.3 %)" against the first point, which the others are read against.
QString delta(double value, double reference)
{
    if (!(reference > 0) || value == reference)
        return {};
    const double pct = 100.0 * (value - reference) / reference;
    return QString(" (%1%2 %)").arg(pct < 0 ? "−" : "+").arg(QString::number(std::fabs(pct), 'f', 1));
}

} // namespace

CompareView::CompareView(QWidget *parent) : QTableWidget(parent)
{
    verticalHeader()->hide();
    setEditTriggers(NoEditTriggers);
    setSelectionBehavior(SelectRows);
    setSelectionMode(SingleSelection);
    setWordWrap(false);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
    clearPoints();
}

void CompareView::clearPoints()
{
    clear();
    setRowCount(0);
    setColumnCount(2);
    setHorizontalHeaderLabels({"#", tr("Layer")});
    layers_ = 0;
    points_ = 0;
}

bool CompareView::isDifferent(int row, int column) const
{
    const QTableWidgetItem *it = item(row, column);
    return it && it->data(DiffRole).toBool();
}

void CompareView::setPoints(const Network &net, const std::vector<ComparePoint> &points)
{
    clearPoints();
    layers_ = static_cast<int>(net.layers.size());
    points_ = static_cast<int>(points.size());
    if (points.empty())
        return;
    setColumnCount(2 + 2 * points_);
    setRowCount(layers_ + 3);
    QStringList headers = {"#", tr("Layer")};
    for (const ComparePoint &p : points)
        headers << p.label + "\n" + tr("W / A bits") << p.label + "\n" + tr("Energy (µJ)");
    setHorizontalHeaderLabels(headers);

    auto set = [this](int row, int col, const QString &text, const QVariant &value = {}) {
        auto *it = new QTableWidgetItem(text);
        if (value.isValid())
            it->setData(ValueRole, value);
        it->setTextAlignment((col < 2 ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter);
        setItem(row, col, it);
        return it;
    };
    // Where a row's cells (one per point) differ, highlights those that differ from the value most points
    // share, so that the odd one out stands out (every cell when no value is the majority's); the lowest
    // value, where lower is better, is also bold.
    auto mark = [this](int row, const std::vector<int> &cols, const QStringList &keys,
                       const std::vector<double> &lowerIsBetter = {}) {
        if (keys.size() < 2 || keys.count(keys.front()) == keys.size())
            return;
        QString common;
        int commonCount = 0;
        bool tie = false;
        for (const QString &k : keys) {
            const int c = static_cast<int>(keys.count(k));
            if (c > commonCount) {
                common = k;
                commonCount = c;
                tie = false;
            } else if (c == commonCount && k != common) {
                tie = true;
            }
        }
        if (commonCount < 2 || tie)
            common.clear();
        double best = INFINITY;
        for (double v : lowerIsBetter)
            best = std::isfinite(v) ? std::min(best, v) : best;
        for (size_t i = 0; i < cols.size(); ++i) {
            QTableWidgetItem *it = item(row, cols[i]);
            if (common.isNull() || keys[int(i)] != common) {
                it->setData(DiffRole, true);
                it->setBackground(kDiffColor);
            }
            if (i < lowerIsBetter.size() && lowerIsBetter[i] == best) {
                QFont f = it->font();
                f.setBold(true);
                it->setFont(f);
            }
        }
    };

    for (int l = 0; l < layers_; ++l) {
        set(l, 0, QString::number(l + 1))->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        set(l, 1, QString::fromStdString(net.layers[l].name));
        QStringList bitKeys, energyKeys;
        std::vector<int> bitCols, energyCols;
        std::vector<double> energies;
        for (int p = 0; p < points_; ++p) {
            const ComparePoint &pt = points[p];
            const bool haveBits = l < static_cast<int>(pt.bits.size());
            const QString bits = haveBits
                                     ? QString("%1 / %2").arg(pt.bits[l].weights).arg(pt.bits[l].activations)
                                     : QString("—");
            set(l, bitsColumn(p), bits)->setTextAlignment(Qt::AlignCenter);
            const double pj = l < static_cast<int>(pt.layerEnergyPj.size()) ? pt.layerEnergyPj[l] : NAN;
            QString energy = hasEnergy(pj) ? QString::number(pj / 1e6, 'f', 3) : tr("no valid mapping");
            QTableWidgetItem *e = set(l, energyColumn(p), energy, hasEnergy(pj) ? QVariant(pj) : QVariant());
            if (!hasEnergy(pj))
                e->setForeground(kInvalidColor);
            bitKeys << bits;
            energyKeys << energy; // what the user sees is what counts as different
            bitCols.push_back(bitsColumn(p));
            energyCols.push_back(energyColumn(p));
            energies.push_back(hasEnergy(pj) ? pj : INFINITY);
        }
        mark(l, bitCols, bitKeys);
        mark(l, energyCols, energyKeys, energies);
    }

    QFont bold = font();
    bold.setBold(true);
    const std::pair<int, QString> totals[] = {{energyTotalRow(), tr("Energy (µJ)")},
                                              {errorRow(), tr("Error")},
                                              {memoryRow(), tr("Weight memory (B)")}};
    for (const auto &[row, name] : totals) {
        set(row, 1, name)->setFont(bold);
        set(row, 0, {});
    }
    QStringList energyKeys, errorKeys, memoryKeys;
    std::vector<double> energies, errors, memories;
    std::vector<int> cols;
    for (int p = 0; p < points_; ++p) {
        const ComparePoint &pt = points[p], &ref = points.front();
        const int col = bitsColumn(p);
        cols.push_back(col);
        for (int row : {energyTotalRow(), errorRow(), memoryRow()})
            setSpan(row, col, 1, 2);
        const QString energy = QString::number(pt.totalEnergyPj / 1e6, 'f', 3);
        set(energyTotalRow(), col, energy + delta(pt.totalEnergyPj, ref.totalEnergyPj), pt.totalEnergyPj);
        const bool knownError = pt.error >= 0;
        const QString error = knownError ? QString::number(pt.error * 100, 'f', 2) + " %" : QString("—");
        set(errorRow(), col, error, knownError ? QVariant(pt.error) : QVariant());
        set(memoryRow(), col,
            grouped(pt.weightBytes) + delta(double(pt.weightBytes), double(ref.weightBytes)), pt.weightBytes);
        energyKeys << energy;
        errorKeys << error;
        memoryKeys << grouped(pt.weightBytes);
        energies.push_back(pt.totalEnergyPj);
        errors.push_back(knownError ? pt.error : INFINITY);
        memories.push_back(double(pt.weightBytes));
    }
    mark(energyTotalRow(), cols, energyKeys, energies);
    mark(errorRow(), cols, errorKeys, errors);
    mark(memoryRow(), cols, memoryKeys, memories);
    for (int row : {energyTotalRow(), errorRow(), memoryRow()})
        for (int col = 0; col < columnCount(); ++col)
            if (QTableWidgetItem *it = item(row, col); it && !it->data(DiffRole).toBool())
                it->setBackground(palette().midlight());
    resizeColumnsToContents();
}

} // namespace bitloop::gui
