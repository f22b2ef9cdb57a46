// The layer table, the loop-nest view and the comparison of pinned points, filled with MobileNetV1 mapped
// onto the Eyeriss preset at mixed bit-widths: every figure a user reads is the mapper's, clicks and edits
// emit what the main window acts on, and a layer without a valid mapping says why.
#include "widgets/compare_view.h"
#include "widgets/layer_table.h"
#include "widgets/loop_nest_view.h"

#include "arch/architecture.h"
#include "io/arch_io.h"
#include "mapper/network_mapper.h"
#include "mapping/mapping.h"
#include "model/evaluation.h"
#include "workload/mobilenet.h"

#include <QComboBox>
#include <QMenu>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>
#include <memory>

using namespace bitloop;
using namespace bitloop::gui;

namespace
{

// Every width the search uses, spread over the layers; layer 1 at 8-bit weights.
BitConfig mixedBits(size_t layers)
{
    BitConfig b(layers);
    for (size_t i = 0; i < layers; ++i)
        b[i] = {2 + int(i % 7), 8 - int(i % 4)};
    b[0] = {8, 8};
    return b;
}

int operandsPerWord(int bits)
{
    return 16 / bits; // every Eyeriss level has 16-bit words
}

// "Q7 P2" -> {Q: 7, P: 2}; "M2(X) C3(Y)" -> {M(X): 2, C(Y): 3}.
std::map<QString, qlonglong> factors(const QString &cell)
{
    std::map<QString, qlonglong> out;
    for (const QString &tok : cell.split(' ', Qt::SkipEmptyParts)) {
        const QString axis = tok.endsWith(")") ? tok.right(3) : QString();
        out[tok.left(1) + axis] = tok.mid(1, tok.size() - 1 - axis.size()).toLongLong();
    }
    return out;
}

} // namespace

class TestGuiTables : public QObject
{
    Q_OBJECT

    QTemporaryDir cacheDir_;
    std::unique_ptr<MapperCache> cache_;
    Network net_;
    Architecture arch_;
    BitConfig bits_;
    NetworkMapping nm_;

