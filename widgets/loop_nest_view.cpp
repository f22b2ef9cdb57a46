#include "loop_nest_view.h"

#include "mapping/mapping.h"

#include <qcustomplot.h>

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextDocumentFragment>
#include <QVBoxLayout>

namespace bitloop::gui
{

namespace
{

const QColor kInvalidColor(190, 20, 20);
// One colour per tensor (Weights, Inputs, Outputs) and one for the MACs, in the table and the chart.
const QColor kTensorColors[kNumTensors] = {QColor(70, 120, 190), QColor(230, 150, 50), QColor(90, 170, 90)};
const QColor kMacColor(150, 150, 150);

QString grouped(int64_t v)
{
    return QLocale(QLocale::English).toString(static_cast<qlonglong>(v));
}

// How far the answer is proven: the best of every valid mapping (counted), the best by branch and bound
// (optimal, not every mapping seen), or the best of a sample.
QString provenance(const MapperResult &r)
{
    if (!r.optimal)
        return QObject::tr("best of %1 sampled loop nests (not proven optimal)").arg(grouped(r.visited));
    if (r.validMappings >= 0)
        return QObject::tr("best of %1 valid mappings (exhaustive: optimal)").arg(grouped(r.validMappings));
    return QObject::tr("optimal: %1 loop nests evaluated, %2 subtrees pruned on a lower bound")
        .arg(grouped(r.visited))
        .arg(grouped(r.pruned));
}

// Energies in pJ, whole above 100 pJ (the figures run to 10^9) and to 0.01 pJ below.
QString picojoules(double pj)
{
    return QLocale(QLocale::English).toString(pj, 'f', pj < 100 ? 2 : 0);
}

QString percent(double part, double whole)
{
    return whole > 0 ? QString::number(100.0 * part / whole, 'f', 1) + " %" : QString("—");
}

QTableWidget *makeTable(const QStringList &headers)
{
    auto *t = new QTableWidget(0, static_cast<int>(headers.size()));
    t->setHorizontalHeaderLabels(headers);
    t->verticalHeader()->hide();
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setSelectionMode(QAbstractItemView::NoSelection);
    t->setWordWrap(false);
    t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 8);
    t->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents); // the splitters start from whole tables
    return t;
}

// Column widths from every cell's text: resizeColumnsToContents() leaves spanned cells out.
void fitColumns(QTableWidget *t)
{
    for (int c = 0; c < t->columnCount(); ++c) {
        int w = t->horizontalHeader()->sectionSizeHint(c);
        for (int r = 0; r < t->rowCount(); ++r)
            if (const QTableWidgetItem *it = t->item(r, c))
                w = std::max(w, QFontMetrics(it->font()).horizontalAdvance(it->text()) + 14);
        t->setColumnWidth(c, w);
    }
}

QTableWidgetItem *setCell(QTableWidget *t, int row, int col, const QString &text, const QVariant &raw = {},
                          bool right = false)
{
    auto *it = new QTableWidgetItem(text);
    if (raw.isValid())
        it->setData(Qt::UserRole, raw);
    if (right)
        it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    t->setItem(row, col, it);
    return it;
}

} // namespace

