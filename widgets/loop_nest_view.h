// One layer's mapping as an architect reads it: the loop nest with the storage level names between the
// loops (as Timeloop's map.txt), each level's loops, tiles, packing and how full it is, and where the
// energy goes by level and tensor, as a table and a stacked bar chart.
#pragma once

#include "arch/architecture.h"
#include "mapper/search.h"
#include "workload/layer.h"

#include <QWidget>

class QCustomPlot;
class QLabel;
class QPlainTextEdit;
class QTableWidget;
class QTabWidget;

namespace bitloop::gui
{

class LoopNestView : public QWidget
{
    Q_OBJECT

public:
    // Per-level table: one row per kept tensor of each level, outermost level first; the level's own
    // cells span its rows. Numeric cells carry their exact value in Qt::UserRole.
    enum LevelColumn {
        LevelName,
        LevelTemporal, // the level's temporal loops, outermost first: "Q7 P2"
        LevelSpatial,  // its fan-out to the level below: "M2(X) C3(Y)"
        LevelTensor,   // "—" where the level keeps nothing
        LevelTileOperands,
        LevelTileWords, // ceil(operands / packing), per instance
        LevelPacking,   // operands per word
        LevelUsedWords, // "used / capacity" words per instance, all kept tensors
        LevelFull,      // used / capacity in %, "unbounded" for the backing store
        LevelInstances, // "used / available"
        LevelColumnCount
    };
    // Energy table: the levels outermost first, then the MACs, then the layer total. pJ in Qt::UserRole.
    enum EnergyColumn {
        EnergyLevel,
        EnergyWeights,
        EnergyInputs,
        EnergyOutputs,
        EnergyTotal,
        EnergyShare,
        EnergyColumnCount
    };

    explicit LoopNestView(QWidget *parent = nullptr);

    // `index` is the layer's 0-based position in its network (for the heading only; -1 to leave it out).
    void setLayer(const Layer &layer, const Architecture &arch, const MapperResult &result, int index = -1);
    void clear();

    QString loopNestText() const;
    QString statusText() const; // the heading: the layer and its figures, or why it has no valid mapping
    QPlainTextEdit *loopNestEdit() const { return nest_; }
    QTableWidget *levelTable() const { return levels_; }
    QTableWidget *energyTable() const { return energy_; }
    QCustomPlot *energyPlot() const { return plot_; }
    QTabWidget *viewTabs() const { return views_; } // Loop nest, Levels, Energy

private:
    void fillLevels(const Architecture &arch, const MapperResult &result);
    void fillEnergy(const Architecture &arch, const Evaluation &ev);
    void plotEnergy(const Architecture &arch, const Evaluation &ev);

    QLabel *status_;
    QWidget *content_;
    QPlainTextEdit *nest_;
    QTableWidget *levels_;
    QTableWidget *energy_;
    QCustomPlot *plot_;
    QTabWidget *views_;
};

} // namespace bitloop::gui