    int rowOf(const LayerTable &t, int layer) { return t.rowOfLayer(layer); }
    QString cellText(const LayerTable &t, int layer, int col)
    {
        return t.item(t.rowOfLayer(layer), col)->text();
    }

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("BITLOOP_PRESETS", BITLOOP_PRESETS);
        cache_ = std::make_unique<MapperCache>(cacheDir_.path().toStdString());
        arch_ = loadArchitecture("eyeriss16");
        net_ = mobileNetV1();
        bits_ = mixedBits(net_.layers.size());
        nm_ = mapNetwork(net_, arch_, chainBits(net_, bits_, 8), {}, cache_.get());
        QCOMPARE(net_.layers.size(), size_t(28));
        QVERIFY(nm_.allFound);
    }

    void tableShowsEveryLayerWithItsBits()
    {
        LayerTable t;
        t.setConfiguration(net_, arch_, bits_, nm_);
        QCOMPARE(t.layerCount(), 28);
        QCOMPARE(t.rowCount(), 29); // and the totals row
        QCOMPARE(t.layerAtRow(28), -1);
        QCOMPARE(t.item(28, LayerTable::ColName)->text(), QString("Total"));
        for (int i = 0; i < 28; ++i) {
            QCOMPARE(t.rowOfLayer(i), i); // network order until the user sorts
            const Layer &l = net_.layers[i];
            QCOMPARE(cellText(t, i, LayerTable::ColIndex), QString::number(i + 1));
            QCOMPARE(cellText(t, i, LayerTable::ColName), QString::fromStdString(l.name));
            QCOMPARE(cellText(t, i, LayerTable::ColType), QString(layerKindName(l.kind)));
            QCOMPARE(cellText(t, i, LayerTable::ColShape), QString::fromStdString(l.describe()));
            QCOMPARE(cellText(t, i, LayerTable::ColWeightBits), QString::number(bits_[i].weights));
            QCOMPARE(cellText(t, i, LayerTable::ColActBits), QString::number(bits_[i].activations));
            // Inputs are the layer's activations, Outputs the next layer's (the last layer's: 8 bits).
            const int outBits = i + 1 < 28 ? bits_[i + 1].activations : 8;
            QCOMPARE(cellText(t, i, LayerTable::ColPacking), QString("W×%1 I×%2 O×%3")
                                                                 .arg(operandsPerWord(bits_[i].weights))
                                                                 .arg(operandsPerWord(bits_[i].activations))
                                                                 .arg(operandsPerWord(outBits)));
        }
        QCOMPARE(cellText(t, 0, LayerTable::ColType), QString("conv"));
        QCOMPARE(cellText(t, 1, LayerTable::ColType), QString("depthwise"));
        QCOMPARE(cellText(t, 2, LayerTable::ColType), QString("pointwise"));
        QCOMPARE(cellText(t, 27, LayerTable::ColType), QString("fc"));
        QVERIFY(t.bits() == bits_);
    }

    void energiesAreTheMappersAndSharesSumTo100()
    {
        LayerTable t;
        t.setConfiguration(net_, arch_, bits_, nm_);
        double shares = 0, shownShares = 0;
        for (int i = 0; i < 28; ++i) {
            const Evaluation &ev = nm_.layers[i].evaluation;
            QCOMPARE(cellText(t, i, LayerTable::ColEnergy), QString::number(ev.energy / 1e6, 'f', 3));
            QCOMPARE(cellText(t, i, LayerTable::ColCycles),
                     QLocale(QLocale::English).toString(qlonglong(ev.cycles)));
            const QTableWidgetItem *share = t.item(rowOf(t, i), LayerTable::ColShare);
            QCOMPARE(share->data(Qt::UserRole).toDouble(), 100.0 * ev.energy / nm_.energy);
            shares += share->data(Qt::UserRole).toDouble();
            shownShares += share->text().chopped(2).toDouble();
        }
        QVERIFY(std::fabs(shares - 100.0) < 1e-9);
        QVERIFY(std::fabs(shownShares - 100.0) <= 28 * 0.05); // each shown to 0.1 %
        QVERIFY(std::fabs(t.totalEnergyPj() - nm_.energy) <= 1e-9 * nm_.energy);
        QCOMPARE(t.totalCycles(), nm_.cycles);
        QCOMPARE(t.totalWeightBytes(), nm_.weightBytes);
        QCOMPARE(t.item(28, LayerTable::ColEnergy)->text(), QString::number(nm_.energy / 1e6, 'f', 3));
        QCOMPARE(t.item(28, LayerTable::ColWeightBytes)->text(),
                 QLocale(QLocale::English).toString(qlonglong(nm_.weightBytes)));
    }

    void weightMemoryIsBitPacked()
    {
        LayerTable t;
        t.setConfiguration(net_, arch_, bits_, nm_);
        QCOMPARE(net_.layers[0].weightCount(), int64_t(864)); // conv1: 32 x 3 x 3 x 3
        QCOMPARE(cellText(t, 0, LayerTable::ColWeightBytes), QString("864"));
        for (int i = 0; i < 28; ++i)
            QCOMPARE(t.item(rowOf(t, i), LayerTable::ColWeightBytes)->data(Qt::UserRole).toLongLong(),
                     qlonglong(nm_.layers[i].evaluation.weightMemoryBytes));
    }

    void clickingARowSelectsItsLayer()
    {
        LayerTable t;
        t.resize(1200, 800);
        t.setConfiguration(net_, arch_, bits_, nm_);
        t.show();
        QVERIFY(QTest::qWaitForWindowExposed(&t));
        QSignalSpy spy(&t, &LayerTable::layerSelected);
        const QRect cell = t.visualItemRect(t.item(6, LayerTable::ColName));
        QTest::mouseClick(t.viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.takeFirst().at(0).toInt(), 6);
        QTest::keyClick(t.viewport(), Qt::Key_Down);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.takeFirst().at(0).toInt(), 7);
        QCOMPARE(t.currentLayer(), 7);
        // Clicking the totals row selects no layer.
        QTest::mouseClick(t.viewport(), Qt::LeftButton, {},
                          t.visualItemRect(t.item(28, LayerTable::ColName)).center());
        QCOMPARE(spy.count(), 0);
        // New figures for the same point keep the layer and announce it, so the loop nest follows.
        t.setConfiguration(net_, arch_, bits_, nm_);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.takeFirst().at(0).toInt(), 7);
        QCOMPARE(t.currentLayer(), 7);
    }

    void editingBitsEmitsTheNewWidths()
    {
        LayerTable t;
        t.resize(1200, 800);
        t.setConfiguration(net_, arch_, bits_, nm_);
        t.show();
        QVERIFY(QTest::qWaitForWindowExposed(&t));
        QSignalSpy spy(&t, &LayerTable::bitsEdited);

        // As a user does it: open the editor, choose 3 bits, press Return.
        QTableWidgetItem *w = t.item(rowOf(t, 4), LayerTable::ColWeightBits);
        t.editItem(w);
        auto *combo = t.viewport()->findChild<QComboBox *>();
        QVERIFY(combo);
        QCOMPARE(combo->currentText(), QString::number(bits_[4].weights));
        QCOMPARE(combo->count(), 8); // 2..8 and 16
        combo->setCurrentIndex(combo->findText("3"));
        QTest::keyClick(combo, Qt::Key_Return);
        QTRY_COMPARE(spy.count(), 1); // the delegate commits on the next turn of the event loop
        QCOMPARE(spy.first().at(0).toInt(), 4);
        QCOMPARE(spy.first().at(1).toInt(), 3);
        QCOMPARE(spy.first().at(2).toInt(), bits_[4].activations);
        spy.clear();
        QCOMPARE(t.bits()[4].weights, 3);
        QCOMPARE(cellText(t, 4, LayerTable::ColWeightBits), QString("3"));
        // Memory and packing follow at once; the energy waits for the mapper, greyed.
        const qlonglong bytes = (net_.layers[4].weightCount() * 3 + 7) / 8;
        QCOMPARE(cellText(t, 4, LayerTable::ColWeightBytes), QLocale(QLocale::English).toString(bytes));
        QVERIFY(cellText(t, 4, LayerTable::ColPacking).startsWith("W×5 "));
        QVERIFY(t.item(rowOf(t, 4), LayerTable::ColEnergy)->font().italic());
        QVERIFY(!t.item(rowOf(t, 3), LayerTable::ColEnergy)->font().italic());

        // Activations are also the previous layer's outputs: both layers' energies go stale.
        t.item(rowOf(t, 9), LayerTable::ColActBits)->setData(Qt::EditRole, 16);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.first().at(0).toInt(), 9);
        QCOMPARE(spy.first().at(1).toInt(), bits_[9].weights);
        QCOMPARE(spy.first().at(2).toInt(), 16);
        spy.clear();
        QVERIFY(t.item(rowOf(t, 8), LayerTable::ColEnergy)->font().italic());
        QVERIFY(cellText(t, 8, LayerTable::ColPacking).endsWith(" O×1"));

        // A width the search does not know is put back, silently.
        t.item(rowOf(t, 5), LayerTable::ColWeightBits)->setData(Qt::EditRole, 11);
        QCOMPARE(spy.count(), 0);
        QCOMPARE(cellText(t, 5, LayerTable::ColWeightBits), QString::number(bits_[5].weights));
        QCOMPARE(t.bits()[5], bits_[5]);
    }

    void contextMenuPinsALayer()
    {
        LayerTable t;
        t.resize(1200, 800);
        NetworkMapping nm = nm_;
        nm.layers[3] = MapperResult{};
        t.setConfiguration(net_, arch_, bits_, nm);
        t.show();
        QVERIFY(QTest::qWaitForWindowExposed(&t));
        QSignalSpy pinBits(&t, &LayerTable::pinBitsRequested),
            pinMapping(&t, &LayerTable::pinMappingRequested);
        // Right-clicks a layer's row and chooses `action` from the menu that opens.
        auto choose = [&t](int layer, const QString &action) {
            bool enabled = false, shown = false;
            QTimer::singleShot(0, [&]() {
                auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget());
                if (!menu)
                    return;
                shown = true;
                for (QAction *a : menu->actions())
                    if (a->text() == action) {
                        enabled = a->isEnabled();
                        if (enabled)
                            a->trigger();
                    }
                menu->close();
            });
            const QPoint at = t.visualItemRect(t.item(t.rowOfLayer(layer), LayerTable::ColName)).center();
            QContextMenuEvent event(QContextMenuEvent::Mouse, at, t.viewport()->mapToGlobal(at));
            QApplication::sendEvent(t.viewport(), &event);
            return shown && enabled;
        };
        QVERIFY(choose(12, "Pin this layer's bit-widths"));
        QCOMPARE(pinBits.count(), 1);
        QCOMPARE(pinBits.first().at(0).toInt(), 12);
        QVERIFY(choose(20, "Pin this layer's mapping"));
        QCOMPARE(pinMapping.count(), 1);
        QCOMPARE(pinMapping.first().at(0).toInt(), 20);
        QVERIFY(!choose(3, "Pin this layer's mapping")); // it has none
        QCOMPARE(pinMapping.count(), 1);
    }

    void sortingKeepsTotalsLastAndCsvInNetworkOrder()
    {
        LayerTable t;
        t.setConfiguration(net_, arch_, bits_, nm_);
        t.sortByColumn(LayerTable::ColEnergy, Qt::DescendingOrder);
        int top = 0;
        for (int i = 1; i < 28; ++i)
            top = nm_.layers[i].evaluation.energy > nm_.layers[top].evaluation.energy ? i : top;
        QCOMPARE(t.layerAtRow(0), top);
        QCOMPARE(t.layerAtRow(28), -1);
        for (int r = 1; r < 28; ++r)
            QVERIFY(nm_.layers[t.layerAtRow(r - 1)].evaluation.energy >=
                    nm_.layers[t.layerAtRow(r)].evaluation.energy);
        t.sortByColumn(LayerTable::ColEnergy, Qt::AscendingOrder);
        QCOMPARE(t.layerAtRow(27), top);
        QCOMPARE(t.layerAtRow(28), -1);

        const QStringList lines = t.toCsv().split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 29);
        QCOMPARE(lines[0], QString("layer,name,type,shape,weight_bits,activation_bits,packing,energy_pj,"
                                   "energy_share_percent,cycles,weight_bytes,valid_mapping"));
        for (int i = 0; i < 28; ++i) {
            const QStringList f = lines[i + 1].split(',');
            QCOMPARE(f.size(), 12);
            const Evaluation &ev = nm_.layers[i].evaluation;
            QCOMPARE(f[0], QString::number(i + 1));
            QCOMPARE(f[1], QString::fromStdString(net_.layers[i].name));
            QCOMPARE(f[4].toInt(), bits_[i].weights);
            QCOMPARE(f[5].toInt(), bits_[i].activations);
            QCOMPARE(f[7].toDouble(), ev.energy); // reads back exactly
            QCOMPARE(f[9].toLongLong(), qlonglong(ev.cycles));
            QCOMPARE(f[10].toLongLong(), qlonglong(ev.weightMemoryBytes));
            QCOMPARE(f[11], QString("true"));
        }
        QCOMPARE(lines[1].split(',')[10], QString("864"));
    }

    // The share of energy is a quotient: its CSV text has no rounding noise (100 x 0.1 / 0.7999999999999999
    // is 12.500000000000002 as a double), while the mapper's energies read back exactly.
    void csvSharesCarryNoFloatNoise()
    {
        NetworkMapping nm = nm_;
        for (MapperResult &r : nm.layers)
            r.evaluation.energy = 0;
        nm.layers[0].evaluation.energy = 0.1;
        nm.layers[1].evaluation.energy = 0.7;
        LayerTable t;
        t.setConfiguration(net_, arch_, bits_, nm);
        const QStringList lines = t.toCsv().split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines[1].split(',')[7], QString("0.1"));
        QCOMPARE(lines[1].split(',')[8], QString("12.5"));
        QCOMPARE(lines[2].split(',')[8], QString("87.5"));
        QCOMPARE(lines[3].split(',')[8], QString("0"));
    }

    void layerWithoutValidMappingIsShownAsSuch()
    {
        NetworkMapping nm = nm_;
        MapperResult &none = nm.layers[5];
        none = MapperResult{};
        none.visited = 1234;
        nm.energy -= nm_.layers[5].evaluation.energy;
        nm.layers.pop_back(); // a run stopped before the classifier
        LayerTable t;
        t.setConfiguration(net_, arch_, bits_, nm);
        QVERIFY(!t.allMapped());
        for (int layer : {5, 27}) {
            const QTableWidgetItem *e = t.item(rowOf(t, layer), LayerTable::ColEnergy);
            QCOMPARE(e->text(), QString("no valid mapping"));
            QCOMPARE(e->foreground().color(), QColor(190, 20, 20));
        }
        QVERIFY(t.item(rowOf(t, 5), LayerTable::ColEnergy)->toolTip().contains("1,234 loop nests"));
        QVERIFY(t.item(rowOf(t, 27), LayerTable::ColEnergy)->toolTip().contains("stopped"));
        QVERIFY(std::fabs(t.totalEnergyPj() - (nm.energy - nm_.layers[27].evaluation.energy)) <
                1e-6 * nm_.energy);
        QVERIFY(t.item(28, LayerTable::ColShape)->text().startsWith("2 without a valid mapping"));
        const QStringList f = t.toCsv().split('\n')[6].split(',');
        QCOMPARE(f[7], QString());
        QCOMPARE(f[11], QString("false"));
    }

    void loopNestShowsTheMapping()
    {
        const int layer = 2; // layer 3: the first pointwise convolution
        const MapperResult &r = nm_.layers[layer];
        const Evaluation &ev = r.evaluation;
        LoopNestView v;
        v.setLayer(net_.layers[layer], arch_, r, layer);
        QCOMPARE(v.loopNestText(), QString::fromStdString(formatLoopNest(arch_, r.mapping)));
        QVERIFY(v.loopNestText().contains("shared_glb ["));
        QVERIFY(v.statusText().contains("Layer 3 · " + QString::fromStdString(net_.layers[layer].name)));
        QVERIFY(v.statusText().contains(QString::number(ev.energy / 1e6, 'f', 3) + " µJ"));

        // Per level: the loops make the mapping, the tiles and packing are the evaluation's.
        QTableWidget *lt = v.levelTable();
        int level = -1, rowsSeen = 0;
        std::vector<int> levelsSeen;
        for (int row = 0; row < lt->rowCount(); ++row) {
            if (QTableWidgetItem *name = lt->item(row, LoopNestView::LevelName)) { // a level's first row
                level = arch_.levelIndex(name->text().toStdString());
                QVERIFY(level >= 0);
                levelsSeen.push_back(level);
                const LevelMapping &lm = r.mapping.levels[level];
                const LevelStats &ls = ev.levels[level];
                std::map<QString, qlonglong> temporal, spatial;
                for (Dim d : kAllDims) {
                    if (lm.temporal[idx(d)] > 1)
                        temporal[QString(dimLetter(d))] = lm.temporal[idx(d)];
                    if (lm.spatialX[idx(d)] > 1)
                        spatial[dimLetter(d) + QString("(X)")] = lm.spatialX[idx(d)];
                    if (lm.spatialY[idx(d)] > 1)
                        spatial[dimLetter(d) + QString("(Y)")] = lm.spatialY[idx(d)];
                }
                QCOMPARE(factors(lt->item(row, LoopNestView::LevelTemporal)->text()), temporal);
                QCOMPARE(factors(lt->item(row, LoopNestView::LevelSpatial)->text()), spatial);
                QCOMPARE(lt->item(row, LoopNestView::LevelUsedWords)->data(Qt::UserRole).toLongLong(),
                         qlonglong(ls.utilizedWords));
                QCOMPARE(lt->item(row, LoopNestView::LevelInstances)->data(Qt::UserRole).toLongLong(),
                         qlonglong(ls.instancesUsed));
                const QString full = lt->item(row, LoopNestView::LevelFull)->text();
                if (ls.capacityWords == 0)
                    QCOMPARE(full, QString("unbounded"));
                else
                    QCOMPARE(full,
                             QString::number(100.0 * ls.utilizedWords / ls.capacityWords, 'f', 1) + " %");
            }
            const QString tensorText = lt->item(row, LoopNestView::LevelTensor)->text();
            Tensor t;
            if (!tensorFromName(tensorText.toStdString(), t)) {
                QVERIFY(tensorText.contains("keeps nothing"));
                continue;
            }
            const TensorLevelStats &s = ev.levels[level].tensors[idx(t)];
            QVERIFY(s.kept);
            QCOMPARE(lt->item(row, LoopNestView::LevelTileOperands)->data(Qt::UserRole).toLongLong(),
                     qlonglong(s.tileOperands));
            QCOMPARE(lt->item(row, LoopNestView::LevelTileWords)->data(Qt::UserRole).toLongLong(),
                     qlonglong(s.tileWords));
            QCOMPARE(lt->item(row, LoopNestView::LevelPacking)->text(), QString("×%1").arg(s.packing));
            ++rowsSeen;
        }
        // Every level, outermost first, and every kept tensor once.
        QCOMPARE(levelsSeen, (std::vector<int>{5, 4, 3, 2, 1, 0}));
        int kept = 0;
        for (const LevelStats &ls : ev.levels)
            for (const TensorLevelStats &s : ls.tensors)
                kept += s.kept ? 1 : 0;
        QCOMPARE(rowsSeen, kept);

        // Energy by level and tensor, then the MACs and the total.
        QTableWidget *et = v.energyTable();
        QCOMPARE(et->rowCount(), arch_.numLevels() + 2);
        double sum = 0;
        for (int row = 0; row < arch_.numLevels(); ++row) {
            const int l = arch_.numLevels() - 1 - row;
            QCOMPARE(et->item(row, LoopNestView::EnergyLevel)->text(),
                     QString::fromStdString(arch_.levels[l].name));
            QCOMPARE(et->item(row, LoopNestView::EnergyTotal)->data(Qt::UserRole).toDouble(),
                     ev.levels[l].energy);
            for (Tensor t : kAllTensors)
                if (ev.levels[l].tensors[idx(t)].kept)
                    QCOMPARE(
                        et->item(row, LoopNestView::EnergyWeights + idx(t))->data(Qt::UserRole).toDouble(),
                        ev.levels[l].tensors[idx(t)].energy);
            sum += ev.levels[l].energy;
        }
        const int macRow = arch_.numLevels(), totalRow = macRow + 1;
        QCOMPARE(et->item(macRow, LoopNestView::EnergyTotal)->data(Qt::UserRole).toDouble(), ev.macEnergy);
        QCOMPARE(et->item(totalRow, LoopNestView::EnergyTotal)->data(Qt::UserRole).toDouble(), ev.energy);
        QVERIFY(std::fabs(sum + ev.macEnergy - ev.energy) <= 1e-9 * ev.energy);
        QCOMPARE(et->item(totalRow, LoopNestView::EnergyShare)->text(), QString("100.0 %"));

        v.clear();
        QCOMPARE(v.loopNestText(), QString());
        QCOMPARE(v.levelTable()->rowCount(), 0);
        QVERIFY(v.statusText().startsWith("Select a layer"));
    }

    void invalidMappingShowsItsReasons()
    {
        // Layer 3's mapping on a machine whose weight scratchpads hold 4 words: it overflows them.
        const int layer = 2;
        Architecture small = arch_;
        const int spad = small.levelIndex("weights_spad");
        QVERIFY(spad >= 0);
        small.levels[spad].depth = 4;
        MapperResult bad = nm_.layers[layer];
        bad.evaluation = evaluate(net_.layers[layer].shape, small, bad.mapping, chainBits(net_, bits_, 8)[layer]);
        bad.found = false;
        QVERIFY(!bad.evaluation.valid);
        QVERIFY(!bad.evaluation.reasons.empty());
        LoopNestView v;
        v.setLayer(net_.layers[layer], small, bad, layer);
        QVERIFY(v.statusText().contains("No valid mapping"));
        for (const std::string &reason : bad.evaluation.reasons)
            QVERIFY2(v.statusText().contains(QString::fromStdString(reason)), reason.c_str());
        // The mapping is still shown, with the overflowing level past 100 % in red.
        QCOMPARE(v.loopNestText(), QString::fromStdString(formatLoopNest(small, bad.mapping)));
        QTableWidget *lt = v.levelTable();
        bool found = false;
        for (int row = 0; row < lt->rowCount(); ++row)
            if (lt->item(row, LoopNestView::LevelName) &&
                lt->item(row, LoopNestView::LevelName)->text() == "weights_spad") {
                QVERIFY(lt->item(row, LoopNestView::LevelFull)->data(Qt::UserRole).toDouble() > 1.0);
                QCOMPARE(lt->item(row, LoopNestView::LevelFull)->foreground().color(), QColor(190, 20, 20));
                found = true;
            }
        QVERIFY(found);

        // The mapper found nothing at all: no loop nest, and what it tried.
        MapperResult none;
        none.visited = 70560;
        none.note = "sampled 70,560 of 10^9 loop nests";
        v.setLayer(net_.layers[layer], arch_, none, layer);
        QVERIFY(v.statusText().contains("No valid mapping"));
        QVERIFY(v.statusText().contains("70,560 loop nests"));
        QVERIFY(v.statusText().contains("sampled 70,560 of 10^9"));
        QCOMPARE(v.loopNestText(), QString());
        QCOMPARE(v.levelTable()->rowCount(), 0);
    }

    void compareViewMarksDifferences()
    {
        // B narrows layer 5's weights; C equals A.
        BitConfig bitsB = bits_;
        bitsB[4].weights = 3;
        const NetworkMapping nmB = mapNetwork(net_, arch_, chainBits(net_, bitsB, 8), {}, cache_.get());
        QVERIFY(nmB.allFound);
        auto point = [](const QString &label, const BitConfig &b, const NetworkMapping &nm, double error) {
            ComparePoint p{label, b, {}, nm.energy, error, nm.weightBytes};
            for (const MapperResult &r : nm.layers)
                p.layerEnergyPj.push_back(r.evaluation.energy);
            return p;
        };
        const std::vector<ComparePoint> pts = {point("A", bits_, nm_, 0.3), point("B", bitsB, nmB, -1),
                                               point("C", bits_, nm_, 0.3)};
        CompareView v;
        v.setPoints(net_, pts);
        QCOMPARE(v.pointCount(), 3);
        QCOMPARE(v.rowCount(), 28 + 3);
        QCOMPARE(v.columnCount(), 2 + 2 * 3);
        QVERIFY(v.horizontalHeaderItem(CompareView::bitsColumn(1))->text().startsWith("B\n"));
        for (int l = 0; l < 28; ++l) {
            for (int p = 0; p < 3; ++p) {
                QCOMPARE(v.item(l, CompareView::bitsColumn(p))->text(),
                         QString("%1 / %2").arg(pts[p].bits[l].weights).arg(pts[p].bits[l].activations));
                QCOMPARE(v.item(l, CompareView::energyColumn(p))->text(),
                         QString::number(pts[p].layerEnergyPj[l] / 1e6, 'f', 3));
                // B's bits differ on layer 5 only, its energies wherever the shown figures differ; A and C
                // agree, so only B's cells stand out.
                const bool energyDiffers = QString::number(nm_.layers[l].evaluation.energy / 1e6, 'f', 3) !=
                                           QString::number(nmB.layers[l].evaluation.energy / 1e6, 'f', 3);
                QCOMPARE(v.isDifferent(l, CompareView::bitsColumn(p)), p == 1 && l == 4);
                QCOMPARE(v.isDifferent(l, CompareView::energyColumn(p)), p == 1 && energyDiffers);
            }
        }
        QVERIFY(v.isDifferent(4, CompareView::energyColumn(1))); // 3-bit weights change layer 5's energy
        QCOMPARE(v.item(4, CompareView::bitsColumn(1))->background().color(), QColor(255, 236, 160));
        QCOMPARE(v.item(3, CompareView::bitsColumn(1))->background().style(), Qt::NoBrush);
        // Totals: B's energy, error (unknown) and memory differ; the lower is bold.
        QVERIFY(nmB.weightBytes < nm_.weightBytes);
        for (int row : {v.energyTotalRow(), v.errorRow(), v.memoryRow()})
            for (int p = 0; p < 3; ++p)
                QCOMPARE(v.isDifferent(row, CompareView::bitsColumn(p)), p == 1);
        QCOMPARE(v.item(v.errorRow(), CompareView::bitsColumn(0))->text(), QString("30.00 %"));
        QCOMPARE(v.item(v.errorRow(), CompareView::bitsColumn(1))->text(), QString("—"));
        QVERIFY(v.item(v.memoryRow(), CompareView::bitsColumn(1))->font().bold());
        QVERIFY(!v.item(v.memoryRow(), CompareView::bitsColumn(0))->font().bold());
        QCOMPARE(v.item(v.memoryRow(), CompareView::bitsColumn(1))->data(CompareView::ValueRole).toLongLong(),
                 qlonglong(nmB.weightBytes));
        QVERIFY(v.item(v.memoryRow(), CompareView::bitsColumn(1))->text().contains("(−"));

        // Two points that differ: both sides of a difference are marked.
        v.setPoints(net_, {pts[0], pts[1]});
        QCOMPARE(v.columnCount(), 2 + 2 * 2);
        QVERIFY(v.isDifferent(4, CompareView::bitsColumn(0)) && v.isDifferent(4, CompareView::bitsColumn(1)));
        QVERIFY(!v.isDifferent(3, CompareView::bitsColumn(0)) &&
                !v.isDifferent(3, CompareView::bitsColumn(1)));

        // Two equal points: nothing to highlight.
        v.setPoints(net_, {pts[0], pts[2]});
        for (int row = 0; row < v.rowCount(); ++row)
            for (int col = 0; col < v.columnCount(); ++col)
                QVERIFY(!v.isDifferent(row, col));
    }
};

QTEST_MAIN(TestGuiTables)
#include "test_gui_tables.moc"
