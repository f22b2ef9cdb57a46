// A co-design search in the background for the explorer: set up from the same argument list as
// `bitloop-cli search` (so every GUI run can be repeated and resumed from the command line), run on a
// worker thread, reporting through signals delivered on the GUI thread. The GUI thread never waits for
// it: stop() only raises the cancel flag; the worker ends at the next check and says so.
#pragma once

#include "search_setup.h"

#include "search/codesign_run.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

namespace bitloop::gui
{

class SearchController : public QObject
{
    Q_OBJECT

public:
    explicit SearchController(QObject *parent = nullptr);
    ~SearchController() override; // cancels and joins

    // Starts a search (arguments as `bitloop-cli search` takes them after the command name, with --out),
    // or, when the arguments hold --resume DIR, continues that run. Ignored while one runs.
    void start(const QStringList &arguments);
    // Opens a run directory without searching: its setup, then every stored individual and generation,
    // reading only. A run that another process is writing now is followed instead (beingWritten says who).
    void open(const QString &dir);
    // Follows a run that another process (local, or on a cluster's shared disk) is writing: shows what it
    // holds, then every generation as it lands (polled each `periodMs`), reading only. Its setup is built
    // for the details panes when its files are at hand here; when not (a checkpoint on the cluster), the
    // front and history are still shown and detailsUnavailable says why. stop() ends the following.
    void follow(const QString &dir, int periodMs = 1000) { follow(dir, periodMs, QString()); }
    bool following() const { return following_.load(); }

    // Cancels the running search; the run directory keeps the last whole generation (a checkpoint that
    // --resume continues). pause() is the same, remembered so that resume() continues it.
    void stop();
    void pause();
    void resume();

    bool busy() const { return busy_.load(); }
    QString runDirectory() const { return dir_; }
    // The setup and problem of the current run (null before one): what-if costs and mappings use them.
    std::shared_ptr<const cli::SearchSetup> setup() const;
    std::shared_ptr<search::CodesignProblem> problem() const;
    // What `bitloop-cli search` would be given to repeat the current run.
    QStringList arguments() const { return arguments_; }

Q_SIGNALS:
    void ready(const QString &dir); // setup checked, run directory opened: nothing refused it
    void batchEvaluated(const std::vector<search::EvaluatedIndividual> &batch);
    void generationDone(const search::GenerationRecord &record, const search::Progress &progress);
    // Inside a generation (at most every 100 ms, and when the batch is done).
    void batchProgress(int accuracyDone, int candidates, int mapperDone, int mapperJobs);
    // With it: the candidate under way in words (search::describeCandidateWork), empty when none is.
    void candidateWork(const QString &text);
    void finished(const QString &reason); // "maximum generations", "cancelled", ...
    void failed(const QString &message);
    // A followed run's setup cannot be built here (what is missing): its points show without details.
    void detailsUnavailable(const QString &why);
    // An opened run is being written by another process (RunDirectory::writer): it is followed instead.
    void beingWritten(const QString &writer);

private:
    void follow(const QString &dir, int periodMs, const QString &writer);
    void runWorker(QStringList arguments, bool openOnly, bool replay);
    void followWorker(QString dir, int periodMs, QString writer);
    void post(std::function<void()> f); // runs f on the GUI thread
    // Starts `work` on the worker thread unless one runs (false then); clears the cancel flag.
    bool launch(std::function<void()> work);

    std::thread worker_;
    std::atomic<bool> cancel_{false}, busy_{false}, following_{false};
    bool paused_ = false;
    bool replay_ = true; // the next start shows what the run directory already holds
    QString dir_;
    QStringList arguments_;
    mutable std::mutex mutex_;
    std::shared_ptr<cli::SearchSetup> setup_;
    std::shared_ptr<search::CodesignProblem> problem_;
};

} // namespace bitloop::gui
