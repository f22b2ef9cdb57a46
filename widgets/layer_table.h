// The layers of one configuration (a Pareto point, or a what-if edit of one): per layer its kind and shape,
// its weight and activation bits (editable), the packing they give, the best mapping's energy and its
// share of the network, cycles and bit-packed weight memory, with the network's totals in a last row that
// stays last however the table is sorted.
#pragma once

#include "arch/architecture.h"
#include "mapper/network_mapper.h"
#include "workload/layer.h"

#include <QTableWidget>

#include <array>
#include <vector>

namespace bitloop::gui
{

class LayerTable : public QTableWidget
{
    Q_OBJECT

public:
    enum Column {
        ColIndex, // 1-based layer number
        ColName,
        ColType,       // conv / depthwise / pointwise / fc
        ColShape,      // Layer::describe()
        ColWeightBits, // editable
        ColActBits,    // editable: the layer's input activations (the previous layer's outputs)
        ColPacking,    // operands per word of each tensor at the levels that keep it
        ColEnergy,     // µJ, the best mapping's
        ColShare,      // % of the network's energy
        ColCycles,
        ColWeightBytes, // ceil(weights x weight bits / 8)
        ColumnCount
    };
    // Widths the bits editor offers (the co-design genes' range and the 16-bit baseline).
    static const std::vector<int> &allowedBits();

    explicit LayerTable(QWidget *parent = nullptr);

    // Fills the table from one configuration; `mappings.layers[i]` is layer i's best mapping at `bits`
    // (chained: layer i's outputs are layer i+1's activations). Layers it lacks (a cancelled run) show as
    // not mapped. Keeps the current layer and emits layerSelected for it, so views that follow the
    // selection show the new mapping.
    void setConfiguration(const Network &net, const Architecture &arch, const BitConfig &bits,
                          const NetworkMapping &mappings);
    void clearConfiguration();

    int layerCount() const { return static_cast<int>(layers_.size()); }
    int rowOfLayer(int layer) const; // the row showing a layer (rows move when sorted); -1 if none
    int layerAtRow(int row) const;   // -1 for the totals row
    int currentLayer() const;        // -1 when no layer row is current
    void selectLayer(int layer);

    // What the table shows, edits included.
    BitConfig bits() const { return bits_; }
    double totalEnergyPj() const; // layers with a valid mapping
    int64_t totalCycles() const;  // layers with a valid mapping
    int64_t totalWeightBytes() const;
    bool allMapped() const;

    // The table as CSV, one row per layer in network order, unlocalized numbers (energy in pJ as the
    // shortest text that reads back exactly): layer,name,type,shape,weight_bits,activation_bits,packing,
    // energy_pj,energy_share_percent,cycles,weight_bytes,valid_mapping.
    QString toCsv() const;

Q_SIGNALS:
    void layerSelected(int layer); // 0-based
    // The user changed a layer's bits in the table. Its energy, and when the activations changed also the
    // previous layer's (whose outputs they are), are marked stale until the next setConfiguration.
    void bitsEdited(int layer, int weightBits, int activationBits);
    void pinBitsRequested(int layer);
    void pinMappingRequested(int layer);

protected:
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    struct Row {
        QString name, type, shape;
        int64_t weights = 0;
        bool mapped = false; // a valid mapping exists
        double energyPj = 0;
        int64_t cycles = 0;
        QString why;                                     // why there is no valid mapping
        std::vector<std::array<bool, kNumTensors>> keep; // per level, innermost first
        bool stale = false;                              // bits edited since the figures were computed
    };

    void fill();
    void fillRow(int layer, int row);
    void fillTotals(int row);
    void refreshLayer(int layer); // derived cells of one layer after an edit
    void onItemChanged(QTableWidgetItem *item);
    void onCurrentCellChanged(int row, int column, int previousRow, int previousColumn);
    std::vector<BitWidths> widths() const;

    Network net_;
    Architecture arch_;
    std::vector<Row> layers_;
    BitConfig bits_;
    int lastOutputBits_ = 16;
    int selectedLayer_ = -1;
    bool filling_ = false;
};

} // namespace bitloop::gui
