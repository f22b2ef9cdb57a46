// The run panel: how far a search is (progress bar, generation, evaluations, time), how good its front
// is (hypervolume and its history, front size), and pause / resume / stop.
//
// The panel is passive: its buttons only emit requests, and the search's owner reports the state it
// reached with setRunning / setStopped / setPaused (a pause takes effect between generations, not at the
// click).
#pragma once

#include <QElapsedTimer>
#include <QSharedPointer>
#include <QWidget>

class QCPAxisTicker;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QProgressBar;
class QTimer;
class QPushButton;

namespace bitloop::gui
{

class RunPanel : public QWidget
{
    Q_OBJECT

public:
    explicit RunPanel(QWidget *parent = nullptr);

    // maxGenerations <= 0: an open-ended run, the bar shows activity only. secondsLeft < 0 or not
    // finite: not yet known.
    void setProgress(int generation, int maxGenerations, long long evaluations, double hypervolume,
                     int frontSize, double elapsedSeconds, double secondsLeft);
    // Inside a generation: candidates whose accuracy is known of those in the batch (accuracyDone < 0: the
    // search measures no accuracy), and mapper jobs (a layer at widths not answered before) done of those
    // it needs. candidates <= 0 clears it.
    void setBatchProgress(int accuracyDone, int candidates, int mapperDone, int mapperJobs);
    // The candidate under way, in words (a QAT fine-tuning's step, and where it resumed); empty hides it.
    void setCandidateWork(const QString &text);
    void addHypervolume(int generation, double hv);
    void clearHistory();

    // While running, Elapsed counts on between generation reports, unless the run is followed (another
    // process's, which may have stopped). A followed run cannot be paused from here: Pause is off and Stop
    // reads "Stop following".
    void setRunning(bool running, bool following = false);
    void setPaused(bool paused);
    // A run that ended, in one step so that a focused Pause hands the focus straight to Resume.
    void setStopped(bool resumable);
    bool isRunning() const { return running_; }
    bool isPaused() const { return paused_; }

    // For tests and the headless report.
    QString generationText() const;
    QString evaluationsText() const;
    QString hypervolumeText() const;
    QString frontSizeText() const;
    QString elapsedText() const;
    QString timeLeftText() const;
    QString batchText() const;
    QString candidateText() const;
    // A note about the run for its owner to fill and show (rich text; hidden until then).
    QLabel *note() const { return note_; }
    QProgressBar *progressBar() const { return progress_; }
    QPushButton *pauseButton() const { return pause_; }
    QPushButton *resumeButton() const { return resume_; }
    QPushButton *stopButton() const { return stop_; }
    const QCPGraph *hypervolumeGraph() const { return hvGraph_; }

    // h:mm:ss from an hour on, m:ss below; "–" for an unknown time.
    static QString formatDuration(double seconds);

Q_SIGNALS:
    void pauseRequested();
    void resumeRequested();
    void stopRequested();

private:
    void updateButtons();

    QProgressBar *progress_;
    QLabel *generation_, *evaluations_, *hypervolume_, *frontSize_, *elapsed_, *timeLeft_;
    QLabel *batch_;     // this generation's evaluations and mapper jobs
    QLabel *candidate_; // the candidate under way
    QLabel *note_;
    QCustomPlot *hvPlot_;
    QCPGraph *hvGraph_;
    QSharedPointer<QCPAxisTicker> hvTicker_; // the value axis's ticks, unless the history is flat
    QPushButton *pause_, *resume_, *stop_;
    bool running_ = false;
    bool paused_ = false;
    bool following_ = false;
    QTimer *clock_;
    QElapsedTimer sinceReport_;
    double reportedElapsed_ = -1; // the run's elapsed seconds at its last report; < 0: none yet
};

} // namespace bitloop::gui
