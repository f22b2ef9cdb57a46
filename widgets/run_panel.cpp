#include "widgets/run_panel.h"

#include <qcustomplot.h>

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace bitloop::gui
{

namespace
{

const QString kUnknown = QString(QChar(0x2013)); // en dash

QLabel *valueLabel(QWidget *parent)
{
    auto *l = new QLabel(kUnknown, parent);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // As wide as the widest value it shows ("0000 / 0000" generations, a hypervolume "6.33161e+09").
    l->setMinimumWidth(l->fontMetrics().horizontalAdvance(QStringLiteral("0.00000e+00")));
    return l;
}

} // namespace

RunPanel::RunPanel(QWidget *parent) : QWidget(parent)
{
    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("no search yet")); // not "0 / 1 generations" for a run nobody asked for

    generation_ = valueLabel(this);
    evaluations_ = valueLabel(this);
    hypervolume_ = valueLabel(this);
    frontSize_ = valueLabel(this);
    elapsed_ = valueLabel(this);
    timeLeft_ = valueLabel(this);
    auto *figures = new QGridLayout;
    const std::pair<QString, QLabel *> cells[] = {
        {tr("Generation"), generation_}, {tr("Evaluations"), evaluations_}, {tr("Hypervolume"), hypervolume_},
        {tr("Front size"), frontSize_},  {tr("Elapsed"), elapsed_},         {tr("Time left"), timeLeft_}};
    // Two rows of three beside the hypervolume history, not three rows above it: at 1280x720 every
    // pixel of height the run panel takes is one the selected layer's mapping does not get.
    const int order[] = {0, 1, 3,
                         2, 4, 5}; // Generation, Evaluations, Front size; Hypervolume, Elapsed, Time left
    for (int k = 0; k < 6; ++k) {
        const auto &cell = cells[order[k]];
        figures->addWidget(new QLabel(cell.first + QLatin1Char(':'), this), k / 3, (k % 3) * 2);
        figures->addWidget(cell.second, k / 3, (k % 3) * 2 + 1);
    }
    for (int c : {1, 3, 5})
        figures->setColumnStretch(c, 1);
    batch_ = new QLabel(this);
    batch_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    batch_->setToolTip(tr("Inside the running generation: candidates whose accuracy is known, and the "
                          "layer mappings it needs that no earlier candidate answered"));
    candidate_ = new QLabel(this);
    candidate_->setObjectName(QStringLiteral("candidateWork"));
    candidate_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    candidate_->setWordWrap(true);
    candidate_->setToolTip(tr("The candidate whose accuracy is being computed: a fine-tuning keeps its state "
                              "every 500 steps, and a stopped run resumes it from there"));
    candidate_->hide();

    hvPlot_ = new QCustomPlot(this);
    hvPlot_->setMinimumHeight(72);
    hvGraph_ = hvPlot_->addGraph();
    hvGraph_->setPen(QPen(QColor(31, 119, 180), 1.5));
    hvGraph_->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
    const QFont small(font().family(), 8);
    hvPlot_->xAxis->setLabel(tr("generation"));
    hvPlot_->yAxis->setLabel(tr("HV")); // the panel is about 70 pixels high: "hypervolume" would be cut
    hvPlot_->setToolTip(tr("Hypervolume of the front after each generation"));
    for (QCPAxis *axis : {hvPlot_->xAxis, hvPlot_->yAxis}) {
        axis->setLabelFont(small);
        axis->setTickLabelFont(small);
    }
    // Generations are whole numbers: no tick at 2.5.
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    hvPlot_->xAxis->setTicker(ticker);
    // The panel is short at 1280x720 (about 40 pixels of plot): three value ticks stay legible.
    hvTicker_ = hvPlot_->yAxis->ticker();
    hvTicker_->setTickCount(3);

    pause_ = new QPushButton(tr("Pause"), this);
    resume_ = new QPushButton(tr("Resume"), this);
    stop_ = new QPushButton(tr("Stop"), this);
    connect(pause_, &QPushButton::clicked, this, &RunPanel::pauseRequested);
    connect(resume_, &QPushButton::clicked, this, &RunPanel::resumeRequested);
    connect(stop_, &QPushButton::clicked, this, &RunPanel::stopRequested);
    // The controls beside the progress bar they act on.
    auto *top = new QHBoxLayout;
    top->addWidget(progress_, 1);
    top->addWidget(pause_);
    top->addWidget(resume_);
    top->addWidget(stop_);
    auto *middle = new QHBoxLayout;
    auto *left = new QVBoxLayout;
    left->addLayout(figures);
    left->addWidget(batch_);
    left->addWidget(candidate_);
    left->addStretch(1);
    middle->addLayout(left, 3);
    middle->addWidget(hvPlot_, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(middle, 1);
    note_ = new QLabel(this);
    note_->setWordWrap(true);
    note_->setTextFormat(Qt::RichText);
    note_->setVisible(false);
    layout->addWidget(note_);
    // A generation of supernet or QAT evaluations takes minutes: Elapsed must not stand still meanwhile.
    clock_ = new QTimer(this);
    clock_->setInterval(1000);
    connect(clock_, &QTimer::timeout, this, [this] {
        if (reportedElapsed_ >= 0)
            elapsed_->setText(formatDuration(reportedElapsed_ + sinceReport_.elapsed() / 1000.0));
    });
    updateButtons();
}

void RunPanel::setProgress(int generation, int maxGenerations, long long evaluations, double hypervolume,
                           int frontSize, double elapsedSeconds, double secondsLeft)
{
    progress_->setFormat(QStringLiteral("%v / %m generations"));
    if (maxGenerations > 0) {
        progress_->setRange(0, maxGenerations);
        progress_->setValue(std::clamp(generation, 0, maxGenerations));
        generation_->setText(QStringLiteral("%1 / %2").arg(generation).arg(maxGenerations));
    } else {
        progress_->setRange(0, 0); // busy indicator: no end to measure against
        generation_->setText(QString::number(generation));
    }
    evaluations_->setText(QString::number(evaluations));
    hypervolume_->setText(std::isfinite(hypervolume) ? QString::number(hypervolume, 'g', 6) : kUnknown);
    frontSize_->setText(QString::number(frontSize));
    elapsed_->setText(formatDuration(elapsedSeconds));
    reportedElapsed_ = std::isfinite(elapsedSeconds) ? elapsedSeconds : -1;
    sinceReport_.restart();
    timeLeft_->setText(formatDuration(secondsLeft));
}

void RunPanel::setBatchProgress(int accuracyDone, int candidates, int mapperDone, int mapperJobs)
{
    if (candidates <= 0) {
        batch_->clear();
        setCandidateWork({});
        return;
    }
    QString text = accuracyDone >= 0
                       ? tr("This generation: %1 / %2 candidates").arg(accuracyDone).arg(candidates)
                       : tr("This generation: %1 candidates").arg(candidates);
    if (mapperJobs > 0)
        text += tr(", %1 / %2 layer mappings").arg(mapperDone).arg(mapperJobs);
    batch_->setText(text);
}

QString RunPanel::batchText() const
{
    return batch_->text();
}

void RunPanel::setCandidateWork(const QString &text)
{
    candidate_->setText(text);
    candidate_->setVisible(!text.isEmpty());
}

QString RunPanel::candidateText() const
{
    return candidate_->text();
}

void RunPanel::addHypervolume(int generation, double hv)
{
    hvGraph_->addData(generation, hv);
    // Ranges come from the data, not rescaleAxes: for a single distinct value that keeps the previous
    // range's width, so a flat history went unnoticed after its first point.
    bool found = false;
    const QCPRange x = hvGraph_->getKeyRange(found), y = hvGraph_->getValueRange(found);
    // Off the frame: half a generation either side, a tenth of the span above and below.
    hvPlot_->xAxis->setRange(x.lower - 0.5, x.upper + 0.5);
    // A flat history (every generation at one hypervolume, as a one-point front gives) has no span to
    // scale: centre it in a window of 1% of its value, with that value as the only tick (three ticks 0.5%
    // apart took three lines each to print and overlapped in the short plot).
    const double mid = y.center(), span = y.size();
    if (span <= 1e-9 * std::max(1.0, std::abs(mid))) {
        const double half = std::max(0.005 * std::abs(mid), 0.5);
        hvPlot_->yAxis->setRange(mid - half, mid + half);
        auto flat = QSharedPointer<QCPAxisTickerText>::create();
        flat->addTick(mid, QString::number(mid, 'g', 3));
        hvPlot_->yAxis->setTicker(flat);
    } else {
        hvPlot_->yAxis->setRange(mid - 0.55 * span, mid + 0.55 * span);
        hvPlot_->yAxis->setTicker(hvTicker_);
    }
    hvPlot_->replot(QCustomPlot::rpQueuedReplot);
}

void RunPanel::clearHistory()
{
    hvGraph_->data()->clear();
    hvPlot_->yAxis->setTicker(hvTicker_);
    hvPlot_->replot(QCustomPlot::rpQueuedReplot);
}

// Three states: idle, running, paused (not running, resumable). A run that starts is not paused; one that
// stops running keeps whatever pause state the caller sets next.
void RunPanel::setRunning(bool running, bool following)
{
    running_ = running;
    following_ = running && following;
    if (running)
        paused_ = false;
    if (running && !following) {
        sinceReport_.restart(); // a pause is not counted
        clock_->start();
    } else {
        clock_->stop();
    }
    updateButtons();
}

void RunPanel::setStopped(bool resumable)
{
    running_ = false;
    following_ = false;
    paused_ = resumable;
    clock_->stop();
    updateButtons();
}

void RunPanel::setPaused(bool paused)
{
    paused_ = paused;
    updateButtons();
}

void RunPanel::updateButtons()
{
    // Disabling the focused button makes Qt pass focus on down the tab chain, into the setup panel, where the
    // next key typed would edit a field. Keep it on the button that now acts (Pause -> Resume and back).
    QPushButton *const buttons[] = {resume_, pause_, stop_};
    const auto focused =
        std::find_if(std::begin(buttons), std::end(buttons), [](QPushButton *b) { return b->hasFocus(); });
    pause_->setEnabled(running_ && !following_);
    stop_->setText(following_ ? tr("Stop following") : tr("Stop"));
    resume_->setEnabled(paused_ && !running_);
    stop_->setEnabled(running_ || paused_); // stopping a paused run ends it: Resume goes away
    if (focused == std::end(buttons) || (*focused)->isEnabled())
        return;
    const auto next =
        std::find_if(std::begin(buttons), std::end(buttons), [](QPushButton *b) { return b->isEnabled(); });
    if (next != std::end(buttons))
        (*next)->setFocus(Qt::OtherFocusReason);
    else
        setFocus(Qt::OtherFocusReason); // the run ended: the panel keeps the focus, and keys edit nothing
}

QString RunPanel::formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return kUnknown;
    const long long s = std::llround(seconds);
    const QChar zero(u'0');
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg(s / 60 % 60, 2, 10, zero)
            .arg(s % 60, 2, 10, zero);
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, zero);
}

QString RunPanel::generationText() const
{
    return generation_->text();
}

QString RunPanel::evaluationsText() const
{
    return evaluations_->text();
}

QString RunPanel::hypervolumeText() const
{
    return hypervolume_->text();
}

QString RunPanel::frontSizeText() const
{
    return frontSize_->text();
}

QString RunPanel::elapsedText() const
{
    return elapsed_->text();
}

QString RunPanel::timeLeftText() const
{
    return timeLeft_->text();
}

} // namespace bitloop::gui
