#include "layer_table.h"

#include "widgets/packing_text.h"

#include "model/evaluation.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLocale>
#include <QStyledItemDelegate>

#include <algorithm>
#include <cmath>
#include <limits>

namespace bitloop::gui
{

namespace
{

constexpr int kSortRole = Qt::UserRole;       // numeric sort key where the text is not one
constexpr int kLayerRole = Qt::UserRole + 1;  // on ColIndex: the 0-based layer
constexpr int kTotalsRole = Qt::UserRole + 2; // on every cell of the totals row

const QColor kInvalidColor(190, 20, 20);
const QColor kStaleColor(140, 140, 140);

QString grouped(int64_t v)
{
    return QLocale(QLocale::English).toString(static_cast<qlonglong>(v));
}

QString microjoules(double pj)
{
    return QString::number(pj / 1e6, 'f', 3);
}

// Sorts by kSortRole where set (numbers shown with separators or units), and keeps the totals row last in
// either direction: Qt sorts descending by swapping the operands of operator<.
class SortItem : public QTableWidgetItem
{
public:
    using QTableWidgetItem::QTableWidgetItem;
    bool operator<(const QTableWidgetItem &other) const override
    {
        const bool ascending =
            !tableWidget() || tableWidget()->horizontalHeader()->sortIndicatorOrder() == Qt::AscendingOrder;
        if (data(kTotalsRole).toBool())
            return !ascending;
        if (other.data(kTotalsRole).toBool())
            return ascending;
        const QVariant a = data(kSortRole), b = other.data(kSortRole);
        if (a.isValid() && b.isValid())
            return a.toDouble() < b.toDouble();
        return QTableWidgetItem::operator<(other);
    }
};

// A combo box of the allowed widths; choosing one commits at once.
class BitsDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &, const QModelIndex &) const override
    {
        auto *combo = new QComboBox(parent);
        for (int b : LayerTable::allowedBits())
            combo->addItem(QString::number(b), b);
        auto *self = const_cast<BitsDelegate *>(this);
        connect(combo, &QComboBox::activated, self, [self, combo]() {
            Q_EMIT self->commitData(combo);
            Q_EMIT self->closeEditor(combo);
        });
        return combo;
    }
    void setEditorData(QWidget *editor, const QModelIndex &index) const override
    {
        auto *combo = static_cast<QComboBox *>(editor);
        const int b = index.data(Qt::EditRole).toInt();
        if (combo->findData(b) < 0) // a width from elsewhere (a loaded configuration) stays choosable
            combo->addItem(QString::number(b), b);
        combo->setCurrentIndex(combo->findData(b));
    }
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override
    {
        model->setData(index, static_cast<QComboBox *>(editor)->currentData(), Qt::EditRole);
    }
};

} // namespace

const std::vector<int> &LayerTable::allowedBits()
{
    static const std::vector<int> bits = {2, 3, 4, 5, 6, 7, 8, 16};
    return bits;
}

LayerTable::LayerTable(QWidget *parent) : QTableWidget(parent)
{
    setColumnCount(ColumnCount);
    const QStringList headers = {"#",       "Layer",       "Type",  "Shape",  "W bits",     "A bits",
                                 "Packing", "Energy (µJ)", "Share", "Cycles", "Weights (B)"};
    setHorizontalHeaderLabels(headers);
    const std::pair<Column, const char *> tips[] = {
        {ColWeightBits, "Weight bit-width (double-click to change: what-if)"},
        {ColActBits, "Input-activation bit-width, which is also the previous layer's output width "
                     "(double-click to change: what-if)"},
        {ColPacking, "Operands per word, floor(word bits / bit-width), of Weights, Inputs and Outputs at the "
                     "innermost level that keeps each; a slash adds the factors of outer levels whose words "
                     "differ"},
        {ColEnergy, "Energy of the layer's best mapping at these bit-widths"},
        {ColShare, "Share of the network's energy"},
        {ColWeightBytes, "Weight memory: ceil(weights × weight bits / 8) bytes"},
    };
    for (const auto &[col, tip] : tips)
        horizontalHeaderItem(col)->setToolTip(tr(tip));
    verticalHeader()->hide();
    setSelectionBehavior(SelectRows);
    setSelectionMode(SingleSelection);
    setEditTriggers(DoubleClicked | EditKeyPressed | SelectedClicked);
    setAlternatingRowColors(true);
    setWordWrap(false);
    auto *bitsDelegate = new BitsDelegate(this);
    setItemDelegateForColumn(ColWeightBits, bitsDelegate);
    setItemDelegateForColumn(ColActBits, bitsDelegate);
    horizontalHeader()->setSortIndicator(ColIndex, Qt::AscendingOrder);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setSectionResizeMode(ColShape, QHeaderView::Stretch);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    setSortingEnabled(true);
    connect(this, &QTableWidget::itemChanged, this, &LayerTable::onItemChanged);
    connect(this, &QTableWidget::currentCellChanged, this, &LayerTable::onCurrentCellChanged);
}

