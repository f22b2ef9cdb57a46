// What the user does with the layer table: edit a width (only an allowed one, marking the layers whose
// figures it makes stale), move between layers, pin from the context menu, and copy or export it as CSV.
#include "layer_table.h"

#include "widgets/packing_text.h"

#include "model/evaluation.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QLocale>
#include <QMenu>

#include <algorithm>

namespace bitloop::gui
{

namespace
{

QString csvField(QString s)
{
    if (!s.contains(',') && !s.contains('"') && !s.contains('\n'))
        return s;
    return '"' + s.replace('"', "\"\"") + '"';
}

} // namespace

void LayerTable::onItemChanged(QTableWidgetItem *changed)
{
    if (filling_ || (changed->column() != ColWeightBits && changed->column() != ColActBits))
        return;
    const int layer = layerAtRow(changed->row());
    if (layer < 0)
        return;
    bool ok = false;
    const int b = changed->data(Qt::EditRole).toInt(&ok);
    const auto &allowed = allowedBits();
    LayerBits next = bits_[layer];
    (changed->column() == ColWeightBits ? next.weights : next.activations) = b;
    if (!ok || std::find(allowed.begin(), allowed.end(), b) == allowed.end() || next == bits_[layer]) {
        refreshLayer(layer); // not a width the search knows, or no change: show the current one again
        return;
    }
    const bool activations = next.activations != bits_[layer].activations;
    bits_[layer] = next;
    layers_[layer].stale = true;
    refreshLayer(layer);
    if (activations && layer > 0) { // they are also the previous layer's outputs
        layers_[layer - 1].stale = true;
        refreshLayer(layer - 1);
    }
    Q_EMIT bitsEdited(layer, next.weights, next.activations);
}

void LayerTable::onCurrentCellChanged(int row, int, int, int)
{
    const int layer = layerAtRow(row);
    if (filling_ || layer < 0 || layer == selectedLayer_)
        return;
    selectedLayer_ = layer;
    Q_EMIT layerSelected(layer);
}

void LayerTable::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    // A right click names its row; the menu key, the current one.
    const int layer = layerAtRow(event->reason() == QContextMenuEvent::Mouse
                                     ? rowAt(viewport()->mapFromGlobal(event->globalPos()).y())
                                     : currentRow());
    if (layer >= 0) {
        const Row &r = layers_[layer];
        menu.addSection(tr("Layer %1 (%2)").arg(layer + 1).arg(r.name));
        menu.addAction(tr("Pin this layer's bit-widths"), this,
                       [this, layer]() { Q_EMIT pinBitsRequested(layer); });
        QAction *pinMapping = menu.addAction(tr("Pin this layer's mapping"), this,
                                             [this, layer]() { Q_EMIT pinMappingRequested(layer); });
        pinMapping->setEnabled(r.mapped && !r.stale);
        if (!r.mapped)
            pinMapping->setToolTip(tr("The layer has no valid mapping"));
        menu.addSeparator();
    }
    QAction *copy = menu.addAction(tr("Copy table as CSV"), this,
                                   [this]() { QApplication::clipboard()->setText(toCsv()); });
    copy->setEnabled(!layers_.empty());
    menu.exec(event->globalPos());
}

QString LayerTable::toCsv() const
{
    QString out = "layer,name,type,shape,weight_bits,activation_bits,packing,energy_pj,energy_share_percent,"
                  "cycles,weight_bytes,valid_mapping\n";
    const double total = totalEnergyPj();
    const std::vector<BitWidths> bw = widths();
    for (int i = 0; i < layerCount(); ++i) {
        const Row &r = layers_[i];
        QString perLevel;
        QStringList f = {QString::number(i + 1),
                         csvField(r.name),
                         r.type,
                         csvField(r.shape),
                         QString::number(bits_[i].weights),
                         QString::number(bits_[i].activations),
                         csvField(packingText(arch_, r.keep, bw[i], &perLevel))};
        if (r.mapped) {
            // The mapper's energy as it is (it reads back exactly); the share is a quotient, whose last
            // digits are rounding noise (12.500000000000002): 15 significant digits.
            f << QString::number(r.energyPj, 'g', QLocale::FloatingPointShortest)
              << QString::number(total > 0 ? 100.0 * r.energyPj / total : 0, 'g', 15)
              << QString::number(r.cycles);
        } else {
            f << QString() << QString() << QString();
        }
        f << QString::number(ceilDiv(r.weights * bits_[i].weights, 8)) << (r.mapped ? "true" : "false");
        out += f.join(',') + '\n';
    }
    return out;
}

} // namespace bitloop::gui