LoopNestView::LoopNestView(QWidget *parent) : QWidget(parent)
{
    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    status_->setContentsMargins(4, 4, 4, 4);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    nest_ = new QPlainTextEdit;
    nest_->setReadOnly(true);
    nest_->setLineWrapMode(QPlainTextEdit::NoWrap);
    nest_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    levels_ = makeTable({tr("Level"), tr("Temporal"), tr("Spatial"), tr("Tensor"), tr("Tile (operands)"),
                         tr("Tile (words)"), tr("Packing"), tr("Used words"), tr("Full"), tr("Instances")});
    levels_->horizontalHeaderItem(LevelTemporal)
        ->setToolTip(tr("Temporal loops of the level, outermost first"));
    levels_->horizontalHeaderItem(LevelSpatial)->setToolTip(tr("Spatial fan-out to the level below"));
    levels_->horizontalHeaderItem(LevelTileWords)
        ->setToolTip(tr("Words one instance holds: ceil(operands / packing)"));
    levels_->horizontalHeaderItem(LevelPacking)
        ->setToolTip(tr("Operands per word: floor(word bits / bit-width)"));
    levels_->horizontalHeaderItem(LevelUsedWords)
        ->setToolTip(tr("Words used of the capacity, per instance, all kept tensors"));
    levels_->horizontalHeaderItem(LevelInstances)->setToolTip(tr("Instances in use / instances"));

    energy_ =
        makeTable({tr("Energy (pJ)"), tr("Weights"), tr("Inputs"), tr("Outputs"), tr("Total"), tr("Share")});
    for (Tensor t : kAllTensors)
        energy_->horizontalHeaderItem(EnergyWeights + idx(t))->setForeground(kTensorColors[idx(t)]);

    plot_ = new QCustomPlot;
    plot_->setMinimumSize(260, 120);
    plot_->xAxis->setLabel(tr("energy (µJ)"));
    // The legend in a row of its own above the bars, so that it never hides one.
    plot_->legend->setVisible(true);
    plot_->axisRect()->insetLayout()->take(plot_->legend);
    plot_->plotLayout()->insertRow(0);
    plot_->plotLayout()->addElement(0, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(0, 0.001);
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setBorderPen(Qt::NoPen);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    plot_->legend->setFont(small);

    // The loop nest, the level table, the energy table and its chart, each in a tab of its own: in the few
    // hundred pixels beside the layer table, side by side and stacked, they showed one or two rows each
    // and cut the chart's legend ("Wei", "Inp").
    views_ = new QTabWidget;
    views_->setDocumentMode(true);
    views_->addTab(nest_, tr("Loop nest"));
    views_->addTab(levels_, tr("Levels"));
    views_->addTab(energy_, tr("Energy"));
    views_->addTab(plot_, tr("Energy chart"));
    QWidget *main = views_;
    content_ = main;

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(status_);
    layout->addWidget(content_, 1);
    layout->addStretch(0); // keeps the heading on top while the content is hidden
    clear();
}

void LoopNestView::clear()
{
    status_->setText(tr("Select a layer to see its mapping."));
    status_->setStyleSheet({});
    nest_->clear();
    levels_->setRowCount(0);
    energy_->setRowCount(0);
    plot_->clearPlottables();
    plot_->replot();
    content_->hide();
}

QString LoopNestView::loopNestText() const
{
    return nest_->toPlainText();
}

QString LoopNestView::statusText() const
{
    return QTextDocumentFragment::fromHtml(status_->text()).toPlainText();
}

void LoopNestView::setLayer(const Layer &layer, const Architecture &arch, const MapperResult &result,
                            int index)
{
    const Evaluation &ev = result.evaluation;
    const QString title = (index >= 0 ? tr("Layer %1 · ").arg(index + 1) : QString()) +
                          QString::fromStdString(layer.name).toHtmlEscaped();
    const QString shape = QString::fromStdString(layer.describe()).toHtmlEscaped();
    const bool valid = result.found && ev.valid;
    const bool haveMapping = static_cast<int>(result.mapping.levels.size()) == arch.numLevels();
    const bool counted = static_cast<int>(ev.levels.size()) == arch.numLevels();
    QString text = QString("<b>%1</b> &nbsp; %2<br>").arg(title, shape);
    if (valid) {
        text += tr("W%1 I%2 O%3 bits · <b>%4 µJ</b> (MACs %5 µJ) · %6 cycles · %7 pJ/MAC · %8 of MACs in use "
                   "· %9")
                    .arg(ev.bits.of(Tensor::Weights))
                    .arg(ev.bits.of(Tensor::Inputs))
                    .arg(ev.bits.of(Tensor::Outputs))
                    .arg(QString::number(ev.energy / 1e6, 'f', 3))
                    .arg(QString::number(ev.macEnergy / 1e6, 'f', 3))
                    .arg(grouped(ev.cycles))
                    .arg(QString::number(ev.pjPerMac(), 'f', 3))
                    .arg(QString::number(ev.utilization * 100, 'f', 1) + " %")
                    .arg(provenance(result));
        status_->setStyleSheet({});
    } else {
        QStringList why;
        for (const std::string &r : ev.reasons)
            why << QString::fromStdString(r).toHtmlEscaped();
        if (result.cancelled)
            why << tr("the mapper was cancelled before it found one");
        else if (why.isEmpty())
            why << tr("none of the %1 loop nests the mapper visited fits this architecture at these "
                      "bit-widths")
                       .arg(grouped(result.visited));
        if (!result.note.empty())
            why << QString::fromStdString(result.note).toHtmlEscaped();
        text += QString("<span style='color:%1'><b>%2</b></span><ul style='margin:0'><li>%3</li></ul>")
                    .arg(kInvalidColor.name(), tr("No valid mapping"), why.join("</li><li>"));
    }
    status_->setText(text);

    // An invalid mapping that was counted still shows where it breaks (the level that overflows).
    content_->setVisible(haveMapping);
    if (!haveMapping) {
        nest_->clear();
        levels_->setRowCount(0);
        energy_->setRowCount(0);
        plot_->clearPlottables();
        return;
    }
    const QString nest = QString::fromStdString(formatLoopNest(arch, result.mapping));
    nest_->setPlainText(nest);
    int widest = 0; // the pane shows whole lines up to a point; deeper nests scroll
    for (const QString &line : nest.split('\n'))
        widest = std::max(widest, nest_->fontMetrics().horizontalAdvance(line));
    nest_->setMinimumWidth(std::min(widest + 40, 480));
    fillLevels(arch, result);
    if (counted) {
        fillEnergy(arch, ev);
        plotEnergy(arch, ev);
    } else {
        energy_->setRowCount(0);
        plot_->clearPlottables();
        plot_->replot();
    }
}

void LoopNestView::fillLevels(const Architecture &arch, const MapperResult &result)
{
    const Mapping &m = result.mapping;
    const Evaluation &ev = result.evaluation;
    const bool counted = static_cast<int>(ev.levels.size()) == arch.numLevels();
    levels_->clearSpans();
    levels_->clearContents();
    int rows = 0;
    for (int l = 0; l < arch.numLevels(); ++l) {
        int kept = 0;
        for (Tensor t : kAllTensors)
            kept += m.levels[l].keep[idx(t)] ? 1 : 0;
        rows += std::max(kept, 1);
    }
    levels_->setRowCount(rows);
    int row = 0;
    for (int l = arch.numLevels() - 1; l >= 0; --l) {
        const LevelMapping &lm = m.levels[l];
        const StorageLevel &spec = arch.levels[l];
        QStringList temporal, spatial;
        const std::vector<Dim> order = m.activeTemporalOrder(l);
        for (auto it = order.rbegin(); it != order.rend(); ++it)
            temporal << QString("%1%2").arg(dimLetter(*it)).arg(lm.temporal[idx(*it)]);
        for (Dim d : kAllDims) {
            if (lm.spatialX[idx(d)] > 1)
                spatial << QString("%1%2(X)").arg(dimLetter(d)).arg(lm.spatialX[idx(d)]);
            if (lm.spatialY[idx(d)] > 1)
                spatial << QString("%1%2(Y)").arg(dimLetter(d)).arg(lm.spatialY[idx(d)]);
        }
        const int first = row;
        setCell(levels_, row, LevelName, QString::fromStdString(spec.name))
            ->setToolTip(tr("%1-bit words, %2 words per instance, %3 instances")
                             .arg(spec.wordBits)
                             .arg(spec.depth ? grouped(spec.depth) : tr("unbounded"))
                             .arg(spec.instances));
        setCell(levels_, row, LevelTemporal, temporal.join(' '));
        setCell(levels_, row, LevelSpatial, spatial.join(' '));
        if (counted) {
            const LevelStats &ls = ev.levels[l];
            if (spec.depth > 0) {
                setCell(levels_, row, LevelUsedWords,
                        grouped(ls.utilizedWords) + " / " + grouped(ls.capacityWords),
                        static_cast<qlonglong>(ls.utilizedWords), true);
                auto *full = setCell(levels_, row, LevelFull,
                                     percent(double(ls.utilizedWords), double(ls.capacityWords)),
                                     double(ls.utilizedWords) / double(ls.capacityWords), true);
                if (ls.utilizedWords > ls.capacityWords)
                    full->setForeground(kInvalidColor);
            } else {
                setCell(levels_, row, LevelUsedWords, grouped(ls.utilizedWords),
                        static_cast<qlonglong>(ls.utilizedWords), true);
                setCell(levels_, row, LevelFull, tr("unbounded"), {}, true);
            }
            setCell(levels_, row, LevelInstances, grouped(ls.instancesUsed) + " / " + grouped(spec.instances),
                    static_cast<qlonglong>(ls.instancesUsed), true);
        }
        bool any = false;
        for (Tensor t : kAllTensors) {
            if (!lm.keep[idx(t)])
                continue;
            any = true;
            setCell(levels_, row, LevelTensor, tensorName(t))->setForeground(kTensorColors[idx(t)]);
            if (counted) {
                const TensorLevelStats &s = ev.levels[l].tensors[idx(t)];
                setCell(levels_, row, LevelTileOperands, grouped(s.tileOperands),
                        static_cast<qlonglong>(s.tileOperands), true);
                setCell(levels_, row, LevelTileWords, grouped(s.tileWords),
                        static_cast<qlonglong>(s.tileWords), true);
                setCell(levels_, row, LevelPacking, QString("×%1").arg(s.packing), s.packing, true);
            }
            ++row;
        }
        if (!any) {
            setCell(levels_, row, LevelTensor, tr("— (keeps nothing)"));
            ++row;
        }
        if (row - first > 1)
            for (int col :
                 {LevelName, LevelTemporal, LevelSpatial, LevelUsedWords, LevelFull, LevelInstances})
                levels_->setSpan(first, col, row - first, 1);
    }
    fitColumns(levels_);
}

void LoopNestView::fillEnergy(const Architecture &arch, const Evaluation &ev)
{
    energy_->clearContents();
    energy_->setRowCount(arch.numLevels() + 2);
    std::array<double, kNumTensors> perTensor{};
    int row = 0;
    for (int l = arch.numLevels() - 1; l >= 0; --l, ++row) {
        const LevelStats &ls = ev.levels[l];
        setCell(energy_, row, EnergyLevel, QString::fromStdString(arch.levels[l].name));
        for (Tensor t : kAllTensors) {
            const TensorLevelStats &s = ls.tensors[idx(t)];
            if (!s.kept)
                continue;
            perTensor[idx(t)] += s.energy;
            setCell(energy_, row, EnergyWeights + idx(t), picojoules(s.energy), s.energy, true)
                ->setToolTip(percent(s.energy, ev.energy) + tr(" of the layer"));
        }
        setCell(energy_, row, EnergyTotal, picojoules(ls.energy), ls.energy, true);
        setCell(energy_, row, EnergyShare, percent(ls.energy, ev.energy), {}, true);
    }
    setCell(energy_, row, EnergyLevel, tr("MACs"));
    setCell(energy_, row, EnergyTotal, picojoules(ev.macEnergy), ev.macEnergy, true);
    setCell(energy_, row, EnergyShare, percent(ev.macEnergy, ev.energy), {}, true);
    ++row;
    QFont bold = font();
    bold.setBold(true);
    setCell(energy_, row, EnergyLevel, tr("Total"))->setFont(bold);
    for (Tensor t : kAllTensors)
        setCell(energy_, row, EnergyWeights + idx(t), picojoules(perTensor[idx(t)]), perTensor[idx(t)], true)
            ->setToolTip(percent(perTensor[idx(t)], ev.energy) + tr(" of the layer"));
    setCell(energy_, row, EnergyTotal, picojoules(ev.energy), ev.energy, true)->setFont(bold);
    setCell(energy_, row, EnergyShare, percent(ev.energy, ev.energy), {}, true);
    fitColumns(energy_);
}

// Horizontal bars, outermost level on top as in the loop nest, each stacked by tensor; the MACs below.
void LoopNestView::plotEnergy(const Architecture &arch, const Evaluation &ev)
{
    plot_->clearPlottables();
    const int n = arch.numLevels();
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    ticker->addTick(1, tr("MACs"));
    for (int l = 0; l < n; ++l)
        ticker->addTick(l + 2, QString::fromStdString(arch.levels[l].name));
    plot_->yAxis->setTicker(ticker);
    plot_->yAxis->setRange(0.4, n + 1.6);
    plot_->yAxis->setSubTicks(false);
    plot_->yAxis->grid()->setVisible(false);

    QCPBars *below = nullptr;
    double maxUj = ev.macEnergy / 1e6;
    std::vector<double> stack(n, 0);
    for (Tensor t : kAllTensors) {
        auto *bars = new QCPBars(plot_->yAxis, plot_->xAxis);
        bars->setName(tensorName(t));
        bars->setPen(Qt::NoPen);
        bars->setBrush(kTensorColors[idx(t)]);
        bars->setWidth(0.7);
        for (int l = 0; l < n; ++l) {
            const double uj = ev.levels[l].tensors[idx(t)].energy / 1e6;
            bars->addData(l + 2, uj);
            stack[l] += uj;
            maxUj = std::max(maxUj, stack[l]);
        }
        if (below)
            bars->moveAbove(below);
        below = bars;
    }
    auto *mac = new QCPBars(plot_->yAxis, plot_->xAxis);
    mac->setName(tr("MACs"));
    mac->setPen(Qt::NoPen);
    mac->setBrush(kMacColor);
    mac->setWidth(0.7);
    mac->addData(1, ev.macEnergy / 1e6);
    plot_->xAxis->setRange(0, maxUj > 0 ? maxUj * 1.05 : 1);
    plot_->replot();
}

} // namespace bitloop::gui