void LayerTable::setConfiguration(const Network &net, const Architecture &arch, const BitConfig &bits,
                                  const NetworkMapping &mappings)
{
    const size_t n = net.layers.size();
    net_ = net;
    arch_ = arch;
    bits_ = bits;
    bits_.resize(n); // a short configuration shows the default (16-bit) genes for what it lacks
    layers_.assign(n, Row{});
    for (size_t i = 0; i < n; ++i) {
        const Layer &layer = net.layers[i];
        Row &r = layers_[i];
        r.name = QString::fromStdString(layer.name);
        r.type = layerKindName(layer.kind);
        r.shape = QString::fromStdString(layer.describe());
        r.weights = layer.weightCount();
        const MapperResult *m = i < mappings.layers.size() ? &mappings.layers[i] : nullptr;
        r.mapped = m && m->found && m->evaluation.valid;
        if (r.mapped) {
            r.energyPj = m->evaluation.energy;
            r.cycles = m->evaluation.cycles;
        } else if (!m) {
            r.why = tr("not mapped: the run stopped before this layer");
        } else if (m->cancelled) {
            r.why = tr("mapping cancelled");
        } else if (!m->evaluation.reasons.empty()) {
            QStringList reasons;
            for (const std::string &s : m->evaluation.reasons)
                reasons << QString::fromStdString(s);
            r.why = reasons.join('\n');
        } else {
            r.why = tr("none of the %1 loop nests the mapper visited fits this architecture")
                        .arg(grouped(m->visited));
            if (!m->note.empty())
                r.why += "\n" + QString::fromStdString(m->note);
        }
        const bool haveMapping = m && static_cast<int>(m->mapping.levels.size()) == arch.numLevels();
        for (int l = 0; l < arch.numLevels(); ++l)
            r.keep.push_back(haveMapping ? m->mapping.levels[l].keep : arch.levels[l].mayKeep);
    }
    // The last layer's output width is not a gene; its mapping was evaluated with it.
    lastOutputBits_ = n ? bits_.back().activations : 16;
    if (n && mappings.layers.size() == n && !mappings.layers.back().evaluation.levels.empty())
        lastOutputBits_ = mappings.layers.back().evaluation.bits.of(Tensor::Outputs);

    const int keepLayer = selectedLayer_ < static_cast<int>(n) ? selectedLayer_ : -1;
    fill();
    selectedLayer_ = keepLayer;
    if (keepLayer >= 0) {
        filling_ = true;
        selectLayer(keepLayer);
        filling_ = false;
        Q_EMIT layerSelected(keepLayer);
    }
}

void LayerTable::clearConfiguration()
{
    layers_.clear();
    bits_.clear();
    selectedLayer_ = -1;
    filling_ = true;
    setRowCount(0);
    filling_ = false;
}

std::vector<BitWidths> LayerTable::widths() const
{
    return chainBits(net_, bits_, lastOutputBits_);
}

void LayerTable::fill()
{
    filling_ = true;
    setSortingEnabled(false);
    clearContents();
    setRowCount(layerCount() + (layers_.empty() ? 0 : 1));
    for (int i = 0; i < layerCount(); ++i)
        fillRow(i, i);
    if (!layers_.empty())
        fillTotals(layerCount());
    setSortingEnabled(true); // sorts by the header's indicator
    resizeColumnsToContents();
    filling_ = false;
}

void LayerTable::fillRow(int layer, int row)
{
    const Row &r = layers_[layer];
    const BitWidths bw = widths()[layer];
    const double total = totalEnergyPj();
    const double inf = std::numeric_limits<double>::infinity();
    auto cell = [&](int col, const QVariant &display, const QVariant &sortKey = {}) {
        QTableWidgetItem *it = item(row, col);
        if (!it) {
            it = new SortItem;
            setItem(row, col, it);
        }
        it->setData(Qt::DisplayRole, display);
        it->setData(kSortRole, sortKey);
        it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        it->setForeground(QBrush());
        it->setToolTip({});
        QFont f = font();
        f.setItalic(r.stale && (col == ColEnergy || col == ColShare || col == ColCycles));
        it->setFont(f);
        if (f.italic()) {
            it->setForeground(kStaleColor);
            it->setToolTip(tr("Bits edited: figures of the previous widths until recomputed"));
        }
        return it;
    };
    cell(ColIndex, layer + 1)->setData(kLayerRole, layer);
    cell(ColName, r.name);
    cell(ColType, r.type);
    cell(ColShape, r.shape);
    const Qt::ItemFlags editable = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable;
    cell(ColWeightBits, bits_[layer].weights)->setFlags(editable);
    cell(ColActBits, bits_[layer].activations)->setFlags(editable);
    item(row, ColActBits)
        ->setToolTip(tr("Inputs %1 bits, Outputs %2 bits (the next layer's activations)")
                         .arg(bw.of(Tensor::Inputs))
                         .arg(bw.of(Tensor::Outputs)));
    QString perLevel;
    const QString packing = packingText(arch_, r.keep, bw, &perLevel);
    cell(ColPacking, packing)->setToolTip(perLevel);
    if (r.mapped) {
        cell(ColEnergy, microjoules(r.energyPj), r.energyPj);
        const double share = total > 0 ? 100.0 * r.energyPj / total : 0;
        cell(ColShare, QString::number(share, 'f', 1) + " %", share);
        cell(ColCycles, grouped(r.cycles), static_cast<qlonglong>(r.cycles));
    } else {
        for (int col : {ColEnergy, ColShare, ColCycles}) {
            QTableWidgetItem *it = cell(col, col == ColEnergy ? tr("no valid mapping") : QString("—"), inf);
            it->setForeground(kInvalidColor);
            it->setToolTip(r.why);
        }
    }
    const int64_t bytes = packedBytes(r.weights, bits_[layer].weights);
    cell(ColWeightBytes, grouped(bytes), static_cast<qlonglong>(bytes));
    for (int col : {ColIndex, ColEnergy, ColShare, ColCycles, ColWeightBytes, ColWeightBits, ColActBits})
        item(row, col)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
}

void LayerTable::fillTotals(int row)
{
    int unmapped = 0;
    bool stale = false;
    for (const Row &r : layers_) {
        unmapped += r.mapped ? 0 : 1;
        stale = stale || r.stale;
    }
    QFont bold = font();
    bold.setBold(true);
    auto cell = [&](int col, const QString &text) {
        QTableWidgetItem *it = item(row, col);
        if (!it) {
            it = new SortItem;
            setItem(row, col, it);
        }
        it->setText(text);
        it->setData(kTotalsRole, true);
        it->setFlags(Qt::ItemIsEnabled); // not a layer: cannot be selected or edited
        it->setFont(bold);
        it->setBackground(palette().midlight());
        return it;
    };
    for (int col = 0; col < ColumnCount; ++col)
        cell(col, {});
    cell(ColName, tr("Total"));
    cell(ColType, tr("%1 layers").arg(layerCount()));
    if (unmapped) {
        QTableWidgetItem *it = cell(ColShape, tr("%1 without a valid mapping").arg(unmapped));
        it->setForeground(kInvalidColor);
        it->setToolTip(tr("Energy, share and cycles leave them out"));
    }
    cell(ColEnergy, microjoules(totalEnergyPj()));
    cell(ColShare, totalEnergyPj() > 0 ? QString("100.0 %") : QString("—"));
    cell(ColCycles, grouped(totalCycles()));
    cell(ColWeightBytes, grouped(totalWeightBytes()));
    QFont staleFont = bold;
    staleFont.setItalic(true);
    if (stale)
        for (int col : {ColEnergy, ColShare, ColCycles}) {
            item(row, col)->setFont(staleFont);
            item(row, col)->setForeground(kStaleColor.darker(130)); // on the row's darker background
            item(row, col)->setToolTip(tr("Bits edited: figures of the previous widths until recomputed"));
        }
    for (int col : {ColEnergy, ColShare, ColCycles, ColWeightBytes})
        item(row, col)->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
}

void LayerTable::refreshLayer(int layer)
{
    if (layer < 0 || layer >= layerCount())
        return;
    filling_ = true;
    const bool sorting = isSortingEnabled();
    setSortingEnabled(false);
    fillRow(layer, rowOfLayer(layer));
    for (int row = 0; row < rowCount(); ++row)
        if (item(row, ColIndex)->data(kTotalsRole).toBool())
            fillTotals(row);
    setSortingEnabled(sorting);
    filling_ = false;
}

int LayerTable::rowOfLayer(int layer) const
{
    for (int row = 0; row < rowCount(); ++row)
        if (layerAtRow(row) == layer)
            return row;
    return -1;
}

int LayerTable::layerAtRow(int row) const
{
    const QTableWidgetItem *it = row >= 0 ? item(row, ColIndex) : nullptr;
    return it && !it->data(kTotalsRole).toBool() ? it->data(kLayerRole).toInt() : -1;
}

int LayerTable::currentLayer() const
{
    return layerAtRow(currentRow());
}

void LayerTable::selectLayer(int layer)
{
    const int row = rowOfLayer(layer);
    if (row >= 0)
        setCurrentCell(row, currentColumn() >= 0 ? currentColumn() : ColName);
}

double LayerTable::totalEnergyPj() const
{
    double e = 0;
    for (const Row &r : layers_)
        e += r.mapped ? r.energyPj : 0;
    return e;
}

int64_t LayerTable::totalCycles() const
{
    int64_t c = 0;
    for (const Row &r : layers_)
        c += r.mapped ? r.cycles : 0;
    return c;
}

int64_t LayerTable::totalWeightBytes() const
{
    int64_t b = 0;
    for (int i = 0; i < layerCount(); ++i)
        b += packedBytes(layers_[i].weights, bits_[i].weights);
    return b;
}

bool LayerTable::allMapped() const
{
    for (const Row &r : layers_)
        if (!r.mapped)
            return false;
    return true;
}

} // namespace bitloop::gui
